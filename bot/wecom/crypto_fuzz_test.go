package wecom

import (
	"bytes"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

// FuzzDecryptRoundTrip: whatever WeCom encrypts (here silenceper's
// independent implementation) decrypts to the same bytes, and any Encrypt
// value at all either decrypts or is refused with an error, never a panic.
func FuzzDecryptRoundTrip(f *testing.F) {
	f.Add([]byte("<xml><Content><![CDATA[签到]]></Content></xml>"), "")
	f.Add([]byte(""), "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0")
	f.Add(bytes.Repeat([]byte{0}, 33), "AAAA")
	c, err := NewCrypto(testToken, testAESKey, testCorpID)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, plain []byte, raw string) {
		enc, err := util.EncryptMsg([]byte("0123456789abcdef"), plain, testCorpID, testAESKey)
		if err != nil {
			t.Skip()
		}
		got, err := c.Decrypt(string(enc))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Decrypt(EncryptMsg(%q)) = %q, %v", plain, got, err)
		}
		// Arbitrary input: an error or bytes, never a panic.
		c.Decrypt(raw)
	})
}

// FuzzParseCallback: any body and any decrypted payload either parse or are
// refused with an error; a parsed message always has a dedup key.
func FuzzParseCallback(f *testing.F) {
	f.Add([]byte(`<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[abc]]></Encrypt><AgentID>1</AgentID></xml>`))
	f.Add([]byte(`<xml><ToUserName>ww1</ToUserName><FromUserName>zhangsan</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>签到</Content><MsgId>1</MsgId></xml>`))
	f.Add([]byte(`<xml><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>ack:E1123-001</EventKey><TaskId>t</TaskId></xml>`))
	f.Add([]byte(`<xml><MsgType>location</MsgType><Location_X>39.9</Location_X><Location_Y>116.4</Location_Y></xml>`))
	f.Add([]byte(`<xml><xml><xml>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ParseEnvelope(body)
		m, err := ParseMessage(body)
		if err == nil && m.DedupKey() == "" {
			t.Fatalf("ParseMessage(%q) gave a message without a dedup key: %+v", body, m)
		}
	})
}
