package wecom

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Envelope is the outer XML of a POSTed callback.
type Envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
	AgentID    string   `xml:"AgentID"`
}

// ParseEnvelope reads the outer XML; the encrypted part must be present.
func ParseEnvelope(body []byte) (Envelope, error) {
	var e Envelope
	if err := xml.Unmarshal(body, &e); err != nil {
		return Envelope{}, fmt.Errorf("parse callback envelope: %w", err)
	}
	if strings.TrimSpace(e.Encrypt) == "" {
		return Envelope{}, errors.New("parse callback envelope: no <Encrypt> element")
	}
	return e, nil
}

// Message types and events dutybot handles.
const (
	TypeText     = "text"
	TypeLocation = "location"
	TypeFile     = "file"
	TypeEvent    = "event"

	EventEnterAgent    = "enter_agent"
	EventClick         = "click"
	EventTemplateCard  = "template_card_event"
	EventLocation      = "LOCATION"
	EventChangeContact = "change_contact"
	EventLocationPick  = "location_select"
)

// Message is one decrypted callback: a message a member sent or an event.
// Fields not used by its type are empty.
type Message struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	MsgID        string   `xml:"MsgId"`
	AgentID      string   `xml:"AgentID"`

	// text
	Content string `xml:"Content"`

	// image, voice, file
	PicURL   string `xml:"PicUrl"`
	MediaID  string `xml:"MediaId"`
	FileName string `xml:"FileName"`

	// location message (MsgType=location)
	LocationX float64 `xml:"Location_X"`
	LocationY float64 `xml:"Location_Y"`
	Scale     int     `xml:"Scale"`
	Label     string  `xml:"Label"`

	// events
	Event    string `xml:"Event"`
	EventKey string `xml:"EventKey"`

	// LOCATION event
	Latitude  float64 `xml:"Latitude"`
	Longitude float64 `xml:"Longitude"`
	Precision float64 `xml:"Precision"`

	// template_card_event
	TaskID       string `xml:"TaskId"`
	CardType     string `xml:"CardType"`
	ResponseCode string `xml:"ResponseCode"`

	// change_contact
	ChangeType string `xml:"ChangeType"`
	UserID     string `xml:"UserID"`
	NewUserID  string `xml:"NewUserID"`
	Name       string `xml:"Name"`
	Department string `xml:"Department"`
	Mobile     string `xml:"Mobile"`
	Status     int    `xml:"Status"`
}

// ParseMessage reads a decrypted callback. It requires the fields every
// callback carries; change_contact events come from the system, not a member.
func ParseMessage(plain []byte) (Message, error) {
	var m Message
	if err := xml.Unmarshal(plain, &m); err != nil {
		return Message{}, fmt.Errorf("parse callback message: %w", err)
	}
	m.MsgType = strings.TrimSpace(m.MsgType)
	m.Event = strings.TrimSpace(m.Event)
	if m.MsgType == "" {
		return Message{}, errors.New("parse callback message: no MsgType")
	}
	if m.FromUserName == "" {
		return Message{}, errors.New("parse callback message: no FromUserName")
	}
	if m.MsgType == TypeEvent && m.Event == "" {
		return Message{}, errors.New("parse callback message: event without Event")
	}
	if m.MsgType != TypeEvent && m.MsgID == "" {
		return Message{}, errors.New("parse callback message: message without MsgId")
	}
	return m, nil
}

// Time is when WeCom says the callback was created.
func (m Message) Time() time.Time { return time.Unix(m.CreateTime, 0).UTC() }

// DedupKey identifies the callback across WeCom's retries: the MsgId for
// messages, and user + event + time + key for events (which have no MsgId).
func (m Message) DedupKey() string {
	if m.MsgType != TypeEvent {
		return "msg:" + m.MsgID
	}
	key := m.EventKey
	switch m.Event {
	case EventTemplateCard:
		key = m.TaskID + "/" + m.EventKey
	case EventChangeContact:
		key = m.ChangeType + "/" + m.UserID
	}
	return "ev:" + m.FromUserName + ":" + m.Event + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + key
}

// IsEvent reports whether m is an event rather than a member's message.
func (m Message) IsEvent() bool { return m.MsgType == TypeEvent }

// Summary is a short, human-readable form for audit rows.
func (m Message) Summary() string {
	switch {
	case m.MsgType == TypeText:
		return m.Content
	case m.MsgType == TypeLocation:
		return fmt.Sprintf("%.6f,%.6f %s", m.LocationX, m.LocationY, m.Label)
	case m.Event == EventLocation:
		return fmt.Sprintf("%.6f,%.6f ±%.0fm", m.Latitude, m.Longitude, m.Precision)
	case m.Event == EventChangeContact:
		return m.ChangeType + " " + m.UserID
	case m.IsEvent():
		return m.EventKey
	}
	return m.MediaID
}
