package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"dutybot/internal/clock"
	"dutybot/internal/report"
	"dutybot/internal/report/reporttest"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// month is the generated November 2026 and a Builder over it.
type month struct {
	ctx   context.Context
	store *roster.SQLStore
	clk   *clock.Fake
	duty  *duty.SQLStore
	b     report.Builder
	loc   *time.Location
}

func newMonth(tb testing.TB) *month {
	tb.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	clk := clock.NewFake(reporttest.Start())
	store, err := roster.OpenSQLite(ctx, filepath.Join(tb.TempDir(), "dutybot.db"), clk)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if err := reporttest.Generate(ctx, store, clk, loc); err != nil {
		tb.Fatal(err)
	}
	m := &month{ctx: ctx, store: store, clk: clk, duty: duty.NewSQLStore(store, clk), loc: loc}
	m.b = report.Builder{
		Roster: store, Duty: m.duty, Incidents: incident.NewSQLStore(store, clk, loc), Escalations: push.NewSQLStore(store, clk),
		Settings: roster.DefaultSettings(), Loc: loc,
	}
	return m
}

// at is an office time.
func (m *month) at(y int, mo time.Month, d, h, min int) time.Time {
	return time.Date(y, mo, d, h, min, 0, 0, m.loc)
}

func (m *month) daily(t *testing.T, day int, asOf time.Time) report.Daily {
	t.Helper()
	d, err := m.b.Daily(m.ctx, roster.NewDate(2026, 11, day), asOf)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, s)
		}
	}
}

func mustNotContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(s, p) {
			t.Errorf("%s contains %q, which is not that day's:\n%s", what, p, s)
		}
	}
}

func TestMonthlyMatchesHandComputed(t *testing.T) {
	m := newMonth(t)
	st, err := m.b.Monthly(m.ctx, report.MonthPeriod(2026, time.November), reporttest.AsOf(m.loc))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := st.CSV(&got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/stats/2026-11.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(got.Bytes(), []byte("\ufeff"))
	if !ok {
		t.Error("the CSV does not start with a UTF-8 BOM")
	}
	gotLines, wantLines := strings.Split(string(body), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("line %d: got %q, hand-computed %q", i+1, g, w)
		}
	}
	if len(st.Series) != 30 || st.Series[29].ByLevel[3] != 1 || st.Series[0].ByLevel[0] != 1 {
		t.Errorf("series: %d days, 11-30 特别重大 %d, 11-01 一般 %d; want 30, 1, 1", len(st.Series), st.Series[29].ByLevel[3], st.Series[0].ByLevel[0])
	}
}

