package demo

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"dutybot/bot/wecomtest"
	"dutybot/configs"
	"dutybot/push"
	"dutybot/roster"
)

//go:embed web
var webFiles embed.FS

// maxChatText bounds what the simulator sends as one message (WeCom's own
// limit for a text message is 2,048 bytes).
const maxChatText = 2048

// chatEntry is one message a visitor sent from the simulator.
type chatEntry struct {
	As   string
	Text string
	At   time.Time
}

// chatLog keeps what visitors sent, so a member's conversation can be shown
// with both sides (the bot's side is the fake WeCom's message log).
type chatLog struct {
	mu      sync.Mutex
	entries []chatEntry
}

func (l *chatLog) add(e chatEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
}

func (l *chatLog) of(user string) []chatEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []chatEntry
	for _, e := range l.entries {
		if e.As == user {
			out = append(out, e)
		}
	}
	return out
}

// simulator serves the page and its JSON endpoints under /demo/.
type simulator struct {
	d      *Demo
	signer wecomtest.Signer
	page   *template.Template
}

func (d *Demo) simulator(cfg configs.Config) http.Handler {
	s := &simulator{d: d, signer: Signer(cfg)}
	s.page = template.Must(template.New("index.html").ParseFS(webFiles, "web/index.html"))
	static, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		panic(err) // embedded at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /demo/{$}", s.index)
	mux.Handle("GET /demo/static/", http.StripPrefix("/demo/static/", http.FileServerFS(static)))
	mux.HandleFunc("POST /demo/chat", s.postChat)
	mux.HandleFunc("POST /demo/card", s.postCard)
	mux.HandleFunc("GET /demo/messages", s.messages)
	mux.HandleFunc("GET /demo/phone", s.phone)
	mux.HandleFunc("GET /demo/status", s.status)
	return mux
}

// pageMember is a member in the picker.
type pageMember struct {
	UserID, Name, Roles string
	OnRoster            bool
}

// scriptStep is one step of the guided story.
type scriptStep struct {
	Title, Note string
	Actions     []scriptAction
}

// scriptAction is a message to send as a member ("do it for me").
type scriptAction struct {
	As, Name, Text string
}

func (s *simulator) index(w http.ResponseWriter, r *http.Request) {
	st := s.d.Story
	loc := s.d.App.Location
	var members []pageMember
	names := map[string]string{}
	for _, m := range Office() {
		names[m.UserID] = m.Name
		var roles []string
		for _, role := range m.Roles {
			roles = append(roles, role.Label())
		}
		members = append(members, pageMember{UserID: m.UserID, Name: m.Name, Roles: strings.Join(roles, "、"), OnRoster: true})
	}
	members = append(members, pageMember{UserID: "zhouqi", Name: "周七", Roles: "未登记"})
	hm := func(t time.Time) string { return t.In(loc).Format("15:04") }
	n := func(id string) string { return names[id] }
	steps := []scriptStep{
		{Title: "签到", Note: fmt.Sprintf("%s %s–%s 由 %s 带班，值班员 %s 和 %s。%s 先签到（%s 开班，现在即可签）。",
			StoryShift, hm(st.Start), hm(st.Handover), n(StoryLeader), n(StoryOfficer), n(StoryAbsent), n(StoryOfficer), hm(st.Start)),
			Actions: []scriptAction{{StoryOfficer, n(StoryOfficer), "签到"}}},
		{Title: "重大突发事件快报", Note: "张三报告一起重大事故：当班带班领导的手机立刻收到紧急推送（右侧“领导手机”）。在手机上点「确认」，告警即停止升级。",
			Actions: []scriptAction{{StoryOfficer, n(StoryOfficer), "报告 重大 事故灾难 地点 XX路口 伤亡 2人受伤 两车相撞"}}},
		{Title: "空岗告警", Note: fmt.Sprintf("%s 不签到：%s（开班后 %d 分钟宽限）记为空岗，告警推送给 %s 和管理员；无人确认则 %d 分钟后升级给全体领导。在 %s 的手机上确认它，再让 %s 补签到（空岗解除）。",
			n(StoryAbsent), hm(st.Absence), int(StoryGrace/time.Minute), n(StoryLeader), int(EscalationFirstWait/time.Minute), n(StoryLeader), n(StoryAbsent)),
			Actions: []scriptAction{{StoryAbsent, n(StoryAbsent), "签到"}}},
		{Title: "值班日志", Note: "值班中的来电、来文、待办都记在日志里，交班时自动汇入交接单。",
			Actions: []scriptAction{{StoryOfficer, n(StoryOfficer), "记录 来电 市应急局通知：今晚有强降雨，加强值守"}, {StoryOfficer, n(StoryOfficer), "日志"}}},
		{Title: "交接班", Note: fmt.Sprintf("开班后，%s 交班，交接单发给 %s 班的 %s；%s 在卡片上点「接班」（或发送「接班」）完成交接。", n(StoryOfficer), StoryNextShift, n(StoryIncoming), n(StoryIncoming)),
			Actions: []scriptAction{{StoryOfficer, n(StoryOfficer), "交班 设备正常"}, {StoryIncoming, n(StoryIncoming), "接班"}}},
		{Title: "看板", Note: "打开值班看板（/console/）看今天的排班、签到和未确认的告警。管理员赵六可发送「帮助」看全部命令。",
			Actions: []scriptAction{{"zhaoliu", n("zhaoliu"), "帮助"}}},
	}
	data := struct {
		Members []pageMember
		Phones  []Phone
		Steps   []scriptStep
		Story   Story
		Start   string
		Absence string
		TZ      string
	}{members, leaderPhones(), steps, st, st.Start.UTC().Format(time.RFC3339), st.Absence.UTC().Format(time.RFC3339), loc.String()}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.page.Execute(w, data); err != nil {
		s.d.log.Error("demo: render the simulator page", "err", err)
	}
}

