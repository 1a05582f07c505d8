package push

import (
	"context"
	"fmt"
	"time"

	"dutybot/roster"
)

// EscalationsBetween lists the escalations raised from..to (to excluded),
// oldest first, whatever their status: the statistics and the daily
// bulletin read them.
func (s *SQLStore) EscalationsBetween(ctx context.Context, from, to time.Time) ([]Escalation, error) {
	out, err := s.queryEscalations(ctx, `WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`, roster.TimeText(from), roster.TimeText(to))
	if err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	return out, nil
}

// NotificationsBetween lists the delivery log of from..to (to excluded),
// oldest first.
func (s *SQLStore) NotificationsBetween(ctx context.Context, from, to time.Time) ([]Sent, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+sentColumns+` FROM notifications WHERE at >= ? AND at < ? ORDER BY at, id`,
		roster.TimeText(from), roster.TimeText(to))
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	out, err := scanSent(rows)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}
