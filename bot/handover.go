package bot

import (
	"context"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// cardHandoverPrefix starts the key of a handover card's 接班 button.
const cardHandoverPrefix = "handover"

// handoverCommands are 交班 and 接班.
func (s *Service) handoverCommands() []*Command { return nil }

// onHandoverDue: a shift's handover window has ended; unconfirmed → escalate.
func (s *Service) onHandoverDue(ctx context.Context, d duty.Deadline) error { return nil }

// onHandoverCard confirms a handover from its card's 接班 button.
func (s *Service) onHandoverCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}
