package failover

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/ring"
)

// Policy is a gocql.HostSelectionPolicy that routes to one active DC and
// moves to a backup DC when the active one fails, and back only when that
// is safe. Compose it as gocql.TokenAwareHostPolicy(p) and call
// p.AttachTo(cluster) (see docs/failover.md). Like every gocql policy, a
// Policy serves one session.
type Policy struct {
	cfg    config
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	timers bool // false when a test drives the clock

	plan atomic.Pointer[plan]
	rr   atomic.Uint64

	mu          sync.Mutex
	m           *machine
	hosts       map[string]*gocql.HostInfo
	session     *gocql.Session
	timer       *time.Timer
	deadline    time.Time
	settleTimer *time.Timer
	rebuilding  bool
	queue       []Switch
	dispatching bool
	closed      bool
	ctx         context.Context
	cancel      context.CancelFunc
	polling     bool
	lastPoll    time.Time
	hintsErr    string
	settingsErr string
	warned      string
}

// plan is the immutable routing snapshot Pick reads: the active DC's up
// hosts, then each other DC's, rebuilt on every event.
type plan struct {
	active string
	hosts  []*gocql.HostInfo
	ends   []int // ends[i] is the end of layer i in hosts
}

// New validates opts and returns a policy routing to opts.LocalDC.
func New(opts Options) (*Policy, error) {
	cfg, err := opts.validate()
	if err != nil {
		return nil, err
	}
	return newPolicy(opts, cfg, time.Now, true), nil
}

func newPolicy(opts Options, cfg config, now func() time.Time, timers bool) *Policy {
	p := &Policy{cfg: cfg, opts: opts, log: opts.Logger, now: now, timers: timers,
		m: newMachine(cfg), hosts: map[string]*gocql.HostInfo{}}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.plan.Store(&plan{active: cfg.local})
	return p
}

// ---- gocql.HostSelectionPolicy ----

// Init keeps the session, to read keyspace metadata (gocql calls it only
// when the policy is not wrapped: TokenAwareHostPolicy does not pass it on,
// hence AttachTo).
func (p *Policy) Init(s *gocql.Session) {
	p.mu.Lock()
	p.session = s
	p.mu.Unlock()
}

// IsLocal reports hosts of the active DC, so that TokenAwareHostPolicy
// prefers the replicas there.
func (p *Policy) IsLocal(h *gocql.HostInfo) bool {
	return h.DataCenter() == p.plan.Load().active
}

var noHost gocql.NextHost = func() gocql.SelectedHost { return nil }

// Pick returns the up hosts of the active DC in round robin, then, unless
// Options.ActiveDCOnly, those of the other DCs (healthiest first, in
// preference order), each DC in round robin.
func (p *Policy) Pick(gocql.ExecutableStatement) gocql.NextHost {
	pl := p.plan.Load()
	if len(pl.hosts) == 0 {
		return noHost
	}
	it := &iter{pl: pl, shift: p.rr.Add(1)}
	return it.next
}

type iter struct {
	pl          *plan
	shift       uint64
	layer, seen int
}

func (it *iter) next() gocql.SelectedHost {
	pl := it.pl
	for it.layer < len(pl.ends) {
		lo := 0
		if it.layer > 0 {
			lo = pl.ends[it.layer-1]
		}
		n := pl.ends[it.layer] - lo
		for it.seen < n {
			h := pl.hosts[lo+int((it.shift+uint64(it.seen))%uint64(n))]
			it.seen++
			if h.IsUp() {
				return (*selected)(h)
			}
		}
		it.layer++
		it.seen = 0
	}
	return nil
}

// selected is a picked host; gocql's own is unexported.
type selected gocql.HostInfo

func (s *selected) Info() *gocql.HostInfo { return (*gocql.HostInfo)(s) }
func (s *selected) Mark(error)            {}

// SetPartitioner records the partitioner: the lost-ranges trigger needs Murmur3Partitioner.
func (p *Policy) SetPartitioner(partitioner string) {
	p.apply(false, func(now time.Time) *Switch { return p.m.setPartitioner(now, partitioner) })
}

