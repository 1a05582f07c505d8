package push

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/certificate"
	"github.com/sideshow/apns2/payload"
	"github.com/sideshow/apns2/token"

	"dutybot/internal/clock"
)

// APNsCategory is the notification category the iOS app registers with its
// 确认 (acknowledge) action.
const APNsCategory = "DUTY_ALERT"

// apnsMaxCollapseID is Apple's limit on the apns-collapse-id header, in bytes.
const apnsMaxCollapseID = 64

// Defaults for NewAPNs; see the APNsOption functions.
const (
	apnsDefaultConcurrency = 64
	apnsDefaultAttempts    = 4
	apnsDefaultBackoff     = 200 * time.Millisecond
	apnsHTTPTimeout        = 30 * time.Second
	apnsReadIdleTimeout    = 15 * time.Second
)

// APNsConfig configures the APNs sender. It mirrors configs.APNs field for
// field (push does not import configs; the application converts).
//
// Token auth (KeyFile + KeyID + TeamID) is used when KeyFile is set;
// otherwise certificate auth with CertFile (a .p12, or a .pem holding the
// certificate and its key) and CertPassword.
type APNsConfig struct {
	KeyFile      string // .p8 auth key
	KeyID        string
	TeamID       string
	CertFile     string // .p12 (or .pem)
	CertPassword string
	// Topic is the default apns-topic (the iOS app's bundle id), used when a
	// Device has none.
	Topic string
	// Production selects api.push.apple.com over the development host;
	// Host, when set, overrides both (tests, proxies), e.g.
	// "https://127.0.0.1:8443".
	Production bool
	Host       string
}

// APNs sends notifications to iOS devices through Apple's HTTP/2 provider
// API. It implements Sender and is safe for concurrent use.
type APNs struct {
	client      *apns2.Client
	clk         clock.Clock
	topic       string
	concurrency int
	attempts    int
	backoff     time.Duration
}

var _ Sender = (*APNs)(nil)

// apnsOptions collects what the APNsOption functions set.
type apnsOptions struct {
	tlsConfig   *tls.Config
	httpClient  *http.Client
	concurrency int
	attempts    int
	backoff     time.Duration
}

// APNsOption adjusts NewAPNs.
type APNsOption func(*apnsOptions)

// WithAPNsTLSConfig sets the TLS client configuration, e.g. RootCAs that
// trust a local fake's certificate. With certificate auth the client
// certificate is added to a clone of cfg.
func WithAPNsTLSConfig(cfg *tls.Config) APNsOption {
	return func(o *apnsOptions) { o.tlsConfig = cfg }
}

// WithAPNsHTTPClient replaces the HTTP client entirely. It must speak
// HTTP/2 and, with certificate auth, present the client certificate itself.
func WithAPNsHTTPClient(c *http.Client) APNsOption {
	return func(o *apnsOptions) { o.httpClient = c }
}

// WithAPNsConcurrency bounds how many notifications are in flight at once
// within one Send (default 64).
func WithAPNsConcurrency(n int) APNsOption {
	return func(o *apnsOptions) { o.concurrency = n }
}

// WithAPNsRetry sets the number of attempts per notification (default 4)
// and the first backoff, which doubles after each transient failure
// (default 200 ms).
func WithAPNsRetry(attempts int, backoff time.Duration) APNsOption {
	return func(o *apnsOptions) { o.attempts, o.backoff = attempts, backoff }
}

// NewAPNs returns an APNs sender for cfg. Backoff between retries waits on
// clk. It does not connect until the first Send.
func NewAPNs(cfg APNsConfig, clk clock.Clock, opts ...APNsOption) (*APNs, error) {
	o := apnsOptions{
		concurrency: apnsDefaultConcurrency,
		attempts:    apnsDefaultAttempts,
		backoff:     apnsDefaultBackoff,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.concurrency < 1 || o.attempts < 1 || o.backoff < 0 {
		return nil, fmt.Errorf("apns: concurrency %d, attempts %d and backoff %v must be positive",
			o.concurrency, o.attempts, o.backoff)
	}
	if clk == nil {
		return nil, errors.New("apns: nil clock")
	}

	tlsConfig := &tls.Config{}
	if o.tlsConfig != nil {
		tlsConfig = o.tlsConfig.Clone()
	}
	client := &apns2.Client{}
	switch {
	case cfg.KeyFile != "":
		if cfg.KeyID == "" || cfg.TeamID == "" {
			return nil, fmt.Errorf("apns: token auth with key file %s needs key_id and team_id", cfg.KeyFile)
		}
		key, err := token.AuthKeyFromFile(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("apns: load auth key %s: %w", cfg.KeyFile, err)
		}
		client.Token = &token.Token{AuthKey: key, KeyID: cfg.KeyID, TeamID: cfg.TeamID}
	case cfg.CertFile != "":
		cert, err := apnsLoadCertificate(cfg.CertFile, cfg.CertPassword)
		if err != nil {
			return nil, fmt.Errorf("apns: load certificate %s: %w", cfg.CertFile, err)
		}
		client.Certificate = cert
		tlsConfig.Certificates = append(tlsConfig.Certificates, cert)
	default:
		return nil, errors.New("apns: no credentials: set key_file, key_id and team_id (token auth) or cert_file (certificate auth)")
	}

	switch {
	case cfg.Host != "":
		client.Host = strings.TrimSuffix(cfg.Host, "/")
	case cfg.Production:
		client.Host = apns2.HostProduction
	default:
		client.Host = apns2.HostDevelopment
	}

	client.HTTPClient = o.httpClient
	if client.HTTPClient == nil {
		client.HTTPClient = apnsHTTPClient(tlsConfig)
	}
	return &APNs{
		client:      client,
		clk:         clk,
		topic:       cfg.Topic,
		concurrency: o.concurrency,
		attempts:    o.attempts,
		backoff:     o.backoff,
	}, nil
}

// apnsLoadCertificate reads a .p12 file, or a .pem file holding the
// certificate and its private key.
func apnsLoadCertificate(file, password string) (tls.Certificate, error) {
	if strings.EqualFold(filepath.Ext(file), ".pem") {
		return certificate.FromPemFile(file, password)
	}
	return certificate.FromP12File(file, password)
}

// apnsHTTPClient returns an HTTP/2-only client that pings idle connections,
// as Apple asks providers to keep connections open.
func apnsHTTPClient(tlsConfig *tls.Config) *http.Client {
	var protocols http.Protocols
	protocols.SetHTTP2(true)
	return &http.Client{
		Timeout: apnsHTTPTimeout,
		Transport: &http.Transport{
			TLSClientConfig:   tlsConfig,
			ForceAttemptHTTP2: true,
			Protocols:         &protocols,
			HTTP2:             &http.HTTP2Config{SendPingTimeout: apnsReadIdleTimeout},
		},
	}
}

// Close releases idle connections.
func (a *APNs) Close() {
	a.client.HTTPClient.CloseIdleConnections()
}

// Send delivers ns concurrently (bounded by the concurrency option) and
// returns one Result per notification, in order. Transient failures (429,
// 5xx, network errors) are retried with exponential backoff on the
// sender's clock; once ctx is done, remaining work fails with ctx's error.
func (a *APNs) Send(ctx context.Context, ns []Notification) []Result {
	results := make([]Result, len(ns))
	sem := make(chan struct{}, a.concurrency)
	var wg sync.WaitGroup
	for i := range ns {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = Result{Status: Failed, Err: fmt.Errorf("apns: not sent: %w", ctx.Err())}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = a.sendOne(ctx, ns[i])
		})
	}
	wg.Wait()
	return results
}

