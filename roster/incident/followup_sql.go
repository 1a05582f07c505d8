package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

// AddFollowUp stores a follow-up and moves (or, for a 终报, closes) its
// report, in one transaction.
func (s *SQLStore) AddFollowUp(ctx context.Context, f FollowUp, next time.Time) (FollowUp, Report, error) {
	if f.Kind != FollowUpUpdate && f.Kind != FollowUpFinal {
		return FollowUp{}, Report{}, fmt.Errorf("follow-up on report #%d: kind %q, want %s or %s", f.ReportID, f.Kind, FollowUpUpdate, FollowUpFinal)
	}
	if f.At.IsZero() {
		f.At = s.now()
	}
	var r Report
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanReport(tx.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM incident_reports WHERE id = ?`, f.ReportID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if r.Status == ReportClosed {
			return ErrClosed
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO incident_followups (report_id, kind, content, by_user, at, late_seconds)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, f.ReportID, f.Kind, f.Content, f.By, roster.TimeText(f.At), int64(f.LateBy/time.Second)).Scan(&f.ID)
		if err != nil {
			return err
		}
		r.NextFollowUpAt = next
		if f.Kind == FollowUpFinal {
			r.Status, r.ClosedAt, r.NextFollowUpAt = ReportClosed, f.At, time.Time{}
		}
		_, err = tx.ExecContext(ctx, `UPDATE incident_reports SET status = ?, closed_at = ?, next_followup_at = ? WHERE id = ?`,
			r.Status, roster.NullTimeText(r.ClosedAt), roster.NullTimeText(r.NextFollowUpAt), r.ID)
		return err
	})
	if err != nil {
		return FollowUp{}, Report{}, fmt.Errorf("follow-up on report #%d: %w", f.ReportID, err)
	}
	return f, r, nil
}

// FollowUps lists a report's follow-ups, oldest first.
func (s *SQLStore) FollowUps(ctx context.Context, reportID int64) ([]FollowUp, error) {
	list, err := roster.QueryAll(ctx, s.db.Reader(), scanFollowUp,
		`SELECT id, report_id, kind, content, by_user, at, late_seconds FROM incident_followups WHERE report_id = ? ORDER BY id`, reportID)
	return list, wrapList(fmt.Sprintf("follow-ups of report #%d", reportID), err)
}

func scanFollowUp(row rowScanner) (FollowUp, error) {
	var f FollowUp
	var at string
	var late int64
	if err := row.Scan(&f.ID, &f.ReportID, &f.Kind, &f.Content, &f.By, &at, &late); err != nil {
		return FollowUp{}, err
	}
	f.LateBy = time.Duration(late) * time.Second
	return f, parseTimes(timeField{at, &f.At, true})
}

// RecordRelay marks an instruction relayed, once.
func (s *SQLStore) RecordRelay(ctx context.Context, id int64, to string, at time.Time) (Instruction, bool, error) {
	return s.updateInstruction(ctx, id, "relay", `UPDATE incident_instructions SET relayed_at = ?, relayed_to = ?, status = ?
WHERE id = ? AND relayed_at IS NULL`, roster.TimeText(at), to, InstructionRelayed, id)
}

// RecordFeedback records the feedback and closes the instruction, once.
// An instruction fed back before it was marked relayed counts as relayed
// then too.
func (s *SQLStore) RecordFeedback(ctx context.Context, id int64, by, feedback string, at time.Time) (Instruction, bool, error) {
	return s.updateInstruction(ctx, id, "feedback", `UPDATE incident_instructions SET feedback_at = ?, feedback_by = ?, feedback = ?,
status = ?, relayed_at = COALESCE(relayed_at, ?) WHERE id = ? AND feedback_at IS NULL`,
		roster.TimeText(at), by, feedback, InstructionFedBack, roster.TimeText(at), id)
}

// updateInstruction runs a compare-and-set update on instruction id and
// returns the row as it is afterwards and whether the update applied.
func (s *SQLStore) updateInstruction(ctx context.Context, id int64, what, update string, args ...any) (Instruction, bool, error) {
	var in Instruction
	var changed bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, update, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		changed = n == 1
		in, err = scanInstruction(tx.QueryRowContext(ctx, `SELECT `+instructionColumns+` FROM incident_instructions WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return Instruction{}, false, fmt.Errorf("instruction #%d %s: %w", id, what, err)
	}
	return in, changed, nil
}
