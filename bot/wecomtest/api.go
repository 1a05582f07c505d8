package wecomtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WeCom error codes the fake answers, from WeCom's global error code list
// (https://developer.work.weixin.qq.com/document/path/90313).
const (
	ErrSystemBusy         = -1    // 系统繁忙
	ErrInvalidSecret      = 40001 // 不合法的secret参数
	ErrInvalidMediaType   = 40005 // 不合法的type参数 (media/upload)
	ErrInvalidMediaID     = 40007 // 不合法的media_id参数
	ErrInvalidMsgType     = 40008 // 不合法的msgtype参数
	ErrInvalidCorpID      = 40013 // 不合法的CorpID
	ErrInvalidAccessToken = 40014 // 不合法的access_token
	ErrInvalidAgentID     = 40056 // 不合法的agentid
	ErrInvalidParameter   = 40058 // 不合法的参数 (also used for a body that is not JSON)
	ErrMissingAccessToken = 41001 // 缺少access_token参数
	ErrMissingCorpID      = 41002 // 缺少corpid参数
	ErrMissingSecret      = 41004 // 缺少secret参数
	ErrMissingMediaID     = 41006 // 缺少media_id参数
	ErrMissingUserID      = 41009 // 缺少userid参数
	ErrMissingURL         = 41010 // 缺少url参数
	ErrMissingAgentID     = 41011 // 缺少agentid参数
	ErrMissingTitle       = 41016 // 缺少title参数
	ErrMissingDescription = 41033 // 缺少 description 参数
	ErrAccessTokenExpired = 42001 // access_token已过期
	ErrMissingButtonName  = 42020 // 缺少按钮名称
	ErrCodeUsed           = 42022 // code已经被使用过。只能使用一次 (used or expired response_code)
	ErrEmptyMedia         = 44001 // 多媒体文件为空
	ErrEmptyContent       = 44004 // 文本消息content参数为空
	ErrFreqOutOfLimit     = 45009 // 接口调用超过限制
	ErrIPNotAllowed       = 60020 // 访问ip不在白名单之中
	ErrInvalidUserID      = 60111 // UserID不存在
	ErrInvalidPartyID     = 60123 // 无效的部门id
	ErrAllRecipientsBad   = 81013 // UserID、部门ID、标签ID全部非法或无权限
	ErrAllRecipientsEmpty = 82001 // 指定的成员/部门/标签全部为空
)

const (
	maxRequestBody = 8 << 20
	maxUploadBody  = 32 << 20
	moreInfoURL    = "https://open.work.weixin.qq.com/devtool/query?e="
	// maxCardButtons is WeCom's limit on a button_interaction card.
	maxCardButtons = 6
)

// errorText returns an errmsg for code in the style of WeCom's.
func errorText(code int) string {
	switch code {
	case ErrSystemBusy:
		return "system busy"
	case ErrInvalidSecret:
		return "invalid credential"
	case ErrInvalidMediaType:
		return "invalid media type"
	case ErrInvalidMediaID:
		return "invalid media_id"
	case ErrInvalidMsgType:
		return "invalid message type"
	case ErrInvalidCorpID:
		return "invalid corpid"
	case ErrInvalidAccessToken:
		return "invalid access_token"
	case ErrInvalidAgentID:
		return "invalid agentid"
	case ErrInvalidParameter:
		return "invalid Request Parameter"
	case ErrMissingAccessToken:
		return "access_token missing"
	case ErrMissingCorpID:
		return "corpid missing"
	case ErrMissingSecret:
		return "corpsecret missing"
	case ErrMissingMediaID:
		return "media_id missing"
	case ErrMissingUserID:
		return "userid missing"
	case ErrMissingURL:
		return "url missing"
	case ErrMissingAgentID:
		return "agentid missing"
	case ErrMissingTitle:
		return "title missing"
	case ErrMissingDescription:
		return "description missing"
	case ErrAccessTokenExpired:
		return "access_token expired"
	case ErrMissingButtonName:
		return "button name missing"
	case ErrCodeUsed:
		return "code has been used"
	case ErrEmptyMedia:
		return "empty media data"
	case ErrEmptyContent:
		return "empty content"
	case ErrFreqOutOfLimit:
		return "api freq out of limit"
	case ErrIPNotAllowed:
		return "not allow to access from your ip"
	case ErrInvalidUserID:
		return "invalid UserID"
	case ErrInvalidPartyID:
		return "invalid party id"
	case ErrAllRecipientsBad:
		return "user & party & tag all invalid"
	case ErrAllRecipientsEmpty:
		return "user & party & tag all empty"
	}
	return "injected error"
}