// AddHost records a host as up (as gocql's own policies do).
func (p *Policy) AddHost(h *gocql.HostInfo) {
	info := toHostInfo(h)
	p.apply(true, func(now time.Time) *Switch {
		p.hosts[info.ID] = h
		p.startSettle()
		return p.m.addHost(now, info)
	})
}

// RemoveHost forgets a host.
func (p *Policy) RemoveHost(h *gocql.HostInfo) {
	id := hostKey(h)
	p.apply(true, func(now time.Time) *Switch {
		delete(p.hosts, id)
		return p.m.removeHost(now, id)
	})
}

// HostUp marks a host up.
func (p *Policy) HostUp(h *gocql.HostInfo) {
	info := toHostInfo(h)
	p.apply(true, func(now time.Time) *Switch {
		if p.m.hosts[info.ID] == nil {
			p.hosts[info.ID] = h
			p.startSettle()
			return p.m.addHost(now, info)
		}
		return p.m.setUp(now, info.ID, true)
	})
}

// HostDown marks a host down.
func (p *Policy) HostDown(h *gocql.HostInfo) {
	info := toHostInfo(h)
	p.apply(true, func(now time.Time) *Switch {
		if p.m.hosts[info.ID] == nil {
			p.hosts[info.ID] = h
			p.startSettle()
			if sw := p.m.addHost(now, info); sw != nil {
				p.queue = append(p.queue, *sw)
			}
		}
		return p.m.setUp(now, info.ID, false)
	})
}

// KeyspaceChanged reads a watched keyspace's replication again (gocql calls
// it only when the policy is not wrapped; AttachTo covers the wrapped case).
func (p *Policy) KeyspaceChanged(ev gocql.KeyspaceUpdateEvent) {
	if !p.m.watched(ev.Keyspace) {
		return
	}
	if ev.Change == gocql.SchemaChangeTypeDropped {
		p.apply(false, func(now time.Time) *Switch { return p.m.dropKeyspace(now, ev.Keyspace) })
		return
	}
	p.mu.Lock()
	s := p.session
	p.mu.Unlock()
	if s != nil {
		p.loadKeyspace(s, ev.Keyspace)
	}
}

// ---- gocql listeners: see AttachTo ----

// AttachTo makes the session tell the policy what a wrapped policy is not
// told: when it is ready (to read the watched keyspaces' replication and,
// with HintWindowFromCluster, the hint settings), keyspace changes, and,
// with the error-rate trigger, every query's outcome. Listeners and
// observers already set are kept and called first.
func (p *Policy) AttachTo(cfg *gocql.ClusterConfig) {
	if old := cfg.Metadata.SessionReadyListener; old != nil {
		cfg.Metadata.SessionReadyListener = gocql.SessionReadyListenersMux{SessionReady: []gocql.SessionReadyListener{old, p}}
	} else {
		cfg.Metadata.SessionReadyListener = p
	}
	// Disabled metadata caching refuses schema listeners at CreateSession.
	if cfg.Metadata.CacheMode != gocql.Disabled && len(p.cfg.keyspaces) > 0 {
		if old := cfg.Metadata.SchemaListener.KeyspaceChangeListener; old != nil {
			cfg.Metadata.SchemaListener.KeyspaceChangeListener = gocql.SchemaListenersMux{Keyspaces: []gocql.KeyspaceChangeListener{old, p}}
		} else {
			cfg.Metadata.SchemaListener.KeyspaceChangeListener = p
		}
	}
	if p.cfg.errOn {
		if old := cfg.QueryObserver; old != nil {
			cfg.QueryObserver = queryObservers{old, p}
		} else {
			cfg.QueryObserver = p
		}
		if old := cfg.BatchObserver; old != nil {
			cfg.BatchObserver = batchObservers{old, p}
		} else {
			cfg.BatchObserver = p
		}
	}
}

type queryObservers [2]gocql.QueryObserver

func (o queryObservers) ObserveQuery(ctx context.Context, q gocql.ObservedQuery) {
	o[0].ObserveQuery(ctx, q)
	o[1].ObserveQuery(ctx, q)
}

type batchObservers [2]gocql.BatchObserver

func (o batchObservers) ObserveBatch(ctx context.Context, b gocql.ObservedBatch) {
	o[0].ObserveBatch(ctx, b)
	o[1].ObserveBatch(ctx, b)
}

