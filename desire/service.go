package desire

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/store"
)

// Scope names the one current desire row (store.current_desires).
const clusterScope = "cluster"

// Store is what the service needs of package store.
type Store interface {
	Ensure(ctx context.Context, nodesPerDC map[string]int) error
	Current(ctx context.Context, scope string) (*store.Record, error)
	Poll(ctx context.Context, scope string) (*store.Record, error)
	Desire(ctx context.Context, id string) (*store.Record, error)
	Create(ctx context.Context, scope, id string, doc []byte, replace func(*store.Record) bool) (*store.Record, bool, error)
	Update(ctx context.Context, id string, version int64, doc []byte) (bool, error)
	Lease(ctx context.Context, desireID, hostID string) (string, error)
	Acquire(ctx context.Context, desireID, hostID, owner string, ttl time.Duration) (string, error)
	Renew(ctx context.Context, desireID, hostID, owner string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, desireID, hostID, owner string) error
	SetStep(ctx context.Context, desireID, hostID, step string) error
	Steps(ctx context.Context, desireID string) (map[string]string, error)
}

// Local is the sidecar's own node.
type Local interface {
	// Snapshot is the sidecar's latest view of the node and the ring.
	Snapshot() *node.Snapshot
	// StartTime is the Cassandra process's start time (JMX Runtime).
	StartTime(ctx context.Context) (time.Time, error)
	// View is this node's own view; Views are the node views of every
	// peer sidecar that answers, and this node's own.
	View(ctx context.Context) View
	// Views are the views of the peers with the given host ids (all
	// peers for nil) whose sidecars answer, and this node's own.
	Views(ctx context.Context, peers []string) []View
	// Fresh is Snapshot with peer liveness read now: a claim decides on it.
	Fresh(ctx context.Context) (*node.Snapshot, error)
	// Identity is this node's host id as last seen (empty if never) and
	// its native address:port, for when the node is down.
	Identity() (hostID, native string)
}

// Action is what a desire does to one node: pluggable, so that an upgrade
// can reuse the engine.
type Action interface {
	// Needed says, from facts about the node, whether it still needs the
	// action (a restart: its process started before older_than).
	Needed(ctx context.Context, d *Desire, l Local) (bool, time.Time, error)
	// Run does it: stop (fail health, drain, stop) and start, blocking
	// until the node is healthy. resume: a previous owner may have done
	// part of it already.
	Run(ctx context.Context, d *Desire, l Local, resume bool, step func(string)) error
}

