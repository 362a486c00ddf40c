package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// syncBuffer is a bytes.Buffer safe to read while a child writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// TestSidecarKilledMidStop: `ringside serve` as a real process, SIGKILLed
// in the middle of a stop; the next one resumes the stop and finishes it.
// The pid comes from the process table here.
func TestSidecarKilledMidStop(t *testing.T) {
	t.Setenv("RINGSIDE", "")
	c := simtest.Start(t, "dc1:1x1", true, func(c *sim.Config) { c.DrainTime = 300 * time.Millisecond })
	n := c.Nodes()[0]
	cfg := c.Config()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := n.Status().Dir
	env := []string{
		"RINGSIDE_LISTEN_ADDRESS=" + addr,
		"RINGSIDE_DATA_DIR=" + filepath.Join(t.TempDir(), "state"),
		"RINGSIDE_CASSANDRA_CQL_ADDRESS=" + netip.AddrPortFrom(n.Addr, uint16(cfg.NativePort)).String(),
		fmt.Sprintf("RINGSIDE_CASSANDRA_JOLOKIA_URL=http://%s/jolokia/", netip.AddrPortFrom(n.Addr, uint16(cfg.JolokiaPort))),
		"RINGSIDE_CASSANDRA_CONFIG_FILE=" + n.YAMLPath(),
		"RINGSIDE_CASSANDRA_PID_SOURCE=process_table",
		"RINGSIDE_CASSANDRA_PROCESS_PATTERN=^ringside-sim-node@" + regexp.QuoteMeta(n.Addr.String()) + "( |$)",
		"RINGSIDE_CASSANDRA_TIMEOUT=2s",
		"RINGSIDE_HEALTH_REFRESH_INTERVAL=200ms",
		"RINGSIDE_HEALTH_MAX_AGE=5s",
		"RINGSIDE_LIFECYCLE_GRACE=3s",
		"RINGSIDE_LIFECYCLE_START_COMMAND=" + filepath.Join(dir, "bin", "cassandra-start"),
		"RINGSIDE_LIFECYCLE_STOP_COMMAND=" + filepath.Join(dir, "bin", "cassandra-stop"),
	}
	base := "http://" + addr
	var out syncBuffer
	serve := func() func() {
		cmd := ringside(t, "serve", env...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		return func() {
			cmd.Process.Kill()
			<-done
		}
	}
	status := func() (int, map[string]any) {
		resp, err := http.Get(base + "/v1/desires/node/status")
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	until := func(what string, cond func(int, map[string]any) bool) map[string]any {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, m := status()
			if cond(code, m) {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: never happened; last %d %v\n%s", what, code, m, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	kill := serve()
	until("running", func(code int, m map[string]any) bool { return code == 200 && m["state"] == "RUNNING" })
	if m := until("pid", func(_ int, m map[string]any) bool { return m["cassandra_pid"] != nil }); m["cassandra_pid"] != float64(n.PID()) {
		t.Fatalf("pid from the process table %v, node pid %d", m["cassandra_pid"], n.PID())
	}
	// The only node of the cluster: stopping it loses every range, so
	// the sidecar refuses unless forced.
	resp, err := http.Post(base+"/v1/desires/node/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || !strings.Contains(string(b), "force=true") || n.State() != sim.StateRunning {
		t.Fatalf("unforced stop of the only node: %d %s", resp.StatusCode, b)
	}
	resp, err = http.Post(base+"/v1/desires/node/stop?force=true", "", nil)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("stop: %v %v", err, resp)
	}
	resp.Body.Close()
	until("stopping", func(_ int, m map[string]any) bool { return m["step"] == "fail_healthchecks" })
	kill() // SIGKILL, in the middle of the grace
	time.Sleep(500 * time.Millisecond)
	if n.State() != sim.StateRunning {
		t.Fatalf("node %s before the sidecar came back", n.State())
	}

	kill = serve()
	defer kill()
	m := until("stopped", func(code int, m map[string]any) bool { return code == 503 && m["state"] == "STOPPED" })
	last := m["last_transition"].(map[string]any)
	if last["outcome"] != "succeeded" || last["resumed"] != float64(1) || m["desired"] != "STOPPED" {
		t.Errorf("after the resumed stop: %v", m)
	}
	if n.State() != sim.StateStopped {
		t.Errorf("node %s after the resumed stop", n.State())
	}
	if !strings.Contains(out.String(), "resuming the node stop") {
		t.Errorf("the log does not say it resumed:\n%s", out.String())
	}

	// The CLI against this sidecar: status exits 3 while stopped, start
	// --block follows the steps to success, then status exits 0.
	cli := func(args string) (string, int) {
		b, err := ringside(t, args).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(b), code
	}
	if o, code := cli("node status --url " + base); code != 3 || !strings.Contains(o, "STOPPED") {
		t.Errorf("node status while stopped: exit %d\n%s", code, o)
	}
	o, code := cli("node start --block --url " + base)
	if code != 0 || !strings.Contains(o, "wait_for_health") || !strings.Contains(o, "succeeded") {
		t.Errorf("node start --block: exit %d\n%s", code, o)
	}
	if n.State() != sim.StateRunning {
		t.Errorf("node %s after ringside node start", n.State())
	}
	if o, code := cli("node status --url " + base); code != 0 || !strings.Contains(o, "RUNNING") {
		t.Errorf("node status while running: exit %d\n%s", code, o)
	}
	// The only node: the CLI reports the refusal and the way out.
	if o, code := cli("node stop --url " + base); code != 1 || !strings.Contains(o, "--force") || n.State() != sim.StateRunning {
		t.Errorf("node stop of the only node: exit %d, node %s\n%s", code, n.State(), o)
	}
}
