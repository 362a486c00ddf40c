package sidecar_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// logBuffer collects what every sidecar of a demo logs.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startStockDemo is a 3+3 demo whose system keyspaces keep the replication
// a new Cassandra 4.1 cluster creates, optionally with PasswordAuthenticator.
func startStockDemo(t *testing.T, auth bool) (*demo.Demo, *logBuffer) {
	t.Helper()
	scfg, err := sim.TestConfig("dc1:3x1,dc2:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		scfg.Auth = &sim.AuthConfig{Username: "cassandra", Password: "cassandra"}
	}
	logs := &logBuffer{}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond, KeepSystemReplication: true,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Configure: func(_ *sim.Node, c *config.Config) { c.Lifecycle.Grace = 100 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if len(d.SystemReplication) != 0 {
		t.Fatalf("the demo altered the system keyspaces: %v", d.SystemReplication)
	}
	return d, logs
}

// cqlSession connects to the demo's first node, with the cluster's
// credentials when it has them.
func cqlSession(t *testing.T, d *demo.Demo) *gocql.Session {
	t.Helper()
	n := d.Cluster.Nodes()[0]
	cc := gocql.NewCluster(n.Addr.String())
	cc.Port = d.Cluster.Config().NativePort
	cc.DisableInitialHostLookup = true
	if a := d.Cluster.Config().Auth; a != nil {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: a.Username, Password: a.Password}
	}
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// The simulator creates the system keyspaces as Cassandra 4.1 does
// (auth/AuthKeyspace, schema/SystemDistributedKeyspace, tracing/TraceKeyspace:
// KeyspaceParams.simple with cassandra.system_auth.default_rf 1,
// system_distributed 3, system_traces 2 in CassandraRelevantProperties).
func TestStockSystemKeyspaceReplication(t *testing.T) {
	t.Parallel()
	d, _ := startStockDemo(t, false)
	s := cqlSession(t, d)
	want := map[string]string{"system_auth": "1", "system_distributed": "3", "system_traces": "2"}
	it := s.Query("SELECT keyspace_name, replication FROM system_schema.keyspaces").Iter()
	var name string
	var repl map[string]string
	seen := 0
	for it.Scan(&name, &repl) {
		rf, ok := want[name]
		if !ok {
			continue
		}
		seen++
		if repl["class"] != "org.apache.cassandra.locator.SimpleStrategy" || repl["replication_factor"] != rf || len(repl) != 2 {
			t.Errorf("%s: %v, want SimpleStrategy RF %s", name, repl, rf)
		}
	}
	if err := it.Close(); err != nil || seen != 3 {
		t.Fatalf("%d system keyspaces seen: %v", seen, err)
	}
}

// With stock replication and no authentication nothing Cassandra does
// needs system_auth, and traces and repair history are written at ANY:
// a stop is allowed, and the coordinator reports carry no warning.
func TestStockReplicationWithoutAuthAllowsStop(t *testing.T) {
	t.Parallel()
	d, logs := startStockDemo(t, false)
	sc := d.Sidecars[1]
	if _, m := get(t, sc.URL+"/v1/health/coordinator"); m["warnings"] != nil {
		t.Errorf("warnings without authentication: %v", m["warnings"])
	}
	code, m := post(t, sc.URL+"/v1/desires/node/stop?block")
	if code != 200 || m["outcome"] != "succeeded" || sc.Node.State() != sim.StateStopped {
		t.Fatalf("stop with stock replication and AllowAllAuthenticator: %d %v", code, m)
	}
	if strings.Contains(logs.String(), "system keyspace replication") {
		t.Errorf("a warning was logged:\n%s", logs)
	}
	// The others stay healthy coordinators: nothing they serve is lost.
	for _, o := range []*demo.Sidecar{d.Sidecars[0], d.Sidecars[2]} {
		eventually(t, o.URL+"/v1/health/coordinator", func(code int, m map[string]any) bool {
			return code == 200 && len(strs(m["dead_peers"])) == 1
		})
	}
}

// With PasswordAuthenticator, system_auth RF 1 is read at LOCAL_QUORUM
// (auth_read_consistency_level): stopping a node that holds part of it is
// refused, the refusal names the ALTER KEYSPACE for this cluster's DCs,
// the coordinator report warns; after the ALTER the stop is allowed.
func TestStockReplicationWithAuthRefusesStopUntilAltered(t *testing.T) {
	t.Parallel()
	d, logs := startStockDemo(t, true)
	sc := d.Sidecars[0]
	const alter = "ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3};"

	_, m := get(t, sc.URL+"/v1/health/coordinator")
	w := strings.Join(strs(m["warnings"]), "\n")
	if !strings.Contains(w, "system_auth (SimpleStrategy{replication_factor:1})") || !strings.Contains(w, alter) || !strings.Contains(w, "nodetool repair --full system_auth") {
		t.Errorf("coordinator warnings: %q", w)
	}
	// Every sidecar said so in its log once its first snapshot was in.
	if l := logs.String(); strings.Count(l, `msg="system keyspace replication"`) != len(d.Sidecars) || !strings.Contains(l, "ALTER KEYSPACE system_auth") {
		t.Errorf("log:\n%s", l)
	}

	code, m := post(t, sc.URL+"/v1/desires/node/stop")
	msg, _ := m["error"].(string)
	if code != 409 || m["state"] != "RUNNING" || sc.Node.State() != sim.StateRunning {
		t.Fatalf("stop with system_auth RF 1 and PasswordAuthenticator: %d %v", code, m)
	}
	for _, want := range []string{"system_auth at LOCAL_QUORUM (coordinator in dc1), which Cassandra uses for logins", alter, "then nodetool repair --full system_auth on every node", "force=true"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q:\n%s", want, msg)
		}
	}
	// The bulk drain asks the same question.
	resp, err := http.Post(sc.URL+"/v1/bulkcmd/drain?hosts="+sc.Node.HostID.String(), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || !strings.Contains(string(b), "ALTER KEYSPACE system_auth") || sc.Node.Status().OperationMode != "NORMAL" {
		t.Errorf("drain of that node: %d %s", resp.StatusCode, b)
	}

	// Run the fix as the refusal gives it (the simulator has no repair).
	stmt := regexp.MustCompile(`ALTER KEYSPACE system_auth WITH replication = \{[^}]*\}`).FindString(msg)
	if err := cqlSession(t, d).Query(stmt).Exec(); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	eventually(t, sc.URL+"/v1/health/coordinator", func(code int, m map[string]any) bool { return code == 200 && m["warnings"] == nil })
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, m = post(t, sc.URL+"/v1/desires/node/stop?block")
		if code != 409 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // until the sidecar's snapshot has the new replication
	}
	if code != 200 || m["outcome"] != "succeeded" || sc.Node.State() != sim.StateStopped {
		t.Fatalf("stop after %s: %d %v", stmt, code, m)
	}
}

// force=true still overrides the refusal.
func TestForcedStopWithStockAuthReplication(t *testing.T) {
	t.Parallel()
	d, _ := startStockDemo(t, true)
	sc := d.Sidecars[4]
	if code, m := post(t, sc.URL+"/v1/desires/node/stop"); code != 409 || !strings.Contains(fmt.Sprint(m["error"]), "ALTER KEYSPACE system_auth") {
		t.Fatalf("unforced stop: %d %v", code, m)
	}
	code, m := post(t, sc.URL+"/v1/desires/node/stop?block&force=true")
	if code != 200 || m["outcome"] != "succeeded" || sc.Node.State() != sim.StateStopped {
		t.Fatalf("forced stop: %d %v", code, m)
	}
}
