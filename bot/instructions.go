package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// A leader's instruction (批示) on a report is delivered to the duty officer
// responsible, who must relay it (传达) within RelayWithin and feed back
// (反馈) by the end of the FeedbackWorkingDays-th working day. Each step
// cancels its deadline; a deadline that comes first raises an escalation
// (push.KindInstruction) and tells the officer. The leader gets a card with
// the whole chain after every step. Decisions: docs/incident-instructions.md.

// cardInstructionPrefix starts the key of a 批示 card's buttons.
const cardInstructionPrefix = "instr"

// The buttons of 批示 cards: "instr:<id>:relay" on the officer's card,
// "instr:<id>:show" on the leader's progress card.
const (
	instrActionRelay = "relay"
	instrActionShow  = "show"
)

const (
	// instructionPromptTTL is how long after tapping a report card's 批示
	// button the leader's next message is taken as the 批示.
	instructionPromptTTL = 10 * time.Minute
	// instructionLogDays is what 批示 记录 lists by default: the last 7 days.
	instructionLogDays = 7
	// instructionRemindAt is when, on the last working day for feedback,
	// the officer is reminded it is due that day.
	instructionRemindAt roster.ClockTime = 9 * 60
	// defaultRelayWithin and defaultFeedbackDays apply when the settings
	// leave them zero (the national rules).
	defaultRelayWithin  = 5 * time.Minute
	defaultFeedbackDays = 3
	// instrTextLimit is WeCom's limit for a text message, in bytes.
	instrTextLimit = 2048
	// instrRemindSuffix marks the feedback reminder's deadline key.
	instrRemindSuffix = "/remind"
)

// reportNumberPattern is how report numbers look: 2026-1204-001.
var reportNumberPattern = regexp.MustCompile(`^\d{4}-\d{4}-\d{3,}$`)

// instructionCommands are 批示, 批示 记录, 传达 and 反馈.
func (s *Service) instructionCommands() []*Command {
	lead := []roster.Role{roster.RoleLeader, roster.RoleAdmin}
	return []*Command{
		// Open to all so that others hear who may give a 批示.
		{Name: "批示", Aliases: []string{"instruct"},
			Usage:   "批示 <报告编号> <内容> / instruct",
			Summary: "带班领导对报告作出批示，值班员须按时传达、反馈 a leader's instruction on a report", Run: s.cmdInstruct},
		{Name: "批示 记录", Aliases: []string{"instructions", "批示记录", "instruct log"}, Roles: lead,
			Usage:   "批示 记录 [报告编号|日期|期间] / instructions",
			Summary: "查看批示及其送达、传达、反馈情况 instructions and their state", Run: s.cmdInstructionLog},
		{Name: "传达", Aliases: []string{"relay"},
			Usage:   "传达 <批示编号> [对象…] / relay",
			Summary: "记录已传达领导批示及传达对象 record that an instruction was relayed, and to whom", Run: s.cmdRelay},
		{Name: "反馈", Aliases: []string{"feedback"},
			Usage:   "反馈 <批示编号> <内容> / feedback",
			Summary: "反馈批示落实情况，批示办结 feed back on an instruction", Run: s.cmdFeedback},
	}
}

func (s *Service) relayWithin() time.Duration {
	if s.incidentSet.RelayWithin > 0 {
		return s.incidentSet.RelayWithin
	}
	return defaultRelayWithin
}

func (s *Service) feedbackWorkingDays() int {
	if s.incidentSet.FeedbackWorkingDays > 0 {
		return s.incidentSet.FeedbackWorkingDays
	}
	return defaultFeedbackDays
}

// ---- giving a 批示

func (s *Service) cmdInstruct(ctx context.Context, req Request) (string, error) {
	if !req.Member.HasRole(roster.RoleLeader) {
		return "", Userf("只有带班领导可以批示。值班员收到批示后请用「传达」「反馈」记录。")
	}
	if len(req.Args) == 0 {
		return "", Userf("格式：批示 <报告编号> <内容>，例如「批示 %s-001 立即核实伤亡情况，及时续报」。发送「批示 记录」查看已有批示。",
			s.clock.Now().In(s.loc).Format("2006-0102"))
	}
	r, err := s.reportByNumber(ctx, req.Args[0])
	if err != nil {
		return "", err
	}
	content := strings.Join(req.Args[1:], " ")
	if content == "" {
		return "", Userf("请写上批示内容，例如「批示 %s 立即核实伤亡情况，及时续报」。", r.Number)
	}
	return s.issueInstruction(ctx, req.Member, r, content)
}

// reportByNumber finds a report by the number people type.
func (s *Service) reportByNumber(ctx context.Context, number string) (incident.Report, error) {
	number = strings.TrimPrefix(number, "#")
	r, err := s.incidents.ReportByNumber(ctx, number)
	if errors.Is(err, incident.ErrNotFound) {
		return incident.Report{}, Userf("没有编号为「%s」的报告。报告编号形如 %s-001（报告日期加当天序号），请核对。",
			number, s.clock.Now().In(s.loc).Format("2006-0102"))
	}
	return r, err
}

