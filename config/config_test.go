package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const sample = "../docs/ringside.yaml"

// equalValues compares two configurations, ignoring where values came from.
func equalValues(a, b *Config) bool {
	x, y := *a, *b
	x.origin, y.origin = nil, nil
	return reflect.DeepEqual(x, y)
}

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ringside.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !equalValues(c, Default()) {
		t.Fatalf("Load with no file and no environment = %+v, want the defaults", c)
	}
	if c.ListenAddress != ":5000" {
		t.Errorf("listen_address default %q, want :5000 as in CEP-1", c.ListenAddress)
	}
}

// The sample is the documentation; it must load to exactly the defaults.
func TestSampleIsDefaults(t *testing.T) {
	c, err := Load(sample, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !equalValues(c, Default()) {
		t.Fatalf("docs/ringside.yaml loads as\n%+v\nwant the defaults\n%+v", *c, *Default())
	}
}

// Every field of Config must appear in the sample, with a comment, so the
// sample cannot go stale when a key is added.
func TestSampleDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	type entry struct{ key, value *yaml.Node }
	found := map[string]entry{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			found[p] = entry{k, v}
			if v.Kind == yaml.MappingNode {
				walk(v, p)
			}
		}
	}
	walk(doc.Content[0], "")
	if len(Keys()) < 20 {
		t.Fatalf("only %d keys derived from Config", len(Keys()))
	}
	for _, k := range Keys() {
		e, ok := found[k.Path]
		if !ok {
			t.Errorf("%s is not in docs/ringside.yaml", k.Path)
			continue
		}
		if strings.TrimSpace(e.key.HeadComment) == "" && strings.TrimSpace(e.key.LineComment) == "" {
			t.Errorf("%s has no comment in docs/ringside.yaml", k.Path)
		}
	}
	for _, section := range []string{"cassandra", "health", "peers"} {
		if e := found[section]; e.key == nil || strings.TrimSpace(e.key.HeadComment) == "" {
			t.Errorf("section %s has no comment in docs/ringside.yaml", section)
		}
	}
	// And every environment variable is spelled out as the doc says.
	for _, want := range []string{"RINGSIDE_LISTEN_ADDRESS", "RINGSIDE_CASSANDRA_JOLOKIA_URL", "RINGSIDE_HEALTH_REFRESH_INTERVAL", "RINGSIDE_CASSANDRA_CQL_ADDRESS", "RINGSIDE_PEERS_PORT"} {
		if _, ok := keyByEnv[want]; !ok {
			t.Errorf("no key for %s", want)
		}
	}
	if len(keyByEnv) != len(keys) {
		t.Errorf("two keys share an environment name")
	}
}

