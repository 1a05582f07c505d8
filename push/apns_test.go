package push_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/push"
	"dutybot/push/apnstest"
)

const (
	testTopic  = "cn.gov.dutybot"
	testKeyID  = "ABC123DEFG"
	testTeamID = "DEF123GHIJ"
)

var testStart = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

// apnsEnv is a sender wired to a local fake.
type apnsEnv struct {
	apns *push.APNs
	fake *apnstest.Fake
	clk  *clock.Fake
	key  *ecdsa.PrivateKey
}

// writeP8 writes a fresh P-256 key as an Apple .p8 file (PKCS#8 PEM).
func writeP8(t testing.TB) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "AuthKey_"+testKeyID+".p8")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, key
}

// newAPNsEnv starts a fake and a token-auth sender on a fake clock.
func newAPNsEnv(t testing.TB, opts ...push.APNsOption) apnsEnv {
	t.Helper()
	srv, fake := apnstest.NewServer()
	t.Cleanup(srv.Close)
	keyFile, key := writeP8(t)
	clk := clock.NewFake(testStart)
	cfg := push.APNsConfig{KeyFile: keyFile, KeyID: testKeyID, TeamID: testTeamID, Topic: testTopic, Host: srv.URL}
	opts = append([]push.APNsOption{push.WithAPNsTLSConfig(apnstest.ClientTLSConfig(srv))}, opts...)
	a, err := push.NewAPNs(cfg, clk, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return apnsEnv{apns: a, fake: fake, clk: clk, key: key}
}

func deviceToken(i int) string {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])
}

func note(token string) push.Notification {
	return push.Notification{
		Device:       push.Device{ID: 1, UserID: "zhangsan", Platform: push.IOS, Token: token},
		EscalationID: "esc-42",
		Title:        "重大突发事件",
		Body:         "城东化工厂火情，请立即确认",
		Urgency:      push.Critical,
		AckToken:     "tok.abc",
		AckURL:       "https://duty.example.gov.cn/ack/tok.abc",
		Expiration:   testStart.Add(10 * time.Minute),
	}
}

func sendOne(t *testing.T, a *push.APNs, n push.Notification) push.Result {
	t.Helper()
	rs := a.Send(context.Background(), []push.Notification{n})
	if len(rs) != 1 {
		t.Fatalf("got %d results for 1 notification", len(rs))
	}
	return rs[0]
}

func TestAPNsPayloadAndHeaders(t *testing.T) {
	longID := "escalation-" + strings.Repeat("x", 80)
	longSum := sha256.Sum256([]byte(longID))
	tests := []struct {
		name          string
		urgency       push.Urgency
		deviceTopic   string
		escalationID  string
		wantLevel     string
		wantSound     any
		wantTopic     string
		wantCollapse  string
		wantThreadID  string
		wantExpiresAt int64
	}{
		{
			name: "critical", urgency: push.Critical, escalationID: "esc-42",
			wantLevel: "critical", wantSound: map[string]any{"critical": 1.0, "name": "default", "volume": 1.0},
			wantTopic: testTopic, wantCollapse: "esc-42", wantThreadID: "esc-42",
		},
		{
			name: "time-sensitive with device topic", urgency: push.TimeSensitive, deviceTopic: "cn.gov.dutybot.beta",
			escalationID: "esc-43", wantLevel: "time-sensitive", wantSound: "default",
			wantTopic: "cn.gov.dutybot.beta", wantCollapse: "esc-43", wantThreadID: "esc-43",
		},
		{
			name: "long escalation id is hashed for collapse id", urgency: push.TimeSensitive, escalationID: longID,
			wantLevel: "time-sensitive", wantSound: "default",
			wantTopic: testTopic, wantCollapse: hex.EncodeToString(longSum[:]), wantThreadID: longID,
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newAPNsEnv(t)
			n := note(deviceToken(i))
			n.Urgency, n.EscalationID, n.Device.Topic = tc.urgency, tc.escalationID, tc.deviceTopic
			r := sendOne(t, env.apns, n)
			if r.Status != push.Delivered || r.Err != nil || r.Attempts != 1 {
				t.Fatalf("result = %+v, want delivered in 1 attempt", r)
			}
			got := env.fake.Notifications()
			if len(got) != 1 {
				t.Fatalf("fake got %d notifications, want 1", len(got))
			}
			g := got[0]
			if r.ProviderID == "" || r.ProviderID != g.ApnsID {
				t.Errorf("ProviderID = %q, fake answered apns-id %q", r.ProviderID, g.ApnsID)
			}
			if g.Token != n.Device.Token {
				t.Errorf("token = %q, want %q", g.Token, n.Device.Token)
			}
			headers := map[string]string{
				"apns-topic":       tc.wantTopic,
				"apns-collapse-id": tc.wantCollapse,
				"apns-expiration":  strconv.FormatInt(n.Expiration.Unix(), 10),
				"apns-priority":    "10",
				"apns-push-type":   "alert",
			}
			for h, want := range headers {
				if v := g.Header.Get(h); v != want {
					t.Errorf("header %s = %q, want %q", h, v, want)
				}
			}
			if len(g.Header.Get("apns-collapse-id")) > 64 {
				t.Errorf("collapse id longer than 64 bytes")
			}
			aps := g.Aps()
			alert, _ := aps["alert"].(map[string]any)
			checks := []struct {
				field string
				got   any
				want  any
			}{
				{"aps.alert.title", alert["title"], n.Title},
				{"aps.alert.body", alert["body"], n.Body},
				{"aps.interruption-level", aps["interruption-level"], tc.wantLevel},
				{"aps.sound", aps["sound"], tc.wantSound},
				{"aps.category", aps["category"], push.APNsCategory},
				{"aps.thread-id", aps["thread-id"], tc.wantThreadID},
				{"escalation_id", g.Payload["escalation_id"], tc.escalationID},
				{"ack_token", g.Payload["ack_token"], n.AckToken},
				{"ack_url", g.Payload["ack_url"], n.AckURL},
			}
			for _, c := range checks {
				if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
					t.Errorf("%s = %v, want %v (payload %s)", c.field, c.got, c.want, g.Raw)
				}
			}
			if push.APNsCategory != "DUTY_ALERT" {
				t.Errorf("category = %q", push.APNsCategory)
			}
		})
	}
}

