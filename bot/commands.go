package bot

import (
	"context"
	"fmt"
	"strings"

	"dutybot/roster"
)

// baseCommands are the commands every member has from the start.
func baseCommands(r *Router) []*Command {
	return []*Command{
		{
			Name: "帮助", Aliases: []string{"help", "?", "菜单", "menu"},
			Usage: "帮助 [命令] / help [command]", Summary: "查看可用命令，或一条命令的用法 list the commands you may use, or how to use one",
			Run: func(ctx context.Context, req Request) (string, error) {
				return helpText(r, req.Member, req.Args), nil
			},
		},
		{
			Name: "我是谁", Aliases: []string{"whoami"},
			Usage: "我是谁 / whoami", Summary: "查看您的身份和角色 show your name and roles",
			Run: func(ctx context.Context, req Request) (string, error) {
				return whoami(req.Member), nil
			},
		},
	}
}

// helpText lists the commands m may use, or explains the one args name.
func helpText(r *Router, m roster.Member, args []string) string {
	if len(args) > 0 {
		c := r.Lookup(strings.Join(args, " "))
		if c == nil {
			c = r.Lookup(args[0])
		}
		switch {
		case c == nil:
			return fmt.Sprintf("没有「%s」这个命令。%s", args[0], r.menu(m))
		case !c.allowed(m):
			return fmt.Sprintf("「%s」仅限%s使用。", c.Name, roleList(c.Roles))
		}
		return fmt.Sprintf("%s\n%s", c.Usage, c.Summary)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s，您好。值班机器人可用命令（中文或英文均可；发送「帮助 <命令>」查看用法，如「帮助 签到」）：", displayName(m))
	b.WriteString(r.names(m))
	return b.String()
}

func whoami(m roster.Member) string {
	roles := "无（请联系管理员分配角色）"
	if len(m.Roles) > 0 {
		roles = roleList(m.Roles)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "姓名：%s\n账号：%s\n角色：%s", displayName(m), m.UserID, roles)
	if m.Department != "" {
		fmt.Fprintf(&b, "\n部门：%s", m.Department)
	}
	return b.String()
}

func displayName(m roster.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.UserID
}
