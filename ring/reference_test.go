package ring

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// This file holds slow, literal reference implementations used by the
// property tests. They follow the Java sources statement by statement,
// over plain maps and names, sharing no code with the package.

type refRing struct {
	eps    []Endpoint
	tokens []Token
	owner  map[Token]int
	memo   map[string]refReplicas // replicas by replication and token
}

type refReplicas struct {
	reps []int
	full []bool
}

func newRefRing(eps []Endpoint) refRing {
	r := refRing{eps: eps, owner: map[Token]int{}, memo: map[string]refReplicas{}}
	for i, e := range eps {
		for _, tk := range e.Tokens {
			r.tokens = append(r.tokens, tk)
			r.owner[tk] = i
		}
	}
	sort.Slice(r.tokens, func(a, b int) bool { return r.tokens[a] < r.tokens[b] })
	return r
}

// ringIterator order from TokenMetadata.firstTokenIndex(ring, start, false).
func (r refRing) walk(tok Token) []int {
	start := 0
	for start < len(r.tokens) && r.tokens[start] < tok {
		start++
	}
	if start == len(r.tokens) {
		start = 0
	}
	var out []int
	for j := range r.tokens {
		out = append(out, r.owner[r.tokens[(start+j)%len(r.tokens)]])
	}
	return out
}

// replicas is calculateNaturalReplicas of SimpleStrategy,
// NetworkTopologyStrategy (4.x DatacenterEndpoints) and EverywhereStrategy.
func (r refRing) replicas(repl Replication, tok Token) ([]int, []bool) {
	key := repl.String() + "@" + tok.String()
	if m, ok := r.memo[key]; ok {
		return m.reps, m.full
	}
	reps, full := r.compute(repl, tok)
	r.memo[key] = refReplicas{reps, full}
	return reps, full
}

func (r refRing) compute(repl Replication, tok Token) (reps []int, full []bool) {
	in := map[int]bool{}
	add := func(ep int, f bool) {
		in[ep] = true
		reps = append(reps, ep)
		full = append(full, f)
	}
	switch repl.Strategy {
	case SimpleStrategy:
		for _, ep := range r.walk(tok) {
			if len(reps) >= repl.RF.All {
				break
			}
			if !in[ep] {
				add(ep, len(reps) < repl.RF.Full())
			}
		}
	case EverywhereStrategy:
		for _, ep := range r.walk(tok) {
			if !in[ep] {
				add(ep, true)
			}
		}
	case NetworkTopologyStrategy:
		allEndpoints := map[string]map[int]bool{}
		racks := map[string]map[string]bool{}
		for i, e := range r.eps {
			if allEndpoints[e.DC] == nil {
				allEndpoints[e.DC] = map[int]bool{}
				racks[e.DC] = map[string]bool{}
			}
			allEndpoints[e.DC][i] = true
			racks[e.DC][e.Rack] = true
		}
		type dcEndpoints struct{ rfLeft, acceptableRackRepeats, transients int }
		dcs := map[string]*dcEndpoints{}
		dcsToFill := 0
		for dc, rf := range repl.DCs {
			nodeCount := len(allEndpoints[dc])
			if rf.All <= 0 || nodeCount <= 0 {
				continue
			}
			d := &dcEndpoints{rfLeft: min(rf.All, nodeCount), acceptableRackRepeats: rf.All - len(racks[dc])}
			reduce := rf.All - d.rfLeft
			d.transients = max(rf.Transient-reduce, 0)
			dcs[dc] = d
			dcsToFill++
		}
		seenRacks := map[[2]string]bool{}
		for _, ep := range r.walk(tok) {
			if dcsToFill == 0 {
				break
			}
			loc := [2]string{r.eps[ep].DC, r.eps[ep].Rack}
			d := dcs[loc[0]]
			if d == nil {
				continue
			}
			// addEndpointAndCheckIfDone
			if d.rfLeft == 0 || in[ep] {
				continue
			}
			isFull := d.rfLeft > d.transients
			if !seenRacks[loc] {
				seenRacks[loc] = true
				d.rfLeft--
				add(ep, isFull)
			} else if d.acceptableRackRepeats <= 0 {
				continue
			} else {
				add(ep, isFull)
				d.acceptableRackRepeats--
				d.rfLeft--
			}
			if d.rfLeft == 0 {
				dcsToFill--
			}
		}
	}
	return reps, full
}

