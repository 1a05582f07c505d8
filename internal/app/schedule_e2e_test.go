package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/roster"
)

// say sends text as user through the real callback path and returns the
// bot's reply (the next message the fake WeCom receives for user).
func (e *e2e) say(user, text string) string {
	e.t.Helper()
	n := len(e.fake.SentTo(user))
	e.post(e.text(user, text))
	sent := e.waitSent(user, n+1)
	return sent[n].Content
}

// addMembers puts members in the store and in the fake's address book.
func (e *e2e) addMembers(ms ...roster.Member) {
	e.t.Helper()
	for _, m := range ms {
		e.fake.AddUser(wecomtest.User{UserID: m.UserID, Name: m.Name, Mobile: m.Mobile, Department: []int{1}, Status: 1})
		m.Active = true
		if err := e.app.Store.UpsertMember(context.Background(), m); err != nil {
			e.t.Fatal(err)
		}
	}
}

func wantAll(t *testing.T, reply string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(reply, w) {
			t.Errorf("reply lacks %q:\n%s", w, reply)
		}
	}
}

func TestE2ERosterByChat(t *testing.T) {
	e := newE2E(t, "")
	ctx := context.Background()
	e.addMembers(
		roster.Member{UserID: "wangwu", Name: "王五", Mobile: "13800000003", Roles: []roster.Role{roster.RoleLeader}},
		roster.Member{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}},
		roster.Member{UserID: "zhangwei1", Name: "张伟", Department: "应急办", Roles: []roster.Role{roster.RoleOfficer}},
		roster.Member{UserID: "zhangwei2", Name: "张伟", Department: "信访局", Roles: []roster.Role{roster.RoleOfficer}},
	)
	// The clock: Monday 2026-11-23 09:00 in Shanghai.

	// An admin puts 张三 on today's 白班: saved, with a warning that there
	// is no leader yet.
	reply := e.say("boss", "排班 设置 今天 白班 张三")
	wantAll(t, reply, "已更新 11月23日 周一 白班 08:30–17:30", "值班员 张三", "没有带班领导")
	reply = e.say("boss", "排班 设置 今天 白班 领导 王五")
	wantAll(t, reply, "带班领导 王五", "值班员 张三")
	if strings.Contains(reply, "11月23日 周一 白班：没有带班领导") {
		t.Errorf("leader set but the warning remains:\n%s", reply)
	}

	// An officer asks who is on duty now: markdown, names, and the leader's
	// mobile is not shown to officers.
	n := len(e.fake.SentTo("zhangsan"))
	e.post(e.text("zhangsan", "现在谁值班"))
	sent := e.waitSent("zhangsan", n+1)[n]
	if sent.MsgType != "markdown" {
		t.Errorf("现在谁值班 answered as %s, want markdown", sent.MsgType)
	}
	wantAll(t, sent.Content, "现在值班", "白班", "王五", "**张三**")
	if strings.Contains(sent.Content, "13800000003") {
		t.Errorf("an officer sees the leader's mobile:\n%s", sent.Content)
	}
	// The admin sees it.
	wantAll(t, e.say("boss", "今天谁值班"), "王五 13800000003", "夜班", "未安排")

	// Officers may not change the roster; the refusal names the role.
	wantAll(t, e.say("zhangsan", "排班 设置 今天 夜班 张三"), "「排班」仅限管理员使用")

	// Bad input: each says what was wrong and changes nothing.
	before, err := e.app.Store.Assignments(ctx, roster.NewDate(2026, 1, 1), roster.NewDate(2027, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ text, want string }{
		{"排班 设置 明天 夜班 张伟", "有 2 位成员叫「张伟」"},
		{"排班 设置 明天 夜班 赵钱孙", "找不到成员「赵钱孙」"},
		{"排班 设置 2026-02-30 白班 张三", "不存在"},
		{"排班 设置 13月40日 白班 张三", "可用"},
		{"排班 设置 明天 早班 张三", "没有「早班」这个班次。现有班次：白班、夜班"},
		{"排班 设置 明天", "格式不对"},
		{"排班 乱来", "没有「排班 乱来」"},
	} {
		wantAll(t, e.say("boss", tt.text), tt.want)
	}
	wantAll(t, e.say("boss", "排班 设置 明天 夜班 张伟"), "应急办", "信访局", "zhangwei1")
	after, err := e.app.Store.Assignments(ctx, roster.NewDate(2026, 1, 1), roster.NewDate(2027, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("bad input changed the roster: %d → %d assignments", len(before), len(after))
	}

	// By userid it works; tonight's 夜班 for 李四 and 张伟 (信访局).
	wantAll(t, e.say("boss", "排班 设置 今天 夜班 李四 zhangwei2"), "值班员 李四", "值班员 张伟")

	// Holidays and 调休 through the bot.
	wantAll(t, e.say("boss", "节假日 设置 2027-02-10 至 2027-02-17 春节"), "共 8 天")
	wantAll(t, e.say("boss", "调休 2027-02-07 春节"), "2月7日 周日 为调休上班日")
	days, err := e.app.Store.HolidayDays(ctx, roster.NewDate(2027, 2, 1), roster.NewDate(2027, 2, 28))
	if err != nil || len(days) != 9 {
		t.Fatalf("holiday days = %v, %v; want 8 off + 1 调休", days, err)
	}
	wantAll(t, e.say("zhangsan", "值班表 2027-02-10"), "节假日 春节")
	wantAll(t, e.say("zhangsan", "值班表 2027-02-07"), "调休上班")
	wantAll(t, e.say("zhangsan", "节假日 设置 2027-03-01 测试"), "仅限管理员")

	// 我的班次 and the week's table.
	wantAll(t, e.say("zhangsan", "我的班次"), "11月23日 周一 白班 08:30–17:30（值班员）")
	wantAll(t, e.say("lisi", "值班表 本周"), "11月23日 周一", "11月29日 周日", "李四")

	// At 03:00 the next morning, the overnight shift that started yesterday
	// is the one on duty.
	e.clock.Advance(18 * time.Hour)
	wantAll(t, e.say("lisi", "现在谁值班"), "11月24日 周二 03:00", "11月23日 周一 开始的班次", "夜班", "**李四**")

	// Every change is in the audit trail.
	wantAll(t, e.say("boss", "排班 记录"), "boss 排班 设置 2026-11-23 夜班", "boss 调休 2027-02-07", "boss 节假日 设置")
	audit, err := e.app.Store.Audit(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range audit {
		if a.Action == "排班 设置" && a.Subject == "2026-11-23 白班" && strings.Contains(a.Before, "zhangsan") && strings.Contains(a.After, "wangwu") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit entry with before (张三) and after (王五 added) for 2026-11-23 白班: %+v", audit)
	}
}
