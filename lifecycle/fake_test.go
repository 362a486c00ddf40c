package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

// fakePID is the pid the fake start command writes.
const fakePID = 4242

// event is one call the manager made on the fake node.
type event struct {
	at     time.Time
	kind   string // "fail" (FailCoordinator), "drain" (entered), "drain_done" (returned)
	reason string // fail: the reason
	alive  bool   // drain: whether the process was running when the drain began
}

// fakeNode is a lifecycle.Node whose "Cassandra" is a pid file: the
// process runs while the file holds a pid. The stop command removes the
// file, the start command writes it.
type fakeNode struct {
	pidFile string

	mu       sync.Mutex
	events   []event
	pidCalls int

	// Health: healthy makes both checks pass while the process runs;
	// staleData makes every answer "no data read after the given time".
	healthy        bool
	staleData      bool
	healthAfters   []time.Time
	healthPassedAt time.Time
	// incurable: while the process runs and is not healthy, the replica
	// check fails for these reasons, which waiting will not cure.
	incurable []string

	// Drain behaviour.
	drainErr     error
	drainAlready bool
	drainDelay   time.Duration // honours ctx
	drainBlock   bool          // waits for ctx to end
	drainCalls   int
}

func newFakeNode(dir string) *fakeNode {
	return &fakeNode{pidFile: filepath.Join(dir, "cassandra.pid")}
}

func (f *fakeNode) readPID() (int, error) {
	b, err := os.ReadFile(f.pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad pid file: %w", err)
	}
	return p, nil
}

func (f *fakeNode) PID() (int, error) {
	f.mu.Lock()
	f.pidCalls++
	f.mu.Unlock()
	return f.readPID()
}

func (f *fakeNode) Alive(pid int) bool {
	p, err := f.readPID()
	return err == nil && p != 0 && p == pid
}

func (f *fakeNode) Drain(ctx context.Context) (bool, error) {
	p, _ := f.readPID()
	f.mu.Lock()
	f.drainCalls++
	f.events = append(f.events, event{at: time.Now(), kind: "drain", alive: p != 0})
	block, delay, already, derr := f.drainBlock, f.drainDelay, f.drainAlready, f.drainErr
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.events = append(f.events, event{at: time.Now(), kind: "drain_done"})
		f.mu.Unlock()
	}()
	if block {
		<-ctx.Done()
		return false, ctx.Err()
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return already, derr
}

func (f *fakeNode) FailCoordinator(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, event{at: time.Now(), kind: "fail", reason: reason})
}

func (f *fakeNode) Health(after time.Time) (lifecycle.Health, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.healthAfters = append(f.healthAfters, after)
	if f.staleData {
		return lifecycle.Health{}, false
	}
	// The data is "read" now, as a refresh would.
	if !time.Now().After(after) {
		return lifecycle.Health{}, false
	}
	p, err := f.readPID()
	switch {
	case err != nil || p == 0:
		return lifecycle.Health{Failed: map[string][]string{"coordinator": {"native transport down"}, "replica": {"not running"}}}, true
	case !f.healthy && f.incurable != nil:
		return lifecycle.Health{Passed: []string{"coordinator"}, Failed: map[string][]string{"replica": f.incurable}, Incurable: map[string][]string{"replica": f.incurable}}, true
	case !f.healthy:
		return lifecycle.Health{Passed: []string{"coordinator"}, Failed: map[string][]string{"replica": {"JOINING"}}}, true
	}
	if f.healthPassedAt.IsZero() {
		f.healthPassedAt = time.Now()
	}
	return lifecycle.Health{Passed: []string{"coordinator", "replica"}}, true
}

func (f *fakeNode) set(fn func(f *fakeNode)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeNode) snapshot() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]event(nil), f.events...)
}

func (f *fakeNode) failEvents() []event {
	var out []event
	for _, e := range f.snapshot() {
		if e.kind == "fail" {
			out = append(out, e)
		}
	}
	return out
}

func (f *fakeNode) drains() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drainCalls
}

func (f *fakeNode) pids() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pidCalls
}

