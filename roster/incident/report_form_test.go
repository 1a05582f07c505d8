package incident

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"dutybot/roster/dbtest"
)

func TestReportFormKeptAndFiledOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		if _, err := s.ReportForm(ctx, "zhangsan"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no form yet: %v, want ErrNotFound", err)
		}
		known := clk.Now().Add(-20 * time.Minute)
		saved, err := s.SaveReportForm(ctx, ReportForm{UserID: "zhangsan", Step: "place",
			Draft:    Report{Level: LevelLarge, Category: CategoryAccident, Sensitive: true, KnownAt: known, Summary: "两车相撞"},
			Answered: []string{"level", "category", "sensitive", "known"}})
		if err != nil {
			t.Fatal(err)
		}
		started := saved.StartedAt
		clk.Advance(time.Minute)
		saved.Step, saved.Draft.Place = "casualties", "XX路口"
		saved.Answered = append(saved.Answered, "place")
		if _, err := s.SaveReportForm(ctx, saved); err != nil {
			t.Fatal(err)
		}
		got, err := s.ReportForm(ctx, "zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		if got.Step != "casualties" || got.Draft.Place != "XX路口" || got.Draft.Level != LevelLarge || !got.Draft.Sensitive ||
			!got.Draft.KnownAt.Equal(known) || !got.Draft.OccurredAt.IsZero() || !got.StartedAt.Equal(started) ||
			!got.UpdatedAt.Equal(clk.Now()) || !reflect.DeepEqual(got.Answered, []string{"level", "category", "sensitive", "known", "place"}) {
			t.Errorf("ReportForm = %+v", got)
		}
		if !got.Has("place") || got.Has("source") {
			t.Errorf("Has: place %v, source %v", got.Has("place"), got.Has("source"))
		}

		r := got.Draft
		r.FiledBy, r.DueAt = "zhangsan", known.Add(time.Hour)
		filed, err := s.FileReportForm(ctx, r)
		if err != nil || filed.ID == 0 || filed.Number != "2026-1123-001" || filed.Status != ReportOpen || filed.FiledAt.IsZero() {
			t.Fatalf("FileReportForm = %+v, %v", filed, err)
		}
		if _, err := s.ReportForm(ctx, "zhangsan"); !errors.Is(err, ErrNotFound) {
			t.Errorf("form after filing: %v, want it gone", err)
		}
		if err := s.SetReportEscalation(ctx, filed.ID, "E1123-001"); err != nil {
			t.Fatal(err)
		}
		if back, err := s.Report(ctx, filed.ID); err != nil || back.EscalationID != "E1123-001" || back.Place != "XX路口" || !back.Sensitive {
			t.Errorf("Report after SetReportEscalation = %+v, %v", back, err)
		}
		if err := s.SetReportEscalation(ctx, 999, "E1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetReportEscalation on no report: %v, want ErrNotFound", err)
		}

		if _, err := s.SaveReportForm(ctx, ReportForm{UserID: "wangwu", Step: "category"}); err != nil {
			t.Fatal(err)
		}
		if deleted, err := s.DeleteReportForm(ctx, "wangwu"); err != nil || !deleted {
			t.Errorf("DeleteReportForm = %v, %v", deleted, err)
		}
		if deleted, err := s.DeleteReportForm(ctx, "wangwu"); err != nil || deleted {
			t.Errorf("second DeleteReportForm = %v, %v; want false", deleted, err)
		}
		if _, err := s.SaveReportForm(ctx, ReportForm{UserID: "wangwu"}); err == nil {
			t.Error("a form without a step was saved")
		}
	})
}

func TestSearchReports(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		s, clk := newTestStore(t, backend)
		ctx := context.Background()
		now := clk.Now()
		file := func(at time.Time, l Level, c Category, sensitive bool, late time.Duration, summary, place string) Report {
			t.Helper()
			r, err := s.CreateReport(ctx, Report{Level: l, Category: c, Sensitive: sensitive, LateBy: late, Summary: summary, Place: place,
				KnownAt: at, DueAt: at.Add(time.Hour), FiledBy: "zhangsan", FiledAt: at})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		a := file(now, LevelLarge, CategoryAccident, false, 25*time.Minute, "两车相撞", "XX路口")
		b := file(now.Add(time.Hour), LevelGeneral, CategoryNatural, true, 0, "道路积水", "YY路")
		c := file(now.Add(2*time.Hour), LevelMajor, CategoryAccident, false, 0, "厂房火灾 两车受损", "ZZ厂")
		if _, _, err := s.AddFollowUp(ctx, FollowUp{ReportID: b.ID, Kind: FollowUpFinal, Content: "已排水", By: "zhangsan"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		all := ReportFilter{From: now, To: now.Add(3 * time.Hour)}
		ids := func(rs []Report) []int64 {
			var out []int64
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			edit func(*ReportFilter)
			want []int64
		}{
			{"all, newest first", func(*ReportFilter) {}, []int64{c.ID, b.ID, a.ID}},
			{"level", func(f *ReportFilter) { f.Levels = []Level{LevelLarge, LevelMajor} }, []int64{c.ID, a.ID}},
			{"category", func(f *ReportFilter) { f.Categories = []Category{CategoryNatural} }, []int64{b.ID}},
			{"keyword in summary", func(f *ReportFilter) { f.Keywords = []string{"两车"} }, []int64{c.ID, a.ID}},
			{"keywords all", func(f *ReportFilter) { f.Keywords = []string{"两车", "xx路口"} }, []int64{a.ID}},
			{"keyword number", func(f *ReportFilter) { f.Keywords = []string{b.Number} }, []int64{b.ID}},
			{"late", func(f *ReportFilter) { f.Late = true }, []int64{a.ID}},
			{"sensitive", func(f *ReportFilter) { f.Sensitive = true }, []int64{b.ID}},
			{"open", func(f *ReportFilter) { f.Status = ReportOpen }, []int64{c.ID, a.ID}},
			{"closed", func(f *ReportFilter) { f.Status = ReportClosed }, []int64{b.ID}},
			{"period", func(f *ReportFilter) { f.From = now.Add(30 * time.Minute) }, []int64{c.ID, b.ID}},
			{"combined", func(f *ReportFilter) { f.Categories, f.Late = []Category{CategoryAccident}, true }, []int64{a.ID}},
			{"nothing", func(f *ReportFilter) { f.Keywords = []string{"地震"} }, nil},
		} {
			f := all
			tc.edit(&f)
			got, err := s.SearchReports(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, ids(got), tc.want)
			}
		}
	})
}
