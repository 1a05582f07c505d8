package bot

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// spotChecks lists every stored spot check.
func (e *dutyEnv) spotChecks() []duty.SpotCheck {
	e.t.Helper()
	cs, err := e.duty.SpotChecks(e.ctx, time.Time{}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// spotCheck reads one stored check.
func (e *dutyEnv) spotCheck(id int64) duty.SpotCheck {
	e.t.Helper()
	c, err := e.duty.SpotCheck(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// spotDue hands a check's deadline to the handler, as the scheduler does.
func (e *dutyEnv) spotDue(id int64) {
	e.t.Helper()
	e.fireRef(duty.RefKey(duty.KindSpotCheckDue, id), duty.KindSpotCheckDue, id)
}

// spotEscalations lists the escalations of one check, open or not.
func (e *dutyEnv) spotEscalations(id int64) []push.Escalation {
	e.t.Helper()
	var out []push.Escalation
	rows, err := e.store.Reader().QueryContext(e.ctx, `SELECT id FROM escalations WHERE kind = ? AND subject = ?`,
		push.KindSpotCheck, fmt.Sprintf("spot/%d", id))
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var escID string
		if err := rows.Scan(&escID); err != nil {
			e.t.Fatal(err)
		}
		esc, err := e.esc.Escalation(e.ctx, escID)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, esc)
	}
	return out
}

// startSpotCheck is 王五 checking 张三 at 09:00 on 白班; it returns the
// check and the card 张三 got.
func startSpotCheck(t *testing.T, e *dutyEnv) (duty.SpotCheck, cardJSON) {
	t.Helper()
	e.at(0, "09:00")
	e.sent()
	reply := e.say("wangwu", "查岗")
	mustContainAll(t, "查岗 reply", reply, "已查岗 1 人", "张三（白班）", "09:05")
	cs := e.spotChecks()
	if len(cs) != 1 {
		t.Fatalf("stored checks = %+v, want one", cs)
	}
	cards := cardsTo(t, e.sent(), "zhangsan", "spot/")
	if len(cards) != 1 {
		t.Fatalf("cards to zhangsan = %+v, want one", cards)
	}
	return cs[0], cards[0]
}

func TestSpotCheckByLeader(t *testing.T) {
	for _, text := range []string{"查岗", "查岗 全部", "查岗 张三", "spotcheck all", "SPOTCHECK zhangsan"} {
		t.Run(text, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			e.at(0, "09:00")
			reply := e.say("wangwu", text)
			mustContainAll(t, "reply", reply, "已查岗 1 人", "张三（白班）", "09:05 前确认在岗", "5 分钟")
			msgs := e.sent()
			cards := cardsTo(t, msgs, "zhangsan", "spot/")
			cs := e.spotChecks()
			if len(cs) != 1 || len(cards) != 1 {
				t.Fatalf("checks %+v, cards %+v; want one of each", cs, cards)
			}
			sc := cs[0]
			if sc.UserID != "zhangsan" || sc.Shift != "白班" || sc.Date != dutyDay || sc.RequestedBy != "wangwu" ||
				sc.Status != duty.SpotPending || sc.SentAt.IsZero() || sc.DueAt.In(e.loc).Format("15:04:05") != "09:05:00" {
				t.Errorf("stored check = %+v", sc)
			}
			c := cards[0]
			wantKey := fmt.Sprintf("spot:%d", sc.ID)
			if c.MainTitle.Title != "查岗：请在 5 分钟内确认在岗" || len(c.ButtonList) != 1 || c.ButtonList[0].Key != wantKey ||
				c.ButtonList[0].Text != "在岗 / On duty" || c.TaskID == "" {
				t.Errorf("card = %+v, want title 查岗：请在 5 分钟内确认在岗 and one 在岗 button %s", c, wantKey)
			}
			mustContainAll(t, "card", c.MainTitle.Desc+c.SubTitleText, "09:05", "王五 发起查岗")
			if len(msgs) != 1 {
				t.Errorf("messages = %+v, want only the card to zhangsan (lisi's 夜班 has not begun)", msgs)
			}
			d, err := e.duty.Deadline(e.ctx, duty.RefKey(duty.KindSpotCheckDue, sc.ID))
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != duty.KindSpotCheckDue || d.Ref != sc.ID || d.Status != duty.DeadlineOpen || !d.DueAt.Equal(sc.DueAt) {
				t.Errorf("deadline = %+v", d)
			}
		})
	}
}

func TestSpotCheckAnsweredInTime(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(e *dutyEnv, key string) string
		wantVia string
	}{
		{"在岗", func(e *dutyEnv, _ string) string { return e.say("zhangsan", "在岗") }, duty.SpotViaChat},
		{"here", func(e *dutyEnv, _ string) string { return e.say("zhangsan", "here") }, duty.SpotViaChat},
		{"button", func(e *dutyEnv, key string) string { return e.click("zhangsan", key) }, duty.SpotViaButton},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			sc, card := startSpotCheck(t, e)
			e.clock.Advance(80 * time.Second) // 09:01:20
			reply := tc.answer(e, card.ButtonList[0].Key)
			mustContainAll(t, "answer reply", reply, "已确认在岗", "09:01", "用时 1 分 20 秒")
			got := e.spotCheck(sc.ID)
			if got.Status != duty.SpotAnswered || got.Via != tc.wantVia || got.AnsweredAt.In(e.loc).Format("15:04:05") != "09:01:20" {
				t.Errorf("stored = %+v, want answered via %s at 09:01:20", got, tc.wantVia)
			}
			msgs := e.sent()
			mustContainAll(t, "to 王五", textsTo(msgs, "wangwu"), "张三 已于 09:01 确认在岗（用时 1 分 20 秒）")
			d, err := e.duty.Deadline(e.ctx, duty.RefKey(duty.KindSpotCheckDue, sc.ID))
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != duty.DeadlineVoid {
				t.Errorf("deadline status = %s, want void (cancelled)", d.Status)
			}
			// Were the deadline to fire anyway, nothing happens.
			e.at(0, "09:06")
			e.spotDue(sc.ID)
			if got := e.spotCheck(sc.ID); got.Status != duty.SpotAnswered {
				t.Errorf("after the deadline: status %s, want answered", got.Status)
			}
			if esc := e.spotEscalations(sc.ID); len(esc) != 0 {
				t.Errorf("escalations = %+v, want none", esc)
			}
			// Answering again says so and changes nothing.
			if again := e.say("zhangsan", "在岗"); !strings.Contains(again, "没有待应答的查岗") {
				t.Errorf("在岗 again = %q", again)
			}
			if again := e.click("zhangsan", card.ButtonList[0].Key); !strings.Contains(again, "已于 09:01 确认在岗") {
				t.Errorf("button again = %q", again)
			}
		})
	}
}

