package bot

import (
	"context"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// cardRequestPrefix starts the key of a swap/leave card's buttons.
const cardRequestPrefix = "request"

// requestCommands are 换班 and 请假 requests and their decisions.
func (s *Service) requestCommands() []*Command { return nil }

// onCoverage: a shift starts within CoverageAhead; understaffed → admins.
func (s *Service) onCoverage(ctx context.Context, d duty.Deadline) error { return nil }

// onRequestExpiry closes a swap or leave request nobody decided in time.
func (s *Service) onRequestExpiry(ctx context.Context, d duty.Deadline) error { return nil }

// onRequestCard records a consent or approval from a request card's button.
func (s *Service) onRequestCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}
