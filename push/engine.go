package push

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/cluster"
	"dutybot/internal/metrics"
	"dutybot/internal/timers"
	"dutybot/roster"
)

// Notifier is the engine's way out to WeCom, provided by the bot: messages go
// through its durable, rate-limited outbox.
type Notifier interface {
	// AlertWeCom sends one escalation step to a member (the bot sends a
	// card with a 确认 button, falling back to text).
	AlertWeCom(ctx context.Context, userID string, a Alert) error
	// NotifyWeCom queues a WeCom text message to a member.
	NotifyWeCom(ctx context.Context, userID, text string) error
	// Taken tells everyone notified about esc (others: all but the one
	// who acknowledged) that it has been acknowledged, and updates the alert
	// cards already sent so they show who took it.
	Taken(ctx context.Context, esc Escalation, others []string)
	// DevicePruned tells a member their phone no longer receives pushes.
	DevicePruned(ctx context.Context, d Device, reason string)
}

// Alert is one escalation step as a member sees it in WeCom.
type Alert struct {
	EscalationID string
	Title, Body  string
	Urgency      Urgency
	Step, Round  int
	// Text is the whole alert as plain text (with how to acknowledge).
	Text string
	// AckURL is the member's one-tap link ("" without links).
	AckURL string
}

// Limiter paces sends under a key (bot's limiters satisfy it): wait 0 means
// go now and the send is counted; wait > 0 means try again after wait.
type Limiter interface {
	Reserve(ctx context.Context, key string) (wait time.Duration, err error)
}

// AckLinker makes the signed one-tap acknowledgement link for a member.
type AckLinker interface {
	AckLink(escalationID, userID string) (token, url string)
}

// EngineConfig wires an Engine.
type EngineConfig struct {
	Store    EscalationStore
	Policies Policies
	Resolver Resolver
	Notifier Notifier
	// Senders deliver pushes per platform; a platform without one is
	// recorded as not delivered.
	Senders map[Platform]Sender
	// Links makes one-tap ack links (nil: no link in notifications).
	Links AckLinker
	// Limiter paces pushes per provider under the keys "push:ios" and
	// "push:android" (nil: no pacing). A push over the limit waits; none is
	// dropped.
	Limiter Limiter
	// Metrics records escalations, deliveries and time to acknowledge
	// (nil: none).
	Metrics *metrics.Metrics
	Clock   clock.Clock
	// Location is the office time zone times in messages are shown in.
	Location *time.Location
	Log      *slog.Logger
	// Shared is set when several instances share the store (nil: this
	// instance works alone): a lease per due step (key
	// "escalation/<id>/<round>/<step>"), raised escalations announced, and
	// the open ones reloaded every Reconcile.
	Shared *cluster.Shared
}

// AlertQueuer is a Notifier that can make a step's WeCom alerts as
// outgoing messages for the engine to queue itself: in the same transaction
// that moves the step (with a StepStore), so a crash can never move a step
// without its alerts, nor queue them twice.
type AlertQueuer interface {
	// AlertMessage is the pending outgoing message alerting userID.
	AlertMessage(userID string, a Alert) (roster.Outgoing, error)
	// AlertsQueued says alerts were committed (wakes the outbox).
	AlertsQueued()
}

// StepStore is an EscalationStore that moves a step and queues its WeCom
// alerts and their delivery log in one transaction.
type StepStore interface {
	// AdvanceEscalationWith is AdvanceEscalation plus, when the step
	// moved, queueing out and recording sent in the same transaction.
	AdvanceEscalationWith(ctx context.Context, e Escalation, fromStep, fromRound int, out []roster.Outgoing, sent []Sent) (bool, error)
	// CreateEscalationWith is CreateEscalation (CreateEscalationOnce when
	// once) plus, when e was created, queueing the first step's alerts and
	// recording their delivery log in the same transaction: first makes
	// them from e once it has its id (it may be called again when the
	// transaction is retried).
	CreateEscalationWith(ctx context.Context, e *Escalation, once bool, first func(Escalation) ([]roster.Outgoing, []Sent)) (created bool, err error)
}

