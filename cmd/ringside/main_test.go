package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this binary's main as a child process.
func TestMain(m *testing.M) {
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
