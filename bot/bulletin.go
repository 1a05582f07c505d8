package bot

import (
	"context"
	"time"

	"dutybot/roster/duty"
)

// bulletinCommands are 值班要情 and 统计.
func (s *Service) bulletinCommands() []*Command { return nil }

// planBulletins lists the daily bulletin deadlines still ahead of now.
func (s *Service) planBulletins(now time.Time) []duty.Deadline { return nil }

// onBulletin sends the daily bulletin of the previous duty day.
func (s *Service) onBulletin(ctx context.Context, d duty.Deadline) error { return nil }