// OnSessionReady (gocql.SessionReadyListener) reads the watched keyspaces
// and allows the first decision: the driver has listed its hosts.
func (p *Policy) OnSessionReady(s *gocql.Session) {
	p.mu.Lock()
	if p.session == nil {
		p.session = s
	}
	p.mu.Unlock()
	for _, k := range p.cfg.keyspaces {
		p.loadKeyspace(s, k)
	}
	if p.cfg.fromCluster {
		go p.readSettings(s)
	}
	p.apply(true, func(now time.Time) *Switch { return p.m.settle(now) })
}

// OnKeyspaceCreated (gocql.KeyspaceChangeListener).
func (p *Policy) OnKeyspaceCreated(ev gocql.OnKeyspaceCreatedEvent) { p.setKeyspaceMeta(ev.Keyspace) }

// OnKeyspaceUpdated (gocql.KeyspaceChangeListener).
func (p *Policy) OnKeyspaceUpdated(ev gocql.OnKeyspaceUpdatedEvent) { p.setKeyspaceMeta(ev.New) }

// OnKeyspaceDropped (gocql.KeyspaceChangeListener).
func (p *Policy) OnKeyspaceDropped(ev gocql.OnKeyspaceDroppedEvent) {
	if ev.Keyspace != nil {
		name := ev.Keyspace.Name
		p.apply(false, func(now time.Time) *Switch { return p.m.dropKeyspace(now, name) })
	}
}

// ObserveQuery (gocql.QueryObserver) reports each attempt's outcome for the
// error-rate trigger, against the DC of the host that ran it.
func (p *Policy) ObserveQuery(ctx context.Context, q gocql.ObservedQuery) {
	if q.Host != nil {
		p.Report(q.Host.DataCenter(), q.Err)
	}
}

// ObserveBatch (gocql.BatchObserver), as ObserveQuery.
func (p *Policy) ObserveBatch(ctx context.Context, b gocql.ObservedBatch) {
	if b.Host != nil {
		p.Report(b.Host.DataCenter(), b.Err)
	}
}

func (p *Policy) loadKeyspace(s *gocql.Session, name string) {
	meta, err := s.KeyspaceMetadata(name)
	if err != nil {
		p.apply(false, func(now time.Time) *Switch {
			return p.m.setKeyspace(now, name, ring.Replication{}, fmt.Errorf("reading its metadata: %w", err))
		})
		return
	}
	p.setKeyspaceMeta(meta)
}

func (p *Policy) setKeyspaceMeta(meta *gocql.KeyspaceMetadata) {
	if meta == nil || !p.m.watched(meta.Name) {
		return
	}
	repl := map[string]string{"class": meta.StrategyClass}
	for k, v := range meta.StrategyOptions {
		repl[k] = fmt.Sprint(v)
	}
	r, err := ring.ParseReplication(repl)
	p.apply(false, func(now time.Time) *Switch { return p.m.setKeyspace(now, meta.Name, r, err) })
}

func (p *Policy) readSettings(s *gocql.Session) {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	hs, err := ReadHintSettings(ctx, s)
	if err != nil {
		p.mu.Lock()
		p.settingsErr = err.Error()
		p.mu.Unlock()
		p.log.Warn("failover: could not read the hint settings; keeping the configured hint window", "err", err, "max_hint_window", p.cfg.window)
		return
	}
	p.apply(false, func(now time.Time) *Switch {
		p.settingsErr = ""
		return p.m.setWindow(now, hs)
	})
}

// ---- the application's hooks ----

// Report tells the error-rate trigger how a request coordinated in dc
// ended. Only errors that say something about the DC count as failures
// (see IsDCFailure); nil and answers such as a syntax error count as
// successes; a cancelled context is not counted. AttachTo reports every
// query by itself.
func (p *Policy) Report(dc string, err error) {
	if !p.cfg.errOn {
		return
	}
	counted, failed := classify(err)
	if !counted {
		return
	}
	p.mu.Lock()
	now := p.now()
	sw := p.m.report(now, dc, failed)
	p.after(now, sw, false)
	p.mu.Unlock()
	if sw != nil {
		p.dispatch()
	}
}

