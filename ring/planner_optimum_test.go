package ring

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"testing"
)

// exactSafety is the restart safety of a small ring (≤ 32 candidates) as
// minimal unsafe sets, derived from the reference rules alone (refRing,
// waveSafe's coordinator choice): a wave is safe iff it contains none.
type exactSafety struct {
	n       int
	masksOf [][]uint32 // per node, the minimal unsafe sets of 3+ nodes containing it
	pairs   []uint32   // per node, the nodes it cannot share a wave with
}

// newExactSafety enumerates, for every range and keyspace, the down sets
// of its replicas by increasing size and keeps the minimal unsafe ones.
// Only requests without Down, scope or per-keyspace levels are handled.
func newExactSafety(topo *Topology, ref refRing, req PlanRequest) *exactSafety {
	n := topo.Len()
	seen := map[uint32]bool{}
	shapes := map[string][]uint32{}
	eps := topo.Endpoints()
	var minimal []uint32
	for _, k := range req.Keyspaces {
		coords := req.CoordinatorDCs
		if len(coords) == 0 {
			for _, dc := range topo.DCs() {
				if k.Replication.DCs[dc].All > 0 {
					coords = append(coords, dc)
				}
			}
		}
		for i := 0; i < topo.NumRanges(); i++ {
			reps, full := ref.replicas(k.Replication, topo.RangeAt(i).End)
			// serves sees a replica only through its DC and fullness, so
			// ranges of the same shape have the same unsafe subsets.
			shape := fmt.Sprint(k.Name, full)
			for _, e := range reps {
				shape += "," + eps[e].DC
			}
			unsafe, ok := shapes[shape] // minimal unsafe subsets, as bits of reps
			for size := 1; !ok && size <= len(reps); size++ {
				anySafe := false
				for _, sub := range subsetsBySize(len(reps))[size] {
					sup := false
					for _, u := range unsafe {
						sup = sup || u&sub == u
					}
					if sup {
						continue
					}
					down := map[int]bool{}
					for j := range reps {
						if sub&(1<<j) != 0 {
							down[reps[j]] = true
						}
					}
					ok := true
					for _, c := range coords {
						ok = ok && ref.serves(k.Replication, req.CL, c, reps, full, down)
					}
					if ok {
						anySafe = true
					} else {
						unsafe = append(unsafe, sub)
					}
				}
				if !anySafe {
					break // every larger set contains an unsafe one
				}
			}
			shapes[shape] = unsafe
			for _, u := range unsafe {
				var m uint32
				for j := range reps {
					if u&(1<<j) != 0 {
						m |= 1 << reps[j]
					}
				}
				if !seen[m] {
					seen[m] = true
					minimal = append(minimal, m)
				}
			}
		}
	}
	// Drop sets that contain another one (minimal across ranges).
	sort.Slice(minimal, func(a, b int) bool {
		ca, cb := bits.OnesCount32(minimal[a]), bits.OnesCount32(minimal[b])
		return ca < cb || ca == cb && minimal[a] < minimal[b]
	})
	s := &exactSafety{n: n, masksOf: make([][]uint32, n), pairs: make([]uint32, n)}
	var kept []uint32
	for _, m := range minimal {
		sup := false
		for _, k := range kept {
			sup = sup || k&m == k
		}
		if sup {
			continue
		}
		kept = append(kept, m)
		for x := m; x != 0; x &= x - 1 {
			v := bits.TrailingZeros32(x)
			switch bits.OnesCount32(m) {
			case 1:
				s.pairs[v] |= m // v cannot restart at all
			case 2:
				s.pairs[v] |= m &^ (1 << v)
			default:
				s.masksOf[v] = append(s.masksOf[v], m)
			}
		}
	}
	return s
}

var subsetsMemo = map[int][][]uint32{}

// subsetsBySize lists the subsets of n elements by their size.
func subsetsBySize(n int) [][]uint32 {
	if m, ok := subsetsMemo[n]; ok {
		return m
	}
	m := make([][]uint32, n+1)
	for sub := uint32(1); sub < 1<<n; sub++ {
		m[bits.OnesCount32(sub)] = append(m[bits.OnesCount32(sub)], sub)
	}
	subsetsMemo[n] = m
	return m
}

// fits says whether v can join the wave w.
func (s *exactSafety) fits(v int, w uint32) bool {
	wv := w | 1<<v
	if s.pairs[v]&wv != 0 {
		return false
	}
	for _, m := range s.masksOf[v] {
		if m&wv == m {
			return false
		}
	}
	return true
}