// chatRequest is POST /demo/chat's body.
type chatRequest struct {
	As   string `json:"as"`
	Text string `json:"text"`
}

// cardRequest is POST /demo/card's body: a click on a template card button.
type cardRequest struct {
	As           string `json:"as"`
	Key          string `json:"key"`
	TaskID       string `json:"task_id"`
	ResponseCode string `json:"response_code"`
	CardType     string `json:"card_type"`
}

// knownUser reports whether the fake WeCom has the member (the bot answers
// strangers too, but the simulator only speaks for people in the corp).
func knownUser(id string) bool {
	if id == "zhouqi" {
		return true
	}
	return slices.ContainsFunc(Office(), func(m Member) bool { return m.UserID == id })
}

func (s *simulator) postChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !decode(w, r, &req) {
		return
	}
	req.Text = strings.TrimSpace(req.Text)
	switch {
	case !knownUser(req.As):
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("没有成员 %q（unknown member）", req.As))
		return
	case req.Text == "" || len(req.Text) > maxChatText || !utf8.ValidString(req.Text):
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("消息须为 1–%d 字节的文字（text must be 1 to %d bytes of UTF-8）", maxChatText, maxChatText))
		return
	}
	now := time.Now()
	msg := wecomtest.TextXML(s.signer.CorpID, req.As, req.Text, now.UnixNano(), now, s.signer.AgentID)
	if err := s.callback(r.Context(), msg, now); err != nil {
		jsonError(w, http.StatusBadGateway, err.Error())
		return
	}
	s.d.chat.add(chatEntry{As: req.As, Text: req.Text, At: now})
	writeJSON(w, map[string]bool{"ok": true})
}

func (s *simulator) postCard(w http.ResponseWriter, r *http.Request) {
	var req cardRequest
	if !decode(w, r, &req) {
		return
	}
	if !knownUser(req.As) || req.Key == "" || req.TaskID == "" {
		jsonError(w, http.StatusBadRequest, "需要 as、key 和 task_id（as, key and task_id are required）")
		return
	}
	if req.CardType == "" {
		req.CardType = "button_interaction"
	}
	now := time.Now()
	msg := wecomtest.TemplateCardEventXML(s.signer.CorpID, req.As, req.Key, req.TaskID, req.ResponseCode, req.CardType, now, s.signer.AgentID)
	if err := s.callback(r.Context(), msg, now); err != nil {
		jsonError(w, http.StatusBadGateway, err.Error())
		return
	}
	writeJSON(w, map[string]bool{"ok": true})
}

