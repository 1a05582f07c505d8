package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

var _ InstructionStore = (*SQLStore)(nil)

const instructionColumns = `id, report_id, leader, content, issued_at, officer, relay_due, relayed_at, relayed_to,
feedback_due, feedback_at, feedback_by, feedback, status, escalation_id, feedback_escalation_id`

// CreateInstruction stores a new 批示 as delivered.
func (s *SQLStore) CreateInstruction(ctx context.Context, in Instruction) (Instruction, error) {
	if in.IssuedAt.IsZero() {
		in.IssuedAt = s.now()
	}
	in.Status = InstructionDelivered
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO incident_instructions (report_id, leader, content, issued_at, officer,
relay_due, feedback_due, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.ReportID, in.Leader, in.Content, roster.TimeText(in.IssuedAt), in.Officer, roster.TimeText(in.RelayDue),
			roster.TimeText(in.FeedbackDue), in.Status).Scan(&in.ID)
	})
	if err != nil {
		return Instruction{}, fmt.Errorf("create instruction on report #%d: %w", in.ReportID, err)
	}
	return in, nil
}

// Instruction returns the instruction with id.
func (s *SQLStore) Instruction(ctx context.Context, id int64) (Instruction, error) {
	in, err := scanInstruction(s.db.Reader().QueryRowContext(ctx, `SELECT `+instructionColumns+` FROM incident_instructions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Instruction{}, fmt.Errorf("instruction #%d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Instruction{}, fmt.Errorf("instruction #%d: %w", id, err)
	}
	return in, nil
}

// InstructionsOf lists a report's instructions, oldest first.
func (s *SQLStore) InstructionsOf(ctx context.Context, reportID int64) ([]Instruction, error) {
	list, err := roster.QueryAll(ctx, s.db.Reader(), scanInstruction,
		`SELECT `+instructionColumns+` FROM incident_instructions WHERE report_id = ? ORDER BY id`, reportID)
	return list, wrapList(fmt.Sprintf("instructions of report #%d", reportID), err)
}

// Instructions lists the instructions issued from..to (to excluded).
func (s *SQLStore) Instructions(ctx context.Context, from, to time.Time) ([]Instruction, error) {
	list, err := roster.QueryAll(ctx, s.db.Reader(), scanInstruction,
		`SELECT `+instructionColumns+` FROM incident_instructions WHERE issued_at >= ? AND issued_at < ? ORDER BY issued_at, id`,
		roster.TimeText(from), roster.TimeText(to))
	return list, wrapList("instructions", err)
}

func scanInstruction(row rowScanner) (Instruction, error) {
	var in Instruction
	var issued, relayDue, feedbackDue string
	var relayed, fedBack sql.NullString
	err := row.Scan(&in.ID, &in.ReportID, &in.Leader, &in.Content, &issued, &in.Officer, &relayDue, &relayed, &in.RelayedTo,
		&feedbackDue, &fedBack, &in.FeedbackBy, &in.Feedback, &in.Status, &in.EscalationID,
		&in.FeedbackEscalationID)
	if err != nil {
		return Instruction{}, err
	}
	return in, parseTimes(
		timeField{issued, &in.IssuedAt, true}, timeField{relayDue, &in.RelayDue, true}, timeField{feedbackDue, &in.FeedbackDue, true},
		timeField{relayed.String, &in.RelayedAt, relayed.Valid}, timeField{fedBack.String, &in.FeedbackAt, fedBack.Valid},
	)
}
