package ring

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// genCluster builds dcs DCs of nodesPerDC nodes spread round-robin over
// racksPerDC racks, each node with vnodes random tokens (seeded).
func genCluster(dcs, racksPerDC, nodesPerDC, vnodes int, seed uint64) []Endpoint {
	rnd := rand.New(rand.NewPCG(seed, 42))
	used := map[Token]bool{}
	var eps []Endpoint
	for d := 1; d <= dcs; d++ {
		for i := 0; i < nodesPerDC; i++ {
			e := Endpoint{Name: fmt.Sprintf("10.%d.%d.%d:7000", d, i/250, i%250), DC: fmt.Sprintf("dc%d", d), Rack: fmt.Sprintf("rack%d", i%racksPerDC+1)}
			for len(e.Tokens) < vnodes {
				tk := Token(rnd.Int64() - rnd.Int64())
				if !used[tk] {
					used[tk] = true
					e.Tokens = append(e.Tokens, tk)
				}
			}
			eps = append(eps, e)
		}
	}
	return eps
}

func ntsKeyspace(t testing.TB, name string, rf map[string]string) Keyspace {
	m := map[string]string{"class": "NetworkTopologyStrategy"}
	for k, v := range rf {
		m[k] = v
	}
	return Keyspace{Name: name, Replication: mustRepl(t, m)}
}

var refs = map[*Topology]refRing{}

func assertSafe(t *testing.T, topo *Topology, req PlanRequest, plan *Plan) {
	t.Helper()
	ref, ok := refs[topo]
	if !ok {
		ref = newRefRing(topo.Endpoints())
		refs[topo] = ref
	}
	planned := 0
	for i, w := range plan.Waves {
		if ok, why := waveSafe(topo, ref, req, w); !ok {
			t.Fatalf("wave %d unsafe: %s", i, why)
		}
		planned += len(w)
	}
	if want := len(req.Nodes); want > 0 && planned != want-len(plan.AlreadyDown) {
		t.Fatalf("planned %d nodes, want %d", planned, want)
	}
}

// The common layout: NTS RF 3 in each of 2 DCs with 3 racks each. Whatever
// the number of nodes, the plan is one rack of each DC per wave: 3 waves,
// which is optimal.
func TestPlanOneRackPerWave(t *testing.T) {
	for _, nodes := range []int{6, 30, 90} {
		topo := mustTopo(t, genCluster(2, 3, nodes, 16, uint64(nodes)))
		for _, cl := range []ConsistencyLevel{LocalQuorum, Quorum, EachQuorum, Serial, LocalSerial} {
			req := PlanRequest{
				Keyspaces: []Keyspace{
					ntsKeyspace(t, "app", map[string]string{"dc1": "3", "dc2": "3"}),
					ntsKeyspace(t, "dc1only", map[string]string{"dc1": "3"}),
					{Name: "system", Replication: mustRepl(t, map[string]string{"class": "LocalStrategy"})},
				},
				CL: cl,
			}
			plan, err := topo.PlanRestart(req)
			if err != nil {
				t.Fatalf("%s %d nodes: %v", cl, nodes, err)
			}
			if len(plan.Waves) != 3 || plan.LowerBound != 3 || !plan.ByRack {
				t.Fatalf("%s %d nodes/DC: %d waves, lower bound %d, by rack %v", cl, nodes, len(plan.Waves), plan.LowerBound, plan.ByRack)
			}
			for i, w := range plan.Waves {
				racks := map[string]bool{}
				for _, e := range w {
					ep := topo.Endpoint(e)
					racks[ep.DC+"/"+ep.Rack] = true
				}
				if len(w) != 2*nodes/3 || len(racks) != 2 {
					t.Fatalf("%s wave %d: %d nodes in racks %v", cl, i, len(w), racks)
				}
			}
			assertSafe(t, topo, req, plan)
		}
	}
}

// With a cap, racks are cut into pieces; the plan meets the bound
// ceil(nodes / cap) when the racks divide evenly.
func TestPlanWithCap(t *testing.T) {
	topo := mustTopo(t, genCluster(2, 3, 30, 16, 7))
	req := PlanRequest{
		Keyspaces:  []Keyspace{ntsKeyspace(t, "app", map[string]string{"dc1": "3", "dc2": "3"})},
		CL:         LocalQuorum,
		MaxPerWave: 5,
	}
	plan, err := topo.PlanRestart(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Waves) != 12 || plan.LowerBound != 12 {
		t.Fatalf("%d waves, lower bound %d", len(plan.Waves), plan.LowerBound)
	}
	for _, w := range plan.Waves {
		if len(w) > 5 {
			t.Fatalf("wave of %d", len(w))
		}
	}
	assertSafe(t, topo, req, plan)
}

// Scope: only dc2's rack2 and rack3.
func TestPlanScope(t *testing.T) {
	topo := mustTopo(t, genCluster(2, 3, 30, 16, 8))
	req := PlanRequest{
		Keyspaces: []Keyspace{ntsKeyspace(t, "app", map[string]string{"dc1": "3", "dc2": "3"})},
		CL:        LocalQuorum,
		DCs:       []string{"dc2"},
		Racks:     []RackRef{{Rack: "rack2"}, {DC: "dc2", Rack: "rack3"}, {DC: "dc1", Rack: "rack1"}},
	}
	plan, err := topo.PlanRestart(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Waves) != 2 {
		t.Fatalf("%d waves", len(plan.Waves))
	}
	for _, w := range plan.Waves {
		for _, e := range w {
			if ep := topo.Endpoint(e); ep.DC != "dc2" || ep.Rack == "rack1" {
				t.Fatalf("%s out of scope", ep.Name)
			}
		}
	}
}

