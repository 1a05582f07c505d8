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
	"dutybot/roster/incident"
)

// cardHandoverPrefix starts the key of a handover card's 接班 button.
const cardHandoverPrefix = "handover"

// handoverSheetParts is how many text messages the full sheet may take;
// beyond them it is cut short with a pointer to 日志.
const handoverSheetParts = 4

// handoverCommands are 交班 and 接班.
func (s *Service) handoverCommands() []*Command {
	officers := []roster.Role{roster.RoleOfficer}
	return []*Command{
		{Name: "交班", Aliases: []string{"handover"}, Roles: officers,
			Usage: "交班 [设备情况/备注] / handover", Summary: "生成交接单发给接班人 hand over to the next shift", Run: s.cmdHandover},
		{Name: "接班", Aliases: []string{"takeover"}, Roles: officers,
			Usage: "接班 / takeover", Summary: "确认接班，签收交接单 confirm the handover", Run: s.cmdTakeover},
	}
}

// handoverSubject names a slot's handover escalation.
func handoverSubject(out roster.Slot) string {
	return "handover/" + out.Date.String() + "/" + out.Shift
}

func (s *Service) cmdHandover(ctx context.Context, req Request) (string, error) {
	m := req.Member
	out, late, ok, err := s.outgoingSlot(ctx, m)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("您当前不在班，无需交班。%s", s.nextShiftText(ctx, m))
	}
	outSlot := roster.Slot{Date: out.Date, Shift: out.Shift.Name}
	names := s.names(ctx)
	if h, err := s.duty.HandoverOf(ctx, outSlot); err == nil {
		return "", Userf("%s", s.alreadyHandedOver(h, names))
	} else if !errors.Is(err, duty.ErrNotFound) {
		return "", err
	}
	in, inOK, err := s.nextSlot(ctx, out)
	if err != nil {
		return "", err
	}
	var incoming []string
	var inSlot roster.Slot
	if inOK {
		inSlot = roster.Slot{Date: in.Date, Shift: in.Shift.Name}
		for _, u := range in.Officers {
			if u != m.UserID {
				incoming = append(incoming, u)
			}
		}
	}
	notes := strings.Join(req.Args, " ")
	sheet, items, summary, err := s.composeSheet(ctx, out, in, inOK, incoming, m, notes, names)
	if err != nil {
		return "", err
	}
	toNames := namesOf(names, incoming)
	noteText := fmt.Sprintf("%s 交班，接班：%s %s", displayName(m), slotLabel(inSlot), orNobody(toNames))
	if notes != "" {
		noteText += "；设备/备注：" + notes
	}
	h, err := s.duty.CreateHandover(ctx, duty.Handover{Out: outSlot, In: inSlot, From: m.UserID, To: incoming, Notes: notes, Sheet: sheet},
		items, duty.LogEntry{Date: out.Date, Shift: out.Shift.Name, Content: noteText, Author: m.UserID})
	if errors.Is(err, duty.ErrHandoverExists) {
		return "", Userf("%s", s.alreadyHandedOver(h, names))
	}
	if err != nil {
		return "", err
	}
	lateNote := ""
	if late {
		lateNote = fmt.Sprintf("（已超过交接时限 %s，记为逾期交班）", out.End.Add(handoverWindow(out.Shift)).In(s.loc).Format("15:04"))
	}
	if len(incoming) == 0 {
		what := "没有下一班次"
		if inOK {
			what = fmt.Sprintf("下一班（%s）尚未安排值班员", slotLabel(inSlot))
		}
		admins := s.activeAdmins(ctx)
		msg := fmt.Sprintf("【交接班】%s %s 已交班（交接单 #%d），但%s，无人接班。请尽快安排人员接班；接班人发送「接班」确认。", slotLabel(outSlot),
			displayName(m), h.ID, what)
		if err := s.notifyAll(ctx, admins, msg); err != nil {
			s.log.Error("tell the admins nobody takes over", "handover", h.ID, "err", err)
		}
		return fmt.Sprintf("交接单 #%d 已保存%s，但%s，已通知管理员 %s。请继续留守岗位，直到有人接班，不得离岗。", h.ID, lateNote, what,
			orNobody(namesOf(names, admins))), nil
	}
	for _, u := range incoming {
		if err := s.sendHandover(ctx, h, u, out, inSlot, summary, m); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("交接单 #%d 已发送给 %s（%s）%s。请在接班人确认前留守岗位，不得离岗；接班人确认后会通知您。", h.ID, toNames,
		slotLabel(inSlot), lateNote), nil
}

