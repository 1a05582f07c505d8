package cluster

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"dutybot/internal/clock"
)

// Shared is how a scheduler of durable timers (the escalation engine, the
// duty deadlines) works beside other instances on one store: it takes a
// lease per due timer before acting (the store's compare-and-set stays the
// final guard), announces the timers it arms so every instance arms them,
// and reloads the open ones now and then (announcements can be lost).
type Shared struct {
	Leases Lease
	// Bus announces armed timers (nil: only Reconcile finds them).
	Bus Bus
	// LeaseTTL is how long a timer's lease lasts unless renewed; it bounds
	// how long a timer waits when the instance acting on it dies (default
	// 3 s).
	LeaseTTL time.Duration
	// Reconcile is how often open timers are reloaded from the store,
	// catching announcements the bus dropped or an instance died before
	// sending (default 3 s).
	Reconcile time.Duration
}

// WithDefaults returns a copy of sh with the zero durations set to their
// defaults (nil stays nil: the scheduler works alone).
func (sh *Shared) WithDefaults() *Shared {
	if sh == nil {
		return nil
	}
	c := *sh
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 3 * time.Second
	}
	if c.Reconcile <= 0 {
		c.Reconcile = 3 * time.Second
	}
	return &c
}

// Timer is one open timer as a store lists it.
type Timer struct {
	Key string
	Due time.Time
}

// Follower is what Follow keeps armed: a scheduler's timers.
type Follower struct {
	Kind  string // the announcements to follow: KindEscalation, KindDeadline
	Clock clock.Clock
	Log   *slog.Logger
	// Arm sets (or moves) a timer.
	Arm func(key string, due time.Time)
	// Open lists every open timer in the store.
	Open func(ctx context.Context) ([]Timer, error)
}

// Follow keeps f's timers in step with the other instances': it arms the
// timers of f.Kind they announce, and every Reconcile reloads the open ones
// from the store. Its loop runs on loops until ctx ends.
func (sh *Shared) Follow(ctx context.Context, loops *sync.WaitGroup, f Follower) {
	if sh.Bus != nil {
		err := sh.Bus.Subscribe(ctx, func(a Announcement) {
			if a.Kind == f.Kind {
				f.Arm(a.Key, a.Due)
			}
		})
		if err != nil {
			f.Log.Error(f.Kind+" announcements: subscribe failed; relying on reconciliation", "err", err)
		}
	}
	loops.Go(func() {
		for {
			t := f.Clock.NewTimer(sh.Reconcile)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			open, err := f.Open(ctx)
			if err != nil {
				f.Log.Error(f.Kind+" timers: reconcile", "err", err)
				continue
			}
			for _, o := range open {
				f.Arm(o.Key, o.Due)
			}
		}
	})
}

// Announce tells the other instances to arm timer key of kind at due. A
// failure is only logged: the others find the timer when they reconcile.
func (sh *Shared) Announce(ctx context.Context, log *slog.Logger, kind, key string, due time.Time) {
	if sh == nil || sh.Bus == nil {
		return
	}
	if err := sh.Bus.Publish(ctx, Announcement{Kind: kind, Key: key, Due: due}); err != nil {
		log.Warn("announce "+kind, "key", key, "err", err)
	}
}

// Take is Hold with sh's lease and TTL: the lease of a due timer, held
// while its work runs. held is nil when another instance holds it; left
// then says when to look again.
func (sh *Shared) Take(ctx context.Context, clk clock.Clock, key string) (held *Held, left time.Duration, err error) {
	return Hold(ctx, sh.Leases, clk, key, sh.LeaseTTL)
}
