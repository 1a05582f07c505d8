package bot

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/roster"
)

// obWait bounds every wait in these tests; reaching it is a failure.
const obWait = 10 * time.Second

var obStart = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

var errObNotImplemented = errors.New("outbox test store: not implemented")

// obStore is an in-memory roster.MessageStore: only PendingOutgoing and
// MarkOutgoing behave; every MarkOutgoing is reported on marks.
type obStore struct {
	mu   sync.Mutex
	msgs map[int64]roster.Outgoing
	// readErrs are returned by successive PendingOutgoing calls.
	readErrs []error
	reads    chan struct{}
	marks    chan roster.Outgoing
}

func newObStore(msgs ...roster.Outgoing) *obStore {
	s := &obStore{
		msgs:  make(map[int64]roster.Outgoing),
		reads: make(chan struct{}, 1000),
		marks: make(chan roster.Outgoing, 1000),
	}
	s.add(msgs...)
	return s
}

func (s *obStore) add(msgs ...roster.Outgoing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if m.Status == "" {
			m.Status = roster.OutPending
		}
		s.msgs[m.ID] = m
	}
}

func (s *obStore) get(id int64) roster.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgs[id]
}

func (s *obStore) PendingOutgoing(ctx context.Context, afterID int64, limit int) ([]roster.Outgoing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.reads <- struct{}{}:
	default:
	}
	if len(s.readErrs) > 0 {
		err := s.readErrs[0]
		s.readErrs = s.readErrs[1:]
		if err != nil {
			return nil, err
		}
	}
	var out []roster.Outgoing
	for _, m := range s.msgs {
		if m.Status == roster.OutPending && m.ID > afterID {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b roster.Outgoing) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *obStore) MarkOutgoing(ctx context.Context, o roster.Outgoing) error {
	// Like a database call, it fails once its context is cancelled.
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.msgs[o.ID]; !ok {
		return fmt.Errorf("outgoing %d: %w", o.ID, roster.ErrNotFound)
	}
	switch o.Status {
	case roster.OutPending, roster.OutSent, roster.OutFailed:
	default:
		return fmt.Errorf("outgoing %d: bad status %q", o.ID, o.Status)
	}
	s.msgs[o.ID] = o
	s.marks <- o
	return nil
}

func (s *obStore) SaveReceived(context.Context, *roster.Received) (bool, error) {
	return false, errObNotImplemented
}

func (s *obStore) Unprocessed(context.Context, int) ([]roster.Received, error) {
	return nil, errObNotImplemented
}

func (s *obStore) CompleteReceived(context.Context, int64, []roster.Outgoing) (bool, error) {
	return false, errObNotImplemented
}

func (s *obStore) QueueOutgoing(context.Context, []roster.Outgoing) error {
	return errObNotImplemented
}

func (s *obStore) CountReceived(context.Context) (int, error) { return 0, errObNotImplemented }
func (s *obStore) CountOutgoing(context.Context) (int, error) { return 0, errObNotImplemented }
func (s *obStore) SentCards(context.Context, string) ([]roster.Outgoing, error) {
	return nil, errObNotImplemented
}
func (s *obStore) UseResponseCode(context.Context, int64) error { return errObNotImplemented }

// obAttempt is one call of the sender.
type obAttempt struct {
	kind, to, content string
	at                time.Time
}

// obSender answers each message (by content) from a script of errors, one
// per attempt; a nil error or an exhausted script is a success with msgid
// obMsgID(content, attempt). Every attempt is reported on attempts.
type obSender struct {
	clk      *clock.Fake
	mu       sync.Mutex
	script   map[string][]error
	n        map[string]int
	gates    map[string]chan struct{} // closed to let that content's first attempt return
	started  chan obAttempt           // attempts that reached a gate
	attempts chan obAttempt
}

func newObSender(clk *clock.Fake, script map[string][]error) *obSender {
	return &obSender{
		clk: clk, script: script, n: map[string]int{}, gates: map[string]chan struct{}{},
		started:  make(chan obAttempt, 10),
		attempts: make(chan obAttempt, 1000),
	}
}

func obMsgID(content string, attempt int) string { return fmt.Sprintf("wx-%s-%d", content, attempt) }

