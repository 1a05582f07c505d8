package configs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"dutybot/roster"
	"dutybot/roster/incident"
)

// IncidentSettings turns the reports section into the rules package
// incident applies, with an error per setting that cannot be used.
func (r Reports) IncidentSettings() (incident.Settings, error) {
	set := incident.Settings{
		Deadline: map[incident.Level]time.Duration{
			incident.LevelGeneral: r.DeadlineGeneral, incident.LevelLarge: r.DeadlineLarge,
			incident.LevelMajor: r.DeadlineMajor, incident.LevelSevere: r.DeadlineSevere,
		},
		FollowUpEvery: r.FollowUpEvery, RelayWithin: r.RelayWithin, FeedbackWorkingDays: r.FeedbackWorkingDays,
	}
	var errs []error
	for _, c := range []struct {
		key string
		d   time.Duration
	}{
		{"reports.deadline_general", r.DeadlineGeneral}, {"reports.deadline_large", r.DeadlineLarge},
		{"reports.deadline_major", r.DeadlineMajor}, {"reports.deadline_severe", r.DeadlineSevere},
		{"reports.followup_every", r.FollowUpEvery}, {"reports.relay_within", r.RelayWithin},
	} {
		if c.d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be above zero, e.g. 30m or 2h", c.key))
		}
	}
	if r.FeedbackWorkingDays < 1 || r.FeedbackWorkingDays > 30 {
		errs = append(errs, fmt.Errorf("reports.feedback_working_days: %d: want 1 to 30 working days", r.FeedbackWorkingDays))
	}
	if strings.EqualFold(r.BulletinAt, "off") {
		set.BulletinOff = true
	} else if at, err := roster.ParseClock(r.BulletinAt); err != nil {
		errs = append(errs, fmt.Errorf("reports.bulletin_at: %q: want HH:MM such as 08:00, or off", r.BulletinAt))
	} else {
		set.BulletinAt = at
	}
	return set, errors.Join(errs...)
}
