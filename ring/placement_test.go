package ring

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func mustTopo(t testing.TB, eps []Endpoint) *Topology {
	t.Helper()
	topo, err := NewTopology(eps)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func mustRepl(t testing.TB, m map[string]string) Replication {
	t.Helper()
	r, err := ParseReplication(m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func names(topo *Topology, idx []int) []string {
	out := make([]string, len(idx))
	for i, e := range idx {
		out[i] = topo.Endpoint(e).Name
	}
	return out
}

// propertyFileEndpoints is NetworkTopologyStrategyTest.createDummyTokens with
// the DCs and racks of Cassandra's test cassandra-topology.properties. The
// tests use OrderPreservingPartitioner string tokens ("0AB" < "123" < ... <
// "ABC"); parsed as hex they keep their order, which is all placement uses.
func propertyFileEndpoints(populateDC3 bool) []Endpoint {
	type row struct{ tok, ip, dc, rack string }
	rows := []row{
		{"123", "10.0.0.10", "DC1", "RAC1"},
		{"234", "10.0.0.11", "DC1", "RAC1"},
		{"345", "10.0.0.12", "DC1", "RAC2"},
		{"789", "10.20.114.10", "DC2", "RAC1"},
		{"890", "10.20.114.11", "DC2", "RAC1"},
	}
	if populateDC3 {
		rows = append(rows, row{"456", "10.21.119.13", "DC3", "RAC1"}, row{"567", "10.21.119.10", "DC3", "RAC1"})
	}
	rows = append(rows, row{"90A", "10.0.0.13", "DC1", "RAC2"})
	if populateDC3 {
		rows = append(rows, row{"0AB", "10.21.119.14", "DC3", "RAC2"})
	}
	rows = append(rows, row{"ABC", "10.20.114.15", "DC2", "RAC2"})
	var eps []Endpoint
	for _, r := range rows {
		var v int64
		fmt.Sscanf(r.tok, "%x", &v)
		eps = append(eps, Endpoint{Name: r.ip, DC: r.dc, Rack: r.rack, Tokens: []Token{Token(v)}})
	}
	return eps
}

// NetworkTopologyStrategyTest.testProperties: {DC1:3, DC2:2, DC3:1} from
// token "123" gives 6 distinct replicas. The exact list follows the walk of
// calculateNaturalReplicas (DC1 has 2 racks for RF 3, so one rack repeat is
// accepted as soon as it is met; DC2's second RAC1 node is refused).
func TestNTSProperties(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(true))
	r := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "DC1": "3", "DC2": "2", "DC3": "1"})
	if r.RFIn("DC1").All != 3 || r.RFIn("DC2").All != 2 || r.RFIn("DC3").All != 1 {
		t.Fatal("RFIn")
	}
	got := names(topo, topo.Replicas(r, 0x123))
	want := []string{"10.0.0.10", "10.0.0.11", "10.0.0.12", "10.21.119.13", "10.20.114.10", "10.20.114.15"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replicas of 123: %v, want %v", got, want)
	}
}

// NetworkTopologyStrategyTest.testPropertiesWithEmptyDC: DC3 has RF 0 and
// no nodes; {DC1:3, DC2:3} still yields 6 distinct replicas.
func TestNTSPropertiesWithEmptyDC(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(false))
	r := mustRepl(t, map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "DC1": "3", "DC2": "3", "DC3": "0"})
	if r.RFIn("DC3").All != 0 {
		t.Fatal("DC3 RF")
	}
	got := names(topo, topo.Replicas(r, 0x123))
	want := []string{"10.0.0.10", "10.0.0.11", "10.0.0.12", "10.20.114.10", "10.20.114.11", "10.20.114.15"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replicas of 123: %v, want %v", got, want)
	}
}

