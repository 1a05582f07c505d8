package push

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

var _ EscalationStore = (*SQLStore)(nil)

// policyJSON is how a policy is kept with its escalation, so a restart goes
// on with the policy the escalation started with.
type policyJSON struct {
	Urgency Urgency `json:"urgency"`
	Repeat  int     `json:"repeat"`
	Steps   []struct {
		Targets  []Target  `json:"targets"`
		Channels []Channel `json:"channels"`
		WaitSec  int64     `json:"wait_s"`
	} `json:"steps"`
}

func encodePolicy(p Policy) (string, error) {
	pj := policyJSON{Urgency: p.Urgency, Repeat: p.Repeat}
	for _, s := range p.Steps {
		pj.Steps = append(pj.Steps, struct {
			Targets  []Target  `json:"targets"`
			Channels []Channel `json:"channels"`
			WaitSec  int64     `json:"wait_s"`
		}{s.Targets, s.Channels, int64(s.Wait / time.Second)})
	}
	b, err := json.Marshal(pj)
	return string(b), err
}

func decodePolicy(kind, s string) (Policy, error) {
	var pj policyJSON
	if err := json.Unmarshal([]byte(s), &pj); err != nil {
		return Policy{}, err
	}
	p := Policy{Kind: kind, Urgency: pj.Urgency, Repeat: pj.Repeat}
	for _, st := range pj.Steps {
		p.Steps = append(p.Steps, Step{Targets: st.Targets, Channels: st.Channels, Wait: time.Duration(st.WaitSec) * time.Second})
	}
	return p, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return roster.TimeText(t)
}

// CreateEscalation stores e with a new id "E<MMDD>-<n>", n counting that
// day's escalations, all in one transaction.
func (s *SQLStore) CreateEscalation(ctx context.Context, e *Escalation) error {
	_, err := s.createEscalation(ctx, e, false, nil)
	return err
}

// CreateEscalationOnce stores e like CreateEscalation unless an escalation
// of the same kind and subject exists (open or closed); then e is set to
// that one and created is false. The check and the insert are one
// transaction, so an event re-run after a crash never raises twice.
func (s *SQLStore) CreateEscalationOnce(ctx context.Context, e *Escalation) (created bool, err error) {
	return s.createEscalation(ctx, e, true, nil)
}

// createEscalation stores e (unless once and one of its kind and subject
// exists) and, when first is set, queues what first makes of the stored e
// in the same transaction.
func (s *SQLStore) createEscalation(ctx context.Context, e *Escalation, once bool, first func(Escalation) ([]roster.Outgoing, []Sent)) (bool, error) {
	policy, err := encodePolicy(e.Policy)
	if err != nil {
		return false, fmt.Errorf("create escalation: %w", err)
	}
	var existing string
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		existing = "" // set again on a PostgreSQL retry
		if once {
			err := tx.QueryRowContext(ctx, `SELECT id FROM escalations WHERE kind = ? AND subject = ? ORDER BY created_at LIMIT 1`,
				e.Kind, e.Subject).Scan(&existing)
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		// The day's next number, from its counter (escalation_numbers).
		prefix := "E" + e.CreatedAt.Format("0102") + "-"
		var n int
		err := tx.QueryRowContext(ctx, `INSERT INTO escalation_numbers (prefix, last_number) VALUES (?, 1)
ON CONFLICT (prefix) DO UPDATE SET last_number = escalation_numbers.last_number + 1
RETURNING last_number`, prefix).Scan(&n)
		if err != nil {
			return fmt.Errorf("number the escalation: %w", err)
		}
		e.ID = fmt.Sprintf("%s%03d", prefix, n)
		_, err = tx.ExecContext(ctx, `INSERT INTO escalations
(id, kind, subject, title, body, urgency, policy, status, step, round, next_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.Kind, e.Subject, e.Title, e.Body, string(e.Urgency), policy, e.Status, e.Step, e.Round,
			nullTime(e.NextAt), roster.TimeText(e.CreatedAt))
		if err != nil || first == nil {
			return err
		}
		out, sent := first(*e)
		if err := roster.QueueOutgoingTx(ctx, tx, out, s.clock.Now().UTC()); err != nil {
			return err
		}
		return insertSent(ctx, tx, sent)
	})
	if err != nil {
		return false, fmt.Errorf("create escalation: %w", err)
	}
	if existing != "" {
		if *e, err = s.Escalation(ctx, existing); err != nil {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

const escalationColumns = `id, kind, subject, title, body, urgency, policy, status, step, round,
next_at, created_at, acked_by, acked_via, acked_at, closed_at`

type rowScanner interface{ Scan(dest ...any) error }

// policyCache decodes each distinct stored policy once while reading many
// escalations (a restart reads every open one; most share a policy).
type policyCache map[string]Policy

func (c policyCache) decode(kind, s string) (Policy, error) {
	key := kind + "\x00" + s
	if p, ok := c[key]; ok {
		return p, nil
	}
	p, err := decodePolicy(kind, s)
	if err == nil {
		c[key] = p
	}
	return p, err
}

func scanEscalation(r rowScanner, policies policyCache) (Escalation, error) {
	var e Escalation
	var urgency, policy, created string
	var next, acked, closed sql.NullString
	err := r.Scan(&e.ID, &e.Kind, &e.Subject, &e.Title, &e.Body, &urgency, &policy, &e.Status, &e.Step, &e.Round,
		&next, &created, &e.AckedBy, &e.AckedVia, &acked, &closed)
	if err != nil {
		return Escalation{}, err
	}
	e.Urgency = Urgency(urgency)
	if e.Policy, err = policies.decode(e.Kind, policy); err != nil {
		return Escalation{}, fmt.Errorf("escalation %s policy: %w", e.ID, err)
	}
	if e.CreatedAt, err = roster.ParseTimeText(created); err != nil {
		return Escalation{}, err
	}
	for _, t := range []struct {
		in  sql.NullString
		out *time.Time
	}{{next, &e.NextAt}, {acked, &e.AckedAt}, {closed, &e.ClosedAt}} {
		if t.in.Valid {
			if *t.out, err = roster.ParseTimeText(t.in.String); err != nil {
				return Escalation{}, err
			}
		}
	}
	return e, nil
}

// Escalation returns one escalation, or ErrNoEscalation.
func (s *SQLStore) Escalation(ctx context.Context, id string) (Escalation, error) {
	e, err := scanEscalation(s.db.Reader().QueryRowContext(ctx, `SELECT `+escalationColumns+` FROM escalations WHERE id = ?`, id), policyCache{})
	if errors.Is(err, sql.ErrNoRows) {
		return Escalation{}, fmt.Errorf("escalation %s: %w", id, ErrNoEscalation)
	}
	if err != nil {
		return Escalation{}, fmt.Errorf("escalation %s: %w", id, err)
	}
	return e, nil
}

// AdvanceEscalation is a compare-and-set on (status open, step, round).
func (s *SQLStore) AdvanceEscalation(ctx context.Context, e Escalation, fromStep, fromRound int) (bool, error) {
	var moved bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE escalations SET step = ?, round = ?, next_at = ?, status = ?, closed_at = ?
WHERE id = ? AND status = 'open' AND step = ? AND round = ?`,
			e.Step, e.Round, nullTime(e.NextAt), e.Status, nullTime(e.ClosedAt), e.ID, fromStep, fromRound)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		moved = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("advance escalation %s: %w", e.ID, err)
	}
	return moved, nil
}