// issueInstruction gives leader's 批示 on r: it is stored, its relay and
// feedback deadlines armed, and it is delivered to the responsible officer;
// the leader gets the first progress card and the reply says to whom and
// by when.
func (s *Service) issueInstruction(ctx context.Context, leader roster.Member, r incident.Report, content string) (string, error) {
	now := s.clock.Now()
	officer, onDuty, err := s.responsibleOfficer(ctx, r, now)
	if err != nil {
		return "", err
	}
	feedbackDue, lastDay, err := s.instructionFeedbackDue(ctx, now)
	if err != nil {
		return "", err
	}
	in, err := s.incidents.CreateInstruction(ctx, incident.Instruction{ReportID: r.ID, Leader: leader.UserID, Content: content,
		IssuedAt: now.UTC(), Officer: officer, RelayDue: now.Add(s.relayWithin()).UTC(), FeedbackDue: feedbackDue.UTC()})
	if err != nil {
		return "", err
	}
	if err := s.dutySched.Add(ctx, s.instructionDeadlines(in, lastDay, now)...); err != nil {
		return "", fmt.Errorf("deadlines of 批示 #%d: %w", in.ID, err)
	}
	if err := s.sendInstructionToOfficer(ctx, in, r, displayName(leader)); err != nil {
		return "", err
	}
	s.sendInstructionProgress(ctx, in, r, "delivered")
	var b strings.Builder
	fmt.Fprintf(&b, "批示 #%d 已送达值班员 %s（报告 %s）。\n须在 %s 前传达（%s内），%s 前反馈（%d 个工作日）；逾期将告警。传达和反馈后会以卡片告知您。",
		in.ID, s.memberName(ctx, officer), r.Number, s.instrClock(in.RelayDue), spotDuration(s.relayWithin()),
		s.instrDue(in.FeedbackDue), s.feedbackWorkingDays())
	if !onDuty {
		fmt.Fprintf(&b, "\n注：现在没有在岗值班员，已送达报告填报人 %s。", s.memberName(ctx, officer))
	}
	if r.Status == incident.ReportClosed {
		b.WriteString("\n注：该报告已终报，批示仍照常送达和跟踪。")
	}
	return b.String(), nil
}

// responsibleOfficer is who relays a 批示 given at now on r: the officer on
// duty; of several, the report's filer if on duty, else the first; with
// nobody on duty, the filer. onDuty is false in that last case.
func (s *Service) responsibleOfficer(ctx context.Context, r incident.Report, now time.Time) (userID string, onDuty bool, err error) {
	today := roster.DateOf(now, s.loc)
	data, err := s.loadRoster(ctx, today.AddDays(-1), today.AddDays(-1), today)
	if err != nil {
		return "", false, fmt.Errorf("who is on duty for a 批示: %w", err)
	}
	var officers []string
	for _, sr := range roster.OnDutyAt(s.settings.Shifts, data.cal, data.as, now, s.loc) {
		for _, u := range sr.Officers {
			if u == r.FiledBy {
				return u, true, nil
			}
			officers = append(officers, u)
		}
	}
	if len(officers) == 0 {
		return r.FiledBy, false, nil
	}
	return officers[0], true, nil
}

// instructionFeedbackDue is the end (24:00 office time) of the
// FeedbackWorkingDays-th working day after now's office date, and that day.
func (s *Service) instructionFeedbackDue(ctx context.Context, now time.Time) (time.Time, roster.Date, error) {
	n := s.feedbackWorkingDays()
	d := roster.DateOf(now, s.loc)
	// Wide enough for the longest holiday run plus n working weeks.
	cal, err := s.calendar(ctx, d, d.AddDays(7*n+31))
	if err != nil {
		return time.Time{}, roster.Date{}, fmt.Errorf("holiday calendar for the 批示 feedback deadline: %w", err)
	}
	last := cal.AddWorkingDays(d, n)
	return last.AddDays(1).At(0, s.loc), last, nil
}

// instructionDeadlines are a new 批示's relay and feedback deadlines and,
// when still ahead, the feedback reminder at 09:00 on the last working day.
func (s *Service) instructionDeadlines(in incident.Instruction, lastDay roster.Date, now time.Time) []duty.Deadline {
	ds := []duty.Deadline{
		{Key: instrRelayKey(in.ID), Kind: duty.KindInstructionRelay, UserID: in.Officer, Ref: in.ID, DueAt: in.RelayDue},
		{Key: instrFeedbackKey(in.ID), Kind: duty.KindInstructionFeedback, UserID: in.Officer, Ref: in.ID, DueAt: in.FeedbackDue},
	}
	if remind := lastDay.At(instructionRemindAt, s.loc); remind.After(now) && remind.Before(in.FeedbackDue) {
		ds = append(ds, duty.Deadline{Key: instrRemindKey(in.ID), Kind: duty.KindInstructionFeedback, UserID: in.Officer, Ref: in.ID,
			DueAt: remind.UTC()})
	}
	return ds
}

func instrRelayKey(id int64) string    { return duty.RefKey(duty.KindInstructionRelay, id) }
func instrFeedbackKey(id int64) string { return duty.RefKey(duty.KindInstructionFeedback, id) }
func instrRemindKey(id int64) string   { return instrFeedbackKey(id) + instrRemindSuffix }

// instrSubject names a 批示's escalation of one step.
func instrSubject(id int64, step string) string { return fmt.Sprintf("instruction/%d/%s", id, step) }

