package settings

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ringside/ringside/internal/jsonin"
)

// plan is one validated change: what to write or exec on which MBean.
type plan struct {
	key   string // as the caller named it
	e     *entry
	t     target
	value any // int64 or bool for a write; bool chooses the operation
}

// maxSuggestions bounds the did-you-mean searches of one request (each
// scans every known name).
const maxSuggestions = 20

// plans validates a whole request: every problem is reported, and nothing
// is returned unless all keys are good.
func plans(changes map[string]any) ([]plan, error) {
	flat, problems := flatten(changes)
	if len(flat) == 0 && len(problems) == 0 {
		return nil, &InputError{Problems: map[string]string{"": "no settings given: send a JSON object of cassandra.yaml keys, e.g. {\"compaction_throughput\": \"64MiB/s\"}"}}
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []plan
	bySetting := map[*entry][]string{}
	suggestions := 0
	for _, k := range keys {
		p, why := check(k, flat[k], &suggestions)
		if why != "" {
			problems[k] = why
			continue
		}
		out = append(out, p)
		bySetting[p.e] = append(bySetting[p.e], k)
	}
	// The 4.1 name and the old one are one setting: give it once.
	for _, ks := range bySetting {
		if len(ks) > 1 {
			for _, k := range ks {
				others := strings.Join(without(ks, k), ", ")
				problems[k] = "names the same setting as " + others + "; give it once"
			}
		}
	}
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	return out, nil
}

func without(l []string, s string) []string {
	var out []string
	for _, e := range l {
		if e != s {
			out = append(out, e)
		}
	}
	return out
}

// flatten turns JSON objects under dotted-name groups into dotted keys:
// {"audit_logging_options": {"enabled": true}} is "audit_logging_options.enabled".
func flatten(changes map[string]any) (map[string]any, map[string]string) {
	flat := make(map[string]any, len(changes))
	problems := map[string]string{}
	var walk func(prefix string, m map[string]any, depth int)
	walk = func(prefix string, m map[string]any, depth int) {
		for k, v := range m {
			name := prefix + k
			if sub, ok := v.(map[string]any); ok && groups[name] && depth < 8 {
				walk(name+".", sub, depth+1)
				continue
			}
			if _, dup := flat[name]; dup {
				problems[name] = "given twice (as a dotted key and inside an object)"
				continue
			}
			flat[name] = v
		}
	}
	walk("", changes, 0)
	for k := range problems {
		delete(flat, k)
	}
	return flat, problems
}

// check validates one key and value.
func check(key string, v any, suggestions *int) (plan, string) {
	n, ok := byName[key]
	if !ok {
		return plan{}, notSettable(key, nil, suggestions)
	}
	e := n.e
	p := plan{key: key, e: e}
	switch {
	case e.kind == kindBool:
		b, ok := v.(bool)
		if !ok {
			return p, "must be true or false, not " + describe(v)
		}
		p.t, p.value = e.targets[0], b
		return p, ""
	case e.kind == kindInt:
		i, why := wholeNumber(v)
		if why != "" {
			return p, why
		}
		p.t, p.value = e.targets[0], i
		return p, inRange(i, p.t)
	case n.old:
		i, why := wholeNumber(v)
		if why != "" {
			if _, isString := v.(string); isString {
				why = fmt.Sprintf("must be a number in %s, not a string (the 4.1 name %s takes strings like %q)", e.oldUnit.name, e.key, example(e))
			}
			return p, why
		}
		p.t, p.value = e.targets[e.oldTarget], i
		return p, inRange(i, p.t)
	}
	s, ok := v.(string)
	if !ok {
		why := fmt.Sprintf("must be a string with a unit, like %q (units: %s), not %s", example(e), unitNames(e.kind), describe(v))
		if e.old != "" {
			why += fmt.Sprintf("; a plain number in %s goes under %s", e.oldUnit.name, e.old)
		}
		return p, why
	}
	base, why := parseSpec(e.kind, s)
	if why != "" {
		return p, why
	}
	// The first target whose unit holds the value exactly.
	var whole []target
	for _, t := range e.targets {
		if base%t.unit.factor == 0 {
			whole = append(whole, t)
			i := base / t.unit.factor
			if inRange(i, t) == "" {
				p.t, p.value = t, i
				return p, ""
			}
		}
	}
	if len(whole) > 0 {
		t := whole[0]
		return p, fmt.Sprintf("%q is %d %s; %s", s, base/t.unit.factor, t.unit.name, inRange(base/t.unit.factor, t))
	}
	var units []string
	for _, t := range e.targets {
		units = append(units, t.unit.name)
	}
	return p, fmt.Sprintf("%q is not a whole number of %s: JMX (%s) takes whole %s only",
		s, strings.Join(units, " or "), describeTargets(e), strings.Join(units, " or "))
}

// notSettable says why key is not in the table.
func notSettable(key string, live map[string]string, suggestions *int) string {
	if ref, ok := notViaJolokia[key]; ok {
		return "not hot-settable: Cassandra 4.1 changes it at runtime only through the write-only JMX attribute " +
			ref + ", which Jolokia cannot write (it reads the old value first) and no nodetool command sets; cassandra.yaml and a restart"
	}
	if _, ok := known[key]; ok {
		return "not hot-settable (a restart with cassandra.yaml is needed)"
	}
	if _, ok := live[key]; ok {
		return "not hot-settable (a restart with cassandra.yaml is needed)"
	}
	return unknown(key, live, suggestions)
}

func unknown(key string, live map[string]string, suggestions *int) string {
	why := "unknown key: not a Cassandra 4.1 setting"
	if *suggestions < maxSuggestions {
		*suggestions++
		if s := suggest(key, live); s != "" {
			why += fmt.Sprintf(" (did you mean %q?)", s)
		}
	}
	return why
}

func describeTargets(e *entry) string {
	var l []string
	for _, t := range e.targets {
		l = append(l, t.describe())
	}
	return strings.Join(l, ", ")
}

// example is the setting's value on the captured 4.1.6 node, a fair example.
func example(e *entry) string {
	if v, ok := known[e.key]; ok && v != "null" {
		return v
	}
	return "1" + specUnits[e.kind][0].name
}

func unitNames(k kind) string {
	var l []string
	for _, u := range specUnits[k] {
		l = append(l, u.name)
	}
	return strings.Join(l, ", ")
}

// parseSpec reads a 4.1 string with a unit as Cassandra's Config types do
// (a non-negative integer, then a unit, case-sensitive; DataRateSpec,
// DataStorageSpec, DurationSpec) and returns it in its kind's base unit.
func parseSpec(k kind, s string) (int64, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits, sym := s[:i], s[i:]
	for _, u := range specUnits[k] {
		if sym != u.name || digits == "" {
			continue
		}
		q, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || q > math.MaxInt64/u.factor {
			return 0, fmt.Sprintf("%q is too large", clip(s))
		}
		return q * u.factor, ""
	}
	for _, f := range tooFineUnits[k] {
		if sym == f && digits != "" {
			return 0, fmt.Sprintf("%q: %s is finer than this setting takes (units: %s)", clip(s), f, unitNames(k))
		}
	}
	return 0, fmt.Sprintf("%q is not a %s: a non-negative whole number and a unit, one of %s (case matters)", clip(s), kindName(k), unitNames(k))
}

// wholeNumber reads a JSON number (json.Number, float64 or a Go integer)
// that must be a whole number.
func wholeNumber(v any) (int64, string) {
	switch x := v.(type) {
	case json.Number:
		// The same rule as bulk parameters: 1e3 and 12.0 are whole.
		i, err := jsonin.Whole(string(x))
		if err != nil {
			return 0, err.Error()
		}
		return i, ""
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, fmt.Sprintf("must be a whole number, not %v", x)
		}
		if math.Abs(x) > 1<<53 {
			return 0, fmt.Sprintf("%v is too large to be exact", x)
		}
		return int64(x), ""
	case float32:
		return wholeNumber(float64(x))
	case int:
		return int64(x), ""
	case int8:
		return int64(x), ""
	case int16:
		return int64(x), ""
	case int32:
		return int64(x), ""
	case int64:
		return x, ""
	case uint8:
		return int64(x), ""
	case uint16:
		return int64(x), ""
	case uint32:
		return int64(x), ""
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, fmt.Sprintf("%d is too large", x)
		}
		return int64(x), ""
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Sprintf("%d is too large", x)
		}
		return int64(x), ""
	}
	return 0, "must be a whole number, not " + describe(v)
}

// inRange checks a value against what the JMX setter accepts.
func inRange(i int64, t target) string {
	u := ""
	if t.unit.name != "" {
		u = " " + t.unit.name
	}
	switch {
	case i < t.min && t.min == 0:
		return fmt.Sprintf("must not be negative (%s takes 0..%d%s)", t.describe(), t.max, u)
	case i < t.min:
		return fmt.Sprintf("must be greater than %d (%s takes %d..%d%s)", t.min-1, t.describe(), t.min, t.max, u)
	case i > t.max:
		return fmt.Sprintf("must be at most %d%s (%s takes %d..%d%s)", t.max, u, t.describe(), t.min, t.max, u)
	}
	return ""
}

// describe names a JSON value's type for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return fmt.Sprintf("the string %q", clip(x))
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}

// typed is a system_views.settings value as Get answers it: a number for
// plain ints and old names, a boolean for booleans, else the string.
func typed(key, raw string) any {
	switch readKinds[key] {
	case kindInt:
		if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return i
		}
	case kindBool:
		if b, err := strconv.ParseBool(raw); err == nil && (raw == "true" || raw == "false") {
			return b
		}
	}
	return raw
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
