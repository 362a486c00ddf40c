package ring

import (
	"errors"
	"fmt"
	"sort"
)

// Keyspace names a keyspace and its replication.
type Keyspace struct {
	Name        string
	Replication Replication
}

// Availability tracks which token ranges of which keyspaces can be served
// at each consistency level by a coordinator in one DC, for a set of down
// endpoints. Marking one endpoint down or up re-evaluates only the ranges
// it replicates. An Availability is not safe for concurrent mutation; use
// Clone to hand out copies.
type Availability struct {
	t       *Topology
	coordDC string
	down    []bool
	ks      []*ksAvail
	byName  map[string]int
}

type ksAvail struct {
	name  string
	r     Replication // effective
	local bool        // LocalStrategy: served by the coordinator itself
	rm    *ReplicaMap
	req   *requirements
	// fail[i] has bit cl set when range i cannot be served at cl. An
	// EverywhereStrategy keyspace has one entry: all ranges share replicas.
	fail  []uint16
	nfail [NodeLocal]int // ranges failing per level (by range, not entry)
	c     counts
	buf   []int32
}

// NewAvailability evaluates every range of every keyspace for a
// coordinator in coordinatorDC with the given endpoints down. A
// coordinator DC unknown to the topology is allowed (every DC-local level
// then fails, as Cassandra would).
func (t *Topology) NewAvailability(keyspaces []Keyspace, coordinatorDC string, down []int) (*Availability, error) {
	if coordinatorDC == "" {
		return nil, errors.New("ring: availability needs a coordinator DC")
	}
	a := &Availability{t: t, coordDC: coordinatorDC, down: make([]bool, len(t.eps)), byName: map[string]int{}}
	for _, e := range down {
		if e < 0 || e >= len(t.eps) {
			return nil, fmt.Errorf("ring: down endpoint %d out of range [0,%d)", e, len(t.eps))
		}
		a.down[e] = true
	}
	for _, k := range keyspaces {
		if _, dup := a.byName[k.Name]; dup {
			return nil, fmt.Errorf("ring: keyspace %s listed twice", k.Name)
		}
		ka := &ksAvail{name: k.Name}
		if k.Replication.Strategy == LocalStrategy {
			ka.local = true
		} else {
			rm, err := t.ReplicaMap(k.Replication)
			if err != nil {
				return nil, fmt.Errorf("ring: keyspace %s: %w", k.Name, err)
			}
			ka.rm, ka.r = rm, rm.r
			ka.req = t.newRequirements(rm.r, coordinatorDC)
			ka.c.reset(len(t.dcNames))
			n := rm.NumRanges()
			if rm.everywhere {
				n = 1
			}
			ka.fail = make([]uint16, n)
			for i := range ka.fail {
				ka.fail[i] = a.evaluate(ka, i)
			}
			ka.recount()
		}
		a.byName[k.Name] = len(a.ks)
		a.ks = append(a.ks, ka)
	}
	return a, nil
}

// evaluate returns the failing-level bitmask of range i.
func (a *Availability) evaluate(k *ksAvail, i int) uint16 {
	reps, full := k.rm.rangeReplicas(i, k.buf)
	if k.rm.everywhere {
		k.buf = reps // reuse the buffer for the next walk
	}
	k.c.reset(len(a.t.dcNames))
	for j, e := range reps {
		k.c.add(int(a.t.epDC[e]), !a.down[e], full == nil || full[j])
	}
	return k.req.failMask(&k.c)
}

func (k *ksAvail) weight() int {
	if k.rm.everywhere {
		return k.rm.NumRanges()
	}
	return 1
}

func (k *ksAvail) recount() {
	k.nfail = [NodeLocal]int{}
	w := k.weight()
	for _, m := range k.fail {
		for cl := range k.nfail {
			if m&(1<<cl) != 0 {
				k.nfail[cl] += w
			}
		}
	}
}

