package sim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config describes a simulated cluster. The zero value is not usable; start
// from DefaultConfig and override.
type Config struct {
	ClusterName string     `yaml:"cluster_name"`
	DCs         []DCConfig `yaml:"datacenters"`
	// NumTokens is num_tokens of every node (cassandra.yaml default in 4.1 is 16).
	NumTokens int `yaml:"num_tokens"`
	// Tokens is "random" (Murmur3 tokens drawn from Seed) or "even"
	// (every node's tokens spread evenly over the ring, interleaved).
	Tokens         string `yaml:"tokens"`
	Seed           uint64 `yaml:"seed"`
	ReleaseVersion string `yaml:"release_version"`
	// AddressBase is the first node's address: node n (1-based, counting
	// within its DC) of DC d (0-based) gets base + d in the third octet and
	// base-1+n in the fourth, e.g. 127.0.1.1, 127.0.1.2 … and 127.0.2.1 … for
	// dc2. DCs of more than 254 nodes spill into the next third octets.
	AddressBase string `yaml:"address_base"`
	NativePort  int    `yaml:"native_transport_port"`
	StoragePort int    `yaml:"storage_port"`
	JolokiaPort int    `yaml:"jolokia_port"`
	// ControlAddr is the simulator's control API (loopback only).
	ControlAddr string `yaml:"control_address"`
	// GossipInterval is Gossiper.intervalInMillis (1 s in Cassandra): the
	// heartbeat period the phi accrual failure detector learns (gossip.go).
	GossipInterval time.Duration `yaml:"gossip_interval"`
	// PhiConvictThreshold is phi_convict_threshold (default 8, 5..16): a
	// silent node is convicted after about threshold·ln(10) mean heartbeat
	// intervals, 18.4 s at the defaults.
	PhiConvictThreshold float64 `yaml:"phi_convict_threshold"`
	// FailureDetection is the time by which every live node has convicted
	// a silent (killed or partitioned) node. Given (non-zero), it sets
	// GossipInterval to match; New fills it in from GossipInterval.
	FailureDetection time.Duration `yaml:"failure_detection"`
	// StartTime and StartJitter: how long a started node spends STARTING.
	StartTime   time.Duration `yaml:"start_time"`
	StartJitter time.Duration `yaml:"start_jitter"`
	// RequestTimeout is how long a coordinator waits for replicas it
	// believes alive but cannot reach before answering Read/WriteTimeout.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// DrainTime is how long drain takes (a real one took ~4 s on a small node).
	DrainTime time.Duration `yaml:"drain_time"`
	// ShutdownTime is how long a drained node's process takes to exit
	// after SIGTERM (the JVM's shutdown hooks; ~2 s on a real 4.1.6 node).
	ShutdownTime time.Duration `yaml:"shutdown_time"`
	// Timing names a profile of the durations above (see TimingProfiles)
	// applied before any of them given explicitly: "fast" (the default)
	// or "real".
	Timing string `yaml:"timing"`
	// Auth enables PasswordAuthenticator with these credentials.
	Auth *AuthConfig `yaml:"auth"`
	// Dir is where node directories (conf/cassandra.yaml, data/, pidfile) go.
	// Empty: no on-disk state (large benchmark clusters).
	Dir string `yaml:"directory"`
	// Processes gives every running node a real placeholder OS process whose
	// pid is in the node's pidfile: killing it with SIGTERM stops the node,
	// with SIGKILL kills it. "auto": on when the cluster has at most 64 nodes and Dir is set.
	Processes string `yaml:"processes"`
	// Nodes optionally overrides single nodes, keyed by address.
	Nodes map[string]NodeOverride `yaml:"nodes"`
	// LWTUnknownRate and LWTCommitTimeoutRate inject ambiguous LWT outcomes
	// (paxos.go), seeded from Seed: the share of CAS proposals that reach
	// fewer than a quorum (CAS_WRITE_UNKNOWN) and of commits that time out
	// (WriteTimeout SIMPLE). Off (0) by default; each within [0,1].
	LWTUnknownRate       float64 `yaml:"lwt_unknown_rate"`
	LWTCommitTimeoutRate float64 `yaml:"lwt_commit_timeout_rate"`
	// HintsDispatchInterval is the period of HintsDispatchTrigger (10 s,
	// fixed in 4.1's HintsService.startDispatch) and of the hints buffer
	// flush (hints_flush_period, 10 s by default): how soon hints for a
	// returned node are handed to dispatch and delivered (hints.go).
	HintsDispatchInterval time.Duration `yaml:"hints_dispatch_interval"`
}

