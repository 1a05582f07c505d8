package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
)

// Escalations is the push engine as the bot uses it.
type Escalations interface {
	Raise(ctx context.Context, ev push.Event) (push.Escalation, error)
	// RaiseOnce raises ev unless its kind and subject were raised before.
	RaiseOnce(ctx context.Context, ev push.Event) (push.Escalation, bool, error)
	// Resolve closes the open escalations of kind and subject (the cause
	// went away).
	Resolve(ctx context.Context, kind, subject string) ([]string, error)
	Ack(ctx context.Context, id, userID, via string) (push.Escalation, bool, error)
	Policies() push.Policies
}

// EscalationLog reads escalations and their delivery log.
type EscalationLog interface {
	Escalation(ctx context.Context, id string) (push.Escalation, error)
	SentFor(ctx context.Context, escalationID string) ([]push.Sent, error)
	OpenEscalations(ctx context.Context) ([]push.Escalation, error)
}

// NotifyWeCom queues a WeCom text to a member through the durable outbox
// (push.Notifier).
func (s *Service) NotifyWeCom(ctx context.Context, userID, text string) error {
	now := s.clock.Now().UTC()
	err := s.store.QueueOutgoing(ctx, []roster.Outgoing{{
		ToUser: userID, Kind: "text", Content: text, Status: roster.OutPending, CreatedAt: now, UpdatedAt: now,
	}})
	if err != nil {
		return fmt.Errorf("queue alert to %s: %w", userID, err)
	}
	s.outbox.wake()
	return nil
}

// AttachEscalations connects the escalation engine and registers the alert
// commands. Call it once, before Run.
func (s *Service) AttachEscalations(esc Escalations, log EscalationLog) {
	s.escalations, s.escalationLog = esc, log
	for _, c := range s.escalationCommands() {
		s.router.Add(c)
	}
}

// DevicePruned tells a member their phone no longer receives pushes
// (push.Notifier).
func (s *Service) DevicePruned(ctx context.Context, d push.Device, reason string) {
	s.TellDevicePruned(ctx, d, reason)
}

// escalationCommands are acknowledging alerts and looking at policies and
// the delivery log.
func (s *Service) escalationCommands() []*Command {
	admin := []roster.Role{roster.RoleAdmin}
	return []*Command{
		{Name: "确认", Aliases: []string{"ack"},
			Usage: "确认 <编号> / ack", Summary: "确认告警，停止继续通知 acknowledge an alert", Run: s.cmdAck},
		{Name: "告警", Aliases: []string{"alerts"},
			Usage: "告警 [编号] | 告警 测试 / alerts", Summary: "查看未确认的告警；管理员可发测试告警 open alerts", Run: s.cmdAlerts},
		{Name: "策略", Aliases: []string{"policies"}, Roles: admin,
			Usage: "策略 查看 / policies", Summary: "查看告警升级策略 the escalation policies", Run: s.cmdPolicies},
		{Name: "通知", Aliases: []string{"deliveries"}, Roles: admin,
			Usage: "通知 记录 <编号> / deliveries", Summary: "查看一条告警的每次通知 an alert's delivery log", Run: s.cmdDeliveries},
	}
}

func (s *Service) cmdAck(ctx context.Context, req Request) (string, error) {
	if len(req.Args) == 0 {
		return "", Userf("请写上告警编号，例如「确认 E1123-001」。发送「告警」查看未确认的告警。")
	}
	id := strings.ToUpper(req.Args[0])
	esc, first, err := s.escalations.Ack(ctx, id, req.Member.UserID, "chat")
	if errors.Is(err, push.ErrNoEscalation) {
		return "", Userf("没有编号为「%s」的告警。发送「告警」查看未确认的告警。", id)
	}
	if err != nil {
		return "", err
	}
	if first {
		return fmt.Sprintf("已确认告警 %s「%s」，已停止继续通知，并告知其他接收人。", esc.ID, esc.Title), nil
	}
	switch esc.Status {
	case push.StatusAcked:
		return fmt.Sprintf("告警 %s 已由 %s 于 %s 确认（%s）。", esc.ID, esc.AckedBy, esc.AckedAt.In(s.loc).Format("01-02 15:04"), esc.AckedVia), nil
	case push.StatusResolved:
		return fmt.Sprintf("告警 %s 已自动解除（原因已消除）。", esc.ID), nil
	}
	return fmt.Sprintf("告警 %s 已结束（%s），无需确认。", esc.ID, esc.Status), nil
}

