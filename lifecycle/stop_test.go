package lifecycle_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

func TestStopBlocking(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	fx.runObserved(t)
	if st := fx.m.Status(); st.State != lifecycle.Running || st.Desired != lifecycle.Running || st.PID != fakePID {
		t.Fatalf("before the stop: status %+v, want RUNNING, desired RUNNING, pid %d", st, fakePID)
	}
	if n := len(fx.node.failEvents()); n != 0 {
		t.Fatalf("FailCoordinator called %d times before any stop", n)
	}

	before := time.Now()
	res, err := fx.m.Stop(ctxT(t), true)
	returned := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Transition
	if !res.Done || tr.Outcome != lifecycle.Succeeded || res.State != lifecycle.Stopped {
		t.Fatalf("result: done=%v outcome=%q state=%s error=%q, want a succeeded stop", res.Done, tr.Outcome, res.State, tr.Error)
	}
	if tr.Type != "stop" || tr.Trigger != "request" {
		t.Errorf("type %q trigger %q, want stop/request", tr.Type, tr.Trigger)
	}

	// The order: coordinator fails, then after the grace the drain (with
	// the process still running), then the stop command.
	evs := fx.node.snapshot()
	if len(evs) < 3 || evs[0].kind != "fail" || evs[1].kind != "drain" || evs[2].kind != "drain_done" {
		t.Fatalf("events %+v, want fail, drain, drain_done first", evs)
	}
	fail, drain, drained := evs[0], evs[1], evs[2]
	if fail.reason == "" {
		t.Error("FailCoordinator was called with an empty reason at the start of the stop")
	}
	if fail.at.Before(before) {
		t.Error("FailCoordinator happened before the stop was asked for")
	}
	if gap := drain.at.Sub(fail.at); gap < fx.cfg.Grace {
		t.Errorf("drain began %s after the coordinator check failed; want at least the grace %s", gap, fx.cfg.Grace)
	}
	if !drain.alive {
		t.Error("the process was already gone when the drain began")
	}
	if got := stepRec(t, tr, lifecycle.StepStopCommand).Started; got.Before(drained.at) {
		t.Errorf("the stop command began at %s, before the drain returned at %s", got, drained.at)
	}
	if fx.node.running() {
		t.Error("the pid file still exists after the stop")
	}
	if n := lines(t, fx.stopLog); n != 1 {
		t.Errorf("the stop command ran %d times, want 1", n)
	}
	if n := lines(t, fx.startLog); n != 0 {
		t.Errorf("the start command ran %d times during a stop", n)
	}
	if !tr.Finished.Before(returned.Add(time.Millisecond)) {
		t.Errorf("the transition finished at %s, after Stop returned at %s", tr.Finished, returned)
	}

	if !eq(tr.Checks, []string{"coordinator"}) {
		t.Errorf("Checks %q, want [coordinator]", tr.Checks)
	}
	if tr.Executed != fx.cfg.StopCommand {
		t.Errorf("Executed %q, want the stop command %q", tr.Executed, fx.cfg.StopCommand)
	}
	if tr.PID != 0 {
		t.Errorf("PID %d after a stop, want 0", tr.PID)
	}
	if tr.Step != "" || tr.Error != "" || len(tr.Warnings) != 0 || tr.Note != "" {
		t.Errorf("step %q error %q warnings %q note %q, want none", tr.Step, tr.Error, tr.Warnings, tr.Note)
	}
	want := []string{"fail_healthchecks=ok", "drain=ok", "stop_command=ok", "wait_for_exit=ok"}
	if got := stepsOf(tr); !eq(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	for i := 1; i < len(tr.Steps); i++ {
		if tr.Steps[i].Started.Before(tr.Steps[i-1].Finished) {
			t.Errorf("step %s began before step %s finished", tr.Steps[i].Step, tr.Steps[i-1].Step)
		}
	}

	st := fx.m.Status()
	if st.State != lifecycle.Stopped || st.Desired != lifecycle.Stopped || st.PID != 0 || st.Running() {
		t.Errorf("status %+v, want STOPPED, desired STOPPED, no pid", st)
	}
	// Stopped on request: the coordinator check keeps failing.
	fails := fx.node.failEvents()
	if last := fails[len(fails)-1]; last.reason == "" {
		t.Error("the coordinator override was cleared although the node is stopped on request")
	}
	ps := readState(t, fx.cfg.StateFile)
	if ps.State != "STOPPED" || ps.Desired != "STOPPED" || ps.Last == nil || ps.Last.Outcome != "succeeded" || ps.Last.Step != "" {
		t.Errorf("persisted %+v, want STOPPED/STOPPED and a succeeded stop", ps)
	}

	v := tr.View(res.State, time.Now())
	for _, k := range []string{"cassandra_pid", "executed", "healthchecks_failed", "time_to_stop_in_s"} {
		if _, ok := v[k]; !ok {
			t.Errorf("View lacks %q: %v", k, v)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if j["cassandra_pid"] != nil {
		t.Errorf("cassandra_pid %v, want null", j["cassandra_pid"])
	}
	if j["executed"] != fx.cfg.StopCommand {
		t.Errorf("executed %v", j["executed"])
	}
	if hc, _ := j["healthchecks_failed"].([]any); len(hc) != 1 || hc[0] != "coordinator" {
		t.Errorf("healthchecks_failed %v", j["healthchecks_failed"])
	}
	if s, ok := j["time_to_stop_in_s"].(float64); !ok || s < fx.cfg.Grace.Seconds() {
		t.Errorf("time_to_stop_in_s %v, want at least the grace", j["time_to_stop_in_s"])
	}
	if j["state"] != "STOPPED" || j["outcome"] != "succeeded" {
		t.Errorf("state %v outcome %v", j["state"], j["outcome"])
	}
}

func TestStopNotRunning(t *testing.T) {
	t.Parallel()
	for _, block := range []bool{true, false} {
		fx := newFixture(t, false, nil)
		fx.runObserved(t)
		res, err := fx.m.Stop(ctxT(t), block)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if !res.Done || tr.Outcome != lifecycle.Succeeded || res.State != lifecycle.Stopped {
			t.Fatalf("block=%v: done=%v outcome=%q state=%s", block, res.Done, tr.Outcome, res.State)
		}
		if tr.Note == "" {
			t.Errorf("block=%v: no note explains that nothing was done", block)
		}
		if len(tr.Steps) != 0 || tr.Executed != "" {
			t.Errorf("block=%v: steps %v executed %q, want none", block, stepsOf(tr), tr.Executed)
		}
		if n := lines(t, fx.stopLog); n != 0 {
			t.Errorf("block=%v: the stop command ran", block)
		}
		if n := fx.node.drains(); n != 0 {
			t.Errorf("block=%v: drained %d times", block, n)
		}
		if st := fx.m.Status(); st.State != lifecycle.Stopped || st.Desired != lifecycle.Stopped {
			t.Errorf("block=%v: status %s desired %s", block, st.State, st.Desired)
		}
		if ps := readState(t, fx.cfg.StateFile); ps.Desired != "STOPPED" {
			t.Errorf("block=%v: persisted desire %q", block, ps.Desired)
		}
	}
}

func TestStopDrainProblems(t *testing.T) {
	t.Parallel()
	slow := func(c *lifecycle.Config, f *fakeNode) {
		c.DrainTimeout = 100 * time.Millisecond
		f.drainDelay = time.Minute
	}
	failing := func(c *lifecycle.Config, f *fakeNode) { f.drainErr = errors.New("JMX connection refused") }
	for _, tc := range []struct {
		name         string
		mod          func(*lifecycle.Config, *fakeNode)
		abort        bool
		drainOutcome string
		detail       string
	}{
		{"fails-continue", failing, false, "failed", "JMX connection refused"},
		{"times-out-continue", slow, false, "timed_out", "drain_timeout"},
		{"fails-abort", failing, true, "failed", "JMX connection refused"},
		{"times-out-abort", slow, true, "timed_out", "drain_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, true, func(c *lifecycle.Config, f *fakeNode) {
				tc.mod(c, f)
				c.AbortOnDrainFailure = tc.abort
			})
			fx.runObserved(t)
			begin := time.Now()
			res, err := fx.m.Stop(ctxT(t), true)
			if err != nil {
				t.Fatal(err)
			}
			tr := res.Transition
			dr := stepRec(t, tr, lifecycle.StepDrain)
			if dr.Outcome != tc.drainOutcome || !strings.Contains(dr.Detail, tc.detail) {
				t.Errorf("drain step %s %q, want %s mentioning %q", dr.Outcome, dr.Detail, tc.drainOutcome, tc.detail)
			}
			if tc.drainOutcome == "timed_out" {
				// The drain was given DrainTimeout, and no more than a bit.
				if d := dr.Finished.Sub(dr.Started); d < fx.cfg.DrainTimeout || d > fx.cfg.DrainTimeout+time.Second {
					t.Errorf("the drain step lasted %s with a drain_timeout of %s", d, fx.cfg.DrainTimeout)
				}
			}
			if !tc.abort {
				if tr.Outcome != lifecycle.Succeeded || res.State != lifecycle.Stopped {
					t.Fatalf("outcome %q state %s error %q, want the stop to go on and succeed", tr.Outcome, res.State, tr.Error)
				}
				if len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "went on") {
					t.Errorf("warnings %q, want one saying the stop went on", tr.Warnings)
				}
				if fx.node.running() || lines(t, fx.stopLog) != 1 {
					t.Error("the stop command did not run after the drain problem")
				}
				return
			}
			if tr.Outcome != lifecycle.Aborted || res.State != lifecycle.Failed || !res.Done {
				t.Fatalf("outcome %q state %s done %v, want aborted, FAILED", tr.Outcome, res.State, res.Done)
			}
			if !strings.Contains(tr.Error, "aborted") || !strings.Contains(tr.Error, "still running") {
				t.Errorf("error %q", tr.Error)
			}
			if !fx.node.running() || !fx.node.Alive(fakePID) {
				t.Error("the process is gone after an aborted stop")
			}
			if n := lines(t, fx.stopLog); n != 0 {
				t.Errorf("the stop command ran %d times in an aborted stop", n)
			}
			want := []string{"fail_healthchecks=ok", "drain=" + tc.drainOutcome}
			if got := stepsOf(tr); !eq(got, want) {
				t.Errorf("steps %q, want %q", got, want)
			}
			fails := fx.node.failEvents()
			if len(fails) != 2 || fails[0].reason == "" || fails[1].reason != "" || fails[1].at.Before(begin) {
				t.Errorf("FailCoordinator events %+v, want a reason then \"\" (cleared)", fails)
			}
			st := fx.m.Status()
			if st.State != lifecycle.Failed || st.Desired != lifecycle.Running || st.PID != fakePID {
				t.Errorf("status %s desired %s pid %d, want FAILED with the desire back to RUNNING", st.State, st.Desired, st.PID)
			}
			if ps := readState(t, fx.cfg.StateFile); ps.State != "FAILED" || ps.Desired != "RUNNING" || ps.Last.Outcome != "aborted" {
				t.Errorf("persisted %+v", ps)
			}
			// FAILED stands while the same process runs.
			waitPolls(t, fx.node, 5)
			if st := fx.m.Status(); st.State != lifecycle.Failed {
				t.Errorf("state %s after a few polls, want FAILED to stand", st.State)
			}
		})
	}
}

