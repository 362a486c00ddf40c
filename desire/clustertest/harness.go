package clustertest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim"
)

// Fault kinds the harness injects.
const (
	FaultSidecarKill    = "sidecar_kill9"           // kill -9, restarted with its data directory
	FaultSidecarReplace = "sidecar_replaced"        // kill -9, restarted with an empty data directory
	FaultNodeDies       = "cassandra_dies"          // a running node is killed, started again later
	FaultNodeSlow       = "cassandra_slow_start"    // starts take 1-2 s longer
	FaultPartition      = "partition"               // a node cut off from its peers for a while
	FaultNeverReturns   = "cassandra_never_returns" // a node that never finishes starting
)

// HarnessConfig shapes a harness run.
type HarnessConfig struct {
	Seed       uint64
	Runs       int
	Topologies []string
	// RunTimeout bounds one restart; past it the run counts as stuck.
	RunTimeout time.Duration
	Log        func(format string, args ...any)
}

// Summary is what a harness run found.
type Summary struct {
	Runs, Done, Blocked, Stuck int
	Faults                     map[string]int
	Violations                 int
	DoubleRestarts             int
	Missed                     int // nodes of a DONE run never restarted
	BlockedBy                  map[string]int
	Unexpected                 []string // blocked for a reason no fault explains, stuck runs, and each violation
	Samples                    int
	Elapsed                    time.Duration
}

func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "runs %d: done %d, blocked %d, stuck %d; violations %d, double restarts %d, missed %d; %d observer samples in %s\n",
		s.Runs, s.Done, s.Blocked, s.Stuck, s.Violations, s.DoubleRestarts, s.Missed, s.Samples, s.Elapsed.Round(time.Second))
	b.WriteString("faults injected:")
	for _, k := range sortedKeysInt(s.Faults) {
		fmt.Fprintf(&b, " %s=%d", k, s.Faults[k])
	}
	b.WriteString("\nblocked by reason:")
	for _, k := range sortedKeysInt(s.BlockedBy) {
		fmt.Fprintf(&b, " %s=%d", k, s.BlockedBy[k])
	}
	for _, u := range s.Unexpected {
		b.WriteString("\nunexpected: " + u)
	}
	return b.String()
}

func sortedKeysInt(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DetectionGrace is how long after a fault no one can know of it: the
// simulated failure detector convicts a silent node after about 0.3 s
// (TestConfig: 15 ms gossip rounds, phi_convict_threshold 8), and a
// sidecar reads liveness afresh before it claims a slot. A restart
// decided within it of a fault is not counted against the restart.
const DetectionGrace = 500 * time.Millisecond

// HarnessSidecar is the sidecar tuning the harness runs with: short
// leases and timeouts so that takeovers and blocks happen within a run.
func HarnessSidecar(n *sim.Node, c *config.Config) {
	c.Desires.LeaseTTL = time.Second
	c.Desires.RestartTimeout = 15 * time.Second
	c.Desires.GateTimeout = 15 * time.Second
	c.Lifecycle.StartTimeout = 12 * time.Second
}

// RunHarness runs cfg.Runs cluster restarts over the topologies (one
// cluster per topology, reused run after run), injecting seeded faults at
// random moments, and checks every run with an Observer.
func RunHarness(tb testing.TB, cfg HarnessConfig) *Summary {
	sum := &Summary{Faults: map[string]int{}, BlockedBy: map[string]int{}}
	start := time.Now()
	if cfg.RunTimeout == 0 {
		cfg.RunTimeout = 90 * time.Second
	}
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	per := (cfg.Runs + len(cfg.Topologies) - 1) / len(cfg.Topologies)
	run := 0
	for ti, topo := range cfg.Topologies {
		e := Start(tb, Options{Topology: topo, Sidecar: HarnessSidecar})
		for k := 0; k < per && run < cfg.Runs; k++ {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(run)))
			one(tb, e, rng, run, cfg.RunTimeout, sum, logf)
			run++
		}
		e.Close()
		_ = ti
	}
	sum.Runs = run
	sum.Elapsed = time.Since(start)
	return sum
}

