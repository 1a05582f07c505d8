package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"dutybot/bot"
	"dutybot/configs"
	"dutybot/handlers"
	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/push"
	"dutybot/roster"
)

// ackLinkTTL is how long a one-tap ack link in an alert stays valid.
const ackLinkTTL = 72 * time.Hour

// Option adjusts how New assembles the app (tests point push at fakes).
type Option func(*options)

type options struct {
	senders map[push.Platform]push.Sender
	// noDutyDeadlines leaves the duty scheduler stopped.
	noDutyDeadlines bool
	// policies and settings, when set, replace the configured files.
	policies push.Policies
	settings *roster.Settings
}

// WithPolicies replaces the escalation policies (push.policies): the demo
// shortens the waits so a story fits in minutes.
func WithPolicies(p push.Policies) Option {
	return func(o *options) { o.policies = p }
}

// WithRosterSettings replaces the roster rules file (roster.file); the
// holiday files the settings name are still loaded. The demo generates its
// office's rules this way.
func WithRosterSettings(s roster.Settings) Option {
	return func(o *options) { o.settings = &s }
}

// WithoutDutyDeadlines leaves the duty deadlines (check-in grace, reminders,
// spot checks, handover windows) unarmed: for tests of other features that
// count the timers armed on their fake clock. Duty commands still work.
func WithoutDutyDeadlines() Option {
	return func(o *options) { o.noDutyDeadlines = true }
}

// WithPushSenders replaces the APNs/FCM senders built from the configuration.
func WithPushSenders(s map[push.Platform]push.Sender) Option {
	return func(o *options) { o.senders = s }
}

// pushSenders builds a sender for each configured provider.
func pushSenders(ctx context.Context, cfg configs.Push, clk clock.Clock) (map[push.Platform]push.Sender, error) {
	senders := make(map[push.Platform]push.Sender)
	a := cfg.APNs
	if a.KeyFile != "" || a.CertFile != "" {
		apns, err := push.NewAPNs(push.APNsConfig{
			KeyFile: a.KeyFile, KeyID: a.KeyID, TeamID: a.TeamID, CertFile: a.CertFile, CertPassword: a.CertPassword,
			Topic: a.Topic, Production: a.Production, Host: a.Host,
		}, clk)
		if err != nil {
			return nil, fmt.Errorf("push.apns: %w", err)
		}
		senders[push.IOS] = apns
	}
	if f := cfg.FCM; f.CredentialsFile != "" {
		fcm, err := push.NewFCM(ctx, push.FCMConfig{CredentialsFile: f.CredentialsFile, ProjectID: f.ProjectID, Endpoint: f.Endpoint}, clk)
		if err != nil {
			return nil, fmt.Errorf("push.fcm: %w", err)
		}
		senders[push.Android] = fcm
	}
	return senders, nil
}

// meteredSender records each notification's result and provider latency
// in the push metrics (dutybot_push_sends_total, dutybot_push_send_seconds).
type meteredSender struct {
	platform push.Platform
	next     push.Sender
	metrics  *metrics.Metrics
}

func (s meteredSender) Send(ctx context.Context, ns []push.Notification) []push.Result {
	rs := s.next.Send(ctx, ns)
	latency := s.metrics.PushSeconds.WithLabelValues(string(s.platform))
	for _, r := range rs {
		s.metrics.PushSends.WithLabelValues(string(s.platform), string(r.Status)).Inc()
		latency.Observe(r.Latency.Seconds())
	}
	return rs
}

// meteredSenders wraps each sender in a meteredSender.
func meteredSenders(senders map[push.Platform]push.Sender, m *metrics.Metrics) map[push.Platform]push.Sender {
	out := make(map[push.Platform]push.Sender, len(senders))
	for p, s := range senders {
		out[p] = meteredSender{platform: p, next: s, metrics: m}
	}
	return out
}

// ackKey reads the secret that signs ack links, creating a random one the
// first time when it lives beside the database.
func ackKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) < 32 {
			return nil, fmt.Errorf("ack key %s: want at least 32 bytes, found %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ack key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("ack key: %w", err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("ack key: %w", err)
	}
	return key, nil
}

