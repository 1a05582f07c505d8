package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// Quick reports (报告/快报), their follow-ups (续报/终报), their deadlines and
// 查询 报告. The decisions are in docs/incident-reports.md.

// cardReportPrefix starts the key of a report card's buttons:
// "report:<id>:instruct" (批示) and "report:<id>:read" (已阅).
const cardReportPrefix = "report"

const (
	// reportFormTTL is how long a 报告 form waits for its next answer; an
	// older one is dropped when the member next writes.
	reportFormTTL = 2 * time.Hour
	// followUpReminderLead is how long before a 续报 is due its filer and
	// the officers on duty are reminded (at most half the interval).
	followUpReminderLead = 15 * time.Minute
	// reportSearchDays is the period 查询 报告 covers by default.
	reportSearchDays = 7
)

// The 报告 form's questions, in the order they are asked.
const (
	stepCategory   = "category"
	stepLevel      = "level"
	stepSensitive  = "sensitive"
	stepOccurred   = "occurred"
	stepKnown      = "known"
	stepPlace      = "place"
	stepSummary    = "summary"
	stepCasualties = "casualties"
	stepSource     = "source"
	stepReporter   = "reporter"
)

// formStep is one question of the 报告 form.
type formStep struct {
	name     string
	label    string // what it is called in replies
	required bool
	question string
}

// reportSteps lists the form's questions in order.
func reportSteps() []formStep {
	return []formStep{
		{stepCategory, "类别", true, "请回复事件类别：自然灾害、事故灾难、公共卫生、社会安全、其他。"},
		{stepLevel, "级别", true, "请回复事件级别：一般、较大、重大、特别重大（也可写 Ⅳ级、Ⅲ级、Ⅱ级、Ⅰ级）。"},
		{stepSensitive, "敏感", false, "是否敏感事件？请回复 是 或 否（跳过即为否）。"},
		{stepOccurred, "发生时间", false, "事件何时发生？如 13:50、昨天 23:50、12-01 23:50；不清楚请回复「跳过」。"},
		{stepKnown, "获知时间", false, "值班室何时获知？如 14:05（报送时限从获知时起算）；回复「跳过」按现在计。"},
		{stepPlace, "地点", false, "发生地点？（可「跳过」）"},
		{stepSummary, "内容", true, "发生了什么？请简要描述事件经过。"},
		{stepCasualties, "伤亡", false, "伤亡情况？如 2人受伤；无伤亡回复「无」，不清楚回复「跳过」。"},
		{stepSource, "来源", false, "信息来源？如 110转警、群众来电（可「跳过」）。"},
		{stepReporter, "报告人", false, "报告人是谁？（回复「跳过」记为您本人）"},
	}
}

// reportFieldWords are the labels of the optional fields on a 报告 line.
func reportFieldWords() []struct{ word, step string } {
	return []struct{ word, step string }{
		{"报告人", stepReporter}, {"reporter", stepReporter},
		{"获知", stepKnown}, {"获悉", stepKnown}, {"知悉", stepKnown}, {"known", stepKnown},
		{"发生", stepOccurred}, {"happened", stepOccurred},
		{"地点", stepPlace}, {"place", stepPlace},
		{"伤亡", stepCasualties}, {"casualties", stepCasualties},
		{"来源", stepSource}, {"source", stepSource},
	}
}

const reportUsage = "报告 <级别> <类别> [敏感] [获知 14:05] [发生 13:50] [地点 XX路口] [伤亡 2人受伤] [来源 110转警] [报告人 XX] <内容> / report\n" +
	"级别：一般、较大、重大、特别重大；类别：自然灾害、事故灾难、公共卫生、社会安全、其他。级别和类别写在最前面（顺序不限），" +
	"其余各项可写在任意位置，值中不要有空格；不写获知时间即按现在计。缺级别、类别或内容时逐项询问。\n" +
	"例：报告 较大 事故灾难 获知 14:05 地点 XX路口 两车相撞 2人受伤"

// reportCommands are 报告, 续报, 终报 and 查询 报告.
func (s *Service) reportCommands() []*Command {
	staff := []roster.Role{roster.RoleOfficer, roster.RoleLeader, roster.RoleAdmin}
	bosses := []roster.Role{roster.RoleLeader, roster.RoleAdmin}
	return []*Command{
		{Name: "报告", Aliases: []string{"report", "快报"}, Roles: staff, Usage: reportUsage,
			Summary: "报送突发事件快报，缺项时逐项询问 file a quick report", Run: s.cmdReport},
		{Name: "续报", Aliases: []string{"update"}, Roles: staff, Usage: "续报 <编号> <内容> / update",
			Summary: "快报的续报（未终报前按时续报）follow up a report",
			Run: func(ctx context.Context, req Request) (string, error) {
				return s.cmdFollowUp(ctx, req, incident.FollowUpUpdate)
			}},
		{Name: "终报", Aliases: []string{"final"}, Roles: staff, Usage: "终报 <编号> <内容> / final",
			Summary: "快报的终报，办结后不再续报 close a report",
			Run: func(ctx context.Context, req Request) (string, error) {
				return s.cmdFollowUp(ctx, req, incident.FollowUpFinal)
			}},
		{Name: "查询 报告", Aliases: []string{"查询报告", "search", "search report"}, Roles: bosses,
			Usage: "查询 报告 [关键词] [级别] [类别] [日期|期间|近N天] [迟报] [敏感] [未结|已终报] | 查询 报告 <编号> / search\n" +
				"条件可组合，默认近 7 天，新的在前。例：查询 报告 较大 迟报 本月；查询 报告 2026-1202-001",
			Summary: "查询快报及其续报、批示 search the quick reports", Run: s.cmdSearchReports},
	}
}

// ---- parsing -------------------------------------------------------------

// parseReportLevel reads a level, also as its grade (Ⅰ级 is 特别重大 … Ⅳ级
// 一般).
func parseReportLevel(w string) (incident.Level, error) {
	grades := map[string]incident.Level{
		"i": incident.LevelSevere, "ⅰ": incident.LevelSevere, "1": incident.LevelSevere, "一": incident.LevelSevere,
		"ii": incident.LevelMajor, "ⅱ": incident.LevelMajor, "2": incident.LevelMajor, "二": incident.LevelMajor,
		"iii": incident.LevelLarge, "ⅲ": incident.LevelLarge, "3": incident.LevelLarge, "三": incident.LevelLarge,
		"iv": incident.LevelGeneral, "ⅳ": incident.LevelGeneral, "4": incident.LevelGeneral, "四": incident.LevelGeneral,
	}
	if g, ok := strings.CutSuffix(strings.ToLower(strings.TrimSpace(w)), "级"); ok {
		if l, ok := grades[g]; ok {
			return l, nil
		}
	}
	return incident.ParseLevel(w)
}

