package duty

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
)

var schedStart = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// recHandler records the deadlines it is handed and fails the first
// failures[key] times for a key.
type recHandler struct {
	mu       sync.Mutex
	failures map[string]int
	got      chan string
}

func (h *recHandler) HandleDeadline(ctx context.Context, d Deadline) error {
	h.mu.Lock()
	fail := h.failures[d.Key] > 0
	if fail {
		h.failures[d.Key]--
	}
	h.mu.Unlock()
	h.got <- d.Key
	if fail {
		return errors.New("store is down")
	}
	return nil
}

type planFunc func(ctx context.Context, now time.Time) ([]Deadline, error)

func (f planFunc) Plan(ctx context.Context, now time.Time) ([]Deadline, error) { return f(ctx, now) }

type schedEnv struct {
	t       *testing.T
	path    string
	clock   *clock.Fake
	db      *roster.SQLStore
	store   *SQLStore
	handler *recHandler
}

func newSchedEnv(t *testing.T) *schedEnv {
	t.Helper()
	e := &schedEnv{t: t, path: filepath.Join(t.TempDir(), "duty.db"), clock: clock.NewFake(schedStart),
		handler: &recHandler{failures: map[string]int{}, got: make(chan string, 100)}}
	e.open()
	return e
}

func (e *schedEnv) open() {
	db, err := roster.OpenSQLite(context.Background(), e.path, e.clock)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db, e.store = db, NewSQLStore(db, e.clock)
	e.t.Cleanup(func() { db.Close() })
}

// run starts a scheduler; stop ends it and waits.
func (e *schedEnv) run(p Planner) (*Scheduler, func()) {
	s := NewScheduler(SchedulerConfig{Store: e.store, Handler: e.handler, Planner: p, Clock: e.clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryAfter: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	// Stopping waits for handlers in progress and their closing writes.
	return s, func() { cancel(); <-done }
}

// armed waits until n timers are armed on the fake clock (the replan
// loop's timer counts as one).
func (e *schedEnv) armed(n int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.clock.BlockUntil(ctx, n); err != nil {
		e.t.Fatal(err)
	}
}

func (e *schedEnv) handled() string {
	e.t.Helper()
	select {
	case k := <-e.handler.got:
		return k
	case <-time.After(5 * time.Second):
		e.t.Fatal("no deadline handled")
		return ""
	}
}

func (e *schedEnv) nothingHandled() {
	e.t.Helper()
	select {
	case k := <-e.handler.got:
		e.t.Fatalf("unexpected deadline handled: %s", k)
	default:
	}
}

func (e *schedEnv) status(key string) string {
	e.t.Helper()
	d, err := e.store.Deadline(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return d.Status
}

func deadline(key string, due time.Time) Deadline {
	return Deadline{Key: key, Kind: KindCheckinGrace, Date: roster.NewDate(2026, 12, 2), Shift: "白班", UserID: "zhangsan", DueAt: due}
}

func TestSchedulerFiresOnceAndCloses(t *testing.T) {
	e := newSchedEnv(t)
	s, stop := e.run(nil)
	defer stop()
	ctx := context.Background()
	e.armed(1) // the replan loop
	if err := s.Add(ctx, deadline("a", schedStart.Add(5*time.Minute)), deadline("b", schedStart.Add(10*time.Minute))); err != nil {
		t.Fatal(err)
	}
	// Adding a key again keeps the first due time.
	if err := s.Add(ctx, deadline("a", schedStart.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	e.armed(2)
	e.clock.Advance(5 * time.Minute)
	if k := e.handled(); k != "a" {
		t.Fatalf("handled %s first, want a", k)
	}
	if err := s.Cancel(ctx, "b", "answered"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	stop()
	e.nothingHandled()
	if got := e.status("a"); got != DeadlineDone {
		t.Errorf("a is %s after handling, want done", got)
	}
	d, err := e.store.Deadline(ctx, "b")
	if err != nil || d.Status != DeadlineVoid || d.Note != "answered" {
		t.Errorf("b = %+v, %v; want void with its note", d, err)
	}
}

func TestSchedulerRearmsAfterRestartAndRetriesFailures(t *testing.T) {
	e := newSchedEnv(t)
	ctx := context.Background()
	// Stored by an earlier run that stopped before acting on them: one
	// overdue by now, one already handled.
	added, err := e.store.AddDeadlines(ctx, []Deadline{
		deadline("overdue", schedStart.Add(-time.Minute)),
		deadline("handled", schedStart.Add(-time.Hour)),
	})
	if err != nil || len(added) != 2 {
		t.Fatalf("AddDeadlines = %d, %v", len(added), err)
	}
	if ok, err := e.store.CloseDeadline(ctx, "handled", DeadlineDone, ""); !ok || err != nil {
		t.Fatalf("CloseDeadline = %v, %v", ok, err)
	}
	if ok, _ := e.store.CloseDeadline(ctx, "handled", DeadlineVoid, ""); ok {
		t.Error("a closed deadline was closed again")
	}
	e.handler.failures["overdue"] = 1

	_, stop := e.run(nil)
	// The overdue one fires at once, fails, and is retried a minute later.
	if k := e.handled(); k != "overdue" {
		t.Fatalf("handled %s, want overdue", k)
	}
	e.armed(2) // the replan loop and the retry
	if got := e.status("overdue"); got != DeadlineOpen {
		t.Fatalf("overdue is %s after a failure, want open", got)
	}
	e.clock.Advance(time.Minute)
	if k := e.handled(); k != "overdue" {
		t.Fatalf("retry handled %s, want overdue", k)
	}
	stop()
	e.nothingHandled()
	if got := e.status("overdue"); got != DeadlineDone {
		t.Errorf("overdue is %s after the retry, want done", got)
	}

	// One still ahead is armed again by the next start and fires on time.
	if _, err := e.store.AddDeadlines(ctx, []Deadline{deadline("ahead", e.clock.Now().Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	_, stop = e.run(nil)
	defer stop()
	e.armed(2)
	e.nothingHandled()
	e.clock.Advance(time.Hour)
	if k := e.handled(); k != "ahead" {
		t.Fatalf("handled %s, want ahead", k)
	}
}

func TestSchedulerPlansAtStartAndOnReplan(t *testing.T) {
	e := newSchedEnv(t)
	var mu sync.Mutex
	due := []Deadline{deadline("planned-1", schedStart.Add(time.Minute))}
	calls := make(chan struct{}, 10)
	planner := planFunc(func(ctx context.Context, now time.Time) ([]Deadline, error) {
		mu.Lock()
		defer mu.Unlock()
		calls <- struct{}{}
		return append([]Deadline(nil), due...), nil
	})
	s, stop := e.run(planner)
	defer stop()
	<-calls
	e.armed(2) // replan loop + planned-1
	mu.Lock()
	due = append(due, deadline("planned-2", schedStart.Add(2*time.Minute)))
	mu.Unlock()
	s.Replan()
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("Replan did not plan again")
	}
	// planned-2 is armed now or, if the advance comes first, as soon as it
	// is stored (a past due time fires at once): both fire either way.
	e.clock.Advance(2 * time.Minute)
	got := map[string]bool{e.handled(): true, e.handled(): true}
	if !got["planned-1"] || !got["planned-2"] {
		t.Errorf("handled %v, want both planned deadlines", got)
	}
	// The hourly replan plans again on its own; nothing new is added.
	e.armed(1)
	e.clock.Advance(time.Hour)
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("the hourly replan did not run")
	}
	e.nothingHandled()
}