func TestAPNsInvalidTokens(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(f *apnstest.Fake, token string)
		wantReason string
	}{
		{"unregistered 410", func(f *apnstest.Fake, tok string) { f.Unregister(tok, testStart.Add(-time.Hour)) }, "Unregistered"},
		{"bad device token 400", func(f *apnstest.Fake, tok string) { f.MarkBad(tok) }, "BadDeviceToken"},
		{"not for topic 400", func(f *apnstest.Fake, tok string) { f.Fail(tok, 1, 400, "DeviceTokenNotForTopic") }, "DeviceTokenNotForTopic"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newAPNsEnv(t)
			tok := deviceToken(100 + i)
			tc.setup(env.fake, tok)
			r := sendOne(t, env.apns, note(tok))
			if r.Status != push.Invalid || r.Reason != tc.wantReason || r.Attempts != 1 || r.Err == nil {
				t.Fatalf("result = %+v, want invalid %s after 1 attempt with an error", r, tc.wantReason)
			}
			if n := env.fake.Requests(tok); n != 1 {
				t.Errorf("fake saw %d requests, want 1 (no retry)", n)
			}
			if env.clk.Waiters() != 0 {
				t.Errorf("a backoff timer is armed after an invalid token")
			}
		})
	}
}

func TestAPNsOtherRejectionFailsWithoutRetry(t *testing.T) {
	env := newAPNsEnv(t)
	tok := deviceToken(1)
	env.fake.Fail(tok, 1, 403, "ExpiredProviderToken")
	r := sendOne(t, env.apns, note(tok))
	if r.Status != push.Failed || r.Reason != "ExpiredProviderToken" || r.Attempts != 1 || r.Err == nil {
		t.Fatalf("result = %+v, want failed ExpiredProviderToken after 1 attempt", r)
	}
}

// sendAsync runs Send in a goroutine and returns where its results arrive.
func sendAsync(ctx context.Context, a *push.APNs, ns ...push.Notification) <-chan []push.Result {
	out := make(chan []push.Result, 1)
	go func() { out <- a.Send(ctx, ns) }()
	return out
}

// awaitResult returns the single result of an asynchronous Send, failing
// the test if it does not arrive (e.g. the sender waits on a backoff the
// test did not expect).
func awaitResult(t *testing.T, done <-chan []push.Result) push.Result {
	t.Helper()
	select {
	case rs := <-done:
		return rs[0]
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not return")
		return push.Result{}
	}
}

// advanceAfterWait waits for the sender's backoff timer and moves the clock.
func advanceAfterWait(t *testing.T, clk *clock.Fake, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(d)
}

