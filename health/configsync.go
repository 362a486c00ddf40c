package health

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config sync statuses, as the CEP's replica example spells them.
const (
	SyncGood    = "GOOD"
	SyncBad     = "BAD"
	SyncUnknown = "UNKNOWN"
)

// Difference is one setting whose value in cassandra.yaml is not the value
// the node runs with.
type Difference struct {
	Key     string `json:"key"`
	OnDisk  string `json:"on_disk"`
	Running string `json:"running"` // "null" when the running value is null
	// RunningKey is the system_views.settings row that was compared, when
	// it is not Key (the other name of a setting renamed in 4.1).
	RunningKey string `json:"running_key,omitempty"`
	// Default is set when cassandra.yaml does not set Key (absent,
	// commented out or null; OnDisk is then ""), so the node should run
	// with the release's default, and runs with something else.
	Default string `json:"default,omitempty"`
}

// ConfigSync is the outcome of comparing cassandra.yaml with the running
// settings.
type ConfigSync struct {
	// Status is GOOD (no differences), BAD (differences) or UNKNOWN (the
	// file or the running settings could not be read; see Error).
	Status      string       `json:"status"`
	Differences []Difference `json:"differences"`
	// Unknown are cassandra.yaml keys that system_views.settings does not
	// know (typos, options of another version, or not exposed). They are
	// not differences: Cassandra 4.1 refuses to start on a truly unknown
	// key, so they are most likely options the table does not show.
	Unknown []string `json:"unknown,omitempty"`
	// Compared is the number of cassandra.yaml keys compared.
	Compared int    `json:"compared"`
	Error    string `json:"error,omitempty"`
}

// CompareConfigFile reads path and compares it with settings; an
// unreadable file gives UNKNOWN.
func CompareConfigFile(path string, settings map[string]string) ConfigSync {
	b, err := os.ReadFile(path)
	if err != nil {
		return ConfigSync{Status: SyncUnknown, Differences: []Difference{}, Error: err.Error()}
	}
	return CompareConfig(b, settings)
}

// CompareConfig compares every key of cassandra.yaml (yamlBytes) with the
// node's running settings (system_views.settings, name → value, null rows
// absent). Nested options are flattened with dots, as the settings table
// names them (client_encryption_options.enabled); a ParameterizedClass
// (seed_provider: - class_name: … parameters: - seeds: …) becomes
// "<key>.class_name" and "<key>.parameters" ({seeds=…}, as Java prints the
// map). Values are compared with Cassandra 4.1's semantics: units
// (64MiB/s == 67108864B/s, 3h == 10800000ms), the pre-4.1 names and their
// converters (compaction_throughput_mb_per_sec: 64 == compaction_throughput
// 64MiB/s), YAML 1.1 booleans (SnakeYAML's yes/no/on/off), numbers (8 ==
// 8.0), lists ([/a, /b]) and maps ({k=v}) regardless of order. A key set to
// null in the file means "Cassandra's default" and is not compared.
func CompareConfig(yamlBytes []byte, settings map[string]string) ConfigSync {
	return CompareConfigVersion(yamlBytes, settings, "")
}

