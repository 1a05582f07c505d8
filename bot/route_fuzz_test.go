package bot

import (
	"testing"

	"dutybot/roster/duty"
)

// FuzzRoute sends any text, as an officer, a leader and an admin, through
// every registered command on a real store. No text may make a command
// fail internally (the member would get the apology) or panic.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		"签到", "签退", "查岗 全部", "在岗", "记录 来电 市应急局通知", "待办 核实", "办结 1 已核实", "更正 1 改", "日志 #1",
		"交班 设备正常", "接班", "换班 12-03 与 孙八", "请假 12-10 至 12-12 事假", "批准 1", "驳回 1", "我的申请",
		"排班 设置 12-05 白班 张三", "排班 清空 明天 夜班", "值班表 下周", "节假日 设置 12-24 至 12-25 圣诞", "报告 较大 事故灾难 两车相撞",
		"批示 2026-1202-001 立即核实", "帮助 签到", "help", "ＨＥＬＰ", "/whoami", "确认 E1202-001", "告警", "查询 报告 迟报",
		"", " ", "签到 签到 签到", "排班 设置 2026-02-30 白班 张三", "换班 昨天 与 自己",
	} {
		f.Add(s)
	}
	e := newDutyEnv(f, duty.Settings{})
	e.at(0, "09:00")
	f.Fuzz(func(t *testing.T, text string) {
		e.t = t // report through this input's test (the fuzz target runs them one at a time)
		for _, user := range []string{"zhangsan", "wangwu", "zhaoliu"} {
			if reply := e.say(user, text); reply == apology {
				t.Fatalf("%s: %q → the internal-error apology", user, text)
			}
		}
	})
}
