package push

import (
	"errors"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
)

func TestAckLinks(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	key := []byte(strings.Repeat("k", 32))
	links, err := NewAckLinks(key, "https://duty.example/", time.Hour, clk)
	if err != nil {
		t.Fatal(err)
	}
	token, url := links.AckLink("E1123-001", "wangwu")
	if url != "https://duty.example/ack/"+token {
		t.Fatalf("url = %s", url)
	}
	id, user, err := links.Verify(token)
	if err != nil || id != "E1123-001" || user != "wangwu" {
		t.Fatalf("Verify = %s, %s, %v", id, user, err)
	}
	other, _ := NewAckLinks([]byte(strings.Repeat("x", 32)), "https://duty.example", time.Hour, clk)
	forged, _ := other.AckLink("E1123-001", "wangwu")
	// Swap the member in the payload but keep the signature.
	payload, sig, _ := strings.Cut(token, ".")
	swapped, _ := links.AckLink("E1123-001", "lisi")
	swappedPayload, _, _ := strings.Cut(swapped, ".")
	for name, bad := range map[string]string{
		"other key":     forged,
		"swapped user":  swappedPayload + "." + sig,
		"no signature":  payload,
		"not base64":    "%%%." + sig,
		"empty":         "",
		"garbage parts": "YWJj." + sig,
	} {
		if _, _, err := links.Verify(bad); !errors.Is(err, ErrBadAckToken) {
			t.Errorf("%s: Verify = %v, want ErrBadAckToken", name, err)
		}
	}
	clk.Advance(time.Hour + time.Second)
	if _, _, err := links.Verify(token); !errors.Is(err, ErrBadAckToken) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := NewAckLinks([]byte("short"), "x", time.Hour, clk); err == nil {
		t.Error("short key accepted")
	}
}
