package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBenchPush(t *testing.T) {
	ctx, url := startDemo(t)

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"bench", "push", "--url", url, "-phones", "6", "-n", "5", "-c", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("bench push: exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	// 赵六 has no phone of the demo's own: the 5 alerts reach exactly the 6
	// phones paired here, 3 iPhones and 3 Android phones.
	for _, want := range []string{
		"pairing: 6 phones", "5 sent, 5 answered 200", "escalations: 5 raised; 30 pushes", "(6 per alert)",
		"ios     delivered 15, invalid 0, failed 0", "android delivered 15, invalid 0, failed 0",
		"push latency (all, 30 pushes", "push latency (ios, 15 pushes", "server memory: RSS",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("bench push output lacks %q:\n%s", want, stdout.String())
		}
	}
	t.Log(stdout.String())

	for _, args := range [][]string{
		{"bench", "push", "--url", url, "-phones", "10001"},
		{"bench", "push", "--url", url, "-n", "0"},
		{"bench", "push", "--url", "http://192.0.2.1:8080", "-n", "1"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(ctx, args, &stdout, &stderr); code == 0 {
			t.Errorf("%v: exit 0, want a refusal", args)
		}
	}
}
