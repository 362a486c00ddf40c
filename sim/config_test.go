package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadExampleConfig(t *testing.T) {
	cfg, err := LoadConfig("../docs/sim-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cfg.layout()
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 9 {
		t.Fatalf("%d nodes, want 9", len(specs))
	}
	want := map[string]string{"127.0.1.1": "dc1/rack1", "127.0.1.2": "dc1/rack2", "127.0.1.4": "dc1/rack1", "127.0.2.1": "dc2/rack1", "127.0.2.3": "dc2/rack3"}
	for _, s := range specs {
		if w, ok := want[s.Addr.String()]; ok && w != s.DC+"/"+s.Rack {
			t.Errorf("%s is %s/%s, want %s", s.Addr, s.DC, s.Rack, w)
		}
		if s.Addr.String() == "127.0.2.3" && s.Release != "4.0.13" {
			t.Errorf("override not applied: %s", s.Release)
		}
		if len(s.Tokens) != 16 {
			t.Errorf("%s has %d tokens", s.Addr, len(s.Tokens))
		}
	}
	// Deterministic for a seed.
	again, _ := cfg.layout()
	for i := range specs {
		if specs[i].Tokens[0] != again[i].Tokens[0] || specs[i].HostID != again[i].HostID {
			t.Fatal("layout is not deterministic")
		}
	}
}

func TestEvenTokensAndSpill(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DCs, _ = ParseTopology("dc1:2x150,dc2:1x10")
	cfg.Tokens = "even"
	cfg.NumTokens = 4
	specs, err := cfg.layout()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	toks := map[int64]bool{}
	for _, s := range specs {
		if seen[s.Addr.String()] {
			t.Fatalf("address %s used twice", s.Addr)
		}
		seen[s.Addr.String()] = true
		for _, tk := range s.Tokens {
			if toks[tk] || tk == -1<<63 {
				t.Fatalf("bad or duplicate token %d", tk)
			}
			toks[tk] = true
		}
	}
	// dc1 has 300 nodes: 127.0.1.1-254 then 127.0.2.1-46; dc2 starts at 127.0.3.1.
	if specs[254].Addr.String() != "127.0.2.1" || specs[300].Addr.String() != "127.0.3.1" {
		t.Fatalf("spill addresses: %s %s", specs[254].Addr, specs[300].Addr)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.AddressBase = "10.0.0.1" }, "loopback"},
		{func(c *Config) { c.NumTokens = 0 }, "num_tokens"},
		{func(c *Config) { c.Tokens = "sorted" }, "tokens must be"},
		{func(c *Config) { c.DCs = nil }, "no datacenters"},
		{func(c *Config) { c.DCs[1].Name = "dc1" }, "repeated"},
		{func(c *Config) { c.Processes = "maybe" }, "processes"},
		{func(c *Config) { c.Timing = "slow" }, "timing must be fast or real"},
		{func(c *Config) { c.ShutdownTime = -time.Second }, "negative"},
		{func(c *Config) { c.RequestTimeout = 0 }, "request_timeout must be positive, not 0s"},
	} {
		cfg := DefaultConfig()
		tc.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want error containing %q", err, tc.want)
		}
	}
	if _, err := ParseTopology("dc1:3"); err == nil {
		t.Error("topology without nodes per rack accepted")
	}
	cfg := DefaultConfig()
	cfg.Nodes = map[string]NodeOverride{"127.9.9.9": {}}
	if _, err := cfg.layout(); err == nil || !strings.Contains(err.Error(), "127.9.9.9") {
		t.Errorf("override of unknown node: %v", err)
	}
}

// The "real" profile carries what a real 4.1.6 node did (docs/real-node.md);
// in a file, durations given explicitly win over the profile's.
func TestTimingProfiles(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.ApplyTiming("real"); err != nil {
		t.Fatal(err)
	}
	if cfg.GossipInterval != time.Second || cfg.DrainTime != 4200*time.Millisecond || cfg.ShutdownTime != 2100*time.Millisecond ||
		cfg.StartTime-cfg.StartJitter != 11*time.Second || cfg.StartTime+cfg.StartJitter != 35*time.Second {
		t.Errorf("real profile: %+v", TimingProfiles["real"])
	}
	if err := cfg.ApplyTiming("glacial"); err == nil || !strings.Contains(err.Error(), "glacial") {
		t.Errorf("unknown profile: %v", err)
	}
	f := filepath.Join(t.TempDir(), "sim.yaml")
	os.WriteFile(f, []byte("timing: real\nstart_time: 5s\n"), 0o644)
	got, err := LoadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.StartTime != 5*time.Second || got.GossipInterval != time.Second {
		t.Errorf("file with timing real and start_time 5s: start %s, gossip interval %s", got.StartTime, got.GossipInterval)
	}
	os.WriteFile(f, []byte("timing: sluggish\n"), 0o644)
	if _, err := LoadConfig(f); err == nil || !strings.Contains(err.Error(), "sluggish") {
		t.Errorf("file with an unknown timing: %v", err)
	}
}
