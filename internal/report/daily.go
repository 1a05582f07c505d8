package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// Daily is the facts of one duty day (the shifts that start on Date), as
// they stood at At: what the daily bulletin says.
type Daily struct {
	Date roster.Date
	// From and To are the duty day's span (first shift's start to last
	// shift's end); At is when the facts were read, at most To.
	From, To, At time.Time
	Loc          *time.Location
	DayType      roster.DayType
	// Holiday is true on a statutory holiday (the holiday bulletin form);
	// HolidayName is its name (春节).
	Holiday     bool
	HolidayName string

	Shifts       []ShiftFacts
	Reports      []ReportFacts
	Instructions []InstructionFacts
	Absences     []AbsenceFacts
	SpotChecks   []SpotCheckFacts
	// Pending are the pending items (待办) still open at At.
	Pending     []PendingFacts
	Escalations []EscalationFacts
}

// ShiftFacts is one shift of the day and its people.
type ShiftFacts struct {
	Name     string
	Hours    string // "08:30–17:30"
	Leaders  []Person
	Officers []Person
}

// Person is someone on duty and how they checked in.
type Person struct {
	UserID string
	Name   string
	// Checkin is what happened: 早到 08:15, 准时 08:25, 迟到 12 分钟, 空岗
	// or 未签到.
	Checkin string
	// CheckedIn is false when there is no check-in; Late marks 迟到 and
	// Absent a recorded 空岗.
	CheckedIn, Late, Absent bool
}

// ReportFacts is one report filed that day.
type ReportFacts struct {
	Number    string
	Level     incident.Level
	Category  incident.Category
	Sensitive bool
	Summary   string
	Place     string
	FiledAt   time.Time
	FiledBy   string // name
	// Status is 未结 or 已终报; LateBy > 0 is 迟报.
	Status string
	Closed bool
	LateBy time.Duration
}

// Instruction states.
const (
	StateDelivered = "待传达"
	StateRelayed   = "已传达"
	StateFedBack   = "已反馈"
	StateOverdue   = "逾期"
)

// InstructionFacts is one 批示 issued that day and where it stands.
type InstructionFacts struct {
	ReportNumber string
	Leader       string // name
	Officer      string // name
	Content      string
	IssuedAt     time.Time
	// State is 待传达, 已传达 or 已反馈; Overdue adds 逾期 (relay past its
	// 5 minutes, or feedback past its working days); Note says which.
	State   string
	Overdue bool
	Note    string
	// RelayedTo is to whom it was relayed.
	RelayedTo string
}

// Label is the state as printed: "已传达（逾期：传达超时 3 分钟）".
func (in InstructionFacts) Label() string {
	if in.Overdue {
		return in.State + "（" + StateOverdue + "：" + in.Note + "）"
	}
	return in.State
}

// AbsenceFacts is one 空岗.
type AbsenceFacts struct {
	Shift      string
	Name       string
	DetectedAt time.Time
	// Resolved says how it ended (e.g. 补签到 08:52), "" while open.
	Resolved string
}

// Spot check results.
const (
	SpotOK      = "在岗"
	SpotMissed  = "脱岗"
	SpotWaiting = "待答复"
)

// SpotCheckFacts is one 查岗 of that day's officers.
type SpotCheckFacts struct {
	Shift  string
	Name   string
	By     string // who asked: a name, or 系统随机
	At     time.Time
	Result string // 在岗, 脱岗, 待答复
}

// PendingFacts is one open pending item (待办).
type PendingFacts struct {
	ID      int64
	Content string
	Author  string // name
	At      time.Time
}

// Escalation outcomes as printed.
const (
	OutcomeAcked     = "已确认"
	OutcomeResolved  = "已解除"
	OutcomeExhausted = "无人确认"
	OutcomeOpen      = "未确认"
)

// EscalationFacts is one alert raised that day.
type EscalationFacts struct {
	ID      string
	Title   string
	At      time.Time
	Outcome string
	AckedBy string // name, when acknowledged
	AckedAt time.Time
}

