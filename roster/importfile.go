package roster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// A roster file is a table with a header row and one row per person per
// shift:
//
//	日期,班次,角色,人员
//	2026-12-25,白班,带班领导,王五
//	2026-12-25,白班,值班员,张三
//
// Headers may be Chinese or English and in any order (see columnNames); the
// person may be given by name (人员/姓名) and/or by WeCom userid (账号). The
// file replaces every slot (date + shift) it mentions, wholly; slots it does
// not mention are left alone.

// RowError is a problem with one row of a roster file. Row is the row
// number as a spreadsheet program shows it (the header is usually row 1);
// 0 means the file as a whole. Msg is a Chinese sentence saying what is
// wrong and what is accepted.
type RowError struct {
	Row int
	Msg string
}

// String is "第 3 行：…", or the message alone for the whole file.
func (e RowError) String() string {
	if e.Row <= 0 {
		return e.Msg
	}
	return fmt.Sprintf("第 %d 行：%s", e.Row, e.Msg)
}

// ImportPlan is a validated roster file: the slots it replaces and the
// assignments that become their complete content, or the errors that stop
// it. Apply it with ScheduleStore.ReplaceSlots only when Errors is empty.
type ImportPlan struct {
	// Slots are the slots the file mentions, by date and shift order.
	Slots []Slot
	// Assignments are the file's rows that passed, as SortAssignments orders
	// them, with Source SourceImport.
	Assignments []Assignment
	// Errors stop the import; Warnings do not. Both are ordered by row.
	Errors   []RowError
	Warnings []RowError
	// Rows is how many data rows the file has (blank rows not counted).
	Rows int
	// Sheet is the worksheet read from an XLSX; empty for CSV.
	Sheet string

	// slotRows is the first row of each slot, for the calendar warnings.
	slotRows map[Slot]int
}

// OK reports whether the plan may be applied.
func (p ImportPlan) OK() bool { return len(p.Errors) == 0 && len(p.Slots) > 0 }

// DateRange is the first and last duty day the plan touches (zero Dates
// for an empty plan).
func (p ImportPlan) DateRange() (from, to Date) {
	if len(p.Slots) == 0 {
		return Date{}, Date{}
	}
	from, to = p.Slots[0].Date, p.Slots[0].Date
	for _, s := range p.Slots {
		if s.Date.Before(from) {
			from = s.Date
		}
		if s.Date.After(to) {
			to = s.Date
		}
	}
	return from, to
}

// Days is how many distinct duty days the plan touches.
func (p ImportPlan) Days() int {
	seen := make(map[Date]bool)
	for _, s := range p.Slots {
		seen[s.Date] = true
	}
	return len(seen)
}

// Replaced lists the assignments among existing that applying the plan
// would remove or replace: those in the plan's slots.
func (p ImportPlan) Replaced(existing []Assignment) []Assignment {
	in := make(map[Slot]bool, len(p.Slots))
	for _, s := range p.Slots {
		in[s] = true
	}
	var out []Assignment
	for _, a := range existing {
		if in[a.Slot()] {
			out = append(out, a)
		}
	}
	return out
}

// Headline is the one-line summary of a plan: rows read, dates, slots and
// assignments.
func (p ImportPlan) Headline() string {
	from, to := p.DateRange()
	if len(p.Slots) == 0 {
		return fmt.Sprintf("共 %d 行，没有可导入的排班", p.Rows)
	}
	span := from.String()
	if to != from {
		span += " 至 " + to.String()
	}
	return fmt.Sprintf("共 %d 行，%s，%d 天、%d 个班次、%d 条排班", p.Rows, span, p.Days(), len(p.Slots), len(p.Assignments))
}

// DayLines summarises the plan one line per day, e.g.
// "12月25日 周五：白班（带班 王五；值班 张三）、夜班（带班 王五；值班 李四）".
// name gives a member's display name for a userid.
func (p ImportPlan) DayLines(name func(userID string) string) []string {
	type crew struct{ leaders, officers []string }
	bySlot := make(map[Slot]*crew)
	for _, a := range p.Assignments {
		c := bySlot[a.Slot()]
		if c == nil {
			c = &crew{}
			bySlot[a.Slot()] = c
		}
		if a.Role == RoleLeader {
			c.leaders = append(c.leaders, name(a.UserID))
		} else {
			c.officers = append(c.officers, name(a.UserID))
		}
	}
	var lines []string
	for i := 0; i < len(p.Slots); {
		d := p.Slots[i].Date
		var parts []string
		for ; i < len(p.Slots) && p.Slots[i].Date == d; i++ {
			c := bySlot[p.Slots[i]]
			var who []string
			if len(c.leaders) > 0 {
				who = append(who, "带班 "+strings.Join(c.leaders, "、"))
			}
			if len(c.officers) > 0 {
				who = append(who, "值班 "+strings.Join(c.officers, "、"))
			}
			parts = append(parts, fmt.Sprintf("%s（%s）", p.Slots[i].Shift, strings.Join(who, "；")))
		}
		lines = append(lines, d.Label()+"："+strings.Join(parts, "、"))
	}
	return lines
}

