package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"dutybot/bot/wecomtest"
)

// Pairing pairs phones with a member of a running demo server the way a
// person does: the member sends 绑定手机 in WeCom (a signed callback), the
// bot answers with a pairing code (read back from the fake WeCom the demo
// serves), and the phone claims it with POST /api/v1/devices.
type Pairing struct {
	URL     string // server base URL, e.g. http://127.0.0.1:8080
	FakeURL string // where the demo's fake WeCom is mounted, e.g. URL + "/demo/wecom"
	Signer  wecomtest.Signer
	User    string // the member's WeCom userid
	Topic   string // the app's bundle id, sent with each device
	Client  *http.Client
	// Wait bounds how long one pairing waits for the bot's code.
	Wait time.Duration
}

// codeReply finds the code in the bot's answer to 绑定手机.
var codeReply = regexp.MustCompile(`手机绑定码：([0-9]{6})`)

// Pair pairs one phone (platform "ios" or "android", its push token) and
// returns its device id. Codes are per member and a new one voids the last,
// so pairings for one member must not overlap.
func (p Pairing) Pair(ctx context.Context, platform, token string) (int64, error) {
	if err := CheckLoopback(p.URL); err != nil {
		return 0, err
	}
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	wait := p.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	// Where the member's messages stand, so only the new answer is read.
	var after int64
	seen, err := wecomtest.PollMessages(ctx, client, p.FakeURL, p.User, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("read the demo's fake WeCom (is the server in demo mode?): %w", err)
	}
	if len(seen) > 0 {
		after = seen[len(seen)-1].Seq
	}
	now := time.Now()
	msg := wecomtest.TextXML(p.Signer.CorpID, p.User, "绑定手机", now.UnixNano(), now, p.Signer.AgentID)
	resp, err := p.Signer.Post(ctx, client, strings.TrimSuffix(p.URL, "/")+"/wecom/callback", msg, now)
	if err != nil {
		return 0, fmt.Errorf("send 绑定手机 as %s: %w", p.User, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("send 绑定手机 as %s: %s", p.User, resp.Status)
	}
	code := ""
	deadline := now.Add(wait)
	for code == "" {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, fmt.Errorf("no pairing code for %s within %s", p.User, wait)
		}
		got, err := wecomtest.PollMessages(ctx, client, p.FakeURL, p.User, after, min(left, 2*time.Second))
		if err != nil {
			return 0, fmt.Errorf("read the pairing code: %w", err)
		}
		for _, m := range got {
			after = max(after, m.Seq)
			if c := codeReply.FindStringSubmatch(m.Content); c != nil {
				code = c[1]
			}
		}
	}
	body, err := json.Marshal(map[string]string{"code": code, "platform": platform, "token": token, "topic": p.Topic})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(p.URL, "/")+"/api/v1/devices", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("pair a phone: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("pair a phone: %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	var got struct {
		DeviceID int64 `json:"device_id"`
	}
	if err := json.Unmarshal(raw, &got); err != nil || got.DeviceID == 0 {
		return 0, fmt.Errorf("pair a phone: unexpected answer %q", raw)
	}
	return got.DeviceID, nil
}
