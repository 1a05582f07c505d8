package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"dutybot/bot/wecom"
	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// Store is what the conversation layer keeps: members, messages and the
// roster.
type Store interface {
	roster.MemberStore
	roster.MessageStore
	roster.ScheduleStore
}

// Config wires a Service.
type Config struct {
	Store   Store
	Sender  Sender
	Clock   clock.Clock
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Workers process callbacks in parallel; one member's messages always go
	// to the same worker, so they are handled in the order they arrived.
	Workers int
	// Admins are the configured first admins, named in the reply to people
	// who are not members yet.
	Admins []string
	// Location is the office's time zone: dates are read and shown in it.
	Location *time.Location
	// Roster holds the office's shift templates, groups and rotations.
	Roster roster.Settings
	// Directory reads the WeCom address book (nil: no sync).
	Directory Directory
	// Media downloads files members send (nil: no file import in chat).
	Media MediaFetcher
	// Cards updates template cards after a click (nil: replies in text).
	Cards CardUpdater
	// Devices keeps paired phones (nil: 绑定手机 says push is not enabled).
	Devices DeviceStore
	// Limiter paces messages to each member (see WeComMemberLimits); nil:
	// no limit.
	Limiter Limiter
	// Instance names this process when several share the database ("":
	// it is alone). The outbox then sends only messages it claimed under
	// this name; Store must implement OutgoingClaimer.
	Instance string
	// Seen answers callback retries before the store (nil: the store
	// alone deduplicates).
	Seen SeenCallbacks
}

type job struct {
	id  int64
	msg wecom.Message
}

// Service accepts WeCom callbacks, processes them after WeCom has had its
// answer, and delivers the replies.
type Service struct {
	store     Store
	clock     clock.Clock
	log       *slog.Logger
	router    *Router
	admins    []string
	loc       *time.Location
	settings  roster.Settings
	directory Directory
	media     MediaFetcher
	devices   DeviceStore
	// escalations and escalationLog are attached after construction (the
	// engine notifies through this Service); see AttachEscalations.
	escalations   Escalations
	escalationLog EscalationLog
	cards         CardUpdater
	// duty, dutySched and dutySet are the duty flows, attached after
	// construction; see AttachDuty.
	duty      duty.Store
	dutySched DutyScheduler
	dutySet   duty.Settings
	// incidents and incidentSet are the reports and 批示, attached after
	// construction; see AttachIncidents.
	incidents   incident.Store
	incidentSet incident.Settings
	imports     *pendingImports
	queues      []*queue
	outbox      *outbox
	seen        SeenCallbacks
	// claims is set when several instances share the store: callbacks are
	// claimed, and those of a dead instance taken over.
	claims  *callbackClaims
	started chan struct{}
}

// New builds a Service with the base commands registered.
func New(cfg Config) *Service {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if len(cfg.Roster.Shifts) == 0 {
		cfg.Roster = roster.DefaultSettings()
	}
	s := &Service{
		store:     cfg.Store,
		clock:     cfg.Clock,
		log:       cfg.Log,
		router:    NewRouter(),
		admins:    cfg.Admins,
		loc:       cfg.Location,
		settings:  cfg.Roster,
		directory: cfg.Directory,
		media:     cfg.Media,
		devices:   cfg.Devices,
		cards:     cfg.Cards,
		imports:   newPendingImports(),
		outbox:    newOutbox(cfg.Store, cfg.Sender, cfg.Clock, cfg.Log, cfg.Metrics),
		seen:      cfg.Seen,
		started:   make(chan struct{}),
	}
	s.outbox.limiter = cfg.Limiter
	if cfg.Instance != "" {
		if c, ok := cfg.Store.(OutgoingClaimer); ok {
			s.outbox.claims, s.outbox.owner = c, cfg.Instance
		} else {
			s.log.Error("instance set but the store cannot claim outgoing messages: two instances may send the same message", "instance", cfg.Instance)
		}
		if c, ok := cfg.Store.(ReceivedClaimer); ok {
			s.claims = &callbackClaims{store: c, owner: cfg.Instance, held: make(map[int64]bool)}
		} else {
			s.log.Error("instance set but the store cannot claim callbacks: a dead instance's callbacks wait for its restart", "instance", cfg.Instance)
		}
	}
	for range cfg.Workers {
		s.queues = append(s.queues, newQueue())
	}
	for _, group := range [][]*Command{
		baseCommands(s.router),
		s.scheduleCommands(),
		s.memberCommands(),
		s.importCommands(),
		s.deviceCommands(),
	} {
		for _, c := range group {
			s.router.Add(c)
		}
	}
	return s
}

