package sim_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/simtest"
)

// rssBytes reads the process's resident set size.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// startTimed starts a cluster of the topology at a timing profile ("fast"
// keeps TestConfig's test timings) and returns it with the time New and
// Start took.
func startTimed(b *testing.B, topology, timing string) (*sim.Cluster, time.Duration) {
	cfg, err := sim.TestConfig(topology, "")
	if err != nil {
		b.Fatal(err)
	}
	if timing != "fast" {
		if err := cfg.ApplyTiming(timing); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	c, err := sim.New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c, time.Since(t0)
}

// BenchmarkStart1000Nodes starts a 1,000-node, 2-DC cluster (16 vnodes,
// every node with its own CQL and Jolokia listener) and reports the time
// to start and the resident memory the cluster adds.
func BenchmarkStart1000Nodes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		before := rssBytes()
		c, elapsed := startTimed(b, "dc1:10x50,dc2:10x50", "fast")
		after := rssBytes()
		b.ReportMetric(elapsed.Seconds(), "s/start")
		b.ReportMetric(float64(after-before)/(1<<20), "MiB-RSS")
		b.ReportMetric(float64(after)/(1<<20), "MiB-RSS-total")
		c.Close()
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStart300Nodes starts a 300-node, 2-DC cluster (3 racks of 50
// per DC, 16 vnodes, CQL and Jolokia listeners on every node, no node
// directories) at the real timing profile, and reports the start time,
// the resident memory per node, and the CPU the idle cluster uses over
// RINGSIDE_BENCH_IDLE (default 30s) — with phi failure detection, hints
// and Paxos in place. Run with -benchtime=1x.
func BenchmarkStart300Nodes(b *testing.B) {
	idle := 30 * time.Second
	if v := os.Getenv("RINGSIDE_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		idle = d
	}
	for i := 0; i < b.N; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		before := rssBytes()
		c, elapsed := startTimed(b, "dc1:3x50,dc2:3x50", "real")
		runtime.GC()
		after := rssBytes()
		cpu0, w0 := cpuTime(), time.Now()
		time.Sleep(idle)
		cpu, wall := cpuTime()-cpu0, time.Since(w0)
		n := float64(len(c.Nodes()))
		b.ReportMetric(elapsed.Seconds(), "s/start")
		b.ReportMetric(float64(after-before)/n/(1<<10), "KiB-RSS/node")
		b.ReportMetric(float64(after)/(1<<20), "MiB-RSS-total")
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%CPU-idle")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		c.Close()
	}
}

// BenchmarkConviction300Nodes measures the failure detector's CPU on a
// 300-node cluster: a node killed until all 299 peers have convicted it
// and started again until all see it up (299 events each way), and a
// partition into two DCs' halves (90,000 pairs) until every node has
// convicted the other side, then healed.
func BenchmarkConviction300Nodes(b *testing.B) {
	c := simtest.Start(b, "dc1:3x50,dc2:3x50", false, nil)
	nodes := c.Nodes()
	downs := func(want int) {
		for {
			ok := true
			for _, n := range nodes {
				if st := n.Status(); st.State == sim.StateRunning && len(st.Down) != want {
					ok = false
					break
				}
			}
			if ok {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	var kill, part time.Duration
	for i := 0; i < b.N; i++ {
		cpu0 := cpuTime()
		nodes[0].Kill()
		downs(1)
		if err := nodes[0].Start(); err != nil {
			b.Fatal(err)
		}
		downs(0)
		kill += cpuTime() - cpu0
		cpu0 = cpuTime()
		if err := c.Partition([][]*sim.Node{nodes[:150], nodes[150:]}); err != nil {
			b.Fatal(err)
		}
		downs(150)
		c.Heal()
		downs(0)
		part += cpuTime() - cpu0
	}
	b.ReportMetric(float64(kill.Milliseconds())/float64(b.N), "CPU-ms/kill+start")
	b.ReportMetric(float64(part.Milliseconds())/float64(b.N), "CPU-ms/partition+heal")
}

// BenchmarkPointQuery measures prepared single-partition reads through
// gocql against one simulated node ("sim"), and against a bare native
// protocol server that answers every EXECUTE with the same pre-encoded
// row ("bare"): the difference is the simulator's engine.
func BenchmarkPointQuery(b *testing.B) {
	b.Run("sim", func(b *testing.B) {
		cfg, err := sim.TestConfig("dc1:1x1", "")
		if err != nil {
			b.Fatal(err)
		}
		c, err := sim.New(cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		s := benchSession(b, c.Nodes()[0].Addr.String(), cfg.NativePort)
		for _, q := range []string{
			"CREATE KEYSPACE bench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			"CREATE TABLE bench.kv (k int PRIMARY KEY, v text)",
		} {
			if err := s.Query(q).Exec(); err != nil {
				b.Fatal(err)
			}
		}
		for k := 0; k < 1000; k++ {
			if err := s.Query("INSERT INTO bench.kv (k, v) VALUES (?, ?)", k, fmt.Sprint("value-", k)).Exec(); err != nil {
				b.Fatal(err)
			}
		}
		runPointQueries(b, s, "SELECT v FROM bench.kv WHERE k = ?")
	})
	b.Run("bare", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := native.NewServer(native.ServerConfig{Handler: &bareHandler{}})
		go srv.Serve(ln)
		defer srv.Close()
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		p, _ := strconv.Atoi(port)
		cc := gocql.NewCluster("127.0.0.1")
		cc.Port = p
		cc.DisableInitialHostLookup = true
		cc.Metadata.CacheMode = gocql.Disabled
		cc.NumConns = 2
		cc.Events.DisableNodeStatusEvents = true
		cc.Events.DisableTopologyEvents = true
		cc.Events.DisableSchemaEvents = true
		s, err := cc.CreateSession()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		runPointQueries(b, s, "SELECT v FROM bench.kv WHERE k = ?")
	})
}

func benchSession(b *testing.B, host string, port int) *gocql.Session {
	cc := gocql.NewCluster(host)
	cc.Port = port
	cc.NumConns = 2
	s, err := cc.CreateSession()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}

func runPointQueries(b *testing.B, s *gocql.Session, q string) {
	// 32 concurrent clients on 2 cores: throughput, not round-trip latency.
	b.SetParallelism(16)
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var v string
		k := 0
		for pb.Next() {
			if err := s.Query(q, k%1000).Consistency(gocql.One).Scan(&v); err != nil {
				b.Error(err)
				return
			}
			k++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "queries/s")
}

// bareHandler answers like a server with no engine: the few queries gocql
// sends on connect get a minimal system.local, everything else the same
// pre-encoded row.
type bareHandler struct{}

var (
	bareSpecs = []native.ColumnSpec{{Keyspace: "bench", Table: "kv", Name: "v", Type: cqltype.TextT}}
	bareRow   = native.EncodeRows(native.RowsMetadata{Columns: bareSpecs}, [][][]byte{{[]byte("value-1")}})
	bareRowNM = native.EncodeRows(native.RowsMetadata{Columns: bareSpecs, NoMetadata: true}, [][][]byte{{[]byte("value-1")}})
	bareLocal = func() []byte {
		lo := netip.MustParseAddr("127.0.0.1")
		cols := []native.ColumnSpec{
			{Keyspace: "system", Table: "local", Name: "key", Type: cqltype.TextT},
			{Keyspace: "system", Table: "local", Name: "broadcast_address", Type: cqltype.InetT},
			{Keyspace: "system", Table: "local", Name: "data_center", Type: cqltype.TextT},
			{Keyspace: "system", Table: "local", Name: "host_id", Type: cqltype.UUIDT},
			{Keyspace: "system", Table: "local", Name: "partitioner", Type: cqltype.TextT},
			{Keyspace: "system", Table: "local", Name: "rack", Type: cqltype.TextT},
			{Keyspace: "system", Table: "local", Name: "release_version", Type: cqltype.TextT},
			{Keyspace: "system", Table: "local", Name: "rpc_address", Type: cqltype.InetT},
			{Keyspace: "system", Table: "local", Name: "schema_version", Type: cqltype.UUIDT},
			{Keyspace: "system", Table: "local", Name: "tokens", Type: cqltype.SetOf(cqltype.TextT)},
		}
		vals := []any{"local", lo, "dc1", cqltype.RandomUUID(), "org.apache.cassandra.dht.Murmur3Partitioner", "rack1", "4.1.6", lo, cqltype.RandomUUID(), []any{"0"}}
		row := make([][]byte, len(cols))
		for i, c := range cols {
			row[i], _ = cqltype.Marshal(c.Type, vals[i])
		}
		return native.EncodeRows(native.RowsMetadata{Columns: cols}, [][][]byte{row})
	}()
)

func (*bareHandler) Query(c *native.Conn, q *native.Query) native.Response {
	if strings.Contains(q.Statement, "system.local") {
		return native.Response{Op: native.OpResult, Body: bareLocal}
	}
	return native.Response{Op: native.OpResult, Body: native.EncodeRows(native.RowsMetadata{Columns: bareSpecs}, nil)}
}

func (*bareHandler) Prepare(c *native.Conn, p *native.Prepare) native.Response {
	bind := native.RowsMetadata{Columns: []native.ColumnSpec{{Keyspace: "bench", Table: "kv", Name: "k", Type: cqltype.IntT}}}
	return native.Response{Op: native.OpResult, Body: native.EncodePrepared([]byte("0123456789abcdef"), bind, []uint16{0}, native.RowsMetadata{Columns: bareSpecs})}
}

func (*bareHandler) Execute(c *native.Conn, e *native.Execute) native.Response {
	if e.Params.SkipMetadata {
		return native.Response{Op: native.OpResult, Body: bareRowNM}
	}
	return native.Response{Op: native.OpResult, Body: bareRow}
}

func (*bareHandler) Batch(c *native.Conn, b *native.Batch) native.Response {
	return native.Response{Op: native.OpResult, Body: native.EncodeVoid()}
}
