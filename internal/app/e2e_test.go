package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/configs"
	"dutybot/internal/clock"
	"dutybot/roster"
)

// The end-to-end tests start the real server (store on disk, routes,
// workers) and drive it as WeCom does: signed, encrypted callbacks in,
// messages out to a local fake WeCom API.

const (
	e2eCorp   = "ww2f6e1c9a0b3d4e5f"
	e2eAgent  = 1000002
	e2eSecret = "e2e-corp-secret"
	e2eToken  = "E2eToken2026"
	e2eAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

var e2eStart = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai

type e2e struct {
	t      testing.TB
	cfg    configs.Config
	clock  *clock.Fake
	fake   *wecomtest.Fake
	signer wecomtest.Signer
	app    *App
	srv    *httptest.Server
	stop   func()
	msgID  int64
	opts   []Option // passed to New on every start
	// logTo, when set, receives the server's log at DEBUG level.
	logTo io.Writer
}

// newE2E starts a fake WeCom and a dutybot server on a store at dbPath
// ("" for a fresh temp file). Members: zhangsan (officer), boss (admin).
// newE2EWith is newE2E on a fresh store with options for New.
func newE2EWith(t testing.TB, opts ...Option) *e2e {
	t.Helper()
	return newE2EOpts(t, "", opts)
}

func newE2E(t testing.TB, dbPath string) *e2e {
	t.Helper()
	return newE2EOpts(t, dbPath, nil)
}

// withDutyDeadlines runs the duty scheduler, which newE2EOpts leaves off
// so that tests of other features count only their own timers.
func withDutyDeadlines() Option { return func(o *options) { o.noDutyDeadlines = false } }

func newE2EOpts(t testing.TB, dbPath string, opts []Option) *e2e {
	t.Helper()
	e := prepareE2E(t, dbPath, opts, nil)
	e.start()
	return e
}

// prepareE2E builds what newE2EOpts starts: the fake WeCom (behind wrap,
// when given, which must pass requests on to it), the configuration and the
// test clock. The caller adjusts e.cfg or e.logTo and calls e.start.
func prepareE2E(t testing.TB, dbPath string, opts []Option, wrap func(http.Handler) http.Handler) *e2e {
	t.Helper()
	opts = append([]Option{WithoutDutyDeadlines()}, opts...)
	fake := wecomtest.New(wecomtest.Config{CorpID: e2eCorp, Secret: e2eSecret, AgentID: e2eAgent})
	for _, u := range []wecomtest.User{
		{UserID: "zhangsan", Name: "张三", Department: []int{1}, Status: 1},
		{UserID: "boss", Name: "王五", Department: []int{1}, Status: 1},
		{UserID: "zhouqi", Name: "周七", Department: []int{1}, Status: 1},
	} {
		fake.AddUser(u)
	}
	var api http.Handler = fake
	if wrap != nil {
		api = wrap(fake)
	}
	fakeSrv := httptest.NewServer(api)
	t.Cleanup(fakeSrv.Close)

	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "dutybot.db")
	}
	cfg := configs.Default()
	cfg.DB = dbPath
	cfg.Admins = []string{"boss"}
	// No daily address-book sync: its timer would be armed on the test
	// clock. TestE2EDailySync turns it on.
	cfg.Roster.SyncAt = "off"
	cfg.WeCom = configs.WeCom{
		CorpID: e2eCorp, AgentID: "1000002", Secret: e2eSecret, Token: e2eToken, AESKey: e2eAESKey,
		APIBase: fakeSrv.URL, TimestampWindow: 5 * time.Minute,
	}
	return &e2e{
		t: t, cfg: cfg, clock: clock.NewFake(e2eStart), fake: fake,
		signer: wecomtest.Signer{Token: e2eToken, EncodingAESKey: e2eAESKey, CorpID: e2eCorp, AgentID: e2eAgent},
		msgID:  1000,
		opts:   opts,
	}
}

