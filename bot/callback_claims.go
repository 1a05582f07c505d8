package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"dutybot/bot/wecom"
	"dutybot/roster"
)

// ReceivedClaimer is a message store several instances share: an instance
// claims each callback it accepts and renews the claim while the callback
// waits or is processed; callbacks whose claim lapsed (their instance died)
// are claimed by another. CompleteReceived stays the guard that a callback
// is answered once. *roster.SQLStore implements it.
type ReceivedClaimer interface {
	ClaimReceived(ctx context.Context, owner string, limit int, until time.Time) ([]roster.Received, error)
	RenewReceived(ctx context.Context, owner string, ids []int64, until time.Time) (int, error)
}

// Callback claims: a claim lasts callbackClaimTTL and is renewed every
// callbackSweep, when each instance also takes over lapsed claims; so a dead
// instance's callbacks are processed within about callbackClaimTTL +
// callbackSweep.
const (
	callbackClaimTTL = 5 * time.Second
	callbackSweep    = time.Second
	callbackPage     = 200
)

// callbackClaims is what an instance sharing the store holds: the ids of
// the callbacks it accepted or took over and has not finished.
type callbackClaims struct {
	store ReceivedClaimer
	owner string

	mu   sync.Mutex
	held map[int64]bool
}

// hold records id as this instance's; it reports false when it already was.
func (c *callbackClaims) hold(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[id] {
		return false
	}
	c.held[id] = true
	return true
}

func (c *callbackClaims) drop(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.held, id)
}

func (c *callbackClaims) ids() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int64, 0, len(c.held))
	for id := range c.held {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sweepCallbacks renews this instance's claims and takes over the
// callbacks whose claims lapsed, every callbackSweep until ctx ends.
func (s *Service) sweepCallbacks(ctx context.Context) {
	for {
		t := s.clock.NewTimer(callbackSweep)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		c := s.claims
		until := s.clock.Now().Add(callbackClaimTTL)
		if ids := c.ids(); len(ids) > 0 {
			if _, err := c.store.RenewReceived(ctx, c.owner, ids, until); err != nil {
				s.log.Error("renew claims on callbacks", "count", len(ids), "err", err)
			}
		}
		n, err := s.takeOver(ctx)
		if err != nil {
			s.log.Error("take over callbacks", "err", err)
		} else if n > 0 {
			s.log.Warn("took over callbacks another instance accepted and did not finish", "count", n)
		}
	}
}

// takeOver claims every callback whose claim lapsed and queues it.
func (s *Service) takeOver(ctx context.Context) (int, error) {
	total := 0
	for {
		rows, err := s.claims.store.ClaimReceived(ctx, s.claims.owner, callbackPage, s.clock.Now().Add(callbackClaimTTL))
		if err != nil {
			return total, err
		}
		for _, r := range rows {
			if !s.claims.hold(r.ID) {
				continue // already queued here: its claim was renewed late
			}
			if err := s.resume(ctx, r); err != nil {
				return total, err
			}
			total++
		}
		if len(rows) < callbackPage {
			return total, nil
		}
	}
}

// resume queues a stored callback, or closes it with no reply when it no
// longer parses (it parsed when accepted; retrying it forever helps nobody).
func (s *Service) resume(ctx context.Context, r roster.Received) error {
	msg, err := wecom.ParseMessage(r.Raw)
	if err != nil {
		s.log.Error("stored callback does not parse; closing it", "id", r.ID, "err", err)
		if _, err := s.store.CompleteReceived(ctx, r.ID, nil); err != nil {
			return fmt.Errorf("close unparsable callback %d: %w", r.ID, err)
		}
		s.finished(r.ID)
		return nil
	}
	s.enqueue(job{id: r.ID, msg: msg})
	return nil
}

// finished forgets the claim on callback id once it was processed (or
// failed: its claim then lapses and an instance tries it again).
func (s *Service) finished(id int64) {
	if s.claims != nil {
		s.claims.drop(id)
	}
}
