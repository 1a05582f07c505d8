package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/push"
	"dutybot/roster"
)

// phoneSender stands in for APNs: it records every push.
type phoneSender struct {
	mu   sync.Mutex
	sent []push.Notification
}

func (p *phoneSender) Send(ctx context.Context, ns []push.Notification) []push.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]push.Result, len(ns))
	for i, n := range ns {
		p.sent = append(p.sent, n)
		out[i] = push.Result{Status: push.Delivered, ProviderID: "apns-id-" + n.EscalationID, Attempts: 1}
	}
	return out
}

func (p *phoneSender) all() []push.Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]push.Notification(nil), p.sent...)
}

// card returns the template card JSON of an alert message.
func card(t *testing.T, s wecomtest.Sent) string {
	t.Helper()
	if s.MsgType != "template_card" {
		t.Fatalf("message to %s is %s, want a template card: %s", s.ToUser, s.MsgType, s.Content)
	}
	return string(s.JSON)
}

func TestE2EEscalationAckByCardLinkAndChat(t *testing.T) {
	phone := &phoneSender{}
	e := newE2EWith(t, WithPushSenders(map[push.Platform]push.Sender{push.IOS: phone}))
	ctx := context.Background()
	e.addMembers(roster.Member{UserID: "zhaoliu", Name: "赵六", Roles: []roster.Role{roster.RoleAdmin}})
	// boss pairs an iPhone.
	code, err := e.app.Escalations.NewPairingCode(ctx, "boss", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.Escalations.ClaimPairing(ctx, code, push.Device{Platform: push.IOS, Token: "abcd1234", Topic: "cn.duty"}); err != nil {
		t.Fatal(err)
	}

	// An admin raises a test alert: every admin is told in WeCom and boss's
	// phone gets a push carrying a signed ack link.
	// boss gets the alert (an admin) and the command's reply.
	e.post(e.text("boss", "告警 测试"))
	both := e.waitSent("boss", 2)
	wantAll(t, both[0].Content+both[1].Content, "已发起测试告警 E1123-001")
	// Alerts arrive as template cards with a 确认 button and the link.
	alert := card(t, e.waitSent("zhaoliu", 1)[0])
	wantAll(t, alert, `"task_id":"E1123-001_0_0_zhaoliu"`, "测试告警", "E1123-001 · 第 1 步", `"key":"ack:E1123-001"`, "/ack/")
	pushes := phone.all()
	if len(pushes) != 1 || pushes[0].EscalationID != "E1123-001" || !strings.Contains(pushes[0].AckURL, "/ack/") {
		t.Fatalf("pushes = %+v", pushes)
	}

	// The link in the push: GET only shows a confirm page (a link preview
	// must not acknowledge), POST acknowledges.
	link, err := url.Parse(pushes[0].AckURL)
	if err != nil {
		t.Fatal(err)
	}
	get := func(method string) (int, string) {
		req, _ := http.NewRequest(method, e.srv.URL+link.Path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, page := get(http.MethodGet); code != 200 || !strings.Contains(page, "<button") {
		t.Fatalf("GET ack page = %d %s", code, page)
	}
	if esc, _ := e.app.Escalations.Escalation(ctx, "E1123-001"); esc.Status != push.StatusOpen {
		t.Fatalf("GET acknowledged the alert: %+v", esc)
	}
	if code, page := get(http.MethodPost); code != 200 || !strings.Contains(page, "已确认") {
		t.Fatalf("POST ack = %d %s", code, page)
	}
	esc, _ := e.app.Escalations.Escalation(ctx, "E1123-001")
	if esc.Status != push.StatusAcked || esc.AckedBy != "boss" || esc.AckedVia != "link" {
		t.Fatalf("after link ack: %+v", esc)
	}
	// Every alert card already sent now shows who took it (each with the
	// response code WeCom returned when it was sent).
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	taken := func(user, label string) {
		t.Helper()
		if _, err := e.fake.WaitUpdates(waitCtx, 1, func(u wecomtest.Update) bool {
			return slices.Equal(u.UserIDs, []string{user}) && u.ReplaceName == label
		}); err != nil {
			t.Fatalf("%s's card not updated to %q: %v (updates: %+v)", user, label, err, e.fake.Updates())
		}
	}
	taken("zhaoliu", "已由 boss 于 09:00 确认")
	taken("boss", "已由 boss 于 09:00 确认")
	// A forged link is refused.
	if code, _ := get(http.MethodPost); code != 200 {
		t.Fatalf("second POST = %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/ack/forged.token", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged link: %v %v", resp, err)
	}

	// A second alert, acknowledged with the card's button by the other
	// admin: their card turns into a note of who took it.
	n := len(e.fake.SentTo("boss"))
	e.post(e.text("boss", "告警 测试"))
	e.waitSent("boss", n+2)
	second := e.waitSent("zhaoliu", 2)[1]
	wantAll(t, e.say("zhaoliu", "告警"), "E1123-002 测试告警")
	respCode := e.fake.NewResponseCode(second.TaskID)
	e.post(wecomtest.TemplateCardEventXML(e2eCorp, "zhaoliu", "ack:E1123-002", second.TaskID, respCode, "button_interaction", e.clock.Now(), e2eAgent))
	// Both admins' E1123-002 cards turn into a note of who took it.
	taken("zhaoliu", "已由 赵六 于 09:00 确认")
	taken("boss", "已由 赵六 于 09:00 确认")
	if esc, _ := e.app.Escalations.Escalation(ctx, "E1123-002"); esc.AckedBy != "zhaoliu" || esc.AckedVia != "card" {
		t.Fatalf("after card ack: %+v", esc)
	}
	wantAll(t, e.say("boss", "确认 E1123-002"), "已由 zhaoliu")

	// A third, acknowledged in chat (the id in lower case is fine).
	n = len(e.fake.SentTo("boss"))
	nz := len(e.fake.SentTo("zhaoliu"))
	e.post(e.text("boss", "告警 测试"))
	e.waitSent("boss", n+2)
	e.waitSent("zhaoliu", nz+1) // the alert card
	wantAll(t, e.say("zhaoliu", "确认 e1123-003"), "已确认告警 E1123-003")
	wantAll(t, e.say("zhaoliu", "确认 E9999-001"), "没有编号为「E9999-001」的告警")
	wantAll(t, e.say("zhangsan", "策略 查看"), "仅限管理员")
	wantAll(t, e.say("boss", "策略 查看"), "report_major（紧急（穿透静音）", "当班带班领导")
	log := e.say("boss", "通知 记录 E1123-001")
	wantAll(t, log, "由 boss", "通过 link 确认", "push → boss/", "(apns-id-E1123-001)", "wecom → zhaoliu：queued")
	if regexp.MustCompile(`wecom → boss：queued`).FindString(log) == "" {
		t.Errorf("delivery log lacks boss's WeCom message:\n%s", log)
	}
	// Once boss has left (deactivated), the link he was sent stops working.
	if err := e.app.Store.UpsertMember(ctx, roster.Member{UserID: "boss", Name: "王五", Active: false}); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(http.MethodGet); code != http.StatusForbidden {
		t.Errorf("a deactivated member's link answered %d, want 403", code)
	}
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantAll(t, string(metricsText), `dutybot_escalations_total{kind="test"} 3`,
		`dutybot_alert_notifications_total{channel="push",status="delivered"}`, "dutybot_escalation_ack_seconds_count 3")
}

func TestE2EEscalationSurvivesRestart(t *testing.T) {
	phone := &phoneSender{}
	e := newE2EWith(t, WithPushSenders(map[push.Platform]push.Sender{push.IOS: phone}))
	ctx := context.Background()
	// Raise directly (as the duty flows will) with a policy whose second
	// step reaches every leader.
	e.addMembers(roster.Member{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}})
	esc, err := e.app.Engine.Raise(ctx, push.Event{Kind: push.KindMissedCheckin, Subject: "2026-11-23/白班/zhangsan", Title: "白班空岗：张三未签到"})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody is on duty, so step 1 falls back to the admin.
	wantAll(t, card(t, e.waitSent("boss", 1)[0]), esc.ID, "白班空岗")

	// The server stops before the 5-minute wait ends and comes back after it.
	e.restart()
	ctxT, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The restarted engine re-arms the open escalation; the clock passes
	// the deadline and step 2 (every leader and the admins) fires once.
	if err := e.clock.BlockUntil(ctxT, 1); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Minute)
	wantAll(t, card(t, e.waitSent("wangwu", 1)[0]), esc.ID, "第 2 步")
	e.waitSent("boss", 2)
	stored, err := e.app.Escalations.Escalation(ctx, esc.ID)
	if err != nil || stored.Step != 1 {
		t.Fatalf("after restart: %+v, %v", stored, err)
	}
	// The late check-in resolves it: nothing more is sent.
	if ids, err := e.app.Engine.Resolve(ctx, push.KindMissedCheckin, "2026-11-23/白班/zhangsan"); err != nil || len(ids) != 1 {
		t.Fatalf("Resolve = %v, %v", ids, err)
	}
	if n := len(e.fake.SentTo("wangwu")); n != 1 {
		t.Fatalf("wangwu got %d messages, want 1", n)
	}
}
