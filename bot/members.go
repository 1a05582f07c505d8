package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dutybot/bot/wecom"
	"dutybot/roster"
)

// Directory reads the WeCom address book. *wecom.Directory is the real one.
type Directory interface {
	// Users lists everyone the app may see.
	Users(ctx context.Context) ([]wecom.DirectoryUser, error)
	// User reads one person; wecom.ErrNoSuchUser when WeCom does not know
	// them or the app may not see them.
	User(ctx context.Context, userID string) (wecom.DirectoryUser, error)
}

// Change types of WeCom's change_contact event that concern members.
const (
	changeCreateUser = "create_user"
	changeUpdateUser = "update_user"
	changeDeleteUser = "delete_user"
)

// listNamesMax is how many names a sync summary spells out per kind of
// change before it says "等 N 人".
const listNamesMax = 10

// replyBudget keeps a reply under WeCom's 2,048-byte limit for text and
// markdown messages, with room for a closing note.
const replyBudget = 1900

// Errors of a sync that the admin is told about.
var (
	errNoDirectory = errors.New("the WeCom address book is not configured")
	// errNoAdminLeft: applying the sync would leave no active admin, which
	// points at a misconfigured visible range more than at the truth.
	errNoAdminLeft = errors.New("the sync would deactivate every admin")
)

// memberCommands are the admin commands for members and roles.
func (s *Service) memberCommands() []*Command {
	admin := []roster.Role{roster.RoleAdmin}
	return []*Command{
		{
			Name: "同步通讯录", Aliases: []string{"sync"}, Roles: admin,
			Usage: "同步通讯录 / sync", Summary: "从企业微信通讯录更新成员 sync members from the WeCom address book",
			Run: s.cmdSync,
		},
		{
			Name: "成员", Aliases: []string{"members", "成员列表"}, Roles: admin, Markdown: true,
			Usage: "成员 列表 [角色|停用|未分配] / members", Summary: "按角色查看成员 list members by role",
			Run: s.cmdMembers,
		},
		{
			Name: "角色", Aliases: []string{"role"}, Roles: admin,
			Usage:   "角色 设置|取消 <姓名|账号> <值班员|领导|管理员> / role set|unset",
			Summary: "设置或取消成员角色 give or take a member's role",
			Run:     s.cmdRole,
		},
	}
}

// ---- sync ----

// directoryUser turns a WeCom address-book entry into the roster's view:
// the main department's name, and active unless disabled or gone.
func directoryUser(u wecom.DirectoryUser) roster.DirectoryUser {
	dept := ""
	if len(u.Departments) > 0 {
		dept = u.Departments[0]
	}
	return roster.DirectoryUser{UserID: u.UserID, Name: u.Name, Mobile: u.Mobile, Department: dept, Active: u.Active()}
}

// SyncDirectory brings the members in line with the WeCom address book
// (see roster.SyncMembers) and records who asked (actor: a userid, or
// "system" for the daily sync). It returns the plan it applied and how
// many people the address book listed. It refuses, changing nothing, when
// the address book lists no one (roster.ErrEmptyDirectory) or when the
// sync would leave no active admin (errNoAdminLeft, returned with the
// refused plan so the reply can name the admins).
func (s *Service) SyncDirectory(ctx context.Context, actor string) (roster.SyncPlan, int, error) {
	if s.directory == nil {
		return roster.SyncPlan{}, 0, errNoDirectory
	}
	users, err := s.directory.Users(ctx)
	if err != nil {
		return roster.SyncPlan{}, 0, fmt.Errorf("sync address book: %w", err)
	}
	if len(users) == 0 {
		return roster.SyncPlan{}, 0, fmt.Errorf("sync address book: %w", roster.ErrEmptyDirectory)
	}
	dir := make([]roster.DirectoryUser, len(users))
	for i, u := range users {
		dir[i] = directoryUser(u)
	}
	existing, err := s.store.Members(ctx)
	if err != nil {
		return roster.SyncPlan{}, 0, fmt.Errorf("sync address book: %w", err)
	}
	plan := roster.SyncMembers(existing, dir)
	if len(roster.ActiveAdmins(existing)) > 0 && len(roster.ActiveAdmins(plan.Result(existing))) == 0 {
		return plan, len(users), fmt.Errorf("sync address book: %w", errNoAdminLeft)
	}
	audit := roster.AuditEntry{Actor: actor, Action: "同步通讯录"}
	if err := s.store.ApplyMemberSync(ctx, plan, audit); err != nil {
		return roster.SyncPlan{}, 0, fmt.Errorf("sync address book: %w", err)
	}
	return plan, len(users), nil
}

