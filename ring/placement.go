package ring

import (
	"errors"
	"runtime"
	"slices"
	"sync"
)

// ErrLocalStrategy is returned by Topology.ReplicaMap for LocalStrategy
// keyspaces: their data lives on every node for itself, outside the ring.
var ErrLocalStrategy = errors.New("ring: LocalStrategy has no token ranges (each node holds its own copy)")

// Replicas returns the natural replicas of the range containing tok, as
// indexes into the endpoints given to NewTopology, in Cassandra's order
// (the first is the primary replica). It returns nil for LocalStrategy.
func (t *Topology) Replicas(r Replication, tok Token) []int {
	if r.Strategy == LocalStrategy || r.Strategy == UnknownStrategy {
		return nil
	}
	w := t.newWalker(t.Effective(r))
	reps, _ := w.walk(t.RangeIndex(tok), nil, nil)
	out := make([]int, len(reps))
	for i, e := range reps {
		out[i] = int(e)
	}
	return out
}

// walker computes the natural replicas of one range at a time. It is not
// safe for concurrent use; each goroutine gets its own.
type walker struct {
	t        *Topology
	strategy Strategy
	rf       ReplicationFactor // SimpleStrategy
	dcs      []ntsDC           // per topology DC (NetworkTopologyStrategy)
	active   int               // DCs with replicas to place
	state    []ntsDC
	trackTr  bool // some replica may be transient: record fullness
	seenRack []bool
	touched  []int32
	seenEp   []bool // EverywhereStrategy
}

type ntsDC struct {
	rfLeft, repeats, transients int
}

func (t *Topology) newWalker(r Replication) *walker {
	w := &walker{t: t, strategy: r.Strategy, rf: r.RF, trackTr: r.RF.Transient > 0}
	switch r.Strategy {
	case NetworkTopologyStrategy:
		w.dcs = make([]ntsDC, len(t.dcNames))
		w.state = make([]ntsDC, len(t.dcNames))
		w.seenRack = make([]bool, len(t.racks))
		for d, name := range t.dcNames {
			rf, nodes := r.DCs[name], t.dcNodes[d]
			// NetworkTopologyStrategy.calculateNaturalReplicas skips DCs
			// with RF 0 and DCs without nodes; DCs of the map that are not
			// in the topology have no nodes.
			if rf.All <= 0 || nodes <= 0 {
				continue
			}
			// DatacenterEndpoints: RF is capped at the DC's node count, and
			// rack repeats are allowed only for RF beyond the rack count.
			left := min(rf.All, nodes)
			w.dcs[d] = ntsDC{
				rfLeft:     left,
				repeats:    rf.All - t.dcRacks[d],
				transients: max(rf.Transient-(rf.All-left), 0),
			}
			w.trackTr = w.trackTr || w.dcs[d].transients > 0
			w.active++
		}
	case EverywhereStrategy:
		w.seenEp = make([]bool, len(t.eps))
	}
	return w
}

// walk appends the replicas of range i to reps (and, if the replication
// has transient replicas, their fullness to full) and returns both.
func (w *walker) walk(i int, reps []int32, full []bool) ([]int32, []bool) {
	t := w.t
	n := len(t.tokens)
	switch w.strategy {
	case SimpleStrategy:
		// SimpleStrategy.calculateNaturalReplicas: the next distinct
		// endpoints along the ring; the first rf.Full() are full replicas.
		start := len(reps)
		for j := 0; j < n && len(reps)-start < w.rf.All; j++ {
			ep := t.owner[(i+j)%n]
			if containsEp(reps[start:], ep) {
				continue
			}
			if w.trackTr {
				full = append(full, len(reps)-start < w.rf.Full())
			}
			reps = append(reps, ep)
		}
	case NetworkTopologyStrategy:
		// NetworkTopologyStrategy.calculateNaturalReplicas: one pass along
		// the ring, each DC filling its own quota (DatacenterEndpoints).
		copy(w.state, w.dcs)
		start := len(reps)
		toFill := w.active
		for j := 0; j < n && toFill > 0; j++ {
			ep := t.owner[(i+j)%n]
			st := &w.state[t.epDC[ep]]
			if st.rfLeft == 0 || containsEp(reps[start:], ep) {
				continue
			}
			isFull := st.rfLeft > st.transients
			rk := t.epRack[ep]
			if !w.seenRack[rk] {
				w.seenRack[rk] = true
				w.touched = append(w.touched, rk)
			} else if st.repeats > 0 {
				// A rack already used: accepted only while the DC has
				// fewer racks than RF (acceptableRackRepeats).
				st.repeats--
			} else {
				continue
			}
			st.rfLeft--
			reps = append(reps, ep)
			if w.trackTr {
				full = append(full, isFull)
			}
			if st.rfLeft == 0 {
				toFill--
			}
		}
		for _, rk := range w.touched {
			w.seenRack[rk] = false
		}
		w.touched = w.touched[:0]
	case EverywhereStrategy:
		// Every endpoint, in ring order from the range: what both the
		// DataStax and the NTS-based EverywhereStrategy produce (with RF =
		// node count no rack repeat is ever refused).
		start := len(reps)
		for j := 0; j < n && len(reps)-start < len(t.eps); j++ {
			ep := t.owner[(i+j)%n]
			if !w.seenEp[ep] {
				w.seenEp[ep] = true
				reps = append(reps, ep)
			}
		}
		for _, ep := range reps[start:] {
			w.seenEp[ep] = false
		}
	}
	return reps, full
}

