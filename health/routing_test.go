package health

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// routingWorld is the real capture as seen from 127.0.0.3 (dc2), asked
// about dc1: its snapshot, its peers' coordinator reports with their
// facts, and its outage history.
type routingWorld struct {
	t       *testing.T
	c       capture
	obs     string
	down    []string
	facts   map[string]NodeFacts // per endpoint; default: no hints, no streams
	modes   map[string]string    // operation modes other than NORMAL
	unreach map[string]string    // peers whose sidecar did not answer
	hist    *Outages
	now     time.Time
	minUp   time.Duration
	tweak   func(*node.Snapshot)
}

func newWorld(t *testing.T) *routingWorld {
	return &routingWorld{t: t, c: loadCapture(t), obs: "127.0.0.3:7000", facts: map[string]NodeFacts{}, modes: map[string]string{},
		unreach: map[string]string{}, hist: NewOutages(), now: t0, minUp: time.Minute}
}

func noFacts() NodeFacts {
	return NodeFacts{Hints: &node.HintCounts{Created: map[string]int64{}, Delivered: map[string]int64{}}, Streams: []Stream{}}
}

func (w *routingWorld) factsOf(ep string) NodeFacts {
	if f, ok := w.facts[ep]; ok {
		return f
	}
	return noFacts()
}

// snap is the observer's snapshot at w.now, with the real settings.
func (w *routingWorld) snap(at time.Time) *node.Snapshot {
	s := w.c.snapshotFrom(w.t, w.obs, w.down...)
	s.Taken = at
	st, _ := loadSettings(w.t)
	s.Settings = st
	if w.tweak != nil {
		w.tweak(s)
	}
	return s
}

// observe feeds the history with the current view at at.
func (w *routingWorld) observe(at time.Time) { w.hist.ObserveSnapshot(w.snap(at)) }

func (w *routingWorld) ask(q string) (map[string]any, bool, error) {
	w.t.Helper()
	vals, err := url.ParseQuery(q)
	if err != nil {
		w.t.Fatal(err)
	}
	rq, err := ParseRoutingQuery(vals)
	if err != nil {
		return nil, false, err
	}
	s := w.snap(w.now)
	var peers []PeerStatus
	for _, p := range s.Peers {
		ps := PeerStatus{Endpoint: p.Endpoint, DC: p.DC, Rack: p.Rack}
		if e, ok := w.unreach[p.Endpoint]; ok {
			ps.Error = e
		} else if contains(w.down, p.Endpoint) {
			ps.Error = "connection refused"
		} else {
			ps.Reachable = true
			ps.Report = w.peerReport(p.Endpoint)
		}
		peers = append(peers, ps)
	}
	s.OperationMode = w.mode(w.obs)
	rep, ok, err := Routing(RoutingInput{Snapshot: s, Peers: peers, Self: w.factsOf(w.obs), History: w.hist.History(), MinUptime: w.minUp, Now: w.now}, rq)
	if err != nil {
		return nil, false, err
	}
	return roundTrip(w.t, rep), ok, nil
}

func (w *routingWorld) mode(ep string) string {
	if m, ok := w.modes[ep]; ok {
		return m
	}
	return "NORMAL"
}

func (w *routingWorld) peerReport(ep string) map[string]any {
	ps := w.c.snapshotFrom(w.t, ep, w.down...)
	ps.Taken = w.now
	ps.OperationMode = w.mode(ep)
	rep, _ := Coordinator(ps, Config{}, w.now)
	AddNodeFacts(rep, w.factsOf(ep))
	return roundTrip(w.t, rep)
}

func mustAsk(t *testing.T, w *routingWorld, q string) (map[string]any, bool) {
	t.Helper()
	rep, ok, err := w.ask(q)
	if err != nil {
		t.Fatalf("?%s: %v", q, err)
	}
	return rep, ok
}

func check(rep map[string]any, name string) map[string]any {
	c, _ := rep["route_back_checks"].(map[string]any)
	m, _ := c[name].(map[string]any)
	return m
}

func reasonsHave(t *testing.T, rep map[string]any, want ...string) {
	t.Helper()
	got := strings.Join(strs(rep["route_back_reasons"]), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("route_back_reasons lack %q:\n%s", w, got)
		}
	}
}