// sendOne sends n, retrying transient failures.
func (a *APNs) sendOne(ctx context.Context, n Notification) Result {
	note := a.notification(n)
	start := a.clk.Now()
	wait := a.backoff
	var res Result
	for attempt := 1; ; attempt++ {
		var retry bool
		res, retry = a.attempt(ctx, note)
		res.Attempts = attempt
		if !retry || attempt >= a.attempts {
			break
		}
		t := a.clk.NewTimer(wait)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			res.Err = fmt.Errorf("apns: retry abandoned after %w: %w", res.Err, ctx.Err())
			res.Latency = a.clk.Now().Sub(start)
			return res
		}
		wait *= 2
	}
	res.Latency = a.clk.Now().Sub(start)
	return res
}

// attempt makes one request and classifies the answer; retry reports
// whether the failure is transient.
func (a *APNs) attempt(ctx context.Context, note *apns2.Notification) (res Result, retry bool) {
	if err := ctx.Err(); err != nil {
		return Result{Status: Failed, Err: fmt.Errorf("apns: %w", err)}, false
	}
	resp, err := a.client.PushWithContext(ctx, note)
	if err != nil {
		res := Result{Status: Failed, Err: fmt.Errorf("apns: push to %s: %w", a.client.Host, err)}
		return res, ctx.Err() == nil
	}
	res = Result{ProviderID: resp.ApnsID, Reason: resp.Reason}
	switch {
	case resp.StatusCode == http.StatusOK:
		res.Status = Delivered
		return res, false
	case resp.StatusCode == http.StatusGone,
		resp.Reason == apns2.ReasonUnregistered,
		resp.Reason == apns2.ReasonBadDeviceToken,
		resp.Reason == apns2.ReasonDeviceTokenNotForTopic:
		res.Status = Invalid
		res.Err = fmt.Errorf("apns: device token rejected: %d %s", resp.StatusCode, resp.Reason)
		return res, false
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		res.Status = Failed
		res.Err = fmt.Errorf("apns: transient error: %d %s", resp.StatusCode, resp.Reason)
		return res, true
	default:
		res.Status = Failed
		res.Err = fmt.Errorf("apns: rejected: %d %s", resp.StatusCode, resp.Reason)
		return res, false
	}
}

// notification builds the APNs request for n.
func (a *APNs) notification(n Notification) *apns2.Notification {
	p := payload.NewPayload().
		AlertTitle(n.Title).
		AlertBody(n.Body).
		Category(APNsCategory).
		ThreadID(n.EscalationID).
		Custom("escalation_id", n.EscalationID).
		Custom("ack_token", n.AckToken).
		Custom("ack_url", n.AckURL)
	if n.Urgency == Critical {
		// SoundName sets {critical: 1, name, volume: 1.0}.
		p.SoundName("default").SoundVolume(1.0).InterruptionLevel(payload.InterruptionLevelCritical)
	} else {
		p.Sound("default").InterruptionLevel(payload.InterruptionLevelTimeSensitive)
	}
	topic := n.Device.Topic
	if topic == "" {
		topic = a.topic
	}
	return &apns2.Notification{
		DeviceToken: n.Device.Token,
		Topic:       topic,
		CollapseID:  APNsCollapseID(n.EscalationID),
		Expiration:  n.Expiration,
		Priority:    apns2.PriorityHigh,
		PushType:    apns2.PushTypeAlert,
		Payload:     p,
	}
}

// APNsCollapseID returns the apns-collapse-id for an escalation: the id
// itself, or, when longer than Apple's 64 bytes, its SHA-256 in hex
// (exactly 64 bytes).
func APNsCollapseID(escalationID string) string {
	if len(escalationID) <= apnsMaxCollapseID {
		return escalationID
	}
	sum := sha256.Sum256([]byte(escalationID))
	return hex.EncodeToString(sum[:])
}
