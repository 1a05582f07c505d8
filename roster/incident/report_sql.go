package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dutybot/roster"
)

var _ ReportStore = (*SQLStore)(nil)

const reportColumns = `id, number, category, level, sensitive, occurred_at, known_at, place, summary, casualties, source,
reporter, filed_by, filed_at, duty_date, shift, due_at, late_seconds, status, next_followup_at, closed_at, escalation_id`

// CreateReport numbers r by its office filing date ("2026-1123-003": the
// third report filed that day) and stores it, in one transaction.
func (s *SQLStore) CreateReport(ctx context.Context, r Report) (Report, error) {
	err := s.db.Write(ctx, func(tx *sql.Tx) error { return s.insertReport(ctx, tx, &r) })
	if err != nil {
		return Report{}, fmt.Errorf("create report: %w", err)
	}
	return r, nil
}

// insertReport numbers r and inserts it in tx (CreateReport, and
// FileReportForm with the form's deletion).
func (s *SQLStore) insertReport(ctx context.Context, tx *sql.Tx, r *Report) error {
	if r.FiledAt.IsZero() {
		r.FiledAt = s.now()
	}
	if r.Status == "" {
		r.Status = ReportOpen
	}
	prefix := r.FiledAt.In(s.loc).Format("2006-0102") + "-"
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_reports WHERE number LIKE ?`, prefix+"%").Scan(&n); err != nil {
		return err
	}
	r.Number = fmt.Sprintf("%s%03d", prefix, n+1)
	return tx.QueryRowContext(ctx, `INSERT INTO incident_reports (number, category, level, sensitive, occurred_at, known_at,
place, summary, casualties, source, reporter, filed_by, filed_at, duty_date, shift, due_at, late_seconds, status,
next_followup_at, closed_at, escalation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`,
		r.Number, string(r.Category), string(r.Level), r.Sensitive, roster.NullTimeText(r.OccurredAt), roster.TimeText(r.KnownAt),
		r.Place, r.Summary, r.Casualties, r.Source, r.Reporter, r.FiledBy, roster.TimeText(r.FiledAt), roster.DateText(r.Date), r.Shift,
		roster.TimeText(r.DueAt), int64(r.LateBy/time.Second), r.Status, roster.NullTimeText(r.NextFollowUpAt), roster.NullTimeText(r.ClosedAt), r.EscalationID).Scan(&r.ID)
}

// Report returns the report with id.
func (s *SQLStore) Report(ctx context.Context, id int64) (Report, error) {
	return s.reportWhere(ctx, fmt.Sprintf("report #%d", id), `id = ?`, id)
}

// ReportByNumber returns the report numbered number.
func (s *SQLStore) ReportByNumber(ctx context.Context, number string) (Report, error) {
	return s.reportWhere(ctx, "report "+number, `number = ?`, number)
}

func (s *SQLStore) reportWhere(ctx context.Context, what, where string, arg any) (Report, error) {
	r, err := scanReport(s.db.Reader().QueryRowContext(ctx, `SELECT `+reportColumns+` FROM incident_reports WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", what, err)
	}
	return r, nil
}

// Reports lists the reports filed from..to (to excluded), oldest first.
func (s *SQLStore) Reports(ctx context.Context, from, to time.Time) ([]Report, error) {
	list, err := roster.QueryAll(ctx, s.db.Reader(), scanReport,
		`SELECT `+reportColumns+` FROM incident_reports WHERE filed_at >= ? AND filed_at < ? ORDER BY filed_at, id`,
		roster.TimeText(from), roster.TimeText(to))
	return list, wrapList("reports", err)
}

func scanReport(row rowScanner) (Report, error) {
	var r Report
	var category, level, known, filed, date, due string
	var occurred, next, closed sql.NullString
	var late int64
	err := row.Scan(&r.ID, &r.Number, &category, &level, &r.Sensitive, &occurred, &known, &r.Place, &r.Summary, &r.Casualties,
		&r.Source, &r.Reporter, &r.FiledBy, &filed, &date, &r.Shift, &due, &late, &r.Status, &next, &closed, &r.EscalationID)
	if err != nil {
		return Report{}, err
	}
	r.Category, r.Level, r.LateBy = Category(category), Level(level), time.Duration(late)*time.Second
	if r.Date, err = roster.ParseDateText(date); err != nil {
		return Report{}, err
	}
	return r, parseTimes(
		timeField{known, &r.KnownAt, true}, timeField{filed, &r.FiledAt, true}, timeField{due, &r.DueAt, true},
		timeField{occurred.String, &r.OccurredAt, occurred.Valid}, timeField{next.String, &r.NextFollowUpAt, next.Valid},
		timeField{closed.String, &r.ClosedAt, closed.Valid},
	)
}

// timeField is one stored time to parse into out, when valid.
type timeField struct {
	text  string
	out   *time.Time
	valid bool
}

// parseTimes parses every valid field; the first error stops it.
func parseTimes(fs ...timeField) error {
	for _, f := range fs {
		if !f.valid {
			continue
		}
		t, err := roster.ParseTimeText(f.text)
		if err != nil {
			return err
		}
		*f.out = t
	}
	return nil
}
