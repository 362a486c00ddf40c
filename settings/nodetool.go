package settings

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ringside/ringside/node"
)

// Without a Jolokia agent, PUT goes through nodetool's setters: each calls
// the same MBean setter as the table's JMX target (Cassandra 4.1.6
// tools/nodetool/*.java through NodeProbe), with the value in that
// target's unit. A setting no nodetool command sets is refused before
// anything is applied (NoSetterError).

// Nodetool runs nodetool commands; *node.Nodetool implements it.
type Nodetool interface {
	Run(ctx context.Context, args ...string) (string, error)
}

// NodetoolLocal is a Local that can also run nodetool, used when it has
// no JMX. (An interface of its own, so that other Locals need not change.)
type NodetoolLocal interface {
	Nodetool() Nodetool
}

func (l adapterLocal) Nodetool() Nodetool {
	if nt := l.a.Nodetool(); nt != nil {
		return nt
	}
	return nil
}

// nodetoolArgs builds a command line from the target's value.
type nodetoolArgs func(v any) []string

// number: `<cmd> [prefix…] <value>` with the value in the target's unit.
func number(cmd string, prefix ...string) nodetoolArgs {
	return func(v any) []string {
		return append(append([]string{cmd}, prefix...), strconv.FormatInt(v.(int64), 10))
	}
}

// toggle: the command for false, the one for true.
func toggle(off, on string) nodetoolArgs {
	return func(v any) []string {
		if v.(bool) {
			return []string{on}
		}
		return []string{off}
	}
}

// nodetoolSetters maps a target (its attribute, or the false-operation of
// an operation pair) to the nodetool command calling the same setter.
var nodetoolSetters = map[string]nodetoolArgs{
	// SetCompactionThroughput: setCompactionThroughputMbPerSec(Integer MiB/s).
	"CompactionThroughputMbPerSec": number("setcompactionthroughput"),
	// SetStreamThroughput: setStreamThroughputMbitPerSec(int megabits/s);
	// -m setStreamThroughputMebibytesPerSec; -e the entire-SSTable one.
	"StreamThroughputMbitPerSec":                   number("setstreamthroughput"),
	"StreamThroughputMebibytesPerSec":              number("setstreamthroughput", "-m"),
	"EntireSSTableStreamThroughputMebibytesPerSec": number("setstreamthroughput", "-e"),
	// SetInterDCStreamThroughput: likewise.
	"InterDCStreamThroughputMbitPerSec":                   number("setinterdcstreamthroughput"),
	"InterDCStreamThroughputMebibytesPerSec":              number("setinterdcstreamthroughput", "-m"),
	"EntireSSTableInterDCStreamThroughputMebibytesPerSec": number("setinterdcstreamthroughput", "-e"),
	// SetConcurrentCompactors: setConcurrentCompactors(Integer > 0).
	"ConcurrentCompactors": number("setconcurrentcompactors"),
	// EnableHandoff / DisableHandoff: StorageProxy.setHintedHandoffEnabled.
	"HintedHandoffEnabled": toggle("disablehandoff", "enablehandoff"),
	// SetMaxHintWindow: StorageProxy.setMaxHintWindow(Integer ms).
	"MaxHintWindow": number("setmaxhintwindow"),
	// SetBatchlogReplayThrottle: setBatchlogReplayThrottleInKB(Integer KiB).
	"BatchlogReplayThrottleInKB": number("setbatchlogreplaythrottle"),
	// SetHintedHandoffThrottleInKB: setHintedHandoffThrottleInKB(Integer KiB).
	"HintedHandoffThrottleInKB": number("sethintedhandoffthrottlekb"),
	// EnableBackup / DisableBackup: setIncrementalBackupsEnabled.
	"IncrementalBackupsEnabled": toggle("disablebackup", "enablebackup"),
	// Enable/DisableOldProtocolVersions: the operation pair.
	"disableNativeTransportOldProtocolVersions": toggle("disableoldprotocolversions", "enableoldprotocolversions"),
	// SetTimeout <type> <ms>: NodeProbe.setTimeout's types.
	"RpcTimeout":             number("settimeout", "misc"),
	"ReadRpcTimeout":         number("settimeout", "read"),
	"RangeRpcTimeout":        number("settimeout", "range"),
	"WriteRpcTimeout":        number("settimeout", "write"),
	"CounterWriteRpcTimeout": number("settimeout", "counterwrite"),
	"CasContentionTimeout":   number("settimeout", "cascontention"),
	"TruncateRpcTimeout":     number("settimeout", "truncate"),
}

// targetKey names a target in nodetoolSetters.
func targetKey(t target) string {
	if t.attr != "" {
		return t.attr
	}
	return t.ops[0]
}

// nodetoolFor is the command for a plan; nil when no nodetool command sets it.
func nodetoolFor(p plan) []string {
	if f, ok := nodetoolSetters[targetKey(p.t)]; ok {
		return f(p.value)
	}
	return nil
}

// NoSetterError lists the keys of a request that no nodetool command
// sets, in nodetool mode. Nothing was applied. It maps to HTTP 503: the
// request is valid, this sidecar's way to the node cannot do it.
type NoSetterError struct{ Problems map[string]string }

func (e *NoSetterError) Error() string {
	keys := make([]string, 0, len(e.Problems))
	for k := range e.Problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+": "+e.Problems[k])
	}
	return "nothing was applied: " + strings.Join(parts, "; ")
}

// refuseUnsettable checks every plan against the way the node is reached
// (withJMX: Jolokia, else nodetool) before anything is applied: with
// Jolokia a write-only attribute is an *InputError (400, as it always
// was), in nodetool mode a setting without a command a *NoSetterError.
func refuseUnsettable(ps []plan, withJMX bool) error {
	problems := map[string]string{}
	for _, p := range ps {
		switch {
		case withJMX && p.t.writeOnly:
			problems[p.key] = fmt.Sprintf("not hot-settable through Jolokia: Cassandra 4.1 changes it at runtime only through the write-only JMX attribute %s, "+
				"and Jolokia cannot write a write-only attribute (it reads the old value first); nodetool %s sets it (a sidecar without "+
				"cassandra.jolokia_url uses nodetool), otherwise cassandra.yaml and a restart", p.t.mbean+" "+p.t.attr, nodetoolFor(p)[0])
		case !withJMX && nodetoolFor(p) == nil:
			problems[p.key] = fmt.Sprintf("no nodetool command sets it in Cassandra 4.1 (only JMX: %s); configure cassandra.jolokia_url to change it at runtime",
				p.t.describe())
		}
	}
	switch {
	case len(problems) == 0:
		return nil
	case withJMX:
		return &InputError{Problems: problems}
	}
	return &NoSetterError{Problems: problems}
}

// viaNodetool applies a plan with its nodetool command.
func viaNodetool(ctx context.Context, nt Nodetool, p plan) error {
	_, err := nt.Run(ctx, nodetoolFor(p)...)
	return err
}

// nodetoolRejected: the node refused the value. NodeTool.execute turns the
// setter's IllegalArgumentException (and IllegalStateException) into
// "nodetool: <message>" and exit status 1; a connection failure also
// exits 1 but is no verdict on the value.
func nodetoolRejected(err error) bool {
	var ne *node.NodetoolError
	return errors.As(err, &ne) && ne.ExitCode == 1 && !ne.ConnectFailed()
}
