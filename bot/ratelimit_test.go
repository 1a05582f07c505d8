package bot

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/roster"
)

// rlStep is one step of a memory limiter test: advance the clock, then
// Reserve key n times; every call must return wait (0: allowed).
type rlStep struct {
	advance time.Duration
	key     string
	n       int
	wait    time.Duration
}

func TestMemoryLimiter(t *testing.T) {
	const a, b = "wecom:user:zhangsan", "wecom:user:lisi"
	tests := []struct {
		name   string
		limits []Limit
		steps  []rlStep
	}{
		{
			name:   "31st in a minute waits until the window frees",
			limits: WeComMemberLimits(),
			steps: []rlStep{
				{key: a, n: 30},
				{key: a, n: 1, wait: time.Minute},
				{advance: 59 * time.Second, key: a, n: 3, wait: time.Second},
				{advance: time.Second, key: a, n: 30},
				{key: a, n: 1, wait: time.Minute},
			},
		},
		{
			name:   "sliding window: slots free as the oldest sends leave it",
			limits: WeComMemberLimits(),
			steps: []rlStep{
				{key: a, n: 20},
				{advance: 30 * time.Second, key: a, n: 10},
				{key: a, n: 1, wait: 30 * time.Second},
				{advance: 30 * time.Second, key: a, n: 20},
				{key: a, n: 1, wait: 30 * time.Second},
			},
		},
		{
			name:   "different keys are independent",
			limits: WeComMemberLimits(),
			steps: []rlStep{
				{key: a, n: 30},
				{key: a, n: 1, wait: time.Minute},
				{key: b, n: 30},
				{key: b, n: 1, wait: time.Minute},
				{advance: time.Minute, key: a, n: 1},
			},
		},
		{
			name:   "refused calls are not counted",
			limits: WeComMemberLimits(),
			steps: []rlStep{
				{key: a, n: 30},
				{advance: 10 * time.Second, key: a, n: 50, wait: 50 * time.Second},
				{advance: 50 * time.Second, key: a, n: 30},
			},
		},
		{
			// A call refused by the minute limit must not use up the hour.
			name:   "counted only when every limit allows",
			limits: []Limit{{Rate: 2, Period: time.Minute}, {Rate: 3, Period: time.Hour}},
			steps: []rlStep{
				{key: a, n: 2},
				{key: a, n: 5, wait: time.Minute},
				{advance: time.Minute, key: a, n: 1},
				{key: a, n: 1, wait: time.Hour - time.Minute},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(obStart)
			l := NewMemoryLimiter(clk, tt.limits...)
			for i, st := range tt.steps {
				clk.Advance(st.advance)
				for j := range st.n {
					wait, err := l.Reserve(context.Background(), st.key)
					if err != nil {
						t.Fatalf("step %d call %d: %v", i, j+1, err)
					}
					if wait != st.wait {
						t.Fatalf("step %d (+%v) call %d for %s: wait %v, want %v",
							i, clk.Now().Sub(obStart), j+1, st.key, wait, st.wait)
					}
				}
			}
		})
	}
}

