// Package config is ringside's configuration: one YAML file (every key is
// documented in docs/ringside.yaml), built-in defaults that work against a
// local node with no file at all, and RINGSIDE_* environment overrides.
// Load checks everything at start, so a typo or a bad address stops the
// sidecar with a message naming the key and where it came from, instead of
// surprising someone later.
package config

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration. The yaml tags are the file's keys;
// the environment variable of a key is RINGSIDE_ followed by its path
// joined with "_" and upper-cased (cassandra.jolokia_url is
// RINGSIDE_CASSANDRA_JOLOKIA_URL).
type Config struct {
	// ListenAddress is host:port of the HTTP API.
	ListenAddress string `yaml:"listen_address"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// DataDir holds the sidecar's own state (the node's desired state).
	DataDir string `yaml:"data_dir"`

	Cassandra Cassandra `yaml:"cassandra"`
	Health    Health    `yaml:"health"`
	Peers     Peers     `yaml:"peers"`
	Lifecycle Lifecycle `yaml:"lifecycle"`
	Bulk      Bulk      `yaml:"bulk"`
	Desires   Desires   `yaml:"desires"`
	Security  Security  `yaml:"security"`

	// origin says where each key's value came from ("ringside.yaml:12",
	// "RINGSIDE_LISTEN_ADDRESS"), so validation errors can point there.
	origin map[string]string
}

// Cassandra is how to reach and read the local node.
type Cassandra struct {
	CQLAddress string `yaml:"cql_address"`
	Username   string `yaml:"username"`
	Password   string `yaml:"password"`
	// JolokiaURL is the Jolokia agent's endpoint; empty means use Nodetool.
	JolokiaURL   string   `yaml:"jolokia_url"`
	Nodetool     string   `yaml:"nodetool"`
	NodetoolArgs []string `yaml:"nodetool_args"`
	// NodetoolInterval is how often `nodetool status` (peer liveness) runs
	// at most in steady state when there is no Jolokia agent; CQL gives the
	// rest, and a stop or drain decision runs it afresh.
	NodetoolInterval time.Duration `yaml:"nodetool_interval"`
	// ConfigFile is the node's cassandra.yaml, compared with the running
	// settings for the replica check's config_sync.
	ConfigFile string `yaml:"config_file"`
	// DataDirectories are scanned for corrupt SSTables; empty means the
	// running data_file_directories setting.
	DataDirectories []string `yaml:"data_directories"`
	// PIDSource is where Cassandra's pid comes from: "pidfile" (PIDFile)
	// or "process_table" (the one process matching ProcessPattern).
	PIDSource      string        `yaml:"pid_source"`
	PIDFile        string        `yaml:"pid_file"`
	ProcessPattern string        `yaml:"process_pattern"`
	Timeout        time.Duration `yaml:"timeout"`
}

// Health is how health answers are computed.
type Health struct {
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// MaxAge: answers whose data is older than this are unhealthy.
	MaxAge            time.Duration `yaml:"max_age"`
	ConsistencyLevels []string      `yaml:"consistency_levels"`
	// ConfigSyncFailsReplica makes a cassandra.yaml that differs from the
	// running settings fail the replica check (otherwise it is only shown).
	ConfigSyncFailsReplica bool `yaml:"config_sync_fails_replica"`
	// RouteBackMinUptime is how long every node of a DC must have been
	// seen up before GET /v1/health/cluster?dc=… says safe_to_route_back
	// (with its other conditions); 0: no minimum.
	RouteBackMinUptime time.Duration `yaml:"route_back_min_uptime"`
}

// Peers is how the cluster check reaches the other nodes' sidecars.
type Peers struct {
	// Port of the peer sidecars; 0 means the port of ListenAddress.
	Port    int           `yaml:"port"`
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency is the most peers asked at once, by the cluster check
	// and by fan-outs; a fan-out also stays within a quarter of
	// RLIMIT_NOFILE (docs/bulk.md, "Fan-out width").
	Concurrency int    `yaml:"concurrency"`
	Scheme      string `yaml:"scheme"`
}

// Lifecycle is how the node is stopped and started
// (/v1/desires/node/{status,stop,start}).
type Lifecycle struct {
	// StartCommand and StopCommand are run with /bin/sh -c.
	StartCommand string `yaml:"start_command"`
	StopCommand  string `yaml:"stop_command"`
	// Grace is how long the coordinator check fails before the drain, so
	// load balancers and drivers move away.
	Grace        time.Duration `yaml:"grace"`
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// OnDrainFailure: "continue" the stop, or "abort" it, when the drain
	// fails or times out.
	OnDrainFailure string `yaml:"on_drain_failure"`
	// StopTimeout bounds the stop command and the wait for the process to exit.
	StopTimeout time.Duration `yaml:"stop_timeout"`
	// StartTimeout bounds the start command and the wait for health.
	StartTimeout time.Duration `yaml:"start_timeout"`
	// Supervise restarts a Cassandra that dies while the desire is RUNNING.
	Supervise         bool          `yaml:"supervise"`
	RestartBackoff    time.Duration `yaml:"restart_backoff"`
	RestartBackoffMax time.Duration `yaml:"restart_backoff_max"`
	// AllowRemote opens the lifecycle endpoints to callers not on loopback.
	AllowRemote bool `yaml:"allow_remote"`
}

// Bulk is how settings changes and bulk commands fan out to the nodes.
type Bulk struct {
	// NodeTimeout bounds one node's part of a synchronous fan-out.
	NodeTimeout time.Duration `yaml:"node_timeout"`
	// JobsKept is how many finished jobs GET /v1/jobs remembers.
	JobsKept int `yaml:"jobs_kept"`
}

// Desires tunes the cluster desires (coordinated restarts).
type Desires struct {
	// Enabled runs the reconciler and serves /v1/desires/cluster.
	Enabled bool `yaml:"enabled"`
	// Interval between reconciliations of the current desire.
	Interval time.Duration `yaml:"interval"`
	// LeaseTTL is how long a node's lease outlives its holder.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// RestartTimeout: a node not back and healthy within it blocks the desire.
	RestartTimeout time.Duration `yaml:"restart_timeout"`
	// GateTimeout: a restarted node not accepted by its peers (UN in every
	// view, schema agreed, hints delivered) within it blocks the desire.
	GateTimeout time.Duration `yaml:"gate_timeout"`
	// RestartEstimate is the time per wave assumed for pacing and the ETA
	// before a wave has been measured.
	RestartEstimate time.Duration `yaml:"restart_estimate"`
	// ExpireAfter: a desire not done this long after its by expires.
	ExpireAfter time.Duration `yaml:"expire_after"`
}

// Security is TLS, mutual TLS between sidecars and JWT.
type Security struct {
	// TLSCertFile and TLSKeyFile switch the API to HTTPS; they are
	// re-read when they change.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// ClientCAFile is the cluster CA: /v1/peer/ endpoints (fan-out between
	// sidecars) then require a client certificate it signed.
	ClientCAFile string `yaml:"client_ca_file"`
	// PeerCAFile verifies the peer sidecars' server certificates; empty:
	// ClientCAFile.
	PeerCAFile string `yaml:"peer_ca_file"`
	// PeerCertFile and PeerKeyFile are this sidecar's client certificate
	// towards its peers; empty: the TLS certificate.
	PeerCertFile string `yaml:"peer_cert_file"`
	PeerKeyFile  string `yaml:"peer_key_file"`
	// JWT: an HS256 shared secret (file), and/or RS256/ES256 public keys.
	JWTSecretFile     string   `yaml:"jwt_secret_file"`
	JWTPublicKeyFiles []string `yaml:"jwt_public_key_files"`
	JWTAudience       string   `yaml:"jwt_audience"`
	JWTIssuer         string   `yaml:"jwt_issuer"`
	// AnonymousHealth leaves GET /v1/health/* and /metrics open when JWT is on.
	AnonymousHealth bool `yaml:"anonymous_health"`
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Default returns the built-in defaults: a Debian/RPM-installed node on
// the same host, the API on port 5000 as in CEP-1's examples.
func Default() *Config {
	return &Config{
		ListenAddress: ":5000",
		LogLevel:      "info",
		LogFormat:     "text",
		DataDir:       "/var/lib/ringside",
		Cassandra: Cassandra{
			CQLAddress:       "127.0.0.1:9042",
			JolokiaURL:       "http://127.0.0.1:8778/jolokia/",
			Nodetool:         "nodetool",
			NodetoolInterval: 60 * time.Second,
			ConfigFile:       "/etc/cassandra/cassandra.yaml",
			PIDSource:        "pidfile",
			PIDFile:          "/var/run/cassandra/cassandra.pid",
			ProcessPattern:   `org\.apache\.cassandra\.service\.CassandraDaemon`,
			Timeout:          5 * time.Second,
		},
		Health: Health{
			RefreshInterval:    5 * time.Second,
			MaxAge:             30 * time.Second,
			ConsistencyLevels:  []string{"LOCAL_ONE", "LOCAL_QUORUM"},
			RouteBackMinUptime: 2 * time.Minute,
		},
		Peers: Peers{
			Timeout:     2 * time.Second,
			Concurrency: 1024, // fanout.DefaultConcurrency: 1000 nodes in one wave
			Scheme:      "http",
		},
		Lifecycle: Lifecycle{
			StartCommand:      "systemctl start cassandra",
			StopCommand:       "systemctl stop cassandra",
			Grace:             30 * time.Second,
			DrainTimeout:      30 * time.Second,
			OnDrainFailure:    "continue",
			StopTimeout:       120 * time.Second,
			StartTimeout:      120 * time.Second,
			RestartBackoff:    10 * time.Second,
			RestartBackoffMax: 5 * time.Minute,
		},
		Bulk: Bulk{
			NodeTimeout: 60 * time.Second,
			JobsKept:    100,
		},
		Desires: Desires{
			Enabled:         true,
			Interval:        2 * time.Second,
			LeaseTTL:        30 * time.Second,
			RestartTimeout:  10 * time.Minute,
			GateTimeout:     10 * time.Minute,
			RestartEstimate: 3 * time.Minute,
			ExpireAfter:     24 * time.Hour,
		},
		Security: Security{
			AnonymousHealth: true,
			MaxBodyBytes:    1 << 20,
		},
	}
}

// Key is one configuration key, as the file and the environment name it.
type Key struct {
	Path string // dotted YAML path, e.g. "cassandra.jolokia_url"
	Env  string // e.g. "RINGSIDE_CASSANDRA_JOLOKIA_URL"
	Type reflect.Type
	// index is the field's path from Config, for reflect.Value.FieldByIndex.
	index []int
}

// Keys lists every leaf key of Config in declaration order. Derived from
// the struct, so the environment names and the documentation checks can
// never miss a field.
func Keys() []Key { return slices.Clone(keys) }

var (
	durationType = reflect.TypeFor[time.Duration]()
	keys         = leaves(reflect.TypeFor[Config](), nil, nil)
	keyByPath    = map[string]Key{}
	keyByEnv     = map[string]Key{}
)

func init() {
	for _, k := range keys {
		keyByPath[k.Path] = k
		keyByEnv[k.Env] = k
	}
}

// leaves walks the exported, yaml-tagged fields of t; nested structs
// (other than durations) are sections whose keys are joined with ".".
func leaves(t reflect.Type, prefix []string, index []int) []Key {
	var out []Key
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		path := append(slices.Clip(prefix), name)
		idx := append(slices.Clip(index), i)
		if isSection(f.Type) {
			out = append(out, leaves(f.Type, path, idx)...)
			continue
		}
		out = append(out, Key{
			Path:  strings.Join(path, "."),
			Env:   "RINGSIDE_" + strings.ToUpper(strings.Join(path, "_")),
			Type:  f.Type,
			index: idx,
		})
	}
	return out
}

func isSection(t reflect.Type) bool { return t.Kind() == reflect.Struct && t != durationType }

// yamlName is the key of an exported field, "" for fields not in the file.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// sectionKeys lists the keys directly under a section (nil type = top).
func sectionKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Origin says where key's value came from: "default", "FILE:LINE" or the
// environment variable's name.
func (c *Config) Origin(key string) string {
	if o, ok := c.origin[key]; ok {
		return o
	}
	return "default"
}

func (c *Config) setOrigin(key, o string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = o
}

// Marshal writes c as a configuration file that Load reads back to the
// same values (durations as Go duration text).
func Marshal(c *Config) ([]byte, error) {
	root := map[string]any{}
	v := reflect.ValueOf(c).Elem()
	for _, k := range keys {
		f := v.FieldByIndex(k.index)
		var val any = f.Interface()
		if f.Type() == durationType {
			val = time.Duration(f.Int()).String()
		}
		m := root
		parts := strings.Split(k.Path, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = val
	}
	return yaml.Marshal(root)
}
