package roster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"dutybot/internal/clock"
)

// timeFormat is how the store writes times: UTC RFC 3339 with a fixed nine
// fractional digits, so that text order is time order. time.RFC3339Nano
// parses it.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// readerConns is the size of the read-only connection pool.
const readerConns = 4

// SQLiteOptions tunes OpenSQLiteWith. The zero value gives OpenSQLite's
// behaviour.
type SQLiteOptions struct {
	// Synchronous is SQLite's synchronous pragma: "OFF", "NORMAL", "FULL"
	// or "EXTRA"; empty means "FULL". With FULL a committed transaction
	// survives power loss; with NORMAL (in WAL mode) the database stays
	// consistent but the last transactions before a power loss may be lost.
	Synchronous string
}

// SQLStore is a Store kept in one SQLite file in WAL mode (OpenSQLite) or
// in a PostgreSQL database (OpenPostgres); Open chooses. It is safe for
// concurrent use.
//
// On SQLite, writes go through a pool of a single connection whose transactions begin
// IMMEDIATE, driven by one committer goroutine, so concurrent writers queue
// in Go (first come, first served) instead of spinning on SQLITE_BUSY, and
// share commits under load; reads use a separate pool of query-only connections, which
// WAL lets run alongside the writer. On PostgreSQL, each write is its own
// serializable transaction on a pool of connections (see inPostgresTx), and
// reads use a second pool of read-only connections.
type SQLStore struct {
	// kind is "sqlite" or "postgres", for messages.
	kind   string
	writer *sql.DB
	// ops carries writes to the single committer goroutine (commitLoop),
	// which groups them into shared transactions; see inTx.
	ops       chan writeOp
	quit      chan struct{}
	closeOnce sync.Once
	loopDone  chan struct{}
	reader    *sql.DB
	clk       clock.Clock
}

var _ Store = (*SQLStore)(nil)

// OpenSQLite opens the SQLite database at path, creating it and its parent
// folder if missing, and brings its schema up to date. It uses
// synchronous=FULL. Every time the store records on its own (processed,
// created and updated times) is clk.Now() in UTC.
func OpenSQLite(ctx context.Context, path string, clk clock.Clock) (*SQLStore, error) {
	return OpenSQLiteWith(ctx, path, clk, SQLiteOptions{})
}

// OpenSQLiteWith is OpenSQLite with options.
func OpenSQLiteWith(ctx context.Context, path string, clk clock.Clock, opts SQLiteOptions) (*SQLStore, error) {
	s, err := openSQLite(ctx, path, clk, opts)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return s, nil
}

func openSQLite(ctx context.Context, path string, clk clock.Clock, opts SQLiteOptions) (*SQLStore, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, errors.New("path must name a file (in-memory databases and URIs are not supported)")
	}
	if clk == nil {
		return nil, errors.New("nil clock")
	}
	syncMode := strings.ToUpper(opts.Synchronous)
	switch syncMode {
	case "":
		syncMode = "FULL"
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("synchronous %q: want OFF, NORMAL, FULL or EXTRA", opts.Synchronous)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, err
	}

	writerParams := connParams(syncMode)
	writerParams.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite3", sqliteDSN(abs, writerParams))
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	s := &SQLStore{kind: "sqlite", writer: writer, clk: clk}

	if err := writer.PingContext(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	ms, err := embeddedMigrations()
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := migrate(ctx, writer, sqliteDialect(), ms, clk); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.ops, s.quit, s.loopDone = make(chan writeOp), make(chan struct{}), make(chan struct{})
	go s.commitLoop()

	readerParams := connParams(syncMode)
	readerParams.Set("_query_only", "on")
	reader, err := sql.Open("sqlite3", sqliteDSN(abs, readerParams))
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	reader.SetMaxOpenConns(readerConns)
	reader.SetMaxIdleConns(readerConns)
	s.reader = reader
	if err := reader.PingContext(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// sqliteDSN returns the file: URI for the database at the absolute path
// with the given query parameters.
func sqliteDSN(abs string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}
	return u.String()
}

// connParams returns the DSN parameters (go-sqlite3 runs them as pragmas
// on each new connection) that both pools share.
func connParams(synchronous string) url.Values {
	return url.Values{
		"_journal_mode": {"WAL"},
		"_busy_timeout": {"5000"},
		"_foreign_keys": {"on"},
		"_synchronous":  {synchronous},
	}
}

// Ping checks that both connection pools reach the database.
func (s *SQLStore) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s store: %w", s.kind, err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s store: %w", s.kind, err)
	}
	return nil
}

