package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ringside/ringside/sim/cqltype"
)

// Names of Cassandra's system keyspaces (schema/SchemaConstants.java).
const (
	SystemKeyspaceName        = "system"
	SchemaKeyspaceName        = "system_schema"
	AuthKeyspaceName          = "system_auth"
	DistributedKeyspaceName   = "system_distributed"
	TraceKeyspaceName         = "system_traces"
	VirtualViewsKeyspaceName  = "system_views"
	VirtualSchemaKeyspaceName = "system_virtual_schema"
)

// Replication strategy classes as system_schema.keyspaces spells them.
const (
	LocalStrategy           = "org.apache.cassandra.locator.LocalStrategy"
	SimpleStrategy          = "org.apache.cassandra.locator.SimpleStrategy"
	NetworkTopologyStrategy = "org.apache.cassandra.locator.NetworkTopologyStrategy"
)

// IsSystemKeyspace reports whether name is one of the keyspaces
// SystemKeyspaces returns.
func IsSystemKeyspace(name string) bool {
	switch name {
	case SystemKeyspaceName, SchemaKeyspaceName, AuthKeyspaceName, DistributedKeyspaceName,
		TraceKeyspaceName, VirtualViewsKeyspaceName, VirtualSchemaKeyspaceName:
		return true
	}
	return false
}

// tableDef declares a system or virtual table the way the Java sources do:
// partition key and clustering columns in key order, and every column as
// "name type" with the type as system_schema.columns prints it. No system
// table of 4.1 declares a CLUSTERING ORDER, so all clustering columns are asc.
type tableDef struct {
	name    string
	comment string
	pk      []string
	ck      []string
	cols    []string
	params  func(p *tableParams) // per-table TableParams overrides
}

func keys(s ...string) []string { return s }

// build turns the definition into a Table. Options are filled for real
// (non-virtual) tables only: virtual tables have no system_schema.tables row
// (system_virtual_schema.tables only holds their comment).
func (d tableDef) build(ks string, virtual bool, base tableParams) *Table {
	t := &Table{
		Keyspace: ks,
		Name:     d.name,
		ID:       TableIDFor(ks, d.name),
		Virtual:  virtual,
		Comment:  d.comment,
	}
	pkPos := map[string]int{}
	for i, n := range d.pk {
		pkPos[n] = i
	}
	ckPos := map[string]int{}
	for i, n := range d.ck {
		ckPos[n] = i
	}
	seen := map[string]bool{}
	for _, spec := range d.cols {
		name, typ, ok := strings.Cut(spec, " ")
		if !ok {
			panic(fmt.Sprintf("schema: bad column spec %q in %s.%s", spec, ks, d.name))
		}
		ct, err := cqltype.Parse(typ)
		if err != nil {
			panic(fmt.Sprintf("schema: %s.%s.%s: %v", ks, d.name, name, err))
		}
		if seen[name] {
			panic(fmt.Sprintf("schema: duplicate column %s.%s.%s", ks, d.name, name))
		}
		seen[name] = true
		c := &Column{Name: name, Kind: Regular, Position: -1, Type: ct, ClusteringOrder: "none"}
		if i, ok := pkPos[name]; ok {
			c.Kind, c.Position = PartitionKey, i
		} else if i, ok := ckPos[name]; ok {
			c.Kind, c.Position, c.ClusteringOrder = Clustering, i, "asc"
		}
		t.Columns = append(t.Columns, c)
	}
	if err := t.index(); err != nil {
		panic(fmt.Sprintf("schema: %s.%s: %v", ks, d.name, err))
	}
	if !virtual {
		p := base
		p.comment = d.comment
		if d.params != nil {
			d.params(&p)
		}
		t.Options = p.options()
	}
	return t
}

func buildKeyspace(name string, replication map[string]string, virtual bool, base tableParams, defs []tableDef) *Keyspace {
	ks := &Keyspace{
		Name:          name,
		Replication:   replication,
		DurableWrites: true,
		Virtual:       virtual,
	}
	for _, d := range defs {
		ks.Tables = append(ks.Tables, d.build(name, virtual, base))
	}
	sort.Slice(ks.Tables, func(i, j int) bool { return ks.Tables[i].Name < ks.Tables[j].Name })
	return ks
}

