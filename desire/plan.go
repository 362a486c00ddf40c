package desire

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/store"
)

// member is one node of the ring as the snapshot shows it.
type member struct {
	HostID, Endpoint, Address, Native, DC, Rack string
}

func members(s *node.Snapshot) []member {
	out := []member{{HostID: s.HostID, Endpoint: s.Endpoint, Address: hostOf(s.Endpoint), Native: s.NativeAddress, DC: s.DC, Rack: s.Rack}}
	for _, p := range s.Peers {
		if len(p.Tokens) == 0 || p.HostID == "" {
			continue
		}
		out = append(out, member{HostID: p.HostID, Endpoint: p.Endpoint, Address: hostOf(p.Endpoint), Native: p.NativeAddress, DC: p.DC, Rack: p.Rack})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HostID < out[j].HostID })
	return out
}

func hostOf(ep string) string {
	if i := strings.LastIndexByte(ep, ':'); i > 0 && !strings.Contains(ep[:i], ":") {
		return ep[:i]
	}
	return strings.Trim(ep, "[]")
}

// resolveScope picks the in-scope members, refusing names the ring does
// not know.
func resolveScope(ms []member, r *Request) ([]member, Scope, error) {
	sc := Scope{DCs: r.DC, Racks: r.Rack}
	dcs := map[string]bool{}
	racks := map[string]bool{}
	for _, m := range ms {
		dcs[m.DC] = true
		racks[m.Rack] = true
		racks[m.DC+":"+m.Rack] = true
	}
	for _, dc := range r.DC {
		if !dcs[dc] {
			return nil, sc, &FieldError{"dc", fmt.Sprintf("unknown data center %q (the ring has %s)", dc, strings.Join(sortedKeys(dcs), ", "))}
		}
	}
	for _, rk := range r.Rack {
		if !racks[rk] {
			return nil, sc, &FieldError{"rack", fmt.Sprintf("unknown rack %q (give \"rack\" or \"dc:rack\")", rk)}
		}
	}
	want := map[string]bool{}
	for _, n := range r.Nodes {
		found := ""
		for _, m := range ms {
			if strings.EqualFold(n, m.HostID) || n == m.Address || n == m.Endpoint {
				found = m.HostID
			}
		}
		if found == "" {
			return nil, sc, &FieldError{"nodes", fmt.Sprintf("unknown node %q (give a host id or an address of the ring)", n)}
		}
		want[found] = true
		sc.Nodes = append(sc.Nodes, found)
	}
	var out []member
	for _, m := range ms {
		if len(r.DC) > 0 && !slices.Contains(r.DC, m.DC) {
			continue
		}
		if len(r.Rack) > 0 && !slices.Contains(r.Rack, m.Rack) && !slices.Contains(r.Rack, m.DC+":"+m.Rack) {
			continue
		}
		if len(want) > 0 && !want[m.HostID] {
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, sc, &FieldError{"nodes", "the scope (dc, rack, nodes) selects no node"}
	}
	return out, sc, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// extraLevels: the ringside keyspace must keep SERIAL, or the sidecars
// could not record the restart they are doing.
var extraLevels = map[string][]ring.ConsistencyLevel{store.Keyspace: {ring.Serial, ring.Quorum}}

// planner plans waves of host ids on one snapshot.
type planner struct {
	snap   *node.Snapshot
	hcfg   health.Config
	byHost map[string]member
	byEp   map[string]member
}

func newPlanner(s *node.Snapshot, base health.Config, levels []string) *planner {
	p := &planner{snap: s, hcfg: base, byHost: map[string]member{}, byEp: map[string]member{}}
	p.hcfg.ConsistencyLevels = levels
	for _, m := range members(s) {
		p.byHost[m.HostID] = m
		p.byEp[m.Endpoint] = m
	}
	return p
}

// plan splits hosts into waves, with inFlight down throughout; nodes
// that are down now are left out (returned as down).
func (p *planner) plan(hosts, inFlight []string, maxPerWave int) (waves [][]string, lb int, down []string, err error) {
	var eps, also []string
	for _, h := range hosts {
		if m, ok := p.byHost[h]; ok {
			eps = append(eps, m.Endpoint)
		}
	}
	for _, h := range inFlight {
		if m, ok := p.byHost[h]; ok {
			also = append(also, m.Endpoint)
		}
	}
	unreachable := map[string]bool{}
	for _, e := range p.snap.UnreachableEndpoints {
		unreachable[e] = true
	}
	rp, err := health.PlanRestart(p.snap, eps, also, p.hcfg, extraLevels, maxPerWave)
	if err != nil {
		return nil, 0, nil, err
	}
	for _, w := range rp.Waves {
		var ids []string
		for _, e := range w {
			ids = append(ids, p.byEp[e].HostID)
		}
		sort.Strings(ids)
		waves = append(waves, ids)
	}
	for _, h := range hosts {
		if unreachable[p.byHost[h].Endpoint] && !slices.Contains(inFlight, h) {
			down = append(down, h)
		}
	}
	return waves, rp.LowerBound, down, nil
}

// safe reports whether host may go down now, with inFlight down too.
func (p *planner) safe(host string, inFlight []string) error {
	waves, _, down, err := p.plan([]string{host}, inFlight, 0)
	if err != nil {
		return err
	}
	if len(down) > 0 {
		return errors.New("the node is already down")
	}
	if len(waves) != 1 {
		return errors.New("the planner found no safe wave for it")
	}
	return nil
}

// pace picks the least parallelism whose waves still finish by the
// deadline at perWave each (keeping the most capacity), within maxPar
// (0: no cap). It returns the cap (0: none) and the waves.
func (p *planner) pace(hosts []string, maxPar int, deadline time.Duration, perWave time.Duration) (int, [][]string, int, error) {
	waves, lb, _, err := p.plan(hosts, nil, maxPar)
	if err != nil {
		return 0, nil, 0, err
	}
	widest := 0
	for _, w := range waves {
		widest = max(widest, len(w))
	}
	if perWave <= 0 || widest <= 1 || time.Duration(len(waves))*perWave > deadline {
		return maxPar, waves, lb, nil // as fast as is safe (and asked)
	}
	best, bestWaves := maxPar, waves
	lo, hi := 1, widest-1
	for lo <= hi {
		mid := (lo + hi) / 2
		w, _, _, err := p.plan(hosts, nil, mid)
		if err != nil {
			return 0, nil, 0, err
		}
		if time.Duration(len(w))*perWave <= deadline {
			best, bestWaves, hi = mid, w, mid-1
		} else {
			lo = mid + 1
		}
	}
	return best, bestWaves, lb, nil
}