// largeClusterEndpoints is NetworkTopologyStrategyTest.testLargeCluster's
// ring: DC d has dcRacks[d] racks and dcEndpoints[d] nodes, node 10.d.rack.ep
// owns token "%02x%02x%02x"(ep, rack, dc) (RackInferringSnitch: DC is the
// second octet, rack the third).
func largeClusterEndpoints() []Endpoint {
	dcRacks := []int{2, 4, 8}
	dcEndpoints := []int{128, 256, 512}
	var eps []Endpoint
	for dc := range dcRacks {
		for rack := 0; rack < dcRacks[dc]; rack++ {
			for ep := 1; ep <= dcEndpoints[dc]/dcRacks[dc]; ep++ {
				eps = append(eps, Endpoint{
					Name:   fmt.Sprintf("10.%d.%d.%d", dc, rack, ep),
					DC:     fmt.Sprint(dc),
					Rack:   fmt.Sprint(rack),
					Tokens: []Token{Token(ep<<16 | rack<<8 | dc)},
				})
			}
		}
	}
	return eps
}

func TestNTSLargeCluster(t *testing.T) {
	topo := mustTopo(t, largeClusterEndpoints())
	dcs := map[string]int{"0": 2, "1": 6, "2": 6}
	r := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "0": "2", "1": "6", "2": "6"})
	for _, tk := range []Token{0x123456, 0x200000, 0x000402, 0xffffff, 0x400200} {
		reps := topo.Replicas(r, tk)
		set := map[int]bool{}
		for _, e := range reps {
			set[e] = true
		}
		if len(reps) != 14 || len(set) != 14 {
			t.Fatalf("token %x: %d replicas (%d distinct), want 14", int64(tk), len(reps), len(set))
		}
		// Cross-check against the pre-CASSANDRA-12979 algorithm kept in
		// NetworkTopologyStrategyTest (same set, same primary).
		if old := oldNTSReplicas(topo, dcs, tk); !sameReplicas(old, reps) {
			t.Fatalf("token %x: %v, old algorithm %v", int64(tk), names(topo, reps), names(topo, old))
		}
	}
}