func containsEp(s []int32, ep int32) bool {
	for _, e := range s {
		if e == ep {
			return true
		}
	}
	return false
}

// ReplicaMap is the natural replicas of every token range of the ring for
// one replication, precomputed. It is immutable and safe for concurrent use.
type ReplicaMap struct {
	t    *Topology
	r    Replication // effective
	off  []int32     // replicas of range i are reps[off[i]:off[i+1]]
	reps []int32
	full []bool // parallel to reps; nil when every replica is full

	everywhere bool // replicas computed on demand: every endpoint

	idxOnce sync.Once
	epOff   []int32 // ranges replicated by endpoint e are epRng[epOff[e]:epOff[e+1]]
	epRng   []int32
}

// ReplicaMap computes the replicas of every token range for r. Maps are
// cached per replication, so keyspaces with equal replication share one.
// LocalStrategy has no ring placement and yields ErrLocalStrategy.
func (t *Topology) ReplicaMap(r Replication) (*ReplicaMap, error) {
	switch r.Strategy {
	case LocalStrategy:
		return nil, ErrLocalStrategy
	case UnknownStrategy:
		return nil, errors.New("ring: replication has no strategy (use ParseReplication)")
	}
	key := r.String()
	t.mu.Lock()
	m := t.cache[key]
	t.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m = t.buildReplicaMap(t.Effective(r))
	t.mu.Lock()
	if c := t.cache[key]; c != nil {
		m = c
	} else {
		t.cache[key] = m
	}
	t.mu.Unlock()
	return m, nil
}

func (t *Topology) buildReplicaMap(r Replication) *ReplicaMap {
	m := &ReplicaMap{t: t, r: r}
	if r.Strategy == EverywhereStrategy {
		m.everywhere = true
		return m
	}
	n := len(t.tokens)
	workers := runtime.GOMAXPROCS(0)
	if n < 4096 || workers < 2 {
		workers = 1
	}
	type chunk struct {
		reps []int32
		full []bool
		cnt  []int32
	}
	chunks := make([]chunk, workers)
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for c := 0; c < workers; c++ {
		lo, hi := c*per, min((c+1)*per, n)
		wg.Add(1)
		go func(c, lo, hi int) {
			defer wg.Done()
			w := t.newWalker(r)
			ch := chunk{cnt: make([]int32, 0, hi-lo)}
			if lo < hi {
				// Every range has about as many replicas as the first.
				ch.reps, ch.full = w.walk(lo, nil, nil)
				width := len(ch.reps)
				ch.reps = make([]int32, 0, (hi-lo)*width+width)
				if w.trackTr {
					ch.full = make([]bool, 0, (hi-lo)*width+width)
				} else {
					ch.full = nil
				}
			}
			for i := lo; i < hi; i++ {
				before := len(ch.reps)
				ch.reps, ch.full = w.walk(i, ch.reps, ch.full)
				ch.cnt = append(ch.cnt, int32(len(ch.reps)-before))
			}
			chunks[c] = ch
		}(c, lo, hi)
	}
	wg.Wait()

	total, anyTransient := 0, false
	for _, ch := range chunks {
		total += len(ch.reps)
		anyTransient = anyTransient || slices.Contains(ch.full, false)
	}
	m.off = make([]int32, 0, n+1)
	m.reps = make([]int32, 0, total)
	if anyTransient {
		m.full = make([]bool, 0, total)
	}
	m.off = append(m.off, 0)
	for _, ch := range chunks {
		m.reps = append(m.reps, ch.reps...)
		if anyTransient {
			m.full = append(m.full, ch.full...)
		}
		pos := m.off[len(m.off)-1]
		for _, c := range ch.cnt {
			pos += c
			m.off = append(m.off, pos)
		}
	}
	return m
}