// writeJSON answers v as JSON with status 200, as WeCom does even for
// errors.
func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// writeError answers {"errcode":code,"errmsg":...} like WeCom.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, fmt.Sprintf("%s, more info at %s%d", msg, moreInfoURL, code)})
}

// errFields is the errcode/errmsg pair every answer starts with.
type errFields struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// okFields returns the errcode/errmsg pair of a successful answer.
func okFields() errFields { return errFields{ErrCode: 0, ErrMsg: "ok"} }

// getToken serves GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET.
// While the current token is valid it is answered again, as WeCom does.
func (f *Fake) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	corpID, secret := q.Get("corpid"), q.Get("corpsecret")
	code := 0
	switch {
	case corpID == "":
		code = ErrMissingCorpID
	case corpID != f.cfg.CorpID:
		code = ErrInvalidCorpID
	case secret == "":
		code = ErrMissingSecret
	case secret != f.cfg.Secret:
		code = ErrInvalidSecret
	}
	if code != 0 {
		writeError(w, code, errorText(code))
		return
	}

	now := f.cfg.Now()
	f.mu.Lock()
	tok := f.current
	t := f.tokens[tok]
	if t == nil || t.revoked || !now.Before(t.expires) {
		tok = randomString(64)
		t = &accessToken{expires: now.Add(f.cfg.TokenTTL)}
		f.tokens[tok] = t
		f.current = tok
	}
	expiresIn := int(t.expires.Sub(now) / time.Second)
	f.mu.Unlock()
	if expiresIn < 1 {
		expiresIn = 1
	}
	writeJSON(w, struct {
		errFields
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}{okFields(), tok, expiresIn})
}

// checkToken returns the errcode for an access_token parameter, 0 if valid.
func (f *Fake) checkToken(tok string) int {
	if tok == "" {
		return ErrMissingAccessToken
	}
	now := f.cfg.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	t, found := f.tokens[tok]
	switch {
	case !found:
		return ErrInvalidAccessToken
	case t.revoked || !now.Before(t.expires):
		return ErrAccessTokenExpired
	}
	return 0
}

// readBody reads a JSON request body; it answers 40058 and returns false if
// the body cannot be read or decoded into v.
func readBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: body is not valid JSON")
		return nil, false
	}
	return body, true
}

// parseAgentID reads an agentid sent as a JSON number or string (silenceper
// sends a string). It reports false if raw is absent.
func parseAgentID(raw json.RawMessage) (id int, present bool, valid bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return 0, false, false
	}
	if err := json.Unmarshal(raw, &id); err == nil {
		return id, true, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, true, false
	}
	id, err := strconv.Atoi(strings.TrimSpace(s))
	return id, true, err == nil
}

// checkAgentID returns the errcode for an agentid, 0 if it is the fake's.
func (f *Fake) checkAgentID(raw json.RawMessage) int {
	id, present, valid := parseAgentID(raw)
	switch {
	case !present:
		return ErrMissingAgentID
	case !valid || id != f.cfg.AgentID:
		return ErrInvalidAgentID
	}
	return 0
}

// validMsgType reports whether message/send accepts msgtype t.
func validMsgType(t string) bool {
	switch t {
	case "text", "image", "voice", "video", "file", "textcard", "news",
		"mpnews", "markdown", "miniprogram_notice", "template_card":
		return true
	}
	return false
}

