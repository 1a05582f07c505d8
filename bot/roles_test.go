package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// roleCases are one member per role the office knows, plus a member with
// no role (in the address book, not yet given one by the admin).
var roleCases = []struct {
	label  string
	userID string
}{
	{"officer", "zhangsan"},
	{"leader", "wangwu"},
	{"admin", "zhaoliu"},
	{"no role", "zhouqi"},
}

// roleProbe is the text each role-restricted command is tried with: real
// arguments aimed at real rows (request 1, log entry 1, the report filed in
// the set-up), so that a command that ran despite the refusal would change
// the store.
var roleProbe = map[string]string{
	"调休":    "调休 2026-12-05 测试调休",
	"排班":    "排班 设置 2026-12-03 白班 王五 张三",
	"请假":    "请假 2026-12-04 病假",
	"同步通讯录": "同步通讯录",
	"成员":    "成员 列表",
	"角色":    "角色 设置 zhouqi 管理员",
	"确认导入":  "确认导入",
	"取消导入":  "取消导入",
	"导入排班":  "导入排班",
	"策略":    "策略 查看",
	"通知":    "通知 记录 1",
	"签到 记录": "签到 记录 今天",
	"查岗":    "查岗 全部",
	"记录":    "记录 来电 不应记下的来电",
	"待办":    "待办 不应记下的待办",
	"办结":    "办结 1 不应办结",
	"更正":    "更正 1 不应更正",
	"日志":    "日志 今天",
	"交班":    "交班 设备正常",
	"接班":    "接班",
	"换班":    "换班 2026-12-03 白班 与 孙八",
	"同意换班":  "同意换班 1",
	"拒绝换班":  "拒绝换班 1 不便",
	"批准":    "批准 1",
	"驳回":    "驳回 1 不同意",
	"我的申请":  "我的申请",
	"报告":    "报告 一般 其他 不应记下的报告",
	"续报":    "续报 {report} 不应记下的续报",
	"终报":    "终报 {report} 不应记下的终报",
	"查询 报告": "查询 报告 本月",
	"批示 记录": "批示 记录",
	"值班要情":  "值班要情",
	"统计":    "统计 本月",
}

