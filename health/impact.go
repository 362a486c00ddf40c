package health

import (
	"fmt"
	"sort"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// DownImpact says what taking the given endpoints (address:port) down, on
// top of the nodes down now, would cost: for every keyspace and every
// configured consistency level, judged with a coordinator in each DC, the
// token ranges that would become unservable and are servable now. An
// empty answer means nothing is lost. Endpoints the ring does not know are
// an error: the answer would be a guess.
func DownImpact(s *node.Snapshot, endpoints []string, cfg Config) ([]string, error) {
	levels, err := cfg.levels()
	if err != nil {
		return nil, err
	}
	v, err := newRingView(s)
	if err != nil {
		return nil, err
	}
	var extra []int
	for _, e := range endpoints {
		i, ok := v.index(e)
		if !ok {
			return nil, fmt.Errorf("node %s is not in the ring this sidecar knows", e)
		}
		extra = append(extra, i)
	}
	dcs := map[string]bool{}
	for _, e := range v.topo.Endpoints() {
		dcs[e.DC] = true
	}
	var names []string
	for dc := range dcs {
		names = append(names, dc)
	}
	sort.Strings(names)
	var out []string
	for _, dc := range names {
		now, err := v.topo.NewAvailability(v.keyspaces, dc, v.down)
		if err != nil {
			return nil, err
		}
		after := now.Clone()
		for _, i := range extra {
			if _, err := after.SetDown(i, true); err != nil {
				return nil, err
			}
		}
		for _, k := range v.keyspaces {
			for _, cl := range levels {
				if localLevel(cl) && k.Replication.Strategy == ring.NetworkTopologyStrategy && k.Replication.RFIn(dc).All == 0 {
					continue
				}
				nb, err := now.UnavailableCount(k.Name, cl)
				if err != nil {
					return nil, err
				}
				na, err := after.UnavailableCount(k.Name, cl)
				if err != nil {
					return nil, err
				}
				if na > nb {
					out = append(out, fmt.Sprintf("%s at %s (coordinator in %s): %d more of %d token ranges unavailable", k.Name, cl, dc, na-nb, v.topo.NumRanges()))
				}
			}
		}
	}
	return out, nil
}
