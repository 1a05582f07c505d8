package roster

import (
	"fmt"
	"time"
)

// Date is a calendar day in the office's time zone, with no time of day.
// Duty days are dates: a shift belongs to the date it starts on.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d, normalising overflow (Jan 32 → Feb 1).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC), time.UTC)
}

// DateOf is the date t falls on in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate reads an ISO date, "2006-01-02", and rejects impossible ones.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD, e.g. 2026-12-25", s)
	}
	return DateOf(t, time.UTC), nil
}

// String is the ISO form, "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// noon is d at noon UTC: a time with no DST or time-zone edge near it,
// for date arithmetic.
func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.noon().AddDate(0, 0, n), time.UTC) }

// Weekday is the day of the week.
func (d Date) Weekday() time.Weekday { return d.noon().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.noon().Compare(e.noon()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// DaysUntil is the number of days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int { return int(e.noon().Sub(d.noon()).Hours() / 24) }

// At is the instant at clock time c on d in loc.
func (d Date) At(c ClockTime, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, int(c)/60, int(c)%60, 0, 0, loc)
}

// Label is the date as officers read it: "12月25日 周五".
func (d Date) Label() string {
	return fmt.Sprintf("%d月%d日 %s", d.Month, d.Day, WeekdayLabel(d.Weekday()))
}

// WeekdayLabel is the Chinese name of a weekday: 周一 … 周日.
func WeekdayLabel(w time.Weekday) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[w]
}

// ClockTime is a time of day, in minutes after midnight (0–1439).
type ClockTime int

// ParseClock reads "08:30" or "8:30".
func ParseClock(s string) (ClockTime, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("time of day %q: want HH:MM from 00:00 to 23:59, e.g. 08:30", s)
	}
	return ClockTime(h*60 + m), nil
}

// String is "HH:MM".
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// DateText is how a store keeps a date: YYYY-MM-DD, or "" for none.
func DateText(d Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// ParseDateText reads what DateText wrote.
func ParseDateText(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	return ParseDate(s)
}

// MinutesLabel shows a number of minutes as people say it: "25 分钟",
// "2 小时", "2 小时 5 分钟".
func MinutesLabel(n int) string {
	switch {
	case n < 60:
		return fmt.Sprintf("%d 分钟", n)
	case n%60 == 0:
		return fmt.Sprintf("%d 小时", n/60)
	}
	return fmt.Sprintf("%d 小时 %d 分钟", n/60, n%60)
}
