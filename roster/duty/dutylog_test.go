package duty_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
	"dutybot/roster/duty"
)

// logTestStore opens a duty store on a fresh database at 09:00 Shanghai on
// 2026-12-02.
func logTestStore(t *testing.T, backend dbtest.Backend) (*duty.SQLStore, *clock.Fake) {
	t.Helper()
	db, clk := openTestDB(t, backend, time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
	return duty.NewSQLStore(db, clk), clk
}

var (
	logDay   = roster.NewDate(2026, 12, 2)
	dayShift = roster.Slot{Date: logDay, Shift: "白班"}
	nightSh  = roster.Slot{Date: logDay, Shift: "夜班"}
)

func TestLogEntries(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, clk := logTestStore(t, backend)
		call, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogCall, Content: " 市应急局来电 ", Author: "zhangsan"})
		if err != nil {
			t.Fatal(err)
		}
		if call.ID == 0 || call.Content != "市应急局来电" || !call.At.Equal(clk.Now()) || call.Pending {
			t.Errorf("added %+v", call)
		}
		clk.Advance(time.Minute)
		todo, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogTodo, Content: "回复市委办", Author: "zhangsan", Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		if todo.HeldDate != logDay || todo.HeldShift != "白班" || !todo.Open() {
			t.Errorf("pending item %+v: want held by its slot and open", todo)
		}
		fix, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogCall, Content: "省应急厅来电", Author: "lisi", Corrects: call.ID})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.LogEntry(ctx, call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Content != "市应急局来电" || got.CorrectedBy != fix.ID {
			t.Errorf("corrected entry = %+v: want the old content kept and CorrectedBy #%d", got, fix.ID)
		}
		corr, err := st.Corrections(ctx, call.ID)
		if err != nil || len(corr) != 1 || corr[0].ID != fix.ID || corr[0].Corrects != call.ID {
			t.Errorf("Corrections = %+v, %v", corr, err)
		}

		for _, tc := range []struct {
			name string
			e    duty.LogEntry
		}{
			{"bad kind", duty.LogEntry{Kind: "闲聊", Content: "x", Author: "zhangsan"}},
			{"no content", duty.LogEntry{Kind: duty.LogOther, Content: "  ", Author: "zhangsan"}},
			{"no author", duty.LogEntry{Kind: duty.LogOther, Content: "x"}},
			{"pending call", duty.LogEntry{Kind: duty.LogCall, Content: "x", Author: "zhangsan", Pending: true}},
			{"corrects unknown", duty.LogEntry{Kind: duty.LogOther, Content: "x", Author: "zhangsan", Corrects: 999}},
		} {
			if _, err := st.AddLogEntry(ctx, tc.e); err == nil {
				t.Errorf("%s: stored", tc.name)
			}
		}
		if _, err := st.AddLogEntry(ctx, duty.LogEntry{Kind: duty.LogOther, Content: "x", Author: "a", Corrects: 999}); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("correcting #999: %v, want ErrNotFound", err)
		}

		// Listings.
		slot, err := st.LogOfSlot(ctx, dayShift)
		if err != nil || len(slot) != 3 {
			t.Fatalf("LogOfSlot = %d entries, %v; want 3", len(slot), err)
		}
		between, err := st.LogBetween(ctx, call.At, call.At.Add(time.Minute))
		if err != nil || len(between) != 1 || between[0].ID != call.ID {
			t.Errorf("LogBetween first minute = %+v, %v", between, err)
		}
		open, err := st.OpenItems(ctx)
		if err != nil || len(open) != 1 || open[0].ID != todo.ID {
			t.Errorf("OpenItems = %+v, %v", open, err)
		}
	})
}

func TestCloseLogItem(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		st, clk := logTestStore(t, backend)
		todo, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogTodo, Content: "报送值班表", Author: "zhangsan", Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		call, err := st.AddLogEntry(ctx, duty.LogEntry{Date: logDay, Shift: "白班", Kind: duty.LogCall, Content: "来电", Author: "zhangsan"})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		note := duty.LogEntry{Date: logDay, Shift: "白班", Content: "办结 #1：已报送", Author: "zhangsan"}
		closed, err := st.CloseLogItem(ctx, todo.ID, "zhangsan", "已报送", note)
		if err != nil {
			t.Fatal(err)
		}
		if closed.Open() || closed.ClosedBy != "zhangsan" || closed.Result != "已报送" || !closed.ClosedAt.Equal(clk.Now()) {
			t.Errorf("closed = %+v", closed)
		}
		stored, _ := st.LogEntry(ctx, todo.ID)
		if stored.Open() || stored.ClosedBy != "zhangsan" || stored.Content != "报送值班表" {
			t.Errorf("stored after close = %+v", stored)
		}
		entries, _ := st.LogOfSlot(ctx, dayShift)
		if n := len(entries); n != 3 || entries[2].Kind != duty.LogSystem || entries[2].Content != note.Content {
			t.Errorf("log after close = %+v; want the 系统 note last", entries)
		}

		clk.Advance(time.Minute)
		again, err := st.CloseLogItem(ctx, todo.ID, "lisi", "再次", note)
		if !errors.Is(err, duty.ErrAlreadyClosed) || again.ClosedBy != "zhangsan" {
			t.Errorf("second close = %+v, %v; want ErrAlreadyClosed with the first closing", again, err)
		}
		if _, err := st.CloseLogItem(ctx, call.ID, "lisi", "", note); !errors.Is(err, duty.ErrNotPending) {
			t.Errorf("closing a call: %v, want ErrNotPending", err)
		}
		if _, err := st.CloseLogItem(ctx, 999, "lisi", "", note); !errors.Is(err, duty.ErrNotFound) {
			t.Errorf("closing #999: %v, want ErrNotFound", err)
		}
		if entries, _ := st.LogOfSlot(ctx, dayShift); len(entries) != 3 {
			t.Errorf("refused closes wrote notes: %d entries", len(entries))
		}
		if open, _ := st.OpenItems(ctx); len(open) != 0 {
			t.Errorf("open items after close: %+v", open)
		}
	})
}
