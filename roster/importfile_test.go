package roster_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"dutybot/roster"
)

// importMembers is the office the import tests resolve names against:
// two officers, a leader, two namesakes (张伟) in different departments, an
// admin, a deactivated member and one with an all-digit userid.
func importMembers() []roster.Member {
	return []roster.Member{
		{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
		{UserID: "zhangwei1", Name: "张伟", Department: "办公室", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "zhangwei2", Name: "张伟", Department: "应急科", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "zhaoliu", Name: "赵六", Roles: []roster.Role{roster.RoleAdmin}, Active: true},
		{UserID: "qianqi", Name: "钱七", Roles: []roster.Role{roster.RoleOfficer}, Active: false},
		{UserID: "10086", Name: "孙八", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	}
}

// importShifts are the default day and night shifts plus an office-hours
// shift that runs on workdays only.
func importShifts() roster.Shifts {
	s := roster.DefaultShifts()
	return append(s, roster.ShiftTemplate{Name: "行政班", Start: 9 * 60, End: 17 * 60, Officers: 1, DayTypes: []roster.DayType{roster.Workday, roster.Adjusted}})
}

func importEnv(holidays ...roster.HolidayDay) roster.ImportEnv {
	return roster.ImportEnv{
		Members: importMembers(),
		Shifts:  importShifts(),
		Holidays: func(ctx context.Context, from, to roster.Date) ([]roster.HolidayDay, error) {
			var out []roster.HolidayDay
			for _, h := range holidays {
				if !h.Date.Before(from) && !h.Date.After(to) {
					out = append(out, h)
				}
			}
			return out, nil
		},
	}
}

func d(s string) roster.Date {
	date, err := roster.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return date
}

func asn(date, shift string, role roster.Role, user string) roster.Assignment {
	return roster.Assignment{Date: d(date), Shift: shift, Role: role, UserID: user, Source: roster.SourceImport}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "roster", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goodXLSX builds a workbook as an office would keep it: an instructions
// sheet first, then the roster with a title row above the header, real
// Excel dates in a merged cell spanning the day's rows, and a numeric
// userid.
func goodXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "说明"))
	must(f.SetCellValue("说明", "A1", "每行一人一个班次；日期合并单元格可以。"))
	if _, err := f.NewSheet("12月"); err != nil {
		t.Fatal(err)
	}
	must(f.SetCellValue("12月", "A1", "2026年12月值班表"))
	must(f.MergeCell("12月", "A1", "D1"))
	must(f.SetSheetRow("12月", "A2", &[]any{"日期", "班次", "角色", "人员（姓名或账号）"}))
	day := time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)
	must(f.SetCellValue("12月", "A3", day))
	must(f.MergeCell("12月", "A3", "A6"))
	must(f.SetSheetRow("12月", "B3", &[]any{"白班", "带班领导", "王五"}))
	must(f.SetSheetRow("12月", "B4", &[]any{"白班", "值班员", "张三"}))
	must(f.SetSheetRow("12月", "B5", &[]any{"夜班", "带班领导", "wangwu"}))
	must(f.SetSheetRow("12月", "B6", &[]any{"夜班", "值班员", 10086}))
	must(f.SetSheetRow("12月", "A8", &[]any{"2026/12/26", "白班", "值班员", "李四"}))
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseImport(t *testing.T) {
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(
		[]byte("日期\t班次\t角色\t人员\r\n2026-12-25\t白班\t值班员\t张三\r\n2026-12-25\t白班\t带班领导\t王五\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	goodCSV := []roster.Assignment{
		asn("2026-12-25", "白班", roster.RoleLeader, "wangwu"),
		asn("2026-12-25", "白班", roster.RoleOfficer, "zhangsan"),
		asn("2026-12-25", "夜班", roster.RoleLeader, "wangwu"),
		asn("2026-12-25", "夜班", roster.RoleOfficer, "lisi"),
		asn("2026-12-26", "白班", roster.RoleLeader, "wangwu"),
		asn("2026-12-26", "白班", roster.RoleOfficer, "lisi"),
		asn("2026-12-26", "夜班", roster.RoleLeader, "wangwu"),
		asn("2026-12-26", "夜班", roster.RoleOfficer, "zhangsan"),
	}
	tests := []struct {
		name string
		file string // name as sent
		data []byte
		env  roster.ImportEnv
		// want* are checked when set.
		wantRows     int
		wantAs       []roster.Assignment
		wantSlots    int
		wantErrors   []string // each must appear in the error list (row prefix included)
		wantNErrors  int      // exact count when > 0
		wantWarnings []string
		wantSheet    string
	}{
		{name: "good csv with BOM, blank line, mixed date and role forms", file: "good.csv", data: readTestdata(t, "good.csv"),
			wantRows: 8, wantAs: goodCSV, wantSlots: 4},
		{name: "good csv in GBK (Excel on Chinese Windows)", file: "good_gbk.csv", data: readTestdata(t, "good_gbk.csv"),
			wantRows: 8, wantAs: goodCSV, wantSlots: 4},
		{name: "english headers in another order under a title row", file: "good_english.csv", data: readTestdata(t, "good_english.csv"),
			wantRows: 4, wantSlots: 2, wantAs: []roster.Assignment{
				asn("2026-12-28", "白班", roster.RoleLeader, "wangwu"),
				asn("2026-12-28", "白班", roster.RoleOfficer, "zhangsan"),
				asn("2026-12-28", "夜班", roster.RoleLeader, "wangwu"),
				asn("2026-12-28", "夜班", roster.RoleOfficer, "zhangwei2"),
			}},
		{name: "UTF-16 tab-separated (Excel unicode text)", file: "roster.txt", data: utf16,
			wantRows: 2, wantSlots: 1, wantAs: []roster.Assignment{
				asn("2026-12-25", "白班", roster.RoleLeader, "wangwu"),
				asn("2026-12-25", "白班", roster.RoleOfficer, "zhangsan"),
			}},
		{name: "good xlsx: merged dates, title row, second sheet, numeric userid", file: "十二月.xlsx", data: goodXLSX(t),
			wantRows: 5, wantSlots: 3, wantSheet: "12月", wantAs: []roster.Assignment{
				asn("2026-12-25", "白班", roster.RoleLeader, "wangwu"),
				asn("2026-12-25", "白班", roster.RoleOfficer, "zhangsan"),
				asn("2026-12-25", "夜班", roster.RoleLeader, "wangwu"),
				asn("2026-12-25", "夜班", roster.RoleOfficer, "10086"),
				asn("2026-12-26", "白班", roster.RoleOfficer, "lisi"),
			},
			wantWarnings: []string{"第 8 行：12月26日 周六 白班：没有带班领导"}},
		{name: "wrong columns", file: "wrong_columns.csv", data: readTestdata(t, "wrong_columns.csv"),
			wantNErrors: 1, wantErrors: []string{"第 1 行（表头）缺少列：角色", "现在的表头是：日期、班次、姓名"}},
		{name: "unknown, ambiguous and deactivated members", file: "unknown_member.csv", data: readTestdata(t, "unknown_member.csv"),
			wantRows: 4, wantNErrors: 3, wantErrors: []string{
				"第 3 行：找不到成员「孙悟空」",
				"第 4 行：有 2 位成员叫「张伟」（办公室 账号 zhangwei1，应急科 账号 zhangwei2）",
				"第 5 行：成员 钱七（qianqi）已停用",
			}},
		{name: "duplicate rows", file: "duplicate_rows.csv", data: readTestdata(t, "duplicate_rows.csv"),
			wantRows: 4, wantNErrors: 2, wantErrors: []string{
				"第 4 行：与第 3 行重复（2026-12-25 白班 值班员 张三）",
				"第 5 行：张三 在第 3 行已排为值班员，同一班次不能再排为带班领导",
			}},
		{name: "bad values in every column", file: "bad_values.csv", data: readTestdata(t, "bad_values.csv"),
			wantRows: 5, wantNErrors: 5, wantErrors: []string{
				"第 2 行：日期「12月25日」无法识别：请写成 2026-12-25 或 2026/12/25",
				"第 3 行：日期「2026-02-30」不存在",
				"第 4 行：班次「早班」不存在：可用班次为 白班、夜班、行政班",
				"第 5 行：角色「管理员」不能用于排班：请填写 值班员（officer）或 带班领导",
				"第 6 行：人员为空",
			}},
		{name: "empty file", file: "empty.csv", data: readTestdata(t, "empty.csv"),
			wantNErrors: 1, wantErrors: []string{"文件是空的"}},
		{name: "only a BOM and blank lines", file: "x.csv", data: []byte("\xef\xbb\xbf\r\n\r\n"),
			wantNErrors: 1, wantErrors: []string{"文件是空的"}},
		{name: "header only", file: "header_only.csv", data: readTestdata(t, "header_only.csv"),
			wantNErrors: 1, wantErrors: []string{"没有排班行"}},
		{name: "not an xlsx", file: "roster.xlsx", data: readTestdata(t, "not_xlsx.xlsx"),
			wantNErrors: 1, wantErrors: []string{"不是有效的 XLSX 工作簿", ".csv"}},
		{name: "zip that is not a workbook", file: "roster.xlsx", data: []byte("PK\x03\x04 not really a zip"),
			wantNErrors: 1, wantErrors: []string{"无法读取 XLSX 工作簿"}},
		{name: "old binary xls", file: "old_excel.xls", data: readTestdata(t, "old_excel.xls"),
			wantNErrors: 1, wantErrors: []string{"旧版 Excel（.xls）", "另存为"}},
		{name: "a document, not a roster", file: "通知.pdf", data: []byte("%PDF-1.7"),
			wantNErrors: 1, wantErrors: []string{"文件「通知.pdf」不是排班表"}},
		{name: "binary data named csv", file: "x.csv", data: []byte("日期,班次\x00\x01\x02"),
			wantNErrors: 1, wantErrors: []string{"不是文本格式"}},
		{name: "duplicate header column", file: "x.csv", data: []byte("日期,班次,角色,人员,姓名\n2026-12-25,白班,值班员,张三,张三\n"),
			wantNErrors: 1, wantErrors: []string{"列「姓名」重复"}},
		{name: "name and userid that disagree", file: "x.csv", data: []byte("日期,班次,角色,姓名,账号\n2026-12-25,白班,值班员,李四,zhangsan\n2026-12-25,白班,带班领导,张伟,zhangwei2\n"),
			wantRows: 2, wantNErrors: 1, wantErrors: []string{"第 2 行：姓名「李四」与账号 zhangsan（张三）不符"}},
		{name: "calendar and staffing warnings do not stop the import", file: "x.csv",
			data: []byte("日期,班次,角色,人员\n" +
				"2026-12-26,行政班,值班员,张三\n" + // Saturday: 行政班 runs on workdays only
				"2026-12-25,行政班,值班员,李四\n" + // Friday, but a holiday below
				"2026-12-28,白班,带班领导,王五\n" + // no officer
				"2026-12-28,夜班,带班领导,张三\n" + // 张三 is not a leader; no officer
				"2026-12-28,行政班,值班员,李四\n"),
			env:      importEnv(roster.HolidayDay{Date: d("2026-12-25"), Off: true, Name: "测试假日"}),
			wantRows: 5, wantSlots: 5,
			wantWarnings: []string{
				"第 2 行：12月26日 周六 是周末，按班次设置这天不排「行政班」（只有 白班、夜班）",
				"第 3 行：12月25日 周五 是节假日，按班次设置这天不排「行政班」",
				"第 4 行：12月28日 周一 白班：值班员 0 名，需要 1 名",
				"第 5 行：张三 没有「带班领导」角色",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env.Shifts == nil {
				env = importEnv()
			}
			p, err := roster.ParseImport(context.Background(), tt.file, tt.data, env)
			if err != nil {
				t.Fatalf("ParseImport: %v", err)
			}
			var errs, warns []string
			for _, e := range p.Errors {
				errs = append(errs, e.String())
			}
			for _, w := range p.Warnings {
				warns = append(warns, w.String())
			}
			t.Logf("errors:\n%s\nwarnings:\n%s", strings.Join(errs, "\n"), strings.Join(warns, "\n"))
			errText, warnText := strings.Join(errs, "\n"), strings.Join(warns, "\n")
			if tt.wantErrors == nil && len(p.Errors) > 0 {
				t.Fatalf("unexpected errors:\n%s", errText)
			}
			if tt.wantErrors != nil && p.OK() {
				t.Fatalf("plan OK, want errors %q", tt.wantErrors)
			}
			if tt.wantNErrors > 0 && len(p.Errors) != tt.wantNErrors {
				t.Errorf("%d errors, want %d:\n%s", len(p.Errors), tt.wantNErrors, errText)
			}
			for _, w := range tt.wantErrors {
				if !strings.Contains(errText, w) {
					t.Errorf("errors lack %q:\n%s", w, errText)
				}
			}
			for _, w := range tt.wantWarnings {
				if !strings.Contains(warnText, w) {
					t.Errorf("warnings lack %q:\n%s", w, warnText)
				}
			}
			if tt.wantRows != 0 && p.Rows != tt.wantRows {
				t.Errorf("Rows = %d, want %d", p.Rows, tt.wantRows)
			}
			if tt.wantSlots != 0 && len(p.Slots) != tt.wantSlots {
				t.Errorf("%d slots %v, want %d", len(p.Slots), p.Slots, tt.wantSlots)
			}
			if tt.wantAs != nil && !slices.Equal(p.Assignments, tt.wantAs) {
				t.Errorf("assignments:\n%v\nwant:\n%v", p.Assignments, tt.wantAs)
			}
			if tt.wantSheet != "" && p.Sheet != tt.wantSheet {
				t.Errorf("sheet = %q, want %q", p.Sheet, tt.wantSheet)
			}
			for _, a := range p.Assignments {
				if !slices.Contains(p.Slots, a.Slot()) {
					t.Errorf("assignment %v outside the plan's slots", a)
				}
			}
		})
	}
}

func TestParseImportHolidayLookupFails(t *testing.T) {
	env := importEnv()
	boom := errors.New("store down")
	env.Holidays = func(context.Context, roster.Date, roster.Date) ([]roster.HolidayDay, error) { return nil, boom }
	_, err := roster.ParseImport(context.Background(), "good.csv", readTestdata(t, "good.csv"), env)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap the store's error", err)
	}
}

