package duty

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dutybot/roster"
)

var _ LogStore = (*SQLStore)(nil)

// logColumns are read with scanLogEntry; the last is the latest
// correction's id.
const logColumns = `l.id, l.duty_date, l.shift, l.kind, l.content, l.author, l.at, l.corrects, l.pending, l.held_date, l.held_shift,
l.closed_at, l.closed_by, l.result, (SELECT COALESCE(MAX(c.id), 0) FROM duty_log c WHERE c.corrects = l.id)`

// AddLogEntry stores e, written now.
func (s *SQLStore) AddLogEntry(ctx context.Context, e LogEntry) (LogEntry, error) {
	var out LogEntry
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if e.Corrects != 0 {
			var kind string
			err := tx.QueryRowContext(ctx, `SELECT kind FROM duty_log WHERE id = ?`, e.Corrects).Scan(&kind)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("entry #%d to correct: %w", e.Corrects, ErrNotFound)
			}
			if err != nil {
				return err
			}
			if kind == LogSystem {
				return fmt.Errorf("entry #%d is the system's own and cannot be corrected", e.Corrects)
			}
		}
		var err error
		out, err = insertLogEntry(ctx, tx, e, s.now())
		return err
	})
	if err != nil {
		return LogEntry{}, fmt.Errorf("add duty log entry: %w", err)
	}
	return out, nil
}

// insertLogEntry writes e at now inside tx; a pending entry is held by its
// own slot.
func insertLogEntry(ctx context.Context, tx *sql.Tx, e LogEntry, now time.Time) (LogEntry, error) {
	e.Content = strings.TrimSpace(e.Content)
	switch {
	case !validLogKind(e.Kind):
		return LogEntry{}, fmt.Errorf("kind %q: want one of %s, %s or %s", e.Kind, strings.Join(LogKinds(), ", "), LogTodo, LogSystem)
	case e.Content == "":
		return LogEntry{}, errors.New("content is empty")
	case e.Author == "":
		return LogEntry{}, errors.New("author is empty")
	case e.Pending && e.Kind != LogTodo:
		return LogEntry{}, fmt.Errorf("only a %s entry can be pending", LogTodo)
	}
	e.At, e.CorrectedBy, e.ClosedAt, e.ClosedBy, e.Result = now, 0, time.Time{}, "", ""
	e.HeldDate, e.HeldShift = roster.Date{}, ""
	if e.Pending {
		e.HeldDate, e.HeldShift = e.Date, e.Shift
	}
	var corrects any
	if e.Corrects != 0 {
		corrects = e.Corrects
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO duty_log (duty_date, shift, kind, content, author, at, corrects, pending, held_date, held_shift)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		roster.DateText(e.Date), e.Shift, e.Kind, e.Content, e.Author, roster.TimeText(now), corrects, e.Pending, roster.DateText(e.HeldDate), e.HeldShift).Scan(&e.ID)
	if err != nil {
		return LogEntry{}, err
	}
	return e, nil
}

// insertNote writes note, when it has content, as a system entry at now
// inside tx: the record a closing or a handover leaves in the log.
func insertNote(ctx context.Context, tx *sql.Tx, note LogEntry, now time.Time) error {
	if note.Content == "" {
		return nil
	}
	note.Kind, note.Pending, note.Corrects = LogSystem, false, 0
	if _, err := insertLogEntry(ctx, tx, note, now); err != nil {
		return fmt.Errorf("note: %w", err)
	}
	return nil
}

// LogEntry returns one entry.
func (s *SQLStore) LogEntry(ctx context.Context, id int64) (LogEntry, error) {
	e, err := queryOne(ctx, s.db.Reader(), scanLogEntry, `SELECT `+logColumns+` FROM duty_log l WHERE l.id = ?`, id)
	if err != nil {
		return LogEntry{}, fmt.Errorf("duty log entry #%d: %w", id, err)
	}
	return e, nil
}

