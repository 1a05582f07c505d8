package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

const (
	testToken  = "DutyBot2026"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testCorpID = "ww2f6e1c9a0b3d4e5f"
)

type vector struct {
	Name, Token, EncodingAESKey, CorpID, Timestamp, Nonce, Encrypt, MsgSignature, Plaintext string
}

// TestVectors checks signatures and decryption against fixed vectors: the
// URL-verification example from WeCom's developer documentation and
// callbacks encrypted once with silenceper's implementation.
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/wecom_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 3 {
		t.Fatalf("expected at least 3 vectors, got %d", len(vs))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			c, err := NewCrypto(v.Token, v.EncodingAESKey, v.CorpID)
			if err != nil {
				t.Fatal(err)
			}
			if got := Signature(v.Token, v.Timestamp, v.Nonce, v.Encrypt); got != v.MsgSignature {
				t.Errorf("Signature = %s, want %s", got, v.MsgSignature)
			}
			if err := c.Verify(v.MsgSignature, v.Timestamp, v.Nonce, v.Encrypt); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := c.Verify(v.MsgSignature, v.Timestamp, v.Nonce+"1", v.Encrypt); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify with changed nonce = %v, want ErrBadSignature", err)
			}
			got, err := c.Decrypt(v.Encrypt)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if string(got) != v.Plaintext {
				t.Errorf("Decrypt = %q, want %q", got, v.Plaintext)
			}
		})
	}
}

// TestRoundTripWithSilenceper encrypts with silenceper's independent
// implementation and decrypts with ours, and the other way round.
func TestRoundTripWithSilenceper(t *testing.T) {
	c, err := NewCrypto(testToken, testAESKey, testCorpID)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"", "x", "签到", strings.Repeat("值班日志", 1000), strings.Repeat("a", 11), strings.Repeat("b", 12)} {
		enc, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(msg), testCorpID, testAESKey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decrypt(string(enc))
		if err != nil {
			t.Fatalf("Decrypt(len %d): %v", len(msg), err)
		}
		if string(got) != msg {
			t.Fatalf("Decrypt = %q, want %q", got, msg)
		}
		// silenceper checks the receive id too: a payload for another corp
		// fails both.
		other, _ := util.EncryptMsg([]byte("0123456789abcdef"), []byte(msg), "wwOtherCorp", testAESKey)
		if _, err := c.Decrypt(string(other)); !errors.Is(err, ErrWrongReceiver) {
			t.Fatalf("Decrypt for another corp = %v, want ErrWrongReceiver", err)
		}
	}
}

// encryptRaw encrypts an arbitrary padded plaintext with the test key, to
// build malformed payloads silenceper would never produce.
func encryptRaw(t *testing.T, plain []byte) string {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(testAESKey + "=")
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

func TestDecryptRejects(t *testing.T) {
	c, err := NewCrypto(testToken, testAESKey, testCorpID)
	if err != nil {
		t.Fatal(err)
	}
	// 16 random + length 0x7fffffff + nothing, padded with 12 bytes of 12.
	hugeLen := append(bytes.Repeat([]byte{'r'}, 16), 0x7f, 0xff, 0xff, 0xff)
	hugeLen = append(hugeLen, bytes.Repeat([]byte{12}, 12)...)
	// Valid length but padding bytes that disagree.
	badPad := append(bytes.Repeat([]byte{'r'}, 16), 0, 0, 0, 1, 'x')
	badPad = append(badPad, []byte(testCorpID)...)
	for len(badPad)%32 != 0 {
		badPad = append(badPad, 3)
	}
	badPad[len(badPad)-1] = 5
	tests := []struct {
		name    string
		encrypt string
		want    error
	}{
		{"not base64", "%%%not-base64%%%", ErrBadCiphertext},
		{"empty", "", ErrBadCiphertext},
		{"not block aligned", base64.StdEncoding.EncodeToString([]byte("short")), ErrBadCiphertext},
		{"garbage blocks", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64)), ErrBadCiphertext},
		{"length beyond payload", encryptRaw(t, hugeLen), ErrBadCiphertext},
		{"inconsistent padding", encryptRaw(t, badPad), ErrBadCiphertext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Decrypt(tt.encrypt); !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewCryptoRejectsBadSettings(t *testing.T) {
	tests := []struct{ name, token, key, corp string }{
		{"short key", testToken, testAESKey[:40], testCorpID},
		{"key not base64", testToken, strings.Repeat("*", 43), testCorpID},
		{"no token", "", testAESKey, testCorpID},
		{"no corp", testToken, testAESKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCrypto(tt.token, tt.key, tt.corp)
			if err == nil {
				t.Fatal("NewCrypto accepted bad settings")
			}
			if strings.Contains(err.Error(), testAESKey) {
				t.Fatalf("error reveals the key: %v", err)
			}
		})
	}
}
