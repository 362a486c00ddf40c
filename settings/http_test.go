package settings

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

type fakeCluster struct {
	targets []fanout.Target
	client  *fanout.Client
}

func (f *fakeCluster) Targets() []fanout.Target { return f.targets }
func (f *fakeCluster) Fanout() *fanout.Client   { return f.client }

func targetOf(n *sim.Node, url string, self bool) fanout.Target {
	return fanout.Target{HostID: n.HostID.String(), Address: n.Addr.String(), Endpoint: n.Endpoint(),
		DC: n.DC, Rack: n.Rack, URL: url, Self: self}
}

// do sends a request and returns the status, the body and the response.
func do(t *testing.T, method, url, body string, hdr ...string) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return m
}

// TestHTTPLocal: the CEP's exchange byte for byte, filters, errors, the
// peer endpoint, and a cluster scope whose only node is this one.
func TestHTTPLocal(t *testing.T) {
	c := simtest.Start(t, "dc1:1x1", true, nil)
	n := c.Nodes()[0]
	srv := httptest.NewServer(nil)
	defer srv.Close()
	cl := &fakeCluster{targets: []fanout.Target{targetOf(n, srv.URL, true)}, client: &fanout.Client{Timeout: 5 * time.Second}}
	srv.Config.Handler = Handler(NodeLocal(adapterFor(t, c, n, true)), cl, nil)
	u := srv.URL

	// curl -XPUT localhost:5000/v1/settings/ -d '{"compaction_throughput_mb_per_sec": 12}'
	code, body, resp := do(t, "PUT", u+"/v1/settings/", `{"compaction_throughput_mb_per_sec": 12}`)
	// The CEP's "runtime", plus the note that cassandra.yaml was not changed.
	if code != 200 || body != `{"cassandra_yaml":"`+YAMLNote+`","runtime":{"compaction_throughput_mb_per_sec":12}}`+"\n" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body, _ = do(t, "GET", u+"/v1/settings/?key=compaction_throughput_mb_per_sec", "")
	if code != 200 || body != `{"runtime":{"compaction_throughput_mb_per_sec":12}}`+"\n" {
		t.Fatalf("GET: %d %s", code, body)
	}
	code, body, _ = do(t, "GET", u+"/v1/settings?key=compaction_throughput&key=max_hint_window_in_ms,hinted_handoff_enabled", "")
	if code != 200 || body != `{"runtime":{"compaction_throughput":"12MiB/s","hinted_handoff_enabled":true,"max_hint_window_in_ms":10800000}}`+"\n" {
		t.Fatalf("GET filtered: %d %s", code, body)
	}
	code, body, _ = do(t, "GET", u+"/v1/settings", "")
	if rt, _ := decode(t, body)["runtime"].(map[string]any); code != 200 || len(rt) < 400 || rt["compaction_throughput"] != "12MiB/s" {
		t.Fatalf("GET all: %d %.200s", code, body)
	}

	for _, c := range []struct{ method, path, body, want string }{
		{"GET", "/v1/settings?key=compaction_througput", "", `"problems":{"compaction_througput":"unknown key: not a Cassandra 4.1 setting (did you mean \"compaction_throughput\"?)"}`},
		{"GET", "/v1/settings?keys=compaction_throughput", "", `unknown query parameter \"keys\"`},
		{"GET", "/v1/settings?key=", "", `"problems":{"key":"empty key name; leave key out to list every setting"}`},
		{"GET", "/v1/settings?key=compaction_throughput,,concurrent_compactors", "", `empty key name`},
		{"GET", "/v1/peer/settings?key=%20", "", `empty key name`},
		{"GET", "/v1/settings?scope=planet", "", `scope=\"planet\"`},
		{"PUT", "/v1/settings", `{"concurrent_compactors": 0, "compaction_throughput_mb_per_sec": 20}`, `"problems":{"concurrent_compactors":"must be greater than 0`},
		{"PUT", "/v1/settings", `{"trickle_fsync": true}`, `"trickle_fsync":"not hot-settable (a restart with cassandra.yaml is needed)"`},
		{"PUT", "/v1/settings", `[1]`, `"problems":{"":"the body must be a JSON object`},
		{"PUT", "/v1/settings", `{"a": 1, "a": 1}`, `"a":"given more than once"`},
		{"PUT", "/v1/settings", `{"concurrent_compactors": 2} x`, `data after the JSON object`},
		{"PUT", "/v1/settings?key=x", `{"concurrent_compactors": 2}`, `unknown query parameter \"key\"`},
	} {
		code, body, _ := do(t, c.method, u+c.path, c.body)
		if code != 400 || !strings.Contains(body, c.want) || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("%s %s %.40s: %d %s", c.method, c.path, c.body, code, body)
		}
	}
	// Over the body limit of every endpoint: 413, as bulk commands answer.
	if code, body, _ := do(t, "PUT", u+"/v1/settings", `{"concurrent_compactors": 2`+strings.Repeat(" ", 64<<10)+`}`); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"error":"the body is larger than 64 KiB"`) {
		t.Errorf("PUT of a body over 64 KiB: %d %s, want 413", code, body)
	}
	if v := mustGet(t, NodeLocal(adapterFor(t, c, n, false)), "compaction_throughput_mb_per_sec"); v["compaction_throughput_mb_per_sec"] != int64(12) {
		t.Fatalf("a refused PUT changed compaction_throughput_mb_per_sec: %v", v)
	}
	code, body, resp = do(t, "DELETE", u+"/v1/settings", "")
	if code != 405 || resp.Header.Get("Allow") != "GET, HEAD, PUT, POST" || !strings.Contains(body, `"error"`) {
		t.Errorf("DELETE: %d %s %v", code, body, resp.Header)
	}
	if code, body, _ = do(t, "GET", u+"/v1/settings/compaction_throughput", ""); code != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("sub-path: %d %s", code, body)
	}

	// Cluster scope, this node being the whole cluster.
	code, body, _ = do(t, "PUT", u+"/v1/settings?scope=cluster", `{"concurrent_compactors": 3}`)
	m := decode(t, body)
	nodes, _ := m["nodes"].([]any)
	if code != 200 || len(nodes) != 1 || !slices.Equal(strs(m["success"]), []string{n.Endpoint()}) || len(strs(m["failure"])) != 0 {
		t.Fatalf("PUT cluster: %d %s", code, body)
	}
	n0 := nodes[0].(map[string]any)
	if n0["endpoint"] != n.Endpoint() || n0["host_id"] != n.HostID.String() || n0["success"] != true ||
		n0["runtime"].(map[string]any)["concurrent_compactors"] != float64(3) {
		t.Fatalf("PUT cluster node: %v", n0)
	}

	// The peer endpoint.
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/v1/peer/settings?key=concurrent_compactors", "", 200, `"value":{"concurrent_compactors":3}`},
		{"PUT", "/v1/peer/settings/", `{"concurrent_compactors": 5}`, 200, `"value":{"concurrent_compactors":5}`},
		{"PUT", "/v1/peer/settings", `{"concurrent_compactors": 0}`, 400, `"error":"invalid settings request: concurrent_compactors: must be greater than 0`},
		{"GET", "/v1/peer/settings?scope=local", "", 400, `"error":"unknown query parameter \"scope\": use key"`},
		{"PUT", "/v1/peer/settings?scope=local", `{}`, 400, `"error":"unknown query parameter \"scope\": this endpoint takes none"`},
		{"POST", "/v1/peer/settings", ``, 400, `"error":"invalid settings request: refresh: POST on the settings applies cassandra.yaml: it takes refresh=true`},
		{"POST", "/v1/peer/settings?refresh=true", ``, 503, `"error":"this sidecar cannot read cassandra.yaml`},
		{"DELETE", "/v1/peer/settings", ``, 405, `{"error":"method DELETE is not allowed`},
	} {
		code, body, _ := do(t, c.method, u+c.path, c.body)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}

	// Without Jolokia: GET works, PUT goes through nodetool, and says why
	// it cannot for a key no nodetool command sets.
	noJMX := httptest.NewServer(Handler(NodeLocal(adapterFor(t, c, n, false)), cl, nil))
	defer noJMX.Close()
	if code, body, _ := do(t, "PUT", noJMX.URL+"/v1/settings", `{"concurrent_compactors": 2}`); code != 200 || body != `{"cassandra_yaml":"`+YAMLNote+`","runtime":{"concurrent_compactors":2}}`+"\n" {
		t.Errorf("PUT without Jolokia: %d %s", code, body)
	}
	if code, body, _ := do(t, "PUT", noJMX.URL+"/v1/settings", `{"concurrent_compactors": 3, "tombstone_warn_threshold": 2000}`); code != 503 ||
		!strings.Contains(body, `"problems":{"tombstone_warn_threshold":"no nodetool command sets it in Cassandra 4.1 (only JMX: org.apache.cassandra.db:type=StorageService TombstoneWarnThreshold); configure cassandra.jolokia_url`) {
		t.Errorf("PUT of a key without a nodetool setter: %d %s", code, body)
	}
	if code, body, _ := do(t, "PUT", noJMX.URL+"/v1/settings", `{"concurrent_compactors": -2}`); code != 400 {
		t.Errorf("bad PUT without Jolokia: %d %s", code, body)
	}
	if code, body, _ := do(t, "GET", noJMX.URL+"/v1/settings?key=concurrent_compactors", ""); code != 200 || body != `{"runtime":{"concurrent_compactors":2}}`+"\n" {
		t.Errorf("GET without Jolokia: %d %s", code, body)
	}
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := []string{}
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// peerServer is a node's sidecar for the fan-out tests: it counts the
// requests it gets and the Authorization they carry.
type peerServer struct {
	*httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	auth     []string
}

