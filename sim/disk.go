package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/schema"
)

// Each node with a directory gets the Debian layout under <dir>/<address>:
// conf/cassandra.yaml, data/<keyspace>/<table>-<id>/ with SSTables, commitlog/,
// hints/, saved_caches/, the pidfile cassandra.pid, and bin/ scripts that
// start, stop and kill the node through the simulator's control API.

// sstableComponents are the files of a BIG-format ("nb") SSTable in 4.1.
var sstableComponents = []string{"Data.db", "Index.db", "Summary.db", "Filter.db", "Statistics.db", "CompressionInfo.db", "Digest.crc32", "TOC.txt"}

func (n *Node) dir() string {
	if n.c.cfg.Dir == "" {
		return ""
	}
	return filepath.Join(n.c.cfg.Dir, n.Addr.String())
}

func (n *Node) pidfile() string { return filepath.Join(n.dir(), "cassandra.pid") }

// YAMLPath is the node's cassandra.yaml ("" without a directory).
func (n *Node) YAMLPath() string {
	if n.dir() == "" {
		return ""
	}
	return filepath.Join(n.dir(), "conf", "cassandra.yaml")
}

// PIDFile is the node's pidfile ("" without a directory).
func (n *Node) PIDFile() string {
	if n.dir() == "" {
		return ""
	}
	return n.pidfile()
}

// DataDir is the node's data_file_directories entry.
func (n *Node) DataDir() string {
	if n.dir() == "" {
		return ""
	}
	return filepath.Join(n.dir(), "data")
}

func tableDirName(t *schema.Table) string {
	return t.Name + "-" + strings.ReplaceAll(t.ID.String(), "-", "")
}

