package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"dutybot/internal/report"
	"dutybot/roster"
	"dutybot/roster/incident"
)

// reportDays is how far back the reports page lists.
const reportDays = 30

type reportView struct {
	Number, Level, Category, Summary, Place, FiledBy, Filed, Due, Status string
	Major, Late, Sensitive                                               bool
	FollowUps                                                            []followUpView
	Instructions                                                         []instructionView
}

type followUpView struct{ Kind, Content, By, At string }

type instructionView struct {
	Leader, Content, Issued, Relay, Feedback string
	Late                                     bool
}

type reportsPage struct {
	Days    int
	Reports []reportView
	Missing bool
}

func (c *Console) fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.cfg.Location).Format("01-02 15:04")
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, v viewer) {
	pd := pageData{Title: "报告", Nav: "reports"}
	if c.cfg.Incidents == nil {
		c.render(w, r, http.StatusOK, "reports", c.withViewer(pd, v))
		return
	}
	ctx := r.Context()
	now := c.cfg.Clock.Now()
	from := now.Add(-reportDays * 24 * time.Hour)
	rs, err := c.cfg.Incidents.Reports(ctx, from, now.Add(time.Minute))
	if err != nil {
		c.serverError(w, r, "list reports", err)
		return
	}
	ins, err := c.cfg.Incidents.Instructions(ctx, from, now.Add(time.Minute))
	if err != nil {
		c.serverError(w, r, "list instructions", err)
		return
	}
	names, err := c.names(ctx)
	if err != nil {
		c.serverError(w, r, "list members", err)
		return
	}
	page := reportsPage{Days: reportDays}
	slices.Reverse(rs) // newest first
	for _, rep := range rs {
		rv := reportView{
			Number: rep.Number, Level: rep.Level.Label(), Category: rep.Category.Label(), Summary: rep.Summary, Place: rep.Place,
			FiledBy: nameOf(names, rep.FiledBy), Filed: c.fmtTime(rep.FiledAt), Due: c.fmtTime(rep.DueAt),
			Status: reportStatus(rep), Major: rep.Level.Major(), Late: rep.Late(), Sensitive: rep.Sensitive,
		}
		if rep.Late() {
			rv.Due += "（迟报 " + roster.MinutesLabel(int(rep.LateBy.Minutes()+0.999)) + "）"
		}
		fus, err := c.cfg.Incidents.FollowUps(ctx, rep.ID)
		if err != nil {
			c.serverError(w, r, "list follow-ups", err)
			return
		}
		for _, f := range fus {
			kind := "续报"
			if f.Kind == incident.FollowUpFinal {
				kind = "终报"
			}
			rv.FollowUps = append(rv.FollowUps, followUpView{kind, f.Content, nameOf(names, f.By), c.fmtTime(f.At)})
		}
		for _, in := range ins {
			if in.ReportID != rep.ID {
				continue
			}
			iv := instructionView{Leader: nameOf(names, in.Leader), Content: in.Content, Issued: c.fmtTime(in.IssuedAt),
				Late: in.RelayedLate(now) || in.FedBackLate(now)}
			if in.RelayedAt.IsZero() {
				iv.Relay = "待传达（时限 " + c.fmtTime(in.RelayDue) + "）"
			} else {
				iv.Relay = c.fmtTime(in.RelayedAt) + " 已传达 " + in.RelayedTo
			}
			if in.FeedbackAt.IsZero() {
				iv.Feedback = "待反馈（时限 " + c.fmtTime(in.FeedbackDue) + "）"
			} else {
				iv.Feedback = c.fmtTime(in.FeedbackAt) + " " + nameOf(names, in.FeedbackBy) + "：" + in.Feedback
			}
			rv.Instructions = append(rv.Instructions, iv)
		}
		page.Reports = append(page.Reports, rv)
	}
	pd.Data = page
	c.render(w, r, http.StatusOK, "reports", c.withViewer(pd, v))
}

func reportStatus(r incident.Report) string {
	if r.Status == incident.ReportClosed {
		return "已终报"
	}
	return "处置中"
}

// month reads ?month=YYYY-MM (default: this month in office time).
func (c *Console) month(r *http.Request) (roster.Date, error) {
	s := strings.TrimSpace(r.URL.Query().Get("month"))
	if s == "" {
		t := c.today()
		return roster.NewDate(t.Year, t.Month, 1), nil
	}
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return roster.Date{}, fmt.Errorf("月份「%s」格式不对，请写成 2026-11。", s)
	}
	return roster.NewDate(t.Year(), t.Month(), 1), nil
}

