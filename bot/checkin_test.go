package bot

import (
	"errors"
	"strings"
	"testing"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// The duty room of the geofence tests, and points near and far from it.
var (
	dutyRoom    = duty.Geofence{Latitude: 39.9042, Longitude: 116.4074, RadiusMeters: 200}
	nearRoom    = [2]float64{39.9046, 116.4074} // about 45 m north
	farFromRoom = [2]float64{39.9150, 116.4074} // about 1.2 km north
)

// geofenced is the default settings with the duty room's geofence.
func geofenced() duty.Settings {
	set := duty.DefaultSettings()
	set.Geofence = dutyRoom
	return set
}

// checkin reads a member's check-in for a slot; ok is false when there is
// none.
func (e *dutyEnv) checkin(d roster.Date, shift, userID string) (duty.Checkin, bool) {
	e.t.Helper()
	c, err := e.duty.Checkin(e.ctx, d, shift, userID)
	if errors.Is(err, duty.ErrNotFound) {
		return duty.Checkin{}, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return c, true
}

// mustCheckin is checkin for a check-in that must exist.
func (e *dutyEnv) mustCheckin(d roster.Date, shift, userID string) duty.Checkin {
	e.t.Helper()
	c, ok := e.checkin(d, shift, userID)
	if !ok {
		e.t.Fatalf("no check-in of %s for %s %s", userID, d, shift)
	}
	return c
}

// absences lists the absences of dutyDay .. dutyDay+days.
func (e *dutyEnv) absences(days int) []duty.Absence {
	e.t.Helper()
	as, err := e.duty.Absences(e.ctx, dutyDay, dutyDay.AddDays(days))
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// textsOf joins the contents of msgs.
func textsOf(msgs []sentMsg) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Content)
	}
	return strings.Join(out, "\n")
}

func TestCheckinStatuses(t *testing.T) {
	for _, tc := range []struct {
		at       string
		status   string
		late     int
		contains []string
	}{
		{"08:00", duty.CheckinEarly, 0, []string{"签到成功", "白班 08:30–17:30", "值班员", "08:00 签到", "提前到岗"}},
		{"08:20", duty.CheckinEarly, 0, []string{"提前到岗"}},
		{"08:25", duty.CheckinOnTime, 0, []string{"08:25 签到", "按时到岗"}},
		{"08:30", duty.CheckinOnTime, 0, []string{"按时到岗"}},
		{"08:35", duty.CheckinLate, 5, []string{"迟到 5 分钟", "迟到已记录"}},
		{"17:29", duty.CheckinLate, 539, []string{"迟到 8 小时 59 分钟"}},
	} {
		t.Run(tc.at, func(t *testing.T) {
			e := newDutyEnv(t, duty.Settings{})
			e.at(0, tc.at)
			reply := e.say("zhangsan", "签到")
			mustContainAll(t, "reply", reply, tc.contains...)
			c := e.mustCheckin(dutyDay, "白班", "zhangsan")
			if c.Status != tc.status || c.MinutesLate != tc.late || c.Via != duty.ViaChat || c.Role != roster.RoleOfficer || c.HasLocation {
				t.Errorf("stored %+v, want status %s, %d min late, via chat, officer", c, tc.status, tc.late)
			}
			if !c.At.Equal(e.clock.Now()) {
				t.Errorf("checked in at %s, want %s", c.At, e.clock.Now())
			}
		})
	}
}

func TestCheckinLeaderAndAlias(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "08:10")
	mustContainAll(t, "leader's reply", e.say("wangwu", "checkin"), "签到成功", "白班", "带班领导")
	if c := e.mustCheckin(dutyDay, "白班", "wangwu"); c.Role != roster.RoleLeader {
		t.Errorf("leader's check-in role %s, want leader", c.Role)
	}
	mustContainAll(t, "打卡", e.say("zhangsan", "打卡"), "签到成功")
}

