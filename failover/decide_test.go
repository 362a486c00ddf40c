package failover

import (
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/ring"
)

func baseOpts() Options {
	return Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}}
}

// The seed's trigger: a switch once HostDownSwitchThreshold nodes are down.
func TestNodesDownThreshold(t *testing.T) {
	hosts := genHosts(t, "dc1:6x3,dc2:6x3", 8, 1)
	o := baseOpts()
	o.HostDownSwitchThreshold = 2
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	if s := x.down(dc1[0]); s != nil {
		t.Fatalf("one node down switched: %+v", s)
	}
	x.wantActive("dc1")
	s := x.at(time.Second).down(dc1[1])
	if s == nil || s.From != "dc1" || s.To != "dc2" || s.Kind != KindFailover {
		t.Fatalf("two nodes down: switch %+v", s)
	}
	if !strings.Contains(s.Reason, "2 of 6 nodes down (host_down_switch_threshold 2)") {
		t.Errorf("reason %q", s.Reason)
	}
	if s.At != t0.Add(time.Second) {
		t.Errorf("switch at %s", s.At)
	}
	x.wantActive("dc2")
}

// The seed's own argument: in a 12-node DC over 3 racks, three nodes down
// in one rack leave every range with a quorum of its replicas (NTS puts
// them in distinct racks), so the lost-ranges trigger stays put while a
// naive threshold of 3 switches.
func TestRackOutageKeepsQuorum(t *testing.T) {
	hosts := genHosts(t, "dc1:12x3,dc2:12x3", 16, 2)
	repl := map[string]map[string]string{"shop": nts("dc1", "3", "dc2", "3")}
	rack := ids(hosts, inRack("dc1", "r1"))[:3]

	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	x := newTM(t, o, hosts, repl)
	if x.m.model == nil {
		t.Fatalf("no range model: %s", x.m.modelErr)
	}
	x.down(rack...)
	x.wantActive("dc1")
	if d := x.m.dcs["dc1"]; d.lost != 0 || d.down != 3 {
		t.Fatalf("dc1: lost %d, down %d", d.lost, d.down)
	}

	o.Keyspaces = nil
	o.HostDownSwitchThreshold = 3
	y := newTM(t, o, hosts, nil)
	y.down(rack...)
	y.wantActive("dc2")
}

// Two nodes of different racks down: the ranges they both replicate lose
// LOCAL_QUORUM in dc1, and the policy switches; LOCAL_ONE still holds.
func TestLostRangesSwitch(t *testing.T) {
	hosts := genHosts(t, "dc1:6x3,dc2:6x3", 16, 3)
	repl := map[string]map[string]string{"shop": nts("dc1", "3", "dc2", "3")}
	a, b := ids(hosts, inRack("dc1", "r1"))[0], ids(hosts, inRack("dc1", "r2"))[0]

	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	o.Consistency = 0x0A // LOCAL_ONE
	one := newTM(t, o, hosts, repl)
	one.down(a, b)
	one.wantActive("dc1")

	o.Consistency = 0 // LOCAL_QUORUM
	x := newTM(t, o, hosts, repl)
	x.down(a)
	x.wantActive("dc1")
	s := x.down(b)
	if s == nil || s.To != "dc2" {
		t.Fatalf("no switch: %+v", x.m.dcs["dc1"])
	}
	lost := x.m.dcs["dc1"].lost
	if lost == 0 || !strings.Contains(s.Reason, "token ranges cannot be served at LOCAL_QUORUM (shop: ") {
		t.Fatalf("lost %d, reason %q", lost, s.Reason)
	}
	// The figure is the ring package's own.
	topo := x.m.model.topo
	ia, _ := topo.Index(a)
	ib, _ := topo.Index(b)
	av, err := topo.NewAvailability([]ring.Keyspace{{Name: "shop", Replication: mustRepl(t, repl["shop"])}}, "dc1", []int{ia, ib})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := av.UnavailableCount("shop", ring.LocalQuorum); n != lost {
		t.Errorf("lost %d, ring says %d", lost, n)
	}
	if x.m.dcs["dc2"].lost != 0 {
		t.Errorf("dc2 lost %d ranges with dc1 nodes down", x.m.dcs["dc2"].lost)
	}
}