func (s *exactSafety) safe(w uint32) bool {
	for x := w; x != 0; x &= x - 1 {
		if !s.fits(bits.TrailingZeros32(x), w&^(1<<bits.TrailingZeros32(x))) {
			return false
		}
	}
	return true
}

// cliqueNumber is the largest set of pairwise conflicting nodes, exactly
// (Carraghan–Pardalos branch and bound on 32-bit sets).
func (s *exactSafety) cliqueNumber(all uint32) int {
	best := 0
	var grow func(size int, cand uint32)
	grow = func(size int, cand uint32) {
		if cand == 0 {
			best = max(best, size)
			return
		}
		for cand != 0 && size+bits.OnesCount32(cand) > best {
			v := bits.TrailingZeros32(cand)
			cand &^= 1 << v
			grow(size+1, cand&s.pairs[v])
		}
	}
	grow(0, all)
	return best
}

// minWaves is the exact minimum number of safe waves covering the nodes
// of all (a union of components: masks never cross its border):
// DSATUR branch and bound (Brélaz; pick the node that fits the fewest
// open waves, try each, then a new wave), starting from the upper bound
// ub and stopping at the clique bound. exact is false when the step
// budget ran out: the result is then only an upper bound.
func (s *exactSafety) minWaves(all uint32, ub int, budget int) (best int, exact bool) {
	lb := max(1, s.cliqueNumber(all))
	best = ub
	colored := uint32(0)
	var waves []uint32
	steps := 0
	var dfs func()
	dfs = func() {
		steps++
		if best <= lb || steps > budget {
			return
		}
		if colored == all {
			best = len(waves)
			return
		}
		pick, pickSat, pickDeg := -1, -1, -1
		for x := all &^ colored; x != 0; x &= x - 1 {
			v := bits.TrailingZeros32(x)
			sat := 0
			for _, w := range waves {
				if !s.fits(v, w) {
					sat++
				}
			}
			if deg := len(s.masksOf[v]) + bits.OnesCount32(s.pairs[v]); sat > pickSat || sat == pickSat && deg > pickDeg {
				pick, pickSat, pickDeg = v, sat, deg
			}
			if sat == len(waves) && len(waves)+1 >= best {
				return // v needs a new wave, which cannot beat best
			}
		}
		colored |= 1 << pick
		for i, w := range waves {
			if s.fits(pick, w) {
				waves[i] |= 1 << pick
				dfs()
				waves[i] = w
			}
		}
		if len(waves)+1 < best {
			waves = append(waves, 1<<pick)
			dfs()
			waves = waves[:len(waves)-1]
		}
		colored &^= 1 << pick
	}
	dfs()
	return best, steps <= budget
}

// optimum solves each connected component of the unsafe sets on its own
// (waves of different components combine freely, so the optimum is the
// largest component optimum), each bounded above by the plan's waves.
func (s *exactSafety) optimum(plan [][]int, budget int) (best int, exact bool) {
	comp := make([]uint32, s.n)
	for v := range comp {
		comp[v] = 1 << v
	}
	for changed := true; changed; {
		changed = false
		for v := range comp {
			c := comp[v]
			c |= s.pairs[v]
			for _, m := range s.masksOf[v] {
				c |= m
			}
			for x := c; x != 0; x &= x - 1 {
				c |= comp[bits.TrailingZeros32(x)]
			}
			if c != comp[v] {
				comp[v], changed = c, true
			}
		}
	}
	exact = true
	done := uint32(0)
	for v := range comp {
		if done&(1<<v) != 0 {
			continue
		}
		done |= comp[v]
		ub := 0
		for _, w := range plan {
			for _, e := range w {
				if comp[v]&(1<<e) != 0 {
					ub++
					break
				}
			}
		}
		b, ok := s.minWaves(comp[v], ub, budget)
		best, exact = max(best, b), exact && ok
	}
	return best, exact
}

// optCase is one small ring, its plan and its exact optimum.
type optCase struct {
	dcs, racks, perDC, vnodes int
	rf                        string // "3", "5" or "3+5" (two keyspaces)
	cl                        ConsistencyLevel
	plan, lb, opt             int
	exact                     bool
}

func optimumCases(short bool) []optCase {
	var cases []optCase
	sizes := map[int][]int{1: {8, 12, 16, 20, 24}, 2: {6, 9, 12}}
	for _, dcs := range []int{1, 2} {
		for _, perDC := range sizes[dcs] {
			if short && perDC != sizes[dcs][len(sizes[dcs])-1] {
				continue
			}
			for _, racks := range []int{1, 2, 3} {
				for _, vnodes := range []int{1, 4, 16} {
					for _, rf := range []string{"3", "5", "3+5"} {
						for _, cl := range []ConsistencyLevel{LocalQuorum, Quorum} {
							cases = append(cases, optCase{dcs: dcs, racks: racks, perDC: perDC, vnodes: vnodes, rf: rf, cl: cl})
						}
					}
				}
			}
		}
	}
	return cases
}

