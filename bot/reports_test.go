package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// reportsFiled lists every stored report, oldest first.
func (e *dutyEnv) reportsFiled() []incident.Report {
	e.t.Helper()
	rs, err := e.incidents.Reports(e.ctx, time.Time{}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// lastReport is the report filed last.
func (e *dutyEnv) lastReport() incident.Report {
	e.t.Helper()
	rs := e.reportsFiled()
	if len(rs) == 0 {
		e.t.Fatal("no report was filed")
	}
	return rs[len(rs)-1]
}

// escalationsAbout lists the escalations of kind and subject, open or not.
func (e *dutyEnv) escalationsAbout(kind, subject string) []push.Escalation {
	e.t.Helper()
	rows, err := e.store.Reader().QueryContext(e.ctx, `SELECT id FROM escalations WHERE kind = ? AND subject = ?`, kind, subject)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []push.Escalation
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		esc, err := e.esc.Escalation(e.ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, esc)
	}
	return out
}

// findDeadline reads one duty deadline; ok is false when there is none.
func (e *dutyEnv) findDeadline(key string) (duty.Deadline, bool) {
	e.t.Helper()
	d, err := e.duty.Deadline(e.ctx, key)
	if err != nil {
		return duty.Deadline{}, false
	}
	return d, true
}

// followUpDue hands report id's n-th follow-up deadline (its reminder when
// remind) to the handler, as the scheduler does.
func (e *dutyEnv) followUpDue(id int64, n int, remind bool) {
	e.t.Helper()
	rk, dk := followUpKeys(id, n)
	key := dk
	if remind {
		key = rk
	}
	e.fireRef(key, duty.KindReportFollowUp, id)
}

// officeTime is hh:mm on dutyDay (plus days) as a time.
func (e *dutyEnv) officeTime(days int, hhmm string) time.Time {
	e.t.Helper()
	c, err := roster.ParseClock(hhmm)
	if err != nil {
		e.t.Fatal(err)
	}
	return dutyDay.AddDays(days).At(c, e.loc)
}

func TestReportOneLine(t *testing.T) {
	for _, tc := range []struct {
		name, line    string
		level         incident.Level
		category      incident.Category
		sensitive     bool
		known         string // office time on dutyDay
		late          time.Duration
		kind          string
		summary       string
		reply         []string
		title         string
		place, source string
	}{
		{name: "on time", line: "报告 较大 事故灾难 获知 08:40 地点 XX路口 两车相撞 2人受伤 来源 110转警",
			level: incident.LevelLarge, category: incident.CategoryAccident, known: "08:40", kind: push.KindReport,
			summary: "两车相撞 2人受伤", place: "XX路口", source: "110转警", title: "较大 事故灾难：两车相撞 2人受伤",
			reply: []string{"已报送快报 2026-1202-001（较大 事故灾难）", "按时报送：获知 08:40，报送时限 09:40", "已送带班领导 王五",
				"请于 11:00 前续报：续报 2026-1202-001 <内容>", "终报 2026-1202-001 <内容>"}},
		{name: "late", line: "报告 事故灾难 较大 获知07:30 XX路口两车相撞",
			level: incident.LevelLarge, category: incident.CategoryAccident, known: "07:30", late: 30 * time.Minute, kind: push.KindReport,
			summary: "XX路口两车相撞", title: "较大 事故灾难：XX路口两车相撞",
			reply: []string{"迟报 30 分钟：获知 07:30，报送时限 08:30（1 小时内），报送 09:00"}},
		{name: "no known time is now", line: "报告 一般 自然灾害 XX路段积水",
			level: incident.LevelGeneral, category: incident.CategoryNatural, known: "09:00", kind: push.KindReport,
			summary: "XX路段积水", title: "一般 自然灾害：XX路段积水", reply: []string{"按时报送：获知 09:00，报送时限 11:00"}},
		{name: "major", line: "报告 重大 事故灾难 获知 08:20 厂房爆炸",
			level: incident.LevelMajor, category: incident.CategoryAccident, known: "08:20", late: 10 * time.Minute, kind: push.KindReportMajor,
			summary: "厂房爆炸", title: "重大 事故灾难：厂房爆炸", reply: []string{"迟报 10 分钟", "30 分钟内"}},
		{name: "sensitive general", line: "报告 一般 社会安全 群体聚集 敏感",
			level: incident.LevelGeneral, category: incident.CategorySecurity, sensitive: true, known: "09:00", kind: push.KindReportMajor,
			summary: "群体聚集", title: "一般 社会安全 敏感：群体聚集", reply: []string{"（一般 社会安全，敏感）", "按时报送"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			e.at(0, "09:00")
			e.sent()
			reply := e.say("zhangsan", tc.line)
			mustContainAll(t, "reply", reply, tc.reply...)
			if tc.late == 0 && strings.Contains(reply, "迟报") {
				t.Errorf("reply = %q; an on-time report says 迟报", reply)
			}
			r := e.lastReport()
			now := e.clock.Now()
			known := e.officeTime(0, tc.known)
			if r.Number != "2026-1202-001" || r.Level != tc.level || r.Category != tc.category || r.Sensitive != tc.sensitive ||
				r.Summary != tc.summary || r.Place != tc.place || r.Source != tc.source || !r.KnownAt.Equal(known) ||
				!r.DueAt.Equal(known.Add(incident.DefaultSettings().Deadline[tc.level])) || r.LateBy != tc.late ||
				r.Date != dutyDay || r.Shift != "白班" || r.FiledBy != "zhangsan" || !r.FiledAt.Equal(now) ||
				!r.NextFollowUpAt.Equal(now.Add(2*time.Hour)) || r.Status != incident.ReportOpen {
				t.Errorf("stored report = %+v", r)
			}
			escs := e.escalationsAbout(tc.kind, "report/"+r.Number)
			if len(escs) != 1 || escs[0].Title != tc.title || r.EscalationID != escs[0].ID {
				t.Errorf("escalations %s = %+v, report's %q; want one titled %q", tc.kind, escs, r.EscalationID, tc.title)
			}
			cards := cardsTo(t, e.sent(), "wangwu", "report/")
			if len(cards) != 1 {
				t.Fatalf("wangwu got %d report cards, want 1", len(cards))
			}
			c := cards[0]
			if c.MainTitle.Title != tc.title || len(c.ButtonList) != 2 || c.ButtonList[0].Key != fmt.Sprintf("report:%d:instruct", r.ID) ||
				c.ButtonList[1].Key != fmt.Sprintf("report:%d:read", r.ID) || !strings.Contains(c.MainTitle.Desc, r.Number) {
				t.Errorf("card = %+v", c)
			}
			for key, at := range map[string]time.Time{
				fmt.Sprintf("report_followup/#%d/1/remind", r.ID): now.Add(105 * time.Minute),
				fmt.Sprintf("report_followup/#%d/1", r.ID):        now.Add(2 * time.Hour),
			} {
				if d, ok := e.findDeadline(key); !ok || d.Status != duty.DeadlineOpen || !d.DueAt.Equal(at) || d.Ref != r.ID {
					t.Errorf("deadline %s = %+v, %v; want open at %s", key, d, ok, at.In(e.loc))
				}
			}
		})
	}
}

// TestReportNoLeaderOnDuty: with nobody leading the shift, every leader
// gets the card.
func TestReportNoLeaderOnDuty(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.setRoster(dutyDay, "白班", "", "zhangsan")
	if err := e.store.GrantRole(e.ctx, "zhaoliu", roster.RoleLeader); err != nil {
		t.Fatal(err)
	}
	e.at(0, "09:00")
	e.sent()
	mustContainAll(t, "reply", e.say("zhangsan", "报告 一般 其他 井盖缺失"), "已送全体领导 王五、赵六")
	msgs := e.sent()
	if len(cardsTo(t, msgs, "wangwu", "report/")) != 1 || len(cardsTo(t, msgs, "zhaoliu", "report/")) != 1 {
		t.Errorf("cards: wangwu %d, zhaoliu %d; want one each", len(cardsTo(t, msgs, "wangwu", "report/")), len(cardsTo(t, msgs, "zhaoliu", "report/")))
	}
}

func TestReportBadInput(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	for _, tc := range []struct {
		user, line string
		want       []string
	}{
		{"zhangsan", "报告 超大级 事故灾难 两车相撞", []string{"级别「超大」不对", "一般、较大、重大、特别重大"}},
		{"zhangsan", "报告 较大 交通事故 两车相撞", []string{"类别「交通事故」不对", "自然灾害、事故灾难、公共卫生、社会安全、其他"}},
		{"zhangsan", "报告 较大 事故灾难 获知 25:00 两车相撞", []string{"获知时间「25:00」看不懂", "14:05"}},
		{"zhangsan", "报告 较大 事故灾难 获知 12-05 10:00 两车相撞", []string{"12-05 10:00 还没到"}},
		{"zhangsan", "报告 较大 事故灾难 发生 08:50 获知 08:40 两车相撞", []string{"发生时间不能晚于获知时间"}},
		{"zhangsan", "续报 2026-1202-999 伤员已送医", []string{"没有编号为「2026-1202-999」的快报"}},
		{"zhangsan", "终报 2026-1202-001", []string{"格式：终报 <编号> <内容>"}},
		{"zhangsan", "查询 报告", []string{"「查询 报告」仅限带班领导、管理员使用"}},
	} {
		mustContainAll(t, tc.line, e.say(tc.user, tc.line), tc.want...)
	}
	if rs := e.reportsFiled(); len(rs) != 0 {
		t.Errorf("bad input filed %d reports", len(rs))
	}
	if _, err := e.incidents.ReportForm(e.ctx, "zhangsan"); err == nil {
		t.Error("bad input opened a form")
	}
	if escs := e.openEscalations(); len(escs) != 0 {
		t.Errorf("bad input raised %+v", escs)
	}
}

func TestParseReportLine(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(1, "00:30") // just after midnight: 23:50 is last night
	now := e.clock.Now()
	for _, tc := range []struct {
		line     string
		want     incident.Report
		answered []string
	}{
		{"较大 事故灾难 两车相撞", incident.Report{Level: incident.LevelLarge, Category: incident.CategoryAccident, Summary: "两车相撞"},
			[]string{stepLevel, stepCategory, stepSummary}},
		{"Ⅲ级 事故灾难 敏感 获知23:50 发生:23:40 地点:XX路口 伤亡不明 报告人 李警官 两车相撞",
			incident.Report{Level: incident.LevelLarge, Category: incident.CategoryAccident, Sensitive: true,
				KnownAt: e.officeTime(0, "23:50"), OccurredAt: e.officeTime(0, "23:40"), Place: "XX路口", Casualties: "不明",
				Reporter: "李警官", Summary: "两车相撞"},
			[]string{stepLevel, stepCategory, stepSensitive, stepKnown, stepOccurred, stepPlace, stepCasualties, stepReporter, stepSummary}},
		{"一般 自然灾害 获知 昨天 22:05 发生火灾", incident.Report{Level: incident.LevelGeneral, Category: incident.CategoryNatural,
			KnownAt: e.officeTime(0, "22:05"), Summary: "发生火灾"}, []string{stepLevel, stepCategory, stepKnown, stepSummary}},
		{"较大 路口 发生 两车相撞", incident.Report{Level: incident.LevelLarge, Summary: "路口 发生 两车相撞"}, []string{stepLevel, stepSummary}},
		{"", incident.Report{}, nil},
	} {
		got, err := e.svc.parseReportLine(strings.Fields(tc.line), now)
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		d := got.draft
		if d.Level != tc.want.Level || d.Category != tc.want.Category || d.Sensitive != tc.want.Sensitive || d.Summary != tc.want.Summary ||
			!d.KnownAt.Equal(tc.want.KnownAt) || !d.OccurredAt.Equal(tc.want.OccurredAt) || d.Place != tc.want.Place ||
			d.Casualties != tc.want.Casualties || d.Reporter != tc.want.Reporter || d.Source != tc.want.Source {
			t.Errorf("%q = %+v\nwant %+v", tc.line, d, tc.want)
		}
		if strings.Join(got.answered, ",") != strings.Join(tc.answered, ",") {
			t.Errorf("%q answered %v, want %v", tc.line, got.answered, tc.answered)
		}
	}
}

func TestReportForm(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	e.sent()
	steps := []struct {
		say  string
		want []string
	}{
		{"报告", []string{"开始填写快报", "（1/10）请回复事件类别：自然灾害、事故灾难"}},
		{"交通", []string{"类别「交通」不对，可选：自然灾害、事故灾难、公共卫生、社会安全、其他", "（1/10）"}},
		{"事故灾难", []string{"（2/10）请回复事件级别"}},
		{"很大", []string{"级别「很大」不对，可选：一般、较大、重大、特别重大", "（2/10）"}},
		{"较大", []string{"（3/10）是否敏感", "回复「跳过」略过此项"}},
		{"跳过", []string{"（4/10）事件何时发生"}},
		{"8点50", []string{"（5/10）值班室何时获知"}},
		{"08:40", []string{"发生时间不能晚于获知时间", "（5/10）"}},
		{"08:55", []string{"（6/10）发生地点"}},
		{"XX路口", []string{"（7/10）发生了什么"}},
		{"跳过", []string{"「内容」必须填写，不能跳过", "（7/10）"}},
		// A command in the middle runs, and the form keeps waiting.
		{"我是谁", []string{"姓名：张三", "您的快报还在填写中", "（7/10）发生了什么"}},
		{"两车相撞 一人被困", []string{"（8/10）伤亡情况"}},
		{"2人受伤", []string{"（9/10）信息来源"}},
		{"110转警", []string{"（10/10）报告人是谁"}},
		{"跳过", []string{"已报送快报 2026-1202-001（较大 事故灾难）", "按时报送：获知 08:55，报送时限 09:55", "已送带班领导 王五"}},
	}
	for i, st := range steps {
		if i == 9 {
			// The draft is in the store, not in memory.
			f, err := e.incidents.ReportForm(e.ctx, "zhangsan")
			if err != nil || f.Step != stepPlace || f.Draft.Category != incident.CategoryAccident || f.Draft.Level != incident.LevelLarge {
				t.Errorf("stored form before the place = %+v, %v", f, err)
			}
		}
		mustContainAll(t, fmt.Sprintf("step %d %q", i, st.say), e.say("zhangsan", st.say), st.want...)
	}
	r := e.lastReport()
	if r.Level != incident.LevelLarge || r.Category != incident.CategoryAccident || r.Sensitive || r.Place != "XX路口" ||
		r.Summary != "两车相撞 一人被困" || r.Casualties != "2人受伤" || r.Source != "110转警" || r.Reporter != "" ||
		!r.OccurredAt.Equal(e.officeTime(0, "08:50")) || !r.KnownAt.Equal(e.officeTime(0, "08:55")) || r.Late() {
		t.Errorf("filed from the form: %+v", r)
	}
	if _, err := e.incidents.ReportForm(e.ctx, "zhangsan"); err == nil {
		t.Error("the form is still open after filing")
	}
	if len(cardsTo(t, e.sent(), "wangwu", "report/")) != 1 {
		t.Error("the report from the form did not reach wangwu")
	}
	if escs := e.escalationsAbout(push.KindReport, "report/"+r.Number); len(escs) != 1 {
		t.Errorf("escalations = %+v, want one", escs)
	}
	// The next text is a command again.
	mustContainAll(t, "after the form", e.say("zhangsan", "我是谁"), "姓名：张三")
}

func TestReportFormPrefilledAndCancelled(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	mustContainAll(t, "level only", e.say("zhangsan", "报告 较大 敏感 获知 08:30 两车相撞"), "快报还缺类别", "（1/10）请回复事件类别")
	// The line gave the level, 敏感, the time known and the content: the
	// form asks only for the rest.
	for _, st := range []struct{ say, want string }{
		{"事故灾难", "（4/10）事件何时发生"},
		{"跳过", "（6/10）发生地点"},
	} {
		mustContainAll(t, st.say, e.say("zhangsan", st.say), st.want)
	}
	mustContainAll(t, "cancel", e.say("zhangsan", "取消"), "已取消这份快报，没有报送任何内容")
	if rs := e.reportsFiled(); len(rs) != 0 {
		t.Errorf("a cancelled form filed %+v", rs)
	}
	if _, err := e.incidents.ReportForm(e.ctx, "zhangsan"); err == nil {
		t.Error("the cancelled form is still stored")
	}
	mustContainAll(t, "取消 with no form", e.say("zhangsan", "我是谁"), "姓名：张三")

	// 报告 during a form starts afresh; a complete line files at once.
	mustContainAll(t, "new form", e.say("zhangsan", "报告 较大 两车相撞"), "快报还缺类别")
	mustContainAll(t, "报告 again", e.say("zhangsan", "报告 一般 事故灾难 路灯倒伏"), "之前未填完的报告已作废", "已报送快报 2026-1202-001")
	if _, err := e.incidents.ReportForm(e.ctx, "zhangsan"); err == nil {
		t.Error("the replaced form is still stored")
	}
	if r := e.lastReport(); r.Summary != "路灯倒伏" || r.Level != incident.LevelGeneral {
		t.Errorf("filed %+v", r)
	}

	// A form left alone for more than two hours is dropped at the next text.
	mustContainAll(t, "old form", e.say("zhangsan", "报告"), "（1/10）")
	e.at(0, "11:30")
	mustContainAll(t, "stale", e.say("zhangsan", "我是谁"), "超过 2 小时未完成，已作废", "姓名：张三")
	if _, err := e.incidents.ReportForm(e.ctx, "zhangsan"); err == nil {
		t.Error("the stale form is still stored")
	}
}

func TestReportFollowUpsAndFinal(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	e.say("zhangsan", "报告 较大 事故灾难 两车相撞")
	r := e.lastReport()
	e.sent()

	e.at(0, "10:50")
	mustContainAll(t, "续报", e.say("zhangsan", "续报 "+r.Number+" 伤员已送医"),
		"已续报快报 2026-1202-001（第 1 次续报，按时）", "已告知 王五", "下次续报时限 12:50")
	tell := textsTo(e.sent(), "wangwu")
	mustContainAll(t, "wangwu told", tell, "【续报】快报 2026-1202-001", "第 1 次续报", "张三", "伤员已送医")
	r1, _ := followUpKeys(r.ID, 1)
	r2, d2 := followUpKeys(r.ID, 2)
	if d, ok := e.findDeadline(r1); !ok || d.Status != duty.DeadlineVoid {
		t.Errorf("first reminder after the 续报 = %+v, %v; want void", d, ok)
	}
	if d, ok := e.findDeadline(d2); !ok || d.Status != duty.DeadlineOpen || !d.DueAt.Equal(e.officeTime(0, "12:50")) {
		t.Errorf("second follow-up deadline = %+v, %v", d, ok)
	}

	// 孙八 (not on duty, an officer) may follow up too; 10 minutes late.
	e.at(0, "13:00")
	mustContainAll(t, "late 续报", e.say("sunba", "update 1202-001 道路恢复通行"), "第 2 次续报，逾期 10 分钟", "下次续报时限 15:00")
	mustContainAll(t, "终报", e.say("zhangsan", "终报 "+r.Number+" 处置完毕"), "已终报快报 2026-1202-001", "不再需要续报")
	mustContainAll(t, "wangwu told of the 终报", textsTo(e.sent(), "wangwu"), "【终报】快报 2026-1202-001", "处置完毕")
	_, d3 := followUpKeys(r.ID, 3)
	if d, ok := e.findDeadline(d3); !ok || d.Status != duty.DeadlineVoid {
		t.Errorf("third follow-up deadline after the 终报 = %+v, %v; want void", d, ok)
	}
	if d, ok := e.findDeadline(r2); !ok || d.Status != duty.DeadlineVoid {
		t.Errorf("second reminder = %+v, %v; want void", d, ok)
	}
	fs, err := e.incidents.FollowUps(e.ctx, r.ID)
	if err != nil || len(fs) != 3 || fs[0].LateBy != 0 || fs[1].LateBy != 10*time.Minute || fs[1].By != "sunba" ||
		fs[2].Kind != incident.FollowUpFinal {
		t.Fatalf("follow-ups = %+v, %v", fs, err)
	}

	for _, line := range []string{"续报 " + r.Number + " 又有新情况", "终报 " + r.Number + " 再次终报"} {
		mustContainAll(t, line, e.say("zhangsan", line), "已终报，不能再")
	}
	if after, _ := e.incidents.FollowUps(e.ctx, r.ID); len(after) != 3 {
		t.Errorf("follow-ups on a closed report stored: %d, want 3", len(after))
	}
	if got := e.sent(); len(got) != 0 {
		t.Errorf("refused follow-ups sent %+v", got)
	}
}

func TestReportFollowUpDeadlines(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	// 李四 (night shift) files during the day shift: 张三 is the officer on
	// duty.
	e.say("lisi", "报告 一般 自然灾害 XX路段积水")
	r := e.lastReport()
	e.sent()

	e.at(0, "10:45")
	e.followUpDue(r.ID, 1, true)
	msgs := e.sent()
	for _, u := range []string{"lisi", "zhangsan"} {
		mustContainAll(t, "reminder to "+u, textsTo(msgs, u), "【续报提醒】快报 2026-1202-001", "11:00 前第 1 次续报", "续报 2026-1202-001 <内容>")
	}
	if len(e.escalationsAbout(push.KindReport, "followup/"+r.Number+"/1")) != 0 {
		t.Error("the reminder raised an escalation")
	}

	e.at(0, "11:00")
	e.followUpDue(r.ID, 1, false)
	e.followUpDue(r.ID, 1, false) // a re-run after a crash
	escs := e.escalationsAbout(push.KindReport, "followup/"+r.Number+"/1")
	if len(escs) != 1 || escs[0].Title != "续报逾期："+r.Number {
		t.Fatalf("overdue escalations = %+v, want one", escs)
	}
	msgs = e.sent()
	for _, u := range []string{"lisi", "zhangsan"} {
		if got := strings.Count(textsTo(msgs, u), "【续报逾期】"); got != 1 {
			t.Errorf("%s told of the overdue 续报 %d times, want once", u, got)
		}
	}

	// The 续报 closes the overdue alert; its deadline firing late does nothing.
	e.at(0, "11:10")
	mustContainAll(t, "late 续报", e.say("lisi", "续报 "+r.Number+" 积水已排除一半"), "逾期 10 分钟")
	if esc, err := e.esc.Escalation(e.ctx, escs[0].ID); err != nil || esc.Status == push.StatusOpen {
		t.Errorf("overdue alert after the 续报 = %+v, %v; want it closed", esc, err)
	}
	e.sent()
	e.followUpDue(r.ID, 1, false)
	e.followUpDue(r.ID, 1, true)
	if got := e.sent(); len(got) != 0 {
		t.Errorf("a follow-up deadline already met sent %+v", got)
	}
	e.say("lisi", "终报 "+r.Number+" 积水已排除")
	e.sent()
	e.at(0, "13:10")
	e.followUpDue(r.ID, 2, false)
	if got := e.sent(); len(got) != 0 || len(e.escalationsAbout(push.KindReport, "followup/"+r.Number+"/2")) != 0 {
		t.Errorf("a closed report's follow-up deadline acted: %+v", got)
	}
}

func TestReportCard(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	e.say("zhangsan", "报告 较大 事故灾难 两车相撞")
	r := e.lastReport()
	instruct := fmt.Sprintf("report:%d:instruct", r.ID)
	mustContainAll(t, "officer taps 批示", e.click("zhangsan", instruct), "只有领导可以")
	if got := e.click("wangwu", instruct); strings.Contains(got, "只有领导") || strings.Contains(got, "无效") {
		t.Errorf("leader's 批示 tap = %q", got)
	}
	mustContainAll(t, "bad key", e.click("wangwu", "report:x:instruct"), "这张快报卡片无效")
	mustContainAll(t, "no report", e.click("wangwu", "report:99:read"), "快报 #99 不存在")
	mustContainAll(t, "已阅", e.click("wangwu", fmt.Sprintf("report:%d:read", r.ID)), "已阅快报 2026-1202-001", "不再继续通知")
	esc, err := e.esc.Escalation(e.ctx, r.EscalationID)
	if err != nil || esc.Status != push.StatusAcked || esc.AckedBy != "wangwu" {
		t.Errorf("report alert after 已阅 = %+v, %v", esc, err)
	}
	mustContainAll(t, "已阅 again", e.click("wangwu", fmt.Sprintf("report:%d:read", r.ID)), "此前已处理")
}

func TestReportSearch(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	e.say("zhangsan", "报告 较大 事故灾难 获知 07:30 地点 XX路口 两车相撞") // 001, late 30 min
	e.at(0, "10:00")
	e.say("zhangsan", "报告 一般 自然灾害 敏感 XX路段积水") // 002
	e.say("zhangsan", "终报 2026-1202-002 积水已排除")
	e.at(1, "09:00")
	e.say("sunba", "报告 重大 公共卫生 食物中毒 20人就医") // 2026-1203-001
	first, err := e.incidents.ReportByNumber(e.ctx, "2026-1202-001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.incidents.CreateInstruction(e.ctx, incident.Instruction{ReportID: first.ID, Leader: "wangwu", Content: "立即核实伤亡",
		Officer: "zhangsan", IssuedAt: e.officeTime(0, "09:10"), RelayDue: e.officeTime(0, "09:15"), FeedbackDue: e.officeTime(3, "17:30")}); err != nil {
		t.Fatal(err)
	}
	e.say("zhangsan", "续报 2026-1202-001 伤员已送医")

	for _, tc := range []struct {
		query      string
		want, not  []string
		exactCount string
	}{
		{"查询 报告", []string{"共 3 条", "2026-1203-001 12-03 09:00 重大 公共卫生 未结 食物中毒", "2026-1202-002 12-02 10:00 一般 自然灾害 敏感 已终报",
			"2026-1202-001 12-02 09:00 较大 事故灾难 未结 迟报30分钟 两车相撞"}, nil, ""},
		{"查询 报告 较大", []string{"共 1 条", "2026-1202-001"}, []string{"2026-1202-002", "2026-1203-001"}, ""},
		{"search 积水", []string{"共 1 条", "2026-1202-002"}, []string{"2026-1202-001 "}, ""},
		{"查询 报告 迟报", []string{"共 1 条", "2026-1202-001"}, []string{"2026-1203-001"}, ""},
		{"查询 报告 12-03", []string{"2026-12-03", "共 1 条", "2026-1203-001"}, []string{"2026-1202-"}, ""},
		{"查询 报告 12-01 至 12-02 未结", []string{"共 1 条", "2026-1202-001"}, nil, ""},
		{"查询 报告 敏感 一般 本月", []string{"共 1 条", "2026-1202-002"}, nil, ""},
		{"查询 报告 XX路口 事故灾难", []string{"共 1 条", "2026-1202-001"}, nil, ""},
		{"查询 报告 地震", []string{"没有符合条件的快报"}, nil, ""},
		{"查询 报告 2026-1202-001", []string{"快报 2026-1202-001（较大 事故灾难）", "未结", "地点：XX路口", "迟报 30 分钟",
			"续报/终报 1 条", "续报1 12-03 09:00 张三", "伤员已送医", "批示 1 条", "王五 12-02 09:10：立即核实伤亡", "传达：未传达", "反馈：待反馈"}, nil, ""},
		{"查询 报告 2026-1202-002", []string{"已于 12-02 10:00 终报", "终报 12-02 10:00 张三", "积水已排除", "批示：暂无"}, nil, ""},
		{"查询 报告 2026-1299-001", []string{"没有编号为「2026-1299-001」的快报"}, nil, ""},
	} {
		got := e.say("wangwu", tc.query)
		mustContainAll(t, tc.query, got, tc.want...)
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("%s = %q\nwant no %q", tc.query, got, n)
			}
		}
	}

	// Many reports: the listing stays within WeCom's limit and says how
	// many it left out.
	for i := range 40 {
		e.say("sunba", fmt.Sprintf("报告 一般 其他 第%d起井盖缺失事件需要尽快处理", i+1))
	}
	got := e.say("zhaoliu", "查询 报告 井盖")
	if len(got) > 2048 {
		t.Errorf("listing is %d bytes, over 2,048", len(got))
	}
	mustContainAll(t, "long listing", got, "共 40 条", "条未列出，请加条件缩小范围", "第40起")
}
