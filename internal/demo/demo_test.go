package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dutybot/configs"
	"dutybot/push"
	"dutybot/roster"
)

func TestNewStory(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now            string // office time
		start, absence string
		date, next     string
	}{
		{"2026-12-02 20:27:22", "2026-12-02 20:30", "2026-12-02 20:31", "2026-12-02", "2026-12-02"},
		{"2026-12-02 20:28:00", "2026-12-02 20:31", "2026-12-02 20:32", "2026-12-02", "2026-12-02"},
		// Across midnight the second shift belongs to the next day.
		{"2026-12-31 23:40:10", "2026-12-31 23:43", "2026-12-31 23:44", "2026-12-31", "2027-01-01"},
	} {
		now, _ := time.ParseInLocation("2006-01-02 15:04:05", c.now, shanghai)
		s := NewStory(now, shanghai)
		if got := s.Start.Format("2006-01-02 15:04"); got != c.start {
			t.Errorf("%s: story starts %s, want %s", c.now, got, c.start)
		}
		if got := s.Absence.Format("2006-01-02 15:04"); got != c.absence {
			t.Errorf("%s: absence at %s, want %s", c.now, got, c.absence)
		}
		if s.Date.String() != c.date || s.NextDate.String() != c.next {
			t.Errorf("%s: dates %s and %s, want %s and %s", c.now, s.Date, s.NextDate, c.date, c.next)
		}
		if lead := s.Start.Sub(now); lead < StoryLead || lead > StoryLead+time.Minute {
			t.Errorf("%s: story starts %s after now, want %s to %s", c.now, lead, StoryLead, StoryLead+time.Minute)
		}
	}
}

func TestSettingsStaffEveryDayAndKeepTheStoryToItsDay(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, shanghai) // a Wednesday
	st := NewStory(now, shanghai)
	set := Settings(st)
	cal := roster.NewCalendar(nil, set.SpecialPeriods)
	slots, as := roster.Generate(set.Shifts, cal, set.Groups, set.Rotations, st.Date.AddDays(-1), st.Date.AddDays(27))
	if len(slots) == 0 {
		t.Fatal("no slots generated")
	}
	staffed := map[roster.Slot]int{}
	for _, a := range as {
		staffed[a.Slot()]++
		if a.UserID == StoryOfficer || a.UserID == StoryAbsent || a.UserID == StoryIncoming {
			t.Errorf("%s: the story's officers must not be on the regular roster (their 签到 would go there)", a)
		}
	}
	for _, sl := range slots {
		if staffed[sl] != 2 {
			t.Errorf("%s %s has %d people, want a leader and an officer", sl.Date, sl.Shift, staffed[sl])
		}
	}
	// The story's shifts run on the story's day only.
	if got := set.Shifts.On(cal, st.Date).Names(); !strings.Contains(strings.Join(got, ","), StoryShift) {
		t.Errorf("shifts on the story's day %v lack %s", got, StoryShift)
	}
	if got := set.Shifts.On(cal, st.Date.AddDays(1)).Names(); strings.Contains(strings.Join(got, ","), StoryShift) {
		t.Errorf("shifts on the next day %v include %s", got, StoryShift)
	}
}

func TestPoliciesShortenOnlyTheStorysKinds(t *testing.T) {
	built, demo := push.DefaultPolicies(), Policies()
	for kind, p := range demo {
		short := kind != push.KindTest && kind != push.KindUnderstaffed
		for i, s := range p.Steps {
			want := built[kind].Steps[i].Wait
			if short {
				want = EscalationSecondWait
				if i == 0 {
					want = EscalationFirstWait
				}
			}
			if s.Wait != want {
				t.Errorf("%s step %d waits %s, want %s", kind, i, s.Wait, want)
			}
		}
		if p.Repeat != built[kind].Repeat {
			t.Errorf("%s repeats %d, want the built-in %d", kind, p.Repeat, built[kind].Repeat)
		}
	}
	if built[push.KindMissedCheckin].Steps[0].Wait == EscalationFirstWait {
		t.Error("Policies changed the built-in policies")
	}
}

