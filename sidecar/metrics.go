package sidecar

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringside/ringside/lifecycle"
)

// lifecycleCollector exposes the node's lifecycle at scrape time:
// ringside_node_state{state} (1 for the current state), whether Cassandra
// runs, and restarts by supervision.
type lifecycleCollector struct {
	m                       *lifecycle.Manager
	state, running, restart *prometheus.Desc
}

func newLifecycleCollector(m *lifecycle.Manager) *lifecycleCollector {
	return &lifecycleCollector{
		m:       m,
		state:   prometheus.NewDesc("ringside_node_state", "The node's lifecycle state: 1 for the current one (STARTING, RUNNING, STOPPING, STOPPED, FAILED).", []string{"state"}, nil),
		running: prometheus.NewDesc("ringside_node_cassandra_running", "1 when a Cassandra process is found (pid file or process table).", nil, nil),
		restart: prometheus.NewDesc("ringside_node_supervision_restarts_total", "Cassandra restarts by supervision since the sidecar started.", nil, nil),
	}
}

func (c *lifecycleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.running
	ch <- c.restart
}

func (c *lifecycleCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.m.Status()
	for _, s := range []lifecycle.State{lifecycle.Starting, lifecycle.Running, lifecycle.Stopping, lifecycle.Stopped, lifecycle.Failed} {
		v := 0.0
		if st.State == s {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, string(s))
	}
	run := 0.0
	if st.Running() {
		run = 1
	}
	ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, run)
	ch <- prometheus.MustNewConstMetric(c.restart, prometheus.CounterValue, float64(st.Supervision.Restarts))
}
