package app

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"dutybot/bot/wecomtest"
)

// BenchmarkCallback measures one WeCom callback through the real handler:
// signature check, decryption, parsing, the deduplicating insert into
// SQLite on disk (synchronous=FULL), and — in "processed" — routing the
// command and delivering the reply to the fake WeCom as well.
func BenchmarkCallback(b *testing.B) {
	b.Run("accept", func(b *testing.B) { benchCallbacks(b, false, false) })
	b.Run("accept-parallel", func(b *testing.B) { benchCallbacks(b, true, false) })
	b.Run("processed", func(b *testing.B) { benchCallbacks(b, true, true) })
}

func benchCallbacks(b *testing.B, parallel, waitReplies bool) {
	e := newE2E(b, "")
	users := []string{"zhangsan", "boss"}
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		plain := wecomtest.TextXML(e2eCorp, users[i%len(users)], "帮助", int64(i+1), e.clock.Now(), e2eAgent)
		q, body, err := e.signer.Envelope(plain, e.clock.Now(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), bytes.NewReader(body))
	}
	h := e.app.Handler()
	serve := func(r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Errorf("status %d", rec.Code)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				serve(reqs[next.Add(1)-1])
			}
		})
	} else {
		for _, r := range reqs {
			serve(r)
		}
	}
	if waitReplies {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if _, err := e.fake.WaitSent(ctx, b.N, func(wecomtest.Sent) bool { return true }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "callbacks/s")
}