// Config tunes the service.
type Config struct {
	// Owner names this sidecar process in leases; unique per process.
	Owner string
	// Interval between reconciliations.
	Interval time.Duration
	// LeaseTTL of a node's lease; renewed every third of it.
	LeaseTTL time.Duration
	// RestartTimeout: a node not back and healthy within it blocks the desire.
	RestartTimeout time.Duration
	// GateTimeout: a restarted node not accepted by its peers within it
	// (UN everywhere, schema agreed, hints delivered) blocks the desire;
	// so does a wave that cannot be planned or claimed for as long.
	GateTimeout time.Duration
	// RestartEstimate is the time per wave assumed before one is measured.
	RestartEstimate time.Duration
	// ExpireAfter: a desire not done this long after its by expires.
	ExpireAfter time.Duration
	// Health is the sidecar's health configuration (its levels are the default).
	Health health.Config
	Log    *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.RestartTimeout <= 0 {
		c.RestartTimeout = 10 * time.Minute
	}
	if c.GateTimeout <= 0 {
		c.GateTimeout = 10 * time.Minute
	}
	if c.RestartEstimate <= 0 {
		c.RestartEstimate = 3 * time.Minute
	}
	if c.ExpireAfter <= 0 {
		c.ExpireAfter = 24 * time.Hour
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Owner == "" {
		c.Owner = NewOwner("")
	}
}

// NewOwner is a lease owner name unique to this process.
func NewOwner(host string) string {
	b := make([]byte, 6)
	rand.Read(b)
	if host == "" {
		return hex.EncodeToString(b)
	}
	return host + "/" + hex.EncodeToString(b)
}

// Service serves the API and reconciles this sidecar's node.
type Service struct {
	cfg    Config
	st     Store
	local  Local
	action Action
	m      *Metrics

	mu      sync.Mutex
	working string    // desire id whose node work runs now
	waiting string    // why this node is not claimed yet (logged on change)
	since   time.Time // since when that reason holds
	ensured bool
}

// New builds a service.
func New(cfg Config, st Store, local Local, action Action) *Service {
	cfg.defaults()
	if action == nil {
		action = Restart{}
	}
	return &Service{cfg: cfg, st: st, local: local, action: action, m: newMetrics()}
}

// Metrics are the service's Prometheus collectors.
func (s *Service) Metrics() *Metrics { return s.m }

func (s *Service) now() time.Time { return s.cfg.Now() }

func (s *Service) log() *slog.Logger { return s.cfg.Log }

// ensure creates the ringside keyspace once per process.
func (s *Service) ensure(ctx context.Context, snap *node.Snapshot) error {
	s.mu.Lock()
	done := s.ensured
	s.mu.Unlock()
	if done {
		return nil
	}
	per := map[string]int{}
	for _, m := range members(snap) {
		per[m.DC]++
	}
	if err := s.st.Ensure(ctx, per); err != nil {
		return err
	}
	s.mu.Lock()
	s.ensured = true
	s.mu.Unlock()
	return nil
}

// Errors the API maps to status codes.
var (
	ErrNoRing   = errors.New("no view of the ring yet (is Cassandra answering CQL?)")
	ErrNoDesire = errors.New("no cluster desire")
)

// ConflictError is a 409.
type ConflictError struct {
	Msg       string
	Keyspaces []string
	Desire    *Desire
}

func (e *ConflictError) Error() string { return e.Msg }

// Current is the current desire (nil when there is none).
func (s *Service) Current(ctx context.Context) (*Desire, error) {
	d, err := s.current(ctx)
	if err != nil || d == nil {
		return d, err
	}
	// The steps of nodes being restarted are noted beside the desire.
	steps, err := s.st.Steps(ctx, d.ID)
	if err != nil {
		s.log().Debug("cluster desire: reading steps", "err", err)
	}
	for h, st := range steps {
		if n := d.Nodes[h]; n != nil && n.State == NodeStopped && st != "" {
			n.Step = st
		}
	}
	return d, nil
}

func (s *Service) current(ctx context.Context) (*Desire, error) {
	rec, err := s.st.Current(ctx, clusterScope)
	if err != nil || rec == nil {
		return nil, err
	}
	return decode(rec.Doc)
}

// Post validates and plans a request and stores it as the cluster's
// desire (unless it is a dry run). The same request twice is one desire;
// another while one is unfinished is a ConflictError.
func (s *Service) Post(ctx context.Context, body []byte) (*Desire, error) {
	now := s.now()
	r, err := ParseRequest(body)
	if err != nil {
		return nil, err
	}
	levels := s.cfg.Health.ConsistencyLevels
	if len(levels) == 0 {
		levels = health.DefaultConsistencyLevels
	}
	if err := r.validate(now, levels); err != nil {
		return nil, err
	}
	snap := s.local.Snapshot()
	if snap == nil || snap.HostID == "" {
		return nil, ErrNoRing
	}
	hc := s.cfg.Health
	hc.ConsistencyLevels = r.ConsistencyLevels
	if err := hc.Validate(); err != nil {
		return nil, &FieldError{"consistency_levels", strings.TrimPrefix(err.Error(), "health: ")}
	}
	if bad, err := health.Unmeetable(snap, hc); err != nil {
		return nil, err
	} else if len(bad) > 0 {
		return nil, &FieldError{"consistency_levels", "cannot be met even with every node up: " + strings.Join(bad, "; ")}
	}
	in, scope, err := resolveScope(members(snap), r)
	if err != nil {
		return nil, err
	}
	older := now
	if r.OlderThan != nil {
		older = r.OlderThan.Time
	}
	d := &Desire{By: int64(*r.By), Type: r.Type, State: Pending, Created: now, OlderThan: older, Scope: scope,
		ConsistencyLevels: r.ConsistencyLevels, Force: r.Force, Wave: -1, Nodes: map[string]*Node{},
		Request: r.canonical()}
	if r.MaxParallel != nil {
		d.MaxParallel = int(*r.MaxParallel)
	}
	var hosts []string
	for _, m := range in {
		hosts = append(hosts, m.HostID)
		d.Nodes[m.HostID] = &Node{HostID: m.HostID, Endpoint: m.Endpoint, Native: m.Native, DC: m.DC, Rack: m.Rack, State: NodeRunning, Wave: -1}
	}
	// Whether a safe restart exists at all is judged with every node up:
	// a node down now is a reason to wait, not to refuse. The waves are
	// planned again from the ring as it is before each one.
	whole := *snap
	whole.UnreachableEndpoints = nil
	p := newPlanner(&whole, s.cfg.Health, d.ConsistencyLevels)
	par, waves, _, err := p.pace(hosts, d.MaxParallel, time.Unix(d.By, 0).Sub(now), s.cfg.RestartEstimate)
	if err != nil {
		var pe *ring.PlanError
		if errors.As(err, &pe) && !r.Force {
			return nil, &ConflictError{Msg: "the restart cannot be done safely: " + err.Error() + "; lower consistency_levels, raise the keyspace's replication, or add \"force\": true to restart those nodes one at a time anyway", Keyspaces: []string{strings.SplitN(pe.Keyspace, "@", 2)[0]}}
		}
		if !r.Force {
			return nil, err
		}
		// force: one node at a time, availability not kept.
		par, waves = 1, nil
		for _, h := range hosts {
			waves = append(waves, []string{h})
		}
	}
	d.Parallelism, d.Waves = par, waves
	if r.DryRun {
		d.ID = "dry-run"
		return d, nil
	}
	if err := s.ensure(ctx, snap); err != nil {
		return nil, err
	}
	d.ID = newID(now)
	d.Updated, d.Writer = now, s.cfg.Owner
	cur, won, err := s.st.Create(ctx, clusterScope, d.ID, d.encode(), func(old *store.Record) bool {
		od, err := decode(old.Doc)
		return err == nil && od.State.Ended()
	})
	if err != nil {
		return nil, err
	}
	got, err := decode(cur.Doc)
	if err != nil {
		return nil, err
	}
	if won {
		s.log().Info("cluster desire created", "desire", got.ID, "type", got.Type, "nodes", len(got.Nodes), "waves", len(got.Waves), "parallelism", got.Parallelism)
		s.m.transition(got)
		return got, nil
	}
	if string(got.Request) == string(d.Request) {
		return got, nil // the same POST again: the same desire
	}
	return nil, &ConflictError{Msg: fmt.Sprintf("cluster desire %s is %s; cancel it (POST /v1/desires/cluster/cancel) before asking for another", got.ID, got.State), Desire: got}
}

func newID(now time.Time) string {
	b := make([]byte, 4)
	rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// mutate applies f to the stored desire id and writes it back by CAS on
// its version, re-reading and re-applying on conflict. f returns false to
// write nothing.
func (s *Service) mutate(ctx context.Context, id string, f func(d *Desire) (bool, error)) (*Desire, bool, error) {
	return s.mutateFrom(ctx, id, nil, f)
}

// mutateFrom is mutate whose first attempt starts from base (a record a
// poll read) rather than a SERIAL read: the CAS on its version is what
// decides, so a stale base costs one failed CAS, and a current one saves
// a Paxos round on the row every sidecar contends for.
func (s *Service) mutateFrom(ctx context.Context, id string, base *store.Record, f func(d *Desire) (bool, error)) (*Desire, bool, error) {
	for attempt := 0; ; attempt++ {
		rec, err := base, error(nil)
		if rec == nil || rec.ID != id {
			rec, err = s.st.Desire(ctx, id)
		}
		base = nil
		if err != nil {
			return nil, false, err
		}
		if rec == nil {
			return nil, false, ErrNoDesire
		}
		d, err := decode(rec.Doc)
		if err != nil {
			return nil, false, err
		}
		before := d.State
		ok, err := f(d)
		if err != nil || !ok {
			return d, false, err
		}
		d.Updated, d.Writer = s.now(), s.cfg.Owner
		applied, err := s.st.Update(ctx, id, rec.Version, d.encode())
		if err != nil {
			return nil, false, err
		}
		if applied {
			if d.State != before {
				s.log().Info("cluster desire state", "desire", d.ID, "from", before, "to", d.State, "reason", d.Reason)
			}
			s.m.transition(d)
			return d, true, nil
		}
		if attempt >= 50 {
			return nil, false, errors.New("desire: too much contention on the desire's row")
		}
		// Contention: back off with jitter (Paxos rounds collide otherwise).
		wait := time.Duration(mrand.Int64N(int64(20*time.Millisecond)*int64(min(attempt+1, 10)))) + 5*time.Millisecond
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Control pauses, resumes or cancels the current desire.
func (s *Service) Control(ctx context.Context, op string) (*Desire, error) {
	cur, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, ErrNoDesire
	}
	d, _, err := s.mutate(ctx, cur.ID, func(d *Desire) (bool, error) {
		if d.State.Ended() {
			return false, &ConflictError{Msg: fmt.Sprintf("desire %s has ended (%s)", d.ID, d.State), Desire: d}
		}
		switch op {
		case "pause":
			if d.State == Paused {
				return false, nil
			}
			d.State, d.Reason = Paused, "paused by an operator"
		case "resume":
			if d.State != Paused && d.State != Blocked {
				return false, nil
			}
			d.State, d.Reason = Running, ""
			if d.Wave < 0 {
				d.State = Pending
			}
			d.Resumed = s.now()
			for _, n := range d.Nodes {
				if n.State == NodeFailed {
					// Retried: its sidecar takes it over and checks it first.
					n.State, n.Owner, n.Error = NodeStopped, "", ""
				}
			}
		case "cancel":
			d.State, d.Reason, d.Ended = Cancelled, "cancelled by an operator", s.now()
		default:
			return false, fmt.Errorf("unknown operation %q", op)
		}
		return true, nil
	})
	return d, err
}

// Run reconciles until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log().Debug("cluster desire reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reconcile is one pass: this node's part, then the cluster's
// housekeeping (next wave, done, blocked, expired).
func (s *Service) Reconcile(ctx context.Context) error {
	rec, err := s.st.Poll(ctx, clusterScope)
	if err != nil || rec == nil {
		return err
	}
	d, err := decode(rec.Doc)
	if err != nil {
		return err
	}
	d.rec = rec
	s.m.observe(d, s.now())
	if d.State.Ended() {
		return nil
	}
	snap := s.local.Snapshot()
	ring := snap != nil && snap.HostID != ""
	host := ""
	if ring {
		host = snap.HostID
	} else {
		host = s.findSelf(d)
	}
	if host != "" {
		if err := s.reconcileNode(ctx, d, host, snap); err != nil {
			s.log().Debug("node reconcile", "desire", d.ID, "err", err)
		}
	}
	if !ring {
		// This node is down: its sidecar can still finish its own part
		// (start it), but has no view to judge the cluster on.
		return nil
	}
	return s.housekeep(ctx, d, snap)
}

// findSelf finds this node's record while the node cannot say who it is
// (it is down): by the last host id it gave, or by its native address.
func (s *Service) findSelf(d *Desire) string {
	id, native := s.local.Identity()
	if id != "" && d.Nodes[id] != nil {
		return id
	}
	for h, n := range d.Nodes {
		if native != "" && n.Native == native {
			return h
		}
	}
	return ""
}

func (s *Service) isWorking(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.working == id
}

func (s *Service) wait(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting != why {
		s.waiting, s.since = why, s.now()
		if why != "" {
			s.log().Info("cluster desire: this node waits", "why", why)
		}
	}
}

// reconcileNode does this node's part.
func (s *Service) reconcileNode(ctx context.Context, d *Desire, host string, snap *node.Snapshot) error {
	me := d.Nodes[host]
	if me == nil || s.isWorking(d.ID) {
		return nil
	}
	switch {
	case me.State == NodeStopped:
		// Claimed earlier by a process that is gone (or by us before a
		// restart of this sidecar): take it over once its lease is free.
		holder, err := s.st.Lease(ctx, d.ID, me.HostID)
		if err != nil {
			return err
		}
		if holder != "" && holder != s.cfg.Owner {
			s.wait("waiting for the lease of " + holder + " to expire")
			return nil
		}
		if got, err := s.st.Acquire(ctx, d.ID, me.HostID, s.cfg.Owner, s.cfg.LeaseTTL); err != nil || got != s.cfg.Owner {
			return err
		}
		_, ok, err := s.mutate(ctx, d.ID, func(d *Desire) (bool, error) {
			n := d.Nodes[me.HostID]
			if n.State != NodeStopped || d.State.Ended() {
				return false, nil
			}
			n.Owner, n.Step = s.cfg.Owner, "taken over"
			return true, nil
		})
		if err != nil || !ok {
			s.st.Release(ctx, d.ID, me.HostID, s.cfg.Owner)
			return err
		}
		s.log().Info("cluster desire: taking over this node's restart", "desire", d.ID, "previous_owner", me.Owner)
		s.startWork(d, me.HostID, true)
	case me.State == NodeRunning && d.State == Running && slices.Contains(d.current(), me.HostID):
		if snap == nil || snap.HostID == "" {
			s.wait("the node is down and was not stopped by ringside")
			return nil
		}
		return s.claim(ctx, d, me, snap)
	}
	return nil
}

// claim checks the facts and the budget and claims this node's slot.
func (s *Service) claim(ctx context.Context, d *Desire, me *Node, snap *node.Snapshot) error {
	needed, started, err := s.action.Needed(ctx, d, s.local)
	if err != nil {
		s.wait("cannot tell whether the node needs it: " + err.Error())
		return nil
	}
	if !needed {
		_, _, err := s.mutate(ctx, d.ID, func(d *Desire) (bool, error) {
			n := d.Nodes[me.HostID]
			if n.State != NodeRunning {
				return false, nil
			}
			n.State, n.Skipped, n.Restarted, n.Finished, n.Wave = NodeDone, true, started, s.now(), d.Wave
			return true, nil
		})
		if err == nil {
			s.log().Info("cluster desire: node already newer than older_than", "desire", d.ID, "process_started", started)
		}
		return err
	}
	var inFlight []string
	for _, n := range d.inFlight() {
		inFlight = append(inFlight, n.HostID)
	}
	if d.Parallelism > 0 && len(inFlight) >= d.Parallelism {
		s.wait(fmt.Sprintf("%d node(s) restarting, parallelism %d", len(inFlight), d.Parallelism))
		return nil
	}
	fresh, err := s.local.Fresh(ctx)
	if err != nil {
		s.wait("cannot read peer liveness: " + err.Error())
		return nil
	}
	p := newPlanner(fresh, s.cfg.Health, d.ConsistencyLevels)
	if err := p.safe(me.HostID, inFlight); err != nil && !d.Force {
		s.wait("not safe now: " + err.Error())
		return nil
	}
	if got, err := s.st.Acquire(ctx, d.ID, me.HostID, s.cfg.Owner, s.cfg.LeaseTTL); err != nil {
		return err
	} else if got != s.cfg.Owner {
		s.wait("lease held by " + got)
		return nil
	}
	_, ok, err := s.mutateFrom(ctx, d.ID, d.rec, func(nd *Desire) (bool, error) {
		n := nd.Nodes[me.HostID]
		if nd.State != Running || n.State != NodeRunning || nd.Wave != d.Wave {
			return false, nil
		}
		// The budget was judged on one set of nodes in flight; if
		// another sidecar claimed meanwhile, judge again on the set this
		// write is conditional on (pure: the liveness read above stands),
		// so that a wave's claims do not queue behind one another.
		var now []string
		for _, x := range nd.inFlight() {
			now = append(now, x.HostID)
		}
		if !slices.Equal(now, inFlight) {
			if nd.Parallelism > 0 && len(now) >= nd.Parallelism {
				return false, nil
			}
			if err := p.safe(me.HostID, now); err != nil && !nd.Force {
				return false, nil
			}
		}
		n.State, n.Owner, n.Claimed, n.Wave, n.Step, n.Error = NodeStopped, s.cfg.Owner, s.now(), nd.Wave, "stopping", ""
		return true, nil
	})
	if err != nil || !ok {
		s.st.Release(ctx, d.ID, me.HostID, s.cfg.Owner)
		return err
	}
	s.wait("")
	s.log().Info("cluster desire: restarting this node", "desire", d.ID, "wave", d.Wave, "in_flight", len(inFlight)+1)
	s.startWork(d, me.HostID, false)
	return nil
}

// startWork runs the action on this node in the background, holding the lease.
func (s *Service) startWork(d *Desire, host string, resume bool) {
	s.mu.Lock()
	s.working = d.ID
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			s.working = ""
			s.mu.Unlock()
		}()
		s.work(context.Background(), d.clone(), host, resume)
	}()
}

func (s *Service) work(ctx context.Context, d *Desire, host string, resume bool) {
	lctx, stopRenew := context.WithCancel(ctx)
	defer stopRenew()
	go func() {
		t := time.NewTicker(s.cfg.LeaseTTL / 3)
		defer t.Stop()
		lost := false
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
			}
			ok, err := s.st.Renew(lctx, d.ID, host, s.cfg.Owner, s.cfg.LeaseTTL)
			if err != nil || ok {
				lost = false
				continue
			}
			// Expired while renewals failed (the store unreachable
			// for longer than the TTL): take it again if it is free.
			// Only this node's own sidecar ever works on it, so a
			// free lease means nobody else has acted.
			got, err := s.st.Acquire(lctx, d.ID, host, s.cfg.Owner, s.cfg.LeaseTTL)
			if err == nil && got != s.cfg.Owner && !lost {
				s.log().Warn("cluster desire: lost this node's lease", "desire", d.ID, "holder", got)
			}
			lost = err == nil && got != s.cfg.Owner
		}
	}()
	defer s.st.Release(context.Background(), d.ID, host, s.cfg.Owner)
	// Progress goes beside the desire (store.SetStep), not into its row.
	last := ""
	step := func(st string) {
		if st == last {
			return
		}
		last = st
		if err := s.st.SetStep(ctx, d.ID, host, st); err != nil {
			s.log().Debug("cluster desire: noting a step", "step", st, "err", err)
		}
	}
	fail := func(why string) {
		s.mutate(ctx, d.ID, func(d *Desire) (bool, error) {
			n := d.Nodes[host]
			if n.State != NodeStopped || n.Owner != s.cfg.Owner {
				return false, nil
			}
			n.State, n.Error, n.Step = NodeFailed, why, ""
			if !d.State.Ended() {
				d.State, d.Reason = Blocked, fmt.Sprintf("node %s (%s): %s", n.Endpoint, host, why)
			}
			return true, nil
		})
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.RestartTimeout)
	err := s.action.Run(rctx, d, s.local, resume, step)
	cancel()
	var refused *RefusedError
	if errors.As(err, &refused) && s.changedSinceClaim(ctx, d.ID, host) {
		s.unclaim(ctx, d, host, refused.Error())
		return
	}
	if err != nil {
		fail(fmt.Sprintf("did not come back within %s: %v", s.cfg.RestartTimeout, err))
		return
	}
	started, err := s.local.StartTime(ctx)
	if err != nil {
		fail("restarted but its process start time cannot be read: " + err.Error())
		return
	}
	step("gating")
	deadline := s.now().Add(s.cfg.GateTimeout)
	g := &gate{l: s.local, host: host}
	said, noted := "", time.Time{}
	for {
		why := g.problem(ctx)
		if why != said && why != "" {
			s.log().Info("cluster desire: waiting for the cluster to accept this node", "desire", d.ID, "why", why)
			if time.Since(noted) >= time.Second {
				step("gating: " + why)
				noted = time.Now()
			}
		}
		said = why
		if why == "" {
			break
		}
		if s.now().After(deadline) {
			fail(fmt.Sprintf("restarted, but not accepted within %s: %s", s.cfg.GateTimeout, why))
			return
		}
		time.Sleep(s.cfg.Interval / 2)
	}
	_, ok, err := s.mutate(ctx, d.ID, func(d *Desire) (bool, error) {
		n := d.Nodes[host]
		if n.State != NodeStopped || n.Owner != s.cfg.Owner {
			return false, nil
		}
		n.State, n.Restarted, n.Finished, n.Step = NodeDone, started, s.now(), ""
		return true, nil
	})
	if err == nil && ok {
		s.log().Info("cluster desire: node restarted and accepted", "desire", d.ID, "process_started", started)
	}
}

