package failover

import (
	"math"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no local", func(o *Options) { o.LocalDC = "" }, "Options.LocalDC is empty"},
		{"spaces", func(o *Options) { o.LocalDC = "dc1 " }, `Options.LocalDC "dc1 " has leading or trailing spaces`},
		{"no backup", func(o *Options) { o.BackupDCs = nil }, "Options.BackupDCs is empty"},
		{"empty backup", func(o *Options) { o.BackupDCs = []string{"dc2", ""} }, "Options.BackupDCs[1] is empty"},
		{"backup is local", func(o *Options) { o.BackupDCs = []string{"dc1"} }, `Options.BackupDCs[0] "dc1" is the local DC`},
		{"duplicate backup", func(o *Options) { o.BackupDCs = []string{"dc2", "dc3", "dc2"} }, `Options.BackupDCs[2] "dc2" repeats Options.BackupDCs[0]`},
		{"threshold", func(o *Options) { o.HostDownSwitchThreshold = -1 }, "Options.HostDownSwitchThreshold is -1"},
		{"empty keyspace", func(o *Options) { o.Keyspaces = []string{""} }, "Options.Keyspaces[0] is empty"},
		{"duplicate keyspace", func(o *Options) { o.Keyspaces = []string{"a", "a"} }, `Options.Keyspaces[1] "a" repeats`},
		{"quorum", func(o *Options) { o.Consistency = gocql.Quorum }, "Options.Consistency QUORUM cannot be judged per data center"},
		{"each quorum", func(o *Options) { o.Consistency = gocql.EachQuorum }, "EACH_QUORUM cannot be judged"},
		{"bogus level", func(o *Options) { o.Consistency = 0x42 }, "UNKNOWN_CONS_0x42 cannot be judged"},
		{"rate 0 with window", func(o *Options) { o.ErrorRate = ErrorRate{Window: time.Second} }, "Options.ErrorRate.Threshold is 0"},
		{"rate > 1", func(o *Options) { o.ErrorRate = ErrorRate{Threshold: 1.5} }, "Options.ErrorRate.Threshold is 1.5"},
		{"rate NaN", func(o *Options) { o.ErrorRate = ErrorRate{Threshold: math.NaN()} }, "Options.ErrorRate.Threshold is NaN"},
		{"rate window", func(o *Options) { o.ErrorRate = ErrorRate{Threshold: 0.5, Window: -time.Second} }, "Options.ErrorRate.Window is negative"},
		{"rate tiny window", func(o *Options) { o.ErrorRate = ErrorRate{Threshold: 0.5, Window: time.Microsecond} }, "use at least 10ms"},
		{"rate min", func(o *Options) { o.ErrorRate = ErrorRate{Threshold: 0.5, MinRequests: -3} }, "Options.ErrorRate.MinRequests is -3"},
		{"mode", func(o *Options) { o.SwitchBack = 7 }, "Options.SwitchBack is SwitchBackMode(7)"},
		{"window", func(o *Options) { o.MaxHintWindow = -time.Hour }, "Options.MaxHintWindow is negative (-1h0m0s)"},
		{"dwell", func(o *Options) { o.MinimumTimeBetweenSwitches = -1 }, "Options.MinimumTimeBetweenSwitches is negative"},
		{"poll", func(o *Options) { o.HintsPollInterval = -1 }, "Options.HintsPollInterval is negative"},
		{"settle", func(o *Options) { o.SettleDelay = -1 }, "Options.SettleDelay is negative"},
		{"factor", func(o *Options) { o.SwitchBackDelayFactor = -0.5 }, "Options.SwitchBackDelayFactor is negative (-0.5)"},
		{"factor inf", func(o *Options) { o.SwitchBackDelayFactor = math.Inf(1) }, "Options.SwitchBackDelayFactor is +Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}}
			tc.mod(&o)
			p, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
			if p != nil {
				t.Error("policy returned with an error")
			}
		})
	}
	// Every problem is named at once.
	_, err := New(Options{BackupDCs: []string{""}, HostDownSwitchThreshold: -2})
	if err == nil || strings.Count(err.Error(), "failover: ") != 3 {
		t.Errorf("several problems: %v", err)
	}
}

func TestNewDefaults(t *testing.T) {
	p, err := New(Options{LocalDC: "dc1", BackupDCs: []string{"dc2", "dc3"}, Keyspaces: []string{"shop"},
		ErrorRate: ErrorRate{Threshold: 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := p.cfg
	if c.window != 3*time.Hour || c.factor != 1.5 || c.dwell != 120*time.Second || c.cl.String() != "LOCAL_QUORUM" ||
		c.errRate.Window != 30*time.Second || c.errRate.MinRequests != 20 || c.mode != SwitchBackNever || c.settle != 10*time.Second {
		t.Errorf("defaults %+v", c)
	}
	if p.ActiveDC() != "dc1" {
		t.Errorf("active %s", p.ActiveDC())
	}
	for _, cl := range []gocql.Consistency{gocql.LocalOne, gocql.LocalQuorum, gocql.LocalSerial} {
		if _, err := New(Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, Consistency: cl}); err != nil {
			t.Errorf("%s: %v", cl, err)
		}
	}
}

func TestParseSettings(t *testing.T) {
	for in, want := range map[string]time.Duration{"3h": 3 * time.Hour, "10800000ms": 3 * time.Hour, "2d": 48 * time.Hour, "0s": 0, "90m": 90 * time.Minute} {
		if got, err := parseDurationSpec(in); err != nil || got != want {
			t.Errorf("%s: %s %v", in, got, err)
		}
	}
	for _, in := range []string{"", "h", "3", "3 h", "3y", "-3h", "99999999999999999999d"} {
		if _, err := parseDurationSpec(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for in, want := range map[string]int64{"0B": 0, "1GiB": 1 << 30, "512MiB": 512 << 20, "10KiB": 10240} {
		if got, err := parseDataStorageSpec(in); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1GB", "1 MiB", "x"} {
		if _, err := parseDataStorageSpec(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
