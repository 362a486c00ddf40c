package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/jolokia"
	"github.com/ringside/ringside/sim/schema"
)

const (
	storageServiceName = "org.apache.cassandra.db:type=StorageService"
	storageProxyName   = "org.apache.cassandra.db:type=StorageProxy"
)

// hotKind is the type of a hot setting's field in Cassandra 4.1's Config.
type hotKind int

const (
	hotRate   hotKind = iota // DataRateSpec.LongBytesPerSecondBound
	hotKiB                   // DataStorageSpec.IntKibibytesBound
	hotMillis                // DurationSpec.IntMillisecondsBound / LongMillisecondsBound
	hotInt                   // int
	hotBool                  // boolean
	hotDCs                   // Set<String> of datacenter names
)

// hotSetting is a Config field that JMX changes at runtime, under the
// names system_views.settings lists it.
type hotSetting struct {
	key  string // the 4.1 name
	old  string // the pre-4.1 name 4.1 still lists (@Replaces in Config.java), or ""
	kind hotKind
	// oldValue renders the old name's row: the reverse of the @Replaces
	// converter (config/Converters.java).
	oldValue func(spec) string
}

var (
	// MEBIBYTES_PER_SECOND_DATA_RATE: toMebibytesPerSecondAsInt.
	oldMiBPerSec = func(s spec) string { return fmt.Sprint(javaRound(s.mebibytesPerSecond())) }
	// MEGABITS_TO_BYTES_PER_SECOND_DATA_RATE: toMegabitsPerSecondAsInt.
	oldMegabits = func(s spec) string { return fmt.Sprint(javaRound(s.megabitsPerSecond())) }
	// KIBIBYTES_DATASTORAGE: toKibibytes.
	oldKiB = func(s spec) string { return fmt.Sprint(s.kibibytes()) }
	// MILLIS_DURATION_INT / MILLIS_DURATION_LONG: toMilliseconds.
	oldMillis = func(s spec) string { return fmt.Sprint(s.milliseconds()) }
)

// hotSettings are the settings the simulator lets JMX change, as in 4.1's
// StorageService, StorageProxy and DatabaseDescriptor. Their defaults are
// the captured node's (testdata/cassandra-4.1.6/settings.txt).
var hotSettings = []hotSetting{
	{"compaction_throughput", "compaction_throughput_mb_per_sec", hotRate, oldMiBPerSec},
	{"stream_throughput_outbound", "stream_throughput_outbound_megabits_per_sec", hotRate, oldMegabits},
	{"inter_dc_stream_throughput_outbound", "inter_dc_stream_throughput_outbound_megabits_per_sec", hotRate, oldMegabits},
	{"entire_sstable_stream_throughput_outbound", "", hotRate, nil},
	{"entire_sstable_inter_dc_stream_throughput_outbound", "", hotRate, nil},
	{"concurrent_compactors", "", hotInt, nil},
	{"hinted_handoff_enabled", "", hotBool, nil},
	{"hinted_handoff_throttle", "hinted_handoff_throttle_in_kb", hotKiB, oldKiB},
	{"max_hint_window", "max_hint_window_in_ms", hotMillis, oldMillis},
	{"hinted_handoff_disabled_datacenters", "", hotDCs, nil},
	{"max_hints_size_per_host", "", hotKiB, nil},
	{"batch_size_warn_threshold", "batch_size_warn_threshold_in_kb", hotKiB, oldKiB},
	{"batch_size_fail_threshold", "batch_size_fail_threshold_in_kb", hotKiB, oldKiB},
	{"batchlog_replay_throttle", "batchlog_replay_throttle_in_kb", hotKiB, oldKiB},
	{"tombstone_warn_threshold", "", hotInt, nil},
	{"tombstone_failure_threshold", "", hotInt, nil},
	{"transfer_hints_on_decommission", "", hotBool, nil},
	{"incremental_backups", "", hotBool, nil},
	{"native_transport_allow_older_protocols", "", hotBool, nil},
	{"request_timeout", "request_timeout_in_ms", hotMillis, oldMillis},
	{"read_request_timeout", "read_request_timeout_in_ms", hotMillis, oldMillis},
	{"range_request_timeout", "range_request_timeout_in_ms", hotMillis, oldMillis},
	{"write_request_timeout", "write_request_timeout_in_ms", hotMillis, oldMillis},
	{"counter_write_request_timeout", "counter_write_request_timeout_in_ms", hotMillis, oldMillis},
	{"cas_contention_timeout", "cas_contention_timeout_in_ms", hotMillis, oldMillis},
	{"truncate_request_timeout", "truncate_request_timeout_in_ms", hotMillis, oldMillis},
}

