package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// BackupInfo describes a database file: its schema version and size.
type BackupInfo struct {
	Path          string
	SchemaVersion int
	Bytes         int64
}

// BackupSQLite copies the database at src to a new file dst with SQLite's
// online backup API, so the server may keep running (WAL: readers never
// block the writer). dst must not exist. The copy is checked with
// PRAGMA integrity_check before BackupSQLite returns.
func BackupSQLite(ctx context.Context, src, dst string) (BackupInfo, error) {
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: database %s: %w", src, err)
	}
	if _, err := os.Stat(dst); err == nil {
		return BackupInfo{}, fmt.Errorf("backup: %s already exists; choose a new file name (a backup never overwrites)", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	if err := copySQLite(ctx, src, dst, true); err != nil {
		os.Remove(dst)
		return BackupInfo{}, fmt.Errorf("backup %s to %s: %w", src, dst, err)
	}
	info, err := CheckSQLiteFile(ctx, dst)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup written to %s but it does not check out: %w", dst, err)
	}
	return info, nil
}

// RestoreSQLite replaces the database at dbPath with the backup file. The
// backup is checked first (integrity, and a schema version this dutybot
// knows); the database it replaces is kept beside it as
// <dbPath>.replaced-<time>, which is returned. dutybot must not be running
// on dbPath: a write-ahead log beside it means it is in use (or crashed),
// and the restore is refused unless force is set.
func RestoreSQLite(ctx context.Context, backup, dbPath string, force bool, now time.Time) (replaced string, err error) {
	if _, err := CheckSQLiteFile(ctx, backup); err != nil {
		return "", fmt.Errorf("restore: backup %s: %w", backup, err)
	}
	if wal, err := os.Stat(dbPath + "-wal"); err == nil && wal.Size() > 0 && !force {
		return "", fmt.Errorf("restore: %s-wal exists, so the database is open in a running dutybot (or one crashed): stop it first, or use --force after a crash", dbPath)
	}
	if _, err := os.Stat(dbPath); err == nil {
		replaced = dbPath + ".replaced-" + now.UTC().Format("20060102T150405Z")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, replaced+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("restore: keep the current database: %w", err)
			}
		}
	} else if err := os.MkdirAll(filepath.Dir(dbPath), 0o750); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	if err := copySQLite(ctx, backup, dbPath, false); err != nil {
		return replaced, fmt.Errorf("restore %s to %s (the previous database is at %s): %w", backup, dbPath, replaced, err)
	}
	return replaced, nil
}

// CheckSQLiteFile opens a database file read-only and checks it: SQLite's
// integrity check, and a schema version no newer than this dutybot knows.
func CheckSQLiteFile(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	db, err := openFile(path, true)
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return BackupInfo{}, fmt.Errorf("not a readable SQLite database: %w", err)
	}
	if result != "ok" {
		return BackupInfo{}, fmt.Errorf("integrity check failed: %s", result)
	}
	versions, err := appliedVersions(ctx, db)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("not a dutybot database (no schema version): %w", err)
	}
	ms, err := embeddedMigrations()
	if err != nil {
		return BackupInfo{}, err
	}
	info := BackupInfo{Path: path, Bytes: st.Size()}
	for _, v := range versions {
		info.SchemaVersion = max(info.SchemaVersion, v)
	}
	if latest := ms[len(ms)-1].version; info.SchemaVersion > latest {
		return BackupInfo{}, fmt.Errorf("schema version %d is newer than this dutybot knows (%d): use a newer dutybot", info.SchemaVersion, latest)
	}
	return info, nil
}

// openFile opens one connection to the database file at path.
func openFile(path string, readOnly bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	params := url.Values{"_busy_timeout": {"5000"}}
	if readOnly {
		params.Set("mode", "ro")
	}
	db, err := sql.Open("sqlite3", sqliteDSN(abs, params))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// copySQLite copies every page of src into dst (created if missing) with
// the online backup API.
func copySQLite(ctx context.Context, src, dst string, srcReadOnly bool) error {
	srcDB, err := openFile(src, srcReadOnly)
	if err != nil {
		return err
	}
	defer srcDB.Close()
	dstDB, err := openFile(dst, false)
	if err != nil {
		return err
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer srcConn.Close()
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer dstConn.Close()
	return dstConn.Raw(func(d any) error {
		return srcConn.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			if _, err := b.Step(-1); err != nil {
				b.Finish()
				return err
			}
			return b.Finish()
		})
	})
}