// TestSimulatorEndpoints runs the demo office and drives the simulator's
// JSON endpoints as its page does: chat, card button, phone pane, ack.
func TestSimulatorEndpoints(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := configs.Default()
	cfg.HTTP.Addr = ln.Addr().String()
	cfg.DB = filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithCancel(context.Background())
	// Start as if a minute and a half ago, so the story's shift is running
	// (交班 needs that) and its 空岗 comes during the test or just before.
	d, err := Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now().Add(-StoryLead-90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		d.Close()
	})
	select {
	case <-d.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("phones not paired within 30s")
	}
	if got := len(d.Phones()); got != 3 {
		t.Fatalf("%d phones paired, want 3", got)
	}
	base := d.BaseURL

	post := func(path, body string, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	getJSON := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	// waitFor polls the simulator's state until ok, as the page does.
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			select {
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
		}
	}

	// Bad input is refused with a reason.
	for _, c := range []struct{ body, want string }{
		{`{"as":"nobody","text":"签到"}`, "没有成员"},
		{`{"as":"zhangsan","text":"  "}`, "消息须为"},
		{`not json`, "JSON"},
	} {
		if status, body := post("/demo/chat", c.body, nil); status != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("POST /demo/chat %s: %d %s, want 400 with %q", c.body, status, body, c.want)
		}
	}

	// Chat: 签到 as 张三 gets the check-in reply, after the visitor's message.
	if status, body := post("/demo/chat", `{"as":"zhangsan","text":"签到"}`, nil); status != http.StatusOK {
		t.Fatalf("chat: %d %s", status, body)
	}
	var items []chatItem
	waitFor("the check-in reply", func() bool {
		getJSON("/demo/messages?as=zhangsan", &items)
		return len(items) >= 2
	})
	if items[0].From != "me" || items[0].Text != "签到" || items[1].From != "bot" || !strings.Contains(items[1].Text, "签到成功") {
		t.Fatalf("conversation = %+v", items)
	}

	// A report rings the leader on duty's phone; 确认 through the real API
	// with the phone's credential acknowledges it.
	if status, body := post("/demo/chat", `{"as":"zhangsan","text":"报告 重大 事故灾难 地点 XX路口 两车相撞"}`, nil); status != http.StatusOK {
		t.Fatalf("report: %d %s", status, body)
	}
	leaders, err := d.LeadersOnDuty(ctx, time.Now())
	if err != nil || len(leaders) == 0 {
		t.Fatalf("leaders on duty: %v %v", leaders, err)
	}
	var phone struct {
		Phone  Phone       `json:"phone"`
		Pushes []phonePush `json:"pushes"`
	}
	// (The 空岗 of 李四 may ring the same phone; find the report's push.)
	var p phonePush
	waitFor("the report's push on "+leaders[0]+"'s phone", func() bool {
		getJSON("/demo/phone?user="+leaders[0], &phone)
		for _, x := range phone.Pushes {
			if strings.Contains(x.Title, "重大") {
				p = x
				return true
			}
		}
		return false
	})
	if p.Status != push.StatusOpen || p.NextAt.IsZero() || p.Count != 1 {
		t.Fatalf("push = %+v", p)
	}
	auth := http.Header{"Authorization": {fmt.Sprintf("Device %d:%s", phone.Phone.DeviceID, phone.Phone.Secret)}}
	if status, body := post("/api/v1/acks", `{"escalation_id":"`+p.EscalationID+`"}`, auth); status != http.StatusOK {
		t.Fatalf("ack: %d %s", status, body)
	}
	getJSON("/demo/phone?user="+leaders[0], &phone)
	for _, got := range phone.Pushes {
		if got.EscalationID == p.EscalationID && (got.Status != push.StatusAcked || got.AckedVia != "push") {
			t.Errorf("after the ack the phone shows %+v", got)
		}
	}

	// The handover card reaches 吴浩; its button sends the real card event.
	if status, body := post("/demo/chat", `{"as":"zhangsan","text":"交班 设备正常"}`, nil); status != http.StatusOK {
		t.Fatalf("handover: %d %s", status, body)
	}
	var card *cardView
	waitFor("the handover card for 吴浩", func() bool {
		getJSON("/demo/messages?as="+StoryIncoming, &items)
		for _, it := range items {
			if it.Card != nil && len(it.Card.Buttons) > 0 {
				card = it.Card
			}
		}
		return card != nil
	})
	click, _ := json.Marshal(cardRequest{As: StoryIncoming, Key: card.Buttons[0].Key, TaskID: card.TaskID, ResponseCode: card.ResponseCode, CardType: card.CardType})
	if status, body := post("/demo/card", string(click), nil); status != http.StatusOK {
		t.Fatalf("card click: %d %s", status, body)
	}
	waitFor("the takeover reply and the card's update", func() bool {
		getJSON("/demo/messages?as="+StoryIncoming, &items)
		var replaced, replied bool
		for _, it := range items {
			replaced = replaced || (it.Card != nil && it.Card.Replaced != "")
			replied = replied || (it.From == "bot" && strings.Contains(it.Text, "接班"))
		}
		return replaced && replied
	})

	// The page itself renders with the story and the console link.
	resp, err := http.Get(base + "/demo/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`href="/console/"`, StoryShift, `data-do-text="签到"`, `data-phone="wangwu"`, "张三（zhangsan"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestConfiguredAdminsKeepTheirRoleAfterSeeding(t *testing.T) {
	cfg := configs.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "demo.db")
	cfg.Admins = []string{"zhangsan", "lisi"}
	ctx := context.Background()
	d, err := Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tests := []struct {
		user  string
		admin bool
	}{
		{"zhangsan", true}, // configured
		{"lisi", true},     // configured
		{"zhaoliu", true},  // the demo's own admin
		{"wuhao", false},   // an officer only
	}
	for _, tt := range tests {
		m, err := d.App.Store.Member(ctx, tt.user)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.HasRole(roster.RoleAdmin); got != tt.admin {
			t.Errorf("%s admin = %v, want %v (roles %v)", tt.user, got, tt.admin, m.Roles)
		}
		if !m.HasRole(roster.RoleOfficer) {
			t.Errorf("%s lost the officer role: %v", tt.user, m.Roles)
		}
	}
}
