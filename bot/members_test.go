package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/roster"
)

// mbDirectory is an in-memory address book.
type mbDirectory struct {
	mu      sync.Mutex
	users   []wecom.DirectoryUser
	err     error // answered by Users and User when set
	userErr error // answered by User only
}

func (d *mbDirectory) set(users ...wecom.DirectoryUser) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users = users
}

func (d *mbDirectory) Users(ctx context.Context) ([]wecom.DirectoryUser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	return slices.Clone(d.users), nil
}

func (d *mbDirectory) User(ctx context.Context, userID string) (wecom.DirectoryUser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return wecom.DirectoryUser{}, d.err
	}
	if d.userErr != nil {
		return wecom.DirectoryUser{}, d.userErr
	}
	for _, u := range d.users {
		if strings.EqualFold(u.UserID, userID) {
			return u, nil
		}
	}
	return wecom.DirectoryUser{}, fmt.Errorf("user %q: %w", userID, wecom.ErrNoSuchUser)
}

func wu(id, name, dept string, status int) wecom.DirectoryUser {
	u := wecom.DirectoryUser{UserID: id, Name: name, Status: status}
	if dept != "" {
		u.Departments = []string{dept}
	}
	return u
}

// mbEnv is a Service on a real SQLite store with a fake address book.
type mbEnv struct {
	t     *testing.T
	store *roster.SQLStore
	dir   *mbDirectory
	clock *clock.Fake
	svc   *Service
}

var mbStart = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai

