package roster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

// Claims on received callbacks: the holder renews them and nobody else
// takes them; once they lapse another instance takes them all, oldest
// first, and the old holder can no longer renew them; processed callbacks
// are never claimed.
func TestReceivedClaims(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, be dbtest.Backend) {
		const ttl = 5 * time.Second
		clk := clock.NewFake(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
		db := be.NewDB(t)
		a, b := dbtest.OpenAt(t, db, clk), dbtest.OpenAt(t, db, clk)
		ctx := context.Background()
		if got, err := a.ClaimReceived(ctx, "a", 10, clk.Now().Add(ttl)); err != nil || len(got) != 0 {
			t.Fatalf("ClaimReceived on an empty table = %v, %v", got, err)
		}
		var ids []int64
		for i := range 4 {
			r := &roster.Received{DedupKey: fmt.Sprint("msg:", i), FromUser: "u", MsgType: "text", Raw: []byte("<xml/>"),
				ClaimedBy: "a", ClaimedUntil: clk.Now().Add(ttl)}
			if _, err := a.SaveReceived(ctx, r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		// The fourth is processed: never claimed again.
		if done, err := a.CompleteReceived(ctx, ids[3], nil); err != nil || !done {
			t.Fatalf("CompleteReceived = %v, %v", done, err)
		}
		for range 10 {
			clk.Advance(time.Second)
			if k, err := a.RenewReceived(ctx, "a", ids, clk.Now().Add(ttl)); err != nil || k != 3 {
				t.Fatalf("RenewReceived = %d, %v; want 3", k, err)
			}
			if got, err := b.ClaimReceived(ctx, "b", 10, clk.Now().Add(ttl)); err != nil || len(got) != 0 {
				t.Fatalf("b claimed %d live callbacks, %v", len(got), err)
			}
		}
		if k, err := b.RenewReceived(ctx, "b", ids, clk.Now().Add(time.Hour)); err != nil || k != 0 {
			t.Fatalf("RenewReceived by another owner = %d, %v; want 0", k, err)
		}
		clk.Advance(ttl + time.Millisecond)
		got, err := b.ClaimReceived(ctx, "b", 10, clk.Now().Add(ttl))
		if err != nil || len(got) != 3 {
			t.Fatalf("b claimed %v, %v; want the 3 lapsed", got, err)
		}
		for i, r := range got {
			if r.ID != ids[i] || r.DedupKey != fmt.Sprint("msg:", i) || string(r.Raw) != "<xml/>" || r.ClaimedBy != "b" {
				t.Errorf("claimed[%d] = %+v, want id %d msg:%d claimed by b", i, r, ids[i], i)
			}
		}
		if k, err := a.RenewReceived(ctx, "a", ids, clk.Now().Add(ttl)); err != nil || k != 0 {
			t.Fatalf("a renewed %d claims b took over, %v; want 0", k, err)
		}
		// Unclaimed rows (a single instance's) count as lapsed.
		r := &roster.Received{DedupKey: "msg:solo", FromUser: "u", MsgType: "text", Raw: []byte("<xml/>")}
		if _, err := a.SaveReceived(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got, err := a.ClaimReceived(ctx, "a", 10, clk.Now().Add(ttl)); err != nil || len(got) != 1 || got[0].ID != r.ID {
			t.Fatalf("claiming an unclaimed callback = %v, %v", got, err)
		}
	})
}
