package roster

import (
	"fmt"
	"slices"
)

// Group is a 值班组: a leader in charge and officers who are on duty together.
type Group struct {
	Name     string
	Leader   string   // userid; may be empty
	Officers []string // userids
}

// Rotation hands the shifts it covers to its groups (or single officers) in
// turn, one per period: weekly (e.g. handover Monday 08:30 for a week that
// starts Monday) or daily.
type Rotation struct {
	Name   string
	Shifts []string // templates staffed by this rotation
	Period string   // "weekly" or "daily"
	Start  Date     // first duty day of the first turn
	// Groups rotate in this order; or, for a per-person rotation, Members
	// (one officer each turn).
	Groups  []string
	Members []string
}

// Rotation periods.
const (
	Weekly = "weekly"
	Daily  = "daily"
)

// turnLength is the number of days each turn lasts.
func (r Rotation) turnLength() int {
	if r.Period == Weekly {
		return 7
	}
	return 1
}

// turns is the number of entries rotating.
func (r Rotation) turns() int { return max(len(r.Groups), len(r.Members)) }

// Turn is the index of whose turn it is on duty day d (negative days before
// Start count backwards, so the cycle is the same in both directions).
func (r Rotation) Turn(d Date) int {
	days := r.Start.DaysUntil(d)
	n, k := r.turns(), r.turnLength()
	t := days / k
	if days%k != 0 && days < 0 {
		t--
	}
	return ((t % n) + n) % n
}

// Validate checks the rotation against the office's shifts and groups.
func (r Rotation) Validate(shifts Shifts, groups []Group) error {
	switch {
	case r.Name == "":
		return fmt.Errorf("rotation: name is empty")
	case r.Period != Weekly && r.Period != Daily:
		return fmt.Errorf("rotation %q: period must be weekly or daily, got %q", r.Name, r.Period)
	case r.Start.IsZero():
		return fmt.Errorf("rotation %q: start date is missing", r.Name)
	case len(r.Groups) > 0 && len(r.Members) > 0:
		return fmt.Errorf("rotation %q: give groups or members, not both", r.Name)
	case r.turns() == 0:
		return fmt.Errorf("rotation %q: no groups or members to rotate", r.Name)
	case len(r.Shifts) == 0:
		return fmt.Errorf("rotation %q: no shifts to staff", r.Name)
	}
	for _, s := range r.Shifts {
		if _, ok := shifts.Find(s); !ok {
			return fmt.Errorf("rotation %q: unknown shift %q (shifts: %v)", r.Name, s, shifts.Names())
		}
	}
	for _, g := range r.Groups {
		if !slices.ContainsFunc(groups, func(x Group) bool { return x.Name == g }) {
			return fmt.Errorf("rotation %q: unknown group %q", r.Name, g)
		}
	}
	return nil
}

// Generate makes the assignments rotations give for duty days from..to
// inclusive, for every shift that runs on each day, and returns them with the
// slots they fill (the slots a caller replaces). Shifts a rotation covers that
// do not run on a day (by the calendar) get no slot that day.
func Generate(shifts Shifts, cal Calendar, groups []Group, rotations []Rotation, from, to Date) ([]Slot, []Assignment) {
	byName := make(map[string]Group, len(groups))
	for _, g := range groups {
		byName[g.Name] = g
	}
	var slots []Slot
	var as []Assignment
	for d := from; !d.After(to); d = d.AddDays(1) {
		running := shifts.On(cal, d)
		for _, r := range rotations {
			turn := r.Turn(d)
			for _, name := range r.Shifts {
				if _, ok := running.Find(name); !ok {
					continue
				}
				slot := Slot{d, name}
				slots = append(slots, slot)
				add := func(role Role, userID string) {
					as = append(as, Assignment{Date: d, Shift: name, Role: role, UserID: userID, Source: SourceRotation})
				}
				if len(r.Members) > 0 {
					add(RoleOfficer, r.Members[turn])
					continue
				}
				g := byName[r.Groups[turn]]
				if g.Leader != "" {
					add(RoleLeader, g.Leader)
				}
				for _, o := range g.Officers {
					add(RoleOfficer, o)
				}
			}
		}
	}
	return slots, as
}
