package lifecycle_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

type response struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func serve(t *testing.T, h http.Handler, method, target, body, remote string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{code: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, target, ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &r.body); err != nil {
		t.Fatalf("%s %s: %d with a body that is not a JSON object: %v\n%s", method, target, rec.Code, err, rec.Body)
	}
	return r
}

const local = "127.0.0.1:40000"

// untouched records what a request must not change.
type untouched struct {
	events int
	state  string
	drains int
}

func (fx *fixture) mark(t *testing.T) untouched {
	t.Helper()
	return untouched{events: len(fx.node.snapshot()), state: readFile(t, fx.cfg.StateFile), drains: fx.node.drains()}
}

func (fx *fixture) assertUntouched(t *testing.T, u untouched, what string) {
	t.Helper()
	if n := len(fx.node.snapshot()); n != u.events {
		t.Errorf("%s: %d new node events: %+v", what, n-u.events, fx.node.snapshot()[u.events:])
	}
	if s := readFile(t, fx.cfg.StateFile); s != u.state {
		t.Errorf("%s: the state file changed:\n%s", what, s)
	}
	if fx.node.drains() != u.drains || lines(t, fx.stopLog) != 0 || lines(t, fx.startLog) != 0 || !fx.node.running() {
		t.Errorf("%s: a command ran or the node was drained", what)
	}
	if st := fx.m.Status(); st.State != lifecycle.Running || st.Last != nil {
		t.Errorf("%s: status %s, last %+v", what, st.State, st.Last)
	}
}

func TestHTTPLoopbackOnly(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	fx.runObserved(t)
	h := lifecycle.Handler(fx.m, lifecycle.HandlerOptions{})
	u := fx.mark(t)
	for _, remote := range []string{"10.1.2.3:5555", "[2001:db8::1]:80", "192.168.0.1", "", "localhost:1"} {
		for _, p := range []string{lifecycle.PathStop + "?block", lifecycle.PathStart, lifecycle.PathStatus} {
			method := http.MethodPost
			if p == lifecycle.PathStatus {
				method = http.MethodGet
			}
			r := serve(t, h, method, p, "", remote)
			if r.code != http.StatusForbidden || !strings.Contains(r.body["error"].(string), "loopback") {
				t.Errorf("%s %s from %q: %d %v, want 403", method, p, remote, r.code, r.body)
			}
		}
	}
	fx.assertUntouched(t, u, "a non-loopback caller")

	for _, remote := range []string{"[::ffff:127.0.0.1]:1", "[::1]:1", "127.0.0.2:9"} {
		if r := serve(t, h, http.MethodGet, lifecycle.PathStatus, "", remote); r.code != http.StatusOK {
			t.Errorf("status from %s: %d %v, want 200", remote, r.code, r.body)
		}
	}
	open := lifecycle.Handler(fx.m, lifecycle.HandlerOptions{AllowRemote: true})
	if r := serve(t, open, http.MethodGet, lifecycle.PathStatus, "", "10.1.2.3:5555"); r.code != http.StatusOK {
		t.Errorf("AllowRemote: status from 10.1.2.3: %d %v", r.code, r.body)
	}
	r := serve(t, open, http.MethodPost, lifecycle.PathStop+"?block=true", "", "10.1.2.3:5555")
	if r.code != http.StatusOK || r.body["outcome"] != "succeeded" {
		t.Errorf("AllowRemote: stop from 10.1.2.3: %d %v", r.code, r.body)
	}
}

