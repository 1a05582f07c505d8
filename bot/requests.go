package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// Swaps and leave (换班/请假), see docs/duty-swaps-leave.md.
//
// A swap is one-way: 「换班 12-25 与 李四」 asks 李四 to take the requester's
// place on 12-25. 李四 consents (card or 同意换班), then the leader on duty of
// that shift approves — or an admin, when the shift is closer than the
// swap notice or the office lets only admins approve — and the roster
// changes in the same transaction as the approval. A leave request
// (「请假 12-25 至 12-27 事由」) is approved by an admin, who is then asked to
// put substitutes on the requester's shifts. An undecided request expires
// when the shift (the first shift of the leave) starts.

// cardRequestPrefix starts the key of a swap/leave card's buttons:
// "request:<id>:<action>".
const cardRequestPrefix = "request"

// Request card actions (the last part of the button key).
const (
	actionConsent = "consent"
	actionDecline = "decline"
	actionApprove = "approve"
	actionReject  = "reject"
)

// maxLeaveDays bounds one leave request.
const maxLeaveDays = 31

const swapUsage = `换班命令：
· 换班 <日期> [班次] 与 <姓名> [事由] — 请同事替您值这个班（如 换班 12-25 与 李四）
· 换班 记录 — 我的换班、请假申请
· 换班 取消 <编号> — 撤回还没批准的申请
对方回复「同意换班 <编号>」或「拒绝换班 <编号>」（或点卡片按钮）；对方同意后由带班领导或管理员「批准 <编号>」或「驳回 <编号> [理由]」。`

const leaveUsage = `请假命令：
· 请假 <日期> [至 <日期>] [事由] — 申请请假（如 请假 12-25 至 12-27 探亲），管理员批准后安排替班
· 请假 记录 — 我的申请
· 请假 取消 <编号> — 撤回还没批准的申请
· 请假 登记 <姓名> <日期> [至 <日期>] [原因] — 管理员直接登记`

// requestCommands are 换班 and 请假 requests and their decisions (请假 itself
// is registered with the roster commands; it hands requests to
// cmdLeaveRequest).
func (s *Service) requestCommands() []*Command {
	staff := []roster.Role{roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin}
	deciders := []roster.Role{roster.RoleLeader, roster.RoleAdmin}
	return []*Command{
		{Name: "换班", Aliases: []string{"swap"}, Roles: staff,
			Usage:   "换班 <日期> [班次] 与 <姓名> | 换班 记录 | 换班 取消 <编号> / swap",
			Summary: "请同事替您值班（对方同意、领导批准后生效） ask a colleague to take your shift", Run: s.cmdSwap},
		{Name: "同意换班", Aliases: []string{"consent"}, Roles: staff,
			Usage: "同意换班 <编号> / consent", Summary: "同意替同事值班 agree to take a colleague's shift", Run: s.cmdConsent},
		{Name: "拒绝换班", Aliases: []string{"decline"}, Roles: staff,
			Usage: "拒绝换班 <编号> [理由] / decline", Summary: "不替同事值班 decline a swap", Run: s.cmdDecline},
		{Name: "批准", Aliases: []string{"approve"}, Roles: deciders,
			Usage: "批准 <编号> / approve", Summary: "批准换班或请假申请 approve a swap or leave request", Run: s.cmdApprove},
		{Name: "驳回", Aliases: []string{"reject"}, Roles: deciders,
			Usage: "驳回 <编号> [理由] / reject", Summary: "驳回换班或请假申请 reject a swap or leave request", Run: s.cmdReject},
		{Name: "我的申请", Aliases: []string{"myrequests"}, Roles: staff,
			Usage: "我的申请 / myrequests", Summary: "我的换班、请假申请和待我批准的申请 your requests and those awaiting you", Run: s.cmdMyRequests},
	}
}

// ---- commands

func (s *Service) cmdSwap(ctx context.Context, req Request) (string, error) {
	return s.requestCommand(ctx, req, duty.RequestSwap, swapUsage, s.createSwap)
}

// cmdLeaveRequest is 请假 without 登记: an officer's or leader's request.
func (s *Service) cmdLeaveRequest(ctx context.Context, req Request) (string, error) {
	return s.requestCommand(ctx, req, duty.RequestLeave, leaveUsage, s.createLeave)
}

// requestCommand is what 换班 and 请假 share: alone or with 帮助 it is usage,
// 记录 lists the member's requests, 取消 withdraws one of kind, and anything
// else is a new request, made by create.
func (s *Service) requestCommand(ctx context.Context, req Request, kind, usage string,
	create func(ctx context.Context, m roster.Member, args []string) (string, error)) (string, error) {
	if len(req.Args) == 0 {
		return usage, nil
	}
	switch strings.ToLower(req.Args[0]) {
	case "记录", "list", "log":
		return s.requestsText(ctx, req.Member)
	case "取消", "撤回", "cancel":
		return s.cancelRequest(ctx, req.Member, req.Args[1:], kind)
	case "帮助", "help":
		return usage, nil
	}
	return create(ctx, req.Member, req.Args)
}

func (s *Service) cmdConsent(ctx context.Context, req Request) (string, error) {
	id, _, err := requestID(req.Args, "同意换班")
	if err != nil {
		return "", err
	}
	return s.consent(ctx, req.Member, id)
}

func (s *Service) cmdDecline(ctx context.Context, req Request) (string, error) {
	id, note, err := requestID(req.Args, "拒绝换班")
	if err != nil {
		return "", err
	}
	return s.decline(ctx, req.Member, id, note)
}

func (s *Service) cmdApprove(ctx context.Context, req Request) (string, error) {
	id, note, err := requestID(req.Args, "批准")
	if err != nil {
		return "", err
	}
	return s.approve(ctx, req.Member, id, note)
}

func (s *Service) cmdReject(ctx context.Context, req Request) (string, error) {
	id, note, err := requestID(req.Args, "驳回")
	if err != nil {
		return "", err
	}
	return s.reject(ctx, req.Member, id, note)
}

func (s *Service) cmdMyRequests(ctx context.Context, req Request) (string, error) {
	return s.requestsText(ctx, req.Member)
}

// requestID reads "<编号> [note…]"; "#12" and "12" both work.
func requestID(args []string, cmd string) (int64, string, error) {
	if len(args) == 0 {
		return 0, "", Userf("请写上申请编号，例如「%s 12」。发送「我的申请」查看编号。", cmd)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, "", Userf("「%s」不是申请编号。请写数字编号，例如「%s 12」；发送「我的申请」查看编号。", args[0], cmd)
	}
	return id, strings.Join(args[1:], " "), nil
}