// alreadyHandedOver is the reply to a second 交班 for a slot.
func (s *Service) alreadyHandedOver(h duty.Handover, names map[string]string) string {
	when := h.HandedAt.In(s.loc).Format("15:04")
	if h.Status == duty.HandoverConfirmed {
		var who []string
		for _, sig := range h.Signatures {
			if sig.Role == duty.SignIn {
				who = append(who, nameOf(names, sig.UserID))
			}
		}
		return fmt.Sprintf("本班已于 %s 由 %s 交班，%s 已于 %s 接班（交接单 #%d），交接已完成，无需再次交班。", when, nameOf(names, h.From),
			strings.Join(who, "、"), h.ConfirmedAt.In(s.loc).Format("15:04"), h.ID)
	}
	return fmt.Sprintf("本班已于 %s 由 %s 交班，交接单 #%d 已发送给 %s，正在等待接班确认。请留守岗位，不得离岗；如有补充，请用「记录」追加并告知接班人。",
		when, nameOf(names, h.From), h.ID, orNobody(namesOf(names, h.To)))
}

// sendHandover sends the incoming officer u the card with the 接班 button
// and the full sheet as text.
func (s *Service) sendHandover(ctx context.Context, h duty.Handover, u string, out roster.ShiftRoster, in roster.Slot, summary string, from roster.Member) error {
	card := wecom.Card{
		TaskID:  fmt.Sprintf("handover_%d_%s_%d", h.ID, u, s.clock.Now().UnixNano()),
		Source:  "值班机器人 · 交接班",
		Title:   clip(fmt.Sprintf("交接班：%s → %s", out.Shift.Name, in.Shift), 36),
		Desc:    clip(fmt.Sprintf("交接单 #%d · %s %s 交班", h.ID, displayName(from), h.HandedAt.In(s.loc).Format("01-02 15:04")), 44),
		Text:    clip(summary, 112),
		Buttons: []wecom.CardButton{{Text: "接班 / Take over", Key: fmt.Sprintf("%s:%d", cardHandoverPrefix, h.ID), Style: 1}},
	}
	if err := s.queueCard(ctx, u, card, fmt.Sprintf("handover/#%d", h.ID)); err != nil {
		return err
	}
	for _, part := range splitText(h.Sheet, replyLimit, handoverSheetParts, "……（交接单较长，其余内容请发送「日志 "+out.Date.String()+"」「日志 待办」查看）") {
		if err := s.NotifyWeCom(ctx, u, part); err != nil {
			return err
		}
	}
	return nil
}