// Engine raises escalations and walks them through their policies until
// someone acknowledges. Deadlines are stored before notifications leave;
// a restarted engine re-arms every open escalation (Run), and each step
// moves by compare-and-set in the store, so it fires once.
type Engine struct {
	cfg    EngineConfig
	timers *timers.Heap
	// work is the context step firings run under; set by Run.
	mu   sync.Mutex
	work context.Context
	wg   sync.WaitGroup
}

// NewEngine builds an engine; call Run to start firing.
func NewEngine(cfg EngineConfig) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.Shared = cfg.Shared.WithDefaults()
	e := &Engine{cfg: cfg, work: context.Background()}
	e.timers = timers.New(cfg.Clock, func(id string, _ time.Time) {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.advance(e.workContext(), id)
		}()
	})
	return e
}

func (e *Engine) workContext() context.Context {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.work
}

// Policies returns the engine's policies.
func (e *Engine) Policies() Policies { return e.cfg.Policies }

// Run re-arms every open escalation (overdue ones fire at once) and fires
// deadlines until ctx ends, then waits for steps in progress.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	e.work = context.WithoutCancel(ctx)
	e.mu.Unlock()
	open, err := e.cfg.Store.OpenEscalations(ctx)
	if err != nil {
		return fmt.Errorf("re-arm escalations: %w", err)
	}
	for _, esc := range open {
		e.timers.Set(esc.ID, esc.NextAt)
	}
	if len(open) > 0 {
		e.cfg.Log.Info("escalations re-armed", "count", len(open))
	}
	var loops sync.WaitGroup
	if sh := e.cfg.Shared; sh != nil {
		sh.Follow(ctx, &loops, cluster.Follower{Kind: cluster.KindEscalation, Clock: e.cfg.Clock, Log: e.cfg.Log,
			Arm: e.timers.Set, Open: e.openTimers})
	}
	loops.Go(func() { e.timers.Run(ctx) })
	loops.Wait()
	e.wg.Wait()
	return nil
}

// Raise starts an escalation for ev: it is stored with its first deadline,
// step 1 is notified, and the timer is armed.
func (e *Engine) Raise(ctx context.Context, ev Event) (Escalation, error) {
	esc, _, err := e.raise(ctx, ev, false)
	return esc, err
}

// RaiseOnce is Raise unless an escalation of ev's kind and subject was ever
// raised: then it returns that one and raised is false. Events that a
// deadline may fire again after a crash (a missed check-in, an unanswered
// spot check) raise through it, so nobody is alerted twice.
func (e *Engine) RaiseOnce(ctx context.Context, ev Event) (esc Escalation, raised bool, err error) {
	return e.raise(ctx, ev, true)
}

func (e *Engine) raise(ctx context.Context, ev Event, once bool) (Escalation, bool, error) {
	p, ok := e.cfg.Policies[ev.Kind]
	if !ok {
		return Escalation{}, false, fmt.Errorf("raise %s: no policy for this kind (kinds: %v)", ev.Kind, e.cfg.Policies.Kinds())
	}
	now := e.cfg.Clock.Now()
	esc := Escalation{
		Kind: ev.Kind, Subject: ev.Subject, Title: ev.Title, Body: ev.Body, Urgency: p.Urgency, Policy: p,
		Status: StatusOpen, NextAt: now.Add(p.Steps[0].Wait), CreatedAt: now,
	}
	// The first step's WeCom alerts are queued with the insert when the
	// store and notifier allow it (one transaction: a crash cannot store
	// the escalation without them), else one by one after it.
	first := e.plan(ctx, esc)
	switch {
	case first.queued:
		created, err := e.cfg.Store.(StepStore).CreateEscalationWith(ctx, &esc, once, func(withID Escalation) ([]roster.Outgoing, []Sent) {
			e.makeAlerts(withID, first)
			return first.out, first.sent
		})
		if err != nil || !created {
			return esc, false, err
		}
	case once:
		created, err := e.cfg.Store.CreateEscalationOnce(ctx, &esc)
		if err != nil || !created {
			return esc, false, err
		}
	default:
		if err := e.cfg.Store.CreateEscalation(ctx, &esc); err != nil {
			return Escalation{}, false, err
		}
	}
	e.cfg.Log.Info("escalation raised", "id", esc.ID, "kind", esc.Kind, "subject", esc.Subject)
	// Announced before notifying: if this instance dies now, the others
	// already have the timer.
	e.cfg.Shared.Announce(ctx, e.cfg.Log, cluster.KindEscalation, esc.ID, esc.NextAt)
	e.deliver(ctx, esc, first)
	// Counted once its first notifications are recorded, so a reader of
	// /metrics who sees it raised also sees what it sent.
	if m := e.cfg.Metrics; m != nil {
		m.Escalations.WithLabelValues(esc.Kind).Inc()
	}
	e.timers.Set(esc.ID, esc.NextAt)
	return esc, true, nil
}

