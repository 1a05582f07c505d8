package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// Check-in rules the issue leaves open (docs/duty-checkin.md).
const (
	// checkinAheadDays is how far ahead 签到 looks for the member's next
	// shift when no check-in window is open.
	checkinAheadDays = 30
	// checkinLocationFresh is how old a reported location may be and still
	// count for a 签到 (WeCom reports LOCATION when the member enters the
	// app).
	checkinLocationFresh = 5 * time.Minute
	// checkinWaitFor is how long a 签到 waits for the member's location.
	checkinWaitFor = 10 * time.Minute
)

// Absence resolutions.
const (
	resolvedLateCheckin = "late_checkin"
	resolvedHandover    = "handover"
)

// checkinCommands are 签到 and 签退 (接班 is the handover's), and the
// leaders' 签到 记录.
func (s *Service) checkinCommands() []*Command {
	return []*Command{
		{
			Name: "签到", Aliases: []string{"checkin", "打卡"},
			Usage:   "签到 / checkin",
			Summary: "本人值班签到（开班前 30 分钟起） check in for your shift",
			Run:     s.cmdCheckin,
		},
		{
			Name: "签退", Aliases: []string{"checkout"},
			Usage:   "签退 / checkout",
			Summary: "下班签退（提前签退记为早退） check out at the end of your shift",
			Run:     s.cmdCheckout,
		},
		{
			Name: "签到 记录", Aliases: []string{"checkins", "打卡 记录"},
			Roles:   []roster.Role{roster.RoleLeader, roster.RoleAdmin},
			Usage:   "签到 记录 [日期] / checkins",
			Summary: "某天的签到、迟到、空岗和早退 a day's check-ins and absences",
			Run:     s.cmdCheckinRecords,
		},
	}
}

// cmdCheckin is 签到: the member checks in for their shift whose check-in
// window is open now.
func (s *Service) cmdCheckin(ctx context.Context, req Request) (string, error) {
	m := req.Member
	if len(req.Args) > 0 {
		if err := s.checkinSelfOnly(ctx, m, req.Args); err != nil {
			return "", err
		}
	}
	now := s.clock.Now()
	slots, err := s.checkinOpenSlots(ctx, m.UserID, now)
	if err != nil {
		return "", err
	}
	if len(slots) == 0 {
		return s.checkinNextShift(ctx, m.UserID, now)
	}
	var first duty.Checkin
	for _, sr := range slots {
		c, err := s.duty.Checkin(ctx, sr.Date, sr.Shift.Name, m.UserID)
		if errors.Is(err, duty.ErrNotFound) {
			return s.checkinWithLocation(ctx, m, sr, now)
		}
		if err != nil {
			return "", err
		}
		if first.ID == 0 {
			first = c
		}
	}
	return s.checkinAlready(first), nil
}

// checkinSelfOnly refuses 签到 for someone else: everyone checks in from
// their own WeCom. Naming oneself is accepted.
func (s *Service) checkinSelfOnly(ctx context.Context, m roster.Member, args []string) error {
	q := strings.Join(args, " ")
	_, ms, err := s.people(ctx)
	if err != nil {
		return err
	}
	other, err := roster.ResolveMember(ms, q)
	switch {
	case err == nil && other.UserID == m.UserID:
		return nil
	case err == nil:
		return Userf("签到须本人操作，不能代他人签到。请 %s 用自己的企业微信发送「签到」。", displayName(other))
	}
	return Userf("「签到」后面不需要写内容，发送「签到」即为本人签到（代他人签到不被接受）。查看记录：签到 记录 [日期]（带班领导、管理员）。")
}

// checkinAlready answers a second 签到.
func (s *Service) checkinAlready(c duty.Checkin) string {
	return fmt.Sprintf("您已于 %s 签到 %s %s，无需重复签到。", s.checkinClock(c.Date, c.At), c.Date.Label(), c.Shift)
}

