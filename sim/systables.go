package sim

import (
	_ "embed"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/schema"
)

// genFunc produces the rows of a table the node computes from its state
// (system.local, peers, schema tables, virtual tables).
type genFunc func(x *execCtx, t *schema.Table) []map[string]any

func generator(ks *schema.Keyspace, t *schema.Table) genFunc {
	switch ks.Name + "." + t.Name {
	case "system.local":
		return genLocal
	case "system.peers":
		return genPeers
	case "system.peers_v2":
		return genPeersV2
	case "system_schema.keyspaces":
		return genSchemaKeyspaces
	case "system_schema.tables":
		return genSchemaTables
	case "system_schema.columns":
		return genSchemaColumns
	case "system_schema.dropped_columns", "system_schema.triggers", "system_schema.views", "system_schema.types",
		"system_schema.functions", "system_schema.aggregates", "system_schema.indexes":
		return genEmpty
	case "system_virtual_schema.keyspaces":
		return genVirtualKeyspaces
	case "system_virtual_schema.tables":
		return genVirtualTables
	case "system_virtual_schema.columns":
		return genVirtualColumns
	case "system_views.settings":
		return genSettings
	case "system_views.gossip_info":
		return genGossipInfo
	case "system_views.clients":
		return genClients
	case "system_views.thread_pools":
		return genThreadPools
	case "system_views.sstable_tasks":
		return genSSTableTasks
	case "system_views.disk_usage":
		return genDiskUsage
	case "system_views.system_properties":
		return genSystemProperties
	case "system_views.pending_hints":
		return genPendingHints
	}
	if ks.Virtual {
		return genEmpty
	}
	return nil
}

func genEmpty(*execCtx, *schema.Table) []map[string]any { return nil }

// generate runs a generator and keys its rows for sorting: virtual tables
// sort by key (LocalPartitioner), the others by token like any table.
func (x *execCtx) generate(g genFunc, t *schema.Table) []*vrow {
	var out []*vrow
	for _, vals := range g(x, t) {
		r := &vrow{vals: vals}
		for _, c := range t.PartitionKey {
			r.pk = append(r.pk, vals[c.Name])
		}
		for _, c := range t.Clustering {
			r.ck = append(r.ck, vals[c.Name])
		}
		if key, err := serializeKey(t, r.pk); err == nil {
			r.tok = tokenOf(key)
		}
		out = append(out, r)
	}
	return out
}

func tokenStrings(toks []int64) []any {
	s := make([]any, len(toks))
	for i, t := range toks {
		s[i] = fmt.Sprint(t)
	}
	sort.Slice(s, func(i, j int) bool { return s[i].(string) < s[j].(string) })
	return s
}

func genLocal(x *execCtx, _ *schema.Table) []map[string]any {
	n := x.n
	c := n.c
	c.mu.Lock()
	gen := n.generation
	c.mu.Unlock()
	return []map[string]any{{
		"key":               "local",
		"bootstrapped":      "COMPLETED",
		"broadcast_address": n.Addr,
		"broadcast_port":    int32(c.cfg.StoragePort),
		"cluster_name":      c.cfg.ClusterName,
		"cql_version":       "3.4.6",
		"data_center":       n.DC,
		"gossip_generation": gen,
		"host_id":           n.HostID,
		"listen_address":    n.Addr,
		"listen_port":       int32(c.cfg.StoragePort),
		// ProtocolVersion.CURRENT (cql-system-tables.txt).
		"native_protocol_version": "5",
		"partitioner":             "org.apache.cassandra.dht.Murmur3Partitioner",
		"rack":                    n.Rack,
		"release_version":         n.Release,
		"rpc_address":             n.Addr,
		"rpc_port":                int32(c.cfg.NativePort),
		"schema_version":          c.schema.Version(),
		"tokens":                  tokenStrings(n.Tokens),
	}}
}

func genPeers(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	ver := x.n.c.schema.Version()
	for _, p := range x.n.c.nodes {
		if p == x.n {
			continue
		}
		out = append(out, map[string]any{
			"peer": p.Addr, "data_center": p.DC, "host_id": p.HostID, "rack": p.Rack,
			"release_version": p.Release, "rpc_address": p.Addr, "schema_version": ver, "tokens": tokenStrings(p.Tokens),
		})
	}
	return out
}