// SystemKeyspaces returns fresh copies of Cassandra 4.1's system keyspaces,
// sorted by name: system, system_auth, system_distributed, system_schema,
// system_traces (real tables) and system_views, system_virtual_schema
// (virtual). Every table and column of a real 4.1.6 node is there
// (testdata/cassandra-4.1.6/system-schema.tsv), with the key layout and
// comments of the Java definitions and the table options they set.
func SystemKeyspaces() []*Keyspace {
	local := map[string]string{"class": LocalStrategy}
	simple := func(rf string) map[string]string {
		return map[string]string{"class": SimpleStrategy, "replication_factor": rf}
	}

	// db/SystemKeyspace.java parse(): gcGraceSeconds(0),
	// memtableFlushPeriod(1 hour). KeyspaceParams.local().
	sysBase := defaultParams()
	sysBase.gcGraceSeconds = 0
	sysBase.memtableFlushMS = 3600000

	// schema/SchemaKeyspace.java parse(): gcGraceSeconds(7 days),
	// memtableFlushPeriod(1 hour). KeyspaceParams.local().
	schemaBase := defaultParams()
	schemaBase.gcGraceSeconds = 604800
	schemaBase.memtableFlushMS = 3600000

	// auth/AuthKeyspace.java parse(): gcGraceSeconds(90 days).
	// KeyspaceParams.simple(max(1, default_keyspace_rf)): 1 is
	// cassandra.system_auth.default_rf (CassandraRelevantProperties).
	authBase := defaultParams()
	authBase.gcGraceSeconds = 7776000

	// schema/SystemDistributedKeyspace.java parse(): defaults.
	// KeyspaceParams.simple(max(3, default_keyspace_rf)): 3 is
	// cassandra.system_distributed.default_rf.
	distBase := defaultParams()

	// tracing/TraceKeyspace.java parse(): gcGraceSeconds(0).
	// KeyspaceParams.simple(max(2, default_keyspace_rf)): 2 is
	// cassandra.system_traces.default_rf.
	traceBase := defaultParams()
	traceBase.gcGraceSeconds = 0

	// Virtual keyspaces: KeyspaceMetadata.virtual uses KeyspaceParams.local()
	// (LocalStrategy, durable_writes true); they do not appear in
	// system_schema.keyspaces, only in system_virtual_schema.keyspaces.
	return []*Keyspace{
		buildKeyspace(SystemKeyspaceName, local, false, sysBase, systemTables()),
		buildKeyspace(AuthKeyspaceName, simple("1"), false, authBase, authTables()),
		buildKeyspace(DistributedKeyspaceName, simple("3"), false, distBase, distributedTables()),
		buildKeyspace(SchemaKeyspaceName, local, false, schemaBase, schemaTables()),
		buildKeyspace(TraceKeyspaceName, simple("2"), false, traceBase, traceTables()),
		buildKeyspace(VirtualViewsKeyspaceName, local, true, tableParams{}, viewsTables()),
		buildKeyspace(VirtualSchemaKeyspaceName, local, true, tableParams{}, virtualSchemaTables()),
	}
}

