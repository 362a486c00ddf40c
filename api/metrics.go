package api

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one sidecar's own figures, served at GET /metrics: requests,
// latency, health state, refresh errors and the age of the refreshed data,
// plus the Go runtime and process (RSS, CPU) collectors. A process running
// several sidecars (the demo) gives each its own; otherwise the package
// functions below use DefaultMetrics.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	health        *prometheus.GaugeVec
	refreshErrors *prometheus.CounterVec
	buildInfo     *prometheus.GaugeVec

	// lastRefresh is the unix-nanosecond time the data of the latest
	// refresh was read (0: none yet); the age gauge is derived from it at
	// scrape time so that it keeps growing if refreshes stop.
	lastRefresh atomic.Int64
}

// durationBuckets span a cached health answer (tens of µs) to a slow
// scrape; the client library's defaults start at 5ms, where every health
// call would land in the first bucket.
var durationBuckets = []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3, 250e-3, 1}

// NewMetrics returns a fresh set of metrics in its own registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ringside_http_requests_total",
			Help: "HTTP requests answered, by handler and status code.",
		}, []string{"handler", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ringside_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, routing included, by handler.",
			Buckets: durationBuckets,
		}, []string{"handler"}),
		health: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ringside_health_status",
			Help: "Latest health check result: 1 healthy, 0 not.",
		}, []string{"check"}),
		refreshErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ringside_refresh_errors_total",
			Help: "Errors while refreshing the node's state, by source (cql, jmx, nodetool, sstables, peers …).",
		}, []string{"source"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ringside_build_info",
			Help: "Always 1; the labels say which ringside is running.",
		}, []string{"version", "goversion"}),
	}
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ringside_refresh_age_seconds",
		Help: "Age of the data behind the health answers: seconds since the latest refresh read the node (NaN before the first).",
	}, m.refreshAge)
	m.reg.MustRegister(m.requests, m.duration, m.health, m.refreshErrors, m.buildInfo, age,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// DefaultMetrics is what New serves when Options.Metrics is nil, and what
// the package-level SetHealth, RefreshError and SetRefreshAge record.
var DefaultMetrics = NewMetrics()

// Registry is where the metrics are registered; add more collectors to it
// to serve them at /metrics too.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetHealth records the latest result of a check ("coordinator",
// "replica", "cluster").
func (m *Metrics) SetHealth(check string, healthy bool) {
	v := 0.0
	if healthy {
		v = 1
	}
	m.health.WithLabelValues(check).Set(v)
}

// RefreshError counts one error of a refresh, by source ("cql", "jmx" …).
// Keep sources to a small fixed set: each is a time series.
func (m *Metrics) RefreshError(source string) {
	m.refreshErrors.WithLabelValues(source).Inc()
}

// SetRefreshAge records that a refresh has completed whose data is d old
// (0 when it was just read). ringside_refresh_age_seconds then grows with
// the clock until the next call.
func (m *Metrics) SetRefreshAge(d time.Duration) {
	m.lastRefresh.Store(time.Now().Add(-d).UnixNano())
}

func (m *Metrics) refreshAge() float64 {
	t := m.lastRefresh.Load()
	if t == 0 {
		return math.NaN()
	}
	return time.Since(time.Unix(0, t)).Seconds()
}

func (m *Metrics) setVersion(v string) {
	if v == "" {
		v = "dev"
	}
	m.buildInfo.Reset() // one series, even if New is called again with another version
	m.buildInfo.WithLabelValues(v, runtime.Version()).Set(1)
}

// SetHealth records a check's result in DefaultMetrics.
func SetHealth(check string, healthy bool) { DefaultMetrics.SetHealth(check, healthy) }

// RefreshError counts a refresh error in DefaultMetrics.
func RefreshError(source string) { DefaultMetrics.RefreshError(source) }

// SetRefreshAge records a completed refresh in DefaultMetrics.
func SetRefreshAge(d time.Duration) { DefaultMetrics.SetRefreshAge(d) }
