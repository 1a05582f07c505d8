package browsertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dutybot/internal/demo"
	"dutybot/roster"
)

// loginToBoard signs in through the console's demo login (the fake WeCom
// OAuth flow) as user and waits for the board.
func loginToBoard(url, user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url+"/console/login"),
		chromedp.Click(chromedp.CSS(`a[data-login-as="`+user+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#duty-board`)),
	)
}

// boardRow is the board's row of a member on a shift.
func boardRow(user, shift string) string {
	return fmt.Sprintf(`#duty-board tr[data-member=%q][data-shift=%q]`, user, shift)
}

func TestBoardRendersTodaysRoster(t *testing.T) {
	ctx := newBrowser(t) // first: skips at once without a browser
	o := startOffice(t)
	run(t, ctx, "log in to the board as 赵六", loginToBoard(o.url, "zhaoliu"))
	shot(t, ctx, "board")

	// Every assignment of today (office time) has its row, none checked in.
	a := o.demo.App
	today := roster.DateOf(time.Now(), a.Location)
	as, err := a.Store.Assignments(context.Background(), today, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) == 0 {
		t.Fatal("the demo has no assignments today")
	}
	for _, x := range as {
		row := boardRow(x.UserID, x.Shift)
		got := get(t, ctx, "the row of "+x.String(), chromedp.AttributeValue(chromedp.CSS(row), "data-checked-in"))
		if got.Value != "no" {
			t.Errorf("%s: data-checked-in=%q before anyone checked in, want no", row, got.Value)
		}
	}
	rows := get(t, ctx, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll("#duty-board tr[data-member]").length`))
	if rows != len(as) {
		t.Errorf("the board has %d rows, today has %d assignments", rows, len(as))
	}
	run(t, ctx, "the week's roster", chromedp.WaitVisible(chromedp.CSS(`#week-board`)))
}

func TestBoardCheckInInSimulatorUpdatesTheBoard(t *testing.T) {
	board := newBrowser(t)
	o := startOffice(t)
	row := boardRow(demo.StoryOfficer, demo.StoryShift)
	run(t, board, "log in to the board", loginToBoard(o.url, "zhaoliu"),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-checked-in="no"]`)))

	sim := newTab(t, board)
	run(t, sim, "check in as 张三 in the simulator", openSimulator(o.url), chooseMember(demo.StoryOfficer), say("签到"), botSaid("签到成功"))

	// The board's tab was not reloaded: the update came by its events.
	run(t, board, "the board shows the check-in", chromedp.WaitVisible(chromedp.CSS(row+`[data-checked-in="yes"]`)))
	shot(t, board, "checked-in")
}

func TestBoardEscalationCountdownVanishesWhenAckedFromThePhone(t *testing.T) {
	board := newBrowser(t)
	o := startOffice(t)
	run(t, board, "log in to the board", loginToBoard(o.url, "zhaoliu"))

	sim := newTab(t, board)
	run(t, sim, "file a 重大 report in the simulator", openSimulator(o.url),
		chromedp.Click(chromedp.CSS(`button[data-do-text^="报告 重大"]`)), botSaid("已报送快报"))

	item := `#escalations li[data-escalation]`
	run(t, board, "the escalation on the board, with its countdown", chromedp.WaitVisible(chromedp.CSS(item+` span.countdown[data-deadline]`)))
	id := get(t, board, "read the escalation id", chromedp.AttributeValue(chromedp.CSS(item), "data-escalation")).Value
	deadline := get(t, board, "read the deadline", chromedp.AttributeValue(chromedp.CSS(item+` span.countdown`), "data-deadline")).Value
	if _, err := time.Parse(time.RFC3339, deadline); err != nil {
		t.Errorf("countdown data-deadline %q is not RFC 3339: %v", deadline, err)
	}
	shot(t, board, "escalation")

	// Acknowledge on the phone of the leader on duty, who got the push.
	leader := leaderWithPhone(t, o)
	run(t, sim, "确认 on "+leader+"'s phone",
		chromedp.Click(chromedp.CSS(`#phone-tabs button[data-phone="`+leader+`"]`)),
		chromedp.Click(chromedp.CSS(`button[data-phone-ack="`+id+`"]`)))
	run(t, board, "the escalation leaves the board", chromedp.WaitNotPresent(chromedp.CSS(`#escalations li[data-escalation="`+id+`"]`)))
	shot(t, board, "acked")
}
