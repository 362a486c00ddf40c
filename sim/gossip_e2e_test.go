package sim_test

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// eventConn registers for STATUS_CHANGE events on n over a raw connection.
func eventConn(t *testing.T, c *sim.Cluster, n *sim.Node) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().NativePort)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rawRequest(t, conn, 1, 0x01, stringMap(map[string]string{"CQL_VERSION": "3.0.0"}))
	if op, _ := rawResponse(t, conn); op != 0x02 {
		t.Fatalf("STARTUP answered opcode %#x", op)
	}
	rawRequest(t, conn, 2, 0x0B, stringList("STATUS_CHANGE"))
	if op, _ := rawResponse(t, conn); op != 0x02 {
		t.Fatalf("REGISTER answered opcode %#x", op)
	}
	return conn
}

type gossipRow struct {
	status    string
	heartbeat int
	rpcReady  string // text in GossipInfoTable
}

func gossipInfo(t *testing.T, s *gocql.Session, n *sim.Node) map[string]gossipRow {
	t.Helper()
	out := map[string]gossipRow{}
	it := s.Query("SELECT address, status, heartbeat, rpc_ready FROM system_views.gossip_info").SetHostID(n.HostID.String()).Iter()
	var addr net.IP
	var r gossipRow
	for it.Scan(&addr, &r.status, &r.heartbeat, &r.rpcReady) {
		out[addr.String()] = r
	}
	must(t, it.Close())
	return out
}

// statusLine is the nodetool status line of addr ("UN", "DN", …).
func statusOf(t *testing.T, observer, n *sim.Node) string {
	t.Helper()
	out, errOut, code := nodetool(t, observer, "status")
	if code != 0 {
		t.Fatalf("nodetool status: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^([UD][NLJM])  ` + regexp.QuoteMeta(n.Addr.String()) + ` `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no line for %s in\n%s", n.Addr, out)
	}
	return m[1]
}

// TestKilledNodeConvictedByPhi: a killed node is marked down by each peer's
// phi accrual detector — not before phi_convict_threshold·ln(10) gossip
// rounds of silence (less the round in which its last heartbeat may have
// arrived) — and then nodetool status shows it DN, Jolokia unreachable,
// and registered clients get a DOWN event. A higher threshold waits longer.
func TestKilledNodeConvictedByPhi(t *testing.T) {
	const round = 20 * time.Millisecond
	for _, phi := range []float64{8, 16} {
		t.Run(fmt.Sprint("phi", phi), func(t *testing.T) {
			c := simtest.Start(t, "dc1:3x1", true, func(cfg *sim.Config) {
				cfg.GossipInterval, cfg.PhiConvictThreshold = round, phi
			})
			nodes := c.Nodes()
			s := session(t, c, "", nodes[0])
			var shown string
			must(t, s.Query("SELECT value FROM system_views.settings WHERE name = 'phi_convict_threshold'").Scan(&shown))
			if shown != fmt.Sprintf("%.1f", phi) {
				t.Errorf("phi_convict_threshold setting %q", shown)
			}
			events := eventConn(t, c, nodes[0])
			hbBefore := gossipInfo(t, s, nodes[0])[nodes[2].Addr.String()].heartbeat

			t0 := time.Now()
			nodes[2].Kill()
			change, addr := readEvent(t, events)
			elapsed := time.Since(t0)
			if change != "DOWN" || !strings.HasPrefix(addr, nodes[2].Addr.String()+":") {
				t.Fatalf("event %s %s", change, addr)
			}
			earliest := time.Duration((phi*math.Ln10 - 1.04) * float64(round))
			if elapsed < earliest {
				t.Fatalf("convicted %s after the kill, before phi %.0f allows (%s)", elapsed, phi, earliest)
			}
			t.Logf("phi %.0f: DOWN event %s after the kill (%.1f rounds)", phi, elapsed, float64(elapsed)/float64(round))
			if st := statusOf(t, nodes[0], nodes[2]); st != "DN" {
				t.Errorf("nodetool status shows %s", st)
			}
			if st := statusOf(t, nodes[0], nodes[1]); st != "UN" {
				t.Errorf("live peer shows %s", st)
			}
			un := jolokia(t, fmt.Sprintf("http://%s:%d/jolokia/", nodes[0].Addr, c.Config().JolokiaPort),
				`{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"UnreachableNodesWithPort"}`)
			if fmt.Sprint(un["value"]) != fmt.Sprintf("[%s]", nodes[2].Endpoint()) {
				t.Errorf("UnreachableNodesWithPort %v", un["value"])
			}
			// A killed node announced nothing: its heartbeat just stopped.
			g1 := gossipInfo(t, s, nodes[0])[nodes[2].Addr.String()]
			time.Sleep(3 * round)
			g2 := gossipInfo(t, s, nodes[0])[nodes[2].Addr.String()]
			if g1.heartbeat != g2.heartbeat || g1.heartbeat < hbBefore || g1.heartbeat == math.MaxInt32 || !strings.HasPrefix(g1.status, "NORMAL,") {
				t.Errorf("killed node's gossip state %+v then %+v (before the kill heartbeat %d)", g1, g2, hbBefore)
			}
		})
	}
}

// TestShutdownMarkedDownAtOnce: at real gossip timing (1 s rounds, so phi
// would need some 18 s), a drained node is down for its peers at once —
// it announced its shutdown (node-down.txt: status shutdown,true,
// heartbeat 2147483647) — while a killed one is still up seconds later.
func TestShutdownMarkedDownAtOnce(t *testing.T) {
	c := simtest.Start(t, "dc1:3x1", true, func(cfg *sim.Config) { cfg.GossipInterval = time.Second })
	nodes := c.Nodes()
	s := session(t, c, "", nodes[0])
	url := fmt.Sprintf("http://%s:%d/jolokia/", nodes[1].Addr, c.Config().JolokiaPort)
	t0 := time.Now()
	if res := jolokia(t, url, `{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"drain"}`); res["status"].(float64) != 200 {
		t.Fatalf("drain: %v", res)
	}
	if st := statusOf(t, nodes[0], nodes[1]); st != "DN" {
		t.Fatalf("drained node shows %s", st)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Fatalf("drained node down only after %s", d)
	}
	g := gossipInfo(t, s, nodes[0])[nodes[1].Addr.String()]
	if g.status != "shutdown,true" || g.heartbeat != math.MaxInt32 || g.rpcReady != "false" {
		t.Errorf("drained node's gossip state %+v", g)
	}

	nodes[2].Kill()
	time.Sleep(2 * time.Second)
	if st := statusOf(t, nodes[0], nodes[2]); st != "UN" {
		t.Errorf("killed node shows %s 2 s after the kill; phi 8 at 1 s rounds takes over 17 s", st)
	}
	if got := c.Config().FailureDetection; got < 19*time.Second || got > 21*time.Second {
		t.Errorf("reported detection bound %s", got)
	}
}