func TestImportPlanSummary(t *testing.T) {
	p, err := roster.ParseImport(context.Background(), "good.csv", readTestdata(t, "good.csv"), importEnv())
	if err != nil || !p.OK() {
		t.Fatalf("ParseImport = %v, %v", p.Errors, err)
	}
	if got, want := p.Headline(), "共 8 行，2026-12-25 至 2026-12-26，2 天、4 个班次、8 条排班"; got != want {
		t.Errorf("Headline = %q, want %q", got, want)
	}
	names := map[string]string{"wangwu": "王五", "zhangsan": "张三", "lisi": "李四"}
	lines := p.DayLines(func(id string) string { return names[id] })
	want := []string{
		"12月25日 周五：白班（带班 王五；值班 张三）、夜班（带班 王五；值班 李四）",
		"12月26日 周六：白班（带班 王五；值班 李四）、夜班（带班 王五；值班 张三）",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("DayLines =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	existing := []roster.Assignment{
		asn("2026-12-25", "白班", roster.RoleOfficer, "lisi"),  // replaced
		asn("2026-12-27", "白班", roster.RoleOfficer, "lisi"),  // another day: kept
		asn("2026-12-25", "行政班", roster.RoleOfficer, "lisi"), // another shift: kept
	}
	if got := p.Replaced(existing); len(got) != 1 || got[0] != existing[0] {
		t.Errorf("Replaced = %v, want only the 12-25 白班 assignment", got)
	}
}

// TestExportImportRoundTrip exports assignments (namesakes, a numeric
// userid, several shifts) as CSV and XLSX and reads them back unchanged.
func TestExportImportRoundTrip(t *testing.T) {
	as := []roster.Assignment{
		asn("2026-12-31", "夜班", roster.RoleOfficer, "zhangwei2"),
		asn("2026-12-31", "夜班", roster.RoleLeader, "wangwu"),
		asn("2026-12-31", "白班", roster.RoleOfficer, "zhangwei1"),
		asn("2026-12-31", "白班", roster.RoleOfficer, "10086"),
		asn("2026-12-31", "白班", roster.RoleLeader, "wangwu"),
		asn("2027-01-01", "白班", roster.RoleLeader, "wangwu"),
		asn("2027-01-01", "白班", roster.RoleOfficer, "zhangsan"),
		asn("2027-01-01", "夜班", roster.RoleLeader, "wangwu"),
		asn("2027-01-01", "夜班", roster.RoleOfficer, "lisi"),
	}
	want := slices.Clone(as)
	roster.SortAssignments(want, importShifts())
	for _, format := range []struct {
		file   string
		export func(*bytes.Buffer) error
	}{
		{"roster.csv", func(b *bytes.Buffer) error { return roster.ExportCSV(b, as, importMembers(), importShifts()) }},
		{"roster.xlsx", func(b *bytes.Buffer) error { return roster.ExportXLSX(b, as, importMembers(), importShifts()) }},
	} {
		t.Run(format.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := format.export(&buf); err != nil {
				t.Fatal(err)
			}
			p, err := roster.ParseImport(context.Background(), format.file, buf.Bytes(), importEnv())
			if err != nil {
				t.Fatal(err)
			}
			if !p.OK() {
				t.Fatalf("exported file does not import: %v", p.Errors)
			}
			if !slices.Equal(p.Assignments, want) {
				t.Fatalf("round trip:\n%v\nwant\n%v", p.Assignments, want)
			}
			if p.Rows != len(as) || len(p.Slots) != 4 {
				t.Fatalf("Rows = %d, slots = %d; want %d and 4", p.Rows, len(p.Slots), len(as))
			}
		})
	}
	var csvOut bytes.Buffer
	if err := roster.ExportCSV(&csvOut, as[:1], importMembers(), importShifts()); err != nil {
		t.Fatal(err)
	}
	if got, want := csvOut.String(), "\ufeff日期,班次,角色,姓名,账号\r\n2026-12-31,夜班,值班员,张伟,zhangwei2\r\n"; got != want {
		t.Fatalf("ExportCSV = %q, want %q", got, want)
	}
}

