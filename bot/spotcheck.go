package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// cardSpotCheckPrefix starts the key of a spot-check card's 在岗 button.
const cardSpotCheckPrefix = "spot"

const (
	// defaultSpotCheckAnswer is the answer window when none is configured.
	defaultSpotCheckAnswer = 5 * time.Minute
	// spotLateWindow is how long after a check's deadline a typed 在岗
	// still counts as a (late) answer to it; the card's button answers its
	// own check at any time.
	spotLateWindow = time.Hour
	// spotRandomStale: a random check whose moment passed longer ago than
	// this (the service was down) is not sent any more.
	spotRandomStale = time.Hour
	// spotLogDays is what 查岗 记录 lists by default: the last 7 days.
	spotLogDays = 7
	// spotMaxText is WeCom's limit for a text message.
	spotMaxText = 2048
)

// spotCheckCommands are 查岗 and 在岗.
func (s *Service) spotCheckCommands() []*Command {
	lead := []roster.Role{roster.RoleLeader, roster.RoleAdmin}
	return []*Command{
		{Name: "查岗", Aliases: []string{"spotcheck"}, Roles: lead,
			Usage:   "查岗 [姓名|全部] | 查岗 记录 [日期|期间] / spotcheck",
			Summary: "查岗：在岗值班员须在规定时间内确认在岗 spot-check the officers on duty", Run: s.cmdSpotCheck},
		{Name: "在岗", Aliases: []string{"here"},
			Usage: "在岗 / here", Summary: "回应查岗，确认在岗 answer a spot check", Run: s.cmdHere},
	}
}

// spotOfficer is an officer on a shift in progress.
type spotOfficer struct {
	UserID string
	Roster roster.ShiftRoster
}

// spotOfficersOnDuty lists the officers of the shifts in progress at t (those
// of t's duty day and overnight ones from the day before), each once.
func (s *Service) spotOfficersOnDuty(ctx context.Context, t time.Time) ([]spotOfficer, []roster.ShiftRoster, error) {
	today := roster.DateOf(t, s.loc)
	rosters, err := s.shiftRosters(ctx, today.AddDays(-1), today)
	if err != nil {
		return nil, nil, fmt.Errorf("who is on duty at %s: %w", t.In(s.loc).Format("01-02 15:04"), err)
	}
	var out []spotOfficer
	var running []roster.ShiftRoster
	seen := make(map[string]bool)
	for _, sr := range rosters {
		if sr.Shift.Duration() <= 0 || t.Before(sr.Start) || !t.Before(sr.End) {
			continue
		}
		running = append(running, sr)
		for _, u := range sr.Officers {
			if !seen[u] {
				seen[u] = true
				out = append(out, spotOfficer{UserID: u, Roster: sr})
			}
		}
	}
	return out, running, nil
}

func (s *Service) spotCheckAnswer() time.Duration {
	if s.dutySet.SpotCheckAnswer > 0 {
		return s.dutySet.SpotCheckAnswer
	}
	return defaultSpotCheckAnswer
}