func (s *Service) cmdSync(ctx context.Context, req Request) (string, error) {
	plan, total, err := s.SyncDirectory(ctx, req.Member.UserID)
	if msg, ok := syncRefusal(plan, err); ok {
		s.log.Warn("address-book sync refused or failed", "by", req.Member.UserID, "err", err)
		return "", &UserError{Msg: msg}
	}
	if err != nil {
		return "", err
	}
	s.log.Info("address book synced", "by", req.Member.UserID, "created", len(plan.Create),
		"updated", len(plan.Update), "deactivated", len(plan.Deactivate), "reactivated", len(plan.Reactivate))
	return syncSummary(plan, total), nil
}

// syncRefusal is what to tell the admin when a sync fails for a reason
// they can act on.
func syncRefusal(plan roster.SyncPlan, err error) (string, bool) {
	var de *wecom.DirectoryError
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, errNoDirectory):
		return "未配置企业微信应用（DUTYBOT_WECOM_*），无法读取通讯录。", true
	case errors.Is(err, roster.ErrEmptyDirectory):
		return "从企业微信通讯录没有读到任何人，为安全起见没有停用任何成员。请检查应用的「可见范围」是否包含值班室成员所在部门。", true
	case errors.Is(err, errNoAdminLeft):
		var names []string
		for _, c := range plan.Deactivate {
			if c.Before.HasRole(roster.RoleAdmin) {
				names = append(names, displayName(c.Before))
			}
		}
		return fmt.Sprintf("同步后将没有在用的管理员（%s 不在通讯录中或已停用），为安全起见没有执行。"+
			"请把管理员加入应用的「可见范围」，或先为通讯录中的成员设置管理员角色。", strings.Join(names, "、")), true
	case errors.As(err, &de):
		msg := fmt.Sprintf("同步失败：企业微信接口 %s 返回错误", de.API)
		if de.Code != 0 {
			msg += fmt.Sprintf(" %d（%s）", de.Code, de.Msg)
		} else {
			msg += "（网络或服务异常），请稍后再试"
		}
		msg += "。"
		if h := de.Hint(); h != "" {
			msg += "处理办法：" + h + "。"
		}
		return msg, true
	}
	return "", false
}

// syncSummary tells what a sync changed.
func syncSummary(plan roster.SyncPlan, total int) string {
	if plan.Empty() {
		return fmt.Sprintf("通讯录同步完成：企业微信通讯录中 %d 人，成员信息没有变化。", total)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "通讯录同步完成（企业微信通讯录中 %d 人）：", total)
	writeChanges(&b, plan)
	return b.String()
}

// writeChanges lists a plan's changes, one line per kind.
func writeChanges(b *strings.Builder, plan roster.SyncPlan) {
	if len(plan.Create) > 0 {
		names := make([]string, len(plan.Create))
		for i, m := range plan.Create {
			names[i] = memberLabel(m)
		}
		fmt.Fprintf(b, "\n· 新增 %d 人：%s", len(plan.Create), nameList(names))
	}
	line := func(verb string, cs []roster.MemberChange, fields bool) {
		if len(cs) == 0 {
			return
		}
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = memberLabel(c.After)
			if fields {
				names[i] = fmt.Sprintf("%s（%s：%s）", displayName(c.After), c.After.UserID, strings.Join(c.ChangedFields(), "、"))
			}
		}
		fmt.Fprintf(b, "\n· %s %d 人：%s", verb, len(cs), nameList(names))
	}
	line("更新", plan.Update, true)
	line("停用", plan.Deactivate, false)
	line("恢复", plan.Reactivate, false)
	if len(plan.Create) > 0 {
		b.WriteString("\n新成员还没有角色，请发送「角色 设置 <姓名> 值班员」等分配。")
	}
	for _, c := range plan.Deactivate {
		if len(c.Before.Roles) > 0 {
			b.WriteString("\n已停用的成员如有排班，请发送「排班 检查」核对。")
			break
		}
	}
}

