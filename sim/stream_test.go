package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
)

// manifest is ComponentManifest.STREAM_COMPONENTS in its order: what an
// entire-SSTable stream may carry (never TOC.txt).
var manifest = []string{"Data.db", "Index.db", "Statistics.db", "CompressionInfo.db", "Filter.db", "Summary.db", "Digest.crc32", "CRC.db"}

// only reads at ONE through n alone: n coordinates, and as a replica of
// every range it reads its own data first.
func only(t *testing.T, c *sim.Cluster, n *sim.Node) *gocql.Session {
	t.Helper()
	cc := gocql.NewCluster(n.Addr.String())
	cc.Port = c.Config().NativePort
	cc.Consistency = gocql.One
	cc.DisableInitialHostLookup = true
	cc.HostFilter = gocql.WhiteListHostFilter(n.Addr.String())
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// countRows counts the keys 0..19 that n has: a point read at ONE that n
// coordinates reads n's own data first (a full scan would merge every
// replica's).
func countRows(t *testing.T, s *gocql.Session) int {
	t.Helper()
	n := 0
	for k := 0; k < 20; k++ {
		var v string
		err := s.Query("SELECT v FROM app.kv WHERE k = ?", k).Scan(&v)
		switch {
		case err == nil:
			n++
		case err != gocql.ErrNotFound:
			t.Fatal(err)
		}
	}
	return n
}

// sstableFiles lists the files of the node's app.kv directory.
func sstableFiles(t *testing.T, n *sim.Node) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(n.DataDir(), "app", "kv-*"))
	if len(dirs) != 1 {
		t.Fatalf("app.kv directories of %s: %v", n.Addr, dirs)
	}
	return dirNames(t, dirs[0])
}

var streamedName = regexp.MustCompile(`/nb-[0-9]+-big$`)

// checkStreamed: every SSTable received has ComponentManifest's
// components only, in its order, is named as 4.1 names SSTables under a
// generation no other SSTable of the node's directory has, and has no
// TOC.txt; nothing else (a transaction log) is left behind.
func checkStreamed(t *testing.T, n *sim.Node, res sim.StreamResult) {
	t.Helper()
	if len(res.SSTables) == 0 {
		t.Fatalf("%s streamed nothing: %+v", res.Operation, res)
	}
	seen := map[string]bool{}
	for _, s := range res.SSTables {
		if !strings.HasPrefix(s.SSTable, n.DataDir()+string(filepath.Separator)) || !streamedName.MatchString(s.SSTable) || seen[s.SSTable] {
			t.Errorf("SSTable %s: not a fresh nb-<gen>-big of %s", s.SSTable, n.DataDir())
		}
		seen[s.SSTable] = true
		var order []string
		for _, c := range manifest {
			if slices.Contains(s.Components, c) {
				order = append(order, c)
			}
		}
		if !slices.Equal(order, s.Components) || !slices.Contains(s.Components, "Data.db") {
			t.Errorf("%s: components %v, want ComponentManifest's in its order", s.SSTable, s.Components)
		}
		for _, c := range s.Components {
			if _, err := os.Stat(s.SSTable + "-" + c); err != nil {
				t.Errorf("%s: %v", s.SSTable, err)
			}
		}
		if _, err := os.Stat(s.SSTable + "-TOC.txt"); !os.IsNotExist(err) {
			t.Errorf("%s has a TOC.txt (%v): entire-SSTable streaming writes none", s.SSTable, err)
		}
	}
	for _, f := range sstableFiles(t, n) {
		if strings.HasSuffix(f, ".log") {
			t.Errorf("a transaction log was left behind: %s", f)
		}
	}
}

// appCluster starts a cluster with node directories and the control API,
// and creates app.kv with the given NetworkTopologyStrategy factors.
func appCluster(t *testing.T, topology, factors string) (*sim.Cluster, *sim.Control, *gocql.Session) {
	t.Helper()
	c := startCluster(t, topology, true)
	s := session(t, c, "dc1")
	must(t, s.Query("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', "+factors+"}").Exec())
	must(t, s.Query("CREATE TABLE app.kv (k int PRIMARY KEY, v text)").Exec())
	return c, &sim.Control{Addr: c.Config().ControlAddr}, s
}

