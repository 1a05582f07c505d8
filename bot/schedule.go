package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dutybot/roster"
)

// maxListDays bounds 值班表 and 排班 生成 so a reply stays readable and a
// slip of the finger cannot rewrite a year.
const (
	maxListDays     = 31
	maxGenerateDays = 92
	myShiftsDays    = 30
)

// scheduleCommands are the roster queries and changes.
func (s *Service) scheduleCommands() []*Command {
	admin := []roster.Role{roster.RoleAdmin}
	return []*Command{
		{Name: "现在谁值班", Aliases: []string{"now", "当前值班"}, Markdown: true,
			Usage: "现在谁值班 / now", Summary: "此刻在岗的班次和人员 who is on duty right now", Run: s.cmdNow},
		{Name: "今天谁值班", Aliases: []string{"who", "今日值班", "今天值班"}, Markdown: true,
			Usage: "今天谁值班 / who", Summary: "今天各班次的人员 today's duty roster", Run: s.cmdToday},
		{Name: "值班表", Aliases: []string{"schedule"}, Markdown: true,
			Usage: "值班表 [日期|本周|下周|12月] / schedule", Summary: "查看排班 the roster for a day, week or month", Run: s.cmdSchedule},
		{Name: "我的班次", Aliases: []string{"myshifts", "我的值班"}, Markdown: true,
			Usage: "我的班次 / myshifts", Summary: "未来30天我的班次 your shifts in the next 30 days", Run: s.cmdMyShifts},
		{Name: "班次", Aliases: []string{"shifts"},
			Usage: "班次 / shifts", Summary: "班次设置（时间、人数、签到时间） the shift templates", Run: s.cmdShifts},
		{Name: "节假日", Aliases: []string{"holidays"},
			Usage:   "节假日 [期间] | 节假日 设置 <日期 至 日期> <名称> | 节假日 取消 <日期> / holidays",
			Summary: "查看或设置节假日 list or set holidays", Run: s.cmdHolidays},
		{Name: "调休", Aliases: []string{"workday"}, Roles: admin,
			Usage: "调休 <日期> [名称] / workday", Summary: "设置调休上班日 mark a weekend day as a working day", Run: s.cmdAdjusted},
		{Name: "排班", Aliases: []string{"roster"}, Roles: admin,
			Usage:   "排班 设置|添加|删除|清空|生成|检查|记录 … / roster",
			Summary: "修改排班（发送「排班」看用法） change the roster", Run: s.cmdRoster},
		{Name: "请假", Aliases: []string{"leave"}, Roles: []roster.Role{roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin},
			Usage:   "请假 <日期> [至 <日期>] [事由] | 请假 记录 | 请假 取消 <编号> | 请假 登记 <姓名> <日期 至 日期> [原因]（管理员） / leave",
			Summary: "申请请假，管理员批准后安排替班；管理员可直接登记 ask for leave (admins: record it)", Run: s.cmdLeave},
	}
}

const rosterUsage = `排班命令（仅管理员）：
· 排班 设置 <日期> <班次> <姓名…> — 该班次值班员改为这些人
· 排班 设置 <日期> <班次> 领导 <姓名> — 设置带班领导
· 排班 添加 <日期> <班次> [领导] <姓名…> — 加人
· 排班 删除 <日期> <班次> <姓名…> — 减人
· 排班 清空 <日期> <班次>
· 排班 生成 <日期 至 日期|本周|下周|12月> — 按轮换规则生成
· 排班 检查 [期间] — 检查冲突（缺人、无领导、重叠、请假）
· 排班 记录 — 最近的排班变更
日期可写 2026-12-25、12-25、12月25日、明天、周五、下周一。`

func (s *Service) today() roster.Date { return roster.DateOf(s.clock.Now(), s.loc) }

// calendar is the office calendar covering from..to (and a day either side,
// for overnight shifts).
func (s *Service) calendar(ctx context.Context, from, to roster.Date) (roster.Calendar, error) {
	days, err := s.store.HolidayDays(ctx, from.AddDays(-1), to.AddDays(1))
	if err != nil {
		return roster.Calendar{}, err
	}
	return roster.NewCalendar(days, s.settings.SpecialPeriods), nil
}