func startPeers(t *testing.T, c *sim.Cluster) ([]*peerServer, *fakeCluster) {
	t.Helper()
	cl := &fakeCluster{client: &fanout.Client{Timeout: 5 * time.Second}}
	var peers []*peerServer
	for i, n := range c.Nodes() {
		p := &peerServer{}
		h := Handler(NodeLocal(adapterFor(t, c, n, true)), cl, nil)
		p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, PeerPath) {
				p.requests.Add(1)
				p.mu.Lock()
				p.auth = append(p.auth, r.Header.Get("Authorization"))
				p.mu.Unlock()
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(p.Close)
		peers = append(peers, p)
		cl.targets = append(cl.targets, targetOf(n, p.URL, i == 0))
	}
	return peers, cl
}

// TestHTTPFanout: a cluster-scoped PUT and GET reach every selected node
// through its sidecar; a bad body reaches none; a down node is listed as
// a failure; no success at all is a 502.
func TestHTTPFanout(t *testing.T) {
	c := simtest.Start(t, "dc1:3x1", false, nil)
	nodes := c.Nodes()
	peers, _ := startPeers(t, c)
	u := peers[0].URL
	allEndpoints := []string{nodes[0].Endpoint(), nodes[1].Endpoint(), nodes[2].Endpoint()}

	code, body, _ := do(t, "PUT", u+"/v1/settings?scope=cluster", `{"compaction_throughput": "16MiB/s"}`, "Authorization", "Bearer s3cret")
	m := decode(t, body)
	if code != 200 || !slices.Equal(strs(m["success"]), allEndpoints) || len(strs(m["failure"])) != 0 {
		t.Fatalf("PUT cluster: %d %s", code, body)
	}
	for i, nr := range m["nodes"].([]any) {
		nr := nr.(map[string]any)
		if nr["endpoint"] != allEndpoints[i] || nr["runtime"].(map[string]any)["compaction_throughput"] != "16MiB/s" {
			t.Errorf("node %d: %v", i, nr)
		}
		if i > 0 && nr["http_status"] != float64(200) {
			t.Errorf("node %d: %v", i, nr)
		}
	}
	for i, n := range nodes {
		l := NodeLocal(adapterFor(t, c, n, true))
		if v := readAttr(t, l, StorageService, "CompactionThroughputMbPerSec"); v != "16" {
			t.Errorf("node %d: CompactionThroughputMbPerSec = %s", i, v)
		}
	}
	// The self node is run directly; the others got the caller's Authorization.
	if peers[0].requests.Load() != 0 || peers[1].requests.Load() != 1 || peers[2].requests.Load() != 1 {
		t.Fatalf("peer requests: %d %d %d", peers[0].requests.Load(), peers[1].requests.Load(), peers[2].requests.Load())
	}
	if peers[1].auth[0] != "Bearer s3cret" {
		t.Errorf("Authorization forwarded: %q", peers[1].auth)
	}

	code, body, _ = do(t, "GET", u+"/v1/settings?scope=cluster&key=compaction_throughput_mb_per_sec", "")
	m = decode(t, body)
	if code != 200 || len(strs(m["success"])) != 3 {
		t.Fatalf("GET cluster: %d %s", code, body)
	}
	for _, nr := range m["nodes"].([]any) {
		if rt := nr.(map[string]any)["runtime"]; rt.(map[string]any)["compaction_throughput_mb_per_sec"] != float64(16) {
			t.Errorf("GET cluster node: %v", nr)
		}
	}
	code, body, _ = do(t, "GET", u+"/v1/settings?hosts="+nodes[2].Addr.String()+"&key=compaction_throughput", "")
	if m = decode(t, body); code != 200 || !slices.Equal(strs(m["success"]), []string{nodes[2].Endpoint()}) {
		t.Fatalf("GET one host: %d %s", code, body)
	}
	if code, body, _ = do(t, "GET", u+"/v1/settings?dc=dc9", ""); code != 400 || !strings.Contains(body, `no datacenter \"dc9\"`) {
		t.Errorf("unknown dc: %d %s", code, body)
	}

	// A bad body reaches no node; a typo in a cluster GET neither.
	before := peers[1].requests.Load()
	if code, body, _ := do(t, "PUT", u+"/v1/settings?scope=cluster", `{"compaction_throughput": "16MiB/s", "concurrent_compactors": -1}`); code != 400 || !strings.Contains(body, "concurrent_compactors") {
		t.Fatalf("bad cluster PUT: %d %s", code, body)
	}
	if code, _, _ := do(t, "GET", u+"/v1/settings?scope=cluster&key=compaction_througput", ""); code != 400 {
		t.Fatalf("typo in a cluster GET: %d", code)
	}
	if peers[1].requests.Load() != before {
		t.Fatal("a bad request reached a peer")
	}

	// One node down: the others succeed, the answer says which failed.
	nodes[2].Kill()
	code, body, _ = do(t, "PUT", u+"/v1/settings?scope=cluster", `{"concurrent_compactors": 4}`)
	m = decode(t, body)
	if code != 200 || !slices.Equal(strs(m["success"]), allEndpoints[:2]) || !slices.Equal(strs(m["failure"]), allEndpoints[2:]) {
		t.Fatalf("PUT with a node down: %d %s", code, body)
	}
	if nr := m["nodes"].([]any)[2].(map[string]any); nr["success"] != false || nr["error"] == "" || nr["http_status"] != float64(502) {
		t.Errorf("down node: %v", nr)
	}

	// No node answers: 502.
	dead := httptest.NewServer(nil)
	dead.Close()
	down := newFakeLocal()
	down.settingsErr = errors.New("connection refused")
	cl := &fakeCluster{client: &fanout.Client{Timeout: 2 * time.Second}, targets: []fanout.Target{
		{HostID: "h1", Address: "127.0.0.9", Endpoint: "127.0.0.9:7000", DC: "dc1", Rack: "r1", Self: true},
		{HostID: "h2", Address: "127.0.0.10", Endpoint: "127.0.0.10:7000", DC: "dc1", Rack: "r1", URL: dead.URL},
	}}
	srv := httptest.NewServer(Handler(down, cl, nil))
	defer srv.Close()
	code, body, _ = do(t, "GET", srv.URL+"/v1/settings?scope=cluster", "")
	if m = decode(t, body); code != 502 || len(strs(m["success"])) != 0 || len(strs(m["failure"])) != 2 {
		t.Fatalf("all down: %d %s", code, body)
	}
	if code, body, _ := do(t, "GET", srv.URL+"/v1/settings", ""); code != 502 || !strings.Contains(body, "connection refused") {
		t.Errorf("local GET, node down: %d %s", code, body)
	}
	// No cluster view yet.
	empty := httptest.NewServer(Handler(down, &fakeCluster{}, nil))
	defer empty.Close()
	if code, _, _ := do(t, "GET", empty.URL+"/v1/settings?scope=cluster", ""); code != 503 {
		t.Errorf("no targets yet: %d", code)
	}
}