// ImportEnv is what a roster file is checked against.
type ImportEnv struct {
	// Members are the office's members (active or not), for resolving the
	// 人员/账号 columns.
	Members []Member
	// Shifts are the shift templates; 班次 must name one.
	Shifts Shifts
	// Specials are the special periods (特护期), for which shifts run when.
	Specials []SpecialPeriod
	// Holidays returns the holiday schedule for a date range (the store's
	// HolidayDays); nil means none is known and weekdays decide.
	Holidays func(ctx context.Context, from, to Date) ([]HolidayDay, error)
}

// ParseImport reads a roster file (CSV or XLSX; name is the file name, used
// for its extension) and checks every row against env. Problems with the
// file are reported in the plan's Errors and Warnings; the error result is
// only for failing to read the holiday schedule.
func ParseImport(ctx context.Context, name string, data []byte, env ImportEnv) (ImportPlan, error) {
	sheets, problem := readSheets(name, data)
	if problem != "" {
		return ImportPlan{Errors: []RowError{{Msg: problem}}}, nil
	}
	sh, cols, problem := pickSheet(sheets)
	if problem != "" {
		return ImportPlan{Errors: []RowError{{Msg: problem}}, Sheet: sh.name}, nil
	}
	p := planRows(sh, cols, env)
	if !slices.ContainsFunc(env.Members, func(m Member) bool { return m.Active }) {
		p.Errors = append(p.Errors, RowError{Msg: "成员表中还没有成员：请先同步企业微信通讯录（管理员发「同步通讯录」），再导入排班表"})
	}
	if len(p.Slots) > 0 {
		if err := p.checkCalendar(ctx, env); err != nil {
			return ImportPlan{}, err
		}
	}
	sortRowErrors(p.Errors)
	sortRowErrors(p.Warnings)
	return p, nil
}

