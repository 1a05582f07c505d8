package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/push"
	"dutybot/push/apnstest"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// dutyE2E is a server with the duty deadlines running, a leader's iPhone
// reached through the real APNs client and the local HTTP/2 fake, and the
// office: 张三, 李四, 孙八 (officers), 王五 (leader), boss (admin).
type dutyE2E struct {
	*e2e
	apple *apnstest.Fake
	loc   *time.Location
	used  map[int64]bool // fake WeCom messages expect has matched
}

func newDutyE2E(t *testing.T) *dutyE2E {
	t.Helper()
	srv, apple := apnstest.NewServer()
	t.Cleanup(srv.Close)
	e := newE2EWith(t)
	apns, err := push.NewAPNs(push.APNsConfig{KeyFile: p8Key(t), KeyID: "TEST123456", TeamID: "TEAM123456", Topic: "cn.gov.duty", Host: srv.URL},
		e.clock, push.WithAPNsTLSConfig(apnstest.ClientTLSConfig(srv)))
	if err != nil {
		t.Fatal(err)
	}
	// Messages are not paced (the fake clock would hold them), random
	// night checks and the coverage check are left to their own tests, so
	// every alert in this day is one the script causes.
	e.cfg.WeCom.RateLimit = false
	e.cfg.Duty.SpotChecksPerNight = 0
	e.cfg.Duty.CoverageAhead = 0
	e.opts = []Option{withDutyDeadlines(), WithPushSenders(map[push.Platform]push.Sender{push.IOS: apns})}
	e.restart()
	e.addMembers(
		roster.Member{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}},
		roster.Member{UserID: "sunba", Name: "孙八", Roles: []roster.Role{roster.RoleOfficer}},
		roster.Member{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}},
	)
	ctx := context.Background()
	code, err := e.app.Escalations.NewPairingCode(ctx, "wangwu", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.Escalations.ClaimPairing(ctx, code, push.Device{Platform: push.IOS, Token: "aaaa0001", Topic: "cn.gov.duty"}); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return &dutyE2E{e2e: e, apple: apple, loc: loc, used: make(map[int64]bool)}
}

// day is the duty day the script runs: Tuesday 2026-11-24 (the e2e clock
// starts at 09:00 the day before).
var day = roster.NewDate(2026, 11, 24)

// at moves the clock to hh:mm office time, days after day (negative:
// before), firing every deadline on the way.
func (e *dutyE2E) at(days int, hhmm string) {
	e.t.Helper()
	c, err := roster.ParseClock(hhmm)
	if err != nil {
		e.t.Fatal(err)
	}
	d := day.AddDays(days).At(c, e.loc).Sub(e.clock.Now())
	if d < 0 {
		e.t.Fatalf("at(%d, %s): the clock is already at %s", days, hhmm, e.clock.Now().In(e.loc))
	}
	e.clock.Advance(d)
}

// say posts a text from user and waits for the reply containing want.
func (e *dutyE2E) say(user, text, want string) string {
	e.t.Helper()
	e.post(e.text(user, text))
	return e.expect(user, want)
}

// click posts a template-card button click from user.
func (e *dutyE2E) click(user, key string) {
	e.t.Helper()
	e.post(wecomtest.TemplateCardEventXML(e2eCorp, user, key, "task-"+key, "rc-"+key, "button_interaction", e.clock.Now(), e2eAgent))
}

// expect waits for a message to user whose content contains want (a card's
// title counts as its content) and returns it. Each message is matched once.
func (e *dutyE2E) expect(user, want string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	match := func(s wecomtest.Sent) bool {
		return s.ToUser == user && (strings.Contains(s.Content, want) || strings.Contains(string(s.JSON), want)) && !e.used[s.Seq]
	}
	got, err := e.fake.WaitSent(ctx, 1, match)
	if err != nil {
		var so []string
		for _, s := range e.fake.Sent() {
			if s.ToUser == user {
				so = append(so, fmt.Sprintf("#%d %s: %s", s.Seq, s.MsgType, s.Content))
			}
		}
		e.t.Fatalf("no message to %s containing %q: %v; %s got:\n%s", user, want, err, user, strings.Join(so, "\n---\n"))
	}
	for _, s := range got {
		if match(s) {
			e.used[s.Seq] = true
			return s.Content + string(s.JSON)
		}
	}
	e.t.Fatalf("WaitSent returned no match for %s %q", user, want)
	return ""
}

