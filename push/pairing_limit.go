package push

import (
	"sync"
	"time"

	"dutybot/internal/clock"
)

// Pairing attempt limits: at most PairingMaxFailures wrong claims per client
// per PairingFailureWindow.
const (
	PairingMaxFailures   = 5
	PairingFailureWindow = 10 * time.Minute
)

// limiterSweepAt is the number of tracked clients above which a failure
// also drops every client whose failures have all aged out.
const limiterSweepAt = 10_000

// AttemptLimiter counts failed attempts per key (a client IP) in a sliding
// window, in memory on a clock. Once a key has max failures inside the
// window it is refused until the oldest of them leaves the window. A
// restart forgets the counts. It is safe for concurrent use.
type AttemptLimiter struct {
	clock  clock.Clock
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time // oldest first
}

// NewAttemptLimiter allows max failures per key per window.
func NewAttemptLimiter(clk clock.Clock, max int, window time.Duration) *AttemptLimiter {
	return &AttemptLimiter{clock: clk, max: max, window: window, failures: make(map[string][]time.Time)}
}

// NewPairingLimiter is the limiter for pairing-code claims.
func NewPairingLimiter(clk clock.Clock) *AttemptLimiter {
	return NewAttemptLimiter(clk, PairingMaxFailures, PairingFailureWindow)
}

// Allow reports whether key may try now and, when it may not, how long
// until it may.
func (l *AttemptLimiter) Allow(key string) (bool, time.Duration) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.recent(key, now)
	if len(fs) < l.max {
		return true, 0
	}
	return false, fs[len(fs)-l.max].Add(l.window).Sub(now)
}

// Fail records a failed attempt by key.
func (l *AttemptLimiter) Fail(key string) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > limiterSweepAt {
		for k := range l.failures {
			l.recent(k, now)
		}
	}
	l.failures[key] = append(l.recent(key, now), now)
}

// recent drops key's failures older than the window and returns the rest.
// The caller holds mu.
func (l *AttemptLimiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && !fs[i].Add(l.window).After(now) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = fs
	return fs
}
