package clustertest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/sim"
)

func TestMain(m *testing.M) { Main(m) }

func post(t *testing.T, url, body string) map[string]any {
	t.Helper()
	code, m, err := Do("POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	if code != 200 {
		t.Fatalf("HTTP %d: %v", code, m)
	}
	return m
}

// waitEnded polls GET until the desire has ended (or is BLOCKED when
// blockedOK) and returns it.
func waitEnded(t *testing.T, url string, within time.Duration, blockedOK bool) map[string]any {
	t.Helper()
	return waitEndedSeeing(t, url, within, blockedOK, nil)
}

// waitEndedSeeing is waitEnded that shows every desire it reads to seen.
func waitEndedSeeing(t *testing.T, url string, within time.Duration, blockedOK bool, seen func(d map[string]any)) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, m, err := Do("GET", url+"/v1/desires/cluster", "")
		if err == nil && code == 200 {
			last = m
			if d := desireOf(m); d != nil {
				if seen != nil {
					seen(d)
				}
				switch d["state"] {
				case "DONE", "CANCELLED", "EXPIRED":
					return m
				case "BLOCKED":
					if blockedOK {
						return m
					}
					t.Fatalf("desire BLOCKED: %v", d["reason"])
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("desire did not end within %s; last %v", within, last)
	return nil
}

func TestClusterRestartRackWaves(t *testing.T) {
	e := Start(t, Options{Topology: "dc1:3x1,dc2:3x1"})
	obs, err := NewObserver(e.Cluster, keeps(e), 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	go obs.Run()
	before := Starts(e.Cluster)
	// A near by: as many nodes at once as is safe.
	by := time.Now().Add(8 * time.Second).Unix()
	m := post(t, e.Sidecars[0].URL+"/v1/desires/cluster", fmt.Sprintf(`{"type": "restart", "by": %d}`, by))
	d := desireOf(m)
	if d["by"].(float64) != float64(by) || d["type"] != "restart" {
		t.Fatalf("CEP fields: %v", d)
	}
	if ns, ok := m["node_states"].(map[string]any); !ok || ns["RUNNING"] == nil {
		t.Fatalf("node_states: %v", m["node_states"])
	}
	// The steps of nodes being restarted (noted beside the desire) show.
	steps := map[string]bool{}
	end := waitEndedSeeing(t, e.Sidecars[3].URL, 90*time.Second, false, func(d map[string]any) {
		nodes, _ := d["nodes"].(map[string]any)
		for _, n := range nodes {
			if n := n.(map[string]any); n["state"] == "STOPPED" {
				st, _ := n["step"].(string)
				steps[strings.SplitN(st, ":", 2)[0]] = true
			}
		}
	})
	if !steps["stopping"] || !steps["starting"] || !steps["gating"] {
		t.Errorf("steps seen while nodes restarted: %v, want stopping, starting and gating", steps)
	}
	viol, samples, maxDown := obs.Stop()
	d = desireOf(end)
	if d["state"] != "DONE" {
		t.Fatalf("state %v: %v", d["state"], d["reason"])
	}
	waves, _ := d["waves"].([]any)
	t.Logf("waves %v, samples %d, max down %d", waves, samples, maxDown)
	if len(waves) != 3 {
		t.Errorf("want 3 waves (one rack of each DC), got %d: %v", len(waves), waves)
	}
	racks := map[string]string{}
	for _, n := range e.Cluster.Nodes() {
		racks[n.HostID.String()] = n.DC + "/" + n.Rack
	}
	for i, w := range waves {
		var rs []string
		for _, h := range w.([]any) {
			rs = append(rs, racks[h.(string)])
		}
		sort.Strings(rs)
		if len(rs) != 2 || strings.Split(rs[0], "/")[0] == strings.Split(rs[1], "/")[0] {
			t.Errorf("wave %d is not one rack per DC: %v", i, rs)
		}
	}
	after := Starts(e.Cluster)
	for i := range before {
		if after[i]-before[i] != 1 {
			t.Errorf("node %d started %d times", i, after[i]-before[i])
		}
	}
	if len(viol) > 0 {
		t.Errorf("%d violations, first: %v", len(viol), viol[0])
	}
	if maxDown < 2 {
		t.Errorf("never more than %d node(s) down at once: waves not parallel", maxDown)
	}
}

func hostsOf(e *Env, pred func(i int) bool) []string {
	var out []string
	for i, n := range e.Cluster.Nodes() {
		if pred(i) {
			out = append(out, n.HostID.String())
		}
	}
	return out
}

// TestOlderThanScopeAndMaxParallel: only processes older than older_than
// restart; the scope and max_parallel are kept.
func TestOlderThanScopeAndMaxParallel(t *testing.T) {
	t.Parallel()
	e := Start(t, Options{Topology: "dc1:3x1,dc2:3x1"})
	// Node 1 restarts now, before older_than is taken: it is newer.
	n1 := e.Cluster.Nodes()[1]
	if err := n1.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(); err != nil {
		t.Fatal(err)
	}
	if err := n1.WaitNormal(t.Context(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	e.WaitConverged(t, 10*time.Second)
	// older_than just before node 1's new process: the others are older.
	older := n1.Status().StartedAt.Add(-50 * time.Millisecond)
	before := Starts(e.Cluster)
	obs, _ := NewObserver(e.Cluster, keeps(e), 20*time.Millisecond)
	go obs.Run()
	body := fmt.Sprintf(`{"type": "restart", "by": %d, "older_than": %q, "dc": ["dc1"], "max_parallel": 1}`, time.Now().Add(5*time.Second).Unix(), older.UTC().Format(time.RFC3339Nano))
	post(t, e.Sidecars[0].URL+"/v1/desires/cluster", body)
	end := waitEnded(t, e.Sidecars[4].URL, 60*time.Second, false)
	viol, _, maxDown := obs.Stop()
	d := desireOf(end)
	after := Starts(e.Cluster)
	for i, n := range e.Cluster.Nodes() {
		want := 0
		if n.DC == "dc1" && i != 1 {
			want = 1
		}
		if after[i]-before[i] != want {
			t.Errorf("node %d (%s) started %d times, want %d", i, n.DC, after[i]-before[i], want)
		}
	}
	nodes := d["nodes"].(map[string]any)
	if len(nodes) != 3 {
		t.Errorf("scope dc1 has %d nodes: %v", len(nodes), nodes)
	}
	if sk := nodes[n1.HostID.String()].(map[string]any); sk["skipped"] != true {
		t.Errorf("node 1 was newer than older_than but not skipped: %v", sk)
	}
	if maxDown > 1 {
		t.Errorf("max_parallel 1 but %d nodes down at once", maxDown)
	}
	if len(viol) > 0 {
		t.Errorf("violations: %v", viol[0])
	}
}

// TestByPacing: a far by restarts one node at a time (keeps capacity), a
// near one as many as is safe; GET says whether by will be met.
func TestByPacing(t *testing.T) {
	t.Parallel()
	e := Start(t, Options{Topology: "dc1:3x1,dc2:3x1", Sidecar: func(n *sim.Node, c *config.Config) {
		c.Desires.RestartEstimate = 10 * time.Second
	}})
	url := e.Sidecars[0].URL + "/v1/desires/cluster?dry_run=true"
	// 10 s per wave: one node at a time (6 waves) fits in an hour, the
	// 3 rack waves in 45 s, nothing in 20 s.
	far := post(t, url, fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(time.Hour).Unix()))
	near := post(t, url, fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(45*time.Second).Unix()))
	tooNear := post(t, url, fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(20*time.Second).Unix()))
	for _, c := range []struct {
		name  string
		m     map[string]any
		waves int
		par   float64
		meet  bool
	}{{"far", far, 6, 1, true}, {"near", near, 3, 0, true}, {"too near", tooNear, 3, 0, false}} {
		d := desireOf(c.m)
		if c.m["dry_run"] != true {
			t.Errorf("%s: not marked dry_run", c.name)
		}
		if n := len(d["waves"].([]any)); n != c.waves {
			t.Errorf("%s: %d waves, want %d", c.name, n, c.waves)
		}
		par, _ := d["parallelism"].(float64)
		if par != c.par {
			t.Errorf("%s: parallelism %v, want %v", c.name, par, c.par)
		}
		if d["by_met"] != c.meet {
			t.Errorf("%s: by_met %v, want %v (eta %v)", c.name, d["by_met"], c.meet, d["eta"])
		}
	}
	// Nothing was stored.
	code, m, err := Do("GET", e.Sidecars[1].URL+"/v1/desires/cluster", "")
	if err != nil || code != 200 || len(m["desires"].([]any)) != 0 {
		t.Errorf("a dry run stored a desire: %d %v %v", code, m, err)
	}
}

// TestPauseResumeCancel and a second POST while one runs.
func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	e := Start(t, Options{Topology: "dc1:3x1,dc2:3x1"})
	base := e.Sidecars[0].URL + "/v1/desires/cluster"
	body := fmt.Sprintf(`{"type": "restart", "by": %d, "max_parallel": 1}`, time.Now().Add(time.Hour).Unix())
	first := desireOf(post(t, base, body))
	// The same POST again is the same desire; another one is refused.
	again := desireOf(post(t, e.Sidecars[2].URL+"/v1/desires/cluster", body))
	if again["id"] != first["id"] {
		t.Errorf("same POST twice gave two desires: %v %v", first["id"], again["id"])
	}
	code, m, _ := Do("POST", base, fmt.Sprintf(`{"type": "restart", "by": %d}`, time.Now().Add(time.Hour).Unix()))
	if code != 409 || m["desire"] != first["id"] {
		t.Errorf("a different desire while one runs: %d %v", code, m)
	}
	d := desireOf(post(t, base+"/pause", ""))
	if d["state"] != "PAUSED" {
		t.Fatalf("pause: %v", d["state"])
	}
	// Let in-flight nodes finish, then nothing moves.
	time.Sleep(3 * time.Second)
	s1 := Starts(e.Cluster)
	time.Sleep(2 * time.Second)
	s2 := Starts(e.Cluster)
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Errorf("node %d restarted while paused", i)
		}
	}
	if d := desireOf(post(t, base+"/resume", "")); d["state"] != "RUNNING" {
		t.Fatalf("resume: %v", d["state"])
	}
	// Wait for one more node to finish, then cancel.
	deadline := time.Now().Add(20 * time.Second)
	for {
		s3 := Starts(e.Cluster)
		moved := false
		for i := range s3 {
			moved = moved || s3[i] != s2[i]
		}
		if moved {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing restarted after resume")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := desireOf(post(t, base+"/cancel", "")); d["state"] != "CANCELLED" {
		t.Fatalf("cancel: %v", d["state"])
	}
	time.Sleep(3 * time.Second)
	s4 := Starts(e.Cluster)
	time.Sleep(2 * time.Second)
	s5 := Starts(e.Cluster)
	for i := range s4 {
		if s4[i] != s5[i] {
			t.Errorf("node %d restarted after cancel", i)
		}
		if e.Cluster.Nodes()[i].State() != "RUNNING" {
			t.Errorf("node %d left %s after cancel", i, e.Cluster.Nodes()[i].State())
		}
	}
	// A new desire may follow a cancelled one.
	if d := desireOf(post(t, base, fmt.Sprintf(`{"type": "restart", "by": %d, "dry_run": true}`, time.Now().Add(time.Hour).Unix()))); d == nil {
		t.Error("dry run after cancel")
	}
}

