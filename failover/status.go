package failover

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ringside/ringside/ring"
)

// Status is the policy's state, for an application to log or serve as JSON.
type Status struct {
	ActiveDC         string   `json:"active_dc"`
	LocalDC          string   `json:"local_dc"`
	BackupDCs        []string `json:"backup_dcs"`
	SwitchedToBackup bool     `json:"switched_to_backup"`
	// SwitchBack is "never" or "safe".
	SwitchBack string `json:"switch_back"`
	// Settled is false until the driver has listed its hosts; no switch happens before.
	Settled bool `json:"settled"`
	// Triggers in force: "nodes_down", "lost_ranges", "error_rate"; a DC whose nodes are all down always counts as failing.
	Triggers                []string `json:"triggers"`
	HostDownSwitchThreshold int      `json:"host_down_switch_threshold,omitempty"`
	Consistency             string   `json:"consistency,omitempty"`
	Keyspaces               []string `json:"keyspaces,omitempty"`
	// LostRanges says whether the lost-ranges trigger is computing ("on"), or why not.
	LostRanges        string  `json:"lost_ranges"`
	HintWindowSeconds float64 `json:"hint_window_seconds"`
	// HintWindowSource is "configured" (Options) or "cluster" (system_views.settings).
	HintWindowSource               string  `json:"hint_window_source"`
	SwitchBackDelayFactor          float64 `json:"switch_back_delay_factor"`
	MinimumTimeBetweenSwitchesSecs float64 `json:"minimum_time_between_switches_seconds"`
	Switches                       int     `json:"switches"`
	LastSwitch                     *Switch `json:"last_switch,omitempty"`
	SecondsInBackup                float64 `json:"seconds_in_backup"`
	// DCs are in preference order: local, backups, then the others.
	DCs []DCStatus `json:"dcs"`
	// UnknownDCs are configured DCs that no host the driver knows is in.
	UnknownDCs []string `json:"unknown_dcs,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// DCStatus is one DC as the policy sees it.
type DCStatus struct {
	Name string `json:"name"`
	// Role is "local", "backup" or "other".
	Role   string `json:"role"`
	Active bool   `json:"active"`
	// State is "healthy", "recovering" (back from an outage, not yet safe
	// to route to), "needs_repair", "failing" or "down" (no node up, or none known).
	State     string   `json:"state"`
	Reasons   []string `json:"reasons,omitempty"`
	Nodes     int      `json:"nodes"`
	NodesDown int      `json:"nodes_down"`
	// LostRanges is the number of token ranges of the watched keyspaces a
	// coordinator in this DC cannot serve at the level (null when not computed).
	LostRanges           *int           `json:"lost_ranges"`
	LostRangesByKeyspace map[string]int `json:"lost_ranges_by_keyspace,omitempty"`
	Requests             int            `json:"requests,omitempty"`
	Failures             int            `json:"failures,omitempty"`
	OutageStartedAt      *time.Time     `json:"outage_started_at,omitempty"`
	CameBackUpAt         *time.Time     `json:"came_back_up_at,omitempty"`
	DowntimeSeconds      float64        `json:"downtime_seconds,omitempty"`
	// SafeAt is when the clock rules allow routing to the DC again, if nothing changes.
	SafeAt      *time.Time `json:"safe_at,omitempty"`
	NeedsRepair string     `json:"needs_repair,omitempty"`
	Hints       string     `json:"hints,omitempty"`
}

// Status returns the policy's state.
func (p *Policy) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.m.status(p.now())
	if p.settingsErr != "" {
		st.Warnings = append(st.Warnings, "hint settings: "+p.settingsErr)
	}
	if p.hintsErr != "" {
		st.Warnings = append(st.Warnings, "Options.Hints: "+p.hintsErr)
	}
	return st
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (m *machine) status(now time.Time) Status {
	m.assessAll(now)
	c := m.cfg
	st := Status{
		ActiveDC: m.active, LocalDC: c.local, BackupDCs: slices.Clone(c.backups),
		SwitchedToBackup: m.active != c.local, SwitchBack: c.mode.String(), Settled: m.settled,
		Keyspaces: slices.Clone(c.keyspaces), HintWindowSeconds: c.window.Seconds(), HintWindowSource: m.windowSource,
		SwitchBackDelayFactor: c.factor, MinimumTimeBetweenSwitchesSecs: c.dwell.Seconds(),
		Switches: m.nswitches, SecondsInBackup: m.backupTime(now).Seconds(), HostDownSwitchThreshold: c.threshold,
	}
	if m.last != nil {
		s := *m.last
		s.At = s.At.UTC()
		st.LastSwitch = &s
	}
	if c.threshold > 0 {
		st.Triggers = append(st.Triggers, "nodes_down")
	}
	if len(c.keyspaces) > 0 {
		st.Triggers = append(st.Triggers, "lost_ranges")
		st.Consistency = c.cl.String()
	}
	if c.errOn {
		st.Triggers = append(st.Triggers, "error_rate")
	}
	switch {
	case len(c.keyspaces) == 0:
		st.LostRanges = "off"
	case m.model != nil && m.built == m.version:
		st.LostRanges = "on"
	case m.model != nil:
		st.LostRanges = "on (recomputing after a topology or schema change)"
	case m.modelErr != "":
		st.LostRanges = m.modelErr
	default:
		st.LostRanges = "computing"
	}
	for i, name := range m.order {
		d := m.dcs[name]
		ds := DCStatus{Name: name, Active: name == m.active, Nodes: d.nodes, NodesDown: d.down, NeedsRepair: d.needsRepair}
		switch {
		case i == 0:
			ds.Role = "local"
		case i <= len(c.backups):
			ds.Role = "backup"
		default:
			ds.Role = "other"
		}
		switch m.tier(d) {
		case tierDown:
			ds.State = "down"
		case tierFailing:
			ds.State = "failing"
		case tierUnsafe:
			ds.State = "recovering"
			if d.needsRepair != "" {
				ds.State = "needs_repair"
			}
		default:
			ds.State = "healthy"
		}
		if ds.State != "healthy" {
			ds.Reasons = []string{strings.TrimPrefix(m.describe(d), name+": ")}
		}
		if m.model != nil {
			n := d.lost
			ds.LostRanges = &n
			if len(d.lostKs) > 0 {
				ds.LostRangesByKeyspace = map[string]int{}
				for k, v := range d.lostKs {
					ds.LostRangesByKeyspace[k] = v
				}
			}
		}
		if c.errOn {
			ds.Requests, ds.Failures = d.errs.sum()
		}
		if d.inEpisode() {
			ds.OutageStartedAt = tp(d.outageStart)
			ds.CameBackUpAt = tp(d.backSince)
			ds.DowntimeSeconds = d.downtime().Seconds()
			if !d.backSince.IsZero() && d.needsRepair == "" {
				ds.SafeAt = tp(d.backSince.Add(m.grace(d)))
			}
			if d.hints != HintsUnknown {
				ds.Hints = d.hints.String()
			}
		}
		if d.nodes == 0 && i <= len(c.backups) {
			st.UnknownDCs = append(st.UnknownDCs, name)
		}
		st.DCs = append(st.DCs, ds)
	}
	st.Warnings = m.warnings()
	return st
}

// warnings lists configuration problems the hosts and schema reveal.
func (m *machine) warnings() []string {
	var out []string
	if len(m.hosts) > 0 {
		var known []string
		for _, name := range m.order {
			if m.dcs[name].nodes > 0 {
				known = append(known, name)
			}
		}
		sort.Strings(known)
		for i, name := range m.cfg.order() {
			if m.dcs[name].nodes > 0 {
				continue
			}
			field := "Options.LocalDC"
			if i > 0 {
				field = fmt.Sprintf("Options.BackupDCs[%d]", i-1)
			}
			out = append(out, fmt.Sprintf("%s %q: the driver knows no host in that data center (it knows %s)", field, name, strings.Join(known, ", ")))
		}
	}
	ks := make([]string, 0, len(m.replErr))
	for k := range m.replErr {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		out = append(out, fmt.Sprintf("keyspace %s: %s", k, m.replErr[k]))
	}
	for _, k := range m.cfg.keyspaces {
		r, ok := m.repl[k]
		if !ok || (r.Strategy != ring.NetworkTopologyStrategy) {
			continue
		}
		for _, dc := range m.cfg.order() {
			n := m.dcs[dc].nodes
			if n == 0 {
				continue
			}
			rf := r.RFIn(dc).All
			need := 1
			if m.cfg.cl == ring.LocalQuorum {
				need = ring.LocalQuorumFor(r, dc)
			}
			switch {
			case rf == 0:
				out = append(out, fmt.Sprintf("keyspace %s is not replicated in %s: %s can never be served there", k, dc, m.cfg.cl))
			case min(rf, n) < need:
				out = append(out, fmt.Sprintf("keyspace %s cannot be served at %s in %s even with every node up: replication factor %d there, %d nodes", k, m.cfg.cl, dc, rf, n))
			}
		}
	}
	// A reason for inputs that changed since is no news: a rebuild is under way.
	if m.modelErr != "" && m.modelErr != "off" && m.built == m.version {
		out = append(out, "lost-ranges trigger: "+m.modelErr)
	}
	out = append(out, m.modelNotes...)
	out = append(out, m.hintNotes...)
	return out
}
