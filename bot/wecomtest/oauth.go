package wecomtest

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WeCom's web OAuth (网页授权, https://developer.work.weixin.qq.com/document/path/91022):
// the browser opens the authorize page, which sends it back to redirect_uri
// with a code; the app exchanges the code with auth/getuserinfo
// (https://developer.work.weixin.qq.com/document/path/91023).

// authorizeAPI is the path of the authorize page (on open.weixin.qq.com in
// real WeCom; the fake serves it under its own prefix).
const authorizeAPI = "connect/oauth2/authorize"

// Errors of auth/getuserinfo.
const (
	ErrInvalidCode = 40029 // invalid code: unknown, used or expired
	ErrMissingCode = 41008 // missing code
)

// oauthCodeTTL is how long an OAuth code may be exchanged: WeCom documents
// five minutes, once.
const oauthCodeTTL = 5 * time.Minute

type oauthCode struct {
	userID string
	issued time.Time
	used   bool
}

// NewOAuthCode mints an OAuth code for userID, as the authorize page does
// after the member is recognised.
func (f *Fake) NewOAuthCode(userID string) string {
	code := randomString(32)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oauth[code] = &oauthCode{userID: userID, issued: f.cfg.Now()}
	return code
}

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业微信授权（模拟）</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:2em auto">
<h1>企业微信授权（模拟）Fake WeCom authorize</h1>
<p>选择以哪位成员身份登录 Choose the member to log in as:</p>
<ul>{{range .}}<li><a data-fake-user="{{.UserID}}" href="{{.URL}}">{{.Name}}（{{.UserID}}）</a></li>{{end}}</ul>
</body></html>`))

// authorize serves the authorize page. Real WeCom knows who is logged into
// the workbench; the fake takes a userid parameter (an extension), and
// without one lists the address book to pick from.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("appid") != f.cfg.CorpID:
		http.Error(w, "appid 参数错误 (invalid appid)", http.StatusBadRequest)
		return
	case err != nil || q.Get("redirect_uri") == "" || (redirect.Scheme != "http" && redirect.Scheme != "https"):
		http.Error(w, "redirect_uri 参数错误 (invalid redirect_uri)", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type 必须为 code", http.StatusBadRequest)
		return
	}
	userID := q.Get("userid")
	if userID == "" {
		type choice struct{ UserID, Name, URL string }
		var choices []choice
		f.mu.Lock()
		for _, u := range f.orderedUsers() {
			qq := url.Values{}
			for k, v := range q {
				qq[k] = v
			}
			qq.Set("userid", u.UserID)
			choices = append(choices, choice{u.UserID, u.Name, r.URL.Path + "?" + qq.Encode()})
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = authorizePage.Execute(w, choices)
		return
	}
	f.mu.Lock()
	_, known := f.users[userID]
	f.mu.Unlock()
	if !known {
		http.Error(w, "成员不在通讯录中 (userid not in the address book)", http.StatusBadRequest)
		return
	}
	code := f.NewOAuthCode(userID)
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	redirect.Fragment = ""
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// authGetUserInfo answers auth/getuserinfo: the userid of a code issued by
// the authorize page, once, within five minutes.
func (f *Fake) authGetUserInfo(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	if code == "" {
		writeError(w, ErrMissingCode, "missing code")
		return
	}
	f.mu.Lock()
	c, ok := f.oauth[code]
	valid := ok && !c.used && f.cfg.Now().Sub(c.issued) < oauthCodeTTL
	if valid {
		c.used = true
	}
	f.mu.Unlock()
	if !valid {
		writeError(w, ErrInvalidCode, "invalid code")
		return
	}
	writeJSON(w, struct {
		errFields
		UserID     string `json:"userid"`
		UserTicket string `json:"user_ticket,omitempty"`
	}{okFields(), c.userID, ""})
}
