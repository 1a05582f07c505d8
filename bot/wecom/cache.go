package wecom

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"dutybot/internal/clock"
)

// MemoryCache is an in-process cache.Cache for the access token, safe for
// concurrent use (silenceper's own Memory cache reads without its lock).
type MemoryCache struct {
	clock clock.Clock
	mu    sync.Mutex
	items map[string]memoryItem
}

type memoryItem struct {
	val     any
	expires time.Time
}

var _ cache.Cache = (*MemoryCache)(nil)

// NewMemoryCache returns an empty cache that expires entries by clk.
func NewMemoryCache(clk clock.Clock) *MemoryCache {
	return &MemoryCache{clock: clk, items: make(map[string]memoryItem)}
}

// Get returns the value for key, or nil when missing or expired.
func (c *MemoryCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok || !c.clock.Now().Before(it.expires) {
		delete(c.items, key)
		return nil
	}
	return it.val
}

// Set stores val for timeout.
func (c *MemoryCache) Set(key string, val any, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[key] = memoryItem{val: val, expires: c.clock.Now().Add(timeout)}
	return nil
}

// IsExist reports whether key holds an unexpired value.
func (c *MemoryCache) IsExist(key string) bool { return c.Get(key) != nil }

// Delete removes key.
func (c *MemoryCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, key)
	return nil
}

// RedisCache shares the access token between dutybot instances through Redis,
// so they do not each fetch (and invalidate) their own.
type RedisCache struct {
	rdb     redis.UniversalClient
	timeout time.Duration
}

var _ cache.Cache = (*RedisCache)(nil)

// NewRedisCache wraps a go-redis client.
func NewRedisCache(rdb redis.UniversalClient) *RedisCache {
	return &RedisCache{rdb: rdb, timeout: 3 * time.Second}
}

func (c *RedisCache) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.timeout)
}

// Get returns the string stored at key, or nil (also when Redis is down: the
// token is then fetched afresh, which is safe).
func (c *RedisCache) Get(key string) any {
	ctx, cancel := c.ctx()
	defer cancel()
	v, err := c.rdb.Get(ctx, key).Result()
	if err != nil {
		return nil
	}
	return v
}

// Set stores val (a string) for timeout.
func (c *RedisCache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.rdb.Set(ctx, key, fmt.Sprint(val), timeout).Err(); err != nil {
		return fmt.Errorf("redis cache set: %w", err)
	}
	return nil
}

// IsExist reports whether key exists.
func (c *RedisCache) IsExist(key string) bool {
	ctx, cancel := c.ctx()
	defer cancel()
	n, err := c.rdb.Exists(ctx, key).Result()
	return err == nil && n > 0
}

// Delete removes key.
func (c *RedisCache) Delete(key string) error {
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.rdb.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("redis cache delete: %w", err)
	}
	return nil
}
