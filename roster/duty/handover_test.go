package duty_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dutybot/roster"
	"dutybot/roster/dbtest"
	"dutybot/roster/duty"
)

func TestHandoverConfirm(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, clk := logTestStore(t, backend)
		todo, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogTodo, Content: "回复市委办", Author: "zhangsan", Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		// An item opened before any shift, and one opened after the sheet was
		// composed: both go with the handover.
		loose, err := st.AddLogEntry(ctx, duty.LogEntry{Kind: duty.LogTodo, Content: "核对通讯录", Author: "zhaoliu", Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		h, err := st.CreateHandover(ctx, duty.Handover{Out: dayShift, In: nightSh, From: "zhangsan", To: []string{"lisi", "sunba"},
			Notes: "设备正常", Sheet: "值班交接单"}, []int64{todo.ID, loose.ID}, duty.LogEntry{Date: logDay, Shift: "白班", Content: "交班", Author: "zhangsan"})
		if err != nil {
			t.Fatal(err)
		}
		if h.ID == 0 || h.Status != duty.HandoverPending || !h.HandedAt.Equal(clk.Now()) || len(h.Signatures) != 1 || h.Signatures[0].Role != duty.SignOut {
			t.Errorf("created %+v", h)
		}
		late, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogTodo, Content: "补记", Author: "zhangsan", Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		// A second handover of the slot is refused with the first.
		again, err := st.CreateHandover(ctx, duty.Handover{Out: dayShift, In: nightSh, From: "zhangsan", Sheet: "x"}, nil, duty.LogEntry{})
		if !errors.Is(err, duty.ErrHandoverExists) || again.ID != h.ID {
			t.Errorf("second handover = #%d, %v; want #%d with ErrHandoverExists", again.ID, err, h.ID)
		}
		if un, err := st.UnconfirmedHandovers(ctx); err != nil || len(un) != 1 || un[0].ID != h.ID || !slices.Equal(un[0].To, []string{"lisi", "sunba"}) {
			t.Errorf("UnconfirmedHandovers = %+v, %v", un, err)
		}

		clk.Advance(10 * time.Minute)
		first := clk.Now()
		c, err := st.ConfirmHandover(ctx, h.ID, "lisi", duty.LogEntry{Date: logDay, Shift: "夜班", Content: "李四 接班", Author: "lisi"})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Signed || !c.Confirmed || c.WasEscalated || c.Handover.Status != duty.HandoverConfirmed {
			t.Errorf("first confirmation = %+v", c)
		}
		if want := []int64{todo.ID, loose.ID, late.ID}; !slices.Equal(c.Carried, want) {
			t.Errorf("carried %v, want %v", c.Carried, want)
		}
		for _, id := range c.Carried {
			e, _ := st.LogEntry(ctx, id)
			if e.HeldDate != logDay || e.HeldShift != "夜班" || !e.Open() {
				t.Errorf("#%d held by %s %s, want 夜班 and still open", id, e.HeldDate, e.HeldShift)
			}
		}

		clk.Advance(5 * time.Minute)
		c2, err := st.ConfirmHandover(ctx, h.ID, "sunba", duty.LogEntry{Date: logDay, Shift: "夜班", Content: "孙八 接班", Author: "sunba"})
		if err != nil {
			t.Fatal(err)
		}
		if !c2.Signed || c2.Confirmed || len(c2.Carried) != 0 {
			t.Errorf("second officer's confirmation = %+v; want signed, not the confirming one, nothing carried", c2)
		}
		c3, err := st.ConfirmHandover(ctx, h.ID, "lisi", duty.LogEntry{Date: logDay, Shift: "夜班", Content: "重复", Author: "lisi"})
		if err != nil {
			t.Fatal(err)
		}
		if sig, ok := c3.Handover.SignedIn("lisi"); c3.Signed || !ok || !sig.At.Equal(first) {
			t.Errorf("repeat confirmation = %+v; want not signed again, first signature at %s", c3, first)
		}

		got, err := st.Handover(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, s := range got.Signatures {
			roles = append(roles, s.Role+":"+s.UserID)
		}
		if want := []string{"out:zhangsan", "in:lisi", "in:sunba"}; !slices.Equal(roles, want) {
			t.Errorf("signatures %v, want %v", roles, want)
		}
		if !got.ConfirmedAt.Equal(first) || got.Status != duty.HandoverConfirmed {
			t.Errorf("stored %+v; want confirmed at %s", got, first)
		}
		night, _ := st.LogOfSlot(ctx, nightSh)
		if len(night) != 2 {
			t.Errorf("夜班 log = %+v; want the two 接班 notes (not the repeat)", night)
		}
		if to, err := st.HandoversTo(ctx, nightSh); err != nil || len(to) != 1 || to[0].ID != h.ID || len(to[0].Signatures) != 3 {
			t.Errorf("HandoversTo 夜班 = %+v, %v", to, err)
		}
		if to, err := st.HandoversTo(ctx, dayShift); err != nil || len(to) != 0 {
			t.Errorf("HandoversTo 白班 = %+v, %v; want none", to, err)
		}
		if un, _ := st.UnconfirmedHandovers(ctx); len(un) != 0 {
			t.Errorf("unconfirmed after confirmation: %+v", un)
		}
		if _, err := st.ConfirmHandover(ctx, 999, "lisi", duty.LogEntry{}); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("confirming #999: %v, want ErrNotFound", err)
		}
	})
}

func TestHandoverEscalated(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, _ := logTestStore(t, backend)
		h, err := st.CreateHandover(ctx, duty.Handover{Out: dayShift, In: nightSh, From: "zhangsan", To: []string{"lisi"}, Sheet: "单"}, nil, duty.LogEntry{})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := st.MarkHandoverEscalated(ctx, h.ID); err != nil || ok != want {
				t.Errorf("mark #%d: %v, %v; want %v", i+1, ok, err, want)
			}
		}
		got, err := st.HandoverOf(ctx, dayShift)
		if err != nil || got.Status != duty.HandoverEscalated || got.EscalatedAt.IsZero() {
			t.Errorf("HandoverOf = %+v, %v; want escalated", got, err)
		}
		c, err := st.ConfirmHandover(ctx, h.ID, "lisi", duty.LogEntry{})
		if err != nil || !c.Confirmed || !c.WasEscalated {
			t.Errorf("late confirmation = %+v, %v; want confirmed, was escalated", c, err)
		}
		if ok, _ := st.MarkHandoverEscalated(ctx, h.ID); ok {
			t.Error("a confirmed handover was marked escalated")
		}
		if _, err := st.HandoverOf(ctx, roster.Slot{Date: logDay, Shift: "夜班"}); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("HandoverOf 夜班: %v, want ErrNotFound", err)
		}
	})
}