func TestSpotCheckMissed(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	sc, card := startSpotCheck(t, e)
	e.at(0, "09:05")
	e.spotDue(sc.ID)
	got := e.spotCheck(sc.ID)
	if got.Status != duty.SpotMissed || !got.AnsweredAt.IsZero() || got.EscalationID == "" {
		t.Fatalf("stored = %+v, want missed with an escalation", got)
	}
	escs := e.spotEscalations(sc.ID)
	if len(escs) != 1 || escs[0].Status != push.StatusOpen || escs[0].Kind != push.KindSpotCheck || escs[0].ID != got.EscalationID {
		t.Fatalf("escalations = %+v, want one open spot_check %s", escs, got.EscalationID)
	}
	if escs[0].Title != "查岗未应答：张三（白班）疑似脱岗" {
		t.Errorf("title = %q", escs[0].Title)
	}
	mustContainAll(t, "body", escs[0].Body, "张三", "09:05", "王五 发起的查岗")
	msgs := e.sent()
	mustContainAll(t, "to 张三", textsTo(msgs, "zhangsan"), "已记为脱岗", "在岗")
	mustContainAll(t, "to 王五", textsTo(msgs, "wangwu"), "张三 未在 09:05 前确认在岗", got.EscalationID)

	// Fired again (a restart before it was closed): nothing new.
	e.spotDue(sc.ID)
	if escs := e.spotEscalations(sc.ID); len(escs) != 1 {
		t.Errorf("after a second fire: %d escalations, want 1", len(escs))
	}
	if msgs := e.sent(); len(msgs) != 0 {
		t.Errorf("second fire sent %+v, want nothing", msgs)
	}

	// A late answer keeps the 脱岗 and stops the paging.
	e.at(0, "09:10")
	reply := e.click("zhangsan", card.ButtonList[0].Key)
	mustContainAll(t, "late reply", reply, "09:10", "仍记为脱岗")
	got = e.spotCheck(sc.ID)
	if got.Status != duty.SpotMissed || got.AnsweredAt.In(e.loc).Format("15:04") != "09:10" || got.Via != duty.SpotViaButton {
		t.Errorf("after the late answer: %+v, want missed, answered 09:10 by button", got)
	}
	if escs := e.spotEscalations(sc.ID); len(escs) != 1 || escs[0].Status != push.StatusResolved {
		t.Errorf("escalation after the late answer = %+v, want resolved", escs)
	}
	mustContainAll(t, "to 王五", textsTo(e.sent(), "wangwu"), "张三 于 09:10 补答在岗", "仍记为脱岗")
}

