package bot

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
)

// tallySender counts sends per message content.
type tallySender struct {
	mu    sync.Mutex
	count map[string]int
	total int
}

func (s *tallySender) add(content string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count[content]++
	s.total++
	return fmt.Sprint("msg", s.total), nil
}
func (s *tallySender) SendText(_ context.Context, _, c string) (string, error)     { return s.add(c) }
func (s *tallySender) SendMarkdown(_ context.Context, _, c string) (string, error) { return s.add(c) }
func (s *tallySender) SendCard(_ context.Context, _, c string) (string, string, error) {
	id, err := s.add(c)
	return id, "", err
}

func (s *tallySender) sent() (total int, counts map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.count
}

// claimEnv is two "instances": two stores on one SQLite file.
func claimStores(t *testing.T, clk clock.Clock) (a, b *roster.SQLStore) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	var err error
	if a, err = roster.OpenSQLite(ctx, path, clk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = roster.OpenSQLite(ctx, path, clk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

func queueN(t *testing.T, store *roster.SQLStore, users, n int, clk clock.Clock) {
	t.Helper()
	var msgs []roster.Outgoing
	for i := range n {
		msgs = append(msgs, roster.Outgoing{ToUser: fmt.Sprintf("u%02d", i%users), Kind: KindText, Content: fmt.Sprint("m", i), CreatedAt: clk.Now()})
	}
	if err := store.QueueOutgoing(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

func waitTotal(t *testing.T, s *tallySender, n int) {
	t.Helper()
	deadline := time.Now().Add(obWait)
	for {
		if total, _ := s.sent(); total >= n {
			return
		}
		if time.Now().After(deadline) {
			total, _ := s.sent()
			t.Fatalf("%d messages sent, want %d", total, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Two instances' outboxes on one database send every pending message
// exactly once between them.
func TestOutboxClaimsShareTheWork(t *testing.T) {
	clk := clock.Real{}
	a, b := claimStores(t, clk)
	sender := &tallySender{count: map[string]int{}}
	const n = 600
	queueN(t, a, 20, n, clk)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, store := range []*roster.SQLStore{a, b} {
		o := newOutbox(store, sender, clk, slog.New(slog.DiscardHandler), nil)
		o.claims, o.owner = store, fmt.Sprint("instance-", i)
		wg.Go(func() { o.run(ctx) })
	}
	waitTotal(t, sender, n)
	cancel()
	wg.Wait()
	total, counts := sender.sent()
	if total != n || len(counts) != n {
		t.Fatalf("%d sends of %d distinct messages, want %d of %d", total, len(counts), n, n)
	}
	for c, k := range counts {
		if k != 1 {
			t.Errorf("%s sent %d times", c, k)
		}
	}
}

// The messages an instance claimed before it died go out once its claims
// lapse, through the other instance.
func TestOutboxTakesOverLapsedClaims(t *testing.T) {
	clk := clock.NewFake(obStart)
	a, b := claimStores(t, clk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queueN(t, a, 3, 5, clk)
	dead, err := a.ClaimOutgoing(ctx, "dead", 0, 100, clk.Now().Add(claimTTL))
	if err != nil || len(dead) != 5 {
		t.Fatalf("dead instance claimed %d, %v", len(dead), err)
	}
	sender := &tallySender{count: map[string]int{}}
	o := newOutbox(b, sender, clk, slog.New(slog.DiscardHandler), nil)
	o.claims, o.owner = b, "alive"
	done := make(chan struct{})
	go func() { defer close(done); o.run(ctx) }()
	// The live outbox sweeps each claimSweep; nothing goes while the
	// dead claims last.
	for clk.Now().Before(obStart.Add(claimTTL)) {
		if err := clk.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if total, _ := sender.sent(); total != 0 {
			t.Fatalf("%d messages sent while another instance's claims were live", total)
		}
		clk.Advance(claimSweep)
	}
	// One more sweep after they lapsed.
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(claimSweep)
	waitTotal(t, sender, 5)
	cancel()
	<-done
}
