package roster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSettingsExample(t *testing.T) {
	s, err := LoadSettings("../configs/roster.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Shifts.Names(), ","); got != "白班,夜班,全天,加强班" {
		t.Errorf("shifts = %s", got)
	}
	if len(s.Groups) != 2 || len(s.Rotations) != 2 || len(s.SpecialPeriods) != 1 {
		t.Errorf("groups %d, rotations %d, special periods %d", len(s.Groups), len(s.Rotations), len(s.SpecialPeriods))
	}
	full, _ := s.Shifts.Find("全天")
	if full.Duration().Hours() != 24 {
		t.Errorf("全天 lasts %v, want 24h", full.Duration())
	}
	if len(s.HolidayFiles) != 1 || !strings.HasSuffix(s.HolidayFiles[0], filepath.Join("configs", "holidays", "2026.yaml")) {
		t.Fatalf("holiday files = %v, want configs/holidays/2026.yaml resolved next to the roster file", s.HolidayFiles)
	}
	days, err := LoadHolidayFile(s.HolidayFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	cal := NewCalendar(days, nil)
	for _, tt := range []struct {
		day  string
		want DayType
	}{
		{"2026-01-01", Holiday}, {"2026-01-04", Adjusted}, {"2026-02-14", Adjusted}, {"2026-02-23", Holiday},
		{"2026-10-07", Holiday}, {"2026-10-10", Adjusted}, {"2026-10-12", Workday},
	} {
		if got := cal.DayType(mustDate(t, tt.day)); got != tt.want {
			t.Errorf("2026 schedule: %s is %s, want %s", tt.day, got, tt.want)
		}
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "shifts:\n  - name: a\n    start: \"08:00\"\n    end: \"09:00\"\n    colour: red\n", "colour"},
		{"bad time", "shifts:\n  - name: a\n    start: \"25:00\"\n    end: \"09:00\"\n", "want HH:MM"},
		{"bad day type", "shifts:\n  - name: a\n    start: \"08:00\"\n    end: \"09:00\"\n    days: [someday]\n", "workday, weekend, holiday or adjusted"},
		{"duplicate shift", "shifts:\n  - {name: a, start: \"08:00\", end: \"09:00\"}\n  - {name: a, start: \"10:00\", end: \"11:00\"}\n", "used twice"},
		{"rotation unknown shift", "rotations:\n  - {name: r, shifts: [无], period: daily, start: \"2026-11-02\", members: [a]}\n", "unknown shift"},
		{"rotation unknown group", "rotations:\n  - {name: r, shifts: [白班], period: weekly, start: \"2026-11-02\", groups: [无]}\n", "unknown group"},
		{"rotation bad period", "rotations:\n  - {name: r, shifts: [白班], period: monthly, start: \"2026-11-02\", members: [a]}\n", "weekly or daily"},
		{"special period reversed", "special_periods:\n  - {name: p, from: \"2026-12-31\", to: \"2026-12-01\"}\n", "ends before it starts"},
		{"bad duration", "shifts:\n  - {name: a, start: \"08:00\", end: \"09:00\", checkin_grace: soon}\n", "checkin_grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "roster.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadSettings(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadSettings = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLoadHolidayCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.csv")
	os.WriteFile(path, []byte("\xef\xbb\xbf日期,类型,名称\n2027-02-10,放假,春节\n2027-02-07,上班,春节\n"), 0o600)
	days, err := LoadHolidayFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || !days[0].Off || days[1].Off || days[1].Name != "春节" {
		t.Errorf("days = %+v", days)
	}
	os.WriteFile(path, []byte("2027-02-10,maybe,春节\n"), 0o600)
	if _, err := LoadHolidayFile(path); err == nil || !strings.Contains(err.Error(), "放假/off") {
		t.Errorf("bad type: %v", err)
	}
}