// instructionRef is the outgoing ref of the officer's card; the leader's
// progress cards have their own, so updating one never touches the other.
func instructionRef(id int64) string { return fmt.Sprintf("%s:%d", cardInstructionPrefix, id) }
func instructionLeaderRef(id int64) string {
	return fmt.Sprintf("%s:%d:leader", cardInstructionPrefix, id)
}

func instructionKey(id int64, action string) string {
	return fmt.Sprintf("%s:%d:%s", cardInstructionPrefix, id, action)
}

// sendInstructionToOfficer delivers the 批示: a card with the 已传达
// button, and a text with the whole 批示 and how to record the relay and
// the feedback (the card's text is clipped).
func (s *Service) sendInstructionToOfficer(ctx context.Context, in incident.Instruction, r incident.Report, leaderName string) error {
	card := wecom.Card{
		// Unique per send: WeCom refuses a task id used before.
		TaskID:  fmt.Sprintf("instr_%d_%s_%d", in.ID, in.Officer, s.clock.Now().UnixNano()),
		Source:  "值班机器人 · 领导批示",
		Title:   clip("领导批示："+r.Number, 36),
		Desc:    clip(fmt.Sprintf("批示 #%d · %s %s · %s 前传达", in.ID, leaderName, s.instrClock(in.IssuedAt), s.instrClock(in.RelayDue)), 44),
		Text:    clip(fmt.Sprintf("%s批示：%s｜报告：%s", leaderName, in.Content, r.Line()), 112),
		Buttons: []wecom.CardButton{{Text: "已传达 / Relayed", Key: instructionKey(in.ID, instrActionRelay), Style: 1}},
	}
	if err := s.queueCard(ctx, in.Officer, card, instructionRef(in.ID)); err != nil {
		return err
	}
	head := fmt.Sprintf("领导批示 #%d（报告 %s：%s）\n%s %s 批示：", in.ID, r.Number, clip(r.Line(), 60), leaderName, s.instrClock(in.IssuedAt))
	tail := fmt.Sprintf("\n请在 %s 前传达给有关单位或人员，然后回复「传达 %d <对象>」记录传达对象（如「传达 %d 区应急局 李科长」），也可先点卡片「已传达」再补记对象；"+
		"落实后在 %s 前回复「反馈 %d <落实情况>」。", s.instrClock(in.RelayDue), in.ID, in.ID, s.instrDue(in.FeedbackDue), in.ID)
	text := head + clipBytes(in.Content, instrTextLimit-len(head)-len(tail)) + tail
	return s.NotifyWeCom(ctx, in.Officer, text)
}

// ---- the leader's progress card

// sendInstructionProgress sends the leader a card with the whole chain of
// the 批示 as it stands after step (delivered, relayed, recipients,
// fed_back, relay_overdue, feedback_overdue); the buttons of earlier
// progress cards are replaced, so the newest card is the one to read.
// Failures are logged: the step itself is recorded already.
func (s *Service) sendInstructionProgress(ctx context.Context, in incident.Instruction, r incident.Report, step string) {
	now := s.clock.Now()
	officer := s.memberName(ctx, in.Officer)
	card := wecom.Card{
		TaskID:  fmt.Sprintf("instr_%d_%s_%s_%d", in.ID, step, in.Leader, now.UnixNano()),
		Source:  "值班机器人 · 批示跟踪",
		Title:   clip("批示进展："+r.Number, 36),
		Desc:    clip(fmt.Sprintf("批示 #%d · %s", in.ID, s.instrState(in, now)), 44),
		Text:    clip(strings.Join(s.instrChain(in, officer, now, true), " · "), 112),
		Buttons: []wecom.CardButton{{Text: "查看详情 / Details", Key: instructionKey(in.ID, instrActionShow)}},
	}
	s.updateInstructionCards(ctx, instructionLeaderRef(in.ID), "已有新进展，见最新卡片")
	if err := s.queueCard(ctx, in.Leader, card, instructionLeaderRef(in.ID)); err != nil {
		s.log.Error("send the 批示 progress card", "instruction", in.ID, "step", step, "err", err)
	}
}

// instrState is the 批示's state in a few words.
func (s *Service) instrState(in incident.Instruction, now time.Time) string {
	switch {
	case !in.FeedbackAt.IsZero():
		return "已反馈，已办结"
	case !now.Before(in.FeedbackDue):
		return "反馈逾期"
	case !in.RelayedAt.IsZero():
		return "已传达，待反馈"
	case !now.Before(in.RelayDue):
		return "传达超时"
	}
	return "已送达，待传达"
}

