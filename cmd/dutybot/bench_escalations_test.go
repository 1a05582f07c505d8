package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBenchEscalations(t *testing.T) {
	ctx, url := startDemo(t)

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"bench", "escalations", "--url", url, "-n", "20", "-c", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("bench escalations: exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	for _, want := range []string{"20 sent, 20 answered 200", "escalations: 20 raised", `{channel="wecom",status="queued"} 20`, "timer lateness: no escalation timer fired"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("bench escalations output lacks %q:\n%s", want, stdout.String())
		}
	}
	t.Log(stdout.String())

	for _, args := range [][]string{
		{"bench", "escalations", "--url", url, "-n", "100001"},
		{"bench", "escalations", "--url", "http://192.0.2.1:8080", "-n", "1"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(ctx, args, &stdout, &stderr); code == 0 {
			t.Errorf("%v: exit 0, want a refusal", args)
		}
	}
}
