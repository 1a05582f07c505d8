package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"dutybot/roster/duty"
)

// cardJSON is the part of a queued template card the tests read.
type cardJSON struct {
	TaskID    string `json:"task_id"`
	MainTitle struct {
		Title string `json:"title"`
		Desc  string `json:"desc"`
	} `json:"main_title"`
	SubTitleText string `json:"sub_title_text"`
	ButtonList   []struct {
		Text string `json:"text"`
		Key  string `json:"key"`
	} `json:"button_list"`
}

// cardsTo returns, decoded, the cards among msgs sent to userID whose
// outbox ref starts with refPrefix ("report/", "spot/").
func cardsTo(t *testing.T, msgs []sentMsg, userID, refPrefix string) []cardJSON {
	t.Helper()
	var out []cardJSON
	for _, m := range sentTo(msgs, userID) {
		if m.Kind != KindCard || !strings.HasPrefix(m.Ref, refPrefix) {
			continue
		}
		var c cardJSON
		if err := json.Unmarshal([]byte(m.Content), &c); err != nil {
			t.Fatalf("card to %s: %v\n%s", userID, err, m.Content)
		}
		out = append(out, c)
	}
	return out
}

// textsTo joins the text messages among msgs sent to userID.
func textsTo(msgs []sentMsg, userID string) string {
	var out []string
	for _, m := range sentTo(msgs, userID) {
		if m.Kind == KindText {
			out = append(out, m.Content)
		}
	}
	return strings.Join(out, "\n")
}

// fireRef hands a deadline about a record to the handler, as the scheduler
// does when it is due.
func (e *dutyEnv) fireRef(key, kind string, ref int64) {
	e.t.Helper()
	if err := e.svc.HandleDeadline(e.ctx, duty.Deadline{Key: key, Kind: kind, Ref: ref, DueAt: e.clock.Now()}); err != nil {
		e.t.Fatalf("HandleDeadline(%s): %v", key, err)
	}
}
