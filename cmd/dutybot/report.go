package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/report"
	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

const reportUsage = `usage:
  dutybot report daily --date YYYY-MM-DD [--format md|html|xlsx] [-o FILE] [--config F]
      the daily bulletin (值班要情; 节假日每日值班信息专报 on a holiday) of that duty day, as the bot
      sends it: markdown (default, to stdout), a printable HTML page, or an XLSX workbook (needs -o)
  dutybot report monthly (--month YYYY-MM | --year YYYY) [--format md|html|xlsx|csv] [-o FILE] [--chart FILE.png] [--config F]
      the statistics of a month or a year: markdown (default), HTML, XLSX (needs -o) or CSV (指标,值;
      UTF-8 with BOM); --chart also draws reports per day by level and escalations by outcome as PNG
`

// reportCmd runs `dutybot report daily|monthly`.
func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, reportUsage)
		return errUsage
	}
	switch args[0] {
	case "daily":
		return reportDailyCmd(ctx, args[1:], stdout, stderr)
	case "monthly":
		return reportMonthlyCmd(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "dutybot report: unknown subcommand %q\n%s", args[0], reportUsage)
	return errUsage
}

// reportEnv is the store and rules the report commands read.
type reportEnv struct {
	rosterEnv
	loc *time.Location
}

// HolidayDays is the store's schedule plus the configured holiday files,
// as the server has it.
func (e reportEnv) HolidayDays(ctx context.Context, from, to roster.Date) ([]roster.HolidayDay, error) {
	return e.holidays(ctx, from, to)
}

// Assignments and Members read the store.
func (e reportEnv) Assignments(ctx context.Context, from, to roster.Date) ([]roster.Assignment, error) {
	return e.store.Assignments(ctx, from, to)
}

func (e reportEnv) Members(ctx context.Context) ([]roster.Member, error) { return e.store.Members(ctx) }

// openReports opens the configured store like the roster commands and
// builds the report Builder over it.
func openReports(ctx context.Context, configPath string, stderr io.Writer) (report.Builder, func(), error) {
	cfg, err := loadConfig(configPath, stderr, false)
	if err != nil {
		return report.Builder{}, nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return report.Builder{}, nil, err
	}
	env, err := openRoster(ctx, configPath, io.Discard)
	if err != nil {
		return report.Builder{}, nil, err
	}
	clk := clock.Real{}
	re := reportEnv{rosterEnv: env, loc: loc}
	b := report.Builder{
		Roster: re, Duty: duty.NewSQLStore(env.store, clk), Incidents: incident.NewSQLStore(env.store, clk, loc),
		Escalations: push.NewSQLStore(env.store, clk), Settings: env.settings, Loc: loc,
	}
	return b, func() { env.store.Close() }, nil
}

// reportFormat checks --format against the accepted ones (default: from
// -o's extension, else md) and that a workbook goes to a file.
func reportFormat(format, out string, accepted ...string) (string, error) {
	kind := strings.ToLower(strings.TrimPrefix(format, "."))
	if kind == "" {
		kind = "md"
		if ext := strings.ToLower(strings.TrimPrefix(fileExt(out), ".")); ext != "" {
			kind = ext
		}
	}
	if kind == "markdown" {
		kind = "md"
	}
	if kind == "htm" {
		kind = "html"
	}
	ok := false
	for _, a := range accepted {
		ok = ok || kind == a
	}
	if !ok {
		if format == "" {
			return "", fmt.Errorf("-o %s: cannot tell the format from the extension; give --format (%s)", out, strings.Join(accepted, ", "))
		}
		return "", fmt.Errorf("--format %q: want one of %s", format, strings.Join(accepted, ", "))
	}
	if kind == "xlsx" && out == "" {
		return "", errXLSXNeedsFile
	}
	return kind, nil
}

