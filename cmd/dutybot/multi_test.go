package main

// Several instances on one database and one Redis (issue 8): two real
// `dutybot serve` processes share a SQLite file and Redis, a fake WeCom and
// an APNs fake; escalations raised on both are notified exactly once per
// step and recipient, and when one instance is killed mid-run the other
// takes its due steps over within the lease's bound, and the callbacks it
// accepted but had not processed once their claims lapse.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/internal/clock"
	"dutybot/internal/loadtest"
	"dutybot/push"
	"dutybot/push/apnstest"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

const (
	multiToken  = "multitoken"
	multiAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	multiSecret = "multi-secret"
	// The test policy: two steps of stepWait to both admins, on WeCom and
	// push, then exhausted (the admins are told).
	stepWait = 2 * time.Second
)

var multiAdmins = []string{"boss", "chief"}

func TestMultiInstanceEscalations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two servers; skipped with -short")
	}
	redisURL := os.Getenv("DUTYBOT_TEST_REDIS")
	if redisURL == "" {
		t.Skip("DUTYBOT_TEST_REDIS not set (e.g. redis://127.0.0.1:6379/15): skipping the two-instance test")
	}
	bin := buildDutybot(t)
	// On SQLite always, and on PostgreSQL when DUTYBOT_TEST_POSTGRES is
	// set (a fresh schema, dropped after).
	dbtest.Run(t, func(t *testing.T, b dbtest.Backend) { multiInstanceEscalations(t, bin, redisURL, b) })
}

