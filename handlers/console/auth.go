package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"dutybot/internal/access"
	"dutybot/roster"
)

// Cookie names. Both are scoped to /console/.
const (
	sessionCookie = "dutybot_console"
	stateCookie   = "dutybot_oauth_state"
)

// need is what a page asks of the member's roles.
type need int

const (
	needNothing need = iota // logged in, any member (logout)
	needView                // officer, leader or admin
	needAck                 // leader or admin
	needAdmin               // admin
)

func (n need) allows(m roster.Member) bool {
	switch n {
	case needView:
		return m.HasAnyRole(roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin)
	case needAck:
		return m.HasAnyRole(roster.RoleLeader, roster.RoleAdmin)
	case needAdmin:
		return m.HasRole(roster.RoleAdmin)
	}
	return true
}

// viewer is the member making a request.
type viewer struct {
	Member roster.Member
	// SessionID is "" for a request with an API token (Bearer).
	SessionID string
	Session   access.Session
}

func (v viewer) canAck() bool   { return needAck.allows(v.Member) }
func (v viewer) canAdmin() bool { return needAdmin.allows(v.Member) }

type handler func(w http.ResponseWriter, r *http.Request, v viewer)

// page serves a GET for a logged-in member whose roles allow it. Without a
// session the browser goes to the login page (saying so when the session
// expired); a member the page is not for gets 403.
func (c *Console) page(n need, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := c.authenticate(w, r, true)
		if !ok {
			return
		}
		if !c.authorize(w, r, v, n) {
			return
		}
		h(w, r, v)
	})
}

// post serves a POST: it needs a session (not an API token) and the
// session's CSRF token in the form field "csrf"; anything else is refused
// with nothing changed.
func (c *Console) post(n need, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		v, ok := c.authenticate(w, r, false)
		if !ok {
			return
		}
		if v.SessionID == "" {
			c.errorPage(w, r, http.StatusForbidden, "API 令牌只能用于查看；修改请在浏览器中登录。", "API tokens are for GET requests; log in with a browser to change anything.")
			return
		}
		got := r.PostFormValue("csrf")
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(v.Session.CSRF)) != 1 {
			c.cfg.Log.Warn("console: POST refused: missing or wrong CSRF token", "path", r.URL.Path, "user", v.Member.UserID)
			c.errorPage(w, r, http.StatusForbidden, "请求无效（CSRF 校验失败），未做任何更改。请刷新页面后重试。", "Invalid request (CSRF check failed); nothing was changed. Reload the page and try again.")
			return
		}
		if !c.authorize(w, r, v, n) {
			return
		}
		h(w, r, v)
	})
}

// authenticate finds the member making the request: by API token
// (Authorization: Bearer, GET only) or by session cookie. It answers the
// request itself when there is none.
func (c *Console) authenticate(w http.ResponseWriter, r *http.Request, isGET bool) (viewer, bool) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !isGET {
			c.errorPage(w, r, http.StatusUnauthorized, "Authorization 头无效：只接受 GET 请求的 Bearer 令牌。", "Bad Authorization header: only Bearer tokens, for GET requests.")
			return viewer{}, false
		}
		tok, err := c.cfg.Auth.UseToken(ctx, secret)
		if err != nil {
			if !errors.Is(err, access.ErrBadToken) {
				c.serverError(w, r, "check API token", err)
				return viewer{}, false
			}
			c.errorPage(w, r, http.StatusUnauthorized, "API 令牌无效或已吊销。", "The API token is unknown or revoked.")
			return viewer{}, false
		}
		m, ok := c.member(w, r, tok.UserID)
		return viewer{Member: m}, ok
	}
	var id string
	if ck, err := r.Cookie(sessionCookie); err == nil {
		id = ck.Value
	}
	sess, err := c.cfg.Auth.Session(ctx, id)
	switch {
	case errors.Is(err, access.ErrNotFound), errors.Is(err, access.ErrExpired):
		expired := errors.Is(err, access.ErrExpired)
		if expired {
			c.clearCookie(w, r, sessionCookie)
		}
		if !isGET {
			c.errorPage(w, r, http.StatusForbidden, "未登录或登录已过期，未做任何更改。请重新登录。", "Not logged in, or the session expired; nothing was changed. Please log in again.")
			return viewer{}, false
		}
		target := "/console/login?next=" + url.QueryEscape(r.URL.RequestURI())
		if expired {
			target += "&expired=1"
		}
		if r.URL.Path == "/console/events" {
			// EventSource cannot follow a login; it just stops.
			c.errorPage(w, r, http.StatusUnauthorized, "未登录", "Not logged in")
			return viewer{}, false
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return viewer{}, false
	case err != nil:
		c.serverError(w, r, "read session", err)
		return viewer{}, false
	}
	m, ok := c.member(w, r, sess.UserID)
	return viewer{Member: m, SessionID: id, Session: sess}, ok
}