// looksLikeLevel and looksLikeCategory spot a word meant as a level or a
// category that is not one, so the reply can list the accepted ones.
func looksLikeLevel(w string) bool {
	return utf8.RuneCountInString(w) <= 6 && (strings.HasSuffix(w, "级") || strings.HasSuffix(w, "级别"))
}

func looksLikeCategory(w string) bool {
	if utf8.RuneCountInString(w) > 6 {
		return false
	}
	for _, suffix := range []string{"灾害", "灾难", "事故", "卫生", "安全", "事件", "类", "类别"} {
		if strings.HasSuffix(w, suffix) {
			return true
		}
	}
	return false
}

func isSensitiveWord(w string) bool { return w == "敏感" || strings.EqualFold(w, "sensitive") }

// reportLine is what a 报告 line gave.
type reportLine struct {
	draft    incident.Report
	answered []string
}

func (l *reportLine) mark(step string) {
	if !slices.Contains(l.answered, step) {
		l.answered = append(l.answered, step)
	}
}

// parseReportLine reads 报告's words: level and category first (any
// order), 敏感 anywhere, labelled fields anywhere, the rest is the content.
// A word in the level's or category's place that looks like one but is not
// is an error listing the accepted values.
func (s *Service) parseReportLine(args []string, now time.Time) (reportLine, error) {
	var l reportLine
	i := 0
	for ; i < len(args); i++ {
		w := args[i]
		if lv, err := parseReportLevel(w); err == nil && l.draft.Level == "" {
			l.draft.Level = lv
			l.mark(stepLevel)
			continue
		}
		if c, err := incident.ParseCategory(w); err == nil && l.draft.Category == "" {
			l.draft.Category = c
			l.mark(stepCategory)
			continue
		}
		if isSensitiveWord(w) {
			l.draft.Sensitive = true
			l.mark(stepSensitive)
			continue
		}
		break
	}
	if i < len(args) {
		w := args[i]
		if _, _, isField := splitReportField(w); !isField {
			if l.draft.Level == "" && looksLikeLevel(w) {
				_, err := incident.ParseLevel(w)
				return l, &UserError{Msg: err.Error()}
			}
			if l.draft.Category == "" && looksLikeCategory(w) {
				_, err := incident.ParseCategory(w)
				return l, &UserError{Msg: err.Error()}
			}
		}
	}
	var content []string
	for ; i < len(args); i++ {
		w := args[i]
		if isSensitiveWord(w) {
			l.draft.Sensitive = true
			l.mark(stepSensitive)
			continue
		}
		step, val, isField := splitReportField(w)
		if !isField {
			content = append(content, w)
			continue
		}
		used := 0
		if val == "" {
			if i+1 >= len(args) {
				content = append(content, w)
				continue
			}
			val, used = args[i+1], 1
		}
		switch step {
		case stepKnown, stepOccurred:
			t, err := s.parseWhen(val, now)
			if err != nil && used == 1 && i+2 < len(args) {
				t2, err2 := s.parseWhen(val+" "+args[i+2], now)
				switch {
				case err2 == nil:
					t, err, used = t2, nil, 2
				case !errors.Is(err2, errWhenForm):
					err, val = err2, val+" "+args[i+2] // a day and a time, but in the future
				}
			}
			if err != nil {
				if strings.IndexFunc(val, unicode.IsDigit) >= 0 {
					return l, Userf("%s「%s」看不懂：%s", stepLabel(step), val, err.Error())
				}
				content = append(content, w) // "发生 两车相撞": a word of the content
				continue
			}
			if step == stepKnown {
				l.draft.KnownAt = t
			} else {
				l.draft.OccurredAt = t
			}
		case stepPlace:
			l.draft.Place = val
		case stepCasualties:
			l.draft.Casualties = val
		case stepSource:
			l.draft.Source = val
		case stepReporter:
			l.draft.Reporter = val
		}
		l.mark(step)
		i += used
	}
	if err := checkReportTimes(l.draft); err != nil {
		return l, err
	}
	if l.draft.Summary = strings.Join(content, " "); l.draft.Summary != "" {
		l.mark(stepSummary)
	}
	return l, nil
}

// splitReportField reads a labelled field word: "地点" (the value is the
// next word), "地点XX路口" or "地点:XX路口" (the value is the rest).
func splitReportField(w string) (step, val string, ok bool) {
	lower := strings.ToLower(w)
	for _, f := range reportFieldWords() {
		rest, found := strings.CutPrefix(lower, f.word)
		if !found {
			continue
		}
		rest = w[len(w)-len(rest):]
		if trimmed, colon := strings.CutPrefix(rest, ":"); colon {
			return f.step, trimmed, true
		}
		if rest != "" && f.word[0] < utf8.RuneSelf {
			return "", "", false // "sourcecode": an English word, not a label
		}
		return f.step, rest, true
	}
	return "", "", false
}

func stepLabel(step string) string {
	for _, st := range reportSteps() {
		if st.name == step {
			return st.label
		}
	}
	return step
}

// parseWhen reads a time of an event: "14:05", "14点05分", "14点", with a
// day before it ("昨天 23:50", "12-01 23:50"). A time of day alone is
// today's, or yesterday's when today's is still ahead (after midnight, the
// evening before). It may not be in the future.
func (s *Service) parseWhen(text string, now time.Time) (time.Time, error) {
	day, c, ok := splitClock(text)
	if !ok {
		return time.Time{}, errWhenForm
	}
	today := roster.DateOf(now, s.loc)
	if day == "" {
		t := today.At(c, s.loc)
		if t.After(now.Add(5 * time.Minute)) {
			t = today.AddDays(-1).At(c, s.loc)
		}
		return minTime(t, now), nil
	}
	d, err := roster.ParseDay(day, today)
	if err != nil {
		return time.Time{}, errWhenForm
	}
	t := d.At(c, s.loc)
	if t.After(now.Add(5 * time.Minute)) {
		return time.Time{}, fmt.Errorf("%s 还没到，不能晚于现在。", t.In(s.loc).Format("01-02 15:04"))
	}
	return minTime(t, now), nil
}

// errWhenForm says which times parseWhen reads.
var errWhenForm = errors.New("可写 14:05、14点05分、昨天 23:50、12-01 23:50。")