// onRequestCard records a consent or decision from a request card's
// button ("request:<id>:<action>").
func (s *Service) onRequestCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	const unknown = "无法识别这个按钮，请改用文字命令，例如「同意换班 12」「批准 12」。"
	id, action, ok := parseCardKey(msg.EventKey)
	if !ok {
		s.log.Warn("request card click with a malformed key", "key", msg.EventKey, "user", m.UserID)
		return []string{unknown}
	}
	var reply string
	var err error
	switch action {
	case actionConsent:
		reply, err = s.consent(ctx, m, id)
	case actionDecline:
		reply, err = s.decline(ctx, m, id, "")
	case actionApprove:
		reply, err = requireDecider(m, func() (string, error) { return s.approve(ctx, m, id, "") })
	case actionReject:
		reply, err = requireDecider(m, func() (string, error) { return s.reject(ctx, m, id, "") })
	default:
		s.log.Warn("request card click with an unknown action", "key", msg.EventKey, "user", m.UserID)
		return []string{unknown}
	}
	return s.cardReply(reply, err, "request card click", "key", msg.EventKey, "user", m.UserID)
}

// requireDecider runs fn for leaders and admins only (card buttons skip
// the router's role check).
func requireDecider(m roster.Member, fn func() (string, error)) (string, error) {
	if !m.HasAnyRole(roster.RoleLeader, roster.RoleAdmin) {
		return "", Userf("只有带班领导或管理员可以批准或驳回申请。")
	}
	return fn()
}

// ---- creating requests

// createSwap is 换班 <日期> [班次] 与 <姓名> [事由].
func (s *Service) createSwap(ctx context.Context, m roster.Member, args []string) (string, error) {
	d, err := s.day(args[0])
	if err != nil {
		return "", err
	}
	rest := args[1:]
	shiftName := ""
	if len(rest) > 0 {
		if t, ok := s.settings.Shifts.Find(rest[0]); ok {
			shiftName, rest = t.Name, rest[1:]
		}
	}
	if len(rest) > 0 {
		// The words that join the date and the counterpart: 换班 12-25 与 李四.
		for _, w := range []string{"与", "和", "跟", "同", "给", "让", "请", "with", "to"} {
			if strings.EqualFold(rest[0], w) {
				rest = rest[1:]
				break
			}
			if name, ok := strings.CutPrefix(rest[0], w); ok && name != "" && !isASCII(w) {
				rest[0] = name // 与李四
				break
			}
		}
	}
	if len(rest) == 0 {
		return "", Userf("请写明由谁替您值班，例如「换班 %s 与 李四」。\n\n%s", args[0], swapUsage)
	}
	reason := strings.Join(rest[1:], " ")
	if d.Before(s.today()) {
		return "", Userf("%s 已经过去，不能换班。", d.Label())
	}
	_, ms, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	found, err := resolve(ms, rest[:1])
	if err != nil {
		return "", err
	}
	other := found[0]
	mine, err := s.memberShifts(ctx, m.UserID, d, d)
	if err != nil {
		return "", err
	}
	var sr roster.ShiftRoster
	switch {
	case len(mine) == 0:
		return "", Userf("您 %s 没有排班，不需要换班。发送「我的班次」查看您的班次。", d.Label())
	case shiftName != "":
		i := slices.IndexFunc(mine, func(x roster.ShiftRoster) bool { return x.Shift.Name == shiftName })
		if i < 0 {
			return "", Userf("您 %s 不在%s，您当天的班次是：%s。", d.Label(), shiftName, shiftNames(mine))
		}
		sr = mine[i]
	case len(mine) > 1:
		return "", Userf("您 %s 有 %d 个班次（%s），请写明换哪一个，例如「换班 %s %s 与 %s」。",
			d.Label(), len(mine), shiftNames(mine), args[0], mine[0].Shift.Name, rest[0])
	default:
		sr = mine[0]
	}
	if now := s.clock.Now(); !sr.Start.After(now) {
		return "", Userf("%s %s 已于 %s 开始，不能再换班。", d.Label(), sr.Shift.Name, sr.Start.In(s.loc).Format("01-02 15:04"))
	}
	role := roster.RoleOfficer
	if slices.Contains(sr.Leaders, m.UserID) {
		role = roster.RoleLeader
	}
	if other.UserID == m.UserID {
		return "", Userf("不能和自己换班，请写替您值班的同事的姓名。")
	}
	if !other.HasRole(role) {
		return "", Userf("%s 不是%s，不能替您值%s的%s岗位：%s只能和%s换班。",
			displayName(other), role.Label(), sr.Shift.Name, role.Label(), role.Label(), role.Label())
	}
	why, err := s.notFreeFor(ctx, other, sr)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "", Userf("%s，不能替您值 %s %s。请另找同事。", why, d.Label(), sr.Shift.Name)
	}
	open, err := s.duty.Requests(ctx, duty.RequestFilter{UserID: m.UserID, Kind: duty.RequestSwap, Statuses: duty.OpenRequestStatuses()})
	if err != nil {
		return "", err
	}
	for _, r := range open {
		if r.Requester == m.UserID && r.Date == d && r.Shift == sr.Shift.Name {
			return "", Userf("您已提交过 %s %s 的换班申请 #%d（%s）。如要改请别人，请先发送「换班 取消 %d」。",
				d.Label(), sr.Shift.Name, r.ID, s.statusLabel(ctx, r), r.ID)
		}
	}
	r, err := s.duty.AddRequest(ctx, duty.Request{Kind: duty.RequestSwap, Requester: m.UserID, Counterpart: other.UserID,
		Date: d, Shift: sr.Shift.Name, Role: role, Reason: reason, Status: duty.RequestAwaitingConsent,
		NeedsAdmin: s.swapNeedsAdmin(sr.Start), ExpiresAt: sr.Start})
	if err != nil {
		return "", err
	}
	if err := s.armRequestExpiry(ctx, r); err != nil {
		return "", err
	}
	text := fmt.Sprintf("%s 请您替其值 %s %s %s（%s）。", displayName(m), d.Label(), sr.Shift.Name, sr.Shift.Hours(), role.Label())
	if reason != "" {
		text += "事由：" + reason + "。"
	}
	text += fmt.Sprintf("您同意后还需%s批准。也可回复「同意换班 %d」或「拒绝换班 %d」。", s.approverLabel(r, sr), r.ID, r.ID)
	card := wecom.Card{
		Source: "值班机器人 · 换班",
		Title:  clip(fmt.Sprintf("换班申请 #%d：%s %s", r.ID, shortDate(d), sr.Shift.Name), 36),
		Desc:   clip(fmt.Sprintf("%s 请您替班", displayName(m)), 44),
		Text:   clip(text, 112),
		Buttons: []wecom.CardButton{
			{Text: "同意", Key: requestKey(r.ID, actionConsent), Style: 1},
			{Text: "拒绝", Key: requestKey(r.ID, actionDecline)},
		},
	}
	if err := s.sendRequestCard(ctx, other.UserID, r.ID, actionConsent, card, text); err != nil {
		return "", err
	}
	return fmt.Sprintf("已提交换班申请 #%d：请 %s 替您值 %s %s %s（%s）。已请 %s 确认，%s 同意后由%s批准；开班前没有批准则自动作废。发送「换班 取消 %d」可撤回。",
		r.ID, displayName(other), d.Label(), sr.Shift.Name, sr.Shift.Hours(), role.Label(), displayName(other), displayName(other),
		s.approverLabel(r, sr), r.ID), nil
}

