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

var _ RequestStore = (*SQLStore)(nil)

const requestColumns = `id, kind, requester, counterpart, duty_date, shift, role, from_date, to_date, reason, status,
needs_admin, expires_at, consent_at, decided_by, decided_at, decision_note, leave_id, created_at`

// AddRequest stores a new request and its "created" event in one
// transaction.
func (s *SQLStore) AddRequest(ctx context.Context, r Request) (Request, error) {
	switch {
	case r.Kind != RequestSwap && r.Kind != RequestLeave:
		return Request{}, fmt.Errorf("add request: kind %q, want %s or %s", r.Kind, RequestSwap, RequestLeave)
	case r.Requester == "":
		return Request{}, errors.New("add request: no requester")
	case !r.Open():
		return Request{}, fmt.Errorf("add request: status %q, want an open one", r.Status)
	case r.ExpiresAt.IsZero():
		return Request{}, errors.New("add request: no expiry time")
	case r.Kind == RequestSwap && (r.Counterpart == "" || r.Date.IsZero() || r.Shift == "" || r.Role == ""):
		return Request{}, errors.New("add request: a swap needs a counterpart, a date, a shift and a role")
	case r.Kind == RequestLeave && (r.From.IsZero() || r.To.Before(r.From)):
		return Request{}, fmt.Errorf("add request: a leave needs from ≤ to, got %s..%s", r.From, r.To)
	}
	now := s.now()
	r.CreatedAt = now
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO duty_requests (kind, requester, counterpart, duty_date, shift, role,
from_date, to_date, reason, status, needs_admin, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.Kind, r.Requester, r.Counterpart, roster.DateText(r.Date), r.Shift, string(r.Role), roster.DateText(r.From), roster.DateText(r.To),
			r.Reason, r.Status, r.NeedsAdmin, roster.TimeText(r.ExpiresAt), roster.TimeText(now)).Scan(&r.ID)
		if err != nil {
			return err
		}
		return addRequestEvent(ctx, tx, r.ID, now, r.Requester, ActionCreated, r.Reason)
	})
	if err != nil {
		return Request{}, fmt.Errorf("add %s request of %s: %w", r.Kind, r.Requester, err)
	}
	return r, nil
}

// Request returns the request with id.
func (s *SQLStore) Request(ctx context.Context, id int64) (Request, error) {
	r, err := loadRequest(ctx, s.db.Reader(), id)
	if err != nil {
		return Request{}, fmt.Errorf("request #%d: %w", id, err)
	}
	return r, nil
}

// Requests lists the requests f selects, newest first.
func (s *SQLStore) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	var where []string
	var args []any
	if f.UserID != "" {
		where = append(where, `(requester = ? OR counterpart = ?)`)
		args = append(args, f.UserID, f.UserID)
	}
	if f.Kind != "" {
		where = append(where, `kind = ?`)
		args = append(args, f.Kind)
	}
	if len(f.Statuses) > 0 {
		where = append(where, `status IN (?`+strings.Repeat(`, ?`, len(f.Statuses)-1)+`)`)
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	q := `SELECT ` + requestColumns + ` FROM duty_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	out, err := roster.QueryAll(ctx, s.db.Reader(), scanRequest, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return out, nil
}

// RequestEvents lists a request's steps, oldest first.
func (s *SQLStore) RequestEvents(ctx context.Context, id int64) ([]RequestEvent, error) {
	out, err := roster.QueryAll(ctx, s.db.Reader(), scanRequestEvent, `SELECT id, request_id, at, actor, action, note
FROM duty_request_events WHERE request_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("request #%d events: %w", id, err)
	}
	return out, nil
}

func scanRequestEvent(r rowScanner) (RequestEvent, error) {
	var e RequestEvent
	var at string
	if err := r.Scan(&e.ID, &e.RequestID, &at, &e.Actor, &e.Action, &e.Note); err != nil {
		return RequestEvent{}, err
	}
	var p textFields
	p.time(&e.At, at)
	if p.err != nil {
		return RequestEvent{}, p.err
	}
	return e, nil
}

