package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"dutybot/roster"
	"dutybot/roster/duty"
)

type sseEvent struct{ name, data string }

// subscribe opens /console/events and delivers its events on a channel.
func (e *env) subscribe(ctx context.Context, c *http.Client) <-chan sseEvent {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/console/events", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		e.t.Fatalf("events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ev.data = strings.Join(data, "\n")
					out <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return out
}

// next waits for the next event called name.
func next(t *testing.T, ctx context.Context, events <-chan sseEvent, name string) string {
	t.Helper()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended before %q", name)
			}
			if ev.name == name {
				return ev.data
			}
		case <-ctx.Done():
			t.Fatalf("no %q event: %v", name, ctx.Err())
		}
	}
}

func TestEventsAfterCheckinAndAck(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := e.raise("测试告警")
	leader := e.login("wangwu")
	csrf := e.csrf(leader)
	events := e.subscribe(ctx, leader)
	board := next(t, ctx, events, "board")
	if !strings.Contains(board, `data-member="zhangsan" data-shift="白班" data-checked-in="no"`) {
		t.Fatalf("first board event:\n%s", board)
	}
	if esc := next(t, ctx, events, "escalations"); !strings.Contains(esc, `data-escalation="`+id+`"`) || !strings.Contains(esc, `data-ack="`+id+`"`) {
		t.Fatalf("first escalations event:\n%s", esc)
	}

	// zhangsan checks in through the bot; the board learns of it on its
	// next re-read.
	if err := e.clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.duty.AddCheckin(ctx, duty.Checkin{Date: roster.NewDate(2026, 11, 23), Shift: "白班", UserID: "zhangsan",
		Role: roster.RoleOfficer, At: e.clk.Now(), Status: duty.CheckinLate, MinutesLate: 30, Via: duty.ViaChat}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(5 * time.Second)
	board = next(t, ctx, events, "board")
	if !strings.Contains(board, `data-member="zhangsan" data-shift="白班" data-checked-in="yes"`) || !strings.Contains(board, "迟到 30 分钟") {
		t.Fatalf("board after the check-in:\n%s", board)
	}

	// An ack from the console wakes the stream at once (no clock advance).
	if err := e.clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	resp, _ := e.do(leader, "POST", "/console/escalations/"+id+"/ack", url.Values{"csrf": {csrf}})
	if resp.StatusCode != 200 {
		t.Fatalf("ack: %s", resp.Status)
	}
	// (An escalations event may be on its way from the advance above, its
	// countdown a minute shorter.)
	for strings.Contains(next(t, ctx, events, "escalations"), `data-escalation="`+id+`"`) {
	}
}

func TestEventsNeedLogin(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.do(e.client(), "GET", "/console/events", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("events without a session: %s, want 401", resp.Status)
	}
}

func TestShutdownEndsEvents(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := e.subscribe(ctx, e.login("zhangsan"))
	next(t, ctx, events, "board")
	e.con.Shutdown()
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-ctx.Done():
			t.Fatal("the event stream outlived Shutdown")
		}
	}
}