// oldNTSReplicas is NetworkTopologyStrategyTest.calculateNaturalEndpoints,
// the earlier NTS algorithm (skip racks already used, then append skipped
// endpoints once every rack is used) that the test suite keeps as a
// reference. It yields the same replica set and primary as the current one,
// in a possibly different order.
func oldNTSReplicas(topo *Topology, datacenters map[string]int, tok Token) []int {
	var replicas []int
	in := map[int]bool{}
	dcReplicas := map[string]map[int]bool{}
	seenRacks := map[string]map[string]bool{}
	skipped := map[string][]int{}
	for dc := range datacenters {
		dcReplicas[dc] = map[int]bool{}
		seenRacks[dc] = map[string]bool{}
	}
	sufficient := func(dc string) bool {
		return len(dcReplicas[dc]) >= min(topo.NodesInDC(dc), datacenters[dc])
	}
	allSufficient := func() bool {
		for dc := range datacenters {
			if !sufficient(dc) {
				return false
			}
		}
		return true
	}
	add := func(dc string, ep int) {
		dcReplicas[dc][ep] = true
		if !in[ep] {
			in[ep] = true
			replicas = append(replicas, ep)
		}
	}
	n := topo.NumRanges()
	start := topo.RangeIndex(tok)
	for j := 0; j < n && !allSufficient(); j++ {
		ep := topo.Owner((start + j) % n)
		e := topo.Endpoint(ep)
		dc := e.DC
		if _, ok := datacenters[dc]; !ok || sufficient(dc) {
			continue
		}
		if len(seenRacks[dc]) == len(topo.Racks(dc)) {
			add(dc, ep)
			continue
		}
		if seenRacks[dc][e.Rack] {
			if !containsInt(skipped[dc], ep) {
				skipped[dc] = append(skipped[dc], ep)
			}
			continue
		}
		add(dc, ep)
		seenRacks[dc][e.Rack] = true
		if len(seenRacks[dc]) == len(topo.Racks(dc)) {
			for _, s := range skipped[dc] {
				if sufficient(dc) {
					break
				}
				add(dc, s)
			}
		}
	}
	return replicas
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sameReplicas is NetworkTopologyStrategyTest.endpointsDiffer negated.
func sameReplicas(a, b []int) bool {
	if len(a) != len(b) || (len(a) > 0 && a[0] != b[0]) {
		return false
	}
	x, y := append([]int(nil), a...), append([]int(nil), b...)
	sort.Ints(x)
	sort.Ints(y)
	return reflect.DeepEqual(x, y)
}

// NetworkTopologyStrategyTest.testCalculateEndpoints: 100 nodes with 64
// random vnodes, DCs rf1:1, rf3:3, rf5_1..3:5, each DC with a random number
// of racks in [1, 3*rf-1] and nodes spread over DCs in proportion to RF;
// 1000 random tokens per run must agree with the old algorithm.
func TestNTSCalculateEndpointsEquivalence(t *testing.T) {
	datacenters := map[string]int{"rf1": 1, "rf3": 3, "rf5_1": 5, "rf5_2": 5, "rf5_3": 5}
	dcNames := []string{"rf1", "rf3", "rf5_1", "rf5_2", "rf5_3"}
	runs := 10
	if testing.Short() {
		runs = 3
	}
	for run := 0; run < runs; run++ {
		rnd := rand.New(rand.NewPCG(uint64(run), 12979))
		racks := map[string]int{}
		var weighted []string
		for _, dc := range dcNames {
			racks[dc] = rnd.IntN(datacenters[dc]*3-1) + 1
			for i := 0; i < datacenters[dc]; i++ {
				weighted = append(weighted, dc)
			}
		}
		var eps []Endpoint
		for i := 0; i < 100; i++ {
			dc := weighted[rnd.IntN(len(weighted))]
			e := Endpoint{Name: fmt.Sprintf("127.0.0.%d", i), DC: dc, Rack: fmt.Sprint(rnd.IntN(racks[dc]))}
			for j := 0; j < 64; j++ {
				e.Tokens = append(e.Tokens, Token(rnd.Int64()-rnd.Int64()))
			}
			eps = append(eps, e)
		}
		topo := mustTopo(t, eps)
		m := map[string]string{"class": "NetworkTopologyStrategy"}
		for dc, rf := range datacenters {
			m[dc] = fmt.Sprint(rf)
		}
		r := mustRepl(t, m)
		rm, err := topo.ReplicaMap(r)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1000; i++ {
			tk := Token(rnd.Uint64())
			got := topo.Replicas(r, tk)
			if old := oldNTSReplicas(topo, datacenters, tk); !sameReplicas(got, old) {
				t.Fatalf("run %d token %d: %v, old algorithm %v", run, tk, names(topo, got), names(topo, old))
			}
			if fromMap := rm.ForToken(tk); !reflect.DeepEqual(fromMap, got) {
				t.Fatalf("ReplicaMap.ForToken %v != Replicas %v", fromMap, got)
			}
		}
	}
}

// fourNodes is the ring of SimpleStrategyTest.transientReplica and
// NetworkTopologyStrategyTest.testTransientReplica (SimpleSnitch: one DC
// "datacenter1", one rack "rack1").
func fourNodes() []Endpoint {
	var eps []Endpoint
	for i := 1; i <= 4; i++ {
		eps = append(eps, Endpoint{Name: fmt.Sprintf("127.0.0.%d", i), DC: "datacenter1", Rack: "rack1", Tokens: []Token{Token(100 * i)}})
	}
	return eps
}

func TestTransientReplicas(t *testing.T) {
	topo := mustTopo(t, fourNodes())
	for _, m := range []map[string]string{
		{"class": "SimpleStrategy", "replication_factor": "3/1"},
		{"class": "NetworkTopologyStrategy", "datacenter1": "3/1"},
	} {
		r := mustRepl(t, m)
		rm, err := topo.ReplicaMap(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			tok   Token
			rng   Range
			reps  []string
			fulls []bool
		}{
			{99, Range{400, 100}, []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}, []bool{true, true, false}},
			{101, Range{100, 200}, []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}, []bool{true, true, false}},
		} {
			i := rm.RangeIndex(c.tok)
			if rm.Range(i) != c.rng {
				t.Fatalf("%s: range of %d = %v, want %v", r, c.tok, rm.Range(i), c.rng)
			}
			if got := names(topo, rm.ForRange(i)); !reflect.DeepEqual(got, c.reps) {
				t.Fatalf("%s: replicas of %d = %v, want %v", r, c.tok, got, c.reps)
			}
			if got := rm.FullForRange(i); !reflect.DeepEqual(got, c.fulls) {
				t.Fatalf("%s: full flags of %d = %v, want %v", r, c.tok, got, c.fulls)
			}
		}
		if !rm.HasTransient() {
			t.Fatalf("%s: HasTransient false", r)
		}
	}
}

