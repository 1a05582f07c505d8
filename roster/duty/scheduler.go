package duty

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/cluster"
	"dutybot/internal/timers"
)

// Handler acts on a deadline that has come. It must be idempotent: a
// crash after it acted and before the deadline was closed runs it again
// at the next start, so it checks the records first (an absence is
// recorded once, escalations are raised with RaiseOnce). An error leaves the
// deadline open and it is tried again a little later.
type Handler interface {
	HandleDeadline(ctx context.Context, d Deadline) error
}

// Planner lists the deadlines the roster implies from now on (check-in
// grace periods, reminders, handover windows, random spot checks). Planning
// the same deadline again is harmless: keys are unique.
type Planner interface {
	Plan(ctx context.Context, now time.Time) ([]Deadline, error)
}

// SchedulerConfig wires a Scheduler.
type SchedulerConfig struct {
	Store   DeadlineStore
	Handler Handler
	Planner Planner // nil: only deadlines added with Add
	Clock   clock.Clock
	Log     *slog.Logger
	// ReplanEvery is how often the roster is planned again (default an
	// hour); a roster change also asks for it at once (Replan).
	ReplanEvery time.Duration
	// RetryAfter is how long a failed handler waits before it is tried
	// again (default 30 s).
	RetryAfter time.Duration
	// Shared is set when several instances share the store (nil: this
	// instance works alone): before handing a due deadline to the Handler
	// an instance takes the lease "deadline/<key>" (a loser looks again
	// when it runs out, and takes over if the deadline is still open),
	// deadlines added are announced, and the open ones reloaded every
	// Reconcile.
	Shared *cluster.Shared
}

// Scheduler fires duty deadlines: it stores them before arming them on a
// min-heap (no polling), re-arms every open one at start (overdue ones fire
// at once), hands each to the Handler when due and closes it afterwards.
type Scheduler struct {
	cfg    SchedulerConfig
	timers *timers.Heap

	mu     sync.Mutex
	work   context.Context
	wg     sync.WaitGroup
	replan chan struct{}
}

// NewScheduler builds a scheduler; Run starts it.
func NewScheduler(cfg SchedulerConfig) *Scheduler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ReplanEvery <= 0 {
		cfg.ReplanEvery = time.Hour
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 30 * time.Second
	}
	cfg.Shared = cfg.Shared.WithDefaults()
	s := &Scheduler{cfg: cfg, work: context.Background(), replan: make(chan struct{}, 1)}
	s.timers = timers.New(cfg.Clock, func(key string, _ time.Time) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.fire(s.workContext(), key)
		}()
	})
	return s
}

func (s *Scheduler) workContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.work
}

// Add stores deadlines (those whose keys are new) and arms them.
func (s *Scheduler) Add(ctx context.Context, ds ...Deadline) error {
	added, err := s.cfg.Store.AddDeadlines(ctx, ds)
	if err != nil {
		return err
	}
	for _, d := range added {
		s.timers.Set(d.Key, d.DueAt)
		s.cfg.Shared.Announce(ctx, s.cfg.Log, cluster.KindDeadline, d.Key, d.DueAt)
	}
	return nil
}

// Cancel closes an open deadline as void (it no longer applies) and disarms
// it. Cancelling one that is not open does nothing.
func (s *Scheduler) Cancel(ctx context.Context, key, note string) error {
	if _, err := s.cfg.Store.CloseDeadline(ctx, key, DeadlineVoid, note); err != nil {
		return err
	}
	s.timers.Cancel(key)
	return nil
}

// Replan asks Run to plan the roster again soon (after a roster change).
func (s *Scheduler) Replan() {
	select {
	case s.replan <- struct{}{}:
	default:
	}
}

// PlanNow plans the roster at once and arms what is new.
func (s *Scheduler) PlanNow(ctx context.Context) error {
	if s.cfg.Planner == nil {
		return nil
	}
	ds, err := s.cfg.Planner.Plan(ctx, s.cfg.Clock.Now())
	if err != nil {
		return fmt.Errorf("plan duty deadlines: %w", err)
	}
	return s.Add(ctx, ds...)
}

// Armed is the number of deadlines waiting on a timer.
func (s *Scheduler) Armed() int { return s.timers.Len() }

