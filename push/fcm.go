package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"

	"dutybot/internal/clock"
)

// FCM defaults.
const (
	// DefaultFCMChannelID is the Android notification channel the app
	// creates for duty alarms (importance high, alarm sound, bypasses DND
	// where the user allowed it).
	DefaultFCMChannelID = "duty_alarm"
	// DefaultFCMMaxAttempts is how many times one notification is sent
	// before a transient failure becomes Failed.
	DefaultFCMMaxAttempts = 4
	// DefaultFCMBackoff is the wait before the first retry; it doubles
	// for each further retry.
	DefaultFCMBackoff = 500 * time.Millisecond
	// DefaultFCMMaxBackoff caps one wait, including a server's Retry-After.
	DefaultFCMMaxBackoff = 30 * time.Second

	// fcmBatchSize is the most messages SendEach accepts in one call.
	fcmBatchSize = 500
	// fcmMaxTTL is the longest TTL FCM accepts (28 days).
	fcmMaxTTL = 28 * 24 * time.Hour
	// fcmScope is the OAuth2 scope for sending FCM messages.
	fcmScope = "https://www.googleapis.com/auth/firebase.messaging"
)

// Keys of the FCM data payload the Android app reads.
const (
	FCMDataEscalationID = "escalation_id"
	FCMDataAckToken     = "ack_token"
	FCMDataAckURL       = "ack_url"
	FCMDataUrgency      = "urgency"
)

// FCMConfig configures the FCM sender. The app converts configs.FCM into
// it (push does not import configs).
type FCMConfig struct {
	// CredentialsFile is the service-account JSON key. When empty, the
	// credentials come from the options passed to NewFCM or, failing
	// those, from Application Default Credentials.
	CredentialsFile string
	// ProjectID is the Firebase project; when empty it is read from the
	// credentials file.
	ProjectID string
	// Endpoint overrides FCM's API base URL (default
	// https://fcm.googleapis.com/v1), e.g. a local fake's URL + "/v1".
	Endpoint string
	// ChannelID is the Android notification channel for alarms; default
	// DefaultFCMChannelID.
	ChannelID string
	// MaxAttempts, Backoff and MaxBackoff tune retries of transient
	// failures; zero means the defaults above.
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
}

// FCM sends notifications to Android phones through Firebase Cloud
// Messaging (HTTP v1). It implements Sender and is safe for concurrent use.
//
// Retries are FCM's own: the Admin SDK's built-in retry of HTTP 503 (which
// sleeps on the wall clock) is turned off by the transport, so every wait
// happens on the injected clock and honours the caller's context. The SDK
// still retries network errors on its own before reporting them.
type FCM struct {
	clock       clock.Clock
	channelID   string
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	// sendEach is client.SendEach; tests replace it to watch the batches.
	sendEach func(ctx context.Context, ms []*messaging.Message) (*messaging.BatchResponse, error)
}

var _ Sender = (*FCM)(nil)