// No trigger configured at all: a DC with every node down is still left,
// whatever the switch-back mode.
func TestAllDownAlwaysSwitches(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 4)
	x := newTM(t, baseOpts(), hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1[:2]...)
	x.wantActive("dc1")
	s := x.down(dc1[2])
	if s == nil || !strings.Contains(s.Reason, "all 3 nodes down") {
		t.Fatalf("switch %+v", s)
	}
	x.wantActive("dc2")
}

// The seed's switch-back rules: back for downtime × factor, and the dwell.
func TestShortOutageSwitchesBackAfterGrace(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 5)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.wantActive("dc2")
	x.at(10 * time.Minute).up(dc1...)
	x.wantActive("dc2")
	// Down 10 minutes: back for 15 before switching back.
	if next := x.m.nextDeadline(x.now); !next.Equal(t0.Add(25 * time.Minute)) {
		t.Errorf("next deadline %s, want +25m", next.Sub(t0))
	}
	if s := x.at(25*time.Minute - time.Millisecond).tick(); s != nil {
		t.Fatalf("switched back before the grace: %+v", s)
	}
	st := x.m.status(x.now)
	if st.DCs[0].State != "recovering" || st.DCs[0].SafeAt == nil || !st.DCs[0].SafeAt.Equal(t0.Add(25*time.Minute)) {
		t.Errorf("dc1 status %+v", st.DCs[0])
	}
	s := x.at(25 * time.Minute).tick()
	if s == nil || s.Kind != KindSwitchBack || s.To != "dc1" {
		t.Fatalf("no switch back: %+v", s)
	}
	if want := "dc1 was down for 10m0s (less than the hint window, 3h0m0s) and has been back for 15m0s (at least max(downtime × 1.5, 2m0s − downtime))"; s.Reason != want {
		t.Errorf("reason %q", s.Reason)
	}
	if got := x.m.backupTime(x.now); got != 25*time.Minute {
		t.Errorf("time in backup %s", got)
	}
}

// Hysteresis: a DC that fails again during its grace starts the grace
// over, and its downtime counts from the first failure.
func TestFlapRestartsGrace(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 6)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.at(2 * time.Minute).up(dc1...)
	x.at(4 * time.Minute).down(dc1...)
	x.at(6 * time.Minute).up(dc1...)
	// Downtime 6m (from +0 to +6m): grace 9m from +6m.
	if s := x.at(14 * time.Minute).tick(); s != nil {
		t.Fatalf("switched back early: %+v", s)
	}
	if s := x.at(15 * time.Minute).tick(); s == nil || s.To != "dc1" {
		t.Fatalf("no switch back at +15m: %+v", s)
	}
	if len(x.switches) != 2 {
		t.Errorf("switches %+v", x.switches)
	}
}

// A short outage still waits for the seed's minimum time between switches.
func TestMinimumTimeBetweenSwitches(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 7)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.at(10 * time.Second).up(dc1...)
	if s := x.at(119 * time.Second).tick(); s != nil {
		t.Fatalf("switched back within the dwell: %+v", s)
	}
	if s := x.at(120 * time.Second).tick(); s == nil {
		t.Fatal("no switch back after 120s")
	}
	// Right after switching back, losing one node more than the threshold
	// allows does not bounce within the dwell; losing every node does.
	x.m.cfg.threshold = 1
	x.at(130 * time.Second).down(dc1[0])
	x.wantActive("dc1")
	x.at(239 * time.Second).tick()
	x.wantActive("dc1")
	x.at(240 * time.Second).tick()
	x.wantActive("dc2")
	y := newTM(t, o, hosts, nil)
	y.down(dc1...)
	y.at(10 * time.Second).up(dc1...)
	y.at(120 * time.Second).tick()
	y.wantActive("dc1")
	y.at(121 * time.Second).down(dc1...)
	y.wantActive("dc2")
}

