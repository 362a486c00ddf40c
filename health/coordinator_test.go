package health

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/node"
)

var allLevels = []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"}

func list(t *testing.T, rep map[string]any, cl string) []string {
	t.Helper()
	v, ok := rep[cl+"_underreplicated_keyspaces"]
	if !ok {
		t.Fatalf("no %s_underreplicated_keyspaces in %v", cl, rep)
	}
	l, ok := v.([]string)
	if !ok || l == nil {
		t.Fatalf("%s list is %#v, want a non-nil []string", cl, v)
	}
	return l
}

// first returns the figures of the first under-replicated range of ks at cl.
func first(t *testing.T, rep map[string]any, cl, ks string) map[string]any {
	t.Helper()
	d, _ := rep["underreplicated_ranges"].(map[string]any)
	k, _ := d[cl].(map[string]any)
	e, _ := k[ks].(map[string]any)
	f, _ := e["first"].(map[string]any)
	if f == nil {
		t.Fatalf("no underreplicated_ranges[%s][%s].first in %v", cl, ks, rep["underreplicated_ranges"])
	}
	return f
}

func TestCoordinatorRealClusterAllUp(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.1:7000")
	rep, ok := Coordinator(s, Config{}, t0.Add(2*time.Second))
	if !ok {
		t.Fatalf("unhealthy with every node up: %v", rep["reasons"])
	}
	for _, cl := range []string{"LOCAL_ONE", "LOCAL_QUORUM"} {
		if l := list(t, rep, cl); len(l) != 0 {
			t.Errorf("%s: %v", cl, l)
		}
	}
	if !reflect.DeepEqual(rep["alive_peers"], []string{"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"}) {
		t.Errorf("alive_peers %v", rep["alive_peers"])
	}
	if rep["data_age_seconds"] != 2.0 || rep["as_of"] != "2026-11-20T10:00:00.000Z" {
		t.Errorf("age %v as of %v", rep["data_age_seconds"], rep["as_of"])
	}
	// system_auth (SimpleStrategy, RF 1) puts a third of its ranges on
	// 127.0.0.3 in dc2 only: Cassandra answers Unavailable for them at
	// LOCAL_ONE from dc1 even with every node up. Reported, not fatal.
	bd, _ := rep["unavailable_by_design"].(map[string]any)
	if l := stringList(bd["LOCAL_ONE"]); !slices.Contains(l, "system_auth") || slices.Contains(l, "smoke") || slices.Contains(l, "ks3") {
		t.Errorf("unavailable_by_design %v", bd)
	}
	if _, ok := rep["underreplicated_ranges"]; ok {
		t.Errorf("underreplicated_ranges with nothing under-replicated: %v", rep["underreplicated_ranges"])
	}
}

// node-down.txt, first part: 127.0.0.3 (dc2) stopped, seen from 127.0.0.1
// (dc1). The capture's Unavailable errors were for keyspace probe, which
// has ks3's replication {dc1: 2, dc2: 1}.
func TestCoordinatorRealClusterNode3Down(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.1:7000", "127.0.0.3:7000")
	rep, ok := Coordinator(s, Config{ConsistencyLevels: allLevels}, t0)
	if ok {
		t.Fatal("healthy, but EACH_QUORUM and ALL are configured and ks3 cannot reach them")
	}
	if !reflect.DeepEqual(rep["dead_peers"], []string{"127.0.0.3:7000"}) || !reflect.DeepEqual(rep["alive_peers"], []string{"127.0.0.1:7000", "127.0.0.2:7000"}) {
		t.Fatalf("peers %v / %v", rep["alive_peers"], rep["dead_peers"])
	}
	// Served in the capture: ONE, QUORUM, LOCAL_QUORUM reads and SERIAL.
	for _, cl := range []string{"QUORUM", "LOCAL_QUORUM", "LOCAL_ONE", "SERIAL", "LOCAL_SERIAL", "ANY"} {
		if l := list(t, rep, cl); slices.Contains(l, "ks3") || slices.Contains(l, "smoke") {
			t.Errorf("%s: %v", cl, l)
		}
	}
	if l := list(t, rep, "ONE"); slices.Contains(l, "ks3") || !slices.Contains(l, "system_auth") {
		t.Errorf("ONE: %v (system_auth's ranges on 127.0.0.3 have no other replica)", l)
	}
	// "Cannot achieve consistency level EACH_QUORUM in DC dc2": required=1 alive=0.
	if l := list(t, rep, "EACH_QUORUM"); !slices.Contains(l, "ks3") {
		t.Errorf("EACH_QUORUM: %v", l)
	}
	if f := first(t, rep, "EACH_QUORUM", "ks3"); f["required"] != 1 || f["alive"] != 0 || f["dc"] != "dc2" {
		t.Errorf("EACH_QUORUM figures %v", f)
	}
	// "Cannot achieve consistency level ALL": required=3 alive=2.
	if f := first(t, rep, "ALL", "ks3"); f["required"] != 3 || f["alive"] != 2 {
		t.Errorf("ALL figures %v", f)
	}
	// smoke ({dc1: 1}) has no replica on 127.0.0.3: it loses nothing.
	if l := list(t, rep, "ALL"); slices.Contains(l, "smoke") {
		t.Errorf("ALL: %v", l)
	}
}

