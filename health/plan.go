package health

import (
	"fmt"
	"slices"
	"sort"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// RestartPlan is ring.Plan in endpoint names (address:port).
type RestartPlan struct {
	Waves      [][]string
	LowerBound int
	ByRack     bool
}

// PlanRestart plans waves for restarting endpoints on the ring s shows,
// keeping what DownImpact keeps: every user keyspace at every configured
// level, every system keyspace at the levels Cassandra uses it at (a use
// pinned to one partition is judged over the whole ring, which is
// stricter), plus the levels in extra per keyspace (the ringside keyspace
// at SERIAL, so coordination never loses its own quorum). Nodes the ring
// shows unreachable, and alsoDown (nodes being restarted now), stay down
// in every wave.
func PlanRestart(s *node.Snapshot, endpoints, alsoDown []string, cfg Config, extra map[string][]ring.ConsistencyLevel, maxPerWave int) (*RestartPlan, error) {
	levels, err := cfg.levels()
	if err != nil {
		return nil, err
	}
	v, err := newRingView(s)
	if err != nil {
		return nil, err
	}
	req := ring.PlanRequest{KeyspaceCL: map[string]ring.ConsistencyLevel{}, MaxPerWave: maxPerWave, CL: ring.Any}
	// The planner keeps one level per keyspace: a keyspace judged at
	// several levels is given once per level, under a name of its own.
	for _, k := range v.keyspaces {
		var cls []ring.ConsistencyLevel
		for _, j := range v.judgedLevels(k.Name, levels) {
			cls = append(cls, j.cl)
		}
		cls = append(cls, extra[k.Name]...)
		slices.Sort(cls)
		for _, cl := range slices.Compact(cls) {
			if cl == ring.Any {
				continue
			}
			name := k.Name + "@" + cl.String()
			req.Keyspaces = append(req.Keyspaces, ring.Keyspace{Name: name, Replication: k.Replication})
			req.KeyspaceCL[name] = cl
		}
	}
	req.Down = append(req.Down, v.down...)
	for _, e := range alsoDown {
		i, ok := v.index(e)
		if !ok {
			return nil, fmt.Errorf("node %s is not in the ring this sidecar knows", e)
		}
		req.Down = append(req.Down, i)
	}
	for _, e := range endpoints {
		i, ok := v.index(e)
		if !ok {
			return nil, fmt.Errorf("node %s is not in the ring this sidecar knows", e)
		}
		if slices.Contains(req.Down, i) {
			continue // down already: nothing to plan, it counts against the budget
		}
		req.Nodes = append(req.Nodes, i)
	}
	out := &RestartPlan{}
	if len(req.Nodes) == 0 {
		return out, nil
	}
	p, err := v.topo.PlanRestart(req)
	if err != nil {
		return nil, err
	}
	out.LowerBound, out.ByRack = p.LowerBound, p.ByRack
	for _, w := range p.Waves {
		names := make([]string, len(w))
		for i, e := range w {
			names[i] = v.topo.Endpoint(e).Name
		}
		sort.Strings(names)
		out.Waves = append(out.Waves, names)
	}
	return out, nil
}

// Unmeetable lists, for the configured levels, the user keyspaces that
// have token ranges no coordinator DC could serve even with every node up
// (e.g. THREE with RF 2, EACH_QUORUM with a DC of RF 0): a level the
// operator cannot ask a restart to keep.
func Unmeetable(s *node.Snapshot, cfg Config) ([]string, error) {
	levels, err := cfg.levels()
	if err != nil {
		return nil, err
	}
	v, err := newRingView(s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range v.keyspaces {
		if isSystemKeyspace(k.Name) {
			continue
		}
		for _, cl := range levels {
			bad := true
			for _, dc := range v.topo.DCs() {
				if localLevel(cl) && k.Replication.Strategy == ring.NetworkTopologyStrategy && k.Replication.RFIn(dc).All == 0 {
					continue
				}
				a, err := v.topo.NewAvailability([]ring.Keyspace{k}, dc, nil)
				if err != nil {
					return nil, err
				}
				if n, err := a.UnavailableCount(k.Name, cl); err == nil && n == 0 {
					bad = false
					break
				}
			}
			if bad {
				out = append(out, fmt.Sprintf("%s at %s", k.Name, cl))
			}
		}
	}
	return out, nil
}