// refServes is ReplicaPlans.assureSufficientLiveReplicas (read rule) and
// ReplicaPlans.forPaxos, written out naively.
func (r refRing) serves(repl Replication, cl ConsistencyLevel, coord string, reps []int, full []bool, down map[int]bool) bool {
	rfOf := map[string]int{}
	total := 0
	dcAware := repl.Strategy == NetworkTopologyStrategy || repl.Strategy == EverywhereStrategy
	switch repl.Strategy {
	case SimpleStrategy:
		total = repl.RF.All
	case NetworkTopologyStrategy:
		for dc, rf := range repl.DCs {
			rfOf[dc] = rf.All
			total += rf.All
		}
	case EverywhereStrategy:
		for _, e := range r.eps {
			rfOf[e.DC]++
			total++
		}
	}
	quorum := total/2 + 1
	localQuorum := func(dc string) int {
		if dcAware {
			return rfOf[dc]/2 + 1
		}
		return quorum
	}
	var live, liveFull, natIn, liveIn, liveFullIn int
	liveInDC := map[string]int{}
	for i, e := range reps {
		dc := r.eps[e].DC
		if dc == coord {
			natIn++
		}
		if down[e] {
			continue
		}
		live++
		liveInDC[dc]++
		if dc == coord {
			liveIn++
		}
		if full == nil || full[i] {
			liveFull++
			if dc == coord {
				liveFullIn++
			}
		}
	}
	switch cl {
	case Any:
		return true
	case One, Two, Three:
		return live >= int(cl) && liveFull >= 1
	case Quorum:
		return live >= quorum && liveFull >= 1
	case All:
		return live >= total && liveFull >= 1
	case LocalOne:
		return liveIn >= 1 && liveFullIn >= 1
	case LocalQuorum:
		return liveIn >= localQuorum(coord) && liveFullIn >= 1
	case EachQuorum:
		if !dcAware {
			return live >= quorum && liveFull >= 1
		}
		for dc := range rfOf {
			if liveInDC[dc] < rfOf[dc]/2+1 {
				return false
			}
		}
		return liveFull >= 1
	case Serial:
		return live >= len(reps)/2+1
	case LocalSerial:
		return liveIn >= natIn/2+1
	}
	panic(cl)
}

// Random inputs for property tests.

func randEndpoints(rnd *rand.Rand, maxNodes, maxTokens int) []Endpoint {
	ndc := 1 + rnd.IntN(3)
	racks := make([]int, ndc)
	for d := range racks {
		racks[d] = 1 + rnd.IntN(4)
	}
	n := 1 + rnd.IntN(maxNodes)
	used := map[Token]bool{}
	eps := make([]Endpoint, n)
	for i := range eps {
		d := rnd.IntN(ndc)
		eps[i] = Endpoint{Name: fmt.Sprintf("10.0.%d.%d", d, i), DC: fmt.Sprintf("dc%d", d+1), Rack: fmt.Sprintf("r%d", rnd.IntN(racks[d]))}
		for k := 1 + rnd.IntN(maxTokens); k > 0; k-- {
			tk := Token(rnd.IntN(1000) - 500)
			for used[tk] {
				tk = Token(rnd.IntN(1000) - 500)
			}
			used[tk] = true
			eps[i].Tokens = append(eps[i].Tokens, tk)
		}
	}
	return eps
}

func randRF(rnd *rand.Rand, max int) string {
	all := rnd.IntN(max + 1)
	if all >= 2 && rnd.IntN(5) == 0 {
		return fmt.Sprintf("%d/%d", all, 1+rnd.IntN(all-1))
	}
	return fmt.Sprint(all)
}

func randReplication(rnd *rand.Rand, topo *Topology) Replication {
	var m map[string]string
	switch rnd.IntN(10) {
	case 0, 1, 2:
		rf := randRF(rnd, 5)
		if rf == "0" {
			rf = "1"
		}
		m = map[string]string{"class": "SimpleStrategy", "replication_factor": rf}
	case 3:
		m = map[string]string{"class": "EverywhereStrategy"}
	default:
		m = map[string]string{"class": "NetworkTopologyStrategy"}
		for _, dc := range append(topo.DCs(), "dc9") {
			if rnd.IntN(4) != 0 {
				m[dc] = randRF(rnd, 5)
			}
		}
	}
	r, err := ParseReplication(m)
	if err != nil {
		panic(err)
	}
	return r
}

// property runs f on n seeded random cases; a failure names its seed.
func property(t *testing.T, n int, f func(rnd *rand.Rand) error) {
	t.Helper()
	if testing.Short() {
		n /= 5
	}
	for seed := 0; seed < n; seed++ {
		rnd := rand.New(rand.NewPCG(uint64(seed), 0x7269_6e67))
		if err := f(rnd); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}
