package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// startCluster starts a simulated cluster (with node directories, so
// pidfiles exist) and stops it at the end of the test.
func startCluster(t *testing.T, topology string, adjust func(*sim.Config)) *sim.Cluster {
	return simtest.Start(t, topology, true, adjust)
}

func jolokiaURL(c *sim.Cluster, n *sim.Node) string {
	return fmt.Sprintf("http://%s/jolokia/", net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().JolokiaPort)))
}

// adapterFor is an adapter for node n as `ringside serve` beside it would configure it.
func adapterFor(t *testing.T, c *sim.Cluster, n *sim.Node) *Adapter {
	t.Helper()
	cfg := Config{
		CQLAddress: net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().NativePort)),
		JolokiaURL: jolokiaURL(c, n),
		PIDFile:    filepath.Join(c.Config().Dir, n.Addr.String(), "cassandra.pid"),
		Timeout:    3 * time.Second,
	}
	if a := c.Config().Auth; a != nil {
		cfg.Username, cfg.Password = a.Username, a.Password
	}
	a := New(cfg, nil)
	t.Cleanup(a.Close)
	return a
}

func endpoints(nodes []*sim.Node) []string {
	var eps []string
	for _, n := range nodes {
		eps = append(eps, n.Endpoint())
	}
	slices.Sort(eps)
	return eps
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func hasError(s *Snapshot, prefix string) bool {
	for _, e := range s.Errors {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// waitSnapshot takes snapshots until ok holds (or fails after 10 s).
func waitSnapshot(t *testing.T, a *Adapter, what string, ok func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := a.Snapshot(context.Background())
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: last snapshot %+v", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkHealthy: everything a healthy node of the cluster reports.
func checkHealthy(t *testing.T, c *sim.Cluster, n *sim.Node, s *Snapshot) {
	t.Helper()
	if len(s.Errors) != 0 {
		t.Errorf("errors: %q", s.Errors)
	}
	if !s.CassandraRunning || !s.NativeActive || !s.GossipActive || s.OperationMode != "NORMAL" || s.PID != n.PID() || s.PID == 0 {
		t.Errorf("state: running %v native %v gossip %v mode %q pid %d (node pid %d)",
			s.CassandraRunning, s.NativeActive, s.GossipActive, s.OperationMode, s.PID, n.PID())
	}
	if got, want := sorted(s.LiveEndpoints), endpoints(c.Nodes()); !reflect.DeepEqual(got, want) {
		t.Errorf("live %v, want %v", got, want)
	}
	if len(s.UnreachableEndpoints) != 0 {
		t.Errorf("unreachable %v", s.UnreachableEndpoints)
	}
	cfg := c.Config()
	if s.HostID != n.HostID.String() || s.Endpoint != n.Endpoint() || s.DC != n.DC || s.Rack != n.Rack ||
		s.NativeAddress != net.JoinHostPort(n.Addr.String(), fmt.Sprint(cfg.NativePort)) ||
		s.ReleaseVersion != cfg.ReleaseVersion || s.ClusterName != cfg.ClusterName || s.SchemaVersion == "" ||
		len(s.Tokens) != cfg.NumTokens {
		t.Errorf("local: %+v", s)
	}
	if len(s.Peers) != len(c.Nodes())-1 {
		t.Fatalf("%d peers", len(s.Peers))
	}
	for _, p := range s.Peers {
		var peer *sim.Node
		for _, m := range c.Nodes() {
			if m.Endpoint() == p.Endpoint {
				peer = m
			}
		}
		if peer == nil || peer == n || p.HostID != peer.HostID.String() || p.DC != peer.DC || p.Rack != peer.Rack ||
			p.NativeAddress != net.JoinHostPort(peer.Addr.String(), fmt.Sprint(cfg.NativePort)) ||
			p.Release != peer.Release || len(p.Tokens) != cfg.NumTokens {
			t.Errorf("peer %+v", p)
		}
	}
	ks := map[string]map[string]string{}
	for _, k := range s.Keyspaces {
		ks[k.Name] = k.Replication
	}
	for _, name := range []string{"system", "system_schema", "system_auth", "system_distributed", "system_traces"} {
		if ks[name] == nil {
			t.Errorf("keyspace %s missing from %v", name, ks)
		}
	}
	if ks["system_auth"]["class"] != "org.apache.cassandra.locator.SimpleStrategy" || ks["system"]["class"] != "org.apache.cassandra.locator.LocalStrategy" {
		t.Errorf("replication %v", ks)
	}
	if len(s.Settings) < 100 || s.Settings["storage_port"] != fmt.Sprint(cfg.StoragePort) || s.Settings["cluster_name"] != cfg.ClusterName {
		t.Errorf("%d settings, storage_port %q", len(s.Settings), s.Settings["storage_port"])
	}
	if _, ok := s.Settings["allocate_tokens_for_keyspace"]; ok {
		t.Error("a null setting is present")
	}
}

// TestSnapshotLifecycle: a healthy node, two peers killed, the local node
// drained through Jolokia, stopped, and started again.
func TestSnapshotLifecycle(t *testing.T) {
	c := startCluster(t, "dc1:3x1,dc2:3x1", nil)
	n := c.Nodes()[0]
	a := adapterFor(t, c, n)

	s := a.Snapshot(context.Background())
	checkHealthy(t, c, n, s)
	sess := a.cql.sess
	checkHealthy(t, c, n, a.Snapshot(context.Background()))
	if a.cql.sess != sess {
		t.Error("the CQL session was not reused")
	}
	// Snapshots may be taken concurrently (health checks, API requests).
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s := a.Snapshot(context.Background()); len(s.Errors) != 0 || len(s.Peers) != 5 {
				t.Errorf("concurrent snapshot: errors %q, %d peers", s.Errors, len(s.Peers))
			}
		}()
	}
	wg.Wait()

	// Two peers crash: after the failure-detection delay they are unreachable.
	killed := []*sim.Node{c.Nodes()[2], c.Nodes()[4]}
	for _, k := range killed {
		k.Kill()
	}
	s = waitSnapshot(t, a, "killed peers unreachable", func(s *Snapshot) bool {
		return len(s.UnreachableEndpoints) == 2
	})
	if got := sorted(s.UnreachableEndpoints); !reflect.DeepEqual(got, endpoints(killed)) {
		t.Errorf("unreachable %v, want %v", got, endpoints(killed))
	}
	var up []*sim.Node
	for _, m := range c.Nodes() {
		if !slices.Contains(killed, m) {
			up = append(up, m)
		}
	}
	if got := sorted(s.LiveEndpoints); !reflect.DeepEqual(got, endpoints(up)) {
		t.Errorf("live %v, want %v", got, endpoints(up))
	}
	if !s.CassandraRunning || !s.NativeActive || !s.GossipActive || len(s.Errors) != 0 {
		t.Errorf("local node after peers died: %+v", s)
	}

	// Drain through the adapter's Jolokia handle: JMX still answers, CQL is closed.
	if _, err := a.Jolokia().Exec(context.Background(), StorageServiceMBean, "drain"); err != nil {
		t.Fatal(err)
	}
	s = a.Snapshot(context.Background())
	if !s.CassandraRunning || s.NativeActive || s.GossipActive || s.OperationMode != "DRAINED" || s.PID == 0 {
		t.Errorf("drained: running %v native %v gossip %v mode %q pid %d", s.CassandraRunning, s.NativeActive, s.GossipActive, s.OperationMode, s.PID)
	}
	if !hasError(s, "cql: ") || hasError(s, "jmx: ") {
		t.Errorf("drained errors: %q", s.Errors)
	}

	// Stopped: nothing answers, the pid is gone.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	s = a.Snapshot(context.Background())
	if s.CassandraRunning || s.NativeActive || s.GossipActive || s.OperationMode != "" || s.PID != 0 {
		t.Errorf("stopped: %+v", s)
	}
	if !hasError(s, "cql: ") || !hasError(s, "jmx: ") || !hasError(s, "pidfile: ") {
		t.Errorf("stopped errors: %q", s.Errors)
	}

	// Started again: the same adapter reconnects.
	for _, m := range append(killed, n) {
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
	}
	waitSnapshot(t, a, "restarted node healthy", func(s *Snapshot) bool {
		return len(s.Errors) == 0 && s.OperationMode == "NORMAL" && len(s.LiveEndpoints) == len(c.Nodes())
	})
	checkHealthy(t, c, n, a.Snapshot(context.Background()))
}

// TestSnapshotAuth: PasswordAuthenticator credentials reach the session.
func TestSnapshotAuth(t *testing.T) {
	c := startCluster(t, "dc1:3x1", func(cfg *sim.Config) {
		cfg.Auth = &sim.AuthConfig{Username: "cassandra", Password: "s3cret"}
	})
	n := c.Nodes()[1]
	checkHealthy(t, c, n, adapterFor(t, c, n).Snapshot(context.Background()))

	a := New(Config{CQLAddress: net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().NativePort)),
		Username: "cassandra", Password: "wrong", JolokiaURL: jolokiaURL(c, n), Timeout: 3 * time.Second}, nil)
	defer a.Close()
	s := a.Snapshot(context.Background())
	// JMX still proves the node runs and its native transport is up.
	if !hasError(s, "cql: ") || !s.CassandraRunning || !s.NativeActive || s.HostID != n.HostID.String() {
		t.Errorf("bad password: %+v", s)
	}
}

