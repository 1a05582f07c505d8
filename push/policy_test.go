package push

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr bool
	}{
		{"leader_on_duty", Target{Kind: TargetLeaderOnDuty}, false},
		{"officers_on_duty", Target{Kind: TargetOfficersOnDuty}, false},
		{"admins", Target{Kind: TargetAdmins}, false},
		{"role:leader", Target{Kind: TargetRole, Value: "leader"}, false},
		{"role:领导", Target{Kind: TargetRole, Value: "leader"}, false},
		{"member:zhangsan", Target{Kind: TargetMember, Value: "zhangsan"}, false},
		{"role:chef", Target{}, true},
		{"member:", Target{}, true},
		{"everyone", Target{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestDefaultPoliciesAreValid(t *testing.T) {
	for kind, p := range DefaultPolicies() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		if p.Kind != kind {
			t.Errorf("policy under %s says kind %s", kind, p.Kind)
		}
	}
	if p := DefaultPolicies()[KindReportMajor]; p.Urgency != Critical {
		t.Errorf("重大 reports must be critical, got %s", p.Urgency)
	}
}

func TestLoadPolicies(t *testing.T) {
	write := func(t *testing.T, s string) string {
		path := filepath.Join(t.TempDir(), "policies.yaml")
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ps, err := LoadPolicies(write(t, `policies:
  missed_checkin:
    urgency: critical
    repeat: 1
    steps:
      - targets: [leader_on_duty, "member:boss"]
        channels: [wecom, push]
        wait: 2m
  drill:
    steps:
      - targets: [admins]
        channels: [wecom]
`))
	if err != nil {
		t.Fatal(err)
	}
	mc := ps[KindMissedCheckin]
	if mc.Urgency != Critical || mc.Repeat != 1 || len(mc.Steps) != 1 || mc.Steps[0].Wait != 2*time.Minute ||
		mc.Steps[0].Targets[1] != (Target{Kind: TargetMember, Value: "boss"}) {
		t.Errorf("missed_checkin = %+v", mc)
	}
	if d := ps["drill"]; d.Urgency != TimeSensitive || d.Steps[0].Wait != 5*time.Minute {
		t.Errorf("drill = %+v (defaults: time-sensitive, 5m)", d)
	}
	if _, ok := ps[KindReportMajor]; !ok {
		t.Error("built-in kinds not kept")
	}
	if !strings.Contains(mc.Describe(), "当班带班领导") || !strings.Contains(mc.Describe(), "等待 2m0s") {
		t.Errorf("Describe = %s", mc.Describe())
	}

	for _, tt := range []struct{ name, yaml, want string }{
		{"bad target", "policies:\n  x:\n    steps:\n      - {targets: [nobody], channels: [wecom]}\n", "target \"nobody\""},
		{"bad channel", "policies:\n  x:\n    steps:\n      - {targets: [admins], channels: [fax]}\n", "channel \"fax\""},
		{"no steps", "policies:\n  x:\n    urgency: critical\n", "no steps"},
		{"short wait", "policies:\n  x:\n    steps:\n      - {targets: [admins], channels: [wecom], wait: 1s}\n", "30s to 24h"},
		{"bad urgency", "policies:\n  x:\n    urgency: loud\n    steps:\n      - {targets: [admins], channels: [wecom]}\n", "critical or time-sensitive"},
		{"unknown key", "policies:\n  x:\n    colour: red\n", "colour"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadPolicies(write(t, tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadPolicies = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestExamplePolicyFile(t *testing.T) {
	ps, err := LoadPolicies("../configs/escalation.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p := ps[KindReportMajor]; p.Urgency != Critical || p.Repeat != 3 || p.Steps[0].Wait != 3*time.Minute {
		t.Errorf("report_major = %+v", p)
	}
	if _, ok := ps[KindSpotCheck]; !ok {
		t.Error("built-in spot_check dropped")
	}
}