// Title is the bulletin's title: 值班要情（11月24日）, or on a holiday
// 节假日每日值班信息专报（10月01日 国庆节）.
func (d Daily) Title() string {
	day := fmt.Sprintf("%02d月%02d日", d.Date.Month, d.Date.Day)
	if d.Holiday {
		if d.HolidayName != "" {
			day += " " + d.HolidayName
		}
		return "节假日每日值班信息专报（" + day + "）"
	}
	return "值班要情（" + day + "）"
}

// Quiet reports whether nothing worth a line happened: no report, 批示,
// 空岗, 脱岗 or alert (the holiday form then says 无重要情况).
func (d Daily) Quiet() bool {
	for _, c := range d.SpotChecks {
		if c.Result == SpotMissed {
			return false
		}
	}
	return len(d.Reports) == 0 && len(d.Instructions) == 0 && len(d.Absences) == 0 && len(d.Escalations) == 0
}

// LateReports counts the day's 迟报.
func (d Daily) LateReports() int {
	n := 0
	for _, r := range d.Reports {
		if r.LateBy > 0 {
			n++
		}
	}
	return n
}

// Daily gathers the facts of duty day d as they stood at asOf (or at the
// day's end, when asOf is later): the people of each shift with their
// check-ins, the reports filed in the day's slots, the 批示 issued during
// it, the 空岗, the 查岗 of its officers, the pending items still open at
// the end and the alerts raised.
func (b Builder) Daily(ctx context.Context, d roster.Date, asOf time.Time) (Daily, error) {
	loc := b.loc()
	cal, err := b.calendar(ctx, d, d)
	if err != nil {
		return Daily{}, err
	}
	as, err := b.Roster.Assignments(ctx, d, d)
	if err != nil {
		return Daily{}, fmt.Errorf("assignments of %s: %w", d, err)
	}
	names, err := b.names(ctx)
	if err != nil {
		return Daily{}, err
	}
	day := roster.Day(b.Settings.Shifts, cal, d, as, loc)
	from, to := dutyWindow(day, d, loc)
	at := asOf
	if at.IsZero() || at.After(to) {
		at = to
	}
	out := Daily{Date: d, From: from, To: to, At: at, Loc: loc, DayType: cal.DayType(d)}
	if out.DayType == roster.Holiday {
		out.Holiday = true
		if h, ok := cal.Holiday(d); ok {
			out.HolidayName = h.Name
		}
	}

	if err := b.dailyShifts(ctx, &out, day, names); err != nil {
		return Daily{}, err
	}
	if err := b.dailyReports(ctx, &out, names); err != nil {
		return Daily{}, err
	}
	if err := b.dailyDuty(ctx, &out, names); err != nil {
		return Daily{}, err
	}
	if b.Escalations != nil {
		es, err := b.Escalations.EscalationsBetween(ctx, from, at)
		if err != nil {
			return Daily{}, fmt.Errorf("escalations of %s: %w", d, err)
		}
		for _, e := range es {
			out.Escalations = append(out.Escalations, escalationFacts(e, at, names))
		}
	}
	return out, nil
}

