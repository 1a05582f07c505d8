package wecomtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Signer builds callbacks the way WeCom sends them to an application's
// callback URL: the plaintext XML is AES-256-CBC encrypted with the
// EncodingAESKey and signed with the Token (see WeCom's "加解密方案说明").
// It does not share code with the server being tested, except silenceper's
// EncryptMsg/DecryptMsg.
type Signer struct {
	Token          string
	EncodingAESKey string // 43 characters
	CorpID         string // the receive id appended to every plaintext
	AgentID        int    // the envelope's AgentID; 0 leaves it empty
}

// Signature returns WeCom's msg_signature: the hex SHA-1 of token,
// timestamp, nonce and encrypt sorted and concatenated.
func (s Signer) Signature(timestamp, nonce, encrypt string) string {
	parts := []string{s.Token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Encrypt encrypts plaintext as WeCom does: base64 of AES-256-CBC over
// random(16) + length(4, big endian) + plaintext + CorpID, PKCS#7-padded to
// 32 bytes.
func (s Signer) Encrypt(plaintext []byte) (string, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", err
	}
	enc, err := util.EncryptMsg(random, plaintext, s.CorpID, s.EncodingAESKey)
	if err != nil {
		return "", fmt.Errorf("wecomtest: encrypt: %w", err)
	}
	return string(enc), nil
}

// Decrypt reverses Encrypt and checks the receive id is CorpID.
func (s Signer) Decrypt(encrypt string) ([]byte, error) {
	_, plain, err := util.DecryptMsg(s.CorpID, encrypt, s.EncodingAESKey)
	if err != nil {
		return nil, fmt.Errorf("wecomtest: decrypt: %w", err)
	}
	return plain, nil
}

// VerifyURLQuery returns the query of the GET request WeCom makes to verify
// a callback URL: msg_signature, timestamp, nonce and echostr (encrypted).
// The application must answer the plaintext echostr. An empty nonce is
// replaced by a random one.
func (s Signer) VerifyURLQuery(echostr string, ts time.Time, nonce string) (url.Values, error) {
	enc, err := s.Encrypt([]byte(echostr))
	if err != nil {
		return nil, err
	}
	if nonce == "" {
		nonce = NewNonce()
	}
	timestamp := strconv.FormatInt(ts.Unix(), 10)
	return url.Values{
		"msg_signature": {s.Signature(timestamp, nonce, enc)},
		"timestamp":     {timestamp},
		"nonce":         {nonce},
		"echostr":       {enc},
	}, nil
}

// Envelope encrypts and signs plainXML for a POST to the callback URL. It
// returns the query (msg_signature, timestamp, nonce) and the body
//
//	<xml><ToUserName><![CDATA[corpid]]></ToUserName><Encrypt><![CDATA[...]]></Encrypt><AgentID><![CDATA[agentid]]></AgentID></xml>
//
// An empty nonce is replaced by a random one.
func (s Signer) Envelope(plainXML []byte, ts time.Time, nonce string) (query url.Values, body []byte, err error) {
	enc, err := s.Encrypt(plainXML)
	if err != nil {
		return nil, nil, err
	}
	if nonce == "" {
		nonce = NewNonce()
	}
	timestamp := strconv.FormatInt(ts.Unix(), 10)
	agentID := ""
	if s.AgentID != 0 {
		agentID = strconv.Itoa(s.AgentID)
	}
	var b bytes.Buffer
	b.WriteString("<xml><ToUserName>")
	writeCDATA(&b, s.CorpID)
	b.WriteString("</ToUserName><Encrypt>")
	writeCDATA(&b, enc)
	b.WriteString("</Encrypt><AgentID>")
	writeCDATA(&b, agentID)
	b.WriteString("</AgentID></xml>")
	query = url.Values{
		"msg_signature": {s.Signature(timestamp, nonce, enc)},
		"timestamp":     {timestamp},
		"nonce":         {nonce},
	}
	return query, b.Bytes(), nil
}

// Post sends plainXML to callbackURL as WeCom does: a POST with a signed,
// encrypted envelope and a random nonce. A nil client means
// http.DefaultClient. The caller must close the response body.
func (s Signer) Post(ctx context.Context, client *http.Client, callbackURL string, plainXML []byte, ts time.Time) (*http.Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	query, body, err := s.Envelope(plainXML, ts, "")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(callbackURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	for k, v := range query {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return client.Do(req)
}

// OpenReply checks and decrypts an encrypted passive reply, the XML an
// application may answer a callback POST with:
//
//	<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>
//
// It returns the plaintext reply XML.
func (s Signer) OpenReply(body []byte) ([]byte, error) {
	var r struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("wecomtest: reply: %w", err)
	}
	if r.Encrypt == "" {
		return nil, errors.New("wecomtest: reply has no Encrypt")
	}
	want := s.Signature(r.TimeStamp, r.Nonce, r.Encrypt)
	if subtle.ConstantTimeCompare([]byte(want), []byte(r.MsgSignature)) != 1 {
		return nil, fmt.Errorf("wecomtest: reply MsgSignature %q, want %q", r.MsgSignature, want)
	}
	return s.Decrypt(r.Encrypt)
}

// NewNonce returns a random nonce like WeCom's: a string of 10 digits.
func NewNonce() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		panic("wecomtest: crypto/rand: " + err.Error())
	}
	return strconv.FormatInt(1_000_000_000+n.Int64(), 10)
}

