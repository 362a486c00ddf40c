// Package settings implements CEP-1's runtime settings: GET /v1/settings
// answers {"runtime": {...}}, the node's system_views.settings keyed as in
// cassandra.yaml, and PUT /v1/settings applies a JSON object of
// cassandra.yaml keys to the running node through JMX (Jolokia) attribute
// writes or operations, or without Jolokia through the nodetool command
// that calls the same setter (nodetool.go), then answers the node's values
// for those keys:
//
//	curl -XPUT localhost:5000/v1/settings/ -d '{"compaction_throughput_mb_per_sec": 12}'
//	{"runtime": {"compaction_throughput_mb_per_sec": 12}}
//
// Cassandra 4.1 renamed many keys and still accepts the old names
// (compaction_throughput: "64MiB/s" replaced compaction_throughput_mb_per_sec: 64);
// both are accepted, in GET filters and PUT bodies, and answers are keyed
// as the caller named them. A 4.1 name takes a string with a unit, as 4.1's
// DataRateSpec, DataStorageSpec and DurationSpec parse it ("24MiB/s",
// "5KiB", "3h"; a unit is required, case matters); an old name takes a
// plain number in its old unit. The value must also be a whole number in
// the unit of the JMX attribute that sets it (CompactionThroughputMbPerSec
// takes whole MiB/s, so "1536KiB/s" is refused, "2048KiB/s" is 2 MiB/s).
// What the node then reports is Cassandra's own rendering: a setter builds
// the value in its JMX unit, so max_hint_window set to "2h" reads back
// "7200000ms".
//
// The supported settings are a table (Supported); a key Cassandra has but
// the table lacks is refused as not hot-settable, an unknown key with a
// did-you-mean suggestion. A request is validated as a whole before
// anything is applied.
//
// A change lives in the running node only: cassandra.yaml is not
// rewritten, a restart brings back the file's value, and until then the
// sidecar's config_sync check reports the drift (on purpose: it is what
// the operator should see). Answers carry nothing about this, to keep the
// CEP's shape.
package settings

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/ringside/ringside/node"
)

// JMX is the node's JMX through Jolokia; *node.Jolokia implements it.
type JMX interface {
	Write(ctx context.Context, mbean, attr string, v any) (old any, err error)
	Exec(ctx context.Context, mbean, operation string, args ...any) (any, error)
	ReadAttr(ctx context.Context, mbean, attr string) (any, error)
}

// Local is the node this sidecar runs beside.
type Local interface {
	// Settings reads system_views.settings now (name → value; null values absent).
	Settings(ctx context.Context) (map[string]string, error)
	// JMX is nil when no Jolokia agent is configured: PUT then goes
	// through nodetool (if the Local is also a NodetoolLocal), else fails
	// with ErrNoJMX.
	JMX() JMX
}

// NodeLocal is the Local of a node.Adapter.
func NodeLocal(a *node.Adapter) Local { return adapterLocal{a: a} }

// NodeConfigLocal is NodeLocal that can also refresh: it reads
// cassandra.yaml at configFile, and release gives the node's release
// (system.local release_version; "" when unknown).
func NodeConfigLocal(a *node.Adapter, configFile string, release func() string) Local {
	return configLocal{adapterLocal{a: a}, configFile, release}
}

type adapterLocal struct{ a *node.Adapter }

type configLocal struct {
	adapterLocal
	path    string
	release func() string
}

func (l configLocal) ConfigFile() ([]byte, error) { return os.ReadFile(l.path) }

func (l configLocal) ReleaseVersion() string {
	if l.release == nil {
		return ""
	}
	return l.release()
}

func (l adapterLocal) Settings(ctx context.Context) (map[string]string, error) {
	return l.a.Settings(ctx)
}

func (l adapterLocal) JMX() JMX {
	// A nil *node.Jolokia in a JMX would be a non-nil interface.
	if j := l.a.Jolokia(); j != nil {
		return j
	}
	return nil
}

// ErrNoJMX: the sidecar has neither a Jolokia agent nor nodetool to
// change settings through.
var ErrNoJMX = errors.New("settings cannot be changed at runtime without a Jolokia agent or nodetool: " +
	"configure cassandra.jolokia_url (or cassandra.nodetool)")

// maxListed bounds the problems an InputError's message lists (Problems has them all).
const maxListed = 10

// InputError lists every bad key of a request: key → why. It maps to HTTP 400.
type InputError struct{ Problems map[string]string }

func (e *InputError) Error() string {
	keys := make([]string, 0, len(e.Problems))
	for k := range e.Problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("invalid settings request: ")
	for i, k := range keys {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(keys)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if k != "" {
			b.WriteString(clip(k) + ": ")
		}
		b.WriteString(e.Problems[k])
	}
	return b.String()
}

// ApplyError is a request that passed validation but failed on the node:
// the keys applied before the failure stay applied (JMX has no
// transaction), the rest were not attempted. ReadBack is set instead when
// everything was applied but reading the values back failed.
type ApplyError struct {
	Applied      []string          `json:"applied"`
	Failed       map[string]string `json:"failed,omitempty"`
	NotAttempted []string          `json:"not_attempted,omitempty"`
	ReadBack     string            `json:"read_back_error,omitempty"`
	rejected     bool              // the node refused the value (IllegalArgumentException)
}

