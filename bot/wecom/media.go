package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/silenceper/wechat/v2/util"
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
	app      app
	material *material.Client
}

// NewMediaClient builds a media client. Call SetAPIBase first to point it
// elsewhere than WeCom's public host.
func NewMediaClient(cfg ClientConfig) *MediaClient {
	a := newApp(cfg)
	return &MediaClient{app: a, material: a.work.GetMaterial()}
}

// FetchMedia downloads temporary media mediaID, with a fresh access token
// when WeCom says the cached one is invalid or expired.
func (c *MediaClient) FetchMedia(ctx context.Context, mediaID string) ([]byte, error) {
	if mediaID == "" {
		return nil, &MediaError{Msg: "empty media id"}
	}
	var data []byte
	err := c.app.withFreshToken(ctx, func() error {
		var err error
		// silenceper puts the id into the query unescaped.
		data, err = c.material.GetTempFile(url.QueryEscape(mediaID))
		return err
	})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, mediaError(err)
	}
	return data, nil
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
