// Package app assembles dutybot from its configuration: store, WeCom client,
// conversation service and HTTP routes. cmd/dutybot and the end-to-end tests
// both start the server through it.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"dutybot/bot"
	"dutybot/bot/wecom"
	"dutybot/configs"
	"dutybot/handlers"
	"dutybot/handlers/console"
	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/internal/cluster"
	"dutybot/internal/metrics"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// App is a configured dutybot, ready to serve.
type App struct {
	Store    *roster.SQLStore
	Service  *bot.Service
	Metrics  *metrics.Metrics
	Settings roster.Settings
	Location *time.Location
	// Engine raises and escalates alerts; Escalations is its store.
	Engine      *push.Engine
	Escalations *push.SQLStore
	// Duty keeps the duty records; DutyDeadlines fires their deadlines
	// (not run with WithoutDutyDeadlines).
	Duty          *duty.SQLStore
	Incidents     *incident.SQLStore
	DutyDeadlines *duty.Scheduler
	// Access keeps the console's API tokens and sessions; Console serves
	// /console/.
	Access  *access.SQLStore
	Console *console.Console
	runDuty bool
	mux     *http.ServeMux
	log     *slog.Logger
	redis   *redis.Client
	// instance names this process among those sharing the database and
	// Redis ("" without Redis: it works alone).
	instance string
	prefix   string
	// syncAt is when the daily address-book sync runs (office time); nil
	// when roster.sync_at is "off".
	syncAt *roster.ClockTime
}

