package lifecycle_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

type result struct {
	res lifecycle.Result
	err error
}

func TestConcurrentStopsJoin(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, func(_ *lifecycle.Config, f *fakeNode) { f.drainDelay = 200 * time.Millisecond })
	fx.runObserved(t)
	ctx := ctxT(t)
	first, second := make(chan result, 1), make(chan result, 1)
	go func() { r, err := fx.m.Stop(ctx, true); first <- result{r, err} }()
	waitFor(t, 3*time.Second, "the stop to begin", func() bool { return fx.m.Status().State == lifecycle.Stopping })
	go func() { r, err := fx.m.Stop(ctx, true); second <- result{r, err} }()
	var a, b result
	for _, p := range []struct {
		ch  chan result
		dst *result
	}{{first, &a}, {second, &b}} {
		select {
		case *p.dst = <-p.ch:
		case <-time.After(5 * time.Second):
			t.Fatal("a blocking stop did not return")
		}
	}
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	if !a.res.Done || !b.res.Done || a.res.Transition.Outcome != lifecycle.Succeeded || b.res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("outcomes %q %q", a.res.Transition.Outcome, b.res.Transition.Outcome)
	}
	if !a.res.Transition.Requested.Equal(b.res.Transition.Requested) || b.res.Transition.Note != "" {
		t.Errorf("the second stop did not join the first: requested %s vs %s, note %q",
			a.res.Transition.Requested, b.res.Transition.Requested, b.res.Transition.Note)
	}
	if n := fx.node.drains(); n != 1 {
		t.Errorf("drained %d times", n)
	}
	if n := lines(t, fx.stopLog); n != 1 {
		t.Errorf("the stop command ran %d times", n)
	}
}

func TestStartDuringStopConflicts(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, func(_ *lifecycle.Config, f *fakeNode) { f.drainDelay = 300 * time.Millisecond })
	fx.runObserved(t)
	ctx := ctxT(t)
	begin := time.Now()
	res, err := fx.m.Stop(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Non-blocking: at once, in progress.
	if res.Done || res.Transition.Outcome != lifecycle.InProgress || res.State != lifecycle.Stopping {
		t.Fatalf("non-blocking stop: done=%v outcome=%q state=%s", res.Done, res.Transition.Outcome, res.State)
	}
	if fx.node.drains() != 0 && time.Since(begin) < fx.cfg.Grace {
		t.Error("drained within the grace")
	}
	for _, block := range []bool{false, true} {
		_, err = fx.m.Start(ctx, block)
		var ce *lifecycle.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("start during a stop (block=%v): %v, want a ConflictError", block, err)
		}
		if ce.Status.State != lifecycle.Stopping || !strings.Contains(ce.Msg, "stop") {
			t.Errorf("conflict %q state %s", ce.Msg, ce.Status.State)
		}
	}
	// Join the stop and let it finish; the start never ran.
	res, err = fx.m.Stop(ctx, true)
	if err != nil || res.Transition.Outcome != lifecycle.Succeeded {
		t.Fatalf("%v %+v", err, res.Transition)
	}
	if n := lines(t, fx.startLog); n != 0 {
		t.Errorf("the start command ran %d times", n)
	}
	if st := fx.m.Status(); st.Desired != lifecycle.Stopped {
		t.Errorf("desired %s", st.Desired)
	}
}

func TestStopSupersedesStart(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, false, nil) // never healthy: the start waits
	fx.runObserved(t)
	ctx := ctxT(t)
	started := make(chan result, 1)
	go func() { r, err := fx.m.Start(ctx, true); started <- result{r, err} }()
	waitFor(t, 3*time.Second, "the start to wait for health", func() bool {
		st := fx.m.Status()
		return st.Step == lifecycle.StepWaitHealth && fx.node.running()
	})
	stop, err := fx.m.Stop(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var start result
	select {
	case start = <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the superseded start did not return")
	}
	if start.err != nil {
		t.Fatal(start.err)
	}
	st := start.res.Transition
	if !start.res.Done || st.Outcome != lifecycle.FailedOut || !strings.Contains(st.Error, "superseded") {
		t.Errorf("start: done=%v outcome %q error %q, want failed, superseded", start.res.Done, st.Outcome, st.Error)
	}
	if elapsed := st.Finished.Sub(st.Requested); elapsed >= fx.cfg.StartTimeout {
		t.Errorf("the start ran %s: it timed out rather than being superseded", elapsed)
	}
	tr := stop.Transition
	if tr.Outcome != lifecycle.Succeeded || stop.State != lifecycle.Stopped || tr.Type != "stop" {
		t.Errorf("stop: outcome %q state %s", tr.Outcome, stop.State)
	}
	if tr.Requested.Before(st.Finished) {
		t.Errorf("the stop began at %s, before the start ended at %s", tr.Requested, st.Finished)
	}
	if fx.node.running() || lines(t, fx.stopLog) != 1 {
		t.Error("the stop did not stop the started process")
	}
	if s := fx.m.Status(); s.State != lifecycle.Stopped || s.Desired != lifecycle.Stopped {
		t.Errorf("status %s desired %s", s.State, s.Desired)
	}
}

func TestStartNonBlocking(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, false, nil)
	// The command takes a while and the process appears at its end.
	fx.cfg.StartCommand = "sleep 0.2 && " + fx.cfg.StartCommand
	m, err := lifecycle.New(fx.cfg, fx.node, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx.m = m
	fx.runObserved(t)
	ctx := ctxT(t)
	res, err := fx.m.Start(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !fx.node.running() || lines(t, fx.startLog) != 1 {
		t.Fatal("a non-blocking start returned before its start command had run")
	}
	if res.Done || res.Transition.Outcome != lifecycle.InProgress || res.State != lifecycle.Starting {
		t.Errorf("done=%v outcome=%q state=%s, want in progress", res.Done, res.Transition.Outcome, res.State)
	}
	if sc := stepRec(t, res.Transition, lifecycle.StepStartCmd); sc.Outcome != "ok" {
		t.Errorf("start_command %s", sc.Outcome)
	}
	// A second start joins it; it then succeeds once healthy.
	fx.node.set(func(f *fakeNode) { f.healthy = true })
	res2, err := fx.m.Start(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Transition.Requested.Equal(res.Transition.Requested) || res2.Transition.Outcome != lifecycle.Succeeded {
		t.Errorf("joined start: requested %s vs %s, outcome %q", res2.Transition.Requested, res.Transition.Requested, res2.Transition.Outcome)
	}
	if n := lines(t, fx.startLog); n != 1 {
		t.Errorf("the start command ran %d times", n)
	}
}

func TestShutdownRefusesAndRunReturns(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	stop := fx.runObserved(t)
	stop()
	if _, err := fx.m.Stop(ctxT(t), true); err == nil {
		t.Error("Stop after Run returned: no error")
	}
	if _, err := fx.m.Start(ctxT(t), true); err == nil {
		t.Error("Start after Run returned: no error")
	}
	if !fx.node.running() || fx.node.drains() != 0 {
		t.Error("something happened after shutdown")
	}
}
