// Package wecomtest is a local fake of the WeCom (企业微信) server API and a
// builder of WeCom callbacks, for end-to-end tests and the in-process demo.
//
// [Fake] is an [http.Handler] that speaks WeCom's real protocol: the same
// paths, query parameters, JSON shapes and error codes (errcode/errmsg) as
// https://qyapi.weixin.qq.com. Point a client at it by rewriting the base
// URL, for example with silenceper's util.SetURIModifier. It records what the
// application sends so that tests can wait for messages without sleeping.
//
// [Signer] builds callbacks exactly as WeCom sends them to an application:
// signed, AES-encrypted XML envelopes around the documented plaintext
// messages and events.
//
// The package does not import "testing"; it is safe to use at run time.
package wecomtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Defaults used by [New] for zero fields of [Config].
const (
	DefaultCorpID   = "wwfakecorp0000001"
	DefaultSecret   = "fake-corp-secret"
	DefaultAgentID  = 1000002
	DefaultTokenTTL = 7200 * time.Second
)

// responseCodeTTL is how long a template card response_code may be used:
// WeCom documents 72 hours, once.
const responseCodeTTL = 72 * time.Hour

// Config configures a [Fake].
type Config struct {
	// CorpID and Secret are the credentials gettoken accepts.
	CorpID string
	Secret string
	// AgentID is the application id message/send and
	// message/update_template_card require.
	AgentID int
	// PathPrefix, if set, is stripped from request paths before routing,
	// e.g. "/demo/wecom" when the fake is mounted under that path. Without
	// it the fake routes on whatever follows "/cgi-bin/" or "/_fake/".
	PathPrefix string
	// TokenTTL is the lifetime of issued access tokens (expires_in).
	// Note that silenceper/wechat caches a token for expires_in - 1500
	// seconds, so a TTL under 1500s makes it fetch a token on every call.
	TokenTTL time.Duration
	// Now is the clock used for token expiry, response codes and
	// timestamps. Nil means time.Now.
	Now func() time.Time
}

// Sent is one application message recorded by message/send. A message to
// several users is recorded once per recipient; the copies share MsgID.
type Sent struct {
	// Seq numbers recorded messages from 1 in the order they arrived.
	Seq int64 `json:"seq"`
	// ToUser is the single recipient of this copy. It is empty for
	// messages addressed only to departments or tags that the fake could not
	// expand, and "@all" for "@all" when no users are registered.
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	// Content is text.content or markdown.content, the title of a
	// textcard, news article or template card, and empty otherwise.
	Content string `json:"content"`
	// TaskID is template_card.task_id, if any.
	TaskID string `json:"task_id,omitempty"`
	// MsgID is the msgid answered to the sender.
	MsgID string `json:"msgid"`
	// ResponseCode is the response_code answered for interactive template
	// cards (button_interaction, vote_interaction, multiple_interaction).
	ResponseCode string `json:"response_code,omitempty"`
	// JSON is the request body as sent.
	JSON json.RawMessage `json:"json"`
	At   time.Time       `json:"at"`
}

// Update is one call of message/update_template_card.
type Update struct {
	// Seq numbers recorded updates from 1.
	Seq          int64    `json:"seq"`
	UserIDs      []string `json:"userids"`
	PartyIDs     []int    `json:"partyids"`
	TagIDs       []int    `json:"tagids"`
	AtAll        bool     `json:"atall"`
	AgentID      int      `json:"agentid"`
	ResponseCode string   `json:"response_code"`
	// TaskID is the task of the card the response code was issued for,
	// when the fake issued it, or template_card.task_id.
	TaskID string `json:"task_id,omitempty"`
	// ReplaceName is button.replace_name when only the button is replaced.
	ReplaceName string `json:"replace_name,omitempty"`
	// TemplateCard is template_card when the whole card is replaced.
	TemplateCard json.RawMessage `json:"template_card,omitempty"`
	// JSON is the request body as sent.
	JSON json.RawMessage `json:"json"`
	At   time.Time       `json:"at"`
}

