package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// The duty-flow tests share one environment: a Service on a real SQLite
// store with the duty records, the real escalation engine (WeCom only, no
// phones) and a duty scheduler that is not running — tests hand deadlines
// to HandleDeadline themselves (dutyEnv.fire) or read what was planned.
// Nothing is sent: the messages the bot queues stay pending in the outbox,
// where dutyEnv.sent reads them.

// dutyDay is Wednesday 2026-12-02; the default shifts are 白班 08:30–17:30
// and 夜班 17:30–次日08:30 (Asia/Shanghai).
var dutyDay = roster.NewDate(2026, 12, 2)

// dutyStart is 07:50 on dutyDay in Shanghai.
var dutyStart = time.Date(2026, 12, 1, 23, 50, 0, 0, time.UTC)

type dutyEnv struct {
	t     testing.TB
	ctx   context.Context
	store *roster.SQLStore
	duty  *duty.SQLStore
	// incidents keeps the reports and 批示 (incident.DefaultSettings).
	incidents *incident.SQLStore
	esc       *push.SQLStore
	engine    *push.Engine
	sched     *duty.Scheduler
	clock     *clock.Fake
	svc       *Service
	loc       *time.Location
	// seen counts the outgoing rows already returned by sent.
	seen int64
}

// dutyMembers are the office: 张三, 李四 and 孙八 (officers), 王五 (leader),
// 赵六 (admin).
var dutyMembers = []roster.Member{
	{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	{UserID: "sunba", Name: "孙八", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
	{UserID: "zhaoliu", Name: "赵六", Roles: []roster.Role{roster.RoleAdmin}, Active: true},
}

// newDutyEnv builds the environment with settings set (duty.DefaultSettings
// when zero) and the roster: 白班 张三 + 王五 and 夜班 李四 + 王五 on dutyDay,
// 白班 孙八 + 王五 on the day after.
func newDutyEnv(t testing.TB, set duty.Settings) *dutyEnv {
	t.Helper()
	if set == (duty.Settings{}) {
		set = duty.DefaultSettings()
	}
	ctx := context.Background()
	clk := clock.NewFake(dutyStart)
	store, err := roster.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dutybot.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, m := range dutyMembers {
		if err := store.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testLogWriter{t}, nil))
	}
	e := &dutyEnv{t: t, ctx: ctx, store: store, clock: clk, loc: loc}
	e.svc = New(Config{Store: store, Clock: clk, Log: log, Location: loc})
	e.esc = push.NewSQLStore(store, clk)
	e.engine = push.NewEngine(push.EngineConfig{
		Store: e.esc, Policies: push.DefaultPolicies(), Notifier: e.svc, Clock: clk, Location: loc, Log: log,
		Resolver: push.RosterTargets{Store: store, Settings: roster.DefaultSettings(), Location: loc},
	})
	e.svc.AttachEscalations(e.engine, e.esc)
	e.duty = duty.NewSQLStore(store, clk)
	e.sched = duty.NewScheduler(duty.SchedulerConfig{Store: e.duty, Handler: e.svc, Planner: e.svc, Clock: clk, Log: log})
	e.svc.AttachDuty(DutyConfig{Store: e.duty, Scheduler: e.sched, Settings: set})
	e.incidents = incident.NewSQLStore(store, clk, loc)
	e.svc.AttachIncidents(IncidentConfig{Store: e.incidents, Settings: incident.DefaultSettings()})
	e.setRoster(dutyDay, "白班", "wangwu", "zhangsan")
	e.setRoster(dutyDay, "夜班", "wangwu", "lisi")
	e.setRoster(dutyDay.AddDays(1), "白班", "wangwu", "sunba")
	return e
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// setRoster makes leader and officers the people of one slot.
func (e *dutyEnv) setRoster(d roster.Date, shift, leader string, officers ...string) {
	e.t.Helper()
	var as []roster.Assignment
	if leader != "" {
		as = append(as, roster.Assignment{Date: d, Shift: shift, Role: roster.RoleLeader, UserID: leader, Source: roster.SourceManual})
	}
	for _, o := range officers {
		as = append(as, roster.Assignment{Date: d, Shift: shift, Role: roster.RoleOfficer, UserID: o, Source: roster.SourceManual})
	}
	err := e.store.ReplaceSlots(e.ctx, []roster.Slot{{Date: d, Shift: shift}}, as,
		roster.AuditEntry{Actor: "test", Action: "排班 设置", Subject: d.String() + " " + shift})
	if err != nil {
		e.t.Fatal(err)
	}
}

// at moves the fake clock to hh:mm office time on dutyDay (plus days).
func (e *dutyEnv) at(days int, hhmm string) {
	e.t.Helper()
	c, err := roster.ParseClock(hhmm)
	if err != nil {
		e.t.Fatal(err)
	}
	want := dutyDay.AddDays(days).At(c, e.loc)
	d := want.Sub(e.clock.Now())
	if d < 0 {
		e.t.Fatalf("at(%d, %s): the clock is already past it (%s)", days, hhmm, e.clock.Now().In(e.loc))
	}
	e.clock.Advance(d)
}

// say routes text from userID as a typed message and returns the reply
// (several replies joined by a blank line).
func (e *dutyEnv) say(userID, text string) string {
	e.t.Helper()
	return e.callback(wecom.Message{MsgType: wecom.TypeText, FromUserName: userID, Content: text})
}

// click is userID tapping a card button with key.
func (e *dutyEnv) click(userID, key string) string {
	e.t.Helper()
	return e.callback(wecom.Message{MsgType: wecom.TypeEvent, Event: wecom.EventTemplateCard, FromUserName: userID,
		EventKey: key, TaskID: "task-" + key, ResponseCode: "rc-" + key})
}

// location is userID sending a location message.
func (e *dutyEnv) location(userID string, lat, lng float64) string {
	e.t.Helper()
	return e.callback(wecom.Message{MsgType: wecom.TypeLocation, FromUserName: userID, LocationX: lat, LocationY: lng, Label: "值班室"})
}

func (e *dutyEnv) callback(msg wecom.Message) string {
	e.t.Helper()
	msg.CreateTime = e.clock.Now().Unix()
	var out []string
	for _, r := range e.svc.respond(e.ctx, msg) {
		out = append(out, r.Text)
	}
	return strings.Join(out, "\n\n")
}

// fire hands the deadline of kind for a slot (and member) to the handler,
// as the scheduler does when it is due, and fails the test on an error.
func (e *dutyEnv) fire(kind string, d roster.Date, shift, userID string) {
	e.t.Helper()
	key := duty.SlotKey(kind, d, shift, userID)
	if err := e.svc.HandleDeadline(e.ctx, duty.Deadline{Key: key, Kind: kind, Date: d, Shift: shift, UserID: userID, DueAt: e.clock.Now()}); err != nil {
		e.t.Fatalf("HandleDeadline(%s): %v", key, err)
	}
}

// planned lists the open deadlines in the store.
func (e *dutyEnv) planned() []duty.Deadline {
	e.t.Helper()
	ds, err := e.duty.OpenDeadlines(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// sentMsg is one message the bot queued.
type sentMsg struct {
	To, Kind, Content, Ref string
}

// sent returns the messages queued since the last call, in order.
func (e *dutyEnv) sent() []sentMsg {
	e.t.Helper()
	rows, err := e.store.PendingOutgoing(e.ctx, e.seen, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []sentMsg
	for _, r := range rows {
		out = append(out, sentMsg{To: r.ToUser, Kind: r.Kind, Content: r.Content, Ref: r.Ref})
		e.seen = r.ID
	}
	return out
}

// sentTo filters msgs to one member.
func sentTo(msgs []sentMsg, userID string) []sentMsg {
	var out []sentMsg
	for _, m := range msgs {
		if m.To == userID {
			out = append(out, m)
		}
	}
	return out
}

// openEscalations lists the open escalations.
func (e *dutyEnv) openEscalations() []push.Escalation {
	e.t.Helper()
	es, err := e.esc.OpenEscalations(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// mustContain fails unless s contains every part.
func mustContainAll(t testing.TB, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s = %q\nwant it to contain %q", what, s, p)
		}
	}
}

func TestDutyPlanFromRoster(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	if err := e.sched.PlanNow(e.ctx); err != nil {
		t.Fatal(err)
	}
	keys := make(map[string]time.Time)
	for _, d := range e.planned() {
		keys[d.Key] = d.DueAt.In(e.loc)
	}
	day := dutyDay.String()
	next := dutyDay.AddDays(1).String()
	for _, tc := range []struct {
		key  string
		want string // office time
	}{
		{"checkin_grace/" + day + "/白班/zhangsan", day + " 08:40"},
		{"remind_before/" + day + "/白班/zhangsan", ""}, // 07:30: already past at 07:50
		{"shift_start/" + day + "/白班", day + " 08:30"},
		{"handover_due/" + day + "/白班", day + " 18:00"},
		{"checkin_grace/" + day + "/夜班/lisi", day + " 17:40"},
		{"remind_before/" + day + "/夜班/lisi", day + " 16:30"},
		{"remind_before/" + day + "/夜班/wangwu", day + " 16:30"},
		{"handover_due/" + day + "/夜班", next + " 09:00"},
		{"remind_evening/" + next + "/白班/sunba", day + " 20:00"},
		{"coverage/" + next + "/白班", day + " 08:30"},
		{"coverage/" + next + "/夜班", day + " 17:30"}, // runs, nobody on it
	} {
		got, ok := keys[tc.key]
		switch {
		case tc.want == "" && ok:
			t.Errorf("%s planned at %s; it is in the past", tc.key, got)
		case tc.want != "" && !ok:
			t.Errorf("%s not planned", tc.key)
		case tc.want != "" && got.Format("2006-01-02 15:04") != tc.want:
			t.Errorf("%s at %s, want %s", tc.key, got.Format("2006-01-02 15:04"), tc.want)
		}
	}
	// Planning again adds nothing.
	before := len(e.planned())
	if err := e.sched.PlanNow(e.ctx); err != nil {
		t.Fatal(err)
	}
	if after := len(e.planned()); after != before {
		t.Errorf("second plan: %d deadlines, want %d", after, before)
	}
}

// TestHelpFitsWeCom keeps 帮助 and the unknown-command reply within WeCom's
// 2,048-byte text limit with every command registered, and 帮助 <命令>
// explains one command.
func TestHelpFitsWeCom(t *testing.T) {
	e := newDutyEnv(t, duty.Settings{})
	admin := "zhaoliu"
	if err := e.store.GrantRole(e.ctx, admin, roster.RoleLeader); err != nil {
		t.Fatal(err)
	}
	if err := e.store.GrantRole(e.ctx, admin, roster.RoleOfficer); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"帮助", "吃饭", "help"} {
		reply := e.say(admin, text)
		if len(reply) > 2048 {
			t.Errorf("%s as an admin, leader and officer: %d bytes, over WeCom's 2,048", text, len(reply))
		}
		mustContainAll(t, text, reply, "签到 / checkin", "查岗", "交班", "换班", "同步通讯录 / sync")
	}
	for _, tc := range []struct {
		user, text string
		want       []string
	}{
		{"zhangsan", "帮助 签到", []string{"签到", "checkin"}},
		{"zhangsan", "help checkin", []string{"签到"}},
		{"zhangsan", "帮助 同步通讯录", []string{"「同步通讯录」仅限管理员使用"}},
		{"zhangsan", "帮助 吃饭", []string{"没有「吃饭」这个命令", "签到 / checkin"}},
	} {
		mustContainAll(t, tc.text, e.say(tc.user, tc.text), tc.want...)
	}
}

// BenchmarkCheckinCommand is one officer's 签到 through the conversation
// layer on SQLite: find the member's shift in the roster, classify, store
// the check-in (one write through the group committer). The white shift
// has 10 officers; once all have checked in, the clock moves to the next
// day (untimed) and they check in again.
func BenchmarkCheckinCommand(b *testing.B) {
	e := newDutyEnv(b, duty.Settings{})
	const officers = 10
	ids := make([]string, officers)
	for i := range ids {
		ids[i] = fmt.Sprintf("officer%02d", i)
		if err := e.store.UpsertMember(e.ctx, roster.Member{UserID: ids[i], Name: ids[i], Roles: []roster.Role{roster.RoleOfficer}, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	day, i := -1, officers
	for b.Loop() {
		if i == officers {
			b.StopTimer()
			day, i = day+1, 0
			e.setRoster(dutyDay.AddDays(day), "白班", "wangwu", ids...)
			e.at(day, "08:20")
			b.StartTimer()
		}
		if reply := e.say(ids[i], "签到"); !strings.Contains(reply, "签到成功") {
			b.Fatalf("签到 by %s on day %d: %q", ids[i], day, reply)
		}
		i++
	}
}

// BenchmarkPlanDeadlines plans the duty deadlines of four days for an
// office of 200 officers on three shifts (what happens hourly and after
// every roster change).
func BenchmarkPlanDeadlines(b *testing.B) {
	e := newDutyEnv(b, duty.Settings{})
	var ids []string
	for i := range 200 {
		id := fmt.Sprintf("officer%03d", i)
		ids = append(ids, id)
		if err := e.store.UpsertMember(e.ctx, roster.Member{UserID: id, Name: id, Roles: []roster.Role{roster.RoleOfficer}, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	for d := -1; d <= planDays; d++ {
		e.setRoster(dutyDay.AddDays(d), "白班", "wangwu", ids[:100]...)
		e.setRoster(dutyDay.AddDays(d), "夜班", "wangwu", ids[100:]...)
	}
	var n int
	for b.Loop() {
		ds, err := e.svc.Plan(e.ctx, e.clock.Now())
		if err != nil {
			b.Fatal(err)
		}
		n = len(ds)
	}
	b.ReportMetric(float64(n), "deadlines")
}