// SimpleStrategyTest.verifyGetNaturalEndpoints: endpoints at 0,10,..,40,
// keys at 5,15,..,45; key i is replicated on hosts (i+j+1) % 5, j < RF, for
// the test schema's SimpleStrategy keyspaces (RF 1 and RF 3).
func TestSimpleStrategyEndpoints(t *testing.T) {
	var eps []Endpoint
	for i := 0; i < 5; i++ {
		eps = append(eps, Endpoint{Name: fmt.Sprintf("127.0.0.%d", i+1), DC: "datacenter1", Rack: "rack1", Tokens: []Token{Token(10 * i)}})
	}
	topo := mustTopo(t, eps)
	for _, rf := range []int{1, 3} {
		r := mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": fmt.Sprint(rf)})
		for i := 0; i < 5; i++ {
			got := topo.Replicas(r, Token(10*i+5))
			var want []int
			for j := 0; j < rf; j++ {
				want = append(want, (i+j+1)%5)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("rf %d key %d: %v, want %v", rf, 10*i+5, got, want)
			}
		}
	}
}

// SimpleStrategyTest.testMultiDCSimpleStrategyEndpoints: the ring of the
// topology_test.test_size_estimates_multidc dtest, RF 3 over 3 nodes in two
// DCs: every host is primary for 2 ranges and replica for all 6.
func TestSimpleStrategyMultiDC(t *testing.T) {
	eps := []Endpoint{
		{Name: "127.0.0.1", DC: "DC1", Rack: "RAC1", Tokens: []Token{-6639341390736545756, -2688160409776496397}},
		{Name: "127.0.0.2", DC: "DC1", Rack: "RAC1", Tokens: []Token{-2506475074448728501, 8473270337963525440}},
		{Name: "127.0.0.4", DC: "DC2", Rack: "RAC1", Tokens: []Token{-3736333188524231709, 8673615181726552074}},
	}
	topo := mustTopo(t, eps)
	r := mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "3"})
	primary, total := map[int]int{}, map[int]int{}
	for _, tk := range topo.Tokens() {
		reps := topo.Replicas(r, tk)
		primary[reps[0]]++
		for _, e := range reps {
			total[e]++
		}
	}
	for e := 0; e < 3; e++ {
		if primary[e] != 2 || total[e] != 6 {
			t.Fatalf("%s: primary %d total %d, want 2 and 6", eps[e].Name, primary[e], total[e])
		}
	}
}

func TestRFCappedAtNodes(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(true))
	// DC2 has 3 nodes: RF 5 places 3; SimpleStrategy RF 20 places all 10.
	r := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "DC2": "5"})
	if got := topo.Replicas(r, 0); len(got) != 3 {
		t.Fatalf("NTS DC2:5 on 3 nodes: %d replicas", len(got))
	}
	r = mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "20"})
	if got := topo.Replicas(r, 0); len(got) != 10 {
		t.Fatalf("Simple RF 20 on 10 nodes: %d replicas", len(got))
	}
	// A DC unknown to the ring contributes nothing.
	r = mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "DC9": "3", "DC3": "1"})
	if got := names(topo, topo.Replicas(r, 0x123)); !reflect.DeepEqual(got, []string{"10.21.119.13"}) {
		t.Fatalf("DC9 unknown: %v", got)
	}
}

