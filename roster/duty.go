package roster

import (
	"slices"
	"time"
)

// ShiftRoster is one shift on one duty day with the people assigned to it.
type ShiftRoster struct {
	Date       Date
	Shift      ShiftTemplate
	Start, End time.Time
	Leaders    []string // userids
	Officers   []string // userids
	// Runs is false for a shift that has assignments on a day the calendar
	// says it does not run (worth a warning).
	Runs bool
}

// Day lays out duty day d: every shift that runs that day, in template
// order, plus any other shift someone is assigned to. as may hold other days'
// assignments; only d's are used.
func Day(shifts Shifts, cal Calendar, d Date, as []Assignment, loc *time.Location) []ShiftRoster {
	running := shifts.On(cal, d)
	var out []ShiftRoster
	index := make(map[string]int)
	add := func(t ShiftTemplate, runs bool) int {
		start, end := t.Span(d, loc)
		out = append(out, ShiftRoster{Date: d, Shift: t, Start: start, End: end, Runs: runs})
		index[t.Name] = len(out) - 1
		return len(out) - 1
	}
	for _, t := range running {
		add(t, true)
	}
	for _, a := range as {
		if a.Date != d {
			continue
		}
		i, ok := index[a.Shift]
		if !ok {
			t, known := shifts.Find(a.Shift)
			if !known {
				// A template since removed: keep the people visible.
				t = ShiftTemplate{Name: a.Shift}
			}
			i = add(t, false)
		}
		if a.Role == RoleLeader {
			out[i].Leaders = append(out[i].Leaders, a.UserID)
		} else {
			out[i].Officers = append(out[i].Officers, a.UserID)
		}
	}
	for i := range out {
		slices.Sort(out[i].Leaders)
		slices.Sort(out[i].Officers)
	}
	return out
}

// OnDutyAt lists the shifts in progress at t, with their people: shifts of
// the day t falls on and overnight shifts that started the day before. as
// must hold the assignments of both days.
func OnDutyAt(shifts Shifts, cal Calendar, as []Assignment, t time.Time, loc *time.Location) []ShiftRoster {
	today := DateOf(t, loc)
	var out []ShiftRoster
	for _, d := range []Date{today.AddDays(-1), today} {
		for _, sr := range Day(shifts, cal, d, as, loc) {
			if !t.Before(sr.Start) && t.Before(sr.End) && sr.Shift.Duration() > 0 {
				out = append(out, sr)
			}
		}
	}
	return out
}
