package roster

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Assignment puts one member on one shift of one duty day in a role
// (RoleOfficer or RoleLeader). A shift belongs to the day it starts on.
type Assignment struct {
	Date   Date
	Shift  string
	Role   Role
	UserID string
	// Source says how the assignment came about: "manual", "rotation" or
	// "import".
	Source string
}

// Assignment sources.
const (
	SourceManual   = "manual"
	SourceRotation = "rotation"
	SourceImport   = "import"
)

// Slot is one shift on one duty day.
type Slot struct {
	Date  Date
	Shift string
}

// Slot returns the slot a is in.
func (a Assignment) Slot() Slot { return Slot{a.Date, a.Shift} }

// String is a one-line form for audit records: "2026-12-25 夜班 值班员 zhangsan".
func (a Assignment) String() string {
	return fmt.Sprintf("%s %s %s %s", a.Date, a.Shift, a.Role.Label(), a.UserID)
}

// SortAssignments orders by date, then shift order in shifts, then leader
// before officers, then userid.
func SortAssignments(as []Assignment, shifts Shifts) {
	order := func(name string) int {
		i := slices.IndexFunc(shifts, func(t ShiftTemplate) bool { return t.Name == name })
		if i < 0 {
			return len(shifts)
		}
		return i
	}
	slices.SortFunc(as, func(a, b Assignment) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(order(a.Shift), order(b.Shift)),
			strings.Compare(a.Shift, b.Shift), roleRank(a.Role)-roleRank(b.Role), strings.Compare(a.UserID, b.UserID))
	})
}

func roleRank(r Role) int {
	if r == RoleLeader {
		return 0
	}
	return 1
}

// Leave is a member's approved absence over whole duty days.
type Leave struct {
	ID       int64
	UserID   string
	From, To Date // inclusive
	Reason   string
}

// Covers reports whether the leave includes duty day d.
func (l Leave) Covers(d Date) bool { return !d.Before(l.From) && !d.After(l.To) }

// AuditEntry records one change to the roster: who, when, what, and the
// state before and after.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // userid, or "system" / "cli"
	Action  string // e.g. "排班 设置", "节假日 设置", "导入"
	Subject string // what was changed, e.g. "2026-12-25 夜班"
	Before  string
	After   string
}

// ScheduleStore keeps assignments, the holiday schedule, leave and the
// audit trail. Every change is one transaction with its audit entry.
type ScheduleStore interface {
	// Assignments lists the assignments of duty days from..to inclusive.
	Assignments(ctx context.Context, from, to Date) ([]Assignment, error)
	// ReplaceSlots makes as the complete set of assignments for slots:
	// existing assignments in those slots are removed, as are inserted
	// (each must lie in one of slots), and an audit entry with the before
	// and after is written — all or nothing.
	ReplaceSlots(ctx context.Context, slots []Slot, as []Assignment, audit AuditEntry) error
	// HolidayDays lists the holiday schedule from..to inclusive.
	HolidayDays(ctx context.Context, from, to Date) ([]HolidayDay, error)
	// SetHolidayDays adds or replaces schedule entries, with an audit entry.
	SetHolidayDays(ctx context.Context, days []HolidayDay, audit AuditEntry) error
	// AddHolidayDaysIfAbsent adds entries for dates that have none (loading
	// the published schedule never overrides what an admin set) and reports
	// how many were added.
	AddHolidayDaysIfAbsent(ctx context.Context, days []HolidayDay, audit AuditEntry) (int, error)
	// DeleteHolidayDays removes the entries from..to inclusive, with an
	// audit entry, and reports how many there were.
	DeleteHolidayDays(ctx context.Context, from, to Date, audit AuditEntry) (int, error)
	// Leaves lists leave overlapping from..to.
	Leaves(ctx context.Context, from, to Date) ([]Leave, error)
	// AddLeave records leave, with an audit entry, and returns its id.
	AddLeave(ctx context.Context, l Leave, audit AuditEntry) (int64, error)
	// Audit lists the newest audit entries first.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
}
