package duty

import (
	"context"
	"errors"
	"time"

	"dutybot/roster"
)

// Checkin is one member's check-in (签到) for one slot, and later their
// check-out (签退). There is at most one per (date, shift, member); it is
// never deleted, and the check-out is filled in once.
type Checkin struct {
	ID     int64
	Date   roster.Date
	Shift  string
	UserID string
	Role   roster.Role // RoleOfficer or RoleLeader
	At     time.Time
	// Status is CheckinEarly, CheckinOnTime or CheckinLate; MinutesLate
	// counts the (started) minutes after the start for a late one.
	Status      string
	MinutesLate int
	Via         string // ViaChat, ViaLocation, ViaHandover
	// HasLocation says the check-in came with a location; Distance is
	// its distance from the geofence's point in metres.
	HasLocation         bool
	Latitude, Longitude float64
	Distance            float64
	// CheckedOutAt is zero until 签退; CheckoutStatus is CheckoutNormal or
	// CheckoutEarly (早退), with the minutes before the end.
	CheckedOutAt   time.Time
	CheckoutStatus string
	MinutesEarly   int
	CreatedAt      time.Time
}

// Check-in statuses.
const (
	CheckinEarly  = "early"   // EarlyBy or more before the start
	CheckinOnTime = "on_time" // at or before the start
	CheckinLate   = "late"    // after the start (迟到)
)

// Check-out statuses.
const (
	CheckoutNormal = "normal"      // at or after the end
	CheckoutEarly  = "early_leave" // before the end (早退)
)

// How a check-in was made.
const (
	ViaChat     = "chat"     // 签到 typed (no geofence)
	ViaLocation = "location" // 签到 with a location inside the geofence
	ViaHandover = "handover" // 接班 signed the incoming officer in
)

// EarlyBy is how long before the start a check-in counts as early: officers
// are to be at the post 10 minutes before the shift.
const EarlyBy = 10 * time.Minute

// CheckinStatus says how a check-in at t stands against a shift starting
// at start: early (EarlyBy or more before), on time (up to the start) or
// late, with the minutes late counted as started minutes (08:30:20 is one
// minute late).
func CheckinStatus(start, t time.Time) (status string, minutesLate int) {
	switch {
	case !t.After(start.Add(-EarlyBy)):
		return CheckinEarly, 0
	case !t.After(start):
		return CheckinOnTime, 0
	}
	return CheckinLate, ceilMinutes(t.Sub(start))
}

// CheckoutStatus says how a check-out at t stands against a shift ending
// at end: normal at or after the end, else early leave (早退) with the
// started minutes before the end.
func CheckoutStatus(end, t time.Time) (status string, minutesEarly int) {
	if !t.Before(end) {
		return CheckoutNormal, 0
	}
	return CheckoutEarly, ceilMinutes(end.Sub(t))
}

func ceilMinutes(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }

// Absence is a post found empty: a missed check-in (空岗). It is recorded
// once per (kind, date, shift, member) and stays when it is resolved (the
// member checked in late).
type Absence struct {
	ID           int64
	Kind         string // AbsenceMissedCheckin
	Date         roster.Date
	Shift        string
	UserID       string
	DetectedAt   time.Time
	EscalationID string // the alert raised for it, "" until raised
	ResolvedAt   time.Time
	Resolution   string // how it ended, e.g. "late_checkin", "handover"
}

// Absence kinds.
const (
	AbsenceMissedCheckin = "missed_checkin" // 空岗: no check-in by start + grace
)

// ErrCheckedIn is returned by AddAbsence when the member checked in for the
// slot meanwhile: there is no absence to record.
var ErrCheckedIn = errors.New("checked in")

// Location is where a member last said they were (a location message, a
// LOCATION report or a menu pick).
type Location struct {
	UserID              string
	Latitude, Longitude float64
	Source              string // the WeCom message type or event
	At                  time.Time
}

// CheckinWait is a 签到 waiting for the member's location (geofence on).
type CheckinWait struct {
	UserID  string
	Date    roster.Date
	Shift   string
	AskedAt time.Time
}

// CheckinStore keeps check-ins (签到/签退), absences (空岗), the members'
// last locations and the check-ins waiting for one.
type CheckinStore interface {
	// AddCheckin records c unless the member has checked in for that slot
	// already; it returns the stored check-in and whether it is new.
	AddCheckin(ctx context.Context, c Checkin) (Checkin, bool, error)
	// Checkin returns a member's check-in for a slot, or ErrNotFound.
	Checkin(ctx context.Context, d roster.Date, shift, userID string) (Checkin, error)
	// SlotCheckins lists the check-ins of a slot, earliest first.
	SlotCheckins(ctx context.Context, d roster.Date, shift string) ([]Checkin, error)
	// Checkins lists the check-ins of duty days from..to, by date, shift
	// and time.
	Checkins(ctx context.Context, from, to roster.Date) ([]Checkin, error)
	// CheckOut records the check-out of a check-in not yet checked out
	// (compare-and-set); it returns the check-in as stored and whether this
	// call checked it out.
	CheckOut(ctx context.Context, id int64, at time.Time, status string, minutesEarly int) (Checkin, bool, error)

	// AddAbsence records a unless it is recorded already (returning the
	// stored one and false). A missed check-in is not recorded when the
	// member has checked in for the slot: ErrCheckedIn.
	AddAbsence(ctx context.Context, a Absence) (Absence, bool, error)
	// Absence returns the absence of kind for a slot and member, or
	// ErrNotFound.
	Absence(ctx context.Context, kind string, d roster.Date, shift, userID string) (Absence, error)
	// SetAbsenceEscalation notes the alert raised for an absence.
	SetAbsenceEscalation(ctx context.Context, id int64, escalationID string) error
	// ResolveAbsence marks an open absence resolved (compare-and-set); it
	// returns the absence as stored and whether this call resolved it.
	ResolveAbsence(ctx context.Context, id int64, at time.Time, resolution string) (Absence, bool, error)
	// Absences lists the absences of duty days from..to.
	Absences(ctx context.Context, from, to roster.Date) ([]Absence, error)

	// SaveLocation keeps a member's latest location.
	SaveLocation(ctx context.Context, l Location) error
	// LastLocation returns a member's latest location, or ErrNotFound.
	LastLocation(ctx context.Context, userID string) (Location, error)
	// SetCheckinWait notes a 签到 waiting for the member's location
	// (replacing an earlier one).
	SetCheckinWait(ctx context.Context, w CheckinWait) error
	// TakeCheckinWait removes and returns a member's waiting 签到, or
	// ErrNotFound.
	TakeCheckinWait(ctx context.Context, userID string) (CheckinWait, error)
}
