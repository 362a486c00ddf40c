package health

// conversion is how Cassandra 4.1 turns the value of a pre-4.1 name into
// the value of its new name (config/Converters.java), and back for the
// old name's row in system_views.settings.
type conversion struct {
	// unit of the old bare number ("" for IDENTITY: same value, new name).
	unit string
	// minusOneNull: -1 under the old name means null under the new one
	// (MILLIS_CUSTOM_DURATION, MINUTES_CUSTOM_DURATION, BYTES_CUSTOM_DATASTORAGE).
	minusOneNull bool
	// negativeNull: any negative old value means null
	// (NEGATIVE_MEBIBYTES_DATA_STORAGE_INT).
	negativeNull bool
	// negativeZero: a negative old value means 0 (NEGATIVE_SECONDS_DURATION).
	negativeZero bool
}

var (
	convIdentity = conversion{}
	convMillis   = conversion{unit: "ms"} // MILLIS_DURATION_INT/LONG; DOUBLE maps NaN to 0
	convSeconds  = conversion{unit: "s"}  // SECONDS_DURATION
	convMiB      = conversion{unit: "MiB"}
	convKiB      = conversion{unit: "KiB"}
	convBytes    = conversion{unit: "B"}
	convMiBps    = conversion{unit: "MiB/s"}      // MEBIBYTES_PER_SECOND_DATA_RATE
	convMegabits = conversion{unit: "megabits/s"} // MEGABITS_TO_BYTES_PER_SECOND_DATA_RATE
)

