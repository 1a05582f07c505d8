package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/roster"
)

// Sender delivers one message to one member through WeCom.
type Sender interface {
	SendText(ctx context.Context, toUser, content string) (msgID string, err error)
	SendMarkdown(ctx context.Context, toUser, content string) (msgID string, err error)
	// SendCard sends a template card (WeCom's template_card JSON) and
	// returns the response code that can update it later.
	SendCard(ctx context.Context, toUser, cardJSON string) (msgID, responseCode string, err error)
}

// Kinds of outgoing message (roster.Outgoing.Kind).
const (
	KindText     = "text"
	KindMarkdown = "markdown"
	KindCard     = "template_card" // Content is the template_card JSON
)

// retryable is implemented by send errors that know whether a later try may
// succeed (wecom.SendError). Errors that don't say are retried.
type retryable interface{ Retryable() bool }

// Delivery limits: a message is tried maxAttempts times, waiting
// firstBackoff, then twice as long each time, up to maxBackoff.
const (
	maxAttempts  = 8
	firstBackoff = time.Second
	maxBackoff   = 2 * time.Minute
	outboxBatch  = 200
	senders      = 8 // lanes delivered at once
)

// outbox delivers pending outgoing messages from the store, so a reply
// queued before a crash is still sent after the restart.
type outbox struct {
	store   roster.MessageStore
	sender  Sender
	clock   clock.Clock
	log     *slog.Logger
	metrics *metrics.Metrics
	signal  chan struct{}
	mu      sync.Mutex
	// notBefore holds the earliest next try of messages that failed or
	// were held back by the limiter.
	notBefore map[int64]time.Time
	// limiter paces sends per member (WeComMemberLimits); nil: no limit.
	limiter Limiter
	// claims is set when several instances share the database: the outbox
	// sends only the messages it claimed under owner (see OutgoingClaimer).
	claims OutgoingClaimer
	owner  string
}

// OutgoingClaimer is a message store several instances share: each claims
// the pending messages it sends for a while, and sends only those
// (roster.SQLStore implements it).
type OutgoingClaimer interface {
	ClaimOutgoing(ctx context.Context, owner string, afterID int64, limit int, until time.Time) ([]roster.Outgoing, error)
}

// Claims: a page of messages is claimed for claimTTL; a message is sent
// only while at least claimMargin of its claim is left (a send takes
// milliseconds); and the outbox looks for messages others left every
// claimSweep, so a dead instance's messages go out within claimTTL +
// claimSweep.
const (
	claimTTL    = 5 * time.Second
	claimMargin = time.Second
	claimSweep  = time.Second
)

func newOutbox(store roster.MessageStore, sender Sender, clk clock.Clock, log *slog.Logger, m *metrics.Metrics) *outbox {
	return &outbox{
		store: store, sender: sender, clock: clk, log: log, metrics: m,
		signal:    make(chan struct{}, 1),
		notBefore: make(map[int64]time.Time),
	}
}

