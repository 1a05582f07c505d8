package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dutybot/internal/clock"
	"dutybot/roster"
)

// rosterDB makes a store with the demo office's members and points
// DUTYBOT_DB at it.
func rosterDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dutybot.db")
	ctx := context.Background()
	s, err := roster.OpenSQLite(ctx, path, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []roster.Member{
		{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
	} {
		if err := s.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DUTYBOT_DB", path)
	return path
}

// storedRoster reads back the assignments and newest audit entry.
func storedRoster(t *testing.T, path string) ([]roster.Assignment, []roster.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	s, err := roster.OpenSQLite(ctx, path, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	as, err := s.Assignments(ctx, roster.NewDate(2000, 1, 1), roster.NewDate(2100, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	audit, err := s.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	return as, audit
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRosterImportCLI(t *testing.T) {
	db := rosterDB(t)
	good := "../../testdata/roster/good.csv"

	// Dry run: preview, exit 0, nothing stored.
	code, out, errOut := runCLI(t, "roster", "import", good, "--dry-run")
	if code != 0 {
		t.Fatalf("import --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"共 8 行，2026-12-25 至 2026-12-26，2 天、4 个班次、8 条排班", "12月25日 周五：白班（带班 王五；值班 张三）", "dry run"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if as, _ := storedRoster(t, db); len(as) != 0 {
		t.Fatalf("dry run stored %d assignments", len(as))
	}

	// Errors: every one listed by row, exit 1, nothing stored.
	code, out, errOut = runCLI(t, "roster", "import", "--config", "", "../../testdata/roster/bad_values.csv")
	if code != 1 {
		t.Fatalf("import of a broken file: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"错误 5 处", "第 2 行：日期「12月25日」无法识别", "第 4 行：班次「早班」不存在：可用班次为 白班、夜班", "第 6 行：人员为空"} {
		if !strings.Contains(out, want) {
			t.Errorf("error output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "nothing imported") {
		t.Errorf("stderr %q should say nothing was imported", errOut)
	}
	if as, _ := storedRoster(t, db); len(as) != 0 {
		t.Fatalf("a broken file stored %d assignments", len(as))
	}

	// Applied: stored with source import and an audit entry by "cli".
	code, out, errOut = runCLI(t, "roster", "import", good)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "已导入 4 个班次、8 条排班") {
		t.Errorf("import output:\n%s", out)
	}
	as, audit := storedRoster(t, db)
	if len(as) != 8 || as[0].Source != roster.SourceImport {
		t.Fatalf("stored %v, want the 8 imported assignments", as)
	}
	if len(audit) == 0 || audit[0].Actor != "cli" || audit[0].Action != "导入" || !strings.Contains(audit[0].Subject, "good.csv") ||
		!strings.Contains(audit[0].After, "2026-12-25 白班 带班领导 wangwu") {
		t.Fatalf("audit = %+v, want an 导入 entry by cli", audit)
	}

	// Importing again replaces the same slots, reporting what it replaces.
	code, out, _ = runCLI(t, "roster", "import", good, "--dry-run")
	if code != 0 || !strings.Contains(out, "将替换这些班次现有的 8 条排班") {
		t.Fatalf("second dry run: exit %d\n%s", code, out)
	}

	for _, args := range [][]string{{"roster"}, {"roster", "import"}, {"roster", "frob"}, {"roster", "export", "--from", "2026-12-01"}} {
		if code, _, errOut := runCLI(t, args...); code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and the usage", args, code, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "roster", "import", "no-such-file.csv"); code != 1 || !strings.Contains(errOut, "no-such-file.csv") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestRosterExportCLI(t *testing.T) {
	db := rosterDB(t)
	if code, out, errOut := runCLI(t, "roster", "import", "../../testdata/roster/good.csv"); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "roster", "export", "--from", "2026-12-26", "--to", "2026-12-31")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	want := "\ufeff日期,班次,角色,姓名,账号\r\n" +
		"2026-12-26,白班,带班领导,王五,wangwu\r\n" +
		"2026-12-26,白班,值班员,李四,lisi\r\n" +
		"2026-12-26,夜班,带班领导,王五,wangwu\r\n" +
		"2026-12-26,夜班,值班员,张三,zhangsan\r\n"
	if out != want {
		t.Fatalf("export csv =\n%q\nwant\n%q", out, want)
	}

	// XLSX to a file, then back through import: the same roster.
	xlsx := filepath.Join(t.TempDir(), "十二月.xlsx")
	if code, _, errOut := runCLI(t, "roster", "export", "--from", "2026-12-01", "--to", "2026-12-31", "-o", xlsx); code != 0 {
		t.Fatalf("export xlsx: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(xlsx)
	if err != nil || !bytes.HasPrefix(data, []byte("PK")) {
		t.Fatalf("xlsx file: %v, starts %q", err, data[:min(len(data), 4)])
	}
	before, _ := storedRoster(t, db)
	code, out, errOut = runCLI(t, "roster", "import", xlsx)
	if code != 0 || !strings.Contains(out, "替换原有 8 条") {
		t.Fatalf("re-import of the export: exit %d\n%s%s", code, out, errOut)
	}
	after, _ := storedRoster(t, db)
	if len(after) != len(before) {
		t.Fatalf("round trip changed the roster: %v → %v", before, after)
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("round trip changed %v to %v", before[i], after[i])
		}
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2026-12-31", "--to", "2026-12-01"}, "before --from"},
		{[]string{"--from", "2026/12/01", "--to", "2026-12-31"}, "--from"},
		{[]string{"--from", "2026-12-01", "--to", "2026-12-31", "--format", "xlsx"}, "needs -o"},
		{[]string{"--from", "2026-12-01", "--to", "2026-12-31", "--format", "pdf"}, "want csv or xlsx"},
	} {
		if code, _, errOut := runCLI(t, append([]string{"roster", "export"}, tt.args...)...); code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("export %v: exit %d, stderr %q; want 1 and %q", tt.args, code, errOut, tt.want)
		}
	}
}
