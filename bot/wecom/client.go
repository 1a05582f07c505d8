package wecom

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/message"
)

// WeCom error codes dutybot reacts to.
const (
	codeSystemBusy     = -1
	codeInvalidToken   = 40014
	codeMissingToken   = 41001
	codeExpiredToken   = 42001
	codeFreqLimit      = 45009
	codeIPNotTrusted   = 60020
	codeInvalidUser    = 40003
	codeNoUserInRange  = 81013
	codeInvalidAgentID = 40056
)

// ClientConfig is what the API client needs from the self-built app.
type ClientConfig struct {
	CorpID  string
	AgentID int
	Secret  string
	// Cache keeps the access token; a MemoryCache or a RedisCache.
	Cache cache.Cache
}

// Client sends messages as the app through silenceper/wechat's work module.
type Client struct {
	app      app
	messages *message.Client
	agentID  string
}

// NewClient builds a client. Call SetAPIBase first to point it elsewhere
// than WeCom's public host.
func NewClient(cfg ClientConfig) *Client {
	a := newApp(cfg)
	return &Client{app: a, messages: a.work.GetMessage(), agentID: strconv.Itoa(cfg.AgentID)}
}

// markdownRequest is message/send with msgtype markdown, which silenceper
// does not model.
type markdownRequest struct {
	*message.SendRequestCommon
	Markdown message.TextField `json:"markdown"`
}

// SendText sends a text message to one member and returns WeCom's msgid.
func (c *Client) SendText(ctx context.Context, toUser, content string) (string, error) {
	req := message.SendTextRequest{SendRequestCommon: c.common(toUser, "text"), Text: message.TextField{Content: content}}
	return c.send(ctx, "text", req)
}

// SendMarkdown sends a markdown message to one member.
func (c *Client) SendMarkdown(ctx context.Context, toUser, content string) (string, error) {
	req := markdownRequest{SendRequestCommon: c.common(toUser, "markdown"), Markdown: message.TextField{Content: content}}
	return c.send(ctx, "markdown", req)
}

func (c *Client) common(toUser, msgType string) *message.SendRequestCommon {
	return &message.SendRequestCommon{ToUser: toUser, MsgType: msgType, AgentID: c.agentID}
}

// send calls message/send, with a fresh access token when WeCom says the
// cached one is invalid or expired.
func (c *Client) send(ctx context.Context, kind string, req any) (string, error) {
	resp, err := c.sendResponse(ctx, kind, req)
	if err != nil {
		return "", err
	}
	return resp.MsgID, nil
}

// sendResponse is send returning WeCom's whole answer (a template card's
// response code is in it).
func (c *Client) sendResponse(ctx context.Context, kind string, req any) (*message.SendResponse, error) {
	var resp *message.SendResponse
	err := c.app.withFreshToken(ctx, func() error {
		var err error
		resp, err = c.messages.Send("message/send "+kind, req)
		return err
	})
	if resp != nil && resp.InvalidUser != "" {
		// WeCom answers errcode 0 or 81013 and names the userids it could
		// not reach; for one recipient that means nothing arrived.
		return nil, &SendError{Code: codeInvalidUser, Msg: "invalid user " + resp.InvalidUser, err: err}
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, wrapSendError(err)
	}
	return resp, nil
}

func isTokenError(err error) bool {
	var ce *util.CommonError
	if !errors.As(err, &ce) {
		return false
	}
	switch ce.ErrCode {
	case codeInvalidToken, codeExpiredToken, codeMissingToken:
		return true
	}
	return false
}

// SendError is a failed send, with WeCom's errcode when it gave one (0 for
// network and HTTP failures). Its text never holds the access token or secret.
type SendError struct {
	Code int64
	Msg  string
	err  error
}

func (e *SendError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("wecom send: errcode %d: %s", e.Code, e.Msg)
	}
	return "wecom send: " + e.Msg
}

// Unwrap exposes the underlying error for errors.Is/As.
func (e *SendError) Unwrap() error { return e.err }

// Retryable reports whether trying again later may succeed: network trouble,
// WeCom busy or rate-limited, a token problem, or the server IP not yet on
// the app's trusted list (an admin can fix that while we retry).
func (e *SendError) Retryable() bool {
	switch e.Code {
	case 0, codeSystemBusy, codeFreqLimit, codeIPNotTrusted,
		codeInvalidToken, codeExpiredToken, codeMissingToken:
		return true
	}
	return false
}

// Hint says what an operator should do about a permanent error, if known.
func (e *SendError) Hint() string {
	switch e.Code {
	case codeIPNotTrusted:
		return "add this server's public IP to the app's trusted IP list (企业可信IP) in WeCom's admin console"
	case codeInvalidUser, codeNoUserInRange:
		return "the userid is wrong or outside the app's visible range (可见范围)"
	case codeInvalidAgentID:
		return "check DUTYBOT_WECOM_AGENT_ID"
	}
	return ""
}

func wrapSendError(err error) *SendError {
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &SendError{Code: ce.ErrCode, Msg: ce.ErrMsg, err: err}
	}
	return &SendError{Msg: Redact(err.Error()), err: err}
}

var secretParam = regexp.MustCompile(`(?i)(access_token|corpsecret|secret)=[^&\s"]*`)

// Redact removes access tokens and secrets from a URL or error text, since
// silenceper's errors quote the request URL.
func Redact(s string) string {
	return secretParam.ReplaceAllString(s, "$1=REDACTED")
}
