// Package storetest checks that a roster.Store behaves as its interfaces
// promise. Every store implementation runs the same suite:
//
//	func TestSQLStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) roster.Store { ... })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"dutybot/roster"
)

// Run runs the conformance suite. open must return a new, empty store for
// each subtest; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) roster.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s roster.Store)
	}{
		{"Ping", testPing},
		{"SaveReceivedRoundTrip", testSaveReceivedRoundTrip},
		{"SaveReceivedDedup", testSaveReceivedDedup},
		{"SaveReceivedEmptyKey", testSaveReceivedEmptyKey},
		{"SaveReceivedConcurrent", testSaveReceivedConcurrent},
		{"UnprocessedOrderAndLimit", testUnprocessedOrderAndLimit},
		{"CompleteReceivedQueuesRepliesOnce", testCompleteReceivedQueuesRepliesOnce},
		{"CompleteReceivedNoReplies", testCompleteReceivedNoReplies},
		{"CompleteReceivedNotFound", testCompleteReceivedNotFound},
		{"CompleteReceivedAllOrNothing", testCompleteReceivedAllOrNothing},
		{"QueueOutgoingAndPending", testQueueOutgoingAndPending},
		{"QueueOutgoingAllOrNothing", testQueueOutgoingAllOrNothing},
		{"MarkOutgoing", testMarkOutgoing},
		{"MarkOutgoingNotFound", testMarkOutgoingNotFound},
		{"MemberNotFound", testMemberNotFound},
		{"UpsertMemberRoundTrip", testUpsertMemberRoundTrip},
		{"UpsertMemberReplaces", testUpsertMemberReplaces},
		{"UpsertMemberRejectsUnknownRole", testUpsertMemberRejectsUnknownRole},
		{"MembersOrdered", testMembersOrdered},
		{"GrantRoleCreatesMember", testGrantRoleCreatesMember},
		{"GrantRoleIdempotent", testGrantRoleIdempotent},
		{"GrantRoleKeepsExistingMember", testGrantRoleKeepsExistingMember},
	}
	tests = append(tests, memberSyncTests()...)
	tests = append(tests, scheduleTests()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// received returns a callback with the given dedup key and some content.
func received(key string) *roster.Received {
	return &roster.Received{
		DedupKey:   key,
		FromUser:   "zhangsan",
		MsgType:    "text",
		Content:    "签到 " + key,
		Raw:        []byte("<xml><MsgId>" + key + "</MsgId></xml>"),
		ReceivedAt: time.Date(2025, 3, 1, 8, 0, 0, 123456789, time.UTC),
	}
}

// save stores a new callback with the given key and returns its id.
func save(t *testing.T, s roster.Store, key string) int64 {
	t.Helper()
	r := received(key)
	isNew, err := s.SaveReceived(context.Background(), r)
	if err != nil {
		t.Fatalf("SaveReceived(%q): %v", key, err)
	}
	if !isNew {
		t.Fatalf("SaveReceived(%q): isNew = false, want true", key)
	}
	return r.ID
}

func countReceived(t *testing.T, s roster.Store) int {
	t.Helper()
	n, err := s.CountReceived(context.Background())
	if err != nil {
		t.Fatalf("CountReceived: %v", err)
	}
	return n
}

func countOutgoing(t *testing.T, s roster.Store) int {
	t.Helper()
	n, err := s.CountOutgoing(context.Background())
	if err != nil {
		t.Fatalf("CountOutgoing: %v", err)
	}
	return n
}

func unprocessed(t *testing.T, s roster.Store, limit int) []roster.Received {
	t.Helper()
	rs, err := s.Unprocessed(context.Background(), limit)
	if err != nil {
		t.Fatalf("Unprocessed(%d): %v", limit, err)
	}
	return rs
}

func pending(t *testing.T, s roster.Store, limit int) []roster.Outgoing {
	t.Helper()
	out, err := s.PendingOutgoing(context.Background(), 0, limit)
	if err != nil {
		t.Fatalf("PendingOutgoing(%d): %v", limit, err)
	}
	return out
}

func member(t *testing.T, s roster.Store, userID string) roster.Member {
	t.Helper()
	m, err := s.Member(context.Background(), userID)
	if err != nil {
		t.Fatalf("Member(%q): %v", userID, err)
	}
	return m
}

func receivedIDs(rs []roster.Received) []int64 {
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func outgoingIDs(out []roster.Outgoing) []int64 {
	var ids []int64
	for _, o := range out {
		ids = append(ids, o.ID)
	}
	return ids
}

func reply(to, content string) roster.Outgoing {
	return roster.Outgoing{ToUser: to, Kind: "text", Content: content}
}

func testPing(t *testing.T, s roster.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testSaveReceivedRoundTrip(t *testing.T, s roster.Store) {
	ctx := context.Background()
	want := received("msg:1")
	want.Event = "click"
	isNew, err := s.SaveReceived(ctx, want)
	if err != nil || !isNew {
		t.Fatalf("SaveReceived = %v, %v; want true, nil", isNew, err)
	}
	if want.ID == 0 {
		t.Fatal("SaveReceived did not set ID")
	}
	rs := unprocessed(t, s, 10)
	if len(rs) != 1 {
		t.Fatalf("Unprocessed: got %d messages, want 1", len(rs))
	}
	got := rs[0]
	if got.ID != want.ID || got.DedupKey != want.DedupKey || got.FromUser != want.FromUser ||
		got.MsgType != want.MsgType || got.Event != want.Event || got.Content != want.Content ||
		!bytes.Equal(got.Raw, want.Raw) || got.Processed {
		t.Errorf("Unprocessed()[0] = %+v, want %+v", got, *want)
	}
	if !got.ReceivedAt.Equal(want.ReceivedAt) {
		t.Errorf("ReceivedAt = %v, want %v", got.ReceivedAt, want.ReceivedAt)
	}
	if got.ReceivedAt.Location() != time.UTC {
		t.Errorf("ReceivedAt location = %v, want UTC", got.ReceivedAt.Location())
	}

	// A zero ReceivedAt is filled in by the store.
	r := received("msg:2")
	r.ReceivedAt = time.Time{}
	if _, err := s.SaveReceived(ctx, r); err != nil {
		t.Fatalf("SaveReceived: %v", err)
	}
	rs = unprocessed(t, s, 10)
	if len(rs) != 2 || rs[1].ReceivedAt.IsZero() {
		t.Errorf("Unprocessed = %+v, want a second message with a ReceivedAt", rs)
	}
}

func testSaveReceivedDedup(t *testing.T, s roster.Store) {
	ctx := context.Background()
	first := save(t, s, "msg:42")

	dup := received("msg:42")
	dup.Content = "a retry with other content"
	isNew, err := s.SaveReceived(ctx, dup)
	if err != nil {
		t.Fatalf("SaveReceived(duplicate): %v", err)
	}
	if isNew {
		t.Error("SaveReceived(duplicate): isNew = true, want false")
	}
	if dup.ID != 0 {
		t.Errorf("SaveReceived(duplicate) set ID = %d, want it left 0", dup.ID)
	}
	if n := countReceived(t, s); n != 1 {
		t.Errorf("CountReceived = %d, want 1", n)
	}
	rs := unprocessed(t, s, 10)
	if len(rs) != 1 || rs[0].ID != first || rs[0].Content != received("msg:42").Content {
		t.Errorf("Unprocessed = %+v, want only the first message", rs)
	}

	// Still a duplicate once the first is processed.
	if _, err := s.CompleteReceived(ctx, first, nil); err != nil {
		t.Fatalf("CompleteReceived: %v", err)
	}
	isNew, err = s.SaveReceived(ctx, received("msg:42"))
	if err != nil || isNew {
		t.Errorf("SaveReceived(duplicate of processed) = %v, %v; want false, nil", isNew, err)
	}
	if n := countReceived(t, s); n != 1 {
		t.Errorf("CountReceived = %d, want 1", n)
	}
}

func testSaveReceivedEmptyKey(t *testing.T, s roster.Store) {
	r := received("")
	if _, err := s.SaveReceived(context.Background(), r); err == nil {
		t.Error("SaveReceived with an empty DedupKey succeeded, want an error")
	}
	if n := countReceived(t, s); n != 0 {
		t.Errorf("CountReceived = %d, want 0", n)
	}
}

func testSaveReceivedConcurrent(t *testing.T, s roster.Store) {
	const workers = 20
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
		errs  []error
	)
	start := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			isNew, err := s.SaveReceived(context.Background(), received("msg:same"))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if isNew {
				fresh++
			}
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("SaveReceived: %v", err)
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent SaveReceived calls reported isNew, want exactly 1", fresh, workers)
	}
	if n := countReceived(t, s); n != 1 {
		t.Errorf("CountReceived = %d, want 1", n)
	}
}

func testUnprocessedOrderAndLimit(t *testing.T, s roster.Store) {
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		ids = append(ids, save(t, s, fmt.Sprintf("msg:%d", i)))
	}
	if got := receivedIDs(unprocessed(t, s, 3)); !slices.Equal(got, ids[:3]) {
		t.Errorf("Unprocessed(3) ids = %v, want %v", got, ids[:3])
	}
	if _, err := s.CompleteReceived(ctx, ids[1], nil); err != nil {
		t.Fatalf("CompleteReceived: %v", err)
	}
	want := []int64{ids[0], ids[2], ids[3], ids[4]}
	if got := receivedIDs(unprocessed(t, s, 10)); !slices.Equal(got, want) {
		t.Errorf("Unprocessed(10) ids = %v, want %v", got, want)
	}
}

