package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"dutybot/internal/clock"
)

// testRedis connects to DUTYBOT_TEST_REDIS or skips the test.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("DUTYBOT_TEST_REDIS")
	if url == "" {
		t.Skip("DUTYBOT_TEST_REDIS not set (e.g. redis://127.0.0.1:6379/15): skipping the Redis lease test")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("DUTYBOT_TEST_REDIS: %v", err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	return c
}

func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "dutybot-test:" + hex.EncodeToString(b) + ":"
}

// leasePair is two instances' views of one lease store, and how to let
// time pass for it.
type leasePair struct {
	a, b  Lease
	after func(d time.Duration)
}

func leasePairs(t *testing.T) map[string]func(t *testing.T) leasePair {
	return map[string]func(t *testing.T) leasePair{
		"memory": func(t *testing.T) leasePair {
			clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
			m := NewMemory(clk)
			return leasePair{a: m, b: m, after: clk.Advance}
		},
		"redis": func(t *testing.T) leasePair {
			c := testRedis(t)
			prefix := randomPrefix()
			return leasePair{a: NewRedis(c, "a", prefix), b: NewRedis(c, "b", prefix), after: func(d time.Duration) {
				// Redis expires by its own clock: wait it out, with a
				// deadline (polling, not a fixed sleep).
				deadline := time.Now().Add(d + 2*time.Second)
				for time.Now().Before(deadline) {
					n, err := c.Exists(context.Background(), prefix+"k").Result()
					if err == nil && n == 0 {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				t.Fatalf("lease did not expire within %s", d+2*time.Second)
			}}
		},
	}
}

func TestLeaseExclusionAndExpiry(t *testing.T) {
	ctx := context.Background()
	for name, mk := range leasePairs(t) {
		t.Run(name, func(t *testing.T) {
			p := mk(t)
			const ttl = 300 * time.Millisecond
			held, _, err := p.a.Acquire(ctx, "k", ttl)
			if err != nil || !held {
				t.Fatalf("first Acquire = %v, %v; want held", held, err)
			}
			held, left, err := p.b.Acquire(ctx, "k", ttl)
			if err != nil || held {
				t.Fatalf("second Acquire = %v, %v; want refused", held, err)
			}
			if left <= 0 || left > ttl {
				t.Errorf("left = %s, want in (0, %s]", left, ttl)
			}
			if name == "redis" {
				// Only the owner renews or releases.
				if ok, err := p.b.Renew(ctx, "k", ttl); err != nil || ok {
					t.Errorf("Renew by non-owner = %v, %v; want false", ok, err)
				}
				if err := p.b.Release(ctx, "k"); err != nil {
					t.Fatal(err)
				}
				if held, _, _ := p.b.Acquire(ctx, "k", ttl); held {
					t.Fatal("a non-owner's Release freed the lease")
				}
			}
			if ok, err := p.a.Renew(ctx, "k", ttl); err != nil || !ok {
				t.Fatalf("Renew by owner = %v, %v; want true", ok, err)
			}
			p.after(ttl)
			if ok, _ := p.a.Renew(ctx, "k", ttl); ok {
				t.Error("Renew after expiry succeeded")
			}
			if held, _, err := p.b.Acquire(ctx, "k", ttl); err != nil || !held {
				t.Fatalf("Acquire after expiry = %v, %v; want held (takeover)", held, err)
			}
			if err := p.b.Release(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if held, _, err := p.a.Acquire(ctx, "k", ttl); err != nil || !held {
				t.Fatalf("Acquire after Release = %v, %v; want held", held, err)
			}
		})
	}
}

func TestHoldRenewsUntilRelease(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	m := NewMemory(clk)
	const ttl = 3 * time.Second
	h, _, err := Hold(ctx, m, clk, "step", ttl)
	if err != nil || h == nil {
		t.Fatalf("Hold = %v, %v", h, err)
	}
	// Three renewals' worth of time: still held.
	for range 3 {
		if err := clk.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clk.Advance(ttl / 3)
	}
	if got, _, _ := Hold(ctx, m, clk, "step", ttl); got != nil {
		t.Fatal("a second Hold won a lease being renewed")
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	got, _, err := Hold(ctx, m, clk, "step", ttl)
	if err != nil || got == nil {
		t.Fatalf("Hold after Release = %v, %v", got, err)
	}
	got.Release(ctx)
}

func TestRedisBusSkipsOwnAnnouncements(t *testing.T) {
	c := testRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	channel := randomPrefix() + "timers"
	a, b := NewRedisBus(c, "a", channel), NewRedisBus(c, "b", channel)
	got := make(chan Announcement, 4)
	if err := b.Subscribe(ctx, func(x Announcement) { got <- x }); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 11, 23, 9, 0, 3, 0, time.UTC)
	if err := b.Publish(ctx, Announcement{Kind: KindEscalation, Key: "own", Due: due}); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, Announcement{Kind: KindEscalation, Key: "E1123-001", Due: due}); err != nil {
		t.Fatal(err)
	}
	select {
	case x := <-got:
		if x.Key != "E1123-001" || x.From != "a" || !x.Due.Equal(due) || x.Kind != KindEscalation {
			t.Fatalf("got %+v", x)
		}
	case <-ctx.Done():
		t.Fatal("no announcement received")
	}
}

func TestHoldReleaseAfterKeepsOthersOff(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	m := NewMemory(clk)
	h, _, err := Hold(ctx, m, clk, "deadline/k", 3*time.Second)
	if err != nil || h == nil {
		t.Fatalf("Hold = %v, %v", h, err)
	}
	if err := h.ReleaseAfter(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if held, left, _ := m.Acquire(ctx, "deadline/k", time.Second); held || left != time.Minute {
		t.Fatalf("Acquire during the back-off = %v, left %s; want refused for 1m0s", held, left)
	}
	clk.Advance(time.Minute)
	if held, _, _ := m.Acquire(ctx, "deadline/k", time.Second); !held {
		t.Fatal("Acquire after the back-off refused")
	}
}

func TestMemoryBusReachesTheOthersUntilTheyLeave(t *testing.T) {
	bus := NewMemoryBus()
	a, b := bus.Join("a"), bus.Join("b")
	ctx, cancel := context.WithCancel(context.Background())
	var got []string
	if err := b.Subscribe(ctx, func(x Announcement) { got = append(got, x.From+":"+x.Key) }); err != nil {
		t.Fatal(err)
	}
	a.Publish(ctx, Announcement{Kind: KindDeadline, Key: "k1"})
	b.Publish(ctx, Announcement{Kind: KindDeadline, Key: "own"})
	cancel()
	// AfterFunc runs the unsubscribe in its own goroutine: poll for it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		bus.mu.Lock()
		n := len(bus.subs)
		bus.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("subscription not removed after its context ended")
		}
		time.Sleep(time.Millisecond)
	}
	a.Publish(context.Background(), Announcement{Kind: KindDeadline, Key: "k2"})
	if len(got) != 1 || got[0] != "a:k1" {
		t.Fatalf("got %v, want [a:k1]", got)
	}
}
