package report

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutybot/roster"
)

// WeComMarkdownLimit is the most bytes one WeCom markdown message holds.
const WeComMarkdownLimit = 4096

// clock shows t in office time: "08:25" on the bulletin's date, else
// "11-25 02:00".
func (d Daily) clock(t time.Time) string {
	lt := t.In(d.Loc)
	if roster.DateOf(t, d.Loc) == d.Date {
		return lt.Format("15:04")
	}
	return lt.Format("01-02 15:04")
}

// shiftLine is "白班 08:30–17:30：带班领导 王五（准时 08:25）；值班员 …".
func shiftLine(s ShiftFacts) string {
	return fmt.Sprintf("%s %s：带班领导 %s；值班员 %s", s.Name, s.Hours, peopleLine(s.Leaders), peopleLine(s.Officers))
}

// peopleLine is "王五（准时 08:25）、赵六（未签到）".
func peopleLine(ps []Person) string {
	if len(ps) == 0 {
		return "无"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + "（" + p.Checkin + "）"
	}
	return strings.Join(parts, "、")
}

// reportLine is one report as a line.
func (d Daily) reportLine(r ReportFacts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", r.Number, r.Level.Label(), r.Category.Label())
	if r.Sensitive {
		b.WriteString(" 〔敏感〕")
	}
	fmt.Fprintf(&b, " %s", r.Summary)
	if r.Place != "" {
		fmt.Fprintf(&b, "（%s）", r.Place)
	}
	fmt.Fprintf(&b, "；%s %s报；%s", d.clock(r.FiledAt), r.FiledBy, r.Status)
	if r.LateBy > 0 {
		fmt.Fprintf(&b, "；迟报 %s", durationLabel(r.LateBy))
	}
	return b.String()
}

// instructionLine is one 批示 as a line.
func (d Daily) instructionLine(in InstructionFacts) string {
	line := fmt.Sprintf("%s %s %s批示：%s；%s", in.ReportNumber, d.clock(in.IssuedAt), in.Leader, in.Content, in.Label())
	if in.RelayedTo != "" {
		line += "（传达至 " + in.RelayedTo + "）"
	}
	return line
}

func (d Daily) absenceLine(a AbsenceFacts) string {
	line := fmt.Sprintf("%s %s 空岗（%s 发现）", a.Shift, a.Name, d.clock(a.DetectedAt))
	if a.Resolved != "" {
		line += "，" + a.Resolved
	}
	return line
}

func (d Daily) spotCheckLine(c SpotCheckFacts) string {
	return fmt.Sprintf("%s %s %s 查岗（%s）：%s", c.Shift, c.Name, d.clock(c.At), c.By, c.Result)
}

func (d Daily) escalationLine(e EscalationFacts) string {
	line := fmt.Sprintf("%s %s %s：%s", e.ID, d.clock(e.At), e.Title, e.Outcome)
	if e.Outcome == OutcomeAcked {
		line += fmt.Sprintf("（%s %s）", e.AckedBy, d.clock(e.AckedAt))
	}
	return line
}

func (d Daily) pendingLine(p PendingFacts) string {
	return fmt.Sprintf("#%d %s（%s %s）", p.ID, p.Content, p.Author, d.clock(p.At))
}

// spotSummary is "查岗 3 次，在岗 2，脱岗 1".
func (d Daily) spotSummary() string {
	counts := map[string]int{}
	for _, c := range d.SpotChecks {
		counts[c.Result]++
	}
	s := fmt.Sprintf("查岗 %d 次，在岗 %d，脱岗 %d", len(d.SpotChecks), counts[SpotOK], counts[SpotMissed])
	if counts[SpotWaiting] > 0 {
		s += fmt.Sprintf("，待答复 %d", counts[SpotWaiting])
	}
	return s
}

// span is "11月24日 周二 08:30 至 11月25日 08:30（截至 11-25 08:00）".
func (d Daily) span() string {
	s := fmt.Sprintf("%s（%s）%s 至 %s", d.Date.Label(), d.DayType.Label(), d.From.In(d.Loc).Format("15:04"), d.clock(d.To))
	if d.At.Before(d.To) {
		s += "，截至 " + d.clock(d.At)
	}
	return s
}

