package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/bot/wecomtest"
)

// The EncodingAESKey of WeCom's documentation example.
var ltSigner = wecomtest.Signer{
	Token:          "QDG6eK",
	EncodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
	CorpID:         "wx5823bf96d3bd56c7",
	AgentID:        1000002,
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.1", true},
		{"http://127.5.5.5:9000/", true},
		{"http://[::1]:8080", true},
		{"https://localhost:8443", true},
		{"http://localhost", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.1", false},
		{"http://example.com", false},
		{"https://example.com:443/wecom", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"http://0.0.0.0:8080", false},
		{"http://[::2]:8080", false},
		{"not a url", false},
		{"127.0.0.1:8080", false}, // no scheme
		{"", false},
	}
	for _, tt := range tests {
		err := CheckLoopback(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

// callbackServer verifies each callback as dutybot does and records it.
type callbackServer struct {
	t      *testing.T
	crypto *wecom.Crypto
	mu     sync.Mutex
	msgs   map[string]wecom.Message // by MsgId
	nonces map[string]bool
	bad    []string
}

func newCallbackServer(t *testing.T) (*callbackServer, *httptest.Server) {
	t.Helper()
	c, err := wecom.NewCrypto(ltSigner.Token, ltSigner.EncodingAESKey, ltSigner.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	cs := &callbackServer{t: t, crypto: c, msgs: map[string]wecom.Message{}, nonces: map[string]bool{}}
	srv := httptest.NewServer(cs)
	t.Cleanup(srv.Close)
	return cs, srv
}

func (cs *callbackServer) fail(w http.ResponseWriter, format string, args ...any) {
	cs.mu.Lock()
	cs.bad = append(cs.bad, fmt.Sprintf(format, args...))
	cs.mu.Unlock()
	http.Error(w, "bad callback", http.StatusBadRequest)
}

func (cs *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/wecom/callback" {
		cs.fail(w, "%s %s", r.Method, r.URL.Path)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		cs.fail(w, "read body: %v", err)
		return
	}
	env, err := wecom.ParseEnvelope(body)
	if err != nil {
		cs.fail(w, "envelope: %v", err)
		return
	}
	q := r.URL.Query()
	if err := cs.crypto.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt); err != nil {
		cs.fail(w, "verify: %v", err)
		return
	}
	plain, err := cs.crypto.Decrypt(env.Encrypt)
	if err != nil {
		cs.fail(w, "decrypt: %v", err)
		return
	}
	msg, err := wecom.ParseMessage(plain)
	if err != nil {
		cs.fail(w, "message: %v", err)
		return
	}
	cs.mu.Lock()
	cs.msgs[msg.MsgID] = msg
	cs.nonces[q.Get("nonce")] = true
	cs.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func TestCallbackLoadRun(t *testing.T) {
	const n, c = 200, 8
	users := []string{"zhangsan", "lisi", "wangwu"}
	cs, srv := newCallbackServer(t)
	load := CallbackLoad{URL: srv.URL + "/", Signer: ltSigner, Users: users, N: n, C: c, Timeout: time.Minute}
	res, err := load.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.bad) > 0 {
		t.Fatalf("%d callbacks failed verification, e.g. %s", len(cs.bad), cs.bad[0])
	}
	if res.Sent != n || res.OK != n || len(res.Failed) != 0 {
		t.Fatalf("Sent %d, OK %d, Failed %v; want %d, %d, none", res.Sent, res.OK, res.Failed, n, n)
	}
	if len(cs.msgs) != n {
		t.Errorf("%d distinct MsgIds, want %d", len(cs.msgs), n)
	}
	if len(cs.nonces) != n {
		t.Errorf("%d distinct nonces, want %d", len(cs.nonces), n)
	}

	// MsgIds are consecutive; message i comes from users[i % len(users)].
	ids := make([]int64, 0, n)
	for id := range cs.msgs {
		v, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			t.Fatalf("MsgId %q: %v", id, err)
		}
		ids = append(ids, v)
	}
	slices.Sort(ids)
	if ids[n-1]-ids[0] != n-1 {
		t.Errorf("MsgIds span %d..%d, want %d consecutive", ids[0], ids[n-1], n)
	}
	perUser := map[string]int{}
	for _, id := range ids {
		m := cs.msgs[strconv.FormatInt(id, 10)]
		perUser[m.FromUserName]++
		if want := users[int(id-ids[0])%len(users)]; m.FromUserName != want {
			t.Errorf("MsgId %d from %q, want %q (round robin)", id, m.FromUserName, want)
		}
		if m.MsgType != wecom.TypeText || m.Content != "帮助" || m.ToUserName != ltSigner.CorpID || m.AgentID != "1000002" {
			t.Errorf("message %d = %+v", id, m)
		}
	}
	if perUser["zhangsan"] != 67 || perUser["lisi"] != 67 || perUser["wangwu"] != 66 {
		t.Errorf("messages per user = %v, want 67/67/66", perUser)
	}

	if len(res.Latencies) != n {
		t.Fatalf("%d latencies, want %d", len(res.Latencies), n)
	}
	if !slices.IsSorted(res.Latencies) {
		t.Error("latencies not sorted")
	}
	p50, p99, p100 := res.Percentile(50), res.Percentile(99), res.Percentile(100)
	if p50 <= 0 || p50 > p99 || p99 > p100 || p100 != res.Latencies[n-1] {
		t.Errorf("p50 %v, p99 %v, p100 %v, max %v", p50, p99, p100, res.Latencies[n-1])
	}
	if res.Elapsed <= 0 || res.Throughput() <= 0 {
		t.Errorf("Elapsed %v, Throughput %v", res.Elapsed, res.Throughput())
	}
	if s := res.String(); !strings.Contains(s, "200 sent, 200 ok, 0 failed") || strings.Contains(s, "failed:") {
		t.Errorf("report:\n%s", s)
	}
}

func TestCallbackLoadCustomText(t *testing.T) {
	cs, srv := newCallbackServer(t)
	res, err := CallbackLoad{URL: srv.URL, Signer: ltSigner, Users: []string{"zhaoliu"}, Text: "我是谁", N: 5, C: 2}.Run(context.Background())
	if err != nil || res.OK != 5 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, m := range cs.msgs {
		if m.Content != "我是谁" || m.FromUserName != "zhaoliu" {
			t.Errorf("message = %+v", m)
		}
	}
}

func TestCallbackLoadServerErrors(t *testing.T) {
	tests := []struct {
		status int
		key    string
	}{
		{http.StatusInternalServerError, "Internal Server Error"},
		{http.StatusUnauthorized, "Unauthorized"},
		{http.StatusServiceUnavailable, "Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			const n = 30
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no", tt.status)
			}))
			defer srv.Close()
			res, err := CallbackLoad{URL: srv.URL, Signer: ltSigner, Users: []string{"zhangsan"}, N: n, C: 4}.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != n || res.OK != 0 || len(res.Latencies) != 0 {
				t.Errorf("Sent %d, OK %d, %d latencies; want %d, 0, 0", res.Sent, res.OK, len(res.Latencies), n)
			}
			if len(res.Failed) != 1 || res.Failed[tt.key] != n {
				t.Errorf("Failed = %v, want %s × %d", res.Failed, tt.key, n)
			}
			if res.Percentile(50) != 0 || res.Throughput() != 0 {
				t.Errorf("p50 %v, throughput %v with nothing OK", res.Percentile(50), res.Throughput())
			}
			if s := res.String(); !strings.Contains(s, fmt.Sprintf("failed: %s × %d", tt.key, n)) {
				t.Errorf("report:\n%s", s)
			}
		})
	}
}