// TestMemoryLimiterHour: the 1001st message in an hour waits for the hour
// window although the minute window is free.
func TestMemoryLimiterHour(t *testing.T) {
	clk := clock.NewFake(obStart)
	l := NewMemoryLimiter(clk, WeComMemberLimits()...)
	reserve := func() time.Duration {
		t.Helper()
		wait, err := l.Reserve(context.Background(), "wecom:user:zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	sent := 0
	for sent < 1000 {
		for range min(30, 1000-sent) {
			if wait := reserve(); wait != 0 {
				t.Fatalf("message %d at +%v: wait %v, want 0", sent+1, clk.Now().Sub(obStart), wait)
			}
			sent++
		}
		if sent < 1000 {
			clk.Advance(time.Minute)
		}
	}
	// 33 full minutes and 10 more: the minute allows, the hour does not
	// until the first message leaves it.
	elapsed := clk.Now().Sub(obStart)
	if elapsed != 33*time.Minute {
		t.Fatalf("elapsed %v, want 33m", elapsed)
	}
	if wait := reserve(); wait != time.Hour-elapsed {
		t.Fatalf("1001st: wait %v, want %v", wait, time.Hour-elapsed)
	}
	clk.Advance(time.Hour - elapsed - time.Second)
	if wait := reserve(); wait != time.Second {
		t.Fatalf("1001st a second early: wait %v, want 1s", wait)
	}
	clk.Advance(time.Second)
	// The first minute's 30 have left the hour.
	for i := range 30 {
		if wait := reserve(); wait != 0 {
			t.Fatalf("after the hour, message %d: wait %v", i+1, wait)
		}
	}
	if wait := reserve(); wait <= 0 {
		t.Fatal("31st in the new minute allowed")
	}
}

// TestMemoryLimiterForgetsIdleKeys: a key with nothing in its longest window
// is dropped.
func TestMemoryLimiterForgetsIdleKeys(t *testing.T) {
	clk := clock.NewFake(obStart)
	l := NewMemoryLimiter(clk, WeComMemberLimits()...)
	ctx := context.Background()
	for i := range 100 {
		if _, err := l.Reserve(ctx, fmt.Sprintf("wecom:user:u%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(30 * time.Minute)
	if _, err := l.Reserve(ctx, "wecom:user:active"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Minute)
	if _, err := l.Reserve(ctx, "wecom:user:new"); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	n, active := len(l.keys), l.keys["wecom:user:active"] != nil
	l.mu.Unlock()
	if n != 2 || !active {
		t.Errorf("after an hour: %d keys (active kept: %v), want only active and new", n, active)
	}
}

func TestMemoryLimiterConcurrent(t *testing.T) {
	clk := clock.NewFake(obStart)
	l := NewMemoryLimiter(clk, WeComMemberLimits()...)
	allowed := make(chan bool, 100)
	for range 100 {
		go func() {
			wait, err := l.Reserve(context.Background(), "wecom:user:zhangsan")
			allowed <- err == nil && wait == 0
		}()
	}
	n := 0
	for range 100 {
		if <-allowed {
			n++
		}
	}
	if n != 30 {
		t.Errorf("%d of 100 concurrent calls allowed, want 30", n)
	}
}

// testRedis connects to DUTYBOT_TEST_REDIS or skips the test.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("DUTYBOT_TEST_REDIS")
	if url == "" {
		t.Skip("DUTYBOT_TEST_REDIS not set (e.g. redis://127.0.0.1:6379/15): skipping the Redis limiter test")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("DUTYBOT_TEST_REDIS: %v", err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis %s: %v", url, err)
	}
	return rdb
}

// TestRedisLimiter runs against real Redis on Redis's own clock, so waits
// are checked within a margin; the limits are chosen so that no wait expires
// during the test.
func TestRedisLimiter(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	run := "test-" + rand.Text()
	t.Cleanup(func() {
		keys, err := rdb.Keys(ctx, "rate:dutybot:"+run+":*").Result()
		if err == nil && len(keys) > 0 {
			err = rdb.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up keys: %v", err)
		}
	})
	key := func(name string) string { return run + ":" + name }
	reserve := func(l Limiter, k string) time.Duration {
		t.Helper()
		wait, err := l.Reserve(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	near := func(got, want time.Duration) bool { return got > want-10*time.Second && got <= want }

	t.Run("WeCom limits: a burst of 15, then one every 4s", func(t *testing.T) {
		l := NewRedisLimiter(rdb, WeComMemberLimits()...)
		a, b := key("zhangsan"), key("lisi")
		for i := range 15 {
			if wait := reserve(l, a); wait != 0 {
				t.Fatalf("message %d: wait %v", i+1, wait)
			}
		}
		for i := range 5 {
			// Refused calls are not counted: the wait does not grow.
			if wait := reserve(l, a); wait <= 0 || wait > 4*time.Second {
				t.Fatalf("refused call %d: wait %v, want (0, 4s]", i+1, wait)
			}
		}
		// Another member is not affected.
		if wait := reserve(l, b); wait != 0 {
			t.Fatalf("other member: wait %v", wait)
		}
	})

	t.Run("never more than Rate in a Period", func(t *testing.T) {
		// 10/min: a burst of 5 and one every 12 s, so at most 10 in a minute.
		l := NewRedisLimiter(rdb, Limit{Rate: 10, Period: time.Minute})
		k := key("window")
		for range 5 {
			if wait := reserve(l, k); wait != 0 {
				t.Fatalf("burst: wait %v", wait)
			}
		}
		if wait := reserve(l, k); !near(wait, 12*time.Second) {
			t.Fatalf("6th: wait %v, want about 12s", wait)
		}
	})

	t.Run("counted only when every limit allows", func(t *testing.T) {
		limits := []Limit{{Rate: 10, Period: time.Minute}, {Rate: 2, Period: time.Hour}}
		l := NewRedisLimiter(rdb, limits...)
		k := key("both")
		if wait := reserve(l, k); wait != 0 {
			t.Fatalf("1st: wait %v", wait)
		}
		// Hour: burst 1, one an hour. The minute allows, the hour refuses.
		for range 3 {
			if wait := reserve(l, k); !near(wait, time.Hour) {
				t.Fatalf("2nd: wait %v, want about 1h", wait)
			}
		}
		// The minute bucket (burst 5) counted only the first call: four
		// more fit, the fifth does not.
		minute := NewRedisLimiter(rdb, limits[0])
		for i := range 4 {
			if wait := reserve(minute, k); wait != 0 {
				t.Fatalf("minute-only call %d: wait %v (refused calls were counted)", i+1, wait)
			}
		}
		if wait := reserve(minute, k); wait <= 0 {
			t.Fatal("minute-only: 6th call allowed")
		}
	})

	t.Run("shared between limiters (instances)", func(t *testing.T) {
		one := NewRedisLimiter(rdb, WeComMemberLimits()...)
		two := NewRedisLimiter(rdb, WeComMemberLimits()...)
		k := key("shared")
		for i := range 15 {
			l := one
			if i%2 == 1 {
				l = two
			}
			if wait := reserve(l, k); wait != 0 {
				t.Fatalf("message %d: wait %v", i+1, wait)
			}
		}
		if wait := reserve(two, k); wait <= 0 {
			t.Fatal("16th allowed through the second instance")
		}
	})

	t.Run("error when Redis is unreachable", func(t *testing.T) {
		bad := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
		defer bad.Close()
		if _, err := NewRedisLimiter(bad, WeComMemberLimits()...).Reserve(ctx, key("x")); err == nil {
			t.Fatal("Reserve against an unreachable Redis: no error")
		}
	})
}

// TestOutboxRateLimited: 35 messages to one member with WeCom's limits: 30
// go at once, the other 5 a minute later; none is dropped or counted as a
// failed attempt, and another member's message is not held up.
func TestOutboxRateLimited(t *testing.T) {
	clk := clock.NewFake(obStart)
	var msgs []roster.Outgoing
	for i := range 35 {
		msgs = append(msgs, out(int64(i+1), "zhangsan", fmt.Sprintf("a%d", i+1)))
	}
	msgs = append(msgs, out(36, "lisi", "b1"))
	store := newObStore(msgs...)
	sender := newObSender(clk, nil)
	m := metrics.New()
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), m)
	o.limiter = NewMemoryLimiter(clk, WeComMemberLimits()...)
	stop := startOutbox(t, o)

	// First pass: a1..a30 in order, and b1.
	var first []string
	for range 31 {
		a := recvOb(t, sender.attempts, "first-pass attempts")
		if !a.at.Equal(obStart) {
			t.Errorf("%s sent at +%v, want at once", a.content, a.at.Sub(obStart))
		}
		if a.to == "zhangsan" {
			first = append(first, a.content)
		}
	}
	for i, c := range first {
		if want := fmt.Sprintf("a%d", i+1); c != want {
			t.Fatalf("first pass sent %v to zhangsan, want a1..a30 in order", first)
		}
	}
	if len(first) != 30 {
		t.Fatalf("first pass sent %d to zhangsan, want 30 (and b1)", len(first))
	}
	blockUntil(t, clk, 1)
	if n := len(sender.attempts); n != 0 {
		t.Fatalf("%d attempts past the limit, e.g. %+v", n, <-sender.attempts)
	}
	clk.Advance(time.Minute - time.Millisecond)
	if clk.Waiters() != 1 || len(sender.attempts) != 0 {
		t.Fatal("held messages sent before the minute was over")
	}
	clk.Advance(time.Millisecond)
	for i := 31; i <= 35; i++ {
		a := recvOb(t, sender.attempts, "held messages after a minute")
		if want := fmt.Sprintf("a%d", i); a.content != want || !a.at.Equal(obStart.Add(time.Minute)) {
			t.Errorf("attempt %s at +%v, want %s at +1m", a.content, a.at.Sub(obStart), want)
		}
	}
	for range len(msgs) {
		recvOb(t, store.marks, "MarkOutgoing")
	}
	stop()
	for _, msg := range msgs {
		got := store.get(msg.ID)
		if got.Status != roster.OutSent || got.Attempts != 1 || got.LastError != "" {
			t.Errorf("%s: status %s, attempts %d, error %q; want sent after 1 attempt",
				msg.Content, got.Status, got.Attempts, got.LastError)
		}
	}
	sends := scrapeSends(t, m)
	if sends[metrics.SendOK] != 36 || sends[metrics.SendRetry] != 0 || sends[metrics.SendFail] != 0 {
		t.Errorf("sends = %v, want 36 ok and no retry or failure", sends)
	}
}

// failingLimiter always fails, like Redis being down.
type failingLimiter struct{}

func (failingLimiter) Reserve(context.Context, string) (time.Duration, error) {
	return 0, fmt.Errorf("redis: %w", context.DeadlineExceeded)
}

// TestOutboxLimiterErrorSends: a failing limiter must not hold messages back.
func TestOutboxLimiterErrorSends(t *testing.T) {
	clk := clock.NewFake(obStart)
	store := newObStore(out(1, "zhangsan", "a1"), out(2, "zhangsan", "a2"))
	sender := newObSender(clk, nil)
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
	o.limiter = failingLimiter{}
	startOutbox(t, o)
	for _, want := range []string{"a1", "a2"} {
		if a := recvOb(t, sender.attempts, want); a.content != want {
			t.Errorf("attempt %s, want %s", a.content, want)
		}
	}
	for range 2 {
		recvOb(t, store.marks, "MarkOutgoing")
	}
	for id := int64(1); id <= 2; id++ {
		if got := store.get(id); got.Status != roster.OutSent {
			t.Errorf("outgoing %d: %s, want sent", id, got.Status)
		}
	}
}

func TestWithAppLimit(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	l := WithAppLimit(NewMemoryLimiter(clk, Limit{Rate: 3, Period: time.Minute}), NewMemoryLimiter(clk, Limit{Rate: 2, Period: time.Minute}))
	ctx := context.Background()
	for i, tt := range []struct {
		key  string
		wait bool
	}{
		{"a", false}, {"a", false}, // member a's two
		{"a", true}, // a's per-member limit (uses an app slot)
		{"b", true}, // the app-wide 3 are used up
		{"b", true},
	} {
		wait, err := l.Reserve(ctx, tt.key)
		if err != nil || (wait > 0) != tt.wait {
			t.Fatalf("call %d (%s): wait %v, err %v; want wait=%v", i, tt.key, wait, err, tt.wait)
		}
	}
	clk.Advance(time.Minute)
	if wait, err := l.Reserve(ctx, "b"); err != nil || wait != 0 {
		t.Fatalf("after a minute: wait %v, err %v", wait, err)
	}
}
