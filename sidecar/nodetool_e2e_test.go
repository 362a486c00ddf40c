package sidecar_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/sim"
)

// Issue 12: without a Jolokia agent ringside reads what it can over CQL and
// runs nodetool (here the simulator's, through each node's bin/nodetool)
// only for peer liveness, cached for cassandra.nodetool_interval, and
// afresh before a decision that takes nodes down.

// nodetoolMode configures the sidecars of the nodes pick selects (all when
// nil) without Jolokia, with the node's bin/nodetool and the given interval.
func nodetoolMode(interval time.Duration, pick func(*sim.Node) bool) func(*sim.Node, *config.Config) {
	return func(n *sim.Node, c *config.Config) {
		if pick != nil && !pick(n) {
			return
		}
		c.Cassandra.JolokiaURL = ""
		c.Cassandra.Nodetool = n.NodetoolPath()
		c.Cassandra.NodetoolInterval = interval
		// A run execs this test binary (simtest.Main): with -race and
		// every package's tests in parallel that can take seconds.
		c.Cassandra.Timeout = 15 * time.Second
	}
}

// source is one entry of a health answer's data_sources.
func source(t *testing.T, m map[string]any, name string) map[string]any {
	t.Helper()
	l, _ := m["data_sources"].([]any)
	for _, e := range l {
		if s, _ := e.(map[string]any); s["source"] == name {
			return s
		}
	}
	t.Fatalf("no data source %q in %v", name, m["data_sources"])
	return nil
}

func sourceNames(m map[string]any) []string {
	var out []string
	l, _ := m["data_sources"].([]any)
	for _, e := range l {
		s, _ := e.(map[string]any)
		out = append(out, fmt.Sprint(s["source"]))
	}
	return out
}

