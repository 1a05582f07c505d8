package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"dutybot/internal/clock"
)

// Limiter paces outgoing calls per key (e.g. "wecom:user:zhangsan").
//
// Reserve asks to make one call now. A zero wait means go now, and the call
// has been counted; a positive wait means not now, try again after wait, and
// nothing has been counted. An error means the limiter could not decide.
type Limiter interface {
	Reserve(ctx context.Context, key string) (wait time.Duration, err error)
}

// Limit allows at most Rate calls in any window of length Period.
type Limit struct {
	Rate   int
	Period time.Duration
}

// WeComMemberLimits are WeCom's caps on app messages to one member: 30 a
// minute and 1,000 an hour. WeCom silently drops messages past them, so the
// outbox must wait instead.
func WeComMemberLimits() []Limit {
	return []Limit{{Rate: 30, Period: time.Minute}, {Rate: 1000, Period: time.Hour}}
}

// wecomUserKey is the limiter key for messages to one WeCom member.
func wecomUserKey(userID string) string { return "wecom:user:" + userID }

// checkLimits panics on a limit that cannot be met: limits are fixed by the
// program, so a bad one is a programming error.
func checkLimits(limits []Limit) {
	for _, l := range limits {
		if l.Rate <= 0 || l.Period <= 0 {
			panic(fmt.Sprintf("bot: invalid rate limit %d per %v", l.Rate, l.Period))
		}
	}
}

// MemoryLimiter is an in-process sliding-window limiter on an injected
// clock. It is exact: a key never gets more than Rate calls in any window of
// Period. It is safe for concurrent use; keys idle for the longest period are
// forgotten.
type MemoryLimiter struct {
	clock     clock.Clock
	limits    []Limit
	maxPeriod time.Duration

	mu        sync.Mutex
	keys      map[string]*memoryKey
	lastSweep time.Time
}

// memoryKey holds, per limit, the times of the calls counted in its current
// window, oldest first.
type memoryKey struct {
	sent [][]time.Time
}

// NewMemoryLimiter returns a limiter allowing each key every one of limits.
// It panics if a limit has a non-positive Rate or Period.
func NewMemoryLimiter(clk clock.Clock, limits ...Limit) *MemoryLimiter {
	checkLimits(limits)
	l := &MemoryLimiter{
		clock:     clk,
		limits:    append([]Limit(nil), limits...),
		keys:      make(map[string]*memoryKey),
		lastSweep: clk.Now(),
	}
	for _, lim := range limits {
		l.maxPeriod = max(l.maxPeriod, lim.Period)
	}
	return l
}

// Reserve counts one call for key if every limit allows it now; otherwise it
// returns how long until all of them do, and counts nothing.
func (l *MemoryLimiter) Reserve(ctx context.Context, key string) (time.Duration, error) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)

	k := l.keys[key]
	if k == nil {
		k = &memoryKey{sent: make([][]time.Time, len(l.limits))}
		l.keys[key] = k
	}
	var wait time.Duration
	for i, lim := range l.limits {
		k.sent[i] = dropBefore(k.sent[i], now.Add(-lim.Period))
		if n := len(k.sent[i]); n >= lim.Rate {
			// The window frees once the call Rate places back leaves it.
			wait = max(wait, k.sent[i][n-lim.Rate].Add(lim.Period).Sub(now))
		}
	}
	if wait > 0 {
		return wait, nil
	}
	for i := range l.limits {
		k.sent[i] = append(k.sent[i], now)
	}
	return 0, nil
}

// dropBefore removes the times at or before cutoff: they have left the
// window (now-Period, now].
func dropBefore(times []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	if i == 0 {
		return times
	}
	// Copy down so the backing array does not grow without bound.
	return append(times[:0], times[i:]...)
}

// sweep forgets keys with no call in the longest window, at most once per
// longest period. l.mu must be held.
func (l *MemoryLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.maxPeriod {
		return
	}
	l.lastSweep = now
	cutoff := now.Add(-l.maxPeriod)
	for key, k := range l.keys {
		idle := true
		for _, sent := range k.sent {
			if len(sent) > 0 && sent[len(sent)-1].After(cutoff) {
				idle = false
				break
			}
		}
		if idle {
			delete(l.keys, key)
		}
	}
}

