package bot

import (
	"fmt"
	"strings"
	"testing"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// handoverOf reads the stored handover of an outgoing slot.
func (e *dutyEnv) handoverOf(d roster.Date, shift string) duty.Handover {
	e.t.Helper()
	h, err := e.duty.HandoverOf(e.ctx, roster.Slot{Date: d, Shift: shift})
	if err != nil {
		e.t.Fatalf("handover of %s %s: %v", d, shift, err)
	}
	return h
}

// handoverCard returns the handover card sent to user in msgs and the full
// sheet texts after it.
func handoverCard(t *testing.T, msgs []sentMsg, user string) (card string, texts string) {
	t.Helper()
	var parts []string
	for _, m := range sentTo(msgs, user) {
		switch {
		case m.Kind == KindCard && strings.Contains(m.Content, `"key":"handover:`):
			card = m.Content
		case m.Kind == "text":
			parts = append(parts, m.Content)
		}
	}
	if card == "" {
		t.Fatalf("no handover card to %s in %+v", user, msgs)
	}
	return card, strings.Join(parts, "\n")
}

// handoverEscalations lists the open handover escalations.
func (e *dutyEnv) handoverEscalations() []push.Escalation {
	var out []push.Escalation
	for _, x := range e.openEscalations() {
		if x.Kind == push.KindHandover {
			out = append(out, x)
		}
	}
	return out
}

// dayShiftWork is 张三's 白班: a call, a document, an instruction and a
// pending item (#4), of which the call is corrected (#5).
func (e *dutyEnv) dayShiftWork() {
	e.t.Helper()
	e.at(0, "09:00")
	e.say("zhangsan", "记录 来电 市应急局询问节日值班安排")
	e.say("zhangsan", "记录 来文 省厅关于元旦值班的通知")
	e.say("zhangsan", "记录 交办 王主任交办核实舆情")
	e.say("zhangsan", "待办 明早9点前报送周报")
	e.say("zhangsan", "更正 1 省应急厅询问节日值班安排")
}

func TestHandoverFlow(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.dayShiftWork()
	e.sent()

	e.at(0, "17:25")
	reply := e.say("zhangsan", "交班 设备正常,备用电话已充电")
	mustContainAll(t, "交班", reply, "交接单 #1 已发送给 李四", "12-02 夜班", "请在接班人确认前留守岗位，不得离岗")
	h := e.handoverOf(dutyDay, "白班")
	if h.Status != duty.HandoverPending || h.From != "zhangsan" || h.In != (roster.Slot{Date: dutyDay, Shift: "夜班"}) ||
		h.Notes != "设备正常,备用电话已充电" || len(h.To) != 1 || h.To[0] != "lisi" {
		t.Errorf("stored handover %+v", h)
	}
	if len(h.Signatures) != 1 || h.Signatures[0].Role != duty.SignOut || h.Signatures[0].At.In(e.loc).Format("15:04") != "17:25" {
		t.Errorf("signatures %+v; want zhangsan's out signature at 17:25", h.Signatures)
	}
	msgs := e.sent()
	card, sheet := handoverCard(t, msgs, "lisi")
	mustContainAll(t, "card", card, `"title":"交接班：白班 → 夜班"`, fmt.Sprintf(`"key":"handover:%d"`, h.ID), "接班 / Take over",
		"待办 1 项", "设备正常")
	mustContainAll(t, "sheet", sheet, "值班交接单", "交班：12-02 白班", "张三", "接班：12-02 夜班", "李四",
		"一、本班处理事项", "王主任交办核实舆情", "已更正→#5", "省应急厅询问节日值班安排",
		"二、待办事项", "#4 明早9点前报送周报",
		"三、未结报告及批示（0）",
		"四、未结告警（0）",
		"五、来文（1）", "省厅关于元旦值班的通知",
		"六、设备情况及备注：设备正常,备用电话已充电")
	if h.Sheet == "" || !strings.Contains(sheet, h.Sheet[:30]) {
		t.Errorf("the stored sheet differs from the one sent")
	}
	if got := sentTo(msgs, "sunba"); len(got) != 0 {
		t.Errorf("sunba got %+v; he is not incoming", got)
	}

	// A second 交班 is refused while the first waits.
	mustContainAll(t, "second 交班", e.say("zhangsan", "交班"), "本班已于 17:25 由 张三 交班", "交接单 #1", "等待接班确认")
	// 接班 by someone who is not incoming, by chat and by button.
	mustContainAll(t, "sunba 接班", e.say("sunba", "接班"), "您不是本次接班人", "李四")
	mustContainAll(t, "sunba click", e.click("sunba", fmt.Sprintf("handover:%d", h.ID)), "您不是本次接班人")
	if got := e.handoverOf(dutyDay, "白班"); len(got.Signatures) != 1 {
		t.Errorf("refused 接班 signed: %+v", got.Signatures)
	}

	e.at(0, "17:35")
	reply = e.say("lisi", "接班")
	mustContainAll(t, "lisi 接班", reply, "已确认接班（交接单 #1", "17:35", "待办 1 项（#4）已转入本班", "接班签到")
	h = e.handoverOf(dutyDay, "白班")
	if h.Status != duty.HandoverConfirmed || h.ConfirmedAt.In(e.loc).Format("15:04") != "17:35" {
		t.Errorf("after 接班: %+v", h)
	}
	if sig, ok := h.SignedIn("lisi"); !ok || sig.At.In(e.loc).Format("15:04") != "17:35" {
		t.Errorf("lisi's signature: %+v, %v", sig, ok)
	}
	if item := e.logEntry(4); item.HeldShift != "夜班" || item.HeldDate != dutyDay || !item.Open() {
		t.Errorf("pending item after 接班: %+v; want held by 夜班, open", item)
	}
	told := sentTo(e.sent(), "zhangsan")
	if len(told) != 1 || !strings.Contains(told[0].Content, "李四 已于 17:35 确认接班") || !strings.Contains(told[0].Content, "交班完成，可以离岗") {
		t.Errorf("zhangsan told %+v", told)
	}
	mustContainAll(t, "lisi 接班 again", e.say("lisi", "接班"), "您已于 17:35 确认接班", "无需重复")
	mustContainAll(t, "交班 after confirmation", e.say("zhangsan", "交班"), "李四 已于 17:35 接班", "交接已完成")

	// The window ends with the handover confirmed: nothing is raised.
	e.at(0, "18:00")
	e.fire(duty.KindHandoverDue, dutyDay, "白班", "")
	if got := e.handoverEscalations(); len(got) != 0 {
		t.Errorf("escalations after a confirmed handover: %+v", got)
	}
	// The log keeps both sides: 交班 in 白班, 接班 in 夜班.
	mustContainAll(t, "日志", e.say("wangwu", "日志"), "张三 交班，接班：12-02 夜班 李四", "李四 确认接班（交接单 #1")
}

func TestHandoverByCard(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.dayShiftWork()
	e.at(0, "17:25")
	e.say("zhangsan", "交班")
	h := e.handoverOf(dutyDay, "白班")
	mustContainAll(t, "sheet without equipment", h.Sheet, "六、设备情况及备注：未填写")
	e.sent()
	e.at(0, "17:31")
	key := fmt.Sprintf("handover:%d", h.ID)
	mustContainAll(t, "click", e.click("lisi", key), "已确认接班", "17:31")
	if got := e.handoverOf(dutyDay, "白班"); got.Status != duty.HandoverConfirmed {
		t.Errorf("status after the button: %s", got.Status)
	}
	mustContainAll(t, "zhangsan told", sentTo(e.sent(), "zhangsan")[0].Content, "交班完成，可以离岗")
	mustContainAll(t, "click again", e.click("lisi", key), "您已于 17:31 确认接班")
	mustContainAll(t, "bad key", e.click("lisi", "handover:x"), "交接卡片无效")
	mustContainAll(t, "unknown id", e.click("lisi", "handover:99"), "交接单 #99 不存在")
}

func TestHandoverRefused(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "10:00")
	mustContainAll(t, "接班 with nothing", e.say("lisi", "接班"), "目前没有需要您确认的交接单")
	e.at(0, "17:25")
	mustContainAll(t, "sunba 交班", e.say("sunba", "交班"), "您当前不在班，无需交班", "您的下一班：12-03 白班")
	mustContainAll(t, "leader 交班", e.say("wangwu", "交班"), "仅限值班员")
	if _, err := e.duty.HandoverOf(e.ctx, roster.Slot{Date: dutyDay, Shift: "白班"}); err == nil {
		t.Error("a refused 交班 stored a handover")
	}
}