// defaultHotSettings are the hot settings as a node starts with them,
// keyed by 4.1 name: spec for values with units, int, or bool.
func defaultHotSettings() map[string]any {
	base := map[string]string{}
	for _, s := range baseSettings {
		base[s.name] = s.value
	}
	m := make(map[string]any, len(hotSettings))
	for _, h := range hotSettings {
		v := base[h.key]
		switch h.kind {
		case hotInt:
			i, _ := strconv.Atoi(v)
			m[h.key] = i
		case hotBool:
			m[h.key] = v == "true"
		case hotDCs:
			m[h.key] = []string{} // "[]": none in the captured yaml
		default:
			m[h.key] = parseSpec(v)
		}
	}
	return m
}

// hotSettingRows renders the runtime values as system_views.settings rows,
// under the 4.1 names and the old ones Cassandra still lists.
func (n *Node) hotSettingRows() map[string]string {
	rt := n.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make(map[string]string, 2*len(hotSettings))
	for _, h := range hotSettings {
		v := rt.settings[h.key]
		out[h.key] = fmt.Sprint(v) // spec.String, strconv for int, Boolean.toString for bool
		if l, ok := v.([]string); ok {
			out[h.key] = "[" + strings.Join(chmOrder(l), ", ") + "]" // AbstractCollection.toString
		}
		if s, ok := v.(spec); ok && h.old != "" {
			out[h.old] = h.oldValue(s)
		}
	}
	return out
}

// Constructors of 4.1's bounded Config types, with their exceptions
// (config/DataRateSpec.java, DataStorageSpec.java, DurationSpec.java).

// newRate is new DataRateSpec.LongBytesPerSecondBound(q, unit) (q from an
// int JMX argument, so the Long.MAX_VALUE bytes bound cannot be reached).
func newRate(q int64, unit string) (spec, error) {
	if q < 0 {
		return spec{}, illegalArg("Invalid data rate: value must be non-negative")
	}
	return spec{q, unit}, nil
}

// megabitsRate is DataRateSpec.LongBytesPerSecondBound.megabitsPerSecondInBytesPerSecond.
func megabitsRate(v int64) (spec, error) {
	if v >= math.MaxInt32 {
		return spec{}, illegalArg("Invalid data rate: %d megabits per second; stream_throughput_outbound and "+
			"inter_dc_stream_throughput_outbound should be between 0 and %d in megabits per second", v, math.MaxInt32-1)
	}
	return newRate(v*125000, "B/s")
}

// newKiB is new DataStorageSpec.IntKibibytesBound(kibibytes).
func newKiB(q int64) (spec, error) {
	if q < 0 {
		return spec{}, illegalArg("Invalid data storage: value must be non-negative")
	}
	if q >= math.MaxInt32 {
		return spec{}, illegalArg("Invalid data storage: %d kibibytes. It shouldn't be more than %d in kibibytes", q, math.MaxInt32-1)
	}
	return spec{q, "KiB"}, nil
}

// newMillis is new DurationSpec.IntMillisecondsBound(ms) (bound
// Integer.MAX_VALUE) or LongMillisecondsBound(ms) (Long.MAX_VALUE).
func newMillis(q, bound int64) (spec, error) {
	if q < 0 {
		return spec{}, illegalArg("Invalid duration: value must be non-negative")
	}
	if q >= bound {
		return spec{}, illegalArg("Invalid duration: %d milliseconds. It shouldn't be more than %d in milliseconds", q, bound-1)
	}
	return spec{q, "ms"}, nil
}

