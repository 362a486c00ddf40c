package sim_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

func jolokiaURL(c *sim.Cluster, n *sim.Node) string {
	return fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort)
}

// metric reads one attribute of a metric MBean; -1 if it is not registered.
func metric(t *testing.T, c *sim.Cluster, n *sim.Node, name, attr string) float64 {
	t.Helper()
	r := jolokia(t, jolokiaURL(c, n), fmt.Sprintf(`{"type":"read","mbean":%q,"attribute":%q}`, name, attr))
	if r["status"] != float64(200) {
		return -1
	}
	v, _ := r["value"].(float64)
	return v
}

func totalHints(t *testing.T, c *sim.Cluster, n *sim.Node) int {
	return int(metric(t, c, n, "org.apache.cassandra.metrics:type=Storage,name=TotalHints", "Count"))
}

// endpointMetric is a per-target HintsService metric name ("Hints_created").
func endpointMetric(c *sim.Cluster, kind string, target *sim.Node) string {
	return fmt.Sprintf("org.apache.cassandra.metrics:type=HintsService,name=%s-/%s.%d", kind, target.Addr, c.Config().StoragePort)
}

func pendingRows(t *testing.T, s *gocql.Session) []map[string]any {
	t.Helper()
	rows, err := s.Query("SELECT * FROM system_views.pending_hints").Iter().SliceMap()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func hintFiles(t *testing.T, n *sim.Node) []string {
	t.Helper()
	return dirNames(t, filepath.Join(filepath.Dir(n.DataDir()), "hints"))
}

// dirNames lists a directory's entries, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func waitDown(t *testing.T, observer, n *sim.Node, want string) {
	t.Helper()
	waitFor(t, func() bool { return statusOf(t, observer, n) == want })
}

// hintsCluster starts a cluster (node directories on) with keyspace probe
// of the given replication and a session that nodes[0] coordinates.
func hintsCluster(t *testing.T, topology, replication string, adjust func(*sim.Config)) (*sim.Cluster, *gocql.Session) {
	t.Helper()
	c := simtest.Start(t, topology, true, adjust)
	s := pinned(t, c, c.Nodes()[0], 0)
	must(t, s.Query("CREATE KEYSPACE probe WITH replication = "+replication).Exec())
	must(t, s.Query("CREATE TABLE probe.kv (k int PRIMARY KEY, v text)").Exec())
	return c, s
}

// stopSeen stops target gracefully and waits until observer sees it DN.
func stopSeen(t *testing.T, observer, target *sim.Node) {
	t.Helper()
	must(t, target.Stop())
	waitDown(t, observer, target, "DN")
}

func writeRows(t *testing.T, s *gocql.Session, from, to int, cl gocql.Consistency, v string) {
	t.Helper()
	for i := from; i < to; i++ {
		must(t, s.Query("INSERT INTO probe.kv (k, v) VALUES (?, ?)", i, v).Consistency(cl).Exec())
	}
}

// countKV counts the keys 0..99 a point read at ONE finds: through a
// coordinator that is a replica, that is its own data.
func countKV(t *testing.T, s *gocql.Session) int {
	t.Helper()
	n := 0
	for k := 0; k < 100; k++ {
		var v string
		err := s.Query("SELECT v FROM probe.kv WHERE k = ?", k).Consistency(gocql.One).Scan(&v)
		if err == nil {
			n++
		} else if err != gocql.ErrNotFound {
			t.Fatal(err)
		}
	}
	return n
}

