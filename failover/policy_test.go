package failover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringside/ringside/ring"
)

// fakeClock is a settable clock for policies driven by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(d time.Duration) {
	c.mu.Lock()
	c.t = t0.Add(d)
	c.mu.Unlock()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testPolicy is a policy on a fake clock with no timers: the test ticks it.
func testPolicy(tb testing.TB, o Options) (*Policy, *fakeClock) {
	tb.Helper()
	if o.Logger == nil {
		o.Logger = quiet
	}
	c, err := o.validate()
	if err != nil {
		tb.Fatal(err)
	}
	clk := &fakeClock{t: t0}
	p := newPolicy(o, c, clk.now, false)
	tb.Cleanup(p.Close)
	return p, clk
}

func (p *Policy) settleNow() { p.apply(true, func(now time.Time) *Switch { return p.m.settle(now) }) }
func (p *Policy) tickNow()   { p.onTimer() }

// waitRanges waits for the background range-model rebuild.
func (p *Policy) waitRanges(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		done := !p.rebuilding && !p.m.needsRebuild()
		p.mu.Unlock()
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatal("range model not rebuilt")
}

// gocqlHosts makes real gocql HostInfo values (the driver's exported test
// constructor) for the hosts genHosts describes.
func gocqlHosts(tb testing.TB, hosts []hostInfo) []*gocql.HostInfo {
	tb.Helper()
	var out []*gocql.HostInfo
	for i, h := range hosts {
		toks := make([]string, len(h.Tokens))
		for j, t := range h.Tokens {
			toks[j] = t.String()
		}
		ip := net.IPv4(127, 0, 50+byte(i/250), byte(1+i%250))
		gh, err := gocql.NewTestHostInfoFromRow(map[string]interface{}{
			"data_center": h.DC, "rack": h.Rack, "host_id": fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			"rpc_address": ip, "peer": ip, "tokens": toks, "release_version": "4.1.6",
		})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, gh)
	}
	return out
}

func dcOf(hs []*gocql.HostInfo, dc string) []*gocql.HostInfo {
	var out []*gocql.HostInfo
	for _, h := range hs {
		if h.DataCenter() == dc {
			out = append(out, h)
		}
	}
	return out
}

func planDCs(next gocql.NextHost) (dcs []string, hosts []*gocql.HostInfo) {
	for s := next(); s != nil; s = next() {
		hosts = append(hosts, s.Info())
		dcs = append(dcs, s.Info().DataCenter())
	}
	return dcs, hosts
}

