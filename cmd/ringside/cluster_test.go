package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

func TestClusterUsage(t *testing.T) {
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	for _, args := range [][]string{
		{},
		{"restart"},
		{"restart", "--by", "1900000000", "--within", "1h"},
		{"restart", "--by", "tomorrow"},
		{"restart", "--within", "1h", "--max-parallel", "0"},
		{"restart", "--within", "1h", "--older-than", "x"},
		{"status", "--dc", "dc1"},
		{"pause", "--watch"},
		{"reboot"},
	} {
		var o, e bytes.Buffer
		c, err := parseCluster(args, nil, &o, &e, now)
		if c != nil || exitCodeOf(err) != 2 {
			t.Errorf("%v: want usage error (exit 2), got %v %v", args, c, err)
		}
		if !strings.Contains(e.String(), "ringside cluster:") {
			t.Errorf("%v: no message: %q", args, e.String())
		}
	}
	var o, e bytes.Buffer
	c, err := parseCluster([]string{"restart", "--within", "2h", "--dc", "dc1", "--max-parallel", "2", "--cl", "QUORUM", "--dry-run"}, nil, &o, &e, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c.body)
	if want := `{"by":1800007200,"consistency_levels":["QUORUM"],"dc":["dc1"],"dry_run":true,"max_parallel":2,"type":"restart"}`; string(b) != want {
		t.Errorf("body %s, want %s", b, want)
	}
}

// TestClusterRestartCLI runs `ringside cluster restart --watch` against a
// demo, then status in both forms.
func TestClusterRestartCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 6-node demo")
	}
	scfg, err := sim.TestConfig("dc1:3x1,dc2:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 100 * time.Millisecond, Configure: func(n *sim.Node, c *config.Config) {
		c.Lifecycle.Grace = 100 * time.Millisecond
		c.Desires.Interval = 100 * time.Millisecond
		c.Desires.LeaseTTL = time.Second
		c.Desires.RestartEstimate = 2 * time.Second
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	u := d.Sidecars[0].URL
	run := func(args ...string) (string, string, int) {
		var o, e bytes.Buffer
		err := runCluster(append(args, "--url", u), &o, &e)
		t.Logf("ringside cluster %s\n%s%s=> exit %d (%v)", strings.Join(args, " "), o.String(), e.String(), exitCodeOf(err), err)
		return o.String(), e.String(), exitCodeOf(err)
	}
	out, _, code := run("restart", "--within", "10s", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run (nothing stored)") || !strings.Contains(out, "WAVE") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	out, errOut, code := run("restart", "--within", "10s", "--watch", "--poll", "200ms")
	if code != 0 || !strings.Contains(out, "DONE") || !strings.Contains(errOut, "nodes") {
		t.Fatalf("restart --watch: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = run("status", "--json")
	var doc struct {
		Desires []struct {
			State string `json:"state"`
		} `json:"desires"`
		NodeStates map[string]any `json:"node_states"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Desires) != 1 || doc.Desires[0].State != "DONE" {
		t.Fatalf("status --json: exit %d\n%s", code, out)
	}
	if done, _ := doc.NodeStates["DONE"].([]any); len(done) != 6 {
		t.Errorf("node_states DONE: %v", doc.NodeStates)
	}
	if _, _, code = run("pause"); code != 1 {
		t.Errorf("pause of a finished desire: exit %d, want 1", code)
	}
}