type rosterPage struct {
	Month, Prev, Next, Label string
	Days                     []weekDay
	Shifts                   []string
	Today                    string
	// Message is the outcome of an edit (the chat command's reply).
	Message string
	Error   string
	Form    editForm
}

type editForm struct{ Date, Shift, Op, Role, Names string }

func (c *Console) loadMonth(ctx context.Context, first roster.Date) (rosterPage, error) {
	last := roster.NewDate(first.Year, first.Month+1, 1).AddDays(-1)
	if first.Month == time.December {
		last = roster.NewDate(first.Year+1, time.January, 1).AddDays(-1)
	}
	cal, err := c.calendar(ctx, first, last)
	if err != nil {
		return rosterPage{}, err
	}
	as, err := c.cfg.Schedule.Assignments(ctx, first, last)
	if err != nil {
		return rosterPage{}, fmt.Errorf("read roster: %w", err)
	}
	names, err := c.names(ctx)
	if err != nil {
		return rosterPage{}, err
	}
	prev := first.AddDays(-1)
	next := last.AddDays(1)
	p := rosterPage{
		Month: fmt.Sprintf("%04d-%02d", first.Year, first.Month), Label: fmt.Sprintf("%d年%d月", first.Year, first.Month),
		Prev: fmt.Sprintf("%04d-%02d", prev.Year, prev.Month), Next: fmt.Sprintf("%04d-%02d", next.Year, next.Month),
		Shifts: c.cfg.Settings.Shifts.Names(), Today: c.today().String(),
	}
	join := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = nameOf(names, id)
		}
		return strings.Join(out, "、")
	}
	for d := first; !d.After(last); d = d.AddDays(1) {
		wd := weekDay{Date: d.String(), Label: d.Label(), DayType: cal.DayType(d).Label(), Today: d == c.today()}
		if h, ok := cal.Holiday(d); ok && h.Name != "" {
			wd.DayType += " " + h.Name
		}
		for _, sr := range roster.Day(c.cfg.Settings.Shifts, cal, d, as, c.cfg.Location) {
			ws := weekShift{Name: sr.Shift.Name, Leaders: join(sr.Leaders), Officers: join(sr.Officers)}
			if ws.Officers == "" {
				ws.Officers = "未安排"
			}
			wd.Shifts = append(wd.Shifts, ws)
		}
		p.Days = append(p.Days, wd)
	}
	return p, nil
}

func (c *Console) rosterPage(w http.ResponseWriter, r *http.Request, v viewer) {
	first, err := c.month(r)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, err.Error(), "Bad month: write it as 2026-11.")
		return
	}
	p, err := c.loadMonth(r.Context(), first)
	if err != nil {
		c.serverError(w, r, "load month", err)
		return
	}
	p.Form = editForm{Date: p.Today, Op: "set", Role: string(roster.RoleOfficer)}
	c.render(w, r, http.StatusOK, "roster", c.withViewer(pageData{Title: "排班", Nav: "roster", Data: p}, v))
}

