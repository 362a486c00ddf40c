package sidecar_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

func startDemo(t *testing.T, topology string, configure func(*sim.Node, *config.Config)) *demo.Demo {
	t.Helper()
	scfg, err := sim.TestConfig(topology, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond, Configure: configure})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %d, body is not JSON: %q", url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: Content-Type %q", url, ct)
	}
	return resp.StatusCode, m
}

// eventually polls a health endpoint until cond holds (the sidecar refreshes in the background).
func eventually(t *testing.T, url string, cond func(code int, m map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, m := get(t, url)
		if cond(code, m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never satisfied the condition; last: %d %v", url, code, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func strs(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, e := range l {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func TestHealthyCluster(t *testing.T) {
	d := startDemo(t, "dc1:3x1,dc2:3x1", nil)
	sc := d.Sidecars[0]
	for _, path := range []string{"/v1/health/coordinator", "/v1/health/coordinator/"} {
		code, m := get(t, sc.URL+path)
		if code != 200 {
			t.Fatalf("%s: %d %v", path, code, m)
		}
		// The CEP's field names.
		for _, k := range []string{"LOCAL_ONE_underreplicated_keyspaces", "LOCAL_QUORUM_underreplicated_keyspaces", "alive_peers", "dead_peers", "cassandra_running", "native_active"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %s: %v", path, k, m)
			}
		}
		if len(strs(m["alive_peers"])) != 6 || len(strs(m["dead_peers"])) != 0 || m["cassandra_running"] != true || m["native_active"] != true {
			t.Errorf("%s: %v", path, m)
		}
	}
	code, m := get(t, sc.URL+"/v1/health/replica/")
	if code != 200 || m["config_sync"] != "GOOD" || m["corrupt_sstables"] != float64(0) || m["gossip_active"] != true || m["id"] != sc.Node.HostID.String() || len(strs(m["tokens"])) != 16 {
		t.Fatalf("replica: %d %v", code, m)
	}
	eventually(t, sc.URL+"/v1/health/cluster", func(code int, m map[string]any) bool { return code == 200 && m["status"] == "green" })
	resp, err := http.Get(sc.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ringside_health_status{check="coordinator"} 1`, `ringside_health_status{check="replica"} 1`, `ringside_http_requests_total{code="200",handler="coordinator"}`, "ringside_refresh_age_seconds",
		`ringside_node_state{state="RUNNING"} 1`, `ringside_node_state{state="STOPPED"} 0`, "ringside_node_cassandra_running 1"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestCoordinatorUnderreplicated(t *testing.T) {
	d := startDemo(t, "dc1:3x1,dc2:3x1", nil)
	nodes := d.Cluster.Nodes()
	cc := gocql.NewCluster(nodes[0].Addr.String())
	cc.Port = d.Cluster.Config().NativePort
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Query("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}").Exec(); err != nil {
		t.Fatal(err)
	}
	nodes[1].Kill()
	nodes[2].Kill()
	url := d.Sidecars[0].URL + "/v1/health/coordinator"
	m := eventually(t, url, func(code int, m map[string]any) bool {
		return code == 503 && contains(strs(m["LOCAL_QUORUM_underreplicated_keyspaces"]), "app")
	})
	if contains(strs(m["LOCAL_ONE_underreplicated_keyspaces"]), "app") {
		t.Errorf("app still has a live local replica, yet listed under LOCAL_ONE: %v", m)
	}
	if dead := strs(m["dead_peers"]); len(dead) != 2 || !contains(dead, nodes[1].Endpoint()) || !contains(dead, nodes[2].Endpoint()) {
		t.Errorf("dead_peers %v", dead)
	}
	// dc2's coordinator is unaffected at LOCAL_QUORUM.
	code, m := get(t, d.Sidecars[3].URL+"/v1/health/coordinator")
	if contains(strs(m["LOCAL_QUORUM_underreplicated_keyspaces"]), "app") {
		t.Errorf("dc2 coordinator lists app under LOCAL_QUORUM: %d %v", code, m)
	}
}

func TestDrainedNode(t *testing.T) {
	d := startDemo(t, "dc1:3x1", nil)
	d.Cluster.Nodes()[0].Drain()
	m := eventually(t, d.Sidecars[0].URL+"/v1/health/coordinator", func(code int, m map[string]any) bool {
		return code == 503 && m["native_active"] == false
	})
	if m["cassandra_running"] != true {
		t.Errorf("a drained node is still running: %v", m)
	}
	eventually(t, d.Sidecars[0].URL+"/v1/health/replica", func(code int, m map[string]any) bool {
		return code == 503 && m["gossip_active"] == false
	})
}

func TestCorruptSSTable(t *testing.T) {
	d := startDemo(t, "dc1:1x1", nil)
	f, err := d.Cluster.Nodes()[0].Corrupt("empty")
	if err != nil {
		t.Fatal(err)
	}
	m := eventually(t, d.Sidecars[0].URL+"/v1/health/replica", func(code int, m map[string]any) bool {
		return code == 503 && m["corrupt_sstables"] == float64(1)
	})
	if !strings.Contains(fmt.Sprint(m), strings.TrimSuffix(f, "Data.db")) {
		t.Errorf("replica report does not name %s: %v", f, m)
	}
}

func TestConfigSync(t *testing.T) {
	d := startDemo(t, "dc1:1x1", nil)
	n := d.Cluster.Nodes()[0]
	b, err := os.ReadFile(n.YAMLPath())
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), "compaction_throughput: 64MiB/s", "compaction_throughput: 32MiB/s", 1)
	if changed == string(b) {
		t.Fatalf("cassandra.yaml has no compaction_throughput: 64MiB/s line:\n%s", b)
	}
	if err := os.WriteFile(n.YAMLPath(), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	m := eventually(t, d.Sidecars[0].URL+"/v1/health/replica", func(code int, m map[string]any) bool { return m["config_sync"] == "BAD" })
	if !strings.Contains(fmt.Sprint(m["config_diff"]), "compaction_throughput") {
		t.Errorf("config_diff does not name compaction_throughput: %v", m["config_diff"])
	}
}

func TestClusterNamesStoppedSidecar(t *testing.T) {
	d := startDemo(t, "dc1:3x1", nil)
	d.Sidecars[2].Stop()
	m := eventually(t, d.Sidecars[0].URL+"/v1/health/cluster", func(code int, m map[string]any) bool {
		return strings.Contains(fmt.Sprint(m["unreachable_sidecars"]), d.Sidecars[2].Node.Addr.String())
	})
	if m["status"] == "green" {
		t.Errorf("cluster green with a sidecar down: %v", m)
	}
}

func TestBadRequests(t *testing.T) {
	d := startDemo(t, "dc1:1x1", nil)
	u := d.Sidecars[0].URL
	code, m := get(t, u+"/v1/nope")
	if code != 404 || m["error"] == nil {
		t.Errorf("unknown path: %d %v", code, m)
	}
	resp, err := http.Post(u+"/v1/health/coordinator", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST to a GET endpoint: %d", resp.StatusCode)
	}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// TestBulkDrainKeepsConsistency: a drain that would take a token range
// of a user keyspace below health.consistency_levels (LOCAL_ONE,
// LOCAL_QUORUM) is refused before anything runs; one node at a time is fine.
func TestBulkDrainKeepsConsistency(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1,dc2:3x1", nil)
	if err := cqlSession(t, d).Query("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}").Exec(); err != nil {
		t.Fatal(err)
	}
	base := d.Sidecars[0].URL
	eventually(t, base+"/v1/health/cluster", func(_ int, m map[string]any) bool { // the sidecar has seen app
		dcs, _ := m["datacenters"].(map[string]any)
		dc, _ := dcs["dc1"].(map[string]any)
		ks, _ := dc["keyspaces"].(map[string]any)
		return ks["app"] != nil
	})
	for deadline := time.Now().Add(10 * time.Second); len(d.Sidecars[0].Targets()) < len(d.Sidecars); {
		if time.Now().After(deadline) {
			t.Fatal("the first sidecar never learned every node")
		}
		time.Sleep(50 * time.Millisecond)
	}
	two := d.Sidecars[1].Node.HostID.String() + "," + d.Sidecars[2].Node.HostID.String()
	for _, q := range []string{"", "?dc=dc1", "?hosts=" + two} {
		resp, err := http.Post(base+"/v1/bulkcmd/drain"+q, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if testing.Verbose() {
			t.Logf("drain%s: %s", q, b)
		}
		if resp.StatusCode != 409 || !strings.Contains(string(b), "LOCAL_QUORUM") {
			t.Errorf("drain%s: %d %s", q, resp.StatusCode, b)
		}
	}
	for _, sc := range d.Sidecars {
		if m := sc.Node.Status().OperationMode; m != "NORMAL" {
			t.Fatalf("a refused drain changed %s: %s", sc.Node.Addr, m)
		}
	}
	one := d.Sidecars[1].Node
	resp, err := http.Post(base+"/v1/bulkcmd/drain?hosts="+one.HostID.String(), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || one.Status().OperationMode != "DRAINED" {
		t.Errorf("drain of one node: %d %s (mode %s)", resp.StatusCode, b, one.Status().OperationMode)
	}
}