// nameList joins names, spelling out at most listNamesMax.
func nameList(names []string) string {
	if len(names) <= listNamesMax {
		return strings.Join(names, "、")
	}
	return fmt.Sprintf("%s 等 %d 人", strings.Join(names[:listNamesMax], "、"), len(names))
}

// memberLabel is "姓名（userid，部门）".
func memberLabel(m roster.Member) string {
	if m.Department == "" {
		return fmt.Sprintf("%s（%s）", displayName(m), m.UserID)
	}
	return fmt.Sprintf("%s（%s，%s）", displayName(m), m.UserID, m.Department)
}

// RunDailySync syncs the address book every day at clock time at in the
// office's time zone, until ctx ends. Each run is logged; when it adds,
// deactivates or reactivates members, the active admins get a message.
// Without a Directory it returns at once.
func (s *Service) RunDailySync(ctx context.Context, at roster.ClockTime) {
	if s.directory == nil {
		s.log.Info("daily address-book sync off: WeCom is not configured")
		return
	}
	for {
		now := s.clock.Now()
		next := nextDaily(now, at, s.loc)
		timer := s.clock.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C():
		}
		s.dailySync(ctx)
	}
}

// nextDaily is the first instant after now at clock time at in loc.
func nextDaily(now time.Time, at roster.ClockTime, loc *time.Location) time.Time {
	day := roster.DateOf(now, loc)
	next := day.At(at, loc)
	if !next.After(now) {
		next = day.AddDays(1).At(at, loc)
	}
	return next
}

// dailySync runs one scheduled sync and reports it.
func (s *Service) dailySync(ctx context.Context) {
	plan, total, err := s.SyncDirectory(ctx, "system")
	if err != nil {
		attrs := []any{"err", err}
		var de *wecom.DirectoryError
		if errors.As(err, &de) && de.Hint() != "" {
			attrs = append(attrs, "hint", de.Hint())
		}
		s.log.Error("daily address-book sync failed; members unchanged", attrs...)
		return
	}
	s.log.Info("daily address-book sync", "listed", total, "created", len(plan.Create),
		"updated", len(plan.Update), "deactivated", len(plan.Deactivate), "reactivated", len(plan.Reactivate))
	s.notifyAdmins(ctx, "每日通讯录同步", plan)
}

