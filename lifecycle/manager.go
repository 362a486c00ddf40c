package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Node is what the manager needs from Cassandra and from the sidecar.
type Node interface {
	// PID is the running Cassandra's pid, 0 when none runs. An error means
	// it cannot be told (an unreadable pid file, several matching processes).
	PID() (int, error)
	// Alive says whether a process with this pid still exists.
	Alive(pid int) bool
	// Drain runs StorageService.drain; already is true when the node was
	// DRAINED before the call.
	Drain(ctx context.Context) (already bool, err error)
	// FailCoordinator makes the coordinator health check fail with reason,
	// at once; "" computes it normally again.
	FailCoordinator(reason string)
	// Health is the coordinator and replica checks computed from data read
	// after the given time; ok is false until such data exists (the call
	// asks for a refresh).
	Health(after time.Time) (h Health, ok bool)
}

// Health is the outcome of the sidecar's checks.
type Health struct {
	Passed []string            // names of the checks that pass
	Failed map[string][]string // check → why it fails
	// Incurable are the failures among Failed that waiting will not cure
	// (check → why): a start that sees one ends FAILED at once.
	Incurable map[string][]string
}

// RequiredChecks must all pass before a start succeeds.
var RequiredChecks = []string{"coordinator", "replica"}

// Config shapes a Manager.
type Config struct {
	StateFile    string // where the desire and the transition are persisted
	StartCommand string
	StopCommand  string
	Grace        time.Duration
	DrainTimeout time.Duration
	// AbortOnDrainFailure ends a stop whose drain fails or times out;
	// otherwise the stop goes on (Cassandra's shutdown hook drains again).
	AbortOnDrainFailure bool
	StopTimeout         time.Duration
	StartTimeout        time.Duration
	Supervise           bool
	RestartBackoff      time.Duration
	RestartBackoffMax   time.Duration
	// Poll is how often the process and the health are looked at
	// (default 500ms).
	Poll time.Duration
}

var (
	errShutdown   = errors.New("the sidecar is shutting down")
	errSuperseded = errors.New("superseded by a stop request")
)

// ConflictError refuses a transition that cannot run now.
type ConflictError struct {
	Msg    string
	Status Status
}

func (e *ConflictError) Error() string { return e.Msg }

// UnknownPIDError refuses a transition while Cassandra's pid cannot be told.
type UnknownPIDError struct{ Err error }

func (e *UnknownPIDError) Error() string {
	return "cannot tell whether Cassandra is running: " + e.Err.Error()
}

type operation struct {
	kind        string
	t           *Transition
	pid         int // the process being stopped
	prevDesired State
	deadline    time.Time // start: when it gives up
	began       time.Time // when this sidecar took the transition up (resumes included)
	ctx         context.Context
	cancel      context.CancelCauseFunc
	done        chan struct{}
	cmdDone     chan struct{} // start: the start command has run (or was skipped)
	cmdOnce     sync.Once
}

func (op *operation) commandDone() { op.cmdOnce.Do(func() { close(op.cmdDone) }) }

// Manager runs the node's stops and starts, one at a time.
type Manager struct {
	cfg  Config
	node Node
	log  *slog.Logger

	base       context.Context
	cancelBase context.CancelCauseFunc
	wg         sync.WaitGroup

	mu            sync.Mutex
	rec           record
	cur           *operation
	closed        bool
	pid           int
	pidErr        error
	overriding    string
	overrideSince time.Time // when the coordinator check was last made to fail
	loadWarning   string
	saveErr       error
	sup           supervision
}

type supervision struct {
	restarts    int
	consecutive int
	last        time.Time
	next        time.Time
}

// New loads the persisted state. If a stop was in progress, the
// coordinator check fails from this moment; Run resumes the stop.
func New(cfg Config, node Node, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	rec, warning, err := load(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, node: node, log: log, rec: rec, loadWarning: warning}
	if warning != "" {
		log.Warn(warning)
	}
	m.base, m.cancelBase = context.WithCancelCause(context.Background())
	m.mu.Lock()
	m.applyOverride()
	m.mu.Unlock()
	return m, nil
}

