// Package metrics defines dutybot's Prometheus metrics. A Metrics value is
// made once in main and passed to whatever records into it.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Callback results, the "result" label of dutybot_callbacks_total.
const (
	ResultAccepted     = "accepted"      // stored, answered 200
	ResultDuplicate    = "duplicate"     // WeCom retry of one already stored
	ResultVerified     = "verified"      // GET URL verification answered
	ResultBadSignature = "bad_signature" // 401
	ResultStale        = "stale"         // 401, timestamp outside the window
	ResultBadRequest   = "bad_request"   // 400
	ResultWrongCorp    = "wrong_corp"    // 403
	ResultTooLarge     = "too_large"     // 413
	ResultStoreError   = "store_error"   // 500, WeCom will retry
	ResultUnconfigured = "unconfigured"  // 503
)

// Send results, the "result" label of dutybot_wecom_sends_total.
const (
	SendOK    = "ok"
	SendRetry = "retry"  // failed, will be tried again
	SendFail  = "failed" // failed for good
)

// Metrics holds every collector dutybot exports.
type Metrics struct {
	registry        *prometheus.Registry
	Callbacks       *prometheus.CounterVec
	CallbackSeconds prometheus.Histogram
	Sends           *prometheus.CounterVec
	// Escalations counts escalations raised, by event kind.
	Escalations *prometheus.CounterVec
	// Notifications counts alert deliveries, by channel and status.
	Notifications *prometheus.CounterVec
	// AckSeconds is the time from raising an escalation to its
	// acknowledgement.
	AckSeconds prometheus.Histogram
	// TimerLateness is how late an escalation timer fired: the time from
	// the step's deadline (NextAt) to the engine acting on it. After a
	// restart it includes the time the process was down.
	TimerLateness prometheus.Histogram
	// PushSends counts push notifications handed to a provider, by
	// platform (ios, android) and result (delivered, invalid, failed).
	PushSends *prometheus.CounterVec
	// PushSeconds is each push notification's latency at its provider:
	// from the first attempt to the final answer, retries included.
	PushSeconds *prometheus.HistogramVec
}

// New registers dutybot's collectors (plus Go runtime and process ones) in a
// fresh registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		Callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutybot_callbacks_total",
			Help: "WeCom callbacks received, by result.",
		}, []string{"result"}),
		CallbackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dutybot_callback_duration_seconds",
			Help:    "Time from receiving a WeCom callback to answering it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dutybot_wecom_sends_total",
			Help: "Messages sent through the WeCom API, by result.",
		}, []string{"result"}),
	}
	m.Escalations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dutybot_escalations_total",
		Help: "Escalations raised, by event kind.",
	}, []string{"kind"})
	m.Notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dutybot_alert_notifications_total",
		Help: "Alert notifications, by channel (wecom, push) and status.",
	}, []string{"channel", "status"})
	m.AckSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dutybot_escalation_ack_seconds",
		Help:    "Time from raising an escalation to its acknowledgement.",
		Buckets: []float64{10, 30, 60, 120, 300, 600, 900, 1800, 3600},
	})
	m.TimerLateness = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dutybot_timer_lateness_seconds",
		Help:    "How late an escalation step fired after its deadline.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	})
	m.PushSends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dutybot_push_sends_total",
		Help: "Push notifications sent to APNs or FCM, by platform and result.",
	}, []string{"platform", "result"})
	m.PushSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dutybot_push_send_seconds",
		Help:    "Time from a push notification's first attempt to the provider's final answer.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"platform"})
	m.registry.MustRegister(m.Callbacks, m.CallbackSeconds, m.Sends, m.Escalations, m.Notifications, m.AckSeconds, m.TimerLateness,
		m.PushSends, m.PushSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
