package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/push"
)

func TestLimitKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	} {
		if got := limitKey(tc.ip); got != tc.want {
			t.Errorf("limitKey(%q) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

// refusingRegistry knows no pairing code and no device.
type refusingRegistry struct{ claims int }

func (r *refusingRegistry) ClaimPairing(ctx context.Context, code string, d push.Device) (push.Device, string, error) {
	r.claims++
	return push.Device{}, "", push.ErrPairingCodeUnknown
}

func (r *refusingRegistry) DeviceByCredential(ctx context.Context, id int64, secret string) (push.Device, error) {
	return push.Device{}, push.ErrBadCredential
}

// A client that walks through the addresses of its IPv6 /64 still meets
// the pairing limit; another /64 and IPv4 clients are counted apart.
func TestAPIPairLimitCountsIPv6Networks(t *testing.T) {
	reg := &refusingRegistry{}
	clk := clock.NewFake(apiNow)
	mux := http.NewServeMux()
	(&API{Devices: reg, Limiter: push.NewPairingLimiter(clk), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Register(mux)
	pair := func(remote string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/devices", strings.NewReader(pairBody("123456", "ios", apiToken)))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range push.PairingMaxFailures {
		remote := "[2001:db8:1:2::" + string(rune('a'+i)) + "]:4000"
		if got := pair(remote); got != http.StatusForbidden {
			t.Fatalf("wrong code %d from %s: %d, want 403", i+1, remote, got)
		}
	}
	if got := pair("[2001:db8:1:2:ffff::1]:4000"); got != http.StatusTooManyRequests {
		t.Fatalf("a new address in the same /64: %d, want 429", got)
	}
	if got := pair("[2001:db8:1:3::1]:4000"); got != http.StatusForbidden {
		t.Fatalf("another /64: %d, want 403 (its own count)", got)
	}
	if got := pair("198.51.100.1:4000"); got != http.StatusForbidden {
		t.Fatalf("an IPv4 client: %d, want 403 (its own count)", got)
	}
	if reg.claims != push.PairingMaxFailures+2 {
		t.Fatalf("%d claims reached the registry, want %d", reg.claims, push.PairingMaxFailures+2)
	}
	clk.Advance(push.PairingFailureWindow)
	if got := pair("[2001:db8:1:2::99]:4000"); got != http.StatusForbidden {
		t.Fatalf("after the window: %d, want 403", got)
	}
}

// countingVerifier counts the tokens it is asked to check.
type countingVerifier struct {
	stubVerifier
	calls int
}

func (v *countingVerifier) Verify(token string) (string, string, error) {
	v.calls++
	return v.stubVerifier.Verify(token)
}

// Every answer of /ack keeps the link to itself (no Referer, no framing,
// no cache), and an oversized token is refused without being checked.
func TestAckLinkHardening(t *testing.T) {
	acker := &stubAcker{esc: map[string]push.Escalation{"E1": {ID: "E1", Title: "夜班空岗", Status: push.StatusOpen}}}
	long := strings.Repeat("A", MaxAckToken+1)
	ver := &countingVerifier{stubVerifier: stubVerifier{"good": {"E1", "wangwu"}, long: {"E1", "wangwu"}}}
	mux := http.NewServeMux()
	mux.Handle("/ack/{token}", &AckLink{Verifier: ver, Acker: acker, Location: time.UTC, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	do := func(method, token string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, "/ack/"+token, nil))
		return rec
	}
	for _, tc := range []struct {
		method, token string
		status        int
	}{
		{http.MethodGet, "good", http.StatusOK},
		{http.MethodGet, "forged", http.StatusForbidden},
		{http.MethodPut, "good", http.StatusMethodNotAllowed},
	} {
		rec := do(tc.method, tc.token)
		if rec.Code != tc.status {
			t.Fatalf("%s %s = %d, want %d", tc.method, tc.token, rec.Code, tc.status)
		}
		for k, v := range ackPageHeaders {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.token, k, got, v)
			}
		}
	}
	calls := ver.calls
	if rec := do(http.MethodPost, long); rec.Code != http.StatusForbidden {
		t.Fatalf("POST with a %d-byte token = %d, want 403", len(long), rec.Code)
	}
	if ver.calls != calls || len(acker.acks) != 0 {
		t.Fatalf("an oversized token was verified (%d calls) or acknowledged (%v)", ver.calls-calls, acker.acks)
	}
}
