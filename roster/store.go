package roster

import (
	"context"
	"time"
)

// MemberStore keeps the office's members.
type MemberStore interface {
	// Member returns the member with the given WeCom userid, or ErrNotFound.
	Member(ctx context.Context, userID string) (Member, error)
	// Members lists all members, active or not, ordered by userid.
	Members(ctx context.Context) ([]Member, error)
	// UpsertMember creates or replaces the member with m.UserID.
	UpsertMember(ctx context.Context, m Member) error
	// GrantRole adds role r to the member, creating a bare active member
	// (name = userid) if none exists. Granting a held role changes nothing.
	GrantRole(ctx context.Context, userID string, r Role) error
	// ApplyMemberSync applies an address-book sync plan (see SyncMembers)
	// in one transaction with one audit entry, keeping every member's roles.
	// An empty plan writes nothing.
	ApplyMemberSync(ctx context.Context, plan SyncPlan, audit AuditEntry) error
	// AssignRole gives an existing member role r with an audit entry (before
	// and after: the member's roles) and reports whether anything changed.
	// An unknown userid is ErrNotFound.
	AssignRole(ctx context.Context, userID string, r Role, audit AuditEntry) (bool, error)
	// RevokeRole takes role r from the member, audited like AssignRole, and
	// reports whether anything changed. Taking the admin role from the only
	// active admin fails with ErrLastAdmin.
	RevokeRole(ctx context.Context, userID string, r Role, audit AuditEntry) (bool, error)
}

// Received is one callback from WeCom, kept for deduplication and audit.
type Received struct {
	ID         int64
	DedupKey   string // "msg:<MsgId>" or "ev:<user>:<event>:<time>:<key>"
	FromUser   string
	MsgType    string
	Event      string
	Content    string // text content or event key, for audit
	Raw        []byte // the decrypted XML
	ReceivedAt time.Time
	Processed  bool
	// ClaimedBy and ClaimedUntil: the instance working on the callback,
	// when several share the store ("" and zero: nobody; see
	// SQLStore.ClaimReceived).
	ClaimedBy    string
	ClaimedUntil time.Time
}

// Outgoing is one message the bot sends (or tried to send) through WeCom.
type Outgoing struct {
	ID        int64
	ToUser    string
	Kind      string // "text" or "markdown"
	Content   string
	Status    string // OutPending, OutSent, OutFailed
	Attempts  int
	LastError string
	WeComID   string // msgid from WeCom once sent
	CreatedAt time.Time
	UpdatedAt time.Time
	// ReplyTo is the Received.ID this answers, 0 for messages the bot starts.
	ReplyTo int64
	// Ref says what the message is about (e.g. an escalation id), "" if
	// nothing in particular.
	Ref string
	// ResponseCode is WeCom's code for updating a sent template card (once,
	// within 72 hours); "" when there is none or it was used.
	ResponseCode string
}

// Outgoing statuses.
const (
	OutPending = "pending"
	OutSent    = "sent"
	OutFailed  = "failed"
)

// MessageStore keeps received callbacks and outgoing messages. Receiving and
// answering are tied together so that a crash never loses or repeats work:
// a callback is stored (deduplicated) before WeCom gets its 200, and it is
// marked processed in the same transaction that queues its replies.
type MessageStore interface {
	// SaveReceived stores r unless a row with the same DedupKey exists.
	// It reports whether r was new, and sets r.ID when it was.
	SaveReceived(ctx context.Context, r *Received) (isNew bool, err error)
	// Unprocessed lists received callbacks not yet processed, oldest first,
	// so a restarted server finishes what it accepted.
	Unprocessed(ctx context.Context, limit int) ([]Received, error)
	// CompleteReceived marks received id processed and queues replies as
	// pending outgoing messages, in one transaction. Completing an already
	// processed id queues nothing and returns (false, nil).
	CompleteReceived(ctx context.Context, id int64, replies []Outgoing) (done bool, err error)
	// QueueOutgoing queues messages the bot starts on its own.
	QueueOutgoing(ctx context.Context, msgs []Outgoing) error
	// PendingOutgoing lists pending outgoing messages with id > afterID,
	// oldest first, so a caller can page through all of them.
	PendingOutgoing(ctx context.Context, afterID int64, limit int) ([]Outgoing, error)
	// MarkOutgoing records the outcome of one send attempt: status, attempts,
	// last error and WeCom's msgid.
	MarkOutgoing(ctx context.Context, o Outgoing) error
	// SentCards lists the sent template cards about ref that still have a
	// response code, oldest first.
	SentCards(ctx context.Context, ref string) ([]Outgoing, error)
	// UseResponseCode clears an outgoing card's response code once used.
	UseResponseCode(ctx context.Context, id int64) error
	// CountReceived and CountOutgoing support tests and health checks.
	CountReceived(ctx context.Context) (int, error)
	CountOutgoing(ctx context.Context) (int, error)
}

// Store is everything dutybot keeps.
type Store interface {
	MemberStore
	MessageStore
	ScheduleStore
	// Ping checks the store is reachable (for /healthz).
	Ping(ctx context.Context) error
	Close() error
}
