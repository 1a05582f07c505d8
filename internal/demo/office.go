package demo

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"dutybot/configs/holidays"
	"dutybot/push"
	"dutybot/roster"
)

// Demo-only timings (docs/demo.md). They are applied by Apply, Settings
// and Policies, never to a production configuration.
const (
	// StoryLead is how long after start (rounded up to the minute) the
	// story's first shift begins.
	StoryLead = 2 * time.Minute
	// StoryGrace is the story shift's check-in grace: its officer who does
	// not check in is reported 空岗 this long after the start.
	StoryGrace = time.Minute
	// StoryLength is how long the story's first shift lasts; the second
	// follows it, so 交班 → 接班 can be shown.
	StoryLength = 20 * time.Minute
	// SpotCheckAnswer is how long an officer has to answer a 查岗.
	SpotCheckAnswer = time.Minute
	// EscalationFirstWait and EscalationSecondWait replace the step waits
	// of the policies the story uses (see Policies).
	EscalationFirstWait  = 2 * time.Minute
	EscalationSecondWait = 3 * time.Minute
)

// The story's shift names and cast.
const (
	StoryShift     = "演示一班"
	StoryNextShift = "演示二班"
	// StoryOfficer checks in; StoryAbsent does not (空岗); StoryIncoming
	// takes over at the handover; StoryLeader leads both story shifts and
	// carries the demo iPhone.
	StoryOfficer  = "zhangsan"
	StoryAbsent   = "lisi"
	StoryIncoming = "wuhao"
	StoryLeader   = "wangwu"
)

// Story is when the story's shifts run, worked out from the start time.
type Story struct {
	// Start is when 演示一班 begins; Absence when 李四's 空岗 is raised;
	// Handover when 演示一班 ends and 演示二班 begins.
	Start, Absence, Handover time.Time
	// Date and NextDate are the duty days of the two slots (they differ
	// when the story crosses midnight).
	Date, NextDate roster.Date
	loc            *time.Location
}

// NewStory places the story StoryLead after now, on a whole minute.
func NewStory(now time.Time, loc *time.Location) Story {
	start := now.In(loc).Add(StoryLead).Truncate(time.Minute).Add(time.Minute)
	handover := start.Add(StoryLength)
	return Story{
		Start: start, Absence: start.Add(StoryGrace), Handover: handover,
		Date: roster.DateOf(start, loc), NextDate: roster.DateOf(handover, loc), loc: loc,
	}
}

func clockOf(t time.Time) roster.ClockTime {
	return roster.ClockTime(t.Hour()*60 + t.Minute())
}

// shifts are the story's two shift templates. They run only in the special
// period "演示" (so no other day is reported understaffed); check-in for
// the second opens with the first, so 接班 works at once.
func (s Story) shifts() []roster.ShiftTemplate {
	end := s.Handover.Add(4 * time.Hour)
	return []roster.ShiftTemplate{
		{Name: StoryShift, Start: clockOf(s.Start), End: clockOf(s.Handover), Officers: 2, LeaderRequired: true,
			CheckinOpens: 30 * time.Minute, CheckinGrace: StoryGrace, HandoverWindow: 10 * time.Minute, SpecialOnly: true},
		{Name: StoryNextShift, Start: clockOf(s.Handover), End: clockOf(end), Officers: 1, LeaderRequired: true,
			CheckinOpens: StoryLength + 30*time.Minute, CheckinGrace: 10 * time.Minute, HandoverWindow: 30 * time.Minute, SpecialOnly: true},
	}
}

