package bot

import (
	"context"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// cardReportPrefix starts the key of a report card's buttons.
const cardReportPrefix = "report"

// reportCommands are 报告, 续报, 终报 and 查询 报告.
func (s *Service) reportCommands() []*Command { return nil }

// reportFormStep takes the member's answer to the 报告 form's current
// question; handled is false when no form is open for them.
func (s *Service) reportFormStep(ctx context.Context, m roster.Member, text string) (Reply, bool, error) {
	return Reply{}, false, nil
}

// onReportFollowUp: an open report's 续报 is due (reminder, then escalation).
func (s *Service) onReportFollowUp(ctx context.Context, d duty.Deadline) error { return nil }

// onReportCard handles a report card's buttons.
func (s *Service) onReportCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}
