package roster

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ShiftTemplate is a kind of shift the office runs, e.g. 白班 08:30–17:30 or
// a 24-hour 值班 08:30→08:30.
type ShiftTemplate struct {
	Name  string
	Start ClockTime
	// End is when the shift ends; at or before Start means the next day, and
	// equal to Start means a 24-hour shift.
	End ClockTime
	// Officers is how many officers (值班员) the shift needs.
	Officers int
	// LeaderRequired says a leader in charge (带班领导) must be assigned.
	LeaderRequired bool
	// CheckinOpens is how long before Start check-in opens (default 30 min:
	// officers must be at the post 10 minutes early); CheckinGrace is how
	// long after Start a check-in still counts before an absence is raised
	// (default 10 min).
	CheckinOpens time.Duration
	CheckinGrace time.Duration
	// HandoverWindow is how long after End the incoming officer has to
	// confirm the handover (default 30 min).
	HandoverWindow time.Duration
	// DayTypes are the days the shift runs on; empty means every day.
	DayTypes []DayType
	// SpecialOnly shifts run only inside a special period (特护期) that
	// names them.
	SpecialOnly bool
}

// Default check-in and handover windows.
const (
	DefaultCheckinOpens   = 30 * time.Minute
	DefaultCheckinGrace   = 10 * time.Minute
	DefaultHandoverWindow = 30 * time.Minute
)

// Duration is how long the shift lasts.
func (t ShiftTemplate) Duration() time.Duration {
	d := time.Duration(t.End-t.Start) * time.Minute
	if d <= 0 {
		d += 24 * time.Hour
	}
	return d
}

// Span is when the shift starts and ends on duty day d in loc. Wall-clock
// arithmetic is used, so a shift keeps its printed hours across a DST change
// where the zone has one.
func (t ShiftTemplate) Span(d Date, loc *time.Location) (start, end time.Time) {
	start = d.At(t.Start, loc)
	endDay := d
	if t.End <= t.Start {
		endDay = d.AddDays(1)
	}
	return start, endDay.At(t.End, loc)
}

// Hours is the shift's time as printed: "08:30–17:30" or "17:30–次日08:30".
func (t ShiftTemplate) Hours() string {
	if t.End <= t.Start {
		return t.Start.String() + "–次日" + t.End.String()
	}
	return t.Start.String() + "–" + t.End.String()
}

// runsOn reports whether the template runs on a day of type dt, in the
// special periods ps.
func (t ShiftTemplate) runsOn(dt DayType, ps []SpecialPeriod) bool {
	if t.SpecialOnly {
		return slices.ContainsFunc(ps, func(p SpecialPeriod) bool { return slices.Contains(p.Shifts, t.Name) })
	}
	return len(t.DayTypes) == 0 || slices.Contains(t.DayTypes, dt)
}

// Validate reports what is wrong with t, if anything.
func (t ShiftTemplate) Validate() error {
	var errs []error
	if t.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if t.Start < 0 || t.Start >= 24*60 || t.End < 0 || t.End >= 24*60 {
		errs = append(errs, errors.New("start and end must be times of day 00:00–23:59"))
	}
	if t.Officers < 0 {
		errs = append(errs, errors.New("officers must be 0 or more"))
	}
	if t.CheckinOpens < 0 || t.CheckinGrace < 0 || t.HandoverWindow < 0 {
		errs = append(errs, errors.New("check-in and handover windows must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shift %q: %w", t.Name, err)
	}
	return nil
}

// Shifts is the office's set of shift templates, in display order.
type Shifts []ShiftTemplate

// Find returns the template with the given name.
func (s Shifts) Find(name string) (ShiftTemplate, bool) {
	for _, t := range s {
		if t.Name == name {
			return t, true
		}
	}
	return ShiftTemplate{}, false
}

// Names lists the template names, for "accepted values" in error replies.
func (s Shifts) Names() []string {
	names := make([]string, len(s))
	for i, t := range s {
		names[i] = t.Name
	}
	return names
}

// On lists the templates that run on duty day d, in display order.
func (s Shifts) On(c Calendar, d Date) Shifts {
	dt, ps := c.DayType(d), c.Specials(d)
	var out Shifts
	for _, t := range s {
		if t.runsOn(dt, ps) {
			out = append(out, t)
		}
	}
	return out
}

// DefaultShifts is what an office gets before it configures its own: a day
// shift and an overnight shift every day, each with one officer and a leader.
func DefaultShifts() Shifts {
	return Shifts{
		{Name: "白班", Start: 8*60 + 30, End: 17*60 + 30, Officers: 1, LeaderRequired: true,
			CheckinOpens: DefaultCheckinOpens, CheckinGrace: DefaultCheckinGrace, HandoverWindow: DefaultHandoverWindow},
		{Name: "夜班", Start: 17*60 + 30, End: 8*60 + 30, Officers: 1, LeaderRequired: true,
			CheckinOpens: DefaultCheckinOpens, CheckinGrace: DefaultCheckinGrace, HandoverWindow: DefaultHandoverWindow},
	}
}