// housekeep moves the desire on: first wave, next wave, done, blocked on
// a stuck node, expired. Any sidecar may; the CAS lets one win.
func (s *Service) housekeep(ctx context.Context, d *Desire, snap *node.Snapshot) error {
	now := s.now()
	if now.After(time.Unix(d.By, 0).Add(s.cfg.ExpireAfter)) {
		_, _, err := s.mutate(ctx, d.ID, func(d *Desire) (bool, error) {
			if d.State.Ended() || len(d.inFlight()) > 0 {
				return false, nil
			}
			d.State, d.Reason, d.Ended = Expired, fmt.Sprintf("not done %s after its by", s.cfg.ExpireAfter), now
			return true, nil
		})
		return err
	}
	if d.State != Running && d.State != Pending {
		return nil
	}
	cur := d.current()
	waveDone := true
	for _, h := range cur {
		if st := d.Nodes[h].State; st != NodeDone {
			waveDone = false
		}
	}
	since := later(d.WaveStarted, d.Resumed)
	if waveDone && d.State == Running && !slices.Contains(cur, snap.HostID) {
		// The wave's own sidecars plan the next one; the rest (on a
		// 60-node ring, 50 planners racing for one CAS) only step in
		// when none of them has within two passes.
		var last time.Time
		for _, h := range cur {
			last = later(last, d.Nodes[h].Finished)
		}
		if now.Sub(last) < 2*s.cfg.Interval {
			return nil
		}
	}
	if waveDone || d.State == Pending {
		return s.nextWave(ctx, d, snap, since)
	}
	// Stuck: an unclaimed node, or one whose restart outlived its timeout
	// with nobody holding its lease.
	for _, h := range cur {
		n := d.Nodes[h]
		switch n.State {
		case NodeRunning:
			if now.Sub(since) > s.cfg.GateTimeout+s.cfg.RestartTimeout {
				return s.block(ctx, d, fmt.Sprintf("node %s (%s) was not restarted within %s of its wave starting (is its sidecar running? is it safe to stop?)", n.Endpoint, h, s.cfg.GateTimeout+s.cfg.RestartTimeout))
			}
		case NodeStopped:
			if now.Sub(later(n.Claimed, since)) > s.cfg.RestartTimeout+s.cfg.GateTimeout+s.cfg.LeaseTTL {
				holder, err := s.st.Lease(ctx, d.ID, h)
				if err != nil {
					return err
				}
				if holder == "" {
					return s.block(ctx, d, fmt.Sprintf("node %s (%s): restart not finished within %s and no sidecar holds its lease", n.Endpoint, h, s.cfg.RestartTimeout+s.cfg.GateTimeout))
				}
			}
		}
	}
	return nil
}

