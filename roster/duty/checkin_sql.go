package duty

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

var _ CheckinStore = (*SQLStore)(nil)

const checkinColumns = `id, duty_date, shift, userid, role, checked_in_at, status, minutes_late, via,
latitude, longitude, distance_m, checked_out_at, checkout_status, minutes_early, created_at`

// AddCheckin inserts c unless the slot has the member's check-in already.
func (s *SQLStore) AddCheckin(ctx context.Context, c Checkin) (Checkin, bool, error) {
	if c.Date.IsZero() || c.Shift == "" || c.UserID == "" || c.At.IsZero() {
		return Checkin{}, false, fmt.Errorf("add check-in: date, shift, member and time are required")
	}
	now := s.now()
	var out Checkin
	var added bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var lat, lng, dist any
		if c.HasLocation {
			lat, lng, dist = c.Latitude, c.Longitude, c.Distance
		}
		var err error
		out, added, err = casThenRead(ctx, tx, scanCheckin, `INSERT INTO duty_checkins
(duty_date, shift, userid, role, checked_in_at, status, minutes_late, via, latitude, longitude, distance_m, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (duty_date, shift, userid) DO NOTHING`,
			[]any{roster.DateText(c.Date), c.Shift, c.UserID, string(c.Role), roster.TimeText(c.At), c.Status, c.MinutesLate, c.Via,
				lat, lng, dist, roster.TimeText(now)},
			`SELECT `+checkinColumns+` FROM duty_checkins WHERE duty_date = ? AND shift = ? AND userid = ?`, roster.DateText(c.Date), c.Shift, c.UserID)
		return err
	})
	if err != nil {
		return Checkin{}, false, fmt.Errorf("add check-in %s/%s/%s: %w", c.Date, c.Shift, c.UserID, err)
	}
	return out, added, nil
}

// Checkin returns a member's check-in for a slot.
func (s *SQLStore) Checkin(ctx context.Context, d roster.Date, shift, userID string) (Checkin, error) {
	c, err := queryOne(ctx, s.db.Reader(), scanCheckin, `SELECT `+checkinColumns+` FROM duty_checkins
WHERE duty_date = ? AND shift = ? AND userid = ?`, roster.DateText(d), shift, userID)
	if err != nil {
		return Checkin{}, fmt.Errorf("check-in %s/%s/%s: %w", d, shift, userID, err)
	}
	return c, nil
}

// SlotCheckins lists a slot's check-ins, earliest first.
func (s *SQLStore) SlotCheckins(ctx context.Context, d roster.Date, shift string) ([]Checkin, error) {
	out, err := s.queryCheckins(ctx, `WHERE duty_date = ? AND shift = ? ORDER BY checked_in_at, id`, roster.DateText(d), shift)
	if err != nil {
		return nil, fmt.Errorf("check-ins of %s %s: %w", d, shift, err)
	}
	return out, nil
}

// Checkins lists the check-ins of duty days from..to.
func (s *SQLStore) Checkins(ctx context.Context, from, to roster.Date) ([]Checkin, error) {
	out, err := s.queryCheckins(ctx, `WHERE duty_date BETWEEN ? AND ? ORDER BY duty_date, shift, checked_in_at, id`,
		roster.DateText(from), roster.DateText(to))
	if err != nil {
		return nil, fmt.Errorf("check-ins %s..%s: %w", from, to, err)
	}
	return out, nil
}

func (s *SQLStore) queryCheckins(ctx context.Context, where string, args ...any) ([]Checkin, error) {
	return roster.QueryAll(ctx, s.db.Reader(), scanCheckin, `SELECT `+checkinColumns+` FROM duty_checkins `+where, args...)
}

