package sim_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// startCluster starts a simulated cluster for one test and stops it at the end.
func startCluster(t *testing.T, topology string, withDir bool) *sim.Cluster {
	return simtest.Start(t, topology, withDir, nil)
}

func session(t *testing.T, c *sim.Cluster, dc string, contact ...*sim.Node) *gocql.Session {
	t.Helper()
	if len(contact) == 0 {
		contact = c.Nodes()[:1]
	}
	var hosts []string
	for _, n := range contact {
		hosts = append(hosts, n.Addr.String())
	}
	cc := gocql.NewCluster(hosts...)
	cc.Port = c.Config().NativePort
	cc.Timeout = 5 * time.Second
	cc.ConnectTimeout = 5 * time.Second
	if dc != "" {
		cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(dc))
	}
	if a := c.Config().Auth; a != nil {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: a.Username, Password: a.Password}
	}
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestDiscoveryAndTokenAwareRouting: gocql connects to one node, learns
// every peer from system.peers_v2, and routes token-aware to replicas.
func TestDiscoveryAndTokenAwareRouting(t *testing.T) {
	c := startCluster(t, "dc1:3x1,dc2:3x1", false)
	s := session(t, c, "dc1")
	// Every host answers queries pinned to it: gocql knows all six.
	for _, n := range c.Nodes() {
		var addr string
		if err := s.Query("SELECT broadcast_address FROM system.local").SetHostID(n.HostID.String()).Scan(new(net.IP)); err != nil {
			t.Fatalf("query pinned to %s: %v", n.Addr, err)
		}
		_ = addr
	}
	if err := s.Query("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}").Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("CREATE TABLE app.kv (k text PRIMARY KEY, v int)").Exec(); err != nil {
		t.Fatal(err)
	}
	// gocql refreshes its schema cache when SCHEMA_CHANGE events arrive.
	waitFor(t, func() bool {
		km, err := s.KeyspaceMetadata("app")
		return err == nil && km.Tables["kv"] != nil && km.Tables["kv"].Columns["v"] != nil &&
			km.Tables["kv"].Columns["v"].Type.Type() == gocql.TypeInt && len(km.Tables["kv"].PartitionKey) == 1
	})
	// Token-aware: a prepared point query is coordinated by a dc1 replica.
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("key%d", i)
		if err := s.Query("INSERT INTO app.kv (k, v) VALUES (?, ?)", k, i).Exec(); err != nil {
			t.Fatal(err)
		}
		var v int
		iter := s.Query("SELECT v FROM app.kv WHERE k = ?", k).Consistency(gocql.LocalOne).Iter()
		iter.Scan(&v)
		host := iter.Host()
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		if v != i {
			t.Fatalf("read %s = %d, want %d", k, v, i)
		}
		if host == nil || host.DataCenter() != "dc1" {
			t.Fatalf("query for %s went to %v, want a dc1 host", k, host)
		}
	}
}

// TestSystemTablesMatchCassandra reads every system table the sidecar uses
// and checks column names and types, as gocql decodes them from the wire,
// against the columns a real Cassandra 4.1.6 node declares.
func TestSystemTablesMatchCassandra(t *testing.T) {
	c := startCluster(t, "dc1:2x1,dc2:1x1", false)
	s := session(t, c, "")
	ref := loadReferenceSchema(t)
	tables := []string{"system.local", "system.peers", "system.peers_v2", "system_schema.keyspaces", "system_schema.tables",
		"system_schema.columns", "system_views.settings", "system_views.gossip_info", "system_views.clients",
		"system_views.thread_pools", "system_views.sstable_tasks", "system_views.disk_usage", "system_views.pending_hints",
		"system_virtual_schema.keyspaces", "system_virtual_schema.tables", "system_virtual_schema.columns"}
	for _, tb := range tables {
		iter := s.Query("SELECT * FROM " + tb).Iter()
		cols := iter.Columns()
		rows := iter.NumRows()
		if err := iter.Close(); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		want := ref[tb]
		if len(cols) != len(want) {
			t.Errorf("%s: %d columns, Cassandra has %d", tb, len(cols), len(want))
		}
		for _, col := range cols {
			wt, ok := want[col.Name]
			if !ok {
				t.Errorf("%s: column %s does not exist in Cassandra 4.1.6", tb, col.Name)
				continue
			}
			if got := cqlType(col.TypeInfo); got != wireType(wt) {
				t.Errorf("%s.%s: type %s on the wire, Cassandra declares %s", tb, col.Name, got, wt)
			}
		}
		switch tb {
		case "system.local", "system_views.thread_pools", "system_views.settings", "system_views.gossip_info", "system_schema.keyspaces":
			if rows == 0 {
				t.Errorf("%s: no rows", tb)
			}
		case "system.peers", "system.peers_v2":
			if rows != 2 {
				t.Errorf("%s: %d rows, want 2 peers", tb, rows)
			}
		}
	}
	// system_schema.columns lists the system tables' columns as Cassandra does.
	iter := s.Query("SELECT column_name, kind, type FROM system_schema.columns WHERE keyspace_name = 'system' AND table_name = 'local'").Iter()
	var name, kind, typ string
	n := 0
	for iter.Scan(&name, &kind, &typ) {
		n++
		if ref["system.local"][name] != typ {
			t.Errorf("system_schema.columns says system.local.%s is %s, Cassandra declares %s", name, typ, ref["system.local"][name])
		}
	}
	if err := iter.Close(); err != nil || n != len(ref["system.local"]) {
		t.Fatalf("system_schema.columns for system.local: %d rows, err %v", n, err)
	}
}

