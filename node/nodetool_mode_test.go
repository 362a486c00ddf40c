package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
)

func TestModeFromGossip(t *testing.T) {
	for status, want := range map[string]string{
		"NORMAL": "NORMAL", "LEAVING": "LEAVING", "LEFT": "DECOMMISSIONED", "MOVING": "MOVING",
		"BOOT": "JOINING", "BOOT_REPLACE": "JOINING", "shutdown": "", "hibernate": "", "removing": "", "": "",
	} {
		mode, ok := modeFromGossip(status)
		if mode != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", status, mode, ok, want)
		}
	}
}

func TestLocalGossip(t *testing.T) {
	normal := GossipState{Status: "NORMAL,-1276551622235670265"}
	shutdown := GossipState{Status: "shutdown,true"}
	for _, c := range []struct {
		row            GossipState
		still          time.Duration
		running, known bool
	}{
		{normal, 0, true, true},
		{normal, 4 * time.Second, true, true},
		{normal, localStall, false, false}, // stopped without an announcement: ask nodetool
		{shutdown, 0, false, true},
		{shutdown, time.Hour, false, true},
	} {
		if r, k := localGossip(c.row, c.still); r != c.running || k != c.known {
			t.Errorf("%+v %v: %v %v", c.row, c.still, r, k)
		}
	}
	if !peerSilent(shutdown, 0) || peerSilent(normal, peerStall-time.Second) || !peerSilent(normal, peerStall) {
		t.Error("peerSilent")
	}
}

func TestObserveHeartbeats(t *testing.T) {
	mem := map[string]heartbeat{}
	t0 := time.Unix(1000, 0)
	row := func(ep string, gen, hb int64) GossipState {
		return GossipState{Endpoint: ep, Generation: gen, Heartbeat: hb}
	}
	still := observe(mem, []GossipState{row("a:7000", 1, 10), row("b:7000", 1, 5)}, t0)
	if still["a:7000"] != 0 || still["b:7000"] != 0 {
		t.Fatal(still)
	}
	still = observe(mem, []GossipState{row("a:7000", 1, 15), row("b:7000", 1, 5)}, t0.Add(5*time.Second))
	if still["a:7000"] != 0 || still["b:7000"] != 5*time.Second {
		t.Fatal(still)
	}
	// A restart (new generation) moves even if the heartbeat is lower; a row that went away is forgotten.
	still = observe(mem, []GossipState{row("b:7000", 2, 1)}, t0.Add(10*time.Second))
	if still["b:7000"] != 0 || len(mem) != 1 {
		t.Fatal(still, mem)
	}
}

// cqlUp is a CQL read of a NORMAL node at 127.0.0.1:7000 with peers at .2 and .3.
func cqlUp(hb int64, peers ...GossipState) *cqlResult {
	rows := append([]GossipState{{Endpoint: "127.0.0.1:7000", Generation: 1, Heartbeat: hb, Status: "NORMAL,1"}}, peers...)
	return &cqlResult{answered: true, local: true, endpoint: "127.0.0.1:7000", storagePort: 7000, gossip: rows, haveGossip: true}
}

func peer(ep string, gen, hb int64, status string) GossipState {
	return GossipState{Endpoint: ep, Generation: gen, Heartbeat: hb, Status: status}
}

