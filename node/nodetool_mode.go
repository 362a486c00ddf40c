package node

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Without a Jolokia agent every JMX read is a nodetool run, and every run
// starts a JVM (about 1–1.5 CPU-seconds on a real node). So in nodetool
// mode the adapter reads over CQL all it can, at every refresh:
//
//   - native transport: a CQL answer proves it runs;
//   - gossip: the local row of system_views.gossip_info ("shutdown" after
//     Gossiper.stop(), else a moving heartbeat means the gossip task runs);
//   - operation mode: the local gossip STATUS (modeFromGossip);
//
// and runs nodetool only for what nothing else gives:
//
//   - `nodetool status` for peer liveness as the failure detector sees it,
//     every NodetoolInterval, sooner when gossip_info shows a change the
//     cached answer may not reflect (a peer restarted, went silent or came
//     back), and on demand before a decision (FreshLiveness);
//   - `nodetool info` (gossip, native transport) and `nodetool netstats`
//     (mode) only while CQL cannot tell: the node does not answer CQL, or
//     its gossip row is missing or ambiguous. Each runs once when that
//     starts, then every NodetoolInterval.
//
// Runs that are due together run in parallel. Snapshot.Sources says how
// old each part is.

// DefaultNodetoolInterval is how often `nodetool status` runs at most in steady state.
const DefaultNodetoolInterval = 60 * time.Second

// maxTriggerSpacing bounds how soon a change seen in gossip_info makes
// `nodetool status` run again.
const maxTriggerSpacing = 15 * time.Second

// ntPart is the last run of one nodetool command.
type ntPart struct {
	at       time.Time // when the run started; zero: never ran
	err      error
	answered bool // the run reached the node's JMX
	rows     []StatusRow
	info     *Info
	mode     string
}

func (p *ntPart) ok() bool { return !p.at.IsZero() && p.err == nil }

// peerView is a peer as gossip_info shows it, for telling whether a
// cached `nodetool status` may be out of date.
type peerView struct {
	generation int64
	status     string
	silent     bool
}

// ntMode is the adapter's state in nodetool mode.
type ntMode struct {
	interval time.Duration

	run                    sync.Mutex // one batch of runs at a time
	mu                     sync.Mutex // guards what follows
	status, info, netstats ntPart
	heartbeats             map[string]heartbeat
	// viewAtStatus is the gossip view when status last ran; backoff the
	// spacing of status runs while gossip and status disagree.
	viewAtStatus map[string]peerView
	backoff      time.Duration
	// needInfo and needNetstats: since when CQL cannot tell what info
	// (gossip, native) and netstats (mode) give; zero while it can.
	needInfo, needNetstats time.Time
	port                   int       // this node's storage port, for nodetool's addresses
	cqlOKAt                time.Time // the last snapshot whose CQL read the node answered
}

func newNTMode(interval time.Duration) *ntMode {
	if interval <= 0 {
		interval = DefaultNodetoolInterval
	}
	return &ntMode{interval: interval, heartbeats: map[string]heartbeat{}}
}

func (m *ntMode) triggerSpacing() time.Duration { return min(m.interval, maxTriggerSpacing) }

// derived is what one CQL read says.
type derived struct {
	cqlOK               bool
	gossip, gossipKnown bool
	mode                string
	modeKnown           bool
	view                map[string]peerView // the peers; nil without gossip_info
	local               string              // this node's endpoint, "" if unknown
	storagePort         int
}

// derive turns a CQL read into gossip state, mode and the peers' view,
// updating the heartbeat memory.
func (m *ntMode) derive(cr *cqlResult, now time.Time) derived {
	d := derived{cqlOK: cr.answered, local: cr.endpoint}
	if cr.local {
		d.storagePort = storagePort(cr)
	}
	if !cr.haveGossip {
		return d
	}
	still := observe(m.heartbeats, cr.gossip, now)
	d.view = map[string]peerView{}
	for _, g := range cr.gossip {
		if d.local != "" && sameEndpoint(g.Endpoint, d.local) {
			d.gossip, d.gossipKnown = localGossip(g, still[g.Endpoint])
			if d.cqlOK {
				d.mode, d.modeKnown = modeFromGossip(g.statusName())
			}
			continue
		}
		d.view[g.Endpoint] = peerView{generation: g.Generation, status: g.statusName(), silent: peerSilent(g, still[g.Endpoint])}
	}
	if !d.cqlOK {
		d.gossipKnown, d.modeKnown = false, false
	}
	return d
}

// plan is which commands run in this snapshot.
type plan struct{ status, info, netstats bool }

func (p plan) any() bool { return p.status || p.info || p.netstats }

