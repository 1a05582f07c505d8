package duty

import (
	"context"
	"time"

	"dutybot/roster"
)

// SpotCheck is one 查岗 of one officer: a leader (or the system, at a
// random time of the night) asks them to confirm they are at their post
// within a few minutes.
//
// Status moves once, from SpotPending to SpotAnswered (answered by DueAt)
// or to SpotMissed (脱岗: no answer by DueAt). An answer that comes after
// DueAt is still recorded (AnsweredAt, Via) but the status stays
// SpotMissed: the 脱岗 is a fact of the record and is never edited away.
type SpotCheck struct {
	ID     int64
	Date   roster.Date // the duty day of the officer's shift
	Shift  string
	UserID string // the officer checked
	// RequestedBy is the userid of the leader or admin who asked, or
	// RequestedBySystem for a random check.
	RequestedBy string
	// Trigger is the key of the random check's deadline that created the
	// check ("" for one a person asked for): a re-run finds the check it
	// created instead of creating another.
	Trigger    string
	CreatedAt  time.Time
	SentAt     time.Time // when the card was queued; zero until then
	DueAt      time.Time
	Status     string // SpotPending, SpotAnswered, SpotMissed
	AnsweredAt time.Time
	Via        string // SpotViaButton, SpotViaChat
	// EscalationID is the 脱岗 escalation raised for a missed check.
	EscalationID string
}

// Late reports whether the check was answered after its deadline.
func (c SpotCheck) Late() bool { return !c.AnsweredAt.IsZero() && c.AnsweredAt.After(c.DueAt) }

// Spot check statuses.
const (
	SpotPending  = "pending"  // sent, waiting for the answer
	SpotAnswered = "answered" // answered by the deadline
	SpotMissed   = "missed"   // not answered by the deadline: 脱岗
)

// How a spot check was answered.
const (
	SpotViaButton = "button" // the card's 在岗 button
	SpotViaChat   = "chat"   // typing 在岗
)

// RequestedBySystem is the requester of random checks.
const RequestedBySystem = "system"

// SpotCheckStore keeps spot checks (查岗).
type SpotCheckStore interface {
	// CreateSpotCheck stores a new pending check and returns it with its
	// ID. When c.Trigger is set and a check with that trigger already
	// exists for c.UserID, that one is returned and created is false.
	CreateSpotCheck(ctx context.Context, c SpotCheck) (sc SpotCheck, created bool, err error)
	// SpotCheck returns the check with id, or ErrNotFound.
	SpotCheck(ctx context.Context, id int64) (SpotCheck, error)
	// MarkSpotCheckSent records when the check's card was queued (once;
	// later calls change nothing).
	MarkSpotCheckSent(ctx context.Context, id int64, at time.Time) error
	// AnswerSpotCheck records the officer's answer at at, once: a pending
	// check answered by its deadline becomes answered; one answered later
	// becomes (or stays) missed with the late answer recorded. changed is
	// false when the check was answered already (the stored check is
	// returned as it is).
	AnswerSpotCheck(ctx context.Context, id int64, via string, at time.Time) (sc SpotCheck, changed bool, err error)
	// MissSpotCheck marks a pending check missed (脱岗); changed is false
	// when it was not pending (compare-and-set). The stored check is
	// returned either way.
	MissSpotCheck(ctx context.Context, id int64) (sc SpotCheck, changed bool, err error)
	// SetSpotCheckEscalation records the escalation raised for a missed
	// check.
	SetSpotCheckEscalation(ctx context.Context, id int64, escalationID string) error
	// SpotChecks lists the checks created in [from, to), oldest first.
	SpotChecks(ctx context.Context, from, to time.Time) ([]SpotCheck, error)
	// PendingSpotChecks lists userID's checks that have no answer yet:
	// every pending one, and the missed ones due at or after lateSince (a
	// late answer to them is still recorded). Oldest first.
	PendingSpotChecks(ctx context.Context, userID string, lateSince time.Time) ([]SpotCheck, error)
}