// people indexes the members by userid.
func (s *Service) people(ctx context.Context) (map[string]roster.Member, []roster.Member, error) {
	ms, err := s.store.Members(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]roster.Member, len(ms))
	for _, m := range ms {
		byID[m.UserID] = m
	}
	return byID, ms, nil
}

// activeNames maps active members' userids to names, for conflict checks.
func activeNames(byID map[string]roster.Member) map[string]string {
	names := make(map[string]string, len(byID))
	for id, m := range byID {
		if m.Active {
			names[id] = displayName(m)
		}
	}
	return names
}

// seesDetails reports whether m may see everyone's contact details.
func seesDetails(m roster.Member) bool { return m.HasAnyRole(roster.RoleLeader, roster.RoleAdmin) }

// personLabel shows a person on the roster: the name, the mobile for
// leaders and admins (and for oneself), and 已停用 for inactive members.
func personLabel(id string, byID map[string]roster.Member, viewer roster.Member) string {
	m, ok := byID[id]
	if !ok {
		return id + "（非成员）"
	}
	label := displayName(m)
	if m.Mobile != "" && (seesDetails(viewer) || m.UserID == viewer.UserID) {
		label += " " + m.Mobile
	}
	if !m.Active {
		label += "（已停用）"
	}
	if m.UserID == viewer.UserID {
		label = "**" + label + "**"
	}
	return label
}

// writeShift renders one shift of a day roster in markdown.
func writeShift(b *strings.Builder, sr roster.ShiftRoster, byID map[string]roster.Member, viewer roster.Member) {
	fmt.Fprintf(b, "\n**%s** %s", sr.Shift.Name, sr.Shift.Hours())
	names := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = personLabel(id, byID, viewer)
		}
		return strings.Join(out, "、")
	}
	if len(sr.Leaders) > 0 {
		fmt.Fprintf(b, "\n> 带班领导：%s", names(sr.Leaders))
	} else if sr.Shift.LeaderRequired {
		b.WriteString("\n> 带班领导：<font color=\"warning\">未安排</font>")
	}
	if len(sr.Officers) > 0 {
		fmt.Fprintf(b, "\n> 值班员：%s", names(sr.Officers))
	} else {
		b.WriteString("\n> 值班员：<font color=\"warning\">未安排</font>")
	}
}

