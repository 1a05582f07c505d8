package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"dutybot/internal/clock"
	"dutybot/roster"
)

const rosterUsage = `usage:
  dutybot roster import FILE [--config F] [--dry-run]
      check a CSV or XLSX roster (columns 日期, 班次, 角色, 人员; see configs/roster-template.csv),
      print the preview and every error by row, and apply it in one transaction;
      any error: exit 1 and nothing is applied; --dry-run: check only
  dutybot roster export --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|xlsx] [-o FILE] [--config F]
      write the assignments of those days as CSV (default, to stdout) or XLSX (needs -o)
`

// rosterCmd runs `dutybot roster import|export`.
func rosterCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, rosterUsage)
		return errUsage
	}
	switch args[0] {
	case "import":
		return rosterImportCmd(ctx, args[1:], stdout, stderr)
	case "export":
		return rosterExportCmd(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "dutybot roster: unknown subcommand %q\n%s", args[0], rosterUsage)
	return errUsage
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("import FILE --dry-run") and returns the latter.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// rosterEnv is the store and roster rules a roster command works on.
type rosterEnv struct {
	store    *roster.SQLStore
	settings roster.Settings
}

// openRoster opens the store named by the configuration and loads the
// roster rules (default shifts when roster.file is not set).
func openRoster(ctx context.Context, configPath string, stderr io.Writer) (rosterEnv, error) {
	cfg, err := loadConfig(configPath, stderr, false)
	if err != nil {
		return rosterEnv{}, err
	}
	settings := roster.DefaultSettings()
	if cfg.Roster.File != "" {
		if settings, err = roster.LoadSettings(cfg.Roster.File); err != nil {
			return rosterEnv{}, err
		}
	}
	store, err := roster.Open(ctx, cfg.DB, clock.Real{})
	if err != nil {
		return rosterEnv{}, err
	}
	return rosterEnv{store: store, settings: settings}, nil
}

// holidays is the holiday schedule for from..to: the store's, plus the
// configured holiday files for dates the store has nothing for (as the
// server loads them at start).
func (e rosterEnv) holidays(ctx context.Context, from, to roster.Date) ([]roster.HolidayDay, error) {
	days, err := e.store.HolidayDays(ctx, from, to)
	if err != nil {
		return nil, err
	}
	have := make(map[roster.Date]bool, len(days))
	for _, h := range days {
		have[h.Date] = true
	}
	for _, f := range e.settings.HolidayFiles {
		fileDays, err := roster.LoadHolidayFile(f)
		if err != nil {
			return nil, err
		}
		for _, h := range fileDays {
			if !have[h.Date] && !h.Date.Before(from) && !h.Date.After(to) {
				days = append(days, h)
				have[h.Date] = true
			}
		}
	}
	return days, nil
}

// rosterImportCmd checks a roster file and, unless --dry-run or any row is
// wrong, applies it with ReplaceSlots (audit actor "cli").
func rosterImportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("roster import", stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	dryRun := fs.Bool("dry-run", false, "check the file and print the preview; change nothing")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fmt.Fprint(stderr, rosterUsage)
		return errUsage
	}
	file := files[0]
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read roster file: %w", err)
	}
	env, err := openRoster(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer env.store.Close()
	members, err := env.store.Members(ctx)
	if err != nil {
		return err
	}
	plan, err := roster.ParseImport(ctx, filepath.Base(file), data, roster.ImportEnv{
		Members: members, Shifts: env.settings.Shifts, Specials: env.settings.SpecialPeriods, Holidays: env.holidays,
	})
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "排班表 %s", file)
	if plan.Sheet != "" {
		fmt.Fprintf(stdout, "（工作表「%s」）", plan.Sheet)
	}
	fmt.Fprintf(stdout, "：%s。\n", plan.Headline())
	from, to := plan.DateRange()
	replaced := 0
	if len(plan.Slots) > 0 {
		existing, err := env.store.Assignments(ctx, from, to)
		if err != nil {
			return err
		}
		replaced = len(plan.Replaced(existing))
		fmt.Fprintf(stdout, "将替换这些班次现有的 %d 条排班；文件中没有的班次不变。\n", replaced)
		names := make(map[string]string, len(members))
		for _, m := range members {
			names[m.UserID] = m.Name
		}
		for _, line := range plan.DayLines(func(id string) string { return cmp.Or(names[id], id) }) {
			fmt.Fprintln(stdout, "  "+line)
		}
	}
	if len(plan.Warnings) > 0 {
		fmt.Fprintf(stdout, "提醒 %d 条（不影响导入）/ %d warning(s):\n", len(plan.Warnings), len(plan.Warnings))
		for _, w := range plan.Warnings {
			fmt.Fprintln(stdout, "  "+w.String())
		}
	}
	if !plan.OK() {
		fmt.Fprintf(stdout, "错误 %d 处 / %d error(s):\n", len(plan.Errors), len(plan.Errors))
		for _, e := range plan.Errors {
			fmt.Fprintln(stdout, "  "+e.String())
		}
		return fmt.Errorf("%s: %d error(s); nothing imported (未导入任何数据)", file, len(plan.Errors))
	}
	if *dryRun {
		fmt.Fprintln(stdout, "试运行：检查通过，未导入任何数据 / dry run: the file is valid; nothing was changed")
		return nil
	}
	audit := roster.AuditEntry{
		Actor: "cli", Action: "导入",
		Subject: fmt.Sprintf("排班表 %s：%s 至 %s，%d 个班次、%d 条排班", filepath.Base(file), from, to, len(plan.Slots), len(plan.Assignments)),
	}
	if err := env.store.ReplaceSlots(ctx, plan.Slots, plan.Assignments, audit); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已导入 %d 个班次、%d 条排班（替换原有 %d 条）/ imported %d assignment(s) in %d slot(s)\n",
		len(plan.Slots), len(plan.Assignments), replaced, len(plan.Assignments), len(plan.Slots))
	return nil
}