func TestHandoverTwoIncoming(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.setRoster(dutyDay, "夜班", "wangwu", "lisi", "sunba")
	e.dayShiftWork()
	e.sent()
	e.at(0, "17:25")
	mustContainAll(t, "交班", e.say("zhangsan", "交班 正常"), "已发送给 李四、孙八")
	msgs := e.sent()
	handoverCard(t, msgs, "lisi")
	handoverCard(t, msgs, "sunba")

	e.at(0, "17:32")
	mustContainAll(t, "lisi", e.say("lisi", "接班"), "已确认接班", "待办 1 项")
	e.at(0, "17:36")
	mustContainAll(t, "sunba", e.click("sunba", "handover:1"), "已确认接班", "没有转入的待办")
	h := e.handoverOf(dutyDay, "白班")
	var in []string
	for _, s := range h.Signatures {
		if s.Role == duty.SignIn {
			in = append(in, s.UserID+"@"+s.At.In(e.loc).Format("15:04"))
		}
	}
	if strings.Join(in, ",") != "lisi@17:32,sunba@17:36" {
		t.Errorf("incoming signatures %v, want lisi@17:32 and sunba@17:36", in)
	}
	if h.ConfirmedAt.In(e.loc).Format("15:04") != "17:32" {
		t.Errorf("confirmed at %s, want the first signature 17:32", h.ConfirmedAt.In(e.loc))
	}
	told := sentTo(e.sent(), "zhangsan")
	if len(told) != 2 || !strings.Contains(told[1].Content, "孙八 也已于 17:36 确认接班") {
		t.Errorf("zhangsan told %+v", told)
	}
}

