package failover

import (
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// The proofs, with real gocql v2 sessions against the simulator.
// gocql v2.1.2 handles a 4.x node's UP event only 10 s after it
// (nodeUpDelay), so an outage lasts at least that long for the driver.

// proofCluster starts topology with keyspace shop (NTS dc1:3, dc2:3).
func proofCluster(t *testing.T, topology string) (*sim.Cluster, map[string][]*sim.Node) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a simulated cluster")
	}
	t.Parallel()
	c := simtest.Start(t, topology, false, nil)
	createShop(t, c)
	byDC := map[string][]*sim.Node{}
	for _, n := range c.Nodes() {
		byDC[n.DC] = append(byDC[n.DC], n)
	}
	return c, byDC
}

// attached is a policy in a session of its own on c.
func attached(t *testing.T, c *sim.Cluster, o Options) (*Policy, *gocql.Session) {
	t.Helper()
	o.LocalDC, o.BackupDCs, o.Logger = "dc1", []string{"dc2"}, quiet
	if o.MinimumTimeBetweenSwitches == 0 {
		o.MinimumTimeBetweenSwitches = 300 * time.Millisecond
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	s := simSession(t, c, gocql.TokenAwareHostPolicy(p), p.AttachTo)
	waitLong(t, 20*time.Second, "the policy settled", func() bool { return p.Status().Settled })
	return p, s
}

func waitLong(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dc1Down(p *Policy) int { return p.Status().DCs[0].NodesDown }

// (1) The seed's nodes-down threshold: 2 of dc1's nodes down switch, 1 does not.
func TestProofNodesDownThreshold(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x1,dc2:3x1")
	p, _ := attached(t, c, Options{HostDownSwitchThreshold: 2})
	dcs["dc1"][0].Kill()
	waitLong(t, 10*time.Second, "the driver to see one dc1 node down", func() bool { return dc1Down(p) == 1 })
	time.Sleep(200 * time.Millisecond) // a decision would have been taken by now
	if dc := p.ActiveDC(); dc != "dc1" {
		t.Fatalf("switched to %s with 1 node down, threshold 2", dc)
	}
	dcs["dc1"][1].Kill()
	waitLong(t, 10*time.Second, "the switch to dc2 at 2 nodes down", func() bool { return p.ActiveDC() == "dc2" })
}

// (2) The seed's own argument: a 12-node DC with 3 racks loses one rack's
// 3 nodes. NetworkTopologyStrategy puts the 3 replicas of every range in
// 3 racks, so LOCAL_QUORUM holds everywhere: the token-range trigger stays,
// a naïve threshold of 3 nodes down switches.
func TestProofRackOutageKeepsQuorum(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x4,dc2:3x1")
	ranges, _ := attached(t, c, Options{Keyspaces: []string{"shop"}, Consistency: gocql.LocalQuorum})
	naive, _ := attached(t, c, Options{HostDownSwitchThreshold: 3})
	var rack1 []*sim.Node
	for _, n := range dcs["dc1"] {
		if n.Rack == "rack1" {
			rack1 = append(rack1, n)
		}
	}
	if len(dcs["dc1"]) != 12 || len(rack1) != 4 {
		t.Fatalf("dc1 has %d nodes, rack1 %d", len(dcs["dc1"]), len(rack1))
	}
	for _, n := range rack1[:3] {
		n.Kill()
	}
	waitLong(t, 10*time.Second, "the naive policy to switch at 3 nodes down", func() bool { return naive.ActiveDC() == "dc2" })
	waitLong(t, 10*time.Second, "the token-range policy to see 3 nodes down", func() bool { return dc1Down(ranges) == 3 })
	time.Sleep(200 * time.Millisecond)
	st := ranges.Status()
	if st.ActiveDC != "dc1" || st.DCs[0].LostRanges == nil || *st.DCs[0].LostRanges != 0 {
		t.Fatalf("token-range policy: active %s, dc1 lost ranges %v; want dc1 and 0 (quorum holds in every range)", st.ActiveDC, st.DCs[0].LostRanges)
	}
	t.Logf("3 nodes of one rack down: the naive threshold switched to dc2; the token-range trigger stays on dc1 with 0 ranges lost")
}

// (3) Two nodes of different racks down in the 12-node DC: only the
// ranges whose replicas include both lose LOCAL_QUORUM; that is enough to
// switch, where the threshold of 3 nodes down would wait. (The simulator's
// tokens come from a fixed seed, so the same ranges every run.)
func TestProofOneRangeLostSwitches(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x4,dc2:3x1")
	ranges, _ := attached(t, c, Options{Keyspaces: []string{"shop"}})
	naive, _ := attached(t, c, Options{HostDownSwitchThreshold: 3})
	var a, b *sim.Node
	for _, n := range dcs["dc1"] {
		switch {
		case a == nil && n.Rack == "rack1":
			a = n
		case b == nil && n.Rack == "rack2":
			b = n
		}
	}
	a.Kill()
	b.Kill()
	waitLong(t, 10*time.Second, "the token-range policy to switch", func() bool { return ranges.ActiveDC() == "dc2" })
	st := ranges.Status()
	lost := st.DCs[0].LostRanges
	if lost == nil || *lost == 0 || st.DCs[0].NodesDown != 2 {
		t.Fatalf("dc1: %v ranges lost, %d nodes down", lost, st.DCs[0].NodesDown)
	}
	waitLong(t, 10*time.Second, "the naive policy to see 2 nodes down", func() bool { return dc1Down(naive) == 2 })
	if dc := naive.ActiveDC(); dc != "dc1" {
		t.Fatalf("the naive policy switched to %s at 2 nodes down, threshold 3", dc)
	}
	t.Logf("%s (rack1) and %s (rack2) down: %d token ranges lost LOCAL_QUORUM in dc1; switched to dc2", a.Addr, b.Addr, *lost)
}

// (4) A short outage: the switch back waits for downtime × factor after
// the DC is back, not a moment less.
func TestProofShortOutageWaitsForTheGrace(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x1,dc2:3x1")
	p, _ := attached(t, c, Options{Keyspaces: []string{"shop"}, SwitchBack: SwitchBackSafe, SwitchBackDelayFactor: 0.5})
	dcs["dc1"][0].Kill()
	dcs["dc1"][1].Kill()
	waitLong(t, 10*time.Second, "the switch to dc2", func() bool { return p.ActiveDC() == "dc2" })
	time.Sleep(time.Second) // gossip convicts the killed nodes (the driver hears DOWN)
	for _, n := range dcs["dc1"][:2] {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	// dc1 is back as soon as LOCAL_QUORUM holds again (the first node up).
	var st Status
	waitLong(t, 40*time.Second, "the driver to see dc1 serve LOCAL_QUORUM again", func() bool {
		st = p.Status()
		return st.DCs[0].CameBackUpAt != nil
	})
	safeAt := st.DCs[0].SafeAt
	if st.ActiveDC != "dc2" || safeAt == nil || !safeAt.After(time.Now()) {
		t.Fatalf("dc1 just back: active %s, safe at %v; want dc2 until a grace in the future", st.ActiveDC, safeAt)
	}
	t.Logf("dc1 back after %.1fs down; switch back allowed at %s (in %s)", st.DCs[0].DowntimeSeconds, safeAt.Format(time.TimeOnly), time.Until(*safeAt).Round(time.Millisecond))
	waitLong(t, 30*time.Second, "the switch back", func() bool { return p.ActiveDC() == "dc1" })
	if now := time.Now(); now.Before(*safeAt) {
		t.Fatalf("switched back at %s, before the grace ended at %s", now.Format(time.TimeOnly), safeAt.Format(time.TimeOnly))
	}
}

// (5) An outage longer than the hint window: never back by itself; only
// SwitchBack() returns.
func TestProofLongOutageNeverSwitchesBack(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x1,dc2:3x1")
	p, _ := attached(t, c, Options{Keyspaces: []string{"shop"}, SwitchBack: SwitchBackSafe, SwitchBackDelayFactor: 0.1, MaxHintWindow: time.Second})
	dcs["dc1"][0].Kill()
	dcs["dc1"][1].Kill()
	waitLong(t, 10*time.Second, "the switch to dc2", func() bool { return p.ActiveDC() == "dc2" })
	time.Sleep(1500 * time.Millisecond) // past the 1 s hint window
	for _, n := range dcs["dc1"][:2] {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	waitLong(t, 30*time.Second, "the driver to see dc1 back", func() bool { return dc1Down(p) == 0 })
	// With the factor 0.1 a switch back would come within about 1.5 s.
	time.Sleep(3 * time.Second)
	st := p.Status()
	if st.ActiveDC != "dc2" || st.DCs[0].State != "needs_repair" {
		t.Fatalf("after an outage past the hint window: active %s, dc1 %s (%s); want dc2, needs_repair", st.ActiveDC, st.DCs[0].State, st.DCs[0].NeedsRepair)
	}
	if err := p.SwitchBack(); err != nil {
		t.Fatal(err)
	}
	if dc := p.ActiveDC(); dc != "dc1" {
		t.Fatalf("SwitchBack(): active %s", dc)
	}
}

// maxErrorsDuringSwitch bounds the failed LOCAL_QUORUM writes while dc1
// dies under a writer (docs/failover.md quotes the measured figure).
const maxErrorsDuringSwitch = 5

// (6) Every dc1 node dies under a writer: the writes go on through dc2,
// with at most maxErrorsDuringSwitch failures during the switch.
func TestProofWholeDCDown(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x1,dc2:3x1")
	p, s := attached(t, c, Options{Keyspaces: []string{"shop"}})
	var ok, failed atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Query("INSERT INTO shop.kv (k, v) VALUES (?, ?)", k, "x").Consistency(gocql.LocalQuorum).Exec(); err != nil {
				failed.Add(1)
				lastErr.Store(err.Error())
			} else {
				ok.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	waitLong(t, 10*time.Second, "writes", func() bool { return ok.Load() > 50 })
	before := ok.Load()
	for _, n := range dcs["dc1"] {
		n.Kill()
	}
	waitLong(t, 10*time.Second, "the switch to dc2", func() bool { return p.ActiveDC() == "dc2" })
	after := ok.Load()
	waitLong(t, 10*time.Second, "writes through dc2", func() bool { return ok.Load() > after+200 })
	close(stop)
	<-done
	n := failed.Load()
	t.Logf("all of dc1 killed: %d writes failed during the switch, %d succeeded after it (last error: %v)", n, ok.Load()-after, lastErr.Load())
	if n > maxErrorsDuringSwitch {
		t.Fatalf("%d writes failed, more than %d", n, maxErrorsDuringSwitch)
	}
	if before == 0 {
		t.Fatal("no write before the outage")
	}
}
