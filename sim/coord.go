package sim

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

// replicas returns the natural replicas of tok in ks; LocalStrategy and
// virtual keyspaces are served by the coordinator alone.
func (x *execCtx) replicas(ks *schema.Keyspace, tok int64) ([]*Node, error) {
	m, err := x.n.c.schema.replicaMap(ks)
	if err != nil {
		return nil, serverErr("%v", err)
	}
	if m == nil {
		return []*Node{x.n}, nil
	}
	idx := m.ForToken(ring.Token(tok))
	out := make([]*Node, len(idx))
	for i, k := range idx {
		out[i] = x.n.c.nodes[k]
	}
	return out, nil
}

// rfOf returns the configured replication factor of ks in total and for one DC
// (ReplicationFactor.allReplicas of the strategy).
func rfOf(ks *schema.Keyspace, dc string) (total, local int) {
	r := ks.Replication
	full := func(v string) int {
		f, _, _ := strings.Cut(v, "/")
		n, _ := strconv.Atoi(f)
		return n
	}
	switch r["class"] {
	case classNTS:
		for k, v := range r {
			if k == "class" {
				continue
			}
			total += full(v)
			if k == dc {
				local = full(v)
			}
		}
		return total, local
	case classLocal:
		return 1, 1
	}
	total = full(r["replication_factor"])
	// localQuorumFor falls back to the whole RF for non-NTS strategies.
	return total, total
}

// blockFor and the live check, as ConsistencyLevel.blockFor and
// ReplicaPlans.assureSufficientLiveReplicas do it. It returns the replicas
// considered (all, or the local DC's for LOCAL_*) that the coordinator sees up.
func (x *execCtx) assure(ks *schema.Keyspace, cl native.Consistency, reps []*Node, write bool) ([]*Node, int, error) {
	c := x.n.c
	if ks.Virtual || ks.Replication["class"] == classLocal {
		return []*Node{x.n}, 1, nil
	}
	dc := x.n.DC
	total, local := rfOf(ks, dc)
	var live, liveLocal []*Node
	perDC := map[string]int{}
	for _, r := range reps {
		if c.sees(x.n, r) {
			live = append(live, r)
			perDC[r.DC]++
			if r.DC == dc {
				liveLocal = append(liveLocal, r)
			}
		}
	}
	switch cl {
	case native.Any:
		if !write {
			return nil, 0, invalid("ANY ConsistencyLevel is only supported for writes")
		}
		return live, 1, nil
	case native.One, native.Two, native.Three:
		need := map[native.Consistency]int{native.One: 1, native.Two: 2, native.Three: 3}[cl]
		if len(live) < need {
			return nil, 0, unavailable(cl, "", need, len(live))
		}
		return live, need, nil
	case native.Serial:
		// Paxos needs a majority of the natural replicas (participants), not of the configured RF.
		need := len(reps)/2 + 1
		if len(live) < need {
			return nil, 0, unavailable(cl, "", need, len(live))
		}
		return live, need, nil
	case native.LocalSerial:
		n := 0
		for _, r := range reps {
			if r.DC == dc {
				n++
			}
		}
		need := n/2 + 1
		if len(liveLocal) < need {
			return nil, 0, unavailable(cl, "", need, len(liveLocal))
		}
		return liveLocal, need, nil
	case native.Quorum:
		need := total/2 + 1
		if len(live) < need {
			return nil, 0, unavailable(cl, "", need, len(live))
		}
		return live, need, nil
	case native.All:
		if len(live) < total {
			return nil, 0, unavailable(cl, "", total, len(live))
		}
		return live, total, nil
	case native.LocalOne:
		if len(liveLocal) < 1 {
			return nil, 0, unavailable(cl, "", 1, len(liveLocal))
		}
		return liveLocal, 1, nil
	case native.LocalQuorum:
		need := local/2 + 1
		if len(liveLocal) < need {
			return nil, 0, unavailable(cl, "", need, len(liveLocal))
		}
		return liveLocal, need, nil
	case native.EachQuorum:
		if ks.Replication["class"] != classNTS {
			// Counts as QUORUM for other strategies, reported as asked.
			need := total/2 + 1
			if len(live) < need {
				return nil, 0, unavailable(cl, "", need, len(live))
			}
			return live, need, nil
		}
		dcs := make([]string, 0)
		for k := range ks.Replication {
			if k != "class" {
				dcs = append(dcs, k)
			}
		}
		sort.Strings(dcs)
		need := 0
		for _, d := range dcs {
			_, rf := rfOf(ks, d)
			q := rf/2 + 1
			if perDC[d] < q {
				return nil, 0, unavailable(cl, d, q, perDC[d])
			}
			need += q
		}
		return live, need, nil
	}
	return nil, 0, invalid("Unknown consistency level %d", cl)
}