// NewFCM returns an FCM sender. Production passes no options and a
// credentials file in cfg; tests pass option.WithEndpoint (or set
// cfg.Endpoint) and option.WithTokenSource or option.WithoutAuthentication
// so that nothing contacts Google. option.WithHTTPClient is not supported:
// NewFCM builds its own HTTP client around the options' credentials.
func NewFCM(ctx context.Context, cfg FCMConfig, clk clock.Clock, opts ...option.ClientOption) (*FCM, error) {
	var all []option.ClientOption
	if cfg.CredentialsFile != "" {
		if _, err := os.Stat(cfg.CredentialsFile); err != nil {
			return nil, fmt.Errorf("fcm: credentials file: %w", err)
		}
		all = append(all, option.WithCredentialsFile(cfg.CredentialsFile))
	}
	if cfg.Endpoint != "" {
		all = append(all, option.WithEndpoint(cfg.Endpoint))
	}
	all = append(all, opts...)

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 100
	rt, err := htransport.NewTransport(ctx, noSDKRetry{next: base}, append([]option.ClientOption{option.WithScopes(fcmScope)}, all...)...)
	if err != nil {
		return nil, fmt.Errorf("fcm: credentials: %w", err)
	}
	hc := &http.Client{Transport: rt}

	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: cfg.ProjectID}, append(all, option.WithHTTPClient(hc))...)
	if err != nil {
		return nil, fmt.Errorf("fcm: firebase app: %w", err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("fcm: messaging client: %w", err)
	}

	f := &FCM{
		clock:       clk,
		channelID:   cfg.ChannelID,
		maxAttempts: cfg.MaxAttempts,
		backoff:     cfg.Backoff,
		maxBackoff:  cfg.MaxBackoff,
		sendEach:    client.SendEach,
	}
	if f.channelID == "" {
		f.channelID = DefaultFCMChannelID
	}
	if f.maxAttempts <= 0 {
		f.maxAttempts = DefaultFCMMaxAttempts
	}
	if f.backoff <= 0 {
		f.backoff = DefaultFCMBackoff
	}
	if f.maxBackoff <= 0 {
		f.maxBackoff = DefaultFCMMaxBackoff
	}
	return f, nil
}

// originalRetryAfter carries a 503 response's own Retry-After past the
// SDK, whose retry is disabled by a long Retry-After (see noSDKRetry).
const originalRetryAfter = "X-Dutybot-Retry-After"

// noSDKRetry stops the Admin SDK from retrying HTTP 503 on the wall clock:
// the SDK gives up at once when a server asks for more than two minutes,
// so 503 responses are given such a Retry-After. The server's own value is
// kept in originalRetryAfter for FCM.Send's backoff.
type noSDKRetry struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t noSDKRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		return resp, err
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		resp.Header.Set(originalRetryAfter, v)
	}
	resp.Header.Set("Retry-After", "86400")
	return resp, nil
}

// Send delivers ns through FCM with SendEach in batches of up to 500 and
// returns one result per notification, in order. Transient failures
// (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED) are retried, only those
// notifications, with exponential backoff on the clock, up to the
// configured attempts or until ctx ends.
func (f *FCM) Send(ctx context.Context, ns []Notification) []Result {
	start := f.clock.Now()
	results := make([]Result, len(ns))
	msgs := make([]*messaging.Message, len(ns))
	var pending []int
	for i, n := range ns {
		m, err := f.message(n, start)
		if err != nil {
			results[i] = err.result()
			continue
		}
		msgs[i] = m
		pending = append(pending, i)
	}

	for attempt := 1; len(pending) > 0; attempt++ {
		retry, wait := f.sendRound(ctx, msgs, pending, results)
		for _, i := range pending {
			results[i].Attempts = attempt
			results[i].Latency = f.clock.Now().Sub(start)
		}
		if len(retry) == 0 || attempt >= f.maxAttempts {
			break
		}
		if err := f.sleep(ctx, f.delay(attempt, wait)); err != nil {
			for _, i := range retry {
				results[i].Err = fmt.Errorf("fcm: retry abandoned: %w (last error: %w)", err, results[i].Err)
				results[i].Latency = f.clock.Now().Sub(start)
			}
			break
		}
		pending = retry
	}
	return results
}

// sendRound sends msgs[i] for every i in idx, in chunks of fcmBatchSize,
// and fills results. It returns the indexes worth retrying and the longest
// Retry-After among them.
func (f *FCM) sendRound(ctx context.Context, msgs []*messaging.Message, idx []int, results []Result) (retry []int, wait time.Duration) {
	for lo := 0; lo < len(idx); lo += fcmBatchSize {
		chunk := idx[lo:min(lo+fcmBatchSize, len(idx))]
		batch := make([]*messaging.Message, len(chunk))
		for j, i := range chunk {
			batch[j] = msgs[i]
		}
		br, err := f.sendEach(ctx, batch)
		if err == nil && len(br.Responses) != len(batch) {
			err = fmt.Errorf("SendEach returned %d responses for %d messages", len(br.Responses), len(batch))
		}
		if err != nil {
			// The whole call failed (validation or a cancelled context):
			// nothing was sent, and retrying will not help.
			for _, i := range chunk {
				results[i] = Result{Status: Failed, Reason: "SendEach", Err: fmt.Errorf("fcm: send: %w", err)}
			}
			continue
		}
		for j, i := range chunk {
			r, transient, after := classifyFCM(br.Responses[j])
			results[i] = r
			if transient {
				retry = append(retry, i)
				wait = max(wait, after)
			}
		}
	}
	return retry, wait
}

