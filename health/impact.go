package health

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// Loss is one keyspace at one consistency level that taking nodes down
// would cost: token ranges servable now that would not be.
type Loss struct {
	Keyspace string
	Level    ring.ConsistencyLevel
	// DC is the coordinator DC the loss is judged from; "" for a system
	// keyspace at a level that is the same from every DC.
	DC string
	// Ranges of Of token ranges become unservable.
	Ranges, Of int
	// Use is, for a system keyspace, what Cassandra does at Level.
	Use string
	// Token is set when only the range holding one partition is judged
	// (the default superuser's row).
	Token *ring.Token
}

func (l Loss) String() string {
	where := ""
	if l.DC != "" {
		where = " (coordinator in " + l.DC + ")"
	}
	if l.Use == "" {
		return fmt.Sprintf("%s at %s%s: %d more of %d token ranges unavailable", l.Keyspace, l.Level, where, l.Ranges, l.Of)
	}
	if l.Token != nil {
		return fmt.Sprintf("%s at %s%s, which Cassandra uses for %s: the range holding its row (token %s) unavailable", l.Keyspace, l.Level, where, l.Use, l.Token)
	}
	return fmt.Sprintf("%s at %s%s, which Cassandra uses for %s: %d more of %d token ranges unavailable", l.Keyspace, l.Level, where, l.Use, l.Ranges, l.Of)
}

// Impact is what taking a set of nodes down would cost.
type Impact struct {
	Nodes int
	// Everything: no node of the cluster would be left to coordinate,
	// so nothing could be served, not even at ANY.
	Everything bool
	Losses     []Loss
	// Fixes holds, per system keyspace with losses, what removes the risk.
	Fixes map[string]string
}

// Err is nil when nothing is lost; otherwise the refusal, naming every
// loss and what the operator can do about it.
func (im *Impact) Err() error {
	if !im.Everything && len(im.Losses) == 0 {
		return nil
	}
	var what []string
	user := im.Everything
	if im.Everything {
		what = append(what, "no node of the cluster running (nothing can be served, not even at ANY)")
	}
	for _, l := range im.Losses {
		what = append(what, l.String())
		if !isSystemKeyspace(l.Keyspace) {
			user = true
		}
	}
	msg := fmt.Sprintf("taking %d node(s) down together would leave %s", im.Nodes, strings.Join(what, "; "))
	if user {
		msg += "; select fewer nodes (e.g. one rack) or lower health.consistency_levels"
	}
	for _, ks := range sortedKeys(im.Fixes) {
		msg += "; " + ks + ": " + im.Fixes[ks]
	}
	return errors.New(msg)
}

// DownImpact says what taking the given endpoints (address:port) down, on
// top of the nodes down now, would cost: for every user keyspace and every
// configured consistency level, and for every system keyspace at the
// levels Cassandra itself uses it at (systemUses), judged with a
// coordinator in each DC, the token ranges that would become unservable
// and are servable now. Endpoints the ring does not know are an error: the
// answer would be a guess. The bulk drain check and the stop guard both
// come here (sidecar.CheckDown).
func DownImpact(s *node.Snapshot, endpoints []string, cfg Config) (*Impact, error) {
	levels, err := cfg.levels()
	if err != nil {
		return nil, err
	}
	v, err := newRingView(s)
	if err != nil {
		return nil, err
	}
	im := &Impact{Nodes: len(endpoints)}
	downSet := map[int]bool{}
	for _, i := range v.down {
		downSet[i] = true
	}
	var extra []int
	for _, e := range endpoints {
		i, ok := v.index(e)
		if !ok {
			return nil, fmt.Errorf("node %s is not in the ring this sidecar knows", e)
		}
		extra = append(extra, i)
		downSet[i] = true
	}
	if len(downSet) == v.topo.Len() && len(extra) > 0 {
		im.Everything = true
	}
	im.Losses, err = v.downLosses(v.keyspaces, v.down, extra, levels)
	if err != nil {
		return nil, err
	}
	for _, l := range im.Losses {
		if !isSystemKeyspace(l.Keyspace) || im.Fixes[l.Keyspace] != "" {
			continue
		}
		fix, err := v.fix(l.Keyspace, v.down, extra)
		if err != nil {
			return nil, err
		}
		if im.Fixes == nil {
			im.Fixes = map[string]string{}
		}
		im.Fixes[l.Keyspace] = fix
	}
	return im, nil
}

// fix is what removes a system keyspace's loss: the recommended
// replication if, with it, the same nodes could go down.
func (v *ringView) fix(ks string, down, extra []int) (string, error) {
	r := recommendedReplication(v.topo, v.repl[ks])
	losses, err := v.downLosses([]ring.Keyspace{{Name: ks, Replication: r}}, down, extra, nil)
	if err != nil {
		return "", err
	}
	return fixText(ks, r, len(losses) == 0), nil
}

