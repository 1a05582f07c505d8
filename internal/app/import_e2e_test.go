package app

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dutybot/bot/wecomtest"
	"dutybot/roster"
)

// rosterXLSX builds a workbook as an office keeps one: a title row above
// the header, the date written once in a merged cell beside the day's rows
// (a real Excel date), and people by name or userid. extra rows are
// appended as they are.
func rosterXLSX(t *testing.T, extra ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Sheet1"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellValue(sh, "A1", "2026年11月值班表"))
	must(f.SetSheetRow(sh, "A2", &[]any{"日期", "班次", "角色", "人员"}))
	must(f.SetCellValue(sh, "A3", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)))
	must(f.MergeCell(sh, "A3", "A6"))
	must(f.SetSheetRow(sh, "B3", &[]any{"白班", "带班领导", "王五"}))
	must(f.SetSheetRow(sh, "B4", &[]any{"白班", "值班员", "张三"}))
	must(f.SetSheetRow(sh, "B5", &[]any{"夜班", "带班领导", "wangwu"}))
	must(f.SetSheetRow(sh, "B6", &[]any{"夜班", "值班员", "lisi"}))
	for i, row := range extra {
		cell, err := excelize.CoordinatesToCellName(1, 7+i)
		must(err)
		must(f.SetSheetRow(sh, cell, &row))
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sendFile registers data with the fake WeCom as media and posts the file
// message from user, as WeCom does when a member sends a file to the app.
// It returns the replies that follow (want of them).
func (e *e2e) sendFile(user, mediaID, name string, data []byte, want int) []wecomtest.Sent {
	e.t.Helper()
	e.fake.AddMedia(mediaID, name, "application/octet-stream", data)
	n := len(e.fake.SentTo(user))
	if got := e.post(wecomtest.FileMsgXML(e2eCorp, user, mediaID, name, e.nextID(), e.clock.Now(), e2eAgent)); got != http.StatusOK {
		e.t.Fatalf("file callback: status %d", got)
	}
	return e.waitSent(user, n+want)[n:]
}

// importSay sends text from user and returns the next reply to user.
func (e *e2e) importSay(user, text string) string {
	e.t.Helper()
	n := len(e.fake.SentTo(user))
	if got := e.post(e.text(user, text)); got != http.StatusOK {
		e.t.Fatalf("text callback: status %d", got)
	}
	return e.waitSent(user, n+1)[n].Content
}

func importWant(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q:\n%s", w, got)
		}
	}
}

func (e *e2e) importMembers() {
	e.t.Helper()
	for _, m := range []roster.Member{
		{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
		{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
	} {
		if err := e.app.Store.UpsertMember(context.Background(), m); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *e2e) novemberRoster() []roster.Assignment {
	e.t.Helper()
	as, err := e.app.Store.Assignments(context.Background(), roster.NewDate(2026, 11, 1), roster.NewDate(2026, 11, 30))
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// TestE2ERosterImportByChat: the admin sends an XLSX in WeCom; the bot
// downloads it through media/get, previews it, and 确认导入 stores it with
// an audit entry.
func TestE2ERosterImportByChat(t *testing.T) {
	e := newE2E(t, "")
	e.importMembers()

	replies := e.sendFile("boss", "3a8AsvxWJmE0Y9m_XLSX", "11月值班表.xlsx", rosterXLSX(t), 2)
	importWant(t, replies[0].Content, "排班表「11月值班表.xlsx」预览（工作表「Sheet1」）",
		"共 4 行，2026-11-24，1 天、2 个班次、4 条排班",
		"11月24日 周二：白班（带班 王五；值班 张三）、夜班（带班 王五；值班 李四）")
	importWant(t, replies[1].Content, "检查通过，尚未导入", "确认导入", "09:30 前有效")
	if n := e.fake.Calls("media/get"); n != 1 {
		t.Fatalf("media/get called %d times, want 1", n)
	}
	if as := e.novemberRoster(); len(as) != 0 {
		t.Fatalf("the preview stored %v", as)
	}

	importWant(t, e.importSay("boss", "确认导入"), "已导入「11月值班表.xlsx」", "2 个班次、4 条排班")
	as := e.novemberRoster()
	want := []roster.Assignment{
		{Date: roster.NewDate(2026, 11, 24), Shift: "白班", Role: roster.RoleLeader, UserID: "wangwu", Source: roster.SourceImport},
		{Date: roster.NewDate(2026, 11, 24), Shift: "白班", Role: roster.RoleOfficer, UserID: "zhangsan", Source: roster.SourceImport},
		{Date: roster.NewDate(2026, 11, 24), Shift: "夜班", Role: roster.RoleLeader, UserID: "wangwu", Source: roster.SourceImport},
		{Date: roster.NewDate(2026, 11, 24), Shift: "夜班", Role: roster.RoleOfficer, UserID: "lisi", Source: roster.SourceImport},
	}
	roster.SortAssignments(as, roster.DefaultShifts())
	if len(as) != len(want) {
		t.Fatalf("stored %v, want %v", as, want)
	}
	for i := range want {
		if as[i] != want[i] {
			t.Fatalf("stored %v, want %v", as, want)
		}
	}
	audit, err := e.app.Store.Audit(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) == 0 || audit[0].Actor != "boss" || audit[0].Action != "导入" ||
		!strings.Contains(audit[0].Subject, "11月值班表.xlsx") || !strings.Contains(audit[0].After, "2026-11-24 夜班 值班员 lisi") {
		t.Fatalf("audit = %+v, want the import by boss with its assignments", audit)
	}
	importWant(t, e.importSay("boss", "confirm import"), "没有待确认的导入")
}

// TestE2ERosterImportErrors: a broken file gets the errors by row and
// changes nothing; an officer's file is refused.
func TestE2ERosterImportErrors(t *testing.T) {
	e := newE2E(t, "")
	e.importMembers()

	broken := rosterXLSX(t,
		[]any{"2026-11-25", "早班", "值班员", "张三"},
		[]any{"2026-11-25", "白班", "值班员", "孙悟空"},
		[]any{"2026-11-31", "白班", "带班领导", "王五"},
	)
	replies := e.sendFile("boss", "3broken", "坏表.xlsx", broken, 2)
	importWant(t, replies[1].Content, "发现 3 处错误，未导入任何数据",
		"第 7 行：班次「早班」不存在：可用班次为 白班、夜班",
		"第 8 行：找不到成员「孙悟空」",
		"第 9 行：日期「2026-11-31」不存在")
	importWant(t, e.importSay("boss", "确认导入"), "没有待确认的导入")

	replies = e.sendFile("boss", "3notxlsx", "值班表.xlsx", []byte("not a workbook"), 1)
	importWant(t, replies[0].Content, "无法导入「值班表.xlsx」", "不是有效的 XLSX 工作簿")

	replies = e.sendFile("zhangsan", "3officer", "我的排班.xlsx", rosterXLSX(t), 1)
	importWant(t, replies[0].Content, "只有管理员可以导入排班表")

	if as := e.novemberRoster(); len(as) != 0 {
		t.Fatalf("broken files stored %v", as)
	}
	audit, err := e.app.Store.Audit(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range audit {
		if a.Action == "导入" {
			t.Fatalf("audit has an import: %+v", a)
		}
	}
}
