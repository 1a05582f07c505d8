package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"dutybot/roster"
)

const backupUsage = `Usage:
  dutybot backup -o FILE [--config F]          copy the database (online: the server may keep running) to a new FILE
  dutybot restore FILE [--config F] [--force]  replace the database with FILE (stop dutybot first; the old one is kept)
`

// errPostgresBackup refuses backup and restore of a PostgreSQL database,
// which PostgreSQL's own tools do better.
var errPostgresBackup = errors.New("db is a PostgreSQL database: dutybot backup/restore handle SQLite files only; " +
	"use pg_dump -Fc and pg_restore (PostgreSQL 数据库请用 pg_dump / pg_restore 备份和恢复)")

// backupCmd copies the configured database to a new file.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	out := fs.String("o", "", "the backup file to write (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fmt.Fprint(stderr, backupUsage)
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr, false)
	if err != nil {
		return err
	}
	if roster.IsPostgresURL(cfg.DB) {
		return errPostgresBackup
	}
	info, err := roster.BackupSQLite(ctx, cfg.DB, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "备份完成 backup written: %s (%d bytes, schema version %d, integrity ok)\n", info.Path, info.Bytes, info.SchemaVersion)
	return nil
}

// restoreCmd replaces the configured database with a backup.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	force := fs.Bool("force", false, "restore although a write-ahead log shows the database in use (only after a crash)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fmt.Fprint(stderr, backupUsage)
		return errUsage
	}
	cfg, err := loadConfig(*path, stderr, false)
	if err != nil {
		return err
	}
	if roster.IsPostgresURL(cfg.DB) {
		return errPostgresBackup
	}
	replaced, err := roster.RestoreSQLite(ctx, files[0], cfg.DB, *force, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已恢复 restored %s from %s\n", cfg.DB, files[0])
	if replaced != "" {
		fmt.Fprintf(stdout, "原数据库已保留 the replaced database is kept at %s\n", replaced)
	}
	return nil
}