func TestAPNsRetriesTransientThenDelivers(t *testing.T) {
	env := newAPNsEnv(t)
	tok := deviceToken(2)
	env.fake.Fail(tok, 1, 503, "ServiceUnavailable")
	done := sendAsync(context.Background(), env.apns, note(tok))
	advanceAfterWait(t, env.clk, 200*time.Millisecond)
	r := awaitResult(t, done)
	if r.Status != push.Delivered || r.Attempts != 2 || r.ProviderID == "" {
		t.Fatalf("result = %+v, want delivered after 2 attempts", r)
	}
	if r.Latency != 200*time.Millisecond {
		t.Errorf("latency = %v, want the 200ms backoff", r.Latency)
	}
	if len(env.fake.Notifications()) != 1 || env.fake.Requests(tok) != 2 {
		t.Errorf("fake accepted %d of %d requests, want 1 of 2", len(env.fake.Notifications()), env.fake.Requests(tok))
	}
}

func TestAPNsGivesUpAfterFourAttempts(t *testing.T) {
	env := newAPNsEnv(t)
	tok := deviceToken(3)
	env.fake.Fail(tok, 10, 429, "TooManyRequests")
	done := sendAsync(context.Background(), env.apns, note(tok))
	for _, d := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		advanceAfterWait(t, env.clk, d)
	}
	r := awaitResult(t, done)
	if r.Status != push.Failed || r.Attempts != 4 || r.Reason != "TooManyRequests" || r.Err == nil {
		t.Fatalf("result = %+v, want failed TooManyRequests after 4 attempts", r)
	}
	if r.Latency != 1400*time.Millisecond {
		t.Errorf("latency = %v, want 1.4s of doubling backoff", r.Latency)
	}
	if n := env.fake.Requests(tok); n != 4 {
		t.Errorf("fake saw %d requests, want 4", n)
	}
}

func TestAPNsContextCancelStopsRetries(t *testing.T) {
	env := newAPNsEnv(t)
	tok := deviceToken(4)
	env.fake.Fail(tok, 10, 500, "InternalServerError")
	ctx, cancel := context.WithCancel(context.Background())
	done := sendAsync(ctx, env.apns, note(tok))
	waitCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := env.clk.BlockUntil(waitCtx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	r := awaitResult(t, done)
	if r.Status != push.Failed || r.Attempts != 1 || !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("result = %+v, want failed after 1 attempt with context.Canceled", r)
	}
	if n := env.fake.Requests(tok); n != 1 {
		t.Errorf("fake saw %d requests after cancel, want 1", n)
	}
	if env.clk.Waiters() != 0 {
		t.Errorf("backoff timer still armed after cancel")
	}
}

func TestAPNsSendKeepsOrderAndMixesOutcomes(t *testing.T) {
	env := newAPNsEnv(t, push.WithAPNsConcurrency(3))
	var ns []push.Notification
	for i := range 20 {
		ns = append(ns, note(deviceToken(200+i)))
	}
	env.fake.Unregister(ns[7].Device.Token, testStart)
	env.fake.MarkBad(ns[13].Device.Token)
	rs := env.apns.Send(context.Background(), ns)
	if len(rs) != len(ns) {
		t.Fatalf("%d results for %d notifications", len(rs), len(ns))
	}
	for i, r := range rs {
		want := push.Delivered
		if i == 7 || i == 13 {
			want = push.Invalid
		}
		if r.Status != want {
			t.Errorf("result %d = %+v, want %s", i, r, want)
		}
	}
	if got := len(env.fake.Notifications()); got != 18 {
		t.Errorf("fake accepted %d, want 18", got)
	}
}