// sendRequest is the part of a message/send body the fake looks at.
type sendRequest struct {
	ToUser   string          `json:"touser"`
	ToParty  string          `json:"toparty"`
	ToTag    string          `json:"totag"`
	MsgType  string          `json:"msgtype"`
	AgentID  json.RawMessage `json:"agentid"`
	Text     *contentField   `json:"text"`
	Markdown *contentField   `json:"markdown"`
	TextCard *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
	} `json:"textcard"`
	News *struct {
		Articles []struct {
			Title string `json:"title"`
		} `json:"articles"`
	} `json:"news"`
	MPNews *struct {
		Articles []struct {
			Title string `json:"title"`
		} `json:"articles"`
	} `json:"mpnews"`
	Image        *mediaField     `json:"image"`
	Voice        *mediaField     `json:"voice"`
	Video        *mediaField     `json:"video"`
	File         *mediaField     `json:"file"`
	TemplateCard json.RawMessage `json:"template_card"`
}

type contentField struct {
	Content string `json:"content"`
}

type mediaField struct {
	MediaID string `json:"media_id"`
}

// templateCard is the part of a template_card the fake looks at.
type templateCard struct {
	CardType  string `json:"card_type"`
	TaskID    string `json:"task_id"`
	MainTitle struct {
		Title string `json:"title"`
	} `json:"main_title"`
	ButtonList []json.RawMessage `json:"button_list"`
}

// interactive reports whether WeCom answers a response_code for the card.
func (c templateCard) interactive() bool {
	switch c.CardType {
	case "button_interaction", "vote_interaction", "multiple_interaction":
		return true
	}
	return false
}

// messageSend serves POST /cgi-bin/message/send.
func (f *Fake) messageSend(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	body, ok := readBody(w, r, &req)
	if !ok {
		return
	}
	if code := f.checkAgentID(req.AgentID); code != 0 {
		writeError(w, code, errorText(code))
		return
	}
	if !validMsgType(req.MsgType) {
		writeError(w, ErrInvalidMsgType, errorText(ErrInvalidMsgType))
		return
	}
	if strings.TrimSpace(req.ToUser) == "" && strings.TrimSpace(req.ToParty) == "" && strings.TrimSpace(req.ToTag) == "" {
		writeError(w, ErrAllRecipientsEmpty, errorText(ErrAllRecipientsEmpty))
		return
	}

	var content string
	var card templateCard
	switch req.MsgType {
	case "text":
		if req.Text == nil || req.Text.Content == "" {
			writeError(w, ErrEmptyContent, errorText(ErrEmptyContent))
			return
		}
		content = req.Text.Content
	case "markdown":
		if req.Markdown == nil || req.Markdown.Content == "" {
			writeError(w, ErrEmptyContent, errorText(ErrEmptyContent))
			return
		}
		content = req.Markdown.Content
	case "textcard":
		switch {
		case req.TextCard == nil || req.TextCard.Title == "":
			writeError(w, ErrMissingTitle, errorText(ErrMissingTitle))
			return
		case req.TextCard.Description == "":
			writeError(w, ErrMissingDescription, errorText(ErrMissingDescription))
			return
		case req.TextCard.URL == "":
			writeError(w, ErrMissingURL, errorText(ErrMissingURL))
			return
		}
		content = req.TextCard.Title
	case "news":
		if req.News == nil || len(req.News.Articles) == 0 || req.News.Articles[0].Title == "" {
			writeError(w, ErrMissingTitle, errorText(ErrMissingTitle))
			return
		}
		content = req.News.Articles[0].Title
	case "mpnews":
		if req.MPNews == nil || len(req.MPNews.Articles) == 0 || req.MPNews.Articles[0].Title == "" {
			writeError(w, ErrMissingTitle, errorText(ErrMissingTitle))
			return
		}
		content = req.MPNews.Articles[0].Title
	case "image", "voice", "video", "file":
		m := map[string]*mediaField{"image": req.Image, "voice": req.Voice, "video": req.Video, "file": req.File}[req.MsgType]
		if m == nil || m.MediaID == "" {
			writeError(w, ErrMissingMediaID, errorText(ErrMissingMediaID))
			return
		}
	case "template_card":
		var msg string
		card, msg = parseTemplateCard(req.TemplateCard)
		if msg != "" {
			writeError(w, ErrInvalidParameter, msg)
			return
		}
		content = card.MainTitle.Title
	}

	now := f.cfg.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if card.interactive() && f.taskIDs[card.TaskID] {
		// WeCom requires task_id to be unique within the application; it
		// documents no dedicated code, so the fake answers 40058.
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: task_id "+card.TaskID+" already exists")
		return
	}
	rcpt := f.resolveRecipients(req)
	if len(rcpt.users) == 0 && !rcpt.unresolved {
		writeError(w, ErrAllRecipientsBad, errorText(ErrAllRecipientsBad))
		return
	}
	if card.TaskID != "" {
		f.taskIDs[card.TaskID] = true
	}
	msgID := randomString(32)
	var respCode string
	if card.interactive() {
		respCode = randomString(24)
		f.codes[respCode] = &responseCode{issued: now, taskID: card.TaskID}
	}
	users := rcpt.users
	if len(users) == 0 {
		users = []string{""} // addressed to departments or tags only
	}
	for _, u := range users {
		f.sentSeq++
		f.sent = append(f.sent, Sent{
			Seq:          f.sentSeq,
			ToUser:       u,
			MsgType:      req.MsgType,
			Content:      content,
			TaskID:       card.TaskID,
			MsgID:        msgID,
			ResponseCode: respCode,
			JSON:         append(json.RawMessage(nil), body...),
			At:           now,
		})
	}
	f.notify()

	writeJSON(w, struct {
		errFields
		InvalidUser    string `json:"invaliduser"`
		InvalidParty   string `json:"invalidparty"`
		InvalidTag     string `json:"invalidtag"`
		UnlicensedUser string `json:"unlicenseduser"`
		MsgID          string `json:"msgid"`
		ResponseCode   string `json:"response_code,omitempty"`
	}{
		errFields:    okFields(),
		InvalidUser:  strings.Join(rcpt.invalidUsers, "|"),
		InvalidParty: strings.Join(rcpt.invalidParties, "|"),
		MsgID:        msgID,
		ResponseCode: respCode,
	})
}

