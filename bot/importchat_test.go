package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/roster"
)

// fakeMedia serves files by media id, as media/get would.
type fakeMedia struct {
	mu    sync.Mutex
	files map[string][]byte
	err   error
}

func (f *fakeMedia) FetchMedia(ctx context.Context, mediaID string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	data, ok := f.files[mediaID]
	if !ok {
		return nil, &wecom.MediaError{Code: 40007, Msg: "invalid media_id"}
	}
	return data, nil
}

type importFixture struct {
	t     *testing.T
	s     *Service
	store *roster.SQLStore
	clock *clock.Fake
	media *fakeMedia
	n     int
}

func newImportFixture(t *testing.T, media bool) *importFixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 20, 1, 0, 0, 0, time.UTC)) // 09:00 in Shanghai
	store, err := roster.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dutybot.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, m := range []roster.Member{
		{UserID: "boss", Name: "赵六", Roles: []roster.Role{roster.RoleAdmin}, Active: true},
		{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true},
	} {
		if err := store.UpsertMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	f := &importFixture{t: t, store: store, clock: clk, media: &fakeMedia{files: map[string][]byte{}}}
	cfg := Config{Store: store, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: loc}
	if media {
		cfg.Media = f.media
	}
	f.s = New(cfg)
	return f
}

// file registers data and sends it as from; it returns the reply texts.
func (f *importFixture) file(from, name, data string) []string {
	f.t.Helper()
	f.n++
	id := fmt.Sprintf("media-%d", f.n)
	f.media.mu.Lock()
	f.media.files[id] = []byte(data)
	f.media.mu.Unlock()
	return replyTexts(f.s.respond(context.Background(), wecom.Message{FromUserName: from, MsgType: wecom.TypeFile, MediaID: id, FileName: name, MsgID: id}))
}

func (f *importFixture) say(from, text string) string {
	f.t.Helper()
	r := replyTexts(f.s.respond(context.Background(), wecom.Message{FromUserName: from, MsgType: wecom.TypeText, Content: text, MsgID: "x"}))
	if len(r) != 1 {
		f.t.Fatalf("%s %q: %d replies, want 1: %q", from, text, len(r), r)
	}
	return r[0]
}

func (f *importFixture) stored() []roster.Assignment {
	f.t.Helper()
	as, err := f.store.Assignments(context.Background(), roster.NewDate(2026, 1, 1), roster.NewDate(2027, 12, 31))
	if err != nil {
		f.t.Fatal(err)
	}
	return as
}

func replyTexts(rs []Reply) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Text
	}
	return out
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q:\n%s", w, got)
		}
	}
}

const goodRoster = "日期,班次,角色,人员\n" +
	"2026-12-25,白班,带班领导,王五\n" +
	"2026-12-25,白班,值班员,张三\n" +
	"2026-12-25,夜班,带班领导,王五\n" +
	"2026-12-25,夜班,值班员,李四\n"

func TestImportChatPreviewConfirm(t *testing.T) {
	f := newImportFixture(t, true)
	replies := f.file("boss", "12月.csv", goodRoster)
	if len(replies) != 2 {
		t.Fatalf("replies = %q, want a preview and the confirm instructions", replies)
	}
	mustContain(t, replies[0], "排班表「12月.csv」预览", "共 4 行，2026-12-25，1 天、2 个班次、4 条排班",
		"12月25日 周五：白班（带班 王五；值班 张三）、夜班（带班 王五；值班 李四）")
	mustContain(t, replies[1], "检查通过，尚未导入", "确认导入", "取消导入", "09:30 前有效")
	if as := f.stored(); len(as) != 0 {
		t.Fatalf("the preview stored %v", as)
	}

	// Only the admin who sent it can confirm it; others have nothing pending.
	if got := f.say("zhangsan", "确认导入"); !strings.Contains(got, "仅限管理员") {
		t.Fatalf("officer confirming: %q", got)
	}

	f.clock.Advance(29 * time.Minute)
	got := f.say("boss", "confirm  import")
	mustContain(t, got, "已导入「12月.csv」", "2 个班次、4 条排班（替换原有 0 条）")
	as := f.stored()
	if len(as) != 4 || as[0].Source != roster.SourceImport {
		t.Fatalf("stored %v, want the 4 imported assignments", as)
	}
	audit, err := f.store.Audit(context.Background(), 1)
	if err != nil || len(audit) != 1 || audit[0].Actor != "boss" || audit[0].Action != "导入" || !strings.Contains(audit[0].Subject, "12月.csv") {
		t.Fatalf("audit = %+v, %v; want an 导入 entry by boss", audit, err)
	}
	// The import is used up.
	if got := f.say("boss", "确认导入"); !strings.Contains(got, "没有待确认的导入") {
		t.Fatalf("second confirm: %q", got)
	}
}