func sortRowErrors(es []RowError) {
	slices.SortStableFunc(es, func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
}

// Column keys.
const (
	colDate   = "date"
	colShift  = "shift"
	colRole   = "role"
	colName   = "name"
	colUserID = "userid"
)

// columnNames maps accepted header texts (lower case, spaces and any
// parenthesised note removed) to columns.
var columnNames = map[string]string{
	"日期": colDate, "值班日期": colDate, "date": colDate, "day": colDate,
	"班次": colShift, "班别": colShift, "shift": colShift,
	"角色": colRole, "岗位": colRole, "职责": colRole, "role": colRole,
	"人员": colName, "姓名": colName, "值班人员": colName, "值班人": colName, "name": colName, "member": colName,
	"账号": colUserID, "帐号": colUserID, "企业微信账号": colUserID, "userid": colUserID, "user_id": colUserID,
}

// columnHelp says what header a roster file needs.
const columnHelp = "表头须有 日期（date）、班次（shift）、角色（role）和 人员（member，填姓名或企业微信账号；也可分为 姓名、账号 两列），顺序不限"

// columns holds the index of each column, -1 when absent.
type columns struct{ date, shift, role, name, userid int }

// headerKey normalises a header cell: "人员（姓名或账号）" → "人员",
// " User ID " → "userid".
func headerKey(s string) string {
	if i := strings.IndexAny(s, "(（"); i >= 0 {
		s = s[:i]
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	return strings.TrimSuffix(strings.TrimSuffix(s, ":"), "：")
}

// mapHeader finds the columns in a header row. missing names the required
// columns not found; dup the ones found twice.
func mapHeader(r sheetRow) (cols columns, missing, dup []string) {
	cols = columns{-1, -1, -1, -1, -1}
	slot := map[string]*int{colDate: &cols.date, colShift: &cols.shift, colRole: &cols.role, colName: &cols.name, colUserID: &cols.userid}
	for i, c := range r.cells {
		key, ok := columnNames[headerKey(c)]
		if !ok {
			continue // other columns (备注, 时间…) are ignored
		}
		if *slot[key] >= 0 {
			dup = append(dup, c)
			continue
		}
		*slot[key] = i
	}
	if cols.date < 0 {
		missing = append(missing, "日期")
	}
	if cols.shift < 0 {
		missing = append(missing, "班次")
	}
	if cols.role < 0 {
		missing = append(missing, "角色")
	}
	if cols.name < 0 && cols.userid < 0 {
		missing = append(missing, "人员")
	}
	return cols, missing, dup
}

// headerSearch is how many non-blank rows may come before the header (a
// title such as "2026年12月值班表" above it is common).
const headerSearch = 5

// findHeader finds the header row of sh: the first of its first few
// non-blank rows that names every required column. It returns the index
// of that row in sh.rows, or a problem describing the first non-blank row.
func findHeader(sh sheet) (int, columns, string) {
	first := -1
	seen := 0
	for i, r := range sh.rows {
		if r.blank() {
			continue
		}
		if first < 0 {
			first = i
		}
		cols, missing, dup := mapHeader(r)
		if len(missing) == 0 {
			if len(dup) > 0 {
				return -1, cols, fmt.Sprintf("第 %d 行（表头）：列「%s」重复：每一列只能出现一次", r.num, strings.Join(dup, "、"))
			}
			return i, cols, ""
		}
		if seen++; seen == headerSearch {
			break
		}
	}
	if first < 0 {
		return -1, columns{}, emptyFile
	}
	r := sh.rows[first]
	_, missing, _ := mapHeader(r)
	return -1, columns{}, fmt.Sprintf("第 %d 行（表头）缺少列：%s。%s。现在的表头是：%s",
		r.num, strings.Join(missing, "、"), columnHelp, strings.Join(nonEmpty(r.cells), "、"))
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if c != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return []string{"（空）"}
	}
	return out
}

// pickSheet chooses the first sheet with a roster header and returns it
// with the header row removed (rows above it too). When no sheet has one
// the problem describes the first sheet with any content.
func pickSheet(sheets []sheet) (sheet, columns, string) {
	problem := ""
	var first sheet
	for _, sh := range sheets {
		i, cols, p := findHeader(sh)
		if p == "" {
			sh.rows = sh.rows[i+1:]
			return sh, cols, ""
		}
		if problem == "" && p != emptyFile {
			problem, first = p, sh
		}
	}
	if problem == "" {
		return sheet{}, columns{}, emptyFile
	}
	if first.name != "" && len(sheets) > 1 {
		problem = fmt.Sprintf("工作表「%s」%s", first.name, problem)
	}
	return first, columns{}, problem
}

// planRow is one data row that passed its own checks.
type planRow struct {
	row int
	a   Assignment
}

// planRows checks every data row and builds the plan (without the
// calendar warnings).
func planRows(sh sheet, cols columns, env ImportEnv) ImportPlan {
	p := ImportPlan{Sheet: sh.name}
	var good []planRow
	for _, r := range sh.rows {
		if r.blank() {
			continue
		}
		p.Rows++
		if p.Rows > MaxImportRows {
			p.Errors = append(p.Errors, RowError{Row: r.num, Msg: fmt.Sprintf("文件超过 %d 行：请分成几个文件导入", MaxImportRows)})
			break
		}
		a, problems := checkRow(sh, cols, r, env)
		if len(problems) > 0 {
			p.Errors = append(p.Errors, RowError{Row: r.num, Msg: strings.Join(problems, "；")})
			continue
		}
		good = append(good, planRow{row: r.num, a: a})
	}
	if p.Rows == 0 {
		p.Errors = append(p.Errors, RowError{Msg: "文件只有表头，没有排班行：请在表头下每行填写一人一个班次（日期、班次、角色、人员）"})
		return p
	}

	names := memberNames(env.Members)
	byID := make(map[string]Member, len(env.Members))
	for _, m := range env.Members {
		byID[m.UserID] = m
	}
	type personKey struct {
		slot   Slot
		userID string
	}
	firstRow := make(map[personKey]planRow)
	slotRow := make(map[Slot]int)
	roleWarned := make(map[string]bool)
	for _, pr := range good {
		a := pr.a
		k := personKey{a.Slot(), a.UserID}
		if prev, dup := firstRow[k]; dup {
			msg := fmt.Sprintf("与第 %d 行重复（%s %s %s %s）：同一人同一班次只写一行", prev.row, a.Date, a.Shift, a.Role.Label(), names[a.UserID])
			if prev.a.Role != a.Role {
				msg = fmt.Sprintf("%s 在第 %d 行已排为%s，同一班次不能再排为%s", names[a.UserID], prev.row, prev.a.Role.Label(), a.Role.Label())
			}
			p.Errors = append(p.Errors, RowError{Row: pr.row, Msg: msg})
			continue
		}
		firstRow[k] = pr
		if _, seen := slotRow[a.Slot()]; !seen {
			slotRow[a.Slot()] = pr.row
			p.Slots = append(p.Slots, a.Slot())
		}
		p.Assignments = append(p.Assignments, a)
		if m := byID[a.UserID]; !m.HasRole(a.Role) && !roleWarned[a.UserID+"/"+string(a.Role)] {
			roleWarned[a.UserID+"/"+string(a.Role)] = true
			p.Warnings = append(p.Warnings, RowError{Row: pr.row, Msg: fmt.Sprintf("%s 没有「%s」角色，仍按表排入（管理员可用「角色 设置」添加）", names[a.UserID], a.Role.Label())})
		}
	}
	order := func(name string) int {
		return slices.IndexFunc(env.Shifts, func(t ShiftTemplate) bool { return t.Name == name })
	}
	slices.SortStableFunc(p.Slots, func(x, y Slot) int {
		return cmp.Or(x.Date.Compare(y.Date), cmp.Compare(order(x.Shift), order(y.Shift)))
	})
	SortAssignments(p.Assignments, env.Shifts)
	p.slotRows = slotRow
	return p
}

// memberNames maps userids to display names.
func memberNames(ms []Member) map[string]string {
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		name := m.Name
		if name == "" {
			name = m.UserID
		}
		out[m.UserID] = name
	}
	return out
}