// TestJolokiaSim: the client against a simulated node's agent.
func TestJolokiaSim(t *testing.T) {
	c := startCluster(t, "dc1:3x1", nil)
	n := c.Nodes()[0]
	j := &Jolokia{URL: jolokiaURL(c, n)}
	ctx := context.Background()

	// The list form gives an object even for one attribute.
	m, err := j.Read(ctx, StorageServiceMBean, "OperationMode")
	if err != nil || !reflect.DeepEqual(m, map[string]any{"OperationMode": "NORMAL"}) {
		t.Fatalf("Read = %v, %v", m, err)
	}
	m, err = j.Read(ctx, StorageServiceMBean, snapshotAttrs...)
	if err != nil || len(m) != len(snapshotAttrs) || m["LocalHostId"] != n.HostID.String() || m["NativeTransportRunning"] != true {
		t.Fatalf("Read = %v, %v", m, err)
	}
	if live, err := asStrings(m["LiveNodesWithPort"]); err != nil || !reflect.DeepEqual(sorted(live), endpoints(c.Nodes())) {
		t.Errorf("LiveNodesWithPort %v, %v", m["LiveNodesWithPort"], err)
	}

	old, err := j.Write(ctx, StorageServiceMBean, "CompactionThroughputMbPerSec", 48)
	if err != nil {
		t.Fatal(err)
	}
	v, err := j.ReadAttr(ctx, StorageServiceMBean, "CompactionThroughputMbPerSec")
	if err != nil || v != json48 {
		t.Errorf("after write: %#v, %v", v, err)
	}
	if _, err := j.Write(ctx, StorageServiceMBean, "CompactionThroughputMbPerSec", old); err != nil {
		t.Fatal(err)
	}

	if _, err := j.Exec(ctx, StorageServiceMBean, "forceKeyspaceFlush", "system_auth", []string(nil)); err != nil {
		t.Errorf("flush: %v", err)
	}
	_, err = j.Exec(ctx, StorageServiceMBean, "forceKeyspaceFlush", "no_such_keyspace", []string{})
	var je *JolokiaError
	if !errors.As(err, &je) || je.Status != 400 || je.Message != "java.lang.IllegalArgumentException : Keyspace no_such_keyspace does not exist" {
		t.Errorf("flush of unknown keyspace: %v", err)
	}
	v, err = j.Exec(ctx, StorageServiceMBean, "getNaturalEndpointsWithPort(java.lang.String,java.lang.String,java.lang.String)", "system_auth", "roles", "cassandra")
	if eps, err2 := asStrings(v); err != nil || err2 != nil || len(eps) != 1 {
		t.Errorf("natural endpoints %v, %v", v, err)
	}
	_, err = j.Exec(ctx, StorageServiceMBean, "getNaturalEndpointsWithPort", "system_auth", "roles", "cassandra")
	if !IsJolokiaStatus(err, 400) || !strings.Contains(err.Error(), "is overloaded") {
		t.Errorf("overloaded by name: %v", err)
	}
	_, err = j.Read(ctx, "org.apache.cassandra.db:type=NoSuchMBean", "X")
	if !errors.As(err, &je) || je.Status != 404 || je.ErrorType != "javax.management.InstanceNotFoundException" {
		t.Errorf("no such MBean: %v", err)
	}
	resps, err := j.Bulk(ctx, JolokiaRequest{Type: "version"}, JolokiaRequest{Type: "read", MBean: StorageServiceMBean, Attribute: "Nope"})
	if err != nil || resps[0].Err() != nil || !IsJolokiaStatus(resps[1].Err(), 404) {
		t.Errorf("bulk %+v, %v", resps, err)
	}
}

