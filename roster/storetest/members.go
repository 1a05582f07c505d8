package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"dutybot/roster"
)

// memberSyncTests check the address-book sync and the audited role changes.
func memberSyncTests() []struct {
	name string
	fn   func(t *testing.T, s roster.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s roster.Store)
	}{
		{"ApplyMemberSync", testApplyMemberSync},
		{"ApplyMemberSyncEmptyPlan", testApplyMemberSyncEmptyPlan},
		{"ApplyMemberSyncKeepsLaterRoles", testApplyMemberSyncKeepsLaterRoles},
		{"ApplyMemberSyncRejectsBlankUserID", testApplyMemberSyncRejectsBlankUserID},
		{"AssignAndRevokeRoleAudited", testAssignAndRevokeRoleAudited},
		{"AssignRoleUnknownMemberOrRole", testAssignRoleUnknownMemberOrRole},
		{"RevokeLastAdminRefused", testRevokeLastAdminRefused},
	}
}

func msUpsert(t *testing.T, s roster.Store, ms ...roster.Member) {
	t.Helper()
	for _, m := range ms {
		if err := s.UpsertMember(context.Background(), m); err != nil {
			t.Fatalf("UpsertMember(%s): %v", m.UserID, err)
		}
	}
}

func msMembers(t *testing.T, s roster.Store) []roster.Member {
	t.Helper()
	ms, err := s.Members(context.Background())
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	return ms
}

func msAudit(t *testing.T, s roster.Store) []roster.AuditEntry {
	t.Helper()
	es, err := s.Audit(context.Background(), 100)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return es
}

func testApplyMemberSync(t *testing.T, s roster.Store) {
	ctx := context.Background()
	officer, leader, admin := roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin
	msUpsert(t, s,
		roster.Member{UserID: "boss", Name: "赵六", Department: "值班室", Roles: []roster.Role{admin}, Active: true},
		roster.Member{UserID: "zhangsan", Name: "张三", Mobile: "13800000001", Department: "值班室", Roles: []roster.Role{officer}, Active: true},
		roster.Member{UserID: "lisi", Name: "李四", Department: "值班室", Roles: []roster.Role{officer, leader}, Active: true},
		roster.Member{UserID: "wangwu", Name: "王五", Department: "办公厅", Roles: []roster.Role{leader}, Active: false},
	)
	before := member(t, s, "zhangsan")
	plan := roster.SyncMembers(msMembers(t, s), []roster.DirectoryUser{
		{UserID: "boss", Name: "赵六", Department: "值班室", Active: true},
		{UserID: "zhangsan", Name: "张三", Mobile: "13800000001", Department: "应急办", Active: true},
		{UserID: "wangwu", Name: "王五", Department: "办公厅", Active: true},
		{UserID: "zhouqi", Name: "周七", Mobile: "13900000007", Department: "办公室", Active: true},
	})
	audit := roster.AuditEntry{Actor: "boss", Action: "同步通讯录"}
	if err := s.ApplyMemberSync(ctx, plan, audit); err != nil {
		t.Fatalf("ApplyMemberSync: %v", err)
	}

	ms := msMembers(t, s)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.UserID)
	}
	if want := []string{"boss", "lisi", "wangwu", "zhangsan", "zhouqi"}; !slices.Equal(ids, want) {
		t.Fatalf("members after sync = %v, want %v (none deleted)", ids, want)
	}
	check := func(id, name, dept string, active bool, roles ...roster.Role) {
		t.Helper()
		m := member(t, s, id)
		if m.Name != name || m.Department != dept || m.Active != active || !slices.Equal(m.Roles, roles) {
			t.Errorf("member %s = %+v; want name %s, department %s, active %v, roles %v", id, m, name, dept, active, roles)
		}
	}
	check("zhouqi", "周七", "办公室", true)                 // created, no roles
	check("zhangsan", "张三", "应急办", true, officer)      // updated, role kept
	check("lisi", "李四", "值班室", false, officer, leader) // deactivated, roles kept
	check("wangwu", "王五", "办公厅", true, leader)         // reactivated
	check("boss", "赵六", "值班室", true, admin)            // untouched
	if got := member(t, s, "zhouqi"); got.Mobile != "13900000007" || got.CreatedAt.IsZero() {
		t.Errorf("new member = %+v, want mobile and CreatedAt set", got)
	}
	if got := member(t, s, "zhangsan"); !got.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("zhangsan CreatedAt changed from %v to %v", before.CreatedAt, got.CreatedAt)
	}

	es := msAudit(t, s)
	if len(es) != 1 {
		t.Fatalf("audit entries = %+v, want one", es)
	}
	e := es[0]
	if e.Actor != "boss" || e.Action != "同步通讯录" || e.Subject == "" || e.At.IsZero() {
		t.Errorf("audit entry = %+v, want actor boss, action 同步通讯录, a subject and a time", e)
	}
	for _, want := range []string{"zhangsan 张三 部门=值班室", "lisi", "wangwu", "zhouqi （新成员）"} {
		if !strings.Contains(e.Before, want) {
			t.Errorf("audit Before = %q, want it to mention %q", e.Before, want)
		}
	}
	for _, want := range []string{"zhangsan 张三 部门=应急办", "lisi 李四 部门=值班室 手机= 已停用", "zhouqi 周七 部门=办公室"} {
		if !strings.Contains(e.After, want) {
			t.Errorf("audit After = %q, want it to mention %q", e.After, want)
		}
	}
	if strings.Contains(e.Before+e.After, "boss") {
		t.Errorf("audit entry mentions the unchanged boss: %+v", e)
	}
}

