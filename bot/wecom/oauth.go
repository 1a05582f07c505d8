package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/oauth"
)

// PublicAuthorizeURL is WeCom's OAuth page, opened in the member's browser
// (not an API call, so SetAPIBase does not rewrite it).
const PublicAuthorizeURL = "https://open.weixin.qq.com/connect/oauth2/authorize"

// OAuth logs members into web pages through WeCom's web OAuth (网页授权):
// the browser goes to the authorize page, comes back with a code, and the
// code is exchanged for the member's userid (auth/getuserinfo).
type OAuth struct {
	app     app
	oauth   *oauth.Oauth
	corpID  string
	agentID string
}

// NewOAuth builds the OAuth client of the self-built app. Call SetAPIBase
// first to point it elsewhere than WeCom's public host.
func NewOAuth(cfg ClientConfig) *OAuth {
	a := newApp(cfg)
	return &OAuth{app: a, oauth: a.work.GetOauth(), corpID: cfg.CorpID, agentID: fmt.Sprint(cfg.AgentID)}
}

// AuthorizeURL is the page at authorizeBase (PublicAuthorizeURL, or a
// fake's) that sends the member back to redirectURI with a code and state.
func (o *OAuth) AuthorizeURL(authorizeBase, redirectURI, state string) string {
	q := url.Values{}
	q.Set("appid", o.corpID)
	q.Set("redirect_uri", redirectURI)
	q.Set("response_type", "code")
	q.Set("scope", "snsapi_base")
	q.Set("state", state)
	q.Set("agentid", o.agentID)
	return authorizeBase + "?" + q.Encode() + "#wechat_redirect"
}

// ErrNotMember is returned for a code of someone outside the corp (WeCom
// answers an openid, not a userid).
var ErrNotMember = errors.New("not a member of the corp")

// UserID exchanges an OAuth code (valid once, for five minutes) for the
// member's userid.
func (o *OAuth) UserID(ctx context.Context, code string) (string, error) {
	var resp *oauth.GetUserInfoResponse
	err := o.app.withFreshToken(ctx, func() error {
		var err error
		resp, err = o.oauth.GetUserInfo(code)
		return err
	})
	if err != nil {
		var ce *util.CommonError
		if errors.As(err, &ce) {
			return "", fmt.Errorf("wecom auth/getuserinfo: errcode %d: %s", ce.ErrCode, Redact(ce.ErrMsg))
		}
		return "", fmt.Errorf("wecom auth/getuserinfo: %s", Redact(err.Error()))
	}
	if resp.UserID == "" {
		return "", ErrNotMember
	}
	return resp.UserID, nil
}
