package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/sim/jolokia"
)

// The simulated node's side of `ringside sim nodetool`: each command does
// what 4.1.6's tools/nodetool class of that name does through NodeProbe,
// here against the node's MBeans (the ones its Jolokia agent serves, so a
// setter validates exactly as through Jolokia) and its state, and prints
// the same output.

// withNodetool serves nodetool runs at nodetoolPath beside the agent.
func (n *Node) withNodetool(reg *jolokia.Registry, agent http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != nodetoolPath {
			agent.ServeHTTP(w, r)
			return
		}
		var req nodetoolRequest
		if r.Method != http.MethodPost || json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req) != nil {
			http.Error(w, "POST a JSON nodetool request", http.StatusBadRequest)
			return
		}
		n.ntRuns.Add(1)
		run := &ntRun{n: n, reg: reg, printPort: req.PrintPort}
		code := run.exec(req.Args)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(nodetoolAnswer{Stdout: run.out.String(), Stderr: run.err.String(), Exit: code})
	})
}

// ntRun is one nodetool run.
type ntRun struct {
	n         *Node
	reg       *jolokia.Registry
	printPort bool
	out, err  strings.Builder
}

// ntCommands are the commands simulated (tools/nodetool/<Name>.java).
var ntCommands = map[string]func(r *ntRun, args []string) int{
	"status":                     (*ntRun).status,
	"statusbinary":               func(r *ntRun, a []string) int { return r.running(a, "NativeTransportRunning") },
	"statusgossip":               func(r *ntRun, a []string) int { return r.running(a, "GossipRunning") },
	"info":                       (*ntRun).info,
	"netstats":                   (*ntRun).netstats,
	"version":                    (*ntRun).version,
	"getcompactionthroughput":    (*ntRun).getCompactionThroughput,
	"drain":                      (*ntRun).drain,
	"flush":                      (*ntRun).flush,
	"cleanup":                    (*ntRun).cleanup,
	"setcompactionthroughput":    intSetter("compaction_throughput", "Integer", storageServiceName, "CompactionThroughputMbPerSec"),
	"setconcurrentcompactors":    (*ntRun).setConcurrentCompactors,
	"sethintedhandoffthrottlekb": intSetter("throttle_in_kb", "Integer", storageServiceName, "HintedHandoffThrottleInKB"),
	"setbatchlogreplaythrottle":  intSetter("batchlog_replay_throttle", "Integer", storageServiceName, "BatchlogReplayThrottleInKB"),
	"setmaxhintwindow":           intSetter("max_hint_window", "Integer", storageProxyName, "MaxHintWindow"),
	"setstreamthroughput": streamSetter("stream_throughput", "StreamThroughputMbitPerSec",
		"StreamThroughputMebibytesPerSec", "EntireSSTableStreamThroughputMebibytesPerSec"),
	"setinterdcstreamthroughput": streamSetter("inter_dc_stream_throughput", "InterDCStreamThroughputMbitPerSec",
		"InterDCStreamThroughputMebibytesPerSec", "EntireSSTableInterDCStreamThroughputMebibytesPerSec"),
	"settimeout":                 (*ntRun).setTimeout,
	"enablehandoff":              boolSetter(storageProxyName, "HintedHandoffEnabled", true),
	"disablehandoff":             boolSetter(storageProxyName, "HintedHandoffEnabled", false),
	"enablebackup":               boolSetter(storageServiceName, "IncrementalBackupsEnabled", true),
	"disablebackup":              boolSetter(storageServiceName, "IncrementalBackupsEnabled", false),
	"enableoldprotocolversions":  opRunner(storageServiceName, "enableNativeTransportOldProtocolVersions()"),
	"disableoldprotocolversions": opRunner(storageServiceName, "disableNativeTransportOldProtocolVersions()"),
}

func (r *ntRun) exec(args []string) int {
	if len(args) == 0 {
		return 0
	}
	cmd, ok := ntCommands[args[0]]
	if !ok {
		return r.badUse(fmt.Sprintf("ringside sim nodetool does not simulate the command %q", args[0]))
	}
	return cmd(r, args[1:])
}

