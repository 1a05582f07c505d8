package roster

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"dutybot/internal/clock"
)

// Migration 16 starts each day's escalation counter at the number of
// escalations that day already has, so numbering goes on where counting
// left off.
func TestMigrationEscalationNumbersCountsExisting(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "m.db")+"?_txlock=immediate&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	clk := clock.NewFake(time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC))
	ms, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var before []migration
	for _, m := range ms {
		if m.version < 16 {
			before = append(before, m)
		}
	}
	if err := migrate(ctx, db, sqliteDialect(), before, clk); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"E1202-001", "E1202-002", "E1202-003", "E1203-001"} {
		if _, err := db.Exec(`INSERT INTO escalations (id, kind, subject, title, body, urgency, policy, status, step, round, created_at)
VALUES (?, 'test', ?, 't', 'b', 'critical', '{}', 'open', 0, 0, '2026-12-02T00:00:00.000000000Z')`, id, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate(ctx, db, sqliteDialect(), ms, clk); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   int
	}{
		{"E1202-", 3},
		{"E1203-", 1},
		{"E1204-", 0}, // no row: the first raise that day inserts 1
	}
	for _, tt := range tests {
		var got int
		err := db.QueryRow(`SELECT last_number FROM escalation_numbers WHERE prefix = ?`, tt.prefix).Scan(&got)
		if tt.want == 0 {
			if err != sql.ErrNoRows {
				t.Errorf("%s: last_number %d, %v; want no row", tt.prefix, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: last_number %d, %v; want %d", tt.prefix, got, err, tt.want)
		}
	}
}
