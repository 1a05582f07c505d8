package bot

import (
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// bulletinFacts records on dutyDay (12-02): 张三 checked in late for 白班,
// a 较大 report filed late with a 批示 relayed in time, 李四's 空岗 on
// 夜班; and a report on the day after, which no 12-02 bulletin may show.
func bulletinFacts(e *dutyEnv) (day, other incident.Report) {
	e.t.Helper()
	at := func(days int, hhmm string) time.Time {
		c, _ := roster.ParseClock(hhmm)
		return dutyDay.AddDays(days).At(c, e.loc)
	}
	if _, _, err := e.duty.AddCheckin(e.ctx, duty.Checkin{Date: dutyDay, Shift: "白班", UserID: "zhangsan", Role: roster.RoleOfficer,
		At: at(0, "08:36"), Status: duty.CheckinLate, MinutesLate: 6, Via: duty.ViaChat}); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.duty.AddAbsence(e.ctx, duty.Absence{Kind: duty.AbsenceMissedCheckin, Date: dutyDay, Shift: "夜班", UserID: "lisi",
		DetectedAt: at(0, "17:40")}); err != nil {
		e.t.Fatal(err)
	}
	day, err := e.incidents.CreateReport(e.ctx, incident.Report{Category: incident.CategoryAccident, Level: incident.LevelLarge,
		KnownAt: at(0, "09:00"), Place: "XX路口", Summary: "两车相撞 2人受伤", FiledBy: "zhangsan", FiledAt: at(0, "10:30"),
		Date: dutyDay, Shift: "白班", DueAt: at(0, "10:00"), LateBy: 30 * time.Minute})
	if err != nil {
		e.t.Fatal(err)
	}
	in, err := e.incidents.CreateInstruction(e.ctx, incident.Instruction{ReportID: day.ID, Leader: "wangwu", Content: "立即核实伤情",
		IssuedAt: at(0, "10:40"), Officer: "zhangsan", RelayDue: at(0, "10:45"), FeedbackDue: at(5, "17:30")})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.incidents.RecordRelay(e.ctx, in.ID, "交警大队", at(0, "10:42")); err != nil {
		e.t.Fatal(err)
	}
	other, err = e.incidents.CreateReport(e.ctx, incident.Report{Category: incident.CategoryNatural, Level: incident.LevelGeneral,
		KnownAt: at(1, "09:00"), Summary: "次日的事件", FiledBy: "sunba", FiledAt: at(1, "09:30"), Date: dutyDay.AddDays(1), Shift: "白班",
		DueAt: at(1, "11:00")})
	if err != nil {
		e.t.Fatal(err)
	}
	return day, other
}

func TestBulletinPlanned(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	if err := e.sched.PlanNow(e.ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range e.planned() {
		if d.Kind == duty.KindBulletin {
			got[d.Key] = d.DueAt.In(e.loc).Format("2006-01-02 15:04")
		}
	}
	// 07:50 on 12-02: the bulletin of 12-01 is still ahead (08:00), those of
	// 12-02 and 12-03 too; that of 11-30 (due 12-01 08:00) is past.
	want := map[string]string{
		"bulletin/2026-12-01": "2026-12-02 08:00",
		"bulletin/2026-12-02": "2026-12-03 08:00",
		"bulletin/2026-12-03": "2026-12-04 08:00",
	}
	if len(got) != len(want) {
		t.Errorf("planned bulletins %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s at %q, want %s", k, got[k], v)
		}
	}

	e.svc.incidentSet.BulletinOff = true
	if ds := e.svc.planBulletins(e.clock.Now()); len(ds) != 0 {
		t.Errorf("bulletins off: planned %v", ds)
	}
	e.svc.incidentSet.BulletinOff, e.svc.incidentSet.BulletinAt = false, 7*60+30
	if ds := e.svc.planBulletins(e.clock.Now()); len(ds) != 2 || ds[0].Key != "bulletin/2026-12-02" {
		t.Errorf("at 07:30: planned %v, want the bulletins of 12-02 and 12-03 (12-01's was due at 07:30, past)", ds)
	}
}

func TestBulletinSentToLeadersAndAdmins(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	day, other := bulletinFacts(e)
	e.sent()
	e.at(1, "08:00")
	d := duty.Deadline{Key: "bulletin/" + dutyDay.String(), Kind: duty.KindBulletin, Date: dutyDay, DueAt: e.clock.Now()}
	if err := e.svc.HandleDeadline(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	msgs := e.sent()
	for _, user := range []string{"wangwu", "zhaoliu"} {
		got := sentTo(msgs, user)
		if len(got) != 1 || got[0].Kind != KindMarkdown || got[0].Ref != "bulletin/2026-12-02" {
			t.Fatalf("%s got %+v, want one markdown bulletin", user, got)
		}
		if len(got[0].Content) > 4096 {
			t.Errorf("bulletin of %d bytes", len(got[0].Content))
		}
		mustContainAll(t, "bulletin to "+user, got[0].Content,
			"# 值班要情（12月02日）",
			"白班 08:30–17:30：带班领导 王五（未签到）；值班员 张三（迟到 6 分钟（08:36））",
			day.Number+" 较大 事故灾难 两车相撞 2人受伤（XX路口）；10:30 张三报；未结；迟报 30 分钟",
			day.Number+" 10:40 王五批示：立即核实伤情；已传达（传达至 交警大队）",
			"夜班 李四 空岗（17:40 发现）",
		)
		if strings.Contains(got[0].Content, other.Number) || strings.Contains(got[0].Content, "次日的事件") {
			t.Errorf("the 12-02 bulletin shows the next day's report:\n%s", got[0].Content)
		}
	}
	for _, user := range []string{"zhangsan", "lisi", "sunba"} {
		if got := sentTo(msgs, user); len(got) != 0 {
			t.Errorf("officer %s got the bulletin: %+v", user, got)
		}
	}
}

func TestBulletinAndStatsCommands(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	day, other := bulletinFacts(e)
	e.at(1, "10:00")

	// Default: yesterday (12-02).
	reply := e.say("wangwu", "值班要情")
	mustContainAll(t, "值班要情", reply, "值班要情（12月02日）", day.Number, "迟报 30 分钟", "李四 空岗")
	if strings.Contains(reply, other.Number) {
		t.Errorf("值班要情 of 12-02 shows %s of 12-03", other.Number)
	}
	mustContainAll(t, "bulletin 12-03", e.say("zhaoliu", "bulletin 12-03"), "值班要情（12月03日）", other.Number)
	replies := e.svc.respond(e.ctx, wecom.Message{MsgType: wecom.TypeText, FromUserName: "wangwu", Content: "值班要情 12月2日", CreateTime: e.clock.Now().Unix()})
	if len(replies) != 1 || !replies[0].Markdown {
		t.Errorf("值班要情 replies %+v, want one markdown reply", replies)
	}
	mustContainAll(t, "officer 值班要情", e.say("zhangsan", "值班要情"), "仅限")
	mustContainAll(t, "bad date", e.say("wangwu", "值班要情 昨晚吃饭"), "日期")
	mustContainAll(t, "future day", e.say("wangwu", "值班要情 12-25"), "还没到")

	stats := e.say("wangwu", "统计 本月")
	mustContainAll(t, "统计 本月", stats, "# 值班统计 2026年12月", "**突发事件** 2 件", "较大 1", "迟报 1 件，迟报率 50.0%",
		"**领导批示** 1 条", "按时传达 1", "签到 1 次", "迟到 1", "空岗 1 次")
	mustContainAll(t, "stats 2026", e.say("zhaoliu", "stats 2026"), "# 值班统计 2026年")
	mustContainAll(t, "统计 上月", e.say("wangwu", "统计 上月"), "2026年11月", "**突发事件** 0 件")
	mustContainAll(t, "bad period", e.say("wangwu", "统计 2026-13"), "看不懂", "本月、上月、2026-11")
	mustContainAll(t, "officer 统计", e.say("lisi", "统计"), "仅限")
}
