package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/push"
	"dutybot/roster"
)

var apiNow = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

const apiToken = "aabbccdd00112233aabbccdd00112233aabbccdd00112233aabbccdd00112233"

// apiStubAcker records acks; escalation "E1" exists, "boom" fails.
type apiStubAcker struct {
	mu    sync.Mutex
	calls []string
	first string
}

func (a *apiStubAcker) Ack(_ context.Context, escalationID, userID, via string) (AckResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, escalationID+"/"+userID+"/"+via)
	switch escalationID {
	case "E1":
	case "boom":
		return AckResult{}, errors.New("store is down")
	case "gone":
		return AckResult{}, fmt.Errorf("engine: %w", push.ErrNoEscalation)
	default:
		return AckResult{}, fmt.Errorf("ack %s: %w", escalationID, ErrUnknownEscalation)
	}
	if a.first != "" {
		return AckResult{Already: true, By: a.first, At: apiNow}, nil
	}
	a.first = userID
	return AckResult{By: userID, At: apiNow}, nil
}

type apiEnv struct {
	t      *testing.T
	srv    *httptest.Server
	store  *push.SQLStore
	clock  *clock.Fake
	acker  *apiStubAcker
	logBuf *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(apiNow)
	db, err := roster.OpenSQLite(ctx, filepath.Join(t.TempDir(), "api.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.UpsertMember(ctx, roster.Member{UserID: "wangwu", Name: "王五", Active: true}); err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{t: t, store: push.NewSQLStore(db, clk), clock: clk, acker: &apiStubAcker{}, logBuf: &syncBuffer{}}
	mux := Routes{
		Store: db, Metrics: metrics.New(), Log: slog.New(slog.NewTextHandler(e.logBuf, nil)),
		Devices: e.store, Acker: e.acker, Clock: clk,
	}.Mux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *apiEnv) code() string {
	e.t.Helper()
	c, err := e.store.NewPairingCode(context.Background(), "wangwu", push.PairingCodeTTL)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// do posts body to path with the Authorization header auth ("" for none)
// and returns the status, the decoded JSON body and the response.
func (e *apiEnv) do(path, auth, body string) (int, map[string]any, *http.Response) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("%s answered %d with non-JSON %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m, resp
}

func pairBody(code, platform, token string) string {
	b, _ := json.Marshal(map[string]string{"code": code, "platform": platform, "token": token, "topic": "cn.gov.dutybot"})
	return string(b)
}

// pair pairs an iPhone and returns its Authorization header.
func (e *apiEnv) pair() string {
	e.t.Helper()
	status, body, _ := e.do("/api/v1/devices", "", pairBody(e.code(), "ios", apiToken))
	if status != http.StatusCreated {
		e.t.Fatalf("pair: %d %v", status, body)
	}
	return fmt.Sprintf("Device %d:%s", int64(body["device_id"].(float64)), body["secret"].(string))
}

func TestAPIPairDevice(t *testing.T) {
	e := newAPIEnv(t)
	status, body, resp := e.do("/api/v1/devices", "", pairBody(e.code(), "ios", apiToken))
	if status != http.StatusCreated {
		t.Fatalf("status %d %v, want 201", status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	id, _ := body["device_id"].(float64)
	secret, _ := body["secret"].(string)
	if id <= 0 || len(secret) < 43 {
		t.Fatalf("body %v, want device_id and a 32-byte secret", body)
	}
	d, err := e.store.DeviceByCredential(context.Background(), int64(id), secret)
	if err != nil || d.UserID != "wangwu" || d.Platform != push.IOS || d.Token != apiToken || d.Topic != "cn.gov.dutybot" {
		t.Fatalf("stored device %+v, %v", d, err)
	}
	if strings.Contains(e.logBuf.String(), secret) {
		t.Fatal("the log holds the device secret")
	}

	// Android with an FCM token.
	status, body, _ = e.do("/api/v1/devices", "", pairBody(e.code(), "android", "fcm-token:APA91b_x-y"))
	if status != http.StatusCreated {
		t.Fatalf("android pairing: %d %v", status, body)
	}
}

func TestAPIPairBadRequests(t *testing.T) {
	e := newAPIEnv(t)
	code := e.code()
	cases := []struct {
		name, body, want string
		status           int
	}{
		{"not JSON", "code=123456", "not valid JSON", 400},
		{"empty", "", "body is empty", 400},
		{"array", "[]", "must be a", 400},
		{"unknown field", `{"code":"123456","platform":"ios","token":"` + apiToken + `","colour":"red"}`, `unknown field "colour"`, 400},
		{"two objects", pairBody(code, "ios", apiToken) + "{}", "one JSON object", 400},
		{"number code", `{"code":123456,"platform":"ios","token":"` + apiToken + `"}`, `"code" must be a string`, 400},
		{"short code", pairBody("12345", "ios", apiToken), "6 digits", 400},
		{"platform", pairBody(code, "windows", apiToken), `use "ios" or "android"`, 400},
		{"platform case", pairBody(code, "iOS", apiToken), `use "ios" or "android"`, 400},
		{"no token", pairBody(code, "android", ""), `"token" is required`, 400},
		{"ios token not hex", pairBody(code, "ios", "not-a-hex-token-not-a-hex-token!"), "APNs device token in hex", 400},
		{"android token with space", pairBody(code, "android", "a b"), "FCM registration token", 400},
		{"topic", `{"code":"` + code + `","platform":"ios","token":"` + apiToken + `","topic":"a b"}`, `"topic"`, 400},
		{"too large", `{"code":"` + code + `","platform":"ios","token":"` + strings.Repeat("a", MaxAPIBody) + `"}`, "larger than", 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := e.do("/api/v1/devices", "", c.body)
			msg, _ := body["error"].(string)
			if status != c.status || !strings.Contains(msg, c.want) {
				t.Fatalf("%d %q, want %d and an error containing %q", status, msg, c.status, c.want)
			}
		})
	}
	// None of these used the code up or counted against the limit.
	if status, body, _ := e.do("/api/v1/devices", "", pairBody(code, "ios", apiToken)); status != http.StatusCreated {
		t.Fatalf("good request after bad ones: %d %v", status, body)
	}
	// GET is not allowed.
	resp, err := http.Get(e.srv.URL + "/api/v1/devices")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", resp.StatusCode)
	}
}

func TestAPIPairRefusedCodesAlike(t *testing.T) {
	e := newAPIEnv(t)
	used := e.code()
	if status, _, _ := e.do("/api/v1/devices", "", pairBody(used, "ios", apiToken)); status != http.StatusCreated {
		t.Fatal("first pairing failed")
	}
	expired := e.code()
	e.clock.Advance(push.PairingCodeTTL)
	wrong := "000000"
	if wrong == used || wrong == expired {
		wrong = "000001"
	}
	var msgs []string
	for _, code := range []string{used, expired, wrong} {
		status, body, _ := e.do("/api/v1/devices", "", pairBody(code, "android", "tok"))
		if status != http.StatusForbidden {
			t.Fatalf("code %s: status %d, want 403", code, status)
		}
		msgs = append(msgs, body["error"].(string))
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Fatalf("refusals differ, codes can be probed: %q", msgs)
	}
	for _, code := range []string{used, expired} {
		if strings.Contains(e.logBuf.String(), code) {
			t.Errorf("log names the code %s", code)
		}
	}
}

func TestAPIPairLimiter(t *testing.T) {
	e := newAPIEnv(t)
	code := e.code()
	wrong := "999999"
	if wrong == code {
		wrong = "999998"
	}
	for i := range push.PairingMaxFailures {
		if status, _, _ := e.do("/api/v1/devices", "", pairBody(wrong, "ios", apiToken)); status != http.StatusForbidden {
			t.Fatalf("wrong code %d: status %d, want 403", i+1, status)
		}
		e.clock.Advance(time.Minute)
	}
	// Now even the right code is refused.
	status, body, resp := e.do("/api/v1/devices", "", pairBody(code, "ios", apiToken))
	if status != http.StatusTooManyRequests {
		t.Fatalf("after %d wrong codes: %d %v, want 429", push.PairingMaxFailures, status, body)
	}
	wantWait := push.PairingFailureWindow - time.Duration(push.PairingMaxFailures)*time.Minute
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || time.Duration(ra)*time.Second != wantWait {
		t.Fatalf("Retry-After %q, want %d", resp.Header.Get("Retry-After"), int(wantWait.Seconds()))
	}
	e.clock.Advance(wantWait - time.Second)
	if status, _, _ := e.do("/api/v1/devices", "", pairBody(code, "ios", apiToken)); status != http.StatusTooManyRequests {
		t.Fatalf("a second before the window ends: %d, want 429", status)
	}
	// The first code has expired meanwhile; a fresh one works once the
	// oldest failure has left the window.
	e.clock.Advance(time.Second)
	if status, body, _ := e.do("/api/v1/devices", "", pairBody(e.code(), "ios", apiToken)); status != http.StatusCreated {
		t.Fatalf("after the window: %d %v, want 201", status, body)
	}
}

func TestAPIAck(t *testing.T) {
	e := newAPIEnv(t)
	auth := e.pair()

	status, body, _ := e.do("/api/v1/acks", auth, `{"escalation_id":"E1"}`)
	if status != http.StatusOK || body["already"] != false || body["acked_by"] != "wangwu" || body["escalation_id"] != "E1" ||
		body["acked_at"] != apiNow.Format(time.RFC3339) {
		t.Fatalf("ack: %d %v", status, body)
	}
	if got := e.acker.calls; len(got) != 1 || got[0] != "E1/wangwu/push" {
		t.Fatalf("Ack calls %v, want E1 by wangwu via push", got)
	}
	status, body, _ = e.do("/api/v1/acks", auth, `{"escalation_id":"E1"}`)
	if status != http.StatusOK || body["already"] != true {
		t.Fatalf("second ack: %d %v, want 200 already", status, body)
	}

	for _, id := range []string{"E404", "gone"} {
		if status, body, _ := e.do("/api/v1/acks", auth, `{"escalation_id":"`+id+`"}`); status != http.StatusNotFound {
			t.Fatalf("unknown escalation %s: %d %v, want 404", id, status, body)
		}
	}
	if status, body, _ := e.do("/api/v1/acks", auth, `{"escalation_id":"boom"}`); status != http.StatusInternalServerError {
		t.Fatalf("failing Acker: %d %v, want 500", status, body)
	}
	for _, b := range []string{`{}`, `{"escalation_id":""}`, `nope`, `{"escalation_id":7}`} {
		if status, body, _ := e.do("/api/v1/acks", auth, b); status != http.StatusBadRequest || body["error"] == "" {
			t.Errorf("body %s: %d %v, want 400 with an error", b, status, body)
		}
	}

	id, secret, _ := strings.Cut(strings.TrimPrefix(auth, "Device "), ":")
	n := len(e.acker.calls)
	for _, bad := range []string{
		"",
		"Bearer " + secret,
		"Device " + id,
		"Device " + id + ":",
		"Device " + id + ":" + secret + "x",
		"Device 999:" + secret,
		"Device x:" + secret,
		"Device -1:" + secret,
	} {
		status, _, resp := e.do("/api/v1/acks", bad, `{"escalation_id":"E1"}`)
		if status != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d, want 401 with WWW-Authenticate", bad, status)
		}
	}
	if len(e.acker.calls) != n {
		t.Fatal("an unauthenticated request reached the Acker")
	}
	if strings.Contains(e.logBuf.String(), secret) {
		t.Fatal("the log holds the device secret")
	}
	// Any case of the scheme name works.
	if status, _, _ := e.do("/api/v1/acks", "device "+id+":"+secret, `{"escalation_id":"E1"}`); status != http.StatusOK {
		t.Errorf("lower-case scheme: %d, want 200", status)
	}
}

func TestAPIRoutesSkippedWhenNil(t *testing.T) {
	ctx := context.Background()
	db, err := roster.OpenSQLite(ctx, filepath.Join(t.TempDir(), "api.db"), clock.NewFake(apiNow))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, rt := range []Routes{
		{Store: db, Metrics: metrics.New(), Log: log},
		{Store: db, Metrics: metrics.New(), Log: log, Devices: push.NewSQLStore(db, clock.NewFake(apiNow))},
	} {
		srv := httptest.NewServer(rt.Mux())
		resp, err := http.Post(srv.URL+"/api/v1/acks", "application/json", strings.NewReader(`{"escalation_id":"E1"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("acks without an Acker (devices %v) = %d, want 404", rt.Devices != nil, resp.StatusCode)
		}
		resp, err = http.Post(srv.URL+"/api/v1/devices", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: 404, true: 400}[rt.Devices != nil]; resp.StatusCode != want {
			t.Errorf("devices (registry %v) = %d, want %d", rt.Devices != nil, resp.StatusCode, want)
		}
		srv.Close()
	}
}