// callback posts plain as WeCom would: signed and encrypted, to the
// server's own /wecom/callback.
func (s *simulator) callback(ctx context.Context, plain []byte, now time.Time) error {
	resp, err := s.signer.Post(ctx, s.d.client, s.d.BaseURL+"/wecom/callback", plain, now)
	if err != nil {
		return fmt.Errorf("发送回调失败 (callback): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("回调被拒绝 (callback refused): %s", resp.Status)
	}
	return nil
}

// chatItem is one message of a conversation as the page shows it.
type chatItem struct {
	From string    `json:"from"` // "me" or "bot"
	At   time.Time `json:"at"`
	Type string    `json:"type"` // text, markdown, template_card...
	Text string    `json:"text"`
	Card *cardView `json:"card,omitempty"`
}

// cardView is the part of a template card the page draws.
type cardView struct {
	Title        string       `json:"title"`
	Desc         string       `json:"desc,omitempty"`
	Body         string       `json:"body,omitempty"`
	TaskID       string       `json:"task_id"`
	CardType     string       `json:"card_type"`
	ResponseCode string       `json:"response_code,omitempty"`
	Buttons      []cardButton `json:"buttons,omitempty"`
	// Replaced is the text the buttons were replaced with (an update
	// through message/update_template_card), e.g. "已由 王五 于 09:03 确认".
	Replaced string `json:"replaced,omitempty"`
}

type cardButton struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// messages is GET /demo/messages?as=U: the member's conversation, oldest first.
func (s *simulator) messages(w http.ResponseWriter, r *http.Request) {
	as := r.URL.Query().Get("as")
	if !knownUser(as) {
		jsonError(w, http.StatusBadRequest, fmt.Sprintf("没有成员 %q（unknown member）", as))
		return
	}
	replaced := map[string]string{}
	for _, u := range s.d.WeCom.Updates() {
		if slices.Contains(u.UserIDs, as) && u.ResponseCode != "" {
			text := u.ReplaceName
			if text == "" {
				text = "卡片已更新"
			}
			replaced[u.ResponseCode] = text
		}
	}
	var items []chatItem
	for _, e := range s.d.chat.of(as) {
		items = append(items, chatItem{From: "me", At: e.At, Type: "text", Text: e.Text})
	}
	for _, m := range s.d.WeCom.SentTo(as) {
		it := chatItem{From: "bot", At: m.At, Type: m.MsgType, Text: m.Content}
		if m.MsgType == "template_card" {
			it.Card = parseCard(m)
			if it.Card != nil {
				it.Card.Replaced = replaced[m.ResponseCode]
			}
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b chatItem) int { return a.At.Compare(b.At) })
	if items == nil {
		items = []chatItem{}
	}
	writeJSON(w, items)
}

// parseCard reads the template card of a message the fake recorded.
func parseCard(m wecomtest.Sent) *cardView {
	var body struct {
		TemplateCard struct {
			CardType  string `json:"card_type"`
			TaskID    string `json:"task_id"`
			MainTitle struct {
				Title string `json:"title"`
				Desc  string `json:"desc"`
			} `json:"main_title"`
			SubTitleText string       `json:"sub_title_text"`
			ButtonList   []cardButton `json:"button_list"`
		} `json:"template_card"`
	}
	if err := json.Unmarshal(m.JSON, &body); err != nil {
		return nil
	}
	c := body.TemplateCard
	return &cardView{Title: c.MainTitle.Title, Desc: c.MainTitle.Desc, Body: c.SubTitleText, TaskID: c.TaskID,
		CardType: c.CardType, ResponseCode: m.ResponseCode, Buttons: c.ButtonList}
}

// phonePush is one escalation as a phone shows it: the pushes it got for
// it and where the escalation stands now.
type phonePush struct {
	EscalationID string    `json:"escalation_id"`
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	Urgency      string    `json:"urgency"`
	Count        int       `json:"count"`
	Status       string    `json:"status"` // open, acked, closed...
	NextAt       time.Time `json:"next_at,omitzero"`
	AckedBy      string    `json:"acked_by,omitempty"`
	AckedVia     string    `json:"acked_via,omitempty"`
	AckedAt      time.Time `json:"acked_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
}

// phone is GET /demo/phone?user=U: the phone's credential and its pushes,
// newest first, with each escalation's state from the store.
func (s *simulator) phone(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	var ph Phone
	found := false
	for _, p := range s.d.Phones() {
		if p.UserID == user {
			ph, found = p, true
		}
	}
	if !found {
		jsonError(w, http.StatusNotFound, fmt.Sprintf("%q 没有已绑定的演示手机（no paired demo phone; pairing runs at start）", user))
		return
	}
	var order []string
	byID := map[string]*phonePush{}
	add := func(id, title, body, urgency string) {
		if id == "" {
			return
		}
		p, ok := byID[id]
		if !ok {
			p = &phonePush{EscalationID: id}
			byID[id] = p
			order = append(order, id)
		}
		p.Title, p.Body, p.Urgency = title, body, urgency
		p.Count++
	}
	if ph.Platform == push.IOS {
		for _, n := range s.d.APNs.Notifications() {
			if n.Token != ph.Token {
				continue
			}
			id, _ := n.Payload["escalation_id"].(string)
			alert, _ := n.Aps()["alert"].(map[string]any)
			title, _ := alert["title"].(string)
			body, _ := alert["body"].(string)
			level, _ := n.Aps()["interruption-level"].(string)
			add(id, title, body, level)
		}
	} else {
		for _, m := range s.d.FCM.Messages() {
			if m.Token != ph.Token {
				continue
			}
			var title, body string
			if m.Message.Notification != nil {
				title, body = m.Message.Notification.Title, m.Message.Notification.Body
			}
			add(m.Data()[push.FCMDataEscalationID], title, body, m.Data()[push.FCMDataUrgency])
		}
	}
	out := make([]phonePush, 0, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		p := byID[order[i]]
		esc, err := s.d.App.Escalations.Escalation(r.Context(), p.EscalationID)
		if err != nil && !errors.Is(err, push.ErrNoEscalation) {
			jsonError(w, http.StatusInternalServerError, "读取告警失败 (reading the escalation failed)")
			s.d.log.Error("demo: phone pane", "escalation", p.EscalationID, "err", err)
			return
		}
		p.Status, p.NextAt, p.AckedBy, p.AckedVia, p.AckedAt, p.CreatedAt = esc.Status, esc.NextAt, esc.AckedBy, esc.AckedVia, esc.AckedAt, esc.CreatedAt
		out = append(out, *p)
	}
	writeJSON(w, struct {
		Phone  Phone       `json:"phone"`
		Label  string      `json:"label"`
		Pushes []phonePush `json:"pushes"`
	}{ph, ph.Label(), out})
}

// status is GET /demo/status: the story's times and who leads now.
func (s *simulator) status(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	leaders, err := s.d.LeadersOnDuty(r.Context(), now)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "读取排班失败 (reading the roster failed)")
		s.d.log.Error("demo: status", "err", err)
		return
	}
	names := map[string]string{}
	for _, m := range Office() {
		names[m.UserID] = m.Name
	}
	var on []string
	for _, id := range slices.Compact(slices.Sorted(slices.Values(leaders))) {
		on = append(on, names[id]+"（"+id+"）")
	}
	writeJSON(w, map[string]any{
		"now": now.UTC(), "story_start": s.d.Story.Start.UTC(), "absence_at": s.d.Story.Absence.UTC(),
		"handover_at": s.d.Story.Handover.UTC(), "leaders_on_duty": on, "ready": isClosed(s.d.ready),
		"date": roster.DateOf(now, s.d.App.Location).String(),
	})
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// decode reads a small JSON body into v, answering 400 when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	if err := dec.Decode(v); err != nil {
		jsonError(w, http.StatusBadRequest, "请求须为 JSON（body must be JSON）: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
