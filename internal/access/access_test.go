package access_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/roster"
)

func openStore(t *testing.T) (*access.SQLStore, *clock.Fake) {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	db, err := roster.OpenSQLite(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.UpsertMember(ctx, roster.Member{UserID: "boss", Name: "老板", Roles: []roster.Role{roster.RoleAdmin}, Active: true}); err != nil {
		t.Fatal(err)
	}
	return access.NewSQLStore(db, clk), clk
}

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	s, clk := openStore(t)
	secret, tok, err := s.CreateToken(ctx, "boss", "wall screen")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, access.TokenPrefix) || len(secret) < 40 {
		t.Fatalf("secret %q: want %s and 32 random bytes", secret, access.TokenPrefix)
	}
	if _, _, err := s.CreateToken(ctx, "nobody", ""); !errors.Is(err, roster.ErrNotFound) {
		t.Fatalf("token for a non-member: err %v, want ErrNotFound", err)
	}
	clk.Advance(time.Minute)
	got, err := s.UseToken(ctx, secret)
	if err != nil || got.UserID != "boss" || !got.LastUsedAt.Equal(clk.Now().UTC()) {
		t.Fatalf("UseToken = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "dbt_x", secret + "x", strings.TrimPrefix(secret, access.TokenPrefix)} {
		if _, err := s.UseToken(ctx, bad); !errors.Is(err, access.ErrBadToken) {
			t.Errorf("UseToken(%q): err %v, want ErrBadToken", bad, err)
		}
	}
	ts, err := s.Tokens(ctx)
	if err != nil || len(ts) != 1 || ts[0].ID != tok.ID || ts[0].Name != "wall screen" || ts[0].Revoked() {
		t.Fatalf("Tokens = %+v, %v", ts, err)
	}
	rev, err := s.RevokeToken(ctx, tok.ID)
	if err != nil || !rev.Revoked() {
		t.Fatalf("RevokeToken = %+v, %v", rev, err)
	}
	if _, err := s.UseToken(ctx, secret); !errors.Is(err, access.ErrBadToken) {
		t.Fatalf("revoked token: err %v, want ErrBadToken", err)
	}
	if _, err := s.RevokeToken(ctx, 999); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("revoke unknown: err %v, want ErrNotFound", err)
	}
}

func TestSessionExpires(t *testing.T) {
	ctx := context.Background()
	s, clk := openStore(t)
	id, sess, err := s.CreateSession(ctx, "boss", access.ViaToken)
	if err != nil {
		t.Fatal(err)
	}
	if sess.CSRF == "" || sess.CSRF == id {
		t.Fatalf("session csrf %q", sess.CSRF)
	}
	got, err := s.Session(ctx, id)
	if err != nil || got.UserID != "boss" || got.CSRF != sess.CSRF {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if _, err := s.Session(ctx, id+"x"); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	clk.Advance(access.SessionTTL - time.Second)
	if _, err := s.Session(ctx, id); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := s.Session(ctx, id); !errors.Is(err, access.ErrExpired) {
		t.Fatalf("at expiry: err %v, want ErrExpired", err)
	}
	id2, _, err := s.CreateSession(ctx, "boss", access.ViaWeCom)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id2); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("after logout: %v", err)
	}
}
