package failover

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// TestSidecarHints asks a real sidecar (the demo's, beside the simulator)
// about dc1's hints: delivered while healthy, pending while a dc1 node is
// down (the hints others keep for it are unknown until it is back).
func TestSidecarHints(t *testing.T) {
	scfg, err := sim.TestConfig("dc1:3x1,dc2:3x1", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	dc2 := d.Sidecars[len(d.Sidecars)-1]
	hints := SidecarHints(&http.Client{Timeout: 5 * time.Second}, "http://127.0.0.1:1", dc2.URL) // the first does not answer
	wait := func(want HintsState) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := hints(context.Background(), "dc1")
			if err == nil && st == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("hints of dc1: %v, %v; want %v", st, err, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	wait(HintsDelivered)
	d.Cluster.Nodes()[0].Kill()
	wait(HintsPending)

	if _, err := SidecarHints(nil, dc2.URL)(context.Background(), "nosuchdc"); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("an unknown DC: %v, want the sidecar's 400", err)
	}
}

// TestSidecarHintsDropped: an outage past the hint window (hint_window not
// ok) is HintsDropped whatever the hints check says. The body is the shape
// of docs/routing-health.md's answer, cut to what is read.
func TestSidecarHintsDropped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/health/cluster" || r.URL.Query().Get("dc") != "dc1" || r.URL.Query().Get("cl") != "LOCAL_ONE" {
			http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"datacenter":"dc1","available":true,"safe_to_route_back":false,
			"route_back_checks":{"hint_window":{"ok":false,"max_hint_window_seconds":1,"longest_outage_seconds":4.2},"hints":{"ok":true,"undelivered":[]}}}`))
	}))
	defer srv.Close()
	if st, err := SidecarHints(srv.Client(), srv.URL)(context.Background(), "dc1"); err != nil || st != HintsDropped {
		t.Fatalf("%v, %v; want dropped", st, err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"green"}`)) }))
	defer plain.Close()
	if _, err := SidecarHints(plain.Client(), plain.URL)(context.Background(), "dc1"); err == nil || !strings.Contains(err.Error(), "without route_back_checks") {
		t.Fatalf("a sidecar without routing health: %v", err)
	}
}