// instrChain lists the steps of a 批示: its content, delivered, relayed
// (to whom), fed back, with what is still due or overdue at now. short
// clips the free texts for a card.
func (s *Service) instrChain(in incident.Instruction, officer string, now time.Time, short bool) []string {
	cut := func(text string, n int) string {
		if short {
			return clip(text, n)
		}
		return text
	}
	steps := []string{"批示：" + cut(in.Content, 28), fmt.Sprintf("已送达 %s %s", officer, s.instrClock(in.IssuedAt))}
	switch {
	case !in.RelayedAt.IsZero():
		to := in.RelayedTo
		if to == "" {
			to = "未注明对象"
		}
		step := fmt.Sprintf("已传达（%s）%s", cut(to, 12), s.instrWhen(in.RelayedAt, in.IssuedAt))
		if in.RelayedLate(now) {
			step += fmt.Sprintf("（超时 %s）", spotDuration(in.RelayedAt.Sub(in.RelayDue)))
		}
		steps = append(steps, step)
	case !now.Before(in.RelayDue):
		steps = append(steps, fmt.Sprintf("未传达（应于 %s 前，已超时）", s.instrClock(in.RelayDue)))
	default:
		steps = append(steps, fmt.Sprintf("待传达（%s 前）", s.instrClock(in.RelayDue)))
	}
	switch {
	case !in.FeedbackAt.IsZero():
		step := fmt.Sprintf("已反馈 %s：%s", in.FeedbackAt.In(s.loc).Format("01-02 15:04"), cut(in.Feedback, 28))
		if in.FedBackLate(now) {
			step += "（逾期）"
		}
		steps = append(steps, step)
	case !now.Before(in.FeedbackDue):
		steps = append(steps, fmt.Sprintf("反馈逾期（应于 %s 前）", s.instrDue(in.FeedbackDue)))
	default:
		steps = append(steps, fmt.Sprintf("待反馈（%s 前）", s.instrDue(in.FeedbackDue)))
	}
	return steps
}

// instrClock is a time as HH:MM, with the date when it is not today.
func (s *Service) instrClock(t time.Time) string {
	return s.instrWhen(t, s.clock.Now())
}

// instrWhen is t as HH:MM when it falls on ref's office date, else as
// MM-DD HH:MM.
func (s *Service) instrWhen(t, ref time.Time) string {
	if roster.DateOf(t, s.loc) == roster.DateOf(ref, s.loc) {
		return t.In(s.loc).Format("15:04")
	}
	return t.In(s.loc).Format("01-02 15:04")
}

// instrDue shows a feedback deadline: midnight reads as the end of the day
// before ("12-09（周三）24:00").
func (s *Service) instrDue(t time.Time) string {
	local := t.In(s.loc)
	if local.Hour() == 0 && local.Minute() == 0 {
		d := roster.DateOf(local, s.loc).AddDays(-1)
		return fmt.Sprintf("%02d-%02d（%s）24:00", d.Month, d.Day, roster.WeekdayLabel(d.Weekday()))
	}
	return local.Format("01-02 15:04")
}

// updateInstructionCards replaces the buttons of the cards sent with ref
// (and not updated yet) with label.
func (s *Service) updateInstructionCards(ctx context.Context, ref, label string) {
	if s.cards == nil {
		return
	}
	cards, err := s.store.SentCards(ctx, ref)
	if err != nil {
		s.log.Error("list 批示 cards to update", "ref", ref, "err", err)
		return
	}
	for _, c := range cards {
		if err := s.cards.UpdateCardButton(ctx, []string{c.ToUser}, c.ResponseCode, label); err != nil {
			s.log.Warn("update 批示 card", "ref", ref, "user", c.ToUser, "err", err)
			continue
		}
		if err := s.store.UseResponseCode(ctx, c.ID); err != nil {
			s.log.Error("record used response code", "outgoing", c.ID, "err", err)
		}
	}
}

// ---- relay (传达) and feedback (反馈)

func (s *Service) cmdRelay(ctx context.Context, req Request) (string, error) {
	if len(req.Args) == 0 {
		return "", Userf("格式：传达 <批示编号> [对象]，例如「传达 3 区应急局 李科长」。批示编号见批示卡片（批示 #3）。")
	}
	id, err := parseInstructionID(req.Args[0], "传达")
	if err != nil {
		return "", err
	}
	return s.relayInstruction(ctx, req.Member, id, strings.Join(req.Args[1:], " "), "")
}

func (s *Service) cmdFeedback(ctx context.Context, req Request) (string, error) {
	if len(req.Args) == 0 {
		return "", Userf("格式：反馈 <批示编号> <落实情况>，例如「反馈 3 已通知区应急局，伤员均已送医」。")
	}
	id, err := parseInstructionID(req.Args[0], "反馈")
	if err != nil {
		return "", err
	}
	return s.feedbackInstruction(ctx, req.Member, id, strings.Join(req.Args[1:], " "))
}

// parseInstructionID reads a 批示 number: "3" or "#3".
func parseInstructionID(arg, command string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, Userf("「%s」不是批示编号。格式：%s <批示编号> …，批示编号是数字，见批示卡片（批示 #3）。", arg, command)
	}
	return id, nil
}

// instructionOf reads a 批示 and its report; an unknown id is the
// member's error.
func (s *Service) instructionOf(ctx context.Context, id int64) (incident.Instruction, incident.Report, error) {
	in, err := s.incidents.Instruction(ctx, id)
	if errors.Is(err, incident.ErrNotFound) {
		return incident.Instruction{}, incident.Report{}, Userf("没有编号为 #%d 的批示，请核对批示卡片上的编号。", id)
	}
	if err != nil {
		return incident.Instruction{}, incident.Report{}, err
	}
	r, err := s.incidents.Report(ctx, in.ReportID)
	if err != nil {
		return incident.Instruction{}, incident.Report{}, fmt.Errorf("report of 批示 #%d: %w", id, err)
	}
	return in, r, nil
}

