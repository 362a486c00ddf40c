package sim_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
)

// TestProcessesAndSignals: each node has a real stand-in process whose pid
// is in its pidfile; SIGTERM stops the node gracefully (peers see it down
// at once), SIGKILL crashes it (peers notice after failure detection).
func TestProcessesAndSignals(t *testing.T) {
	c := startCluster(t, "dc1:3x1", true)
	nodes := c.Nodes()
	n := nodes[1]
	b, err := os.ReadFile(n.PIDFile())
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid == 0 || pid != n.PID() {
		t.Fatalf("pidfile says %d, node says %d", pid, n.PID())
	}
	// Findable per node in the process table (see spawnPlaceholder).
	if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || string(cl) != "ringside-sim-node@"+n.Addr.String()+"\x00infinity\x00" {
		t.Fatalf("cmdline of %d: %q %v", pid, cl, err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return n.State() == sim.StateStopped })
	if _, err := os.Stat(n.PIDFile()); !os.IsNotExist(err) {
		t.Fatalf("pidfile still there after stop: %v", err)
	}
	// Graceful: announced, so peers mark it down without waiting.
	if got := nodes[0].Status().Down; len(got) != 1 || got[0] != n.Endpoint() {
		t.Fatalf("peer view after graceful stop: %v", got)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	if n.State() != sim.StateStarting {
		t.Fatalf("state right after start: %s", n.State())
	}
	waitFor(t, func() bool { return n.Status().OperationMode == "NORMAL" && n.Status().NativeTransport })
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 0 })
	pid = n.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return n.State() == sim.StateStopped })
	// Abrupt: the others still think it is up until failure detection runs.
	if len(nodes[0].Status().Down) != 0 {
		t.Fatal("killed node marked down before the failure-detection delay")
	}
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 1 })
}

// TestPartition: nodes cut off from each other mark each other down; a
// request that needs the other side fails; healing restores it.
func TestPartition(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	nodes := c.Nodes()
	s := session(t, c, "", nodes[0])
	must(t, s.Query("CREATE KEYSPACE p WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}").Exec())
	must(t, s.Query("CREATE TABLE p.t (k int PRIMARY KEY, v int)").Exec())
	if err := c.Partition([][]*sim.Node{{nodes[0]}, {nodes[1], nodes[2]}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 2 && len(nodes[1].Status().Down) == 1 })
	// Both sides are running: node 0 still serves CQL but cannot reach quorum.
	err := s.Query("INSERT INTO p.t (k, v) VALUES (1, 1)").Consistency(gocql.Quorum).SetHostID(nodes[0].HostID.String()).Exec()
	if err == nil || !strings.Contains(err.Error(), "Cannot achieve consistency level QUORUM") {
		t.Fatalf("quorum write on the minority side: %v", err)
	}
	c.Heal()
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 0 })
	must(t, s.Query("INSERT INTO p.t (k, v) VALUES (1, 1)").Consistency(gocql.Quorum).SetHostID(nodes[0].HostID.String()).Exec())
}

// TestSlowNode: latency added to a node shows in its requests.
func TestSlowNode(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	s := session(t, c, "")
	c.Nodes()[0].SetLatency(150 * time.Millisecond)
	t0 := time.Now()
	must(t, s.Query("SELECT release_version FROM system.local").Exec())
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Fatalf("query took %s with 150ms latency", d)
	}
}

// TestNodeDirectory: cassandra.yaml, SSTables with TOC.txt, flush and corrupt.
func TestNodeDirectory(t *testing.T) {
	c := startCluster(t, "dc1:1x1", true)
	n := c.Nodes()[0]
	y, err := os.ReadFile(n.YAMLPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cluster_name: ringside", "listen_address: " + n.Addr.String(), "compaction_throughput: 64MiB/s", "num_tokens: 16"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("cassandra.yaml lacks %q", want)
		}
	}
	s := session(t, c, "")
	must(t, s.Query("CREATE KEYSPACE d WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec())
	must(t, s.Query("CREATE TABLE d.t (k int PRIMARY KEY, v text)").Exec())
	for i := 0; i < 10; i++ {
		must(t, s.Query("INSERT INTO d.t (k, v) VALUES (?, 'x')", i).Exec())
	}
	n.Drain() // flushes
	tocs, _ := filepath.Glob(filepath.Join(n.DataDir(), "d", "t-*", "nb-*-big-TOC.txt"))
	if len(tocs) != 1 {
		t.Fatalf("SSTables of d.t after flush: %v", tocs)
	}
	toc, _ := os.ReadFile(tocs[0])
	for _, comp := range strings.Fields(string(toc)) {
		if _, err := os.Stat(strings.TrimSuffix(tocs[0], "TOC.txt") + comp); err != nil {
			t.Errorf("component %s listed in TOC.txt is missing: %v", comp, err)
		}
	}
	f, err := n.Corrupt("missing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f); !os.IsNotExist(err) || !strings.Contains(f, string(filepath.Separator)+"d"+string(filepath.Separator)) {
		t.Fatalf("corrupt removed %s (%v)", f, err)
	}
	// The native port is closed after drain, Jolokia still answers.
	if _, err := net.DialTimeout("tcp", net.JoinHostPort(n.Addr.String(), "9042"), time.Second); err == nil {
		t.Fatal("native transport still listening after drain")
	}
}
