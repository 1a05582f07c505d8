package bot

import "testing"

func TestParseCardKey(t *testing.T) {
	for _, tc := range []struct {
		key    string
		id     int64
		action string
		ok     bool
	}{
		{"instr:12:relay", 12, "relay", true},
		{"report:1:read", 1, "read", true},
		{"request:3:", 3, "", true},
		{"instr:x:relay", 0, "", false},
		{"instr:0:relay", 0, "", false},
		{"instr:-2:relay", 0, "", false},
		{"instr:12", 0, "", false},
		{"instr:1:relay:extra", 0, "", false},
		{"", 0, "", false},
	} {
		id, action, ok := parseCardKey(tc.key)
		if id != tc.id || action != tc.action || ok != tc.ok {
			t.Errorf("parseCardKey(%q) = %d, %q, %v; want %d, %q, %v", tc.key, id, action, ok, tc.id, tc.action, tc.ok)
		}
	}
	for _, tc := range []struct {
		key string
		id  int64
		ok  bool
	}{
		{"spot:7", 7, true},
		{"handover:1", 1, true},
		{"handover:x", 0, false},
		{"spot:0", 0, false},
		{"spot:7:x", 0, false},
		{"spot", 0, false},
	} {
		if id, ok := parseCardIDKey(tc.key); id != tc.id || ok != tc.ok {
			t.Errorf("parseCardIDKey(%q) = %d, %v; want %d, %v", tc.key, id, ok, tc.id, tc.ok)
		}
	}
}