func minTime(a, b time.Time) time.Time {
	if a.After(b) {
		return b
	}
	return a
}

// splitClock takes the time of day off the end of text: "昨天 23:50" is
// ("昨天", 23:50).
func splitClock(text string) (day string, c roster.ClockTime, ok bool) {
	t := strings.TrimSpace(text)
	t = strings.TrimSuffix(t, "分")
	t = strings.NewReplacer("点", ":", "时", ":").Replace(t)
	if strings.HasSuffix(t, ":") {
		t += "00"
	}
	colon := strings.LastIndex(t, ":")
	if colon < 1 {
		return "", 0, false
	}
	start := colon
	for start > 0 && colon-start < 2 && t[start-1] >= '0' && t[start-1] <= '9' {
		start--
	}
	if start == colon {
		return "", 0, false
	}
	c, err := roster.ParseClock(t[start:])
	if err != nil || strings.ContainsAny(t[colon+1:], " ") {
		return "", 0, false
	}
	return strings.TrimSpace(t[:start]), c, true
}

// checkReportTimes refuses an event known before it happened.
func checkReportTimes(r incident.Report) error {
	if !r.OccurredAt.IsZero() && !r.KnownAt.IsZero() && r.OccurredAt.After(r.KnownAt) {
		return Userf("发生时间不能晚于获知时间。")
	}
	return nil
}

// ---- 报告 ----------------------------------------------------------------

func (s *Service) cmdReport(ctx context.Context, req Request) (string, error) {
	now := s.clock.Now().UTC()
	line, err := s.parseReportLine(req.Args, now)
	if err != nil {
		return "", err
	}
	dropped, err := s.incidents.DeleteReportForm(ctx, req.Member.UserID)
	if err != nil {
		return "", err
	}
	note := ""
	if dropped {
		note = "（之前未填完的报告已作废。）\n"
	}
	d := line.draft
	if d.Level != "" && d.Category != "" && d.Summary != "" {
		reply, err := s.fileReport(ctx, req.Member, d)
		return note + reply, err
	}
	f := incident.ReportForm{UserID: req.Member.UserID, Draft: d, Answered: line.answered}
	next := nextReportStep(f)
	f.Step = next.name
	if _, err := s.incidents.SaveReportForm(ctx, f); err != nil {
		return "", err
	}
	var missing []string
	for _, st := range reportSteps() {
		if st.required && !f.Has(st.name) {
			missing = append(missing, st.label)
		}
	}
	head := "开始填写快报，请逐项回复。"
	if len(line.answered) > 0 {
		head = fmt.Sprintf("快报还缺%s，请逐项回复。", strings.Join(missing, "、"))
	}
	return note + head + "\n" + s.formQuestion(next), nil
}

// nextReportStep is the first question f has not had; zero when none is
// left.
func nextReportStep(f incident.ReportForm) formStep {
	for _, st := range reportSteps() {
		if !f.Has(st.name) {
			return st
		}
	}
	return formStep{}
}

func (s *Service) formQuestion(st formStep) string {
	steps := reportSteps()
	n := 0
	for i, x := range steps {
		if x.name == st.name {
			n = i + 1
		}
	}
	tail := "回复「取消」放弃。"
	if !st.required {
		tail = "回复「跳过」略过此项，「取消」放弃。"
	}
	return fmt.Sprintf("（%d/%d）%s\n%s", n, len(steps), st.question, tail)
}

// reportFormStep takes the member's answer to the 报告 form's current
// question; handled is false when no form is open for them. 取消 abandons
// it; a command typed meanwhile runs (报告 starts afresh, anything else
// leaves the form waiting and asks the question again).
func (s *Service) reportFormStep(ctx context.Context, m roster.Member, text string) (Reply, bool, error) {
	f, err := s.incidents.ReportForm(ctx, m.UserID)
	if errors.Is(err, incident.ErrNotFound) {
		return Reply{}, false, nil
	}
	if err != nil {
		return Reply{}, false, err
	}
	now := s.clock.Now()
	answer := Normalize(text)
	if now.Sub(f.UpdatedAt) > reportFormTTL {
		if _, err := s.incidents.DeleteReportForm(ctx, m.UserID); err != nil {
			return Reply{}, false, err
		}
		reply, err := s.router.Route(ctx, m, text)
		reply.Text = fmt.Sprintf("（您 %s 开始填写的快报超过 %d 小时未完成，已作废；如需报送请重新发送「报告」。）\n%s",
			f.StartedAt.In(s.loc).Format("01-02 15:04"), int(reportFormTTL/time.Hour), reply.Text)
		return reply, true, err
	}
	switch strings.ToLower(answer) {
	case "取消", "cancel", "放弃", "取消报告":
		if _, err := s.incidents.DeleteReportForm(ctx, m.UserID); err != nil {
			return Reply{}, false, err
		}
		return Reply{Text: "已取消这份快报，没有报送任何内容。"}, true, nil
	}
	st := formStep{}
	for _, x := range reportSteps() {
		if x.name == f.Step {
			st = x
		}
	}
	if st.name == "" {
		st = nextReportStep(f)
	}
	if c := s.formCommand(answer); c != nil {
		if c.Name == "报告" {
			reply, err := s.router.Route(ctx, m, text) // cmdReport drops the draft and says so
			return reply, true, err
		}
		reply, err := s.router.Route(ctx, m, text)
		reply.Text += "\n\n（您的快报还在填写中，" + s.formQuestion(st) + "）"
		return reply, true, err
	}
	if answer == "" {
		return Reply{Text: s.formQuestion(st)}, true, nil
	}
	skip := strings.EqualFold(answer, "跳过") || strings.EqualFold(answer, "skip")
	if skip && st.required {
		return Reply{Text: fmt.Sprintf("「%s」必须填写，不能跳过。\n%s", st.label, s.formQuestion(st))}, true, nil
	}
	if !skip {
		if msg := s.applyFormAnswer(&f.Draft, st.name, answer, now); msg != "" {
			return Reply{Text: msg + "\n" + s.formQuestion(st)}, true, nil
		}
	}
	f.Answered = append(f.Answered, st.name)
	next := nextReportStep(f)
	if next.name == "" {
		reply, err := s.fileReport(ctx, m, f.Draft)
		return Reply{Text: reply}, true, err
	}
	f.Step = next.name
	if _, err := s.incidents.SaveReportForm(ctx, f); err != nil {
		return Reply{}, false, err
	}
	return Reply{Text: s.formQuestion(next)}, true, nil
}