// TestCallbackLoadStopsOnCancel: cancelling the context stops the run; the
// requests under way are counted as stopped and no more are sent.
func TestCallbackLoadStopsOnCancel(t *testing.T) {
	const c = 3
	arrived := make(chan struct{}, 100)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := CallbackLoad{URL: srv.URL, Signer: ltSigner, Users: []string{"zhangsan"}, N: 1000, C: c}.Run(ctx)
		done <- outcome{res, err}
	}()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for range c {
		select {
		case <-arrived:
		case <-timeout.C:
			t.Fatal("requests did not arrive")
		}
	}
	cancel()
	var got outcome
	select {
	case got = <-done:
	case <-timeout.C:
		t.Fatal("Run did not return after cancel")
	}
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.res.Sent != c || got.res.OK != 0 || got.res.Failed["stopped by time limit"] != c {
		t.Errorf("Sent %d, OK %d, Failed %v; want %d, 0, stopped × %d", got.res.Sent, got.res.OK, got.res.Failed, c, c)
	}
}

func TestCallbackLoadRefuses(t *testing.T) {
	called := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case called <- struct{}{}:
		default:
		}
	}))
	defer srv.Close()
	good := CallbackLoad{URL: srv.URL, Signer: ltSigner, Users: []string{"zhangsan"}, N: 1, C: 1}
	tests := []struct {
		name string
		edit func(*CallbackLoad)
	}{
		{"private address", func(l *CallbackLoad) { l.URL = "http://10.0.0.1:8080" }},
		{"public host", func(l *CallbackLoad) { l.URL = "https://example.com" }},
		{"not a URL", func(l *CallbackLoad) { l.URL = "not a url" }},
		{"N zero", func(l *CallbackLoad) { l.N = 0 }},
		{"N negative", func(l *CallbackLoad) { l.N = -5 }},
		{"C zero", func(l *CallbackLoad) { l.C = 0 }},
		{"no users", func(l *CallbackLoad) { l.Users = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := good
			tt.edit(&l)
			res, err := l.Run(context.Background())
			if err == nil {
				t.Fatalf("Run = %+v, nil; want an error", res)
			}
			if res.Sent != 0 {
				t.Errorf("Sent = %d on refusal", res.Sent)
			}
		})
	}
	select {
	case <-called:
		t.Error("a refused run reached the server")
	default:
	}
}

