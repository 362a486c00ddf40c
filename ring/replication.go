package ring

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Strategy is a replication strategy class.
type Strategy uint8

const (
	// UnknownStrategy is the zero value; ParseReplication never returns it.
	UnknownStrategy Strategy = iota
	// SimpleStrategy places replicas on the next distinct endpoints of the ring.
	SimpleStrategy
	// NetworkTopologyStrategy places replicas per DC, spreading them over racks.
	NetworkTopologyStrategy
	// LocalStrategy keeps data on the node itself (system, system_schema):
	// it has no ring placement.
	LocalStrategy
	// EverywhereStrategy replicates to every endpoint. It is not part of
	// Apache Cassandra but is shipped as org.apache.cassandra.locator.EverywhereStrategy
	// by DSE and by the open-source plugin used for system_auth; both place a
	// replica on every node with a per-DC replication factor equal to the
	// DC's node count, so local consistency levels work per DC.
	EverywhereStrategy
)

const locatorPkg = "org.apache.cassandra.locator."

var strategyNames = [...]string{"", "SimpleStrategy", "NetworkTopologyStrategy", "LocalStrategy", "EverywhereStrategy"}

// String returns the short class name, e.g. "NetworkTopologyStrategy".
func (s Strategy) String() string {
	if int(s) < len(strategyNames) && s != UnknownStrategy {
		return strategyNames[s]
	}
	return "UnknownStrategy"
}

// Class returns the fully qualified class name stored in system_schema.keyspaces.
func (s Strategy) Class() string { return locatorPkg + s.String() }

// ReplicationFactor is Cassandra's ReplicationFactor: All replicas of which
// Transient are transient ("3/1" is All=3, Transient=1).
type ReplicationFactor struct {
	All, Transient int
}

// Full is the number of full (non-transient) replicas.
func (rf ReplicationFactor) Full() int { return rf.All - rf.Transient }

// String is ReplicationFactor.toParseableString: "3" or "3/1".
func (rf ReplicationFactor) String() string {
	if rf.Transient > 0 {
		return strconv.Itoa(rf.All) + "/" + strconv.Itoa(rf.Transient)
	}
	return strconv.Itoa(rf.All)
}

// ParseReplicationFactor parses "<replicas>" or "<replicas>/<transient>"
// with the checks of ReplicationFactor.fromString and validate.
func ParseReplicationFactor(s string) (ReplicationFactor, error) {
	all, tr, hasSlash := strings.Cut(s, "/")
	// Java's split("/") drops trailing empty parts, so "3/" has one part.
	if hasSlash && (tr == "" || strings.Contains(tr, "/")) {
		return ReplicationFactor{}, fmt.Errorf("ring: replication factor %q: format is <replicas> or <replicas>/<transient>", s)
	}
	n, err := strconv.ParseInt(all, 10, 32)
	if err != nil {
		return ReplicationFactor{}, fmt.Errorf("ring: replication factor %q is not a number", s)
	}
	rf := ReplicationFactor{All: int(n)}
	if hasSlash {
		t, err := strconv.ParseInt(tr, 10, 32)
		if err != nil {
			return ReplicationFactor{}, fmt.Errorf("ring: replication factor %q: transient part is not a number", s)
		}
		rf.Transient = int(t)
	}
	switch {
	case rf.All < 0:
		return ReplicationFactor{}, fmt.Errorf("ring: replication factor must be non-negative, found %s", s)
	case rf.Transient < 0:
		return ReplicationFactor{}, fmt.Errorf("ring: amount of transient nodes should be strictly positive, but was: '%d'", rf.Transient)
	case rf.Transient > 0 && rf.Transient >= rf.All:
		return ReplicationFactor{}, fmt.Errorf("ring: transient replicas must be zero, or less than total replication factor. For %d/%d", rf.All, rf.Transient)
	}
	return rf, nil
}

// Replication is a keyspace's replication as system_schema.keyspaces stores it.
type Replication struct {
	Strategy Strategy
	// RF is SimpleStrategy's replication_factor.
	RF ReplicationFactor
	// DCs is NetworkTopologyStrategy's per-DC replication factor, exactly as
	// configured: a DC may have RF 0 or no nodes. For EverywhereStrategy it
	// is nil until Topology.Effective fills in each DC's node count.
	DCs map[string]ReplicationFactor
}