func TestParseRoutingQuery(t *testing.T) {
	good := map[string]RoutingQuery{
		"dc=dc1&cl=LOCAL_QUORUM":            {DC: "dc1", CL: ring.LocalQuorum},
		"dc=dc1&cl=local_one&keyspace=ks3":  {DC: "dc1", CL: ring.LocalOne, Keyspace: "ks3"},
		"cl=LOCAL_SERIAL&dc=DC%20one":       {DC: "DC one", CL: ring.LocalSerial},
		"keyspace=a&dc=x&cl=LOCAL_QUORUM":   {DC: "x", CL: ring.LocalQuorum, Keyspace: "a"},
		"dc=dc1&cl=LOCAL_QUORUM&keyspace=k": {DC: "dc1", CL: ring.LocalQuorum, Keyspace: "k"},
	}
	for q, want := range good {
		v, _ := url.ParseQuery(q)
		got, err := ParseRoutingQuery(v)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", q, got, err, want)
		}
	}
	bad := map[string]string{ // query → the parameter named
		"":                                 "dc",
		"cl=LOCAL_QUORUM":                  "dc",
		"dc=&cl=LOCAL_QUORUM":              "dc",
		"dc=dc1":                           "cl",
		"dc=dc1&cl=":                       "cl",
		"dc=dc1&cl=QUORUM":                 "cl",
		"dc=dc1&cl=ONE":                    "cl",
		"dc=dc1&cl=ALL":                    "cl",
		"dc=dc1&cl=EACH_QUORUM":            "cl",
		"dc=dc1&cl=SERIAL":                 "cl",
		"dc=dc1&cl=NODE_LOCAL":             "cl",
		"dc=dc1&cl=LOCAL_ALL":              "cl",
		"dc=dc1&cl=LOCAL_QUORUM&keyspace=": "keyspace",
		"dc=dc1&dc=dc2&cl=LOCAL_QUORUM":    "dc",
		"dc=dc1&cl=LOCAL_ONE&cl=LOCAL_ONE": "cl",
		"dc=dc1&cl=LOCAL_ONE&keyspace=a&keyspace=b": "keyspace",
		"dc=dc1&cl=LOCAL_ONE&b=1&a=2":               "a",
		"DC=dc1&cl=LOCAL_ONE":                       "DC",
	}
	for q, param := range bad {
		v, _ := url.ParseQuery(q)
		_, err := ParseRoutingQuery(v)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Param != param || qe.Msg == "" {
			t.Errorf("%q: %v; want a QueryError naming %s", q, err, param)
		}
		if param == "cl" && !strings.Contains(qe.Msg, "given") && len(qe.Known) != 3 {
			t.Errorf("%q: known levels %v", q, qe.Known)
		}
	}
}

func TestRoutingHealthyAndSafe(t *testing.T) {
	w := newWorld(t)
	w.observe(t0.Add(-2 * time.Minute))
	rep, ok := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if !ok || rep["available"] != true || rep["safe_to_route_back"] != true || len(strs(rep["route_back_reasons"])) != 0 {
		t.Fatalf("healthy: %v %v", ok, rep)
	}
	kss := rep["keyspaces"].(map[string]any)
	// The user keyspaces replicated in dc1; system_auth (SimpleStrategy) is a system keyspace.
	if len(kss) != 2 || kss["ks3"] == nil || kss["smoke"] == nil {
		t.Errorf("keyspaces: %v", kss)
	}
	if ks3 := kss["ks3"].(map[string]any); ks3["status"] != "available" || ks3["ranges"] != float64(48) || ks3["unavailable_ranges"] != float64(0) {
		t.Errorf("ks3: %v", ks3)
	}
	if rep["observed_from"] != "127.0.0.3:7000" || rep["datacenter"] != "dc1" || rep["consistency_level"] != "LOCAL_QUORUM" {
		t.Errorf("header fields: %v", rep)
	}
	if hw := check(rep, "hint_window"); hw["max_hint_window_seconds"] != float64(10800) || hw["ok"] != true {
		t.Errorf("hint window from settings.txt (3h): %v", hw)
	}
	// dc2 holds smoke nowhere: only ks3 is judged there.
	rep, ok = mustAsk(t, w, "dc=dc2&cl=LOCAL_ONE")
	if kss := rep["keyspaces"].(map[string]any); !ok || len(kss) != 1 || kss["ks3"] == nil {
		t.Errorf("dc2: %v %v", ok, rep["keyspaces"])
	}
}

