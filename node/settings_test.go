package node

import (
	"context"
	"strings"
	"testing"
)

// TestSettings reads system_views.settings afresh: a JMX change shows at
// once, null values are left out, a stopped node is an error.
func TestSettings(t *testing.T) {
	c := startCluster(t, "dc1:1x1", nil)
	n := c.Nodes()[0]
	a := adapterFor(t, c, n)
	ctx := context.Background()
	s, err := a.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s["compaction_throughput"] != "64MiB/s" || s["compaction_throughput_mb_per_sec"] != "64" || len(s) < 400 {
		t.Fatalf("settings: %d rows, compaction_throughput %q", len(s), s["compaction_throughput"])
	}
	if _, ok := s["allocate_tokens_for_keyspace"]; ok { // null on a 4.1 node
		t.Error("a null setting is in the map")
	}
	if _, err := a.Jolokia().Write(ctx, StorageServiceMBean, "CompactionThroughputMbPerSec", 12); err != nil {
		t.Fatal(err)
	}
	if s, err = a.Settings(ctx); err != nil || s["compaction_throughput"] != "12MiB/s" || s["compaction_throughput_mb_per_sec"] != "12" {
		t.Fatalf("after the write: %q %q %v", s["compaction_throughput"], s["compaction_throughput_mb_per_sec"], err)
	}
	n.Kill()
	if _, err := a.Settings(ctx); err == nil || !strings.Contains(err.Error(), "cql") {
		t.Fatalf("stopped node: %v", err)
	}
}
