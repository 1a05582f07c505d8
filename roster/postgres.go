package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"dutybot/internal/clock"
)

// pgWriteConns and pgReadConns bound the two PostgreSQL pools. Writers
// spend most of their time waiting for the WAL to reach the disk, and
// PostgreSQL flushes the commits waiting together with one write, so more
// writers in flight means more commits per flush (docs/benchmarks.md:
// callbacks on PostgreSQL). Connections stay open once made: opening one
// starts a server process, too slow to do per transaction under load.
const (
	pgWriteConns = 32
	pgReadConns  = 8
)

// pgWriteAttempts bounds how often a write is tried when PostgreSQL
// aborts it for a serialization failure or a deadlock. Between attempts
// the writer pauses for a random time up to a bound that doubles from 1 ms
// to pgMaxPause, so writers that collided spread out.
const (
	pgWriteAttempts = 30
	pgMaxPause      = 100 * time.Millisecond
)

// IsPostgresURL reports whether db names a PostgreSQL database
// (postgres://… or postgresql://…) rather than a SQLite file.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// RedactURL returns db with the password of a URL replaced by "xxxxx", for
// messages and logs; anything else is returned as it is.
func RedactURL(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		if IsPostgresURL(db) && err != nil {
			return "(a postgres URL that does not parse)"
		}
		return db
	}
	return u.Redacted()
}

// Open opens the store named by db: a PostgreSQL database for a
// postgres:// or postgresql:// URL (OpenPostgres), else a SQLite file
// (OpenSQLite).
func Open(ctx context.Context, db string, clk clock.Clock) (*SQLStore, error) {
	if IsPostgresURL(db) {
		return OpenPostgres(ctx, db, clk)
	}
	return OpenSQLite(ctx, db, clk)
}

// OpenPostgres connects to the PostgreSQL database at dbURL (a postgres://
// URL; its parameters, such as sslmode or search_path, go to the server as
// pgx documents) and brings its schema up to date, with the same
// migrations as SQLite, rewritten by postgresDialect. Every time the store
// records on its own is clk.Now() in UTC.
func OpenPostgres(ctx context.Context, dbURL string, clk clock.Clock) (*SQLStore, error) {
	s, err := openPostgres(ctx, dbURL, clk)
	if err != nil {
		return nil, fmt.Errorf("open postgres store %s: %w", RedactURL(dbURL), err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dbURL string, clk clock.Clock) (*SQLStore, error) {
	if !IsPostgresURL(dbURL) {
		return nil, errors.New("want a postgres:// or postgresql:// URL")
	}
	if clk == nil {
		return nil, errors.New("nil clock")
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		// pgx's message may quote the URL; say only what is wrong.
		return nil, errors.New("the URL does not parse as a PostgreSQL connection URL (postgres://user:password@host:5432/database?sslmode=disable)")
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "dutybot"
	}
	writer := sql.OpenDB(newPGConnector(*cfg))
	writer.SetMaxOpenConns(pgWriteConns)
	writer.SetMaxIdleConns(pgWriteConns)
	s := &SQLStore{kind: "postgres", writer: writer, clk: clk}
	if err := writer.PingContext(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	ms, err := embeddedMigrations()
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := migrate(ctx, writer, postgresDialect(), ms, clk); err != nil {
		return nil, errors.Join(err, s.Close())
	}

	// The read pool's sessions are read-only, like SQLite's query_only
	// readers: a domain that wrote through Reader would fail on both.
	readCfg := cfg.Copy()
	readCfg.RuntimeParams["default_transaction_read_only"] = "on"
	reader := sql.OpenDB(newPGConnector(*readCfg))
	reader.SetMaxOpenConns(pgReadConns)
	reader.SetMaxIdleConns(pgReadConns)
	s.reader = reader
	if err := reader.PingContext(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// inPostgresTx runs fn in its own serializable transaction, which gives
// the domains' read-then-write code (numbering reports by counting them,
// say) the same guarantee SQLite's single writer gives. When PostgreSQL
// aborts the transaction for a serialization failure or a deadlock, fn is
// run again, after a short random pause, up to pgWriteAttempts times (the
// serializable check works on index pages, so concurrent writes to one table
// collide now and then even when they touch different rows); fn
// must therefore set, not accumulate, what it hands back.
//
// The transaction does not end with ctx (fn's own statements do), so a
// commit under way is not abandoned and a caller never reports failure for
// a write that was in fact committed.
func (s *SQLStore) inPostgresTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.tryPostgresTx(ctx, fn)
		if err == nil || !retryable(err) || attempt == pgWriteAttempts {
			return err
		}
		bound := min(pgMaxPause, time.Millisecond<<min(attempt, 10))
		t := time.NewTimer(bound/2 + rand.N(bound/2))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// tryPostgresTx runs fn in one serializable transaction.
func (s *SQLStore) tryPostgresTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.writer.BeginTx(context.WithoutCancel(ctx), &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL aborting a transaction that
// may succeed when run again: a serialization failure or a deadlock.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