// Without racks, one token per node, RF 3 at QUORUM: nodes i, i+3, i+6...
// never share a range, so 3 waves of 4 suffice.
func TestPlanNoRacksSingleToken(t *testing.T) {
	var eps []Endpoint
	for i := 0; i < 12; i++ {
		eps = append(eps, Endpoint{Name: fmt.Sprintf("n%02d", i), DC: "dc1", Rack: "rack1", Tokens: []Token{Token(i * 1000)}})
	}
	topo := mustTopo(t, eps)
	req := PlanRequest{Keyspaces: []Keyspace{{Name: "ks", Replication: mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "3"})}}, CL: Quorum}
	plan, err := topo.PlanRestart(req)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 3, 6, 9}, {1, 4, 7, 10}, {2, 5, 8, 11}}
	if !reflect.DeepEqual(plan.Waves, want) || plan.LowerBound != 3 || plan.ByRack {
		t.Fatalf("waves %v lower bound %d", plan.Waves, plan.LowerBound)
	}
}

// Without racks and with vnodes, waves are still far larger than one node.
func TestPlanNoRacksVnodes(t *testing.T) {
	topo := mustTopo(t, genCluster(1, 1, 60, 16, 3))
	req := PlanRequest{Keyspaces: []Keyspace{ntsKeyspace(t, "ks", map[string]string{"dc1": "3"})}, CL: LocalQuorum}
	plan, err := topo.PlanRestart(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Waves) > 20 || plan.LowerBound < 3 {
		t.Fatalf("%d waves for 60 nodes (lower bound %d)", len(plan.Waves), plan.LowerBound)
	}
	assertSafe(t, topo, req, plan)
	t.Logf("60 nodes, 1 rack, 16 vnodes, RF 3: %d waves, lower bound %d", len(plan.Waves), plan.LowerBound)
}

// RF 1 leaves no room: every node is the only replica of its ranges.
func TestPlanImpossible(t *testing.T) {
	topo := mustTopo(t, genCluster(1, 3, 6, 4, 1))
	_, err := topo.PlanRestart(PlanRequest{Keyspaces: []Keyspace{ntsKeyspace(t, "ks", map[string]string{"dc1": "1"})}, CL: One})
	var pe *PlanError
	if !errors.As(err, &pe) || len(pe.Nodes) != 6 || pe.Keyspace != "ks" || pe.Outcome.Alive != 0 || pe.Outcome.Required != 1 {
		t.Fatalf("err %v", err)
	}
	// Levels that need more than the replicas alive already fail.
	_, err = topo.PlanRestart(PlanRequest{Keyspaces: []Keyspace{ntsKeyspace(t, "ks", map[string]string{"dc1": "3"})}, CL: All, Down: []int{0}})
	if !errors.As(err, &pe) || len(pe.Nodes) != 0 || !strings.Contains(err.Error(), "already unavailable") {
		t.Fatalf("err %v", err)
	}
	// RF above the node count makes ALL impossible from the start.
	_, err = topo.PlanRestart(PlanRequest{Keyspaces: []Keyspace{ntsKeyspace(t, "ks", map[string]string{"dc1": "7"})}, CL: All})
	if !errors.As(err, &pe) || len(pe.Nodes) != 0 || pe.Outcome.Required != 7 || pe.Outcome.Replicas != 6 {
		t.Fatalf("err %v", err)
	}
}

// A node already down: its rack-mates can still be restarted, but the
// nodes sharing its ranges cannot (LOCAL_QUORUM would drop to 1 of 3).
func TestPlanWithNodeDown(t *testing.T) {
	topo := mustTopo(t, genCluster(1, 3, 9, 1, 5))
	ks := []Keyspace{ntsKeyspace(t, "ks", map[string]string{"dc1": "3"})}
	_, err := topo.PlanRestart(PlanRequest{Keyspaces: ks, CL: LocalQuorum, Down: []int{0}})
	var pe *PlanError
	if !errors.As(err, &pe) || len(pe.Nodes) == 0 {
		t.Fatalf("err %v", err)
	}
	// Restarting only rack1 (node 0's rack) is fine.
	req := PlanRequest{Keyspaces: ks, CL: LocalQuorum, Down: []int{0}, Racks: []RackRef{{DC: "dc1", Rack: "rack1"}}}
	plan, err := topo.PlanRestart(req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.AlreadyDown, []int{0}) || len(plan.Waves) != 1 || len(plan.Waves[0]) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	assertSafe(t, topo, req, plan)
}

// The plan depends on names, not on the order of the endpoints.
func TestPlanDeterministic(t *testing.T) {
	eps := genCluster(2, 1, 20, 8, 11)
	ks := []Keyspace{ntsKeyspace(t, "ks", map[string]string{"dc1": "3", "dc2": "3"})}
	plan := func(eps []Endpoint) [][]string {
		topo := mustTopo(t, eps)
		p, err := topo.PlanRestart(PlanRequest{Keyspaces: ks, CL: Quorum, MaxPerWave: 7})
		if err != nil {
			t.Fatal(err)
		}
		var out [][]string
		for _, w := range p.Waves {
			out = append(out, names(topo, w))
		}
		return out
	}
	a := plan(eps)
	shuffled := append([]Endpoint(nil), eps...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if b := plan(shuffled); !reflect.DeepEqual(a, b) {
		t.Fatalf("plans differ:\n%v\n%v", a, b)
	}
	if b := plan(eps); !reflect.DeepEqual(a, b) {
		t.Fatal("plans differ between runs")
	}
}