// advance moves escalation id to its next step when its wait has ended.
func (e *Engine) advance(ctx context.Context, id string) {
	esc, err := e.cfg.Store.Escalation(ctx, id)
	if err != nil {
		e.cfg.Log.Error("escalation timer: load", "id", id, "err", err)
		return
	}
	if esc.Status != StatusOpen {
		return
	}
	now := e.cfg.Clock.Now()
	if esc.NextAt.After(now) {
		// Moved by someone else since the timer was set: wait again.
		e.timers.Set(id, esc.NextAt)
		return
	}
	if sh := e.cfg.Shared; sh != nil {
		key := fmt.Sprintf("escalation/%s/%d/%d", id, esc.Round, esc.Step)
		held, left, err := sh.Take(ctx, e.cfg.Clock, key)
		switch {
		case err != nil:
			// Go on without it: the compare-and-set below still lets
			// only one instance move the step.
			e.cfg.Log.Warn("escalation timer: lease unavailable", "id", id, "err", err)
		case held == nil:
			// Another instance is on this step. Look again when its
			// lease runs out: if the step is still due then, that
			// instance died mid-step and this one takes over.
			e.timers.Set(id, now.Add(left))
			return
		default:
			defer held.Release(ctx)
		}
	}
	if m := e.cfg.Metrics; m != nil {
		m.TimerLateness.Observe(now.Sub(esc.NextAt).Seconds())
	}
	next := esc
	next.Step++
	if next.Step == len(esc.Policy.Steps) {
		next.Step, next.Round = 0, esc.Round+1
	}
	if next.Round > esc.Policy.Repeat {
		next.Step, next.Round, next.Status, next.NextAt, next.ClosedAt = esc.Step, esc.Round, StatusExhausted, time.Time{}, now
	} else {
		next.NextAt = now.Add(esc.Policy.Steps[next.Step].Wait)
	}
	var plan *stepPlan
	if next.Status != StatusExhausted {
		plan = e.plan(ctx, next)
	}
	var moved bool
	if plan != nil && plan.queued {
		moved, err = e.cfg.Store.(StepStore).AdvanceEscalationWith(ctx, next, esc.Step, esc.Round, plan.out, plan.sent)
	} else {
		moved, err = e.cfg.Store.AdvanceEscalation(ctx, next, esc.Step, esc.Round)
	}
	if err != nil {
		e.cfg.Log.Error("escalation timer: advance", "id", id, "err", err)
		// Try again shortly rather than lose the escalation.
		e.timers.Set(id, now.Add(time.Second))
		return
	}
	if !moved {
		// Another firing (this or another instance) got there first, or
		// it was acknowledged. Keep a timer on it while it is open, so it
		// still moves on if that instance dies.
		if cur, err := e.cfg.Store.Escalation(ctx, id); err == nil && cur.Status == StatusOpen {
			e.timers.Set(id, cur.NextAt)
		}
		return
	}
	if next.Status == StatusExhausted {
		e.cfg.Log.Error("escalation exhausted: nobody acknowledged", "id", id, "kind", esc.Kind)
		e.tellAdmins(ctx, next, fmt.Sprintf("⚠ 告警 %s「%s」已通知全部 %d 轮仍无人确认，请管理员立即电话联系当班人员。", id, esc.Title, esc.Policy.Repeat+1))
		return
	}
	e.cfg.Log.Info("escalation moved on", "id", id, "step", next.Step+1, "round", next.Round+1)
	// Armed before the pushes leave: an acknowledgement that follows them
	// disarms it.
	e.timers.Set(id, next.NextAt)
	e.deliver(ctx, next, plan)
}

