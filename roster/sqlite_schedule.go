package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

var _ ScheduleStore = (*SQLStore)(nil)

// Assignments lists the assignments of duty days from..to inclusive,
// ordered by date, shift, role and userid.
func (s *SQLStore) Assignments(ctx context.Context, from, to Date) ([]Assignment, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT duty_date, shift, role, userid, source
FROM assignments WHERE duty_date BETWEEN ? AND ?
ORDER BY duty_date, shift, role, userid`, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("list assignments %s..%s: %w", from, to, err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, fmt.Errorf("list assignments %s..%s: %w", from, to, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list assignments %s..%s: %w", from, to, err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanAssignment(r scanner) (Assignment, error) {
	var a Assignment
	var day, role string
	if err := r.Scan(&day, &a.Shift, &role, &a.UserID, &a.Source); err != nil {
		return Assignment{}, err
	}
	d, err := ParseDate(day)
	if err != nil {
		return Assignment{}, err
	}
	a.Date, a.Role = d, Role(role)
	return a, nil
}

// ReplaceSlots makes as the complete set of assignments for slots, with an
// audit entry listing the assignments before and after, all in one
// transaction.
func (s *SQLStore) ReplaceSlots(ctx context.Context, slots []Slot, as []Assignment, audit AuditEntry) error {
	inSlots := make(map[Slot]bool, len(slots))
	for _, sl := range slots {
		inSlots[sl] = true
	}
	for _, a := range as {
		if !inSlots[a.Slot()] {
			return fmt.Errorf("replace assignments: %s is outside the slots being replaced", a)
		}
		if a.Role != RoleOfficer && a.Role != RoleLeader {
			return fmt.Errorf("replace assignments: %s: role must be officer or leader", a)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var before []string
		for _, sl := range slots {
			rows, err := tx.QueryContext(ctx, `SELECT duty_date, shift, role, userid, source
FROM assignments WHERE duty_date = ? AND shift = ? ORDER BY role, userid`, sl.Date.String(), sl.Shift)
			if err != nil {
				return err
			}
			for rows.Next() {
				a, err := scanAssignment(rows)
				if err != nil {
					rows.Close()
					return err
				}
				before = append(before, a.String())
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM assignments WHERE duty_date = ? AND shift = ?`, sl.Date.String(), sl.Shift); err != nil {
				return err
			}
		}
		after := make([]string, 0, len(as))
		for _, a := range as {
			source := a.Source
			if source == "" {
				source = SourceManual
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO assignments (duty_date, shift, role, userid, source)
VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, a.Date.String(), a.Shift, string(a.Role), a.UserID, source)
			if err != nil {
				return fmt.Errorf("%s: %w", a, err)
			}
			after = append(after, a.String())
		}
		audit.Before, audit.After = strings.Join(before, "\n"), strings.Join(after, "\n")
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("replace assignments: %w", err)
	}
	return nil
}