func (s *obSender) send(ctx context.Context, kind, to, content string) (string, error) {
	a := obAttempt{kind: kind, to: to, content: content, at: s.clk.Now()}
	s.mu.Lock()
	s.n[content]++
	n := s.n[content]
	var err error
	if n <= len(s.script[content]) {
		err = s.script[content][n-1]
	}
	gate := s.gates[content]
	s.mu.Unlock()
	if gate != nil && n == 1 {
		s.started <- a
		<-gate
		// Like an HTTP request, the send is aborted if its context is.
		if err == nil {
			err = ctx.Err()
		}
	}
	s.attempts <- a
	if err != nil {
		return "", err
	}
	return obMsgID(content, n), nil
}

func (s *obSender) SendText(ctx context.Context, toUser, content string) (string, error) {
	return s.send(ctx, "text", toUser, content)
}

func (s *obSender) SendMarkdown(ctx context.Context, toUser, content string) (string, error) {
	return s.send(ctx, "markdown", toUser, content)
}

func (s *obSender) SendCard(ctx context.Context, toUser, content string) (string, string, error) {
	id, err := s.send(ctx, "template_card", toUser, content)
	return id, "", err
}

// startOutbox runs o.run in a goroutine; stop cancels it and waits for run
// to return (failing the test if it does not).
func startOutbox(t *testing.T, o *outbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(obWait):
				t.Error("outbox.run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func recvOb[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(obWait)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func blockUntil(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), obWait)
	defer cancel()
	if err := clk.BlockUntil(ctx, n); err != nil {
		t.Fatal(err)
	}
}

func scrapeSends(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	got := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), `dutybot_wecom_sends_total{result="`)
		if !ok {
			continue
		}
		label, val, _ := strings.Cut(rest, `"} `)
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		got[label] = v
	}
	return got
}

func out(id int64, to, content string) roster.Outgoing {
	return roster.Outgoing{ID: id, ToUser: to, Kind: "text", Content: content, CreatedAt: obStart}
}

func md(id int64, to, content string) roster.Outgoing {
	m := out(id, to, content)
	m.Kind = "markdown"
	return m
}

func sendErr(code int64) error {
	return &wecom.SendError{Code: code, Msg: "scripted " + strconv.FormatInt(code, 10)}
}

// obPhase is one delivery pass: the contents attempted in it (per member in
// this order, members in any order), then — unless it is the last pass —
// the wait the outbox must arm before the next pass.
type obPhase struct {
	attempts []string
	wait     time.Duration
}

type obFinal struct {
	status    string
	attempts  int
	msgID     string // WeComID
	lastError string // substring; "" means it must be empty
}