// relayInstruction records that m relayed 批示 id (to whom, when given);
// responseCode is the card click's, to update the card. A 批示 relayed
// without naming anyone takes its recipients from the next 传达.
func (s *Service) relayInstruction(ctx context.Context, m roster.Member, id int64, to, responseCode string) (string, error) {
	in, r, err := s.instructionOf(ctx, id)
	if err != nil {
		return "", err
	}
	if in.Officer != m.UserID {
		return "", Userf("批示 #%d 由值班员 %s 负责传达，只有负责的值班员可以记录传达；您无需操作。", id, s.memberName(ctx, in.Officer))
	}
	if !in.RelayedAt.IsZero() {
		return s.relayAgain(ctx, in, r, to)
	}
	got, changed, err := s.incidents.RecordRelay(ctx, id, to, s.clock.Now().UTC())
	if err != nil {
		return "", err
	}
	if !changed {
		return s.relayAgain(ctx, got, r, to)
	}
	s.instructionRelayed(ctx, got, r, responseCode)
	var b strings.Builder
	fmt.Fprintf(&b, "已记录：批示 #%d 于 %s 传达", id, s.instrClock(got.RelayedAt))
	if got.RelayedTo != "" {
		fmt.Fprintf(&b, "给 %s", got.RelayedTo)
	}
	if got.RelayedLate(got.RelayedAt) {
		fmt.Fprintf(&b, "，超过时限 %s（应于 %s 前）", spotDuration(got.RelayedAt.Sub(got.RelayDue)), s.instrClock(got.RelayDue))
	} else {
		fmt.Fprintf(&b, "，按时（%s 前）", s.instrClock(got.RelayDue))
	}
	fmt.Fprintf(&b, "。已告知 %s。", s.memberName(ctx, got.Leader))
	if got.RelayedTo == "" {
		fmt.Fprintf(&b, "\n尚未注明传达对象，请回复「传达 %d <对象>」补记，如「传达 %d 区应急局 李科长」。", id, id)
	}
	fmt.Fprintf(&b, "\n落实后请在 %s 前回复「反馈 %d <落实情况>」。", s.instrDue(got.FeedbackDue), id)
	return b.String(), nil
}

// relayAgain answers a 传达 on a 批示 already relayed: the recipients are
// filled in if they were missing, otherwise it says when and to whom.
func (s *Service) relayAgain(ctx context.Context, in incident.Instruction, r incident.Report, to string) (string, error) {
	if to != "" && in.RelayedTo == "" {
		got, changed, err := s.incidents.AddRelayRecipients(ctx, in.ID, to)
		if err != nil {
			return "", err
		}
		if changed {
			s.sendInstructionProgress(ctx, got, r, "recipients")
			return fmt.Sprintf("已补记批示 #%d 的传达对象：%s（%s 传达）。已告知 %s。", in.ID, got.RelayedTo,
				s.instrClock(got.RelayedAt), s.memberName(ctx, got.Leader)), nil
		}
		in = got
	}
	who := in.RelayedTo
	if who == "" {
		who = "未注明对象"
	}
	return fmt.Sprintf("批示 #%d 已于 %s 传达（%s），无需重复记录。", in.ID, s.instrClock(in.RelayedAt), who), nil
}

// instructionRelayed closes the relay step: the deadline is cancelled, an
// alert about it resolved, the officer's card updated and the leader told.
func (s *Service) instructionRelayed(ctx context.Context, in incident.Instruction, r incident.Report, responseCode string) {
	if err := s.dutySched.Cancel(ctx, instrRelayKey(in.ID), "relayed"); err != nil {
		// Harmless: the handler finds it relayed and does nothing.
		s.log.Error("cancel the 批示 relay deadline", "instruction", in.ID, "err", err)
	}
	if in.RelayedLate(in.RelayedAt) || in.EscalationID != "" {
		s.resolveInstruction(ctx, in.ID, incident.StepRelay)
	}
	label := "已传达 " + s.instrClock(in.RelayedAt)
	if s.cards != nil && responseCode != "" {
		if err := s.cards.UpdateCardButton(ctx, []string{in.Officer}, responseCode, label); err != nil {
			s.log.Warn("update 批示 card", "instruction", in.ID, "err", err)
		}
	}
	s.updateInstructionCards(ctx, instructionRef(in.ID), label)
	s.sendInstructionProgress(ctx, in, r, "relayed")
}

// resolveInstruction closes the alert of a step that is done now.
func (s *Service) resolveInstruction(ctx context.Context, id int64, step string) {
	if s.escalations == nil {
		return
	}
	if _, err := s.escalations.Resolve(ctx, push.KindInstruction, instrSubject(id, step)); err != nil {
		s.log.Error("resolve the 批示 escalation", "instruction", id, "step", step, "err", err)
	}
}

