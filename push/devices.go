package push

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"dutybot/roster"
)

// PairingCodeTTL is how long a pairing code from 绑定手机 is valid.
const PairingCodeTTL = 10 * time.Minute

// pairingCodeKeep is how long an expired or used code stays in the table, so
// a late claim is told "expired" or "used" rather than "unknown".
const pairingCodeKeep = 24 * time.Hour

// pairingCodeTries bounds the search for a code no unexpired code holds.
const pairingCodeTries = 50

// Errors of pairing and device look-ups. The HTTP API answers the three code
// errors alike, so codes cannot be probed; the distinction is for the log.
var (
	ErrPairingCodeUnknown = errors.New("pairing code unknown")
	ErrPairingCodeExpired = errors.New("pairing code expired")
	ErrPairingCodeUsed    = errors.New("pairing code already used")
	// ErrMemberInactive: the code's member was deactivated after asking.
	ErrMemberInactive = errors.New("member is not active")
	// ErrBadCredential: no device with that id, or the secret is wrong.
	ErrBadCredential = errors.New("device credential not valid")
	// ErrNoSuchDevice: the member has no device with that number.
	ErrNoSuchDevice = errors.New("no such device")
	// ErrBadDevice: the device to pair lacks a known platform or a token.
	ErrBadDevice = errors.New("device needs platform ios or android and a token")
)

// ValidPlatform reports whether p is a platform dutybot can push to.
func ValidPlatform(p Platform) bool { return p == IOS || p == Android }

// NewPairingCode gives userID a fresh 6-digit code, valid for ttl
// (PairingCodeTTL when ttl <= 0) and usable once. No other unexpired code
// has the same digits. The member's earlier unused codes stop working, so
// only the newest one is live. Codes expired more than a day are removed.
func (s *SQLStore) NewPairingCode(ctx context.Context, userID string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		ttl = PairingCodeTTL
	}
	now := s.clock.Now()
	nowText := roster.TimeText(now)
	var code string
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pairing_codes WHERE expires_at < ?`,
			roster.TimeText(now.Add(-pairingCodeKeep))); err != nil {
			return fmt.Errorf("remove old codes: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pairing_codes SET expires_at = ?
WHERE userid = ? AND used_at IS NULL AND expires_at > ?`, nowText, userID, nowText); err != nil {
			return fmt.Errorf("retire earlier codes: %w", err)
		}
		for range pairingCodeTries {
			c, err := randomDigits(6)
			if err != nil {
				return err
			}
			ok, err := insertCode(ctx, tx, c, userID, now.Add(ttl), now)
			if err != nil {
				return err
			}
			if ok {
				code = c
				return nil
			}
		}
		return errors.New("no free code found")
	})
	if err != nil {
		return "", fmt.Errorf("new pairing code for %s: %w", userID, err)
	}
	return code, nil
}

// insertCode stores code for userID until expires, unless an unexpired,
// unused code with the same digits exists (then it reports false). A used or
// expired row with these digits is taken over.
func insertCode(ctx context.Context, tx *sql.Tx, code, userID string, expires, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO pairing_codes (code, userid, expires_at, used_at)
VALUES (?, ?, ?, NULL)
ON CONFLICT (code) DO UPDATE SET userid = excluded.userid, expires_at = excluded.expires_at, used_at = NULL
WHERE pairing_codes.used_at IS NOT NULL OR pairing_codes.expires_at <= ?`,
		code, userID, roster.TimeText(expires), roster.TimeText(now))
	if err != nil {
		return false, fmt.Errorf("insert code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert code: %w", err)
	}
	return n == 1, nil
}

// ClaimPairing pairs the phone d (Platform, Token, Topic; other fields are
// ignored) with the member who asked for code, in one transaction: the code
// must exist (ErrPairingCodeUnknown), be unused (ErrPairingCodeUsed) and
// unexpired (ErrPairingCodeExpired), and its member active
// (ErrMemberInactive); it is then marked used. The device gets a random
// 32-byte credential secret, returned here once and stored only as its
// SHA-256 hash. A phone already paired (same platform and token) is moved
// to this member with a new id and credential; its old credential stops
// working.
func (s *SQLStore) ClaimPairing(ctx context.Context, code string, d Device) (Device, string, error) {
	if !ValidPlatform(d.Platform) || d.Token == "" {
		return Device{}, "", fmt.Errorf("claim pairing: %w", ErrBadDevice)
	}
	secret, hash, err := newSecret()
	if err != nil {
		return Device{}, "", fmt.Errorf("claim pairing: %w", err)
	}
	now := s.clock.Now()
	nowText := roster.TimeText(now)
	out := Device{Platform: d.Platform, Token: d.Token, Topic: d.Topic, Added: now.UTC(), LastSeen: now.UTC()}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		var userID, expires string
		var used sql.NullString
		var active bool
		err := tx.QueryRowContext(ctx, `SELECT p.userid, p.expires_at, p.used_at, m.active
FROM pairing_codes p JOIN members m ON m.userid = p.userid WHERE p.code = ?`, code).Scan(&userID, &expires, &used, &active)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrPairingCodeUnknown
		case err != nil:
			return fmt.Errorf("read code: %w", err)
		case used.Valid:
			return ErrPairingCodeUsed
		case expires <= nowText:
			return ErrPairingCodeExpired
		case !active:
			return ErrMemberInactive
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pairing_codes SET used_at = ? WHERE code = ?`, nowText, code); err != nil {
			return fmt.Errorf("mark code used: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE platform = ? AND token = ?`, string(d.Platform), d.Token); err != nil {
			return fmt.Errorf("remove earlier pairing: %w", err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO devices (userid, platform, token, topic, secret_hash, created_at, last_seen)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			userID, string(d.Platform), d.Token, d.Topic, hash, nowText, nowText).Scan(&out.ID)
		if err != nil {
			return fmt.Errorf("insert device: %w", err)
		}
		out.UserID = userID
		return nil
	})
	if err != nil {
		return Device{}, "", fmt.Errorf("claim pairing: %w", err)
	}
	return out, secret, nil
}