// formCommand is the command text starts with, if any.
func (s *Service) formCommand(text string) *Command {
	words := strings.Fields(text)
	if len(words) == 0 {
		return nil
	}
	if len(words) > 1 {
		if c := s.router.Lookup(words[0] + " " + words[1]); c != nil {
			return c
		}
	}
	return s.router.Lookup(words[0])
}

// applyFormAnswer puts a form answer into the draft; a non-empty result
// says what was wrong with it.
func (s *Service) applyFormAnswer(d *incident.Report, step, answer string, now time.Time) string {
	switch step {
	case stepCategory:
		c, err := incident.ParseCategory(answer)
		if err != nil {
			return err.Error()
		}
		d.Category = c
	case stepLevel:
		l, err := parseReportLevel(answer)
		if err != nil {
			return err.Error()
		}
		d.Level = l
	case stepSensitive:
		switch strings.ToLower(answer) {
		case "是", "是的", "敏感", "有", "对", "yes", "y", "1":
			d.Sensitive = true
		case "否", "不", "不是", "不敏感", "无", "没有", "no", "n", "0":
			d.Sensitive = false
		default:
			return fmt.Sprintf("「%s」看不懂，请回复 是 或 否。", answer)
		}
	case stepOccurred, stepKnown:
		t, err := s.parseWhen(answer, now)
		if err != nil {
			return fmt.Sprintf("%s「%s」看不懂：%s", stepLabel(step), answer, err.Error())
		}
		c := *d
		if step == stepKnown {
			c.KnownAt = t
		} else {
			c.OccurredAt = t
		}
		if err := checkReportTimes(c); err != nil {
			return err.Error()
		}
		*d = c
	case stepPlace:
		d.Place = answer
	case stepSummary:
		d.Summary = answer
	case stepCasualties:
		d.Casualties = answer
	case stepSource:
		d.Source = answer
	case stepReporter:
		d.Reporter = answer
	}
	return ""
}

// ---- filing --------------------------------------------------------------

func (s *Service) reportDeadline(l incident.Level) time.Duration {
	if d := s.incidentSet.Deadline[l]; d > 0 {
		return d
	}
	return incident.DefaultSettings().Deadline[l]
}

func (s *Service) followUpEvery() time.Duration {
	if s.incidentSet.FollowUpEvery > 0 {
		return s.incidentSet.FollowUpEvery
	}
	return incident.DefaultSettings().FollowUpEvery
}

// lateMinutes is a delay in whole minutes, rounded up.
func lateMinutes(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }

// reportTitle is "较大 事故灾难：XX路口两车相撞" (with 敏感), clipped for
// card and alert titles.
func reportTitle(r incident.Report) string {
	head := r.Level.Label() + " " + r.Category.Label()
	if r.Sensitive {
		head += " 敏感"
	}
	return clip(head+"："+r.Summary, 36)
}

// fileReport stores m's report with its deadline status and duty slot,
// sends it to the leaders, raises its alert and arms its first 续报
// deadline. Once the report is stored, a failure to notify is logged and
// told in the reply, never returned (the report must not be filed twice).
func (s *Service) fileReport(ctx context.Context, m roster.Member, r incident.Report) (string, error) {
	now := s.clock.Now().UTC()
	if r.KnownAt.IsZero() {
		r.KnownAt = now
	}
	r.FiledBy, r.FiledAt = m.UserID, now
	r.DueAt = r.KnownAt.Add(s.reportDeadline(r.Level))
	if now.After(r.DueAt) {
		r.LateBy = now.Sub(r.DueAt).Truncate(time.Second)
	}
	var sr roster.ShiftRoster
	var inSlot bool
	if s.duty != nil {
		var err error
		if sr, inSlot, err = s.currentSlot(ctx, m); err != nil {
			return "", err
		}
		if inSlot {
			r.Date, r.Shift = sr.Date, sr.Shift.Name
		}
	}
	r.NextFollowUpAt = now.Add(s.followUpEvery())
	r, err := s.incidents.FileReportForm(ctx, r)
	if err != nil {
		return "", err
	}
	log := s.log.With("report", r.Number)
	byID, _, err := s.people(ctx)
	if err != nil {
		log.Error("members for a report", "err", err)
	}
	leaders := s.reportLeaders(byID, sr.Leaders)
	var failed []string
	for _, u := range leaders {
		if err := s.queueCard(ctx, u, s.reportCard(r, u, byID), reportRef(r)); err != nil {
			log.Error("report card", "to", u, "err", err)
			failed = append(failed, "领导的快报卡片")
		}
	}
	kind := push.KindReport
	if r.Level.Major() || r.Sensitive {
		kind = push.KindReportMajor
	}
	escText := ""
	if esc, err := s.raiseOnce(ctx, push.Event{Kind: kind, Subject: reportSubject(r), Title: reportTitle(r), Body: s.reportBody(r, byID)}); err != nil {
		log.Error("raise the report's alert", "err", err)
		failed = append(failed, "告警")
	} else {
		escText = fmt.Sprintf("，并已告警（%s）", esc.ID)
		if err := s.incidents.SetReportEscalation(ctx, r.ID, esc.ID); err != nil {
			log.Error("record the report's alert", "escalation", esc.ID, "err", err)
		}
	}
	if err := s.armFollowUp(ctx, r, 1); err != nil {
		log.Error("arm the first follow-up deadline", "err", err)
		failed = append(failed, "续报提醒")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "已报送快报 %s（%s %s", r.Number, r.Level.Label(), r.Category.Label())
	if r.Sensitive {
		b.WriteString("，敏感")
	}
	fmt.Fprintf(&b, "）：%s\n", clip(r.Summary, 60))
	known, due := s.reportClock(r.KnownAt, now), s.reportClock(r.DueAt, now)
	if r.Late() {
		fmt.Fprintf(&b, "迟报 %s：获知 %s，报送时限 %s（%s内），报送 %s。\n", roster.MinutesLabel(lateMinutes(r.LateBy)), known, due,
			roster.MinutesLabel(lateMinutes(s.reportDeadline(r.Level))), now.In(s.loc).Format("15:04"))
	} else {
		fmt.Fprintf(&b, "按时报送：获知 %s，报送时限 %s。\n", known, due)
	}
	who := "全体领导"
	if len(sr.Leaders) > 0 {
		who = "带班领导"
	}
	fmt.Fprintf(&b, "已送%s %s%s。\n", who, orNobody(namesOf(nameMap(byID), leaders)), escText)
	fmt.Fprintf(&b, "请于 %s 前续报：续报 %s <内容>；处置完毕请发：终报 %s <内容>。", s.reportClock(r.NextFollowUpAt, now), r.Number, r.Number)
	if len(failed) > 0 {
		fmt.Fprintf(&b, "\n注意：%s发送失败，已记录，请电话报告带班领导。", strings.Join(failed, "、"))
	}
	return b.String(), nil
}

