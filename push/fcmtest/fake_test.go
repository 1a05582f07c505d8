package fcmtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func post(t *testing.T, url, body string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, resp.Header, out
}

func TestFakeAnswers(t *testing.T) {
	srv, fake := NewServer("p")
	defer srv.Close()
	url := Endpoint(srv) + "/projects/p/messages:send"
	fake.Unregister("gone")
	fake.Fail("busy", 1, Error{HTTPStatus: 503, Status: "UNAVAILABLE", ErrorCode: "UNAVAILABLE", Message: "busy", RetryAfter: "7"})

	tests := []struct {
		name       string
		url, body  string
		wantCode   int
		wantStatus string // error.status, "" for success
		wantFCM    string // FcmError errorCode
		wantHeader string // Retry-After
	}{
		{"accepted", url, `{"message":{"token":"ok","data":{"k":"v"}},"validate_only":false}`, 200, "", "", ""},
		{"unregistered", url, `{"message":{"token":"gone"}}`, 404, "NOT_FOUND", "UNREGISTERED", ""},
		{"injected", url, `{"message":{"token":"busy"}}`, 503, "UNAVAILABLE", "UNAVAILABLE", "7"},
		{"injected used up", url, `{"message":{"token":"busy"}}`, 200, "", "", ""},
		{"no target", url, `{"message":{"data":{"k":"v"}}}`, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", ""},
		{"bad json", url, `{"message":`, 400, "INVALID_ARGUMENT", "", ""},
		{"non-string data", url, `{"message":{"token":"x","data":{"k":1}}}`, 400, "INVALID_ARGUMENT", "", ""},
		{"other project", Endpoint(srv) + "/projects/q/messages:send", `{"message":{"token":"ok"}}`, 404, "NOT_FOUND", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, out := post(t, tt.url, tt.body)
			if code != tt.wantCode {
				t.Fatalf("HTTP %d, want %d: %v", code, tt.wantCode, out)
			}
			if tt.wantStatus == "" {
				if name, _ := out["name"].(string); !strings.HasPrefix(name, "projects/p/messages/") {
					t.Errorf("name = %v", out["name"])
				}
				return
			}
			e, _ := out["error"].(map[string]any)
			if e["status"] != tt.wantStatus || e["code"] != float64(tt.wantCode) {
				t.Errorf("error = %v, want status %s", e, tt.wantStatus)
			}
			var fcmCode any
			details, _ := e["details"].([]any)
			for _, d := range details {
				if m, _ := d.(map[string]any); m["@type"] == "type.googleapis.com/google.firebase.fcm.v1.FcmError" {
					fcmCode = m["errorCode"]
				}
			}
			if tt.wantFCM != "" && fcmCode != tt.wantFCM {
				t.Errorf("FcmError errorCode = %v, want %s", fcmCode, tt.wantFCM)
			}
			if got := h.Get("Retry-After"); got != tt.wantHeader {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantHeader)
			}
		})
	}
	msgs := fake.Messages()
	if len(msgs) != 2 || msgs[0].Token != "ok" || msgs[0].Data()["k"] != "v" || msgs[1].Token != "busy" {
		t.Errorf("accepted = %+v", msgs)
	}
	if fake.Attempts("busy") != 2 || fake.Requests() != 5 {
		t.Errorf("attempts(busy) = %d, requests = %d; want 2, 5 (malformed requests are not counted)", fake.Attempts("busy"), fake.Requests())
	}
}

func TestFakeWaitMessages(t *testing.T) {
	srv, fake := NewServer("p")
	defer srv.Close()
	url := Endpoint(srv) + "/projects/p/messages:send"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := http.Post(url, "application/json", strings.NewReader(`{"message":{"token":"t"}}`))
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	got, err := fake.WaitMessages(ctx, 20)
	if err != nil || len(got) < 20 {
		t.Fatalf("WaitMessages = %d, %v", len(got), err)
	}
	wg.Wait()

	short, stop := context.WithCancel(context.Background())
	stop()
	if _, err := fake.WaitMessages(short, 21); err == nil {
		t.Error("WaitMessages for a message that never comes returned no error")
	}
}
