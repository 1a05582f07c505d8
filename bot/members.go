package bot

import (
	"context"

	"dutybot/bot/wecom"
)

// Directory reads the WeCom address book. (Placeholder: the address-book
// sync fills this in.)
type Directory interface{}

// memberCommands are the admin commands for members and roles.
func (s *Service) memberCommands() []*Command { return nil }

// handleContactChange applies a change_contact callback.
func (s *Service) handleContactChange(ctx context.Context, msg wecom.Message) []string {
	s.log.Info("contact change recorded", "change", msg.ChangeType, "userid", msg.UserID)
	return nil
}
