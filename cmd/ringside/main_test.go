package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// TestMain lets the tests run this binary's main as a child process, and
// serves the `sim ctl` and `sim nodetool` runs of simulated nodes' bin/
// scripts (they exec os.Executable(), here this test binary).
func TestMain(m *testing.M) {
	if os.Getenv("RINGSIDE_TEST_MAIN") == "argv" { // the `ringside` of shellWithRingside
		os.Args = append([]string{"ringside"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	if len(os.Args) > 2 && os.Args[1] == "sim" && (os.Args[2] == "ctl" || os.Args[2] == "nodetool") {
		main()
		os.Exit(0)
	}
	if os.Getenv("RINGSIDE_TEST_MAIN") == "1" {
		os.Args = append([]string{"ringside"}, strings.Fields(os.Getenv("RINGSIDE_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func ringside(t *testing.T, args string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"RINGSIDE_TEST_MAIN=1", "RINGSIDE_TEST_ARGS=" + args}, env...)...)
	return cmd
}

func TestServeRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "ringside.yaml")
	os.WriteFile(bad, []byte("listen_address: :5000\ncassandra:\n  jolokia: http://x\n"), 0o644)
	for _, tc := range []struct{ args, want string }{
		{"serve --config " + bad, "jolokia"},
		{"serve --config " + filepath.Join(dir, "missing.yaml"), "does not exist"},
		{"serve --nope", "flag provided but not defined"},
		{"frobnicate", "unknown command"},
	} {
		out, err := ringside(t, tc.args).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("ringside %s: err %v, output %q; want failure mentioning %q", tc.args, err, out, tc.want)
		}
	}
	out, err := ringside(t, "serve --check", "RINGSIDE_HEALTH_MAX_AGE=30").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "RINGSIDE_HEALTH_MAX_AGE") {
		t.Errorf("bad environment override: %v %q", err, out)
	}
}

// TestServeStopsOnSIGTERM: with no Cassandra at all it still serves (503s)
// and exits cleanly on SIGTERM.
func TestServeStopsOnSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	cmd := ringside(t, "serve", "RINGSIDE_LISTEN_ADDRESS="+addr, "RINGSIDE_CASSANDRA_CQL_ADDRESS=127.0.0.1:1",
		"RINGSIDE_CASSANDRA_JOLOKIA_URL=http://127.0.0.1:1/jolokia/", "RINGSIDE_CASSANDRA_TIMEOUT=500ms")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("serve never listened: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 15s after SIGTERM:\n%s", out.String())
	}
}

// TestSimCtlScript: a simulated node's bin/cassandra-stop runs this test
// binary as `sim ctl` (TestMain's first case).
func TestSimCtlScript(t *testing.T) {
	t.Setenv("RINGSIDE", "")
	c := simtest.Start(t, "dc1:1x1", true, nil)
	n := c.Nodes()[0]
	out, err := exec.Command(filepath.Join(n.Status().Dir, "bin", "cassandra-stop")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "STOPPED") {
		t.Fatalf("cassandra-stop: %v\n%s", err, out)
	}
	if n.State() != sim.StateStopped {
		t.Fatalf("state %s", n.State())
	}
}

// TestSimNodetool: `ringside sim nodetool` against a simulated node, and
// NodeTool.connect's failure against a port nothing listens on.
func TestSimNodetool(t *testing.T) {
	c := simtest.Start(t, "dc1:2x1", true, nil)
	n := c.Nodes()[0]
	args := "sim nodetool -h " + n.Addr.String() + " -p " + strconv.Itoa(c.Config().JolokiaPort) + " status"
	out, err := ringside(t, args).Output()
	if err != nil || !strings.HasPrefix(string(out), "Datacenter: dc1\n===============\n") || strings.Count(string(out), "\nUN  ") != 2 {
		t.Errorf("ringside %s: %v\n%s", args, err, out)
	}
	// The node's own bin/nodetool runs the same (this test binary).
	if out, err := exec.Command(n.NodetoolPath(), "statusgossip").Output(); err != nil || string(out) != "running\n" {
		t.Errorf("bin/nodetool statusgossip: %v %q", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	cmd := ringside(t, "sim nodetool -h 127.0.0.1 -p "+port+" version")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 ||
		stderr.String() != "nodetool: Failed to connect to '127.0.0.1:"+port+"' - ConnectException: 'Connection refused (Connection refused)'.\n" {
		t.Errorf("closed port: %v %q", err, stderr.String())
	}
}
