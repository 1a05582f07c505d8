package push

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

// engineStore is the real SQL store with an in-memory device list.
type engineStore struct {
	*SQLStore
	mu      sync.Mutex
	devices map[string][]Device
}

func (s *engineStore) Devices(ctx context.Context, userID string) ([]Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.devices[userID]), nil
}

func (s *engineStore) PruneDevice(ctx context.Context, p Platform, token string) (Device, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for user, ds := range s.devices {
		for i, d := range ds {
			if d.Platform == p && d.Token == token {
				s.devices[user] = slices.Delete(ds, i, i+1)
				return d, true, nil
			}
		}
	}
	return Device{}, false, nil
}

type wecomMsg struct{ user, text string }

type recNotifier struct {
	msgs   chan wecomMsg
	pruned chan Device
}

func (n *recNotifier) AlertWeCom(ctx context.Context, userID string, a Alert) error {
	return n.NotifyWeCom(ctx, userID, a.Text)
}

func (n *recNotifier) NotifyWeCom(ctx context.Context, userID, text string) error {
	n.msgs <- wecomMsg{userID, text}
	return nil
}

func (n *recNotifier) Taken(ctx context.Context, esc Escalation, others []string) {
	for _, u := range others {
		n.msgs <- wecomMsg{u, "告警 " + esc.ID + " 已由 " + esc.AckedBy + " 确认"}
	}
}

func (n *recNotifier) DevicePruned(ctx context.Context, d Device, reason string) { n.pruned <- d }

type mapResolver map[string][]string

func (r mapResolver) Resolve(ctx context.Context, t Target, at time.Time) ([]string, error) {
	key := t.Kind
	if t.Value != "" {
		key += ":" + t.Value
	}
	return r[key], nil
}

// fakeSender delivers everything, except tokens listed as invalid.
type fakeSender struct {
	mu      sync.Mutex
	sent    []Notification
	invalid map[string]bool
}

func (f *fakeSender) Send(ctx context.Context, ns []Notification) []Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Result, len(ns))
	for i, n := range ns {
		if f.invalid[n.Device.Token] {
			out[i] = Result{Status: Invalid, Reason: "Unregistered", Attempts: 1}
			continue
		}
		f.sent = append(f.sent, n)
		out[i] = Result{Status: Delivered, ProviderID: "apns-" + n.Device.Token, Attempts: 1}
	}
	return out
}

type engineEnv struct {
	t        *testing.T
	db       *roster.SQLStore
	store    *engineStore
	clock    *clock.Fake
	notifier *recNotifier
	apns     *fakeSender
	policies Policies
	metrics  *metrics.Metrics // nil: none
}

var testPolicy = Policy{Kind: "test", Urgency: Critical, Repeat: 1, Steps: []Step{
	{Targets: []Target{{Kind: TargetLeaderOnDuty}}, Channels: []Channel{ChannelWeCom, ChannelPush}, Wait: 5 * time.Minute},
	{Targets: []Target{{Kind: TargetRole, Value: "leader"}}, Channels: []Channel{ChannelWeCom}, Wait: 10 * time.Minute},
}}

