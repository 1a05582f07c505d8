package wecomtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	"github.com/silenceper/wechat/v2/work/addresslist"
	"github.com/silenceper/wechat/v2/work/config"
	"github.com/silenceper/wechat/v2/work/message"
)

const (
	testCorpID  = "ww0123456789abcdef"
	testSecret  = "s3cr3t"
	testAgentID = 1000005
)

func newTestFake(now func() time.Time) *Fake {
	return New(Config{CorpID: testCorpID, Secret: testSecret, AgentID: testAgentID, Now: now})
}

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// useSilenceper points silenceper's process-global URI modifier at srv for
// the duration of the test. Tests that call it must not be parallel.
func useSilenceper(t *testing.T, srv *httptest.Server) {
	t.Helper()
	util.SetURIModifier(func(uri string) string {
		return strings.Replace(uri, "https://qyapi.weixin.qq.com", srv.URL, 1)
	})
	t.Cleanup(func() { util.SetURIModifier(nil) })
}

func newWork(corpID, secret string) *work.Work {
	return work.NewWork(&config.Config{
		CorpID:     corpID,
		CorpSecret: secret,
		AgentID:    strconv.Itoa(testAgentID),
		Cache:      cache.NewMemory(),
	})
}

func sendText(w *work.Work, to, content string) (*message.SendResponse, error) {
	return w.GetMessage().SendText(message.SendTextRequest{
		SendRequestCommon: &message.SendRequestCommon{ToUser: to, AgentID: strconv.Itoa(testAgentID)},
		Text:              message.TextField{Content: content},
	})
}

// wantErrCode checks that err is a WeCom error with errcode code (0: no error).
func wantErrCode(t *testing.T, err error, code int) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want errcode %d", code)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("errcode=%d", code)) {
		t.Fatalf("error %q does not carry errcode=%d", err, code)
	}
}

func TestGetTokenThroughSilenceper(t *testing.T) {
	tests := []struct {
		name           string
		corpID, secret string
		wantCode       int
	}{
		{"valid", testCorpID, testSecret, 0},
		{"wrong corpid", "wwnotmycorp", testSecret, ErrInvalidCorpID},
		{"wrong secret", testCorpID, "nope", ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFake(nil)
			srv := httptest.NewServer(f)
			defer srv.Close()
			useSilenceper(t, srv)

			_, err := sendText(newWork(tt.corpID, tt.secret), "zhangsan", "你好")
			wantErrCode(t, err, tt.wantCode)
			if got := f.Calls("gettoken"); got != 1 {
				t.Errorf("gettoken calls = %d, want 1", got)
			}
			wantSent := 0
			if tt.wantCode == 0 {
				wantSent = 1
			}
			if got := len(f.SentTo("zhangsan")); got != wantSent {
				t.Errorf("messages to zhangsan = %d, want %d", got, wantSent)
			}
		})
	}
}

