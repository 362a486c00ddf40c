package clustertest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/store"
)

func TestMain(m *testing.M) { Main(m) }

// keeps are what the tests' observers check: app at the sidecars' default
// levels, ringside at SERIAL.
func keeps(e *Env) []Keep {
	per := map[string]int{}
	rf := map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy"}
	for _, n := range e.Cluster.Nodes() {
		per[n.DC]++
	}
	ringside := map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy"}
	for dc, n := range per {
		rf[dc] = fmt.Sprint(min(3, n))
		ringside[dc] = fmt.Sprint(min(3, n))
	}
	_ = store.Keyspace
	return []Keep{
		{Name: "app", Replication: rf, Levels: []ring.ConsistencyLevel{ring.LocalQuorum, ring.LocalOne}},
		{Name: "ringside", Replication: ringside, Levels: []ring.ConsistencyLevel{ring.Serial}},
	}
}

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

func desireOf(m map[string]any) map[string]any {
	ds, _ := m["desires"].([]any)
	if len(ds) == 0 {
		return nil
	}
	d, _ := ds[0].(map[string]any)
	return d
}

// waitEnded polls GET until the desire has ended (or is BLOCKED when
// blockedOK) and returns it.
func waitEnded(t *testing.T, url string, within time.Duration, blockedOK bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, m, err := Do("GET", url+"/v1/desires/cluster", "")
		if err == nil && code == 200 {
			last = m
			if d := desireOf(m); d != nil {
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
	end := waitEnded(t, e.Sidecars[3].URL, 90*time.Second, false)
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
