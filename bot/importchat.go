package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"dutybot/bot/wecom"
	"dutybot/roster"
)

// Importing a roster in chat: an admin sends a CSV or XLSX file to the app;
// the bot downloads it (media/get), checks every row and answers with a
// preview and the errors by row number. A file without errors waits, for
// that admin only and for importTTL, until 确认导入 applies it in one
// transaction (ScheduleStore.ReplaceSlots) or 取消导入 drops it. Pending
// imports are kept in memory: a restart forgets them and the admin sends
// the file again.

// MediaFetcher downloads a file a member sent (WeCom media/get).
type MediaFetcher interface {
	// FetchMedia returns the bytes of the temporary media mediaID.
	FetchMedia(ctx context.Context, mediaID string) ([]byte, error)
}

// importTTL is how long a previewed import waits for 确认导入.
const importTTL = 30 * time.Minute

// replyLimit keeps each reply under WeCom's 2,048-byte cap on a text
// message (longer ones are cut off mid-sentence).
const replyLimit = 2000

// pendingImport is a checked roster file waiting for its admin's 确认导入.
type pendingImport struct {
	plan roster.ImportPlan
	file string
	at   time.Time // when it was previewed
}

// expires is when the import stops waiting.
func (p pendingImport) expires() time.Time { return p.at.Add(importTTL) }

// pendingImports holds at most one pending import per admin.
type pendingImports struct {
	mu     sync.Mutex
	byUser map[string]pendingImport
}

func newPendingImports() *pendingImports {
	return &pendingImports{byUser: make(map[string]pendingImport)}
}

// put makes p userID's pending import, replacing any earlier one, and
// forgets every expired one.
func (pi *pendingImports) put(userID string, p pendingImport, now time.Time) {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	for id, old := range pi.byUser {
		if !now.Before(old.expires()) {
			delete(pi.byUser, id)
		}
	}
	pi.byUser[userID] = p
}

// get returns userID's pending import if it has not expired.
func (pi *pendingImports) get(userID string, now time.Time) (pendingImport, bool) {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	p, ok := pi.byUser[userID]
	if ok && !now.Before(p.expires()) {
		delete(pi.byUser, userID)
		return pendingImport{}, false
	}
	return p, ok
}

// take removes userID's pending import and returns it if it had not
// expired.
func (pi *pendingImports) take(userID string, now time.Time) (pendingImport, bool) {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	p, ok := pi.byUser[userID]
	delete(pi.byUser, userID)
	return p, ok && now.Before(p.expires())
}

// importCommands are the commands for importing a roster file in chat.
func (s *Service) importCommands() []*Command {
	admin := []roster.Role{roster.RoleAdmin}
	return []*Command{
		{
			Name: "确认导入", Aliases: []string{"confirm import", "import confirm", "确认 导入", "导入 确认"},
			Roles: admin, Usage: "确认导入 / confirm import", Summary: "应用刚才发送的排班表文件 apply the roster file you sent",
			Run: s.confirmImport,
		},
		{
			Name: "取消导入", Aliases: []string{"cancel import", "import cancel", "取消 导入", "导入 取消"},
			Roles: admin, Usage: "取消导入 / cancel import", Summary: "放弃待确认的排班表导入 drop the pending roster import",
			Run: s.cancelImport,
		},
		{
			Name: "导入排班", Aliases: []string{"导入", "import"},
			Roles: admin, Usage: "导入排班 / import", Summary: "如何发送 CSV/XLSX 排班表导入 how to import a roster file",
			Run: s.importHelp,
		},
	}
}

