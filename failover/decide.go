package failover

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ringside/ringside/ring"
)

// This file is the decision logic: a state machine with no clock and no
// I/O. Every input carries the time it happened; Policy supplies real
// time and gocql's events, tests a fake clock and made-up events.

// SwitchKind says why the active DC changed.
type SwitchKind string

const (
	// KindFailover: the active DC failed a trigger.
	KindFailover SwitchKind = "failover"
	// KindSwitchBack: a more preferred DC met the switch-back rules.
	KindSwitchBack SwitchKind = "switch_back"
	// KindManual: SwitchBack() was called.
	KindManual SwitchKind = "manual"
)

// Switch is one change of the active DC.
type Switch struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	Kind   SwitchKind `json:"kind"`
	At     time.Time  `json:"at"`
	Reason string     `json:"reason"`
}

// hostInfo is what the machine knows of a host: gocql's HostInfo, parsed.
type hostInfo struct {
	ID, DC, Rack string
	Tokens       []ring.Token
}

type hostState struct {
	hostInfo
	up    bool
	since time.Time // of the last up/down change
}

// cause is a bit set of the triggers a DC fails.
type cause uint8

const (
	causeAllDown cause = 1 << iota
	causeNodesDown
	causeRanges
	causeErrors
)

// tier orders DCs as routing targets, best first.
type tier int

const (
	tierSafe    tier = iota // healthy, and no outage whose consequences are pending
	tierUnsafe              // healthy, but back from an outage too recently, or needing repair
	tierFailing             // some trigger fails, some node up
	tierDown                // no node up, or no node known
)

type dcState struct {
	name        string
	nodes, down int
	seen        bool           // has had nodes: with none left now, it is down, not unknown
	lost        int            // ranges lost at the level, over the watched keyspaces
	lostKs      map[string]int // per keyspace
	errs        errorWindow
	cause       cause

	// The outage episode: opened when the DC starts failing, closed when
	// it is safe again (or when it is the active DC and healthy).
	outageStart time.Time
	backSince   time.Time     // zero while failing
	longest     time.Duration // longest outage of one of its nodes that came back during the episode
	needsRepair string        // why it may not be routed to automatically; "" if it may
	hints       HintsState

	// The last outage that ended safely, for the switch-back reason.
	lastDown time.Duration
	lastBack time.Time
}

func (d *dcState) inEpisode() bool { return !d.outageStart.IsZero() }

// downtime is the seed's downtime (from the outage to the return),
// lengthened by any single node's longer outage.
func (d *dcState) downtime() time.Duration {
	if d.backSince.IsZero() {
		return 0
	}
	return max(d.backSince.Sub(d.outageStart), d.longest)
}

type machine struct {
	cfg   config
	hosts map[string]*hostState
	dcs   map[string]*dcState
	order []string // preference: local, backups, then other DCs by name

	active      string
	settled     bool
	lastSwitch  time.Time
	last        *Switch
	switches    map[[3]string]int // from, to, kind
	nswitches   int
	backupSince time.Time
	backupTotal time.Duration

	// Window overrides from the cluster's settings, per DC (hinted_handoff_disabled_datacenters).
	windowSource string
	noHintsDCs   map[string]bool
	hintNotes    []string

	// The lost-ranges trigger.
	repl        map[string]ring.Replication // watched keyspaces with usable replication
	replErr     map[string]string
	partitioner string
	version     uint64 // of the ring inputs: hosts, tokens, replication
	built       uint64 // the version the model (or modelErr) is for
	model       *rangeModel
	modelErr    string
	modelNotes  []string
}

func newMachine(c config) *machine {
	m := &machine{
		cfg:          c,
		hosts:        map[string]*hostState{},
		dcs:          map[string]*dcState{},
		active:       c.local,
		switches:     map[[3]string]int{},
		windowSource: "configured",
		version:      1,
		repl:         map[string]ring.Replication{},
		replErr:      map[string]string{},
	}
	for _, dc := range c.order() {
		m.dc(dc)
	}
	return m
}