// badUse is NodeTool.badUse: the message on stdout, exit status 1.
func (r *ntRun) badUse(msg string) int {
	fmt.Fprintf(&r.out, "nodetool: %s\nSee 'nodetool help' or 'nodetool help <command>'.\n", msg)
	return 1
}

// nodeToolFrames end every stack trace NodeTool.err prints for a command
// (testdata/cassandra-4.1.6/nodetool.txt); the command's own frames are
// not simulated.
const nodeToolFrames = "\tat org.apache.cassandra.tools.NodeTool$NodeToolCmd.runInternal(NodeTool.java:371)\n" +
	"\tat org.apache.cassandra.tools.NodeTool$NodeToolCmd.run(NodeTool.java:356)\n" +
	"\tat org.apache.cassandra.tools.NodeTool.execute(NodeTool.java:259)\n" +
	"\tat org.apache.cassandra.tools.NodeTool.main(NodeTool.java:83)\n"

// exception is NodeTool.err for a root cause: stderr, exit status 2.
func (r *ntRun) exception(class, msg string) int {
	fmt.Fprintf(&r.err, "error: %s\n-- StackTrace --\n%s: %s\n%s\n", msg, class, msg, nodeToolFrames)
	return 2
}

// fromJMX is what NodeTool.execute makes of an MBean's exception (the JMX
// proxy rethrows the MBean's own): IllegalArgumentException and
// IllegalStateException are bad use, anything else an error.
func (r *ntRun) fromJMX(err error) int {
	var je *jolokia.Exception
	if !errors.As(err, &je) {
		return r.exception(jolokia.RuntimeException, err.Error())
	}
	if je.Class == jolokia.IllegalArgumentException || je.Class == jolokia.IllegalStateException {
		return r.badUse(je.Message)
	}
	return r.exception(je.Class, je.Message)
}

func (r *ntRun) attr(mbean, name string) (any, error) {
	b := r.reg.Lookup(mbean)
	if b == nil {
		return nil, jolokia.NotSimulated(mbean)
	}
	a := b.Attribute(name)
	if a == nil || a.Get == nil {
		return nil, jolokia.NotSimulated(name)
	}
	return a.Get()
}

func (r *ntRun) set(mbean, name string, v any) error {
	b := r.reg.Lookup(mbean)
	if b == nil {
		return jolokia.NotSimulated(mbean)
	}
	a := b.Attribute(name)
	if a == nil || a.Set == nil {
		return jolokia.NotSimulated(name)
	}
	return a.Set(v)
}

func (r *ntRun) call(mbean, sig string, args ...any) (any, error) {
	b := r.reg.Lookup(mbean)
	if b == nil {
		return nil, jolokia.NotSimulated(mbean)
	}
	op := b.Operation(sig)
	if op == nil || op.Call == nil {
		return nil, jolokia.NotSimulated(sig)
	}
	return op.Call(args)
}

// parseArgs splits a command's arguments into its options (withValue:
// options that take one) and positional arguments. An option not in
// known is Airline's "Found unexpected parameters".
func parseArgs(args []string, known map[string]bool) (opts map[string]string, pos []string, bad error) {
	opts = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 && !isNumber(a) {
			withValue, ok := known[a]
			if !ok {
				return nil, nil, fmt.Errorf("Found unexpected parameters: [%s]", strings.Join(args[i:], ", "))
			}
			if withValue {
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("option %s needs a value (ringside sim nodetool)", a)
				}
				i++
				opts[a] = args[i]
				continue
			}
			opts[a] = ""
			continue
		}
		pos = append(pos, a)
	}
	return opts, pos, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// optionsOnly reads a command that takes options (known) and no
