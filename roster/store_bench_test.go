package roster_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
	"dutybot/roster/dbtest"
)

// BenchmarkStoreBackends compares the two backends on the callback path:
// SaveReceived (stored before WeCom gets its 200) and SaveReceived then
// CompleteReceived with one reply (a processed callback), one caller at a
// time and 8×GOMAXPROCS callers at once. SQLite runs with
// synchronous=FULL and PostgreSQL with synchronous_commit=on (their
// durable defaults). PostgreSQL runs when DUTYBOT_TEST_POSTGRES is set.
func BenchmarkStoreBackends(b *testing.B) {
	backends := []dbtest.Backend{dbtest.SQLite()}
	if pg, ok := dbtest.Postgres(); ok {
		backends = append(backends, pg)
	}
	for _, be := range backends {
		for _, par := range []bool{false, true} {
			name := be.Name + "/Sequential"
			if par {
				name = be.Name + "/Parallel"
			}
			b.Run(name+"/SaveReceived", func(b *testing.B) {
				s := openDurable(b, be)
				runBench(b, par, func(n *atomic.Int64) time.Duration { return saveOne(b, s, n) })
			})
			b.Run(name+"/SaveAndComplete", func(b *testing.B) {
				s := openDurable(b, be)
				runBench(b, par, func(n *atomic.Int64) time.Duration {
					ctx := context.Background()
					r := &roster.Received{DedupKey: fmt.Sprintf("msg:%d", n.Add(1)), FromUser: "zhangsan", MsgType: "text", Content: "签到", Raw: benchRaw}
					t0 := time.Now()
					if isNew, err := s.SaveReceived(ctx, r); err != nil || !isNew {
						b.Fatalf("SaveReceived = %v, %v", isNew, err)
					}
					done, err := s.CompleteReceived(ctx, r.ID, []roster.Outgoing{{ToUser: "zhangsan", Kind: "text", Content: "签到成功"}})
					if err != nil || !done {
						b.Errorf("CompleteReceived = %v, %v", done, err)
					}
					return time.Since(t0)
				})
			})
		}
	}
}

// openDurable opens a fresh store on be with the backend's durable
// settings (dbtest's URLs turn PostgreSQL's synchronous_commit off).
func openDurable(b *testing.B, be dbtest.Backend) *roster.SQLStore {
	b.Helper()
	db := be.NewDB(b)
	if roster.IsPostgresURL(db) {
		u, err := url.Parse(db)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Del("synchronous_commit")
		u.RawQuery = q.Encode()
		db = u.String()
	}
	return dbtest.OpenAt(b, db, clock.Real{})
}

// runBench runs op b.N times, one caller at a time or from 8×GOMAXPROCS
// goroutines, and reports the rate and latencies.
func runBench(b *testing.B, parallel bool, op func(n *atomic.Int64) time.Duration) {
	var n atomic.Int64
	var (
		mu  sync.Mutex
		lat = make([]time.Duration, 0, b.N)
	)
	b.ResetTimer()
	start := time.Now()
	if !parallel {
		for b.Loop() {
			lat = append(lat, op(&n))
		}
	} else {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				mine = append(mine, op(&n))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	reportLatency(b, lat, time.Since(start))
}
