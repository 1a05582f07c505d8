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

var _ HandoverStore = (*SQLStore)(nil)

const handoverColumns = `id, out_date, out_shift, in_date, in_shift, from_user, to_users, notes, sheet, handed_at, status, confirmed_at, escalated_at`

// CreateHandover stores a handover sent now, with its outgoing signature,
// the items its sheet lists and the note.
func (s *SQLStore) CreateHandover(ctx context.Context, h Handover, items []int64, note LogEntry) (Handover, error) {
	if h.Out.Date.IsZero() || h.Out.Shift == "" || h.From == "" || h.Sheet == "" {
		return Handover{}, errors.New("create handover: outgoing slot, officer and sheet are required")
	}
	for _, u := range h.To {
		if u == "" || strings.Contains(u, ",") {
			return Handover{}, fmt.Errorf("create handover: incoming userid %q is not valid", u)
		}
	}
	var out Handover
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		existing, err := loadHandover(ctx, tx, `SELECT `+handoverColumns+` FROM duty_handovers WHERE out_date = ? AND out_shift = ?`,
			roster.DateText(h.Out.Date), h.Out.Shift)
		if err == nil {
			out = existing
			return ErrHandoverExists
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now()
		h.HandedAt, h.Status, h.ConfirmedAt, h.EscalatedAt = now, HandoverPending, time.Time{}, time.Time{}
		err = tx.QueryRowContext(ctx, `INSERT INTO duty_handovers (out_date, out_shift, in_date, in_shift, from_user, to_users, notes, sheet, handed_at, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			roster.DateText(h.Out.Date), h.Out.Shift, roster.DateText(h.In.Date), h.In.Shift, h.From, strings.Join(h.To, ","), h.Notes, h.Sheet,
			roster.TimeText(now), HandoverPending).Scan(&h.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO duty_handover_signatures (handover_id, userid, role, at) VALUES (?, ?, ?, ?)`,
			h.ID, h.From, SignOut, roster.TimeText(now)); err != nil {
			return err
		}
		h.Signatures = []Signature{{UserID: h.From, Role: SignOut, At: now}}
		for _, id := range items {
			if _, err := tx.ExecContext(ctx, `INSERT INTO duty_handover_items (handover_id, log_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, h.ID, id); err != nil {
				return fmt.Errorf("item #%d: %w", id, err)
			}
		}
		if err := insertNote(ctx, tx, note, now); err != nil {
			return err
		}
		out = h
		return nil
	})
	if errors.Is(err, ErrHandoverExists) {
		return out, fmt.Errorf("create handover of %s %s: %w", h.Out.Date, h.Out.Shift, err)
	}
	if err != nil {
		return Handover{}, fmt.Errorf("create handover of %s %s: %w", h.Out.Date, h.Out.Shift, err)
	}
	return out, nil
}

// Handover returns one handover with its signatures.
func (s *SQLStore) Handover(ctx context.Context, id int64) (Handover, error) {
	return s.readHandover(ctx, fmt.Sprintf("handover #%d", id), `SELECT `+handoverColumns+` FROM duty_handovers WHERE id = ?`, id)
}

// HandoverOf returns the handover of an outgoing slot.
func (s *SQLStore) HandoverOf(ctx context.Context, out roster.Slot) (Handover, error) {
	return s.readHandover(ctx, fmt.Sprintf("handover of %s %s", out.Date, out.Shift),
		`SELECT `+handoverColumns+` FROM duty_handovers WHERE out_date = ? AND out_shift = ?`, roster.DateText(out.Date), out.Shift)
}

func (s *SQLStore) readHandover(ctx context.Context, what, query string, args ...any) (Handover, error) {
	h, err := loadHandover(ctx, s.db.Reader(), query, args...)
	if err != nil {
		return Handover{}, fmt.Errorf("%s: %w", what, err)
	}
	return h, nil
}

// loadHandover reads the handover query selects with its signatures; no
// handover is ErrNotFound.
func loadHandover(ctx context.Context, q querier, query string, args ...any) (Handover, error) {
	h, err := queryOne(ctx, q, scanHandover, query, args...)
	if err != nil {
		return Handover{}, err
	}
	if h.Signatures, err = handoverSignatures(ctx, q, h.ID); err != nil {
		return Handover{}, err
	}
	return h, nil
}

// UnconfirmedHandovers lists the handovers pending or escalated.
func (s *SQLStore) UnconfirmedHandovers(ctx context.Context) ([]Handover, error) {
	return s.listHandovers(ctx, "unconfirmed handovers", `SELECT `+handoverColumns+` FROM duty_handovers WHERE status <> ? ORDER BY id`, HandoverConfirmed)
}

// HandoversTo lists the handovers into an incoming slot.
func (s *SQLStore) HandoversTo(ctx context.Context, in roster.Slot) ([]Handover, error) {
	if in.Date.IsZero() {
		return nil, nil
	}
	return s.listHandovers(ctx, fmt.Sprintf("handovers to %s %s", in.Date, in.Shift),
		`SELECT `+handoverColumns+` FROM duty_handovers WHERE in_date = ? AND in_shift = ? ORDER BY id`, roster.DateText(in.Date), in.Shift)
}

func (s *SQLStore) listHandovers(ctx context.Context, what, query string, args ...any) ([]Handover, error) {
	db := s.db.Reader()
	// The rows are closed before the signatures are read.
	out, err := roster.QueryAll(ctx, db, scanHandover, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for i := range out {
		if out[i].Signatures, err = handoverSignatures(ctx, db, out[i].ID); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return out, nil
}

// ConfirmHandover records an incoming signature and carries the pending
// items, in one transaction.
func (s *SQLStore) ConfirmHandover(ctx context.Context, id int64, userID string, note LogEntry) (Confirmation, error) {
	if userID == "" {
		return Confirmation{}, fmt.Errorf("confirm handover #%d: the incoming officer is required", id)
	}
	var c Confirmation
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		c = Confirmation{}
		h, err := loadHandover(ctx, tx, `SELECT `+handoverColumns+` FROM duty_handovers WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if _, ok := h.SignedIn(userID); ok {
			c.Handover = h
			return nil
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO duty_handover_signatures (handover_id, userid, role, at) VALUES (?, ?, ?, ?)`,
			id, userID, SignIn, roster.TimeText(now)); err != nil {
			return fmt.Errorf("signature: %w", err)
		}
		h.Signatures = append(h.Signatures, Signature{UserID: userID, Role: SignIn, At: now})
		c.Signed = true
		if h.Status != HandoverConfirmed {
			if _, err := tx.ExecContext(ctx, `UPDATE duty_handovers SET status = ?, confirmed_at = ? WHERE id = ?`,
				HandoverConfirmed, roster.TimeText(now), id); err != nil {
				return err
			}
			c.Confirmed, c.WasEscalated = true, h.Status == HandoverEscalated
			h.Status, h.ConfirmedAt = HandoverConfirmed, now
		}
		if c.Carried, err = carryItems(ctx, tx, h); err != nil {
			return fmt.Errorf("carry pending items: %w", err)
		}
		if err := insertNote(ctx, tx, note, now); err != nil {
			return err
		}
		c.Handover = h
		return nil
	})
	if err != nil {
		return Confirmation{}, fmt.Errorf("confirm handover #%d by %s: %w", id, userID, err)
	}
	return c, nil
}

// carryItems moves the open pending items h's sheet listed, and any others
// the outgoing slot holds, to the incoming slot.
func carryItems(ctx context.Context, tx *sql.Tx, h Handover) ([]int64, error) {
	if h.In.Date.IsZero() {
		return nil, nil
	}
	// The rows are closed before the items are moved.
	ids, err := roster.QueryAll(ctx, tx, scanID, `SELECT id FROM duty_log WHERE pending AND closed_at IS NULL
AND NOT (held_date = ? AND held_shift = ?)
AND (id IN (SELECT log_id FROM duty_handover_items WHERE handover_id = ?) OR (held_date = ? AND held_shift = ?))
ORDER BY id`, roster.DateText(h.In.Date), h.In.Shift, h.ID, roster.DateText(h.Out.Date), h.Out.Shift)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE duty_log SET held_date = ?, held_shift = ? WHERE id = ?`,
			roster.DateText(h.In.Date), h.In.Shift, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// MarkHandoverEscalated is a compare-and-set from pending to escalated.
func (s *SQLStore) MarkHandoverEscalated(ctx context.Context, id int64) (bool, error) {
	var marked bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		marked, err = roster.OneRow(tx.ExecContext(ctx, `UPDATE duty_handovers SET status = ?, escalated_at = ? WHERE id = ? AND status = ?`,
			HandoverEscalated, roster.TimeText(s.now()), id, HandoverPending))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark handover #%d escalated: %w", id, err)
	}
	return marked, nil
}

func handoverSignatures(ctx context.Context, q querier, id int64) ([]Signature, error) {
	out, err := roster.QueryAll(ctx, q, scanSignature,
		`SELECT userid, role, at FROM duty_handover_signatures WHERE handover_id = ? ORDER BY at, role DESC, userid`, id)
	if err != nil {
		return nil, fmt.Errorf("signatures of handover #%d: %w", id, err)
	}
	return out, nil
}

func scanSignature(r rowScanner) (Signature, error) {
	var sig Signature
	var at string
	if err := r.Scan(&sig.UserID, &sig.Role, &at); err != nil {
		return Signature{}, err
	}
	var p textFields
	p.time(&sig.At, at)
	if p.err != nil {
		return Signature{}, p.err
	}
	return sig, nil
}

func scanHandover(r rowScanner) (Handover, error) {
	var h Handover
	var outDate, inDate, to, handed string
	var confirmed, escalated sql.NullString
	if err := r.Scan(&h.ID, &outDate, &h.Out.Shift, &inDate, &h.In.Shift, &h.From, &to, &h.Notes, &h.Sheet, &handed, &h.Status,
		&confirmed, &escalated); err != nil {
		return Handover{}, err
	}
	if to != "" {
		h.To = strings.Split(to, ",")
	}
	var p textFields
	p.date(&h.Out.Date, outDate)
	p.date(&h.In.Date, inDate)
	p.time(&h.HandedAt, handed)
	p.nullTime(&h.ConfirmedAt, confirmed)
	p.nullTime(&h.EscalatedAt, escalated)
	if p.err != nil {
		return Handover{}, p.err
	}
	return h, nil
}
