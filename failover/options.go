package failover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/ring"
)

// Defaults, as in the seed's DCAwareFailoverRoundRobinPolicy and Cassandra 4.1.
const (
	// DefaultMaxHintWindow is Cassandra's max_hint_window default (3h).
	DefaultMaxHintWindow = 3 * time.Hour
	// DefaultSwitchBackDelayFactor is the seed's switchBackDelayFactor.
	DefaultSwitchBackDelayFactor = 1.5
	// DefaultMinimumTimeBetweenSwitches is the seed's minimumTimeBetweenSwitches.
	DefaultMinimumTimeBetweenSwitches = 120 * time.Second
	// DefaultErrorWindow and DefaultErrorMinRequests apply when ErrorRate.Threshold is set.
	DefaultErrorWindow      = 30 * time.Second
	DefaultErrorMinRequests = 20
	// DefaultHintsPollInterval is how often Options.Hints is asked while a DC waits to be routed back to.
	DefaultHintsPollInterval = 10 * time.Second
	// DefaultSettleDelay is how long after the first host the policy waits
	// before its first decision when no session-ready event arrives.
	DefaultSettleDelay = 10 * time.Second
)

// SwitchBackMode says whether the policy may return to a more preferred DC
// (the local DC, or an earlier backup) by itself.
type SwitchBackMode int

const (
	// SwitchBackNever: after a switch, only SwitchBack() returns to the
	// local DC (the seed's one-way switch, for ops teams to repair first).
	SwitchBackNever SwitchBackMode = iota
	// SwitchBackSafe: return automatically once the seed's rules hold (see
	// docs/failover.md): down for less than the hint window, back for at
	// least downtime × SwitchBackDelayFactor, and hints not dropped.
	SwitchBackSafe
)

func (m SwitchBackMode) String() string {
	switch m {
	case SwitchBackNever:
		return "never"
	case SwitchBackSafe:
		return "safe"
	}
	return fmt.Sprintf("SwitchBackMode(%d)", int(m))
}

// ErrorRate is the optional error-rate trigger: a DC fails when, over the
// last Window, at least MinRequests requests were reported for it and at
// least Threshold of them failed (see Policy.Report). The zero value is off.
type ErrorRate struct {
	// Threshold is the share of failed requests, in (0, 1].
	Threshold float64
	// Window is the sliding window (default 30s).
	Window time.Duration
	// MinRequests is the fewest requests in the window for a verdict (default 20).
	MinRequests int
}

// HintsState is what is known about the hints that other nodes keep for a
// DC's nodes, from whoever can see them (ringside's per-DC health, the
// application's own checks).
type HintsState int

const (
	// HintsUnknown: no facts; the clock rules alone decide.
	HintsUnknown HintsState = iota
	// HintsDelivered: every hint written for the DC's nodes was delivered
	// and none was dropped.
	HintsDelivered
	// HintsPending: hints are still being delivered: do not route back yet.
	HintsPending
	// HintsDropped: some writes were not kept as hints (the node was down
	// past max_hint_window, counted from the oldest hint with
	// hint_window_persistent_enabled, or max_hints_size_per_host was
	// reached): the DC needs a repair before it is routed to again.
	HintsDropped
)

func (h HintsState) String() string {
	switch h {
	case HintsUnknown:
		return "unknown"
	case HintsDelivered:
		return "delivered"
	case HintsPending:
		return "pending"
	case HintsDropped:
		return "dropped"
	}
	return fmt.Sprintf("HintsState(%d)", int(h))
}

// HintsFunc tells the hints state of a DC's nodes. It is asked, off the
// query path and at most every Options.HintsPollInterval, while a DC that
// came back waits to be routed to again.
type HintsFunc func(ctx context.Context, dc string) (HintsState, error)

