package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dutybot/roster"
	"dutybot/roster/duty"
)

// logListContent is how many characters of an entry a listing shows (日志
// #编号 shows it whole).
const logListContent = 60

// logKindAliases are the English names 记录 accepts for the entry kinds.
var logKindAliases = map[string]string{
	"call": duty.LogCall, "doc": duty.LogDocument, "document": duty.LogDocument,
	"task": duty.LogAssigned, "assigned": duty.LogAssigned, "meeting": duty.LogMeeting, "other": duty.LogOther,
}

// logCommands are 记录, 待办, 办结, 更正 and 日志.
func (s *Service) logCommands() []*Command {
	staff := []roster.Role{roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin}
	return []*Command{
		{Name: "记录", Aliases: []string{"log"}, Roles: staff,
			Usage: "记录 [来电|来文|交办|会议通知|其他] <内容> / log", Summary: "写值班日志 write the duty log", Run: s.cmdLog},
		{Name: "待办", Aliases: []string{"todo"}, Roles: staff,
			Usage: "待办 <内容> / todo", Summary: "登记待办事项，交班时转交 open a pending item", Run: s.cmdTodo},
		{Name: "办结", Aliases: []string{"done"}, Roles: staff,
			Usage: "办结 <编号> [结果] / done", Summary: "办结待办事项 close a pending item", Run: s.cmdDone},
		{Name: "更正", Aliases: []string{"correct"}, Roles: staff,
			Usage: "更正 <编号> <内容> / correct", Summary: "更正一条日志（原记录保留）correct an entry", Run: s.cmdCorrect},
		{Name: "日志", Aliases: []string{"logbook"}, Roles: staff,
			Usage: "日志 [今天|本班|待办|#编号|日期] / logbook", Summary: "查看值班日志 read the duty log", Run: s.cmdLogbook},
	}
}

// logFormat is the reply to a 记录 without content.
const logFormat = "格式：记录 [类型] <内容>，类型可选 来电、来文、交办、会议通知、其他（不写为其他），例如「记录 来电 市应急局询问节日值班安排」。"

// parseLogArgs reads 记录's optional kind ("来电 …", "来电:…", "call …")
// and its content.
func parseLogArgs(args []string) (kind, content string) {
	if len(args) == 0 {
		return duty.LogOther, ""
	}
	first := args[0]
	if k, ok := logKind(first); ok {
		return k, strings.Join(args[1:], " ")
	}
	for _, sep := range []string{":", "："} {
		if head, tail, ok := strings.Cut(first, sep); ok {
			if k, ok := logKind(head); ok {
				return k, strings.TrimSpace(strings.Join(append([]string{tail}, args[1:]...), " "))
			}
		}
	}
	return duty.LogOther, strings.Join(args, " ")
}

func logKind(word string) (string, bool) {
	if slices.Contains(duty.LogKinds(), word) {
		return word, true
	}
	k, ok := logKindAliases[strings.ToLower(word)]
	return k, ok
}

func (s *Service) cmdLog(ctx context.Context, req Request) (string, error) {
	kind, content := parseLogArgs(req.Args)
	if content == "" {
		return "", Userf(logFormat)
	}
	e, err := s.writeLog(ctx, req.Member, duty.LogEntry{Kind: kind, Content: content})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("已记录 #%d（%s，%s，%s）。如有错误请发送「更正 %d <内容>」。", e.ID, e.Kind, e.At.In(s.loc).Format("15:04"),
		slotLabel(e.Slot()), e.ID), nil
}

func (s *Service) cmdTodo(ctx context.Context, req Request) (string, error) {
	content := strings.Join(req.Args, " ")
	if content == "" {
		return "", Userf("格式：待办 <内容>，例如「待办 17:00 前回复市委办值班安排」。")
	}
	e, err := s.writeLog(ctx, req.Member, duty.LogEntry{Kind: duty.LogTodo, Content: content, Pending: true})
	if err != nil {
		return "", err
	}
	holder := "由" + slotLabel(e.Slot()) + "跟进，交班时列入交接单"
	if e.Date.IsZero() {
		holder = "当前无进行中的班次，将列入下一次交接单"
	}
	return fmt.Sprintf("已登记待办 #%d（%s，%s）。办结后发送「办结 %d [结果]」。", e.ID, e.At.In(s.loc).Format("15:04"), holder, e.ID), nil
}

