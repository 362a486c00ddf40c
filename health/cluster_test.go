package health

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ringside/ringside/node"
)

// peerStatuses is what the sidecar gathers from 127.0.0.2 and 127.0.0.3:
// each one's coordinator report as decoded from JSON, from its own
// snapshot with the same nodes down.
func peerStatuses(t *testing.T, c capture, down []string, unreachable map[string]string) []PeerStatus {
	t.Helper()
	var out []PeerStatus
	for _, p := range c.peers {
		ps := PeerStatus{Endpoint: p.Endpoint, DC: p.DC, Rack: p.Rack, Sidecar: "http://" + strings.TrimSuffix(p.Endpoint, ":7000") + ":8080"}
		if err, ok := unreachable[p.Endpoint]; ok {
			ps.Error = err
		} else {
			rep, ok := Coordinator(c.snapshotFrom(t, p.Endpoint, down...), Config{}, t0)
			ps.Reachable, ps.Healthy, ps.Report = true, ok, roundTrip(t, rep)
			if !ok {
				ps.Error = "HTTP 503"
			}
		}
		out = append(out, ps)
	}
	return out
}

// withNTSSystemKeyspaces is the capture with system_auth, system_traces
// and system_distributed switched to NetworkTopologyStrategy, as operators
// are told to do in multi-DC clusters.
func withNTSSystemKeyspaces(c capture) capture {
	var ks []node.Keyspace
	for _, k := range c.keyspaces {
		if k.Replication["class"] == "org.apache.cassandra.locator.SimpleStrategy" {
			k = node.Keyspace{Name: k.Name, Replication: map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "2", "dc2": "1"}}
		}
		ks = append(ks, k)
	}
	c.keyspaces = ks
	return c
}

func nodeEntry(t *testing.T, rep map[string]any, ep string) map[string]any {
	t.Helper()
	for _, n := range rep["nodes"].([]map[string]any) {
		if n["endpoint"] == ep {
			return n
		}
	}
	t.Fatalf("no node %s in %v", ep, rep["nodes"])
	return nil
}

func levelStatus(t *testing.T, rep map[string]any, dc, ks, cl string) map[string]any {
	t.Helper()
	d := rep["datacenters"].(map[string]any)[dc].(map[string]any)
	k := d["keyspaces"].(map[string]any)[ks].(map[string]any)
	return k[cl].(map[string]any)
}

func TestClusterGreen(t *testing.T) {
	c := withNTSSystemKeyspaces(loadCapture(t))
	rep, ok := Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), peerStatuses(t, c, nil, nil), Config{}, t0)
	if !ok || rep["status"] != Green {
		t.Fatalf("status %v: %v", rep["status"], rep["reasons"])
	}
	if _, has := rep["reasons"]; has {
		t.Errorf("reasons on green: %v", rep["reasons"])
	}
	var order []string
	for _, n := range rep["nodes"].([]map[string]any) {
		order = append(order, n["endpoint"].(string))
		if n["up"] != true || n["sidecar"] != "ok" {
			t.Errorf("node %v", n)
		}
	}
	if !reflect.DeepEqual(order, []string{"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"}) {
		t.Errorf("node order %v", order)
	}
	dc2 := rep["datacenters"].(map[string]any)["dc2"].(map[string]any)
	if dc2["nodes"] != 1 || dc2["up"] != 1 || dc2["down"] != 0 || dc2["sidecars_unreachable"] != 0 {
		t.Errorf("dc2 %v", dc2)
	}
	// smoke ({dc1: 1}) is not meant to be read at LOCAL_* from dc2.
	if s := levelStatus(t, rep, "dc2", "smoke", "LOCAL_ONE"); s["status"] != "not_replicated_in_dc" {
		t.Errorf("smoke from dc2: %v", s)
	}
	if s := levelStatus(t, rep, "dc1", "ks3", "LOCAL_QUORUM"); s["status"] != "available" || s["unavailable_ranges"] != 0 || s["ranges"] != 48 {
		t.Errorf("ks3 from dc1: %v", s)
	}
	if !reflect.DeepEqual(rep["unreachable_sidecars"], []string{}) {
		t.Errorf("unreachable_sidecars %#v", rep["unreachable_sidecars"])
	}
	roundTrip(t, rep)
}