// composeSheet writes the handover sheet (值班交接单): the items handled in
// the outgoing shift, the pending items it hands on, the open alerts, the
// documents received and the equipment state. It returns the sheet, the
// pending items' ids and a one-line summary for the card.
func (s *Service) composeSheet(ctx context.Context, out, in roster.ShiftRoster, inOK bool, incoming []string, from roster.Member, notes string,
	names map[string]string) (sheet string, items []int64, summary string, err error) {
	entries, err := s.duty.LogOfSlot(ctx, roster.Slot{Date: out.Date, Shift: out.Shift.Name})
	if err != nil {
		return "", nil, "", err
	}
	open, err := s.duty.OpenItems(ctx)
	if err != nil {
		return "", nil, "", err
	}
	reports, instructions, err := s.openIncidents(ctx)
	if err != nil {
		return "", nil, "", err
	}
	var alerts []push.Escalation
	if s.escalationLog != nil {
		if alerts, err = s.escalationLog.OpenEscalations(ctx); err != nil {
			return "", nil, "", err
		}
	}
	var handled, docs, pending []duty.LogEntry
	for _, e := range entries {
		switch e.Kind {
		case duty.LogTodo:
			// listed under the pending items (open) or as 办结 (closed)
		case duty.LogDocument:
			docs = append(docs, e)
		default:
			handled = append(handled, e)
		}
	}
	for _, e := range open {
		if s.handsOn(e, out) {
			pending = append(pending, e)
			items = append(items, e.ID)
		}
	}
	var b strings.Builder
	b.WriteString("值班交接单")
	fmt.Fprintf(&b, "\n交班：%s（%s）%s，%s", slotLabel(roster.Slot{Date: out.Date, Shift: out.Shift.Name}), out.Shift.Hours(),
		displayName(from), s.clock.Now().In(s.loc).Format("01-02 15:04"))
	if inOK {
		fmt.Fprintf(&b, "\n接班：%s（%s）%s", slotLabel(roster.Slot{Date: in.Date, Shift: in.Shift.Name}), in.Shift.Hours(), orNobody(namesOf(names, incoming)))
	} else {
		b.WriteString("\n接班：没有下一班次")
	}
	section := func(title string, es []duty.LogEntry, line func(duty.LogEntry) string) {
		fmt.Fprintf(&b, "\n%s（%d）", title, len(es))
		if len(es) == 0 {
			b.WriteString("\n无")
		}
		for i, e := range es {
			fmt.Fprintf(&b, "\n%d. %s", i+1, line(e))
		}
	}
	plain := func(e duty.LogEntry) string {
		kind := e.Kind
		if e.Corrects != 0 {
			kind = fmt.Sprintf("%s·更正#%d", e.Kind, e.Corrects)
		}
		l := fmt.Sprintf("#%d %s %s %s：%s", e.ID, e.At.In(s.loc).Format("15:04"), kind, nameOf(names, e.Author), e.Content)
		if e.CorrectedBy != 0 {
			l += fmt.Sprintf("（已更正→#%d）", e.CorrectedBy)
		}
		return l
	}
	section("一、本班处理事项", handled, plain)
	section("二、待办事项（随本单转交）", pending, func(e duty.LogEntry) string {
		return fmt.Sprintf("#%d %s（%s %s 登记）", e.ID, e.Content, e.At.In(s.loc).Format("01-02 15:04"), nameOf(names, e.Author))
	})
	fmt.Fprintf(&b, "\n三、未结报告及批示（%d）", len(reports)+len(instructions))
	if len(reports)+len(instructions) == 0 {
		b.WriteString("\n无")
	}
	for i, r := range reports {
		fmt.Fprintf(&b, "\n%d. 快报 %s %s（下次续报 %s 前）", i+1, r.Number, r.Line(), r.NextFollowUpAt.In(s.loc).Format("01-02 15:04"))
	}
	for i, in := range instructions {
		state := "待传达"
		if !in.RelayedAt.IsZero() {
			state = "已传达，待反馈"
		}
		fmt.Fprintf(&b, "\n%d. 批示 #%d %s：%s（%s，反馈时限 %s）", len(reports)+i+1, in.ID, nameOf(names, in.Leader), in.Content, state,
			in.FeedbackDue.In(s.loc).Format("01-02 15:04"))
	}
	fmt.Fprintf(&b, "\n四、未结告警（%d）", len(alerts))
	if len(alerts) == 0 {
		b.WriteString("\n无")
	}
	for i, a := range alerts {
		fmt.Fprintf(&b, "\n%d. %s %s（%s 发起）", i+1, a.ID, a.Title, a.CreatedAt.In(s.loc).Format("01-02 15:04"))
	}
	section("五、来文", docs, plain)
	equipment := notes
	if equipment == "" {
		equipment = "未填写"
	}
	fmt.Fprintf(&b, "\n六、设备情况及备注：%s", equipment)
	summary = fmt.Sprintf("%s 交班：本班处理 %d 项，待办 %d 项，未结报告及批示 %d 件，未结告警 %d 条，来文 %d 件；设备：%s。请核对交接单后点「接班」确认。",
		displayName(from), len(handled), len(pending), len(reports)+len(instructions), len(alerts), len(docs), equipment)
	return b.String(), items, summary, nil
}

// openIncidentsLookback is how far back the handover sheet looks for
// reports still open and 批示 still waiting for feedback.
const openIncidentsLookback = 30 * 24 * time.Hour