func (e *e2e) start() {
	t := e.t
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	switch {
	case e.logTo != nil && testing.Verbose():
		log = slog.New(slog.NewTextHandler(io.MultiWriter(e.logTo, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	case e.logTo != nil:
		log = slog.New(slog.NewTextHandler(e.logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	case testing.Verbose():
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	ctx := context.Background()
	a, err := New(ctx, e.cfg, e.clock, log, e.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.UpsertMember(ctx, roster.Member{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(runCtx)
	}()
	e.app = a
	e.srv = httptest.NewServer(a.Handler())
	stopped := false
	e.stop = func() {
		if stopped {
			return
		}
		stopped = true
		e.srv.Close()
		cancel()
		<-done
		a.Close()
	}
	t.Cleanup(e.stop)
}

// restart stops the server and starts a new one on the same store file.
func (e *e2e) restart() {
	e.stop()
	e.start()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (e *e2e) nextID() int64 { e.msgID++; return e.msgID }

func (e *e2e) text(from, content string) []byte {
	return wecomtest.TextXML(e2eCorp, from, content, e.nextID(), e.clock.Now(), e2eAgent)
}

// post sends a signed, encrypted callback and returns the status.
func (e *e2e) post(plain []byte) int {
	e.t.Helper()
	q, body, err := e.signer.Envelope(plain, e.clock.Now(), wecomtest.NewNonce())
	if err != nil {
		e.t.Fatal(err)
	}
	return e.raw(http.MethodPost, q, body)
}

func (e *e2e) raw(method string, q url.Values, body []byte) int {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/wecom/callback?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitSent waits for n messages to user and returns them.
func (e *e2e) waitSent(user string, n int) []wecomtest.Sent {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := e.fake.WaitSent(ctx, n, func(s wecomtest.Sent) bool { return s.ToUser == user })
	if err != nil {
		var so []string
		for _, s := range e.fake.Sent() {
			so = append(so, s.ToUser+": "+s.Content)
		}
		e.t.Fatalf("waiting for %d message(s) to %s: %v; sent so far:\n%s", n, user, err, strings.Join(so, "\n---\n"))
	}
	return got
}

func (e *e2e) counts() (received, outgoing int) {
	e.t.Helper()
	ctx := context.Background()
	r, err := e.app.Store.CountReceived(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	o, err := e.app.Store.CountOutgoing(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return r, o
}

func TestE2EURLVerification(t *testing.T) {
	e := newE2E(t, "")
	q, err := e.signer.VerifyURLQuery("echo-1616140317555161061", e.clock.Now(), "263014780")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + "/wecom/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "echo-1616140317555161061" {
		t.Fatalf("GET verify = %d %q, want 200 and the decrypted echostr", resp.StatusCode, body)
	}

	q.Set("msg_signature", strings.Repeat("0", 40))
	if got := e.raw(http.MethodGet, q, nil); got != http.StatusUnauthorized {
		t.Fatalf("GET verify with forged signature = %d, want 401", got)
	}
}

func TestE2EHelpReply(t *testing.T) {
	e := newE2E(t, "")
	if got := e.post(e.text("zhangsan", "帮助")); got != http.StatusOK {
		t.Fatalf("POST = %d, want 200", got)
	}
	sent := e.waitSent("zhangsan", 1)
	if sent[0].MsgType != "text" || !strings.Contains(sent[0].Content, "帮助 / help") || !strings.Contains(sent[0].Content, "张三") {
		t.Fatalf("reply = %+v, want the help text for 张三", sent[0])
	}

	// English alias, full-width, from the configured admin.
	e.post(e.text("boss", "ＷＨＯＡＭＩ"))
	sent = e.waitSent("boss", 1)
	if !strings.Contains(sent[0].Content, "角色：管理员") {
		t.Fatalf("whoami reply = %q, want the admin role from DUTYBOT_ADMINS", sent[0].Content)
	}
}

func TestE2ERejectsBadCallbacks(t *testing.T) {
	e := newE2E(t, "")
	// One good callback first, so the counts below are not trivially zero.
	e.post(e.text("zhangsan", "帮助"))
	e.waitSent("zhangsan", 1)
	baseReceived, baseOutgoing := e.counts()

	now := e.clock.Now()
	good := func() (url.Values, []byte) {
		q, body, err := e.signer.Envelope(e.text("zhangsan", "我是谁"), now, "12345")
		if err != nil {
			t.Fatal(err)
		}
		return q, body
	}
	// signedOver signs an arbitrary Encrypt value correctly.
	signedOver := func(encrypt string) (url.Values, []byte) {
		ts := strconv.FormatInt(now.Unix(), 10)
		q := url.Values{"msg_signature": {e.signer.Signature(ts, "n1", encrypt)}, "timestamp": {ts}, "nonce": {"n1"}}
		body := []byte("<xml><ToUserName><![CDATA[" + e2eCorp + "]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt><AgentID>1000002</AgentID></xml>")
		return q, body
	}
	notXML, err := e.signer.Encrypt([]byte("this is not xml"))
	if err != nil {
		t.Fatal(err)
	}
	otherCorp := e.signer
	otherCorp.CorpID = "wwSomeOtherCorp"
	otherEnc, err := otherCorp.Encrypt(e.text("zhangsan", "帮助"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		build func() (url.Values, []byte)
		want  int
	}{
		{"forged signature", func() (url.Values, []byte) {
			q, b := good()
			q.Set("msg_signature", strings.Repeat("a", 40))
			return q, b
		}, http.StatusUnauthorized},
		{"missing signature", func() (url.Values, []byte) {
			q, b := good()
			q.Del("msg_signature")
			return q, b
		}, http.StatusUnauthorized},
		{"stale timestamp", func() (url.Values, []byte) {
			q, b, err := e.signer.Envelope(e.text("zhangsan", "帮助"), now.Add(-6*time.Minute), "1")
			if err != nil {
				t.Fatal(err)
			}
			return q, b
		}, http.StatusUnauthorized},
		{"future timestamp", func() (url.Values, []byte) {
			q, b, _ := e.signer.Envelope(e.text("zhangsan", "帮助"), now.Add(6*time.Minute), "1")
			return q, b
		}, http.StatusUnauthorized},
		{"garbled envelope XML", func() (url.Values, []byte) {
			q, _ := good()
			return q, []byte("<xml><Encrypt>unterminated")
		}, http.StatusBadRequest},
		{"undecryptable payload", func() (url.Values, []byte) { return signedOver("bm90IGEgcmVhbCBjaXBoZXJ0ZXh0") }, http.StatusBadRequest},
		{"decrypts to garbage", func() (url.Values, []byte) { return signedOver(notXML) }, http.StatusBadRequest},
		{"wrong corp id", func() (url.Values, []byte) { return signedOver(otherEnc) }, http.StatusForbidden},
		{"huge body", func() (url.Values, []byte) {
			q, _ := good()
			return q, bytes.Repeat([]byte("a"), 2<<20)
		}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, body := tt.build()
			if got := e.raw(http.MethodPost, q, body); got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
			if r, o := e.counts(); r != baseReceived || o != baseOutgoing {
				t.Fatalf("rejected callback changed the store: received %d→%d, outgoing %d→%d", baseReceived, r, baseOutgoing, o)
			}
		})
	}
}

func TestE2ERetriesProcessedOnce(t *testing.T) {
	e := newE2E(t, "")
	msg := e.text("zhangsan", "我是谁")
	// WeCom retries the same callback (same MsgId) up to 3 times, each with
	// its own nonce and signature.
	for i := range 3 {
		if got := e.post(msg); got != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", i+1, got)
		}
	}
	// A later message from the same member is handled after the first (one
	// member's messages keep their order), so once its reply is out, any
	// duplicate reply would be too.
	e.post(e.text("zhangsan", "帮助"))
	sent := e.waitSent("zhangsan", 2)
	if len(e.fake.SentTo("zhangsan")) != 2 || !strings.Contains(sent[0].Content, "账号：zhangsan") || !strings.Contains(sent[1].Content, "可用命令") {
		t.Fatalf("sent = %+v, want exactly one whoami reply then the help reply", e.fake.SentTo("zhangsan"))
	}
	if r, _ := e.counts(); r != 2 {
		t.Fatalf("received rows = %d, want 2", r)
	}
}

func TestE2EDedupSurvivesRestart(t *testing.T) {
	e := newE2E(t, "")
	msg := e.text("zhangsan", "我是谁")
	e.post(msg)
	e.waitSent("zhangsan", 1)

	e.restart()
	if got := e.post(msg); got != http.StatusOK {
		t.Fatalf("retry after restart: status %d, want 200", got)
	}
	e.post(e.text("zhangsan", "帮助"))
	e.waitSent("zhangsan", 2)
	if n := len(e.fake.SentTo("zhangsan")); n != 2 {
		t.Fatalf("sent %d messages, want 2 (the retry after restart must not be processed again)", n)
	}
}

func TestE2EUnknownUser(t *testing.T) {
	e := newE2E(t, "")
	e.post(e.text("zhouqi", "签到"))
	sent := e.waitSent("zhouqi", 1)
	reply := sent[0].Content
	for _, want := range []string{"zhouqi", "还不是值班系统的成员", "boss"} {
		if !strings.Contains(reply, want) {
			t.Fatalf("reply %q lacks %q", reply, want)
		}
	}
	if _, err := e.app.Store.Member(context.Background(), "zhouqi"); err == nil {
		t.Fatal("a message from a stranger created a member")
	}
}

func TestE2EResumesAcceptedCallbacksAfterCrash(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "dutybot.db")
	// A callback that was stored (and answered 200) but not processed when
	// the process died.
	ctx := context.Background()
	store, err := roster.OpenSQLite(ctx, dbPath, clock.NewFake(e2eStart))
	if err != nil {
		t.Fatal(err)
	}
	raw := wecomtest.TextXML(e2eCorp, "zhangsan", "我是谁", 42, e2eStart, e2eAgent)
	if _, err := store.SaveReceived(ctx, &roster.Received{DedupKey: "msg:42", FromUser: "zhangsan", MsgType: "text", Raw: raw, ReceivedAt: e2eStart}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	e := newE2E(t, dbPath)
	sent := e.waitSent("zhangsan", 1)
	if !strings.Contains(sent[0].Content, "账号：zhangsan") {
		t.Fatalf("resumed reply = %q", sent[0].Content)
	}
}

func TestE2ESendRetriesAndTokenRefresh(t *testing.T) {
	e := newE2E(t, "")
	// WeCom busy once: the outbox waits its backoff (on the test clock) and
	// tries again.
	e.fake.InjectError("message/send", -1, 1)
	e.post(e.text("zhangsan", "帮助"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.SentTo("zhangsan")); n != 0 {
		t.Fatalf("sent %d before the backoff passed", n)
	}
	e.clock.Advance(time.Second)
	e.waitSent("zhangsan", 1)

	// The access token expires early: the client fetches a new one and the
	// message still goes out.
	tokens := e.fake.Calls("gettoken")
	e.fake.ExpireTokens()
	e.post(e.text("zhangsan", "我是谁"))
	e.waitSent("zhangsan", 2)
	if got := e.fake.Calls("gettoken"); got != tokens+1 {
		t.Fatalf("gettoken calls = %d, want %d (one refresh)", got, tokens+1)
	}
}

func TestE2EPermanentSendFailureIsRecorded(t *testing.T) {
	e := newE2E(t, "")
	// 60020 (server IP not on the trusted list) is retried, since an admin
	// can fix it; after maxAttempts the message is marked failed.
	e.fake.InjectError("message/send", 60020, 8)
	e.post(e.text("zhangsan", "帮助"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 7 {
		// Each failed attempt arms exactly one retry timer.
		if err := e.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(maxTestBackoff)
	}
	// Once the 8th attempt has reached WeCom, a message queued after it is
	// delivered in a later outbox round, so when that one is out the 8th
	// attempt's outcome has been recorded.
	if err := e.fake.WaitCalls(ctx, "message/send", 8); err != nil {
		t.Fatal(err)
	}
	e.post(e.text("boss", "帮助"))
	e.waitSent("boss", 1)

	if got := e.fake.Calls("message/send"); got != 9 {
		t.Fatalf("message/send calls = %d, want 8 attempts + 1", got)
	}
	if len(e.fake.SentTo("zhangsan")) != 0 {
		t.Fatal("a message was recorded as sent despite the injected errors")
	}
	pending, err := e.app.Store.PendingOutgoing(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pending {
		if m.ToUser == "zhangsan" {
			t.Fatalf("still pending after 8 attempts: %+v", m)
		}
	}
}

const maxTestBackoff = 3 * time.Minute

func TestE2EHealthAndMetrics(t *testing.T) {
	e := newE2E(t, "")
	e.post(e.text("zhangsan", "帮助"))
	e.post(e.text("zhangsan", "我是谁"))
	// One member's messages go out in order, and a send is counted once
	// WeCom has answered it; so when the second has reached the fake, the
	// first is counted.
	e.waitSent("zhangsan", 2)
	q, body, _ := e.signer.Envelope(e.text("zhangsan", "帮助"), e.clock.Now(), "1")
	q.Set("msg_signature", "forged")
	e.raw(http.MethodPost, q, body)

	for path, wants := range map[string][]string{
		"/healthz": {"ok"},
		"/metrics": {
			`dutybot_callbacks_total{result="accepted"} 2`,
			`dutybot_callbacks_total{result="bad_signature"} 1`,
			`dutybot_wecom_sends_total{result="ok"} `,
			`dutybot_callback_duration_seconds_count 3`,
		},
	} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
	}
}