func newMBEnv(t *testing.T, withDirectory bool, members ...roster.Member) *mbEnv {
	t.Helper()
	clk := clock.NewFake(mbStart)
	store, err := roster.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "dutybot.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, m := range members {
		if err := store.UpsertMember(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	e := &mbEnv{t: t, store: store, dir: &mbDirectory{}, clock: clk}
	cfg := Config{Store: store, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: loc}
	if withDirectory {
		cfg.Directory = e.dir
	}
	e.svc = New(cfg)
	return e
}

// say routes text from the member userID and returns the reply.
func (e *mbEnv) say(userID, text string) string {
	e.t.Helper()
	m, err := e.store.Member(context.Background(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.svc.router.Route(context.Background(), m, text)
	if err != nil {
		e.t.Fatalf("Route(%q): %v", text, err)
	}
	return r.Text
}

func (e *mbEnv) member(userID string) roster.Member {
	e.t.Helper()
	m, err := e.store.Member(context.Background(), userID)
	if err != nil {
		e.t.Fatalf("Member(%s): %v", userID, err)
	}
	return m
}

func (e *mbEnv) audit() []roster.AuditEntry {
	e.t.Helper()
	es, err := e.store.Audit(context.Background(), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// queued returns the messages the bot queued on its own, to whom.
func (e *mbEnv) queued() map[string][]string {
	e.t.Helper()
	out, err := e.store.PendingOutgoing(context.Background(), 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	got := map[string][]string{}
	for _, o := range out {
		got[o.ToUser] = append(got[o.ToUser], o.Content)
	}
	return got
}

func mbContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q\nwant it to contain %q", got, w)
		}
	}
}

func mbLacks(t *testing.T, got string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			t.Errorf("reply %q\nshould not contain %q", got, w)
		}
	}
}

var (
	mbBoss     = roster.Member{UserID: "boss", Name: "赵六", Department: "值班室", Roles: []roster.Role{roster.RoleAdmin}, Active: true}
	mbZhang    = roster.Member{UserID: "zhangsan", Name: "张三", Department: "值班室", Mobile: "13800000001", Roles: []roster.Role{roster.RoleOfficer}, Active: true}
	mbWei1     = roster.Member{UserID: "zhangwei1", Name: "张伟", Department: "值班室", Active: true}
	mbWei2     = roster.Member{UserID: "zhangwei2", Name: "张伟", Department: "办公室", Active: true}
	mbLi       = roster.Member{UserID: "lisi", Name: "李四", Department: "值班室", Roles: []roster.Role{roster.RoleOfficer}, Active: false}
	mbEveryone = []roster.Member{mbBoss, mbZhang, mbWei1, mbWei2, mbLi}
)

func TestSyncCommand(t *testing.T) {
	many := []wecom.DirectoryUser{wu("boss", "赵六", "值班室", 1)}
	for i := range 15 {
		many = append(many, wu(fmt.Sprintf("new%02d", i), fmt.Sprintf("新人%02d", i), "办公室", 1))
	}
	tests := []struct {
		name      string
		noDir     bool
		members   []roster.Member
		directory []wecom.DirectoryUser
		dirErr    error
		want      []string
		unwanted  []string
		check     func(e *mbEnv)
	}{
		{
			name:    "creates, updates, deactivates and reactivates",
			members: []roster.Member{mbBoss, mbZhang, mbWei1, mbLi},
			directory: []wecom.DirectoryUser{
				wu("boss", "赵六", "值班室", wecom.StatusActivated),
				wu("zhangsan", "张三", "应急办", wecom.StatusActivated),
				wu("lisi", "李四", "值班室", wecom.StatusNotActivated),
				wu("zhouqi", "周七", "办公室", wecom.StatusActivated),
				wu("gone", "离职者", "办公室", wecom.StatusLeft),
			},
			want: []string{"企业微信通讯录中 5 人", "新增 1 人：周七（zhouqi，办公室）", "更新 1 人：张三（zhangsan：部门）",
				"停用 1 人：张伟（zhangwei1，值班室）", "恢复 1 人：李四（lisi，值班室）", "角色 设置"},
			unwanted: []string{"离职者"},
			check: func(e *mbEnv) {
				if m := e.member("zhouqi"); !m.Active || len(m.Roles) != 0 {
					t.Errorf("zhouqi = %+v, want active with no roles", m)
				}
				if m := e.member("zhangsan"); m.Department != "应急办" || !m.HasRole(roster.RoleOfficer) {
					t.Errorf("zhangsan = %+v, want department 应急办, officer kept", m)
				}
				if m := e.member("zhangwei1"); m.Active {
					t.Errorf("zhangwei1 = %+v, want deactivated (kept, not deleted)", m)
				}
				if m := e.member("lisi"); !m.Active || !m.HasRole(roster.RoleOfficer) {
					t.Errorf("lisi = %+v, want reactivated with the officer role", m)
				}
				if _, err := e.store.Member(context.Background(), "gone"); !errors.Is(err, roster.ErrNotFound) {
					t.Errorf("someone who left WeCom was added: %v", err)
				}
				es := e.audit()
				if len(es) != 1 || es[0].Actor != "boss" || es[0].Action != "同步通讯录" {
					t.Errorf("audit = %+v, want one 同步通讯录 entry by boss", es)
				}
			},
		},
		{
			name:      "nothing changed",
			members:   []roster.Member{mbBoss},
			directory: []wecom.DirectoryUser{wu("boss", "赵六", "值班室", 1)},
			want:      []string{"没有变化"},
			check: func(e *mbEnv) {
				if es := e.audit(); len(es) != 0 {
					t.Errorf("audit = %+v, want none for a sync that changed nothing", es)
				}
			},
		},
		{
			name:      "many new members are counted, not all named",
			members:   []roster.Member{mbBoss},
			directory: many,
			want:      []string{"新增 15 人", "新人00", "新人09", "等 15 人"},
			unwanted:  []string{"新人10"},
		},
		{
			name:      "an empty address book deactivates no one",
			members:   []roster.Member{mbBoss, mbZhang},
			directory: nil,
			want:      []string{"没有读到任何人", "可见范围"},
			check: func(e *mbEnv) {
				if !e.member("zhangsan").Active {
					t.Error("zhangsan was deactivated by an empty address book")
				}
			},
		},
		{
			name:      "a sync that would leave no admin is refused",
			members:   []roster.Member{mbBoss, mbZhang},
			directory: []wecom.DirectoryUser{wu("zhangsan", "张三", "值班室", 1), wu("zhouqi", "周七", "", 1)},
			want:      []string{"没有在用的管理员", "赵六", "没有执行"},
			check: func(e *mbEnv) {
				if !e.member("boss").Active {
					t.Error("the only admin was deactivated")
				}
				if _, err := e.store.Member(context.Background(), "zhouqi"); !errors.Is(err, roster.ErrNotFound) {
					t.Error("a refused sync still created members")
				}
			},
		},
		{
			name:    "WeCom refuses the server's IP",
			members: []roster.Member{mbBoss, mbZhang},
			dirErr:  &wecom.DirectoryError{API: "department/list", Code: 60020, Msg: "not allow to access from your ip"},
			want:    []string{"同步失败", "60020", "企业可信IP"},
			check: func(e *mbEnv) {
				if !e.member("zhangsan").Active {
					t.Error("a failed sync changed members")
				}
			},
		},
		{
			name:    "WeCom not configured",
			noDir:   true,
			members: []roster.Member{mbBoss},
			want:    []string{"未配置企业微信应用"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMBEnv(t, !tt.noDir, tt.members...)
			e.dir.set(tt.directory...)
			e.dir.err = tt.dirErr
			got := e.say("boss", "同步通讯录")
			mbContains(t, got, tt.want...)
			mbLacks(t, got, tt.unwanted...)
			if tt.check != nil {
				tt.check(e)
			}
			// The manual sync answers the admin; it queues nothing else.
			if q := e.queued(); len(q) != 0 {
				t.Errorf("queued %v, want nothing", q)
			}
		})
	}
}

func TestSyncEnglishAliasAndRefusal(t *testing.T) {
	e := newMBEnv(t, true, mbBoss, mbZhang)
	e.dir.set(wu("boss", "赵六", "值班室", 1), wu("zhangsan", "张三", "值班室", 1))
	mbContains(t, e.say("boss", "SYNC"), "通讯录同步完成")
	// An officer is told which role the command needs.
	mbContains(t, e.say("zhangsan", "同步通讯录"), "「同步通讯录」仅限管理员使用")
}

func TestRoleCommand(t *testing.T) {
	officer, leader, admin := roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin
	tests := []struct {
		name      string
		from      string
		text      string
		want      []string
		unwanted  []string
		userID    string        // whose roles to check afterwards
		roles     []roster.Role // their roles afterwards
		audited   bool
		extraBoss bool // a second active admin exists
	}{
		{name: "set by name", from: "boss", text: "角色 设置 张三 领导",
			want:   []string{"已为张三（zhangsan，值班室）设置角色：带班领导", "现有角色：值班员、带班领导"},
			userID: "zhangsan", roles: []roster.Role{officer, leader}, audited: true},
		{name: "set in English by userid", from: "boss", text: "role set zhangsan leader",
			want: []string{"设置角色：带班领导"}, userID: "zhangsan", roles: []roster.Role{officer, leader}, audited: true},
		{name: "userid in another case, full-width spaces", from: "boss", text: "角色　设置　ZhangSan　管理员",
			want: []string{"设置角色：管理员"}, userID: "zhangsan", roles: []roster.Role{officer, admin}, audited: true},
		{name: "two 张伟: asks which, listing departments", from: "boss", text: "角色 设置 张伟 值班员",
			want:   []string{"有 2 位成员叫「张伟」", "值班室，账号 zhangwei1", "办公室，账号 zhangwei2"},
			userID: "zhangwei1", roles: nil},
		{name: "the ambiguous one picked by userid", from: "boss", text: "角色 设置 zhangwei2 值班员",
			want: []string{"张伟（zhangwei2，办公室）"}, userID: "zhangwei2", roles: []roster.Role{officer}, audited: true},
		{name: "unknown name", from: "boss", text: "角色 设置 王麻子 值班员",
			want: []string{"找不到成员「王麻子」", "成员 列表"}},
		{name: "unknown role", from: "boss", text: "角色 设置 张三 厨师",
			want: []string{"没有「厨师」这个角色", "值班员", "领导", "管理员"}, userID: "zhangsan", roles: []roster.Role{officer}},
		{name: "inactive member", from: "boss", text: "角色 设置 lisi 领导",
			want: []string{"已停用", "同步通讯录"}, userID: "lisi", roles: []roster.Role{officer}},
		{name: "role already held", from: "boss", text: "角色 设置 张三 值班员",
			want: []string{"已经是值班员"}, userID: "zhangsan", roles: []roster.Role{officer}},
		{name: "unset", from: "boss", text: "角色 取消 张三 值班员",
			want: []string{"已取消张三（zhangsan，值班室）的角色：值班员", "现有角色：无"}, userID: "zhangsan", roles: nil, audited: true},
		{name: "unset in English", from: "boss", text: "role unset zhangsan officer",
			want: []string{"已取消"}, userID: "zhangsan", roles: nil, audited: true},
		{name: "unset a role not held", from: "boss", text: "角色 取消 张三 领导",
			want: []string{"没有带班领导角色"}, userID: "zhangsan", roles: []roster.Role{officer}},
		{name: "the last admin keeps the admin role", from: "boss", text: "角色 取消 boss 管理员",
			want: []string{"不能取消", "唯一在用的管理员", "另一位成员设置管理员"}, userID: "boss", roles: []roster.Role{admin}},
		{name: "an admin may step down when another remains", from: "boss", text: "角色 取消 赵六 admin", extraBoss: true,
			want: []string{"已取消"}, userID: "boss", roles: nil, audited: true},
		{name: "an officer is told the role needed", from: "zhangsan", text: "角色 设置 张三 领导",
			want: []string{"「角色」仅限管理员使用"}, unwanted: []string{"已为"}, userID: "zhangsan", roles: []roster.Role{officer}},
		{name: "an officer cannot use the English form either", from: "zhangsan", text: "role set zhangsan admin",
			want: []string{"仅限管理员使用"}, userID: "zhangsan", roles: []roster.Role{officer}},
		{name: "bare command shows usage", from: "boss", text: "角色",
			want: []string{"角色 设置 <姓名|账号>", "role set"}},
		{name: "missing role", from: "boss", text: "角色 设置 张三",
			want: []string{"需要成员和一个角色"}, userID: "zhangsan", roles: []roster.Role{officer}},
		{name: "unknown action", from: "boss", text: "角色 改 张三 领导",
			want: []string{"不认识「改」"}, userID: "zhangsan", roles: []roster.Role{officer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members := slices.Clone(mbEveryone)
			if tt.extraBoss {
				members = append(members, roster.Member{UserID: "boss2", Name: "钱二", Roles: []roster.Role{roster.RoleAdmin}, Active: true})
			}
			e := newMBEnv(t, true, members...)
			got := e.say(tt.from, tt.text)
			mbContains(t, got, tt.want...)
			mbLacks(t, got, tt.unwanted...)
			if tt.userID != "" {
				if m := e.member(tt.userID); !slices.Equal(m.Roles, tt.roles) {
					t.Errorf("%s roles = %v, want %v", tt.userID, m.Roles, tt.roles)
				}
			}
			es := e.audit()
			if tt.audited != (len(es) == 1) {
				t.Errorf("audit = %+v, want audited = %v", es, tt.audited)
			}
			if tt.audited && (es[0].Actor != tt.from || !strings.HasPrefix(es[0].Action, "角色 ") || !strings.HasPrefix(es[0].Subject, tt.userID)) {
				t.Errorf("audit entry = %+v, want actor %s, a 角色 action and subject %s", es[0], tt.from, tt.userID)
			}
		})
	}
}

func TestMembersCommand(t *testing.T) {
	both := roster.Member{UserID: "wangwu", Name: "王五", Department: "办公厅", Roles: []roster.Role{roster.RoleLeader, roster.RoleOfficer}, Active: true}
	tests := []struct {
		name     string
		text     string
		want     []string
		unwanted []string
	}{
		{name: "all, grouped by role", text: "成员 列表",
			want: []string{"共 6 人，在用 5 人，已停用 1 人", "**管理员**（1）\n> 赵六 boss · 值班室",
				"**带班领导**（1）\n> 王五 wangwu · 办公厅", "**值班员**（3）\n> 王五 wangwu",
				"> 张三 zhangsan · 值班室 · 13800000001", "> 李四 lisi · 值班室 <font color=\"comment\">已停用</font>",
				"**未分配角色**（2）\n> 张伟 zhangwei1 · 值班室\n> 张伟 zhangwei2 · 办公室"}},
		{name: "English", text: "members", want: []string{"**管理员**（1）"}},
		{name: "one role", text: "成员 列表 领导", want: []string{"**带班领导**（1）", "王五"}, unwanted: []string{"**管理员**", "张三"}},
		{name: "inactive only", text: "成员 列表 停用", want: []string{"**已停用**（1）", "李四"}, unwanted: []string{"张三"}},
		{name: "no role only", text: "members list none", want: []string{"**未分配角色**（2）", "zhangwei2"}, unwanted: []string{"赵六"}},
		{name: "unknown group", text: "成员 列表 厨师", want: []string{"没有「厨师」这个分组"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMBEnv(t, true, append(slices.Clone(mbEveryone), both)...)
			got := e.say("boss", tt.text)
			mbContains(t, got, tt.want...)
			mbLacks(t, got, tt.unwanted...)
		})
	}
}

func TestMembersListFitsWeCom(t *testing.T) {
	members := []roster.Member{mbBoss}
	for i := range 300 {
		members = append(members, roster.Member{UserID: fmt.Sprintf("officer%03d", i), Name: "值班员" + fmt.Sprint(i),
			Department: "市应急管理局值班室", Mobile: "13800000000", Roles: []roster.Role{roster.RoleOfficer}, Active: true})
	}
	e := newMBEnv(t, true, members...)
	got := e.say("boss", "成员 列表")
	if len(got) > 2048 {
		t.Errorf("reply is %d bytes, over WeCom's 2048", len(got))
	}
	mbContains(t, got, "**管理员**（1）", "**值班员**（300）", "条未列出", "成员 列表 值班员")
}

func TestContactChange(t *testing.T) {
	event := func(change, userID string) wecom.Message {
		return wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventChangeContact, FromUserName: "sys", ChangeType: change, UserID: userID}
	}
	tests := []struct {
		name      string
		directory []wecom.DirectoryUser
		userErr   error
		msg       wecom.Message
		check     func(t *testing.T, e *mbEnv)
		notified  []string // text every admin is told; nil: no message
		audited   bool
	}{
		{
			name:      "create_user adds the member with no roles",
			directory: []wecom.DirectoryUser{wu("zhouqi", "周七", "办公室", 1)},
			msg:       event("create_user", "zhouqi"),
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("zhouqi"); m.Name != "周七" || m.Department != "办公室" || !m.Active || len(m.Roles) != 0 {
					t.Errorf("zhouqi = %+v", m)
				}
			},
			notified: []string{"【通讯录变更】", "新增 1 人：周七（zhouqi，办公室）", "角色 设置"},
			audited:  true,
		},
		{
			name:      "update_user changes details and keeps roles, quietly",
			directory: []wecom.DirectoryUser{wu("zhangsan", "张三", "应急办", 1)},
			msg:       event("update_user", "zhangsan"),
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("zhangsan"); m.Department != "应急办" || m.Mobile != "13800000001" || !m.HasRole(roster.RoleOfficer) {
					t.Errorf("zhangsan = %+v, want new department, mobile and role kept", m)
				}
			},
			audited: true,
		},
		{
			name:      "update_user disabling the account deactivates",
			directory: []wecom.DirectoryUser{wu("zhangsan", "张三", "值班室", wecom.StatusDisabled)},
			msg:       event("update_user", "zhangsan"),
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("zhangsan"); m.Active || !m.HasRole(roster.RoleOfficer) {
					t.Errorf("zhangsan = %+v, want inactive, role kept", m)
				}
			},
			notified: []string{"停用 1 人：张三（zhangsan，值班室）", "排班 检查"},
			audited:  true,
		},
		{
			name: "delete_user deactivates, never deletes",
			msg:  event("delete_user", "zhangsan"),
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("zhangsan"); m.Active || m.Name != "张三" || !m.HasRole(roster.RoleOfficer) {
					t.Errorf("zhangsan = %+v, want kept, inactive, with name and role", m)
				}
			},
			notified: []string{"停用 1 人：张三"},
			audited:  true,
		},
		{
			name: "delete_user of a stranger changes nothing",
			msg:  event("delete_user", "stranger"),
		},
		{
			name:      "a changed userid deactivates the old and adds the new",
			directory: []wecom.DirectoryUser{wu("zhangsan2", "张三", "值班室", 1)},
			msg: wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventChangeContact, FromUserName: "sys",
				ChangeType: "update_user", UserID: "zhangsan", NewUserID: "zhangsan2"},
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("zhangsan"); m.Active {
					t.Errorf("old id = %+v, want inactive", m)
				}
				if m := e.member("zhangsan2"); !m.Active || len(m.Roles) != 0 {
					t.Errorf("new id = %+v, want active with no roles", m)
				}
				if es := e.audit(); len(es) != 1 || !strings.Contains(es[0].Subject, "zhangsan → zhangsan2") {
					t.Errorf("audit = %+v, want one entry naming both ids", es)
				}
			},
			notified: []string{"新增 1 人：张三（zhangsan2，值班室）", "停用 1 人：张三（zhangsan，值班室）"},
			audited:  true,
		},
		{
			name:    "WeCom unreachable: the event's own fields are used",
			userErr: &wecom.DirectoryError{API: "user/get", Code: -1, Msg: "system busy"},
			msg: wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventChangeContact, FromUserName: "sys",
				ChangeType: "create_user", UserID: "chenba", Name: "陈八", Mobile: "13900000008", Department: "2,3"},
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("chenba"); m.Name != "陈八" || m.Mobile != "13900000008" || !m.Active {
					t.Errorf("chenba = %+v", m)
				}
			},
			notified: []string{"陈八（chenba）"},
			audited:  true,
		},
		{
			name:    "WeCom unreachable, update without a status keeps an inactive member inactive",
			userErr: errors.New("connection refused"),
			msg: wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventChangeContact, FromUserName: "sys",
				ChangeType: "update_user", UserID: "lisi", Name: "李四四"},
			check: func(t *testing.T, e *mbEnv) {
				if m := e.member("lisi"); m.Active || m.Name != "李四四" {
					t.Errorf("lisi = %+v, want renamed and still inactive", m)
				}
			},
			audited: true,
		},
		{
			name: "someone the app may not see is not added",
			msg:  event("create_user", "outsider"),
			check: func(t *testing.T, e *mbEnv) {
				if _, err := e.store.Member(context.Background(), "outsider"); !errors.Is(err, roster.ErrNotFound) {
					t.Errorf("outsider was added: %v", err)
				}
			},
		},
		{
			name: "department changes wait for the daily sync",
			msg:  event("update_party", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMBEnv(t, true, mbBoss, mbZhang, mbLi)
			e.dir.set(tt.directory...)
			e.dir.userErr = tt.userErr
			// Through respond, as the worker calls it: nothing is replied to "sys".
			if replies := e.svc.respond(context.Background(), tt.msg); len(replies) != 0 {
				t.Errorf("replies = %+v, want none", replies)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
			q := e.queued()
			if tt.notified == nil {
				if len(q) != 0 {
					t.Errorf("queued %v, want nothing", q)
				}
			} else {
				if len(q) != 1 || len(q["boss"]) != 1 {
					t.Fatalf("queued %v, want one message to boss", q)
				}
				mbContains(t, q["boss"][0], tt.notified...)
			}
			if es := e.audit(); tt.audited != (len(es) == 1) {
				t.Errorf("audit = %+v, want audited = %v", es, tt.audited)
			}
		})
	}
}