func newEngineEnv(t *testing.T, backend dbtest.Backend) *engineEnv {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	db, err := roster.Open(context.Background(), backend.NewDB(t), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &engineEnv{
		t: t, db: db, clock: clk,
		store: &engineStore{SQLStore: NewSQLStore(db, clk), devices: map[string][]Device{
			"wangwu": {{ID: 1, UserID: "wangwu", Platform: IOS, Token: "tok-wangwu", Topic: "cn.duty"}},
		}},
		notifier: &recNotifier{msgs: make(chan wecomMsg, 100), pruned: make(chan Device, 10)},
		apns:     &fakeSender{invalid: map[string]bool{}},
		policies: Policies{"test": testPolicy},
	}
}

// engine starts an engine on the shared store; stop ends it.
func (env *engineEnv) engine() (*Engine, func()) {
	e := NewEngine(EngineConfig{
		Store: env.store, Policies: env.policies, Notifier: env.notifier, Clock: env.clock,
		Resolver: mapResolver{TargetLeaderOnDuty: {"wangwu"}, "role:leader": {"wangwu", "lisi"}, TargetAdmins: {"zhaoliu"}},
		Senders:  map[Platform]Sender{IOS: env.apns},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics:  env.metrics,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	return e, func() { cancel(); <-done }
}

func (env *engineEnv) msg() wecomMsg {
	env.t.Helper()
	select {
	case m := <-env.notifier.msgs:
		return m
	case <-time.After(5 * time.Second):
		env.t.Fatal("no WeCom notification")
		return wecomMsg{}
	}
}

func (env *engineEnv) noMsg() {
	env.t.Helper()
	select {
	case m := <-env.notifier.msgs:
		env.t.Fatalf("unexpected notification %+v", m)
	default:
	}
}

// wait blocks until n timers are armed on the fake clock.
func (env *engineEnv) armed(n int) {
	env.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := env.clock.BlockUntil(ctx, n); err != nil {
		env.t.Fatal(err)
	}
}

func TestEngineEscalatesUntilAcknowledged(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		e, stop := env.engine()
		defer stop()
		ctx := context.Background()

		esc, err := e.Raise(ctx, Event{Kind: "test", Subject: "s1", Title: "夜班空岗：张三未签到"})
		if err != nil {
			t.Fatal(err)
		}
		if esc.ID != "E1123-001" {
			t.Errorf("id = %s", esc.ID)
		}
		// The deadline was stored before anything was sent.
		stored, err := env.store.Escalation(ctx, esc.ID)
		if err != nil || !stored.NextAt.Equal(env.clock.Now().Add(5*time.Minute)) || stored.Status != StatusOpen {
			t.Fatalf("stored = %+v, %v", stored, err)
		}
		// Step 1: the leader on duty, by WeCom and push (critical).
		m := env.msg()
		if m.user != "wangwu" || !strings.Contains(m.text, "【紧急告警 E1123-001】夜班空岗") || !strings.Contains(m.text, "确认 E1123-001") {
			t.Fatalf("step 1 message = %+v", m)
		}
		if len(env.apns.sent) != 1 || env.apns.sent[0].Urgency != Critical || env.apns.sent[0].EscalationID != esc.ID {
			t.Fatalf("pushes = %+v", env.apns.sent)
		}
		env.noMsg()

		// Nobody acknowledges: after 5 minutes step 2 reaches every leader.
		env.armed(1)
		env.clock.Advance(5 * time.Minute)
		got := []string{env.msg().user, env.msg().user}
		slices.Sort(got)
		if !slices.Equal(got, []string{"lisi", "wangwu"}) {
			t.Fatalf("step 2 went to %v", got)
		}

		// lisi acknowledges: the escalation stops and wangwu is told.
		acked, first, err := e.Ack(ctx, esc.ID, "lisi", "chat")
		if err != nil || !first || acked.AckedBy != "lisi" || acked.Status != StatusAcked {
			t.Fatalf("Ack = %+v, %v, %v", acked, first, err)
		}
		if m := env.msg(); m.user != "wangwu" || !strings.Contains(m.text, "已由 lisi") {
			t.Fatalf("ack notice = %+v", m)
		}
		if e.Armed() != 0 {
			t.Errorf("timers armed after ack: %d", e.Armed())
		}
		// A second acknowledgement says who was first.
		again, first, err := e.Ack(ctx, esc.ID, "wangwu", "link")
		if err != nil || first || again.AckedBy != "lisi" {
			t.Fatalf("second Ack = %+v, %v, %v", again, first, err)
		}
		env.clock.Advance(time.Hour)
		env.noMsg()

		// Step 2's log is written after its messages left: wait for it.
		var sent []Sent
		poll(t, "step 2's delivery log", func() bool {
			sent, err = env.store.SentFor(ctx, esc.ID)
			return err != nil || len(sent) >= 4
		})
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		for _, s := range sent {
			log = append(log, s.Channel.String()+" "+s.Target+" "+s.Status)
		}
		want := []string{"wecom wangwu queued", "push wangwu/1 delivered", "wecom wangwu queued", "wecom lisi queued"}
		slices.Sort(log[2:])
		slices.Sort(want[2:])
		if !slices.Equal(log, want) {
			t.Errorf("delivery log = %v, want %v", log, want)
		}
	})
}

func TestEngineExhaustsAndTellsAdmins(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		e, stop := env.engine()
		defer stop()
		esc, err := e.Raise(context.Background(), Event{Kind: "test", Title: "无人确认"})
		if err != nil {
			t.Fatal(err)
		}
		env.msg()
		// Steps wait 5 min then 10 min, and the round repeats once: step 2
		// reaches two leaders, step 1 the leader on duty.
		for _, tt := range []struct {
			wait time.Duration
			msgs int
		}{{5 * time.Minute, 2}, {10 * time.Minute, 1}, {5 * time.Minute, 2}} {
			env.armed(1)
			env.clock.Advance(tt.wait)
			for range tt.msgs {
				env.msg()
			}
		}
		env.armed(1)
		env.clock.Advance(10 * time.Minute)
		// The last wait ends with the escalation exhausted and the admin told.
		m := env.msg()
		if m.user != "zhaoliu" || !strings.Contains(m.text, "仍无人确认") {
			t.Fatalf("exhaustion notice = %+v", m)
		}
		stored, _ := env.store.Escalation(context.Background(), esc.ID)
		if stored.Status != StatusExhausted {
			t.Fatalf("status = %s, want exhausted", stored.Status)
		}
	})
}

func TestEngineRestartFiresOverdueOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		ctx := context.Background()
		// The first process raises, then dies before the deadline.
		first, stop := env.engine()
		esc, err := first.Raise(ctx, Event{Kind: "test", Title: "重启"})
		if err != nil {
			t.Fatal(err)
		}
		env.msg()
		stop()
		// While it is down the deadline passes.
		env.clock.Advance(7 * time.Minute)
		// Two instances start on the same store: the overdue step fires once.
		_, stopA := env.engine()
		defer stopA()
		_, stopB := env.engine()
		defer stopB()
		got := []string{env.msg().user, env.msg().user}
		slices.Sort(got)
		if !slices.Equal(got, []string{"lisi", "wangwu"}) {
			t.Fatalf("step 2 after restart went to %v", got)
		}
		// Both instances re-armed the next deadline; wait until both timers
		// are armed, so a duplicate firing would have been sent by now.
		env.armed(2)
		env.noMsg()
		stored, _ := env.store.Escalation(ctx, esc.ID)
		if stored.Step != 1 || stored.Round != 0 {
			t.Fatalf("stored step/round = %d/%d, want 1/0", stored.Step, stored.Round)
		}
	})
}

// The engine records how late each step fired after its deadline: after a
// restart that is the time the process was down.
func TestEngineTimerLateness(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		env.metrics = metrics.New()
		ctx := context.Background()
		first, stop := env.engine()
		if _, err := first.Raise(ctx, Event{Kind: "test", Title: "迟到"}); err != nil {
			t.Fatal(err)
		}
		env.msg()
		stop()
		env.clock.Advance(5*time.Minute + 3*time.Second)
		_, stop = env.engine()
		defer stop()
		env.msg()
		env.msg()
		env.armed(1)
		rec := httptest.NewRecorder()
		env.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, want := range []string{"dutybot_timer_lateness_seconds_count 1\n", "dutybot_timer_lateness_seconds_sum 3\n"} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}

func TestEnginePrunesInvalidDevices(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		env.apns.invalid["tok-wangwu"] = true
		e, stop := env.engine()
		defer stop()
		if _, err := e.Raise(context.Background(), Event{Kind: "test", Title: "x"}); err != nil {
			t.Fatal(err)
		}
		env.msg()
		select {
		case d := <-env.notifier.pruned:
			if d.Token != "tok-wangwu" {
				t.Fatalf("pruned %+v", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("invalid device not pruned")
		}
		if ds, _ := env.store.Devices(context.Background(), "wangwu"); len(ds) != 0 {
			t.Fatalf("devices after prune = %+v", ds)
		}
	})
}

