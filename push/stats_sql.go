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
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+escalationColumns+` FROM escalations
WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`, roster.TimeText(from), roster.TimeText(to))
	if err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	defer rows.Close()
	var out []Escalation
	cache := policyCache{}
	for rows.Next() {
		e, err := scanEscalation(rows, cache)
		if err != nil {
			return nil, fmt.Errorf("list escalations: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	return out, nil
}

// NotificationsBetween lists the delivery log of from..to (to excluded),
// oldest first.
func (s *SQLStore) NotificationsBetween(ctx context.Context, from, to time.Time) ([]Sent, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, escalation_id, step, round, channel, target, provider_id,
status, error, latency_ms, at FROM notifications WHERE at >= ? AND at < ? ORDER BY at, id`, roster.TimeText(from), roster.TimeText(to))
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	var out []Sent
	for rows.Next() {
		var x Sent
		var channel, at string
		var ms int64
		if err := rows.Scan(&x.ID, &x.EscalationID, &x.Step, &x.Round, &channel, &x.Target, &x.ProviderID,
			&x.Status, &x.Error, &ms, &at); err != nil {
			return nil, fmt.Errorf("list notifications: %w", err)
		}
		x.Channel, x.Latency = Channel(channel), time.Duration(ms)*time.Millisecond
		if x.At, err = roster.ParseTimeText(at); err != nil {
			return nil, fmt.Errorf("list notifications: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}