// checkRow reads one data row. It returns the assignment, or every
// problem found in the row.
func checkRow(sh sheet, cols columns, r sheetRow, env ImportEnv) (Assignment, []string) {
	var problems []string
	a := Assignment{Source: SourceImport}

	if d, problem := parseCellDate(r.cell(cols.date), sh.serialDates, sh.date1904); problem != "" {
		problems = append(problems, problem)
	} else {
		a.Date = d
	}

	shifts := strings.Join(env.Shifts.Names(), "、")
	switch s := r.cell(cols.shift); {
	case s == "":
		problems = append(problems, "班次为空：可用班次为 "+shifts)
	default:
		if _, ok := env.Shifts.Find(s); !ok {
			problems = append(problems, fmt.Sprintf("班次「%s」不存在：可用班次为 %s", s, shifts))
		}
		a.Shift = s
	}

	const roles = "请填写 值班员（officer）或 带班领导（leader，也可写 领导）"
	switch s := r.cell(cols.role); {
	case s == "":
		problems = append(problems, "角色为空："+roles)
	default:
		role, err := ParseRole(s)
		if s == "带班" {
			role, err = RoleLeader, nil
		}
		if err != nil || (role != RoleOfficer && role != RoleLeader) {
			problems = append(problems, fmt.Sprintf("角色「%s」不能用于排班：%s", s, roles))
		}
		a.Role = role
	}

	m, problem := resolveRowMember(env.Members, r.cell(cols.name), r.cell(cols.userid))
	if problem != "" {
		problems = append(problems, problem)
	}
	a.UserID = m.UserID
	return a, problems
}

// resolveRowMember finds the member a row names, by userid when the 账号
// column is filled (checking the name against it), else by name.
func resolveRowMember(members []Member, name, userID string) (Member, string) {
	query := userID
	if query == "" {
		query = name
	}
	if query == "" {
		return Member{}, "人员为空：请填写姓名或企业微信账号（userid）"
	}
	m, err := ResolveMember(members, query)
	var amb *AmbiguousError
	var unknown *UnknownMemberError
	switch {
	case errors.As(err, &amb):
		var who []string
		for _, x := range amb.Matches {
			dept := x.Department
			if dept == "" {
				dept = "未填部门"
			}
			who = append(who, fmt.Sprintf("%s 账号 %s", dept, x.UserID))
		}
		return Member{}, fmt.Sprintf("有 %d 位成员叫「%s」（%s）：请在「账号」列填写账号以区分", len(amb.Matches), amb.Query, strings.Join(who, "，"))
	case errors.As(err, &unknown):
		for _, x := range members {
			if !x.Active && x.Name == query {
				return Member{}, fmt.Sprintf("成员 %s（%s）已停用，不能排班", x.Name, x.UserID)
			}
		}
		return Member{}, fmt.Sprintf("找不到成员「%s」：请填写成员的姓名或企业微信账号（userid），可在机器人中发「成员 列表」查看", unknown.Query)
	case err != nil:
		return Member{}, err.Error()
	}
	if !m.Active {
		return Member{}, fmt.Sprintf("成员 %s（%s）已停用，不能排班", m.Name, m.UserID)
	}
	if userID != "" && name != "" && name != m.Name && !strings.EqualFold(name, m.UserID) {
		return Member{}, fmt.Sprintf("姓名「%s」与账号 %s（%s）不符：请核对，或只填其中一列", name, m.UserID, m.Name)
	}
	return m, ""
}

