package sim_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// captureSettings reads testdata/cassandra-4.1.6/settings.txt (name → value).
func captureSettings(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../testdata/cassandra-4.1.6/settings.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, "|")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || name == "name" {
			continue
		}
		out[name] = value
	}
	return out
}

func settingsRows(t *testing.T, s *gocql.Session) map[string]string {
	t.Helper()
	it := s.Query("SELECT name, value FROM system_views.settings").Iter()
	out := map[string]string{}
	var name string
	var value *string
	for it.Scan(&name, &value) {
		if value != nil {
			out[name] = *value
		}
		value = nil
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHotSettings: JMX writes change system_views.settings under both
// names, formatted as 4.1's Config types print them after the setter
// (a setter builds the value in its JMX unit: 2h written as ms reads back
// "7200000ms"); Cassandra's validation errors come back as Jolokia errors.
func TestHotSettings(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	n := c.Nodes()[0]
	url := fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort)
	s := session(t, c, "")
	want := captureSettings(t)
	got := settingsRows(t, s)
	// The node starts with the captured node's values, rendered by the
	// simulator's own conversions for both names.
	for _, k := range []string{"compaction_throughput", "compaction_throughput_mb_per_sec", "stream_throughput_outbound",
		"stream_throughput_outbound_megabits_per_sec", "inter_dc_stream_throughput_outbound_megabits_per_sec",
		"max_hint_window", "max_hint_window_in_ms", "hinted_handoff_throttle_in_kb", "batch_size_warn_threshold_in_kb",
		"batch_size_fail_threshold_in_kb", "batchlog_replay_throttle_in_kb", "read_request_timeout_in_ms",
		"cas_contention_timeout_in_ms", "concurrent_compactors", "tombstone_failure_threshold",
		"native_transport_allow_older_protocols", "incremental_backups", "entire_sstable_stream_throughput_outbound"} {
		if got[k] != want[k] || got[k] == "" {
			t.Errorf("%s = %q at start, the 4.1.6 node has %q", k, got[k], want[k])
		}
	}

	ss, sp := `"mbean":"org.apache.cassandra.db:type=StorageService"`, `"mbean":"org.apache.cassandra.db:type=StorageProxy"`
	write := func(mbean, attr, value string) map[string]any {
		return jolokia(t, url, `{"type":"write",`+mbean+`,"attribute":"`+attr+`","value":`+value+`}`)
	}
	for _, w := range []struct {
		mbean, attr, value string
		rows               map[string]string
	}{
		{ss, "CompactionThroughputMbPerSec", "12", map[string]string{"compaction_throughput": "12MiB/s", "compaction_throughput_mb_per_sec": "12"}},
		{ss, "StreamThroughputMbitPerSec", "200", map[string]string{"stream_throughput_outbound": "25000000B/s", "stream_throughput_outbound_megabits_per_sec": "200"}},
		{ss, "InterDCStreamThroughputMebibytesPerSec", "10", map[string]string{"inter_dc_stream_throughput_outbound": "10MiB/s", "inter_dc_stream_throughput_outbound_megabits_per_sec": "84"}},
		{ss, "ConcurrentCompactors", "4", map[string]string{"concurrent_compactors": "4"}},
		{ss, "BatchSizeWarnThreshold", "7", map[string]string{"batch_size_warn_threshold": "7KiB", "batch_size_warn_threshold_in_kb": "7"}},
		{ss, "ReadRpcTimeout", "7000", map[string]string{"read_request_timeout": "7000ms", "read_request_timeout_in_ms": "7000"}},
		{ss, "TombstoneWarnThreshold", "2000", map[string]string{"tombstone_warn_threshold": "2000"}},
		{ss, "IncrementalBackupsEnabled", "true", map[string]string{"incremental_backups": "true"}},
		{sp, "MaxHintWindow", "7200000", map[string]string{"max_hint_window": "7200000ms", "max_hint_window_in_ms": "7200000"}},
		{sp, "HintedHandoffEnabled", "false", map[string]string{"hinted_handoff_enabled": "false"}},
		{sp, "MaxHintsSizePerHostInMiB", "64", map[string]string{"max_hints_size_per_host": "64MiB"}},
	} {
		if r := write(w.mbean, w.attr, w.value); r["status"].(float64) != 200 {
			t.Fatalf("write %s=%s: %v", w.attr, w.value, r)
		}
		got := settingsRows(t, s)
		for k, v := range w.rows {
			if got[k] != v {
				t.Errorf("after %s=%s: %s = %q, want %q", w.attr, w.value, k, got[k], v)
			}
		}
		r := jolokia(t, url, `{"type":"read",`+w.mbean+`,"attribute":"`+w.attr+`"}`)
		if v := strconv.FormatFloat(toFloat(r["value"]), 'f', -1, 64); r["value"] != (w.value == "true") && v != w.value {
			t.Errorf("read %s = %v, want %s", w.attr, r["value"], w.value)
		}
	}
	r := jolokia(t, url, `{"type":"exec",`+ss+`,"operation":"disableNativeTransportOldProtocolVersions"}`)
	if r["status"].(float64) != 200 || settingsRows(t, s)["native_transport_allow_older_protocols"] != "false" {
		t.Errorf("disableNativeTransportOldProtocolVersions: %v", r)
	}

	// Cassandra's own checks.
	for _, w := range []struct{ mbean, attr, value, errType, msg string }{
		{ss, "ConcurrentCompactors", "0", "java.lang.IllegalArgumentException", "Number of concurrent compactors should be greater than 0."},
		{ss, "CompactionThroughputMbPerSec", "-1", "java.lang.IllegalArgumentException", "Invalid data rate: value must be non-negative"},
		{ss, "CompactionThroughputMbPerSec", "2147483647", "java.lang.IllegalArgumentException", "compaction_throughput: 2147483647 is too large"},
		{ss, "StreamThroughputMebibytesPerSec", "256000000", "java.lang.IllegalArgumentException", "stream_throughput_outbound: 256000000 is too large; it should be less than 2147483647 in megabits/s"},
		{ss, "StreamThroughputMbitPerSec", "2147483647", "java.lang.IllegalArgumentException", "should be between 0 and 2147483646 in megabits per second"},
		{ss, "BatchSizeFailureThreshold", "-5", "java.lang.IllegalArgumentException", "Invalid data storage: value must be non-negative"},
		{sp, "MaxHintWindow", "-1", "java.lang.IllegalArgumentException", "Invalid duration: value must be non-negative"},
		{sp, "MaxHintsSizePerHostInMiB", "-1", "java.lang.IllegalArgumentException", "Invalid data storage: value must be non-negative"},
		// Write-only: Jolokia reads the old value first.
		{ss, "HintedHandoffThrottleInKB", "2048", "javax.management.AttributeNotFoundException", "Write-only attribute: HintedHandoffThrottleInKB"},
		{ss, "EntireSSTableStreamThroughputMebibytesPerSec", "48", "javax.management.AttributeNotFoundException", "Write-only attribute"},
	} {
		r := write(w.mbean, w.attr, w.value)
		if r["status"].(float64) == 200 || r["error_type"] != w.errType || !strings.Contains(fmt.Sprint(r["error"]), w.msg) {
			t.Errorf("write %s=%s: %v %v, want %s %q", w.attr, w.value, r["error_type"], r["error"], w.errType, w.msg)
		}
	}
	if got := settingsRows(t, s); got["concurrent_compactors"] != "4" || got["compaction_throughput"] != "12MiB/s" || got["hinted_handoff_throttle"] != "1024KiB" || got["max_hints_size_per_host"] != "64MiB" {
		t.Errorf("a refused write changed something: %v %v %v %v", got["concurrent_compactors"], got["compaction_throughput"], got["hinted_handoff_throttle"], got["max_hints_size_per_host"])
	}

	// A restart brings back cassandra.yaml's values.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return n.Status().OperationMode == "NORMAL" && n.Status().NativeTransport })
	s.Close()
	s = session(t, c, "")
	if got := settingsRows(t, s); got["compaction_throughput"] != "64MiB/s" || got["max_hint_window"] != "3h" {
		t.Errorf("after restart: %s %s", got["compaction_throughput"], got["max_hint_window"])
	}
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}