// refreshes polls a health answer until it has seen n different as_of
// values (n refreshes of the sidecar) and returns the last answer.
func refreshes(t *testing.T, url string, n int) map[string]any {
	t.Helper()
	seen := map[any]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, m := get(t, url)
		seen[m["as_of"]] = true
		if len(seen) >= n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: only %d refreshes seen", url, len(seen))
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// TestNodetoolModeHealth: healthy answers with data_sources, one nodetool
// run over 30 refreshes, and a Jolokia-mode sidecar beside it that runs
// none. A bulk drain through nodetool then shows in the drained node's
// answers, read from nodetool info and netstats while CQL is gone.
func TestNodetoolModeHealth(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", nodetoolMode(time.Hour, func(n *sim.Node) bool { return n.Index() < 2 }))
	sc := d.Sidecars[0]
	first := refreshes(t, sc.URL+"/v1/health/coordinator", 2)
	m := refreshes(t, sc.URL+"/v1/health/coordinator", 30)
	code, _ := get(t, sc.URL+"/v1/health/coordinator")
	if code != 200 || m["native_active"] != true || m["cassandra_running"] != true || m["operation_mode"] != "NORMAL" ||
		len(strs(m["alive_peers"])) != 3 || len(strs(m["dead_peers"])) != 0 {
		t.Fatalf("coordinator: %d %v", code, m)
	}
	if got := sourceNames(m); !slices.Equal(got, []string{"cql", "nodetool status"}) {
		t.Fatalf("data_sources %v", got)
	}
	// CQL is read at every refresh; the status run is the one from the start.
	cq, st := source(t, m, "cql"), source(t, m, "nodetool status")
	if cq["as_of"] != m["as_of"] || st["as_of"] != source(t, first, "nodetool status")["as_of"] || !(fmt.Sprint(st["as_of"]) < fmt.Sprint(m["as_of"])) {
		t.Errorf("as_of: answer %v, cql %v, nodetool status %v (first answer's %v)", m["as_of"], cq["as_of"], st["as_of"], source(t, first, "nodetool status")["as_of"])
	}
	if fmt.Sprint(st["fields"]) != "[alive_peers dead_peers]" || !slices.Contains(strs(cq["fields"]), "native_active") {
		t.Errorf("fields: cql %v, nodetool status %v", cq["fields"], st["fields"])
	}
	code, rep := get(t, sc.URL+"/v1/health/replica")
	if code != 200 || rep["gossip_active"] != true || !slices.Contains(strs(source(t, rep, "cql")["fields"]), "gossip_active") {
		t.Fatalf("replica: %d %v", code, rep)
	}
	for i, sc := range d.Sidecars {
		runs := sc.Node.Status().NodetoolRuns
		if want := int64(1); i == 2 {
			want = 0 // Jolokia mode: no nodetool at all
			if _, m := get(t, sc.URL+"/v1/health/coordinator"); !slices.Equal(sourceNames(m), []string{"cql", "jmx"}) {
				t.Errorf("Jolokia-mode data_sources %v", sourceNames(m))
			}
		} else if runs != want {
			t.Errorf("node %d: %d nodetool runs over 30 refreshes at a 1h interval, want %d", i, runs, want)
		}
		if i == 2 && runs != 0 {
			t.Errorf("Jolokia-mode node ran nodetool %d times", runs)
		}
	}

	// A bulk drain of one node (allowed: 2 of 3 replicas stay), through
	// its sidecar's nodetool.
	one := d.Sidecars[1]
	resp, err := http.Post(sc.URL+"/v1/bulkcmd/drain?hosts="+one.Node.HostID.String(), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || one.Node.Status().OperationMode != "DRAINED" {
		t.Fatalf("drain: %d %s (mode %s)", resp.StatusCode, b, one.Node.Status().OperationMode)
	}
	m = eventually(t, one.URL+"/v1/health/coordinator", func(code int, m map[string]any) bool {
		return code == 503 && m["operation_mode"] == "DRAINED"
	})
	if m["native_active"] != false || m["cassandra_running"] != true || !slices.Contains(sourceNames(m), "nodetool netstats") || !slices.Contains(sourceNames(m), "nodetool info") {
		t.Errorf("drained node's coordinator answer: %v", m)
	}
	_, rep = get(t, one.URL+"/v1/health/replica")
	if rep["gossip_active"] != false || !slices.Contains(strs(source(t, rep, "nodetool info")["fields"]), "gossip_active") {
		t.Errorf("drained node's replica answer: %v", rep)
	}
}

// TestNodetoolModeStopRefusedOnFreshLiveness: a peer is killed while the
// cached `nodetool status` still says it is up. Stopping this node would
// leave a keyspace with RF 3 with one replica, below LOCAL_QUORUM: the stop
// and a bulk drain are refused, because the decision ran `nodetool status`
// afresh.
func TestNodetoolModeStopRefusedOnFreshLiveness(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", nodetoolMode(time.Hour, nil))
	sc, victim := d.Sidecars[0], d.Sidecars[2].Node
	cc := gocql.NewCluster(sc.Node.Addr.String())
	cc.Port = d.Cluster.Config().NativePort
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	err = s.Query("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}").Exec()
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, sc.URL+"/v1/health/coordinator", func(code int, _ map[string]any) bool { return code == 200 })
	// The cached answer must be older than what a decision accepts (3 s).
	_, m := get(t, sc.URL+"/v1/health/coordinator")
	cached, err := time.Parse("2006-01-02T15:04:05.000Z07:00", fmt.Sprint(source(t, m, "nodetool status")["as_of"]))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(cached.Add(4 * time.Second)))

	victim.Kill()
	time.Sleep(3 * d.Cluster.Config().FailureDetection) // the node's own view has it down
	if _, m := get(t, sc.URL+"/v1/health/coordinator"); len(strs(m["dead_peers"])) != 0 {
		t.Fatalf("the cached liveness already shows the kill (the test proves nothing): %v", m["dead_peers"])
	}
	runs := sc.Node.Status().NodetoolRuns
	code, res := post(t, sc.URL+"/v1/desires/node/stop?block")
	if code != 409 || !strings.Contains(fmt.Sprint(res["error"]), "LOCAL_QUORUM") || sc.Node.State() != sim.StateRunning {
		t.Fatalf("stop with a peer down: %d %v (node %s)", code, res, sc.Node.State())
	}
	if got := sc.Node.Status().NodetoolRuns - runs; got != 1 {
		t.Errorf("the stop decision ran nodetool %d times, want 1", got)
	}
	// The bulk drain of another node is refused too.
	resp, err := http.Post(sc.URL+"/v1/bulkcmd/drain?hosts="+d.Sidecars[1].Node.HostID.String(), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || d.Sidecars[1].Node.Status().OperationMode != "NORMAL" {
		t.Errorf("drain with a peer down: %d %s", resp.StatusCode, b)
	}
	if got := sc.Node.Status().NodetoolRuns - runs; got > 2 {
		t.Errorf("two decisions ran nodetool %d times", got)
	}
	// The fresh run also refreshed the cache the answers come from.
	eventually(t, sc.URL+"/v1/health/coordinator", func(_ int, m map[string]any) bool {
		return slices.Equal(strs(m["dead_peers"]), []string{victim.Endpoint()})
	})
}

// TestNodetoolModeStopStart: stop?block and start?block work without
// Jolokia (drain through nodetool; the start waits for health, which CQL
// gives), and take a handful of nodetool runs, not one per refresh.
func TestNodetoolModeStopStart(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", func(n *sim.Node, c *config.Config) {
		nodetoolMode(time.Minute, nil)(n, c)
		c.Lifecycle.Grace = 500 * time.Millisecond
	})
	sc := d.Sidecars[0]
	eventually(t, sc.URL+"/v1/health/coordinator", func(code int, _ map[string]any) bool { return code == 200 })
	runs := sc.Node.Status().NodetoolRuns
	if code, res := post(t, sc.URL+"/v1/desires/node/stop?block"); code != 200 || res["outcome"] != "succeeded" {
		t.Fatalf("stop: %d %v", code, res)
	}
	during := sc.Node.Status().NodetoolRuns - runs
	if code, res := post(t, sc.URL+"/v1/desires/node/start?block"); code != 200 || res["outcome"] != "succeeded" {
		t.Fatalf("start: %d %v", code, res)
	}
	// The stop: status (its decision) and drain (CQL answered moments
	// before, so no netstats), then info and netstats once CQL is gone;
	// the start: no more (they ran since CQL went away, a minute has not
	// passed), maybe one status run on a gossip change.
	if during > 4 {
		t.Errorf("the stop ran nodetool %d times", during)
	}
	if total := sc.Node.Status().NodetoolRuns - runs; total > 6 {
		t.Errorf("stop and start ran nodetool %d times", total)
	}
	code, m := get(t, sc.URL+"/v1/health/replica")
	if code != 200 || m["gossip_active"] != true {
		t.Errorf("replica after the start: %d %v", code, m)
	}
}

