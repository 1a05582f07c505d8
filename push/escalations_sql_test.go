package push_test

import (
	"context"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/push"
	"dutybot/roster/dbtest"
)

// Escalations are numbered from 1 each day, in the order they are raised;
// a day of another year goes on from that day's last number (ids stay
// unique).
func TestEscalationNumbering(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
		store := push.NewSQLStore(b.Open(t, clk), clk)
		policy := push.DefaultPolicies()[push.KindTest]
		raise := func(at time.Time) string {
			t.Helper()
			e := push.Escalation{Kind: push.KindTest, Subject: at.String(), Title: "测试", Urgency: policy.Urgency, Policy: policy,
				Status: push.StatusOpen, CreatedAt: at, NextAt: at.Add(time.Minute)}
			if err := store.CreateEscalation(ctx, &e); err != nil {
				t.Fatal(err)
			}
			return e.ID
		}
		day := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		tests := []struct {
			at   time.Time
			want string
		}{
			{day, "E1202-001"},
			{day.Add(time.Second), "E1202-002"},
			{day.Add(24 * time.Hour), "E1203-001"},
			{day.Add(2 * time.Second), "E1202-003"},
			{day.AddDate(1, 0, 0), "E1202-004"},
		}
		for _, tt := range tests {
			if got := raise(tt.at); got != tt.want {
				t.Errorf("raised at %s: id %s, want %s", tt.at, got, tt.want)
			}
		}
		for i := 5; i < 1000; i++ { // the 5th to the 999th of the day
			raise(day.Add(time.Duration(i) * time.Second))
		}
		if got := raise(day.Add(time.Hour)); got != "E1202-1000" {
			t.Errorf("the 1,000th of the day: %s, want E1202-1000", got)
		}
	})
}