func TestCheckinRefusals(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	// 07:50: the day shift's window opens at 08:00.
	mustContainAll(t, "too early", e.say("zhangsan", "签到"),
		"不在您任何班次的签到时间内", "12月2日 周三 白班 08:30–17:30", "12月2日 08:00 开放")
	mustContainAll(t, "night officer in the morning", e.say("lisi", "签到"), "夜班 17:30–次日08:30", "12月2日 17:00 开放")
	mustContainAll(t, "no shift at all", e.say("zhaoliu", "签到"), "未来 30 天也没有排班")
	mustContainAll(t, "sunba tomorrow", e.say("sunba", "签到"), "12月3日 周四 白班", "12月3日 08:00 开放")
	if cs, _ := e.duty.Checkins(e.ctx, dutyDay, dutyDay.AddDays(1)); len(cs) != 0 {
		t.Errorf("refused check-ins stored: %+v", cs)
	}

	e.at(0, "08:05")
	mustContainAll(t, "for someone else", e.say("zhangsan", "签到 李四"), "须本人操作", "李四")
	if _, ok := e.checkin(dutyDay, "夜班", "lisi"); ok {
		t.Error("签到 李四 checked 李四 in")
	}
	if _, ok := e.checkin(dutyDay, "白班", "zhangsan"); ok {
		t.Error("签到 李四 checked 张三 in")
	}
	mustContainAll(t, "nonsense", e.say("zhangsan", "签到 哈哈"), "不需要写内容")
	mustContainAll(t, "oneself by name", e.say("zhangsan", "签到 张三"), "签到成功", "08:05 签到")
	e.at(0, "08:40")
	mustContainAll(t, "twice", e.say("zhangsan", "签到"), "您已于 08:05 签到", "无需重复签到")
	if c := e.mustCheckin(dutyDay, "白班", "zhangsan"); c.Status != duty.CheckinEarly {
		t.Errorf("second 签到 changed the record: %+v", c)
	}
	// Officers may not list the records.
	mustContainAll(t, "officer asks for records", e.say("zhangsan", "签到 记录"), "仅限带班领导、管理员")
}

func TestCheckinOvernight(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "17:05")
	mustContainAll(t, "night check-in", e.say("lisi", "签到"), "签到成功", "夜班 17:30–次日08:30", "17:05 签到", "提前到岗")
	e.at(1, "07:00")
	mustContainAll(t, "again after midnight", e.say("lisi", "签到"), "您已于 17:05 签到 12月2日 周三 夜班")
	e.at(1, "08:35")
	mustContainAll(t, "checkout next morning", e.say("lisi", "签退"), "签退成功", "12月2日 周三 夜班", "12月3日 08:35 签退")
	c := e.mustCheckin(dutyDay, "夜班", "lisi")
	if c.CheckoutStatus != duty.CheckoutNormal || c.MinutesEarly != 0 || !c.CheckedOutAt.Equal(e.clock.Now()) {
		t.Errorf("night check-out %+v, want normal now", c)
	}
	mustContainAll(t, "checkout twice", e.say("lisi", "签退"), "您已于 12月3日 08:35 签退")

	// A night shift on New Year's Eve, checked out in the new year.
	nye := roster.NewDate(2026, 12, 31)
	e.setRoster(nye, "夜班", "wangwu", "sunba")
	e.at(29, "17:20")
	mustContainAll(t, "NYE check-in", e.say("sunba", "签到"), "签到成功", "12月31日 周四 夜班", "17:20 签到")
	e.at(30, "06:00")
	mustContainAll(t, "early leave on New Year's Day", e.say("sunba", "签退"), "早退", "2 小时 30 分钟")
	c = e.mustCheckin(nye, "夜班", "sunba")
	if c.CheckoutStatus != duty.CheckoutEarly || c.MinutesEarly != 150 {
		t.Errorf("NYE check-out %+v, want 早退 150 min", c)
	}
	mustContainAll(t, "leader hears of it", textsOf(sentTo(e.sent(), "wangwu")), "早退：孙八", "12月31日 周四 夜班", "1月1日 06:00")
}

