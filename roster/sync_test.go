package roster_test

import (
	"reflect"
	"testing"

	"dutybot/roster"
)

// syncSummary is a plan reduced to userids and the fields that matter, so
// tables stay short.
type syncSummary struct {
	Create     []roster.Member
	Update     [][2]roster.Member
	Deactivate [][2]roster.Member
	Reactivate [][2]roster.Member
}

func syncSummarize(p roster.SyncPlan) syncSummary {
	pairs := func(cs []roster.MemberChange) [][2]roster.Member {
		var out [][2]roster.Member
		for _, c := range cs {
			out = append(out, [2]roster.Member{c.Before, c.After})
		}
		return out
	}
	return syncSummary{Create: p.Create, Update: pairs(p.Update), Deactivate: pairs(p.Deactivate), Reactivate: pairs(p.Reactivate)}
}

func syncMem(id, name, mobile, dept string, active bool, roles ...roster.Role) roster.Member {
	return roster.Member{UserID: id, Name: name, Mobile: mobile, Department: dept, Active: active, Roles: roles}
}

func syncDir(id, name, mobile, dept string, active bool) roster.DirectoryUser {
	return roster.DirectoryUser{UserID: id, Name: name, Mobile: mobile, Department: dept, Active: active}
}

func TestSyncMembers(t *testing.T) {
	officer := roster.RoleOfficer
	admin := roster.RoleAdmin
	zhang := syncMem("zhangsan", "张三", "13800000001", "值班室", true, officer)
	li := syncMem("lisi", "李四", "13800000002", "值班室", true, officer, admin)
	gone := syncMem("wangwu", "王五", "", "办公厅", false, roster.RoleLeader)

	tests := []struct {
		name     string
		existing []roster.Member
		dir      []roster.DirectoryUser
		want     syncSummary
	}{
		{
			name: "empty both",
		},
		{
			name:     "nothing changed",
			existing: []roster.Member{zhang, li},
			dir:      []roster.DirectoryUser{syncDir("lisi", "李四", "13800000002", "值班室", true), syncDir("zhangsan", "张三", "13800000001", "值班室", true)},
		},
		{
			name:     "new people are created active with no roles, in userid order",
			existing: []roster.Member{zhang},
			dir: []roster.DirectoryUser{
				syncDir("zhangsan", "张三", "13800000001", "值班室", true),
				syncDir("zhouqi", "周七", "13900000007", "办公室", true),
				syncDir("chenba", "陈八", "", "", true),
			},
			want: syncSummary{Create: []roster.Member{
				syncMem("chenba", "陈八", "", "", true),
				syncMem("zhouqi", "周七", "13900000007", "办公室", true),
			}},
		},
		{
			name: "a disabled person who is not a member is not added",
			dir:  []roster.DirectoryUser{syncDir("zhouqi", "周七", "", "办公室", false)},
		},
		{
			name: "a nameless entry is created under its userid",
			dir:  []roster.DirectoryUser{syncDir("x1", "  ", "", "", true)},
			want: syncSummary{Create: []roster.Member{syncMem("x1", "x1", "", "", true)}},
		},
		{
			name:     "name, mobile and department changes update; roles are kept",
			existing: []roster.Member{zhang, li},
			dir: []roster.DirectoryUser{
				syncDir("zhangsan", "张三丰", "13800000001", "应急办", true),
				syncDir("lisi", "李四", "13800009999", "值班室", true),
			},
			want: syncSummary{Update: [][2]roster.Member{
				{li, syncMem("lisi", "李四", "13800009999", "值班室", true, officer, admin)},
				{zhang, syncMem("zhangsan", "张三丰", "13800000001", "应急办", true, officer)},
			}},
		},
		{
			name:     "blank fields in the directory never blank known ones",
			existing: []roster.Member{zhang},
			dir:      []roster.DirectoryUser{syncDir("zhangsan", "", "", "", true)},
		},
		{
			name:     "a member gone from the directory is deactivated, not deleted, roles kept",
			existing: []roster.Member{zhang, li},
			dir:      []roster.DirectoryUser{syncDir("zhangsan", "张三", "13800000001", "值班室", true)},
			want: syncSummary{Deactivate: [][2]roster.Member{
				{li, syncMem("lisi", "李四", "13800000002", "值班室", false, officer, admin)},
			}},
		},
		{
			name:     "disabled in WeCom deactivates, and takes the new details",
			existing: []roster.Member{zhang},
			dir:      []roster.DirectoryUser{syncDir("zhangsan", "张三", "13800000001", "已离职", false)},
			want: syncSummary{Deactivate: [][2]roster.Member{
				{zhang, syncMem("zhangsan", "张三", "13800000001", "已离职", false, officer)},
			}},
		},
		{
			name:     "an inactive member missing from the directory stays as is",
			existing: []roster.Member{gone},
			dir:      []roster.DirectoryUser{syncDir("zhangsan", "张三", "", "", true)},
			want:     syncSummary{Create: []roster.Member{syncMem("zhangsan", "张三", "", "", true)}},
		},
		{
			name:     "an inactive member back in the directory is reactivated with their roles",
			existing: []roster.Member{gone},
			dir:      []roster.DirectoryUser{syncDir("wangwu", "王五", "13700000003", "办公厅", true)},
			want: syncSummary{Reactivate: [][2]roster.Member{
				{gone, syncMem("wangwu", "王五", "13700000003", "办公厅", true, roster.RoleLeader)},
			}},
		},
		{
			name:     "an inactive member still disabled in the directory stays inactive",
			existing: []roster.Member{gone},
			dir:      []roster.DirectoryUser{syncDir("wangwu", "王五", "", "办公厅", false)},
		},
		{
			name:     "userids match case-insensitively and the member keeps its own",
			existing: []roster.Member{zhang},
			dir:      []roster.DirectoryUser{syncDir("ZhangSan", "张三", "13800000001", "应急办", true)},
			want: syncSummary{Update: [][2]roster.Member{
				{zhang, syncMem("zhangsan", "张三", "13800000001", "应急办", true, officer)},
			}},
		},
		{
			name: "a userid listed twice counts once, first wins",
			dir: []roster.DirectoryUser{
				syncDir("zhouqi", "周七", "", "办公室", true),
				syncDir("ZHOUQI", "周七七", "", "别处", true),
				syncDir("", "无账号", "", "", true),
			},
			want: syncSummary{Create: []roster.Member{syncMem("zhouqi", "周七", "", "办公室", true)}},
		},
		{
			name:     "an empty directory deactivates every active member",
			existing: []roster.Member{zhang, gone},
			want: syncSummary{Deactivate: [][2]roster.Member{
				{zhang, syncMem("zhangsan", "张三", "13800000001", "值班室", false, officer)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]roster.Member(nil), tt.existing...)
			got := syncSummarize(roster.SyncMembers(tt.existing, tt.dir))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SyncMembers:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(before, tt.existing) {
				t.Errorf("SyncMembers changed its input: %+v, was %+v", tt.existing, before)
			}
		})
	}
}