func multiInstanceEscalations(t *testing.T, bin, redisURL string, backend dbtest.Backend) {
	dir := t.TempDir()
	dbPath := backend.NewDB(t)
	if roster.IsPostgresURL(dbPath) {
		// dbtest turns off waiting for each commit's flush, to speed up
		// store tests; these figures are of a real deployment's commits.
		u, err := url.Parse(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Del("synchronous_commit")
		u.RawQuery = q.Encode()
		dbPath = u.String()
	}
	ctx := context.Background()

	fake := wecomtest.New(wecomtest.Config{CorpID: wecomtest.DefaultCorpID, Secret: multiSecret, AgentID: wecomtest.DefaultAgentID})
	for _, u := range multiAdmins {
		fake.AddUser(wecomtest.User{UserID: u, Name: u, Department: []int{1}, Status: 1})
	}
	wecomSrv := httptest.NewServer(fake)
	defer wecomSrv.Close()
	appleSrv, apple := apnstest.NewServer()
	defer appleSrv.Close()

	// Both admins have an iPhone.
	store, err := roster.Open(ctx, dbPath, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	devices := push.NewSQLStore(store, clock.Real{})
	for i, u := range multiAdmins {
		if err := store.GrantRole(ctx, u, roster.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		code, err := devices.NewPairingCode(ctx, u, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := devices.ClaimPairing(ctx, code, push.Device{Platform: push.IOS, Token: fmt.Sprintf("aaaa%04d", i+1), Topic: "cn.gov.duty"}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	env := multiEnv(t, dir, dbPath, redisURL, wecomSrv.URL, appleSrv)
	a := startDutybotWith(t, bin, dir, []string{"serve"}, env)
	b := startDutybotWith(t, bin, dir, []string{"serve"}, env)
	signer := wecomtest.Signer{Token: multiToken, EncodingAESKey: multiAESKey, CorpID: wecomtest.DefaultCorpID, AgentID: wecomtest.DefaultAgentID}
	raise := func(p *dutybotProc, n int, base int64) loadtest.CallbackLoad {
		return loadtest.CallbackLoad{URL: p.url, Signer: signer, Users: multiAdmins, Text: "告警 测试", N: n, C: 4,
			Timeout: 60 * time.Second, MsgIDBase: base}
	}

	// Phase 1: 1,000 escalations, half raised through each instance.
	const n = 1000
	start := time.Now()
	base := start.UnixNano()
	results := make(chan loadtest.Result, 2)
	for i, p := range []*dutybotProc{a, b} {
		go func() {
			res, err := raise(p, n/2, base+int64(i)*n).Run(ctx)
			if err != nil {
				t.Errorf("raise through instance %d: %v", i, err)
			}
			results <- res
		}()
	}
	for range 2 {
		if res := <-results; res.OK != n/2 {
			t.Fatalf("raise: %s", res)
		}
	}
	db := rebinding{dbtest.Raw(t, dbPath), roster.IsPostgresURL(dbPath)}
	waitFor(t, 120*time.Second, "every escalation exhausted", func() bool { return countExhausted(t, db) == n })
	raised, done := escalationSpan(t, db)
	deadline := time.Now().Add(60 * time.Second)
	for len(cards(fake.Sent())) < 4*n || len(apple.Notifications()) < 4*n {
		if time.Now().After(deadline) {
			var pending int
			db.QueryRow(`SELECT COUNT(*) FROM outgoing_messages WHERE status = 'pending'`).Scan(&pending)
			var pushStatus, pushErr string
			db.QueryRow(`SELECT status, error FROM notifications WHERE channel = 'push' LIMIT 1`).Scan(&pushStatus, &pushErr)
			t.Logf("a push: %s %s", pushStatus, pushErr)
			t.Fatalf("after 60 s: %d alert cards (want %d), %d pushes (want %d), %d messages pending; logs:\n%s\n%s",
				len(cards(fake.Sent())), 4*n, len(apple.Notifications()), 4*n, pending, a.log.tail(), b.log.tail())
		}
		time.Sleep(5 * time.Millisecond)
	}
	checkOnce(t, "phase 1", fake.Sent(), apple.Notifications(), db, n, true)
	late := lateness(t, db, start.Add(-time.Second), time.Time{})
	t.Logf("%s, two instances: %d escalations raised in %s (%.0f/s), all notified (2 steps × 2 admins × WeCom + APNs) and exhausted %s after the first; "+
		"step lateness p50 %s, p99 %s, max %s",
		backend.Name, n, raised.Round(time.Millisecond), float64(n)/raised.Seconds(), done.Round(time.Millisecond),
		late.p(0.5), late.p(0.99), late.p(1))

	// Phase 2: instance A dies mid-run, while its steps are firing.
	const m = 400
	start2 := time.Now()
	sentBefore := len(fake.Sent())
	since := func() []wecomtest.Sent { return fake.Sent()[sentBefore:] }
	apple.Reset()
	go func() {
		res, err := raise(a, m, base+10*n).Run(ctx)
		if err != nil {
			t.Logf("raise through A (killed mid-run): %v", err)
		}
		results <- res
	}()
	waitFor(t, 30*time.Second, "phase 2's first steps moving", func() bool {
		var k int
		db.QueryRow(`SELECT COUNT(*) FROM notifications WHERE step = 1 AND at >= ?`, roster.TimeText(start2)).Scan(&k)
		return k > 0
	})
	a.stop(t, syscall.SIGKILL, 5*time.Second)
	killedAt := time.Now()
	res := <-results
	// Every callback A answered 200 is stored; those it had not processed
	// are taken over by B once A's claims lapse, with no restart.
	orphaned := countUnprocessed(t, db)
	waitFor(t, 30*time.Second, "the killed instance's callbacks processed by the survivor", func() bool { return countUnprocessed(t, db) == 0 })
	callbacksTaken := time.Since(killedAt)
	var stored int
	db.QueryRow(`SELECT COUNT(*) FROM received_messages WHERE received_at >= ?`, roster.TimeText(start2)).Scan(&stored)
	if stored < res.OK {
		t.Errorf("%d callbacks stored since phase 2 began, but %d were answered 200", stored, res.OK)
	}
	if orphaned > 0 && callbacksTaken >= 15*time.Second {
		t.Errorf("the killed instance's %d unprocessed callbacks took %s to be processed, want < 15 s (claim 5 s + sweep 1 s + the work)", orphaned, callbacksTaken)
	}
	t.Logf("kill -9: %d callbacks answered 200 by the killed instance were unprocessed; the survivor processed them all %s after the kill",
		orphaned, callbacksTaken.Round(time.Millisecond))
	raised2 := countSince(t, db, start2)
	waitFor(t, 60*time.Second, "every escalation exhausted after the kill", func() bool { return countExhausted(t, db) == n+raised2 })
	// A raise's first step is queued in the insert's transaction: every
	// escalation stored, even by A just before it died, has its first
	// step in the delivery log.
	var noFirst int
	db.QueryRow(`SELECT COUNT(*) FROM escalations e WHERE e.created_at >= ? AND NOT EXISTS
(SELECT 1 FROM notifications n WHERE n.escalation_id = e.id AND n.step = 0)`, roster.TimeText(start2)).Scan(&noFirst)
	if noFirst > 0 {
		t.Errorf("phase 2: %d escalations stored without their first step", noFirst)
	}
	waitFor(t, 30*time.Second, "the dead instance's alerts delivered", func() bool {
		return len(cards(since())) >= 4*raised2
	})
	dups := checkOnce(t, "phase 2", since(), apple.Notifications(), db, raised2, false)
	late2 := lateness(t, db, start2, killedAt)
	t.Logf("%s, kill -9 of one instance %s after phase 2 began (%d answered 200, %d raised in phase 2, with the callbacks taken over): its due steps taken over "+
		"within %s of the kill or their due time (max; p99 %s); WeCom cards resent after the crash: %d",
		backend.Name, killedAt.Sub(start2).Round(time.Millisecond), res.OK, raised2, late2.p(1), late2.p(0.99), dups)
	if max := late2.p(1); max >= 5*time.Second {
		t.Errorf("takeover took %s, want < 5 s", max)
	}
}

// multiEnv configures both instances: one database, one Redis prefix, the
// fakes, short policy waits and no rate limits (the fakes do not drop).
func multiEnv(t *testing.T, dir, dbPath, redisURL, wecomURL string, apple *httptest.Server) []string {
	t.Helper()
	policies := filepath.Join(dir, "policies.yaml")
	policy := fmt.Sprintf(`policies:
  test:
    urgency: critical
    repeat: 0
    steps:
      - targets: [admins]
        channels: [wecom, push]
        wait: %s
      - targets: [admins]
        channels: [wecom, push]
        wait: %s
`, stepWait, stepWait)
	if err := os.WriteFile(policies, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	// The children trust the APNs fake's certificate through SSL_CERT_FILE.
	caFile := filepath.Join(dir, "apns-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: apple.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p8 := filepath.Join(dir, "AuthKey_TEST123456.p8")
	if err := os.WriteFile(p8, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	prefix := make([]byte, 6)
	rand.Read(prefix)
	return []string{
		"DUTYBOT_DB=" + dbPath,
		"DUTYBOT_ADMINS=" + strings.Join(multiAdmins, ","),
		"DUTYBOT_ROSTER_SYNC_AT=off",
		"DUTYBOT_REDIS_URL=" + redisURL,
		"DUTYBOT_REDIS_PREFIX=dutybot-multi-test:" + hex.EncodeToString(prefix) + ":",
		"DUTYBOT_WECOM_CORP_ID=" + wecomtest.DefaultCorpID,
		"DUTYBOT_WECOM_AGENT_ID=" + fmt.Sprint(wecomtest.DefaultAgentID),
		"DUTYBOT_WECOM_SECRET=" + multiSecret,
		"DUTYBOT_WECOM_TOKEN=" + multiToken,
		"DUTYBOT_WECOM_AES_KEY=" + multiAESKey,
		"DUTYBOT_WECOM_API_BASE=" + wecomURL,
		"DUTYBOT_WECOM_RATE_LIMIT=false",
		"DUTYBOT_PUSH_POLICIES=" + policies,
		"DUTYBOT_PUSH_MIN_WAIT=1s",
		"DUTYBOT_APNS_KEY_FILE=" + p8,
		"DUTYBOT_APNS_KEY_ID=TEST123456",
		"DUTYBOT_APNS_TEAM_ID=TEAM123456",
		"DUTYBOT_APNS_TOPIC=cn.gov.duty",
		"DUTYBOT_APNS_HOST=" + apple.URL,
		"SSL_CERT_FILE=" + caFile,
	}
}

// rebinding queries SQLite or PostgreSQL with the test's ? placeholders,
// numbering them ($1, $2, …) for PostgreSQL.
type rebinding struct {
	*sql.DB
	postgres bool
}

func (r rebinding) rebind(query string) string {
	if !r.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r rebinding) QueryRow(query string, args ...any) *sql.Row {
	return r.DB.QueryRow(r.rebind(query), args...)
}

func (r rebinding) Query(query string, args ...any) (*sql.Rows, error) {
	return r.DB.Query(r.rebind(query), args...)
}

func countExhausted(t *testing.T, db rebinding) int {
	var k int
	if err := db.QueryRow(`SELECT COUNT(*) FROM escalations WHERE kind = 'test' AND status = 'exhausted'`).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

func countUnprocessed(t *testing.T, db rebinding) int {
	var k int
	if err := db.QueryRow(`SELECT COUNT(*) FROM received_messages WHERE processed_at IS NULL`).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

func countSince(t *testing.T, db rebinding, since time.Time) int {
	var k int
	if err := db.QueryRow(`SELECT COUNT(*) FROM escalations WHERE created_at >= ?`, roster.TimeText(since)).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

// escalationSpan is how long raising took (first to last created) and how
// long until the last was exhausted.
func escalationSpan(t *testing.T, db rebinding) (raised, done time.Duration) {
	var first, last, closed string
	if err := db.QueryRow(`SELECT MIN(created_at), MAX(created_at), MAX(closed_at) FROM escalations`).Scan(&first, &last, &closed); err != nil {
		t.Fatal(err)
	}
	f, _ := roster.ParseTimeText(first)
	l, _ := roster.ParseTimeText(last)
	c, _ := roster.ParseTimeText(closed)
	return l.Sub(f), c.Sub(f)
}

func cards(sent []wecomtest.Sent) []wecomtest.Sent {
	var out []wecomtest.Sent
	for _, s := range sent {
		if s.TaskID != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkOnce checks every (escalation, step, admin) got exactly one alert
// card and one push, and the delivery log has each once. With strict off
// (after a crash) a card sent just before the kill and not yet recorded
// may be sent again (the outbox is at least once); it returns how many.
func checkOnce(t *testing.T, phase string, sent []wecomtest.Sent, pushes []apnstest.Notification, db rebinding, n int, strict bool) (dups int) {
	t.Helper()
	byTask := map[string]int{}
	for _, s := range cards(sent) {
		byTask[s.TaskID]++
	}
	for task, k := range byTask {
		if k > 1 {
			dups += k - 1
			if strict {
				t.Errorf("%s: card %s sent %d times", phase, task, k)
			}
		}
	}
	if len(byTask) != 4*n {
		t.Errorf("%s: %d distinct alert cards, want %d (2 steps × 2 admins × %d)", phase, len(byTask), 4*n, n)
	}
	if !strict && dups > 2 {
		t.Errorf("%s: %d cards sent twice, want at most the 2 in flight when the instance died", phase, dups)
	}
	byDevice := map[string]int{}
	for _, p := range pushes {
		byDevice[p.Header.Get("apns-collapse-id")+"/"+p.Token]++
	}
	lost := 0
	for key, k := range byDevice {
		if k > 2 {
			t.Errorf("%s: %s pushed %d times, want 2 (one per step)", phase, key, k)
		}
		lost += 2 - k
	}
	lost += 2 * (2*n - len(byDevice))
	lost = max(lost, 0)
	if strict && lost != 0 {
		t.Errorf("%s: %d pushes missing", phase, lost)
	} else if lost != 0 {
		t.Logf("%s: %d pushes lost with the killed instance (sent after the step's commit)", phase, lost)
	}
	var logged int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT escalation_id, step, round, channel, target FROM notifications
GROUP BY escalation_id, step, round, channel, target HAVING COUNT(*) > 1) AS twice`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged != 0 {
		t.Errorf("%s: %d (escalation, step, channel, target) logged more than once", phase, logged)
	}
	return dups
}

// lateStats are step latenesses, sorted.
type lateStats []time.Duration

func (l lateStats) p(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(q*float64(len(l)-1)+0.5))].Round(time.Millisecond)
}

// lateness is how late each timed step of the escalations created since
// since was acted on: step 2 (its WeCom log row) after created+stepWait,
// and the exhaustion after created+2×stepWait.
//
// Steps due before floor count from floor (after a kill: the time a step
// waited for the dead instance's lease, not what it waited before).
func lateness(t *testing.T, db rebinding, since, floor time.Time) lateStats {
	t.Helper()
	rows, err := db.Query(`SELECT e.created_at, e.closed_at, MIN(n.at) FROM escalations e
JOIN notifications n ON n.escalation_id = e.id AND n.step = 1 AND n.channel = 'wecom'
WHERE e.created_at >= ? GROUP BY e.id, e.created_at, e.closed_at`, roster.TimeText(since))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out lateStats
	for rows.Next() {
		var created, closed, step string
		if err := rows.Scan(&created, &closed, &step); err != nil {
			t.Fatal(err)
		}
		c, _ := roster.ParseTimeText(created)
		x, _ := roster.ParseTimeText(closed)
		s, _ := roster.ParseTimeText(step)
		due1, due2 := c.Add(stepWait), c.Add(2*stepWait)
		if due1.Before(floor) {
			due1 = floor
		}
		if due2.Before(floor) {
			due2 = floor
		}
		out = append(out, s.Sub(due1), x.Sub(due2))
	}
	slices.Sort(out)
	return out
}
