package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"dutybot/configs"
	"dutybot/internal/demo"
	"dutybot/internal/loadtest"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "escalations" {
		return benchEscalationsCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "push" {
		return benchPushCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "callback" {
		fmt.Fprintln(stderr, "usage: dutybot bench callback [-n 20000] [-c 50] [--url http://127.0.0.1:8080]\n"+
			"       dutybot bench escalations [-n 1000] [-c 4] [--url http://127.0.0.1:8080] [--fire 0]\n"+
			"       dutybot bench push [-phones 200] [-n 100] [-c 4] [--url http://127.0.0.1:8080]")
		return errUsage
	}
	fs := newFlags("bench callback", stderr)
	path := fs.String("config", "", "YAML configuration file (the server's; demo credentials when it has no WeCom settings)")
	target := fs.String("url", "", "server base URL, loopback only (default from http.addr)")
	n := fs.Int("n", 20000, "callbacks to send (at most 1,000,000)")
	c := fs.Int("c", 50, "concurrent senders (at most 1,000)")
	users := fs.String("users", "zhangsan,lisi,wangwu,zhaoliu", "comma-separated senders, used round robin")
	text := fs.String("text", "帮助", "message text")
	limit := fs.Duration("timeout", 2*time.Minute, "stop the run after this long")
	drain := fs.Duration("drain", time.Minute, "after the load, wait up to this long for every reply to be delivered (0: don't wait)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *n < 1 || *n > 1_000_000 || *c < 1 || *c > 1000 {
		fmt.Fprintln(stderr, "-n must be 1..1000000 and -c 1..1000")
		return errUsage
	}
	cfg, base, err := serverTarget(*path, *target, stderr)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	sentBefore, err := loadtest.Scrape(ctx, client, base, `dutybot_wecom_sends_total{result="ok"}`)
	if err != nil {
		return fmt.Errorf("is the server running at %s? %w", base, err)
	}

	load := loadtest.CallbackLoad{
		URL: base, Signer: demo.Signer(cfg), Users: strings.Split(*users, ","), Text: *text,
		N: *n, C: *c, Timeout: *limit,
	}
	fmt.Fprintf(stdout, "bench callback: %d signed callbacks, %d concurrent, to %s\n", *n, *c, base)
	res, err := load.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.String())

	if *drain > 0 && res.OK > 0 {
		start := time.Now()
		deadline := start.Add(*drain)
		for {
			sent, err := loadtest.Scrape(ctx, client, base, `dutybot_wecom_sends_total{result="ok"}`)
			if err != nil {
				return err
			}
			if sent-sentBefore >= float64(res.OK) {
				fmt.Fprintf(stdout, "replies: all %d delivered %s after the load ended (%.0f replies/s overall)\n",
					res.OK, time.Since(start).Round(time.Millisecond), float64(res.OK)/(res.Elapsed+time.Since(start)).Seconds())
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(stdout, "replies: %.0f of %d delivered after waiting %s\n", sent-sentBefore, res.OK, *drain)
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	rss, _ := loadtest.Scrape(ctx, client, base, "process_resident_memory_bytes")
	heap, _ := loadtest.Scrape(ctx, client, base, "go_memstats_heap_alloc_bytes")
	fmt.Fprintf(stdout, "server memory: RSS %.1f MiB, heap %.1f MiB; client heap %.1f MiB\n",
		rss/(1<<20), heap/(1<<20), float64(res.HeapAlloc)/(1<<20))
	return nil
}

// benchEscalationsCmd raises test alerts on a running demo server the way
// an admin does (`告警 测试` from zhaoliu, through signed callbacks) and
// reads the server's /metrics before and after: escalations raised per
// second, the notifications they sent and, for timers that fired, how late
// (dutybot_timer_lateness_seconds).
func benchEscalationsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench escalations", stderr)
	path := fs.String("config", "", "YAML configuration file (the server's; demo credentials when it has no WeCom settings)")
	target := fs.String("url", "", "server base URL, loopback only (default from http.addr)")
	n := fs.Int("n", 1000, "test alerts to raise (at most 100,000)")
	c := fs.Int("c", 4, "concurrent senders (at most 100)")
	as := fs.String("as", "zhaoliu", "the admins who raise them, comma-separated, used round robin (each member's messages are handled in order, so several admins raise in parallel; start the server with them in DUTYBOT_ADMINS)")
	limit := fs.Duration("timeout", 2*time.Minute, "stop after this long (raising and waiting included)")
	fire := fs.Duration("fire", 0, "after raising, wait up to this long for their first timers to fire (the test policy waits 5 min; 0: don't wait)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 100_000 || *c < 1 || *c > 100 {
		fmt.Fprintln(stderr, "-n must be 1..100000 and -c 1..100")
		return errUsage
	}
	cfg, base, err := benchTarget(*path, *target, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	scrape := metricsOf(ctx, client, base)
	before, err := scrape()
	if err != nil {
		return fmt.Errorf("is the server running at %s? %w", base, err)
	}
	const raisedSeries = `dutybot_escalations_total{kind="test"}`
	const lateness = "dutybot_timer_lateness_seconds"

	fmt.Fprintf(stdout, "bench escalations: %d test alerts (告警 测试 as %s), %d concurrent, to %s\n", *n, *as, *c, base)
	load := loadtest.CallbackLoad{URL: base, Signer: demo.Signer(cfg), Users: strings.Split(*as, ","), Text: "告警 测试", N: *n, C: *c, Timeout: *limit}
	start := time.Now()
	res, err := load.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "callbacks: %d sent, %d answered 200 in %s\n", res.Sent, res.OK, res.Elapsed.Round(time.Millisecond))

	// Raising happens after the 200, in the workers: wait for the counter.
	var after map[string]float64
	raised := 0.0
	for {
		next, err := scrape()
		if err != nil {
			if ctx.Err() != nil && after != nil {
				break // out of time: report what was raised
			}
			return err
		}
		after = next
		raised = after[raisedSeries] - before[raisedSeries]
		if raised >= float64(res.OK) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "escalations: %.0f raised in %s (%.0f/s, from the first callback to the last raised)\n",
		raised, took.Round(time.Millisecond), raised/took.Seconds())

	if *fire > 0 {
		deadline := time.Now().Add(*fire)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			_, fired := loadtest.HistogramQuantile(loadtest.Sub(after, before), lateness, 0.5)
			if fired >= raised {
				break
			}
			time.Sleep(100 * time.Millisecond)
			next, err := scrape()
			if err != nil {
				if ctx.Err() != nil {
					break // out of time: report what fired
				}
				return err
			}
			after = next
		}
	}
	d := loadtest.Sub(after, before)
	var keys []string
	for k := range d {
		if strings.HasPrefix(k, "dutybot_alert_notifications_total{") && d[k] != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "notifications: %s %.0f\n", strings.TrimPrefix(k, "dutybot_alert_notifications_total"), d[k])
	}
	p50, fired := loadtest.HistogramQuantile(d, lateness, 0.50)
	p99, _ := loadtest.HistogramQuantile(d, lateness, 0.99)
	if fired == 0 {
		fmt.Fprintln(stdout, "timer lateness: no escalation timer fired during the run (the test policy waits 5 min; use --fire, or a policy file with short waits)")
	} else {
		maxText := "> 5m"
		if m := loadtest.HistogramMax(d, lateness); !math.IsInf(m, 1) {
			maxText = "≤ " + secs(m)
		}
		fmt.Fprintf(stdout, "timer lateness: %.0f timers fired, p50 %s  p99 %s  max %s (from %s buckets)\n",
			fired, secs(p50), secs(p99), maxText, lateness)
	}
	printServerMemory(context.WithoutCancel(ctx), stdout, client, base)
	if res.OK < *n || raised < float64(res.OK) {
		return fmt.Errorf("%d of %d alerts raised (%d callbacks answered 200)", int(raised), *n, res.OK)
	}
	return nil
}

// secs prints a duration in seconds the way people read it.
func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// benchTarget is serverTarget for the load commands, which run against this
// machine only.
func benchTarget(path, url string, stderr io.Writer) (configs.Config, string, error) {
	cfg, base, err := serverTarget(path, url, stderr)
	if err != nil {
		return cfg, "", err
	}
	return cfg, base, loadtest.CheckLoopback(base)
}

// metricsOf returns a reader of the server's dutybot_* metrics.
func metricsOf(ctx context.Context, client *http.Client, base string) func() (map[string]float64, error) {
	return func() (map[string]float64, error) { return loadtest.ScrapeAll(ctx, client, base, "dutybot_") }
}