// openIncidents lists the reports not yet closed by a 终报 and the 批示 not
// yet fed back, for the handover sheet: the next shift carries them on.
func (s *Service) openIncidents(ctx context.Context) ([]incident.Report, []incident.Instruction, error) {
	if s.incidents == nil {
		return nil, nil, nil
	}
	now := s.clock.Now()
	reports, err := s.incidents.SearchReports(ctx, incident.ReportFilter{From: now.Add(-openIncidentsLookback), To: now.Add(time.Second), Status: incident.ReportOpen})
	if err != nil {
		return nil, nil, fmt.Errorf("open reports for the handover: %w", err)
	}
	slices.Reverse(reports) // oldest first, like the rest of the sheet
	all, err := s.incidents.Instructions(ctx, now.Add(-openIncidentsLookback), now.Add(time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("open 批示 for the handover: %w", err)
	}
	var open []incident.Instruction
	for _, in := range all {
		if in.FeedbackAt.IsZero() {
			open = append(open, in)
		}
	}
	return reports, open, nil
}

// handsOn reports whether an open pending item goes with the handover of
// out: it is held by out, by no shift, or by a shift that started before
// out (left over from a handover that never happened).
func (s *Service) handsOn(e duty.LogEntry, out roster.ShiftRoster) bool {
	if e.HeldDate.IsZero() || (e.HeldDate == out.Date && e.HeldShift == out.Shift.Name) {
		return true
	}
	t, ok := s.settings.Shifts.Find(e.HeldShift)
	if !ok {
		return e.HeldDate.Before(out.Date)
	}
	start, _ := t.Span(e.HeldDate, s.loc)
	return start.Before(out.Start)
}

// outgoingSlot finds the shift m hands over: one m is an officer of that is
// in progress or ended within its handover window (the earliest ending);
// else, late, one that ended before, was never handed over, and whose next
// shift is still running (the officer was told to stay).
func (s *Service) outgoingSlot(ctx context.Context, m roster.Member) (sr roster.ShiftRoster, late, ok bool, err error) {
	now := s.clock.Now()
	today := s.today()
	rosters, err := s.shiftRosters(ctx, today.AddDays(-2), today)
	if err != nil {
		return roster.ShiftRoster{}, false, false, err
	}
	var onTime, overdue []roster.ShiftRoster
	for _, r := range rosters {
		if r.Shift.Duration() <= 0 || !slices.Contains(r.Officers, m.UserID) || now.Before(r.Start) {
			continue
		}
		if now.Before(r.End.Add(handoverWindow(r.Shift))) {
			onTime = append(onTime, r)
		} else {
			overdue = append(overdue, r)
		}
	}
	if len(onTime) > 0 {
		slices.SortStableFunc(onTime, func(a, b roster.ShiftRoster) int { return a.End.Compare(b.End) })
		return onTime[0], false, true, nil
	}
	for i := len(overdue) - 1; i >= 0; i-- {
		r := overdue[i]
		if _, err := s.duty.HandoverOf(ctx, roster.Slot{Date: r.Date, Shift: r.Shift.Name}); !errors.Is(err, duty.ErrNotFound) {
			if err != nil {
				return roster.ShiftRoster{}, false, false, err
			}
			continue
		}
		next, nextOK, err := s.nextSlot(ctx, r)
		if err != nil {
			return roster.ShiftRoster{}, false, false, err
		}
		if nextOK && now.Before(next.End) {
			return r, true, true, nil
		}
	}
	return roster.ShiftRoster{}, false, false, nil
}

// nextSlot is the shift that takes over from out: the one starting when out
// ends (the next day's for an overnight shift), preferring one with
// officers; else the next to start after that.
func (s *Service) nextSlot(ctx context.Context, out roster.ShiftRoster) (roster.ShiftRoster, bool, error) {
	rosters, err := s.shiftRosters(ctx, out.Date, out.Date.AddDays(2))
	if err != nil {
		return roster.ShiftRoster{}, false, err
	}
	var best *roster.ShiftRoster
	for i := range rosters {
		r := &rosters[i]
		if r.Shift.Duration() <= 0 || r.Start.Before(out.End) || (r.Date == out.Date && r.Shift.Name == out.Shift.Name) {
			continue
		}
		switch {
		case best == nil, r.Start.Before(best.Start):
			best = r
		case r.Start.Equal(best.Start) && len(best.Officers) == 0 && len(r.Officers) > 0:
			best = r
		}
	}
	if best == nil {
		return roster.ShiftRoster{}, false, nil
	}
	return *best, true, nil
}

// nextShiftText says when m's next shift is, for a refused 交班.
func (s *Service) nextShiftText(ctx context.Context, m roster.Member) string {
	now := s.clock.Now()
	rosters, err := s.shiftRosters(ctx, s.today(), s.today().AddDays(7))
	if err != nil {
		s.log.Warn("next shift for a refused handover", "user", m.UserID, "err", err)
		return ""
	}
	for _, r := range rosters {
		if slices.Contains(r.Officers, m.UserID) && r.Start.After(now) {
			return fmt.Sprintf("您的下一班：%s（%s）。", slotLabel(roster.Slot{Date: r.Date, Shift: r.Shift.Name}), r.Shift.Hours())
		}
	}
	return "近 7 天没有您的值班安排。"
}

func (s *Service) cmdTakeover(ctx context.Context, req Request) (string, error) {
	m := req.Member
	names := s.names(ctx)
	mine, signed, err := s.handoversFor(ctx, m)
	if err != nil {
		return "", err
	}
	if len(mine) > 0 {
		return s.confirmHandover(ctx, m, mine[0], "", names)
	}
	if len(signed) > 0 {
		h := signed[len(signed)-1]
		sig, _ := h.SignedIn(m.UserID)
		return "", Userf("您已于 %s 确认接班（交接单 #%d，%s → %s），无需重复操作。", sig.At.In(s.loc).Format("15:04"), h.ID, h.Out.Shift, h.In.Shift)
	}
	others, err := s.duty.UnconfirmedHandovers(ctx)
	if err != nil {
		return "", err
	}
	if len(others) > 0 {
		h := others[len(others)-1]
		return "", Userf("您不是本次接班人。待确认的交接单 #%d：%s %s 交班，接班人 %s。", h.ID, slotLabel(h.Out), nameOf(names, h.From),
			orNobody(namesOf(names, s.incomingOf(ctx, h))))
	}
	return "", Userf("目前没有需要您确认的交接单。上岗签到请发送「签到」。")
}

// handoversFor lists the handovers into m's shifts around now (from
// yesterday to tomorrow) that m has not signed, and those m has.
func (s *Service) handoversFor(ctx context.Context, m roster.Member) (unsigned, signed []duty.Handover, err error) {
	today := s.today()
	rosters, err := s.shiftRosters(ctx, today.AddDays(-1), today.AddDays(1))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rosters {
		if !slices.Contains(r.Officers, m.UserID) {
			continue
		}
		hs, err := s.duty.HandoversTo(ctx, roster.Slot{Date: r.Date, Shift: r.Shift.Name})
		if err != nil {
			return nil, nil, err
		}
		for _, h := range hs {
			if _, ok := h.SignedIn(m.UserID); ok {
				signed = append(signed, h)
			} else {
				unsigned = append(unsigned, h)
			}
		}
	}
	return unsigned, signed, nil
}

// incomingOf is who may confirm h: the officers of its incoming slot as
// the roster has them now (a swap since the sheet was sent counts), or
// those it was sent to when the slot is gone.
func (s *Service) incomingOf(ctx context.Context, h duty.Handover) []string {
	if !h.In.Date.IsZero() {
		sr, ok, err := s.shiftRoster(ctx, h.In.Date, h.In.Shift)
		if err != nil {
			s.log.Warn("incoming officers of a handover", "handover", h.ID, "err", err)
		}
		if ok && len(sr.Officers) > 0 {
			return slices.DeleteFunc(slices.Clone(sr.Officers), func(u string) bool { return u == h.From })
		}
	}
	return h.To
}

// onHandoverCard confirms a handover from its card's 接班 button.
func (s *Service) onHandoverCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	id, ok := parseCardIDKey(msg.EventKey)
	if !ok {
		s.log.Warn("handover card with a bad key", "key", msg.EventKey)
		return []string{"这张交接卡片无效，请发送「接班」确认。"}
	}
	h, err := s.duty.Handover(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		return []string{fmt.Sprintf("交接单 #%d 不存在，请发送「接班」确认。", id)}
	}
	if err != nil {
		s.log.Error("handover card", "handover", id, "err", err)
		return []string{apology}
	}
	names := s.names(ctx)
	if !slices.Contains(s.incomingOf(ctx, h), m.UserID) {
		return []string{fmt.Sprintf("您不是本次接班人（交接单 #%d 的接班人：%s）。", h.ID, orNobody(namesOf(names, s.incomingOf(ctx, h))))}
	}
	reply, err := s.confirmHandover(ctx, m, h, msg.ResponseCode, names)
	return s.cardReply(reply, err, "confirm handover from card", "handover", id)
}

