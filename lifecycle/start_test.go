package lifecycle_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

func TestStartBlocking(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, false, nil)
	fx.runObserved(t)

	// The node becomes healthy a while after its process appears.
	const healthyDelay = 150 * time.Millisecond
	var mu sync.Mutex
	var healthyAt time.Time
	go func() {
		deadline := time.Now().Add(5 * time.Second)
		for !fx.node.running() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(healthyDelay)
		mu.Lock()
		healthyAt = time.Now()
		mu.Unlock()
		fx.node.set(func(f *fakeNode) { f.healthy = true })
	}()

	before := time.Now()
	res, err := fx.m.Start(ctxT(t), true)
	returned := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Transition
	if !res.Done || tr.Outcome != lifecycle.Succeeded || res.State != lifecycle.Running {
		t.Fatalf("done=%v outcome=%q state=%s error=%q, want a succeeded start", res.Done, tr.Outcome, res.State, tr.Error)
	}
	mu.Lock()
	ha := healthyAt
	mu.Unlock()
	if ha.IsZero() || returned.Before(ha) {
		t.Fatalf("Start returned at %s, before the node became healthy at %s", returned, ha)
	}
	fx.node.mu.Lock()
	passedAt, afters := fx.node.healthPassedAt, append([]time.Time(nil), fx.node.healthAfters...)
	fx.node.mu.Unlock()
	if passedAt.IsZero() || tr.Finished.Before(passedAt) {
		t.Errorf("the start finished at %s, before health first passed at %s", tr.Finished, passedAt)
	}
	// Health is asked about data read after the wait began, never older.
	wh := stepRec(t, tr, lifecycle.StepWaitHealth)
	for _, a := range afters {
		if a.Before(before) || !a.Equal(wh.Started) {
			t.Errorf("Health(after=%s): want the wait_for_health step's start %s (after the request at %s)", a, wh.Started, before)
			break
		}
	}
	if !eq(tr.Checks, []string{"coordinator", "replica"}) {
		t.Errorf("Checks %q, want [coordinator replica]", tr.Checks)
	}
	if tr.Executed != fx.cfg.StartCommand || tr.PID != fakePID {
		t.Errorf("executed %q pid %d", tr.Executed, tr.PID)
	}
	if got, want := stepsOf(tr), []string{"start_command=ok", "wait_for_health=ok"}; !eq(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if n := lines(t, fx.startLog); n != 1 {
		t.Errorf("the start command ran %d times", n)
	}
	if st := fx.m.Status(); st.State != lifecycle.Running || st.Desired != lifecycle.Running || st.PID != fakePID {
		t.Errorf("status %+v", st)
	}
	if ps := readState(t, fx.cfg.StateFile); ps.State != "RUNNING" || ps.Desired != "RUNNING" || ps.Last.Type != "start" {
		t.Errorf("persisted %+v", ps)
	}
	b, _ := json.Marshal(tr.View(res.State, time.Now()))
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if hc, _ := j["healthchecks_passed"].([]any); len(hc) != 2 {
		t.Errorf("healthchecks_passed %v", j["healthchecks_passed"])
	}
	if s, ok := j["time_to_start_in_s"].(float64); !ok || s < healthyDelay.Seconds() {
		t.Errorf("time_to_start_in_s %v, want at least %s", j["time_to_start_in_s"], healthyDelay)
	}
	if j["cassandra_pid"] != float64(fakePID) || j["executed"] != fx.cfg.StartCommand {
		t.Errorf("cassandra_pid %v executed %v", j["cassandra_pid"], j["executed"])
	}
	if _, ok := j["healthchecks_failed"]; ok {
		t.Error("a start view has healthchecks_failed")
	}
}

func TestStartAlreadyRunning(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, func(_ *lifecycle.Config, f *fakeNode) { f.healthy = true })
	fx.runObserved(t)
	res, err := fx.m.Start(ctxT(t), true)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Transition
	if tr.Outcome != lifecycle.Succeeded || res.State != lifecycle.Running {
		t.Fatalf("outcome %q state %s error %q", tr.Outcome, res.State, tr.Error)
	}
	if n := lines(t, fx.startLog); n != 0 {
		t.Errorf("the start command ran %d times although Cassandra was running", n)
	}
	if sc := stepRec(t, tr, lifecycle.StepStartCmd); sc.Outcome != "skipped" || !strings.Contains(sc.Detail, "already running") {
		t.Errorf("start_command %s %q, want skipped", sc.Outcome, sc.Detail)
	}
	if tr.Executed != "" {
		t.Errorf("Executed %q although nothing ran", tr.Executed)
	}
}

