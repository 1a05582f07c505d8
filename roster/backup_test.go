package roster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
)

func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "dutybot.db")
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	store, err := OpenSQLite(ctx, dbPath, clk)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertMember(ctx, Member{UserID: "zhangsan", Name: "张三", Active: true}); err != nil {
		t.Fatal(err)
	}
	// Backed up while the store is open and writing (as a running server).
	backup := filepath.Join(dir, "backups", "dutybot-20261123.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o750); err != nil {
		t.Fatal(err)
	}
	info, err := BackupSQLite(ctx, dbPath, backup)
	if err != nil {
		t.Fatal(err)
	}
	if info.SchemaVersion < 10 || info.Bytes == 0 {
		t.Errorf("backup info = %+v", info)
	}
	if _, err := BackupSQLite(ctx, dbPath, backup); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second backup to the same file: %v, want a refusal", err)
	}
	// A change after the backup, then the store is stopped.
	if err := store.UpsertMember(ctx, Member{UserID: "lisi", Name: "李四", Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreSQLite(ctx, backup, dbPath, false, clk.Now()); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("restore while the database is open: %v, want a refusal", err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	replaced, err := RestoreSQLite(ctx, backup, dbPath, false, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(replaced, ".replaced-20261123T010000Z") {
		t.Errorf("replaced database kept at %s", replaced)
	}
	for path, want := range map[string][]string{dbPath: {"zhangsan"}, replaced: {"lisi", "zhangsan"}} {
		s, err := OpenSQLite(ctx, path, clk)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := s.Members(ctx)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.UserID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s holds %v, want %v", filepath.Base(path), got, want)
		}
	}

	// Broken and foreign files are refused and nothing is replaced.
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreSQLite(ctx, garbage, dbPath, false, clk.Now()); err == nil {
		t.Error("restore from a garbage file succeeded")
	}
	newer := filepath.Join(dir, "newer.db")
	if _, err := BackupSQLite(ctx, dbPath, newer); err != nil {
		t.Fatal(err)
	}
	db, err := openFile(newer, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := RestoreSQLite(ctx, newer, dbPath, false, clk.Now()); err == nil || !strings.Contains(err.Error(), "newer than this dutybot knows") {
		t.Errorf("restore from a newer schema: %v, want a refusal", err)
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Errorf("the database is gone after refused restores: %v", err)
	}
}