// publicURL is the base of links phones open.
func publicURL(cfg configs.Config) string {
	if cfg.HTTP.PublicURL != "" {
		return cfg.HTTP.PublicURL
	}
	return "http://" + cfg.HTTP.Addr
}

// policies are the built-in ones, overridden by the configured file.
func policies(path string, minWait time.Duration) (push.Policies, error) {
	if path == "" {
		return push.DefaultPolicies(), nil
	}
	if minWait > 0 && minWait < push.MinWait {
		return push.LoadPoliciesMinWait(path, minWait)
	}
	return push.LoadPolicies(path)
}

// buildEscalations makes the escalation engine (policies, targets from the
// roster, WeCom through the bot, push through the configured providers,
// signed ack links) and attaches it to the bot.
func (a *App) buildEscalations(ctx context.Context, cfg configs.Config, clk clock.Clock, store *push.SQLStore, opts options) (*push.AckLinks, error) {
	ps := opts.policies
	if ps == nil {
		var err error
		if ps, err = policies(cfg.Push.Policies, cfg.Push.MinWait); err != nil {
			return nil, err
		}
	}
	senders := opts.senders
	var err error
	if senders == nil {
		if senders, err = pushSenders(ctx, cfg.Push, clk); err != nil {
			return nil, err
		}
	}
	senders = meteredSenders(senders, a.Metrics)
	keyFile := cfg.Push.AckKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(filepath.Dir(cfg.DB), "ack.key")
		if roster.IsPostgresURL(cfg.DB) {
			// No folder beside the database; instances sharing a
			// PostgreSQL database must share this key too (set
			// push.ack_key_file), or each one's links fail on the others.
			keyFile = filepath.Join("data", "ack.key")
		}
	}
	key, err := ackKey(keyFile)
	if err != nil {
		return nil, err
	}
	links, err := push.NewAckLinks(key, publicURL(cfg), ackLinkTTL, clk)
	if err != nil {
		return nil, err
	}
	a.Escalations = store
	a.Engine = push.NewEngine(push.EngineConfig{
		Store: store, Policies: ps, Notifier: a.Service, Senders: senders, Links: links, Clock: clk, Location: a.Location, Log: a.log, Metrics: a.Metrics, Limiter: a.pushLimiter(clk),
		Resolver: push.RosterTargets{Store: a.Store, Settings: a.Settings, Location: a.Location},
		Shared:   a.shared(),
	})
	a.Service.AttachEscalations(a.Engine, store)
	return links, nil
}

// ackFromPhone acknowledges from the app's push action (POST /api/v1/acks).
func (a *App) ackFromPhone(ctx context.Context, id, userID, via string) (handlers.AckResult, error) {
	esc, first, err := a.Engine.Ack(ctx, id, userID, via)
	if err != nil {
		return handlers.AckResult{}, err
	}
	return handlers.AckResult{Already: !first, By: esc.AckedBy, At: esc.AckedAt}, nil
}

// pushLimits paces each provider well inside what Apple and Google accept
// from one sender (FCM allows 600,000 a minute per project; Apple publishes
// no number but throttles bursts with 429).
func pushLimits() []bot.Limit { return []bot.Limit{{Rate: 3000, Period: time.Second}} }

// pushLimiter shares the push pacing through Redis when there is one.
func (a *App) pushLimiter(clk clock.Clock) push.Limiter {
	if a.redis != nil {
		return bot.NewRedisLimiter(a.redis, pushLimits()...)
	}
	return bot.NewMemoryLimiter(clk, pushLimits()...)
}

// activeMembersOnly refuses the one-tap links of members who have been
// deactivated since the link was sent (they left WeCom): a link works only
// while its member does.
type activeMembersOnly struct {
	links   handlers.AckVerifier
	members interface {
		Member(ctx context.Context, userID string) (roster.Member, error)
	}
}

func (v activeMembersOnly) Verify(token string) (string, string, error) {
	id, user, err := v.links.Verify(token)
	if err != nil {
		return "", "", err
	}
	m, err := v.members.Member(context.Background(), user)
	if err != nil || !m.Active {
		return "", "", fmt.Errorf("link of %s, who is not an active member: %w", user, push.ErrBadAckToken)
	}
	return id, user, nil
}