// CheckOut fills in the check-out of a check-in not yet checked out.
func (s *SQLStore) CheckOut(ctx context.Context, id int64, at time.Time, status string, minutesEarly int) (Checkin, bool, error) {
	if status != CheckoutNormal && status != CheckoutEarly {
		return Checkin{}, false, fmt.Errorf("check out #%d: status %q, want %s or %s", id, status, CheckoutNormal, CheckoutEarly)
	}
	var out Checkin
	var done bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		out, done, err = casThenRead(ctx, tx, scanCheckin, `UPDATE duty_checkins SET checked_out_at = ?, checkout_status = ?, minutes_early = ?
WHERE id = ? AND checked_out_at IS NULL`, []any{roster.TimeText(at), status, minutesEarly, id},
			`SELECT `+checkinColumns+` FROM duty_checkins WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return Checkin{}, false, fmt.Errorf("check out #%d: %w", id, err)
	}
	return out, done, nil
}

func scanCheckin(r rowScanner) (Checkin, error) {
	var c Checkin
	var date, role, at, created string
	var lat, lng, dist sql.NullFloat64
	var out sql.NullString
	if err := r.Scan(&c.ID, &date, &c.Shift, &c.UserID, &role, &at, &c.Status, &c.MinutesLate, &c.Via,
		&lat, &lng, &dist, &out, &c.CheckoutStatus, &c.MinutesEarly, &created); err != nil {
		return Checkin{}, err
	}
	c.Role = roster.Role(role)
	if lat.Valid && lng.Valid {
		c.HasLocation, c.Latitude, c.Longitude, c.Distance = true, lat.Float64, lng.Float64, dist.Float64
	}
	var p textFields
	p.date(&c.Date, date)
	p.time(&c.At, at)
	p.nullTime(&c.CheckedOutAt, out)
	p.time(&c.CreatedAt, created)
	if p.err != nil {
		return Checkin{}, p.err
	}
	return c, nil
}

const absenceColumns = `id, kind, duty_date, shift, userid, detected_at, escalation_id, resolved_at, resolution`

// AddAbsence inserts a unless it is there; a missed check-in is refused
// (ErrCheckedIn) when the check-in exists. Both checks are in the one
// transaction, so a check-in and the grace deadline racing each other
// leave either a check-in alone or an absence the check-in then resolves.
func (s *SQLStore) AddAbsence(ctx context.Context, a Absence) (Absence, bool, error) {
	if a.Kind == "" || a.Date.IsZero() || a.Shift == "" || a.UserID == "" {
		return Absence{}, false, fmt.Errorf("add absence: kind, date, shift and member are required")
	}
	if a.DetectedAt.IsZero() {
		a.DetectedAt = s.now()
	}
	var out Absence
	var added bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if a.Kind == AbsenceMissedCheckin {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM duty_checkins WHERE duty_date = ? AND shift = ? AND userid = ?`,
				roster.DateText(a.Date), a.Shift, a.UserID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrCheckedIn
			}
		}
		var err error
		out, added, err = casThenRead(ctx, tx, scanAbsence, `INSERT INTO duty_absences (kind, duty_date, shift, userid, detected_at, escalation_id)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, duty_date, shift, userid) DO NOTHING`,
			[]any{a.Kind, roster.DateText(a.Date), a.Shift, a.UserID, roster.TimeText(a.DetectedAt), a.EscalationID},
			`SELECT `+absenceColumns+` FROM duty_absences WHERE kind = ? AND duty_date = ? AND shift = ? AND userid = ?`,
			a.Kind, roster.DateText(a.Date), a.Shift, a.UserID)
		return err
	})
	if errors.Is(err, ErrCheckedIn) {
		return Absence{}, false, err
	}
	if err != nil {
		return Absence{}, false, fmt.Errorf("add absence %s/%s/%s: %w", a.Date, a.Shift, a.UserID, err)
	}
	return out, added, nil
}

// Absence returns one absence.
func (s *SQLStore) Absence(ctx context.Context, kind string, d roster.Date, shift, userID string) (Absence, error) {
	a, err := queryOne(ctx, s.db.Reader(), scanAbsence, `SELECT `+absenceColumns+` FROM duty_absences
WHERE kind = ? AND duty_date = ? AND shift = ? AND userid = ?`, kind, roster.DateText(d), shift, userID)
	if err != nil {
		return Absence{}, fmt.Errorf("absence %s %s/%s/%s: %w", kind, d, shift, userID, err)
	}
	return a, nil
}

// SetAbsenceEscalation notes the alert raised for an absence.
func (s *SQLStore) SetAbsenceEscalation(ctx context.Context, id int64, escalationID string) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		return updateOne(ctx, tx, `UPDATE duty_absences SET escalation_id = ? WHERE id = ?`, escalationID, id)
	})
	if err != nil {
		return fmt.Errorf("note escalation of absence #%d: %w", id, err)
	}
	return nil
}

