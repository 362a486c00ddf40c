package settings

import (
	"math"
	"slices"
)

// The MBeans the hot settings live on (Cassandra 4.1).
const (
	StorageService = "org.apache.cassandra.db:type=StorageService"
	StorageProxy   = "org.apache.cassandra.db:type=StorageProxy"
)

// kind is the type of a setting in Cassandra 4.1's Config.java.
type kind int

const (
	kindRate     kind = iota // DataRateSpec.LongBytesPerSecondBound: "64MiB/s"
	kindStorage              // DataStorageSpec.IntKibibytesBound: "5KiB"
	kindDuration             // DurationSpec.Int/LongMillisecondsBound: "3h"
	kindInt                  // int
	kindBool                 // boolean
)

// unit is what a plain number counts: a JMX attribute's or an old key's
// unit, as a multiple of its kind's base unit (bytes/s, bytes, ms).
type unit struct {
	name   string
	factor int64
}

var (
	mebibytesPerSec = unit{"MiB/s", 1 << 20}
	megabitsPerSec  = unit{"megabits/s", 125_000} // DataRateSpec: BYTES_PER_MEGABIT
	kibibytes       = unit{"KiB", 1 << 10}
	milliseconds    = unit{"ms", 1}
)

// The units a 4.1 string may carry, per kind: the symbols of DataRateSpec,
// DataStorageSpec and DurationSpec at or above each Config field's minimum
// unit (IntKibibytesBound refuses B; the millisecond bounds refuse us, ns).
var specUnits = map[kind][]unit{
	kindRate:     {{"B/s", 1}, {"KiB/s", 1 << 10}, {"MiB/s", 1 << 20}},
	kindStorage:  {{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}},
	kindDuration: {{"ms", 1}, {"s", 1000}, {"m", 60_000}, {"h", 3_600_000}, {"d", 86_400_000}},
}

// Units below a Config field's minimum unit: known to Cassandra, refused for these keys.
var tooFineUnits = map[kind][]string{
	kindStorage:  {"B"},
	kindDuration: {"us", "µs", "ns"},
}

// target is how a value reaches the node: an attribute written (Jolokia
// "write"), or for booleans a pair of operations (Jolokia "exec").
type target struct {
	mbean string
	attr  string
	unit  unit // of the attribute; zero for ints and booleans
	// min and max bound the attribute's value, inclusive: what the
	// setter (or the Config type it builds) accepts.
	min, max int64
	// ops are the operations that set a boolean: {false, true}.
	ops [2]string
	// writeOnly: the attribute has a setter and no getter (listed
	// rw:false). Jolokia's write reads the old value first, so it fails
	// on it ("Write-only attribute", jolokia WriteHandler.setAttribute);
	// nodetool, which calls the setter through a JMX proxy, can set it.
	writeOnly bool
}

func (t target) describe() string {
	if t.attr != "" {
		return t.mbean + " " + t.attr
	}
	return t.mbean + " " + t.ops[1] + "() / " + t.ops[0] + "()"
}

// entry is one hot setting.
type entry struct {
	key string // the 4.1 name
	old string // the pre-4.1 name 4.1 still accepts (@Replaces), or ""
	// oldUnit is what the old name's plain numbers count.
	oldUnit unit
	kind    kind
	// targets take the 4.1 name's values: the first whose unit holds the
	// value as a whole number in range is used.
	targets []target
	// oldTarget takes the old name's numbers (index into targets).
	oldTarget int
	// why says where the bounds come from.
	why string
}

