package ring

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// RackRef names a rack of a DC; an empty DC matches the rack in every DC.
type RackRef struct {
	DC, Rack string
}

// PlanRequest asks for restart waves.
type PlanRequest struct {
	// Keyspaces whose ranges must stay available. LocalStrategy keyspaces
	// impose nothing (each coordinator serves them itself).
	Keyspaces []Keyspace
	// CL is the level every keyspace must keep; KeyspaceCL overrides it per
	// keyspace name. ANY imposes nothing.
	CL         ConsistencyLevel
	KeyspaceCL map[string]ConsistencyLevel
	// CoordinatorDCs are the DCs whose clients must keep DC-local levels
	// (LOCAL_ONE, LOCAL_QUORUM, LOCAL_SERIAL). Empty means every DC where
	// the keyspace has replicas (every DC for SimpleStrategy).
	CoordinatorDCs []string
	// Nodes to restart (endpoint indexes); empty means every endpoint.
	Nodes []int
	// DCs and Racks restrict Nodes to a scope; empty means no restriction.
	DCs   []string
	Racks []RackRef
	// Down are endpoints already down: they stay down during every wave.
	Down []int
	// MaxPerWave caps the nodes per wave; 0 means no cap.
	MaxPerWave int
}

// Plan splits the nodes into waves: restarting all nodes of one wave at
// once (with Down still down) keeps every range of every keyspace at its
// required level.
type Plan struct {
	// Waves of endpoint indexes, each sorted by endpoint name.
	Waves [][]int
	// LowerBound is a proven minimum number of waves: no safe plan has
	// fewer. len(Waves) == LowerBound means the plan is optimal.
	LowerBound int
	// AlreadyDown lists requested nodes that are in Down and so not planned.
	AlreadyDown []int
	// ByRack is true when every wave is made of whole racks (or, with
	// MaxPerWave, of pieces of racks).
	ByRack bool
}

// PlanError explains why no plan exists.
type PlanError struct {
	// Nodes that cannot be restarted even alone (empty when a range is
	// already unavailable with Down alone).
	Nodes []string
	// An example: the keyspace, level and range that would fail, with the
	// figures of Cassandra's Unavailable error.
	Keyspace string
	CL       ConsistencyLevel
	Range    Range
	Outcome  Outcome
}

func (e *PlanError) Error() string {
	what := fmt.Sprintf("keyspace %s range %v at %s: %d of %d replicas alive, %d required", e.Keyspace, e.Range, e.CL, e.Outcome.Alive, e.Outcome.Replicas, e.Outcome.Required)
	if e.Outcome.DC != "" {
		what += " in " + e.Outcome.DC
	}
	if len(e.Nodes) == 0 {
		return "ring: already unavailable before any restart: " + what
	}
	list := strings.Join(e.Nodes, ", ")
	if len(e.Nodes) > 5 {
		list = strings.Join(e.Nodes[:5], ", ") + fmt.Sprintf(" and %d more", len(e.Nodes)-5)
	}
	return fmt.Sprintf("ring: %d node(s) cannot be restarted without losing availability (%s); e.g. %s", len(e.Nodes), list, what)
}

// planner holds the restart constraints over the candidate nodes, which
// are renumbered 0..s-1 ("local" indexes).
type planner struct {
	t     *Topology
	nodes []int   // local -> endpoint
	local []int32 // endpoint -> local, -1 when not a candidate
	down  []bool
	words int
	adj   []uint64 // pairwise conflicts: at most one of two may be down at once
	// Counted groups: at most gB[g] members of group g may be down at once.
	gOff, gMem []int32
	gB         []int32
	dedupe     map[uint64]int32 // hash -> first group with it; gNext chains
	gNext      []int32
	lb         int // from constraints: ceil(|members| / budget)

	ngOff, ngGrp []int32 // counted groups per candidate, built on first use
	work         int     // first-fit steps, bounding iterated greedy

	unsafe    []bool
	unsafeErr *PlanError // first range that some candidate alone would break
	already   *PlanError // a range already unavailable with Down alone
	scratch   []int32
}

