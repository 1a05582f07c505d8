package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// dutyRow is one assignment on today's board.
type dutyRow struct {
	UserID, Name, Shift, Hours, Role string
	CheckedIn                        bool
	// Checkin says when (and whether late), e.g. "08:21" or "08:45 迟到 15 分钟".
	Checkin string
	Late    bool
}

// weekDay is one day of the week's roster.
type weekDay struct {
	Date, Label, DayType string
	Today                bool
	Shifts               []weekShift
}

type weekShift struct {
	Name, Leaders, Officers string
}

// boardView is the live part of the board: today's duty and the week.
type boardView struct {
	Today string
	Rows  []dutyRow
	Week  []weekDay
}

// escalationView is one open escalation.
type escalationView struct {
	ID, Title, Body, Kind string
	// Deadline is when the next step fires (RFC 3339), Remaining the
	// server's count down to it, Until its office time.
	Deadline, Remaining, Until string
	Step                       int
	Created                    string
}

type escalationsView struct {
	Items  []escalationView
	CanAck bool
	CSRF   string
}

// boardPage is the whole board page.
type boardPage struct {
	Board       boardView
	Escalations escalationsView
}

// names maps userids to display names.
func (c *Console) names(ctx context.Context) (map[string]string, error) {
	ms, err := c.cfg.Members.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		out[m.UserID] = displayName(m)
	}
	return out, nil
}

func displayName(m roster.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.UserID
}

func nameOf(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// calendar is the office calendar around from..to.
func (c *Console) calendar(ctx context.Context, from, to roster.Date) (roster.Calendar, error) {
	days, err := c.cfg.Schedule.HolidayDays(ctx, from.AddDays(-1), to.AddDays(1))
	if err != nil {
		return roster.Calendar{}, fmt.Errorf("read holiday schedule: %w", err)
	}
	return roster.NewCalendar(days, c.cfg.Settings.SpecialPeriods), nil
}

func (c *Console) today() roster.Date { return roster.DateOf(c.cfg.Clock.Now(), c.cfg.Location) }

// loadBoard reads today's duty with its check-ins and this week's roster.
func (c *Console) loadBoard(ctx context.Context) (boardView, error) {
	loc := c.cfg.Location
	today := c.today()
	monday := today.AddDays(-((int(today.Weekday()) + 6) % 7))
	sunday := monday.AddDays(6)
	cal, err := c.calendar(ctx, monday, sunday)
	if err != nil {
		return boardView{}, err
	}
	as, err := c.cfg.Schedule.Assignments(ctx, monday, sunday)
	if err != nil {
		return boardView{}, fmt.Errorf("read roster: %w", err)
	}
	names, err := c.names(ctx)
	if err != nil {
		return boardView{}, err
	}
	var cis []duty.Checkin
	if c.cfg.Checkins != nil {
		if cis, err = c.cfg.Checkins.Checkins(ctx, today, today); err != nil {
			return boardView{}, fmt.Errorf("read check-ins: %w", err)
		}
	}
	type key struct{ shift, user string }
	checked := make(map[key]duty.Checkin, len(cis))
	for _, ci := range cis {
		checked[key{ci.Shift, ci.UserID}] = ci
	}

	bv := boardView{Today: today.Label() + "（" + cal.DayType(today).Label() + "）"}
	for _, sr := range roster.Day(c.cfg.Settings.Shifts, cal, today, as, loc) {
		add := func(id string, role roster.Role) {
			row := dutyRow{UserID: id, Name: nameOf(names, id), Shift: sr.Shift.Name, Hours: sr.Shift.Hours(), Role: role.Label()}
			if ci, ok := checked[key{sr.Shift.Name, id}]; ok {
				row.CheckedIn = true
				row.Checkin = ci.At.In(loc).Format("15:04")
				if ci.Status == duty.CheckinLate {
					row.Late = true
					row.Checkin += " 迟到 " + roster.MinutesLabel(ci.MinutesLate)
				}
			}
			bv.Rows = append(bv.Rows, row)
		}
		for _, id := range sr.Leaders {
			add(id, roster.RoleLeader)
		}
		for _, id := range sr.Officers {
			add(id, roster.RoleOfficer)
		}
	}
	join := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = nameOf(names, id)
		}
		return strings.Join(out, "、")
	}
	for d := monday; !d.After(sunday); d = d.AddDays(1) {
		wd := weekDay{Date: d.String(), Label: d.Label(), DayType: cal.DayType(d).Label(), Today: d == today}
		if h, ok := cal.Holiday(d); ok && h.Name != "" {
			wd.DayType += " " + h.Name
		}
		for _, sr := range roster.Day(c.cfg.Settings.Shifts, cal, d, as, loc) {
			ws := weekShift{Name: sr.Shift.Name, Leaders: join(sr.Leaders), Officers: join(sr.Officers)}
			if ws.Officers == "" {
				ws.Officers = "未安排"
			}
			wd.Shifts = append(wd.Shifts, ws)
		}
		bv.Week = append(bv.Week, wd)
	}
	return bv, nil
}

// remaining is the server's countdown in started minutes ("5 分钟",
// "1 小时 5 分钟"); the page's script counts the seconds.
func remaining(d time.Duration) string {
	if d <= 0 {
		return "已到时"
	}
	return roster.MinutesLabel(int((d + time.Minute - 1) / time.Minute))
}

