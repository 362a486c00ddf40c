package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ringside/ringside/internal/textdist"
)

// EnvConfigFile names the configuration file when Load is given no path,
// so that a container can be configured entirely from its environment.
const EnvConfigFile = "RINGSIDE_CONFIG"

// envReserved is the prefix of variables that are not settings (tests use
// RINGSIDE_TEST_LOG); every other RINGSIDE_* variable must be a key, so a
// misspelt one is an error rather than silently ignored.
const envReserved = "RINGSIDE_TEST_"

// Error is one problem with the configuration.
type Error struct {
	Origin string // "ringside.yaml:12", "RINGSIDE_HEALTH_MAX_AGE", or "" (default or set in code)
	Key    string // dotted key, "" when the problem is not a key's value
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Origin != "" {
		b.WriteString(e.Origin)
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load returns the defaults, overridden by the file at path (none if path
// is "", unless RINGSIDE_CONFIG names one), overridden by the RINGSIDE_*
// variables in env (os.Environ() form), and validated. A path that was
// given but does not exist is an error: a mistyped --config must not
// quietly run on defaults.
func Load(path string, env []string) (*Config, error) {
	c := Default()
	if path == "" {
		path = lookupEnv(env, EnvConfigFile)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("config file %s: %w", path, fs.ErrNotExist)
		case err != nil:
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		if err := c.decode(path, b); err != nil {
			return nil, err
		}
	}
	if err := c.applyEnv(env); err != nil {
		return nil, err
	}
	c.normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse is Load for a file's content already in memory, without the
// environment; name is used in error messages.
func Parse(name string, b []byte) (*Config, error) {
	c := Default()
	if err := c.decode(name, b); err != nil {
		return nil, err
	}
	c.normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func lookupEnv(env []string, name string) string {
	v := ""
	for _, e := range env {
		if k, val, ok := strings.Cut(e, "="); ok && k == name {
			v = val // the last one wins, as with getenv
		}
	}
	return v
}

// decode overlays the YAML document b onto c. The document is first walked
// key by key so that an unknown key or a value of the wrong type is
// reported with its full dotted name and line; the real decode then runs
// with KnownFields as a backstop.
func (c *Config) decode(name string, b []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty, or only comments: all defaults
		}
		return fmt.Errorf("%s: %v", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: more than one YAML document (---); ringside reads exactly one", name)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		// Not the value itself: a wrong file given to --config (a key,
		// a password file) is not to be pasted into a terminal or a log.
		what := describe(root)
		if root.Kind == yaml.ScalarNode {
			what = "plain text (is it a ringside.yaml?)"
		}
		return &Error{Origin: fmt.Sprintf("%s:%d", name, root.Line), Msg: "the file must be a mapping of keys (listen_address: …, cassandra: …), not " + what}
	}
	var errs []error
	c.walk(name, root, reflect.TypeFor[Config](), "", &errs)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(c); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}

func (c *Config) walk(file string, n *yaml.Node, t reflect.Type, prefix string, errs *[]error) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		origin := fmt.Sprintf("%s:%d", file, k.Line)
		if k.Kind != yaml.ScalarNode {
			*errs = append(*errs, &Error{Origin: origin, Msg: "keys must be plain names, not " + describe(k)})
			continue
		}
		if k.Value == "<<" {
			continue // a merge key; the KnownFields decode checks what it brings in
		}
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		f, ok := fieldByYAML(t, k.Value)
		if !ok {
			*errs = append(*errs, &Error{Origin: origin, Key: path, Msg: unknownKeyMsg(k.Value, t, prefix)})
			continue
		}
		for v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if isSection(f.Type) {
			if isNull(v) {
				continue // "cassandra:" with nothing under it keeps the defaults
			}
			if v.Kind != yaml.MappingNode {
				*errs = append(*errs, &Error{Origin: origin, Key: path, Msg: "must be a mapping of keys (" + strings.Join(sectionKeys(f.Type), ", ") + "), not " + describe(v)})
				continue
			}
			c.walk(file, v, f.Type, path, errs)
			continue
		}
		if err := checkLeaf(v, f.Type); err != nil {
			*errs = append(*errs, &Error{Origin: origin, Key: path, Msg: err.Error()})
			continue
		}
		c.setOrigin(path, origin)
	}
}

func fieldByYAML(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func unknownKeyMsg(name string, t reflect.Type, prefix string) string {
	known := sectionKeys(t)
	where := "at the top level"
	if prefix != "" {
		where = "under " + prefix
	}
	msg := "unknown key"
	if s := suggest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return msg + "; the keys " + where + " are " + strings.Join(known, ", ") + " (see docs/ringside.yaml)"
}

// checkLeaf decodes v into a scratch value of type t, translating yaml's
// type errors into what the key expects.
func checkLeaf(v *yaml.Node, t reflect.Type) error {
	if isNull(v) && t.Kind() != reflect.Slice {
		// yaml would keep the default here, which is rarely what "key:"
		// meant (jolokia_url: with nothing would not switch to nodetool).
		if t.Kind() == reflect.String {
			return fmt.Errorf("has no value; write \"\" for an empty one, or delete the line to keep the default")
		}
		return fmt.Errorf("has no value; give %s, or delete the line to keep the default", typeName(t))
	}
	if t == durationType {
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("expected a duration such as \"5s\" or \"500ms\", got %s", describe(v))
		}
		if _, err := parseDuration(v.Value); err != nil {
			return err
		}
		return nil
	}
	if err := v.Decode(reflect.New(t).Interface()); err != nil {
		return fmt.Errorf("expected %s, got %s", typeName(t), describe(v))
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(s), 64); nerr == nil {
			return 0, fmt.Errorf("%q has no unit; write e.g. \"%ss\" for seconds or \"%sms\" for milliseconds", s, s, s)
		}
		return 0, fmt.Errorf("%q is not a duration; write e.g. \"5s\", \"500ms\" or \"1m30s\"", s)
	}
	return d, nil
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	case reflect.Slice:
		return "a list of strings, e.g. [a, b]"
	}
	return t.String()
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		if v := []rune(n.Value); len(v) > 40 {
			return strconv.Quote(string(v[:40])) + "…"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// applyEnv sets every key named by a RINGSIDE_* variable. An empty value
// sets an empty value (RINGSIDE_CASSANDRA_JOLOKIA_URL= means use nodetool).
func (c *Config) applyEnv(env []string) error {
	var errs []error
	root := reflect.ValueOf(c).Elem()
	for _, e := range env {
		name, val, ok := strings.Cut(e, "=")
		if !ok || !strings.HasPrefix(name, "RINGSIDE_") || name == EnvConfigFile || strings.HasPrefix(name, envReserved) {
			continue
		}
		k, ok := keyByEnv[name]
		if !ok {
			msg := "not a ringside setting"
			var names []string
			for _, k := range keys {
				names = append(names, k.Env)
			}
			if s := suggest(name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			} else {
				msg += "; each key of docs/ringside.yaml has one, e.g. cassandra.jolokia_url is RINGSIDE_CASSANDRA_JOLOKIA_URL"
			}
			errs = append(errs, &Error{Origin: name, Msg: msg})
			continue
		}
		if err := setFromString(root.FieldByIndex(k.index), val); err != nil {
			errs = append(errs, &Error{Origin: name, Key: k.Path, Msg: err.Error()})
			continue
		}
		c.setOrigin(k.Path, name)
	}
	return errors.Join(errs...)
}

// setFromString parses an environment value for a field. Lists are
// comma-separated, or a YAML flow list (["-h", "a,b"]) when an element
// needs a comma.
func setFromString(f reflect.Value, s string) error {
	switch {
	case f.Type() == durationType:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	case f.Kind() == reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.SetInt(int64(n))
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		var list []string
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "[") {
			if err := yaml.Unmarshal([]byte(t), &list); err != nil {
				return fmt.Errorf("%q is not a list; write a,b,c or [\"a\", \"b\"]", s)
			}
		} else {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					list = append(list, p)
				}
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("cannot be set from the environment (type %s)", f.Type())
	}
	return nil
}

// normalize puts values in their canonical spelling so that the rest of
// ringside compares plain strings: "JSON" → "json", "local_one" →
// "LOCAL_ONE", and empty lists → nil (as in the defaults).
func (c *Config) normalize() {
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	c.LogFormat = strings.ToLower(strings.TrimSpace(c.LogFormat))
	c.Peers.Scheme = strings.ToLower(strings.TrimSpace(c.Peers.Scheme))
	for i, cl := range c.Health.ConsistencyLevels {
		c.Health.ConsistencyLevels[i] = strings.ToUpper(strings.TrimSpace(cl))
	}
	if len(c.Health.ConsistencyLevels) == 0 {
		c.Health.ConsistencyLevels = nil
	}
	if len(c.Cassandra.NodetoolArgs) == 0 {
		c.Cassandra.NodetoolArgs = nil
	}
	if len(c.Cassandra.DataDirectories) == 0 {
		c.Cassandra.DataDirectories = nil
	}
	if len(c.Security.JWTPublicKeyFiles) == 0 {
		c.Security.JWTPublicKeyFiles = nil
	}
}

// suggest returns the candidate closest to s if it is close enough to be
// a likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range candidates {
		ls, lc := strings.ToLower(s), strings.ToLower(c)
		d := textdist.Levenshtein(ls, lc)
		if len(ls) >= 4 && (strings.HasPrefix(lc, ls) || strings.HasPrefix(ls, lc)) {
			d = min(d, 1) // a truncated name: jolokia for jolokia_url
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
