package duty_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
	"dutybot/roster/duty"
)

// requestFixture is a store with members 张三 zhangsan, 李四 lisi (officers)
// and 王五 wangwu (leader), and 2026-12-25 白班 张三 + 王五.
type requestFixture struct {
	ctx    context.Context
	db     *roster.SQLStore
	store  *duty.SQLStore
	clk    *clock.Fake
	day    roster.Date
	expiry time.Time
}

func newRequestFixture(t *testing.T, backend dbtest.Backend) *requestFixture {
	t.Helper()
	ctx := context.Background()
	db, clk := openTestDB(t, backend, time.Date(2026, 12, 20, 1, 0, 0, 0, time.UTC),
		roster.Member{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		roster.Member{UserID: "lisi", Name: "李四", Roles: []roster.Role{roster.RoleOfficer}, Active: true},
		roster.Member{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader}, Active: true})
	day := roster.NewDate(2026, 12, 25)
	err := db.ReplaceSlots(ctx, []roster.Slot{{Date: day, Shift: "白班"}}, []roster.Assignment{
		{Date: day, Shift: "白班", Role: roster.RoleLeader, UserID: "wangwu"},
		{Date: day, Shift: "白班", Role: roster.RoleOfficer, UserID: "zhangsan"},
	}, roster.AuditEntry{Actor: "test", Action: "排班 设置"})
	if err != nil {
		t.Fatal(err)
	}
	return &requestFixture{ctx: ctx, db: db, store: duty.NewSQLStore(db, clk), clk: clk, day: day,
		expiry: time.Date(2026, 12, 25, 0, 30, 0, 0, time.UTC)}
}

func (f *requestFixture) swap(t *testing.T) duty.Request {
	t.Helper()
	r, err := f.store.AddRequest(f.ctx, duty.Request{Kind: duty.RequestSwap, Requester: "zhangsan", Counterpart: "lisi",
		Date: f.day, Shift: "白班", Role: roster.RoleOfficer, Reason: "家中有事", Status: duty.RequestAwaitingConsent, ExpiresAt: f.expiry})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *requestFixture) slot(t *testing.T) []string {
	t.Helper()
	as, err := f.db.Assignments(f.ctx, f.day, f.day)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, string(a.Role)+":"+a.UserID+":"+a.Source)
	}
	return out
}

func (f *requestFixture) actions(t *testing.T, id int64) []string {
	t.Helper()
	es, err := f.store.RequestEvents(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Actor+" "+e.Action)
	}
	return out
}

func TestRequestSwapLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		f := newRequestFixture(t, backend)
		r := f.swap(t)
		if r.ID == 0 || r.Status != duty.RequestAwaitingConsent || !r.Open() {
			t.Fatalf("added %+v", r)
		}
		got, err := f.store.Request(f.ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Counterpart != "lisi" || got.Date != f.day || got.Role != roster.RoleOfficer || !got.ExpiresAt.Equal(f.expiry) || got.NeedsAdmin {
			t.Errorf("stored %+v", got)
		}

		// Approving before consent does nothing.
		if _, ok, err := f.store.ApproveSwap(f.ctx, r.ID, "wangwu", ""); err != nil || ok {
			t.Fatalf("ApproveSwap before consent = %v, %v; want false, nil", ok, err)
		}
		f.clk.Advance(time.Minute)
		r, ok, err := f.store.ConsentRequest(f.ctx, r.ID, "lisi", true)
		if err != nil || !ok {
			t.Fatalf("ConsentRequest = %v, %v", ok, err)
		}
		if r.Status != duty.RequestAwaitingApproval || !r.NeedsAdmin || r.ConsentAt.IsZero() {
			t.Errorf("after consent %+v", r)
		}
		if _, ok, err := f.store.ConsentRequest(f.ctx, r.ID, "lisi", false); err != nil || ok {
			t.Errorf("second consent = %v, %v; want false, nil", ok, err)
		}

		r, ok, err = f.store.ApproveSwap(f.ctx, r.ID, "wangwu", "同意")
		if err != nil || !ok {
			t.Fatalf("ApproveSwap = %v, %v", ok, err)
		}
		if r.Status != duty.RequestApproved || r.DecidedBy != "wangwu" || r.DecidedAt.IsZero() || r.Note != "同意" {
			t.Errorf("after approval %+v", r)
		}
		if got, want := f.slot(t), []string{"leader:wangwu:manual", "officer:lisi:swap"}; !slices.Equal(got, want) {
			t.Errorf("slot after approval = %v, want %v", got, want)
		}
		audit, err := f.db.Audit(f.ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 || audit[0].Action != "换班 批准" || audit[0].Actor != "wangwu" ||
			!strings.Contains(audit[0].Before, "zhangsan") || !strings.Contains(audit[0].After, "lisi") || strings.Contains(audit[0].After, "zhangsan") {
			t.Errorf("audit = %+v", audit)
		}
		if got, want := f.actions(t, r.ID), []string{"zhangsan created", "lisi consented", "wangwu approved"}; !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
		// A second approval changes nothing.
		if _, ok, err := f.store.ApproveSwap(f.ctx, r.ID, "wangwu", ""); err != nil || ok {
			t.Errorf("second ApproveSwap = %v, %v; want false, nil", ok, err)
		}
		if n := len(f.actions(t, r.ID)); n != 3 {
			t.Errorf("%d events after a second approval, want 3", n)
		}
	})
}