// checkinWithLocation checks m in for sr, first asking for a location when
// the geofence is on and no recent one is known.
func (s *Service) checkinWithLocation(ctx context.Context, m roster.Member, sr roster.ShiftRoster, now time.Time) (string, error) {
	g := s.dutySet.Geofence
	if !g.Enabled() {
		return s.completeCheckin(ctx, m, sr, duty.ViaChat, nil)
	}
	l, err := s.duty.LastLocation(ctx, m.UserID)
	if err != nil && !errors.Is(err, duty.ErrNotFound) {
		return "", err
	}
	wait := duty.CheckinWait{UserID: m.UserID, Date: sr.Date, Shift: sr.Shift.Name, AskedAt: now.UTC()}
	if err == nil && now.Sub(l.At) <= checkinLocationFresh {
		if g.Contains(l.Latitude, l.Longitude) {
			return s.completeCheckin(ctx, m, sr, duty.ViaLocation, &l)
		}
		// The last report was outside; they may have just arrived, so a
		// fresh location still completes this 签到.
		if err := s.duty.SetCheckinWait(ctx, wait); err != nil {
			return "", err
		}
		return fmt.Sprintf("您最近上报的位置%s，暂不能签到。到岗后请在本会话点「+」→「位置」发送当前位置（%d 分钟内有效）。",
			s.checkinOutside(g.Distance(l.Latitude, l.Longitude)), int(checkinWaitFor.Minutes())), nil
	}
	if err := s.duty.SetCheckinWait(ctx, wait); err != nil {
		return "", err
	}
	return fmt.Sprintf("签到需确认您在值班室：请在本会话点「+」→「位置」发送您当前的位置（%d 分钟内有效），收到后即完成 %s %s 的签到。",
		int(checkinWaitFor.Minutes()), sr.Date.Label(), sr.Shift.Name), nil
}

// checkinOutside says how far outside the geofence a distance is.
func (s *Service) checkinOutside(dist float64) string {
	return fmt.Sprintf("距值班室 %s，超出 %s范围", checkinDistance(dist), checkinDistance(s.dutySet.Geofence.RadiusMeters))
}

// checkinDistance shows metres as 米 or 公里.
func checkinDistance(m float64) string {
	if m < 1000 {
		return fmt.Sprintf("%.0f 米", m)
	}
	return fmt.Sprintf("%.1f 公里", m/1000)
}

// completeCheckin records m's check-in for sr (with the location l, if
// any) and answers them.
func (s *Service) completeCheckin(ctx context.Context, m roster.Member, sr roster.ShiftRoster, via string, l *duty.Location) (string, error) {
	c, added, resolved, err := s.recordCheckin(ctx, m, sr, via, l)
	if err != nil {
		return "", err
	}
	if !added {
		return s.checkinAlready(c), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "签到成功：%s %s %s（%s），%s 签到，%s。", sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(),
		c.Role.Label(), s.checkinClock(sr.Date, c.At), checkinStatusText(c))
	if c.HasLocation {
		fmt.Fprintf(&b, "位置：距值班室 %s。", checkinDistance(c.Distance))
	}
	if c.Status == duty.CheckinLate {
		b.WriteString("迟到已记录，请尽快到岗。")
	}
	if resolved.ID != 0 {
		b.WriteString("\n您的空岗告警已解除并已通知带班领导，空岗记录保留。")
	}
	return b.String(), nil
}

// checkInFor records that m checked in for the slot sr, via "handover"
// when 接班 signs the incoming officer in. Already checked in is no error
// and changes nothing. A late check-in resolves the absence alert.
func (s *Service) checkInFor(ctx context.Context, m roster.Member, sr roster.ShiftRoster, via string) error {
	_, _, _, err := s.recordCheckin(ctx, m, sr, via, nil)
	return err
}

// recordCheckin stores m's check-in for sr at the current time; a new late
// one resolves the member's absence for the slot (the record stays), closes
// its alert and tells the shift's leaders. resolved is that absence (zero
// when none was resolved).
func (s *Service) recordCheckin(ctx context.Context, m roster.Member, sr roster.ShiftRoster, via string, l *duty.Location) (c duty.Checkin, added bool, resolved duty.Absence, err error) {
	now := s.clock.Now()
	status, late := duty.CheckinStatus(sr.Start, now)
	role := roster.RoleOfficer
	if slices.Contains(sr.Leaders, m.UserID) && !slices.Contains(sr.Officers, m.UserID) {
		role = roster.RoleLeader
	}
	in := duty.Checkin{Date: sr.Date, Shift: sr.Shift.Name, UserID: m.UserID, Role: role, At: now.UTC(),
		Status: status, MinutesLate: late, Via: via}
	if l != nil {
		in.HasLocation, in.Latitude, in.Longitude = true, l.Latitude, l.Longitude
		in.Distance = s.dutySet.Geofence.Distance(l.Latitude, l.Longitude)
	}
	c, added, err = s.duty.AddCheckin(ctx, in)
	if err != nil || !added {
		return c, added, duty.Absence{}, err
	}
	s.log.Info("checked in", "date", sr.Date, "shift", sr.Shift.Name, "user", m.UserID, "status", c.Status, "via", via)
	if c.Status != duty.CheckinLate {
		return c, true, duty.Absence{}, nil
	}
	resolved, err = s.resolveMissedCheckin(ctx, m, sr, c)
	return c, true, resolved, err
}

