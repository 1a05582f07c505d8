package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"dutybot/push"
)

// MaxAPIBody is the largest JSON body the app API accepts.
const MaxAPIBody = 64 << 10

// DeviceRegistry pairs phones and checks their credentials.
// *push.SQLStore is the real one.
type DeviceRegistry interface {
	ClaimPairing(ctx context.Context, code string, d push.Device) (push.Device, string, error)
	DeviceByCredential(ctx context.Context, deviceID int64, secret string) (push.Device, error)
}

// Acker acknowledges an escalation on behalf of a member; the escalation
// engine implements it (AckerFunc adapts a function). via names the channel
// ("push" from this API). It returns ErrUnknownEscalation or
// push.ErrNoEscalation (possibly wrapped) when there is no such escalation.
type Acker interface {
	Ack(ctx context.Context, escalationID, userID, via string) (AckResult, error)
}

// AckerFunc is a function used as an Acker.
type AckerFunc func(ctx context.Context, escalationID, userID, via string) (AckResult, error)

// Ack calls f.
func (f AckerFunc) Ack(ctx context.Context, escalationID, userID, via string) (AckResult, error) {
	return f(ctx, escalationID, userID, via)
}

// AckResult is the outcome of an acknowledgement.
type AckResult struct {
	// Already is true when someone (maybe this member) had acknowledged
	// before; By and At then name that first acknowledgement.
	Already bool
	// By is who acknowledged first (a display name or userid).
	By string
	// At is when the first acknowledgement was recorded.
	At time.Time
}

// ErrUnknownEscalation is what an Acker returns (possibly wrapped) for an
// escalation id it does not know; the API answers 404.
var ErrUnknownEscalation = errors.New("unknown escalation")

// AckViaPush is the via an acknowledgement through POST /api/v1/acks has.
const AckViaPush = "push"

// API serves the mobile app's endpoints under /api/v1.
type API struct {
	Devices DeviceRegistry
	Acker   Acker // nil: /api/v1/acks is not served
	// Limiter counts wrong pairing codes per client IP.
	Limiter *push.AttemptLimiter
	Log     *slog.Logger
}

// Register adds the API's endpoints to mux: POST /api/v1/devices when
// Devices is set, POST /api/v1/acks when Devices and Acker are.
func (a *API) Register(mux *http.ServeMux) {
	if a.Devices == nil {
		return
	}
	mux.HandleFunc("POST /api/v1/devices", a.pair)
	if a.Acker != nil {
		mux.HandleFunc("POST /api/v1/acks", a.ack)
	}
}

// apiError is the JSON body of every refusal.
type apiError struct {
	Error string `json:"error"`
}

// pairRequest is the body of POST /api/v1/devices.
type pairRequest struct {
	Code     string `json:"code"`
	Platform string `json:"platform"`
	Token    string `json:"token"`
	Topic    string `json:"topic"`
}

// pairResponse is the answer to a successful pairing. The secret is shown
// only here; the app keeps it with device_id for later calls.
type pairResponse struct {
	DeviceID int64  `json:"device_id"`
	Secret   string `json:"secret"`
}

const pairShape = `{"code":"<6 digits from 绑定手机>","platform":"ios|android","token":"<APNs device token (hex) or FCM registration token>","topic":"<iOS bundle id or Android app id, optional>"}`

// msgBadCode is the one answer to a wrong, expired or used code, so the
// answer does not tell which codes exist.
const msgBadCode = "pairing code is wrong, expired or already used; send 绑定手机 in WeCom for a new one"

// maxFCMToken bounds an FCM registration token (they are about 160 bytes).
const maxFCMToken = 4096

var (
	codePattern      = regexp.MustCompile(`^[0-9]{6}$`)
	apnsTokenPattern = regexp.MustCompile(`^[0-9a-fA-F]{32,200}$`)
	fcmTokenPattern  = regexp.MustCompile(`^[\x21-\x7e]+$`)
	topicPattern     = regexp.MustCompile(`^[A-Za-z0-9._-]{0,255}$`)
)

// pair is POST /api/v1/devices: claim a pairing code for a phone.
func (a *API) pair(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	key := limitKey(ip)
	if ok, wait := a.Limiter.Allow(key); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		a.Log.Warn("pairing refused: too many wrong codes", "remote", ip, "retry_after_s", secs)
		writeJSON(w, http.StatusTooManyRequests, apiError{Error: fmt.Sprintf(
			"too many wrong pairing codes from this address; try again in %d seconds", secs)})
		return
	}
	var req pairRequest
	if msg, status := decodeJSON(w, r, &req); status != 0 {
		writeJSON(w, status, apiError{Error: msg + "; want " + pairShape})
		return
	}
	if msg := req.check(); msg != "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: msg})
		return
	}
	d := push.Device{Platform: push.Platform(req.Platform), Token: req.Token, Topic: req.Topic}
	dev, secret, err := a.Devices.ClaimPairing(r.Context(), req.Code, d)
	switch {
	case errors.Is(err, push.ErrPairingCodeUnknown), errors.Is(err, push.ErrPairingCodeExpired),
		errors.Is(err, push.ErrPairingCodeUsed), errors.Is(err, push.ErrMemberInactive):
		a.Limiter.Fail(key)
		a.Log.Warn("pairing refused", "remote", ip, "reason", err)
		writeJSON(w, http.StatusForbidden, apiError{Error: msgBadCode})
		return
	case err != nil:
		a.Log.Error("pairing failed", "remote", ip, "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "internal error; try again later"})
		return
	}
	a.Log.Info("device paired", "user", dev.UserID, "device", dev.ID, "platform", dev.Platform, "remote", ip)
	writeJSON(w, http.StatusCreated, pairResponse{DeviceID: dev.ID, Secret: secret})
}

