package duty

import (
	"context"
	"errors"
	"time"

	"dutybot/roster"
)

// Request is a swap or leave request (换班/请假).
//
// A swap is one-way: the counterpart takes the requester's place in one
// slot (Date, Shift, in the requester's Role); the counterpart consents
// first, then a leader or admin approves. A leave covers From..To and needs
// an admin's approval; the admin then assigns substitutes.
type Request struct {
	ID          int64
	Kind        string // RequestSwap or RequestLeave
	Requester   string // userid
	Counterpart string // swap: who takes the slot
	Date        roster.Date
	Shift       string
	Role        roster.Role // swap: the requester's role in the slot
	From, To    roster.Date // leave, inclusive
	Reason      string
	Status      string // Request* statuses below
	// NeedsAdmin says only an admin may approve (the shift is closer than
	// the swap notice, or the office lets only admins approve).
	NeedsAdmin bool
	// ExpiresAt is when an undecided request lapses (the shift's start).
	ExpiresAt time.Time
	ConsentAt time.Time
	DecidedBy string
	DecidedAt time.Time
	Note      string // the decider's note, e.g. why it was rejected
	LeaveID   int64  // the roster leave an approved leave request added
	CreatedAt time.Time
}

// Request kinds.
const (
	RequestSwap  = "swap"  // 换班
	RequestLeave = "leave" // 请假
)

// Request statuses.
const (
	RequestAwaitingConsent  = "awaiting_consent"  // swap: the counterpart has not answered
	RequestAwaitingApproval = "awaiting_approval" // a leader or admin has not decided
	RequestApproved         = "approved"
	RequestRejected         = "rejected"  // by the approver
	RequestDeclined         = "declined"  // by the counterpart
	RequestExpired          = "expired"   // nobody decided before the shift
	RequestCancelled        = "cancelled" // withdrawn by the requester
)

// Open reports whether the request still waits for someone.
func (r Request) Open() bool { return IsOpenRequestStatus(r.Status) }

// IsOpenRequestStatus reports whether status still waits for someone.
func IsOpenRequestStatus(status string) bool {
	return status == RequestAwaitingConsent || status == RequestAwaitingApproval
}

// OpenRequestStatuses are the statuses of requests that still wait.
func OpenRequestStatuses() []string {
	return []string{RequestAwaitingConsent, RequestAwaitingApproval}
}

// SourceSwap is the assignment source of a slot taken over by an approved
// swap.
const SourceSwap = "swap"

// RequestEvent is one step in a request's life, for the record.
type RequestEvent struct {
	ID        int64
	RequestID int64
	At        time.Time
	Actor     string // userid, or "system"
	Action    string // created, consented, declined, approved, rejected, expired, cancelled
	Note      string
}

// Request event actions (the status a step leads to, and "created").
const (
	ActionCreated   = "created"
	ActionConsented = "consented"
)

// RequestFilter selects requests.
type RequestFilter struct {
	// UserID, when set, keeps the requests the member made or is the
	// counterpart of.
	UserID string
	// Kind, when set, keeps one kind.
	Kind string
	// Statuses, when set, keeps these statuses.
	Statuses []string
	// Limit caps the list (newest first); 0 means 50.
	Limit int
}

// ErrSlotChanged is returned when approving a swap whose slot no longer
// holds the requester (the roster changed since the request) or already
// holds the counterpart.
var ErrSlotChanged = errors.New("the slot changed since the request was made")

// RequestStore keeps swap and leave requests (换班/请假) and their decisions.
// Every step is a compare-and-set on the status with an event row, in one
// transaction; approving a swap also changes the roster and writes the
// roster's audit entry in that same transaction.
type RequestStore interface {
	// AddRequest stores a new request (Status must be awaiting consent or
	// approval) with its "created" event and returns it with its ID.
	AddRequest(ctx context.Context, r Request) (Request, error)
	// Request returns the request with id, or ErrNotFound.
	Request(ctx context.Context, id int64) (Request, error)
	// Requests lists the requests f selects, newest first.
	Requests(ctx context.Context, f RequestFilter) ([]Request, error)
	// RequestEvents lists a request's steps, oldest first.
	RequestEvents(ctx context.Context, id int64) ([]RequestEvent, error)
	// ConsentRequest moves a swap from awaiting consent to awaiting
	// approval (by the counterpart, userID), setting NeedsAdmin when
	// needsAdmin; ok is false when it was not awaiting consent.
	ConsentRequest(ctx context.Context, id int64, userID string, needsAdmin bool) (r Request, ok bool, err error)
	// CloseRequest ends an open request whose status is from with status
	// (declined, rejected, expired or cancelled), by actor with a note; ok
	// is false when its status was no longer from.
	CloseRequest(ctx context.Context, id int64, from, status, actor, note string) (r Request, ok bool, err error)
	// ApproveSwap approves a swap awaiting approval and puts the
	// counterpart in the requester's place in the slot, with a roster audit
	// entry, all in one transaction. ok is false when it was not awaiting
	// approval; ErrSlotChanged when the slot no longer fits.
	ApproveSwap(ctx context.Context, id int64, approver, note string) (r Request, ok bool, err error)
	// ApproveLeave approves a leave request awaiting approval and records
	// the leave in the roster (with its audit entry) in one transaction; ok
	// is false when it was not awaiting approval.
	ApproveLeave(ctx context.Context, id int64, approver, note string) (r Request, ok bool, err error)
}

// validCloseStatus reports whether CloseRequest may set status.
func validCloseStatus(status string) bool {
	switch status {
	case RequestDeclined, RequestRejected, RequestExpired, RequestCancelled:
		return true
	}
	return false
}