// SetDown marks endpoint ep down (or up) and re-evaluates the ranges it
// replicates. It reports whether anything changed.
func (a *Availability) SetDown(ep int, down bool) (bool, error) {
	if ep < 0 || ep >= len(a.down) {
		return false, fmt.Errorf("ring: endpoint %d out of range [0,%d)", ep, len(a.down))
	}
	if a.down[ep] == down {
		return false, nil
	}
	a.down[ep] = down
	for _, k := range a.ks {
		if k.local {
			continue
		}
		if k.rm.everywhere {
			k.update(0, a.evaluate(k, 0))
			continue
		}
		k.rm.buildIndex()
		for _, i := range k.rm.epRng[k.rm.epOff[ep]:k.rm.epOff[ep+1]] {
			k.update(int(i), a.evaluate(k, int(i)))
		}
	}
	return true, nil
}

func (k *ksAvail) update(i int, mask uint16) {
	old := k.fail[i]
	if old == mask {
		return
	}
	w := k.weight()
	for cl := range k.nfail {
		bit := uint16(1) << cl
		switch {
		case old&bit == 0 && mask&bit != 0:
			k.nfail[cl] += w
		case old&bit != 0 && mask&bit == 0:
			k.nfail[cl] -= w
		}
	}
	k.fail[i] = mask
}

// Clone returns an independent copy.
func (a *Availability) Clone() *Availability {
	b := &Availability{t: a.t, coordDC: a.coordDC, down: append([]bool(nil), a.down...), byName: a.byName}
	for _, k := range a.ks {
		c := *k
		c.fail = append([]uint16(nil), k.fail...)
		c.c = counts{}
		c.c.reset(len(a.t.dcNames))
		c.buf = nil
		b.ks = append(b.ks, &c)
	}
	return b
}

// CoordinatorDC returns the DC the evaluation is for.
func (a *Availability) CoordinatorDC() string { return a.coordDC }

// Down returns the down endpoints, ascending.
func (a *Availability) Down() []int {
	var out []int
	for e, d := range a.down {
		if d {
			out = append(out, e)
		}
	}
	return out
}

// IsDown reports whether endpoint ep is marked down.
func (a *Availability) IsDown(ep int) bool { return a.down[ep] }

func (a *Availability) keyspace(name string) (*ksAvail, error) {
	i, ok := a.byName[name]
	if !ok {
		return nil, fmt.Errorf("ring: unknown keyspace %s", name)
	}
	return a.ks[i], nil
}

func checkLevel(cl ConsistencyLevel) error {
	if cl >= NodeLocal {
		return fmt.Errorf("ring: availability is not evaluated for %s", cl)
	}
	return nil
}

// UnavailableCount is the number of token ranges of keyspace that cannot
// be served at cl (0 for LocalStrategy keyspaces).
func (a *Availability) UnavailableCount(keyspace string, cl ConsistencyLevel) (int, error) {
	k, err := a.keyspace(keyspace)
	if err != nil {
		return 0, err
	}
	if err := checkLevel(cl); err != nil {
		return 0, err
	}
	if k.local {
		return 0, nil
	}
	return k.nfail[cl], nil
}

// Available reports whether every range of keyspace can be served at cl.
func (a *Availability) Available(keyspace string, cl ConsistencyLevel) (bool, error) {
	n, err := a.UnavailableCount(keyspace, cl)
	return n == 0, err
}

// UnavailableRange is a run of contiguous token ranges that cannot be
// served, with the figures of Cassandra's Unavailable error.
type UnavailableRange struct {
	Range Range
	Outcome
}

