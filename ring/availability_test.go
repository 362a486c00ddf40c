package ring

import (
	"reflect"
	"testing"
)

func TestAvailabilityRanges(t *testing.T) {
	topo := mustTopo(t, fourNodes()) // tokens 100..400 on 127.0.0.1..4
	ks := []Keyspace{
		{Name: "simple3", Replication: mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "3"})},
		{Name: "everywhere", Replication: mustRepl(t, map[string]string{"class": "EverywhereStrategy"})},
		{Name: "system", Replication: mustRepl(t, map[string]string{"class": "LocalStrategy"})},
	}
	a, err := topo.NewAvailability(ks, "datacenter1", []int{0})
	if err != nil {
		t.Fatal(err)
	}
	// 127.0.0.1 replicates (200,300], (300,400] and (400,100]: one run.
	got, err := a.Unavailable("simple3", All)
	if err != nil {
		t.Fatal(err)
	}
	want := []UnavailableRange{{Range: Range{200, 100}, Outcome: Outcome{Replicas: 3, Alive: 2, Required: 3}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ALL: %+v", got)
	}
	if n, _ := a.UnavailableCount("simple3", All); n != 3 {
		t.Fatalf("count %d", n)
	}
	if ok, _ := a.Available("simple3", Quorum); !ok {
		t.Fatal("QUORUM unavailable with one node down")
	}
	// Every range of the everywhere keyspace fails ALL with the same figures.
	got, _ = a.Unavailable("everywhere", All)
	want = []UnavailableRange{{Range: Range{400, 400}, Outcome: Outcome{Replicas: 4, Alive: 3, Required: 4}}}
	if !reflect.DeepEqual(got, want) || !got[0].Range.IsFullRing() {
		t.Fatalf("everywhere ALL: %+v", got)
	}
	if n, _ := a.UnavailableCount("everywhere", All); n != 4 {
		t.Fatalf("everywhere count %d", n)
	}
	if n, _ := a.UnavailableCount("system", All); n != 0 {
		t.Fatal("LocalStrategy unavailable")
	}

	// Incremental: a second node down, then both back up.
	b := a.Clone()
	if changed, _ := b.SetDown(1, true); !changed {
		t.Fatal("no change")
	}
	if changed, _ := b.SetDown(1, true); changed {
		t.Fatal("change on no-op")
	}
	got, _ = b.Unavailable("simple3", Quorum)
	// Ranges with both .1 and .2 as replicas: (300,400], (400,100]; and
	// (100,200] has .2,.3,.4 (fine), (200,300] has .3,.4,.1 (fine).
	want = []UnavailableRange{{Range: Range{300, 100}, Outcome: Outcome{Replicas: 3, Alive: 1, Required: 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("QUORUM with two down: %+v", got)
	}
	if !reflect.DeepEqual(b.Down(), []int{0, 1}) || !reflect.DeepEqual(a.Down(), []int{0}) {
		t.Fatal("clone not independent")
	}
	b.SetDown(0, false)
	b.SetDown(1, false)
	for _, s := range b.Summary() {
		for _, l := range s.Levels {
			if l.Unavailable != 0 && l.CL != Two && l.CL != Three {
				t.Fatalf("%s %s: %d unavailable with all up", s.Keyspace, l.CL, l.Unavailable)
			}
		}
	}
	if o, _ := b.CheckToken("simple3", One, 150); !o.OK || o.Alive != 3 {
		t.Fatalf("CheckToken %+v", o)
	}
}

func TestAvailabilityLocalLevels(t *testing.T) {
	topo := mustTopo(t, propertyFileEndpoints(true))
	ks := []Keyspace{ntsKeyspace(t, "ks", map[string]string{"DC1": "3", "DC2": "2"})}
	// DC3 has no replicas: LOCAL_ONE from there fails everywhere (as
	// Cassandra answers a coordinator in a DC the keyspace does not reach).
	a, err := topo.NewAvailability(ks, "DC3", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := a.Unavailable("ks", LocalOne)
	if len(got) != 1 || !got[0].Range.IsFullRing() || got[0].Required != 1 || got[0].Alive != 0 || got[0].DC != "DC3" {
		t.Fatalf("LOCAL_ONE from DC3: %+v", got)
	}
	if ok, _ := a.Available("ks", EachQuorum); !ok {
		t.Fatal("EACH_QUORUM")
	}
	// All of DC2 down: EACH_QUORUM names DC2; LOCAL_QUORUM from DC1 holds.
	var dc2 []int
	for i := 0; i < topo.Len(); i++ {
		if topo.Endpoint(i).DC == "DC2" {
			dc2 = append(dc2, i)
		}
	}
	a, _ = topo.NewAvailability(ks, "DC1", dc2)
	got, _ = a.Unavailable("ks", EachQuorum)
	if len(got) != 1 || got[0].DC != "DC2" || got[0].Required != 2 || got[0].Alive != 0 {
		t.Fatalf("EACH_QUORUM: %+v", got)
	}
	if ok, _ := a.Available("ks", LocalQuorum); !ok {
		t.Fatal("LOCAL_QUORUM in DC1")
	}
}

func TestAvailabilityErrors(t *testing.T) {
	topo := mustTopo(t, fourNodes())
	ks := []Keyspace{{Name: "k", Replication: mustRepl(t, map[string]string{"class": "SimpleStrategy", "replication_factor": "1"})}}
	if _, err := topo.NewAvailability(ks, "", nil); err == nil {
		t.Error("empty coordinator DC accepted")
	}
	if _, err := topo.NewAvailability(ks, "datacenter1", []int{9}); err == nil {
		t.Error("bad down index accepted")
	}
	if _, err := topo.NewAvailability(append(ks, ks[0]), "datacenter1", nil); err == nil {
		t.Error("duplicate keyspace accepted")
	}
	if _, err := topo.NewAvailability([]Keyspace{{Name: "z"}}, "datacenter1", nil); err == nil {
		t.Error("zero replication accepted")
	}
	a, _ := topo.NewAvailability(ks, "datacenter1", nil)
	if _, err := a.Unavailable("nope", One); err == nil {
		t.Error("unknown keyspace")
	}
	if _, err := a.Unavailable("k", NodeLocal); err == nil {
		t.Error("NODE_LOCAL")
	}
	if _, err := a.SetDown(-1, true); err == nil {
		t.Error("bad SetDown index")
	}
}