// CompareConfigVersion is CompareConfig that also knows the release the
// node runs (system.local release_version): a runtime-settable key that
// cassandra.yaml leaves unset is compared with that release's default
// (Difference.Default), so drift of a commented-out key is reported too.
// Only 4.1's defaults are known; for other releases such keys are not
// compared.
func CompareConfigVersion(yamlBytes []byte, settings map[string]string, release string) ConfigSync {
	out := ConfigSync{Status: SyncUnknown, Differences: []Difference{}}
	if len(settings) == 0 {
		out.Error = "running settings unknown (system_views.settings could not be read)"
		return out
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(yamlBytes, &doc); err != nil {
		out.Error = "cassandra.yaml: " + err.Error()
		return out
	}
	names := newKnownNames(settings)
	flat := map[string]yval{}
	if len(doc.Content) > 0 {
		root := resolve(doc.Content[0])
		if root.Kind != yaml.MappingNode {
			if root.ShortTag() != "!!null" {
				out.Error = "cassandra.yaml: the document is not a mapping of settings"
				return out
			}
		} else {
			flatten(root, "", names, flat)
		}
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := flat[k]
		if v.kind == yNull {
			continue
		}
		d, known := compareKey(k, v, settings)
		if !known {
			out.Unknown = append(out.Unknown, k)
			continue
		}
		out.Compared++
		if d != nil {
			out.Differences = append(out.Differences, *d)
		}
	}
	out.Differences = append(out.Differences, compareDefaults(flat, settings, release)...)
	sort.SliceStable(out.Differences, func(i, j int) bool { return out.Differences[i].Key < out.Differences[j].Key })
	out.Status = SyncGood
	if len(out.Differences) > 0 {
		out.Status = SyncBad
	}
	return out
}

// compareKey compares one cassandra.yaml key. The row of the same name is
// preferred: 4.1 shows old names through the converter's unconvert, so the
// comparison happens at the precision of the name the operator wrote (the
// default stream_throughput_outbound, 24MiB/s, is 201 megabits/s and no
// whole number of megabits/s is exactly 24MiB/s). The other name of a
// renamed setting is the fallback.
func compareKey(key string, v yval, settings map[string]string) (*Difference, bool) {
	if running, ok := settings[key]; ok {
		if equalValue(key, v, running) {
			return nil, true
		}
		return &Difference{Key: key, OnDisk: v.String(), Running: running}, true
	}
	if r, ok := renameByOld[key]; ok {
		running, present := settings[r.other]
		if v.kind == yScalar && oldEqualsNew(r.conv, v.s, running, present, r.other) {
			return nil, true
		}
		return &Difference{Key: key, OnDisk: v.String(), Running: orNull(running, present), RunningKey: r.other}, true
	}
	if olds, ok := renameByNew[key]; ok {
		for _, r := range olds {
			running, present := settings[r.other]
			if !present {
				continue
			}
			if v.kind == yScalar && newEqualsOld(r.conv, v.s, running, key) {
				return nil, true
			}
			return &Difference{Key: key, OnDisk: v.String(), Running: running, RunningKey: r.other}, true
		}
		return &Difference{Key: key, OnDisk: v.String(), Running: "null"}, true
	}
	if nullable[key] {
		return &Difference{Key: key, OnDisk: v.String(), Running: "null"}, true
	}
	return nil, false
}

func orNull(s string, present bool) string {
	if !present {
		return "null"
	}
	return s
}

// oldEqualsNew: is the old-name value from cassandra.yaml what Cassandra
// would have converted into the running new-name value?
func oldEqualsNew(c conversion, old, running string, present bool, newKey string) bool {
	if c.unit == "" {
		return present && scalarEqual(newKey, old, running)
	}
	n, ok := parseNumber(old)
	if !ok {
		return false
	}
	oldNull := (c.minusOneNull && n == -1) || (c.negativeNull && n < 0)
	if oldNull || !present {
		return oldNull && !present
	}
	if math.IsNaN(n) || (c.negativeZero && n < 0) {
		n = 0 // MILLIS_DURATION_DOUBLE maps NaN to 0ms; NEGATIVE_SECONDS_DURATION negatives to 0s
	}
	rq, ok := parseSpec(running)
	if !ok {
		return false
	}
	yq, ok := makeQuantity(formatNumber(n), c.unit)
	if !ok {
		return false
	}
	if yq.equal(rq) {
		return true
	}
	// Megabits/s cannot express most MiB/s rates: compare as the old
	// name's settings row would show the running rate.
	return c.unit == "megabits/s" && rq.kind == kindRate && rq.in(c.unit) == formatNumber(n)
}

// newEqualsOld: the file has the new name, the running settings only the
// old one.
func newEqualsOld(c conversion, val, runningOld, newKey string) bool {
	if c.unit == "" {
		return scalarEqual(newKey, val, runningOld)
	}
	n, ok := parseNumber(runningOld)
	if !ok || (c.minusOneNull && n == -1) || (c.negativeNull && n < 0) {
		return false
	}
	if math.IsNaN(n) || (c.negativeZero && n < 0) {
		n = 0
	}
	yq, ok := parseSpec(val)
	if !ok {
		return false
	}
	rq, ok := makeQuantity(formatNumber(n), c.unit)
	if !ok {
		return false
	}
	return yq.equal(rq) || (c.unit == "megabits/s" && yq.kind == kindRate && yq.in(c.unit) == formatNumber(n))
}

func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(f)
}

// equalValue compares a cassandra.yaml value with a settings row.
func equalValue(key string, v yval, running string) bool {
	switch v.kind {
	case yList:
		rl, ok := parseJavaList(running)
		return ok && sameMultiset(v.list, rl)
	case yMap:
		rm, ok := parseJavaMap(running)
		if !ok || len(rm) != len(v.m) {
			return false
		}
		for k, a := range v.m {
			b, ok := rm[k]
			if !ok || !scalarEqual("", a, b) {
				return false
			}
		}
		return true
	}
	return scalarEqual(key, v.s, running)
}

// scalarEqual compares two scalars as the setting's type would parse them.
func scalarEqual(key, a, b string) bool {
	if a == b {
		return true
	}
	unit := impliedUnit(key)
	qa, oka := quantityOf(a, unit)
	qb, okb := quantityOf(b, unit)
	if oka && okb {
		return qa.equal(qb)
	}
	if oka != okb {
		return false
	}
	na, oka := parseNumber(a)
	nb, okb := parseNumber(b)
	if oka && okb {
		return na == nb || (math.IsNaN(na) && math.IsNaN(nb))
	}
	// SnakeYAML (YAML 1.1) reads yes/no/on/off as booleans.
	if b == "true" || b == "false" {
		if ba, ok := yamlBool(a); ok {
			return ba == (b == "true")
		}
	}
	return false
}

