package roster

import (
	"slices"
	"testing"
	"time"
)

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The 2026 schedule's Spring Festival: off 02-15..02-23, 调休 on Sat 02-14
// and Sat 02-28.
func springFestival(t testing.TB) Calendar {
	var days []HolidayDay
	for d := mustDate(t, "2026-02-15"); !d.After(mustDate(t, "2026-02-23")); d = d.AddDays(1) {
		days = append(days, HolidayDay{Date: d, Off: true, Name: "春节"})
	}
	days = append(days, HolidayDay{Date: mustDate(t, "2026-02-14"), Name: "春节"}, HolidayDay{Date: mustDate(t, "2026-02-28"), Name: "春节"})
	return NewCalendar(days, []SpecialPeriod{{Name: "两会", From: mustDate(t, "2026-03-04"), To: mustDate(t, "2026-03-11"), Shifts: []string{"加强班"}}})
}

func TestDayType(t *testing.T) {
	cal := springFestival(t)
	tests := []struct {
		date string
		want DayType
	}{
		{"2026-02-13", Workday},  // Friday
		{"2026-02-14", Adjusted}, // Saturday worked
		{"2026-02-15", Holiday},  // Sunday, holiday anyway
		{"2026-02-16", Holiday},  // Monday off
		{"2026-02-23", Holiday},  // last day off
		{"2026-02-24", Workday},
		{"2026-02-28", Adjusted},
		{"2026-03-01", Weekend},
	}
	for _, tt := range tests {
		if got := cal.DayType(mustDate(t, tt.date)); got != tt.want {
			t.Errorf("DayType(%s) = %s, want %s", tt.date, got, tt.want)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-30", 1, "2026-12-01"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2027-02-28", 1, "2027-03-01"},
		{"2026-03-01", -1, "2026-02-28"},
		{"2026-11-23", 7, "2026-11-30"},
	}
	for _, tt := range tests {
		d := mustDate(t, tt.from)
		if got := d.AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%s + %d = %s, want %s", tt.from, tt.n, got, tt.want)
		}
		if got := d.DaysUntil(mustDate(t, tt.want)); got != tt.n {
			t.Errorf("DaysUntil(%s, %s) = %d, want %d", tt.from, tt.want, got, tt.n)
		}
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("ParseDate accepted 2026-02-30")
	}
}

func TestShiftSpan(t *testing.T) {
	loc := shanghai(t)
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		name       string
		start, end string
		day        string
		loc        *time.Location
		wantStart  string
		wantEnd    string
		wantHours  time.Duration
	}{
		{"day shift", "08:30", "17:30", "2026-11-23", loc, "2026-11-23 08:30", "2026-11-23 17:30", 9 * time.Hour},
		{"overnight across month end", "17:30", "08:30", "2026-11-30", loc, "2026-11-30 17:30", "2026-12-01 08:30", 15 * time.Hour},
		{"overnight across year end", "20:00", "08:00", "2026-12-31", loc, "2026-12-31 20:00", "2027-01-01 08:00", 12 * time.Hour},
		{"24-hour shift", "08:30", "08:30", "2026-11-23", loc, "2026-11-23 08:30", "2026-11-24 08:30", 24 * time.Hour},
		// Where a zone has DST, the shift keeps its printed hours (23 real hours).
		{"24-hour across DST start", "08:30", "08:30", "2026-03-07", ny, "2026-03-07 08:30", "2026-03-08 08:30", 23 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := ParseClock(tt.start)
			e, _ := ParseClock(tt.end)
			tmpl := ShiftTemplate{Name: "x", Start: s, End: e}
			start, end := tmpl.Span(mustDate(t, tt.day), tt.loc)
			if got := start.Format("2006-01-02 15:04"); got != tt.wantStart {
				t.Errorf("start = %s, want %s", got, tt.wantStart)
			}
			if got := end.Format("2006-01-02 15:04"); got != tt.wantEnd {
				t.Errorf("end = %s, want %s", got, tt.wantEnd)
			}
			if got := end.Sub(start); got != tt.wantHours {
				t.Errorf("length = %v, want %v", got, tt.wantHours)
			}
		})
	}
}