// TestRolesEveryCommandRefused tries every registered command as every role
// the command excludes, and the role checks commands make inside themselves
// (节假日 设置/取消, 请假 登记, 告警 测试, 批示, a leave request by an admin, a
// roster file from a non-admin, a request card's 批准 button): each must
// answer the refusal and leave every table exactly as it was.
func TestRolesEveryCommandRefused(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	if err := e.store.UpsertMember(e.ctx, roster.Member{UserID: "zhouqi", Name: "周七", Active: true}); err != nil {
		t.Fatal(err)
	}
	e.at(0, "08:00")
	// Real rows for the probes to aim at: a log entry and a to-do of 张三,
	// a report, a swap request (id 1) waiting for 孙八 and the leader.
	e.say("zhangsan", "签到")
	for _, text := range []string{"记录 来电 区应急局来电", "待办 回复区应急局", "报告 一般 其他 某路口积水"} {
		if got := e.say("zhangsan", text); strings.Contains(got, "仅限") || strings.Contains(got, apology) {
			t.Fatalf("set-up %q: %s", text, got)
		}
	}
	report := e.onlyReportNumber()
	if got := e.say("zhangsan", "换班 2026-12-02 白班 与 孙八"); !strings.Contains(got, "1") {
		t.Fatalf("set-up swap: %s", got)
	}

	members := map[string]roster.Member{}
	for _, rc := range roleCases {
		m, err := e.store.Member(e.ctx, rc.userID)
		if err != nil {
			t.Fatal(err)
		}
		members[rc.label] = m
	}
	if got := members["no role"].Roles; len(got) != 0 {
		t.Fatalf("周七 should have no role, has %v", got)
	}

	type probe struct {
		role, text string
		msg        *wecom.Message // a callback other than text
		want       []string       // every one must be in the reply
	}
	var probes []probe
	tried := map[string]bool{}
	for _, c := range e.svc.router.commands {
		for _, rc := range roleCases {
			if c.allowed(members[rc.label]) {
				continue
			}
			text, ok := roleProbe[c.Name]
			if !ok {
				t.Errorf("command %q excludes %s but has no probe in roleProbe: add one", c.Name, rc.label)
				continue
			}
			tried[c.Name] = true
			probes = append(probes, probe{role: rc.label, text: strings.ReplaceAll(text, "{report}", report),
				want: []string{"「" + c.Name + "」仅限" + roleList(c.Roles) + "使用"}})
		}
	}
	for name := range roleProbe {
		if !tried[name] {
			t.Errorf("roleProbe has %q, which no role is refused (renamed or opened to everyone?)", name)
		}
	}
	// Role checks inside commands every member (or every staff role) may
	// start.
	for _, role := range []string{"officer", "leader", "no role"} {
		probes = append(probes,
			probe{role: role, text: "节假日 设置 2026-12-24 至 2026-12-25 测试假", want: []string{"「节假日 设置」仅限管理员使用"}},
			probe{role: role, text: "节假日 取消 2026-10-01 至 2026-10-08", want: []string{"「节假日 取消」仅限管理员使用"}},
			probe{role: role, text: "告警 测试", want: []string{"「告警 测试」仅限管理员使用"}},
			probe{role: role, msg: &wecom.Message{MsgType: wecom.TypeFile, FileName: "排班.csv", MediaID: "media-1"},
				want: []string{"只有管理员可以导入排班表"}},
		)
	}
	for _, role := range []string{"officer", "leader"} {
		probes = append(probes, probe{role: role, text: "请假 登记 李四 2026-12-03 至 2026-12-04 病假", want: []string{"「请假 登记」仅限管理员使用"}})
	}
	for _, role := range []string{"officer", "admin", "no role"} {
		probes = append(probes, probe{role: role, text: "批示 " + report + " 不应下达的批示", want: []string{"只有带班领导可以批示"}})
	}
	probes = append(probes, probe{role: "admin", text: "请假 2026-12-04 病假", want: []string{"请假申请由值班员或带班领导提出"}})
	for _, role := range []string{"officer", "no role"} {
		for _, action := range []string{actionApprove, actionReject} {
			probes = append(probes, probe{role: role, want: []string{"只有带班领导或管理员可以批准或驳回申请"},
				msg: &wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventTemplateCard, EventKey: requestKey(1, action),
					TaskID: "task-" + action, ResponseCode: "rc-" + action}})
		}
	}

	for _, p := range probes {
		name := p.text
		if p.msg != nil {
			name = p.msg.MsgType + " " + p.msg.EventKey + p.msg.FileName
		}
		t.Run(p.role+"/"+name, func(t *testing.T) {
			before := e.tableDigests()
			var got string
			if p.msg != nil {
				msg := *p.msg
				msg.FromUserName = members[p.role].UserID
				got = e.callback(msg)
			} else {
				got = e.say(members[p.role].UserID, p.text)
			}
			for _, w := range p.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply to %s is not the refusal %q:\n%s", p.role, w, got)
				}
			}
			after := e.tableDigests()
			for _, table := range slices.Sorted(func(yield func(string) bool) {
				for k := range after {
					if !yield(k) {
						return
					}
				}
			}) {
				if before[table] != after[table] {
					t.Errorf("refused %q by %s changed table %s: %s → %s", name, p.role, table, before[table], after[table])
				}
			}
		})
	}
}

// tableDigests is, for every table but the message journals, its row count
// and a digest of its rows, so an UPDATE shows as well as an INSERT.
func (e *dutyEnv) tableDigests() map[string]string {
	e.t.Helper()
	db := e.store.Reader()
	rows, err := db.QueryContext(e.ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		e.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, table := range tables {
		if table == "received_messages" || table == "outgoing_messages" {
			continue
		}
		rs, err := db.QueryContext(e.ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rs.Columns()
		var lines []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%q", vals))
		}
		if err := rs.Err(); err != nil {
			e.t.Fatal(err)
		}
		rs.Close()
		slices.Sort(lines)
		sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[table] = fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(sum[:6]))
	}
	return out
}

// onlyReportNumber is the number of the one report in the store.
func (e *dutyEnv) onlyReportNumber() string {
	e.t.Helper()
	var n string
	if err := e.store.Reader().QueryRowContext(e.ctx, `SELECT number FROM incident_reports`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