func (s *Service) cmdNow(ctx context.Context, req Request) (string, error) {
	now := s.clock.Now()
	today := roster.DateOf(now, s.loc)
	cal, err := s.calendar(ctx, today.AddDays(-1), today)
	if err != nil {
		return "", err
	}
	as, err := s.store.Assignments(ctx, today.AddDays(-1), today)
	if err != nil {
		return "", err
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**现在值班**（%s %s）", today.Label(), now.In(s.loc).Format("15:04"))
	shifts := roster.OnDutyAt(s.settings.Shifts, cal, as, now, s.loc)
	if len(shifts) == 0 {
		b.WriteString("\n现在没有正在进行的班次。发送「今天谁值班」查看全天安排。")
	}
	for _, sr := range shifts {
		if sr.Date != today {
			fmt.Fprintf(&b, "\n（%s 开始的班次）", sr.Date.Label())
		}
		writeShift(&b, sr, byID, req.Member)
	}
	return b.String(), nil
}

func (s *Service) cmdToday(ctx context.Context, req Request) (string, error) {
	today := s.today()
	return s.renderDays(ctx, req.Member, today, today)
}

func (s *Service) cmdSchedule(ctx context.Context, req Request) (string, error) {
	from, to, err := s.period(req.Args, "本周")
	if err != nil {
		return "", err
	}
	if n := from.DaysUntil(to) + 1; n > maxListDays {
		return "", Userf("一次最多查看 %d 天（您要查看 %d 天）。请缩小范围，例如「值班表 本周」「值班表 12月」。", maxListDays, n)
	}
	return s.renderDays(ctx, req.Member, from, to)
}

// rosterData is what the roster replies read: the calendar around from..to,
// the assignments of asFrom..to and the members by userid.
type rosterData struct {
	cal  roster.Calendar
	as   []roster.Assignment
	byID map[string]roster.Member
}

func (s *Service) loadRoster(ctx context.Context, asFrom, from, to roster.Date) (rosterData, error) {
	var d rosterData
	var err error
	if d.cal, err = s.calendar(ctx, from, to); err != nil {
		return d, err
	}
	if d.as, err = s.store.Assignments(ctx, asFrom, to); err != nil {
		return d, err
	}
	d.byID, _, err = s.people(ctx)
	return d, err
}

// renderDays renders the roster of duty days from..to in markdown.
func (s *Service) renderDays(ctx context.Context, viewer roster.Member, from, to roster.Date) (string, error) {
	data, err := s.loadRoster(ctx, from, from, to)
	if err != nil {
		return "", err
	}
	cal, as, byID := data.cal, data.as, data.byID
	var b strings.Builder
	if from == to {
		fmt.Fprintf(&b, "**值班表 %s**", from.Label())
	} else {
		fmt.Fprintf(&b, "**值班表 %s — %s**", from.Label(), to.Label())
	}
	for d := from; !d.After(to); d = d.AddDays(1) {
		if from != to {
			fmt.Fprintf(&b, "\n\n**%s**", d.Label())
		}
		fmt.Fprintf(&b, "（%s", cal.DayType(d).Label())
		if h, ok := cal.Holiday(d); ok && h.Name != "" {
			fmt.Fprintf(&b, " %s", h.Name)
		}
		for _, p := range cal.Specials(d) {
			fmt.Fprintf(&b, "，%s", p.Name)
		}
		b.WriteString("）")
		day := roster.Day(s.settings.Shifts, cal, d, as, s.loc)
		if len(day) == 0 {
			b.WriteString("\n无班次")
		}
		for _, sr := range day {
			writeShift(&b, sr, byID, viewer)
		}
	}
	return b.String(), nil
}

func (s *Service) cmdMyShifts(ctx context.Context, req Request) (string, error) {
	from := s.today()
	to := from.AddDays(myShiftsDays - 1)
	as, err := s.store.Assignments(ctx, from, to)
	if err != nil {
		return "", err
	}
	var mine []roster.Assignment
	for _, a := range as {
		if a.UserID == req.Member.UserID {
			mine = append(mine, a)
		}
	}
	if len(mine) == 0 {
		return fmt.Sprintf("您在未来 %d 天（%s 至 %s）没有排班。", myShiftsDays, from, to), nil
	}
	roster.SortAssignments(mine, s.settings.Shifts)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s 的班次**（未来 %d 天，共 %d 个）", displayName(req.Member), myShiftsDays, len(mine))
	for _, a := range mine {
		hours := ""
		if t, ok := s.settings.Shifts.Find(a.Shift); ok {
			hours = " " + t.Hours()
		}
		fmt.Fprintf(&b, "\n· %s %s%s（%s）", a.Date.Label(), a.Shift, hours, a.Role.Label())
	}
	return b.String(), nil
}

func (s *Service) cmdShifts(ctx context.Context, req Request) (string, error) {
	var b strings.Builder
	b.WriteString("班次设置：")
	for _, t := range s.settings.Shifts {
		fmt.Fprintf(&b, "\n· %s %s，值班员 %d 名", t.Name, t.Hours(), t.Officers)
		if t.LeaderRequired {
			b.WriteString("，需带班领导")
		}
		days := "每天"
		if t.SpecialOnly {
			days = "仅特护期"
		} else if len(t.DayTypes) > 0 {
			labels := make([]string, len(t.DayTypes))
			for i, dt := range t.DayTypes {
				labels[i] = dt.Label()
			}
			days = strings.Join(labels, "、")
		}
		fmt.Fprintf(&b, "；%s；提前 %.0f 分钟可签到，开班后 %.0f 分钟未签到记为空岗",
			days, t.CheckinOpens.Minutes(), t.CheckinGrace.Minutes())
	}
	return b.String(), nil
}

// period reads a day or a period from args (default def).
func (s *Service) period(args []string, def string) (roster.Date, roster.Date, error) {
	text := strings.Join(args, " ")
	if text == "" {
		text = def
	}
	from, to, err := roster.ParsePeriod(text, s.today())
	if err != nil {
		return roster.Date{}, roster.Date{}, &UserError{Msg: err.Error()}
	}
	return from, to, nil
}

// splitPeriod takes a day or "A 至 B" off the front of args.
func splitPeriod(args []string) (period []string, rest []string) {
	if len(args) >= 3 && slices.Contains([]string{"至", "到", "to", "-", "~", "—"}, strings.ToLower(args[1])) {
		return args[:3], args[3:]
	}
	if len(args) == 0 {
		return nil, nil
	}
	return args[:1], args[1:]
}

func (s *Service) day(arg string) (roster.Date, error) {
	d, err := roster.ParseDay(arg, s.today())
	if err != nil {
		return roster.Date{}, &UserError{Msg: err.Error()}
	}
	return d, nil
}

func (s *Service) shift(name string) (roster.ShiftTemplate, error) {
	t, ok := s.settings.Shifts.Find(name)
	if !ok {
		return t, Userf("没有「%s」这个班次。现有班次：%s。", name, strings.Join(s.settings.Shifts.Names(), "、"))
	}
	return t, nil
}

// resolve finds each named member, turning lookup failures into replies;
// a member no longer active cannot be put on the roster.
func resolve(ms []roster.Member, queries []string) ([]roster.Member, error) {
	var out []roster.Member
	for _, q := range queries {
		m, err := resolveMember(ms, q)
		if err != nil {
			return nil, err
		}
		if !m.Active {
			return nil, Userf("%s（%s）已停用，不能排班。", displayName(m), m.UserID)
		}
		out = append(out, m)
	}
	return out, nil
}

// resolveMember finds the member q names; an unknown or ambiguous name is
// a reply saying so.
func resolveMember(ms []roster.Member, q string) (roster.Member, error) {
	m, err := roster.ResolveMember(ms, q)
	var amb *roster.AmbiguousError
	var unk *roster.UnknownMemberError
	switch {
	case errors.As(err, &amb), errors.As(err, &unk):
		return roster.Member{}, &UserError{Msg: err.Error()}
	case err != nil:
		return roster.Member{}, err
	}
	return m, nil
}

// conflictsText checks duty days from..to and lists what is wrong.
func (s *Service) conflictsText(ctx context.Context, from, to roster.Date) (string, error) {
	// The day before too: its overnight shifts can overlap the first day's.
	data, err := s.loadRoster(ctx, from.AddDays(-1), from, to)
	if err != nil {
		return "", err
	}
	leaves, err := s.store.Leaves(ctx, from, to)
	if err != nil {
		return "", err
	}
	cs := roster.CheckRoster(s.settings.Shifts, data.cal, data.as, leaves, activeNames(data.byID), from, to, s.loc)
	if len(cs) == 0 {
		return fmt.Sprintf("%s 至 %s 排班检查：没有发现问题。", from, to), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "⚠ 排班检查发现 %d 个问题（%s 至 %s）：", len(cs), from, to)
	const shown = 20
	for i, c := range cs {
		if i == shown {
			fmt.Fprintf(&b, "\n… 另有 %d 个，发送「排班 检查 %s 至 %s」分段查看", len(cs)-shown, from, to)
			break
		}
		fmt.Fprintf(&b, "\n· %s", c.Msg)
	}
	return b.String(), nil
}

func (s *Service) cmdRoster(ctx context.Context, req Request) (string, error) {
	if len(req.Args) == 0 {
		return rosterUsage, nil
	}
	sub, args := req.Args[0], req.Args[1:]
	switch strings.ToLower(sub) {
	case "设置", "set":
		return s.changeSlot(ctx, req, args, "set")
	case "添加", "增加", "add":
		return s.changeSlot(ctx, req, args, "add")
	case "删除", "移除", "remove", "del":
		return s.changeSlot(ctx, req, args, "remove")
	case "清空", "clear":
		return s.changeSlot(ctx, req, args, "clear")
	case "生成", "generate":
		return s.generate(ctx, req, args)
	case "检查", "check":
		from, to, err := s.period(args, "下周")
		if err != nil {
			return "", err
		}
		if n := from.DaysUntil(to) + 1; n > maxGenerateDays {
			return "", Userf("一次最多检查 %d 天。", maxGenerateDays)
		}
		return s.conflictsText(ctx, from, to)
	case "记录", "audit", "log":
		return s.auditText(ctx)
	}
	return "", Userf("没有「排班 %s」。\n%s", sub, rosterUsage)
}

// slotOpLabel names changeSlot's operations in the audit trail.
func slotOpLabel(op string) string {
	switch op {
	case "set":
		return "设置"
	case "add":
		return "添加"
	case "remove":
		return "删除"
	}
	return "清空"
}

// changeSlot applies 排班 设置/添加/删除/清空 to one slot.
func (s *Service) changeSlot(ctx context.Context, req Request, args []string, op string) (string, error) {
	minArgs := 3
	if op == "clear" {
		minArgs = 2
	}
	if len(args) < minArgs {
		return "", Userf("格式不对。\n%s", rosterUsage)
	}
	d, err := s.day(args[0])
	if err != nil {
		return "", err
	}
	t, err := s.shift(args[1])
	if err != nil {
		return "", err
	}
	role, names := roster.RoleOfficer, args[2:]
	if len(names) > 0 {
		if r, err := roster.ParseRole(names[0]); err == nil && (r == roster.RoleLeader || r == roster.RoleOfficer) {
			role, names = r, names[1:]
		}
	}
	if op != "clear" && len(names) == 0 {
		return "", Userf("请写出人员姓名或账号，例如「排班 设置 %s %s 张三」。", args[0], t.Name)
	}
	return s.applySlotChange(ctx, req.Member, d, t, op, role, names)
}

// ChangeSlot is 排班 设置/添加/删除/清空 from elsewhere than chat (the web
// console): op is "set", "add", "remove" or "clear", role RoleOfficer or
// RoleLeader, names the members' names or userids. The same rules apply as
// in chat: only admins, active members only, the audit entry, the conflict
// check in the reply and the replan of the duty deadlines. Mistakes are
// *UserError.
func (s *Service) ChangeSlot(ctx context.Context, by roster.Member, d roster.Date, shift, op string, role roster.Role, names []string) (string, error) {
	if err := requireAdmin(by, "排班"); err != nil {
		return "", err
	}
	switch op {
	case "set", "add", "remove", "clear":
	default:
		return "", Userf("未知的排班操作「%s」：可用 设置(set)、添加(add)、删除(remove)、清空(clear)。", op)
	}
	if role != roster.RoleOfficer && role != roster.RoleLeader {
		return "", Userf("岗位只能是值班员或带班领导（%s）。", role)
	}
	t, err := s.shift(shift)
	if err != nil {
		return "", err
	}
	if op != "clear" && len(names) == 0 {
		return "", Userf("请选择或写出人员姓名。")
	}
	return s.applySlotChange(ctx, by, d, t, op, role, names)
}

// applySlotChange changes one slot for by (see changeSlot).
func (s *Service) applySlotChange(ctx context.Context, by roster.Member, d roster.Date, t roster.ShiftTemplate, op string, role roster.Role, names []string) (string, error) {
	_, ms, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	people, err := resolve(ms, names)
	if err != nil {
		return "", err
	}
	current, err := s.store.Assignments(ctx, d, d)
	if err != nil {
		return "", err
	}
	slot := roster.Slot{Date: d, Shift: t.Name}
	var next []roster.Assignment
	for _, a := range current {
		if a.Slot() != slot {
			continue
		}
		named := slices.ContainsFunc(people, func(m roster.Member) bool { return m.UserID == a.UserID })
		switch {
		case op == "clear":
			continue
		case op == "set" && a.Role == role:
			continue
		case op == "remove" && named:
			continue
		}
		next = append(next, a)
	}
	if op == "set" || op == "add" {
		for _, m := range people {
			already := slices.ContainsFunc(next, func(x roster.Assignment) bool { return x.Role == role && x.UserID == m.UserID })
			if !already {
				next = append(next, roster.Assignment{Date: d, Shift: t.Name, Role: role, UserID: m.UserID, Source: roster.SourceManual})
			}
		}
	}
	audit := roster.AuditEntry{Actor: by.UserID, Action: "排班 " + slotOpLabel(op), Subject: d.String() + " " + t.Name}
	if err := s.replaceSlots(ctx, []roster.Slot{slot}, next, audit); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "已更新 %s %s %s：", d.Label(), t.Name, t.Hours())
	byID, _, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	roster.SortAssignments(next, s.settings.Shifts)
	if len(next) == 0 {
		b.WriteString("\n（无人）")
	}
	for _, a := range next {
		fmt.Fprintf(&b, "\n· %s %s", a.Role.Label(), displayName(byID[a.UserID]))
	}
	warn, err := s.conflictsText(ctx, d.AddDays(-1), d.AddDays(1))
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(warn, "⚠") {
		b.WriteString("\n\n" + warn)
	}
	return b.String(), nil
}

