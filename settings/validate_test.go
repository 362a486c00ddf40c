package settings

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestValidate: each bad request is refused whole, naming each bad key and why.
func TestValidate(t *testing.T) {
	for _, c := range []struct {
		body string
		want map[string]string // key → substring of why
	}{
		// Wrong types.
		{`{"concurrent_compactors": "4"}`, map[string]string{"concurrent_compactors": `must be a whole number, not the string "4"`}},
		{`{"concurrent_compactors": 2.5}`, map[string]string{"concurrent_compactors": "must be a whole number, not 2.5"}},
		{`{"hinted_handoff_enabled": "yes"}`, map[string]string{"hinted_handoff_enabled": "must be true or false"}},
		{`{"compaction_throughput": 64}`, map[string]string{"compaction_throughput": `must be a string with a unit, like "64MiB/s" (units: B/s, KiB/s, MiB/s), not a number; a plain number in MiB/s goes under compaction_throughput_mb_per_sec`}},
		{`{"compaction_throughput_mb_per_sec": "64"}`, map[string]string{"compaction_throughput_mb_per_sec": `must be a number in MiB/s, not a string (the 4.1 name compaction_throughput takes strings like "64MiB/s")`}},
		{`{"compaction_throughput_mb_per_sec": null}`, map[string]string{"compaction_throughput_mb_per_sec": "not null"}},
		{`{"max_hint_window": {"h": 3}}`, map[string]string{"max_hint_window": "not an object"}},
		// Ranges, as the setters check them.
		{`{"concurrent_compactors": 0}`, map[string]string{"concurrent_compactors": "must be greater than 0 (org.apache.cassandra.db:type=StorageService ConcurrentCompactors takes 1..2147483647)"}},
		{`{"compaction_throughput_mb_per_sec": -1}`, map[string]string{"compaction_throughput_mb_per_sec": "must not be negative"}},
		{`{"compaction_throughput_mb_per_sec": 2147483647}`, map[string]string{"compaction_throughput_mb_per_sec": "must be at most 2147483646 MiB/s"}},
		{`{"max_hint_window": "30d"}`, map[string]string{"max_hint_window": `"30d" is 2592000000 ms; must be at most 2147483646 ms`}},
		{`{"stream_throughput_outbound": "300000000MiB/s"}`, map[string]string{"stream_throughput_outbound": "is 300000000 MiB/s; must be at most 255999999 MiB/s"}},
		{`{"read_request_timeout_in_ms": 1e300}`, map[string]string{"read_request_timeout_in_ms": "out of range"}},
		{`{"read_request_timeout_in_ms": 12.5}`, map[string]string{"read_request_timeout_in_ms": "must be a whole number, not 12.5"}},
		{`{"read_request_timeout_in_ms": 1e999}`, map[string]string{"read_request_timeout_in_ms": "out of range"}},
		// Values the JMX unit cannot hold.
		{`{"compaction_throughput": "1536KiB/s"}`, map[string]string{"compaction_throughput": `"1536KiB/s" is not a whole number of MiB/s`}},
		{`{"stream_throughput_outbound": "1000B/s"}`, map[string]string{"stream_throughput_outbound": "not a whole number of MiB/s or megabits/s"}},
		{`{"max_hint_window": "10us"}`, map[string]string{"max_hint_window": "us is finer than this setting takes (units: ms, s, m, h, d)"}},
		{`{"batch_size_warn_threshold": "5120B"}`, map[string]string{"batch_size_warn_threshold": "B is finer than this setting takes (units: KiB, MiB, GiB)"}},
		// 4.1's own syntax: a unit is required, case matters, no sign, no space.
		{`{"compaction_throughput": "64mib/s"}`, map[string]string{"compaction_throughput": `"64mib/s" is not a rate`}},
		{`{"max_hint_window": "3H"}`, map[string]string{"max_hint_window": "is not a duration"}},
		{`{"max_hint_window": "-3h"}`, map[string]string{"max_hint_window": "is not a duration"}},
		{`{"compaction_throughput": "64 MiB/s"}`, map[string]string{"compaction_throughput": "is not a rate"}},
		{`{"compaction_throughput": "64"}`, map[string]string{"compaction_throughput": "is not a rate"}},
		{`{"compaction_throughput": "99999999999999999999MiB/s"}`, map[string]string{"compaction_throughput": "is too large"}},
		// Unknown keys, with a suggestion when one is close.
		{`{"compaction_throughput_mb_per_secs": 1}`, map[string]string{"compaction_throughput_mb_per_secs": `unknown key: not a Cassandra 4.1 setting (did you mean "compaction_throughput_mb_per_sec"?)`}},
		{`{"concurent_compactors": 2}`, map[string]string{"concurent_compactors": `did you mean "concurrent_compactors"?`}},
		{`{"Compaction_Throughput": "1MiB/s"}`, map[string]string{"Compaction_Throughput": `did you mean "compaction_throughput"?`}},
		{`{"xyzzy": 1}`, map[string]string{"xyzzy": "unknown key: not a Cassandra 4.1 setting"}},
		// Known but not hot-settable.
		{`{"trickle_fsync": true}`, map[string]string{"trickle_fsync": "not hot-settable (a restart with cassandra.yaml is needed)"}},
		{`{"concurrent_reads": 64}`, map[string]string{"concurrent_reads": "not hot-settable"}},
		{`{"auto_optimise_full_repair_streams": true}`, map[string]string{"auto_optimise_full_repair_streams": "not hot-settable: Cassandra 4.1 changes it at runtime only through the write-only JMX attribute StorageService.AutoOptimiseFullRepairStreams, which Jolokia cannot write (it reads the old value first) and no nodetool command sets"}},
		// Dotted (nested) keys, dotted or as objects.
		{`{"audit_logging_options.enabled": true}`, map[string]string{"audit_logging_options.enabled": "not hot-settable"}},
		{`{"audit_logging_options": {"enabled": true}}`, map[string]string{"audit_logging_options.enabled": "not hot-settable"}},
		{`{"audit_logging_options": {"logger": {"class_name": "x"}}}`, map[string]string{"audit_logging_options.logger.class_name": "not hot-settable"}},
		{`{"audit_logging_options.enabeld": true}`, map[string]string{"audit_logging_options.enabeld": `did you mean "audit_logging_options.enabled"?`}},
		{`{"audit_logging_options": {"bogus": 1}}`, map[string]string{"audit_logging_options.bogus": "unknown key"}},
		{`{"audit_logging_options": {"enabled": true}, "audit_logging_options.enabled": false}`, map[string]string{"audit_logging_options.enabled": "given twice"}},
		// One setting under both names.
		{`{"compaction_throughput": "10MiB/s", "compaction_throughput_mb_per_sec": 10}`, map[string]string{
			"compaction_throughput":            "names the same setting as compaction_throughput_mb_per_sec; give it once",
			"compaction_throughput_mb_per_sec": "names the same setting as compaction_throughput; give it once"}},
		// Several problems at once, good keys not listed.
		{`{"concurrent_compactors": 0, "compaction_throughput": "8MiB/s", "trickle_fsync": true}`, map[string]string{
			"concurrent_compactors": "greater than 0", "trickle_fsync": "not hot-settable"}},
		// The body itself.
		{`{}`, map[string]string{"": "no settings given"}},
		{``, map[string]string{"": "the body is empty"}},
		{`[{"concurrent_compactors": 2}]`, map[string]string{"": "must be a JSON object of cassandra.yaml keys, not an array"}},
		{`"x"`, map[string]string{"": "must be a JSON object"}},
		{`{"concurrent_compactors": 2, "concurrent_compactors": 3}`, map[string]string{"concurrent_compactors": "given more than once"}},
		{`{"audit_logging_options": {"enabled": true, "enabled": false}}`, map[string]string{"audit_logging_options.enabled": "given more than once"}},
		{`{"concurrent_compactors": 2} {}`, map[string]string{"": "data after the JSON object"}},
		{`{"concurrent_compactors": 2`, map[string]string{"": "not valid JSON"}},
		{`{"concurrent_compactors": 2,}`, map[string]string{"": "not valid JSON"}},
		{strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), map[string]string{"": "nested too deeply"}},
	} {
		changes, err := decodeRequest([]byte(c.body))
		if err == nil {
			err = Validate(changes)
		}
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if len(ie.Problems) != len(c.want) {
			t.Errorf("%s: problems %v, want keys of %v", c.body, ie.Problems, c.want)
		}
		for k, want := range c.want {
			if !strings.Contains(ie.Problems[k], want) {
				t.Errorf("%s: %q: %q, want %q", c.body, k, ie.Problems[k], want)
			}
		}
	}
}