// createLeave is 请假 <日期> [至 <日期>] [事由].
func (s *Service) createLeave(ctx context.Context, m roster.Member, args []string) (string, error) {
	if !m.HasAnyRole(roster.RoleOfficer, roster.RoleLeader) {
		return "", Userf("请假申请由值班员或带班领导提出。管理员登记他人请假请用「请假 登记 <姓名> <日期> [至 <日期>] [原因]」。")
	}
	period, rest := splitPeriod(args)
	from, to, err := s.period(period, "")
	if err != nil {
		return "", Userf("%s\n\n%s", err.Error(), leaveUsage)
	}
	today := s.today()
	if from.Before(today) {
		return "", Userf("不能为已经过去的日期申请请假（%s 早于今天 %s）。如需补登，请联系管理员「请假 登记」。", from, today)
	}
	if n := from.DaysUntil(to) + 1; n > maxLeaveDays {
		return "", Userf("一次最多申请 %d 天（您申请了 %d 天），请分段申请。", maxLeaveDays, n)
	}
	reason := strings.Join(rest, " ")
	leaves, err := s.store.Leaves(ctx, from, to)
	if err != nil {
		return "", err
	}
	for _, l := range leaves {
		if l.UserID == m.UserID {
			return "", Userf("您 %s 至 %s 已登记请假，无需再申请。", l.From, l.To)
		}
	}
	open, err := s.duty.Requests(ctx, duty.RequestFilter{UserID: m.UserID, Kind: duty.RequestLeave, Statuses: duty.OpenRequestStatuses()})
	if err != nil {
		return "", err
	}
	for _, r := range open {
		if r.Requester == m.UserID && !r.To.Before(from) && !r.From.After(to) {
			return "", Userf("您已有 %s 至 %s 的请假申请 #%d（%s）。如要修改，请先发送「请假 取消 %d」。", r.From, r.To, r.ID, s.statusLabel(ctx, r), r.ID)
		}
	}
	shifts, err := s.memberShifts(ctx, m.UserID, from, to)
	if err != nil {
		return "", err
	}
	// It lapses when the first of the requester's shifts in the period
	// starts; with none ahead, when the period ends.
	now := s.clock.Now()
	expires := to.AddDays(1).At(0, s.loc)
	for _, sr := range shifts {
		if sr.Start.After(now) {
			expires = sr.Start
			break
		}
	}
	r, err := s.duty.AddRequest(ctx, duty.Request{Kind: duty.RequestLeave, Requester: m.UserID, From: from, To: to,
		Reason: reason, Status: duty.RequestAwaitingApproval, NeedsAdmin: true, ExpiresAt: expires})
	if err != nil {
		return "", err
	}
	if err := s.armRequestExpiry(ctx, r); err != nil {
		return "", err
	}
	text := fmt.Sprintf("%s 申请 %s 请假", displayName(m), periodLabel(from, to))
	if reason != "" {
		text += "（" + reason + "）"
	}
	text += "。" + shiftsSummary(shifts) + fmt.Sprintf("批准后请安排替班。也可回复「批准 %d」或「驳回 %d <理由>」。", r.ID, r.ID)
	card := wecom.Card{
		Source: "值班机器人 · 请假",
		Title:  clip(fmt.Sprintf("请假申请 #%d：%s", r.ID, displayName(m)), 36),
		Desc:   clip(periodLabel(from, to), 44),
		Text:   clip(text, 112),
		Buttons: []wecom.CardButton{
			{Text: "批准", Key: requestKey(r.ID, actionApprove), Style: 1},
			{Text: "驳回", Key: requestKey(r.ID, actionReject)},
		},
	}
	admins, err := s.adminIDs(ctx, m.UserID)
	if err != nil {
		return "", err
	}
	for _, a := range admins {
		if err := s.sendRequestCard(ctx, a, r.ID, actionApprove, card, text); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("已提交请假申请 #%d：%s。%s已请管理员批准；批准前仍请按排班值班。发送「请假 取消 %d」可撤回。",
		r.ID, periodLabel(from, to), shiftsSummary(shifts), r.ID), nil
}

// ---- decisions

// consent is the counterpart agreeing to take the slot (同意换班 / card).
func (s *Service) consent(ctx context.Context, m roster.Member, id int64) (string, error) {
	r, err := s.loadRequest(ctx, id)
	if err != nil {
		return "", err
	}
	if r.Kind != duty.RequestSwap {
		return "", Userf("#%d 是请假申请，不需要同意。", id)
	}
	if r.Counterpart != m.UserID {
		return "", Userf("换班申请 #%d 是请 %s 替班的，只有本人可以同意或拒绝。", id, s.memberName(ctx, r.Counterpart))
	}
	if r.Status != duty.RequestAwaitingConsent {
		return "", Userf("换班申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, r))
	}
	if expired, err := s.expireIfDue(ctx, r); err != nil || expired {
		return "", orUserf(err, "换班申请 #%d 的班次已开始，申请已过期。", id)
	}
	sr, ok, err := s.shiftRoster(ctx, r.Date, r.Shift)
	if err != nil {
		return "", err
	}
	if !ok || !holdsSlot(sr, r.Requester, r.Role) {
		return "", Userf("%s 已不在 %s %s，换班申请 #%d 不再适用。", s.memberName(ctx, r.Requester), r.Date.Label(), r.Shift, id)
	}
	why, err := s.notFreeFor(ctx, m, sr)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "", Userf("%s，不能替班。请回复「拒绝换班 %d」。", strings.Replace(why, displayName(m), "您", 1), id)
	}
	r, ok, err = s.duty.ConsentRequest(ctx, id, m.UserID, s.swapNeedsAdmin(sr.Start))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("换班申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, r))
	}
	s.updateRequestCards(ctx, r.ID, fmt.Sprintf("已由 %s 同意", displayName(m)))
	approvers, err := s.swapApprovers(ctx, r, sr)
	if err != nil {
		return "", err
	}
	who := s.approverLabel(r, sr)
	text := fmt.Sprintf("%s 申请由 %s 替其值 %s %s %s（%s），%s 已同意。", s.memberName(ctx, r.Requester), displayName(m),
		r.Date.Label(), r.Shift, sr.Shift.Hours(), r.Role.Label(), displayName(m))
	if r.Reason != "" {
		text += "事由：" + r.Reason + "。"
	}
	if r.NeedsAdmin {
		text += s.needsAdminReason() + "，须管理员批准。"
	}
	text += fmt.Sprintf("也可回复「批准 %d」或「驳回 %d <理由>」。", r.ID, r.ID)
	card := wecom.Card{
		Source: "值班机器人 · 换班审批",
		Title:  clip(fmt.Sprintf("换班待批 #%d：%s %s", r.ID, shortDate(r.Date), r.Shift), 36),
		Desc:   clip(fmt.Sprintf("%s → %s", s.memberName(ctx, r.Requester), displayName(m)), 44),
		Text:   clip(text, 112),
		Buttons: []wecom.CardButton{
			{Text: "批准", Key: requestKey(r.ID, actionApprove), Style: 1},
			{Text: "驳回", Key: requestKey(r.ID, actionReject)},
		},
	}
	for _, a := range approvers {
		if err := s.sendRequestCard(ctx, a, r.ID, actionApprove, card, text); err != nil {
			return "", err
		}
	}
	if err := s.NotifyWeCom(ctx, r.Requester, fmt.Sprintf("%s 已同意替您值 %s %s（换班申请 #%d），等待%s批准。",
		displayName(m), r.Date.Label(), r.Shift, r.ID, who)); err != nil {
		return "", err
	}
	return fmt.Sprintf("您已同意替 %s 值 %s %s %s，已提交%s批准，批准后排班才会变更。",
		s.memberName(ctx, r.Requester), r.Date.Label(), r.Shift, sr.Shift.Hours(), who), nil
}

// decline is the counterpart refusing (拒绝换班 / card); until the swap is
// approved the counterpart may still say no.
func (s *Service) decline(ctx context.Context, m roster.Member, id int64, note string) (string, error) {
	r, err := s.loadRequest(ctx, id)
	if err != nil {
		return "", err
	}
	if r.Kind != duty.RequestSwap {
		return "", Userf("#%d 是请假申请，由管理员批准或驳回。", id)
	}
	if r.Counterpart != m.UserID {
		return "", Userf("换班申请 #%d 是请 %s 替班的，只有本人可以同意或拒绝。", id, s.memberName(ctx, r.Counterpart))
	}
	if !r.Open() {
		return "", Userf("换班申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, r))
	}
	r, ok, err := s.duty.CloseRequest(ctx, id, r.Status, duty.RequestDeclined, m.UserID, note)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("换班申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, r))
	}
	s.requestClosed(ctx, r, fmt.Sprintf("已由 %s 拒绝", displayName(m)))
	msg := fmt.Sprintf("%s 不能替您值 %s %s（换班申请 #%d 已结束）", displayName(m), r.Date.Label(), r.Shift, r.ID)
	if note != "" {
		msg += "，理由：" + note
	}
	if err := s.NotifyWeCom(ctx, r.Requester, msg+"。仍由您值班，可另找同事换班。"); err != nil {
		return "", err
	}
	return fmt.Sprintf("已拒绝换班申请 #%d，已告知 %s。", r.ID, s.memberName(ctx, r.Requester)), nil
}

// approve is a leader's or admin's approval (批准 / card).
func (s *Service) approve(ctx context.Context, m roster.Member, id int64, note string) (string, error) {
	r, sr, err := s.decidable(ctx, m, id)
	if err != nil {
		return "", err
	}
	if r.Kind == duty.RequestLeave {
		return s.approveLeave(ctx, m, r, note)
	}
	other, err := s.store.Member(ctx, r.Counterpart)
	if err != nil {
		return "", err
	}
	if !other.Active {
		return "", Userf("%s 已停用，不能批准换班申请 #%d，请「驳回 %d」。", displayName(other), id, id)
	}
	why, err := s.notFreeFor(ctx, other, sr)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "", Userf("不能批准：%s。请「驳回 %d」。", why, id)
	}
	approved, ok, err := s.duty.ApproveSwap(ctx, id, m.UserID, note)
	if errors.Is(err, duty.ErrSlotChanged) {
		return "", Userf("不能批准：%s %s 的排班已经变了（%s 已不在该班次，或 %s 已在该班次）。请「驳回 %d」。",
			r.Date.Label(), r.Shift, s.memberName(ctx, r.Requester), displayName(other), id)
	}
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, approved))
	}
	r = approved
	s.rosterChanged()
	s.requestClosed(ctx, r, fmt.Sprintf("已由 %s 批准", displayName(m)))
	text := fmt.Sprintf("换班已批准（#%d）：%s %s %s 由 %s 替 %s 值班（%s），批准人 %s。排班已更新。",
		r.ID, r.Date.Label(), r.Shift, sr.Shift.Hours(), displayName(other), s.memberName(ctx, r.Requester), r.Role.Label(), displayName(m))
	// Both people and the leaders of the shift (after the swap) hear it;
	// the approver has the reply. A leader's swap is news to the shift's
	// officers too.
	tell := []string{r.Requester, r.Counterpart}
	others := sr.Leaders
	if r.Role == roster.RoleLeader {
		others = append(replaced(sr.Leaders, r.Requester, r.Counterpart), sr.Officers...)
	}
	for _, l := range others {
		if !slices.Contains(tell, l) {
			tell = append(tell, l)
		}
	}
	tell = slices.DeleteFunc(tell, func(u string) bool { return u == m.UserID })
	if err := s.notifyAll(ctx, tell, text); err != nil {
		return "", err
	}
	return fmt.Sprintf("已批准换班申请 #%d：%s %s 由 %s 替 %s，排班已更新，已通知%s。",
		r.ID, r.Date.Label(), r.Shift, displayName(other), s.memberName(ctx, r.Requester), s.memberNames(ctx, tell)), nil
}

