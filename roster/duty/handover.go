package duty

import (
	"context"
	"errors"
	"slices"
	"time"

	"dutybot/roster"
)

// Handover statuses.
const (
	HandoverPending   = "pending"   // sent, no incoming officer has signed yet
	HandoverConfirmed = "confirmed" // at least one incoming officer signed (接班)
	HandoverEscalated = "escalated" // the handover window ended unsigned; escalated
)

// Signature roles.
const (
	SignOut = "out" // the outgoing officer's 交班
	SignIn  = "in"  // an incoming officer's 接班
)

// Handover is one 交接班: the outgoing officer's sheet for the incoming
// shift, and the signatures on it.
type Handover struct {
	ID int64
	// Out is the outgoing slot (one handover per slot); In the incoming
	// one (zero when no next shift was found).
	Out, In roster.Slot
	From    string   // the outgoing officer's userid
	To      []string // the incoming officers when it was sent
	Notes   string   // equipment state and remarks (交班 argument)
	Sheet   string   // the handover sheet as sent
	// HandedAt is the outgoing signature's time.
	HandedAt    time.Time
	Status      string // Handover*
	ConfirmedAt time.Time
	EscalatedAt time.Time
	Signatures  []Signature // in the order signed
}

// Signature is one officer signing a handover.
type Signature struct {
	UserID string
	Role   string // SignOut or SignIn
	At     time.Time
}

// SignedIn returns userID's incoming signature, if any.
func (h Handover) SignedIn(userID string) (Signature, bool) {
	i := slices.IndexFunc(h.Signatures, func(s Signature) bool { return s.Role == SignIn && s.UserID == userID })
	if i < 0 {
		return Signature{}, false
	}
	return h.Signatures[i], true
}

// Confirmation is what one 接班 did.
type Confirmation struct {
	Handover Handover // after the signature
	// Signed is false when userID had signed before (nothing changed).
	Signed bool
	// Confirmed is true when this signature confirmed the handover (the
	// first incoming one); WasEscalated says it had been escalated.
	Confirmed    bool
	WasEscalated bool
	// Carried are the pending items moved to the incoming slot.
	Carried []int64
}

// ErrHandoverExists is returned (with the stored handover) for a second
// handover of the same outgoing slot.
var ErrHandoverExists = errors.New("the shift has already been handed over")

// HandoverStore keeps handovers (交接班) and their two signatures.
type HandoverStore interface {
	// CreateHandover stores h sent now with its outgoing signature, the
	// pending items its sheet lists, and note (a 系统 log entry, when its
	// Content is set), in one transaction. A second handover of the same
	// outgoing slot returns the first with ErrHandoverExists.
	CreateHandover(ctx context.Context, h Handover, items []int64, note LogEntry) (Handover, error)
	// Handover returns one handover with its signatures, or ErrNotFound.
	Handover(ctx context.Context, id int64) (Handover, error)
	// HandoverOf returns the handover of an outgoing slot, or ErrNotFound.
	HandoverOf(ctx context.Context, out roster.Slot) (Handover, error)
	// HandoversTo lists the handovers into an incoming slot, oldest first.
	HandoversTo(ctx context.Context, in roster.Slot) ([]Handover, error)
	// UnconfirmedHandovers lists the handovers not yet confirmed, oldest
	// first.
	UnconfirmedHandovers(ctx context.Context) ([]Handover, error)
	// ConfirmHandover records userID's incoming signature (once per
	// officer); the first one marks the handover confirmed. In the same
	// transaction the open pending items the sheet listed, and any others
	// held by the outgoing slot, move to the incoming slot, and note is
	// stored (when its Content is set and the signature is new).
	ConfirmHandover(ctx context.Context, id int64, userID string, note LogEntry) (Confirmation, error)
	// MarkHandoverEscalated moves a pending handover to escalated; it
	// reports false when it was not pending (compare-and-set).
	MarkHandoverEscalated(ctx context.Context, id int64) (bool, error)
}