// New opens the store, bootstraps the configured admins and queues any
// callbacks accepted but not processed before the last stop. The caller must
// Close it.
func New(ctx context.Context, cfg configs.Config, clk clock.Clock, log *slog.Logger, opts ...Option) (*App, error) {
	store, err := roster.Open(ctx, cfg.DB, clk)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err) // the error names the database, its password redacted
	}
	a := &App{Store: store, Metrics: metrics.New(), log: log}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := a.build(ctx, cfg, clk, o); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context, cfg configs.Config, clk clock.Clock, opts options) error {
	var tokenCache cache.Cache = wecom.NewMemoryCache(clk)
	if cfg.Redis.URL != "" {
		opts, err := redis.ParseURL(cfg.Redis.URL)
		if err != nil {
			return fmt.Errorf("redis.url: %w", err)
		}
		a.redis = redis.NewClient(opts)
		tokenCache = wecom.NewRedisCache(a.redis)
		a.instance, a.prefix = cluster.NewInstanceID(), cmp.Or(cfg.Redis.Prefix, "dutybot:")
		a.log = a.log.With("instance", a.instance)
		a.log.Info("sharing work with other instances through Redis")
	}

	var crypto *wecom.Crypto
	var sender bot.Sender = unconfiguredSender{}
	var cards bot.CardUpdater  // nil until WeCom is configured
	var media bot.MediaFetcher // nil (no file import in chat) until WeCom is configured
	// directory stays nil (no address-book sync) until WeCom is configured.
	var directory bot.Directory
	var oauth *wecom.OAuth // console login through WeCom
	if cfg.WeComConfigured() {
		var err error
		crypto, err = wecom.NewCrypto(cfg.WeCom.Token, cfg.WeCom.AESKey, cfg.WeCom.CorpID)
		if err != nil {
			return err
		}
		agentID, err := strconv.Atoi(cfg.WeCom.AgentID)
		if err != nil {
			return fmt.Errorf("wecom.agent_id: %w", err)
		}
		wecom.SetAPIBase(cfg.WeCom.APIBase)
		apiCfg := wecom.ClientConfig{CorpID: cfg.WeCom.CorpID, AgentID: agentID, Secret: cfg.WeCom.Secret, Cache: tokenCache}
		client := wecom.NewClient(apiCfg)
		sender, cards = client, client
		media = wecom.NewMediaClient(apiCfg)
		directory = wecom.NewDirectory(apiCfg)
		oauth = wecom.NewOAuth(apiCfg)
	} else {
		a.log.Warn("WeCom is not configured: /wecom/callback answers 503; run `dutybot serve --demo` to try dutybot without WeCom")
	}

	loc, err := cfg.Location()
	if err != nil {
		return err
	}
	settings, err := a.loadRoster(ctx, cfg.Roster.File, opts.settings)
	if err != nil {
		return err
	}
	a.Settings, a.Location = settings, loc
	// Paired phones (push): the bot issues pairing codes, the API claims them.
	devices := push.NewSQLStore(a.Store, clk)
	// WeCom drops app messages past 30/min or 1,000/h per member: pace them,
	// shared across instances through Redis when there is one.
	var limiter bot.Limiter
	switch {
	case !cfg.WeCom.RateLimit:
		a.log.Warn("WeCom rate limits are off (wecom.rate_limit: false): only for the in-process demo fake")
	case a.redis != nil:
		limiter = bot.WithAppLimit(bot.NewRedisLimiter(a.redis, bot.WeComAppLimits()...), bot.NewRedisLimiter(a.redis, bot.WeComMemberLimits()...))
	default:
		limiter = bot.WithAppLimit(bot.NewMemoryLimiter(clk, bot.WeComAppLimits()...), bot.NewMemoryLimiter(clk, bot.WeComMemberLimits()...))
	}
	a.Service = bot.New(bot.Config{
		Store: a.Store, Sender: sender, Clock: clk, Log: a.log, Metrics: a.Metrics, Admins: cfg.Admins,
		Location: loc, Roster: settings, Media: media, Directory: directory, Cards: cards,
		Devices: devices, Limiter: limiter, Instance: a.instance, Seen: a.seenCallbacks(),
	})
	if err := a.scheduleSync(cfg.Roster.SyncAt); err != nil {
		return err
	}
	links, err := a.buildEscalations(ctx, cfg, clk, devices, opts)
	if err != nil {
		return err
	}
	if err := a.buildDuty(cfg, clk, opts); err != nil {
		return err
	}
	if err := a.Service.Bootstrap(ctx); err != nil {
		return err
	}
	n, err := a.Service.Recover(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("resuming callbacks accepted before the last stop", "count", n)
	}

	a.mux = handlers.Routes{
		Callback: &handlers.Callback{
			Crypto: crypto, Accept: a.Service, Clock: clk, Window: cfg.WeCom.TimestampWindow,
			Log: a.log, Metrics: a.Metrics,
		},
		Store:   a.Store,
		Metrics: a.Metrics,
		Log:     a.log,
		// Phone API: pairing and acknowledging from the push action.
		Devices: devices,
		Acker:   handlers.AckerFunc(a.ackFromPhone),
		Clock:   clk,
	}.Mux()
	a.mux.Handle("/ack/{token}", &handlers.AckLink{Verifier: activeMembersOnly{links, a.Store}, Acker: a.Engine, Location: loc, Log: a.log})
	a.buildConsole(cfg, clk, oauth)
	return nil
}

// buildDuty makes the duty records' store and the scheduler of their
// deadlines (the Service plans and handles them) and attaches both to the
// bot.
func (a *App) buildDuty(cfg configs.Config, clk clock.Clock, opts options) error {
	set, err := cfg.Duty.DutySettings()
	if err != nil {
		return err
	}
	a.Duty = duty.NewSQLStore(a.Store, clk)
	a.DutyDeadlines = duty.NewScheduler(duty.SchedulerConfig{Store: a.Duty, Handler: a.Service, Planner: a.Service, Clock: clk, Log: a.log,
		Shared: a.shared()})
	a.runDuty = !opts.noDutyDeadlines
	a.Service.AttachDuty(bot.DutyConfig{Store: a.Duty, Scheduler: a.DutyDeadlines, Settings: set})
	reports, err := cfg.Reports.IncidentSettings()
	if err != nil {
		return err
	}
	a.Incidents = incident.NewSQLStore(a.Store, clk, a.Location)
	a.Service.AttachIncidents(bot.IncidentConfig{Store: a.Incidents, Settings: reports})
	return nil
}

