package sidecar_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// TestMain lets the nodes' bin/cassandra-{start,stop} scripts, which exec
// this binary as `ringside sim ctl`, work under go test.
func TestMain(m *testing.M) { simtest.Main(m) }

// startLifecycleDemo is a one-DC demo whose first node's sidecar is
// configured by adjust; the drain takes long enough to be seen.
func startLifecycleDemo(t *testing.T, adjust func(c *config.Config)) (*demo.Demo, *demo.Sidecar) {
	t.Helper()
	scfg, err := sim.TestConfig("dc1:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	scfg.DrainTime = 300 * time.Millisecond
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond,
		Configure: func(n *sim.Node, c *config.Config) {
			if n.Index() == 0 && adjust != nil {
				adjust(c)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, d.Sidecars[0]
}

func post(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("POST %s: %d, body is not JSON: %q", url, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func waitStatus(t *testing.T, sc *demo.Sidecar, within time.Duration, cond func(code int, m map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, m := get(t, sc.URL+"/v1/desires/node/status")
		if cond(code, m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never reached the expected state; last %d %v", code, m)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// timeline records when each thing was first seen.
type timeline struct {
	mu    sync.Mutex
	first map[string]time.Time
}

func (tl *timeline) see(what string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if _, ok := tl.first[what]; !ok {
		tl.first[what] = time.Now()
	}
}

func (tl *timeline) at(t *testing.T, what string) time.Time {
	t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	v, ok := tl.first[what]
	if !ok {
		t.Fatalf("%s was never seen", what)
	}
	return v
}

// watch observes, from outside the sidecar, the coordinator check, the
// node's operation mode and its process, until ctx ends.
func watch(ctx context.Context, sc *demo.Sidecar, pid int) *timeline {
	tl := &timeline{first: map[string]time.Time{}}
	client := &http.Client{Timeout: time.Second}
	go func() {
		for ctx.Err() == nil {
			if resp, err := client.Get(sc.URL + "/v1/health/coordinator"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					tl.see("health failing")
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	go func() {
		for ctx.Err() == nil {
			if m := sc.Node.Status().OperationMode; m == "DRAINING" || m == "DRAINED" {
				tl.see("draining")
			}
			if !node.ProcessAlive(pid) {
				tl.see("process gone")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return tl
}

func TestStopThenStartBlocking(t *testing.T) {
	t.Parallel()
	const grace = time.Second
	_, sc := startLifecycleDemo(t, func(c *config.Config) { c.Lifecycle.Grace = grace })
	n := sc.Node
	pid := n.PID()
	code, st := get(t, sc.URL+"/v1/desires/node/status")
	if code != 200 || st["state"] != "RUNNING" || st["cassandra_pid"] != float64(pid) {
		t.Fatalf("status before: %d %v (pid %d)", code, st, pid)
	}
	eventually(t, sc.URL+"/v1/health/coordinator", func(code int, _ map[string]any) bool { return code == 200 })

	ctx, cancel := context.WithCancel(context.Background())
	tl := watch(ctx, sc, pid)
	asked := time.Now()
	code, res := post(t, sc.URL+"/v1/desires/node/stop?block")
	answered := time.Now()
	cancel()
	if code != 200 || res["outcome"] != "succeeded" || res["state"] != "STOPPED" {
		t.Fatalf("stop?block: %d %v", code, res)
	}
	// The CEP's response fields.
	if res["cassandra_pid"] != nil || res["executed"] != sc.Config.Lifecycle.StopCommand ||
		fmt.Sprint(res["healthchecks_failed"]) != "[coordinator]" || res["time_to_stop_in_s"].(float64) < grace.Seconds() {
		t.Errorf("stop response: %v", res)
	}
	var steps []string
	for _, s := range res["steps"].([]any) {
		m := s.(map[string]any)
		steps = append(steps, fmt.Sprint(m["step"], "=", m["outcome"]))
	}
	if got := strings.Join(steps, " "); got != "fail_healthchecks=ok drain=ok stop_command=ok wait_for_exit=ok" {
		t.Errorf("steps: %s", got)
	}
	// Seen from outside, in order: health fails, then (after the grace)
	// the node drains, then the process is gone; all before the answer.
	fail, drain, gone := tl.at(t, "health failing"), tl.at(t, "draining"), tl.at(t, "process gone")
	if fail.Before(asked) || !fail.Before(drain) || !drain.Before(gone) || gone.After(answered) {
		t.Errorf("order: asked %v, health failing +%v, draining +%v, process gone +%v, answered +%v",
			asked.Format(time.StampMilli), fail.Sub(asked), drain.Sub(asked), gone.Sub(asked), answered.Sub(asked))
	}
	if d := drain.Sub(fail); d < grace-100*time.Millisecond {
		t.Errorf("the drain began %v after the health check failed; the grace is %v", d, grace)
	}
	if n.State() != sim.StateStopped {
		t.Errorf("node state after stop: %s", n.State())
	}
	code, st = get(t, sc.URL+"/v1/desires/node/status")
	if code != 503 || st["state"] != "STOPPED" || st["cassandra_pid"] != nil || st["desired"] != "STOPPED" {
		t.Errorf("status after stop: %d %v", code, st)
	}
	resp, err := http.Get(sc.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ringside_node_state{state="STOPPED"} 1`, `ringside_node_state{state="RUNNING"} 0`, "ringside_node_cassandra_running 0"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics after the stop lacks %s", want)
		}
	}
	// Stopping a stopped node is a no-op that succeeds.
	if code, again := post(t, sc.URL+"/v1/desires/node/stop?block=true"); code != 200 || again["outcome"] != "succeeded" || again["executed"] != nil {
		t.Errorf("second stop: %d %v", code, again)
	}

	code, res = post(t, sc.URL+"/v1/desires/node/start?block")
	if code != 200 || res["outcome"] != "succeeded" || res["state"] != "RUNNING" {
		t.Fatalf("start?block: %d %v", code, res)
	}
	// It returned only once both checks pass: they pass right now.
	for _, check := range []string{"coordinator", "replica"} {
		if c, m := get(t, sc.URL+"/v1/health/"+check); c != 200 {
			t.Errorf("%s check right after start returned: %d %v", check, c, m)
		}
	}
	if res["cassandra_pid"] != float64(n.PID()) || n.PID() == 0 || res["executed"] != sc.Config.Lifecycle.StartCommand ||
		fmt.Sprint(res["healthchecks_passed"]) != "[coordinator replica]" || n.Status().OperationMode != "NORMAL" {
		t.Errorf("start response: %v (node pid %d, mode %s)", res, n.PID(), n.Status().OperationMode)
	}
	code, st = get(t, sc.URL+"/v1/desires/node/status")
	if code != 200 || st["state"] != "RUNNING" || st["desired"] != "RUNNING" {
		t.Errorf("status after start: %d %v", code, st)
	}
}

func TestStartThatNeverComesUpFails(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	_, sc := startLifecycleDemo(t, func(c *config.Config) {
		c.Lifecycle.Grace = 0
		c.Lifecycle.StartCommand = "true" // exits 0, starts nothing
		c.Lifecycle.StartTimeout = timeout
	})
	if code, res := post(t, sc.URL+"/v1/desires/node/stop?block"); code != 200 {
		t.Fatalf("stop: %d %v", code, res)
	}
	asked := time.Now()
	code, res := post(t, sc.URL+"/v1/desires/node/start?block")
	took := time.Since(asked)
	if code != 500 || res["outcome"] != "failed" || res["state"] != "FAILED" || !strings.Contains(fmt.Sprint(res["error"]), "start_timeout") {
		t.Fatalf("start that never comes up: %d %v", code, res)
	}
	if took < timeout || took > timeout+3*time.Second {
		t.Errorf("it failed after %v; the timeout is %v", took, timeout)
	}
	if res["cassandra_pid"] != nil || fmt.Sprint(res["healthchecks_passed"]) != "[]" {
		t.Errorf("failed start reports success it did not see: %v", res)
	}
	code, st := get(t, sc.URL+"/v1/desires/node/status")
	if code != 503 || st["state"] != "FAILED" {
		t.Errorf("status: %d %v", code, st)
	}
}

func TestSidecarRestartedMidStopFinishesIt(t *testing.T) {
	t.Parallel()
	_, sc := startLifecycleDemo(t, func(c *config.Config) { c.Lifecycle.Grace = 3 * time.Second })
	n := sc.Node
	code, res := post(t, sc.URL+"/v1/desires/node/stop")
	if code != 202 || res["outcome"] != "in_progress" || res["state"] != "STOPPING" || res["step"] != "fail_healthchecks" {
		t.Fatalf("stop without block: %d %v", code, res)
	}
	requested := res["requested"]
	waitStatus(t, sc, 5*time.Second, func(_ int, m map[string]any) bool { return m["step"] == "fail_healthchecks" })
	sc.Stop() // the sidecar dies in the middle of the grace
	if n.State() != sim.StateRunning {
		t.Fatalf("node %s before the sidecar came back", n.State())
	}
	state, err := os.ReadFile(filepath.Join(sc.Config.DataDir, "lifecycle.json"))
	if err != nil || !strings.Contains(string(state), `"state": "STOPPING"`) {
		t.Fatalf("persisted state: %v %s", err, state)
	}
	if err := sc.Start(); err != nil {
		t.Fatal(err)
	}
	<-sc.Ready()
	// From its first answer the new sidecar keeps failing the check.
	if code, m := get(t, sc.URL+"/v1/health/coordinator"); code != 503 || m["lifecycle"] == nil {
		t.Errorf("coordinator right after the restart: %d %v", code, m)
	}
	st := waitStatus(t, sc, 15*time.Second, func(code int, m map[string]any) bool { return m["state"] == "STOPPED" })
	last := st["last_transition"].(map[string]any)
	if last["outcome"] != "succeeded" || last["resumed"] != float64(1) || last["requested"] != requested {
		t.Errorf("resumed stop: %v", last)
	}
	if n.State() != sim.StateStopped {
		t.Errorf("node %s after the resumed stop", n.State())
	}

	// Desire STOPPED survives another restart, even with supervision on.
	sc.Stop()
	sc.Config.Lifecycle.Supervise = true
	if err := sc.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // several supervision periods (restart_backoff is 1s in the demo)
	code, st = get(t, sc.URL+"/v1/desires/node/status")
	if code != 503 || st["state"] != "STOPPED" || st["desired"] != "STOPPED" || n.State() != sim.StateStopped {
		t.Errorf("after restart with desire STOPPED: %d %v, node %s", code, st, n.State())
	}
}

func TestSupervisionRestartsACrashedNode(t *testing.T) {
	t.Parallel()
	_, sc := startLifecycleDemo(t, func(c *config.Config) { c.Lifecycle.Supervise = true })
	if code, res := post(t, sc.URL+"/v1/desires/node/start?block"); code != 200 || res["executed"] != nil {
		t.Fatalf("start of a running node: %d %v", code, res) // nothing to run: it was up
	}
	sc.Node.Kill()
	st := waitStatus(t, sc, 20*time.Second, func(code int, m map[string]any) bool {
		last, _ := m["last_transition"].(map[string]any)
		return code == 200 && m["state"] == "RUNNING" && last["trigger"] == "supervision" && last["outcome"] == "succeeded"
	})
	if sup := st["supervision"].(map[string]any); sup["restarts"] != float64(1) || sup["enabled"] != true {
		t.Errorf("supervision: %v", sup)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	_, sc := startLifecycleDemo(t, func(c *config.Config) { c.Lifecycle.Grace = 2 * time.Second })
	var wg sync.WaitGroup
	results := make([]map[string]any, 2)
	codes := make([]int, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], results[i] = post(t, sc.URL+"/v1/desires/node/stop?block")
		}()
	}
	waitStatus(t, sc, 5*time.Second, func(_ int, m map[string]any) bool { return m["state"] == "STOPPING" })
	code, res := post(t, sc.URL+"/v1/desires/node/start")
	if code != 409 || res["state"] != "STOPPING" || res["error"] == nil {
		t.Errorf("start during stop: %d %v", code, res)
	}
	wg.Wait()
	for i := range results {
		if codes[i] != 200 || results[i]["outcome"] != "succeeded" {
			t.Errorf("stop %d: %d %v", i, codes[i], results[i])
		}
	}
	if results[0]["requested"] != results[1]["requested"] {
		t.Errorf("the second stop did not join the first: %v vs %v", results[0]["requested"], results[1]["requested"])
	}
	// Without block, start answers once the start command has run.
	code, res = post(t, sc.URL+"/v1/desires/node/start?block=false")
	if code != 202 || res["state"] != "STARTING" || res["executed"] != sc.Config.Lifecycle.StartCommand {
		t.Errorf("start without block: %d %v", code, res)
	}
	waitStatus(t, sc, 15*time.Second, func(code int, m map[string]any) bool { return code == 200 && m["state"] == "RUNNING" })
}

func TestLifecycleBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	_, sc := startLifecycleDemo(t, nil)
	n := sc.Node
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/desires/node/stop?now=true", ""},
		{"POST", "/v1/desires/node/stop?force=perhaps", ""},
		{"POST", "/v1/desires/node/stop?block=maybe", ""},
		{"POST", "/v1/desires/node/stop?block=true&block=false", ""},
		{"POST", "/v1/desires/node/stop?block", `{"grace":"0s"}`},
		{"POST", "/v1/desires/node/start?%zz", ""},
		{"GET", "/v1/desires/node/status?verbose=1", ""},
	} {
		req, _ := http.NewRequest(c.method, sc.URL+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var m map[string]any
		if resp.StatusCode != 400 || json.Unmarshal(b, &m) != nil || m["error"] == nil {
			t.Errorf("%s %s %q: %d %s", c.method, c.path, c.body, resp.StatusCode, b)
		}
	}
	time.Sleep(500 * time.Millisecond)
	code, st := get(t, sc.URL+"/v1/desires/node/status")
	if code != 200 || st["state"] != "RUNNING" || st["last_transition"] != nil || n.State() != sim.StateRunning {
		t.Errorf("after bad requests: %d %v, node %s", code, st, n.State())
	}
	if code, _ := get(t, sc.URL+"/v1/health/coordinator"); code != 200 {
		t.Errorf("coordinator after bad requests: %d", code)
	}
}

// nonLoopback is an address of this machine outside loopback.
func nonLoopback(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			return ip.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address to call from")
	return ""
}

func TestRemoteCallerForbidden(t *testing.T) {
	t.Parallel()
	ip := nonLoopback(t)
	for _, allow := range []bool{false, true} {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, sc := startLifecycleDemo(t, func(c *config.Config) {
			c.ListenAddress = addr
			c.Lifecycle.AllowRemote = allow
		})
		// A connection to a non-loopback address comes from one.
		code, m := post(t, sc.URL+"/v1/desires/node/stop")
		if !allow {
			if code != 403 || !strings.Contains(fmt.Sprint(m["error"]), "loopback") {
				t.Errorf("remote stop: %d %v", code, m)
			}
			if c, m := get(t, sc.URL+"/v1/desires/node/status"); c != 403 {
				t.Errorf("remote status: %d %v", c, m)
			}
			time.Sleep(300 * time.Millisecond)
			if sc.Node.State() != sim.StateRunning {
				t.Errorf("a forbidden stop changed the node: %s", sc.Node.State())
			}
			// Health stays open to everyone.
			eventually(t, sc.URL+"/v1/health/coordinator", func(code int, _ map[string]any) bool { return code == 200 })
			continue
		}
		if code != 202 && code != 200 {
			t.Errorf("remote stop with allow_remote: %d %v", code, m)
		}
	}
}