// writeCDATA writes s as a CDATA section, splitting any "]]>" in it.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// xmlBuilder writes a flat <xml>...</xml> message element by element.
type xmlBuilder struct {
	b bytes.Buffer
}

func newXML() *xmlBuilder {
	x := &xmlBuilder{}
	x.b.WriteString("<xml>")
	return x
}

// cdata writes <name><![CDATA[value]]></name>.
func (x *xmlBuilder) cdata(name, value string) *xmlBuilder {
	x.b.WriteString("<" + name + ">")
	writeCDATA(&x.b, value)
	x.b.WriteString("</" + name + ">")
	return x
}

// plain writes <name>value</name> with value escaped.
func (x *xmlBuilder) plain(name, value string) *xmlBuilder {
	x.b.WriteString("<" + name + ">")
	_ = xml.EscapeText(&x.b, []byte(value))
	x.b.WriteString("</" + name + ">")
	return x
}

func (x *xmlBuilder) bytes() []byte {
	x.b.WriteString("</xml>")
	return x.b.Bytes()
}

// head writes the fields every message and event starts with.
func (x *xmlBuilder) head(corpID, from string, at time.Time, msgType string) *xmlBuilder {
	return x.cdata("ToUserName", corpID).
		cdata("FromUserName", from).
		plain("CreateTime", strconv.FormatInt(at.Unix(), 10)).
		cdata("MsgType", msgType)
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// TextXML returns the plaintext of a text message from member from
// (接收普通消息, MsgType=text).
func TextXML(corpID, from, content string, msgID int64, at time.Time, agentID int) []byte {
	return newXML().head(corpID, from, at, "text").
		cdata("Content", content).
		plain("MsgId", strconv.FormatInt(msgID, 10)).
		plain("AgentID", strconv.Itoa(agentID)).
		bytes()
}

// EventXML returns the plaintext of a simple event with an EventKey, such
// as enter_agent (EventKey empty), click or view (menu key or URL).
func EventXML(corpID, from, event, eventKey string, at time.Time, agentID int) []byte {
	return newXML().head(corpID, from, at, "event").
		cdata("Event", event).
		cdata("EventKey", eventKey).
		plain("AgentID", strconv.Itoa(agentID)).
		bytes()
}

// LocationEventXML returns the plaintext of a location report (上报地理位置,
// Event=LOCATION), sent when a member who consented enters the app.
func LocationEventXML(corpID, from string, lat, lng, precision float64, at time.Time, agentID int) []byte {
	return newXML().head(corpID, from, at, "event").
		cdata("Event", "LOCATION").
		plain("Latitude", formatFloat(lat)).
		plain("Longitude", formatFloat(lng)).
		plain("Precision", formatFloat(precision)).
		plain("AgentID", strconv.Itoa(agentID)).
		cdata("AppType", "wxwork").
		bytes()
}

// LocationMsgXML returns the plaintext of a location message (MsgType=
// location) a member sends from the chat: latitude x, longitude y, map
// scale and a label.
func LocationMsgXML(corpID, from string, x, y float64, scale int, label string, msgID int64, at time.Time, agentID int) []byte {
	return newXML().head(corpID, from, at, "location").
		plain("Location_X", formatFloat(x)).
		plain("Location_Y", formatFloat(y)).
		plain("Scale", strconv.Itoa(scale)).
		cdata("Label", label).
		plain("MsgId", strconv.FormatInt(msgID, 10)).
		plain("AgentID", strconv.Itoa(agentID)).
		cdata("AppType", "wxwork").
		bytes()
}

// TemplateCardEventXML returns the plaintext of a template card click
// (模板卡片事件推送, Event=template_card_event): eventKey is the button's
// key, responseCode the code for one message/update_template_card.
func TemplateCardEventXML(corpID, from, eventKey, taskID, responseCode, cardType string, at time.Time, agentID int) []byte {
	return newXML().head(corpID, from, at, "event").
		cdata("Event", "template_card_event").
		cdata("EventKey", eventKey).
		cdata("TaskId", taskID).
		cdata("CardType", cardType).
		cdata("ResponseCode", responseCode).
		plain("AgentID", strconv.Itoa(agentID)).
		bytes()
}

// ContactChange describes a member change for [ChangeContactUserXML].
// Zero fields are left out, as WeCom leaves out unchanged fields.
type ContactChange struct {
	ChangeType     string // create_user, update_user or delete_user
	UserID         string
	NewUserID      string // update_user only, when the id changed
	Name           string
	Department     []int
	MainDepartment int
	IsLeaderInDept []int
	Position       string
	Mobile         string
	Gender         int // 1 male, 2 female
	Email          string
	Status         int // 1 activated, 2 disabled, 4 not activated
	Alias          string
	Telephone      string
}

// ChangeContactXML returns the plaintext of a member change event
// (成员变更通知, Event=change_contact) with ChangeType create_user,
// update_user or delete_user. name is left out when empty.
func ChangeContactXML(corpID, changeType, userID, name string, at time.Time) []byte {
	return ChangeContactUserXML(corpID, ContactChange{ChangeType: changeType, UserID: userID, Name: name}, at)
}

// ChangeContactUserXML is ChangeContactXML with every member field. The
// event comes from "sys" and, like WeCom's, carries no AgentID.
func ChangeContactUserXML(corpID string, c ContactChange, at time.Time) []byte {
	x := newXML().head(corpID, "sys", at, "event").
		cdata("Event", "change_contact").
		cdata("ChangeType", c.ChangeType).
		cdata("UserID", c.UserID)
	if c.NewUserID != "" {
		x.cdata("NewUserID", c.NewUserID)
	}
	if c.Name != "" {
		x.cdata("Name", c.Name)
	}
	if len(c.Department) > 0 {
		x.cdata("Department", joinInts(c.Department))
	}
	if c.MainDepartment != 0 {
		x.plain("MainDepartment", strconv.Itoa(c.MainDepartment))
	}
	if len(c.IsLeaderInDept) > 0 {
		x.cdata("IsLeaderInDept", joinInts(c.IsLeaderInDept))
	}
	if c.Position != "" {
		x.cdata("Position", c.Position)
	}
	if c.Mobile != "" {
		x.plain("Mobile", c.Mobile)
	}
	if c.Gender != 0 {
		x.plain("Gender", strconv.Itoa(c.Gender))
	}
	if c.Email != "" {
		x.cdata("Email", c.Email)
	}
	if c.Status != 0 {
		x.plain("Status", strconv.Itoa(c.Status))
	}
	if c.Alias != "" {
		x.cdata("Alias", c.Alias)
	}
	if c.Telephone != "" {
		x.cdata("Telephone", c.Telephone)
	}
	return x.bytes()
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
