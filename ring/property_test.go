package ring

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// Placement equals the literal port of the Java strategies on random small
// rings, for every range, and the NTS result agrees with the pre-4.0
// algorithm of NetworkTopologyStrategyTest (same set, same primary).
func TestPropertyPlacement(t *testing.T) {
	property(t, 2000, func(rnd *rand.Rand) error {
		eps := randEndpoints(rnd, 12, 4)
		topo, err := NewTopology(eps)
		if err != nil {
			return err
		}
		ref := newRefRing(eps)
		r := randReplication(rnd, topo)
		rm, err := topo.ReplicaMap(r)
		if err != nil {
			return err
		}
		for i := 0; i < rm.NumRanges(); i++ {
			end := rm.Range(i).End
			wantReps, wantFull := ref.replicas(r, end)
			if got := rm.ForRange(i); !slices.Equal(got, wantReps) {
				return fmt.Errorf("%s range %v: %v, reference %v", r, rm.Range(i), got, wantReps)
			}
			if got := rm.FullForRange(i); !slices.Equal(got, wantFull) {
				return fmt.Errorf("%s range %v: full %v, reference %v", r, rm.Range(i), got, wantFull)
			}
			// Any token inside the range has the same replicas.
			if mid := end - 1; rm.Range(i).Contains(mid) && !slices.Equal(topo.Replicas(r, mid), wantReps) {
				return fmt.Errorf("%s token %d inside %v", r, mid, rm.Range(i))
			}
			if r.Strategy == NetworkTopologyStrategy {
				dcs := map[string]int{}
				for dc, rf := range r.DCs {
					dcs[dc] = rf.All
				}
				if old := oldNTSReplicas(topo, dcs, end); !sameReplicas(old, wantReps) {
					return fmt.Errorf("%s token %d: %v, old algorithm %v", r, end, wantReps, old)
				}
			}
			for _, e := range wantReps {
				if !containsInt(rm.RangesOf(e), i) {
					return fmt.Errorf("RangesOf(%d) lacks %d", e, i)
				}
			}
		}
		return nil
	})
}

func randKeyspaces(rnd *rand.Rand, topo *Topology) []Keyspace {
	var ks []Keyspace
	for i := 0; i < 1+rnd.IntN(4); i++ {
		ks = append(ks, Keyspace{Name: fmt.Sprintf("ks%d", i), Replication: randReplication(rnd, topo)})
	}
	if rnd.IntN(4) == 0 {
		ks = append(ks, Keyspace{Name: "system", Replication: Replication{Strategy: LocalStrategy}})
	}
	return ks
}

// checkAvailability compares every keyspace and level with the reference.
func checkAvailability(a *Availability, topo *Topology, ref refRing, ks []Keyspace, coord string, down map[int]bool) error {
	for _, k := range ks {
		for _, cl := range ConsistencyLevels() {
			list, err := a.Unavailable(k.Name, cl)
			if err != nil {
				return err
			}
			count, _ := a.UnavailableCount(k.Name, cl)
			want := 0
			for i := 0; i < topo.NumRanges(); i++ {
				rg := topo.RangeAt(i)
				ok := true
				if k.Replication.Strategy != LocalStrategy {
					reps, full := ref.replicas(k.Replication, rg.End)
					ok = ref.serves(k.Replication, cl, coord, reps, full, down)
				}
				if !ok {
					want++
				}
				listed := false
				for _, u := range list {
					listed = listed || u.Range.Contains(rg.End)
				}
				if listed == ok {
					return fmt.Errorf("%s %s %s from %s down %v: range %v listed=%v, reference serves=%v", k.Name, k.Replication, cl, coord, down, rg, listed, ok)
				}
				o, _ := a.CheckToken(k.Name, cl, rg.End)
				if o.OK != ok {
					return fmt.Errorf("%s %s CheckToken(%v) = %+v, reference %v", k.Name, cl, rg, o, ok)
				}
			}
			if count != want {
				return fmt.Errorf("%s %s: count %d, reference %d", k.Name, cl, count, want)
			}
		}
	}
	return nil
}

