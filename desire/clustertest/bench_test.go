package clustertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/sim"
)

// BenchmarkClusterRestart restarts a 60-node cluster (2 DCs × 3 racks ×
// 10 nodes, node starts scaled to 2 s) twice in one run: one node at a
// time through the node lifecycle API (what a classic rolling restart
// does), then with a cluster desire; and compares the desire with the
// limit, waves × the mean node restart the baseline measured. Run it
// alone (docs/desires.md has the figures):
//
//	go test ./desire/clustertest/ -run xxx -bench ClusterRestart -benchtime 1x -timeout 30m
func BenchmarkClusterRestart(b *testing.B) {
	topo := "dc1:3x10,dc2:3x10"
	e := Start(b, Options{Topology: topo, Sim: func(c *sim.Config) {
		c.StartTime = 2 * time.Second
		c.StartJitter = 200 * time.Millisecond
		c.DrainTime = 200 * time.Millisecond
	}, Sidecar: func(n *sim.Node, c *config.Config) {
		c.Health.RefreshInterval = 250 * time.Millisecond
		c.Health.MaxAge = 5 * time.Second
		c.Lifecycle.Grace = 200 * time.Millisecond
		c.Desires.Interval = 200 * time.Millisecond
		c.Desires.RestartEstimate = 3 * time.Second
		// 2 cores run 60 nodes and sidecars: generous timeouts, so a
		// loaded machine slows the run rather than blocking it.
		c.Desires.RestartTimeout = 2 * time.Minute
		c.Desires.GateTimeout = 2 * time.Minute
		c.Lifecycle.StartTimeout = 90 * time.Second
		c.LogLevel = "info"
	}})
	for i := 0; i < b.N; i++ {
		e.WaitConverged(b, 60*time.Second)
		// Baseline: one node at a time, each back in NORMAL before the next.
		t0 := time.Now()
		for _, p := range e.Sidecars {
			for _, op := range []string{"stop", "start"} {
				code, m, err := Do("POST", p.URL+"/v1/desires/node/"+op+"?block=true", "")
				if err != nil || code != 200 {
					b.Fatalf("%s %s: %d %v %v", op, p.Node.Addr, code, m, err)
				}
			}
		}
		baseline := time.Since(t0)
		perNode := baseline / time.Duration(len(e.Sidecars))
		e.WaitConverged(b, 60*time.Second)

		t1 := time.Now()
		code, m, err := Do("POST", e.Sidecars[0].URL+"/v1/desires/cluster", fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(20*time.Second).Unix()))
		if err != nil || code != 200 {
			b.Fatalf("POST: %d %v %v", code, m, err)
		}
		var d map[string]any
		for {
			_, m, err := Do("GET", e.Sidecars[1].URL+"/v1/desires/cluster", "")
			if err == nil {
				if d = desireOf(m); d != nil && (d["state"] == "DONE" || d["state"] == "BLOCKED") {
					break
				}
			}
			if time.Since(t1) > 10*time.Minute {
				b.Fatal("the desire did not end within 10 minutes")
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(t1)
		if d["state"] != "DONE" {
			b.Fatalf("desire %v: %v", d["state"], d["reason"])
		}
		waves := len(d["waves"].([]any))
		limit := time.Duration(waves) * perNode
		b.ReportMetric(baseline.Seconds(), "baseline_s")
		b.ReportMetric(perNode.Seconds(), "node_restart_s")
		b.ReportMetric(float64(waves), "waves")
		b.ReportMetric(limit.Seconds(), "limit_s")
		b.ReportMetric(took.Seconds(), "ringside_s")
		b.ReportMetric(took.Seconds()/limit.Seconds(), "x_limit")
		b.ReportMetric(baseline.Seconds()/took.Seconds(), "speedup")
	}
}