// ConsentRequest records the counterpart's consent: awaiting consent →
// awaiting approval.
func (s *SQLStore) ConsentRequest(ctx context.Context, id int64, userID string, needsAdmin bool) (Request, bool, error) {
	now := s.now()
	return s.step(ctx, id, "consent to", func(tx *sql.Tx, r Request) (bool, error) {
		if r.Kind != RequestSwap || r.Status != RequestAwaitingConsent {
			return false, nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE duty_requests SET status = ?, consent_at = ?, needs_admin = (needs_admin OR ?)
WHERE id = ? AND status = ?`, RequestAwaitingApproval, roster.TimeText(now), needsAdmin, id, RequestAwaitingConsent)
		if ok, err := roster.OneRow(res, err); !ok || err != nil {
			return ok, err
		}
		return true, addRequestEvent(ctx, tx, id, now, userID, ActionConsented, "")
	})
}

// CloseRequest ends an open request: from → status.
func (s *SQLStore) CloseRequest(ctx context.Context, id int64, from, status, actor, note string) (Request, bool, error) {
	if !validCloseStatus(status) {
		return Request{}, false, fmt.Errorf("close request #%d: status %q, want declined, rejected, expired or cancelled", id, status)
	}
	if !IsOpenRequestStatus(from) {
		return Request{}, false, fmt.Errorf("close request #%d: from %q, want an open status", id, from)
	}
	now := s.now()
	return s.step(ctx, id, "close", func(tx *sql.Tx, r Request) (bool, error) {
		if r.Status != from {
			return false, nil
		}
		if ok, err := decide(ctx, tx, id, from, status, actor, note, now); !ok || err != nil {
			return ok, err
		}
		return true, addRequestEvent(ctx, tx, id, now, actor, status, note)
	})
}

// ApproveSwap approves a swap and changes the slot in the same
// transaction: the requester's assignment is replaced by the counterpart's
// (source "swap"), with an audit_log entry listing the slot before and
// after.
func (s *SQLStore) ApproveSwap(ctx context.Context, id int64, approver, note string) (Request, bool, error) {
	now := s.now()
	return s.step(ctx, id, "approve swap", func(tx *sql.Tx, r Request) (bool, error) {
		if r.Kind != RequestSwap || r.Status != RequestAwaitingApproval {
			return false, nil
		}
		before, err := slotAssignments(ctx, tx, r.Date, r.Shift)
		if err != nil {
			return false, err
		}
		var after []string
		found := false
		for _, a := range before {
			switch {
			case a.UserID == r.Counterpart:
				return false, fmt.Errorf("%s is already on %s %s: %w", r.Counterpart, r.Date, r.Shift, ErrSlotChanged)
			case a.UserID == r.Requester && a.Role == r.Role:
				found = true
				a.UserID, a.Source = r.Counterpart, SourceSwap
			}
			after = append(after, a.String())
		}
		if !found {
			return false, fmt.Errorf("%s is no longer %s on %s %s: %w", r.Requester, r.Role.Label(), r.Date, r.Shift, ErrSlotChanged)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM assignments WHERE duty_date = ? AND shift = ? AND role = ? AND userid = ?`,
			r.Date.String(), r.Shift, string(r.Role), r.Requester); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assignments (duty_date, shift, role, userid, source) VALUES (?, ?, ?, ?, ?)`,
			r.Date.String(), r.Shift, string(r.Role), r.Counterpart, SourceSwap); err != nil {
			return false, err
		}
		beforeText := make([]string, len(before))
		for i, a := range before {
			beforeText[i] = a.String()
		}
		audit := roster.AuditEntry{At: now, Actor: approver, Action: "换班 批准",
			Subject: fmt.Sprintf("%s %s #%d", r.Date, r.Shift, r.ID),
			Before:  strings.Join(beforeText, "\n"), After: strings.Join(after, "\n")}
		if err := insertAudit(ctx, tx, audit); err != nil {
			return false, err
		}
		if ok, err := decide(ctx, tx, id, RequestAwaitingApproval, RequestApproved, approver, note, now); !ok || err != nil {
			return ok, err
		}
		return true, addRequestEvent(ctx, tx, id, now, approver, RequestApproved, note)
	})
}

// ApproveLeave approves a leave request and adds the leave to the roster's
// leaves, with an audit_log entry, in one transaction.
func (s *SQLStore) ApproveLeave(ctx context.Context, id int64, approver, note string) (Request, bool, error) {
	now := s.now()
	return s.step(ctx, id, "approve leave", func(tx *sql.Tx, r Request) (bool, error) {
		if r.Kind != RequestLeave || r.Status != RequestAwaitingApproval {
			return false, nil
		}
		var leaveID int64
		err := tx.QueryRowContext(ctx, `INSERT INTO leaves (userid, from_date, to_date, reason) VALUES (?, ?, ?, ?) RETURNING id`,
			r.Requester, r.From.String(), r.To.String(), r.Reason).Scan(&leaveID)
		if err != nil {
			return false, err
		}
		// The same record 请假 登记 (roster.AddLeave) writes.
		audit := roster.AuditEntry{At: now, Actor: approver, Action: "请假 批准",
			Subject: fmt.Sprintf("%s %s 至 %s #%d", r.Requester, r.From, r.To, r.ID),
			After:   fmt.Sprintf("%s %s..%s %s", r.Requester, r.From, r.To, r.Reason)}
		if err := insertAudit(ctx, tx, audit); err != nil {
			return false, err
		}
		if ok, err := decide(ctx, tx, id, RequestAwaitingApproval, RequestApproved, approver, note, now); !ok || err != nil {
			return ok, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE duty_requests SET leave_id = ? WHERE id = ?`, leaveID, id); err != nil {
			return false, err
		}
		return true, addRequestEvent(ctx, tx, id, now, approver, RequestApproved, note)
	})
}

