// Package duty keeps the records of duty work and the rules about them:
// the deadlines the duty flows act at, check-ins and absences (空岗/脱岗),
// spot checks (查岗), the duty log (值班日志), handovers (交接班) and swap
// and leave requests (换班/请假). It knows the roster but nothing of WeCom or
// push: the bot drives the flows and raises escalations.
//
// The tables live in the shared database (migrations in roster/migrations),
// written through its single committer like package push's.
package duty

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
)

// Database is the shared store duty keeps its tables in
// (roster.SQLStore satisfies it): writes go through its committer, reads
// through its read-only pool.
type Database interface {
	Write(ctx context.Context, fn func(tx *sql.Tx) error) error
	Reader() *sql.DB
}

// Store is everything the duty flows keep.
type Store interface {
	DeadlineStore
	CheckinStore
	SpotCheckStore
	LogStore
	HandoverStore
	RequestStore
}

// SQLStore keeps the duty records in the shared database.
type SQLStore struct {
	db    Database
	clock clock.Clock
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns duty's store over db.
func NewSQLStore(db Database, clk clock.Clock) *SQLStore { return &SQLStore{db: db, clock: clk} }

// ErrNotFound is returned for a record that does not exist.
var ErrNotFound = errors.New("not found")

// now is the store's time in UTC.
func (s *SQLStore) now() time.Time { return s.clock.Now().UTC() }

// Approvers of swap requests.
const (
	ApproverLeader = "leader" // the leader on duty approves (admins may too)
	ApproverAdmin  = "admin"  // only admins approve
)

// Settings are the duty rules an office configures (configs: duty.*).
type Settings struct {
	// Geofence, when set, requires a check-in to come with a WeCom
	// location inside it.
	Geofence Geofence
	// RemindEvening sends officers and leaders a reminder the evening
	// before their shift at RemindEveningAt (office time); RemindBefore
	// sends one that long before the start (0: none).
	RemindEvening   bool
	RemindEveningAt roster.ClockTime
	RemindBefore    time.Duration
	// SpotCheckAnswer is how long an officer has to answer a 查岗.
	SpotCheckAnswer time.Duration
	// SpotChecksPerNight random checks run each night between
	// SpotCheckFrom and SpotCheckTo (office time; may cross midnight).
	SpotChecksPerNight int
	SpotCheckFrom      roster.ClockTime
	SpotCheckTo        roster.ClockTime
	// SwapNotice: a swap for a shift starting sooner than this needs an
	// admin's approval; SwapApprover is who approves the others
	// (ApproverLeader or ApproverAdmin).
	SwapNotice   time.Duration
	SwapApprover string
	// CoverageAhead is how long before a shift an understaffed one
	// escalates to the admins.
	CoverageAhead time.Duration
}

// DefaultSettings are the national duty rules: reminders the evening
// before (20:00) and an hour before, 5 minutes to answer a 查岗, one random
// check a night between 22:00 and 06:00, 24 h notice for swaps with the
// leader on duty approving, coverage checked 24 h ahead.
func DefaultSettings() Settings {
	return Settings{
		RemindEvening: true, RemindEveningAt: 20 * 60, RemindBefore: time.Hour,
		SpotCheckAnswer: 5 * time.Minute, SpotChecksPerNight: 1, SpotCheckFrom: 22 * 60, SpotCheckTo: 6 * 60,
		SwapNotice: 24 * time.Hour, SwapApprover: ApproverLeader, CoverageAhead: 24 * time.Hour,
	}
}

// Geofence is the duty room: a point and a radius in metres. A zero radius
// means no location is required.
type Geofence struct {
	Latitude, Longitude float64
	RadiusMeters        float64
}

// Enabled reports whether check-ins must come with a location.
func (g Geofence) Enabled() bool { return g.RadiusMeters > 0 }