// PlanRestart splits the requested nodes into waves, fewest first-found by
// two heuristics (whole racks, then node by node), with a lower bound; see
// docs/ring.md for the algorithm. It is deterministic for the same input.
func (t *Topology) PlanRestart(req PlanRequest) (*Plan, error) {
	p := &planner{t: t, local: make([]int32, len(t.eps)), down: make([]bool, len(t.eps)), dedupe: map[uint64]int32{}}
	for _, e := range req.Down {
		if e < 0 || e >= len(t.eps) {
			return nil, fmt.Errorf("ring: down endpoint %d out of range [0,%d)", e, len(t.eps))
		}
		p.down[e] = true
	}
	plan := &Plan{}
	if err := p.selectNodes(req, plan); err != nil {
		return nil, err
	}
	if len(p.nodes) == 0 {
		return plan, nil
	}
	p.words = (len(p.nodes) + 63) / 64
	p.adj = make([]uint64, len(p.nodes)*p.words)
	p.unsafe = make([]bool, len(p.nodes))
	p.gOff = []int32{0}
	if err := p.derive(req); err != nil {
		return nil, err
	}

	lb := max(1, p.lb, p.cliqueBound())
	if req.MaxPerWave > 0 {
		lb = max(lb, (len(p.nodes)+req.MaxPerWave-1)/req.MaxPerWave)
	}
	plan.LowerBound = lb

	// Whole racks first; when that is not optimal, the better of RLF and a
	// rack-ordered first fit, improved by iterated greedy.
	waves := p.byRack(req.MaxPerWave, lb)
	plan.ByRack = waves != nil
	if waves == nil || len(waves) > lb {
		lb = max(lb, p.independenceBound())
		plan.LowerBound = lb
	}
	if waves == nil || len(waves) > lb {
		alt := p.rlf(req.MaxPerWave)
		if ff := p.firstFit(p.rackOrder(), req.MaxPerWave); len(ff) < len(alt) {
			alt = ff
		}
		alt = p.iteratedGreedy(alt, req.MaxPerWave, lb)
		if waves == nil || len(alt) < len(waves) {
			waves, plan.ByRack = alt, false
		}
	}
	for _, w := range waves {
		ws := make([]int, len(w))
		for i, v := range w {
			ws[i] = p.nodes[v]
		}
		sort.Slice(ws, func(a, b int) bool { return t.nameOrd[ws[a]] < t.nameOrd[ws[b]] })
		plan.Waves = append(plan.Waves, ws)
	}
	return plan, nil
}

// selectNodes fixes the candidates: requested, in scope, not already down.
func (p *planner) selectNodes(req PlanRequest, plan *Plan) error {
	t := p.t
	cand := req.Nodes
	if len(cand) == 0 {
		cand = make([]int, len(t.eps))
		for i := range cand {
			cand[i] = i
		}
	}
	inDCs := map[string]bool{}
	for _, dc := range req.DCs {
		inDCs[dc] = true
	}
	for i := range p.local {
		p.local[i] = -1
	}
	for _, e := range cand {
		if e < 0 || e >= len(t.eps) {
			return fmt.Errorf("ring: node %d out of range [0,%d)", e, len(t.eps))
		}
		ep := t.eps[e]
		if len(inDCs) > 0 && !inDCs[ep.DC] {
			continue
		}
		if len(req.Racks) > 0 {
			match := false
			for _, r := range req.Racks {
				match = match || (r.Rack == ep.Rack && (r.DC == "" || r.DC == ep.DC))
			}
			if !match {
				continue
			}
		}
		if p.local[e] >= 0 {
			continue // listed twice
		}
		p.local[e] = 0
		if p.down[e] {
			plan.AlreadyDown = append(plan.AlreadyDown, e)
			continue
		}
		p.nodes = append(p.nodes, e)
	}
	sort.Ints(plan.AlreadyDown)
	// Number candidates by name so that every tie-break, and so the plan,
	// depends on names rather than on the order of the endpoints.
	sort.Slice(p.nodes, func(a, b int) bool { return t.nameOrd[p.nodes[a]] < t.nameOrd[p.nodes[b]] })
	for i := range p.local {
		p.local[i] = -1
	}
	for v, e := range p.nodes {
		p.local[e] = int32(v)
	}
	return nil
}

