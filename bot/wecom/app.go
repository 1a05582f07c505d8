package wecom

import (
	"context"
	"fmt"
	"strconv"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/work"
	workconfig "github.com/silenceper/wechat/v2/work/config"
)

// app is what every API client of one self-built app shares: silenceper's
// work instance (with its access-token handle) and the cache entry that
// holds the token.
type app struct {
	work     *work.Work
	cache    cache.Cache
	tokenKey string
}

func newApp(cfg ClientConfig) app {
	agent := strconv.Itoa(cfg.AgentID)
	return app{
		work: work.NewWork(&workconfig.Config{
			CorpID:     cfg.CorpID,
			CorpSecret: cfg.Secret,
			AgentID:    agent,
			Cache:      cfg.Cache,
		}),
		cache: cfg.Cache,
		// The key silenceper's work access-token handle caches under;
		// deleting it forces a fresh gettoken.
		tokenKey: fmt.Sprintf("%s_access_token_%s_%s", credential.CacheKeyWorkPrefix, cfg.CorpID, agent),
	}
}

// withFreshToken runs call, and once more after dropping the cached access
// token when WeCom says it is invalid, missing or expired (40014, 41001,
// 42001). silenceper's calls take no context, so ctx is checked before each
// attempt; every call is bounded by the API timeout SetAPIBase installs.
func (a app) withFreshToken(ctx context.Context, call func() error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := call()
		if attempt == 0 && isTokenError(err) {
			_ = a.cache.Delete(a.tokenKey)
			continue
		}
		return err
	}
}