func (s *Service) cmdSpotCheck(ctx context.Context, req Request) (string, error) {
	args := req.Args
	if len(args) > 0 && (args[0] == "记录" || strings.EqualFold(args[0], "log")) {
		return s.spotCheckLog(ctx, args[1:])
	}
	now := s.clock.Now()
	onDuty, running, err := s.spotOfficersOnDuty(ctx, now)
	if err != nil {
		return "", err
	}
	byID, members, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	var targets []spotOfficer
	if len(args) == 0 || len(args) == 1 && (args[0] == "全部" || strings.EqualFold(args[0], "all")) {
		if len(onDuty) == 0 {
			return "", Userf("现在没有正在值班的值班员，无需查岗。发送「现在谁值班」查看当前班次。")
		}
		targets = onDuty
	} else {
		for _, q := range args {
			m, err := resolveMember(members, q)
			if err != nil {
				return "", err
			}
			o, ok := spotFindOfficer(onDuty, m.UserID)
			if !ok {
				return "", s.spotNotOnDuty(ctx, m, now, onDuty, running, byID)
			}
			if _, dup := spotFindOfficer(targets, m.UserID); !dup {
				targets = append(targets, o)
			}
		}
	}
	sent, busy, err := s.sendSpotChecks(ctx, targets, req.Member.UserID, "", now)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if len(sent) > 0 {
		var names []string
		for _, sc := range sent {
			names = append(names, fmt.Sprintf("%s（%s）", spotNameOf(byID, sc.UserID), sc.Shift))
		}
		fmt.Fprintf(&b, "已查岗 %d 人：%s。\n须在 %s 前确认在岗（%s内），超时未确认将记为脱岗并告警；结果会通知您。",
			len(sent), strings.Join(names, "、"), s.spotClock(sent[0].DueAt), spotDuration(s.spotCheckAnswer()))
	}
	for _, sc := range busy {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s 已有待应答的查岗（%s 截止），未重复发送。", spotNameOf(byID, sc.UserID), s.spotClock(sc.DueAt))
	}
	return b.String(), nil
}

func spotFindOfficer(os []spotOfficer, userID string) (spotOfficer, bool) {
	for _, o := range os {
		if o.UserID == userID {
			return o, true
		}
	}
	return spotOfficer{}, false
}

