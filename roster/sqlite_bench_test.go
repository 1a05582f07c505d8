package roster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dutybot/internal/clock"
	"dutybot/roster"
)

// benchRaw is a decrypted callback of typical size.
var benchRaw = []byte(`<xml><ToUserName><![CDATA[ww1234567890abcdef]]></ToUserName>` +
	`<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1740816000</CreateTime>` +
	`<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[签到]]></Content>` +
	`<MsgId>7477000000000000001</MsgId><AgentID>1000002</AgentID></xml>` + strings.Repeat(" ", 200))

// BenchmarkSaveReceived measures storing new callbacks (the work done before
// WeCom gets its 200) with synchronous=FULL (the default) and NORMAL: one
// caller at a time (Sequential), 8×GOMAXPROCS callers as fast as they can
// (Parallel), and an open-loop 1,000 callbacks/s (Rate1000). Besides ns/op
// it reports inserts/s and the p50, p99 and maximum latency of one call.
func BenchmarkSaveReceived(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+mode+"/Sequential", func(b *testing.B) {
			s := openBench(b, mode)
			var n atomic.Int64
			lat := make([]time.Duration, 0, b.N)
			start := time.Now()
			for b.Loop() {
				lat = append(lat, saveOne(b, s, &n))
			}
			reportLatency(b, lat, time.Since(start))
		})
		b.Run("sync="+mode+"/Parallel", func(b *testing.B) {
			s := openBench(b, mode)
			var n atomic.Int64
			var (
				mu  sync.Mutex
				lat = make([]time.Duration, 0, b.N)
			)
			b.SetParallelism(8) // 8 × GOMAXPROCS goroutines, like concurrent callbacks
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					mine = append(mine, saveOne(b, s, &n))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			reportLatency(b, lat, time.Since(start))
		})
		b.Run("sync="+mode+"/Rate1000", func(b *testing.B) {
			// Open loop: a new callback every millisecond, each on its own
			// goroutine, whether or not earlier ones have finished. This is
			// the target load; latency is what a callback handler sees.
			s := openBench(b, mode)
			var n atomic.Int64
			var wg sync.WaitGroup
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Millisecond)))
				wg.Go(func() { lat[i] = saveOne(b, s, &n) })
			}
			wg.Wait()
			reportLatency(b, lat, time.Since(start))
		})
	}
}

func openBench(b *testing.B, mode string) *roster.SQLStore {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := roster.OpenSQLiteWith(context.Background(), path, clock.Real{}, roster.SQLiteOptions{Synchronous: mode})
	if err != nil {
		b.Fatalf("OpenSQLiteWith: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// saveOne stores one new callback and returns how long it took.
func saveOne(b *testing.B, s *roster.SQLStore, n *atomic.Int64) time.Duration {
	i := n.Add(1)
	r := &roster.Received{
		DedupKey:   fmt.Sprintf("msg:%d", 7477000000000000000+i),
		FromUser:   "zhangsan",
		MsgType:    "text",
		Content:    "签到",
		Raw:        benchRaw,
		ReceivedAt: time.Now(),
	}
	t0 := time.Now()
	isNew, err := s.SaveReceived(context.Background(), r)
	d := time.Since(t0)
	if err != nil || !isNew {
		b.Errorf("SaveReceived = %v, %v; want true, nil", isNew, err)
	}
	return d
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(float64(len(lat)-1) * p)
		return float64(lat[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "inserts/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
