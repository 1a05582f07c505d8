package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"dutybot/internal/demo"
	"dutybot/internal/loadtest"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "callback" {
		fmt.Fprintln(stderr, "usage: dutybot bench callback [-n 20000] [-c 50] [--url http://127.0.0.1:8080]")
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
