package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/push"
	"dutybot/push/apnstest"
	"dutybot/roster"
)

// p8Key writes a fresh P-256 key in Apple's .p8 (PKCS#8 PEM) format.
func p8Key(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "AuthKey_TEST123456.p8")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestE2EMajorReportReachesLeadersThroughAPNs drives the whole chain with
// the real APNs client against the local HTTP/2 APNs fake: a 重大 report
// escalation rings the leader on duty with a critical push, nobody answers,
// every leader is pushed next, the link acknowledges it, and a phone APNs
// calls unregistered is pruned with a WeCom note to its owner.
func TestE2EMajorReportReachesLeadersThroughAPNs(t *testing.T) {
	srv, apple := apnstest.NewServer()
	defer srv.Close()
	e := newE2EWith(t) // senders set below, once the test clock exists
	apns, err := push.NewAPNs(push.APNsConfig{KeyFile: p8Key(t), KeyID: "TEST123456", TeamID: "TEAM123456", Topic: "cn.gov.duty", Host: srv.URL},
		e.clock, push.WithAPNsTLSConfig(apnstest.ClientTLSConfig(srv)))
	if err != nil {
		t.Fatal(err)
	}
	e.opts = []Option{WithPushSenders(map[push.Platform]push.Sender{push.IOS: apns})}
	e.restart()
	ctx := context.Background()
	e.addMembers(
		roster.Member{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}},
		roster.Member{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleLeader}},
	)
	// 王五 leads today's 白班 (09:00 now) and both leaders have iPhones.
	today := roster.NewDate(2026, 11, 23)
	if err := e.app.Store.ReplaceSlots(ctx, []roster.Slot{{Date: today, Shift: "白班"}},
		[]roster.Assignment{{Date: today, Shift: "白班", Role: roster.RoleLeader, UserID: "wangwu"}},
		roster.AuditEntry{Actor: "test", Action: "排班"}); err != nil {
		t.Fatal(err)
	}
	for user, token := range map[string]string{"wangwu": "aaaa0001", "lisi": "bbbb0002"} {
		code, err := e.app.Escalations.NewPairingCode(ctx, user, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.app.Escalations.ClaimPairing(ctx, code, push.Device{Platform: push.IOS, Token: token, Topic: "cn.gov.duty"}); err != nil {
			t.Fatal(err)
		}
	}

	esc, err := e.app.Engine.Raise(ctx, push.Event{Kind: push.KindReportMajor, Subject: "2026-1123-001", Title: "重大：XX路口两车相撞", Body: "2人受伤"})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	got, err := apple.WaitFor(waitCtx, 1)
	if err != nil {
		t.Fatal(err)
	}
	first := got[0]
	if first.Token != "aaaa0001" || first.Aps()["interruption-level"] != "critical" ||
		first.Header.Get("apns-collapse-id") != esc.ID || first.Header.Get("apns-priority") != "10" {
		t.Fatalf("first push = %+v %v", first.Header, first.Payload)
	}
	if !strings.Contains(first.Header.Get("authorization"), "bearer ") {
		t.Fatalf("no provider token: %v", first.Header)
	}

	// Nobody acknowledges within 3 minutes: every leader (and the admin) is
	// reached; 李四's phone has been unregistered meanwhile.
	apple.Unregister("bbbb0002", e.clock.Now())
	if err := e.clock.BlockUntil(waitCtx, 1); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Minute)
	if _, err := apple.WaitFor(waitCtx, 2); err != nil {
		t.Fatal(err)
	}
	// lisi is told to pair again, and the device is gone.
	note := e.waitSent("lisi", 2) // the alert card, then the note
	var told bool
	for _, s := range note {
		told = told || strings.Contains(s.Content, "手机推送已失效")
	}
	if !told {
		t.Fatalf("lisi was not told the phone was pruned: %+v", note)
	}
	if ds, _ := e.app.Escalations.Devices(ctx, "lisi"); len(ds) != 0 {
		t.Fatalf("lisi's devices after Unregistered = %+v", ds)
	}

	// 王五 taps the link in the push: acknowledged, no more pushes.
	var ackURL string
	for _, n := range apple.Notifications() {
		if n.Token == "aaaa0001" {
			ackURL, _ = n.Payload["ack_url"].(string)
		}
	}
	link, err := url.Parse(ackURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.srv.URL+link.Path, "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ack link: %v %v", resp, err)
	}
	resp.Body.Close()
	stored, _ := e.app.Escalations.Escalation(ctx, esc.ID)
	if stored.Status != push.StatusAcked || stored.AckedBy != "wangwu" || stored.AckedVia != "link" {
		t.Fatalf("after link: %+v", stored)
	}
	if n := e.app.Engine.Armed(); n != 0 {
		t.Fatalf("%d escalation timers still armed after the ack", n)
	}
	// And 李四's WeCom alert card now says who took it.
	if _, err := e.fake.WaitUpdates(waitCtx, 1, func(u wecomtest.Update) bool {
		return slices.Equal(u.UserIDs, []string{"lisi"}) && u.ReplaceName == "已由 王五 于 09:03 确认"
	}); err != nil {
		t.Fatalf("lisi's card not updated: %v (updates %+v)", err, e.fake.Updates())
	}
}