// Markdown is the bulletin as WeCom markdown (one text; MarkdownParts
// splits it to fit messages).
func (d Daily) Markdown() string {
	if d.Holiday {
		return d.holidayMarkdown()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n> %s\n", d.Title(), d.span())

	b.WriteString("\n**一、值班情况**\n")
	if len(d.Shifts) == 0 {
		b.WriteString("· 无班次\n")
	}
	for _, s := range d.Shifts {
		b.WriteString("· " + shiftLine(s) + "\n")
	}

	fmt.Fprintf(&b, "\n**二、突发事件**（%d 件", len(d.Reports))
	if n := d.LateReports(); n > 0 {
		fmt.Fprintf(&b, "，<font color=\"warning\">迟报 %d 件</font>", n)
	}
	b.WriteString("）\n")
	writeBullets(&b, d.Reports, d.reportLine)

	fmt.Fprintf(&b, "\n**三、领导批示**（%d 条）\n", len(d.Instructions))
	writeBullets(&b, d.Instructions, d.instructionLine)

	b.WriteString("\n**四、在岗检查**\n")
	fmt.Fprintf(&b, "· 空岗 %d 次；%s\n", len(d.Absences), d.spotSummary())
	for _, a := range d.Absences {
		b.WriteString("· " + d.absenceLine(a) + "\n")
	}
	for _, c := range d.SpotChecks {
		b.WriteString("· " + d.spotCheckLine(c) + "\n")
	}

	fmt.Fprintf(&b, "\n**五、待办事项**（%d 项未办结）\n", len(d.Pending))
	writeBullets(&b, d.Pending, d.pendingLine)

	fmt.Fprintf(&b, "\n**六、告警**（%d 条）\n", len(d.Escalations))
	writeBullets(&b, d.Escalations, d.escalationLine)
	return strings.TrimRight(b.String(), "\n")
}

// writeBullets writes a "· " line for each item, or "· 无" when there are
// none.
func writeBullets[T any](b *strings.Builder, items []T, line func(T) string) {
	if len(items) == 0 {
		b.WriteString("· 无\n")
	}
	for _, x := range items {
		b.WriteString("· " + line(x) + "\n")
	}
}

// leadersAndOfficers are the day's people across its shifts, each once.
func (d Daily) leadersAndOfficers() (leaders, officers []string) {
	seen := map[string]bool{}
	add := func(list *[]string, ps []Person) {
		for _, p := range ps {
			if !seen[p.UserID] {
				seen[p.UserID] = true
				*list = append(*list, p.Name)
			}
		}
	}
	for _, s := range d.Shifts {
		add(&leaders, s.Leaders)
	}
	for _, s := range d.Shifts {
		add(&officers, s.Officers)
	}
	return leaders, officers
}

// importantLines are the holiday form's 重要事项: reports, 批示, 空岗,
// 脱岗 and alerts.
func (d Daily) importantLines() []string {
	var out []string
	for _, r := range d.Reports {
		out = append(out, "突发事件："+d.reportLine(r))
	}
	for _, in := range d.Instructions {
		out = append(out, "领导批示："+d.instructionLine(in))
	}
	for _, a := range d.Absences {
		out = append(out, "空岗："+d.absenceLine(a))
	}
	for _, c := range d.SpotChecks {
		if c.Result == SpotMissed {
			out = append(out, "脱岗："+d.spotCheckLine(c))
		}
	}
	for _, e := range d.Escalations {
		out = append(out, "告警："+d.escalationLine(e))
	}
	return out
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "无"
	}
	return strings.Join(names, "、")
}

