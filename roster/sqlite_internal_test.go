package roster

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"dutybot/internal/clock"
)

func openInternal(t *testing.T, opts SQLiteOptions) *SQLiteStore {
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

// TestSQLiteWriterWaitHonoursContext checks that a write waiting for its
// turn gives up when its context ends.
func TestSQLiteWriterWaitHonoursContext(t *testing.T) {
	s := openInternal(t, SQLiteOptions{})
	s.turn <- struct{}{} // another writer holds the turn
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.SaveReceived(ctx, &Received{DedupKey: "msg:1"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SaveReceived while the writer is busy: error = %v, want DeadlineExceeded", err)
	}
	<-s.turn
	if isNew, err := s.SaveReceived(context.Background(), &Received{DedupKey: "msg:1"}); err != nil || !isNew {
		t.Errorf("SaveReceived after the turn is free = %v, %v; want true, nil", isNew, err)
	}
}