// check says what is wrong with a pairing request, or "" when nothing is.
func (p *pairRequest) check() string {
	switch {
	case !codePattern.MatchString(p.Code):
		return `"code" must be the 6 digits from 绑定手机`
	case p.Platform != string(push.IOS) && p.Platform != string(push.Android):
		return fmt.Sprintf(`"platform" %q is not accepted; use "ios" or "android"`, p.Platform)
	case p.Token == "":
		return `"token" is required: the APNs device token (hex) or the FCM registration token`
	case p.Platform == string(push.IOS) && !apnsTokenPattern.MatchString(p.Token):
		return `"token" for ios must be the APNs device token in hex (32 to 200 hex digits)`
	case p.Platform == string(push.Android) && (len(p.Token) > maxFCMToken || !fcmTokenPattern.MatchString(p.Token)):
		return `"token" for android must be the FCM registration token (up to 4096 printable characters, no spaces)`
	case !topicPattern.MatchString(p.Topic):
		return `"topic" must be a bundle or app id (letters, digits, ".", "-", "_"; up to 255)`
	}
	return ""
}

// ackRequest is the body of POST /api/v1/acks.
type ackRequest struct {
	EscalationID string `json:"escalation_id"`
}

// ackResponse answers an acknowledgement.
type ackResponse struct {
	EscalationID string `json:"escalation_id"`
	// Already: someone had acknowledged before this request.
	Already bool   `json:"already"`
	By      string `json:"acked_by"`
	At      string `json:"acked_at"`
}

// ack is POST /api/v1/acks: the push's acknowledge action, authenticated
// by the device credential.
func (a *API) ack(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	id, secret, ok := parseDeviceAuth(r.Header.Get("Authorization"))
	if !ok {
		a.unauthorized(w, ip, "missing or malformed Authorization header")
		return
	}
	dev, err := a.Devices.DeviceByCredential(r.Context(), id, secret)
	if errors.Is(err, push.ErrBadCredential) {
		a.unauthorized(w, ip, fmt.Sprintf("wrong credential for device %d", id))
		return
	}
	if err != nil {
		a.Log.Error("ack: check device credential", "device", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "internal error; try again later"})
		return
	}
	var req ackRequest
	if msg, status := decodeJSON(w, r, &req); status != 0 {
		writeJSON(w, status, apiError{Error: msg + `; want {"escalation_id":"<id from the push>"}`})
		return
	}
	if strings.TrimSpace(req.EscalationID) == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: `"escalation_id" is required: the id the push carried`})
		return
	}
	res, err := a.Acker.Ack(r.Context(), req.EscalationID, dev.UserID, AckViaPush)
	if errors.Is(err, ErrUnknownEscalation) || errors.Is(err, push.ErrNoEscalation) {
		a.Log.Warn("ack for an unknown escalation", "escalation", req.EscalationID, "user", dev.UserID, "device", dev.ID)
		writeJSON(w, http.StatusNotFound, apiError{Error: "no such escalation"})
		return
	}
	if err != nil {
		a.Log.Error("ack failed", "escalation", req.EscalationID, "user", dev.UserID, "device", dev.ID, "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{Error: "internal error; try again later"})
		return
	}
	a.Log.Info("escalation acknowledged from a phone", "escalation", req.EscalationID, "user", dev.UserID,
		"device", dev.ID, "already", res.Already)
	out := ackResponse{EscalationID: req.EscalationID, Already: res.Already, By: res.By}
	if !res.At.IsZero() {
		out.At = res.At.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, out)
}

// unauthorized answers 401 and logs why (never the secret).
func (a *API) unauthorized(w http.ResponseWriter, ip, reason string) {
	a.Log.Warn("api call refused", "remote", ip, "reason", reason)
	w.Header().Set("WWW-Authenticate", `Device realm="dutybot"`)
	writeJSON(w, http.StatusUnauthorized, apiError{Error: "device credential missing or not valid; pair the phone again (绑定手机)"})
}

// parseDeviceAuth reads "Device <device_id>:<secret>".
func parseDeviceAuth(h string) (int64, string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Device") {
		return 0, "", false
	}
	idText, secret, ok := strings.Cut(strings.TrimSpace(cred), ":")
	if !ok || secret == "" {
		return 0, "", false
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, secret, true
}

// decodeJSON reads one JSON object of at most MaxAPIBody bytes into v. On
// failure it returns what is wrong and the status to answer (400, or 413
// for a body too large); status 0 means success.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) (string, int) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxAPIBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return "body must hold one JSON object and nothing after it", http.StatusBadRequest
		}
		return "", 0
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Sprintf("body is larger than %d bytes", MaxAPIBody), http.StatusRequestEntityTooLarge
	case errors.Is(err, io.EOF):
		return "body is empty", http.StatusBadRequest
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type), http.StatusBadRequest
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: "), http.StatusBadRequest
	}
	return "body is not valid JSON", http.StatusBadRequest
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// limitKey is what the pairing limit counts a client under: its IPv4
// address, or the /64 network of an IPv6 address. One subscriber or host is
// routinely given a whole /64, so counting single IPv6 addresses would let
// it try 2^64 times as often as the limit means.
func limitKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// clientIP is the address the request came from (the peer, not a
// forwarded-for header, which a client could forge).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