func TestDailyBulletinHasExactlyTheDaysFacts(t *testing.T) {
	m := newMonth(t)
	// 11-07: report k=2 (一般 公共卫生, 迟报 20 分钟), 张三 late 5 minutes,
	// the escalation raised at 07:00 on 11-08 (inside the night shift),
	// acknowledged after 10 minutes; no 批示, no 空岗, no 查岗.
	d := m.daily(t, 7, m.at(2026, 11, 8, 8, 0))
	md := d.Markdown()
	mustContain(t, "11-07 bulletin", md,
		"# 值班要情（11月07日）",
		"白班 08:30–17:30：带班领导 王五（未签到）；值班员 张三（迟到 5 分钟（08:35））",
		"夜班 17:30–次日08:30",
		"李四（早到 17:15）",
		"**二、突发事件**（1 件，<font color=\"warning\">迟报 1 件</font>）",
		"2026-1107-001 一般 公共卫生 一般公共卫生事件（测试路口）；10:00 张三报；未结；迟报 20 分钟",
		"**三、领导批示**（0 条）",
		"空岗 0 次；查岗 0 次，在岗 0，脱岗 0",
		"E1108-001 11-08 07:00 测试告警：已确认（王五 11-08 07:10）",
		"截至 11-08 08:00",
	)
	mustNotContain(t, "11-07 bulletin", md, "2026-1104-001", "2026-1110-001", "E1107-001", "空岗（")
	if len(d.Reports) != 1 || len(d.Escalations) != 1 || len(d.Instructions) != 0 || len(d.Absences) != 0 || len(d.SpotChecks) != 0 {
		t.Errorf("11-07 facts: %d reports, %d escalations, %d 批示, %d 空岗, %d 查岗; want 1, 1, 0, 0, 0",
			len(d.Reports), len(d.Escalations), len(d.Instructions), len(d.Absences), len(d.SpotChecks))
	}

	// 11-10: report k=3 (重大 社会安全 敏感) with a 批示 relayed at 10:33
	// (feedback came 11-11 10:30, after the bulletin's time); 李四's 空岗.
	d = m.daily(t, 10, m.at(2026, 11, 11, 8, 0))
	md = d.Markdown()
	mustContain(t, "11-10 bulletin", md,
		"2026-1110-001 重大 社会安全 〔敏感〕",
		"2026-1110-001 10:30 王五批示：请核实情况，妥善处置；已传达（传达至 区应急局）",
		"夜班 李四 空岗（17:40 发现）",
		"值班员 李四（空岗）",
		"空岗 1 次",
	)
	if d.Instructions[0].State != report.StateRelayed || d.Instructions[0].Overdue {
		t.Errorf("11-10 批示: %+v; want relayed, not overdue", d.Instructions[0])
	}
	// Read after the day: feedback not yet given then either (the day ends
	// 11-11 08:30), so the state is the same.
	if later := m.daily(t, 10, m.at(2026, 12, 1, 0, 0)); later.Instructions[0].State != report.StateRelayed {
		t.Errorf("11-10 批示 read later: %s; the bulletin shows the end of the day", later.Instructions[0].State)
	}

	// 11-15: the missed 查岗 (脱岗) at 02:00 on 11-16; 11-28: 批示 relayed
	// late (逾期).
	d = m.daily(t, 15, m.at(2026, 11, 16, 8, 0))
	mustContain(t, "11-15 bulletin", d.Markdown(), "夜班 李四 11-16 02:00 查岗（系统随机）：脱岗", "查岗 1 次，在岗 0，脱岗 1")
	d = m.daily(t, 28, m.at(2026, 11, 29, 8, 0))
	if in := d.Instructions[0]; !in.Overdue || in.State != report.StateRelayed || !strings.Contains(in.Label(), "传达超时 5 分钟") {
		t.Errorf("11-28 批示: %+v (%s); want relayed, overdue by 5 minutes", in, in.Label())
	}
}

