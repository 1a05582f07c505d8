package wecom

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"

	"dutybot/internal/clock"
)

// exerciseCache checks the cache.Cache contract silenceper's token handle
// relies on: a set value reads back until it expires, and Delete forgets it.
func exerciseCache(t *testing.T, c cache.Cache, key string, expire func()) {
	t.Helper()
	if c.Get(key) != nil || c.IsExist(key) {
		t.Fatal("fresh cache has the key")
	}
	if err := c.Set(key, "token-1", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(key); got != "token-1" || !c.IsExist(key) {
		t.Fatalf("Get = %v, want token-1", got)
	}
	if err := c.Delete(key); err != nil {
		t.Fatal(err)
	}
	if c.Get(key) != nil {
		t.Fatal("Get after Delete returned a value")
	}
	if err := c.Set(key, "token-2", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	expire()
	if got := c.Get(key); got != nil {
		t.Fatalf("Get after expiry = %v, want nil", got)
	}
}

func TestMemoryCache(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	exerciseCache(t, NewMemoryCache(clk), "k", func() { clk.Advance(3 * time.Second) })
}

func TestRedisCache(t *testing.T) {
	url := os.Getenv("DUTYBOT_TEST_REDIS")
	if url == "" {
		t.Skip("DUTYBOT_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/15); skipping the Redis token cache test")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	key := "dutybot_test_token_" + t.Name()
	ctx := context.Background()
	rdb.Del(ctx, key)
	t.Cleanup(func() { rdb.Del(ctx, key) })
	// Redis keeps real time: check the timeout reached Redis, then expire
	// the key by hand rather than waiting.
	exerciseCache(t, NewRedisCache(rdb), key, func() {
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 2*time.Second {
			t.Fatalf("TTL in Redis = %v, want within (0, 2s]", ttl)
		}
		rdb.Del(ctx, key)
	})
}
