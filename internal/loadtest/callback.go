// Package loadtest drives a running dutybot with realistic traffic and
// measures it: `dutybot bench` is a thin wrapper around it. Targets are
// limited to loopback addresses, and every run is bounded in count and time.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dutybot/bot/wecomtest"
)

// CallbackLoad sends N signed, encrypted text callbacks to URL from C
// concurrent senders, as WeCom would, each with a unique MsgId.
type CallbackLoad struct {
	URL     string // server base URL, e.g. http://127.0.0.1:8080
	Signer  wecomtest.Signer
	Users   []string // senders, used round robin
	Text    string   // message text; default 帮助
	N       int
	C       int
	Timeout time.Duration // the whole run stops after this
	// MsgIDBase is the MsgId of callback 0 (callback i has MsgIDBase+i);
	// 0 means start from the clock, unique across runs. Running again with
	// the same base replays the same callbacks, as WeCom's retries do.
	MsgIDBase int64
}

// Result is what a load run measured.
type Result struct {
	Sent      int
	OK        int
	Failed    map[string]int // by status or error
	Elapsed   time.Duration
	Latencies []time.Duration // of successful requests, sorted
	// OKIDs are the MsgIds of the callbacks answered 200, in no order:
	// what a crash test must find stored and processed.
	OKIDs     []int64
	HeapAlloc uint64 // this client's heap after the run
}

// Throughput is successful callbacks per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile latency (0 < p ≤ 100).
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// String is the report printed by `dutybot bench callback`.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "callbacks: %d sent, %d ok, %d failed in %s\n", r.Sent, r.OK, r.Sent-r.OK, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "throughput: %.0f callbacks/s\n", r.Throughput())
	fmt.Fprintf(&b, "latency: p50 %s  p90 %s  p99 %s  max %s\n",
		ms(r.Percentile(50)), ms(r.Percentile(90)), ms(r.Percentile(99)), ms(r.Percentile(100)))
	keys := make([]string, 0, len(r.Failed))
	for k := range r.Failed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "failed: %s × %d\n", k, r.Failed[k])
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// CheckLoopback refuses targets that are not on this machine.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("bad URL %q: want e.g. http://127.0.0.1:8080", rawURL)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("load runs only target this machine (127.0.0.0/8, ::1, localhost), not %q", host)
}

// Run performs the load and returns what it measured.
func (l CallbackLoad) Run(ctx context.Context) (Result, error) {
	if err := CheckLoopback(l.URL); err != nil {
		return Result{}, err
	}
	if l.N <= 0 || l.C <= 0 || len(l.Users) == 0 {
		return Result{}, errors.New("need N > 0, C > 0 and at least one user")
	}
	if l.Text == "" {
		l.Text = "帮助"
	}
	if l.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Timeout)
		defer cancel()
	}
	transport := &http.Transport{MaxIdleConnsPerHost: l.C, MaxConnsPerHost: l.C}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	endpoint := strings.TrimSuffix(l.URL, "/") + "/wecom/callback"
	// MsgIds unique across runs: start from the clock.
	base := l.MsgIDBase
	if base == 0 {
		base = time.Now().UnixNano()
	}

	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, l.N)
		okIDs     = make([]int64, 0, l.N)
		failed    = map[string]int{}
		sent      atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range l.C {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(l.N) {
					return
				}
				now := time.Now()
				user := l.Users[int(i)%len(l.Users)]
				plain := wecomtest.TextXML(l.Signer.CorpID, user, l.Text, base+i, now, l.Signer.AgentID)
				q, body, err := l.Signer.Envelope(plain, now, strconv.FormatInt(i, 10))
				if err != nil {
					mu.Lock()
					failed["sign: "+err.Error()]++
					mu.Unlock()
					continue
				}
				sent.Add(1)
				t0 := time.Now()
				status, err := post(ctx, client, endpoint+"?"+q.Encode(), body)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil:
					failed[errKind(err)]++
				case status != http.StatusOK:
					failed[http.StatusText(status)]++
				default:
					latencies = append(latencies, d)
					okIDs = append(okIDs, base+i)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res := Result{Sent: int(sent.Load()), OK: len(latencies), Failed: failed, Elapsed: time.Since(start), Latencies: latencies, OKIDs: okIDs}
	slices.Sort(res.Latencies)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapAlloc = ms.HeapAlloc
	return res, nil
}

func post(ctx context.Context, client *http.Client, u string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func errKind(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "stopped by time limit"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