// The seed's first rule: after an outage at least as long as the hint
// window, no automatic switch back, ever; SwitchBack() is the way.
func TestLongOutageNeverSwitchesBack(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 8)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	o.MaxHintWindow = time.Hour
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.at(time.Hour).tick()
	if d := x.m.dcs["dc1"]; !strings.Contains(d.needsRepair, "longer than the hint window (1h0m0s)") {
		t.Errorf("needs repair %q", d.needsRepair)
	}
	x.at(61 * time.Minute).up(dc1...)
	for _, at := range []time.Duration{2 * time.Hour, 24 * time.Hour, 30 * 24 * time.Hour} {
		if s := x.at(at).tick(); s != nil {
			t.Fatalf("switched back at +%s: %+v", at, s)
		}
	}
	if st := x.m.status(x.now); st.DCs[0].State != "needs_repair" {
		t.Errorf("state %s", st.DCs[0].State)
	}
	s, err := x.m.switchBack(x.now)
	if err != nil || s == nil || s.Kind != KindManual || x.m.active != "dc1" {
		t.Fatalf("SwitchBack: %+v, %v", s, err)
	}
	if x.m.dcs["dc1"].needsRepair != "" {
		t.Error("SwitchBack left dc1 needing repair")
	}
}

// Just under the window is still fine: the rule is downtime < window.
func TestOutageJustUnderWindow(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 9)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	o.MaxHintWindow = time.Hour
	o.SwitchBackDelayFactor = 0.5
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.at(time.Hour - time.Second).up(dc1...)
	if s := x.at(time.Hour - time.Second + 30*time.Minute).tick(); s == nil {
		t.Fatalf("no switch back: %s", x.m.describe(x.m.dcs["dc1"]))
	}
}

// A node down longer than the rest of its DC lengthens the downtime.
func TestNodeOutageCounts(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 10)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	o.HostDownSwitchThreshold = 2
	o.MaxHintWindow = time.Hour
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1[0])
	x.at(50 * time.Minute).down(dc1[1])
	x.wantActive("dc2")
	x.at(70*time.Minute).up(dc1[0], dc1[1])
	if d := x.m.dcs["dc1"]; d.downtime() != 70*time.Minute || d.needsRepair == "" {
		t.Fatalf("downtime %s, needs repair %q", d.downtime(), d.needsRepair)
	}
}

func TestSwitchBackNever(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 11)
	x := newTM(t, baseOpts(), hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	if _, err := x.m.switchBack(x.now); err == nil || !strings.Contains(err.Error(), "dc1: all 3 nodes down") {
		t.Fatalf("SwitchBack to a dead DC: %v", err)
	}
	x.at(time.Minute).up(dc1...)
	x.at(100 * time.Hour).tick()
	x.wantActive("dc2")
	s, err := x.m.switchBack(x.now)
	if err != nil || s == nil || s.Kind != KindManual {
		t.Fatalf("SwitchBack: %+v %v", s, err)
	}
	if s, err := x.m.switchBack(x.now); s != nil || err != nil {
		t.Fatalf("second SwitchBack: %+v %v", s, err)
	}
}

// With the backups exhausted, any usable DC beats a dead one.
func TestBackupsExhausted(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1,dc3:3x1", 4, 12)
	x := newTM(t, baseOpts(), hosts, nil)
	x.down(ids(hosts, inDC("dc2"))...)
	x.down(ids(hosts, inDC("dc1"))...)
	x.wantActive("dc3")
	// dc2 coming back (never failed over from; it is the better backup)
	// does not move a healthy active DC in never mode.
	x.at(time.Hour).up(ids(hosts, inDC("dc2"))...)
	x.wantActive("dc3")
}

// Failing over from a backup prefers a safe DC, in preference order.
func TestFailoverFromBackup(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1,dc3:3x1", 4, 13)
	o := baseOpts()
	o.BackupDCs = []string{"dc2", "dc3"}
	o.SwitchBack = SwitchBackSafe
	x := newTM(t, o, hosts, nil)
	x.down(ids(hosts, inDC("dc1"))...)
	x.wantActive("dc2")
	x.at(time.Minute).down(ids(hosts, inDC("dc2"))...)
	x.wantActive("dc3")
	// dc1 back: recovering, not yet safe; dc2 back too. Both have to wait.
	x.at(2 * time.Minute).up(ids(hosts, inDC("dc1"))...)
	x.at(3 * time.Minute).up(ids(hosts, inDC("dc2"))...)
	x.wantActive("dc3")
	// dc1: down 2m, grace max(3m, 0) → safe at +5m; the dwell since +1m is over.
	if s := x.at(5 * time.Minute).tick(); s == nil || s.To != "dc1" || s.Kind != KindSwitchBack {
		t.Fatalf("switch back %+v, dc1 %s", s, x.m.describe(x.m.dcs["dc1"]))
	}
}