// TestStreaming: repair, rebuild and bootstrap stream SSTables whole to
// the node, from the replicas Cassandra would pick, and bring it the
// data of its ranges.
func TestStreaming(t *testing.T) {
	t.Parallel()
	c, ctl, s := appCluster(t, "dc1:3x1,dc2:3x1", "'dc1': 3, 'dc2': 3")
	nodes := c.Nodes()
	n := nodes[2]

	// n misses writes while it is down (the simulator has no hints).
	// QUORUM: the simulator writes LOCAL_* to the local DC's replicas only.
	n.Kill()
	waitFor(t, func() bool { return slices.Contains(nodes[0].Status().Down, n.Endpoint()) })
	for i := 0; i < 20; i++ {
		must(t, s.Query("INSERT INTO app.kv (k, v) VALUES (?, ?)", i, "v").Consistency(gocql.Quorum).Exec())
	}
	var st sim.NodeStatus
	must(t, ctl.Do("POST", "/v1/nodes/"+n.Addr.String()+"/start?wait=true", nil, &st))
	waitFor(t, func() bool {
		return len(n.Status().Down) == 0 && !slices.Contains(nodes[0].Status().Down, n.Endpoint())
	})
	if got := countRows(t, only(t, c, n)); got != 0 {
		t.Fatalf("n has %d rows before the repair; it was down for every write", got)
	}

	// Repair: the other replicas hold rows n lacks.
	var rep sim.StreamResult
	must(t, ctl.Do("POST", "/v1/nodes/"+n.Addr.String()+"/repair", map[string]string{"keyspace": "app"}, &rep))
	checkStreamed(t, n, rep)
	if rep.Operation != "Repair" || len(rep.Sources) != 5 || rep.Status.State != sim.StateRunning {
		t.Errorf("repair: operation %q, sources %v (want the five other replicas), state %s", rep.Operation, rep.Sources, rep.Status.State)
	}
	if got := countRows(t, only(t, c, n)); got != 20 {
		t.Errorf("after the repair n has %d of 20 rows", got)
	}
	// Replicas that agree stream nothing.
	var again sim.StreamResult
	must(t, ctl.Do("POST", "/v1/nodes/"+n.Addr.String()+"/repair", nil, &again))
	if len(again.SSTables) != 0 {
		t.Errorf("a second repair streamed %d SSTables", len(again.SSTables))
	}

	// Rebuild from dc2: one source per range, all in dc2.
	before := sstableFiles(t, n)
	var reb sim.StreamResult
	must(t, ctl.Do("POST", "/v1/nodes/"+n.Addr.String()+"/rebuild", map[string]string{"keyspace": "app", "source_dc": "dc2"}, &reb))
	checkStreamed(t, n, reb)
	for _, src := range reb.Sources {
		if p, err := c.Node(src); err != nil || p.DC != "dc2" {
			t.Errorf("rebuild from dc2 streamed from %s (%v)", src, err)
		}
	}
	for _, sst := range reb.SSTables {
		if slices.Contains(before, filepath.Base(sst.SSTable)+"-Data.db") {
			t.Errorf("rebuild reused generation %s", sst.SSTable)
		}
	}

	// Bootstrap: a stopped node starts empty and receives its ranges from
	// the closest live replica of each (dc1 here).
	must(t, ctl.Do("POST", "/v1/nodes/"+n.Addr.String()+"/stop", nil, &st))
	var boot sim.StreamResult
	must(t, ctl.Do("POST", "/v1/nodes/"+n.Addr.String()+"/bootstrap?wait=true", nil, &boot))
	checkStreamed(t, n, boot)
	if boot.Status.State != sim.StateRunning || boot.Status.OperationMode != "NORMAL" {
		t.Errorf("after bootstrap?wait: %+v", boot.Status)
	}
	for _, src := range boot.Sources {
		if src != nodes[0].Endpoint() && src != nodes[1].Endpoint() {
			t.Errorf("bootstrap streamed from %s, not from dc1", src)
		}
	}
	// The wipe removed what repair and rebuild had written.
	for _, f := range sstableFiles(t, n) {
		if !slices.ContainsFunc(boot.SSTables, func(x sim.StreamedSSTable) bool { return strings.HasPrefix(f, filepath.Base(x.SSTable)+"-") }) {
			t.Errorf("%s survived the bootstrap's wipe", f)
		}
	}
	if got := countRows(t, only(t, c, n)); got != 20 {
		t.Errorf("after the bootstrap n has %d of 20 rows", got)
	}
}