func TestSpotCheckLateAnswerBeforeTheDeadlineActs(t *testing.T) {
	// The service was down at 09:05: the officer answers at 09:07, before
	// the deadline is handed over at the restart.
	e := newDutyEnv(t, duty.Settings{})
	sc, _ := startSpotCheck(t, e)
	e.at(0, "09:07")
	mustContainAll(t, "late 在岗", e.say("zhangsan", "在岗"), "仍记为脱岗", "09:05 截止")
	got := e.spotCheck(sc.ID)
	if got.Status != duty.SpotMissed || got.Via != duty.SpotViaChat || got.EscalationID == "" {
		t.Fatalf("stored = %+v, want missed with the late answer and an escalation", got)
	}
	e.spotDue(sc.ID)
	escs := e.spotEscalations(sc.ID)
	if len(escs) != 1 || escs[0].Status != push.StatusResolved {
		t.Errorf("escalations = %+v, want one, resolved", escs)
	}
	if got := e.spotCheck(sc.ID); got.Status != duty.SpotMissed || got.AnsweredAt.In(e.loc).Format("15:04") != "09:07" {
		t.Errorf("after the deadline: %+v", got)
	}
}

func TestSpotCheckRefusals(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "09:00")
	for _, tc := range []struct {
		name, user, text string
		want             []string
	}{
		{"officer may not", "zhangsan", "查岗", []string{"「查岗」仅限", "带班领导", "管理员"}},
		{"officer may not log", "lisi", "查岗 记录", []string{"「查岗」仅限"}},
		{"not on duty, next shift", "wangwu", "查岗 孙八", []string{"孙八 现在不在岗", "下一班：12月3日 周四 白班（08:30 开始）", "现在在岗的值班员：张三（白班）"}},
		{"not on duty yet today", "zhaoliu", "查岗 李四", []string{"李四 现在不在岗", "下一班：12月2日 周三 夜班（17:30 开始）"}},
		{"the leader", "zhaoliu", "查岗 王五", []string{"王五 是白班的带班领导", "只针对正在值班的值班员"}},
		{"unknown", "wangwu", "查岗 钱七", []string{"找不到成员「钱七」"}},
		{"nothing to answer", "sunba", "在岗", []string{"没有待应答的查岗"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustContainAll(t, "reply", e.say(tc.user, tc.text), tc.want...)
			if cs := e.spotChecks(); len(cs) != 0 {
				t.Errorf("checks stored: %+v", cs)
			}
			if msgs := e.sent(); len(msgs) != 0 {
				t.Errorf("sent %+v", msgs)
			}
		})
	}
	// 04:00 on 12-03 with nobody on the 夜班: nobody to check.
	e.setRoster(dutyDay, "夜班", "wangwu")
	e.at(1, "04:00")
	mustContainAll(t, "nobody on duty", e.say("wangwu", "查岗"), "现在没有正在值班的值班员")
}

func TestSpotCheckButtonByAnotherMember(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	sc, card := startSpotCheck(t, e)
	reply := e.click("lisi", card.ButtonList[0].Key)
	mustContainAll(t, "reply", reply, "这是发给 张三 的查岗", "只能由本人")
	if got := e.spotCheck(sc.ID); got.Status != duty.SpotPending || !got.AnsweredAt.IsZero() {
		t.Errorf("stored = %+v, want still pending", got)
	}
	for _, key := range []string{"spot:999", "spot:x"} {
		if reply := e.click("zhangsan", key); reply == "" {
			t.Errorf("click %s: no reply", key)
		}
	}
}

func TestSpotCheckNotTwiceWhilePending(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	sc, _ := startSpotCheck(t, e)
	e.clock.Advance(time.Minute)
	mustContainAll(t, "second 查岗", e.say("zhaoliu", "查岗 张三"), "张三 已有待应答的查岗（09:05 截止）")
	if cs := e.spotChecks(); len(cs) != 1 || cs[0].ID != sc.ID {
		t.Errorf("checks = %+v, want only the first", cs)
	}
	if cards := cardsTo(t, e.sent(), "zhangsan", "spot/"); len(cards) != 0 {
		t.Errorf("second card sent: %+v", cards)
	}
}

