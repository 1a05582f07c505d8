// Package access keeps who may open the web console: admin API tokens
// (made with `dutybot token create`) and the console's browser sessions.
// Only SHA-256 hashes of tokens and session ids are stored; the secrets
// themselves are handed out once and never kept or logged.
//
// What a member may do once in is decided by their roles, read from the
// roster on every request (package handlers/console), not by this package.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
)

// SessionTTL is how long a console session lasts from login.
const SessionTTL = 8 * time.Hour

// TokenPrefix starts every API token, so one found in a file or a log is
// recognisable.
const TokenPrefix = "dbt_"

// Errors of the lookups.
var (
	// ErrNotFound: no such token (by id) or session.
	ErrNotFound = errors.New("not found")
	// ErrBadToken: the token is unknown or revoked.
	ErrBadToken = errors.New("unknown or revoked token")
	// ErrExpired: the session existed but has expired.
	ErrExpired = errors.New("session expired")
)

// Token is an admin API token (without its secret).
type Token struct {
	ID         int64
	Name       string
	UserID     string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until used
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Session is a browser session of the console.
type Session struct {
	UserID string
	// CSRF is the token every POST of the session must carry.
	CSRF string
	// Via is how the member logged in: "token" or "wecom".
	Via       string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Login methods.
const (
	ViaToken = "token"
	ViaWeCom = "wecom"
)

// Database is the shared store the tables live in (roster.SQLStore
// satisfies it): writes through its committer, reads through its read pool.
type Database interface {
	Write(ctx context.Context, fn func(tx *sql.Tx) error) error
	Reader() *sql.DB
}

// SQLStore keeps tokens and sessions.
type SQLStore struct {
	db    Database
	clock clock.Clock
}

// NewSQLStore returns the access store over db.
func NewSQLStore(db Database, clk clock.Clock) *SQLStore { return &SQLStore{db: db, clock: clk} }

func (s *SQLStore) now() time.Time { return s.clock.Now().UTC() }

// randomSecret is 32 random bytes, base64url without padding.
func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash is the hex SHA-256 of a token or session id, as stored.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for userID (who must be a member) and returns
// its secret, which is not stored and cannot be shown again.
func (s *SQLStore) CreateToken(ctx context.Context, userID, name string) (string, Token, error) {
	raw, err := randomSecret()
	if err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + raw
	t := Token{Name: name, UserID: userID, CreatedAt: s.now()}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE userid = ?`, userID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s is not a member: %w", userID, roster.ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (hash, name, userid, created_at) VALUES (?, ?, ?, ?)`,
			Hash(secret), name, userID, roster.TimeText(t.CreatedAt))
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token for %s: %w", userID, err)
	}
	return secret, t, nil
}

const tokenColumns = `id, name, userid, created_at, last_used_at, revoked_at`

func scanToken(r roster.RowScanner) (Token, error) {
	var t Token
	var created string
	var used, revoked sql.NullString
	if err := r.Scan(&t.ID, &t.Name, &t.UserID, &created, &used, &revoked); err != nil {
		return Token{}, err
	}
	var err error
	if t.CreatedAt, err = roster.ParseTimeText(created); err != nil {
		return Token{}, err
	}
	if t.LastUsedAt, err = roster.ParseNullTimeText(used); err != nil {
		return Token{}, err
	}
	if t.RevokedAt, err = roster.ParseNullTimeText(revoked); err != nil {
		return Token{}, err
	}
	return t, nil
}

// Tokens lists every token, oldest first.
func (s *SQLStore) Tokens(ctx context.Context) ([]Token, error) {
	ts, err := roster.QueryAll(ctx, s.db.Reader(), scanToken, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes token id and returns it; revoking a revoked token
// changes nothing. An unknown id is ErrNotFound.
func (s *SQLStore) RevokeToken(ctx context.Context, id int64) (Token, error) {
	var t Token
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			roster.TimeText(s.now()), id); err != nil {
			return err
		}
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %d: %w", id, err)
	}
	return t, nil
}

// UseToken finds the valid token with this secret and records its use. An
// unknown or revoked secret is ErrBadToken.
func (s *SQLStore) UseToken(ctx context.Context, secret string) (Token, error) {
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Token{}, ErrBadToken
	}
	var t Token
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, Hash(secret)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrBadToken
		case err != nil:
			return err
		case t.Revoked():
			return ErrBadToken
		}
		t.LastUsedAt = s.now()
		_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, roster.TimeText(t.LastUsedAt), t.ID)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrBadToken) {
			return Token{}, ErrBadToken
		}
		return Token{}, fmt.Errorf("check token: %w", err)
	}
	return t, nil
}

// CreateSession starts a session of userID and returns its id (the cookie
// value, not stored) and the session. Sessions expired for over a day are
// removed on the way.
func (s *SQLStore) CreateSession(ctx context.Context, userID, via string) (string, Session, error) {
	id, err := randomSecret()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomSecret()
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	sess := Session{UserID: userID, CSRF: csrf, Via: via, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at < ?`, roster.TimeText(now.Add(-24*time.Hour))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (hash, userid, csrf, via, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			Hash(id), userID, csrf, via, roster.TimeText(sess.CreatedAt), roster.TimeText(sess.ExpiresAt))
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session for %s: %w", userID, err)
	}
	return id, sess, nil
}

// Session returns the session with this id: ErrNotFound when there is
// none, ErrExpired (with the session) when it has expired.
func (s *SQLStore) Session(ctx context.Context, id string) (Session, error) {
	if id == "" {
		return Session{}, ErrNotFound
	}
	var sess Session
	var created, expires string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT userid, csrf, via, created_at, expires_at FROM console_sessions WHERE hash = ?`, Hash(id)).
		Scan(&sess.UserID, &sess.CSRF, &sess.Via, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	if sess.CreatedAt, err = roster.ParseTimeText(created); err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	if sess.ExpiresAt, err = roster.ParseTimeText(expires); err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return sess, ErrExpired
	}
	return sess, nil
}

// DeleteSession ends a session (logout); an unknown id changes nothing.
func (s *SQLStore) DeleteSession(ctx context.Context, id string) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE hash = ?`, Hash(id))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