// TestStreamingBadInput: a stream in the wrong state or with bad options
// is refused with a clear error and writes nothing.
func TestStreamingBadInput(t *testing.T) {
	t.Parallel()
	c, ctl, s := appCluster(t, "dc1:3x1", "'dc1': 3")
	nodes := c.Nodes()
	must(t, s.Query("INSERT INTO app.kv (k, v) VALUES (1, 'a')").Exec())
	n, down := nodes[0].Addr.String(), nodes[2]
	down.Stop()
	waitFor(t, func() bool { return slices.Contains(nodes[0].Status().Down, down.Endpoint()) })
	listing := func() string {
		var b strings.Builder
		for _, x := range nodes {
			filepath.Walk(x.DataDir(), func(p string, _ os.FileInfo, err error) error {
				b.WriteString(p + "\n")
				return nil
			})
		}
		return b.String()
	}
	was := listing()
	for _, tc := range []struct {
		path string
		body any
		want string
	}{
		{"/v1/nodes/" + n + "/bootstrap", nil, "bootstrap needs a stopped node"},
		{"/v1/nodes/" + down.Addr.String() + "/rebuild", nil, "rebuild needs a running node"},
		{"/v1/nodes/" + down.Addr.String() + "/repair", nil, "repair needs a running node"},
		{"/v1/nodes/" + n + "/repair", nil, "Endpoint not alive: /" + down.Endpoint()},
		{"/v1/nodes/" + n + "/repair", map[string]string{"source_dc": "dc1"}, "source_dc applies to rebuild"},
		{"/v1/nodes/" + n + "/rebuild", map[string]string{"source_dc": "dc9"}, "Provided datacenter 'dc9' is not a valid datacenter, available datacenters are: dc1"},
		{"/v1/nodes/" + n + "/rebuild", map[string]string{"keyspace": "nope"}, "Keyspace nope does not exist"},
		{"/v1/nodes/" + n + "/rebuild", map[string]string{"keyspace": "system_views"}, "virtual keyspace system_views"},
		{"/v1/nodes/" + n + "/rebuild", map[string]string{"keyspaces": "app"}, "bad body"},
		{"/v1/nodes/" + down.Addr.String() + "/bootstrap", map[string]string{"keyspace": "app"}, "takes no keyspace"},
		{"/v1/nodes/" + n + "/drain", map[string]string{"keyspace": "app"}, "takes no keyspace"},
		{"/v1/nodes/10.9.9.9/rebuild", nil, "no node"},
	} {
		err := ctl.Do("POST", tc.path, tc.body, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("POST %s %v: %v, want an error containing %q", tc.path, tc.body, err, tc.want)
		}
	}
	// The HTTP status says whose fault it is, in a JSON body.
	for _, tc := range []struct {
		path, body string
		code       int
	}{
		{"/v1/nodes/" + n + "/bootstrap", "", 409},
		{"/v1/nodes/" + n + "/rebuild", `{"source_dc": "dc9"}`, 400},
	} {
		resp, err := http.Post("http://"+ctl.Addr+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.code || err != nil || e.Error == "" {
			t.Errorf("POST %s %s: %d %v %q, want %d with an error", tc.path, tc.body, resp.StatusCode, err, e.Error, tc.code)
		}
	}
	if now := listing(); now != was {
		t.Errorf("refused streams changed the data directories:\nbefore\n%s\nafter\n%s", was, now)
	}
	if st := down.Status(); st.State != sim.StateStopped {
		t.Errorf("refused requests started %s: %s", down.Addr, st.State)
	}

	// The CLI: the same refusals are errors (ringside exits non-zero with
	// them), successes print what was received.
	var out bytes.Buffer
	if err := sim.RunCtl([]string{"--control", ctl.Addr, "bootstrap", n}, &out); err == nil || !strings.Contains(err.Error(), "bootstrap needs a stopped node") {
		t.Errorf("sim ctl bootstrap of a running node: %v", err)
	}
	if err := sim.RunCtl([]string{"--control", ctl.Addr, "repair", n, "app", "extra"}, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("sim ctl repair with too many arguments: %v", err)
	}
	if err := sim.RunCtl([]string{"--control", ctl.Addr, "repair", n, "--keyspace", "app"}, &out); err == nil || !strings.Contains(err.Error(), "--keyspace goes with rebuild") {
		t.Errorf("sim ctl repair --keyspace: %v", err)
	}
	out.Reset()
	if err := sim.RunCtl([]string{"--control", ctl.Addr, "bootstrap", down.Addr.String(), "--wait"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "received app.kv ") || !strings.Contains(out.String(), "Bootstrap of "+down.Endpoint()) || !strings.Contains(out.String(), "RUNNING NORMAL") {
		t.Errorf("sim ctl bootstrap --wait printed:\n%s", out.String())
	}
	out.Reset()
	if err := sim.RunCtl([]string{"--control", ctl.Addr, "--json", "rebuild", n, "dc1", "--keyspace", "app"}, &out); err != nil {
		t.Fatal(err)
	}
	var res sim.StreamResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Operation != "Rebuild" || len(res.SSTables) == 0 {
		t.Errorf("sim ctl --json rebuild: %v %s", err, out.String())
	}
	checkStreamed(t, nodes[0], res)
}