// positional arguments; !ok means bad use, already reported as code.
func (r *ntRun) optionsOnly(args []string, known map[string]bool) (opts map[string]string, ok bool, code int) {
	opts, pos, err := parseArgs(args, known)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("Found unexpected parameters: [%s]", strings.Join(pos, ", "))
	}
	if err != nil {
		return nil, false, r.badUse(err.Error())
	}
	return opts, true, 0
}

// noArgs checks that a command got no arguments.
func (r *ntRun) noArgs(args []string) (bool, int) {
	_, ok, code := r.optionsOnly(args, nil)
	return ok, code
}

// has reports whether any of the option's names was given.
func has(opts map[string]string, names ...string) bool {
	for _, n := range names {
		if _, ok := opts[n]; ok {
			return true
		}
	}
	return false
}

// javaInt is Airline's conversion of an Integer or int argument
// ("compaction_throughput: can not convert \"abc\" to a Integer").
func javaInt(title, typ, s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s: can not convert %q to a %s", title, s, typ)
	}
	return v, nil
}

// one reads the single required argument of a setter.
func (r *ntRun) one(args []string, known map[string]bool, title, typ string) (opts map[string]string, v int64, code int, ok bool) {
	opts, pos, err := parseArgs(args, known)
	switch {
	case err != nil:
		return nil, 0, r.badUse(err.Error()), false
	case len(pos) == 0:
		return nil, 0, r.badUse(fmt.Sprintf("%s is required (ringside sim nodetool)", title)), false
	case len(pos) > 1:
		return nil, 0, r.badUse(fmt.Sprintf("Found unexpected parameters: [%s]", strings.Join(pos[1:], ", "))), false
	}
	v, err = javaInt(title, typ, pos[0])
	if err != nil {
		return nil, 0, r.badUse(err.Error()), false
	}
	return opts, v, 0, true
}

// intSetter: a command taking one Integer that NodeProbe passes to a setter.
func intSetter(title, typ, mbean, attr string) func(*ntRun, []string) int {
	return func(r *ntRun, args []string) int {
		_, v, code, ok := r.one(args, nil, title, typ)
		if !ok {
			return code
		}
		if err := r.set(mbean, attr, v); err != nil {
			return r.fromJMX(err)
		}
		return 0
	}
}

// streamSetter is SetStreamThroughput / SetInterDCStreamThroughput:
// megabits by default, -m MiB/s, -e entire-SSTable MiB/s.
func streamSetter(title, mbitAttr, mibAttr, entireAttr string) func(*ntRun, []string) int {
	return func(r *ntRun, args []string) int {
		known := map[string]bool{"-e": false, "--entire-sstable-throughput": false, "-m": false, "--mib": false}
		opts, v, code, ok := r.one(args, known, title, "int")
		if !ok {
			return code
		}
		entire, mib := has(opts, "-e", "--entire-sstable-throughput"), has(opts, "-m", "--mib")
		attr := mbitAttr
		switch {
		case entire && mib:
			return r.badUse("You cannot use -e and -m at the same time")
		case entire:
			attr = entireAttr
		case mib:
			attr = mibAttr
		}
		if err := r.set(storageServiceName, attr, v); err != nil {
			return r.fromJMX(err)
		}
		return 0
	}
}

// boolSetter: enable…/disable… commands (NodeProbe.enableHintedHandoff →
// StorageProxy.setHintedHandoffEnabled(true), setIncrementalBackupsEnabled).
func boolSetter(mbean, attr string, v bool) func(*ntRun, []string) int {
	return func(r *ntRun, args []string) int {
		if ok, code := r.noArgs(args); !ok {
			return code
		}
		if err := r.set(mbean, attr, v); err != nil {
			return r.fromJMX(err)
		}
		return 0
	}
}

// opRunner: a command without arguments that calls one MBean operation.
func opRunner(mbean, sig string) func(*ntRun, []string) int {
	return func(r *ntRun, args []string) int {
		if ok, code := r.noArgs(args); !ok {
			return code
		}
		if _, err := r.call(mbean, sig); err != nil {
			return r.fromJMX(err)
		}
		return 0
	}
}