// TestHintedHandoffAsCaptured follows hints.txt and hints-files.txt: with
// the target down its hints sit in the coordinator's buffer and open file
// and nothing is pending; once it is back the trigger closes the file
// (.crc32), which shows in system_views.pending_hints, listpendinghints and
// PendingHints until dispatch delivers it and deletes both files. The
// returned node serves the missed writes only after delivery, and the
// counters count every hint written and delivered.
func TestHintedHandoffAsCaptured(t *testing.T) {
	// A closed file is pending for one period before dispatch takes it: a
	// second leaves the test time to see it.
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", func(cfg *sim.Config) { cfg.HintsDispatchInterval = time.Second })
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[2]

	stopSeen(t, coord, target)
	const writes = 50
	writeRows(t, s, 0, writes, gocql.One, "v")

	if got := totalHints(t, c, coord); got != writes {
		t.Fatalf("TotalHints = %d, want %d", got, writes)
	}
	if got := metric(t, c, coord, endpointMetric(c, "Hints_created", target), "Count"); got != writes {
		t.Fatalf("Hints_created = %v, want %d", got, writes)
	}
	if got := metric(t, c, coord, "org.apache.cassandra.metrics:type=Storage,name=TotalHintsInProgress", "Count"); got != 0 {
		t.Fatalf("TotalHintsInProgress = %v, want 0", got)
	}
	// The buffer is flushed to an open file within a period; nothing is pending.
	waitFor(t, func() bool { return len(hintFiles(t, coord)) == 1 })
	time.Sleep(2 * c.Config().HintsDispatchInterval)
	files := hintFiles(t, coord)
	if len(files) != 1 || !regexp.MustCompile(`^`+target.HostID.String()+`-\d{13}-2\.hints$`).MatchString(files[0]) {
		t.Fatalf("hints directory while the target is down: %v, want one open <host id>-<ms>-2.hints", files)
	}
	if rows := pendingRows(t, s); len(rows) != 0 {
		t.Fatalf("pending_hints while the target is down: %v", rows)
	}
	if out, _, _ := nodetool(t, coord, "listpendinghints"); out != "This node does not have any pending hints\n" {
		t.Fatalf("listpendinghints while down: %q", out)
	}
	if got := metric(t, c, coord, "org.apache.cassandra.metrics:type=HintsService,name=HintsSucceeded", "Count"); got != -1 {
		t.Fatalf("HintsSucceeded registered before any dispatch (Count %v)", got)
	}

	// Back, with dispatch paused: the returned node has not got the writes.
	nodetoolOK(t, coord, "pausehandoff")
	must(t, target.Start())
	waitDown(t, coord, target, "UN")
	st := pinned(t, c, target, 0)
	if n := countKV(t, st); n != 0 {
		t.Fatalf("returned node serves %d rows before delivery", n)
	}
	time.Sleep(2 * c.Config().HintsDispatchInterval)
	if rows := pendingRows(t, s); len(rows) != 0 {
		t.Fatalf("pending_hints while dispatch is paused: %v", rows)
	}

	// resumeDispatch through Jolokia (what nodetool resumehandoff calls), quicker than a nodetool run.
	if r := jolokia(t, jolokiaURL(c, coord), `{"type":"exec","mbean":"org.apache.cassandra.hints:type=HintsService","operation":"resumeDispatch"}`); r["status"] != float64(200) {
		t.Fatalf("resumeDispatch: %v", r)
	}
	var row map[string]any
	waitFor(t, func() bool {
		rows := pendingRows(t, s)
		if len(rows) == 1 {
			row = rows[0]
		}
		return len(rows) == 1
	})
	if row["host_id"].(gocql.UUID).String() != target.HostID.String() || row["files"] != 1 || row["status"] != "UP" ||
		row["dc"] != "dc1" || row["rack"] != target.Rack || row["port"] != c.Config().StoragePort ||
		fmt.Sprint(row["address"]) != target.Addr.String() || !row["newest"].(time.Time).Equal(row["oldest"].(time.Time)) {
		t.Fatalf("pending_hints row %v", row)
	}
	files = hintFiles(t, coord)
	if len(files) != 2 || !strings.HasSuffix(files[0], ".crc32") || !regexp.MustCompile(`^[0-9a-f]{1,8}$`).MatchString(readFile(t, filepath.Join(filepath.Dir(coord.DataDir()), "hints", files[0]))) {
		t.Fatalf("hints directory once the file is closed: %v", files)
	}
	// Delivery: the rows arrive, the files go, the counters agree.
	waitFor(t, func() bool { return countKV(t, st) == writes })
	waitFor(t, func() bool { return len(hintFiles(t, coord)) == 0 && len(pendingRows(t, s)) == 0 })
	if got := metric(t, c, coord, "org.apache.cassandra.metrics:type=HintsService,name=HintsSucceeded", "Count"); got != writes {
		t.Fatalf("HintsSucceeded = %v, want %d", got, writes)
	}
	for _, name := range []string{"HintsFailed", "HintsTimedOut"} {
		if got := metric(t, c, coord, "org.apache.cassandra.metrics:type=HintsService,name="+name, "Count"); got != 0 {
			t.Fatalf("%s = %v, want 0", name, got)
		}
	}
	if got := metric(t, c, coord, endpointMetric(c, "Hint_delays", target), "Count"); got != writes {
		t.Fatalf("Hint_delays-<target> Count = %v, want %d", got, writes)
	}
	search := jolokia(t, jolokiaURL(c, coord), `{"type":"search","mbean":"org.apache.cassandra.metrics:type=HintsService,*"}`)
	var names []string
	for _, v := range search["value"].([]any) {
		names = append(names, strings.TrimPrefix(strings.TrimSuffix(v.(string), ",type=HintsService"), "org.apache.cassandra.metrics:name="))
	}
	sort.Strings(names)
	ep := fmt.Sprintf("/%s.%d", target.Addr, c.Config().StoragePort)
	want := []string{"Hint_delays", "Hint_delays-" + ep, "HintsFailed", "HintsSucceeded", "HintsTimedOut", "Hints_created-" + ep}
	sort.Strings(want)
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("HintsService metrics %v, want %v (hints-files.txt)", names, want)
	}
	if out, _, _ := nodetool(t, coord, "statushandoff"); out != "Hinted handoff is running\n" {
		t.Fatalf("statushandoff: %q", out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func nodetoolOK(t *testing.T, n *sim.Node, args ...string) string {
	t.Helper()
	out, errOut, code := nodetool(t, n, args...)
	if code != 0 {
		t.Fatalf("nodetool %v: exit %d: %s%s", args, code, out, errOut)
	}
	return out
}

// TestListPendingHintsFormat: listpendinghints prints 4.1.6's TableBuilder
// table (hints-files.txt): the captured header, columns one space apart,
// times in UTC with milliseconds. A coordinator restarted while the target
// is down finds its closed file on disk: pending, target DOWN.
func TestListPendingHintsFormat(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", nil)
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[1]
	stopSeen(t, coord, target)
	writeRows(t, s, 0, 3, gocql.One, "v")
	must(t, coord.Stop())
	must(t, coord.Start())
	waitFor(t, func() bool { return coord.State() == sim.StateRunning })
	out := nodetoolOK(t, coord, "listpendinghints")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	header := regexp.MustCompile(`^Host ID +Address +Rack +DC +Status Total files Newest +Oldest +$`)
	if len(lines) != 2 || !header.MatchString(lines[0]) {
		t.Fatalf("listpendinghints:\n%s", out)
	}
	re := regexp.MustCompile(`^(\S+) +(\S+) +(\S+) +(\S+) +(\S+) +(\d+) +(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})$`)
	row, at := re.FindStringSubmatch(lines[1]), re.FindStringSubmatchIndex(lines[1])
	if row == nil {
		t.Fatalf("row %q", lines[1])
	}
	if row[1] != target.HostID.String() || row[2] != target.Endpoint() || row[3] != target.Rack || row[4] != "dc1" || row[5] != "DOWN" || row[6] != "1" {
		t.Fatalf("row %q", lines[1])
	}
	// TableBuilder: every cell starts where its column's header does, and
	// the last column is padded too (the captured header ends in spaces).
	for g, col := range []string{"Host ID", "Address", "Rack", "DC", "Status", "Total files", "Newest", "Oldest"} {
		if strings.Index(lines[0], col) != at[2*(g+1)] {
			t.Fatalf("column %s misaligned:\n%s", col, out)
		}
	}
	if len(lines[0]) != len(lines[1]) {
		t.Fatalf("header and row widths differ:\n%q", out)
	}
	// PendingHints as the real agent sends it: PendingHintsInfo.asMap, a
	// HashMap of strings (hints-files.txt).
	raw := string(jolokiaRaw(t, jolokiaURL(c, coord), `{"type":"read","mbean":"org.apache.cassandra.hints:type=HintsService","attribute":"PendingHints"}`))
	if !regexp.MustCompile(`"value":\[\{"total_files":"1","oldest_timestamp":"\d{13}","newest_timestamp":"\d{13}","host_id":"` + target.HostID.String() + `"\}\]`).MatchString(raw) {
		t.Fatalf("PendingHints: %s", raw)
	}
	must(t, target.Start())
	waitFor(t, func() bool {
		return nodetoolOK(t, coord, "listpendinghints") == "This node does not have any pending hints\n"
	})
}

// TestHintRefusals: no hint is written when hinted handoff is disabled,
// for a DC in hinted_handoff_disabled_datacenters, past max_hint_window
// (and, with hint_window_persistent_enabled, past it counted from the
// earliest stored hint after a short outage), or over
// max_hints_size_per_host.
func TestHintRefusals(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1,dc2:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}", nil)
	nodes := c.Nodes()
	coord := nodes[0]
	hints := func() int { return totalHints(t, c, coord) }
	// refused: with target down no write is hinted, until the nodetool
	// command enable lifts the refusal.
	refused := func(t *testing.T, target *sim.Node, why string, enable ...string) {
		t.Helper()
		stopSeen(t, coord, target)
		before := hints()
		writeRows(t, s, 0, 5, gocql.One, "v")
		if got := hints(); got != before {
			t.Fatalf("hints written %s: %d → %d", why, before, got)
		}
		nodetoolOK(t, coord, enable...)
		writeRows(t, s, 0, 2, gocql.One, "v")
		if got := hints(); got != before+2 {
			t.Fatalf("hints after %v: %d, want %d", enable, got, before+2)
		}
		must(t, target.Start())
		waitDown(t, coord, target, "UN")
	}

	t.Run("disablehandoff", func(t *testing.T) {
		target := nodes[1]
		nodetoolOK(t, coord, "disablehandoff")
		if out := nodetoolOK(t, coord, "statushandoff"); out != "Hinted handoff is not running\n" {
			t.Fatalf("statushandoff: %q", out)
		}
		refused(t, target, "with handoff disabled", "enablehandoff")
	})

	t.Run("disablehintsfordc", func(t *testing.T) {
		target := nodes[3] // dc2
		if target.DC != "dc2" {
			t.Fatalf("node %s is in %s", target.Addr, target.DC)
		}
		nodetoolOK(t, coord, "disablehintsfordc", "dc2")
		if out := nodetoolOK(t, coord, "statushandoff"); out != "Hinted handoff is running\nData center dc2 is disabled\n" {
			t.Fatalf("statushandoff: %q", out)
		}
		var dcs string
		must(t, s.Query("SELECT value FROM system_views.settings WHERE name = 'hinted_handoff_disabled_datacenters'").Scan(&dcs))
		if dcs != "[dc2]" {
			t.Fatalf("settings hinted_handoff_disabled_datacenters = %q", dcs)
		}
		refused(t, target, "for a disabled DC", "enablehintsfordc", "dc2")
	})

	t.Run("max_hint_window", func(t *testing.T) {
		target := nodes[2]
		nodetoolOK(t, coord, "setmaxhintwindow", "300")
		stopSeen(t, coord, target)
		time.Sleep(400 * time.Millisecond)
		before := hints()
		writeRows(t, s, 0, 4, gocql.One, "v")
		if got := hints(); got != before {
			t.Fatalf("hints written past the window: %d → %d", before, got)
		}
		if got := metric(t, c, coord, endpointMetric(c, "Hints_not_stored", target), "Count"); got != 4 {
			t.Fatalf("Hints_not_stored = %v, want 4", got)
		}
		must(t, target.Start())
		waitDown(t, coord, target, "UN")
	})

	t.Run("persistent window", func(t *testing.T) {
		// A short second outage: the window counts from the hint stored in
		// the first, which dispatch (paused) has not delivered.
		target := nodes[4]
		nodetoolOK(t, coord, "setmaxhintwindow", "1500")
		nodetoolOK(t, coord, "pausehandoff")
		stopSeen(t, coord, target)
		before := hints()
		writeRows(t, s, 0, 1, gocql.One, "v")
		first := time.Now()
		if got := hints(); got != before+1 {
			t.Fatalf("first outage: %d hints, want %d", got, before+1)
		}
		must(t, target.Start())
		waitDown(t, coord, target, "UN")
		time.Sleep(time.Until(first.Add(1600 * time.Millisecond)))
		stopSeen(t, coord, target)
		writeRows(t, s, 1, 3, gocql.One, "v")
		if got := hints(); got != before+1 {
			t.Fatalf("second, short outage: %d hints, want %d (earliest hint past the window)", got, before+1)
		}
		nodetoolOK(t, coord, "resumehandoff")
		nodetoolOK(t, coord, "setmaxhintwindow", "10800000")
		must(t, target.Start())
		waitDown(t, coord, target, "UN")
	})

	t.Run("max_hints_size_per_host", func(t *testing.T) {
		target := nodes[5]
		r := jolokia(t, jolokiaURL(c, coord), `{"type":"write","mbean":"org.apache.cassandra.db:type=StorageProxy","attribute":"MaxHintsSizePerHostInMiB","value":1}`)
		if r["status"] != float64(200) {
			t.Fatalf("set MaxHintsSizePerHostInMiB: %v", r)
		}
		var v string
		must(t, s.Query("SELECT value FROM system_views.settings WHERE name = 'max_hints_size_per_host'").Scan(&v))
		if v != "1MiB" {
			t.Fatalf("max_hints_size_per_host = %q", v)
		}
		stopSeen(t, coord, target)
		big := strings.Repeat("x", 100<<10)
		before := hints()
		writeRows(t, s, 0, 11, gocql.One, big) // 1.1 MiB of hints
		// Once flushed to the file, the size counts.
		time.Sleep(3 * c.Config().HintsDispatchInterval)
		writeRows(t, s, 11, 16, gocql.One, big)
		if got := hints(); got != before+11 {
			t.Fatalf("hints over max_hints_size_per_host: %d, want %d", got, before+11)
		}
	})
}

// TestHintsForUnreachableReplica: a replica the coordinator still sees up
// but cannot reach is hinted when its write times out, and gets the write
// once the partition heals.
func TestHintsForUnreachableReplica(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", nil)
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[2]
	must(t, c.Partition([][]*sim.Node{{nodes[0], nodes[1]}, {nodes[2]}}))
	start := time.Now()
	writeRows(t, s, 0, 1, gocql.One, "v")
	waitFor(t, func() bool { return totalHints(t, c, coord) == 1 })
	if d := time.Since(start); d < c.Config().RequestTimeout {
		t.Fatalf("hint after %s, before the write timeout %s", d, c.Config().RequestTimeout)
	}
	c.Heal()
	waitDown(t, coord, target, "UN")
	st := pinned(t, c, target, 0)
	waitFor(t, func() bool { return countKV(t, st) == 1 })
}

// TestWriteAtAnyCountsHint: at ANY a hint is the acknowledgement; with
// hinted handoff off a write whose replicas are all down times out.
func TestWriteAtAnyCountsHint(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 1}", nil)
	nodes := c.Nodes()
	coord := nodes[0]
	// A key the coordinator does not own.
	var owner *sim.Node
	k := 0
	for ; k < 1000 && owner == nil; k++ {
		ep := replicaOf(t, c, coord, k)
		for _, n := range nodes[1:] {
			if n.Endpoint() == ep {
				owner = n
			}
		}
	}
	k--
	if owner == nil {
		t.Fatal("no key owned by another node")
	}
	must(t, owner.Stop())
	waitDown(t, coord, owner, "DN")
	must(t, s.Query("INSERT INTO probe.kv (k, v) VALUES (?, 'a')", k).Consistency(gocql.Any).Exec())
	if got := totalHints(t, c, coord); got != 1 {
		t.Fatalf("TotalHints = %d after a write at ANY", got)
	}
	err := s.Query("INSERT INTO probe.kv (k, v) VALUES (?, 'b')", k).Consistency(gocql.One).Exec()
	if _, ok := err.(*gocql.RequestErrUnavailable); !ok {
		t.Fatalf("write at ONE with the only replica down: %v, want Unavailable", err)
	}
	nodetoolOK(t, coord, "disablehandoff")
	err = s.Query("INSERT INTO probe.kv (k, v) VALUES (?, 'c')", k).Consistency(gocql.Any).Exec()
	if e, ok := err.(*gocql.RequestErrWriteTimeout); !ok || e.Consistency != gocql.Any {
		t.Fatalf("write at ANY without hints: %v, want WriteTimeout at ANY", err)
	}
}