// table is the settings PUT /v1/settings changes, each through the JMX
// attribute or operation nodetool's equivalent uses. Names, units and
// @Replaces old names are Config.java's (4.1); attributes are those a
// 4.1.6 node lists (testdata/cassandra-4.1.6/jolokia/list_storageservice.json,
// StorageProxyMBean.java); bounds are the setters' own checks.
var table = []entry{
	{
		key: "compaction_throughput", old: "compaction_throughput_mb_per_sec", oldUnit: mebibytesPerSec, kind: kindRate,
		targets: []target{{mbean: StorageService, attr: "CompactionThroughputMbPerSec", unit: mebibytesPerSec, min: 0, max: math.MaxInt32 - 1}},
		why:     "StorageService.setCompactionThroughputMbPerSec(int MiB/s); DatabaseDescriptor refuses Integer.MAX_VALUE, DataRateSpec negatives; 0 = unthrottled",
	},
	{
		key: "stream_throughput_outbound", old: "stream_throughput_outbound_megabits_per_sec", oldUnit: megabitsPerSec, kind: kindRate,
		targets: []target{
			{mbean: StorageService, attr: "StreamThroughputMebibytesPerSec", unit: mebibytesPerSec, min: 0, max: 255_999_999},
			{mbean: StorageService, attr: "StreamThroughputMbitPerSec", unit: megabitsPerSec, min: 0, max: math.MaxInt32 - 1},
		},
		oldTarget: 1,
		why:       "setStreamThroughputMebibytesPerSec(int) refuses values of 2^31-1 megabits/s and more; setStreamThroughputMbitPerSec(int) values from 2^31-1 (megabitsPerSecondInBytesPerSecond); 0 = unthrottled",
	},
	{
		key: "inter_dc_stream_throughput_outbound", old: "inter_dc_stream_throughput_outbound_megabits_per_sec", oldUnit: megabitsPerSec, kind: kindRate,
		targets: []target{
			{mbean: StorageService, attr: "InterDCStreamThroughputMebibytesPerSec", unit: mebibytesPerSec, min: 0, max: 255_999_999},
			{mbean: StorageService, attr: "InterDCStreamThroughputMbitPerSec", unit: megabitsPerSec, min: 0, max: math.MaxInt32 - 1},
		},
		oldTarget: 1,
		why:       "as stream_throughput_outbound (setInterDCStreamThroughput…)",
	},
	{
		key: "concurrent_compactors", kind: kindInt,
		targets: []target{{mbean: StorageService, attr: "ConcurrentCompactors", min: 1, max: math.MaxInt32}},
		why:     `StorageService.setConcurrentCompactors: "Number of concurrent compactors should be greater than 0."`,
	},
	{
		key: "hinted_handoff_enabled", kind: kindBool,
		targets: []target{{mbean: StorageProxy, attr: "HintedHandoffEnabled"}},
		why:     "StorageProxy.setHintedHandoffEnabled (enabling fails while the node drains or is drained)",
	},
	{
		key: "max_hint_window", old: "max_hint_window_in_ms", oldUnit: milliseconds, kind: kindDuration,
		targets: []target{{mbean: StorageProxy, attr: "MaxHintWindow", unit: milliseconds, min: 0, max: math.MaxInt32 - 1}},
		why:     "StorageProxy.setMaxHintWindow(int ms): DurationSpec.IntMillisecondsBound",
	},
	{
		key: "batch_size_warn_threshold", old: "batch_size_warn_threshold_in_kb", oldUnit: kibibytes, kind: kindStorage,
		targets: []target{{mbean: StorageService, attr: "BatchSizeWarnThreshold", unit: kibibytes, min: 0, max: math.MaxInt32 - 1}},
		why:     "StorageService.setBatchSizeWarnThreshold(int KiB): DataStorageSpec.IntKibibytesBound",
	},
	{
		key: "batch_size_fail_threshold", old: "batch_size_fail_threshold_in_kb", oldUnit: kibibytes, kind: kindStorage,
		targets: []target{{mbean: StorageService, attr: "BatchSizeFailureThreshold", unit: kibibytes, min: 0, max: math.MaxInt32 - 1}},
		why:     "StorageService.setBatchSizeFailureThreshold(int KiB): DataStorageSpec.IntKibibytesBound",
	},
	{
		key: "batchlog_replay_throttle", old: "batchlog_replay_throttle_in_kb", oldUnit: kibibytes, kind: kindStorage,
		targets: []target{{mbean: StorageService, attr: "BatchlogReplayThrottleInKB", unit: kibibytes, min: 0, max: math.MaxInt32 - 1}},
		why:     "StorageService.setBatchlogReplayThrottleInKB(int KiB): DataStorageSpec.IntKibibytesBound",
	},
	{
		key: "tombstone_warn_threshold", kind: kindInt,
		targets: []target{{mbean: StorageService, attr: "TombstoneWarnThreshold", min: 0, max: math.MaxInt32}},
		why:     "StorageService.setTombstoneWarnThreshold(int); Cassandra does not check the value, a negative one would warn on every read",
	},
	{
		key: "tombstone_failure_threshold", kind: kindInt,
		targets: []target{{mbean: StorageService, attr: "TombstoneFailureThreshold", min: 0, max: math.MaxInt32}},
		why:     "StorageService.setTombstoneFailureThreshold(int); Cassandra does not check the value, a negative one would fail every read",
	},
	{
		key: "transfer_hints_on_decommission", kind: kindBool,
		targets: []target{{mbean: StorageService, attr: "TransferHintsOnDecommission"}},
		why:     "StorageService.setTransferHintsOnDecommission",
	},
	{
		key: "incremental_backups", kind: kindBool,
		targets: []target{{mbean: StorageService, attr: "IncrementalBackupsEnabled"}},
		why:     "StorageService.setIncrementalBackupsEnabled (nodetool enablebackup/disablebackup)",
	},
	{
		key: "native_transport_allow_older_protocols", kind: kindBool,
		targets: []target{{mbean: StorageService, ops: [2]string{"disableNativeTransportOldProtocolVersions", "enableNativeTransportOldProtocolVersions"}}},
		why:     "no attribute: StorageService.enable/disableNativeTransportOldProtocolVersions (nodetool enableoldprotocolversions)",
	},
	timeout("request_timeout", "RpcTimeout"),
	timeout("read_request_timeout", "ReadRpcTimeout"),
	timeout("range_request_timeout", "RangeRpcTimeout"),
	timeout("write_request_timeout", "WriteRpcTimeout"),
	timeout("counter_write_request_timeout", "CounterWriteRpcTimeout"),
	timeout("cas_contention_timeout", "CasContentionTimeout"),
	timeout("truncate_request_timeout", "TruncateRpcTimeout"),
	// Write-only attributes: through nodetool only (nodetool.go).
	{
		key: "hinted_handoff_throttle", old: "hinted_handoff_throttle_in_kb", oldUnit: kibibytes, kind: kindStorage,
		targets: []target{{mbean: StorageService, attr: "HintedHandoffThrottleInKB", unit: kibibytes, min: 0, max: math.MaxInt32 - 1, writeOnly: true}},
		why:     "StorageService.setHintedHandoffThrottleInKB(int KiB): DataStorageSpec.IntKibibytesBound; write-only, so nodetool sethintedhandoffthrottlekb only",
	},
	{
		key: "entire_sstable_stream_throughput_outbound", kind: kindRate,
		targets: []target{{mbean: StorageService, attr: "EntireSSTableStreamThroughputMebibytesPerSec", unit: mebibytesPerSec, min: 0, max: math.MaxInt32 - 1, writeOnly: true}},
		why:     "StorageService.setEntireSSTableStreamThroughputMebibytesPerSec(int MiB/s); DatabaseDescriptor refuses Integer.MAX_VALUE; write-only, so nodetool setstreamthroughput -e only",
	},
	{
		key: "entire_sstable_inter_dc_stream_throughput_outbound", kind: kindRate,
		targets: []target{{mbean: StorageService, attr: "EntireSSTableInterDCStreamThroughputMebibytesPerSec", unit: mebibytesPerSec, min: 0, max: math.MaxInt32 - 1, writeOnly: true}},
		why:     "StorageService.setEntireSSTableInterDCStreamThroughputMebibytesPerSec(int MiB/s); as above; write-only, so nodetool setinterdcstreamthroughput -e only",
	},
}