// approveLeave records an approved leave and asks the admins for
// substitutes.
func (s *Service) approveLeave(ctx context.Context, m roster.Member, r duty.Request, note string) (string, error) {
	approved, ok, err := s.duty.ApproveLeave(ctx, r.ID, m.UserID, note)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("申请 #%d %s，无需再操作。", r.ID, s.statusLabel(ctx, approved))
	}
	r = approved
	s.requestClosed(ctx, r, fmt.Sprintf("已由 %s 批准", displayName(m)))
	name := s.memberName(ctx, r.Requester)
	shifts, err := s.memberShifts(ctx, r.Requester, r.From, r.To)
	if err != nil {
		return "", err
	}
	if err := s.NotifyWeCom(ctx, r.Requester, fmt.Sprintf("您 %s 的请假已批准（#%d，批准人 %s）。%s",
		periodLabel(r.From, r.To), r.ID, displayName(m), leaveShiftsNote(shifts))); err != nil {
		return "", err
	}
	cover := s.substituteText(ctx, name, r, shifts)
	admins, err := s.adminIDs(ctx, r.Requester)
	if err != nil {
		return "", err
	}
	if err := s.notifyAll(ctx, slices.DeleteFunc(admins, func(u string) bool { return u == m.UserID }), cover); err != nil {
		return "", err
	}
	// The leaders of the shifts left open hear of it too.
	var leaders []string
	for _, sr := range shifts {
		for _, l := range sr.Leaders {
			if l != r.Requester && l != m.UserID && !slices.Contains(leaders, l) {
				leaders = append(leaders, l)
			}
		}
	}
	if err := s.notifyAll(ctx, leaders, fmt.Sprintf("%s %s 请假已批准（#%d），其所在班次由管理员安排替班。", name, periodLabel(r.From, r.To), r.ID)); err != nil {
		return "", err
	}
	// A shift already inside the coverage window has had its check: look
	// again now that someone is away.
	now := s.clock.Now()
	for _, sr := range shifts {
		if sr.Start.After(now) && !sr.Start.Add(-s.dutySet.CoverageAhead).After(now) {
			if err := s.checkCoverage(ctx, sr.Date, sr.Shift.Name); err != nil {
				return "", err
			}
		}
	}
	return fmt.Sprintf("已批准 %s 的请假申请 #%d，已登记请假。\n\n%s", name, r.ID, cover), nil
}