func TestDailyPendingItemsAtTheEndOfTheDay(t *testing.T) {
	m := newMonth(t)
	// Written after the last duty day of the month (12-01 09:00): pending
	// items of "now" are not in November's bulletins.
	m.clk.Advance(m.at(2026, 12, 1, 9, 0).Sub(m.clk.Now()))
	if _, err := m.duty.AddLogEntry(m.ctx, duty.LogEntry{Date: roster.NewDate(2026, 12, 1), Shift: "白班", Kind: duty.LogTodo,
		Content: "十二月的待办", Author: "zhangsan", Pending: true}); err != nil {
		t.Fatal(err)
	}
	d := m.daily(t, 30, m.at(2026, 12, 1, 8, 0))
	if len(d.Pending) != 0 {
		t.Errorf("11-30 pending: %+v; the item was written after the day", d.Pending)
	}
	d, err := m.b.Daily(m.ctx, roster.NewDate(2026, 12, 1), m.at(2026, 12, 2, 8, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pending) != 1 || d.Pending[0].Content != "十二月的待办" {
		t.Errorf("12-01 pending: %+v; want the open item", d.Pending)
	}
	mustContain(t, "12-01 bulletin", d.Markdown(), "**五、待办事项**（1 项未办结）", "十二月的待办（张三")
}

func TestHolidayBulletin(t *testing.T) {
	m := newMonth(t)
	for _, day := range []int{25, 26} {
		if err := m.store.SetHolidayDays(m.ctx, []roster.HolidayDay{{Date: roster.NewDate(2026, 11, day), Off: true, Name: "测试节"}},
			roster.AuditEntry{Actor: "test", Action: "节假日", Subject: "测试节"}); err != nil {
			t.Fatal(err)
		}
	}
	// 11-26: nothing happened.
	d := m.daily(t, 26, m.at(2026, 11, 27, 8, 0))
	if !d.Holiday || !d.Quiet() {
		t.Errorf("11-26: holiday %v, quiet %v; want both", d.Holiday, d.Quiet())
	}
	md := d.Markdown()
	mustContain(t, "11-26 holiday bulletin", md, "# 节假日每日值班信息专报（11月26日 测试节）", "**值班领导**：王五\n**值班人员**：张三、李四", "**重要事项**\n无重要情况。")
	mustNotContain(t, "11-26 holiday bulletin", md, "值班要情", "突发事件：")
	if strings.Index(md, "值班领导") > strings.Index(md, "重要事项") {
		t.Error("the holiday form must lead with 值班领导 and 值班人员")
	}
	// 11-25: the day's report is an important matter.
	d = m.daily(t, 25, m.at(2026, 11, 26, 8, 0))
	md = d.Markdown()
	mustContain(t, "11-25 holiday bulletin", md, "（11月25日 测试节）", "· 突发事件：2026-1125-001 一般 社会安全")
	mustNotContain(t, "11-25 holiday bulletin", md, "无重要情况")
}

func TestMarkdownSplitsUnderWeComLimit(t *testing.T) {
	d := report.Daily{Date: roster.NewDate(2026, 11, 24), Loc: time.UTC, From: time.Date(2026, 11, 24, 0, 30, 0, 0, time.UTC)}
	d.To, d.At = d.From.Add(24*time.Hour), d.From.Add(24*time.Hour)
	for i := range 300 {
		d.Pending = append(d.Pending, report.PendingFacts{ID: int64(i + 1), Content: strings.Repeat("待办事项内容", 3), Author: "张三", At: d.From})
	}
	whole := d.Markdown()
	parts := d.MarkdownParts(0)
	if len(whole) <= report.WeComMarkdownLimit || len(parts) < 2 {
		t.Fatalf("%d bytes in %d parts; the test needs more than one", len(whole), len(parts))
	}
	var joined strings.Builder
	for i, p := range parts {
		if len(p) > report.WeComMarkdownLimit {
			t.Errorf("part %d: %d bytes, over %d", i+1, len(p), report.WeComMarkdownLimit)
		}
		if i > 0 && !strings.HasPrefix(p, "**值班要情（11月24日）（续）**\n") {
			t.Errorf("part %d does not start with the continuation header: %.40q", i+1, p)
		}
		joined.WriteString(p + "\n")
	}
	for i := range 300 {
		line := "· #" + strconvItoa(i+1) + " "
		if !strings.Contains(joined.String(), line) {
			t.Errorf("pending item %d lost in the split", i+1)
		}
	}
	// One line longer than a message is cut on a character boundary.
	long := strings.Repeat("长", 3000)
	ps := report.SplitMarkdown(long, 0, "续")
	total := 0
	for _, p := range ps {
		if len(p) > report.WeComMarkdownLimit || !utf8Valid(p) {
			t.Errorf("part of %d bytes (valid UTF-8: %v)", len(p), utf8Valid(p))
		}
		total += strings.Count(p, "长")
	}
	if total != 3000 {
		t.Errorf("%d of 3000 characters kept", total)
	}
}

func TestBulletinHTMLAndXLSX(t *testing.T) {
	m := newMonth(t)
	d := m.daily(t, 10, m.at(2026, 11, 11, 8, 0))
	d.Reports[0].Summary = "<script>alert(1)</script>"
	var page bytes.Buffer
	if err := d.HTML(&page); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "HTML", page.String(), `<html lang="zh-CN">`, "<title>值班要情（11月10日）</title>", "2026-1110-001", "重大", "已传达",
		"区应急局", "李四 空岗", "&lt;script&gt;", "@media print")
	mustNotContain(t, "HTML", page.String(), "<script>alert")

	var book bytes.Buffer
	if err := d.XLSX(&book); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "值班要情,值班情况,突发事件,领导批示,在岗检查,待办事项,告警" {
		t.Errorf("sheets %v", got)
	}
	rows, err := f.GetRows("突发事件")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != "2026-1110-001" || rows[1][1] != "重大" || rows[1][3] != "是" {
		t.Errorf("突发事件 sheet: %v", rows)
	}
	if v, _ := f.GetCellValue("值班要情", "B2"); v != "值班要情（11月10日）" {
		t.Errorf("title cell %q", v)
	}
}

