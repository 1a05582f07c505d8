package push

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"dutybot/internal/cluster"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

// queueNotifier makes alerts for the engine to queue with the step
// (AlertQueuer); alerts of a raise, which moves no step, it records.
type queueNotifier struct {
	recNotifier
	queued chan struct{}
}

func (n *queueNotifier) AlertMessage(userID string, a Alert) (roster.Outgoing, error) {
	return roster.Outgoing{ToUser: userID, Kind: "text", Content: a.Text, Ref: a.EscalationID}, nil
}

func (n *queueNotifier) AlertsQueued() {
	select {
	case n.queued <- struct{}{}:
	default:
	}
}

// watchedLease reports every Acquire it refuses.
type watchedLease struct {
	cluster.Lease
	refused chan string
}

func (w watchedLease) Acquire(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	held, left, err := w.Lease.Acquire(ctx, key, ttl)
	if err == nil && !held {
		w.refused <- key
	}
	return held, left, err
}

// sharedEngine starts an engine of one "instance" on env's store.
func (env *engineEnv) sharedEngine(n Notifier, sh *cluster.Shared) (*Engine, func()) {
	e := NewEngine(EngineConfig{
		Store: env.store, Policies: env.policies, Notifier: n, Clock: env.clock,
		Resolver: mapResolver{TargetLeaderOnDuty: {"wangwu"}, "role:leader": {"wangwu", "lisi"}, TargetAdmins: {"zhaoliu"}},
		Senders:  map[Platform]Sender{IOS: env.apns},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Shared:   sh,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	return e, func() { cancel(); <-done }
}

// poll waits up to 5 s for ok.
func poll(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// outgoingByStep counts the queued alerts per (escalation, step, round)
// through the delivery log rows written with them.
func outgoingCounts(t *testing.T, env *engineEnv) (alerts, logged int) {
	t.Helper()
	ctx := context.Background()
	if err := env.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outgoing_messages`).Scan(&alerts); err != nil {
		t.Fatal(err)
	}
	if err := env.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE channel = 'wecom'`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	return alerts, logged
}

// Two instances on one store, both armed for the same escalation: each
// step's alerts are queued exactly once, with their delivery log.
func TestSharedEnginesQueueEachStepOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		leases := cluster.NewMemory(env.clock)
		bus := cluster.NewMemoryBus()
		notify := func() *queueNotifier {
			return &queueNotifier{recNotifier: recNotifier{msgs: make(chan wecomMsg, 100), pruned: make(chan Device, 1)}, queued: make(chan struct{}, 1)}
		}
		a, stopA := env.sharedEngine(notify(), &cluster.Shared{Leases: leases, Bus: bus.Join("a")})
		defer stopA()
		b, stopB := env.sharedEngine(notify(), &cluster.Shared{Leases: leases, Bus: bus.Join("b")})
		defer stopB()
		// Both Run loops have subscribed once their reconcile timers wait.
		env.armed(2)

		ctx := context.Background()
		esc, err := a.Raise(ctx, Event{Kind: "test", Subject: "s1", Title: "夜班空岗"})
		if err != nil {
			t.Fatal(err)
		}
		poll(t, "B to arm the announced escalation", func() bool { return b.Armed() == 1 })

		// testPolicy: two steps, one repeat. Walk it to the end; each wait
		// fires on both instances.
		for i, wait := range []time.Duration{5 * time.Minute, 10 * time.Minute, 5 * time.Minute, 10 * time.Minute} {
			env.clock.Advance(wait)
			poll(t, "the step to move", func() bool {
				cur, err := env.store.Escalation(ctx, esc.ID)
				return err == nil && (cur.Step+cur.Round*2 > i || cur.Status != StatusOpen)
			})
		}
		cur, _ := env.store.Escalation(ctx, esc.ID)
		if cur.Status != StatusExhausted {
			t.Fatalf("status = %s, want exhausted", cur.Status)
		}
		// Let the losers' re-checks run out (their leases have expired).
		env.clock.Advance(time.Minute)
		poll(t, "both engines idle", func() bool { return a.Armed() == 0 && b.Armed() == 0 })
		// Steps (0,0), queued with the raise: the leader on duty; (1,0):
		// 2 leaders; (0,1): the leader on duty; (1,1): 2 leaders.
		alerts, logged := outgoingCounts(t, env)
		if alerts != 6 || logged != 6 {
			t.Errorf("queued %d alerts with %d log rows, want 6 and 6 (each step once)", alerts, logged)
		}
	})
}