func TestCheckout(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "08:10")
	mustContainAll(t, "not checked in", e.say("zhangsan", "签退"), "您尚未签到", "白班", "无法签退")
	e.say("zhangsan", "签到")
	e.sent()
	e.at(0, "15:00")
	mustContainAll(t, "early", e.say("zhangsan", "签退"), "记为早退", "2 小时 30 分钟", "已通知带班领导")
	c := e.mustCheckin(dutyDay, "白班", "zhangsan")
	if c.CheckoutStatus != duty.CheckoutEarly || c.MinutesEarly != 150 || !c.CheckedOutAt.Equal(e.clock.Now()) {
		t.Errorf("check-out %+v, want 早退 of 150 min now", c)
	}
	msgs := e.sent()
	mustContainAll(t, "to the leader", textsOf(sentTo(msgs, "wangwu")), "早退：张三（值班员）", "15:00 签退", "提前 2 小时 30 分钟")
	if len(sentTo(msgs, "zhaoliu")) != 0 {
		t.Errorf("admin told of the early leave too: %+v", msgs)
	}
	mustContainAll(t, "again", e.say("zhangsan", "签退"), "您已于 15:00 签退")
	mustContainAll(t, "for someone", e.say("zhangsan", "签退 李四"), "不需要写内容")
	mustContainAll(t, "no shift", e.say("zhaoliu", "签退"), "没有可签退的班次")

	// On time; and after the handover window it is too late.
	e.at(0, "17:00")
	e.say("lisi", "签到")
	e.at(1, "08:10")
	e.say("sunba", "签到")
	e.at(1, "08:40")
	mustContainAll(t, "in the handover window", e.say("lisi", "签退"), "签退成功")
	if c := e.mustCheckin(dutyDay, "夜班", "lisi"); c.CheckoutStatus != duty.CheckoutNormal {
		t.Errorf("on-time check-out %+v", c)
	}
	e.at(1, "18:01")
	mustContainAll(t, "after the window", e.say("sunba", "签退"), "没有可签退的班次")
}

func TestCheckinGeofence(t *testing.T) {
	e := newDutyEnv(t, geofenced())
	e.at(0, "08:00")
	mustContainAll(t, "asks for the location", e.say("zhangsan", "签到"), "「+」→「位置」", "10 分钟内有效")
	if _, ok := e.checkin(dutyDay, "白班", "zhangsan"); ok {
		t.Fatal("checked in without a location")
	}
	e.at(0, "08:02")
	mustContainAll(t, "outside", e.location("zhangsan", farFromRoom[0], farFromRoom[1]),
		"签到未成功", "距值班室 1.2 公里，超出 200 米范围")
	if _, ok := e.checkin(dutyDay, "白班", "zhangsan"); ok {
		t.Fatal("checked in from outside")
	}
	// The wait is used up; a location on its own does not check in.
	mustContainAll(t, "location with no 签到 waiting", e.location("zhangsan", nearRoom[0], nearRoom[1]), "已收到您的位置", "如需签到")
	if _, ok := e.checkin(dutyDay, "白班", "zhangsan"); ok {
		t.Fatal("a location with no 签到 waiting checked in")
	}
	// 签到 with a fresh location inside: done at once.
	mustContainAll(t, "recent location inside", e.say("zhangsan", "签到"), "签到成功", "08:02 签到", "距值班室 44 米")
	c := e.mustCheckin(dutyDay, "白班", "zhangsan")
	if c.Via != duty.ViaLocation || !c.HasLocation || c.Latitude != nearRoom[0] || c.Distance < 40 || c.Distance > 50 {
		t.Errorf("stored %+v, want via location at the near point", c)
	}
}

