package ring

import (
	"fmt"
	"strings"
)

// ConsistencyLevel is a CQL consistency level; its value is the native
// protocol code (db/ConsistencyLevel.java).
type ConsistencyLevel uint16

// Consistency levels, with their native protocol codes.
const (
	Any         ConsistencyLevel = 0
	One         ConsistencyLevel = 1
	Two         ConsistencyLevel = 2
	Three       ConsistencyLevel = 3
	Quorum      ConsistencyLevel = 4
	All         ConsistencyLevel = 5
	LocalQuorum ConsistencyLevel = 6
	EachQuorum  ConsistencyLevel = 7
	Serial      ConsistencyLevel = 8
	LocalSerial ConsistencyLevel = 9
	LocalOne    ConsistencyLevel = 10
	NodeLocal   ConsistencyLevel = 11
)

var clNames = [...]string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE", "NODE_LOCAL"}

// String returns the name as Cassandra spells it, e.g. "LOCAL_QUORUM".
func (cl ConsistencyLevel) String() string {
	if int(cl) < len(clNames) {
		return clNames[cl]
	}
	return fmt.Sprintf("ConsistencyLevel(%d)", uint16(cl))
}

// ParseConsistencyLevel parses a name case-insensitively, as
// ConsistencyLevel.fromString does.
func ParseConsistencyLevel(s string) (ConsistencyLevel, error) {
	u := strings.ToUpper(s)
	for i, n := range clNames {
		if n == u {
			return ConsistencyLevel(i), nil
		}
	}
	return 0, fmt.Errorf("ring: unknown consistency level %q", s)
}

// ConsistencyLevels returns the levels that availability is evaluated for,
// in a stable order: ANY, ONE, TWO, THREE, QUORUM, LOCAL_ONE, LOCAL_QUORUM,
// EACH_QUORUM, ALL, SERIAL, LOCAL_SERIAL. (NODE_LOCAL is not a level a
// client can use for availability: it was never supported for requests.)
func ConsistencyLevels() []ConsistencyLevel {
	return []ConsistencyLevel{Any, One, Two, Three, Quorum, LocalOne, LocalQuorum, EachQuorum, All, Serial, LocalSerial}
}

// IsDatacenterLocal mirrors ConsistencyLevel.isDatacenterLocal: LOCAL_ONE,
// LOCAL_QUORUM and NODE_LOCAL (LOCAL_SERIAL is local only to Paxos).
func (cl ConsistencyLevel) IsDatacenterLocal() bool {
	return cl == LocalOne || cl == LocalQuorum || cl == NodeLocal
}

// IsSerial reports SERIAL and LOCAL_SERIAL.
func (cl ConsistencyLevel) IsSerial() bool { return cl == Serial || cl == LocalSerial }

// QuorumFor is ConsistencyLevel.quorumFor: a majority of the total
// configured replication factor (not capped by the number of nodes).
func QuorumFor(r Replication) int { return r.TotalRF().All/2 + 1 }

// LocalQuorumFor is ConsistencyLevel.localQuorumFor: a majority of dc's
// replication factor for NetworkTopologyStrategy (1 for a DC it does not
// replicate to), QuorumFor for other strategies.
func LocalQuorumFor(r Replication, dc string) int {
	if r.isDCAware() {
		return r.DCs[dc].All/2 + 1
	}
	return QuorumFor(r)
}

// EachQuorumFor is ConsistencyLevel.eachQuorumForRead: LocalQuorumFor of
// every DC named by a NetworkTopologyStrategy (including DCs with RF 0 or
// without nodes, which therefore can never satisfy EACH_QUORUM); for other
// strategies, QuorumFor in the coordinator's DC.
func EachQuorumFor(r Replication, localDC string) map[string]int {
	if r.isDCAware() {
		out := make(map[string]int, len(r.DCs))
		for dc := range r.DCs {
			out[dc] = LocalQuorumFor(r, dc)
		}
		return out
	}
	return map[string]int{localDC: QuorumFor(r)}
}

