package app

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"dutybot/bot"
	"dutybot/bot/wecom"
	"dutybot/configs"
	"dutybot/handlers/console"
	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/internal/report"
	"dutybot/push"
	"dutybot/roster"
)

// buildConsole makes the web console and mounts it at /console/. oauth is
// nil while WeCom is not configured (API tokens only then).
func (a *App) buildConsole(cfg configs.Config, clk clock.Clock, oauth *wecom.OAuth) {
	a.Access = access.NewSQLStore(a.Store, clk)
	ccfg := console.Config{
		Members: a.Store, Schedule: a.Store, Checkins: a.Duty, Escalations: a.Escalations, Acker: a.Engine,
		Incidents:  a.Incidents,
		Deliveries: deliveryLog{a.Escalations, a.Store},
		Stats: report.Builder{Roster: a.Store, Duty: a.Duty, Incidents: a.Incidents, Escalations: a.Escalations,
			Settings: a.Settings, Loc: a.Location},
		Chart:         chartDrawer(),
		Editor:        rosterEditor{a.Service},
		Auth:          a.Access,
		AuthorizeBase: authorizeBase(cfg),
		PublicURL:     cfg.HTTP.PublicURL,
		DemoLogin:     cfg.Console.DemoLogin,
		Settings:      a.Settings, Location: a.Location, Clock: clk, Log: a.log,
		Refresh: cfg.Console.Refresh,
	}
	if oauth != nil {
		ccfg.OAuth = oauth
	}
	a.Console = console.New(ccfg)
	a.mux.Handle("/console/", a.Console)
}

// authorizeBase is WeCom's OAuth page: console.oauth_url, else the public
// one with the public API host, else the API host's (a private deployment,
// or the demo's fake).
func authorizeBase(cfg configs.Config) string {
	switch base := strings.TrimRight(cfg.WeCom.APIBase, "/"); {
	case cfg.Console.OAuthURL != "":
		return cfg.Console.OAuthURL
	case base == "" || base == configs.DefaultAPIBase:
		return wecom.PublicAuthorizeURL
	default:
		return base + "/connect/oauth2/authorize"
	}
}

// chartDrawer draws the statistics chart with the fonts found once.
func chartDrawer() func(report.Stats, io.Writer) error {
	fonts := sync.OnceValue(func() report.ChartFonts { return report.FindChartFonts() })
	return func(st report.Stats, w io.Writer) error { return st.Chart(w, fonts()) }
}

// deliveryLog is the console's delivery log: the escalations'
// notifications and the WeCom messages.
type deliveryLog struct {
	push   *push.SQLStore
	roster *roster.SQLStore
}

func (d deliveryLog) NotificationsBetween(ctx context.Context, from, to time.Time) ([]push.Sent, error) {
	return d.push.NotificationsBetween(ctx, from, to)
}

func (d deliveryLog) RecentOutgoing(ctx context.Context, limit int) ([]roster.Outgoing, error) {
	return d.roster.RecentOutgoing(ctx, limit)
}

// rosterEditor edits the roster from the console through the bot's 排班
// rules.
type rosterEditor struct{ s *bot.Service }

func (e rosterEditor) ChangeSlot(ctx context.Context, by roster.Member, c console.SlotChange) (string, error) {
	reply, err := e.s.ChangeSlot(ctx, by, c.Date, c.Shift, c.Op, c.Role, c.Names)
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return "", &console.InputError{Msg: ue.Msg}
	}
	return reply, err
}