func TestResultPercentile(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	r := Result{Latencies: lat}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{0.1, 1 * time.Millisecond},
		{1, 1 * time.Millisecond},
		{50, 50 * time.Millisecond},
		{90, 90 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := r.Percentile(tt.p); got != tt.want {
			t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	one := Result{Latencies: []time.Duration{7 * time.Millisecond}}
	for _, p := range []float64{1, 50, 100} {
		if got := one.Percentile(p); got != 7*time.Millisecond {
			t.Errorf("one latency: Percentile(%v) = %v", p, got)
		}
	}
	if got := (Result{}).Percentile(50); got != 0 {
		t.Errorf("no latencies: Percentile(50) = %v", got)
	}
	if got := (Result{OK: 100, Elapsed: 2 * time.Second}).Throughput(); got != 50 {
		t.Errorf("Throughput = %v, want 50", got)
	}
}

func TestScrape(t *testing.T) {
	const body = `# HELP dutybot_wecom_sends_total Messages sent through the WeCom API, by result.
# TYPE dutybot_wecom_sends_total counter
dutybot_wecom_sends_total{result="ok"} 42
dutybot_wecom_sends_total{result="retry"} 3
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.2345e+07
dutybot_callbacks_total_extra 9
broken_gauge abc
`
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, body)
	}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "scrape refused", http.StatusServiceUnavailable)
	}))
	defer down.Close()

	tests := []struct {
		name    string
		base    string
		series  string
		want    float64
		wantErr bool
	}{
		{"labelled", ok.URL, `dutybot_wecom_sends_total{result="ok"}`, 42, false},
		{"other label", ok.URL, `dutybot_wecom_sends_total{result="retry"}`, 3, false},
		{"unlabelled, exponent", ok.URL, "process_resident_memory_bytes", 12345000, false},
		{"trailing slash on base", ok.URL + "/", "process_resident_memory_bytes", 12345000, false},
		{"missing label value reads 0", ok.URL, `dutybot_wecom_sends_total{result="failed"}`, 0, false},
		{"missing series reads 0", ok.URL, "go_memstats_heap_alloc_bytes", 0, false},
		{"name prefix of another series reads 0", ok.URL, "dutybot_callbacks_total", 0, false},
		{"unparsable value", ok.URL, "broken_gauge", 0, true},
		{"non-200", down.URL, "process_resident_memory_bytes", 0, true},
		{"nothing listening", "http://127.0.0.1:1", "process_resident_memory_bytes", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Scrape(context.Background(), http.DefaultClient, tt.base, tt.series)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scrape(%s) error = %v, wantErr %v", tt.series, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Scrape(%s) = %v, want %v", tt.series, got, tt.want)
			}
		})
	}
}