func TestImportChatExpiresAndCancels(t *testing.T) {
	f := newImportFixture(t, true)
	f.file("boss", "a.csv", goodRoster)
	f.clock.Advance(30 * time.Minute)
	if got := f.say("boss", "确认导入"); !strings.Contains(got, "没有待确认的导入") {
		t.Fatalf("confirm after 30 minutes: %q", got)
	}

	f.file("boss", "b.csv", goodRoster)
	mustContain(t, f.say("boss", "导入排班"), "您有待确认的导入「b.csv」", "10:00 前有效")
	mustContain(t, f.say("boss", "取消导入"), "已取消导入「b.csv」")
	mustContain(t, f.say("boss", "cancel import"), "没有待确认的导入")
	if got := f.say("boss", "确认导入"); !strings.Contains(got, "没有待确认的导入") {
		t.Fatalf("confirm after cancel: %q", got)
	}
	if as := f.stored(); len(as) != 0 {
		t.Fatalf("stored %v after expiry and cancel", as)
	}
}

func TestImportChatErrors(t *testing.T) {
	f := newImportFixture(t, true)
	f.file("boss", "good.csv", goodRoster) // pending, then superseded by a broken file

	replies := f.file("boss", "bad.csv", goodRoster+"2026-12-26,早班,值班员,张三\n2026-12-26,白班,值班员,孙悟空\n")
	if len(replies) != 2 {
		t.Fatalf("replies = %q, want the preview and the errors", replies)
	}
	mustContain(t, replies[1], "发现 2 处错误，未导入任何数据", "之前待确认的导入已作废",
		"第 6 行：班次「早班」不存在：可用班次为 白班、夜班", "第 7 行：找不到成员「孙悟空」")
	if got := f.say("boss", "确认导入"); !strings.Contains(got, "没有待确认的导入") {
		t.Fatalf("confirm after a broken file: %q", got)
	}

	replies = f.file("boss", "通知.docx", "PK\x03\x04whatever")
	if len(replies) != 1 {
		t.Fatalf("replies = %q", replies)
	}
	mustContain(t, replies[0], "无法导入「通知.docx」，未导入任何数据", "不是排班表", ".xlsx")

	replies = f.file("boss", "empty.csv", "")
	mustContain(t, strings.Join(replies, "\n"), "文件是空的")
	if as := f.stored(); len(as) != 0 {
		t.Fatalf("stored %v from broken files", as)
	}
}

func TestImportChatMemberGoneBeforeConfirm(t *testing.T) {
	f := newImportFixture(t, true)
	f.file("boss", "a.csv", goodRoster)
	ctx := context.Background()
	m, err := f.store.Member(ctx, "lisi")
	if err != nil {
		t.Fatal(err)
	}
	m.Active = false
	if err := f.store.UpsertMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	mustContain(t, f.say("boss", "确认导入"), "已停用", "lisi", "未导入任何数据")
	if as := f.stored(); len(as) != 0 {
		t.Fatalf("stored %v with a deactivated member", as)
	}
}

