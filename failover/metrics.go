package failover

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The policy's Prometheus metrics; a Policy is a prometheus.Collector:
// prometheus.MustRegister(p). Two policies in one process (two sessions)
// need prometheus.WrapRegistererWith to tell them apart.
var (
	descActive = prometheus.NewDesc("ringside_failover_active_dc",
		"1 for the data center the policy routes to, 0 for the others it knows.", []string{"dc"}, nil)
	descSwitches = prometheus.NewDesc("ringside_failover_switches_total",
		"Changes of the active data center, by kind: failover, switch_back, manual.", []string{"from", "to", "kind"}, nil)
	descBackup = prometheus.NewDesc("ringside_failover_backup_seconds_total",
		"Seconds spent routing to a data center other than the local one.", nil, nil)
	descLost = prometheus.NewDesc("ringside_failover_lost_ranges",
		"Token ranges of a watched keyspace that a coordinator in the data center cannot serve at the configured consistency level.", []string{"dc", "keyspace"}, nil)
	descNodes = prometheus.NewDesc("ringside_failover_nodes",
		"Nodes the driver knows in the data center.", []string{"dc"}, nil)
	descDown = prometheus.NewDesc("ringside_failover_nodes_down",
		"Nodes the driver sees down in the data center.", []string{"dc"}, nil)
	descFailing = prometheus.NewDesc("ringside_failover_dc_failing",
		"1 when the data center fails a trigger (nodes down, lost ranges, error rate, no node up).", []string{"dc"}, nil)
	descRoutable = prometheus.NewDesc("ringside_failover_dc_safe",
		"1 when the data center is healthy and may be routed to by the automatic rules.", []string{"dc"}, nil)
	descErrRatio = prometheus.NewDesc("ringside_failover_error_ratio",
		"Share of the requests reported in the error-rate window that failed.", []string{"dc"}, nil)
)

// Describe implements prometheus.Collector.
func (p *Policy) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descActive, descSwitches, descBackup, descLost, descNodes, descDown, descFailing, descRoutable, descErrRatio} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *Policy) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.m
	now := p.now()
	m.assessAll(now)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	for _, name := range m.order {
		d := m.dcs[name]
		gauge(descActive, b2f(name == m.active), name)
		gauge(descNodes, float64(d.nodes), name)
		gauge(descDown, float64(d.down), name)
		t := m.tier(d)
		gauge(descFailing, b2f(t >= tierFailing), name)
		gauge(descRoutable, b2f(t == tierSafe), name)
		if m.model != nil {
			for _, k := range m.model.keyspaces {
				gauge(descLost, float64(d.lostKs[k]), name, k)
			}
		}
		if m.cfg.errOn {
			req, fail := d.errs.sum()
			r := 0.0
			if req > 0 {
				r = float64(fail) / float64(req)
			}
			gauge(descErrRatio, r, name)
		}
	}
	for k, n := range m.switches {
		ch <- prometheus.MustNewConstMetric(descSwitches, prometheus.CounterValue, float64(n), k[0], k[1], k[2])
	}
	ch <- prometheus.MustNewConstMetric(descBackup, prometheus.CounterValue, m.backupTime(now).Seconds())
}