// Availability equals the reference rules for random down sets, and stays
// equal through incremental down/up changes.
func TestPropertyAvailability(t *testing.T) {
	property(t, 500, func(rnd *rand.Rand) error {
		eps := randEndpoints(rnd, 10, 3)
		topo, err := NewTopology(eps)
		if err != nil {
			return err
		}
		ref := newRefRing(eps)
		ks := randKeyspaces(rnd, topo)
		coord := append(topo.DCs(), "dc9")[rnd.IntN(len(topo.DCs())+1)]
		down := map[int]bool{}
		var downList []int
		for e := range eps {
			if rnd.IntN(3) == 0 {
				down[e] = true
				downList = append(downList, e)
			}
		}
		a, err := topo.NewAvailability(ks, coord, downList)
		if err != nil {
			return err
		}
		if err := checkAvailability(a, topo, ref, ks, coord, down); err != nil {
			return fmt.Errorf("initial: %w", err)
		}
		for step := 0; step < 4; step++ {
			e := rnd.IntN(len(eps))
			down[e] = !down[e]
			if !down[e] {
				delete(down, e)
			}
			if _, err := a.SetDown(e, down[e]); err != nil {
				return err
			}
			if err := checkAvailability(a, topo, ref, ks, coord, down); err != nil {
				return fmt.Errorf("after toggling %d: %w", e, err)
			}
		}
		fresh, _ := topo.NewAvailability(ks, coord, a.Down())
		if !reflect.DeepEqual(fresh.Summary(), a.Summary()) {
			return errors.New("incremental summary differs from a fresh evaluation")
		}
		return nil
	})
}

// planReqOK checks with the reference that restarting wave (with down)
// keeps every keyspace at its level from every coordinator DC the planner
// promises.
func waveSafe(topo *Topology, ref refRing, req PlanRequest, wave []int) (bool, string) {
	down := map[int]bool{}
	for _, e := range req.Down {
		down[e] = true
	}
	for _, e := range wave {
		down[e] = true
	}
	for _, k := range req.Keyspaces {
		cl := req.CL
		if c, ok := req.KeyspaceCL[k.Name]; ok {
			cl = c
		}
		if k.Replication.Strategy == LocalStrategy {
			continue
		}
		coords := req.CoordinatorDCs
		if len(coords) == 0 {
			for _, dc := range topo.DCs() {
				if k.Replication.Strategy == SimpleStrategy || k.Replication.Strategy == EverywhereStrategy || k.Replication.DCs[dc].All > 0 {
					coords = append(coords, dc)
				}
			}
		}
		if len(coords) == 0 {
			coords = topo.DCs()
		}
		for i := 0; i < topo.NumRanges(); i++ {
			rg := topo.RangeAt(i)
			reps, full := ref.replicas(k.Replication, rg.End)
			for _, c := range coords {
				if !ref.serves(k.Replication, cl, c, reps, full, down) {
					return false, fmt.Sprintf("%s %s %v from %s", k.Name, cl, rg, c)
				}
			}
		}
	}
	return true, ""
}

// optimum is the true minimum number of waves, by dynamic programming over
// subsets of the candidates (safe(sub) by the reference rules).
func optimum(topo *Topology, ref refRing, req PlanRequest, cands []int) int {
	n := len(cands)
	safe := make([]bool, 1<<n)
	for sub := 1; sub < 1<<n; sub++ {
		if req.MaxPerWave > 0 && bits.OnesCount(uint(sub)) > req.MaxPerWave {
			continue
		}
		var wave []int
		for i := 0; i < n; i++ {
			if sub&(1<<i) != 0 {
				wave = append(wave, cands[i])
			}
		}
		safe[sub], _ = waveSafe(topo, ref, req, wave)
	}
	dp := make([]int, 1<<n)
	for mask := 1; mask < 1<<n; mask++ {
		dp[mask] = 1 << 30
		low := mask & -mask
		for sub := mask; sub > 0; sub = (sub - 1) & mask {
			if sub&low != 0 && safe[sub] && dp[mask^sub]+1 < dp[mask] {
				dp[mask] = dp[mask^sub] + 1
			}
		}
	}
	return dp[(1<<n)-1]
}

