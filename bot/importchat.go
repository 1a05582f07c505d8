package bot

import (
	"context"

	"dutybot/bot/wecom"
	"dutybot/roster"
)

// MediaFetcher downloads a file a member sent (WeCom media/get).
// (Placeholder: the roster import fills this in.)
type MediaFetcher interface{}

// importCommands are the commands for importing a roster file in chat.
func (s *Service) importCommands() []*Command { return nil }

// handleFile answers a file a member sent.
func (s *Service) handleFile(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}