// confirmHandover records m's 接班 on h: the signature, the pending items
// moved to m's shift, m checked in; the outgoing officer is told they may
// leave and an escalation about the handover is resolved.
func (s *Service) confirmHandover(ctx context.Context, m roster.Member, h duty.Handover, responseCode string, names map[string]string) (string, error) {
	if sig, ok := h.SignedIn(m.UserID); ok {
		return "", Userf("您已于 %s 确认接班（交接单 #%d），无需重复操作。", sig.At.In(s.loc).Format("15:04"), h.ID)
	}
	note := duty.LogEntry{Date: h.In.Date, Shift: h.In.Shift, Author: m.UserID,
		Content: fmt.Sprintf("%s 确认接班（交接单 #%d，%s %s 交班）", displayName(m), h.ID, slotLabel(h.Out), nameOf(names, h.From))}
	c, err := s.duty.ConfirmHandover(ctx, h.ID, m.UserID, note)
	if err != nil {
		return "", err
	}
	sig, _ := c.Handover.SignedIn(m.UserID)
	at := sig.At.In(s.loc).Format("15:04")
	if !c.Signed {
		return "", Userf("您已于 %s 确认接班（交接单 #%d），无需重复操作。", at, h.ID)
	}
	if s.cards != nil && responseCode != "" {
		if err := s.cards.UpdateCardButton(ctx, []string{m.UserID}, responseCode, "已接班 "+at); err != nil {
			s.log.Warn("update handover card", "handover", h.ID, "err", err)
		}
	}
	checkedIn := "已记为您的接班签到。"
	if sr, ok, err := s.shiftRoster(ctx, h.In.Date, h.In.Shift); err != nil || !ok {
		checkedIn = "未能自动签到，请另行发送「签到」。"
	} else if err := s.checkInFor(ctx, m, sr, "handover"); err != nil {
		s.log.Error("check in on handover", "handover", h.ID, "user", m.UserID, "err", err)
		checkedIn = "未能自动签到，请另行发送「签到」。"
	}
	var tell string
	if c.Confirmed {
		if s.escalations != nil {
			if _, err := s.escalations.Resolve(ctx, push.KindHandover, handoverSubject(h.Out)); err != nil {
				s.log.Error("resolve the handover escalation", "handover", h.ID, "err", err)
			}
		}
		tell = fmt.Sprintf("【交接班】%s 已于 %s 确认接班（交接单 #%d），交班完成，可以离岗。", displayName(m), at, h.ID)
	} else {
		tell = fmt.Sprintf("【交接班】%s 也已于 %s 确认接班（交接单 #%d）。", displayName(m), at, h.ID)
	}
	if err := s.NotifyWeCom(ctx, h.From, tell); err != nil {
		s.log.Error("tell the outgoing officer", "handover", h.ID, "err", err)
	}
	carried := "没有转入的待办。"
	if len(c.Carried) > 0 {
		ids := make([]string, len(c.Carried))
		for i, id := range c.Carried {
			ids[i] = fmt.Sprintf("#%d", id)
		}
		carried = fmt.Sprintf("待办 %d 项（%s）已转入本班，发送「日志 待办」查看。", len(c.Carried), strings.Join(ids, "、"))
	}
	return fmt.Sprintf("已确认接班（交接单 #%d，%s），签收时间 %s。%s%s", h.ID, slotLabel(h.In), at, carried, checkedIn), nil
}

