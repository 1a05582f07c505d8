package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"dutybot/roster"
)

// scheduleTests cover roster.ScheduleStore: assignments, the holiday
// schedule, leave and the audit trail.
func scheduleTests() []struct {
	name string
	fn   func(t *testing.T, s roster.Store)
} {
	return []struct {
		name string
		fn   func(t *testing.T, s roster.Store)
	}{
		{"ReplaceSlotsRoundTripAndAudit", testReplaceSlotsRoundTripAndAudit},
		{"ReplaceSlotsLeavesOtherSlots", testReplaceSlotsLeavesOtherSlots},
		{"ReplaceSlotsAllOrNothing", testReplaceSlotsAllOrNothing},
		{"HolidayDays", testHolidayDays},
		{"Leaves", testLeaves},
		{"SentCardsAndResponseCodes", testSentCards},
	}
}

func seedMembers(t *testing.T, s roster.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.UpsertMember(context.Background(), roster.Member{UserID: id, Name: id, Active: true, Roles: []roster.Role{roster.RoleOfficer}}); err != nil {
			t.Fatalf("UpsertMember(%s): %v", id, err)
		}
	}
}

func assignmentStrings(as []roster.Assignment) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String() + " " + a.Source
	}
	return out
}

func testReplaceSlotsRoundTripAndAudit(t *testing.T, s roster.Store) {
	ctx := context.Background()
	seedMembers(t, s, "a", "b", "L")
	d := roster.NewDate(2026, 12, 25)
	slot := roster.Slot{Date: d, Shift: "夜班"}
	first := []roster.Assignment{
		{Date: d, Shift: "夜班", Role: roster.RoleOfficer, UserID: "a", Source: roster.SourceRotation},
		{Date: d, Shift: "夜班", Role: roster.RoleLeader, UserID: "L"},
	}
	if err := s.ReplaceSlots(ctx, []roster.Slot{slot}, first, roster.AuditEntry{Actor: "boss", Action: "排班 生成", Subject: "2026-12-25"}); err != nil {
		t.Fatalf("ReplaceSlots: %v", err)
	}
	second := []roster.Assignment{{Date: d, Shift: "夜班", Role: roster.RoleOfficer, UserID: "b", Source: roster.SourceManual}}
	if err := s.ReplaceSlots(ctx, []roster.Slot{slot}, second, roster.AuditEntry{Actor: "boss", Action: "排班 设置", Subject: "2026-12-25 夜班"}); err != nil {
		t.Fatalf("ReplaceSlots: %v", err)
	}
	got, err := s.Assignments(ctx, d, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-12-25 夜班 值班员 b manual"}; !slices.Equal(assignmentStrings(got), want) {
		t.Errorf("Assignments = %v, want %v", assignmentStrings(got), want)
	}
	audit, err := s.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 {
		t.Fatalf("audit entries = %d, want 2: %+v", len(audit), audit)
	}
	last := audit[0] // newest first
	if last.Actor != "boss" || last.Action != "排班 设置" || last.At.IsZero() ||
		!strings.Contains(last.Before, "值班员 a") || !strings.Contains(last.Before, "带班领导 L") || !strings.Contains(last.After, "值班员 b") {
		t.Errorf("audit entry = %+v, want actor, action, time, before (a, L) and after (b)", last)
	}
}