func TestRequestApproveSwapSlotChanged(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		f := newRequestFixture(t, backend)
		r := f.swap(t)
		if _, _, err := f.store.ConsentRequest(f.ctx, r.ID, "lisi", false); err != nil {
			t.Fatal(err)
		}
		// The admin took 张三 off the shift meanwhile.
		err := f.db.ReplaceSlots(f.ctx, []roster.Slot{{Date: f.day, Shift: "白班"}}, []roster.Assignment{
			{Date: f.day, Shift: "白班", Role: roster.RoleLeader, UserID: "wangwu"},
		}, roster.AuditEntry{Actor: "test", Action: "排班 清空"})
		if err != nil {
			t.Fatal(err)
		}
		_, ok, err := f.store.ApproveSwap(f.ctx, r.ID, "wangwu", "")
		if !errors.Is(err, duty.ErrSlotChanged) || ok {
			t.Fatalf("ApproveSwap = %v, %v; want ErrSlotChanged", ok, err)
		}
		got, err := f.store.Request(f.ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != duty.RequestAwaitingApproval {
			t.Errorf("status %s after a failed approval, want it unchanged", got.Status)
		}
		if slot := f.slot(t); !slices.Equal(slot, []string{"leader:wangwu:manual"}) {
			t.Errorf("slot = %v; a failed approval changed it", slot)
		}
	})
}

func TestRequestClose(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		f := newRequestFixture(t, backend)
		r := f.swap(t)
		// Wrong from: nothing happens.
		if _, ok, err := f.store.CloseRequest(f.ctx, r.ID, duty.RequestAwaitingApproval, duty.RequestRejected, "wangwu", ""); err != nil || ok {
			t.Errorf("close from the wrong status = %v, %v; want false, nil", ok, err)
		}
		if _, _, err := f.store.CloseRequest(f.ctx, r.ID, duty.RequestAwaitingConsent, duty.RequestApproved, "x", ""); err == nil {
			t.Error("CloseRequest to approved accepted")
		}
		r, ok, err := f.store.CloseRequest(f.ctx, r.ID, duty.RequestAwaitingConsent, duty.RequestDeclined, "lisi", "那天有事")
		if err != nil || !ok {
			t.Fatalf("decline = %v, %v", ok, err)
		}
		if r.Status != duty.RequestDeclined || r.DecidedBy != "lisi" || r.Note != "那天有事" || r.Open() {
			t.Errorf("after decline %+v", r)
		}
		if _, ok, _ := f.store.ConsentRequest(f.ctx, r.ID, "lisi", false); ok {
			t.Error("consent after decline accepted")
		}
		if got, want := f.actions(t, r.ID), []string{"zhangsan created", "lisi declined"}; !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
		if _, err := f.store.Request(f.ctx, 999); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("Request(999) = %v, want ErrNotFound", err)
		}
	})
}

