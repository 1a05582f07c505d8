package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"dutybot/internal/clock"
)

func openInternal(t *testing.T, opts SQLiteOptions) *SQLStore {
	t.Helper()
	s, err := OpenSQLiteWith(context.Background(), filepath.Join(t.TempDir(), "d.db"), clock.Real{}, opts)
	if err != nil {
		t.Fatalf("OpenSQLiteWith: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSQLitePragmas checks the settings every connection gets from its DSN.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		opts SQLiteOptions
		sync string // PRAGMA synchronous: 1 is NORMAL, 2 is FULL
	}{
		{SQLiteOptions{}, "2"},
		{SQLiteOptions{Synchronous: "NORMAL"}, "1"},
	} {
		s := openInternal(t, tt.opts)
		check := func(pool string, db *sql.DB, pragma, want string) {
			t.Helper()
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", pool, pragma, err)
			}
			if got != want {
				t.Errorf("%+v: %s: PRAGMA %s = %s, want %s", tt.opts, pool, pragma, got, want)
			}
		}
		for pool, db := range map[string]*sql.DB{"writer": s.writer, "reader": s.reader} {
			check(pool, db, "journal_mode", "wal")
			check(pool, db, "busy_timeout", "5000")
			check(pool, db, "foreign_keys", "1")
			check(pool, db, "synchronous", tt.sync)
		}
		check("writer", s.writer, "query_only", "0")
		check("reader", s.reader, "query_only", "1")
		if _, err := s.reader.ExecContext(ctx, `DELETE FROM members`); err == nil {
			t.Error("the reader pool accepted a write")
		}
	}
}

func TestSQLiteForeignKeys(t *testing.T) {
	s := openInternal(t, SQLiteOptions{})
	err := s.QueueOutgoing(context.Background(), []Outgoing{{ToUser: "zhangsan", Kind: "text", Content: "x", ReplyTo: 999}})
	if err == nil {
		t.Error("QueueOutgoing replying to a missing callback succeeded, want a foreign key error")
	}
}

// TestSQLiteGroupCommitIsolatesFailures checks that writes sharing one
// commit keep their own outcomes: a failing write rolls back only itself.
func TestSQLiteGroupCommitIsolatesFailures(t *testing.T) {
	s := openInternal(t, SQLiteOptions{})
	ctx := context.Background()
	const n = 50
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := s.SaveReceived(ctx, &Received{DedupKey: fmt.Sprintf("msg:%d", i)})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			// Fails: no callback 10_000+i to reply to (foreign key).
			err := s.QueueOutgoing(ctx, []Outgoing{
				{ToUser: "a", Kind: "text", Content: "ok part"},
				{ToUser: "a", Kind: "text", Content: "bad part", ReplyTo: int64(10_000 + i)},
			})
			if err == nil {
				err = errors.New("QueueOutgoing with a dangling reply_to succeeded")
			} else {
				err = nil
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.CountReceived(ctx); got != n {
		t.Errorf("received rows = %d, want %d", got, n)
	}
	if got, _ := s.CountOutgoing(ctx); got != 0 {
		t.Errorf("outgoing rows = %d, want 0 (each failed QueueOutgoing must roll back whole)", got)
	}
}

// TestSQLiteBrokenSavepointCommitsNothing: a failed write whose savepoint
// cannot be rolled back to (here the write released it itself) must not
// leave its rows in the shared transaction: the group commits nothing.
func TestSQLiteBrokenSavepointCommitsNothing(t *testing.T) {
	s := openInternal(t, SQLiteOptions{})
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO received_messages (dedup_key, from_user, msg_type, event, content, raw, received_at)
VALUES ('msg:half', 'a', 'text', '', '', x'00', '2026-12-02T00:00:00.000000000Z')`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `RELEASE op`); err != nil {
			return err
		}
		return boom
	})
	if err == nil {
		t.Fatal("Write succeeded; want the write's failure")
	}
	if got, _ := s.CountReceived(ctx); got != 0 {
		t.Errorf("received rows = %d, want 0: a failed write's rows were committed", got)
	}
	// The store goes on working.
	if _, err := s.SaveReceived(ctx, &Received{DedupKey: "msg:after"}); err != nil {
		t.Fatalf("SaveReceived after the broken group: %v", err)
	}
}

// TestSQLiteWriteAfterClose checks writes after Close fail cleanly.
func TestSQLiteWriteAfterClose(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "d.db"), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveReceived(context.Background(), &Received{DedupKey: "msg:1"}); !errors.Is(err, errStoreClosed) {
		t.Fatalf("SaveReceived after Close = %v, want errStoreClosed", err)
	}
}