// decide says what is due at now. m.mu must be held.
func (m *ntMode) decide(d derived, now time.Time) plan {
	since := func(need *time.Time, needed bool) {
		switch {
		case !needed:
			*need = time.Time{}
		case need.IsZero():
			*need = now
		}
	}
	since(&m.needInfo, !d.cqlOK || !d.gossipKnown)
	since(&m.needNetstats, !d.cqlOK || !d.modeKnown)
	// A run that failed (a timeout, a JVM that could not start) is tried
	// again after the trigger spacing rather than a whole interval later.
	stale := func(p *ntPart) bool {
		return now.Sub(p.at) >= m.interval || p.err != nil && now.Sub(p.at) >= m.triggerSpacing()
	}
	due := func(p *ntPart, need time.Time) bool {
		return !need.IsZero() && (p.at.Before(need) || stale(p))
	}
	p := plan{info: due(&m.info, m.needInfo), netstats: due(&m.netstats, m.needNetstats)}
	switch {
	case m.status.at.IsZero() || stale(&m.status):
		p.status = true
		m.backoff = m.triggerSpacing()
	case d.view == nil || !d.cqlOK:
		// Nothing to compare the cached answer with.
	default:
		changed := viewChanged(m.viewAtStatus, d.view)
		disagree := m.status.ok() && disagrees(m.status.rows, m.port, d.view)
		if m.backoff <= 0 || changed {
			m.backoff = m.triggerSpacing()
		}
		if (changed || disagree) && now.Sub(m.status.at) >= m.backoff {
			p.status = true
			if !changed {
				// The failure detector may take longer than gossip_info to
				// notice; ask less and less often, up to the interval.
				m.backoff = min(2*m.backoff, m.interval)
			}
		}
		if !changed && !disagree {
			m.backoff = m.triggerSpacing()
		}
	}
	return p
}

func viewChanged(a, b map[string]peerView) bool {
	if len(a) != len(b) {
		return true
	}
	for ep, v := range b {
		if w, ok := a[ep]; !ok || w != v {
			return true
		}
	}
	return false
}

// disagrees: gossip_info and the cached `nodetool status` differ on a
// peer: silent in gossip but Up, or heard from but Down.
func disagrees(rows []StatusRow, port int, view map[string]peerView) bool {
	live, down := statusEndpoints(rows, port)
	up := map[string]bool{}
	for _, e := range live {
		up[e] = true
	}
	for _, e := range down {
		up[e] = false
	}
	for ep, v := range view {
		if u, ok := up[ep]; ok && u == v.silent {
			return true
		}
	}
	return false
}

// runPlan runs the planned commands in parallel and records them.
func (m *ntMode) runPlan(ctx context.Context, nt *Nodetool, p plan, view map[string]peerView) {
	var wg sync.WaitGroup
	do := func(on bool, f func()) {
		if on {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		}
	}
	var st, in, ns ntPart
	do(p.status, func() {
		st.at = time.Now()
		st.rows, st.err = nt.Status(ctx)
	})
	do(p.info, func() {
		in.at = time.Now()
		in.info, in.err = nt.Info(ctx)
	})
	do(p.netstats, func() {
		ns.at = time.Now()
		ns.mode, ns.err = nt.OperationMode(ctx)
	})
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.status {
		st.answered = reachedJMX(st.err)
		m.status = st
		m.viewAtStatus = view
	}
	if p.info {
		in.answered = reachedJMX(in.err)
		m.info = in
	}
	if p.netstats {
		ns.answered = reachedJMX(ns.err)
		m.netstats = ns
	}
}

// reachedJMX: the command talked to the node's JMX (it succeeded, its
// output did not parse, or it failed for a reason other than the connection).
func reachedJMX(err error) bool {
	if err == nil {
		return true
	}
	var ne *NodetoolError
	if !errors.As(err, &ne) {
		return true // a parse error: nodetool ran and printed something
	}
	return ne.ExitCode > 0 && !ne.ConnectFailed()
}