func TestOutboxDelivery(t *testing.T) {
	repeat := func(err error, n int) []error {
		errs := make([]error, n)
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	tests := []struct {
		name   string
		msgs   []roster.Outgoing
		script map[string][]error
		phases []obPhase
		final  map[string]obFinal // by content
		sends  map[string]float64 // dutybot_wecom_sends_total by result
	}{
		{
			name:   "all pending sent and marked with msgid",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1"), out(2, "lisi", "b1"), out(3, "zhangsan", "a2"), out(4, "wangwu", "c1")},
			phases: []obPhase{{attempts: []string{"a1", "b1", "a2", "c1"}}},
			final: map[string]obFinal{
				"a1": {roster.OutSent, 1, obMsgID("a1", 1), ""},
				"b1": {roster.OutSent, 1, obMsgID("b1", 1), ""},
				"a2": {roster.OutSent, 1, obMsgID("a2", 1), ""},
				"c1": {roster.OutSent, 1, obMsgID("c1", 1), ""},
			},
			sends: map[string]float64{metrics.SendOK: 4},
		},
		{
			name:   "markdown goes through SendMarkdown",
			msgs:   []roster.Outgoing{md(1, "zhaoliu", "**alert**"), out(2, "zhaoliu", "plain")},
			phases: []obPhase{{attempts: []string{"**alert**", "plain"}}},
			final: map[string]obFinal{
				"**alert**": {roster.OutSent, 1, obMsgID("**alert**", 1), ""},
				"plain":     {roster.OutSent, 1, obMsgID("plain", 1), ""},
			},
			sends: map[string]float64{metrics.SendOK: 2},
		},
		{
			name:   "retryable failure retried after 1s",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1")},
			script: map[string][]error{"a1": {sendErr(-1)}},
			phases: []obPhase{
				{attempts: []string{"a1"}, wait: time.Second},
				{attempts: []string{"a1"}},
			},
			final: map[string]obFinal{"a1": {roster.OutSent, 2, obMsgID("a1", 2), ""}},
			sends: map[string]float64{metrics.SendOK: 1, metrics.SendRetry: 1},
		},
		{
			name:   "backoff doubles: 1s, 2s, 4s",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1")},
			script: map[string][]error{"a1": {sendErr(-1), sendErr(45009), sendErr(60020)}},
			phases: []obPhase{
				{attempts: []string{"a1"}, wait: time.Second},
				{attempts: []string{"a1"}, wait: 2 * time.Second},
				{attempts: []string{"a1"}, wait: 4 * time.Second},
				{attempts: []string{"a1"}},
			},
			final: map[string]obFinal{"a1": {roster.OutSent, 4, obMsgID("a1", 4), ""}},
			sends: map[string]float64{metrics.SendOK: 1, metrics.SendRetry: 3},
		},
		{
			name:   "error without a code is retried",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1")},
			script: map[string][]error{"a1": {errors.New("connection reset by peer")}},
			phases: []obPhase{
				{attempts: []string{"a1"}, wait: time.Second},
				{attempts: []string{"a1"}},
			},
			final: map[string]obFinal{"a1": {roster.OutSent, 2, obMsgID("a1", 2), ""}},
			sends: map[string]float64{metrics.SendOK: 1, metrics.SendRetry: 1},
		},
		{
			name:   "permanent error fails after one attempt",
			msgs:   []roster.Outgoing{out(1, "nobody", "x1")},
			script: map[string][]error{"x1": {sendErr(40003)}},
			phases: []obPhase{{attempts: []string{"x1"}}},
			final:  map[string]obFinal{"x1": {roster.OutFailed, 1, "", "errcode 40003"}},
			sends:  map[string]float64{metrics.SendFail: 1},
		},
		{
			name:   "permanent failure does not hold up the member's next message",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1"), out(2, "zhangsan", "a2")},
			script: map[string][]error{"a1": {sendErr(40003)}},
			phases: []obPhase{{attempts: []string{"a1", "a2"}}},
			final: map[string]obFinal{
				"a1": {roster.OutFailed, 1, "", "errcode 40003"},
				"a2": {roster.OutSent, 1, obMsgID("a2", 1), ""},
			},
			sends: map[string]float64{metrics.SendOK: 1, metrics.SendFail: 1},
		},
		{
			name:   "failed after maxAttempts retryable failures",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1")},
			script: map[string][]error{"a1": repeat(sendErr(-1), maxAttempts+5)},
			phases: []obPhase{
				{attempts: []string{"a1"}, wait: 1 * time.Second},
				{attempts: []string{"a1"}, wait: 2 * time.Second},
				{attempts: []string{"a1"}, wait: 4 * time.Second},
				{attempts: []string{"a1"}, wait: 8 * time.Second},
				{attempts: []string{"a1"}, wait: 16 * time.Second},
				{attempts: []string{"a1"}, wait: 32 * time.Second},
				{attempts: []string{"a1"}, wait: 64 * time.Second},
				{attempts: []string{"a1"}}, // the 8th
			},
			final: map[string]obFinal{"a1": {roster.OutFailed, maxAttempts, "", "errcode -1"}},
			sends: map[string]float64{metrics.SendRetry: maxAttempts - 1, metrics.SendFail: 1},
		},
		{
			name: "per-member order kept while another member's messages go out",
			msgs: []roster.Outgoing{
				out(1, "zhangsan", "a1"), out(2, "lisi", "b1"), out(3, "zhangsan", "a2"), out(4, "lisi", "b2"),
			},
			script: map[string][]error{"a1": {sendErr(45009)}},
			phases: []obPhase{
				// a2 must not overtake the deferred a1; lisi is not held up.
				{attempts: []string{"a1", "b1", "b2"}, wait: time.Second},
				{attempts: []string{"a1", "a2"}},
			},
			final: map[string]obFinal{
				"a1": {roster.OutSent, 2, obMsgID("a1", 2), ""},
				"a2": {roster.OutSent, 1, obMsgID("a2", 1), ""},
				"b1": {roster.OutSent, 1, obMsgID("b1", 1), ""},
				"b2": {roster.OutSent, 1, obMsgID("b2", 1), ""},
			},
			sends: map[string]float64{metrics.SendOK: 4, metrics.SendRetry: 1},
		},
		{
			name: "two deferred members: the earlier due one is retried first",
			msgs: []roster.Outgoing{out(1, "zhangsan", "a1"), out(2, "lisi", "b1")},
			script: map[string][]error{
				"a1": {sendErr(-1), sendErr(-1)}, // due at 1s, then 1s+2s
				"b1": {sendErr(-1)},              // due at 1s
			},
			phases: []obPhase{
				{attempts: []string{"a1", "b1"}, wait: time.Second},
				{attempts: []string{"a1", "b1"}, wait: 2 * time.Second},
				{attempts: []string{"a1"}},
			},
			final: map[string]obFinal{
				"a1": {roster.OutSent, 3, obMsgID("a1", 3), ""},
				"b1": {roster.OutSent, 2, obMsgID("b1", 2), ""},
			},
			sends: map[string]float64{metrics.SendOK: 2, metrics.SendRetry: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(obStart)
			store := newObStore(tt.msgs...)
			sender := newObSender(clk, tt.script)
			m := metrics.New()
			o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), m)
			byContent := map[string]roster.Outgoing{}
			for _, msg := range tt.msgs {
				byContent[msg.Content] = msg
			}
			stop := startOutbox(t, o)

			elapsed := time.Duration(0)
			total := 0
			for i, ph := range tt.phases {
				// The pass's attempts, per member in order.
				got := map[string][]string{}
				for range ph.attempts {
					a := recvOb(t, sender.attempts, fmt.Sprintf("phase %d attempts %v", i, ph.attempts))
					got[a.to] = append(got[a.to], a.content)
					if want := byContent[a.content]; a.kind != want.Kind || a.to != want.ToUser {
						t.Errorf("phase %d: %q sent as %s to %s, want %s to %s", i, a.content, a.kind, a.to, want.Kind, want.ToUser)
					}
					if !a.at.Equal(obStart.Add(elapsed)) {
						t.Errorf("phase %d: %q tried at +%v, want +%v", i, a.content, a.at.Sub(obStart), elapsed)
					}
				}
				total += len(ph.attempts)
				want := map[string][]string{}
				for _, c := range ph.attempts {
					to := byContent[c].ToUser
					want[to] = append(want[to], c)
				}
				for to := range want {
					if !slices.Equal(got[to], want[to]) {
						t.Errorf("phase %d: attempts for %s = %v, want %v", i, to, got[to], want[to])
					}
				}
				if ph.wait == 0 {
					continue
				}
				// The pass is over once the outbox waits; nothing else went out in it.
				blockUntil(t, clk, 1)
				if n := len(sender.attempts); n != 0 {
					t.Fatalf("phase %d: %d unexpected attempts, e.g. %+v", i, n, <-sender.attempts)
				}
				clk.Advance(ph.wait - time.Millisecond)
				if clk.Waiters() != 1 {
					t.Fatalf("phase %d: retry timer fired before %v", i, ph.wait)
				}
				if n := len(sender.attempts); n != 0 {
					t.Fatalf("phase %d: retried before its backoff of %v", i, ph.wait)
				}
				clk.Advance(time.Millisecond)
				elapsed += ph.wait
			}
			// One MarkOutgoing per attempt.
			for range total {
				recvOb(t, store.marks, "MarkOutgoing")
			}
			stop()
			if n := len(sender.attempts); n != 0 {
				t.Errorf("%d attempts after the last expected one, e.g. %+v", n, <-sender.attempts)
			}
			for _, msg := range tt.msgs {
				got, want := store.get(msg.ID), tt.final[msg.Content]
				if got.Status != want.status || got.Attempts != want.attempts || got.WeComID != want.msgID {
					t.Errorf("%q: status %s, attempts %d, msgid %q; want %s, %d, %q",
						msg.Content, got.Status, got.Attempts, got.WeComID, want.status, want.attempts, want.msgID)
				}
				if want.lastError == "" && got.LastError != "" {
					t.Errorf("%q: LastError = %q, want empty", msg.Content, got.LastError)
				}
				if !strings.Contains(got.LastError, want.lastError) {
					t.Errorf("%q: LastError = %q, want it to contain %q", msg.Content, got.LastError, want.lastError)
				}
				if got.UpdatedAt.IsZero() {
					t.Errorf("%q: UpdatedAt not set", msg.Content)
				}
			}
			sends := scrapeSends(t, m)
			for _, r := range []string{metrics.SendOK, metrics.SendRetry, metrics.SendFail} {
				if sends[r] != tt.sends[r] {
					t.Errorf("dutybot_wecom_sends_total{result=%q} = %v, want %v", r, sends[r], tt.sends[r])
				}
			}
		})
	}
}

