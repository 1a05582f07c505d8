package browsertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dutybot/configs"
	"dutybot/internal/demo"
)

// testTimeout bounds each browser test.
const testTimeout = 90 * time.Second

// chromiumPath finds the browser, or skips the test (fails it under CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DUTYBOT_TEST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("DUTYBOT_TEST_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium found (CI=true): install Debian's chromium (apt-get install -y chromium) or set DUTYBOT_TEST_CHROMIUM")
	}
	t.Skip("browser tests skipped: no chromium found; install it (apt-get install -y chromium) or set DUTYBOT_TEST_CHROMIUM=/path/to/chromium")
	return ""
}

// office is the demo server under test.
type office struct {
	demo *demo.Demo
	url  string
}

// startOffice runs the demo office in-process on 127.0.0.1:0 and waits until
// its phones are paired.
func startOffice(t *testing.T) *office {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := configs.Default()
	cfg.HTTP.Addr = ln.Addr().String()
	cfg.DB = filepath.Join(t.TempDir(), "demo.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := demo.Start(ctx, cfg, log, time.Now())
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("demo server: %v", err)
		}
		d.Close()
	})
	select {
	case <-d.Ready():
	case err := <-served:
		t.Fatalf("demo server stopped before its phones were paired: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the demo phones were not paired within 30s")
	}
	return &office{demo: d, url: d.BaseURL}
}

// newBrowser starts headless Chromium for one test and returns a tab's
// context, bounded by testTimeout.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, on a context without a deadline (the browser
	// lives as long as the context of its first run), so a broken install
	// fails here and clearly.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, testTimeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// newTab opens another tab in the same browser (sharing its cookies).
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// stepTimeout bounds one step (run call), so a failed wait still leaves
// time for the screenshot.
const stepTimeout = 30 * time.Second

// run runs the steps, failing the test with what was being done and a
// screenshot of the page.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, what, chromedp.Steps(steps...))
}

// get runs one action and returns its value, failing the test as run does.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(step, a)
	if err != nil {
		shot(t, ctx, "failed-"+what)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: timed out after %s (%v)", what, stepTimeout, err)
		}
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// script runs JavaScript as a step, ignoring its value.
func script(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, t)
		return err
	})
}

// shot saves a full-page screenshot named after the test and step.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DUTYBOT_TEST_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot dir: %v", err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()+"-"+name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", file)
}