// generate fills duty days by the configured rotations.
func (s *Service) generate(ctx context.Context, req Request, args []string) (string, error) {
	if len(s.settings.Rotations) == 0 {
		return "", Userf("还没有配置轮换规则（roster.file 中的 groups 和 rotations），无法自动生成。可用「排班 设置」逐班安排，或发送排班表文件导入。")
	}
	if len(args) == 0 {
		return "", Userf("请写明期间，例如「排班 生成 下周」「排班 生成 12月」「排班 生成 2026-12-01 至 2026-12-31」。")
	}
	from, to, err := s.period(args, "")
	if err != nil {
		return "", err
	}
	if n := from.DaysUntil(to) + 1; n > maxGenerateDays {
		return "", Userf("一次最多生成 %d 天（您要生成 %d 天）。", maxGenerateDays, n)
	}
	if from.Before(s.today()) {
		return "", Userf("不能重新生成已经过去的日期（%s 早于今天 %s）。", from, s.today())
	}
	cal, err := s.calendar(ctx, from, to)
	if err != nil {
		return "", err
	}
	slots, as := roster.Generate(s.settings.Shifts, cal, s.settings.Groups, s.settings.Rotations, from, to)
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "排班 生成", Subject: from.String() + " 至 " + to.String()}
	if err := s.replaceSlots(ctx, slots, as, audit); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("已按轮换规则生成 %s 至 %s 的排班：%d 个班次，%d 人次。发送「值班表 %s 至 %s」查看。", from, to, len(slots), len(as), from, to)
	warn, err := s.conflictsText(ctx, from, to)
	if err != nil {
		return "", err
	}
	return msg + "\n\n" + warn, nil
}

