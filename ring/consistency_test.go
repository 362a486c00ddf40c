package ring

import (
	"testing"
)

func TestConsistencyLevelNames(t *testing.T) {
	for i, n := range []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE", "NODE_LOCAL"} {
		cl := ConsistencyLevel(i)
		if cl.String() != n {
			t.Errorf("code %d: %s, want %s", i, cl, n)
		}
		if p, err := ParseConsistencyLevel(n); err != nil || p != cl {
			t.Errorf("parse %s: %v %v", n, p, err)
		}
	}
	if cl, err := ParseConsistencyLevel("local_quorum"); err != nil || cl != LocalQuorum {
		t.Error("case-insensitive parse")
	}
	if _, err := ParseConsistencyLevel("MOST"); err == nil {
		t.Error("bogus level accepted")
	}
	if len(ConsistencyLevels()) != 11 {
		t.Error("ConsistencyLevels")
	}
}

// ConsistencyLevel.blockFor for the configured replication factor.
func TestBlockFor(t *testing.T) {
	nts := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3", "dc2": "2", "dc3": "0"})
	simple := mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "5"})
	cases := []struct {
		r    Replication
		cl   ConsistencyLevel
		dc   string
		want int
	}{
		{nts, Any, "dc1", 1},
		{nts, One, "dc1", 1},
		{nts, LocalOne, "dc1", 1},
		{nts, Two, "dc1", 2},
		{nts, Three, "dc1", 3},
		{nts, Quorum, "dc1", 3}, // 5/2+1
		{nts, Serial, "dc1", 3},
		{nts, All, "dc1", 5},
		{nts, LocalQuorum, "dc1", 2},
		{nts, LocalQuorum, "dc2", 2},
		{nts, LocalQuorum, "dc3", 1}, // RF 0: 0/2+1
		{nts, LocalSerial, "dc2", 2},
		{nts, LocalQuorum, "nowhere", 1},
		{nts, EachQuorum, "dc1", 2 + 2 + 1},
		{simple, Quorum, "dc1", 3},
		{simple, LocalQuorum, "dc9", 3}, // quorumFor for non-NTS
		{simple, EachQuorum, "dc1", 3},
		{simple, All, "dc1", 5},
	}
	for _, c := range cases {
		got, err := c.cl.BlockFor(c.r, c.dc)
		if err != nil || got != c.want {
			t.Errorf("%s %s in %s: %d (%v), want %d", c.r, c.cl, c.dc, got, err, c.want)
		}
	}
	if _, err := NodeLocal.BlockFor(nts, "dc1"); err == nil {
		t.Error("NODE_LOCAL blockFor accepted")
	}
	each := EachQuorumFor(nts, "dc1")
	if len(each) != 3 || each["dc1"] != 2 || each["dc2"] != 2 || each["dc3"] != 1 {
		t.Errorf("EachQuorumFor %v", each)
	}
	if e := EachQuorumFor(simple, "dcX"); len(e) != 1 || e["dcX"] != 3 {
		t.Errorf("EachQuorumFor simple %v", e)
	}
}

// Paxos counts a majority of the natural replicas, not of the configured RF:
// with RF 5 in a DC of 3 nodes, SERIAL needs 2 live replicas while QUORUM
// needs 3 (and can never be reached with one node down).
func TestSerialCountsNaturalReplicas(t *testing.T) {
	topo := mustTopo(t, fourNodes()[:3])
	r := mustRepl(t, map[string]string{"class": "NetworkTopologyStrategy", "datacenter1": "5"})
	reps := topo.Replicas(r, 0)
	if len(reps) != 3 {
		t.Fatalf("%d replicas", len(reps))
	}
	down := func(e int) bool { return e == reps[0] }
	s, _ := topo.Check(r, Serial, "datacenter1", reps, nil, down)
	q, _ := topo.Check(r, Quorum, "datacenter1", reps, nil, down)
	ls, _ := topo.Check(r, LocalSerial, "datacenter1", reps, nil, down)
	a, _ := topo.Check(r, All, "datacenter1", reps, nil, func(int) bool { return false })
	if !s.OK || s.Required != 2 || q.OK || q.Required != 3 || !ls.OK || a.OK || a.Required != 5 {
		t.Fatalf("serial %+v quorum %+v local_serial %+v all %+v", s, q, ls, a)
	}
}

// Reads need a live full replica: with "3/1", losing both full replicas
// leaves ONE unavailable although a (transient) replica is up.
func TestTransientNeedsFullReplica(t *testing.T) {
	topo := mustTopo(t, fourNodes())
	r := mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "3/1"})
	rm, _ := topo.ReplicaMap(r)
	i := rm.RangeIndex(99)
	reps, full := rm.ForRange(i), rm.FullForRange(i)
	down := func(e int) bool { return e == reps[0] || e == reps[1] }
	o, _ := topo.Check(r, One, "datacenter1", reps, full, down)
	if o.OK || o.Alive != 1 {
		t.Fatalf("ONE with only the transient replica up: %+v", o)
	}
	o, _ = topo.Check(r, Any, "datacenter1", reps, full, down)
	if !o.OK {
		t.Fatal("ANY unavailable")
	}
}