// RedisLimiter keeps the counts in Redis, so several dutybot instances share
// one limit per key. It uses redis_rate's GCRA.
//
// GCRA with a burst b and an interval T between calls lets about b + W/T
// calls through in a window W, so mapping Limit{30, time.Minute} to
// {Rate: 30, Burst: 30} would let nearly 60 through in a minute, and WeCom
// would silently drop the excess. Each Limit is therefore split into a burst
// of ceil(Rate/2) and a steady rate of floor(Rate/2) per Period (at least
// one each): never more than Rate in any window of Period, at the cost of
// half the sustained throughput (for WeCom: 15 at once, then one every 4 s;
// that alone stays under 1,000 an hour). The in-process MemoryLimiter is
// exact and allows the full Rate.
//
// Reserve first peeks at every limit (AllowN with n=0 changes nothing) and
// counts the call on all of them only if all allow it, so a call refused by
// one limit is not counted by another. Between the peek and the count another
// instance may take the last slot; then the limits already counted keep that
// count. That errs on the safe side: a little fewer calls, never more.
type RedisLimiter struct {
	rl     *redis_rate.Limiter
	limits []redis_rate.Limit
}

// NewRedisLimiter returns a limiter allowing each key every one of limits,
// stored in rdb under "rate:dutybot:<key>:<period>". It panics if a limit has
// a non-positive Rate or Period.
func NewRedisLimiter(rdb redis.UniversalClient, limits ...Limit) *RedisLimiter {
	checkLimits(limits)
	l := &RedisLimiter{rl: redis_rate.NewLimiter(rdb)}
	for _, lim := range limits {
		rate := max(1, lim.Rate/2)
		l.limits = append(l.limits, redis_rate.Limit{
			Rate:   rate,
			Burst:  max(1, lim.Rate-rate),
			Period: lim.Period,
		})
	}
	return l
}

func (l *RedisLimiter) redisKey(key string, lim redis_rate.Limit) string {
	return "dutybot:" + key + ":" + lim.Period.String()
}

// Reserve counts one call for key if every limit allows it now; otherwise it
// returns how long until the first refusing limit does, and counts nothing.
func (l *RedisLimiter) Reserve(ctx context.Context, key string) (time.Duration, error) {
	taken := make([]bool, len(l.limits))
	for i, lim := range l.limits {
		rk := l.redisKey(key, lim)
		res, err := l.rl.AllowN(ctx, rk, lim, 0)
		if err != nil {
			return 0, fmt.Errorf("rate limit %s: peek %v: %w", key, lim, err)
		}
		if res.Remaining >= 1 {
			continue
		}
		// Not now. A refused AllowN changes nothing and says how long to
		// wait; if the slot freed meanwhile, it was just counted.
		res, err = l.rl.AllowN(ctx, rk, lim, 1)
		if err != nil {
			return 0, fmt.Errorf("rate limit %s: %v: %w", key, lim, err)
		}
		if res.Allowed == 0 {
			return max(res.RetryAfter, time.Millisecond), nil
		}
		taken[i] = true
	}
	for i, lim := range l.limits {
		if taken[i] {
			continue
		}
		res, err := l.rl.AllowN(ctx, l.redisKey(key, lim), lim, 1)
		if err != nil {
			return 0, fmt.Errorf("rate limit %s: %v: %w", key, lim, err)
		}
		if res.Allowed == 0 {
			// Another instance took the slot since the peek.
			return max(res.RetryAfter, time.Millisecond), nil
		}
	}
	return 0, nil
}

// WeComAppLimits are WeCom's limits on the app as a whole: the base API
// allows 10,000 calls a minute per corp.
func WeComAppLimits() []Limit { return []Limit{{Rate: 10000, Period: time.Minute}} }

// WeComAppKey is the key the app-wide limit counts under.
const WeComAppKey = "wecom:app"

// appLimited puts an app-wide limit in front of a per-key one: a send must
// fit both. The app-wide slot is taken first, so a send the per-key limit
// then refuses has used one app-wide slot: the app-wide limit is reached a
// little early, never passed.
type appLimited struct {
	app  Limiter
	each Limiter
}

// WithAppLimit returns a limiter that checks app (under WeComAppKey) and then
// each (under the caller's key).
func WithAppLimit(app, each Limiter) Limiter { return appLimited{app: app, each: each} }

// Reserve implements Limiter.
func (l appLimited) Reserve(ctx context.Context, key string) (time.Duration, error) {
	if wait, err := l.app.Reserve(ctx, WeComAppKey); err != nil || wait > 0 {
		return wait, err
	}
	return l.each.Reserve(ctx, key)
}