// hotStorageService attaches StorageService's hot-setting attributes and
// operations, each validating as 4.1's StorageService.java and the
// DatabaseDescriptor setter it calls do.
func (n *Node) hotStorageService(ss *jolokia.MBean) {
	rt := n.rt
	specOf := func(key string) spec { s, _ := rt.get(key).(spec); return s }
	store := func(key string) func(spec, error) error {
		return func(s spec, err error) error {
			if err == nil {
				rt.set(key, s)
			}
			return err
		}
	}
	num := func(v any) int64 { i, _ := jolokiaInt(v); return int64(i) }

	// Setters without a getter are write-only attributes, which `list`
	// shows as rw:false like read-only ones; Jolokia's write reads the old
	// value first, so it cannot write them ("Write-only attribute: …").
	for _, a := range []string{"HintedHandoffThrottleInKB", "EntireSSTableStreamThroughputMebibytesPerSec",
		"EntireSSTableInterDCStreamThroughputMebibytesPerSec", "AutoOptimiseFullRepairStreams",
		"AutoOptimiseIncRepairStreams", "AutoOptimisePreviewRepairStreams"} {
		ss.Attribute(a).WriteOnly = true
	}

	ss.OnGet("CompactionThroughputMbPerSec", func() (any, error) {
		return javaRound(specOf("compaction_throughput").mebibytesPerSecond()), nil
	})
	ss.OnSet("CompactionThroughputMbPerSec", func(v any) error {
		if num(v) == math.MaxInt32 { // DatabaseDescriptor.setCompactionThroughputMebibytesPerSec
			return illegalArg("compaction_throughput: %d is too large; it should be less than %d in MiB/s", num(v), math.MaxInt32)
		}
		return store("compaction_throughput")(newRate(num(v), "MiB/s"))
	})
	ss.OnGet("CompactionThroughtputMibPerSecAsDouble", func() (any, error) {
		return specOf("compaction_throughput").mebibytesPerSecond(), nil
	})
	ss.OnGet("CompactionThroughtputBytesPerSec", func() (any, error) {
		return int64(specOf("compaction_throughput").bytesPerSecond()), nil
	})

	for _, st := range []struct{ key, attr string }{
		{"stream_throughput_outbound", "StreamThroughput"},
		{"inter_dc_stream_throughput_outbound", "InterDCStreamThroughput"},
	} {
		mbit := func() (any, error) { return javaRound(specOf(st.key).megabitsPerSecond()), nil }
		setMbit := func(v any) error { return store(st.key)(megabitsRate(num(v))) }
		// The deprecated …MbPerSec pair is the megabit one (StorageService.java).
		for _, a := range []string{st.attr + "MbitPerSec", st.attr + "MbPerSec"} {
			ss.OnGet(a, mbit)
			ss.OnSet(a, setMbit)
		}
		ss.OnGet(st.attr+"MbitPerSecAsDouble", func() (any, error) { return specOf(st.key).megabitsPerSecond(), nil })
		ss.OnGet(st.attr+"MebibytesPerSec", func() (any, error) { return javaRound(specOf(st.key).mebibytesPerSecond()), nil })
		ss.OnGet(st.attr+"MebibytesPerSecAsDouble", func() (any, error) { return specOf(st.key).mebibytesPerSecond(), nil })
		ss.OnSet(st.attr+"MebibytesPerSec", func(v any) error {
			// DatabaseDescriptor.set…ThroughputOutboundMebibytesPerSecAsInt.
			if mbit := (spec{num(v), "MiB/s"}).megabitsPerSecond(); mbit >= math.MaxInt32 {
				return illegalArg("%s: %d is too large; it should be less than %d in megabits/s", st.key, num(v), math.MaxInt32)
			}
			return store(st.key)(newRate(num(v), "MiB/s"))
		})
	}
	for _, st := range []struct{ key, attr string }{
		{"entire_sstable_stream_throughput_outbound", "EntireSSTableStreamThroughputMebibytesPerSec"},
		{"entire_sstable_inter_dc_stream_throughput_outbound", "EntireSSTableInterDCStreamThroughputMebibytesPerSec"},
	} {
		ss.OnGet(st.attr+"AsDouble", func() (any, error) { return specOf(st.key).mebibytesPerSecond(), nil })
		ss.OnSet(st.attr, func(v any) error {
			if num(v) == math.MaxInt32 {
				return illegalArg("%s: %d is too large; it should be less than %d in MiB/s", st.key, num(v), math.MaxInt32)
			}
			return store(st.key)(newRate(num(v), "MiB/s"))
		})
	}

	ss.OnGet("ConcurrentCompactors", func() (any, error) { return rt.get("concurrent_compactors"), nil })
	ss.OnSet("ConcurrentCompactors", func(v any) error {
		if num(v) <= 0 { // StorageService.setConcurrentCompactors
			return illegalArg("Number of concurrent compactors should be greater than 0.")
		}
		rt.set("concurrent_compactors", int(num(v)))
		return nil
	})

	kib := func(attr, key string) {
		ss.OnGet(attr, func() (any, error) { return specOf(key).kibibytes(), nil })
		ss.OnSet(attr, func(v any) error { return store(key)(newKiB(num(v))) })
	}
	kib("BatchSizeWarnThreshold", "batch_size_warn_threshold")
	kib("BatchSizeFailureThreshold", "batch_size_fail_threshold")
	kib("BatchlogReplayThrottleInKB", "batchlog_replay_throttle")
	ss.OnSet("HintedHandoffThrottleInKB", func(v any) error { return store("hinted_handoff_throttle")(newKiB(num(v))) })

	for _, t := range []struct{ attr, key string }{
		{"RpcTimeout", "request_timeout"},
		{"ReadRpcTimeout", "read_request_timeout"},
		{"RangeRpcTimeout", "range_request_timeout"},
		{"WriteRpcTimeout", "write_request_timeout"},
		{"CounterWriteRpcTimeout", "counter_write_request_timeout"},
		{"CasContentionTimeout", "cas_contention_timeout"},
		{"TruncateRpcTimeout", "truncate_request_timeout"},
	} {
		ss.OnGet(t.attr, func() (any, error) { return specOf(t.key).milliseconds(), nil })
		ss.OnSet(t.attr, func(v any) error { return store(t.key)(newMillis(num(v), math.MaxInt64)) })
	}

	plain := func(attr, key string) {
		ss.OnGet(attr, func() (any, error) { return rt.get(key), nil })
		ss.OnSet(attr, func(v any) error {
			if b, ok := v.(bool); ok {
				rt.set(key, b)
			} else {
				rt.set(key, int(num(v)))
			}
			return nil
		})
	}
	// No range checks in 4.1 (DatabaseDescriptor.setTombstone…Threshold).
	plain("TombstoneWarnThreshold", "tombstone_warn_threshold")
	plain("TombstoneFailureThreshold", "tombstone_failure_threshold")
	plain("TransferHintsOnDecommission", "transfer_hints_on_decommission")
	plain("IncrementalBackupsEnabled", "incremental_backups")

	// DatabaseDescriptor.setNativeTransportAllowOlderProtocols; no getter.
	ss.OnCall("enableNativeTransportOldProtocolVersions()", func([]any) (any, error) {
		rt.set("native_transport_allow_older_protocols", true)
		return nil, nil
	})
	ss.OnCall("disableNativeTransportOldProtocolVersions()", func([]any) (any, error) {
		rt.set("native_transport_allow_older_protocols", false)
		return nil, nil
	})
}

