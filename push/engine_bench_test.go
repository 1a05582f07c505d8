package push

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/timers"
	"dutybot/roster"
)

// BenchmarkRearm100k measures what a restart does with 100,000 open
// escalations: read them from SQLite and arm a timer for each (the design
// target is under 3 s).
func BenchmarkRearm100k(b *testing.B) {
	ctx := context.Background()
	clk := clock.Real{}
	db, err := roster.OpenSQLite(ctx, filepath.Join(b.TempDir(), "rearm.db"), clk)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	policy, err := encodePolicy(DefaultPolicies()[KindMissedCheckin])
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	now := time.Now()
	err = db.Write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO escalations (id, kind, subject, title, urgency, policy, status, next_at, created_at)
VALUES (?, 'missed_checkin', ?, '空岗', 'time-sensitive', ?, 'open', ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range n {
			next := now.Add(time.Duration(rand.Int64N(int64(60 * time.Second))))
			if _, err := stmt.ExecContext(ctx, fmt.Sprintf("E-%06d", i), fmt.Sprint(i), policy, roster.TimeText(next), roster.TimeText(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	store := NewSQLStore(db, clk)
	for b.Loop() {
		start := time.Now()
		open, err := store.OpenEscalations(ctx)
		if err != nil {
			b.Fatal(err)
		}
		timers := timers.New(clk, func(string, time.Time) {})
		for _, e := range open {
			timers.Set(e.ID, e.NextAt)
		}
		if timers.Len() != n {
			b.Fatalf("armed %d, want %d", timers.Len(), n)
		}
		b.ReportMetric(float64(time.Since(start))/float64(time.Millisecond), "rearm-ms")
	}
}
