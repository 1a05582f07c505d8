package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dutybot/internal/report"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// bulletinCommands are 值班要情 and 统计.
func (s *Service) bulletinCommands() []*Command {
	leadersAndAdmins := []roster.Role{roster.RoleLeader, roster.RoleAdmin}
	return []*Command{
		{
			Name: "值班要情", Aliases: []string{"bulletin"}, Roles: leadersAndAdmins, Markdown: true,
			Usage:   "值班要情 [日期] / bulletin [date]",
			Summary: "某个值班日的值班要情（默认昨天；节假日为节假日每日值班信息专报）",
			Run:     s.cmdBulletin,
		},
		{
			Name: "统计", Aliases: []string{"stats"}, Roles: leadersAndAdmins, Markdown: true,
			Usage:   "统计 [本月|上月|2026-11|2026] / stats",
			Summary: "月度或年度值班统计：事件、迟报、批示、签到、空岗脱岗、查岗、告警",
			Run:     s.cmdStats,
		},
	}
}

// reportBuilder reads the bulletin's and the statistics' facts from the
// Service's stores. Escalation figures need the escalation log to list a
// period (push.SQLStore does).
func (s *Service) reportBuilder() report.Builder {
	b := report.Builder{Roster: s.store, Duty: s.duty, Incidents: s.incidents, Settings: s.settings, Loc: s.loc}
	if src, ok := s.escalationLog.(report.EscalationSource); ok {
		b.Escalations = src
	}
	return b
}

// bulletinKey is the deadline key of duty day d's bulletin.
func bulletinKey(d roster.Date) string { return duty.KindBulletin + "/" + d.String() }

// planBulletins lists the daily bulletin deadlines still ahead of now: the
// bulletin of duty day D is due at BulletinAt (office time) on D+1, for D
// from yesterday to tomorrow.
func (s *Service) planBulletins(now time.Time) []duty.Deadline {
	if s.incidents == nil || s.incidentSet.BulletinOff {
		return nil
	}
	today := roster.DateOf(now, s.loc)
	var ds []duty.Deadline
	for d := today.AddDays(-1); !d.After(today.AddDays(1)); d = d.AddDays(1) {
		due := d.AddDays(1).At(s.incidentSet.BulletinAt, s.loc)
		if !due.After(now) {
			continue
		}
		ds = append(ds, duty.Deadline{Key: bulletinKey(d), Kind: duty.KindBulletin, Date: d, DueAt: due})
	}
	return ds
}

// onBulletin sends the bulletin of duty day d.Date (the previous one) as
// markdown to every active leader and admin, all messages queued in one
// transaction. A re-run after a crash that came after the queueing sends
// it again (the scheduler closes the deadline only after this returns):
// a second copy of a bulletin beats none.
func (s *Service) onBulletin(ctx context.Context, d duty.Deadline) error {
	if s.incidents == nil {
		return nil
	}
	day := d.Date
	if day.IsZero() {
		var err error
		if day, err = roster.ParseDate(strings.TrimPrefix(d.Key, duty.KindBulletin+"/")); err != nil {
			s.log.Error("bulletin deadline without a date; closing it", "key", d.Key)
			return nil
		}
	}
	bulletin, err := s.reportBuilder().Daily(ctx, day, s.clock.Now())
	if err != nil {
		return fmt.Errorf("bulletin of %s: %w", day, err)
	}
	_, members, err := s.people(ctx)
	if err != nil {
		return fmt.Errorf("bulletin of %s: %w", day, err)
	}
	parts := bulletin.MarkdownParts(0)
	now := s.clock.Now().UTC()
	var out []roster.Outgoing
	for _, m := range members {
		if !m.Active || !m.HasAnyRole(roster.RoleLeader, roster.RoleAdmin) {
			continue
		}
		for _, p := range parts {
			out = append(out, roster.Outgoing{ToUser: m.UserID, Kind: KindMarkdown, Content: p, Ref: bulletinKey(day),
				Status: roster.OutPending, CreatedAt: now, UpdatedAt: now})
		}
	}
	if len(out) == 0 {
		s.log.Warn("bulletin: no active leader or admin to send it to", "date", day)
		return nil
	}
	if err := s.store.QueueOutgoing(ctx, out); err != nil {
		return fmt.Errorf("queue bulletin of %s: %w", day, err)
	}
	s.outbox.wake()
	s.log.Info("bulletin sent", "date", day, "title", bulletin.Title(), "messages", len(out))
	return nil
}

// cmdBulletin replies with the bulletin of a duty day (default yesterday).
// One that does not fit one message is queued in parts, with a short
// reply saying so.
func (s *Service) cmdBulletin(ctx context.Context, req Request) (string, error) {
	day := s.today().AddDays(-1)
	if len(req.Args) > 0 {
		var err error
		if day, err = s.day(strings.Join(req.Args, " ")); err != nil {
			return "", err
		}
	}
	if day.After(s.today()) {
		return "", Userf("%s 还没到，值班要情只能看今天及以前的值班日。", day)
	}
	bulletin, err := s.reportBuilder().Daily(ctx, day, s.clock.Now())
	if err != nil {
		return "", err
	}
	parts := bulletin.MarkdownParts(0)
	if len(parts) == 1 {
		return parts[0], nil
	}
	now := s.clock.Now().UTC()
	out := make([]roster.Outgoing, len(parts))
	for i, p := range parts {
		out[i] = roster.Outgoing{ToUser: req.Member.UserID, Kind: KindMarkdown, Content: p, Ref: bulletinKey(day),
			Status: roster.OutPending, CreatedAt: now, UpdatedAt: now}
	}
	if err := s.store.QueueOutgoing(ctx, out); err != nil {
		return "", fmt.Errorf("queue bulletin of %s: %w", day, err)
	}
	s.outbox.wake()
	return fmt.Sprintf("%s 较长，已分 %d 条发送。", bulletin.Title(), len(parts)), nil
}

// cmdStats replies with the figures of a month or a year (default this
// month).
func (s *Service) cmdStats(ctx context.Context, req Request) (string, error) {
	p, err := report.ParsePeriod(strings.Join(req.Args, " "), s.today())
	if err != nil {
		return "", Userf("%s", err.Error())
	}
	st, err := s.reportBuilder().Monthly(ctx, p, s.clock.Now())
	if err != nil {
		return "", err
	}
	return st.Markdown(), nil
}
