// Package apnstest is a local fake of Apple's push notification service
// that speaks the real provider protocol (HTTP/2 over TLS,
// POST /3/device/{token}, Apple's headers and error bodies), for tests.
package apnstest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxPayload is Apple's limit on a notification's JSON body, in bytes.
const MaxPayload = 4096

// Notification is one notification the fake accepted.
type Notification struct {
	Token string
	// Header is the request's headers (apns-topic, apns-collapse-id,
	// apns-expiration, apns-priority, apns-push-type, authorization...).
	Header http.Header
	// ApnsID is the apns-id the fake answered with.
	ApnsID string
	// ClientCert reports whether the provider presented a TLS client
	// certificate (certificate auth).
	ClientCert bool
	// Payload is the decoded JSON body; Raw the body as sent.
	Payload map[string]any
	Raw     []byte
}

// Aps returns the payload's "aps" dictionary.
func (n Notification) Aps() map[string]any {
	aps, _ := n.Payload["aps"].(map[string]any)
	return aps
}

// failure is an injected error answer.
type failure struct {
	token  string // "" matches any token
	left   int
	status int
	reason string
}

// Fake is an http.Handler implementing APNs' POST /3/device/{token}. It is
// safe for concurrent use. The zero value is not usable; call New.
type Fake struct {
	mu           sync.Mutex
	accepted     []Notification
	requests     map[string]int // every request by token, accepted or not
	unregistered map[string]time.Time
	bad          map[string]bool
	failures     []*failure
	changed      chan struct{} // closed and replaced when accepted grows
}

// New returns an empty fake.
func New() *Fake {
	return &Fake{
		requests:     map[string]int{},
		unregistered: map[string]time.Time{},
		bad:          map[string]bool{},
		changed:      make(chan struct{}),
	}
}

// NewServer starts f on 127.0.0.1 over HTTP/2 with TLS (and asks for, but
// does not require, a client certificate). The caller closes the server.
// Use ClientTLSConfig to trust it.
func NewServer() (*httptest.Server, *Fake) {
	f := New()
	srv := httptest.NewUnstartedServer(f)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	return srv, f
}

// ClientTLSConfig returns a TLS client configuration that trusts srv's
// certificate (pass it to push.WithAPNsTLSConfig).
func ClientTLSConfig(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

// Unregister makes the fake answer 410 Unregistered for token, with the
// time at which the token stopped being valid.
func (f *Fake) Unregister(token string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unregistered[token] = at
}

// MarkBad makes the fake answer 400 BadDeviceToken for token.
func (f *Fake) MarkBad(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bad[token] = true
}

// Fail makes the next n requests for token ("" for any token) fail with
// status and Apple's reason, e.g. (503, "ServiceUnavailable") or
// (429, "TooManyRequests"). Injected failures are answered before any other
// check and in the order they were added.
func (f *Fake) Fail(token string, n, status int, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, &failure{token: token, left: n, status: status, reason: reason})
}

// Notifications returns a copy of the accepted notifications, in arrival
// order.
func (f *Fake) Notifications() []Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Notification(nil), f.accepted...)
}

// Requests reports how many requests arrived for token, accepted or not.
func (f *Fake) Requests(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[token]
}

// Reset forgets accepted notifications and request counts (not the
// unregistered, bad or failure settings).
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted = nil
	f.requests = map[string]int{}
}

// WaitFor waits until at least n notifications were accepted and returns
// them, or ctx's error.
func (f *Fake) WaitFor(ctx context.Context, n int) ([]Notification, error) {
	for {
		f.mu.Lock()
		got, changed := len(f.accepted), f.changed
		if got >= n {
			out := append([]Notification(nil), f.accepted...)
			f.mu.Unlock()
			return out, nil
		}
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("apnstest: %d of %d notifications: %w", got, n, ctx.Err())
		}
	}
}