func (s *Service) auditText(ctx context.Context) (string, error) {
	entries, err := s.store.Audit(ctx, 10)
	if err != nil {
		return "", err
	}
	if len(entries) == 0 {
		return "还没有排班变更记录。", nil
	}
	var b strings.Builder
	b.WriteString("最近的变更（新的在前）：")
	for _, e := range entries {
		fmt.Fprintf(&b, "\n· %s %s %s %s", e.At.In(s.loc).Format("01-02 15:04"), e.Actor, e.Action, e.Subject)
	}
	return b.String(), nil
}

func (s *Service) cmdHolidays(ctx context.Context, req Request) (string, error) {
	if len(req.Args) > 0 {
		switch strings.ToLower(req.Args[0]) {
		case "设置", "set":
			return s.setHolidays(ctx, req, req.Args[1:])
		case "取消", "删除", "unset", "delete":
			return s.unsetHolidays(ctx, req, req.Args[1:])
		}
	}
	from, to := s.today(), s.today().AddDays(365)
	if len(req.Args) > 0 {
		var err error
		if from, to, err = s.period(req.Args, ""); err != nil {
			return "", err
		}
	}
	days, err := s.store.HolidayDays(ctx, from, to)
	if err != nil {
		return "", err
	}
	if len(days) == 0 {
		return fmt.Sprintf("%s 至 %s 没有节假日安排。管理员可发送「节假日 设置 2027-02-10 至 2027-02-17 春节」。", from, to), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "节假日安排（%s 至 %s）：", from, to)
	for _, h := range days {
		kind := "放假"
		if !h.Off {
			kind = "调休上班"
		}
		fmt.Fprintf(&b, "\n· %s %s %s", h.Date.Label(), h.Name, kind)
	}
	return b.String(), nil
}