// An instance that dies holding a step's lease is taken over when the
// lease runs out, not before.
func TestSharedEngineTakesOverAfterLeaseExpiry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		const ttl = 3 * time.Second
		mem := cluster.NewMemory(env.clock)
		refused := make(chan string, 10)
		n := &queueNotifier{recNotifier: recNotifier{msgs: make(chan wecomMsg, 100), pruned: make(chan Device, 1)}, queued: make(chan struct{}, 1)}
		e, stop := env.sharedEngine(n, &cluster.Shared{Leases: watchedLease{mem, refused}, LeaseTTL: ttl})
		defer stop()
		env.armed(1)
		ctx := context.Background()
		esc, err := e.Raise(ctx, Event{Kind: "test", Subject: "s1", Title: "夜班空岗"})
		if err != nil {
			t.Fatal(err)
		}
		due := esc.NextAt
		// A dead instance took step 1 at its due time and never finished.
		env.clock.Advance(5*time.Minute - ttl)
		if ok, _, _ := mem.Acquire(ctx, "escalation/"+esc.ID+"/0/0", 2*ttl); !ok {
			t.Fatal("could not take the lease for the dead instance")
		}
		env.clock.Advance(ttl)
		select {
		case <-refused:
		case <-time.After(5 * time.Second):
			t.Fatal("the engine never asked for the step's lease")
		}
		if cur, _ := env.store.Escalation(ctx, esc.ID); cur.Step != 0 {
			t.Fatal("the step moved while another instance held its lease")
		}
		env.clock.Advance(ttl)
		poll(t, "the takeover", func() bool {
			cur, err := env.store.Escalation(ctx, esc.ID)
			return err == nil && cur.Step == 1
		})
		sent, err := env.store.SentFor(ctx, esc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var at time.Time
		for _, s := range sent {
			if s.Step == 1 {
				at = s.At
			}
		}
		if took := at.Sub(due); took != ttl {
			t.Errorf("step 2 notified %s after its due time, want %s (the dead holder's lease)", took, ttl)
		}
	})
}

// The step's move and its alerts are one transaction: if the alerts cannot
// be queued, the step does not move.
func TestAdvanceEscalationWithIsAtomic(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		ctx := context.Background()
		now := env.clock.Now()
		esc := Escalation{Kind: "test", Subject: "s", Title: "t", Urgency: Critical, Policy: testPolicy, Status: StatusOpen,
			NextAt: now, CreatedAt: now}
		if err := env.store.CreateEscalation(ctx, &esc); err != nil {
			t.Fatal(err)
		}
		next := esc
		next.Step, next.NextAt = 1, now.Add(10*time.Minute)
		sent := []Sent{{EscalationID: esc.ID, Step: 1, Channel: ChannelWeCom, Target: "lisi", Status: "queued", At: now}}
		bad := []roster.Outgoing{{ToUser: "lisi", Kind: "text", Content: "a"}, {ToUser: "", Kind: "text", Content: "no recipient"}}
		if moved, err := env.store.AdvanceEscalationWith(ctx, next, 0, 0, bad, sent); err == nil || moved {
			t.Fatalf("AdvanceEscalationWith(bad message) = %v, %v; want an error", moved, err)
		}
		if cur, _ := env.store.Escalation(ctx, esc.ID); cur.Step != 0 {
			t.Fatal("the step moved although its alerts were not queued")
		}
		if alerts, logged := outgoingCounts(t, env); alerts != 0 || logged != 0 {
			t.Fatalf("%d alerts, %d log rows left by a failed move", alerts, logged)
		}
		good := bad[:1]
		for i, want := range []bool{true, false} {
			moved, err := env.store.AdvanceEscalationWith(ctx, next, 0, 0, good, sent)
			if err != nil || moved != want {
				t.Fatalf("try %d: moved = %v, %v; want %v", i, moved, err, want)
			}
		}
		if alerts, logged := outgoingCounts(t, env); alerts != 1 || logged != 1 {
			t.Fatalf("%d alerts, %d log rows, want 1 each (the second move lost the compare-and-set)", alerts, logged)
		}
	})
}

