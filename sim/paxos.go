package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

// Lightweight transactions as Cassandra 4.1 runs them with its default
// paxos_variant v1: StorageProxy.legacyCas/doPaxos, beginAndRepairPaxos,
// proposePaxos, commitPaxos and legacyReadWithPaxos, with each replica's
// state kept as PaxosState/SystemKeyspace (system.paxos) keep it. Every
// message goes through the cluster's reachability, so contention and faults
// produce Cassandra's outcomes rather than a lock's.

// paxosCommit is service/paxos/Commit: a ballot and the update (nil: empty).
type paxosCommit struct {
	ballot int64 // the ballot's unix micros; nowMicros makes them unique
	muts   []*mutation
}

func (c *paxosCommit) empty() bool { return c == nil || len(c.muts) == 0 }

// paxosReplica is one replica's system.paxos row for one partition:
// in_progress_ballot (promised), proposal/proposal_ballot (accepted) and
// most_recent_commit/most_recent_commit_at (mrc).
type paxosReplica struct {
	promised int64
	accepted *paxosCommit
	mrc      *paxosCommit
}

// paxosStates holds every replica's Paxos state, keyed by node and
// partition. It lives on the cluster, not the node process, so it survives
// kill and restart as system.paxos does on disk.
type paxosStates struct {
	mu sync.Mutex
	m  map[paxosKey]*paxosReplica
}

type paxosKey struct {
	n    *Node
	part string
}

func (s *paxosStates) get(n *Node, part string) *paxosReplica {
	if s.m == nil {
		s.m = map[paxosKey]*paxosReplica{}
	}
	st := s.m[paxosKey{n, part}]
	if st == nil {
		st = &paxosReplica{}
		s.m[paxosKey{n, part}] = st
	}
	return st
}

type prepareResp struct {
	n        *Node
	promised bool
	accepted *paxosCommit
	mrc      *paxosCommit
}

// prepare is PaxosState.legacyPrepare: promise a ballot above any promised.
// The coordinator sends to all replicas at once: one broadcast is atomic
// here, so only faults (not mere interleaving) split a round's replies.
func (s *paxosStates) prepare(ns []*Node, part string, b int64) []prepareResp {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]prepareResp, len(ns))
	for i, n := range ns {
		out[i] = s.prepareLocked(n, part, b)
	}
	return out
}

func (s *paxosStates) prepareLocked(n *Node, part string, b int64) prepareResp {
	st := s.get(n, part)
	if b <= st.promised {
		return prepareResp{n: n, promised: false}
	}
	st.promised = b
	return prepareResp{n: n, promised: true, accepted: st.accepted, mrc: st.mrc}
}

// propose is PaxosState.legacyPropose: accept unless a higher ballot was
// promised; it returns the acceptors among ns (one atomic broadcast).
func (s *paxosStates) propose(ns []*Node, part string, c *paxosCommit) []*Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Node
	for _, n := range ns {
		if s.proposeLocked(n, part, c) {
			out = append(out, n)
		}
	}
	return out
}

func (s *paxosStates) proposeLocked(n *Node, part string, c *paxosCommit) bool {
	st := s.get(n, part)
	if c.ballot < st.promised {
		return false
	}
	st.promised, st.accepted = c.ballot, c
	return true
}