// reportClock shows a time as "15:04", with the date when it is not today.
func (s *Service) reportClock(t, now time.Time) string {
	if roster.DateOf(t, s.loc) == roster.DateOf(now, s.loc) {
		return t.In(s.loc).Format("15:04")
	}
	return t.In(s.loc).Format("01-02 15:04")
}

func nameMap(byID map[string]roster.Member) map[string]string {
	out := make(map[string]string, len(byID))
	for id, m := range byID {
		out[id] = displayName(m)
	}
	return out
}

func reportSubject(r incident.Report) string { return "report/" + r.Number }

// reportRef is the outgoing ref of a report's cards.
func reportRef(r incident.Report) string { return "report/" + r.Number }

// reportLeaders are who gets a report: the active leaders on duty, or
// every active leader when none is.
func (s *Service) reportLeaders(byID map[string]roster.Member, onDuty []string) []string {
	var out []string
	for _, u := range onDuty {
		if m, ok := byID[u]; ok && m.Active && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, m := range byID {
		if m.Active && m.HasRole(roster.RoleLeader) {
			out = append(out, m.UserID)
		}
	}
	slices.Sort(out)
	return out
}

// reportRecipients are the leaders who got report r (its slot's leaders on
// duty, or every leader) and those who gave a 批示 on it.
func (s *Service) reportRecipients(ctx context.Context, r incident.Report, byID map[string]roster.Member) []string {
	var onDuty []string
	if !r.Date.IsZero() {
		sr, ok, err := s.shiftRoster(ctx, r.Date, r.Shift)
		if err != nil {
			s.log.Warn("leaders of a report's shift", "report", r.Number, "err", err)
		}
		if ok {
			onDuty = sr.Leaders
		}
	}
	out := s.reportLeaders(byID, onDuty)
	ins, err := s.incidents.InstructionsOf(ctx, r.ID)
	if err != nil {
		s.log.Warn("instructions of a report", "report", r.Number, "err", err)
	}
	for _, in := range ins {
		if !slices.Contains(out, in.Leader) {
			out = append(out, in.Leader)
		}
	}
	return out
}

// reportCard is the card a leader gets: the summary, 批示 and 已阅.
func (s *Service) reportCard(r incident.Report, to string, byID map[string]roster.Member) wecom.Card {
	desc := fmt.Sprintf("%s · %s %s 报送", r.Number, nameOf(nameMap(byID), r.FiledBy), r.FiledAt.In(s.loc).Format("15:04"))
	if r.Late() {
		desc += fmt.Sprintf(" · 迟报%d分钟", lateMinutes(r.LateBy))
	}
	return wecom.Card{
		TaskID: fmt.Sprintf("report_%d_%s_%d", r.ID, to, s.clock.Now().UnixNano()),
		Source: "值班机器人 · 快报",
		Title:  reportTitle(r),
		Desc:   clip(desc, 44),
		Text:   clip(s.reportFacts(r, byID), 112),
		Buttons: []wecom.CardButton{
			{Text: "批示 / Instruct", Key: fmt.Sprintf("%s:%d:instruct", cardReportPrefix, r.ID), Style: 1},
			{Text: "已阅 / Read", Key: fmt.Sprintf("%s:%d:read", cardReportPrefix, r.ID), Style: 2},
		},
	}
}

// reportFacts lists a report's fields in one paragraph.
func (s *Service) reportFacts(r incident.Report, byID map[string]roster.Member) string {
	parts := []string{r.Summary}
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+"："+v)
		}
	}
	add("地点", r.Place)
	if !r.OccurredAt.IsZero() {
		add("发生", r.OccurredAt.In(s.loc).Format("01-02 15:04"))
	}
	add("获知", r.KnownAt.In(s.loc).Format("01-02 15:04"))
	add("伤亡", r.Casualties)
	add("来源", r.Source)
	reporter := r.Reporter
	if reporter == "" {
		reporter = nameOf(nameMap(byID), r.FiledBy)
	}
	add("报告人", reporter)
	return strings.Join(parts, "；")
}

// reportBody is the alert's text.
func (s *Service) reportBody(r incident.Report, byID map[string]roster.Member) string {
	status := "按时报送"
	if r.Late() {
		status = "迟报 " + roster.MinutesLabel(lateMinutes(r.LateBy))
	}
	return fmt.Sprintf("快报 %s（%s %s%s），%s %s 报送，%s。%s", r.Number, r.Level.Label(), r.Category.Label(), sensitiveMark(r),
		nameOf(nameMap(byID), r.FiledBy), r.FiledAt.In(s.loc).Format("01-02 15:04"), status, s.reportFacts(r, byID))
}

func sensitiveMark(r incident.Report) string {
	if r.Sensitive {
		return "，敏感"
	}
	return ""
}

// ---- 续报 / 终报 -----------------------------------------------------------

// followUpKeys are the deadline keys of report id's n-th 续报: the
// reminder before it is due and the moment it is overdue.
func followUpKeys(id int64, n int) (remind, due string) {
	due = fmt.Sprintf("%s/%d", duty.RefKey(duty.KindReportFollowUp, id), n)
	return due + "/remind", due
}

// parseFollowUpKey reads n and whether it is the reminder from a key made
// by followUpKeys.
func parseFollowUpKey(d duty.Deadline) (n int, remind, ok bool) {
	rest, found := strings.CutPrefix(d.Key, duty.RefKey(duty.KindReportFollowUp, d.Ref)+"/")
	if !found {
		return 0, false, false
	}
	rest, remind = strings.CutSuffix(rest, "/remind")
	n, err := strconv.Atoi(rest)
	return n, remind, err == nil && n > 0
}

func followUpSubject(r incident.Report, n int) string {
	return fmt.Sprintf("followup/%s/%d", r.Number, n)
}

// armFollowUp stores the deadlines of r's n-th 续报, due at
// r.NextFollowUpAt.
func (s *Service) armFollowUp(ctx context.Context, r incident.Report, n int) error {
	if s.dutySched == nil || r.NextFollowUpAt.IsZero() {
		return nil
	}
	lead := min(followUpReminderLead, s.followUpEvery()/2)
	remind, due := followUpKeys(r.ID, n)
	d := duty.Deadline{Kind: duty.KindReportFollowUp, Ref: r.ID, Date: r.Date, Shift: r.Shift, UserID: r.FiledBy}
	dr, dd := d, d
	dr.Key, dr.DueAt = remind, r.NextFollowUpAt.Add(-lead)
	dd.Key, dd.DueAt = due, r.NextFollowUpAt
	return s.dutySched.Add(ctx, dr, dd)
}