// one runs one restart with faults.
func one(tb testing.TB, e *Env, rng *rand.Rand, run int, timeout time.Duration, sum *Summary, logf func(string, ...any)) {
	nodes := e.Cluster.Nodes()
	e.WaitConverged(tb, 30*time.Second)
	obs, err := NewObserver(e.Cluster, keeps(e), 20*time.Millisecond)
	if err != nil {
		tb.Fatal(err)
	}
	obs.Grace = DetectionGrace
	go obs.Run()
	before := Starts(e.Cluster)
	harnessStarts := make([]int, len(nodes))
	var hmu sync.Mutex
	startNode := func(i int) {
		n := nodes[i]
		c0 := n.Status().Starts
		if n.State() == sim.StateStopped && n.Start() == nil && n.Status().Starts > c0 {
			hmu.Lock()
			harnessStarts[i]++
			hmu.Unlock()
		}
	}
	// Choose the faults: 1-3 of them, at random moments in the first seconds.
	kinds := []string{FaultSidecarKill, FaultSidecarReplace, FaultNodeDies, FaultNodeSlow, FaultPartition}
	if rng.IntN(6) == 0 {
		kinds = []string{FaultNeverReturns}
	}
	nf := 1 + rng.IntN(3)
	if kinds[0] == FaultNeverReturns {
		nf = 1
	}
	type fault struct {
		kind      string
		at, pause time.Duration
		node      int
	}
	var faults []fault
	for i := 0; i < nf; i++ {
		faults = append(faults, fault{kind: kinds[rng.IntN(len(kinds))], at: time.Duration(rng.IntN(4000)) * time.Millisecond,
			pause: time.Duration(200+rng.IntN(1800)) * time.Millisecond, node: rng.IntN(len(nodes))})
	}
	// Faults on the same node or sidecar take turns.
	locks := make([]sync.Mutex, len(nodes))
	neverNode := -1
	for _, f := range faults {
		sum.Faults[f.kind]++
		switch f.kind {
		case FaultNodeSlow:
			nodes[f.node].SetStartDelay(time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
		case FaultNeverReturns:
			nodes[f.node].SetStartDelay(-1)
			neverNode = f.node
		}
	}
	poster := rng.IntN(len(e.Sidecars))
	body := fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(10*time.Second).Unix())
	code, m, err := Do("POST", e.Sidecars[poster].URL+"/v1/desires/cluster", body)
	if err != nil || code != 200 {
		tb.Fatalf("run %d: POST: %d %v %v", run, code, m, err)
	}
	id := desireOf(m)["id"]
	var wg sync.WaitGroup
	for _, f := range faults {
		if f.kind == FaultNodeSlow || f.kind == FaultNeverReturns {
			continue
		}
		wg.Add(1)
		go func(f fault) {
			defer wg.Done()
			time.Sleep(f.at)
			locks[f.node].Lock()
			defer locks[f.node].Unlock()
			pause := f.pause
			switch f.kind {
			case FaultSidecarKill, FaultSidecarReplace:
				p := e.Sidecars[f.node]
				p.Kill()
				time.Sleep(pause)
				if err := p.Start(f.kind == FaultSidecarReplace); err != nil {
					logf("run %d: restarting sidecar: %v", run, err)
				}
			case FaultNodeDies:
				n := nodes[f.node]
				if n.State() != sim.StateRunning {
					return
				}
				obs.Fault(f.node)
				n.Kill()
				time.Sleep(pause)
				startNode(f.node)
			case FaultPartition:
				var rest []*sim.Node
				for j, n := range nodes {
					if j != f.node {
						rest = append(rest, n)
					}
				}
				e.Cluster.Partition([][]*sim.Node{{nodes[f.node]}, rest})
				time.Sleep(pause)
				e.Cluster.Heal()
			}
		}(f)
	}
	// Wait for the end, asking a sidecar that is up.
	deadline := time.Now().Add(timeout)
	var d map[string]any
	for time.Now().Before(deadline) {
		p := e.Sidecars[rng.IntN(len(e.Sidecars))]
		if code, m, err := Do("GET", p.URL+"/v1/desires/cluster", ""); err == nil && code == 200 {
			if x := desireOf(m); x != nil && x["id"] == id {
				if st := x["state"]; st == "DONE" || st == "BLOCKED" || st == "CANCELLED" {
					d = x
					break
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	viol, samples, _ := obs.Stop()
	sum.Samples += samples
	sum.Violations += len(viol)
	for _, v := range viol[:min(len(viol), 3)] {
		sum.Unexpected = append(sum.Unexpected, fmt.Sprintf("run %d: %s", run, v))
	}
	after := Starts(e.Cluster)
	state := "stuck"
	if d != nil {
		state = d["state"].(string)
	}
	switch state {
	case "DONE":
		sum.Done++
		for i := range nodes {
			total := after[i] - before[i]
			if total-harnessStarts[i] > 1 {
				sum.DoubleRestarts++
				sum.Unexpected = append(sum.Unexpected, fmt.Sprintf("run %d: node %s restarted %d times by ringside", run, nodes[i].Endpoint(), total-harnessStarts[i]))
			}
			if total == 0 {
				sum.Missed++
				sum.Unexpected = append(sum.Unexpected, fmt.Sprintf("run %d: node %s never restarted", run, nodes[i].Endpoint()))
			}
		}
	case "BLOCKED":
		sum.Blocked++
		reason, _ := d["reason"].(string)
		key := blockKind(reason)
		sum.BlockedBy[key]++
		if neverNode < 0 || !strings.Contains(reason, nodes[neverNode].Endpoint()) {
			sum.Unexpected = append(sum.Unexpected, fmt.Sprintf("run %d: blocked: %s", run, reason))
			if key == "not accepted by peers (gate)" {
				// The hint holders' ground truth, for whoever looks into it.
				for _, n := range nodes {
					if logf != nil {
						logf("run %d: %s", run, n.HintsState())
					}
				}
			}
		}
		for i := range nodes {
			if after[i]-before[i]-harnessStarts[i] > 1 {
				sum.DoubleRestarts++
			}
		}
	default:
		sum.Stuck++
		sum.Unexpected = append(sum.Unexpected, fmt.Sprintf("run %d: %s after %s (faults %v)", run, state, timeout, faults))
	}
	logf("run %d: %s, faults %v, %d violation(s)", run, state, faults, len(viol))
	// Repair for the next run: every node and sidecar up, the desire over.
	for i, n := range nodes {
		n.SetStartDelay(0)
		if i == neverNode {
			n.Kill()
		}
	}
	e.Cluster.Heal()
	if state != "DONE" {
		Do("POST", e.Sidecars[0].URL+"/v1/desires/cluster/cancel", "")
	}
	for i, n := range nodes {
		if n.State() == sim.StateStopped {
			startNode(i)
		}
	}
	for _, p := range e.Sidecars {
		if !p.Running() {
			p.Start(false)
		}
	}
	for _, n := range nodes {
		n.WaitNormal(tb.Context(), 20*time.Second)
	}
	for _, p := range e.Sidecars {
		p.WaitReady(30 * time.Second)
	}
}

func blockKind(reason string) string {
	switch {
	case strings.Contains(reason, "did not come back"):
		return "node did not come back"
	case strings.Contains(reason, "not accepted"):
		return "not accepted by peers (gate)"
	case strings.Contains(reason, "no sidecar holds its lease"):
		return "restart outlived its lease"
	case strings.Contains(reason, "was not restarted within"):
		return "wave not claimed"
	case strings.Contains(reason, "cannot plan"):
		return "no safe wave"
	}
	return reason
}

// keeps are what observers check: app at the sidecars' default levels,
// ringside at SERIAL (its replication as the store creates it).
func keeps(e *Env) []Keep {
	per := map[string]int{}
	for _, n := range e.Cluster.Nodes() {
		per[n.DC]++
	}
	nts := func() map[string]string {
		m := map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy"}
		for dc, n := range per {
			m[dc] = fmt.Sprint(min(3, n))
		}
		return m
	}
	return []Keep{
		{Name: "app", Replication: nts(), Levels: []ring.ConsistencyLevel{ring.LocalQuorum, ring.LocalOne}},
		{Name: "ringside", Replication: nts(), Levels: []ring.ConsistencyLevel{ring.Serial}},
		{Name: "system_auth", Replication: nts(), Levels: []ring.ConsistencyLevel{ring.LocalQuorum}},
	}
}

func desireOf(m map[string]any) map[string]any {
	ds, _ := m["desires"].([]any)
	if len(ds) == 0 {
		return nil
	}
	d, _ := ds[0].(map[string]any)
	return d
}