// ServeHTTP answers one APNs request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	apnsID := r.Header.Get("apns-id")
	if apnsID == "" {
		apnsID = newUUID()
	}
	w.Header().Set("apns-id", apnsID)

	token, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !ok || strings.Contains(token, "/") {
		reject(w, http.StatusNotFound, "BadPath")
		return
	}
	if r.Method != http.MethodPost {
		reject(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	}

	f.mu.Lock()
	f.requests[token]++
	fail := f.takeFailure(token)
	unregisteredAt, unregistered := f.unregistered[token]
	bad := f.bad[token]
	f.mu.Unlock()

	if fail != nil {
		reject(w, fail.status, fail.reason)
		return
	}
	if reason := checkAuth(r); reason != "" {
		reject(w, http.StatusForbidden, reason)
		return
	}
	if token == "" {
		reject(w, http.StatusBadRequest, "MissingDeviceToken")
		return
	}
	if status, reason := checkHeaders(r.Header); status != 0 {
		reject(w, status, reason)
		return
	}
	if _, err := hex.DecodeString(token); err != nil || bad {
		reject(w, http.StatusBadRequest, "BadDeviceToken")
		return
	}
	if unregistered {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusGone)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"reason":    "Unregistered",
			"timestamp": unregisteredAt.UnixMilli(),
		})
		return
	}

	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	switch {
	case err != nil:
		reject(w, http.StatusBadRequest, "BadPayload")
		return
	case len(raw) == 0:
		reject(w, http.StatusBadRequest, "PayloadEmpty")
		return
	case len(raw) > MaxPayload:
		reject(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge")
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		reject(w, http.StatusBadRequest, "BadPayload")
		return
	}
	if _, ok := body["aps"].(map[string]any); !ok {
		reject(w, http.StatusBadRequest, "BadPayload")
		return
	}

	n := Notification{
		Token:      token,
		Header:     r.Header.Clone(),
		ApnsID:     apnsID,
		ClientCert: r.TLS != nil && len(r.TLS.PeerCertificates) > 0,
		Payload:    body,
		Raw:        raw,
	}
	f.mu.Lock()
	f.accepted = append(f.accepted, n)
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// takeFailure consumes one injected failure matching token, if any. The
// caller holds f.mu.
func (f *Fake) takeFailure(token string) *failure {
	for i, fl := range f.failures {
		if fl.token != "" && fl.token != token {
			continue
		}
		fl.left--
		if fl.left <= 0 {
			f.failures = append(f.failures[:i], f.failures[i+1:]...)
		}
		return fl
	}
	return nil
}

// checkAuth returns Apple's reason when the request carries neither a
// well-formed provider token (a JWT with alg ES256, kid, iss and iat) nor a
// client certificate.
func checkAuth(r *http.Request) string {
	auth := r.Header.Get("authorization")
	if auth == "" {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			return ""
		}
		return "MissingProviderToken"
	}
	jwt, ok := strings.CutPrefix(auth, "bearer ")
	if !ok {
		return "InvalidProviderToken"
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[2] == "" {
		return "InvalidProviderToken"
	}
	var header struct{ Alg, Kid string }
	var claims struct {
		Iss string
		Iat int64
	}
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil {
		return "InvalidProviderToken"
	}
	if header.Alg != "ES256" || header.Kid == "" || claims.Iss == "" || claims.Iat == 0 {
		return "InvalidProviderToken"
	}
	return ""
}

// decodeSegment decodes one base64url JWT segment into v.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("jwt segment: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("jwt segment: %w", err)
	}
	return nil
}

// checkHeaders validates the apns-* headers as Apple does; status 0 means
// they are fine.
func checkHeaders(h http.Header) (status int, reason string) {
	if h.Get("apns-topic") == "" {
		return http.StatusBadRequest, "MissingTopic"
	}
	switch h.Get("apns-push-type") {
	case "alert", "background", "location", "voip", "complication", "fileprovider", "mdm", "liveactivity", "pushtotalk":
	default:
		return http.StatusBadRequest, "InvalidPushType"
	}
	switch h.Get("apns-priority") {
	case "", "1", "5", "10":
	default:
		return http.StatusBadRequest, "BadPriority"
	}
	if len(h.Get("apns-collapse-id")) > 64 {
		return http.StatusBadRequest, "BadCollapseId"
	}
	if exp := h.Get("apns-expiration"); exp != "" {
		if _, err := strconv.ParseInt(exp, 10, 64); err != nil {
			return http.StatusBadRequest, "BadExpirationDate"
		}
	}
	return 0, ""
}

// reject writes Apple's error body {"reason": reason}.
func reject(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"reason": reason})
}

// newUUID returns a random (version 4) UUID in Apple's upper-case form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