// handleFile answers a file a member sent: for an admin, a roster import
// preview; for anyone else, that only admins import rosters.
func (s *Service) handleFile(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	file := msg.FileName
	if file == "" {
		file = "未命名文件"
	}
	log := s.log.With("user", m.UserID, "file", file)
	if !m.HasRole(roster.RoleAdmin) {
		log.Info("roster file from a non-admin refused")
		return []string{"收到文件，但只有管理员可以导入排班表。如需调整排班，请联系值班室管理员。"}
	}
	if s.media == nil {
		return []string{"本服务未配置企业微信文件下载，不能在聊天中导入排班表。请在服务器上运行：dutybot roster import 文件名"}
	}
	data, err := s.media.FetchMedia(ctx, msg.MediaID)
	if err != nil {
		log.Error("download roster file", "err", err)
		var me *wecom.MediaError
		if errors.As(err, &me) && me.Expired() {
			return []string{fmt.Sprintf("文件「%s」已过期或无法获取（企业微信临时文件保存 3 天），未导入任何数据。请重新发送文件。", file)}
		}
		return []string{fmt.Sprintf("文件「%s」下载失败，未导入任何数据。请稍后重新发送；多次失败请联系系统管理员。", file)}
	}
	members, err := s.store.Members(ctx)
	if err != nil {
		log.Error("list members for roster import", "err", err)
		return []string{apology}
	}
	plan, err := roster.ParseImport(ctx, file, data, roster.ImportEnv{
		Members: members, Shifts: s.settings.Shifts, Specials: s.settings.SpecialPeriods, Holidays: s.store.HolidayDays,
	})
	if err != nil {
		log.Error("check roster file", "err", err)
		return []string{apology}
	}
	now := s.clock.Now()
	_, hadPending := s.imports.take(m.UserID, now)
	if len(plan.Slots) == 0 {
		log.Info("roster file refused", "errors", len(plan.Errors))
		head := fmt.Sprintf("无法导入「%s」，未导入任何数据：", file)
		if hadPending {
			head += "（之前待确认的导入已作废）"
		}
		return []string{fitLines(head, rowErrorLines(plan.Errors), replyLimit, "……另有 %d 类错误未列出")}
	}
	from, to := plan.DateRange()
	existing, err := s.store.Assignments(ctx, from, to)
	if err != nil {
		log.Error("list assignments for roster import", "err", err)
		return []string{apology}
	}
	names := make(map[string]string, len(members))
	for _, mm := range members {
		names[mm.UserID] = displayName(mm)
	}
	replies := []string{importPreview(file, plan, names, len(plan.Replaced(existing)))}
	if !plan.OK() {
		log.Info("roster file has errors", "rows", plan.Rows, "errors", len(plan.Errors))
		head := fmt.Sprintf("发现 %d 处错误，未导入任何数据。请改正后重新发送文件：", len(plan.Errors))
		if hadPending {
			head += "（之前待确认的导入已作废）"
		}
		replies = append(replies, fitLines(head, rowErrorLines(plan.Errors), replyLimit, "……另有 %d 类错误未列出"))
		return replies
	}
	p := pendingImport{plan: plan, file: file, at: now}
	s.imports.put(m.UserID, p, now)
	log.Info("roster file previewed", "rows", plan.Rows, "slots", len(plan.Slots), "warnings", len(plan.Warnings))
	head := fmt.Sprintf("检查通过，尚未导入。回复「确认导入」（confirm import）应用，回复「取消导入」（cancel import）放弃；%s 前有效。",
		p.expires().In(s.loc).Format("15:04"))
	if hadPending {
		head += "之前待确认的导入已被本文件替换。"
	}
	if len(plan.Warnings) > 0 {
		head += fmt.Sprintf("\n提醒 %d 条（不影响导入）：", len(plan.Warnings))
	}
	replies = append(replies, fitLines(head, rowErrorLines(plan.Warnings), replyLimit, "……另有 %d 类提醒未列出"))
	return replies
}

// importPreview is the first reply to a roster file: what it holds, day
// by day as far as fits in one message.
func importPreview(file string, plan roster.ImportPlan, names map[string]string, replaced int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "排班表「%s」预览", file)
	if plan.Sheet != "" {
		fmt.Fprintf(&b, "（工作表「%s」）", plan.Sheet)
	}
	fmt.Fprintf(&b, "：\n%s。", plan.Headline())
	if replaced > 0 {
		fmt.Fprintf(&b, "\n将替换这些班次现有的 %d 条排班；文件中没有的班次不变。", replaced)
	} else {
		b.WriteString("\n这些班次目前没有排班；文件中没有的班次不变。")
	}
	lines := plan.DayLines(func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	})
	return fitLines(b.String(), lines, replyLimit, "……其余 %d 天从略")
}

// confirmImport applies the admin's pending import, all or nothing.
func (s *Service) confirmImport(ctx context.Context, req Request) (string, error) {
	uid := req.Member.UserID
	p, ok := s.imports.get(uid, s.clock.Now())
	if !ok {
		return "没有待确认的导入：请先在聊天中发送排班表文件（CSV 或 XLSX），预览后 30 分钟内回复「确认导入」。", nil
	}
	// Members may have left since the preview; such a plan is not applied.
	members, err := s.store.Members(ctx)
	if err != nil {
		return "", fmt.Errorf("confirm roster import: %w", err)
	}
	active := make(map[string]bool, len(members))
	for _, m := range members {
		active[m.UserID] = m.Active
	}
	var gone []string
	for _, a := range p.plan.Assignments {
		if !active[a.UserID] && !slices.Contains(gone, a.UserID) {
			gone = append(gone, a.UserID)
		}
	}
	if len(gone) > 0 {
		s.imports.take(uid, s.clock.Now())
		return fmt.Sprintf("预览之后，这些成员已停用或不在成员表中：%s。未导入任何数据，请修改后重新发送文件。", strings.Join(gone, "、")), nil
	}
	from, to := p.plan.DateRange()
	existing, err := s.store.Assignments(ctx, from, to)
	if err != nil {
		return "", fmt.Errorf("confirm roster import: %w", err)
	}
	audit := roster.AuditEntry{
		Actor: uid, Action: "导入",
		Subject: fmt.Sprintf("排班表 %s：%s 至 %s，%d 个班次、%d 条排班", p.file, from, to, len(p.plan.Slots), len(p.plan.Assignments)),
	}
	if err := s.replaceSlots(ctx, p.plan.Slots, p.plan.Assignments, audit); err != nil {
		// Still pending: the admin may try 确认导入 again.
		return "", fmt.Errorf("confirm roster import %s: %w", p.file, err)
	}
	s.imports.take(uid, s.clock.Now())
	s.log.Info("roster file imported", "user", uid, "file", p.file, "slots", len(p.plan.Slots), "assignments", len(p.plan.Assignments))
	return fmt.Sprintf("已导入「%s」：%s 至 %s，%d 个班次、%d 条排班（替换原有 %d 条）。可发「值班表」查看。",
		p.file, from, to, len(p.plan.Slots), len(p.plan.Assignments), len(p.plan.Replaced(existing))), nil
}

