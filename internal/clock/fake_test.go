package clock

import (
	"context"
	"testing"
	"time"
)

func TestFakeAdvanceFiresDueTimersOnly(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)
	f := NewFake(start)
	short, long := f.NewTimer(time.Second), f.NewTimer(time.Minute)
	select {
	case <-f.NewTimer(0).C():
	default:
		t.Fatal("NewTimer(0) did not fire at once")
	}
	f.Advance(2 * time.Second)
	select {
	case at := <-short.C():
		if !at.Equal(start.Add(2 * time.Second)) {
			t.Errorf("fired at %v", at)
		}
	default:
		t.Fatal("1s timer did not fire after 2s")
	}
	select {
	case <-long.C():
		t.Fatal("1m timer fired after 2s")
	default:
	}
	if f.Waiters() != 1 {
		t.Fatalf("Waiters = %d, want 1", f.Waiters())
	}
	f.Advance(time.Minute)
	<-long.C()
}

func TestFakeStop(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer = false")
	}
	if f.Waiters() != 0 {
		t.Fatalf("Waiters after Stop = %d", f.Waiters())
	}
	f.Advance(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if tm.Stop() {
		t.Fatal("second Stop = true")
	}
}

func TestFakeBlockUntil(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- f.BlockUntil(context.Background(), 2) }()
	f.NewTimer(time.Second)
	f.NewTimer(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.BlockUntil(ctx, 3); err == nil {
		t.Fatal("BlockUntil returned nil with too few timers and a cancelled context")
	}
}