func TestHandoverDueUnconfirmed(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.dayShiftWork()
	e.at(0, "17:25")
	e.say("zhangsan", "交班")
	e.sent()

	e.at(0, "18:00")
	e.fire(duty.KindHandoverDue, dutyDay, "白班", "")
	escs := e.handoverEscalations()
	if len(escs) != 1 || escs[0].Subject != "handover/2026-12-02/白班" {
		t.Fatalf("handover escalations %+v; want one for 白班", escs)
	}
	mustContainAll(t, "title", escs[0].Title, "交接班未确认：夜班 李四 未接班")
	if h := e.handoverOf(dutyDay, "白班"); h.Status != duty.HandoverEscalated {
		t.Errorf("status %s, want escalated", h.Status)
	}
	msgs := e.sent()
	told := sentTo(msgs, "zhangsan")
	if len(told) != 1 || !strings.Contains(told[0].Content, "请继续留守岗位") {
		t.Errorf("zhangsan told %+v; want to stay", told)
	}
	if len(sentTo(msgs, "wangwu")) == 0 {
		t.Error("the leader on duty was not alerted")
	}
	mustContainAll(t, "lisi reminded", sentTo(msgs, "lisi")[0].Content, "发送「接班」")

	// Fired again (a restart before it was closed): one escalation, nobody
	// told twice.
	e.fire(duty.KindHandoverDue, dutyDay, "白班", "")
	if got := e.handoverEscalations(); len(got) != 1 {
		t.Errorf("%d handover escalations after firing twice, want 1", len(got))
	}
	if again := e.sent(); len(again) != 0 {
		t.Errorf("second firing sent %+v", again)
	}

	// The late confirmation resolves it.
	e.at(0, "18:10")
	mustContainAll(t, "late 接班", e.say("lisi", "接班"), "已确认接班")
	if got := e.handoverEscalations(); len(got) != 0 {
		t.Errorf("escalation still open after 接班: %+v", got)
	}
	x, err := e.esc.Escalation(e.ctx, escs[0].ID)
	if err != nil || x.Status != push.StatusResolved {
		t.Errorf("escalation after 接班: %+v, %v; want resolved", x, err)
	}
	if h := e.handoverOf(dutyDay, "白班"); h.Status != duty.HandoverConfirmed {
		t.Errorf("status %s, want confirmed", h.Status)
	}
}

func TestHandoverDueNotSent(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "18:00")
	e.fire(duty.KindHandoverDue, dutyDay, "白班", "")
	e.fire(duty.KindHandoverDue, dutyDay, "白班", "")
	escs := e.handoverEscalations()
	if len(escs) != 1 {
		t.Fatalf("%d handover escalations, want 1: %+v", len(escs), escs)
	}
	mustContainAll(t, "title", escs[0].Title, "白班未交班：张三")
	told := sentTo(e.sent(), "zhangsan")
	if len(told) != 1 || !strings.Contains(told[0].Content, "尚未交班") || !strings.Contains(told[0].Content, "不得离岗") {
		t.Errorf("zhangsan told %+v; want once, to hand over and stay", told)
	}

	// He hands over late (夜班 is running), 李四 confirms: resolved.
	e.at(0, "18:05")
	mustContainAll(t, "late 交班", e.say("zhangsan", "交班 正常"), "交接单 #1 已发送给 李四", "已超过交接时限 18:00")
	e.at(0, "18:06")
	e.say("lisi", "接班")
	if got := e.handoverEscalations(); len(got) != 0 {
		t.Errorf("escalation still open after the late handover was confirmed: %+v", got)
	}

	// A slot nobody is on any more raises nothing.
	e.setRoster(dutyDay, "夜班", "wangwu")
	e.at(1, "09:00")
	e.fire(duty.KindHandoverDue, dutyDay, "夜班", "")
	if got := e.handoverEscalations(); len(got) != 0 {
		t.Errorf("escalation for a slot with no officers: %+v", got)
	}
}

