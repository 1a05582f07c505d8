package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ApplyMemberSync applies plan in one transaction with one audit entry
// whose Before and After list the changed members as they were and are
// (Subject defaults to a count of the changes). Each member's name, mobile,
// department and active flag are written; roles are left exactly as they
// are, so a role granted after the plan was made survives it. An empty plan
// writes nothing, not even the audit entry.
func (s *SQLStore) ApplyMemberSync(ctx context.Context, plan SyncPlan, audit AuditEntry) error {
	changes := plan.Changes()
	if len(changes) == 0 {
		return nil
	}
	for _, c := range changes {
		if c.After.UserID == "" {
			return errors.New("apply member sync: a change has no userid")
		}
	}
	if audit.Subject == "" {
		audit.Subject = fmt.Sprintf("新增 %d，更新 %d，停用 %d，恢复 %d",
			len(plan.Create), len(plan.Update), len(plan.Deactivate), len(plan.Reactivate))
	}
	now := formatTime(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var before, after []string
		for _, c := range changes {
			m := c.After
			var old Member
			err := tx.QueryRowContext(ctx, `SELECT userid, name, mobile, department, active FROM members WHERE userid = ?`, m.UserID).
				Scan(&old.UserID, &old.Name, &old.Mobile, &old.Department, &old.Active)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				before = append(before, m.UserID+" （新成员）")
			case err != nil:
				return fmt.Errorf("read member %q: %w", m.UserID, err)
			default:
				before = append(before, memberText(old))
			}
			if err := upsertMemberRow(ctx, tx, m, now); err != nil {
				return fmt.Errorf("write member %q: %w", m.UserID, err)
			}
			after = append(after, memberText(m))
		}
		audit.Before, audit.After = strings.Join(before, "\n"), strings.Join(after, "\n")
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("apply member sync: %w", err)
	}
	return nil
}

// AssignRole gives the member userID role r, with an audit entry whose
// Before and After are the member's roles. It reports whether anything
// changed: assigning a held role writes nothing. Unlike GrantRole it never
// creates a member; an unknown userid is ErrNotFound.
func (s *SQLStore) AssignRole(ctx context.Context, userID string, r Role, audit AuditEntry) (bool, error) {
	return s.changeRole(ctx, userID, r, true, audit)
}

// RevokeRole takes role r from the member userID, with an audit entry like
// AssignRole's, and reports whether anything changed. Taking the admin
// role from the only active admin is refused with ErrLastAdmin.
func (s *SQLStore) RevokeRole(ctx context.Context, userID string, r Role, audit AuditEntry) (bool, error) {
	return s.changeRole(ctx, userID, r, false, audit)
}

func (s *SQLStore) changeRole(ctx context.Context, userID string, r Role, grant bool, audit AuditEntry) (bool, error) {
	op := "revoke"
	if grant {
		op = "assign"
	}
	if !slices.Contains(AllRoles(), r) {
		return false, fmt.Errorf("%s role %q for %q: unknown role", op, r, userID)
	}
	if audit.Subject == "" {
		audit.Subject = userID
	}
	changed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		changed = false
		var active bool
		err := tx.QueryRowContext(ctx, `SELECT active FROM members WHERE userid = ?`, userID).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		roles, err := rolesTx(ctx, tx, userID)
		if err != nil {
			return err
		}
		if slices.Contains(roles, r) == grant {
			return nil
		}
		after := slices.DeleteFunc(slices.Clone(roles), func(x Role) bool { return x == r })
		if grant {
			_, err = tx.ExecContext(ctx, `INSERT INTO member_roles (userid, role) VALUES (?, ?)`, userID, string(r))
			after = append(after, r)
			sortRoles(after)
		} else {
			if r == RoleAdmin && active {
				var others int
				err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM member_roles mr JOIN members m ON m.userid = mr.userid
WHERE mr.role = ? AND m.active = ? AND m.userid <> ?`, string(RoleAdmin), true, userID).Scan(&others)
				if err != nil {
					return err
				}
				if others == 0 {
					return ErrLastAdmin
				}
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM member_roles WHERE userid = ? AND role = ?`, userID, string(r))
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET updated_at = ? WHERE userid = ?`, formatTime(s.now()), userID); err != nil {
			return err
		}
		audit.Before, audit.After = rolesText(roles), rolesText(after)
		changed = true
		return s.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return false, fmt.Errorf("%s role %q for %q: %w", op, r, userID, err)
	}
	return changed, nil
}

// rolesTx lists a member's roles inside a write transaction, in the order
// of AllRoles.
func rolesTx(ctx context.Context, tx *sql.Tx, userID string) ([]Role, error) {
	rows, err := tx.QueryContext(ctx, `SELECT role FROM member_roles WHERE userid = ?`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var roles []Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		roles = append(roles, Role(r))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortRoles(roles)
	return roles, nil
}