// spotNotOnDuty explains why m cannot be checked now: a leader on the shift,
// or not on any shift in progress (with their next shift).
func (s *Service) spotNotOnDuty(ctx context.Context, m roster.Member, now time.Time, onDuty []spotOfficer,
	running []roster.ShiftRoster, byID map[string]roster.Member) error {
	name := displayName(m)
	for _, sr := range running {
		for _, l := range sr.Leaders {
			if l == m.UserID {
				return Userf("%s 是%s的带班领导；查岗只针对正在值班的值班员。", name, sr.Shift.Name)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s 现在不在岗（不在正在进行的班次中），无法查岗。", name)
	next, ok, err := s.spotNextShift(ctx, m.UserID, now)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(&b, "\n下一班：%s %s（%s 开始）。", next.Date.Label(), next.Shift.Name, s.spotClock(next.Start))
	}
	if len(onDuty) > 0 {
		var names []string
		for _, o := range onDuty {
			names = append(names, fmt.Sprintf("%s（%s）", spotNameOf(byID, o.UserID), o.Roster.Shift.Name))
		}
		fmt.Fprintf(&b, "\n现在在岗的值班员：%s。", strings.Join(names, "、"))
	} else {
		b.WriteString("\n现在没有正在值班的值班员。")
	}
	return &UserError{Msg: b.String()}
}

// spotNextShiftDays is how far ahead spotNotOnDuty looks for someone's next shift.
const spotNextShiftDays = 14

// spotNextShift is userID's next shift as an officer starting after now.
func (s *Service) spotNextShift(ctx context.Context, userID string, now time.Time) (roster.ShiftRoster, bool, error) {
	today := roster.DateOf(now, s.loc)
	rosters, err := s.shiftRosters(ctx, today, today.AddDays(spotNextShiftDays))
	if err != nil {
		return roster.ShiftRoster{}, false, err
	}
	for _, sr := range rosters {
		if !sr.Start.After(now) {
			continue
		}
		for _, u := range sr.Officers {
			if u == userID {
				return sr, true, nil
			}
		}
	}
	return roster.ShiftRoster{}, false, nil
}

// sendSpotChecks checks each officer: it stores the check, stores and arms
// its deadline, then queues the card. An officer who already has a check
// waiting for an answer is left out (busy). trigger is the random check's
// deadline key ("" for a person's 查岗): run again, it finds the checks it
// created and only sends the cards not sent yet.
func (s *Service) sendSpotChecks(ctx context.Context, officers []spotOfficer, requestedBy, trigger string, now time.Time) (sent, busy []duty.SpotCheck, err error) {
	for _, o := range officers {
		open, err := s.duty.PendingSpotChecks(ctx, o.UserID, now)
		if err != nil {
			return sent, busy, err
		}
		var waiting *duty.SpotCheck
		for i, sc := range open {
			if sc.Status == duty.SpotPending && sc.DueAt.After(now) && (trigger == "" || sc.Trigger != trigger) {
				waiting = &open[i]
				break
			}
		}
		if waiting != nil {
			busy = append(busy, *waiting)
			continue
		}
		sc, _, err := s.duty.CreateSpotCheck(ctx, duty.SpotCheck{Date: o.Roster.Date, Shift: o.Roster.Shift.Name, UserID: o.UserID,
			RequestedBy: requestedBy, Trigger: trigger, DueAt: now.Add(s.spotCheckAnswer())})
		if err != nil {
			return sent, busy, err
		}
		if sc.Status != duty.SpotPending {
			continue // a re-run finds it answered or missed already
		}
		if err := s.dutySched.Add(ctx, duty.Deadline{Key: duty.RefKey(duty.KindSpotCheckDue, sc.ID), Kind: duty.KindSpotCheckDue,
			Date: sc.Date, Shift: sc.Shift, UserID: sc.UserID, Ref: sc.ID, DueAt: sc.DueAt}); err != nil {
			return sent, busy, fmt.Errorf("spot check #%d deadline: %w", sc.ID, err)
		}
		if sc.SentAt.IsZero() {
			if err := s.queueCard(ctx, sc.UserID, s.spotCheckCard(ctx, sc, now), spotSubject(sc.ID)); err != nil {
				return sent, busy, err
			}
			if err := s.duty.MarkSpotCheckSent(ctx, sc.ID, now); err != nil {
				return sent, busy, err
			}
			sc.SentAt = now.UTC()
		}
		sent = append(sent, sc)
	}
	return sent, busy, nil
}

// spotSubject names a spot check in escalations and outgoing refs.
func spotSubject(id int64) string { return fmt.Sprintf("spot/%d", id) }

// spotCheckCard is the card an officer answers a check with.
func (s *Service) spotCheckCard(ctx context.Context, sc duty.SpotCheck, now time.Time) wecom.Card {
	due := s.spotClock(sc.DueAt)
	who := "系统随机查岗"
	if sc.RequestedBy != duty.RequestedBySystem {
		who = s.spotName(ctx, sc.RequestedBy) + " 发起查岗"
	}
	return wecom.Card{
		// Unique per send: WeCom refuses a task id used before.
		TaskID:  fmt.Sprintf("spot_%d_%d", sc.ID, now.UnixMilli()),
		Source:  "值班机器人 · 查岗",
		Title:   clip(fmt.Sprintf("查岗：请在 %s内确认在岗", spotDuration(sc.DueAt.Sub(now))), 36),
		Desc:    clip(fmt.Sprintf("%s · %s 前确认", sc.Shift, due), 44),
		Text:    clip(fmt.Sprintf("%s。请点「在岗」或回复「在岗」；%s 前未确认将记为脱岗并通知带班领导。", who, due), 112),
		Buttons: []wecom.CardButton{{Text: "在岗 / On duty", Key: fmt.Sprintf("%s:%d", cardSpotCheckPrefix, sc.ID), Style: 1}},
	}
}

// cmdHere answers every check the member has not answered yet.
func (s *Service) cmdHere(ctx context.Context, req Request) (string, error) {
	now := s.clock.Now()
	open, err := s.duty.PendingSpotChecks(ctx, req.Member.UserID, now.Add(-spotLateWindow))
	if err != nil {
		return "", err
	}
	if len(open) == 0 {
		return "您当前没有待应答的查岗，无需确认。", nil
	}
	var lines []string
	for _, sc := range open {
		line, err := s.answerSpotCheck(ctx, req.Member, sc, duty.SpotViaChat, now)
		if err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), nil
}

// onSpotCheckCard answers a spot check from its card's 在岗 button.
func (s *Service) onSpotCheckCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	id, ok := parseCardIDKey(msg.EventKey)
	if !ok {
		s.log.Warn("spot check button with a bad key", "key", msg.EventKey)
		return []string{"无法识别这个查岗按钮，请直接回复「在岗」。"}
	}
	sc, err := s.duty.SpotCheck(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		return []string{fmt.Sprintf("没有找到这次查岗（编号 %d）。", id)}
	}
	if err != nil {
		s.log.Error("spot check from card", "id", id, "err", err)
		return []string{apology}
	}
	if sc.UserID != m.UserID {
		return []string{fmt.Sprintf("这是发给 %s 的查岗，只能由本人点「在岗」确认；您无需操作。", s.spotName(ctx, sc.UserID))}
	}
	now := s.clock.Now()
	reply, err := s.answerSpotCheck(ctx, m, sc, duty.SpotViaButton, now)
	if err != nil {
		s.log.Error("answer spot check from card", "id", id, "err", err)
		return []string{apology}
	}
	if s.cards != nil && msg.ResponseCode != "" {
		if answered, err := s.duty.SpotCheck(ctx, id); err == nil && !answered.AnsweredAt.IsZero() {
			label := "已确认在岗 " + s.spotClock(answered.AnsweredAt)
			if answered.Status == duty.SpotMissed {
				label = "超时回复 " + s.spotClock(answered.AnsweredAt)
			}
			if err := s.cards.UpdateCardButton(ctx, []string{m.UserID}, msg.ResponseCode, label); err != nil {
				s.log.Warn("update spot check card", "id", id, "err", err)
			}
		}
	}
	return []string{reply}
}

// answerSpotCheck records m's answer to sc at now and says what became of
// it. In time: the deadline is cancelled and the requester told. Late:
// the check stays missed (脱岗), its escalation is raised if the deadline
// had not done so yet and then resolved, since the officer is back.
func (s *Service) answerSpotCheck(ctx context.Context, m roster.Member, sc duty.SpotCheck, via string, now time.Time) (string, error) {
	got, changed, err := s.duty.AnswerSpotCheck(ctx, sc.ID, via, now)
	if err != nil {
		return "", err
	}
	asked := s.spotClock(spotSentAt(got))
	if !changed {
		if got.Status == duty.SpotAnswered {
			return fmt.Sprintf("%s 的查岗已于 %s 确认在岗，无需再次确认。", asked, s.spotClock(got.AnsweredAt)), nil
		}
		return fmt.Sprintf("%s 的查岗已于 %s 回复（超时，记为脱岗）。", asked, s.spotClock(got.AnsweredAt)), nil
	}
	key := duty.RefKey(duty.KindSpotCheckDue, got.ID)
	name := displayName(m)
	at := s.spotClock(got.AnsweredAt)
	took := spotDuration(got.AnsweredAt.Sub(spotSentAt(got)))
	if got.Status == duty.SpotAnswered {
		if err := s.dutySched.Cancel(ctx, key, "answered in time"); err != nil {
			// The answer is stored: the deadline, when it comes, finds it.
			s.log.Error("cancel spot check deadline", "key", key, "err", err)
		}
		if got.RequestedBy != duty.RequestedBySystem && got.RequestedBy != m.UserID {
			if err := s.NotifyWeCom(ctx, got.RequestedBy, fmt.Sprintf("%s 已于 %s 确认在岗（用时 %s）。", name, at, took)); err != nil {
				s.log.Error("tell the requester of a spot check answer", "id", got.ID, "err", err)
			}
		}
		return fmt.Sprintf("已确认在岗（%s，用时 %s），谢谢。", at, took), nil
	}
	// Late: the 脱岗 stays on the record.
	if err := s.spotCheckMissed(ctx, got); err != nil {
		return "", err
	}
	if err := s.resolveSpotCheck(ctx, got.ID); err != nil {
		return "", err
	}
	if err := s.dutySched.Cancel(ctx, key, "answered late; 脱岗 recorded"); err != nil {
		s.log.Error("cancel spot check deadline", "key", key, "err", err)
	}
	due := s.spotClock(got.DueAt)
	note := fmt.Sprintf("%s 于 %s 补答在岗，已超过 %s 查岗的时限（%s 截止，用时 %s），本次仍记为脱岗；相关告警已解除。",
		name, at, asked, due, took)
	if err := s.notifyAll(ctx, s.spotCheckWatchers(ctx, got), note); err != nil {
		s.log.Error("tell of a late spot check answer", "id", got.ID, "err", err)
	}
	return fmt.Sprintf("已记录您 %s 的在岗回复，但已超过查岗时限（%s 截止），本次仍记为脱岗，并已告知带班领导。", at, due), nil
}

// spotCheckWatchers are the people told about a check's outcome beyond
// the escalation: the requester (if a person) and the shift's leaders.
func (s *Service) spotCheckWatchers(ctx context.Context, sc duty.SpotCheck) []string {
	var out []string
	add := func(u string) {
		if u == "" || u == duty.RequestedBySystem || u == sc.UserID {
			return
		}
		for _, o := range out {
			if o == u {
				return
			}
		}
		out = append(out, u)
	}
	add(sc.RequestedBy)
	sr, ok, err := s.shiftRoster(ctx, sc.Date, sc.Shift)
	if err != nil {
		s.log.Error("leaders of a spot-checked shift", "id", sc.ID, "err", err)
	}
	if ok {
		for _, l := range sr.Leaders {
			add(l)
		}
	}
	return out
}

// onSpotCheckDue: a spot check's answer time has passed; unanswered means
// 脱岗.
func (s *Service) onSpotCheckDue(ctx context.Context, d duty.Deadline) error {
	sc, err := s.duty.SpotCheck(ctx, d.Ref)
	if errors.Is(err, duty.ErrNotFound) {
		s.log.Warn("spot check deadline for a check that does not exist", "key", d.Key, "ref", d.Ref)
		return nil
	}
	if err != nil {
		return err
	}
	if sc.Status == duty.SpotPending {
		if sc, _, err = s.duty.MissSpotCheck(ctx, sc.ID); err != nil {
			return err
		}
	}
	if sc.Status == duty.SpotAnswered {
		return nil
	}
	if err := s.spotCheckMissed(ctx, sc); err != nil {
		return err
	}
	if !sc.AnsweredAt.IsZero() {
		// Answered late before the deadline was acted on.
		return s.resolveSpotCheck(ctx, sc.ID)
	}
	return nil
}

// spotCheckMissed raises the 脱岗 escalation of a missed check (once: a
// check that has one is left alone), records it and tells the officer (if
// they have not answered) and the requester.
func (s *Service) spotCheckMissed(ctx context.Context, sc duty.SpotCheck) error {
	if sc.EscalationID != "" {
		return nil
	}
	name := s.spotName(ctx, sc.UserID)
	hours := sc.Shift
	if sr, ok, err := s.shiftRoster(ctx, sc.Date, sc.Shift); err == nil && ok {
		hours = sc.Shift + " " + sr.Shift.Hours()
	}
	who := "系统随机查岗"
	if sc.RequestedBy != duty.RequestedBySystem {
		who = s.spotName(ctx, sc.RequestedBy) + " 发起的查岗"
	}
	asked, due := s.spotClock(spotSentAt(sc)), s.spotClock(sc.DueAt)
	esc, err := s.raiseOnce(ctx, push.Event{
		Kind:    push.KindSpotCheck,
		Subject: spotSubject(sc.ID),
		Title:   fmt.Sprintf("查岗未应答：%s（%s）疑似脱岗", name, sc.Shift),
		Body:    fmt.Sprintf("%s（%s）未在 %s 前回应 %s %s，已记为脱岗。请立即电话联系核实。", name, hours, due, asked, who),
	})
	if err != nil {
		return fmt.Errorf("raise the 脱岗 escalation of spot check #%d: %w", sc.ID, err)
	}
	if err := s.duty.SetSpotCheckEscalation(ctx, sc.ID, esc.ID); err != nil {
		return err
	}
	if sc.AnsweredAt.IsZero() {
		msg := fmt.Sprintf("您未在 %s 前回应 %s 的查岗，已记为脱岗，并已通知带班领导（告警 %s）。如在岗，请立即回复「在岗」并向带班领导说明情况。", due, asked, esc.ID)
		if err := s.NotifyWeCom(ctx, sc.UserID, msg); err != nil {
			s.log.Error("tell the officer of a missed spot check", "id", sc.ID, "err", err)
		}
	}
	if sc.RequestedBy != duty.RequestedBySystem && sc.RequestedBy != sc.UserID {
		msg := fmt.Sprintf("%s 未在 %s 前确认在岗，已记为脱岗并升级告警 %s。", name, due, esc.ID)
		if err := s.NotifyWeCom(ctx, sc.RequestedBy, msg); err != nil {
			s.log.Error("tell the requester of a missed spot check", "id", sc.ID, "err", err)
		}
	}
	return nil
}

// resolveSpotCheck closes the 脱岗 escalation of a check answered late:
// the officer is back, so nobody else needs paging; the record stays.
func (s *Service) resolveSpotCheck(ctx context.Context, id int64) error {
	if s.escalations == nil {
		return nil
	}
	if _, err := s.escalations.Resolve(ctx, push.KindSpotCheck, spotSubject(id)); err != nil {
		return fmt.Errorf("resolve the 脱岗 escalation of spot check #%d: %w", id, err)
	}
	return nil
}

// onRandomSpotCheck sends a random night check to every officer on duty.
func (s *Service) onRandomSpotCheck(ctx context.Context, d duty.Deadline) error {
	now := s.clock.Now()
	if now.Sub(d.DueAt) > spotRandomStale {
		s.log.Warn("random spot check skipped: its moment passed long ago", "key", d.Key, "due", d.DueAt)
		return nil
	}
	officers, _, err := s.spotOfficersOnDuty(ctx, now)
	if err != nil {
		return err
	}
	if len(officers) == 0 {
		s.log.Info("random spot check: nobody on duty", "key", d.Key)
		return nil
	}
	sent, busy, err := s.sendSpotChecks(ctx, officers, duty.RequestedBySystem, d.Key, now)
	if err != nil {
		return err
	}
	s.log.Info("random spot check sent", "key", d.Key, "checked", len(sent), "busy", len(busy))
	return nil
}

// planRandomSpotChecks lists the random night checks of the shifts in
// rosters that are still ahead of now: SpotChecksPerNight a night, for
// each duty day in rosters, between SpotCheckFrom and SpotCheckTo (office
// time; a window whose end is not after its start ends the next morning,
// and equal ends mean the whole day). The window is cut into equal parts
// and check i falls in part i, at an offset derived from a hash of its key
// ("spot_check_random/2026-12-02/1"): planning again gives the same keys
// and times, so a replan adds nothing.
func (s *Service) planRandomSpotChecks(now time.Time, rosters []roster.ShiftRoster) []duty.Deadline {
	n := s.dutySet.SpotChecksPerNight
	if n <= 0 {
		return nil
	}
	var out []duty.Deadline
	seen := make(map[roster.Date]bool)
	for _, sr := range rosters {
		d := sr.Date
		if seen[d] {
			continue
		}
		seen[d] = true
		start := d.At(s.dutySet.SpotCheckFrom, s.loc)
		endDay := d
		if s.dutySet.SpotCheckTo <= s.dutySet.SpotCheckFrom {
			endDay = d.AddDays(1)
		}
		part := endDay.At(s.dutySet.SpotCheckTo, s.loc).Sub(start) / time.Duration(n)
		secs := uint64(part / time.Second)
		if secs == 0 {
			continue
		}
		for i := 1; i <= n; i++ {
			key := fmt.Sprintf("%s/%s/%d", duty.KindSpotCheckRandom, d, i)
			h := fnv.New64a()
			h.Write([]byte(key))
			due := start.Add(time.Duration(i-1)*part + time.Duration(h.Sum64()%secs)*time.Second)
			if !due.After(now) {
				continue
			}
			out = append(out, duty.Deadline{Key: key, Kind: duty.KindSpotCheckRandom, Date: d, DueAt: due.UTC()})
		}
	}
	return out
}

// spotCheckLog lists the checks of a period (default the last 7 days).
func (s *Service) spotCheckLog(ctx context.Context, args []string) (string, error) {
	today := s.today()
	from, to := today.AddDays(-(spotLogDays - 1)), today
	if len(args) > 0 {
		var err error
		if from, to, err = s.period(args, ""); err != nil {
			return "", err
		}
	}
	if n := from.DaysUntil(to) + 1; n > maxListDays {
		return "", Userf("一次最多查看 %d 天的查岗记录（您要查看 %d 天）。请缩小范围，例如「查岗 记录 本周」。", maxListDays, n)
	}
	checks, err := s.duty.SpotChecks(ctx, from.At(0, s.loc), to.AddDays(1).At(0, s.loc))
	if err != nil {
		return "", err
	}
	span := from.String()
	if to != from {
		span += " 至 " + to.String()
	}
	if len(checks) == 0 {
		return fmt.Sprintf("%s 没有查岗记录。", span), nil
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	var answered, missed, pending int
	lines := make([]string, 0, len(checks))
	for _, sc := range checks {
		requester := "系统随机"
		if sc.RequestedBy != duty.RequestedBySystem {
			requester = spotNameOf(byID, sc.RequestedBy)
		}
		var result string
		switch sc.Status {
		case duty.SpotAnswered:
			answered++
			result = fmt.Sprintf("在岗 %s（用时 %s）", s.spotClock(sc.AnsweredAt), spotDuration(sc.AnsweredAt.Sub(spotSentAt(sc))))
		case duty.SpotMissed:
			missed++
			result = "脱岗"
			if !sc.AnsweredAt.IsZero() {
				result += fmt.Sprintf("（%s 补答）", s.spotClock(sc.AnsweredAt))
			}
			if sc.EscalationID != "" {
				result += " 告警 " + sc.EscalationID
			}
		default:
			pending++
			result = fmt.Sprintf("待应答（%s 截止）", s.spotClock(sc.DueAt))
		}
		lines = append(lines, fmt.Sprintf("· %s %s（%s）· %s · %s",
			spotSentAt(sc).In(s.loc).Format("01-02 15:04"), spotNameOf(byID, sc.UserID), sc.Shift, requester, result))
	}
	head := fmt.Sprintf("查岗记录（%s）：共 %d 次，在岗 %d，脱岗 %d，待应答 %d。", span, len(checks), answered, missed, pending)
	// Keep the newest lines that fit in one WeCom text.
	return fitNewest(head, lines, spotMaxText, "（较早的 %d 条未显示，请缩小日期范围。）"), nil
}

// spotSentAt is when a check went out (its creation when the card is not
// recorded as sent).
func spotSentAt(sc duty.SpotCheck) time.Time {
	if !sc.SentAt.IsZero() {
		return sc.SentAt
	}
	return sc.CreatedAt
}

// spotClock shows t as HH:MM in office time.
func (s *Service) spotClock(t time.Time) string { return t.In(s.loc).Format("15:04") }

// spotName is a member's name, or the userid when they are not found.
func (s *Service) spotName(ctx context.Context, userID string) string {
	m, err := s.store.Member(ctx, userID)
	if err != nil {
		return userID
	}
	return displayName(m)
}

// spotNameOf is a member's name from an index, or the userid.
func spotNameOf(byID map[string]roster.Member, userID string) string {
	if m, ok := byID[userID]; ok {
		return displayName(m)
	}
	return userID
}

// spotDuration shows a short duration the way people say it: "45 秒",
// "5 分钟", "1 分 20 秒" (whole seconds; hours as minutes).
func spotDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64((d + time.Second/2) / time.Second)
	m, sc := sec/60, sec%60
	switch {
	case m == 0:
		return fmt.Sprintf("%d 秒", sc)
	case sc == 0:
		return fmt.Sprintf("%d 分钟", m)
	}
	return fmt.Sprintf("%d 分 %d 秒", m, sc)
}
