//go:build linux

package node

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sleeper starts `sleep 1000` with argv[0] name, killed at the end of the test.
func sleeper(t *testing.T, name string) int {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	cmd.Args[0] = name
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func TestFindProcess(t *testing.T) {
	name := fmt.Sprintf("ringside-test-%x", rand.Uint64())
	pat := regexp.MustCompile("^" + regexp.QuoteMeta(name) + " 1000$")
	if pid, err := FindProcess(pat); pid != 0 || err != nil {
		t.Fatalf("before start: %d %v", pid, err)
	}
	want := sleeper(t, name)
	if pid, err := FindProcess(pat); pid != want || err != nil {
		t.Fatalf("got %d %v, want %d", pid, err, want)
	}
	// Two matches: ambiguous, never a guess.
	other := sleeper(t, name)
	pid, err := FindProcess(pat)
	if pid != 0 || err == nil || !strings.Contains(err.Error(), fmt.Sprint(want)) || !strings.Contains(err.Error(), fmt.Sprint(other)) {
		t.Fatalf("two matches: %d %v", pid, err)
	}
	// The caller itself never matches.
	self := regexp.MustCompile("^" + regexp.QuoteMeta(os.Args[0]) + "( |$)")
	if pid, err := FindProcess(self); pid != 0 || err != nil {
		t.Fatalf("self: %d %v", pid, err)
	}
}

// TestFindProcessSim: each simulated node's stand-in process is found by
// its address, and is the node's pid.
func TestFindProcessSim(t *testing.T) {
	c := startCluster(t, "dc1:3x1", nil)
	for _, n := range c.Nodes() {
		pat := regexp.MustCompile("^ringside-sim-node@" + regexp.QuoteMeta(n.Addr.String()) + "( |$)")
		pid, err := FindProcess(pat)
		if err != nil || pid == 0 || pid != n.PID() {
			t.Fatalf("%s: found %d %v, node pid %d", n.Addr, pid, err, n.PID())
		}
		if filePID, err := ReadPIDFile(n.PIDFile()); err != nil || filePID != pid {
			t.Fatalf("%s: pidfile %d %v", n.Addr, filePID, err)
		}
	}
}

// TestProcessAliveZombie: an exited child not yet reaped is not alive.
func TestProcessAliveZombie(t *testing.T) {
	if !ProcessAlive(os.Getpid()) {
		t.Fatal("self not alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for !zombie(pid) {
		if time.Now().After(deadline) {
			t.Fatal("child never became a zombie")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ProcessAlive(pid) {
		t.Fatal("zombie reported alive")
	}
	cmd.Wait()
	if ProcessAlive(pid) {
		t.Fatal("reaped child reported alive")
	}
}