// Close closes the store. The writer closes last, so that SQLite
// checkpoints the write-ahead log into the database file.
func (s *SQLStore) Close() error {
	if s.quit != nil {
		s.closeOnce.Do(func() { close(s.quit) })
		<-s.loopDone
	}
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s store: %w", s.kind, err)
	}
	return nil
}

// now is the current time as the store writes it.
func (s *SQLStore) now() time.Time { return s.clk.Now().UTC() }

// ---- received callbacks ----

// SaveReceived stores r unless a row with the same DedupKey exists. When r
// is new it sets r.ID, and r.ReceivedAt to the clock's time if it was zero.
// r.ClaimedBy and r.ClaimedUntil, when set, are its instance's claim.
// The single INSERT is its own transaction.
func (s *SQLStore) SaveReceived(ctx context.Context, r *Received) (isNew bool, err error) {
	if r.DedupKey == "" {
		return false, errors.New("save received message: empty dedup key")
	}
	receivedAt := r.ReceivedAt.UTC()
	if r.ReceivedAt.IsZero() {
		receivedAt = s.now()
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		id = 0
		err := tx.QueryRowContext(ctx, `INSERT INTO received_messages
    (dedup_key, from_user, msg_type, event, content, raw, received_at, claimed_by, claimed_until)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id`,
			r.DedupKey, r.FromUser, r.MsgType, r.Event, r.Content, r.Raw, formatTime(receivedAt),
			r.ClaimedBy, NullTimeText(r.ClaimedUntil)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a duplicate: nothing inserted
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("save received message %q: %w", r.DedupKey, err)
	}
	if id == 0 {
		return false, nil
	}
	r.ID = id
	r.ReceivedAt = receivedAt
	r.Processed = false
	return true, nil
}

// Unprocessed lists up to limit received callbacks not yet processed,
// oldest first. limit must be positive.
func (s *SQLStore) Unprocessed(ctx context.Context, limit int) ([]Received, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list unprocessed messages: limit %d is not positive", limit)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id, dedup_key, from_user, msg_type, event, content, raw, received_at
FROM received_messages
WHERE processed_at IS NULL
ORDER BY id
LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list unprocessed messages: %w", err)
	}
	defer rows.Close()
	var rs []Received
	for rows.Next() {
		var r Received
		var receivedAt string
		err := rows.Scan(&r.ID, &r.DedupKey, &r.FromUser, &r.MsgType, &r.Event, &r.Content, &r.Raw, &receivedAt)
		if err != nil {
			return nil, fmt.Errorf("list unprocessed messages: %w", err)
		}
		if r.ReceivedAt, err = parseTime(receivedAt); err != nil {
			return nil, fmt.Errorf("list unprocessed messages: id %d: %w", r.ID, err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list unprocessed messages: %w", err)
	}
	return rs, nil
}

// CompleteReceived marks received id processed and queues replies as
// pending outgoing messages answering it, in one transaction. Each reply's
// ReplyTo is set to id; its Status, Attempts, LastError and WeComID are
// ignored. If id is already processed it queues nothing and returns
// (false, nil); if there is no such id the error wraps ErrNotFound.
func (s *SQLStore) CompleteReceived(ctx context.Context, id int64, replies []Outgoing) (done bool, err error) {
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		done = false // set again on a PostgreSQL retry
		res, err := tx.ExecContext(ctx, `UPDATE received_messages SET processed_at = ? WHERE id = ? AND processed_at IS NULL`,
			formatTime(now), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM received_messages WHERE id = ?`, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err // nil: already processed
		}
		msgs := slices.Clone(replies)
		for i := range msgs {
			msgs[i].ReplyTo = id
		}
		if err := insertOutgoing(ctx, tx, msgs, now); err != nil {
			return err
		}
		done = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("complete received message %d: %w", id, err)
	}
	return done, nil
}

// CountReceived counts received callbacks, processed or not.
func (s *SQLStore) CountReceived(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM received_messages`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count received messages: %w", err)
	}
	return n, nil
}

// ---- outgoing messages ----

// QueueOutgoing queues msgs as pending, all or none. Their Status,
// Attempts, LastError and WeComID are ignored; ReplyTo may be 0.
func (s *SQLStore) QueueOutgoing(ctx context.Context, msgs []Outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return insertOutgoing(ctx, tx, msgs, now)
	})
	if err != nil {
		return fmt.Errorf("queue outgoing messages: %w", err)
	}
	return nil
}