// CloseLogItem closes an open pending item (a compare-and-set inside one
// transaction with the note).
func (s *SQLStore) CloseLogItem(ctx context.Context, id int64, by, result string, note LogEntry) (LogEntry, error) {
	if by == "" {
		return LogEntry{}, fmt.Errorf("close pending item #%d: who closed it is required", id)
	}
	var out LogEntry
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		e, err := queryOne(ctx, tx, scanLogEntry, `SELECT `+logColumns+` FROM duty_log l WHERE l.id = ?`, id)
		if err != nil {
			return err
		}
		out = e
		switch {
		case !e.Pending:
			return ErrNotPending
		case !e.ClosedAt.IsZero():
			return ErrAlreadyClosed
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE duty_log SET closed_at = ?, closed_by = ?, result = ? WHERE id = ? AND closed_at IS NULL`,
			roster.TimeText(now), by, strings.TrimSpace(result), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, ErrAlreadyClosed)
		}
		out.ClosedAt, out.ClosedBy, out.Result = now, by, strings.TrimSpace(result)
		return insertNote(ctx, tx, note, now)
	})
	switch {
	case errors.Is(err, ErrNotPending), errors.Is(err, ErrAlreadyClosed):
		return out, fmt.Errorf("close pending item #%d: %w", id, err)
	case err != nil:
		return LogEntry{}, fmt.Errorf("close pending item #%d: %w", id, err)
	}
	return out, nil
}

// LogBetween lists the entries written in [from, to).
func (s *SQLStore) LogBetween(ctx context.Context, from, to time.Time) ([]LogEntry, error) {
	return s.queryLog(ctx, "duty log between", `SELECT `+logColumns+` FROM duty_log l WHERE l.at >= ? AND l.at < ? ORDER BY l.at, l.id`,
		roster.TimeText(from), roster.TimeText(to))
}

// LogOfSlot lists the entries written in one slot.
func (s *SQLStore) LogOfSlot(ctx context.Context, slot roster.Slot) ([]LogEntry, error) {
	if slot.Date.IsZero() {
		return nil, nil
	}
	return s.queryLog(ctx, "duty log of "+slot.Date.String()+" "+slot.Shift,
		`SELECT `+logColumns+` FROM duty_log l WHERE l.duty_date = ? AND l.shift = ? ORDER BY l.at, l.id`, roster.DateText(slot.Date), slot.Shift)
}

// OpenItems lists the open pending items.
func (s *SQLStore) OpenItems(ctx context.Context) ([]LogEntry, error) {
	return s.queryLog(ctx, "open pending items",
		`SELECT `+logColumns+` FROM duty_log l WHERE l.pending AND l.closed_at IS NULL ORDER BY l.at, l.id`)
}

// Corrections lists the entries correcting id.
func (s *SQLStore) Corrections(ctx context.Context, id int64) ([]LogEntry, error) {
	return s.queryLog(ctx, fmt.Sprintf("corrections of #%d", id),
		`SELECT `+logColumns+` FROM duty_log l WHERE l.corrects = ? ORDER BY l.at, l.id`, id)
}

func (s *SQLStore) queryLog(ctx context.Context, what, query string, args ...any) ([]LogEntry, error) {
	out, err := roster.QueryAll(ctx, s.db.Reader(), scanLogEntry, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func scanLogEntry(r rowScanner) (LogEntry, error) {
	var e LogEntry
	var date, at, held string
	var corrects sql.NullInt64
	var closed sql.NullString
	if err := r.Scan(&e.ID, &date, &e.Shift, &e.Kind, &e.Content, &e.Author, &at, &corrects, &e.Pending, &held, &e.HeldShift,
		&closed, &e.ClosedBy, &e.Result, &e.CorrectedBy); err != nil {
		return LogEntry{}, err
	}
	e.Corrects = corrects.Int64
	var p textFields
	p.date(&e.Date, date)
	p.date(&e.HeldDate, held)
	p.time(&e.At, at)
	p.nullTime(&e.ClosedAt, closed)
	if p.err != nil {
		return LogEntry{}, p.err
	}
	return e, nil
}