// AckEscalation closes an open escalation as acknowledged.
func (s *SQLStore) AckEscalation(ctx context.Context, id, by, via string, at time.Time) (Escalation, bool, error) {
	var acked bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE escalations SET status = 'acked', acked_by = ?, acked_via = ?, acked_at = ?,
closed_at = ?, next_at = NULL WHERE id = ? AND status = 'open'`, by, via, roster.TimeText(at), roster.TimeText(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		acked = n == 1
		return err
	})
	if err != nil {
		return Escalation{}, false, fmt.Errorf("acknowledge escalation %s: %w", id, err)
	}
	e, err := s.Escalation(ctx, id)
	return e, acked, err
}

// ResolveEscalations closes the open escalations of kind and subject.
func (s *SQLStore) ResolveEscalations(ctx context.Context, kind, subject string, at time.Time) ([]string, error) {
	var ids []string
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM escalations WHERE kind = ? AND subject = ? AND status = 'open'`, kind, subject)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE escalations SET status = 'resolved', closed_at = ?, next_at = NULL
WHERE kind = ? AND subject = ? AND status = 'open'`, roster.TimeText(at), kind, subject)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("resolve escalations %s %s: %w", kind, subject, err)
	}
	return ids, nil
}

// OpenEscalations lists every open escalation, earliest deadline first.
func (s *SQLStore) OpenEscalations(ctx context.Context) ([]Escalation, error) {
	out, err := s.queryEscalations(ctx, `WHERE status = 'open' ORDER BY next_at`)
	if err != nil {
		return nil, fmt.Errorf("list open escalations: %w", err)
	}
	return out, nil
}

// queryEscalations reads the escalations that "SELECT escalationColumns
// FROM escalations" followed by tail selects, in order.
func (s *SQLStore) queryEscalations(ctx context.Context, tail string, args ...any) ([]Escalation, error) {
	cache := policyCache{}
	scan := func(r roster.RowScanner) (Escalation, error) { return scanEscalation(r, cache) }
	return roster.QueryAll(ctx, s.db.Reader(), scan, `SELECT `+escalationColumns+` FROM escalations `+tail, args...)
}

// RecordSent appends to the delivery log.
func (s *SQLStore) RecordSent(ctx context.Context, sent []Sent) error {
	if len(sent) == 0 {
		return nil
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error { return insertSent(ctx, tx, sent) })
	if err != nil {
		return fmt.Errorf("record notifications: %w", err)
	}
	return nil
}

// SentFor lists an escalation's delivery log, oldest first.
func (s *SQLStore) SentFor(ctx context.Context, escalationID string) ([]Sent, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+sentColumns+` FROM notifications WHERE escalation_id = ? ORDER BY id`, escalationID)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	out, err := scanSent(rows)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, rows.Err()
}

// sentColumns are the notifications columns scanSent reads.
const sentColumns = `id, escalation_id, step, round, channel, target, provider_id,
status, error, latency_ms, at`

// scanSent reads the rows of a query for sentColumns, in order; the caller
// checks rows.Err.
func scanSent(rows *sql.Rows) ([]Sent, error) {
	var out []Sent
	for rows.Next() {
		var x Sent
		var channel, at string
		var ms int64
		if err := rows.Scan(&x.ID, &x.EscalationID, &x.Step, &x.Round, &channel, &x.Target, &x.ProviderID,
			&x.Status, &x.Error, &ms, &at); err != nil {
			return nil, err
		}
		x.Channel, x.Latency = Channel(channel), time.Duration(ms)*time.Millisecond
		var err error
		if x.At, err = roster.ParseTimeText(at); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