func genPeersV2(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	c := x.n.c
	ver := c.schema.Version()
	for _, p := range c.nodes {
		if p == x.n {
			continue
		}
		out = append(out, map[string]any{
			"peer": p.Addr, "peer_port": int32(c.cfg.StoragePort), "data_center": p.DC, "host_id": p.HostID,
			"native_address": p.Addr, "native_port": int32(c.cfg.NativePort), "rack": p.Rack,
			"release_version": p.Release, "schema_version": ver, "tokens": tokenStrings(p.Tokens),
		})
	}
	return out
}

func pairs(m map[string]string) []cqltype.Pair {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]cqltype.Pair, len(keys))
	for i, k := range keys {
		out[i] = cqltype.Pair{Key: k, Value: m[k]}
	}
	return out
}

func genSchemaKeyspaces(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	for _, ks := range x.n.c.schema.keyspaces() {
		if ks.Virtual {
			continue
		}
		out = append(out, map[string]any{"keyspace_name": ks.Name, "durable_writes": ks.DurableWrites, "replication": pairs(ks.Replication)})
	}
	return out
}

func genSchemaTables(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	for _, ks := range x.n.c.schema.keyspaces() {
		if ks.Virtual {
			continue
		}
		for _, t := range ks.Tables {
			r := map[string]any{"keyspace_name": ks.Name, "table_name": t.Name, "id": t.ID}
			for k, v := range t.Options {
				r[k] = v
			}
			out = append(out, r)
		}
	}
	return out
}

func columnRows(tables []*schema.Table) []map[string]any {
	var out []map[string]any
	for _, t := range tables {
		for _, c := range t.Columns {
			out = append(out, map[string]any{
				"keyspace_name": t.Keyspace, "table_name": t.Name, "column_name": c.Name,
				"clustering_order": c.ClusteringOrder, "column_name_bytes": []byte(c.Name),
				"kind": string(c.Kind), "position": int32(c.Position), "type": c.Type.String(),
			})
		}
	}
	return out
}

func genSchemaColumns(x *execCtx, _ *schema.Table) []map[string]any {
	var tables []*schema.Table
	for _, ks := range x.n.c.schema.keyspaces() {
		if !ks.Virtual {
			tables = append(tables, ks.Tables...)
		}
	}
	return columnRows(tables)
}

func genVirtualKeyspaces(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	for _, ks := range x.n.c.schema.keyspaces() {
		if ks.Virtual {
			out = append(out, map[string]any{"keyspace_name": ks.Name})
		}
	}
	return out
}

func genVirtualTables(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	for _, ks := range x.n.c.schema.keyspaces() {
		if ks.Virtual {
			for _, t := range ks.Tables {
				out = append(out, map[string]any{"keyspace_name": ks.Name, "table_name": t.Name, "comment": t.Comment})
			}
		}
	}
	return out
}

func genVirtualColumns(x *execCtx, _ *schema.Table) []map[string]any {
	var tables []*schema.Table
	for _, ks := range x.n.c.schema.keyspaces() {
		if ks.Virtual {
			tables = append(tables, ks.Tables...)
		}
	}
	return columnRows(tables)
}

//go:embed settings-4.1.6.txt
var settingsCapture string

type setting struct{ name, value string }

// baseSettings are the rows of system_views.settings of a real 4.1.6 node
// (testdata/cassandra-4.1.6/settings.txt), "null" meaning a null value.
var baseSettings = func() []setting {
	var out []setting
	for _, line := range strings.Split(settingsCapture, "\n") {
		name, value, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if name == "" || name == "name" || strings.HasPrefix(name, "-") {
			continue
		}
		out = append(out, setting{name, value})
	}
	return out
}()