// A failing (not dead) active DC is only left for a safe one.
func TestFailingStaysWithoutSafeTarget(t *testing.T) {
	hosts := genHosts(t, "dc1:4x1,dc2:4x1", 4, 14)
	o := baseOpts()
	o.HostDownSwitchThreshold = 1
	x := newTM(t, o, hosts, nil)
	x.down(ids(hosts, inDC("dc2"))[0])
	x.down(ids(hosts, inDC("dc1"))[0])
	x.wantActive("dc1")
}

func TestErrorRate(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 15)
	o := baseOpts()
	o.ErrorRate = ErrorRate{Threshold: 0.5, Window: 10 * time.Second, MinRequests: 10}
	o.SwitchBack = SwitchBackSafe
	o.MinimumTimeBetweenSwitches = time.Second
	x := newTM(t, o, hosts, nil)
	for i := 0; i < 8; i++ {
		x.do(x.m.report(x.now, "dc1", true))
	}
	x.wantActive("dc1") // fewer than MinRequests
	x.do(x.m.report(x.now, "dc2", true))
	x.do(x.m.report(x.now, "dc1", false))
	x.wantActive("dc1") // 9 requests, fewer than MinRequests
	x.do(x.m.report(x.now, "dc1", true))
	x.wantActive("dc2")
	if s := x.switches[0]; !strings.Contains(s.Reason, "9 of 10 requests failed in the last 10s (threshold 0.5)") {
		t.Errorf("reason %q", s.Reason)
	}
	// No requests reach dc1 now: its errors leave the window, it is back
	// at about +10s, and safe after max(10s × 1.5, 1s - 10s) more.
	if x.at(9 * time.Second).tick(); x.m.dcs["dc1"].cause == 0 {
		t.Error("errors left the window early")
	}
	x.at(10 * time.Second).tick()
	if x.m.dcs["dc1"].cause != 0 {
		t.Fatal("errors still counted after the window")
	}
	x.at(24 * time.Second).tick()
	x.wantActive("dc2")
	x.at(25 * time.Second).tick()
	x.wantActive("dc1")
	// Errors are not counted for unknown DCs or when the trigger is off.
	if s := x.m.report(x.now, "nowhere", true); s != nil {
		t.Error(s)
	}
}

func TestHintsFacts(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 16)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	x := newTM(t, o, hosts, nil)
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.at(time.Minute).up(dc1...)
	if w := x.m.hintsWanted(); len(w) != 1 || w[0] != "dc1" {
		t.Fatalf("hints wanted %v", w)
	}
	x.do(x.m.setHints(x.now, "dc1", HintsPending))
	if s := x.at(time.Hour).tick(); s != nil {
		t.Fatalf("switched back with hints pending: %+v", s)
	}
	if s := x.do(x.m.setHints(x.now, "dc1", HintsDelivered)); s == nil || s.To != "dc1" {
		t.Fatalf("no switch back once delivered: %+v", s)
	}

	y := newTM(t, o, hosts, nil)
	y.down(dc1...)
	y.at(time.Minute).up(dc1...)
	y.do(y.m.setHints(y.now, "dc1", HintsDropped))
	if y.at(time.Hour).tick(); y.m.active != "dc2" || !strings.Contains(y.m.dcs["dc1"].needsRepair, "dropped") {
		t.Fatalf("dropped hints: active %s, %q", y.m.active, y.m.dcs["dc1"].needsRepair)
	}
	if s, err := y.m.markRepaired(y.now, "dc1"); err != nil || s == nil || s.To != "dc1" {
		t.Fatalf("MarkRepaired: %+v %v", s, err)
	}
	if _, err := y.m.markRepaired(y.now, "dc9"); err == nil {
		t.Error("MarkRepaired of an unknown DC")
	}
}