// delay is the wait before retry number attempt (1-based): Backoff doubled
// attempt-1 times, or the server's Retry-After if longer, capped.
func (f *FCM) delay(attempt int, retryAfter time.Duration) time.Duration {
	d := f.backoff
	for i := 1; i < attempt && d < f.maxBackoff; i++ {
		d *= 2
	}
	d = max(d, retryAfter)
	return min(d, f.maxBackoff)
}

// sleep waits d on the clock or until ctx ends.
func (f *FCM) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := f.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// badNotification is a notification rejected before sending.
type badNotification struct {
	status Status
	reason string
	err    error
}

func (b *badNotification) result() Result {
	return Result{Status: b.status, Reason: b.reason, Err: b.err}
}

// message builds the FCM message for n, or says why it cannot be sent.
func (f *FCM) message(n Notification, now time.Time) (*messaging.Message, *badNotification) {
	if n.Device.Token == "" {
		return nil, &badNotification{Invalid, "EmptyToken", errors.New("fcm: device has no registration token")}
	}
	android := &messaging.AndroidConfig{
		CollapseKey: n.EscalationID,
		Priority:    "high",
		Notification: &messaging.AndroidNotification{
			Title:     n.Title,
			Body:      n.Body,
			ChannelID: f.channelID,
			Tag:       n.EscalationID,
		},
	}
	if !n.Expiration.IsZero() {
		ttl := n.Expiration.Sub(now).Truncate(time.Second)
		if ttl <= 0 {
			return nil, &badNotification{Failed, "Expired", fmt.Errorf("fcm: notification expired at %s", n.Expiration.Format(time.RFC3339))}
		}
		ttl = min(ttl, fcmMaxTTL)
		android.TTL = &ttl
	}
	switch n.Urgency {
	case Critical:
		android.Notification.Priority = messaging.PriorityMax
		android.Notification.Visibility = messaging.VisibilityPublic
	default:
		android.Notification.Priority = messaging.PriorityHigh
	}
	return &messaging.Message{
		Token:        n.Device.Token,
		Notification: &messaging.Notification{Title: n.Title, Body: n.Body},
		Android:      android,
		Data: map[string]string{
			FCMDataEscalationID: n.EscalationID,
			FCMDataAckToken:     n.AckToken,
			FCMDataAckURL:       n.AckURL,
			FCMDataUrgency:      string(n.Urgency),
		},
	}, nil
}