func TestRequestLeave(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		f := newRequestFixture(t, backend)
		r, err := f.store.AddRequest(f.ctx, duty.Request{Kind: duty.RequestLeave, Requester: "zhangsan",
			From: f.day, To: f.day.AddDays(2), Reason: "病假", Status: duty.RequestAwaitingApproval, NeedsAdmin: true, ExpiresAt: f.expiry})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := f.store.ApproveSwap(f.ctx, r.ID, "zhaoliu", ""); err != nil || ok {
			t.Errorf("ApproveSwap of a leave = %v, %v; want false, nil", ok, err)
		}
		r, ok, err := f.store.ApproveLeave(f.ctx, r.ID, "zhaoliu", "")
		if err != nil || !ok {
			t.Fatalf("ApproveLeave = %v, %v", ok, err)
		}
		if r.Status != duty.RequestApproved || r.LeaveID == 0 {
			t.Errorf("after approval %+v", r)
		}
		leaves, err := f.db.Leaves(f.ctx, f.day.AddDays(1), f.day.AddDays(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(leaves) != 1 || leaves[0].ID != r.LeaveID || leaves[0].UserID != "zhangsan" || leaves[0].To != f.day.AddDays(2) || leaves[0].Reason != "病假" {
			t.Errorf("leaves = %+v", leaves)
		}
		audit, err := f.db.Audit(f.ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 || audit[0].Action != "请假 批准" || !strings.Contains(audit[0].After, "zhangsan 2026-12-25..2026-12-27") {
			t.Errorf("audit = %+v", audit)
		}
		if _, ok, err := f.store.ApproveLeave(f.ctx, r.ID, "zhaoliu", ""); err != nil || ok {
			t.Errorf("second ApproveLeave = %v, %v; want false, nil", ok, err)
		}
		if leaves, _ := f.db.Leaves(f.ctx, f.day, f.day); len(leaves) != 1 {
			t.Errorf("%d leaves after a second approval, want 1", len(leaves))
		}
	})
}

func TestRequestsFilter(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		f := newRequestFixture(t, backend)
		a := f.swap(t)
		b, err := f.store.AddRequest(f.ctx, duty.Request{Kind: duty.RequestLeave, Requester: "wangwu",
			From: f.day, To: f.day, Status: duty.RequestAwaitingApproval, ExpiresAt: f.expiry})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.store.CloseRequest(f.ctx, b.ID, duty.RequestAwaitingApproval, duty.RequestCancelled, "wangwu", ""); err != nil {
			t.Fatal(err)
		}
		ids := func(fl duty.RequestFilter) []int64 {
			rs, err := f.store.Requests(f.ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    duty.RequestFilter
			want []int64
		}{
			{"all, newest first", duty.RequestFilter{}, []int64{b.ID, a.ID}},
			{"counterpart", duty.RequestFilter{UserID: "lisi"}, []int64{a.ID}},
			{"requester", duty.RequestFilter{UserID: "wangwu"}, []int64{b.ID}},
			{"open", duty.RequestFilter{Statuses: duty.OpenRequestStatuses()}, []int64{a.ID}},
			{"kind", duty.RequestFilter{Kind: duty.RequestLeave}, []int64{b.ID}},
			{"limit", duty.RequestFilter{Limit: 1}, []int64{b.ID}},
			{"nobody", duty.RequestFilter{UserID: "zhaoliu"}, nil},
		} {
			if got := ids(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}

func TestAddRequestRejectsBadRequests(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		f := newRequestFixture(t, backend)
		ok := duty.Request{Kind: duty.RequestSwap, Requester: "zhangsan", Counterpart: "lisi", Date: f.day, Shift: "白班",
			Role: roster.RoleOfficer, Status: duty.RequestAwaitingConsent, ExpiresAt: f.expiry}
		for _, tc := range []struct {
			name   string
			change func(r *duty.Request)
		}{
			{"kind", func(r *duty.Request) { r.Kind = "trade" }},
			{"requester", func(r *duty.Request) { r.Requester = "" }},
			{"closed status", func(r *duty.Request) { r.Status = duty.RequestApproved }},
			{"no expiry", func(r *duty.Request) { r.ExpiresAt = time.Time{} }},
			{"swap without counterpart", func(r *duty.Request) { r.Counterpart = "" }},
			{"leave backwards", func(r *duty.Request) {
				r.Kind, r.From, r.To = duty.RequestLeave, f.day, f.day.AddDays(-1)
			}},
		} {
			r := ok
			tc.change(&r)
			if _, err := f.store.AddRequest(f.ctx, r); err == nil {
				t.Errorf("%s: accepted", tc.name)
			}
		}
		if rs, _ := f.store.Requests(f.ctx, duty.RequestFilter{}); len(rs) != 0 {
			t.Errorf("%d requests stored from bad input", len(rs))
		}
	})
}