// User is a member of the address book, with WeCom's JSON field names.
type User struct {
	UserID         string   `json:"userid"`
	Name           string   `json:"name"`
	Department     []int    `json:"department"`
	Order          []int    `json:"order"`
	Position       string   `json:"position"`
	Mobile         string   `json:"mobile"`
	Gender         string   `json:"gender"` // "0", "1" male, "2" female: WeCom sends a string
	Email          string   `json:"email"`
	BizMail        string   `json:"biz_mail"`
	IsLeaderInDept []int    `json:"is_leader_in_dept"`
	DirectLeader   []string `json:"direct_leader"`
	Avatar         string   `json:"avatar"`
	ThumbAvatar    string   `json:"thumb_avatar"`
	Telephone      string   `json:"telephone"`
	Alias          string   `json:"alias"`
	Address        string   `json:"address"`
	OpenUserID     string   `json:"open_userid"`
	MainDepartment int      `json:"main_department"`
	// Status is 1 activated, 2 disabled, 4 not activated, 5 left.
	Status int `json:"status"`
}

// Department is a department of the address book, with WeCom's JSON field
// names. The root department has ID 1 and ParentID 0.
type Department struct {
	ID               int      `json:"id"`
	Name             string   `json:"name"`
	NameEn           string   `json:"name_en,omitempty"`
	DepartmentLeader []string `json:"department_leader"`
	ParentID         int      `json:"parentid"`
	Order            int      `json:"order"`
}

// Media is a temporary media file served by media/get.
type Media struct {
	ID          string
	Type        string // image, voice, video or file; set by media/upload
	Filename    string
	ContentType string
	Data        []byte
}

// Fake is a fake WeCom server. Create it with [New]; it is safe for
// concurrent use.
type Fake struct {
	cfg Config

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when anything is recorded
	tokens  map[string]*accessToken
	current string // the token gettoken answers while it is valid
	calls   map[string]int
	inject  map[string][]*injection
	sent    []Sent
	updates []Update
	codes   map[string]*responseCode
	taskIDs map[string]bool
	users   map[string]*User
	userIDs []string // users in the order they were added
	depts   map[int]*Department
	media   map[string]*Media
	oauth   map[string]*oauthCode // OAuth codes issued by the authorize page
	sentSeq int64
	updSeq  int64
}

type accessToken struct {
	expires time.Time
	revoked bool
}

type injection struct {
	errcode int // answered as JSON when status is 0
	status  int // bare HTTP status
	left    int
}

type responseCode struct {
	issued time.Time
	taskID string
	used   bool
}