func loadReferenceSchema(t *testing.T) map[string]map[string]string {
	f, err := os.Open("../testdata/cassandra-4.1.6/system-schema.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) < 4 {
			continue
		}
		if out[p[0]] == nil {
			out[p[0]] = map[string]string{}
		}
		out[p[0]][p[1]] = p[3]
	}
	return out
}

// wireType is a schema type as the native protocol carries it: v4 type
// options do not say "frozen".
func wireType(s string) string {
	for strings.Contains(s, "frozen<") {
		i := strings.Index(s, "frozen<")
		depth, j := 0, i+len("frozen<")
		for ; j < len(s); j++ {
			if s[j] == '<' {
				depth++
			} else if s[j] == '>' {
				if depth == 0 {
					break
				}
				depth--
			}
		}
		s = s[:i] + s[i+len("frozen<"):j] + s[j+1:]
	}
	return s
}

// cqlType renders gocql's TypeInfo the way system_schema spells types.
func cqlType(ti gocql.TypeInfo) string {
	switch ct := ti.(type) {
	case gocql.TupleTypeInfo:
		var parts []string
		for _, e := range ct.Elems {
			parts = append(parts, cqlType(e))
		}
		return "tuple<" + strings.Join(parts, ", ") + ">"
	case gocql.CollectionType:
		switch ct.Type() {
		case gocql.TypeList:
			return "list<" + cqlType(ct.Elem) + ">"
		case gocql.TypeSet:
			return "set<" + cqlType(ct.Elem) + ">"
		case gocql.TypeMap:
			return "map<" + cqlType(ct.Key) + ", " + cqlType(ct.Elem) + ">"
		}
	}
	switch ti.Type() {
	case gocql.TypeVarchar, gocql.TypeText:
		return "text"
	}
	names := map[gocql.Type]string{gocql.TypeAscii: "ascii", gocql.TypeBigInt: "bigint", gocql.TypeBlob: "blob", gocql.TypeBoolean: "boolean",
		gocql.TypeCounter: "counter", gocql.TypeDecimal: "decimal", gocql.TypeDouble: "double", gocql.TypeFloat: "float", gocql.TypeInt: "int",
		gocql.TypeTimestamp: "timestamp", gocql.TypeUUID: "uuid", gocql.TypeVarint: "varint", gocql.TypeTimeUUID: "timeuuid", gocql.TypeInet: "inet",
		gocql.TypeDate: "date", gocql.TypeTime: "time", gocql.TypeSmallInt: "smallint", gocql.TypeTinyInt: "tinyint", gocql.TypeDuration: "duration"}
	if n, ok := names[ti.Type()]; ok {
		return n
	}
	return fmt.Sprintf("unknown(%d)", ti.Type())
}

