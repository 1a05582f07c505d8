package bot

import (
	"context"

	"dutybot/bot/wecom"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// cardInstructionPrefix starts the key of a 批示 card's buttons.
const cardInstructionPrefix = "instr"

// instructionCommands are 批示, 传达 and 反馈.
func (s *Service) instructionCommands() []*Command { return nil }

// instructionPromptStep takes a 批示 a leader types after tapping a report
// card's 批示 button; handled is false when none is awaited.
func (s *Service) instructionPromptStep(ctx context.Context, m roster.Member, text string) (Reply, bool, error) {
	return Reply{}, false, nil
}

// onInstructionRelay: a 批示 must have been relayed by now.
func (s *Service) onInstructionRelay(ctx context.Context, d duty.Deadline) error { return nil }

// onInstructionFeedback: a 批示's feedback is due.
func (s *Service) onInstructionFeedback(ctx context.Context, d duty.Deadline) error { return nil }

// onInstructionCard handles a 批示 card's buttons.
func (s *Service) onInstructionCard(ctx context.Context, m roster.Member, msg wecom.Message) []string {
	return nil
}

// promptInstruction starts a 批示 on report reportID from its card's 批示
// button: the leader is asked to type it, and instructionPromptStep takes
// the next message. The reply is the question.
func (s *Service) promptInstruction(ctx context.Context, m roster.Member, reportID int64) string { return "" }