// holidayMarkdown is the 节假日每日值班信息专报: who was on duty first,
// then the important matters (无重要情况 when there were none).
func (d Daily) holidayMarkdown() string {
	var b strings.Builder
	leaders, officers := d.leadersAndOfficers()
	fmt.Fprintf(&b, "# %s\n> %s\n", d.Title(), d.span())
	fmt.Fprintf(&b, "\n**值班领导**：%s\n**值班人员**：%s\n", orNone(leaders), orNone(officers))
	for _, s := range d.Shifts {
		b.WriteString("· " + shiftLine(s) + "\n")
	}
	b.WriteString("\n**重要事项**\n")
	if d.Quiet() {
		b.WriteString("无重要情况。\n")
	}
	for _, l := range d.importantLines() {
		b.WriteString("· " + l + "\n")
	}
	fmt.Fprintf(&b, "\n**在岗检查**：空岗 %d 次；%s\n", len(d.Absences), d.spotSummary())
	fmt.Fprintf(&b, "\n**待办事项**（%d 项未办结）\n", len(d.Pending))
	for _, p := range d.Pending {
		b.WriteString("· " + d.pendingLine(p) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// MarkdownParts is the bulletin split into WeCom markdown messages of at
// most limit bytes (WeComMarkdownLimit when 0), each after the first
// headed "（续）".
func (d Daily) MarkdownParts(limit int) []string {
	return SplitMarkdown(d.Markdown(), limit, "**"+d.Title()+"（续）**")
}

// SplitMarkdown splits text at line ends into parts of at most limit bytes
// (WeComMarkdownLimit when 0); every part after the first starts with
// header on its own line. A line longer than a part is cut at a character
// boundary.
func SplitMarkdown(text string, limit int, header string) []string {
	if limit <= 0 {
		limit = WeComMarkdownLimit
	}
	if len(text) <= limit {
		return []string{text}
	}
	if len(header)+1 > limit/2 {
		header = ""
	}
	var parts []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
		}
	}
	start := func() {
		if len(parts) > 0 && header != "" {
			cur.WriteString(header)
		}
	}
	start()
	for _, line := range strings.Split(text, "\n") {
		for {
			room := limit - cur.Len()
			if cur.Len() > 0 {
				room-- // the newline before the line
			}
			if len(line) <= room {
				if cur.Len() > 0 {
					cur.WriteByte('\n')
				}
				cur.WriteString(line)
				break
			}
			fresh := cur.Len() == 0 || (header != "" && len(parts) > 0 && cur.Len() == len(header))
			if !fresh {
				flush()
				start()
				continue
			}
			// The line alone does not fit: cut it.
			cut := cutAt(line, room)
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(line[:cut])
			line = line[cut:]
			flush()
			start()
		}
	}
	flush()
	return parts
}

// cutAt is the largest index ≤ n that does not split a character.
func cutAt(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// Markdown is the statistics as WeCom markdown.
func (st Stats) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# 值班统计 %s\n> %s 至 %s\n", st.Period.Label(), st.Period.From, st.Period.To)
	counts := func(cs []Count) string {
		parts := make([]string, len(cs))
		for i, c := range cs {
			parts[i] = fmt.Sprintf("%s %d", c.Label, c.N)
		}
		return strings.Join(parts, "，")
	}
	fmt.Fprintf(&b, "\n**突发事件** %d 件\n· 按级别：%s\n· 按类别：%s\n· 敏感 %d 件；迟报 %d 件，迟报率 %s\n",
		st.Reports, counts(st.ByLevel), counts(st.ByCategory), st.Sensitive, st.Late, rate(st.Late, st.Reports))
	fmt.Fprintf(&b, "\n**领导批示** %d 条\n· 按时传达 %d，传达超时 %d，按时传达率 %s\n· 按时反馈 %d，反馈超时 %d，待反馈 %d，按时反馈率 %s\n",
		st.Instructions, st.RelayedOnTime, st.RelayedLate, rate(st.RelayedOnTime, st.Instructions),
		st.FedBackOnTime, st.FedBackLate, st.FeedbackWaiting, rate(st.FedBackOnTime, st.Instructions))
	fmt.Fprintf(&b, "\n**在岗情况**\n· 签到 %d 次：准时（含早到）%d，迟到 %d，准时率 %s\n· 空岗 %d 次，脱岗 %d 次\n· 查岗 %d 次：在岗 %d，未通过 %d",
		st.Checkins, st.CheckinsOnTime, st.CheckinsLate, rate(st.CheckinsOnTime, st.Checkins),
		st.Absences, st.SpotChecksMissed, st.SpotChecks, st.SpotChecksOK, st.SpotChecksMissed)
	if st.SpotChecksWaiting > 0 {
		fmt.Fprintf(&b, "，待答复 %d", st.SpotChecksWaiting)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "\n**告警** %d 条\n· %s\n· 确认用时：中位数 %s 分钟，P90 %s 分钟（%d 条已确认）\n",
		st.Escalations, counts(st.Outcomes), minutesValue(st.AckMedian, st.AckCount), minutesValue(st.AckP90, st.AckCount), st.AckCount)
	if len(st.Notifications) > 0 {
		b.WriteString("\n**通知发送**\n")
		for _, c := range st.Notifications {
			fmt.Fprintf(&b, "· %s：成功 %d，失败 %d\n", channelLabel(c.Channel), c.Sent, c.Failed)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