func (s *Service) cmdDone(ctx context.Context, req Request) (string, error) {
	const format = "格式：办结 <编号> [结果]，例如「办结 12 已电话回复」。发送「日志 待办」查看未办结的待办。"
	if len(req.Args) == 0 {
		return "", Userf(format)
	}
	id, ok := parseEntryID(req.Args[0])
	if !ok {
		return "", Userf("「%s」不是日志编号。%s", req.Args[0], format)
	}
	result := strings.Join(req.Args[1:], " ")
	item, err := s.duty.LogEntry(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		return "", Userf("没有编号为 #%d 的日志。发送「日志 待办」查看未办结的待办。", id)
	}
	if err != nil {
		return "", err
	}
	sr, _, err := s.currentSlot(ctx, req.Member)
	if err != nil {
		return "", err
	}
	note := fmt.Sprintf("办结 #%d「%s」", id, clip(item.Content, 30))
	if result != "" {
		note += "：" + result
	}
	closed, err := s.duty.CloseLogItem(ctx, id, req.Member.UserID, result,
		duty.LogEntry{Date: sr.Date, Shift: sr.Shift.Name, Content: note, Author: req.Member.UserID})
	names := s.names(ctx)
	switch {
	case errors.Is(err, duty.ErrNotFound):
		return "", Userf("没有编号为 #%d 的日志。发送「日志 待办」查看未办结的待办。", id)
	case errors.Is(err, duty.ErrNotPending):
		return "", Userf("#%d 是「%s」记录，不是待办，无需办结。发送「日志 待办」查看未办结的待办。", id, closed.Kind)
	case errors.Is(err, duty.ErrAlreadyClosed):
		return "", Userf("待办 #%d 已于 %s 由 %s 办结%s，无需重复办结。", id, closed.ClosedAt.In(s.loc).Format("01-02 15:04"),
			nameOf(names, closed.ClosedBy), resultText(closed.Result))
	case err != nil:
		return "", err
	}
	return fmt.Sprintf("待办 #%d「%s」已办结（%s，%s）%s。", id, clip(closed.Content, 30), closed.ClosedAt.In(s.loc).Format("15:04"),
		displayName(req.Member), resultText(closed.Result)), nil
}

func resultText(r string) string {
	if r == "" {
		return ""
	}
	return "，结果：" + r
}

func (s *Service) cmdCorrect(ctx context.Context, req Request) (string, error) {
	const format = "格式：更正 <编号> <内容>，例如「更正 12 来电单位为省应急厅」。原记录保留，标为已更正。"
	if len(req.Args) < 2 {
		return "", Userf(format)
	}
	id, ok := parseEntryID(req.Args[0])
	if !ok {
		return "", Userf("「%s」不是日志编号。%s", req.Args[0], format)
	}
	old, err := s.duty.LogEntry(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		return "", Userf("没有编号为 #%d 的日志。发送「日志」查看今天的日志。", id)
	}
	if err != nil {
		return "", err
	}
	if old.Kind == duty.LogSystem {
		return "", Userf("#%d 是系统自动记录（%s），不能更正。如有出入，请用「记录」另行说明。", id, clip(old.Content, 30))
	}
	e, err := s.writeLog(ctx, req.Member, duty.LogEntry{Kind: old.Kind, Content: strings.Join(req.Args[1:], " "), Corrects: id})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("已记录更正 #%d（更正 #%d「%s」，%s）。原记录保留，查看时标为「已更正」。", e.ID, id, clip(old.Content, 20),
		e.At.In(s.loc).Format("15:04")), nil
}

// writeLog stores an entry by m in the slot m is working in.
func (s *Service) writeLog(ctx context.Context, m roster.Member, e duty.LogEntry) (duty.LogEntry, error) {
	sr, _, err := s.currentSlot(ctx, m)
	if err != nil {
		return duty.LogEntry{}, err
	}
	e.Date, e.Shift, e.Author = sr.Date, sr.Shift.Name, m.UserID
	return s.duty.AddLogEntry(ctx, e)
}