func TestStartAfterStopClearsOverride(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, func(_ *lifecycle.Config, f *fakeNode) { f.healthy = true })
	fx.runObserved(t)
	if res, err := fx.m.Stop(ctxT(t), true); err != nil || res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("stop: %v %+v", err, res)
	}
	fails := fx.node.failEvents()
	if len(fails) == 0 || fails[len(fails)-1].reason == "" {
		t.Fatalf("after the stop, the coordinator check is not failing on purpose: %+v", fails)
	}
	res, err := fx.m.Start(ctxT(t), true)
	if err != nil || res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("start: %v %+v", err, res.Transition)
	}
	fails = fx.node.failEvents()
	if fails[len(fails)-1].reason != "" {
		t.Errorf("the coordinator override is still on after a successful start: %q", fails[len(fails)-1].reason)
	}
	if n := lines(t, fx.startLog); n != 1 {
		t.Errorf("start command ran %d times", n)
	}
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	t.Run("never-comes-up", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, false, func(c *lifecycle.Config, f *fakeNode) {
			c.StartCommand = "true"
			c.StartTimeout = 400 * time.Millisecond
			f.healthy = true
		})
		fx.runObserved(t)
		begin := time.Now()
		res, err := fx.m.Start(ctxT(t), true)
		took := time.Since(begin)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || res.State != lifecycle.Failed || !res.Done {
			t.Fatalf("outcome %q state %s", tr.Outcome, res.State)
		}
		if !strings.Contains(tr.Error, "start_timeout") || !strings.Contains(tr.Error, "not running") {
			t.Errorf("error %q, want it to name start_timeout and why", tr.Error)
		}
		if took < fx.cfg.StartTimeout || took > fx.cfg.StartTimeout+time.Second {
			t.Errorf("gave up after %s with a start_timeout of %s", took, fx.cfg.StartTimeout)
		}
		if st := fx.m.Status(); st.State != lifecycle.Failed || st.Desired != lifecycle.Running {
			t.Errorf("status %s desired %s", st.State, st.Desired)
		}
		if got := stepRec(t, tr, lifecycle.StepWaitHealth).Outcome; got != lifecycle.FailedOut {
			t.Errorf("wait_for_health %s", got)
		}
	})
	t.Run("command-fails", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, false, func(c *lifecycle.Config, _ *fakeNode) { c.StartCommand = "echo boom; exit 1" })
		fx.runObserved(t)
		res, err := fx.m.Start(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || res.State != lifecycle.Failed || !strings.Contains(tr.Error, "boom") {
			t.Errorf("outcome %q state %s error %q, want FAILED with the command's output", tr.Outcome, res.State, tr.Error)
		}
		if got, want := stepsOf(tr), []string{"start_command=failed"}; !eq(got, want) {
			t.Errorf("steps %q, want %q", got, want)
		}
		if st := fx.m.Status(); st.State != lifecycle.Failed {
			t.Errorf("status %s", st.State)
		}
	})
	t.Run("stale-health-data", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, false, func(c *lifecycle.Config, f *fakeNode) {
			c.StartTimeout = 300 * time.Millisecond
			f.healthy = true
			f.staleData = true
		})
		fx.runObserved(t)
		res, err := fx.m.Start(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || !strings.Contains(tr.Error, "no health data") {
			t.Errorf("outcome %q error %q, want a failure for want of fresh health data", tr.Outcome, tr.Error)
		}
	})
	t.Run("command-hangs", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, false, func(c *lifecycle.Config, _ *fakeNode) {
			c.StartCommand = "sleep 30"
			c.StartTimeout = 300 * time.Millisecond
		})
		fx.runObserved(t)
		begin := time.Now()
		res, err := fx.m.Start(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(begin); took > fx.cfg.StartTimeout+3*time.Second {
			t.Errorf("took %s", took)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || !strings.Contains(tr.Error, "did not finish in time") {
			t.Errorf("outcome %q error %q", tr.Outcome, tr.Error)
		}
	})
}