// derive turns every keyspace's requirement on every range into
// constraints "at most b of these candidates down at once".
func (p *planner) derive(req PlanRequest) error {
	t := p.t
	done := map[string]bool{}
	for _, ks := range req.Keyspaces {
		cl := req.CL
		if c, ok := req.KeyspaceCL[ks.Name]; ok {
			cl = c
		}
		if cl == Any || ks.Replication.Strategy == LocalStrategy {
			continue
		}
		if cl >= NodeLocal {
			return fmt.Errorf("ring: cannot plan for consistency level %s", cl)
		}
		rm, err := t.ReplicaMap(ks.Replication)
		if err != nil {
			return fmt.Errorf("ring: keyspace %s: %w", ks.Name, err)
		}
		coord := p.coordinatorDCs(rm.r, req.CoordinatorDCs)
		q := t.newRequirements(rm.r, "")
		// Keyspaces with equal replication and level impose equal constraints.
		key := rm.r.String() + "|" + cl.String()
		if done[key] {
			continue
		}
		done[key] = true
		n := rm.NumRanges()
		if rm.everywhere {
			n = 1
		}
		var buf []int32
		for i := 0; i < n; i++ {
			var reps []int32
			var full []bool
			reps, full = rm.rangeReplicas(i, buf)
			if rm.everywhere {
				buf = reps
			}
			ctx := rangeCtx{ks: ks.Name, cl: cl, rng: t.RangeAt(i), reps: reps, full: full}
			if rm.everywhere {
				ctx.rng = Range{Start: t.tokens[len(t.tokens)-1], End: t.tokens[len(t.tokens)-1]}
			}
			p.rangeConstraints(&ctx, q, rm.full != nil, coord)
			if p.already != nil {
				return p.already
			}
		}
	}
	if p.unsafeErr != nil {
		for v, u := range p.unsafe {
			if u {
				p.unsafeErr.Nodes = append(p.unsafeErr.Nodes, t.eps[p.nodes[v]].Name)
			}
		}
		sort.Strings(p.unsafeErr.Nodes)
		return p.unsafeErr
	}
	return nil
}

type rangeCtx struct {
	ks   string
	cl   ConsistencyLevel
	rng  Range
	reps []int32
	full []bool
}

type coordDC struct {
	idx  int // topology DC index, -1 for a DC without nodes
	name string
}

// coordinatorDCs returns the DCs from which DC-local levels must hold.
func (p *planner) coordinatorDCs(r Replication, names []string) []coordDC {
	t := p.t
	var out []coordDC
	if len(names) > 0 {
		for _, n := range names {
			d, ok := t.dcIndex[n]
			if !ok {
				d = -1
			}
			out = append(out, coordDC{d, n})
		}
		return out
	}
	for d, name := range t.dcNames {
		if !r.isDCAware() || r.DCs[name].All > 0 {
			out = append(out, coordDC{d, name})
		}
	}
	if len(out) == 0 {
		// No DC holds replicas: judge from every DC (and so fail).
		for d, name := range t.dcNames {
			out = append(out, coordDC{d, name})
		}
	}
	return out
}

const allDCs = -2

// rangeConstraints applies the rules of Topology.Check to one range.
func (p *planner) rangeConstraints(c *rangeCtx, q *requirements, transient bool, coord []coordDC) {
	switch c.cl {
	case One, Two, Three, Quorum, All, EachQuorum:
		if c.cl == EachQuorum && q.dcAware {
			for _, e := range q.each {
				p.limit(c, e.dc, false, e.need, e.name)
			}
		} else {
			need := q.quorum // QUORUM, and EACH_QUORUM outside NTS
			switch c.cl {
			case One, Two, Three:
				need = int(c.cl) // their protocol codes are 1, 2, 3
			case All:
				need = q.total
			}
			p.limit(c, allDCs, false, need, "")
		}
		if transient {
			p.limit(c, allDCs, true, 1, "")
		}
	case LocalOne, LocalQuorum:
		for _, d := range coord {
			need := 1
			if c.cl == LocalQuorum {
				need = LocalQuorumFor(q.r, d.name)
			}
			p.limit(c, d.idx, false, need, d.name)
			if transient {
				p.limit(c, d.idx, true, 1, d.name)
			}
		}
	case Serial:
		p.limit(c, allDCs, false, len(c.reps)/2+1, "")
	case LocalSerial:
		for _, d := range coord {
			n := 0
			for _, e := range c.reps {
				if int(p.t.epDC[e]) == d.idx {
					n++
				}
			}
			p.limit(c, d.idx, false, n/2+1, d.name)
		}
	}
}

