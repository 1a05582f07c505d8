package duty_test

import (
	"context"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

// openTestDB opens a fresh database whose clock reads now, with members
// in it; it is closed when the test ends.
func openTestDB(t *testing.T, backend dbtest.Backend, now time.Time, members ...roster.Member) (*roster.SQLStore, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(now)
	db, err := roster.Open(ctx, backend.NewDB(t), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range members {
		if err := db.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return db, clk
}

// officers are active officers named by their userids.
func officers(ids ...string) []roster.Member {
	out := make([]roster.Member, len(ids))
	for i, id := range ids {
		out[i] = roster.Member{UserID: id, Name: id, Roles: []roster.Role{roster.RoleOfficer}, Active: true}
	}
	return out
}
