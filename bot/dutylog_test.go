package bot

import (
	"fmt"
	"strings"
	"testing"

	"dutybot/roster"
	"dutybot/roster/duty"
)

// logEntry reads a stored duty log entry or fails the test.
func (e *dutyEnv) logEntry(id int64) duty.LogEntry {
	e.t.Helper()
	got, err := e.duty.LogEntry(e.ctx, id)
	if err != nil {
		e.t.Fatalf("log entry #%d: %v", id, err)
	}
	return got
}

func TestDutyLogRecordKinds(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	for i, tc := range []struct {
		who, text, kind, content, date, shift string
	}{
		{"zhangsan", "记录 来电 市应急局询问节日值班安排", duty.LogCall, "市应急局询问节日值班安排", "2026-12-02", "白班"},
		{"zhangsan", "记录 来文 省厅关于做好元旦值班的通知", duty.LogDocument, "省厅关于做好元旦值班的通知", "2026-12-02", "白班"},
		{"zhangsan", "记录 交办 王主任交办核实舆情", duty.LogAssigned, "王主任交办核实舆情", "2026-12-02", "白班"},
		{"zhangsan", "记录 会议通知 明早9点视频会", duty.LogMeeting, "明早9点视频会", "2026-12-02", "白班"},
		{"zhangsan", "记录 其他 检查消防通道", duty.LogOther, "检查消防通道", "2026-12-02", "白班"},
		{"zhangsan", "记录 巡查机房 一切正常", duty.LogOther, "巡查机房 一切正常", "2026-12-02", "白班"},
		{"zhangsan", "log call 区政府来电", duty.LogCall, "区政府来电", "2026-12-02", "白班"},
		{"zhangsan", "记录 来电：县应急局报平安", duty.LogCall, "县应急局报平安", "2026-12-02", "白班"},
		// The leader writes in his own shift, the admin in the shift in progress.
		{"wangwu", "记录 交办 请核实昨晚报送数据", duty.LogAssigned, "请核实昨晚报送数据", "2026-12-02", "白班"},
		{"zhaoliu", "记录 值班表已更新", duty.LogOther, "值班表已更新", "2026-12-02", "白班"},
	} {
		reply := e.say(tc.who, tc.text)
		id := int64(i + 1)
		mustContainAll(t, tc.text, reply, fmt.Sprintf("已记录 #%d", id), tc.kind, "09:00", "12-02 白班")
		got := e.logEntry(id)
		if got.Kind != tc.kind || got.Content != tc.content || got.Author != tc.who || got.Date.String() != tc.date || got.Shift != tc.shift || got.Pending {
			t.Errorf("%s: stored %+v", tc.text, got)
		}
	}
	for _, text := range []string{"记录", "记录 来电", "log"} {
		mustContainAll(t, text, e.say("zhangsan", text), "格式：记录 [类型] <内容>", "来电、来文、交办、会议通知、其他")
	}
	if entries, _ := e.duty.LogOfSlot(e.ctx, roster.Slot{Date: dutyDay, Shift: "白班"}); len(entries) != 10 {
		t.Errorf("%d entries stored, want 10 (bad input stores nothing)", len(entries))
	}
	// Someone with no duty role may not write.
	if err := e.store.UpsertMember(e.ctx, roster.Member{UserID: "guest", Name: "访客", Active: true}); err != nil {
		t.Fatal(err)
	}
	mustContainAll(t, "guest 记录", e.say("guest", "记录 来电 x"), "仅限")
	// After his shift's end, within its handover window and not yet
	// relieved, 张三 still writes in 白班; 李四 in 夜班.
	e.at(0, "17:40")
	mustContainAll(t, "张三 after his shift", e.say("zhangsan", "记录 补记下午来电"), "12-02 白班")
	mustContainAll(t, "李四 at 17:40", e.say("lisi", "记录 夜班第一条"), "12-02 夜班")
}