// TestDecideSchedule: the plan nodetool mode makes at each refresh, as a
// table over time (5 s refreshes, a 60 s interval).
func TestDecideSchedule(t *testing.T) {
	m := newNTMode(time.Minute)
	t0 := time.Unix(2000, 0)
	upRows := []StatusRow{{Status: "U", Address: "127.0.0.1"}, {Status: "U", Address: "127.0.0.2"}, {Status: "U", Address: "127.0.0.3"}}
	// step applies a refresh at t0+sec: CQL read cr; if a status run is
	// planned it returns rows.
	step := func(sec int, cr *cqlResult, rows []StatusRow) plan {
		t.Helper()
		now := t0.Add(time.Duration(sec) * time.Second)
		d := m.derive(cr, now)
		if d.storagePort > 0 {
			m.port = d.storagePort
		}
		p := m.decide(d, now)
		if p.status {
			m.status = ntPart{at: now, rows: rows, answered: true}
			m.viewAtStatus = d.view
		}
		if p.info {
			m.info = ntPart{at: now, info: &Info{GossipActive: true, NativeTransportActive: true}, answered: true}
		}
		if p.netstats {
			m.netstats = ntPart{at: now, mode: "DRAINED", answered: true}
		}
		return p
	}
	p2 := func(hb int64, status string) GossipState { return peer("127.0.0.2:7000", 1, hb, status) }
	p3 := func(gen, hb int64) GossipState { return peer("127.0.0.3:7000", gen, hb, "NORMAL,3") }

	runs := 0
	for sec := 0; sec < 300; sec += 5 {
		p := step(sec, cqlUp(int64(sec), p2(int64(sec), "NORMAL,2"), p3(1, int64(sec))), upRows)
		if p.info || p.netstats {
			t.Fatalf("t=%d: steady state ran %+v", sec, p)
		}
		if p.status {
			runs++
		}
	}
	if runs != 5 { // 0, 60, 120, 180, 240
		t.Fatalf("steady state: %d status runs in 300 s, want 5", runs)
	}

	// t=300..: peer 3 restarts (new generation): one status run at once
	// (the last one was at 240, more than 15 s ago), none after.
	if p := step(300, cqlUp(300, p2(300, "NORMAL,2"), p3(2, 1)), upRows); !p.status {
		t.Fatal("a restarted peer did not trigger nodetool status")
	}
	if p := step(305, cqlUp(305, p2(305, "NORMAL,2"), p3(2, 6)), upRows); p.status {
		t.Fatal("status ran again without a change")
	}

	// Peer 2 is killed at 310: its heartbeat stops at 310. Seen still
	// from 310, silent at 320 (peerStall): a change, but the last run
	// (300) is only 20 s ago → run (≥ 15 s).
	var got []int
	for sec := 310; sec <= 420; sec += 5 {
		rows := upRows // the failure detector has not convicted it yet
		if sec >= 330 {
			rows = []StatusRow{upRows[0], {Status: "D", Address: "127.0.0.2"}, upRows[2]}
		}
		if p := step(sec, cqlUp(int64(sec), p2(310, "NORMAL,2"), p3(2, int64(sec))), rows); p.status {
			got = append(got, sec)
		}
	}
	// 320: gossip shows it silent (a changed view) → run, still U; the
	// disagreement runs it again 15 s later (335), which sees D: agreed,
	// and nothing more until the interval (395).
	if want := []int{320, 335, 395}; !reflect.DeepEqual(got, want) {
		t.Fatalf("status runs while peer 2 dies: %v, want %v", got, want)
	}

	// CQL stops answering at 500: info and netstats at once, then each interval.
	down := &cqlResult{errs: []string{"cql: connect"}}
	var infos, netstats []int
	for sec := 500; sec < 650; sec += 5 {
		if p := step(sec, down, upRows); p.info || p.netstats {
			if !p.info || !p.netstats {
				t.Fatalf("t=%d: %+v", sec, p)
			}
			infos = append(infos, sec)
			netstats = append(netstats, sec)
		}
	}
	if want := []int{500, 560, 620}; !reflect.DeepEqual(infos, want) {
		t.Fatalf("info runs while CQL is down: %v, want %v", infos, want)
	}
	r, srcs := m.assemble(m.derive(down, t0.Add(650*time.Second)), down, t0.Add(650*time.Second))
	if !r.answered || !r.gossip || !r.native || r.mode != "DRAINED" || len(srcs) != 4 {
		t.Fatalf("assembled %+v sources %+v", r, srcs)
	}
	// Back up: nothing more from info or netstats.
	if p := step(655, cqlUp(655), upRows); p.info || p.netstats {
		t.Fatalf("CQL back: %+v", p)
	}
	r, srcs = m.assemble(m.derive(cqlUp(660), t0.Add(660*time.Second)), cqlUp(660), t0.Add(660*time.Second))
	if r.mode != "NORMAL" || !r.gossip || len(srcs) != 2 || srcs[1].Name != "nodetool status" {
		t.Fatalf("CQL back: %+v %+v", r, srcs)
	}
}

// TestDecideRetriesFailure: a failed run is tried again after 15 s, not
// a whole interval later.
func TestDecideRetriesFailure(t *testing.T) {
	m := newNTMode(time.Minute)
	t0 := time.Unix(0, 0)
	cr := cqlUp(0)
	m.status = ntPart{at: t0, err: errors.New("nodetool status: context deadline exceeded")}
	for _, c := range []struct {
		sec  int
		want bool
	}{{5, false}, {10, false}, {15, true}} {
		now := t0.Add(time.Duration(c.sec) * time.Second)
		if p := m.decide(m.derive(cr, now), now); p.status != c.want {
			t.Errorf("t=%d: status %v, want %v", c.sec, p.status, c.want)
		}
	}
}