// insertOutgoing inserts msgs as pending outgoing messages created at now.
func insertOutgoing(ctx context.Context, tx *sql.Tx, msgs []Outgoing, now time.Time) error {
	if len(msgs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO outgoing_messages
    (reply_to, to_user, kind, content, status, attempts, last_error, wecom_msgid, created_at, updated_at, ref)
VALUES (?, ?, ?, ?, ?, 0, '', '', ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	ts := formatTime(now)
	for i, m := range msgs {
		if m.ToUser == "" || m.Kind == "" {
			return fmt.Errorf("outgoing message %d: ToUser and Kind are required", i)
		}
		replyTo := sql.NullInt64{Int64: m.ReplyTo, Valid: m.ReplyTo != 0}
		if _, err := stmt.ExecContext(ctx, replyTo, m.ToUser, m.Kind, m.Content, OutPending, ts, ts, m.Ref); err != nil {
			return fmt.Errorf("outgoing message %d: %w", i, err)
		}
	}
	return nil
}

// PendingOutgoing lists up to limit pending outgoing messages with id >
// afterID, oldest first. limit must be positive.
func (s *SQLStore) PendingOutgoing(ctx context.Context, afterID int64, limit int) ([]Outgoing, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list pending outgoing messages: limit %d is not positive", limit)
	}
	out, err := s.queryOutgoing(ctx, `WHERE status = ? AND id > ? ORDER BY id LIMIT ?`, OutPending, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending outgoing messages: %w", err)
	}
	return out, nil
}

// SentCards lists the sent template cards about ref that still have a
// response code, oldest first.
func (s *SQLStore) SentCards(ctx context.Context, ref string) ([]Outgoing, error) {
	out, err := s.queryOutgoing(ctx, `WHERE ref = ? AND status = ? AND response_code <> '' ORDER BY id`, ref, OutSent)
	if err != nil {
		return nil, fmt.Errorf("list sent cards about %s: %w", ref, err)
	}
	return out, nil
}

// UseResponseCode clears an outgoing card's response code once used.
func (s *SQLStore) UseResponseCode(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outgoing_messages SET response_code = '', updated_at = ? WHERE id = ?`, formatTime(s.now()), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("use response code of outgoing message %d: %w", id, err)
	}
	return nil
}

// queryOutgoing reads outgoing messages selected by where (with args).
func (s *SQLStore) queryOutgoing(ctx context.Context, where string, args ...any) ([]Outgoing, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, reply_to, to_user, kind, content, status, attempts, last_error,
wecom_msgid, created_at, updated_at, ref, response_code
FROM outgoing_messages `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Outgoing
	for rows.Next() {
		var o Outgoing
		var replyTo sql.NullInt64
		var createdAt, updatedAt string
		err := rows.Scan(&o.ID, &replyTo, &o.ToUser, &o.Kind, &o.Content, &o.Status, &o.Attempts,
			&o.LastError, &o.WeComID, &createdAt, &updatedAt, &o.Ref, &o.ResponseCode)
		if err != nil {
			return nil, err
		}
		o.ReplyTo = replyTo.Int64
		if o.CreatedAt, err = parseTime(createdAt); err != nil {
			return nil, fmt.Errorf("id %d: %w", o.ID, err)
		}
		if o.UpdatedAt, err = parseTime(updatedAt); err != nil {
			return nil, fmt.Errorf("id %d: %w", o.ID, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// MarkOutgoing sets the status, attempts, last error and WeCom msgid of
// outgoing message o.ID, and its updated time. The status must be
// OutPending, OutSent or OutFailed; if there is no such id the error wraps
// ErrNotFound.
func (s *SQLStore) MarkOutgoing(ctx context.Context, o Outgoing) error {
	switch o.Status {
	case OutPending, OutSent, OutFailed:
	default:
		return fmt.Errorf("mark outgoing message %d: unknown status %q", o.ID, o.Status)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outgoing_messages
SET status = ?, attempts = ?, last_error = ?, wecom_msgid = ?, response_code = ?, updated_at = ?
WHERE id = ?`, o.Status, o.Attempts, o.LastError, o.WeComID, o.ResponseCode, formatTime(s.now()), o.ID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("mark outgoing message %d: %w", o.ID, err)
	}
	return nil
}

// CountOutgoing counts outgoing messages in any status.
func (s *SQLStore) CountOutgoing(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM outgoing_messages`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count outgoing messages: %w", err)
	}
	return n, nil
}

// ---- members ----

const selectMembers = `SELECT m.userid, m.name, m.mobile, m.department, m.active, m.created_at, m.updated_at, r.role
FROM members m LEFT JOIN member_roles r ON r.userid = m.userid`

// Member returns the member with the given WeCom userid. If there is none,
// the error wraps ErrNotFound.
func (s *SQLStore) Member(ctx context.Context, userID string) (Member, error) {
	rows, err := s.reader.QueryContext(ctx, selectMembers+`
WHERE m.userid = ?`, userID)
	if err != nil {
		return Member{}, fmt.Errorf("member %q: %w", userID, err)
	}
	ms, err := scanMembers(rows)
	if err != nil {
		return Member{}, fmt.Errorf("member %q: %w", userID, err)
	}
	if len(ms) == 0 {
		return Member{}, fmt.Errorf("member %q: %w", userID, ErrNotFound)
	}
	return ms[0], nil
}

// Members lists all members, active or not, ordered by userid.
func (s *SQLStore) Members(ctx context.Context) ([]Member, error) {
	rows, err := s.reader.QueryContext(ctx, selectMembers+`
ORDER BY m.userid`)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	ms, err := scanMembers(rows)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return ms, nil
}

// scanMembers reads the rows of selectMembers, one per member and role, in
// userid order, and closes them.
func scanMembers(rows *sql.Rows) ([]Member, error) {
	defer rows.Close()
	var ms []Member
	for rows.Next() {
		var m Member
		var role sql.NullString
		var createdAt, updatedAt string
		err := rows.Scan(&m.UserID, &m.Name, &m.Mobile, &m.Department, &m.Active, &createdAt, &updatedAt, &role)
		if err != nil {
			return nil, err
		}
		if n := len(ms); n > 0 && ms[n-1].UserID == m.UserID {
			if role.Valid {
				ms[n-1].Roles = append(ms[n-1].Roles, Role(role.String))
			}
			continue
		}
		if m.CreatedAt, err = parseTime(createdAt); err != nil {
			return nil, fmt.Errorf("member %q: %w", m.UserID, err)
		}
		if m.UpdatedAt, err = parseTime(updatedAt); err != nil {
			return nil, fmt.Errorf("member %q: %w", m.UserID, err)
		}
		if role.Valid {
			m.Roles = []Role{Role(role.String)}
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range ms {
		sortRoles(ms[i].Roles)
	}
	return ms, nil
}

// UpsertMember creates or replaces the member m.UserID and its set of
// roles, in one transaction. The store keeps CreatedAt from the first
// insert and sets UpdatedAt; m's own times are ignored. Roles must be known
// (see AllRoles); duplicates are dropped.
func (s *SQLStore) UpsertMember(ctx context.Context, m Member) error {
	if m.UserID == "" {
		return errors.New("upsert member: empty userid")
	}
	roles, err := cleanRoles(m.Roles)
	if err != nil {
		return fmt.Errorf("upsert member %q: %w", m.UserID, err)
	}
	now := formatTime(s.now())
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := upsertMemberRow(ctx, tx, m, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_roles WHERE userid = ?`, m.UserID); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO member_roles (userid, role) VALUES (?, ?)`, m.UserID, string(r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upsert member %q: %w", m.UserID, err)
	}
	return nil
}

// GrantRole adds role r to the member, creating a bare active member (name
// = userid) if none exists, in one transaction. Granting a held role
// changes nothing, not even UpdatedAt.
func (s *SQLStore) GrantRole(ctx context.Context, userID string, r Role) error {
	if userID == "" {
		return errors.New("grant role: empty userid")
	}
	if !slices.Contains(AllRoles(), r) {
		return fmt.Errorf("grant role %q to %q: unknown role", r, userID)
	}
	now := formatTime(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO members (userid, name, mobile, department, active, created_at, updated_at)
VALUES (?, ?, '', '', ?, ?, ?)
ON CONFLICT (userid) DO NOTHING`, userID, userID, true, now, now)
		if err != nil {
			return err
		}
		created, err := res.RowsAffected()
		if err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO member_roles (userid, role) VALUES (?, ?)
ON CONFLICT (userid, role) DO NOTHING`, userID, string(r))
		if err != nil {
			return err
		}
		granted, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if granted > 0 && created == 0 {
			_, err := tx.ExecContext(ctx, `UPDATE members SET updated_at = ? WHERE userid = ?`, now, userID)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("grant role %q to %q: %w", r, userID, err)
	}
	return nil
}

// cleanRoles checks that every role is known and returns them without
// duplicates, in the order of AllRoles.
func cleanRoles(roles []Role) ([]Role, error) {
	var clean []Role
	for _, r := range roles {
		if !slices.Contains(AllRoles(), r) {
			return nil, fmt.Errorf("unknown role %q", r)
		}
		if !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	sortRoles(clean)
	return clean, nil
}

// sortRoles sorts roles in the order of AllRoles; roles it does not know
// (written by a newer binary) go last, alphabetically.
func sortRoles(roles []Role) {
	rank := func(r Role) int {
		if i := slices.Index(AllRoles(), r); i >= 0 {
			return i
		}
		return len(AllRoles())
	}
	slices.SortFunc(roles, func(a, b Role) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		return strings.Compare(string(a), string(b))
	})
}

// formatTime formats t in UTC as the store writes times.
func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// parseTime parses a time the store wrote.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// upsertMemberRow writes m's member row (not its roles), keeping the
// original created_at.
func upsertMemberRow(ctx context.Context, tx *sql.Tx, m Member, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO members (userid, name, mobile, department, active, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (userid) DO UPDATE SET
    name = excluded.name,
    mobile = excluded.mobile,
    department = excluded.department,
    active = excluded.active,
    updated_at = excluded.updated_at`,
		m.UserID, m.Name, m.Mobile, m.Department, m.Active, now, now)
	return err
}

// TimeText is how the store writes a time (UTC, nine fractional digits, so
// text order is time order); other domains' tables in the same database use
// it too.
func TimeText(t time.Time) string { return formatTime(t) }

// ParseTimeText reads a time written by TimeText.
func ParseTimeText(s string) (time.Time, error) { return parseTime(s) }

// NullTimeText is TimeText for a column that is NULL when there is no time.
func NullTimeText(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return TimeText(t)
}

// ParseNullTimeText reads what NullTimeText wrote (NULL is the zero time).
func ParseNullTimeText(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return ParseTimeText(s.String)
}