// Settings read from the cluster: no hints in a DC means any outage there
// needs a repair.
func TestHintWindowFromCluster(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 17)
	o := baseOpts()
	o.SwitchBack = SwitchBackSafe
	x := newTM(t, o, hosts, nil)
	x.do(x.m.setWindow(x.now, HintSettings{Enabled: true, MaxHintWindow: 2 * time.Hour, DisabledDCs: []string{"dc1"}, MaxHintsSizePerHost: 1 << 30}))
	st := x.m.status(x.now)
	if st.HintWindowSeconds != 7200 || st.HintWindowSource != "cluster" || !strings.Contains(strings.Join(st.Warnings, "\n"), "max_hints_size_per_host is 1073741824 bytes") {
		t.Fatalf("status %+v", st)
	}
	dc1 := ids(hosts, inDC("dc1"))
	x.down(dc1...)
	x.at(time.Second).up(dc1...)
	x.at(time.Hour).tick()
	x.wantActive("dc2")
	if x.m.dcs["dc1"].needsRepair == "" {
		t.Error("dc1 without hints does not need repair")
	}
}

// No decision before the driver has listed its hosts: a DC with no host
// known yet is not a dead one.
func TestNoDecisionBeforeSettle(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 18)
	c, _ := baseOpts().validate()
	m := newMachine(c)
	for _, h := range hosts {
		if h.DC == "dc2" {
			if s := m.addHost(t0, h); s != nil {
				t.Fatalf("switched before settle: %+v", s)
			}
		}
	}
	for _, h := range hosts {
		if h.DC == "dc1" {
			m.addHost(t0, h)
		}
	}
	if s := m.settle(t0); s != nil || m.active != "dc1" {
		t.Fatalf("settle: %+v", s)
	}
	// A LocalDC no host is in is left at settle, with a warning.
	c.local = "dc-typo"
	m = newMachine(c)
	for _, h := range hosts {
		m.addHost(t0, h)
	}
	s := m.settle(t0)
	if s == nil || s.To != "dc2" || !strings.Contains(s.Reason, "no node known") {
		t.Fatalf("settle with an unknown local DC: %+v", s)
	}
	st := m.status(t0)
	if len(st.UnknownDCs) != 1 || st.UnknownDCs[0] != "dc-typo" || !strings.Contains(strings.Join(st.Warnings, "\n"), `Options.LocalDC "dc-typo": the driver knows no host in that data center (it knows dc1, dc2)`) {
		t.Errorf("status %+v", st)
	}
}