func testReplaceSlotsLeavesOtherSlots(t *testing.T, s roster.Store) {
	ctx := context.Background()
	seedMembers(t, s, "a", "b")
	d1, d2 := roster.NewDate(2026, 11, 30), roster.NewDate(2026, 12, 1)
	all := []roster.Assignment{
		{Date: d1, Shift: "白班", Role: roster.RoleOfficer, UserID: "a"},
		{Date: d1, Shift: "夜班", Role: roster.RoleOfficer, UserID: "a"},
		{Date: d2, Shift: "白班", Role: roster.RoleOfficer, UserID: "b"},
	}
	slots := []roster.Slot{{Date: d1, Shift: "白班"}, {Date: d1, Shift: "夜班"}, {Date: d2, Shift: "白班"}}
	if err := s.ReplaceSlots(ctx, slots, all, roster.AuditEntry{Actor: "t", Action: "x"}); err != nil {
		t.Fatal(err)
	}
	// Clear only 11-30 白班.
	if err := s.ReplaceSlots(ctx, slots[:1], nil, roster.AuditEntry{Actor: "t", Action: "清空"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Assignments(ctx, d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-30 夜班 值班员 a manual", "2026-12-01 白班 值班员 b manual"}
	if !slices.Equal(assignmentStrings(got), want) {
		t.Errorf("Assignments = %v, want %v", assignmentStrings(got), want)
	}
	// The range is inclusive and ordered by date.
	if got, _ := s.Assignments(ctx, d2, d2); len(got) != 1 {
		t.Errorf("Assignments(%s) = %v", d2, got)
	}
}

func testReplaceSlotsAllOrNothing(t *testing.T, s roster.Store) {
	ctx := context.Background()
	seedMembers(t, s, "a")
	d := roster.NewDate(2026, 12, 25)
	slot := roster.Slot{Date: d, Shift: "夜班"}
	ok := []roster.Assignment{{Date: d, Shift: "夜班", Role: roster.RoleOfficer, UserID: "a"}}
	if err := s.ReplaceSlots(ctx, []roster.Slot{slot}, ok, roster.AuditEntry{Actor: "t", Action: "x"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		as   []roster.Assignment
	}{
		{"unknown member", []roster.Assignment{{Date: d, Shift: "夜班", Role: roster.RoleOfficer, UserID: "nobody"}}},
		{"outside the slots", []roster.Assignment{{Date: d, Shift: "白班", Role: roster.RoleOfficer, UserID: "a"}}},
		{"bad role", []roster.Assignment{{Date: d, Shift: "夜班", Role: roster.RoleAdmin, UserID: "a"}}},
	}
	for _, tt := range tests {
		if err := s.ReplaceSlots(ctx, []roster.Slot{slot}, tt.as, roster.AuditEntry{Actor: "t", Action: "bad"}); err == nil {
			t.Errorf("%s: ReplaceSlots succeeded", tt.name)
		}
	}
	got, err := s.Assignments(ctx, d, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-12-25 夜班 值班员 a manual"}; !slices.Equal(assignmentStrings(got), want) {
		t.Errorf("after failed replaces Assignments = %v, want the original %v", assignmentStrings(got), want)
	}
	if audit, _ := s.Audit(ctx, 10); len(audit) != 1 {
		t.Errorf("failed replaces left audit entries: %+v", audit)
	}
}

func testHolidayDays(t *testing.T, s roster.Store) {
	ctx := context.Background()
	d := func(day int) roster.Date { return roster.NewDate(2027, 2, day) }
	set := []roster.HolidayDay{{Date: d(10), Off: true, Name: "春节"}, {Date: d(11), Off: true, Name: "春节"}}
	if err := s.SetHolidayDays(ctx, set, roster.AuditEntry{Actor: "boss", Action: "节假日 设置"}); err != nil {
		t.Fatal(err)
	}
	// Loading the published file never overrides what an admin set.
	file := []roster.HolidayDay{{Date: d(11), Off: false, Name: "文件"}, {Date: d(7), Off: false, Name: "春节"}}
	n, err := s.AddHolidayDaysIfAbsent(ctx, file, roster.AuditEntry{Actor: "system", Action: "加载"})
	if err != nil || n != 1 {
		t.Fatalf("AddHolidayDaysIfAbsent = %d, %v; want 1 added", n, err)
	}
	got, err := s.HolidayDays(ctx, d(1), d(28))
	if err != nil {
		t.Fatal(err)
	}
	want := []roster.HolidayDay{{Date: d(7), Off: false, Name: "春节"}, {Date: d(10), Off: true, Name: "春节"}, {Date: d(11), Off: true, Name: "春节"}}
	if !slices.Equal(got, want) {
		t.Errorf("HolidayDays = %+v, want %+v", got, want)
	}
	// An admin's set replaces.
	if err := s.SetHolidayDays(ctx, []roster.HolidayDay{{Date: d(11), Off: false, Name: "改"}}, roster.AuditEntry{Actor: "boss", Action: "调休"}); err != nil {
		t.Fatal(err)
	}
	n, err = s.DeleteHolidayDays(ctx, d(10), d(11), roster.AuditEntry{Actor: "boss", Action: "节假日 取消"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteHolidayDays = %d, %v; want 2", n, err)
	}
	if got, _ := s.HolidayDays(ctx, d(1), d(28)); !slices.Equal(got, want[:1]) {
		t.Errorf("after delete HolidayDays = %+v, want %+v", got, want[:1])
	}
	audit, err := s.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 4 || audit[0].Action != "节假日 取消" || !strings.Contains(audit[0].Before, "2027-02-11 调休上班 改") {
		t.Errorf("audit = %+v", audit)
	}
}

func testLeaves(t *testing.T, s roster.Store) {
	ctx := context.Background()
	seedMembers(t, s, "a")
	l := roster.Leave{UserID: "a", From: roster.NewDate(2026, 12, 24), To: roster.NewDate(2026, 12, 26), Reason: "病假"}
	id, err := s.AddLeave(ctx, l, roster.AuditEntry{Actor: "boss", Action: "请假 登记"})
	if err != nil || id == 0 {
		t.Fatalf("AddLeave = %d, %v", id, err)
	}
	for _, tt := range []struct {
		from, to roster.Date
		want     int
	}{
		{roster.NewDate(2026, 12, 20), roster.NewDate(2026, 12, 23), 0},
		{roster.NewDate(2026, 12, 20), roster.NewDate(2026, 12, 24), 1},
		{roster.NewDate(2026, 12, 26), roster.NewDate(2026, 12, 31), 1},
		{roster.NewDate(2026, 12, 27), roster.NewDate(2026, 12, 31), 0},
	} {
		got, err := s.Leaves(ctx, tt.from, tt.to)
		if err != nil || len(got) != tt.want {
			t.Errorf("Leaves(%s, %s) = %+v, %v; want %d", tt.from, tt.to, got, err, tt.want)
		}
	}
	bad := roster.Leave{UserID: "a", From: roster.NewDate(2026, 12, 26), To: roster.NewDate(2026, 12, 24)}
	if _, err := s.AddLeave(ctx, bad, roster.AuditEntry{Actor: "boss", Action: "请假 登记"}); err == nil {
		t.Error("AddLeave accepted a leave ending before it starts")
	}
}

func testSentCards(t *testing.T, s roster.Store) {
	ctx := context.Background()
	msgs := []roster.Outgoing{
		{ToUser: "a", Kind: "template_card", Content: "{}", Ref: "E1123-001"},
		{ToUser: "b", Kind: "template_card", Content: "{}", Ref: "E1123-001"},
		{ToUser: "c", Kind: "template_card", Content: "{}", Ref: "E1123-002"},
		{ToUser: "d", Kind: "text", Content: "x", Ref: "E1123-001"},
	}
	if err := s.QueueOutgoing(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingOutgoing(ctx, 0, 10)
	if err != nil || len(pending) != 4 || pending[0].Ref != "E1123-001" {
		t.Fatalf("PendingOutgoing = %+v, %v", pending, err)
	}
	// a and c were sent with codes, b failed, d is text.
	for i, code := range []string{"rc-a", "", "rc-c", ""} {
		o := pending[i]
		o.Status, o.ResponseCode = roster.OutSent, code
		if i == 1 {
			o.Status = roster.OutFailed
		}
		if err := s.MarkOutgoing(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	cards, err := s.SentCards(ctx, "E1123-001")
	if err != nil || len(cards) != 1 || cards[0].ToUser != "a" || cards[0].ResponseCode != "rc-a" {
		t.Fatalf("SentCards = %+v, %v; want a's card only", cards, err)
	}
	if err := s.UseResponseCode(ctx, cards[0].ID); err != nil {
		t.Fatal(err)
	}
	if cards, _ := s.SentCards(ctx, "E1123-001"); len(cards) != 0 {
		t.Fatalf("after use: %+v", cards)
	}
}