// BlockFor is ConsistencyLevel.blockFor: the number of replica responses a
// coordinator in localDC waits for (ignoring pending replicas). EACH_QUORUM
// is the sum over DCs (see EachQuorumFor for the per-DC figures); SERIAL and
// LOCAL_SERIAL are QUORUM and LOCAL_QUORUM as blockFor reports them,
// although Paxos itself counts a majority of the natural replicas (see
// Topology.Check). ANY is 1 (a hint counts). An EverywhereStrategy
// replication must first be resolved with Topology.Effective.
func (cl ConsistencyLevel) BlockFor(r Replication, localDC string) (int, error) {
	if r.Strategy == EverywhereStrategy && r.DCs == nil {
		return 0, fmt.Errorf("ring: %s depends on the topology: resolve it with Topology.Effective first", r.Strategy)
	}
	switch cl {
	case One, LocalOne, Any:
		return 1, nil
	case Two:
		return 2, nil
	case Three:
		return 3, nil
	case Quorum, Serial:
		return QuorumFor(r), nil
	case All:
		return r.TotalRF().All, nil
	case LocalQuorum, LocalSerial:
		return LocalQuorumFor(r, localDC), nil
	case EachQuorum:
		if r.isDCAware() {
			n := 0
			for dc := range r.DCs {
				n += LocalQuorumFor(r, dc)
			}
			return n, nil
		}
		return QuorumFor(r), nil
	}
	return 0, fmt.Errorf("ring: invalid consistency level: %s", cl)
}

// Outcome is whether one token range can be served at a consistency level,
// with the figures Cassandra would put in an Unavailable error.
type Outcome struct {
	OK bool
	// Replicas is the number of natural replicas counted for the level
	// (those of DC for DC-local levels and for EACH_QUORUM).
	Replicas int
	// Alive is how many of them are up; Required how many must be.
	Alive, Required int
	// DC is set when the level is judged in one DC: the coordinator's for
	// LOCAL_*, the first failing DC (by name) for EACH_QUORUM.
	DC string
}

// Check decides, as Cassandra's coordinator would (ReplicaPlans.
// assureSufficientLiveReplicas for reads and writes, ReplicaPlans.forPaxos
// for SERIAL/LOCAL_SERIAL), whether the range whose natural replicas are
// reps (with full[i] false for a transient replica; nil means all full) can
// be served at cl by a coordinator in coordinatorDC when the endpoints for
// which down returns true are unavailable. Pending (joining) replicas are
// not modelled. Reads need at least one live full replica, which is the
// stricter of the read and write rules; ANY is always available (the
// coordinator stores a hint).
func (t *Topology) Check(r Replication, cl ConsistencyLevel, coordinatorDC string, reps []int, full []bool, down func(ep int) bool) (Outcome, error) {
	if cl == NodeLocal || int(cl) >= len(clNames) {
		return Outcome{}, fmt.Errorf("ring: invalid consistency level: %s", cl)
	}
	if r.Strategy == LocalStrategy {
		return Outcome{OK: true, Replicas: 1, Alive: 1, Required: 1}, nil
	}
	req := t.newRequirements(t.Effective(r), coordinatorDC)
	var c counts
	c.reset(len(t.dcNames))
	for i, e := range reps {
		f := full == nil || full[i]
		c.add(int(t.epDC[e]), !down(e), f)
	}
	return req.outcome(cl, &c), nil
}

// requirements holds what a replication demands at each level, for one
// coordinator DC.
type requirements struct {
	r           Replication
	dcAware     bool
	total       int // TotalRF().All
	quorum      int
	coord       int // topology DC index of the coordinator, -1 if unknown
	coordName   string
	localQuorum int
	each        []eachReq // DC-aware EACH_QUORUM, by DC name
}

type eachReq struct {
	name string
	dc   int // topology DC index, -1 when the DC has no nodes
	need int
}

func (t *Topology) newRequirements(r Replication, coordinatorDC string) *requirements {
	q := &requirements{
		r:           r,
		dcAware:     r.isDCAware(),
		total:       r.TotalRF().All,
		quorum:      QuorumFor(r),
		coord:       -1,
		coordName:   coordinatorDC,
		localQuorum: LocalQuorumFor(r, coordinatorDC),
	}
	if d, ok := t.dcIndex[coordinatorDC]; ok {
		q.coord = d
	}
	if q.dcAware {
		for _, dc := range r.Datacenters() {
			d, ok := t.dcIndex[dc]
			if !ok {
				d = -1
			}
			q.each = append(q.each, eachReq{name: dc, dc: d, need: LocalQuorumFor(r, dc)})
		}
	}
	return q
}

// counts tallies the replicas of one range: in total and per topology DC,
// natural, live and live-full.
type counts struct {
	n, live, liveFull       int
	dcN, dcLive, dcLiveFull []int
}