// The real cluster as captured keeps system_auth on SimpleStrategy RF 1:
// a third of its ranges cannot be read at LOCAL_ONE from dc1 even with
// every node up. Yellow, with the reason; never green, never red.
func TestClusterYellowByDesign(t *testing.T) {
	c := loadCapture(t)
	rep, ok := Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), peerStatuses(t, c, nil, nil), Config{}, t0)
	if !ok || rep["status"] != Yellow {
		t.Fatalf("status %v: %v", rep["status"], rep["reasons"])
	}
	reasons := strings.Join(strs(rep["reasons"]), "\n")
	if !strings.Contains(reasons, "system_auth cannot be served at LOCAL_ONE from dc1 even with every node up") {
		t.Errorf("reasons:\n%s", reasons)
	}
	if s := levelStatus(t, rep, "dc1", "system_auth", "LOCAL_ONE"); s["status"] != "unavailable_by_design" || s["unavailable_ranges"] != 16 {
		t.Errorf("system_auth from dc1: %v", s)
	}
}

// Kill 127.0.0.3, the only dc2 replica of ks3, and its sidecar with it.
func TestClusterRedWhenADCLosesItsReplicas(t *testing.T) {
	c := withNTSSystemKeyspaces(loadCapture(t))
	down := []string{"127.0.0.3:7000"}
	peers := peerStatuses(t, c, down, map[string]string{"127.0.0.3:7000": `Get "http://127.0.0.3:8080/v1/health/coordinator": dial tcp 127.0.0.3:8080: connect: connection refused`})
	rep, ok := Cluster(c.snapshotFrom(t, "127.0.0.1:7000", down...), peers, Config{}, t0)
	if ok || rep["status"] != Red {
		t.Fatalf("status %v", rep["status"])
	}
	reasons := strs(rep["reasons"])
	if !strings.HasPrefix(reasons[0], "ks3 cannot be served at LOCAL_ONE from dc2: 48 of 48 token ranges (e.g. the whole ring: 0 of 1 replicas alive, 1 required)") {
		t.Errorf("first reason %q", reasons[0])
	}
	// From dc1, LOCAL_QUORUM still holds: only dc2 is red.
	if s := levelStatus(t, rep, "dc1", "ks3", "LOCAL_QUORUM"); s["status"] != "available" {
		t.Errorf("ks3 LOCAL_QUORUM from dc1: %v", s)
	}
	s := levelStatus(t, rep, "dc2", "ks3", "LOCAL_ONE")
	if s["status"] != "unavailable" || s["unavailable_ranges"] != 48 {
		t.Errorf("ks3 LOCAL_ONE from dc2: %v", s)
	}
	n := nodeEntry(t, rep, "127.0.0.3:7000")
	if n["up"] != false || !strings.HasPrefix(n["sidecar"].(string), "unreachable: Get ") || n["sidecar_url"] != "http://127.0.0.3:8080" {
		t.Errorf("node 3: %v", n)
	}
	if !reflect.DeepEqual(n["seen_down_by"], []string{"127.0.0.1:7000", "127.0.0.2:7000"}) {
		t.Errorf("seen_down_by %v", n["seen_down_by"])
	}
	if !reflect.DeepEqual(rep["unreachable_sidecars"], []string{"127.0.0.3:7000"}) {
		t.Errorf("unreachable_sidecars %v", rep["unreachable_sidecars"])
	}
	dc2 := rep["datacenters"].(map[string]any)["dc2"].(map[string]any)
	if dc2["down"] != 1 || dc2["sidecars_unreachable"] != 1 {
		t.Errorf("dc2 %v", dc2)
	}
	roundTrip(t, rep)
}

// Stop a peer sidecar while its Cassandra keeps running: yellow, and the
// report names it.
func TestClusterNamesAStoppedSidecar(t *testing.T) {
	c := withNTSSystemKeyspaces(loadCapture(t))
	peers := peerStatuses(t, c, nil, map[string]string{"127.0.0.2:7000": "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"})
	rep, ok := Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), peers, Config{}, t0)
	if !ok || rep["status"] != Yellow {
		t.Fatalf("status %v: %v", rep["status"], rep["reasons"])
	}
	if !reflect.DeepEqual(rep["unreachable_sidecars"], []string{"127.0.0.2:7000"}) {
		t.Errorf("unreachable_sidecars %v", rep["unreachable_sidecars"])
	}
	n := nodeEntry(t, rep, "127.0.0.2:7000")
	if n["up"] != true || n["sidecar"] != "unreachable: context deadline exceeded (Client.Timeout exceeded while awaiting headers)" {
		t.Errorf("node 2: %v", n)
	}
	if r := strs(rep["reasons"]); len(r) != 1 || !strings.Contains(r[0], "127.0.0.2:7000") {
		t.Errorf("reasons %v", r)
	}
	// A peer nobody asked is not dropped either.
	only2 := slices.DeleteFunc(slices.Clone(peers), func(p PeerStatus) bool { return p.Endpoint != "127.0.0.2:7000" })
	rep, _ = Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), only2, Config{}, t0)
	if n := nodeEntry(t, rep, "127.0.0.3:7000"); !strings.HasPrefix(n["sidecar"].(string), "unreachable: not asked") {
		t.Errorf("unasked node 3: %v", n)
	}
	// Nor is a sidecar for a node the peers table does not list.
	extra := append(peerStatuses(t, c, nil, nil), PeerStatus{Endpoint: "127.0.0.4:7000", DC: "dc2", Rack: "rack2", Error: "connection refused"})
	rep, _ = Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), extra, Config{}, t0)
	if n := nodeEntry(t, rep, "127.0.0.4:7000"); n["sidecar"] != "unreachable: connection refused" || n["up"] != false {
		t.Errorf("extra node: %v", n)
	}
}

