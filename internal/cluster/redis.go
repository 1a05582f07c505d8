package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps leases in Redis, shared by every instance using the same
// server: SET NX PX to take one, owner-checked Lua scripts to renew and
// release it (an instance never extends or drops a lease it lost).
type Redis struct {
	client *redis.Client
	owner  string
	prefix string
}

// NewRedis returns the leases of instance owner, under keys prefixed with
// prefix (e.g. "dutybot:lease:").
func NewRedis(client *redis.Client, owner, prefix string) *Redis {
	return &Redis{client: client, owner: owner, prefix: prefix}
}

// acquireScript sets the key if absent and returns -1, or returns the
// holder's remaining milliseconds.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
return redis.call('PTTL', KEYS[1])
`)

var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Acquire takes key for ttl unless another holds it.
func (r *Redis) Acquire(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	n, err := acquireScript.Run(ctx, r.client, []string{r.prefix + key}, r.owner, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, 0, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	if n == -1 {
		return true, 0, nil
	}
	// -2: expired between SET and PTTL; -1 never (leases always expire).
	return false, time.Duration(max(n, 1)) * time.Millisecond, nil
}

// Renew extends key to ttl if this instance still holds it.
func (r *Redis) Renew(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, r.client, []string{r.prefix + key}, r.owner, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", key, err)
	}
	return n == 1, nil
}

// Release drops key if this instance holds it.
func (r *Redis) Release(ctx context.Context, key string) error {
	if err := releaseScript.Run(ctx, r.client, []string{r.prefix + key}, r.owner).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}

// RedisBus announces timers on a Redis pub/sub channel.
type RedisBus struct {
	client  *redis.Client
	self    string
	channel string
}

// NewRedisBus returns the bus of instance self on channel.
func NewRedisBus(client *redis.Client, self, channel string) *RedisBus {
	return &RedisBus{client: client, self: self, channel: channel}
}

// Publish announces a (From is set to this instance).
func (b *RedisBus) Publish(ctx context.Context, a Announcement) error {
	a.From = b.self
	msg, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("announce %s %s: %w", a.Kind, a.Key, err)
	}
	if err := b.client.Publish(ctx, b.channel, msg).Err(); err != nil {
		return fmt.Errorf("announce %s %s: %w", a.Kind, a.Key, err)
	}
	return nil
}

// Subscribe calls fn for every announcement from another instance until
// ctx ends. It returns once the subscription is confirmed, delivering from a
// goroutine; go-redis reconnects by itself after a dropped connection.
func (b *RedisBus) Subscribe(ctx context.Context, fn func(Announcement)) error {
	sub := b.client.Subscribe(ctx, b.channel)
	if _, err := sub.Receive(ctx); err != nil {
		sub.Close()
		return fmt.Errorf("subscribe to %s: %w", b.channel, err)
	}
	ch := sub.Channel()
	go func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				var a Announcement
				if json.Unmarshal([]byte(m.Payload), &a) != nil || a.From == b.self {
					continue
				}
				fn(a)
			}
		}
	}()
	return nil
}
