package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"dutybot/configs"
)

func TestBenchEscalations(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := configs.Default()
	cfg.DB = filepath.Join(t.TempDir(), "demo.db")
	cfg.Log.Level = "warn"
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	var serverLog bytes.Buffer
	go func() { served <- serve(ctx, cfg, ln, true, &serverLog) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	url := "http://" + ln.Addr().String()

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"bench", "escalations", "--url", url, "-n", "20", "-c", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("bench escalations: exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	for _, want := range []string{"20 sent, 20 answered 200", "escalations: 20 raised", `{channel="wecom",status="queued"} 20`, "timer lateness: no escalation timer fired"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("bench escalations output lacks %q:\n%s", want, stdout.String())
		}
	}
	t.Log(stdout.String())

	for _, args := range [][]string{
		{"bench", "escalations", "--url", url, "-n", "100001"},
		{"bench", "escalations", "--url", "http://192.0.2.1:8080", "-n", "1"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(ctx, args, &stdout, &stderr); code == 0 {
			t.Errorf("%v: exit 0, want a refusal", args)
		}
	}
}
