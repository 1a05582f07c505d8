// Package handlers is dutybot's HTTP surface: the WeCom callback, health and
// metrics. It maps protocol outcomes to HTTP statuses and nothing more; the
// work happens in bot and roster.
package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/internal/metrics"
)

// MaxCallbackBody is the largest callback body accepted; WeCom's are a few KiB.
const MaxCallbackBody = 1 << 20

// Acceptor stores a verified callback for processing and reports whether it
// was new (false for a retry of one already stored).
type Acceptor interface {
	Accept(ctx context.Context, msg wecom.Message, raw []byte) (bool, error)
}

// Callback serves /wecom/callback: GET for WeCom's URL verification, POST for
// messages and events.
type Callback struct {
	Crypto *wecom.Crypto // nil: WeCom is not configured, answer 503
	Accept Acceptor
	Clock  clock.Clock
	// Window is how far the callback's timestamp may be from now.
	Window  time.Duration
	Log     *slog.Logger
	Metrics *metrics.Metrics
}

// rejection is a refused callback: the status to answer, the metrics result
// and the reason for the log (never the reply, never a secret).
type rejection struct {
	status int
	result string
	reason string
	err    error
}

func (c *Callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := c.Clock.Now()
	var result string
	switch r.Method {
	case http.MethodGet:
		result = c.verifyURL(w, r)
	case http.MethodPost:
		result = c.receive(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		result = metrics.ResultBadRequest
	}
	if c.Metrics != nil {
		c.Metrics.Callbacks.WithLabelValues(result).Inc()
		c.Metrics.CallbackSeconds.Observe(c.Clock.Now().Sub(start).Seconds())
	}
}

// verifyURL answers WeCom's handshake with the decrypted echostr.
func (c *Callback) verifyURL(w http.ResponseWriter, r *http.Request) string {
	q := r.URL.Query()
	plain, rej := c.open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr"))
	if rej != nil {
		return c.reject(w, r, *rej)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(plain)
	c.Log.Info("wecom URL verification answered", "remote", r.RemoteAddr)
	return metrics.ResultVerified
}

// receive stores one message or event and answers an empty 200, or refuses it.
func (c *Callback) receive(w http.ResponseWriter, r *http.Request) string {
	if c.Crypto == nil {
		return c.reject(w, r, rejection{http.StatusServiceUnavailable, metrics.ResultUnconfigured, "WeCom is not configured", nil})
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return c.reject(w, r, rejection{http.StatusRequestEntityTooLarge, metrics.ResultTooLarge, "body over 1 MiB", nil})
		}
		return c.reject(w, r, rejection{http.StatusBadRequest, metrics.ResultBadRequest, "body unreadable", err})
	}
	env, err := wecom.ParseEnvelope(body)
	if err != nil {
		return c.reject(w, r, rejection{http.StatusBadRequest, metrics.ResultBadRequest, "envelope is not WeCom's XML", err})
	}
	q := r.URL.Query()
	plain, rej := c.open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt)
	if rej != nil {
		return c.reject(w, r, *rej)
	}
	msg, err := wecom.ParseMessage(plain)
	if err != nil {
		return c.reject(w, r, rejection{http.StatusBadRequest, metrics.ResultBadRequest, "decrypted message is not valid", err})
	}
	isNew, err := c.Accept.Accept(r.Context(), msg, plain)
	if err != nil {
		// WeCom retries on anything but a timely 200, so nothing is lost.
		c.Log.Error("could not store callback; WeCom will retry", "key", msg.DedupKey(), "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return metrics.ResultStoreError
	}
	w.WriteHeader(http.StatusOK)
	if !isNew {
		c.Log.Info("duplicate callback ignored", "key", msg.DedupKey())
		return metrics.ResultDuplicate
	}
	return metrics.ResultAccepted
}

// open checks the timestamp window and signature and decrypts the payload.
func (c *Callback) open(signature, timestamp, nonce, encrypted string) ([]byte, *rejection) {
	if c.Crypto == nil {
		return nil, &rejection{http.StatusServiceUnavailable, metrics.ResultUnconfigured, "WeCom is not configured", nil}
	}
	if signature == "" || timestamp == "" || nonce == "" || encrypted == "" {
		return nil, &rejection{http.StatusUnauthorized, metrics.ResultBadSignature, "missing msg_signature, timestamp, nonce or payload", nil}
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return nil, &rejection{http.StatusUnauthorized, metrics.ResultStale, "timestamp is not a number", nil}
	}
	if skew := c.Clock.Now().Sub(time.Unix(ts, 0)).Abs(); skew > c.Window {
		return nil, &rejection{http.StatusUnauthorized, metrics.ResultStale, "timestamp outside the window (" + skew.Round(time.Second).String() + " off)", nil}
	}
	if err := c.Crypto.Verify(signature, timestamp, nonce, encrypted); err != nil {
		return nil, &rejection{http.StatusUnauthorized, metrics.ResultBadSignature, "msg_signature does not match", nil}
	}
	plain, err := c.Crypto.Decrypt(encrypted)
	switch {
	case errors.Is(err, wecom.ErrWrongReceiver):
		return nil, &rejection{http.StatusForbidden, metrics.ResultWrongCorp, "payload is addressed to another corp id", nil}
	case err != nil:
		return nil, &rejection{http.StatusBadRequest, metrics.ResultBadRequest, "payload does not decrypt", err}
	}
	return plain, nil
}

func (c *Callback) reject(w http.ResponseWriter, r *http.Request, rej rejection) string {
	attrs := []any{"method", r.Method, "remote", r.RemoteAddr, "status", rej.status, "reason", rej.reason}
	if rej.err != nil {
		attrs = append(attrs, "err", rej.err)
	}
	c.Log.Warn("wecom callback rejected", attrs...)
	http.Error(w, http.StatusText(rej.status), rej.status)
	return rej.result
}
