// Package console is dutybot's web console (网页控制台), served under
// /console/ by every `dutybot serve`: the duty board with check-ins and open
// escalations (live over Server-Sent Events), reports with their 批示, the
// month's roster (editable by admins), the month's statistics and the
// delivery log. Pages are server-rendered Go templates with a little plain
// JavaScript; without JavaScript every page still shows its content.
//
// Members log in with WeCom OAuth (from the WeCom workbench) or an admin API
// token; their roles are read from the roster on every request:
// officers see the board, reports and roster; leaders also acknowledge
// escalations; admins also edit the roster and see the statistics and the
// delivery log.
package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/internal/report"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// Members reads the members and their roles (roster.SQLStore).
type Members interface {
	Member(ctx context.Context, userID string) (roster.Member, error)
	Members(ctx context.Context) ([]roster.Member, error)
}

// Schedule reads the roster (roster.SQLStore).
type Schedule interface {
	Assignments(ctx context.Context, from, to roster.Date) ([]roster.Assignment, error)
	HolidayDays(ctx context.Context, from, to roster.Date) ([]roster.HolidayDay, error)
}

// Checkins reads the check-ins of duty days (duty.SQLStore).
type Checkins interface {
	Checkins(ctx context.Context, from, to roster.Date) ([]duty.Checkin, error)
}

// Escalations lists the open escalations (push.SQLStore).
type Escalations interface {
	OpenEscalations(ctx context.Context) ([]push.Escalation, error)
}

// Acker acknowledges an escalation (push.Engine); an unknown id is
// push.ErrNoEscalation.
type Acker interface {
	Ack(ctx context.Context, id, userID, via string) (push.Escalation, bool, error)
}

// Incidents reads the reports, their follow-ups and 批示 (incident.SQLStore).
type Incidents interface {
	Reports(ctx context.Context, from, to time.Time) ([]incident.Report, error)
	FollowUps(ctx context.Context, reportID int64) ([]incident.FollowUp, error)
	Instructions(ctx context.Context, from, to time.Time) ([]incident.Instruction, error)
}

// Deliveries reads the delivery log: the escalations' notifications
// (push.SQLStore) and the WeCom messages sent.
type Deliveries interface {
	NotificationsBetween(ctx context.Context, from, to time.Time) ([]push.Sent, error)
	RecentOutgoing(ctx context.Context, limit int) ([]roster.Outgoing, error)
}

// Stats gathers a period's statistics (report.Builder).
type Stats interface {
	Monthly(ctx context.Context, p report.Period, asOf time.Time) (report.Stats, error)
}

// SlotChange is one change to one slot of the roster, as 排班 设置/添加/删除/清空
// makes in chat. Op is "set", "add", "remove" or "clear"; Names are members'
// names or userids (none for clear).
type SlotChange struct {
	Date  roster.Date
	Shift string
	Op    string
	Role  roster.Role
	Names []string
}

// RosterEditor changes the roster with the chat command's rules: the
// member's permission, the conflict check, the audit entry and the replan
// of the duty deadlines (bot.Service). It returns the reply the chat command
// would give; a user error is a *bot.UserError, shown as it is.
type RosterEditor interface {
	ChangeSlot(ctx context.Context, by roster.Member, c SlotChange) (string, error)
}

// Auth keeps API tokens and sessions (access.SQLStore).
type Auth interface {
	UseToken(ctx context.Context, secret string) (access.Token, error)
	CreateSession(ctx context.Context, userID, via string) (string, access.Session, error)
	Session(ctx context.Context, id string) (access.Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// OAuth is WeCom's web OAuth (wecom.OAuth).
type OAuth interface {
	AuthorizeURL(authorizeBase, redirectURI, state string) string
	UserID(ctx context.Context, code string) (string, error)
}

// Config is what the console reads and whom it lets in. Incidents,
// Deliveries, Stats, Editor and OAuth may be nil: their pages or login say
// they are not available.
type Config struct {
	Members     Members
	Schedule    Schedule
	Checkins    Checkins
	Escalations Escalations
	Acker       Acker
	Incidents   Incidents
	Deliveries  Deliveries
	Stats       Stats
	// Chart draws the statistics chart (PNG); nil: no chart.
	Chart  func(st report.Stats, w io.Writer) error
	Editor RosterEditor
	Auth   Auth
	OAuth  OAuth
	// AuthorizeBase is WeCom's authorize page (wecom.PublicAuthorizeURL,
	// or the demo fake's).
	AuthorizeBase string
	// PublicURL is the base of the OAuth redirect_uri (http.public_url);
	// "" uses the host the browser asked for.
	PublicURL string
	// DemoLogin lists the members on the login page with a link that logs
	// in as them through the (fake) WeCom OAuth: only for the demo.
	DemoLogin bool
	Settings  roster.Settings
	Location  *time.Location
	Clock     clock.Clock
	Log       *slog.Logger
	// Refresh is how often the live board re-reads the stores (default 5 s).
	Refresh time.Duration
}

// Console serves /console/. Create it with New.
type Console struct {
	cfg     Config
	mux     *http.ServeMux
	changes *notifier
	// done is closed by Shutdown: live connections end.
	done     chan struct{}
	stopOnce sync.Once
}

// New returns the console; mount it at "/console/".
func New(cfg Config) *Console {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Second
	}
	c := &Console{cfg: cfg, changes: newNotifier(), done: make(chan struct{})}
	c.mux = c.routes()
	return c
}

// Shutdown ends the live (SSE) connections, so that the server's graceful
// shutdown does not wait for them (http.Server.RegisterOnShutdown).
func (c *Console) Shutdown() { c.stopOnce.Do(func() { close(c.done) }) }

// Changed wakes the live boards at once (after a change the console did not
// make itself, e.g. a check-in); without it they notice within Refresh.
func (c *Console) Changed() { c.changes.broadcast() }

func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /console/{$}", c.page(needView, c.board))
	mux.Handle("GET /console/board", c.page(needView, c.board))
	mux.Handle("GET /console/events", c.page(needView, c.events))
	mux.Handle("POST /console/escalations/{id}/ack", c.post(needAck, c.ack))
	mux.Handle("GET /console/reports", c.page(needView, c.reports))
	mux.Handle("GET /console/roster", c.page(needView, c.rosterPage))
	mux.Handle("POST /console/roster", c.post(needAdmin, c.rosterEdit))
	mux.Handle("GET /console/deliveries", c.page(needAdmin, c.deliveries))
	mux.Handle("GET /console/stats", c.page(needAdmin, c.stats))
	mux.Handle("GET /console/stats/chart.png", c.page(needAdmin, c.statsChart))
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.loginToken)
	mux.HandleFunc("GET /console/login/wecom", c.loginWeCom)
	mux.HandleFunc("GET /console/oauth/callback", c.oauthCallback)
	mux.Handle("POST /console/logout", c.post(needNothing, c.logout))
	mux.HandleFunc("GET /console/static/{file}", serveStatic)
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, http.StatusNotFound, "页面不存在", "Page not found")
	})
	return mux
}

// ServeHTTP serves the console's pages with headers every page carries:
// nothing cached, no framing, no referrer leaving the site.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	c.mux.ServeHTTP(w, r)
}

// notifier wakes whoever waits on the channel it hands out.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func newNotifier() *notifier { return &notifier{ch: make(chan struct{})} }

// wait returns a channel closed at the next broadcast.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ch
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.ch)
	n.ch = make(chan struct{})
}

// InputError is a mistake in what the member asked (e.g. an unknown name
// in a roster change): shown to them as it is, with 400.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }
