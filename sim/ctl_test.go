package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ringside/ringside/sim"
)

func TestControlAPI(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	srv := httptest.NewServer(c.ControlHandler())
	defer srv.Close()
	ctl := &sim.Control{Addr: strings.TrimPrefix(srv.URL, "http://")}
	nodes := c.Nodes()
	var all []sim.NodeStatus
	must(t, ctl.Do("GET", "/v1/nodes", nil, &all))
	if len(all) != 3 || all[0].State != sim.StateRunning || all[0].OperationMode != "NORMAL" {
		t.Fatalf("nodes: %+v", all)
	}
	var st sim.NodeStatus
	must(t, ctl.Do("POST", "/v1/nodes/"+nodes[2].Addr.String()+"/kill", nil, &st))
	if st.State != sim.StateStopped {
		t.Fatalf("after kill: %s", st.State)
	}
	must(t, ctl.Do("POST", "/v1/nodes/"+nodes[2].Endpoint()+"/start?wait=true", nil, &st))
	if st.State != sim.StateRunning || st.OperationMode != "NORMAL" {
		t.Fatalf("after start?wait: %+v", st)
	}
	must(t, ctl.Do("POST", "/v1/nodes/"+nodes[0].HostID.String()+"/latency", map[string]string{"latency": "5ms"}, &st))
	if st.Latency != "5ms" {
		t.Fatalf("latency: %q", st.Latency)
	}
	// Bad input is refused with a clear error and changes nothing.
	for _, tc := range []struct {
		method, path string
		body         any
		want         string
	}{
		{"GET", "/v1/nodes/10.1.2.3", nil, "no node"},
		{"POST", "/v1/nodes/" + nodes[0].Addr.String() + "/latency", map[string]string{"latency": "fast"}, "latency"},
		{"POST", "/v1/nodes/" + nodes[0].Addr.String() + "/explode", nil, "unknown operation"},
		{"POST", "/v1/nodes/" + nodes[0].Addr.String() + "/stop", map[string]string{"surprise": "1"}, "bad body"},
		{"POST", "/v1/partition", map[string]any{"groups": [][]string{{"nope"}}}, "no node"},
		{"POST", "/v1/partition", map[string]any{"groups": [][]string{{nodes[0].Addr.String()}, {nodes[0].Addr.String()}}}, "two groups"},
		{"GET", "/v2/whatever", nil, "no such endpoint"},
	} {
		err := ctl.Do(tc.method, tc.path, tc.body, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want error containing %q", tc.method, tc.path, err, tc.want)
		}
	}
	must(t, ctl.Do("GET", "/v1/nodes/"+nodes[0].Addr.String(), nil, &st))
	if st.State != sim.StateRunning || len(st.Down) != 0 {
		t.Fatalf("bad requests changed the node: %+v", st)
	}
	must(t, ctl.Do("POST", "/v1/partition", map[string]any{"groups": [][]string{{nodes[0].Addr.String()}}}, nil))
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 2 })
	must(t, ctl.Do("POST", "/v1/heal", nil, nil))
	waitFor(t, func() bool { return len(nodes[0].Status().Down) == 0 })
}

// TestRunCtl: the `ringside sim ctl` CLI writes to the writer it is given.
func TestRunCtl(t *testing.T) {
	c := startCluster(t, "dc1:2x1", false)
	srv := httptest.NewServer(c.ControlHandler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	n := c.Nodes()[1]
	var out bytes.Buffer
	must(t, sim.RunCtl([]string{"--control", addr, "status"}, &out))
	if !strings.HasPrefix(out.String(), "ADDRESS ") || !strings.Contains(out.String(), n.Addr.String()) {
		t.Fatalf("status:\n%s", out.String())
	}
	out.Reset()
	must(t, sim.RunCtl([]string{"--control", addr, "--json", "drain", n.Addr.String()}, &out))
	var st sim.NodeStatus
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || st.OperationMode != "DRAINED" {
		t.Fatalf("drain --json: %v %q", err, out.String())
	}
	if err := sim.RunCtl([]string{"--control", addr, "frobnicate"}, &out); err == nil || !strings.Contains(err.Error(), "unknown ctl command") {
		t.Fatalf("unknown command: %v", err)
	}
}