// onHandoverDue: a shift's handover window has ended; not handed over or
// not confirmed → escalate, and the outgoing officer is told to stay.
func (s *Service) onHandoverDue(ctx context.Context, d duty.Deadline) error {
	out := roster.Slot{Date: d.Date, Shift: d.Shift}
	h, err := s.duty.HandoverOf(ctx, out)
	if err != nil && !errors.Is(err, duty.ErrNotFound) {
		return err
	}
	names := s.names(ctx)
	if errors.Is(err, duty.ErrNotFound) {
		sr, ok, err := s.shiftRoster(ctx, d.Date, d.Shift)
		if err != nil {
			return err
		}
		if !ok || len(sr.Officers) == 0 {
			return nil // nobody on the shift any more: nothing to hand over
		}
		who := namesOf(names, sr.Officers)
		due := sr.End.Add(handoverWindow(sr.Shift)).In(s.loc).Format("15:04")
		raised, err := s.raiseHandover(ctx, push.Event{Kind: push.KindHandover, Subject: handoverSubject(out),
			Title: clip(fmt.Sprintf("%s未交班：%s", d.Shift, who), 36),
			Body:  fmt.Sprintf("%s（%s）值班员 %s 在交接时限 %s 前未交班。", slotLabel(out), sr.Shift.Hours(), who, due)})
		if err != nil || !raised {
			return err
		}
		return s.notifyAll(ctx, sr.Officers, fmt.Sprintf("【交接班】%s 交接时限 %s 已过，您尚未交班，已上报带班领导。请立即发送「交班 [设备情况]」完成交接；接班人确认前不得离岗。",
			slotLabel(out), due))
	}
	if h.Status == duty.HandoverConfirmed {
		return nil
	}
	marked, err := s.duty.MarkHandoverEscalated(ctx, h.ID)
	if err != nil {
		return err
	}
	incoming := s.incomingOf(ctx, h)
	next := h.In.Shift
	if next == "" {
		next = "下一班"
	}
	title := fmt.Sprintf("交接班未确认：%s %s 未接班", next, namesOf(names, incoming))
	if len(incoming) == 0 {
		title = fmt.Sprintf("交接班未确认：%s 无人接班", next)
	}
	if _, err := s.raiseHandover(ctx, push.Event{Kind: push.KindHandover, Subject: handoverSubject(out), Title: clip(title, 36),
		Body: fmt.Sprintf("%s %s 已于 %s 交班（交接单 #%d），接班人 %s 在交接时限前未确认接班。", slotLabel(out), nameOf(names, h.From),
			h.HandedAt.In(s.loc).Format("15:04"), h.ID, orNobody(namesOf(names, incoming)))}); err != nil {
		return err
	}
	if !marked {
		return nil // told before
	}
	var first error
	if err := s.NotifyWeCom(ctx, h.From, fmt.Sprintf("【交接班】接班人 %s 尚未确认接班（交接单 #%d），已上报带班领导。请继续留守岗位，直到接班人确认，不得离岗。",
		orNobody(namesOf(names, incoming)), h.ID)); err != nil {
		first = err
	}
	if err := s.notifyAll(ctx, incoming, fmt.Sprintf("【交接班】%s %s 的交接单 #%d 等待您确认，请立即核对后发送「接班」。", slotLabel(out),
		nameOf(names, h.From), h.ID)); err != nil && first == nil {
		first = err
	}
	return first
}

