package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dutybot/configs"
)

func TestRunUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "dutybot serve"},
		{[]string{"chat", "--as", "zhangsan"}, 2, "usage: dutybot chat"},
		{[]string{"bench"}, 2, "usage: dutybot bench callback"},
		{[]string{"bench", "callback", "-n", "0"}, 2, "-n must be"},
		{[]string{"serve", "--no-such-flag"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit code = %d, want %d (stderr: %s)", code, tt.code, stderr.String())
			}
			if out := stdout.String() + stderr.String(); !strings.Contains(out, tt.out) {
				t.Fatalf("output %q lacks %q", out, tt.out)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("http:\n  addr: \"nonsense\"\ntimezone: \"Mars/Olympus\"\nwecom:\n  corpid: \"x\"\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want []string
	}{
		{name: "defaults", args: nil, code: 0, want: []string{"configuration OK", "127.0.0.1:8080", "WeCom configured: false"}},
		{name: "env override", env: map[string]string{"DUTYBOT_HTTP_ADDR": "127.0.0.1:9999"}, code: 0, want: []string{"listen 127.0.0.1:9999"}},
		{name: "bad env", env: map[string]string{"DUTYBOT_WECOM_TIMESTAMP_WINDOW": "soon"}, code: 1, want: []string{"DUTYBOT_WECOM_TIMESTAMP_WINDOW"}},
		{name: "file problems with lines", args: []string{"--config", bad}, code: 1, want: []string{"http.addr", "line 2", "timezone", "line 3", "wecom.corpid", "line 5"}},
		{name: "missing file", args: []string{"--config", filepath.Join(dir, "nope.yaml")}, code: 1, want: []string{"nope.yaml"}},
		{name: "example file", args: []string{"--config", "../../configs/dutybot.example.yaml"}, code: 0, want: []string{"configuration OK", "WeCom configured: true"}},
		{name: "example roster and policies", env: map[string]string{"DUTYBOT_ROSTER_FILE": "../../configs/roster.example.yaml", "DUTYBOT_PUSH_POLICIES": "../../configs/escalation.example.yaml"}, code: 0, want: []string{"configuration OK"}},
		{name: "bad policies", env: map[string]string{"DUTYBOT_PUSH_POLICIES": bad}, code: 1, want: []string{"push.policies"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"check-config"}, tt.args...), &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tt.code {
				t.Fatalf("exit code = %d, want %d; output:\n%s", code, tt.code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDemoChatAndBench runs `serve --demo` and talks to it with `chat` and
// `bench`, as the README tells a newcomer to.
// startDemo runs `serve --demo` on a free loopback port with a fresh
// database until the test ends, and returns its base URL and a context that
// lives as long as the server.
func startDemo(t *testing.T) (context.Context, string) {
	t.Helper()
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
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ctx, "http://" + ln.Addr().String()
}

func TestDemoChatAndBench(t *testing.T) {
	ctx, url := startDemo(t)

	chat := func(as, text string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, []string{"chat", "--url", url, "--as", as, text}, &stdout, &stderr); code != 0 {
			t.Fatalf("chat --as %s %s: exit %d: %s", as, text, code, stderr.String())
		}
		return stdout.String()
	}
	if got := chat("zhangsan", "帮助"); !strings.Contains(got, "张三，您好") || !strings.Contains(got, "我是谁 / whoami") {
		t.Errorf("chat 帮助 printed %q", got)
	}
	if got := chat("zhaoliu", "whoami"); !strings.Contains(got, "角色：值班员、管理员") {
		t.Errorf("chat whoami printed %q", got)
	}
	if got := chat("zhouqi", "签到"); !strings.Contains(got, "还不是值班系统的成员") {
		t.Errorf("chat from a stranger printed %q", got)
	}
	// A test alert answers with the alert card and the reply; chat shows both.
	if got := chat("zhaoliu", "告警 测试"); !strings.Contains(got, "[卡片 card] 测试告警") || !strings.Contains(got, "已发起测试告警") {
		t.Errorf("chat 告警 测试 printed %q", got)
	}

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"bench", "callback", "--url", url, "-n", "200", "-c", "4", "--drain", "30s"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"200 sent, 200 ok, 0 failed", "p99", "replies: all 200 delivered", "server memory"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, stdout.String())
		}
	}
}