// cancelFollowUp voids the deadlines of r's n-th 续报.
func (s *Service) cancelFollowUp(ctx context.Context, r incident.Report, n int, note string) {
	if s.dutySched == nil {
		return
	}
	remind, due := followUpKeys(r.ID, n)
	for _, k := range []string{remind, due} {
		if err := s.dutySched.Cancel(ctx, k, note); err != nil {
			s.log.Error("cancel a follow-up deadline", "key", k, "err", err)
		}
	}
}

// findReport reads a report number: "2026-1202-001", or "1202-001" for
// this year's.
func (s *Service) findReport(ctx context.Context, text string) (incident.Report, error) {
	num := strings.TrimPrefix(strings.TrimSpace(text), "#")
	if strings.Count(num, "-") == 1 {
		num = fmt.Sprintf("%d-%s", s.today().Year, num)
	}
	r, err := s.incidents.ReportByNumber(ctx, num)
	if errors.Is(err, incident.ErrNotFound) {
		return r, Userf("没有编号为「%s」的快报。编号形如 2026-1202-001，见报送时的回复%s。", text, "或「查询 报告」（领导、管理员）")
	}
	return r, err
}

func updatesOf(fs []incident.FollowUp) int {
	n := 0
	for _, f := range fs {
		if f.Kind == incident.FollowUpUpdate {
			n++
		}
	}
	return n
}

func (s *Service) cmdFollowUp(ctx context.Context, req Request, kind string) (string, error) {
	word := "续报"
	if kind == incident.FollowUpFinal {
		word = "终报"
	}
	if len(req.Args) < 2 {
		return "", Userf("格式：%s <编号> <内容>，例如「%s 2026-1202-001 伤员已送医，道路恢复通行」。", word, word)
	}
	r, err := s.findReport(ctx, req.Args[0])
	if err != nil {
		return "", err
	}
	closed := func(r incident.Report) error {
		return Userf("快报 %s 已于 %s 终报，已终报，不能再%s。", r.Number, r.ClosedAt.In(s.loc).Format("01-02 15:04"), word)
	}
	if r.Status == incident.ReportClosed {
		return "", closed(r)
	}
	fs, err := s.incidents.FollowUps(ctx, r.ID)
	if err != nil {
		return "", err
	}
	n := updatesOf(fs) + 1 // the 续报 due now
	now := s.clock.Now().UTC()
	var late time.Duration
	if !r.NextFollowUpAt.IsZero() && now.After(r.NextFollowUpAt) {
		late = now.Sub(r.NextFollowUpAt).Truncate(time.Second)
	}
	var next time.Time
	if kind == incident.FollowUpUpdate {
		next = now.Add(s.followUpEvery())
	}
	content := strings.Join(req.Args[1:], " ")
	f, moved, err := s.incidents.AddFollowUp(ctx, incident.FollowUp{ReportID: r.ID, Kind: kind, Content: content, By: req.Member.UserID,
		At: now, LateBy: late}, next)
	if errors.Is(err, incident.ErrClosed) {
		if again, rerr := s.incidents.Report(ctx, r.ID); rerr == nil {
			return "", closed(again)
		}
		return "", Userf("快报 %s 已终报，不能再%s。", r.Number, word)
	}
	if err != nil {
		return "", err
	}
	// The report is on record: what follows is logged, not returned.
	s.cancelFollowUp(ctx, r, n, word+" "+req.Member.UserID)
	if s.escalations != nil {
		if _, err := s.escalations.Resolve(ctx, push.KindReport, followUpSubject(r, n)); err != nil {
			s.log.Error("resolve an overdue follow-up alert", "report", r.Number, "err", err)
		}
		// The 终报 ends the matter: an alert about the report still
		// waiting for a leader stops too (the 终报 itself tells them).
		if kind == incident.FollowUpFinal {
			for _, k := range []string{push.KindReport, push.KindReportMajor} {
				if _, err := s.escalations.Resolve(ctx, k, reportSubject(r)); err != nil {
					s.log.Error("resolve the report's alert at its 终报", "report", r.Number, "err", err)
				}
			}
		}
	}
	if kind == incident.FollowUpUpdate {
		if err := s.armFollowUp(ctx, moved, n+1); err != nil {
			s.log.Error("arm the next follow-up deadline", "report", r.Number, "err", err)
		}
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		s.log.Error("members for a follow-up", "err", err)
	}
	names := nameMap(byID)
	status := "按时"
	if f.LateBy > 0 {
		status = "逾期 " + roster.MinutesLabel(lateMinutes(f.LateBy))
	}
	what := fmt.Sprintf("第 %d 次续报", n)
	if kind == incident.FollowUpFinal {
		what = "终报"
	}
	tell := fmt.Sprintf("【%s】快报 %s（%s）%s，%s %s（%s）：%s", word, r.Number, reportTitle(r), what, nameOf(names, req.Member.UserID),
		now.In(s.loc).Format("15:04"), status, content)
	var to []string
	for _, u := range s.reportRecipients(ctx, r, byID) {
		if u != req.Member.UserID {
			to = append(to, u)
		}
	}
	told := ""
	if err := s.notifyAll(ctx, to, clip(tell, 600)); err != nil {
		s.log.Error("tell the leaders of a follow-up", "report", r.Number, "err", err)
		told = "\n注意：通知领导失败，已记录，请电话报告。"
	}
	if kind == incident.FollowUpFinal {
		return fmt.Sprintf("已终报快报 %s（%s），快报办结，不再需要续报。已告知 %s。%s", r.Number, status, orNobody(namesOf(names, to)), told), nil
	}
	return fmt.Sprintf("已续报快报 %s（%s，%s）。已告知 %s。\n下次续报时限 %s；处置完毕请发：终报 %s <内容>。%s", r.Number, what, status,
		orNobody(namesOf(names, to)), s.reportClock(moved.NextFollowUpAt, now), r.Number, told), nil
}