// renames are Cassandra 4.1's @Replaces annotations on Config (and the
// nested EncryptionOptions): old cassandra.yaml name → new name. 4.1
// accepts either name in cassandra.yaml and system_views.settings shows
// both (the old one through the converter's unconvert). Every name here is
// checked against the settings of a real 4.1.6 node in the tests.
var renames = []struct {
	old, new string
	conv     conversion
}{
	{"permissions_validity_in_ms", "permissions_validity", convMillis},
	{"permissions_update_interval_in_ms", "permissions_update_interval", conversion{unit: "ms", minusOneNull: true}},
	{"roles_validity_in_ms", "roles_validity", convMillis},
	{"roles_update_interval_in_ms", "roles_update_interval", conversion{unit: "ms", minusOneNull: true}},
	{"credentials_validity_in_ms", "credentials_validity", convMillis},
	{"credentials_update_interval_in_ms", "credentials_update_interval", conversion{unit: "ms", minusOneNull: true}},
	{"max_hint_window_in_ms", "max_hint_window", convMillis},
	{"native_transport_idle_timeout_in_ms", "native_transport_idle_timeout", convMillis},
	{"request_timeout_in_ms", "request_timeout", convMillis},
	{"read_request_timeout_in_ms", "read_request_timeout", convMillis},
	{"range_request_timeout_in_ms", "range_request_timeout", convMillis},
	{"write_request_timeout_in_ms", "write_request_timeout", convMillis},
	{"counter_write_request_timeout_in_ms", "counter_write_request_timeout", convMillis},
	{"cas_contention_timeout_in_ms", "cas_contention_timeout", convMillis},
	{"truncate_request_timeout_in_ms", "truncate_request_timeout", convMillis},
	{"repair_request_timeout_in_ms", "repair_request_timeout", convMillis},
	{"streaming_keep_alive_period_in_secs", "streaming_keep_alive_period", convSeconds},
	{"cross_node_timeout", "internode_timeout", convIdentity},
	{"slow_query_log_timeout_in_ms", "slow_query_log_timeout", convMillis},
	{"memtable_heap_space_in_mb", "memtable_heap_space", convMiB},
	{"memtable_offheap_space_in_mb", "memtable_offheap_space", convMiB},
	{"repair_session_space_in_mb", "repair_session_space", convMiB},
	{"internode_max_message_size_in_bytes", "internode_max_message_size", convBytes},
	{"internode_socket_send_buffer_size_in_bytes", "internode_socket_send_buffer_size", convBytes},
	{"internode_send_buff_size_in_bytes", "internode_socket_send_buffer_size", convBytes},
	{"internode_socket_receive_buffer_size_in_bytes", "internode_socket_receive_buffer_size", convBytes},
	{"internode_recv_buff_size_in_bytes", "internode_socket_receive_buffer_size", convBytes},
	{"internode_application_send_queue_capacity_in_bytes", "internode_application_send_queue_capacity", convBytes},
	{"internode_application_send_queue_reserve_endpoint_capacity_in_bytes", "internode_application_send_queue_reserve_endpoint_capacity", convBytes},
	{"internode_application_send_queue_reserve_global_capacity_in_bytes", "internode_application_send_queue_reserve_global_capacity", convBytes},
	{"internode_application_receive_queue_capacity_in_bytes", "internode_application_receive_queue_capacity", convBytes},
	{"internode_application_receive_queue_reserve_endpoint_capacity_in_bytes", "internode_application_receive_queue_reserve_endpoint_capacity", convBytes},
	{"internode_application_receive_queue_reserve_global_capacity_in_bytes", "internode_application_receive_queue_reserve_global_capacity", convBytes},
	{"internode_tcp_connect_timeout_in_ms", "internode_tcp_connect_timeout", convMillis},
	{"internode_tcp_user_timeout_in_ms", "internode_tcp_user_timeout", convMillis},
	{"internode_streaming_tcp_user_timeout_in_ms", "internode_streaming_tcp_user_timeout", convMillis},
	{"native_transport_max_frame_size_in_mb", "native_transport_max_frame_size", convMiB},
	{"native_transport_max_concurrent_requests_in_bytes_per_ip", "native_transport_max_request_data_in_flight_per_ip", conversion{unit: "B", minusOneNull: true}},
	{"native_transport_max_concurrent_requests_in_bytes", "native_transport_max_request_data_in_flight", conversion{unit: "B", minusOneNull: true}},
	{"native_transport_receive_queue_capacity_in_bytes", "native_transport_receive_queue_capacity", convBytes},
	{"max_value_size_in_mb", "max_value_size", convMiB},
	{"column_index_size_in_kb", "column_index_size", convKiB},
	{"column_index_cache_size_in_kb", "column_index_cache_size", convKiB},
	{"batch_size_warn_threshold_in_kb", "batch_size_warn_threshold", convKiB},
	{"batch_size_fail_threshold_in_kb", "batch_size_fail_threshold", convKiB},
	{"compaction_throughput_mb_per_sec", "compaction_throughput", convMiBps},
	{"compaction_large_partition_warning_threshold_mb", "compaction_large_partition_warning_threshold", convMiB},
	{"min_free_space_per_drive_in_mb", "min_free_space_per_drive", convMiB},
	{"stream_throughput_outbound_megabits_per_sec", "stream_throughput_outbound", convMegabits},
	{"inter_dc_stream_throughput_outbound_megabits_per_sec", "inter_dc_stream_throughput_outbound", convMegabits},
	{"commitlog_total_space_in_mb", "commitlog_total_space", convMiB},
	{"commitlog_sync_group_window_in_ms", "commitlog_sync_group_window", convMillis},
	{"commitlog_sync_period_in_ms", "commitlog_sync_period", convMillis},
	{"commitlog_segment_size_in_mb", "commitlog_segment_size", convMiB},
	{"periodic_commitlog_sync_lag_block_in_ms", "periodic_commitlog_sync_lag_block", convMillis},
	{"max_mutation_size_in_kb", "max_mutation_size", convKiB},
	{"cdc_total_space_in_mb", "cdc_total_space", convMiB},
	{"cdc_free_space_check_interval_ms", "cdc_free_space_check_interval", convMillis},
	{"dynamic_snitch_update_interval_in_ms", "dynamic_snitch_update_interval", convMillis},
	{"dynamic_snitch_reset_interval_in_ms", "dynamic_snitch_reset_interval", convMillis},
	{"hinted_handoff_throttle_in_kb", "hinted_handoff_throttle", convKiB},
	{"batchlog_replay_throttle_in_kb", "batchlog_replay_throttle", convKiB},
	{"hints_flush_period_in_ms", "hints_flush_period", convMillis},
	{"max_hints_file_size_in_mb", "max_hints_file_size", convMiB},
	{"trickle_fsync_interval_in_kb", "trickle_fsync_interval", convKiB},
	{"sstable_preemptive_open_interval_in_mb", "sstable_preemptive_open_interval", conversion{unit: "MiB", negativeNull: true}},
	{"key_cache_size_in_mb", "key_cache_size", convMiB},
	{"counter_cache_size_in_mb", "counter_cache_size", convMiB},
	{"row_cache_size_in_mb", "row_cache_size", convMiB},
	{"cache_load_timeout_seconds", "cache_load_timeout", conversion{unit: "s", negativeZero: true}},
	{"networking_cache_size_in_mb", "networking_cache_size", convMiB},
	{"file_cache_size_in_mb", "file_cache_size", convMiB},
	{"index_summary_capacity_in_mb", "index_summary_capacity", convMiB},
	{"index_summary_resize_interval_in_minutes", "index_summary_resize_interval", conversion{unit: "m", minusOneNull: true}},
	{"gc_log_threshold_in_ms", "gc_log_threshold", convMillis},
	{"gc_warn_threshold_in_ms", "gc_warn_threshold", convMillis},
	{"tracetype_query_ttl", "trace_type_query_ttl", convSeconds},
	{"tracetype_repair_ttl", "trace_type_repair_ttl", convSeconds},
	{"prepared_statements_cache_size_mb", "prepared_statements_cache_size", convMiB},
	{"user_defined_function_warn_timeout", "user_defined_functions_warn_timeout", convMillis},
	{"user_defined_function_fail_timeout", "user_defined_functions_fail_timeout", convMillis},
	{"validation_preview_purge_head_start_in_sec", "validation_preview_purge_head_start", conversion{unit: "s", negativeZero: true}},
	{"enable_user_defined_functions", "user_defined_functions_enabled", convIdentity},
	{"enable_scripted_user_defined_functions", "scripted_user_defined_functions_enabled", convIdentity},
	{"enable_materialized_views", "materialized_views_enabled", convIdentity},
	{"enable_transient_replication", "transient_replication_enabled", convIdentity},
	{"enable_sasi_indexes", "sasi_indexes_enabled", convIdentity},
	{"enable_drop_compact_storage", "drop_compact_storage_enabled", convIdentity},
	{"enable_user_defined_functions_threads", "user_defined_functions_threads_enabled", convIdentity},
	// EncryptionOptions.ServerEncryptionOptions: the old nested name is not
	// a row of system_views.settings (only the new one and the 4.0 flat
	// name server_encryption_options_legacy_ssl_storage_port are).
	{"server_encryption_options.enable_legacy_ssl_storage_port", "server_encryption_options.legacy_ssl_storage_port_enabled", convIdentity},
}