// DCConfig is one datacenter.
type DCConfig struct {
	Name string `yaml:"name"`
	// Racks are rack names; NodesPerRack nodes are placed in each.
	Racks        []string `yaml:"racks"`
	NodesPerRack int      `yaml:"nodes_per_rack"`
}

// AuthConfig holds the superuser credentials of PasswordAuthenticator.
type AuthConfig struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// NodeOverride changes one node.
type NodeOverride struct {
	ReleaseVersion string `yaml:"release_version"`
}

// DefaultConfig is a 2-DC, 3-racks-per-DC, 6-node cluster on 127.0.1.x/127.0.2.x.
func DefaultConfig() Config {
	return Config{
		ClusterName:           "ringside",
		DCs:                   []DCConfig{{Name: "dc1", Racks: []string{"rack1", "rack2", "rack3"}, NodesPerRack: 1}, {Name: "dc2", Racks: []string{"rack1", "rack2", "rack3"}, NodesPerRack: 1}},
		NumTokens:             16,
		Tokens:                "random",
		Seed:                  1,
		ReleaseVersion:        "4.1.6",
		AddressBase:           "127.0.1.1",
		NativePort:            9042,
		StoragePort:           7000,
		JolokiaPort:           8778,
		ControlAddr:           "127.0.0.1:8642",
		GossipInterval:        fastGossipInterval,
		PhiConvictThreshold:   8,
		StartTime:             2 * time.Second,
		StartJitter:           500 * time.Millisecond,
		DrainTime:             500 * time.Millisecond,
		Timing:                "fast",
		RequestTimeout:        2 * time.Second,
		Processes:             "auto",
		HintsDispatchInterval: fastHintsInterval,
	}
}

// Timing is a set of the simulator's durations.
type Timing struct {
	GossipInterval, StartTime, StartJitter, DrainTime, ShutdownTime time.Duration
	HintsDispatchInterval                                           time.Duration
}

// fastGossipInterval makes the phi detector convict a silent node after
// about a second (18.4 intervals at phi_convict_threshold 8).
const fastGossipInterval = 50 * time.Millisecond

// fastHintsInterval scales the 10 s hint flush and dispatch periods by the
// same factor as fastGossipInterval scales gossip (1/20).
const fastHintsInterval = 500 * time.Millisecond

// TimingProfiles are the named timings. "fast" keeps tests and the demo
// quick. "real" is what a real Cassandra 4.1.6 node did on a 2-core
// machine (docs/real-node.md): gossip every second, so that a killed node
// is marked down by its peers after 18.6–18.9 s (the phi detector at
// phi_convict_threshold 8), 11–35 s from start to "Startup complete", drain
// 4.2–4.5 s, and 2.1 s from SIGTERM to exit once drained. Benchmarks that
// compare against the physical limit of a restart use "real".
var TimingProfiles = map[string]Timing{
	"fast": {GossipInterval: fastGossipInterval, StartTime: 2 * time.Second, StartJitter: 500 * time.Millisecond, DrainTime: 500 * time.Millisecond,
		HintsDispatchInterval: fastHintsInterval},
	"real": {GossipInterval: time.Second, StartTime: 23 * time.Second, StartJitter: 12 * time.Second, DrainTime: 4200 * time.Millisecond, ShutdownTime: 2100 * time.Millisecond,
		HintsDispatchInterval: 10 * time.Second},
}

// ApplyTiming sets the durations of a named profile.
func (c *Config) ApplyTiming(name string) error {
	t, ok := TimingProfiles[name]
	if !ok {
		return fmt.Errorf("timing must be fast or real, not %q", name)
	}
	c.Timing = name
	c.GossipInterval, c.StartTime, c.StartJitter, c.DrainTime, c.ShutdownTime = t.GossipInterval, t.StartTime, t.StartJitter, t.DrainTime, t.ShutdownTime
	c.HintsDispatchInterval = t.HintsDispatchInterval
	c.FailureDetection = 0 // derived from the profile's gossip interval
	return nil
}