func TestStatisticsXLSXHTMLMarkdownAndChart(t *testing.T) {
	m := newMonth(t)
	st, err := m.b.Monthly(m.ctx, report.MonthPeriod(2026, time.November), reporttest.AsOf(m.loc))
	if err != nil {
		t.Fatal(err)
	}
	var book bytes.Buffer
	if err := st.XLSX(&book); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "指标,按级别,按类别,告警结果,通知发送,每日事件" {
		t.Errorf("sheets %s", got)
	}
	figures := map[string]string{}
	rows, _ := f.GetRows("指标")
	for _, r := range rows[1:] {
		figures[r[0]] = r[1]
	}
	for k, v := range map[string]string{"事件总数": "11", "迟报率": "27.3%", "签到准时率": "93.1%", "脱岗": "1", "确认用时P90（分钟）": "15.0"} {
		if figures[k] != v {
			t.Errorf("指标 %s = %q, want %q", k, figures[k], v)
		}
	}
	if typ, _ := f.GetCellType("指标", "B3"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("事件总数 is stored as %v, want a number", typ)
	}
	if v, _ := f.GetCellValue("按级别", "B5"); v != "1" {
		t.Errorf("按级别 特别重大 = %q, want 1", v)
	}

	var page bytes.Buffer
	if err := st.HTML(&page); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "statistics HTML", page.String(), "值班统计 2026年11月", "<td>签到准时率</td><td class=\"n\">93.1%</td>")
	mustContain(t, "statistics markdown", st.Markdown(), "# 值班统计 2026年11月", "按级别：一般 5，较大 3，重大 2，特别重大 1",
		"迟报 3 件，迟报率 27.3%", "中位数 5.0 分钟，P90 15.0 分钟")

	for _, tc := range []struct {
		name  string
		fonts report.ChartFonts
	}{
		{"found fonts", report.FindChartFonts()},
		{"no CJK font", report.FindChartFonts(filepath.Join(t.TempDir(), "none.ttf"))},
	} {
		if tc.name == "no CJK font" && tc.fonts.CJK {
			t.Errorf("a missing file gave a CJK font")
		}
		t.Logf("%s: CJK %v (%s)", tc.name, tc.fonts.CJK, tc.fonts.Path)
		var img bytes.Buffer
		if err := st.Chart(&img, tc.fonts); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img.Bytes()))
		if err != nil || cfg.Width < 600 {
			t.Errorf("%s: PNG %dx%d, %v", tc.name, cfg.Width, cfg.Height, err)
		}
	}
	year, err := m.b.Monthly(m.ctx, report.YearPeriod(2026), reporttest.AsOf(m.loc))
	if err != nil {
		t.Fatal(err)
	}
	if year.Reports != 13 || len(year.Series) != 12 || year.Series[10].ByLevel[0] != 5 || year.Series[9].ByLevel[0] != 1 {
		t.Errorf("2026: %d reports, series %v; want 13 (10-31 and 12-01 too), November 一般 5", year.Reports, year.Series)
	}
}

func TestParsePeriod(t *testing.T) {
	today := roster.NewDate(2026, 1, 15)
	for _, tc := range []struct {
		in, want string
	}{
		{"本月", "2026年1月"}, {"", "2026年1月"}, {"上月", "2025年12月"}, {"2026-11", "2026年11月"}, {"2026年11月", "2026年11月"},
		{"2026/3", "2026年3月"}, {"11月", "2026年11月"}, {"2026", "2026年"}, {"2026年", "2026年"}, {"去年", "2025年"}, {"last month", "2025年12月"},
	} {
		p, err := report.ParsePeriod(tc.in, today)
		if err != nil || p.Label() != tc.want {
			t.Errorf("ParsePeriod(%q) = %s, %v; want %s", tc.in, p.Label(), err, tc.want)
		}
	}
	p, _ := report.ParsePeriod("2026-02", today)
	if p.From != roster.NewDate(2026, 2, 1) || p.To != roster.NewDate(2026, 2, 28) {
		t.Errorf("2026-02 = %s..%s", p.From, p.To)
	}
	for _, bad := range []string{"2026-13", "明年三月", "11-24", "abc"} {
		if _, err := report.ParsePeriod(bad, today); err == nil || !strings.Contains(err.Error(), "本月、上月、2026-11") {
			t.Errorf("ParsePeriod(%q): %v; want an error listing the forms", bad, err)
		}
	}
}

func BenchmarkMonthlyStatistics(b *testing.B) {
	m := newMonth(b)
	p, asOf := report.MonthPeriod(2026, time.November), reporttest.AsOf(m.loc)
	for b.Loop() {
		if _, err := m.b.Monthly(m.ctx, p, asOf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDailyBulletin(b *testing.B) {
	m := newMonth(b)
	d, asOf := roster.NewDate(2026, 11, 10), m.at(2026, 11, 11, 8, 0)
	for b.Loop() {
		daily, err := m.b.Daily(m.ctx, d, asOf)
		if err != nil {
			b.Fatal(err)
		}
		_ = daily.MarkdownParts(0)
	}
}

func strconvItoa(n int) string { return strconv.Itoa(n) }

func utf8Valid(s string) bool { return utf8.ValidString(s) }
