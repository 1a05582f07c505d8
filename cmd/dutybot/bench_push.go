package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"dutybot/internal/demo"
	"dutybot/internal/loadtest"
)

// benchPushCmd measures push fan-out on a running demo server: it pairs
// phones with an admin through the real pairing flow (绑定手机 in WeCom,
// the code read back from the demo's fake WeCom, POST /api/v1/devices),
// half iPhones and half Android phones, then raises test alerts as that
// admin (the test policy's first step targets the admins on WeCom and
// push), and reads /metrics: pushes per second to the APNs and FCM fakes,
// each push's provider latency (dutybot_push_send_seconds) and the
// server's memory.
func benchPushCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench push", stderr)
	path := fs.String("config", "", "YAML configuration file (the server's; demo credentials when it has no WeCom settings)")
	target := fs.String("url", "", "server base URL, loopback only (default from http.addr)")
	phones := fs.Int("phones", 200, "phones to pair with the admin first (at most 10,000; 0 uses those already paired)")
	n := fs.Int("n", 100, "test alerts to raise (at most 10,000)")
	c := fs.Int("c", 4, "concurrent senders of the alerts (at most 100)")
	as := fs.String("as", "zhaoliu", "the admin who pairs the phones and raises the alerts")
	limit := fs.Duration("timeout", 2*time.Minute, "stop after this long (pairing, raising and waiting for the pushes)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *phones < 0 || *phones > 10_000 || *n < 1 || *n > 10_000 || *c < 1 || *c > 100 {
		fmt.Fprintln(stderr, "-phones must be 0..10000, -n 1..10000 and -c 1..100")
		return errUsage
	}
	cfg, base, err := benchTarget(*path, *target, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	client := &http.Client{Timeout: 15 * time.Second}
	scrape := metricsOf(ctx, client, base)
	if _, err := scrape(); err != nil {
		return fmt.Errorf("is the server running at %s? %w", base, err)
	}

	fmt.Fprintf(stdout, "bench push: %d phones paired with %s, %d test alerts, %d concurrent, to %s\n", *phones, *as, *n, *c, base)
	pairing := loadtest.Pairing{URL: base, FakeURL: base + demo.PathPrefix, Signer: demo.Signer(cfg), User: *as, Topic: demo.AppTopic, Client: client}
	run := strconv.FormatInt(time.Now().UnixNano(), 36) // new tokens each run: a token paired again moves, it does not add a phone
	start := time.Now()
	for i := range *phones {
		sum := sha256.Sum256([]byte("dutybot bench phone " + run + " " + strconv.Itoa(i)))
		platform, token := "ios", hex.EncodeToString(sum[:])
		if i%2 == 1 {
			platform, token = "android", "bench-fcm-"+token[:40]
		}
		if _, err := pairing.Pair(ctx, platform, token); err != nil {
			return fmt.Errorf("phone %d of %d: %w", i+1, *phones, err)
		}
	}
	if *phones > 0 {
		took := time.Since(start)
		fmt.Fprintf(stdout, "pairing: %d phones in %s (%.0f/s: 绑定手机 callback, code read from the fake WeCom, POST /api/v1/devices)\n",
			*phones, took.Round(time.Millisecond), float64(*phones)/took.Seconds())
	}

	before, err := scrape()
	if err != nil {
		return err
	}
	const sends = "dutybot_push_sends_total"
	const latency = "dutybot_push_send_seconds"
	total := func(m map[string]float64) float64 {
		return m[sends+`{platform="ios",result="delivered"}`] + m[sends+`{platform="ios",result="failed"}`] + m[sends+`{platform="ios",result="invalid"}`] +
			m[sends+`{platform="android",result="delivered"}`] + m[sends+`{platform="android",result="failed"}`] + m[sends+`{platform="android",result="invalid"}`]
	}
	load := loadtest.CallbackLoad{URL: base, Signer: demo.Signer(cfg), Users: []string{*as}, Text: "告警 测试", N: *n, C: *c, Timeout: *limit}
	start = time.Now()
	res, err := load.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "alerts: %d sent, %d answered 200 in %s\n", res.Sent, res.OK, res.Elapsed.Round(time.Millisecond))

	// The pushes go out after the 200, as each alert is raised: wait until
	// every alert has reached at least the phones paired here, and the
	// count has stopped growing (phones paired before also get them).
	want := float64(res.OK * *phones)
	var after map[string]float64
	last, lastChange := -1.0, time.Now()
	for {
		next, err := scrape()
		if err != nil {
			if ctx.Err() != nil && after != nil {
				break // out of time: report what was pushed
			}
			return err
		}
		after = next
		got := total(after) - total(before)
		raised := after[`dutybot_escalations_total{kind="test"}`] - before[`dutybot_escalations_total{kind="test"}`]
		if got != last {
			last, lastChange = got, time.Now()
		}
		if raised >= float64(res.OK) && got >= want && time.Since(lastChange) > 300*time.Millisecond {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := lastChange.Sub(start)
	d := loadtest.Sub(after, before)
	pushed := total(after) - total(before)
	raised := d[`dutybot_escalations_total{kind="test"}`]
	fmt.Fprintf(stdout, "escalations: %.0f raised; %.0f pushes to the phones of %s (%.0f per alert)\n", raised, pushed, *as, pushed/math.Max(raised, 1))
	fmt.Fprintf(stdout, "pushes: %.0f in %s from the first alert to the last push (%.0f pushes/s)\n", pushed, took.Round(time.Millisecond), pushed/took.Seconds())
	for _, p := range []string{"ios", "android"} {
		fmt.Fprintf(stdout, "  %-7s delivered %.0f, invalid %.0f, failed %.0f\n", p,
			d[sends+`{platform="`+p+`",result="delivered"}`], d[sends+`{platform="`+p+`",result="invalid"}`], d[sends+`{platform="`+p+`",result="failed"}`])
	}
	for _, sel := range []struct{ label, match string }{{"all", ""}, {"ios", `platform="ios"`}, {"android", `platform="android"`}} {
		h := loadtest.HistogramOf(d, latency, sel.match)
		p50, count := loadtest.HistogramQuantile(h, latency, 0.50)
		if count == 0 {
			continue
		}
		p99, _ := loadtest.HistogramQuantile(h, latency, 0.99)
		maxText := "> 30s"
		if m := loadtest.HistogramMax(h, latency); !math.IsInf(m, 1) {
			maxText = "≤ " + secs(m)
		}
		fmt.Fprintf(stdout, "push latency (%s, %.0f pushes, first attempt to provider's answer): p50 %s  p99 %s  max %s\n",
			sel.label, count, secs(p50), secs(p99), maxText)
	}
	printServerMemory(context.WithoutCancel(ctx), stdout, client, base)
	if pushed < want {
		return fmt.Errorf("%.0f pushes, want at least %.0f (%d alerts × %d phones)", pushed, want, res.OK, *phones)
	}
	if res.OK < *n {
		return fmt.Errorf("%d of %d alerts answered 200", res.OK, *n)
	}
	return nil
}

// printServerMemory prints the server's resident memory and Go heap from
// its /metrics (nothing when they cannot be read).
func printServerMemory(ctx context.Context, stdout io.Writer, client *http.Client, base string) {
	rss, err := loadtest.Scrape(ctx, client, base, "process_resident_memory_bytes")
	if err != nil {
		return
	}
	heap, _ := loadtest.Scrape(ctx, client, base, "go_memstats_heap_alloc_bytes")
	fmt.Fprintf(stdout, "server memory: RSS %.1f MiB, heap %.1f MiB\n", rss/(1<<20), heap/(1<<20))
}
