package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Settings are the office's roster rules: its shift templates, duty groups,
// rotations, special periods and the holiday schedule files to load. They
// come from a YAML file (configs/roster.example.yaml); an office without one
// gets DefaultShifts and nothing else.
type Settings struct {
	Shifts         Shifts
	Groups         []Group
	Rotations      []Rotation
	SpecialPeriods []SpecialPeriod
	HolidayFiles   []string
}

// DefaultSettings are used when no roster file is configured.
func DefaultSettings() Settings { return Settings{Shifts: DefaultShifts()} }

type settingsFile struct {
	Shifts []struct {
		Name           string   `yaml:"name"`
		Start          string   `yaml:"start"`
		End            string   `yaml:"end"`
		Officers       *int     `yaml:"officers"`
		Leader         bool     `yaml:"leader"`
		CheckinOpens   string   `yaml:"checkin_opens"`
		CheckinGrace   string   `yaml:"checkin_grace"`
		HandoverWindow string   `yaml:"handover_window"`
		Days           []string `yaml:"days"`
		SpecialOnly    bool     `yaml:"special_only"`
	} `yaml:"shifts"`
	Groups []struct {
		Name     string   `yaml:"name"`
		Leader   string   `yaml:"leader"`
		Officers []string `yaml:"officers"`
	} `yaml:"groups"`
	Rotations []struct {
		Name    string   `yaml:"name"`
		Shifts  []string `yaml:"shifts"`
		Period  string   `yaml:"period"`
		Start   string   `yaml:"start"`
		Groups  []string `yaml:"groups"`
		Members []string `yaml:"members"`
	} `yaml:"rotations"`
	SpecialPeriods []struct {
		Name   string   `yaml:"name"`
		From   string   `yaml:"from"`
		To     string   `yaml:"to"`
		Shifts []string `yaml:"shifts"`
	} `yaml:"special_periods"`
	HolidayFiles []string `yaml:"holiday_files"`
}

// LoadSettings reads a roster file and checks it. Relative holiday file
// paths are taken relative to the roster file. Every problem found is
// reported together.
func LoadSettings(path string) (Settings, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, fmt.Errorf("roster file: %w", err)
	}
	var f settingsFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Settings{}, fmt.Errorf("roster file %s: %w", path, err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var s Settings

	for i, fs := range f.Shifts {
		t := ShiftTemplate{Name: fs.Name, LeaderRequired: fs.Leader, SpecialOnly: fs.SpecialOnly,
			Officers: 1, CheckinOpens: DefaultCheckinOpens, CheckinGrace: DefaultCheckinGrace, HandoverWindow: DefaultHandoverWindow}
		if fs.Officers != nil {
			t.Officers = *fs.Officers
		}
		where := fmt.Sprintf("shifts[%d] %q", i, fs.Name)
		if t.Start, err = ParseClock(fs.Start); err != nil {
			bad("%s: start: %v", where, err)
		}
		if t.End, err = ParseClock(fs.End); err != nil {
			bad("%s: end: %v", where, err)
		}
		for _, w := range []struct {
			name string
			in   string
			out  *time.Duration
		}{{"checkin_opens", fs.CheckinOpens, &t.CheckinOpens}, {"checkin_grace", fs.CheckinGrace, &t.CheckinGrace}, {"handover_window", fs.HandoverWindow, &t.HandoverWindow}} {
			if w.in == "" {
				continue
			}
			d, err := time.ParseDuration(w.in)
			if err != nil || d < 0 {
				bad("%s: %s %q: want a duration such as 30m or 1h", where, w.name, w.in)
				continue
			}
			*w.out = d
		}
		for _, day := range fs.Days {
			dt, ok := ParseDayType(day)
			if !ok {
				bad("%s: day type %q: want workday, weekend, holiday or adjusted (工作日/周末/节假日/调休)", where, day)
				continue
			}
			t.DayTypes = append(t.DayTypes, dt)
		}
		if err := t.Validate(); err != nil {
			bad("%s: %v", where, err)
		}
		if _, dup := s.Shifts.Find(t.Name); dup {
			bad("%s: shift name used twice", where)
		}
		s.Shifts = append(s.Shifts, t)
	}
	if len(s.Shifts) == 0 {
		s.Shifts = DefaultShifts()
	}
	for _, g := range f.Groups {
		s.Groups = append(s.Groups, Group{Name: g.Name, Leader: g.Leader, Officers: g.Officers})
	}
	for i, fp := range f.SpecialPeriods {
		p := SpecialPeriod{Name: fp.Name, Shifts: fp.Shifts}
		where := fmt.Sprintf("special_periods[%d] %q", i, fp.Name)
		if p.From, err = ParseDate(fp.From); err != nil {
			bad("%s: from: %v", where, err)
		}
		if p.To, err = ParseDate(fp.To); err != nil {
			bad("%s: to: %v", where, err)
		}
		if p.To.Before(p.From) {
			bad("%s: ends before it starts", where)
		}
		for _, name := range p.Shifts {
			if _, ok := s.Shifts.Find(name); !ok {
				bad("%s: unknown shift %q (shifts: %v)", where, name, s.Shifts.Names())
			}
		}
		s.SpecialPeriods = append(s.SpecialPeriods, p)
	}
	for i, fr := range f.Rotations {
		r := Rotation{Name: fr.Name, Shifts: fr.Shifts, Period: fr.Period, Groups: fr.Groups, Members: fr.Members}
		if r.Start, err = ParseDate(fr.Start); err != nil {
			bad("rotations[%d] %q: start: %v", i, fr.Name, err)
			continue
		}
		if err := r.Validate(s.Shifts, s.Groups); err != nil {
			bad("rotations[%d]: %v", i, err)
		}
		s.Rotations = append(s.Rotations, r)
	}
	for _, hf := range f.HolidayFiles {
		if !filepath.IsAbs(hf) {
			hf = filepath.Join(filepath.Dir(path), hf)
		}
		s.HolidayFiles = append(s.HolidayFiles, hf)
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, fmt.Errorf("roster file %s:\n%w", path, err)
	}
	return s, nil
}

