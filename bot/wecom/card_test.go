package wecom_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"dutybot/bot/wecom"
	"dutybot/bot/wecomtest"
	"dutybot/internal/clock"
)

func TestSendAndUpdateCard(t *testing.T) {
	fake := wecomtest.New(wecomtest.Config{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	wecom.SetAPIBase(srv.URL)
	cfg := fake.Config()
	c := wecom.NewClient(wecom.ClientConfig{CorpID: cfg.CorpID, AgentID: cfg.AgentID, Secret: cfg.Secret, Cache: wecom.NewMemoryCache(clock.Real{})})
	ctx := context.Background()

	card, err := wecom.MarshalCard(wecom.Card{TaskID: "E1123-001-boss", Source: "值班机器人", Title: "夜班空岗", Desc: "张三未签到",
		Text: "请确认", URL: "https://duty.example/ack/t", Buttons: []wecom.CardButton{{Text: "确认", Key: "ack", Style: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	_, sentCode, err := c.SendCard(ctx, "boss", card)
	if err != nil || sentCode == "" {
		t.Fatalf("SendCard: code %q, %v; want WeCom's response code", sentCode, err)
	}
	sent := fake.SentTo("boss")
	if len(sent) != 1 || sent[0].MsgType != "template_card" || sent[0].TaskID != "E1123-001-boss" {
		t.Fatalf("sent = %+v", sent)
	}
	var body struct {
		TemplateCard struct {
			CardType   string                       `json:"card_type"`
			ButtonList []struct{ Text, Key string } `json:"button_list"`
			CardAction struct{ URL string }         `json:"card_action"`
		} `json:"template_card"`
	}
	if err := json.Unmarshal(sent[0].JSON, &body); err != nil {
		t.Fatal(err)
	}
	if body.TemplateCard.CardType != "button_interaction" || body.TemplateCard.ButtonList[0].Key != "ack" || body.TemplateCard.CardAction.URL == "" {
		t.Fatalf("card JSON = %s", sent[0].JSON)
	}

	code := sentCode
	if err := c.UpdateCardButton(ctx, []string{"boss", "lisi"}, code, "已由 boss 于 09:05 确认"); err != nil {
		t.Fatal(err)
	}
	ups := fake.Updates()
	if len(ups) != 1 || ups[0].ReplaceName != "已由 boss 于 09:05 确认" || strings.Join(ups[0].UserIDs, ",") != "boss,lisi" {
		t.Fatalf("updates = %+v", ups)
	}
	// A response code works once.
	if err := c.UpdateCardButton(ctx, []string{"boss"}, code, "again"); err == nil {
		t.Fatal("second use of a response code succeeded")
	}

	for _, bad := range []wecom.Card{{TaskID: "", Buttons: []wecom.CardButton{{Text: "x", Key: "k"}}}, {TaskID: "t"}} {
		if _, err := wecom.MarshalCard(bad); err == nil {
			t.Errorf("MarshalCard(%+v) accepted", bad)
		}
	}
}