func TestRoutingLostRanges(t *testing.T) {
	w := newWorld(t)
	w.observe(t0.Add(-2 * time.Minute))
	w.down = []string{"127.0.0.2:7000"}
	w.observe(t0.Add(-time.Minute))
	rep, ok := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if ok || rep["available"] != false || rep["safe_to_route_back"] != false {
		t.Fatalf("dc1 at LOCAL_QUORUM with 127.0.0.2 down: %v %v", ok, rep)
	}
	ks3 := rep["keyspaces"].(map[string]any)["ks3"].(map[string]any)
	// ks3 has both dc1 nodes as replicas of every range: quorum 2 is lost everywhere.
	if ks3["status"] != "unavailable" || ks3["lost_ranges"] != float64(48) || ks3["unavailable_ranges"] != float64(48) {
		t.Errorf("ks3: %v", ks3)
	}
	ex := ks3["examples"].([]any)[0].(map[string]any)
	if strs(ex["down"])[0] != "127.0.0.2:7000" || len(strs(ex["replicas"])) != 2 || ex["alive"] != float64(1) || ex["required"] != float64(2) {
		t.Errorf("example: %v", ex)
	}
	smoke := rep["keyspaces"].(map[string]any)["smoke"].(map[string]any)
	if smoke["status"] != "unavailable" || smoke["lost_ranges"] == float64(0) || smoke["lost_ranges"] == float64(48) {
		t.Errorf("smoke (RF 1): only 127.0.0.2's ranges are lost: %v", smoke)
	}
	if n := len(smoke["examples"].([]any)); n != maxExamples {
		t.Errorf("%d examples, want %d", n, maxExamples)
	}
	if !strings.Contains(strings.Join(strs(rep["reasons"]), "\n"), "ks3 cannot be served at LOCAL_QUORUM in dc1: 48 of 48 token ranges lost") {
		t.Errorf("reasons: %v", rep["reasons"])
	}
	reasonsHave(t, rep, "dc1 cannot serve LOCAL_QUORUM now", "127.0.0.2:7000 (dc1) is down (for 1m0s)", "the hints 127.0.0.2:7000 holds for dc1 are unknown")
	// One keyspace, the one that still serves at LOCAL_QUORUM? None does;
	// ks3 alone at LOCAL_ONE does.
	rep, ok = mustAsk(t, w, "dc=dc1&cl=LOCAL_ONE&keyspace=ks3")
	if !ok || rep["keyspace"] != "ks3" || len(rep["keyspaces"].(map[string]any)) != 1 {
		t.Errorf("ks3 at LOCAL_ONE: %v %v", ok, rep)
	}
	// dc2 still serves ks3 at LOCAL_QUORUM.
	if _, ok := mustAsk(t, w, "dc=dc2&cl=LOCAL_QUORUM"); !ok {
		t.Errorf("dc2 at LOCAL_QUORUM unavailable")
	}
}

