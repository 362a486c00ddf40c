package sidecar_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// appKeyspace creates app.kv, replicated on every node of dc1, with rows.
func appKeyspace(t *testing.T, d *demo.Demo) *gocql.Session {
	t.Helper()
	cc := gocql.NewCluster(d.Cluster.Nodes()[0].Addr.String())
	cc.Port = d.Cluster.Config().NativePort
	cc.Consistency = gocql.Quorum
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for _, q := range []string{
		"CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}",
		"CREATE TABLE app.kv (k int PRIMARY KEY, v text)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	insertRows(t, s, 0)
	return s
}

func insertRows(t *testing.T, s *gocql.Session, from int) {
	t.Helper()
	for i := from; i < from+10; i++ {
		if err := s.Query("INSERT INTO app.kv (k, v) VALUES (?, 'v')", i).Exec(); err != nil {
			t.Fatal(err)
		}
	}
}

// stream runs a stream operation through the simulator's control API and
// checks that it received SSTables whole: ComponentManifest's components,
// no TOC.txt.
func stream(t *testing.T, d *demo.Demo, n *sim.Node, op string, body any) sim.StreamResult {
	t.Helper()
	ctl := &sim.Control{Addr: d.Cluster.Config().ControlAddr}
	var res sim.StreamResult
	path := "/v1/nodes/" + n.Addr.String() + "/" + op
	if op == "bootstrap" {
		path += "?wait=true"
	}
	if err := ctl.Do("POST", path, body, &res); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if len(res.SSTables) == 0 {
		t.Fatalf("%s streamed nothing: %+v", op, res)
	}
	for _, s := range res.SSTables {
		if _, err := os.Stat(s.SSTable + "-Data.db"); err != nil {
			t.Errorf("%s: %v", op, err)
		}
		if _, err := os.Stat(s.SSTable + "-TOC.txt"); !os.IsNotExist(err) {
			t.Errorf("%s: %s has a TOC.txt (%v)", op, s.SSTable, err)
		}
	}
	return res
}

// replicaAfter waits for a replica report read after since and returns it.
func replicaAfter(t *testing.T, sc *demo.Sidecar, since time.Time, cond func(code int, m map[string]any) bool) map[string]any {
	t.Helper()
	return eventually(t, sc.URL+"/v1/health/replica", func(code int, m map[string]any) bool {
		asOf, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["as_of"]))
		return err == nil && asOf.After(since) && cond(code, m)
	})
}

// TestStreamedSSTablesAreHealthy: a node that bootstrapped, rebuilt or was
// repaired holds SSTables without TOC.txt, as Cassandra 4.1's
// entire-SSTable streaming leaves them, and its replica check passes.
func TestStreamedSSTablesAreHealthy(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", nil)
	s := appKeyspace(t, d)
	sc := d.Sidecars[2]
	n := sc.Node
	healthy := func(code int, m map[string]any) bool { return code == 200 && m["corrupt_sstables"] == float64(0) }

	n.Stop()
	boot := stream(t, d, n, "bootstrap", nil)
	replicaAfter(t, sc, time.Now(), healthy)
	if boot.Status.OperationMode != "NORMAL" {
		t.Errorf("after bootstrap?wait: %+v", boot.Status)
	}

	stream(t, d, n, "rebuild", nil)
	replicaAfter(t, sc, time.Now(), healthy)

	// The node misses writes while down; repair streams them to it.
	n.Kill()
	insertRows(t, s, 10)
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitNormal(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	rep := stream(t, d, n, "repair", map[string]string{"keyspace": "app"})
	m := replicaAfter(t, sc, time.Now(), healthy)
	if len(rep.Sources) != 2 {
		t.Errorf("repair streamed from %v, want both other replicas", rep.Sources)
	}
	if files := m["corrupt_sstable_files"]; fmt.Sprint(files) != "[]" {
		t.Errorf("corrupt_sstable_files %v", files)
	}
}

// TestIncompleteSSTableFailsReplica: SSTables Cassandra cannot open are
// still reported, with and without a TOC.txt.
func TestIncompleteSSTableFailsReplica(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", nil)
	appKeyspace(t, d)
	sc := d.Sidecars[1]
	n := sc.Node
	n.Stop()
	boot := stream(t, d, n, "bootstrap", nil)

	// A streamed SSTable (no TOC.txt) that lost its primary index.
	f, err := n.Corrupt("missing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSuffix(f, "Index.db") + "TOC.txt"); !os.IsNotExist(err) {
		t.Fatalf("corrupted %s, which has a TOC.txt: want a streamed one", f)
	}
	m := replicaAfter(t, sc, time.Now(), func(code int, m map[string]any) bool { return code == 503 && m["corrupt_sstables"] == float64(1) })
	if r := fmt.Sprint(m["reasons"]); !strings.Contains(r, f) || !strings.Contains(r, "Index.db is missing") {
		t.Errorf("reasons %s, want them to name %s", r, f)
	}

	// A Data.db and nothing else.
	lone := filepath.Join(filepath.Dir(boot.SSTables[0].SSTable), "nb-99-big-Data.db")
	if err := os.WriteFile(lone, []byte("partition\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m = replicaAfter(t, sc, time.Now(), func(code int, m map[string]any) bool { return code == 503 && m["corrupt_sstables"] == float64(2) })
	if files := fmt.Sprint(m["corrupt_sstable_files"]); !strings.Contains(files, strings.TrimSuffix(lone, "Data.db")+"Statistics.db") {
		t.Errorf("corrupt_sstable_files %s do not name %s's missing Statistics.db", files, lone)
	}
}

// TestStartWithCorruptSSTableFailsAtOnce: a corrupt SSTable does not heal
// by waiting, so a start ends FAILED with it as soon as Cassandra is up —
// not after start_timeout (ten minutes here, which would fail the test's
// own deadline first).
func TestStartWithCorruptSSTableFailsAtOnce(t *testing.T) {
	t.Parallel()
	_, sc := startLifecycleDemo(t, func(c *config.Config) {
		c.Lifecycle.Grace = 0
		c.Lifecycle.StartTimeout = 10 * time.Minute
	})
	if code, res := post(t, sc.URL+"/v1/desires/node/stop?block"); code != 200 {
		t.Fatalf("stop: %d %v", code, res)
	}
	f, err := sc.Node.Corrupt("missing")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", sc.URL+"/v1/desires/node/start?block", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("start?block did not answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	e := fmt.Sprint(res["error"])
	if resp.StatusCode != 500 || res["outcome"] != "failed" || res["state"] != "FAILED" ||
		!strings.Contains(e, "replica: 1 corrupt SSTable(s), e.g. "+f) || !strings.HasSuffix(e, "waiting will not cure it") || strings.Contains(e, "start_timeout") {
		t.Fatalf("start?block: %d %s", resp.StatusCode, b)
	}
	// Cassandra itself is up: only its data is damaged.
	if sc.Node.State() != sim.StateRunning || res["cassandra_pid"] != float64(sc.Node.PID()) {
		t.Errorf("node %s pid %d, answer %v", sc.Node.State(), sc.Node.PID(), res)
	}
	code, st := get(t, sc.URL+"/v1/desires/node/status")
	if last, _ := st["last_transition"].(map[string]any); st["state"] != "FAILED" || last["error"] != res["error"] {
		t.Errorf("status: %d %v", code, st)
	}
}