// member reads the member afresh: one who left (inactive) or is unknown
// gets 403 at once, whatever their session says.
func (c *Console) member(w http.ResponseWriter, r *http.Request, userID string) (roster.Member, bool) {
	m, err := c.cfg.Members.Member(r.Context(), userID)
	if errors.Is(err, roster.ErrNotFound) || (err == nil && !m.Active) {
		c.errorPage(w, r, http.StatusForbidden, "您的账号已停用或不是值班室成员，无法使用控制台。", "Your account is inactive or not a member of the duty office.")
		return roster.Member{}, false
	}
	if err != nil {
		c.serverError(w, r, "read member", err)
		return roster.Member{}, false
	}
	return m, true
}

func (c *Console) authorize(w http.ResponseWriter, r *http.Request, v viewer, n need) bool {
	if n.allows(v.Member) {
		return true
	}
	what := map[need][2]string{
		needView:  {"值班员、带班领导或管理员", "officers, leaders and admins"},
		needAck:   {"带班领导或管理员", "leaders and admins"},
		needAdmin: {"管理员", "admins"},
	}[n]
	c.errorPage(w, r, http.StatusForbidden, "您没有权限：此操作仅限"+what[0]+"。", "Forbidden: this is for "+what[1]+" only.")
	return false
}

// setCookie sets a console cookie: HttpOnly, SameSite=Lax, Secure over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	setCookie(w, r, name, "", -1)
}

// randomState is 16 random bytes for the OAuth state.
func randomState() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// safeNext keeps a post-login destination only when it is a console page.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console/") && !strings.HasPrefix(next, "/console/login") && !strings.Contains(next, "//") && !strings.Contains(next, `\`) {
		return next
	}
	return "/console/"
}

type loginView struct {
	Message, MessageEn string
	Expired            bool
	OAuth              bool
	Demo               []roster.Member
	Next               string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// From the WeCom workbench (its browser says wxwork), go straight
	// through OAuth.
	if c.cfg.OAuth != nil && q.Get("expired") == "" && strings.Contains(strings.ToLower(r.UserAgent()), "wxwork") {
		http.Redirect(w, r, "/console/login/wecom?next="+url.QueryEscape(safeNext(q.Get("next"))), http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, loginView{Expired: q.Get("expired") != ""})
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, lv loginView) {
	lv.OAuth = c.cfg.OAuth != nil
	lv.Next = safeNext(r.FormValue("next"))
	if c.cfg.DemoLogin && lv.OAuth {
		ms, err := c.cfg.Members.Members(r.Context())
		if err != nil {
			c.serverError(w, r, "list members", err)
			return
		}
		for _, m := range ms {
			if m.Active && needView.allows(m) {
				lv.Demo = append(lv.Demo, m)
			}
		}
	}
	c.render(w, r, status, "login", pageData{Title: "登录", Data: lv})
}

// loginToken logs in with an admin API token (form field "token"). A login
// form posted from another site is refused (its Origin differs).
func (c *Console) loginToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			c.errorPage(w, r, http.StatusForbidden, "登录请求来自其他网站，已拒绝。", "Login form posted from another site; refused.")
			return
		}
	}
	tok, err := c.cfg.Auth.UseToken(r.Context(), r.PostFormValue("token"))
	if errors.Is(err, access.ErrBadToken) {
		c.cfg.Log.Warn("console: login with an unknown or revoked token", "remote", r.RemoteAddr)
		c.renderLogin(w, r, http.StatusUnauthorized, loginView{Message: "令牌无效或已吊销。", MessageEn: "The token is unknown or revoked."})
		return
	}
	if err != nil {
		c.serverError(w, r, "check API token", err)
		return
	}
	c.startSession(w, r, tok.UserID, access.ViaToken, r.PostFormValue("next"))
}