// SwitchBack returns to the local DC now (the seed's manual switch back),
// declaring it consistent again: repaired, or its hints delivered. It
// fails if the local DC cannot serve (it is failing a trigger).
func (p *Policy) SwitchBack() error {
	var err error
	p.apply(false, func(now time.Time) *Switch {
		var s *Switch
		s, err = p.m.switchBack(now)
		return s
	})
	return err
}

// MarkRepaired declares a DC consistent again after a repair: the
// automatic rules may route to it from now on.
func (p *Policy) MarkRepaired(dc string) error {
	var err error
	p.apply(false, func(now time.Time) *Switch {
		var s *Switch
		s, err = p.m.markRepaired(now, dc)
		return s
	})
	return err
}

// ActiveDC is the DC the policy routes to.
func (p *Policy) ActiveDC() string { return p.plan.Load().active }

// Close stops the policy's timers and background calls. Routing goes on
// with the last decision.
func (p *Policy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.cancel()
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.settleTimer != nil {
		p.settleTimer.Stop()
	}
}

// ---- plumbing ----

// apply runs f under the lock and does what every event needs afterwards.
func (p *Policy) apply(hostsChanged bool, f func(now time.Time) *Switch) {
	p.mu.Lock()
	now := p.now()
	sw := f(now)
	p.after(now, sw, hostsChanged)
	p.mu.Unlock()
	p.dispatch()
}

// after: queue the switch, rebuild the routing plan, start a range-model
// rebuild, re-arm the timer, ask for hints facts. Called with p.mu held.
func (p *Policy) after(now time.Time, sw *Switch, hostsChanged bool) {
	if sw != nil {
		p.queue = append(p.queue, *sw)
	}
	if sw != nil || hostsChanged {
		p.rebuildPlan()
		p.warn()
	}
	if p.m.needsRebuild() && !p.rebuilding {
		p.rebuilding = true
		go p.rebuildLoop()
	}
	p.maybePollHints(now)
	p.arm(now)
}

func (p *Policy) rebuildPlan() {
	order := p.m.fallbackOrder()
	if p.cfg.activeOnly {
		order = order[:1]
	}
	byDC := map[string][]string{}
	for id, hs := range p.m.hosts {
		if hs.up {
			byDC[hs.DC] = append(byDC[hs.DC], id)
		}
	}
	pl := &plan{active: p.m.active, ends: make([]int, 0, len(order))}
	for _, dc := range order {
		ids := byDC[dc]
		sort.Strings(ids)
		for _, id := range ids {
			pl.hosts = append(pl.hosts, p.hosts[id])
		}
		pl.ends = append(pl.ends, len(pl.hosts))
	}
	p.plan.Store(pl)
}

func (p *Policy) rebuildLoop() {
	for {
		p.mu.Lock()
		if !p.m.needsRebuild() {
			p.rebuilding = false
			p.mu.Unlock()
			return
		}
		in, reason := p.m.rangeInput()
		p.mu.Unlock()
		var model *rangeModel
		if reason == "" {
			model, reason = safeBuild(in)
		}
		p.mu.Lock()
		now := p.now()
		sw, ok := p.m.installModel(now, in, model, reason)
		if ok {
			p.after(now, sw, true)
		}
		p.mu.Unlock()
		p.dispatch()
	}
}

// safeBuild turns a failure, even a panic, into a reason the trigger is off.
func safeBuild(in rangeInput) (model *rangeModel, reason string) {
	defer func() {
		if r := recover(); r != nil {
			model, reason = nil, fmt.Sprintf("computing token ranges failed: %v", r)
		}
	}()
	model, err := buildRangeModel(in)
	if err != nil {
		return nil, err.Error()
	}
	return model, ""
}

// dispatch announces queued switches in order, outside the lock; a call
// made while another goroutine announces leaves its switches to it.
func (p *Policy) dispatch() {
	p.mu.Lock()
	if p.dispatching || len(p.queue) == 0 {
		p.mu.Unlock()
		return
	}
	p.dispatching = true
	for len(p.queue) > 0 {
		s := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		p.announce(s)
		p.mu.Lock()
	}
	p.dispatching = false
	p.mu.Unlock()
}