// Run re-arms every open deadline, plans the roster, and fires deadlines
// until ctx ends (planning again every ReplanEvery and on Replan); then it
// waits for handlers in progress.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.work = context.WithoutCancel(ctx)
	s.mu.Unlock()
	open, err := s.cfg.Store.OpenDeadlines(ctx)
	if err != nil {
		return fmt.Errorf("re-arm duty deadlines: %w", err)
	}
	for _, d := range open {
		s.timers.Set(d.Key, d.DueAt)
	}
	if len(open) > 0 {
		s.cfg.Log.Info("duty deadlines re-armed", "count", len(open))
	}
	if err := s.PlanNow(ctx); err != nil {
		s.cfg.Log.Error("plan duty deadlines", "err", err)
	}
	var loops sync.WaitGroup
	if sh := s.cfg.Shared; sh != nil {
		sh.Follow(ctx, &loops, cluster.Follower{Kind: cluster.KindDeadline, Clock: s.cfg.Clock, Log: s.cfg.Log,
			Arm: s.timers.Set, Open: s.openTimers})
	}
	loops.Go(func() { s.timers.Run(ctx) })
	loops.Go(func() { s.planLoop(ctx) })
	loops.Wait()
	s.wg.Wait()
	return nil
}

// planLoop plans again every ReplanEvery and whenever Replan is called.
func (s *Scheduler) planLoop(ctx context.Context) {
	for {
		t := s.cfg.Clock.NewTimer(s.cfg.ReplanEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-s.replan:
			t.Stop()
		}
		if err := s.PlanNow(ctx); err != nil {
			s.cfg.Log.Error("plan duty deadlines", "err", err)
		}
	}
}

// openTimers lists the open deadlines' timers, for cluster.Follow to
// reload.
func (s *Scheduler) openTimers(ctx context.Context) ([]cluster.Timer, error) {
	open, err := s.cfg.Store.OpenDeadlines(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cluster.Timer, len(open))
	for i, d := range open {
		out[i] = cluster.Timer{Key: d.Key, Due: d.DueAt}
	}
	return out, nil
}

// fire hands a due deadline to the handler and closes it; a failure is
// retried after RetryAfter.
func (s *Scheduler) fire(ctx context.Context, key string) {
	d, ok := s.due(ctx, key)
	if !ok {
		return
	}
	// held is the deadline's lease when instances share the store.
	var held *cluster.Held
	if sh := s.cfg.Shared; sh != nil {
		h, left, err := sh.Take(ctx, s.cfg.Clock, "deadline/"+key)
		switch {
		case err != nil:
			// Go on without it: the handler is idempotent and the close
			// is a compare-and-set.
			s.cfg.Log.Warn("duty deadline: lease unavailable", "key", key, "err", err)
		case h == nil:
			// Another instance is on it. Look again when its lease runs
			// out: if the deadline is still open then, that instance
			// died (or failed and backs off) and this one takes over.
			s.timers.Set(key, s.cfg.Clock.Now().Add(left))
			return
		default:
			held = h
			// Read it again under the lease: the instance that held it
			// before may have closed it since the first read.
			if d, ok = s.due(ctx, key); !ok {
				held.Release(ctx)
				return
			}
		}
	}
	now := s.cfg.Clock.Now()
	if err := s.cfg.Handler.HandleDeadline(ctx, d); err != nil {
		s.cfg.Log.Error("duty deadline: handler failed; will retry", "key", key, "err", err, "retry_in", s.cfg.RetryAfter)
		s.timers.Set(key, s.cfg.Clock.Now().Add(s.cfg.RetryAfter))
		if held != nil {
			// Keep the others off it for the back-off too.
			held.ReleaseAfter(ctx, s.cfg.RetryAfter)
		}
		return
	}
	_, err := s.cfg.Store.CloseDeadline(ctx, key, DeadlineDone, "")
	if held != nil {
		held.Release(ctx)
	}
	if err != nil {
		s.cfg.Log.Error("duty deadline: close", "key", key, "err", err)
		return
	}
	s.cfg.Log.Info("duty deadline handled", "key", key, "late", now.Sub(d.DueAt))
}

// due loads deadline key and reports whether it is open and due now; one
// that is not due yet is armed again for its time, and a failed read is
// retried after RetryAfter.
func (s *Scheduler) due(ctx context.Context, key string) (Deadline, bool) {
	d, err := s.cfg.Store.Deadline(ctx, key)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.cfg.Log.Error("duty deadline: load", "key", key, "err", err)
			s.timers.Set(key, s.cfg.Clock.Now().Add(s.cfg.RetryAfter))
		}
		return Deadline{}, false
	}
	if d.Status != DeadlineOpen {
		return Deadline{}, false
	}
	if d.DueAt.After(s.cfg.Clock.Now()) {
		s.timers.Set(key, d.DueAt)
		return Deadline{}, false
	}
	return d, true
}
