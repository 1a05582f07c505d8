package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/message"
)

// Card is a button_interaction template card (按钮交互型模板卡片): WeCom shows
// it with up to six buttons, and a click comes back as a template_card_event
// carrying the card's TaskID, the button's Key and a ResponseCode that can
// update the card once within 72 hours.
type Card struct {
	TaskID  string       `json:"task_id"`
	Source  string       `json:"-"`
	Title   string       `json:"-"`
	Desc    string       `json:"-"`
	Text    string       `json:"-"` // longer body (sub_title_text)
	URL     string       `json:"-"` // opened when the card itself is tapped
	Buttons []CardButton `json:"-"`
}

// CardButton is one button; Style 1 is the blue primary button.
type CardButton struct {
	Text  string `json:"text"`
	Key   string `json:"key"`
	Style int    `json:"style,omitempty"`
}

// cardJSON is the template_card object of message/send.
type cardJSON struct {
	CardType     string       `json:"card_type"`
	Source       *cardSource  `json:"source,omitempty"`
	MainTitle    cardTitle    `json:"main_title"`
	SubTitleText string       `json:"sub_title_text,omitempty"`
	CardAction   *cardAction  `json:"card_action,omitempty"`
	TaskID       string       `json:"task_id"`
	ButtonList   []CardButton `json:"button_list"`
}

type cardSource struct {
	Desc string `json:"desc"`
}

type cardTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

type cardAction struct {
	Type int    `json:"type"`
	URL  string `json:"url"`
}

// MarshalCard renders c as WeCom's template_card JSON (what the outbox
// stores and SendCard sends).
func MarshalCard(c Card) (string, error) {
	if c.TaskID == "" || len(c.Buttons) == 0 || len(c.Buttons) > 6 {
		return "", errors.New("template card needs a task id and 1 to 6 buttons")
	}
	j := cardJSON{CardType: "button_interaction", MainTitle: cardTitle{Title: c.Title, Desc: c.Desc},
		SubTitleText: c.Text, TaskID: c.TaskID, ButtonList: c.Buttons}
	if c.Source != "" {
		j.Source = &cardSource{Desc: c.Source}
	}
	if c.URL != "" {
		j.CardAction = &cardAction{Type: 1, URL: c.URL}
	}
	b, err := json.Marshal(j)
	return string(b), err
}

type cardRequest struct {
	*message.SendRequestCommon
	TemplateCard json.RawMessage `json:"template_card"`
}

// SendCard sends a template card (JSON from MarshalCard) to one member and
// returns WeCom's msgid and the card's response code (for updating it later;
// "" for cards without buttons).
func (c *Client) SendCard(ctx context.Context, toUser, cardJSON string) (msgID, responseCode string, err error) {
	if !json.Valid([]byte(cardJSON)) {
		return "", "", &SendError{Code: -3, Msg: "template card is not valid JSON"}
	}
	req := cardRequest{SendRequestCommon: c.common(toUser, "template_card"), TemplateCard: json.RawMessage(cardJSON)}
	resp, err := c.sendResponse(ctx, "template_card", req)
	if err != nil {
		return "", "", err
	}
	return resp.MsgID, resp.ResponseCode, nil
}

type updateCardRequest struct {
	UserIDs      []string `json:"userids"`
	AgentID      int      `json:"agentid"`
	ResponseCode string   `json:"response_code"`
	Button       struct {
		ReplaceName string `json:"replace_name"`
	} `json:"button"`
}

// UpdateCardButton replaces the buttons of a clicked card with a label
// (e.g. "已由 张三 于 09:05 确认") for userIDs, using the ResponseCode of the
// click (once, within 72 hours). silenceper has no call for
// message/update_template_card, so the request is made the same way it makes
// its own, on the public host so SetAPIBase's rewrite applies.
func (c *Client) UpdateCardButton(ctx context.Context, userIDs []string, responseCode, replaceName string) error {
	agent, err := strconv.Atoi(c.agentID)
	if err != nil {
		return fmt.Errorf("update template card: agent id %q: %w", c.agentID, err)
	}
	req := updateCardRequest{UserIDs: userIDs, AgentID: agent, ResponseCode: responseCode}
	req.Button.ReplaceName = replaceName
	err = c.app.withFreshToken(ctx, func() error {
		token, err := c.app.work.GetContext().GetAccessToken()
		if err != nil {
			return err
		}
		body, err := util.PostJSONContext(ctx, publicHost+"/cgi-bin/message/update_template_card?access_token="+url.QueryEscape(token), req)
		if err != nil {
			return err
		}
		return util.DecodeWithCommonError(body, "message/update_template_card")
	})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		return wrapSendError(err)
	}
	return nil
}