// sameNameUnits are settings that kept their name in 4.1 but accept a bare
// number in the old unit as well as a value with a unit
// (SECONDS_CUSTOM_DURATION); their settings row shows the bare number.
var sameNameUnits = map[string]string{
	"key_cache_save_period":     "s",
	"row_cache_save_period":     "s",
	"counter_cache_save_period": "s",
}

// nullableSettings are the rows of system_views.settings that a real 4.1.6
// node reports as null with its default configuration. A null row is
// absent from node.Snapshot.Settings, so without this list such a key in
// cassandra.yaml (broadcast_address, initial_token …) would look unknown.
var nullableSettings = []string{
	"allocate_tokens_for_keyspace", "audit_logging_options.logger.parameters", "auto_snapshot_ttl",
	"back_pressure_strategy.class_name", "back_pressure_strategy.parameters", "broadcast_address",
	"broadcast_rpc_address", "client_encryption_options.accepted_protocols", "client_encryption_options.algorithm",
	"client_encryption_options.cipher_suites", "client_encryption_options.protocol",
	"client_encryption_options.truststore_password", "collection_size_fail_threshold",
	"collection_size_warn_threshold", "commitlog_compression.class_name", "commitlog_compression.parameters",
	"concurrent_replicates", "coordinator_read_size_fail_threshold", "coordinator_read_size_warn_threshold",
	"credentials_update_interval", "data_disk_usage_max_disk_size", "hints_compression.class_name",
	"hints_compression.parameters", "ideal_consistency_level", "initial_token", "internode_authenticator",
	"listen_interface", "local_read_size_fail_threshold", "local_read_size_warn_threshold",
	"local_system_data_file_directory", "memtable.configurations", "native_transport_max_negotiable_protocol_version",
	"native_transport_port_ssl", "paxos_cache_size", "paxos_contention_max_wait", "paxos_contention_min_delta",
	"paxos_contention_min_wait", "paxos_contention_wait_randomizer", "periodic_commitlog_sync_lag_block",
	"periodic_commitlog_sync_lag_block_in_ms", "permissions_update_interval", "roles_update_interval",
	"row_index_read_size_fail_threshold", "row_index_read_size_warn_threshold", "rpc_interface",
	"server_encryption_options.accepted_protocols", "server_encryption_options.algorithm",
	"server_encryption_options.cipher_suites", "server_encryption_options.protocol",
	"server_encryption_options_algorithm", "server_encryption_options_cipher_suites", "server_encryption_options_protocol",
}

type renameInfo struct {
	other string // the new name for an old one, the old names for a new one
	conv  conversion
	isOld bool
}

var (
	renameByOld = map[string]renameInfo{}
	renameByNew = map[string][]renameInfo{}
	nullable    = map[string]bool{}
)

func init() {
	for _, r := range renames {
		renameByOld[r.old] = renameInfo{other: r.new, conv: r.conv, isOld: true}
		renameByNew[r.new] = append(renameByNew[r.new], renameInfo{other: r.old, conv: r.conv})
	}
	for _, n := range nullableSettings {
		nullable[n] = true
	}
}

// impliedUnit is the unit of a bare number under key: the old name's unit
// for renamed settings, or the historic unit of the SECONDS_CUSTOM_DURATION
// ones.
func impliedUnit(key string) string {
	if r, ok := renameByOld[key]; ok {
		return r.conv.unit
	}
	return sameNameUnits[key]
}
