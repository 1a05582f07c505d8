package main

// Graceful shutdown and crash safety of the real binary: the tests build
// dutybot into a temporary folder, run `dutybot serve --demo` on 127.0.0.1,
// load it with signed callbacks (internal/loadtest), stop it with SIGTERM or
// SIGKILL mid-load, and then read the SQLite file to check that every
// callback answered 200 was stored and processed exactly once.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dutybot/configs"
	"dutybot/internal/clock"
	"dutybot/internal/demo"
	"dutybot/internal/loadtest"
	"dutybot/roster"
)

// TestShutdownUnderLoad sends SIGTERM while callbacks arrive: the server
// must exit 0 within 10 s, and every callback it answered 200 must be
// stored, processed and answered in the outbox.
func TestShutdownUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary under load; skipped with -short")
	}
	bin := buildDutybot(t)
	dir := t.TempDir()
	p := startDutybot(t, bin, dir)

	const n = 3000
	load := callbackLoad(p.url, n, time.Now().UnixNano())
	results := make(chan loadtest.Result, 1)
	go func() {
		res, err := load.Run(context.Background())
		if err != nil {
			t.Errorf("load: %v", err)
		}
		results <- res
	}()
	waitAccepted(t, p, n/3)
	stop, code := p.stop(t, syscall.SIGTERM, 15*time.Second)
	res := <-results

	if code != 0 {
		t.Errorf("dutybot exited %d after SIGTERM, want 0; log:\n%s", code, p.log.tail())
	}
	if stop > 10*time.Second {
		t.Errorf("dutybot took %s to stop after SIGTERM, want ≤ 10 s", stop)
	}
	f := checkCallbacks(t, filepath.Join(dir, "dutybot.db"), idSet(res.OKIDs))
	if f.unprocessed != 0 {
		t.Errorf("%d callbacks left unprocessed after a graceful stop", f.unprocessed)
	}
	t.Logf("graceful stop under load: %d callbacks sent, %d answered 200, %d refused after the stop began; "+
		"stopped %s after SIGTERM (exit %d); lost %d, duplicated %d",
		res.Sent, res.OK, res.Sent-res.OK, stop.Round(time.Millisecond), code, f.lost, f.duplicated)
}