func testApplyMemberSyncEmptyPlan(t *testing.T, s roster.Store) {
	msUpsert(t, s, roster.Member{UserID: "zhangsan", Name: "张三", Active: true})
	plan := roster.SyncMembers(msMembers(t, s), []roster.DirectoryUser{{UserID: "zhangsan", Name: "张三", Active: true}})
	if !plan.Empty() {
		t.Fatalf("plan = %+v, want empty", plan)
	}
	if err := s.ApplyMemberSync(context.Background(), plan, roster.AuditEntry{Actor: "system", Action: "同步通讯录"}); err != nil {
		t.Fatalf("ApplyMemberSync(empty): %v", err)
	}
	if es := msAudit(t, s); len(es) != 0 {
		t.Errorf("an empty sync wrote audit entries %+v", es)
	}
}

// testApplyMemberSyncKeepsLaterRoles checks that a role granted between
// planning and applying survives: applying writes member details only.
func testApplyMemberSyncKeepsLaterRoles(t *testing.T, s roster.Store) {
	ctx := context.Background()
	msUpsert(t, s, roster.Member{UserID: "zhangsan", Name: "张三", Department: "值班室", Active: true})
	plan := roster.SyncMembers(msMembers(t, s), []roster.DirectoryUser{
		{UserID: "zhangsan", Name: "张三", Department: "应急办", Active: true},
		{UserID: "zhouqi", Name: "周七", Active: true},
	})
	if err := s.GrantRole(ctx, "zhangsan", roster.RoleLeader); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	// zhouqi appears (say, through a change_contact event) before the sync
	// applies; the sync must not take the role away.
	if err := s.GrantRole(ctx, "zhouqi", roster.RoleOfficer); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	if err := s.ApplyMemberSync(ctx, plan, roster.AuditEntry{Actor: "system", Action: "同步通讯录"}); err != nil {
		t.Fatalf("ApplyMemberSync: %v", err)
	}
	if got := member(t, s, "zhangsan"); got.Department != "应急办" || !slices.Equal(got.Roles, []roster.Role{roster.RoleLeader}) {
		t.Errorf("zhangsan = %+v, want department 应急办 and the leader role", got)
	}
	if got := member(t, s, "zhouqi"); got.Name != "周七" || !slices.Equal(got.Roles, []roster.Role{roster.RoleOfficer}) {
		t.Errorf("zhouqi = %+v, want name 周七 and the officer role", got)
	}
}

func testApplyMemberSyncRejectsBlankUserID(t *testing.T, s roster.Store) {
	plan := roster.SyncPlan{Create: []roster.Member{{UserID: "ok", Name: "好", Active: true}, {Name: "无账号", Active: true}}}
	if err := s.ApplyMemberSync(context.Background(), plan, roster.AuditEntry{Actor: "system"}); err == nil {
		t.Fatal("ApplyMemberSync with a blank userid succeeded")
	}
	if ms := msMembers(t, s); len(ms) != 0 {
		t.Errorf("members = %+v, want none (all or nothing)", ms)
	}
	if es := msAudit(t, s); len(es) != 0 {
		t.Errorf("audit = %+v, want none", es)
	}
}