// TestUnavailableAtLocalQuorum: with 2 of 3 local replicas down, LOCAL_QUORUM
// fails with the real Unavailable error and LOCAL_ONE still works.
func TestUnavailableAtLocalQuorum(t *testing.T) {
	c := startCluster(t, "dc1:3x1,dc2:3x1", false)
	nodes := c.Nodes()
	s := session(t, c, "dc1", nodes[0])
	must(t, s.Query("CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}").Exec())
	must(t, s.Query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)").Exec())
	must(t, s.Query("INSERT INTO ks.t (k, v) VALUES (1, 'one')").Consistency(gocql.All).Exec())
	nodes[1].Kill()
	nodes[2].Kill()
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 2 })
	q := s.Query("SELECT v FROM ks.t WHERE k = 1").Consistency(gocql.LocalQuorum).SetHostID(nodes[0].HostID.String())
	err := q.Exec()
	var un *gocql.RequestErrUnavailable
	if !errors.As(err, &un) {
		t.Fatalf("LOCAL_QUORUM with 2 of 3 local replicas down: got %v, want Unavailable", err)
	}
	if un.Consistency != gocql.LocalQuorum || un.Required != 2 || un.Alive != 1 || un.Message() != "Cannot achieve consistency level LOCAL_QUORUM" {
		t.Fatalf("unavailable = %+v (%q), want LOCAL_QUORUM required 2 alive 1", un, un.Message())
	}
	var v string
	if err := s.Query("SELECT v FROM ks.t WHERE k = 1").Consistency(gocql.LocalOne).SetHostID(nodes[0].HostID.String()).Scan(&v); err != nil || v != "one" {
		t.Fatalf("LOCAL_ONE: %q, %v", v, err)
	}
	// Writes reach live replicas only: the dead nodes miss this one.
	must(t, s.Query("INSERT INTO ks.t (k, v) VALUES (2, 'two')").Consistency(gocql.LocalOne).SetHostID(nodes[0].HostID.String()).Exec())
	// EACH_QUORUM names the failing DC.
	err = s.Query("INSERT INTO ks.t (k, v) VALUES (3, 'x')").Consistency(gocql.EachQuorum).SetHostID(nodes[0].HostID.String()).Exec()
	if !errors.As(err, &un) || un.Message() != "Cannot achieve consistency level EACH_QUORUM in DC dc1" {
		t.Fatalf("EACH_QUORUM: %v", err)
	}
}

// TestLWT checks the [applied] result shapes captured from a real node and
// linearizability of concurrent compare-and-set increments.
func TestLWT(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	s := session(t, c, "")
	must(t, s.Query("CREATE KEYSPACE probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}").Exec())
	must(t, s.Query("CREATE TABLE probe.kv2 (k text PRIMARY KEY, v text)").Exec())
	m := map[string]any{}
	applied, err := s.Query("INSERT INTO probe.kv2 (k, v) VALUES ('lwt', 'x') IF NOT EXISTS").MapScanCAS(m)
	if err != nil || !applied {
		t.Fatalf("first IF NOT EXISTS: %v %v", applied, err)
	}
	m = map[string]any{}
	applied, err = s.Query("INSERT INTO probe.kv2 (k, v) VALUES ('lwt', 'y') IF NOT EXISTS").MapScanCAS(m)
	if err != nil || applied || m["k"] != "lwt" || m["v"] != "x" {
		t.Fatalf("second IF NOT EXISTS: applied %v %v %v", applied, m, err)
	}
	m = map[string]any{}
	applied, err = s.Query("UPDATE probe.kv2 SET v = 'z' WHERE k = 'lwt' IF v = 'x'").MapScanCAS(m)
	if err != nil || !applied {
		t.Fatalf("IF v = 'x': %v %v", applied, err)
	}
	m = map[string]any{}
	applied, err = s.Query("UPDATE probe.kv2 SET v = 'w' WHERE k = 'lwt' IF v = 'x'").MapScanCAS(m)
	if err != nil || applied || m["v"] != "z" || len(m) != 1 {
		t.Fatalf("failed IF v = 'x': applied %v %v %v (want only v=z besides [applied])", applied, m, err)
	}
	m = map[string]any{}
	applied, err = s.Query("DELETE FROM probe.kv2 WHERE k = 'nope' IF EXISTS").MapScanCAS(m)
	if err != nil || applied || len(m) != 0 {
		t.Fatalf("DELETE IF EXISTS of nothing: %v %v %v", applied, m, err)
	}

	// Concurrent increments by compare-and-set: every successful CAS must
	// have read the value the previous one wrote, so the final value equals
	// the number of successes and no two successes saw the same value.
	must(t, s.Query("CREATE TABLE probe.counter (k int PRIMARY KEY, v int)").Exec())
	must(t, s.Query("INSERT INTO probe.counter (k, v) VALUES (0, 0)").Exec())
	var wins atomic.Int64
	seen := sync.Map{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				var cur int
				if err := s.Query("SELECT v FROM probe.counter WHERE k = 0").Consistency(gocql.Serial).Scan(&cur); err != nil {
					t.Error(err)
					return
				}
				var old int
				ok, err := s.Query("UPDATE probe.counter SET v = ? WHERE k = 0 IF v = ?", cur+1, cur).ScanCAS(&old)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					wins.Add(1)
					if _, dup := seen.LoadOrStore(cur, true); dup {
						t.Errorf("two CAS operations both succeeded from value %d", cur)
					}
				}
			}
		}()
	}
	wg.Wait()
	var final int
	must(t, s.Query("SELECT v FROM probe.counter WHERE k = 0").Consistency(gocql.Serial).Scan(&final))
	if int64(final) != wins.Load() || final == 0 {
		t.Fatalf("final value %d, successful CAS %d", final, wins.Load())
	}
}

