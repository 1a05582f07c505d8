package duty

import (
	"time"

	"dutybot/roster"
)

// PlanShifts lists the deadlines the shifts in rosters bring that are still
// ahead of now: for each officer the end of the check-in grace period, and
// for officers and leaders the reminders; for each staffed shift the moment
// it starts (the leader hears who has checked in) and the end of its
// handover window; for each running shift the coverage check CoverageAhead
// before it starts.
func PlanShifts(set Settings, rosters []roster.ShiftRoster, now time.Time, loc *time.Location) []Deadline {
	var out []Deadline
	add := func(kind string, sr roster.ShiftRoster, user string, due time.Time) {
		if !due.After(now) {
			return
		}
		out = append(out, Deadline{Key: SlotKey(kind, sr.Date, sr.Shift.Name, user), Kind: kind, Date: sr.Date,
			Shift: sr.Shift.Name, UserID: user, DueAt: due.UTC()})
	}
	for _, sr := range rosters {
		if sr.Shift.Duration() <= 0 {
			continue
		}
		grace := sr.Shift.CheckinGrace
		if grace <= 0 {
			grace = roster.DefaultCheckinGrace
		}
		window := sr.Shift.HandoverWindow
		if window <= 0 {
			window = roster.DefaultHandoverWindow
		}
		people := append(append([]string(nil), sr.Officers...), sr.Leaders...)
		for _, u := range sr.Officers {
			add(KindCheckinGrace, sr, u, sr.Start.Add(grace))
		}
		for _, u := range people {
			if set.RemindEvening {
				evening := sr.Date.AddDays(-1).At(set.RemindEveningAt, loc)
				if set.RemindBefore <= 0 || evening.Before(sr.Start.Add(-set.RemindBefore)) {
					add(KindRemindEvening, sr, u, evening)
				}
			}
			if set.RemindBefore > 0 {
				add(KindRemindBefore, sr, u, sr.Start.Add(-set.RemindBefore))
			}
		}
		if len(people) > 0 {
			add(KindShiftStart, sr, "", sr.Start)
		}
		if len(sr.Officers) > 0 {
			add(KindHandoverDue, sr, "", sr.End.Add(window))
		}
		if sr.Runs && set.CoverageAhead > 0 {
			add(KindCoverage, sr, "", sr.Start.Add(-set.CoverageAhead))
		}
	}
	return out
}
