package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

// fakeSidecar serves the three lifecycle endpoints from a lifecycle.Status
// it holds, rendered with the lifecycle package's own views so the JSON is
// the real server's. Each GET of the status first applies the next of
// polls, which is how a transition progresses between polls.
type fakeSidecar struct {
	mu     sync.Mutex
	st     lifecycle.Status
	polls  []func(st *lifecycle.Status)
	post   map[string]func(st *lifecycle.Status) (int, any) // by path
	forbid bool
	gets   int
	posts  []string // request URIs
}

func (f *fakeSidecar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := func(code int, v any) {
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write(append(b, '\n'))
	}
	if f.forbid {
		reply(http.StatusForbidden, map[string]any{"error": "the node lifecycle endpoints answer only callers on loopback; set lifecycle.allow_remote: true to open them", "remote": "10.1.2.3:40000"})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == lifecycle.PathStatus:
		f.gets++
		if len(f.polls) > 0 {
			f.polls[0](&f.st)
			f.polls = f.polls[1:]
		}
		code := http.StatusOK
		if !f.st.Running() {
			code = http.StatusServiceUnavailable
		}
		reply(code, f.st.View(time.Now()))
	case r.Method == http.MethodPost && f.post[r.URL.Path] != nil:
		f.posts = append(f.posts, r.URL.RequestURI())
		reply(f.post[r.URL.Path](&f.st))
	default:
		reply(http.StatusNotFound, map[string]any{"error": "no such endpoint " + r.Method + " " + r.URL.Path})
	}
}

func (f *fakeSidecar) seen() (gets int, posts []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets, append([]string(nil), f.posts...)
}

func (f *fakeSidecar) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	if f.post == nil {
		f.post = map[string]func(*lifecycle.Status) (int, any){}
	}
	return srv.URL
}

// runNodeT runs `ringside node args...` and returns its output and exit status.
func runNodeT(t *testing.T, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = runNode(args, &o, &e)
	return o.String(), e.String(), exitCodeOf(err), err
}