// replicaOf is the endpoint StorageService.getNaturalEndpoints gives for key k.
func replicaOf(t *testing.T, c *sim.Cluster, n *sim.Node, k int) string {
	t.Helper()
	r := jolokia(t, jolokiaURL(c, n), fmt.Sprintf(`{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"getNaturalEndpointsWithPort(java.lang.String,java.lang.String,java.lang.String)","arguments":["probe","kv","%d"]}`, k))
	l, _ := r["value"].([]any)
	if len(l) != 1 {
		t.Fatalf("natural endpoints of %d: %v", k, r)
	}
	return l[0].(string)
}

// TestHintDispatchThrottled: dispatch runs at hinted_handoff_throttle
// divided by the other nodes: 1 KiB/s over 2 nodes delivers ~200-byte
// hints no faster than 512 bytes a second.
func TestHintDispatchThrottled(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", nil)
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[1]
	nodetoolOK(t, coord, "sethintedhandoffthrottlekb", "1")
	stopSeen(t, coord, target)
	const n, size = 8, 200
	writeRows(t, s, 0, n, gocql.One, strings.Repeat("v", size))
	succeeded := func() float64 {
		return metric(t, c, coord, "org.apache.cassandra.metrics:type=HintsService,name=HintsSucceeded", "Count")
	}
	start := time.Now() // no dispatch before the target is back
	must(t, target.Start())
	deadline := time.Now().Add(30 * time.Second)
	for succeeded() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %v of %d hints delivered in 30s", succeeded(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The first hint is free (RateLimiter); the other n-1 cost at least
	// their values' bytes at 512 B/s.
	if d, min := time.Since(start), time.Duration(float64((n-1)*size)/512*float64(time.Second)); d < min {
		t.Fatalf("%d throttled hints delivered in %s, want at least %s", n, d, min)
	}
}

