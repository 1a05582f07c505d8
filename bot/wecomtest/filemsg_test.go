package wecomtest

import (
	"bytes"
	"testing"
	"time"

	"dutybot/bot/wecom"
)

func TestFileMsgXML(t *testing.T) {
	at := time.Unix(1714550400, 0)
	raw := FileMsgXML(testSigner.CorpID, "zhaoliu", "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0", "12月排班 <最终>.xlsx", 42, at, 1000005)
	m, err := wecom.ParseMessage(raw)
	if err != nil {
		t.Fatalf("ParseMessage: %v\n%s", err, raw)
	}
	if m.MsgType != wecom.TypeFile || m.FromUserName != "zhaoliu" || m.MediaID != "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0" ||
		m.FileName != "12月排班 <最终>.xlsx" || m.MsgID != "42" || m.AgentID != "1000005" || m.CreateTime != at.Unix() {
		t.Fatalf("parsed %+v from %s", m, raw)
	}
	for _, el := range []string{"MediaId", "FileName"} {
		if !bytes.Contains(raw, []byte("<"+el+"><![CDATA[")) {
			t.Errorf("%s is not CDATA in %s", el, raw)
		}
	}
}
