package health

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/ringside/ringside/node"
)

// Replica is GET /v1/health/replica: can this node safely act as a
// replica? The CEP's fields (cassandra_running, config_sync, corrupt_sstables,
// gossip_active, id, tokens) plus:
//
//   - config_diff: the settings whose cassandra.yaml value differs from the
//     running one ({key, on_disk, running}); [] when none;
//   - config_unknown_keys, config_error (when any): yaml keys the settings
//     table does not know, and why config_sync is UNKNOWN;
//   - corrupt_sstable_files: every damaged component found (corrupt_sstables
//     counts SSTables, a damaged SSTable may have several);
//   - as_of, data_age_seconds, data_sources, errors, reasons as in Coordinator.
//
// Healthy (200) means Cassandra runs, gossip is active, no SSTable is
// corrupt, the snapshot is fresh, and — only with
// cfg.ConfigSyncFailsReplica — config_sync is GOOD.
func Replica(s *node.Snapshot, sync ConfigSync, corrupt []CorruptSSTable, cfg Config, now time.Time) (map[string]any, bool) {
	rep := map[string]any{}
	var reasons []string
	rep["cassandra_running"] = s.CassandraRunning
	rep["gossip_active"] = s.GossipActive
	if s.HostID != "" {
		rep["id"] = s.HostID
	} else {
		rep["id"] = nil
	}
	rep["tokens"] = sortTokens(s.Tokens)
	if s.OperationMode != "" {
		rep["operation_mode"] = s.OperationMode
	}
	fresh, staleReason := addAge(rep, s.Taken, now, cfg.maxAge())
	if !fresh {
		reasons = append(reasons, staleReason)
	}
	addSources(rep, s)
	if !s.CassandraRunning {
		reasons = append(reasons, "cassandra is not running")
	}
	if !s.GossipActive {
		reasons = append(reasons, "gossip is not active")
	}

	status := sync.Status
	if status == "" {
		status = SyncUnknown
	}
	rep["config_sync"] = status
	diff := sync.Differences
	if diff == nil {
		diff = []Difference{}
	}
	rep["config_diff"] = diff
	if len(sync.Unknown) > 0 {
		rep["config_unknown_keys"] = sync.Unknown
	}
	if sync.Error != "" {
		rep["config_error"] = sync.Error
	}
	if cfg.ConfigSyncFailsReplica && status != SyncGood {
		r := "cassandra.yaml is not in sync with the running settings (" + status + ")"
		if len(diff) > 0 {
			r = fmt.Sprintf("cassandra.yaml differs from the running settings in %d setting(s), e.g. %s", len(diff), diff[0].Key)
		}
		reasons = append(reasons, r)
	}

	files := corrupt
	if files == nil {
		files = []CorruptSSTable{}
	}
	n := countSSTables(corrupt)
	rep["corrupt_sstables"] = n
	rep["corrupt_sstable_files"] = files
	if n > 0 {
		reasons = append(reasons, fmt.Sprintf("%d corrupt SSTable(s), e.g. %s: %s", n, corrupt[0].File, corrupt[0].Reason))
	}
	if len(s.Errors) > 0 {
		rep["errors"] = s.Errors
	}
	healthy := len(reasons) == 0
	if !healthy {
		rep["reasons"] = reasons
	}
	return rep, healthy
}

// countSSTables counts distinct SSTables among the damaged files.
func countSSTables(c []CorruptSSTable) int {
	seen := map[string]bool{}
	for _, x := range c {
		k := x.SSTable
		if k == "" {
			k = x.File
		}
		seen[k] = true
	}
	return len(seen)
}

// sortTokens orders Murmur3 tokens numerically (as the ring does), keeping
// their decimal form; anything that is not a number sorts last.
func sortTokens(toks []string) []string {
	out := append([]string{}, toks...)
	sort.SliceStable(out, func(i, j int) bool {
		a, ea := strconv.ParseInt(out[i], 10, 64)
		b, eb := strconv.ParseInt(out[j], 10, 64)
		switch {
		case ea == nil && eb == nil:
			return a < b
		case (ea == nil) != (eb == nil):
			return ea == nil
		}
		return out[i] < out[j]
	})
	return out
}