func TestEverywhereStrategy(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(true))
	r := mustRepl(t, map[string]string{"class": "org.apache.cassandra.locator.EverywhereStrategy"})
	got := topo.Replicas(r, 0x124)
	// Ring order from "234": every endpoint once.
	want := []string{"10.0.0.11", "10.0.0.12", "10.21.119.13", "10.21.119.10", "10.20.114.10", "10.20.114.11", "10.0.0.13", "10.20.114.15", "10.21.119.14", "10.0.0.10"}
	if !reflect.DeepEqual(names(topo, got), want) {
		t.Fatalf("everywhere: %v", names(topo, got))
	}
	rm, err := topo.ReplicaMap(r)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rm.ForToken(0x124), got) || len(rm.RangesOf(3)) != topo.NumRanges() {
		t.Fatal("everywhere replica map")
	}
	eff := topo.Effective(r)
	if eff.RFIn("DC1").All != 4 || eff.TotalRF().All != 10 {
		t.Fatalf("effective %v", eff)
	}
	if n, err := LocalQuorum.BlockFor(eff, "DC1"); err != nil || n != 3 {
		t.Fatalf("LOCAL_QUORUM everywhere DC1: %d %v", n, err)
	}
	if _, err := LocalQuorum.BlockFor(r, "DC1"); err == nil {
		t.Fatal("unresolved everywhere BlockFor accepted")
	}
}

func TestLocalStrategy(t *testing.T) {
	topo := mustTopo(t, fourNodes())
	r := mustRepl(t, map[string]string{"class": "org.apache.cassandra.locator.LocalStrategy"})
	if topo.Replicas(r, 0) != nil {
		t.Fatal("LocalStrategy replicas")
	}
	if _, err := topo.ReplicaMap(r); err != ErrLocalStrategy {
		t.Fatalf("LocalStrategy ReplicaMap: %v", err)
	}
}

func TestReplicaMapAgreesWithReplicas(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(true))
	r := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "DC1": "3", "DC2": "2", "DC3": "1"})
	rm, err := topo.ReplicaMap(r)
	if err != nil {
		t.Fatal(err)
	}
	rm2, _ := topo.ReplicaMap(mustRepl(t, map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "DC3": "1", "DC2": "2", "DC1": "3"}))
	if rm != rm2 {
		t.Fatal("equal replications do not share a cached map")
	}
	for i := 0; i < rm.NumRanges(); i++ {
		rg := rm.Range(i)
		if !reflect.DeepEqual(rm.ForRange(i), topo.Replicas(r, rg.End)) {
			t.Fatalf("range %v", rg)
		}
		for _, e := range rm.ForRange(i) {
			if !containsInt(rm.RangesOf(e), i) {
				t.Fatalf("RangesOf(%d) misses %d", e, i)
			}
		}
	}
}

func TestParseReplicationErrors(t *testing.T) {
	for _, c := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"class": "org.example.MyStrategy", "dc1": "3"}, `"org.example.MyStrategy"`},
		{map[string]string{"class": "OldNetworkTopologyStrategy"}, "OldNetworkTopologyStrategy"},
		{map[string]string{"dc1": "3"}, "no class"},
		{map[string]string{"class": "SimpleStrategy"}, "SimpleStrategy requires a replication_factor strategy option"},
		{map[string]string{"class": "SimpleStrategy", "replication_factor": "3", "dc1": "1"}, "unrecognized strategy option {dc1}"},
		{map[string]string{"class": "NetworkTopologyStrategy", "replication_factor": "3"}, "replication_factor should not appear"},
		{map[string]string{"class": "NetworkTopologyStrategy", "dc1": "-1"}, "non-negative"},
		{map[string]string{"class": "NetworkTopologyStrategy", "dc1": "three"}, "not a number"},
		{map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3/3"}, "less than total"},
		{map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3/"}, "format"},
		{map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3/1/1"}, "format"},
		{map[string]string{"class": "LocalStrategy", "replication_factor": "1"}, "doesn't accept any options"},
	} {
		_, err := ParseReplication(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseReplication(%v) = %v, want error containing %q", c.m, err, c.want)
		}
	}
}

func TestParseReplicationRoundTrip(t *testing.T) {
	m := map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "3/1", "dc2": "2"}
	r := mustRepl(t, m)
	if !reflect.DeepEqual(r.Map(), m) {
		t.Fatalf("Map() = %v", r.Map())
	}
	if r.DCs["dc1"] != (ReplicationFactor{All: 3, Transient: 1}) || r.DCs["dc1"].Full() != 2 || r.DCs["dc1"].String() != "3/1" {
		t.Fatalf("dc1 rf %+v", r.DCs["dc1"])
	}
	if r.TotalRF() != (ReplicationFactor{All: 5, Transient: 1}) {
		t.Fatalf("total %v", r.TotalRF())
	}
	if r.String() != "NetworkTopologyStrategy{dc1:3/1, dc2:2}" {
		t.Fatalf("String %s", r)
	}
	s := mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "2"})
	if s.Map()["class"] != "org.apache.cassandra.locator.SimpleStrategy" || s.TotalRF().All != 2 {
		t.Fatalf("simple %v", s.Map())
	}
}

