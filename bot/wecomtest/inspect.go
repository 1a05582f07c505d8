package wecomtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxPollWait is the longest a GET _fake/messages request waits.
const MaxPollWait = 30 * time.Second

// serveInspection serves the fake's own endpoints under {prefix}/_fake/.
// They are not part of WeCom's API and need no access token.
func (f *Fake) serveInspection(w http.ResponseWriter, r *http.Request, name string) {
	switch name {
	case "messages":
		f.serveMessages(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveMessages serves GET {prefix}/_fake/messages?touser=U&after=SEQ&wait=5s:
// a JSON array of the recorded messages with Seq greater than after (to
// touser, if given), oldest first. If there are none it waits up to wait
// (a Go duration or a number of seconds, at most MaxPollWait) for one, and
// answers [] if none arrives.
func (f *Fake) serveMessages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	user := q.Get("touser")
	var after int64
	if s := q.Get("after"); s != "" {
		var err error
		if after, err = strconv.ParseInt(s, 10, 64); err != nil {
			http.Error(w, "bad after: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	wait, err := parseWait(q.Get("wait"))
	if err != nil {
		http.Error(w, "bad wait: "+err.Error(), http.StatusBadRequest)
		return
	}

	ctx := r.Context()
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	match := func(s Sent) bool {
		return s.Seq > after && (user == "" || s.ToUser == user)
	}
	var got []Sent
	found := func() bool { // called with f.mu held
		got = f.matchSent(match)
		return len(got) > 0
	}
	if wait > 0 {
		_ = f.wait(ctx, found) // on timeout got is empty
	} else {
		f.mu.Lock()
		found()
		f.mu.Unlock()
	}
	if got == nil {
		got = []Sent{}
	}
	writeJSON(w, got)
}

// parseWait reads a wait parameter: "" (no wait), a Go duration such as
// "5s", or a number of seconds. It is capped at MaxPollWait.
func parseWait(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.ParseFloat(s, 64)
		if err2 != nil {
			return 0, err
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return 0, fmt.Errorf("negative wait %v", d)
	}
	return min(d, MaxPollWait), nil
}

// PollMessages asks a fake served at baseURL (the URL the fake is mounted
// at, e.g. "http://127.0.0.1:8080/demo/wecom") for messages to toUser (all
// users if empty) with Seq greater than after, waiting up to wait for at
// least one. It returns an empty slice if none arrived in time. A nil client
// means http.DefaultClient.
func PollMessages(ctx context.Context, client *http.Client, baseURL, toUser string, after int64, wait time.Duration) ([]Sent, error) {
	if client == nil {
		client = http.DefaultClient
	}
	q := url.Values{}
	if toUser != "" {
		q.Set("touser", toUser)
	}
	q.Set("after", strconv.FormatInt(after, 10))
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	u := strings.TrimSuffix(baseURL, "/") + "/_fake/messages?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wecomtest: GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	var sent []Sent
	if err := json.Unmarshal(body, &sent); err != nil {
		return nil, fmt.Errorf("wecomtest: GET %s: %w", u, err)
	}
	return sent, nil
}