// dc returns the state of a DC, creating it (and placing it in the order).
func (m *machine) dc(name string) *dcState {
	if d := m.dcs[name]; d != nil {
		return d
	}
	d := &dcState{name: name, lostKs: map[string]int{}}
	d.errs.init(m.cfg.errRate.Window)
	m.dcs[name] = d
	m.order = append(m.order, name)
	configured := 1 + len(m.cfg.backups)
	if len(m.order) > configured {
		sort.Strings(m.order[configured:])
	}
	return d
}

func (m *machine) windowFor(dc string) time.Duration {
	if m.noHintsDCs[dc] {
		return 0
	}
	return m.cfg.window
}

// grace is how long a DC must have been back before it is safe: the
// seed's uptime > downtime × factor and uptime + downtime > minimum time
// between switches.
func (m *machine) grace(d *dcState) time.Duration {
	dt := d.downtime()
	return max(time.Duration(float64(dt)*m.cfg.factor), m.cfg.dwell-dt)
}

// ---- inputs ----

// addHost records a host as known and up (gocql's AddHost), or updates it.
func (m *machine) addHost(now time.Time, h hostInfo) *Switch {
	if old := m.hosts[h.ID]; old != nil {
		changed := old.DC != h.DC || old.Rack != h.Rack || !slices.Equal(old.Tokens, h.Tokens)
		if changed {
			m.dropHost(old)
			m.insertHost(h, old.up, old.since)
			m.version++
		}
		if !old.up {
			return m.setUp(now, h.ID, true)
		}
		if changed {
			return m.evaluate(now)
		}
		return nil
	}
	m.insertHost(h, true, now)
	m.version++
	return m.evaluate(now)
}

func (m *machine) insertHost(h hostInfo, up bool, since time.Time) {
	hs := &hostState{hostInfo: h, up: up, since: since}
	m.hosts[h.ID] = hs
	d := m.dc(h.DC)
	d.nodes++
	d.seen = true
	if !up {
		d.down++
	}
}

func (m *machine) dropHost(hs *hostState) {
	delete(m.hosts, hs.ID)
	d := m.dcs[hs.DC]
	d.nodes--
	if !hs.up {
		d.down--
	}
}

// removeHost forgets a host (gocql's RemoveHost: decommissioned, removed).
func (m *machine) removeHost(now time.Time, id string) *Switch {
	hs := m.hosts[id]
	if hs == nil {
		return nil
	}
	m.dropHost(hs)
	m.version++
	return m.evaluate(now)
}

// setUp marks a known host up or down; unknown hosts are ignored.
func (m *machine) setUp(now time.Time, id string, up bool) *Switch {
	hs := m.hosts[id]
	if hs == nil || hs.up == up {
		return nil
	}
	d := m.dcs[hs.DC]
	if up {
		d.down--
		if d.inEpisode() {
			d.longest = max(d.longest, now.Sub(hs.since))
		}
	} else {
		d.down++
	}
	hs.up, hs.since = up, now
	if m.model != nil {
		m.model.setDown(hs.ID, !up)
		m.updateLost()
	}
	return m.evaluate(now)
}

// setPartitioner records the cluster's partitioner; the lost-ranges
// trigger needs Murmur3Partitioner.
func (m *machine) setPartitioner(now time.Time, p string) *Switch {
	if p == m.partitioner {
		return nil
	}
	m.partitioner = p
	m.version++
	return m.evaluate(now)
}

func (m *machine) watched(ks string) bool { return slices.Contains(m.cfg.keyspaces, ks) }

// setKeyspace records a watched keyspace's replication (err: why it could
// not be read); other keyspaces are ignored.
func (m *machine) setKeyspace(now time.Time, name string, r ring.Replication, err error) *Switch {
	if !m.watched(name) {
		return nil
	}
	if err != nil {
		delete(m.repl, name)
		m.replErr[name] = err.Error()
	} else {
		if old, ok := m.repl[name]; ok && old.String() == r.String() {
			return nil
		}
		delete(m.replErr, name)
		m.repl[name] = r
	}
	m.version++
	return m.evaluate(now)
}