func testCompleteReceivedQueuesRepliesOnce(t *testing.T, s roster.Store) {
	ctx := context.Background()
	id := save(t, s, "msg:1")
	replies := []roster.Outgoing{reply("zhangsan", "已签到"), reply("lisi", "张三已签到")}

	done, err := s.CompleteReceived(ctx, id, replies)
	if err != nil || !done {
		t.Fatalf("CompleteReceived = %v, %v; want true, nil", done, err)
	}
	if rs := unprocessed(t, s, 10); len(rs) != 0 {
		t.Errorf("Unprocessed after completion = %+v, want none", rs)
	}
	out := pending(t, s, 10)
	if len(out) != 2 {
		t.Fatalf("PendingOutgoing: got %d messages, want 2", len(out))
	}
	for i, o := range out {
		w := replies[i]
		if o.ID == 0 || o.ReplyTo != id || o.ToUser != w.ToUser || o.Kind != w.Kind || o.Content != w.Content ||
			o.Status != roster.OutPending || o.Attempts != 0 || o.LastError != "" || o.WeComID != "" {
			t.Errorf("PendingOutgoing()[%d] = %+v, want reply %d to %d, pending", i, o, i, id)
		}
		if o.CreatedAt.IsZero() || o.UpdatedAt.Before(o.CreatedAt) || o.CreatedAt.Location() != time.UTC {
			t.Errorf("PendingOutgoing()[%d] times = %v, %v; want set, UTC and in order", i, o.CreatedAt, o.UpdatedAt)
		}
	}

	done, err = s.CompleteReceived(ctx, id, replies)
	if err != nil || done {
		t.Errorf("second CompleteReceived = %v, %v; want false, nil", done, err)
	}
	if n := countOutgoing(t, s); n != 2 {
		t.Errorf("CountOutgoing after second completion = %d, want 2", n)
	}
}

