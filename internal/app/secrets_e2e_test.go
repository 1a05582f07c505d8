package app

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/push"
)

// lockedBuffer is a log sink many goroutines write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tokenSpy stands between dutybot and the fake WeCom: it remembers every
// access token the fake issues, and can drop the connection of the next
// requests to a path, so that the client's transport error (whose text
// holds the request URL, with corpsecret or access_token in it) is logged.
type tokenSpy struct {
	next http.Handler

	mu     sync.Mutex
	tokens []string
	drop   map[string]int
}

func (s *tokenSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	drop := s.drop[r.URL.Path] > 0
	if drop {
		s.drop[r.URL.Path]--
	}
	s.mu.Unlock()
	if drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	if r.URL.Path != "/cgi-bin/gettoken" {
		s.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, r)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) == nil && body.AccessToken != "" {
		s.mu.Lock()
		s.tokens = append(s.tokens, body.AccessToken)
		s.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (s *tokenSpy) dropNext(path string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop[path] += n
}

// pending is how many dropped requests are still to come.
func (s *tokenSpy) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.drop {
		n += v
	}
	return n
}

func (s *tokenSpy) issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// newSecretsE2E is newE2EOpts with the log at DEBUG level into buf (and
// the test log with -v) and the fake WeCom behind a tokenSpy.
func newSecretsE2E(t *testing.T, buf io.Writer, opts ...Option) (*e2e, *tokenSpy) {
	t.Helper()
	var spy *tokenSpy
	e := prepareE2E(t, "", opts, func(fake http.Handler) http.Handler {
		spy = &tokenSpy{next: fake, drop: map[string]int{}}
		return spy
	})
	e.cfg.Log.Level = "debug"
	e.logTo = buf
	e.start()
	return e, spy
}

