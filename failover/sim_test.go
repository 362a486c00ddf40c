package failover

import (
	"context"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// simSession opens a session on a simulated cluster with the given policy.
func simSession(tb testing.TB, c *sim.Cluster, policy gocql.HostSelectionPolicy, attach func(*gocql.ClusterConfig)) *gocql.Session {
	tb.Helper()
	cc := gocql.NewCluster(c.Nodes()[0].Addr.String())
	cc.Port = c.Config().NativePort
	cc.Timeout = 5 * time.Second
	cc.ConnectTimeout = 5 * time.Second
	cc.PoolConfig.HostSelectionPolicy = policy
	if attach != nil {
		attach(cc)
	}
	s, err := cc.CreateSession()
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

func createShop(tb testing.TB, c *sim.Cluster) {
	tb.Helper()
	s := simSession(tb, c, nil, nil)
	for _, q := range []string{
		"CREATE KEYSPACE shop WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}",
		"CREATE TABLE shop.kv (k int PRIMARY KEY, v text)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
}

// The wiring with a real driver: wrapped in TokenAwareHostPolicy and
// attached, the policy gets the hosts' tokens, the keyspace's replication
// (which a wrapped policy is not told) and the hint settings; losing
// LOCAL_QUORUM in dc1 moves the coordinators to dc2, and the return of the
// nodes moves them back after the grace (gocql v2.1.2 itself waits 10s
// before it handles a 4.x node's UP event: nodeUpDelay).
func TestSimSession(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	c := simtest.Start(t, "dc1:3x1,dc2:3x1", false, nil)
	createShop(t, c)
	switches := make(chan Switch, 10)
	p, err := New(Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, Keyspaces: []string{"shop"},
		SwitchBack: SwitchBackSafe, MinimumTimeBetweenSwitches: 300 * time.Millisecond, SwitchBackDelayFactor: 0.1,
		HintWindowFromCluster: true, Logger: quiet, OnSwitch: func(s Switch) { switches <- s }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := simSession(t, c, gocql.TokenAwareHostPolicy(p, gocql.ShuffleReplicas()), p.AttachTo)
	waitFor(t, "lost ranges computed and hint settings read", func() bool {
		st := p.Status()
		return st.Settled && st.LostRanges == "on" && st.HintWindowSource == "cluster"
	})
	st := p.Status()
	if st.HintWindowSeconds != (3*time.Hour).Seconds() || st.DCs[0].Nodes != 3 || st.DCs[1].Nodes != 3 || *st.DCs[0].LostRanges != 0 || len(st.Warnings) != 1 {
		t.Fatalf("status %+v", st)
	}
	coordinatorDC := func() string {
		t.Helper()
		var dc string
		if err := s.Query("SELECT data_center FROM system.local").Consistency(gocql.LocalOne).Scan(&dc); err != nil {
			t.Fatal(err)
		}
		return dc
	}
	write := func(k int) error {
		return s.Query("INSERT INTO shop.kv (k, v) VALUES (?, ?)", k, "x").Consistency(gocql.LocalQuorum).Exec()
	}
	if dc := coordinatorDC(); dc != "dc1" {
		t.Fatalf("coordinator in %s", dc)
	}
	if err := write(1); err != nil {
		t.Fatal(err)
	}

	var dc1 []*sim.Node
	for _, n := range c.Nodes() {
		if n.DC == "dc1" {
			dc1 = append(dc1, n)
		}
	}
	start := time.Now()
	dc1[1].Kill()
	dc1[2].Kill()
	select {
	case sw := <-switches:
		if sw.To != "dc2" || sw.Kind != KindFailover {
			t.Fatalf("switch %+v", sw)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no switch; status %+v", p.Status())
	}
	t.Logf("switched after %s", time.Since(start))
	start = time.Now()
	if dc := coordinatorDC(); dc != "dc2" {
		t.Fatalf("coordinator in %s after the switch", dc)
	}
	if err := write(2); err != nil {
		t.Fatalf("LOCAL_QUORUM write after the switch: %v", err)
	}
	t.Logf("queries after %s", time.Since(start))
	start = time.Now()
	for _, n := range dc1[1:] {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case sw := <-switches:
		if sw.To != "dc1" || sw.Kind != KindSwitchBack {
			t.Fatalf("switch %+v", sw)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no switch back; status %+v", p.Status())
	}
	t.Logf("switched back after %s", time.Since(start))
	if dc := coordinatorDC(); dc != "dc1" {
		t.Fatalf("coordinator in %s after the switch back", dc)
	}
}

func TestReadHintSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	c := simtest.Start(t, "dc1:1x1", false, nil)
	s := simSession(t, c, nil, nil)
	hs, err := ReadHintSettings(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if !hs.Enabled || hs.MaxHintWindow != 3*time.Hour || !hs.PersistentWindow || hs.MaxHintsSizePerHost != 0 || len(hs.DisabledDCs) != 0 {
		t.Fatalf("settings %+v", hs)
	}
}