func testCompleteReceivedNoReplies(t *testing.T, s roster.Store) {
	id := save(t, s, "msg:1")
	done, err := s.CompleteReceived(context.Background(), id, nil)
	if err != nil || !done {
		t.Fatalf("CompleteReceived = %v, %v; want true, nil", done, err)
	}
	if rs := unprocessed(t, s, 10); len(rs) != 0 {
		t.Errorf("Unprocessed = %+v, want none", rs)
	}
	if n := countOutgoing(t, s); n != 0 {
		t.Errorf("CountOutgoing = %d, want 0", n)
	}
}

func testCompleteReceivedNotFound(t *testing.T, s roster.Store) {
	id := save(t, s, "msg:1")
	done, err := s.CompleteReceived(context.Background(), id+1000, []roster.Outgoing{reply("zhangsan", "x")})
	if !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("CompleteReceived(unknown id) error = %v, want ErrNotFound", err)
	}
	if done {
		t.Error("CompleteReceived(unknown id) done = true")
	}
	if n := countOutgoing(t, s); n != 0 {
		t.Errorf("CountOutgoing = %d, want 0", n)
	}
}

// testCompleteReceivedAllOrNothing checks that a reply the store refuses
// leaves the callback unprocessed and queues none of the replies.
func testCompleteReceivedAllOrNothing(t *testing.T, s roster.Store) {
	id := save(t, s, "msg:1")
	replies := []roster.Outgoing{reply("zhangsan", "ok"), {Kind: "text", Content: "no recipient"}}
	if _, err := s.CompleteReceived(context.Background(), id, replies); err == nil {
		t.Fatal("CompleteReceived with a reply lacking ToUser succeeded, want an error")
	}
	if got := receivedIDs(unprocessed(t, s, 10)); !slices.Equal(got, []int64{id}) {
		t.Errorf("Unprocessed ids = %v, want [%d]", got, id)
	}
	if n := countOutgoing(t, s); n != 0 {
		t.Errorf("CountOutgoing = %d, want 0", n)
	}
	done, err := s.CompleteReceived(context.Background(), id, replies[:1])
	if err != nil || !done {
		t.Errorf("CompleteReceived after the failure = %v, %v; want true, nil", done, err)
	}
}

