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
	// EscalationID is the alert raised when it was not relayed in time;
	// FeedbackEscalationID the one raised when its feedback was overdue.
	EscalationID         string
	FeedbackEscalationID string
}

// The steps of a 批示 that have a deadline (and may raise an alert).
const (
	StepRelay    = "relay"    // 传达
	StepFeedback = "feedback" // 反馈
)

// InstructionPrompt is a leader's pending 批示: they tapped a report card's
// 批示 button at AskedAt and their next message is the instruction.
type InstructionPrompt struct {
	Leader   string
	ReportID int64
	AskedAt  time.Time
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
	// AddRelayRecipients records to whom an instruction already relayed
	// without naming them was relayed; changed is false (nothing written)
	// when it is not relayed yet or its recipients are recorded.
	AddRelayRecipients(ctx context.Context, id int64, to string) (in Instruction, changed bool, err error)
	// SetInstructionEscalation records the alert raised for a late step
	// (StepRelay or StepFeedback); changed is false when one is recorded
	// already, which is kept.
	SetInstructionEscalation(ctx context.Context, id int64, step, escalationID string) (in Instruction, changed bool, err error)

	// SetInstructionPrompt stores a leader's pending 批示, replacing any
	// earlier one of theirs.
	SetInstructionPrompt(ctx context.Context, p InstructionPrompt) error
	// TakeInstructionPrompt removes the leader's pending 批示 and returns
	// it when it was asked at or after since; ok is false when there was
	// none or it was older (a stale one is removed too).
	TakeInstructionPrompt(ctx context.Context, leader string, since time.Time) (p InstructionPrompt, ok bool, err error)
}