func fileExt(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 && !strings.ContainsAny(path[i:], `/\`) {
		return path[i:]
	}
	return ""
}

// errXLSXNeedsFile refuses a workbook without -o.
var errXLSXNeedsFile = errors.New("--format xlsx needs -o FILE (a workbook is not written to a terminal)")

// writeOutput writes what render produces to out, or stdout when out is
// empty; a failed render writes nothing and leaves no file behind.
func writeOutput(out string, stdout, stderr io.Writer, what string, render func(io.Writer) error) error {
	return writeOutputNote(out, stdout, stderr, "write "+out, "wrote "+what+" to "+out, render)
}

// writeOutputNote is writeOutput with the caller's words: an error writing
// out is "<errPrefix>: <err>", and note is told on stderr once out is
// written.
func writeOutputNote(out string, stdout, stderr io.Writer, errPrefix, note string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	if out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("%s: %w", errPrefix, err)
	}
	fmt.Fprintln(stderr, note)
	return nil
}

// reportFlags are the flags both report subcommands take; formats names
// the accepted --format values for its help.
type reportFlags struct {
	config, format, out, asOf *string
}

func newReportFlags(fs *flag.FlagSet, formats string) reportFlags {
	return reportFlags{
		config: fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)"),
		format: fs.String("format", "", formats+" (default: from -o's extension, else md)"),
		out:    fs.String("o", "", "output file (default: stdout; xlsx needs a file)"),
		asOf:   fs.String("as-of", "", "read the records as they stood then, YYYY-MM-DDTHH:MM office time (default: now)"),
	}
}

// open opens the store and reads --as-of; closeStore closes the store.
func (f reportFlags) open(ctx context.Context, stderr io.Writer) (b report.Builder, asOf time.Time, closeStore func(), err error) {
	b, closeStore, err = openReports(ctx, *f.config, stderr)
	if err != nil {
		return report.Builder{}, time.Time{}, nil, err
	}
	asOf, err = parseAsOf(*f.asOf, b.Loc)
	if err != nil {
		closeStore()
		return report.Builder{}, time.Time{}, nil, err
	}
	return b, asOf, closeStore, nil
}

// reportDailyCmd writes the bulletin of one duty day.
func reportDailyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report daily", stderr)
	dateFlag := fs.String("date", "", "the duty day, YYYY-MM-DD (required)")
	f := newReportFlags(fs, "md, html or xlsx")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (the day goes in --date YYYY-MM-DD)", rest[0])
	}
	if *dateFlag == "" {
		return errors.New("--date is required: the duty day, as YYYY-MM-DD (e.g. --date 2026-11-24)")
	}
	day, err := roster.ParseDate(*dateFlag)
	if err != nil {
		return fmt.Errorf("--date %q: want a day as YYYY-MM-DD, e.g. 2026-11-24", *dateFlag)
	}
	kind, err := reportFormat(*f.format, *f.out, "md", "html", "xlsx")
	if err != nil {
		return err
	}
	b, asOf, closeStore, err := f.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	d, err := b.Daily(ctx, day, asOf)
	if err != nil {
		return err
	}
	return writeOutput(*f.out, stdout, stderr, d.Title(), func(w io.Writer) error {
		switch kind {
		case "html":
			return d.HTML(w)
		case "xlsx":
			return d.XLSX(w)
		}
		_, err := io.WriteString(w, d.Markdown()+"\n")
		return err
	})
}

// reportMonthlyCmd writes the statistics of a month or a year.
func reportMonthlyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report monthly", stderr)
	monthFlag := fs.String("month", "", "the month, YYYY-MM")
	yearFlag := fs.String("year", "", "the year, YYYY (instead of --month)")
	f := newReportFlags(fs, "md, html, xlsx or csv")
	chart := fs.String("chart", "", "also write a PNG chart to this file")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (give --month YYYY-MM or --year YYYY)", rest[0])
	}
	var p report.Period
	switch {
	case *monthFlag != "" && *yearFlag != "":
		return errors.New("give --month YYYY-MM or --year YYYY, not both")
	case *monthFlag != "":
		t, err := time.Parse("2006-01", *monthFlag)
		if err != nil {
			return fmt.Errorf("--month %q: want a month as YYYY-MM, e.g. 2026-11", *monthFlag)
		}
		p = report.MonthPeriod(t.Year(), t.Month())
	case *yearFlag != "":
		y, err := strconv.Atoi(*yearFlag)
		if err != nil || y < 2000 || y > 2100 {
			return fmt.Errorf("--year %q: want a year as YYYY, e.g. 2026", *yearFlag)
		}
		p = report.YearPeriod(y)
	default:
		return errors.New("give --month YYYY-MM (e.g. --month 2026-11) or --year YYYY (e.g. --year 2026)")
	}
	kind, err := reportFormat(*f.format, *f.out, "md", "html", "xlsx", "csv")
	if err != nil {
		return err
	}
	if *chart != "" && !strings.EqualFold(fileExt(*chart), ".png") {
		return fmt.Errorf("--chart %q: the chart is a PNG; name the file *.png", *chart)
	}
	b, asOf, closeStore, err := f.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	st, err := b.Monthly(ctx, p, asOf)
	if err != nil {
		return err
	}
	if err := writeOutput(*f.out, stdout, stderr, "statistics of "+p.Label(), func(w io.Writer) error {
		switch kind {
		case "html":
			return st.HTML(w)
		case "xlsx":
			return st.XLSX(w)
		case "csv":
			return st.CSV(w)
		}
		_, err := io.WriteString(w, st.Markdown()+"\n")
		return err
	}); err != nil {
		return err
	}
	if *chart == "" {
		return nil
	}
	fonts := report.FindChartFonts()
	if !fonts.CJK {
		fmt.Fprintln(stderr, "no CJK font found (install fonts-arphic-gbsn00lp); the chart's labels are in English")
	}
	return writeOutput(*chart, stdout, stderr, "chart", func(w io.Writer) error { return st.Chart(w, fonts) })
}

// parseAsOf reads --as-of in office time; empty is now.
func parseAsOf(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--as-of %q: want YYYY-MM-DDTHH:MM (office time), e.g. 2026-12-10T12:00", s)
}
