package bot

import (
	"context"

	"dutybot/roster"
	"dutybot/roster/incident"
)

// IncidentConfig attaches quick reports, 批示 and the bulletins.
type IncidentConfig struct {
	Store    incident.Store
	Settings incident.Settings
}

// AttachIncidents connects the report and instruction records and
// registers their commands. Call it once, after AttachDuty (their
// deadlines go through the duty scheduler) and before Run.
func (s *Service) AttachIncidents(cfg IncidentConfig) {
	s.incidents, s.incidentSet = cfg.Store, cfg.Settings
	for _, group := range [][]*Command{
		s.reportCommands(),
		s.instructionCommands(),
		s.bulletinCommands(),
	} {
		for _, c := range group {
			s.router.Add(c)
		}
	}
}

// continueDialog gives a member's text to a multi-step exchange in
// progress (the 报告 form, a 批示 typed after tapping the card's button)
// before the router sees it; handled is false when none is waiting.
func (s *Service) continueDialog(ctx context.Context, m roster.Member, text string) (reply Reply, handled bool, err error) {
	if s.incidents == nil {
		return Reply{}, false, nil
	}
	if reply, handled, err = s.reportFormStep(ctx, m, text); handled || err != nil {
		return reply, handled, err
	}
	return s.instructionPromptStep(ctx, m, text)
}