func TestRunDailySync(t *testing.T) {
	e := newMBEnv(t, true, mbBoss, mbZhang)
	e.dir.set(wu("boss", "赵六", "值班室", 1), wu("zhangsan", "张三", "值班室", 1), wu("zhouqi", "周七", "办公室", 1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.svc.RunDailySync(ctx, 3*60) // 03:00 Shanghai
	}()
	defer func() {
		cancel()
		<-done
	}()
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := e.clock.BlockUntil(wait, 1); err != nil {
		t.Fatal(err)
	}
	// 09:00 now; the sync is due at 03:00 tomorrow, 18 hours on.
	e.clock.Advance(18*time.Hour - time.Minute)
	if _, err := e.store.Member(context.Background(), "zhouqi"); !errors.Is(err, roster.ErrNotFound) {
		t.Fatal("synced before 03:00")
	}
	e.clock.Advance(time.Minute)
	// Once the sync is done the loop arms the next day's timer.
	if err := e.clock.BlockUntil(wait, 1); err != nil {
		t.Fatal(err)
	}
	if m := e.member("zhouqi"); !m.Active || m.Department != "办公室" {
		t.Errorf("zhouqi = %+v, want added by the daily sync", m)
	}
	q := e.queued()
	if len(q["boss"]) != 1 {
		t.Fatalf("queued %v, want one message to boss", q)
	}
	mbContains(t, q["boss"][0], "【每日通讯录同步】", "新增 1 人：周七")
	if es := e.audit(); len(es) != 1 || es[0].Actor != "system" {
		t.Errorf("audit = %+v, want one entry by system", es)
	}

	// A day later nothing changed: no audit entry, no new message.
	e.clock.Advance(24 * time.Hour)
	if err := e.clock.BlockUntil(wait, 1); err != nil {
		t.Fatal(err)
	}
	if es := e.audit(); len(es) != 1 {
		t.Errorf("audit after an unchanged day = %d entries, want 1", len(es))
	}
	if q := e.queued(); len(q["boss"]) != 1 {
		t.Errorf("queued after an unchanged day = %v, want still one", q)
	}
}

func TestNextDaily(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  time.Time
		at   roster.ClockTime
		loc  *time.Location
		want time.Time
	}{
		{"later today", time.Date(2026, 11, 23, 1, 0, 0, 0, sh), 3 * 60, sh, time.Date(2026, 11, 23, 3, 0, 0, 0, sh)},
		{"passed today", time.Date(2026, 11, 23, 9, 0, 0, 0, sh), 3 * 60, sh, time.Date(2026, 11, 24, 3, 0, 0, 0, sh)},
		{"exactly now is tomorrow", time.Date(2026, 11, 23, 3, 0, 0, 0, sh), 3 * 60, sh, time.Date(2026, 11, 24, 3, 0, 0, 0, sh)},
		{"across the month and year end", time.Date(2026, 12, 31, 23, 30, 0, 0, sh), 0, sh, time.Date(2027, 1, 1, 0, 0, 0, 0, sh)},
		{"now given in UTC", time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), 3 * 60, sh, time.Date(2026, 11, 24, 3, 0, 0, 0, sh)},
		{"a DST zone keeps the wall-clock time", time.Date(2026, 3, 7, 12, 0, 0, 0, ny), 3 * 60, ny, time.Date(2026, 3, 8, 3, 0, 0, 0, ny)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextDaily(tt.now, tt.at, tt.loc); !got.Equal(tt.want) {
				t.Errorf("nextDaily(%v, %v) = %v, want %v", tt.now, tt.at, got, tt.want)
			}
		})
	}
}
