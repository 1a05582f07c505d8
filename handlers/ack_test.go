package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dutybot/push"
)

type stubVerifier map[string][2]string

func (v stubVerifier) Verify(token string) (string, string, error) {
	if got, ok := v[token]; ok {
		return got[0], got[1], nil
	}
	return "", "", push.ErrBadAckToken
}

type stubAcker struct {
	esc  map[string]push.Escalation
	acks []string
}

func (a *stubAcker) Escalation(ctx context.Context, id string) (push.Escalation, error) {
	e, ok := a.esc[id]
	if !ok {
		return push.Escalation{}, push.ErrNoEscalation
	}
	return e, nil
}

func (a *stubAcker) Ack(ctx context.Context, id, user, via string) (push.Escalation, bool, error) {
	e, ok := a.esc[id]
	if !ok {
		return push.Escalation{}, false, errors.New("unknown")
	}
	a.acks = append(a.acks, id+" "+user+" "+via)
	if e.Status != push.StatusOpen {
		return e, false, nil
	}
	e.Status, e.AckedBy = push.StatusAcked, user
	a.esc[id] = e
	return e, true, nil
}

func TestAckLink(t *testing.T) {
	at := time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC)
	acker := &stubAcker{esc: map[string]push.Escalation{
		"E1": {ID: "E1", Title: "夜班空岗", Status: push.StatusOpen},
		"E2": {ID: "E2", Title: "查岗未答", Status: push.StatusAcked, AckedBy: "lisi", AckedAt: at},
	}}
	h := &AckLink{
		Verifier: stubVerifier{"good": {"E1", "wangwu"}, "done": {"E2", "wangwu"}, "gone": {"E9", "wangwu"}},
		Acker:    acker, Location: time.FixedZone("CST", 8*3600), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	mux := http.NewServeMux()
	mux.Handle("/ack/{token}", h)
	tests := []struct {
		name, method, token string
		status              int
		want                string
		acks                int
	}{
		{"GET shows a confirm button and does not ack", http.MethodGet, "good", 200, `<button type="submit">确认`, 0},
		{"POST acknowledges", http.MethodPost, "good", 200, "已确认，已停止继续通知", 1},
		{"second POST says who was first", http.MethodPost, "good", 200, "已由 wangwu", 2},
		{"already acked: no button", http.MethodGet, "done", 200, "已由 lisi 于 11-23 09:30 确认", 2},
		{"forged token", http.MethodPost, "forged", 403, "链接无效或已过期", 2},
		{"unknown escalation", http.MethodGet, "gone", 404, "没有这条告警", 2},
		{"other methods", http.MethodPut, "good", 405, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tt.method, "/ack/"+tt.token, nil))
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%s /ack/%s = %d %q; want %d containing %q", tt.method, tt.token, rec.Code, body, tt.status, tt.want)
			}
			if len(acker.acks) != tt.acks {
				t.Fatalf("acks = %v, want %d", acker.acks, tt.acks)
			}
			if tt.name == "already acked: no button" && strings.Contains(body, "<button") {
				t.Fatal("closed escalation offers a button")
			}
		})
	}
}