// proximity orders replicas as the snitch would: the coordinator, its
// rack, its DC, then the rest (stable by address otherwise).
func (x *execCtx) proximity(reps []*Node) []*Node {
	out := append([]*Node{}, reps...)
	score := func(r *Node) int {
		switch {
		case r == x.n:
			return 0
		case r.DC == x.n.DC && r.Rack == x.n.Rack:
			return 1
		case r.DC == x.n.DC:
			return 2
		}
		return 3
	}
	sort.SliceStable(out, func(i, j int) bool { return score(out[i]) < score(out[j]) })
	return out
}

func (x *execCtx) timeout() time.Duration { return x.n.c.cfg.RequestTimeout }

// waitReplicas sleeps as long as the slowest of the k fastest replicas takes.
func waitReplicas(reps []*Node, k int) {
	if k <= 0 || len(reps) == 0 {
		return
	}
	lat := make([]time.Duration, len(reps))
	for i, r := range reps {
		lat[i] = r.delay()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if k > len(lat) {
		k = len(lat)
	}
	if d := lat[k-1]; d > 0 {
		time.Sleep(d)
	}
}

// readPartition reads one partition at the request's consistency level,
// merging what the contacted replicas hold.
func (x *execCtx) readPartition(ks *schema.Keyspace, t *schema.Table, key string, pk []any) (*partition, error) {
	tok := tokenOf(key)
	reps, err := x.replicas(ks, tok)
	if err != nil {
		return nil, err
	}
	cl := x.cl
	if cl == native.Serial || cl == native.LocalSerial {
		return x.serialRead(ks, t, key, pk) // paxos.go
	}
	live, blockFor, err := x.assure(ks, cl, reps, false)
	if err != nil {
		return nil, err
	}
	var got []*Node
	if cl == native.EachQuorum {
		blockFor = len(live) // a quorum in every DC: read from every live replica
	}
	for _, r := range x.proximity(live) {
		if len(got) == blockFor {
			break
		}
		// Unreachable replicas are skipped like a speculative retry would.
		if r == x.n || x.n.c.canTalk(x.n, r) {
			got = append(got, r)
		}
	}
	if len(got) < blockFor {
		time.Sleep(x.timeout())
		return nil, readTimeout(cl, len(got), blockFor, false)
	}
	waitReplicas(got, blockFor)
	var merged *partition
	for _, r := range got {
		p := r.store.read(t, key)
		if p == nil {
			continue
		}
		if merged == nil {
			merged = p
		} else {
			merged.merge(t, p)
		}
	}
	if merged != nil {
		merged.pk, merged.tok = pk, tok
	}
	return merged, nil
}

// scanTable reads every partition of a table, after checking that every
// token range is available at the consistency level.
func (x *execCtx) scanTable(ks *schema.Keyspace, t *schema.Table) ([]*partition, error) {
	c := x.n.c
	m, err := c.schema.replicaMap(ks)
	if err != nil {
		return nil, serverErr("%v", err)
	}
	if m == nil {
		return x.n.store.scan(t), nil
	}
	checked := map[string]bool{}
	for _, n := range c.nodes {
		for _, tok := range n.Tokens {
			idx := m.ForToken(ring.Token(tok))
			key := strconv.Itoa(len(idx))
			for _, i := range idx {
				key += "," + strconv.Itoa(i)
			}
			if checked[key] {
				continue
			}
			checked[key] = true
			reps := make([]*Node, len(idx))
			for i, k := range idx {
				reps[i] = c.nodes[k]
			}
			if _, _, err := x.assure(ks, x.cl, reps, false); err != nil {
				return nil, err
			}
		}
	}
	byKey := map[string]*partition{}
	for _, n := range c.nodes {
		if n != x.n && (!c.sees(x.n, n) || !c.canTalk(x.n, n)) {
			continue
		}
		if n.store == nil {
			continue
		}
		for _, p := range n.store.scan(t) {
			k, err := serializeKey(t, p.pk)
			if err != nil {
				continue
			}
			if q := byKey[k]; q != nil {
				q.merge(t, p)
			} else {
				byKey[k] = p
			}
		}
	}
	out := make([]*partition, 0, len(byKey))
	for _, p := range byKey {
		out = append(out, p)
	}
	return out, nil
}

// write delivers mutations at the request's consistency level. Replicas
// the coordinator sees down get a hint instead (hints.go); replicas it
// sees up but cannot reach make the write time out if too few acknowledge,
// and are hinted when their write times out (RequestCallbacks.onExpired).
// At ANY a hint counts as the acknowledgement.
func (x *execCtx) write(ks *schema.Keyspace, muts []*mutation, writeType string) error {
	type plan struct {
		m        *mutation
		reps     []*Node
		live     []*Node
		blockFor int
	}
	plans := make([]plan, 0, len(muts))
	// Validate availability of every mutation before applying any.
	for _, m := range muts {
		reps, err := x.replicas(ks, m.tok)
		if err != nil {
			return err
		}
		live, blockFor, err := x.assure(ks, x.cl, reps, true)
		if err != nil {
			return err
		}
		// Cassandra sends a write to every live replica of every DC; a
		// LOCAL_* level only says whose acks are awaited (counted below).
		// Sending to the local ones alone would hint healthy remote replicas.
		if x.cl == native.LocalOne || x.cl == native.LocalQuorum {
			live = live[:0:0]
			for _, r := range reps {
				if x.n.c.sees(x.n, r) {
					live = append(live, r)
				}
			}
		}
		plans = append(plans, plan{m, reps, live, blockFor})
	}
	for _, p := range plans {
		acked, hinted := x.send(p.m, p.reps, p.live)
		counted := acked
		if x.cl == native.LocalOne || x.cl == native.LocalQuorum {
			counted = nil
			for _, r := range acked {
				if r.DC == x.n.DC {
					counted = append(counted, r)
				}
			}
		}
		if x.cl == native.Any {
			if len(acked)+hinted > 0 {
				continue
			}
			time.Sleep(x.timeout())
			return writeTimeout(x.cl, 0, 1, writeType)
		}
		if len(counted) < p.blockFor {
			time.Sleep(x.timeout())
			return writeTimeout(x.cl, len(counted), p.blockFor, writeType)
		}
		waitReplicas(counted, p.blockFor)
	}
	return nil
}

// send is StorageProxy.sendToHintedReplicas for one mutation: applied on
// the live replicas the coordinator reaches, hinted for the ones it sees
// down (if shouldHint allows), and hinted after the write timeout for the
// live ones it cannot reach.
func (x *execCtx) send(m *mutation, reps, live []*Node) (acked []*Node, hinted int) {
	up := make(map[*Node]bool, len(live))
	for _, r := range live {
		up[r] = true
	}
	h := x.n.hints
	for _, r := range reps {
		switch {
		case !up[r]:
			if h.shouldHint(r) {
				h.submit(r, m)
				hinted++
			}
		case r == x.n || x.n.c.canTalk(x.n, r):
			r.store.apply(m)
			acked = append(acked, r)
		default:
			r := r
			time.AfterFunc(x.timeout(), func() {
				if h.shouldHint(r) {
					h.submit(r, m)
				}
			})
		}
	}
	return acked, hinted
}