// Options configure a Policy. LocalDC and at least one backup are required;
// every zero value means the default.
type Options struct {
	// LocalDC is the primary data center (the seed's localDc), as
	// system.local.data_center names it.
	LocalDC string
	// BackupDCs are the DCs to switch to, in order of preference (the seed's backupDc).
	BackupDCs []string

	// HostDownSwitchThreshold switches away from a DC once this many of
	// its nodes are down (the seed's hostDownSwitchThreshold); 0 is off.
	HostDownSwitchThreshold int
	// Keyspaces turns on the lost-ranges trigger: a DC fails when some
	// token range of one of these keyspaces cannot be served at
	// Consistency by a coordinator in that DC, from the driver's own host
	// tokens and keyspace metadata (the seed's monitoredKeyspace, and its
	// "next version").
	Keyspaces []string
	// Consistency is the level that must hold (the seed's
	// minimumRequiredConsistencyLevel): LOCAL_ONE, LOCAL_QUORUM or
	// LOCAL_SERIAL. The zero value (gocql.Any) means LOCAL_QUORUM.
	Consistency gocql.Consistency
	// ErrorRate is the optional error-rate trigger.
	ErrorRate ErrorRate

	// SwitchBack is SwitchBackNever (the zero value) or SwitchBackSafe.
	SwitchBack SwitchBackMode
	// MaxHintWindow is the cluster's max_hint_window (the seed's
	// noSwitchBackDowntimeDelay): after a longer outage a DC is not routed
	// to again automatically. 0 means 3h, Cassandra's default.
	MaxHintWindow time.Duration
	// HintWindowFromCluster reads max_hint_window, hinted_handoff_enabled,
	// hinted_handoff_disabled_datacenters and max_hints_size_per_host from
	// system_views.settings once the session is ready (see AttachTo and
	// ReadHintSettings); what it reads replaces MaxHintWindow.
	HintWindowFromCluster bool
	// SwitchBackDelayFactor: a DC must be back for downtime × factor
	// before it is routed to again (the seed's switchBackDelayFactor). 0 means 1.5.
	SwitchBackDelayFactor float64
	// MinimumTimeBetweenSwitches is the dwell after any switch before an
	// automatic switch back, or a switch away from a DC that still has
	// live nodes (the seed's minimumTimeBetweenSwitches). 0 means 120s.
	MinimumTimeBetweenSwitches time.Duration
	// Hints, when set, gives the hints facts that the clock cannot (see HintsFunc).
	Hints HintsFunc
	// HintsPollInterval bounds how often Hints is asked (default 10s).
	HintsPollInterval time.Duration

	// ActiveDCOnly makes Pick return only hosts of the active DC, as the
	// seed's policy does; by default the other DCs follow, healthiest first.
	ActiveDCOnly bool
	// SettleDelay: without a session-ready event (see AttachTo), the first
	// decision waits this long after the first host is known (default 10s),
	// so that a DC whose hosts the driver has not listed yet is not taken
	// for a dead one.
	SettleDelay time.Duration

	// OnSwitch is called after every switch, in order, outside the
	// policy's locks (it may call Status or SwitchBack).
	OnSwitch func(Switch)
	// Logger receives switch events and warnings (default: slog.Default()).
	Logger *slog.Logger
}

// config is Options validated, with defaults applied.
type config struct {
	local       string
	backups     []string
	threshold   int
	keyspaces   []string
	cl          ring.ConsistencyLevel
	errOn       bool
	errRate     ErrorRate
	mode        SwitchBackMode
	window      time.Duration
	factor      float64
	dwell       time.Duration
	hintsPoll   time.Duration
	settle      time.Duration
	activeOnly  bool
	fromCluster bool
}

