package cluster

import (
	"context"
	"time"

	"dutybot/internal/clock"
)

// Held is a lease being kept alive while its holder works.
type Held struct {
	lease Lease
	key   string
	stop  chan struct{}
	done  chan struct{}
}

// Hold acquires key for ttl and, when it is won, renews it every third of
// ttl until Release. When another instance holds it, held is nil and left
// says when that lease runs out.
func Hold(ctx context.Context, l Lease, clk clock.Clock, key string, ttl time.Duration) (held *Held, left time.Duration, err error) {
	ok, left, err := l.Acquire(ctx, key, ttl)
	if err != nil || !ok {
		return nil, left, err
	}
	h := &Held{lease: l, key: key, stop: make(chan struct{}), done: make(chan struct{})}
	go h.renew(context.WithoutCancel(ctx), clk, ttl)
	return h, 0, nil
}

func (h *Held) renew(ctx context.Context, clk clock.Clock, ttl time.Duration) {
	defer close(h.done)
	for {
		t := clk.NewTimer(ttl / 3)
		select {
		case <-h.stop:
			t.Stop()
			return
		case <-t.C():
		}
		// A failed renewal is not fatal: the store's compare-and-set still
		// keeps a second instance from repeating the work.
		if ok, err := h.lease.Renew(ctx, h.key, ttl); err != nil || !ok {
			return
		}
	}
}

// Release stops renewing and gives the lease up.
func (h *Held) Release(ctx context.Context) error {
	close(h.stop)
	<-h.done
	return h.lease.Release(context.WithoutCancel(ctx), h.key)
}

// ReleaseAfter stops renewing and lets the lease run out after d instead of
// giving it up: the other instances keep off key until then (a failed
// attempt's back-off, so they do not all retry at once).
func (h *Held) ReleaseAfter(ctx context.Context, d time.Duration) error {
	close(h.stop)
	<-h.done
	_, err := h.lease.Renew(context.WithoutCancel(ctx), h.key, d)
	return err
}