func TestSendTextRecorded(t *testing.T) {
	f := newTestFake(nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	useSilenceper(t, srv)

	resp, err := sendText(newWork(testCorpID, testSecret), "zhangsan|lisi", "请接班")
	wantErrCode(t, err, 0)
	if resp.MsgID == "" {
		t.Error("no msgid in response")
	}
	sent := f.Sent()
	if len(sent) != 2 {
		t.Fatalf("recorded %d messages, want one per recipient (2): %+v", len(sent), sent)
	}
	for i, s := range sent {
		if s.Seq != int64(i+1) || s.MsgType != "text" || s.Content != "请接班" || s.MsgID != resp.MsgID {
			t.Errorf("message %d = %+v", i, s)
		}
		var body map[string]any
		if err := json.Unmarshal(s.JSON, &body); err != nil || body["agentid"] != strconv.Itoa(testAgentID) {
			t.Errorf("recorded JSON %s (err %v) lacks the string agentid silenceper sends", s.JSON, err)
		}
	}
	if sent[0].ToUser != "zhangsan" || sent[1].ToUser != "lisi" {
		t.Errorf("recipients = %q, %q", sent[0].ToUser, sent[1].ToUser)
	}
}

func TestExpiredTokenMakesClientRefetch(t *testing.T) {
	f := newTestFake(nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	useSilenceper(t, srv)

	w := newWork(testCorpID, testSecret)
	_, err := sendText(w, "zhangsan", "one")
	wantErrCode(t, err, 0)

	f.ExpireTokens()
	_, err = sendText(w, "zhangsan", "two")
	wantErrCode(t, err, ErrAccessTokenExpired)

	// A client that drops its cached token (a fresh cache here) recovers.
	_, err = sendText(newWork(testCorpID, testSecret), "zhangsan", "three")
	wantErrCode(t, err, 0)
	if got := f.Calls("gettoken"); got != 2 {
		t.Errorf("gettoken calls = %d, want 2", got)
	}
	if got := f.Calls("message/send"); got != 3 {
		t.Errorf("message/send calls = %d, want 3", got)
	}
	if got := len(f.Sent()); got != 2 {
		t.Errorf("recorded %d messages, want 2", got)
	}
}

func TestInjection(t *testing.T) {
	tests := []struct {
		name      string
		inject    func(f *Fake)
		wantFirst []string // error substrings of the failing calls, in order
		wantCalls map[string]int
	}{
		{
			name:      "errcode twice",
			inject:    func(f *Fake) { f.InjectError("message/send", ErrFreqOutOfLimit, 2) },
			wantFirst: []string{"errcode=45009", "errcode=45009"},
			wantCalls: map[string]int{"gettoken": 1, "message/send": 3},
		},
		{
			name:      "http status once",
			inject:    func(f *Fake) { f.InjectHTTPStatus("message/send", http.StatusBadGateway, 1) },
			wantFirst: []string{"statusCode=502"},
			wantCalls: map[string]int{"gettoken": 1, "message/send": 2},
		},
		{
			name:      "gettoken system busy",
			inject:    func(f *Fake) { f.InjectError("gettoken", ErrSystemBusy, 1) },
			wantFirst: []string{"errcode=-1"},
			wantCalls: map[string]int{"gettoken": 2, "message/send": 1},
		},
		{
			name: "queued in order",
			inject: func(f *Fake) {
				f.InjectHTTPStatus("/cgi-bin/message/send", http.StatusServiceUnavailable, 1)
				f.InjectError("message/send", ErrIPNotAllowed, 1)
			},
			wantFirst: []string{"statusCode=503", "errcode=60020"},
			wantCalls: map[string]int{"gettoken": 1, "message/send": 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestFake(nil)
			srv := httptest.NewServer(f)
			defer srv.Close()
			useSilenceper(t, srv)
			tt.inject(f)

			w := newWork(testCorpID, testSecret)
			for i, want := range tt.wantFirst {
				_, err := sendText(w, "zhangsan", "x")
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("call %d: error %v, want one containing %q", i+1, err, want)
				}
			}
			_, err := sendText(w, "zhangsan", "x")
			wantErrCode(t, err, 0)
			for api, want := range tt.wantCalls {
				if got := f.Calls(api); got != want {
					t.Errorf("Calls(%q) = %d, want %d", api, got, want)
				}
			}
			if got := len(f.Sent()); got != 1 {
				t.Errorf("recorded %d messages, want 1", got)
			}
		})
	}
}

func addDirectory(f *Fake) {
	f.AddDepartment(Department{ID: 1, Name: "市政府办公厅", ParentID: 0, Order: 100})
	f.AddDepartment(Department{ID: 2, Name: "总值班室", ParentID: 1, Order: 90, DepartmentLeader: []string{"wangwu"}})
	f.AddDepartment(Department{ID: 3, Name: "应急值守组", ParentID: 2, Order: 80})
	f.AddUser(User{UserID: "zhangsan", Name: "张三", Department: []int{2}, Position: "值班员", Mobile: "13800000001", Gender: "1"})
	f.AddUser(User{UserID: "lisi", Name: "李四", Department: []int{3}, Position: "值班员", Mobile: "13800000002"})
	f.AddUser(User{UserID: "wangwu", Name: "王五", Department: []int{1, 2}, IsLeaderInDept: []int{0, 1}, Position: "带班领导", Status: 1})
}

func TestAddressListThroughSilenceper(t *testing.T) {
	f := newTestFake(nil)
	addDirectory(f)
	srv := httptest.NewServer(f)
	defer srv.Close()
	useSilenceper(t, srv)
	al := newWork(testCorpID, testSecret).GetAddressList()

	u, err := al.UserGet("zhangsan")
	wantErrCode(t, err, 0)
	if u.UserID != "zhangsan" || u.Name != "张三" || u.Mobile != "13800000001" || u.Position != "值班员" ||
		u.Gender != "1" || u.Status != 1 || len(u.Department) != 1 || u.Department[0] != 2 || u.MainDepartment != 2 {
		t.Errorf("UserGet = %+v", u)
	}
	_, err = al.UserGet("nobody")
	wantErrCode(t, err, ErrInvalidUserID)

	for _, tt := range []struct {
		dept int
		want []string
	}{
		{1, []string{"wangwu"}},
		{2, []string{"zhangsan", "wangwu"}},
		{3, []string{"lisi"}},
	} {
		list, err := al.UserSimpleList(tt.dept)
		wantErrCode(t, err, 0)
		var got []string
		for _, u := range list {
			got = append(got, u.UserID)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("UserSimpleList(%d) = %v, want %v", tt.dept, got, tt.want)
		}
	}
	_, err = al.UserSimpleList(99)
	wantErrCode(t, err, ErrInvalidPartyID)

	depts, err := al.DepartmentList()
	wantErrCode(t, err, 0)
	if len(depts) != 3 || depts[1].Name != "总值班室" || depts[1].ParentID != 1 || depts[1].DepartmentLeader[0] != "wangwu" {
		t.Errorf("DepartmentList = %+v", depts)
	}
	sub, err := al.DepartmentListByID(2)
	wantErrCode(t, err, 0)
	if len(sub) != 2 || sub[0].ID != 2 || sub[1].ID != 3 {
		t.Errorf("DepartmentListByID(2) = %+v", sub)
	}
	ids, err := al.DepartmentSimpleList(0)
	wantErrCode(t, err, 0)
	if len(ids) != 3 || ids[2].ID != 3 || ids[2].ParentID != 2 {
		t.Errorf("DepartmentSimpleList = %+v", ids)
	}
	d, err := al.DepartmentGet(3)
	wantErrCode(t, err, 0)
	if d.Name != "应急值守组" {
		t.Errorf("DepartmentGet(3) = %+v", d)
	}
	_, err = al.DepartmentGet(42)
	wantErrCode(t, err, ErrInvalidPartyID)

	page, err := al.UserListID(&addresslist.UserListIDRequest{Limit: 2})
	wantErrCode(t, err, 0)
	if len(page.DeptUser) != 2 || page.NextCursor == "" {
		t.Fatalf("UserListID first page = %+v", page)
	}
	rest, err := al.UserListID(&addresslist.UserListIDRequest{Cursor: page.NextCursor, Limit: 10})
	wantErrCode(t, err, 0)
	if len(rest.DeptUser) != 2 || rest.NextCursor != "" { // wangwu is in two departments
		t.Errorf("UserListID second page = %+v", rest)
	}
}

func TestMediaThroughSilenceper(t *testing.T) {
	f := newTestFake(nil)
	f.AddMedia("MEDIA1", "现场照片.jpg", "image/jpeg", []byte("\xff\xd8jpeg bytes"))
	srv := httptest.NewServer(f)
	defer srv.Close()
	useSilenceper(t, srv)
	mat := newWork(testCorpID, testSecret).GetMaterial()

	data, err := mat.GetTempFile("MEDIA1")
	wantErrCode(t, err, 0)
	if string(data) != "\xff\xd8jpeg bytes" {
		t.Errorf("GetTempFile = %q", data)
	}
	_, err = mat.GetTempFile("nope")
	wantErrCode(t, err, ErrInvalidMediaID)

	up, err := mat.UploadTempFileFromReader("handover.txt", "file", strings.NewReader("交接单"))
	wantErrCode(t, err, 0)
	if up.MediaID == "" || up.Type != "file" || up.CreateAt == "" {
		t.Fatalf("UploadTempFile = %+v", up)
	}
	m, ok := f.Media(up.MediaID)
	if !ok || string(m.Data) != "交接单" || m.Filename != "handover.txt" {
		t.Errorf("uploaded media = %+v, %v", m, ok)
	}
	data, err = mat.GetTempFile(up.MediaID)
	wantErrCode(t, err, 0)
	if string(data) != "交接单" {
		t.Errorf("GetTempFile(uploaded) = %q", data)
	}
}

// api is a raw HTTP client of a fake, for what silenceper does not cover.
type api struct {
	t     *testing.T
	base  string
	token string
}

func newAPI(t *testing.T, base string) *api {
	a := &api{t: t, base: base}
	var tok struct {
		ErrCode     int    `json:"errcode"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	a.do(http.MethodGet, "/cgi-bin/gettoken?corpid="+testCorpID+"&corpsecret="+testSecret, "", &tok)
	if tok.ErrCode != 0 || tok.AccessToken == "" || tok.ExpiresIn != 7200 {
		t.Fatalf("gettoken = %+v", tok)
	}
	a.token = tok.AccessToken
	return a
}

func (a *api) do(method, path, body string, v any) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		a.t.Fatalf("%s %s: %v: %s", method, path, err, data)
	}
}

// post posts body to a /cgi-bin/ API with the access token and decodes the
// answer into a map.
func (a *api) post(apiName, body string) map[string]any {
	a.t.Helper()
	var m map[string]any
	a.do(http.MethodPost, "/cgi-bin/"+apiName+"?access_token="+a.token, body, &m)
	return m
}

func errcode(m map[string]any) int {
	n, _ := m["errcode"].(float64)
	return int(n)
}

func TestAccessTokenChecks(t *testing.T) {
	clk := newClock()
	f := newTestFake(clk.Now)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	body := `{"touser":"zhangsan","msgtype":"text","agentid":1000005,"text":{"content":"hi"}}`
	tests := []struct {
		name   string
		before func()
		query  string
		want   int
	}{
		{"valid", nil, "?access_token=" + a.token, 0},
		{"missing", nil, "", ErrMissingAccessToken},
		{"unknown", nil, "?access_token=forged", ErrInvalidAccessToken},
		{"past ttl", func() { clk.Advance(7201 * time.Second) }, "?access_token=" + a.token, ErrAccessTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			var m map[string]any
			a.do(http.MethodPost, "/cgi-bin/message/send"+tt.query, body, &m)
			if got := errcode(m); got != tt.want {
				t.Errorf("errcode = %d, want %d (%v)", got, tt.want, m)
			}
			if tt.want != 0 && !strings.Contains(m["errmsg"].(string), "devtool/query?e=") {
				t.Errorf("errmsg %q lacks WeCom's hint", m["errmsg"])
			}
		})
	}

	// A new token is issued once the old one is past its TTL, and the same
	// token is answered while it is valid.
	b := newAPI(t, srv.URL)
	c := newAPI(t, srv.URL)
	if b.token == a.token || c.token != b.token {
		t.Errorf("tokens: first %q, after expiry %q, again %q", a.token, b.token, c.token)
	}
	f.ExpireTokens()
	if m := b.post("message/send", body); errcode(m) != ErrAccessTokenExpired {
		t.Errorf("after ExpireTokens: %v", m)
	}
}

func TestMessageSendValidation(t *testing.T) {
	f := newTestFake(nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	card := func(cardType, taskID string, buttons int) string {
		var bl []string
		for i := range buttons {
			bl = append(bl, fmt.Sprintf(`{"text":"b%d","key":"k%d"}`, i, i))
		}
		return fmt.Sprintf(`{"touser":"zhangsan","msgtype":"template_card","agentid":1000005,
			"template_card":{"card_type":%q,"task_id":%q,"main_title":{"title":"重大事件"},"button_list":[%s]}}`,
			cardType, taskID, strings.Join(bl, ","))
	}
	tests := []struct {
		name string
		body string
		want int
	}{
		{"text, numeric agentid", `{"touser":"u","msgtype":"text","agentid":1000005,"text":{"content":"hi"}}`, 0},
		{"markdown, string agentid", `{"touser":"u","msgtype":"markdown","agentid":"1000005","markdown":{"content":"**hi**"}}`, 0},
		{"textcard", `{"touser":"u","msgtype":"textcard","agentid":1000005,"textcard":{"title":"t","description":"d","url":"https://x"}}`, 0},
		{"party only", `{"toparty":"2","msgtype":"text","agentid":1000005,"text":{"content":"hi"}}`, 0},
		{"text_notice card without task", card("text_notice", "", 0), 0},
		{"button card", card("button_interaction", "T-valid", 2), 0},
		{"wrong agentid", `{"touser":"u","msgtype":"text","agentid":"1","text":{"content":"hi"}}`, ErrInvalidAgentID},
		{"agentid not a number", `{"touser":"u","msgtype":"text","agentid":"abc","text":{"content":"hi"}}`, ErrInvalidAgentID},
		{"missing agentid", `{"touser":"u","msgtype":"text","text":{"content":"hi"}}`, ErrMissingAgentID},
		{"bad msgtype", `{"touser":"u","msgtype":"sms","agentid":1000005}`, ErrInvalidMsgType},
		{"no recipients", `{"msgtype":"text","agentid":1000005,"text":{"content":"hi"}}`, ErrAllRecipientsEmpty},
		{"empty text", `{"touser":"u","msgtype":"text","agentid":1000005,"text":{"content":""}}`, ErrEmptyContent},
		{"empty markdown", `{"touser":"u","msgtype":"markdown","agentid":1000005}`, ErrEmptyContent},
		{"textcard without url", `{"touser":"u","msgtype":"textcard","agentid":1000005,"textcard":{"title":"t","description":"d"}}`, ErrMissingURL},
		{"image without media", `{"touser":"u","msgtype":"image","agentid":1000005,"image":{}}`, ErrMissingMediaID},
		{"not json", `touser=u`, ErrInvalidParameter},
		{"button card without task", card("button_interaction", "", 2), ErrInvalidParameter},
		{"button card with 7 buttons", card("button_interaction", "T-7", 7), ErrInvalidParameter},
		{"bad card type", card("fancy", "T-fancy", 1), ErrInvalidParameter},
		{"duplicate task id", card("button_interaction", "T-valid", 1), ErrInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Sent())
			m := a.post("message/send", tt.body)
			if got := errcode(m); got != tt.want {
				t.Fatalf("errcode = %d, want %d (%v)", got, tt.want, m)
			}
			recorded := len(f.Sent()) - before
			if tt.want == 0 && (recorded != 1 || m["msgid"] == "") {
				t.Errorf("recorded %d, answer %v", recorded, m)
			}
			if tt.want != 0 && recorded != 0 {
				t.Errorf("a rejected message was recorded")
			}
		})
	}
}

func TestMessageSendRecipients(t *testing.T) {
	f := newTestFake(nil)
	addDirectory(f)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	tests := []struct {
		name, touser, toparty string
		wantCode              int
		wantInvalid           string
		wantTo                []string
	}{
		{"known", "zhangsan", "", 0, "", []string{"zhangsan"}},
		{"case-insensitive", "ZhangSan", "", 0, "", []string{"zhangsan"}},
		{"some unknown", "zhangsan|Nobody", "", 0, "nobody", []string{"zhangsan"}},
		{"all unknown", "nobody|ghost", "", ErrAllRecipientsBad, "", nil},
		{"@all", "@all", "", 0, "", []string{"zhangsan", "lisi", "wangwu"}},
		{"party with children", "", "2", 0, "", []string{"zhangsan", "lisi", "wangwu"}},
		{"party and user", "lisi", "3", 0, "", []string{"lisi"}},
		{"unknown party", "", "77", ErrAllRecipientsBad, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Sent())
			body := fmt.Sprintf(`{"touser":%q,"toparty":%q,"msgtype":"text","agentid":1000005,"text":{"content":%q}}`, tt.touser, tt.toparty, tt.name)
			m := a.post("message/send", body)
			if got := errcode(m); got != tt.wantCode {
				t.Fatalf("errcode = %d, want %d (%v)", got, tt.wantCode, m)
			}
			if tt.wantCode != 0 {
				return
			}
			if m["invaliduser"] != tt.wantInvalid {
				t.Errorf("invaliduser = %q, want %q", m["invaliduser"], tt.wantInvalid)
			}
			var got []string
			for _, s := range f.Sent()[before:] {
				got = append(got, s.ToUser)
				if s.MsgID != m["msgid"] {
					t.Errorf("msgid %q, answered %q", s.MsgID, m["msgid"])
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantTo, ",") {
				t.Errorf("recorded recipients %v, want %v", got, tt.wantTo)
			}
		})
	}
}

func TestTemplateCardAndUpdate(t *testing.T) {
	clk := newClock()
	f := newTestFake(clk.Now)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	m := a.post("message/send", `{"touser":"leader1","msgtype":"template_card","agentid":"1000005",
		"template_card":{"card_type":"button_interaction","task_id":"ESC-42","main_title":{"title":"未按时接班"},
		"button_list":[{"text":"确认","style":1,"key":"ack"},{"text":"转交","style":2,"key":"fwd"}]}}`)
	if errcode(m) != 0 || m["response_code"] == "" || m["response_code"] == nil {
		t.Fatalf("send card = %v", m)
	}
	sent := f.SentTo("leader1")
	if len(sent) != 1 || sent[0].TaskID != "ESC-42" || sent[0].Content != "未按时接班" || sent[0].ResponseCode != m["response_code"] {
		t.Fatalf("recorded %+v", sent)
	}
	code := m["response_code"].(string)

	minted := f.NewResponseCode("ESC-43")
	tests := []struct {
		name string
		body string
		want int
	}{
		{"replace button", fmt.Sprintf(`{"userids":["leader1"],"agentid":1000005,"response_code":%q,"button":{"replace_name":"已确认"}}`, code), 0},
		{"code reused", fmt.Sprintf(`{"userids":["leader1"],"agentid":1000005,"response_code":%q,"button":{"replace_name":"again"}}`, code), ErrCodeUsed},
		{"unknown code accepted once", `{"atall":1,"agentid":"1000005","response_code":"FROM-CALLBACK","template_card":{"card_type":"text_notice","main_title":{"title":"已处理"}}}`, 0},
		{"unknown code reused", `{"atall":1,"agentid":"1000005","response_code":"FROM-CALLBACK","button":{"replace_name":"x"}}`, ErrCodeUsed},
		{"missing code", `{"agentid":1000005,"button":{"replace_name":"x"}}`, ErrInvalidParameter},
		{"missing button name", `{"agentid":1000005,"response_code":"c2","button":{}}`, ErrMissingButtonName},
		{"nothing to update", `{"agentid":1000005,"response_code":"c3"}`, ErrInvalidParameter},
		{"wrong agent", `{"agentid":7,"response_code":"c4","button":{"replace_name":"x"}}`, ErrInvalidAgentID},
		{"minted code after 72h", fmt.Sprintf(`{"agentid":1000005,"response_code":%q,"button":{"replace_name":"x"}}`, minted), ErrCodeUsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "minted code after 72h" {
				clk.Advance(73 * time.Hour)
				a = newAPI(t, srv.URL) // the old token expired too
			}
			if m := a.post("message/update_template_card", tt.body); errcode(m) != tt.want {
				t.Errorf("errcode = %d, want %d (%v)", errcode(m), tt.want, m)
			}
		})
	}

	ups := f.Updates()
	if len(ups) != 2 {
		t.Fatalf("recorded %d updates, want 2: %+v", len(ups), ups)
	}
	if u := ups[0]; u.Seq != 1 || u.TaskID != "ESC-42" || u.ReplaceName != "已确认" || u.AgentID != testAgentID ||
		len(u.UserIDs) != 1 || u.UserIDs[0] != "leader1" || u.ResponseCode != code {
		t.Errorf("first update = %+v", u)
	}
	if u := ups[1]; !u.AtAll || u.ReplaceName != "" || !bytes.Contains(u.TemplateCard, []byte("已处理")) {
		t.Errorf("second update = %+v", u)
	}
}

func TestMediaGetHeaders(t *testing.T) {
	f := newTestFake(nil)
	f.AddMedia("M1", `值班"日志".pdf`, "application/pdf", []byte("%PDF-1.4"))
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	resp, err := http.Get(srv.URL + "/cgi-bin/media/get?access_token=" + a.token + "&media_id=M1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "%PDF-1.4" || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("body %q, Content-Type %q", body, resp.Header.Get("Content-Type"))
	}
	disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != `值班"日志".pdf` {
		t.Errorf("Content-Disposition %q: %s %v %v", resp.Header.Get("Content-Disposition"), disp, params, err)
	}

	var m map[string]any
	a.do(http.MethodGet, "/cgi-bin/media/get?access_token="+a.token, "", &m)
	if errcode(m) != ErrMissingMediaID {
		t.Errorf("without media_id: %v", m)
	}
}

func TestUserListDetail(t *testing.T) {
	f := newTestFake(nil)
	addDirectory(f)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	var resp struct {
		ErrCode  int               `json:"errcode"`
		UserList []json.RawMessage `json:"userlist"`
	}
	a.do(http.MethodGet, "/cgi-bin/user/list?access_token="+a.token+"&department_id=2&fetch_child=1", "", &resp)
	if resp.ErrCode != 0 || len(resp.UserList) != 3 {
		t.Fatalf("user/list = %+v", resp)
	}
	var first map[string]any
	if err := json.Unmarshal(resp.UserList[0], &first); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"userid", "name", "department", "position", "mobile", "gender", "status", "main_department", "is_leader_in_dept"} {
		if _, ok := first[field]; !ok {
			t.Errorf("user/list entry lacks %q: %s", field, resp.UserList[0])
		}
	}
}

func TestWaitSent(t *testing.T) {
	t.Parallel()
	f := newTestFake(nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	type result struct {
		sent []Sent
		err  error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := f.WaitSent(ctx, 2, func(s Sent) bool { return s.ToUser == "lisi" })
		done <- result{s, err}
	}()

	a.post("message/send", `{"touser":"zhangsan","msgtype":"text","agentid":1000005,"text":{"content":"not for lisi"}}`)
	a.post("message/send", `{"touser":"lisi","msgtype":"text","agentid":1000005,"text":{"content":"one"}}`)
	select {
	case r := <-done:
		t.Fatalf("WaitSent returned early: %+v", r)
	default:
	}
	a.post("message/send", `{"touser":"lisi","msgtype":"markdown","agentid":1000005,"markdown":{"content":"two"}}`)

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.sent) != 2 || r.sent[0].Content != "one" || r.sent[1].Content != "two" {
		t.Errorf("WaitSent = %+v", r.sent)
	}
}

func TestWaitSentTimeout(t *testing.T) {
	t.Parallel()
	f := newTestFake(nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)
	a.post("message/send", `{"touser":"zhangsan","msgtype":"text","agentid":1000005,"text":{"content":"hi"}}`)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got, err := f.WaitSent(ctx, 2, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if len(got) != 1 || !strings.Contains(err.Error(), "zhangsan") {
		t.Errorf("got %+v, err %v: want the one message and a summary", got, err)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := f.WaitUpdates(ctx2, 1, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitUpdates err = %v", err)
	}
}

func TestLongPoll(t *testing.T) {
	t.Parallel()
	f := New(Config{CorpID: testCorpID, Secret: testSecret, AgentID: testAgentID, PathPrefix: "/demo/wecom/"})
	mux := http.NewServeMux()
	mux.Handle("/demo/wecom/", f)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := srv.URL + "/demo/wecom"
	a := newAPI(t, base)
	ctx := context.Background()

	got, err := PollMessages(ctx, nil, base, "zhangsan", 0, 30*time.Millisecond)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty poll = %+v, %v", got, err)
	}

	type result struct {
		sent []Sent
		err  error
	}
	done := make(chan result, 1)
	go func() {
		s, err := PollMessages(ctx, srv.Client(), base, "zhangsan", 0, 10*time.Second)
		done <- result{s, err}
	}()
	a.post("message/send", `{"touser":"lisi","msgtype":"text","agentid":1000005,"text":{"content":"other"}}`)
	a.post("message/send", `{"touser":"zhangsan","msgtype":"text","agentid":1000005,"text":{"content":"收到"}}`)
	r := <-done
	if r.err != nil || len(r.sent) != 1 || r.sent[0].Content != "收到" || r.sent[0].Seq != 2 {
		t.Fatalf("long poll = %+v, %v", r.sent, r.err)
	}
	if !bytes.Contains(r.sent[0].JSON, []byte(`"msgtype":"text"`)) {
		t.Errorf("JSON did not survive the round trip: %s", r.sent[0].JSON)
	}

	got, err = PollMessages(ctx, nil, base, "zhangsan", r.sent[0].Seq, 0)
	if err != nil || len(got) != 0 {
		t.Errorf("poll after last seq = %+v, %v", got, err)
	}
	got, err = PollMessages(ctx, nil, base, "", 0, 0)
	if err != nil || len(got) != 2 {
		t.Errorf("poll all = %+v, %v", got, err)
	}

	for _, q := range []string{"after=x", "wait=soon", "wait=-1s"} {
		resp, err := http.Get(base + "/_fake/messages?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, resp.StatusCode)
		}
	}
	if f.Calls("_fake/messages") != 0 {
		t.Errorf("inspection requests are counted as API calls")
	}
}

func TestParseWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"", 0, false},
		{"5s", 5 * time.Second, false},
		{"250ms", 250 * time.Millisecond, false},
		{"2", 2 * time.Second, false},
		{"1.5", 1500 * time.Millisecond, false},
		{"10m", MaxPollWait, false},
		{"-1s", 0, true},
		{"later", 0, true},
	}
	for _, tt := range tests {
		got, err := parseWait(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseWait(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix, path string
		want         int
	}{
		{"", "/cgi-bin/gettoken", http.StatusOK},
		{"", "/demo/wecom/cgi-bin/gettoken", http.StatusOK},
		{"/demo/wecom", "/demo/wecom/cgi-bin/gettoken", http.StatusOK},
		{"/demo/wecom", "/cgi-bin/gettoken", http.StatusNotFound},
		{"", "/gettoken", http.StatusNotFound},
		{"", "/cgi-bin/no/such/api", http.StatusNotFound},
		{"", "/_fake/nothing", http.StatusNotFound},
	}
	for _, tt := range tests {
		f := New(Config{CorpID: testCorpID, Secret: testSecret, PathPrefix: tt.prefix})
		rec := httptest.NewRecorder()
		q := "?corpid=" + testCorpID + "&corpsecret=" + testSecret
		if strings.Contains(tt.path, "no/such") {
			q = "?access_token=" + newRecorderToken(t, f)
		}
		f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path+q, nil))
		if rec.Code != tt.want {
			t.Errorf("prefix %q, GET %s: status %d, want %d", tt.prefix, tt.path, rec.Code, tt.want)
		}
	}
}

func newRecorderToken(t *testing.T, f *Fake) string {
	rec := httptest.NewRecorder()
	cfg := f.Config()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, cfg.PathPrefix+"/cgi-bin/gettoken?corpid="+cfg.CorpID+"&corpsecret="+cfg.Secret, nil))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("gettoken: %s", rec.Body)
	}
	return tok.AccessToken
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg := New(Config{}).Config()
	if cfg.CorpID != DefaultCorpID || cfg.Secret != DefaultSecret || cfg.AgentID != DefaultAgentID || cfg.TokenTTL != DefaultTokenTTL || cfg.Now == nil {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f := newTestFake(nil)
	f.AddUser(User{UserID: "u0"})
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	const workers, each = 8, 15
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		_, err := f.WaitSent(ctx, workers*each, nil)
		waited <- err
	}()

	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("u%d", w)
			f.AddUser(User{UserID: user, Name: user})
			for i := range each {
				body := fmt.Sprintf(`{"touser":%q,"msgtype":"text","agentid":1000005,"text":{"content":"%d"}}`, user, i)
				resp, err := http.Post(srv.URL+"/cgi-bin/message/send?access_token="+a.token, "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err.Error()
					return
				}
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if errcode(m) != 0 {
					errs <- fmt.Sprint(m)
				}
				_ = f.SentTo(user)
				_ = f.Calls("message/send")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	seen := make(map[int64]bool)
	for _, s := range f.Sent() {
		if seen[s.Seq] || s.Seq < 1 || s.Seq > workers*each {
			t.Errorf("bad or repeated seq %d", s.Seq)
		}
		seen[s.Seq] = true
	}
}

func TestRemoveUser(t *testing.T) {
	t.Parallel()
	f := newTestFake(nil)
	addDirectory(f)
	f.RemoveUser("lisi")
	f.RemoveUser("nobody")
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	var m map[string]any
	a.do(http.MethodGet, "/cgi-bin/user/get?access_token="+a.token+"&userid=lisi", "", &m)
	if errcode(m) != ErrInvalidUserID {
		t.Errorf("user/get of a removed user: %v", m)
	}
	m = a.post("message/send", `{"touser":"lisi|zhangsan","msgtype":"text","agentid":1000005,"text":{"content":"x"}}`)
	if errcode(m) != 0 || m["invaliduser"] != "lisi" {
		t.Errorf("send to a removed user: %v", m)
	}
	var list struct {
		UserList []simpleUser `json:"userlist"`
	}
	a.do(http.MethodGet, "/cgi-bin/user/simplelist?access_token="+a.token+"&department_id=1&fetch_child=1", "", &list)
	if len(list.UserList) != 2 || list.UserList[0].UserID != "zhangsan" || list.UserList[1].UserID != "wangwu" {
		t.Errorf("simplelist after removal = %+v", list.UserList)
	}
}

func TestWaitUpdates(t *testing.T) {
	t.Parallel()
	f := newTestFake(nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := newAPI(t, srv.URL)

	done := make(chan []Update, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ups, err := f.WaitUpdates(ctx, 1, func(u Update) bool { return u.ReplaceName == "已确认" })
		if err != nil {
			t.Error(err)
		}
		done <- ups
	}()
	a.post("message/update_template_card", `{"userids":["a"],"agentid":1000005,"response_code":"r1","button":{"replace_name":"其他"}}`)
	a.post("message/update_template_card", `{"userids":["a"],"agentid":1000005,"response_code":"r2","button":{"replace_name":"已确认"}}`)
	if ups := <-done; len(ups) != 1 || ups[0].ResponseCode != "r2" || ups[0].Seq != 2 {
		t.Errorf("WaitUpdates = %+v", ups)
	}
}
