package push

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dutybot/internal/clock"
)

// AckLinks signs one-tap acknowledgement links: the token names the
// escalation and the member and expires; HMAC-SHA256 with a server secret
// makes it unforgeable. Single use follows from the escalation: once it is
// acknowledged, a second tap only shows who took it.
type AckLinks struct {
	key     []byte
	baseURL string
	ttl     time.Duration
	clock   clock.Clock
}

// ErrBadAckToken is returned for a token that is malformed, forged or
// expired.
var ErrBadAckToken = errors.New("invalid or expired acknowledgement link")

// NewAckLinks makes links under baseURL (e.g. "https://duty.example.gov.cn")
// valid for ttl, signed with key (at least 32 bytes).
func NewAckLinks(key []byte, baseURL string, ttl time.Duration, clk clock.Clock) (*AckLinks, error) {
	if len(key) < 32 {
		return nil, errors.New("ack link key must be at least 32 bytes")
	}
	return &AckLinks{key: key, baseURL: strings.TrimRight(baseURL, "/"), ttl: ttl, clock: clk}, nil
}

// AckLink returns the token and the URL /ack/<token>.
func (l *AckLinks) AckLink(escalationID, userID string) (token, url string) {
	exp := l.clock.Now().Add(l.ttl).Unix()
	payload := escalationID + "|" + userID + "|" + strconv.FormatInt(exp, 10)
	token = base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + l.sign(payload)
	return token, l.baseURL + "/ack/" + token
}

func (l *AckLinks) sign(payload string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a token and returns the escalation and member it names.
func (l *AckLinks) Verify(token string) (escalationID, userID string, err error) {
	encoded, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", "", ErrBadAckToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", ErrBadAckToken
	}
	payload := string(raw)
	if !hmac.Equal([]byte(sig), []byte(l.sign(payload))) {
		return "", "", ErrBadAckToken
	}
	parts := strings.Split(payload, "|")
	if len(parts) != 3 {
		return "", "", ErrBadAckToken
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || l.clock.Now().Unix() > exp {
		return "", "", fmt.Errorf("%w (expired)", ErrBadAckToken)
	}
	return parts[0], parts[1], nil
}
