package bot

import (
	"slices"
	"strings"
	"testing"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// The swap and leave tests start from the shared roster (clock 07:50 on
// 12-02): 12-02 白班 张三 + 王五 (starts in 40 minutes), 12-02 夜班 李四 + 王五
// (in 9 h 40 min: inside the 24 h notice, so an admin approves), 12-03 白班
// 孙八 + 王五 (in 24 h 40 min: beyond the notice, so the leader 王五 approves).

var reqNextDay = dutyDay.AddDays(1) // 2026-12-03

// reqStatus is the stored status of request id.
func (e *dutyEnv) reqStatus(id int64) duty.Request {
	e.t.Helper()
	r, err := e.duty.Request(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// reqSlot lists a slot's people as "role:userid".
func (e *dutyEnv) reqSlot(d roster.Date, shift string) []string {
	e.t.Helper()
	as, err := e.store.Assignments(e.ctx, d, d)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		if a.Shift == shift {
			out = append(out, string(a.Role)+":"+a.UserID)
		}
	}
	return out
}

// reqCardTo returns the one card queued to user in msgs and fails unless
// it has the button keys.
func reqCardTo(t *testing.T, msgs []sentMsg, user string, keys ...string) sentMsg {
	t.Helper()
	var cards []sentMsg
	for _, m := range sentTo(msgs, user) {
		if m.Kind == KindCard {
			cards = append(cards, m)
		}
	}
	if len(cards) != 1 {
		t.Fatalf("%d cards to %s, want 1 (sent: %+v)", len(cards), user, msgs)
	}
	for _, k := range keys {
		mustContainAll(t, "card to "+user, cards[0].Content, `"key":"`+k+`"`)
	}
	return cards[0]
}

// reqTexts joins the texts queued to user in msgs.
func reqTexts(msgs []sentMsg, user string) string {
	var out []string
	for _, m := range sentTo(msgs, user) {
		if m.Kind != KindCard {
			out = append(out, m.Content)
		}
	}
	return strings.Join(out, "\n")
}

func TestSwapApprovedByLeaderBeyondNotice(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	reply := e.say("sunba", "换班 12-03 与 张三 家中有事")
	mustContainAll(t, "swap reply", reply, "#1", "张三", "12月3日", "白班", "带班领导")
	msgs := e.sent()
	card := reqCardTo(t, msgs, "zhangsan", "request:1:consent", "request:1:decline")
	mustContainAll(t, "consent card", card.Content, "换班申请 #1", "孙八", "家中有事")
	if card.Ref != "request:1" {
		t.Errorf("card ref %q, want request:1", card.Ref)
	}
	if r := e.reqStatus(1); r.Status != duty.RequestAwaitingConsent || r.NeedsAdmin || r.Counterpart != "zhangsan" || r.Role != roster.RoleOfficer {
		t.Fatalf("request after 换班: %+v", r)
	}
	if d, err := e.duty.Deadline(e.ctx, duty.RefKey(duty.KindRequestExpiry, 1)); err != nil || d.Status != duty.DeadlineOpen ||
		!d.DueAt.Equal(reqNextDay.At(8*60+30, e.loc)) {
		t.Fatalf("expiry deadline = %+v, %v; want open at 12-03 08:30", d, err)
	}

	// 王五 cannot approve before 张三 agrees.
	mustContainAll(t, "early approval", e.say("wangwu", "批准 1"), "还在等 张三 同意")

	reply = e.click("zhangsan", "request:1:consent")
	mustContainAll(t, "consent reply", reply, "您已同意替 孙八", "带班领导")
	msgs = e.sent()
	reqCardTo(t, msgs, "wangwu", "request:1:approve", "request:1:reject")
	if cards := sentTo(msgs, "zhaoliu"); len(cards) != 0 {
		t.Errorf("the admin got %+v; beyond the notice the leader approves", cards)
	}
	mustContainAll(t, "requester told of consent", reqTexts(msgs, "sunba"), "张三 已同意", "#1")
	if r := e.reqStatus(1); r.Status != duty.RequestAwaitingApproval || r.ConsentAt.IsZero() {
		t.Fatalf("request after consent: %+v", r)
	}

	reply = e.click("wangwu", "request:1:approve")
	mustContainAll(t, "approval reply", reply, "已批准换班申请 #1", "张三 替 孙八")
	if got, want := e.reqSlot(reqNextDay, "白班"), []string{"leader:wangwu", "officer:zhangsan"}; !slices.Equal(got, want) {
		t.Errorf("12-03 白班 = %v, want %v", got, want)
	}
	audit, err := e.store.Audit(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "换班 批准" || audit[0].Actor != "wangwu" || !strings.Contains(audit[0].Before, "sunba") || !strings.Contains(audit[0].After, "zhangsan") {
		t.Errorf("audit = %+v", audit)
	}
	msgs = e.sent()
	for _, u := range []string{"sunba", "zhangsan"} {
		mustContainAll(t, "approval told to "+u, reqTexts(msgs, u), "换班已批准", "张三 替 孙八", "王五")
	}
	if r := e.reqStatus(1); r.Status != duty.RequestApproved || r.DecidedBy != "wangwu" {
		t.Errorf("request after approval: %+v", r)
	}
	if d, _ := e.duty.Deadline(e.ctx, duty.RefKey(duty.KindRequestExpiry, 1)); d.Status != duty.DeadlineVoid {
		t.Errorf("expiry deadline %s after approval, want void", d.Status)
	}
	// The new officer's deadlines are planned.
	if err := e.sched.PlanNow(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.duty.Deadline(e.ctx, duty.SlotKey(duty.KindCheckinGrace, reqNextDay, "白班", "zhangsan")); err != nil {
		t.Errorf("张三's check-in on 12-03 not planned: %v", err)
	}
	// A second tap changes nothing.
	mustContainAll(t, "second approval", e.click("wangwu", "request:1:approve"), "已由 王五 批准")
	if got := e.sent(); len(got) != 0 {
		t.Errorf("second approval sent %+v", got)
	}
	// The history shows it.
	mustContainAll(t, "我的申请", e.say("sunba", "我的申请"), "#1 换班 12-03 白班 孙八 → 张三：已由 王五 批准")
}

func TestSwapWithinNoticeNeedsAdmin(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	// 12-02 夜班 starts at 17:30, 9 h 40 min away.
	reply := e.say("lisi", "换班 今天 夜班 与 孙八")
	mustContainAll(t, "swap reply", reply, "#1", "管理员")
	e.sent()
	if r := e.reqStatus(1); !r.NeedsAdmin {
		t.Fatalf("request inside the notice: NeedsAdmin false")
	}
	mustContainAll(t, "consent", e.say("sunba", "同意换班 1"), "您已同意", "管理员")
	msgs := e.sent()
	reqCardTo(t, msgs, "zhaoliu", "request:1:approve", "request:1:reject")
	for _, m := range sentTo(msgs, "wangwu") {
		t.Errorf("the leader got %+v; inside the notice only admins approve", m)
	}
	mustContainAll(t, "leader approval", e.say("wangwu", "批准 1"), "须由管理员批准", "24 小时")
	mustContainAll(t, "leader by card", e.click("wangwu", "request:1:approve"), "须由管理员批准")
	if r := e.reqStatus(1); r.Status != duty.RequestAwaitingApproval {
		t.Fatalf("a leader's approval changed the request: %+v", r)
	}
	mustContainAll(t, "admin approval", e.say("zhaoliu", "approve #1"), "已批准换班申请 #1", "孙八 替 李四")
	if got, want := e.reqSlot(dutyDay, "夜班"), []string{"leader:wangwu", "officer:sunba"}; !slices.Equal(got, want) {
		t.Errorf("12-02 夜班 = %v, want %v", got, want)
	}
	msgs = e.sent()
	for _, u := range []string{"lisi", "sunba", "wangwu"} {
		mustContainAll(t, "approval told to "+u, reqTexts(msgs, u), "换班已批准", "孙八 替 李四", "赵六")
	}
}

func TestSwapDeclinedAndRejected(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.say("sunba", "换班 12-03 与 李四")
	e.sent()
	mustContainAll(t, "someone else declines", e.say("zhangsan", "拒绝换班 1"), "只有本人")
	mustContainAll(t, "decline", e.click("lisi", "request:1:decline"), "已拒绝换班申请 #1")
	mustContainAll(t, "requester told", reqTexts(e.sent(), "sunba"), "李四 不能替您值", "仍由您值班")
	if r := e.reqStatus(1); r.Status != duty.RequestDeclined || r.DecidedBy != "lisi" {
		t.Errorf("after decline: %+v", r)
	}
	mustContainAll(t, "consent after decline", e.say("lisi", "同意换班 1"), "已被 李四 拒绝")

	// A new request for the same slot, consented, then rejected.
	mustContainAll(t, "second request", e.say("sunba", "换班 12-03 白班 与张三"), "#2")
	e.click("zhangsan", "request:2:consent")
	e.sent()
	mustContainAll(t, "reject", e.say("wangwu", "驳回 2 当天人手紧"), "已驳回申请 #2")
	msgs := e.sent()
	for _, u := range []string{"sunba", "zhangsan"} {
		mustContainAll(t, "rejection told to "+u, reqTexts(msgs, u), "#2", "驳回", "当天人手紧")
	}
	if r := e.reqStatus(2); r.Status != duty.RequestRejected || r.Note != "当天人手紧" {
		t.Errorf("after reject: %+v", r)
	}
	if got, want := e.reqSlot(reqNextDay, "白班"), []string{"leader:wangwu", "officer:sunba"}; !slices.Equal(got, want) {
		t.Errorf("12-03 白班 = %v after rejection, want unchanged %v", got, want)
	}

	// Consent can be taken back until the approval.
	e.say("sunba", "换班 12-03 与 张三")
	e.say("zhangsan", "同意换班 3")
	e.sent()
	mustContainAll(t, "decline after consent", e.say("zhangsan", "decline 3 临时有任务"), "已拒绝换班申请 #3")
	if r := e.reqStatus(3); r.Status != duty.RequestDeclined {
		t.Errorf("after a late decline: %+v", r)
	}
	mustContainAll(t, "approve a declined swap", e.say("wangwu", "批准 3"), "已被 张三 拒绝")
	mustContainAll(t, "requester told", reqTexts(e.sent(), "sunba"), "临时有任务")
}

func TestSwapWrongApprover(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	if err := e.store.UpsertMember(e.ctx, roster.Member{UserID: "qianqi", Name: "钱七", Roles: []roster.Role{roster.RoleLeader}, Active: true}); err != nil {
		t.Fatal(err)
	}
	e.say("sunba", "换班 12-03 与 张三")
	e.say("zhangsan", "同意换班 1")
	e.sent()
	for _, tc := range []struct {
		name, user, text, want string
	}{
		{"officer", "lisi", "批准 1", "仅限带班领导、管理员"},
		{"officer by card", "lisi", "", "只有带班领导或管理员"},
		{"another leader", "qianqi", "批准 1", "只有 12月3日 周四 白班 的带班领导（王五）或管理员"},
		{"unknown number", "wangwu", "批准 9", "没有编号为 #9"},
		{"no number", "wangwu", "批准", "请写上申请编号"},
		{"not a number", "wangwu", "批准 一", "不是申请编号"},
	} {
		var got string
		if tc.text == "" {
			got = e.click(tc.user, "request:1:approve")
		} else {
			got = e.say(tc.user, tc.text)
		}
		mustContainAll(t, tc.name, got, tc.want)
	}
	if r := e.reqStatus(1); r.Status != duty.RequestAwaitingApproval {
		t.Errorf("after wrong approvers: %+v", r)
	}
	if got := e.sent(); len(got) != 0 {
		t.Errorf("wrong approvers caused messages: %+v", got)
	}
}

func TestSwapBadRequests(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.setRoster(reqNextDay, "夜班", "wangwu", "lisi")
	if _, err := e.store.AddLeave(e.ctx, roster.Leave{UserID: "zhangsan", From: reqNextDay, To: reqNextDay, Reason: "病假"},
		roster.AuditEntry{Actor: "zhaoliu", Action: "请假 登记"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, text, want string
	}{
		{"usage", "sunba", "换班", "换班 <日期> [班次] 与 <姓名>"},
		{"no counterpart", "sunba", "换班 12-03", "请写明由谁替您值班"},
		{"bad date", "sunba", "换班 13-45 与 张三", "13-45"},
		{"unknown counterpart", "sunba", "换班 12-03 与 周九", "找不到成员「周九」"},
		{"himself", "sunba", "换班 12-03 与 孙八", "不能和自己换班"},
		{"on duty that day", "sunba", "换班 12-03 与 李四", "李四 12月3日 周四 已有排班（夜班"},
		{"on leave", "sunba", "换班 12-03 与 张三", "张三 2026-12-03 至 2026-12-03 请假"},
		{"a leader for an officer", "sunba", "换班 12-03 与 王五", "王五 不是值班员"},
		{"not on duty that day", "zhangsan", "换班 12-03 与 李四", "您 12月3日 周四 没有排班"},
		{"not on that shift", "sunba", "换班 12-03 夜班 与 张三", "您 12月3日 周四 不在夜班"},
		{"past date", "zhangsan", "换班 12-01 与 李四", "已经过去"},
	} {
		mustContainAll(t, tc.name, e.say(tc.user, tc.text), tc.want)
	}
	if rs, _ := e.duty.Requests(e.ctx, duty.RequestFilter{}); len(rs) != 0 {
		t.Errorf("bad requests stored %+v", rs)
	}
	if got := e.sent(); len(got) != 0 {
		t.Errorf("bad requests sent %+v", got)
	}

	// Two shifts on one day: the shift must be named.
	e.setRoster(reqNextDay.AddDays(1), "白班", "wangwu", "sunba")
	e.setRoster(reqNextDay.AddDays(1), "夜班", "wangwu", "sunba")
	mustContainAll(t, "two shifts", e.say("sunba", "换班 12-04 与 张三"), "有 2 个班次", "换班 12-04 白班 与 张三")
	// Asking twice for one slot.
	e.say("sunba", "换班 12-04 夜班 与 张三")
	mustContainAll(t, "twice", e.say("sunba", "换班 12-04 夜班 与 李四"), "已提交过", "#1", "换班 取消 1")

	// A shift that has started.
	e.at(0, "09:00")
	mustContainAll(t, "started", e.say("zhangsan", "换班 今天 与 李四"), "已于 12-02 08:30 开始")
}

func TestSwapCancelAndExpiry(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.say("sunba", "换班 12-03 与 张三")
	mustContainAll(t, "cancel by another", e.say("zhangsan", "换班 取消 1"), "只有申请人")
	mustContainAll(t, "cancel", e.say("sunba", "换班 取消 1"), "已撤回申请 #1")
	if r := e.reqStatus(1); r.Status != duty.RequestCancelled {
		t.Errorf("after cancel: %+v", r)
	}
	mustContainAll(t, "counterpart told", reqTexts(e.sent(), "zhangsan"), "已撤回换班申请 #1")

	e.say("sunba", "换班 12-03 与 张三")
	e.say("zhangsan", "同意换班 2")
	e.sent()
	e.at(1, "08:30")
	d, err := e.duty.Deadline(e.ctx, duty.RefKey(duty.KindRequestExpiry, 2))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a restart may run it again
		if err := e.svc.HandleDeadline(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.reqStatus(2); r.Status != duty.RequestExpired || r.DecidedBy != "system" {
		t.Errorf("after expiry: %+v", r)
	}
	msgs := e.sent()
	for _, u := range []string{"sunba", "zhangsan"} {
		if got := sentTo(msgs, u); len(got) != 1 {
			t.Errorf("%s got %d messages on expiry, want 1: %+v", u, len(got), got)
		}
		mustContainAll(t, "expiry told to "+u, reqTexts(msgs, u), "#2", "没有批准，已过期", "仍由 孙八 值班")
	}
	mustContainAll(t, "approval after expiry", e.say("wangwu", "批准 2"), "已过期")
	if got, want := e.reqSlot(reqNextDay, "白班"), []string{"leader:wangwu", "officer:sunba"}; !slices.Equal(got, want) {
		t.Errorf("12-03 白班 = %v after expiry, want %v", got, want)
	}
}

func TestLeaveRequestApproved(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	mustContainAll(t, "officer 请假 登记", e.say("sunba", "请假 登记 孙八 12-03"), "仅限管理员")
	mustContainAll(t, "past leave", e.say("sunba", "请假 12-01"), "已经过去")
	mustContainAll(t, "admin's own leave", e.say("zhaoliu", "请假 12-05"), "值班员或带班领导")
	mustContainAll(t, "admin 请假 登记", e.say("zhaoliu", "请假 登记 张三 12-10 病假"), "已登记 张三")

	reply := e.say("sunba", "请假 12-03 至 12-04 探亲")
	mustContainAll(t, "leave reply", reply, "已提交请假申请 #1", "12-03 白班", "管理员")
	msgs := e.sent()
	card := reqCardTo(t, msgs, "zhaoliu", "request:1:approve", "request:1:reject")
	mustContainAll(t, "leave card", card.Content, "请假申请 #1", "孙八", "探亲")
	mustContainAll(t, "leader approves leave", e.say("wangwu", "批准 1"), "由管理员批准")
	mustContainAll(t, "overlapping leave", e.say("sunba", "请假 12-04"), "已有", "#1")

	reply = e.click("zhaoliu", "request:1:approve")
	mustContainAll(t, "approval reply", reply, "已批准 孙八 的请假申请 #1", "请为以下 1 个班次安排替班",
		"排班 设置 2026-12-03 白班 <替班人>")
	leaves, err := e.store.Leaves(e.ctx, reqNextDay, reqNextDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) != 1 || leaves[0].UserID != "sunba" || leaves[0].To != reqNextDay.AddDays(1) || leaves[0].Reason != "探亲" {
		t.Fatalf("leaves = %+v", leaves)
	}
	if r := e.reqStatus(1); r.Status != duty.RequestApproved || r.LeaveID != leaves[0].ID {
		t.Errorf("request after approval: %+v", r)
	}
	audit, err := e.store.Audit(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "请假 批准" || audit[0].Actor != "zhaoliu" {
		t.Errorf("audit = %+v", audit)
	}
	msgs = e.sent()
	mustContainAll(t, "requester told", reqTexts(msgs, "sunba"), "请假已批准", "赵六")
	mustContainAll(t, "leader told", reqTexts(msgs, "wangwu"), "孙八", "请假已批准")

	// 24 h ahead the slot is short: 孙八 is away.
	e.at(0, "08:30")
	e.fire(duty.KindCoverage, reqNextDay, "白班", "")
	open := e.openEscalations()
	if len(open) != 1 || open[0].Kind != push.KindUnderstaffed || open[0].Title != "12-03 白班缺人：需 1 名值班员，现 0 名" {
		t.Fatalf("open escalations = %+v", open)
	}
	mustContainAll(t, "escalation body", open[0].Body, "请假：孙八", "排班 添加 2026-12-03 白班")
}

func TestCoverage(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	// Fully staffed: nothing.
	e.fire(duty.KindCoverage, reqNextDay, "白班", "")
	if open := e.openEscalations(); len(open) != 0 {
		t.Fatalf("a staffed shift raised %+v", open)
	}
	// 12-03 夜班 has nobody; the deadline may run twice (a restart).
	e.at(0, "17:30")
	e.fire(duty.KindCoverage, reqNextDay, "夜班", "")
	e.fire(duty.KindCoverage, reqNextDay, "夜班", "")
	open := e.openEscalations()
	if len(open) != 1 {
		t.Fatalf("%d escalations, want 1: %+v", len(open), open)
	}
	if got := open[0]; got.Kind != push.KindUnderstaffed || got.Subject != "coverage/2026-12-03/夜班" ||
		got.Title != "12-03 夜班缺人：需 1 名值班员，现 0 名，无带班领导" {
		t.Errorf("escalation = %+v", got)
	}
	// The admins hear first.
	msgs := e.sent()
	if len(sentTo(msgs, "zhaoliu")) == 0 {
		t.Errorf("the admin was not alerted: %+v", msgs)
	}
	// A slot with its officer but no leader.
	e.setRoster(reqNextDay.AddDays(1), "白班", "", "zhangsan")
	e.fire(duty.KindCoverage, reqNextDay.AddDays(1), "白班", "")
	if open := e.openEscalations(); len(open) != 2 || open[1].Title != "12-04 白班缺人：无带班领导" {
		t.Errorf("escalations = %+v", open)
	}
}

func TestSwapOfALeader(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	if err := e.store.UpsertMember(e.ctx, roster.Member{UserID: "qianqi", Name: "钱七", Roles: []roster.Role{roster.RoleLeader}, Active: true}); err != nil {
		t.Fatal(err)
	}
	// 王五 leads 12-03 白班 beyond the notice, but he cannot approve his own
	// swap: the admins get it. An officer cannot take a leader's place.
	mustContainAll(t, "officer for a leader", e.say("wangwu", "换班 12-03 与 张三"), "张三 不是带班领导")
	mustContainAll(t, "leader swap", e.say("wangwu", "换班 12-03 与 钱七"), "#1", "管理员")
	e.click("qianqi", "request:1:consent")
	msgs := e.sent()
	reqCardTo(t, msgs, "zhaoliu", "request:1:approve")
	mustContainAll(t, "own approval", e.say("wangwu", "批准 1"), "您本人的申请")
	mustContainAll(t, "admin approval", e.say("zhaoliu", "批准 1"), "钱七 替 王五")
	if got, want := e.reqSlot(reqNextDay, "白班"), []string{"leader:qianqi", "officer:sunba"}; !slices.Equal(got, want) {
		t.Errorf("12-03 白班 = %v, want %v", got, want)
	}
	msgs = e.sent()
	for _, u := range []string{"wangwu", "qianqi", "sunba"} {
		mustContainAll(t, "approval told to "+u, reqTexts(msgs, u), "换班已批准", "钱七 替 王五")
	}
}
