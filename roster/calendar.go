package roster

import "time"

// DayType is what kind of day a date is, which decides the shifts it has.
type DayType string

// Day types. Statutory holidays and 调休 working days come from the yearly
// holiday schedule (国务院办公厅 notice); the rest from the weekday.
const (
	Workday  DayType = "workday"  // 工作日
	Weekend  DayType = "weekend"  // 周末
	Holiday  DayType = "holiday"  // 法定节假日
	Adjusted DayType = "adjusted" // 调休上班日 (a weekend day worked instead)
)

// Label is the day type's Chinese name.
func (t DayType) Label() string {
	switch t {
	case Workday:
		return "工作日"
	case Weekend:
		return "周末"
	case Holiday:
		return "节假日"
	case Adjusted:
		return "调休上班"
	}
	return string(t)
}

// ParseDayType accepts a day type by key or Chinese name.
func ParseDayType(s string) (DayType, bool) {
	switch s {
	case "workday", "工作日":
		return Workday, true
	case "weekend", "周末":
		return Weekend, true
	case "holiday", "节假日", "法定节假日":
		return Holiday, true
	case "adjusted", "调休", "调休上班":
		return Adjusted, true
	}
	return "", false
}

// HolidayDay is one date of the holiday schedule: a day off (a statutory
// holiday, Off true) or a 调休 working day (Off false).
type HolidayDay struct {
	Date Date
	Off  bool
	Name string // e.g. 春节; for 调休 days the holiday they make up for
}

// SpecialPeriod is a 特护期 (e.g. a major event or sensitive anniversary)
// during which extra shifts run.
type SpecialPeriod struct {
	Name     string
	From, To Date     // inclusive
	Shifts   []string // shift templates added on these days
}

// Contains reports whether d falls in the period.
func (p SpecialPeriod) Contains(d Date) bool { return !d.Before(p.From) && !d.After(p.To) }

// Calendar answers what kind of day a date is.
type Calendar struct {
	days     map[Date]HolidayDay
	specials []SpecialPeriod
}

// NewCalendar builds a calendar from the holiday schedule and special periods.
func NewCalendar(days []HolidayDay, specials []SpecialPeriod) Calendar {
	c := Calendar{days: make(map[Date]HolidayDay, len(days)), specials: specials}
	for _, d := range days {
		c.days[d.Date] = d
	}
	return c
}

// DayType says whether d is a workday, weekend, holiday or 调休 working day.
func (c Calendar) DayType(d Date) DayType {
	if h, ok := c.days[d]; ok {
		if h.Off {
			return Holiday
		}
		return Adjusted
	}
	if w := d.Weekday(); w == time.Saturday || w == time.Sunday {
		return Weekend
	}
	return Workday
}

// Holiday returns the schedule entry for d, if any.
func (c Calendar) Holiday(d Date) (HolidayDay, bool) {
	h, ok := c.days[d]
	return h, ok
}

// Specials lists the special periods d falls in.
func (c Calendar) Specials(d Date) []SpecialPeriod {
	var out []SpecialPeriod
	for _, p := range c.specials {
		if p.Contains(d) {
			out = append(out, p)
		}
	}
	return out
}

// IsWorkingDay reports whether d is a working day: a workday or a 调休
// working day, not a weekend or holiday.
func (c Calendar) IsWorkingDay(d Date) bool {
	t := c.DayType(d)
	return t == Workday || t == Adjusted
}

// AddWorkingDays returns the nth working day after d (d itself not
// counted): from Friday 2026-11-27, 3 working days is Wednesday 12-02. The
// calendar must hold the holiday schedule of the days in between.
func (c Calendar) AddWorkingDays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}