// feedbackInstruction records m's feedback on 批示 id, which closes it.
func (s *Service) feedbackInstruction(ctx context.Context, m roster.Member, id int64, content string) (string, error) {
	in, r, err := s.instructionOf(ctx, id)
	if err != nil {
		return "", err
	}
	if in.Officer != m.UserID {
		return "", Userf("只有负责传达的值班员可以反馈（批示 #%d 由 %s 负责）。", id, s.memberName(ctx, in.Officer))
	}
	if !in.FeedbackAt.IsZero() {
		return s.fedBackAlready(in), nil
	}
	if content == "" {
		return "", Userf("请写上落实情况，例如「反馈 %d 已通知区应急局，伤员均已送医」。", id)
	}
	got, changed, err := s.incidents.RecordFeedback(ctx, id, m.UserID, content, s.clock.Now().UTC())
	if err != nil {
		return "", err
	}
	if !changed {
		return s.fedBackAlready(got), nil
	}
	for _, key := range []string{instrFeedbackKey(id), instrRemindKey(id), instrRelayKey(id)} {
		if err := s.dutySched.Cancel(ctx, key, "fed back"); err != nil {
			s.log.Error("cancel a 批示 deadline", "key", key, "err", err)
		}
	}
	if got.FedBackLate(got.FeedbackAt) || got.FeedbackEscalationID != "" {
		s.resolveInstruction(ctx, id, incident.StepFeedback)
	}
	if in.RelayedAt.IsZero() {
		// Fed back before 传达 was recorded: the feedback shows it was.
		s.resolveInstruction(ctx, id, incident.StepRelay)
		s.updateInstructionCards(ctx, instructionRef(id), "已反馈 "+s.instrClock(got.FeedbackAt))
	}
	s.sendInstructionProgress(ctx, got, r, "fed_back")
	timing := fmt.Sprintf("按时（%s 前）", s.instrDue(got.FeedbackDue))
	if got.FedBackLate(got.FeedbackAt) {
		timing = fmt.Sprintf("逾期（应于 %s 前）", s.instrDue(got.FeedbackDue))
	}
	return fmt.Sprintf("已记录批示 #%d 的反馈，%s。批示已办结，已告知 %s。", id, timing, s.memberName(ctx, got.Leader)), nil
}

func (s *Service) fedBackAlready(in incident.Instruction) string {
	return fmt.Sprintf("批示 #%d 已于 %s 反馈：%s。无需重复反馈；如有新情况，请在报告上续报。", in.ID,
		in.FeedbackAt.In(s.loc).Format("01-02 15:04"), clip(in.Feedback, 60))
}

// ---- deadlines

// instructionForDeadline reads the 批示 a deadline is about; ok is false
// (and the deadline closed) when it does not exist.
func (s *Service) instructionForDeadline(ctx context.Context, d duty.Deadline) (incident.Instruction, incident.Report, bool, error) {
	in, err := s.incidents.Instruction(ctx, d.Ref)
	if errors.Is(err, incident.ErrNotFound) {
		s.log.Warn("批示 deadline for an instruction that does not exist", "key", d.Key, "ref", d.Ref)
		return incident.Instruction{}, incident.Report{}, false, nil
	}
	if err != nil {
		return incident.Instruction{}, incident.Report{}, false, err
	}
	r, err := s.incidents.Report(ctx, in.ReportID)
	if err != nil {
		return incident.Instruction{}, incident.Report{}, false, fmt.Errorf("report of 批示 #%d: %w", in.ID, err)
	}
	return in, r, true, nil
}

// onInstructionRelay: a 批示 must have been relayed by now. If it was not,
// an escalation is raised (once: one recorded on the 批示 is left alone),
// the officer told and the leader sent the chain.
func (s *Service) onInstructionRelay(ctx context.Context, d duty.Deadline) error {
	in, r, ok, err := s.instructionForDeadline(ctx, d)
	if !ok || err != nil {
		return err
	}
	if !in.RelayedAt.IsZero() || in.EscalationID != "" {
		return nil
	}
	leader, officer := s.memberName(ctx, in.Leader), s.memberName(ctx, in.Officer)
	esc, err := s.raiseOnce(ctx, push.Event{
		Kind:    push.KindInstruction,
		Subject: instrSubject(in.ID, incident.StepRelay),
		Title:   "批示未按时传达：" + r.Number,
		Body: fmt.Sprintf("%s %s 对报告 %s（%s）的批示 #%d「%s」应由值班员 %s 在 %s 前传达，至今未确认传达。请督促落实。",
			leader, s.instrClock(in.IssuedAt), r.Number, clip(r.Line(), 30), in.ID, clip(in.Content, 40), officer, s.instrClock(in.RelayDue)),
	})
	if err != nil {
		return fmt.Errorf("raise the relay escalation of 批示 #%d: %w", in.ID, err)
	}
	got, changed, err := s.incidents.SetInstructionEscalation(ctx, in.ID, incident.StepRelay, esc.ID)
	if err != nil || !changed {
		return err
	}
	if !got.RelayedAt.IsZero() {
		// Relayed while the alert was being raised.
		s.resolveInstruction(ctx, in.ID, incident.StepRelay)
		return nil
	}
	msg := fmt.Sprintf("批示 #%d（报告 %s）未在 %s 前确认传达，已通知带班领导（告警 %s）。请立即传达，并回复「传达 %d <对象>」记录。",
		in.ID, r.Number, s.instrClock(in.RelayDue), esc.ID, in.ID)
	if err := s.NotifyWeCom(ctx, in.Officer, msg); err != nil {
		s.log.Error("tell the officer of a late relay", "instruction", in.ID, "err", err)
	}
	s.sendInstructionProgress(ctx, got, r, "relay_overdue")
	return nil
}

