package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
)

// demoCmd runs the demo office: SQLite (a fresh database unless --db names
// one), the fake WeCom, APNs and FCM in-process and the simulator page at
// /demo/. It needs no configuration file; DUTYBOT_* variables still apply.
func demoCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	addr := fs.String("addr", "", "listen address (default http.addr: 127.0.0.1:8080)")
	db := fs.String("db", "", "SQLite file to keep the demo in (default: a fresh database in a temporary directory, removed at exit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig("", stderr, false)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.HTTP.Addr = *addr
	}
	if *db != "" {
		cfg.DB = *db
	} else {
		dir, err := os.MkdirTemp("", "dutybot-demo-")
		if err != nil {
			return fmt.Errorf("make the demo's temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
		cfg.DB = filepath.Join(dir, "demo.db")
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	defer ln.Close()
	return serve(ctx, cfg, ln, true, stderr)
}
