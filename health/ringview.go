package health

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// ringView is the token ring as the node sees it: itself and its peers
// (system.local, system.peers_v2), the replicated keyspaces, and the
// endpoints gossip reports unreachable.
type ringView struct {
	topo      *ring.Topology
	keyspaces []ring.Keyspace // sorted by name; LocalStrategy left out
	repl      map[string]ring.Replication
	down      []int
	notes     []string          // what was left out of the ring, and why
	settings  map[string]string // system_views.settings: how Cassandra uses its system keyspaces
}

// newRingView builds the ring from s. An error means there is no ring to
// judge availability on (no endpoint with tokens, or inconsistent tokens).
func newRingView(s *node.Snapshot) (*ringView, error) {
	v := &ringView{repl: map[string]ring.Replication{}, settings: s.Settings}
	var eps []ring.Endpoint
	seen := map[string]bool{}
	add := func(name, dc, rack string, tokens []string, what string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		if len(tokens) == 0 {
			// A joining or non-member node owns no range.
			return
		}
		if dc == "" || rack == "" {
			v.notes = append(v.notes, fmt.Sprintf("ring: %s %s has no data center or rack; left out of the ring", what, name))
			return
		}
		e := ring.Endpoint{Name: name, DC: dc, Rack: rack}
		for _, t := range tokens {
			tk, err := ring.ParseToken(t)
			if err != nil {
				v.notes = append(v.notes, fmt.Sprintf("ring: %s %s: %v", what, name, err))
				return
			}
			e.Tokens = append(e.Tokens, tk)
		}
		eps = append(eps, e)
	}
	add(s.Endpoint, s.DC, s.Rack, s.Tokens, "this node")
	for _, p := range s.Peers {
		add(p.Endpoint, p.DC, p.Rack, p.Tokens, "peer")
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("ring: no endpoint with tokens is known (system.local and system.peers_v2 unread?)")
	}
	t, err := ring.NewTopology(eps)
	if err != nil {
		return nil, err
	}
	v.topo = t
	for _, k := range s.Keyspaces {
		r, err := ring.ParseReplication(k.Replication)
		if err != nil {
			v.notes = append(v.notes, fmt.Sprintf("keyspace %s: %v", k.Name, err))
			continue
		}
		if r.Strategy == ring.LocalStrategy {
			continue // system, system_schema: every node serves them itself
		}
		if _, dup := v.repl[k.Name]; dup {
			continue
		}
		v.repl[k.Name] = r
		v.keyspaces = append(v.keyspaces, ring.Keyspace{Name: k.Name, Replication: r})
	}
	sort.Slice(v.keyspaces, func(i, j int) bool { return v.keyspaces[i].Name < v.keyspaces[j].Name })
	for _, name := range s.UnreachableEndpoints {
		if i, ok := v.index(name); ok {
			v.down = append(v.down, i)
		}
	}
	return v, nil
}

