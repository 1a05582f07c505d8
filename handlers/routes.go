package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"dutybot/internal/clock"
	"dutybot/internal/metrics"
	"dutybot/push"
)

// Pinger reports whether the store is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Routes are dutybot's HTTP endpoints.
type Routes struct {
	Callback *Callback
	Store    Pinger
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	// Devices pairs phones: POST /api/v1/devices (not served when nil).
	Devices DeviceRegistry
	// Acker acknowledges escalations from a paired phone: POST /api/v1/acks
	// (not served when nil, or when Devices is nil).
	Acker Acker
	// Clock times the pairing-attempt limit (the wall clock when nil).
	Clock clock.Clock
}

// Mux registers the endpoints on a new ServeMux; callers may add more.
func (rt Routes) Mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/wecom/callback", rt.Callback)
	mux.HandleFunc("GET /healthz", rt.healthz)
	mux.Handle("GET /metrics", rt.Metrics.Handler())
	if rt.Devices != nil {
		clk := rt.Clock
		if clk == nil {
			clk = clock.Real{}
		}
		api := &API{Devices: rt.Devices, Acker: rt.Acker, Limiter: push.NewPairingLimiter(clk), Log: rt.Log}
		api.Register(mux)
	}
	return mux
}

// healthz answers 200 "ok" when the store answers within 2 s, else 503.
func (rt Routes) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := rt.Store.Ping(ctx); err != nil {
		rt.Log.Error("health check: store unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unreachable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}