// Settings are the demo office's roster rules: the usual 白班, 夜班 and
// weekend/holiday 全天 staffed weekly by three groups (from the Monday of
// this week), and the story's two shifts in a special period of their own.
func Settings(s Story) roster.Settings {
	mustClock := func(text string) roster.ClockTime {
		c, err := roster.ParseClock(text)
		if err != nil {
			panic(err) // constant input
		}
		return c
	}
	workdays := []roster.DayType{roster.Workday, roster.Adjusted}
	shifts := roster.Shifts{
		{Name: "白班", Start: mustClock("08:30"), End: mustClock("17:30"), Officers: 1, LeaderRequired: true,
			CheckinOpens: 30 * time.Minute, CheckinGrace: 10 * time.Minute, HandoverWindow: 30 * time.Minute, DayTypes: workdays},
		{Name: "夜班", Start: mustClock("17:30"), End: mustClock("08:30"), Officers: 1, LeaderRequired: true, DayTypes: workdays},
		{Name: "全天", Start: mustClock("08:30"), End: mustClock("08:30"), Officers: 1, LeaderRequired: true,
			DayTypes: []roster.DayType{roster.Weekend, roster.Holiday}},
	}
	shifts = append(shifts, s.shifts()...)
	monday := s.Date.AddDays(-((int(s.Date.Weekday()) + 6) % 7))
	return roster.Settings{
		Shifts: shifts,
		Groups: []roster.Group{
			{Name: "甲组", Leader: "chenjing", Officers: []string{"sunqian"}},
			{Name: "乙组", Leader: "liuqiang", Officers: []string{"zhoujie"}},
			{Name: "丙组", Leader: "chenjing", Officers: []string{"zhengyu"}},
		},
		Rotations: []roster.Rotation{
			{Name: "主值班", Shifts: []string{"白班", "夜班", "全天"}, Period: "weekly", Start: monday, Groups: []string{"甲组", "乙组", "丙组"}},
		},
		SpecialPeriods: []roster.SpecialPeriod{
			{Name: "演示", From: s.Date, To: s.NextDate, Shifts: []string{StoryShift, StoryNextShift}},
		},
	}
}

// Policies are the built-in escalation policies with the demo's short
// waits for what the story raises (空岗, 查岗, reports, 批示, handover):
// every first step waits EscalationFirstWait, every later one
// EscalationSecondWait; repeats are as built in. The admin's 告警 测试 and
// the day-ahead 缺人 check keep their built-in policies (the load and
// crash tests count on them).
func Policies() push.Policies {
	ps := push.DefaultPolicies()
	for _, kind := range []string{push.KindMissedCheckin, push.KindSpotCheck, push.KindReport, push.KindReportMajor,
		push.KindInstruction, push.KindHandover} {
		p, ok := ps[kind]
		if !ok {
			continue
		}
		steps := append([]push.Step(nil), p.Steps...)
		for i := range steps {
			steps[i].Wait = EscalationSecondWait
			if i == 0 {
				steps[i].Wait = EscalationFirstWait
			}
		}
		p.Steps = steps
		ps[kind] = p
	}
	return ps
}

// SeedStory puts the cast on the story's two slots (replacing whatever
// those slots held, so a reused database gets today's story too).
func SeedStory(ctx context.Context, store roster.ScheduleStore, s Story) error {
	slots := []roster.Slot{{Date: s.Date, Shift: StoryShift}, {Date: s.NextDate, Shift: StoryNextShift}}
	as := []roster.Assignment{
		{Date: s.Date, Shift: StoryShift, Role: roster.RoleLeader, UserID: StoryLeader, Source: roster.SourceManual},
		{Date: s.Date, Shift: StoryShift, Role: roster.RoleOfficer, UserID: StoryOfficer, Source: roster.SourceManual},
		{Date: s.Date, Shift: StoryShift, Role: roster.RoleOfficer, UserID: StoryAbsent, Source: roster.SourceManual},
		{Date: s.NextDate, Shift: StoryNextShift, Role: roster.RoleLeader, UserID: StoryLeader, Source: roster.SourceManual},
		{Date: s.NextDate, Shift: StoryNextShift, Role: roster.RoleOfficer, UserID: StoryIncoming, Source: roster.SourceManual},
	}
	audit := roster.AuditEntry{Actor: "demo", Action: "排班 设置", Subject: s.Date.String() + " " + StoryShift + "、" + StoryNextShift}
	if err := store.ReplaceSlots(ctx, slots, as, audit); err != nil {
		return fmt.Errorf("seed the demo story's shifts: %w", err)
	}
	return nil
}

// LoadHolidays stores the shipped holiday schedules (configs/holidays) for
// the days an admin has not set.
func LoadHolidays(ctx context.Context, store roster.ScheduleStore) error {
	names, err := fs.Glob(holidays.Files(), "*.yaml")
	if err != nil {
		return fmt.Errorf("list holiday files: %w", err)
	}
	for _, name := range names {
		raw, err := fs.ReadFile(holidays.Files(), name)
		if err != nil {
			return fmt.Errorf("read holiday file %s: %w", name, err)
		}
		days, err := roster.ParseHolidayFile(name, raw)
		if err != nil {
			return err
		}
		audit := roster.AuditEntry{Actor: "demo", Action: "加载节假日文件", Subject: "configs/holidays/" + name}
		if _, err := store.AddHolidayDaysIfAbsent(ctx, days, audit); err != nil {
			return fmt.Errorf("load holiday file %s: %w", name, err)
		}
	}
	return nil
}