func TestStopAlreadyDrained(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, func(_ *lifecycle.Config, f *fakeNode) { f.drainAlready = true })
	fx.runObserved(t)
	res, err := fx.m.Stop(ctxT(t), true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fail_healthchecks=ok", "drain=skipped", "stop_command=ok", "wait_for_exit=ok"}
	if got := stepsOf(res.Transition); !eq(got, want) || res.Transition.Outcome != lifecycle.Succeeded {
		t.Errorf("steps %q outcome %q, want %q succeeded", got, res.Transition.Outcome, want)
	}
}

func TestStopCommandProblems(t *testing.T) {
	t.Parallel()
	t.Run("fails-process-lives", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, true, func(c *lifecycle.Config, _ *fakeNode) { c.StopCommand = "echo nope; exit 3" })
		fx.runObserved(t)
		res, err := fx.m.Stop(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || res.State != lifecycle.Failed || !strings.Contains(tr.Error, "nope") {
			t.Errorf("outcome %q state %s error %q", tr.Outcome, res.State, tr.Error)
		}
		if got := stepRec(t, tr, lifecycle.StepStopCommand).Outcome; got != "failed" {
			t.Errorf("stop_command %s", got)
		}
		if tr.PID != fakePID {
			t.Errorf("PID %d, want the still running %d", tr.PID, fakePID)
		}
	})
	t.Run("fails-process-gone", func(t *testing.T) {
		t.Parallel()
		fx2 := newFixture(t, true, func(c *lifecycle.Config, f *fakeNode) {
			c.StopCommand = "rm -f " + sq(f.pidFile) + "; exit 1"
		})
		fx2.runObserved(t)
		res, err := fx2.m.Stop(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.Succeeded || len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "has exited") {
			t.Errorf("outcome %q warnings %q", tr.Outcome, tr.Warnings)
		}
	})
	t.Run("process-never-exits", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, true, func(c *lifecycle.Config, _ *fakeNode) {
			c.StopCommand = "true"
			c.StopTimeout = 300 * time.Millisecond
		})
		fx.runObserved(t)
		begin := time.Now()
		res, err := fx.m.Stop(ctxT(t), true)
		took := time.Since(begin)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || res.State != lifecycle.Failed || !strings.Contains(tr.Error, "stop_timeout") {
			t.Errorf("outcome %q state %s error %q", tr.Outcome, res.State, tr.Error)
		}
		if limit := fx.cfg.Grace + fx.cfg.StopTimeout + 2*time.Second; took > limit {
			t.Errorf("took %s, want less than %s", took, limit)
		}
		if !fx.node.running() {
			t.Error("the process is gone: ringside must not kill it")
		}
	})
}

// The log line of a finished stop names the process that was stopped
// (after the stop there is no pid, and "pid=0" told an operator nothing).
func TestStopLogNamesStoppedPID(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	fx := newFixtureLog(t, true, nil, slog.New(slog.NewTextHandler(&buf, nil)))
	run(t, fx.m)
	if _, err := fx.m.Stop(ctxT(t), true); err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "node stop succeeded") {
			line = l
		}
	}
	if want := fmt.Sprintf("stopped_pid=%d", fakePID); !strings.Contains(line, want) || strings.Contains(line, " pid=0") {
		t.Errorf("log line %q, want it to contain %s", line, want)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
