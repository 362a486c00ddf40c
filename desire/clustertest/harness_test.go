package clustertest

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestFaultHarness is the quick subset CI runs. The full run (docs/desires.md):
//
//	RINGSIDE_HARNESS_RUNS=100 go test -count=1 ./desire/clustertest/ -run TestFaultHarness -v -timeout 3h
func TestFaultHarness(t *testing.T) {
	if raceEnabled {
		// Its timeouts are real ones: under the race detector, 2 cores
		// and 15 sidecar processes miss them. .ci/run runs it without.
		t.Skip("run without -race (.ci/run does)")
	}
	runs, seed := 6, uint64(1)
	if v := os.Getenv("RINGSIDE_HARNESS_RUNS"); v != "" {
		runs, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("RINGSIDE_HARNESS_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	topos := []string{"dc1:3x1,dc2:3x1", "dc1:3x2,dc2:3x2", "dc1:3x1", "dc1:3x3,dc2:3x2"}
	if runs < len(topos) {
		topos = topos[:2]
	}
	sum := RunHarness(t, HarnessConfig{Seed: seed, Runs: runs, Topologies: topos, RunTimeout: 90 * time.Second, Log: t.Logf})
	t.Logf("seed %d\n%s", seed, sum)
	if sum.Violations > 0 || sum.DoubleRestarts > 0 || sum.Missed > 0 || sum.Stuck > 0 || len(sum.Unexpected) > 0 {
		t.Errorf("harness found problems (seed %d):\n%s", seed, sum)
	}
}

// TestObserverCatchesUnsafeRestart: the observer is not blind: two of
// three replicas down for a "restart" is a LOCAL_QUORUM violation; the
// same with one of them a fault is not the restart's doing.
func TestObserverCatchesUnsafeRestart(t *testing.T) {
	e := Start(t, Options{Topology: "dc1:3x1"})
	obs, err := NewObserver(e.Cluster, keeps(e), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	go obs.Run()
	n := e.Cluster.Nodes()
	obs.Fault(0)
	n[0].Kill()
	time.Sleep(100 * time.Millisecond)
	n[1].Kill() // after the fault: the restart should have known
	time.Sleep(100 * time.Millisecond)
	viol, _, maxDown := obs.Stop()
	if len(viol) == 0 || maxDown != 1 {
		t.Fatalf("a restart taking a second replica down after a fault was not caught: %v (max down %d)", viol, maxDown)
	}
	n[0].Start()
	n[1].Start()
}