func TestPickOrder(t *testing.T) {
	hs := gocqlHosts(t, genHosts(t, "dc1:3x3,dc2:3x3,dc3:2x1", 4, 30))
	p, _ := testPolicy(t, baseOpts())
	if s := p.Pick(nil)(); s != nil {
		t.Fatalf("host picked with no hosts: %v", s.Info())
	}
	for _, h := range hs {
		p.AddHost(h)
	}
	p.settleNow()
	dcs, hosts := planDCs(p.Pick(nil))
	if got := strings.Join(dcs, ","); got != "dc1,dc1,dc1,dc2,dc2,dc2,dc3,dc3" {
		t.Fatalf("plan %s", got)
	}
	seen := map[*gocql.HostInfo]bool{}
	for _, h := range hosts {
		if seen[h] {
			t.Fatalf("host %s twice", h.ConnectAddress())
		}
		seen[h] = true
	}
	// Round robin: successive plans start at different local hosts.
	first := map[string]bool{}
	for i := 0; i < 3; i++ {
		first[p.Pick(nil)().Info().HostID()] = true
	}
	if len(first) != 3 {
		t.Errorf("3 plans started at %d distinct hosts", len(first))
	}
	for _, h := range hs {
		if p.IsLocal(h) != (h.DataCenter() == "dc1") {
			t.Errorf("IsLocal(%s in %s)", h.ConnectAddress(), h.DataCenter())
		}
	}
	// Down hosts leave the plan; with all of dc1 down, dc2 leads.
	dc1 := dcOf(hs, "dc1")
	p.HostDown(dc1[0])
	if dcs, _ := planDCs(p.Pick(nil)); strings.Join(dcs, ",") != "dc1,dc1,dc2,dc2,dc2,dc3,dc3" {
		t.Fatalf("plan with a dc1 host down: %v", dcs)
	}
	p.HostDown(dc1[1])
	p.HostDown(dc1[2])
	if p.ActiveDC() != "dc2" {
		t.Fatalf("active %s", p.ActiveDC())
	}
	if dcs, _ := planDCs(p.Pick(nil)); strings.Join(dcs, ",") != "dc2,dc2,dc2,dc3,dc3" {
		t.Fatalf("plan after the switch: %v", dcs)
	}
	for _, h := range hs {
		if p.IsLocal(h) != (h.DataCenter() == "dc2") {
			t.Errorf("IsLocal after the switch (%s)", h.DataCenter())
		}
	}
	// dc1 back: it comes after the healthy dc3 until it is safe.
	for _, h := range dc1 {
		p.HostUp(h)
	}
	if dcs, _ := planDCs(p.Pick(nil)); strings.Join(dcs, ",") != "dc2,dc2,dc2,dc3,dc3,dc1,dc1,dc1" {
		t.Fatalf("plan with dc1 recovering: %v", dcs)
	}
	p.RemoveHost(hs[len(hs)-1])
	if dcs, _ := planDCs(p.Pick(nil)); strings.Count(strings.Join(dcs, ","), "dc3") != 1 {
		t.Fatalf("plan after a removal: %v", dcs)
	}

	q, _ := testPolicy(t, Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, ActiveDCOnly: true})
	for _, h := range hs {
		q.AddHost(h)
	}
	if dcs, _ := planDCs(q.Pick(nil)); strings.Join(dcs, ",") != "dc1,dc1,dc1" {
		t.Fatalf("ActiveDCOnly plan %v", dcs)
	}
}

// stmt is an ExecutableStatement with a routing key, for token-aware picks.
type stmt struct {
	key []byte
	ks  string
}

func (s stmt) GetRoutingKey() ([]byte, error) { return s.key, nil }
func (s stmt) Keyspace() string               { return s.ks }
func (s stmt) Table() string                  { return "" }
func (s stmt) IsIdempotent() bool             { return true }
func (s stmt) GetHostID() string              { return "" }
func (s stmt) Statement() gocql.Statement     { return nil }

// Under gocql.TokenAwareHostPolicy the policy's IsLocal makes the token's
// owner come first when it is in the active DC, and a host of the active
// DC otherwise; after a switch, the backup DC's.
func TestTokenAwareComposition(t *testing.T) {
	gen := genHosts(t, "dc1:3x3,dc2:3x3", 8, 31)
	hs := gocqlHosts(t, gen)
	p, _ := testPolicy(t, baseOpts())
	ta := gocql.TokenAwareHostPolicy(p, gocql.DoNotShuffleReplicas())
	ta.SetPartitioner(murmur3)
	for _, h := range hs {
		ta.AddHost(h)
	}
	p.settleNow()
	eps := endpoints(gen)
	topo, err := ring.NewTopology(eps)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*gocql.HostInfo{}
	for i, h := range hs {
		byID[gen[i].ID] = h
	}
	check := func(active string) {
		t.Helper()
		owners := 0
		for k := 0; k < 200; k++ {
			key := []byte(fmt.Sprintf("key-%d", k))
			owner := byID[topo.Endpoint(topo.Owner(topo.RangeIndex(ring.Murmur3Token(key)))).Name]
			first := ta.Pick(stmt{key: key})().Info()
			if first.DataCenter() != active {
				t.Fatalf("key %s: first host in %s, want %s", key, first.DataCenter(), active)
			}
			if owner.DataCenter() == active {
				owners++
				if first != owner {
					t.Fatalf("key %s: first host %s, not the token's owner %s", key, first.ConnectAddress(), owner.ConnectAddress())
				}
			}
		}
		if owners == 0 {
			t.Error("no key owned in the active DC")
		}
	}
	check("dc1")
	for _, h := range dcOf(hs, "dc1") {
		ta.HostDown(h)
	}
	check("dc2")
}