func exitCodeOf(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

func runningStatus(base time.Time) lifecycle.Status {
	return lifecycle.Status{
		PID: 4242, State: lifecycle.Running, Since: base, Desired: lifecycle.Running,
		Last: &lifecycle.Transition{Type: "start", Trigger: "request", Outcome: lifecycle.Succeeded, Requested: base.Add(-40 * time.Second), Finished: base,
			PID: 4242, Executed: "systemctl start cassandra", Checks: []string{"coordinator", "replica"}},
		Supervision: lifecycle.SupervisionStatus{Enabled: true, Restarts: 1},
	}
}

// stopScenario: POST stop answers 202 in fail_healthchecks; then each poll
// moves on: drain; stop_command and wait_for_exit (stop_command came and
// went between two polls); succeeded.
func stopScenario(f *fakeSidecar) {
	req := time.Now().Add(-time.Second).UTC()
	at := func(d time.Duration) time.Time { return req.Add(d) }
	f.st = runningStatus(req.Add(-time.Hour))
	var tr *lifecycle.Transition
	f.post[lifecycle.PathStop] = func(st *lifecycle.Status) (int, any) {
		tr = &lifecycle.Transition{Type: "stop", Trigger: "request", Outcome: lifecycle.InProgress, Requested: req, PID: 4242,
			Checks: []string{"coordinator"}, Step: lifecycle.StepFailHealth,
			Steps: []lifecycle.StepRecord{{Step: lifecycle.StepFailHealth, Started: req, Outcome: lifecycle.InProgress}}}
		st.State, st.Step, st.Desired, st.Since, st.Last = lifecycle.Stopping, tr.Step, lifecycle.Stopped, req, tr
		return http.StatusAccepted, tr.View(st.State, time.Now())
	}
	f.polls = []func(*lifecycle.Status){
		func(st *lifecycle.Status) {
			tr.Steps[0].Finished, tr.Steps[0].Outcome, tr.Steps[0].Detail = at(2*time.Second), "ok", "the coordinator check failed for 2s before the drain"
			tr.Steps = append(tr.Steps, lifecycle.StepRecord{Step: lifecycle.StepDrain, Started: at(2 * time.Second), Outcome: lifecycle.InProgress})
			tr.Step, st.Step = lifecycle.StepDrain, lifecycle.StepDrain
		},
		func(st *lifecycle.Status) {
			tr.Steps[1].Finished, tr.Steps[1].Outcome, tr.Steps[1].Detail = at(3*time.Second), "ok", "operation mode DRAINED"
			tr.Steps = append(tr.Steps,
				lifecycle.StepRecord{Step: lifecycle.StepStopCommand, Started: at(3 * time.Second), Finished: at(3500 * time.Millisecond), Outcome: "ok"},
				lifecycle.StepRecord{Step: lifecycle.StepWaitExit, Started: at(3500 * time.Millisecond), Outcome: lifecycle.InProgress})
			tr.Executed = "systemctl stop cassandra"
			tr.Step, st.Step = lifecycle.StepWaitExit, lifecycle.StepWaitExit
		},
		func(st *lifecycle.Status) {
			tr.Steps[3].Finished, tr.Steps[3].Outcome, tr.Steps[3].Detail = at(5*time.Second), "ok", "process 4242 has exited"
			tr.Outcome, tr.Finished, tr.Step = lifecycle.Succeeded, at(5*time.Second), ""
			st.State, st.Step, st.PID, st.Since = lifecycle.Stopped, "", 0, at(5*time.Second)
		},
	}
}

func TestNodeStopBlockShowsEachStep(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	stopScenario(f)
	out, errOut, code, err := runNodeT(t, "stop", "--block", "--url", u, "--poll", "5ms")
	if code != 0 {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", code, err, out, errOut)
	}
	want := "stopping  [1/4 fail_healthchecks]  0.0s\n" +
		"stopping  [2/4 drain]  2.0s\n" +
		"stopping  [3/4 stop_command]  3.0s\n" +
		"stopping  [4/4 wait_for_exit]  3.5s\n"
	if errOut != want {
		t.Errorf("progress:\n%s\nwant:\n%s", errOut, want)
	}
	for _, s := range []string{"type:", "stop", "outcome:", "succeeded", "state:", "STOPPED", "executed:", "systemctl stop cassandra",
		"healthchecks_failed:", "coordinator", "time_to_stop_in_s:", "5", "steps:", "operation mode DRAINED", "process 4242 has exited"} {
		if !strings.Contains(out, s) {
			t.Errorf("result lacks %q:\n%s", s, out)
		}
	}
	if steps := out[strings.Index(out, "steps:"):]; !inOrder(steps, "fail_healthchecks", "drain", "stop_command", "wait_for_exit") {
		t.Errorf("steps out of order:\n%s", steps)
	}
	if strings.Contains(out, " \n") {
		t.Errorf("trailing blanks in the table:\n%q", out)
	}
	// No ?block: one short POST, then polls.
	if gets, posts := f.seen(); len(posts) != 1 || posts[0] != lifecycle.PathStop || gets != 3 {
		t.Errorf("posts %q, %d status polls; want one plain POST and 3 polls", posts, gets)
	}
}

func inOrder(s string, subs ...string) bool {
	for _, sub := range subs {
		i := strings.Index(s, sub)
		if i < 0 {
			return false
		}
		s = s[i+len(sub):]
	}
	return true
}

func TestNodeStopBlockJSON(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	stopScenario(f)
	out, errOut, code, err := runNodeT(t, "stop", "--url", u, "--block", "--json", "--poll=5ms")
	if code != 0 {
		t.Fatalf("exit %d (%v): %s %s", code, err, out, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v["type"] != "stop" || v["outcome"] != "succeeded" || v["time_to_stop_in_s"] != 5.0 || len(v["steps"].([]any)) != 4 {
		t.Errorf("final transition: %v", v)
	}
	if !strings.Contains(errOut, "[4/4 wait_for_exit]") {
		t.Errorf("progress still goes to stderr with --json: %q", errOut)
	}
}

func TestNodeStopBlockTerminal(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	stopScenario(f)
	var o, e bytes.Buffer
	c, err := parseNode([]string{"stop", "--block", "--url", u, "--poll", "5ms"}, nil, &o, &e)
	if err != nil {
		t.Fatal(err)
	}
	c.tty = true
	if err := c.run(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := e.String()
	if !strings.Contains(p, "\rstopping  [2/4 drain]  ") || !strings.Contains(p, "\rstopping  [4/4 wait_for_exit]  ") || strings.Count(p, "\n") != 0 || !strings.HasSuffix(p, "\r\x1b[K") {
		t.Errorf("terminal progress %q: want one line redrawn with \\r, cleared at the end", p)
	}
	if !strings.Contains(o.String(), "succeeded") {
		t.Errorf("result: %s", o.String())
	}
}

func TestNodeStopNonBlocking(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	stopScenario(f)
	out, _, code, err := runNodeT(t, "stop", "--url", u)
	want := "stop requested: STOPPING (step fail_healthchecks); follow with: ringside node status --url " + u + "\n"
	if code != 0 || out != want {
		t.Errorf("exit %d (%v), output %q; want 0, %q", code, err, out, want)
	}
	if gets, _ := f.seen(); gets != 0 {
		t.Errorf("%d polls without --block", gets)
	}
}

func TestNodeStopWhenNotRunningAnswersAtOnce(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	now := time.Now().UTC()
	f.st = lifecycle.Status{State: lifecycle.Stopped, Since: now.Add(-time.Hour)}
	f.post[lifecycle.PathStop] = func(st *lifecycle.Status) (int, any) {
		tr := &lifecycle.Transition{Type: "stop", Trigger: "request", Outcome: lifecycle.Succeeded, Requested: now, Finished: now,
			Note: "Cassandra was not running; nothing was done"}
		st.Last, st.Desired = tr, lifecycle.Stopped
		return http.StatusOK, tr.View(lifecycle.Stopped, now)
	}
	out, _, code, err := runNodeT(t, "stop", "--block", "--url", u)
	if code != 0 || !strings.Contains(out, "Cassandra was not running; nothing was done") || !strings.Contains(out, "succeeded") {
		t.Errorf("exit %d (%v), output:\n%s", code, err, out)
	}
	if gets, _ := f.seen(); gets != 0 {
		t.Errorf("%d polls for a stop that had ended", gets)
	}
}

func TestNodeStartBlockFails(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	req := time.Now().Add(-time.Second).UTC()
	f.st = lifecycle.Status{State: lifecycle.Stopped, Since: req.Add(-time.Hour), Desired: lifecycle.Stopped}
	var tr *lifecycle.Transition
	const why = "Cassandra did not become healthy within 2m0s (lifecycle.start_timeout): coordinator: connection refused"
	f.post[lifecycle.PathStart] = func(st *lifecycle.Status) (int, any) {
		tr = &lifecycle.Transition{Type: "start", Trigger: "request", Outcome: lifecycle.InProgress, Requested: req, Executed: "systemctl start cassandra",
			Step: lifecycle.StepWaitHealth, Steps: []lifecycle.StepRecord{
				{Step: lifecycle.StepStartCmd, Started: req, Finished: req.Add(time.Second), Outcome: "ok"},
				{Step: lifecycle.StepWaitHealth, Started: req.Add(time.Second), Outcome: lifecycle.InProgress}}}
		st.State, st.Step, st.Desired, st.Last = lifecycle.Starting, tr.Step, lifecycle.Running, tr
		return http.StatusAccepted, tr.View(st.State, time.Now())
	}
	f.polls = []func(*lifecycle.Status){
		func(st *lifecycle.Status) {},
		func(st *lifecycle.Status) {
			tr.Steps[1].Finished, tr.Steps[1].Outcome, tr.Steps[1].Detail = req.Add(121*time.Second), "timed_out", why
			tr.Outcome, tr.Finished, tr.Step, tr.Error = lifecycle.FailedOut, req.Add(121*time.Second), "", why
			st.State, st.Step = lifecycle.Failed, ""
		},
	}
	out, errOut, code, err := runNodeT(t, "start", "--block", "--url", u, "--poll", "5ms")
	if code != 1 || err == nil || !strings.Contains(err.Error(), "the start failed: "+why) {
		t.Fatalf("exit %d, error %v; want 1 and the start's error", code, err)
	}
	if want := "starting  [1/2 start_command]  0.0s\nstarting  [2/2 wait_for_health]  1.0s\n"; errOut != want {
		t.Errorf("progress %q, want %q", errOut, want)
	}
	for _, s := range []string{"outcome:", "failed", "FAILED", "error:", why, "timed_out", "time_to_start_in_s:", "121", "healthchecks_passed:"} {
		if !strings.Contains(out, s) {
			t.Errorf("result lacks %q:\n%s", s, out)
		}
	}
}

func TestNodeStartFailsAtOnce(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	now := time.Now().UTC()
	f.st = lifecycle.Status{State: lifecycle.Stopped, Since: now}
	f.post[lifecycle.PathStart] = func(st *lifecycle.Status) (int, any) {
		tr := &lifecycle.Transition{Type: "start", Trigger: "request", Outcome: lifecycle.FailedOut, Requested: now, Finished: now.Add(time.Second),
			Executed: "systemctl start cassandra", Error: "the start command failed: exit status 5",
			Steps: []lifecycle.StepRecord{{Step: lifecycle.StepStartCmd, Started: now, Finished: now.Add(time.Second), Outcome: "failed", Detail: "exit status 5\nUnit cassandra.service not found."}}}
		st.State, st.Last = lifecycle.Failed, tr
		return http.StatusInternalServerError, tr.View(st.State, now)
	}
	out, _, code, err := runNodeT(t, "start", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "exit status 5") {
		t.Errorf("exit %d (%v), want 1 and the error", code, err)
	}
	// A multi-line detail stays on its row.
	if !strings.Contains(out, "exit status 5 ⏎ Unit cassandra.service not found.") {
		t.Errorf("result:\n%s", out)
	}
}

func TestNodeStartSuperseded(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	req := time.Now().UTC()
	f.st = lifecycle.Status{State: lifecycle.Stopped, Since: req}
	f.post[lifecycle.PathStart] = func(st *lifecycle.Status) (int, any) {
		tr := &lifecycle.Transition{Type: "start", Trigger: "request", Outcome: lifecycle.InProgress, Requested: req, Step: lifecycle.StepWaitHealth}
		st.State, st.Last = lifecycle.Starting, tr
		return http.StatusAccepted, tr.View(st.State, req)
	}
	f.polls = []func(*lifecycle.Status){func(st *lifecycle.Status) {
		st.State = lifecycle.Stopping
		st.Last = &lifecycle.Transition{Type: "stop", Trigger: "request", Outcome: lifecycle.InProgress, Requested: req.Add(time.Second), Step: lifecycle.StepFailHealth}
	}}
	_, _, code, err := runNodeT(t, "start", "--block", "--url", u, "--poll", "5ms")
	if code != 1 || !strings.Contains(err.Error(), "superseded by a stop") {
		t.Errorf("exit %d (%v)", code, err)
	}
}

func TestNodeConflict(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	f.st = lifecycle.Status{PID: 4242, State: lifecycle.Stopping, Step: lifecycle.StepDrain, Since: time.Now()}
	f.post[lifecycle.PathStart] = func(st *lifecycle.Status) (int, any) {
		return http.StatusConflict, map[string]any{"error": "a stop is in progress (step drain); start again once it has ended",
			"state": st.State, "step": st.Step, "status": st.View(time.Now())}
	}
	_, _, code, err := runNodeT(t, "start", "--block", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "a stop is in progress (step drain)") || !strings.Contains(err.Error(), "the node is STOPPING (step drain)") {
		t.Errorf("exit %d (%v)", code, err)
	}
	out, _, code, _ := runNodeT(t, "start", "--json", "--url", u)
	if code != 1 || !json.Valid([]byte(out)) || !strings.Contains(out, `"state": "STOPPING"`) {
		t.Errorf("--json conflict: exit %d, %s", code, out)
	}
}

func TestNodeForbidden(t *testing.T) {
	f := &fakeSidecar{forbid: true}
	u := f.start(t)
	for _, sub := range []string{"status", "stop"} {
		_, _, code, err := runNodeT(t, sub, "--url", u)
		if code != 1 || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "--url") || !strings.Contains(err.Error(), "lifecycle.allow_remote") {
			t.Errorf("%s: exit %d (%v)", sub, code, err)
		}
	}
}

func TestNodeBadRequest(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	f.post[lifecycle.PathStop] = func(*lifecycle.Status) (int, any) {
		return http.StatusBadRequest, map[string]any{"error": "this endpoint takes no request body; the only input is ?block"}
	}
	_, _, code, err := runNodeT(t, "stop", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "the sidecar refused the request: this endpoint takes no request body") {
		t.Errorf("exit %d (%v)", code, err)
	}
}

func TestNodeUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, _, code, err := runNodeT(t, "status", "--url", addr)
	if code != 1 || !strings.Contains(err.Error(), "cannot reach the sidecar at http://"+addr) || !strings.Contains(err.Error(), "ringside serve") {
		t.Errorf("exit %d (%v)", code, err)
	}
}

func TestNodeStatus(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	f.st = runningStatus(time.Now().Add(-3 * time.Minute))
	out, _, code, err := runNodeT(t, "status", "--url", u)
	if code != 0 {
		t.Fatalf("running: exit %d (%v)", code, err)
	}
	for _, s := range []string{"state:", "RUNNING", "pid:", "4242", "since:", "ago)", "desired:", "supervision:", "on, 1 restart(s)", "last transition:", "start succeeded in 40.0s"} {
		if !strings.Contains(out, s) {
			t.Errorf("status lacks %q:\n%s", s, out)
		}
	}
	// Aligned: every value starts in the same column.
	col := -1
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		i := strings.Index(l, ":") + 1
		for i < len(l) && l[i] == ' ' {
			i++
		}
		if col >= 0 && i != col {
			t.Errorf("not aligned:\n%s", out)
			break
		}
		col = i
	}

	f.mu.Lock()
	f.st.PID, f.st.State, f.st.Desired = 0, lifecycle.Stopped, lifecycle.Stopped
	f.st.Warnings = []string{"the desired state cannot be persisted"}
	f.st.Last = &lifecycle.Transition{Type: "stop", Trigger: "request", Outcome: lifecycle.Aborted, Requested: time.Now(), Finished: time.Now(), Error: "drain failed: JMX unreachable"}
	f.mu.Unlock()
	out, _, code, err = runNodeT(t, "status", "--url", u)
	if code != 3 || err == nil || err.(*exitError).err != nil {
		t.Errorf("not running: exit %d (%v); want 3, silently", code, err)
	}
	for _, s := range []string{"STOPPED", "- (not running)", "stop aborted", "error:", "drain failed: JMX unreachable", "warning:", "cannot be persisted"} {
		if !strings.Contains(out, s) {
			t.Errorf("status lacks %q:\n%s", s, out)
		}
	}

	out, _, code, _ = runNodeT(t, "--json", "status", "--url", u)
	var v map[string]any
	if code != 3 || json.Unmarshal([]byte(out), &v) != nil || v["state"] != "STOPPED" || v["cassandra_pid"] != nil || !strings.Contains(out, "\n  \"") {
		t.Errorf("--json: exit %d, %s", code, out)
	}
}

func TestNodeStatusInProgress(t *testing.T) {
	f := &fakeSidecar{}
	u := f.start(t)
	stopScenario(f)
	runNodeT(t, "stop", "--url", u)
	f.mu.Lock()
	f.polls = f.polls[:1] // now in drain
	f.mu.Unlock()
	out, _, code, err := runNodeT(t, "status", "--url", u)
	if code != 0 || !strings.Contains(out, "STOPPING  [2/4 drain]") || !strings.Contains(out, "stop in_progress, ") || !strings.Contains(out, "so far") {
		t.Errorf("exit %d (%v):\n%s", code, err, out)
	}
}

func TestNodeUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"restart"},
		{"status", "--block"},
		{"stop", "--nope"},
		{"stop", "start"},
		{"stop", "--poll", "0s"},
		{"stop", "--url", "ftp://127.0.0.1:5000"},
	} {
		_, errOut, code, _ := runNodeT(t, args...)
		if code != 2 || !strings.Contains(errOut, "Usage: ringside node") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the usage", args, code, errOut)
		}
	}
	if _, errOut, code, _ := runNodeT(t, "-h"); code != 0 || !strings.Contains(errOut, "--block") {
		t.Errorf("-h: exit %d, %q", code, errOut)
	}
}

