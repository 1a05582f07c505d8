package duty

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"dutybot/roster"
)

var _ DeadlineStore = (*SQLStore)(nil)

const deadlineColumns = `id, key, kind, duty_date, shift, userid, ref, due_at, status, note, created_at, closed_at`

// AddDeadlines inserts the deadlines whose keys are new, in one transaction.
func (s *SQLStore) AddDeadlines(ctx context.Context, ds []Deadline) ([]Deadline, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	now := s.now()
	var added []Deadline
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		added = added[:0]
		for _, d := range ds {
			if d.Key == "" || d.Kind == "" || d.DueAt.IsZero() {
				return fmt.Errorf("deadline %q: key, kind and due time are required", d.Key)
			}
			err := tx.QueryRowContext(ctx, `INSERT INTO duty_deadlines (key, kind, duty_date, shift, userid, ref, due_at, status, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (key) DO NOTHING RETURNING id`,
				d.Key, d.Kind, roster.DateText(d.Date), d.Shift, d.UserID, d.Ref, roster.TimeText(d.DueAt), roster.TimeText(now)).Scan(&d.ID)
			if errors.Is(err, sql.ErrNoRows) {
				continue // the key exists: planned before
			}
			if err != nil {
				return err
			}
			d.Status, d.CreatedAt = DeadlineOpen, now
			added = append(added, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add duty deadlines: %w", err)
	}
	return added, nil
}

// Deadline returns the deadline with key.
func (s *SQLStore) Deadline(ctx context.Context, key string) (Deadline, error) {
	d, err := queryOne(ctx, s.db.Reader(), scanDeadline, `SELECT `+deadlineColumns+` FROM duty_deadlines WHERE key = ?`, key)
	if err != nil {
		return Deadline{}, fmt.Errorf("duty deadline %s: %w", key, err)
	}
	return d, nil
}

// OpenDeadlines lists the open deadlines, soonest first.
func (s *SQLStore) OpenDeadlines(ctx context.Context) ([]Deadline, error) {
	out, err := roster.QueryAll(ctx, s.db.Reader(), scanDeadline, `SELECT `+deadlineColumns+` FROM duty_deadlines WHERE status = 'open' ORDER BY due_at, id`)
	if err != nil {
		return nil, fmt.Errorf("open duty deadlines: %w", err)
	}
	return out, nil
}

// CloseDeadline is a compare-and-set from open to status.
func (s *SQLStore) CloseDeadline(ctx context.Context, key, status, note string) (bool, error) {
	if status != DeadlineDone && status != DeadlineVoid {
		return false, fmt.Errorf("close duty deadline %s: status %q, want %s or %s", key, status, DeadlineDone, DeadlineVoid)
	}
	var closed bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		closed, err = roster.OneRow(tx.ExecContext(ctx, `UPDATE duty_deadlines SET status = ?, note = ?, closed_at = ? WHERE key = ? AND status = 'open'`,
			status, note, roster.TimeText(s.now()), key))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("close duty deadline %s: %w", key, err)
	}
	return closed, nil
}

func scanDeadline(r rowScanner) (Deadline, error) {
	var d Deadline
	var date, due, created string
	var closed sql.NullString
	if err := r.Scan(&d.ID, &d.Key, &d.Kind, &date, &d.Shift, &d.UserID, &d.Ref, &due, &d.Status, &d.Note, &created, &closed); err != nil {
		return Deadline{}, err
	}
	var p textFields
	p.date(&d.Date, date)
	p.time(&d.DueAt, due)
	p.time(&d.CreatedAt, created)
	p.nullTime(&d.ClosedAt, closed)
	if p.err != nil {
		return Deadline{}, p.err
	}
	return d, nil
}
