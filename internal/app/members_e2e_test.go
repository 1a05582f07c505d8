package app

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/roster"
)

// withOffice fills the fake WeCom's address book: three departments, the
// members newE2E knows (now in departments, with mobiles), and two people
// called 张伟 in different departments.
func mbOffice(e *e2e) *e2e {
	for _, d := range []wecomtest.Department{
		{ID: 1, Name: "市应急管理局", ParentID: 0},
		{ID: 2, Name: "值班室", ParentID: 1},
		{ID: 3, Name: "办公室", ParentID: 1},
	} {
		e.fake.AddDepartment(d)
	}
	for _, u := range []wecomtest.User{
		{UserID: "boss", Name: "王五", Department: []int{2}, Mobile: "13800000005"},
		{UserID: "zhangsan", Name: "张三", Department: []int{2}, Mobile: "13800000003"},
		{UserID: "zhouqi", Name: "周七", Department: []int{3}},
		{UserID: "zhangwei1", Name: "张伟", Department: []int{2}},
		{UserID: "zhangwei2", Name: "张伟", Department: []int{3}},
	} {
		e.fake.AddUser(u)
	}
	return e
}

// mbSay sends text from a member through the real callback path and
// returns the bot's reply (the next message the fake receives for them).
func (e *e2e) mbSay(from, text string) wecomtest.Sent {
	e.t.Helper()
	n := len(e.fake.SentTo(from))
	if code := e.post(e.text(from, text)); code != http.StatusOK {
		e.t.Fatalf("callback %q from %s: status %d", text, from, code)
	}
	return e.waitSent(from, n+1)[n]
}

func (e *e2e) mbMember(userID string) roster.Member {
	e.t.Helper()
	m, err := e.app.Store.Member(context.Background(), userID)
	if err != nil {
		e.t.Fatalf("Member(%s): %v", userID, err)
	}
	return m
}

func mbWant(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("message %q\nwant it to contain %q", got, w)
		}
	}
}