// recipients resolves a step's targets; nobody found falls back to the
// admins, so an alert is never sent to no one.
func (e *Engine) recipients(ctx context.Context, step Step, at time.Time) []string {
	var ids []string
	for _, t := range step.Targets {
		got, err := e.cfg.Resolver.Resolve(ctx, t, at)
		if err != nil {
			e.cfg.Log.Error("resolve escalation target", "target", t.Kind, "err", err)
			continue
		}
		for _, id := range got {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		admins, err := e.cfg.Resolver.Resolve(ctx, Target{Kind: TargetAdmins}, at)
		if err != nil {
			e.cfg.Log.Error("resolve admins", "err", err)
		}
		ids = admins
	}
	return ids
}

// stepPlan is one step's notifications worked out before the step moves.
type stepPlan struct {
	ids []string
	// queued: the WeCom alerts are in out and sent, for the store to queue
	// with the step's move; otherwise deliver queues them one by one.
	queued bool
	out    []roster.Outgoing
	sent   []Sent
}

// plan resolves the recipients of esc's current step and, when the
// notifier and store allow it, makes its WeCom alerts for the store to queue
// in the transaction that moves the step.
func (e *Engine) plan(ctx context.Context, esc Escalation) *stepPlan {
	step := esc.Policy.Steps[esc.Step]
	now := e.cfg.Clock.Now()
	p := &stepPlan{ids: e.recipients(ctx, step, now)}
	if len(p.ids) == 0 {
		e.cfg.Log.Error("escalation has nobody to notify (no targets and no admins)", "id", esc.ID)
	}
	_, alerts := e.cfg.Notifier.(AlertQueuer)
	if _, steps := e.cfg.Store.(StepStore); !alerts || !steps || !slices.Contains(step.Channels, ChannelWeCom) {
		return p
	}
	p.queued = true
	if esc.ID != "" { // a raise makes them once the store gave it an id
		e.makeAlerts(esc, p)
	}
	return p
}

// makeAlerts sets p's WeCom alerts of esc's current step, for the store to
// queue in the transaction that moves (or creates) it.
func (e *Engine) makeAlerts(esc Escalation, p *stepPlan) {
	q := e.cfg.Notifier.(AlertQueuer)
	now := e.cfg.Clock.Now()
	p.out, p.sent = nil, nil
	for _, id := range p.ids {
		m, err := q.AlertMessage(id, e.alert(esc, id))
		s := Sent{EscalationID: esc.ID, Step: esc.Step, Round: esc.Round, Channel: ChannelWeCom, Target: id, Status: "queued", At: now}
		if err != nil {
			s.Status, s.Error = string(Failed), err.Error()
		} else {
			p.out = append(p.out, m)
		}
		p.sent = append(p.sent, s)
	}
}

// deliver sends what plan p left to send of esc's current step: the WeCom
// alerts unless the store queued them with the step, then the pushes; and
// logs every delivery.
func (e *Engine) deliver(ctx context.Context, esc Escalation, p *stepPlan) {
	step := esc.Policy.Steps[esc.Step]
	now := e.cfg.Clock.Now()
	var log []Sent
	record := func(ch Channel, target, providerID, status, errText string, latency time.Duration) {
		log = append(log, Sent{EscalationID: esc.ID, Step: esc.Step, Round: esc.Round, Channel: ch, Target: target,
			ProviderID: providerID, Status: status, Error: errText, Latency: latency, At: now})
	}
	for _, ch := range step.Channels {
		switch ch {
		case ChannelWeCom:
			if p.queued {
				e.cfg.Notifier.(AlertQueuer).AlertsQueued()
				continue
			}
			for _, id := range p.ids {
				status, errText := "queued", ""
				if err := e.cfg.Notifier.AlertWeCom(ctx, id, e.alert(esc, id)); err != nil {
					status, errText = string(Failed), err.Error()
				}
				record(ChannelWeCom, id, "", status, errText, 0)
			}
		case ChannelPush:
			e.push(ctx, esc, p.ids, record)
		}
	}
	if m := e.cfg.Metrics; m != nil {
		all := log
		if p.queued {
			all = append(slices.Clone(p.sent), log...)
		}
		for _, s := range all {
			m.Notifications.WithLabelValues(string(s.Channel), s.Status).Inc()
		}
	}
	if err := e.cfg.Store.RecordSent(ctx, log); err != nil {
		e.cfg.Log.Error("record notifications", "id", esc.ID, "err", err)
	}
}

// push sends esc to every phone of ids, grouped by platform, and prunes
// devices the providers report invalid.
func (e *Engine) push(ctx context.Context, esc Escalation, ids []string, record func(Channel, string, string, string, string, time.Duration)) {
	byPlatform := make(map[Platform][]Notification)
	for _, id := range ids {
		devices, err := e.cfg.Store.Devices(ctx, id)
		if err != nil {
			e.cfg.Log.Error("list devices", "user", id, "err", err)
			continue
		}
		for _, d := range devices {
			n := Notification{Device: d, EscalationID: esc.ID, Title: esc.Title, Body: esc.Body, Urgency: esc.Urgency,
				Expiration: esc.NextAt}
			if e.cfg.Links != nil {
				n.AckToken, n.AckURL = e.cfg.Links.AckLink(esc.ID, id)
			}
			byPlatform[d.Platform] = append(byPlatform[d.Platform], n)
		}
	}
	for platform, ns := range byPlatform {
		sender := e.cfg.Senders[platform]
		if sender == nil {
			for _, n := range ns {
				record(ChannelPush, deviceTarget(n.Device), "", string(Failed), "no "+string(platform)+" push provider configured", 0)
			}
			continue
		}
		e.pace(ctx, platform, len(ns))
		for i, r := range sender.Send(ctx, ns) {
			d := ns[i].Device
			errText := r.Reason
			if r.Err != nil {
				errText = strings.TrimSpace(r.Reason + " " + r.Err.Error())
			}
			record(ChannelPush, deviceTarget(d), r.ProviderID, string(r.Status), errText, r.Latency)
			if r.Status == Invalid {
				if pruned, ok, err := e.cfg.Store.PruneDevice(ctx, d.Platform, d.Token); err != nil {
					e.cfg.Log.Error("prune device", "device", d.ID, "err", err)
				} else if ok {
					e.cfg.Log.Warn("device pruned: provider says its token is invalid", "device", d.ID, "user", d.UserID, "reason", r.Reason)
					e.cfg.Notifier.DevicePruned(ctx, pruned, r.Reason)
				}
			}
		}
	}
}

// pace waits until n pushes to platform fit the provider's limit. A limiter
// error lets them go (never hold an alert because the limiter is down).
func (e *Engine) pace(ctx context.Context, platform Platform, n int) {
	if e.cfg.Limiter == nil {
		return
	}
	key := "push:" + string(platform)
	for range n {
		for {
			wait, err := e.cfg.Limiter.Reserve(ctx, key)
			if err != nil {
				e.cfg.Log.Warn("push limiter failed, sending anyway", "platform", platform, "err", err)
				return
			}
			if wait <= 0 {
				break
			}
			t := e.cfg.Clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
		}
	}
}

func deviceTarget(d Device) string { return d.UserID + "/" + strconv.FormatInt(d.ID, 10) }

// alert is the WeCom alert for one recipient.
func (e *Engine) alert(esc Escalation, userID string) Alert {
	a := Alert{EscalationID: esc.ID, Title: esc.Title, Body: esc.Body, Urgency: esc.Urgency, Step: esc.Step, Round: esc.Round,
		Text: e.text(esc, userID)}
	if e.cfg.Links != nil {
		_, a.AckURL = e.cfg.Links.AckLink(esc.ID, userID)
	}
	return a
}

// text is the alert as plain text for one recipient.
func (e *Engine) text(esc Escalation, userID string) string {
	var b strings.Builder
	level := "提醒"
	if esc.Urgency == Critical {
		level = "紧急"
	}
	fmt.Fprintf(&b, "【%s告警 %s】%s", level, esc.ID, esc.Title)
	if esc.Body != "" {
		b.WriteString("\n" + esc.Body)
	}
	fmt.Fprintf(&b, "\n（第 %d 步", esc.Step+1)
	if esc.Round > 0 {
		fmt.Fprintf(&b, "，第 %d 轮", esc.Round+1)
	}
	fmt.Fprintf(&b, "，%s 前未确认将通知下一级）\n请回复「确认 %s」", esc.NextAt.In(e.cfg.Location).Format("15:04"), esc.ID)
	if e.cfg.Links != nil {
		_, url := e.cfg.Links.AckLink(esc.ID, userID)
		fmt.Fprintf(&b, "，或点此确认：%s", url)
	}
	return b.String()
}

// Ack acknowledges escalation id for userID (via: "chat", "link", "push",
// "card", "console"). The first acknowledgement wins: it stops the
// escalation and tells everyone notified so far. A later one reports who was
// first.
func (e *Engine) Ack(ctx context.Context, id, userID, via string) (Escalation, bool, error) {
	now := e.cfg.Clock.Now()
	esc, acked, err := e.cfg.Store.AckEscalation(ctx, id, userID, via, now)
	if err != nil {
		return Escalation{}, false, err
	}
	if !acked {
		return esc, false, nil
	}
	e.timers.Cancel(id)
	took := now.Sub(esc.CreatedAt).Round(time.Second)
	if m := e.cfg.Metrics; m != nil {
		m.AckSeconds.Observe(now.Sub(esc.CreatedAt).Seconds())
	}
	e.cfg.Log.Info("escalation acknowledged", "id", id, "by", userID, "via", via, "after", took)
	sent, err := e.cfg.Store.SentFor(ctx, id)
	if err != nil {
		e.cfg.Log.Error("list notified members", "id", id, "err", err)
	}
	var others []string
	for _, s := range sent {
		user, _, _ := strings.Cut(s.Target, "/")
		if user != userID && !slices.Contains(others, user) {
			others = append(others, user)
		}
	}
	e.cfg.Notifier.Taken(ctx, esc, others)
	return esc, true, nil
}

// Resolve closes the open escalations of kind and subject because their
// cause went away (e.g. the officer checked in late).
func (e *Engine) Resolve(ctx context.Context, kind, subject string) ([]string, error) {
	ids, err := e.cfg.Store.ResolveEscalations(ctx, kind, subject, e.cfg.Clock.Now())
	for _, id := range ids {
		e.timers.Cancel(id)
	}
	return ids, err
}

func (e *Engine) tellAdmins(ctx context.Context, esc Escalation, text string) {
	admins, err := e.cfg.Resolver.Resolve(ctx, Target{Kind: TargetAdmins}, e.cfg.Clock.Now())
	if err != nil {
		e.cfg.Log.Error("resolve admins", "err", err)
	}
	for _, id := range admins {
		if err := e.cfg.Notifier.NotifyWeCom(ctx, id, text); err != nil {
			e.cfg.Log.Error("tell admin", "id", esc.ID, "user", id, "err", err)
		}
	}
}

// Armed is the number of escalations waiting on a timer (for tests and
// metrics).
func (e *Engine) Armed() int { return e.timers.Len() }

// Escalation reads one escalation.
func (e *Engine) Escalation(ctx context.Context, id string) (Escalation, error) {
	return e.cfg.Store.Escalation(ctx, id)
}