// TestStatusChangeEvents registers for events on a raw native-protocol
// connection and sees DOWN when a peer is killed and UP when it is back.
func TestStatusChangeEvents(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	nodes := c.Nodes()
	conn, err := net.Dial("tcp", net.JoinHostPort(nodes[0].Addr.String(), fmt.Sprint(c.Config().NativePort)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rawRequest(t, conn, 1, 0x01, stringMap(map[string]string{"CQL_VERSION": "3.0.0"}))
	if op, _ := rawResponse(t, conn); op != 0x02 {
		t.Fatalf("STARTUP answered opcode %#x, want READY", op)
	}
	rawRequest(t, conn, 2, 0x0B, stringList("STATUS_CHANGE", "TOPOLOGY_CHANGE", "SCHEMA_CHANGE"))
	if op, _ := rawResponse(t, conn); op != 0x02 {
		t.Fatalf("REGISTER answered opcode %#x, want READY", op)
	}
	nodes[2].Kill()
	change, addr := readEvent(t, conn)
	if change != "DOWN" || addr != fmt.Sprintf("%s:%d", nodes[2].Addr, c.Config().NativePort) {
		t.Fatalf("event %s %s, want DOWN for %s", change, addr, nodes[2].Addr)
	}
	if err := nodes[2].Start(); err != nil {
		t.Fatal(err)
	}
	change, addr = readEvent(t, conn)
	if change != "UP" || !strings.HasPrefix(addr, nodes[2].Addr.String()+":") {
		t.Fatalf("event %s %s, want UP for %s", change, addr, nodes[2].Addr)
	}
}

func readEvent(t *testing.T, conn net.Conn) (change, addr string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		op, body := rawResponse(t, conn)
		if op != 0x0C {
			continue
		}
		typ, rest := readString(body)
		if typ != "STATUS_CHANGE" {
			continue
		}
		change, rest = readString(rest)
		n := int(rest[0])
		ip := net.IP(rest[1 : 1+n])
		port := binary.BigEndian.Uint32(rest[1+n:])
		return change, fmt.Sprintf("%s:%d", ip, port)
	}
}

func rawRequest(t *testing.T, w io.Writer, stream int16, op byte, body []byte) {
	h := []byte{4, 0, byte(stream >> 8), byte(stream), op, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[5:], uint32(len(body)))
	if _, err := w.Write(append(h, body...)); err != nil {
		t.Fatal(err)
	}
}

func rawResponse(t *testing.T, r io.Reader) (byte, []byte) {
	t.Helper()
	h := make([]byte, 9)
	if _, err := io.ReadFull(r, h); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(h[5:]))
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatal(err)
	}
	return h[4], body
}

func readString(b []byte) (string, []byte) {
	n := int(binary.BigEndian.Uint16(b))
	return string(b[2 : 2+n]), b[2+n:]
}

func stringMap(m map[string]string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(len(m)))
	for k, v := range m {
		b = appendString(b, k)
		b = appendString(b, v)
	}
	return b
}