func (f *fakeNode) startProcess(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(f.pidFile, []byte(strconv.Itoa(fakePID)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeNode) crash(t *testing.T) {
	t.Helper()
	if err := os.Remove(f.pidFile); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeNode) running() bool {
	_, err := os.Stat(f.pidFile)
	return err == nil
}

// fixture is a manager on a fake node in its own directory.
type fixture struct {
	dir      string
	node     *fakeNode
	cfg      lifecycle.Config
	m        *lifecycle.Manager
	startLog string // one line per run of the start command
	stopLog  string // one line per run of the stop command
}

func sq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// baseConfig has short durations; the commands log their runs and write
// or remove the pid file (atomically, so that PID never reads half a file).
func baseConfig(dir, pidFile string) lifecycle.Config {
	startLog, stopLog := filepath.Join(dir, "start.log"), filepath.Join(dir, "stop.log")
	return lifecycle.Config{
		StateFile: filepath.Join(dir, "state.json"),
		StartCommand: fmt.Sprintf("echo run >> %s && echo %d > %s && mv %s %s",
			sq(startLog), fakePID, sq(pidFile+".tmp"), sq(pidFile+".tmp"), sq(pidFile)),
		StopCommand:       fmt.Sprintf("echo run >> %s && rm -f %s", sq(stopLog), sq(pidFile)),
		Grace:             100 * time.Millisecond,
		DrainTimeout:      2 * time.Second,
		StopTimeout:       2 * time.Second,
		StartTimeout:      2 * time.Second,
		RestartBackoff:    50 * time.Millisecond,
		RestartBackoffMax: 200 * time.Millisecond,
		Poll:              20 * time.Millisecond,
	}
}

// newFixture makes the manager (not yet running); mod may change the
// config and the node first. running writes the pid file first.
func newFixture(t *testing.T, running bool, mod func(*lifecycle.Config, *fakeNode)) *fixture {
	t.Helper()
	return newFixtureLog(t, running, mod, nil)
}

// newFixtureLog is newFixture with the manager logging to log.
func newFixtureLog(t *testing.T, running bool, mod func(*lifecycle.Config, *fakeNode), log *slog.Logger) *fixture {
	t.Helper()
	dir := t.TempDir()
	fx := &fixture{dir: dir, node: newFakeNode(dir)}
	fx.cfg = baseConfig(dir, fx.node.pidFile)
	fx.startLog, fx.stopLog = filepath.Join(dir, "start.log"), filepath.Join(dir, "stop.log")
	if mod != nil {
		mod(&fx.cfg, fx.node)
	}
	if running {
		fx.node.startProcess(t)
	}
	m, err := lifecycle.New(fx.cfg, fx.node, log)
	if err != nil {
		t.Fatal(err)
	}
	fx.m = m
	return fx
}

// run runs the manager until the test ends (or the returned function is
// called, which waits for Run to return).
func run(t *testing.T, m *lifecycle.Manager) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("Run did not return within 5s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// runObserved runs the manager and waits for its first look at the
// process (which persists the observed state of a fresh manager).
func (fx *fixture) runObserved(t *testing.T) (stop func()) {
	t.Helper()
	stop = run(t, fx.m)
	waitFor(t, 3*time.Second, "the first observation to be persisted", func() bool {
		_, err := os.Stat(fx.cfg.StateFile)
		return err == nil
	})
	return stop
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitPolls waits until the manager has looked at the process at least n
// more times: a way to let several observation cycles pass.
func waitPolls(t *testing.T, f *fakeNode, n int) {
	t.Helper()
	from := f.pids()
	waitFor(t, 5*time.Second, fmt.Sprintf("%d more PID calls", n), func() bool { return f.pids() >= from+n })
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stepsOf lists the steps and their outcomes as "step=outcome".
func stepsOf(tr *lifecycle.Transition) []string {
	var out []string
	for _, s := range tr.Steps {
		out = append(out, string(s.Step)+"="+s.Outcome)
	}
	return out
}

func stepRec(t *testing.T, tr *lifecycle.Transition, s lifecycle.Step) lifecycle.StepRecord {
	t.Helper()
	for _, r := range tr.Steps {
		if r.Step == s {
			return r
		}
	}
	t.Fatalf("no step %s in %v", s, stepsOf(tr))
	return lifecycle.StepRecord{}
}

func eq[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stateFile is the persisted record, as JSON.
type stateFile struct {
	Version int    `json:"version"`
	Desired string `json:"desired"`
	State   string `json:"state"`
	Last    *struct {
		Type      string    `json:"type"`
		Outcome   string    `json:"outcome"`
		Step      string    `json:"step"`
		Requested time.Time `json:"requested"`
		Resumed   int       `json:"resumed"`
	} `json:"last_transition"`
}

func readState(t *testing.T, path string) stateFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s stateFile
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("state file %s: %v\n%s", path, err, b)
	}
	return s
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}