// reject is a leader's or admin's refusal (驳回 / card).
func (s *Service) reject(ctx context.Context, m roster.Member, id int64, note string) (string, error) {
	if _, _, err := s.decidable(ctx, m, id); err != nil {
		return "", err
	}
	r, ok, err := s.duty.CloseRequest(ctx, id, duty.RequestAwaitingApproval, duty.RequestRejected, m.UserID, note)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, r))
	}
	s.requestClosed(ctx, r, fmt.Sprintf("已由 %s 驳回", displayName(m)))
	why := ""
	if note != "" {
		why = "，理由：" + note
	}
	tell := []string{r.Requester}
	var msg string
	if r.Kind == duty.RequestSwap {
		tell = append(tell, r.Counterpart)
		msg = fmt.Sprintf("换班申请 #%d（%s %s，%s → %s）已被 %s 驳回%s。仍由 %s 值班。", r.ID, r.Date.Label(), r.Shift,
			s.memberName(ctx, r.Requester), s.memberName(ctx, r.Counterpart), displayName(m), why, s.memberName(ctx, r.Requester))
	} else {
		msg = fmt.Sprintf("您 %s 的请假申请 #%d 已被 %s 驳回%s。请按排班值班。", periodLabel(r.From, r.To), r.ID, displayName(m), why)
	}
	if err := s.notifyAll(ctx, tell, msg); err != nil {
		return "", err
	}
	return fmt.Sprintf("已驳回申请 #%d，已告知%s。", r.ID, s.memberNames(ctx, tell)), nil
}

// decidable loads a request awaiting approval that m may decide, with its
// slot (swaps).
func (s *Service) decidable(ctx context.Context, m roster.Member, id int64) (duty.Request, roster.ShiftRoster, error) {
	var sr roster.ShiftRoster
	r, err := s.loadRequest(ctx, id)
	if err != nil {
		return r, sr, err
	}
	if r.Status == duty.RequestAwaitingConsent {
		return r, sr, Userf("换班申请 #%d 还在等 %s 同意，同意后才能批准或驳回。", id, s.memberName(ctx, r.Counterpart))
	}
	if r.Status != duty.RequestAwaitingApproval {
		return r, sr, Userf("申请 #%d %s，无需再操作。", id, s.statusLabel(ctx, r))
	}
	if r.Requester == m.UserID || r.Counterpart == m.UserID {
		return r, sr, Userf("申请 #%d 是您本人的申请，须由其他人批准。", id)
	}
	if expired, err := s.expireIfDue(ctx, r); err != nil || expired {
		return r, sr, orUserf(err, "申请 #%d 开始前没有批准，已过期。", id)
	}
	if r.Kind == duty.RequestSwap {
		var ok bool
		if sr, ok, err = s.shiftRoster(ctx, r.Date, r.Shift); err != nil {
			return r, sr, err
		}
		if !ok {
			sr = roster.ShiftRoster{Date: r.Date, Shift: roster.ShiftTemplate{Name: r.Shift}}
		}
	}
	if m.HasRole(roster.RoleAdmin) {
		return r, sr, nil
	}
	switch {
	case r.Kind == duty.RequestLeave:
		return r, sr, Userf("请假申请 #%d 由管理员批准。", id)
	case r.NeedsAdmin:
		return r, sr, Userf("换班申请 #%d 须由管理员批准（%s）。", id, s.needsAdminReason())
	case !slices.Contains(sr.Leaders, m.UserID):
		return r, sr, Userf("只有 %s %s 的带班领导（%s）或管理员可以批准换班申请 #%d。", r.Date.Label(), r.Shift, s.memberNames(ctx, sr.Leaders), id)
	}
	return r, sr, nil
}