func stringList(l ...string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// TestDrainThroughJolokia drains a node the way the sidecar will: exec drain
// on the node's Jolokia agent; CQL stops, gossip stops, mode is DRAINED, the
// other nodes mark it down.
func TestDrainThroughJolokia(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	nodes := c.Nodes()
	url := fmt.Sprintf("http://%s:%d/jolokia/", nodes[1].Addr, c.Config().JolokiaPort)
	before := jolokia(t, url, `{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":["OperationMode","NativeTransportRunning","GossipRunning"]}`)
	if v := before["value"].(map[string]any); v["OperationMode"] != "NORMAL" || v["NativeTransportRunning"] != true {
		t.Fatalf("before drain: %v", v)
	}
	res := jolokia(t, url, `{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"drain"}`)
	if res["status"].(float64) != 200 || res["value"] != nil {
		t.Fatalf("exec drain: %v", res)
	}
	after := jolokia(t, url, `{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":["OperationMode","Drained","NativeTransportRunning","GossipRunning"]}`)
	v := after["value"].(map[string]any)
	if v["OperationMode"] != "DRAINED" || v["Drained"] != true || v["NativeTransportRunning"] != false || v["GossipRunning"] != false {
		t.Fatalf("after drain: %v", v)
	}
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", nodes[1].Addr, c.Config().NativePort), time.Second); err == nil {
		t.Fatal("CQL port still accepts connections after drain")
	}
	// Peers mark a drained node down at once (it announced its shutdown).
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 1 })
	live := jolokia(t, fmt.Sprintf("http://%s:%d/jolokia/", nodes[0].Addr, c.Config().JolokiaPort),
		`{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"UnreachableNodesWithPort"}`)
	if got := fmt.Sprint(live["value"]); got != fmt.Sprintf("[%s]", nodes[1].Endpoint()) {
		t.Fatalf("UnreachableNodesWithPort on a peer = %s", got)
	}
}