// commit is PaxosState.legacyCommit: apply the update and record it as the
// most recent commit; savePaxosCommit clears the proposal with the commit's
// timestamp, so only a proposal no newer than the commit goes.
func (s *paxosStates) commit(n *Node, part string, c *paxosCommit) {
	for _, m := range c.muts {
		n.store.apply(m)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(n, part)
	if st.mrc == nil || c.ballot > st.mrc.ballot {
		st.mrc = c
	}
	if st.accepted != nil && st.accepted.ballot <= c.ballot {
		st.accepted = nil
	}
}

func ballotOf(c *paxosCommit) int64 {
	if c == nil {
		return 0
	}
	return c.ballot
}

// paxosRound is one coordinator's view of a partition's Paxos instance.
type paxosRound struct {
	x           *execCtx
	ks          *schema.Keyspace
	part        string
	serial      native.Consistency
	tok         int64
	replayCL    native.Consistency // commit level of repaired rounds
	live        []*Node            // contacts: the replicas the coordinator sees up
	blockFor    int                // requiredParticipants
	contentions int
	deadline    time.Time
}

func (x *execCtx) reach(r *Node) bool {
	return r == x.n || (x.n.c.sees(x.n, r) && x.n.c.canTalk(x.n, r))
}

// casContentionTimeout is the node's cas_contention_timeout (1000ms default).
func (x *execCtx) casContentionTimeout() time.Duration {
	if s, ok := x.n.rt.get("cas_contention_timeout").(spec); ok {
		switch s.unit {
		case "ms":
			return time.Duration(s.q) * time.Millisecond
		case "s":
			return time.Duration(s.q) * time.Second
		case "us":
			return time.Duration(s.q) * time.Microsecond
		}
	}
	return time.Second
}

func (x *execCtx) newPaxosRound(ks *schema.Keyspace, t *schema.Table, key string, serial, replayCL native.Consistency) (*paxosRound, error) {
	p := &paxosRound{x: x, ks: ks, part: t.ID.String() + key, tok: tokenOf(key), serial: serial, replayCL: replayCL,
		deadline: time.Now().Add(x.casContentionTimeout())}
	if err := p.refresh(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *paxosRound) refresh() error {
	reps, err := p.x.replicas(p.ks, p.tok)
	if err != nil {
		return err
	}
	p.live, p.blockFor, err = p.x.assure(p.ks, p.serial, reps, true)
	return err
}

// backoff is the random sleep of up to 100ms a pre-empted proposer takes.
func (p *paxosRound) backoff() {
	p.contentions++
	time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
}

func (p *paxosRound) casTimeout(received int) error {
	e := writeTimeout(p.serial, received, p.blockFor, "CAS")
	e.Contentions = int16(min(p.contentions, 32767))
	return e
}

// begin is beginAndRepairPaxos: it returns a ballot promised by a quorum
// that has learnt the most recent commit, finishing an in-progress round first.
func (p *paxosRound) begin() (int64, error) {
	x := p.x
	st := &x.n.c.lwt.paxos
	var minBallot int64
	for time.Now().Before(p.deadline) {
		b := nowMicros()
		if b < minBallot {
			b = minBallot
		}
		// The prepare reaches every reachable contact; the callback counts the
		// first blockFor answers (the nearest replicas).
		var to []*Node
		for _, r := range x.proximity(p.live) {
			if x.reach(r) {
				to = append(to, r)
			}
		}
		resp := st.prepare(to, p.part, b)
		if len(resp) < p.blockFor {
			time.Sleep(x.timeout())
			return 0, p.casTimeout(len(resp))
		}
		resp = resp[:p.blockFor]
		nodes := make([]*Node, len(resp))
		promised := true
		var inProgress, mrc *paxosCommit
		for i, r := range resp {
			nodes[i] = r.n
			if !r.promised {
				promised = false
				continue
			}
			if ballotOf(r.accepted) > ballotOf(inProgress) {
				inProgress = r.accepted
			}
			if ballotOf(r.mrc) > ballotOf(mrc) {
				mrc = r.mrc
			}
		}
		waitReplicas(nodes, p.blockFor)
		if !promised {
			p.backoff()
			continue
		}
		minBallot = ballotOf(inProgress) + 1
		if !inProgress.empty() && inProgress.ballot > ballotOf(mrc) {
			// Finishing incomplete paxos round: re-propose it under our ballot.
			refreshed := &paxosCommit{ballot: b, muts: inProgress.muts}
			ok, _, err := p.propose(refreshed, false)
			if err != nil {
				return 0, err
			}
			if ok {
				if err := p.commit(refreshed, p.replayCL); err != nil {
					return 0, err
				}
			} else {
				p.backoff()
			}
			continue
		}
		// Replicas of the quorum that missed the most recent commit get it
		// (sendCommit, not waited for), then the round starts again.
		missing := false
		for _, r := range resp {
			if r.promised && mrc != nil && ballotOf(r.mrc) < mrc.ballot {
				missing = true
				st.commit(r.n, p.part, mrc)
			}
		}
		if missing {
			continue
		}
		return b, nil
	}
	return 0, p.casTimeout(0)
}

// propose is proposePaxos. With backoffIfPartial, a proposal accepted by
// some replicas but not a quorum has an unknown outcome.
func (p *paxosRound) propose(c *paxosCommit, backoffIfPartial bool) (bool, int, error) {
	x := p.x
	st := &x.n.c.lwt.paxos
	contacts := x.proximity(p.live)
	lost := 0
	if backoffIfPartial && !c.empty() && p.blockFor > 1 && x.n.c.lwt.faults.roll(x.n.c, faultUnknown) {
		// Injected: fewer than a quorum of the proposals arrive.
		lost = len(contacts) - 1 - x.n.c.lwt.faults.intn(p.blockFor-1)
	}
	var to []*Node
	for i, r := range contacts {
		if i < len(contacts)-lost && x.reach(r) {
			to = append(to, r)
		}
	}
	answered := len(to)
	acceptors := st.propose(to, p.part, c)
	accepts := len(acceptors)
	if accepts >= p.blockFor {
		waitReplicas(acceptors, p.blockFor)
		return true, accepts, nil
	}
	if answered < len(contacts) {
		time.Sleep(x.timeout()) // the callback waits for the missing answers
	}
	if backoffIfPartial && (accepts > 0 || answered < len(contacts)) {
		return false, accepts, &native.Error{Code: native.ErrCASWriteUnknown, Consistency: p.serial, Received: int32(accepts), BlockFor: int32(p.blockFor),
			Message: fmt.Sprintf("CAS operation result is unknown - proposal accepted by %d but not a quorum.", accepts)}
	}
	return false, accepts, nil
}

// commit is commitPaxos at cl (ANY: not waited for): Unavailable reports
// cl, too few acknowledgements are a WriteTimeout of write type SIMPLE.
func (p *paxosRound) commit(c *paxosCommit, cl native.Consistency) error {
	x := p.x
	st := &x.n.c.lwt.paxos
	reps, err := x.replicas(p.ks, p.tok)
	if err != nil {
		return err
	}
	live, blockFor, err := x.assure(p.ks, cl, reps, true)
	if err != nil {
		return err
	}
	inject := cl != native.Any && x.n.c.lwt.faults.roll(x.n.c, faultCommitTimeout)
	// commitPaxos hints the replicas it sees down (allowHints, shouldHint).
	up := map[*Node]bool{}
	for _, r := range live {
		up[r] = true
	}
	for _, r := range reps {
		if !up[r] && x.n.hints.shouldHint(r) {
			for _, m := range c.muts {
				x.n.hints.submit(r, m)
			}
		}
	}
	var acked []*Node
	for _, r := range x.proximity(live) {
		if inject && len(acked) >= blockFor-1 {
			break // injected: the remaining commits are lost
		}
		if x.reach(r) {
			st.commit(r, p.part, c)
			if cl != native.LocalQuorum && cl != native.LocalOne || r.DC == x.n.DC {
				acked = append(acked, r)
			}
		}
	}
	if cl == native.Any {
		return nil
	}
	if len(acked) < blockFor {
		time.Sleep(x.timeout())
		e := writeTimeout(cl, len(acked), blockFor, "SIMPLE")
		e.Contentions = int16(min(p.contentions, 32767))
		return e
	}
	waitReplicas(acked, blockFor)
	return nil
}

// doPaxos is StorageProxy.doPaxos: begin (and repair), then ask proposer
// for the update under the promised ballot; nil means an empty update,
// which is proposed (to fence older rounds) but never committed.
func (p *paxosRound) doPaxos(commitCL native.Consistency, proposer func(ballot int64) ([]*mutation, error)) error {
	for first := true; time.Now().Before(p.deadline); first = false {
		if !first {
			// One liveness check per attempt (ReplicaPlans.forPaxos).
			if err := p.refresh(); err != nil {
				return err
			}
		}
		b, err := p.begin()
		if err != nil {
			return err
		}
		muts, err := proposer(b)
		if err != nil {
			return err
		}
		c := &paxosCommit{ballot: b, muts: muts}
		ok, _, err := p.propose(c, true)
		if err != nil {
			return err
		}
		if ok {
			if !c.empty() {
				return p.commit(c, commitCL)
			}
			return nil
		}
		p.backoff()
	}
	return p.casTimeout(0)
}

// serialRead is legacyReadWithPaxos: an empty-update Paxos round at the
// serial level (repairing what its quorum sees), then a read at (LOCAL_)QUORUM.
func (x *execCtx) serialRead(ks *schema.Keyspace, t *schema.Table, key string, pk []any) (*partition, error) {
	serial := x.cl
	replay := native.Quorum
	if serial == native.LocalSerial {
		replay = native.LocalQuorum
	}
	round, err := x.newPaxosRound(ks, t, key, serial, replay)
	if err != nil {
		return nil, err
	}
	if err := round.doPaxos(native.Any, func(int64) ([]*mutation, error) { return nil, nil }); err != nil {
		// A write timeout becomes a read timeout; CAS_WRITE_UNKNOWN passes as is.
		if e, ok := err.(*native.Error); ok && e.Code == native.ErrWriteTimeout {
			return nil, readTimeout(serial, 0, round.blockFor, false)
		}
		return nil, err
	}
	saved := x.cl
	x.cl = replay
	defer func() { x.cl = saved }()
	return x.readPartition(ks, t, key, pk)
}

// lwtFaults injects ambiguous LWT outcomes at the configured rates
// (Config.LWTUnknownRate, LWTCommitTimeoutRate), drawn from a generator
// seeded from Config.Seed.
type lwtFaults struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rates [2]float64
}

const (
	faultUnknown = iota
	faultCommitTimeout
)

func (f *lwtFaults) init(c *Cluster) {
	if f.rng == nil {
		f.rng = rand.New(rand.NewPCG(c.cfg.Seed, 0x7061786f73))
		f.rates = [2]float64{c.cfg.LWTUnknownRate, c.cfg.LWTCommitTimeoutRate}
	}
}

func (f *lwtFaults) roll(c *Cluster, kind int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.init(c)
	return f.rates[kind] > 0 && f.rng.Float64() < f.rates[kind]
}

func (f *lwtFaults) intn(n int) int {
	if n <= 0 {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.IntN(n)
}

// SetLWTFaults sets the injected fault rates at run time (each within [0,1]).
func (c *Cluster) SetLWTFaults(unknownRate, commitTimeoutRate float64) error {
	if err := checkRate("lwt_unknown_rate", unknownRate); err != nil {
		return err
	}
	if err := checkRate("lwt_commit_timeout_rate", commitTimeoutRate); err != nil {
		return err
	}
	f := &c.lwt.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.init(c)
	f.rates = [2]float64{unknownRate, commitTimeoutRate}
	return nil
}

func checkRate(name string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("%s (--%s) must be within [0,1], but was %v", name, strings.ReplaceAll(name, "_", "-"), v)
	}
	return nil
}