// raiseHandover raises a handover escalation once per slot and reports
// whether it was new.
func (s *Service) raiseHandover(ctx context.Context, ev push.Event) (bool, error) {
	if s.escalations == nil {
		return false, fmt.Errorf("raise %s: escalations are not attached", ev.Kind)
	}
	_, raised, err := s.escalations.RaiseOnce(ctx, ev)
	return raised, err
}

// activeAdmins lists the active admins' userids.
func (s *Service) activeAdmins(ctx context.Context) []string {
	_, ms, err := s.people(ctx)
	if err != nil {
		s.log.Error("list admins", "err", err)
		return nil
	}
	var out []string
	for _, m := range ms {
		if m.Active && m.HasRole(roster.RoleAdmin) {
			out = append(out, m.UserID)
		}
	}
	return out
}

// namesOf joins members' names: "李四、孙八".
func namesOf(names map[string]string, userIDs []string) string {
	out := make([]string, len(userIDs))
	for i, u := range userIDs {
		out[i] = nameOf(names, u)
	}
	return strings.Join(out, "、")
}

func orNobody(s string) string {
	if s == "" {
		return "（无人）"
	}
	return s
}

// splitText cuts text into at most parts messages of at most limit bytes,
// at line breaks where it can; what does not fit is replaced by more.
func splitText(text string, limit, parts int, more string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, line := range strings.Split(text, "\n") {
		for len(line) > limit {
			flush()
			head := truncateUTF8(line, limit)
			out = append(out, head)
			line = line[len(head):]
		}
		if cur.Len() > 0 && cur.Len()+1+len(line) > limit {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n")
		}
		cur.WriteString(line)
	}
	flush()
	if len(out) > parts {
		out = out[:parts]
		last := out[parts-1]
		out[parts-1] = truncateUTF8(last, limit-len(more)-1) + "\n" + more
	}
	return out
}