func TestCheckinGeofencePending(t *testing.T) {
	e := newDutyEnv(t, geofenced())
	e.at(0, "17:00")
	// A LOCATION report from outside, then 签到: refused with the distance,
	// and a fresh location completes it.
	report := func(user string, p [2]float64) string {
		return e.callback(wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventLocation, FromUserName: user,
			Latitude: p[0], Longitude: p[1], Precision: 30})
	}
	if r := report("lisi", farFromRoom); r != "" {
		t.Errorf("a LOCATION report with nothing waiting answered %q", r)
	}
	mustContainAll(t, "recent location outside", e.say("lisi", "签到"), "距值班室 1.2 公里，超出 200 米范围", "「+」→「位置」")
	e.at(0, "17:04")
	mustContainAll(t, "LOCATION report inside completes it", report("lisi", nearRoom), "签到成功", "夜班", "17:04 签到")
	if c := e.mustCheckin(dutyDay, "夜班", "lisi"); c.Via != duty.ViaLocation || c.Status != duty.CheckinEarly {
		t.Errorf("stored %+v", c)
	}

	// A wait expires.
	e.at(1, "08:00")
	mustContainAll(t, "asks", e.say("sunba", "签到"), "「位置」")
	e.at(1, "08:11")
	mustContainAll(t, "too late", e.location("sunba", nearRoom[0], nearRoom[1]), "超时", "重新发送「签到」")
	if _, ok := e.checkin(dutyDay.AddDays(1), "白班", "sunba"); ok {
		t.Error("an expired wait checked in")
	}
	// A menu pick without coordinates.
	mustContainAll(t, "no coordinates", e.callback(wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventLocationPick, FromUserName: "sunba"}),
		"未能读取位置坐标")
	// Old location: asked again.
	e.at(1, "08:17")
	mustContainAll(t, "stale location", e.say("sunba", "签到"), "请在本会话点「+」→「位置」")
	mustContainAll(t, "menu pick with coordinates", e.callback(wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventLocationPick,
		FromUserName: "sunba", LocationX: nearRoom[0], LocationY: nearRoom[1]}), "签到成功")
}

func TestMissedCheckin(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "08:40")
	e.fire(duty.KindCheckinGrace, dutyDay, "白班", "zhangsan")
	as := e.absences(0)
	if len(as) != 1 || as[0].Kind != duty.AbsenceMissedCheckin || as[0].UserID != "zhangsan" || as[0].Shift != "白班" ||
		!as[0].ResolvedAt.IsZero() || !as[0].DetectedAt.Equal(e.clock.Now()) {
		t.Fatalf("absences %+v, want zhangsan's open one", as)
	}
	esc := e.openEscalations()
	if len(esc) != 1 || esc[0].Kind != push.KindMissedCheckin || esc[0].Subject != "2026-12-02/白班/zhangsan" {
		t.Fatalf("open escalations %+v, want the missed check-in", esc)
	}
	mustContainAll(t, "title", esc[0].Title, "白班空岗：张三未签到")
	mustContainAll(t, "body", esc[0].Body, "08:30–17:30", "08:40")
	if as[0].EscalationID != esc[0].ID {
		t.Errorf("absence notes escalation %q, want %q", as[0].EscalationID, esc[0].ID)
	}
	msgs := e.sent()
	for _, u := range []string{"wangwu", "zhaoliu"} {
		got := sentTo(msgs, u)
		if len(got) != 1 || got[0].Kind != KindCard || !strings.Contains(got[0].Content, "张三未签到") {
			t.Errorf("to %s: %+v, want one alert card", u, got)
		}
	}
	mustContainAll(t, "to the officer", textsOf(sentTo(msgs, "zhangsan")), "您尚未签到", "白班 08:30–17:30", "空岗")

	// Fired again (a restart before it was closed): nothing new.
	e.fire(duty.KindCheckinGrace, dutyDay, "白班", "zhangsan")
	if as := e.absences(0); len(as) != 1 {
		t.Errorf("absences after a re-run: %+v", as)
	}
	if esc := e.openEscalations(); len(esc) != 1 {
		t.Errorf("escalations after a re-run: %+v", esc)
	}
	if msgs := e.sent(); len(msgs) != 0 {
		t.Errorf("a re-run sent %+v", msgs)
	}

	// The late check-in resolves the alert; the absence stays, resolved.
	e.at(0, "08:55")
	mustContainAll(t, "late check-in", e.say("zhangsan", "签到"), "签到成功", "迟到 25 分钟", "空岗告警已解除", "空岗记录保留")
	if esc := e.openEscalations(); len(esc) != 0 {
		t.Errorf("open escalations after the late check-in: %+v", esc)
	}
	as = e.absences(0)
	if len(as) != 1 || as[0].ResolvedAt.IsZero() || as[0].Resolution != "late_checkin" {
		t.Errorf("absence after the late check-in %+v, want it kept and resolved", as)
	}
	if c := e.mustCheckin(dutyDay, "白班", "zhangsan"); c.Status != duty.CheckinLate || c.MinutesLate != 25 {
		t.Errorf("late check-in %+v", c)
	}
	mustContainAll(t, "leader told", textsOf(sentTo(e.sent(), "wangwu")), "空岗解除：张三", "08:55 补签到", "迟到 25 分钟")
	// Fired once more after the check-in: nothing.
	e.fire(duty.KindCheckinGrace, dutyDay, "白班", "zhangsan")
	if len(e.openEscalations()) != 0 || len(e.sent()) != 0 {
		t.Error("the grace deadline after a check-in did something")
	}

	// The leaders' record of the day.
	rec := e.say("wangwu", "签到 记录 12-02")
	mustContainAll(t, "records", rec, "签到记录 12月2日 周三", "【白班 08:30–17:30】", "张三（值班员）08:55 签到，迟到 25 分钟",
		"空岗：张三，08:40 发现", "08:55 补签到解除", "王五（带班领导）未签到", "【夜班", "李四（值班员）未到签到时间")
}