func testQueueOutgoingAndPending(t *testing.T, s roster.Store) {
	ctx := context.Background()
	if err := s.QueueOutgoing(ctx, nil); err != nil {
		t.Fatalf("QueueOutgoing(nil): %v", err)
	}
	msgs := []roster.Outgoing{
		reply("zhangsan", "请于 08:50 前签到"),
		{ToUser: "lisi", Kind: "markdown", Content: "**查岗**", Status: roster.OutSent, Attempts: 7},
		reply("wangwu", "交班提醒"),
	}
	if err := s.QueueOutgoing(ctx, msgs); err != nil {
		t.Fatalf("QueueOutgoing: %v", err)
	}
	all := pending(t, s, 10)
	if len(all) != 3 {
		t.Fatalf("PendingOutgoing: got %d messages, want 3", len(all))
	}
	for i, o := range all {
		w := msgs[i]
		if o.ToUser != w.ToUser || o.Kind != w.Kind || o.Content != w.Content || o.ReplyTo != 0 ||
			o.Status != roster.OutPending || o.Attempts != 0 {
			t.Errorf("PendingOutgoing()[%d] = %+v, want %+v queued as pending", i, o, w)
		}
		if i > 0 && o.ID <= all[i-1].ID {
			t.Errorf("PendingOutgoing ids %v are not oldest first", outgoingIDs(all))
		}
	}
	if got := outgoingIDs(pending(t, s, 2)); !slices.Equal(got, outgoingIDs(all)[:2]) {
		t.Errorf("PendingOutgoing(2) ids = %v, want %v", got, outgoingIDs(all)[:2])
	}
	// Paging: after the first id come the other two.
	next, err := s.PendingOutgoing(ctx, all[0].ID, 10)
	if err != nil {
		t.Fatalf("PendingOutgoing after %d: %v", all[0].ID, err)
	}
	if got := outgoingIDs(next); !slices.Equal(got, outgoingIDs(all)[1:]) {
		t.Errorf("PendingOutgoing(after %d) ids = %v, want %v", all[0].ID, got, outgoingIDs(all)[1:])
	}
	if n := countOutgoing(t, s); n != 3 {
		t.Errorf("CountOutgoing = %d, want 3", n)
	}
}