// TestNodeNeverReturnsBlocks: the desire stops in BLOCKED with the reason,
// nothing further restarts, and resume retries it once the node can start.
func TestNodeNeverReturnsBlocks(t *testing.T) {
	t.Parallel()
	e := Start(t, Options{Topology: "dc1:3x1,dc2:3x1", Sidecar: func(n *sim.Node, c *config.Config) {
		c.Desires.RestartTimeout = 3 * time.Second
		c.Lifecycle.StartTimeout = 2 * time.Second
	}})
	bad := e.Cluster.Nodes()[0]
	bad.SetStartDelay(-1)
	before := Starts(e.Cluster)
	base := e.Sidecars[1].URL + "/v1/desires/cluster"
	post(t, base, fmt.Sprintf(`{"type": "restart", "by": %d, "max_parallel": 1, "nodes": [%q]}`, time.Now().Add(time.Hour).Unix(), bad.HostID))
	end := waitEnded(t, e.Sidecars[2].URL, 30*time.Second, true)
	d := desireOf(end)
	if d["state"] != "BLOCKED" || !strings.Contains(d["reason"].(string), bad.Endpoint()) {
		t.Fatalf("want BLOCKED naming %s: %v %v", bad.Endpoint(), d["state"], d["reason"])
	}
	if f, _ := end["node_states"].(map[string]any)["FAILED"].([]any); len(f) != 1 {
		t.Errorf("FAILED: %v", end["node_states"])
	}
	after := Starts(e.Cluster)
	for i := 1; i < len(after); i++ {
		if after[i] != before[i] {
			t.Errorf("node %d restarted while blocked", i)
		}
	}
	// The operator repairs the node (its stuck process is killed); resume
	// retries it: its sidecar finds it down and starts it.
	bad.SetStartDelay(0)
	bad.Kill()
	post(t, base+"/resume", "")
	end = waitEnded(t, e.Sidecars[2].URL, 30*time.Second, false)
	if d := desireOf(end); d["state"] != "DONE" {
		t.Errorf("after resume: %v %v", d["state"], d["reason"])
	}
}