// loadRoster reads the roster rules file (default shifts without one), or
// takes the given settings, and loads the holiday files they name into the
// store, for dates an admin has not already set.
func (a *App) loadRoster(ctx context.Context, path string, given *roster.Settings) (roster.Settings, error) {
	var settings roster.Settings
	switch {
	case given != nil:
		settings = *given
	case path == "":
		return roster.DefaultSettings(), nil
	default:
		var err error
		if settings, err = roster.LoadSettings(path); err != nil {
			return roster.Settings{}, err
		}
	}
	for _, f := range settings.HolidayFiles {
		days, err := roster.LoadHolidayFile(f)
		if err != nil {
			return roster.Settings{}, err
		}
		n, err := a.Store.AddHolidayDaysIfAbsent(ctx, days, roster.AuditEntry{Actor: "system", Action: "加载节假日文件", Subject: f})
		if err != nil {
			return roster.Settings{}, err
		}
		if n > 0 {
			a.log.Info("holiday schedule loaded", "file", f, "days", n)
		}
	}
	return settings, nil
}

// Handle adds an extra handler (the demo mounts its fake WeCom this way).
func (a *App) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// Handler is the HTTP handler serving every route.
func (a *App) Handler() http.Handler { return a.mux }

// Run processes callbacks, delivers replies and runs the daily
// address-book sync until ctx ends.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Engine.Run(ctx); err != nil {
			a.log.Error("escalation engine stopped", "err", err)
		}
	})
	if a.syncAt != nil {
		wg.Go(func() { a.Service.RunDailySync(ctx, *a.syncAt) })
	}
	if a.runDuty {
		wg.Go(func() {
			if err := a.DutyDeadlines.Run(ctx); err != nil {
				a.log.Error("duty deadlines stopped", "err", err)
			}
		})
	}
	a.Service.Run(ctx)
	wg.Wait()
}

// scheduleSync reads roster.sync_at: "HH:MM" in the office's time zone, or
// "off" for no daily address-book sync.
func (a *App) scheduleSync(syncAt string) error {
	if syncAt == "" || strings.EqualFold(syncAt, "off") {
		return nil
	}
	at, err := roster.ParseClock(syncAt)
	if err != nil {
		return fmt.Errorf("roster.sync_at: %w", err)
	}
	a.syncAt = &at
	return nil
}

// seenCallbacks is the Redis fast path for WeCom's retries (nil alone).
func (a *App) seenCallbacks() bot.SeenCallbacks {
	if a.redis == nil {
		return nil
	}
	return bot.NewRedisSeen(a.redis, a.prefix+"seen:", 10*time.Minute)
}

// shared is how the escalation engine and the duty deadlines work beside
// the other instances (nil alone).
func (a *App) shared() *cluster.Shared {
	if a.redis == nil {
		return nil
	}
	return &cluster.Shared{
		Leases: cluster.NewRedis(a.redis, a.instance, a.prefix+"lease:"),
		Bus:    cluster.NewRedisBus(a.redis, a.instance, a.prefix+"timers"),
	}
}

// Close releases the store and Redis.
func (a *App) Close() error {
	if a.redis != nil {
		a.redis.Close()
	}
	return a.Store.Close()
}

// Serve serves on ln until ctx ends, then shuts down: it stops accepting,
// lets in-flight callbacks finish (up to 10 s) and stops the workers after
// the work in hand.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// Long enough for the demo fake's long-poll (30 s); callbacks answer in ms.
		WriteTimeout: 35 * time.Second,
		ErrorLog:     slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if a.Console != nil {
		// Live (SSE) streams would hold a graceful shutdown until its timeout.
		srv.RegisterOnShutdown(a.Console.Shutdown)
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workers := make(chan struct{})
	go func() {
		defer close(workers)
		a.Run(workCtx)
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("dutybot listening", "addr", ln.Addr().String())

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	stopWork()
	<-workers
	if err == http.ErrServerClosed {
		err = nil
	}
	return err
}

// unconfiguredSender refuses to send while WeCom is not configured; the
// messages stay in the outbox as failed, with the reason.
type unconfiguredSender struct{}

func (unconfiguredSender) SendText(context.Context, string, string) (string, error) {
	return "", errNotConfigured
}

func (unconfiguredSender) SendCard(context.Context, string, string) (string, string, error) {
	return "", "", errNotConfigured
}

func (unconfiguredSender) SendMarkdown(context.Context, string, string) (string, error) {
	return "", errNotConfigured
}

var errNotConfigured = &wecom.SendError{Code: -2, Msg: "WeCom is not configured"}
