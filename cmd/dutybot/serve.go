package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"dutybot/configs"
	"dutybot/internal/app"
	"dutybot/internal/clock"
	"dutybot/internal/demo"
)

func serveCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	demoMode := fs.Bool("demo", false, "run with a built-in fake WeCom and a demo office (no WeCom account needed)")
	addr := fs.String("addr", "", "listen address, overrides http.addr / DUTYBOT_HTTP_ADDR")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, stderr, !*demoMode)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.HTTP.Addr = *addr
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	defer ln.Close()
	return serve(ctx, cfg, ln, *demoMode, stderr)
}

// serve runs dutybot on ln until ctx ends; with demo, it runs the demo
// office instead (internal/demo: fake WeCom, APNs and FCM in-process, the
// generated office and the simulator at /demo/).
func serve(ctx context.Context, cfg configs.Config, ln net.Listener, demoMode bool, stderr io.Writer) error {
	cfg.HTTP.Addr = ln.Addr().String() // the real port when asked for :0
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if demoMode {
		return serveDemo(ctx, cfg, ln, log, stderr)
	}
	a, err := app.New(ctx, cfg, clock.Real{}, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve %s: %w", cfg.HTTP.Addr, err)
	}
	return nil
}

// serveDemo runs the demo office on ln until ctx ends.
func serveDemo(ctx context.Context, cfg configs.Config, ln net.Listener, log *slog.Logger, stderr io.Writer) error {
	d, err := demo.Start(ctx, cfg, log, time.Now())
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(stderr, "\ndutybot demo: 打开 / open %s/demo/ — the simulator (chat as any member, the leaders' phones, a five-minute script).\n"+
		"Story shift %s starts at %s; 李四 will miss it. Console: %s/console/. Chat from a terminal: go run ./cmd/dutybot chat --as zhangsan 帮助\n\n",
		d.BaseURL, demo.StoryShift, d.Story.Start.Format("15:04"), d.BaseURL)
	if err := d.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve %s: %w", cfg.HTTP.Addr, err)
	}
	return nil
}