// changedSinceClaim: the claim's own judgement, made again now, says no
// too: the ring changed since (a peer died). Otherwise the guard and the
// desire disagree (e.g. its consistency_levels are below the sidecar's
// health levels), which waiting would not cure: the node fails instead.
func (s *Service) changedSinceClaim(ctx context.Context, id, host string) bool {
	rec, err := s.st.Desire(ctx, id)
	if err != nil || rec == nil {
		return false
	}
	d, err := decode(rec.Doc)
	if err != nil {
		return false
	}
	fresh, err := s.local.Fresh(ctx)
	if err != nil {
		return false
	}
	var others []string
	for _, n := range d.inFlight() {
		if n.HostID != host {
			others = append(others, n.HostID)
		}
	}
	return newPlanner(fresh, s.cfg.Health, d.ConsistencyLevels).safe(host, others) != nil
}

// unclaim gives the node's slot back: its stop was refused before
// anything was done to it, so it is still to restart, and its claim is
// judged again on the ring as it is then.
func (s *Service) unclaim(ctx context.Context, d *Desire, host, why string) {
	_, ok, err := s.mutate(ctx, d.ID, func(d *Desire) (bool, error) {
		n := d.Nodes[host]
		if n.State != NodeStopped || n.Owner != s.cfg.Owner {
			return false, nil
		}
		n.State, n.Owner, n.Claimed, n.Wave, n.Step, n.Error = NodeRunning, "", time.Time{}, -1, "", ""
		return true, nil
	})
	if err == nil && ok {
		s.log().Warn("cluster desire: the stop was refused; the slot is given back", "desire", d.ID, "why", why)
		s.wait("stop refused: " + why)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (s *Service) block(ctx context.Context, d *Desire, why string) error {
	_, _, err := s.mutate(ctx, d.ID, func(nd *Desire) (bool, error) {
		if nd.State != Running && nd.State != Pending || nd.Wave != d.Wave {
			return false, nil
		}
		nd.State, nd.Reason = Blocked, why
		return true, nil
	})
	return err
}

// nextWave re-plans the remaining nodes on the ring as it is now and
// starts the first wave of that plan.
func (s *Service) nextWave(ctx context.Context, d *Desire, snap *node.Snapshot, since time.Time) error {
	now := s.now()
	rem := d.remaining()
	var inFlight []string
	for _, n := range d.inFlight() {
		inFlight = append(inFlight, n.HostID)
	}
	var waves [][]string
	var why string
	if len(rem) > 0 {
		p := newPlanner(snap, s.cfg.Health, d.ConsistencyLevels)
		w, _, down, err := p.plan(rem, inFlight, d.Parallelism)
		switch {
		case err != nil && d.Force:
			for _, h := range rem {
				waves = append(waves, []string{h})
			}
		case err != nil:
			why = "cannot plan the next wave safely: " + err.Error()
		case len(w) == 0 && len(down) > 0:
			why = fmt.Sprintf("%d node(s) still to restart are down (not by ringside): %s", len(down), strings.Join(down, ", "))
		default:
			waves = w
		}
	}
	if why != "" {
		if now.Sub(later(since, d.Created)) > s.cfg.GateTimeout {
			return s.block(ctx, d, why)
		}
		s.wait(why)
		return nil
	}
	_, _, err := s.mutateFrom(ctx, d.ID, d.rec, func(nd *Desire) (bool, error) {
		if nd.Wave != d.Wave || (nd.State != Running && nd.State != Pending) {
			return false, nil
		}
		if nd.Wave >= 0 && !nd.WaveStarted.IsZero() {
			nd.WaveSeconds = append(nd.WaveSeconds, now.Sub(nd.WaveStarted).Seconds())
		}
		if len(waves) == 0 {
			nd.State, nd.Ended, nd.Reason = Done, now, ""
			if nd.count(NodeFailed) > 0 {
				nd.Reason = "some nodes failed"
			}
			nd.Waves = nd.Waves[:max(nd.Wave+1, 0)]
			return true, nil
		}
		nd.State = Running
		nd.Wave++
		nd.Waves = append(nd.Waves[:nd.Wave], waves...)
		nd.WaveStarted = now
		return true, nil
	})
	return err
}