// TestE2ESecretsNeverLogged drives the flows that handle secrets — help,
// forged callbacks, pairing phones (right and wrong codes), acknowledging
// from a phone (right and wrong credentials) and by a signed link, a test
// alert with its card and push, an access token that expires, and WeCom
// dropping the connection mid-request — with the log at DEBUG, then looks
// for every secret in it: the app secret, callback token and AES key, the
// access tokens WeCom issued, pairing codes, device secrets (and a wrong
// one a client sent), the ack-link key and the ack links themselves.
func TestE2ESecretsNeverLogged(t *testing.T) {
	var logBuf lockedBuffer
	phone := &phoneSender{}
	e, spy := newSecretsE2E(t, &logBuf, WithPushSenders(map[push.Platform]push.Sender{push.IOS: phone}))

	// Help.
	wantAll(t, e.mbSay("zhangsan", "帮助").Content, "帮助 / help")

	// Forged callbacks: a GET verification and a POST with a wrong signature.
	q, err := e.signer.VerifyURLQuery("echo-42", e.clock.Now(), "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	if got := e.raw(http.MethodGet, q, nil); got != http.StatusUnauthorized {
		t.Fatalf("forged GET = %d, want 401", got)
	}
	q, body, err := e.signer.Envelope(e.text("zhangsan", "帮助"), e.clock.Now(), wecomtest.NewNonce())
	if err != nil {
		t.Fatal(err)
	}
	q.Set("msg_signature", strings.Repeat("f", 40))
	if got := e.raw(http.MethodPost, q, body); got != http.StatusUnauthorized {
		t.Fatalf("forged POST = %d, want 401", got)
	}

	// Pairing: both members pair an iPhone; a wrong code is refused.
	var codes, deviceSecrets []string
	devices := map[string]string{} // userid → "Device id:secret"
	for i, user := range []string{"zhangsan", "boss"} {
		m := devCodeRE.FindStringSubmatch(e.mbSay(user, "绑定手机").Content)
		if m == nil {
			t.Fatalf("no pairing code for %s", user)
		}
		codes = append(codes, m[1])
		status, body := e.devPair(fmt.Sprintf(`{"code":%q,"platform":"ios","token":%q,"topic":"cn.gov.dutybot"}`,
			m[1], strings.Repeat(fmt.Sprintf("%02x", i+1), 32)))
		if status != http.StatusCreated {
			t.Fatalf("pairing %s: %d %v", user, status, body)
		}
		secret := body["secret"].(string)
		deviceSecrets = append(deviceSecrets, secret)
		devices[user] = fmt.Sprintf("Device %d:%s", int64(body["device_id"].(float64)), secret)
	}
	wrongCode := "000000"
	if codes[0] == wrongCode || codes[1] == wrongCode {
		wrongCode = "000001"
	}
	if status, _ := e.devPair(`{"code":"` + wrongCode + `","platform":"ios","token":"` + strings.Repeat("ab", 32) + `"}`); status != http.StatusForbidden {
		t.Fatalf("wrong pairing code = %d, want 403", status)
	}

	// A test alert: a card to the admin and a push with a signed link.
	n := len(e.fake.SentTo("boss"))
	e.post(e.text("boss", "告警 测试"))
	e.waitSent("boss", n+2) // the command's reply and the alert card
	pushes := waitPushes(t, phone, 1)
	link, err := url.Parse(pushes[0].AckURL)
	if err != nil {
		t.Fatal(err)
	}
	linkToken := strings.TrimPrefix(link.Path, "/ack/")
	if code, page := ackPage(t, e, http.MethodGet, link.Path); code != http.StatusOK || !strings.Contains(page, "<button") {
		t.Fatalf("GET %s = %d %s", link.Path, code, page)
	}
	if code, _ := ackPage(t, e, http.MethodPost, "/ack/"+linkToken[:len(linkToken)-4]+"AAAA"); code != http.StatusForbidden {
		t.Fatalf("tampered link = %d, want 403", code)
	}
	if code, page := ackPage(t, e, http.MethodPost, link.Path); code != http.StatusOK || !strings.Contains(page, "已确认") {
		t.Fatalf("POST %s = %d %s", link.Path, code, page)
	}

	// A second alert, acknowledged from the phone: first with a wrong
	// secret (as a client with a stale or mistyped one would send), then
	// with the right one.
	e.post(e.text("boss", "告警 测试"))
	pushes = waitPushes(t, phone, 2)
	id, _, _ := strings.Cut(strings.TrimPrefix(devices["boss"], "Device "), ":")
	wrongSecret := "wrong-" + deviceSecrets[1][6:]
	if code := phoneAck(t, e, "Device "+id+":"+wrongSecret, pushes[1].EscalationID); code != http.StatusUnauthorized {
		t.Fatalf("ack with a wrong secret = %d, want 401", code)
	}
	if code := phoneAck(t, e, devices["boss"], pushes[1].EscalationID); code != http.StatusOK {
		t.Fatalf("ack from the phone = %d, want 200", code)
	}

	// The access token expires: the next reply fetches a new one.
	e.fake.ExpireTokens()
	wantAll(t, e.mbSay("zhangsan", "我是谁").Content, "张三")

	// WeCom drops the connection of a token request and of a send: the
	// transport errors (which carry the request URL) are logged, the reply
	// is retried and arrives.
	for _, path := range []string{"/cgi-bin/gettoken", "/cgi-bin/message/send"} {
		e.fake.ExpireTokens()
		// Twice: Go's transport itself retries a GET once when a reused
		// connection closes before the answer.
		spy.dropNext(path, 2)
		n = len(e.fake.SentTo("zhangsan"))
		failures := strings.Count(logBuf.String(), "will retry")
		if code := e.post(e.text("zhangsan", "我是谁")); code != http.StatusOK {
			t.Fatalf("callback = %d", code)
		}
		waitSentAdvancing(t, e, "zhangsan", n+1)
		if spy.pending() != 0 || strings.Count(logBuf.String(), "will retry") == failures {
			t.Fatalf("dropping %s: %d drop(s) pending, no new send failure in the log", path, spy.pending())
		}
	}
	e.stop()

	tokens := spy.issued()
	if len(tokens) < 2 {
		t.Fatalf("WeCom issued %d access tokens, want at least 2 (one before and one after expiry)", len(tokens))
	}
	ackKey, err := os.ReadFile(filepath.Join(filepath.Dir(e.cfg.DB), "ack.key"))
	if err != nil {
		t.Fatal(err)
	}

	logs := logBuf.String()
	if !strings.Contains(logs, "level=DEBUG") && !strings.Contains(logs, "level=INFO") {
		t.Fatalf("the log is nearly empty:\n%s", logs)
	}
	secrets := map[string]string{
		"WeCom app secret":     e2eSecret,
		"WeCom callback token": e2eToken,
		"WeCom AES key":        e2eAESKey,
		"wrong device secret":  wrongSecret,
	}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("access token %d", i+1)] = tok
	}
	for i, s := range deviceSecrets {
		secrets[fmt.Sprintf("device secret %d", i+1)] = s
	}
	for i, p := range pushes {
		_, sig, _ := strings.Cut(strings.TrimPrefix(mustURL(t, p.AckURL).Path, "/ack/"), ".")
		secrets[fmt.Sprintf("ack link signature %d", i+1)] = sig
	}
	for name, enc := range map[string]string{
		"hex": hex.EncodeToString(ackKey), "base64": base64.StdEncoding.EncodeToString(ackKey),
		"base64url": base64.RawURLEncoding.EncodeToString(ackKey), "raw": string(ackKey),
	} {
		secrets["ack-link key ("+name+")"] = enc
	}
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains the %s %q:\n%s", name, s, linesWith(logs, s))
		}
	}
	for i, code := range codes {
		// A code is 6 digits: look for it as a number on its own, not inside
		// a longer one or a fraction (durations).
		re := regexp.MustCompile(`(^|[^0-9.])` + code + `($|[^0-9])`)
		if loc := re.FindStringIndex(logs); loc != nil {
			t.Errorf("the log contains pairing code %d %s:\n%s", i+1, code, linesWith(logs, code))
		}
	}
}

func waitPushes(t *testing.T, p *phoneSender, n int) []push.Notification {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := p.all()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d push(es), want %d", len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitSentAdvancing waits for n messages to user, moving the fake clock on
// a second at a time so that the outbox's retries come due.
func waitSentAdvancing(t *testing.T, e *e2e, user string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.fake.SentTo(user)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d message(s) to %s, want %d", len(e.fake.SentTo(user)), user, n)
		}
		time.Sleep(20 * time.Millisecond)
		e.clock.Advance(time.Second)
	}
}

func ackPage(t *testing.T, e *e2e, method, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func phoneAck(t *testing.T, e *e2e, auth, escalationID string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/acks", strings.NewReader(`{"escalation_id":"`+escalationID+`"}`))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// linesWith is the log lines holding s, for the failure message.
func linesWith(logs, s string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
