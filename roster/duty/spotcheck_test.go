package duty_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
	"dutybot/roster/duty"
)

// t0 is 09:00 Shanghai on 2026-12-02.
var spotT0 = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)

func newSpotStore(t *testing.T, backend dbtest.Backend) (*duty.SQLStore, *clock.Fake) {
	t.Helper()
	db, clk := openTestDB(t, backend, spotT0, officers("zhangsan", "lisi")...)
	return duty.NewSQLStore(db, clk), clk
}

func newCheck(user, trigger string) duty.SpotCheck {
	return duty.SpotCheck{Date: roster.NewDate(2026, 12, 2), Shift: "白班", UserID: user, RequestedBy: "wangwu",
		Trigger: trigger, DueAt: spotT0.Add(5 * time.Minute)}
}

func TestSpotCheckCreateAndGet(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, _ := newSpotStore(t, backend)
		c, created, err := st.CreateSpotCheck(ctx, newCheck("zhangsan", ""))
		if err != nil || !created || c.ID == 0 {
			t.Fatalf("CreateSpotCheck = %+v, %v, %v; want a new check", c, created, err)
		}
		got, err := st.SpotCheck(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != duty.SpotPending || got.UserID != "zhangsan" || got.Shift != "白班" || got.RequestedBy != "wangwu" ||
			!got.DueAt.Equal(spotT0.Add(5*time.Minute)) || !got.CreatedAt.Equal(spotT0) || !got.SentAt.IsZero() || !got.AnsweredAt.IsZero() {
			t.Errorf("stored check = %+v", got)
		}
		if err := st.MarkSpotCheckSent(ctx, c.ID, spotT0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkSpotCheckSent(ctx, c.ID, spotT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.SpotCheck(ctx, c.ID); !got.SentAt.Equal(spotT0.Add(time.Second)) {
			t.Errorf("sent_at = %s, want the first mark %s", got.SentAt, spotT0.Add(time.Second))
		}
		if _, err := st.SpotCheck(ctx, 999); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("SpotCheck(999) error = %v, want ErrNotFound", err)
		}
		// A manual check twice is two checks; a triggered one is found again.
		c2, created, err := st.CreateSpotCheck(ctx, newCheck("zhangsan", ""))
		if err != nil || !created || c2.ID == c.ID {
			t.Errorf("second manual check = %+v, %v, %v; want a new one", c2, created, err)
		}
		r1, created1, err := st.CreateSpotCheck(ctx, newCheck("zhangsan", "spot_check_random/2026-12-02/1"))
		if err != nil || !created1 {
			t.Fatalf("triggered check: %v, created %v", err, created1)
		}
		r2, created2, err := st.CreateSpotCheck(ctx, newCheck("zhangsan", "spot_check_random/2026-12-02/1"))
		if err != nil || created2 || r2.ID != r1.ID {
			t.Errorf("triggered check again = #%d created %v, %v; want #%d not created", r2.ID, created2, err, r1.ID)
		}
		r3, created3, err := st.CreateSpotCheck(ctx, newCheck("lisi", "spot_check_random/2026-12-02/1"))
		if err != nil || !created3 || r3.ID == r1.ID {
			t.Errorf("same trigger, other officer = #%d created %v, %v; want a new check", r3.ID, created3, err)
		}
		if _, _, err := st.CreateSpotCheck(ctx, duty.SpotCheck{UserID: "zhangsan"}); err == nil {
			t.Error("CreateSpotCheck without date, shift, requester and due time succeeded")
		}
	})
}

func TestSpotCheckAnswer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		due := spotT0.Add(5 * time.Minute)
		for _, tc := range []struct {
			name       string
			missFirst  bool
			at         time.Time
			wantStatus string
			wantLate   bool
		}{
			{"in time", false, spotT0.Add(80 * time.Second), duty.SpotAnswered, false},
			{"at the deadline", false, due, duty.SpotAnswered, false},
			{"late, before the deadline was acted on", false, due.Add(time.Second), duty.SpotMissed, true},
			{"late, after it was marked missed", true, due.Add(2 * time.Minute), duty.SpotMissed, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				st, _ := newSpotStore(t, backend)
				c, _, err := st.CreateSpotCheck(ctx, newCheck("zhangsan", ""))
				if err != nil {
					t.Fatal(err)
				}
				if tc.missFirst {
					if _, changed, err := st.MissSpotCheck(ctx, c.ID); err != nil || !changed {
						t.Fatalf("MissSpotCheck = %v, %v", changed, err)
					}
				}
				got, changed, err := st.AnswerSpotCheck(ctx, c.ID, duty.SpotViaChat, tc.at)
				if err != nil || !changed {
					t.Fatalf("AnswerSpotCheck = %v, %v; want changed", changed, err)
				}
				if got.Status != tc.wantStatus || !got.AnsweredAt.Equal(tc.at) || got.Via != duty.SpotViaChat || got.Late() != tc.wantLate {
					t.Errorf("answered = %+v (late %v); want %s at %s, late %v", got, got.Late(), tc.wantStatus, tc.at, tc.wantLate)
				}
				stored, _ := st.SpotCheck(ctx, c.ID)
				if stored.Status != tc.wantStatus || !stored.AnsweredAt.Equal(tc.at) || stored.Via != duty.SpotViaChat {
					t.Errorf("stored = %+v", stored)
				}
				// Once answered, nothing changes it: not a second answer, not the deadline.
				again, changed, err := st.AnswerSpotCheck(ctx, c.ID, duty.SpotViaButton, tc.at.Add(time.Minute))
				if err != nil || changed || !again.AnsweredAt.Equal(tc.at) || again.Via != duty.SpotViaChat {
					t.Errorf("second answer = %+v, %v, %v; want unchanged", again, changed, err)
				}
				if m, changed, err := st.MissSpotCheck(ctx, c.ID); err != nil || changed || m.Status != tc.wantStatus {
					t.Errorf("MissSpotCheck after the answer = %s, %v, %v; want %s unchanged", m.Status, changed, err, tc.wantStatus)
				}
			})
		}
	})
}