func TestHTTPBadInput(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	fx.runObserved(t)
	h := lifecycle.Handler(fx.m, lifecycle.HandlerOptions{})
	u := fx.mark(t)
	for _, tc := range []struct {
		method, target, body, mention string
	}{
		{"POST", lifecycle.PathStop + "?now=1", "", `"now"`},
		{"POST", lifecycle.PathStop + "?force=maybe", "", `force="maybe"`},
		{"POST", lifecycle.PathStop + "?force&force", "", "force is given more than once"},
		{"POST", lifecycle.PathStop + "?block=maybe", "", `"maybe"`},
		{"POST", lifecycle.PathStop + "?block=true&block=false", "", "more than once"},
		{"POST", lifecycle.PathStop + "?block&block", "", "more than once"},
		{"POST", lifecycle.PathStop, `{"x":1}`, "body"},
		{"POST", lifecycle.PathStop + "?block", `{"x":1}`, "body"},
		{"POST", lifecycle.PathStop + "?block=%zz", "", "malformed"},
		{"POST", lifecycle.PathStop + "?block=1;x=2", "", "malformed"},
		{"POST", lifecycle.PathStart + "?block=yes", "", `"yes"`},
		{"POST", lifecycle.PathStart, "x", "body"},
		{"POST", lifecycle.PathStart + "/?force", "", `"force"`},
		{"GET", lifecycle.PathStatus + "?x=1", "", `"x"`},
		{"GET", lifecycle.PathStatus + "?block", "", `"block"`},
		{"GET", lifecycle.PathStatus, "{}", "body"},
	} {
		r := serve(t, h, tc.method, tc.target, tc.body, local)
		msg, _ := r.body["error"].(string)
		if r.code != http.StatusBadRequest || !strings.Contains(msg, tc.mention) {
			t.Errorf("%s %s body %q: %d %q, want 400 mentioning %s", tc.method, tc.target, tc.body, r.code, msg, tc.mention)
		}
	}
	// A whitespace-only body is no body.
	if r := serve(t, h, "GET", lifecycle.PathStatus, " \n", local); r.code != http.StatusOK {
		t.Errorf("status with a blank body: %d %v", r.code, r.body)
	}
	fx.assertUntouched(t, u, "bad input")
}

func TestHTTPRoutes(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	fx.runObserved(t)
	h := lifecycle.Handler(fx.m, lifecycle.HandlerOptions{})
	u := fx.mark(t)
	for _, tc := range []struct {
		method, path, allow string
	}{
		{"GET", lifecycle.PathStop, "POST"},
		{"PUT", lifecycle.PathStart + "/", "POST"},
		{"DELETE", lifecycle.PathStop, "POST"},
		{"POST", lifecycle.PathStatus, "GET, HEAD"},
	} {
		r := serve(t, h, tc.method, tc.path, "", local)
		if r.code != http.StatusMethodNotAllowed || r.header.Get("Allow") != tc.allow || r.body["error"] == nil {
			t.Errorf("%s %s: %d Allow %q %v, want 405 with Allow %q", tc.method, tc.path, r.code, r.header.Get("Allow"), r.body, tc.allow)
		}
	}
	for _, p := range []string{"/v1/desires/node/nope", "/v1/desires/node/stop/x", "/", "/v1/desires/node/statusx"} {
		for _, method := range []string{"GET", "POST"} {
			r := serve(t, h, method, p, "", local)
			if r.code != http.StatusNotFound || r.body["error"] == nil || r.body["endpoints"] == nil {
				t.Errorf("%s %s: %d %v, want 404 listing the endpoints", method, p, r.code, r.body)
			}
		}
	}
	fx.assertUntouched(t, u, "405 and 404")

	// Running: 200 with the pid; HEAD and a trailing slash work too.
	for _, tc := range []struct{ method, path string }{{"GET", lifecycle.PathStatus}, {"GET", lifecycle.PathStatus + "/"}, {"HEAD", lifecycle.PathStatus}} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.RemoteAddr = local
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s %s: %d", tc.method, tc.path, rec.Code)
		}
	}
	r := serve(t, h, "GET", lifecycle.PathStatus, "", local)
	if r.code != http.StatusOK || r.body["cassandra_pid"] != float64(fakePID) || r.body["state"] != "RUNNING" || r.body["cassandra_running"] != true {
		t.Errorf("status while running: %d %v", r.code, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}

	// ?block with no value blocks.
	r = serve(t, h, "POST", lifecycle.PathStop+"?block", "", local)
	if r.code != http.StatusOK || r.body["outcome"] != "succeeded" || r.body["state"] != "STOPPED" {
		t.Fatalf("POST stop?block: %d %v", r.code, r.body)
	}
	if r.body["cassandra_pid"] != nil || r.body["executed"] != fx.cfg.StopCommand {
		t.Errorf("stop body %v", r.body)
	}
	if hc, _ := r.body["healthchecks_failed"].([]any); len(hc) != 1 || hc[0] != "coordinator" {
		t.Errorf("healthchecks_failed %v", r.body["healthchecks_failed"])
	}
	if _, ok := r.body["time_to_stop_in_s"].(float64); !ok {
		t.Errorf("time_to_stop_in_s %v", r.body["time_to_stop_in_s"])
	}
	if fx.node.running() {
		t.Error("the node still runs after a blocking stop")
	}

	// Stopped: 503 with a null pid.
	r = serve(t, h, "GET", lifecycle.PathStatus, "", local)
	if v, ok := r.body["cassandra_pid"]; r.code != http.StatusServiceUnavailable || !ok || v != nil || r.body["state"] != "STOPPED" || r.body["desired"] != "STOPPED" {
		t.Errorf("status while stopped: %d %v", r.code, r.body)
	}
	if lt, _ := r.body["last_transition"].(map[string]any); lt == nil || lt["type"] != "stop" {
		t.Errorf("last_transition %v", r.body["last_transition"])
	}
}

