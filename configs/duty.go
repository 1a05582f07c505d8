package configs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"dutybot/roster"
	"dutybot/roster/duty"
)

// DutySettings turns the duty section into the rules package duty applies,
// with an error per setting that cannot be read (key, what was wrong and
// what is accepted).
func (d Duty) DutySettings() (duty.Settings, error) {
	set := duty.Settings{
		RemindBefore: d.RemindBefore, SpotCheckAnswer: d.SpotCheckAnswer, SpotChecksPerNight: d.SpotChecksPerNight,
		SwapNotice: d.SwapNotice, SwapApprover: d.SwapApprover, CoverageAhead: d.CoverageAhead,
	}
	var errs []error
	var err error
	if set.Geofence, err = parseGeofence(d.Geofence); err != nil {
		errs = append(errs, fmt.Errorf("duty.geofence: %w", err))
	}
	if !strings.EqualFold(d.RemindEveningAt, "off") && d.RemindEveningAt != "" {
		if set.RemindEveningAt, err = roster.ParseClock(d.RemindEveningAt); err != nil {
			errs = append(errs, fmt.Errorf("duty.remind_evening_at: %q: want HH:MM such as 20:00, or off", d.RemindEveningAt))
		} else {
			set.RemindEvening = true
		}
	}
	from, to, ok := strings.Cut(d.SpotCheckHours, "-")
	if set.SpotCheckFrom, err = roster.ParseClock(strings.TrimSpace(from)); !ok || err != nil {
		errs = append(errs, fmt.Errorf("duty.spot_check_hours: %q: want HH:MM-HH:MM such as 22:00-06:00", d.SpotCheckHours))
	} else if set.SpotCheckTo, err = roster.ParseClock(strings.TrimSpace(to)); err != nil {
		errs = append(errs, fmt.Errorf("duty.spot_check_hours: %q: want HH:MM-HH:MM such as 22:00-06:00", d.SpotCheckHours))
	}
	for _, c := range []struct {
		key string
		bad bool
		msg string
	}{
		{"duty.remind_before", d.RemindBefore < 0, "must not be negative (0 turns the reminder off)"},
		{"duty.spot_check_answer", d.SpotCheckAnswer <= 0, "must be above zero, e.g. 5m"},
		{"duty.spot_checks_per_night", d.SpotChecksPerNight < 0 || d.SpotChecksPerNight > 10, "must be 0 (off) to 10"},
		{"duty.swap_notice", d.SwapNotice < 0, "must not be negative, e.g. 24h"},
		{"duty.swap_approver", d.SwapApprover != duty.ApproverLeader && d.SwapApprover != duty.ApproverAdmin, fmt.Sprintf("%q: want leader or admin", d.SwapApprover)},
		{"duty.coverage_ahead", d.CoverageAhead < 0, "must not be negative (0 turns the check off)"},
	} {
		if c.bad {
			errs = append(errs, fmt.Errorf("%s: %s", c.key, c.msg))
		}
	}
	return set, errors.Join(errs...)
}

// parseGeofence reads "latitude,longitude,radius_m"; "" is no geofence.
func parseGeofence(s string) (duty.Geofence, error) {
	if strings.TrimSpace(s) == "" {
		return duty.Geofence{}, nil
	}
	parts := strings.Split(s, ",")
	bad := fmt.Errorf("%q: want latitude,longitude,radius in metres such as 39.9087,116.3975,200", s)
	if len(parts) != 3 {
		return duty.Geofence{}, bad
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return duty.Geofence{}, bad
		}
		v[i] = f
	}
	if v[0] < -90 || v[0] > 90 || v[1] < -180 || v[1] > 180 || v[2] <= 0 {
		return duty.Geofence{}, fmt.Errorf("%q: latitude must be -90..90, longitude -180..180 and the radius above 0 metres", s)
	}
	return duty.Geofence{Latitude: v[0], Longitude: v[1], RadiusMeters: v[2]}, nil
}