// A raise's insert and its first step's alerts are one transaction: if
// the alerts cannot be queued, nothing is stored; a raise-once of a
// subject raised before queues nothing.
func TestCreateEscalationWithIsAtomic(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		ctx := context.Background()
		now := env.clock.Now()
		newEsc := func() Escalation {
			return Escalation{Kind: "test", Subject: "s", Title: "t", Urgency: Critical, Policy: testPolicy, Status: StatusOpen,
				NextAt: now.Add(5 * time.Minute), CreatedAt: now}
		}
		first := func(msgs ...roster.Outgoing) func(Escalation) ([]roster.Outgoing, []Sent) {
			return func(e Escalation) ([]roster.Outgoing, []Sent) {
				var sent []Sent
				for i := range msgs {
					msgs[i].Ref = e.ID
					sent = append(sent, Sent{EscalationID: e.ID, Channel: ChannelWeCom, Target: msgs[i].ToUser, Status: "queued", At: now})
				}
				return msgs, sent
			}
		}
		bad := first(roster.Outgoing{ToUser: "lisi", Kind: "text", Content: "a"}, roster.Outgoing{ToUser: "", Kind: "text", Content: "no recipient"})
		esc := newEsc()
		if created, err := env.store.CreateEscalationWith(ctx, &esc, false, bad); err == nil || created {
			t.Fatalf("CreateEscalationWith(bad message) = %v, %v; want an error", created, err)
		}
		if open, _ := env.store.OpenEscalations(ctx); len(open) != 0 {
			t.Fatalf("%d escalations stored although their first alerts were not queued", len(open))
		}
		if alerts, logged := outgoingCounts(t, env); alerts != 0 || logged != 0 {
			t.Fatalf("%d alerts, %d log rows left by a failed raise", alerts, logged)
		}
		for i, want := range []bool{true, false} {
			esc := newEsc()
			created, err := env.store.CreateEscalationWith(ctx, &esc, true, first(roster.Outgoing{ToUser: "lisi", Kind: "text", Content: "a"}))
			if err != nil || created != want || esc.ID == "" {
				t.Fatalf("try %d: created = %v, %v (id %q); want %v", i, created, err, esc.ID, want)
			}
		}
		if alerts, logged := outgoingCounts(t, env); alerts != 1 || logged != 1 {
			t.Fatalf("%d alerts, %d log rows, want 1 each (the second raise found the first)", alerts, logged)
		}
		open, _ := env.store.OpenEscalations(ctx)
		sent, err := env.store.SentFor(ctx, open[0].ID)
		if err != nil || len(sent) != 1 || sent[0].Step != 0 || sent[0].Target != "lisi" {
			t.Fatalf("SentFor(%s) = %+v, %v; want lisi's step 1 alert", open[0].ID, sent, err)
		}
	})
}

// The engine raises with its first step's alerts in the insert's
// transaction when the notifier makes them (no AlertWeCom call).
func TestRaiseQueuesTheFirstStepWithTheInsert(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, backend dbtest.Backend) {
		env := newEngineEnv(t, backend)
		n := &queueNotifier{recNotifier: recNotifier{msgs: make(chan wecomMsg, 100), pruned: make(chan Device, 1)}, queued: make(chan struct{}, 1)}
		e, stop := env.sharedEngine(n, nil)
		defer stop()
		esc, err := e.Raise(context.Background(), Event{Kind: "test", Subject: "s1", Title: "夜班空岗"})
		if err != nil {
			t.Fatal(err)
		}
		if alerts, logged := outgoingCounts(t, env); alerts != 1 || logged != 1 {
			t.Fatalf("%d alerts queued, %d logged with the raise; want 1 and 1", alerts, logged)
		}
		var ref string
		if err := env.db.Reader().QueryRowContext(context.Background(), `SELECT content FROM outgoing_messages`).Scan(&ref); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ref, esc.ID) {
			t.Errorf("the queued alert %q does not name %s", ref, esc.ID)
		}
		select {
		case <-n.queued:
		default:
			t.Error("the outbox was not woken for the queued alerts")
		}
		select {
		case m := <-n.msgs:
			t.Errorf("alert also sent through AlertWeCom: %+v", m)
		default:
		}
	})
}