func (s *Service) cmdAlerts(ctx context.Context, req Request) (string, error) {
	if len(req.Args) > 0 && (req.Args[0] == "测试" || strings.EqualFold(req.Args[0], "test")) {
		if !req.Member.HasRole(roster.RoleAdmin) {
			return "", Userf("「告警 测试」仅限管理员使用。")
		}
		esc, err := s.escalations.Raise(ctx, push.Event{Kind: push.KindTest, Subject: "test/" + req.Member.UserID,
			Title: "测试告警", Body: "这是 " + displayName(req.Member) + " 发起的测试告警，请回复确认。"})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("已发起测试告警 %s，按「%s」策略通知。回复「确认 %s」结束。", esc.ID, push.KindTest, esc.ID), nil
	}
	open, err := s.escalationLog.OpenEscalations(ctx)
	if err != nil {
		return "", err
	}
	if len(open) == 0 {
		return "当前没有未确认的告警。", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "未确认的告警 %d 条：", len(open))
	for _, e := range open {
		fmt.Fprintf(&b, "\n· %s %s（第 %d 步，%s 前未确认将通知下一级）", e.ID, e.Title, e.Step+1, e.NextAt.In(s.loc).Format("15:04"))
	}
	b.WriteString("\n回复「确认 <编号>」确认。")
	return b.String(), nil
}

func (s *Service) cmdPolicies(ctx context.Context, req Request) (string, error) {
	ps := s.escalations.Policies()
	var b strings.Builder
	b.WriteString("告警升级策略（按事件类型）：")
	for _, kind := range ps.Kinds() {
		b.WriteString("\n" + ps[kind].Describe())
	}
	return b.String(), nil
}

func (s *Service) cmdDeliveries(ctx context.Context, req Request) (string, error) {
	if len(req.Args) < 2 || req.Args[0] != "记录" && !strings.EqualFold(req.Args[0], "log") {
		return "", Userf("格式：通知 记录 <编号>，例如「通知 记录 E1123-001」。")
	}
	id := strings.ToUpper(req.Args[1])
	esc, err := s.escalationLog.Escalation(ctx, id)
	if errors.Is(err, push.ErrNoEscalation) {
		return "", Userf("没有编号为「%s」的告警。", id)
	}
	if err != nil {
		return "", err
	}
	sent, err := s.escalationLog.SentFor(ctx, id)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "告警 %s「%s」（%s）通知记录：", esc.ID, esc.Title, esc.Status)
	if esc.Status == push.StatusAcked {
		fmt.Fprintf(&b, "\n由 %s 于 %s 通过 %s 确认，用时 %s。", esc.AckedBy, esc.AckedAt.In(s.loc).Format("15:04:05"), esc.AckedVia, esc.AckedAt.Sub(esc.CreatedAt).Round(1e9))
	}
	for _, x := range sent {
		fmt.Fprintf(&b, "\n· %s 第%d步 %s → %s：%s", x.At.In(s.loc).Format("15:04:05"), x.Step+1, x.Channel, x.Target, x.Status)
		if x.ProviderID != "" {
			fmt.Fprintf(&b, " (%s)", x.ProviderID)
		}
		if x.Error != "" {
			fmt.Fprintf(&b, " %s", x.Error)
		}
	}
	return b.String(), nil
}

// CardUpdater updates a template card after a click (wecom.Client).
type CardUpdater interface {
	UpdateCardButton(ctx context.Context, userIDs []string, responseCode, replaceName string) error
}

// cardAckKey prefixes the 确认 button's key; the escalation id follows.
const cardAckKey = "ack:"

// AlertWeCom sends an escalation step as a template card with a 确认 button
// (push.Notifier); if the card cannot be made, as text.
func (s *Service) AlertWeCom(ctx context.Context, userID string, a push.Alert) error {
	m, err := s.AlertMessage(userID, a)
	if err != nil {
		return err
	}
	if err := s.store.QueueOutgoing(ctx, []roster.Outgoing{m}); err != nil {
		return fmt.Errorf("queue alert to %s: %w", userID, err)
	}
	s.outbox.wake()
	return nil
}