func TestDutyLogTodoDoneCorrect(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:30")
	mustContainAll(t, "待办", e.say("zhangsan", "待办 17:00 前回复市委办值班安排"), "已登记待办 #1", "09:30", "12-02 白班", "办结 1")
	todo := e.logEntry(1)
	if !todo.Open() || todo.HeldShift != "白班" || todo.Kind != duty.LogTodo {
		t.Errorf("pending item = %+v", todo)
	}
	mustContainAll(t, "待办 empty", e.say("zhangsan", "todo"), "格式：待办 <内容>")
	e.say("zhangsan", "记录 来电 区应急局来电")

	e.at(0, "10:30")
	for _, tc := range []struct{ text, want string }{
		{"办结", "格式：办结 <编号> [结果]"},
		{"办结 abc", "「abc」不是日志编号"},
		{"办结 99", "没有编号为 #99 的日志"},
		{"办结 2 已回复", "#2 是「来电」记录，不是待办"},
	} {
		mustContainAll(t, tc.text, e.say("zhangsan", tc.text), tc.want)
	}
	mustContainAll(t, "办结 1", e.say("zhangsan", "办结 #1 已电话回复"), "待办 #1", "已办结", "10:30", "张三", "已电话回复")
	got := e.logEntry(1)
	if got.Open() || got.ClosedBy != "zhangsan" || got.Result != "已电话回复" || got.ClosedAt.In(e.loc).Format("15:04") != "10:30" {
		t.Errorf("closed item = %+v", got)
	}
	e.at(0, "10:40")
	mustContainAll(t, "办结 again", e.say("lisi", "done 1 again"), "已于 12-02 10:30 由 张三 办结", "已电话回复", "无需重复办结")
	if again := e.logEntry(1); again.ClosedBy != "zhangsan" {
		t.Errorf("second 办结 changed the record: %+v", again)
	}
	// The 办结 itself is a 系统 entry (#3), which cannot be corrected.
	if sys := e.logEntry(3); sys.Kind != duty.LogSystem || !strings.Contains(sys.Content, "办结 #1") {
		t.Errorf("#3 = %+v; want the 系统 note of the 办结", sys)
	}
	mustContainAll(t, "更正 system", e.say("zhangsan", "更正 3 不对"), "系统自动记录", "不能更正")

	for _, tc := range []struct{ text, want string }{
		{"更正", "格式：更正 <编号> <内容>"},
		{"更正 2", "格式：更正 <编号> <内容>"},
		{"更正 x 内容", "「x」不是日志编号"},
		{"更正 99 内容", "没有编号为 #99 的日志"},
	} {
		mustContainAll(t, tc.text, e.say("zhangsan", tc.text), tc.want)
	}
	mustContainAll(t, "更正 2", e.say("zhangsan", "更正 2 来电单位为省应急厅"), "已记录更正 #4", "更正 #2", "原记录保留")
	fix := e.logEntry(4)
	if fix.Corrects != 2 || fix.Kind != duty.LogCall || fix.Content != "来电单位为省应急厅" {
		t.Errorf("correction = %+v", fix)
	}
	if old := e.logEntry(2); old.Content != "区应急局来电" || old.CorrectedBy != 4 {
		t.Errorf("corrected entry = %+v; want it unchanged, CorrectedBy 4", old)
	}
	list := e.say("zhangsan", "日志")
	mustContainAll(t, "日志", list, "#2", "区应急局来电", "已更正→#4", "#4", "来电·更正#2")
}

func TestDutyLogbook(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	e.say("zhangsan", "记录 来电 第一通电话")
	e.say("zhangsan", "待办 报送周报")
	e.at(0, "18:00")
	e.say("lisi", "记录 来文 夜间来文")

	today := e.say("wangwu", "日志")
	mustContainAll(t, "日志", today, "值班日志", "共 3 条", "#1 09:00 来电 张三：第一通电话", "#2 09:00 待办 张三：报送周报（未办结", "#3 18:00 来文 李四：夜间来文")
	if again := e.say("wangwu", "日志 今天"); again != today {
		t.Errorf("日志 今天 = %q, want the same as 日志", again)
	}
	shift := e.say("lisi", "日志 本班")
	mustContainAll(t, "日志 本班 by lisi", shift, "12-02 夜班", "共 1 条", "夜间来文")
	if strings.Contains(shift, "第一通电话") {
		t.Errorf("日志 本班 for 夜班 shows a 白班 entry: %q", shift)
	}
	mustContainAll(t, "日志 待办", e.say("lisi", "日志 待办"), "未办结的待办 1 项", "#2", "报送周报", "12-02 白班跟进")
	mustContainAll(t, "日志 #1", e.say("lisi", "日志 #1"), "日志 #1（来电）", "记录人：张三", "内容：第一通电话", "12-02 白班")
	mustContainAll(t, "日志 99", e.say("lisi", "日志 #99"), "没有编号为 #99 的日志")
	mustContainAll(t, "日志 昨天", e.say("lisi", "日志 昨天"), "没有值班日志")
	mustContainAll(t, "日志 12-02", e.say("lisi", "logbook 12-02"), "共 3 条")
	mustContainAll(t, "日志 乱写", e.say("lisi", "日志 乱写一通"), "格式：日志 [今天|本班|待办|#编号|日期]")

	// A day too long for one message keeps the latest entries and says how
	// many are left out.
	for i := 0; i < 60; i++ {
		e.say("lisi", "记录 来电 "+strings.Repeat("很长的来电内容", 5)+fmt.Sprint(i))
	}
	long := e.say("lisi", "日志")
	if len(long) > 2048 {
		t.Errorf("日志 is %d bytes, over WeCom's 2,048", len(long))
	}
	mustContainAll(t, "long 日志", long, "共 63 条", "条未显示", "#63")
	if strings.Contains(long, "第一通电话") {
		t.Error("long 日志 shows the earliest entry; want the latest kept")
	}
}
