package roster

import (
	"context"
	"database/sql"
	"time"
)

// QueueOutgoingTx queues msgs as pending outgoing messages created at now,
// inside a transaction another store opened on this database (the
// escalation engine queues a step's alerts with the step's move).
func QueueOutgoingTx(ctx context.Context, tx *sql.Tx, msgs []Outgoing, now time.Time) error {
	return insertOutgoing(ctx, tx, msgs, now)
}