func (m *machine) dropKeyspace(now time.Time, name string) *Switch {
	if !m.watched(name) {
		return nil
	}
	delete(m.repl, name)
	m.replErr[name] = "keyspace was dropped"
	m.version++
	return m.evaluate(now)
}

// report counts one request answered (failed or not) by a coordinator in dc.
func (m *machine) report(now time.Time, dc string, failed bool) *Switch {
	d := m.dcs[dc]
	if d == nil || !m.cfg.errOn {
		return nil
	}
	d.errs.add(now, failed)
	return m.evaluate(now)
}

// setHints records the hints facts for a DC's current outage episode.
func (m *machine) setHints(now time.Time, dc string, h HintsState) *Switch {
	d := m.dcs[dc]
	if d == nil || !d.inEpisode() || d.hints == h {
		return nil
	}
	d.hints = h
	return m.evaluate(now)
}

// setWindow applies what the cluster's settings say of hints.
func (m *machine) setWindow(now time.Time, hs HintSettings) *Switch {
	m.cfg.window = hs.MaxHintWindow
	m.noHintsDCs = map[string]bool{}
	for _, dc := range hs.DisabledDCs {
		m.noHintsDCs[dc] = true
	}
	if !hs.Enabled {
		m.cfg.window = 0
	}
	m.windowSource = "cluster"
	m.hintNotes = hs.notes()
	return m.evaluate(now)
}

// settle allows decisions: the driver has listed its hosts.
func (m *machine) settle(now time.Time) *Switch {
	if m.settled {
		return nil
	}
	m.settled = true
	return m.evaluate(now)
}

func (m *machine) tick(now time.Time) *Switch { return m.evaluate(now) }

// switchBack is the manual SwitchBack: the operator says the local DC is
// consistent again (repaired, or hints delivered); it is routed to at once
// if it is healthy.
func (m *machine) switchBack(now time.Time) (*Switch, error) {
	d := m.dcs[m.cfg.local]
	m.assessAll(now)
	if t := m.tier(d); t >= tierFailing {
		return nil, fmt.Errorf("failover: local DC %s cannot be switched back to: %s", d.name, m.describe(d))
	}
	m.closeEpisode(d)
	if m.active == d.name {
		return nil, nil
	}
	return m.switchTo(now, d.name, KindManual, "SwitchBack() called"), nil
}

// markRepaired says a DC's data is consistent again; it may be routed to
// by the automatic rules from now on.
func (m *machine) markRepaired(now time.Time, dc string) (*Switch, error) {
	d := m.dcs[dc]
	if d == nil {
		return nil, fmt.Errorf("failover: unknown DC %q", dc)
	}
	m.closeEpisode(d)
	return m.evaluate(now), nil
}

func (m *machine) closeEpisode(d *dcState) {
	d.outageStart, d.backSince, d.longest, d.needsRepair, d.hints = time.Time{}, time.Time{}, 0, "", HintsUnknown
}

// ---- evaluation ----

func (m *machine) causes(d *dcState) cause {
	var c cause
	if d.down == d.nodes && (d.nodes > 0 || d.seen) {
		c |= causeAllDown
	}
	if m.cfg.threshold > 0 && d.down >= m.cfg.threshold {
		c |= causeNodesDown
	}
	if m.model != nil && d.lost > 0 {
		c |= causeRanges
	}
	if m.cfg.errOn {
		req, fail := d.errs.sum()
		if req >= m.cfg.errRate.MinRequests && req > 0 && float64(fail) >= m.cfg.errRate.Threshold*float64(req) {
			c |= causeErrors
		}
	}
	return c
}

func (m *machine) assessAll(now time.Time) {
	for _, name := range m.order {
		m.assess(now, m.dcs[name])
	}
}