// Router lets later features register their commands.
func (s *Service) Router() *Router { return s.router }

// Bootstrap makes sure every configured admin is a member with the admin
// role, so a new office can start working through the bot.
func (s *Service) Bootstrap(ctx context.Context) error {
	for _, id := range s.admins {
		if err := s.store.GrantRole(ctx, id, roster.RoleAdmin); err != nil {
			return fmt.Errorf("bootstrap admin %s: %w", id, err)
		}
	}
	return nil
}

// Recover queues every callback that was stored but not processed before
// the last stop. Call it before the HTTP server accepts callbacks. When
// several instances share the store it queues only the callbacks nobody
// holds a live claim on (the others are being worked on; Run's sweep takes
// them over if their instance dies).
func (s *Service) Recover(ctx context.Context) (int, error) {
	if s.claims != nil {
		n, err := s.takeOver(ctx)
		if err != nil {
			return n, fmt.Errorf("recover unprocessed callbacks: %w", err)
		}
		return n, nil
	}
	rows, err := s.store.Unprocessed(ctx, 1<<30)
	if err != nil {
		return 0, fmt.Errorf("recover unprocessed callbacks: %w", err)
	}
	for _, r := range rows {
		if err := s.resume(ctx, r); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// Accept stores a verified callback (deduplicated by its DedupKey) and
// queues it for processing. It reports whether the callback was new; a
// retry of one already stored is not queued again.
func (s *Service) Accept(ctx context.Context, msg wecom.Message, raw []byte) (bool, error) {
	key := msg.DedupKey()
	if s.seen != nil {
		seen, err := s.seen.Seen(ctx, key)
		if err != nil {
			s.log.Warn("callback dedup cache failed; asking the store", "err", err)
		}
		if seen {
			return false, nil
		}
	}
	r := &roster.Received{
		DedupKey:   msg.DedupKey(),
		FromUser:   msg.FromUserName,
		MsgType:    msg.MsgType,
		Event:      msg.Event,
		Content:    msg.Summary(),
		Raw:        raw,
		ReceivedAt: s.clock.Now().UTC(),
	}
	if s.claims != nil {
		r.ClaimedBy, r.ClaimedUntil = s.claims.owner, r.ReceivedAt.Add(callbackClaimTTL)
	}
	isNew, err := s.store.SaveReceived(ctx, r)
	if err != nil {
		return false, fmt.Errorf("accept callback %s: %w", r.DedupKey, err)
	}
	if s.seen != nil {
		// Only now that the store has it (new or not).
		if err := s.seen.MarkSeen(ctx, key); err != nil {
			s.log.Warn("callback dedup cache failed", "err", err)
		}
	}
	if isNew {
		if s.claims != nil {
			s.claims.hold(r.ID)
		}
		s.enqueue(job{id: r.ID, msg: msg})
	}
	return isNew, nil
}

func (s *Service) enqueue(j job) {
	h := fnv.New32a()
	h.Write([]byte(j.msg.FromUserName))
	s.queues[h.Sum32()%uint32(len(s.queues))].push(j)
}

// Backlog reports how many accepted callbacks wait for processing.
func (s *Service) Backlog() int {
	n := 0
	for _, q := range s.queues {
		n += q.len()
	}
	return n
}

// Run processes callbacks and delivers replies until ctx ends, then waits
// for the work in hand to finish.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, q := range s.queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := q.pop(ctx)
				if !ok {
					return
				}
				s.process(context.WithoutCancel(ctx), j)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.outbox.run(ctx)
	}()
	if s.claims != nil {
		wg.Go(func() { s.sweepCallbacks(ctx) })
	}
	wg.Wait()
}