// limit records that at least need of the range's replicas in dc (allDCs
// for all; only full ones when fullOnly) must stay up.
func (p *planner) limit(c *rangeCtx, dc int, fullOnly bool, need int, dcName string) {
	t := p.t
	mem := p.scratch[:0]
	n, live := 0, 0
	for j, e := range c.reps {
		if dc != allDCs && int(t.epDC[e]) != dc {
			continue
		}
		if fullOnly && c.full != nil && !c.full[j] {
			continue
		}
		n++
		if !p.down[e] {
			live++
			if l := p.local[e]; l >= 0 {
				mem = append(mem, l)
			}
		}
	}
	p.scratch = mem
	b := live - need
	if b < 0 {
		p.already = &PlanError{Keyspace: c.ks, CL: c.cl, Range: c.rng, Outcome: Outcome{Replicas: n, Alive: live, Required: need, DC: dcName}}
		return
	}
	if len(mem) <= b {
		return
	}
	if b == 0 {
		for _, v := range mem {
			p.unsafe[v] = true
		}
		if p.unsafeErr == nil {
			p.unsafeErr = &PlanError{Keyspace: c.ks, CL: c.cl, Range: c.rng, Outcome: Outcome{Replicas: n, Alive: live - 1, Required: need, DC: dcName}}
		}
		return
	}
	p.lb = max(p.lb, (len(mem)+b-1)/b)
	if b == 1 {
		for i, u := range mem {
			for _, v := range mem[i+1:] {
				p.adj[int(u)*p.words+int(v)/64] |= 1 << (uint(v) % 64)
				p.adj[int(v)*p.words+int(u)/64] |= 1 << (uint(u) % 64)
			}
		}
		return
	}
	slices.Sort(mem)
	h := uint64(14695981039346656037) ^ uint64(b)
	for _, v := range mem {
		h = (h ^ uint64(v)) * 1099511628211
	}
	first, ok := p.dedupe[h]
	if ok {
		for g := first; g >= 0; g = p.gNext[g] {
			if int(p.gB[g]) == b && slices.Equal(p.gMem[p.gOff[g]:p.gOff[g+1]], mem) {
				return
			}
		}
	} else {
		first = -1
	}
	g := int32(len(p.gB))
	p.dedupe[h] = g
	p.gNext = append(p.gNext, first)
	p.gMem = append(p.gMem, mem...)
	p.gOff = append(p.gOff, int32(len(p.gMem)))
	p.gB = append(p.gB, int32(b))
}

func (p *planner) row(v int) []uint64 { return p.adj[v*p.words : (v+1)*p.words] }

// nodeGroups inverts the counted groups: for each candidate, its groups.
func (p *planner) nodeGroups() (off, grp []int32) {
	s := len(p.nodes)
	off = make([]int32, s+1)
	for _, v := range p.gMem {
		off[v+1]++
	}
	for v := 0; v < s; v++ {
		off[v+1] += off[v]
	}
	grp = make([]int32, len(p.gMem))
	pos := append([]int32(nil), off[:s]...)
	for g := 0; g+1 < len(p.gOff); g++ {
		for _, v := range p.gMem[p.gOff[g]:p.gOff[g+1]] {
			grp[pos[v]] = int32(g)
			pos[v]++
		}
	}
	return off, grp
}