var (
	// dateForms: 2026-12-25, 2026/12/25, 2026.12.25, 2026-1-5; a time of
	// day after the date (Excel sometimes adds "0:00") is ignored.
	dateForm     = regexp.MustCompile(`^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$`)
	dateFormCN   = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$`)
	dateCompact  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	serialNumber = regexp.MustCompile(`^\d+(?:\.\d+)?$`)
)

// parseCellDate reads a date cell: 2026-12-25, 2026/12/25, 2026.12.25,
// 2026年12月25日, 20261225, or (XLSX) an Excel date serial.
func parseCellDate(s string, serial, date1904 bool) (Date, string) {
	const accepted = "请写成 2026-12-25 或 2026/12/25（也可用 Excel 日期格式）"
	if s == "" {
		return Date{}, "日期为空：" + accepted
	}
	var m []string
	for _, re := range []*regexp.Regexp{dateForm, dateFormCN, dateCompact} {
		if m = re.FindStringSubmatch(s); m != nil {
			break
		}
	}
	if m == nil {
		if serial && serialNumber.MatchString(s) {
			if d, ok := serialDate(s, date1904); ok {
				return d, ""
			}
		}
		return Date{}, fmt.Sprintf("日期「%s」无法识别：%s", s, accepted)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	date := NewDate(y, time.Month(mo), d)
	if mo < 1 || mo > 12 || d < 1 || date.Day != d || date.Month != time.Month(mo) {
		return Date{}, fmt.Sprintf("日期「%s」不存在：请检查月份和日期", s)
	}
	if y < 2000 || y > 2100 {
		return Date{}, fmt.Sprintf("日期「%s」的年份不对：%s", s, accepted)
	}
	return date, ""
}

// serialDate converts an Excel date serial (days since 1899-12-30, or
// 1904-01-01 in 1904-based workbooks) within 2000–2100.
func serialDate(s string, date1904 bool) (Date, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 36526 || f > 73051 { // 2000-01-01 … 2100-01-01
		return Date{}, false
	}
	t, err := excelize.ExcelDateToTime(math.Floor(f), date1904)
	if err != nil {
		return Date{}, false
	}
	return DateOf(t, time.UTC), true
}

// checkCalendar warns about shifts placed on days they do not run on (by
// day type and special period), and about slots short of officers or
// without a required leader.
func (p *ImportPlan) checkCalendar(ctx context.Context, env ImportEnv) error {
	from, to := p.DateRange()
	var days []HolidayDay
	if env.Holidays != nil {
		var err error
		if days, err = env.Holidays(ctx, from, to); err != nil {
			return fmt.Errorf("check roster file against the holiday schedule: %w", err)
		}
	}
	cal := NewCalendar(days, env.Specials)
	type crew struct{ leaders, officers int }
	bySlot := make(map[Slot]*crew)
	for _, a := range p.Assignments {
		c := bySlot[a.Slot()]
		if c == nil {
			c = &crew{}
			bySlot[a.Slot()] = c
		}
		if a.Role == RoleLeader {
			c.leaders++
		} else {
			c.officers++
		}
	}
	for _, s := range p.Slots {
		t, _ := env.Shifts.Find(s.Shift)
		row := p.slotRows[s]
		on := env.Shifts.On(cal, s.Date)
		if _, runs := on.Find(s.Shift); !runs {
			which := "没有班次"
			if len(on) > 0 {
				which = "只有 " + strings.Join(on.Names(), "、")
			}
			p.Warnings = append(p.Warnings, RowError{Row: row, Msg: fmt.Sprintf("%s 是%s，按班次设置这天不排「%s」（%s），仍按表导入",
				s.Date.Label(), cal.DayType(s.Date).Label(), s.Shift, which)})
			continue
		}
		c := bySlot[s]
		if c.officers < t.Officers {
			p.Warnings = append(p.Warnings, RowError{Row: row, Msg: fmt.Sprintf("%s %s：值班员 %d 名，需要 %d 名", s.Date.Label(), s.Shift, c.officers, t.Officers)})
		}
		if t.LeaderRequired && c.leaders == 0 {
			p.Warnings = append(p.Warnings, RowError{Row: row, Msg: fmt.Sprintf("%s %s：没有带班领导", s.Date.Label(), s.Shift)})
		}
	}
	return nil
}
