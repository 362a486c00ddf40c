package health

import (
	"fmt"
	"sort"
	"time"

	"github.com/ringside/ringside/node"
)

// PeerStatus is what one peer sidecar answered to GET /v1/health/coordinator.
type PeerStatus struct {
	// Endpoint is the peer's address:storage_port (system.peers_v2 peer:peer_port).
	Endpoint, DC, Rack string
	// Sidecar is the base URL that was asked.
	Sidecar string
	// Reachable: an HTTP answer with a JSON body arrived in time.
	Reachable bool
	// Error says why the peer is unreachable or unhealthy.
	Error string
	// Healthy: the answer was 200.
	Healthy bool
	// Report is the peer's coordinator report.
	Report map[string]any
}

// Overall cluster statuses, in the manner of Elasticsearch's cluster health.
const (
	Green  = "green"
	Yellow = "yellow"
	Red    = "red"
)

// Sidecar states in the cluster report's nodes.
const (
	sidecarOK        = "ok"
	sidecarUnhealthy = "unhealthy"
	sidecarUnreach   = "unreachable"
)

// Cluster is GET /v1/health/cluster, the CEP's stretch goal: this node's
// gossip view and ring, every peer sidecar's coordinator answer, and the
// availability of every keyspace at every configured level with each DC
// as the coordinator DC, combined into one status:
//
//   - red: some keyspace has token ranges that cannot be served at some
//     configured level from some DC because nodes are down (or the ring
//     could not be evaluated);
//   - yellow: every keyspace is still served, but a node is down, a sidecar
//     did not answer or answered unhealthy, nodes disagree about who is
//     down (a partition), this node's data is stale, or some keyspace cannot
//     be served at a level even with every node up (by design);
//   - green: none of that.
//
// Fields: status, reasons (why not green), datacenters (per DC: nodes, up,
// down, sidecars_unreachable, sidecars_unhealthy, and keyspaces → level →
// {status, unavailable_ranges, ranges}), nodes (endpoint, dc, rack, up as
// this node's gossip sees it, seen_down_by, sidecar "ok" / "unhealthy" /
// "unreachable: <error>", and the peer report's age), unreachable_sidecars,
// unhealthy_sidecars, observed_from, as_of and data_age_seconds (of this
// node's snapshot; peers' ages are per node). A node without an answer is
// listed as unreachable, never dropped. healthy is status != red.
func Cluster(s *node.Snapshot, peers []PeerStatus, cfg Config, now time.Time) (map[string]any, bool) {
	rep := map[string]any{}
	var red, yellow, errs []string
	levels, err := cfg.levels()
	if err != nil {
		errs = append(errs, err.Error())
	}
	if fresh, why := addAge(rep, s.Taken, now, cfg.maxAge()); !fresh {
		yellow = append(yellow, "this node's view: "+why)
	}
	if s.Endpoint != "" {
		rep["observed_from"] = s.Endpoint
	}
	errs = append(errs, s.Errors...)

	// Nodes: this one, its peers, and any sidecar asked about that the
	// peers table does not list.
	type nodeInfo struct {
		endpoint, dc, rack, hostID string
		self                       bool
		status                     *PeerStatus
	}
	var nodes []*nodeInfo
	byName := map[string]*nodeInfo{}
	addNode := func(n *nodeInfo) *nodeInfo {
		if old := lookupNode(byName, n.endpoint); old != nil {
			return old
		}
		nodes = append(nodes, n)
		byName[n.endpoint] = n
		return n
	}
	addNode(&nodeInfo{endpoint: s.Endpoint, dc: s.DC, rack: s.Rack, hostID: s.HostID, self: true})
	for _, p := range s.Peers {
		addNode(&nodeInfo{endpoint: p.Endpoint, dc: p.DC, rack: p.Rack, hostID: p.HostID})
	}
	for i := range peers {
		p := &peers[i]
		n := addNode(&nodeInfo{endpoint: p.Endpoint, dc: p.DC, rack: p.Rack})
		if !n.self {
			n.status = p
		}
	}

	live, unreachable := nameSet(s.LiveEndpoints), nameSet(s.UnreachableEndpoints)
	// Who sees whom down: this node's gossip, and every peer's dead_peers.
	seenDownBy := map[string][]string{}
	for _, e := range s.UnreachableEndpoints {
		if n := lookupNode(byName, e); n != nil {
			seenDownBy[n.endpoint] = append(seenDownBy[n.endpoint], s.Endpoint)
		}
	}
	for _, n := range nodes {
		if n.status == nil || !n.status.Reachable {
			continue
		}
		for _, e := range stringList(n.status.Report["dead_peers"]) {
			if d := lookupNode(byName, e); d != nil {
				seenDownBy[d.endpoint] = append(seenDownBy[d.endpoint], n.endpoint)
			}
		}
	}

	selfReport, selfOK := Coordinator(s, cfg, now)
	type dcCount struct{ nodes, up, down, unreachable, unhealthy int }
	dcs := map[string]*dcCount{}
	nodeList := []map[string]any{}
	unreachableSidecars, unhealthySidecars := []string{}, []string{}
	for _, n := range sortNodes(nodes, func(n *nodeInfo) (string, string) { return n.dc, n.endpoint }) {
		up := live.has(n.endpoint) && !unreachable.has(n.endpoint)
		entry := map[string]any{"endpoint": n.endpoint, "dc": n.dc, "rack": n.rack, "up": up}
		if n.hostID != "" {
			entry["host_id"] = n.hostID
		}
		c := dcs[n.dc]
		if c == nil {
			c = &dcCount{}
			dcs[n.dc] = c
		}
		c.nodes++
		if up {
			c.up++
		} else {
			c.down++
			if unreachable.has(n.endpoint) {
				yellow = append(yellow, fmt.Sprintf("%s (%s) is down", n.endpoint, n.dc))
			} else {
				yellow = append(yellow, fmt.Sprintf("%s (%s) is not in this node's gossip view", n.endpoint, n.dc))
			}
		}
		if by := sortEndpoints(seenDownBy[n.endpoint]); len(by) > 0 {
			entry["seen_down_by"] = by
			if up {
				yellow = append(yellow, fmt.Sprintf("%s is up for %s but down for %v (partition?)", n.endpoint, s.Endpoint, by))
			}
		}
		var state string
		var why []string
		switch {
		case n.self:
			state = sidecarOK
			if !selfOK {
				state, why = sidecarUnhealthy, stringList(selfReport["reasons"])
			}
			entry["as_of"], entry["data_age_seconds"] = rep["as_of"], rep["data_age_seconds"]
		case n.status == nil:
			state = sidecarUnreach + ": not asked (no sidecar status for this node)"
		case !n.status.Reachable:
			msg := n.status.Error
			if msg == "" {
				msg = "no answer"
			}
			state = sidecarUnreach + ": " + msg
		case n.status.Healthy:
			state = sidecarOK
		default:
			state, why = sidecarUnhealthy, stringList(n.status.Report["reasons"])
		}
		if n.status != nil {
			if n.status.Sidecar != "" {
				entry["sidecar_url"] = n.status.Sidecar
			}
			if n.status.Reachable {
				if a, ok := n.status.Report["as_of"]; ok {
					entry["as_of"] = a
				}
				if a, ok := n.status.Report["data_age_seconds"]; ok {
					entry["data_age_seconds"] = a
				}
			}
		}
		entry["sidecar"] = state
		switch state {
		case sidecarOK:
		case sidecarUnhealthy:
			c.unhealthy++
			unhealthySidecars = append(unhealthySidecars, n.endpoint)
			if len(why) > 0 {
				entry["sidecar_reasons"] = why
			}
			yellow = append(yellow, fmt.Sprintf("sidecar of %s reports its node unhealthy as a coordinator", n.endpoint))
		default:
			c.unreachable++
			unreachableSidecars = append(unreachableSidecars, n.endpoint)
			yellow = append(yellow, fmt.Sprintf("sidecar of %s is %s", n.endpoint, state))
		}
		nodeList = append(nodeList, entry)
	}
	rep["nodes"] = nodeList
	rep["unreachable_sidecars"] = sortEndpoints(unreachableSidecars)
	rep["unhealthy_sidecars"] = sortEndpoints(unhealthySidecars)

	// Availability, judged from every DC in turn.
	perDC := map[string]map[string]any{}
	v, err := newRingView(s)
	if err != nil {
		red = append(red, "availability unknown: "+err.Error())
	} else {
		errs = append(errs, v.notes...)
		for _, dc := range v.topo.DCs() {
			res, err := v.evaluate(dc, levels)
			if err != nil {
				red = append(red, fmt.Sprintf("availability from %s unknown: %v", dc, err))
				continue
			}
			kss := map[string]any{}
			for _, ks := range sortedKeys(res) {
				lv := map[string]any{}
				for _, cl := range levels {
					r := res[ks][cl]
					e := map[string]any{"status": r.status}
					if r.status != statusNotReplicated {
						e["unavailable_ranges"] = r.lost + r.byDesign
						e["ranges"] = r.ranges
					}
					switch r.status {
					case statusUnavailable:
						msg := fmt.Sprintf("%s cannot be served at %s from %s: %d of %d token ranges", ks, cl, dc, r.lost, r.ranges)
						if r.example != nil {
							e["first"] = rangeDetail(r.example)
							msg += fmt.Sprintf(" (e.g. %s: %d of %d replicas alive, %d required)", rangeText(r.example), r.example.Alive, r.example.Replicas, r.example.Required)
						}
						red = append(red, msg)
					case statusByDesign:
						yellow = append(yellow, fmt.Sprintf("%s cannot be served at %s from %s even with every node up (%d of %d token ranges; replication %s)", ks, cl, dc, r.byDesign, r.ranges, v.repl[ks]))
					}
					lv[cl.String()] = e
				}
				kss[ks] = lv
			}
			perDC[dc] = map[string]any{"keyspaces": kss}
		}
	}
	dcOut := map[string]any{}
	for dc, c := range dcs {
		m := perDC[dc]
		if m == nil {
			m = map[string]any{"keyspaces": map[string]any{}}
		}
		m["nodes"], m["up"], m["down"] = c.nodes, c.up, c.down
		m["sidecars_unreachable"], m["sidecars_unhealthy"] = c.unreachable, c.unhealthy
		dcOut[dc] = m
	}
	for dc, m := range perDC {
		if _, ok := dcOut[dc]; !ok {
			dcOut[dc] = m
		}
	}
	rep["datacenters"] = dcOut

	status := Green
	switch {
	case len(red) > 0:
		status = Red
	case len(yellow) > 0:
		status = Yellow
	}
	rep["status"] = status
	if reasons := append(red, yellow...); len(reasons) > 0 {
		rep["reasons"] = reasons
	}
	if len(errs) > 0 {
		rep["errors"] = errs
	}
	return rep, status != Red
}