func TestScrapeAllAndHistogramQuantile(t *testing.T) {
	const before = `dutybot_timer_lateness_seconds_bucket{le="0.001"} 2
dutybot_timer_lateness_seconds_bucket{le="0.01"} 2
dutybot_timer_lateness_seconds_bucket{le="0.1"} 2
dutybot_timer_lateness_seconds_bucket{le="+Inf"} 2
dutybot_timer_lateness_seconds_count 2
dutybot_alert_notifications_total{channel="wecom",status="queued"} 1
`
	// Since before: 100 observations, 50 under 1 ms, 40 in (1 ms, 10 ms],
	// 9 in (10 ms, 100 ms], 1 above.
	const after = `# TYPE dutybot_timer_lateness_seconds histogram
dutybot_timer_lateness_seconds_bucket{le="0.001"} 52
dutybot_timer_lateness_seconds_bucket{le="0.01"} 92
dutybot_timer_lateness_seconds_bucket{le="0.1"} 101
dutybot_timer_lateness_seconds_bucket{le="+Inf"} 102
dutybot_timer_lateness_seconds_count 102
dutybot_alert_notifications_total{channel="wecom",status="queued"} 11
dutybot_alert_notifications_total{channel="push",status="failed"} 4
`
	body := before
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	ctx := context.Background()
	b, err := ScrapeAll(ctx, http.DefaultClient, srv.URL, "dutybot_")
	if err != nil {
		t.Fatal(err)
	}
	body = after
	a, err := ScrapeAll(ctx, http.DefaultClient, srv.URL, "dutybot_")
	if err != nil {
		t.Fatal(err)
	}
	d := Sub(a, b)
	if got := d[`dutybot_alert_notifications_total{channel="wecom",status="queued"}`]; got != 10 {
		t.Errorf("wecom queued since before = %v, want 10", got)
	}
	if got := d[`dutybot_alert_notifications_total{channel="push",status="failed"}`]; got != 4 {
		t.Errorf("push failed since before (new series) = %v, want 4", got)
	}
	for _, tt := range []struct{ q, want float64 }{
		{0.5, 0.001},  // the 50th of 100 is the last under 1 ms
		{0.7, 0.0055}, // the 70th is the 20th of 40 in (1 ms, 10 ms]: halfway
		{0.99, 0.1},   // the 99th is the last in (10 ms, 100 ms]
		{0.999, 0.1},  // in +Inf: the largest finite bound
	} {
		got, n := HistogramQuantile(d, "dutybot_timer_lateness_seconds", tt.q)
		if n != 100 {
			t.Errorf("count = %v, want 100", n)
		}
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("q%v = %v, want %v", tt.q, got, tt.want)
		}
	}
	if v, n := HistogramQuantile(map[string]float64{}, "dutybot_timer_lateness_seconds", 0.5); v != 0 || n != 0 {
		t.Errorf("empty histogram: %v, %v", v, n)
	}
}

func TestHistogramOfAndMax(t *testing.T) {
	samples := map[string]float64{
		`h_bucket{platform="ios",le="0.001"}`:     3,
		`h_bucket{platform="ios",le="0.01"}`:      9,
		`h_bucket{platform="ios",le="+Inf"}`:      10,
		`h_bucket{platform="android",le="0.001"}`: 5,
		`h_bucket{platform="android",le="0.01"}`:  5,
		`h_bucket{platform="android",le="+Inf"}`:  5,
		`other_bucket{le="0.001"}`:                7,
	}
	tests := []struct {
		name      string
		match     string
		count     float64
		max       float64
		p50Bucket float64 // the p50 is at most this bound
	}{
		{"ios", `platform="ios"`, 10, math.Inf(1), 0.01},
		{"android", `platform="android"`, 5, 0.001, 0.001},
		{"all", "", 15, math.Inf(1), 0.01},
		{"none", `platform="web"`, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HistogramOf(samples, "h", tt.match)
			p50, count := HistogramQuantile(h, "h", 0.5)
			if count != tt.count {
				t.Errorf("count = %v, want %v", count, tt.count)
			}
			if p50 > tt.p50Bucket {
				t.Errorf("p50 = %v, want ≤ %v", p50, tt.p50Bucket)
			}
			if got := HistogramMax(h, "h"); got != tt.max {
				t.Errorf("max = %v, want %v", got, tt.max)
			}
		})
	}
}