// settings returns this node's current settings: the captured node's,
// with this node's identity, paths and hot-settings values.
func (n *Node) settings() map[string]*string {
	c := n.c
	m := make(map[string]*string, len(baseSettings))
	for _, s := range baseSettings {
		v := s.value
		if v == "null" {
			m[s.name] = nil
		} else {
			m[s.name] = &v
		}
	}
	set := func(k, v string) { m[k] = &v }
	set("cluster_name", c.cfg.ClusterName)
	set("listen_address", n.Addr.String())
	set("rpc_address", n.Addr.String())
	set("num_tokens", fmt.Sprint(c.cfg.NumTokens))
	set("native_transport_port", fmt.Sprint(c.cfg.NativePort))
	set("storage_port", fmt.Sprint(c.cfg.StoragePort))
	set("phi_convict_threshold", javaDouble(c.cfg.PhiConvictThreshold))
	// The simulator flushes hints at its own scaled period (hints.go).
	flushMs := c.cfg.HintsDispatchInterval.Milliseconds()
	set("hints_flush_period", fmt.Sprintf("%dms", flushMs))
	set("hints_flush_period_in_ms", fmt.Sprint(flushMs))
	set("seed_provider.parameters", "{seeds="+strings.Join(c.seeds(), ",")+"}")
	root := "/var/lib/cassandra"
	if d := n.dir(); d != "" {
		root = d
	}
	set("data_file_directories", "["+filepath.Join(root, "data")+"]")
	set("commitlog_directory", filepath.Join(root, "commitlog"))
	set("hints_directory", filepath.Join(root, "hints"))
	set("saved_caches_directory", filepath.Join(root, "saved_caches"))
	set("cdc_raw_directory", filepath.Join(root, "cdc_raw"))
	if c.cfg.Auth != nil {
		set("authenticator", "PasswordAuthenticator")
	}
	for k, v := range n.hotSettingRows() {
		set(k, v)
	}
	return m
}

// seeds are the first node of each DC, as address:storage_port.
func (c *Cluster) seeds() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range c.nodes {
		if !seen[n.DC] {
			seen[n.DC] = true
			out = append(out, n.Endpoint())
		}
	}
	return out
}

func genSettings(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	for k, v := range x.n.settings() {
		r := map[string]any{"name": k}
		if v != nil {
			r["value"] = *v
		}
		out = append(out, r)
	}
	return out
}

// genGossipInfo shows the endpoint states this node knows, as
// GossipInfoTable does (versions are plausible constants).
func genGossipInfo(x *execCtx, _ *schema.Table) []map[string]any {
	c := x.n.c
	ver := c.schema.Version().String()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, p := range c.nodes {
		if p.generation == 0 {
			continue // never seen
		}
		hb := c.heartbeat(p, time.Now())
		if !p.gossip && !p.silentSince.IsZero() {
			// Its gossip task stopped, and its heartbeat with it.
			hb = c.heartbeat(p, p.silentSince)
		}
		status := "NORMAL," + fmt.Sprint(p.Tokens[0])
		rpcReady := "true"
		if p.announced && !p.gossip {
			// A node that announced its shutdown: Gossiper.stop() on the
			// node itself; its peers' Gossiper.markAsShutdown also forces
			// the heartbeat to the highest version.
			status, rpcReady = "shutdown,true", "false"
			if p != x.n {
				hb = 2147483647
			}
		} else if p.cqlServer == nil {
			rpcReady = "false"
		}
		out = append(out, map[string]any{
			"address": p.Addr, "port": int32(c.cfg.StoragePort), "dc": p.DC, "dc_version": int32(13),
			"generation": p.generation, "heartbeat": hb, "host_id": p.HostID.String(), "host_id_version": int32(3),
			"hostname": p.Addr.String(), "internal_address_and_port": p.Endpoint(), "internal_address_and_port_version": int32(9),
			"internal_ip": p.Addr.String(), "internal_ip_version": int32(11), "load": fmt.Sprintf("%.1f", float64(p.load())), "load_version": int32(96),
			"native_address_and_port": p.nativeAddrPort().String(), "native_address_and_port_version": int32(4),
			"net_version": "12", "net_version_version": int32(2), "rack": p.Rack, "rack_version": int32(15),
			"release_version": p.Release, "release_version_version": int32(6), "rpc_address": p.Addr.String(), "rpc_address_version": int32(5),
			"rpc_ready": rpcReady, "rpc_ready_version": int32(25), "schema": ver, "schema_version": int32(17),
			"sstable_versions": "big-nb", "sstable_versions_version": int32(7), "status": status, "status_version": int32(23),
			"status_with_port": status, "status_with_port_version": int32(22), "tokens_version": int32(21),
		})
	}
	return out
}

func genClients(x *execCtx, _ *schema.Table) []map[string]any {
	x.n.c.mu.Lock()
	srv := x.n.cqlServer
	x.n.c.mu.Unlock()
	if srv == nil {
		return nil
	}
	var out []map[string]any
	for _, cn := range srv.Conns() {
		opts := cn.Options()
		ap := cn.RemoteAddr()
		r := map[string]any{
			"address": ap.Addr(), "port": int32(ap.Port()), "client_options": pairs(opts),
			"connection_stage": cn.Stage(), "hostname": ap.Addr().String(), "protocol_version": int32(cn.Version()),
			"request_count": cn.RequestCount(), "ssl_enabled": false, "username": cn.User(),
		}
		if v, ok := opts["DRIVER_NAME"]; ok {
			r["driver_name"] = v
		}
		if v, ok := opts["DRIVER_VERSION"]; ok {
			r["driver_version"] = v
		}
		out = append(out, r)
	}
	return out
}