// index finds an endpoint by address:port, or by address alone when one
// side omits the port.
func (v *ringView) index(name string) (int, bool) {
	if i, ok := v.topo.Index(name); ok {
		return i, true
	}
	host := hostOf(name)
	found := -1
	for i, e := range v.topo.Endpoints() {
		if hostOf(e.Name) == host {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}

func hostOf(ep string) string {
	if h, _, err := net.SplitHostPort(ep); err == nil {
		return h
	}
	return ep
}

// Level statuses in reports.
const (
	statusAvailable     = "available"
	statusUnavailable   = "unavailable"
	statusByDesign      = "unavailable_by_design"
	statusNotReplicated = "not_replicated_in_dc"
	// A system keyspace unservable at a configured level that Cassandra
	// does not use it at (systemUses): not counted.
	statusUnused = "unused_by_cassandra"
)

// levelResult is one keyspace at one level from one coordinator DC.
type levelResult struct {
	status string
	// lost are the ranges that cannot be served now but could be with every
	// node up: what the down nodes cost. byDesign cannot be served even
	// with every node up (replication that puts too few replicas in reach,
	// e.g. SimpleStrategy with LOCAL_ONE across DCs).
	lost, byDesign, ranges int
	example                *ring.UnavailableRange // first lost range, with Cassandra's Unavailable figures
}

// evaluate judges every keyspace at every level for a coordinator in dc.
// A keyspace is under-replicated at a level when down nodes make some of
// its ranges unservable there; ranges that fail with every node up are
// a property of the replication, reported apart ("by design") because no
// restart or repair will fix them.
func (v *ringView) evaluate(dc string, levels []ring.ConsistencyLevel) (map[string]map[ring.ConsistencyLevel]levelResult, error) {
	base, err := v.topo.NewAvailability(v.keyspaces, dc, nil)
	if err != nil {
		return nil, err
	}
	cur := base.Clone()
	for _, d := range v.down {
		if _, err := cur.SetDown(d, true); err != nil {
			return nil, err
		}
	}
	out := make(map[string]map[ring.ConsistencyLevel]levelResult, len(v.keyspaces))
	for _, k := range v.keyspaces {
		m := make(map[ring.ConsistencyLevel]levelResult, len(levels))
		for _, cl := range levels {
			res := levelResult{ranges: v.topo.NumRanges()}
			if localLevel(cl) && k.Replication.Strategy == ring.NetworkTopologyStrategy && k.Replication.RFIn(dc).All == 0 {
				// A keyspace not replicated in this DC is not meant to be
				// read at a DC-local level from here.
				res.status = statusNotReplicated
				m[cl] = res
				continue
			}
			nb, err := base.UnavailableCount(k.Name, cl)
			if err != nil {
				return nil, err
			}
			nc, err := cur.UnavailableCount(k.Name, cl)
			if err != nil {
				return nil, err
			}
			res.byDesign, res.lost = nb, nc-nb
			switch {
			case res.lost > 0:
				res.status = statusUnavailable
				res.example = firstLost(base, cur, k.Name, cl)
			case nb > 0:
				res.status = statusByDesign
			default:
				res.status = statusAvailable
			}
			m[cl] = res
		}
		if isSystemKeyspace(k.Name) {
			fails, err := v.systemUseFails(k, dc, base, cur)
			if err != nil {
				return nil, err
			}
			if !fails {
				for cl, res := range m {
					if res.status == statusUnavailable || res.status == statusByDesign {
						res.status, res.example = statusUnused, nil
						m[cl] = res
					}
				}
			}
		}
		out[k.Name] = m
	}
	return out, nil
}

// systemUseFails says whether some level Cassandra uses system keyspace k
// at fails from dc, now (cur) or even with every node up (base). Only then
// do its unservable ranges at the configured levels count: nothing that
// reads it would notice otherwise.
func (v *ringView) systemUseFails(k ring.Keyspace, dc string, base, cur *ring.Availability) (bool, error) {
	for _, j := range v.judgedLevels(k.Name, nil) {
		if localLevel(j.cl) && k.Replication.Strategy == ring.NetworkTopologyStrategy && k.Replication.RFIn(dc).All == 0 {
			continue
		}
		for _, a := range []*ring.Availability{base, cur} {
			if j.token != nil {
				o, err := a.CheckToken(k.Name, j.cl, *j.token)
				if err != nil || !o.OK {
					return true, err
				}
				continue
			}
			n, err := a.UnavailableCount(k.Name, j.cl)
			if err != nil || n > 0 {
				return true, err
			}
		}
	}
	return false, nil
}

func localLevel(cl ring.ConsistencyLevel) bool {
	return cl.IsDatacenterLocal() || cl == ring.LocalSerial
}

// firstLost is the first unservable range (in ring order) that would be
// servable with every node up.
func firstLost(base, cur *ring.Availability, ks string, cl ring.ConsistencyLevel) *ring.UnavailableRange {
	urs, err := cur.Unavailable(ks, cl)
	if err != nil {
		return nil
	}
	for i := range urs {
		o, err := base.CheckToken(ks, cl, urs[i].Range.End)
		if err == nil && o.OK {
			return &urs[i]
		}
	}
	return nil
}

// rangeDetail is the JSON form of an unservable range: what Cassandra's
// Unavailable error would say for a key in it.
func rangeDetail(u *ring.UnavailableRange) map[string]any {
	d := map[string]any{
		"range":    u.Range.String(),
		"replicas": u.Replicas,
		"alive":    u.Alive,
		"required": u.Required,
	}
	if u.DC != "" {
		d["dc"] = u.DC
	}
	if u.Range.IsFullRing() {
		d["whole_ring"] = true
	}
	return d
}

// rangeText names a range for a human: "the whole ring" for (t,t].
func rangeText(u *ring.UnavailableRange) string {
	if u.Range.IsFullRing() {
		return "the whole ring"
	}
	return u.Range.String()
}

// sortEndpoints orders address:port strings by address, then port, so
// 127.0.0.10 follows 127.0.0.9; anything unparsable sorts last, by text.
func sortEndpoints(eps []string) []string {
	out := make([]string, 0, len(eps))
	seen := map[string]bool{}
	for _, e := range eps {
		if e != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	key := func(s string) (netip.AddrPort, bool) {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap, true
		}
		if a, err := netip.ParseAddr(s); err == nil {
			return netip.AddrPortFrom(a, 0), true
		}
		return netip.AddrPort{}, false
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, oka := key(out[i])
		b, okb := key(out[j])
		switch {
		case oka && okb:
			return a.Compare(b) < 0
		case oka != okb:
			return oka
		}
		return strings.Compare(out[i], out[j]) < 0
	})
	return out
}
