package app

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dutybot/handlers/console/consoletest"
	"dutybot/push"
	"dutybot/roster"
)

// consoleDo sends a console request with the browser c.
func (e *e2e) consoleDo(c *http.Client, method, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	return consoletest.Do(e.t, c, e.srv.URL, method, path, form)
}

var (
	fakeUserLink = regexp.MustCompile(`data-fake-user="boss" href="([^"]+)"`)
)

// TestE2EConsoleOAuthAndAck logs the admin into the console through the
// fake WeCom's OAuth, sees a test alert on the board and acknowledges it
// there: the engine records it as acknowledged from the console.
func TestE2EConsoleOAuthAndAck(t *testing.T) {
	e := newE2E(t, "")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}

	// Not logged in: the board sends the browser to the login page.
	resp, body := e.consoleDo(browser, "GET", "/console/", nil)
	if resp.Request.URL.Path != "/console/login" || !strings.Contains(body, `id="login-wecom"`) {
		t.Fatalf("board without a session ended at %s:\n%s", resp.Request.URL, body)
	}
	// The fake WeCom's authorize page lists its members to pick from.
	resp, body = e.consoleDo(browser, "GET", "/console/login/wecom", nil)
	m := fakeUserLink.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("authorize page: %s\n%s", resp.Status, body)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = browser.Get(resp.Request.URL.ResolveReference(link).String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body = string(b)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/console/" || !strings.Contains(body, `<table id="duty-board">`) {
		t.Fatalf("after OAuth: %s at %s\n%s", resp.Status, resp.Request.URL, body)
	}
	if e.fake.Calls("auth/getuserinfo") != 1 {
		t.Fatalf("auth/getuserinfo called %d times", e.fake.Calls("auth/getuserinfo"))
	}

	e.say("boss", "告警 测试")
	open, err := e.app.Escalations.OpenEscalations(context.Background())
	if err != nil || len(open) != 1 {
		t.Fatalf("open escalations %+v, %v", open, err)
	}
	id := open[0].ID
	_, body = e.consoleDo(browser, "GET", "/console/", nil)
	csrf := consoletest.CSRF.FindStringSubmatch(body)
	if !strings.Contains(body, `<li data-escalation="`+id+`">`) || !strings.Contains(body, `data-ack="`+id+`"`) || csrf == nil {
		t.Fatalf("board lacks escalation %s with its ack button:\n%s", id, body)
	}
	resp, _ = e.consoleDo(browser, "POST", "/console/escalations/"+id+"/ack", url.Values{"csrf": {csrf[1]}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/console/" {
		t.Fatalf("ack: %s at %s", resp.Status, resp.Request.URL)
	}
	esc, err := e.app.Escalations.Escalation(context.Background(), id)
	if err != nil || esc.Status != push.StatusAcked || esc.AckedBy != "boss" || esc.AckedVia != "console" {
		t.Fatalf("escalation after the console ack: %+v, %v", esc, err)
	}
}

// TestE2EConsoleRosterAndAdminPages edits the roster from the console as
// the chat command does (audit entry, conflict check) and opens the admin
// pages over the real stores.
func TestE2EConsoleRosterAndAdminPages(t *testing.T) {
	e := newE2E(t, "")
	ctx := context.Background()
	admin := e.consoleLogin("boss")
	officer := e.consoleLogin("zhangsan")

	_, body := e.consoleDo(admin, "GET", "/console/roster", nil)
	csrf := consoletest.CSRF.FindStringSubmatch(body)
	if csrf == nil || !strings.Contains(body, `id="roster-edit"`) {
		t.Fatalf("admin's roster page has no edit form:\n%s", body)
	}
	_, body = e.consoleDo(officer, "GET", "/console/roster", nil)
	officerCSRF := consoletest.CSRF.FindStringSubmatch(body)
	if strings.Contains(body, `id="roster-edit"`) || officerCSRF == nil {
		t.Fatal("officer's roster page has an edit form")
	}
	edit := func(c *http.Client, csrf, names string) (*http.Response, string) {
		return e.consoleDo(c, "POST", "/console/roster", url.Values{"csrf": {csrf}, "date": {"2026-11-24"}, "shift": {"白班"},
			"op": {"set"}, "role": {"officer"}, "names": {names}})
	}
	audits := func() int {
		as, err := e.app.Store.Audit(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	before := audits()
	if resp, _ := edit(officer, officerCSRF[1], "张三"); resp.StatusCode != 403 {
		t.Fatalf("officer edits the roster: %s", resp.Status)
	}
	if resp, body := edit(admin, csrf[1], "查无此人"); resp.StatusCode != 400 || !strings.Contains(body, `id="roster-error"`) {
		t.Fatalf("unknown name: %s\n%s", resp.Status, body)
	}
	if audits() != before {
		t.Fatal("a refused edit wrote an audit entry")
	}
	resp, body := edit(admin, csrf[1], "张三")
	if resp.StatusCode != 200 || !strings.Contains(body, "已更新") || !strings.Contains(body, "排班检查") {
		t.Fatalf("edit: %s\n%s", resp.Status, body)
	}
	as, err := e.app.Store.Assignments(ctx, roster.NewDate(2026, 11, 24), roster.NewDate(2026, 11, 24))
	if err != nil || len(as) != 1 || as[0].UserID != "zhangsan" || as[0].Shift != "白班" {
		t.Fatalf("assignments after the edit: %+v, %v", as, err)
	}
	entries, err := e.app.Store.Audit(ctx, 1)
	if err != nil || entries[0].Actor != "boss" || entries[0].Action != "排班 设置" {
		t.Fatalf("audit: %+v, %v", entries, err)
	}

	for _, p := range []string{"/console/stats", "/console/stats?month=2026-10", "/console/stats/chart.png", "/console/deliveries", "/console/reports"} {
		if resp, body := e.consoleDo(admin, "GET", p, nil); resp.StatusCode != 200 {
			t.Errorf("GET %s: %s\n%s", p, resp.Status, body)
		}
	}
	if resp, _ := e.consoleDo(admin, "GET", "/console/stats?month=13", nil); resp.StatusCode != 400 {
		t.Errorf("bad month: %s", resp.Status)
	}
}

// consoleLogin logs userID in with a fresh API token.
func (e *e2e) consoleLogin(userID string) *http.Client {
	e.t.Helper()
	secret, _, err := e.app.Access.CreateToken(context.Background(), userID, "e2e")
	if err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if resp, body := e.consoleDo(c, "POST", "/console/login", url.Values{"token": {secret}}); resp.Request.URL.Path != "/console/" {
		e.t.Fatalf("login %s: %s at %s\n%s", userID, resp.Status, resp.Request.URL, body)
	}
	return c
}