func TestMissedCheckinNotApplying(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "08:20")
	e.say("zhangsan", "签到")
	e.sent()
	e.at(0, "08:40")
	e.fire(duty.KindCheckinGrace, dutyDay, "白班", "zhangsan") // checked in
	e.fire(duty.KindCheckinGrace, dutyDay, "白班", "lisi")     // not on the shift
	e.setRoster(dutyDay, "夜班", "wangwu", "sunba")            // roster changed
	e.at(0, "17:40")
	e.fire(duty.KindCheckinGrace, dutyDay, "夜班", "lisi")
	if as := e.absences(1); len(as) != 0 {
		t.Errorf("absences %+v, want none", as)
	}
	if esc := e.openEscalations(); len(esc) != 0 {
		t.Errorf("escalations %+v, want none", esc)
	}
	if msgs := e.sent(); len(msgs) != 0 {
		t.Errorf("sent %+v, want nothing", msgs)
	}
	// sunba, who is on it now, is absent.
	e.fire(duty.KindCheckinGrace, dutyDay, "夜班", "sunba")
	if as := e.absences(1); len(as) != 1 || as[0].UserID != "sunba" {
		t.Errorf("absences %+v, want sunba's", as)
	}
}

func TestCheckInForHandover(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "17:40")
	e.fire(duty.KindCheckinGrace, dutyDay, "夜班", "lisi")
	if len(e.openEscalations()) != 1 {
		t.Fatal("no escalation")
	}
	e.sent()
	e.at(0, "17:45")
	sr, ok, err := e.svc.shiftRoster(e.ctx, dutyDay, "夜班")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	lisi, err := e.store.Member(e.ctx, "lisi")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.checkInFor(e.ctx, lisi, sr, duty.ViaHandover); err != nil {
		t.Fatal(err)
	}
	c := e.mustCheckin(dutyDay, "夜班", "lisi")
	if c.Via != duty.ViaHandover || c.Status != duty.CheckinLate || c.MinutesLate != 15 {
		t.Errorf("handover check-in %+v", c)
	}
	if len(e.openEscalations()) != 0 {
		t.Error("the handover check-in left the alert open")
	}
	if as := e.absences(0); len(as) != 1 || as[0].Resolution != "handover" {
		t.Errorf("absence %+v, want resolved by the handover", as)
	}
	mustContainAll(t, "leader told", textsOf(sentTo(e.sent(), "wangwu")), "空岗解除：李四")
	// Again: no-op.
	e.at(0, "18:00")
	if err := e.svc.checkInFor(e.ctx, lisi, sr, duty.ViaHandover); err != nil {
		t.Fatal(err)
	}
	if c2 := e.mustCheckin(dutyDay, "夜班", "lisi"); c2.At != c.At {
		t.Errorf("second checkInFor changed the record: %+v", c2)
	}
	if msgs := e.sent(); len(msgs) != 0 {
		t.Errorf("second checkInFor sent %+v", msgs)
	}
}

