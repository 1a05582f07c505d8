package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dutybot/bot/wecom"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
)

// DutyScheduler arms the duty flows' deadlines (duty.Scheduler).
type DutyScheduler interface {
	// Add stores deadlines (new keys only) and arms them.
	Add(ctx context.Context, ds ...duty.Deadline) error
	// Cancel closes an open deadline as void and disarms it.
	Cancel(ctx context.Context, key, note string) error
	// Replan plans the roster again soon (after a roster change).
	Replan()
}

// DutyConfig attaches the duty flows (check-in, spot checks, duty log,
// handover, swaps and leave) to the Service.
type DutyConfig struct {
	Store     duty.Store
	Scheduler DutyScheduler
	Settings  duty.Settings
}

// AttachDuty connects the duty records and deadlines and registers the duty
// commands. Call it once, after AttachEscalations (the flows raise
// escalations) and before Run. The Service is then the scheduler's Handler
// and Planner.
func (s *Service) AttachDuty(cfg DutyConfig) {
	s.duty, s.dutySched, s.dutySet = cfg.Store, cfg.Scheduler, cfg.Settings
	for _, group := range [][]*Command{
		s.checkinCommands(),
		s.spotCheckCommands(),
		s.logCommands(),
		s.handoverCommands(),
		s.requestCommands(),
	} {
		for _, c := range group {
			s.router.Add(c)
		}
	}
}

// HandleDeadline acts on a duty deadline that has come (duty.Handler).
// Every branch is idempotent: it checks the records before it acts.
func (s *Service) HandleDeadline(ctx context.Context, d duty.Deadline) error {
	switch d.Kind {
	case duty.KindCheckinGrace:
		return s.onCheckinGrace(ctx, d)
	case duty.KindRemindEvening, duty.KindRemindBefore:
		return s.onReminder(ctx, d)
	case duty.KindShiftStart:
		return s.onShiftStart(ctx, d)
	case duty.KindHandoverDue:
		return s.onHandoverDue(ctx, d)
	case duty.KindCoverage:
		return s.onCoverage(ctx, d)
	case duty.KindSpotCheckDue:
		return s.onSpotCheckDue(ctx, d)
	case duty.KindSpotCheckRandom:
		return s.onRandomSpotCheck(ctx, d)
	case duty.KindRequestExpiry:
		return s.onRequestExpiry(ctx, d)
	case duty.KindReportFollowUp:
		return s.onReportFollowUp(ctx, d)
	case duty.KindInstructionRelay:
		return s.onInstructionRelay(ctx, d)
	case duty.KindInstructionFeedback:
		return s.onInstructionFeedback(ctx, d)
	case duty.KindBulletin:
		return s.onBulletin(ctx, d)
	}
	s.log.Error("duty deadline of an unknown kind; closing it", "key", d.Key, "kind", d.Kind)
	return nil
}

// planDays is how many duty days ahead deadlines are planned (from
// yesterday, whose overnight shift may still run).
const planDays = 3

// Plan lists the deadlines the roster implies from now on (duty.Planner):
// the shifts' check-in, reminder, start, handover and coverage moments and
// the random spot checks.
func (s *Service) Plan(ctx context.Context, now time.Time) ([]duty.Deadline, error) {
	today := roster.DateOf(now, s.loc)
	rosters, err := s.shiftRosters(ctx, today.AddDays(-1), today.AddDays(planDays))
	if err != nil {
		return nil, err
	}
	ds := duty.PlanShifts(s.dutySet, rosters, now, s.loc)
	ds = append(ds, s.planRandomSpotChecks(now, rosters)...)
	return append(ds, s.planBulletins(now)...), nil
}

// shiftRosters lays out the shifts of duty days from..to with their people.
func (s *Service) shiftRosters(ctx context.Context, from, to roster.Date) ([]roster.ShiftRoster, error) {
	cal, err := s.calendar(ctx, from, to)
	if err != nil {
		return nil, err
	}
	as, err := s.store.Assignments(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []roster.ShiftRoster
	for d := from; !d.After(to); d = d.AddDays(1) {
		out = append(out, roster.Day(s.settings.Shifts, cal, d, as, s.loc)...)
	}
	return out, nil
}

// shiftRoster is one slot with its people; ok is false when that shift does
// not exist that day.
func (s *Service) shiftRoster(ctx context.Context, d roster.Date, shift string) (roster.ShiftRoster, bool, error) {
	rosters, err := s.shiftRosters(ctx, d, d)
	if err != nil {
		return roster.ShiftRoster{}, false, err
	}
	for _, sr := range rosters {
		if sr.Shift.Name == shift {
			return sr, true, nil
		}
	}
	return roster.ShiftRoster{}, false, nil
}

// rosterChanged replans the duty deadlines after the roster changed.
func (s *Service) rosterChanged() {
	if s.dutySched != nil {
		s.dutySched.Replan()
	}
}

// queueCard queues a button template card to a member through the outbox;
// ref says what it is about (so it can be updated later).
func (s *Service) queueCard(ctx context.Context, userID string, card wecom.Card, ref string) error {
	content, err := wecom.MarshalCard(card)
	if err != nil {
		return fmt.Errorf("card for %s: %w", userID, err)
	}
	now := s.clock.Now().UTC()
	if err := s.store.QueueOutgoing(ctx, []roster.Outgoing{{
		ToUser: userID, Kind: KindCard, Content: content, Ref: ref, Status: roster.OutPending, CreatedAt: now, UpdatedAt: now,
	}}); err != nil {
		return fmt.Errorf("queue card to %s: %w", userID, err)
	}
	s.outbox.wake()
	return nil
}

// notifyAll queues the same text to several members; the first failure is
// returned after trying them all.
func (s *Service) notifyAll(ctx context.Context, userIDs []string, text string) error {
	var first error
	for _, u := range userIDs {
		if err := s.NotifyWeCom(ctx, u, text); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// dutyCardClick routes a click on a duty card (spot check, handover, swap)
// by its button key's prefix; handled is false for other keys.
func (s *Service) dutyCardClick(ctx context.Context, m roster.Member, msg wecom.Message) (replies []string, handled bool) {
	if s.duty == nil {
		return nil, false
	}
	switch prefix, _, _ := strings.Cut(msg.EventKey, ":"); prefix {
	case cardSpotCheckPrefix:
		return s.onSpotCheckCard(ctx, m, msg), true
	case cardHandoverPrefix:
		return s.onHandoverCard(ctx, m, msg), true
	case cardRequestPrefix:
		return s.onRequestCard(ctx, m, msg), true
	case cardReportPrefix:
		return s.onReportCard(ctx, m, msg), true
	case cardInstructionPrefix:
		return s.onInstructionCard(ctx, m, msg), true
	}
	return nil, false
}

// raiseOnce raises a duty escalation at most once per kind and subject.
func (s *Service) raiseOnce(ctx context.Context, ev push.Event) (push.Escalation, error) {
	if s.escalations == nil {
		return push.Escalation{}, fmt.Errorf("raise %s: escalations are not attached", ev.Kind)
	}
	esc, _, err := s.escalations.RaiseOnce(ctx, ev)
	return esc, err
}

// replaceSlots changes the roster (ScheduleStore.ReplaceSlots) and replans
// the duty deadlines, so a person put on a shift today is reminded and
// checked on.
func (s *Service) replaceSlots(ctx context.Context, slots []roster.Slot, as []roster.Assignment, audit roster.AuditEntry) error {
	if err := s.store.ReplaceSlots(ctx, slots, as, audit); err != nil {
		return err
	}
	s.rosterChanged()
	return nil
}