// TestCrashUnderLoad kills the server with SIGKILL mid-load, restarts it on
// the same database and replays every callback as WeCom's retries would:
// each callback answered 200 (before or after the crash) must be processed
// exactly once with exactly one reply, and the test alerts raised before the
// crash must neither be lost nor raised or fired twice.
func TestCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary under load; skipped with -short")
	}
	bin := buildDutybot(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "dutybot.db")
	p := startDutybot(t, bin, dir)
	ctx := context.Background()

	// Test alerts from the admin, before the load.
	const alerts = 4
	alertBase := time.Now().UnixNano()
	alertLoad := loadtest.CallbackLoad{URL: p.url, Signer: demo.Signer(configs.Config{}), Users: []string{"zhaoliu"},
		Text: "告警 测试", N: alerts, C: 1, Timeout: 10 * time.Second, MsgIDBase: alertBase}
	alertRes, err := alertLoad.Run(ctx)
	if err != nil || alertRes.OK != alerts {
		t.Fatalf("raise %d test alerts: %v\n%s", alerts, err, alertRes)
	}
	waitFor(t, 10*time.Second, "the test alerts raised", func() bool {
		v, err := loadtest.Scrape(ctx, http.DefaultClient, p.url, `dutybot_escalations_total{kind="test"}`)
		return err == nil && v == alerts
	})

	// Phase 1: load, killed mid-way.
	const n = 3000
	loadBase := alertBase + 1_000_000
	results := make(chan loadtest.Result, 1)
	go func() {
		res, err := callbackLoad(p.url, n, loadBase).Run(ctx)
		if err != nil {
			t.Errorf("load: %v", err)
		}
		results <- res
	}()
	waitAccepted(t, p, n/4)
	_, code := p.stop(t, syscall.SIGKILL, 5*time.Second)
	before := <-results
	if code == 0 {
		t.Errorf("dutybot exited 0 after SIGKILL; did it finish before the kill?")
	}
	if before.OK == n {
		t.Logf("note: all %d callbacks were answered before the kill landed", n)
	}

	// While it is down, the deadline of two alerts passes: on restart those
	// must fire at once, exactly once; the other two stay open and armed.
	db := openRaw(t, dbPath, false)
	var storedAtKill, unprocessedAtKill int
	db.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE processed_at IS NULL) FROM received_messages`).Scan(&storedAtKill, &unprocessedAtKill)
	ids := testEscalations(t, db)
	if len(ids) != alerts {
		t.Fatalf("%d test escalations stored before the crash, want %d", len(ids), alerts)
	}
	overdue, waiting := ids[:2], ids[2:]
	past := time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	for _, id := range overdue {
		if _, err := db.Exec(`UPDATE escalations SET next_at = ? WHERE id = ? AND status = 'open'`, past, id); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	// Phase 2: restart on the same database; WeCom retries every callback.
	p = startDutybot(t, bin, dir)
	after, err := callbackLoad(p.url, n, loadBase).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.OK != n {
		t.Errorf("after the restart %d of %d replayed callbacks answered 200:\n%s", after.OK, n, after)
	}
	ro := openRaw(t, dbPath, true)
	waitFor(t, 30*time.Second, "every callback processed and the overdue alerts fired", func() bool {
		var unprocessed, fired int
		ro.QueryRow(`SELECT COUNT(*) FROM received_messages WHERE processed_at IS NULL`).Scan(&unprocessed)
		ro.QueryRow(`SELECT COUNT(*) FROM escalations WHERE kind = 'test' AND status <> 'open'`).Scan(&fired)
		return unprocessed == 0 && fired >= len(overdue)
	})
	ro.Close()
	stop, code := p.stop(t, syscall.SIGTERM, 15*time.Second)
	if code != 0 {
		t.Errorf("restarted dutybot exited %d after SIGTERM, want 0; log:\n%s", code, p.log.tail())
	}

	answered := idSet(before.OKIDs)
	for _, id := range after.OKIDs {
		answered[id] = true
	}
	for _, id := range alertRes.OKIDs {
		answered[id] = true
	}
	f := checkCallbacks(t, dbPath, answered)
	if f.unprocessed != 0 {
		t.Errorf("%d callbacks left unprocessed", f.unprocessed)
	}
	esc := checkEscalations(t, dbPath, overdue, waiting)
	t.Logf("kill -9 under load: %d callbacks sent before the kill, %d answered 200; at the kill %d stored "+
		"(%d of them stored but not yet answered), %d stored but not yet processed; after the restart %d of %d replays answered 200; "+
		"%d distinct callbacks answered 200 in all: lost %d, duplicated %d",
		before.Sent, before.OK, storedAtKill-alerts, storedAtKill-alerts-before.OK, unprocessedAtKill, after.OK, n,
		len(answered), f.lost, f.duplicated)
	t.Logf("test alerts: %d raised before the kill, %d overdue at the restart fired once, %d still open, duplicated %d; "+
		"restarted server stopped %s after SIGTERM", alerts, esc.fired, esc.open, esc.duplicated, stop.Round(time.Millisecond))
}

func callbackLoad(url string, n int, base int64) loadtest.CallbackLoad {
	return loadtest.CallbackLoad{
		URL: url, Signer: demo.Signer(configs.Config{}), Users: []string{"zhangsan", "lisi", "wangwu", "zhaoliu"},
		Text: "帮助", N: n, C: 8, Timeout: 30 * time.Second, MsgIDBase: base,
	}
}

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// callbackFigures is what checkCallbacks found.
type callbackFigures struct {
	stored      int // received rows
	unprocessed int // received rows not processed
	lost        int // answered 200 but not stored, not processed or not answered
	duplicated  int // answered 200 and stored or answered more than once
}

// checkCallbacks opens the stopped server's database and checks that every
// callback in answered (MsgIds) has one received row, processed, with
// exactly one reply queued or sent.
func checkCallbacks(t *testing.T, dbPath string, answered map[int64]bool) callbackFigures {
	t.Helper()
	ctx := context.Background()
	store, err := roster.OpenSQLite(ctx, dbPath, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var f callbackFigures
	if f.stored, err = store.CountReceived(ctx); err != nil {
		t.Fatal(err)
	}
	left, err := store.Unprocessed(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	f.unprocessed = len(left)

	db := openRaw(t, dbPath, true)
	defer db.Close()
	type row struct {
		id        int64
		rows      int
		processed bool
		replies   int
	}
	byKey := make(map[string]*row)
	rows, err := db.Query(`SELECT r.dedup_key, r.id, r.processed_at IS NOT NULL,
    (SELECT COUNT(*) FROM outgoing_messages o WHERE o.reply_to = r.id)
