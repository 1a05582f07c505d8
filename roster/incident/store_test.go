package incident

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

// newTestStore opens a fresh database with the members reports name.
func newTestStore(t *testing.T, backend dbtest.Backend) (*SQLStore, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)) // 09:00 in Shanghai
	db, err := roster.Open(context.Background(), backend.NewDB(t), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, id := range []string{"zhangsan", "wangwu"} {
		if err := db.UpsertMember(context.Background(), roster.Member{UserID: id, Name: id, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return NewSQLStore(db, clk, loc), clk
}

func TestReportNumbersAndReads(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		file := func(at time.Time, summary string) Report {
			t.Helper()
			r, err := s.CreateReport(ctx, Report{Category: CategoryAccident, Level: LevelLarge, KnownAt: at.Add(-90 * time.Minute),
				Summary: summary, FiledBy: "zhangsan", FiledAt: at, DueAt: at.Add(-30 * time.Minute), LateBy: 30 * time.Minute,
				Date: roster.NewDate(2026, 11, 23), Shift: "白班"})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		now := clk.Now()
		a := file(now, "XX路口两车相撞")
		b := file(now.Add(time.Hour), "XX路段积水")
		// 23:59 UTC is the next day in Shanghai: numbering starts again.
		c := file(time.Date(2026, 11, 23, 16, 30, 0, 0, time.UTC), "夜间火情")
		for _, tc := range []struct {
			r    Report
			want string
		}{{a, "2026-1123-001"}, {b, "2026-1123-002"}, {c, "2026-1124-001"}} {
			if tc.r.Number != tc.want {
				t.Errorf("%s numbered %s, want %s", tc.r.Summary, tc.r.Number, tc.want)
			}
		}
		got, err := s.ReportByNumber(ctx, "2026-1123-002")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != b.ID || got.Summary != b.Summary || !got.FiledAt.Equal(b.FiledAt) || got.LateBy != 30*time.Minute || !got.Late() ||
			got.Status != ReportOpen || got.Date != b.Date || got.Level != LevelLarge || !got.OccurredAt.IsZero() {
			t.Errorf("ReportByNumber = %+v, want %+v", got, b)
		}
		if _, err := s.ReportByNumber(ctx, "2026-1123-009"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown number: %v, want ErrNotFound", err)
		}
		if _, err := s.Report(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown id: %v, want ErrNotFound", err)
		}
		list, err := s.Reports(ctx, now, now.Add(2*time.Hour))
		if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Errorf("Reports = %+v, %v; want a and b", list, err)
		}

		in, err := s.CreateInstruction(ctx, Instruction{ReportID: a.ID, Leader: "wangwu", Content: "立即核实伤亡", Officer: "zhangsan",
			IssuedAt: now, RelayDue: now.Add(5 * time.Minute), FeedbackDue: now.Add(72 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.Instruction(ctx, in.ID)
		if err != nil || back.Status != InstructionDelivered || back.Content != in.Content || !back.RelayDue.Equal(in.RelayDue) || !back.RelayedAt.IsZero() {
			t.Errorf("Instruction = %+v, %v", back, err)
		}
		if !back.RelayedLate(now.Add(6*time.Minute)) || back.RelayedLate(now.Add(4*time.Minute)) {
			t.Error("RelayedLate misjudges an unrelayed instruction")
		}
		ofA, err := s.InstructionsOf(ctx, a.ID)
		if err != nil || len(ofA) != 1 || ofA[0].ID != in.ID {
			t.Errorf("InstructionsOf = %+v, %v", ofA, err)
		}
		if none, err := s.Instructions(ctx, now.Add(time.Minute), now.Add(time.Hour)); err != nil || len(none) != 0 {
			t.Errorf("Instructions after it = %+v, %v", none, err)
		}
	})
}

func TestParseLevelAndCategory(t *testing.T) {
	for in, want := range map[string]Level{"一般": LevelGeneral, "较大级": LevelLarge, "重大事件": LevelMajor, "特别重大": LevelSevere, "Severe": LevelSevere} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseLevel("很大"); err == nil || !strings.Contains(err.Error(), "一般、较大、重大、特别重大") {
		t.Errorf("ParseLevel(很大) error = %v, want the accepted levels", err)
	}
	for in, want := range map[string]Category{"自然灾害": CategoryNatural, "事故灾难": CategoryAccident, "公共卫生事件": CategoryHealth, "security": CategorySecurity, "其他": CategoryOther} {
		if got, err := ParseCategory(in); err != nil || got != want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseCategory("交通"); err == nil || !strings.Contains(err.Error(), "自然灾害、事故灾难") {
		t.Errorf("ParseCategory(交通) error = %v, want the accepted categories", err)
	}
}

func TestFollowUpsRelayAndFeedback(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		now := clk.Now()
		r, err := s.CreateReport(ctx, Report{Category: CategoryNatural, Level: LevelGeneral, KnownAt: now, Summary: "山体滑坡",
			FiledBy: "zhangsan", DueAt: now.Add(2 * time.Hour), NextFollowUpAt: now.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		next := now.Add(4 * time.Hour)
		f, moved, err := s.AddFollowUp(ctx, FollowUp{ReportID: r.ID, Kind: FollowUpUpdate, Content: "已疏散 20 人", By: "zhangsan", At: now.Add(2 * time.Hour)}, next)
		if err != nil || f.ID == 0 || !moved.NextFollowUpAt.Equal(next) || moved.Status != ReportOpen {
			t.Fatalf("续报 = %+v, %+v, %v", f, moved, err)
		}
		if _, closed, err := s.AddFollowUp(ctx, FollowUp{ReportID: r.ID, Kind: FollowUpFinal, Content: "处置完毕", By: "zhangsan"}, time.Time{}); err != nil ||
			closed.Status != ReportClosed || closed.ClosedAt.IsZero() || !closed.NextFollowUpAt.IsZero() {
			t.Fatalf("终报 = %+v, %v", closed, err)
		}
		if _, _, err := s.AddFollowUp(ctx, FollowUp{ReportID: r.ID, Kind: FollowUpUpdate, Content: "迟到的续报", By: "zhangsan"}, next); !errors.Is(err, ErrClosed) {
			t.Errorf("续报 on a closed report: %v, want ErrClosed", err)
		}
		if _, _, err := s.AddFollowUp(ctx, FollowUp{ReportID: 999, Kind: FollowUpUpdate, By: "zhangsan"}, next); !errors.Is(err, ErrNotFound) {
			t.Errorf("续报 on no report: %v, want ErrNotFound", err)
		}
		fs, err := s.FollowUps(ctx, r.ID)
		if err != nil || len(fs) != 2 || fs[0].Kind != FollowUpUpdate || fs[1].Kind != FollowUpFinal {
			t.Errorf("FollowUps = %+v, %v", fs, err)
		}

		in, err := s.CreateInstruction(ctx, Instruction{ReportID: r.ID, Leader: "wangwu", Content: "注意次生灾害", Officer: "zhangsan",
			RelayDue: now.Add(5 * time.Minute), FeedbackDue: now.Add(72 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		relayed, changed, err := s.RecordRelay(ctx, in.ID, "区应急局 李科长", now.Add(3*time.Minute))
		if err != nil || !changed || relayed.Status != InstructionRelayed || relayed.RelayedTo != "区应急局 李科长" || relayed.RelayedLate(now) {
			t.Fatalf("RecordRelay = %+v, %v, %v", relayed, changed, err)
		}
		if again, changed, err := s.RecordRelay(ctx, in.ID, "别人", now.Add(4*time.Minute)); err != nil || changed || again.RelayedTo != "区应急局 李科长" {
			t.Errorf("second RecordRelay = %+v, %v, %v; want the first kept", again, changed, err)
		}
		done, changed, err := s.RecordFeedback(ctx, in.ID, "zhangsan", "已落实", now.Add(24*time.Hour))
		if err != nil || !changed || done.Status != InstructionFedBack || done.Feedback != "已落实" || done.FedBackLate(now) {
			t.Fatalf("RecordFeedback = %+v, %v, %v", done, changed, err)
		}
		if _, changed, err := s.RecordFeedback(ctx, in.ID, "zhangsan", "again", now.Add(25*time.Hour)); err != nil || changed {
			t.Errorf("second RecordFeedback changed = %v, %v", changed, err)
		}
		if _, _, err := s.RecordRelay(ctx, 999, "x", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("RecordRelay on no instruction: %v, want ErrNotFound", err)
		}
	})
}