var json48 = json.Number("48")

// TestPeersFallback: where peers_v2 does not exist, system.peers is read
// (the sim's missing-table error is Cassandra's InvalidRequest).
func TestPeersFallback(t *testing.T) {
	c := startCluster(t, "dc1:2x1,dc2:1x1", nil)
	n := c.Nodes()[0]
	a := adapterFor(t, c, n)
	want := a.Snapshot(context.Background()).Peers
	a.cql.peersV2 = "system.peers_v2_missing"
	s := a.Snapshot(context.Background())
	if len(s.Errors) != 0 || len(want) != 2 || !reflect.DeepEqual(s.Peers, want) {
		t.Errorf("fallback peers %+v (errors %q), want %+v", s.Peers, s.Errors, want)
	}
}

type fakeRequestError struct {
	code int
	msg  string
}

func (e fakeRequestError) Code() int       { return e.code }
func (e fakeRequestError) Message() string { return e.msg }
func (e fakeRequestError) Error() string   { return e.msg }

func TestPeersV2Missing(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fakeRequestError{gocql.ErrCodeInvalid, "unconfigured table peers_v2"}, true},        // 3.x
		{fakeRequestError{gocql.ErrCodeInvalid, "table peers_v2 does not exist"}, true},      // 4.x wording
		{fakeRequestError{gocql.ErrCodeInvalid, "Undefined column name native_port"}, false}, // other invalid requests
		{fakeRequestError{gocql.ErrCodeUnavailable, "table peers_v2 does not exist"}, false},
		{gocql.ErrNoConnections, false},
	} {
		if got := peersV2Missing(c.err); got != c.want {
			t.Errorf("%v: %v", c.err, got)
		}
	}
}