func TestAPNsTokenAuthSendsSignedJWT(t *testing.T) {
	env := newAPNsEnv(t)
	if r := sendOne(t, env.apns, note(deviceToken(5))); r.Status != push.Delivered {
		t.Fatalf("result = %+v", r)
	}
	g := env.fake.Notifications()[0]
	if g.ClientCert {
		t.Errorf("token auth presented a client certificate")
	}
	jwt, ok := strings.CutPrefix(g.Header.Get("authorization"), "bearer ")
	if !ok {
		t.Fatalf("authorization = %q, want bearer JWT", g.Header.Get("authorization"))
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	var header struct{ Alg, Kid string }
	var claims struct {
		Iss string
		Iat int64
	}
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	if header.Alg != "ES256" || header.Kid != testKeyID || claims.Iss != testTeamID || claims.Iat == 0 {
		t.Errorf("JWT header %+v claims %+v", header, claims)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature: %d bytes, %v", len(sig), err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(&env.key.PublicKey, digest[:], r, s) {
		t.Errorf("JWT signature does not verify with the .p8 key")
	}
}

func TestAPNsCertificateAuth(t *testing.T) {
	srv, fake := apnstest.NewServer()
	defer srv.Close()
	pemFile := writeClientCertPEM(t)
	cfg := push.APNsConfig{CertFile: pemFile, Topic: testTopic, Host: srv.URL}
	a, err := push.NewAPNs(cfg, clock.NewFake(testStart), push.WithAPNsTLSConfig(apnstest.ClientTLSConfig(srv)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if r := sendOne(t, a, note(deviceToken(6))); r.Status != push.Delivered {
		t.Fatalf("result = %+v", r)
	}
	g := fake.Notifications()[0]
	if !g.ClientCert || g.Header.Get("authorization") != "" {
		t.Errorf("client cert presented = %v, authorization = %q; want certificate auth only", g.ClientCert, g.Header.Get("authorization"))
	}
}

// writeClientCertPEM writes a self-signed client certificate and its key
// to one .pem file, as APNs certificates are often kept.
func writeClientCertPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Apple Push Services: " + testTopic},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	path := filepath.Join(t.TempDir(), "apns.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewAPNsErrors(t *testing.T) {
	keyFile, _ := writeP8(t)
	missing := filepath.Join(t.TempDir(), "missing.p12")
	notPEM := filepath.Join(t.TempDir(), "key.p8")
	if err := os.WriteFile(notPEM, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      push.APNsConfig
		wantText []string
		wantIs   error
	}{
		{"missing certificate file", push.APNsConfig{CertFile: missing, Topic: testTopic},
			[]string{"certificate", missing}, fs.ErrNotExist},
		{"missing key file", push.APNsConfig{KeyFile: missing + ".p8", KeyID: testKeyID, TeamID: testTeamID},
			[]string{"auth key", missing + ".p8"}, fs.ErrNotExist},
		{"key file not PEM", push.APNsConfig{KeyFile: notPEM, KeyID: testKeyID, TeamID: testTeamID},
			[]string{"auth key", notPEM}, nil},
		{"token auth without key id", push.APNsConfig{KeyFile: keyFile, TeamID: testTeamID},
			[]string{"key_id", "team_id"}, nil},
		{"no credentials", push.APNsConfig{Topic: testTopic},
			[]string{"no credentials"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := push.NewAPNs(tc.cfg, clock.NewFake(testStart))
			if err == nil {
				a.Close()
				t.Fatal("NewAPNs succeeded")
			}
			for _, s := range tc.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q is not %v", err, tc.wantIs)
			}
		})
	}
}

func TestAPNsCollapseID(t *testing.T) {
	long := strings.Repeat("长", 30) // 90 bytes
	tests := []struct {
		id   string
		want int
	}{
		{"esc-1", 5},
		{strings.Repeat("a", 64), 64},
		{strings.Repeat("a", 65), 64},
		{long, 64},
	}
	for _, tc := range tests {
		got := push.APNsCollapseID(tc.id)
		if len(got) != tc.want {
			t.Errorf("APNsCollapseID(%q) = %q (%d bytes), want %d bytes", tc.id, got, len(got), tc.want)
		}
		if len(tc.id) <= 64 && got != tc.id {
			t.Errorf("short id changed: %q → %q", tc.id, got)
		}
	}
	if push.APNsCollapseID(long) == push.APNsCollapseID(long+"x") {
		t.Error("distinct long ids collapse to the same id")
	}
}

// BenchmarkAPNsFanOut sends 10,000 notifications to distinct tokens through
// the real client over HTTP/2 + TLS to the local fake.
func BenchmarkAPNsFanOut(b *testing.B) {
	const fanOut = 10_000
	srv, fake := apnstest.NewServer()
	defer srv.Close()
	keyFile, _ := writeP8(b)
	cfg := push.APNsConfig{KeyFile: keyFile, KeyID: testKeyID, TeamID: testTeamID, Topic: testTopic, Host: srv.URL}
	a, err := push.NewAPNs(cfg, clock.Real{}, push.WithAPNsTLSConfig(apnstest.ClientTLSConfig(srv)))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ns := make([]push.Notification, fanOut)
	for i := range ns {
		ns[i] = note(deviceToken(i))
		ns[i].EscalationID = fmt.Sprintf("esc-%d", i)
	}
	ctx := context.Background()
	sent := 0
	for b.Loop() {
		fake.Reset()
		for i, r := range a.Send(ctx, ns) {
			if r.Status != push.Delivered {
				b.Fatalf("notification %d: %+v", i, r)
			}
		}
		sent += fanOut
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "notifications/s")
}
