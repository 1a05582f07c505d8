package browsertest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dutybot/handlers"
	"dutybot/internal/demo"
	"dutybot/push"
)

// chooseMember picks a member in the simulator's picker as a visitor would.
func chooseMember(user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(`#member`)),
		chromedp.SetValue(chromedp.CSS(`#member`), user),
		script(`document.querySelector("#member").dispatchEvent(new Event("change"))`),
	)
}

// say types text into the chat box and sends it.
func say(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.CSS(`#chat-text`), text),
		chromedp.Click(chromedp.CSS(`#chat-send`)),
	)
}

// botSaid waits for a reply from the bot in the chat pane containing text.
func botSaid(text string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.Search(`//*[@id="chat-log"]/div[contains(@class,"bot")][contains(., "` + text + `")]`))
}

// openSimulator loads /demo/ and waits for the chat form.
func openSimulator(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Navigate(url+"/demo/"), chromedp.WaitVisible(chromedp.CSS(`#chat-form`)))
}

func TestSimulatorCheckInShowsTheBotsReply(t *testing.T) {
	ctx := newBrowser(t) // first: skips at once without a browser
	o := startOffice(t)
	run(t, ctx, "open the simulator", openSimulator(o.url))
	run(t, ctx, "check in as 张三", chooseMember(demo.StoryOfficer), say("签到"))
	run(t, ctx, "the bot's reply", botSaid("签到成功"), botSaid(demo.StoryShift))
	// The visitor's own message is shown too, before the reply.
	mine := get(t, ctx, "the visitor's message", chromedp.Text(chromedp.CSS(`#chat-log .msg.me .text`)))
	if mine != "签到" {
		t.Errorf("the visitor's message shows %q, want 签到", mine)
	}
	shot(t, ctx, "checked-in")

	// The check-in is in the store, for the story's shift.
	got, err := o.demo.App.Duty.Checkin(context.Background(), o.demo.Story.Date, demo.StoryShift, demo.StoryOfficer)
	if err != nil {
		t.Fatalf("check-in of %s in the store: %v", demo.StoryOfficer, err)
	}
	if got.Via != "chat" {
		t.Errorf("check-in via %q, want chat", got.Via)
	}
}

func TestSimulatorReportRingsThePhoneAndAckStopsIt(t *testing.T) {
	ctx := newBrowser(t) // first: skips at once without a browser
	o := startOffice(t)
	run(t, ctx, "open the simulator", openSimulator(o.url))

	// The script's "do it for me" button files a 重大 report as 张三.
	run(t, ctx, "file the report from the script",
		chromedp.Click(chromedp.CSS(`button[data-do-text^="报告 重大"]`)),
		botSaid("已报送快报"))

	// The leader on duty now (a regular shift's: the story's has not begun)
	// has a phone; its pane shows the push with a countdown and 确认.
	leader := leaderWithPhone(t, o)
	open := `#phone-pushes li[data-status="open"]`
	run(t, ctx, "the push on "+leader+"'s phone",
		chromedp.Click(chromedp.CSS(`#phone-tabs button[data-phone="`+leader+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(open+` .countdown`)))
	id := get(t, ctx, "read the push's escalation", chromedp.AttributeValue(chromedp.CSS(open), "data-escalation")).Value
	title := get(t, ctx, "read the push's title", chromedp.Text(chromedp.CSS(open+` .push-title`)))
	if id == "" || !strings.Contains(title, "重大") {
		t.Fatalf("push for escalation %q, title %q; want an id and a 重大 title", id, title)
	}
	shot(t, ctx, "pushed")

	run(t, ctx, "acknowledge from the phone",
		chromedp.Click(chromedp.CSS(`button[data-phone-ack="`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#phone-pushes li[data-escalation="`+id+`"][data-status="acked"]`)))
	shot(t, ctx, "acked")

	esc, err := o.demo.App.Escalations.Escalation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if esc.Kind != push.KindReportMajor || esc.Status != push.StatusAcked || esc.AckedBy != leader || esc.AckedVia != handlers.AckViaPush {
		t.Errorf("escalation %s after 确认: kind %s, status %s, acked by %q via %q; want %s acked by %s via %s (POST /api/v1/acks)",
			id, esc.Kind, esc.Status, esc.AckedBy, esc.AckedVia, push.KindReportMajor, leader, handlers.AckViaPush)
	}
}

// leaderWithPhone is a leader on duty now who has a demo phone: the first
// step of the report policies pushes to them.
func leaderWithPhone(t *testing.T, o *office) string {
	t.Helper()
	leaders, err := o.demo.LeadersOnDuty(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range o.demo.Phones() {
		if slices.Contains(leaders, p.UserID) {
			return p.UserID
		}
	}
	t.Fatalf("no leader on duty (%v) has a demo phone (%+v)", leaders, o.demo.Phones())
	return ""
}