// New returns a fake configured by cfg, with defaults for zero fields.
func New(cfg Config) *Fake {
	if cfg.CorpID == "" {
		cfg.CorpID = DefaultCorpID
	}
	if cfg.Secret == "" {
		cfg.Secret = DefaultSecret
	}
	if cfg.AgentID == 0 {
		cfg.AgentID = DefaultAgentID
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PathPrefix = strings.TrimSuffix(cfg.PathPrefix, "/")
	return &Fake{
		cfg:     cfg,
		changed: make(chan struct{}),
		tokens:  make(map[string]*accessToken),
		calls:   make(map[string]int),
		inject:  make(map[string][]*injection),
		codes:   make(map[string]*responseCode),
		taskIDs: make(map[string]bool),
		users:   make(map[string]*User),
		depts:   make(map[int]*Department),
		media:   make(map[string]*Media),
		oauth:   make(map[string]*oauthCode),
	}
}

// Config returns the configuration in use, defaults filled in.
func (f *Fake) Config() Config { return f.cfg }

// ServeHTTP implements [http.Handler].
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api, ok := f.route(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(api, "_fake/") {
		f.serveInspection(w, r, strings.TrimPrefix(api, "_fake/"))
		return
	}

	f.mu.Lock()
	f.calls[api]++
	inj := f.takeInjection(api)
	f.notify()
	f.mu.Unlock()
	if inj != nil {
		if inj.status != 0 {
			http.Error(w, http.StatusText(inj.status), inj.status)
			return
		}
		writeError(w, inj.errcode, errorText(inj.errcode))
		return
	}

	if api == "gettoken" {
		f.getToken(w, r)
		return
	}
	if api == authorizeAPI {
		f.authorize(w, r)
		return
	}
	if code := f.checkToken(r.URL.Query().Get("access_token")); code != 0 {
		writeError(w, code, errorText(code))
		return
	}
	switch api {
	case "message/send":
		f.messageSend(w, r)
	case "message/update_template_card":
		f.updateTemplateCard(w, r)
	case "user/get":
		f.userGet(w, r)
	case "user/list":
		f.userList(w, r, false)
	case "user/simplelist":
		f.userList(w, r, true)
	case "user/list_id":
		f.userListID(w, r)
	case "department/list":
		f.departmentList(w, r, false)
	case "department/simplelist":
		f.departmentList(w, r, true)
	case "department/get":
		f.departmentGet(w, r)
	case "media/get":
		f.mediaGet(w, r)
	case "media/upload":
		f.mediaUpload(w, r)
	case "auth/getuserinfo":
		f.authGetUserInfo(w, r)
	default:
		http.NotFound(w, r)
	}
}

// route returns the API name of a request path: what follows "/cgi-bin/",
// such as "message/send", or "_fake/..." for inspection endpoints.
func (f *Fake) route(path string) (string, bool) {
	if f.cfg.PathPrefix != "" {
		rest, ok := strings.CutPrefix(path, f.cfg.PathPrefix)
		if !ok {
			return "", false
		}
		path = rest
	}
	if strings.HasSuffix(path, "/"+authorizeAPI) {
		return authorizeAPI, true
	}
	if i := strings.Index(path, "/cgi-bin/"); i >= 0 {
		return path[i+len("/cgi-bin/"):], true
	}
	if i := strings.Index(path, "/_fake/"); i >= 0 {
		return path[i+1:], true
	}
	return "", false
}

// InjectError makes the next times calls of api, such as "message/send" or
// "gettoken", answer errcode (with status 200, as WeCom does) instead of
// being served. Injected answers come before the access token is checked;
// injections for one API are used in the order they were made.
func (f *Fake) InjectError(api string, errcode int, times int) {
	f.addInjection(api, &injection{errcode: errcode, left: times})
}

// InjectHTTPStatus makes the next times calls of api answer a bare HTTP
// status, such as 502, instead of being served.
func (f *Fake) InjectHTTPStatus(api string, status int, times int) {
	f.addInjection(api, &injection{status: status, left: times})
}

func (f *Fake) addInjection(api string, inj *injection) {
	if inj.left <= 0 {
		return
	}
	api = strings.TrimPrefix(api, "/")
	api = strings.TrimPrefix(api, "cgi-bin/")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject[api] = append(f.inject[api], inj)
}

// takeInjection consumes one injected answer for api, if any. f.mu is held.
func (f *Fake) takeInjection(api string) *injection {
	q := f.inject[api]
	if len(q) == 0 {
		return nil
	}
	inj := q[0]
	inj.left--
	if inj.left == 0 {
		q = q[1:]
		if len(q) == 0 {
			delete(f.inject, api)
		} else {
			f.inject[api] = q
		}
	}
	return inj
}

// ExpireTokens makes every access token issued so far answer 42001 (access
// token expired), so that clients must fetch a new one.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		t.revoked = true
	}
	f.current = ""
}

// WaitCalls blocks until api has been called at least n times (counted when
// a request arrives, before it is answered) or ctx ends.
func (f *Fake) WaitCalls(ctx context.Context, api string, n int) error {
	err := f.wait(ctx, func() bool { return f.calls[api] >= n })
	if err != nil {
		return fmt.Errorf("wecomtest: waiting for %d calls of %s: %w", n, api, err)
	}
	return nil
}

// Calls reports how many requests api (such as "gettoken" or "message/send")
// has received, including those answered with an error.
func (f *Fake) Calls(api string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[api]
}

// Sent returns every recorded message, oldest first.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// SentTo returns the recorded messages to user, oldest first.
func (f *Fake) SentTo(user string) []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.matchSent(func(s Sent) bool { return s.ToUser == user })
}

// Updates returns every recorded template card update, oldest first.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Update(nil), f.updates...)
}

// WaitSent blocks until at least n recorded messages satisfy match (nil
// matches all) and returns all of them, oldest first. If ctx ends first it
// returns the matches so far and an error that wraps ctx.Err() and lists
// what was sent.
func (f *Fake) WaitSent(ctx context.Context, n int, match func(Sent) bool) ([]Sent, error) {
	if match == nil {
		match = func(Sent) bool { return true }
	}
	var got []Sent
	err := f.wait(ctx, func() bool {
		got = f.matchSent(match)
		return len(got) >= n
	})
	if err != nil {
		f.mu.Lock()
		all := append([]Sent(nil), f.sent...)
		f.mu.Unlock()
		return got, fmt.Errorf("wecomtest: %d of %d matching messages (sent: %s): %w", len(got), n, summarize(all), err)
	}
	return got, nil
}

