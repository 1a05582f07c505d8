package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"dutybot/roster"
)

// Level is how serious an event is (突发事件分级).
type Level string

// Levels, least serious first.
const (
	LevelGeneral Level = "general" // 一般
	LevelLarge   Level = "large"   // 较大
	LevelMajor   Level = "major"   // 重大
	LevelSevere  Level = "severe"  // 特别重大
)

// Levels lists the levels, least serious first.
func Levels() []Level { return []Level{LevelGeneral, LevelLarge, LevelMajor, LevelSevere} }

var levelLabels = map[Level]string{LevelGeneral: "一般", LevelLarge: "较大", LevelMajor: "重大", LevelSevere: "特别重大"}

// Label is the level in Chinese.
func (l Level) Label() string {
	if s, ok := levelLabels[l]; ok {
		return s
	}
	return string(l)
}

// Major reports whether the level reaches the main leaders (重大 and above).
func (l Level) Major() bool { return l == LevelMajor || l == LevelSevere }

// ParseLevel reads a level in Chinese (一般, 较大, 重大, 特别重大, also with
// 级/事件 after it) or English (general, large, major, severe).
func ParseLevel(s string) (Level, error) {
	s = strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "事件"), "级")
	for _, l := range Levels() {
		if s == string(l) || s == l.Label() {
			return l, nil
		}
	}
	return "", fmt.Errorf("级别「%s」不对，可选：一般、较大、重大、特别重大（general, large, major, severe）", s)
}

// Category is the kind of event (突发事件分类).
type Category string

// Categories.
const (
	CategoryNatural  Category = "natural"  // 自然灾害
	CategoryAccident Category = "accident" // 事故灾难
	CategoryHealth   Category = "health"   // 公共卫生
	CategorySecurity Category = "security" // 社会安全
	CategoryOther    Category = "other"    // 其他
)

// Categories lists the categories in the order offices print them.
func Categories() []Category {
	return []Category{CategoryNatural, CategoryAccident, CategoryHealth, CategorySecurity, CategoryOther}
}

var categoryLabels = map[Category]string{
	CategoryNatural: "自然灾害", CategoryAccident: "事故灾难", CategoryHealth: "公共卫生", CategorySecurity: "社会安全", CategoryOther: "其他",
}

// Label is the category in Chinese.
func (c Category) Label() string {
	if s, ok := categoryLabels[c]; ok {
		return s
	}
	return string(c)
}

// ParseCategory reads a category in Chinese (自然灾害, 事故灾难, 公共卫生,
// 社会安全, 其他; also 公共卫生事件, 社会安全事件) or English.
func ParseCategory(s string) (Category, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "事件")
	for _, c := range Categories() {
		if s == string(c) || s == c.Label() {
			return c, nil
		}
	}
	return "", fmt.Errorf("类别「%s」不对，可选：自然灾害、事故灾难、公共卫生、社会安全、其他（natural, accident, health, security, other）", s)
}

// Report statuses.
const (
	ReportOpen   = "open"   // filed, follow-ups (续报) due while open
	ReportClosed = "closed" // the final report (终报) was filed
)

// Report is a quick report (报告/快报) of an event.
type Report struct {
	ID int64
	// Number is how people name it: "2026-1123-003", the office date it
	// was filed and its place in that day.
	Number    string
	Category  Category
	Level     Level
	Sensitive bool // 敏感
	// OccurredAt is when it happened; KnownAt when the office learned of
	// it (the reporting deadline runs from here).
	OccurredAt time.Time
	KnownAt    time.Time
	Place      string
	Summary    string // what happened
	Casualties string
	Source     string // who told the office (来源)
	Reporter   string // who reported it (报告人), as given
	FiledBy    string // userid of the member who filed it
	FiledAt    time.Time
	// Date and Shift are the duty slot it was filed in (zero when none).
	Date  roster.Date
	Shift string
	// DueAt is when the first report was due; LateBy how late it came (0:
	// on time; > 0: 迟报).
	DueAt  time.Time
	LateBy time.Duration
	Status string
	// NextFollowUpAt is when the next 续报 is due while it is open.
	NextFollowUpAt time.Time
	ClosedAt       time.Time
	// EscalationID is the alert raised for it.
	EscalationID string
}

// Line is the report in one line: level, category, 敏感, summary.
func (r Report) Line() string {
	line := r.Level.Label() + " " + r.Category.Label()
	if r.Sensitive {
		line += "（敏感）"
	}
	return line + " " + r.Summary
}

// Late reports whether the report was filed after its deadline (迟报).
func (r Report) Late() bool { return r.LateBy > 0 }

// Follow-up kinds.
const (
	FollowUpUpdate = "update" // 续报
	FollowUpFinal  = "final"  // 终报: closes the report
)

// FollowUp is a 续报 or the 终报 of a report.
type FollowUp struct {
	ID       int64
	ReportID int64
	Kind     string // FollowUpUpdate or FollowUpFinal
	Content  string
	By       string // userid
	At       time.Time
	// LateBy is how late it came after the follow-up was due (0: on time).
	LateBy time.Duration
}

// ReportStore keeps reports.
type ReportStore interface {
	// CreateReport stores r with the next number of its office date (from
	// r.FiledAt) and returns it with ID and Number set.
	CreateReport(ctx context.Context, r Report) (Report, error)
	// Report and ReportByNumber return one report, or ErrNotFound.
	Report(ctx context.Context, id int64) (Report, error)
	ReportByNumber(ctx context.Context, number string) (Report, error)
	// Reports lists the reports filed from..to (to excluded), oldest first.
	Reports(ctx context.Context, from, to time.Time) ([]Report, error)
	// AddFollowUp records a 续报 or the 终报 of an open report, in one
	// transaction with the report's next follow-up time (next; zero for a
	// 终报, which also closes the report). A report already closed is
	// ErrClosed and nothing is written.
	AddFollowUp(ctx context.Context, f FollowUp, next time.Time) (FollowUp, Report, error)
	// FollowUps lists a report's follow-ups, oldest first.
	FollowUps(ctx context.Context, reportID int64) ([]FollowUp, error)
	// SetReportEscalation records the alert raised for report id.
	SetReportEscalation(ctx context.Context, id int64, escalationID string) error
	// SearchReports lists the reports filed in f's period that match f,
	// newest first.
	SearchReports(ctx context.Context, f ReportFilter) ([]Report, error)

	// ReportForm returns the member's 报告 form in progress, or
	// ErrNotFound.
	ReportForm(ctx context.Context, userID string) (ReportForm, error)
	// SaveReportForm stores the member's form (replacing theirs) and
	// returns it with its times set.
	SaveReportForm(ctx context.Context, f ReportForm) (ReportForm, error)
	// DeleteReportForm abandons the member's form; false when there was
	// none.
	DeleteReportForm(ctx context.Context, userID string) (bool, error)
	// FileReportForm stores r as CreateReport does and deletes
	// r.FiledBy's form, in one transaction.
	FileReportForm(ctx context.Context, r Report) (Report, error)
}

// ErrClosed is returned for a follow-up on a report that has had its 终报.
var ErrClosed = errors.New("report is closed")