// nodetoolAdapter: an adapter without Jolokia whose nodetool is the fake
// replaying captured output, and whose CQL port is closed.
func nodetoolAdapter(t *testing.T, captures ...string) *Adapter {
	t.Helper()
	t.Setenv("FAKE_NODETOOL_CAPTURE", strings.Join(captures, ":"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	a := New(Config{
		CQLAddress:   closed,
		Nodetool:     "sh",
		NodetoolArgs: []string{fakeNodetool, "-h", "127.0.0.1", "-p", "7199"},
		Timeout:      10 * time.Second,
	}, nil)
	t.Cleanup(a.Close)
	return a
}

// TestSnapshotNodetool: the fallback builds a Snapshot from real 4.1.6 output.
func TestSnapshotNodetool(t *testing.T) {
	a := nodetoolAdapter(t, nodetoolCapture)
	if a.Jolokia() != nil || a.Nodetool() == nil {
		t.Fatal("handles")
	}
	s := a.Snapshot(context.Background())
	if !s.CassandraRunning || !s.NativeActive || !s.GossipActive || s.OperationMode != "NORMAL" {
		t.Errorf("state: %+v", s)
	}
	if !reflect.DeepEqual(s.LiveEndpoints, []string{"127.0.0.2:7000", "127.0.0.1:7000", "127.0.0.3:7000"}) || len(s.UnreachableEndpoints) != 0 {
		t.Errorf("live %v unreachable %v", s.LiveEndpoints, s.UnreachableEndpoints)
	}
	if len(s.Errors) != 1 || !strings.HasPrefix(s.Errors[0], "cql: connect ") {
		t.Errorf("errors %q", s.Errors)
	}
}

// TestSnapshotNodetoolNodeDown: node-down.txt's status (127.0.0.3 DN).
func TestSnapshotNodetoolNodeDown(t *testing.T) {
	a := nodetoolAdapter(t, nodeDownCapture, nodetoolCapture)
	s := a.Snapshot(context.Background())
	if !reflect.DeepEqual(s.LiveEndpoints, []string{"127.0.0.2:7000", "127.0.0.1:7000"}) ||
		!reflect.DeepEqual(s.UnreachableEndpoints, []string{"127.0.0.3:7000"}) || !s.CassandraRunning {
		t.Errorf("snapshot %+v", s)
	}
}

// TestSnapshotNodetoolStopped: neither JMX nor CQL answers.
func TestSnapshotNodetoolStopped(t *testing.T) {
	a := nodetoolAdapter(t, nodetoolCapture)
	t.Setenv("FAKE_NODETOOL_DOWN", "1")
	s := a.Snapshot(context.Background())
	if s.CassandraRunning || s.NativeActive || s.GossipActive || s.OperationMode != "" || len(s.LiveEndpoints) != 0 {
		t.Errorf("snapshot %+v", s)
	}
	want := []string{"nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused (Connection refused)'."}
	if len(s.Errors) != 2 || !strings.HasPrefix(s.Errors[0], "cql: ") || s.Errors[1] != want[0] {
		t.Errorf("errors %q", s.Errors)
	}
}

// TestSnapshotNodetoolAndCQL: with CQL up, the storage port of
// nodetool-derived endpoints comes from system.local.
func TestSnapshotNodetoolAndCQL(t *testing.T) {
	c := startCluster(t, "dc1:1x1", func(cfg *sim.Config) { cfg.StoragePort = 7012 })
	n := c.Nodes()[0]
	a := nodetoolAdapter(t, nodeDownCapture, nodetoolCapture)
	a.cql.addr = net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().NativePort))
	s := a.Snapshot(context.Background())
	if len(s.Errors) != 0 || s.HostID != n.HostID.String() || !reflect.DeepEqual(s.UnreachableEndpoints, []string{"127.0.0.3:7012"}) {
		t.Errorf("snapshot %+v", s)
	}
}