func (s *Service) cmdLogbook(ctx context.Context, req Request) (string, error) {
	arg := strings.Join(req.Args, " ")
	names := s.names(ctx)
	switch strings.ToLower(arg) {
	case "", "今天", "今日", "today":
		return s.logOfDay(ctx, s.today(), names)
	case "本班", "shift":
		sr, ok, err := s.currentSlot(ctx, req.Member)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", Userf("当前没有进行中的班次。发送「日志」查看今天的日志。")
		}
		entries, err := s.duty.LogOfSlot(ctx, roster.Slot{Date: sr.Date, Shift: sr.Shift.Name})
		if err != nil {
			return "", err
		}
		head := fmt.Sprintf("值班日志 %s（%s）共 %d 条：", slotLabel(roster.Slot{Date: sr.Date, Shift: sr.Shift.Name}), sr.Shift.Hours(), len(entries))
		return s.logList(head, entries, names, false), nil
	case "待办", "todo", "pending":
		items, err := s.duty.OpenItems(ctx)
		if err != nil {
			return "", err
		}
		if len(items) == 0 {
			return "当前没有未办结的待办。", nil
		}
		return s.logList(fmt.Sprintf("未办结的待办 %d 项：", len(items)), items, names, true), nil
	}
	if id, ok := parseEntryID(arg); ok && (strings.HasPrefix(arg, "#") || !strings.ContainsAny(arg, "-./月日")) {
		return s.logEntryDetail(ctx, id, names)
	}
	d, err := s.day(arg)
	if err != nil {
		return "", Userf("看不懂「%s」。格式：日志 [今天|本班|待办|#编号|日期]，例如「日志 昨天」「日志 12-01」「日志 #12」。", arg)
	}
	return s.logOfDay(ctx, d, names)
}

// logOfDay lists the entries written on calendar day d (office time).
func (s *Service) logOfDay(ctx context.Context, d roster.Date, names map[string]string) (string, error) {
	from := d.At(0, s.loc)
	entries, err := s.duty.LogBetween(ctx, from, d.AddDays(1).At(0, s.loc))
	if err != nil {
		return "", err
	}
	if len(entries) == 0 {
		return fmt.Sprintf("%s 没有值班日志。发送「记录 [类型] <内容>」记录。", d.Label()), nil
	}
	return s.logList(fmt.Sprintf("值班日志 %s 共 %d 条：", d.Label(), len(entries)), entries, names, false), nil
}

// logList renders entries under head within WeCom's text limit; when they
// do not all fit, the earliest are left out and the reply says how many.
func (s *Service) logList(head string, entries []duty.LogEntry, names map[string]string, withDate bool) string {
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = s.logLine(e, names, withDate)
	}
	return fitNewest(head, lines, replyLimit, "（较早的 %d 条未显示，发送「日志 #编号」查看单条）")
}

// logLine is one entry in a listing: "#12 09:12 来电 张三：内容（已更正→#14）".
func (s *Service) logLine(e duty.LogEntry, names map[string]string, withDate bool) string {
	layout := "15:04"
	if withDate {
		layout = "01-02 15:04"
	}
	kind := e.Kind
	if e.Corrects != 0 {
		kind = fmt.Sprintf("%s·更正#%d", e.Kind, e.Corrects)
	}
	line := fmt.Sprintf("#%d %s %s %s：%s", e.ID, e.At.In(s.loc).Format(layout), kind, nameOf(names, e.Author), clip(e.Content, logListContent))
	switch {
	case e.Open():
		line += "（未办结"
		if !e.HeldDate.IsZero() {
			line += "，" + slotLabel(roster.Slot{Date: e.HeldDate, Shift: e.HeldShift}) + "跟进"
		}
		line += "）"
	case e.Pending:
		line += fmt.Sprintf("（已办结 %s）", e.ClosedAt.In(s.loc).Format(layout))
	}
	if e.CorrectedBy != 0 {
		line += fmt.Sprintf("（已更正→#%d）", e.CorrectedBy)
	}
	return line
}

