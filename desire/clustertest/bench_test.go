package clustertest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/sim"
)

// BenchmarkClusterRestart restarts a 60-node cluster (2 DCs × 3 racks ×
// 10 nodes, node starts scaled to 2 s) in one run: one node at a time
// through the node lifecycle API (what a classic rolling restart does),
// then one rack of each DC at once through the same API (no coordination:
// what a wave costs on this machine), then with a cluster desire whose by
// is near (as many nodes at once as is safe). It compares the desire with
// the limit, waves × the mean node restart of the baseline (x_limit), and
// with waves × that uncoordinated wave (x_wave_limit). Run it alone
// (docs/desires.md has the figures):
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
		// RINGSIDE_BENCH_BASELINE_NODES=n times only the first n nodes and
		// scales up: a quicker look while tuning, not the figure.
		base := e.Sidecars
		if n, err := strconv.Atoi(os.Getenv("RINGSIDE_BENCH_BASELINE_NODES")); err == nil && n > 0 && n < len(base) {
			base = base[:n]
		}
		t0 := time.Now()
		for _, p := range base {
			for _, op := range []string{"stop", "start"} {
				code, m, err := Do("POST", p.URL+"/v1/desires/node/"+op+"?block=true", "")
				if err != nil || code != 200 {
					b.Fatalf("%s %s: %d %v %v", op, p.Node.Addr, code, m, err)
				}
			}
		}
		perNode := time.Since(t0) / time.Duration(len(base))
		baseline := perNode * time.Duration(len(e.Sidecars))
		e.WaitConverged(b, 60*time.Second)

		// A wave's worth of nodes (one rack of each DC) restarted at once
		// through the lifecycle API, nothing coordinated: on 2 cores that
		// run every node and sidecar, 20 nodes restart slower than one,
		// so this is the limit of a wave on this machine.
		t2 := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, len(e.Sidecars))
		rack := e.Sidecars[0].Node.Rack
		for _, p := range e.Sidecars {
			if p.Node.Rack != rack {
				continue
			}
			wg.Add(1)
			go func(p *Proc) {
				defer wg.Done()
				for _, op := range []string{"stop", "start"} {
					if code, m, err := Do("POST", p.URL+"/v1/desires/node/"+op+"?block=true", ""); err != nil || code != 200 {
						errs <- fmt.Errorf("%s %s: %d %v %v", op, p.Node.Addr, code, m, err)
						return
					}
				}
			}(p)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		perWave := time.Since(t2)
		e.WaitConverged(b, 60*time.Second)

		t1 := time.Now()
		code, m, err := Do("POST", e.Sidecars[0].URL+"/v1/desires/cluster", fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(5*time.Second).Unix()))
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
		logWaves(b, d)
		if path := os.Getenv("RINGSIDE_BENCH_LOG"); path != "" {
			// The sidecars' desire lines, for a look at where a wave waits.
			var out []string
			for _, p := range e.Sidecars {
				for _, l := range strings.Split(p.Log(), "\n") {
					if strings.Contains(l, "cluster desire") || strings.Contains(l, "component=lifecycle") {
						out = append(out, p.Node.Addr.String()+" "+l)
					}
				}
			}
			os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644)
		}
		limit := time.Duration(waves) * perNode
		waveLimit := time.Duration(waves) * perWave
		b.ReportMetric(baseline.Seconds(), "baseline_s")
		b.ReportMetric(perNode.Seconds(), "node_restart_s")
		b.ReportMetric(perWave.Seconds(), "wave_restart_s")
		b.ReportMetric(float64(waves), "waves")
		b.ReportMetric(limit.Seconds(), "limit_s")
		b.ReportMetric(took.Seconds(), "ringside_s")
		b.ReportMetric(took.Seconds()/limit.Seconds(), "x_limit")
		b.ReportMetric(took.Seconds()/waveLimit.Seconds(), "x_wave_limit")
		b.ReportMetric(baseline.Seconds()/took.Seconds(), "speedup")
	}
}

// logWaves prints, per wave, where its time went: from the wave's start
// to the last claim, from a node's claim to its new process starting (drain,
// stop, start), and from that to the last node accepted by the gate.
func logWaves(b *testing.B, d map[string]any) {
	at := func(v any) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(v))
		return t
	}
	nodes, _ := d["nodes"].(map[string]any)
	secs, _ := d["wave_seconds"].([]any)
	for w, wave := range d["waves"].([]any) {
		var first, lastClaim, lastStart, lastDone time.Time
		var restart, gate time.Duration
		n := 0
		for _, h := range wave.([]any) {
			nd, _ := nodes[fmt.Sprint(h)].(map[string]any)
			c, p, f := at(nd["claimed"]), at(nd["process_started"]), at(nd["finished"])
			if c.IsZero() {
				continue
			}
			n++
			if first.IsZero() || c.Before(first) {
				first = c
			}
			lastClaim, lastStart, lastDone = later(lastClaim, c), later(lastStart, p), later(lastDone, f)
			restart, gate = max(restart, p.Sub(c)), max(gate, f.Sub(p))
		}
		sec := 0.0
		if w < len(secs) {
			sec, _ = secs[w].(float64)
		}
		b.Logf("wave %d: %d nodes, %.1fs; claims spread %.1fs, longest claim->process start %.1fs, longest process start->accepted %.1fs, last accepted %.1fs after first claim",
			w, n, sec, lastClaim.Sub(first).Seconds(), restart.Seconds(), gate.Seconds(), lastDone.Sub(first).Seconds())
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
