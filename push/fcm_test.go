package push

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"dutybot/internal/clock"
	"dutybot/push/fcmtest"
)

const fcmTestProject = "dutybot-test"

var fcmTestStart = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

// newTestFCM starts an FCM fake and an FCM sender pointed at it with a
// static token, on a fake clock.
func newTestFCM(t *testing.T) (*FCM, *fcmtest.Fake, *clock.Fake) {
	t.Helper()
	srv, fake := fcmtest.NewServer(fcmTestProject)
	t.Cleanup(srv.Close)
	clk := clock.NewFake(fcmTestStart)
	f, err := NewFCM(context.Background(), FCMConfig{ProjectID: fcmTestProject}, clk,
		option.WithEndpoint(fcmtest.Endpoint(srv)),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-token"})))
	if err != nil {
		t.Fatalf("NewFCM: %v", err)
	}
	return f, fake, clk
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func androidNotification(token string, u Urgency) Notification {
	return Notification{
		Device:       Device{ID: 7, UserID: "zhangsan", Platform: Android, Token: token},
		EscalationID: "esc-42",
		Title:        "重大突发事件",
		Body:         "请立即确认",
		Urgency:      u,
		AckToken:     "ack-token-42",
		AckURL:       "https://duty.example.gov.cn/ack/ack-token-42",
		Expiration:   fcmTestStart.Add(time.Hour),
	}
}

func TestFCMMessageShape(t *testing.T) {
	tests := []struct {
		urgency        Urgency
		wantPriority   string
		wantVisibility string
	}{
		{Critical, "PRIORITY_MAX", "PUBLIC"},
		{TimeSensitive, "PRIORITY_HIGH", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.urgency), func(t *testing.T) {
			f, fake, _ := newTestFCM(t)
			n := androidNotification("tok-shape", tt.urgency)
			res := f.Send(testCtx(t), []Notification{n})
			if len(res) != 1 || res[0].Status != Delivered {
				t.Fatalf("results = %+v, want one Delivered", res)
			}
			got, ok := fake.ByToken("tok-shape")
			if !ok {
				t.Fatal("fake received no message")
			}
			if res[0].ProviderID != got.Name || !strings.HasPrefix(got.Name, "projects/"+fcmTestProject+"/messages/") {
				t.Errorf("ProviderID = %q, fake named it %q", res[0].ProviderID, got.Name)
			}
			if res[0].Attempts != 1 {
				t.Errorf("Attempts = %d, want 1", res[0].Attempts)
			}
			if got.Authorization != "Bearer test-token" {
				t.Errorf("Authorization = %q", got.Authorization)
			}

			var raw struct {
				Token        string            `json:"token"`
				Data         map[string]string `json:"data"`
				Notification map[string]string `json:"notification"`
				Android      struct {
					CollapseKey  string            `json:"collapse_key"`
					Priority     string            `json:"priority"`
					TTL          string            `json:"ttl"`
					Notification map[string]string `json:"notification"`
				} `json:"android"`
			}
			if err := json.Unmarshal(got.Raw, &raw); err != nil {
				t.Fatalf("raw message: %v", err)
			}
			checks := []struct{ name, got, want string }{
				{"token", raw.Token, "tok-shape"},
				{"notification.title", raw.Notification["title"], n.Title},
				{"notification.body", raw.Notification["body"], n.Body},
				{"android.priority", raw.Android.Priority, "high"},
				{"android.ttl", raw.Android.TTL, "3600s"},
				{"android.collapse_key", raw.Android.CollapseKey, "esc-42"},
				{"android.notification.channel_id", raw.Android.Notification["channel_id"], DefaultFCMChannelID},
				{"android.notification.tag", raw.Android.Notification["tag"], "esc-42"},
				{"android.notification.notification_priority", raw.Android.Notification["notification_priority"], tt.wantPriority},
				{"android.notification.visibility", raw.Android.Notification["visibility"], tt.wantVisibility},
				{"data.escalation_id", raw.Data[FCMDataEscalationID], "esc-42"},
				{"data.ack_token", raw.Data[FCMDataAckToken], n.AckToken},
				{"data.ack_url", raw.Data[FCMDataAckURL], n.AckURL},
				{"data.urgency", raw.Data[FCMDataUrgency], string(tt.urgency)},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if len(raw.Data) != 4 {
				t.Errorf("data = %v, want exactly the 4 keys", raw.Data)
			}
			if a := got.Android(); a == nil || a.TTL == nil || *a.TTL != time.Hour {
				t.Errorf("decoded android TTL = %+v, want 1h", a)
			}
		})
	}
}

func TestFCMPermanentFailuresAreNotRetried(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*fcmtest.Fake, string)
		wantStatus Status
		wantReason string
	}{
		{"unregistered", func(f *fcmtest.Fake, tok string) { f.Unregister(tok) }, Invalid, "UNREGISTERED"},
		{"invalid token", func(f *fcmtest.Fake, tok string) { f.Fail(tok, 1, fcmtest.InvalidToken) }, Invalid, "INVALID_ARGUMENT"},
		{"sender id mismatch", func(f *fcmtest.Fake, tok string) { f.Fail(tok, 1, fcmtest.SenderIDMismatch) }, Invalid, "SENDER_ID_MISMATCH"},
		{"invalid message", func(f *fcmtest.Fake, tok string) {
			f.Fail(tok, 1, fcmtest.Error{HTTPStatus: 400, Status: "INVALID_ARGUMENT", ErrorCode: "INVALID_ARGUMENT", Message: "Invalid value at 'message.android.ttl'"})
		}, Failed, "INVALID_ARGUMENT"},
		{"permission denied", func(f *fcmtest.Fake, tok string) {
			f.Fail(tok, 1, fcmtest.Error{HTTPStatus: 403, Status: "PERMISSION_DENIED", Message: "Permission denied"})
		}, Failed, "PERMISSION_DENIED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fake, clk := newTestFCM(t)
			tt.setup(fake, "tok-bad")
			res := f.Send(testCtx(t), []Notification{androidNotification("tok-bad", Critical), androidNotification("tok-good", Critical)})
			if res[0].Status != tt.wantStatus || res[0].Reason != tt.wantReason {
				t.Errorf("bad token: status %q reason %q (err %v), want %q %q", res[0].Status, res[0].Reason, res[0].Err, tt.wantStatus, tt.wantReason)
			}
			if res[0].Attempts != 1 || fake.Attempts("tok-bad") != 1 {
				t.Errorf("attempts: result %d, fake %d; want 1 (no retry)", res[0].Attempts, fake.Attempts("tok-bad"))
			}
			if res[0].Err == nil {
				t.Error("no Err on a failed result")
			}
			if res[1].Status != Delivered {
				t.Errorf("good token: %+v, want Delivered", res[1])
			}
			if clk.Waiters() != 0 {
				t.Errorf("%d timers armed after a permanent failure", clk.Waiters())
			}
		})
	}
}