func jolokia(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBadInput: unsupported or broken CQL gets Cassandra's error, and the
// connection keeps working.
func TestBadInput(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	s := session(t, c, "")
	cases := []struct {
		q    string
		code int
		msg  string
	}{
		{"SELEKT * FROM system.local", 0x2000, "line 1:0 no viable alternative at input 'SELEKT' ([SELEKT]...)"},
		{"SELECT * FROM nosuchks.t", 0x2200, "keyspace nosuchks does not exist"},
		{"SELECT nosuchcol FROM system.local", 0x2200, "Undefined column name nosuchcol in table system.local"},
		{"INSERT INTO system_views.settings (name, value) VALUES ('x', 'y')", 0x2200, "Modification is not supported by table system_views.settings"},
		{"UPDATE system_views.settings SET value = '10' WHERE name = 'compaction_throughput'", 0x2200, "Modification is not supported by table system_views.settings"},
	}
	for _, tc := range cases {
		err := s.Query(tc.q).Exec()
		var re gocql.RequestError
		if !errors.As(err, &re) || re.Code() != tc.code || re.Message() != tc.msg {
			t.Errorf("%s: got %v, want code %#x %q", tc.q, err, tc.code, tc.msg)
		}
	}
	var rv string
	if err := s.Query("SELECT release_version FROM system.local").Scan(&rv); err != nil || rv != "4.1.6" {
		t.Fatalf("after errors: %q %v", rv, err)
	}
}

// TestPagingAndTTL covers multi-page results and TTL as captured.
func TestPagingAndTTL(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	s := session(t, c, "")
	must(t, s.Query("CREATE KEYSPACE p WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}").Exec())
	must(t, s.Query("CREATE TABLE p.events (day text, seq int, body text, PRIMARY KEY (day, seq)) WITH CLUSTERING ORDER BY (seq DESC)").Exec())
	for i := 0; i < 250; i++ {
		must(t, s.Query("INSERT INTO p.events (day, seq, body) VALUES ('d1', ?, ?)", i, fmt.Sprint("e", i)).Exec())
	}
	iter := s.Query("SELECT seq FROM p.events WHERE day = 'd1'").PageSize(40).Iter()
	var seqs []int
	var seq int
	for iter.Scan(&seq) {
		seqs = append(seqs, seq)
	}
	must(t, iter.Close())
	if len(seqs) != 250 || !sort.SliceIsSorted(seqs, func(i, j int) bool { return seqs[i] > seqs[j] }) {
		t.Fatalf("paged read: %d rows, descending %v", len(seqs), sort.SliceIsSorted(seqs, func(i, j int) bool { return seqs[i] > seqs[j] }))
	}
	must(t, s.Query("CREATE TABLE p.kv (k text PRIMARY KEY, v text)").Exec())
	must(t, s.Query("INSERT INTO p.kv (k, v) VALUES ('ttl', 't') USING TTL 100").Exec())
	var v string
	var ttl int
	must(t, s.Query("SELECT v, ttl(v) FROM p.kv WHERE k = 'ttl'").Scan(&v, &ttl))
	if v != "t" || ttl < 99 || ttl > 100 {
		t.Fatalf("ttl: %q %d", v, ttl)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestProtocolV3 runs a v3 client: v3 encodings (no pk indexes in
// PREPARED, date as a custom type) must be what it gets.
func TestProtocolV3(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	cc := gocql.NewCluster(c.Nodes()[0].Addr.String())
	cc.Port = c.Config().NativePort
	cc.ProtoVersion = 3
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must(t, s.Query("CREATE KEYSPACE v3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec())
	must(t, s.Query("CREATE TABLE v3.t (k int PRIMARY KEY, d date, n smallint)").Exec())
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	must(t, s.Query("INSERT INTO v3.t (k, d, n) VALUES (?, ?, ?)", 1, day, int16(7)).Exec())
	var d time.Time
	var n int16
	must(t, s.Query("SELECT d, n FROM v3.t WHERE k = ?", 1).Scan(&d, &n))
	if !d.Equal(day) || n != 7 {
		t.Fatalf("v3 read: %v %d", d, n)
	}
}

// TestPasswordAuth: with auth configured, the right credentials work and
// wrong ones get PasswordAuthenticator's error.
func TestPasswordAuth(t *testing.T) {
	cfg, err := sim.TestConfig("dc1:1x1", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth = &sim.AuthConfig{Username: "cassandra", Password: "s3cret"}
	c, err := sim.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.Start(context.Background()))
	defer c.Close()
	s := session(t, c, "")
	var user string
	must(t, s.Query("SELECT username FROM system_views.clients").Scan(&user))
	if user != "cassandra" {
		t.Fatalf("system_views.clients username %q", user)
	}
	cc := gocql.NewCluster(c.Nodes()[0].Addr.String())
	cc.Port = cfg.NativePort
	cc.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "wrong"}
	_, err = cc.CreateSession()
	if err == nil || !strings.Contains(err.Error(), "Provided username cassandra and/or password are incorrect") {
		t.Fatalf("wrong password: %v", err)
	}
	cc.Authenticator = nil
	if _, err = cc.CreateSession(); err == nil {
		t.Fatal("connected without credentials to a node with PasswordAuthenticator")
	}
}

// TestLocalWriteReachesEveryDC: a LOCAL_QUORUM write goes to every live
// replica of every DC at once (StorageProxy sends to all; the level only
// says whose acks are awaited), so a remote DC has it without hints.
func TestLocalWriteReachesEveryDC(t *testing.T) {
	c := startCluster(t, "dc1:3x1,dc2:3x1", false)
	var dc1, dc2 *sim.Node
	for _, n := range c.Nodes() {
		if n.DC == "dc1" && dc1 == nil {
			dc1 = n
		}
		if n.DC == "dc2" && dc2 == nil {
			dc2 = n
		}
	}
	s := session(t, c, "dc1", dc1)
	must(t, s.Query("CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}").Exec())
	must(t, s.Query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)").Exec())
	for k := 0; k < 20; k++ {
		must(t, s.Query("INSERT INTO ks.t (k, v) VALUES (?, 'x')", k).Consistency(gocql.LocalQuorum).SetHostID(dc1.HostID.String()).Exec())
	}
	// Read at ONE-per-DC level in dc2 right away: no hint delivery has run.
	for k := 0; k < 20; k++ {
		var v string
		if err := s.Query("SELECT v FROM ks.t WHERE k = ?", k).Consistency(gocql.LocalQuorum).SetHostID(dc2.HostID.String()).Scan(&v); err != nil || v != "x" {
			t.Fatalf("row %d read at LOCAL_QUORUM in dc2 right after a LOCAL_QUORUM write in dc1: %q, %v", k, v, err)
		}
	}
}