// ParseReplication parses a replication map as system_schema.keyspaces
// stores it, e.g. {"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "3"}.
// Short class names are accepted as CQL DDL accepts them (a name without a
// dot is taken from org.apache.cassandra.locator, as
// AbstractReplicationStrategy.getClass does). An unknown class is an error
// that names it. Options are checked as the strategies' constructors and
// validateOptions do; NetworkTopologyStrategy's "replication_factor" is
// rejected because Cassandra expands it into DCs before storing the map.
func ParseReplication(m map[string]string) (Replication, error) {
	class, ok := m["class"]
	if !ok || class == "" {
		return Replication{}, fmt.Errorf("ring: replication map has no class: %v", m)
	}
	fq := class
	if !strings.Contains(fq, ".") {
		fq = locatorPkg + fq
	}
	var r Replication
	for s := SimpleStrategy; s <= EverywhereStrategy; s++ {
		if s.Class() == fq {
			r.Strategy = s
		}
	}
	if r.Strategy == UnknownStrategy {
		return Replication{}, fmt.Errorf("ring: unknown replication strategy class %q (Cassandra: Unable to find replication strategy class '%s')", class, fq)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "class" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	switch r.Strategy {
	case SimpleStrategy:
		v, ok := m["replication_factor"]
		if !ok {
			return Replication{}, fmt.Errorf("ring: SimpleStrategy requires a replication_factor strategy option")
		}
		for _, k := range keys {
			if k != "replication_factor" {
				return Replication{}, fmt.Errorf("ring: unrecognized strategy option {%s} passed to SimpleStrategy", k)
			}
		}
		rf, err := ParseReplicationFactor(v)
		if err != nil {
			return Replication{}, err
		}
		r.RF = rf
	case NetworkTopologyStrategy:
		r.DCs = make(map[string]ReplicationFactor, len(keys))
		for _, k := range keys {
			if strings.EqualFold(k, "replication_factor") {
				return Replication{}, fmt.Errorf("ring: replication_factor should not appear as an option at construction time for NetworkTopologyStrategy (expand it into DCs first)")
			}
			rf, err := ParseReplicationFactor(m[k])
			if err != nil {
				return Replication{}, fmt.Errorf("%w (data center %s)", err, k)
			}
			r.DCs[k] = rf
		}
	case LocalStrategy, EverywhereStrategy:
		if len(keys) > 0 {
			return Replication{}, fmt.Errorf("ring: %s doesn't accept any options, got %s", r.Strategy, strings.Join(keys, ", "))
		}
	}
	return r, nil
}

// Map returns the replication in system_schema.keyspaces form.
func (r Replication) Map() map[string]string {
	m := map[string]string{"class": r.Strategy.Class()}
	switch r.Strategy {
	case SimpleStrategy:
		m["replication_factor"] = r.RF.String()
	case NetworkTopologyStrategy:
		for dc, rf := range r.DCs {
			m[dc] = rf.String()
		}
	}
	return m
}

// Datacenters returns the DCs named in the replication, sorted.
func (r Replication) Datacenters() []string {
	out := make([]string, 0, len(r.DCs))
	for dc := range r.DCs {
		out = append(out, dc)
	}
	sort.Strings(out)
	return out
}

// TotalRF is getReplicationFactor(): SimpleStrategy's RF, the sum over DCs
// for NetworkTopologyStrategy (and a resolved EverywhereStrategy), 1 for
// LocalStrategy.
func (r Replication) TotalRF() ReplicationFactor {
	switch r.Strategy {
	case SimpleStrategy:
		return r.RF
	case LocalStrategy:
		return ReplicationFactor{All: 1}
	}
	var sum ReplicationFactor
	for _, rf := range r.DCs {
		sum.All += rf.All
		sum.Transient += rf.Transient
	}
	return sum
}

// RFIn is NetworkTopologyStrategy.getReplicationFactor(dc): 0 for a DC not
// in the map. For other strategies it is TotalRF, as ConsistencyLevel's
// localQuorumFor treats them.
func (r Replication) RFIn(dc string) ReplicationFactor {
	if r.isDCAware() {
		return r.DCs[dc]
	}
	return r.TotalRF()
}

// isDCAware reports whether Cassandra treats the strategy as a
// NetworkTopologyStrategy (instanceof checks in ConsistencyLevel, ReplicaPlans).
func (r Replication) isDCAware() bool {
	return r.Strategy == NetworkTopologyStrategy || r.Strategy == EverywhereStrategy
}

// String is a canonical, deterministic form, e.g.
// "NetworkTopologyStrategy{dc1:3, dc2:3/1}" or "SimpleStrategy{replication_factor:3}".
func (r Replication) String() string {
	var b strings.Builder
	b.WriteString(r.Strategy.String())
	b.WriteByte('{')
	switch r.Strategy {
	case SimpleStrategy:
		b.WriteString("replication_factor:" + r.RF.String())
	case NetworkTopologyStrategy, EverywhereStrategy:
		for i, dc := range r.Datacenters() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(dc + ":" + r.DCs[dc].String())
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Effective returns r as it applies to this topology: for
// EverywhereStrategy, the per-DC replication factor is each DC's node
// count; other strategies are returned unchanged.
func (t *Topology) Effective(r Replication) Replication {
	if r.Strategy != EverywhereStrategy {
		return r
	}
	dcs := make(map[string]ReplicationFactor, len(t.dcNames))
	for i, dc := range t.dcNames {
		dcs[dc] = ReplicationFactor{All: t.dcNodes[i]}
	}
	return Replication{Strategy: EverywhereStrategy, DCs: dcs}
}

// Warnings returns the warnings Cassandra gives a client that creates or
// alters keyspace with this replication (maybeWarnOnOptions): a replication
// factor above the number of nodes, in total for SimpleStrategy and per DC
// for NetworkTopologyStrategy. Placement then uses every node, and levels
// that count the configured RF (ALL, QUORUM, LOCAL_QUORUM, EACH_QUORUM)
// may never be reachable.
func (t *Topology) Warnings(keyspace string, r Replication) []string {
	var out []string
	switch r.Strategy {
	case SimpleStrategy:
		if n := len(t.eps); r.RF.Full() > n {
			out = append(out, fmt.Sprintf("Your replication factor %d for keyspace %s is higher than the number of nodes %d", r.RF.Full(), keyspace, n))
		}
	case NetworkTopologyStrategy:
		for _, dc := range r.Datacenters() {
			rf := r.DCs[dc]
			// "nodeCount==0 on many tests": Cassandra stays silent for DCs without nodes.
			if n := t.NodesInDC(dc); rf.Full() > n && n != 0 {
				out = append(out, fmt.Sprintf("Your replication factor %d for keyspace %s is higher than the number of nodes %d for datacenter %s", rf.Full(), keyspace, n, dc))
			}
		}
	}
	return out
}
