package duty

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dutybot/roster"
)

// Deadline is a moment a duty flow acts at: the end of a check-in grace
// period, the time a spot check must be answered by, a reminder. It is
// stored before it is armed and closed once acted on, so a restart never
// loses one; Key is unique, so planning the same moment twice stores it
// once.
type Deadline struct {
	ID     int64
	Key    string // e.g. "checkin_grace/2026-12-02/白班/zhangsan"
	Kind   string // Kind* below
	Date   roster.Date
	Shift  string
	UserID string
	// Ref is the record the deadline is about (a spot check, a handover,
	// a request), 0 when the slot says it all.
	Ref       int64
	DueAt     time.Time
	Status    string // DeadlineOpen, DeadlineDone, DeadlineVoid
	Note      string // why it was closed, for the record
	CreatedAt time.Time
	ClosedAt  time.Time
}

// Deadline kinds.
const (
	KindCheckinGrace    = "checkin_grace"     // start + grace: no check-in → 空岗
	KindRemindEvening   = "remind_evening"    // the evening before a shift
	KindRemindBefore    = "remind_before"     // an hour (configurable) before a shift
	KindShiftStart      = "shift_start"       // the leader hears who has checked in
	KindHandoverDue     = "handover_due"      // end + handover window: 接班 confirmed?
	KindCoverage        = "coverage"          // 24 h ahead: enough officers?
	KindSpotCheckDue    = "spot_check_due"    // a 查岗 unanswered → 脱岗
	KindSpotCheckRandom = "spot_check_random" // a random night check is sent
	KindRequestExpiry   = "request_expiry"    // a swap/leave request nobody decided

	KindReportFollowUp      = "report_followup"      // an open report's 续报 is due (Ref: report)
	KindInstructionRelay    = "instruction_relay"    // a 批示 must have been relayed (Ref: instruction)
	KindInstructionFeedback = "instruction_feedback" // a 批示's feedback is due (Ref: instruction)
	KindBulletin            = "bulletin"             // the daily bulletin for the previous duty day
)

// Deadline statuses.
const (
	DeadlineOpen = "open" // armed, not yet acted on
	DeadlineDone = "done" // acted on
	DeadlineVoid = "void" // no longer applies (roster changed, answered in time)
)

// SlotKey is the key of a deadline about one slot and member:
// "kind/2026-12-02/白班/zhangsan" (the member part is left out when empty).
func SlotKey(kind string, d roster.Date, shift, userID string) string {
	parts := []string{kind, d.String(), shift}
	if userID != "" {
		parts = append(parts, userID)
	}
	return strings.Join(parts, "/")
}

// RefKey is the key of a deadline about one record: "kind/#42".
func RefKey(kind string, ref int64) string { return fmt.Sprintf("%s/#%d", kind, ref) }

// DeadlineStore keeps deadlines.
type DeadlineStore interface {
	// AddDeadlines stores the deadlines whose keys are not stored yet and
	// returns those (with IDs); the others are left as they are.
	AddDeadlines(ctx context.Context, ds []Deadline) ([]Deadline, error)
	// Deadline returns the deadline with key, or ErrNotFound.
	Deadline(ctx context.Context, key string) (Deadline, error)
	// OpenDeadlines lists every open deadline, soonest first.
	OpenDeadlines(ctx context.Context) ([]Deadline, error)
	// CloseDeadline marks an open deadline done or void, with a note; it
	// reports false when the deadline was not open (compare-and-set).
	CloseDeadline(ctx context.Context, key, status, note string) (bool, error)
}
