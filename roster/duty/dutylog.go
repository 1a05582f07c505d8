package duty

import (
	"context"
	"errors"
	"slices"
	"time"

	"dutybot/roster"
)

// Log entry kinds: the five an officer picks (记录 [类型]), the pending item
// (待办) and the bot's own entries (系统: 办结, 交班, 接班).
const (
	LogCall     = "来电"
	LogDocument = "来文"
	LogAssigned = "交办"
	LogMeeting  = "会议通知"
	LogOther    = "其他"
	LogTodo     = "待办"
	LogSystem   = "系统"
)

// LogKinds are the kinds 记录 accepts, in the order they are offered.
func LogKinds() []string { return []string{LogCall, LogDocument, LogAssigned, LogMeeting, LogOther} }

// validLogKind reports whether kind may be stored.
func validLogKind(kind string) bool {
	return slices.Contains(LogKinds(), kind) || kind == LogTodo || kind == LogSystem
}

// LogEntry is one line of the duty log (值班日志). It is never changed
// after it is written, except that a pending item (待办) is closed (办结)
// once and moves to the incoming shift when a handover is confirmed.
type LogEntry struct {
	ID int64
	// Date and Shift are the duty slot it was written in (the author's
	// shift, or the shift in progress); zero when no shift was running.
	Date    roster.Date
	Shift   string
	Kind    string // Log* above
	Content string
	Author  string // userid
	At      time.Time
	// Corrects is the entry this one corrects (更正), 0 for none.
	Corrects int64
	// CorrectedBy is the latest entry correcting this one, 0 for none
	// (read, not stored).
	CorrectedBy int64
	// Pending marks a 待办; HeldDate and HeldShift are the slot holding it
	// while it is open.
	Pending   bool
	HeldDate  roster.Date
	HeldShift string
	// ClosedAt, ClosedBy and Result record the 办结 of a pending item.
	ClosedAt time.Time
	ClosedBy string
	Result   string
}

// Open reports whether e is a pending item not closed yet.
func (e LogEntry) Open() bool { return e.Pending && e.ClosedAt.IsZero() }

// Slot is the duty slot e was written in.
func (e LogEntry) Slot() roster.Slot { return roster.Slot{Date: e.Date, Shift: e.Shift} }

// Errors of CloseLogItem; the entry is returned with them.
var (
	ErrNotPending    = errors.New("not a pending item")
	ErrAlreadyClosed = errors.New("pending item already closed")
)

// LogStore keeps the duty log (值班日志) and its pending items (待办).
type LogStore interface {
	// AddLogEntry stores a new entry written now; a pending one is held by
	// the slot it was written in. An entry correcting another must name
	// one that exists (ErrNotFound) and is not a 系统 entry.
	AddLogEntry(ctx context.Context, e LogEntry) (LogEntry, error)
	// LogEntry returns one entry, or ErrNotFound.
	LogEntry(ctx context.Context, id int64) (LogEntry, error)
	// CloseLogItem closes (办结) an open pending item with who closed it
	// and the result, and stores note (a 系统 entry, when its Content is
	// set) in the same transaction. It returns the entry as closed, or the
	// entry with ErrNotPending or ErrAlreadyClosed, or ErrNotFound.
	CloseLogItem(ctx context.Context, id int64, by, result string, note LogEntry) (LogEntry, error)
	// LogBetween lists the entries written in [from, to), in order.
	LogBetween(ctx context.Context, from, to time.Time) ([]LogEntry, error)
	// LogOfSlot lists the entries written in one duty slot, in order.
	LogOfSlot(ctx context.Context, slot roster.Slot) ([]LogEntry, error)
	// OpenItems lists every open pending item, oldest first.
	OpenItems(ctx context.Context) ([]LogEntry, error)
	// Corrections lists the entries correcting id, in order.
	Corrections(ctx context.Context, id int64) ([]LogEntry, error)
}
