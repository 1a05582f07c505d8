package push

import (
	"context"
	"database/sql"

	"dutybot/internal/clock"
)

// Database is the shared store push keeps its tables in (roster.SQLStore
// satisfies it): writes go through its single committer, reads through its
// read-only pool. The tables come from the shared migrations (0003_push.sql).
type Database interface {
	Write(ctx context.Context, fn func(tx *sql.Tx) error) error
	Reader() *sql.DB
}

// SQLStore keeps devices, pairing codes, escalations and the delivery log.
type SQLStore struct {
	db    Database
	clock clock.Clock
}

// NewSQLStore returns push's store over db.
func NewSQLStore(db Database, clk clock.Clock) *SQLStore {
	return &SQLStore{db: db, clock: clk}
}