// TestHintsSurviveCoordinatorRestart: a coordinator stopped gracefully
// flushes its buffer to disk; after its restart the hints are dispatched
// and the target serves the writes.
func TestHintsSurviveCoordinatorRestart(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", nil)
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[2]
	stopSeen(t, coord, target)
	writeRows(t, s, 0, 10, gocql.One, "v")
	must(t, coord.Stop())
	if files := hintFiles(t, coord); len(files) != 2 {
		t.Fatalf("hints directory after a graceful stop: %v, want a closed file and its .crc32", files)
	}
	must(t, target.Start())
	must(t, coord.Start())
	waitDown(t, coord, target, "UN")
	waitDown(t, target, coord, "UN")
	st := pinned(t, c, target, 0)
	waitFor(t, func() bool { return countKV(t, st) == 10 })
	waitFor(t, func() bool { return len(hintFiles(t, coord)) == 0 })
}

// TestTruncateHints: nodetool truncatehints deletes queued files; an
// unknown address is refused as HintsService refuses it.
func TestTruncateHints(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", nil)
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[2]
	stopSeen(t, coord, target)
	writeRows(t, s, 0, 3, gocql.One, "v")
	must(t, coord.Stop()) // the file is closed and queued at restart
	must(t, coord.Start())
	waitFor(t, func() bool { return coord.State() == sim.StateRunning && len(hintFiles(t, coord)) == 2 })
	s = pinned(t, c, coord, 0)
	if rows := pendingRows(t, s); len(rows) != 1 {
		t.Fatalf("pending after restart: %v", rows)
	}
	out, _, code := nodetool(t, coord, "truncatehints", "127.0.0.254")
	if code != 1 || !strings.Contains(out, "Can't delete hints for unknown address /127.0.0.254:7000") {
		t.Fatalf("truncatehints of an unknown address: exit %d %q", code, out)
	}
	nodetoolOK(t, coord, "truncatehints", target.Addr.String())
	if rows := pendingRows(t, s); len(rows) != 0 || len(hintFiles(t, coord)) != 0 {
		t.Fatalf("after truncatehints: %v, files %v", rows, hintFiles(t, coord))
	}
}