// resolveMissedCheckin closes m's absence for sr after the late check-in c:
// the absence is marked resolved (it stays on record), its alert is
// resolved, and the leaders are told.
func (s *Service) resolveMissedCheckin(ctx context.Context, m roster.Member, sr roster.ShiftRoster, c duty.Checkin) (duty.Absence, error) {
	a, err := s.duty.Absence(ctx, duty.AbsenceMissedCheckin, sr.Date, sr.Shift.Name, m.UserID)
	if errors.Is(err, duty.ErrNotFound) {
		return duty.Absence{}, nil
	}
	if err != nil {
		return duty.Absence{}, err
	}
	how := resolvedLateCheckin
	if c.Via == duty.ViaHandover {
		how = resolvedHandover
	}
	a, done, err := s.duty.ResolveAbsence(ctx, a.ID, c.At, how)
	if err != nil || !done {
		return duty.Absence{}, err
	}
	if s.escalations != nil {
		if _, err := s.escalations.Resolve(ctx, push.KindMissedCheckin, missedCheckinSubject(sr.Date, sr.Shift.Name, m.UserID)); err != nil {
			return a, fmt.Errorf("resolve missed check-in alert of %s: %w", m.UserID, err)
		}
	}
	text := fmt.Sprintf("空岗解除：%s 已于 %s 补签到 %s %s %s（迟到 %s），空岗告警已解除，空岗记录保留。",
		displayName(m), s.checkinClock(sr.Date, c.At), sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(), roster.MinutesLabel(c.MinutesLate))
	if err := s.notifyAll(ctx, s.checkinBosses(ctx, sr, m.UserID), text); err != nil {
		s.log.Error("tell leaders of a late check-in", "user", m.UserID, "err", err)
	}
	return a, nil
}

// missedCheckinSubject is the subject of a 空岗 alert: "2026-12-02/白班/zhangsan".
func missedCheckinSubject(d roster.Date, shift, userID string) string {
	return d.String() + "/" + shift + "/" + userID
}

// checkinBosses are the leaders of sr (but not except), or the admins when
// the shift has no leader.
func (s *Service) checkinBosses(ctx context.Context, sr roster.ShiftRoster, except string) []string {
	var out []string
	for _, u := range sr.Leaders {
		if u != except {
			out = append(out, u)
		}
	}
	if len(out) > 0 {
		return out
	}
	_, ms, err := s.people(ctx)
	if err != nil {
		s.log.Error("list admins", "err", err)
		return nil
	}
	for _, m := range ms {
		if m.Active && m.HasRole(roster.RoleAdmin) && m.UserID != except {
			out = append(out, m.UserID)
		}
	}
	return out
}

// checkinStatusText says how a check-in stood against the start.
func checkinStatusText(c duty.Checkin) string {
	switch c.Status {
	case duty.CheckinEarly:
		return "提前到岗"
	case duty.CheckinOnTime:
		return "按时到岗"
	case duty.CheckinLate:
		return "迟到 " + roster.MinutesLabel(c.MinutesLate)
	}
	return c.Status
}

// checkinClock shows t as HH:MM, with the date when it is not on the duty
// day d (a night shift's morning).
func (s *Service) checkinClock(d roster.Date, t time.Time) string {
	t = t.In(s.loc)
	if roster.DateOf(t, s.loc) != d {
		return t.Format("1月2日 15:04")
	}
	return t.Format("15:04")
}