func testQueueOutgoingAllOrNothing(t *testing.T, s roster.Store) {
	msgs := []roster.Outgoing{reply("zhangsan", "ok"), {ToUser: "lisi", Content: "no kind"}}
	if err := s.QueueOutgoing(context.Background(), msgs); err == nil {
		t.Fatal("QueueOutgoing with a message lacking Kind succeeded, want an error")
	}
	if n := countOutgoing(t, s); n != 0 {
		t.Errorf("CountOutgoing = %d, want 0", n)
	}
}

func testMarkOutgoing(t *testing.T, s roster.Store) {
	ctx := context.Background()
	msgs := []roster.Outgoing{reply("zhangsan", "one"), reply("lisi", "two"), reply("wangwu", "three")}
	if err := s.QueueOutgoing(ctx, msgs); err != nil {
		t.Fatalf("QueueOutgoing: %v", err)
	}
	out := pending(t, s, 10)

	// A failed attempt that will be retried stays pending, with its record.
	retry := out[0]
	retry.Attempts = 1
	retry.LastError = "errcode 45009: api freq out of limit"
	if err := s.MarkOutgoing(ctx, retry); err != nil {
		t.Fatalf("MarkOutgoing(retry): %v", err)
	}
	sent := out[1]
	sent.Status, sent.Attempts, sent.WeComID = roster.OutSent, 1, "wecom-msgid-1"
	if err := s.MarkOutgoing(ctx, sent); err != nil {
		t.Fatalf("MarkOutgoing(sent): %v", err)
	}
	failed := out[2]
	failed.Status, failed.Attempts, failed.LastError = roster.OutFailed, 5, "errcode 81013: user not found"
	if err := s.MarkOutgoing(ctx, failed); err != nil {
		t.Fatalf("MarkOutgoing(failed): %v", err)
	}

	got := pending(t, s, 10)
	if len(got) != 1 {
		t.Fatalf("PendingOutgoing = %+v, want only message %d", got, retry.ID)
	}
	g := got[0]
	if g.ID != retry.ID || g.Status != roster.OutPending || g.Attempts != 1 || g.LastError != retry.LastError || g.WeComID != "" {
		t.Errorf("PendingOutgoing()[0] = %+v, want %+v", g, retry)
	}
	if g.UpdatedAt.Before(g.CreatedAt) {
		t.Errorf("UpdatedAt %v is before CreatedAt %v", g.UpdatedAt, g.CreatedAt)
	}
	if n := countOutgoing(t, s); n != 3 {
		t.Errorf("CountOutgoing = %d, want 3", n)
	}

	// Back to pending (an operator's resend) lists it again, in id order.
	sent.Status = roster.OutPending
	if err := s.MarkOutgoing(ctx, sent); err != nil {
		t.Fatalf("MarkOutgoing(pending again): %v", err)
	}
	if ids := outgoingIDs(pending(t, s, 10)); !slices.Equal(ids, []int64{retry.ID, sent.ID}) {
		t.Errorf("PendingOutgoing ids = %v, want %v", ids, []int64{retry.ID, sent.ID})
	}
}

func testMarkOutgoingNotFound(t *testing.T, s roster.Store) {
	err := s.MarkOutgoing(context.Background(), roster.Outgoing{ID: 12345, Status: roster.OutSent, Attempts: 1})
	if !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("MarkOutgoing(unknown id) error = %v, want ErrNotFound", err)
	}
}

func testMemberNotFound(t *testing.T, s roster.Store) {
	_, err := s.Member(context.Background(), "nobody")
	if !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("Member(nobody) error = %v, want ErrNotFound", err)
	}
}

