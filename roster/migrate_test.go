package roster

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"dutybot/internal/clock"
)

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := embeddedMigrations()
	if err != nil {
		t.Fatalf("embeddedMigrations: %v", err)
	}
	if len(ms) == 0 || ms[0].version != 1 || ms[0].name != "0001_init.sql" {
		t.Fatalf("embeddedMigrations = %+v, want 0001_init.sql first", ms)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	ms, err := loadMigrations(fstest.MapFS{
		"0010_ten.sql":  file("-- 10"),
		"0002_two.sql":  file("-- 2"),
		"0001_init.sql": file("-- 1"),
		"README.md":     file("not a migration"),
	})
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	var versions []int
	for _, m := range ms {
		versions = append(versions, m.version)
	}
	if want := []int{1, 2, 10}; !slices.Equal(versions, want) {
		t.Errorf("versions = %v, want %v", versions, want)
	}

	for _, fsys := range []fstest.MapFS{
		{"init.sql": file("")},
		{"0000_zero.sql": file("")},
		{"x001_bad.sql": file("")},
		{"0001.sql": file("")},
		{"0001_a.sql": file(""), "1_b.sql": file("")},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("loadMigrations(%v) succeeded, want an error", slices.Sorted(maps.Keys(fsys)))
		}
	}
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	if err != nil {
		t.Fatalf("look for table %s: %v", name, err)
	}
	return n > 0
}

// TestMigrateEachInItsOwnTransaction checks that a failing migration leaves
// the ones before it applied and none of itself, and that a later run
// applies only what is missing.
func TestMigrateEachInItsOwnTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "m.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	clk := clock.NewFake(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))

	good := migration{version: 1, name: "0001_a.sql", sql: `CREATE TABLE a (x INTEGER);`}
	bad := migration{version: 2, name: "0002_b.sql", sql: `CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);`}
	err = migrate(ctx, db, sqliteDialect(), []migration{good, bad}, clk)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate with a failing migration: error = %v, want one naming 0002_b.sql", err)
	}
	if !tableExists(t, db, "a") || tableExists(t, db, "b") {
		t.Errorf("after the failure: table a exists = %v, b exists = %v; want true, false",
			tableExists(t, db, "a"), tableExists(t, db, "b"))
	}
	if vs, err := appliedVersions(ctx, db); err != nil || !slices.Equal(vs, []int{1}) {
		t.Errorf("applied versions = %v, %v; want [1]", vs, err)
	}

	fixed := migration{version: 2, name: "0002_b.sql", sql: `CREATE TABLE b (x INTEGER);`}
	if err := migrate(ctx, db, sqliteDialect(), []migration{good, fixed}, clk); err != nil {
		t.Fatalf("migrate after the fix: %v", err)
	}
	if !tableExists(t, db, "b") {
		t.Error("table b missing after the fix")
	}
	if vs, err := appliedVersions(ctx, db); err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Errorf("applied versions = %v, %v; want [1 2]", vs, err)
	}
	var appliedAt string
	if err := db.QueryRow(`SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}
	if want := "2025-01-02T03:04:05.000000000Z"; appliedAt != want {
		t.Errorf("applied_at = %q, want %q", appliedAt, want)
	}

	// A binary that only knows version 1 refuses this database.
	err = migrate(ctx, db, sqliteDialect(), []migration{good}, clk)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("migrate with an older binary: error = %v, want one saying the database is newer", err)
	}
}