// jmxRead reads a node's attribute through its own Jolokia agent (the
// simulator's JMX), whatever the sidecar is configured with.
func jmxRead(t *testing.T, d *demo.Demo, n *sim.Node, mbean, attr string) string {
	t.Helper()
	j := &node.Jolokia{URL: fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, d.Cluster.Config().JolokiaPort)}
	v, err := j.ReadAttr(context.Background(), mbean, attr)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(v)
}

func put(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNodetoolModeSettings: PUT /v1/settings through nodetool's setters,
// locally and across the cluster, read back through each node's JMX.
func TestNodetoolModeSettings(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", nodetoolMode(time.Minute, nil))
	sc := d.Sidecars[0]
	const ss = "org.apache.cassandra.db:type=StorageService"
	code, body := put(t, sc.URL+"/v1/settings", `{"compaction_throughput": "12MiB/s", "hinted_handoff_throttle_in_kb": 2048, "read_request_timeout": "7s"}`)
	if code != 200 || !strings.Contains(body, `"runtime":{"compaction_throughput":"12MiB/s","hinted_handoff_throttle_in_kb":2048,"read_request_timeout":"7000ms"}`) {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if v := jmxRead(t, d, sc.Node, ss, "CompactionThroughputMbPerSec"); v != "12" {
		t.Errorf("CompactionThroughputMbPerSec = %s", v)
	}
	if v := jmxRead(t, d, sc.Node, ss, "ReadRpcTimeout"); v != "7000" {
		t.Errorf("ReadRpcTimeout = %s", v)
	}
	if v := jmxRead(t, d, d.Sidecars[1].Node, ss, "CompactionThroughputMbPerSec"); v != "64" {
		t.Errorf("a local PUT changed another node: %s", v)
	}
	// No nodetool command sets it: refused whole, nothing applied.
	code, body = put(t, sc.URL+"/v1/settings", `{"compaction_throughput": "20MiB/s", "tombstone_warn_threshold": 2000}`)
	if code != 503 || !strings.Contains(body, `"tombstone_warn_threshold":"no nodetool command sets it`) || jmxRead(t, d, sc.Node, ss, "CompactionThroughputMbPerSec") != "12" {
		t.Errorf("PUT of a key without a nodetool setter: %d %s", code, body)
	}
	// The whole cluster, each node through its own sidecar's nodetool.
	code, body = put(t, sc.URL+"/v1/settings?scope=cluster", `{"stream_throughput_outbound": "48MiB/s"}`)
	if code != 200 || !strings.Contains(body, `"failure":[]`) {
		t.Fatalf("cluster PUT: %d %s", code, body)
	}
	for _, s := range d.Sidecars {
		if v := jmxRead(t, d, s.Node, ss, "StreamThroughputMebibytesPerSec"); v != "48" {
			t.Errorf("%s: StreamThroughputMebibytesPerSec = %s", s.Node.Addr, v)
		}
	}
}