func TestSpotCheckRandomPlan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perNight int
		from, to string
		now      string // on dutyDay
		want     int
	}{
		// Duty days 12-01..12-05 are planned; 12-01's night ended at 06:00.
		{"one a night", 1, "22:00", "06:00", "07:50", 4},
		{"three a night", 3, "22:00", "06:00", "07:50", 12},
		{"afternoon window", 2, "13:00", "15:00", "07:50", 8},
		{"off", 0, "22:00", "06:00", "07:50", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := duty.DefaultSettings()
			set.SpotChecksPerNight = tc.perNight
			from, _ := roster.ParseClock(tc.from)
			to, _ := roster.ParseClock(tc.to)
			set.SpotCheckFrom, set.SpotCheckTo = from, to
			e := newDutyEnv(t, set)
			e.at(0, tc.now)
			now := e.clock.Now()
			rosters, err := e.svc.shiftRosters(e.ctx, dutyDay.AddDays(-1), dutyDay.AddDays(planDays))
			if err != nil {
				t.Fatal(err)
			}
			first := e.svc.planRandomSpotChecks(now, rosters)
			second := e.svc.planRandomSpotChecks(now, rosters)
			if !reflect.DeepEqual(first, second) {
				t.Errorf("two plans differ:\n%+v\n%+v", first, second)
			}
			if len(first) != tc.want {
				t.Errorf("%d random checks, want %d: %+v", len(first), tc.want, first)
			}
			perDay := make(map[roster.Date]int)
			for _, d := range first {
				perDay[d.Date]++
				start := d.Date.At(from, e.loc)
				end := d.Date.At(to, e.loc)
				if to <= from {
					end = d.Date.AddDays(1).At(to, e.loc)
				}
				if d.DueAt.Before(start) || !d.DueAt.Before(end) || !d.DueAt.After(now) {
					t.Errorf("%s at %s: outside %s–%s or not after now", d.Key, d.DueAt.In(e.loc), start, end)
				}
				if d.Kind != duty.KindSpotCheckRandom || !strings.HasPrefix(d.Key, "spot_check_random/"+d.Date.String()+"/") {
					t.Errorf("deadline %+v: wrong kind or key", d)
				}
			}
			for day, n := range perDay {
				if n != tc.perNight {
					t.Errorf("%s: %d checks, want %d", day, n, tc.perNight)
				}
			}
			// Through the scheduler: a second plan adds nothing.
			if err := e.sched.PlanNow(e.ctx); err != nil {
				t.Fatal(err)
			}
			count := func() int {
				n := 0
				for _, d := range e.planned() {
					if d.Kind == duty.KindSpotCheckRandom {
						n++
					}
				}
				return n
			}
			before := count()
			if err := e.sched.PlanNow(e.ctx); err != nil {
				t.Fatal(err)
			}
			if after := count(); after != before || before != tc.want {
				t.Errorf("planned random checks: %d then %d, want %d", before, after, tc.want)
			}
		})
	}
}

func TestSpotCheckRandomPlanMidNight(t *testing.T) {
	// At 02:00 on 12-03 the night of 12-02 is half gone: only its checks
	// still ahead are planned, spread over the whole window.
	set := duty.DefaultSettings()
	set.SpotChecksPerNight = 4
	e := newDutyEnv(t, set)
	e.at(1, "02:00")
	now := e.clock.Now()
	rosters, err := e.svc.shiftRosters(e.ctx, dutyDay, dutyDay)
	if err != nil {
		t.Fatal(err)
	}
	all := e.svc.planRandomSpotChecks(now.Add(-12*time.Hour), rosters)
	ahead := e.svc.planRandomSpotChecks(now, rosters)
	if len(all) != 4 {
		t.Fatalf("whole night: %d checks, want 4", len(all))
	}
	var want []duty.Deadline
	for i, d := range all {
		// Part i of four two-hour parts: 22–24, 0–2, 2–4, 4–6.
		lo := dutyDay.At(22*60, e.loc).Add(time.Duration(i) * 2 * time.Hour)
		if d.DueAt.Before(lo) || !d.DueAt.Before(lo.Add(2*time.Hour)) {
			t.Errorf("check %d at %s, want within %s + 2h", i+1, d.DueAt.In(e.loc), lo.In(e.loc))
		}
		if d.DueAt.After(now) {
			want = append(want, d)
		}
	}
	if !reflect.DeepEqual(ahead, want) {
		t.Errorf("planned at 02:00 = %+v\nwant the later ones of the whole plan %+v", ahead, want)
	}
}