// process handles one callback and, in one transaction, marks it processed
// and queues its replies.
func (s *Service) process(ctx context.Context, j job) {
	defer s.finished(j.id)
	replies := s.respond(ctx, j.msg)
	out := make([]roster.Outgoing, 0, len(replies))
	now := s.clock.Now().UTC()
	for _, r := range replies {
		kind := KindText
		if r.Markdown {
			kind = KindMarkdown
		}
		out = append(out, roster.Outgoing{
			ToUser: j.msg.FromUserName, Kind: kind, Content: r.Text,
			Status: roster.OutPending, CreatedAt: now, UpdatedAt: now, ReplyTo: j.id,
		})
	}
	done, err := s.store.CompleteReceived(ctx, j.id, out)
	if err != nil {
		// Left unprocessed: the next start picks it up again (with
		// several instances, a sweep once its claim lapses).
		s.log.Error("complete callback", "id", j.id, "err", err)
		return
	}
	if done && len(out) > 0 {
		s.outbox.wake()
	}
}

// respond decides the replies to one callback.
func (s *Service) respond(ctx context.Context, msg wecom.Message) []Reply {
	log := s.log.With("id_key", msg.DedupKey(), "user", msg.FromUserName, "type", msg.MsgType, "event", msg.Event)
	if msg.Event == wecom.EventChangeContact {
		return texts(s.handleContactChange(ctx, msg))
	}
	text, answers := commandText(msg)
	m, err := s.store.Member(ctx, msg.FromUserName)
	switch {
	case errors.Is(err, roster.ErrNotFound) || (err == nil && !m.Active):
		log.Warn("message from someone who is not an active member")
		if !answers {
			return nil
		}
		return texts([]string{s.notMemberReply(ctx, msg.FromUserName, err == nil)})
	case err != nil:
		log.Error("look up member", "err", err)
		return texts([]string{apology})
	}
	if msg.MsgType == wecom.TypeFile {
		return texts(s.handleFile(ctx, m, msg))
	}
	if msg.Event == wecom.EventTemplateCard {
		if replies, ok := s.dutyCardClick(ctx, m, msg); ok {
			return texts(replies)
		}
		return texts(s.handleCardClick(ctx, m, msg))
	}
	if isLocation(msg) && s.duty != nil {
		return texts(s.onLocation(ctx, m, msg))
	}
	if !answers {
		log.Info("callback recorded")
		return nil
	}
	reply, handled, err := s.continueDialog(ctx, m, text)
	if !handled && err == nil {
		reply, err = s.router.Route(ctx, m, text)
	}
	if err != nil {
		log.Error("command failed", "err", err)
		return texts([]string{apology})
	}
	log.Info("command handled", "text", Normalize(text))
	return []Reply{reply}
}

// texts makes plain-text replies.
func texts(ss []string) []Reply {
	out := make([]Reply, len(ss))
	for i, s := range ss {
		out[i] = Reply{Text: s}
	}
	return out
}

const apology = "抱歉，系统处理出错，已记录。请稍后再试，紧急情况请直接电话联系值班室。"

// commandText is the text a callback asks the bot to act on, and whether the
// bot answers it at all: typed text, and menu clicks (whose key is a command).
// Location reports, card clicks and app entry are recorded for the duty flows.
func commandText(msg wecom.Message) (string, bool) {
	switch {
	case msg.MsgType == wecom.TypeText:
		return msg.Content, true
	case msg.Event == wecom.EventClick:
		return msg.EventKey, true
	}
	return "", false
}

// isLocation reports whether msg carries the member's location: a location
// message, a LOCATION report or a location_select menu pick.
func isLocation(msg wecom.Message) bool {
	return msg.MsgType == wecom.TypeLocation || msg.Event == wecom.EventLocation || msg.Event == wecom.EventLocationPick
}

// notMemberReply tells someone outside the roster whom to contact.
func (s *Service) notMemberReply(ctx context.Context, userID string, inactive bool) string {
	var contacts []string
	for _, id := range s.admins {
		if m, err := s.store.Member(ctx, id); err == nil && m.Name != "" && m.Name != id {
			contacts = append(contacts, fmt.Sprintf("%s（%s）", m.Name, id))
		} else {
			contacts = append(contacts, id)
		}
	}
	who := "值班室管理员"
	if len(contacts) > 0 {
		who += " " + strings.Join(contacts, "、")
	}
	if inactive {
		return fmt.Sprintf("您好，您的账号（%s）在值班系统中已停用。如需恢复，请联系%s。", userID, who)
	}
	return fmt.Sprintf("您好，您（%s）还不是值班系统的成员，暂时不能使用值班机器人。请联系%s为您开通。", userID, who)
}
