package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SeenCallbacks remembers the dedup keys of stored callbacks, so the
// instances behind a load balancer answer WeCom's retries without a trip to
// the database. It is only a fast path: the store's UNIQUE dedup key stays
// the guarantee, and a key is marked only after the store committed it, so a
// failed save can never make the retry look like a duplicate.
type SeenCallbacks interface {
	Seen(ctx context.Context, key string) (bool, error)
	MarkSeen(ctx context.Context, key string) error
}

// RedisSeen keeps seen callback keys in Redis for ttl (longer than WeCom's
// retries, which come within seconds).
type RedisSeen struct {
	client *redis.Client
	prefix string
	ttl    time.Duration
}

// NewRedisSeen returns seen-callback keys under prefix, kept for ttl.
func NewRedisSeen(client *redis.Client, prefix string, ttl time.Duration) *RedisSeen {
	return &RedisSeen{client: client, prefix: prefix, ttl: ttl}
}

// Seen reports whether key was marked.
func (r *RedisSeen) Seen(ctx context.Context, key string) (bool, error) {
	n, err := r.client.Exists(ctx, r.prefix+key).Result()
	if err != nil {
		return false, fmt.Errorf("look up callback %s: %w", key, err)
	}
	return n == 1, nil
}

// MarkSeen marks key for ttl.
func (r *RedisSeen) MarkSeen(ctx context.Context, key string) error {
	if err := r.client.Set(ctx, r.prefix+key, 1, r.ttl).Err(); err != nil {
		return fmt.Errorf("mark callback %s seen: %w", key, err)
	}
	return nil
}