// TestE2EDutyDay runs a whole duty day through the real callback path on
// the fake clock: the roster is set and a swap arranged in chat, reminders
// go out, one officer checks in early, one late (by 接班), one never (空岗 →
// the leader's WeCom card and iPhone), a restart falls inside that grace
// period, a spot check is answered by the card and a night one is missed
// (脱岗), log entries and a pending item travel through two handovers.
// Then the stored records are checked.
func TestE2EDutyDay(t *testing.T) {
	e := newDutyE2E(t)
	ctx := context.Background()

	// Monday 09:00: the admin sets Tuesday's and Wednesday's roster in chat.
	for _, cmd := range []string{
		"排班 设置 11-24 白班 领导 王五", "排班 设置 11-24 白班 张三",
		"排班 设置 11-24 夜班 领导 王五", "排班 设置 11-24 夜班 李四 孙八",
		"排班 设置 11-25 白班 领导 王五", "排班 设置 11-25 白班 张三",
		"排班 设置 11-26 白班 领导 王五", "排班 设置 11-26 白班 李四",
	} {
		e.say("boss", cmd, "已更新")
	}
	// 李四 asks 孙八 to take Thursday's 白班; 孙八 consents on the card and
	// 王五, who leads that shift, approves (more than 24 h ahead).
	reply := e.say("lisi", "换班 11-26 与 孙八", "已提交换班申请")
	id := requestID(t, reply)
	e.expect("sunba", "换班申请")
	e.click("sunba", fmt.Sprintf("request:%d:consent", id))
	e.expect("wangwu", "换班待批")
	e.say("wangwu", fmt.Sprintf("批准 %d", id), "已批准换班申请")
	e.expect("lisi", "换班已批准")
	e.expect("sunba", "换班已批准")
	as, err := e.app.Store.Assignments(ctx, day.AddDays(2), day.AddDays(2))
	if err != nil {
		t.Fatal(err)
	}
	if officers := officersOf(as, "白班"); len(officers) != 1 || officers[0] != "sunba" {
		t.Fatalf("11-26 白班 officers after the swap = %v, want [sunba]", officers)
	}

	// Monday 20:00: the evening reminders for Tuesday.
	e.at(-1, "20:00")
	e.expect("zhangsan", "值班提醒")
	e.expect("lisi", "值班提醒")
	e.expect("wangwu", "值班提醒")

	// Tuesday 07:30: an hour before 白班; 张三 checks in 15 minutes early.
	e.at(0, "07:30")
	e.expect("zhangsan", "1 小时后")
	e.at(0, "08:15")
	e.say("zhangsan", "签到", "签到成功")
	e.say("zhangsan", "签到", "无需重复签到")
	// 08:30: 王五 hears who is on post.
	e.at(0, "08:30")
	e.expect("wangwu", "张三")

	// 09:00: 王五 spot-checks 张三, who answers on the card in a minute.
	e.at(0, "09:00")
	e.say("wangwu", "查岗 张三", "已查岗")
	e.expect("zhangsan", "查岗")
	checks, err := e.app.Duty.SpotChecks(ctx, e.clock.Now().Add(-time.Hour), e.clock.Now().Add(time.Hour))
	if err != nil || len(checks) != 1 {
		t.Fatalf("spot checks = %+v, %v", checks, err)
	}
	e.at(0, "09:01")
	e.click("zhangsan", fmt.Sprintf("spot:%d", checks[0].ID))
	e.expect("wangwu", "确认在岗")

	// The day's log: a call, a document, and a pending item.
	e.at(0, "10:00")
	e.say("zhangsan", "记录 来电 市应急局通知：今晚有大风降温", "已记录 #")
	e.say("zhangsan", "记录 来文 关于做好寒潮防范工作的通知", "已记录 #")
	pending := logID(t, e.say("zhangsan", "待办 核实XX路段积水情况", "已登记待办"))

	// 16:30: the night shift is reminded an hour ahead.
	e.at(0, "16:30")
	e.expect("lisi", "1 小时后")
	e.expect("sunba", "1 小时后")

	// 17:25: 张三 hands over to 李四 and 孙八, and is told to stay.
	e.at(0, "17:25")
	e.say("zhangsan", "交班 设备正常，备用电话已充电", "不得离岗")
	e.expect("lisi", "交接班：白班 → 夜班")
	sheet := e.expect("lisi", "核实XX路段积水情况")
	for _, want := range []string{"市应急局通知", "寒潮防范", "备用电话已充电"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("handover sheet lacks %q:\n%s", want, sheet)
		}
	}
	// 17:35: 李四 takes over (and so checks in, 5 minutes late); 张三 may go.
	e.at(0, "17:35")
	e.say("lisi", "接班", "已确认接班")
	e.expect("zhangsan", "可以离岗")

	// 孙八 has not checked in. The server restarts inside his grace period;
	// at 17:40 the absence is caught once, by the restarted server.
	e.at(0, "17:36")
	e.say("zhangsan", "签退", "签退成功")
	e.restart()
	e.at(0, "17:40")
	card := e.expect("wangwu", "夜班空岗：孙八未签到")
	e.expect("sunba", "空岗")
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pushes, err := e.apple.WaitFor(waitCtx, 1)
	if err != nil {
		t.Fatal(err)
	}
	escID := pushes[0].Header.Get("apns-collapse-id")
	if pushes[0].Token != "aaaa0001" || !strings.Contains(card, escID) {
		t.Fatalf("push %s to %s; card %s", escID, pushes[0].Token, card)
	}
	// 王五 takes it from the card; the alert stops.
	e.at(0, "17:42")
	e.click("wangwu", "ack:"+escID)
	esc := waitTaken(t, e, escID, 2) // 王五's and the admin's cards
	if esc.Status != push.StatusAcked || esc.AckedBy != "wangwu" || esc.AckedVia != "card" {
		t.Errorf("escalation %s acked by %s via %s", escID, esc.AckedBy, esc.AckedVia)
	}

	// 22:00: 王五 checks the whole night shift; 李四 answers, 孙八 does not.
	e.at(0, "22:00")
	e.say("wangwu", "查岗 全部", "已查岗")
	e.expect("lisi", "查岗")
	e.expect("sunba", "查岗")
	e.at(0, "22:02")
	e.say("lisi", "在岗", "已确认在岗")
	e.at(0, "22:05")
	e.expect("wangwu", "查岗未应答：孙八")

	// Wednesday 08:25: 李四 hands over to 张三; the pending item goes along.
	e.at(1, "08:25")
	e.say("lisi", "交班 设备正常", "不得离岗")
	e.expect("zhangsan", "交接班：夜班 → 白班")
	e.say("zhangsan", "接班", "已确认接班")
	e.expect("lisi", "可以离岗")

	// The records.
	ins, err := e.app.Duty.Checkins(ctx, day, day.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]string)
	for _, c := range ins {
		got[c.Date.String()+"/"+c.Shift+"/"+c.UserID] = c.Status + "/" + c.Via
	}
	want := map[string]string{
		"2026-11-24/白班/zhangsan": duty.CheckinEarly + "/" + duty.ViaChat,
		"2026-11-24/夜班/lisi":     duty.CheckinLate + "/" + duty.ViaHandover,
		"2026-11-25/白班/zhangsan": duty.CheckinOnTime + "/" + duty.ViaHandover,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("check-in %s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("check-ins = %v, want exactly %v", got, want)
	}
	if out, err := e.app.Duty.Checkin(ctx, day, "白班", "zhangsan"); err != nil || out.CheckoutStatus != duty.CheckoutNormal {
		t.Errorf("张三's 白班 check-out = %+v, %v; want normal", out, err)
	}
	absences, err := e.app.Duty.Absences(ctx, day, day.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(absences) != 1 || absences[0].UserID != "sunba" || absences[0].Shift != "夜班" || absences[0].EscalationID != escID {
		t.Errorf("absences = %+v, want one: 孙八 夜班 with %s", absences, escID)
	}
	checks, err = e.app.Duty.SpotChecks(ctx, day.At(0, e.loc), day.AddDays(1).At(0, e.loc))
	if err != nil {
		t.Fatal(err)
	}
	results := make(map[string]int)
	for _, c := range checks {
		results[c.UserID+":"+c.Status]++
	}
	if results["zhangsan:answered"] != 1 || results["lisi:answered"] != 1 || results["sunba:missed"] != 1 || len(checks) != 3 {
		t.Errorf("spot checks = %v, want 张三 and 李四 answered, 孙八 missed", results)
	}
	item, err := e.app.Duty.LogEntry(ctx, pending)
	if err != nil {
		t.Fatal(err)
	}
	if !item.Pending || !item.ClosedAt.IsZero() || item.HeldDate != day.AddDays(1) || item.HeldShift != "白班" {
		t.Errorf("pending item after two handovers = %+v, want still open, held by 11-25 白班", item)
	}
	for _, out := range []roster.Slot{{Date: day, Shift: "白班"}, {Date: day, Shift: "夜班"}} {
		h, err := e.app.Duty.HandoverOf(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		if h.Status != duty.HandoverConfirmed {
			t.Errorf("handover of %v = %+v, want confirmed", out, h)
		}
	}
	// The absence was raised once, by the restarted server: one alert card
	// each (the next morning's bulletin names it too, as markdown).
	for _, user := range []string{"wangwu", "boss"} {
		n := 0
		for _, m := range e.fake.SentTo(user) {
			if m.MsgType == "template_card" && strings.Contains(m.Content, "夜班空岗：孙八未签到") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d 空岗 alerts, want 1", user, n)
		}
	}
	kinds := make(map[string]int)
	open, err := e.app.Escalations.OpenEscalations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range open {
		kinds[x.Kind]++
	}
	if kinds[push.KindSpotCheck] != 1 || kinds[push.KindMissedCheckin] != 0 || len(open) != 1 {
		t.Errorf("open escalations by kind = %v, want only the missed spot check", kinds)
	}
}

// requestID reads "#12" from a request reply.
func requestID(t *testing.T, reply string) int64 {
	t.Helper()
	var id int64
	i := strings.Index(reply, "#")
	if i < 0 {
		t.Fatalf("no #id in %q", reply)
	}
	if _, err := fmt.Sscanf(reply[i:], "#%d", &id); err != nil {
		t.Fatalf("no #id in %q: %v", reply, err)
	}
	return id
}

// logID reads the entry number from a 记录/待办 reply.
func logID(t *testing.T, reply string) int64 { return requestID(t, reply) }

func officersOf(as []roster.Assignment, shift string) []string {
	var out []string
	for _, a := range as {
		if a.Shift == shift && a.Role == roster.RoleOfficer {
			out = append(out, a.UserID)
		}
	}
	return out
}

// waitTaken waits until the alert cards of escalation id show who took it
// (Taken updates every card sent about it once it is acknowledged) and
// returns the stored escalation.
func waitTaken(t *testing.T, e *dutyE2E, id string, cards int) push.Escalation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.fake.WaitUpdates(ctx, cards, func(u wecomtest.Update) bool {
		return strings.HasPrefix(u.TaskID, id+"_") && strings.Contains(u.ReplaceName, "确认")
	}); err != nil {
		t.Fatalf("alert cards of %s not updated: %v", id, err)
	}
	esc, err := e.app.Escalations.Escalation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return esc
}