// TestBadInput: 400 naming the field, 409 when no safe restart exists,
// and nothing stored.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := Start(t, Options{Topology: "dc1:3x1", AppRF: map[string]int{"dc1": 1}})
	url := e.Sidecars[0].URL + "/v1/desires/cluster"
	by := time.Now().Add(time.Hour).Unix()
	for _, c := range []struct{ body, field string }{
		{`{"type": "upgrade", "by": 1}`, "type"},
		{`{"type": "reboot", "by": 9999999999}`, "type"},
		{`{"by": 9999999999}`, "type"},
		{`{"type": "restart"}`, "by"},
		{`{"type": "restart", "by": 1000}`, "by"},
		{`{"type": "restart", "by": "soon"}`, "by"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "older_than": "yesterday"}`, by), "older_than"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "dc": ["nowhere"]}`, by), "dc"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "rack": ["r9"]}`, by), "rack"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "nodes": ["10.9.9.9"]}`, by), "nodes"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "max_parallel": 0}`, by), "max_parallel"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "consistency_levels": ["LOCAL_QUARUM"]}`, by), "consistency_levels"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "consistency_levels": ["THREE"], "dc": ["dc1"]}`, by), "consistency_levels"},
		{fmt.Sprintf(`{"type": "restart", "by": %d, "colour": "red"}`, by), "colour"},
		{`{"type": "restart", `, "body"},
	} {
		code, m, err := Do("POST", url, c.body)
		if err != nil || code != 400 || m["field"] != c.field {
			t.Errorf("%s: %d %v %v, want 400 naming %s", c.body, code, m, err, c.field)
		}
	}
	// app has RF 1: no node holding it can restart at LOCAL_ONE.
	code, m, _ := Do("POST", url, fmt.Sprintf(`{"type": "restart", "by": %d}`, by))
	if code != 409 || fmt.Sprint(m["keyspaces"]) != "[app]" {
		t.Errorf("RF 1: %d %v, want 409 naming app", code, m)
	}
	code, m, _ = Do("GET", url, "")
	if code != 200 || len(m["desires"].([]any)) != 0 {
		t.Errorf("bad input stored something: %v", m)
	}
	// With force it is accepted: one node at a time.
	d := desireOf(post(t, url, fmt.Sprintf(`{"type": "restart", "by": %d, "force": true, "dry_run": true}`, by)))
	if len(d["waves"].([]any)) != 3 {
		t.Errorf("force: %v", d["waves"])
	}
}

// TestRacingPosts: POSTs to every sidecar at once make one desire.
func TestRacingPosts(t *testing.T) {
	t.Parallel()
	e := Start(t, Options{Topology: "dc1:3x1,dc2:3x1"})
	body := fmt.Sprintf(`{"type": "restart", "by": %d, "max_parallel": 1}`, time.Now().Add(time.Hour).Unix())
	ids := make(chan any, len(e.Sidecars))
	for _, p := range e.Sidecars {
		go func() {
			code, m, err := Do("POST", p.URL+"/v1/desires/cluster", body)
			if err != nil || code != 200 {
				ids <- fmt.Sprintf("error %d %v %v", code, m, err)
				return
			}
			ids <- desireOf(m)["id"]
		}()
	}
	seen := map[any]int{}
	for range e.Sidecars {
		seen[<-ids]++
	}
	if len(seen) != 1 {
		t.Fatalf("racing POSTs gave %v", seen)
	}
	post(t, e.Sidecars[0].URL+"/v1/desires/cluster/cancel", "")
}