// names is a set of endpoints matched by address:port, or by address when
// one side has no port.
type names struct{ exact, hosts map[string]bool }

func nameSet(eps []string) names {
	n := names{exact: map[string]bool{}, hosts: map[string]bool{}}
	for _, e := range eps {
		n.exact[e] = true
		n.hosts[hostOf(e)] = true
	}
	return n
}

func (n names) has(ep string) bool {
	if n.exact[ep] {
		return true
	}
	if h := hostOf(ep); h != ep {
		return n.exact[h] // the list has the address without a port
	}
	return n.hosts[ep] // ep has no port: any port of that address
}

func lookupNode[T any](m map[string]*T, ep string) *T {
	if n, ok := m[ep]; ok {
		return n
	}
	h := hostOf(ep)
	if h != ep {
		return m[h]
	}
	var found *T
	for k, n := range m {
		if hostOf(k) == h {
			if found != nil {
				return nil // ambiguous: several ports on that address
			}
			found = n
		}
	}
	return found
}

func sortNodes[T any](xs []T, key func(T) (string, string)) []T {
	out := append([]T(nil), xs...)
	eps := map[string]int{}
	var names []string
	for _, x := range out {
		_, ep := key(x)
		names = append(names, ep)
	}
	for i, e := range sortEndpoints(names) {
		eps[e] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		di, ei := key(out[i])
		dj, ej := key(out[j])
		if di != dj {
			return di < dj
		}
		return eps[ei] < eps[ej]
	})
	return out
}

// stringList reads a JSON array of strings (decoded as []any) or a []string.
func stringList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