// setConcurrentCompactors checks the argument itself first (SetConcurrentCompactors.java).
func (r *ntRun) setConcurrentCompactors(args []string) int {
	_, v, code, ok := r.one(args, nil, "concurrent_compactors", "Integer")
	if !ok {
		return code
	}
	if v <= 0 {
		return r.badUse("concurrent_compactors should be great than 0.")
	}
	if err := r.set(storageServiceName, "ConcurrentCompactors", v); err != nil {
		return r.fromJMX(err)
	}
	return 0
}

// timeoutTypes is GetTimeout.TIMEOUT_TYPES; timeoutAttrs the StorageService
// setter NodeProbe.setTimeout calls for each simulated type.
const timeoutTypes = "read, range, write, counterwrite, cascontention, truncate, internodeconnect, internodeuser, internodestreaminguser, misc (general rpc_timeout_in_ms)"

var timeoutAttrs = map[string]string{
	"misc": "RpcTimeout", "read": "ReadRpcTimeout", "range": "RangeRpcTimeout", "write": "WriteRpcTimeout",
	"counterwrite": "CounterWriteRpcTimeout", "cascontention": "CasContentionTimeout", "truncate": "TruncateRpcTimeout",
	"internodeconnect": "", "internodeuser": "", "internodestreaminguser": "",
}

// setTimeout is SetTimeout.java: every failure inside becomes an
// IllegalArgumentException with the cause's message (bad use).
func (r *ntRun) setTimeout(args []string) int {
	_, pos, err := parseArgs(args, nil)
	if err != nil {
		return r.badUse(err.Error())
	}
	if len(pos) != 2 {
		return r.badUse("Timeout type followed by value in ms (0 disables socket streaming timeout). Type should be one of (" + timeoutTypes + ")")
	}
	v, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil {
		return r.badUse(fmt.Sprintf("For input string: %q", pos[1])) // NumberFormatException.forInputString
	}
	if v < 0 {
		return r.badUse("timeout must be non-negative")
	}
	attr, ok := timeoutAttrs[pos[0]]
	if !ok {
		return r.badUse("Timeout type requires one of (" + timeoutTypes + ")")
	}
	if attr == "" {
		return r.badUse("not simulated by ringside sim: settimeout " + pos[0])
	}
	if err := r.set(storageServiceName, attr, v); err != nil {
		var je *jolokia.Exception
		if errors.As(err, &je) {
			return r.badUse(je.Message)
		}
		return r.badUse(err.Error())
	}
	return 0
}

// running is StatusBinary / StatusGossip: "running" or "not running".
func (r *ntRun) running(args []string, attr string) int {
	if ok, code := r.noArgs(args); !ok {
		return code
	}
	v, err := r.attr(storageServiceName, attr)
	if err != nil {
		return r.fromJMX(err)
	}
	if b, _ := v.(bool); b {
		r.out.WriteString("running\n")
	} else {
		r.out.WriteString("not running\n")
	}
	return 0
}

func (r *ntRun) version(args []string) int {
	if ok, code := r.noArgs(args); !ok {
		return code
	}
	fmt.Fprintf(&r.out, "ReleaseVersion: %s\n", r.n.Release)
	return 0
}

// getCompactionThroughput is GetCompactionThroughput.java.
func (r *ntRun) getCompactionThroughput(args []string) int {
	opts, ok, code := r.optionsOnly(args, map[string]bool{"-d": false, "--precise-mib": false})
	if !ok {
		return code
	}
	d, err := r.attr(storageServiceName, "CompactionThroughtputMibPerSecAsDouble")
	if err != nil {
		return r.fromJMX(err)
	}
	mib, _ := d.(float64)
	if has(opts, "-d", "--precise-mib") {
		fmt.Fprintf(&r.out, "Current compaction throughput: %s MiB/s\n", javaDoubleString(mib))
		return 0
	}
	if mib != math.Trunc(mib) {
		return r.exception(jolokia.RuntimeException, "Use the -d flag to quiet this error and get the exact throughput in MiB/s")
	}
	v, err := r.attr(storageServiceName, "CompactionThroughputMbPerSec")
	if err != nil {
		return r.fromJMX(err)
	}
	fmt.Fprintf(&r.out, "Current compaction throughput: %v MB/s\n", v)
	return 0
}