// cancelImport drops the admin's pending import.
func (s *Service) cancelImport(ctx context.Context, req Request) (string, error) {
	p, ok := s.imports.take(req.Member.UserID, s.clock.Now())
	if !ok {
		return "没有待确认的导入，无需取消。", nil
	}
	return fmt.Sprintf("已取消导入「%s」，排班没有任何改动。", p.file), nil
}

// importHelp says how to import a roster file, and what is pending.
func (s *Service) importHelp(ctx context.Context, req Request) (string, error) {
	var b strings.Builder
	b.WriteString("导入排班表：在本应用的聊天中直接发送 CSV 或 XLSX 文件，我会逐行检查并回复预览。\n")
	b.WriteString("表头：日期、班次、角色、人员（姓名或企业微信账号），顺序不限；每行一人一个班次，例如\n")
	b.WriteString("2026-12-25,白班,带班领导,王五\n2026-12-25,白班,值班员,张三\n")
	fmt.Fprintf(&b, "班次：%s；角色：值班员 或 带班领导。\n", strings.Join(s.settings.Shifts.Names(), "、"))
	b.WriteString("文件中出现的班次整体替换为文件内容，没出现的班次不变；有任何错误则全部不导入。模板见 configs/roster-template.csv。")
	if p, ok := s.imports.get(req.Member.UserID, s.clock.Now()); ok {
		fmt.Fprintf(&b, "\n您有待确认的导入「%s」（%s 前有效）：回复「确认导入」或「取消导入」。", p.file, p.expires().In(s.loc).Format("15:04"))
	}
	return b.String(), nil
}

// rowErrorLines lists problems for a phone screen: one line per distinct
// message, with the rows that have it ("第 3、7、11 行：…", "第 3、7 … 等
// 365 行：…" for many), in the order they first appear.
func rowErrorLines(es []roster.RowError) []string {
	const maxRows = 6
	var msgs []string
	rows := make(map[string][]int)
	for _, e := range es {
		if _, seen := rows[e.Msg]; !seen {
			msgs = append(msgs, e.Msg)
		}
		rows[e.Msg] = append(rows[e.Msg], e.Row)
	}
	out := make([]string, 0, len(msgs))
	for _, msg := range msgs {
		rs := rows[msg]
		if len(rs) == 1 {
			out = append(out, roster.RowError{Row: rs[0], Msg: msg}.String())
			continue
		}
		nums := make([]string, 0, maxRows)
		for _, r := range rs[:min(len(rs), maxRows)] {
			nums = append(nums, strconv.Itoa(r))
		}
		which := "第 " + strings.Join(nums, "、") + " 行"
		if len(rs) > maxRows {
			which = fmt.Sprintf("第 %s 等 %d 行", strings.Join(nums, "、"), len(rs))
		}
		out = append(out, which+"："+msg)
	}
	return out
}

// fitLines is head followed by lines, one per line, as many as fit in
// limit bytes; when some are left out, more (a format with one %d, the
// number left out) ends the text. A head longer than limit is cut.
func fitLines(head string, lines []string, limit int, more string) string {
	if len(head) > limit {
		head = truncateUTF8(head, limit-len("…")) + "…"
	}
	var b strings.Builder
	b.WriteString(head)
	for i, l := range lines {
		rest := len(lines) - i - 1
		need := 1 + len(l)
		if rest > 0 {
			need += 1 + len(fmt.Sprintf(more, rest))
		}
		if b.Len()+need > limit {
			fmt.Fprintf(&b, "\n"+more, len(lines)-i)
			break
		}
		b.WriteString("\n")
		b.WriteString(l)
	}
	return b.String()
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