func TestFCMRejectedBeforeSending(t *testing.T) {
	f, fake, _ := newTestFCM(t)
	empty := androidNotification("", Critical)
	expired := androidNotification("tok-late", Critical)
	expired.Expiration = fcmTestStart.Add(-time.Second)
	res := f.Send(testCtx(t), []Notification{empty, expired, androidNotification("tok-ok", Critical)})
	want := []struct {
		status Status
		reason string
	}{{Invalid, "EmptyToken"}, {Failed, "Expired"}, {Delivered, ""}}
	for i, w := range want {
		if res[i].Status != w.status || res[i].Reason != w.reason {
			t.Errorf("result %d = %q %q, want %q %q", i, res[i].Status, res[i].Reason, w.status, w.reason)
		}
	}
	if fake.Requests() != 1 {
		t.Errorf("fake saw %d requests, want 1", fake.Requests())
	}
}

func TestFCMRetriesTransientFailuresOnTheClock(t *testing.T) {
	tests := []struct {
		name         string
		fail         fcmtest.Error
		times        int
		waits        []time.Duration // each backoff the sender must wait
		wantStatus   Status
		wantAttempts int
	}{
		{"unavailable once", fcmtest.Unavailable, 1, []time.Duration{500 * time.Millisecond}, Delivered, 2},
		{"internal twice", fcmtest.Internal, 2, []time.Duration{500 * time.Millisecond, time.Second}, Delivered, 3},
		{"quota exceeded 4 times", fcmtest.QuotaExceeded, 4, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, Failed, 4},
		{"retry-after honoured", withRetryAfter(fcmtest.Unavailable, "3"), 1, []time.Duration{3 * time.Second}, Delivered, 2},
		{"quota retry-after honoured", withRetryAfter(fcmtest.QuotaExceeded, "5"), 1, []time.Duration{5 * time.Second}, Delivered, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fake, clk := newTestFCM(t)
			ctx := testCtx(t)
			fake.Fail("tok-flaky", tt.times, tt.fail)
			done := make(chan []Result, 1)
			go func() {
				done <- f.Send(ctx, []Notification{androidNotification("tok-flaky", Critical), androidNotification("tok-fine", TimeSensitive)})
			}()
			var total time.Duration
			for i, d := range tt.waits {
				if err := clk.BlockUntil(ctx, 1); err != nil {
					t.Fatalf("wait %d: %v", i, err)
				}
				clk.Advance(d - time.Millisecond)
				if clk.Waiters() != 1 {
					t.Fatalf("wait %d: backoff ended before %v", i, d)
				}
				clk.Advance(time.Millisecond)
				total += d
			}
			var res []Result
			select {
			case res = <-done:
			case <-ctx.Done():
				t.Fatal("Send did not return")
			}
			r := res[0]
			if r.Status != tt.wantStatus || r.Attempts != tt.wantAttempts {
				t.Errorf("flaky: status %q attempts %d (err %v), want %q %d", r.Status, r.Attempts, r.Err, tt.wantStatus, tt.wantAttempts)
			}
			if got := fake.Attempts("tok-flaky"); got != tt.wantAttempts {
				t.Errorf("fake saw %d requests for the flaky token, want %d", got, tt.wantAttempts)
			}
			if r.Latency != total {
				t.Errorf("Latency = %v, want %v on the fake clock", r.Latency, total)
			}
			if tt.wantStatus == Failed && (r.Reason != tt.fail.ErrorCode || r.Err == nil) {
				t.Errorf("failed result reason %q err %v, want %q", r.Reason, r.Err, tt.fail.ErrorCode)
			}
			if res[1].Status != Delivered || res[1].Attempts != 1 || fake.Attempts("tok-fine") != 1 {
				t.Errorf("healthy token resent or failed: %+v, fake attempts %d", res[1], fake.Attempts("tok-fine"))
			}
		})
	}
}