func TestRoutingBackUptimeAndHints(t *testing.T) {
	w := newWorld(t)
	w.observe(t0.Add(-10 * time.Minute))
	w.down = []string{"127.0.0.2:7000"}
	w.observe(t0.Add(-5 * time.Minute))
	w.down = nil
	w.observe(t0.Add(-30 * time.Second)) // back for 30s: less than the minute
	// 127.0.0.3 wrote hints for 127.0.0.2 while it was down; 127.0.0.1
	// has hint files queued for it (PendingHints lists its host id).
	f := noFacts()
	f.Hints.Created["127.0.0.2:7000"], f.Hints.Delivered["127.0.0.2:7000"] = 40, 12
	w.facts["127.0.0.3:7000"] = f
	g := noFacts()
	for _, p := range w.c.peers {
		if p.Endpoint == "127.0.0.2:7000" {
			g.PendingHints = []string{p.HostID}
		}
	}
	w.facts["127.0.0.1:7000"] = g
	rep, ok := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if !ok || rep["safe_to_route_back"] != false {
		t.Fatalf("back 30s with hints: %v %v", ok, rep)
	}
	reasonsHave(t, rep, "127.0.0.2:7000 has been up for 30s only", "less than the minimum 1m0s",
		"127.0.0.3:7000 still holds hints for 127.0.0.2:7000: 40 written, 12 delivered",
		"127.0.0.1:7000 still holds hints for 127.0.0.2:7000; hint files queued for it (PendingHints)")
	if up := check(rep, "uptime"); up["ok"] != false || up["least_uptime_seconds"] != float64(30) || up["least_uptime_node"] != "127.0.0.2:7000" {
		t.Errorf("uptime: %v", up)
	}
	if hw := check(rep, "hint_window"); hw["ok"] != true || hw["longest_outage_seconds"] != float64(270) {
		t.Errorf("hint window: %v", hw)
	}
	und := check(rep, "hints")["undelivered"].([]any)
	if len(und) != 2 {
		t.Fatalf("undelivered: %v", und)
	}

	// Delivered, a minute passed: safe.
	f.Hints.Delivered["127.0.0.2:7000"] = 40
	w.facts["127.0.0.1:7000"] = noFacts()
	w.now = t0.Add(31 * time.Second)
	rep, ok = mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if !ok || rep["safe_to_route_back"] != true {
		t.Fatalf("healed: %v", rep["route_back_reasons"])
	}
	// More delivered than written (the holder restarted: its counters
	// began again, its hint files were kept and delivered) is fine.
	f.Hints.Created["127.0.0.2:7000"] = 0
	if rep, _ := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM"); rep["safe_to_route_back"] != true {
		t.Errorf("delivered > created: %v", rep["route_back_reasons"])
	}
	// Hints for other DCs' nodes do not matter to dc1.
	f.Hints.Created["127.0.0.3:7000"] = 5
	w.facts["127.0.0.1:7000"] = f
	if rep, _ := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM"); rep["safe_to_route_back"] != true {
		t.Errorf("hints for dc2 block dc1: %v", rep["route_back_reasons"])
	}
	if rep, _ := mustAsk(t, w, "dc=dc2&cl=LOCAL_QUORUM"); rep["safe_to_route_back"] != false {
		t.Errorf("hints for dc2 do not block dc2: %v", rep["route_back_reasons"])
	}
}

func TestRoutingOutagePastHintWindow(t *testing.T) {
	w := newWorld(t)
	w.tweak = func(s *node.Snapshot) { s.Settings["max_hint_window"] = "10m" }
	w.observe(t0.Add(-3 * time.Hour))
	w.down = []string{"127.0.0.1:7000"}
	w.observe(t0.Add(-2 * time.Hour))
	rep, _ := mustAsk(t, w, "dc=dc1&cl=LOCAL_ONE&keyspace=ks3")
	reasonsHave(t, rep, "127.0.0.1:7000 has been down for 2h0m0s, longer than max_hint_window 10m0s")
	w.down = nil
	w.observe(t0.Add(-time.Hour))
	// Back for an hour, every hint delivered; 127.0.0.2 refused hints past the window.
	f := noFacts()
	f.Hints.NotStored = map[string]int64{"127.0.0.1:7000": 7}
	w.facts["127.0.0.2:7000"] = f
	rep, ok := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if !ok || rep["safe_to_route_back"] != false {
		t.Fatalf("long outage: %v %v", ok, rep)
	}
	reasonsHave(t, rep, "127.0.0.1:7000 was down for 1h0m0s", "longer than max_hint_window 10m0s", "run a repair (nodetool repair)",
		"127.0.0.2:7000 did not store 7 hint(s) for 127.0.0.1:7000")
	hw := check(rep, "hint_window")
	if hw["ok"] != false || hw["max_hint_window_seconds"] != float64(600) || hw["longest_outage_node"] != "127.0.0.1:7000" || len(stringsOrNil(hw["not_stored"])) != 1 {
		t.Errorf("hint window: %v", hw)
	}
	if check(rep, "uptime")["ok"] != true || check(rep, "hints")["ok"] != true {
		t.Errorf("other checks: %v", rep["route_back_checks"])
	}
	// The Hints_not_stored evidence alone holds it, after this sidecar forgot (a restart).
	w.hist = NewOutages()
	w.observe(t0.Add(-2 * time.Minute))
	rep, _ = mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if rep["safe_to_route_back"] != false || check(rep, "hint_window")["ok"] != false {
		t.Errorf("Hints_not_stored alone: %v", rep["route_back_reasons"])
	}
}