// rlf colours the candidates wave by wave with Leighton's Recursive
// Largest First: each wave starts from the candidate with most conflicts
// among those left, then repeatedly adds the candidate that conflicts with
// most of the candidates the wave already excludes, so that the wave
// "uses up" conflicts and leaves an easier remainder.
func (p *planner) rlf(maxPerWave int) [][]int32 {
	s, words := len(p.nodes), p.words
	ngOff, ngGrp := p.nodeGroupsCached()
	colored := make([]bool, s)
	left := s
	inU := make([]uint64, words)
	uncol := make([]uint64, words)
	for v := 0; v < s; v++ {
		uncol[v/64] |= 1 << (uint(v) % 64)
	}
	cntX := make([]int32, s)
	degU := make([]int32, s)
	gcnt := make([]int32, len(p.gB))
	var touched []int32
	var waves [][]int32

	// leave takes u out of U; if excluded, its U-neighbours gain an
	// excluded neighbour.
	leave := func(u int, excluded bool) {
		inU[u/64] &^= 1 << (uint(u) % 64)
		row := p.row(u)
		for k := 0; k < words; k++ {
			x := row[k] & inU[k]
			for x != 0 {
				w := k*64 + bits.TrailingZeros64(x)
				x &= x - 1
				degU[w]--
				if excluded {
					cntX[w]++
				}
			}
		}
	}
	for left > 0 {
		copy(inU, uncol)
		for v := 0; v < s; v++ {
			if colored[v] {
				continue
			}
			cntX[v] = 0
			d := 0
			row := p.row(v)
			for k := 0; k < words; k++ {
				d += bits.OnesCount64(row[k] & uncol[k])
			}
			degU[v] = int32(d)
		}
		var wave []int32
		for maxPerWave <= 0 || len(wave) < maxPerWave {
			best := -1
			for k := 0; k < words; k++ {
				for x := inU[k]; x != 0; x &= x - 1 {
					v := k*64 + bits.TrailingZeros64(x)
					if best < 0 || p.better(v, best, cntX, degU, len(wave) == 0) {
						best = v
					}
				}
			}
			if best < 0 {
				break
			}
			wave = append(wave, int32(best))
			leave(best, false)
			// Conflicting candidates are excluded from this wave.
			row := p.row(best)
			for k := 0; k < words; k++ {
				for x := row[k] & inU[k]; x != 0; x = row[k] & inU[k] {
					leave(k*64+bits.TrailingZeros64(x), true)
				}
			}
			for _, g := range ngGrp[ngOff[best]:ngOff[best+1]] {
				if gcnt[g] == 0 {
					touched = append(touched, g)
				}
				gcnt[g]++
				if gcnt[g] < p.gB[g] {
					continue
				}
				for _, u := range p.gMem[p.gOff[g]:p.gOff[g+1]] {
					if inU[u/64]&(1<<(uint(u)%64)) != 0 {
						leave(int(u), true)
					}
				}
			}
		}
		for _, g := range touched {
			gcnt[g] = 0
		}
		touched = touched[:0]
		for _, v := range wave {
			colored[v] = true
			uncol[v/64] &^= 1 << (uint(v) % 64)
		}
		left -= len(wave)
		waves = append(waves, wave)
	}
	return waves
}

// better orders RLF candidates: first pick by most conflicts among the
// uncoloured, later picks by most excluded neighbours then fewest
// remaining conflicts; ties by endpoint name.
func (p *planner) better(v, w int, cntX, degU []int32, first bool) bool {
	if !first && cntX[v] != cntX[w] {
		return cntX[v] > cntX[w]
	}
	if first && degU[v] != degU[w] {
		return degU[v] > degU[w]
	}
	if !first && degU[v] != degU[w] {
		return degU[v] < degU[w]
	}
	return p.t.nameOrd[p.nodes[v]] < p.t.nameOrd[p.nodes[w]]
}

// cliqueBound grows a clique of pairwise conflicts greedily from the most
// conflicted candidates: k nodes that pairwise conflict need k waves.
func (p *planner) cliqueBound() int {
	s, words := len(p.nodes), p.words
	deg := make([]int, s)
	order := make([]int, s)
	for v := 0; v < s; v++ {
		order[v] = v
		for _, x := range p.row(v) {
			deg[v] += bits.OnesCount64(x)
		}
	}
	sort.Slice(order, func(a, b int) bool {
		if deg[order[a]] != deg[order[b]] {
			return deg[order[a]] > deg[order[b]]
		}
		return order[a] < order[b]
	})
	best := 0
	cand := make([]uint64, words)
	for _, v := range order[:min(s, 32)] {
		copy(cand, p.row(v))
		size := 1
		for {
			pick, pickN := -1, -1
			for k := 0; k < words; k++ {
				for x := cand[k]; x != 0; x &= x - 1 {
					u := k*64 + bits.TrailingZeros64(x)
					n := 0
					row := p.row(u)
					for j := 0; j < words; j++ {
						n += bits.OnesCount64(row[j] & cand[j])
					}
					if n > pickN {
						pick, pickN = u, n
					}
				}
			}
			if pick < 0 {
				break
			}
			size++
			row := p.row(pick)
			for k := range cand {
				cand[k] &= row[k]
			}
		}
		best = max(best, size)
	}
	return best
}

