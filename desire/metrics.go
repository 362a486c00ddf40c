package desire

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics expose the current desire as this sidecar last read it.
type Metrics struct {
	mu   sync.Mutex
	last *Desire

	state, nodes, blocked, waveDur *prometheus.Desc
	transitions                    prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		state:   prometheus.NewDesc("ringside_desire_state", "The current cluster desire's state: 1 for the current one.", []string{"id", "type", "state"}, nil),
		nodes:   prometheus.NewDesc("ringside_desire_nodes", "Nodes of the current cluster desire by node state (RUNNING: still to restart, STOPPED: restarting now, DONE, FAILED).", []string{"id", "state"}, nil),
		blocked: prometheus.NewDesc("ringside_desire_blocked", "1 while the current cluster desire is BLOCKED, with the reason.", []string{"id", "reason"}, nil),
		waveDur: prometheus.NewDesc("ringside_desire_wave_duration_seconds", "Duration of each finished wave of the current desire.", []string{"id", "wave"}, nil),
		transitions: prometheus.NewCounter(prometheus.CounterOpts{Name: "ringside_desire_writes_total",
			Help: "Changes to the cluster desire this sidecar wrote (compare-and-set won)."}),
	}
}

func (m *Metrics) observe(d *Desire, _ time.Time) {
	m.mu.Lock()
	m.last = d
	m.mu.Unlock()
}

func (m *Metrics) transition(d *Desire) {
	m.transitions.Inc()
	m.observe(d, time.Time{})
}

func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.state
	ch <- m.nodes
	ch <- m.blocked
	ch <- m.waveDur
	m.transitions.Describe(ch)
}

func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.transitions.Collect(ch)
	m.mu.Lock()
	d := m.last
	m.mu.Unlock()
	if d == nil {
		return
	}
	for _, s := range []State{Pending, Running, Paused, Blocked, Done, Cancelled, Expired} {
		v := 0.0
		if d.State == s {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(m.state, prometheus.GaugeValue, v, d.ID, d.Type, string(s))
	}
	for _, s := range []NodeState{NodeRunning, NodeStopped, NodeDone, NodeFailed} {
		ch <- prometheus.MustNewConstMetric(m.nodes, prometheus.GaugeValue, float64(d.count(s)), d.ID, string(s))
	}
	if d.State == Blocked {
		ch <- prometheus.MustNewConstMetric(m.blocked, prometheus.GaugeValue, 1, d.ID, d.Reason)
	}
	for i, sec := range d.WaveSeconds {
		ch <- prometheus.MustNewConstMetric(m.waveDur, prometheus.GaugeValue, sec, d.ID, itoa(i))
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