// TestSnapshotPIDOnly: only the pidfile says the process exists (a node
// still starting, before JMX and CQL listen).
func TestSnapshotPIDOnly(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "cassandra.pid")
	os.WriteFile(pidfile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
	a := nodetoolAdapter(t, nodetoolCapture)
	a.cfg.PIDFile = pidfile
	t.Setenv("FAKE_NODETOOL_DOWN", "1")
	s := a.Snapshot(context.Background())
	if !s.CassandraRunning || s.PID != os.Getpid() || s.NativeActive {
		t.Errorf("snapshot %+v", s)
	}
	os.WriteFile(pidfile, []byte("garbage"), 0o644)
	if s := a.Snapshot(context.Background()); s.CassandraRunning || !hasError(s, "pidfile: ") {
		t.Errorf("bad pidfile: %+v", s)
	}
}

// TestSnapshotTimeout: a source that hangs is reported as timed out, and
// Snapshot returns within its timeout.
func TestSnapshotTimeout(t *testing.T) {
	a := nodetoolAdapter(t, nodetoolCapture)
	a.nt = &Nodetool{Path: "sh", Args: []string{"-c", "sleep 30; echo"}}
	a.cfg.Timeout = 300 * time.Millisecond
	start := time.Now()
	s := a.Snapshot(context.Background())
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("snapshot took %v", d)
	}
	if !hasError(s, "nodetool: ") || s.CassandraRunning {
		t.Errorf("snapshot %+v", s)
	}
}

// capturedAgent answers Jolokia POSTs (single or bulk) from captured real
// exchanges, by request bytes. A request never captured gets the captured
// answer to a read of an unknown attribute (404 AttributeNotFoundException),
// verbatim.
type capturedAgent struct {
	answers  map[string]json.RawMessage
	notFound json.RawMessage
}

func newCapturedAgent(t *testing.T) *capturedAgent {
	return &capturedAgent{
		answers:  map[string]json.RawMessage{},
		notFound: findExchange(t, "error_bogus_mbean.json", "existing MBean, bogus attribute").Response,
	}
}