func TestCheckinReminders(t *testing.T) {
	e := newDutyEnv(t, geofenced())
	e.at(0, "16:30")
	e.fire(duty.KindRemindBefore, dutyDay, "夜班", "lisi")
	e.fire(duty.KindRemindBefore, dutyDay, "夜班", "wangwu")
	e.fire(duty.KindRemindBefore, dutyDay, "夜班", "sunba") // not on it
	msgs := e.sent()
	mustContainAll(t, "an hour before", textsOf(sentTo(msgs, "lisi")), "值班提醒：1 小时后（17:30）夜班 17:30–次日08:30 开班", "值班员",
		"请提前10分钟到岗签到", "17:00 起可签", "需发送位置")
	mustContainAll(t, "leader", textsOf(sentTo(msgs, "wangwu")), "1 小时后", "带班领导")
	if len(sentTo(msgs, "sunba")) != 0 || len(msgs) != 2 {
		t.Errorf("reminders sent %+v, want lisi's and wangwu's", msgs)
	}
	e.at(0, "20:00")
	e.fire(duty.KindRemindEvening, dutyDay.AddDays(1), "白班", "sunba")
	e.fire(duty.KindRemindEvening, dutyDay.AddDays(1), "白班", "zhangsan") // not on it
	msgs = e.sent()
	if len(msgs) != 1 || msgs[0].To != "sunba" {
		t.Fatalf("evening reminders %+v, want sunba's", msgs)
	}
	mustContainAll(t, "evening", msgs[0].Content, "您明天（12月3日 周四）白班 08:30–17:30 值班（值班员）", "请提前10分钟到岗签到", "08:00 起可签")
}

func TestShiftStartSummary(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.setRoster(dutyDay, "白班", "wangwu", "zhangsan", "sunba")
	e.at(0, "08:12")
	e.say("zhangsan", "签到")
	e.sent()
	e.at(0, "08:30")
	e.fire(duty.KindShiftStart, dutyDay, "白班", "")
	msgs := e.sent()
	if len(msgs) != 1 || msgs[0].To != "wangwu" {
		t.Fatalf("shift start sent %+v, want one to the leader", msgs)
	}
	mustContainAll(t, "summary", msgs[0].Content, "开班：12月2日 周三 白班 08:30–17:30", "已签到：张三 08:12（提前到岗）",
		"未签到：孙八（宽限至 08:40")
	e.at(0, "08:31")
	e.say("sunba", "签到")
	e.at(0, "17:30")
	e.say("lisi", "签到")
	e.sent()
	e.fire(duty.KindShiftStart, dutyDay, "夜班", "")
	mustContainAll(t, "all in", textsOf(sentTo(e.sent(), "wangwu")), "已签到：李四 17:30（按时到岗）", "值班员均已到岗")
}

func TestCheckinLocationWithoutGeofence(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	e.at(0, "08:00")
	if r := e.location("zhangsan", farFromRoom[0], farFromRoom[1]); r != "" {
		t.Errorf("a location with no geofence answered %q", r)
	}
	if _, err := e.duty.LastLocation(e.ctx, "zhangsan"); !errors.Is(err, duty.ErrNotFound) {
		t.Errorf("a location with no geofence was kept: %v", err)
	}
	mustContainAll(t, "no location needed", e.say("zhangsan", "签到"), "签到成功")
	if c := e.mustCheckin(dutyDay, "白班", "zhangsan"); c.Via != duty.ViaChat || c.HasLocation {
		t.Errorf("stored %+v, want via chat without a location", c)
	}
}
