package push

import (
	"context"
	"fmt"
	"time"

	"dutybot/roster"
)

// Resolver turns a policy target into userids at a moment.
type Resolver interface {
	Resolve(ctx context.Context, t Target, at time.Time) ([]string, error)
}

// RosterStore is what RosterTargets reads.
type RosterStore interface {
	Members(ctx context.Context) ([]roster.Member, error)
	Assignments(ctx context.Context, from, to roster.Date) ([]roster.Assignment, error)
	HolidayDays(ctx context.Context, from, to roster.Date) ([]roster.HolidayDay, error)
}

// RosterTargets resolves targets from the roster: who holds a role, and who
// is on the shifts in progress.
type RosterTargets struct {
	Store    RosterStore
	Settings roster.Settings
	Location *time.Location
}

// Resolve returns the active members target names at time at.
func (r RosterTargets) Resolve(ctx context.Context, t Target, at time.Time) ([]string, error) {
	members, err := r.Store.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", t.Kind, err)
	}
	active := make(map[string]roster.Member, len(members))
	for _, m := range members {
		if m.Active {
			active[m.UserID] = m
		}
	}
	var ids []string
	switch t.Kind {
	case TargetMember:
		if _, ok := active[t.Value]; ok {
			ids = append(ids, t.Value)
		}
	case TargetRole, TargetAdmins:
		role := roster.Role(t.Value)
		if t.Kind == TargetAdmins {
			role = roster.RoleAdmin
		}
		for _, m := range members {
			if m.Active && m.HasRole(role) {
				ids = append(ids, m.UserID)
			}
		}
	case TargetLeaderOnDuty, TargetOfficersOnDuty:
		today := roster.DateOf(at, r.Location)
		days, err := r.Store.HolidayDays(ctx, today.AddDays(-2), today.AddDays(1))
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", t.Kind, err)
		}
		as, err := r.Store.Assignments(ctx, today.AddDays(-1), today)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", t.Kind, err)
		}
		cal := roster.NewCalendar(days, r.Settings.SpecialPeriods)
		for _, sr := range roster.OnDutyAt(r.Settings.Shifts, cal, as, at, r.Location) {
			people := sr.Officers
			if t.Kind == TargetLeaderOnDuty {
				people = sr.Leaders
			}
			for _, id := range people {
				if _, ok := active[id]; ok {
					ids = append(ids, id)
				}
			}
		}
	default:
		return nil, fmt.Errorf("resolve: unknown target kind %q", t.Kind)
	}
	return ids, nil
}