// byRack tries waves made of whole racks: if no rack conflicts with
// itself, racks are coloured (exactly, by a bounded search, when there
// are few) and each wave of racks is cut into pieces of at most
// maxPerWave nodes. It returns nil when some rack cannot go down whole.
func (p *planner) byRack(maxPerWave, lb int) [][]int32 {
	t := p.t
	unitOf := make([]int32, len(p.nodes))
	unitIdx := map[int32]int32{}
	var units [][]int32
	var unitRack []int32
	for v, e := range p.nodes {
		rk := t.epRack[e]
		u, ok := unitIdx[rk]
		if !ok {
			u = int32(len(units))
			unitIdx[rk] = u
			units = append(units, nil)
			unitRack = append(unitRack, rk)
		}
		unitOf[v] = u
		units[u] = append(units[u], int32(v))
	}
	K := len(units)
	if K < 2 {
		return nil
	}
	// Unit conflicts from pairwise constraints.
	uadj := make([]bool, K*K)
	for v := range p.nodes {
		row := p.row(v)
		for k := 0; k < p.words; k++ {
			for x := row[k]; x != 0; x &= x - 1 {
				w := k*64 + bits.TrailingZeros64(x)
				a, b := unitOf[v], unitOf[w]
				if a == b {
					return nil
				}
				uadj[int(a)*K+int(b)] = true
			}
		}
	}
	// Per unit, its share of each counted group.
	type share struct{ g, n int32 }
	shares := make([][]share, K)
	for g := 0; g+1 < len(p.gOff); g++ {
		mem := p.gMem[p.gOff[g]:p.gOff[g+1]]
		for i, v := range mem {
			u := unitOf[v]
			seen := false
			for _, w := range mem[:i] {
				seen = seen || unitOf[w] == u
			}
			if seen {
				continue
			}
			n := int32(0)
			for _, w := range mem[i:] {
				if unitOf[w] == u {
					n++
				}
			}
			if n > p.gB[g] {
				return nil
			}
			shares[u] = append(shares[u], share{int32(g), n})
		}
	}

	// Interleave DCs: the first rack of each DC, then the second, ...
	rankInDC := make([]int, K)
	for u := range units {
		rk := t.racks[unitRack[u]]
		for w := range units {
			o := t.racks[unitRack[w]]
			if o.dc == rk.dc && o.name < rk.name {
				rankInDC[u]++
			}
		}
	}
	order := make([]int, K)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		ua, ub := order[a], order[b]
		if rankInDC[ua] != rankInDC[ub] {
			return rankInDC[ua] < rankInDC[ub]
		}
		return t.racks[unitRack[ua]].dc < t.racks[unitRack[ub]].dc
	})

	// Depth-first search over assignments of units to waves, first-fit
	// first; stops at the lower bound or after a step budget.
	assign := make([]int, K)
	best := make([]int, K)
	bestN := K + 1
	var sums [][]int32 // per wave, per counted group
	var members [][]int
	steps := 0
	fits := func(u, w int) bool {
		for _, x := range members[w] {
			if uadj[u*K+x] {
				return false
			}
		}
		for _, sh := range shares[u] {
			if sums[w][sh.g]+sh.n > p.gB[sh.g] {
				return false
			}
		}
		return true
	}
	put := func(u, w int, sign int32) {
		for _, sh := range shares[u] {
			sums[w][sh.g] += sign * sh.n
		}
		if sign > 0 {
			members[w] = append(members[w], u)
		} else {
			members[w] = members[w][:len(members[w])-1]
		}
	}
	var dfs func(i, used int)
	dfs = func(i, used int) {
		steps++
		if used >= bestN || bestN <= max(lb, 1) || steps > 200000 {
			return
		}
		if i == K {
			bestN = used
			copy(best, assign)
			return
		}
		u := order[i]
		for w := 0; w <= used && w < bestN-1; w++ {
			if w == used {
				if len(sums) <= w {
					sums = append(sums, make([]int32, len(p.gB)))
					members = append(members, nil)
				}
			} else if !fits(u, w) {
				continue
			}
			assign[u] = w
			put(u, w, 1)
			next := used
			if w == used {
				next++
			}
			dfs(i+1, next)
			put(u, w, -1)
		}
	}
	dfs(0, 0)
	if bestN > K {
		return nil
	}

	var waves [][]int32
	for w := 0; w < bestN; w++ {
		var nodes []int32
		for _, u := range order {
			if best[u] == w {
				nodes = append(nodes, units[u]...)
			}
		}
		for maxPerWave > 0 && len(nodes) > maxPerWave {
			waves = append(waves, nodes[:maxPerWave])
			nodes = nodes[maxPerWave:]
		}
		waves = append(waves, nodes)
	}
	return waves
}