func requireAdmin(m roster.Member, what string) error {
	if !m.HasRole(roster.RoleAdmin) {
		return Userf("「%s」仅限管理员使用。", what)
	}
	return nil
}

func (s *Service) setHolidays(ctx context.Context, req Request, args []string) (string, error) {
	if err := requireAdmin(req.Member, "节假日 设置"); err != nil {
		return "", err
	}
	period, rest := splitPeriod(args)
	if len(period) == 0 || len(rest) == 0 {
		return "", Userf("格式：节假日 设置 <日期> [至 <日期>] <名称>，例如「节假日 设置 2027-02-10 至 2027-02-17 春节」。")
	}
	from, to, err := s.period(period, "")
	if err != nil {
		return "", err
	}
	if n := from.DaysUntil(to) + 1; n > 31 {
		return "", Userf("一个假期最多 31 天（您写了 %d 天），请检查日期。", n)
	}
	name := strings.Join(rest, " ")
	var days []roster.HolidayDay
	for d := from; !d.After(to); d = d.AddDays(1) {
		days = append(days, roster.HolidayDay{Date: d, Off: true, Name: name})
	}
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "节假日 设置", Subject: fmt.Sprintf("%s 至 %s %s", from, to, name)}
	if err := s.store.SetHolidayDays(ctx, days, audit); err != nil {
		return "", err
	}
	return fmt.Sprintf("已设置 %s 至 %s 为「%s」假期，共 %d 天。这些日期将按节假日班次排班；如有调休上班日，请发送「调休 <日期>」。", from, to, name, len(days)), nil
}