// WaitUpdates blocks until at least n recorded template card updates
// satisfy match (nil matches all) and returns all of them, oldest first. If
// ctx ends first it returns the matches so far and an error wrapping
// ctx.Err().
func (f *Fake) WaitUpdates(ctx context.Context, n int, match func(Update) bool) ([]Update, error) {
	var got []Update
	err := f.wait(ctx, func() bool {
		got = got[:0]
		for _, u := range f.updates {
			if match == nil || match(u) {
				got = append(got, u)
			}
		}
		return len(got) >= n
	})
	if err != nil {
		return got, fmt.Errorf("wecomtest: %d of %d matching template card updates: %w", len(got), n, err)
	}
	return got, nil
}

// wait calls cond with f.mu held each time something is recorded, until it
// reports true or ctx ends.
func (f *Fake) wait(ctx context.Context, cond func() bool) error {
	for {
		f.mu.Lock()
		ok := cond()
		changed := f.changed
		f.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes every waiter. f.mu is held.
func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// matchSent returns copies of the recorded messages that satisfy match.
// f.mu is held.
func (f *Fake) matchSent(match func(Sent) bool) []Sent {
	var out []Sent
	for _, s := range f.sent {
		if match(s) {
			out = append(out, s)
		}
	}
	return out
}

func summarize(sent []Sent) string {
	if len(sent) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, s := range sent {
		if i > 0 {
			b.WriteString("; ")
		}
		content := s.Content
		if len(content) > 60 {
			content = content[:60] + "…"
		}
		fmt.Fprintf(&b, "#%d %s→%s %q", s.Seq, s.MsgType, s.ToUser, content)
	}
	return b.String()
}

// AddUser adds u to the address book, replacing a user with the same
// UserID. Zero fields get defaults: Department [1], MainDepartment the first
// department, Status 1 (activated), Gender "0". Once any user is added,
// message/send reports unknown recipients in invaliduser.
func (f *Fake) AddUser(u User) {
	if len(u.Department) == 0 {
		u.Department = []int{1}
	}
	if u.MainDepartment == 0 {
		u.MainDepartment = u.Department[0]
	}
	if u.Status == 0 {
		u.Status = 1
	}
	if u.Gender == "" {
		u.Gender = "0"
	}
	if u.Order == nil {
		u.Order = make([]int, len(u.Department))
	}
	if u.IsLeaderInDept == nil {
		u.IsLeaderInDept = make([]int, len(u.Department))
	}
	if u.DirectLeader == nil {
		u.DirectLeader = []string{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[u.UserID]; !ok {
		f.userIDs = append(f.userIDs, u.UserID)
	}
	f.users[u.UserID] = &u
}

// RemoveUser deletes a user from the address book.
func (f *Fake) RemoveUser(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[userID]; !ok {
		return
	}
	delete(f.users, userID)
	for i, id := range f.userIDs {
		if id == userID {
			f.userIDs = append(f.userIDs[:i:i], f.userIDs[i+1:]...)
			break
		}
	}
}

// AddDepartment adds d to the address book, replacing a department with the
// same ID.
func (f *Fake) AddDepartment(d Department) {
	if d.DepartmentLeader == nil {
		d.DepartmentLeader = []string{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.depts[d.ID] = &d
}

// AddMedia registers a temporary media file for media/get.
func (f *Fake) AddMedia(id, filename, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = &Media{
		ID:          id,
		Type:        "file",
		Filename:    filename,
		ContentType: contentType,
		Data:        append([]byte(nil), data...),
	}
}

// Media returns a media file registered with AddMedia or uploaded through
// media/upload.
func (f *Fake) Media(id string) (Media, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.media[id]
	if !ok {
		return Media{}, false
	}
	c := *m
	c.Data = append([]byte(nil), m.Data...)
	return c, true
}

// NewResponseCode mints a template card response_code for taskID, as WeCom
// puts into a template_card_event callback, and makes it valid for one
// message/update_template_card within 72 hours. (Codes the fake did not
// mint are accepted too, once each; minting only adds the 72-hour limit and
// Update.TaskID.)
func (f *Fake) NewResponseCode(taskID string) string {
	code := randomString(24)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = &responseCode{issued: f.cfg.Now(), taskID: taskID}
	return code
}

// orderedUsers returns the registered users in the order added.
// f.mu is held.
func (f *Fake) orderedUsers() []*User {
	out := make([]*User, 0, len(f.userIDs))
	for _, id := range f.userIDs {
		out = append(out, f.users[id])
	}
	return out
}

// deptIDs returns the registered department ids in ascending order.
// f.mu is held.
func (f *Fake) deptIDs() []int {
	ids := make([]int, 0, len(f.depts))
	for id := range f.depts {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// randomString returns n random hex digits.
func randomString(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic("wecomtest: crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)[:n]
}