// startSession logs userID in, if they are an active member with a role.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, userID, via, next string) {
	m, ok := c.member(w, r, userID)
	if !ok {
		return
	}
	if !c.authorize(w, r, viewer{Member: m}, needView) {
		return
	}
	id, _, err := c.cfg.Auth.CreateSession(r.Context(), userID, via)
	if err != nil {
		c.serverError(w, r, "create session", err)
		return
	}
	c.cfg.Log.Info("console login", "user", userID, "via", via)
	setCookie(w, r, sessionCookie, id, int(access.SessionTTL.Seconds()))
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// loginWeCom starts WeCom OAuth: a state cookie, then WeCom's authorize
// page. In the demo, "as" names the member the fake WeCom logs in.
func (c *Console) loginWeCom(w http.ResponseWriter, r *http.Request) {
	if c.cfg.OAuth == nil {
		c.renderLogin(w, r, http.StatusNotFound, loginView{Message: "未配置企业微信，请使用 API 令牌登录。", MessageEn: "WeCom is not configured; log in with an API token."})
		return
	}
	state, err := randomState()
	if err != nil {
		c.serverError(w, r, "oauth state", err)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	setCookie(w, r, stateCookie, state+"|"+next, 600)
	target := c.cfg.OAuth.AuthorizeURL(c.cfg.AuthorizeBase, c.baseURL(r)+"/console/oauth/callback", state)
	if as := r.URL.Query().Get("as"); as != "" && c.cfg.DemoLogin {
		target = strings.Replace(target, "#wechat_redirect", "&userid="+url.QueryEscape(as)+"#wechat_redirect", 1)
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// baseURL is where browsers reach dutybot: http.public_url, or the host
// this request came to.
func (c *Console) baseURL(r *http.Request) string {
	if c.cfg.PublicURL != "" {
		return strings.TrimRight(c.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// oauthCallback finishes WeCom OAuth: the state must match the cookie set
// when it started, and the code gives the member's userid.
func (c *Console) oauthCallback(w http.ResponseWriter, r *http.Request) {
	if c.cfg.OAuth == nil {
		c.errorPage(w, r, http.StatusNotFound, "未配置企业微信登录。", "WeCom login is not configured.")
		return
	}
	q := r.URL.Query()
	ck, err := r.Cookie(stateCookie)
	var state, next string
	if err == nil {
		state, next, _ = strings.Cut(ck.Value, "|")
	}
	c.clearCookie(w, r, stateCookie)
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(q.Get("state"))) != 1 {
		c.renderLogin(w, r, http.StatusBadRequest, loginView{Message: "登录请求已失效或不是从本页发起，请重新登录。", MessageEn: "The login request expired or did not start here; please try again."})
		return
	}
	code := q.Get("code")
	if code == "" {
		c.renderLogin(w, r, http.StatusBadRequest, loginView{Message: "企业微信未返回授权码，请重试。", MessageEn: "WeCom returned no code; please try again."})
		return
	}
	userID, err := c.cfg.OAuth.UserID(r.Context(), code)
	if err != nil {
		c.cfg.Log.Warn("console: WeCom OAuth code refused", "err", err)
		c.renderLogin(w, r, http.StatusUnauthorized, loginView{Message: "企业微信登录失败（授权码无效或已过期），请重试。", MessageEn: "WeCom login failed (the code is invalid or expired); please try again."})
		return
	}
	c.startSession(w, r, userID, access.ViaWeCom, next)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, v viewer) {
	if err := c.cfg.Auth.DeleteSession(r.Context(), v.SessionID); err != nil {
		c.serverError(w, r, "delete session", err)
		return
	}
	c.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
