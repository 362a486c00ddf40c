package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/schema"
)

// Each node with a directory gets the Debian layout under <dir>/<address>:
// conf/cassandra.yaml, data/<keyspace>/<table>-<id>/ with SSTables, commitlog/,
// hints/, saved_caches/, agents/ (CEP-1's JVM agents; conf/cassandra-env.sh
// decides whether they load), the pidfile cassandra.pid, and bin/ scripts that
// start, stop and kill the node through the simulator's control API, and
// bin/nodetool (nodetool_client.go).

// sstableComponents are the files a flush writes for a BIG-format ("nb")
// SSTable of t in 4.1 (SSTableWriter.components): CompressionInfo.db when
// the table is compressed, CRC.db when not, Filter.db unless
// bloom_filter_fp_chance is 1.0, and the TOC.txt that lists them.
func sstableComponents(t *schema.Table) []string {
	comps := []string{"Data.db", "Index.db", "Summary.db"}
	if fp, ok := t.Options["bloom_filter_fp_chance"].(float64); !ok || fp < 1.0 {
		comps = append(comps, "Filter.db")
	}
	comps = append(comps, "Statistics.db")
	if compressed(t) {
		comps = append(comps, "CompressionInfo.db")
	} else {
		comps = append(comps, "CRC.db")
	}
	return append(comps, "Digest.crc32", "TOC.txt")
}

// compressed reports whether t's compression option enables compression:
// {'enabled': 'false'} or an empty class turn it off (CompressionParams.fromMap).
func compressed(t *schema.Table) bool {
	pairs, _ := t.Options["compression"].([]cqltype.Pair)
	if len(pairs) == 0 {
		return true
	}
	for _, p := range pairs {
		k, v := fmt.Sprint(p.Key), fmt.Sprint(p.Value)
		if (k == "enabled" && strings.EqualFold(v, "false")) || ((k == "class" || k == "sstable_compression") && v == "") {
			return false
		}
	}
	return true
}

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
		for _, sub := range []string{"conf", "data", "commitlog", "hints", "saved_caches", "bin", "agents"} {
			if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(n.YAMLPath(), []byte(n.cassandraYAML()), 0o644); err != nil {
			return err
		}
		// Kept across simulator runs: an operator may have added CEP-1's agents snippet (mbeans_runtime.go).
		if _, err := os.Stat(n.EnvPath()); os.IsNotExist(err) {
			if err := os.WriteFile(n.EnvPath(), []byte(envSH), 0o644); err != nil {
				return err
			}
		}
		for _, op := range []string{"start", "stop", "kill"} {
			script := fmt.Sprintf("#!/bin/sh\n# %s this simulated node through the ringside simulator's control API.\nexec \"${RINGSIDE:-%s}\" sim ctl --control %s %s %s \"$@\"\n", op, exe, c.cfg.ControlAddr, op, n.Addr)
			if err := os.WriteFile(filepath.Join(d, "bin", "cassandra-"+op), []byte(script), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(n.NodetoolPath(), []byte(n.nodetoolScript(exe)), 0o755); err != nil {
			return err
		}
		// Every node has flushed system.local at least once.
		if ks := c.schema.keyspace("system"); ks != nil {
			if t := ks.Table("local"); t != nil {
				if _, err := n.writeSSTable(t, []byte("local\n")); err != nil {
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
		"trickle_fsync", "trickle_fsync_interval", "concurrent_reads", "concurrent_writes", "read_request_timeout", "write_request_timeout",
		// Set in the stock 4.1.6 cassandra.yaml; cas_contention_timeout
		// there (1000ms) is not Config.java's default (1800ms).
		"batchlog_replay_throttle", "cas_contention_timeout", "range_request_timeout", "counter_write_request_timeout", "truncate_request_timeout",
		"request_timeout", "tombstone_warn_threshold", "tombstone_failure_threshold", "column_index_size", "incremental_backups"}
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

func (n *Node) tableDir(t *schema.Table) string {
	return filepath.Join(n.DataDir(), t.Keyspace, tableDirName(t))
}

// writeSSTable writes a flushed SSTable of t holding data and returns its
// descriptor path (".../nb-3-big").
func (n *Node) writeSSTable(t *schema.Table, data []byte) (string, error) {
	dir := n.tableDir(t)
	comps := sstableComponents(t)
	return writeNewSSTable(dir, "nb", "big", func(prefix string) error {
		for _, comp := range comps {
			content := []byte(fmt.Sprintf("%s of %s.%s\n", comp, t.Keyspace, t.Name))
			switch comp {
			case "Data.db":
				content = data
			case "TOC.txt":
				content = []byte(strings.Join(comps, "\n") + "\n")
			}
			if err := os.WriteFile(prefix+comp, content, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// dirLocks serialises the SSTable writers of one table directory (flush,
// stream) so that each takes a generation of its own.
var dirLocks sync.Map // directory → *sync.Mutex

// writeNewSSTable gives a new SSTable in dir the next generation — one
// above the highest there, as ColumnFamilyStore's generator starts from
// the highest on disk — and has write create its files under
// <dir>/<version>-<gen>-<format>-.
func writeNewSSTable(dir, version, format string, write func(prefix string) error) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	mu, _ := dirLocks.LoadOrStore(dir, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	gen := 0
	for _, e := range entries {
		if m := generationOf.FindStringSubmatch(e.Name()); m != nil {
			if g, err := strconv.Atoi(m[1]); err == nil && g > gen {
				gen = g
			}
		}
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%d-%s", version, gen+1, format))
	return base, write(base + "-")
}

// generationOf finds the (sequential) generation in a component's name.
var generationOf = regexp.MustCompile(`^[a-z]{2}-([0-9]+)-[a-z]+-`)

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
			if _, err := n.writeSSTable(t, []byte(dump.String())); err != nil {
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

// Corrupt damages one SSTable of the node: mode "missing" deletes its
// Index.db (which TOC.txt, when there is one, lists, and without which
// Cassandra cannot open it), "empty" truncates Data.db. It returns the file
// touched.
func (n *Node) Corrupt(mode string) (string, error) {
	if mode != "" && mode != "missing" && mode != "empty" {
		return "", fmt.Errorf("corruption mode %q: want missing or empty", mode)
	}
	if n.DataDir() == "" {
		return "", errors.New("node has no data directory (start the simulator with a directory)")
	}
	var data []string
	filepath.Walk(n.DataDir(), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, "-Data.db") {
			data = append(data, p)
		}
		return nil
	})
	if len(data) == 0 {
		return "", errors.New("node has no SSTables")
	}
	sort.Strings(data)
	// Prefer a user table's SSTable: corrupting system.local is less telling.
	f := data[0]
	for _, p := range data {
		if !strings.Contains(p, string(filepath.Separator)+"system") {
			f = p
			break
		}
	}
	base := strings.TrimSuffix(f, "Data.db")
	if mode == "empty" {
		return f, os.Truncate(f, 0)
	}
	f = base + "Index.db"
	return f, os.Remove(f)
}