// parseTemplateCard checks a template_card and returns an errmsg if it is
// not acceptable.
func parseTemplateCard(raw json.RawMessage) (templateCard, string) {
	var card templateCard
	if len(raw) == 0 || json.Unmarshal(raw, &card) != nil {
		return card, "invalid Request Parameter: template_card missing"
	}
	switch card.CardType {
	case "text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction":
	default:
		return card, "invalid Request Parameter: invalid card_type " + strconv.Quote(card.CardType)
	}
	if card.interactive() && card.TaskID == "" {
		return card, "invalid Request Parameter: task_id missing"
	}
	if card.CardType == "button_interaction" && (len(card.ButtonList) == 0 || len(card.ButtonList) > maxCardButtons) {
		return card, fmt.Sprintf("invalid Request Parameter: button_list has %d buttons, want 1 to %d", len(card.ButtonList), maxCardButtons)
	}
	return card, ""
}

// recipients is the outcome of resolving touser, toparty and totag.
type recipients struct {
	users          []string
	invalidUsers   []string
	invalidParties []string
	// unresolved is set when the message names departments or tags the
	// fake cannot turn into users (nothing registered, or tags).
	unresolved bool
}

// resolveRecipients turns a message's addressees into user ids. Without
// registered users every named user is accepted. f.mu is held.
func (f *Fake) resolveRecipients(req sendRequest) recipients {
	var rc recipients
	seen := make(map[string]bool)
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			rc.users = append(rc.users, id)
		}
	}
	if strings.TrimSpace(req.ToUser) == "@all" {
		if len(f.users) == 0 {
			add("@all")
			return rc
		}
		for _, u := range f.orderedUsers() {
			add(u.UserID)
		}
		return rc
	}
	for _, id := range splitList(req.ToUser) {
		if len(f.users) == 0 {
			add(id)
			continue
		}
		if u := f.lookupUser(id); u != nil {
			add(u.UserID)
		} else {
			// WeCom treats user ids case-insensitively and reports them
			// in lower case.
			rc.invalidUsers = append(rc.invalidUsers, strings.ToLower(id))
		}
	}
	for _, p := range splitList(req.ToParty) {
		id, err := strconv.Atoi(p)
		if err != nil {
			rc.invalidParties = append(rc.invalidParties, p)
			continue
		}
		if len(f.users) == 0 && len(f.depts) == 0 {
			rc.unresolved = true
			continue
		}
		if !f.deptExists(id) {
			rc.invalidParties = append(rc.invalidParties, p)
			continue
		}
		within := f.subtree(id)
		for _, u := range f.orderedUsers() {
			for _, d := range u.Department {
				if within[d] {
					add(u.UserID)
					break
				}
			}
		}
	}
	if len(splitList(req.ToTag)) > 0 {
		rc.unresolved = true // tags are not modelled
	}
	return rc
}