// officersOnDuty are the officers of the shifts in progress.
func (s *Service) officersOnDuty(ctx context.Context) ([]string, error) {
	now := s.clock.Now()
	today := s.today()
	rosters, err := s.shiftRosters(ctx, today.AddDays(-1), today)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sr := range rosters {
		if now.Before(sr.Start) || !now.Before(sr.End) {
			continue
		}
		for _, u := range sr.Officers {
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// onReportFollowUp: an open report's 续报 is due soon (reminder to its
// filer and the officers on duty) or overdue (an alert, once, and the
// officers told). Nothing happens when the report is closed or that 续报
// was made.
func (s *Service) onReportFollowUp(ctx context.Context, d duty.Deadline) error {
	n, remind, ok := parseFollowUpKey(d)
	if !ok {
		s.log.Error("report follow-up deadline with a bad key; closing it", "key", d.Key)
		return nil
	}
	r, err := s.incidents.Report(ctx, d.Ref)
	if errors.Is(err, incident.ErrNotFound) {
		s.log.Error("follow-up deadline of a report that does not exist; closing it", "key", d.Key)
		return nil
	}
	if err != nil {
		return err
	}
	if r.Status == incident.ReportClosed {
		return nil
	}
	fs, err := s.incidents.FollowUps(ctx, r.ID)
	if err != nil {
		return err
	}
	if updatesOf(fs) >= n {
		return nil
	}
	officers, err := s.officersOnDuty(ctx)
	if err != nil {
		return err
	}
	to := append([]string{r.FiledBy}, slices.DeleteFunc(officers, func(u string) bool { return u == r.FiledBy })...)
	now := s.clock.Now()
	due := s.reportClock(r.NextFollowUpAt, now)
	if remind {
		return s.notifyAll(ctx, to, fmt.Sprintf("【续报提醒】快报 %s（%s）须于 %s 前第 %d 次续报，请发送「续报 %s <内容>」；处置完毕请发「终报 %s <内容>」。",
			r.Number, reportTitle(r), due, n, r.Number, r.Number))
	}
	if s.escalations == nil {
		return fmt.Errorf("raise %s: escalations are not attached", push.KindReport)
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return err
	}
	esc, raised, err := s.escalations.RaiseOnce(ctx, push.Event{Kind: push.KindReport, Subject: followUpSubject(r, n),
		Title: clip("续报逾期："+r.Number, 36),
		Body: fmt.Sprintf("快报 %s（%s）第 %d 次续报应于 %s 前报送，已逾期。报送人 %s。", r.Number, reportTitle(r), n, due,
			nameOf(nameMap(byID), r.FiledBy))})
	if err != nil || !raised {
		return err
	}
	return s.notifyAll(ctx, to, fmt.Sprintf("【续报逾期】快报 %s（%s）第 %d 次续报应于 %s 前报送，已逾期并上报领导（告警 %s）。请立即发送「续报 %s <内容>」。",
		r.Number, reportTitle(r), n, due, esc.ID, r.Number))
}

// ---- the card -------------------------------------------------------------

// onReportCard handles a report card's buttons: 批示 (the leader is asked
// to type it) and 已阅 (the report's alert is acknowledged).
func (s *Service) onReportCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	id, action, ok := parseCardKey(msg.EventKey)
	if !ok {
		s.log.Warn("report card with a bad key", "key", msg.EventKey)
		return []string{"这张快报卡片无效，请发送「批示 <编号> <内容>」。"}
	}
	if !m.HasRole(roster.RoleLeader) {
		return []string{"只有领导可以在快报卡片上批示或阅示。"}
	}
	r, err := s.incidents.Report(ctx, id)
	if errors.Is(err, incident.ErrNotFound) {
		return []string{fmt.Sprintf("快报 #%d 不存在。", id)}
	}
	if err != nil {
		s.log.Error("report card", "report", id, "err", err)
		return []string{apology}
	}
	switch action {
	case "instruct":
		if text := s.promptInstruction(ctx, m, r.ID); text != "" {
			return []string{text}
		}
		return nil
	case "read":
		if r.EscalationID == "" || s.escalations == nil {
			return []string{fmt.Sprintf("已阅快报 %s。", r.Number)}
		}
		esc, first, err := s.escalations.Ack(ctx, r.EscalationID, m.UserID, "card")
		if err != nil {
			s.log.Error("acknowledge a report's alert", "report", r.Number, "err", err)
			return []string{apology}
		}
		if first {
			return []string{fmt.Sprintf("已阅快报 %s，告警 %s 已确认，不再继续通知。需要批示请点「批示」或发送「批示 %s <内容>」。", r.Number, esc.ID, r.Number)}
		}
		return []string{fmt.Sprintf("已阅快报 %s（告警 %s 此前已处理）。", r.Number, esc.ID)}
	}
	s.log.Warn("report card with an unknown button", "key", msg.EventKey)
	return []string{"这张快报卡片无效，请发送「批示 <编号> <内容>」。"}
}

// ---- 查询 报告 ------------------------------------------------------------

// looksLikeReportNumber reports whether w is "2026-1202-001" or
// "1202-001".
func looksLikeReportNumber(w string) bool {
	parts := strings.Split(strings.TrimPrefix(w, "#"), "-")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	want := []int{4, 4, 3}[3-len(parts):]
	for i, p := range parts {
		if len(p) != want[i] || strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return false
		}
	}
	return true
}

// recentDays reads "近7天" / "最近7天".
func recentDays(w string) (int, bool) {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(w, "最"), "近")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, "天")
	if !ok {
		rest, ok = strings.CutSuffix(rest, "日")
	}
	n, err := strconv.Atoi(rest)
	return n, ok && err == nil && n > 0 && n <= 3660
}