func (c *counts) reset(ndc int) {
	c.n, c.live, c.liveFull = 0, 0, 0
	if cap(c.dcN) < ndc {
		c.dcN, c.dcLive, c.dcLiveFull = make([]int, ndc), make([]int, ndc), make([]int, ndc)
	}
	c.dcN, c.dcLive, c.dcLiveFull = c.dcN[:ndc], c.dcLive[:ndc], c.dcLiveFull[:ndc]
	clear(c.dcN)
	clear(c.dcLive)
	clear(c.dcLiveFull)
}

func (c *counts) add(dc int, up, full bool) {
	c.n++
	c.dcN[dc]++
	if up {
		c.live++
		c.dcLive[dc]++
		if full {
			c.liveFull++
			c.dcLiveFull[dc]++
		}
	}
}

func (c *counts) inDC(dc int) (n, live, liveFull int) {
	if dc < 0 {
		return 0, 0, 0
	}
	return c.dcN[dc], c.dcLive[dc], c.dcLiveFull[dc]
}

// outcome applies Cassandra's rule for cl to the tallies of one range.
func (q *requirements) outcome(cl ConsistencyLevel, c *counts) Outcome {
	global := func(need int) Outcome {
		// ReplicaPlans.assureSufficientLiveReplicas, default branch.
		return Outcome{OK: c.live >= need && c.liveFull >= 1, Replicas: c.n, Alive: c.live, Required: need}
	}
	local := func(need int) Outcome {
		// LOCAL_ONE / LOCAL_QUORUM: countInOurDc(allLive).hasAtleast(need, 1).
		n, live, lf := c.inDC(q.coord)
		return Outcome{OK: live >= need && lf >= 1, Replicas: n, Alive: live, Required: need, DC: q.coordName}
	}
	switch cl {
	case Any:
		// "local hint is acceptable, and local node is always live"
		return Outcome{OK: true, Replicas: c.n, Alive: c.live, Required: 1}
	case One:
		return global(1)
	case Two:
		return global(2)
	case Three:
		return global(3)
	case Quorum:
		return global(q.quorum)
	case All:
		return global(q.total)
	case LocalOne:
		return local(1)
	case LocalQuorum:
		return local(q.localQuorum)
	case EachQuorum:
		if !q.dcAware {
			return global(q.quorum) // "Fallthough on purpose for SimpleStrategy"
		}
		for _, e := range q.each {
			n, live, _ := c.inDC(e.dc)
			if live < e.need {
				return Outcome{Replicas: n, Alive: live, Required: e.need, DC: e.name}
			}
		}
		return Outcome{OK: c.liveFull >= 1, Replicas: c.n, Alive: c.live, Required: q.eachTotal()}
	case Serial:
		// ReplicaPlans.forPaxos: a majority of the natural replicas.
		need := c.n/2 + 1
		return Outcome{OK: c.live >= need, Replicas: c.n, Alive: c.live, Required: need}
	case LocalSerial:
		n, live, _ := c.inDC(q.coord)
		need := n/2 + 1
		return Outcome{OK: live >= need, Replicas: n, Alive: live, Required: need, DC: q.coordName}
	}
	return Outcome{}
}

func (q *requirements) eachTotal() int {
	n := 0
	for _, e := range q.each {
		n += e.need
	}
	return n
}

// failMask is outcome for every level at once: bit cl is set when the
// range cannot be served at cl. It must agree with outcome (the property
// tests compare both with a reference).
func (q *requirements) failMask(c *counts) uint16 {
	var m uint16
	set := func(cl ConsistencyLevel, ok bool) {
		if !ok {
			m |= 1 << cl
		}
	}
	full := c.liveFull >= 1
	set(One, c.live >= 1 && full)
	set(Two, c.live >= 2 && full)
	set(Three, c.live >= 3 && full)
	set(Quorum, c.live >= q.quorum && full)
	set(All, c.live >= q.total && full)
	set(Serial, c.live >= c.n/2+1)
	n, live, liveFull := c.inDC(q.coord)
	set(LocalOne, live >= 1 && liveFull >= 1)
	set(LocalQuorum, live >= q.localQuorum && liveFull >= 1)
	set(LocalSerial, live >= n/2+1)
	if !q.dcAware {
		set(EachQuorum, c.live >= q.quorum && full)
	} else {
		ok := full
		for _, e := range q.each {
			_, l, _ := c.inDC(e.dc)
			ok = ok && l >= e.need
		}
		set(EachQuorum, ok)
	}
	return m
}