// systemTables are the tables of db/SystemKeyspace.java (4.1), legacy ones
// included.
func systemTables() []tableDef {
	const peersComment = "information about known peers in the cluster"
	const peerEventsComment = "events related to peers"
	const availableComment = "available keyspace/ranges during bootstrap/replace that are ready to be served"
	const transferredComment = "record of transferred ranges for streaming operation"
	const activityComment = "historic sstable read rates"
	return []tableDef{
		{name: "IndexInfo", comment: "built column indexes",
			pk: keys("table_name"), ck: keys("index_name"),
			cols: keys("index_name text", "table_name text", "value blob")},
		{name: "available_ranges", comment: availableComment,
			pk:   keys("keyspace_name"),
			cols: keys("keyspace_name text", "ranges set<blob>")},
		{name: "available_ranges_v2", comment: availableComment,
			pk:   keys("keyspace_name"),
			cols: keys("full_ranges set<blob>", "keyspace_name text", "transient_ranges set<blob>")},
		{name: "batches", comment: "batches awaiting replay",
			pk:   keys("id"),
			cols: keys("id timeuuid", "mutations list<blob>", "version int"),
			params: func(p *tableParams) {
				p.compactionOpts = map[string]string{"min_threshold": "2"}
			}},
		{name: "built_views", comment: "built views",
			pk: keys("keyspace_name"), ck: keys("view_name"),
			cols: keys("keyspace_name text", "status_replicated boolean", "view_name text")},
		{name: "compaction_history", comment: "week-long compaction history",
			pk: keys("id"),
			cols: keys("bytes_in bigint", "bytes_out bigint", "columnfamily_name text",
				"compacted_at timestamp", "id timeuuid", "keyspace_name text",
				"rows_merged map<int, bigint>"),
			params: func(p *tableParams) { p.defaultTTL = 7 * 24 * 3600 }},
		{name: "local", comment: "information about the local node",
			pk: keys("key"),
			cols: keys("bootstrapped text", "broadcast_address inet", "broadcast_port int",
				"cluster_name text", "cql_version text", "data_center text",
				"gossip_generation int", "host_id uuid", "key text", "listen_address inet",
				"listen_port int", "native_protocol_version text", "partitioner text",
				"rack text", "release_version text", "rpc_address inet", "rpc_port int",
				"schema_version uuid", "tokens set<text>", "truncated_at map<uuid, blob>")},
		{name: "paxos", comment: "in-progress paxos proposals",
			pk: keys("row_key"), ck: keys("cf_id"),
			cols: keys("cf_id uuid", "in_progress_ballot timeuuid", "in_progress_read_ballot timeuuid",
				"most_recent_commit blob", "most_recent_commit_at timeuuid",
				"most_recent_commit_version int", "proposal blob", "proposal_ballot timeuuid",
				"proposal_version int", "row_key blob"),
			params: func(p *tableParams) { p.compactionClass = LCSClass }},
		// The CQL carries WITH COMMENT='Last successful paxos repairs by
		// range', but parse() then sets .comment(description).
		{name: "paxos_repair_history", comment: "paxos repair history",
			pk: keys("keyspace_name"), ck: keys("table_name"),
			cols: keys("keyspace_name text", "points frozen<list<frozen<tuple<blob, timeuuid>>>>",
				"table_name text")},
		{name: "peer_events", comment: peerEventsComment,
			pk:   keys("peer"),
			cols: keys("hints_dropped map<timeuuid, int>", "peer inet")},
		{name: "peer_events_v2", comment: peerEventsComment,
			pk: keys("peer"), ck: keys("peer_port"),
			cols: keys("hints_dropped map<timeuuid, int>", "peer inet", "peer_port int")},
		{name: "peers", comment: peersComment,
			pk: keys("peer"),
			cols: keys("data_center text", "host_id uuid", "peer inet", "preferred_ip inet",
				"rack text", "release_version text", "rpc_address inet", "schema_version uuid",
				"tokens set<text>")},
		{name: "peers_v2", comment: peersComment,
			pk: keys("peer"), ck: keys("peer_port"),
			cols: keys("data_center text", "host_id uuid", "native_address inet", "native_port int",
				"peer inet", "peer_port int", "preferred_ip inet", "preferred_port int",
				"rack text", "release_version text", "schema_version uuid", "tokens set<text>")},
		{name: "prepared_statements", comment: "prepared statements",
			pk:   keys("prepared_id"),
			cols: keys("logged_keyspace text", "prepared_id blob", "query_string text")},
		{name: "repairs", comment: "repairs",
			pk: keys("parent_id"),
			cols: keys("cfids set<uuid>", "coordinator inet", "coordinator_port int",
				"last_update timestamp", "parent_id timeuuid", "participants set<inet>",
				"participants_wp set<text>", "ranges set<blob>", "repaired_at timestamp",
				"started_at timestamp", "state int")},
		{name: "size_estimates", comment: "per-table primary range size estimates, table is deprecated in favor of table_estimates",
			pk: keys("keyspace_name"), ck: keys("table_name", "range_start", "range_end"),
			cols: keys("keyspace_name text", "mean_partition_size bigint", "partitions_count bigint",
				"range_end text", "range_start text", "table_name text")},
		{name: "sstable_activity", comment: activityComment,
			pk: keys("keyspace_name", "columnfamily_name", "generation"),
			cols: keys("columnfamily_name text", "generation int", "keyspace_name text",
				"rate_120m double", "rate_15m double")},
		{name: "sstable_activity_v2", comment: activityComment,
			pk: keys("keyspace_name", "table_name", "id"),
			cols: keys("id text", "keyspace_name text", "rate_120m double", "rate_15m double",
				"table_name text")},
		{name: "table_estimates", comment: "per-table range size estimates",
			pk: keys("keyspace_name"), ck: keys("table_name", "range_type", "range_start", "range_end"),
			cols: keys("keyspace_name text", "mean_partition_size bigint", "partitions_count bigint",
				"range_end text", "range_start text", "range_type text", "table_name text")},
		{name: "top_partitions", comment: "Stores the top partitions",
			pk: keys("keyspace_name"), ck: keys("table_name", "top_type"),
			cols: keys("keyspace_name text", "last_update timestamp", "table_name text",
				"top frozen<list<frozen<tuple<text, bigint>>>>", "top_type text")},
		{name: "transferred_ranges", comment: transferredComment,
			pk: keys("operation", "keyspace_name"), ck: keys("peer"),
			cols: keys("keyspace_name text", "operation text", "peer inet", "ranges set<blob>")},
		{name: "transferred_ranges_v2", comment: transferredComment,
			pk: keys("operation", "keyspace_name"), ck: keys("peer", "peer_port"),
			cols: keys("keyspace_name text", "operation text", "peer inet", "peer_port int",
				"ranges set<blob>")},
		{name: "view_builds_in_progress", comment: "views builds current progress",
			pk: keys("keyspace_name"), ck: keys("view_name", "start_token", "end_token"),
			cols: keys("end_token text", "keys_built bigint", "keyspace_name text", "last_token text",
				"start_token text", "view_name text")},
	}
}

