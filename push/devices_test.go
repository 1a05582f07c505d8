package push

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

var devStart = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

// newDeviceStore opens a fresh SQLite store with members zhangsan and lisi
// (active) and gone (deactivated).
func newDeviceStore(t *testing.T, backend dbtest.Backend) (*SQLStore, *roster.SQLStore, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(devStart)
	db, err := roster.Open(ctx, backend.NewDB(t), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range []roster.Member{
		{UserID: "zhangsan", Name: "张三", Active: true},
		{UserID: "lisi", Name: "李四", Active: true},
		{UserID: "gone", Name: "离职", Active: false},
	} {
		if err := db.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return NewSQLStore(db, clk), db, clk
}

func iphone(token string) Device {
	return Device{Platform: IOS, Token: token, Topic: "cn.gov.dutybot"}
}

func mustCode(t *testing.T, s *SQLStore, user string) string {
	t.Helper()
	code, err := s.NewPairingCode(context.Background(), user, PairingCodeTTL)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q, want 6 digits", code)
	}
	return code
}

func TestPairingCodeSingleUse(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, clk := newDeviceStore(t, backend)
		ctx := context.Background()
		code := mustCode(t, s, "zhangsan")

		clk.Advance(time.Minute)
		d, secret, err := s.ClaimPairing(ctx, code, iphone("aabbccdd00112233aabbccdd00112233"))
		if err != nil {
			t.Fatalf("ClaimPairing: %v", err)
		}
		if d.ID == 0 || d.UserID != "zhangsan" || d.Platform != IOS || d.Topic != "cn.gov.dutybot" {
			t.Errorf("device = %+v, want zhangsan's iPhone with an id", d)
		}
		if len(secret) < 43 {
			t.Errorf("secret %q is shorter than 32 bytes of base64", secret)
		}
		if !d.Added.Equal(devStart.Add(time.Minute)) {
			t.Errorf("Added = %v, want %v", d.Added, devStart.Add(time.Minute))
		}

		_, _, err = s.ClaimPairing(ctx, code, iphone("ffbbccdd00112233aabbccdd00112233"))
		if !errors.Is(err, ErrPairingCodeUsed) {
			t.Fatalf("second claim: err = %v, want ErrPairingCodeUsed", err)
		}
		ds, err := s.Devices(ctx, "zhangsan")
		if err != nil || len(ds) != 1 {
			t.Fatalf("Devices = %v, %v; want only the first phone", ds, err)
		}
	})
}

func TestPairingCodeExpiresAndWrongCode(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, clk := newDeviceStore(t, backend)
		ctx := context.Background()
		code := mustCode(t, s, "zhangsan")

		wrong := "000000"
		if wrong == code {
			wrong = "000001"
		}
		if _, _, err := s.ClaimPairing(ctx, wrong, iphone("aabbccdd00112233aabbccdd00112233")); !errors.Is(err, ErrPairingCodeUnknown) {
			t.Fatalf("wrong code: err = %v, want ErrPairingCodeUnknown", err)
		}

		clk.Advance(PairingCodeTTL)
		if _, _, err := s.ClaimPairing(ctx, code, iphone("aabbccdd00112233aabbccdd00112233")); !errors.Is(err, ErrPairingCodeExpired) {
			t.Fatalf("claim at expiry: err = %v, want ErrPairingCodeExpired", err)
		}
		if ds, _ := s.Devices(ctx, "zhangsan"); len(ds) != 0 {
			t.Fatalf("devices after failed claims = %v, want none", ds)
		}

		// Just before expiry a fresh code works.
		code = mustCode(t, s, "zhangsan")
		clk.Advance(PairingCodeTTL - time.Nanosecond)
		if _, _, err := s.ClaimPairing(ctx, code, iphone("aabbccdd00112233aabbccdd00112233")); err != nil {
			t.Fatalf("claim just before expiry: %v", err)
		}
	})
}

func TestNewPairingCodeRetiresEarlierCode(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, _ := newDeviceStore(t, backend)
		ctx := context.Background()
		first := mustCode(t, s, "zhangsan")
		second := mustCode(t, s, "zhangsan")
		if first == second {
			t.Skip("drew the same code twice (one in a million)")
		}
		if _, _, err := s.ClaimPairing(ctx, first, iphone("aabbccdd00112233aabbccdd00112233")); !errors.Is(err, ErrPairingCodeExpired) {
			t.Fatalf("claim of the older code: err = %v, want ErrPairingCodeExpired", err)
		}
		if _, _, err := s.ClaimPairing(ctx, second, iphone("aabbccdd00112233aabbccdd00112233")); err != nil {
			t.Fatalf("claim of the newer code: %v", err)
		}
	})
}

func TestInsertCodeSkipsLiveCodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, db, clk := newDeviceStore(t, backend)
		ctx := context.Background()
		now := clk.Now()
		insert := func(code, user string) bool {
			t.Helper()
			var ok bool
			err := db.Write(ctx, func(tx *sql.Tx) error {
				var err error
				ok, err = insertCode(ctx, tx, code, user, now.Add(PairingCodeTTL), now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !insert("123456", "lisi") {
			t.Fatal("first insert refused")
		}
		if insert("123456", "zhangsan") {
			t.Fatal("a live code was handed out twice")
		}
		// lisi still holds it.
		if d, _, err := s.ClaimPairing(ctx, "123456", Device{Platform: Android, Token: "t1"}); err != nil || d.UserID != "lisi" {
			t.Fatalf("claim = %+v, %v; want lisi's phone", d, err)
		}
		// Used now: the digits may be given out again.
		if !insert("123456", "zhangsan") {
			t.Fatal("a used code's digits were not reused")
		}
		if d, _, err := s.ClaimPairing(ctx, "123456", Device{Platform: Android, Token: "t2"}); err != nil || d.UserID != "zhangsan" {
			t.Fatalf("claim of the reused code = %+v, %v; want zhangsan's phone", d, err)
		}
		// Expired digits are reused too.
		if !insert("654321", "lisi") {
			t.Fatal("insert refused")
		}
		now = now.Add(PairingCodeTTL)
		if !insert("654321", "zhangsan") {
			t.Fatal("an expired code's digits were not reused")
		}
	})
}

func TestClaimPairingInactiveMemberAndBadDevice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, _ := newDeviceStore(t, backend)
		ctx := context.Background()
		code := mustCode(t, s, "gone")
		if _, _, err := s.ClaimPairing(ctx, code, iphone("aabbccdd00112233aabbccdd00112233")); !errors.Is(err, ErrMemberInactive) {
			t.Fatalf("claim for a deactivated member: err = %v, want ErrMemberInactive", err)
		}
		code = mustCode(t, s, "zhangsan")
		if _, _, err := s.ClaimPairing(ctx, code, Device{Platform: "windows", Token: "x"}); !errors.Is(err, ErrBadDevice) {
			t.Fatalf("claim for an unknown platform: err = %v, want ErrBadDevice", err)
		}
		// The refused claim did not use the code up.
		if _, _, err := s.ClaimPairing(ctx, code, iphone("aabbccdd00112233aabbccdd00112233")); err != nil {
			t.Fatalf("claim after a refused one: %v", err)
		}
	})
}

func TestRepairMovesDevice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, clk := newDeviceStore(t, backend)
		ctx := context.Background()
		token := "aabbccdd00112233aabbccdd00112233"
		first, oldSecret, err := s.ClaimPairing(ctx, mustCode(t, s, "zhangsan"), iphone(token))
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		moved, newSecret, err := s.ClaimPairing(ctx, mustCode(t, s, "lisi"), iphone(token))
		if err != nil {
			t.Fatal(err)
		}
		if moved.UserID != "lisi" || moved.ID == first.ID || newSecret == oldSecret {
			t.Fatalf("re-paired device = %+v (was %+v), want lisi's with a new id and secret", moved, first)
		}
		if ds, _ := s.Devices(ctx, "zhangsan"); len(ds) != 0 {
			t.Errorf("zhangsan still has %v", ds)
		}
		if ds, _ := s.Devices(ctx, "lisi"); len(ds) != 1 || ds[0].ID != moved.ID {
			t.Errorf("lisi's devices = %v, want the moved phone", ds)
		}
		if _, err := s.DeviceByCredential(ctx, first.ID, oldSecret); !errors.Is(err, ErrBadCredential) {
			t.Errorf("old credential after re-pairing: err = %v, want ErrBadCredential", err)
		}
	})
}