// drain is Drain.java: StorageService.drain(), silent.
func (r *ntRun) drain(args []string) int {
	if ok, code := r.noArgs(args); !ok {
		return code
	}
	if _, err := r.call(storageServiceName, "drain()"); err != nil {
		return r.rootCause(err)
	}
	return 0
}

// keyspaces is NodeToolCmd.parseOptionalKeyspace: the one named (which
// must exist), else every keyspace of the set.
func (r *ntRun) keyspaces(pos []string, set string) ([]string, error) {
	all, err := r.attr(storageServiceName, "Keyspaces")
	if err != nil {
		return nil, err
	}
	known := strs(all)
	var out []string
	if len(pos) == 0 {
		v, err := r.attr(storageServiceName, set)
		if err != nil {
			return nil, err
		}
		out = strs(v)
	} else {
		out = []string{pos[0]}
	}
	for _, ks := range out {
		if !contains1(known, ks) {
			return nil, &jolokia.Exception{Class: jolokia.IllegalArgumentException, Message: "Keyspace [" + ks + "] does not exist."}
		}
	}
	return out, nil
}

// eachKeyspace runs op for each keyspace a [<keyspace> <tables>...]
// command names (NodeToolCmd.parseOptionalKeyspace, defaulting to the
// keyspace attribute set), with its tables; an error of op is reported as
// NodeTool does with the root cause of a command's RuntimeException.
func (r *ntRun) eachKeyspace(pos []string, set string, op func(ks string, tables []string) error) int {
	kss, err := r.keyspaces(pos, set)
	if err != nil {
		return r.fromJMX(err)
	}
	tables := []string{}
	if len(pos) > 1 {
		tables = pos[1:]
	}
	for _, ks := range kss {
		if err := op(ks, tables); err != nil {
			return r.rootCause(err)
		}
	}
	return 0
}

// flush is Flush.java.
func (r *ntRun) flush(args []string) int {
	_, pos, err := parseArgs(args, nil)
	if err != nil {
		return r.badUse(err.Error())
	}
	return r.eachKeyspace(pos, "Keyspaces", func(ks string, tables []string) error {
		_, err := r.call(storageServiceName, "forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)", ks, tables)
		return err
	})
}

func (r *ntRun) rootCause(err error) int {
	var je *jolokia.Exception
	if errors.As(err, &je) {
		return r.exception(je.Class, je.Message)
	}
	return r.exception(jolokia.RuntimeException, err.Error())
}

// localSystem is SchemaConstants.isLocalSystemKeyspace (local and virtual system keyspaces).
func localSystem(ks string) bool {
	switch strings.ToLower(ks) {
	case "system", "system_schema", "system_views", "system_virtual_schema":
		return true
	}
	return false
}

// cleanup is Cleanup.java: -j jobs (default 2), the non-local-strategy
// keyspaces by default, local system keyspaces skipped.
func (r *ntRun) cleanup(args []string) int {
	opts, pos, err := parseArgs(args, map[string]bool{"-j": true, "--jobs": true})
	if err != nil {
		return r.badUse(err.Error())
	}
	jobs := int64(2)
	for _, o := range []string{"-j", "--jobs"} {
		if v, ok := opts[o]; ok {
			if jobs, err = javaInt("jobs", "int", v); err != nil {
				return r.badUse(err.Error())
			}
		}
	}
	return r.eachKeyspace(pos, "NonLocalStrategyKeyspaces", func(ks string, tables []string) error {
		if localSystem(ks) {
			return nil
		}
		// NodeProbe.checkJobs.
		if cc, _ := r.n.rt.get("concurrent_compactors").(int); jobs > int64(cc) {
			fmt.Fprintf(&r.out, "jobs (%d) is bigger than configured concurrent_compactors (%d) on the host, using at most %d threads\n", jobs, cc, cc)
		}
		_, err := r.call(storageServiceName, "forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;)", jobs, ks, tables)
		return err
	})
}

