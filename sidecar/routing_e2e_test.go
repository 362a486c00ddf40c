package sidecar_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// routeBackMinUptime is the routing tests' health.route_back_min_uptime.
const routeBackMinUptime = 3 * time.Second

// startRoutingDemo is a 2-DC, 6-node demo with keyspace app {dc1: 3,
// dc2: 3} and a short minimum uptime.
func startRoutingDemo(t *testing.T) *demo.Demo {
	t.Helper()
	d := startDemo(t, "dc1:3x1,dc2:3x1", func(_ *sim.Node, c *config.Config) {
		c.Health.RouteBackMinUptime = routeBackMinUptime
	})
	s := cqlSession(t, d)
	for _, q := range []string{
		"CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}",
		"CREATE TABLE app.kv (k int PRIMARY KEY, v text)",
		"CREATE KEYSPACE only2 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc2': 1}",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// dcSession is a session whose coordinators are dc's nodes.
func dcSession(t *testing.T, d *demo.Demo, dc string) *gocql.Session {
	t.Helper()
	var first *sim.Node
	for _, n := range d.Cluster.Nodes() {
		if n.DC == dc {
			first = n
			break
		}
	}
	cc := gocql.NewCluster(first.Addr.String())
	cc.Port = d.Cluster.Config().NativePort
	cc.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(dc)
	cc.Consistency = gocql.LocalQuorum
	cc.Timeout = 2 * time.Second
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// writeAppRows writes n rows at LOCAL_QUORUM through s.
func writeAppRows(t *testing.T, s *gocql.Session, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := s.Query("INSERT INTO app.kv (k, v) VALUES (?, ?)", i, fmt.Sprint("v", i)).Exec(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
}

// hintDispatch pauses or resumes hint dispatch on every running node
// (HintsService pauseDispatch/resumeDispatch, as nodetool pausehandoff
// and resumehandoff do), through each node's Jolokia agent.
func hintDispatch(t *testing.T, d *demo.Demo, pause bool) {
	t.Helper()
	op := "resumeDispatch"
	if pause {
		op = "pauseDispatch"
	}
	for _, sc := range d.Sidecars {
		if sc.Node.State() != sim.StateRunning {
			continue
		}
		body, _ := json.Marshal(map[string]any{"type": "exec", "mbean": "org.apache.cassandra.hints:type=HintsService", "operation": op})
		resp, err := http.Post(sc.Config.Cassandra.JolokiaURL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"status":200`) {
			t.Fatalf("%s on %s: %s", op, sc.Node.Addr, b)
		}
	}
}

func checks(m map[string]any) map[string]any {
	c, _ := m["route_back_checks"].(map[string]any)
	return c
}

func checkOK(m map[string]any, name string) bool {
	c, _ := checks(m)[name].(map[string]any)
	return c["ok"] == true
}

func keyspace(m map[string]any, ks string) map[string]any {
	kss, _ := m["keyspaces"].(map[string]any)
	k, _ := kss[ks].(map[string]any)
	return k
}

// TestRoutingHealth: GET /v1/health/cluster?dc=dc1&cl=LOCAL_QUORUM, asked
// of a dc2 sidecar, as dc1 loses two of its three nodes, writes go to dc2
// meanwhile, and the nodes come back with their hints held (dispatch
// paused), then delivered.
func TestRoutingHealth(t *testing.T) {
	t.Parallel()
	d := startRoutingDemo(t)
	base := d.Sidecars[3].URL + "/v1/health/cluster"
	quorum := base + "?dc=dc1&cl=LOCAL_QUORUM"

	// Healthy, and safe once every node has been seen up for the minimum.
	m := eventually(t, quorum, func(code int, m map[string]any) bool {
		return code == 200 && m["safe_to_route_back"] == true && keyspace(m, "app") != nil
	})
	if app := keyspace(m, "app"); app["status"] != "available" || app["unavailable_ranges"] != float64(0) || app["ranges"] != float64(96) {
		t.Errorf("app: %v", app)
	}
	if keyspace(m, "only2") != nil || keyspace(m, "system_auth") != nil {
		t.Errorf("keyspaces not replicated in dc1, or system ones, are judged: %v", m["keyspaces"])
	}
	if m["datacenter"] != "dc1" || m["consistency_level"] != "LOCAL_QUORUM" || m["available"] != true || len(strs(m["route_back_reasons"])) != 0 {
		t.Errorf("healthy answer: %v", m)
	}
	// The plain view is unchanged: the whole cluster's report, no routing fields.
	code, plain := get(t, base)
	if code != 200 || plain["status"] == nil || plain["safe_to_route_back"] != nil {
		t.Errorf("plain cluster view: %d %v", code, plain)
	}

	// Two of dc1's three nodes down: LOCAL_QUORUM is lost on every range, LOCAL_ONE holds.
	n0, n1 := d.Cluster.Nodes()[0], d.Cluster.Nodes()[1]
	n0.Kill()
	n1.Kill()
	m = eventually(t, quorum, func(code int, m map[string]any) bool {
		app := keyspace(m, "app")
		return code == 503 && app != nil && app["lost_ranges"] == float64(96)
	})
	if testing.Verbose() {
		b, _ := json.MarshalIndent(m, "", "  ")
		t.Logf("two dc1 nodes down: %s", b)
	}
	app := keyspace(m, "app")
	ex, _ := app["examples"].([]any)
	if len(ex) == 0 {
		t.Fatalf("no example of a lost range: %v", app)
	}
	first, _ := ex[0].(map[string]any)
	if down := strs(first["down"]); !contains(down, n0.Endpoint()) || !contains(down, n1.Endpoint()) || len(strs(first["replicas"])) != 3 || first["required"] != float64(2) || first["alive"] != float64(1) {
		t.Errorf("example: %v", first)
	}
	if m["safe_to_route_back"] != false || m["available"] != false || !strings.Contains(fmt.Sprint(m["route_back_reasons"]), n0.Endpoint()+" (dc1) is down") {
		t.Errorf("dc1 down: %v", m)
	}
	if !strings.Contains(fmt.Sprint(m["reasons"]), "app cannot be served at LOCAL_QUORUM in dc1: 96 of 96 token ranges lost") {
		t.Errorf("reasons: %v", m["reasons"])
	}
	if code, one := get(t, base+"?dc=dc1&cl=LOCAL_ONE"); code != 200 || one["safe_to_route_back"] != false {
		t.Errorf("LOCAL_ONE with one dc1 node up: %d %v", code, one)
	}
	// dc2 serves; but whether the down dc1 nodes hold hints for dc2's
	// nodes cannot be told until they are back: not "healed" either.
	if code, two := get(t, base+"?dc=dc2&cl=LOCAL_QUORUM&keyspace=app"); code != 200 || two["keyspace"] != "app" || two["available"] != true ||
		two["safe_to_route_back"] != false || !strings.Contains(fmt.Sprint(two["route_back_reasons"]), "the hints "+n0.Endpoint()+" holds for dc2 are unknown") {
		t.Errorf("dc2 meanwhile: %d %v", code, two)
	}

	// The application writes to dc2; dc2's coordinators hint dc1's down
	// replicas. Dispatch is held so that the hints are still there when
	// the nodes come back.
	writeAppRows(t, dcSession(t, d, "dc2"), 0, 50)
	hintDispatch(t, d, true)
	if err := n0.Start(); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	m = eventually(t, quorum, func(code int, m map[string]any) bool {
		hc, _ := checks(m)["hints"].(map[string]any)
		und, _ := hc["undelivered"].([]any)
		return code == 200 && len(und) > 0 && hc["unknown"] == nil && checkOK(m, "topology")
	})
	if testing.Verbose() {
		b, _ := json.MarshalIndent(m, "", "  ")
		t.Logf("back, hints held: %s", b)
	}
	if m["safe_to_route_back"] != false || !strings.Contains(fmt.Sprint(m["route_back_reasons"]), "still holds hints for "+n0.Endpoint()) {
		t.Errorf("back with hints pending: %v", m)
	}
	hc, _ := checks(m)["hints"].(map[string]any)
	und, _ := hc["undelivered"].([]any)
	if len(und) == 0 {
		t.Fatalf("no undelivered hints listed: %v", hc)
	}
	if time.Since(back) < routeBackMinUptime-time.Second && checkOK(m, "uptime") {
		t.Errorf("uptime ok %s after the nodes came back: %v", time.Since(back), checks(m)["uptime"])
	}

	// Delivered: safe, but not before the minimum uptime.
	hintDispatch(t, d, false)
	m = eventually(t, quorum, func(code int, m map[string]any) bool { return code == 200 && m["safe_to_route_back"] == true })
	// (The nodes may be seen up a refresh before Start returns.)
	if since := time.Since(back); since < routeBackMinUptime-300*time.Millisecond {
		t.Errorf("safe %s after the nodes came back, before the minimum %s: %v", since, routeBackMinUptime, m)
	}
	for _, c := range []string{"uptime", "hint_window", "hints", "topology"} {
		if !checkOK(m, c) {
			t.Errorf("check %s not ok once safe: %v", c, checks(m)[c])
		}
	}
}

// TestRoutingHealthLongOutage: a dc1 node down longer than
// max_hint_window (set to 1s on every node) is never safe to route back
// to, however long it has been back and though every hint was delivered.
func TestRoutingHealthLongOutage(t *testing.T) {
	t.Parallel()
	d := startRoutingDemo(t)
	u := d.Sidecars[3].URL
	resp, err := http.NewRequest("PUT", u+"/v1/settings?scope=cluster", strings.NewReader(`{"max_hint_window": "1s"}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.DefaultClient.Do(resp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("setting max_hint_window: %d %s", r.StatusCode, b)
	}
	quorum := u + "/v1/health/cluster?dc=dc1&cl=LOCAL_QUORUM"
	eventually(t, quorum, func(code int, m map[string]any) bool {
		hw, _ := checks(m)["hint_window"].(map[string]any)
		return code == 200 && hw["max_hint_window_seconds"] == float64(1) && m["safe_to_route_back"] == true
	})

	n0 := d.Cluster.Nodes()[0]
	n0.Kill()
	// One node of three down: LOCAL_QUORUM holds, the DC is not healed.
	m := eventually(t, quorum, func(code int, m map[string]any) bool {
		return code == 200 && m["safe_to_route_back"] == false && strings.Contains(fmt.Sprint(m["route_back_reasons"]), n0.Endpoint()+" (dc1) is down")
	})
	time.Sleep(1500 * time.Millisecond)
	writeAppRows(t, dcSession(t, d, "dc2"), 0, 20) // past the window: not hinted (Hints_not_stored)
	if err := n0.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	m = eventually(t, quorum, func(code int, m map[string]any) bool {
		return code == 200 && checkOK(m, "uptime") && checkOK(m, "hints") && checkOK(m, "topology")
	})
	if time.Since(back) < routeBackMinUptime-300*time.Millisecond {
		t.Errorf("uptime ok after %s", time.Since(back))
	}
	if m["safe_to_route_back"] != false || checkOK(m, "hint_window") {
		t.Fatalf("safe after an outage past max_hint_window: %v", m)
	}
	reasons := fmt.Sprint(m["route_back_reasons"])
	for _, want := range []string{n0.Endpoint() + " was down for", "longer than max_hint_window 1s", "did not store", "nodetool repair"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons lack %q: %s", want, reasons)
		}
	}
	hw, _ := checks(m)["hint_window"].(map[string]any)
	if ns, _ := hw["not_stored"].([]any); len(ns) == 0 || hw["longest_outage_node"] != n0.Endpoint() {
		t.Errorf("hint_window check: %v", hw)
	}
}

// TestRoutingHealthBadInput: every refusal is a 400 naming the parameter.
func TestRoutingHealthBadInput(t *testing.T) {
	t.Parallel()
	d := startRoutingDemo(t)
	base := d.Sidecars[0].URL + "/v1/health/cluster"
	eventually(t, base+"?dc=dc1&cl=LOCAL_ONE&keyspace=app", func(code int, _ map[string]any) bool { return code == 200 })
	// only2 too: the sidecar's schema is a refresh old.
	eventually(t, base+"?dc=dc2&cl=LOCAL_ONE&keyspace=only2", func(code int, _ map[string]any) bool { return code == 200 })
	for _, c := range []struct {
		query, field, says string
		known              string // field listing what the parameter may be
	}{
		{"dc=dc9&cl=LOCAL_QUORUM", "dc", `not a data center of this cluster; known: dc1, dc2`, "datacenters"},
		{"dc=&cl=LOCAL_QUORUM", "dc", "dc is empty", ""},
		{"cl=LOCAL_QUORUM", "dc", "dc is required", ""},
		{"dc=dc1", "cl", "cl is required", "consistency_levels"},
		{"dc=dc1&cl=QUORUM", "cl", "not judged in one data center", "consistency_levels"},
		{"dc=dc1&cl=EACH_QUORUM", "cl", "not judged in one data center", "consistency_levels"},
		{"dc=dc1&cl=LOCAL_ALL", "cl", `not a consistency level`, "consistency_levels"},
		{"dc=dc1&cl=LOCAL_QUORUM&keyspace=nope", "keyspace", `keyspace "nope" is not in the cluster's schema`, "keyspaces"},
		{"dc=dc1&cl=LOCAL_QUORUM&keyspace=only2", "keyspace", "keyspace only2 is not replicated in dc1", "keyspaces"},
		{"dc=dc1&cl=LOCAL_QUORUM&keyspace=system", "keyspace", "LocalStrategy", "keyspaces"},
		{"dc=dc1&dc=dc2&cl=LOCAL_QUORUM", "dc", "dc is given 2 times", ""},
		{"dc=dc1&cl=LOCAL_ONE&cl=LOCAL_QUORUM", "cl", "cl is given 2 times", ""},
		{"dc=dc1&cl=LOCAL_QUORUM&consistency=ONE", "consistency", `unknown query parameter "consistency"`, ""},
		{"x=1", "x", `unknown query parameter "x"`, ""},
		{"dc=dc1&cl=LOCAL_QUORUM&%zz", "", "malformed query", ""},
	} {
		code, m := get(t, base+"?"+c.query)
		if code != 400 || !strings.Contains(fmt.Sprint(m["error"]), c.says) || (c.field != "" && m["field"] != c.field) {
			t.Errorf("?%s: %d %v; want 400 naming %s and saying %q", c.query, code, m, c.field, c.says)
		}
		if c.known != "" && len(strs(m[c.known])) == 0 {
			t.Errorf("?%s: no %s listed: %v", c.query, c.known, m)
		}
	}
	// The levels are case-insensitive, as CQL's; a trailing slash works.
	if code, m := get(t, base+"/?dc=dc2&cl=local_one"); code != 200 || m["consistency_level"] != "LOCAL_ONE" {
		t.Errorf("cl=local_one: %d %v", code, m)
	}
}
