package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	workconfig "github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/material"
)

// codeInvalidMediaID is WeCom's answer for an unknown or expired media_id
// (temporary media lives three days).
const codeInvalidMediaID = 40007

// MediaClient downloads files members send to the app (WeCom media/get,
// 获取临时素材) through silenceper/wechat's work/material. It shares the
// access token, and its cache, with the Client built from the same
// ClientConfig.
type MediaClient struct {
	material *material.Client
	cache    cache.Cache
	tokenKey string
}

// NewMediaClient builds a media client. Call SetAPIBase first to point it
// elsewhere than WeCom's public host.
func NewMediaClient(cfg ClientConfig) *MediaClient {
	agent := strconv.Itoa(cfg.AgentID)
	wk := work.NewWork(&workconfig.Config{
		CorpID:     cfg.CorpID,
		CorpSecret: cfg.Secret,
		AgentID:    agent,
		Cache:      cfg.Cache,
	})
	return &MediaClient{
		material: wk.GetMaterial(),
		cache:    cfg.Cache,
		// The same key NewClient uses: silenceper's work access-token key.
		tokenKey: fmt.Sprintf("%s_access_token_%s_%s", credential.CacheKeyWorkPrefix, cfg.CorpID, agent),
	}
}

// FetchMedia downloads temporary media mediaID. When WeCom says the cached
// access token is invalid or expired, the token is dropped and the
// download tried once more. silenceper's call takes no context; ctx is
// checked before each attempt, and every call is bounded by the API
// timeout SetAPIBase installs.
func (c *MediaClient) FetchMedia(ctx context.Context, mediaID string) ([]byte, error) {
	if mediaID == "" {
		return nil, &MediaError{Msg: "empty media id"}
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// silenceper puts the id into the query unescaped.
		data, err := c.material.GetTempFile(url.QueryEscape(mediaID))
		if attempt == 0 && isTokenError(err) {
			_ = c.cache.Delete(c.tokenKey)
			continue
		}
		if err != nil {
			return nil, mediaError(err)
		}
		return data, nil
	}
}

// MediaError is a failed media download, with WeCom's errcode when it gave
// one (0 for network and HTTP failures). Its text never holds the access
// token.
type MediaError struct {
	Code int64
	Msg  string
	err  error
}

func (e *MediaError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("wecom media/get: errcode %d: %s", e.Code, e.Msg)
	}
	return "wecom media/get: " + e.Msg
}

// Unwrap exposes the underlying error for errors.Is/As.
func (e *MediaError) Unwrap() error { return e.err }

// Expired reports whether WeCom no longer has the file (or never had it):
// the member must send it again.
func (e *MediaError) Expired() bool { return e.Code == codeInvalidMediaID }

func mediaError(err error) *MediaError {
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &MediaError{Code: ce.ErrCode, Msg: ce.ErrMsg, err: err}
	}
	// silenceper's HTTP errors quote the URL, access token included.
	return &MediaError{Msg: Redact(err.Error()), err: err}
}
