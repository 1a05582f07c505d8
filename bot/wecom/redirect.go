package wecom

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// publicHost is the host silenceper/wechat writes into every WeCom API URL.
const publicHost = "https://qyapi.weixin.qq.com"

// silenceper/wechat builds every URL from the constant public host, sends with
// util.DefaultHTTPClient (no timeout), and offers a single process-wide hook to
// rewrite URLs. Those are the library's globals, not ours; this file is the one
// place dutybot touches them. One dutybot process therefore talks to one WeCom
// API base at a time (private 政务微信 deployments, or a local fake in tests).
var (
	installOnce sync.Once
	apiBase     atomic.Pointer[string]
)

// apiTimeout bounds every WeCom API call; WeCom answers in well under a second.
const apiTimeout = 10 * time.Second

// SetAPIBase points every WeCom API call of this process at base (for example
// "https://qyapi.weixin.qq.com", a 政务微信 host, or a test server's URL).
func SetAPIBase(base string) {
	base = strings.TrimRight(base, "/")
	apiBase.Store(&base)
	installOnce.Do(func() {
		util.DefaultHTTPClient = &http.Client{Timeout: apiTimeout}
		util.SetURIModifier(rewriteHost)
	})
}

func rewriteHost(uri string) string {
	base := apiBase.Load()
	if base == nil || *base == publicHost || !strings.HasPrefix(uri, publicHost) {
		return uri
	}
	return *base + strings.TrimPrefix(uri, publicHost)
}
