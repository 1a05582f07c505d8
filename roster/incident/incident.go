// Package incident keeps what the duty office reports and is told: quick
// reports (报告/快报) with their follow-ups (续报) and final report (终报),
// and leaders' instructions (批示) with their relay (传达) and feedback
// (反馈). It knows the roster but nothing of WeCom or push: the bot drives
// the flows, the duty scheduler keeps their deadlines.
//
// The tables live in the shared database (migrations in roster/migrations),
// written through its single committer.
package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
)

// Database is the shared store (roster.SQLStore satisfies it).
type Database interface {
	Write(ctx context.Context, fn func(tx *sql.Tx) error) error
	Reader() *sql.DB
}

// Store is everything this package keeps.
type Store interface {
	ReportStore
	InstructionStore
}

// SQLStore keeps reports and instructions in the shared database.
type SQLStore struct {
	db    Database
	clock clock.Clock
	loc   *time.Location
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns the incident store over db; loc is the office time
// zone report numbers are dated in.
func NewSQLStore(db Database, clk clock.Clock, loc *time.Location) *SQLStore {
	if loc == nil {
		loc = time.UTC
	}
	return &SQLStore{db: db, clock: clk, loc: loc}
}

// ErrNotFound is returned for a report or instruction that does not exist.
var ErrNotFound = errors.New("not found")

func (s *SQLStore) now() time.Time { return s.clock.Now().UTC() }

// Settings are the reporting rules (configs: reports.*), with the national
// rules as defaults.
type Settings struct {
	// Deadline is how long after an event becomes known its first report
	// is due, per level.
	Deadline map[Level]time.Duration
	// FollowUpEvery is how often an open report needs a 续报.
	FollowUpEvery time.Duration
	// RelayWithin is how long the duty officer has to relay (传达) a 批示.
	RelayWithin time.Duration
	// FeedbackWorkingDays is how many working days feedback (反馈) on a
	// 批示 may take.
	FeedbackWorkingDays int
	// BulletinAt is when the daily bulletin (值班要情) for the previous duty
	// day is sent (office time); BulletinOff turns it off.
	BulletinAt  roster.ClockTime
	BulletinOff bool
}

// DefaultSettings are the national rules: 重大 and 特别重大 within 30
// minutes, 较大 within an hour, 一般 within two; 续报 every 2 hours; 批示
// relayed within 5 minutes and fed back within 3 working days; the
// bulletin at 08:00.
func DefaultSettings() Settings {
	return Settings{
		Deadline: map[Level]time.Duration{
			LevelGeneral: 2 * time.Hour, LevelLarge: time.Hour, LevelMajor: 30 * time.Minute, LevelSevere: 30 * time.Minute,
		},
		FollowUpEvery: 2 * time.Hour, RelayWithin: 5 * time.Minute, FeedbackWorkingDays: 3, BulletinAt: 8 * 60,
	}
}

// rowScanner is the shared one (roster/sqlrows.go).
type rowScanner = roster.RowScanner

// wrapList says which list a read failed on.
func wrapList(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
