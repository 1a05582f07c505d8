// Package fcmtest is a local fake of Firebase Cloud Messaging's HTTP v1 API
// (POST /v1/projects/{project}/messages:send) for tests. It answers like
// FCM does, including Google's JSON error bodies with the FcmError details
// the Firebase Admin SDK reads, so messaging.IsUnregistered and friends
// work against it.
//
// Point the Admin SDK at it with option.WithEndpoint(Endpoint(srv)) and a
// static token source (or option.WithoutAuthentication).
package fcmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"

	"firebase.google.com/go/v4/messaging"
)

// Error is an error answer from FCM: the HTTP status, the Google API status
// (error.status), the FCM error code (the FcmError detail's errorCode) and
// the message. BadRequestField, when set, adds a google.rpc.BadRequest
// detail with a field violation on that field (FCM names "message.token"
// when the registration token is malformed). RetryAfter, when set, is sent
// as the Retry-After header.
type Error struct {
	HTTPStatus      int
	Status          string
	ErrorCode       string
	Message         string
	BadRequestField string
	RetryAfter      string
}

// FCM's error answers, as the HTTP v1 API sends them.
var (
	// Unregistered is FCM's answer for a token that is no longer valid
	// (app uninstalled, token expired).
	Unregistered = Error{HTTPStatus: http.StatusNotFound, Status: "NOT_FOUND", ErrorCode: "UNREGISTERED", Message: "Requested entity was not found."}
	// InvalidToken is FCM's answer for a malformed registration token.
	InvalidToken = Error{HTTPStatus: http.StatusBadRequest, Status: "INVALID_ARGUMENT", ErrorCode: "INVALID_ARGUMENT",
		Message: "The registration token is not a valid FCM registration token", BadRequestField: "message.token"}
	// SenderIDMismatch is FCM's answer for a token registered to another sender.
	SenderIDMismatch = Error{HTTPStatus: http.StatusForbidden, Status: "PERMISSION_DENIED", ErrorCode: "SENDER_ID_MISMATCH", Message: "SenderId mismatch"}
	// Unavailable is FCM overloaded.
	Unavailable = Error{HTTPStatus: http.StatusServiceUnavailable, Status: "UNAVAILABLE", ErrorCode: "UNAVAILABLE", Message: "The service is currently unavailable."}
	// Internal is an unknown internal error in FCM.
	Internal = Error{HTTPStatus: http.StatusInternalServerError, Status: "INTERNAL", ErrorCode: "INTERNAL", Message: "Internal error encountered."}
	// QuotaExceeded is the sending rate limit exceeded.
	QuotaExceeded = Error{HTTPStatus: http.StatusTooManyRequests, Status: "RESOURCE_EXHAUSTED", ErrorCode: "QUOTA_EXCEEDED", Message: "Quota exceeded for quota metric 'Messages sent'."}
)

// Message is one message the fake accepted.
type Message struct {
	// Name is the message name answered, "projects/{p}/messages/{n}".
	Name  string
	Token string
	// Message is the request's message as the Admin SDK models it.
	Message messaging.Message
	// Raw is the request's "message" object exactly as received.
	Raw json.RawMessage
	// Authorization is the request's Authorization header.
	Authorization string
}

// Android returns the message's Android config (nil if none).
func (m Message) Android() *messaging.AndroidConfig { return m.Message.Android }

// Data returns the message's data payload.
func (m Message) Data() map[string]string { return m.Message.Data }

// Fake is an FCM HTTP v1 server as an http.Handler. It is safe for
// concurrent use.
type Fake struct {
	project string

	mu           sync.Mutex
	accepted     []Message
	attempts     map[string]int // requests per token, answered or not
	requests     int
	unregistered map[string]bool
	failures     []failure
	nextID       int64
	changed      chan struct{} // closed and replaced on every request
}

// failure is an injected error for the next n requests to token ("" = any).
type failure struct {
	token string
	n     int
	err   Error
}

// New returns a fake for project.
func New(project string) *Fake {
	return &Fake{
		project:      project,
		attempts:     make(map[string]int),
		unregistered: make(map[string]bool),
		changed:      make(chan struct{}),
	}
}

// NewServer starts a fake for project on 127.0.0.1; the caller closes it.
func NewServer(project string) (*httptest.Server, *Fake) {
	f := New(project)
	return httptest.NewServer(f), f
}

// Endpoint is the URL to give option.WithEndpoint for a server running a
// Fake: its URL plus the API version path.
func Endpoint(srv *httptest.Server) string { return srv.URL + "/v1" }

// Unregister makes every later message to token fail with UNREGISTERED.
func (f *Fake) Unregister(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unregistered[token] = true
}

// Fail makes the next n requests for token ("" for any token) fail with e.
// Injected failures are used up in the order they were added.
func (f *Fake) Fail(token string, n int, e Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failure{token: token, n: n, err: e})
}

// Messages returns the accepted messages in the order they arrived.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.accepted...)
}

