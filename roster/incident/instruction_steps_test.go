package incident

import (
	"context"
	"errors"
	"testing"
	"time"

	"dutybot/roster/dbtest"
)

// newTestInstruction files a report and a 批示 on it, issued now.
func newTestInstruction(t *testing.T, s *SQLStore, now time.Time) Instruction {
	t.Helper()
	ctx := context.Background()
	r, err := s.CreateReport(ctx, Report{Category: CategoryAccident, Level: LevelLarge, KnownAt: now, Summary: "两车相撞",
		FiledBy: "zhangsan", DueAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.CreateInstruction(ctx, Instruction{ReportID: r.ID, Leader: "wangwu", Content: "立即核实", Officer: "zhangsan",
		IssuedAt: now, RelayDue: now.Add(5 * time.Minute), FeedbackDue: now.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestRelayRecipientsFilledOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		now := clk.Now()
		in := newTestInstruction(t, s, now)

		// Not relayed yet: nothing to fill in.
		if got, changed, err := s.AddRelayRecipients(ctx, in.ID, "区应急局"); err != nil || changed || got.RelayedTo != "" {
			t.Fatalf("recipients before the relay = %+v, %v, %v; want unchanged", got, changed, err)
		}
		// Relayed from the card's button, without naming anyone.
		if _, changed, err := s.RecordRelay(ctx, in.ID, "", now.Add(2*time.Minute)); err != nil || !changed {
			t.Fatalf("RecordRelay = %v, %v", changed, err)
		}
		got, changed, err := s.AddRelayRecipients(ctx, in.ID, "区应急局")
		if err != nil || !changed || got.RelayedTo != "区应急局" || !got.RelayedAt.Equal(now.Add(2*time.Minute)) {
			t.Fatalf("AddRelayRecipients = %+v, %v, %v", got, changed, err)
		}
		if got, changed, err := s.AddRelayRecipients(ctx, in.ID, "交警大队"); err != nil || changed || got.RelayedTo != "区应急局" {
			t.Errorf("second AddRelayRecipients = %+v, %v, %v; want the first kept", got, changed, err)
		}
		if _, _, err := s.AddRelayRecipients(ctx, in.ID, ""); err == nil {
			t.Error("AddRelayRecipients with nobody: no error")
		}
		if _, _, err := s.AddRelayRecipients(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("AddRelayRecipients on no instruction: %v, want ErrNotFound", err)
		}
	})
}

func TestInstructionEscalationsPerStep(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		in := newTestInstruction(t, s, clk.Now())

		for _, tc := range []struct {
			step, id           string
			changed            bool
			wantRelay, wantFed string
		}{
			{StepRelay, "E1", true, "E1", ""},
			{StepRelay, "E2", false, "E1", ""}, // a re-run keeps the first
			{StepFeedback, "E3", true, "E1", "E3"},
			{StepFeedback, "E4", false, "E1", "E3"},
		} {
			got, changed, err := s.SetInstructionEscalation(ctx, in.ID, tc.step, tc.id)
			if err != nil || changed != tc.changed || got.EscalationID != tc.wantRelay || got.FeedbackEscalationID != tc.wantFed {
				t.Errorf("SetInstructionEscalation(%s, %s) = %+v, %v, %v; want changed %v, relay %q, feedback %q",
					tc.step, tc.id, got, changed, err, tc.changed, tc.wantRelay, tc.wantFed)
			}
		}
		back, err := s.Instruction(ctx, in.ID)
		if err != nil || back.EscalationID != "E1" || back.FeedbackEscalationID != "E3" {
			t.Errorf("Instruction = %+v, %v; want both escalations read back", back, err)
		}
		if _, _, err := s.SetInstructionEscalation(ctx, in.ID, "ack", "E5"); err == nil {
			t.Error("unknown step: no error")
		}
		if _, _, err := s.SetInstructionEscalation(ctx, 999, StepRelay, "E6"); !errors.Is(err, ErrNotFound) {
			t.Errorf("on no instruction: %v, want ErrNotFound", err)
		}
	})
}

func TestInstructionPrompts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		now := clk.Now()
		in := newTestInstruction(t, s, now)
		ttl := 10 * time.Minute

		if _, ok, err := s.TakeInstructionPrompt(ctx, "wangwu", now.Add(-ttl)); err != nil || ok {
			t.Fatalf("no prompt: ok %v, %v", ok, err)
		}
		// A second tap replaces the first.
		if err := s.SetInstructionPrompt(ctx, InstructionPrompt{Leader: "wangwu", ReportID: 999, AskedAt: now.Add(-time.Minute)}); err == nil {
			t.Error("prompt on no report: no error")
		}
		for _, at := range []time.Time{now.Add(-time.Minute), now} {
			if err := s.SetInstructionPrompt(ctx, InstructionPrompt{Leader: "wangwu", ReportID: in.ReportID, AskedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		p, ok, err := s.TakeInstructionPrompt(ctx, "wangwu", now.Add(-ttl))
		if err != nil || !ok || p.ReportID != in.ReportID || !p.AskedAt.Equal(now) || p.Leader != "wangwu" {
			t.Fatalf("TakeInstructionPrompt = %+v, %v, %v", p, ok, err)
		}
		if _, ok, err := s.TakeInstructionPrompt(ctx, "wangwu", now.Add(-ttl)); err != nil || ok {
			t.Errorf("taken twice: ok %v, %v", ok, err)
		}
		// A stale prompt is not returned, and is gone afterwards.
		if err := s.SetInstructionPrompt(ctx, InstructionPrompt{Leader: "wangwu", ReportID: in.ReportID, AskedAt: now.Add(-ttl - time.Second)}); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.TakeInstructionPrompt(ctx, "wangwu", now.Add(-ttl)); err != nil || ok {
			t.Errorf("stale prompt taken: ok %v, %v", ok, err)
		}
		if _, ok, err := s.TakeInstructionPrompt(ctx, "wangwu", time.Time{}); err != nil || ok {
			t.Errorf("stale prompt still stored: ok %v, %v", ok, err)
		}
	})
}