// authTables are the tables of auth/AuthKeyspace.java.
func authTables() []tableDef {
	return []tableDef{
		{name: "network_permissions", comment: "user network permissions",
			pk:   keys("role"),
			cols: keys("dcs frozen<set<text>>", "role text")},
		// sic: "permissons" is the real table name (AuthKeyspace.RESOURCE_ROLE_INDEX).
		{name: "resource_role_permissons_index", comment: "index of db roles with permissions granted on a resource",
			pk: keys("resource"), ck: keys("role"),
			cols: keys("resource text", "role text")},
		{name: "role_members", comment: "role memberships lookup table",
			pk: keys("role"), ck: keys("member"),
			cols: keys("member text", "role text")},
		{name: "role_permissions", comment: "permissions granted to db roles",
			pk: keys("role"), ck: keys("resource"),
			cols: keys("permissions set<text>", "resource text", "role text")},
		{name: "roles", comment: "role definitions",
			pk: keys("role"),
			cols: keys("can_login boolean", "is_superuser boolean", "member_of set<text>", "role text",
				"salted_hash text")},
	}
}

// distributedTables are the tables of repair/SystemDistributedKeyspace.java
// (generation 6: repair history tables with a 30 day TTL and TWCS
// (CASSANDRA-12701), partition_denylist (CASSANDRA-12106)).
func distributedTables() []tableDef {
	repairHistory := func(p *tableParams) {
		p.defaultTTL = 30 * 24 * 3600
		p.compactionClass = TWCSClass
		p.compactionOpts = map[string]string{
			"compaction_window_unit": "DAYS",
			"compaction_window_size": "1",
		}
	}
	return []tableDef{
		{name: "parent_repair_history", comment: "Repair history",
			pk: keys("parent_id"),
			cols: keys("columnfamily_names set<text>", "exception_message text",
				"exception_stacktrace text", "finished_at timestamp", "keyspace_name text",
				"options map<text, text>", "parent_id timeuuid", "requested_ranges set<text>",
				"started_at timestamp", "successful_ranges set<text>"),
			params: repairHistory},
		{name: "partition_denylist", comment: "Partition keys which have been denied access",
			pk: keys("ks_name", "table_name"), ck: keys("key"),
			cols: keys("key blob", "ks_name text", "table_name text")},
		{name: "repair_history", comment: "Repair history",
			pk: keys("keyspace_name", "columnfamily_name"), ck: keys("id"),
			cols: keys("columnfamily_name text", "coordinator inet", "coordinator_port int",
				"exception_message text", "exception_stacktrace text", "finished_at timestamp",
				"id timeuuid", "keyspace_name text", "parent_id timeuuid", "participants set<inet>",
				"participants_v2 set<text>", "range_begin text", "range_end text",
				"started_at timestamp", "status text"),
			params: repairHistory},
		{name: "view_build_status", comment: "Materialized View build status",
			pk: keys("keyspace_name", "view_name"), ck: keys("host_id"),
			cols: keys("host_id uuid", "keyspace_name text", "status text", "view_name text")},
	}
}