// ByToken returns the last accepted message for token.
func (f *Fake) ByToken(token string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.accepted) - 1; i >= 0; i-- {
		if f.accepted[i].Token == token {
			return f.accepted[i], true
		}
	}
	return Message{}, false
}

// Attempts reports how many well-formed send requests named token,
// whatever the answer.
func (f *Fake) Attempts(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[token]
}

// Requests reports how many well-formed send requests (valid JSON, this
// project's path) arrived, whatever the answer.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// WaitMessages waits until at least n messages were accepted and returns
// them, or fails when ctx ends.
func (f *Fake) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	return f.wait(ctx, func() bool { return len(f.accepted) >= n }, fmt.Sprintf("%d messages", n))
}

// WaitRequests waits until at least n send requests arrived (accepted or
// not) and returns the accepted messages, or fails when ctx ends.
func (f *Fake) WaitRequests(ctx context.Context, n int) ([]Message, error) {
	return f.wait(ctx, func() bool { return f.requests >= n }, fmt.Sprintf("%d requests", n))
}

func (f *Fake) wait(ctx context.Context, done func() bool, what string) ([]Message, error) {
	for {
		f.mu.Lock()
		ok, changed := done(), f.changed
		got := append([]Message(nil), f.accepted...)
		reqs := f.requests
		f.mu.Unlock()
		if ok {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("fcmtest: waiting for %s (have %d accepted of %d requests): %w", what, len(got), reqs, ctx.Err())
		}
	}
}

// sendRequest is the body of messages:send.
type sendRequest struct {
	ValidateOnly bool            `json:"validate_only"`
	Message      json.RawMessage `json:"message"`
}

// ServeHTTP implements POST /v1/projects/{project}/messages:send.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	want := "/v1/projects/" + f.project + "/messages:send"
	if r.URL.Path != want {
		writeError(w, Error{HTTPStatus: http.StatusNotFound, Status: "NOT_FOUND", Message: "fcmtest: no such method " + r.URL.Path})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, Error{HTTPStatus: http.StatusMethodNotAllowed, Status: "INVALID_ARGUMENT", Message: "fcmtest: method " + r.Method + " not allowed"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, Error{HTTPStatus: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: "fcmtest: reading body: " + err.Error()})
		return
	}
	var req sendRequest
	var msg messaging.Message
	if err := json.Unmarshal(body, &req); err != nil || len(req.Message) == 0 {
		writeError(w, Error{HTTPStatus: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: fmt.Sprintf("Invalid JSON payload received: %v", err)})
		return
	}
	if err := json.Unmarshal(req.Message, &msg); err != nil {
		writeError(w, Error{HTTPStatus: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: fmt.Sprintf("Invalid JSON payload received: %v", err)})
		return
	}

	name, fail := f.answer(msg, req, r.Header.Get("Authorization"))
	if fail != nil {
		writeError(w, *fail)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]string{"name": name})
}

// answer records the request and decides its answer: a message name, or
// an error.
func (f *Fake) answer(msg messaging.Message, req sendRequest, auth string) (string, *Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.attempts[msg.Token]++
	close(f.changed)
	f.changed = make(chan struct{})

	targets := 0
	for _, s := range []string{msg.Token, msg.Topic, msg.Condition} {
		if s != "" {
			targets++
		}
	}
	if targets != 1 {
		e := Error{HTTPStatus: http.StatusBadRequest, Status: "INVALID_ARGUMENT", ErrorCode: "INVALID_ARGUMENT", Message: "Exactly one of token, topic or condition must be set"}
		return "", &e
	}
	for i := range f.failures {
		fl := &f.failures[i]
		if fl.n > 0 && (fl.token == "" || fl.token == msg.Token) {
			fl.n--
			e := fl.err
			return "", &e
		}
	}
	if msg.Token != "" && f.unregistered[msg.Token] {
		e := Unregistered
		return "", &e
	}
	if req.ValidateOnly {
		return "projects/" + f.project + "/messages/fake_message_id", nil
	}
	f.nextID++
	name := "projects/" + f.project + "/messages/" + strconv.FormatInt(f.nextID, 10)
	f.accepted = append(f.accepted, Message{Name: name, Token: msg.Token, Message: msg, Raw: req.Message, Authorization: auth})
	return name, nil
}

// writeError writes e as Google's JSON error body.
func writeError(w http.ResponseWriter, e Error) {
	var details []any
	if e.ErrorCode != "" {
		details = append(details, map[string]any{
			"@type":     "type.googleapis.com/google.firebase.fcm.v1.FcmError",
			"errorCode": e.ErrorCode,
		})
	}
	if e.BadRequestField != "" {
		details = append(details, map[string]any{
			"@type": "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []map[string]string{
				{"field": e.BadRequestField, "description": e.Message},
			},
		})
	}
	errBody := map[string]any{
		"code":    e.HTTPStatus,
		"message": e.Message,
		"status":  e.Status,
	}
	if len(details) > 0 {
		errBody["details"] = details
	}
	if e.RetryAfter != "" {
		w.Header().Set("Retry-After", e.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.HTTPStatus)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": errBody})
}