func TestSpotCheckMissAndEscalation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, _ := newSpotStore(t, backend)
		c, _, err := st.CreateSpotCheck(ctx, newCheck("zhangsan", ""))
		if err != nil {
			t.Fatal(err)
		}
		m, changed, err := st.MissSpotCheck(ctx, c.ID)
		if err != nil || !changed || m.Status != duty.SpotMissed {
			t.Fatalf("MissSpotCheck = %+v, %v, %v", m, changed, err)
		}
		if _, changed, err := st.MissSpotCheck(ctx, c.ID); err != nil || changed {
			t.Errorf("second MissSpotCheck changed = %v, %v; want false", changed, err)
		}
		if err := st.SetSpotCheckEscalation(ctx, c.ID, "E1202-001"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.SpotCheck(ctx, c.ID); got.EscalationID != "E1202-001" {
			t.Errorf("escalation = %q", got.EscalationID)
		}
		if _, _, err := st.MissSpotCheck(ctx, 999); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("MissSpotCheck(999) = %v, want ErrNotFound", err)
		}
		if _, _, err := st.AnswerSpotCheck(ctx, 999, duty.SpotViaChat, spotT0); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("AnswerSpotCheck(999) = %v, want ErrNotFound", err)
		}
		if err := st.SetSpotCheckEscalation(ctx, 999, "E1"); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("SetSpotCheckEscalation(999) = %v, want ErrNotFound", err)
		}
	})
}

func TestSpotCheckLists(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, clk := newSpotStore(t, backend)
		create := func(user string) duty.SpotCheck {
			t.Helper()
			c := newCheck(user, "")
			c.DueAt = clk.Now().Add(5 * time.Minute)
			c, _, err := st.CreateSpotCheck(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		old := create("zhangsan") // 09:00, will be missed and never answered
		if _, _, err := st.MissSpotCheck(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Hour)
		answered := create("zhangsan") // 11:00, answered
		if _, _, err := st.AnswerSpotCheck(ctx, answered.ID, duty.SpotViaButton, clk.Now()); err != nil {
			t.Fatal(err)
		}
		recentMiss := create("zhangsan") // 11:00, missed
		if _, _, err := st.MissSpotCheck(ctx, recentMiss.ID); err != nil {
			t.Fatal(err)
		}
		pending := create("zhangsan") // 11:00, pending
		other := create("lisi")

		ids := func(cs []duty.SpotCheck) []int64 {
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		equal := func(a, b []int64) bool {
			if len(a) != len(b) {
				return false
			}
			for i := range a {
				if a[i] != b[i] {
					return false
				}
			}
			return true
		}
		for _, tc := range []struct {
			name      string
			lateSince time.Time
			want      []int64
		}{
			{"missed ones an hour back", clk.Now().Add(-time.Hour), []int64{recentMiss.ID, pending.ID}},
			{"every missed one", time.Time{}, []int64{old.ID, recentMiss.ID, pending.ID}},
			{"pending only", clk.Now().Add(time.Hour), []int64{pending.ID}},
		} {
			got, err := st.PendingSpotChecks(ctx, "zhangsan", tc.lateSince)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(ids(got), tc.want) {
				t.Errorf("%s: PendingSpotChecks = %v, want %v", tc.name, ids(got), tc.want)
			}
		}
		all, err := st.SpotChecks(ctx, spotT0, clk.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{old.ID, answered.ID, recentMiss.ID, pending.ID, other.ID}; !equal(ids(all), want) {
			t.Errorf("SpotChecks(all) = %v, want %v", ids(all), want)
		}
		late, err := st.SpotChecks(ctx, spotT0.Add(time.Hour), clk.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(late) != 4 || late[0].ID != answered.ID || late[0].Status != duty.SpotAnswered || late[0].Via != duty.SpotViaButton {
			t.Errorf("SpotChecks(from 10:00) = %+v", late)
		}
		none, err := st.SpotChecks(ctx, spotT0, spotT0) // [from, to): empty
		if err != nil || len(none) != 0 {
			t.Errorf("SpotChecks(empty range) = %v, %v", ids(none), err)
		}
	})
}