// node-down.txt, second part: 127.0.0.2 also stopped; only 127.0.0.1 is up.
func TestCoordinatorRealClusterNodes2And3Down(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.1:7000", "127.0.0.3:7000", "127.0.0.2:7000")
	rep, ok := Coordinator(s, Config{ConsistencyLevels: allLevels}, t0)
	if ok {
		t.Fatal("healthy with 2 of 3 nodes down")
	}
	// LOCAL_QUORUM read: Unavailable required=2 alive=1.
	if l := list(t, rep, "LOCAL_QUORUM"); !slices.Contains(l, "ks3") {
		t.Errorf("LOCAL_QUORUM: %v", l)
	}
	if f := first(t, rep, "LOCAL_QUORUM", "ks3"); f["required"] != 2 || f["alive"] != 1 {
		t.Errorf("LOCAL_QUORUM figures %v", f)
	}
	// LOCAL_ONE read of ks3 succeeded (127.0.0.1 replicates every range of
	// ks3 in dc1)…
	lo := list(t, rep, "LOCAL_ONE")
	if slices.Contains(lo, "ks3") {
		t.Errorf("LOCAL_ONE: %v", lo)
	}
	// …but smoke ({dc1: 1}) has ranges whose only replica is 127.0.0.2.
	if !slices.Contains(lo, "smoke") {
		t.Errorf("LOCAL_ONE: %v, want smoke", lo)
	}
	if f := first(t, rep, "LOCAL_ONE", "smoke"); f["required"] != 1 || f["alive"] != 0 || f["replicas"] != 1 {
		t.Errorf("LOCAL_ONE smoke figures %v", f)
	}
	// QUORUM write required=2 alive=1; LWT (SERIAL) required=2 alive=1.
	for _, cl := range []string{"QUORUM", "SERIAL"} {
		if f := first(t, rep, cl, "ks3"); f["required"] != 2 || f["alive"] != 1 {
			t.Errorf("%s figures %v", cl, f)
		}
	}
	// SELECT * FROM system_auth.roles at ONE: required=1 alive=0.
	if f := first(t, rep, "ONE", "system_auth"); f["required"] != 1 || f["alive"] != 0 {
		t.Errorf("ONE system_auth figures %v", f)
	}
	reasons := strings.Join(strs(rep["reasons"]), "\n")
	if !strings.Contains(reasons, "ks3 is under-replicated at LOCAL_QUORUM") {
		t.Errorf("reasons:\n%s", reasons)
	}
	// With the default levels the answer is the same 503 listing ks3.
	rep, ok = Coordinator(s, Config{}, t0)
	if ok || !slices.Contains(list(t, rep, "LOCAL_QUORUM"), "ks3") {
		t.Errorf("default levels: ok=%v %v", ok, rep["LOCAL_QUORUM_underreplicated_keyspaces"])
	}
}