// classifyFCM turns one SendEach response into a result and says whether
// it is worth retrying and after how long the server asked to wait.
func classifyFCM(sr *messaging.SendResponse) (r Result, transient bool, retryAfter time.Duration) {
	if sr == nil {
		return Result{Status: Failed, Reason: "NoResponse", Err: errors.New("fcm: no response")}, false, 0
	}
	if sr.Success {
		return Result{Status: Delivered, ProviderID: sr.MessageID}, false, 0
	}
	err := sr.Error
	wrapped := fmt.Errorf("fcm: %w", err)
	// The messaging.Is* helpers need the SDK's error itself, not a wrapper.
	switch {
	case messaging.IsUnregistered(err):
		return Result{Status: Invalid, Reason: "UNREGISTERED", Err: wrapped}, false, 0
	case messaging.IsSenderIDMismatch(err):
		return Result{Status: Invalid, Reason: "SENDER_ID_MISMATCH", Err: wrapped}, false, 0
	case messaging.IsInvalidArgument(err) && badTokenArgument(err):
		return Result{Status: Invalid, Reason: "INVALID_ARGUMENT", Err: wrapped}, false, 0
	case messaging.IsQuotaExceeded(err):
		return Result{Status: Failed, Reason: "QUOTA_EXCEEDED", Err: wrapped}, true, retryAfterOf(err)
	case messaging.IsUnavailable(err):
		return Result{Status: Failed, Reason: "UNAVAILABLE", Err: wrapped}, true, retryAfterOf(err)
	case messaging.IsInternal(err):
		return Result{Status: Failed, Reason: "INTERNAL", Err: wrapped}, true, retryAfterOf(err)
	case messaging.IsInvalidArgument(err):
		return Result{Status: Failed, Reason: "INVALID_ARGUMENT", Err: wrapped}, false, 0
	case messaging.IsThirdPartyAuthError(err):
		return Result{Status: Failed, Reason: "THIRD_PARTY_AUTH_ERROR", Err: wrapped}, false, 0
	case errorutils.IsUnavailable(err), errorutils.IsInternal(err),
		errorutils.IsResourceExhausted(err), errorutils.IsDeadlineExceeded(err):
		// No FCM error code: a network error or a proxy's answer.
		return Result{Status: Failed, Reason: platformCode(err), Err: wrapped}, true, retryAfterOf(err)
	default:
		return Result{Status: Failed, Reason: platformCode(err), Err: wrapped}, false, 0
	}
}

// badTokenArgument reports whether an INVALID_ARGUMENT error blames the
// registration token (a google.rpc.BadRequest field violation on
// message.token, or FCM's message about the token) rather than the
// message we built.
func badTokenArgument(err error) bool {
	if strings.Contains(strings.ToLower(err.Error()), "registration token") {
		return true
	}
	resp := errorutils.HTTPResponse(err)
	if resp == nil || resp.Body == nil {
		return false
	}
	body, rerr := io.ReadAll(resp.Body)
	if rerr != nil {
		return false
	}
	var e struct {
		Error struct {
			Details []struct {
				Type            string `json:"@type"`
				FieldViolations []struct {
					Field string `json:"field"`
				} `json:"fieldViolations"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, d := range e.Error.Details {
		if d.Type != "type.googleapis.com/google.rpc.BadRequest" {
			continue
		}
		for _, v := range d.FieldViolations {
			if v.Field == "message.token" {
				return true
			}
		}
	}
	return false
}

// retryAfterOf is the server's Retry-After (in seconds) on an error
// response, or 0.
func retryAfterOf(err error) time.Duration {
	resp := errorutils.HTTPResponse(err)
	if resp == nil {
		return 0
	}
	v := resp.Header.Get(originalRetryAfter)
	if v == "" && resp.StatusCode != http.StatusServiceUnavailable {
		v = resp.Header.Get("Retry-After")
	}
	secs, perr := strconv.Atoi(strings.TrimSpace(v))
	if perr != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// platformCode is the Google API status of err (e.g. "PERMISSION_DENIED"),
// or "Error" when it has none.
func platformCode(err error) string {
	checks := []struct {
		code string
		is   func(error) bool
	}{
		{"UNAVAILABLE", errorutils.IsUnavailable},
		{"INTERNAL", errorutils.IsInternal},
		{"RESOURCE_EXHAUSTED", errorutils.IsResourceExhausted},
		{"DEADLINE_EXCEEDED", errorutils.IsDeadlineExceeded},
		{"UNAUTHENTICATED", errorutils.IsUnauthenticated},
		{"PERMISSION_DENIED", errorutils.IsPermissionDenied},
		{"NOT_FOUND", errorutils.IsNotFound},
		{"INVALID_ARGUMENT", errorutils.IsInvalidArgument},
		{"UNKNOWN", errorutils.IsUnknown},
	}
	for _, c := range checks {
		if c.is(err) {
			return c.code
		}
	}
	return "Error"
}