// Topology returns the topology the map was computed for.
func (m *ReplicaMap) Topology() *Topology { return m.t }

// Replication returns the (effective) replication the map was computed for.
func (m *ReplicaMap) Replication() Replication { return m.r }

// NumRanges is the number of token ranges (one per token).
func (m *ReplicaMap) NumRanges() int { return len(m.t.tokens) }

// Range returns range i, (tokens[i-1], tokens[i]].
func (m *ReplicaMap) Range(i int) Range { return m.t.RangeAt(i) }

// RangeIndex returns the index of the range containing tok.
func (m *ReplicaMap) RangeIndex(tok Token) int { return m.t.RangeIndex(tok) }

// ForToken returns the natural replicas of the range containing tok, in
// Cassandra's order, as endpoint indexes.
func (m *ReplicaMap) ForToken(tok Token) []int { return m.ForRange(m.t.RangeIndex(tok)) }

// AppendForToken appends the natural replicas of the range containing tok
// to dst and returns it, without allocating when dst has room.
func (m *ReplicaMap) AppendForToken(dst []int, tok Token) []int {
	if m.everywhere {
		return append(dst, m.ForToken(tok)...)
	}
	i := m.t.RangeIndex(tok)
	for _, e := range m.reps[m.off[i]:m.off[i+1]] {
		dst = append(dst, int(e))
	}
	return dst
}

// ForRange returns the natural replicas of range i, in Cassandra's order.
func (m *ReplicaMap) ForRange(i int) []int {
	reps, _ := m.rangeReplicas(i, nil)
	out := make([]int, len(reps))
	for k, e := range reps {
		out[k] = int(e)
	}
	return out
}

// FullForRange reports, parallel to ForRange(i), which replicas are full
// (not transient).
func (m *ReplicaMap) FullForRange(i int) []bool {
	_, full := m.rangeReplicas(i, nil)
	if full == nil {
		full = make([]bool, m.numReplicas(i))
		for k := range full {
			full[k] = true
		}
	}
	return append([]bool(nil), full...)
}

// rangeReplicas returns the replicas of range i (shared storage; buf is
// used for EverywhereStrategy) and their fullness, nil meaning all full.
func (m *ReplicaMap) rangeReplicas(i int, buf []int32) ([]int32, []bool) {
	if m.everywhere {
		w := m.t.newWalker(m.r)
		reps, _ := w.walk(i, buf[:0], nil)
		return reps, nil
	}
	lo, hi := m.off[i], m.off[i+1]
	if m.full == nil {
		return m.reps[lo:hi], nil
	}
	return m.reps[lo:hi], m.full[lo:hi]
}

func (m *ReplicaMap) numReplicas(i int) int {
	if m.everywhere {
		return len(m.t.eps)
	}
	return int(m.off[i+1] - m.off[i])
}

// HasTransient reports whether any replica is transient.
func (m *ReplicaMap) HasTransient() bool { return m.full != nil }

// RangesOf returns the indexes of the ranges that endpoint ep replicates,
// ascending. The index behind it is built on first use.
func (m *ReplicaMap) RangesOf(ep int) []int {
	if m.everywhere {
		out := make([]int, m.NumRanges())
		for i := range out {
			out[i] = i
		}
		return out
	}
	m.buildIndex()
	rs := m.epRng[m.epOff[ep]:m.epOff[ep+1]]
	out := make([]int, len(rs))
	for k, r := range rs {
		out[k] = int(r)
	}
	return out
}

// buildIndex inverts the map: for each endpoint, the ranges it replicates.
func (m *ReplicaMap) buildIndex() {
	m.idxOnce.Do(func() {
		ne := len(m.t.eps)
		cnt := make([]int32, ne+1)
		for _, e := range m.reps {
			cnt[e+1]++
		}
		for e := 0; e < ne; e++ {
			cnt[e+1] += cnt[e]
		}
		m.epOff = append([]int32(nil), cnt...)
		m.epRng = make([]int32, len(m.reps))
		pos := cnt[:ne]
		for i := 0; i+1 < len(m.off); i++ {
			for _, e := range m.reps[m.off[i]:m.off[i+1]] {
				m.epRng[pos[e]] = int32(i)
				pos[e]++
			}
		}
	})
}
