package roster

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"dutybot/internal/clock"
)

// yearOffice is a large office: 500 members in 50 duty groups of 1 leader
// and 9 officers, six shift templates, and a weekly rotation of the groups
// over all of them for a year.
func yearOffice(tb testing.TB) (Shifts, []Group, []Rotation, []Member) {
	tb.Helper()
	shifts := Shifts{
		{Name: "早班", Start: 8 * 60, End: 12 * 60, Officers: 2, LeaderRequired: true},
		{Name: "午班", Start: 12 * 60, End: 17*60 + 30, Officers: 2, LeaderRequired: true},
		{Name: "夜班", Start: 17*60 + 30, End: 8 * 60, Officers: 2, LeaderRequired: true},
		{Name: "全天", Start: 8*60 + 30, End: 8*60 + 30, Officers: 1, LeaderRequired: true, DayTypes: []DayType{Weekend, Holiday}},
		{Name: "机要", Start: 9 * 60, End: 17 * 60, Officers: 1, DayTypes: []DayType{Workday, Adjusted}},
		{Name: "加强", Start: 20 * 60, End: 2 * 60, Officers: 1, DayTypes: []DayType{Holiday}},
	}
	var members []Member
	var groups []Group
	for g := range 50 {
		grp := Group{Name: fmt.Sprintf("第%d组", g+1)}
		for i := range 10 {
			id := fmt.Sprintf("u%03d", g*10+i)
			role := RoleOfficer
			if i == 0 {
				role, grp.Leader = RoleLeader, id
			} else {
				grp.Officers = append(grp.Officers, id)
			}
			members = append(members, Member{UserID: id, Name: "成员" + id, Roles: []Role{role}, Active: true})
		}
		groups = append(groups, grp)
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	rot := []Rotation{{Name: "全年", Shifts: shifts.Names(), Period: Weekly, Start: NewDate(2026, 1, 5), Groups: names}}
	return shifts, groups, rot, members
}

// BenchmarkGenerateYear generates a year of assignments in memory.
func BenchmarkGenerateYear(b *testing.B) {
	shifts, groups, rot, _ := yearOffice(b)
	cal := NewCalendar(nil, nil)
	var n int
	for b.Loop() {
		_, as := Generate(shifts, cal, groups, rot, NewDate(2026, 1, 1), NewDate(2026, 12, 31))
		n = len(as)
	}
	b.ReportMetric(float64(n), "assignments")
}

// BenchmarkWhoIsOnDutyNow stores a year of assignments for 500 members and
// measures what 现在谁值班 does: read two days of assignments and holidays
// from SQLite and work out the shifts in progress.
func BenchmarkWhoIsOnDutyNow(b *testing.B) {
	ctx := context.Background()
	shifts, groups, rot, members := yearOffice(b)
	s, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "year.db"), clock.Real{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, m := range members {
		if err := s.UpsertMember(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	cal := NewCalendar(nil, nil)
	start := time.Now()
	slots, as := Generate(shifts, cal, groups, rot, NewDate(2026, 1, 1), NewDate(2026, 12, 31))
	if err := s.ReplaceSlots(ctx, slots, as, AuditEntry{Actor: "bench", Action: "生成"}); err != nil {
		b.Fatal(err)
	}
	b.Logf("stored a year: %d slots, %d assignments in %s", len(slots), len(as), time.Since(start).Round(time.Millisecond))

	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 24, 3, 0, 0, 0, loc) // overnight: yesterday's 夜班 is on
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		today := DateOf(at, loc)
		days, err := s.HolidayDays(ctx, today.AddDays(-2), today.AddDays(1))
		if err != nil {
			b.Fatal(err)
		}
		got, err := s.Assignments(ctx, today.AddDays(-1), today)
		if err != nil {
			b.Fatal(err)
		}
		on := OnDutyAt(shifts, NewCalendar(days, nil), got, at, loc)
		if len(on) != 1 || on[0].Shift.Name != "夜班" || len(on[0].Officers) != 9 {
			b.Fatalf("on duty = %+v", on)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(int(float64(len(lat))*p), len(lat)-1)]) / float64(time.Microsecond)
	}
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