// addReads adds the read_*.json exchanges of one node.
func (c *capturedAgent) addReads(t *testing.T, node string) {
	files, _ := filepath.Glob(jolokiaCaptures + "read_*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var x struct {
			Exchanges []struct {
				Node     string          `json:"node"`
				Request  json.RawMessage `json:"request"`
				Response json.RawMessage `json:"response"`
			} `json:"exchanges"`
		}
		if err := json.Unmarshal(data, &x); err != nil {
			t.Fatal(err)
		}
		for _, ex := range x.Exchanges {
			if ex.Node == node && len(ex.Request) > 0 && string(ex.Request) != "null" {
				c.answers[compact(t, ex.Request)] = ex.Response
			}
		}
	}
}

// addDrainSections adds the REQUEST/RESPONSE pairs of drain.txt sections
// whose title starts with one of prefixes ("2.", "3.").
func (c *capturedAgent) addDrainSections(t *testing.T, prefixes ...string) {
	data, err := os.ReadFile(jolokiaCaptures + "drain.txt")
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.Split(string(data), "\n")
	on := false
	for i := 0; i < len(ls)-1; i++ {
		if title, ok := strings.CutPrefix(ls[i], "===== "); ok {
			on = false
			for _, p := range prefixes {
				on = on || strings.HasPrefix(title, p)
			}
		}
		if on && strings.HasPrefix(ls[i], "REQUEST:") && i+3 < len(ls) && strings.HasPrefix(ls[i+2], "RESPONSE: HTTP 200") {
			c.answers[compact(t, []byte(ls[i+1]))] = json.RawMessage(ls[i+3])
			i += 3
		}
	}
}

func (c *capturedAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	answer := func(req []byte) []byte {
		var b bytes.Buffer
		json.Compact(&b, req)
		if a, ok := c.answers[b.String()]; ok {
			return a
		}
		return c.notFound
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var reqs []json.RawMessage
	if json.Unmarshal(body, &reqs) != nil {
		w.Write(answer(body))
		return
	}
	var out [][]byte
	for _, req := range reqs {
		out = append(out, answer(req))
	}
	w.Write(append(append([]byte("["), bytes.Join(out, []byte(","))...), ']'))
}

// jolokiaCapturedAdapter: an adapter whose agent replays captured exchanges and whose CQL port is closed.
func jolokiaCapturedAdapter(t *testing.T, agent *capturedAgent) *Adapter {
	srv := httptest.NewServer(agent)
	t.Cleanup(srv.Close)
	a := nodetoolAdapter(t, nodetoolCapture)
	a.jmx = &Jolokia{URL: srv.URL + "/jolokia/", Client: srv.Client()}
	return a
}

// TestSnapshotJolokiaCaptured: the adapter's bulk read decoded from real
// agent answers, for a healthy node and for a drained one (drain.txt).
func TestSnapshotJolokiaCaptured(t *testing.T) {
	agent := newCapturedAgent(t)
	agent.addReads(t, "node1")
	s := jolokiaCapturedAdapter(t, agent).Snapshot(context.Background())
	if !s.CassandraRunning || !s.NativeActive || !s.GossipActive || s.OperationMode != "NORMAL" || s.ReleaseVersion != "4.1.6" ||
		!reflect.DeepEqual(s.LiveEndpoints, []string{"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"}) || len(s.UnreachableEndpoints) != 0 {
		t.Errorf("healthy: %+v", s)
	}
	// LocalHostId was not captured: the per-attribute error is reported,
	// the other attributes are still read.
	if len(s.Errors) != 2 || !strings.HasPrefix(s.Errors[0], "cql: ") ||
		s.Errors[1] != "jmx: StorageService LocalHostId: jolokia: status 404: javax.management.AttributeNotFoundException : No such attribute: NoSuchAttribute" {
		t.Errorf("errors %q", s.Errors)
	}

	agent = newCapturedAgent(t)
	agent.addDrainSections(t, "2.", "3.")
	a := jolokiaCapturedAdapter(t, agent)
	if v, err := a.Jolokia().Exec(context.Background(), StorageServiceMBean, "drain"); err != nil || v != nil {
		t.Fatalf("drain: %v, %v", v, err)
	}
	s = a.Snapshot(context.Background())
	if !s.CassandraRunning || s.NativeActive || s.GossipActive || s.OperationMode != "DRAINED" {
		t.Errorf("drained: %+v", s)
	}
}
