// Package reporttest generates a known month of duty records (November
// 2026) through the stores' own methods, for the statistics tests and
// benchmarks. testdata/stats/2026-11.csv holds the figures worked out by
// hand from the pattern below (testdata/stats/README.md shows the sums).
package reporttest

import (
	"context"
	"fmt"
	"time"

	"dutybot/internal/clock"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// Members of the generated office: 张三 (白班 officer), 李四 (夜班
// officer), 王五 (leader of both shifts), 赵六 (admin).
func Members() []roster.Member {
	return []roster.Member{
		{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
		{UserID: "zhaoliu", Name: "赵六", Roles: []roster.Role{roster.RoleAdmin}, Active: true},
	}
}

// Start is where the fake clock given to Generate must stand (or before):
// 2026-10-30 00:00 UTC.
func Start() time.Time { return time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC) }

// AsOf is when the month's figures are read: 2026-12-10 12:00 office
// time (every deadline of November has passed).
func AsOf(loc *time.Location) time.Time { return time.Date(2026, 12, 10, 12, 0, 0, 0, loc) }

// gen writes the month.
type gen struct {
	ctx  context.Context
	db   *roster.SQLStore
	clk  *clock.Fake
	loc  *time.Location
	duty *duty.SQLStore
	inc  *incident.SQLStore
	esc  *push.SQLStore
}

// Generate writes November 2026 into db (opened on clk, which must stand at
// or before Start; it is moved forward), plus a few records just outside
// the month that must not count. The pattern, for day n = 1…30 (白班
// 08:30–17:30 张三 + 王五, 夜班 17:30–08:30 李四 + 王五):
//
//   - check-ins: 张三 at 08:35 (迟到 5 分钟) when n is a multiple of 7,
//     else 08:15 (早到) on odd and 08:25 (准时) on even days; 李四 at 17:15
//     on odd and 17:25 on even days; no check-in and a 空岗 for 白班 of the
//     20th and 夜班 of the 10th;
//   - 查岗 of 李四 at 02:00 after the 夜班 of every third day (3, 6, …, 30),
//     answered at 02:02, except the 15th's: missed (脱岗);
//   - reports: the k-th (k = 0…9) at 10:00 on day 3k+1, level by k mod 4
//     (一般, 较大, 一般, 重大; 重大 ones 敏感), category by k mod 5 (自然灾害,
//     事故灾难, 公共卫生, 社会安全, 其他), 迟报 20 minutes when k mod 3 = 2;
//     plus a 特别重大 敏感 事故灾难 one at 01:00 on 12-01 in the 夜班 of
//     11-30 (on time);
//   - 批示 on the odd k reports at 10:30 (relay due 10:35, feedback due 72
//     hours later): relayed at 10:33, except k = 9 at 10:40; fed back the
//     next day for k = 1, 3, two days later for k = 7, four days later
//     (late) for k = 5, never for k = 9;
//   - escalations: on days 1…9 at 07:00, acknowledged after 1, 2, 3, 4, 5,
//     6, 8, 10, 15 minutes; resolved on days 12 and 13; exhausted on day 14;
//     open on day 29; each with one WeCom notification (queued) and one
//     push notification: delivered for the acknowledged, failed for the
//     resolved, invalid for the exhausted, none for the open one.
//
// Outside the month: a report, an escalation and its notification on
// 10-31 (23:30 office time), and a report and an escalation on 12-01.
func Generate(ctx context.Context, db *roster.SQLStore, clk *clock.Fake, loc *time.Location) error {
	g := &gen{ctx: ctx, db: db, clk: clk, loc: loc,
		duty: duty.NewSQLStore(db, clk), inc: incident.NewSQLStore(db, clk, loc), esc: push.NewSQLStore(db, clk)}
	for _, m := range Members() {
		if err := db.UpsertMember(ctx, m); err != nil {
			return fmt.Errorf("generate: member %s: %w", m.UserID, err)
		}
	}
	if err := g.roster(); err != nil {
		return err
	}
	// Before the month.
	if _, err := g.report(roster.NewDate(2026, 10, 31), "夜班", g.at(2026, 10, 31, "23:30"), incident.LevelGeneral, incident.CategoryOther, false, 0); err != nil {
		return err
	}
	if err := g.escalation(g.at(2026, 10, 31, "23:30"), push.StatusAcked, 60*time.Minute, true); err != nil {
		return err
	}
	for n := 1; n <= 30; n++ {
		if err := g.day(n); err != nil {
			return fmt.Errorf("generate: 11-%02d: %w", n, err)
		}
	}
	// After the month.
	if _, err := g.report(roster.NewDate(2026, 12, 1), "白班", g.at(2026, 12, 1, "10:00"), incident.LevelGeneral, incident.CategoryOther, false, 0); err != nil {
		return err
	}
	return g.escalation(g.at(2026, 12, 1, "00:30"), push.StatusOpen, 0, false)
}

// at is an office time.
func (g *gen) at(y int, m time.Month, d int, hhmm string) time.Time {
	c, err := roster.ParseClock(hhmm)
	if err != nil {
		panic(err)
	}
	return roster.NewDate(y, m, d).At(c, g.loc)
}

func (g *gen) nov(n int, hhmm string) time.Time { return g.at(2026, 11, n, hhmm) }

// moveTo moves the clock forward to t (never back).
func (g *gen) moveTo(t time.Time) {
	if d := t.Sub(g.clk.Now()); d > 0 {
		g.clk.Advance(d)
	}
}

func (g *gen) roster() error {
	var slots []roster.Slot
	var as []roster.Assignment
	for n := 1; n <= 30; n++ {
		d := roster.NewDate(2026, 11, n)
		for _, s := range []struct{ shift, officer string }{{"白班", "zhangsan"}, {"夜班", "lisi"}} {
			slots = append(slots, roster.Slot{Date: d, Shift: s.shift})
			as = append(as,
				roster.Assignment{Date: d, Shift: s.shift, Role: roster.RoleLeader, UserID: "wangwu", Source: roster.SourceManual},
				roster.Assignment{Date: d, Shift: s.shift, Role: roster.RoleOfficer, UserID: s.officer, Source: roster.SourceManual})
		}
	}
	if err := g.db.ReplaceSlots(g.ctx, slots, as, roster.AuditEntry{Actor: "test", Action: "排班 生成", Subject: "2026-11"}); err != nil {
		return fmt.Errorf("generate: roster: %w", err)
	}
	return nil
}

func (g *gen) day(n int) error {
	d := roster.NewDate(2026, 11, n)
	// 白班 check-in.
	g.moveTo(g.nov(n, "08:00"))
	if n == 20 {
		if err := g.absence(d, "白班", "zhangsan", g.nov(n, "08:40")); err != nil {
			return err
		}
	} else {
		at := g.nov(n, "08:25")
		switch {
		case n%7 == 0:
			at = g.nov(n, "08:35")
		case n%2 == 1:
			at = g.nov(n, "08:15")
		}
		if err := g.checkin(d, "白班", "zhangsan", g.nov(n, "08:30"), at); err != nil {
			return err
		}
	}
	// Escalations of the day (07:00 for the acknowledged, 09:00 others).
	delays := []time.Duration{1, 2, 3, 4, 5, 6, 8, 10, 15}
	switch {
	case n <= 9:
		if err := g.escalation(g.nov(n, "07:00"), push.StatusAcked, delays[n-1]*time.Minute, true); err != nil {
			return err
		}
	case n == 12 || n == 13:
		if err := g.escalation(g.nov(n, "09:00"), push.StatusResolved, 20*time.Minute, true); err != nil {
			return err
		}
	case n == 14:
		if err := g.escalation(g.nov(n, "09:00"), push.StatusExhausted, 45*time.Minute, true); err != nil {
			return err
		}
	case n == 29:
		if err := g.escalation(g.nov(n, "09:00"), push.StatusOpen, 0, false); err != nil {
			return err
		}
	}
	// The day's report and 批示.
	if n%3 == 1 {
		if err := g.dayReport(n); err != nil {
			return err
		}
	}
	// 夜班 check-in.
	if n == 10 {
		if err := g.absence(d, "夜班", "lisi", g.nov(n, "17:40")); err != nil {
			return err
		}
	} else {
		at := g.nov(n, "17:25")
		if n%2 == 1 {
			at = g.nov(n, "17:15")
		}
		if err := g.checkin(d, "夜班", "lisi", g.nov(n, "17:30"), at); err != nil {
			return err
		}
	}
	// The night's 查岗, at 02:00 the next morning.
	if n%3 == 0 {
		check := g.nov(n, "02:00").Add(24 * time.Hour)
		g.moveTo(check)
		c, _, err := g.duty.CreateSpotCheck(g.ctx, duty.SpotCheck{Date: d, Shift: "夜班", UserID: "lisi",
			RequestedBy: duty.RequestedBySystem, SentAt: check, DueAt: check.Add(5 * time.Minute)})
		if err != nil {
			return err
		}
		if n == 15 {
			g.moveTo(check.Add(5 * time.Minute))
			_, _, err = g.duty.MissSpotCheck(g.ctx, c.ID)
		} else {
			_, _, err = g.duty.AnswerSpotCheck(g.ctx, c.ID, duty.SpotViaButton, check.Add(2*time.Minute))
		}
		if err != nil {
			return err
		}
	}
	if n == 30 {
		// The 特别重大 report filed at 01:00 on 12-01, in the 夜班 of 11-30.
		if _, err := g.report(d, "夜班", g.at(2026, 12, 1, "01:00"), incident.LevelSevere, incident.CategoryAccident, true, 0); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) checkin(d roster.Date, shift, user string, start, at time.Time) error {
	status, late := duty.CheckinStatus(start, at)
	_, _, err := g.duty.AddCheckin(g.ctx, duty.Checkin{Date: d, Shift: shift, UserID: user, Role: roster.RoleOfficer,
		At: at, Status: status, MinutesLate: late, Via: duty.ViaChat})
	return err
}

func (g *gen) absence(d roster.Date, shift, user string, at time.Time) error {
	_, _, err := g.duty.AddAbsence(g.ctx, duty.Absence{Kind: duty.AbsenceMissedCheckin, Date: d, Shift: shift, UserID: user, DetectedAt: at})
	return err
}

func (g *gen) report(d roster.Date, shift string, filed time.Time, l incident.Level, c incident.Category, sensitive bool, late time.Duration) (incident.Report, error) {
	known := filed.Add(-time.Hour)
	return g.inc.CreateReport(g.ctx, incident.Report{
		Category: c, Level: l, Sensitive: sensitive, OccurredAt: known, KnownAt: known, Place: "测试路口",
		Summary: fmt.Sprintf("%s%s事件", l.Label(), c.Label()), FiledBy: "zhangsan", FiledAt: filed, Date: d, Shift: shift,
		DueAt: filed.Add(-late), LateBy: late, Status: incident.ReportOpen,
	})
}

func (g *gen) dayReport(n int) error {
	k := (n - 1) / 3
	level := []incident.Level{incident.LevelGeneral, incident.LevelLarge, incident.LevelGeneral, incident.LevelMajor}[k%4]
	var late time.Duration
	if k%3 == 2 {
		late = 20 * time.Minute
	}
	r, err := g.report(roster.NewDate(2026, 11, n), "白班", g.nov(n, "10:00"), level, incident.Categories()[k%5], k%4 == 3, late)
	if err != nil {
		return err
	}
	if k%2 == 0 {
		return nil
	}
	issued := g.nov(n, "10:30")
	in, err := g.inc.CreateInstruction(g.ctx, incident.Instruction{ReportID: r.ID, Leader: "wangwu", Content: "请核实情况，妥善处置", IssuedAt: issued,
		Officer: "zhangsan", RelayDue: issued.Add(5 * time.Minute), FeedbackDue: issued.Add(72 * time.Hour)})
	if err != nil {
		return err
	}
	relay := issued.Add(3 * time.Minute)
	if k == 9 {
		relay = issued.Add(10 * time.Minute)
	}
	if _, _, err := g.inc.RecordRelay(g.ctx, in.ID, "区应急局", relay); err != nil {
		return err
	}
	feedbackDays := map[int]int{1: 1, 3: 1, 5: 4, 7: 2}
	if days, ok := feedbackDays[k]; ok {
		if _, _, err := g.inc.RecordFeedback(g.ctx, in.ID, "zhangsan", "已处置完毕", issued.Add(time.Duration(days)*24*time.Hour)); err != nil {
			return err
		}
	}
	return nil
}

// escalation raises one at created and closes it as status after
// closeAfter, with its notifications when notify is set.
func (g *gen) escalation(created time.Time, status string, closeAfter time.Duration, notify bool) error {
	e := &push.Escalation{Kind: push.KindTest, Subject: "gen/" + created.UTC().Format(time.RFC3339), Title: "测试告警",
		Policy: push.Policy{Kind: push.KindTest}, Status: push.StatusOpen, NextAt: created.Add(5 * time.Minute), CreatedAt: created}
	if err := g.esc.CreateEscalation(g.ctx, e); err != nil {
		return err
	}
	closed := created.Add(closeAfter)
	var err error
	switch status {
	case push.StatusAcked:
		_, _, err = g.esc.AckEscalation(g.ctx, e.ID, "wangwu", "wecom", closed)
	case push.StatusResolved:
		_, err = g.esc.ResolveEscalations(g.ctx, e.Kind, e.Subject, closed)
	case push.StatusExhausted:
		done := *e
		done.Status, done.NextAt, done.ClosedAt = push.StatusExhausted, time.Time{}, closed
		_, err = g.esc.AdvanceEscalation(g.ctx, done, 0, 0)
	}
	if err != nil || !notify {
		return err
	}
	pushStatus := map[string]push.Status{push.StatusAcked: push.Delivered, push.StatusResolved: push.Failed, push.StatusExhausted: push.Invalid}[status]
	return g.esc.RecordSent(g.ctx, []push.Sent{
		{EscalationID: e.ID, Channel: push.ChannelWeCom, Target: "wangwu", Status: "queued", At: created},
		{EscalationID: e.ID, Channel: push.ChannelPush, Target: "wangwu/1", Status: string(pushStatus), At: created},
	})
}
