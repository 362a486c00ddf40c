package ring

import (
	"sync"
	"testing"
)

// The benchmark cluster: 1,000 nodes with 256 random vnodes each, 500 per
// DC in 2 DCs, 3 racks per DC (racks=1 for the no-rack variant), and 5
// keyspaces with distinct replication (no sharing of replica maps).
const (
	benchNodesPerDC = 500
	benchVnodes     = 256
)

var benchEps = map[int][]Endpoint{}
var benchMu sync.Mutex

func benchEndpoints(racks int) []Endpoint {
	benchMu.Lock()
	defer benchMu.Unlock()
	if eps, ok := benchEps[racks]; ok {
		return eps
	}
	eps := genCluster(2, racks, benchNodesPerDC, benchVnodes, 2024)
	benchEps[racks] = eps
	return eps
}

// benchKeyspaces are 5 keyspaces in the common RF 3 layout plus
// system_traces. system_auth has the same replication as app, so the
// cache shares their map; BenchmarkReplicaMapBuild bypasses the cache.
func benchKeyspaces(tb testing.TB) []Keyspace {
	return []Keyspace{
		ntsKeyspace(tb, "app", map[string]string{"dc1": "3", "dc2": "3"}),
		ntsKeyspace(tb, "app_dc1", map[string]string{"dc1": "3"}),
		ntsKeyspace(tb, "app_dc2", map[string]string{"dc2": "3"}),
		ntsKeyspace(tb, "system_auth", map[string]string{"dc1": "3", "dc2": "3"}),
		{Name: "system_traces", Replication: mustRepl(tb, map[string]string{"class": "SimpleStrategy", "replication_factor": "2"})},
	}
}

// rf5Keyspaces adds system_auth with RF 5 per DC: with 3 racks NTS may put
// 3 of a range's 5 replicas in one rack, so no rack can restart whole at
// LOCAL_QUORUM (the hard case for the planner).
func rf5Keyspaces(tb testing.TB) []Keyspace {
	ks := benchKeyspaces(tb)
	ks[3] = ntsKeyspace(tb, "system_auth", map[string]string{"dc1": "5", "dc2": "5"})
	return ks
}

func benchTopology(b *testing.B, racks int) (*Topology, []Keyspace) {
	topo, err := NewTopology(benchEndpoints(racks))
	if err != nil {
		b.Fatal(err)
	}
	ks := benchKeyspaces(b)
	for _, k := range ks {
		if _, err := topo.ReplicaMap(k.Replication); err != nil {
			b.Fatal(err)
		}
	}
	return topo, ks
}

// BenchmarkNewTopology: validate and sort 256,000 tokens.
func BenchmarkNewTopology(b *testing.B) {
	eps := benchEndpoints(3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewTopology(eps); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplicaMapBuild: topology plus one replica map per keyspace for
// the 5 keyspaces (5 x 256,000 ranges), from scratch and without sharing.
func BenchmarkReplicaMapBuild(b *testing.B) {
	eps := benchEndpoints(3)
	ks := benchKeyspaces(b)
	b.ReportAllocs()
	for b.Loop() {
		topo, err := NewTopology(eps)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range ks {
			topo.buildReplicaMap(topo.Effective(k.Replication))
		}
	}
}

// BenchmarkReplicaMapOne: one NTS {dc1:3, dc2:3} map of 256,000 ranges.
func BenchmarkReplicaMapOne(b *testing.B) {
	topo, ks := benchTopology(b, 3)
	b.ReportAllocs()
	var m *ReplicaMap
	for b.Loop() {
		m = topo.buildReplicaMap(ks[0].Replication)
	}
	// Resident size: replicas and offsets, then the endpoint->ranges index
	// that incremental availability builds on first use.
	b.ReportMetric(float64(4*len(m.reps)+4*len(m.off)+len(m.full))/1e6, "MB-map")
	m.buildIndex()
	b.ReportMetric(float64(4*len(m.epRng)+4*len(m.epOff))/1e6, "MB-index")
}

// BenchmarkAvailabilityFull: evaluate every range of the 5 keyspaces at
// every level (replica maps already built).
func BenchmarkAvailabilityFull(b *testing.B) {
	topo, ks := benchTopology(b, 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := topo.NewAvailability(ks, "dc1", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAvailabilityNodeDown: one node goes down (or back up) and the
// ranges it replicates are re-evaluated; the loop alternates down and up
// over different nodes so each op is a real change.
func BenchmarkAvailabilityNodeDown(b *testing.B) {
	topo, ks := benchTopology(b, 3)
	a, err := topo.NewAvailability(ks, "dc1", nil)
	if err != nil {
		b.Fatal(err)
	}
	// Warm the endpoint->ranges indexes, built once per replica map.
	a.SetDown(0, true)
	a.SetDown(0, false)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ep := (i / 2 * 37) % topo.Len()
		if _, err := a.SetDown(ep, i%2 == 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchPlan(b *testing.B, racks int, cl ConsistencyLevel, rf5 bool) {
	topo, ks := benchTopology(b, racks)
	if rf5 {
		ks = rf5Keyspaces(b)
		if _, err := topo.ReplicaMap(ks[3].Replication); err != nil {
			b.Fatal(err)
		}
	}
	// Traces are best effort: SimpleStrategy RF 2 could not lose a node at
	// any level above ONE, and ignores racks.
	req := PlanRequest{Keyspaces: ks, CL: cl, KeyspaceCL: map[string]ConsistencyLevel{"system_traces": Any}}
	b.ReportAllocs()
	var plan *Plan
	for b.Loop() {
		var err error
		if plan, err = topo.PlanRestart(req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(plan.Waves)), "waves")
	b.ReportMetric(float64(plan.LowerBound), "lower-bound")
}

// BenchmarkPlan1000: waves for all 1,000 nodes, 3 racks per DC.
func BenchmarkPlan1000LocalQuorum(b *testing.B) { benchPlan(b, 3, LocalQuorum, false) }
func BenchmarkPlan1000Quorum(b *testing.B)      { benchPlan(b, 3, Quorum, false) }

// BenchmarkPlan1000NoRacks: the same cluster with a single rack per DC.
func BenchmarkPlan1000NoRacksLocalQuorum(b *testing.B) { benchPlan(b, 1, LocalQuorum, false) }

// BenchmarkPlan1000RF5: system_auth with RF 5 per DC over 3 racks.
func BenchmarkPlan1000RF5LocalQuorum(b *testing.B) { benchPlan(b, 3, LocalQuorum, true) }
