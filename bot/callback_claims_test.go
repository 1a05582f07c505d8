package bot

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/roster"
)

// acceptTexts has svc accept n text callbacks from three non-members.
func acceptTexts(t *testing.T, svc *Service, n int) {
	t.Helper()
	for i := range n {
		raw := fmt.Appendf(nil, `<xml><ToUserName>corp</ToUserName><FromUserName>u%d</FromUserName><CreateTime>1764666000</CreateTime>`+
			`<MsgType>text</MsgType><Content>帮助</Content><MsgId>%d</MsgId><AgentID>1</AgentID></xml>`, i%3, 1000+i)
		msg, err := wecom.ParseMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		if isNew, err := svc.Accept(context.Background(), msg, raw); err != nil || !isNew {
			t.Fatalf("Accept = %v, %v", isNew, err)
		}
	}
}

func unprocessedCount(t *testing.T, s *roster.SQLStore) int {
	t.Helper()
	rs, err := s.Unprocessed(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// The callbacks an instance accepted and did not process before it died
// are processed by another instance once their claims lapse, each once;
// while the claims are live (the instance is working on them), neither a
// restarting instance nor the sweep takes them.
func TestCallbacksOfADeadInstanceAreTakenOver(t *testing.T) {
	clk := clock.NewFake(obStart)
	a, b := claimStores(t, clk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	sender := &tallySender{count: map[string]int{}}
	dead := New(Config{Store: a, Sender: sender, Clock: clk, Log: log, Instance: "dead"})
	const n = 7
	acceptTexts(t, dead, n) // accepted (claimed) and never processed: "dead" never runs
	alive := New(Config{Store: b, Sender: sender, Clock: clk, Log: log, Instance: "alive"})
	if got, err := alive.Recover(ctx); err != nil || got != 0 {
		t.Fatalf("Recover while the claims are live = %d, %v; want 0", got, err)
	}
	done := make(chan struct{})
	go func() { defer close(done); alive.Run(ctx) }()
	// The sweep and the outbox each wait on a timer; step by one sweep
	// until the dead instance's claims lapse.
	for clk.Now().Before(obStart.Add(callbackClaimTTL)) {
		if err := clk.BlockUntil(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if k := unprocessedCount(t, b); k != n {
			t.Fatalf("%d callbacks unprocessed while their claims were live, want %d", k, n)
		}
		clk.Advance(callbackSweep)
	}
	if err := clk.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	clk.Advance(callbackSweep)
	deadline := time.Now().Add(obWait)
	for unprocessedCount(t, b) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d callbacks still unprocessed after the takeover", unprocessedCount(t, b))
		}
		time.Sleep(2 * time.Millisecond)
	}
	// One reply each: none was processed twice.
	if k, err := b.CountOutgoing(ctx); err != nil || k != n {
		t.Fatalf("%d replies queued, %v; want %d", k, err, n)
	}
	// Nothing is left to take over, and a restart now finds nothing.
	if got, err := New(Config{Store: a, Sender: sender, Clock: clk, Log: log, Instance: "restarted"}).Recover(ctx); err != nil || got != 0 {
		t.Fatalf("Recover after the takeover = %d, %v; want 0", got, err)
	}
	cancel()
	<-done
}
