package duty

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/timers"
	"dutybot/roster"
)

// BenchmarkRearmDeadlines measures what a restart does with many open duty
// deadlines: read them all from SQLite and arm them on the heap. 20,000 is
// about a year of deadlines for an office of 30 people on two shifts.
func BenchmarkRearmDeadlines(b *testing.B) {
	const n = 20000
	ctx := context.Background()
	clk := clock.NewFake(schedStart)
	db, err := roster.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"), clk)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store := NewSQLStore(db, clk)
	batch := make([]Deadline, 0, 1000)
	for i := range n {
		batch = append(batch, Deadline{Key: fmt.Sprintf("checkin_grace/%d", i), Kind: KindCheckinGrace,
			Date: roster.NewDate(2026, 12, 2), Shift: "白班", UserID: "zhangsan", DueAt: schedStart.Add(time.Duration(i) * time.Minute)})
		if len(batch) == cap(batch) {
			if _, err := store.AddDeadlines(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for b.Loop() {
		open, err := store.OpenDeadlines(ctx)
		if err != nil {
			b.Fatal(err)
		}
		heap := timers.New(clk, func(string, time.Time) {})
		for _, d := range open {
			heap.Set(d.Key, d.DueAt)
		}
		if heap.Len() != n {
			b.Fatalf("armed %d, want %d", heap.Len(), n)
		}
	}
	b.ReportMetric(float64(n), "deadlines")
}