// Run resumes a persisted transition, then watches the process (and
// supervises it when configured) until ctx ends. Transitions in progress
// then stop where they are, unrecorded, to be resumed by the next Run.
func (m *Manager) Run(ctx context.Context) {
	m.resume()
	t := time.NewTicker(m.cfg.Poll)
	defer t.Stop()
	for {
		m.observe()
		select {
		case <-ctx.Done():
			m.mu.Lock()
			m.closed = true
			m.mu.Unlock()
			m.cancelBase(errShutdown)
			m.wg.Wait()
			return
		case <-t.C:
		}
	}
}

// Result is a transition as a caller sees it.
type Result struct {
	Transition *Transition
	State      State // the node's state now
	Done       bool  // the transition has ended (see Transition.Outcome)
}

// StopGuard is implemented by a Node that can tell whether this node
// going down would take a token range below the consistency levels the
// operator keeps. The sidecar's node does; without it nothing is checked.
type StopGuard interface {
	CheckStop() error
}

// UnsafeError refuses a stop that would cost availability (or whose cost
// cannot be told); StopOptions.Force overrides it.
type UnsafeError struct {
	Err    error
	Status Status
}

func (e *UnsafeError) Error() string {
	return "stop refused: " + e.Err.Error() + "; add force=true to stop anyway"
}

// StopOptions shape a stop request.
type StopOptions struct {
	Block bool
	// Force skips the availability check (StopGuard).
	Force bool
}

// Stop is StopWith without force.
func (m *Manager) Stop(ctx context.Context, block bool) (Result, error) {
	return m.StopWith(ctx, StopOptions{Block: block})
}

// StopWith asks for the node to be stopped. A stop in progress is joined; a
// start in progress is cancelled (it ends FAILED, superseded) and the
// stop begins. With block it returns when the stop ends (or ctx does; the
// stop goes on).
func (m *Manager) StopWith(ctx context.Context, o StopOptions) (Result, error) {
	block := o.Block
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return Result{}, errShutdown
		}
		if op := m.cur; op != nil {
			if op.kind == "stop" {
				m.mu.Unlock()
				return m.await(ctx, op, block)
			}
			op.cancel(errSuperseded)
			m.mu.Unlock()
			// Not bounded by ctx: once the start is cancelled, the stop
			// must begin even if this caller goes away. A cancelled start
			// ends within a second (its command is killed).
			<-op.done
			continue
		}
		pid, err := m.node.PID()
		m.pid, m.pidErr = pid, err
		if err != nil {
			m.mu.Unlock()
			return Result{}, &UnknownPIDError{err}
		}
		if pid == 0 {
			now := time.Now()
			t := &Transition{Type: "stop", Trigger: "request", Outcome: Succeeded, Requested: now, Finished: now,
				Note: "Cassandra was not running; nothing was done"}
			m.rec.Desired = Stopped
			m.rec.Last = t
			m.rec.FailedPID = 0
			m.setState(Stopped)
			m.persist()
			m.applyOverride()
			m.mu.Unlock()
			return Result{Transition: t.clone(), State: Stopped, Done: true}, nil
		}
		if g, ok := m.node.(StopGuard); ok && !o.Force {
			if err := g.CheckStop(); err != nil {
				st := m.statusLocked(time.Now())
				m.mu.Unlock()
				m.log.Warn("node stop refused", "why", err)
				return Result{}, &UnsafeError{Err: err, Status: st}
			}
		}
		op := m.begin("stop", "request", pid)
		m.mu.Unlock()
		go m.runStop(op)
		return m.await(ctx, op, block)
	}
}

// Start asks for the node to be started. A start in progress is joined; a
// stop in progress refuses it with a ConflictError. Without block it
// returns once the start command has run, as CEP-1 describes.
func (m *Manager) Start(ctx context.Context, block bool) (Result, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Result{}, errShutdown
	}
	if op := m.cur; op != nil {
		if op.kind == "start" {
			m.mu.Unlock()
			return m.await(ctx, op, block)
		}
		st := m.statusLocked(time.Now())
		m.mu.Unlock()
		return Result{}, &ConflictError{Msg: fmt.Sprintf("a stop is in progress (step %s); start again once it has ended", st.Step), Status: st}
	}
	pid, err := m.node.PID()
	m.pid, m.pidErr = pid, err
	if err != nil {
		m.mu.Unlock()
		return Result{}, &UnknownPIDError{err}
	}
	op := m.begin("start", "request", pid)
	m.mu.Unlock()
	go m.runStart(op)
	return m.await(ctx, op, block)
}