// AlertMessage is the alert of an escalation step to userID as a pending
// outgoing message: a template card with a 确认 button or, if the card cannot
// be made, the text (push.AlertQueuer: the engine queues it with the step).
func (s *Service) AlertMessage(userID string, a push.Alert) (roster.Outgoing, error) {
	level := "提醒告警"
	if a.Urgency == push.Critical {
		level = "紧急告警"
	}
	card := wecom.Card{
		// Unique per send: WeCom refuses a task id used before.
		TaskID:  fmt.Sprintf("%s_%d_%d_%s", a.EscalationID, a.Round, a.Step, userID),
		Source:  "值班机器人 · " + level,
		Title:   clip(a.Title, 36),
		Desc:    clip(fmt.Sprintf("%s · 第 %d 步", a.EscalationID, a.Step+1), 44),
		Text:    clip(a.Body+" 点「确认」表示由您处理，系统将停止继续通知。", 112),
		URL:     a.AckURL,
		Buttons: []wecom.CardButton{{Text: "确认 / Ack", Key: cardAckKey + a.EscalationID, Style: 1}},
	}
	now := s.clock.Now().UTC()
	m := roster.Outgoing{ToUser: userID, Status: roster.OutPending, CreatedAt: now, UpdatedAt: now}
	content, err := wecom.MarshalCard(card)
	if err != nil {
		s.log.Warn("alert card not possible, sending text", "id", a.EscalationID, "err", err)
		m.Kind, m.Content = KindText, a.Text
		return m, nil
	}
	m.Kind, m.Content, m.Ref = KindCard, content, a.EscalationID
	return m, nil
}

// AlertsQueued wakes the outbox for alerts the engine queued itself
// (push.AlertQueuer).
func (s *Service) AlertsQueued() { s.outbox.wake() }

// clip shortens s to at most n characters (WeCom's card field limits).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Taken updates every alert card sent about esc to say who acknowledged it
// (each card once, with the response code WeCom returned when it was sent),
// and tells the others whose card could not be updated in a text
// (push.Notifier).
func (s *Service) Taken(ctx context.Context, esc push.Escalation, others []string) {
	name := esc.AckedBy
	if m, err := s.store.Member(ctx, esc.AckedBy); err == nil {
		name = displayName(m)
	}
	label := fmt.Sprintf("已由 %s 于 %s 确认", name, esc.AckedAt.In(s.loc).Format("15:04"))
	updated := make(map[string]bool)
	if s.cards != nil {
		cards, err := s.store.SentCards(ctx, esc.ID)
		if err != nil {
			s.log.Error("list alert cards to update", "id", esc.ID, "err", err)
		}
		for _, c := range cards {
			if err := s.cards.UpdateCardButton(ctx, []string{c.ToUser}, c.ResponseCode, label); err != nil {
				s.log.Warn("update alert card", "id", esc.ID, "user", c.ToUser, "err", err)
				continue
			}
			if err := s.store.UseResponseCode(ctx, c.ID); err != nil {
				s.log.Error("record used response code", "outgoing", c.ID, "err", err)
			}
			updated[c.ToUser] = true
		}
	}
	for _, u := range others {
		if updated[u] {
			continue
		}
		msg := fmt.Sprintf("告警 %s「%s」%s，无需再处理。", esc.ID, esc.Title, label)
		if err := s.NotifyWeCom(ctx, u, msg); err != nil {
			s.log.Error("tell others of the acknowledgement", "id", esc.ID, "user", u, "err", err)
		}
	}
}

// handleCardClick acknowledges from an alert card's 确认 button; the cards
// are then updated by Taken. A click on an alert someone else already took
// updates the clicker's card with the click's response code.
func (s *Service) handleCardClick(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	id, ok := strings.CutPrefix(msg.EventKey, cardAckKey)
	if !ok || s.escalations == nil {
		s.log.Info("template card click recorded", "key", msg.EventKey, "task", msg.TaskID)
		return nil
	}
	esc, first, err := s.escalations.Ack(ctx, id, m.UserID, "card")
	if err != nil {
		s.log.Error("acknowledge from card", "id", id, "err", err)
		return []string{apology}
	}
	if first {
		return nil // Taken has updated the cards
	}
	label := "告警已结束"
	if esc.Status == push.StatusAcked {
		label = fmt.Sprintf("已由 %s 于 %s 确认", esc.AckedBy, esc.AckedAt.In(s.loc).Format("15:04"))
	}
	if s.cards != nil && msg.ResponseCode != "" {
		err := s.cards.UpdateCardButton(ctx, []string{m.UserID}, msg.ResponseCode, label)
		if err == nil {
			return nil
		}
		s.log.Warn("update alert card", "id", id, "err", err)
	}
	return []string{fmt.Sprintf("告警 %s：%s。", id, label)}
}
