package wecomtest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// testSigner uses the EncodingAESKey of WeCom's documentation example.
var testSigner = Signer{
	Token:          "QDG6eK",
	EncodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
	CorpID:         "wx5823bf96d3bd56c7",
	AgentID:        1000005,
}

// sha1Sorted is an independent implementation of WeCom's signature.
func sha1Sorted(parts ...string) string {
	s := append([]string(nil), parts...)
	sort.Strings(s)
	var joined string
	for _, p := range s {
		joined += p
	}
	return fmt.Sprintf("%x", sha1.Sum([]byte(joined)))
}

func TestSignature(t *testing.T) {
	t.Parallel()
	tests := []struct {
		timestamp, nonce, encrypt string
		want                      string
	}{
		// Computed once with: printf '%s\n' QDG6eK 1409659813 1372623149
		// 'cipherTEXTbase64+/=' | LC_ALL=C sort | tr -d '\n' | sha1sum
		{"1409659813", "1372623149", "cipherTEXTbase64+/=", "db4210edbb93be184ab67567ab45ff0381f8f68e"},
		{"1700000000", "42", "abc", sha1Sorted("QDG6eK", "1700000000", "42", "abc")},
		{"1", "zzz", "", sha1Sorted("QDG6eK", "1", "zzz", "")},
	}
	for _, tt := range tests {
		if got := testSigner.Signature(tt.timestamp, tt.nonce, tt.encrypt); got != tt.want {
			t.Errorf("Signature(%q, %q, %q) = %s, want %s", tt.timestamp, tt.nonce, tt.encrypt, got, tt.want)
		}
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	for _, plain := range []string{"", "x", "<xml><Content><![CDATA[你好，值班室]]></Content></xml>", strings.Repeat("长", 1000)} {
		enc, err := testSigner.Encrypt([]byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := util.DecryptMsg(testSigner.CorpID, enc, testSigner.EncodingAESKey)
		if err != nil || string(got) != plain {
			t.Errorf("DecryptMsg(Encrypt(%.20q)) = %.20q, %v", plain, got, err)
		}
		if _, _, err := util.DecryptMsg("wrongcorp", enc, testSigner.EncodingAESKey); err == nil {
			t.Error("decrypting with another receive id succeeded")
		}
		enc2, _ := testSigner.Encrypt([]byte(plain))
		if enc2 == enc {
			t.Error("two encryptions are identical: the random prefix is missing")
		}
		back, err := testSigner.Decrypt(enc)
		if err != nil || string(back) != plain {
			t.Errorf("Decrypt = %.20q, %v", back, err)
		}
	}
	bad := testSigner
	bad.EncodingAESKey = "short"
	if _, err := bad.Encrypt([]byte("x")); err == nil {
		t.Error("Encrypt with a bad key succeeded")
	}
}

func TestVerifyURLQuery(t *testing.T) {
	t.Parallel()
	ts := time.Unix(1409659813, 0)
	q, err := testSigner.VerifyURLQuery("echo-123", ts, "1372623149")
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("timestamp") != "1409659813" || q.Get("nonce") != "1372623149" {
		t.Errorf("query = %v", q)
	}
	if want := sha1Sorted(testSigner.Token, "1409659813", "1372623149", q.Get("echostr")); q.Get("msg_signature") != want {
		t.Errorf("msg_signature = %s, want %s", q.Get("msg_signature"), want)
	}
	_, echo, err := util.DecryptMsg(testSigner.CorpID, q.Get("echostr"), testSigner.EncodingAESKey)
	if err != nil || string(echo) != "echo-123" {
		t.Errorf("echostr decrypts to %q, %v", echo, err)
	}
	q2, _ := testSigner.VerifyURLQuery("echo", ts, "")
	if n := q2.Get("nonce"); len(n) != 10 {
		t.Errorf("random nonce %q", n)
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	plain := TextXML(testSigner.CorpID, "zhangsan", "签到", 1, time.Unix(1700000000, 0), testSigner.AgentID)
	q, body, err := testSigner.Envelope(plain, time.Unix(1700000000, 0), "555")
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName string
		Encrypt    string
		AgentID    string
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if env.ToUserName != testSigner.CorpID || env.AgentID != "1000005" || env.Encrypt == "" {
		t.Errorf("envelope = %+v", env)
	}
	for _, field := range []string{"<ToUserName><![CDATA[", "<Encrypt><![CDATA[", "<AgentID><![CDATA[1000005]]></AgentID>"} {
		if !bytes.Contains(body, []byte(field)) {
			t.Errorf("envelope lacks %s: %s", field, body)
		}
	}
	if q.Get("timestamp") != "1700000000" || q.Get("nonce") != "555" || q.Has("echostr") {
		t.Errorf("query = %v", q)
	}
	if want := sha1Sorted(testSigner.Token, "1700000000", "555", env.Encrypt); q.Get("msg_signature") != want {
		t.Errorf("msg_signature = %s, want %s", q.Get("msg_signature"), want)
	}
	_, got, err := util.DecryptMsg(testSigner.CorpID, env.Encrypt, testSigner.EncodingAESKey)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("decrypted %s, %v", got, err)
	}

	noAgent := testSigner
	noAgent.AgentID = 0
	_, body, _ = noAgent.Envelope(plain, time.Now(), "")
	if !bytes.Contains(body, []byte("<AgentID><![CDATA[]]></AgentID>")) {
		t.Errorf("envelope without agent: %s", body)
	}
}

// plainMsg has every field the builders write.
type plainMsg struct {
	XMLName        xml.Name `xml:"xml"`
	ToUserName     string
	FromUserName   string
	CreateTime     int64
	MsgType        string
	Content        string
	MsgID          int64 `xml:"MsgId"`
	AgentID        int
	Event          string
	EventKey       *string
	Latitude       float64
	Longitude      float64
	Precision      float64
	LocationX      float64 `xml:"Location_X"`
	LocationY      float64 `xml:"Location_Y"`
	Scale          int
	Label          string
	AppType        string
	TaskID         string `xml:"TaskId"`
	CardType       string
	ResponseCode   string
	ChangeType     string
	UserID         string
	NewUserID      string
	Name           string
	Department     string
	MainDepartment int
	IsLeaderInDept string
	Position       string
	Mobile         string
	Gender         int
	Email          string
	Status         int
}

func TestMessageXML(t *testing.T) {
	t.Parallel()
	at := time.Unix(1714550400, 0)
	corp := testSigner.CorpID
	empty := ""
	click := "MENU_CHECKIN"
	tests := []struct {
		name  string
		xml   []byte
		want  plainMsg
		cdata []string // elements that must be CDATA
	}{
		{
			name:  "text",
			xml:   TextXML(corp, "zhangsan", "接班 ]]> <ok> & done", 1234567890123456, at, 1000005),
			want:  plainMsg{ToUserName: corp, FromUserName: "zhangsan", CreateTime: at.Unix(), MsgType: "text", Content: "接班 ]]> <ok> & done", MsgID: 1234567890123456, AgentID: 1000005},
			cdata: []string{"ToUserName", "FromUserName", "MsgType", "Content"},
		},
		{
			name:  "enter_agent",
			xml:   EventXML(corp, "zhangsan", "enter_agent", "", at, 1000005),
			want:  plainMsg{ToUserName: corp, FromUserName: "zhangsan", CreateTime: at.Unix(), MsgType: "event", Event: "enter_agent", EventKey: &empty, AgentID: 1000005},
			cdata: []string{"Event", "EventKey"},
		},
		{
			name:  "click",
			xml:   EventXML(corp, "lisi", "click", click, at, 1000005),
			want:  plainMsg{ToUserName: corp, FromUserName: "lisi", CreateTime: at.Unix(), MsgType: "event", Event: "click", EventKey: &click, AgentID: 1000005},
			cdata: []string{"Event", "EventKey"},
		},
		{
			name: "LOCATION",
			xml:  LocationEventXML(corp, "zhangsan", 23.104, 113.32, 65, at, 1000005),
			want: plainMsg{ToUserName: corp, FromUserName: "zhangsan", CreateTime: at.Unix(), MsgType: "event", Event: "LOCATION",
				Latitude: 23.104, Longitude: 113.32, Precision: 65, AgentID: 1000005, AppType: "wxwork"},
			cdata: []string{"Event", "AppType"},
		},
		{
			name: "location message",
			xml:  LocationMsgXML(corp, "zhangsan", 39.9087, 116.3975, 15, "北京市东城区", 99, at, 1000005),
			want: plainMsg{ToUserName: corp, FromUserName: "zhangsan", CreateTime: at.Unix(), MsgType: "location",
				LocationX: 39.9087, LocationY: 116.3975, Scale: 15, Label: "北京市东城区", MsgID: 99, AgentID: 1000005, AppType: "wxwork"},
			cdata: []string{"Label"},
		},
		{
			name: "template_card_event",
			xml:  TemplateCardEventXML(corp, "leader1", "ack", "ESC-42", "RC-1", "button_interaction", at, 1000005),
			want: plainMsg{ToUserName: corp, FromUserName: "leader1", CreateTime: at.Unix(), MsgType: "event", Event: "template_card_event",
				EventKey: strPtr("ack"), TaskID: "ESC-42", ResponseCode: "RC-1", CardType: "button_interaction", AgentID: 1000005},
			cdata: []string{"EventKey", "TaskId", "CardType", "ResponseCode"},
		},
		{
			name: "change_contact",
			xml:  ChangeContactXML(corp, "create_user", "zhaoliu", "赵六", at),
			want: plainMsg{ToUserName: corp, FromUserName: "sys", CreateTime: at.Unix(), MsgType: "event", Event: "change_contact",
				ChangeType: "create_user", UserID: "zhaoliu", Name: "赵六"},
			cdata: []string{"ChangeType", "UserID", "Name"},
		},
		{
			name: "change_contact with fields",
			xml: ChangeContactUserXML(corp, ContactChange{ChangeType: "update_user", UserID: "zhaoliu", NewUserID: "zhao6",
				Department: []int{1, 2}, MainDepartment: 2, IsLeaderInDept: []int{0, 1}, Position: "带班领导", Mobile: "13900000000",
				Gender: 1, Email: "z@example.gov.cn", Status: 1}, at),
			want: plainMsg{ToUserName: corp, FromUserName: "sys", CreateTime: at.Unix(), MsgType: "event", Event: "change_contact",
				ChangeType: "update_user", UserID: "zhaoliu", NewUserID: "zhao6", Department: "1,2", MainDepartment: 2,
				IsLeaderInDept: "0,1", Position: "带班领导", Mobile: "13900000000", Gender: 1, Email: "z@example.gov.cn", Status: 1},
			cdata: []string{"NewUserID", "Department", "Position"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got plainMsg
			if err := xml.Unmarshal(tt.xml, &got); err != nil {
				t.Fatalf("%v: %s", err, tt.xml)
			}
			tt.want.XMLName = xml.Name{Local: "xml"}
			if g, w := fmt.Sprintf("%+v", deref(got)), fmt.Sprintf("%+v", deref(tt.want)); g != w {
				t.Errorf("parsed\n %s\nwant\n %s\nfrom %s", g, w, tt.xml)
			}
			for _, el := range tt.cdata {
				if !bytes.Contains(tt.xml, []byte("<"+el+"><![CDATA[")) {
					t.Errorf("%s is not CDATA in %s", el, tt.xml)
				}
			}
			if !bytes.Contains(tt.xml, []byte("<CreateTime>"+strconv.FormatInt(at.Unix(), 10)+"</CreateTime>")) {
				t.Errorf("CreateTime is not a plain number: %s", tt.xml)
			}
		})
	}
}

func strPtr(s string) *string { return &s }

// deref replaces the EventKey pointer by its value for printing.
func deref(m plainMsg) any {
	type flat struct {
		plainMsg
		Key string
		Has bool
	}
	f := flat{plainMsg: m}
	if m.EventKey != nil {
		f.Key, f.Has = *m.EventKey, true
	}
	f.plainMsg.EventKey = nil
	return f
}

func TestPost(t *testing.T) {
	t.Parallel()
	plain := EventXML(testSigner.CorpID, "zhangsan", "enter_agent", "", time.Now(), testSigner.AgentID)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		body, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		if r.Method != http.MethodPost || q.Get("keep") != "1" || xml.Unmarshal(body, &env) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if sha1Sorted(testSigner.Token, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) != q.Get("msg_signature") {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		_, got, err := util.DecryptMsg(testSigner.CorpID, env.Encrypt, testSigner.EncodingAESKey)
		if err != nil || !bytes.Equal(got, plain) {
			http.Error(w, "bad plaintext", http.StatusBadRequest)
			return
		}
		// Answer with an encrypted passive reply.
		enc, _ := testSigner.Encrypt([]byte("<xml><Content><![CDATA[欢迎]]></Content></xml>"))
		fmt.Fprintf(w, "<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature><TimeStamp>7</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>",
			enc, testSigner.Signature("7", "n", enc))
	}))
	defer srv.Close()

	resp, err := testSigner.Post(context.Background(), srv.Client(), srv.URL+"/wecom/callback?keep=1", plain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	reply, err := testSigner.OpenReply(body)
	if err != nil || !bytes.Contains(reply, []byte("欢迎")) {
		t.Errorf("OpenReply = %s, %v", reply, err)
	}
	tampered := bytes.Replace(body, []byte("<TimeStamp>7<"), []byte("<TimeStamp>8<"), 1)
	if _, err := testSigner.OpenReply(tampered); err == nil {
		t.Error("OpenReply accepted a bad signature")
	}
}
