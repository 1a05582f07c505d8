package duty_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
	"dutybot/roster/duty"
)

func newCheckinStore(t *testing.T, backend dbtest.Backend) (*duty.SQLStore, *clock.Fake) {
	t.Helper()
	db, clk := openTestDB(t, backend, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), officers("zhangsan", "lisi")...)
	return duty.NewSQLStore(db, clk), clk
}

func TestCheckinStatus(t *testing.T) {
	start := time.Date(2026, 12, 2, 0, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		at     time.Duration // from the start
		status string
		late   int
	}{
		{-30 * time.Minute, duty.CheckinEarly, 0},
		{-10 * time.Minute, duty.CheckinEarly, 0},
		{-9*time.Minute - 59*time.Second, duty.CheckinOnTime, 0},
		{0, duty.CheckinOnTime, 0},
		{time.Second, duty.CheckinLate, 1},
		{15 * time.Minute, duty.CheckinLate, 15},
		{15*time.Minute + time.Second, duty.CheckinLate, 16},
	} {
		status, late := duty.CheckinStatus(start, start.Add(tc.at))
		if status != tc.status || late != tc.late {
			t.Errorf("check-in at start%+v: %s %d, want %s %d", tc.at, status, late, tc.status, tc.late)
		}
	}
	end := start.Add(9 * time.Hour)
	for _, tc := range []struct {
		at     time.Duration // from the end
		status string
		early  int
	}{
		{0, duty.CheckoutNormal, 0},
		{20 * time.Minute, duty.CheckoutNormal, 0},
		{-time.Second, duty.CheckoutEarly, 1},
		{-90 * time.Minute, duty.CheckoutEarly, 90},
	} {
		status, early := duty.CheckoutStatus(end, end.Add(tc.at))
		if status != tc.status || early != tc.early {
			t.Errorf("check-out at end%+v: %s %d, want %s %d", tc.at, status, early, tc.status, tc.early)
		}
	}
}

func TestCheckinStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		s, clk := newCheckinStore(t, backend)
		day := roster.NewDate(2026, 12, 2)
		at := clk.Now()
		in := duty.Checkin{Date: day, Shift: "白班", UserID: "zhangsan", Role: roster.RoleOfficer, At: at,
			Status: duty.CheckinEarly, Via: duty.ViaLocation, HasLocation: true, Latitude: 39.9, Longitude: 116.4, Distance: 35}
		c, added, err := s.AddCheckin(ctx, in)
		if err != nil || !added {
			t.Fatalf("AddCheckin = %v, %v; want added", added, err)
		}
		if c.ID == 0 || !c.At.Equal(at) || !c.HasLocation || c.Distance != 35 || c.Role != roster.RoleOfficer || c.Via != duty.ViaLocation {
			t.Errorf("stored check-in = %+v", c)
		}
		// Twice: the first stays.
		again := in
		again.At, again.Status, again.HasLocation = at.Add(time.Hour), duty.CheckinLate, false
		c2, added, err := s.AddCheckin(ctx, again)
		if err != nil || added || c2.ID != c.ID || !c2.At.Equal(at) || c2.Status != duty.CheckinEarly {
			t.Errorf("second AddCheckin = %+v, %v, %v; want the first one, not added", c2, added, err)
		}
		// Another member, another shift, another day.
		for _, o := range []duty.Checkin{
			{Date: day, Shift: "白班", UserID: "lisi", Role: roster.RoleLeader, At: at.Add(time.Minute), Status: duty.CheckinOnTime, Via: duty.ViaChat},
			{Date: day, Shift: "夜班", UserID: "zhangsan", Role: roster.RoleOfficer, At: at.Add(9 * time.Hour), Status: duty.CheckinLate, MinutesLate: 3, Via: duty.ViaHandover},
			{Date: day.AddDays(1), Shift: "白班", UserID: "lisi", Role: roster.RoleOfficer, At: at.Add(24 * time.Hour), Status: duty.CheckinOnTime, Via: duty.ViaChat},
		} {
			if _, added, err := s.AddCheckin(ctx, o); err != nil || !added {
				t.Fatalf("AddCheckin(%s/%s/%s) = %v, %v", o.Date, o.Shift, o.UserID, added, err)
			}
		}
		got, err := s.Checkin(ctx, day, "夜班", "zhangsan")
		if err != nil || got.MinutesLate != 3 || got.Via != duty.ViaHandover || got.HasLocation {
			t.Errorf("Checkin(夜班) = %+v, %v", got, err)
		}
		if _, err := s.Checkin(ctx, day, "夜班", "lisi"); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("Checkin of nobody: %v, want ErrNotFound", err)
		}
		slot, err := s.SlotCheckins(ctx, day, "白班")
		if err != nil || len(slot) != 2 || slot[0].UserID != "zhangsan" || slot[1].UserID != "lisi" {
			t.Errorf("SlotCheckins(白班) = %+v, %v", slot, err)
		}
		all, err := s.Checkins(ctx, day, day)
		if err != nil || len(all) != 3 {
			t.Errorf("Checkins(day) = %d, %v; want 3", len(all), err)
		}

		// Check-out once.
		outAt := at.Add(8 * time.Hour)
		c3, done, err := s.CheckOut(ctx, c.ID, outAt, duty.CheckoutEarly, 60)
		if err != nil || !done || !c3.CheckedOutAt.Equal(outAt) || c3.CheckoutStatus != duty.CheckoutEarly || c3.MinutesEarly != 60 {
			t.Errorf("CheckOut = %+v, %v, %v", c3, done, err)
		}
		c4, done, err := s.CheckOut(ctx, c.ID, outAt.Add(time.Hour), duty.CheckoutNormal, 0)
		if err != nil || done || !c4.CheckedOutAt.Equal(outAt) || c4.CheckoutStatus != duty.CheckoutEarly {
			t.Errorf("second CheckOut = %+v, %v, %v; want the first kept", c4, done, err)
		}
		if _, _, err := s.CheckOut(ctx, c.ID, outAt, "gone", 0); err == nil {
			t.Error("CheckOut with a bad status: no error")
		}
	})
}

func TestAbsenceStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		s, clk := newCheckinStore(t, backend)
		day := roster.NewDate(2026, 12, 2)
		miss := duty.Absence{Kind: duty.AbsenceMissedCheckin, Date: day, Shift: "白班", UserID: "zhangsan", DetectedAt: clk.Now()}
		a, added, err := s.AddAbsence(ctx, miss)
		if err != nil || !added || a.ID == 0 || a.EscalationID != "" || !a.ResolvedAt.IsZero() {
			t.Fatalf("AddAbsence = %+v, %v, %v", a, added, err)
		}
		// A re-run records once.
		a2, added, err := s.AddAbsence(ctx, miss)
		if err != nil || added || a2.ID != a.ID {
			t.Errorf("second AddAbsence = %+v, %v, %v; want the first, not added", a2, added, err)
		}
		if err := s.SetAbsenceEscalation(ctx, a.ID, "E1202-001"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAbsenceEscalation(ctx, 999, "E"); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("SetAbsenceEscalation(999) = %v, want ErrNotFound", err)
		}
		resolvedAt := clk.Now().Add(15 * time.Minute)
		r, done, err := s.ResolveAbsence(ctx, a.ID, resolvedAt, "late_checkin")
		if err != nil || !done || !r.ResolvedAt.Equal(resolvedAt) || r.Resolution != "late_checkin" || r.EscalationID != "E1202-001" {
			t.Errorf("ResolveAbsence = %+v, %v, %v", r, done, err)
		}
		r2, done, err := s.ResolveAbsence(ctx, a.ID, resolvedAt.Add(time.Hour), "handover")
		if err != nil || done || r2.Resolution != "late_checkin" {
			t.Errorf("second ResolveAbsence = %+v, %v, %v; want the first kept", r2, done, err)
		}
		got, err := s.Absence(ctx, duty.AbsenceMissedCheckin, day, "白班", "zhangsan")
		if err != nil || got.ID != a.ID || got.ResolvedAt.IsZero() {
			t.Errorf("Absence = %+v, %v", got, err)
		}
		if _, err := s.Absence(ctx, duty.AbsenceMissedCheckin, day, "夜班", "zhangsan"); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("Absence of nothing: %v, want ErrNotFound", err)
		}

		// Checked in first: no missed check-in is recorded.
		if _, _, err := s.AddCheckin(ctx, duty.Checkin{Date: day, Shift: "夜班", UserID: "lisi", Role: roster.RoleOfficer,
			At: clk.Now(), Status: duty.CheckinOnTime, Via: duty.ViaChat}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddAbsence(ctx, duty.Absence{Kind: duty.AbsenceMissedCheckin, Date: day, Shift: "夜班", UserID: "lisi"}); !errors.Is(err, duty.ErrCheckedIn) {
			t.Errorf("AddAbsence after a check-in = %v, want ErrCheckedIn", err)
		}
		if _, _, err := s.AddAbsence(ctx, duty.Absence{Kind: duty.AbsenceMissedCheckin, Date: day.AddDays(1), Shift: "白班", UserID: "lisi"}); err != nil {
			t.Fatal(err)
		}
		list, err := s.Absences(ctx, day, day)
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Errorf("Absences(day) = %+v, %v; want the one", list, err)
		}
		list, err = s.Absences(ctx, day, day.AddDays(1))
		if err != nil || len(list) != 2 {
			t.Errorf("Absences(two days) = %d, %v; want 2", len(list), err)
		}
	})
}