func TestSwitchCallbackAndStatus(t *testing.T) {
	hs := gocqlHosts(t, genHosts(t, "dc1:3x1,dc2:3x1", 4, 32))
	var got []Switch
	var p *Policy
	var statusInCallback Status
	o := baseOpts()
	o.OnSwitch = func(s Switch) {
		got = append(got, s)
		statusInCallback = p.Status() // no deadlock: called outside the lock
		if s.Kind == KindFailover {
			if err := p.SwitchBack(); err == nil { // dc1 is down: refused
				t.Error("SwitchBack to a dead DC accepted")
			}
		}
	}
	p, clk := testPolicy(t, o)
	for _, h := range hs {
		p.AddHost(h)
	}
	p.settleNow()
	clk.set(time.Minute)
	for _, h := range dcOf(hs, "dc1") {
		p.HostDown(h)
	}
	if len(got) != 1 || got[0].To != "dc2" || got[0].At != t0.Add(time.Minute) || statusInCallback.ActiveDC != "dc2" {
		t.Fatalf("callbacks %+v, status %+v", got, statusInCallback)
	}
	clk.set(2 * time.Minute)
	for _, h := range dcOf(hs, "dc1") {
		p.HostUp(h)
	}
	if err := p.SwitchBack(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Kind != KindManual || p.ActiveDC() != "dc1" {
		t.Fatalf("callbacks %+v", got)
	}
	st := p.Status()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"active_dc":"dc1"`, `"switches":2`, `"seconds_in_backup":60`, `"kind":"manual"`, `"name":"dc2","role":"backup"`, `"state":"healthy"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("status lacks %s: %s", want, b)
		}
	}
	if err := p.MarkRepaired("nowhere"); err == nil {
		t.Error("MarkRepaired of an unknown DC")
	}
}

// A panicking OnSwitch is logged, and the policy goes on.
func TestSwitchCallbackPanics(t *testing.T) {
	hs := gocqlHosts(t, genHosts(t, "dc1:1x1,dc2:1x1", 4, 33))
	o := baseOpts()
	o.OnSwitch = func(Switch) { panic("boom") }
	p, _ := testPolicy(t, o)
	for _, h := range hs {
		p.AddHost(h)
	}
	p.settleNow()
	p.HostDown(hs[0])
	if p.ActiveDC() != "dc2" {
		t.Fatal(p.ActiveDC())
	}
	p.HostUp(hs[0])
	if err := p.SwitchBack(); err != nil || p.ActiveDC() != "dc1" {
		t.Fatal(err, p.ActiveDC())
	}
}

func gather(t *testing.T, p *Policy) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(p)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			// Nil-safe getters: one of the two is unset.
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}