// assess refreshes a DC's causes and moves its outage episode along.
func (m *machine) assess(now time.Time, d *dcState) {
	if m.cfg.errOn {
		d.errs.expire(now)
	}
	d.cause = m.causes(d)
	if d.nodes == 0 && !d.seen {
		return // unknown, not down: nothing to measure
	}
	w := m.windowFor(d.name)
	if d.cause != 0 {
		if !d.inEpisode() {
			d.outageStart, d.longest, d.hints = now, 0, HintsUnknown
			d.lastDown, d.lastBack = 0, time.Time{}
		}
		d.backSince = time.Time{}
		if d.needsRepair == "" && now.Sub(d.outageStart) >= w {
			d.needsRepair = fmt.Sprintf("failing since %s, longer than the hint window (%s)", d.outageStart.UTC().Format(time.RFC3339), w)
		}
		return
	}
	if !d.inEpisode() {
		return
	}
	if d.backSince.IsZero() {
		d.backSince = now
	}
	if d.name == m.active {
		m.closeEpisode(d) // it kept serving: nothing to wait for
		return
	}
	if d.needsRepair == "" {
		switch dt := d.downtime(); {
		case dt >= w:
			d.needsRepair = fmt.Sprintf("down for %s, not less than the hint window (%s)", dt, w)
		case d.hints == HintsDropped:
			d.needsRepair = "hints for its nodes were dropped"
		}
	}
	if d.needsRepair != "" || d.hints == HintsPending {
		return
	}
	if now.Sub(d.backSince) >= m.grace(d) {
		d.lastDown, d.lastBack = d.downtime(), d.backSince
		m.closeEpisode(d)
	}
}

func (m *machine) tier(d *dcState) tier {
	switch {
	case d == nil || d.nodes == 0 || d.down == d.nodes:
		return tierDown
	case d.cause != 0:
		return tierFailing
	case d.inEpisode() || d.needsRepair != "":
		return tierUnsafe
	}
	return tierSafe
}

func (m *machine) dwellOver(now time.Time) bool {
	return m.lastSwitch.IsZero() || now.Sub(m.lastSwitch) >= m.cfg.dwell
}

// evaluate applies the switching rules once and returns the switch made, if any.
func (m *machine) evaluate(now time.Time) *Switch {
	m.assessAll(now)
	if !m.settled || len(m.hosts) == 0 {
		return nil
	}
	cur := m.dcs[m.active]
	ct := m.tier(cur)
	if ct >= tierFailing {
		// Away from a failing DC: only to a safe one, and not within the
		// dwell; away from a dead one: at once, to the best usable one.
		if ct == tierFailing && !m.dwellOver(now) {
			return nil
		}
		var best *dcState
		bt := ct
		for _, name := range m.order {
			d := m.dcs[name]
			if name == m.active {
				continue
			}
			if t := m.tier(d); t < bt && (t == tierSafe || ct == tierDown) {
				best, bt = d, t
			}
		}
		if best == nil {
			return nil
		}
		reason := m.describe(cur)
		if bt != tierSafe {
			reason += fmt.Sprintf("; %s is the best usable DC left (%s)", best.name, m.describe(best))
		}
		return m.switchTo(now, best.name, KindFailover, reason)
	}
	if m.cfg.mode != SwitchBackSafe || !m.dwellOver(now) {
		return nil
	}
	for _, name := range m.order {
		if name == m.active {
			break
		}
		if d := m.dcs[name]; m.tier(d) == tierSafe {
			reason := fmt.Sprintf("%s is healthy and safe to route to", name)
			if !d.lastBack.IsZero() {
				reason = fmt.Sprintf("%s was down for %s (less than the hint window, %s) and has been back for %s (at least max(downtime × %g, %s − downtime))",
					name, d.lastDown, m.windowFor(name), now.Sub(d.lastBack), m.cfg.factor, m.cfg.dwell)
			}
			return m.switchTo(now, name, KindSwitchBack, reason)
		}
	}
	return nil
}