// dailyShifts lists the shifts with their people and check-ins.
func (b Builder) dailyShifts(ctx context.Context, out *Daily, day []roster.ShiftRoster, names map[string]string) error {
	cs, err := b.Duty.Checkins(ctx, out.Date, out.Date)
	if err != nil {
		return fmt.Errorf("check-ins of %s: %w", out.Date, err)
	}
	abs, err := b.Duty.Absences(ctx, out.Date, out.Date)
	if err != nil {
		return fmt.Errorf("absences of %s: %w", out.Date, err)
	}
	type slotUser struct{ shift, user string }
	checkins := make(map[slotUser]duty.Checkin, len(cs))
	for _, c := range cs {
		if !c.At.After(out.At) {
			checkins[slotUser{c.Shift, c.UserID}] = c
		}
	}
	absent := make(map[slotUser]bool)
	for _, a := range abs {
		if a.Date != out.Date || a.DetectedAt.After(out.At) {
			continue
		}
		absent[slotUser{a.Shift, a.UserID}] = true
		fact := AbsenceFacts{Shift: a.Shift, Name: nameOf(names, a.UserID), DetectedAt: a.DetectedAt}
		if !a.ResolvedAt.IsZero() && !a.ResolvedAt.After(out.At) {
			fact.Resolved = resolutionLabel(a.Resolution) + " " + a.ResolvedAt.In(out.Loc).Format("15:04")
		}
		out.Absences = append(out.Absences, fact)
	}
	person := func(shift, id string) Person {
		p := Person{UserID: id, Name: nameOf(names, id)}
		c, ok := checkins[slotUser{shift, id}]
		switch {
		case ok:
			p.CheckedIn = true
			t := c.At.In(out.Loc).Format("15:04")
			switch c.Status {
			case duty.CheckinEarly:
				p.Checkin = "早到 " + t
			case duty.CheckinLate:
				p.Late = true
				p.Checkin = fmt.Sprintf("迟到 %d 分钟（%s）", c.MinutesLate, t)
			default:
				p.Checkin = "准时 " + t
			}
			if absent[slotUser{shift, id}] {
				p.Absent = true
				p.Checkin = "空岗后" + p.Checkin
			}
		case absent[slotUser{shift, id}]:
			p.Absent = true
			p.Checkin = "空岗"
		default:
			p.Checkin = "未签到"
		}
		return p
	}
	for _, sr := range day {
		sf := ShiftFacts{Name: sr.Shift.Name, Hours: sr.Shift.Hours()}
		for _, id := range sr.Leaders {
			sf.Leaders = append(sf.Leaders, person(sr.Shift.Name, id))
		}
		for _, id := range sr.Officers {
			sf.Officers = append(sf.Officers, person(sr.Shift.Name, id))
		}
		out.Shifts = append(out.Shifts, sf)
	}
	return nil
}

// resolutionLabel names how an absence ended.
func resolutionLabel(r string) string {
	switch r {
	case "late_checkin":
		return "补签到"
	case "handover":
		return "接班签到"
	case "":
		return "已解除"
	}
	return r
}

// dailyReports lists the day's reports and 批示.
func (b Builder) dailyReports(ctx context.Context, out *Daily, names map[string]string) error {
	// A report belongs to the duty day of its slot; look a day either side
	// of the span for the ones filed in the day's slots.
	rs, err := b.Incidents.Reports(ctx, out.From.Add(-24*time.Hour), out.At)
	if err != nil {
		return fmt.Errorf("reports of %s: %w", out.Date, err)
	}
	numbers := make(map[int64]string)
	for _, r := range rs {
		numbers[r.ID] = r.Number
		if reportDay(r, out.Loc) != out.Date {
			continue
		}
		closed := !r.ClosedAt.IsZero() && !r.ClosedAt.After(out.At)
		status := "未结"
		if closed {
			status = "已终报"
		}
		out.Reports = append(out.Reports, ReportFacts{
			Number: r.Number, Level: r.Level, Category: r.Category, Sensitive: r.Sensitive, Summary: r.Summary,
			Place: r.Place, FiledAt: r.FiledAt, FiledBy: nameOf(names, r.FiledBy), Status: status, Closed: closed, LateBy: r.LateBy,
		})
	}
	ins, err := b.Incidents.Instructions(ctx, out.From, out.At)
	if err != nil {
		return fmt.Errorf("instructions of %s: %w", out.Date, err)
	}
	for _, in := range ins {
		number, ok := numbers[in.ReportID]
		if !ok {
			number = fmt.Sprintf("#%d", in.ReportID)
		}
		out.Instructions = append(out.Instructions, instructionFacts(in, number, out.At, names))
	}
	return nil
}