func TestNewTopologyErrors(t *testing.T) {
	ok := func(name string, toks ...Token) Endpoint {
		return Endpoint{Name: name, DC: "dc1", Rack: "r1", Tokens: toks}
	}
	for _, c := range []struct {
		eps  []Endpoint
		want string
	}{
		{nil, "no endpoints"},
		{[]Endpoint{ok("a", 1), ok("b")}, "b owns no tokens"},
		{[]Endpoint{ok("a", 1), ok("b", 1)}, "token 1 is owned by both a and b"},
		{[]Endpoint{ok("a", 1, 1)}, "a lists token 1 twice"},
		{[]Endpoint{ok("a", 1), ok("a", 2)}, "both named a"},
		{[]Endpoint{{Name: "a", Rack: "r", Tokens: []Token{1}}}, "no data center"},
		{[]Endpoint{{Name: "a", DC: "d", Tokens: []Token{1}}}, "no rack"},
		{[]Endpoint{{DC: "d", Rack: "r", Tokens: []Token{1}}}, "no name"},
	} {
		_, err := NewTopology(c.eps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewTopology: %v, want error containing %q", err, c.want)
		}
	}
}

func TestRangesWrapAround(t *testing.T) {
	topo := mustTopo(t, fourNodes())
	for _, c := range []struct {
		tok Token
		idx int
	}{{MinToken, 0}, {100, 0}, {101, 1}, {400, 3}, {401, 0}, {MaxToken, 0}} {
		if got := topo.RangeIndex(c.tok); got != c.idx {
			t.Errorf("RangeIndex(%d) = %d, want %d", c.tok, got, c.idx)
		}
		if !topo.RangeAt(c.idx).Contains(c.tok) {
			t.Errorf("range %v does not contain %d", topo.RangeAt(c.idx), c.tok)
		}
	}
	single := mustTopo(t, []Endpoint{{Name: "a", DC: "d", Rack: "r", Tokens: []Token{7}}})
	if !single.RangeAt(0).IsFullRing() {
		t.Fatal("single token is not the full ring")
	}
}

func TestWarningsAndAppend(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(true))
	w := topo.Warnings("ks", mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "DC1": "5", "DC2": "3", "DC9": "4"}))
	if len(w) != 1 || w[0] != "Your replication factor 5 for keyspace ks is higher than the number of nodes 4 for datacenter DC1" {
		t.Fatalf("warnings %q", w)
	}
	if w := topo.Warnings("ks", mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "11"})); len(w) != 1 {
		t.Fatalf("simple warnings %q", w)
	}
	r := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "DC1": "3", "DC2": "2"})
	rm, _ := topo.ReplicaMap(r)
	buf := make([]int, 0, 8)
	if got := rm.AppendForToken(buf, 0x123); !reflect.DeepEqual(got, topo.Replicas(r, 0x123)) {
		t.Fatalf("AppendForToken %v", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { buf = rm.AppendForToken(buf[:0], 0x124) }); allocs != 0 {
		t.Fatalf("AppendForToken allocates %v", allocs)
	}
}