// hotStorageProxy attaches StorageProxy's hint settings (StorageProxy.java, 4.1).
func (n *Node) hotStorageProxy(sp *jolokia.MBean) {
	rt := n.rt
	sp.OnGet("MaxHintWindow", func() (any, error) {
		s, _ := rt.get("max_hint_window").(spec)
		return int(min(s.milliseconds(), math.MaxInt32)), nil
	})
	sp.OnSet("MaxHintWindow", func(v any) error {
		i, _ := jolokiaInt(v)
		s, err := newMillis(int64(i), math.MaxInt32) // DatabaseDescriptor.setMaxHintWindow
		if err == nil {
			rt.set("max_hint_window", s)
		}
		return err
	})
	sp.OnGet("HintedHandoffEnabled", func() (any, error) { return rt.get("hinted_handoff_enabled"), nil })
	sp.OnSet("HintedHandoffEnabled", func(v any) error {
		b, _ := v.(bool)
		if b { // StorageService.checkServiceAllowedToStart("hinted handoff")
			n.c.mu.Lock()
			mode := n.mode
			n.c.mu.Unlock()
			switch mode {
			case "DRAINING":
				return &jolokia.Exception{Class: "java.lang.IllegalStateException", Message: "Unable to start hinted handoff because the node is draining."}
			case "DRAINED":
				return &jolokia.Exception{Class: "java.lang.IllegalStateException", Message: "Unable to start hinted handoff because the node was drained."}
			}
		}
		rt.set("hinted_handoff_enabled", b)
		return nil
	})
	sp.OnGet("HintedHandoffDisabledDCs", func() (any, error) {
		out := []any{}
		for _, dc := range disabledHintDCs(rt) {
			out = append(out, dc)
		}
		return out, nil
	})
	// DatabaseDescriptor.enableHintsForDC / disableHintsForDC: any name, no
	// check; the set keeps insertion order (disabledHintDCs orders it).
	setDC := func(disable bool) func(args []any) (any, error) {
		return func(args []any) (any, error) {
			dc, _ := args[0].(string)
			rt.mu.Lock()
			defer rt.mu.Unlock()
			l := []string{}
			had := false
			for _, d := range rt.settings["hinted_handoff_disabled_datacenters"].([]string) {
				if d == dc {
					had = true
					if !disable {
						continue
					}
				}
				l = append(l, d)
			}
			if disable && !had {
				l = append(l, dc)
			}
			rt.settings["hinted_handoff_disabled_datacenters"] = l
			return nil, nil
		}
	}
	sp.OnCall("enableHintsForDC", setDC(false))
	sp.OnCall("disableHintsForDC", setDC(true))
	sp.OnGet("MaxHintsSizePerHostInMiB", func() (any, error) {
		s, _ := rt.get("max_hints_size_per_host").(spec)
		return int(min(s.bytes()/(1<<20), math.MaxInt32)), nil
	})
	sp.OnSet("MaxHintsSizePerHostInMiB", func(v any) error {
		i, _ := jolokiaInt(v)
		if i < 0 { // new DataStorageSpec.LongBytesBound(value, MEBIBYTES)
			return illegalArg("Invalid data storage: value must be non-negative")
		}
		rt.set("max_hints_size_per_host", spec{int64(i), "MiB"})
		return nil
	})
	sp.OnGet("TotalHints", func() (any, error) { return n.hints.metrics().totalHints.Load(), nil })
	sp.OnGet("HintsInProgress", func() (any, error) { return int(n.hints.metrics().inProgress.Load()), nil })
}