// threadPools are the pools a real 4.1.6 node lists (cql-system-tables.txt).
var threadPools = []struct {
	name  string
	limit int32
}{
	{"CacheCleanupExecutor", 1}, {"CompactionExecutor", 2}, {"GossipStage", 1}, {"HintsDispatcher", 2},
	{"MemtableFlushWriter", 2}, {"MemtablePostFlush", 1}, {"MemtableReclaimMemory", 1}, {"MigrationStage", 1},
	{"MutationStage", 32}, {"Native-Transport-Requests", 128}, {"PendingRangeCalculator", 1},
	{"PerDiskMemtableFlushWriter_0", 2}, {"ReadStage", 32}, {"RequestResponseStage", 2}, {"Sampler", 1},
	{"SecondaryIndexManagement", 1}, {"ValidationExecutor", 2}, {"ViewBuildExecutor", 1},
}

func genThreadPools(x *execCtx, _ *schema.Table) []map[string]any {
	rt := x.n.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	active := int32(0)
	for range rt.tasks {
		active++
	}
	var out []map[string]any
	for _, p := range threadPools {
		r := map[string]any{"name": p.name, "active_tasks": int32(0), "active_tasks_limit": p.limit, "blocked_tasks": int64(0),
			"blocked_tasks_all_time": int64(0), "completed_tasks": rt.completed[p.name], "pending_tasks": int32(0)}
		switch p.name {
		case "CompactionExecutor":
			r["active_tasks"] = active
			if v, ok := rt.settings["concurrent_compactors"].(int); ok {
				r["active_tasks_limit"] = int32(v)
			}
		case "Native-Transport-Requests":
			r["completed_tasks"] = rt.requests.Load()
		}
		out = append(out, r)
	}
	return out
}

func genSSTableTasks(x *execCtx, _ *schema.Table) []map[string]any {
	rt := x.n.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var out []map[string]any
	for _, t := range rt.tasks {
		ratio := 0.0
		if t.Total > 0 {
			ratio = float64(t.Progress) / float64(t.Total)
		}
		out = append(out, map[string]any{"keyspace_name": t.Keyspace, "table_name": t.Table, "task_id": cqltype.UUID(t.ID),
			"completion_ratio": ratio, "kind": t.Kind, "progress": t.Progress, "sstables": int32(1), "total": t.Total, "unit": "bytes"})
	}
	return out
}

func genDiskUsage(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	sizes := x.n.tableSizes()
	for _, ks := range x.n.c.schema.keyspaces() {
		if ks.Virtual {
			continue
		}
		for _, t := range ks.Tables {
			out = append(out, map[string]any{"keyspace_name": ks.Name, "table_name": t.Name, "mebibytes": (sizes[t.ID] + 1<<20 - 1) >> 20})
		}
	}
	return out
}

func genSystemProperties(x *execCtx, _ *schema.Table) []map[string]any {
	props := map[string]string{
		"cassandra.jmx.local.port": "7199", "java.vm.name": "OpenJDK 64-Bit Server VM", "line.separator": "\n",
		"os.arch": "amd64", "os.name": "Linux", "sun.arch.data.model": "64", "user.home": "/var/lib/cassandra",
		"cassandra.storagedir": "/var/lib/cassandra",
	}
	if d := x.n.dir(); d != "" {
		props["cassandra-pidfile"] = x.n.pidfile()
		props["cassandra.storagedir"] = d
	}
	var out []map[string]any
	for k, v := range props {
		out = append(out, map[string]any{"name": k, "value": v})
	}
	return out
}

// load is the node's data size in bytes, as gossip's LOAD state carries it.
func (n *Node) load() int64 {
	var total int64
	for _, s := range n.tableSizes() {
		total += s
	}
	return total
}

func (n *Node) tableSizes() map[cqltype.UUID]int64 {
	out := map[cqltype.UUID]int64{}
	if n.store == nil {
		return out
	}
	n.store.mu.RLock()
	defer n.store.mu.RUnlock()
	for id, td := range n.store.tables {
		out[id] = td.flushed + td.dirty
	}
	return out
}

var _ = netip.Addr{}