func (s *SQLStore) insertAudit(ctx context.Context, tx *sql.Tx, a AuditEntry) error {
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, subject, before, after)
VALUES (?, ?, ?, ?, ?, ?)`, formatTime(at), a.Actor, a.Action, a.Subject, a.Before, a.After)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

// HolidayDays lists the holiday schedule from..to inclusive, by date.
func (s *SQLStore) HolidayDays(ctx context.Context, from, to Date) ([]HolidayDay, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT day, off, name FROM holiday_days
WHERE day BETWEEN ? AND ? ORDER BY day`, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("list holiday days: %w", err)
	}
	defer rows.Close()
	var out []HolidayDay
	for rows.Next() {
		var day string
		var h HolidayDay
		if err := rows.Scan(&day, &h.Off, &h.Name); err != nil {
			return nil, fmt.Errorf("list holiday days: %w", err)
		}
		if h.Date, err = ParseDate(day); err != nil {
			return nil, fmt.Errorf("list holiday days: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func holidayText(h HolidayDay) string {
	kind := "放假"
	if !h.Off {
		kind = "调休上班"
	}
	return fmt.Sprintf("%s %s %s", h.Date, kind, h.Name)
}

// SetHolidayDays adds or replaces schedule entries, with an audit entry.
func (s *SQLStore) SetHolidayDays(ctx context.Context, days []HolidayDay, audit AuditEntry) error {
	_, err := s.putHolidayDays(ctx, days, audit, true)
	if err != nil {
		return fmt.Errorf("set holiday days: %w", err)
	}
	return nil
}

// AddHolidayDaysIfAbsent adds entries only for dates that have none.
func (s *SQLStore) AddHolidayDaysIfAbsent(ctx context.Context, days []HolidayDay, audit AuditEntry) (int, error) {
	n, err := s.putHolidayDays(ctx, days, audit, false)
	if err != nil {
		return 0, fmt.Errorf("load holiday days: %w", err)
	}
	return n, nil
}

func (s *SQLStore) putHolidayDays(ctx context.Context, days []HolidayDay, audit AuditEntry, replace bool) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var before, after []string
		for _, h := range days {
			var old HolidayDay
			err := tx.QueryRowContext(ctx, `SELECT off, name FROM holiday_days WHERE day = ?`, h.Date.String()).Scan(&old.Off, &old.Name)
			switch {
			case err == nil && !replace:
				continue
			case err == nil:
				old.Date = h.Date
				before = append(before, holidayText(old))
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO holiday_days (day, off, name) VALUES (?, ?, ?)
ON CONFLICT (day) DO UPDATE SET off = excluded.off, name = excluded.name`, h.Date.String(), h.Off, h.Name)
			if err != nil {
				return err
			}
			after = append(after, holidayText(h))
			added++
		}
		if added == 0 {
			return nil
		}
		audit.Before, audit.After = strings.Join(before, "\n"), strings.Join(after, "\n")
		return s.insertAudit(ctx, tx, audit)
	})
	return added, err
}

// DeleteHolidayDays removes the entries from..to inclusive.
func (s *SQLStore) DeleteHolidayDays(ctx context.Context, from, to Date, audit AuditEntry) (int, error) {
	existing, err := s.HolidayDays(ctx, from, to)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM holiday_days WHERE day BETWEEN ? AND ?`, from.String(), to.String())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		before := make([]string, len(existing))
		for i, h := range existing {
			before[i] = holidayText(h)
		}
		audit.Before = strings.Join(before, "\n")
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return 0, fmt.Errorf("delete holiday days: %w", err)
	}
	return int(n), nil
}

// Leaves lists leave overlapping from..to, by start date.
func (s *SQLStore) Leaves(ctx context.Context, from, to Date) ([]Leave, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, userid, from_date, to_date, reason FROM leaves
WHERE to_date >= ? AND from_date <= ? ORDER BY from_date, id`, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("list leave: %w", err)
	}
	defer rows.Close()
	var out []Leave
	for rows.Next() {
		var l Leave
		var f, t string
		if err := rows.Scan(&l.ID, &l.UserID, &f, &t, &l.Reason); err != nil {
			return nil, fmt.Errorf("list leave: %w", err)
		}
		if l.From, err = ParseDate(f); err != nil {
			return nil, fmt.Errorf("list leave: %w", err)
		}
		if l.To, err = ParseDate(t); err != nil {
			return nil, fmt.Errorf("list leave: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// AddLeave records leave with an audit entry.
func (s *SQLStore) AddLeave(ctx context.Context, l Leave, audit AuditEntry) (int64, error) {
	if l.UserID == "" || l.To.Before(l.From) {
		return 0, fmt.Errorf("add leave: need a userid and from ≤ to, got %q %s..%s", l.UserID, l.From, l.To)
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO leaves (userid, from_date, to_date, reason) VALUES (?, ?, ?, ?) RETURNING id`,
			l.UserID, l.From.String(), l.To.String(), l.Reason).Scan(&id)
		if err != nil {
			return err
		}
		audit.After = fmt.Sprintf("%s %s..%s %s", l.UserID, l.From, l.To, l.Reason)
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return 0, fmt.Errorf("add leave: %w", err)
	}
	return id, nil
}

// Audit lists the newest audit entries first.
func (s *SQLStore) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, at, actor, action, subject, before, after
FROM audit_log ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var a AuditEntry
		var at string
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Subject, &a.Before, &a.After); err != nil {
			return nil, fmt.Errorf("list audit log: %w", err)
		}
		if a.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list audit log: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// slotsOf lists the distinct slots of as, in order of first appearance.
func slotsOf(as []Assignment) []Slot {
	var out []Slot
	for _, a := range as {
		if !slices.Contains(out, a.Slot()) {
			out = append(out, a.Slot())
		}
	}
	return out
}