func TestKeyspaceWarnings(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:1x1", 4, 19)
	o := baseOpts()
	o.Keyspaces = []string{"shop", "dc1only", "missing"}
	x := newTM(t, o, hosts, map[string]map[string]string{"shop": nts("dc1", "3", "dc2", "3"), "dc1only": nts("dc1", "3")})
	x.do(x.m.setKeyspace(x.now, "missing", ring.Replication{}, errKeyspace))
	w := strings.Join(x.m.warnings(), "\n")
	for _, want := range []string{
		"keyspace dc1only is not replicated in dc2: LOCAL_QUORUM can never be served there",
		"keyspace shop cannot be served at LOCAL_QUORUM in dc2 even with every node up: replication factor 3 there, 1 nodes",
		"keyspace missing: keyspace does not exist",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	// dc2 cannot serve dc1only at all: it counts as failing, so it is not a target.
	if x.m.dcs["dc2"].lost == 0 || x.m.tier(x.m.dcs["dc2"]) != tierFailing {
		t.Errorf("dc2: lost %d", x.m.dcs["dc2"].lost)
	}
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errKeyspace = constErr("keyspace does not exist")

// Two hosts claiming one token (a replacement in progress): the one that
// is up keeps it, and the model still computes.
func TestDuplicateTokens(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 20)
	ghost := hosts[0]
	ghost.ID = "dc1-ghost"
	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	c, _ := o.validate()
	m := newMachine(c)
	m.addHost(t0, ghost)
	m.setUp(t0, ghost.ID, false)
	for _, h := range hosts {
		m.addHost(t0, h)
	}
	m.setKeyspace(t0, "shop", mustRepl(t, nts("dc1", "3", "dc2", "3")), nil)
	m.rebuild(t0)
	if m.model == nil {
		t.Fatalf("no model: %s", m.modelErr)
	}
	if _, in := m.model.index["dc1-ghost"]; in || len(m.modelNotes) != 1 || !strings.Contains(m.modelNotes[0], "dc1-ghost") {
		t.Errorf("notes %v", m.modelNotes)
	}
}

func TestRangeModelReasons(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 21)
	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	c, _ := o.validate()
	m := newMachine(c)
	for _, h := range hosts {
		m.addHost(t0, h)
	}
	m.rebuild(t0)
	if !strings.HasPrefix(m.modelErr, "waiting for the replication of shop") {
		t.Errorf("reason %q", m.modelErr)
	}
	m.setKeyspace(t0, "shop", mustRepl(t, nts("dc1", "3")), nil)
	m.setPartitioner(t0, "org.apache.cassandra.dht.RandomPartitioner")
	m.rebuild(t0)
	if m.model != nil || !strings.Contains(m.modelErr, "RandomPartitioner") {
		t.Errorf("model %v, reason %q", m.model, m.modelErr)
	}
	m.setPartitioner(t0, murmur3)
	m.rebuild(t0)
	if m.model == nil {
		t.Fatal(m.modelErr)
	}
	// A host removed, a keyspace dropped: rebuilt, then off.
	m.removeHost(t0, hosts[0].ID)
	if !m.needsRebuild() {
		t.Error("removal did not call for a rebuild")
	}
	m.dropKeyspace(t0, "shop")
	m.rebuild(t0)
	if m.model != nil {
		t.Error("model kept after the keyspace was dropped")
	}
}

// A stale model (built before a host joined) ignores the new host safely.
func TestStaleModel(t *testing.T) {
	hosts := genHosts(t, "dc1:4x1,dc2:3x1", 4, 22)
	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	c, _ := o.validate()
	m := newMachine(c)
	for _, h := range hosts[:3] {
		m.addHost(t0, h)
	}
	m.setKeyspace(t0, "shop", mustRepl(t, nts("dc1", "3", "dc2", "3")), nil)
	in, _ := m.rangeInput()
	model, err := buildRangeModel(in)
	if err != nil {
		t.Fatal(err)
	}
	m.addHost(t0, hosts[3])
	if _, ok := m.installModel(t0, in, model, ""); ok {
		t.Fatal("installed a model of old inputs")
	}
	m.setUp(t0, hosts[3].ID, false)
	m.rebuild(t0)
	if m.model == nil || m.model.index[hosts[3].ID] != 3 {
		t.Fatalf("model %+v", m.model)
	}
}

// A host re-added with other tokens or DC moves between DCs.
func TestHostChanges(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 23)
	x := newTM(t, baseOpts(), hosts, nil)
	h := hosts[0]
	x.down(h.ID)
	h.DC = "dc2"
	x.do(x.m.addHost(x.now, h))
	if d1, d2 := x.m.dcs["dc1"], x.m.dcs["dc2"]; d1.nodes != 2 || d2.nodes != 4 || d1.down != 0 || d2.down != 0 {
		t.Errorf("dc1 %d/%d dc2 %d/%d", d1.nodes, d1.down, d2.nodes, d2.down)
	}
	x.do(x.m.removeHost(x.now, h.ID))
	x.do(x.m.removeHost(x.now, "nobody"))
	x.do(x.m.setUp(x.now, "nobody", false))
	if x.m.dcs["dc2"].nodes != 3 {
		t.Error("remove")
	}
}

// A host without a DC (the driver could not read it) does not break the ring.
func TestHostWithoutDC(t *testing.T) {
	hosts := genHosts(t, "dc1:3x1,dc2:3x1", 4, 24)
	hosts = append(hosts, hostInfo{ID: "nodc", Tokens: []ring.Token{42}})
	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	x := newTM(t, o, hosts, map[string]map[string]string{"shop": nts("dc1", "3", "dc2", "3")})
	if x.m.model == nil {
		t.Fatal(x.m.modelErr)
	}
	x.down("nodc")
	x.wantActive("dc1")
}
