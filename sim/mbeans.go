package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
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

// defaultHotSettings are the runtime values of the hot settings the
// simulator models, keyed by JMX attribute, at their 4.1 defaults
// (testdata/cassandra-4.1.6/settings.txt).
func defaultHotSettings() map[string]any {
	return map[string]any{
		"CompactionThroughputMbPerSec":      64,
		"ConcurrentCompactors":              2,
		"StreamThroughputMbitPerSec":        201, // 24MiB/s
		"InterDCStreamThroughputMbitPerSec": 201,
		"MaxHintWindow":                     10800000, // 3h in ms
		"HintedHandoffEnabled":              true,
	}
}

// hotSettingRows maps the runtime values onto system_views.settings names
// (both the 4.1 names and the pre-4.1 ones Cassandra still lists).
func (n *Node) hotSettingRows() map[string]string {
	rt := n.rt
	rt.mu.Lock()
	defer rt.mu.Unlock()
	s := rt.settings
	ct := toInt(s["CompactionThroughputMbPerSec"])
	st := toInt(s["StreamThroughputMbitPerSec"])
	it := toInt(s["InterDCStreamThroughputMbitPerSec"])
	mhw := toInt(s["MaxHintWindow"])
	return map[string]string{
		"compaction_throughput":                                fmt.Sprintf("%dMiB/s", ct),
		"compaction_throughput_mb_per_sec":                     fmt.Sprint(ct),
		"concurrent_compactors":                                fmt.Sprint(toInt(s["ConcurrentCompactors"])),
		"stream_throughput_outbound":                           mbitString(st),
		"stream_throughput_outbound_megabits_per_sec":          fmt.Sprint(st),
		"inter_dc_stream_throughput_outbound":                  mbitString(it),
		"inter_dc_stream_throughput_outbound_megabits_per_sec": fmt.Sprint(it),
		"max_hint_window":                                      msString(mhw),
		"max_hint_window_in_ms":                                fmt.Sprint(mhw),
		"hinted_handoff_enabled":                               fmt.Sprint(s["HintedHandoffEnabled"]),
	}
}

// mbitString renders a megabits-per-second value as 4.1 reports the
// setting: the 24MiB/s default shows as such, other values in megabits.
func mbitString(v int) string {
	if v == 201 {
		return "24MiB/s"
	}
	return fmt.Sprintf("%dMbps", v)
}

func msString(ms int) string {
	switch {
	case ms%3600000 == 0:
		return fmt.Sprintf("%dh", ms/3600000)
	case ms%60000 == 0:
		return fmt.Sprintf("%dm", ms/60000)
	case ms%1000 == 0:
		return fmt.Sprintf("%ds", ms/1000)
	}
	return fmt.Sprintf("%dms", ms)
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int32:
		return int(n)
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
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
	hot := func(name string, min int) {
		if a := ss.Attribute(name); a != nil {
			a.Get = func() (any, error) { return n.rt.get(name), nil }
			a.Set = func(v any) error {
				i, ok := jolokiaInt(v)
				if !ok || i < min {
					return illegalArg("%s must be an integer >= %d, not %v", name, min, v)
				}
				n.rt.set(name, i)
				return nil
			}
		}
	}
	hot("CompactionThroughputMbPerSec", 0)
	hot("StreamThroughputMbitPerSec", 0)
	hot("InterDCStreamThroughputMbitPerSec", 0)
	if a := ss.Attribute("ConcurrentCompactors"); a != nil {
		a.Get = func() (any, error) { return n.rt.get("ConcurrentCompactors"), nil }
		a.Set = func(v any) error {
			i, ok := jolokiaInt(v)
			if !ok || i <= 0 {
				// StorageService.setConcurrentCompactors.
				return illegalArg("Number of concurrent compactors should be greater than 0.")
			}
			n.rt.set("ConcurrentCompactors", i)
			return nil
		}
	}

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
	if a := sp.Attribute("MaxHintWindow"); a != nil {
		a.Get = func() (any, error) { return n.rt.get("MaxHintWindow"), nil }
		a.Set = func(v any) error {
			i, ok := jolokiaInt(v)
			if !ok || i < 0 {
				return illegalArg("MaxHintWindow must be a non-negative integer (ms), not %v", v)
			}
			n.rt.set("MaxHintWindow", i)
			return nil
		}
	}
	if a := sp.Attribute("HintedHandoffEnabled"); a != nil {
		a.Get = func() (any, error) { return n.rt.get("HintedHandoffEnabled"), nil }
		a.Set = func(v any) error {
			b, ok := v.(bool)
			if !ok {
				return illegalArg("HintedHandoffEnabled must be a boolean, not %v", v)
			}
			n.rt.set("HintedHandoffEnabled", b)
			return nil
		}
	}
	reg.Register(sp)

	cm := jolokia.CompactionManager()
	// CoreCompactorThreads is concurrent_compactors (CompactionManager.setCoreCompactorThreads).
	if a := cm.Attribute("CoreCompactorThreads"); a != nil {
		a.Get = func() (any, error) { return n.rt.get("ConcurrentCompactors"), nil }
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
	reg.Register(jolokia.HintsService())
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
