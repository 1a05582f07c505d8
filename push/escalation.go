package push

import (
	"context"
	"errors"
	"time"
)

// Escalation statuses.
const (
	StatusOpen      = "open"      // notifying, waiting for an acknowledgement
	StatusAcked     = "acked"     // someone took it
	StatusResolved  = "resolved"  // the cause went away (e.g. a late check-in)
	StatusExhausted = "exhausted" // every step and repeat passed unanswered
)

// Event is what raises an escalation.
type Event struct {
	Kind    string // a policy kind, e.g. KindMissedCheckin
	Subject string // what it is about, e.g. "2026-11-23/夜班/zhangsan"; Resolve closes by it
	Title   string // short, e.g. "夜班空岗：张三未签到"
	Body    string
}

// Escalation is one raised event working through its policy.
type Escalation struct {
	ID        string // human-readable, e.g. "E1123-007"
	Kind      string
	Subject   string
	Title     string
	Body      string
	Urgency   Urgency
	Policy    Policy
	Status    string
	Step      int       // current step (0-based)
	Round     int       // completed repeats
	NextAt    time.Time // when the current step's wait ends (zero when closed)
	CreatedAt time.Time
	AckedBy   string
	AckedVia  string
	AckedAt   time.Time
	ClosedAt  time.Time
}

// Sent is one notification in the delivery log.
type Sent struct {
	ID           int64
	EscalationID string
	Step, Round  int
	Channel      Channel
	Target       string // userid (for push, "userid/device id")
	ProviderID   string
	Status       string // "queued", or a push Status
	Error        string
	Latency      time.Duration
	At           time.Time
}

// ErrNoEscalation is returned for an unknown escalation id.
var ErrNoEscalation = errors.New("no such escalation")

// EscalationStore keeps escalations and the delivery log. Every state
// change is a compare-and-set on the stored step, so each step fires once
// even when several goroutines (or, with a shared store, instances) race.
type EscalationStore interface {
	// CreateEscalation stores e (open, step 0, with its first deadline)
	// and assigns e.ID.
	CreateEscalation(ctx context.Context, e *Escalation) error
	// CreateEscalationOnce is CreateEscalation unless an escalation of the
	// same kind and subject already exists: then e becomes that one and
	// created is false (checked and inserted in one transaction).
	CreateEscalationOnce(ctx context.Context, e *Escalation) (created bool, err error)
	Escalation(ctx context.Context, id string) (Escalation, error)
	// AdvanceEscalation moves e from (fromStep, fromRound) to e's Step,
	// Round, NextAt and Status; it reports false if e was no longer open at
	// that step (someone else moved or closed it).
	AdvanceEscalation(ctx context.Context, e Escalation, fromStep, fromRound int) (bool, error)
	// AckEscalation closes an open escalation as acknowledged; when it was
	// not open it returns the stored escalation and false.
	AckEscalation(ctx context.Context, id, by, via string, at time.Time) (Escalation, bool, error)
	// ResolveEscalations closes the open escalations of kind and subject.
	ResolveEscalations(ctx context.Context, kind, subject string, at time.Time) ([]string, error)
	// OpenEscalations lists every open escalation, for re-arming.
	OpenEscalations(ctx context.Context) ([]Escalation, error)
	RecordSent(ctx context.Context, s []Sent) error
	SentFor(ctx context.Context, escalationID string) ([]Sent, error)
	// Devices lists a member's paired phones; PruneDevice removes one a
	// provider reported invalid.
	Devices(ctx context.Context, userID string) ([]Device, error)
	PruneDevice(ctx context.Context, platform Platform, token string) (Device, bool, error)
}
