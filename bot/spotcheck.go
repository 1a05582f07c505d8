package bot

import (
	"context"
	"time"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// cardSpotCheckPrefix starts the key of a spot-check card's 在岗 button.
const cardSpotCheckPrefix = "spot"

// spotCheckCommands are 查岗 and 在岗.
func (s *Service) spotCheckCommands() []*Command { return nil }

// onSpotCheckDue: a spot check's answer time has passed; unanswered means
// 脱岗.
func (s *Service) onSpotCheckDue(ctx context.Context, d duty.Deadline) error { return nil }

// onRandomSpotCheck sends a random night check.
func (s *Service) onRandomSpotCheck(ctx context.Context, d duty.Deadline) error { return nil }

// planRandomSpotChecks lists the random night checks of the shifts in
// rosters that are still ahead of now.
func (s *Service) planRandomSpotChecks(now time.Time, rosters []roster.ShiftRoster) []duty.Deadline {
	return nil
}

// onSpotCheckCard answers a spot check from its card's 在岗 button.
func (s *Service) onSpotCheckCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}
