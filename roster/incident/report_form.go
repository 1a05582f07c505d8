package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"dutybot/roster"
)

// ReportForm is a quick report (报告) being filled in question by question:
// the member's draft, kept in the store so a restart does not lose it. A
// member has at most one; it is deleted when the report is filed
// (FileReportForm) or abandoned (DeleteReportForm).
type ReportForm struct {
	UserID string
	// Step names the question asked now (the bot's form steps).
	Step string
	// Draft holds the answers so far; its filing fields (ID, Number,
	// FiledBy, FiledAt, DueAt, …) are zero.
	Draft Report
	// Answered lists the steps already answered or skipped (also those
	// given on the 报告 line), so no question is asked twice.
	Answered  []string
	StartedAt time.Time
	UpdatedAt time.Time
}

// Has reports whether step was answered or skipped.
func (f ReportForm) Has(step string) bool { return slices.Contains(f.Answered, step) }

// formDraft is how a form's draft is stored (JSON in
// incident_report_forms.draft).
type formDraft struct {
	Category   Category  `json:"category,omitempty"`
	Level      Level     `json:"level,omitempty"`
	Sensitive  bool      `json:"sensitive,omitempty"`
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	KnownAt    time.Time `json:"known_at,omitzero"`
	Place      string    `json:"place,omitempty"`
	Summary    string    `json:"summary,omitempty"`
	Casualties string    `json:"casualties,omitempty"`
	Source     string    `json:"source,omitempty"`
	Reporter   string    `json:"reporter,omitempty"`
	Answered   []string  `json:"answered,omitempty"`
}

// ReportForm returns userID's form in progress, or ErrNotFound.
func (s *SQLStore) ReportForm(ctx context.Context, userID string) (ReportForm, error) {
	var f ReportForm
	var draft, started, updated string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT userid, step, draft, started_at, updated_at FROM incident_report_forms WHERE userid = ?`,
		userID).Scan(&f.UserID, &f.Step, &draft, &started, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return ReportForm{}, fmt.Errorf("report form of %s: %w", userID, ErrNotFound)
	}
	if err != nil {
		return ReportForm{}, fmt.Errorf("report form of %s: %w", userID, err)
	}
	var d formDraft
	if err := json.Unmarshal([]byte(draft), &d); err != nil {
		return ReportForm{}, fmt.Errorf("report form of %s: draft: %w", userID, err)
	}
	f.Draft = Report{Category: d.Category, Level: d.Level, Sensitive: d.Sensitive, OccurredAt: d.OccurredAt, KnownAt: d.KnownAt,
		Place: d.Place, Summary: d.Summary, Casualties: d.Casualties, Source: d.Source, Reporter: d.Reporter}
	f.Answered = d.Answered
	if err := parseTimes(timeField{started, &f.StartedAt, true}, timeField{updated, &f.UpdatedAt, true}); err != nil {
		return ReportForm{}, fmt.Errorf("report form of %s: %w", userID, err)
	}
	return f, nil
}

// SaveReportForm stores f as its member's form, replacing the one they
// had; UpdatedAt is set to now, StartedAt too when zero.
func (s *SQLStore) SaveReportForm(ctx context.Context, f ReportForm) (ReportForm, error) {
	if f.UserID == "" || f.Step == "" {
		return ReportForm{}, fmt.Errorf("save report form: member and step are required")
	}
	f.UpdatedAt = s.now()
	if f.StartedAt.IsZero() {
		f.StartedAt = f.UpdatedAt
	}
	d := f.Draft
	draft, err := json.Marshal(formDraft{Category: d.Category, Level: d.Level, Sensitive: d.Sensitive, OccurredAt: d.OccurredAt.UTC(),
		KnownAt: d.KnownAt.UTC(), Place: d.Place, Summary: d.Summary, Casualties: d.Casualties, Source: d.Source, Reporter: d.Reporter,
		Answered: f.Answered})
	if err != nil {
		return ReportForm{}, fmt.Errorf("save report form of %s: %w", f.UserID, err)
	}
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO incident_report_forms (userid, step, draft, started_at, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (userid) DO UPDATE SET step = excluded.step, draft = excluded.draft, started_at = excluded.started_at, updated_at = excluded.updated_at`,
			f.UserID, f.Step, string(draft), roster.TimeText(f.StartedAt), roster.TimeText(f.UpdatedAt))
		return err
	})
	if err != nil {
		return ReportForm{}, fmt.Errorf("save report form of %s: %w", f.UserID, err)
	}
	return f, nil
}

// DeleteReportForm drops userID's form and reports whether there was one.
func (s *SQLStore) DeleteReportForm(ctx context.Context, userID string) (bool, error) {
	var deleted bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM incident_report_forms WHERE userid = ?`, userID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		deleted = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete report form of %s: %w", userID, err)
	}
	return deleted, nil
}

// FileReportForm stores r (as CreateReport) and deletes r.FiledBy's form,
// in one transaction, so a report filed from the form cannot be filed
// twice.
func (s *SQLStore) FileReportForm(ctx context.Context, r Report) (Report, error) {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM incident_report_forms WHERE userid = ?`, r.FiledBy); err != nil {
			return err
		}
		return s.insertReport(ctx, tx, &r)
	})
	if err != nil {
		return Report{}, fmt.Errorf("file report of %s: %w", r.FiledBy, err)
	}
	return r, nil
}

// SetReportEscalation records the alert raised for report id.
func (s *SQLStore) SetReportEscalation(ctx context.Context, id int64, escalationID string) error {
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE incident_reports SET escalation_id = ? WHERE id = ?`, escalationID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report #%d escalation: %w", id, err)
	}
	return nil
}