// DeviceByCredential returns the device deviceID when secret is its
// credential (compared as SHA-256 hashes in constant time) and records the
// call as the device's last use. Any mismatch, including an unknown id, is
// ErrBadCredential.
func (s *SQLStore) DeviceByCredential(ctx context.Context, deviceID int64, secret string) (Device, error) {
	d, hash, err := s.deviceByID(ctx, deviceID)
	if errors.Is(err, sql.ErrNoRows) {
		// Compare anyway, so an unknown id takes as long as a wrong secret.
		hash = hashSecret("")
	} else if err != nil {
		return Device{}, fmt.Errorf("device %d: %w", deviceID, err)
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(hash)) != 1 || d.ID == 0 {
		return Device{}, fmt.Errorf("device %d: %w", deviceID, ErrBadCredential)
	}
	// A member who left (deactivated) no longer acknowledges from a phone
	// paired earlier: the credential stops working with the membership.
	var active bool
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT active FROM members WHERE userid = ?`, d.UserID).Scan(&active); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Device{}, fmt.Errorf("device %d: member %s: %w", deviceID, d.UserID, err)
	}
	if !active {
		return Device{}, fmt.Errorf("device %d: member %s is deactivated: %w", deviceID, d.UserID, ErrBadCredential)
	}
	now := s.clock.Now()
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE devices SET last_seen = ? WHERE id = ?`, roster.TimeText(now), deviceID)
		return err
	})
	if err != nil {
		return Device{}, fmt.Errorf("device %d: record last use: %w", deviceID, err)
	}
	d.LastSeen = now.UTC()
	return d, nil
}

// Devices lists userID's phones in id order (the order 我的设备 numbers).
func (s *SQLStore) Devices(ctx context.Context, userID string) ([]Device, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE userid = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("devices of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, _, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("devices of %s: %w", userID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("devices of %s: %w", userID, err)
	}
	return out, nil
}

// DeleteDevice removes userID's n-th device (1-based, in id order, as
// 我的设备 shows them) and returns it; ErrNoSuchDevice when there is none.
func (s *SQLStore) DeleteDevice(ctx context.Context, userID string, n int) (Device, error) {
	if n < 1 {
		return Device{}, fmt.Errorf("delete device %d of %s: %w", n, userID, ErrNoSuchDevice)
	}
	var d Device
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE userid = ? ORDER BY id LIMIT 1 OFFSET ?`, userID, n-1)
		var err error
		d, _, err = scanDevice(row)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSuchDevice
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM devices WHERE id = ?`, d.ID)
		return err
	})
	if err != nil {
		return Device{}, fmt.Errorf("delete device %d of %s: %w", n, userID, err)
	}
	return d, nil
}

// PruneDevice removes the device with this platform and token, for tokens
// a provider reports invalid. It returns the removed device and true, or
// false when no device had the token (already pruned or re-paired).
func (s *SQLStore) PruneDevice(ctx context.Context, platform Platform, token string) (Device, bool, error) {
	var d Device
	found := false
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `DELETE FROM devices WHERE platform = ? AND token = ? RETURNING `+deviceColumns, string(platform), token)
		var err error
		d, _, err = scanDevice(row)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		return Device{}, false, fmt.Errorf("prune %s device: %w", platform, err)
	}
	return d, found, nil
}

// deviceByID reads one device and its credential hash.
func (s *SQLStore) deviceByID(ctx context.Context, id int64) (Device, string, error) {
	row := s.db.Reader().QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id)
	return scanDevice(row)
}

const deviceColumns = `id, userid, platform, token, topic, secret_hash, created_at, last_seen`

// scanDevice reads deviceColumns.
func scanDevice(row interface{ Scan(...any) error }) (Device, string, error) {
	var d Device
	var platform, hash, added, seen string
	if err := row.Scan(&d.ID, &d.UserID, &platform, &d.Token, &d.Topic, &hash, &added, &seen); err != nil {
		return Device{}, "", err
	}
	d.Platform = Platform(platform)
	var err error
	if d.Added, err = roster.ParseTimeText(added); err != nil {
		return Device{}, "", fmt.Errorf("device %d created_at: %w", d.ID, err)
	}
	if d.LastSeen, err = roster.ParseTimeText(seen); err != nil {
		return Device{}, "", fmt.Errorf("device %d last_seen: %w", d.ID, err)
	}
	return d, hash, nil
}

// newSecret returns a random 32-byte credential (URL-safe base64, no
// padding) and the hash the store keeps.
func newSecret() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("random secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret), nil
}

// hashSecret is the stored form of a credential secret: hex SHA-256. The
// secret is 256 random bits, so a plain hash (no salt, no stretching) is
// enough.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// randomDigits returns n decimal digits from crypto/rand.
func randomDigits(n int) (string, error) {
	max := big.NewInt(1)
	for range n {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%0*d", n, v), nil
}
