package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dutybot/internal/clock"
	"dutybot/internal/report/reporttest"
	"dutybot/roster"
)

// monthDB writes the generated November 2026 into a new store and points
// DUTYBOT_DB at it.
func monthDB(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dutybot.db")
	clk := clock.NewFake(reporttest.Start())
	s, err := roster.OpenSQLite(ctx, path, clk)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	if err := reporttest.Generate(ctx, s, clk, loc); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DUTYBOT_DB", path)
	t.Setenv("DUTYBOT_TIMEZONE", "Asia/Shanghai")
}

func TestReportDailyCLI(t *testing.T) {
	monthDB(t)
	code, out, errOut := runCLI(t, "report", "daily", "--date", "2026-11-10", "--as-of", "2026-11-11T08:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"# 值班要情（11月10日）", "2026-1110-001 重大 社会安全 〔敏感〕", "夜班 李四 空岗（17:40 发现）", "已传达（传达至 区应急局）"} {
		if !strings.Contains(out, want) {
			t.Errorf("daily markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "2026-1107-001") {
		t.Errorf("11-10 shows 11-07's report")
	}

	dir := t.TempDir()
	book := filepath.Join(dir, "b.xlsx")
	if code, _, errOut := runCLI(t, "report", "daily", "--date", "2026-11-10", "-o", book); code != 0 {
		t.Fatalf("xlsx: exit %d: %s", code, errOut)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("突发事件", "A2"); v != "2026-1110-001" {
		t.Errorf("xlsx 突发事件 A2 = %q", v)
	}
	f.Close()
	page := filepath.Join(dir, "b.html")
	if code, _, errOut := runCLI(t, "report", "daily", "--date", "2026-11-10", "--format", "html", "-o", page); code != 0 {
		t.Fatalf("html: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(page); !strings.Contains(string(b), "<title>值班要情（11月10日）</title>") {
		t.Errorf("html page:\n%.300s", b)
	}
}

func TestReportMonthlyCLI(t *testing.T) {
	monthDB(t)
	code, out, errOut := runCLI(t, "report", "monthly", "--month", "2026-11", "--format", "csv", "--as-of", "2026-12-10T12:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, err := os.ReadFile("../../testdata/stats/2026-11.csv")
	if err != nil {
		t.Fatal(err)
	}
	if out != "\ufeff"+string(want) {
		t.Errorf("monthly csv:\n%s\nwant the hand-computed testdata/stats/2026-11.csv:\n%s", out, want)
	}
	chart := filepath.Join(t.TempDir(), "c.png")
	code, out, errOut = runCLI(t, "report", "monthly", "--year", "2026", "--chart", chart)
	if code != 0 || !strings.Contains(out, "# 值班统计 2026年") {
		t.Fatalf("year: exit %d: %s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(chart); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("chart: %v, %d bytes", err, len(b))
	}
}

func TestReportCLIBadInput(t *testing.T) {
	monthDB(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "daily"}, 1, "--date is required"},
		{[]string{"report", "daily", "--date", "11/24/2026"}, 1, "want a day as YYYY-MM-DD"},
		{[]string{"report", "daily", "--date", "2026-11-24", "--format", "pdf"}, 1, "want one of md, html, xlsx"},
		{[]string{"report", "daily", "--date", "2026-11-24", "--format", "xlsx"}, 1, "needs -o FILE"},
		{[]string{"report", "monthly"}, 1, "give --month YYYY-MM"},
		{[]string{"report", "monthly", "--month", "2026-13"}, 1, "want a month as YYYY-MM"},
		{[]string{"report", "monthly", "--year", "26"}, 1, "want a year as YYYY"},
		{[]string{"report", "monthly", "--month", "2026-11", "--year", "2026"}, 1, "not both"},
		{[]string{"report", "monthly", "--month", "2026-11", "--format", "doc"}, 1, "want one of md, html, xlsx, csv"},
		{[]string{"report", "monthly", "--month", "2026-11", "--chart", "c.jpg"}, 1, "PNG"},
		{[]string{"report", "monthly", "--month", "2026-11", "--as-of", "soon"}, 1, "--as-of"},
		{[]string{"report", "weekly"}, 2, "unknown subcommand"},
		{[]string{"report", "daily", "--bogus"}, 2, "flag provided but not defined"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
