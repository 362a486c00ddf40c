package sidecar_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSettingsRefresh: a hot key and a restart-only key changed in a
// node's cassandra.yaml; POST /v1/settings?refresh=true sets the first
// through JMX and reports the second, on this node only or fanned out,
// and never writes the file.
func TestSettingsRefresh(t *testing.T) {
	t.Parallel()
	d := startDemo(t, "dc1:3x1", nil)
	const ss = "org.apache.cassandra.db:type=StorageService"
	edit := func(i int) string {
		p := d.Cluster.Nodes()[i].YAMLPath()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "compaction_throughput: 64MiB/s", "compaction_throughput: 32MiB/s", 1)
		s = regexp.MustCompile(`(?m)^num_tokens: \d+$`).ReplaceAllString(s, "num_tokens: 7")
		if s == string(b) || !strings.Contains(s, "num_tokens: 7") || !strings.Contains(s, "compaction_throughput: 32MiB/s") {
			t.Fatalf("cassandra.yaml lacks the lines to change:\n%s", b)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return s
	}
	file0 := edit(0)
	edit(1)
	base := d.Sidecars[0].URL + "/v1/settings"

	for _, bad := range []string{base, base + "?refresh=false", base + "?refresh=true&key=x"} {
		if code, m := post(t, bad); code != 400 || m["error"] == nil {
			t.Errorf("POST %s: %d %v", bad, code, m)
		}
	}
	if v := jmxRead(t, d, d.Sidecars[0].Node, ss, "CompactionThroughputMbPerSec"); v != "64" {
		t.Fatalf("a refused refresh changed the node: %s", v)
	}

	code, m := post(t, base+"/?refresh=true")
	if code != 200 {
		t.Fatalf("refresh: %d %v", code, m)
	}
	if a, _ := m["applied"].(map[string]any); a["compaction_throughput"] != "32MiB/s" || len(a) != 1 {
		t.Errorf("applied %v, want compaction_throughput 32MiB/s only", m["applied"])
	}
	restart, _ := m["needs_restart"].([]any)
	if len(restart) != 1 || restart[0].(map[string]any)["key"] != "num_tokens" {
		t.Errorf("needs_restart %v, want num_tokens", m["needs_restart"])
	}
	if v := jmxRead(t, d, d.Sidecars[0].Node, ss, "CompactionThroughputMbPerSec"); v != "32" {
		t.Errorf("CompactionThroughputMbPerSec after refresh = %s", v)
	}
	if v := jmxRead(t, d, d.Sidecars[1].Node, ss, "CompactionThroughputMbPerSec"); v != "64" {
		t.Errorf("a local refresh changed another node: %s", v)
	}
	if b, _ := os.ReadFile(d.Cluster.Nodes()[0].YAMLPath()); string(b) != file0 {
		t.Error("refresh wrote cassandra.yaml")
	}

	// The whole cluster: node 1 follows its file, node 2's file agrees
	// already, node 0 has nothing left to apply.
	code, m = post(t, base+"?refresh=true&scope=cluster")
	if code != 200 || len(m["failure"].([]any)) != 0 {
		t.Fatalf("cluster refresh: %d %v", code, m)
	}
	for _, n := range m["nodes"].([]any) {
		n := n.(map[string]any)
		rt := n["runtime"].(map[string]any)
		applied := rt["applied"].(map[string]any)
		want := 0
		if n["address"] == d.Sidecars[1].Node.Addr.String() {
			want = 1
		}
		if len(applied) != want {
			t.Errorf("node %v applied %v, want %d key(s)", n["address"], applied, want)
		}
	}
	if v := jmxRead(t, d, d.Sidecars[1].Node, ss, "CompactionThroughputMbPerSec"); v != "32" {
		t.Errorf("node 1 after the cluster refresh: %s", v)
	}
	if v := jmxRead(t, d, d.Sidecars[2].Node, ss, "CompactionThroughputMbPerSec"); v != "64" {
		t.Errorf("node 2, whose file says 64MiB/s: %s", v)
	}
}
