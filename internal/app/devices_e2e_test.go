package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"dutybot/push"
)

// devPair posts a pairing request to the real server and returns the
// status and the decoded body.
func (e *e2e) devPair(body string) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+"/api/v1/devices", "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("POST /api/v1/devices answered %d with non-JSON %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

var devCodeRE = regexp.MustCompile(`绑定码：(\d{6})`)

func TestE2EPairListUnpair(t *testing.T) {
	e := newE2E(t, "")
	ctx := context.Background()

	mbWant(t, e.mbSay("zhangsan", "我的设备").Content, "还没有绑定手机", "绑定手机")

	reply := e.mbSay("zhangsan", "绑定手机").Content
	mbWant(t, reply, "10 分钟内有效", "09:10 前", "只能使用一次", "值班App")
	m := devCodeRE.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("no 6-digit code in %q", reply)
	}
	code := m[1]

	token := strings.Repeat("ab12", 16)
	status, body := e.devPair(fmt.Sprintf(`{"code":%q,"platform":"ios","token":%q,"topic":"cn.gov.dutybot"}`, code, token))
	if status != http.StatusCreated {
		t.Fatalf("pairing: %d %v, want 201", status, body)
	}
	id := int64(body["device_id"].(float64))
	secret := body["secret"].(string)
	// The credential works against the same store.
	d, err := push.NewSQLStore(e.app.Store, e.clock).DeviceByCredential(ctx, id, secret)
	if err != nil || d.UserID != "zhangsan" {
		t.Fatalf("credential from the API: %+v, %v", d, err)
	}

	// The code was single use.
	if status, _ := e.devPair(fmt.Sprintf(`{"code":%q,"platform":"android","token":"fcm-1"}`, code)); status != http.StatusForbidden {
		t.Fatalf("second use of the code: %d, want 403", status)
	}

	// An Android phone too, with the English command.
	m = devCodeRE.FindStringSubmatch(e.mbSay("zhangsan", "pair").Content)
	if m == nil {
		t.Fatal("no code in the reply to pair")
	}
	if status, body := e.devPair(fmt.Sprintf(`{"code":%q,"platform":"android","token":"fcm-1"}`, m[1])); status != http.StatusCreated {
		t.Fatalf("android pairing: %d %v", status, body)
	}

	list := e.mbSay("zhangsan", "我的设备").Content
	mbWant(t, list, "您绑定的手机（2 台）", "1. iPhone（iOS） · 绑定于 2026-11-23 09:00 · 最近使用 2026-11-23 09:00", "2. Android 手机", "解绑 <序号>")
	// Others do not see zhangsan's phones.
	mbWant(t, e.mbSay("boss", "devices").Content, "还没有绑定手机")

	mbWant(t, e.mbSay("zhangsan", "解绑 3").Content, "没有第 3 台手机")
	mbWant(t, e.mbSay("zhangsan", "解绑 一").Content, "不是设备序号")
	mbWant(t, e.mbSay("zhangsan", "解绑 1").Content, "已解绑第 1 台手机（iPhone（iOS）")
	list = e.mbSay("zhangsan", "devices").Content
	mbWant(t, list, "（1 台）", "1. Android 手机")
	if strings.Contains(list, "iPhone") {
		t.Errorf("the iPhone is still listed: %q", list)
	}
	if _, err := push.NewSQLStore(e.app.Store, e.clock).DeviceByCredential(ctx, id, secret); err == nil {
		t.Fatal("the unpaired iPhone's credential still works")
	}

	// A provider reports the Android token invalid: it is pruned and the
	// member told how to pair again.
	pruned, ok, err := push.NewSQLStore(e.app.Store, e.clock).PruneDevice(ctx, push.Android, "fcm-1")
	if err != nil || !ok {
		t.Fatalf("prune: %v %v", ok, err)
	}
	n := len(e.fake.SentTo("zhangsan"))
	e.app.Service.TellDevicePruned(ctx, pruned, "UNREGISTERED")
	got := e.waitSent("zhangsan", n+1)[n].Content
	mbWant(t, got, "您的 Android 手机推送已失效（UNREGISTERED）", "重新绑定", "「绑定手机」")
	mbWant(t, e.mbSay("zhangsan", "我的设备").Content, "还没有绑定手机")
}