FROM received_messages r`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		var r row
		if err := rows.Scan(&key, &r.id, &r.processed, &r.replies); err != nil {
			t.Fatal(err)
		}
		if prev := byKey[key]; prev != nil {
			prev.rows++
			continue
		}
		r.rows = 1
		byKey[key] = &r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	reported := 0
	for id := range answered {
		r := byKey["msg:"+strconv.FormatInt(id, 10)]
		var problem string
		switch {
		case r == nil:
			f.lost++
			problem = "answered 200 but not stored"
		case !r.processed:
			f.lost++
			problem = "stored but never processed"
		case r.replies == 0:
			f.lost++
			problem = "processed with no reply"
		case r.rows > 1 || r.replies > 1:
			f.duplicated++
			problem = fmt.Sprintf("%d rows, %d replies", r.rows, r.replies)
		}
		if problem != "" && reported < 10 {
			reported++
			t.Errorf("callback MsgId %d: %s", id, problem)
		}
	}
	if f.lost+f.duplicated > 0 {
		t.Errorf("%d callbacks answered 200: %d lost, %d duplicated", len(answered), f.lost, f.duplicated)
	}
	return f
}

// escalationFigures is what checkEscalations found.
type escalationFigures struct{ fired, open, duplicated int }

// checkEscalations checks the test alerts after the restart: no new or
// duplicate escalations, the overdue ones fired once (exhausted: the test
// policy has one step and no repeat; the admins told once), the others still
// open on their first step, and no step notified twice.
func checkEscalations(t *testing.T, dbPath string, overdue, waiting []string) escalationFigures {
	t.Helper()
	db := openRaw(t, dbPath, true)
	defer db.Close()
	var f escalationFigures
	ids := testEscalations(t, db)
	if len(ids) != len(overdue)+len(waiting) {
		t.Errorf("%d test escalations after the restart, want %d: %v", len(ids), len(overdue)+len(waiting), ids)
		f.duplicated = max(0, len(ids)-len(overdue)-len(waiting))
	}
	status := func(id string) (string, int, int) {
		var s string
		var step, round int
		if err := db.QueryRow(`SELECT status, step, round FROM escalations WHERE id = ?`, id).Scan(&s, &step, &round); err != nil {
			t.Fatalf("escalation %s: %v", id, err)
		}
		return s, step, round
	}
	for _, id := range overdue {
		s, _, _ := status(id)
		var told int
		if err := db.QueryRow(`SELECT COUNT(*) FROM outgoing_messages WHERE content LIKE ?`, "%告警 "+id+"「%已通知全部%").Scan(&told); err != nil {
			t.Fatal(err)
		}
		if s != "exhausted" || told != 1 {
			t.Errorf("overdue escalation %s after the restart: status %s, admins told %d times; want exhausted, once", id, s, told)
			if told > 1 {
				f.duplicated++
			}
			continue
		}
		f.fired++
	}
	for _, id := range waiting {
		if s, step, round := status(id); s != "open" || step != 0 || round != 0 {
			t.Errorf("escalation %s (not yet due) after the restart: %s at step %d round %d; want open at its first step", id, s, step+1, round+1)
			continue
		}
		f.open++
	}
	var twice int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM notifications
GROUP BY escalation_id, step, round, channel, target HAVING COUNT(*) > 1)`).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice > 0 {
		t.Errorf("%d escalation steps were notified twice to the same target", twice)
		f.duplicated += twice
	}
	return f
}

func testEscalations(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM escalations WHERE kind = 'test' ORDER BY created_at, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// openRaw opens the database file directly, for the checks the store has no
// query for (readOnly: safe next to a running server).
func openRaw(t *testing.T, dbPath string, readOnly bool) *sql.DB {
	t.Helper()
	dsn := "file:" + dbPath + "?_busy_timeout=5000"
	if readOnly {
		dsn += "&_query_only=on"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// ---- the binary ----

// buildDutybot builds the binary into the test's temporary folder.
func buildDutybot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dutybot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// dutybotProc is one running `dutybot serve --demo`.
type dutybotProc struct {
	cmd    *exec.Cmd
	url    string
	log    *syncBuffer
	exited chan struct{}
}

// startDutybot runs the binary in dir with its database there, on a free
// loopback port, and waits until /healthz answers.
func startDutybot(t *testing.T, bin, dir string) *dutybotProc {
	t.Helper()
	return startDutybotWith(t, bin, dir, []string{"serve", "--demo"}, []string{"DUTYBOT_DB=" + filepath.Join(dir, "dutybot.db")})
}

// startDutybotWith runs the binary with args and env (over the test's own)
// on a free loopback port, and waits until /healthz answers.
func startDutybotWith(t *testing.T, bin, dir string, args, env []string) *dutybotProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &dutybotProc{url: "http://" + addr, log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), env...), "DUTYBOT_HTTP_ADDR="+addr, "DUTYBOT_LOG_LEVEL=warn")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("dutybot exited at start: %v\n%s", p.cmd.ProcessState, p.log.tail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("dutybot not healthy after 20 s:\n%s", p.log.tail())
		}
	}
}

// stop sends sig and waits (up to limit) for the process to end; it returns
// how long that took and the exit code (-1 when killed by a signal).
func (p *dutybotProc) stop(t *testing.T, sig os.Signal, limit time.Duration) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.exited:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("dutybot still running %s after %v; log:\n%s", limit, sig, p.log.tail())
	}
	return time.Since(start), p.cmd.ProcessState.ExitCode()
}

// waitAccepted waits until the server has accepted at least n callbacks.
func waitAccepted(t *testing.T, p *dutybotProc, n int) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	waitFor(t, 30*time.Second, fmt.Sprintf("%d callbacks accepted", n), func() bool {
		v, err := loadtest.Scrape(context.Background(), client, p.url, `dutybot_callbacks_total{result="accepted"}`)
		return err == nil && v >= float64(n)
	})
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer collects the server's output from its two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// tail is the last few KiB of the log.
func (b *syncBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return strings.TrimSpace(s)
}
