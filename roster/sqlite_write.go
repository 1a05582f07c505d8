package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxGroup bounds how many writes share one commit.
const maxGroup = 256

// errStoreClosed is returned for writes after Close.
var errStoreClosed = errors.New("store is closed")

// writeOp is one write transaction's work, waiting for the committer.
type writeOp struct {
	fn   func(tx *sql.Tx) error
	done chan error
}

// inTx runs fn as one all-or-nothing write. On PostgreSQL, see
// inPostgresTx. On SQLite, writes are done by a single
// committer goroutine, which groups the writes waiting at the same moment
// into one SQLite transaction (one fsync with synchronous=FULL) and gives
// each its own savepoint, so one write's failure rolls back only its own
// work. Under load this turns N fsyncs into one; alone, a write commits at
// once. fn must use tx only, and must not keep it.
//
// Once the write is handed to the committer, inTx waits for its outcome
// even if ctx ends, so a caller never reports failure for a write that was
// in fact committed.
func (s *SQLStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.kind == "postgres" {
		return s.inPostgresTx(ctx, fn)
	}
	op := writeOp{fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errStoreClosed
	}
	return <-op.done
}

// commitLoop is the committer: it runs until Close.
func (s *SQLStore) commitLoop() {
	defer close(s.loopDone)
	group := make([]writeOp, 0, maxGroup)
	for {
		select {
		case op := <-s.ops:
			group = append(group[:0], op)
		case <-s.quit:
			return
		}
	collect:
		for len(group) < maxGroup {
			select {
			case op := <-s.ops:
				group = append(group, op)
			default:
				break collect
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup runs a group of writes in one transaction and reports each
// its own outcome (or the commit's failure to all).
func (s *SQLStore) commitGroup(group []writeOp) {
	ctx := context.Background()
	errs := make([]error, len(group))
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		for _, op := range group {
			op.done <- fmt.Errorf("begin write: %w", err)
		}
		return
	}
	for i, op := range group {
		var broken error
		errs[i], broken = runInSavepoint(ctx, tx, op.fn)
		if broken != nil {
			// The savepoint could not be set, undone or released, so
			// the transaction may hold part of a failed write: commit
			// none of the group.
			tx.Rollback()
			for _, op := range group {
				op.done <- fmt.Errorf("write group: %w", broken)
			}
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, op := range group {
			op.done <- fmt.Errorf("commit: %w", err)
		}
		return
	}
	for i, op := range group {
		op.done <- errs[i]
	}
}

// runInSavepoint runs fn inside a savepoint of tx and undoes its work alone
// when it fails: err is fn's own failure. broken reports that the savepoint
// itself failed (set, rolled back to or released), which leaves the
// transaction unfit to commit.
func runInSavepoint(ctx context.Context, tx *sql.Tx, fn func(tx *sql.Tx) error) (err, broken error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(tx); err != nil {
		if _, rbErr := tx.ExecContext(ctx, `ROLLBACK TO op`); rbErr != nil {
			return err, fmt.Errorf("rollback to savepoint: %w", rbErr)
		}
		if _, relErr := tx.ExecContext(ctx, `RELEASE op`); relErr != nil {
			return err, fmt.Errorf("release savepoint: %w", relErr)
		}
		return err, nil
	}
	if _, err := tx.ExecContext(ctx, `RELEASE op`); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	return nil, nil
}

// Write runs fn as one all-or-nothing write through the committer (see
// inTx). Other domains (push) keep their tables in the same database and
// write through it, so one store holds everything and writes stay ordered.
func (s *SQLStore) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inTx(ctx, fn)
}

// Reader is the pool of read-only connections, for other domains' queries.
func (s *SQLStore) Reader() *sql.DB { return s.reader }