// TestOutboxWake: messages queued while the outbox is idle (no timer armed)
// go out when it is woken.
func TestOutboxWake(t *testing.T) {
	clk := clock.NewFake(obStart)
	store := newObStore()
	sender := newObSender(clk, nil)
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
	startOutbox(t, o)

	recvOb(t, store.reads, "the first PendingOutgoing")
	store.add(out(1, "zhangsan", "a1"), md(2, "lisi", "b1"))
	o.wake()
	o.wake() // a second wake while one is pending must not block
	got := map[string]string{}
	for range 2 {
		a := recvOb(t, sender.attempts, "an attempt after wake")
		got[a.content] = a.kind
	}
	if got["a1"] != "text" || got["b1"] != "markdown" {
		t.Errorf("attempts after wake = %v", got)
	}
	for range 2 {
		recvOb(t, store.marks, "MarkOutgoing")
	}
	if s := store.get(1); s.Status != roster.OutSent || s.WeComID != obMsgID("a1", 1) {
		t.Errorf("a1 = %+v", s)
	}
}

// TestOutboxReadErrorRetried: a failing PendingOutgoing is tried again after
// firstBackoff.
// TestOutboxOrderKeptAcrossWake: a pass started by wake while a member's
// first message waits for its retry does not send that member's later
// messages, sends the new ones and re-arms the timer for what is left of the
// backoff.
func TestOutboxOrderKeptAcrossWake(t *testing.T) {
	clk := clock.NewFake(obStart)
	store := newObStore(out(1, "zhangsan", "a1"), out(2, "zhangsan", "a2"))
	sender := newObSender(clk, map[string][]error{"a1": {sendErr(-1)}})
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
	startOutbox(t, o)

	if a := recvOb(t, sender.attempts, "a1's first attempt"); a.content != "a1" {
		t.Fatalf("first attempt = %+v, want a1", a)
	}
	blockUntil(t, clk, 1)
	clk.Advance(500 * time.Millisecond)

	store.add(out(3, "lisi", "b1"))
	o.wake()
	if a := recvOb(t, sender.attempts, "b1 after wake"); a.content != "b1" {
		t.Fatalf("attempt after wake = %+v, want b1 (a2 must wait behind a1)", a)
	}
	// The old timer was stopped before the pass, so this is the new one.
	blockUntil(t, clk, 1)
	if n := len(sender.attempts); n != 0 {
		t.Fatalf("%d more attempts in the woken pass, e.g. %+v", n, <-sender.attempts)
	}
	clk.Advance(500*time.Millisecond - time.Millisecond)
	if clk.Waiters() != 1 {
		t.Fatal("retry timer fired before a1's backoff was over")
	}
	clk.Advance(time.Millisecond)
	for _, want := range []string{"a1", "a2"} {
		a := recvOb(t, sender.attempts, want)
		if a.content != want || !a.at.Equal(obStart.Add(firstBackoff)) {
			t.Errorf("attempt = %s at +%v, want %s at +%v", a.content, a.at.Sub(obStart), want, firstBackoff)
		}
	}
	for range 4 {
		recvOb(t, store.marks, "MarkOutgoing")
	}
	for id, want := range map[int64]int{1: 2, 2: 1, 3: 1} {
		if m := store.get(id); m.Status != roster.OutSent || m.Attempts != want {
			t.Errorf("outgoing %d = %s after %d attempts, want sent after %d", id, m.Status, m.Attempts, want)
		}
	}
}

