package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/roster"
)

func TestTokenCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "dutybot.db")
	t.Setenv("DUTYBOT_DB", db)
	store, err := roster.OpenSQLite(ctx, db, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []roster.Member{
		{UserID: "boss", Name: "老板", Roles: []roster.Role{roster.RoleAdmin}, Active: true},
		{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	} {
		if err := store.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	runCmd := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, secret, stderr := runCmd("token", "create", "--as", "boss", "--name", "大屏")
	secret = strings.TrimSpace(secret)
	if code != 0 || !strings.HasPrefix(secret, access.TokenPrefix) || strings.Contains(stderr, secret) {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, secret, stderr)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"token"}, 2, "dutybot token create"},
		{[]string{"token", "create"}, 2, "--as USERID"},
		{[]string{"token", "create", "--as", "zhangsan"}, 1, "not an active admin"},
		{[]string{"token", "create", "--as", "nobody"}, 1, "not a member"},
		{[]string{"token", "list"}, 0, "大屏"},
		{[]string{"token", "revoke", "x"}, 1, "want a number"},
		{[]string{"token", "revoke", "99"}, 1, "no token 99"},
		{[]string{"token", "revoke", "1"}, 0, "revoked token #1 (boss)"},
		{[]string{"token", "list"}, 0, "revoked"},
		{[]string{"token", "frobnicate"}, 2, "unknown subcommand"},
	} {
		code, stdout, stderr := runCmd(tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.out) {
			t.Errorf("dutybot %v: exit %d, output %q %q; want exit %d and %q", tc.args, code, stdout, stderr, tc.code, tc.out)
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("dutybot %v printed the token", tc.args)
		}
	}
	// The revoked token no longer works.
	store, err = roster.OpenSQLite(ctx, db, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := access.NewSQLStore(store, clock.Real{}).UseToken(ctx, secret); err == nil {
		t.Fatal("revoked token still accepted")
	}
}