// timeout is a request timeout: StorageService.set…(long ms) builds a
// DurationSpec.LongMillisecondsBound (nodetool settimeout).
func timeout(key, attr string) entry {
	return entry{
		key: key, old: key + "_in_ms", oldUnit: milliseconds, kind: kindDuration,
		targets: []target{{mbean: StorageService, attr: attr, unit: milliseconds, min: 0, max: math.MaxInt64 - 1}},
		why:     "StorageService.set" + attr + "(long ms): DurationSpec.LongMillisecondsBound",
	}
}

// notViaJolokia are settings 4.1 changes at runtime only through a
// write-only JMX attribute (a setter without getter, listed rw:false) that
// no nodetool command sets either: Jolokia's write reads the old value
// first, so it fails on them with "Write-only attribute" (jolokia
// WriteHandler.setAttribute). Write-only settings nodetool does set are in
// the table (target.writeOnly).
var notViaJolokia = map[string]string{
	"auto_optimise_full_repair_streams":    "StorageService.AutoOptimiseFullRepairStreams",
	"auto_optimise_inc_repair_streams":     "StorageService.AutoOptimiseIncRepairStreams",
	"auto_optimise_preview_repair_streams": "StorageService.AutoOptimisePreviewRepairStreams",
}

// named is a table entry reached by one of its names.
type named struct {
	e   *entry
	old bool // the pre-4.1 name
}