func TestOutboxReadErrorRetried(t *testing.T) {
	clk := clock.NewFake(obStart)
	store := newObStore(out(1, "zhangsan", "a1"))
	store.readErrs = []error{errors.New("database is locked")}
	sender := newObSender(clk, nil)
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
	startOutbox(t, o)

	blockUntil(t, clk, 1)
	if n := len(sender.attempts); n != 0 {
		t.Fatalf("%d attempts although the read failed", n)
	}
	clk.Advance(firstBackoff - time.Millisecond)
	if clk.Waiters() != 1 {
		t.Fatal("read retried before firstBackoff")
	}
	clk.Advance(time.Millisecond)
	a := recvOb(t, sender.attempts, "the attempt after the read is retried")
	if a.content != "a1" || !a.at.Equal(obStart.Add(firstBackoff)) {
		t.Errorf("attempt = %+v, want a1 at +%v", a, firstBackoff)
	}
}

func TestOutboxStopsOnCancel(t *testing.T) {
	tests := []struct {
		name   string
		msgs   []roster.Outgoing
		script map[string][]error
		// wantTimer: the outbox is waiting on a retry timer when cancelled.
		wantTimer bool
	}{
		{name: "idle, nothing pending"},
		{
			name:   "idle after sending",
			msgs:   []roster.Outgoing{out(1, "zhangsan", "a1")},
			script: nil,
		},
		{
			name:      "waiting for a retry",
			msgs:      []roster.Outgoing{out(1, "zhangsan", "a1")},
			script:    map[string][]error{"a1": {sendErr(-1)}},
			wantTimer: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(obStart)
			store := newObStore(tt.msgs...)
			sender := newObSender(clk, tt.script)
			o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
			stop := startOutbox(t, o)
			recvOb(t, store.reads, "the first PendingOutgoing")
			for range tt.msgs {
				recvOb(t, store.marks, "MarkOutgoing")
			}
			if tt.wantTimer {
				blockUntil(t, clk, 1)
			}
			stop() // fails the test if run does not return
			if clk.Waiters() != 0 {
				t.Errorf("%d timers still armed after run returned", clk.Waiters())
			}
			clk.Advance(time.Hour)
			o.wake()
			if n := len(sender.attempts) - len(tt.msgs); n != 0 {
				t.Errorf("%d attempts after run returned", n)
			}
		})
	}
}