// ResolveAbsence marks an open absence resolved.
func (s *SQLStore) ResolveAbsence(ctx context.Context, id int64, at time.Time, resolution string) (Absence, bool, error) {
	var out Absence
	var done bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		out, done, err = casThenRead(ctx, tx, scanAbsence,
			`UPDATE duty_absences SET resolved_at = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL`, []any{roster.TimeText(at), resolution, id},
			`SELECT `+absenceColumns+` FROM duty_absences WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return Absence{}, false, fmt.Errorf("resolve absence #%d: %w", id, err)
	}
	return out, done, nil
}

// Absences lists the absences of duty days from..to.
func (s *SQLStore) Absences(ctx context.Context, from, to roster.Date) ([]Absence, error) {
	out, err := roster.QueryAll(ctx, s.db.Reader(), scanAbsence, `SELECT `+absenceColumns+` FROM duty_absences
WHERE duty_date BETWEEN ? AND ? ORDER BY duty_date, shift, detected_at, id`, roster.DateText(from), roster.DateText(to))
	if err != nil {
		return nil, fmt.Errorf("absences %s..%s: %w", from, to, err)
	}
	return out, nil
}

func scanAbsence(r rowScanner) (Absence, error) {
	var a Absence
	var date, detected string
	var resolved sql.NullString
	if err := r.Scan(&a.ID, &a.Kind, &date, &a.Shift, &a.UserID, &detected, &a.EscalationID, &resolved, &a.Resolution); err != nil {
		return Absence{}, err
	}
	var p textFields
	p.date(&a.Date, date)
	p.time(&a.DetectedAt, detected)
	p.nullTime(&a.ResolvedAt, resolved)
	if p.err != nil {
		return Absence{}, p.err
	}
	return a, nil
}

// SaveLocation keeps a member's latest location.
func (s *SQLStore) SaveLocation(ctx context.Context, l Location) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO duty_locations (userid, latitude, longitude, source, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (userid) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude,
source = excluded.source, at = excluded.at`, l.UserID, l.Latitude, l.Longitude, l.Source, roster.TimeText(l.At))
		return err
	})
	if err != nil {
		return fmt.Errorf("save location of %s: %w", l.UserID, err)
	}
	return nil
}

// LastLocation returns a member's latest location.
func (s *SQLStore) LastLocation(ctx context.Context, userID string) (Location, error) {
	l := Location{UserID: userID}
	var at string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT latitude, longitude, source, at FROM duty_locations WHERE userid = ?`, userID).
		Scan(&l.Latitude, &l.Longitude, &l.Source, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Location{}, fmt.Errorf("location of %s: %w", userID, ErrNotFound)
	}
	if err == nil {
		l.At, err = roster.ParseTimeText(at)
	}
	if err != nil {
		return Location{}, fmt.Errorf("location of %s: %w", userID, err)
	}
	return l, nil
}

// SetCheckinWait notes a 签到 waiting for a location.
func (s *SQLStore) SetCheckinWait(ctx context.Context, w CheckinWait) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO duty_checkin_waits (userid, duty_date, shift, asked_at) VALUES (?, ?, ?, ?)
ON CONFLICT (userid) DO UPDATE SET duty_date = excluded.duty_date, shift = excluded.shift, asked_at = excluded.asked_at`,
			w.UserID, roster.DateText(w.Date), w.Shift, roster.TimeText(w.AskedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("note check-in waiting for the location of %s: %w", w.UserID, err)
	}
	return nil
}

// TakeCheckinWait removes and returns a member's waiting 签到.
func (s *SQLStore) TakeCheckinWait(ctx context.Context, userID string) (CheckinWait, error) {
	w := CheckinWait{UserID: userID}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var date, asked string
		err := tx.QueryRowContext(ctx, `SELECT duty_date, shift, asked_at FROM duty_checkin_waits WHERE userid = ?`, userID).
			Scan(&date, &w.Shift, &asked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var p textFields
		p.date(&w.Date, date)
		p.time(&w.AskedAt, asked)
		if p.err != nil {
			return p.err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM duty_checkin_waits WHERE userid = ?`, userID)
		return err
	})
	if err != nil {
		return CheckinWait{}, fmt.Errorf("check-in waiting for the location of %s: %w", userID, err)
	}
	return w, nil
}
