package duty

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"dutybot/internal/cluster"
	"dutybot/roster"
)

// runShared starts a scheduler of one "instance" on its own connection to
// e's database, sharing leases and a bus with the others, handing
// deadlines to h.
func (e *schedEnv) runShared(name string, h Handler, sh *cluster.Shared) (*Scheduler, func()) {
	e.t.Helper()
	db, err := roster.OpenSQLite(context.Background(), e.path, e.clock)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	s := NewScheduler(SchedulerConfig{Store: NewSQLStore(db, e.clock), Handler: h, Clock: e.clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)).With("instance", name), RetryAfter: time.Minute, Shared: sh})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	return s, func() { cancel(); <-done }
}

// waitStatus polls until deadline key has status want.
func (e *schedEnv) waitStatus(key, want string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.status(key) != want {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s is %s, want %s", key, e.status(key), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Two instances share the deadlines: one adds them, the other arms them
// from the announcements, and each deadline's handler runs once.
func TestSharedSchedulersHandleEachDeadlineOnce(t *testing.T) {
	e := newSchedEnv(t)
	leases, bus := cluster.NewMemory(e.clock), cluster.NewMemoryBus()
	a, stopA := e.runShared("a", e.handler, &cluster.Shared{Leases: leases, Bus: bus.Join("a")})
	b, stopB := e.runShared("b", e.handler, &cluster.Shared{Leases: leases, Bus: bus.Join("b")})
	e.armed(4) // each: the replan loop and the reconciliation
	const n = 20
	var ds []Deadline
	for i := range n {
		ds = append(ds, deadline(fmt.Sprint("k", i), schedStart.Add(time.Minute)))
	}
	if err := a.Add(context.Background(), ds...); err != nil {
		t.Fatal(err)
	}
	if a.Armed() != n || b.Armed() != n {
		t.Fatalf("armed %d and %d, want %d each (b from the announcements)", a.Armed(), b.Armed(), n)
	}
	e.clock.Advance(time.Minute)
	for _, d := range ds {
		e.waitStatus(d.Key, DeadlineDone)
	}
	// The losers looked again when the lease ran out, and found them done.
	e.clock.Advance(3 * time.Second)
	stopA()
	stopB()
	got := map[string]int{}
	for len(e.handler.got) > 0 {
		got[<-e.handler.got]++
	}
	if len(got) != n {
		t.Errorf("%d deadlines handled, want %d", len(got), n)
	}
	for k, c := range got {
		if c != 1 {
			t.Errorf("%s handled %d times, want once", k, c)
		}
	}
}

// A deadline whose lease another instance holds (and no longer renews: it
// died) is taken over when the lease runs out; while it holds, nobody
// handles it.
func TestSharedSchedulerTakesOverADeadHoldersDeadline(t *testing.T) {
	e := newSchedEnv(t)
	ctx := context.Background()
	leases := cluster.NewMemory(e.clock)
	const ttl = 3 * time.Second
	// The dead instance took the lease when the deadline came due.
	if held, _, err := leases.Acquire(ctx, "deadline/k", ttl); err != nil || !held {
		t.Fatalf("Acquire = %v, %v", held, err)
	}
	s, stop := e.runShared("alive", e.handler, &cluster.Shared{Leases: leases, LeaseTTL: ttl, Reconcile: time.Hour})
	defer stop()
	e.armed(2) // the replan loop and the reconciliation
	if err := s.Add(ctx, deadline("k", schedStart)); err != nil {
		t.Fatal(err)
	}
	e.armed(3) // refused, it looks again at the lease's expiry
	e.nothingHandled()
	if got := e.status("k"); got != DeadlineOpen {
		t.Fatalf("k is %s while the dead instance's lease runs, want open", got)
	}
	e.clock.Advance(ttl)
	if k := e.handled(); k != "k" {
		t.Fatalf("handled %s, want k", k)
	}
	e.waitStatus("k", DeadlineDone)
	stop()
	e.nothingHandled()
}

// backoffLease reports each renewal to a back-off of RetryAfter (a failed
// handler's Held.ReleaseAfter).
type backoffLease struct {
	cluster.Lease
	backoff chan string
}

func (l backoffLease) Renew(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := l.Lease.Renew(ctx, key, ttl)
	if ttl == time.Minute {
		l.backoff <- key
	}
	return ok, err
}

// A handler that fails on one instance keeps the others off the deadline
// for RetryAfter; then it is retried once.
func TestSharedSchedulersBackOffTogether(t *testing.T) {
	e := newSchedEnv(t)
	backoff := make(chan string, 1)
	leases, bus := backoffLease{cluster.NewMemory(e.clock), backoff}, cluster.NewMemoryBus()
	e.handler.failures["k"] = 1
	a, stopA := e.runShared("a", e.handler, &cluster.Shared{Leases: leases, Bus: bus.Join("a"), Reconcile: time.Hour})
	_, stopB := e.runShared("b", e.handler, &cluster.Shared{Leases: leases, Bus: bus.Join("b"), Reconcile: time.Hour})
	e.armed(4)
	if err := a.Add(context.Background(), deadline("k", schedStart.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	e.armed(6) // each also waits for k
	e.clock.Advance(time.Minute)
	if k := e.handled(); k != "k" {
		t.Fatalf("handled %s, want k", k)
	}
	// Both instances wait again: the one that failed for RetryAfter, the
	// other for the lease it left to run out over the same time.
	select {
	case <-backoff:
	case <-time.After(5 * time.Second):
		t.Fatal("the failed instance did not keep its lease for the back-off")
	}
	e.armed(6)
	e.nothingHandled()
	e.clock.Advance(30 * time.Second)
	e.armed(6)
	e.nothingHandled()
	e.clock.Advance(30 * time.Second)
	if k := e.handled(); k != "k" {
		t.Fatalf("retry handled %s, want k", k)
	}
	e.waitStatus("k", DeadlineDone)
	stopA()
	stopB()
	e.nothingHandled()
}
