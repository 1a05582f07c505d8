package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"dutybot/internal/clock"
	"dutybot/roster"
)

func TestBackupRestoreCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "dutybot.db")
	t.Setenv("DUTYBOT_DB", db)
	store, err := roster.OpenSQLite(ctx, db, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertMember(ctx, roster.Member{UserID: "zhangsan", Name: "张三", Active: true}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	backup := filepath.Join(dir, "backup.db")
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"backup"}, 2, "dutybot backup -o FILE"},
		{[]string{"backup", "-o", backup}, 0, "backup written"},
		{[]string{"backup", "-o", backup}, 1, "already exists"},
		{[]string{"restore"}, 2, "dutybot restore FILE"},
		{[]string{"restore", filepath.Join(dir, "missing.db")}, 1, "missing.db"},
		{[]string{"restore", backup}, 0, "the replaced database is kept at"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
			t.Errorf("dutybot %v: exit %d, output %q %q; want exit %d and %q", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out)
		}
	}
}

func TestBackupRestoreRefusePostgres(t *testing.T) {
	ctx := context.Background()
	const secret = "Zq9SECRETzq9"
	t.Setenv("DUTYBOT_DB", "postgres://dutybot:"+secret+"@127.0.0.1:5432/dutybot?sslmode=disable")
	for _, args := range [][]string{
		{"backup", "-o", filepath.Join(t.TempDir(), "b.db")},
		{"restore", filepath.Join(t.TempDir(), "b.db")},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != 1 || !strings.Contains(out, "pg_dump") || strings.Contains(out, secret) {
			t.Errorf("dutybot %v: exit %d, output %q; want exit 1, pointing to pg_dump, no password", args, code, out)
		}
	}
}