// byName finds a table entry by either name.
var byName = func() map[string]named {
	m := map[string]named{}
	for i := range table {
		e := &table[i]
		m[e.key] = named{e, false}
		if e.old != "" {
			m[e.old] = named{e, true}
		}
	}
	return m
}()

// readKinds types the values of Get answers: numbers for plain ints and
// old names' numbers, booleans for booleans; other rows stay strings.
var readKinds = func() map[string]kind {
	m := map[string]kind{}
	for _, e := range table {
		m[e.key] = e.kind
		if e.old != "" {
			m[e.old] = kindInt
		}
	}
	m["hinted_handoff_throttle_in_kb"] = kindInt
	for _, k := range []string{"auto_optimise_full_repair_streams", "auto_optimise_inc_repair_streams", "auto_optimise_preview_repair_streams"} {
		m[k] = kindBool
	}
	return m
}()

// Info describes one supported setting, for docs and the CLI.
type Info struct {
	Key string `json:"key"`
	// OldNames are the pre-4.1 names Cassandra 4.1 still accepts.
	OldNames []string `json:"old_names,omitempty"`
	// Type is "rate", "storage", "duration", "int" or "boolean".
	Type string `json:"type"`
	// Units are what a 4.1 string may carry ("64MiB/s"); OldUnit is what
	// the old name's plain numbers count.
	Units   []string `json:"units,omitempty"`
	OldUnit string   `json:"old_unit,omitempty"`
	MBean   string   `json:"mbean"`
	// Attributes are written (the first that holds the value exactly);
	// Operations are exec'ed instead, for booleans without an attribute:
	// the first sets false, the second true.
	Attributes []string `json:"attributes,omitempty"`
	Operations []string `json:"operations,omitempty"`
	// Range is what the attribute accepts, in its unit.
	Range string `json:"range,omitempty"`
	Notes string `json:"notes"`
}

// Supported returns the settings PUT can change, in table order.
func Supported() []Info {
	var out []Info
	for _, e := range table {
		in := Info{Key: e.key, Type: kindName(e.kind), MBean: e.targets[0].mbean, Notes: e.why}
		if e.old != "" {
			in.OldNames = []string{e.old}
			in.OldUnit = e.oldUnit.name
		}
		for _, u := range specUnits[e.kind] {
			in.Units = append(in.Units, u.name)
		}
		for _, t := range e.targets {
			if t.attr != "" {
				in.Attributes = append(in.Attributes, t.attr)
				if t.unit.name != "" {
					in.Range = appendRange(in.Range, t)
				} else if e.kind == kindInt {
					in.Range = appendRange(in.Range, t)
				}
			} else {
				in.Operations = append(in.Operations, t.ops[0], t.ops[1])
			}
		}
		out = append(out, in)
	}
	return slices.Clip(out)
}

func appendRange(s string, t target) string {
	r := itoa(t.min) + ".." + itoa(t.max)
	if t.unit.name != "" {
		r += " " + t.unit.name
	}
	if s != "" {
		return s + "; " + t.attr + " " + r
	}
	return t.attr + " " + r
}

func kindName(k kind) string {
	return [...]string{"rate", "storage", "duration", "int", "boolean"}[k]
}
