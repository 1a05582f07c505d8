package push

import (
	"context"
	"database/sql"
	"fmt"

	"dutybot/roster"
)

var _ StepStore = (*SQLStore)(nil)

// AdvanceEscalationWith moves e from (fromStep, fromRound) like
// AdvanceEscalation and, when it moved, queues out as pending WeCom messages
// and records sent in the delivery log, all in one transaction: the step's
// alerts are queued exactly when the step moves.
func (s *SQLStore) AdvanceEscalationWith(ctx context.Context, e Escalation, fromStep, fromRound int, out []roster.Outgoing, sent []Sent) (bool, error) {
	var moved bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE escalations SET step = ?, round = ?, next_at = ?, status = ?, closed_at = ?
WHERE id = ? AND status = 'open' AND step = ? AND round = ?`,
			e.Step, e.Round, nullTime(e.NextAt), e.Status, nullTime(e.ClosedAt), e.ID, fromStep, fromRound)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return err
		}
		moved = true
		if err := roster.QueueOutgoingTx(ctx, tx, out, s.clock.Now().UTC()); err != nil {
			return err
		}
		return insertSent(ctx, tx, sent)
	})
	if err != nil {
		return false, fmt.Errorf("advance escalation %s: %w", e.ID, err)
	}
	return moved, nil
}

// CreateEscalationWith stores e like CreateEscalation (CreateEscalationOnce
// when once) and, when it was created, queues the first step's alerts and
// their delivery log that first makes of it, in one transaction: a raise
// is never stored without its first alerts.
func (s *SQLStore) CreateEscalationWith(ctx context.Context, e *Escalation, once bool, first func(Escalation) ([]roster.Outgoing, []Sent)) (bool, error) {
	return s.createEscalation(ctx, e, once, first)
}

// insertSent appends sent to the delivery log inside tx.
func insertSent(ctx context.Context, tx *sql.Tx, sent []Sent) error {
	for _, x := range sent {
		_, err := tx.ExecContext(ctx, `INSERT INTO notifications
(escalation_id, step, round, channel, target, provider_id, status, error, latency_ms, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, x.EscalationID, x.Step, x.Round, string(x.Channel), x.Target, x.ProviderID,
			x.Status, x.Error, x.Latency.Milliseconds(), roster.TimeText(x.At))
		if err != nil {
			return err
		}
	}
	return nil
}