func (e *ApplyError) Error() string {
	var parts []string
	if len(e.Failed) > 0 {
		var f []string
		for k, v := range e.Failed {
			f = append(f, k+": "+v)
		}
		sort.Strings(f)
		parts = append(parts, "the node failed to apply "+strings.Join(f, "; "))
	}
	if len(e.Applied) > 0 {
		parts = append(parts, "applied (and left so): "+strings.Join(e.Applied, ", "))
	} else {
		parts = append(parts, "nothing was applied")
	}
	if len(e.NotAttempted) > 0 {
		parts = append(parts, "not attempted: "+strings.Join(e.NotAttempted, ", "))
	}
	if e.ReadBack != "" {
		parts = append(parts, "reading system_views.settings back failed: "+e.ReadBack)
	}
	return strings.Join(parts, "; ")
}

// HTTPStatus is 400 when the node refused a value and nothing was
// applied (a bad value this package's checks let through), else 502.
func (e *ApplyError) HTTPStatus() int {
	if e.rejected && len(e.Applied) == 0 {
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

// Validate checks a whole change request without touching anything. The
// error is an *InputError naming every bad key.
func Validate(changes map[string]any) error {
	_, err := plans(changes)
	return err
}

// Get reads the runtime values, keyed as asked (all rows of
// system_views.settings, keyed as Cassandra lists them, when keys is
// empty). Numbers for plain ints and old names, booleans for booleans,
// strings otherwise (for rows outside the table, always the string).
// A known key that is null on the node answers nil; unknown keys are an
// *InputError.
func Get(ctx context.Context, l Local, keys []string) (map[string]any, error) {
	keys = dedupe(keys)
	rows, err := l.Settings(ctx)
	if err != nil {
		// Keys unknown to 4.1 are an input error even when the node is down.
		if ie := unknownKeys(keys, nil); ie != nil {
			return nil, ie
		}
		return nil, fmt.Errorf("reading system_views.settings: %w", err)
	}
	out := make(map[string]any, max(len(keys), len(rows)))
	if len(keys) == 0 {
		for k, v := range rows {
			out[k] = typed(k, v)
		}
		return out, nil
	}
	if ie := unknownKeys(keys, rows); ie != nil {
		return nil, ie
	}
	for _, k := range keys {
		if v, ok := rows[k]; ok {
			out[k] = typed(k, v)
		} else {
			out[k] = nil
		}
	}
	return out, nil
}

// unknownKeys is an *InputError for the keys neither 4.1 nor the node has.
func unknownKeys(keys []string, live map[string]string) *InputError {
	problems := map[string]string{}
	n := 0
	for _, k := range keys {
		_, ok := known[k]
		if _, l := live[k]; !ok && !l {
			problems[k] = unknown(k, live, &n)
		}
	}
	if len(problems) > 0 {
		return &InputError{Problems: problems}
	}
	return nil
}

func dedupe(keys []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// Set validates everything first (nothing is applied on any error), applies
// each change in key order through JMX, or without Jolokia through
// nodetool's setter for it (nodetool.go), stopping at the first failure
// (*ApplyError), then reads system_views.settings back and returns the
// runtime values of the changed keys, keyed as given (the CEP's answer).
func Set(ctx context.Context, l Local, changes map[string]any) (map[string]any, error) {
	ps, err := plans(changes)
	if err != nil {
		return nil, err
	}
	var applyOne func(plan) error
	var rejected func(error) bool
	if j := l.JMX(); j != nil {
		applyOne = func(p plan) error { return apply(ctx, j, p) }
		rejected = func(err error) bool {
			var je *node.JolokiaError
			return errors.As(err, &je) && je.Status == http.StatusBadRequest &&
				strings.HasSuffix(je.ErrorType, "IllegalArgumentException")
		}
		if err := refuseUnsettable(ps, true); err != nil {
			return nil, err
		}
	} else {
		var nt Nodetool
		if nl, ok := l.(NodetoolLocal); ok {
			nt = nl.Nodetool()
		}
		if nt == nil {
			return nil, ErrNoJMX
		}
		if err := refuseUnsettable(ps, false); err != nil {
			return nil, err
		}
		applyOne = func(p plan) error { return viaNodetool(ctx, nt, p) }
		rejected = nodetoolRejected
	}
	ae := &ApplyError{Applied: []string{}}
	for i, p := range ps {
		if err := applyOne(p); err != nil {
			ae.Failed = map[string]string{p.key: err.Error()}
			ae.rejected = rejected(err)
			for _, q := range ps[i+1:] {
				ae.NotAttempted = append(ae.NotAttempted, q.key)
			}
			return nil, ae
		}
		ae.Applied = append(ae.Applied, p.key)
	}
	rows, err := l.Settings(ctx)
	if err != nil {
		ae.ReadBack = err.Error()
		return nil, ae
	}
	out := make(map[string]any, len(ps))
	for _, p := range ps {
		if v, ok := rows[p.key]; ok {
			out[p.key] = typed(p.key, v)
		} else {
			out[p.key] = nil
		}
	}
	return out, nil
}

func apply(ctx context.Context, j JMX, p plan) error {
	t := p.t
	if t.attr == "" {
		op := t.ops[0]
		if p.value.(bool) {
			op = t.ops[1]
		}
		_, err := j.Exec(ctx, t.mbean, op)
		return err
	}
	_, err := j.Write(ctx, t.mbean, t.attr, p.value)
	return err
}