// wake tells the outbox new messages are pending.
func (o *outbox) wake() {
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

func (o *outbox) run(ctx context.Context) {
	for {
		wait, err := o.deliverPending(ctx)
		if err != nil {
			o.log.Error("read pending outgoing messages", "err", err)
			wait = firstBackoff
		}
		if o.claims != nil && (wait == 0 || wait > claimSweep) {
			// Look for messages other instances queued or left behind.
			wait = claimSweep
		}
		select {
		case <-o.signal:
			// Woken while delivering: go round again before arming a timer.
			continue
		default:
		}
		var timer clock.Timer
		var fire <-chan time.Time
		if wait > 0 {
			timer = o.clock.NewTimer(wait)
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-o.signal:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// deliverPending sends what is due and returns how long until the earliest
// deferred message is due (0: nothing deferred).
//
// Messages are delivered in lanes, one per member, in id order: a member's
// messages go out in the order they were queued, and once one has to wait
// for a retry the later ones wait with it. Up to `senders` lanes run at once,
// so an alert to many leaders is not sent one round trip at a time, and one
// failing recipient does not hold up the others.
func (o *outbox) deliverPending(ctx context.Context) (time.Duration, error) {
	now := o.clock.Now()
	var (
		mu   sync.Mutex
		next time.Time
		// held are members whose lane stopped this round; their later
		// messages (on later pages) must wait too.
		held  = make(map[string]bool)
		after int64
	)
	for {
		var msgs []roster.Outgoing
		var err error
		// until is how long this page's claims last (zero: no claims).
		var until time.Time
		if o.claims != nil {
			until = o.clock.Now().Add(claimTTL)
			msgs, err = o.claims.ClaimOutgoing(ctx, o.owner, after, outboxBatch, until)
		} else {
			msgs, err = o.store.PendingOutgoing(ctx, after, outboxBatch)
		}
		if err != nil {
			return 0, err
		}
		lanes := make(map[string][]roster.Outgoing)
		var order []string
		for _, m := range msgs {
			if held[m.ToUser] {
				continue
			}
			if _, ok := lanes[m.ToUser]; !ok {
				order = append(order, m.ToUser)
			}
			lanes[m.ToUser] = append(lanes[m.ToUser], m)
		}

		var wg sync.WaitGroup
		work := make(chan []roster.Outgoing)
		for range min(senders, len(order)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for lane := range work {
					due, stopped := o.deliverLane(ctx, lane, now, until)
					mu.Lock()
					if stopped {
						held[lane[0].ToUser] = true
					}
					if !due.IsZero() && (next.IsZero() || due.Before(next)) {
						next = due
					}
					mu.Unlock()
				}
			}()
		}
		for _, user := range order {
			work <- lanes[user]
		}
		close(work)
		wg.Wait()

		if ctx.Err() != nil {
			return 0, nil
		}
		if len(msgs) < outboxBatch {
			break
		}
		after = msgs[len(msgs)-1].ID
	}
	if next.IsZero() {
		return 0, nil
	}
	return max(next.Sub(o.clock.Now()), time.Millisecond), nil
}

// deliverLane sends one member's messages in order until one has to wait.
// It reports whether the lane stopped early and, if a message is waiting for
// a retry, when it is due.
//
// With claims (until not zero) a message is sent only while its claim has
// claimMargin left; otherwise the lane stops and the next pass claims again.
func (o *outbox) deliverLane(ctx context.Context, lane []roster.Outgoing, now, until time.Time) (due time.Time, stopped bool) {
	for _, m := range lane {
		if ctx.Err() != nil {
			return time.Time{}, true
		}
		if !until.IsZero() && !o.clock.Now().Before(until.Add(-claimMargin)) {
			return o.clock.Now(), true
		}
		if at, ok := o.deferredUntil(m.ID); ok && at.After(now) {
			return at, true
		}
		// Over the member's rate limit WeCom silently drops messages, so
		// wait for the limiter: not an attempt, not a failure; only this
		// member's lane stops.
		if at, ok := o.rateLimited(ctx, m); ok {
			o.deferTo(m.ID, at)
			return at, true
		}
		if !o.deliver(ctx, m) {
			at, _ := o.deferredUntil(m.ID)
			return at, true
		}
	}
	return time.Time{}, false
}

// rateLimited asks the limiter whether m may be sent now; if not, it
// returns when to try again. A limiter error lets the message go (never lose
// a message because Redis blinked), unless shutdown has begun.
func (o *outbox) rateLimited(ctx context.Context, m roster.Outgoing) (time.Time, bool) {
	if o.limiter == nil {
		return time.Time{}, false
	}
	wait, err := o.limiter.Reserve(ctx, wecomUserKey(m.ToUser))
	switch {
	case err != nil && ctx.Err() != nil:
		// Stopping: leave the message pending for the next start.
		return o.clock.Now().Add(firstBackoff), true
	case err != nil:
		o.log.Warn("rate limiter failed, sending anyway", "outgoing", m.ID, "to", m.ToUser, "err", err)
		return time.Time{}, false
	case wait > 0:
		o.log.Debug("rate limited, send deferred", "outgoing", m.ID, "to", m.ToUser, "wait", wait)
		return o.clock.Now().Add(wait), true
	}
	return time.Time{}, false
}

func (o *outbox) deferredUntil(id int64) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	at, ok := o.notBefore[id]
	return at, ok
}

// deferTo sets when message id may be tried again; a zero time clears it.
func (o *outbox) deferTo(id int64, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if at.IsZero() {
		delete(o.notBefore, id)
		return
	}
	o.notBefore[id] = at
}

// deliver makes one attempt and records its outcome. It reports whether the
// message left pending status (sent or failed for good).
func (o *outbox) deliver(ctx context.Context, m roster.Outgoing) bool {
	// A send under way is finished and recorded even if shutdown begins.
	ctx = context.WithoutCancel(ctx)
	var err error
	var id string
	switch m.Kind {
	case KindMarkdown:
		id, err = o.sender.SendMarkdown(ctx, m.ToUser, m.Content)
	case KindCard:
		id, m.ResponseCode, err = o.sender.SendCard(ctx, m.ToUser, m.Content)
	default:
		id, err = o.sender.SendText(ctx, m.ToUser, m.Content)
	}
	m.Attempts++
	m.UpdatedAt = o.clock.Now().UTC()
	result := metrics.SendOK
	switch {
	case err == nil:
		m.Status, m.WeComID, m.LastError = roster.OutSent, id, ""
		o.deferTo(m.ID, time.Time{})
	case isRetryable(err) && m.Attempts < maxAttempts:
		m.LastError = err.Error()
		backoff := min(firstBackoff<<(m.Attempts-1), maxBackoff)
		o.deferTo(m.ID, o.clock.Now().Add(backoff))
		result = metrics.SendRetry
		o.log.Warn("send failed, will retry", "outgoing", m.ID, "to", m.ToUser, "attempt", m.Attempts, "in", backoff, "err", err)
	default:
		m.Status, m.LastError = roster.OutFailed, err.Error()
		o.deferTo(m.ID, time.Time{})
		result = metrics.SendFail
		attrs := []any{"outgoing", m.ID, "to", m.ToUser, "attempts", m.Attempts, "err", err}
		var se *wecom.SendError
		if errors.As(err, &se) && se.Hint() != "" {
			attrs = append(attrs, "hint", se.Hint())
		}
		o.log.Error("send failed for good", attrs...)
	}
	if o.metrics != nil {
		o.metrics.Sends.WithLabelValues(result).Inc()
	}
	if err := o.store.MarkOutgoing(ctx, m); err != nil {
		// Still pending in the store: try again after a pause. If it was
		// sent, the member may get it twice, which beats never.
		o.log.Error("record send outcome", "outgoing", m.ID, "err", err)
		o.deferTo(m.ID, o.clock.Now().Add(firstBackoff))
		return false
	}
	return m.Status != roster.OutPending
}

func isRetryable(err error) bool {
	var r retryable
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return true
}
