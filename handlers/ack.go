package handlers

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"dutybot/push"
)

// AckVerifier checks a one-tap acknowledgement token.
type AckVerifier interface {
	Verify(token string) (escalationID, userID string, err error)
}

// EscalationAcker acknowledges escalations and reads them.
type EscalationAcker interface {
	Ack(ctx context.Context, id, userID, via string) (push.Escalation, bool, error)
	Escalation(ctx context.Context, id string) (push.Escalation, error)
}

// AckLink serves /ack/{token}: GET shows a confirm page (so link previews
// and prefetchers never acknowledge), POST acknowledges.
type AckLink struct {
	Verifier AckVerifier
	Acker    EscalationAcker
	Location *time.Location
	Log      *slog.Logger
}

var ackPage = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>确认告警 {{.ID}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:32em}button{font-size:1.4em;padding:.6em 2em}</style></head>
<body>
<h1>{{.Title}}</h1>
<p>告警编号 {{.ID}}</p>
{{if .Message}}<p><strong>{{.Message}}</strong></p>{{end}}
{{if .CanAck}}<form method="post"><button type="submit">确认 / Acknowledge</button></form>{{end}}
</body></html>`))

type ackView struct {
	ID, Title, Message string
	CanAck             bool
}

// MaxAckToken bounds the token in /ack/{token}: a real one (escalation
// id, userid, expiry and a 43-character signature) is under 250 bytes.
const MaxAckToken = 512

// ackPageHeaders are set on every answer of /ack: the URL is a bearer
// credential for one member's acknowledgement, so no Referer carries it
// elsewhere, no other site frames the confirm button (clickjacking), the
// page loads nothing and posts only to itself, and no cache keeps it.
var ackPageHeaders = map[string]string{
	"Referrer-Policy":         "no-referrer",
	"X-Frame-Options":         "DENY",
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":  "nosniff",
	"Cache-Control":           "no-store",
}

func (h *AckLink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range ackPageHeaders {
		w.Header().Set(k, v)
	}
	token := r.PathValue("token")
	id, user, err := "", "", error(push.ErrBadAckToken)
	if len(token) <= MaxAckToken {
		id, user, err = h.Verifier.Verify(token)
	}
	if err != nil {
		h.Log.Warn("ack link refused", "remote", r.RemoteAddr, "reason", err, "token_bytes", len(token))
		http.Error(w, "链接无效或已过期。请在企业微信中回复「确认 <编号>」。(invalid or expired link)", http.StatusForbidden)
		return
	}
	esc, err := h.Acker.Escalation(r.Context(), id)
	if errors.Is(err, push.ErrNoEscalation) {
		http.Error(w, "没有这条告警 (no such alert)", http.StatusNotFound)
		return
	}
	if err != nil {
		h.Log.Error("ack link: load escalation", "id", id, "err", err)
		http.Error(w, "暂时无法处理，请在企业微信中回复「确认 "+id+"」", http.StatusInternalServerError)
		return
	}
	view := ackView{ID: esc.ID, Title: esc.Title}
	switch r.Method {
	case http.MethodGet:
		view.CanAck = esc.Status == push.StatusOpen
		view.Message = h.closedMessage(esc)
	case http.MethodPost:
		got, first, err := h.Acker.Ack(r.Context(), id, user, "link")
		if err != nil {
			h.Log.Error("ack link: acknowledge", "id", id, "err", err)
			http.Error(w, "暂时无法确认，请在企业微信中回复「确认 "+id+"」", http.StatusInternalServerError)
			return
		}
		view.Message = "已确认，已停止继续通知。"
		if !first {
			view.Message = h.closedMessage(got)
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := ackPage.Execute(w, view); err != nil {
		h.Log.Error("render ack page", "err", err)
	}
}

func (h *AckLink) closedMessage(esc push.Escalation) string {
	switch esc.Status {
	case push.StatusAcked:
		return "已由 " + esc.AckedBy + " 于 " + esc.AckedAt.In(h.Location).Format("01-02 15:04") + " 确认。"
	case push.StatusResolved:
		return "告警已自动解除。"
	case push.StatusExhausted:
		return "告警已结束（无人确认），请直接联系值班室。"
	}
	return ""
}