// cancelRequest is the requester withdrawing (换班/请假 取消 <编号>).
func (s *Service) cancelRequest(ctx context.Context, m roster.Member, args []string, kind string) (string, error) {
	cmd := "换班 取消"
	if kind == duty.RequestLeave {
		cmd = "请假 取消"
	}
	id, _, err := requestID(args, cmd)
	if err != nil {
		return "", err
	}
	r, err := s.loadRequest(ctx, id)
	if err != nil {
		return "", err
	}
	if r.Requester != m.UserID {
		return "", Userf("申请 #%d 不是您提出的，只有申请人可以撤回。", id)
	}
	if !r.Open() {
		return "", Userf("申请 #%d %s，不能撤回。", id, s.statusLabel(ctx, r))
	}
	r, ok, err := s.duty.CloseRequest(ctx, id, r.Status, duty.RequestCancelled, m.UserID, "")
	if err != nil {
		return "", err
	}
	if !ok {
		return "", Userf("申请 #%d %s，不能撤回。", id, s.statusLabel(ctx, r))
	}
	s.requestClosed(ctx, r, "申请人已撤回")
	if r.Kind == duty.RequestSwap {
		if err := s.NotifyWeCom(ctx, r.Counterpart, fmt.Sprintf("%s 已撤回换班申请 #%d（%s %s），无需替班。",
			displayName(m), r.ID, r.Date.Label(), r.Shift)); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("已撤回申请 #%d。", r.ID), nil
}

// ---- deadlines

// onRequestExpiry closes a swap or leave request nobody decided in time.
func (s *Service) onRequestExpiry(ctx context.Context, d duty.Deadline) error {
	id := d.Ref
	if id == 0 {
		// The key says it too: "request_expiry/#42".
		_, num, _ := strings.Cut(d.Key, "/#")
		id, _ = strconv.ParseInt(num, 10, 64)
	}
	r, err := s.duty.Request(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		s.log.Warn("request expiry for a request that does not exist", "key", d.Key)
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.expire(ctx, r)
	return err
}

// expireIfDue expires an open request whose time has come (its deadline
// may not have fired yet) and reports whether it did.
func (s *Service) expireIfDue(ctx context.Context, r duty.Request) (bool, error) {
	if s.clock.Now().Before(r.ExpiresAt) {
		return false, nil
	}
	if _, err := s.expire(ctx, r); err != nil {
		return false, err
	}
	return true, nil
}

// expire closes an undecided request and tells the people in it; a
// request already decided is left alone.
func (s *Service) expire(ctx context.Context, r duty.Request) (bool, error) {
	if !r.Open() {
		return false, nil
	}
	r, ok, err := s.duty.CloseRequest(ctx, r.ID, r.Status, duty.RequestExpired, "system", "开始前没有完成审批")
	if err != nil || !ok {
		return false, err
	}
	s.updateRequestCards(ctx, r.ID, "已过期")
	if r.Kind == duty.RequestLeave {
		return true, s.NotifyWeCom(ctx, r.Requester, fmt.Sprintf("您 %s 的请假申请 #%d 在开始前没有批准，已过期。请按排班值班；如确需请假，请直接联系管理员。",
			periodLabel(r.From, r.To), r.ID))
	}
	stage := "对方没有同意"
	if !r.ConsentAt.IsZero() {
		stage = "没有批准"
	}
	err = s.notifyAll(ctx, []string{r.Requester, r.Counterpart}, fmt.Sprintf("换班申请 #%d（%s %s，%s → %s）开班前%s，已过期。仍由 %s 值班。",
		r.ID, r.Date.Label(), r.Shift, s.memberName(ctx, r.Requester), s.memberName(ctx, r.Counterpart), stage, s.memberName(ctx, r.Requester)))
	return true, err
}

// armRequestExpiry stores and arms the request's expiry deadline.
func (s *Service) armRequestExpiry(ctx context.Context, r duty.Request) error {
	d := duty.Deadline{Key: duty.RefKey(duty.KindRequestExpiry, r.ID), Kind: duty.KindRequestExpiry, Date: r.Date,
		Shift: r.Shift, UserID: r.Requester, Ref: r.ID, DueAt: r.ExpiresAt.UTC()}
	if r.Kind == duty.RequestLeave {
		d.Date = r.From
	}
	if err := s.dutySched.Add(ctx, d); err != nil {
		return fmt.Errorf("arm expiry of request #%d: %w", r.ID, err)
	}
	return nil
}

// requestClosed disarms a decided request's expiry and updates its cards.
func (s *Service) requestClosed(ctx context.Context, r duty.Request, label string) {
	if err := s.dutySched.Cancel(ctx, duty.RefKey(duty.KindRequestExpiry, r.ID), r.Status); err != nil {
		// Harmless: the handler finds the request decided and does nothing.
		s.log.Error("cancel request expiry", "id", r.ID, "err", err)
	}
	s.updateRequestCards(ctx, r.ID, label)
}

// onCoverage: a shift starts within CoverageAhead; understaffed → admins.
func (s *Service) onCoverage(ctx context.Context, d duty.Deadline) error {
	return s.checkCoverage(ctx, d.Date, d.Shift)
}

// checkCoverage raises (once per slot) an understaffed escalation when a
// running shift has fewer officers than it needs, or no leader where one
// is required, not counting people on leave that day.
func (s *Service) checkCoverage(ctx context.Context, d roster.Date, shift string) error {
	sr, ok, err := s.shiftRoster(ctx, d, shift)
	if err != nil {
		return err
	}
	if !ok || !sr.Runs || sr.Start.Before(s.clock.Now()) {
		return nil
	}
	leaves, err := s.store.Leaves(ctx, d, d)
	if err != nil {
		return err
	}
	away := make(map[string]bool)
	for _, l := range leaves {
		away[l.UserID] = true
	}
	var officers, leaders, absent []string
	for _, u := range sr.Officers {
		if away[u] {
			absent = append(absent, u)
		} else {
			officers = append(officers, u)
		}
	}
	for _, u := range sr.Leaders {
		if away[u] {
			absent = append(absent, u)
		} else {
			leaders = append(leaders, u)
		}
	}
	short := len(officers) < sr.Shift.Officers
	noLeader := sr.Shift.LeaderRequired && len(leaders) == 0
	if !short && !noLeader {
		return nil
	}
	var parts []string
	if short {
		parts = append(parts, fmt.Sprintf("需 %d 名值班员，现 %d 名", sr.Shift.Officers, len(officers)))
	}
	if noLeader {
		parts = append(parts, "无带班领导")
	}
	title := fmt.Sprintf("%s %s缺人：%s", shortDate(d), shift, strings.Join(parts, "，"))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s 将于 %s 开始。", d.Label(), shift, sr.Shift.Hours(), sr.Start.In(s.loc).Format("01-02 15:04"))
	if len(officers) > 0 {
		fmt.Fprintf(&b, "值班员：%s。", s.memberNames(ctx, officers))
	}
	if len(leaders) > 0 {
		fmt.Fprintf(&b, "带班领导：%s。", s.memberNames(ctx, leaders))
	}
	if len(absent) > 0 {
		fmt.Fprintf(&b, "请假：%s。", s.memberNames(ctx, absent))
	}
	if short {
		fmt.Fprintf(&b, "请发送「排班 添加 %s %s <姓名>」安排值班员。", d, shift)
	}
	if noLeader {
		fmt.Fprintf(&b, "请发送「排班 设置 %s %s 领导 <姓名>」安排带班领导。", d, shift)
	}
	_, err = s.raiseOnce(ctx, push.Event{Kind: push.KindUnderstaffed, Subject: fmt.Sprintf("coverage/%s/%s", d, shift),
		Title: title, Body: b.String()})
	return err
}

// ---- listing

// requestsText lists m's requests and, for leaders and admins, those
// awaiting their decision.
func (s *Service) requestsText(ctx context.Context, m roster.Member) (string, error) {
	mine, err := s.duty.Requests(ctx, duty.RequestFilter{UserID: m.UserID, Limit: 10})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if len(mine) == 0 {
		b.WriteString("您还没有换班或请假申请。")
	} else {
		b.WriteString("我的申请（最近 10 条，新的在前）：")
		for _, r := range mine {
			b.WriteString("\n· " + s.requestLine(ctx, r))
		}
	}
	if m.HasAnyRole(roster.RoleLeader, roster.RoleAdmin) {
		waiting, err := s.duty.Requests(ctx, duty.RequestFilter{Statuses: []string{duty.RequestAwaitingApproval}})
		if err != nil {
			return "", err
		}
		var lines []string
		for _, r := range waiting {
			ok, err := s.mayDecide(ctx, m, r)
			if err != nil {
				return "", err
			}
			if ok {
				lines = append(lines, s.requestLine(ctx, r))
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "\n\n待您批准 %d 条（回复「批准 <编号>」或「驳回 <编号> [理由]」）：", len(lines))
			for _, l := range lines {
				b.WriteString("\n· " + l)
			}
		}
	}
	return b.String(), nil
}

// mayDecide reports whether m may decide r now (for the list; decidable
// says why not).
func (s *Service) mayDecide(ctx context.Context, m roster.Member, r duty.Request) (bool, error) {
	if r.Status != duty.RequestAwaitingApproval || r.Requester == m.UserID || r.Counterpart == m.UserID || !s.clock.Now().Before(r.ExpiresAt) {
		return false, nil
	}
	if m.HasRole(roster.RoleAdmin) {
		return true, nil
	}
	if r.Kind != duty.RequestSwap || r.NeedsAdmin {
		return false, nil
	}
	sr, ok, err := s.shiftRoster(ctx, r.Date, r.Shift)
	if err != nil {
		return false, err
	}
	return ok && slices.Contains(sr.Leaders, m.UserID), nil
}

func (s *Service) requestLine(ctx context.Context, r duty.Request) string {
	if r.Kind == duty.RequestLeave {
		line := fmt.Sprintf("#%d 请假 %s %s", r.ID, s.memberName(ctx, r.Requester), periodLabel(r.From, r.To))
		if r.Reason != "" {
			line += "（" + r.Reason + "）"
		}
		return line + "：" + s.statusLabel(ctx, r)
	}
	return fmt.Sprintf("#%d 换班 %s %s %s → %s：%s", r.ID, shortDate(r.Date), r.Shift,
		s.memberName(ctx, r.Requester), s.memberName(ctx, r.Counterpart), s.statusLabel(ctx, r))
}

// statusLabel says where a request stands.
func (s *Service) statusLabel(ctx context.Context, r duty.Request) string {
	by := s.memberName(ctx, r.DecidedBy)
	switch r.Status {
	case duty.RequestAwaitingConsent:
		return "等待 " + s.memberName(ctx, r.Counterpart) + " 同意"
	case duty.RequestAwaitingApproval:
		if r.NeedsAdmin {
			return "等待管理员批准"
		}
		return "等待带班领导批准"
	case duty.RequestApproved:
		return "已由 " + by + " 批准"
	case duty.RequestRejected:
		return "已被 " + by + " 驳回"
	case duty.RequestDeclined:
		return "已被 " + by + " 拒绝"
	case duty.RequestExpired:
		return "已过期"
	case duty.RequestCancelled:
		return "已撤回"
	}
	return r.Status
}

// ---- helpers

func (s *Service) loadRequest(ctx context.Context, id int64) (duty.Request, error) {
	r, err := s.duty.Request(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		return r, Userf("没有编号为 #%d 的申请。发送「我的申请」查看编号。", id)
	}
	return r, err
}

// orUserf returns err when there is one, else a user error.
func orUserf(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return Userf(format, args...)
}

// swapNeedsAdmin reports whether a swap of a shift starting at start needs
// an admin's approval.
func (s *Service) swapNeedsAdmin(start time.Time) bool {
	return s.dutySet.SwapApprover == duty.ApproverAdmin || start.Sub(s.clock.Now()) < s.dutySet.SwapNotice
}

// needsAdminReason says why a swap needs an admin.
func (s *Service) needsAdminReason() string {
	if s.dutySet.SwapApprover == duty.ApproverAdmin {
		return "本单位换班由管理员批准"
	}
	return fmt.Sprintf("距开班不足 %s", hoursLabel(s.dutySet.SwapNotice))
}

// swapApprovers are who get the approval card: the leaders of the slot
// (not the requester) when a leader may approve, else every admin.
func (s *Service) swapApprovers(ctx context.Context, r duty.Request, sr roster.ShiftRoster) ([]string, error) {
	if !r.NeedsAdmin {
		if ls := slotApprovers(r, sr); len(ls) > 0 {
			return ls, nil
		}
	}
	return s.adminIDs(ctx, r.Requester, r.Counterpart)
}

// slotApprovers are the slot's leaders other than the two people in r.
func slotApprovers(r duty.Request, sr roster.ShiftRoster) []string {
	var out []string
	for _, l := range sr.Leaders {
		if l != r.Requester && l != r.Counterpart {
			out = append(out, l)
		}
	}
	return out
}

// approverLabel names who approves r, for the messages.
func (s *Service) approverLabel(r duty.Request, sr roster.ShiftRoster) string {
	if !r.NeedsAdmin && len(slotApprovers(r, sr)) > 0 {
		return "带班领导"
	}
	return "管理员"
}

// adminIDs lists the active admins other than except (all of them if
// that leaves nobody).
func (s *Service) adminIDs(ctx context.Context, except ...string) ([]string, error) {
	_, ms, err := s.people(ctx)
	if err != nil {
		return nil, err
	}
	var all, out []string
	for _, m := range ms {
		if m.Active && m.HasRole(roster.RoleAdmin) {
			all = append(all, m.UserID)
			if !slices.Contains(except, m.UserID) {
				out = append(out, m.UserID)
			}
		}
	}
	if len(out) == 0 {
		return all, nil
	}
	return out, nil
}

// notFreeFor says why m cannot take slot sr ("" when they can): already
// on duty that day, on a shift overlapping it, or on leave.
func (s *Service) notFreeFor(ctx context.Context, m roster.Member, sr roster.ShiftRoster) (string, error) {
	around, err := s.memberShifts(ctx, m.UserID, sr.Date.AddDays(-1), sr.Date.AddDays(1))
	if err != nil {
		return "", err
	}
	for _, x := range around {
		switch {
		case x.Date == sr.Date && x.Shift.Name == sr.Shift.Name:
			return fmt.Sprintf("%s 已在 %s %s", displayName(m), sr.Date.Label(), sr.Shift.Name), nil
		case x.Date == sr.Date:
			return fmt.Sprintf("%s %s 已有排班（%s %s）", displayName(m), sr.Date.Label(), x.Shift.Name, x.Shift.Hours()), nil
		case x.Start.Before(sr.End) && sr.Start.Before(x.End):
			return fmt.Sprintf("%s 的 %s %s 与该班次时间重叠", displayName(m), x.Date.Label(), x.Shift.Name), nil
		}
	}
	leaves, err := s.store.Leaves(ctx, sr.Date, sr.Date)
	if err != nil {
		return "", err
	}
	for _, l := range leaves {
		if l.UserID == m.UserID {
			return fmt.Sprintf("%s %s 至 %s 请假", displayName(m), l.From, l.To), nil
		}
	}
	return "", nil
}

// memberShifts lists the slots of duty days from..to userID is on.
func (s *Service) memberShifts(ctx context.Context, userID string, from, to roster.Date) ([]roster.ShiftRoster, error) {
	rosters, err := s.shiftRosters(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []roster.ShiftRoster
	for _, sr := range rosters {
		if slices.Contains(sr.Officers, userID) || slices.Contains(sr.Leaders, userID) {
			out = append(out, sr)
		}
	}
	return out, nil
}

// substituteText asks the admins to cover each of a leave's shifts, with
// the exact 排班 设置 command for each (keeping the slot's other people).
func (s *Service) substituteText(ctx context.Context, name string, r duty.Request, shifts []roster.ShiftRoster) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s 请假已批准（#%d", name, periodLabel(r.From, r.To), r.ID)
	if r.Reason != "" {
		b.WriteString("，" + r.Reason)
	}
	b.WriteString("）。")
	if len(shifts) == 0 {
		b.WriteString("期间没有其班次，无需安排替班。")
		return b.String()
	}
	fmt.Fprintf(&b, "请为以下 %d 个班次安排替班：", len(shifts))
	for _, sr := range shifts {
		role, others := roster.RoleOfficer, sr.Officers
		if slices.Contains(sr.Leaders, r.Requester) {
			role, others = roster.RoleLeader, sr.Leaders
		}
		cmd := fmt.Sprintf("排班 设置 %s %s", sr.Date, sr.Shift.Name)
		if role == roster.RoleLeader {
			cmd += " 领导"
		}
		for _, u := range others {
			if u != r.Requester {
				cmd += " " + s.memberName(ctx, u)
			}
		}
		fmt.Fprintf(&b, "\n· %s %s %s（%s）：发送「%s <替班人>」", sr.Date.Label(), sr.Shift.Name, sr.Shift.Hours(), role.Label(), cmd)
	}
	return b.String()
}

// sendRequestCard sends a request card (ref "request:<id>"), or the text
// when the card cannot be made.
func (s *Service) sendRequestCard(ctx context.Context, userID string, id int64, stage string, card wecom.Card, text string) error {
	// Unique per send: WeCom refuses a task id used before.
	card.TaskID = fmt.Sprintf("req%d-%s-%s-%d", id, stage, userID, s.clock.Now().UnixMilli())
	if _, err := wecom.MarshalCard(card); err != nil {
		s.log.Warn("request card not possible, sending text", "id", id, "err", err)
		return s.NotifyWeCom(ctx, userID, text)
	}
	return s.queueCard(ctx, userID, card, requestRef(id))
}

// updateRequestCards replaces the buttons of every card sent about a
// request with label, so nobody acts on a decided step.
func (s *Service) updateRequestCards(ctx context.Context, id int64, label string) {
	if s.cards == nil {
		return
	}
	cards, err := s.store.SentCards(ctx, requestRef(id))
	if err != nil {
		s.log.Error("list request cards to update", "id", id, "err", err)
		return
	}
	for _, c := range cards {
		if err := s.cards.UpdateCardButton(ctx, []string{c.ToUser}, c.ResponseCode, label); err != nil {
			s.log.Warn("update request card", "id", id, "user", c.ToUser, "err", err)
			continue
		}
		if err := s.store.UseResponseCode(ctx, c.ID); err != nil {
			s.log.Error("record used response code", "outgoing", c.ID, "err", err)
		}
	}
}

func requestRef(id int64) string { return fmt.Sprintf("%s:%d", cardRequestPrefix, id) }

func requestKey(id int64, action string) string {
	return fmt.Sprintf("%s:%d:%s", cardRequestPrefix, id, action)
}

// memberName is a member's name, or the userid when unknown.
func (s *Service) memberName(ctx context.Context, userID string) string {
	if m, err := s.store.Member(ctx, userID); err == nil {
		return displayName(m)
	}
	return userID
}

func (s *Service) memberNames(ctx context.Context, ids []string) string {
	if len(ids) == 0 {
		return "（无）"
	}
	names := make([]string, len(ids))
	for i, u := range ids {
		names[i] = s.memberName(ctx, u)
	}
	return strings.Join(names, "、")
}

func holdsSlot(sr roster.ShiftRoster, userID string, role roster.Role) bool {
	if role == roster.RoleLeader {
		return slices.Contains(sr.Leaders, userID)
	}
	return slices.Contains(sr.Officers, userID)
}

// replaced is ids with old replaced by repl.
func replaced(ids []string, old, repl string) []string {
	out := slices.Clone(ids)
	for i, u := range out {
		if u == old {
			out[i] = repl
		}
	}
	return out
}

func shiftNames(srs []roster.ShiftRoster) string {
	names := make([]string, len(srs))
	for i, sr := range srs {
		names[i] = sr.Shift.Name + " " + sr.Shift.Hours()
	}
	return strings.Join(names, "、")
}

// shiftsSummary lists a leave's shifts for the messages.
func shiftsSummary(srs []roster.ShiftRoster) string {
	if len(srs) == 0 {
		return "期间没有您的班次。"
	}
	names := make([]string, len(srs))
	for i, sr := range srs {
		names[i] = shortDate(sr.Date) + " " + sr.Shift.Name
	}
	return fmt.Sprintf("期间有 %d 个班次：%s。", len(srs), strings.Join(names, "、"))
}

func leaveShiftsNote(srs []roster.ShiftRoster) string {
	if len(srs) == 0 {
		return ""
	}
	return "期间的班次由管理员安排替班，替班安排好之前请留意通知。"
}

// shortDate is "12-25".
func shortDate(d roster.Date) string { return fmt.Sprintf("%02d-%02d", int(d.Month), d.Day) }

// periodLabel is "12月25日 周五" or "12月25日 周五 至 12月27日 周日".
func periodLabel(from, to roster.Date) string {
	if from == to {
		return from.Label()
	}
	return from.Label() + " 至 " + to.Label()
}

// hoursLabel is a notice period as officers read it: "24 小时".
func hoursLabel(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d 小时", int(d/time.Hour))
	}
	return fmt.Sprintf("%d 分钟", int(d/time.Minute))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