// TestOutboxCancelDuringSend: a send under way when shutdown begins is
// finished and recorded, and the member's next message is left pending.
func TestOutboxCancelDuringSend(t *testing.T) {
	clk := clock.NewFake(obStart)
	store := newObStore(out(1, "zhangsan", "a1"), out(2, "zhangsan", "a2"))
	sender := newObSender(clk, nil)
	gate := make(chan struct{})
	sender.gates["a1"] = gate
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.run(ctx)
	}()
	recvOb(t, sender.started, "a1's send to start")
	cancel()
	close(gate)
	recvOb(t, done, "run to return")

	if a1 := store.get(1); a1.Status != roster.OutSent || a1.WeComID != obMsgID("a1", 1) || a1.Attempts != 1 {
		t.Errorf("a1 after shutdown = %+v, want sent and recorded", a1)
	}
	if a2 := store.get(2); a2.Status != roster.OutPending || a2.Attempts != 0 {
		t.Errorf("a2 after shutdown = %+v, want untouched", a2)
	}
	if n := len(sender.attempts); n != 1 {
		t.Errorf("%d attempts, want only a1's", n)
	}
}

// TestOutboxDeferredFullBatchDoesNotStarveOthers: when the oldest
// outboxBatch pending messages all belong to members waiting for a retry,
// other members' messages must still go out ("one failing recipient does not
// hold up the others").
//
// (deliverPending once read only the oldest outboxBatch messages and stopped
// when a pass sent nothing, so lisi waited through zhangsan's retries.)
func TestOutboxDeferredFullBatchDoesNotStarveOthers(t *testing.T) {
	clk := clock.NewFake(obStart)
	var msgs []roster.Outgoing
	for i := range outboxBatch {
		msgs = append(msgs, out(int64(i+1), "zhangsan", fmt.Sprintf("a%d", i+1)))
	}
	msgs = append(msgs, out(outboxBatch+1, "lisi", "b1"))
	store := newObStore(msgs...)
	sender := newObSender(clk, map[string][]error{"a1": {sendErr(45009)}})
	o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
	startOutbox(t, o)

	blockUntil(t, clk, 1) // the first pass is over: a1 waits for its retry
	var got []string
	for len(sender.attempts) > 0 {
		got = append(got, (<-sender.attempts).content)
	}
	if !slices.Equal(got, []string{"a1", "b1"}) && !slices.Equal(got, []string{"b1", "a1"}) {
		t.Errorf("attempts before a1's retry = %v, want a1 and b1", got)
	}
}