func TestEngineResolveAndUnknownKind(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		e, stop := env.engine()
		defer stop()
		ctx := context.Background()
		if _, err := e.Raise(ctx, Event{Kind: "nope"}); err == nil || !strings.Contains(err.Error(), "no policy") {
			t.Fatalf("Raise unknown kind: %v", err)
		}
		esc, err := e.Raise(ctx, Event{Kind: "test", Subject: "2026-11-23/夜班/zhangsan", Title: "空岗"})
		if err != nil {
			t.Fatal(err)
		}
		env.msg()
		ids, err := e.Resolve(ctx, "test", "2026-11-23/夜班/zhangsan")
		if err != nil || !slices.Equal(ids, []string{esc.ID}) {
			t.Fatalf("Resolve = %v, %v", ids, err)
		}
		env.clock.Advance(time.Hour)
		env.noMsg()
		if stored, _ := env.store.Escalation(ctx, esc.ID); stored.Status != StatusResolved {
			t.Fatalf("status = %s", stored.Status)
		}
	})
}

// onceLimiter refuses the first reservation for a second.
type onceLimiter struct {
	mu    sync.Mutex
	calls []string
}

func (l *onceLimiter) Reserve(ctx context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, key)
	if len(l.calls) == 1 {
		return time.Second, nil
	}
	return 0, nil
}

func TestEnginePacesPushes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		lim := &onceLimiter{}
		e := NewEngine(EngineConfig{
			Store: env.store, Policies: env.policies, Notifier: env.notifier, Clock: env.clock, Limiter: lim,
			Resolver: mapResolver{TargetLeaderOnDuty: {"wangwu"}},
			Senders:  map[Platform]Sender{IOS: env.apns},
			Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		raised := make(chan error, 1)
		go func() {
			_, err := e.Raise(context.Background(), Event{Kind: "test", Title: "限流"})
			raised <- err
		}()
		env.msg() // the WeCom alert goes first
		env.armed(1)
		if n := len(env.apns.sent); n != 0 {
			t.Fatalf("pushed %d before the limiter's wait", n)
		}
		env.clock.Advance(time.Second)
		if err := <-raised; err != nil {
			t.Fatal(err)
		}
		if len(env.apns.sent) != 1 || !slices.Equal(lim.calls, []string{"push:ios", "push:ios"}) {
			t.Fatalf("pushes %d, limiter calls %v", len(env.apns.sent), lim.calls)
		}
	})
}

func TestEngineRaiseOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		e, stop := env.engine()
		defer stop()
		ctx := context.Background()
		ev := Event{Kind: "test", Subject: "2026-11-23/夜班/zhangsan", Title: "夜班空岗：张三未签到"}

		first, raised, err := e.RaiseOnce(ctx, ev)
		if err != nil || !raised {
			t.Fatalf("first RaiseOnce = %+v, %v, %v", first, raised, err)
		}
		if m := env.msg(); m.user != "wangwu" {
			t.Fatalf("step 1 went to %+v", m)
		}
		// The same event again (a deadline re-run after a crash): nothing new,
		// nobody notified again, the first escalation returned.
		again, raised, err := e.RaiseOnce(ctx, ev)
		if err != nil || raised || again.ID != first.ID {
			t.Fatalf("second RaiseOnce = %+v, %v, %v", again, raised, err)
		}
		env.noMsg()
		// Closed escalations count too: a resolved absence is not raised anew.
		if _, err := e.Resolve(ctx, ev.Kind, ev.Subject); err != nil {
			t.Fatal(err)
		}
		if got, raised, err := e.RaiseOnce(ctx, ev); err != nil || raised || got.ID != first.ID || got.Status != StatusResolved {
			t.Fatalf("RaiseOnce after resolve = %+v, %v, %v", got, raised, err)
		}
		// Another subject is another escalation.
		other := ev
		other.Subject = "2026-11-23/夜班/lisi"
		if got, raised, err := e.RaiseOnce(ctx, other); err != nil || !raised || got.ID == first.ID {
			t.Fatalf("RaiseOnce for another subject = %+v, %v, %v", got, raised, err)
		}
	})
}
