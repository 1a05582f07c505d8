package wecom

import (
	"strings"
	"testing"
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name      string
		xml       string
		wantErr   string
		check     func(t *testing.T, m Message)
		wantDedup string
	}{
		{
			name: "text",
			xml:  `<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1795420800</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[签到]]></Content><MsgId>123</MsgId><AgentID>1000002</AgentID></xml>`,
			check: func(t *testing.T, m Message) {
				if m.Content != "签到" || m.FromUserName != "zhangsan" || m.AgentID != "1000002" {
					t.Errorf("got %+v", m)
				}
			},
			wantDedup: "msg:123",
		},
		{
			name:      "enter_agent",
			xml:       `<xml><ToUserName>ww1</ToUserName><FromUserName>lisi</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey><AgentID>1</AgentID></xml>`,
			wantDedup: "ev:lisi:enter_agent:100:",
		},
		{
			name: "click",
			xml:  `<xml><ToUserName>ww1</ToUserName><FromUserName>lisi</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>click</Event><EventKey>签到</EventKey><AgentID>1</AgentID></xml>`,
			check: func(t *testing.T, m Message) {
				if m.EventKey != "签到" {
					t.Errorf("EventKey = %q", m.EventKey)
				}
			},
			wantDedup: "ev:lisi:click:100:签到",
		},
		{
			name: "template card click",
			xml:  `<xml><ToUserName>ww1</ToUserName><FromUserName>lisi</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>ack</EventKey><TaskId>esc-1</TaskId><CardType>button_interaction</CardType><ResponseCode>rc1</ResponseCode><AgentID>1</AgentID></xml>`,
			check: func(t *testing.T, m Message) {
				if m.TaskID != "esc-1" || m.ResponseCode != "rc1" || m.CardType != "button_interaction" {
					t.Errorf("got %+v", m)
				}
			},
			wantDedup: "ev:lisi:template_card_event:100:esc-1/ack",
		},
		{
			name: "LOCATION event",
			xml:  `<xml><ToUserName>ww1</ToUserName><FromUserName>wangwu</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>LOCATION</Event><Latitude>39.9042</Latitude><Longitude>116.4074</Longitude><Precision>30</Precision><AgentID>1</AgentID></xml>`,
			check: func(t *testing.T, m Message) {
				if m.Latitude != 39.9042 || m.Longitude != 116.4074 || m.Precision != 30 {
					t.Errorf("got %+v", m)
				}
			},
			wantDedup: "ev:wangwu:LOCATION:100:",
		},
		{
			name: "location message",
			xml:  `<xml><ToUserName>ww1</ToUserName><FromUserName>wangwu</FromUserName><CreateTime>100</CreateTime><MsgType>location</MsgType><Location_X>39.9</Location_X><Location_Y>116.4</Location_Y><Scale>15</Scale><Label>值班室</Label><MsgId>77</MsgId><AgentID>1</AgentID></xml>`,
			check: func(t *testing.T, m Message) {
				if m.LocationX != 39.9 || m.LocationY != 116.4 || m.Label != "值班室" {
					t.Errorf("got %+v", m)
				}
			},
			wantDedup: "msg:77",
		},
		{
			name: "change_contact",
			xml:  `<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>change_contact</Event><ChangeType>update_user</ChangeType><UserID>zhaoliu</UserID><Name>赵六</Name><Mobile>13800000000</Mobile><Department>1,2</Department></xml>`,
			check: func(t *testing.T, m Message) {
				if m.ChangeType != "update_user" || m.UserID != "zhaoliu" || m.Name != "赵六" {
					t.Errorf("got %+v", m)
				}
			},
			wantDedup: "ev:sys:change_contact:100:update_user/zhaoliu",
		},
		{name: "not xml", xml: `{"a":1}`, wantErr: "parse callback message"},
		{name: "no type", xml: `<xml><FromUserName>a</FromUserName></xml>`, wantErr: "no MsgType"},
		{name: "no sender", xml: `<xml><MsgType>text</MsgType><MsgId>1</MsgId></xml>`, wantErr: "no FromUserName"},
		{name: "event without name", xml: `<xml><FromUserName>a</FromUserName><MsgType>event</MsgType></xml>`, wantErr: "event without Event"},
		{name: "message without id", xml: `<xml><FromUserName>a</FromUserName><MsgType>text</MsgType></xml>`, wantErr: "without MsgId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.xml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
			if got := m.DedupKey(); got != tt.wantDedup {
				t.Errorf("DedupKey = %q, want %q", got, tt.wantDedup)
			}
		})
	}
}

func TestParseEnvelope(t *testing.T) {
	if _, err := ParseEnvelope([]byte(`<xml><ToUserName>ww</ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>`)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{``, `<xml>`, `<xml><ToUserName>ww</ToUserName></xml>`, `garbage`} {
		if _, err := ParseEnvelope([]byte(bad)); err == nil {
			t.Errorf("ParseEnvelope(%q) accepted", bad)
		}
	}
}

func TestRedact(t *testing.T) {
	in := `http get error : uri=https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=S3cr3t&x=1 and access_token=T0k3n"`
	got := Redact(in)
	for _, secret := range []string{"S3cr3t", "T0k3n"} {
		if strings.Contains(got, secret) {
			t.Errorf("Redact left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "corpid=ww1") {
		t.Errorf("Redact removed too much: %q", got)
	}
}