func TestImportChatRefusals(t *testing.T) {
	f := newImportFixture(t, true)
	replies := f.file("zhangsan", "a.csv", goodRoster)
	if len(replies) != 1 || !strings.Contains(replies[0], "只有管理员可以导入排班表") {
		t.Fatalf("officer's file: %q", replies)
	}

	f.media.err = &wecom.MediaError{Msg: "network down"}
	replies = f.file("boss", "a.csv", goodRoster)
	if len(replies) != 1 || !strings.Contains(replies[0], "下载失败，未导入任何数据") {
		t.Fatalf("download failure: %q", replies)
	}
	f.media.err = nil
	replies = replyTexts(f.s.respond(context.Background(), wecom.Message{FromUserName: "boss", MsgType: wecom.TypeFile, MediaID: "gone", FileName: "a.csv", MsgID: "1"}))
	if len(replies) != 1 || !strings.Contains(replies[0], "已过期") {
		t.Fatalf("expired media: %q", replies)
	}

	noMedia := newImportFixture(t, false)
	replies = noMedia.file("boss", "a.csv", goodRoster)
	if len(replies) != 1 || !strings.Contains(replies[0], "dutybot roster import") {
		t.Fatalf("no media fetcher: %q", replies)
	}
}

// TestImportChatLongFileFitsWeCom sends a year of roster with errors on
// many rows: every reply must stay under WeCom's 2,048-byte text limit and
// say how much was left out.
func TestImportChatLongFileFitsWeCom(t *testing.T) {
	f := newImportFixture(t, true)
	var b strings.Builder
	b.WriteString("日期,班次,角色,人员\n")
	for d := roster.NewDate(2027, 1, 1); d.Year == 2027; d = d.AddDays(1) {
		fmt.Fprintf(&b, "%s,白班,带班领导,王五\n%s,白班,值班员,张三\n%s,夜班,带班领导,王五\n%s,夜班,值班员,李四\n", d, d, d, d)
	}
	good := b.String()
	replies := f.file("boss", "2027.csv", good)
	for _, r := range replies {
		if len(r) > 2048 {
			t.Fatalf("reply of %d bytes, over WeCom's 2048:\n%s", len(r), r)
		}
	}
	mustContain(t, replies[0], "共 1460 行，2027-01-01 至 2027-12-31，365 天、730 个班次、1460 条排班", "其余", "天从略")

	bad := strings.ReplaceAll(good, ",张三\n", ",张三丰\n")
	replies = f.file("boss", "2027.csv", bad)
	if len(replies) != 2 {
		t.Fatalf("%d replies", len(replies))
	}
	for _, r := range replies {
		if len(r) > 2048 {
			t.Fatalf("reply of %d bytes, over WeCom's 2048", len(r))
		}
	}
	mustContain(t, replies[1], "发现 365 处错误", "第 3、7、11、15、19、23 等 365 行：找不到成员「张三丰」")

	// Many different problems: as many as fit, then how many were left out.
	var many strings.Builder
	many.WriteString("日期,班次,角色,人员\n")
	for i := range 100 {
		fmt.Fprintf(&many, "2027-01-01,白班,值班员,无名氏%d\n", i)
	}
	replies = f.file("boss", "many.csv", many.String())
	if len(replies) != 1 || len(replies[0]) > 2048 {
		t.Fatalf("replies = %q", replies)
	}
	mustContain(t, replies[0], "第 2 行：找不到成员「无名氏0」", "类错误未列出")
}

func TestFitLines(t *testing.T) {
	lines := []string{"aaaa", "bbbb", "cccc"}
	tests := []struct {
		limit int
		want  string
	}{
		{100, "H\naaaa\nbbbb\ncccc"},
		{16, "H\naaaa\nbbbb\ncccc"}, // exactly fits
		{15, "H\naaaa\nbbbb\n+1"},   // cccc does not fit; the note does
		{13, "H\naaaa\n+2"},         // bbbb would fit, but then the note would not
		{5, "H\n+3"},
	}
	for _, tt := range tests {
		if got := fitLines("H", lines, tt.limit, "+%d"); got != tt.want {
			t.Errorf("fitLines(limit %d) = %q, want %q", tt.limit, got, tt.want)
		}
	}
	if got := truncateUTF8("值班表", 4); got != "值" {
		t.Errorf("truncateUTF8 = %q, want 值", got)
	}
}
