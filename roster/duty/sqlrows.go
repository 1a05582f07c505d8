package duty

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dutybot/roster"
)

// The small pieces every duty table's SQL is built from: reading one row,
// reading a list, a compare-and-set, and turning stored text into fields.

// rowScanner and querier are the shared ones (roster/sqlrows.go).
type (
	rowScanner = roster.RowScanner
	querier    = roster.Querier
)

// queryOne reads the one row query selects with scan; no row is
// ErrNotFound.
func queryOne[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// scanID reads a row of one id column.
func scanID(r rowScanner) (int64, error) {
	var id int64
	err := r.Scan(&id)
	return id, err
}

// casThenRead is a compare-and-set inside tx: change is an UPDATE … WHERE
// the row is still in the state it leaves (or an INSERT … ON CONFLICT DO
// NOTHING), run with changeArgs; changed is whether it hit exactly one
// row. The row is then read as it is afterwards with scan and read (no row
// is ErrNotFound), whether or not change hit it.
func casThenRead[T any](ctx context.Context, tx *sql.Tx, scan func(rowScanner) (T, error),
	change string, changeArgs []any, read string, readArgs ...any) (out T, changed bool, err error) {
	if changed, err = roster.OneRow(tx.ExecContext(ctx, change, changeArgs...)); err != nil {
		return out, false, err
	}
	out, err = queryOne(ctx, tx, scan, read, readArgs...)
	return out, changed, err
}

// updateOne runs an update of one row known by its key; a key that names
// no row is ErrNotFound.
func updateOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	ok, err := roster.OneRow(tx.ExecContext(ctx, query, args...))
	if err == nil && !ok {
		err = ErrNotFound
	}
	return err
}

// textFields turns the text columns a scan read into their fields,
// keeping the first error: after the calls, err says whether all parsed.
type textFields struct{ err error }

// date parses a duty date ("" is none).
func (p *textFields) date(dst *roster.Date, s string) {
	if p.err == nil {
		*dst, p.err = roster.ParseDateText(s)
	}
}

// time parses a time that is always there.
func (p *textFields) time(dst *time.Time, s string) {
	if p.err == nil {
		*dst, p.err = roster.ParseTimeText(s)
	}
}

// nullTime parses a time stored as NULL when there is none.
func (p *textFields) nullTime(dst *time.Time, s sql.NullString) {
	if p.err == nil {
		*dst, p.err = roster.ParseNullTimeText(s)
	}
}
