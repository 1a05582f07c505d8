package timers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"dutybot/internal/clock"
)

type firing struct {
	key string
	due time.Time
	at  time.Time
}

// startTimers runs a Heap on a fake clock and reports firings on a channel.
func startTimers(t *testing.T) (*Heap, *clock.Fake, chan firing) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	fired := make(chan firing, 100)
	tm := New(clk, func(key string, due time.Time) { fired <- firing{key, due, clk.Now()} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); tm.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return tm, clk, fired
}

func next(t *testing.T, fired chan firing) firing {
	t.Helper()
	select {
	case f := <-fired:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no timer fired")
		return firing{}
	}
}

// armed waits until Run has armed its clock timer.
func armed(t *testing.T, clk *clock.Fake) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func TestTimersFireInDeadlineOrder(t *testing.T) {
	tm, clk, fired := startTimers(t)
	start := clk.Now()
	for _, k := range []struct {
		key string
		in  time.Duration
	}{{"a", 10 * time.Second}, {"b", 5 * time.Second}, {"c", 20 * time.Second}, {"d", 10 * time.Second}} {
		tm.Set(k.key, start.Add(k.in))
	}
	var order []string
	for _, step := range []time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second} {
		armed(t, clk)
		clk.Advance(step)
		f := next(t, fired)
		order = append(order, f.key)
		if f.at.Before(f.due) {
			t.Errorf("%s fired at %v before its deadline %v", f.key, f.at, f.due)
		}
		if f.key == "a" || f.key == "d" { // same deadline: both fire together
			order = append(order, next(t, fired).key)
		}
	}
	slices.Sort(order[1:3])
	if want := []string{"b", "a", "d", "c"}; !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if tm.Len() != 0 {
		t.Errorf("Len after all fired = %d", tm.Len())
	}
}

func TestTimersCancelMoveAndOverdue(t *testing.T) {
	tm, clk, fired := startTimers(t)
	start := clk.Now()
	tm.Set("cancelled", start.Add(5*time.Second))
	tm.Set("moved", start.Add(30*time.Second))
	tm.Set("barrier", start.Add(10*time.Second))
	if !tm.Cancel("cancelled") || tm.Cancel("cancelled") {
		t.Fatal("Cancel should report true once, then false")
	}
	tm.Set("moved", start.Add(8*time.Second)) // earlier
	armed(t, clk)
	clk.Advance(8 * time.Second)
	if f := next(t, fired); f.key != "moved" {
		t.Fatalf("first firing = %s, want moved (cancelled must not fire)", f.key)
	}
	armed(t, clk)
	clk.Advance(2 * time.Second)
	if f := next(t, fired); f.key != "barrier" {
		t.Fatalf("second firing = %s, want barrier", f.key)
	}
	// A deadline already past fires at once, without advancing the clock.
	tm.Set("overdue", start)
	if f := next(t, fired); f.key != "overdue" {
		t.Fatalf("overdue firing = %s", f.key)
	}
	// Nothing fires twice: with nothing armed, a new barrier is the next.
	tm.Set("last", clk.Now().Add(time.Hour))
	armed(t, clk)
	clk.Advance(time.Hour)
	if f := next(t, fired); f.key != "last" {
		t.Fatalf("firing = %s, want last", f.key)
	}
}

// BenchmarkTimerLateness arms 100,000 timers with random deadlines over a
// few seconds on the real clock and reports how late they fire (the design
// target is p99 < 100 ms; polling engines are late by their interval).
// Run with -benchtime 1x; set the span with DUTYBOT_BENCH_SPAN (default 5s,
// the figure uses 60s).
func BenchmarkTimerLateness(b *testing.B) {
	span := 5 * time.Second
	if v, err := time.ParseDuration(envOr("DUTYBOT_BENCH_SPAN", "5s")); err == nil {
		span = v
	}
	const n = 100_000
	for b.Loop() {
		late := make([]time.Duration, 0, n)
		done := make(chan struct{})
		var count int
		tm := New(clock.Real{}, func(key string, due time.Time) {
			late = append(late, time.Since(due))
			count++
			if count == n {
				close(done)
			}
		})
		ctx, cancel := context.WithCancel(context.Background())
		go tm.Run(ctx)
		start := time.Now()
		for i := range n {
			tm.Set(fmt.Sprint("esc-", i), start.Add(100*time.Millisecond+time.Duration(rand.Int64N(int64(span)))))
		}
		armedIn := time.Since(start)
		<-done
		cancel()
		slices.Sort(late)
		q := func(p float64) float64 { return float64(late[min(int(float64(n)*p), n-1)]) / float64(time.Millisecond) }
		b.ReportMetric(q(0.5), "p50-late-ms")
		b.ReportMetric(q(0.99), "p99-late-ms")
		b.ReportMetric(q(1), "max-late-ms")
		b.ReportMetric(float64(armedIn)/float64(time.Millisecond), "arm-100k-ms")
	}
}