// holidayFile is the YAML form of a year's holiday schedule.
type holidayFile struct {
	Year     int    `yaml:"year"`
	Source   string `yaml:"source"`
	Holidays []struct {
		Name string   `yaml:"name"`
		Off  []string `yaml:"off"`  // [first, last] or a single day
		Work []string `yaml:"work"` // 调休 working days
	} `yaml:"holidays"`
}

// LoadHolidayFile reads a holiday schedule: YAML (see
// configs/holidays/2026.yaml) or CSV with columns 日期,类型,名称 where 类型 is
// 放假/off or 上班/调休/work.
func LoadHolidayFile(path string) ([]HolidayDay, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("holiday file: %w", err)
	}
	return ParseHolidayFile(path, raw)
}

// ParseHolidayFile reads a holiday schedule already in memory (an embedded
// file, say); name's extension chooses CSV or YAML as in LoadHolidayFile.
func ParseHolidayFile(name string, raw []byte) ([]HolidayDay, error) {
	var days []HolidayDay
	var err error
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		days, err = parseHolidayCSV(raw)
	} else {
		days, err = parseHolidayYAML(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("holiday file %s: %w", name, err)
	}
	return days, nil
}

func parseHolidayYAML(raw []byte) ([]HolidayDay, error) {
	var f holidayFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	var days []HolidayDay
	for _, h := range f.Holidays {
		if len(h.Off) == 0 || len(h.Off) > 2 {
			return nil, fmt.Errorf("%s: off must be [first, last] or [day]", h.Name)
		}
		from, err := ParseDate(h.Off[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		to := from
		if len(h.Off) == 2 {
			if to, err = ParseDate(h.Off[1]); err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
		}
		if to.Before(from) || from.DaysUntil(to) > 31 {
			return nil, fmt.Errorf("%s: off %s..%s is not a holiday of at most a month", h.Name, from, to)
		}
		for d := from; !d.After(to); d = d.AddDays(1) {
			days = append(days, HolidayDay{Date: d, Off: true, Name: h.Name})
		}
		for _, w := range h.Work {
			d, err := ParseDate(w)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
			days = append(days, HolidayDay{Date: d, Off: false, Name: h.Name})
		}
	}
	return days, nil
}

func parseHolidayCSV(raw []byte) ([]HolidayDay, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var days []HolidayDay
	for i, row := range rows {
		if len(row) < 2 {
			return nil, fmt.Errorf("row %d: want 日期,类型,名称", i+1)
		}
		d, err := ParseDate(strings.TrimSpace(row[0]))
		if err != nil {
			if i == 0 {
				continue // header
			}
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		h := HolidayDay{Date: d}
		switch strings.ToLower(strings.TrimSpace(row[1])) {
		case "放假", "休", "off", "holiday":
			h.Off = true
		case "上班", "班", "调休", "work", "workday":
		default:
			return nil, fmt.Errorf("row %d: type %q: want 放假/off or 上班/work", i+1, row[1])
		}
		if len(row) > 2 {
			h.Name = strings.TrimSpace(row[2])
		}
		days = append(days, h)
	}
	return days, nil
}