func TestLocationsAndWaits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		s, clk := newCheckinStore(t, backend)
		if _, err := s.LastLocation(ctx, "zhangsan"); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("LastLocation before any = %v, want ErrNotFound", err)
		}
		for i, l := range []duty.Location{
			{UserID: "zhangsan", Latitude: 39.9, Longitude: 116.4, Source: "location", At: clk.Now()},
			{UserID: "zhangsan", Latitude: 39.91, Longitude: 116.41, Source: "eventLOCATION", At: clk.Now().Add(time.Minute)},
		} {
			if err := s.SaveLocation(ctx, l); err != nil {
				t.Fatalf("SaveLocation %d: %v", i, err)
			}
		}
		l, err := s.LastLocation(ctx, "zhangsan")
		if err != nil || l.Latitude != 39.91 || l.Source != "eventLOCATION" || !l.At.Equal(clk.Now().Add(time.Minute)) {
			t.Errorf("LastLocation = %+v, %v; want the latest", l, err)
		}

		w := duty.CheckinWait{UserID: "zhangsan", Date: roster.NewDate(2026, 12, 2), Shift: "白班", AskedAt: clk.Now()}
		if err := s.SetCheckinWait(ctx, w); err != nil {
			t.Fatal(err)
		}
		w.Shift = "夜班"
		if err := s.SetCheckinWait(ctx, w); err != nil {
			t.Fatal(err)
		}
		got, err := s.TakeCheckinWait(ctx, "zhangsan")
		if err != nil || got.Shift != "夜班" || got.Date != w.Date || !got.AskedAt.Equal(w.AskedAt) {
			t.Errorf("TakeCheckinWait = %+v, %v; want the latest", got, err)
		}
		if _, err := s.TakeCheckinWait(ctx, "zhangsan"); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("TakeCheckinWait twice = %v, want ErrNotFound", err)
		}
	})
}

func TestGeofence(t *testing.T) {
	g := duty.Geofence{Latitude: 39.9042, Longitude: 116.4074, RadiusMeters: 200}
	for _, tc := range []struct {
		lat, lng float64
		want     float64 // metres, ±1%
		inside   bool
	}{
		{39.9042, 116.4074, 0, true},
		{39.9051, 116.4074, 100, true},   // 0.0009° north ≈ 100 m
		{39.9150, 116.4074, 1201, false}, // 0.0108° north ≈ 1.2 km
		{39.9042, 116.4191, 1000, false}, // 0.0117° east at 40° N ≈ 1 km
	} {
		d := g.Distance(tc.lat, tc.lng)
		if math.Abs(d-tc.want) > tc.want*0.01+1 {
			t.Errorf("Distance(%v, %v) = %.0f m, want about %.0f", tc.lat, tc.lng, d, tc.want)
		}
		if got := g.Contains(tc.lat, tc.lng); got != tc.inside {
			t.Errorf("Contains(%v, %v) = %v, want %v", tc.lat, tc.lng, got, tc.inside)
		}
	}
	if (duty.Geofence{}).Enabled() || !g.Enabled() {
		t.Error("Enabled: want false for the zero geofence, true with a radius")
	}
}