func (s *Service) unsetHolidays(ctx context.Context, req Request, args []string) (string, error) {
	if err := requireAdmin(req.Member, "节假日 取消"); err != nil {
		return "", err
	}
	if len(args) == 0 {
		return "", Userf("格式：节假日 取消 <日期> [至 <日期>]。")
	}
	from, to, err := s.period(args, "")
	if err != nil {
		return "", err
	}
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "节假日 取消", Subject: fmt.Sprintf("%s 至 %s", from, to)}
	n, err := s.store.DeleteHolidayDays(ctx, from, to, audit)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return fmt.Sprintf("%s 至 %s 没有节假日或调休安排，未做改动。", from, to), nil
	}
	return fmt.Sprintf("已取消 %s 至 %s 的 %d 天节假日/调休安排，这些日期按普通工作日或周末排班。", from, to, n), nil
}

func (s *Service) cmdAdjusted(ctx context.Context, req Request) (string, error) {
	if len(req.Args) == 0 {
		return "", Userf("格式：调休 <日期> [名称]，例如「调休 2027-02-07 春节」。")
	}
	d, err := s.day(req.Args[0])
	if err != nil {
		return "", err
	}
	name := strings.Join(req.Args[1:], " ")
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "调休", Subject: d.String() + " " + name}
	if err := s.store.SetHolidayDays(ctx, []roster.HolidayDay{{Date: d, Off: false, Name: name}}, audit); err != nil {
		return "", err
	}
	if name != "" {
		name = "（" + name + "）"
	}
	return fmt.Sprintf("已设置 %s 为调休上班日%s，当天按工作日班次排班。", d.Label(), name), nil
}

func (s *Service) cmdLeave(ctx context.Context, req Request) (string, error) {
	args := req.Args
	if len(args) == 0 || (args[0] != "登记" && strings.ToLower(args[0]) != "add") {
		// Officers and leaders ask for leave; an admin approves it
		// (requests.go). 请假 登记 stays the admin's direct record.
		return s.cmdLeaveRequest(ctx, req)
	}
	if err := requireAdmin(req.Member, "请假 登记"); err != nil {
		return "", err
	}
	if len(args) < 3 {
		return "", Userf("格式：请假 登记 <姓名> <日期> [至 <日期>] [原因]，例如「请假 登记 张三 12-24 至 12-26 病假」。")
	}
	_, ms, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	people, err := resolve(ms, args[1:2])
	if err != nil {
		return "", err
	}
	period, rest := splitPeriod(args[2:])
	from, to, err := s.period(period, "")
	if err != nil {
		return "", err
	}
	l := roster.Leave{UserID: people[0].UserID, From: from, To: to, Reason: strings.Join(rest, " ")}
	audit := roster.AuditEntry{Actor: req.Member.UserID, Action: "请假 登记", Subject: fmt.Sprintf("%s %s 至 %s", l.UserID, from, to)}
	if _, err := s.store.AddLeave(ctx, l, audit); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("已登记 %s %s 至 %s 请假。", displayName(people[0]), from, to)
	warn, err := s.conflictsText(ctx, from, to)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(warn, "⚠") {
		msg += "\n\n" + warn
	}
	return msg, nil
}