// LoadConfig reads a YAML file over DefaultConfig. Unknown keys are errors.
// A timing profile named in the file applies first; durations the file
// gives explicitly override it.
func LoadConfig(path string) (Config, error) { return LoadConfigOver(path, DefaultConfig()) }

// LoadConfigOver is LoadConfig over base instead of DefaultConfig.
func LoadConfigOver(path string, base Config) (Config, error) {
	cfg := base
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	var probe struct {
		Timing string `yaml:"timing"`
	}
	if err := yaml.Unmarshal(b, &probe); err == nil && probe.Timing != "" {
		if err := cfg.ApplyTiming(probe.Timing); err != nil {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

// ParseTopology parses "dc1:3x1,dc2:3x2" — DC name : racks x nodes per rack.
func ParseTopology(s string) ([]DCConfig, error) {
	var out []DCConfig
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name, spec, ok := strings.Cut(part, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("topology %q: want DC:RACKSxNODES, e.g. dc1:3x1", part)
		}
		r, n, ok := strings.Cut(spec, "x")
		racks, err1 := strconv.Atoi(r)
		nodes, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || racks < 1 || nodes < 1 {
			return nil, fmt.Errorf("topology %q: want DC:RACKSxNODES with positive numbers", part)
		}
		dc := DCConfig{Name: name, NodesPerRack: nodes}
		for i := 1; i <= racks; i++ {
			dc.Racks = append(dc.Racks, fmt.Sprintf("rack%d", i))
		}
		out = append(out, dc)
	}
	return out, nil
}

// Validate checks the configuration and names the first problem.
func (c *Config) Validate() error {
	if c.ClusterName == "" {
		return fmt.Errorf("cluster_name is empty")
	}
	if len(c.DCs) == 0 {
		return fmt.Errorf("no datacenters")
	}
	seen := map[string]bool{}
	for _, dc := range c.DCs {
		if dc.Name == "" || seen[dc.Name] {
			return fmt.Errorf("datacenter name %q is empty or repeated", dc.Name)
		}
		seen[dc.Name] = true
		if len(dc.Racks) == 0 || dc.NodesPerRack < 1 {
			return fmt.Errorf("datacenter %s: needs racks and nodes_per_rack >= 1", dc.Name)
		}
	}
	if c.NumTokens < 1 || c.NumTokens > 1536 {
		return fmt.Errorf("num_tokens %d out of range 1..1536", c.NumTokens)
	}
	if c.Tokens != "random" && c.Tokens != "even" {
		return fmt.Errorf("tokens must be random or even, not %q", c.Tokens)
	}
	base, err := netip.ParseAddr(c.AddressBase)
	if err != nil || !base.Is4() || !base.IsLoopback() {
		return fmt.Errorf("address_base %q must be an IPv4 loopback address (127.x.y.z)", c.AddressBase)
	}
	for _, p := range []int{c.NativePort, c.StoragePort, c.JolokiaPort} {
		if p < 1 || p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
	}
	switch c.Processes {
	case "", "auto", "true", "false":
	default:
		return fmt.Errorf("processes must be auto, true or false, not %q", c.Processes)
	}
	if err := c.validateGossip(); err != nil {
		return err
	}
	if c.FailureDetection < 0 || c.StartTime < 0 || c.StartJitter < 0 || c.DrainTime < 0 || c.ShutdownTime < 0 {
		return fmt.Errorf("durations must not be negative")
	}
	// Zero would make every coordinator time out at once.
	if c.RequestTimeout <= 0 {
		return fmt.Errorf("request_timeout must be positive, not %s: a coordinator would time out every request", c.RequestTimeout)
	}
	if _, ok := TimingProfiles[c.Timing]; !ok && c.Timing != "" {
		return fmt.Errorf("timing must be fast or real, not %q", c.Timing)
	}
	if err := checkRate("lwt_unknown_rate", c.LWTUnknownRate); err != nil {
		return err
	}
	if err := checkRate("lwt_commit_timeout_rate", c.LWTCommitTimeoutRate); err != nil {
		return err
	}
	if c.HintsDispatchInterval <= 0 || c.HintsDispatchInterval > time.Hour {
		return fmt.Errorf("hints_dispatch_interval (--hints-dispatch-interval) must be positive and at most 1h, not %s", c.HintsDispatchInterval)
	}
	if c.NodeCount() > 60000 {
		return fmt.Errorf("too many nodes: %d", c.NodeCount())
	}
	return nil
}

// NodeCount is the number of nodes the configuration describes.
func (c *Config) NodeCount() int {
	n := 0
	for _, dc := range c.DCs {
		n += len(dc.Racks) * dc.NodesPerRack
	}
	return n
}

// nodeSpec is one node derived from the configuration.
type nodeSpec struct {
	Addr     netip.Addr
	DC, Rack string
	Tokens   []int64
	HostID   [16]byte
	Release  string
}

// layout derives every node: addresses, racks (round-robin so that
// consecutive nodes sit in different racks), tokens and host ids.
func (c *Config) layout() ([]nodeSpec, error) {
	base := netip.MustParseAddr(c.AddressBase).As4()
	rng := rand.New(rand.NewPCG(c.Seed, 0x72696e6773696465))
	var specs []nodeSpec
	for d, dc := range c.DCs {
		n := len(dc.Racks) * dc.NodesPerRack
		for i := 0; i < n; i++ {
			off := int(base[3]) - 1 + i
			third := int(base[2]) + c.thirdOctetOffset(d) + off/254
			fourth := off%254 + 1
			if third > 255 {
				return nil, fmt.Errorf("address_base %s leaves no room for %d nodes", c.AddressBase, c.NodeCount())
			}
			addr := netip.AddrFrom4([4]byte{base[0], base[1], byte(third), byte(fourth)})
			s := nodeSpec{Addr: addr, DC: dc.Name, Rack: dc.Racks[i%len(dc.Racks)], Release: c.ReleaseVersion}
			for b := range s.HostID {
				s.HostID[b] = byte(rng.Uint32())
			}
			s.HostID[6] = s.HostID[6]&0x0f | 0x40 // version 4, as Cassandra's UUID.randomUUID()
			s.HostID[8] = s.HostID[8]&0x3f | 0x80
			if o, ok := c.Nodes[addr.String()]; ok && o.ReleaseVersion != "" {
				s.Release = o.ReleaseVersion
			}
			specs = append(specs, s)
		}
	}
	for a := range c.Nodes {
		found := false
		for _, s := range specs {
			if s.Addr.String() == a {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("nodes: %s is not an address of this cluster", a)
		}
	}
	// Tokens.
	used := map[int64]bool{}
	total := len(specs) * c.NumTokens
	for i := range specs {
		specs[i].Tokens = make([]int64, 0, c.NumTokens)
		for t := 0; t < c.NumTokens; t++ {
			var tok int64
			if c.Tokens == "even" {
				// Slot k of total evenly spaced positions; node i takes slots i, i+N, i+2N …
				step := ^uint64(0) / uint64(total)
				k := uint64(t*len(specs) + i)
				tok = int64(k*step + step/2 + 1<<63) // spread from Long.MIN_VALUE, never on it
			} else {
				for {
					tok = int64(rng.Uint64())
					if tok != -1<<63 && !used[tok] { // Long.MIN_VALUE is the partitioner's minimum token, never owned
						break
					}
				}
			}
			used[tok] = true
			specs[i].Tokens = append(specs[i].Tokens, tok)
		}
		sort.Slice(specs[i].Tokens, func(a, b int) bool { return specs[i].Tokens[a] < specs[i].Tokens[b] })
	}
	return specs, nil
}

// thirdOctetOffset is where DC d's addresses start, relative to the base's
// third octet: one per DC, more for DCs of over 254 nodes.
func (c *Config) thirdOctetOffset(d int) int {
	off := 0
	for i := 0; i < d; i++ {
		n := len(c.DCs[i].Racks) * c.DCs[i].NodesPerRack
		off += (n + 253) / 254
	}
	return off
}
