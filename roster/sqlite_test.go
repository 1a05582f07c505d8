package roster_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
	"dutybot/roster/storetest"
)

func openTemp(t *testing.T, clk clock.Clock) (*roster.SQLStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dutybot.db")
	s, err := roster.OpenSQLite(context.Background(), path, clk)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	return s, path
}

func TestSQLStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, b dbtest.Backend) {
		storetest.Run(t, func(t *testing.T) roster.Store { return b.Open(t, clock.Real{}) })
	})
}

// rawDB opens the store's file directly, for looking behind the store's back.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReopenKeepsDataAndDedup(t *testing.T) {
	dbtest.Run(t, testReopenKeepsDataAndDedup)
}

func testReopenKeepsDataAndDedup(t *testing.T, b dbtest.Backend) {
	ctx := context.Background()
	path := b.NewDB(t)
	s, err := roster.Open(ctx, path, clock.Real{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r := &roster.Received{DedupKey: "msg:1", FromUser: "zhangsan", MsgType: "text", Content: "签到"}
	if isNew, err := s.SaveReceived(ctx, r); err != nil || !isNew {
		t.Fatalf("SaveReceived = %v, %v; want true, nil", isNew, err)
	}
	if err := s.GrantRole(ctx, "zhangsan", roster.RoleOfficer); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for i := range 2 { // reopen twice: migrations must not run again
		s, err := roster.Open(ctx, path, clock.Real{})
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		isNew, err := s.SaveReceived(ctx, &roster.Received{DedupKey: "msg:1", Content: "WeCom retry"})
		if err != nil || isNew {
			t.Errorf("reopen %d: SaveReceived(duplicate) = %v, %v; want false, nil", i, isNew, err)
		}
		if n, err := s.CountReceived(ctx); err != nil || n != 1 {
			t.Errorf("reopen %d: CountReceived = %d, %v; want 1", i, n, err)
		}
		rs, err := s.Unprocessed(ctx, 10)
		if err != nil || len(rs) != 1 || rs[0].ID != r.ID || rs[0].Content != "签到" {
			t.Errorf("reopen %d: Unprocessed = %+v, %v; want the first message", i, rs, err)
		}
		m, err := s.Member(ctx, "zhangsan")
		if err != nil || !m.HasRole(roster.RoleOfficer) {
			t.Errorf("reopen %d: Member = %+v, %v; want an officer", i, m, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	var n, version int
	err = dbtest.Raw(t, path).QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &version)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	// The migration files are numbered 0001, 0002, … with no gaps.
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("list migrations: %v %v", files, err)
	}
	latest, err := strconv.Atoi(strings.SplitN(filepath.Base(files[len(files)-1]), "_", 2)[0])
	if err != nil {
		t.Fatalf("latest migration %s: %v", files[len(files)-1], err)
	}
	if latest != len(files) {
		t.Errorf("%d migration files up to version %d: a number is missing", len(files), latest)
	}
	if want := len(files); n != want || version != latest {
		t.Errorf("schema_migrations has %d rows up to version %d, want %d rows, version %d (each applied once)", n, version, want, latest)
	}
}

func TestRefusesNewerDatabase(t *testing.T) {
	dbtest.Run(t, testRefusesNewerDatabase)
}

func testRefusesNewerDatabase(t *testing.T, b dbtest.Backend) {
	ctx := context.Background()
	path := b.NewDB(t)
	s, err := roster.Open(ctx, path, clock.Real{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db := dbtest.Raw(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, '2030-01-01T00:00:00.000000000Z')`); err != nil {
		t.Fatalf("insert future version: %v", err)
	}
	db.Close()

	s, err = roster.Open(ctx, path, clock.Real{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with an unknown future version succeeded, want an error")
	}
	t.Logf("error: %v", err)
	if msg := err.Error(); !strings.Contains(msg, "9999") || !strings.Contains(msg, "newer") {
		t.Errorf("Open error = %q, want it to name version 9999 and say the database is newer", msg)
	}
}

func TestSQLiteCreatesParentFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "var", "lib", "dutybot", "dutybot.db")
	s, err := roster.OpenSQLite(context.Background(), path, clock.Real{})
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestSQLitePathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "值班 #1?", "duty%20.db")
	s, err := roster.OpenSQLite(context.Background(), path, clock.Real{})
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %q: %v", path, err)
	}
}

func TestSQLiteRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := roster.OpenSQLiteWith(ctx, filepath.Join(dir, "a.db"), clock.Real{}, roster.SQLiteOptions{Synchronous: "sometimes"}); err == nil {
		t.Error("OpenSQLiteWith(Synchronous: sometimes) succeeded, want an error")
	}
	s, err := roster.OpenSQLiteWith(ctx, filepath.Join(dir, "b.db"), clock.Real{}, roster.SQLiteOptions{Synchronous: "normal"})
	if err != nil {
		t.Fatalf("OpenSQLiteWith(Synchronous: normal): %v", err)
	}
	s.Close()
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := roster.OpenSQLite(ctx, path, clock.Real{}); err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) succeeded, want an error", path)
		}
	}
}

// TestSQLiteUsesClock checks that every time the store writes on its own
// comes from its clock, in UTC.
func TestSQLiteUsesClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 5, 1, 16, 30, 0, 0, time.FixedZone("CST", 8*3600))
	clk := clock.NewFake(start)
	s, path := openTemp(t, clk)
	defer s.Close()

	if err := s.UpsertMember(ctx, roster.Member{UserID: "zhangsan", Name: "张三", Active: true}); err != nil {
		t.Fatalf("UpsertMember: %v", err)
	}
	m, err := s.Member(ctx, "zhangsan")
	if err != nil {
		t.Fatalf("Member: %v", err)
	}
	if !m.CreatedAt.Equal(start) || !m.UpdatedAt.Equal(start) || m.CreatedAt.Location() != time.UTC {
		t.Errorf("times = %v, %v; want %v in UTC", m.CreatedAt, m.UpdatedAt, start.UTC())
	}

	clk.Advance(time.Hour)
	if err := s.GrantRole(ctx, "zhangsan", roster.RoleLeader); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	m, _ = s.Member(ctx, "zhangsan")
	if !m.CreatedAt.Equal(start) || !m.UpdatedAt.Equal(start.Add(time.Hour)) {
		t.Errorf("after GrantRole: times = %v, %v; want %v, %v", m.CreatedAt, m.UpdatedAt, start, start.Add(time.Hour))
	}

	r := &roster.Received{DedupKey: "msg:1"}
	if _, err := s.SaveReceived(ctx, r); err != nil {
		t.Fatalf("SaveReceived: %v", err)
	}
	if !r.ReceivedAt.Equal(start.Add(time.Hour)) {
		t.Errorf("ReceivedAt = %v, want %v", r.ReceivedAt, start.Add(time.Hour))
	}

	clk.Advance(time.Minute)
	if _, err := s.CompleteReceived(ctx, r.ID, []roster.Outgoing{{ToUser: "zhangsan", Kind: "text", Content: "ok"}}); err != nil {
		t.Fatalf("CompleteReceived: %v", err)
	}
	out, err := s.PendingOutgoing(ctx, 0, 1)
	if err != nil || len(out) != 1 {
		t.Fatalf("PendingOutgoing = %+v, %v", out, err)
	}
	want := start.Add(time.Hour + time.Minute)
	if !out[0].CreatedAt.Equal(want) || !out[0].UpdatedAt.Equal(want) {
		t.Errorf("outgoing times = %v, %v; want %v", out[0].CreatedAt, out[0].UpdatedAt, want)
	}

	clk.Advance(time.Second)
	o := out[0]
	o.Attempts, o.LastError = 1, "timeout"
	if err := s.MarkOutgoing(ctx, o); err != nil {
		t.Fatalf("MarkOutgoing: %v", err)
	}
	out, _ = s.PendingOutgoing(ctx, 0, 1)
	if !out[0].CreatedAt.Equal(want) || !out[0].UpdatedAt.Equal(want.Add(time.Second)) {
		t.Errorf("after MarkOutgoing: times = %v, %v; want %v, %v", out[0].CreatedAt, out[0].UpdatedAt, want, want.Add(time.Second))
	}

	var processedAt string
	err = rawDB(t, path).QueryRow(`SELECT processed_at FROM received_messages WHERE id = ?`, r.ID).Scan(&processedAt)
	if err != nil {
		t.Fatalf("read processed_at: %v", err)
	}
	if want := "2025-05-01T09:31:00.000000000Z"; processedAt != want {
		t.Errorf("processed_at = %q, want %q", processedAt, want)
	}
}

func TestSQLiteErrorsSayWhat(t *testing.T) {
	s, _ := openTemp(t, clock.Real{})
	defer s.Close()
	_, err := s.Member(context.Background(), "nobody")
	if !errors.Is(err, roster.ErrNotFound) || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("Member(nobody) error = %v, want ErrNotFound naming the userid", err)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://dutybot:s3cret@db:5432/duty?sslmode=require", "postgres://dutybot:xxxxx@db:5432/duty?sslmode=require"},
		{"postgresql://postgres@127.0.0.1/dutybot_test", "postgresql://postgres@127.0.0.1/dutybot_test"},
		{"/var/lib/dutybot/dutybot.db", "/var/lib/dutybot/dutybot.db"},
		{"postgres://u:p%zz@host/db", "(a postgres URL that does not parse)"},
	} {
		if got := roster.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPostgresOpenTogether opens several stores on one new PostgreSQL
// schema at once: the migrations' lock lets exactly one apply each.
func TestPostgresOpenTogether(t *testing.T) {
	b, ok := dbtest.Postgres()
	if !ok {
		t.Skip("DUTYBOT_TEST_POSTGRES is not set: skipping")
	}
	db := b.NewDB(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := roster.Open(context.Background(), db, clock.Real{})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
	var n int
	if err := dbtest.Raw(t, db).QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	if n != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(files))
	}
}
