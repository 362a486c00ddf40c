package lifecycle_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

// interruptedStop leaves a state file recording a stop in its drain step,
// as a sidecar killed mid-drain would. It returns the fixture (whose
// manager has shut down) and the stop's request time.
func interruptedStop(t *testing.T) (*fixture, time.Time) {
	t.Helper()
	fx := newFixture(t, true, func(c *lifecycle.Config, f *fakeNode) {
		c.DrainTimeout = time.Minute
		f.drainBlock = true
	})
	stopRun := fx.runObserved(t)
	res, err := fx.m.Stop(ctxT(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Done {
		t.Fatal("the stop ended at once")
	}
	waitFor(t, 3*time.Second, "the drain to begin", func() bool { return fx.node.drains() == 1 })
	stopRun()
	ps := readState(t, fx.cfg.StateFile)
	if ps.State != "STOPPING" || ps.Desired != "STOPPED" || ps.Last == nil || ps.Last.Type != "stop" ||
		ps.Last.Step != "drain" || ps.Last.Outcome != "in_progress" {
		t.Fatalf("state file after shutdown mid-drain: %+v, want STOPPING in step drain", ps)
	}
	if !ps.Last.Requested.Equal(res.Transition.Requested) {
		t.Fatalf("persisted requested %s, want %s", ps.Last.Requested, res.Transition.Requested)
	}
	if !fx.node.running() || lines(t, fx.stopLog) != 0 {
		t.Fatal("the stop went past the drain although the sidecar shut down")
	}
	return fx, res.Transition.Requested
}

func TestResumeStop(t *testing.T) {
	t.Parallel()
	a, requested := interruptedStop(t)

	nb := &fakeNode{pidFile: a.node.pidFile}
	b, err := lifecycle.New(a.cfg, nb, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Before Run: the coordinator check fails at once.
	fails := nb.failEvents()
	if len(fails) != 1 || fails[0].reason == "" {
		t.Fatalf("FailCoordinator during New: %+v, want one call with a reason", fails)
	}
	if nb.drains() != 0 {
		t.Fatal("New drained")
	}
	if st := b.Status(); st.State != lifecycle.Stopping || st.Desired != lifecycle.Stopped {
		t.Errorf("status before Run: %s desired %s", st.State, st.Desired)
	}
	run(t, b)
	waitFor(t, 5*time.Second, "the resumed stop to end", func() bool {
		st := b.Status()
		return st.Last != nil && st.Last.Outcome != lifecycle.InProgress
	})
	st := b.Status()
	tr := st.Last
	if tr.Outcome != lifecycle.Succeeded || st.State != lifecycle.Stopped || st.Desired != lifecycle.Stopped {
		t.Fatalf("resumed stop: outcome %q error %q state %s desired %s", tr.Outcome, tr.Error, st.State, st.Desired)
	}
	if tr.Resumed != 1 {
		t.Errorf("Resumed %d, want 1", tr.Resumed)
	}
	if !tr.Requested.Equal(requested) {
		t.Errorf("Requested %s, want the original %s", tr.Requested, requested)
	}
	if a.node.running() || lines(t, a.stopLog) != 1 {
		t.Error("the resumed stop did not run the stop command once")
	}
	if n := nb.drains(); n != 1 {
		t.Errorf("the resumed stop drained %d times, want 1", n)
	}
	// The drain step went on (one record), it was not started over.
	if got, want := stepsOf(tr), []string{"fail_healthchecks=ok", "drain=ok", "stop_command=ok", "wait_for_exit=ok"}; !eq(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if ps := readState(t, a.cfg.StateFile); ps.State != "STOPPED" || ps.Last.Resumed != 1 || ps.Last.Outcome != "succeeded" {
		t.Errorf("persisted %+v", ps)
	}
	// Only one FailCoordinator call for the whole stop on B: the override
	// that New applied stays, as the node is now stopped on request.
	for _, e := range nb.failEvents() {
		if e.reason == "" {
			t.Error("the coordinator override was cleared during or after the resumed stop")
		}
	}
}

// A stop requested on the new manager before its Run resumes the old one
// must not run the stop twice at once.
func TestStopBeforeRunDoesNotDoubleRun(t *testing.T) {
	t.Parallel()
	a, _ := interruptedStop(t)
	nb := &fakeNode{pidFile: a.node.pidFile, drainDelay: 100 * time.Millisecond}
	b, err := lifecycle.New(a.cfg, nb, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Stop(ctxT(t), false)
	if err != nil {
		t.Fatal(err)
	}
	run(t, b)
	res, err = b.Stop(ctxT(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("outcome %q error %q", res.Transition.Outcome, res.Transition.Error)
	}
	// Let any second runner of the same transition show itself.
	waitPolls(t, nb, 10)
	if n := nb.drains(); n != 1 {
		t.Errorf("drained %d times, want 1", n)
	}
	if n := lines(t, a.stopLog); n != 1 {
		t.Errorf("the stop command ran %d times, want 1", n)
	}
	if got := stepsOf(b.Status().Last); len(got) != 4 {
		t.Errorf("steps %q, want the four steps once", got)
	}
}

func TestStoppedStaysStoppedAcrossRestart(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	stopRun := fx.runObserved(t)
	if res, err := fx.m.Stop(ctxT(t), true); err != nil || res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("%v %+v", err, res)
	}
	stopRun()

	cfg := fx.cfg
	cfg.Supervise = true
	nb := &fakeNode{pidFile: fx.node.pidFile, healthy: true}
	m, err := lifecycle.New(cfg, nb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fails := nb.failEvents(); len(fails) != 1 || fails[0].reason == "" {
		t.Errorf("a node stopped on request must keep failing its coordinator check after a restart: %+v", fails)
	}
	run(t, m)
	waitPolls(t, nb, 10) // several observations, longer than the back-off
	if n := lines(t, fx.startLog); n != 0 {
		t.Errorf("supervision ran the start command %d times although the desire is STOPPED", n)
	}
	st := m.Status()
	if st.State != lifecycle.Stopped || st.Desired != lifecycle.Stopped || st.Supervision.Restarts != 0 || !st.Supervision.Enabled {
		t.Errorf("status %+v", st)
	}
	if st.Last == nil || st.Last.Type != "stop" || st.Last.Outcome != lifecycle.Succeeded {
		t.Errorf("last transition %+v, want the earlier stop", st.Last)
	}
}

func TestSupervision(t *testing.T) {
	t.Parallel()
	for _, supervise := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[supervise], func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, false, func(c *lifecycle.Config, f *fakeNode) {
				c.Supervise = supervise
				f.healthy = true
			})
			fx.runObserved(t)
			if res, err := fx.m.Start(ctxT(t), true); err != nil || res.Transition.Outcome != lifecycle.Succeeded {
				t.Fatalf("%v %+v", err, res)
			}
			crashed := time.Now()
			fx.node.crash(t)
			if !supervise {
				waitPolls(t, fx.node, 15)
				if n := lines(t, fx.startLog); n != 1 {
					t.Errorf("the start command ran %d times, want only the requested one", n)
				}
				st := fx.m.Status()
				if st.State != lifecycle.Stopped || st.Desired != lifecycle.Running || st.Supervision.Restarts != 0 {
					t.Errorf("status %s desired %s restarts %d", st.State, st.Desired, st.Supervision.Restarts)
				}
				return
			}
			waitFor(t, 5*time.Second, "a supervised restart to succeed", func() bool {
				st := fx.m.Status()
				return st.Last != nil && st.Last.Trigger == "supervision" && st.Last.Outcome == lifecycle.Succeeded
			})
			st := fx.m.Status()
			if st.Supervision.Restarts != 1 || st.State != lifecycle.Running || st.Desired != lifecycle.Running {
				t.Errorf("restarts %d state %s desired %s", st.Supervision.Restarts, st.State, st.Desired)
			}
			if !fx.node.running() || lines(t, fx.startLog) != 2 {
				t.Errorf("the start command ran %d times, want 2", lines(t, fx.startLog))
			}
			if st.Last.Type != "start" || st.Last.Executed != fx.cfg.StartCommand {
				t.Errorf("last %+v", st.Last)
			}
			if wait := st.Last.Requested.Sub(crashed); wait < fx.cfg.RestartBackoff {
				t.Errorf("restarted %s after the crash, before the back-off %s", wait, fx.cfg.RestartBackoff)
			}
			if st.Supervision.LastRestart.IsZero() {
				t.Error("no last restart time")
			}
			// Once up, no more restarts.
			waitPolls(t, fx.node, 10)
			if st := fx.m.Status(); st.Supervision.Restarts != 1 {
				t.Errorf("restarts %d after the node came back", st.Supervision.Restarts)
			}
		})
	}
}

func TestExternalChangesObserved(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, false, nil)
	fx.runObserved(t)
	if st := fx.m.Status(); st.State != lifecycle.Stopped || st.Desired != "" {
		t.Fatalf("fresh, not running: state %s desired %q", st.State, st.Desired)
	}
	fx.node.startProcess(t) // started behind ringside's back
	waitFor(t, 3*time.Second, "RUNNING to be observed", func() bool {
		return readState(t, fx.cfg.StateFile).State == "RUNNING"
	})
	if n := len(fx.node.failEvents()); n != 0 {
		t.Errorf("FailCoordinator called %d times without any stop", n)
	}
}

func TestCorruptStateFile(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"not-json":      "{not json",
		"empty":         "",
		"wrong-version": `{"version": 99, "state": "RUNNING"}`,
		"bad-state":     `{"version": 1, "state": "EXPLODED"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			node := newFakeNode(dir)
			cfg := baseConfig(dir, node.pidFile)
			if err := os.WriteFile(cfg.StateFile, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := lifecycle.New(cfg, node, nil)
			if err != nil {
				t.Fatal(err)
			}
			aside, _ := filepath.Glob(cfg.StateFile + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("files moved aside: %q, want one", aside)
			}
			if got := readFile(t, aside[0]); got != content {
				t.Errorf("moved-aside content %q, want %q", got, content)
			}
			if _, err := os.Stat(cfg.StateFile); !os.IsNotExist(err) {
				t.Errorf("the corrupt state file is still in place: %v", err)
			}
			st := m.Status()
			found := false
			for _, w := range st.Warnings {
				found = found || (strings.Contains(w, "unreadable") && strings.Contains(w, aside[0]))
			}
			if !found {
				t.Errorf("warnings %q do not mention the file moved aside", st.Warnings)
			}
			if st.Desired != "" || st.Last != nil {
				t.Errorf("desired %q last %+v from a corrupt file", st.Desired, st.Last)
			}
			run(t, m)
			waitFor(t, 3*time.Second, "a fresh state file", func() bool { _, err := os.Stat(cfg.StateFile); return err == nil })
			if ps := readState(t, cfg.StateFile); ps.Version != 1 || ps.State != "STOPPED" {
				t.Errorf("fresh state %+v", ps)
			}
		})
	}
}

func TestUnsavableStateIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	node := newFakeNode(dir)
	cfg := baseConfig(dir, node.pidFile)
	cfg.StateFile = filepath.Join(dir, "missing-dir", "state.json")
	m, err := lifecycle.New(cfg, node, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Stop(ctxT(t), true)
	if err != nil || res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("%v %+v", err, res)
	}
	found := false
	for _, w := range m.Status().Warnings {
		found = found || strings.Contains(w, "cannot be persisted")
	}
	if !found {
		t.Errorf("warnings %q do not say the state cannot be persisted", m.Status().Warnings)
	}
}
