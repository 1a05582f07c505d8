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

	"dutybot/push"
)

// consoleGet fetches a console page with the browser c.
func (e *e2e) consoleDo(c *http.Client, method, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var (
	fakeUserLink = regexp.MustCompile(`data-fake-user="boss" href="([^"]+)"`)
	consoleCSRF  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
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
	csrf := consoleCSRF.FindStringSubmatch(body)
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