// onInstructionFeedback: a 批示's feedback is due (or, for the reminder's
// key, due today). Overdue: an escalation is raised once, the officer told
// and the leader sent the chain.
func (s *Service) onInstructionFeedback(ctx context.Context, d duty.Deadline) error {
	in, r, ok, err := s.instructionForDeadline(ctx, d)
	if !ok || err != nil {
		return err
	}
	if !in.FeedbackAt.IsZero() {
		return nil
	}
	if strings.HasSuffix(d.Key, instrRemindSuffix) {
		msg := fmt.Sprintf("提醒：批示 #%d（报告 %s，%s：「%s」）的反馈将于 %s 到期。落实后请回复「反馈 %d <落实情况>」。", in.ID, r.Number,
			s.memberName(ctx, in.Leader), clip(in.Content, 40), s.instrDue(in.FeedbackDue), in.ID)
		if in.RelayedAt.IsZero() {
			msg += fmt.Sprintf("\n该批示尚未记录传达，请一并回复「传达 %d <对象>」。", in.ID)
		}
		// A re-run after a crash may repeat this reminder; it changes nothing.
		return s.NotifyWeCom(ctx, in.Officer, msg)
	}
	if in.FeedbackEscalationID != "" {
		return nil
	}
	esc, err := s.raiseOnce(ctx, push.Event{
		Kind:    push.KindInstruction,
		Subject: instrSubject(in.ID, incident.StepFeedback),
		Title:   "批示反馈逾期：" + r.Number,
		Body: fmt.Sprintf("%s 对报告 %s（%s）的批示 #%d「%s」应由值班员 %s 在 %s 前反馈落实情况，至今未反馈。请督促落实。",
			s.memberName(ctx, in.Leader), r.Number, clip(r.Line(), 30), in.ID, clip(in.Content, 40), s.memberName(ctx, in.Officer),
			s.instrDue(in.FeedbackDue)),
	})
	if err != nil {
		return fmt.Errorf("raise the feedback escalation of 批示 #%d: %w", in.ID, err)
	}
	got, changed, err := s.incidents.SetInstructionEscalation(ctx, in.ID, incident.StepFeedback, esc.ID)
	if err != nil || !changed {
		return err
	}
	if !got.FeedbackAt.IsZero() {
		s.resolveInstruction(ctx, in.ID, incident.StepFeedback)
		return nil
	}
	msg := fmt.Sprintf("批示 #%d（报告 %s）的反馈已于 %s 到期，已通知带班领导（告警 %s）。请尽快回复「反馈 %d <落实情况>」。",
		in.ID, r.Number, s.instrDue(in.FeedbackDue), esc.ID, in.ID)
	if err := s.NotifyWeCom(ctx, in.Officer, msg); err != nil {
		s.log.Error("tell the officer of overdue feedback", "instruction", in.ID, "err", err)
	}
	s.sendInstructionProgress(ctx, got, r, "feedback_overdue")
	return nil
}

// ---- cards and the prompt

// onInstructionCard handles a 批示 card's buttons: 已传达 on the officer's
// card records the relay (recipients to follow by 传达), 查看详情 on the
// leader's card shows the whole chain.
func (s *Service) onInstructionCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	const unknown = "无法识别这个按钮，请改用文字命令，例如「传达 3 区应急局」「批示 记录」。"
	id, action, ok := parseCardKey(msg.EventKey)
	if !ok {
		s.log.Warn("批示 card click with a malformed key", "key", msg.EventKey, "user", m.UserID)
		return []string{unknown}
	}
	var reply string
	var err error
	switch action {
	case instrActionRelay:
		reply, err = s.relayInstruction(ctx, m, id, "", msg.ResponseCode)
	case instrActionShow:
		reply, err = s.instructionDetail(ctx, m, id)
	default:
		s.log.Warn("批示 card click with an unknown action", "key", msg.EventKey, "user", m.UserID)
		return []string{unknown}
	}
	return s.cardReply(reply, err, "批示 card click", "key", msg.EventKey, "user", m.UserID)
}

// instructionDetail is the whole chain of a 批示, for leaders, admins and
// its officer.
func (s *Service) instructionDetail(ctx context.Context, m roster.Member, id int64) (string, error) {
	in, r, err := s.instructionOf(ctx, id)
	if err != nil {
		return "", err
	}
	if in.Officer != m.UserID && in.Leader != m.UserID && !m.HasAnyRole(roster.RoleLeader, roster.RoleAdmin) {
		return "", Userf("批示详情仅限带班领导、管理员和负责的值班员查看。")
	}
	now := s.clock.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "批示 #%d（报告 %s：%s）· %s\n%s %s 批示：%s", in.ID, r.Number, clip(r.Line(), 60), s.instrState(in, now),
		s.memberName(ctx, in.Leader), in.IssuedAt.In(s.loc).Format("01-02 15:04"), in.Content)
	for _, step := range s.instrChain(in, s.memberName(ctx, in.Officer), now, false)[1:] {
		b.WriteString("\n· " + step)
	}
	fmt.Fprintf(&b, "\n时限：传达 %s 前，反馈 %s 前。", in.RelayDue.In(s.loc).Format("01-02 15:04"), s.instrDue(in.FeedbackDue))
	return clipBytes(b.String(), instrTextLimit), nil
}