func TestShiftsOnDayTypes(t *testing.T) {
	cal := springFestival(t)
	shifts := Shifts{
		{Name: "白班", Start: 510, End: 1050, DayTypes: []DayType{Workday, Adjusted}},
		{Name: "全天", Start: 510, End: 510, DayTypes: []DayType{Weekend, Holiday}},
		{Name: "夜班", Start: 1050, End: 510, DayTypes: []DayType{Workday, Adjusted}},
		{Name: "加强班", Start: 600, End: 1200, SpecialOnly: true},
	}
	tests := []struct {
		day  string
		want []string
	}{
		{"2026-02-13", []string{"白班", "夜班"}},        // workday
		{"2026-02-14", []string{"白班", "夜班"}},        // 调休 Saturday: workday shifts
		{"2026-02-16", []string{"全天"}},              // holiday Monday: holiday shift
		{"2026-03-01", []string{"全天"}},              // weekend
		{"2026-03-05", []string{"白班", "夜班", "加强班"}}, // special period adds a shift
	}
	for _, tt := range tests {
		if got := shifts.On(cal, mustDate(t, tt.day)).Names(); !slices.Equal(got, tt.want) {
			t.Errorf("On(%s) = %v, want %v", tt.day, got, tt.want)
		}
	}
}

func TestRotationTurn(t *testing.T) {
	weekly := Rotation{Name: "w", Period: Weekly, Start: mustDate(t, "2026-11-02"), Groups: []string{"一组", "二组", "三组"}}
	daily := Rotation{Name: "d", Period: Daily, Start: mustDate(t, "2026-11-30"), Members: []string{"a", "b"}}
	tests := []struct {
		r    Rotation
		day  string
		want int
	}{
		{weekly, "2026-11-02", 0},
		{weekly, "2026-11-08", 0}, // Sunday, same week
		{weekly, "2026-11-09", 1}, // Monday handover
		{weekly, "2026-11-23", 0}, // three weeks on
		{weekly, "2026-10-26", 2}, // the week before Start
		{weekly, "2026-11-01", 2}, // the day before Start
		{daily, "2026-11-30", 0},
		{daily, "2026-12-01", 1}, // across month end
		{daily, "2026-12-02", 0},
		{daily, "2026-11-29", 1},
	}
	for _, tt := range tests {
		if got := tt.r.Turn(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("%s.Turn(%s) = %d, want %d", tt.r.Name, tt.day, got, tt.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	cal := springFestival(t)
	shifts := Shifts{
		{Name: "白班", Start: 510, End: 1050, Officers: 2, LeaderRequired: true, DayTypes: []DayType{Workday, Adjusted}},
		{Name: "全天", Start: 510, End: 510, Officers: 1, LeaderRequired: true, DayTypes: []DayType{Weekend, Holiday}},
	}
	groups := []Group{{Name: "一组", Leader: "L1", Officers: []string{"a", "b"}}, {Name: "二组", Leader: "L2", Officers: []string{"c", "d"}}}
	rot := []Rotation{{Name: "主", Shifts: []string{"白班", "全天"}, Period: Weekly, Start: mustDate(t, "2026-02-09"), Groups: []string{"一组", "二组"}}}
	slots, as := Generate(shifts, cal, groups, rot, mustDate(t, "2026-02-13"), mustDate(t, "2026-02-16"))
	wantSlots := []Slot{
		{mustDate(t, "2026-02-13"), "白班"}, // Friday, week of 02-09: 一组
		{mustDate(t, "2026-02-14"), "白班"}, // 调休 Saturday: workday shift
		{mustDate(t, "2026-02-15"), "全天"}, // holiday Sunday
		{mustDate(t, "2026-02-16"), "全天"}, // holiday Monday, new week: 二组
	}
	if !slices.Equal(slots, wantSlots) {
		t.Fatalf("slots = %v, want %v", slots, wantSlots)
	}
	var got []string
	for _, a := range as {
		got = append(got, a.String())
	}
	want := []string{
		"2026-02-13 白班 带班领导 L1", "2026-02-13 白班 值班员 a", "2026-02-13 白班 值班员 b",
		"2026-02-14 白班 带班领导 L1", "2026-02-14 白班 值班员 a", "2026-02-14 白班 值班员 b",
		"2026-02-15 全天 带班领导 L1", "2026-02-15 全天 值班员 a", "2026-02-15 全天 值班员 b",
		"2026-02-16 全天 带班领导 L2", "2026-02-16 全天 值班员 c", "2026-02-16 全天 值班员 d",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("assignments:\n%v\nwant\n%v", got, want)
	}
}

func TestOnDutyAt(t *testing.T) {
	loc := shanghai(t)
	cal := NewCalendar(nil, nil)
	shifts := DefaultShifts() // 白班 08:30–17:30, 夜班 17:30–08:30
	as := []Assignment{
		{Date: mustDate(t, "2026-11-30"), Shift: "夜班", Role: RoleOfficer, UserID: "night"},
		{Date: mustDate(t, "2026-11-30"), Shift: "夜班", Role: RoleLeader, UserID: "boss"},
		{Date: mustDate(t, "2026-12-01"), Shift: "白班", Role: RoleOfficer, UserID: "day"},
	}
	tests := []struct {
		at   string
		want []string // shift@date
	}{
		{"2026-12-01 03:00", []string{"夜班@2026-11-30"}}, // overnight from yesterday, across month end
		{"2026-12-01 08:29", []string{"夜班@2026-11-30"}},
		{"2026-12-01 08:30", []string{"白班@2026-12-01"}}, // handover instant: the new shift
		{"2026-12-01 17:29", []string{"白班@2026-12-01"}},
		{"2026-12-01 17:30", []string{"夜班@2026-12-01"}},
	}
	for _, tt := range tests {
		at, err := time.ParseInLocation("2006-01-02 15:04", tt.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sr := range OnDutyAt(shifts, cal, as, at, loc) {
			got = append(got, sr.Shift.Name+"@"+sr.Date.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("OnDutyAt(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	night := OnDutyAt(shifts, cal, as, time.Date(2026, 12, 1, 3, 0, 0, 0, loc), loc)[0]
	if !slices.Equal(night.Officers, []string{"night"}) || !slices.Equal(night.Leaders, []string{"boss"}) {
		t.Errorf("night shift people = %v / %v", night.Leaders, night.Officers)
	}
}

func TestCheckRoster(t *testing.T) {
	loc := shanghai(t)
	cal := springFestival(t)
	shifts := Shifts{
		{Name: "白班", Start: 510, End: 1050, Officers: 2, LeaderRequired: true, DayTypes: []DayType{Workday, Adjusted}},
		{Name: "夜班", Start: 1050, End: 510, Officers: 1, DayTypes: []DayType{Workday, Adjusted}},
		{Name: "全天", Start: 510, End: 510, Officers: 1, DayTypes: []DayType{Weekend, Holiday}},
	}
	names := map[string]string{"a": "张三", "b": "李四", "L": "王五", "c": "赵六"}
	d := func(s string) Date { return mustDate(t, s) }
	as := []Assignment{
		// 02-12 Thursday: fully staffed day and night, no conflicts.
		{Date: d("2026-02-12"), Shift: "白班", Role: RoleLeader, UserID: "L"},
		{Date: d("2026-02-12"), Shift: "白班", Role: RoleOfficer, UserID: "a"},
		{Date: d("2026-02-12"), Shift: "白班", Role: RoleOfficer, UserID: "b"},
		{Date: d("2026-02-12"), Shift: "夜班", Role: RoleOfficer, UserID: "c"},
		// 02-13 Friday: 白班 has one officer and no leader; a does the night
		// too — no overlap (17:30 ends, 17:30 starts), but c is on leave.
		{Date: d("2026-02-13"), Shift: "白班", Role: RoleOfficer, UserID: "c"},
		{Date: d("2026-02-13"), Shift: "夜班", Role: RoleOfficer, UserID: "a"},
		// 02-14 调休 Saturday: fully staffed; b also does the night, which
		// ends 02-15 08:30 exactly when 全天 starts: touching, not overlapping.
		{Date: d("2026-02-14"), Shift: "白班", Role: RoleLeader, UserID: "L"},
		{Date: d("2026-02-14"), Shift: "白班", Role: RoleOfficer, UserID: "a"},
		{Date: d("2026-02-14"), Shift: "白班", Role: RoleOfficer, UserID: "b"},
		{Date: d("2026-02-14"), Shift: "夜班", Role: RoleOfficer, UserID: "b"},
		// 02-15 holiday: b on 全天 (08:30→08:30) and on a 白班 that does not
		// run on holidays and overlaps it.
		{Date: d("2026-02-15"), Shift: "全天", Role: RoleOfficer, UserID: "b"},
		{Date: d("2026-02-15"), Shift: "白班", Role: RoleOfficer, UserID: "b"},
		// 02-16: x is not a member.
		{Date: d("2026-02-16"), Shift: "全天", Role: RoleOfficer, UserID: "x"},
	}
	leaves := []Leave{{UserID: "c", From: d("2026-02-13"), To: d("2026-02-13"), Reason: "病假"}}
	got := CheckRoster(shifts, cal, as, leaves, names, d("2026-02-12"), d("2026-02-16"), loc)
	type key struct {
		date, shift, kind string
	}
	var keys []key
	for _, c := range got {
		keys = append(keys, key{c.Date.String(), c.Shift, c.Kind})
		if c.Msg == "" {
			t.Errorf("conflict %+v has no message", c)
		}
	}
	has := func(k key) bool { return slices.Contains(keys, k) }
	for _, k := range []key{
		{"2026-02-13", "白班", ConflictUnderstaffed},
		{"2026-02-13", "白班", ConflictNoLeader},
		{"2026-02-13", "白班", ConflictOnLeave},
		{"2026-02-15", "白班", ConflictNotRunning},
		{"2026-02-16", "全天", ConflictUnknownMember},
	} {
		if !has(k) {
			t.Errorf("missing conflict %+v in %+v", k, keys)
		}
	}
	overlaps := 0
	for _, k := range keys {
		if k.kind == ConflictOverlap {
			overlaps++
			if k.date != "2026-02-15" {
				t.Errorf("unexpected overlap %+v (touching shifts do not overlap)", k)
			}
		}
	}
	if overlaps != 1 {
		t.Errorf("overlaps = %d, want 1 (b on 02-15 全天 and 白班): %+v", overlaps, keys)
	}
	for _, k := range keys {
		if k.date == "2026-02-12" {
			t.Errorf("fully staffed 02-12 reported %+v", k)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	// 2026: 国庆 10-01..10-08 off, 09-28 (Mon) is normal, 10-10 (Sat) a 调休
	// working day; set here rather than read from the holiday file.
	var days []HolidayDay
	for d := NewDate(2026, 10, 1); !d.After(NewDate(2026, 10, 8)); d = d.AddDays(1) {
		days = append(days, HolidayDay{Date: d, Off: true, Name: "国庆节"})
	}
	days = append(days, HolidayDay{Date: NewDate(2026, 10, 10), Off: false, Name: "国庆节调休"})
	cal := NewCalendar(days, nil)
	for _, tc := range []struct {
		from Date
		n    int
		want Date
	}{
		{NewDate(2026, 11, 27), 3, NewDate(2026, 12, 2)},  // Friday → over the weekend
		{NewDate(2026, 11, 23), 3, NewDate(2026, 11, 26)}, // Monday → Thursday
		{NewDate(2026, 11, 28), 1, NewDate(2026, 11, 30)}, // from a Saturday
		{NewDate(2026, 9, 30), 3, NewDate(2026, 10, 12)},  // 10-09 Fri, 10-10 Sat (调休), 10-12 Mon
		{NewDate(2026, 11, 23), 0, NewDate(2026, 11, 23)},
	} {
		if got := cal.AddWorkingDays(tc.from, tc.n); got != tc.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
	if cal.IsWorkingDay(NewDate(2026, 10, 3)) || !cal.IsWorkingDay(NewDate(2026, 10, 10)) || cal.IsWorkingDay(NewDate(2026, 11, 29)) {
		t.Error("IsWorkingDay: holiday, 调休 Saturday or Sunday misjudged")
	}
}

func TestMinutesLabel(t *testing.T) {
	for n, want := range map[int]string{0: "0 分钟", 25: "25 分钟", 60: "1 小时", 125: "2 小时 5 分钟", 598: "9 小时 58 分钟"} {
		if got := MinutesLabel(n); got != want {
			t.Errorf("MinutesLabel(%d) = %q, want %q", n, got, want)
		}
	}
}