func TestHTTPNonBlockingAndConflict(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, func(_ *lifecycle.Config, f *fakeNode) { f.drainDelay = 300 * time.Millisecond })
	fx.runObserved(t)
	h := lifecycle.Handler(fx.m, lifecycle.HandlerOptions{})
	r := serve(t, h, "POST", lifecycle.PathStop, "", local)
	if r.code != http.StatusAccepted || r.header.Get("Location") != lifecycle.PathStatus || r.body["outcome"] != "in_progress" || r.body["state"] != "STOPPING" {
		t.Fatalf("non-blocking stop: %d Location %q %v", r.code, r.header.Get("Location"), r.body)
	}
	for _, target := range []string{lifecycle.PathStart, lifecycle.PathStart + "?block"} {
		r = serve(t, h, "POST", target, "", local)
		if r.code != http.StatusConflict || r.body["state"] != "STOPPING" || r.body["error"] == nil {
			t.Errorf("POST %s during a stop: %d %v, want 409 STOPPING", target, r.code, r.body)
		}
	}
	waitFor(t, 3*time.Second, "the drain to begin", func() bool { return fx.node.drains() == 1 })
	r = serve(t, h, "GET", lifecycle.PathStatus, "", local)
	if r.code != http.StatusOK || r.body["state"] != "STOPPING" || r.body["step"] != "drain" {
		t.Errorf("status during the stop: %d %v", r.code, r.body)
	}
	r = serve(t, h, "POST", lifecycle.PathStop+"?block=1", "", local)
	if r.code != http.StatusOK || r.body["outcome"] != "succeeded" {
		t.Errorf("joining blocking stop: %d %v", r.code, r.body)
	}
	if n := lines(t, fx.startLog); n != 0 {
		t.Errorf("the start command ran %d times", n)
	}
}

func TestHTTPFailedTransitionIs500(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, false, func(c *lifecycle.Config, _ *fakeNode) { c.StartCommand = "echo boom >&2; exit 1" })
	fx.runObserved(t)
	h := lifecycle.Handler(fx.m, lifecycle.HandlerOptions{})
	r := serve(t, h, "POST", lifecycle.PathStart+"?block", "", local)
	if r.code != http.StatusInternalServerError || r.body["outcome"] != "failed" || !strings.Contains(r.body["error"].(string), "boom") {
		t.Errorf("failed start: %d %v", r.code, r.body)
	}
}

func TestHTTPRealServer(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	fx.runObserved(t)
	srv := httptest.NewServer(lifecycle.Handler(fx.m, lifecycle.HandlerOptions{}))
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 10 * time.Second}

	resp, err := client.Get(srv.URL + lifecycle.PathStatus)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status over a real connection from 127.0.0.1: %d", resp.StatusCode)
	}

	begin := time.Now()
	resp, err = client.Post(srv.URL+lifecycle.PathStop+"?block", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body["outcome"] != "succeeded" || body["state"] != "STOPPED" {
		t.Fatalf("blocking stop: %d %v", resp.StatusCode, body)
	}
	if time.Since(begin) < fx.cfg.Grace {
		t.Error("the blocking stop answered before the grace had passed")
	}
	if fx.node.running() {
		t.Error("the node still runs")
	}
}