func illegalArg(f string, a ...any) error {
	return &jolokia.Exception{Class: "java.lang.IllegalArgumentException", Message: fmt.Sprintf(f, a...)}
}

// mbeans builds the node's MBean registry: the real StorageService
// signature set (from a 4.1.6 node's Jolokia list) with the simulated
// attributes and operations attached, and StorageProxy's hint settings.
func (n *Node) mbeans() *jolokia.Registry {
	reg := jolokia.NewRegistry()
	ss := jolokia.StorageService()
	attr := func(name string, get func() any) {
		if a := ss.Attribute(name); a != nil {
			a.Get = func() (any, error) { return get(), nil }
		}
	}
	c := n.c
	locked := func(f func() any) func() any {
		return func() any { c.mu.Lock(); defer c.mu.Unlock(); return f() }
	}
	attr("OperationMode", locked(func() any { return n.mode }))
	attr("NativeTransportRunning", locked(func() any { return n.cqlServer != nil }))
	attr("GossipRunning", locked(func() any { return n.gossip }))
	attr("Drained", locked(func() any { return n.mode == "DRAINED" }))
	attr("Draining", locked(func() any { return n.mode == "DRAINING" }))
	attr("Starting", locked(func() any { return n.mode == "STARTING" }))
	attr("Joined", locked(func() any { return n.mode == "NORMAL" || n.mode == "DRAINING" || n.mode == "DRAINED" }))
	attr("Initialized", func() any { return true })
	attr("ReleaseVersion", func() any { return n.Release })
	attr("LocalHostId", func() any { return n.HostID.String() })
	attr("ClusterName", func() any { return c.cfg.ClusterName })
	attr("PartitionerName", func() any { return "org.apache.cassandra.dht.Murmur3Partitioner" })
	attr("SchemaVersion", func() any { return c.schema.Version().String() })
	attr("CurrentGenerationNumber", locked(func() any { return int(n.generation) }))
	attr("Tokens", func() any {
		out := make([]any, len(n.Tokens))
		for i, t := range n.Tokens {
			out[i] = fmt.Sprint(t)
		}
		return out
	})
	view := func(withPort, up bool) func() any {
		return func() any {
			live, down := c.liveView(n)
			set := live
			if !up {
				set = down
			}
			out := []any{}
			for _, p := range set {
				if withPort {
					out = append(out, p.Endpoint())
				} else {
					out = append(out, p.Addr.String())
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
			return out
		}
	}
	attr("LiveNodesWithPort", view(true, true))
	attr("LiveNodes", view(false, true))
	attr("UnreachableNodesWithPort", view(true, false))
	attr("UnreachableNodes", view(false, false))
	for _, a := range []string{"JoiningNodesWithPort", "JoiningNodes", "LeavingNodesWithPort", "LeavingNodes", "MovingNodesWithPort", "MovingNodes"} {
		attr(a, func() any { return []any{} })
	}
	attr("Keyspaces", func() any {
		var out []any
		for _, ks := range c.schema.keyspaces() {
			if !ks.Virtual {
				out = append(out, ks.Name)
			}
		}
		return out
	})
	attr("NonSystemKeyspaces", func() any {
		out := []any{}
		for _, ks := range c.schema.keyspaces() {
			if !ks.Virtual && !isSystemKeyspace(ks.Name) {
				out = append(out, ks.Name)
			}
		}
		return out
	})
	attr("NonLocalStrategyKeyspaces", func() any {
		out := []any{}
		for _, ks := range c.schema.keyspaces() {
			if !ks.Virtual && ks.Replication["class"] != classLocal {
				out = append(out, ks.Name)
			}
		}
		return out
	})
	hostMap := func() any {
		m := map[string]any{}
		for _, p := range c.nodes {
			m[p.Endpoint()] = p.HostID.String()
		}
		return m
	}
	attr("EndpointWithPortToHostId", hostMap)
	attr("HostIdToEndpointWithPort", func() any {
		m := map[string]any{}
		for _, p := range c.nodes {
			m[p.HostID.String()] = p.Endpoint()
		}
		return m
	})
	attr("TokenToEndpointWithPortMap", func() any {
		m := map[string]any{}
		for _, p := range c.nodes {
			for _, t := range p.Tokens {
				m[fmt.Sprint(t)] = p.Endpoint()
			}
		}
		return m
	})
	attr("LoadString", func() any { return fileSize(n.load()) })
	attr("LoadMapWithPort", func() any {
		m := map[string]any{}
		live, _ := c.liveView(n)
		for _, p := range live {
			m[p.Endpoint()] = fileSize(p.load())
		}
		return m
	})
	n.hotStorageService(ss)

	op := func(sig string, call func(args []any) (any, error)) {
		if o := ss.Operation(sig); o != nil {
			o.Call = call
		}
	}
	op("drain()", func([]any) (any, error) { n.Drain(); return nil, nil })
	op("stopNativeTransport()", func([]any) (any, error) { n.stopNative(); return nil, nil })
	op("startNativeTransport()", func([]any) (any, error) {
		c.mu.Lock()
		ok := n.state == StateRunning && !n.drained
		c.mu.Unlock()
		if !ok {
			return nil, &jolokia.Exception{Class: "java.lang.IllegalStateException", Message: "Node is not in a state to start the native transport"}
		}
		return nil, n.startNative()
	})
	op("stopGossiping()", func([]any) (any, error) { n.stopGossip(true); return nil, nil })
	op("startGossiping()", func([]any) (any, error) { n.startGossip(); return nil, nil })
	validKS := func(ks string) error {
		if c.schema.keyspace(ks) == nil {
			// StorageService.verifyKeyspaceIsValid.
			return illegalArg("Keyspace %s does not exist", ks)
		}
		return nil
	}
	op("forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)", func(args []any) (any, error) {
		ks := str(args[0])
		if err := validKS(ks); err != nil {
			return nil, err
		}
		tables := strs(args[1])
		if err := n.validTables(ks, tables); err != nil {
			return nil, err
		}
		n.flushKeyspace(ks, tables)
		return nil, nil
	})
	cleanup := func(ks string, tables []string) (any, error) {
		if err := validKS(ks); err != nil {
			return nil, err
		}
		if ks == "system" || ks == "system_schema" || ks == "system_views" || ks == "system_virtual_schema" {
			// StorageService.forceKeyspaceCleanup.
			return nil, &jolokia.Exception{Class: "java.lang.RuntimeException", Message: "Cleanup of the system keyspace is neither necessary nor wise"}
		}
		if err := n.validTables(ks, tables); err != nil {
			return nil, err
		}
		n.runCompactionTask(ks, tables, "Cleanup")
		return 0, nil // AllSSTableOpStatus.SUCCESSFUL
	}
	op("forceKeyspaceCleanup(java.lang.String,[Ljava.lang.String;)", func(args []any) (any, error) {
		return cleanup(str(args[0]), strs(args[1]))
	})
	op("forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;)", func(args []any) (any, error) {
		return cleanup(str(args[1]), strs(args[2]))
	})
	op("forceKeyspaceCompaction(boolean,java.lang.String,[Ljava.lang.String;)", func(args []any) (any, error) {
		ks := str(args[1])
		if err := validKS(ks); err != nil {
			return nil, err
		}
		n.runCompactionTask(ks, strs(args[2]), "Compaction")
		return nil, nil
	})
	op("getNaturalEndpointsWithPort(java.lang.String,java.lang.String,java.lang.String)", func(args []any) (any, error) {
		ks, table, key := str(args[0]), str(args[1]), str(args[2])
		k, t, err := c.schema.table(ks, table)
		if err != nil {
			return nil, illegalArg("%v", err)
		}
		pk, err := parseKeyString(t, key)
		if err != nil {
			return nil, illegalArg("%v", err)
		}
		skey, err := serializeKey(t, pk)
		if err != nil {
			return nil, illegalArg("%v", err)
		}
		x := &execCtx{n: n}
		reps, err := x.replicas(k, tokenOf(skey))
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, r := range reps {
			out = append(out, r.Endpoint())
		}
		return out, nil
	})
	reg.Register(ss)

	sp := jolokia.StorageProxy()
	n.hotStorageProxy(sp)
	reg.Register(sp)

	cm := jolokia.CompactionManager()
	// CoreCompactorThreads is concurrent_compactors (CompactionManager.setCoreCompactorThreads).
	if a := cm.Attribute("CoreCompactorThreads"); a != nil {
		a.Get = func() (any, error) { return n.rt.get("concurrent_compactors"), nil }
	}
	reg.Register(cm)
	es := jolokia.EndpointSnitchInfo()
	if a := es.Attribute("Datacenter"); a != nil {
		a.Get = func() (any, error) { return n.DC, nil }
	}
	if a := es.Attribute("Rack"); a != nil {
		a.Get = func() (any, error) { return n.Rack, nil }
	}
	if a := es.Attribute("SnitchName"); a != nil {
		a.Get = func() (any, error) { return "org.apache.cassandra.locator.GossipingPropertyFileSnitch", nil }
	}
	reg.Register(es)
	n.registerHintMBeans(reg) // HintsService and the hint metrics (mbeans_hints.go)
	n.registerRuntime(reg)    // java.lang:type=Runtime and Memory (mbeans_runtime.go)
	return reg
}

func jolokiaInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	}
	return 0, false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func (n *Node) validTables(ks string, tables []string) error {
	k := n.c.schema.keyspace(ks)
	for _, t := range tables {
		if k.Table(t) == nil {
			// StorageService.getValidColumnFamilies.
			return illegalArg("Unknown keyspace/cf pair (%s.%s)", ks, t)
		}
	}
	return nil
}

// runCompactionTask simulates a cleanup/compaction: it shows in
// system_views.sstable_tasks while it runs and takes time in proportion to
// the data, like the real one blocks the JMX call until done.
func (n *Node) runCompactionTask(ks string, tables []string, kind string) {
	k := n.c.schema.keyspace(ks)
	if k == nil {
		return
	}
	sizes := n.tableSizes()
	for _, t := range k.Tables {
		if len(tables) > 0 && !contains1(tables, t.Name) {
			continue
		}
		total := sizes[t.ID]
		if total == 0 {
			continue
		}
		var id [16]byte
		for i := range id {
			id[i] = byte(rand.Uint32())
		}
		task := &sstableTask{Keyspace: ks, Table: t.Name, Kind: kind, ID: id, Total: total}
		n.rt.mu.Lock()
		n.rt.tasks[string(id[:])] = task
		n.rt.mu.Unlock()
		// 64 MiB/s of "compaction throughput", at least a few ms per table.
		d := time.Duration(total) * time.Second / (64 << 20)
		if d < 20*time.Millisecond {
			d = 20 * time.Millisecond
		}
		steps := 4
		for i := 1; i <= steps; i++ {
			time.Sleep(d / time.Duration(steps))
			n.rt.mu.Lock()
			task.Progress = total * int64(i) / int64(steps)
			n.rt.mu.Unlock()
		}
		n.rt.mu.Lock()
		delete(n.rt.tasks, string(id[:]))
		n.rt.completed["CompactionExecutor"]++
		n.rt.mu.Unlock()
	}
}

func contains1(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// fileSize formats bytes as FileUtils.stringifyFileSize does ("250.07 KiB").
func fileSize(b int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	v := float64(b)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d bytes", b)
	}
	return fmt.Sprintf("%.2f %s", v, units[i])
}

// parseKeyString parses a partition key given as text, as
// getNaturalEndpoints does with the key validator's fromString
// (components separated by ':' for composite keys).
func parseKeyString(t *schema.Table, key string) ([]any, error) {
	parts := []string{key}
	if len(t.PartitionKey) > 1 {
		parts = strings.Split(key, ":")
		if len(parts) != len(t.PartitionKey) {
			return nil, fmt.Errorf("key %q has %d components, %s.%s has %d", key, len(parts), t.Keyspace, t.Name, len(t.PartitionKey))
		}
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		typ := t.PartitionKey[i].Type
		term := cql.Term{Kind: cql.TermString, Text: p}
		switch typ.ID {
		case cqltype.Int, cqltype.Bigint, cqltype.Smallint, cqltype.Tinyint, cqltype.Varint, cqltype.Counter:
			term.Kind = cql.TermInteger
		case cqltype.Float, cqltype.Double, cqltype.DecimalID:
			term.Kind = cql.TermFloat
		case cqltype.UUIDID, cqltype.Timeuuid:
			term.Kind = cql.TermUUID
		case cqltype.Boolean:
			term.Kind = cql.TermBoolean
		case cqltype.Blob:
			term.Kind, term.Text = cql.TermBlob, strings.TrimPrefix(p, "0x")
		}
		v, err := term.Eval(typ, noBinds{})
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