func withRetryAfter(e fcmtest.Error, secs string) fcmtest.Error {
	e.RetryAfter = secs
	return e
}

func TestFCMContextCancelStopsRetries(t *testing.T) {
	f, fake, clk := newTestFCM(t)
	fake.Fail("", 100, fcmtest.Unavailable)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan []Result, 1)
	go func() { done <- f.Send(ctx, []Notification{androidNotification("tok-down", Critical)}) }()
	if err := clk.BlockUntil(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	res := <-done
	if res[0].Status != Failed || res[0].Attempts != 1 || !errors.Is(res[0].Err, context.Canceled) {
		t.Errorf("result = %+v, want Failed after 1 attempt with context.Canceled", res[0])
	}
	if fake.Requests() != 1 {
		t.Errorf("fake saw %d requests, want 1", fake.Requests())
	}
	if clk.Waiters() != 0 {
		t.Errorf("backoff timer left armed: %d", clk.Waiters())
	}
}

func TestFCMBatchesOf500InOrder(t *testing.T) {
	f, fake, _ := newTestFCM(t)
	var mu sync.Mutex
	var sizes []int
	send := f.sendEach
	f.sendEach = func(ctx context.Context, ms []*messaging.Message) (*messaging.BatchResponse, error) {
		mu.Lock()
		sizes = append(sizes, len(ms))
		mu.Unlock()
		return send(ctx, ms)
	}
	ns := make([]Notification, 600)
	for i := range ns {
		tok := fmt.Sprintf("tok-%03d", i)
		ns[i] = androidNotification(tok, TimeSensitive)
		if i%7 == 3 {
			fake.Unregister(tok)
		}
	}
	res := f.Send(testCtx(t), ns)
	if fmt.Sprint(sizes) != "[500 100]" {
		t.Errorf("SendEach batch sizes = %v, want [500 100]", sizes)
	}
	if len(res) != len(ns) {
		t.Fatalf("%d results for %d notifications", len(res), len(ns))
	}
	for i, r := range res {
		tok := ns[i].Device.Token
		if i%7 == 3 {
			if r.Status != Invalid {
				t.Errorf("result %d (%s) = %q, want Invalid", i, tok, r.Status)
			}
			continue
		}
		m, ok := fake.ByToken(tok)
		if r.Status != Delivered || !ok || r.ProviderID != m.Name {
			t.Errorf("result %d (%s) = %q %q, fake named it %q", i, tok, r.Status, r.ProviderID, m.Name)
		}
	}
	if fake.Requests() != 600 {
		t.Errorf("fake saw %d requests, want 600", fake.Requests())
	}
}

func TestNewFCMMissingCredentialsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-service-account.json")
	_, err := NewFCM(context.Background(), FCMConfig{CredentialsFile: path, ProjectID: fcmTestProject}, clock.Real{})
	if err == nil {
		t.Fatal("NewFCM with a missing credentials file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "credentials file") {
		t.Errorf("error %q does not say the credentials file is missing", err)
	}
}

// TestFCMCredentialsFile exercises the production path: a service-account
// key file whose token_uri points at a local token server, so the OAuth2
// exchange and the send both stay on 127.0.0.1.
func TestFCMCredentialsFile(t *testing.T) {
	var tokenCalls int
	var mu sync.Mutex
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokenCalls++
		mu.Unlock()
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.Form.Get("assertion") == "" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"sa-token","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(tokenSrv.Close)
	srv, fake := fcmtest.NewServer(fcmTestProject)
	t.Cleanup(srv.Close)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	sa, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     fcmTestProject,
		"private_key_id": "test-key",
		"private_key":    string(keyPEM),
		"client_email":   "dutybot@" + fcmTestProject + ".iam.gserviceaccount.com",
		"client_id":      "1",
		"token_uri":      tokenSrv.URL + "/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, sa, 0o600); err != nil {
		t.Fatal(err)
	}

	// No ProjectID: it comes from the key file.
	f, err := NewFCM(context.Background(), FCMConfig{CredentialsFile: path, Endpoint: fcmtest.Endpoint(srv)}, clock.NewFake(fcmTestStart))
	if err != nil {
		t.Fatalf("NewFCM: %v", err)
	}
	res := f.Send(testCtx(t), []Notification{androidNotification("tok-sa", Critical)})
	if res[0].Status != Delivered {
		t.Fatalf("result = %+v, want Delivered", res[0])
	}
	m, _ := fake.ByToken("tok-sa")
	if m.Authorization != "Bearer sa-token" {
		t.Errorf("Authorization = %q, want the token from the local token server", m.Authorization)
	}
	mu.Lock()
	defer mu.Unlock()
	if tokenCalls != 1 {
		t.Errorf("token server called %d times, want 1", tokenCalls)
	}
}
