package duty

import (
	"slices"
	"testing"
	"time"

	"dutybot/roster"
)

func TestPlanShifts(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	d := roster.NewDate(2026, 12, 31)
	night := roster.DefaultShifts()[1] // 夜班 17:30–次日08:30
	full := roster.ShiftTemplate{Name: "全天", Start: 8*60 + 30, End: 8*60 + 30, Officers: 1}
	rosterOf := func(t roster.ShiftTemplate, officers, leaders []string) roster.ShiftRoster {
		start, end := t.Span(d, loc)
		return roster.ShiftRoster{Date: d, Shift: t, Start: start, End: end, Officers: officers, Leaders: leaders, Runs: true}
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	for _, tc := range []struct {
		name    string
		set     Settings
		rosters []roster.ShiftRoster
		now     string
		want    map[string]string // key → due (office time)
	}{
		{
			name:    "overnight shift into the new year",
			set:     DefaultSettings(),
			rosters: []roster.ShiftRoster{rosterOf(night, []string{"lisi"}, []string{"wangwu"})},
			now:     "2026-12-30 12:00",
			want: map[string]string{
				"checkin_grace/2026-12-31/夜班/lisi":    "2026-12-31 17:40",
				"remind_evening/2026-12-31/夜班/lisi":   "2026-12-30 20:00",
				"remind_evening/2026-12-31/夜班/wangwu": "2026-12-30 20:00",
				"remind_before/2026-12-31/夜班/lisi":    "2026-12-31 16:30",
				"remind_before/2026-12-31/夜班/wangwu":  "2026-12-31 16:30",
				"shift_start/2026-12-31/夜班":           "2026-12-31 17:30",
				"handover_due/2026-12-31/夜班":          "2027-01-01 09:00",
				"coverage/2026-12-31/夜班":              "2026-12-30 17:30",
			},
		},
		{
			name:    "only what is still ahead; no evening reminder; nobody on it",
			set:     Settings{RemindBefore: time.Hour, CoverageAhead: 24 * time.Hour},
			rosters: []roster.ShiftRoster{rosterOf(night, nil, nil)},
			now:     "2026-12-31 16:00",
			want:    map[string]string{},
		},
		{
			name:    "24-hour shift, grace and window from the template defaults",
			set:     Settings{},
			rosters: []roster.ShiftRoster{rosterOf(full, []string{"zhangsan"}, nil)},
			now:     "2026-12-31 00:00",
			want: map[string]string{
				"checkin_grace/2026-12-31/全天/zhangsan": "2026-12-31 08:40",
				"shift_start/2026-12-31/全天":            "2026-12-31 08:30",
				"handover_due/2026-12-31/全天":           "2027-01-01 09:00",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(map[string]string)
			for _, dl := range PlanShifts(tc.set, tc.rosters, at(tc.now), loc) {
				if _, dup := got[dl.Key]; dup {
					t.Errorf("%s planned twice", dl.Key)
				}
				got[dl.Key] = dl.DueAt.In(loc).Format("2006-01-02 15:04")
				if dl.Date != d || dl.Shift != tc.rosters[0].Shift.Name || !slices.Contains(kinds, dl.Kind) {
					t.Errorf("deadline %+v: wrong slot or kind", dl)
				}
			}
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
			for k := range got {
				if _, ok := tc.want[k]; !ok {
					t.Errorf("unexpected deadline %s at %s", k, got[k])
				}
			}
		})
	}
}

var kinds = []string{KindCheckinGrace, KindRemindEvening, KindRemindBefore, KindShiftStart, KindHandoverDue, KindCoverage}
