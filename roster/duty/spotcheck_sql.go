package duty

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

var _ SpotCheckStore = (*SQLStore)(nil)

const spotCheckColumns = `id, duty_date, shift, userid, requested_by, trigger_key, created_at, sent_at, due_at, status, answered_at, answered_via, escalation_id`

// CreateSpotCheck stores a pending check; with a trigger, the check and
// the look-up of an earlier one are one transaction.
func (s *SQLStore) CreateSpotCheck(ctx context.Context, c SpotCheck) (SpotCheck, bool, error) {
	if c.UserID == "" || c.Shift == "" || c.Date.IsZero() || c.RequestedBy == "" || c.DueAt.IsZero() {
		return SpotCheck{}, false, fmt.Errorf("create spot check: date, shift, officer, requester and due time are required")
	}
	now := s.now()
	c.DueAt = c.DueAt.UTC()
	if !c.SentAt.IsZero() {
		c.SentAt = c.SentAt.UTC()
	}
	var created bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		created = false
		if c.Trigger != "" {
			old, err := queryOne(ctx, tx, scanSpotCheck, `SELECT `+spotCheckColumns+` FROM spot_checks
WHERE trigger_key = ? AND userid = ? ORDER BY id LIMIT 1`, c.Trigger, c.UserID)
			if err == nil {
				c = old
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO spot_checks
(duty_date, shift, userid, requested_by, trigger_key, created_at, sent_at, due_at, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING id`,
			roster.DateText(c.Date), c.Shift, c.UserID, c.RequestedBy, c.Trigger, roster.TimeText(now), roster.NullTimeText(c.SentAt), roster.TimeText(c.DueAt)).Scan(&c.ID)
		if err != nil {
			return err
		}
		c.CreatedAt, c.Status, c.AnsweredAt, c.Via, c.EscalationID = now, SpotPending, time.Time{}, "", ""
		created = true
		return nil
	})
	if err != nil {
		return SpotCheck{}, false, fmt.Errorf("create spot check of %s: %w", c.UserID, err)
	}
	return c, created, nil
}

// SpotCheck returns the check with id.
func (s *SQLStore) SpotCheck(ctx context.Context, id int64) (SpotCheck, error) {
	c, err := queryOne(ctx, s.db.Reader(), scanSpotCheck, `SELECT `+spotCheckColumns+` FROM spot_checks WHERE id = ?`, id)
	if err != nil {
		return SpotCheck{}, fmt.Errorf("spot check #%d: %w", id, err)
	}
	return c, nil
}

// MarkSpotCheckSent sets sent_at if it is not set.
func (s *SQLStore) MarkSpotCheckSent(ctx context.Context, id int64, at time.Time) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE spot_checks SET sent_at = ? WHERE id = ? AND sent_at IS NULL`, roster.TimeText(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark spot check #%d sent: %w", id, err)
	}
	return nil
}

// AnswerSpotCheck is a compare-and-set on answered_at being empty: in time
// a pending check becomes answered; late, it becomes or stays missed.
func (s *SQLStore) AnswerSpotCheck(ctx context.Context, id int64, via string, at time.Time) (SpotCheck, bool, error) {
	if via != SpotViaButton && via != SpotViaChat {
		return SpotCheck{}, false, fmt.Errorf("answer spot check #%d: via %q, want %s or %s", id, via, SpotViaButton, SpotViaChat)
	}
	var c SpotCheck
	var changed bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		changed = false
		var err error
		if c, err = queryOne(ctx, tx, scanSpotCheck, `SELECT `+spotCheckColumns+` FROM spot_checks WHERE id = ?`, id); err != nil {
			return err
		}
		if !c.AnsweredAt.IsZero() || c.Status == SpotAnswered {
			return nil
		}
		status := SpotAnswered
		if at.After(c.DueAt) || c.Status == SpotMissed {
			status = SpotMissed
		}
		ok, err := roster.OneRow(tx.ExecContext(ctx, `UPDATE spot_checks SET status = ?, answered_at = ?, answered_via = ?
WHERE id = ? AND answered_at IS NULL AND status IN ('pending', 'missed')`, status, roster.TimeText(at), via, id))
		if err != nil || !ok {
			return err
		}
		c.Status, c.AnsweredAt, c.Via, changed = status, at.UTC(), via, true
		return nil
	})
	if err != nil {
		return SpotCheck{}, false, fmt.Errorf("answer spot check #%d: %w", id, err)
	}
	return c, changed, nil
}

// MissSpotCheck is a compare-and-set from pending to missed.
func (s *SQLStore) MissSpotCheck(ctx context.Context, id int64) (SpotCheck, bool, error) {
	var c SpotCheck
	var changed bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		c, changed, err = casThenRead(ctx, tx, scanSpotCheck,
			`UPDATE spot_checks SET status = 'missed' WHERE id = ? AND status = 'pending'`, []any{id},
			`SELECT `+spotCheckColumns+` FROM spot_checks WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return SpotCheck{}, false, fmt.Errorf("mark spot check #%d missed: %w", id, err)
	}
	return c, changed, nil
}

// SetSpotCheckEscalation records the escalation of a missed check.
func (s *SQLStore) SetSpotCheckEscalation(ctx context.Context, id int64, escalationID string) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		return updateOne(ctx, tx, `UPDATE spot_checks SET escalation_id = ? WHERE id = ?`, escalationID, id)
	})
	if err != nil {
		return fmt.Errorf("record escalation of spot check #%d: %w", id, err)
	}
	return nil
}

// SpotChecks lists the checks created in [from, to).
func (s *SQLStore) SpotChecks(ctx context.Context, from, to time.Time) ([]SpotCheck, error) {
	return s.querySpotChecks(ctx, "list spot checks", `created_at >= ? AND created_at < ? ORDER BY created_at, id`,
		roster.TimeText(from), roster.TimeText(to))
}

// PendingSpotChecks lists userID's unanswered checks: pending ones, and
// missed ones due since lateSince.
func (s *SQLStore) PendingSpotChecks(ctx context.Context, userID string, lateSince time.Time) ([]SpotCheck, error) {
	return s.querySpotChecks(ctx, "pending spot checks of "+userID,
		`userid = ? AND answered_at IS NULL AND (status = 'pending' OR (status = 'missed' AND due_at >= ?)) ORDER BY created_at, id`,
		userID, roster.TimeText(lateSince))
}

func (s *SQLStore) querySpotChecks(ctx context.Context, what, where string, args ...any) ([]SpotCheck, error) {
	out, err := roster.QueryAll(ctx, s.db.Reader(), scanSpotCheck, `SELECT `+spotCheckColumns+` FROM spot_checks WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func scanSpotCheck(r rowScanner) (SpotCheck, error) {
	var c SpotCheck
	var date, created, due string
	var sent, answered sql.NullString
	if err := r.Scan(&c.ID, &date, &c.Shift, &c.UserID, &c.RequestedBy, &c.Trigger, &created, &sent, &due,
		&c.Status, &answered, &c.Via, &c.EscalationID); err != nil {
		return SpotCheck{}, err
	}
	var p textFields
	p.date(&c.Date, date)
	p.time(&c.CreatedAt, created)
	p.nullTime(&c.SentAt, sent)
	p.time(&c.DueAt, due)
	p.nullTime(&c.AnsweredAt, answered)
	if p.err != nil {
		return SpotCheck{}, p.err
	}
	return c, nil
}
