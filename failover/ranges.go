package failover

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/ringside/ringside/ring"
)

// noRack stands in for a host whose rack the driver did not report: the
// ring needs one, and NetworkTopologyStrategy then sees a single rack.
const noRack = "(no rack)"

// rangeInput is what a range model is built from: a snapshot of the
// machine's hosts and watched keyspaces.
type rangeInput struct {
	version   uint64
	cl        ring.ConsistencyLevel
	hosts     []hostInfo
	down      []string
	keyspaces []ring.Keyspace
	dcs       []string // every DC to judge, as a coordinator DC
}

// rangeModel is the ring as the driver sees it, with one incremental
// availability per DC: for a DC-local level, only that DC's replicas count.
type rangeModel struct {
	version   uint64
	topo      *ring.Topology
	index     map[string]int // host ID -> endpoint
	avail     map[string]*ring.Availability
	keyspaces []string
	notes     []string // hosts left out, and why
}

// buildRangeModel computes replica placement and availability for every
// DC. It is pure and can be slow for big rings (it is what a topology or
// schema change costs), so the policy runs it without its lock.
func buildRangeModel(in rangeInput) (*rangeModel, error) {
	if len(in.hosts) == 0 {
		return nil, errors.New("no host with tokens known")
	}
	hosts := slices.Clone(in.hosts)
	slices.SortFunc(hosts, func(a, b hostInfo) int { return cmp.Compare(a.ID, b.ID) })
	down := map[string]bool{}
	for _, id := range in.down {
		down[id] = true
	}
	model := &rangeModel{version: in.version, index: map[string]int{}, avail: map[string]*ring.Availability{}}
	eps := endpoints(hosts)
	topo, err := ring.NewTopology(eps)
	if err != nil {
		// Two hosts claim a token while a node is replaced or moved: keep
		// one owner per token, preferring hosts that are up.
		var kept []hostInfo
		kept, model.notes = dedupeTokens(hosts, down)
		hosts = kept
		eps = endpoints(hosts)
		if topo, err = ring.NewTopology(eps); err != nil {
			return nil, fmt.Errorf("the driver's host tokens do not form a ring: %w", err)
		}
	}
	model.topo = topo
	var downIdx []int
	for i, h := range hosts {
		model.index[h.ID] = i
		if down[h.ID] {
			downIdx = append(downIdx, i)
		}
	}
	for _, k := range in.keyspaces {
		model.keyspaces = append(model.keyspaces, k.Name)
	}
	for _, dc := range in.dcs {
		a, err := topo.NewAvailability(in.keyspaces, dc, downIdx)
		if err != nil {
			return nil, err
		}
		model.avail[dc] = a
	}
	return model, nil
}

func endpoints(hosts []hostInfo) []ring.Endpoint {
	eps := make([]ring.Endpoint, len(hosts))
	for i, h := range hosts {
		rack := h.Rack
		if rack == "" {
			rack = noRack
		}
		eps[i] = ring.Endpoint{Name: h.ID, DC: h.DC, Rack: rack, Tokens: h.Tokens}
	}
	return eps
}

// dedupeTokens keeps one owner per token: hosts that are up first, then
// by ID; a host with a token already taken is left out whole.
func dedupeTokens(hosts []hostInfo, down map[string]bool) ([]hostInfo, []string) {
	order := make([]int, len(hosts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return !down[hosts[order[a]].ID] && down[hosts[order[b]].ID] })
	taken := map[ring.Token]string{}
	var kept []hostInfo
	var notes []string
	for _, i := range order {
		h := hosts[i]
		clash := ""
		for _, t := range h.Tokens {
			if o, ok := taken[t]; ok {
				clash = fmt.Sprintf("host %s (%s) left out of the ring: token %s is also owned by %s", h.ID, h.DC, t, o)
				break
			}
		}
		if clash != "" {
			notes = append(notes, clash)
			continue
		}
		for _, t := range h.Tokens {
			taken[t] = h.ID
		}
		kept = append(kept, h)
	}
	slices.SortFunc(kept, func(a, b hostInfo) int { return cmp.Compare(a.ID, b.ID) })
	sort.Strings(notes)
	return kept, notes
}

// setDown marks a host down or up in every DC's availability; hosts the
// model does not know (added since it was built) are ignored.
func (r *rangeModel) setDown(id string, down bool) {
	i, ok := r.index[id]
	if !ok {
		return
	}
	for _, a := range r.avail {
		a.SetDown(i, down)
	}
}