// lookupUser finds a user by id, ignoring case as WeCom does. f.mu is held.
func (f *Fake) lookupUser(id string) *User {
	if u, ok := f.users[id]; ok {
		return u
	}
	for _, u := range f.users {
		if strings.EqualFold(u.UserID, id) {
			return u
		}
	}
	return nil
}

// splitList splits a "|"-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, "|") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// updateRequest is a message/update_template_card body.
type updateRequest struct {
	UserIDs      []string        `json:"userids"`
	PartyIDs     []int           `json:"partyids"`
	TagIDs       []int           `json:"tagids"`
	AtAll        int             `json:"atall"`
	AgentID      json.RawMessage `json:"agentid"`
	ResponseCode string          `json:"response_code"`
	Button       *struct {
		ReplaceName string `json:"replace_name"`
	} `json:"button"`
	TemplateCard json.RawMessage `json:"template_card"`
}

// updateTemplateCard serves POST /cgi-bin/message/update_template_card.
// A response_code may be used once, within 72 hours of being issued.
func (f *Fake) updateTemplateCard(w http.ResponseWriter, r *http.Request) {
	var req updateRequest
	body, ok := readBody(w, r, &req)
	if !ok {
		return
	}
	if code := f.checkAgentID(req.AgentID); code != 0 {
		writeError(w, code, errorText(code))
		return
	}
	if req.ResponseCode == "" {
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: response_code missing")
		return
	}
	var card templateCard
	hasCard := len(bytes.TrimSpace(req.TemplateCard)) > 0 && string(bytes.TrimSpace(req.TemplateCard)) != "null"
	switch {
	case hasCard:
		var msg string
		card, msg = parseTemplateCard(req.TemplateCard)
		if msg != "" {
			writeError(w, ErrInvalidParameter, msg)
			return
		}
	case req.Button != nil:
		if req.Button.ReplaceName == "" {
			writeError(w, ErrMissingButtonName, errorText(ErrMissingButtonName))
			return
		}
	default:
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: button or template_card required")
		return
	}

	now := f.cfg.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	rc := f.codes[req.ResponseCode]
	switch {
	case rc == nil:
		rc = &responseCode{issued: now}
		f.codes[req.ResponseCode] = rc
	case rc.used:
		writeError(w, ErrCodeUsed, "response_code has been used")
		return
	case now.Sub(rc.issued) > responseCodeTTL:
		writeError(w, ErrCodeUsed, "response_code expired")
		return
	}
	rc.used = true

	agentID, _, _ := parseAgentID(req.AgentID)
	u := Update{
		UserIDs:      req.UserIDs,
		PartyIDs:     req.PartyIDs,
		TagIDs:       req.TagIDs,
		AtAll:        req.AtAll == 1,
		AgentID:      agentID,
		ResponseCode: req.ResponseCode,
		TaskID:       rc.taskID,
		JSON:         append(json.RawMessage(nil), body...),
		At:           now,
	}
	if u.TaskID == "" {
		u.TaskID = card.TaskID
	}
	if hasCard {
		u.TemplateCard = append(json.RawMessage(nil), req.TemplateCard...)
	} else {
		u.ReplaceName = req.Button.ReplaceName
	}
	var invalid []string
	if len(f.users) > 0 {
		for _, id := range req.UserIDs {
			if f.lookupUser(id) == nil {
				invalid = append(invalid, strings.ToLower(id))
			}
		}
	}
	f.updSeq++
	u.Seq = f.updSeq
	f.updates = append(f.updates, u)
	f.notify()

	if invalid == nil {
		invalid = []string{}
	}
	writeJSON(w, struct {
		errFields
		InvalidUser []string `json:"invaliduser"`
	}{okFields(), invalid})
}