// downLosses judges keyspaces kss with down already down and extra going
// down, from a coordinator in every DC.
func (v *ringView) downLosses(kss []ring.Keyspace, down, extra []int, levels []ring.ConsistencyLevel) ([]Loss, error) {
	var out []Loss
	for first, dc := range v.topo.DCs() {
		now, err := v.topo.NewAvailability(kss, dc, down)
		if err != nil {
			return nil, err
		}
		after := now.Clone()
		for _, i := range extra {
			if _, err := after.SetDown(i, true); err != nil {
				return nil, err
			}
		}
		ls, err := v.losses(kss, dc, first == 0, now, after, levels)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// judged is one level a keyspace is judged at, over its whole ring or the
// range of one token.
type judged struct {
	cl    ring.ConsistencyLevel
	token *ring.Token
	use   string
}

// judgedLevels are the levels keyspace ks is judged at: the operator's for
// a user keyspace, Cassandra's own for a system keyspace.
func (v *ringView) judgedLevels(ks string, levels []ring.ConsistencyLevel) []judged {
	if isSystemKeyspace(ks) {
		var out []judged
		for _, u := range systemUses(ks, v.settings) {
			out = append(out, judged{cl: u.cl, token: u.token, use: u.what})
		}
		return out
	}
	out := make([]judged, len(levels))
	for i, cl := range levels {
		out[i] = judged{cl: cl}
	}
	return out
}

// losses compares two availabilities of the same keyspaces from one
// coordinator DC. System keyspaces at levels that are not DC-local are
// judged only from the first DC: the answer is the same from each.
func (v *ringView) losses(kss []ring.Keyspace, dc string, firstDC bool, now, after *ring.Availability, levels []ring.ConsistencyLevel) ([]Loss, error) {
	var out []Loss
	for _, k := range kss {
		system := isSystemKeyspace(k.Name)
		for _, j := range v.judgedLevels(k.Name, levels) {
			local := localLevel(j.cl)
			if local && k.Replication.Strategy == ring.NetworkTopologyStrategy && k.Replication.RFIn(dc).All == 0 {
				continue
			}
			if system && !local && !firstDC {
				continue
			}
			n, err := lostRanges(now, after, k.Name, j)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				continue
			}
			l := Loss{Keyspace: k.Name, Level: j.cl, DC: dc, Ranges: n, Of: v.topo.NumRanges(), Use: j.use, Token: j.token}
			if system && !local {
				l.DC = ""
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// lostRanges counts the ranges servable in now but not in after.
func lostRanges(now, after *ring.Availability, ks string, j judged) (int, error) {
	if j.token != nil {
		a, err := now.CheckToken(ks, j.cl, *j.token)
		if err != nil {
			return 0, err
		}
		b, err := after.CheckToken(ks, j.cl, *j.token)
		if err != nil {
			return 0, err
		}
		if a.OK && !b.OK {
			return 1, nil
		}
		return 0, nil
	}
	nb, err := now.UnavailableCount(ks, j.cl)
	if err != nil {
		return 0, err
	}
	na, err := after.UnavailableCount(ks, j.cl)
	if err != nil {
		return 0, err
	}
	return max(na-nb, 0), nil
}

// SystemKeyspaceWarnings are the system keyspaces whose use by Cassandra
// (systemUses) one node going down, with every other node up, would
// break: with stock replication and authentication on, system_auth RF 1
// makes every stop of a node that holds a part of it refused. Each
// warning names the fix. Nothing is said when the ring is unknown (the
// reports say so already).
func SystemKeyspaceWarnings(s *node.Snapshot) []string {
	v, err := newRingView(s)
	if err != nil {
		return nil
	}
	return v.systemWarnings()
}

func (v *ringView) systemWarnings() []string {
	var kss []ring.Keyspace
	for _, k := range v.keyspaces {
		if !isSystemKeyspace(k.Name) {
			continue
		}
		for _, u := range systemUses(k.Name, v.settings) {
			if u.cl != ring.Any { // ANY holds while any node is up
				kss = append(kss, k)
				break
			}
		}
	}
	if len(kss) == 0 || v.topo.Len() < 2 {
		return nil
	}
	// For each keyspace, the first node whose stop breaks it.
	found := map[string]Loss{}
	by := map[string]int{}
	for first, dc := range v.topo.DCs() {
		now, err := v.topo.NewAvailability(kss, dc, nil)
		if err != nil {
			return nil
		}
		after := now.Clone()
		for i := 0; i < v.topo.Len() && len(found) < len(kss); i++ {
			if _, err := after.SetDown(i, true); err != nil {
				return nil
			}
			ls, err := v.losses(kss, dc, first == 0, now, after, nil)
			if err != nil {
				return nil
			}
			for _, l := range ls {
				if _, ok := found[l.Keyspace]; !ok {
					found[l.Keyspace], by[l.Keyspace] = l, i
				}
			}
			if _, err := after.SetDown(i, false); err != nil {
				return nil
			}
		}
	}
	var out []string
	for _, ks := range sortedKeys(found) {
		fix, err := v.fix(ks, nil, []int{by[ks]})
		if err != nil {
			continue
		}
		out = append(out, fmt.Sprintf("%s (%s): stopping one node, e.g. %s, would leave %s, so ringside refuses such stops (force=true overrides); %s",
			ks, v.repl[ks], v.topo.Endpoint(by[ks]).Name, found[ks], fix))
	}
	sort.Strings(out)
	return out
}