func (m *machine) switchTo(now time.Time, to string, kind SwitchKind, reason string) *Switch {
	from := m.active
	if from == m.cfg.local {
		m.backupSince = now
	} else if to == m.cfg.local {
		m.backupTotal += now.Sub(m.backupSince)
	}
	m.active = to
	m.lastSwitch = now
	m.nswitches++
	m.switches[[3]string{from, to, string(kind)}]++
	s := &Switch{From: from, To: to, Kind: kind, At: now, Reason: reason}
	m.last = s
	// The DC switched to serves from now on: its episode, if any, is moot.
	if d := m.dcs[to]; m.tier(d) <= tierUnsafe {
		m.closeEpisode(d)
	}
	return s
}

// backupTime is the time spent routing to a DC other than the local one.
func (m *machine) backupTime(now time.Time) time.Duration {
	t := m.backupTotal
	if m.active != m.cfg.local {
		t += now.Sub(m.backupSince)
	}
	return t
}

// describe says, for a log line or an error, why a DC is not healthy.
func (m *machine) describe(d *dcState) string {
	var parts []string
	switch {
	case d.nodes == 0 && d.seen:
		parts = append(parts, "every node removed")
	case d.nodes == 0:
		parts = append(parts, "no node known")
	case d.down == d.nodes:
		parts = append(parts, fmt.Sprintf("all %d nodes down", d.nodes))
	}
	if d.cause&causeNodesDown != 0 && d.down < d.nodes {
		parts = append(parts, fmt.Sprintf("%d of %d nodes down (host_down_switch_threshold %d)", d.down, d.nodes, m.cfg.threshold))
	}
	if d.cause&causeRanges != 0 {
		var ks []string
		for _, k := range m.cfg.keyspaces {
			if n := d.lostKs[k]; n > 0 {
				ks = append(ks, fmt.Sprintf("%s: %d", k, n))
			}
		}
		parts = append(parts, fmt.Sprintf("%d token ranges cannot be served at %s (%s)", d.lost, m.cfg.cl, strings.Join(ks, ", ")))
	}
	if d.cause&causeErrors != 0 {
		req, fail := d.errs.sum()
		parts = append(parts, fmt.Sprintf("%d of %d requests failed in the last %s (threshold %g)", fail, req, m.cfg.errRate.Window, m.cfg.errRate.Threshold))
	}
	if len(parts) == 0 {
		switch {
		case d.needsRepair != "":
			parts = append(parts, "needs repair: "+d.needsRepair)
		case d.hints == HintsPending:
			parts = append(parts, "hints still being delivered")
		case d.inEpisode():
			parts = append(parts, fmt.Sprintf("back since %s after %s down, not yet for the grace of %s", d.backSince.UTC().Format(time.RFC3339), d.downtime(), m.grace(d)))
		default:
			parts = append(parts, "healthy")
		}
	}
	return d.name + ": " + strings.Join(parts, "; ")
}

// nextDeadline is the earliest time at which the passing of time alone
// could change a decision; zero if none.
func (m *machine) nextDeadline(now time.Time) time.Time {
	var next time.Time
	at := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if !m.lastSwitch.IsZero() {
		at(m.lastSwitch.Add(m.cfg.dwell))
	}
	for _, name := range m.order {
		d := m.dcs[name]
		if e := d.errs.nextExpiry(); !e.IsZero() {
			at(e)
		}
		if !d.inEpisode() || d.needsRepair != "" {
			continue
		}
		if d.backSince.IsZero() {
			at(d.outageStart.Add(m.windowFor(name)))
		} else if d.hints != HintsPending {
			at(d.backSince.Add(m.grace(d)))
		}
	}
	return next
}

// hintsWanted lists the DCs waiting to be routed to again, whose hints
// facts would tell more than the clock.
func (m *machine) hintsWanted() []string {
	var out []string
	for _, name := range m.order {
		d := m.dcs[name]
		if d.inEpisode() && !d.backSince.IsZero() && d.needsRepair == "" && name != m.active {
			out = append(out, name)
		}
	}
	return out
}