// A drained peer answers 503: its sidecar is "unhealthy", with its reasons.
func TestClusterUnhealthyPeer(t *testing.T) {
	c := withNTSSystemKeyspaces(loadCapture(t))
	peers := peerStatuses(t, c, nil, nil)
	s2 := c.snapshotFrom(t, "127.0.0.2:7000")
	s2.NativeActive, s2.OperationMode = false, "DRAINED"
	rep2, ok2 := Coordinator(s2, Config{}, t0)
	peers[1].Healthy, peers[1].Report, peers[1].Error = ok2, roundTrip(t, rep2), "HTTP 503"
	if peers[1].Endpoint != "127.0.0.2:7000" {
		t.Fatalf("peer order %v", peers[1].Endpoint)
	}
	rep, ok := Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), peers, Config{}, t0)
	if !ok || rep["status"] != Yellow {
		t.Fatalf("status %v", rep["status"])
	}
	n := nodeEntry(t, rep, "127.0.0.2:7000")
	if n["sidecar"] != "unhealthy" || !slices.ContainsFunc(strs(n["sidecar_reasons"]), func(r string) bool { return strings.Contains(r, "DRAINED") }) {
		t.Errorf("node 2: %v", n)
	}
	if !reflect.DeepEqual(rep["unhealthy_sidecars"], []string{"127.0.0.2:7000"}) {
		t.Errorf("unhealthy_sidecars %v", rep["unhealthy_sidecars"])
	}
	// This node's own coordinator state counts too.
	s1 := c.snapshotFrom(t, "127.0.0.1:7000")
	s1.NativeActive = false
	rep, _ = Cluster(s1, peerStatuses(t, c, nil, nil), Config{}, t0)
	if n := nodeEntry(t, rep, "127.0.0.1:7000"); n["sidecar"] != "unhealthy" || rep["status"] != Yellow {
		t.Errorf("self: %v, status %v", n, rep["status"])
	}
}

// 127.0.0.2 sees 127.0.0.3 down while this node sees it up: a partition.
func TestClusterPartition(t *testing.T) {
	c := withNTSSystemKeyspaces(loadCapture(t))
	peers := peerStatuses(t, c, nil, nil)
	rep2, _ := Coordinator(c.snapshotFrom(t, "127.0.0.2:7000", "127.0.0.3:7000"), Config{}, t0)
	peers[1].Report = roundTrip(t, rep2)
	rep, ok := Cluster(c.snapshotFrom(t, "127.0.0.1:7000"), peers, Config{}, t0)
	if !ok || rep["status"] != Yellow {
		t.Fatalf("status %v", rep["status"])
	}
	n := nodeEntry(t, rep, "127.0.0.3:7000")
	if n["up"] != true || !reflect.DeepEqual(n["seen_down_by"], []string{"127.0.0.2:7000"}) {
		t.Errorf("node 3: %v", n)
	}
	if !strings.Contains(strings.Join(strs(rep["reasons"]), "\n"), "partition") {
		t.Errorf("reasons %v", rep["reasons"])
	}
}

func TestClusterWithoutRing(t *testing.T) {
	s := &node.Snapshot{Taken: t0, Endpoint: "127.0.0.1:7000", Errors: []string{"cql: connection refused"}}
	rep, ok := Cluster(s, nil, Config{}, t0)
	if ok || rep["status"] != Red {
		t.Errorf("status %v", rep["status"])
	}
	roundTrip(t, rep)
}