// Every planned wave is safe by the reference rules, every candidate is in
// exactly one wave, the cap holds, and LowerBound <= optimum <= len(Waves).
// A PlanError's claims are checked too.
func TestPropertyPlanner(t *testing.T) {
	optimal, total, failed := 0, 0, 0
	property(t, 600, func(rnd *rand.Rand) error {
		eps := randEndpoints(rnd, 9, 3)
		topo, err := NewTopology(eps)
		if err != nil {
			return err
		}
		ref := newRefRing(eps)
		levels := []ConsistencyLevel{One, Two, Quorum, LocalOne, LocalQuorum, EachQuorum, Serial, LocalSerial, All, Any}
		req := PlanRequest{Keyspaces: randKeyspaces(rnd, topo), CL: levels[rnd.IntN(len(levels))]}
		if rnd.IntN(3) != 0 {
			// Mostly plannable: RF 2..4 everywhere, levels that tolerate a loss.
			m := map[string]string{"class": "NetworkTopologyStrategy"}
			for _, dc := range topo.DCs() {
				m[dc] = fmt.Sprint(2 + rnd.IntN(3))
			}
			req.Keyspaces = []Keyspace{{Name: "ks0", Replication: mustRepl(t, m)}}
			if rnd.IntN(2) == 0 {
				req.Keyspaces = append(req.Keyspaces, Keyspace{Name: "ks1", Replication: mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": fmt.Sprint(2 + rnd.IntN(3))})})
			}
			req.CL = []ConsistencyLevel{One, Quorum, LocalQuorum, LocalOne, EachQuorum, Serial}[rnd.IntN(6)]
		}
		if rnd.IntN(3) == 0 {
			req.KeyspaceCL = map[string]ConsistencyLevel{"ks0": levels[rnd.IntN(len(levels))]}
		}
		if rnd.IntN(3) == 0 {
			req.MaxPerWave = 1 + rnd.IntN(3)
		}
		if rnd.IntN(4) == 0 {
			req.Down = []int{rnd.IntN(len(eps))}
		}
		if rnd.IntN(4) == 0 {
			req.DCs = []string{topo.DCs()[0]}
		}
		plan, err := topo.PlanRestart(req)
		var cands []int
		for e, ep := range eps {
			if (len(req.DCs) == 0 || ep.DC == req.DCs[0]) && !slices.Contains(req.Down, e) {
				cands = append(cands, e)
			}
		}
		var pe *PlanError
		if errors.As(err, &pe) {
			failed++
			if len(pe.Nodes) == 0 {
				if ok, _ := waveSafe(topo, ref, req, nil); ok {
					return fmt.Errorf("claims already unavailable, reference disagrees: %v", err)
				}
				return nil
			}
			for _, name := range pe.Nodes {
				e, _ := topo.Index(name)
				if ok, _ := waveSafe(topo, ref, req, []int{e}); ok {
					return fmt.Errorf("claims %s cannot restart, reference disagrees: %v", name, err)
				}
			}
			return nil
		}
		if err != nil {
			return err
		}
		if ok, why := waveSafe(topo, ref, req, nil); !ok && len(cands) > 0 {
			return fmt.Errorf("planned although already unavailable: %s", why)
		}
		seen := map[int]int{}
		for wi, w := range plan.Waves {
			if len(w) == 0 || (req.MaxPerWave > 0 && len(w) > req.MaxPerWave) {
				return fmt.Errorf("wave %d has %d nodes (cap %d)", wi, len(w), req.MaxPerWave)
			}
			if ok, why := waveSafe(topo, ref, req, w); !ok {
				return fmt.Errorf("wave %d %v unsafe: %s", wi, w, why)
			}
			for _, e := range w {
				seen[e]++
			}
		}
		for _, e := range cands {
			if seen[e] != 1 {
				return fmt.Errorf("node %d planned %d times", e, seen[e])
			}
		}
		if len(seen) != len(cands) {
			return fmt.Errorf("planned %d nodes, want %d", len(seen), len(cands))
		}
		if len(cands) > 0 {
			opt := optimum(topo, ref, req, cands)
			if plan.LowerBound > opt || opt > len(plan.Waves) {
				return fmt.Errorf("lower bound %d, optimum %d, plan %d", plan.LowerBound, opt, len(plan.Waves))
			}
			total++
			if opt == len(plan.Waves) {
				optimal++
			}
		}
		return nil
	})
	t.Logf("planner optimal on %d of %d planned random cases (%d unplannable)", optimal, total, failed)
}