// snapshot is the nodetool-mode JMX part of a Snapshot: CQL's
// derivations, and the cached or fresh nodetool runs.
func (m *ntMode) snapshot(ctx context.Context, nt *Nodetool, cr *cqlResult, now time.Time) (*jmxResult, []Source) {
	m.mu.Lock()
	d := m.derive(cr, now)
	if d.storagePort > 0 {
		m.port = d.storagePort
	}
	if d.cqlOK {
		m.cqlOKAt = now
	}
	p := m.decide(d, now)
	m.mu.Unlock()
	if p.any() {
		m.run.Lock()
		m.mu.Lock()
		if p.status && !m.status.at.Before(now) {
			p.status = false // FreshLiveness ran it meanwhile
		}
		m.mu.Unlock()
		m.runPlan(ctx, nt, p, d.view)
		m.run.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.assemble(d, cr, now)
}

// assemble builds the result from CQL's derivations and the cached runs. m.mu must be held.
func (m *ntMode) assemble(d derived, cr *cqlResult, now time.Time) (*jmxResult, []Source) {
	r := &jmxResult{}
	var errs []error
	var fromCQL []string
	// usable: a run made since CQL stopped telling what it gives.
	usable := func(p *ntPart, need time.Time) bool {
		return !need.IsZero() && !p.at.IsZero() && !p.at.Before(need)
	}
	if d.cqlOK {
		r.native, r.nativeKnown = true, true
		fromCQL = append(fromCQL, "cassandra_running", "native_active")
	}
	if d.gossipKnown {
		r.gossip, r.gossipKnown = d.gossip, true
		fromCQL = append(fromCQL, "gossip_active")
	}
	if d.modeKnown {
		r.mode = d.mode
		fromCQL = append(fromCQL, "operation_mode")
	}
	srcs := []Source{{Name: "cql", AsOf: now, Fields: append(fromCQL, cqlFields(cr)...)}}
	if !cr.answered && len(cr.errs) > 0 {
		srcs[0].Error = cr.errs[0]
	}

	add := func(name string, p *ntPart, fields []string) {
		s := Source{Name: name, AsOf: p.at, Fields: fields}
		if p.err != nil {
			s.Error = nodetoolMessage(p.err)
			errs = append(errs, p.err)
		}
		srcs = append(srcs, s)
	}
	if !m.status.at.IsZero() {
		add("nodetool status", &m.status, []string{"alive_peers", "dead_peers"})
		if m.status.err == nil {
			r.statusRows, r.haveRows = m.status.rows, true
		}
		if usable(&m.status, m.needInfo) {
			r.answered = r.answered || m.status.answered
		}
	}
	if usable(&m.info, m.needInfo) {
		var fields []string
		if in := m.info.info; m.info.err == nil && in != nil {
			if !r.nativeKnown {
				r.native, r.nativeKnown = in.NativeTransportActive, true
				fields = append(fields, "native_active")
			}
			if !r.gossipKnown {
				r.gossip, r.gossipKnown = in.GossipActive, true
				fields = append(fields, "gossip_active")
			}
			if r.hostID == "" {
				r.hostID = in.ID
			}
		}
		r.answered = r.answered || m.info.answered
		add("nodetool info", &m.info, fields)
	}
	if usable(&m.netstats, m.needNetstats) {
		var fields []string
		if m.netstats.err == nil && r.mode == "" {
			r.mode = m.netstats.mode
			fields = append(fields, "operation_mode")
		}
		r.answered = r.answered || m.netstats.answered
		add("nodetool netstats", &m.netstats, fields)
	}
	r.errs = nodetoolErrors(errs)
	return r, srcs
}

// nodetoolMessage is a run's error as the snapshot reports it.
func nodetoolMessage(err error) string {
	var ne *NodetoolError
	if errors.As(err, &ne) && ne.ConnectFailed() {
		return "nodetool: " + ne.Message
	}
	return "nodetool: " + strings.TrimPrefix(err.Error(), "nodetool ")
}

// nodetoolErrors reports each distinct failure once (JMX unreachable:
// every command says the same), sorted.
func nodetoolErrors(errs []error) []string {
	seen := map[string]bool{}
	var out []string
	for _, err := range errs {
		msg := nodetoolMessage(err)
		if !seen[msg] {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	sort.Strings(out)
	return out
}

// errJolokiaMode: FreshLiveness is for nodetool mode.
var errJolokiaMode = errors.New("peer liveness is read with each snapshot through Jolokia; FreshLiveness is for nodetool mode")

// FreshLiveness is peer liveness as the node's failure detector sees it,
// no older than maxAge: in nodetool mode the cached `nodetool status` if
// it is young enough, else one run now (which also refreshes the cache).
// Decisions that take nodes down use it rather than the snapshot, whose
// liveness can be NodetoolInterval old. Endpoints are address:port as in
// Snapshot.LiveEndpoints; asOf is when the status run started.
func (a *Adapter) FreshLiveness(ctx context.Context, maxAge time.Duration) (live, unreachable []string, asOf time.Time, err error) {
	if a.jmx != nil {
		return nil, nil, time.Time{}, errJolokiaMode
	}
	m := a.ntm
	m.run.Lock()
	defer m.run.Unlock()
	m.mu.Lock()
	st, port := m.status, m.port
	m.mu.Unlock()
	if !st.ok() || time.Since(st.at) > maxAge {
		ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
		defer cancel()
		st = ntPart{at: time.Now()}
		st.rows, st.err = a.nt.Status(ctx)
		st.answered = reachedJMX(st.err)
		m.mu.Lock()
		m.status = st
		m.mu.Unlock()
	}
	if st.err != nil {
		return nil, nil, st.at, fmt.Errorf("reading peer liveness: %s", nodetoolMessage(st.err))
	}
	if port == 0 {
		port = 7000
	}
	live, unreachable = statusEndpoints(st.rows, port)
	return live, unreachable, st.at, nil
}

// answeredCQLSince reports that a snapshot's CQL read the node answered
// at or after t: its native transport ran then, so it was not drained.
func (m *ntMode) answeredCQLSince(t time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.cqlOKAt.IsZero() && !m.cqlOKAt.Before(t)
}

// NodetoolMode reports that the adapter has no Jolokia agent: JMX reads
// are nodetool runs, cached (see FreshLiveness).
func (a *Adapter) NodetoolMode() bool { return a.jmx == nil }
