package jolokia

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../testdata/cassandra-4.1.6/jolokia/"

// fakeNode is the state behind the fake StorageService of one node.
type fakeNode struct {
	mode              string
	drained, draining bool
	gossip, native    bool
	throughput        int64
	live, unreachable []string
	keyspaces         map[string]bool
	agentID           string
	natural           map[string][]string
}

func newFakeNode(agentID string) *fakeNode {
	return &fakeNode{
		mode: "NORMAL", gossip: true, native: true, throughput: 64,
		live:      []string{"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"},
		keyspaces: map[string]bool{"smoke": true, "ks3": true, "system": true},
		agentID:   agentID,
		natural: map[string][]string{
			"smoke/kv/1": {"127.0.0.2:7000"},
		},
	}
}

// registry populates StorageService from the captured list, with small
// implementations giving the captured values.
func (n *fakeNode) registry(t testing.TB) *Registry {
	ss := StorageService()
	ss.OnGet("OperationMode", func() (any, error) { return n.mode, nil }).
		OnGet("ReleaseVersion", func() (any, error) { return "4.1.6", nil }).
		OnGet("GossipRunning", func() (any, error) { return n.gossip, nil }).
		OnGet("NativeTransportRunning", func() (any, error) { return n.native, nil }).
		OnGet("Drained", func() (any, error) { return n.drained, nil }).
		OnGet("Draining", func() (any, error) { return n.draining, nil }).
		OnGet("LiveNodesWithPort", func() (any, error) { return n.live, nil }).
		OnGet("UnreachableNodesWithPort", func() (any, error) { return n.unreachable, nil }).
		OnGet("CompactionThroughputMbPerSec", func() (any, error) { return int32(n.throughput), nil }).
		OnSet("CompactionThroughputMbPerSec", func(v any) error { n.throughput = v.(int64); return nil }).
		OnCall("forceKeyspaceFlush", func(args []any) (any, error) {
			ks := args[0].(string)
			if !n.keyspaces[ks] {
				return nil, &Exception{Class: IllegalArgumentException, Message: "Keyspace " + ks + " does not exist"}
			}
			_ = args[1].([]string)
			return nil, nil
		}).
		OnCall("getNaturalEndpointsWithPort(java.lang.String,java.lang.String,java.lang.String)", func(args []any) (any, error) {
			return n.natural[args[0].(string)+"/"+args[1].(string)+"/"+args[2].(string)], nil
		}).
		OnCall("drain", func([]any) (any, error) {
			if n.drained {
				return nil, nil // "Cannot drain node (did it already happen?)" is only logged
			}
			n.mode, n.drained, n.gossip, n.native = "DRAINED", true, false, false
			return nil, nil
		})
	r := NewRegistry()
	if err := r.Register(ss); err != nil {
		t.Fatal(err)
	}
	for _, mb := range []*MBean{StorageProxy(), CompactionManager(), EndpointSnitchInfo(), HintsService()} {
		if err := r.Register(mb); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

type exchange struct {
	Label          string          `json:"label"`
	Node           string          `json:"node"`
	URL            string          `json:"url"`
	HTTPStatus     int             `json:"http_status"`
	ContentType    string          `json:"content_type"`
	Request        json.RawMessage `json:"request"`
	RequestNotJSON *string         `json:"request_not_json"`
	Response       json.RawMessage `json:"response"`
}

type captureFile struct {
	Description string     `json:"description"`
	Exchanges   []exchange `json:"exchanges"`
}

// agentIDs reads each node's agentId from the captured version answers.
func agentIDs(t *testing.T) map[string]string {
	var c captureFile
	readJSON(t, filepath.Join(fixtures, "version.json"), &c)
	ids := map[string]string{}
	for _, e := range c.Exchanges {
		var r struct {
			Value struct {
				Config map[string]string `json:"config"`
			} `json:"value"`
		}
		if err := json.Unmarshal(e.Response, &r); err != nil {
			t.Fatal(err)
		}
		ids[e.Node] = r.Value.Config["agentId"]
	}
	return ids
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// testAgent serves one fake node with the clock set to the timestamp the
// captured answer carries.
type testAgent struct {
	node    *fakeNode
	reg     *Registry
	handler http.Handler
	now     time.Time
}

func newTestAgent(t testing.TB, agentID string) *testAgent {
	ta := &testAgent{node: newFakeNode(agentID)}
	ta.reg = ta.node.registry(t)
	ta.handler = NewHandler(ta.reg, Options{
		AgentID:      agentID,
		Clock:        func() time.Time { return ta.now },
		IdentityHash: func() uint32 { return 0x530ba381 },
	})
	return ta
}

func (ta *testAgent) do(t testing.TB, method, rawURL string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.RequestURI()
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	ta.handler.ServeHTTP(rec, req)
	return rec
}

var timestampRE = regexp.MustCompile(`"timestamp":(\d+)`)

// setClock sets the agent's clock to the (first) timestamp of want.
func (ta *testAgent) setClock(want []byte) {
	if m := timestampRE.FindSubmatch(want); m != nil {
		s, _ := strconv.ParseInt(string(m[1]), 10, 64)
		ta.now = time.Unix(s, 0)
	}
}

var stacktraceRE = regexp.MustCompile(`"stacktrace":"((?:[^"\\]|\\.)*)"`)

// firstLineOnly cuts every stack trace down to its first line: frames of
// code the simulator does not run (Cassandra's, the JDK's reflection) cannot
// be the same.
func firstLineOnly(b []byte) []byte {
	return stacktraceRE.ReplaceAllFunc(b, func(m []byte) []byte {
		s := stacktraceRE.FindSubmatch(m)[1]
		if i := bytes.Index(s, []byte(`\n`)); i >= 0 {
			s = s[:i]
		}
		return append(append([]byte(`"stacktrace":"`), s...), '"')
	})
}

// compareResponse checks got against the captured bytes: byte-for-byte
// after trimming stack traces to their first line (which also proves key
// order), then semantically for a readable failure. Stack traces of errors
// raised by the agent itself (not inside an MBean) must match in full.
func compareResponse(t *testing.T, label string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(firstLineOnly(got), firstLineOnly(want)) {
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal(want, &w)
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		t.Errorf("%s: response differs\n got: %s\nwant: %s\nsemantically equal: %v", label, firstLineOnly(got), firstLineOnly(want), bytes.Equal(gj, wj))
		return
	}
	if !bytes.Contains(want, []byte("org.apache.cassandra.service.")) && !bytes.Equal(got, want) {
		t.Errorf("%s: stack trace of an agent error differs\n got: %s\nwant: %s", label, got, want)
	}
}

func TestReplayCaptures(t *testing.T) {
	ids := agentIDs(t)
	files, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	total := 0
	for _, f := range files {
		var c captureFile
		readJSON(t, f, &c)
		// One agent per node and file: files are captured independently.
		agents := map[string]*testAgent{}
		for _, e := range c.Exchanges {
			ta := agents[e.Node]
			if ta == nil {
				ta = newTestAgent(t, ids[e.Node])
				agents[e.Node] = ta
			}
			label := filepath.Base(f) + ": " + e.Label
			ta.setClock(e.Response)
			var rec *httptest.ResponseRecorder
			switch {
			case e.RequestNotJSON != nil:
				rec = ta.do(t, http.MethodPost, e.URL, []byte(*e.RequestNotJSON))
			case len(e.Request) == 0 || string(e.Request) == "null":
				rec = ta.do(t, http.MethodGet, e.URL, nil)
			default:
				rec = ta.do(t, http.MethodPost, e.URL, e.Request)
			}
			if rec.Code != e.HTTPStatus {
				t.Errorf("%s: HTTP status %d, want %d", label, rec.Code, e.HTTPStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != e.ContentType {
				t.Errorf("%s: Content-Type %q, want %q", label, ct, e.ContentType)
			}
			compareResponse(t, label, rec.Body.Bytes(), e.Response)
			total++
		}
	}
	if total < 60 {
		t.Errorf("replayed only %d exchanges", total)
	}
	t.Logf("replayed %d captured exchanges", total)
}

// TestReplayDrain replays drain.txt: node3 drained through Jolokia, then
// restarted; and node1's view of node3 while it was down.
func TestReplayDrain(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtures, "drain.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := agentIDs(t)
	node3 := newTestAgent(t, ids["node3"])
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	n := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "===== 5."):
			node3 = newTestAgent(t, ids["node3"]) // restarted node
		case strings.HasPrefix(line, "--- Jolokia on node1"):
			node1 := newTestAgent(t, ids["node1"])
			node1.node.live = []string{"127.0.0.1:7000", "127.0.0.2:7000"}
			node1.node.unreachable = []string{"127.0.0.3:7000"}
			want := []byte(lines[i+1])
			node1.setClock(want)
			body := `{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":["LiveNodesWithPort","UnreachableNodesWithPort"]}`
			rec := node1.do(t, http.MethodPost, "http://127.0.0.1:8778/jolokia/", []byte(body))
			compareResponse(t, "drain.txt: node1 view", rec.Body.Bytes(), want)
			n++
		case strings.HasPrefix(line, "REQUEST:  POST "):
			u := strings.TrimPrefix(line, "REQUEST:  POST ")
			body := []byte(lines[i+1])
			if !strings.HasPrefix(lines[i+2], "RESPONSE: HTTP 200") {
				t.Fatalf("drain.txt line %d: no response", i+3)
			}
			want := []byte(lines[i+3])
			node3.setClock(want)
			rec := node3.do(t, http.MethodPost, u, body)
			compareResponse(t, "drain.txt line "+strconv.Itoa(i+1), rec.Body.Bytes(), want)
			n++
			i += 3
		}
	}
	if n != 10 {
		t.Errorf("replayed %d drain exchanges, want 10", n)
	}
}

// TestStorageServiceMetadata checks what LoadList made of the embedded list.
func TestStorageServiceMetadata(t *testing.T) {
	ss := StorageService()
	if len(ss.Attrs) != 152 {
		t.Errorf("%d attributes, want 152", len(ss.Attrs))
	}
	names := map[string]int{}
	for _, op := range ss.Ops {
		names[op.Name]++
	}
	if len(names) != 90 {
		t.Errorf("%d operation names, want 90", len(names))
	}
	if names["getNaturalEndpointsWithPort"] != 2 || names["forceKeyspaceFlush"] != 1 {
		t.Errorf("overloads: %v", names)
	}
	a := ss.Attribute("CompactionThroughputMbPerSec")
	if a == nil || a.Type != "int" || !a.RW {
		t.Errorf("CompactionThroughputMbPerSec: %+v", a)
	}
	if op := ss.Operation("forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)"); op == nil || op.Ret != "void" {
		t.Errorf("forceKeyspaceFlush: %+v", op)
	}
	if ss.Operation("getNaturalEndpointsWithPort") != nil {
		t.Error("an overloaded name must not resolve without a signature")
	}
}

func TestCassandraMetadata(t *testing.T) {
	sp := StorageProxy()
	for name, want := range map[string]struct {
		typ       string
		rw, wonly bool
	}{
		"MaxHintWindow":                   {"int", true, false},
		"HintedHandoffEnabled":            {"boolean", true, false},
		"MaxHintsSizePerHostInMiB":        {"int", true, false},
		"HintedHandoffDisabledDCs":        {"java.util.Set", false, false},
		"RpcTimeout":                      {"java.lang.Long", true, false},
		"TotalHints":                      {"long", false, false},
		"LoggingReadRepairs":              {"boolean", false, false},
		"IdealConsistencyLevel":           {"java.lang.String", false, false},
		"EnablePartitionDenylist":         {"boolean", false, true},
		"PaxosCoordinatorLockingDisabled": {"boolean", true, false},
	} {
		a := sp.Attribute(name)
		if a == nil || a.Type != want.typ || a.RW != want.rw || a.WriteOnly != want.wonly {
			t.Errorf("StorageProxy %s: %+v, want %+v", name, a, want)
		}
	}
	for _, sig := range []string{"enableHintsForDC(java.lang.String)", "disableHintsForDC(java.lang.String)",
		"setIdealConsistencyLevel(java.lang.String)", "reloadTriggerClasses()"} {
		if sp.Operation(sig) == nil {
			t.Errorf("StorageProxy has no operation %s", sig)
		}
	}
	cm := CompactionManager()
	for _, n := range []string{"CoreCompactorThreads", "MaximumCompactorThreads", "CoreValidationThreads",
		"MaximumValidatorThreads", "CoreViewBuildThreads", "MaximumViewBuildThreads"} {
		if a := cm.Attribute(n); a == nil || a.Type != "int" || !a.RW {
			t.Errorf("CompactionManager %s: %+v", n, a)
		}
	}
	es := EndpointSnitchInfo()
	if es.Attribute("Rack") == nil || es.Operation("getRack(java.lang.String)") == nil {
		t.Error("EndpointSnitchInfo: Rack attribute and getRack(String) operation expected")
	}
	if a := HintsService().Attribute("PendingHints"); a == nil || a.Type != "java.util.List" {
		t.Errorf("HintsService PendingHints: %+v", a)
	}
	var all []string
	for _, mb := range CassandraMBeans() {
		all = append(all, mb.ObjectName)
	}
	sort.Strings(all)
	if len(all) != 5 {
		t.Errorf("CassandraMBeans: %v", all)
	}
}