func TestSyncMember(t *testing.T) {
	zhang := syncMem("zhangsan", "张三", "13800000001", "值班室", true, roster.RoleOfficer)
	li := syncMem("lisi", "李四", "", "值班室", true)
	tests := []struct {
		name     string
		existing []roster.Member
		u        roster.DirectoryUser
		want     syncSummary
	}{
		{
			name:     "other members are left alone",
			existing: []roster.Member{zhang, li},
			u:        syncDir("zhouqi", "周七", "", "办公室", true),
			want:     syncSummary{Create: []roster.Member{syncMem("zhouqi", "周七", "", "办公室", true)}},
		},
		{
			name:     "delete_user deactivates",
			existing: []roster.Member{zhang, li},
			u:        roster.DirectoryUser{UserID: "zhangsan"},
			want: syncSummary{Deactivate: [][2]roster.Member{
				{zhang, syncMem("zhangsan", "张三", "13800000001", "值班室", false, roster.RoleOfficer)},
			}},
		},
		{
			name:     "delete_user of a stranger does nothing",
			existing: []roster.Member{zhang},
			u:        roster.DirectoryUser{UserID: "nobody"},
		},
		{
			name:     "update_user changes the department",
			existing: []roster.Member{zhang},
			u:        syncDir("zhangsan", "张三", "", "应急办", true),
			want: syncSummary{Update: [][2]roster.Member{
				{zhang, syncMem("zhangsan", "张三", "13800000001", "应急办", true, roster.RoleOfficer)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := syncSummarize(roster.SyncMember(tt.existing, tt.u))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SyncMember:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSyncPlanResultAndChanges(t *testing.T) {
	admin := syncMem("boss", "赵六", "", "值班室", true, roster.RoleAdmin)
	zhang := syncMem("zhangsan", "张三", "", "值班室", true, roster.RoleOfficer)
	existing := []roster.Member{admin, zhang}
	plan := roster.SyncMembers(existing, []roster.DirectoryUser{
		syncDir("zhangsan", "张三", "", "应急办", true),
		syncDir("zhouqi", "周七", "", "", true),
	})
	if plan.Empty() {
		t.Fatal("plan is empty")
	}
	if n := len(plan.Changes()); n != 3 {
		t.Errorf("Changes = %d, want 3 (create, update, deactivate)", n)
	}
	result := plan.Result(existing)
	var ids []string
	for _, m := range result {
		ids = append(ids, m.UserID)
	}
	if want := []string{"boss", "zhangsan", "zhouqi"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Result userids = %v, want %v", ids, want)
	}
	if len(roster.ActiveAdmins(result)) != 0 {
		t.Errorf("ActiveAdmins(result) = %v, want none (boss left the directory)", roster.ActiveAdmins(result))
	}
	if len(roster.ActiveAdmins(existing)) != 1 {
		t.Errorf("ActiveAdmins(existing) = %v, want boss", roster.ActiveAdmins(existing))
	}
	if got := (roster.MemberChange{Before: zhang, After: result[1]}).ChangedFields(); !reflect.DeepEqual(got, []string{"部门"}) {
		t.Errorf("ChangedFields = %v, want [部门]", got)
	}
	if !(roster.SyncPlan{}).Empty() {
		t.Error("zero plan is not Empty")
	}
}