func TestRandomSpotCheckRuns(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(1, "01:00") // 李四's 夜班
	e.sent()
	d := duty.Deadline{Key: "spot_check_random/2026-12-02/1", Kind: duty.KindSpotCheckRandom, Date: dutyDay, DueAt: e.clock.Now()}
	for range 2 { // run twice: a restart before the deadline was closed
		if err := e.svc.HandleDeadline(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	cs := e.spotChecks()
	if len(cs) != 1 || cs[0].UserID != "lisi" || cs[0].Shift != "夜班" || cs[0].RequestedBy != duty.RequestedBySystem || cs[0].Trigger != d.Key {
		t.Fatalf("checks = %+v, want one of lisi by the system", cs)
	}
	msgs := e.sent()
	cards := cardsTo(t, msgs, "lisi", "spot/")
	if len(cards) != 1 || cards[0].ButtonList[0].Key != fmt.Sprintf("spot:%d", cs[0].ID) {
		t.Fatalf("cards to lisi = %+v, want one", cards)
	}
	mustContainAll(t, "card", cards[0].SubTitleText, "系统随机查岗")
	if _, err := e.duty.Deadline(e.ctx, duty.RefKey(duty.KindSpotCheckDue, cs[0].ID)); err != nil {
		t.Errorf("answer deadline: %v", err)
	}
	// Missed: escalated, nobody called "system" is written to.
	e.at(1, "01:05")
	e.spotDue(cs[0].ID)
	if escs := e.spotEscalations(cs[0].ID); len(escs) != 1 || escs[0].Title != "查岗未应答：李四（夜班）疑似脱岗" {
		t.Errorf("escalations = %+v", escs)
	}
	if got := sentTo(e.sent(), duty.RequestedBySystem); len(got) != 0 {
		t.Errorf("messages to %q: %+v", duty.RequestedBySystem, got)
	}

	// Nobody on duty: nothing.
	e.setRoster(dutyDay, "夜班", "wangwu")
	d2 := duty.Deadline{Key: "spot_check_random/2026-12-02/2", Kind: duty.KindSpotCheckRandom, Date: dutyDay, DueAt: e.clock.Now()}
	if err := e.svc.HandleDeadline(e.ctx, d2); err != nil {
		t.Fatal(err)
	}
	if cs := e.spotChecks(); len(cs) != 1 {
		t.Errorf("checks after a run with nobody on duty: %d, want 1", len(cs))
	}
}

func TestSpotCheckLog(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	startSpotCheck(t, e)
	e.clock.Advance(80 * time.Second)
	e.say("zhangsan", "在岗")
	e.at(0, "10:00")
	e.say("wangwu", "查岗 张三")
	e.at(0, "10:05")
	second := e.spotChecks()[1]
	e.spotDue(second.ID)
	e.at(0, "10:30")
	e.say("zhaoliu", "查岗")

	reply := e.say("zhaoliu", "查岗 记录")
	mustContainAll(t, "查岗 记录", reply,
		"共 3 次，在岗 1，脱岗 1，待应答 1",
		"12-02 09:00 张三（白班）· 王五 · 在岗 09:01（用时 1 分 20 秒）",
		"12-02 10:00 张三（白班）· 王五 · 脱岗 告警 "+e.spotCheck(second.ID).EscalationID,
		"12-02 10:30 张三（白班）· 赵六 · 待应答（10:35 截止）")
	mustContainAll(t, "spotcheck log 12-02", e.say("wangwu", "spotcheck log 12-02"), "共 3 次")
	mustContainAll(t, "查岗 记录 12-01", e.say("wangwu", "查岗 记录 12-01"), "2026-12-01 没有查岗记录")
	mustContainAll(t, "bad period", e.say("wangwu", "查岗 记录 明年某天"), "无法识别日期「明年某天」")
	if r := e.say("wangwu", "查岗 记录 2026-01-01 至 2026-12-31"); !strings.Contains(r, "最多查看") {
		t.Errorf("a year of records: %q", r)
	}
}

func TestSpotDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 秒"},
		{45 * time.Second, "45 秒"},
		{80 * time.Second, "1 分 20 秒"},
		{5 * time.Minute, "5 分钟"},
		{80*time.Second + 400*time.Millisecond, "1 分 20 秒"},
		{-time.Second, "0 秒"},
	} {
		if got := spotDuration(tc.d); got != tc.want {
			t.Errorf("spotDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
