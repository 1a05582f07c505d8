package bot

import (
	"context"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// checkinCommands are 签到/接班 and 签退.
func (s *Service) checkinCommands() []*Command { return nil }

// onCheckinGrace: the grace period of a shift has ended; an officer who has
// not checked in is absent (空岗).
func (s *Service) onCheckinGrace(ctx context.Context, d duty.Deadline) error { return nil }

// onReminder reminds a member of their coming shift.
func (s *Service) onReminder(ctx context.Context, d duty.Deadline) error { return nil }

// onShiftStart tells the shift's leader who has checked in.
func (s *Service) onShiftStart(ctx context.Context, d duty.Deadline) error { return nil }

// onLocation takes a location a member sent (message, LOCATION event or
// menu pick) for a check-in.
func (s *Service) onLocation(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}

// checkInFor records that m checked in for the slot sr, via "handover"
// when 接班 signs the incoming officer in. Already checked in is no error
// and changes nothing. A late check-in resolves the absence alert.
func (s *Service) checkInFor(ctx context.Context, m roster.Member, sr roster.ShiftRoster, via string) error {
	return nil
}