// rosterExportCmd writes the assignments of a date range as CSV or XLSX.
func rosterExportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("roster export", stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	fromFlag := fs.String("from", "", "first duty day, YYYY-MM-DD (required)")
	toFlag := fs.String("to", "", "last duty day, YYYY-MM-DD (required)")
	format := fs.String("format", "", "csv or xlsx (default: from -o's extension, else csv)")
	out := fs.String("o", "", "output file (default: stdout, csv only)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *fromFlag == "" || *toFlag == "" {
		fmt.Fprint(stderr, rosterUsage)
		return errUsage
	}
	from, err := roster.ParseDate(*fromFlag)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := roster.ParseDate(*toFlag)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if to.Before(from) {
		return fmt.Errorf("--to %s is before --from %s", to, from)
	}
	kind := strings.ToLower(*format)
	if kind == "" {
		kind = "csv"
		if strings.EqualFold(filepath.Ext(*out), ".xlsx") {
			kind = "xlsx"
		}
	}
	var export func(io.Writer, []roster.Assignment, []roster.Member, roster.Shifts) error
	switch kind {
	case "csv":
		export = roster.ExportCSV
	case "xlsx":
		if *out == "" {
			return errXLSXNeedsFile
		}
		export = roster.ExportXLSX
	default:
		return fmt.Errorf("--format %q: want csv or xlsx", *format)
	}

	env, err := openRoster(ctx, *path, stderr)
	if err != nil {
		return err
	}
	defer env.store.Close()
	as, err := env.store.Assignments(ctx, from, to)
	if err != nil {
		return err
	}
	members, err := env.store.Members(ctx)
	if err != nil {
		return err
	}
	note := fmt.Sprintf("exported %d assignment(s), %s to %s, to %s", len(as), from, to, *out)
	return writeOutputNote(*out, stdout, stderr, "export", note, func(w io.Writer) error {
		return export(w, as, members, env.settings.Shifts)
	})
}