func TestRoutingTopologyChanges(t *testing.T) {
	w := newWorld(t)
	w.observe(t0.Add(-time.Hour))
	w.modes["127.0.0.2:7000"] = "JOINING"
	rb := noFacts()
	rb.Streams = []Stream{{PlanID: "8c4e1a30-0f00-11ef-9a8d-6f1d0c2e4b11", Operation: "Rebuild"}, {PlanID: "x", Operation: "Repair"}}
	w.facts["127.0.0.1:7000"] = rb
	rep, ok := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if !ok || rep["safe_to_route_back"] != false {
		t.Fatalf("joining/rebuilding: %v %v", ok, rep)
	}
	reasonsHave(t, rep, "127.0.0.2:7000 is in operation mode JOINING", "127.0.0.1:7000 is streaming (Rebuild 8c4e1a30-0f00-11ef-9a8d-6f1d0c2e4b11): until it ends it answers with missing data")
	if ch := check(rep, "topology")["changing"].([]any); len(ch) != 2 {
		t.Errorf("changing: %v", ch) // the repair stream does not count
	}
	// Streams not served by the node's JMX (the simulator): not a reason.
	w.modes = map[string]string{}
	w.facts["127.0.0.1:7000"] = NodeFacts{Hints: noFacts().Hints, StreamsError: "not served", StreamsNotServed: true}
	if rep, _ := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM"); rep["safe_to_route_back"] != true {
		t.Errorf("streams not served: %v", rep["route_back_reasons"])
	}
	// Streams unreadable otherwise, or a sidecar not answering: unknown, not safe.
	w.facts["127.0.0.1:7000"] = NodeFacts{Hints: noFacts().Hints, StreamsError: "jolokia: timeout"}
	w.unreach["127.0.0.2:7000"] = "context deadline exceeded"
	rep, _ = mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	reasonsHave(t, rep, "whether 127.0.0.1:7000 is rebuilding is unknown: jolokia: timeout", "the operation mode of 127.0.0.2:7000 is unknown",
		"the hints 127.0.0.2:7000 holds for dc1 are unknown: its sidecar is unreachable: context deadline exceeded")
	// A dc1 node without tokens yet (joining).
	w.unreach = map[string]string{}
	w.facts = map[string]NodeFacts{}
	w.tweak = func(s *node.Snapshot) {
		for i := range s.Peers {
			if s.Peers[i].Endpoint == "127.0.0.2:7000" {
				s.Peers[i].Tokens = nil
			}
		}
	}
	rep, _ = mustAsk(t, w, "dc=dc1&cl=LOCAL_ONE")
	reasonsHave(t, rep, "127.0.0.2:7000 owns no tokens yet (joining)")
}

func TestRoutingWithoutAView(t *testing.T) {
	w := newWorld(t)
	w.observe(t0.Add(-time.Hour))
	// This node's Cassandra stopped: no gossip view at all.
	w.tweak = func(s *node.Snapshot) { s.CassandraRunning, s.LiveEndpoints, s.UnreachableEndpoints = false, nil, nil }
	w.observe(t0.Add(-time.Minute))
	rep, ok := mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if ok || rep["available"] != false || rep["safe_to_route_back"] != false || !strings.Contains(strings.Join(strs(rep["reasons"]), "\n"), "no gossip view") {
		t.Fatalf("no view: %v %v", ok, rep)
	}
	// The view is back: every node counts as up since then only.
	w.tweak = nil
	w.observe(t0.Add(-10 * time.Second))
	rep, ok = mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if !ok || rep["safe_to_route_back"] != false || check(rep, "uptime")["least_uptime_seconds"] != float64(10) {
		t.Errorf("after a gap: %v %v", ok, rep["route_back_checks"])
	}
	// A stale snapshot (the refresh stopped): not available.
	w.tweak = func(s *node.Snapshot) { s.Taken = t0.Add(-time.Hour) }
	rep, ok = mustAsk(t, w, "dc=dc1&cl=LOCAL_QUORUM")
	if ok || rep["available"] != false || !strings.Contains(strings.Join(strs(rep["reasons"]), "\n"), "this node's view: data is 3600.0s old") {
		t.Errorf("stale: %v %v", ok, rep["reasons"])
	}
}