func (c *optCase) request(t testing.TB) PlanRequest {
	var ks []Keyspace
	for i, rf := range strings.Split(c.rf, "+") {
		m := map[string]string{"dc1": rf}
		if c.dcs == 2 {
			m["dc2"] = rf
		}
		ks = append(ks, ntsKeyspace(t, fmt.Sprintf("ks%d", i), m))
	}
	return PlanRequest{Keyspaces: ks, CL: c.cl}
}

// The planner against the exact optimum on small rings: every wave is safe
// by the reference, LowerBound ≤ optimum ≤ waves. With -v it prints the
// gap per configuration class (the table in docs/ring.md):
//
//	go test -run TestPlannerOptimumGap -v ./ring/
func TestPlannerOptimumGap(t *testing.T) {
	cases := optimumCases(testing.Short() || raceEnabled) // the race detector slows the search ~10x
	for i := range cases {
		c := &cases[i]
		eps := genCluster(c.dcs, c.racks, c.perDC, c.vnodes, uint64(1000*i+7))
		topo := mustTopo(t, eps)
		ref := newRefRing(eps)
		req := c.request(t)
		plan, err := topo.PlanRestart(req)
		if err != nil {
			t.Fatalf("%+v: %v", *c, err)
		}
		s := newExactSafety(topo, ref, req)
		seen := uint32(0)
		for wi, w := range plan.Waves {
			var m uint32
			for _, e := range w {
				m |= 1 << e
			}
			if !s.safe(m) || seen&m != 0 {
				t.Fatalf("%+v: wave %d %v unsafe or repeated", *c, wi, w)
			}
			seen |= m
		}
		if seen != 1<<topo.Len()-1 {
			t.Fatalf("%+v: planned %b", *c, seen)
		}
		c.plan, c.lb = len(plan.Waves), plan.LowerBound
		c.opt, c.exact = s.optimum(plan.Waves, 500_000)
		if !c.exact {
			t.Logf("%+v: search budget exhausted", *c)
		}
		if c.exact && (c.lb > c.opt || c.opt > c.plan) {
			t.Fatalf("%+v: lower bound %d, optimum %d, plan %d", *c, c.lb, c.opt, c.plan)
		}
	}
	t.Log("\n" + optimumTable(cases))
}

// optimumTable groups the cases by RF, racks and vnodes (sizes, DC counts
// and levels together) and gives the gap to the optimum.
func optimumTable(cases []optCase) string {
	type row struct {
		n, optimal, inexact, plan, opt, lb, lbTight, worst int
		worstCase                                          string
	}
	rows := map[string]*row{}
	var keys []string
	for _, c := range cases {
		key := fmt.Sprintf("| %s | %d | %d |", c.rf, c.racks, c.vnodes)
		r, ok := rows[key]
		if !ok {
			r = &row{}
			rows[key] = r
			keys = append(keys, key)
		}
		r.n++
		r.plan += c.plan
		r.opt += c.opt
		r.lb += c.lb
		if !c.exact {
			r.inexact++
		}
		if c.plan == c.opt {
			r.optimal++
		}
		if c.lb == c.opt {
			r.lbTight++
		}
		if gap := c.plan - c.opt; gap > r.worst || r.worstCase == "" {
			r.worst = gap
			r.worstCase = fmt.Sprintf("%d vs %d (%d DC × %d, %s)", c.plan, c.opt, c.dcs, c.perDC, c.cl)
		}
	}
	var b strings.Builder
	b.WriteString("| RF | racks/DC | vnodes | cases | plan optimal | Σ waves / Σ optimum | worst gap: waves vs optimum | lower bound tight | inexact |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	tot := row{}
	for _, k := range keys {
		r := rows[k]
		fmt.Fprintf(&b, "%s %d | %d | %d / %d | %s | %d / %d | %d |\n", k, r.n, r.optimal, r.plan, r.opt, r.worstCase, r.lbTight, r.n, r.inexact)
		tot.n += r.n
		tot.optimal += r.optimal
		tot.plan += r.plan
		tot.opt += r.opt
		tot.lbTight += r.lbTight
		tot.inexact += r.inexact
	}
	fmt.Fprintf(&b, "| all | | | %d | %d | %d / %d | | %d / %d | %d |\n", tot.n, tot.optimal, tot.plan, tot.opt, tot.lbTight, tot.n, tot.inexact)
	return b.String()
}