// Lost ranges from real gocql host tokens and keyspace metadata, through
// the background rebuild, and the metrics they show in.
func TestPolicyLostRangesAndMetrics(t *testing.T) {
	gen := genHosts(t, "dc1:3x3,dc2:3x3", 8, 34)
	hs := gocqlHosts(t, gen)
	o := baseOpts()
	o.Keyspaces = []string{"shop"}
	o.ErrorRate = ErrorRate{Threshold: 0.9}
	p, clk := testPolicy(t, o)
	p.SetPartitioner(murmur3)
	for _, h := range hs {
		p.AddHost(h)
	}
	p.setKeyspaceMeta(&gocql.KeyspaceMetadata{Name: "shop", StrategyClass: "org.apache.cassandra.locator.NetworkTopologyStrategy",
		StrategyOptions: map[string]interface{}{"dc1": "3", "dc2": "3"}})
	p.setKeyspaceMeta(&gocql.KeyspaceMetadata{Name: "other", StrategyClass: "SimpleStrategy"}) // not watched
	p.settleNow()
	p.waitRanges(t)
	if st := p.Status(); st.LostRanges != "on" || *st.DCs[0].LostRanges != 0 {
		t.Fatalf("status %+v", st)
	}
	dc1 := dcOf(hs, "dc1")
	p.HostDown(dc1[0])
	if p.ActiveDC() != "dc1" {
		t.Fatal("one node of three down switched")
	}
	clk.set(time.Minute)
	p.HostDown(dc1[1])
	if p.ActiveDC() != "dc2" {
		t.Fatalf("quorum lost everywhere and no switch: %+v", p.Status().DCs[0])
	}
	p.Report("dc2", nil)
	p.Report("dc2", errors.New("not counted"))
	clk.set(2 * time.Minute)
	m := gather(t, p)
	ranges := len(gen) * 8
	for k, want := range map[string]float64{
		`ringside_failover_active_dc{dc=dc2}`:                             1,
		`ringside_failover_active_dc{dc=dc1}`:                             0,
		`ringside_failover_switches_total{from=dc1,kind=failover,to=dc2}`: 1,
		`ringside_failover_backup_seconds_total{}`:                        60,
		`ringside_failover_lost_ranges{dc=dc1,keyspace=shop}`:             float64(ranges),
		`ringside_failover_lost_ranges{dc=dc2,keyspace=shop}`:             0,
		`ringside_failover_nodes_down{dc=dc1}`:                            2,
		`ringside_failover_nodes{dc=dc2}`:                                 3,
		`ringside_failover_dc_failing{dc=dc1}`:                            1,
		`ringside_failover_dc_safe{dc=dc2}`:                               1,
		`ringside_failover_error_ratio{dc=dc2}`:                           0,
	} {
		if got, ok := m[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	// A keyspace change is picked up; a bad replication map is reported.
	p.setKeyspaceMeta(&gocql.KeyspaceMetadata{Name: "shop", StrategyClass: "NoSuchStrategy"})
	p.waitRanges(t)
	if st := p.Status(); !strings.Contains(strings.Join(st.Warnings, "\n"), `keyspace shop: ring: unknown replication strategy class "NoSuchStrategy"`) {
		t.Errorf("warnings %v", st.Warnings)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err             error
		counted, failed bool
	}{
		{nil, true, false},
		{gocql.ErrNotFound, true, false},
		{reqErr(gocql.ErrCodeSyntax), true, false},
		{reqErr(gocql.ErrCodeUnauthorized), true, false},
		{reqErr(gocql.ErrCodeUnavailable), true, true},
		{fmt.Errorf("wrapped: %w", reqErr(gocql.ErrCodeWriteTimeout)), true, true},
		{reqErr(gocql.ErrCodeOverloaded), true, true},
		{gocql.ErrTimeoutNoResponse, true, true},
		{gocql.ErrNoConnections, true, true},
		{context.DeadlineExceeded, true, true},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, true, true},
		{context.Canceled, false, false},
		{errors.New("marshal: bad value"), false, false},
	} {
		c, f := classify(tc.err)
		if c != tc.counted || f != tc.failed || IsDCFailure(tc.err) != tc.failed {
			t.Errorf("%v: counted %v failed %v", tc.err, c, f)
		}
	}
}

type reqErr int

func (e reqErr) Code() int       { return int(e) }
func (e reqErr) Message() string { return fmt.Sprintf("code %#x", int(e)) }
func (e reqErr) Error() string   { return e.Message() }

type readyListener struct{ called bool }

func (r *readyListener) OnSessionReady(*gocql.Session) { r.called = true }

func TestAttachTo(t *testing.T) {
	p, _ := testPolicy(t, Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, Keyspaces: []string{"shop"}})
	cfg := gocql.NewCluster("127.0.0.1")
	p.AttachTo(cfg)
	if cfg.Metadata.SessionReadyListener != p || cfg.Metadata.SchemaListener.KeyspaceChangeListener != p || cfg.QueryObserver != nil {
		t.Fatalf("attached %+v, observer %v", cfg.Metadata, cfg.QueryObserver)
	}
	q, _ := testPolicy(t, Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, ErrorRate: ErrorRate{Threshold: 0.5}})
	cfg = gocql.NewCluster("127.0.0.1")
	prev := &readyListener{}
	cfg.Metadata.SessionReadyListener = prev
	cfg.Metadata.CacheMode = gocql.Disabled
	q.AttachTo(cfg)
	mux, ok := cfg.Metadata.SessionReadyListener.(gocql.SessionReadyListenersMux)
	if !ok || len(mux.SessionReady) != 2 || mux.SessionReady[0] != prev {
		t.Fatalf("ready listener %#v", cfg.Metadata.SessionReadyListener)
	}
	if cfg.Metadata.SchemaListener.KeyspaceChangeListener != nil || cfg.QueryObserver != q || cfg.BatchObserver != q {
		t.Fatalf("listeners %+v, observers %v %v", cfg.Metadata.SchemaListener, cfg.QueryObserver, cfg.BatchObserver)
	}
}

