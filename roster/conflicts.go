package roster

import (
	"fmt"
	"slices"
	"time"
)

// Conflict is a problem with the roster that an admin should fix. Conflicts
// are warnings: the roster is saved, and the admin is told.
type Conflict struct {
	Date  Date
	Shift string
	Kind  string // one of the Conflict* kinds
	Msg   string // Chinese, for the chat reply
}

// Conflict kinds.
const (
	ConflictOverlap       = "overlap"        // same person on overlapping shifts
	ConflictUnderstaffed  = "understaffed"   // fewer officers than the shift needs
	ConflictNoLeader      = "no_leader"      // no 带班领导 where one is required
	ConflictOnLeave       = "on_leave"       // assigned while on leave
	ConflictNotRunning    = "not_running"    // assigned to a shift that does not run that day
	ConflictUnknownShift  = "unknown_shift"  // a shift no template defines
	ConflictUnknownMember = "unknown_member" // a userid that is not an active member
)

// CheckRoster finds the conflicts in duty days from..to. as should hold the
// assignments of from-1..to (overnight shifts of the day before can overlap
// the first day's); leaves those overlapping the range; names maps userids
// to names for the messages (and tells which userids are active members).
func CheckRoster(shifts Shifts, cal Calendar, as []Assignment, leaves []Leave, names map[string]string, from, to Date, loc *time.Location) []Conflict {
	var out []Conflict
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
	type span struct {
		a          Assignment
		start, end time.Time
	}
	byPerson := make(map[string][]span)
	for d := from.AddDays(-1); !d.After(to); d = d.AddDays(1) {
		for _, sr := range Day(shifts, cal, d, as, loc) {
			inRange := !d.Before(from)
			people := append(slices.Clone(sr.Leaders), sr.Officers...)
			for _, id := range people {
				byPerson[id] = append(byPerson[id], span{Assignment{Date: d, Shift: sr.Shift.Name, UserID: id}, sr.Start, sr.End})
			}
			if !inRange {
				continue
			}
			c := func(kind, format string, args ...any) {
				out = append(out, Conflict{Date: d, Shift: sr.Shift.Name, Kind: kind, Msg: fmt.Sprintf("%s %s：", d.Label(), sr.Shift.Name) + fmt.Sprintf(format, args...)})
			}
			if _, known := shifts.Find(sr.Shift.Name); !known {
				c(ConflictUnknownShift, "没有这个班次（现有班次：%v）", shifts.Names())
				continue
			}
			if !sr.Runs {
				c(ConflictNotRunning, "这天（%s）不排此班次，但安排了人员", cal.DayType(d).Label())
				continue
			}
			if n := len(sr.Officers); n < sr.Shift.Officers {
				c(ConflictUnderstaffed, "值班员 %d 名，需要 %d 名", n, sr.Shift.Officers)
			}
			if sr.Shift.LeaderRequired && len(sr.Leaders) == 0 {
				c(ConflictNoLeader, "没有带班领导")
			}
			for _, id := range people {
				if _, ok := names[id]; !ok {
					c(ConflictUnknownMember, "%s 不是在职成员", id)
				}
				for _, l := range leaves {
					if l.UserID == id && l.Covers(d) {
						c(ConflictOnLeave, "%s 当天请假（%s 至 %s）", name(id), l.From, l.To)
					}
				}
			}
		}
	}
	ids := make([]string, 0, len(byPerson))
	for id := range byPerson {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		spans := byPerson[id]
		slices.SortFunc(spans, func(x, y span) int { return x.start.Compare(y.start) })
		for i := 1; i < len(spans); i++ {
			prev, cur := spans[i-1], spans[i]
			if cur.start.Before(prev.end) && !cur.a.Date.Before(from) {
				out = append(out, Conflict{Date: cur.a.Date, Shift: cur.a.Shift, Kind: ConflictOverlap,
					Msg: fmt.Sprintf("%s %s：%s 同时排在 %s %s，时间重叠", cur.a.Date.Label(), cur.a.Shift, name(id), prev.a.Date.Label(), prev.a.Shift)})
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Conflict) int { return x.Date.Compare(y.Date) })
	return out
}