// quantityOf parses a value with a unit, or a bare number in the key's
// implied (old) unit.
func quantityOf(s, unit string) (quantity, bool) {
	s = strings.TrimSpace(s)
	if q, ok := parseSpec(s); ok {
		return q, true
	}
	if unit == "" {
		return quantity{}, false
	}
	n, ok := parseNumber(s)
	if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
		return quantity{}, false
	}
	return makeQuantity(formatNumber(n), unit)
}

// yamlBool is SnakeYAML's BOOL resolver (YAML 1.1), which Cassandra's
// loader uses: yes/no/on/off as well as true/false, in three casings.
func yamlBool(s string) (bool, bool) {
	switch s {
	case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// parseJavaList reads AbstractCollection.toString / Arrays.toString output.
func parseJavaList(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, false
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	if s == "" {
		return []string{}, true
	}
	parts := strings.Split(s, ", ")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, true
}

// parseJavaMap reads AbstractMap.toString output, "{k=v, k2=v2}". A value
// containing ", " (a seed list with spaces) continues until the next
// "key=" piece.
func parseJavaMap(s string) (map[string]string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, false
	}
	s = s[1 : len(s)-1]
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, true
	}
	last := ""
	for _, p := range strings.Split(s, ", ") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || last != "" && strings.ContainsAny(k, " ") {
			if last == "" {
				return nil, false
			}
			out[last] += ", " + p
			continue
		}
		out[k] = v
		last = k
	}
	return out, true
}

func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, x := range a {
		count[strings.TrimSpace(x)]++
	}
	for _, x := range b {
		k := strings.TrimSpace(x)
		if count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}

// yval is one flattened cassandra.yaml value.
type yval struct {
	kind yKind
	s    string
	list []string
	m    map[string]string
}

type yKind uint8

const (
	yNull yKind = iota
	yScalar
	yList
	yMap
)

// String renders the value as Java would print it in system_views.settings.
func (v yval) String() string {
	switch v.kind {
	case yNull:
		return "null"
	case yList:
		return "[" + strings.Join(v.list, ", ") + "]"
	case yMap:
		keys := make([]string, 0, len(v.m))
		for k := range v.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + v.m[k]
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.s
}

// knownNames are the names system_views.settings knows: its rows, the rows
// that are null by default, and both names of every 4.1 rename.
type knownNames struct {
	keys     map[string]bool
	prefixes map[string]bool // "a" and "a.b" for a key "a.b.c"
}

func newKnownNames(settings map[string]string) knownNames {
	n := knownNames{keys: map[string]bool{}, prefixes: map[string]bool{}}
	add := func(k string) {
		n.keys[k] = true
		for i := strings.IndexByte(k, '.'); i >= 0; {
			n.prefixes[k[:i]] = true
			j := strings.IndexByte(k[i+1:], '.')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	for k := range settings {
		add(k)
	}
	for k := range nullable {
		add(k)
	}
	for _, r := range renames {
		add(r.old)
		add(r.new)
	}
	return n
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// flatten turns the YAML tree into dotted keys. It descends into a mapping
// when the settings table names options below it (a nested options class),
// and keeps it whole when the table shows it as one value (a map setting
// such as startup_checks, or an unknown key).
func flatten(n *yaml.Node, prefix string, names knownNames, out map[string]yval) {
	n = resolve(n)
	descend := prefix == "" || (names.prefixes[prefix] && !names.keys[prefix])
	switch n.Kind {
	case yaml.MappingNode:
		if !descend {
			out[prefix] = yval{kind: yMap, m: mapOf(n)}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolve(n.Content[i+1])
			if k.ShortTag() == "!!merge" {
				flatten(v, prefix, names, out)
				continue
			}
			key := k.Value
			if prefix != "" {
				key = prefix + "." + key
			}
			flatten(v, key, names, out)
		}
	case yaml.SequenceNode:
		// A ParameterizedClass is written as a one-element list
		// (seed_provider: - class_name: …); its parameters as a list
		// whose first map Cassandra uses.
		if descend && len(n.Content) == 1 && resolve(n.Content[0]).Kind == yaml.MappingNode {
			flatten(n.Content[0], prefix, names, out)
			return
		}
		if strings.HasSuffix(prefix, ".parameters") && len(n.Content) > 0 && resolve(n.Content[0]).Kind == yaml.MappingNode {
			out[prefix] = yval{kind: yMap, m: mapOf(resolve(n.Content[0]))}
			return
		}
		list := make([]string, len(n.Content))
		for i, c := range n.Content {
			list[i] = render(c)
		}
		out[prefix] = yval{kind: yList, list: list}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			out[prefix] = yval{kind: yNull}
			return
		}
		out[prefix] = yval{kind: yScalar, s: n.Value}
	}
}

func mapOf(n *yaml.Node) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = render(n.Content[i+1])
	}
	return m
}

// render prints a YAML subtree the way Java's toString would print the
// object SnakeYAML builds from it.
func render(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return n.Value
	case yaml.SequenceNode:
		list := make([]string, len(n.Content))
		for i, c := range n.Content {
			list[i] = render(c)
		}
		return yval{kind: yList, list: list}.String()
	case yaml.MappingNode:
		return yval{kind: yMap, m: mapOf(n)}.String()
	}
	return ""
}