// promptInstruction starts a 批示 on report reportID from its card's 批示
// button: the leader is asked to type it, and instructionPromptStep takes
// the next message. The reply is the question.
func (s *Service) promptInstruction(ctx context.Context, m roster.Member, reportID int64) string {
	if !m.HasRole(roster.RoleLeader) {
		return "只有带班领导可以批示。"
	}
	r, err := s.incidents.Report(ctx, reportID)
	if errors.Is(err, incident.ErrNotFound) {
		return "没有找到这份报告，无法批示。"
	}
	if err != nil {
		s.log.Error("report for a 批示 prompt", "report", reportID, "err", err)
		return apology
	}
	p := incident.InstructionPrompt{Leader: m.UserID, ReportID: r.ID, AskedAt: s.clock.Now().UTC()}
	if err := s.incidents.SetInstructionPrompt(ctx, p); err != nil {
		s.log.Error("store a 批示 prompt", "report", reportID, "err", err)
		return apology
	}
	return fmt.Sprintf("请回复对报告 %s 的批示内容（%d 分钟内有效），回复「取消」放弃。", r.Number, int(instructionPromptTTL/time.Minute))
}

// instructionPromptStep takes a 批示 a leader types after tapping a report
// card's 批示 button; handled is false when none is awaited (or it was
// asked more than instructionPromptTTL ago, or the text is a 批示 command:
// the text goes to the router, and the prompt is dropped).
func (s *Service) instructionPromptStep(ctx context.Context, m roster.Member, text string) (Reply, bool, error) {
	if !m.HasRole(roster.RoleLeader) {
		return Reply{}, false, nil
	}
	since := s.clock.Now().Add(-instructionPromptTTL).UTC()
	p, ok, err := s.incidents.TakeInstructionPrompt(ctx, m.UserID, since)
	if err != nil || !ok {
		return Reply{}, false, err
	}
	r, err := s.incidents.Report(ctx, p.ReportID)
	if err != nil {
		return Reply{}, true, fmt.Errorf("report of a 批示 prompt: %w", err)
	}
	content := Normalize(text)
	if first, _, _ := strings.Cut(strings.ToLower(content), " "); first == "批示" || first == "instruct" {
		// The leader typed the command after all: it names its own report.
		return Reply{}, false, nil
	}
	switch strings.ToLower(content) {
	case "取消", "放弃", "cancel":
		return Reply{Text: fmt.Sprintf("已取消对报告 %s 的批示。", r.Number)}, true, nil
	case "":
		return Reply{Text: fmt.Sprintf("批示内容为空，已放弃。请重新点报告卡片的「批示」，或发送「批示 %s <内容>」。", r.Number)}, true, nil
	}
	reply, err := s.issueInstruction(ctx, m, r, content)
	var ue *UserError
	if errors.As(err, &ue) {
		return Reply{Text: ue.Msg}, true, nil
	}
	if err != nil {
		return Reply{}, true, err
	}
	return Reply{Text: reply}, true, nil
}

// ---- 批示 记录

func (s *Service) cmdInstructionLog(ctx context.Context, req Request) (string, error) {
	var list []incident.Instruction
	var title string
	if len(req.Args) == 1 && reportNumberPattern.MatchString(strings.TrimPrefix(req.Args[0], "#")) {
		r, err := s.reportByNumber(ctx, req.Args[0])
		if err != nil {
			return "", err
		}
		if list, err = s.incidents.InstructionsOf(ctx, r.ID); err != nil {
			return "", err
		}
		title = "报告 " + r.Number + " 的批示"
	} else {
		from, to := s.today().AddDays(-(instructionLogDays - 1)), s.today()
		if len(req.Args) > 0 {
			var err error
			if from, to, err = s.period(req.Args, ""); err != nil {
				return "", err
			}
		}
		var err error
		if list, err = s.incidents.Instructions(ctx, from.At(0, s.loc), to.AddDays(1).At(0, s.loc)); err != nil {
			return "", err
		}
		title = "批示记录 " + from.Label()
		if to != from {
			title += " — " + to.Label()
		}
	}
	if len(list) == 0 {
		return title + "：没有批示。", nil
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	name := func(u string) string {
		if m, ok := byID[u]; ok {
			return displayName(m)
		}
		return u
	}
	reports := make(map[int64]string)
	now := s.clock.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%s（%d 条）：", title, len(list))
	const more = "\n……其余 %d 条未列出，请缩小日期范围或按报告编号查询。"
	for i, in := range list {
		number, ok := reports[in.ReportID]
		if !ok {
			r, err := s.incidents.Report(ctx, in.ReportID)
			if err != nil {
				return "", fmt.Errorf("report of 批示 #%d: %w", in.ID, err)
			}
			number, reports[in.ReportID] = r.Number, r.Number
		}
		steps := s.instrChain(in, name(in.Officer), now, true)
		entry := fmt.Sprintf("\n#%d 报告 %s · %s %s · %s\n  %s\n  %s", in.ID, number, name(in.Leader), in.IssuedAt.In(s.loc).Format("01-02 15:04"),
			s.instrState(in, now), steps[0], strings.Join(steps[1:], " · "))
		if b.Len()+len(entry)+len(more)+8 > instrTextLimit {
			fmt.Fprintf(&b, more, len(list)-i)
			break
		}
		b.WriteString(entry)
	}
	return b.String(), nil
}

// clipBytes shortens s to at most n bytes (WeCom's text limits), at a rune
// boundary, marking the cut with "…".
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	if n < len(mark) {
		return ""
	}
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
