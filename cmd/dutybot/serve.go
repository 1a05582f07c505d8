package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"dutybot/configs"
	"dutybot/internal/app"
	"dutybot/internal/clock"
	"dutybot/internal/demo"
	"dutybot/roster"
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

// serve runs dutybot on ln until ctx ends; with demo, it first points WeCom
// at the fake mounted on the same server and seeds the demo office.
func serve(ctx context.Context, cfg configs.Config, ln net.Listener, demoMode bool, stderr io.Writer) error {
	cfg.HTTP.Addr = ln.Addr().String() // the real port when asked for :0
	if demoMode {
		demo.Apply(&cfg)
		// The console's login page lists the demo members (fake OAuth).
		cfg.Console.DemoLogin = true
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	a, err := app.New(ctx, cfg, clock.Real{}, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if demoMode {
		if err := demo.Seed(ctx, a.Store); err != nil {
			return err
		}
		if err := demo.SeedRoster(ctx, a.Store, a.Settings, roster.DateOf(time.Now(), a.Location)); err != nil {
			return err
		}
		a.Handle(demo.PathPrefix+"/", demo.NewFake())
		fmt.Fprintf(stderr, "\ndutybot demo: fake WeCom at %s%s; members zhangsan, lisi (值班员), wangwu (带班领导), zhaoliu (管理员).\n"+
			"Try in another terminal:  go run ./cmd/dutybot chat --as zhangsan 帮助\n\n", demo.BaseURL(cfg.HTTP.Addr), demo.PathPrefix)
	}
	if err := a.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve %s: %w", cfg.HTTP.Addr, err)
	}
	return nil
}