// From the dc2 node the same outage looks different: LOCAL_* levels are
// judged among dc2's replicas.
func TestCoordinatorJudgesFromItsOwnDC(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.3:7000", "127.0.0.2:7000")
	rep, ok := Coordinator(s, Config{}, t0)
	if !ok {
		t.Fatalf("dc2 coordinator with dc2 intact: %v", rep["reasons"])
	}
	// smoke is not replicated in dc2 at all: not under-replicated there.
	for _, cl := range []string{"LOCAL_ONE", "LOCAL_QUORUM"} {
		if l := list(t, rep, cl); len(l) != 0 {
			t.Errorf("%s: %v", cl, l)
		}
	}
	if rep["datacenter"] != "dc2" {
		t.Errorf("datacenter %v", rep["datacenter"])
	}
}

// The CEP's coordinator examples, reproduced: three nodes, keyspace ks1
// with one replica, LOCAL_ONE configured.
func TestCoordinatorCEPExamples(t *testing.T) {
	eps := []string{"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"}
	tokens := [][]string{{"-9223372036854775808", "-3074457345618258603"}, {"-6148914691236517206", "3074457345618258602"}, {"0", "6148914691236517204"}}
	mk := func(dead ...string) *node.Snapshot {
		s := &node.Snapshot{Taken: t0, CassandraRunning: true, NativeActive: true, GossipActive: true,
			Endpoint: eps[0], DC: "datacenter1", Rack: "rack1", Tokens: tokens[0],
			Keyspaces: []node.Keyspace{{Name: "ks1", Replication: map[string]string{"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "1"}}}}
		for i, e := range eps {
			if i > 0 {
				s.Peers = append(s.Peers, node.Peer{Endpoint: e, DC: "datacenter1", Rack: "rack1", Tokens: tokens[i]})
			}
			if slices.Contains(dead, e) {
				s.UnreachableEndpoints = append(s.UnreachableEndpoints, e)
			} else {
				s.LiveEndpoints = append(s.LiveEndpoints, e)
			}
		}
		return s
	}
	cfg := Config{ConsistencyLevels: []string{"LOCAL_ONE"}}

	rep, ok := Coordinator(mk(), cfg, t0)
	if !ok {
		t.Fatalf("healthy example answered 503: %v", rep["reasons"])
	}
	got := roundTrip(t, rep)
	want := map[string]any{
		"LOCAL_ONE_underreplicated_keyspaces": []any{},
		"alive_peers":                         []any{"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"},
		"cassandra_running":                   true,
		"dead_peers":                          []any{},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	b, _ := json.Marshal(rep)
	if !strings.HasPrefix(string(b), `{"LOCAL_ONE_underreplicated_keyspaces":[],"alive_peers":["127.0.0.1:7000"`) {
		t.Errorf("JSON does not start like the CEP example: %s", b)
	}
	extra := map[string]bool{"native_active": true, "as_of": true, "data_age_seconds": true, "datacenter": true}
	for k := range got {
		if _, cep := want[k]; !cep && !extra[k] {
			t.Errorf("unexpected field %s in a healthy answer", k)
		}
	}

	s := mk("127.0.0.2:7000", "127.0.0.3:7000")
	s.NativeActive = false
	rep, ok = Coordinator(s, cfg, t0)
	if ok {
		t.Fatal("unhealthy example answered 200")
	}
	got = roundTrip(t, rep)
	want = map[string]any{
		"LOCAL_ONE_underreplicated_keyspaces": []any{"ks1"},
		"alive_peers":                         []any{"127.0.0.1:7000"},
		"cassandra_running":                   true,
		"dead_peers":                          []any{"127.0.0.2:7000", "127.0.0.3:7000"},
		"native_active":                       false,
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("unhealthy %s = %#v, want %#v", k, got[k], w)
		}
	}
}

func TestCoordinatorDrainedNode(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.1:7000")
	s.NativeActive, s.OperationMode = false, "DRAINED"
	rep, ok := Coordinator(s, Config{}, t0)
	if ok || rep["native_active"] != false {
		t.Fatalf("drained node: ok=%v native_active=%v", ok, rep["native_active"])
	}
	if r := strs(rep["reasons"]); len(r) != 1 || !strings.Contains(r[0], "DRAINED") {
		t.Errorf("reasons %v", r)
	}
}

func TestCoordinatorStaleAndBrokenSnapshots(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.1:7000")
	if _, ok := Coordinator(s, Config{MaxAge: 10 * time.Second}, t0.Add(11*time.Second)); ok {
		t.Error("healthy with data older than MaxAge")
	}
	if _, ok := Coordinator(s, Config{}, t0.Add(DefaultMaxAge-time.Second)); !ok {
		t.Error("unhealthy with data younger than the default max age")
	}

	// Cassandra down: JMX and CQL unreadable, nothing but the error.
	dead := &node.Snapshot{Taken: t0, Errors: []string{"cql: connection refused", "jmx: connection refused"}}
	rep, ok := Coordinator(dead, Config{}, t0)
	if ok || rep["cassandra_running"] != false {
		t.Fatalf("dead node: ok=%v %v", ok, rep)
	}
	if l := list(t, rep, "LOCAL_ONE"); len(l) != 0 {
		t.Errorf("LOCAL_ONE %v", l)
	}
	if e := strs(rep["errors"]); len(e) < 3 {
		t.Errorf("errors %v: want the snapshot's and the ring's", e)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}

	// No snapshot time at all.
	s2 := c.snapshotFrom(t, "127.0.0.1:7000")
	s2.Taken = time.Time{}
	rep, ok = Coordinator(s2, Config{}, t0)
	if ok || rep["as_of"] != nil {
		t.Errorf("zero Taken: ok=%v as_of=%v", ok, rep["as_of"])
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		levels []string
		bad    []string
	}{
		{nil, nil},
		{[]string{"local_quorum", "EACH_QUORUM", "LOCAL_QUORUM"}, nil},
		{[]string{"LOCAL_QUROUM", "ONE", "NODE_LOCAL", "FOO"}, []string{`"LOCAL_QUROUM"`, `"NODE_LOCAL"`, `"FOO"`}},
	} {
		c := Config{ConsistencyLevels: tc.levels}
		err := c.Validate()
		if (err != nil) != (len(tc.bad) > 0) {
			t.Errorf("%v: %v", tc.levels, err)
			continue
		}
		for _, b := range tc.bad {
			if !strings.Contains(err.Error(), b) {
				t.Errorf("%v: error %q does not name %s", tc.levels, err, b)
			}
		}
	}
	if err := (&Config{MaxAge: -time.Second}).Validate(); err == nil {
		t.Error("negative max age accepted")
	}
	// Levels are reported under Cassandra's spelling, once.
	c := loadCapture(t)
	rep, _ := Coordinator(c.snapshotFrom(t, "127.0.0.1:7000"), Config{ConsistencyLevels: []string{"local_quorum", "LOCAL_QUORUM"}}, t0)
	if _, ok := rep["LOCAL_QUORUM_underreplicated_keyspaces"]; !ok {
		t.Error("no LOCAL_QUORUM field")
	}
	if _, ok := rep["LOCAL_ONE_underreplicated_keyspaces"]; ok {
		t.Error("LOCAL_ONE reported though not configured")
	}
	// An unknown level makes the answer unhealthy rather than silently ignored.
	if _, ok := Coordinator(c.snapshotFrom(t, "127.0.0.1:7000"), Config{ConsistencyLevels: []string{"LOCAL_QUROUM"}}, t0); ok {
		t.Error("healthy with an unknown consistency level configured")
	}
}

func TestSortEndpoints(t *testing.T) {
	got := sortEndpoints([]string{"127.0.0.10:7000", "127.0.0.9:7000", "[::1]:7000", "127.0.0.9:7001", "host-b", "127.0.0.9:7000", "", "10.0.0.1"})
	want := []string{"10.0.0.1", "127.0.0.9:7000", "127.0.0.9:7001", "127.0.0.10:7000", "[::1]:7000", "host-b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v", got)
	}
}