// instructionFacts is where in stands at at.
func instructionFacts(in incident.Instruction, number string, at time.Time, names map[string]string) InstructionFacts {
	f := InstructionFacts{
		ReportNumber: number, Leader: nameOf(names, in.Leader), Officer: nameOf(names, in.Officer),
		Content: in.Content, IssuedAt: in.IssuedAt, State: StateDelivered,
	}
	relayed := !in.RelayedAt.IsZero() && !in.RelayedAt.After(at)
	fedBack := !in.FeedbackAt.IsZero() && !in.FeedbackAt.After(at)
	switch {
	case fedBack:
		f.State = StateFedBack
	case relayed:
		f.State = StateRelayed
	}
	if relayed {
		f.RelayedTo = in.RelayedTo
	}
	switch {
	case relayed && in.RelayedAt.After(in.RelayDue):
		f.Overdue, f.Note = true, "传达超时 "+durationLabel(in.RelayedAt.Sub(in.RelayDue))
	case !relayed && at.After(in.RelayDue):
		f.Overdue, f.Note = true, "超过传达时限 "+durationLabel(at.Sub(in.RelayDue))
	}
	switch {
	case fedBack && in.FeedbackAt.After(in.FeedbackDue):
		f.Overdue, f.Note = true, joinNote(f.Note, "反馈超时")
	case !fedBack && at.After(in.FeedbackDue):
		f.Overdue, f.Note = true, joinNote(f.Note, "反馈逾期")
	}
	return f
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "，" + b
}

// dailyDuty lists the day's 查岗 and the pending items open at its end.
func (b Builder) dailyDuty(ctx context.Context, out *Daily, names map[string]string) error {
	scs, err := b.Duty.SpotChecks(ctx, out.From.Add(-24*time.Hour), out.To.Add(24*time.Hour))
	if err != nil {
		return fmt.Errorf("spot checks of %s: %w", out.Date, err)
	}
	for _, c := range scs {
		if c.Date != out.Date || c.CreatedAt.After(out.At) {
			continue
		}
		by := "系统随机"
		if c.RequestedBy != duty.RequestedBySystem {
			by = nameOf(names, c.RequestedBy)
		}
		result := SpotWaiting
		switch {
		case c.Status == duty.SpotAnswered && !c.AnsweredAt.After(out.At):
			result = SpotOK
		case c.Status == duty.SpotMissed, c.Status == duty.SpotPending && out.At.After(c.DueAt):
			result = SpotMissed
		}
		at := c.SentAt
		if at.IsZero() {
			at = c.CreatedAt
		}
		out.SpotChecks = append(out.SpotChecks, SpotCheckFacts{Shift: c.Shift, Name: nameOf(names, c.UserID), By: by, At: at, Result: result})
	}

	// Open at the end: still open now, or closed after the end (those are
	// found among the items written in the last pendingLookBack).
	open, err := b.Duty.OpenItems(ctx)
	if err != nil {
		return fmt.Errorf("pending items: %w", err)
	}
	recent, err := b.Duty.LogBetween(ctx, out.At.Add(-pendingLookBack), out.At)
	if err != nil {
		return fmt.Errorf("duty log of %s: %w", out.Date, err)
	}
	seen := make(map[int64]bool)
	for _, e := range append(open, recent...) {
		if !e.Pending || seen[e.ID] || e.At.After(out.At) || (!e.ClosedAt.IsZero() && !e.ClosedAt.After(out.At)) {
			continue
		}
		seen[e.ID] = true
		out.Pending = append(out.Pending, PendingFacts{ID: e.ID, Content: e.Content, Author: nameOf(names, e.Author), At: e.At})
	}
	slices.SortFunc(out.Pending, func(a, b PendingFacts) int { return cmp.Compare(a.ID, b.ID) })
	return nil
}

// pendingLookBack is how far back the bulletin looks for pending items
// closed since the day ended (open ones are found however old).
const pendingLookBack = 60 * 24 * time.Hour

// escalationFacts is where e stood at at.
func escalationFacts(e push.Escalation, at time.Time, names map[string]string) EscalationFacts {
	f := EscalationFacts{ID: e.ID, Title: e.Title, At: e.CreatedAt, Outcome: OutcomeOpen}
	closed := !e.ClosedAt.IsZero() && !e.ClosedAt.After(at)
	switch {
	case e.Status == push.StatusAcked && !e.AckedAt.IsZero() && !e.AckedAt.After(at):
		f.Outcome, f.AckedBy, f.AckedAt = OutcomeAcked, nameOf(names, e.AckedBy), e.AckedAt
	case e.Status == push.StatusResolved && closed:
		f.Outcome = OutcomeResolved
	case e.Status == push.StatusExhausted && closed:
		f.Outcome = OutcomeExhausted
	}
	return f
}