func testAssignAndRevokeRoleAudited(t *testing.T, s roster.Store) {
	ctx := context.Background()
	msUpsert(t, s, roster.Member{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true})
	audit := roster.AuditEntry{Actor: "boss", Action: "角色 设置", Subject: "zhangsan 张三"}

	changed, err := s.AssignRole(ctx, "zhangsan", roster.RoleLeader, audit)
	if err != nil || !changed {
		t.Fatalf("AssignRole(leader) = %v, %v; want true, nil", changed, err)
	}
	if got := member(t, s, "zhangsan").Roles; !slices.Equal(got, []roster.Role{roster.RoleOfficer, roster.RoleLeader}) {
		t.Errorf("roles = %v, want [officer leader]", got)
	}
	changed, err = s.AssignRole(ctx, "zhangsan", roster.RoleLeader, audit)
	if err != nil || changed {
		t.Errorf("AssignRole(held role) = %v, %v; want false, nil", changed, err)
	}

	revoke := roster.AuditEntry{Actor: "boss", Action: "角色 取消", Subject: "zhangsan 张三"}
	changed, err = s.RevokeRole(ctx, "zhangsan", roster.RoleOfficer, revoke)
	if err != nil || !changed {
		t.Fatalf("RevokeRole(officer) = %v, %v; want true, nil", changed, err)
	}
	changed, err = s.RevokeRole(ctx, "zhangsan", roster.RoleAdmin, revoke)
	if err != nil || changed {
		t.Errorf("RevokeRole(role not held) = %v, %v; want false, nil", changed, err)
	}
	if got := member(t, s, "zhangsan").Roles; !slices.Equal(got, []roster.Role{roster.RoleLeader}) {
		t.Errorf("roles = %v, want [leader]", got)
	}

	es := msAudit(t, s) // newest first
	if len(es) != 2 {
		t.Fatalf("audit entries = %+v, want two (no-ops are not audited)", es)
	}
	want := []roster.AuditEntry{
		{Actor: "boss", Action: "角色 取消", Subject: "zhangsan 张三", Before: "值班员、带班领导", After: "带班领导"},
		{Actor: "boss", Action: "角色 设置", Subject: "zhangsan 张三", Before: "值班员", After: "值班员、带班领导"},
	}
	for i, w := range want {
		g := es[i]
		if g.Actor != w.Actor || g.Action != w.Action || g.Subject != w.Subject || g.Before != w.Before || g.After != w.After {
			t.Errorf("audit[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func testAssignRoleUnknownMemberOrRole(t *testing.T, s roster.Store) {
	ctx := context.Background()
	audit := roster.AuditEntry{Actor: "boss", Action: "角色 设置"}
	if _, err := s.AssignRole(ctx, "nobody", roster.RoleOfficer, audit); !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("AssignRole(unknown member) error = %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeRole(ctx, "nobody", roster.RoleOfficer, audit); !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("RevokeRole(unknown member) error = %v, want ErrNotFound", err)
	}
	if ms := msMembers(t, s); len(ms) != 0 {
		t.Errorf("AssignRole created members %+v", ms)
	}
	msUpsert(t, s, roster.Member{UserID: "zhangsan", Name: "张三", Active: true})
	if _, err := s.AssignRole(ctx, "zhangsan", "janitor", audit); err == nil {
		t.Error("AssignRole(unknown role) succeeded")
	}
	if es := msAudit(t, s); len(es) != 0 {
		t.Errorf("failed role changes wrote audit entries %+v", es)
	}
}

func testRevokeLastAdminRefused(t *testing.T, s roster.Store) {
	ctx := context.Background()
	admin := []roster.Role{roster.RoleAdmin}
	msUpsert(t, s,
		roster.Member{UserID: "boss", Name: "赵六", Roles: admin, Active: true},
		roster.Member{UserID: "old", Name: "老管理员", Roles: admin, Active: false},
	)
	audit := roster.AuditEntry{Actor: "boss", Action: "角色 取消"}

	// An inactive admin does not count, so boss is the last one.
	if _, err := s.RevokeRole(ctx, "boss", roster.RoleAdmin, audit); !errors.Is(err, roster.ErrLastAdmin) {
		t.Fatalf("RevokeRole(last admin) error = %v, want ErrLastAdmin", err)
	}
	if !member(t, s, "boss").HasRole(roster.RoleAdmin) {
		t.Fatal("the last admin lost the admin role")
	}
	if es := msAudit(t, s); len(es) != 0 {
		t.Errorf("a refused revoke wrote audit entries %+v", es)
	}
	// An inactive admin's role may go.
	if changed, err := s.RevokeRole(ctx, "old", roster.RoleAdmin, audit); err != nil || !changed {
		t.Errorf("RevokeRole(inactive admin) = %v, %v; want true, nil", changed, err)
	}
	// With a second active admin, boss may step down.
	msUpsert(t, s, roster.Member{UserID: "lisi", Name: "李四", Roles: admin, Active: true})
	if changed, err := s.RevokeRole(ctx, "boss", roster.RoleAdmin, audit); err != nil || !changed {
		t.Errorf("RevokeRole(one of two admins) = %v, %v; want true, nil", changed, err)
	}
	if _, err := s.RevokeRole(ctx, "lisi", roster.RoleAdmin, audit); !errors.Is(err, roster.ErrLastAdmin) {
		t.Errorf("RevokeRole(new last admin) error = %v, want ErrLastAdmin", err)
	}
}
