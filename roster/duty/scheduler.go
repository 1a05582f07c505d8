package duty

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dutybot/internal/clock"
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

// fire hands a due deadline to the handler and closes it; a failure is
// retried after RetryAfter.
func (s *Scheduler) fire(ctx context.Context, key string) {
	d, err := s.cfg.Store.Deadline(ctx, key)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.cfg.Log.Error("duty deadline: load", "key", key, "err", err)
			s.timers.Set(key, s.cfg.Clock.Now().Add(s.cfg.RetryAfter))
		}
		return
	}
	if d.Status != DeadlineOpen {
		return
	}
	now := s.cfg.Clock.Now()
	if d.DueAt.After(now) {
		s.timers.Set(key, d.DueAt)
		return
	}
	if err := s.cfg.Handler.HandleDeadline(ctx, d); err != nil {
		s.cfg.Log.Error("duty deadline: handler failed; will retry", "key", key, "err", err, "retry_in", s.cfg.RetryAfter)
		s.timers.Set(key, s.cfg.Clock.Now().Add(s.cfg.RetryAfter))
		return
	}
	if _, err := s.cfg.Store.CloseDeadline(ctx, key, DeadlineDone, ""); err != nil {
		s.cfg.Log.Error("duty deadline: close", "key", key, "err", err)
		return
	}
	s.cfg.Log.Info("duty deadline handled", "key", key, "late", now.Sub(d.DueAt))
}