// step runs one status change of request id in a transaction: fn sees the
// request as it is in the transaction and reports whether it changed it.
// The request is returned as it is afterwards.
func (s *SQLStore) step(ctx context.Context, id int64, what string, fn func(tx *sql.Tx, r Request) (bool, error)) (Request, bool, error) {
	var out Request
	var changed bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		r, err := loadRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if changed, err = fn(tx, r); err != nil {
			return err
		}
		out, err = loadRequest(ctx, tx, id)
		return err
	})
	if err != nil {
		return Request{}, false, fmt.Errorf("%s request #%d: %w", what, id, err)
	}
	return out, changed, nil
}

// decide is the compare-and-set of a decision: from → to, by actor.
func decide(ctx context.Context, tx *sql.Tx, id int64, from, to, actor, note string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE duty_requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ?
WHERE id = ? AND status = ?`, to, actor, roster.TimeText(now), note, id, from)
	return roster.OneRow(res, err)
}

func addRequestEvent(ctx context.Context, tx *sql.Tx, id int64, at time.Time, actor, action, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO duty_request_events (request_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)`,
		id, roster.TimeText(at), actor, action, note)
	if err != nil {
		return fmt.Errorf("record request #%d %s: %w", id, action, err)
	}
	return nil
}

// insertAudit writes a roster audit_log entry inside tx (the columns
// roster.SQLStore writes).
func insertAudit(ctx context.Context, tx *sql.Tx, a roster.AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)`,
		roster.TimeText(a.At), a.Actor, a.Action, a.Subject, a.Before, a.After)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

// slotAssignments lists one slot's assignments inside tx.
func slotAssignments(ctx context.Context, tx *sql.Tx, d roster.Date, shift string) ([]roster.Assignment, error) {
	return roster.QueryAll(ctx, tx, func(r rowScanner) (roster.Assignment, error) {
		a := roster.Assignment{Date: d, Shift: shift}
		var role string
		if err := r.Scan(&role, &a.UserID, &a.Source); err != nil {
			return roster.Assignment{}, err
		}
		a.Role = roster.Role(role)
		return a, nil
	}, `SELECT role, userid, source FROM assignments WHERE duty_date = ? AND shift = ?
ORDER BY role, userid`, d.String(), shift)
}

func loadRequest(ctx context.Context, q querier, id int64) (Request, error) {
	return queryOne(ctx, q, scanRequest, `SELECT `+requestColumns+` FROM duty_requests WHERE id = ?`, id)
}

func scanRequest(sc rowScanner) (Request, error) {
	var r Request
	var date, from, to, role, expires, created string
	var consent, decided sql.NullString
	if err := sc.Scan(&r.ID, &r.Kind, &r.Requester, &r.Counterpart, &date, &r.Shift, &role, &from, &to, &r.Reason, &r.Status,
		&r.NeedsAdmin, &expires, &consent, &r.DecidedBy, &decided, &r.Note, &r.LeaveID, &created); err != nil {
		return Request{}, err
	}
	r.Role = roster.Role(role)
	var p textFields
	p.date(&r.Date, date)
	p.date(&r.From, from)
	p.date(&r.To, to)
	p.time(&r.ExpiresAt, expires)
	p.nullTime(&r.ConsentAt, consent)
	p.nullTime(&r.DecidedAt, decided)
	p.time(&r.CreatedAt, created)
	if p.err != nil {
		return Request{}, p.err
	}
	return r, nil
}