func TestRoutingUnknownDCAndKeyspace(t *testing.T) {
	w := newWorld(t)
	for q, want := range map[string][2]string{
		"dc=dc3&cl=LOCAL_ONE":                        {"dc", "known: dc1, dc2"},
		"dc=DC1&cl=LOCAL_ONE":                        {"dc", "not a data center"},
		"dc=dc1&cl=LOCAL_ONE&keyspace=nope":          {"keyspace", `keyspace "nope" is not in the cluster's schema; replicated in dc1: ks3, smoke, system_auth, system_distributed, system_traces`},
		"dc=dc2&cl=LOCAL_ONE&keyspace=smoke":         {"keyspace", "keyspace smoke is not replicated in dc2"},
		"dc=dc1&cl=LOCAL_ONE&keyspace=system":        {"keyspace", "uses LocalStrategy"},
		"dc=dc1&cl=LOCAL_ONE&keyspace=system_schema": {"keyspace", "uses LocalStrategy"},
	} {
		_, _, err := w.ask(q)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Param != want[0] || !strings.Contains(qe.Msg, want[1]) {
			t.Errorf("%s: %v; want %s: %s", q, err, want[0], want[1])
			continue
		}
		if len(qe.Known) == 0 || qe.KnownField == "" {
			t.Errorf("%s: no known values: %+v", q, qe)
		}
	}
	// A system keyspace can be named.
	rep, _ := mustAsk(t, w, "dc=dc1&cl=LOCAL_ONE&keyspace=system_auth")
	if rep["keyspaces"].(map[string]any)["system_auth"] == nil {
		t.Errorf("system_auth: %v", rep["keyspaces"])
	}
}

func TestMaxHintWindow(t *testing.T) {
	for st, want := range map[string]time.Duration{
		"max_hint_window=3h":             3 * time.Hour,
		"max_hint_window=10800000ms":     3 * time.Hour,
		"max_hint_window=1s":             time.Second,
		"max_hint_window_in_ms=10800000": 3 * time.Hour,
		"max_hint_window=10800000":       3 * time.Hour, // a bare number: ms
	} {
		k, v, _ := strings.Cut(st, "=")
		got, err := maxHintWindow(map[string]string{k: v})
		if err != nil || got != want {
			t.Errorf("%s: %v %v", st, got, err)
		}
	}
	for _, st := range []map[string]string{nil, {"max_hint_window": "soon"}, {"max_hint_window_in_ms": "x"}} {
		if _, err := maxHintWindow(st); err == nil {
			t.Errorf("%v: no error", st)
		}
	}
}

func TestNodeFactsRoundTrip(t *testing.T) {
	f := NodeFacts{Hints: &node.HintCounts{Created: map[string]int64{"a:7000": 3}, Delivered: map[string]int64{"a:7000": 1}, NotStored: map[string]int64{"b:7000": 2}},
		PendingHints: []string{"id-1"}, Streams: []Stream{{PlanID: "p", Operation: "Rebuild"}}}
	rep := map[string]any{}
	AddNodeFacts(rep, f)
	got := factsFromReport(roundTrip(t, rep))
	if got.Hints.Created["a:7000"] != 3 || got.Hints.Delivered["a:7000"] != 1 || got.Hints.NotStored["b:7000"] != 2 || got.PendingHints[0] != "id-1" || got.Streams[0] != f.Streams[0] {
		t.Errorf("round trip: %+v", got)
	}
	rep = map[string]any{}
	AddNodeFacts(rep, NodeFacts{HintsError: "no jolokia", StreamsError: "gone", StreamsNotServed: true})
	got = factsFromReport(roundTrip(t, rep))
	if got.Hints != nil || got.HintsError != "no jolokia" || got.Streams != nil || !got.StreamsNotServed {
		t.Errorf("errors: %+v", got)
	}
	// An older sidecar's report, without the fields: unknown.
	got = factsFromReport(map[string]any{"cassandra_running": true})
	if got.Hints != nil || got.HintsError == "" || got.Streams != nil || got.StreamsError == "" || got.StreamsNotServed {
		t.Errorf("old report: %+v", got)
	}
}

func stringsOrNil(v any) []any { l, _ := v.([]any); return l }
