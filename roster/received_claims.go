package roster

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ClaimReceived claims for owner, until until, up to limit unprocessed
// callbacks whose claim has lapsed (or that never had one), and returns
// them, oldest first. Instances sharing the database claim a callback when
// they accept it and renew the claim while it waits or is processed
// (RenewReceived); when an instance dies its claims lapse and another one
// takes its callbacks over here. CompleteReceived stays the guard that a
// callback is answered once. limit must be positive.
func (s *SQLStore) ClaimReceived(ctx context.Context, owner string, limit int, until time.Time) ([]Received, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("claim received callbacks: limit %d is not positive", limit)
	}
	if owner == "" {
		return nil, fmt.Errorf("claim received callbacks: empty owner")
	}
	now := TimeText(s.now())
	var rs []Received
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rs = nil // set again on a PostgreSQL retry
		rows, err := tx.QueryContext(ctx, `UPDATE received_messages SET claimed_by = ?, claimed_until = ?
WHERE id IN (
    SELECT id FROM received_messages
    WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)
    ORDER BY id LIMIT ?)
  AND processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)
RETURNING id, dedup_key, from_user, msg_type, event, content, raw, received_at`,
			owner, TimeText(until.UTC()), now, limit, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := Received{ClaimedBy: owner, ClaimedUntil: until.UTC()}
			var receivedAt string
			if err := rows.Scan(&r.ID, &r.DedupKey, &r.FromUser, &r.MsgType, &r.Event, &r.Content, &r.Raw, &receivedAt); err != nil {
				return err
			}
			if r.ReceivedAt, err = parseTime(receivedAt); err != nil {
				return fmt.Errorf("id %d: %w", r.ID, err)
			}
			rs = append(rs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim received callbacks: %w", err)
	}
	slices.SortFunc(rs, func(a, b Received) int { return cmp.Compare(a.ID, b.ID) })
	return rs, nil
}

// RenewReceived extends to until owner's claims on the unprocessed
// callbacks ids (a claim another instance took over is left alone). It
// reports how many claims it renewed.
func (s *SQLStore) RenewReceived(ctx context.Context, owner string, ids []int64, until time.Time) (int, error) {
	var total int
	for chunk := range slices.Chunk(ids, 500) {
		args := []any{TimeText(until.UTC()), owner}
		for _, id := range chunk {
			args = append(args, id)
		}
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE received_messages SET claimed_until = ?
WHERE claimed_by = ? AND processed_at IS NULL AND id IN (`+strings.Repeat("?, ", len(chunk)-1)+`?)`, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("renew claims on received callbacks: %w", err)
		}
		total += int(n)
	}
	return total, nil
}