// TestHintSettingsAsCaptured replays hints-nodetool.txt: the disabled-DC
// set in its two Java orders, the refusals' messages, and a metric MBean's
// JMX shape.
func TestHintSettingsAsCaptured(t *testing.T) {
	c := simtest.Start(t, "dc1:3x1", true, nil)
	n := c.Nodes()[0]
	s := pinned(t, c, n, 0)
	nodetoolOK(t, n, "disablehintsfordc", "datacenter1")
	nodetoolOK(t, n, "disablehintsfordc", "dcX")
	nodetoolOK(t, n, "disablehintsfordc", "dcX") // a set: no second entry
	if out := nodetoolOK(t, n, "statushandoff"); out != "Hinted handoff is running\nData center dcX is disabled\nData center datacenter1 is disabled\n" {
		t.Fatalf("statushandoff: %q", out)
	}
	var v string
	must(t, s.Query("SELECT value FROM system_views.settings WHERE name = 'hinted_handoff_disabled_datacenters'").Scan(&v))
	if v != "[datacenter1, dcX]" {
		t.Fatalf("hinted_handoff_disabled_datacenters = %q", v)
	}
	out, _, code := nodetool(t, n, "disablehintsfordc")
	if code != 1 || out != "nodetool: disablehintsfordc requires exactly one data center\nSee 'nodetool help' or 'nodetool help <command>'.\n" {
		t.Fatalf("disablehintsfordc without a DC: %d %q", code, out)
	}
	nodetoolOK(t, n, "enablehintsfordc", "dcX")
	nodetoolOK(t, n, "enablehintsfordc", "datacenter1")
	if out := nodetoolOK(t, n, "statushandoff"); out != "Hinted handoff is running\n" {
		t.Fatalf("statushandoff: %q", out)
	}
	out, _, code = nodetool(t, n, "truncatehints", "127.0.0.254")
	if code != 1 || out != "nodetool: Can't delete hints for unknown address /127.0.0.254:7000\nSee 'nodetool help' or 'nodetool help <command>'.\n" {
		t.Fatalf("truncatehints of an unknown address: %d %q", code, out)
	}
	// The Storage metrics and the shape of a metric MBean.
	want := `{"op":{"objectName":{"args":[],"ret":"javax.management.ObjectName","desc":"Operation exposed for management"}},"attr":{"Count":{"rw":false,"type":"long","desc":"Attribute exposed for management"}},"class":"org.apache.cassandra.metrics.CassandraMetricsRegistry$JmxCounter","desc":"Information on the management interface of the MBean"}`
	raw := string(jolokiaRaw(t, jolokiaURL(c, n), `{"type":"list","path":"org.apache.cassandra.metrics/name=TotalHints,type=Storage"}`))
	if !strings.Contains(strings.ReplaceAll(raw, `\/`, `/`), `"value":`+want) {
		t.Fatalf("list TotalHints: %s\nwant value %s", raw, want)
	}
	search := jolokia(t, jolokiaURL(c, n), `{"type":"search","mbean":"org.apache.cassandra.metrics:type=Storage,*"}`)
	var names []string
	for _, v := range search["value"].([]any) {
		names = append(names, v.(string))
	}
	sort.Strings(names)
	if got := strings.Join(names, " "); got != "org.apache.cassandra.metrics:name=Exceptions,type=Storage org.apache.cassandra.metrics:name=Load,type=Storage org.apache.cassandra.metrics:name=RepairExceptions,type=Storage org.apache.cassandra.metrics:name=TotalHints,type=Storage org.apache.cassandra.metrics:name=TotalHintsInProgress,type=Storage" {
		t.Fatalf("type=Storage metrics: %s", got)
	}
}

