package sidecar_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// TestBulkCallerMistakes: a bulk command naming a keyspace the schema
// lacks is a 400 before any fan-out; one the nodes refuse (a table that
// does not exist: IllegalArgumentException through JMX) is a 400 with
// every node's 400, not a 502 of 500s.
func TestBulkCallerMistakes(t *testing.T) {
	scfg, err := sim.TestConfig("dc1:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond, SampleData: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	u := d.Sidecars[0].URL
	waitForTargets(t, d, 3)

	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(u+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("POST %s: %d, not JSON: %q", path, resp.StatusCode, b)
		}
		return resp.StatusCode, m
	}
	peerCalls := func() float64 {
		t.Helper()
		var n float64
		for _, sc := range d.Sidecars[1:] {
			resp, err := http.Get(sc.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, `ringside_http_requests_total{code=`) && strings.Contains(l, `handler="peer_bulkcmd"`) {
					var v float64
					f := strings.Fields(l)
					json.Unmarshal([]byte(f[len(f)-1]), &v)
					n += v
				}
			}
		}
		return n
	}

	before := peerCalls()
	code, m := post("/v1/bulkcmd/flush", `{"keyspace": "nosuchks"}`)
	if code != http.StatusBadRequest {
		t.Fatalf("flush of a keyspace that does not exist: %d %v, want 400", code, m)
	}
	problems, _ := m["problems"].(map[string]any)
	if why, _ := problems["keyspace"].(string); !strings.Contains(why, `"nosuchks"`) || !strings.Contains(why, demo.SampleKeyspace) {
		t.Errorf("400 body %v: want problems.keyspace naming nosuchks and the keyspaces there are", m)
	}
	if got := peerCalls(); got != before {
		t.Errorf("peer bulk calls went from %v to %v: the refusal must come before any fan-out", before, got)
	}

	// The keyspace exists, the table does not: every node refuses.
	code, m = post("/v1/bulkcmd/flush", `{"keyspace": "`+demo.SampleKeyspace+`", "tables": ["nosuchtable"]}`)
	if code != http.StatusBadRequest {
		t.Fatalf("flush of a table that does not exist: %d %v, want 400", code, m)
	}
	if e, _ := m["error"].(string); !strings.Contains(e, "Unknown keyspace/cf pair") {
		t.Errorf("error %q: want the node's reason (Unknown keyspace/cf pair)", e)
	}
	nodes, _ := m["nodes"].([]any)
	if len(nodes) != 3 {
		t.Fatalf("nodes %v: want 3", m["nodes"])
	}
	for _, n := range nodes {
		r := n.(map[string]any)
		if st, ok := r["http_status"].(float64); ok && st != 400 {
			t.Errorf("node %v answered %v, want 400 (the caller's mistake, not the node's failure)", r["endpoint"], st)
		}
	}

	// And a good one still works.
	if code, m := post("/v1/bulkcmd/flush", `{"keyspace": "`+demo.SampleKeyspace+`", "tables": ["orders"]}`); code != http.StatusOK {
		t.Fatalf("flush %s.orders: %d %v", demo.SampleKeyspace, code, m)
	}
}

// waitForTargets waits until the first sidecar knows n nodes.
func waitForTargets(t *testing.T, d *demo.Demo, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(d.Sidecars[0].Targets()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the first sidecar knows %d nodes, want %d", len(d.Sidecars[0].Targets()), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