// The timers and the hints poll, on the real clock with short durations.
func TestPolicyTimersAndHints(t *testing.T) {
	hs := gocqlHosts(t, genHosts(t, "dc1:2x1,dc2:2x1", 4, 35))
	var mu sync.Mutex
	calls := 0
	delivered := false
	o := Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, SwitchBack: SwitchBackSafe, Logger: quiet,
		MinimumTimeBetweenSwitches: 20 * time.Millisecond, SwitchBackDelayFactor: 0.01,
		SettleDelay: 10 * time.Millisecond, HintsPollInterval: 10 * time.Millisecond,
		Hints: func(ctx context.Context, dc string) (HintsState, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls < 3 {
				return HintsPending, nil
			}
			delivered = true
			return HintsDelivered, nil
		}}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, h := range hs {
		p.AddHost(h)
	}
	waitFor(t, "settled", func() bool { return p.Status().Settled })
	for _, h := range dcOf(hs, "dc1") {
		p.HostDown(h)
	}
	if p.ActiveDC() != "dc2" {
		t.Fatal("no failover")
	}
	for _, h := range dcOf(hs, "dc1") {
		p.HostUp(h)
	}
	waitFor(t, "switch back", func() bool { return p.ActiveDC() == "dc1" })
	mu.Lock()
	defer mu.Unlock()
	if !delivered {
		t.Errorf("switched back before the hints were delivered (%d calls)", calls)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A DC name no host has is logged once the driver has listed its hosts.
func TestUnknownDCLogged(t *testing.T) {
	var mu sync.Mutex
	var logs strings.Builder
	h := slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), nil)
	p, _ := testPolicy(t, Options{LocalDC: "dc1", BackupDCs: []string{"dc-2"}, Logger: slog.New(h)})
	for _, h := range gocqlHosts(t, genHosts(t, "dc1:2x1,dc2:2x1", 4, 41)) {
		p.AddHost(h)
	}
	mu.Lock()
	if logs.Len() != 0 {
		t.Errorf("logged before settle: %s", logs.String())
	}
	mu.Unlock()
	p.settleNow()
	p.settleNow()
	mu.Lock()
	defer mu.Unlock()
	if got := logs.String(); strings.Count(got, `Options.BackupDCs[0] \"dc-2\": the driver knows no host in that data center (it knows dc1, dc2)`) != 1 {
		t.Errorf("log: %s", got)
	}
	if st := p.Status(); len(st.UnknownDCs) != 1 || st.UnknownDCs[0] != "dc-2" {
		t.Errorf("unknown DCs %v", st.UnknownDCs)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