// TestHintDispatchResumesAfterAFailedSession: a dispatch session that
// fails halfway (the target became unreachable) puts its file back; the
// trigger must keep running while a session is in flight, or the file
// waits for the next hint written to arm it again (the fault harness
// found restarts gated for ever on hints nobody dispatched).
// HintsService.startDispatch schedules the trigger at a fixed delay,
// whatever is in flight.
func TestHintDispatchResumesAfterAFailedSession(t *testing.T) {
	c, s := hintsCluster(t, "dc1:3x1", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}", nil)
	nodes := c.Nodes()
	coord, target := nodes[0], nodes[1]
	nodetoolOK(t, coord, "sethintedhandoffthrottlekb", "1") // 512 B/s: a session lasts seconds
	stopSeen(t, coord, target)
	const n, size = 8, 200
	writeRows(t, s, 0, n, gocql.One, strings.Repeat("v", size))
	succeeded := func() float64 {
		return metric(t, c, coord, "org.apache.cassandra.metrics:type=HintsService,name=HintsSucceeded", "Count")
	}
	must(t, target.Start())
	waitFor(t, func() bool { return succeeded() >= 1 })
	// Cut the target off in the middle of the session, then heal.
	must(t, c.Partition([][]*sim.Node{{nodes[0], nodes[2]}, {nodes[1]}}))
	waitDown(t, coord, target, "DN")
	// Long enough for the session to give up (a delivery times out).
	time.Sleep(c.Config().RequestTimeout + time.Second)
	c.Heal()
	waitDown(t, coord, target, "UN")
	deadline := time.Now().Add(30 * time.Second)
	for succeeded() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%v of %d hints delivered 30 s after the partition healed; %s", succeeded(), n, coord.HintsState())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