func (p *Policy) announce(s Switch) {
	attrs := []any{"from", s.From, "to", s.To, "kind", string(s.Kind), "reason", s.Reason}
	if s.Kind == KindFailover {
		p.log.Warn(fmt.Sprintf("failover: switching from data-center %s to %s", s.From, s.To), attrs...)
	} else {
		p.log.Info(fmt.Sprintf("failover: switching back from data-center %s to %s", s.From, s.To), attrs...)
	}
	if p.opts.OnSwitch != nil {
		defer func() {
			if r := recover(); r != nil {
				p.log.Error("failover: Options.OnSwitch panicked", "panic", r)
			}
		}()
		p.opts.OnSwitch(s)
	}
}

// warn logs the configuration problems once each time they change.
func (p *Policy) warn() {
	if !p.m.settled {
		return
	}
	w := p.m.warnings()
	key := strings.Join(w, "\n")
	if key == p.warned {
		return
	}
	p.warned = key
	for _, s := range w {
		p.log.Warn("failover: " + s)
	}
}

func (p *Policy) startSettle() {
	if !p.timers || p.settleTimer != nil || p.m.settled || p.closed {
		return
	}
	p.settleTimer = time.AfterFunc(p.cfg.settle, func() {
		p.apply(true, func(now time.Time) *Switch { return p.m.settle(now) })
	})
}

// arm sets the timer for the next time-driven decision.
func (p *Policy) arm(now time.Time) {
	if !p.timers || p.closed {
		return
	}
	d := p.m.nextDeadline(now)
	if p.opts.Hints != nil && len(p.m.hintsWanted()) > 0 && !p.polling {
		if t := p.lastPoll.Add(p.cfg.hintsPoll); t.After(now) && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if d.IsZero() || d.Equal(p.deadline) {
		return
	}
	p.deadline = d
	delay := max(d.Sub(now), time.Millisecond)
	if p.timer == nil {
		p.timer = time.AfterFunc(delay, p.onTimer)
	} else {
		p.timer.Reset(delay)
	}
}

// onTimer also rebuilds the plan: the passing of time reorders the other DCs.
func (p *Policy) onTimer() {
	p.apply(true, func(now time.Time) *Switch {
		p.deadline = time.Time{}
		return p.m.tick(now)
	})
}

func (p *Policy) maybePollHints(now time.Time) {
	if p.opts.Hints == nil || p.polling || p.closed {
		return
	}
	wanted := p.m.hintsWanted()
	if len(wanted) == 0 || !p.lastPoll.IsZero() && now.Sub(p.lastPoll) < p.cfg.hintsPoll {
		return
	}
	p.polling, p.lastPoll = true, now
	go p.pollHints(wanted)
}

func (p *Policy) pollHints(dcs []string) {
	var errs []string
	for _, dc := range dcs {
		ctx, cancel := context.WithTimeout(p.ctx, min(p.cfg.hintsPoll, 10*time.Second))
		st, err := p.opts.Hints(ctx, dc)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", dc, err))
			continue
		}
		p.apply(false, func(now time.Time) *Switch { return p.m.setHints(now, dc, st) })
	}
	p.mu.Lock()
	p.polling = false
	p.hintsErr = strings.Join(errs, "; ")
	p.arm(p.now())
	p.mu.Unlock()
}

// hostKey identifies a host: its host ID, else its address.
func hostKey(h *gocql.HostInfo) string {
	if id := h.HostID(); id != "" {
		return id
	}
	return h.ConnectAddress().String()
}

// toHostInfo reads what the machine needs from a gocql host. Tokens that
// are not Murmur3 tokens are left out (the partitioner check says why).
func toHostInfo(h *gocql.HostInfo) hostInfo {
	info := hostInfo{ID: hostKey(h), DC: h.DataCenter(), Rack: h.Rack()}
	toks := h.Tokens()
	if len(toks) == 0 {
		return info
	}
	ts := make([]ring.Token, 0, len(toks))
	for _, s := range toks {
		t, err := ring.ParseToken(s)
		if err != nil {
			return info
		}
		ts = append(ts, t)
	}
	slices.Sort(ts)
	info.Tokens = ts
	return info
}