// TestApplyError: a node failing midway leaves what was applied, says
// what failed and what was not attempted.
func TestApplyError(t *testing.T) {
	l := newFakeLocal()
	l.jmx.fail["CompactionThroughputMbPerSec"] = errors.New("jolokia: connection reset")
	changes := map[string]any{"batch_size_warn_threshold_in_kb": 6, "compaction_throughput_mb_per_sec": 2, "concurrent_compactors": 3}
	_, err := Set(context.Background(), l, changes)
	var ae *ApplyError
	if !errors.As(err, &ae) || !slices.Equal(ae.Applied, []string{"batch_size_warn_threshold_in_kb"}) ||
		ae.Failed["compaction_throughput_mb_per_sec"] == "" || !slices.Equal(ae.NotAttempted, []string{"concurrent_compactors"}) || ae.HTTPStatus() != 502 {
		t.Fatalf("%#v", err)
	}
	if calls := l.jmx.recorded(); len(calls) != 1 || calls[0] != "write "+StorageService+" BatchSizeWarnThreshold=6" {
		t.Fatalf("calls: %v", calls)
	}
	srv := httptest.NewServer(Handler(l, nil, nil))
	defer srv.Close()
	body, _ := json.Marshal(changes)
	code, resp, _ := do(t, "PUT", srv.URL+"/v1/settings", string(body))
	m := decode(t, resp)
	if code != 502 || !slices.Equal(strs(m["applied"]), []string{"batch_size_warn_threshold_in_kb"}) ||
		!slices.Equal(strs(m["not_attempted"]), []string{"concurrent_compactors"}) || m["failed"].(map[string]any)["compaction_throughput_mb_per_sec"] == nil {
		t.Fatalf("HTTP: %d %s", code, resp)
	}
	if code, _, _ := do(t, "PUT", srv.URL+"/v1/settings?scope=cluster", string(body)); code != 503 {
		t.Fatalf("cluster scope without a cluster: %d", code)
	}

	// The node refusing the first value (an IllegalArgumentException this
	// package's checks let through): nothing applied, 400.
	l = newFakeLocal()
	l.jmx.fail["BatchSizeWarnThreshold"] = &node.JolokiaError{Status: 400, ErrorType: "java.lang.IllegalArgumentException", Message: "java.lang.IllegalArgumentException : nope"}
	_, err = Set(context.Background(), l, changes)
	if !errors.As(err, &ae) || len(ae.Applied) != 0 || ae.HTTPStatus() != 400 || !strings.Contains(err.Error(), "nothing was applied") {
		t.Fatalf("refused: %v", err)
	}

	// Applied, but the read back failed.
	l = newFakeLocal()
	l.settingsErr = errors.New("cql: timeout")
	_, err = Set(context.Background(), l, map[string]any{"native_transport_allow_older_protocols": false})
	if !errors.As(err, &ae) || ae.ReadBack != "cql: timeout" || !slices.Equal(ae.Applied, []string{"native_transport_allow_older_protocols"}) {
		t.Fatalf("read back: %v", err)
	}
	if calls := l.jmx.recorded(); len(calls) != 1 || calls[0] != "exec "+StorageService+" disableNativeTransportOldProtocolVersions[]" {
		t.Fatalf("calls: %v", calls)
	}
}