func TestHandoverOvernight(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "23:00")
	e.say("lisi", "待办 早上转告白班核对通讯录")
	e.at(1, "02:00")
	e.say("lisi", "记录 来电 凌晨县里报平安")
	e.sent()

	e.at(1, "08:25")
	mustContainAll(t, "夜班 交班", e.say("lisi", "交班 设备正常"), "已发送给 孙八", "12-03 白班")
	h := e.handoverOf(dutyDay, "夜班")
	if h.In != (roster.Slot{Date: dutyDay.AddDays(1), Shift: "白班"}) {
		t.Errorf("incoming slot %+v, want 2026-12-03 白班", h.In)
	}
	card, sheet := handoverCard(t, e.sent(), "sunba")
	mustContainAll(t, "card", card, "交接班：夜班 → 白班")
	mustContainAll(t, "sheet", sheet, "交班：12-02 夜班（17:30–次日08:30）", "凌晨县里报平安", "早上转告白班核对通讯录")

	e.at(1, "08:28")
	mustContainAll(t, "孙八 接班", e.say("sunba", "接班"), "已确认接班", "12-03 白班", "待办 1 项")
	if item := e.logEntry(1); item.HeldDate != dutyDay.AddDays(1) || item.HeldShift != "白班" {
		t.Errorf("pending item held by %s %s, want 2026-12-03 白班", item.HeldDate, item.HeldShift)
	}
	mustContainAll(t, "lisi told", sentTo(e.sent(), "lisi")[0].Content, "孙八 已于 08:28 确认接班", "可以离岗")
}

func TestHandoverNobodyIncoming(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.setRoster(dutyDay, "夜班", "wangwu")
	e.at(0, "17:25")
	mustContainAll(t, "交班", e.say("zhangsan", "交班"), "交接单 #1 已保存", "下一班（12-02 夜班）尚未安排值班员", "已通知管理员 赵六", "留守岗位")
	msgs := e.sent()
	mustContainAll(t, "admin told", sentTo(msgs, "zhaoliu")[0].Content, "无人接班", "12-02 白班 张三")
	// An officer put on 夜班 afterwards confirms with 接班.
	e.setRoster(dutyDay, "夜班", "wangwu", "sunba")
	e.at(0, "17:50")
	mustContainAll(t, "sunba 接班", e.say("sunba", "接班"), "已确认接班（交接单 #1")
}

func TestSplitText(t *testing.T) {
	line := strings.Repeat("交", 100) // 300 bytes
	text := strings.TrimSuffix(strings.Repeat(line+"\n", 30), "\n")
	parts := splitText(text, 2000, 3, "（其余略）")
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	for i, p := range parts {
		if len(p) > 2000 {
			t.Errorf("part %d is %d bytes", i, len(p))
		}
	}
	if !strings.HasSuffix(parts[2], "（其余略）") {
		t.Errorf("last part does not say the rest is left out: %q", parts[2][len(parts[2])-40:])
	}
	if short := splitText("a\nb", 2000, 3, "x"); len(short) != 1 || short[0] != "a\nb" {
		t.Errorf("short text split into %q", short)
	}
}

// TestHandoverSheetCarriesOpenReports: a report not yet closed by its 终报
// and a 批示 not yet fed back go on the sheet for the next shift; a closed
// report does not.
func TestHandoverSheetCarriesOpenReports(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "10:00")
	mustContainAll(t, "报告", e.say("zhangsan", "报告 一般 自然灾害 XX河水位上涨"), "2026-1202-001")
	mustContainAll(t, "报告", e.say("zhangsan", "报告 一般 其他 XX小区停电"), "2026-1202-002")
	mustContainAll(t, "批示", e.say("wangwu", "批示 2026-1202-001 加强巡查"), "已送达值班员")
	mustContainAll(t, "终报", e.say("zhangsan", "终报 2026-1202-002 已恢复供电"), "已终报快报")
	e.at(0, "17:25")
	e.say("zhangsan", "交班")
	h := e.handoverOf(dutyDay, "白班")
	mustContainAll(t, "sheet", h.Sheet, "三、未结报告及批示（2）", "快报 2026-1202-001 一般 自然灾害 XX河水位上涨",
		"批示 #1 王五：加强巡查（待传达", "四、未结告警（1）", "E1202-001")
	if strings.Contains(h.Sheet, "XX小区停电") {
		t.Errorf("a closed report is on the sheet:\n%s", h.Sheet)
	}
}
