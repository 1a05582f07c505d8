package roster

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseDates: any text gives a date, a period with from ≤ to, or an
// error that says what went wrong — never a panic or an inverted period.
func FuzzParseDates(f *testing.F) {
	for _, s := range []string{"2026-12-25", "12-25", "12月25日", "25号", "明天", "周五", "下周一", "本周", "下周", "12月",
		"12-24 至 12-31", "2026/2/29", "13-45", "至", "～～", "下下周", "2026-12-25 到 2026-12-01"} {
		f.Add(s)
	}
	today := NewDate(2026, 11, 23)
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDay(s, today); err == nil {
			if d.IsZero() || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
				t.Fatalf("ParseDay(%q) = %v", s, d)
			}
		} else if err.Error() == "" || !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
			t.Fatalf("ParseDay(%q): empty or broken error %q", s, err.Error())
		}
		from, to, err := ParsePeriod(s, today)
		if err == nil && to.Before(from) {
			t.Fatalf("ParsePeriod(%q) = %v..%v, inverted", s, from, to)
		}
	})
}
