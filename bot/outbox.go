package bot

import (
	"context"
	"errors"
	"log/slog"
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
}

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
	// notBefore holds the earliest next try of messages that failed.
	notBefore map[int64]time.Time
}

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
func (o *outbox) deliverPending(ctx context.Context) (time.Duration, error) {
	for {
		msgs, err := o.store.PendingOutgoing(ctx, outboxBatch)
		if err != nil {
			return 0, err
		}
		now := o.clock.Now()
		var next time.Time
		sent := 0
		// A member's messages go out in order: once one is deferred, later
		// ones to the same member wait for it.
		held := make(map[string]bool)
		for _, m := range msgs {
			if ctx.Err() != nil {
				return 0, nil
			}
			if at, ok := o.notBefore[m.ID]; ok && at.After(now) || held[m.ToUser] {
				held[m.ToUser] = true
				if at, ok := o.notBefore[m.ID]; ok && (next.IsZero() || at.Before(next)) {
					next = at
				}
				continue
			}
			if o.deliver(ctx, m) {
				sent++
				continue
			}
			if at, ok := o.notBefore[m.ID]; ok {
				held[m.ToUser] = true
				if next.IsZero() || at.Before(next) {
					next = at
				}
			}
		}
		if sent == 0 || len(msgs) < outboxBatch {
			if next.IsZero() {
				return 0, nil
			}
			return max(next.Sub(o.clock.Now()), time.Millisecond), nil
		}
	}
}

// deliver makes one attempt and records its outcome. It reports whether the
// message left pending status (sent or failed for good).
func (o *outbox) deliver(ctx context.Context, m roster.Outgoing) bool {
	// A send under way is finished and recorded even if shutdown begins.
	ctx = context.WithoutCancel(ctx)
	var err error
	var id string
	if m.Kind == "markdown" {
		id, err = o.sender.SendMarkdown(ctx, m.ToUser, m.Content)
	} else {
		id, err = o.sender.SendText(ctx, m.ToUser, m.Content)
	}
	m.Attempts++
	m.UpdatedAt = o.clock.Now().UTC()
	result := metrics.SendOK
	switch {
	case err == nil:
		m.Status, m.WeComID, m.LastError = roster.OutSent, id, ""
		delete(o.notBefore, m.ID)
	case isRetryable(err) && m.Attempts < maxAttempts:
		m.LastError = err.Error()
		backoff := min(firstBackoff<<(m.Attempts-1), maxBackoff)
		o.notBefore[m.ID] = o.clock.Now().Add(backoff)
		result = metrics.SendRetry
		o.log.Warn("send failed, will retry", "outgoing", m.ID, "to", m.ToUser, "attempt", m.Attempts, "in", backoff, "err", err)
	default:
		m.Status, m.LastError = roster.OutFailed, err.Error()
		delete(o.notBefore, m.ID)
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
		o.log.Error("record send outcome", "outgoing", m.ID, "err", err)
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