func (s *Service) cmdSearchReports(ctx context.Context, req Request) (string, error) {
	args := req.Args
	if len(args) == 1 && looksLikeReportNumber(args[0]) {
		r, err := s.findReport(ctx, args[0])
		if err != nil {
			return "", err
		}
		return s.reportDetail(ctx, r)
	}
	today := s.today()
	from, to := today.AddDays(1-reportSearchDays), today
	periodSet := false
	setPeriod := func(a, b roster.Date) error {
		if periodSet {
			return Userf("只能写一个日期或期间。")
		}
		from, to, periodSet = a, b, true
		return nil
	}
	var f incident.ReportFilter
	var conds []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		if i+2 < len(args) && slices.Contains([]string{"至", "到", "to", "~", "—"}, strings.ToLower(args[i+1])) {
			a, b, err := roster.ParsePeriod(w+"至"+args[i+2], today)
			if err != nil {
				return "", &UserError{Msg: err.Error()}
			}
			if err := setPeriod(a, b); err != nil {
				return "", err
			}
			i += 2
			continue
		}
		switch strings.ToLower(w) {
		case "迟报", "late":
			f.Late = true
			conds = append(conds, "迟报")
			continue
		case "敏感", "sensitive":
			f.Sensitive = true
			conds = append(conds, "敏感")
			continue
		case "未结", "未终报", "open":
			f.Status = incident.ReportOpen
			conds = append(conds, "未结")
			continue
		case "已终报", "已结", "终报", "closed":
			f.Status = incident.ReportClosed
			conds = append(conds, "已终报")
			continue
		}
		if l, err := parseReportLevel(w); err == nil {
			f.Levels = append(f.Levels, l)
			conds = append(conds, l.Label())
			continue
		}
		if c, err := incident.ParseCategory(w); err == nil {
			f.Categories = append(f.Categories, c)
			conds = append(conds, c.Label())
			continue
		}
		if n, ok := recentDays(w); ok {
			if err := setPeriod(today.AddDays(1-n), today); err != nil {
				return "", err
			}
			continue
		}
		if a, b, err := roster.ParsePeriod(w, today); err == nil {
			if err := setPeriod(a, b); err != nil {
				return "", err
			}
			continue
		}
		f.Keywords = append(f.Keywords, w)
		conds = append(conds, "「"+w+"」")
	}
	f.From, f.To = from.At(0, s.loc), to.AddDays(1).At(0, s.loc)
	rs, err := s.incidents.SearchReports(ctx, f)
	if err != nil {
		return "", err
	}
	span := fmt.Sprintf("%s 至 %s", from, to)
	if from == to {
		span = from.String()
	}
	cond := ""
	if len(conds) > 0 {
		cond = "，条件：" + strings.Join(conds, "、")
	}
	if len(rs) == 0 {
		return fmt.Sprintf("%s%s：没有符合条件的快报。", span, cond), nil
	}
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = s.reportSearchLine(r)
	}
	head := fmt.Sprintf("快报查询（%s%s）：共 %d 条，新的在前。发送「查询 报告 <编号>」看详情和批示。", span, cond, len(rs))
	return fitLines(head, lines, replyLimit, "……另有 %d 条未列出，请加条件缩小范围。"), nil
}

// reportSearchLine is one report in a 查询 报告 listing.
func (s *Service) reportSearchLine(r incident.Report) string {
	parts := []string{"· " + r.Number, r.FiledAt.In(s.loc).Format("01-02 15:04"), r.Level.Label(), r.Category.Label()}
	if r.Sensitive {
		parts = append(parts, "敏感")
	}
	if r.Status == incident.ReportClosed {
		parts = append(parts, "已终报")
	} else {
		parts = append(parts, "未结")
	}
	if r.Late() {
		parts = append(parts, fmt.Sprintf("迟报%d分钟", lateMinutes(r.LateBy)))
	}
	return strings.Join(parts, " ") + " " + clip(r.Summary, 30)
}

// reportDetail is one report with its follow-ups and 批示.
func (s *Service) reportDetail(ctx context.Context, r incident.Report) (string, error) {
	fs, err := s.incidents.FollowUps(ctx, r.ID)
	if err != nil {
		return "", err
	}
	ins, err := s.incidents.InstructionsOf(ctx, r.ID)
	if err != nil {
		return "", err
	}
	byID, _, err := s.people(ctx)
	if err != nil {
		return "", err
	}
	names := nameMap(byID)
	now := s.clock.Now()
	at := func(t time.Time) string { return t.In(s.loc).Format("01-02 15:04") }
	var b strings.Builder
	fmt.Fprintf(&b, "快报 %s（%s %s%s）", r.Number, r.Level.Label(), r.Category.Label(), sensitiveMark(r))
	if r.Status == incident.ReportClosed {
		fmt.Fprintf(&b, "，已于 %s 终报", at(r.ClosedAt))
	} else {
		fmt.Fprintf(&b, "，未结，下次续报时限 %s", at(r.NextFollowUpAt))
	}
	fmt.Fprintf(&b, "\n%s", s.reportFacts(r, byID))
	status := "按时报送"
	if r.Late() {
		status = "迟报 " + roster.MinutesLabel(lateMinutes(r.LateBy))
	}
	fmt.Fprintf(&b, "\n报送：%s %s（%s），时限 %s，%s", nameOf(names, r.FiledBy), at(r.FiledAt), slotLabel(roster.Slot{Date: r.Date, Shift: r.Shift}),
		at(r.DueAt), status)
	if r.EscalationID != "" {
		fmt.Fprintf(&b, "；告警 %s", r.EscalationID)
	}
	if len(fs) == 0 {
		b.WriteString("\n续报：暂无")
	} else {
		fmt.Fprintf(&b, "\n续报/终报 %d 条：", len(fs))
		n := 0
		for _, f := range fs {
			what := "终报"
			if f.Kind == incident.FollowUpUpdate {
				n++
				what = fmt.Sprintf("续报%d", n)
			}
			late := ""
			if f.LateBy > 0 {
				late = fmt.Sprintf("，逾期%d分钟", lateMinutes(f.LateBy))
			}
			fmt.Fprintf(&b, "\n· %s %s %s%s：%s", what, at(f.At), nameOf(names, f.By), late, f.Content)
		}
	}
	if len(ins) == 0 {
		b.WriteString("\n批示：暂无")
	} else {
		fmt.Fprintf(&b, "\n批示 %d 条：", len(ins))
		for _, in := range ins {
			fmt.Fprintf(&b, "\n· 批示 #%d %s %s：%s", in.ID, nameOf(names, in.Leader), at(in.IssuedAt), in.Content)
			if in.RelayedAt.IsZero() {
				fmt.Fprintf(&b, "\n  传达：未传达（%s，时限 %s）", nameOf(names, in.Officer), at(in.RelayDue))
			} else {
				late := "按时"
				if in.RelayedLate(now) {
					late = "超时"
				}
				fmt.Fprintf(&b, "\n  传达：%s 传达给 %s（%s）", at(in.RelayedAt), orNobody(in.RelayedTo), late)
			}
			if in.FeedbackAt.IsZero() {
				fmt.Fprintf(&b, "\n  反馈：待反馈（时限 %s）", at(in.FeedbackDue))
			} else {
				late := "按时"
				if in.FedBackLate(now) {
					late = "超时"
				}
				fmt.Fprintf(&b, "\n  反馈：%s %s（%s）：%s", at(in.FeedbackAt), nameOf(names, in.FeedbackBy), late, in.Feedback)
			}
		}
	}
	out := b.String()
	if len(out) > replyLimit {
		out = truncateUTF8(out, replyLimit-len("…（内容较长，已截断）")) + "…（内容较长，已截断）"
	}
	return out, nil
}