func TestCredentialStoredHashed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, db, clk := newDeviceStore(t, backend)
		ctx := context.Background()
		d, secret, err := s.ClaimPairing(ctx, mustCode(t, s, "zhangsan"), Device{Platform: Android, Token: "fcm:token-1", Topic: "cn.gov.dutybot"})
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := db.Reader().QueryRowContext(ctx, `SELECT secret_hash FROM devices WHERE id = ?`, d.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, secret) || stored != hashSecret(secret) {
			t.Fatalf("secret_hash = %q, want the SHA-256 of the secret, not the secret", stored)
		}
		// Nowhere else in the table either.
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM devices WHERE userid||platform||token||topic||secret_hash||created_at||last_seen LIKE ?`, "%"+secret+"%").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rows holding the secret = %d (%v), want 0", n, err)
		}

		clk.Advance(5 * time.Minute)
		got, err := s.DeviceByCredential(ctx, d.ID, secret)
		if err != nil {
			t.Fatalf("DeviceByCredential: %v", err)
		}
		if got.ID != d.ID || got.UserID != "zhangsan" || !got.LastSeen.Equal(devStart.Add(5*time.Minute)) {
			t.Errorf("device = %+v, want zhangsan's with last seen now", got)
		}
		if ds, _ := s.Devices(ctx, "zhangsan"); len(ds) != 1 || !ds[0].LastSeen.Equal(devStart.Add(5*time.Minute)) {
			t.Errorf("stored last seen not updated: %+v", ds)
		}

		for _, c := range []struct {
			id     int64
			secret string
		}{{d.ID, secret + "x"}, {d.ID, ""}, {d.ID, stored}, {d.ID + 1, secret}, {0, secret}} {
			if _, err := s.DeviceByCredential(ctx, c.id, c.secret); !errors.Is(err, ErrBadCredential) {
				t.Errorf("DeviceByCredential(%d, %q) err = %v, want ErrBadCredential", c.id, c.secret, err)
			}
		}

		// Once zhangsan is deactivated (left WeCom), his phone's credential
		// no longer works.
		if err := db.UpsertMember(ctx, roster.Member{UserID: "zhangsan", Name: "张三", Active: false}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeviceByCredential(ctx, d.ID, secret); !errors.Is(err, ErrBadCredential) {
			t.Errorf("credential of a deactivated member: err = %v, want ErrBadCredential", err)
		}
	})
}

func TestDeleteDeviceByNumber(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, _ := newDeviceStore(t, backend)
		ctx := context.Background()
		var ids []int64
		for _, tok := range []string{"a-1", "a-2", "a-3"} {
			d, _, err := s.ClaimPairing(ctx, mustCode(t, s, "zhangsan"), Device{Platform: Android, Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		if _, err := s.DeleteDevice(ctx, "lisi", 1); !errors.Is(err, ErrNoSuchDevice) {
			t.Fatalf("lisi deleting number 1: err = %v, want ErrNoSuchDevice (not zhangsan's phone)", err)
		}
		for _, n := range []int{0, 4, -1} {
			if _, err := s.DeleteDevice(ctx, "zhangsan", n); !errors.Is(err, ErrNoSuchDevice) {
				t.Errorf("DeleteDevice(%d) err = %v, want ErrNoSuchDevice", n, err)
			}
		}
		d, err := s.DeleteDevice(ctx, "zhangsan", 2)
		if err != nil || d.ID != ids[1] || d.Token != "a-2" {
			t.Fatalf("DeleteDevice(2) = %+v, %v; want the second phone", d, err)
		}
		ds, _ := s.Devices(ctx, "zhangsan")
		if len(ds) != 2 || ds[0].ID != ids[0] || ds[1].ID != ids[2] {
			t.Fatalf("devices after deleting number 2 = %+v, want the first and third", ds)
		}
	})
}

func TestPruneDevice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, _, _ := newDeviceStore(t, backend)
		ctx := context.Background()
		token := "aabbccdd00112233aabbccdd00112233"
		d, _, err := s.ClaimPairing(ctx, mustCode(t, s, "zhangsan"), iphone(token))
		if err != nil {
			t.Fatal(err)
		}
		// Same token on the other platform is another device.
		if _, ok, err := s.PruneDevice(ctx, Android, token); err != nil || ok {
			t.Fatalf("prune android %s = %v, %v; want nothing pruned", token, ok, err)
		}
		got, ok, err := s.PruneDevice(ctx, IOS, token)
		if err != nil || !ok || got.ID != d.ID || got.UserID != "zhangsan" {
			t.Fatalf("PruneDevice = %+v, %v, %v; want zhangsan's iPhone", got, ok, err)
		}
		if _, ok, err := s.PruneDevice(ctx, IOS, token); err != nil || ok {
			t.Fatalf("second prune = %v, %v; want nothing", ok, err)
		}
		if ds, _ := s.Devices(ctx, "zhangsan"); len(ds) != 0 {
			t.Fatalf("devices after prune = %v", ds)
		}
	})
}

func TestAttemptLimiter(t *testing.T) {
	clk := clock.NewFake(devStart)
	l := NewPairingLimiter(clk)
	for i := range PairingMaxFailures {
		if ok, _ := l.Allow("10.0.0.1"); !ok {
			t.Fatalf("refused after %d failures, want %d allowed", i, PairingMaxFailures)
		}
		l.Fail("10.0.0.1")
		clk.Advance(time.Minute)
	}
	ok, wait := l.Allow("10.0.0.1")
	if ok || wait != PairingFailureWindow-5*time.Minute {
		t.Fatalf("after %d failures: Allow = %v, %v; want refused for %v", PairingMaxFailures, ok, wait, PairingFailureWindow-5*time.Minute)
	}
	if ok, _ := l.Allow("10.0.0.2"); !ok {
		t.Fatal("another address refused")
	}
	clk.Advance(wait - time.Nanosecond)
	if ok, _ := l.Allow("10.0.0.1"); ok {
		t.Fatal("allowed before the oldest failure left the window")
	}
	clk.Advance(time.Nanosecond)
	if ok, _ := l.Allow("10.0.0.1"); !ok {
		t.Fatal("still refused once the oldest failure left the window")
	}
	l.Fail("10.0.0.1")
	if ok, _ := l.Allow("10.0.0.1"); ok {
		t.Fatal("allowed with 5 failures in the window again")
	}
}