// schemaTables are the tables of schema/SchemaKeyspace.java (4.1).
func schemaTables() []tableDef {
	// Columns shared by system_schema.tables and system_schema.views.
	params := []string{"additional_write_policy text", "bloom_filter_fp_chance double",
		"caching frozen<map<text, text>>", "cdc boolean", "comment text",
		"compaction frozen<map<text, text>>", "compression frozen<map<text, text>>",
		"crc_check_chance double", "dclocal_read_repair_chance double",
		"default_time_to_live int", "extensions frozen<map<text, blob>>", "gc_grace_seconds int",
		"id uuid", "keyspace_name text", "max_index_interval int", "memtable text",
		"memtable_flush_period_in_ms int", "min_index_interval int", "read_repair text",
		"read_repair_chance double", "speculative_retry text"}
	with := func(extra ...string) []string {
		return append(append([]string{}, params...), extra...)
	}
	return []tableDef{
		{name: "aggregates", comment: "user defined aggregate definitions",
			pk: keys("keyspace_name"), ck: keys("aggregate_name", "argument_types"),
			cols: keys("aggregate_name text", "argument_types frozen<list<text>>", "final_func text",
				"initcond text", "keyspace_name text", "return_type text", "state_func text",
				"state_type text")},
		{name: "columns", comment: "column definitions",
			pk: keys("keyspace_name"), ck: keys("table_name", "column_name"),
			cols: keys("clustering_order text", "column_name text", "column_name_bytes blob",
				"keyspace_name text", "kind text", "position int", "table_name text", "type text")},
		{name: "dropped_columns", comment: "dropped column registry",
			pk: keys("keyspace_name"), ck: keys("table_name", "column_name"),
			cols: keys("column_name text", "dropped_time timestamp", "keyspace_name text", "kind text",
				"table_name text", "type text")},
		{name: "functions", comment: "user defined function definitions",
			pk: keys("keyspace_name"), ck: keys("function_name", "argument_types"),
			cols: keys("argument_names frozen<list<text>>", "argument_types frozen<list<text>>",
				"body text", "called_on_null_input boolean", "function_name text",
				"keyspace_name text", "language text", "return_type text")},
		{name: "indexes", comment: "secondary index definitions",
			pk: keys("keyspace_name"), ck: keys("table_name", "index_name"),
			cols: keys("index_name text", "keyspace_name text", "kind text",
				"options frozen<map<text, text>>", "table_name text")},
		{name: "keyspaces", comment: "keyspace definitions",
			pk:   keys("keyspace_name"),
			cols: keys("durable_writes boolean", "keyspace_name text", "replication frozen<map<text, text>>")},
		{name: "tables", comment: "table definitions",
			pk: keys("keyspace_name"), ck: keys("table_name"),
			cols: with("flags frozen<set<text>>", "table_name text")},
		{name: "triggers", comment: "trigger definitions",
			pk: keys("keyspace_name"), ck: keys("table_name", "trigger_name"),
			cols: keys("keyspace_name text", "options frozen<map<text, text>>", "table_name text",
				"trigger_name text")},
		{name: "types", comment: "user defined type definitions",
			pk: keys("keyspace_name"), ck: keys("type_name"),
			cols: keys("field_names frozen<list<text>>", "field_types frozen<list<text>>",
				"keyspace_name text", "type_name text")},
		{name: "views", comment: "view definitions",
			pk: keys("keyspace_name"), ck: keys("view_name"),
			cols: with("base_table_id uuid", "base_table_name text", "include_all_columns boolean",
				"view_name text", "where_clause text")},
	}
}

// traceTables are the tables of tracing/TraceKeyspace.java.
func traceTables() []tableDef {
	return []tableDef{
		{name: "events", comment: "tracing events",
			pk: keys("session_id"), ck: keys("event_id"),
			cols: keys("activity text", "event_id timeuuid", "session_id uuid", "source inet",
				"source_elapsed int", "source_port int", "thread text")},
		{name: "sessions", comment: "tracing sessions",
			pk: keys("session_id"),
			cols: keys("client inet", "command text", "coordinator inet", "coordinator_port int",
				"duration int", "parameters map<text, text>", "request text", "session_id uuid",
				"started_at timestamp")},
	}
}

// gossipApplicationStates are the constants of gms/ApplicationState.java in
// 4.1, in declaration order.
var gossipApplicationStates = []string{
	"STATUS", "LOAD", "SCHEMA", "DC", "RACK", "RELEASE_VERSION", "REMOVAL_COORDINATOR",
	"INTERNAL_IP", "RPC_ADDRESS", "X_11_PADDING", "SEVERITY", "NET_VERSION", "HOST_ID",
	"TOKENS", "RPC_READY", "INTERNAL_ADDRESS_AND_PORT", "NATIVE_ADDRESS_AND_PORT",
	"STATUS_WITH_PORT", "SSTABLE_VERSIONS", "DISK_USAGE",
	"X1", "X2", "X3", "X4", "X5", "X6", "X7", "X8", "X9", "X10",
}

