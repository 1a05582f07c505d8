package console_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dutybot/handlers/console"
	"dutybot/handlers/console/consoletest"
	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// start is 09:00 on Monday 2026-11-23 in Shanghai.
var start = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

type env struct {
	t      *testing.T
	clk    *clock.Fake
	db     *roster.SQLStore
	auth   *access.SQLStore
	duty   *duty.SQLStore
	push   *push.SQLStore
	con    *console.Console
	srv    *httptest.Server
	oauth  *fakeOAuth
	tokens map[string]string // userid → API token
}

var members = []roster.Member{
	{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
	{UserID: "zhaoliu", Name: "赵六", Roles: []roster.Role{roster.RoleAdmin, roster.RoleOfficer}, Active: true},
	{UserID: "norole", Name: "无角色", Active: true},
}

// storeAcker acknowledges straight in the store (the engine's own tests
// cover the rest of an acknowledgement).
type storeAcker struct {
	s   *push.SQLStore
	clk clock.Clock
}

func (a storeAcker) Ack(ctx context.Context, id, userID, via string) (push.Escalation, bool, error) {
	return a.s.AckEscalation(ctx, id, userID, via, a.clk.Now())
}

// fakeOAuth answers codes it was told about.
type fakeOAuth struct{ codes map[string]string }

func (f *fakeOAuth) AuthorizeURL(base, redirect, state string) string {
	return base + "?redirect_uri=" + url.QueryEscape(redirect) + "&state=" + state + "#wechat_redirect"
}

func (f *fakeOAuth) UserID(_ context.Context, code string) (string, error) {
	id, ok := f.codes[code]
	if !ok {
		return "", errors.New("errcode 40029 invalid code")
	}
	delete(f.codes, code)
	return id, nil
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(start)
	db, err := roster.OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range members {
		if err := db.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	today := roster.NewDate(2026, 11, 23)
	as := []roster.Assignment{
		{Date: today, Shift: "白班", Role: roster.RoleOfficer, UserID: "zhangsan", Source: roster.SourceManual},
		{Date: today, Shift: "白班", Role: roster.RoleLeader, UserID: "wangwu", Source: roster.SourceManual},
		{Date: today, Shift: "夜班", Role: roster.RoleOfficer, UserID: "lisi", Source: roster.SourceManual},
	}
	slots := []roster.Slot{{Date: today, Shift: "白班"}, {Date: today, Shift: "夜班"}}
	if err := db.ReplaceSlots(ctx, slots, as, roster.AuditEntry{Actor: "test", Action: "排班 设置"}); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clk: clk, db: db, auth: access.NewSQLStore(db, clk), duty: duty.NewSQLStore(db, clk),
		push: push.NewSQLStore(db, clk), oauth: &fakeOAuth{codes: map[string]string{}}, tokens: map[string]string{}}
	e.con = console.New(console.Config{
		Members: db, Schedule: db, Checkins: e.duty, Escalations: e.push, Acker: storeAcker{e.push, clk},
		Auth: e.auth, OAuth: e.oauth, AuthorizeBase: "https://wecom.example/authorize",
		Settings: roster.DefaultSettings(), Location: shanghai, Clock: clk,
		Log: slog.New(slog.DiscardHandler), Refresh: 5 * time.Second,
	})
	mux := http.NewServeMux()
	mux.Handle("/console/", e.con)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.con.Shutdown)
	for _, m := range members {
		secret, _, err := e.auth.CreateToken(ctx, m.UserID, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[m.UserID] = secret
	}
	return e
}

// client is a browser: a cookie jar, redirects followed.
func (e *env) client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// login logs userID in with their token and returns the browser.
func (e *env) login(userID string) *http.Client {
	e.t.Helper()
	c := e.client()
	resp, body := e.do(c, "POST", "/console/login", url.Values{"token": {e.tokens[userID]}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/" {
		e.t.Fatalf("login %s: %s at %s\n%s", userID, resp.Status, resp.Request.URL, body)
	}
	return c
}

func (e *env) do(c *http.Client, method, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	return consoletest.Do(e.t, c, e.srv.URL, method, path, form)
}

// csrf reads the CSRF token from the board page.
func (e *env) csrf(c *http.Client) string {
	e.t.Helper()
	_, body := e.do(c, "GET", "/console/", nil)
	m := consoletest.CSRF.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no csrf token on the board:\n%s", body)
	}
	return m[1]
}

// raise stores an open escalation and returns its id.
func (e *env) raise(title string) string {
	e.t.Helper()
	esc := push.Escalation{Kind: push.KindTest, Subject: "test/" + title, Title: title, Urgency: push.TimeSensitive,
		Policy: push.DefaultPolicies()[push.KindTest], Status: push.StatusOpen, NextAt: e.clk.Now().Add(5 * time.Minute), CreatedAt: e.clk.Now()}
	if err := e.push.CreateEscalation(context.Background(), &esc); err != nil {
		e.t.Fatal(err)
	}
	return esc.ID
}

func TestPagesByRole(t *testing.T) {
	e := newEnv(t)
	pages := []string{"/console/", "/console/board", "/console/reports", "/console/roster", "/console/stats", "/console/deliveries"}
	want := map[string][]int{
		"zhangsan": {200, 200, 200, 200, 403, 403},
		"wangwu":   {200, 200, 200, 200, 403, 403},
		"zhaoliu":  {200, 200, 200, 200, 200, 200},
		"norole":   {403, 403, 403, 403, 403, 403},
	}
	for user, codes := range want {
		var c *http.Client
		if user == "norole" {
			// A member with no role cannot even log in; try with a token.
			c = &http.Client{Transport: bearer{e.tokens[user]}}
		} else {
			c = e.login(user)
		}
		for i, p := range pages {
			resp, body := e.do(c, "GET", p, nil)
			if resp.StatusCode != codes[i] {
				t.Errorf("%s GET %s: %d, want %d", user, p, resp.StatusCode, codes[i])
			}
			if resp.StatusCode == 403 && (!strings.Contains(body, "您没有权限") && !strings.Contains(body, "停用")) {
				t.Errorf("%s GET %s: 403 without a Chinese explanation:\n%s", user, p, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s GET %s: Cache-Control %q, want no-store", user, p, cc)
			}
		}
	}
}

// bearer adds an API token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestBoardWithoutJavaScriptShowsRoster(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, _, err := e.duty.AddCheckin(ctx, duty.Checkin{Date: roster.NewDate(2026, 11, 23), Shift: "白班", UserID: "zhangsan",
		Role: roster.RoleOfficer, At: start.Add(-40 * time.Minute), Status: duty.CheckinEarly, Via: duty.ViaChat}); err != nil {
		t.Fatal(err)
	}
	id := e.raise("夜班空岗：李四未签到")
	c := &http.Client{Transport: bearer{e.tokens["zhangsan"]}}
	resp, body := e.do(c, "GET", "/console/", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("board: %s", resp.Status)
	}
	for _, want := range []string{
		`<table id="duty-board">`,
		`<tr data-member="zhangsan" data-shift="白班" data-checked-in="yes"`,
		`<tr data-member="wangwu" data-shift="白班" data-checked-in="no"`,
		`<tr data-member="lisi" data-shift="夜班" data-checked-in="no"`,
		`张三`, `王五`, `李四`, `已签到 08:20`,
		`<table id="week-board">`,
		`<section id="escalations"`,
		`<li data-escalation="` + id + `">`,
		`<span class="countdown" data-deadline="2026-11-23T01:05:00Z">5 分钟</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("board lacks %s", want)
		}
	}
	// An officer gets no ack button; a bearer has no session, so no form.
	if strings.Contains(body, "data-ack=") {
		t.Error("officer's board has an ack button")
	}
	_, body = e.do(e.login("wangwu"), "GET", "/console/", nil)
	if !strings.Contains(body, `data-ack="`+id+`"`) {
		t.Error("leader's board has no ack button")
	}
}

func TestAck(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	leader, officer := e.login("wangwu"), e.login("zhangsan")
	leaderCSRF, officerCSRF := e.csrf(leader), e.csrf(officer)
	id := e.raise("测试告警")
	open := func() bool {
		esc, err := e.push.Escalation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return esc.Status == push.StatusOpen
	}
	for _, tc := range []struct {
		name   string
		c      *http.Client
		path   string
		form   url.Values
		status int
	}{
		{"no csrf", leader, "/console/escalations/" + id + "/ack", url.Values{}, 403},
		{"another session's csrf", leader, "/console/escalations/" + id + "/ack", url.Values{"csrf": {officerCSRF}}, 403},
		{"no session", e.client(), "/console/escalations/" + id + "/ack", url.Values{"csrf": {leaderCSRF}}, 403},
		{"api token", &http.Client{Transport: bearer{e.tokens["wangwu"]}}, "/console/escalations/" + id + "/ack", url.Values{"csrf": {leaderCSRF}}, 401},
		{"officer", officer, "/console/escalations/" + id + "/ack", url.Values{"csrf": {officerCSRF}}, 403},
		{"unknown escalation", leader, "/console/escalations/E0000-999/ack", url.Values{"csrf": {leaderCSRF}}, 404},
	} {
		resp, body := e.do(tc.c, "POST", tc.path, tc.form)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %s, want %d\n%s", tc.name, resp.Status, tc.status, body)
		}
		if !open() {
			t.Fatalf("%s: the escalation was acknowledged", tc.name)
		}
	}
	resp, body := e.do(leader, "POST", "/console/escalations/"+id+"/ack", url.Values{"csrf": {leaderCSRF}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/console/" || strings.Contains(body, `data-escalation="`+id+`"`) {
		t.Fatalf("ack: %s at %s; escalation still listed: %v", resp.Status, resp.Request.URL, strings.Contains(body, id))
	}
	esc, err := e.push.Escalation(ctx, id)
	if err != nil || esc.AckedBy != "wangwu" || esc.AckedVia != "console" {
		t.Fatalf("after ack: %+v, %v", esc, err)
	}
	resp, body = e.do(leader, "POST", "/console/escalations/"+id+"/ack", url.Values{"csrf": {leaderCSRF}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "已由 wangwu") {
		t.Fatalf("second ack: %s\n%s", resp.Status, body)
	}
}

func TestSessionExpiresAfterEightHours(t *testing.T) {
	e := newEnv(t)
	c := e.login("zhangsan")
	e.clk.Advance(access.SessionTTL)
	resp, body := e.do(c, "GET", "/console/reports", nil)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/console/login" || !strings.Contains(body, `id="session-expired"`) {
		t.Fatalf("expired session: %s at %s\n%s", resp.Status, resp.Request.URL, body)
	}
	if got := resp.Request.URL.Query().Get("next"); got != "/console/reports" {
		t.Errorf("next = %q", got)
	}
	// Logging in again goes back where the member was.
	resp, _ = e.do(c, "POST", "/console/login", url.Values{"token": {e.tokens["zhangsan"]}, "next": {"/console/reports"}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/console/reports" {
		t.Fatalf("login again: %s at %s", resp.Status, resp.Request.URL)
	}
}

func TestRoleReadOnEveryRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.login("zhaoliu")
	if resp, _ := e.do(c, "GET", "/console/stats", nil); resp.StatusCode != 200 {
		t.Fatalf("admin stats: %s", resp.Status)
	}
	m := members[3]
	m.Roles = []roster.Role{roster.RoleOfficer}
	if err := e.db.UpsertMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.do(c, "GET", "/console/stats", nil); resp.StatusCode != 403 {
		t.Fatalf("stats after losing admin: %s, want 403", resp.Status)
	}
	m.Active = false
	if err := e.db.UpsertMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(c, "GET", "/console/", nil)
	if resp.StatusCode != 403 || !strings.Contains(body, "停用") {
		t.Fatalf("board after leaving: %s\n%s", resp.Status, body)
	}
}

func TestTokenLogin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	resp, body := e.do(c, "POST", "/console/login", url.Values{"token": {"dbt_forged"}})
	if resp.StatusCode != 401 || !strings.Contains(body, "令牌无效") {
		t.Fatalf("forged token: %s\n%s", resp.Status, body)
	}
	c = e.login("wangwu")
	// A revoked token no longer logs in nor reads.
	toks, err := e.auth.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.UserID == "wangwu" {
			if _, err := e.auth.RevokeToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	resp, _ = e.do(e.client(), "POST", "/console/login", url.Values{"token": {e.tokens["wangwu"]}})
	if resp.StatusCode != 401 {
		t.Fatalf("revoked token login: %s", resp.Status)
	}
	resp, _ = e.do(&http.Client{Transport: bearer{e.tokens["wangwu"]}}, "GET", "/console/", nil)
	if resp.StatusCode != 401 {
		t.Fatalf("revoked token bearer: %s", resp.Status)
	}
	// The session made before the token was revoked lives on (8 h at most).
	if resp, _ := e.do(c, "GET", "/console/", nil); resp.StatusCode != 200 {
		t.Fatalf("session after revoking its token: %s", resp.Status)
	}
	// A login form posted from another site is refused.
	req, _ := http.NewRequest("POST", e.srv.URL+"/console/login", strings.NewReader(url.Values{"token": {e.tokens["zhangsan"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 403 {
		t.Fatalf("cross-site login: %s", r2.Status)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	e := newEnv(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := e.do(noFollow, "POST", "/console/login", url.Values{"token": {e.tokens["zhangsan"]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %s", resp.Status)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "dutybot_console" {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/console/" || ck.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/console/, not Secure over plain HTTP", ck)
	}
	if strings.Contains(resp.Header.Get("Set-Cookie"), e.tokens["zhangsan"]) {
		t.Fatal("the API token is in the cookie")
	}
}

func TestOAuthLogin(t *testing.T) {
	e := newEnv(t)
	noFollow := e.client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := e.do(noFollow, "GET", "/console/login/wecom?next=/console/reports", nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "wecom.example" {
		t.Fatalf("start: %s to %s", resp.Status, resp.Header.Get("Location"))
	}
	state := loc.Query().Get("state")
	if redirect := loc.Query().Get("redirect_uri"); redirect != e.srv.URL+"/console/oauth/callback" {
		t.Fatalf("redirect_uri %s", redirect)
	}
	// A forged state (login CSRF) is refused.
	e.oauth.codes["c1"] = "zhangsan"
	resp, body := e.do(noFollow, "GET", "/console/oauth/callback?code=c1&state=forged", nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "登录请求已失效") {
		t.Fatalf("forged state: %s\n%s", resp.Status, body)
	}
	// The state cookie is used up: start again.
	resp, _ = e.do(noFollow, "GET", "/console/login/wecom?next=/console/reports", nil)
	loc, _ = url.Parse(resp.Header.Get("Location"))
	state = loc.Query().Get("state")
	resp, body = e.do(noFollow, "GET", "/console/oauth/callback?code=bad&state="+state, nil)
	if resp.StatusCode != 401 {
		t.Fatalf("bad code: %s\n%s", resp.Status, body)
	}
	resp, _ = e.do(noFollow, "GET", "/console/login/wecom?next=/console/reports", nil)
	loc, _ = url.Parse(resp.Header.Get("Location"))
	state = loc.Query().Get("state")
	resp, _ = e.do(noFollow, "GET", "/console/oauth/callback?code=c1&state="+state, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/reports" {
		t.Fatalf("callback: %s to %s", resp.Status, resp.Header.Get("Location"))
	}
	resp, body = e.do(noFollow, "GET", "/console/reports", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "张三") {
		t.Fatalf("after OAuth: %s", resp.Status)
	}
	// A member with no role cannot log in through WeCom either.
	resp, _ = e.do(noFollow, "GET", "/console/login/wecom", nil)
	loc, _ = url.Parse(resp.Header.Get("Location"))
	e.oauth.codes["c2"] = "norole"
	resp, _ = e.do(e.client(), "GET", "/console/oauth/callback?code=c2&state="+loc.Query().Get("state"), nil)
	if resp.StatusCode != 400 && resp.StatusCode != 403 {
		t.Fatalf("no-role member via OAuth: %s", resp.Status)
	}
}

func TestWorkbenchGoesStraightToOAuth(t *testing.T) {
	e := newEnv(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", e.srv.URL+"/console/login", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone) wxwork/4.1.0 MicroMessenger/7.0.1")
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login/wecom") {
		t.Fatalf("workbench login: %s to %s", resp.Status, resp.Header.Get("Location"))
	}
}