// Unavailable lists the token ranges of keyspace that cannot be served at
// cl, in ring order. Adjacent ranges with identical figures are merged; a
// Range with Start == End is the whole ring.
func (a *Availability) Unavailable(keyspace string, cl ConsistencyLevel) ([]UnavailableRange, error) {
	k, err := a.keyspace(keyspace)
	if err != nil {
		return nil, err
	}
	if err := checkLevel(cl); err != nil {
		return nil, err
	}
	if k.local || k.nfail[cl] == 0 {
		return nil, nil
	}
	n := k.rm.NumRanges()
	bit := uint16(1) << cl
	failing := func(i int) bool {
		if k.rm.everywhere {
			return k.fail[0]&bit != 0
		}
		return k.fail[i]&bit != 0
	}
	outcome := func(i int) Outcome {
		return a.outcomeAt(k, cl, i)
	}
	if k.nfail[cl] == n {
		// Every range fails; if they all share figures, report the ring once.
		first := outcome(0)
		same := true
		for i := 1; i < n && same; i++ {
			same = outcome(i) == first
		}
		if same {
			end := a.t.tokens[n-1]
			return []UnavailableRange{{Range: Range{Start: end, End: end}, Outcome: first}}, nil
		}
	}
	// Start the scan at a range that does not continue its predecessor's run.
	start := 0
	for s := 0; s < n; s++ {
		p := (s + n - 1) % n
		if failing(s) && (!failing(p) || outcome(p) != outcome(s)) {
			start = s
			break
		}
	}
	var out []UnavailableRange
	for j := 0; j < n; j++ {
		i := (start + j) % n
		if !failing(i) {
			continue
		}
		o := outcome(i)
		rg := a.t.RangeAt(i)
		if l := len(out) - 1; l >= 0 && out[l].Outcome == o && out[l].Range.End == rg.Start && j > 0 && failing((i+n-1)%n) {
			out[l].Range.End = rg.End
			continue
		}
		out = append(out, UnavailableRange{Range: rg, Outcome: o})
	}
	return out, nil
}

func (a *Availability) outcomeAt(k *ksAvail, cl ConsistencyLevel, i int) Outcome {
	reps, full := k.rm.rangeReplicas(i, nil)
	var c counts
	c.reset(len(a.t.dcNames))
	for j, e := range reps {
		c.add(int(a.t.epDC[e]), !a.down[e], full == nil || full[j])
	}
	return k.req.outcome(cl, &c)
}

// CheckToken evaluates cl for the range of keyspace that contains tok.
func (a *Availability) CheckToken(keyspace string, cl ConsistencyLevel, tok Token) (Outcome, error) {
	k, err := a.keyspace(keyspace)
	if err != nil {
		return Outcome{}, err
	}
	if err := checkLevel(cl); err != nil {
		return Outcome{}, err
	}
	if k.local {
		return Outcome{OK: true, Replicas: 1, Alive: 1, Required: 1}, nil
	}
	return a.outcomeAt(k, cl, a.t.RangeIndex(tok)), nil
}

// LevelSummary is how many ranges of a keyspace fail at one level.
type LevelSummary struct {
	CL          ConsistencyLevel
	Unavailable int
}

// KeyspaceSummary is a keyspace's availability at every level.
type KeyspaceSummary struct {
	Keyspace string
	// Ranges is the number of token ranges (0 for LocalStrategy).
	Ranges int
	Levels []LevelSummary
}

// Summary reports, for every keyspace in the order given and every level of
// ConsistencyLevels, how many ranges cannot be served.
func (a *Availability) Summary() []KeyspaceSummary {
	out := make([]KeyspaceSummary, 0, len(a.ks))
	for _, k := range a.ks {
		s := KeyspaceSummary{Keyspace: k.name}
		if !k.local {
			s.Ranges = k.rm.NumRanges()
		}
		for _, cl := range ConsistencyLevels() {
			s.Levels = append(s.Levels, LevelSummary{CL: cl, Unavailable: k.nfail[cl]})
		}
		out = append(out, s)
	}
	return out
}

// Keyspaces returns the keyspace names, sorted.
func (a *Availability) Keyspaces() []string {
	out := make([]string, 0, len(a.ks))
	for _, k := range a.ks {
		out = append(out, k.name)
	}
	sort.Strings(out)
	return out
}