func TestNodeURL(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{":5000", "http://127.0.0.1:5000"},
		{"0.0.0.0:5000", "http://127.0.0.1:5000"},
		{"[::]:5000", "http://127.0.0.1:5000"},
		{"[::1]:5001", "http://[::1]:5001"},
		{"127.0.0.2:5000", "http://127.0.0.2:5000"},
		{"10.0.0.5:5000", "http://10.0.0.5:5000"},
		{"localhost:5000", "http://localhost:5000"},
		{"[fe80::1%eth0]:5000", "http://[fe80::1%25eth0]:5000"},
	} {
		got, err := listenURL(tc.listen)
		if err != nil || got != tc.want {
			t.Errorf("listenURL(%q) = %q, %v; want %q", tc.listen, got, err, tc.want)
		}
	}
	if _, err := listenURL("5000"); err == nil {
		t.Error("listenURL(5000): no error")
	}

	for _, tc := range []struct{ url, want string }{
		{"127.0.0.1:6000", "http://127.0.0.1:6000"},
		{"http://127.0.0.1:6000/", "http://127.0.0.1:6000"},
		{"https://[::1]:6000/ringside/", "https://[::1]:6000/ringside"},
	} {
		if got, err := normalizeNodeURL(tc.url); err != nil || got != tc.want {
			t.Errorf("normalizeNodeURL(%q) = %q, %v; want %q", tc.url, got, err, tc.want)
		}
	}

	dir := t.TempDir()
	for _, tc := range []struct{ listen, want string }{
		{":5000", "http://127.0.0.1:5000"},
		{"'[::1]:5001'", "http://[::1]:5001"},
		{"10.0.0.5:5000", "http://10.0.0.5:5000"},
	} {
		p := filepath.Join(dir, "ringside.yaml")
		if err := os.WriteFile(p, []byte("listen_address: "+tc.listen+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := parseNode([]string{"status", "--config", p}, nil, &bytes.Buffer{}, &bytes.Buffer{})
		if err != nil || c.base != tc.want || c.addrArgs != " --config "+p {
			t.Errorf("--config with listen_address %s: %+v, %v; want %s", tc.listen, c, err, tc.want)
		}
	}
	// --url wins over --config; no flag at all is the default port.
	if c, _ := parseNode([]string{"status", "--config", "/nonexistent", "--url", "127.0.0.1:7000"}, nil, nil, nil); c == nil || c.base != "http://127.0.0.1:7000" {
		t.Errorf("--url and --config: %+v", c)
	}
	if c, _ := parseNode([]string{"status"}, nil, nil, nil); c == nil || c.base != "http://127.0.0.1:5000" || c.addrArgs != "" {
		t.Errorf("defaults: %+v", c)
	}
	if _, err := parseNode([]string{"status", "--config", filepath.Join(dir, "missing.yaml")}, nil, nil, nil); exitCodeOf(err) != 1 || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing --config: %v", err)
	}
}
