// Package wecom speaks WeCom's (企业微信) protocols: the callback crypto and
// message format, and the API client that sends messages through
// silenceper/wechat's work module.
package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Errors returned while opening a callback. Handlers map them to HTTP statuses.
var (
	// ErrBadSignature means msg_signature does not match: the request did not
	// come from WeCom or was changed on the way.
	ErrBadSignature = errors.New("wecom: bad msg_signature")
	// ErrBadCiphertext means the encrypted payload could not be decrypted.
	ErrBadCiphertext = errors.New("wecom: undecryptable payload")
	// ErrWrongReceiver means the payload decrypted but is addressed to a
	// different corp (receive id ≠ our corp id).
	ErrWrongReceiver = errors.New("wecom: receive id is not our corp id")
)

// blockSize is the PKCS#7 block size WeCom pads to (not AES's 16).
const blockSize = 32

// Crypto verifies and decrypts callbacks for one WeCom app.
type Crypto struct {
	token  string
	key    []byte
	block  cipher.Block
	corpID string
}

// NewCrypto checks the app's callback token and 43-character EncodingAESKey.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	if token == "" || corpID == "" {
		return nil, errors.New("wecom crypto: token and corp id are required")
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom crypto: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecom crypto: EncodingAESKey is not valid base64 for a 32-byte key")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wecom crypto: %w", err)
	}
	return &Crypto{token: token, key: key, block: block, corpID: corpID}, nil
}

// Signature is WeCom's msg_signature: SHA-1 hex over the sorted, concatenated
// token, timestamp, nonce and encrypted payload.
func Signature(token, timestamp, nonce, encrypt string) string {
	parts := []string{token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify checks msg_signature in constant time.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypt string) error {
	want := Signature(c.token, timestamp, nonce, encrypt)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return ErrBadSignature
	}
	return nil
}

// Decrypt opens an encrypted payload (base64 of AES-256-CBC over
// random(16) + length(4, big-endian) + message + receive id), checks the
// padding strictly and the receive id equals our corp id, and returns the
// message.
func (c *Crypto) Decrypt(encrypt string) ([]byte, error) {
	ciphertext, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrBadCiphertext, err)
	}
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: length %d is not a multiple of the AES block", ErrBadCiphertext, len(ciphertext))
	}
	plain := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(plain, ciphertext)

	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > blockSize || pad > len(plain) {
		return nil, fmt.Errorf("%w: bad padding", ErrBadCiphertext)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrBadCiphertext)
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, fmt.Errorf("%w: too short", ErrBadCiphertext)
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, fmt.Errorf("%w: message length %d exceeds payload", ErrBadCiphertext, n)
	}
	msg, receiveID := plain[20:20+n], plain[20+n:]
	if subtle.ConstantTimeCompare(receiveID, []byte(c.corpID)) != 1 {
		return nil, ErrWrongReceiver
	}
	return bytes.Clone(msg), nil
}
