// Package bot is dutybot's conversation layer: it turns WeCom callbacks into
// commands, checks who may run them, and queues the replies. The WeCom
// protocol itself lives in bot/wecom.
package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/width"

	"dutybot/roster"
)

// Request is one command as a member typed it.
type Request struct {
	Member roster.Member
	// Name is the command's canonical (Chinese) name.
	Name string
	// Args are the words after the command, already normalised.
	Args []string
	// Text is the whole normalised message.
	Text string
}

// Command is something a member can ask the bot to do.
type Command struct {
	Name    string   // Chinese name, e.g. "帮助"
	Aliases []string // other names, e.g. English "help"
	// Roles may run the command; empty means every active member.
	Roles   []roster.Role
	Usage   string // e.g. "帮助 / help"
	Summary string // one line for the help text
	// Markdown replies are sent as WeCom markdown (tables of names and
	// times read better on a phone); others as plain text.
	Markdown bool
	Run      func(ctx context.Context, req Request) (string, error)
}

// Reply is the bot's answer to one message.
type Reply struct {
	Text     string
	Markdown bool
}

// allowed reports whether m may run c.
func (c *Command) allowed(m roster.Member) bool {
	return len(c.Roles) == 0 || m.HasAnyRole(c.Roles...)
}

// UserError is a problem with what the member asked; its text is shown to
// them as is. Any other error from a command is logged and the member gets a
// generic apology.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Userf makes a UserError.
func Userf(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

// Router maps message text to commands.
type Router struct {
	commands []*Command
	byName   map[string]*Command
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{byName: make(map[string]*Command)} }

// Add registers c under its name and aliases. A name is one word, or two
// words separated by one space ("confirm import"), which Route matches
// before the first word alone. A name used twice is a programming error and
// panics at start-up.
func (r *Router) Add(c *Command) {
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		key := strings.ToLower(n)
		if _, dup := r.byName[key]; dup {
			panic(fmt.Sprintf("bot: command name %q registered twice", n))
		}
		r.byName[key] = c
	}
	r.commands = append(r.commands, c)
}

// Normalize folds full-width letters, digits, punctuation and spaces to
// their half-width forms and collapses runs of white space, so "ｈｅｌｐ",
// "帮助　" and " 帮助 " all read the same.
func Normalize(text string) string {
	return strings.Join(strings.Fields(width.Narrow.String(text)), " ")
}

// Route runs the command text names for m and returns the reply. err is
// non-nil only for failures that are not the member's fault.
func (r *Router) Route(ctx context.Context, m roster.Member, text string) (Reply, error) {
	norm := Normalize(text)
	words := strings.Fields(norm)
	if len(words) == 0 {
		return Reply{Text: "请输入命令。" + r.menu(m)}, nil
	}
	name := strings.TrimPrefix(strings.ToLower(words[0]), "/")
	c, ok := r.byName[name]
	args := words[1:]
	if len(words) > 1 {
		// A two-word name ("confirm import") wins over its first word.
		if c2, ok2 := r.byName[name+" "+strings.ToLower(words[1])]; ok2 {
			c, ok, args = c2, true, words[2:]
		}
	}
	if !ok {
		return Reply{Text: fmt.Sprintf("没有「%s」这个命令。%s", words[0], r.menu(m))}, nil
	}
	if !c.allowed(m) {
		return Reply{Text: fmt.Sprintf("「%s」仅限%s使用。%s", c.Name, roleList(c.Roles), r.menu(m))}, nil
	}
	text, err := c.Run(ctx, Request{Member: m, Name: c.Name, Args: args, Text: norm})
	var ue *UserError
	if errors.As(err, &ue) {
		return Reply{Text: ue.Msg}, nil
	}
	if err != nil {
		return Reply{}, fmt.Errorf("command %s: %w", c.Name, err)
	}
	return Reply{Text: text, Markdown: c.Markdown}, nil
}

// Available lists the commands m may run, in registration order.
func (r *Router) Available(m roster.Member) []*Command {
	var out []*Command
	for _, c := range r.commands {
		if c.allowed(m) {
			out = append(out, c)
		}
	}
	return out
}

// menu is the short list appended to "unknown command" replies.
func (r *Router) menu(m roster.Member) string {
	return "\n您可以使用：" + r.names(m) + "\n发送「帮助 <命令>」查看用法，如「帮助 签到」。"
}

// names lists the commands m may run, one short line each ("· 签到 /
// checkin"), so the list stays within WeCom's 2,048-byte text limit however
// many commands there are; 帮助 <命令> explains one.
func (r *Router) names(m roster.Member) string {
	var b strings.Builder
	for _, c := range r.Available(m) {
		b.WriteString("\n· " + c.Name)
		if len(c.Aliases) > 0 {
			b.WriteString(" / " + c.Aliases[0])
		}
	}
	return b.String()
}

// Lookup finds a command by any of its names (case-insensitive, full-width
// folded); nil when there is none.
func (r *Router) Lookup(name string) *Command {
	return r.byName[strings.ToLower(strings.TrimPrefix(Normalize(name), "/"))]
}

// roleList names roles in the office's usual order (值班员, 带班领导, 管理员).
func roleList(rs []roster.Role) string {
	var names []string
	for _, r := range roster.AllRoles() {
		if slices.Contains(rs, r) {
			names = append(names, r.Label())
		}
	}
	return strings.Join(names, "、")
}