// rosterEdit changes one slot through the chat command's rules (the
// RosterEditor) and shows the month again with the outcome.
func (c *Console) rosterEdit(w http.ResponseWriter, r *http.Request, v viewer) {
	form := editForm{
		Date: strings.TrimSpace(r.PostFormValue("date")), Shift: strings.TrimSpace(r.PostFormValue("shift")),
		Op: r.PostFormValue("op"), Role: r.PostFormValue("role"), Names: strings.TrimSpace(r.PostFormValue("names")),
	}
	status := http.StatusOK
	var msg, problem string
	d, err := roster.ParseDate(form.Date)
	switch {
	case c.cfg.Editor == nil:
		status, problem = http.StatusNotFound, "排班编辑未启用。"
	case err != nil:
		status, problem = http.StatusBadRequest, fmt.Sprintf("日期「%s」格式不对，请写成 2026-11-23。", form.Date)
	default:
		names := strings.FieldsFunc(form.Names, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' })
		msg, err = c.cfg.Editor.ChangeSlot(r.Context(), v.Member, SlotChange{Date: d, Shift: form.Shift, Op: form.Op, Role: roster.Role(form.Role), Names: names})
		var ie *InputError
		switch {
		case errors.As(err, &ie):
			status, problem, msg = http.StatusBadRequest, ie.Msg, ""
		case err != nil:
			c.serverError(w, r, "change roster", err)
			return
		}
	}
	first := c.today()
	if !d.IsZero() {
		first = d
	}
	p, err := c.loadMonth(r.Context(), roster.NewDate(first.Year, first.Month, 1))
	if err != nil {
		c.serverError(w, r, "load month", err)
		return
	}
	if msg != "" {
		c.changes.broadcast()
	}
	p.Message, p.Error, p.Form = msg, problem, form
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.render(w, r, status, "roster", c.withViewer(pageData{Title: "排班", Nav: "roster", Data: p}, v))
}

type deliveriesPage struct {
	Notifications []sentView
	Messages      []outgoingView
}

type sentView struct{ At, Escalation, Channel, Target, Status, Error string }

type outgoingView struct{ At, To, Kind, Status, Error, Content string }

// deliveryHours is how far back the delivery log shows notifications.
const deliveryHours = 24

func (c *Console) deliveries(w http.ResponseWriter, r *http.Request, v viewer) {
	pd := pageData{Title: "发送记录", Nav: "deliveries"}
	if c.cfg.Deliveries != nil {
		ctx := r.Context()
		now := c.cfg.Clock.Now()
		sent, err := c.cfg.Deliveries.NotificationsBetween(ctx, now.Add(-deliveryHours*time.Hour), now.Add(time.Minute))
		if err != nil {
			c.serverError(w, r, "list notifications", err)
			return
		}
		out, err := c.cfg.Deliveries.RecentOutgoing(ctx, 100)
		if err != nil {
			c.serverError(w, r, "list messages", err)
			return
		}
		var p deliveriesPage
		slices.Reverse(sent)
		for _, s := range sent {
			p.Notifications = append(p.Notifications, sentView{c.fmtTime(s.At), s.EscalationID, string(s.Channel), s.Target, s.Status, s.Error})
		}
		for _, o := range out {
			content := []rune(o.Content)
			if len(content) > 80 {
				content = append(content[:80], '…')
			}
			p.Messages = append(p.Messages, outgoingView{c.fmtTime(o.CreatedAt), o.ToUser, o.Kind, o.Status, o.LastError, string(content)})
		}
		pd.Data = p
	}
	c.render(w, r, http.StatusOK, "deliveries", c.withViewer(pd, v))
}

type statsPage struct {
	Month, Label string
	Rows         []report.Row
	Chart        bool
}

func (c *Console) loadStats(r *http.Request) (report.Stats, string, error) {
	first, err := c.month(r)
	if err != nil {
		return report.Stats{}, "", &InputError{Msg: err.Error()}
	}
	st, err := c.cfg.Stats.Monthly(r.Context(), report.MonthPeriod(first.Year, first.Month), c.cfg.Clock.Now())
	return st, fmt.Sprintf("%04d-%02d", first.Year, first.Month), err
}

func (c *Console) stats(w http.ResponseWriter, r *http.Request, v viewer) {
	pd := pageData{Title: "统计", Nav: "stats"}
	if c.cfg.Stats != nil {
		st, month, err := c.loadStats(r)
		var ie *InputError
		if errors.As(err, &ie) {
			c.errorPage(w, r, http.StatusBadRequest, ie.Msg, "Bad month: write it as 2026-11.")
			return
		}
		if err != nil {
			c.serverError(w, r, "statistics", err)
			return
		}
		pd.Data = statsPage{Month: month, Label: st.Period.Label(), Rows: st.Rows(), Chart: c.cfg.Chart != nil}
	}
	c.render(w, r, http.StatusOK, "stats", c.withViewer(pd, v))
}

func (c *Console) statsChart(w http.ResponseWriter, r *http.Request, v viewer) {
	if c.cfg.Stats == nil || c.cfg.Chart == nil {
		http.NotFound(w, r)
		return
	}
	st, _, err := c.loadStats(r)
	var ie *InputError
	if errors.As(err, &ie) {
		http.Error(w, ie.Msg, http.StatusBadRequest)
		return
	}
	if err != nil {
		c.serverError(w, r, "statistics", err)
		return
	}
	var buf strings.Builder
	if err := c.cfg.Chart(st, &buf); err != nil {
		c.serverError(w, r, "draw chart", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write([]byte(buf.String()))
}