// notifyAdmins tells the active admins about the changes of plan that need
// their attention: new members (they have no role yet), and members
// deactivated or reactivated. Plain detail updates are not worth a message.
func (s *Service) notifyAdmins(ctx context.Context, title string, plan roster.SyncPlan) {
	notable := roster.SyncPlan{Create: plan.Create, Deactivate: plan.Deactivate, Reactivate: plan.Reactivate}
	if notable.Empty() {
		return
	}
	ms, err := s.store.Members(ctx)
	if err != nil {
		s.log.Error("notify admins of member changes", "err", err)
		return
	}
	admins := roster.ActiveAdmins(ms)
	if len(admins) == 0 {
		s.log.Error("member changes but no active admin to tell; set DUTYBOT_ADMINS and restart")
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "【%s】", title)
	writeChanges(&b, notable)
	now := s.clock.Now().UTC()
	out := make([]roster.Outgoing, 0, len(admins))
	for _, a := range admins {
		out = append(out, roster.Outgoing{
			ToUser: a.UserID, Kind: "text", Content: b.String(), Status: roster.OutPending, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err := s.store.QueueOutgoing(ctx, out); err != nil {
		s.log.Error("notify admins of member changes", "err", err)
		return
	}
	s.outbox.wake()
}

// ---- change_contact ----

// handleContactChange applies a change_contact callback about a member at
// once: create_user and update_user read the person from the address book
// (falling back to the callback's own fields when WeCom cannot be reached)
// and create or update the member, roles kept; delete_user deactivates.
// A changed userid (NewUserID) deactivates the old member and adds the new
// id without roles. Department and tag changes wait for the daily sync.
// The event comes from WeCom itself, so nothing is replied.
func (s *Service) handleContactChange(ctx context.Context, msg wecom.Message) []string {
	log := s.log.With("change", msg.ChangeType, "userid", msg.UserID)
	switch msg.ChangeType {
	case changeCreateUser, changeUpdateUser, changeDeleteUser:
	default:
		log.Info("contact change recorded; the daily sync will pick it up")
		return nil
	}
	if strings.TrimSpace(msg.UserID) == "" {
		log.Warn("contact change without a userid ignored")
		return nil
	}
	existing, err := s.store.Members(ctx)
	if err != nil {
		log.Error("contact change not applied", "err", err)
		return nil
	}
	subject := msg.ChangeType + " " + msg.UserID
	var plan roster.SyncPlan
	switch {
	case msg.ChangeType == changeDeleteUser:
		plan = roster.SyncMember(existing, roster.DirectoryUser{UserID: msg.UserID, Active: false})
	case msg.NewUserID != "" && !strings.EqualFold(msg.NewUserID, msg.UserID):
		log.Warn("WeCom userid changed: the old member is deactivated and the new userid joins without roles; an admin must assign them again",
			"new_userid", msg.NewUserID)
		subject += " → " + msg.NewUserID
		plan = roster.SyncMember(existing, roster.DirectoryUser{UserID: msg.UserID, Active: false})
		joined := roster.SyncMember(existing, s.contactUser(ctx, msg, msg.NewUserID, existing))
		plan.Create = append(plan.Create, joined.Create...)
		plan.Update = append(plan.Update, joined.Update...)
		plan.Deactivate = append(plan.Deactivate, joined.Deactivate...)
		plan.Reactivate = append(plan.Reactivate, joined.Reactivate...)
	default:
		plan = roster.SyncMember(existing, s.contactUser(ctx, msg, msg.UserID, existing))
	}
	if plan.Empty() {
		log.Info("contact change: members already up to date")
		return nil
	}
	audit := roster.AuditEntry{Actor: "wecom", Action: "通讯录变更", Subject: subject}
	if err := s.store.ApplyMemberSync(ctx, plan, audit); err != nil {
		log.Error("contact change not applied; the daily sync will retry", "err", err)
		return nil
	}
	log.Info("contact change applied", "created", len(plan.Create), "updated", len(plan.Update),
		"deactivated", len(plan.Deactivate), "reactivated", len(plan.Reactivate))
	if len(roster.ActiveAdmins(existing)) > 0 && len(roster.ActiveAdmins(plan.Result(existing))) == 0 {
		log.Error("no active admin is left: give someone the admin role through DUTYBOT_ADMINS and restart")
	}
	s.notifyAdmins(ctx, "通讯录变更", plan)
	return nil
}

// contactUser is the address-book entry for userID after a create_user or
// update_user event: read from WeCom, or, when WeCom cannot be reached,
// made from the event's own fields (a status it does not carry keeps the
// member's current one). Someone WeCom does not know, or the app may not
// see, comes back inactive, so they are not added and are deactivated if
// they were a member.
func (s *Service) contactUser(ctx context.Context, msg wecom.Message, userID string, existing []roster.Member) roster.DirectoryUser {
	if s.directory != nil {
		u, err := s.directory.User(ctx, userID)
		if err == nil {
			return directoryUser(u)
		}
		if errors.Is(err, wecom.ErrNoSuchUser) {
			return roster.DirectoryUser{UserID: userID, Active: false}
		}
		s.log.Warn("read changed member from WeCom; using the event's fields", "userid", userID, "err", err)
	}
	u := roster.DirectoryUser{UserID: userID, Name: msg.Name, Mobile: msg.Mobile, Active: true}
	switch msg.Status {
	case wecom.StatusDisabled, wecom.StatusLeft:
		u.Active = false
	case 0:
		if m, err := roster.ResolveMember(existing, userID); err == nil && strings.EqualFold(m.UserID, userID) {
			u.Active = m.Active
		}
	}
	return u
}

// ---- 成员 列表 ----

func (s *Service) cmdMembers(ctx context.Context, req Request) (string, error) {
	args := req.Args
	if len(args) > 0 && (args[0] == "列表" || strings.EqualFold(args[0], "list")) {
		args = args[1:]
	}
	filter := ""
	if len(args) > 1 {
		return "", Userf("用法：成员 列表 [值班员|领导|管理员|停用|未分配]")
	}
	if len(args) == 1 {
		filter = args[0]
	}
	ms, err := s.store.Members(ctx)
	if err != nil {
		return "", err
	}
	return membersText(ms, filter)
}

// memberGroup is one heading of the member list and who is under it.
type memberGroup struct {
	title   string
	members []roster.Member
}

// membersText renders the member list in WeCom markdown, grouped by role
// (a member with several roles is under each), then those without a role.
// filter picks one group: a role, 停用 (inactive members) or 未分配 (no role).
func membersText(ms []roster.Member, filter string) (string, error) {
	var groups []memberGroup
	for _, r := range []roster.Role{roster.RoleAdmin, roster.RoleLeader, roster.RoleOfficer} {
		g := memberGroup{title: r.Label()}
		for _, m := range activeFirst(ms) {
			if m.HasRole(r) {
				g.members = append(g.members, m)
			}
		}
		groups = append(groups, g)
	}
	none := memberGroup{title: "未分配角色"}
	inactive := memberGroup{title: "已停用"}
	active := 0
	for _, m := range activeFirst(ms) {
		if len(m.Roles) == 0 {
			none.members = append(none.members, m)
		}
		if m.Active {
			active++
		} else {
			inactive.members = append(inactive.members, m)
		}
	}
	groups = append(groups, none)

	if filter != "" {
		switch strings.ToLower(filter) {
		case "停用", "已停用", "inactive":
			groups = []memberGroup{inactive}
		case "未分配", "无角色", "未分配角色", "none":
			groups = []memberGroup{none}
		default:
			r, err := roster.ParseRole(filter)
			if err != nil {
				return "", Userf("没有「%s」这个分组。可以按角色（值班员、领导、管理员）、停用或未分配查看，例如「成员 列表 值班员」。", filter)
			}
			for _, g := range groups {
				if g.title == r.Label() {
					groups = []memberGroup{g}
					break
				}
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "**成员**：共 %d 人，在用 %d 人，已停用 %d 人", len(ms), active, len(ms)-active)
	left := 0
	for _, g := range groups {
		if b.Len() > replyBudget {
			left += len(g.members)
			continue
		}
		fmt.Fprintf(&b, "\n**%s**（%d）", g.title, len(g.members))
		if len(g.members) == 0 {
			b.WriteString("\n> 无")
		}
		for i, m := range g.members {
			line := "\n> " + memberLine(m)
			if b.Len()+len(line) > replyBudget {
				left += len(g.members) - i
				break
			}
			b.WriteString(line)
		}
	}
	if left > 0 {
		fmt.Fprintf(&b, "\n……还有 %d 条未列出，请按分组查看，如「成员 列表 值班员」。", left)
	}
	return b.String(), nil
}

// activeFirst lists active members before inactive ones, each in the
// store's (userid) order.
func activeFirst(ms []roster.Member) []roster.Member {
	out := make([]roster.Member, 0, len(ms))
	for _, m := range ms {
		if m.Active {
			out = append(out, m)
		}
	}
	for _, m := range ms {
		if !m.Active {
			out = append(out, m)
		}
	}
	return out
}

// memberLine is one member in the list: name, userid, department, mobile,
// and 已停用 for inactive members.
func memberLine(m roster.Member) string {
	parts := []string{displayName(m) + " " + m.UserID}
	if m.Department != "" {
		parts = append(parts, m.Department)
	}
	if m.Mobile != "" {
		parts = append(parts, m.Mobile)
	}
	line := strings.Join(parts, " · ")
	if !m.Active {
		line += " <font color=\"comment\">已停用</font>"
	}
	return line
}

// ---- 角色 设置 / 取消 ----

const roleUsage = "用法：\n· 角色 设置 <姓名|账号> <值班员|领导|管理员>\n· 角色 取消 <姓名|账号> <角色>\n" +
	"例如「角色 设置 张三 领导」「role set zhangsan officer」。一位成员可以有多个角色。"

func (s *Service) cmdRole(ctx context.Context, req Request) (string, error) {
	if len(req.Args) == 0 {
		return roleUsage, nil
	}
	var grant bool
	switch strings.ToLower(req.Args[0]) {
	case "设置", "添加", "增加", "授予", "set", "add", "grant":
		grant = true
	case "取消", "删除", "撤销", "移除", "unset", "remove", "revoke":
		grant = false
	default:
		return "", Userf("不认识「%s」。%s", req.Args[0], roleUsage)
	}
	if len(req.Args) != 3 {
		return "", Userf("需要成员和一个角色。%s", roleUsage)
	}
	r, err := roster.ParseRole(req.Args[2])
	if err != nil {
		return "", Userf("没有「%s」这个角色。可用角色：值班员（officer）、领导（leader，即带班领导）、管理员（admin）。", req.Args[2])
	}
	ms, err := s.store.Members(ctx)
	if err != nil {
		return "", err
	}
	m, err := resolveMember(ms, req.Args[1])
	if err != nil {
		return "", err
	}
	who := memberLabel(m)
	if grant {
		return s.assignRole(ctx, req, m, who, r)
	}
	return s.revokeRole(ctx, req, m, who, r)
}

func (s *Service) assignRole(ctx context.Context, req Request, m roster.Member, who string, r roster.Role) (string, error) {
	if !m.Active {
		return "", Userf("%s已停用（不在企业微信通讯录中），不能设置角色。如已回到单位，请先发送「同步通讯录」。", who)
	}
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "角色 设置", Subject: m.UserID + " " + displayName(m)}
	changed, err := s.store.AssignRole(ctx, m.UserID, r, audit)
	if errors.Is(err, roster.ErrNotFound) {
		return "", &UserError{Msg: (&roster.UnknownMemberError{Query: m.UserID}).Error()}
	}
	if err != nil {
		return "", err
	}
	if !changed {
		return fmt.Sprintf("%s已经是%s，无需更改。", who, r.Label()), nil
	}
	s.log.Info("role assigned", "by", req.Member.UserID, "userid", m.UserID, "role", string(r))
	return fmt.Sprintf("已为%s设置角色：%s。\n现有角色：%s。", who, r.Label(), roleList(append(slices.Clone(m.Roles), r))), nil
}

func (s *Service) revokeRole(ctx context.Context, req Request, m roster.Member, who string, r roster.Role) (string, error) {
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "角色 取消", Subject: m.UserID + " " + displayName(m)}
	changed, err := s.store.RevokeRole(ctx, m.UserID, r, audit)
	switch {
	case errors.Is(err, roster.ErrLastAdmin):
		return "", Userf("不能取消%s的管理员角色：这是目前唯一在用的管理员，取消后就没有人能管理值班系统了。请先为另一位成员设置管理员角色。", who)
	case errors.Is(err, roster.ErrNotFound):
		return "", &UserError{Msg: (&roster.UnknownMemberError{Query: m.UserID}).Error()}
	case err != nil:
		return "", err
	}
	if !changed {
		return fmt.Sprintf("%s没有%s角色，无需取消。", who, r.Label()), nil
	}
	s.log.Info("role revoked", "by", req.Member.UserID, "userid", m.UserID, "role", string(r))
	var rest []roster.Role
	for _, x := range m.Roles {
		if x != r {
			rest = append(rest, x)
		}
	}
	now := "无（只能使用帮助、我是谁等基本命令）"
	if len(rest) > 0 {
		now = roleList(rest)
	}
	return fmt.Sprintf("已取消%s的角色：%s。\n现有角色：%s。", who, r.Label(), now), nil
}
