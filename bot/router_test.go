package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"dutybot/roster"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"帮助", "帮助"},
		{"  帮助  ", "帮助"},
		{"ｈｅｌｐ", "help"},
		{"我是谁\u3000", "我是谁"},
		{"记录\t来电  \n 市应急局", "记录 来电 市应急局"},
		{"排班　设置　２０２６－１２－２５　夜班", "排班 设置 2026-12-25 夜班"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func testRouter() *Router {
	r := NewRouter()
	for _, c := range baseCommands(r) {
		r.Add(c)
	}
	r.Add(&Command{
		Name: "同步通讯录", Aliases: []string{"sync"}, Roles: []roster.Role{roster.RoleAdmin},
		Usage: "同步通讯录 / sync", Summary: "admin only",
		Run: func(ctx context.Context, req Request) (string, error) {
			return "synced " + strings.Join(req.Args, ","), nil
		},
	})
	r.Add(&Command{
		Name: "坏", Aliases: []string{"broken"},
		Usage: "坏", Summary: "fails",
		Run: func(ctx context.Context, req Request) (string, error) {
			if len(req.Args) > 0 {
				return "", Userf("参数不对：%s", req.Args[0])
			}
			return "", errors.New("disk on fire")
		},
	})
	return r
}

func TestRoute(t *testing.T) {
	officer := roster.Member{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true}
	admin := roster.Member{UserID: "boss", Name: "王五", Roles: []roster.Role{roster.RoleAdmin, roster.RoleLeader}, Active: true, Department: "值班室"}
	tests := []struct {
		name      string
		member    roster.Member
		text      string
		want      []string
		notWant   []string
		wantError bool
	}{
		{name: "help in Chinese", member: officer, text: "帮助", want: []string{"张三，您好", "我是谁 / whoami"}, notWant: []string{"同步通讯录"}},
		{name: "help in English, full width", member: officer, text: "ＨＥＬＰ", want: []string{"帮助 / help"}},
		{name: "admin sees admin commands", member: admin, text: "help", want: []string{"同步通讯录 / sync"}},
		{name: "whoami", member: admin, text: "whoami", want: []string{"姓名：王五", "账号：boss", "角色：带班领导、管理员", "部门：值班室"}},
		{name: "slash prefix", member: officer, text: "/whoami", want: []string{"账号：zhangsan"}},
		{name: "unknown lists what the role may use", member: officer, text: "吃饭 现在", want: []string{"没有「吃饭」这个命令", "帮助 / help"}, notWant: []string{"同步通讯录"}},
		{name: "role denied", member: officer, text: "同步通讯录", want: []string{"「同步通讯录」仅限管理员使用"}},
		{name: "role allowed with args", member: admin, text: "sync  a　b", want: []string{"synced a,b"}},
		{name: "empty", member: officer, text: "   ", want: []string{"请输入命令"}},
		{name: "user error shown", member: officer, text: "坏 x", want: []string{"参数不对：x"}},
		{name: "internal error not shown", member: officer, text: "broken", wantError: true},
	}
	r := testRouter()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := r.Route(context.Background(), tt.member, tt.text)
			got := reply.Text
			if tt.wantError {
				if err == nil || got != "" {
					t.Fatalf("Route = %q, %v; want an error and no reply", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply %q lacks %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("reply %q should not contain %q", got, w)
				}
			}
		})
	}
}

func TestAddDuplicateNamePanics(t *testing.T) {
	r := testRouter()
	defer func() {
		if recover() == nil {
			t.Fatal("registering HELP twice did not panic")
		}
	}()
	r.Add(&Command{Name: "HELP"})
}
