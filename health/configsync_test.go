package health

import (
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every name in the rename table, the same-name unit table and the
// nullable list is a real 4.1.6 setting, and every null row is listed.
func TestRenameTableMatchesRealSettings(t *testing.T) {
	settings, nulls := loadSettings(t)
	known := map[string]bool{}
	for k := range settings {
		known[k] = true
	}
	for _, n := range nulls {
		known[n] = true
	}
	for _, r := range renames {
		if !known[r.new] {
			t.Errorf("new name %s is not a 4.1.6 setting", r.new)
		}
		if !known[r.old] && !strings.Contains(r.old, ".") {
			t.Errorf("old name %s is not a 4.1.6 setting", r.old)
		}
	}
	for k := range sameNameUnits {
		if !known[k] {
			t.Errorf("%s is not a 4.1.6 setting", k)
		}
	}
	isNull := map[string]bool{}
	for _, n := range nulls {
		isNull[n] = true
		if !nullable[n] {
			t.Errorf("null row %s missing from nullableSettings", n)
		}
	}
	for n := range nullable {
		if !isNull[n] {
			t.Errorf("nullableSettings lists %s, which is not null in settings.txt", n)
		}
	}
}

// Cassandra shows both names of a renamed setting; for each pair, the old
// row is what the converter makes of the new one, in both directions.
func TestRenamePairsAgreeInRealSettings(t *testing.T) {
	settings, _ := loadSettings(t)
	pairs := 0
	for _, r := range renames {
		oldV, oldOK := settings[r.old]
		newV, newOK := settings[r.new]
		if !oldOK {
			continue
		}
		pairs++
		if !oldEqualsNew(r.conv, oldV, newV, newOK, r.new) {
			t.Errorf("%s=%s does not convert to %s=%s (present %v)", r.old, oldV, r.new, newV, newOK)
		}
		if newOK && !newEqualsOld(r.conv, newV, oldV, r.new) {
			t.Errorf("%s=%s does not convert back to %s=%s", r.new, newV, r.old, oldV)
		}
	}
	if pairs < 80 {
		t.Errorf("only %d renamed pairs found in settings.txt", pairs)
	}
}

// yamlFromSettings renders every non-null row of settings as cassandra.yaml
// would write it: nested options as mappings, ParameterizedClass values as
// cassandra.yaml writes them (a one-element list with a parameters list for
// seed_provider, key_provider and the audit logger; a plain mapping for
// ssl_context_factory), lists as YAML lists. Both the old and the new name
// of every renamed setting are present, each with its own row's value.
func yamlFromSettings(t *testing.T, settings map[string]string) []byte {
	t.Helper()
	listForm := map[string]bool{"seed_provider": true, "transparent_data_encryption_options.key_provider": true, "audit_logging_options.logger": true}
	root := map[string]any{}
	for _, k := range sortedKeys(settings) {
		v := settings[k]
		var val any = v
		switch {
		case strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]"):
			l, _ := parseJavaList(v)
			val = l
		case strings.HasSuffix(k, ".parameters") || k == "startup_checks":
			m, ok := parseJavaMap(v)
			if !ok {
				t.Fatalf("%s=%s is not a map", k, v)
			}
			val = m
			if listForm[strings.TrimSuffix(k, ".parameters")] {
				val = []any{m}
			}
		}
		parts := strings.Split(k, ".")
		cur := root
		for i, p := range parts[:len(parts)-1] {
			prefix := strings.Join(parts[:i+1], ".")
			next, ok := cur[p]
			if !ok {
				m := map[string]any{}
				if listForm[prefix] {
					cur[p] = []any{m}
				} else {
					cur[p] = m
				}
				cur = m
				continue
			}
			switch n := next.(type) {
			case map[string]any:
				cur = n
			case []any:
				cur = n[0].(map[string]any)
			default:
				t.Fatalf("%s is both a value and a prefix", prefix)
			}
		}
		cur[parts[len(parts)-1]] = val
	}
	b, err := yaml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompareConfigEveryRealSetting(t *testing.T) {
	settings, _ := loadSettings(t)
	y := yamlFromSettings(t, settings)
	if !strings.Contains(string(y), "seed_provider:\n    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n      parameters:\n        - seeds: 127.0.0.1:7000") {
		t.Fatalf("rendered yaml lacks the list-form seed_provider:\n%s", y)
	}
	got := CompareConfig(y, settings)
	if got.Status != SyncGood || len(got.Differences) != 0 || len(got.Unknown) != 0 {
		t.Fatalf("status %s, differences %v, unknown %v", got.Status, got.Differences, got.Unknown)
	}
	if got.Compared != len(settings) {
		t.Errorf("compared %d keys, want %d", got.Compared, len(settings))
	}

	// Change one value, in several kinds of setting: exactly that key.
	for _, tc := range []struct{ from, to, key, onDisk, running string }{
		{"compaction_throughput: 64MiB/s", "compaction_throughput: 128MiB/s", "compaction_throughput", "128MiB/s", "64MiB/s"},
		{"compaction_throughput_mb_per_sec: \"64\"", "compaction_throughput_mb_per_sec: 32", "compaction_throughput_mb_per_sec", "32", "64"},
		{"- seeds: 127.0.0.1:7000", "- seeds: 127.0.0.2:7000", "seed_provider.parameters", "{seeds=127.0.0.2:7000}", "{seeds=127.0.0.1:7000}"},
		{"    - /var/lib/cassandra/data\n", "    - /data1\n", "data_file_directories", "[/data1]", "[/var/lib/cassandra/data]"},
		{"    enabled: \"false\"\n    internode_encryption", "    enabled: \"true\"\n    internode_encryption", "server_encryption_options.enabled", "true", "false"},
	} {
		if !strings.Contains(string(y), tc.from) {
			t.Fatalf("rendered yaml lacks %q", tc.from)
		}
		changed := strings.Replace(string(y), tc.from, tc.to, 1)
		got := CompareConfig([]byte(changed), settings)
		want := []Difference{{Key: tc.key, OnDisk: tc.onDisk, Running: tc.running}}
		if got.Status != SyncBad || !reflect.DeepEqual(got.Differences, want) {
			t.Errorf("%s → %s: %s %+v", tc.from, tc.to, got.Status, got.Differences)
		}
	}
}

// A 4.0-style file (old names, bare numbers in the unit of the name) and a
// 4.1-style file (new names, units, spelled differently from the settings
// table) with the values the real node runs with: both in sync.
const yaml40 = `
cluster_name: 'realcass'
num_tokens: 16
allocate_tokens_for_local_replication_factor: 3
hinted_handoff_enabled: true
max_hint_window_in_ms: 10800000 # 3 hours
hinted_handoff_throttle_in_kb: 1024
max_hints_delivery_threads: 2
hints_directory: /var/lib/cassandra/hints
hints_flush_period_in_ms: 10000
max_hints_file_size_in_mb: 128
batchlog_replay_throttle_in_kb: 1024
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
network_authorizer: AllowAllNetworkAuthorizer
roles_validity_in_ms: 2000
permissions_validity_in_ms: 2000
credentials_validity_in_ms: 2000
credentials_update_interval_in_ms: -1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories:
    - /var/lib/cassandra/data
commitlog_directory: /var/lib/cassandra/commitlog
cdc_enabled: false
disk_failure_policy: stop
commit_failure_policy: stop
prepared_statements_cache_size_mb:
key_cache_size_in_mb:
key_cache_save_period: 14400
row_cache_size_in_mb: 0
row_cache_save_period: 0
counter_cache_size_in_mb:
counter_cache_save_period: 7200
saved_caches_directory: /var/lib/cassandra/saved_caches
commitlog_sync: periodic
commitlog_sync_period_in_ms: 10000
commitlog_segment_size_in_mb: 32
seed_provider:
    # Addresses of hosts that are deemed contact points.
    - class_name: org.apache.cassandra.locator.SimpleSeedProvider
      parameters:
          - seeds: "127.0.0.1:7000"
concurrent_reads: 32
concurrent_writes: 32
concurrent_counter_writes: 32
concurrent_materialized_view_writes: 32
memtable_allocation_type: heap_buffers
index_summary_capacity_in_mb:
index_summary_resize_interval_in_minutes: 60
trickle_fsync: false
trickle_fsync_interval_in_kb: 10240
storage_port: 7000
ssl_storage_port: 7001
listen_address: 127.0.0.1
start_native_transport: true
native_transport_port: 9042
native_transport_max_frame_size_in_mb: 16
native_transport_allow_older_protocols: true
rpc_address: 127.0.0.1
rpc_keepalive: true
incremental_backups: false
snapshot_before_compaction: false
auto_snapshot: true
column_index_size_in_kb: 64
column_index_cache_size_in_kb: 2
compaction_throughput_mb_per_sec: 64
sstable_preemptive_open_interval_in_mb: 50
stream_throughput_outbound_megabits_per_sec: 201
read_request_timeout_in_ms: 5000
range_request_timeout_in_ms: 10000
write_request_timeout_in_ms: 2000
counter_write_request_timeout_in_ms: 5000
cas_contention_timeout_in_ms: 1000
truncate_request_timeout_in_ms: 60000
request_timeout_in_ms: 10000
slow_query_log_timeout_in_ms: 500
cross_node_timeout: true
endpoint_snitch: GossipingPropertyFileSnitch
dynamic_snitch_update_interval_in_ms: 100
dynamic_snitch_reset_interval_in_ms: 600000
dynamic_snitch_badness_threshold: 1.0
server_encryption_options:
  internode_encryption: none
  enable_legacy_ssl_storage_port: false
  keystore: conf/.keystore
  keystore_password: cassandra
  require_client_auth: false
  truststore: conf/.truststore
  truststore_password: cassandra
client_encryption_options:
  enabled: false
  keystore: conf/.keystore
  keystore_password: cassandra
internode_compression: dc
inter_dc_tcp_nodelay: false
tracetype_query_ttl: 86400
tracetype_repair_ttl: 604800
enable_user_defined_functions: false
enable_scripted_user_defined_functions: false
enable_materialized_views: false
enable_sasi_indexes: false
enable_transient_replication: false
enable_drop_compact_storage: false
windows_timer_interval: 0
transparent_data_encryption_options:
  enabled: false
  chunk_length_kb: 64
  cipher: AES/CBC/PKCS5Padding
  key_alias: testing:1
  key_provider:
    - class_name: org.apache.cassandra.security.JKSKeyProvider
      parameters:
        - keystore: conf/.keystore
          keystore_password: cassandra
          store_type: JCEKS
          key_password: cassandra
tombstone_warn_threshold: 1000
tombstone_failure_threshold: 100000
replica_filtering_protection:
    cached_rows_warn_threshold: 2000
    cached_rows_fail_threshold: 32000
batch_size_warn_threshold_in_kb: 5
batch_size_fail_threshold_in_kb: 50
unlogged_batch_across_partitions_warn_threshold: 10
compaction_large_partition_warning_threshold_mb: 100
gc_warn_threshold_in_ms: 1000
max_value_size_in_mb: 256
audit_logging_options:
    enabled: false
    logger:
      - class_name: BinAuditLogger
phi_convict_threshold: 8
`

const yaml41 = `
cluster_name: realcass
num_tokens: 16
hinted_handoff_enabled: yes
max_hint_window: 180m
hinted_handoff_throttle: 1MiB
hints_flush_period: 10s
max_hints_file_size: 131072KiB
batchlog_replay_throttle: 1024KiB
roles_validity: 2s
permissions_validity: 2000ms
credentials_validity: 2s
data_file_directories: [/var/lib/cassandra/data]
key_cache_save_period: 4h
row_cache_size: 0MiB
row_cache_save_period: 0s
counter_cache_save_period: 2h
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 32MiB
commitlog_total_space: 8GiB
seed_provider:
    - class_name: org.apache.cassandra.locator.SimpleSeedProvider
      parameters:
          - seeds: "127.0.0.1:7000"
index_summary_resize_interval: 1h
trickle_fsync_interval: 10240KiB
native_transport_max_frame_size: 16MiB
native_transport_idle_timeout: 0ms
column_index_size: 64KiB
column_index_cache_size: 2KiB
compaction_throughput: 65536KiB/s
sstable_preemptive_open_interval: 50MiB
stream_throughput_outbound: 24MiB/s
inter_dc_stream_throughput_outbound: 25165824B/s
read_request_timeout: 5000ms
range_request_timeout: 10s
write_request_timeout: 2000ms
counter_write_request_timeout: 5s
cas_contention_timeout: 1s
truncate_request_timeout: 1m
request_timeout: 10000ms
slow_query_log_timeout: 500ms
internode_timeout: on
dynamic_snitch_update_interval: 100ms
dynamic_snitch_reset_interval: 10m
trace_type_query_ttl: 1d
trace_type_repair_ttl: 7d
user_defined_functions_enabled: false
materialized_views_enabled: false
drop_compact_storage_enabled: false
batch_size_warn_threshold: 5KiB
batch_size_fail_threshold: 50KiB
gc_warn_threshold: 1s
gc_log_threshold: 200ms
cache_load_timeout: 30s
validation_preview_purge_head_start: 1h
internode_max_message_size: 128MiB
internode_application_send_queue_capacity: 4MiB
native_transport_max_request_data_in_flight: 107374182B
server_encryption_options:
  internode_encryption: none
  legacy_ssl_storage_port_enabled: false
  ssl_context_factory:
    class_name: org.apache.cassandra.security.DefaultSslContextFactory
    parameters: {}
startup_checks: {}
phi_convict_threshold: 8.0
memtable_cleanup_threshold: 0.33333334
`

func TestCompareConfigOldAndNewStyleFiles(t *testing.T) {
	settings, _ := loadSettings(t)
	for name, y := range map[string]string{"4.0 style": yaml40, "4.1 style": yaml41} {
		got := CompareConfig([]byte(y), settings)
		if got.Status != SyncGood || len(got.Unknown) != 0 {
			t.Errorf("%s: %s, differences %+v, unknown %v", name, got.Status, got.Differences, got.Unknown)
		}
		if got.Compared < 50 {
			t.Errorf("%s: only %d keys compared", name, got.Compared)
		}
	}
	// One value changed in each: exactly that key.
	for _, tc := range []struct {
		y, from, to string
		want        Difference
	}{
		{yaml40, "max_hint_window_in_ms: 10800000", "max_hint_window_in_ms: 3600000", Difference{Key: "max_hint_window_in_ms", OnDisk: "3600000", Running: "10800000"}},
		{yaml40, "stream_throughput_outbound_megabits_per_sec: 201", "stream_throughput_outbound_megabits_per_sec: 200", Difference{Key: "stream_throughput_outbound_megabits_per_sec", OnDisk: "200", Running: "201"}},
		{yaml40, "phi_convict_threshold: 8", "phi_convict_threshold: 12", Difference{Key: "phi_convict_threshold", OnDisk: "12", Running: "8.0"}},
		{yaml41, "max_hint_window: 180m", "max_hint_window: 181m", Difference{Key: "max_hint_window", OnDisk: "181m", Running: "3h"}},
		{yaml41, "key_cache_save_period: 4h", "key_cache_save_period: 5h", Difference{Key: "key_cache_save_period", OnDisk: "5h", Running: "14400"}},
		{yaml41, "internode_timeout: on", "internode_timeout: off", Difference{Key: "internode_timeout", OnDisk: "off", Running: "true"}},
	} {
		if !strings.Contains(tc.y, tc.from) {
			t.Fatalf("no %q", tc.from)
		}
		got := CompareConfig([]byte(strings.Replace(tc.y, tc.from, tc.to, 1)), settings)
		if got.Status != SyncBad || !reflect.DeepEqual(got.Differences, []Difference{tc.want}) {
			t.Errorf("%s: %s %+v", tc.to, got.Status, got.Differences)
		}
	}
}

// Renamed keys and units, one setting at a time: the file has one name,
// the running settings only the other (as when a row is missing), or the
// same name with another spelling.
func TestCompareConfigEquivalences(t *testing.T) {
	for _, tc := range []struct {
		yaml     string
		settings map[string]string
		equal    bool
	}{
		// old name in the file, new name running
		{"compaction_throughput_mb_per_sec: 64", map[string]string{"compaction_throughput": "64MiB/s"}, true},
		{"compaction_throughput_mb_per_sec: 64", map[string]string{"compaction_throughput": "65536KiB/s"}, true},
		{"compaction_throughput_mb_per_sec: 65", map[string]string{"compaction_throughput": "64MiB/s"}, false},
		{"max_hint_window_in_ms: 10800000", map[string]string{"max_hint_window": "3h"}, true},
		{"max_hint_window_in_ms: 10800001", map[string]string{"max_hint_window": "3h"}, false},
		{"hinted_handoff_throttle_in_kb: 1024", map[string]string{"hinted_handoff_throttle": "1024KiB"}, true},
		{"hinted_handoff_throttle_in_kb: 1024", map[string]string{"hinted_handoff_throttle": "1MiB"}, true},
		{"hinted_handoff_throttle_in_kb: 1000", map[string]string{"hinted_handoff_throttle": "1MiB"}, false},
		{"streaming_keep_alive_period_in_secs: 300", map[string]string{"streaming_keep_alive_period": "5m"}, true},
		{"index_summary_resize_interval_in_minutes: 60", map[string]string{"index_summary_resize_interval": "1h"}, true},
		{"index_summary_resize_interval_in_minutes: -1", map[string]string{"num_tokens": "16"}, true}, // -1 = null (MINUTES_CUSTOM_DURATION)
		{"index_summary_resize_interval_in_minutes: -1", map[string]string{"index_summary_resize_interval": "60m"}, false},
		{"credentials_update_interval_in_ms: -1", map[string]string{"num_tokens": "16"}, true}, // MILLIS_CUSTOM_DURATION
		{"credentials_update_interval_in_ms: 5000", map[string]string{"num_tokens": "16"}, false},
		{"native_transport_max_concurrent_requests_in_bytes: -1", map[string]string{"num_tokens": "16"}, true}, // BYTES_CUSTOM_DATASTORAGE
		{"native_transport_max_concurrent_requests_in_bytes: 107374182", map[string]string{"native_transport_max_request_data_in_flight": "107374182B"}, true},
		{"sstable_preemptive_open_interval_in_mb: -1", map[string]string{"num_tokens": "16"}, true},
		{"internode_send_buff_size_in_bytes: 0", map[string]string{"internode_socket_send_buffer_size": "0B"}, true},
		{"stream_throughput_outbound_megabits_per_sec: 200", map[string]string{"stream_throughput_outbound": "25000000B/s"}, true},
		{"stream_throughput_outbound_megabits_per_sec: 201", map[string]string{"stream_throughput_outbound": "24MiB/s"}, true}, // 201.3 shown as 201
		{"stream_throughput_outbound_megabits_per_sec: 200", map[string]string{"stream_throughput_outbound": "24MiB/s"}, false},
		{"commitlog_sync_group_window_in_ms: NaN", map[string]string{"commitlog_sync_group_window": "0ms"}, true}, // MILLIS_DURATION_DOUBLE
		{"commitlog_sync_group_window_in_ms: 15.0", map[string]string{"commitlog_sync_group_window": "15ms"}, true},
		{"cache_load_timeout_seconds: -5", map[string]string{"cache_load_timeout": "0s"}, true}, // NEGATIVE_SECONDS_DURATION
		{"tracetype_query_ttl: 86400", map[string]string{"trace_type_query_ttl": "1d"}, true},
		{"user_defined_function_fail_timeout: 1500", map[string]string{"user_defined_functions_fail_timeout": "1500ms"}, true},
		{"cross_node_timeout: yes", map[string]string{"internode_timeout": "true"}, true},
		{"enable_user_defined_functions: true", map[string]string{"user_defined_functions_enabled": "false"}, false},
		{"server_encryption_options:\n  enable_legacy_ssl_storage_port: false", map[string]string{"server_encryption_options.legacy_ssl_storage_port_enabled": "false"}, true},
		// new name in the file, only the old name running
		{"compaction_throughput: 64MiB/s", map[string]string{"compaction_throughput_mb_per_sec": "64"}, true},
		{"max_hint_window: 3h", map[string]string{"max_hint_window_in_ms": "10800000"}, true},
		{"stream_throughput_outbound: 24MiB/s", map[string]string{"stream_throughput_outbound_megabits_per_sec": "201"}, true},
		{"permissions_update_interval: 2s", map[string]string{"permissions_update_interval_in_ms": "-1"}, false},
		// same name, other spelling
		{"commitlog_sync_period: 10s", map[string]string{"commitlog_sync_period": "10000ms"}, true},
		{"commitlog_sync_period: 10S", map[string]string{"commitlog_sync_period": "10000ms"}, false}, // units are case sensitive
		{"max_hint_window: 3h", map[string]string{"max_hint_window": "3m"}, false},
		{"compaction_throughput: 64MiB/s", map[string]string{"compaction_throughput": "64MiB"}, false}, // a size is not a rate
		{"key_cache_save_period: 4h", map[string]string{"key_cache_save_period": "14400"}, true},       // SECONDS_CUSTOM_DURATION
		{"key_cache_save_period: 14400", map[string]string{"key_cache_save_period": "14400"}, true},
		{"phi_convict_threshold: 8", map[string]string{"phi_convict_threshold": "8.0"}, true},
		{"hinted_handoff_enabled: No", map[string]string{"hinted_handoff_enabled": "false"}, true},
		{"cluster_name: 'Test Cluster'", map[string]string{"cluster_name": "Test Cluster"}, true},
		{"cluster_name: test cluster", map[string]string{"cluster_name": "Test Cluster"}, false},
		{"data_file_directories: [/a, /b]", map[string]string{"data_file_directories": "[/b, /a]"}, true},
		{"data_file_directories: [/a, /b]", map[string]string{"data_file_directories": "[/a]"}, false},
		{"hinted_handoff_disabled_datacenters: []", map[string]string{"hinted_handoff_disabled_datacenters": "[]"}, true},
		{"seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: \"10.0.0.1, 10.0.0.2\"",
			map[string]string{"seed_provider.class_name": "org.apache.cassandra.locator.SimpleSeedProvider", "seed_provider.parameters": "{seeds=10.0.0.1, 10.0.0.2}"}, true},
		{"transparent_data_encryption_options:\n  key_provider:\n    - class_name: K\n      parameters:\n        - keystore: conf/.keystore\n          keystore_password: cassandra\n          store_type: JCEKS\n          key_password: cassandra",
			map[string]string{"transparent_data_encryption_options.key_provider.class_name": "K",
				"transparent_data_encryption_options.key_provider.parameters": "{keystore_password=cassandra, keystore=conf/.keystore, store_type=JCEKS, key_password=cassandra}"}, true},
		{"startup_checks:\n  check_filesystem_ownership:\n    enabled: false", map[string]string{"startup_checks": "{check_filesystem_ownership={enabled=false}}"}, true},
		// a null-by-default setting given a value
		{"broadcast_address: 10.0.0.1", map[string]string{"num_tokens": "16"}, false},
		{"broadcast_address:", map[string]string{"num_tokens": "16"}, true}, // null in the file: Cassandra's default, not compared
	} {
		got := CompareConfig([]byte(tc.yaml), tc.settings)
		if len(got.Unknown) > 0 || got.Error != "" {
			t.Errorf("%q vs %v: unknown %v error %q", tc.yaml, tc.settings, got.Unknown, got.Error)
			continue
		}
		if (got.Status == SyncGood) != tc.equal {
			t.Errorf("%q vs %v: %s %+v, want equal=%v", tc.yaml, tc.settings, got.Status, got.Differences, tc.equal)
		}
	}
}

func TestCompareConfigUnknownAndErrors(t *testing.T) {
	settings, _ := loadSettings(t)
	got := CompareConfig([]byte("compaction_throughput_mb_per_secs: 64\nnum_tokens: 16\nclient_encryption_options:\n  enabeld: true\nsstable:\n  selected_format: big\n"), settings)
	if got.Status != SyncGood || got.Compared != 1 || !reflect.DeepEqual(got.Unknown, []string{"client_encryption_options.enabeld", "compaction_throughput_mb_per_secs", "sstable"}) {
		t.Errorf("%+v", got)
	}
	for name, tc := range map[string]struct {
		yaml     string
		settings map[string]string
	}{
		"not yaml":      {"num_tokens: [16\n", settings},
		"not a mapping": {"- a\n- b\n", settings},
		"no settings":   {"num_tokens: 16\n", nil},
	} {
		got := CompareConfig([]byte(tc.yaml), tc.settings)
		if got.Status != SyncUnknown || got.Error == "" || got.Differences == nil {
			t.Errorf("%s: %+v", name, got)
		}
	}
	if got := CompareConfig(nil, settings); got.Status != SyncGood || got.Compared != 0 {
		t.Errorf("empty file: %+v", got)
	}
	if got := CompareConfigFile("/nonexistent/cassandra.yaml", settings); got.Status != SyncUnknown || !strings.Contains(got.Error, "no such file") {
		t.Errorf("missing file: %+v", got)
	}
	// Differences come sorted by key.
	got = CompareConfig([]byte("num_tokens: 8\ncluster_name: x\nconcurrent_reads: 1\n"), settings)
	keys := []string{}
	for _, d := range got.Differences {
		keys = append(keys, d.Key)
	}
	if !sort.StringsAreSorted(keys) || len(keys) != 3 || slices.Contains(keys, "") {
		t.Errorf("differences %v", keys)
	}
}

// A real 4.1.6 node (settings.txt) runs every runtime-settable key at the
// default recorded for it: a file that sets none of them shows no drift.
// The same node with a value changed at runtime (as nodetool
// setcompactionthroughput 12 would) shows exactly that key, with the
// default it should have had.
func TestCompareConfigCommentedOutDrift(t *testing.T) {
	settings, _ := loadSettings(t)
	// The stock 4.1.6 cassandra.yaml sets cas_contention_timeout to 1000ms.
	file := []byte("cluster_name: realcass\ncas_contention_timeout: 1000ms\n# compaction_throughput: 64MiB/s\nhinted_handoff_throttle:\n")
	if got := CompareConfigVersion(file, settings, "4.1.6"); got.Status != SyncGood {
		t.Fatalf("stock running values: %s %+v", got.Status, got.Differences)
	}
	for k := range defaults41 {
		if _, ok := settings[k]; !ok {
			t.Errorf("defaults41 lists %s, which settings.txt does not have", k)
		}
	}
	changed := maps.Clone(settings)
	changed["compaction_throughput"] = "12MiB/s"
	changed["compaction_throughput_mb_per_sec"] = "12" // 4.1 shows the old name too
	changed["hinted_handoff_throttle"] = "2048KiB"
	changed["hinted_handoff_throttle_in_kb"] = "2048"
	got := CompareConfigVersion(file, changed, "4.1.6")
	want := []Difference{
		{Key: "compaction_throughput", Running: "12MiB/s", Default: "64MiB/s"},
		{Key: "hinted_handoff_throttle", Running: "2048KiB", Default: "1024KiB"},
	}
	if got.Status != SyncBad || !reflect.DeepEqual(got.Differences, want) {
		t.Errorf("got %s %+v, want BAD %+v", got.Status, got.Differences, want)
	}
	// Set in the file (under its old name): compared with the file, not the default.
	withOld := append(file, []byte("compaction_throughput_mb_per_sec: 12\n")...)
	if got := CompareConfigVersion(withOld, changed, "4.1.6"); len(got.Differences) != 1 || got.Differences[0].Key != "hinted_handoff_throttle" {
		t.Errorf("old name in file: %+v", got.Differences)
	}
	// Unknown release: no defaults to compare with.
	if got := CompareConfigVersion(file, changed, "5.0.2"); got.Status != SyncGood {
		t.Errorf("5.0: %s %+v", got.Status, got.Differences)
	}
}