// TestDecideNoGossipInfo: a node without system_views.gossip_info (4.0)
// gets gossip and mode from info and netstats, each once an interval.
func TestDecideNoGossipInfo(t *testing.T) {
	m := newNTMode(30 * time.Second)
	t0 := time.Unix(0, 0)
	cr := &cqlResult{answered: true, local: true, endpoint: "127.0.0.1:7000"}
	n := 0
	for sec := 0; sec < 120; sec += 5 {
		now := t0.Add(time.Duration(sec) * time.Second)
		p := m.decide(m.derive(cr, now), now)
		if p.info != p.netstats || p.info != p.status {
			t.Fatalf("t=%d: %+v", sec, p)
		}
		if p.info {
			n++
			m.status, m.info, m.netstats = ntPart{at: now}, ntPart{at: now}, ntPart{at: now}
		}
	}
	if n != 4 {
		t.Fatalf("%d batches in 120 s at a 30 s interval", n)
	}
}

// simNodetoolAdapter is an adapter in nodetool mode beside node n of a
// simulated cluster: CQL to the node, and the node's bin/nodetool (the
// simulator's nodetool; this test binary serves it through simtest.Main).
func simNodetoolAdapter(t *testing.T, c *sim.Cluster, n *sim.Node, interval time.Duration) *Adapter {
	t.Helper()
	a := New(Config{
		CQLAddress:       net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().NativePort)),
		Nodetool:         n.NodetoolPath(),
		NodetoolInterval: interval,
		Timeout:          5 * time.Second,
	}, nil)
	t.Cleanup(a.Close)
	return a
}

func sourceNames(s *Snapshot) []string {
	var out []string
	for _, src := range s.Sources {
		out = append(out, src.Name)
	}
	return out
}

// TestNodetoolModeSim: against the simulator, with its nodetool: CQL gives
// native transport, gossip and mode; `nodetool status` runs once for many
// snapshots; a change the node's gossip sees, and a decision, run it again.
func TestNodetoolModeSim(t *testing.T) {
	c := startCluster(t, "dc1:3x1", nil)
	n := c.Nodes()[0]
	a := simNodetoolAdapter(t, c, n, time.Minute)
	if !a.NodetoolMode() {
		t.Fatal("not in nodetool mode")
	}
	var s *Snapshot
	for range 10 {
		s = a.Snapshot(context.Background())
	}
	if len(s.Errors) != 0 || !s.CassandraRunning || !s.NativeActive || !s.GossipActive || s.OperationMode != "NORMAL" {
		t.Fatalf("snapshot %+v", s)
	}
	if !reflect.DeepEqual(sorted(s.LiveEndpoints), endpoints(c.Nodes())) || len(s.UnreachableEndpoints) != 0 {
		t.Fatalf("live %v unreachable %v", s.LiveEndpoints, s.UnreachableEndpoints)
	}
	if got := n.Status().NodetoolRuns; got != 1 {
		t.Fatalf("10 snapshots ran nodetool %d times, want 1", got)
	}
	if names := sourceNames(s); !reflect.DeepEqual(names, []string{"cql", "nodetool status"}) {
		t.Fatalf("sources %v", names)
	}
	if st := s.Sources[1]; !st.AsOf.Before(s.Taken) || !slices.Equal(st.Fields, []string{"alive_peers", "dead_peers"}) {
		t.Errorf("status source %+v (snapshot taken %v)", st, s.Taken)
	}
	if cq := s.Sources[0]; !cq.AsOf.Equal(s.Taken) || !slices.Contains(cq.Fields, "gossip_active") || !slices.Contains(cq.Fields, "operation_mode") {
		t.Errorf("cql source %+v", cq)
	}

	// A killed peer: the cached answer still says up; a decision asks afresh.
	c.Nodes()[2].Kill()
	time.Sleep(2 * c.Config().FailureDetection)
	s = a.Snapshot(context.Background())
	if len(s.UnreachableEndpoints) != 0 {
		t.Fatalf("the cache changed without a run: %v", s.UnreachableEndpoints)
	}
	// (maxAge 0: the cached answer, a fraction of a second old here, is too old.)
	live, down, asOf, err := a.FreshLiveness(context.Background(), 0)
	if err != nil || !reflect.DeepEqual(down, []string{c.Nodes()[2].Endpoint()}) || len(live) != 2 || time.Since(asOf) > 5*time.Second {
		t.Fatalf("fresh liveness: live %v down %v as of %v, %v", live, down, asOf, err)
	}
	if got := n.Status().NodetoolRuns; got != 2 {
		t.Fatalf("nodetool runs %d, want 2", got)
	}
	// A second decision right after reuses that run; the next snapshot shows it.
	if _, _, _, err := a.FreshLiveness(context.Background(), time.Minute); err != nil || n.Status().NodetoolRuns != 2 {
		t.Fatalf("second decision: %v, runs %d", err, n.Status().NodetoolRuns)
	}
	if s = a.Snapshot(context.Background()); !reflect.DeepEqual(s.UnreachableEndpoints, down) {
		t.Fatalf("snapshot after the decision: %v", s.UnreachableEndpoints)
	}

	// Gossip stopped by an operator (disablegossip): the local row says
	// shutdown, CQL still answers, and the mode, which gossip no longer
	// tells, comes from one netstats run.
	jmx := &Jolokia{URL: jolokiaURL(c, n)}
	if _, err := jmx.Exec(context.Background(), StorageServiceMBean, "stopGossiping"); err != nil {
		t.Fatal(err)
	}
	before := n.Status().NodetoolRuns
	s = a.Snapshot(context.Background())
	if s.GossipActive || !s.NativeActive || s.OperationMode != "NORMAL" || len(s.Errors) != 0 {
		t.Fatalf("gossip stopped: %+v", s)
	}
	if got := n.Status().NodetoolRuns - before; got != 1 || !slices.Contains(sourceNames(s), "nodetool netstats") {
		t.Fatalf("gossip stopped: %d runs, sources %v", got, sourceNames(s))
	}
	a.Snapshot(context.Background())
	if got := n.Status().NodetoolRuns - before; got != 1 {
		t.Fatalf("netstats ran again within the interval: %d runs", got)
	}
}