// Idle waits until no stop or start is in progress. A caller that gave
// up waiting on one (its context ended) uses it before acting again, so
// that nothing it does next overlaps a transition still running under
// lifecycle's own timeouts.
func (m *Manager) Idle(ctx context.Context) error {
	for {
		m.mu.Lock()
		op := m.cur
		m.mu.Unlock()
		if op == nil {
			return nil
		}
		select {
		case <-op.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (m *Manager) await(ctx context.Context, op *operation, block bool) (Result, error) {
	wait := op.done
	if !block {
		wait = nil
		if op.kind == "start" {
			wait = op.cmdDone
		}
	}
	if wait != nil {
		select {
		case <-wait:
		case <-op.done:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return Result{Transition: op.t.clone(), State: m.rec.State, Done: op.t.Outcome != InProgress}, nil
}

// begin records a new transition; m.mu is held.
func (m *Manager) begin(kind, trigger string, pid int) *operation {
	now := time.Now()
	t := &Transition{Type: kind, Trigger: trigger, Outcome: InProgress, Requested: now, PID: pid}
	op := m.newOp(kind, t)
	op.pid = pid
	op.prevDesired = m.rec.Desired
	m.rec.Last = t
	m.rec.FailedPID = 0
	// The first step is recorded now, so that an answer given at once
	// (202) already names it.
	first := StepStartCmd
	if kind == "stop" {
		first = StepFailHealth
		m.rec.Desired = Stopped
		m.setState(Stopping)
	} else {
		m.rec.Desired = Running
		m.setState(Starting)
	}
	t.Step = first
	t.Steps = []StepRecord{{Step: first, Started: now, Outcome: InProgress}}
	m.persist()
	m.applyOverride()
	m.log.Info("node "+kind+" requested", "trigger", trigger, "pid", pid)
	return op
}

func (m *Manager) newOp(kind string, t *Transition) *operation {
	ctx, cancel := context.WithCancelCause(m.base)
	op := &operation{kind: kind, t: t, ctx: ctx, cancel: cancel, done: make(chan struct{}), cmdDone: make(chan struct{}),
		deadline: time.Now().Add(m.cfg.StartTimeout), began: time.Now()}
	m.cur = op
	m.wg.Add(1)
	return op
}

// resume continues a transition persisted in progress.
func (m *Manager) resume() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur != nil {
		// A request served before Run began its own transition (now
		// m.rec.Last): it runs already and must not be run twice.
		return
	}
	t := m.rec.Last
	inProgress := t != nil && t.Outcome == InProgress
	switch {
	case m.rec.State == Stopping && inProgress && t.Type == "stop":
	case m.rec.State == Starting && inProgress && t.Type == "start":
	default:
		if m.rec.State == Stopping || m.rec.State == Starting {
			m.rec.State = "" // observed afresh
		}
		return
	}
	t.Resumed++
	op := m.newOp(t.Type, t)
	op.pid = t.PID
	op.prevDesired = Running
	m.log.Warn("resuming the node "+t.Type+" that was in progress when the sidecar stopped", "step", t.Step, "requested", t.Requested)
	m.persist()
	m.applyOverride()
	if t.Type == "stop" {
		go m.runStop(op)
	} else {
		go m.runStart(op)
	}
}

// setState changes the state; m.mu is held.
func (m *Manager) setState(s State) {
	if m.rec.State != s {
		m.rec.State = s
		m.rec.Since = time.Now()
	}
}

// persist saves the record; m.mu is held. A failure is logged and shown
// in the status: the desire then does not survive a restart.
func (m *Manager) persist() {
	err := save(m.cfg.StateFile, m.rec)
	if err != nil && m.saveErr == nil {
		m.log.Error("the node's desired state cannot be persisted", "err", err)
	}
	m.saveErr = err
}

// applyOverride makes the coordinator check fail while stopping and while
// stopped on request; m.mu is held.
func (m *Manager) applyOverride() {
	reason := ""
	switch {
	case m.rec.State == Stopping:
		reason = "ringside is stopping Cassandra (POST /v1/desires/node/stop): this check fails on purpose so that clients move away"
	case m.rec.State == Stopped && m.rec.Desired == Stopped:
		reason = "Cassandra was stopped on request (desire STOPPED)"
	}
	if reason != m.overriding {
		m.overriding = reason
		m.node.FailCoordinator(reason)
		m.overrideSince = time.Now()
	}
}

// beginStep starts a step, or continues it when a resumed transition was
// in the middle of it; it returns when the step started.
func (m *Manager) beginStep(op *operation, s Step) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := op.t
	if c := t.current(); c != nil && c.Step == s && c.Outcome == InProgress {
		t.Step = s
		return c.Started
	}
	now := time.Now()
	t.Step = s
	t.Steps = append(t.Steps, StepRecord{Step: s, Started: now, Outcome: InProgress})
	m.persist()
	m.log.Info("node "+op.kind+" step", "step", s)
	return now
}

func (m *Manager) endStep(op *operation, outcome, detail string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := op.t.current(); c != nil && c.Outcome == InProgress {
		c.Outcome, c.Detail, c.Finished = outcome, detail, time.Now()
	}
	m.persist()
}

func (m *Manager) warn(op *operation, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	op.t.Warnings = append(op.t.Warnings, msg)
	m.log.Warn(msg, "transition", op.kind)
}

// finish ends a transition in state; m.mu is not held.
func (m *Manager) finish(op *operation, outcome string, state State, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := op.t
	now := time.Now()
	if c := t.current(); c != nil && c.Outcome == InProgress {
		c.Outcome, c.Finished = outcome, now
		if msg != "" && c.Detail == "" {
			c.Detail = msg
		}
	}
	t.Outcome, t.Finished, t.Step, t.Error = outcome, now, "", msg
	pid, err := m.node.PID()
	if err == nil {
		m.pid = pid
		t.PID = pid
	}
	if state == Stopped {
		t.PID = 0
	}
	m.setState(state)
	if state == Failed {
		m.rec.FailedPID = t.PID
	}
	if outcome == Aborted {
		m.rec.Desired = op.prevDesired
	}
	if m.cur == op {
		m.cur = nil
	}
	m.persist()
	m.applyOverride()
	if outcome == Succeeded && op.kind == "stop" {
		// Once stopped there is no pid; name the process that was stopped.
		m.log.Info("node stop succeeded", "seconds", t.seconds(now), "stopped_pid", op.pid)
	} else if outcome == Succeeded {
		m.log.Info("node "+op.kind+" succeeded", "seconds", t.seconds(now), "pid", t.PID)
	} else {
		m.log.Error("node "+op.kind+" "+outcome, "err", msg, "seconds", t.seconds(now))
	}
}

// interrupted handles a transition whose context ended: superseded by a
// stop (it ends FAILED, recorded), or the sidecar shutting down (nothing
// is recorded, so that the next sidecar resumes it).
func (m *Manager) interrupted(op *operation) {
	if errors.Is(context.Cause(op.ctx), errSuperseded) {
		m.finish(op, FailedOut, Failed, "superseded by a stop request")
		return
	}
	m.mu.Lock()
	if m.cur == op {
		m.cur = nil
	}
	m.mu.Unlock()
}

// sleep waits d unless the transition is interrupted first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func stepIndex(steps []Step, s Step) int {
	for i, x := range steps {
		if x == s {
			return i
		}
	}
	return 0
}

func (m *Manager) stepStarted(op *operation, s Step) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range op.t.Steps {
		if r.Step == s {
			return r.Started
		}
	}
	return time.Time{}
}

// gone says whether Cassandra has exited: no pid is found, and the
// process that was being stopped no longer exists.
func (m *Manager) gone(pid int) bool {
	p, err := m.node.PID()
	return err == nil && p == 0 && (pid == 0 || !m.node.Alive(pid))
}

func (m *Manager) runStop(op *operation) {
	defer m.wg.Done()
	defer close(op.done)
	defer op.commandDone()
	t := op.t
	from := stepIndex(stopSteps, t.Step)

	if from <= 0 {
		started := m.beginStep(op, StepFailHealth)
		m.mu.Lock()
		t.Checks = []string{"coordinator"}
		// The grace counts from when the check really began to fail (the
		// step is recorded, and persisted, just before).
		if m.overriding != "" && m.overrideSince.After(started) {
			started = m.overrideSince
		}
		m.mu.Unlock()
		if !sleep(op.ctx, m.cfg.Grace-time.Since(started)) {
			m.interrupted(op)
			return
		}
		m.endStep(op, "ok", fmt.Sprintf("the coordinator check failed for %s before the drain", m.cfg.Grace))
	}

	if from <= 1 {
		m.beginStep(op, StepDrain)
		dctx, cancel := context.WithTimeout(op.ctx, m.cfg.DrainTimeout)
		already, err := m.node.Drain(dctx)
		timedOut := errors.Is(dctx.Err(), context.DeadlineExceeded)
		cancel()
		if op.ctx.Err() != nil {
			m.interrupted(op)
			return
		}
		switch {
		case err == nil && already:
			m.endStep(op, "skipped", "the node was already DRAINED")
		case err == nil:
			m.endStep(op, "ok", "operation mode DRAINED")
		default:
			outcome, msg := "failed", "drain failed: "+err.Error()
			if timedOut {
				outcome, msg = "timed_out", fmt.Sprintf("the drain did not finish within %s (lifecycle.drain_timeout)", m.cfg.DrainTimeout)
			}
			m.endStep(op, outcome, msg)
			if m.cfg.AbortOnDrainFailure {
				m.finish(op, Aborted, Failed, msg+"; the stop was aborted (lifecycle.on_drain_failure: abort): Cassandra is still running and may be partly drained")
				return
			}
			m.warn(op, msg+"; the stop went on (lifecycle.on_drain_failure: continue) and Cassandra drains again in its shutdown hook")
		}
	}

	if from <= 2 {
		started := m.beginStep(op, StepStopCommand)
		m.mu.Lock()
		t.Executed = m.cfg.StopCommand
		m.mu.Unlock()
		// A resumed step gets its full time again: the stop command is
		// idempotent, and the sidecar may have been down for long.
		cctx, cancel := context.WithDeadline(op.ctx, later(started, op.began).Add(m.cfg.StopTimeout))
		out, err := runCommand(cctx, m.cfg.StopCommand)
		cancel()
		if op.ctx.Err() != nil {
			m.interrupted(op)
			return
		}
		if err != nil {
			m.endStep(op, "failed", err.Error())
			if !m.gone(op.pid) {
				m.finish(op, FailedOut, Failed, fmt.Sprintf("the stop command failed and Cassandra (pid %d) is still running: %v", op.pid, err))
				return
			}
			m.warn(op, "the stop command failed but Cassandra has exited: "+err.Error())
		} else {
			m.endStep(op, "ok", out)
		}
	}

	started := m.beginStep(op, StepWaitExit)
	deadline := m.stepStarted(op, StepStopCommand)
	if deadline.IsZero() {
		deadline = started
	}
	deadline = later(deadline, op.began).Add(m.cfg.StopTimeout)
	for !m.gone(op.pid) {
		if time.Now().After(deadline) {
			m.finish(op, FailedOut, Failed, fmt.Sprintf("Cassandra (pid %d) was still running %s after the stop command began (lifecycle.stop_timeout); ringside does not kill it", op.pid, m.cfg.StopTimeout))
			return
		}
		if !sleep(op.ctx, m.cfg.Poll/2) {
			m.interrupted(op)
			return
		}
	}
	m.endStep(op, "ok", fmt.Sprintf("process %d has exited", op.pid))
	m.finish(op, Succeeded, Stopped, "")
}

func (m *Manager) runStart(op *operation) {
	defer m.wg.Done()
	defer close(op.done)
	defer op.commandDone()
	t := op.t
	if t.Step != StepWaitHealth {
		m.beginStep(op, StepStartCmd)
		pid, err := m.node.PID()
		if err == nil && pid != 0 {
			m.endStep(op, "skipped", fmt.Sprintf("Cassandra is already running (pid %d)", pid))
		} else {
			m.mu.Lock()
			t.Executed = m.cfg.StartCommand
			m.mu.Unlock()
			cctx, cancel := context.WithDeadline(op.ctx, op.deadline)
			out, err := runCommand(cctx, m.cfg.StartCommand)
			cancel()
			if op.ctx.Err() != nil {
				m.interrupted(op)
				return
			}
			if err != nil {
				m.endStep(op, "failed", err.Error())
				m.finish(op, FailedOut, Failed, "the start command failed: "+err.Error())
				return
			}
			m.endStep(op, "ok", out)
		}
	}
	op.commandDone()

	after := m.beginStep(op, StepWaitHealth)
	for {
		pid, perr := m.node.PID()
		h, ok := m.node.Health(after)
		why := whyNotHealthy(pid, perr, h, ok)
		if why == "" {
			m.mu.Lock()
			t.Checks = append([]string(nil), h.Passed...)
			m.mu.Unlock()
			m.endStep(op, "ok", "coordinator and replica checks pass")
			m.finish(op, Succeeded, Running, "")
			return
		}
		incurable := whyIncurable(pid, perr, h, ok)
		if incurable != "" || time.Now().After(op.deadline) {
			m.mu.Lock()
			t.Checks = append([]string(nil), h.Passed...)
			m.mu.Unlock()
			msg := fmt.Sprintf("Cassandra was not healthy within %s (lifecycle.start_timeout): %s", m.cfg.StartTimeout, why)
			if incurable != "" {
				msg = "Cassandra runs but cannot become healthy: " + incurable
			}
			m.finish(op, FailedOut, Failed, msg)
			return
		}
		if !sleep(op.ctx, m.cfg.Poll/2) {
			m.interrupted(op)
			return
		}
	}
}

// whyNotHealthy explains what a start still waits for ("" when nothing).
func whyNotHealthy(pid int, perr error, h Health, ok bool) string {
	switch {
	case perr != nil:
		return "cannot tell whether Cassandra runs: " + perr.Error()
	case pid == 0:
		return "the Cassandra process is not running"
	case !ok:
		return "no health data read since the start yet"
	}
	var parts []string
	for _, c := range RequiredChecks {
		if rs, bad := h.Failed[c]; bad {
			parts = append(parts, c+" check fails: "+strings.Join(rs, "; "))
			continue
		}
		passed := false
		for _, p := range h.Passed {
			passed = passed || p == c
		}
		if !passed {
			parts = append(parts, c+" check has no answer")
		}
	}
	return strings.Join(parts, "; ")
}

// observe looks at the process while no transition runs: a node that
// exited or appeared behind ringside's back changes state, and
// supervision restarts a dead node whose desire is RUNNING.
func (m *Manager) observe() {
	m.mu.Lock()
	defer m.mu.Unlock()
	pid, err := m.node.PID()
	m.pid, m.pidErr = pid, err
	if m.cur != nil || m.closed || err != nil {
		return
	}
	alive := pid != 0
	observed := Stopped
	if alive {
		observed = Running
	}
	changed := false
	switch m.rec.State {
	case Failed:
		if pid != m.rec.FailedPID {
			m.setState(observed)
			m.rec.FailedPID = 0
			changed = true
		}
	case Running:
		if !alive {
			m.log.Warn("Cassandra exited without a stop request", "desired", m.rec.Desired)
			m.setState(Stopped)
			changed = true
		}
	case Stopped:
		if alive {
			if m.rec.Desired == Stopped {
				m.log.Warn("Cassandra is running although its desire is STOPPED; it was started outside ringside", "pid", pid)
			}
			m.setState(Running)
			changed = true
		}
	default:
		m.setState(observed)
		if m.rec.Desired == "" && alive {
			m.rec.Desired = Running
		}
		changed = true
	}
	if changed {
		m.persist()
	}
	m.applyOverride()
	m.supervise(alive)
}

// backoff is the wait before the n-th consecutive restart (n from 0).
func (m *Manager) backoff(n int) time.Duration {
	d := m.cfg.RestartBackoff
	for i := 0; i < n && d < m.cfg.RestartBackoffMax; i++ {
		d *= 2
	}
	return min(d, m.cfg.RestartBackoffMax)
}

// supervise restarts a dead Cassandra whose desire is RUNNING; m.mu is held.
func (m *Manager) supervise(alive bool) {
	now := time.Now()
	if alive {
		m.sup.next = time.Time{}
		if m.rec.State == Running && now.Sub(m.rec.Since) >= m.cfg.RestartBackoffMax {
			m.sup.consecutive = 0 // up long enough: the next crash starts the back-off over
		}
		return
	}
	if !m.cfg.Supervise || m.rec.Desired != Running {
		m.sup.next = time.Time{}
		return
	}
	if m.sup.next.IsZero() {
		m.sup.next = now.Add(m.backoff(m.sup.consecutive))
		m.log.Warn("Cassandra is down while its desire is RUNNING; supervision will start it", "at", m.sup.next.Format(time.RFC3339), "restarts_so_far", m.sup.restarts)
		return
	}
	if now.Before(m.sup.next) {
		return
	}
	m.sup.consecutive++
	m.sup.restarts++
	m.sup.last = now
	m.sup.next = time.Time{}
	op := m.begin("start", "supervision", 0)
	go m.runStart(op)
}