func TestE2EMemberSyncAndRoles(t *testing.T) {
	e := mbOffice(newE2E(t, ""))

	// The admin syncs: new people are members at once, with no role.
	got := e.mbSay("boss", "同步通讯录")
	mbWant(t, got.Content, "企业微信通讯录中 5 人", "新增 3 人", "周七（zhouqi，办公室）", "张伟（zhangwei1，值班室）",
		"更新 2 人", "张三（zhangsan：手机、部门）")
	if m := e.mbMember("zhouqi"); !m.Active || len(m.Roles) != 0 || m.Department != "办公室" {
		t.Errorf("zhouqi = %+v, want an active member of 办公室 with no roles", m)
	}
	if m := e.mbMember("zhangsan"); m.Department != "值班室" || m.Mobile != "13800000003" || !m.HasRole(roster.RoleOfficer) {
		t.Errorf("zhangsan = %+v, want department and mobile from WeCom, officer kept", m)
	}

	steps := []struct {
		text string
		want []string
	}{
		{"角色 设置 周七 值班员", []string{"已为周七（zhouqi，办公室）设置角色：值班员"}},
		{"role set zhangwei1 leader", []string{"已为张伟（zhangwei1，值班室）设置角色：带班领导"}},
		{"角色 设置 张伟 值班员", []string{"有 2 位成员叫「张伟」", "值班室，账号 zhangwei1", "办公室，账号 zhangwei2"}},
		{"角色 设置 王麻子 值班员", []string{"找不到成员「王麻子」"}},
		{"角色 取消 boss 管理员", []string{"唯一在用的管理员"}},
	}
	for _, s := range steps {
		mbWant(t, e.mbSay("boss", s.text).Content, s.want...)
	}
	if m := e.mbMember("zhouqi"); !slices.Equal(m.Roles, []roster.Role{roster.RoleOfficer}) {
		t.Errorf("zhouqi roles = %v, want [officer]", m.Roles)
	}
	if m := e.mbMember("zhangwei1"); !slices.Equal(m.Roles, []roster.Role{roster.RoleLeader}) {
		t.Errorf("zhangwei1 roles = %v, want [leader]", m.Roles)
	}
	if m := e.mbMember("zhangwei2"); len(m.Roles) != 0 {
		t.Errorf("zhangwei2 roles = %v: the ambiguous request changed someone", m.Roles)
	}

	// An officer is refused, and told the role needed.
	mbWant(t, e.mbSay("zhangsan", "角色 设置 张三 管理员").Content, "「角色」仅限管理员使用")
	if e.mbMember("zhangsan").HasRole(roster.RoleAdmin) {
		t.Fatal("an officer made themselves admin")
	}

	// The member list is markdown, grouped by role.
	list := e.mbSay("boss", "成员 列表")
	if list.MsgType != "markdown" {
		t.Errorf("member list sent as %s, want markdown", list.MsgType)
	}
	mbWant(t, list.Content, "**管理员**（1）", "**带班领导**（1）\n> 张伟 zhangwei1 · 值班室", "**值班员**（2）", "**未分配角色**（1）\n> 张伟 zhangwei2 · 办公室")

	// 周七 leaves WeCom: the next sync deactivates them; they stay, role and all.
	e.fake.RemoveUser("zhouqi")
	mbWant(t, e.mbSay("boss", "sync").Content, "停用 1 人：周七（zhouqi，办公室）")
	m := e.mbMember("zhouqi")
	if m.Active || !m.HasRole(roster.RoleOfficer) {
		t.Errorf("zhouqi = %+v, want kept, inactive, officer role kept", m)
	}

	mbWant(t, e.mbSay("boss", "成员 列表 停用").Content, "**已停用**（1）", "周七 zhouqi")

	es, err := e.app.Store.Audit(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range es {
		actions = append(actions, a.Actor+" "+a.Action)
	}
	want := []string{"boss 同步通讯录", "boss 角色 设置", "boss 角色 设置", "boss 同步通讯录"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit (newest first) = %v, want %v", actions, want)
	}
}

func TestE2EContactChangeCallbacks(t *testing.T) {
	e := mbOffice(newE2E(t, ""))
	ctx := context.Background()
	post := func(plain []byte) {
		t.Helper()
		if code := e.post(plain); code != http.StatusOK {
			t.Fatalf("change_contact callback: status %d", code)
		}
	}

	// create_user: the new colleague is a member at once, and the admin is told.
	e.fake.AddUser(wecomtest.User{UserID: "chenba", Name: "陈八", Department: []int{3}, Mobile: "13900000008"})
	post(wecomtest.ChangeContactXML(e2eCorp, "create_user", "chenba", "陈八", e.clock.Now()))
	mbWant(t, e.waitSent("boss", 1)[0].Content, "【通讯录变更】", "新增 1 人：陈八（chenba，办公室）", "角色 设置")
	if m := e.mbMember("chenba"); !m.Active || m.Mobile != "13900000008" || len(m.Roles) != 0 {
		t.Errorf("chenba = %+v, want active, mobile from WeCom, no roles", m)
	}

	// update_user: 张三 moves to 办公室. Detail changes send no message, so
	// a create_user after it (WeCom's events are handled in order) marks
	// when it has been applied.
	e.fake.AddUser(wecomtest.User{UserID: "zhangsan", Name: "张三", Department: []int{3}, Mobile: "13800000003"})
	post(wecomtest.ChangeContactUserXML(e2eCorp, wecomtest.ContactChange{ChangeType: "update_user", UserID: "zhangsan", Department: []int{3}}, e.clock.Now()))
	e.fake.AddUser(wecomtest.User{UserID: "chenjiu", Name: "陈九", Department: []int{2}})
	post(wecomtest.ChangeContactXML(e2eCorp, "create_user", "chenjiu", "陈九", e.clock.Now()))
	mbWant(t, e.waitSent("boss", 2)[1].Content, "陈九（chenjiu，值班室）")
	if m := e.mbMember("zhangsan"); m.Department != "办公室" || m.Mobile != "13800000003" || !m.HasRole(roster.RoleOfficer) {
		t.Errorf("zhangsan = %+v, want moved to 办公室 with mobile and officer role kept", m)
	}

	// delete_user: 张三 is deactivated, never deleted.
	e.fake.RemoveUser("zhangsan")
	post(wecomtest.ChangeContactXML(e2eCorp, "delete_user", "zhangsan", "", e.clock.Now()))
	mbWant(t, e.waitSent("boss", 3)[2].Content, "停用 1 人：张三（zhangsan，办公室）", "排班 检查")
	m := e.mbMember("zhangsan")
	if m.Active || m.Name != "张三" || !m.HasRole(roster.RoleOfficer) {
		t.Errorf("zhangsan = %+v, want kept with name and role, inactive", m)
	}

	es, err := e.app.Store.Audit(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, a := range es {
		if a.Actor != "wecom" || a.Action != "通讯录变更" {
			t.Errorf("audit entry %+v, want actor wecom, action 通讯录变更", a)
		}
		subjects = append(subjects, a.Subject)
	}
	want := []string{"delete_user zhangsan", "create_user chenjiu", "update_user zhangsan", "create_user chenba"}
	if !slices.Equal(subjects, want) {
		t.Errorf("audit subjects (newest first) = %v, want %v", subjects, want)
	}
	if _, err := e.app.Store.Member(ctx, "nobody"); !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("Member(nobody) = %v", err)
	}
}

func TestE2EDailySync(t *testing.T) {
	e := mbOffice(newE2E(t, ""))
	e.cfg.Roster.SyncAt = "03:00"
	e.restart()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// It is 09:00 in Shanghai: the daily sync waits for 03:00 tomorrow.
	if err := e.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(18*time.Hour - time.Second)
	if _, err := e.app.Store.Member(ctx, "zhouqi"); !errors.Is(err, roster.ErrNotFound) {
		t.Fatal("synced before 03:00")
	}
	e.clock.Advance(time.Second)
	mbWant(t, e.waitSent("boss", 1)[0].Content, "【每日通讯录同步】", "新增 3 人", "周七（zhouqi，办公室）")
	if m := e.mbMember("zhouqi"); !m.Active {
		t.Errorf("zhouqi = %+v, want added by the daily sync", m)
	}

	// Next night, 周七 has left WeCom: deactivated, not deleted.
	e.fake.RemoveUser("zhouqi")
	if err := e.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	mbWant(t, e.waitSent("boss", 2)[1].Content, "【每日通讯录同步】", "停用 1 人：周七")
	if m := e.mbMember("zhouqi"); m.Active {
		t.Errorf("zhouqi = %+v, want inactive", m)
	}
}
