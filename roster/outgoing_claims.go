package roster

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ClaimOutgoing claims for owner, until until, the first limit pending
// outgoing messages with id > afterID that no other instance holds an
// unexpired claim on (owner's own claims are extended), and returns them,
// oldest first. Instances sharing the database send only what they claimed,
// so no message is sent by two of them; a dead instance's claims lapse and
// another picks its messages up. limit must be positive.
func (s *SQLStore) ClaimOutgoing(ctx context.Context, owner string, afterID int64, limit int, until time.Time) ([]Outgoing, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("claim outgoing messages: limit %d is not positive", limit)
	}
	if owner == "" {
		return nil, fmt.Errorf("claim outgoing messages: empty owner")
	}
	now := TimeText(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outgoing_messages SET claimed_by = ?, claimed_until = ?
WHERE id IN (
    SELECT id FROM outgoing_messages
    WHERE status = ? AND id > ? AND (claimed_by = '' OR claimed_by = ? OR claimed_until IS NULL OR claimed_until < ?)
    ORDER BY id LIMIT ?)`, owner, TimeText(until.UTC()), OutPending, afterID, owner, now, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outgoing messages: %w", err)
	}
	out, err := s.queryOutgoing(ctx, `WHERE status = ? AND claimed_by = ? AND id > ? ORDER BY id LIMIT ?`, OutPending, owner, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("claim outgoing messages: %w", err)
	}
	return out, nil
}
