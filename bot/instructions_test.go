package bot

import (
	"strings"
	"testing"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// fileReport stores a 较大 report filed now by filer (as the report flow
// would) and forgets the messages queued so far.
func (e *dutyEnv) fileReport(filer string) incident.Report {
	e.t.Helper()
	now := e.clock.Now()
	r, err := e.incidents.CreateReport(e.ctx, incident.Report{Category: incident.CategoryAccident, Level: incident.LevelLarge,
		KnownAt: now.Add(-10 * time.Minute), Summary: "XX路口两车相撞 2人受伤", FiledBy: filer, FiledAt: now,
		DueAt: now.Add(50 * time.Minute), NextFollowUpAt: now.Add(2 * time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.sent()
	return r
}

// instruction reads 批示 id.
func (e *dutyEnv) instruction(id int64) incident.Instruction {
	e.t.Helper()
	in, err := e.incidents.Instruction(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// instructionsOf lists a report's 批示.
func (e *dutyEnv) instructionsOf(r incident.Report) []incident.Instruction {
	e.t.Helper()
	list, err := e.incidents.InstructionsOf(e.ctx, r.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// instruct has 王五 give a 批示 on r and returns it.
func (e *dutyEnv) instruct(r incident.Report, content string) incident.Instruction {
	e.t.Helper()
	reply := e.say("wangwu", "批示 "+r.Number+" "+content)
	list := e.instructionsOf(r)
	if len(list) == 0 {
		e.t.Fatalf("批示 not stored; reply %q", reply)
	}
	return list[len(list)-1]
}

// deadline reads a stored deadline.
func (e *dutyEnv) deadline(key string) duty.Deadline {
	e.t.Helper()
	d, err := e.duty.Deadline(e.ctx, key)
	if err != nil {
		e.t.Fatalf("deadline %s: %v", key, err)
	}
	return d
}

// progressCards are the 批示 progress cards in msgs, to userID.
func progressCards(msgs []sentMsg, userID string) []sentMsg {
	var out []sentMsg
	for _, m := range sentTo(msgs, userID) {
		if m.Kind == KindCard && strings.Contains(m.Content, "批示进展：") {
			out = append(out, m)
		}
	}
	return out
}

// texts are the plain texts in msgs to userID containing part.
func textsWith(msgs []sentMsg, userID, part string) []sentMsg {
	var out []sentMsg
	for _, m := range sentTo(msgs, userID) {
		if m.Kind == "text" && strings.Contains(m.Content, part) {
			out = append(out, m)
		}
	}
	return out
}

// instructionEscalations lists the escalations of kind instruction with
// subject, open or not.
func (e *dutyEnv) instructionEscalation(subject string) (push.Escalation, int) {
	e.t.Helper()
	var found push.Escalation
	n := 0
	for _, esc := range e.openEscalations() {
		if esc.Kind == push.KindInstruction && esc.Subject == subject {
			found = esc
			n++
		}
	}
	return found, n
}

func TestInstructionDelivered(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")

	reply := e.say("wangwu", "批示 "+r.Number+" 立即核实伤亡情况，及时续报")
	mustContainAll(t, "批示 reply", reply, "批示 #1 已送达值班员 张三", "报告 "+r.Number, "09:05 前传达", "12-07（周一）24:00 前反馈")
	in := e.instruction(1)
	relayDue := time.Date(2026, 12, 2, 9, 5, 0, 0, e.loc)
	feedbackDue := time.Date(2026, 12, 8, 0, 0, 0, 0, e.loc) // Wed → Thu, Fri, Mon
	if in.Officer != "zhangsan" || in.Leader != "wangwu" || in.ReportID != r.ID || in.Content != "立即核实伤亡情况,及时续报" ||
		in.Status != incident.InstructionDelivered || !in.RelayDue.Equal(relayDue) || !in.FeedbackDue.Equal(feedbackDue) {
		t.Fatalf("stored 批示 = %+v", in)
	}
	for key, want := range map[string]time.Time{
		duty.RefKey(duty.KindInstructionRelay, 1):                relayDue,
		duty.RefKey(duty.KindInstructionFeedback, 1):             feedbackDue,
		duty.RefKey(duty.KindInstructionFeedback, 1) + "/remind": time.Date(2026, 12, 7, 9, 0, 0, 0, e.loc),
	} {
		if d := e.deadline(key); d.Status != duty.DeadlineOpen || !d.DueAt.Equal(want) || d.Ref != 1 {
			t.Errorf("deadline %s = %+v, want open at %s", key, d, want)
		}
	}

	msgs := e.sent()
	toOfficer := sentTo(msgs, "zhangsan")
	if len(toOfficer) != 2 || toOfficer[0].Kind != KindCard {
		t.Fatalf("to 张三: %+v, want the card and the text", toOfficer)
	}
	mustContainAll(t, "officer card", toOfficer[0].Content, `"key":"instr:1:relay"`, "已传达 / Relayed", "领导批示："+r.Number,
		"王五批示：立即核实伤亡情况", "XX路口两车相撞")
	mustContainAll(t, "officer text", toOfficer[1].Content, "立即核实伤亡情况,及时续报", "传达 1 <对象>", "反馈 1 <落实情况>", "09:05 前")
	cards := progressCards(msgs, "wangwu")
	if len(cards) != 1 {
		t.Fatalf("progress cards to 王五: %+v", sentTo(msgs, "wangwu"))
	}
	mustContainAll(t, "leader card", cards[0].Content, "批示进展："+r.Number, "已送达 张三 09:00", "待传达（09:05 前）", `"key":"instr:1:show"`)
}

func TestInstructionFeedbackDueByCalendar(t *testing.T) {
	for _, tc := range []struct {
		name     string
		holidays []roster.HolidayDay
		want     string // office date whose end the feedback is due
	}{
		{"weekend", nil, "2026-12-09"},
		{"holiday Monday", []roster.HolidayDay{{Date: roster.NewDate(2026, 12, 7), Off: true, Name: "测试假日"}}, "2026-12-10"},
		{"working Saturday", []roster.HolidayDay{{Date: roster.NewDate(2026, 12, 5), Off: false, Name: "调休"}}, "2026-12-08"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			if len(tc.holidays) > 0 {
				if err := e.store.SetHolidayDays(e.ctx, tc.holidays, roster.AuditEntry{Actor: "test", Action: "节假日"}); err != nil {
					t.Fatal(err)
				}
			}
			e.at(2, "10:00") // Friday 12-04
			r := e.fileReport("zhangsan")
			in := e.instruct(r, "核实")
			want, err := roster.ParseDateText(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if due := want.AddDays(1).At(0, e.loc); !in.FeedbackDue.Equal(due) {
				t.Errorf("feedback due %s, want the end of %s", in.FeedbackDue.In(e.loc), tc.want)
			}
			if d := e.deadline(duty.RefKey(duty.KindInstructionFeedback, in.ID)); !d.DueAt.Equal(in.FeedbackDue) {
				t.Errorf("feedback deadline at %s, want %s", d.DueAt.In(e.loc), in.FeedbackDue.In(e.loc))
			}
		})
	}
}

func TestInstructionOfficerChoice(t *testing.T) {
	for _, tc := range []struct {
		name     string
		at       string
		officers []string // 白班 officers on 12-02
		filer    string
		want     string
		note     string
	}{
		{"the filer on duty", "09:00", []string{"zhangsan", "sunba"}, "sunba", "sunba", ""},
		// The roster lists a slot's officers by userid: sunba before zhangsan.
		{"filer off duty: the first on duty", "09:00", []string{"zhangsan", "sunba"}, "lisi", "sunba", ""},
		{"nobody on duty: the filer", "08:00", []string{"zhangsan"}, "lisi", "lisi", "现在没有在岗值班员"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			e.setRoster(dutyDay, "白班", "wangwu", tc.officers...)
			e.at(0, tc.at)
			r := e.fileReport(tc.filer)
			reply := e.say("wangwu", "批示 "+r.Number+" 核实")
			list := e.instructionsOf(r)
			if len(list) != 1 || list[0].Officer != tc.want {
				t.Fatalf("批示 = %+v, want officer %s; reply %q", list, tc.want, reply)
			}
			if tc.note != "" {
				mustContainAll(t, "reply", reply, tc.note)
			}
			if cards := sentTo(e.sent(), tc.want); len(cards) == 0 || !strings.Contains(cards[0].Content, "instr:1:relay") {
				t.Errorf("no 批示 card to %s: %+v", tc.want, cards)
			}
		})
	}
}

func TestInstructionBadInput(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")
	for _, tc := range []struct {
		user, text string
		want       []string
	}{
		{"zhangsan", "批示 " + r.Number + " 立即核实", []string{"只有带班领导可以批示"}},
		{"zhaoliu", "instruct " + r.Number + " 立即核实", []string{"只有带班领导可以批示"}},
		{"wangwu", "批示 2026-1202-009 立即核实", []string{"没有编号为「2026-1202-009」的报告", "2026-1202-001"}},
		{"wangwu", "批示 " + r.Number, []string{"请写上批示内容"}},
		{"wangwu", "批示", []string{"格式：批示 <报告编号> <内容>"}},
		{"zhangsan", "传达 1 区应急局", []string{"没有编号为 #1 的批示"}},
		{"zhangsan", "传达 abc", []string{"「abc」不是批示编号"}},
		{"zhangsan", "反馈 7 已落实", []string{"没有编号为 #7 的批示"}},
		{"zhangsan", "批示 记录", []string{"「批示 记录」仅限带班领导、管理员使用"}},
	} {
		mustContainAll(t, tc.user+": "+tc.text, e.say(tc.user, tc.text), tc.want...)
	}
	if list := e.instructionsOf(r); len(list) != 0 {
		t.Errorf("批示 stored after bad input: %+v", list)
	}
	if ds := e.planned(); len(ds) != 0 {
		t.Errorf("deadlines after bad input: %+v", ds)
	}
	// A closed report may still get a 批示.
	if _, _, err := e.incidents.AddFollowUp(e.ctx, incident.FollowUp{ReportID: r.ID, Kind: incident.FollowUpFinal, Content: "处置完毕",
		By: "zhangsan"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	mustContainAll(t, "批示 on a closed report", e.say("wangwu", "批示 "+r.Number+" 总结经验"), "批示 #1 已送达", "该报告已终报")
}

func TestInstructionRelayInTime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		relay func(e *dutyEnv) string
		to    string
	}{
		{"by command", func(e *dutyEnv) string { return e.say("zhangsan", "传达 1 区应急局") }, "区应急局"},
		{"by button", func(e *dutyEnv) string { return e.click("zhangsan", "instr:1:relay") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			e.at(0, "09:00")
			r := e.fileReport("zhangsan")
			e.instruct(r, "立即核实")
			e.sent()
			e.at(0, "09:03")
			// Someone else cannot record it.
			mustContainAll(t, "relay by 李四", e.say("lisi", "传达 1 区应急局"), "由值班员 张三 负责传达")
			if in := e.instruction(1); !in.RelayedAt.IsZero() {
				t.Fatalf("relayed by someone else: %+v", in)
			}
			reply := tc.relay(e)
			mustContainAll(t, "relay reply", reply, "批示 #1 于 09:03 传达", "按时", "已告知 王五", "反馈 1 <落实情况>")
			in := e.instruction(1)
			if in.Status != incident.InstructionRelayed || !in.RelayedAt.Equal(e.clock.Now()) || in.RelayedTo != tc.to {
				t.Fatalf("after relay: %+v", in)
			}
			if d := e.deadline(duty.RefKey(duty.KindInstructionRelay, 1)); d.Status != duty.DeadlineVoid {
				t.Errorf("relay deadline %s, want void", d.Status)
			}
			if d := e.deadline(duty.RefKey(duty.KindInstructionFeedback, 1)); d.Status != duty.DeadlineOpen {
				t.Errorf("feedback deadline %s, want open", d.Status)
			}
			label := tc.to
			if label == "" {
				label = "未注明对象"
				mustContainAll(t, "button relay reply", reply, "尚未注明传达对象", "传达 1 <对象>")
			}
			cards := progressCards(e.sent(), "wangwu")
			if len(cards) != 1 {
				t.Fatalf("progress cards after the relay: %d", len(cards))
			}
			mustContainAll(t, "leader card", cards[0].Content, "已送达 张三 09:00", "已传达（"+label+"）09:03", "待反馈")

			// The deadline, were it to run anyway, does nothing.
			e.at(0, "09:05")
			e.fireRef(duty.RefKey(duty.KindInstructionRelay, 1), duty.KindInstructionRelay, 1)
			if _, n := e.instructionEscalation("instruction/1/relay"); n != 0 {
				t.Errorf("escalation raised for a relayed 批示")
			}
			if tc.to == "" {
				// Whom it was relayed to is filled in once.
				mustContainAll(t, "recipients", e.say("zhangsan", "传达 1 区应急局 李科长"), "已补记批示 #1 的传达对象：区应急局 李科长")
				if in := e.instruction(1); in.RelayedTo != "区应急局 李科长" || !in.RelayedAt.Equal(dutyDay.At(9*60+3, e.loc)) {
					t.Errorf("after adding recipients: %+v", in)
				}
				mustContainAll(t, "leader card", progressCards(e.sent(), "wangwu")[0].Content, "已传达（区应急局 李科长）09:03")
			}
			mustContainAll(t, "relay again", e.say("zhangsan", "传达 1 交警大队"), "已于 09:03 传达", "无需重复")
			if in := e.instruction(1); in.RelayedTo == "交警大队" {
				t.Errorf("a second relay changed the record: %+v", in)
			}
		})
	}
}

func TestInstructionRelayLate(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")
	e.instruct(r, "立即核实")
	e.sent()
	e.at(0, "09:05")
	for range 2 { // a restart may run it again
		e.fireRef(duty.RefKey(duty.KindInstructionRelay, 1), duty.KindInstructionRelay, 1)
	}
	esc, n := e.instructionEscalation("instruction/1/relay")
	if n != 1 || esc.Title != "批示未按时传达："+r.Number {
		t.Fatalf("relay escalations = %d (%+v), want one", n, esc)
	}
	if in := e.instruction(1); in.EscalationID != esc.ID || in.FeedbackEscalationID != "" {
		t.Errorf("escalation not recorded on the 批示: %+v", in)
	}
	msgs := e.sent()
	if told := textsWith(msgs, "zhangsan", "未在 09:05 前确认传达"); len(told) != 1 {
		t.Errorf("officer told %d times, want once", len(told))
	}
	if cards := progressCards(msgs, "wangwu"); len(cards) != 1 || !strings.Contains(cards[0].Content, "未传达（应于 09:05 前，已超时）") {
		t.Errorf("leader progress cards after the late relay: %+v", cards)
	}

	e.at(0, "09:12")
	mustContainAll(t, "late relay", e.say("zhangsan", "传达 1 区应急局"), "批示 #1 于 09:12 传达给 区应急局", "超过时限 7 分钟")
	if _, n := e.instructionEscalation("instruction/1/relay"); n != 0 {
		t.Errorf("relay escalation still open after the relay")
	}
	if got, err := e.esc.Escalation(e.ctx, esc.ID); err != nil || got.Status != push.StatusResolved {
		t.Errorf("relay escalation = %+v, %v; want resolved", got, err)
	}
	if in := e.instruction(1); !in.RelayedLate(e.clock.Now()) {
		t.Errorf("late relay not judged late: %+v", in)
	}
	mustContainAll(t, "leader card", progressCards(e.sent(), "wangwu")[0].Content, "已传达（区应急局）09:12（超时 7 分钟）")
}

func TestInstructionFeedback(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")
	e.instruct(r, "立即核实伤亡情况")
	e.at(0, "09:03")
	e.say("zhangsan", "传达 1 区应急局")
	e.sent()

	// The reminder on the last working day (Monday 12-07).
	e.at(5, "09:00")
	e.fireRef(duty.RefKey(duty.KindInstructionFeedback, 1)+"/remind", duty.KindInstructionFeedback, 1)
	if told := textsWith(e.sent(), "zhangsan", "提醒：批示 #1"); len(told) != 1 || !strings.Contains(told[0].Content, "12-07（周一）24:00") {
		t.Errorf("feedback reminder: %+v", told)
	}

	e.at(5, "10:00") // the third working day
	mustContainAll(t, "feedback by 李四", e.say("lisi", "反馈 1 已落实"), "只有负责传达的值班员可以反馈")
	mustContainAll(t, "feedback by 王五", e.say("wangwu", "反馈 1 已落实"), "只有负责传达的值班员可以反馈")
	if in := e.instruction(1); !in.FeedbackAt.IsZero() || in.Feedback != "" {
		t.Fatalf("feedback stored from someone else: %+v", in)
	}
	mustContainAll(t, "empty feedback", e.say("zhangsan", "反馈 1"), "请写上落实情况")
	e.sent()

	reply := e.say("zhangsan", "反馈 1 伤员均已送医，路口已恢复通行")
	mustContainAll(t, "feedback reply", reply, "已记录批示 #1 的反馈", "按时", "批示已办结", "已告知 王五")
	in := e.instruction(1)
	if in.Status != incident.InstructionFedBack || in.FeedbackBy != "zhangsan" || in.Feedback != "伤员均已送医,路口已恢复通行" ||
		!in.FeedbackAt.Equal(e.clock.Now()) || in.FedBackLate(e.clock.Now()) {
		t.Fatalf("after feedback: %+v", in)
	}
	for _, key := range []string{duty.RefKey(duty.KindInstructionFeedback, 1), duty.RefKey(duty.KindInstructionFeedback, 1) + "/remind"} {
		if d := e.deadline(key); d.Status != duty.DeadlineVoid {
			t.Errorf("%s is %s after the feedback, want void", key, d.Status)
		}
	}
	cards := progressCards(e.sent(), "wangwu")
	if len(cards) != 1 {
		t.Fatalf("progress cards after the feedback: %d", len(cards))
	}
	mustContainAll(t, "leader card: the whole chain", cards[0].Content, "批示：立即核实伤亡情况", "已送达 张三 12-02 09:00",
		"已传达（区应急局）09:03", "已反馈 12-07 10:00：伤员均已送医", "已反馈，已办结")

	mustContainAll(t, "second feedback", e.say("zhangsan", "反馈 1 又一次"), "已于 12-07 10:00 反馈", "无需重复")
	if again := e.instruction(1); again.Feedback != in.Feedback || !again.FeedbackAt.Equal(in.FeedbackAt) {
		t.Errorf("second feedback changed the record: %+v", again)
	}
	// The leader's 查看详情 and 批示 记录 show the chain.
	mustContainAll(t, "details", e.click("wangwu", "instr:1:show"), "批示 #1（报告 "+r.Number, "王五 12-02 09:00 批示：立即核实伤亡情况",
		"· 已传达（区应急局）", "· 已反馈 12-07 10:00：伤员均已送医,路口已恢复通行")
	mustContainAll(t, "details for 李四", e.click("lisi", "instr:1:show"), "仅限带班领导、管理员和负责的值班员")
	for _, text := range []string{"批示 记录 " + r.Number, "instructions 12-01 至 12-07", "批示 记录 上周"} {
		mustContainAll(t, text, e.say("zhaoliu", text), "（1 条）", "#1 报告 "+r.Number, "王五", "已反馈，已办结")
	}
	mustContainAll(t, "批示 记录 default", e.say("wangwu", "批示 记录"), "#1 报告 "+r.Number)
	mustContainAll(t, "批示 记录 empty", e.say("wangwu", "批示 记录 11-01"), "没有批示")
}

func TestInstructionFeedbackOverdue(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")
	e.instruct(r, "立即核实")
	e.sent()
	e.at(6, "00:00") // Tuesday 12-08: the end of Monday has passed
	for range 2 {
		e.fireRef(duty.RefKey(duty.KindInstructionFeedback, 1), duty.KindInstructionFeedback, 1)
	}
	esc, n := e.instructionEscalation("instruction/1/feedback")
	if n != 1 || esc.Title != "批示反馈逾期："+r.Number {
		t.Fatalf("feedback escalations = %d (%+v), want one", n, esc)
	}
	if in := e.instruction(1); in.FeedbackEscalationID != esc.ID {
		t.Errorf("feedback escalation not recorded: %+v", in)
	}
	msgs := e.sent()
	if told := textsWith(msgs, "zhangsan", "反馈已于 12-07（周一）24:00 到期"); len(told) != 1 {
		t.Errorf("officer told %d times, want once", len(told))
	}
	if cards := progressCards(msgs, "wangwu"); len(cards) != 1 || !strings.Contains(cards[0].Content, "反馈逾期") {
		t.Errorf("leader progress cards after overdue feedback: %+v", cards)
	}

	e.at(6, "09:30")
	mustContainAll(t, "late feedback", e.say("zhangsan", "反馈 1 已落实"), "逾期（应于 12-07（周一）24:00 前）")
	if got, err := e.esc.Escalation(e.ctx, esc.ID); err != nil || got.Status != push.StatusResolved {
		t.Errorf("feedback escalation = %+v, %v; want resolved", got, err)
	}
	in := e.instruction(1)
	if !in.FedBackLate(e.clock.Now()) || in.Status != incident.InstructionFedBack || in.RelayedAt.IsZero() {
		t.Errorf("after late feedback: %+v", in)
	}
	// Fed back without a 传达: the relay deadline is void too.
	if d := e.deadline(duty.RefKey(duty.KindInstructionRelay, 1)); d.Status != duty.DeadlineVoid {
		t.Errorf("relay deadline %s after the feedback, want void", d.Status)
	}
}

func TestInstructionPrompt(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")
	member := func(id string) roster.Member {
		m, err := e.store.Member(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if q := e.svc.promptInstruction(e.ctx, member("zhangsan"), r.ID); q != "只有带班领导可以批示。" {
		t.Errorf("prompt for an officer = %q", q)
	}
	if q := e.svc.promptInstruction(e.ctx, member("wangwu"), 999); !strings.Contains(q, "没有找到这份报告") {
		t.Errorf("prompt on no report = %q", q)
	}
	// An officer's text is never taken as a 批示.
	mustContainAll(t, "officer text", e.say("zhangsan", "立即核实"), "没有「立即核实」这个命令")

	// 取消 drops it.
	q := e.svc.promptInstruction(e.ctx, member("wangwu"), r.ID)
	if q != "请回复对报告 "+r.Number+" 的批示内容（10 分钟内有效），回复「取消」放弃。" {
		t.Errorf("question = %q", q)
	}
	mustContainAll(t, "cancel", e.say("wangwu", "取消"), "已取消对报告 "+r.Number+" 的批示")
	mustContainAll(t, "after cancel", e.say("wangwu", "立即核实"), "没有「立即核实」这个命令")

	// Stale after 10 minutes: the text goes to the router.
	e.svc.promptInstruction(e.ctx, member("wangwu"), r.ID)
	e.at(0, "09:10")
	e.clock.Advance(time.Second)
	mustContainAll(t, "stale", e.say("wangwu", "立即核实"), "没有「立即核实」这个命令")
	if list := e.instructionsOf(r); len(list) != 0 {
		t.Fatalf("批示 stored from a cancelled or stale prompt: %+v", list)
	}

	// The 批示 command typed instead names its own report; the prompt is dropped.
	e.svc.promptInstruction(e.ctx, member("wangwu"), r.ID)
	mustContainAll(t, "command instead", e.say("wangwu", "批示 2026-1202-009 核实"), "没有编号为「2026-1202-009」的报告")
	mustContainAll(t, "after the command", e.say("wangwu", "立即核实"), "没有「立即核实」这个命令")

	// Answered in time: the text is the 批示.
	e.svc.promptInstruction(e.ctx, member("wangwu"), r.ID)
	e.at(0, "09:15")
	e.sent()
	mustContainAll(t, "answer", e.say("wangwu", "立即核实伤亡情况 及时续报"), "批示 #1 已送达值班员 张三", "09:20 前传达")
	list := e.instructionsOf(r)
	if len(list) != 1 || list[0].Content != "立即核实伤亡情况 及时续报" || list[0].Leader != "wangwu" {
		t.Fatalf("批示 from the prompt: %+v", list)
	}
	if cards := sentTo(e.sent(), "zhangsan"); len(cards) == 0 || !strings.Contains(cards[0].Content, "instr:1:relay") {
		t.Errorf("no 批示 card to 张三: %+v", cards)
	}
	// The prompt was used up.
	mustContainAll(t, "after the answer", e.say("wangwu", "再核实"), "没有「再核实」这个命令")
}

func TestInstructionCardKeys(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	r := e.fileReport("zhangsan")
	e.instruct(r, "核实")
	for _, tc := range []struct{ user, key, want string }{
		{"zhangsan", "instr:x:relay", "无法识别这个按钮"},
		{"zhangsan", "instr:1:eat", "无法识别这个按钮"},
		{"zhangsan", "instr:9:relay", "没有编号为 #9 的批示"},
		{"lisi", "instr:1:relay", "由值班员 张三 负责传达"},
	} {
		mustContainAll(t, tc.user+" "+tc.key, e.click(tc.user, tc.key), tc.want)
	}
	if in := e.instruction(1); !in.RelayedAt.IsZero() {
		t.Errorf("relayed by a bad click: %+v", in)
	}
}

func TestClipBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"批示内容", 12, "批示内容"},
		{"批示内容", 11, "批示…"},
		{"批示内容", 7, "批…"},
		{"ab批示", 5, "ab…"},
		{"批示", 2, ""},
	} {
		if got := clipBytes(tc.in, tc.n); got != tc.want || len(got) > tc.n {
			t.Errorf("clipBytes(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
