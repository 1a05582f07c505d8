// Package dbtest gives store tests the databases to run on: a SQLite file
// always, and PostgreSQL when DUTYBOT_TEST_POSTGRES holds a URL (such as
// postgres://postgres@127.0.0.1:5432/dutybot_test?sslmode=disable). Each
// PostgreSQL test gets a fresh schema of its own in that database, dropped
// when the test ends, so tests and packages running at once do not meet.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" driver

	"dutybot/internal/clock"
	"dutybot/roster"
)

// EnvPostgres names the variable holding the PostgreSQL test database's URL.
const EnvPostgres = "DUTYBOT_TEST_POSTGRES"

// A Backend is a kind of database a store can be opened on.
type Backend struct {
	// Name is "sqlite" or "postgres".
	Name string
	// url is the PostgreSQL test database ("" for SQLite).
	url string
}

// SQLite is the SQLite backend, always available.
func SQLite() Backend { return Backend{Name: "sqlite"} }

// Postgres returns the PostgreSQL backend and true when EnvPostgres is set.
func Postgres() (Backend, bool) {
	u := os.Getenv(EnvPostgres)
	return Backend{Name: "postgres", url: u}, u != ""
}

// skipMessage says why a PostgreSQL test did not run.
const skipMessage = EnvPostgres + " is not set: skipping the PostgreSQL run (set it to a database URL such as " +
	"postgres://postgres@127.0.0.1:5432/dutybot_test?sslmode=disable; .ci/run does)"

// Run runs fn as a subtest on each backend: "sqlite", and "postgres",
// which skips with a message when EnvPostgres is unset.
func Run(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite()) })
	t.Run("postgres", func(t *testing.T) {
		b, ok := Postgres()
		if !ok {
			t.Skip(skipMessage)
		}
		fn(t, b)
	})
}

// NewDB returns where a fresh, empty database for tb is, as roster.Open
// takes it: a file in tb.TempDir(), or the PostgreSQL test database's URL
// with a search_path naming a new schema, dropped when tb ends.
func (b Backend) NewDB(tb testing.TB) string {
	tb.Helper()
	if b.url == "" {
		return filepath.Join(tb.TempDir(), "dutybot.db")
	}
	admin, err := sql.Open("pgx", b.url)
	if err != nil {
		tb.Fatalf("dbtest: open %s: %v", roster.RedactURL(b.url), err)
	}
	defer admin.Close()
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "dbtest_" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("dbtest: create schema in %s: %v", roster.RedactURL(b.url), err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", b.url)
		if err != nil {
			tb.Errorf("dbtest: drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(b.url)
	if err != nil {
		tb.Fatalf("dbtest: %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// A test database need not survive a crash: skipping the wait for
	// each commit's flush makes the PostgreSQL runs several times faster.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a store on a fresh database (see NewDB) whose clock is clk;
// it is closed when tb ends.
func (b Backend) Open(tb testing.TB, clk clock.Clock) *roster.SQLStore {
	tb.Helper()
	return OpenAt(tb, b.NewDB(tb), clk)
}

// OpenAt opens the store at db (from NewDB), closed when tb ends.
func OpenAt(tb testing.TB, db string, clk clock.Clock) *roster.SQLStore {
	tb.Helper()
	s, err := roster.Open(context.Background(), db, clk)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Raw opens db (from NewDB) directly, without the store, for looking
// behind its back; queries on it use the database's own placeholders.
func Raw(tb testing.TB, db string) *sql.DB {
	tb.Helper()
	driver := "sqlite3"
	if roster.IsPostgresURL(db) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, db)
	if err != nil {
		tb.Fatalf("open %s: %v", roster.RedactURL(db), err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}