func TestFileOverridesAndEnvOverridesFile(t *testing.T) {
	p := write(t, `
listen_address: 127.0.0.1:5050
log_format: JSON
cassandra:
  cql_address: 10.0.0.5:9042
  jolokia_url: ""
  nodetool_args: ["-h", "127.0.0.1"]
  timeout: 1500ms
health:
  consistency_levels: [local_quorum, QUORUM]
  config_sync_fails_replica: true
peers:
  port: 5001
`)
	c, err := Load(p, []string{
		"PATH=/bin",
		"RINGSIDE_LISTEN_ADDRESS=:6000",
		"RINGSIDE_HEALTH_REFRESH_INTERVAL=2s",
		"RINGSIDE_CASSANDRA_DATA_DIRECTORIES=/d1, /d2",
		"RINGSIDE_PEERS_CONCURRENCY=8",
		"RINGSIDE_TEST_LOG=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.ListenAddress = ":6000"
	want.LogFormat = "json"
	want.Cassandra.CQLAddress = "10.0.0.5:9042"
	want.Cassandra.JolokiaURL = ""
	want.Cassandra.NodetoolArgs = []string{"-h", "127.0.0.1"}
	want.Cassandra.Timeout = 1500 * time.Millisecond
	want.Cassandra.DataDirectories = []string{"/d1", "/d2"}
	want.Health.RefreshInterval = 2 * time.Second
	want.Health.ConsistencyLevels = []string{"LOCAL_QUORUM", "QUORUM"}
	want.Health.ConfigSyncFailsReplica = true
	want.Peers.Port = 5001
	want.Peers.Concurrency = 8
	if !equalValues(c, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", *c, *want)
	}
	if o := c.Origin("listen_address"); o != "RINGSIDE_LISTEN_ADDRESS" {
		t.Errorf("origin of listen_address = %q", o)
	}
	if o := c.Origin("cassandra.cql_address"); o != p+":5" {
		t.Errorf("origin of cassandra.cql_address = %q, want %s:5", o, p)
	}
	if o := c.Origin("peers.scheme"); o != "default" {
		t.Errorf("origin of peers.scheme = %q", o)
	}
}

func TestEnvValues(t *testing.T) {
	c, err := Load("", []string{
		"RINGSIDE_CASSANDRA_JOLOKIA_URL=", // empty: use nodetool
		`RINGSIDE_CASSANDRA_NODETOOL_ARGS=["-Dx=a,b", "-h"]`,
		"RINGSIDE_HEALTH_CONFIG_SYNC_FAILS_REPLICA=true",
		"RINGSIDE_HEALTH_CONSISTENCY_LEVELS=",
		"RINGSIDE_CASSANDRA_PASSWORD=s3=cr=t",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Cassandra.JolokiaURL != "" || !c.Health.ConfigSyncFailsReplica || c.Health.ConsistencyLevels != nil || c.Cassandra.Password != "s3=cr=t" {
		t.Fatalf("%+v", *c)
	}
	if got := c.Cassandra.NodetoolArgs; !reflect.DeepEqual(got, []string{"-Dx=a,b", "-h"}) {
		t.Fatalf("nodetool_args %q", got)
	}
}

func TestConfigFileFromEnv(t *testing.T) {
	p := write(t, "log_level: debug\n")
	c, err := Load("", []string{EnvConfigFile + "=" + p})
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != "debug" {
		t.Fatalf("log_level %q", c.LogLevel)
	}
	// An explicit path wins over the variable.
	if _, err := Load(p, []string{EnvConfigFile + "=/nonexistent.yaml"}); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyFiles(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "---\n", "~\n", "cassandra:\nhealth:\n"} {
		c, err := Load(write(t, content), nil)
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if !equalValues(c, Default()) {
			t.Fatalf("%q: not the defaults", content)
		}
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nope.yaml: file does not exist") {
		t.Fatalf("err = %v", err)
	}
	_, err = Load(t.TempDir(), nil)
	if err == nil {
		t.Fatal("a directory loaded as a config file")
	}
}

// Each bad input must fail at Load with a message naming the key, where
// it came from, and what to write instead.
func TestErrors(t *testing.T) {
	cases := []struct {
		name, file string
		env        []string
		want       []string
	}{
		{"unknown top key", "listen_adress: :5000\n", nil, []string{":1: listen_adress: unknown key (did you mean listen_address?)", "see docs/ringside.yaml"}},
		{"unknown nested key", "cassandra:\n  cql_address: 127.0.0.1:9042\n  jolokia: http://x/\n", nil, []string{":3: cassandra.jolokia: unknown key (did you mean jolokia_url?); the keys under cassandra are cql_address"}},
		{"unknown section", "metrics:\n  port: 1\n", nil, []string{":1: metrics: unknown key"}},
		{"section not a mapping", "health: 5s\n", nil, []string{":1: health: must be a mapping of keys (refresh_interval, max_age"}},
		{"duration without unit", "health:\n  refresh_interval: 5\n", nil, []string{":2: health.refresh_interval: \"5\" has no unit; write e.g. \"5s\""}},
		{"bad duration", "cassandra:\n  timeout: soon\n", nil, []string{"cassandra.timeout: \"soon\" is not a duration"}},
		{"list given as scalar", "health:\n  consistency_levels: LOCAL_ONE\n", nil, []string{"health.consistency_levels: expected a list of strings"}},
		{"bool", "health:\n  config_sync_fails_replica: maybe\n", nil, []string{"config_sync_fails_replica: expected true or false, got \"maybe\""}},
		{"int", "peers:\n  port: high\n", nil, []string{"peers.port: expected a whole number, got \"high\""}},
		{"null value", "cassandra:\n  jolokia_url:\n", nil, []string{"cassandra.jolokia_url: has no value; write \"\""}},
		{"syntax", "listen_address: [\n", nil, []string{"ringside.yaml: yaml:"}},
		{"two documents", "log_level: info\n---\nlog_level: debug\n", nil, []string{"more than one YAML document"}},
		{"not a mapping", "- a\n- b\n", nil, []string{"the file must be a mapping"}},
		{"not YAML at all", "root:x:0:0:root:/root:/bin/bash daemon:x:1:1:daemon:/usr/sbin\n", nil, []string{":1: the file must be a mapping of keys (listen_address: …, cassandra: …), not plain text (is it a ringside.yaml?)"}},
		{"duplicate key", "log_level: info\nlog_level: debug\n", nil, []string{"already defined"}},
		{"several at once", "log_level: loud\npeers:\n  scheme: ftp\n", nil, []string{":1: log_level: \"loud\" is not a level", ":3: peers.scheme: \"ftp\" is not one of http, https"}},

		{"listen no port", "listen_address: \"5000\"\n", nil, []string{"listen_address: \"5000\" is not host:port (missing port in address)"}},
		{"listen URL", "listen_address: http://0.0.0.0:5000\n", nil, []string{"is a URL; write host:port"}},
		{"listen bad port", "listen_address: :http\n", nil, []string{"\"http\" is not a port number"}},
		{"listen port range", "listen_address: :70000\n", nil, []string{"is not a port number"}},
		{"cql bad host", "cassandra:\n  cql_address: \"bad host:9042\"\n", nil, []string{"neither an IP address nor a host name"}},
		{"cql no host", "cassandra:\n  cql_address: \":9042\"\n", nil, []string{"cassandra.cql_address: \":9042\" has no host"}},
		{"cql port 0", "cassandra:\n  cql_address: \"127.0.0.1:0\"\n", nil, []string{"is not a port number"}},
		{"jolokia scheme", "cassandra:\n  jolokia_url: 127.0.0.1:8778/jolokia\n", nil, []string{"cassandra.jolokia_url:"}},
		{"no jmx", "cassandra:\n  jolokia_url: \"\"\n  nodetool: \"\"\n", nil, []string{"cassandra.nodetool: is empty and so is cassandra.jolokia_url"}},
		{"nodetool interval zero", "cassandra:\n  nodetool_interval: 0s\n", nil, []string{":2: cassandra.nodetool_interval: 0s must be positive"}},
		{"nodetool interval negative", "cassandra:\n  nodetool_interval: -1m\n", nil, []string{"cassandra.nodetool_interval: -1m0s must be positive"}},
		{"nodetool interval no unit", "cassandra:\n  nodetool_interval: 60\n", nil, []string{":2: cassandra.nodetool_interval: \"60\" has no unit; write e.g. \"60s\""}},
		{"nodetool interval not a duration", "cassandra:\n  nodetool_interval: hourly\n", nil, []string{"cassandra.nodetool_interval: \"hourly\" is not a duration"}},
		{"nodetool interval below refresh", "cassandra:\n  nodetool_interval: 2s\nhealth:\n  refresh_interval: 5s\n", nil, []string{":2: cassandra.nodetool_interval: 2s is shorter than health.refresh_interval (5s): nodetool runs at most once a refresh"}},
		{"env nodetool interval", "", []string{"RINGSIDE_CASSANDRA_NODETOOL_INTERVAL=1s"}, []string{"RINGSIDE_CASSANDRA_NODETOOL_INTERVAL: cassandra.nodetool_interval: 1s is shorter than health.refresh_interval (5s)"}},
		{"zero duration", "peers:\n  timeout: 0s\n", nil, []string{"peers.timeout: 0s must be positive"}},
		{"negative duration", "cassandra:\n  timeout: -1s\n", nil, []string{"cassandra.timeout: -1s must be positive"}},
		{"max_age short", "health:\n  refresh_interval: 10s\n  max_age: 10s\n", nil, []string{":3: health.max_age: 10s must be longer than health.refresh_interval (10s)"}},
		{"bad consistency", "health:\n  consistency_levels: [LOCAL_ONE, LOCAL_QUOROM]\n", nil, []string{"\"LOCAL_QUOROM\" is not a consistency level (did you mean LOCAL_QUORUM?)"}},
		{"node local", "health:\n  consistency_levels: [NODE_LOCAL]\n", nil, []string{"\"NODE_LOCAL\" is not a consistency level"}},
		{"duplicate consistency", "health:\n  consistency_levels: [ONE, one]\n", nil, []string{"ONE is listed twice"}},
		{"log format", "log_format: xml\n", nil, []string{"log_format: \"xml\" is not one of text, json"}},
		{"concurrency", "peers:\n  concurrency: 0\n", nil, []string{"peers.concurrency: 0"}},
		{"peer port", "peers:\n  port: -1\n", nil, []string{"peers.port: -1 is not a port"}},

		{"env unknown", "", []string{"RINGSIDE_LISTEN_ADRESS=:5000"}, []string{"RINGSIDE_LISTEN_ADRESS: not a ringside setting (did you mean RINGSIDE_LISTEN_ADDRESS?)"}},
		{"env duration", "", []string{"RINGSIDE_HEALTH_MAX_AGE=30"}, []string{"RINGSIDE_HEALTH_MAX_AGE: health.max_age: \"30\" has no unit"}},
		{"env int", "", []string{"RINGSIDE_PEERS_PORT=x"}, []string{"RINGSIDE_PEERS_PORT: peers.port: \"x\" is not a whole number"}},
		{"env bool", "", []string{"RINGSIDE_HEALTH_CONFIG_SYNC_FAILS_REPLICA=sometimes"}, []string{"is not true or false"}},
		{"env list", "", []string{"RINGSIDE_CASSANDRA_NODETOOL_ARGS=[a"}, []string{"is not a list"}},
		{"env invalid value", "", []string{"RINGSIDE_CASSANDRA_CQL_ADDRESS=localhost"}, []string{"RINGSIDE_CASSANDRA_CQL_ADDRESS: cassandra.cql_address: \"localhost\" is not host:port"}},
		{"env against file", "health:\n  refresh_interval: 1s\n", []string{"RINGSIDE_HEALTH_MAX_AGE=1s"}, []string{"RINGSIDE_HEALTH_MAX_AGE: health.max_age: 1s must be longer than health.refresh_interval (1s)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.file != "" {
				path = write(t, tc.file)
			}
			c, err := Load(path, tc.env)
			if err == nil {
				t.Fatalf("loaded: %+v", c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
			if path != "" && tc.env == nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// A configuration built in code (as the demo does) has no origins; its
// errors name just the key.
func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Health.MaxAge = time.Second
	c.Peers.Scheme = "gopher"
	err := c.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Origin != "" || e.Key != "health.max_age" {
		t.Fatalf("err = %#v", err)
	}
	if got := err.Error(); got != "health.max_age: 1s must be longer than health.refresh_interval (5s), or answers would turn unhealthy between refreshes\npeers.scheme: \"gopher\" is not one of http, https" {
		t.Fatalf("err = %q", got)
	}
	c = Default()
	c.ListenAddress = "[::1]:0" // any free port, as tests do
	c.Cassandra.CQLAddress = "cassandra-0.cassandra.svc.cluster.local:9042"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	c, err := Parse("inline", []byte("peers:\n  scheme: HTTPS\n"))
	if err != nil || c.Peers.Scheme != "https" {
		t.Fatalf("%v %+v", err, c)
	}
	if _, err := Parse("inline", []byte("peer:\n  scheme: https\n")); err == nil || !strings.HasPrefix(err.Error(), "inline:1: peer: unknown key (did you mean peers?)") {
		t.Fatalf("err = %v", err)
	}
}