// fallbackOrder is the order of the DCs in a query plan: the active one,
// then the others, healthiest first, in preference order within a tier.
func (m *machine) fallbackOrder() []string {
	out := make([]string, 0, len(m.order))
	out = append(out, m.active)
	for t := tierSafe; t <= tierDown; t++ {
		for _, name := range m.order {
			if name != m.active && m.tier(m.dcs[name]) == t {
				out = append(out, name)
			}
		}
	}
	return out
}

// ---- the lost-ranges trigger ----

const murmur3 = "org.apache.cassandra.dht.Murmur3Partitioner"

// rangeInput snapshots what the range model is built from, so that the
// (slow, for big rings) build can run without the policy's lock.
func (m *machine) rangeInput() (rangeInput, string) {
	in := rangeInput{version: m.version, cl: m.cfg.cl}
	if len(m.cfg.keyspaces) == 0 {
		return in, "off"
	}
	if m.partitioner != "" && !strings.HasSuffix(m.partitioner, "Murmur3Partitioner") {
		return in, fmt.Sprintf("the cluster's partitioner is %s: token ranges are only computed for %s", m.partitioner, murmur3)
	}
	for _, k := range m.cfg.keyspaces {
		if r, ok := m.repl[k]; ok {
			in.keyspaces = append(in.keyspaces, ring.Keyspace{Name: k, Replication: r})
		}
	}
	if len(in.keyspaces) == 0 {
		return in, "waiting for the replication of " + strings.Join(m.cfg.keyspaces, ", ") + " (see AttachTo)"
	}
	for _, hs := range m.hosts {
		if len(hs.Tokens) > 0 && hs.DC != "" {
			in.hosts = append(in.hosts, hs.hostInfo)
			if !hs.up {
				in.down = append(in.down, hs.ID)
			}
		}
	}
	if len(in.hosts) == 0 {
		return in, "no host with tokens known"
	}
	for _, dc := range m.order {
		if dc != "" { // a host the driver gave no DC
			in.dcs = append(in.dcs, dc)
		}
	}
	return in, ""
}

// installModel puts a freshly built model in place, if it was built from
// the current inputs, and re-applies the current up/down states. It
// reports whether the model was current.
func (m *machine) installModel(now time.Time, in rangeInput, model *rangeModel, reason string) (*Switch, bool) {
	if in.version != m.version {
		return nil, false
	}
	m.model, m.modelErr, m.modelNotes, m.built = model, reason, nil, in.version
	if model != nil {
		m.modelNotes = model.notes
		for id, hs := range m.hosts {
			model.setDown(id, !hs.up)
		}
		m.updateLost()
	} else {
		for _, d := range m.dcs {
			d.lost = 0
			clear(d.lostKs)
		}
	}
	return m.evaluate(now), true
}

// rebuild builds and installs the model synchronously (tests, small rings).
func (m *machine) rebuild(now time.Time) *Switch {
	in, reason := m.rangeInput()
	var model *rangeModel
	if reason == "" {
		var err error
		if model, err = buildRangeModel(in); err != nil {
			reason = err.Error()
		}
	}
	s, _ := m.installModel(now, in, model, reason)
	return s
}

// needsRebuild reports whether the range model lags behind its inputs.
func (m *machine) needsRebuild() bool {
	return len(m.cfg.keyspaces) > 0 && m.built != m.version
}

func (m *machine) updateLost() {
	for name, d := range m.dcs {
		d.lost = 0
		clear(d.lostKs)
		a := m.model.avail[name]
		if a == nil {
			continue
		}
		for _, k := range m.model.keyspaces {
			n, err := a.UnavailableCount(k, m.cfg.cl)
			if err == nil && n > 0 {
				d.lost += n
				d.lostKs[k] = n
			}
		}
	}
}