// gossipInfoColumns follows GossipInfoTable.buildTableMetadata: a text
// column per application state except TOKENS, and an int <state>_version
// column per application state.
func gossipInfoColumns() []string {
	cols := keys("address inet", "port int", "hostname text", "generation int", "heartbeat int")
	for _, s := range gossipApplicationStates {
		if s != "TOKENS" {
			cols = append(cols, strings.ToLower(s)+" text")
		}
	}
	for _, s := range gossipApplicationStates {
		cols = append(cols, strings.ToLower(s)+"_version int")
	}
	return cols
}

// viewsTables are the virtual tables of db/virtual/SystemViewsKeyspace.java
// (4.1); each comment and key layout is from the table's class.
func viewsTables() []tableDef {
	// TableMetricTables: (keyspace_name, table_name) partition key, no comment.
	latency := func(name string) tableDef {
		return tableDef{name: name, pk: keys("keyspace_name", "table_name"),
			cols: keys("count bigint", "keyspace_name text", "max_ms double", "p50th_ms double",
				"p99th_ms double", "per_second double", "table_name text")}
	}
	histogram := func(name string) tableDef {
		return tableDef{name: name, pk: keys("keyspace_name", "table_name"),
			cols: keys("count bigint", "keyspace_name text", "max double", "p50th double",
				"p99th double", "table_name text")}
	}
	storage := func(name string) tableDef {
		return tableDef{name: name, pk: keys("keyspace_name", "table_name"),
			cols: keys("keyspace_name text", "mebibytes bigint", "table_name text")}
	}
	role := func(name, comment string) tableDef {
		return tableDef{name: name, comment: comment, pk: keys("role"), cols: keys("role text")}
	}
	return []tableDef{
		// BatchMetricsTable
		{name: "batch_metrics", comment: "Metrics specific to batch statements",
			pk:   keys("name"),
			cols: keys("max bigint", "name text", "p50th double", "p999th double", "p99th double")},
		// CachesTable
		{name: "caches", comment: "system caches",
			pk: keys("name"),
			cols: keys("capacity_bytes bigint", "entry_count int", "hit_count bigint",
				"hit_ratio double", "name text", "recent_hit_rate_per_second bigint",
				"recent_request_rate_per_second bigint", "request_count bigint", "size_bytes bigint")},
		// ClientsTable
		{name: "clients", comment: "currently connected clients",
			pk: keys("address"), ck: keys("port"),
			cols: keys("address inet", "client_options frozen<map<text, text>>",
				"connection_stage text", "driver_name text", "driver_version text", "hostname text",
				"port int", "protocol_version int", "request_count bigint",
				"ssl_cipher_suite text", "ssl_enabled boolean", "ssl_protocol text",
				"username text")},
		latency("coordinator_read_latency"),
		latency("coordinator_scan_latency"),
		latency("coordinator_write_latency"),
		// CQLMetricsTable
		{name: "cql_metrics", comment: "Metrics specific to CQL prepared statement caching",
			pk:   keys("name"),
			cols: keys("name text", "value double")},
		// CredentialsCacheKeysTable
		role("credentials_cache_keys", "keys in the credentials cache"),
		storage("disk_usage"),
		// GossipInfoTable
		{name: "gossip_info", comment: "lists the gossip information for the cluster",
			pk: keys("address"), ck: keys("port"),
			cols: gossipInfoColumns()},
		// InternodeInboundTable (no comment)
		{name: "internode_inbound",
			pk: keys("address", "port"), ck: keys("dc", "rack"),
			cols: keys("address inet", "corrupt_frames_recovered bigint",
				"corrupt_frames_unrecovered bigint", "dc text", "error_bytes bigint",
				"error_count bigint", "expired_bytes bigint", "expired_count bigint", "port int",
				"processed_bytes bigint", "processed_count bigint", "rack text",
				"received_bytes bigint", "received_count bigint", "scheduled_bytes bigint",
				"scheduled_count bigint", "throttled_count bigint", "throttled_nanos bigint",
				"using_bytes bigint", "using_reserve_bytes bigint")},
		// InternodeOutboundTable (no comment)
		{name: "internode_outbound",
			pk: keys("address", "port"), ck: keys("dc", "rack"),
			cols: keys("active_connections bigint", "address inet", "connection_attempts bigint",
				"dc text", "error_bytes bigint", "error_count bigint", "expired_bytes bigint",
				"expired_count bigint", "overload_bytes bigint", "overload_count bigint",
				"pending_bytes bigint", "pending_count bigint", "port int", "rack text",
				"sent_bytes bigint", "sent_count bigint", "successful_connection_attempts bigint",
				"using_bytes bigint", "using_reserve_bytes bigint")},
		// JmxPermissionsCacheKeysTable
		role("jmx_permissions_cache_keys", "keys in the JMX permissions cache"),
		latency("local_read_latency"),
		latency("local_scan_latency"),
		latency("local_write_latency"),
		storage("max_partition_size"),
		// NetworkPermissionsCacheKeysTable
		role("network_permissions_cache_keys", "keys in the network permissions cache"),
		// PendingHintsTable
		{name: "pending_hints", comment: "Pending hints that this node has for other nodes",
			pk: keys("host_id"),
			cols: keys("address inet", "dc text", "files int", "host_id uuid", "newest timestamp",
				"oldest timestamp", "port int", "rack text", "status text")},
		// PermissionsCacheKeysTable
		{name: "permissions_cache_keys", comment: "keys in the permissions cache",
			pk:   keys("role", "resource"),
			cols: keys("resource text", "role text")},
		// QueriesTable
		{name: "queries", comment: "Lists currently running queries",
			pk:   keys("thread_id"),
			cols: keys("queued_micros bigint", "running_micros bigint", "task text", "thread_id text")},
		// LocalRepairTables.JobTable
		{name: "repair_jobs", comment: "Repair job",
			pk: keys("id"),
			cols: keys("completed boolean", "duration_millis bigint", "failure_cause text", "id uuid",
				"keyspace_name text", "last_updated_at timestamp", "participants frozen<list<text>>",
				"ranges frozen<list<text>>", "repair_id timeuuid", "session_id timeuuid",
				"state_failure_timestamp timestamp", "state_init_timestamp timestamp",
				"state_skipped_timestamp timestamp", "state_snapshot_complete_timestamp timestamp",
				"state_snapshot_start_timestamp timestamp", "state_start_timestamp timestamp",
				"state_stream_start_timestamp timestamp", "state_success_timestamp timestamp",
				"state_validation_complete_timestamp timestamp",
				"state_validation_start_timestamp timestamp", "status text", "success_message text",
				"table_name text")},
		// LocalRepairTables.ParticipateTable
		{name: "repair_participates", comment: "Repair participate summary",
			pk: keys("id"),
			cols: keys("completed boolean", "duration_millis bigint", "failure_cause text",
				"global boolean", "id timeuuid", "incremental boolean", "initiator text",
				"last_updated_at timestamp", "preview_kind text", "ranges frozen<list<text>>",
				"repaired_at timestamp", "state_failure_timestamp timestamp",
				"state_init_timestamp timestamp", "state_skipped_timestamp timestamp",
				"state_success_timestamp timestamp", "success_message text",
				"tables frozen<set<text>>", "validations frozen<set<uuid>>")},
		// LocalRepairTables.SessionTable
		{name: "repair_sessions", comment: "Repair session",
			pk: keys("id"),
			cols: keys("completed boolean", "duration_millis bigint", "failure_cause text",
				"id timeuuid", "jobs frozen<set<uuid>>", "keyspace_name text",
				"last_updated_at timestamp", "participants frozen<list<text>>",
				"ranges frozen<list<text>>", "repair_id timeuuid", "state_failure_timestamp timestamp",
				"state_init_timestamp timestamp", "state_jobs_start_timestamp timestamp",
				"state_skipped_timestamp timestamp", "state_start_timestamp timestamp",
				"state_success_timestamp timestamp", "status text", "success_message text",
				"table_names frozen<list<text>>")},
		// LocalRepairTables.ValidationTable
		{name: "repair_validations", comment: "Repair validation",
			pk: keys("id"),
			cols: keys("bytes_read bigint", "completed boolean", "duration_millis bigint",
				"estimated_partitions bigint", "estimated_total_bytes bigint", "failure_cause text",
				"id uuid", "initiator text", "keyspace_name text", "last_updated_at timestamp",
				"partitions_processed bigint", "progress_percentage float",
				"ranges frozen<list<text>>", "repair_id timeuuid", "session_id timeuuid",
				"state_failure_timestamp timestamp", "state_init_timestamp timestamp",
				"state_sending_trees_timestamp timestamp", "state_skipped_timestamp timestamp",
				"state_start_timestamp timestamp", "state_success_timestamp timestamp",
				"status text", "success_message text", "table_name text")},
		// LocalRepairTables.RepairTable
		{name: "repairs", comment: "Repair summary",
			pk: keys("id"),
			cols: keys("command_id int", "completed boolean", "duration_millis bigint",
				"failure_cause text", "id timeuuid", "keyspace_name text",
				"last_updated_at timestamp", "options_column_families frozen<set<text>>",
				"options_data_centers frozen<set<text>>", "options_force_repair boolean",
				"options_hosts frozen<set<text>>", "options_ignore_unreplicated_keyspaces boolean",
				"options_incremental boolean", "options_job_threads int",
				"options_optimise_streams boolean", "options_parallelism text",
				"options_preview_kind text", "options_primary_range boolean",
				"options_pull_repair boolean", "options_ranges frozen<set<text>>",
				"options_subrange_repair boolean", "options_trace boolean",
				"participants frozen<list<text>>", "ranges frozen<list<frozen<list<text>>>>",
				"sessions frozen<set<timeuuid>>", "state_failure_timestamp timestamp",
				"state_init_timestamp timestamp", "state_prepare_complete_timestamp timestamp",
				"state_prepare_start_timestamp timestamp", "state_repair_complete_timestamp timestamp",
				"state_repair_start_timestamp timestamp", "state_setup_timestamp timestamp",
				"state_skipped_timestamp timestamp", "state_start_timestamp timestamp",
				"state_success_timestamp timestamp", "status text", "success_message text",
				"table_names frozen<list<text>>", "type text",
				"unfiltered_ranges frozen<list<frozen<list<text>>>>")},
		// RolesCacheKeysTable
		role("roles_cache_keys", "keys in the roles cache"),
		histogram("rows_per_read"),
		// SettingsTable
		{name: "settings", comment: "current settings",
			pk:   keys("name"),
			cols: keys("name text", "value text")},
		// SSTableTasksTable
		{name: "sstable_tasks", comment: "current sstable tasks",
			pk: keys("keyspace_name"), ck: keys("table_name", "task_id"),
			cols: keys("completion_ratio double", "keyspace_name text", "kind text", "progress bigint",
				"sstables int", "table_name text", "task_id timeuuid", "total bigint", "unit text")},
		// StreamingVirtualTable (parsed from CQL without a comment)
		{name: "streaming",
			pk: keys("id"),
			cols: keys("bytes_received bigint", "bytes_sent bigint", "bytes_to_receive bigint",
				"bytes_to_send bigint", "duration_millis bigint", "failure_cause text",
				"files_received bigint", "files_sent bigint", "files_to_receive bigint",
				"files_to_send bigint", "follower boolean", "id timeuuid",
				"last_updated_at timestamp", "operation text", "peers frozen<list<text>>",
				"progress_percentage float", "status text", "status_failure_timestamp timestamp",
				"status_init_timestamp timestamp", "status_start_timestamp timestamp",
				"status_success_timestamp timestamp", "success_message text")},
		// SystemPropertiesTable
		{name: "system_properties", comment: "Cassandra relevant system properties",
			pk:   keys("name"),
			cols: keys("name text", "value text")},
		// ThreadPoolsTable (no comment)
		{name: "thread_pools",
			pk: keys("name"),
			cols: keys("active_tasks int", "active_tasks_limit int", "blocked_tasks bigint",
				"blocked_tasks_all_time bigint", "completed_tasks bigint", "name text",
				"pending_tasks int")},
		histogram("tombstones_per_read"),
	}
}

// virtualSchemaTables are the tables of db/virtual/VirtualSchemaKeyspace.java.
func virtualSchemaTables() []tableDef {
	return []tableDef{
		{name: "columns", comment: "virtual column definitions",
			pk: keys("keyspace_name"), ck: keys("table_name", "column_name"),
			cols: keys("clustering_order text", "column_name text", "column_name_bytes blob",
				"keyspace_name text", "kind text", "position int", "table_name text", "type text")},
		{name: "keyspaces", comment: "virtual keyspace definitions",
			pk:   keys("keyspace_name"),
			cols: keys("keyspace_name text")},
		{name: "tables", comment: "virtual table definitions",
			pk: keys("keyspace_name"), ck: keys("table_name"),
			cols: keys("comment text", "keyspace_name text", "table_name text")},
	}
}