// checkinOpens is when check-in opens for sr.
func checkinOpens(sr roster.ShiftRoster) time.Time {
	opens := sr.Shift.CheckinOpens
	if opens <= 0 {
		opens = roster.DefaultCheckinOpens
	}
	return sr.Start.Add(-opens)
}

// checkinGraceEnds is when a missing check-in for sr becomes an absence.
func checkinGraceEnds(sr roster.ShiftRoster) time.Time {
	grace := sr.Shift.CheckinGrace
	if grace <= 0 {
		grace = roster.DefaultCheckinGrace
	}
	return sr.Start.Add(grace)
}

// checkinHandoverEnds is the end of sr's handover window (the last moment
// a 签退 is taken).
func checkinHandoverEnds(sr roster.ShiftRoster) time.Time {
	w := sr.Shift.HandoverWindow
	if w <= 0 {
		w = roster.DefaultHandoverWindow
	}
	return sr.End.Add(w)
}

// checkinMySlots lists the staffed slots of duty days from..to that
// userID is on (as officer or leader), in time order.
func (s *Service) checkinMySlots(ctx context.Context, userID string, from, to roster.Date) ([]roster.ShiftRoster, error) {
	rosters, err := s.shiftRosters(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []roster.ShiftRoster
	for _, sr := range rosters {
		if sr.Shift.Duration() > 0 && checkinOnSlot(sr, userID) {
			out = append(out, sr)
		}
	}
	slices.SortStableFunc(out, func(a, b roster.ShiftRoster) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// checkinOnSlot reports whether userID is an officer or leader of sr.
func checkinOnSlot(sr roster.ShiftRoster, userID string) bool {
	return slices.Contains(sr.Officers, userID) || slices.Contains(sr.Leaders, userID)
}

// checkinOpenSlots lists userID's slots whose check-in window (opening
// CheckinOpens before the start, closing at the end) holds now; yesterday's
// overnight shift is among them.
func (s *Service) checkinOpenSlots(ctx context.Context, userID string, now time.Time) ([]roster.ShiftRoster, error) {
	today := roster.DateOf(now, s.loc)
	mine, err := s.checkinMySlots(ctx, userID, today.AddDays(-1), today.AddDays(1))
	if err != nil {
		return nil, err
	}
	var out []roster.ShiftRoster
	for _, sr := range mine {
		if !now.Before(checkinOpens(sr)) && now.Before(sr.End) {
			out = append(out, sr)
		}
	}
	return out, nil
}

// checkinNextShift answers a 签到 outside every window with the member's
// next shift.
func (s *Service) checkinNextShift(ctx context.Context, userID string, now time.Time) (string, error) {
	today := roster.DateOf(now, s.loc)
	mine, err := s.checkinMySlots(ctx, userID, today, today.AddDays(checkinAheadDays))
	if err != nil {
		return "", err
	}
	for _, sr := range mine {
		if opens := checkinOpens(sr); opens.After(now) {
			return fmt.Sprintf("现在不在您任何班次的签到时间内。您的下一个班次：%s %s %s（%s），签到于 %s 开放（开班前 %.0f 分钟）。",
				sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(), checkinRole(sr, userID).Label(),
				opens.In(s.loc).Format("1月2日 15:04"), sr.Start.Sub(opens).Minutes()), nil
		}
	}
	return fmt.Sprintf("现在不在您任何班次的签到时间内，您在未来 %d 天也没有排班，无需签到。如有疑问请联系值班室管理员。", checkinAheadDays), nil
}

// checkinRole is userID's role on sr.
func checkinRole(sr roster.ShiftRoster, userID string) roster.Role {
	if slices.Contains(sr.Officers, userID) {
		return roster.RoleOfficer
	}
	return roster.RoleLeader
}

// cmdCheckout is 签退: the member checks out of the shift they checked in
// for; before its end that is an early leave (早退), and the leaders are
// told.
func (s *Service) cmdCheckout(ctx context.Context, req Request) (string, error) {
	m := req.Member
	if len(req.Args) > 0 {
		return "", Userf("「签退」后面不需要写内容，发送「签退」即为本人签退（代他人签退不被接受）。")
	}
	now := s.clock.Now()
	today := roster.DateOf(now, s.loc)
	mine, err := s.checkinMySlots(ctx, m.UserID, today.AddDays(-1), today)
	if err != nil {
		return "", err
	}
	var notIn []roster.ShiftRoster
	var out []duty.Checkin
	for _, sr := range mine {
		if now.Before(checkinOpens(sr)) || now.After(checkinHandoverEnds(sr)) {
			continue
		}
		c, err := s.duty.Checkin(ctx, sr.Date, sr.Shift.Name, m.UserID)
		switch {
		case errors.Is(err, duty.ErrNotFound):
			notIn = append(notIn, sr)
			continue
		case err != nil:
			return "", err
		case !c.CheckedOutAt.IsZero():
			out = append(out, c)
			continue
		}
		return s.checkout(ctx, m, sr, c, now)
	}
	switch {
	case len(out) > 0:
		c := out[0]
		return fmt.Sprintf("您已于 %s 签退 %s %s，无需重复签退。", s.checkinClock(c.Date, c.CheckedOutAt), c.Date.Label(), c.Shift), nil
	case len(notIn) > 0:
		sr := notIn[0]
		return fmt.Sprintf("您尚未签到 %s %s %s，无法签退。如您在岗，请先发送「签到」。", sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours()), nil
	}
	return fmt.Sprintf("您当前没有可签退的班次（签退须在已签到班次结束后 %.0f 分钟内完成）。", roster.DefaultHandoverWindow.Minutes()), nil
}

// checkout records the check-out of c for sr.
func (s *Service) checkout(ctx context.Context, m roster.Member, sr roster.ShiftRoster, c duty.Checkin, now time.Time) (string, error) {
	status, early := duty.CheckoutStatus(sr.End, now)
	c, done, err := s.duty.CheckOut(ctx, c.ID, now.UTC(), status, early)
	if err != nil {
		return "", err
	}
	if !done {
		return fmt.Sprintf("您已于 %s 签退 %s %s，无需重复签退。", s.checkinClock(c.Date, c.CheckedOutAt), c.Date.Label(), c.Shift), nil
	}
	when := s.checkinClock(sr.Date, now)
	if status == duty.CheckoutNormal {
		return fmt.Sprintf("签退成功：%s %s %s，%s 签退。辛苦了！如尚未交班，请发送「交班」。",
			sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(), when), nil
	}
	s.log.Info("early leave", "date", sr.Date, "shift", sr.Shift.Name, "user", m.UserID, "minutes", early)
	text := fmt.Sprintf("早退：%s（%s）于 %s 签退 %s %s %s，距下班提前 %s。",
		displayName(m), c.Role.Label(), when, sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(), roster.MinutesLabel(early))
	if err := s.notifyAll(ctx, s.checkinBosses(ctx, sr, m.UserID), text); err != nil {
		return "", err
	}
	return fmt.Sprintf("已签退：%s %s %s，%s 签退，距下班还有 %s，记为早退，已通知带班领导。",
		sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(), when, roster.MinutesLabel(early)), nil
}

// onLocation takes a location a member sent (message, LOCATION event or
// menu pick) for a check-in: it is kept as their latest location, and it
// completes a 签到 waiting for one when it is inside the geofence.
// Automatic LOCATION reports are answered only when a 签到 waits; with no
// geofence, locations are ignored.
func (s *Service) onLocation(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	if !s.dutySet.Geofence.Enabled() {
		return nil // no location is asked for, none is kept
	}
	deliberate := msg.Event != wecom.EventLocation
	lat, lng, ok := locationOf(msg)
	if !ok {
		if deliberate {
			return []string{"未能读取位置坐标。签到请在本会话点「+」→「位置」发送您当前的位置。"}
		}
		return nil
	}
	now := s.clock.Now()
	l := duty.Location{UserID: m.UserID, Latitude: lat, Longitude: lng, Source: msg.MsgType + msg.Event, At: now.UTC()}
	if err := s.duty.SaveLocation(ctx, l); err != nil {
		s.log.Error("save location", "user", m.UserID, "err", err)
		return []string{apology}
	}
	reply, err := s.checkinOnLocation(ctx, m, l, deliberate)
	if err != nil {
		s.log.Error("check in with a location", "user", m.UserID, "err", err)
		return []string{apology}
	}
	if reply == "" {
		return nil
	}
	return []string{reply}
}

// checkinOnLocation completes the 签到 waiting for l, if any.
func (s *Service) checkinOnLocation(ctx context.Context, m roster.Member, l duty.Location, deliberate bool) (string, error) {
	g := s.dutySet.Geofence
	w, err := s.duty.TakeCheckinWait(ctx, m.UserID)
	if errors.Is(err, duty.ErrNotFound) {
		if deliberate {
			return fmt.Sprintf("已收到您的位置（距值班室 %s）。如需签到，请发送「签到」。", checkinDistance(g.Distance(l.Latitude, l.Longitude))), nil
		}
		return "", nil
	}
	if err != nil {
		return "", err
	}
	now := l.At
	if now.Sub(w.AskedAt) > checkinWaitFor {
		return "签到等待位置已超时，请重新发送「签到」。", nil
	}
	sr, ok, err := s.shiftRoster(ctx, w.Date, w.Shift)
	if err != nil {
		return "", err
	}
	if !ok || !checkinOnSlot(sr, m.UserID) || !now.Before(sr.End) {
		return fmt.Sprintf("您已不在 %s %s 的签到时间或排班内，请重新发送「签到」。", w.Date.Label(), w.Shift), nil
	}
	if dist := g.Distance(l.Latitude, l.Longitude); dist > g.RadiusMeters {
		return fmt.Sprintf("签到未成功：您的位置%s。请到值班室后重新发送「签到」。", s.checkinOutside(dist)), nil
	}
	return s.completeCheckin(ctx, m, sr, duty.ViaLocation, &l)
}

// locationOf reads the coordinates a callback carries: a location message
// or menu pick (Location_X/Y) or a LOCATION report (Latitude/Longitude).
// ok is false when there are none.
func locationOf(msg wecom.Message) (lat, lng float64, ok bool) {
	if msg.Event == wecom.EventLocation {
		lat, lng = msg.Latitude, msg.Longitude
	} else {
		lat, lng = msg.LocationX, msg.LocationY
	}
	if lat == 0 && lng == 0 {
		return 0, 0, false
	}
	return lat, lng, true
}

// onCheckinGrace: the grace period of a shift has ended; an officer who has
// not checked in is absent (空岗). The absence is recorded once, the alert
// raised once (to the leader on duty and the admins by the default
// policy), and the officer is told.
func (s *Service) onCheckinGrace(ctx context.Context, d duty.Deadline) error {
	sr, ok, err := s.shiftRoster(ctx, d.Date, d.Shift)
	if err != nil {
		return err
	}
	if !ok || !slices.Contains(sr.Officers, d.UserID) {
		return nil // the roster changed: no longer theirs
	}
	if _, err := s.duty.Checkin(ctx, d.Date, d.Shift, d.UserID); err == nil {
		return nil
	} else if !errors.Is(err, duty.ErrNotFound) {
		return err
	}
	a, _, err := s.duty.AddAbsence(ctx, duty.Absence{Kind: duty.AbsenceMissedCheckin, Date: d.Date, Shift: d.Shift,
		UserID: d.UserID, DetectedAt: s.clock.Now().UTC()})
	if errors.Is(err, duty.ErrCheckedIn) {
		return nil
	}
	if err != nil {
		return err
	}
	if !a.ResolvedAt.IsZero() {
		return nil
	}
	name := d.UserID
	if m, err := s.store.Member(ctx, d.UserID); err == nil {
		name = displayName(m)
	}
	subject := missedCheckinSubject(d.Date, d.Shift, d.UserID)
	esc, err := s.raiseOnce(ctx, push.Event{
		Kind: push.KindMissedCheckin, Subject: subject,
		Title: fmt.Sprintf("%s空岗：%s未签到", d.Shift, name),
		Body: fmt.Sprintf("%s %s %s 值班员 %s 至 %s（开班后 %.0f 分钟）仍未签到。",
			d.Date.Label(), d.Shift, sr.Shift.Hours(), name, checkinGraceEnds(sr).In(s.loc).Format("15:04"),
			checkinGraceEnds(sr).Sub(sr.Start).Minutes()),
	})
	if err != nil {
		return err
	}
	if a.EscalationID == "" {
		// First time through (a re-run after a crash may tell the officer
		// twice, never not at all).
		text := fmt.Sprintf("您尚未签到 %s %s %s，已按空岗上报带班领导和管理员。请立即到岗并发送「签到」，补签后告警解除（空岗记录保留）。",
			d.Date.Label(), d.Shift, sr.Shift.Hours())
		if err := s.NotifyWeCom(ctx, d.UserID, text); err != nil {
			return err
		}
		if esc.ID != "" {
			if err := s.duty.SetAbsenceEscalation(ctx, a.ID, esc.ID); err != nil {
				return err
			}
		}
	}
	// A check-in racing this handler may have resolved the absence before
	// the alert existed: close the alert too.
	if a, err = s.duty.Absence(ctx, duty.AbsenceMissedCheckin, d.Date, d.Shift, d.UserID); err != nil {
		return err
	}
	if !a.ResolvedAt.IsZero() {
		if _, err := s.escalations.Resolve(ctx, push.KindMissedCheckin, subject); err != nil {
			return err
		}
	}
	return nil
}

// onReminder reminds a member of their coming shift.
func (s *Service) onReminder(ctx context.Context, d duty.Deadline) error {
	sr, ok, err := s.shiftRoster(ctx, d.Date, d.Shift)
	if err != nil {
		return err
	}
	if !ok || !checkinOnSlot(sr, d.UserID) {
		return nil
	}
	now := s.clock.Now()
	today := roster.DateOf(now, s.loc)
	role := checkinRole(sr, d.UserID).Label()
	var b strings.Builder
	switch {
	case d.Kind == duty.KindRemindBefore:
		fmt.Fprintf(&b, "值班提醒：%s后（%s）%s %s 开班，您是%s。", roster.MinutesLabel(int(sr.Start.Sub(now).Round(time.Minute).Minutes())),
			s.checkinClock(today, sr.Start), d.Shift, sr.Shift.Hours(), role)
	case d.Date == today.AddDays(1):
		fmt.Fprintf(&b, "值班提醒：您明天（%s）%s %s 值班（%s）。", d.Date.Label(), d.Shift, sr.Shift.Hours(), role)
	case d.Date == today:
		fmt.Fprintf(&b, "值班提醒：您今天（%s）%s %s 值班（%s）。", d.Date.Label(), d.Shift, sr.Shift.Hours(), role)
	default:
		fmt.Fprintf(&b, "值班提醒：您 %s %s %s 值班（%s）。", d.Date.Label(), d.Shift, sr.Shift.Hours(), role)
	}
	fmt.Fprintf(&b, "请提前10分钟到岗签到（发送「签到」，%s 起可签", s.checkinClock(today, checkinOpens(sr)))
	if s.dutySet.Geofence.Enabled() {
		b.WriteString("，需发送位置")
	}
	b.WriteString("）。")
	return s.NotifyWeCom(ctx, d.UserID, b.String())
}

// onShiftStart tells the shift's leader who has checked in.
func (s *Service) onShiftStart(ctx context.Context, d duty.Deadline) error {
	sr, ok, err := s.shiftRoster(ctx, d.Date, d.Shift)
	if err != nil {
		return err
	}
	if !ok || len(sr.Leaders) == 0 {
		return nil
	}
	cs, err := s.duty.SlotCheckins(ctx, d.Date, d.Shift)
	if err != nil {
		return err
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return err
	}
	name := func(id string) string {
		if m, ok := byID[id]; ok {
			return displayName(m)
		}
		return id
	}
	in := make(map[string]duty.Checkin, len(cs))
	for _, c := range cs {
		in[c.UserID] = c
	}
	var b strings.Builder
	fmt.Fprintf(&b, "开班：%s %s %s。", d.Date.Label(), d.Shift, sr.Shift.Hours())
	if len(sr.Officers) == 0 {
		b.WriteString("\n本班次未安排值班员。")
	}
	var checked, missing []string
	for _, u := range sr.Officers {
		if c, ok := in[u]; ok {
			checked = append(checked, fmt.Sprintf("%s %s（%s）", name(u), s.checkinClock(sr.Date, c.At), checkinStatusText(c)))
		} else {
			missing = append(missing, name(u))
		}
	}
	if len(checked) > 0 {
		fmt.Fprintf(&b, "\n已签到：%s", strings.Join(checked, "、"))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "\n未签到：%s（宽限至 %s，届时未签到记为空岗并告警）",
			strings.Join(missing, "、"), checkinGraceEnds(sr).In(s.loc).Format("15:04"))
	} else if len(sr.Officers) > 0 {
		b.WriteString("\n值班员均已到岗。")
	}
	return s.notifyAll(ctx, sr.Leaders, b.String())
}

// cmdCheckinRecords is 签到 记录 [日期]: a day's check-ins, late ones,
// absences and early leaves, shift by shift.
func (s *Service) cmdCheckinRecords(ctx context.Context, req Request) (string, error) {
	d := s.today()
	if len(req.Args) > 0 {
		var err error
		if d, err = s.day(strings.Join(req.Args, " ")); err != nil {
			return "", err
		}
	}
	rosters, err := s.shiftRosters(ctx, d, d)
	if err != nil {
		return "", err
	}
	cs, err := s.duty.Checkins(ctx, d, d)
	if err != nil {
		return "", err
	}
	as, err := s.duty.Absences(ctx, d, d)
	if err != nil {
		return "", err
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	name := func(id string) string {
		if m, ok := byID[id]; ok {
			return displayName(m)
		}
		return id
	}
	now := s.clock.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "签到记录 %s", d.Label())
	shifts := make([]string, 0, len(rosters))
	hours := make(map[string]roster.ShiftRoster)
	for _, sr := range rosters {
		shifts = append(shifts, sr.Shift.Name)
		hours[sr.Shift.Name] = sr
	}
	for _, c := range cs {
		if !slices.Contains(shifts, c.Shift) {
			shifts = append(shifts, c.Shift)
		}
	}
	lines := 0
	for _, shift := range shifts {
		sr, known := hours[shift]
		fmt.Fprintf(&b, "\n\n【%s %s】", shift, sr.Shift.Hours())
		before := lines
		seen := make(map[string]bool)
		for _, c := range cs {
			if c.Shift != shift {
				continue
			}
			seen[c.UserID] = true
			lines++
			fmt.Fprintf(&b, "\n· %s（%s）%s 签到，%s", name(c.UserID), c.Role.Label(), s.checkinClock(d, c.At), checkinStatusText(c))
			if c.Via == duty.ViaHandover {
				b.WriteString("（接班）")
			}
			switch c.CheckoutStatus {
			case duty.CheckoutNormal:
				fmt.Fprintf(&b, "；%s 签退", s.checkinClock(d, c.CheckedOutAt))
			case duty.CheckoutEarly:
				fmt.Fprintf(&b, "；%s 签退，早退 %s", s.checkinClock(d, c.CheckedOutAt), roster.MinutesLabel(c.MinutesEarly))
			}
		}
		if known {
			for _, u := range append(append([]string(nil), sr.Officers...), sr.Leaders...) {
				if seen[u] {
					continue
				}
				seen[u] = true
				state := "未签到"
				if now.Before(checkinOpens(sr)) {
					state = "未到签到时间"
				}
				lines++
				fmt.Fprintf(&b, "\n· %s（%s）%s", name(u), checkinRole(sr, u).Label(), state)
			}
		}
		for _, a := range as {
			if a.Shift != shift {
				continue
			}
			lines++
			fmt.Fprintf(&b, "\n· 空岗：%s，%s 发现", name(a.UserID), s.checkinClock(d, a.DetectedAt))
			if a.EscalationID != "" {
				fmt.Fprintf(&b, "，告警 %s", a.EscalationID)
			}
			if !a.ResolvedAt.IsZero() {
				fmt.Fprintf(&b, "，%s 补签到解除", s.checkinClock(d, a.ResolvedAt))
			} else {
				b.WriteString("，未解除")
			}
		}
		if lines == before {
			b.WriteString("\n· 未排班")
		}
	}
	if lines == 0 {
		return fmt.Sprintf("%s 没有排班，也没有签到记录。", d.Label()), nil
	}
	return checkinClipText(b.String()), nil
}

// checkinClipText keeps a reply within WeCom's 2,048-byte text limit.
func checkinClipText(s string) string {
	const max = 2000
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndex(s[:max], "\n")
	if cut < 0 {
		cut = max
	}
	return s[:cut] + "\n……（记录过长，已截断）"
}
