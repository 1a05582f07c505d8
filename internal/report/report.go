// Package report turns the duty office's records into its regular papers:
// the daily bulletin (值班要情, and on holidays the 节假日每日值班信息专报) and
// the monthly or yearly statistics. Gathering (Builder.Daily,
// Builder.Monthly) reads the stores through small interfaces and produces
// plain structs; rendering (Markdown, HTML, XLSX, CSV, PNG) reads only those
// structs, so the same facts come out the same in every format and no
// renderer asks the clock.
//
// The package knows nothing of WeCom or the bot: the bot and the CLI give it
// their stores.
package report

import (
	"context"
	"fmt"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// RosterSource reads the roster: who was assigned, the holiday schedule and
// the members' names (roster.SQLStore satisfies it).
type RosterSource interface {
	Assignments(ctx context.Context, from, to roster.Date) ([]roster.Assignment, error)
	HolidayDays(ctx context.Context, from, to roster.Date) ([]roster.HolidayDay, error)
	Members(ctx context.Context) ([]roster.Member, error)
}

// DutySource reads the duty records (duty.SQLStore satisfies it).
type DutySource interface {
	Checkins(ctx context.Context, from, to roster.Date) ([]duty.Checkin, error)
	Absences(ctx context.Context, from, to roster.Date) ([]duty.Absence, error)
	SpotChecks(ctx context.Context, from, to time.Time) ([]duty.SpotCheck, error)
	LogBetween(ctx context.Context, from, to time.Time) ([]duty.LogEntry, error)
	OpenItems(ctx context.Context) ([]duty.LogEntry, error)
}

// IncidentSource reads the reports and 批示 (incident.SQLStore satisfies
// it).
type IncidentSource interface {
	Reports(ctx context.Context, from, to time.Time) ([]incident.Report, error)
	Instructions(ctx context.Context, from, to time.Time) ([]incident.Instruction, error)
}

// EscalationSource reads the escalations and the delivery log
// (push.SQLStore satisfies it).
type EscalationSource interface {
	EscalationsBetween(ctx context.Context, from, to time.Time) ([]push.Escalation, error)
	NotificationsBetween(ctx context.Context, from, to time.Time) ([]push.Sent, error)
}

// Builder gathers the facts of a day or a period from the stores.
// Escalations may be nil (no escalation figures then).
type Builder struct {
	Roster      RosterSource
	Duty        DutySource
	Incidents   IncidentSource
	Escalations EscalationSource
	// Settings are the roster rules (the shifts decide the duty day).
	Settings roster.Settings
	// Loc is the office time zone.
	Loc *time.Location
}

func (b Builder) loc() *time.Location {
	if b.Loc == nil {
		return time.UTC
	}
	return b.Loc
}

// calendar is the office calendar around from..to.
func (b Builder) calendar(ctx context.Context, from, to roster.Date) (roster.Calendar, error) {
	days, err := b.Roster.HolidayDays(ctx, from.AddDays(-1), to.AddDays(1))
	if err != nil {
		return roster.Calendar{}, fmt.Errorf("holiday schedule: %w", err)
	}
	return roster.NewCalendar(days, b.Settings.SpecialPeriods), nil
}

// names maps userids to display names.
func (b Builder) names(ctx context.Context) (map[string]string, error) {
	ms, err := b.Roster.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		name := m.Name
		if name == "" {
			name = m.UserID
		}
		out[m.UserID] = name
	}
	return out, nil
}

// nameOf is a member's name, or the userid for someone unknown.
func nameOf(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// dutyWindow is the span of duty day d: from the start of its first shift
// to the end of its last (08:30 to 08:30 the next morning with the default
// shifts); midnight to midnight when no shift runs.
func dutyWindow(day []roster.ShiftRoster, d roster.Date, loc *time.Location) (from, to time.Time) {
	for _, sr := range day {
		if from.IsZero() || sr.Start.Before(from) {
			from = sr.Start
		}
		if to.IsZero() || sr.End.After(to) {
			to = sr.End
		}
	}
	if from.IsZero() {
		from = d.At(0, loc)
		to = d.AddDays(1).At(0, loc)
	}
	return from, to
}

// reportDay is the duty day a report belongs to: its duty slot's, or the
// office date it was filed on when no shift was running.
func reportDay(r incident.Report, loc *time.Location) roster.Date {
	if !r.Date.IsZero() {
		return r.Date
	}
	return roster.DateOf(r.FiledAt, loc)
}

// minutes shows a duration in whole minutes (rounded up), at least 1.
func minutes(d time.Duration) int {
	m := int((d + time.Minute - 1) / time.Minute)
	return max(m, 1)
}

// durationLabel is a duration in started minutes, as people say it ("25 分钟", "1 小时 5 分钟").
func durationLabel(d time.Duration) string { return roster.MinutesLabel(minutes(d)) }