// TestNodetoolModeSimDrained: a drained node answers no CQL; info and
// netstats tell gossip, native transport and mode, once.
func TestNodetoolModeSimDrained(t *testing.T) {
	c := startCluster(t, "dc1:1x1", nil)
	n := c.Nodes()[0]
	a := simNodetoolAdapter(t, c, n, time.Minute)
	if s := a.Snapshot(context.Background()); s.OperationMode != "NORMAL" {
		t.Fatalf("before: %+v", s)
	}
	n.Drain()
	s := a.Snapshot(context.Background())
	if !s.CassandraRunning || s.NativeActive || s.GossipActive || s.OperationMode != "DRAINED" {
		t.Fatalf("drained: %+v", s)
	}
	if !hasError(s, "cql: ") || hasError(s, "nodetool: ") {
		t.Errorf("errors %q", s.Errors)
	}
	names := sourceNames(s)
	if !slices.Contains(names, "nodetool info") || !slices.Contains(names, "nodetool netstats") {
		t.Errorf("sources %v", names)
	}
	runs := n.Status().NodetoolRuns
	a.Snapshot(context.Background())
	if n.Status().NodetoolRuns != runs {
		t.Errorf("a second snapshot ran nodetool again")
	}

	// Killed: nodetool cannot connect; reported once, Cassandra not running.
	n.Kill()
	a.ntm.mu.Lock()
	a.ntm.info.at, a.ntm.netstats.at = time.Time{}, time.Time{} // due again
	a.ntm.mu.Unlock()
	s = a.Snapshot(context.Background())
	if s.CassandraRunning || len(s.Errors) != 2 || !strings.Contains(s.Errors[1], "nodetool: Failed to connect to '"+n.Addr.String()) {
		t.Fatalf("killed: running %v errors %q", s.CassandraRunning, s.Errors)
	}
	if _, _, _, err := a.FreshLiveness(context.Background(), 0); err == nil || !strings.Contains(err.Error(), "Failed to connect") {
		t.Fatalf("fresh liveness of a dead node: %v", err)
	}
}

func TestFreshLivenessJolokia(t *testing.T) {
	a := New(Config{JolokiaURL: "http://127.0.0.1:1/jolokia/"}, nil)
	defer a.Close()
	if _, _, _, err := a.FreshLiveness(context.Background(), 0); !errors.Is(err, errJolokiaMode) || a.NodetoolMode() {
		t.Fatal(err)
	}
}