// loadEscalations lists the open escalations, next deadline first. The
// server's countdown is to the minute, so the live list changes (and is
// sent again) at most once a minute while nothing else happens.
func (c *Console) loadEscalations(ctx context.Context, v viewer) (escalationsView, error) {
	ev := escalationsView{CanAck: v.canAck(), CSRF: v.Session.CSRF}
	if c.cfg.Escalations == nil {
		return ev, nil
	}
	escs, err := c.cfg.Escalations.OpenEscalations(ctx)
	if err != nil {
		return ev, fmt.Errorf("list open escalations: %w", err)
	}
	now := c.cfg.Clock.Now()
	for _, e := range escs {
		left := e.NextAt.Sub(now)
		ev.Items = append(ev.Items, escalationView{
			ID: e.ID, Title: e.Title, Body: e.Body, Kind: e.Kind, Step: e.Step + 1,
			Deadline:  e.NextAt.UTC().Format(time.RFC3339),
			Remaining: remaining(left),
			Until:     e.NextAt.In(c.cfg.Location).Format("15:04"),
			Created:   e.CreatedAt.In(c.cfg.Location).Format("01-02 15:04"),
		})
	}
	return ev, nil
}

func (c *Console) board(w http.ResponseWriter, r *http.Request, v viewer) {
	bv, err := c.loadBoard(r.Context())
	if err != nil {
		c.serverError(w, r, "load board", err)
		return
	}
	ev, err := c.loadEscalations(r.Context(), v)
	if err != nil {
		c.serverError(w, r, "load escalations", err)
		return
	}
	c.render(w, r, http.StatusOK, "board", c.withViewer(pageData{Title: "值班看板", Nav: "board", Data: boardPage{bv, ev}}, v))
}

// events streams the board and the escalations (Server-Sent Events "board"
// and "escalations", each the HTML of its part) whenever they change. It
// re-reads the stores every Refresh on the clock, and at once when the
// console changed something.
func (c *Console) events(w http.ResponseWriter, r *http.Request, v viewer) {
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary pages.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		c.cfg.Log.Warn("console: clear write deadline for events", "err", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	last := map[string]string{}
	send := func() error {
		parts := map[string]func() (string, error){
			"board": func() (string, error) {
				bv, err := c.loadBoard(ctx)
				if err != nil {
					return "", err
				}
				return fragment("board", "board-live", bv)
			},
			"escalations": func() (string, error) {
				ev, err := c.loadEscalations(ctx, v)
				if err != nil {
					return "", err
				}
				return fragment("board", "escalations-live", ev)
			},
		}
		for _, name := range []string{"board", "escalations"} {
			html, err := parts[name]()
			if err != nil {
				if ctx.Err() == nil {
					c.cfg.Log.Error("console: live "+name, "err", err)
				}
				continue
			}
			if last[name] == html {
				continue
			}
			last[name] = html
			if err := writeEvent(w, name, html); err != nil {
				return err
			}
		}
		// A comment keeps proxies from closing a quiet stream.
		if _, err := fmt.Fprint(w, ": ok\n\n"); err != nil {
			return err
		}
		return rc.Flush()
	}
	for {
		wake := c.changes.wait()
		if err := send(); err != nil {
			return
		}
		t := c.cfg.Clock.NewTimer(c.cfg.Refresh)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.done:
			t.Stop()
			return
		case <-wake:
			t.Stop()
		case <-t.C():
		}
	}
}

// writeEvent writes one SSE event; every line of data gets its "data:".
func writeEvent(w http.ResponseWriter, name, data string) error {
	var b strings.Builder
	b.WriteString("event: " + name + "\n")
	for _, line := range strings.Split(strings.TrimRight(data, "\n"), "\n") {
		b.WriteString("data: " + strings.TrimRight(line, "\r") + "\n")
	}
	b.WriteString("\n")
	_, err := fmt.Fprint(w, b.String())
	return err
}

// ack acknowledges an escalation for a leader or admin (via "console").
func (c *Console) ack(w http.ResponseWriter, r *http.Request, v viewer) {
	id := strings.ToUpper(strings.TrimSpace(r.PathValue("id")))
	if c.cfg.Acker == nil {
		c.errorPage(w, r, http.StatusNotFound, "告警功能未启用。", "Escalations are not available.")
		return
	}
	esc, first, err := c.cfg.Acker.Ack(r.Context(), id, v.Member.UserID, "console")
	switch {
	case errors.Is(err, push.ErrNoEscalation):
		c.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("没有编号为「%s」的告警。", id), fmt.Sprintf("No escalation %q.", id))
		return
	case err != nil:
		c.serverError(w, r, "acknowledge", err)
		return
	case !first:
		zh := fmt.Sprintf("告警 %s 已结束（%s），无需确认。", esc.ID, esc.Status)
		if esc.Status == push.StatusAcked {
			zh = fmt.Sprintf("告警 %s 已由 %s 于 %s 确认（%s）。", esc.ID, esc.AckedBy, esc.AckedAt.In(c.cfg.Location).Format("01-02 15:04"), esc.AckedVia)
		}
		c.errorPage(w, r, http.StatusConflict, zh, fmt.Sprintf("Escalation %s is no longer open (%s).", esc.ID, esc.Status))
		return
	}
	c.changes.broadcast()
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}