// logEntryDetail shows one entry whole, with what it corrects and its
// corrections.
func (s *Service) logEntryDetail(ctx context.Context, id int64, names map[string]string) (string, error) {
	e, err := s.duty.LogEntry(ctx, id)
	if errors.Is(err, duty.ErrNotFound) {
		return "", Userf("没有编号为 #%d 的日志。发送「日志」查看今天的日志。", id)
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "日志 #%d（%s）", e.ID, e.Kind)
	if e.CorrectedBy != 0 {
		b.WriteString(" 已更正")
	}
	fmt.Fprintf(&b, "\n时间：%s · %s", e.At.In(s.loc).Format("2006-01-02 15:04"), slotLabel(e.Slot()))
	fmt.Fprintf(&b, "\n记录人：%s", nameOf(names, e.Author))
	if e.Corrects != 0 {
		fmt.Fprintf(&b, "\n更正：#%d", e.Corrects)
	}
	fmt.Fprintf(&b, "\n内容：%s", e.Content)
	switch {
	case e.Open():
		b.WriteString("\n状态：待办，未办结")
		if !e.HeldDate.IsZero() {
			b.WriteString("，由" + slotLabel(roster.Slot{Date: e.HeldDate, Shift: e.HeldShift}) + "跟进")
		}
	case e.Pending:
		fmt.Fprintf(&b, "\n状态：已于 %s 由 %s 办结%s", e.ClosedAt.In(s.loc).Format("01-02 15:04"), nameOf(names, e.ClosedBy), resultText(e.Result))
	}
	corr, err := s.duty.Corrections(ctx, id)
	if err != nil {
		return "", err
	}
	if len(corr) > 0 {
		fmt.Fprintf(&b, "\n更正记录 %d 条：", len(corr))
		for _, c := range corr {
			fmt.Fprintf(&b, "\n· #%d %s %s：%s", c.ID, c.At.In(s.loc).Format("01-02 15:04"), nameOf(names, c.Author), c.Content)
		}
	}
	out := b.String()
	if len(out) > replyLimit {
		out = truncateUTF8(out, replyLimit-len("…")) + "…"
	}
	return out, nil
}

// parseEntryID reads "12" or "#12".
func parseEntryID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	return id, err == nil && id > 0
}

// slotLabel is "12-02 白班", or "无班次" for none.
func slotLabel(sl roster.Slot) string {
	if sl.Date.IsZero() {
		return "无班次"
	}
	return fmt.Sprintf("%02d-%02d %s", sl.Date.Month, sl.Date.Day, sl.Shift)
}

// names maps userids to display names; a failure leaves userids shown.
func (s *Service) names(ctx context.Context) map[string]string {
	byID, _, err := s.people(ctx)
	if err != nil {
		s.log.Warn("member names for the duty log", "err", err)
		return nil
	}
	out := make(map[string]string, len(byID))
	for id, m := range byID {
		out[id] = displayName(m)
	}
	return out
}

func nameOf(names map[string]string, userID string) string {
	if n, ok := names[userID]; ok {
		return n
	}
	return userID
}

// handoverWindow is how long after a shift's end its handover may be
// confirmed.
func handoverWindow(t roster.ShiftTemplate) time.Duration {
	if t.HandoverWindow > 0 {
		return t.HandoverWindow
	}
	return roster.DefaultHandoverWindow
}

// currentSlot is the duty slot m works in now: m's own shift in progress
// (as officer or leader); else m's shift that ended within its handover
// window and is not yet handed over (the outgoing officer still at the
// post); else the shift in progress (the first with people). ok is false
// (and sr zero) when no shift is running.
func (s *Service) currentSlot(ctx context.Context, m roster.Member) (sr roster.ShiftRoster, ok bool, err error) {
	now := s.clock.Now()
	today := s.today()
	rosters, err := s.shiftRosters(ctx, today.AddDays(-1), today)
	if err != nil {
		return roster.ShiftRoster{}, false, err
	}
	var own, window, running, empty *roster.ShiftRoster
	for i := range rosters {
		r := &rosters[i]
		if r.Shift.Duration() <= 0 {
			continue
		}
		in := !now.Before(r.Start) && now.Before(r.End)
		mine := slices.Contains(r.Officers, m.UserID) || slices.Contains(r.Leaders, m.UserID)
		switch {
		case in && mine && own == nil:
			own = r
		case in && len(r.Officers)+len(r.Leaders) > 0 && running == nil:
			running = r
		case in && empty == nil:
			empty = r
		case mine && !now.Before(r.End) && now.Before(r.End.Add(handoverWindow(r.Shift))) && window == nil:
			h, err := s.duty.HandoverOf(ctx, roster.Slot{Date: r.Date, Shift: r.Shift.Name})
			if err != nil && !errors.Is(err, duty.ErrNotFound) {
				return roster.ShiftRoster{}, false, err
			}
			if err != nil || h.Status != duty.HandoverConfirmed {
				window = r
			}
		}
	}
	for _, c := range []*roster.ShiftRoster{own, window, running, empty} {
		if c != nil {
			return *c, true, nil
		}
	}
	return roster.ShiftRoster{}, false, nil
}