func TestConfigTemplateImports(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "roster-template.csv"))
	if err != nil {
		t.Fatal(err)
	}
	env := importEnv()
	p, err := roster.ParseImport(context.Background(), "roster-template.csv", data, env)
	if err != nil {
		t.Fatal(err)
	}
	if !p.OK() || len(p.Warnings) > 0 || len(p.Assignments) == 0 {
		t.Fatalf("the shipped template should import cleanly: errors %v, warnings %v", p.Errors, p.Warnings)
	}
}

// TestParseImportTooManyRows: a file past MaxImportRows is refused before
// the rows are checked, CSV and XLSX alike.
func TestParseImportTooManyRows(t *testing.T) {
	n := roster.MaxImportRows + 20
	var csvData bytes.Buffer
	csvData.WriteString("日期,班次,角色,人员\n")
	for range n {
		csvData.WriteString("2026-12-25,白班,值班员,张三\n")
	}
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"日期", "班次", "角色", "人员"}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := sw.SetRow("A"+strconv.Itoa(i+2), []any{"2026-12-25", "白班", "值班员", "张三"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var xlsxData bytes.Buffer
	if _, err := f.WriteTo(&xlsxData); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"big.csv": csvData.Bytes(), "big.xlsx": xlsxData.Bytes()} {
		p, err := roster.ParseImport(context.Background(), name, data, importEnv())
		if err != nil {
			t.Fatal(err)
		}
		if p.OK() || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Msg, "超过 20000 行") {
			t.Errorf("%s: errors %v, want one saying the file is too long", name, p.Errors)
		}
	}
}
