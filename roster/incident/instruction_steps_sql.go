package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

// AddRelayRecipients fills in the recipients of an instruction relayed
// without them, once.
func (s *SQLStore) AddRelayRecipients(ctx context.Context, id int64, to string) (Instruction, bool, error) {
	if to == "" {
		return Instruction{}, false, fmt.Errorf("instruction #%d relay recipients: none given", id)
	}
	return s.updateInstruction(ctx, id, "relay recipients", `UPDATE incident_instructions SET relayed_to = ?
WHERE id = ? AND relayed_at IS NOT NULL AND relayed_to = ''`, to, id)
}

// SetInstructionEscalation records the alert of a late relay or feedback,
// once per step.
func (s *SQLStore) SetInstructionEscalation(ctx context.Context, id int64, step, escalationID string) (Instruction, bool, error) {
	var column string
	switch step {
	case StepRelay:
		column = "escalation_id"
	case StepFeedback:
		column = "feedback_escalation_id"
	default:
		return Instruction{}, false, fmt.Errorf("instruction #%d escalation: step %q, want %s or %s", id, step, StepRelay, StepFeedback)
	}
	if escalationID == "" {
		return Instruction{}, false, fmt.Errorf("instruction #%d %s escalation: no escalation id", id, step)
	}
	return s.updateInstruction(ctx, id, step+" escalation", `UPDATE incident_instructions SET `+column+` = ?
WHERE id = ? AND `+column+` = ''`, escalationID, id)
}

// SetInstructionPrompt stores (or replaces) a leader's pending 批示.
func (s *SQLStore) SetInstructionPrompt(ctx context.Context, p InstructionPrompt) error {
	if p.AskedAt.IsZero() {
		p.AskedAt = s.now()
	}
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_instruction_prompts (leader, report_id, asked_at) VALUES (?, ?, ?)
ON CONFLICT (leader) DO UPDATE SET report_id = excluded.report_id, asked_at = excluded.asked_at`,
			p.Leader, p.ReportID, roster.TimeText(p.AskedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store the 批示 prompt of %s on report #%d: %w", p.Leader, p.ReportID, err)
	}
	return nil
}

// TakeInstructionPrompt removes the leader's pending 批示 and returns it
// when it is fresh (asked at or after since), in one transaction, so two
// messages racing cannot both take it.
func (s *SQLStore) TakeInstructionPrompt(ctx context.Context, leader string, since time.Time) (InstructionPrompt, bool, error) {
	var p InstructionPrompt
	var found bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		p, found = InstructionPrompt{}, false // set again on a retry
		var asked string
		err := tx.QueryRowContext(ctx, `SELECT leader, report_id, asked_at FROM incident_instruction_prompts WHERE leader = ?`, leader).
			Scan(&p.Leader, &p.ReportID, &asked)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.AskedAt, err = roster.ParseTimeText(asked); err != nil {
			return err
		}
		found = true
		_, err = tx.ExecContext(ctx, `DELETE FROM incident_instruction_prompts WHERE leader = ?`, leader)
		return err
	})
	if err != nil {
		return InstructionPrompt{}, false, fmt.Errorf("take the 批示 prompt of %s: %w", leader, err)
	}
	if !found || p.AskedAt.Before(since) {
		return InstructionPrompt{}, false, nil
	}
	return p, true, nil
}
