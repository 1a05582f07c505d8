package incident

import (
	"context"
	"slices"
	"strings"
	"time"
)

// ReportFilter selects reports for 查询 报告. Its conditions are combined:
// a report matches when it meets every one that is set; within Levels (or
// Categories) any one will do.
type ReportFilter struct {
	// From and To bound when it was filed (To excluded).
	From, To   time.Time
	Levels     []Level
	Categories []Category
	// Keywords must all appear (case-insensitive) in the number, summary,
	// place, casualties, source or reporter.
	Keywords []string
	// Late keeps the reports filed late (迟报); Sensitive the 敏感 ones.
	Late      bool
	Sensitive bool
	// Status keeps open (ReportOpen) or closed (ReportClosed) reports;
	// empty keeps both.
	Status string
}

// Match reports whether r meets every condition of f except the period.
func (f ReportFilter) Match(r Report) bool {
	if len(f.Levels) > 0 && !slices.Contains(f.Levels, r.Level) {
		return false
	}
	if len(f.Categories) > 0 && !slices.Contains(f.Categories, r.Category) {
		return false
	}
	if (f.Late && !r.Late()) || (f.Sensitive && !r.Sensitive) || (f.Status != "" && r.Status != f.Status) {
		return false
	}
	text := strings.ToLower(strings.Join([]string{r.Number, r.Summary, r.Place, r.Casualties, r.Source, r.Reporter}, "\n"))
	for _, k := range f.Keywords {
		if !strings.Contains(text, strings.ToLower(k)) {
			return false
		}
	}
	return true
}

// SearchReports lists the reports filed in f's period that match f,
// newest first.
func (s *SQLStore) SearchReports(ctx context.Context, f ReportFilter) ([]Report, error) {
	all, err := s.Reports(ctx, f.From, f.To)
	if err != nil {
		return nil, err
	}
	var out []Report
	for i := len(all) - 1; i >= 0; i-- {
		if f.Match(all[i]) {
			out = append(out, all[i])
		}
	}
	return out, nil
}