// rackOrder lists the candidates rack by rack, interleaving DCs (first
// rack of each DC, then the second, ...), by name within a rack: the order
// in which a first fit rebuilds rack-shaped waves.
func (p *planner) rackOrder() []int32 {
	t := p.t
	rank := make(map[int32]int, len(t.racks)) // rack -> rank of its name in its DC
	for r, ri := range t.racks {
		for _, o := range t.racks {
			if o.dc == ri.dc && o.name < ri.name {
				rank[int32(r)]++
			}
		}
	}
	order := make([]int32, len(p.nodes))
	for v := range order {
		order[v] = int32(v)
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := t.epRack[p.nodes[order[a]]], t.epRack[p.nodes[order[b]]]
		if rank[ra] != rank[rb] {
			return rank[ra] < rank[rb]
		}
		return t.racks[ra].dc < t.racks[rb].dc
	})
	return order
}

// firstFit puts each candidate, in order, into the first wave it fits.
func (p *planner) firstFit(order []int32, maxPerWave int) [][]int32 {
	ngOff, ngGrp := p.nodeGroupsCached()
	// Each counted group has one (wave, count) slot per member: a group
	// never spans more waves than it has members.
	slotWave := make([]int32, len(p.gMem))
	slotCnt := make([]int32, len(p.gMem))
	for i := range slotWave {
		slotWave[i] = -1
	}
	var waveBits [][]uint64
	var waves [][]int32
	fits := func(v, w int) bool {
		if maxPerWave > 0 && len(waves[w]) >= maxPerWave {
			return false
		}
		row, wb := p.row(v), waveBits[w]
		p.work += len(wb)
		for k := range wb {
			if row[k]&wb[k] != 0 {
				return false
			}
		}
		p.work += int(ngOff[v+1] - ngOff[v])
		for _, g := range ngGrp[ngOff[v]:ngOff[v+1]] {
			for i := p.gOff[g]; i < p.gOff[g+1] && slotWave[i] >= 0; i++ {
				p.work++
				if slotWave[i] == int32(w) {
					if slotCnt[i] >= p.gB[g] {
						return false
					}
					break
				}
			}
		}
		return true
	}
	for _, v := range order {
		w := 0
		for w < len(waves) && !fits(int(v), w) {
			w++
		}
		if w == len(waves) {
			waves = append(waves, nil)
			waveBits = append(waveBits, make([]uint64, p.words))
		}
		waves[w] = append(waves[w], v)
		waveBits[w][v/64] |= 1 << (uint(v) % 64)
		for _, g := range ngGrp[ngOff[v]:ngOff[v+1]] {
			for i := p.gOff[g]; i < p.gOff[g+1]; i++ {
				if slotWave[i] == int32(w) || slotWave[i] < 0 {
					slotWave[i] = int32(w)
					slotCnt[i]++
					break
				}
			}
		}
	}
	return waves
}

// igBudget bounds the first-fit steps spent by iterated greedy (some
// 0.2 s on a 2020s server core); counting steps rather than time keeps the
// plan deterministic.
const igBudget = 40_000_000

// iteratedGreedy is Culberson's iterated greedy: re-run the first fit with
// the nodes ordered wave by wave (waves reversed, largest first, or
// shuffled). Nodes of one wave fit together, so this never needs more
// waves, and often fewer. Deterministic: the shuffles use a fixed seed.
func (p *planner) iteratedGreedy(waves [][]int32, maxPerWave, lb int) [][]int32 {
	rnd := rand.New(rand.NewPCG(uint64(len(p.nodes)), uint64(len(waves))))
	best := waves
	stale := 0
	start := p.work
	for it := 0; it < 1000 && stale < 50 && len(best) > lb && p.work-start < igBudget; it++ {
		classes := slices.Clone(waves)
		switch it % 3 {
		case 0:
			slices.Reverse(classes)
		case 1:
			sort.SliceStable(classes, func(a, b int) bool { return len(classes[a]) > len(classes[b]) })
		default:
			rnd.Shuffle(len(classes), func(i, j int) { classes[i], classes[j] = classes[j], classes[i] })
		}
		order := make([]int32, 0, len(p.nodes))
		for _, c := range classes {
			order = append(order, c...)
		}
		waves = p.firstFit(order, maxPerWave)
		if len(waves) < len(best) {
			best, stale = waves, 0
		} else {
			stale++
		}
	}
	return best
}

func (p *planner) nodeGroupsCached() (off, grp []int32) {
	if p.ngOff == nil {
		p.ngOff, p.ngGrp = p.nodeGroups()
	}
	return p.ngOff, p.ngGrp
}