// validate checks everything that can be checked before hosts are known.
// DC names that no host has are reported later, by Status and the log.
func (o Options) validate() (config, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("failover: "+format, a...)) }
	c := config{
		local:       o.LocalDC,
		threshold:   o.HostDownSwitchThreshold,
		mode:        o.SwitchBack,
		window:      o.MaxHintWindow,
		factor:      o.SwitchBackDelayFactor,
		dwell:       o.MinimumTimeBetweenSwitches,
		hintsPoll:   o.HintsPollInterval,
		settle:      o.SettleDelay,
		activeOnly:  o.ActiveDCOnly,
		fromCluster: o.HintWindowFromCluster,
	}
	dcName := func(field, name string) bool {
		switch {
		case name == "":
			bad("%s is empty: name a data center as system.local.data_center does", field)
		case strings.TrimSpace(name) != name:
			bad("%s %q has leading or trailing spaces", field, name)
		default:
			return true
		}
		return false
	}
	dcName("Options.LocalDC", o.LocalDC)
	if len(o.BackupDCs) == 0 {
		bad("Options.BackupDCs is empty: name at least one DC to switch to")
	}
	seen := map[string]int{}
	for i, b := range o.BackupDCs {
		field := fmt.Sprintf("Options.BackupDCs[%d]", i)
		if !dcName(field, b) {
			continue
		}
		switch j, dup := seen[b]; {
		case b == o.LocalDC:
			bad("%s %q is the local DC: a backup must be another DC", field, b)
		case dup:
			bad("%s %q repeats Options.BackupDCs[%d]", field, b, j)
		default:
			seen[b] = i
			c.backups = append(c.backups, b)
		}
	}
	if o.HostDownSwitchThreshold < 0 {
		bad("Options.HostDownSwitchThreshold is %d: it must be at least 1 (or 0 for off)", o.HostDownSwitchThreshold)
	}
	ks := map[string]int{}
	for i, k := range o.Keyspaces {
		switch j, dup := ks[k]; {
		case k == "":
			bad("Options.Keyspaces[%d] is empty", i)
		case dup:
			bad("Options.Keyspaces[%d] %q repeats Options.Keyspaces[%d]", i, k, j)
		default:
			ks[k] = i
			c.keyspaces = append(c.keyspaces, k)
		}
	}
	switch o.Consistency {
	case gocql.Any:
		c.cl = ring.LocalQuorum
	case gocql.LocalOne, gocql.LocalQuorum, gocql.LocalSerial:
		c.cl = ring.ConsistencyLevel(o.Consistency)
	default:
		bad("Options.Consistency %s cannot be judged per data center: use LOCAL_ONE, LOCAL_QUORUM or LOCAL_SERIAL", o.Consistency)
	}
	er := o.ErrorRate
	if er != (ErrorRate{}) {
		c.errOn = true
		switch {
		case math.IsNaN(er.Threshold) || er.Threshold <= 0 || er.Threshold > 1:
			bad("Options.ErrorRate.Threshold is %v: it must be a share of requests in (0, 1]", er.Threshold)
		}
		if er.Window < 0 {
			bad("Options.ErrorRate.Window is negative (%s)", er.Window)
		} else if er.Window == 0 {
			er.Window = DefaultErrorWindow
		} else if er.Window < 10*time.Millisecond {
			bad("Options.ErrorRate.Window is %s: use at least 10ms", er.Window)
		}
		if er.MinRequests < 0 {
			bad("Options.ErrorRate.MinRequests is %d: it must be at least 1 (or 0 for %d)", er.MinRequests, DefaultErrorMinRequests)
		} else if er.MinRequests == 0 {
			er.MinRequests = DefaultErrorMinRequests
		}
		c.errRate = er
	}
	if o.SwitchBack != SwitchBackNever && o.SwitchBack != SwitchBackSafe {
		bad("Options.SwitchBack is %s: use SwitchBackNever or SwitchBackSafe", o.SwitchBack)
	}
	nonNeg := func(field string, d time.Duration, def time.Duration) time.Duration {
		if d < 0 {
			bad("%s is negative (%s)", field, d)
		}
		if d == 0 {
			return def
		}
		return d
	}
	c.window = nonNeg("Options.MaxHintWindow", o.MaxHintWindow, DefaultMaxHintWindow)
	c.dwell = nonNeg("Options.MinimumTimeBetweenSwitches", o.MinimumTimeBetweenSwitches, DefaultMinimumTimeBetweenSwitches)
	c.hintsPoll = nonNeg("Options.HintsPollInterval", o.HintsPollInterval, DefaultHintsPollInterval)
	c.settle = nonNeg("Options.SettleDelay", o.SettleDelay, DefaultSettleDelay)
	switch f := o.SwitchBackDelayFactor; {
	case math.IsNaN(f) || math.IsInf(f, 0):
		bad("Options.SwitchBackDelayFactor is %v", f)
	case f < 0:
		bad("Options.SwitchBackDelayFactor is negative (%v)", f)
	case f == 0:
		c.factor = DefaultSwitchBackDelayFactor
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	return c, nil
}

// order is the DC preference: local, then backups.
func (c *config) order() []string {
	return append([]string{c.local}, c.backups...)
}