func testUpsertMemberRoundTrip(t *testing.T, s roster.Store) {
	want := roster.Member{
		UserID:     "zhangsan",
		Name:       "张三",
		Mobile:     "13800000000",
		Department: "值班室",
		Roles:      []roster.Role{roster.RoleAdmin, roster.RoleOfficer, roster.RoleAdmin},
		Active:     true,
	}
	if err := s.UpsertMember(context.Background(), want); err != nil {
		t.Fatalf("UpsertMember: %v", err)
	}
	got := member(t, s, "zhangsan")
	if got.UserID != want.UserID || got.Name != want.Name || got.Mobile != want.Mobile ||
		got.Department != want.Department || got.Active != want.Active {
		t.Errorf("Member = %+v, want %+v", got, want)
	}
	// Roles come back once each, in the order of AllRoles.
	if wantRoles := []roster.Role{roster.RoleOfficer, roster.RoleAdmin}; !slices.Equal(got.Roles, wantRoles) {
		t.Errorf("Roles = %v, want %v", got.Roles, wantRoles)
	}
	if got.CreatedAt.IsZero() || got.UpdatedAt.Before(got.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("times = %v, %v; want set, UTC and in order", got.CreatedAt, got.UpdatedAt)
	}
}

func testUpsertMemberReplaces(t *testing.T, s roster.Store) {
	ctx := context.Background()
	first := roster.Member{
		UserID: "lisi", Name: "李四", Mobile: "13900000000", Department: "办公室",
		Roles: []roster.Role{roster.RoleOfficer, roster.RoleLeader}, Active: true,
	}
	if err := s.UpsertMember(ctx, first); err != nil {
		t.Fatalf("UpsertMember: %v", err)
	}
	created := member(t, s, "lisi").CreatedAt

	second := roster.Member{UserID: "lisi", Name: "李四（调离）", Roles: []roster.Role{roster.RoleLeader}, Active: false}
	if err := s.UpsertMember(ctx, second); err != nil {
		t.Fatalf("UpsertMember(replace): %v", err)
	}
	got := member(t, s, "lisi")
	if got.Name != second.Name || got.Mobile != "" || got.Department != "" || got.Active {
		t.Errorf("Member after replace = %+v, want %+v", got, second)
	}
	if !slices.Equal(got.Roles, []roster.Role{roster.RoleLeader}) {
		t.Errorf("Roles after replace = %v, want [leader]", got.Roles)
	}
	if !got.CreatedAt.Equal(created) {
		t.Errorf("CreatedAt changed from %v to %v", created, got.CreatedAt)
	}

	third := second
	third.Roles = nil
	if err := s.UpsertMember(ctx, third); err != nil {
		t.Fatalf("UpsertMember(no roles): %v", err)
	}
	if got := member(t, s, "lisi"); len(got.Roles) != 0 {
		t.Errorf("Roles after replace with none = %v, want none", got.Roles)
	}
}

func testUpsertMemberRejectsUnknownRole(t *testing.T, s roster.Store) {
	m := roster.Member{UserID: "zhaoliu", Name: "赵六", Roles: []roster.Role{"janitor"}, Active: true}
	if err := s.UpsertMember(context.Background(), m); err == nil {
		t.Error("UpsertMember with an unknown role succeeded, want an error")
	}
	if _, err := s.Member(context.Background(), "zhaoliu"); !errors.Is(err, roster.ErrNotFound) {
		t.Errorf("Member after rejected upsert: error = %v, want ErrNotFound", err)
	}
}

