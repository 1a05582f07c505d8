package incident

import (
	"context"
	"time"
)

// Instruction statuses: delivered to the duty officer → relayed (传达) →
// fed back (反馈), which closes it.
const (
	InstructionDelivered = "delivered"
	InstructionRelayed   = "relayed"
	InstructionFedBack   = "fed_back"
)

// Instruction is a leader's instruction (批示) on a report: the duty
// officer relays it to whoever must act and feeds back the result.
type Instruction struct {
	ID       int64
	ReportID int64
	Leader   string // userid of the leader who gave it
	Content  string
	IssuedAt time.Time
	// Officer is the duty officer responsible for relaying it and for the
	// feedback.
	Officer string
	// RelayDue is when it must have been relayed (传达); RelayedAt and
	// RelayedTo record that it was, and to whom.
	RelayDue  time.Time
	RelayedAt time.Time
	RelayedTo string
	// FeedbackDue is the end of the last working day allowed for feedback
	// (反馈); FeedbackAt, FeedbackBy and Feedback record it.
	FeedbackDue time.Time
	FeedbackAt  time.Time
	FeedbackBy  string
	Feedback    string
	Status      string
	// EscalationID is the alert raised when relay or feedback was late.
	EscalationID string
}

// RelayedLate reports whether it was relayed after RelayDue (or not yet,
// past it, at now).
func (in Instruction) RelayedLate(now time.Time) bool {
	if in.RelayedAt.IsZero() {
		return now.After(in.RelayDue)
	}
	return in.RelayedAt.After(in.RelayDue)
}

// FedBackLate reports whether feedback came after FeedbackDue (or has not
// come, past it, at now).
func (in Instruction) FedBackLate(now time.Time) bool {
	if in.FeedbackAt.IsZero() {
		return now.After(in.FeedbackDue)
	}
	return in.FeedbackAt.After(in.FeedbackDue)
}

// InstructionStore keeps instructions.
type InstructionStore interface {
	// CreateInstruction stores in (status delivered) and returns it with
	// its ID.
	CreateInstruction(ctx context.Context, in Instruction) (Instruction, error)
	// Instruction returns one instruction, or ErrNotFound.
	Instruction(ctx context.Context, id int64) (Instruction, error)
	// InstructionsOf lists a report's instructions, oldest first.
	InstructionsOf(ctx context.Context, reportID int64) ([]Instruction, error)
	// Instructions lists the instructions issued from..to (to excluded).
	Instructions(ctx context.Context, from, to time.Time) ([]Instruction, error)
	// RecordRelay marks a delivered instruction relayed (传达) to whom, at;
	// changed is false (and the stored one returned) when it was already
	// relayed.
	RecordRelay(ctx context.Context, id int64, to string, at time.Time) (in Instruction, changed bool, err error)
	// RecordFeedback records the feedback (反馈) and closes the
	// instruction; changed is false when feedback was already given.
	RecordFeedback(ctx context.Context, id int64, by, feedback string, at time.Time) (in Instruction, changed bool, err error)
}