func (c *Cluster) writeDirs() error {
	exe, _ := os.Executable()
	for _, n := range c.nodes {
		d := n.dir()
		for _, sub := range []string{"conf", "data", "commitlog", "hints", "saved_caches", "bin"} {
			if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(n.YAMLPath(), []byte(n.cassandraYAML()), 0o644); err != nil {
			return err
		}
		for _, op := range []string{"start", "stop", "kill"} {
			script := fmt.Sprintf("#!/bin/sh\n# %s this simulated node through the ringside simulator's control API.\nexec \"${RINGSIDE:-%s}\" sim ctl --control %s %s %s \"$@\"\n", op, exe, c.cfg.ControlAddr, op, n.Addr)
			if err := os.WriteFile(filepath.Join(d, "bin", "cassandra-"+op), []byte(script), 0o755); err != nil {
				return err
			}
		}
		// Every node has flushed system.local at least once.
		if ks := c.schema.keyspace("system"); ks != nil {
			if t := ks.Table("local"); t != nil {
				if err := n.writeSSTable(t, 1, []byte("local\n")); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// cassandraYAML renders the node's configuration file from the same values
// its system_views.settings reports, so that they agree until someone
// changes one side.
func (n *Node) cassandraYAML() string {
	s := n.baseYAMLSettings()
	var b strings.Builder
	fmt.Fprintf(&b, "# cassandra.yaml of simulated node %s (ringside sim)\n", n.Addr)
	keys := []string{"cluster_name", "num_tokens", "authenticator", "authorizer", "partitioner", "commitlog_directory", "hints_directory", "saved_caches_directory", "cdc_raw_directory",
		"listen_address", "rpc_address", "storage_port", "native_transport_port", "endpoint_snitch",
		"compaction_throughput", "concurrent_compactors", "stream_throughput_outbound", "inter_dc_stream_throughput_outbound",
		"hinted_handoff_enabled", "hinted_handoff_throttle", "max_hint_window", "batch_size_warn_threshold", "batch_size_fail_threshold",
		"trickle_fsync", "trickle_fsync_interval", "concurrent_reads", "concurrent_writes", "read_request_timeout", "write_request_timeout"}
	for _, k := range keys {
		if v, ok := s[k]; ok && v != nil {
			fmt.Fprintf(&b, "%s: %s\n", k, *v)
		}
	}
	fmt.Fprintf(&b, "data_file_directories:\n    - %s\n", strings.Trim(*s["data_file_directories"], "[]"))
	fmt.Fprintf(&b, "seed_provider:\n    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n      parameters:\n          - seeds: \"%s\"\n", strings.Join(n.c.seeds(), ","))
	return b.String()
}

// baseYAMLSettings are the settings as they are at start (before any hot change).
func (n *Node) baseYAMLSettings() map[string]*string {
	n.rt.mu.Lock()
	saved := n.rt.settings
	n.rt.settings = defaultHotSettings()
	n.rt.mu.Unlock()
	s := n.settings()
	n.rt.mu.Lock()
	n.rt.settings = saved
	n.rt.mu.Unlock()
	return s
}

// tableCreated makes the table's data directory on every node.
func (c *Cluster) tableCreated(t *schema.Table) {
	if c.cfg.Dir == "" {
		return
	}
	for _, n := range c.nodes {
		os.MkdirAll(filepath.Join(n.DataDir(), t.Keyspace, tableDirName(t)), 0o755)
	}
}

func (n *Node) writeSSTable(t *schema.Table, gen int, data []byte) error {
	dir := filepath.Join(n.DataDir(), t.Keyspace, tableDirName(t))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	prefix := filepath.Join(dir, fmt.Sprintf("nb-%d-big-", gen))
	for _, comp := range sstableComponents {
		var content []byte
		switch comp {
		case "Data.db":
			content = data
		case "TOC.txt":
			content = []byte(strings.Join(sstableComponents, "\n") + "\n")
		default:
			content = []byte(fmt.Sprintf("%s of %s.%s generation %d\n", comp, t.Keyspace, t.Name, gen))
		}
		if err := os.WriteFile(prefix+comp, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// flushKeyspace writes an SSTable for every table of ks with unflushed data
// (tables: all when empty). It returns the number of SSTables written.
func (n *Node) flushKeyspace(ks string, tables []string) int {
	k := n.c.schema.keyspace(ks)
	if k == nil || n.store == nil {
		return 0
	}
	want := map[string]bool{}
	for _, t := range tables {
		want[t] = true
	}
	written := 0
	for _, t := range k.Tables {
		if len(want) > 0 && !want[t.Name] {
			continue
		}
		n.store.mu.Lock()
		td := n.store.tables[t.ID]
		if td == nil || td.dirty == 0 {
			n.store.mu.Unlock()
			continue
		}
		td.sstGen++
		gen := td.sstGen
		td.flushed += td.dirty
		td.dirty = 0
		var dump strings.Builder
		keys := make([]string, 0, len(td.parts))
		for key := range td.parts {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			fmt.Fprintf(&dump, "%x %d rows\n", key, len(td.parts[key].rows))
		}
		n.store.mu.Unlock()
		if n.dir() != "" {
			if err := n.writeSSTable(t, gen+1, []byte(dump.String())); err != nil {
				n.c.log.Error("flush failed", "node", n.Addr, "table", t.Name, "err", err)
				continue
			}
		}
		written++
	}
	return written
}

func (n *Node) flushAll() {
	for _, ks := range n.c.schema.keyspaces() {
		if !ks.Virtual {
			n.flushKeyspace(ks.Name, nil)
		}
	}
}

// Corrupt damages one SSTable of the node: mode "missing" deletes a component
// TOC.txt lists, "empty" truncates Data.db. It returns the file touched.
func (n *Node) Corrupt(mode string) (string, error) {
	if n.DataDir() == "" {
		return "", errors.New("node has no data directory (start the simulator with a directory)")
	}
	var tocs []string
	filepath.Walk(n.DataDir(), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, "-TOC.txt") {
			tocs = append(tocs, p)
		}
		return nil
	})
	if len(tocs) == 0 {
		return "", errors.New("node has no SSTables")
	}
	sort.Strings(tocs)
	// Prefer a user table's SSTable: corrupting system.local is less telling.
	toc := tocs[0]
	for _, p := range tocs {
		if !strings.Contains(p, string(filepath.Separator)+"system") {
			toc = p
			break
		}
	}
	base := strings.TrimSuffix(toc, "TOC.txt")
	switch mode {
	case "", "missing":
		f := base + "Index.db"
		return f, os.Remove(f)
	case "empty":
		f := base + "Data.db"
		return f, os.Truncate(f, 0)
	}
	return "", fmt.Errorf("corruption mode %q: want missing or empty", mode)
}

var _ = cqltype.UUID{}
