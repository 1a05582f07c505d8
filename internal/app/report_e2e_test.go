package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/incident"
)

// TestE2EReportInstructionAcrossWeekend: on Friday 11-27 a 较大 report is
// filed 20 minutes after its deadline (迟报), escalates to the leader on
// duty, gets a 批示 that the officer relays within the 5 minutes, and the
// feedback comes on Wednesday 12-02 — the third working day after a
// weekend — so it is on time. All through the real callback path.
func TestE2EReportInstructionAcrossWeekend(t *testing.T) {
	e := newDutyE2E(t)
	ctx := context.Background()
	friday := day.AddDays(3) // 2026-11-27
	if err := e.app.Store.ReplaceSlots(ctx, []roster.Slot{{Date: friday, Shift: "白班"}}, []roster.Assignment{
		{Date: friday, Shift: "白班", Role: roster.RoleLeader, UserID: "wangwu"},
		{Date: friday, Shift: "白班", Role: roster.RoleOfficer, UserID: "zhangsan"},
	}, roster.AuditEntry{Actor: "test", Action: "排班"}); err != nil {
		t.Fatal(err)
	}

	// 10:30: the office learned of it at 09:10; 较大 is due within an hour.
	e.at(3, "10:30")
	reply := e.say("zhangsan", "报告 较大 事故灾难 获知 09:10 地点 XX路口 XX路口两车相撞 2人受伤", "迟报")
	if !strings.Contains(reply, "20 分钟") {
		t.Errorf("report reply does not give the delay: %s", reply)
	}
	reports, err := e.app.Incidents.Reports(ctx, friday.At(0, e.loc), friday.AddDays(1).At(0, e.loc))
	if err != nil || len(reports) != 1 {
		t.Fatalf("reports = %+v, %v", reports, err)
	}
	r := reports[0]
	if r.Number != "2026-1127-001" || !r.Late() || r.LateBy.Minutes() != 20 || r.Level != incident.LevelLarge || r.Shift != "白班" {
		t.Errorf("report = %+v", r)
	}
	// It escalates: the leader on duty gets the alert card (and the
	// report card with its 批示 button).
	e.expect("wangwu", r.Number)
	esc, err := e.app.Escalations.Escalation(ctx, r.EscalationID)
	if err != nil || esc.Kind != push.KindReport || esc.Status != push.StatusOpen {
		t.Fatalf("report escalation = %+v, %v", esc, err)
	}

	// 10:35: 王五 instructs; 张三 relays it at 10:38, inside 5 minutes.
	e.at(3, "10:35")
	e.say("wangwu", fmt.Sprintf("批示 %s 立即核实伤亡情况，做好救治", r.Number), "已送达值班员")
	e.expect("zhangsan", "领导批示")
	ins, err := e.app.Incidents.InstructionsOf(ctx, r.ID)
	if err != nil || len(ins) != 1 {
		t.Fatalf("instructions = %+v, %v", ins, err)
	}
	in := ins[0]
	if in.Officer != "zhangsan" || in.FeedbackDue.In(e.loc).Format("2006-01-02 15:04") != "2026-12-03 00:00" {
		t.Errorf("instruction = %+v; want 张三 responsible and feedback due at the end of Wednesday 12-02", in)
	}
	e.at(3, "10:38")
	e.say("zhangsan", fmt.Sprintf("传达 %d 区应急局 李科长", in.ID), "已记录：批示")
	e.expect("wangwu", "批示进展")

	// 续报 at noon and 终报 at 13:00 close the report.
	e.at(3, "12:00")
	e.say("zhangsan", fmt.Sprintf("续报 %s 伤员已送医，道路恢复通行", r.Number), "已续报")
	e.at(3, "13:00")
	e.say("zhangsan", fmt.Sprintf("终报 %s 处置完毕", r.Number), "已终报快报")

	// Saturday 08:00: Friday's bulletin reaches the leaders with exactly
	// that day's facts: the one late report, the 批示 relayed and awaiting
	// feedback, and the report's alert.
	e.at(4, "08:00")
	bulletin := e.expect("wangwu", "值班要情（11月27日）")
	for _, want := range []string{"突发事件**（1 件", "迟报 1 件", r.Number, "XX路口两车相撞", "迟报 20 分钟", "已终报",
		"领导批示**（1 条）", "立即核实伤亡情况", "区应急局 李科长", "告警**（1 条）", r.EscalationID, "张三", "王五"} {
		if !strings.Contains(bulletin, want) {
			t.Errorf("Friday's bulletin lacks %q:\n%s", want, bulletin)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Wednesday 12-02 15:00, the third working day: feedback on time.
	e.at(8, "15:00")
	e.say("zhangsan", fmt.Sprintf("反馈 %d 2名伤员已出院，路口加装信号灯", in.ID), "已记录批示")
	got, err := e.app.Incidents.Instruction(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	if got.Status != incident.InstructionFedBack || got.RelayedTo != "区应急局 李科长" || got.RelayedLate(now) || got.FedBackLate(now) {
		t.Errorf("instruction after feedback = %+v; want relayed and fed back on time", got)
	}
	if got.EscalationID != "" || got.FeedbackEscalationID != "" {
		t.Errorf("an on-time 批示 escalated: relay %q, feedback %q", got.EscalationID, got.FeedbackEscalationID)
	}
	final, err := e.app.Incidents.Report(ctx, r.ID)
	if err != nil || final.Status != incident.ReportClosed {
		t.Errorf("report after 终报 = %+v, %v", final, err)
	}
}