// netstats is NetStats.java; the simulator streams nothing and counts no
// messages, so the figures are zeros.
func (r *ntRun) netstats(args []string) int {
	if _, ok, code := r.optionsOnly(args, map[string]bool{"-H": false, "--human-readable": false}); !ok {
		return code
	}
	v, err := r.attr(storageServiceName, "OperationMode")
	if err != nil {
		return r.fromJMX(err)
	}
	mode, _ := v.(string)
	fmt.Fprintf(&r.out, "Mode: %s\n", mode)
	r.out.WriteString("Not sending any streams.\n")
	if mode != "STARTING" {
		r.out.WriteString("Read Repair Statistics:\nAttempted: 0\nMismatch (Blocking): 0\nMismatch (Background): 0\n")
		fmt.Fprintf(&r.out, "%-25s%10s%10s%15s%10s\n", "Pool Name", "Active", "Pending", "Completed", "Dropped")
		for _, p := range []string{"Large messages", "Small messages", "Gossip messages"} {
			fmt.Fprintf(&r.out, "%-25s%10s%10d%15d%10d\n", p, "n/a", 0, 0, 0)
		}
	}
	return 0
}

// info is Info.java. Heap, caches and repair figures are the simulator's
// constants (it has no JVM heap or caches).
func (r *ntRun) info(args []string) int {
	opts, ok, code := r.optionsOnly(args, map[string]bool{"-T": false, "--tokens": false})
	if !ok {
		return code
	}
	n, c := r.n, r.n.c
	c.mu.Lock()
	gossip, native, gen, mode, started := n.gossip, n.cqlServer != nil, n.generation, n.mode, n.startedAt
	c.mu.Unlock()
	line := func(k, v string) { fmt.Fprintf(&r.out, "%-23s: %s\n", k, v) }
	line("ID", n.HostID.String())
	line("Gossip active", strconv.FormatBool(gossip))
	line("Native Transport active", strconv.FormatBool(native))
	line("Load", stringifyFileSize(float64(n.load())))
	if gossip {
		line("Generation No", fmt.Sprint(gen))
	} else {
		line("Generation No", "0")
	}
	line("Uptime (seconds)", fmt.Sprint(int64(time.Since(started)/time.Second)))
	line("Heap Memory (MB)", "256.00 / 1024.00")
	line("Off Heap Memory (MB)", "0.00")
	line("Data Center", n.DC)
	line("Rack", n.Rack)
	line("Exceptions", "0")
	line("Key Cache", "entries 0, size 0 bytes, capacity 51 MiB, 0 hits, 0 requests, NaN recent hit rate, 14400 save period in seconds")
	line("Row Cache", "entries 0, size 0 bytes, capacity 0 bytes, 0 hits, 0 requests, NaN recent hit rate, 0 save period in seconds")
	line("Counter Cache", "entries 0, size 0 bytes, capacity 25 MiB, 0 hits, 0 requests, NaN recent hit rate, 7200 save period in seconds")
	line("Network Cache", "size 8 MiB, overflow size: 0 bytes, capacity 64 MiB")
	line("Percent Repaired", "100.0%")
	joined := mode == "NORMAL" || mode == "DRAINING" || mode == "DRAINED"
	switch {
	case !joined:
		line("Token", "(node is not joined to the cluster)")
	case len(n.Tokens) == 1 || has(opts, "-T", "--tokens"):
		toks := append([]int64(nil), n.Tokens...)
		sort.Slice(toks, func(i, j int) bool { return toks[i] < toks[j] })
		for _, t := range toks {
			line("Token", fmt.Sprint(t))
		}
	default:
		line("Token", fmt.Sprintf("(invoke with -T/--tokens to see all %d tokens)", len(n.Tokens)))
	}
	return 0
}