func testMembersOrdered(t *testing.T, s roster.Store) {
	ctx := context.Background()
	ms, err := s.Members(ctx)
	if err != nil {
		t.Fatalf("Members (empty): %v", err)
	}
	if len(ms) != 0 {
		t.Errorf("Members of an empty store = %+v, want none", ms)
	}
	for _, m := range []roster.Member{
		{UserID: "wangwu", Name: "王五", Roles: []roster.Role{roster.RoleLeader, roster.RoleOfficer}, Active: true},
		{UserID: "lisi", Name: "李四", Active: false},
		{UserID: "zhangsan", Name: "张三", Roles: []roster.Role{roster.RoleAdmin}, Active: true},
	} {
		if err := s.UpsertMember(ctx, m); err != nil {
			t.Fatalf("UpsertMember(%s): %v", m.UserID, err)
		}
	}
	ms, err = s.Members(ctx)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.UserID)
	}
	if want := []string{"lisi", "wangwu", "zhangsan"}; !slices.Equal(ids, want) {
		t.Fatalf("Members userids = %v, want %v", ids, want)
	}
	if ms[0].Active || len(ms[0].Roles) != 0 {
		t.Errorf("lisi = %+v, want inactive with no roles", ms[0])
	}
	if want := []roster.Role{roster.RoleOfficer, roster.RoleLeader}; !slices.Equal(ms[1].Roles, want) {
		t.Errorf("wangwu roles = %v, want %v", ms[1].Roles, want)
	}
	if want := []roster.Role{roster.RoleAdmin}; !slices.Equal(ms[2].Roles, want) {
		t.Errorf("zhangsan roles = %v, want %v", ms[2].Roles, want)
	}
}

func testGrantRoleCreatesMember(t *testing.T, s roster.Store) {
	if err := s.GrantRole(context.Background(), "newbie", roster.RoleOfficer); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	got := member(t, s, "newbie")
	if got.Name != "newbie" || !got.Active || !slices.Equal(got.Roles, []roster.Role{roster.RoleOfficer}) {
		t.Errorf("Member after GrantRole = %+v, want active, named newbie, officer", got)
	}
	if got.CreatedAt.IsZero() {
		t.Error("CreatedAt not set")
	}
}

func testGrantRoleIdempotent(t *testing.T, s roster.Store) {
	ctx := context.Background()
	if err := s.GrantRole(ctx, "zhangsan", roster.RoleAdmin); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	before := member(t, s, "zhangsan")
	if err := s.GrantRole(ctx, "zhangsan", roster.RoleAdmin); err != nil {
		t.Fatalf("GrantRole again: %v", err)
	}
	after := member(t, s, "zhangsan")
	if !slices.Equal(after.Roles, before.Roles) || !after.UpdatedAt.Equal(before.UpdatedAt) || after.Name != before.Name {
		t.Errorf("granting a held role changed %+v into %+v", before, after)
	}
	ms, err := s.Members(ctx)
	if err != nil || len(ms) != 1 {
		t.Errorf("Members = %+v, %v; want one member", ms, err)
	}

	if err := s.GrantRole(ctx, "zhangsan", roster.RoleOfficer); err != nil {
		t.Fatalf("GrantRole(officer): %v", err)
	}
	if got := member(t, s, "zhangsan").Roles; !slices.Equal(got, []roster.Role{roster.RoleOfficer, roster.RoleAdmin}) {
		t.Errorf("Roles = %v, want [officer admin]", got)
	}
	if err := s.GrantRole(ctx, "zhangsan", "janitor"); err == nil {
		t.Error("GrantRole(unknown role) succeeded, want an error")
	}
}

func testGrantRoleKeepsExistingMember(t *testing.T, s roster.Store) {
	ctx := context.Background()
	m := roster.Member{UserID: "lisi", Name: "李四", Mobile: "13900000000", Department: "办公室", Active: false,
		Roles: []roster.Role{roster.RoleOfficer}}
	if err := s.UpsertMember(ctx, m); err != nil {
		t.Fatalf("UpsertMember: %v", err)
	}
	if err := s.GrantRole(ctx, "lisi", roster.RoleLeader); err != nil {
		t.Fatalf("GrantRole: %v", err)
	}
	got := member(t, s, "lisi")
	if got.Name != m.Name || got.Mobile != m.Mobile || got.Department != m.Department || got.Active != m.Active {
		t.Errorf("GrantRole changed the member: got %+v, want %+v", got, m)
	}
	if want := []roster.Role{roster.RoleOfficer, roster.RoleLeader}; !slices.Equal(got.Roles, want) {
		t.Errorf("Roles = %v, want %v", got.Roles, want)
	}
}
