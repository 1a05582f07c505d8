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
			Usage: "帮助 / help", Summary: "查看可用命令 list the commands you may use",
			Run: func(ctx context.Context, req Request) (string, error) {
				return helpText(r, req.Member), nil
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

func helpText(r *Router, m roster.Member) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s，您好。值班机器人可用命令（中文或英文均可）：", displayName(m))
	for _, c := range r.Available(m) {
		fmt.Fprintf(&b, "\n· %s — %s", c.Usage, c.Summary)
	}
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
