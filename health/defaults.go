package health

import "strings"

// defaults41 are Cassandra 4.1's own defaults (the field initialisers in
// src/java/org/apache/cassandra/config/Config.java at 4.1.6) for the
// settings that can change while the node runs (JMX setters, nodetool
// set*). A key commented out of cassandra.yaml runs with its default, so a
// running value that is not the default is drift nobody wrote down: it is
// lost at the next restart. Settings whose default depends on the machine
// (concurrent_compactors: DatabaseDescriptor derives it from cores and
// data directories) are not listed: there is nothing to compare with.
var defaults41 = map[string]string{
	"compaction_throughput":                              "64MiB/s",
	"stream_throughput_outbound":                         "24MiB/s",
	"inter_dc_stream_throughput_outbound":                "24MiB/s",
	"entire_sstable_stream_throughput_outbound":          "24MiB/s",
	"entire_sstable_inter_dc_stream_throughput_outbound": "24MiB/s",
	"hinted_handoff_enabled":                             "true",
	"max_hint_window":                                    "3h",
	"hinted_handoff_throttle":                            "1024KiB",
	"batchlog_replay_throttle":                           "1024KiB",
	"batch_size_warn_threshold":                          "5KiB",
	"batch_size_fail_threshold":                          "50KiB",
	"column_index_size":                                  "64KiB",
	"tombstone_warn_threshold":                           "1000",
	"tombstone_failure_threshold":                        "100000",
	"transfer_hints_on_decommission":                     "true",
	"incremental_backups":                                "false",
	"native_transport_allow_older_protocols":             "true",
	"concurrent_materialized_view_builders":              "1",
	"phi_convict_threshold":                              "8.0",
	"request_timeout":                                    "10000ms",
	"read_request_timeout":                               "5000ms",
	"range_request_timeout":                              "10000ms",
	"write_request_timeout":                              "2000ms",
	"counter_write_request_timeout":                      "5000ms",
	"cas_contention_timeout":                             "1800ms",
	"truncate_request_timeout":                           "60000ms",
}

// versionDefaults are the defaults of the release the node runs, or nil
// when ringside does not know them (only 4.1's are recorded).
func versionDefaults(release string) map[string]string {
	if strings.HasPrefix(release, "4.1.") || release == "4.1" {
		return defaults41
	}
	return nil
}

// compareDefaults reports the settings that cassandra.yaml leaves unset
// (absent, commented out, or null) whose running value is not the
// release's default.
func compareDefaults(flat map[string]yval, settings map[string]string, release string) []Difference {
	defs := versionDefaults(release)
	var out []Difference
	for _, key := range sortedKeys(defs) {
		if setInFile(flat, key) {
			continue
		}
		running, ok := settings[key]
		if !ok {
			continue
		}
		def := defs[key]
		if equalValue(key, yval{kind: yScalar, s: def}, running) {
			continue
		}
		out = append(out, Difference{Key: key, Running: running, Default: def})
	}
	return out
}

// setInFile: does cassandra.yaml give key a value, under its 4.1 name or a
// pre-4.1 one?
func setInFile(flat map[string]yval, key string) bool {
	if v, ok := flat[key]; ok && v.kind != yNull {
		return true
	}
	for _, r := range renameByNew[key] {
		if v, ok := flat[r.other]; ok && v.kind != yNull {
			return true
		}
	}
	return false
}
