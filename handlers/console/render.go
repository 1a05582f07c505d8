package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages are the page templates, each parsed with the layout.
var pages = parsePages("board", "login", "error", "reports", "roster", "stats", "deliveries")

func parsePages(names ...string) map[string]*template.Template {
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.New(n).ParseFS(templateFiles, "templates/layout.html", "templates/"+n+".html"))
	}
	return out
}

// pageData is what the layout shows around a page.
type pageData struct {
	Title string
	Nav   string
	// User, CSRF, CanAck and CanAdmin are the viewer's (empty when not
	// logged in).
	User     string
	CSRF     string
	CanAck   bool
	CanAdmin bool
	Now      string
	Data     any
}

// withViewer fills the layout's viewer fields.
func (c *Console) withViewer(pd pageData, v viewer) pageData {
	pd.User = v.Member.Name
	if pd.User == "" {
		pd.User = v.Member.UserID
	}
	pd.CSRF = v.Session.CSRF
	pd.CanAck, pd.CanAdmin = v.canAck(), v.canAdmin()
	pd.Now = c.cfg.Clock.Now().In(c.cfg.Location).Format("2006-01-02 15:04")
	return pd
}

// render executes page name into a buffer first, so a template error is a
// clean 500, not half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, pd pageData) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		c.cfg.Log.Error("console: render page", "page", name, "err", err)
		http.Error(w, "内部错误 internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fragment renders one named template of a page (the live board's parts).
func fragment(page, name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	return buf.String(), nil
}

type errorView struct{ Zh, En string }

// errorPage answers status with a page saying what went wrong, in Chinese
// and English.
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, zh, en string) {
	c.render(w, r, status, "error", pageData{Title: http.StatusText(status), Data: errorView{zh, en}})
}

// serverError logs err and answers 500 without its details.
func (c *Console) serverError(w http.ResponseWriter, r *http.Request, doing string, err error) {
	c.cfg.Log.Error("console: "+doing, "path", r.URL.Path, "err", err)
	c.errorPage(w, r, http.StatusInternalServerError, "服务器内部错误，请稍后重试。", "Internal server error; please try again later.")
}

// serveStatic serves the console's stylesheet and script.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(staticFiles, "static/"+path.Base(name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}