// TestValidateGood: the value forms accepted.
func TestValidateGood(t *testing.T) {
	for _, body := range []string{
		`{"compaction_throughput_mb_per_sec": 12}`,
		`{"compaction_throughput_mb_per_sec": 12.0}`,
		`{"compaction_throughput_mb_per_sec": 1.2e1}`,
		`{"compaction_throughput": "0MiB/s"}`,
		`{"compaction_throughput": "1048576B/s"}`,
		`{"stream_throughput_outbound": "125000B/s"}`,
		`{"max_hint_window": "1d", "concurrent_compactors": 8, "hinted_handoff_enabled": false}`,
		`{"batch_size_fail_threshold": "1GiB"}`,
		`{"read_request_timeout": "9000000000000000ms"}`,
		// Settable through nodetool only (Set refuses them with Jolokia).
		`{"hinted_handoff_throttle": "2048KiB", "entire_sstable_stream_throughput_outbound": "24MiB/s"}`,
		`{"hinted_handoff_throttle_in_kb": 2048}`,
	} {
		changes, err := decodeRequest([]byte(body))
		if err == nil {
			err = Validate(changes)
		}
		if err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	// Go values, as a caller that did not decode JSON passes them.
	if err := Validate(map[string]any{"concurrent_compactors": 4, "tombstone_warn_threshold": int64(10), "max_hint_window_in_ms": float64(1000), "incremental_backups": true}); err != nil {
		t.Error(err)
	}
	if err := Validate(map[string]any{"concurrent_compactors": uint64(1 << 63)}); err == nil {
		t.Error("uint64 1<<63 accepted")
	}
}

// TestPlans: which attribute a value goes to, in which unit.
func TestPlans(t *testing.T) {
	for _, c := range []struct {
		key   string
		value any
		attr  string
		want  any
	}{
		{"compaction_throughput", "1024MiB/s", "CompactionThroughputMbPerSec", int64(1024)},
		{"stream_throughput_outbound", "24MiB/s", "StreamThroughputMebibytesPerSec", int64(24)},
		{"stream_throughput_outbound", "250000B/s", "StreamThroughputMbitPerSec", int64(2)},
		{"stream_throughput_outbound", "0B/s", "StreamThroughputMebibytesPerSec", int64(0)},
		{"stream_throughput_outbound_megabits_per_sec", json.Number("201"), "StreamThroughputMbitPerSec", int64(201)},
		{"max_hint_window", "3h", "MaxHintWindow", int64(10800000)},
		{"batch_size_warn_threshold", "2MiB", "BatchSizeWarnThreshold", int64(2048)},
		{"native_transport_allow_older_protocols", true, "", true},
	} {
		ps, err := plans(map[string]any{c.key: c.value})
		if err != nil || len(ps) != 1 || ps[0].t.attr != c.attr || ps[0].value != c.want {
			t.Errorf("%s=%v: %+v %v", c.key, c.value, ps, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	for key, want := range map[string]string{
		"compaction_throughput_mb": "compaction_throughput",
		"stream_throughput":        "stream_throughput_outbound",
		"hinted_handof_enabled":    "hinted_handoff_enabled",
		"q":                        "",
		strings.Repeat("x", 300):   "",
	} {
		if got := suggest(key, nil); got != want {
			t.Errorf("suggest(%.20q) = %q, want %q", key, got, want)
		}
	}
}
