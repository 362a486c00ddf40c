package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringside/ringside/bulk"
	"github.com/ringside/ringside/client"
	"github.com/ringside/ringside/fanout"
)

// bulkSchema is GET /v1/bulkcmd of the built-in commands, as the
// handler lists them.
func bulkSchema() map[string]any {
	cmds := bulk.Default().Commands()
	out := make([]bulk.CommandInfo, len(cmds))
	for i, c := range cmds {
		out[i] = bulk.CommandInfo{Name: c.Name, Help: c.Help, Long: c.Long, Params: c.Params}
		if out[i].Params == nil {
			out[i].Params = []bulk.Param{}
		}
	}
	return map[string]any{"commands": out}
}

func bulkTargets() []fanout.Target {
	var ts []fanout.Target
	for i := range 6 {
		dc := "dc1"
		if i >= 3 {
			dc = "dc2"
		}
		addr := fmt.Sprintf("127.0.0.%d", i+1)
		ts = append(ts, fanout.Target{HostID: fmt.Sprintf("h%d", i+1), Address: addr, Endpoint: addr + ":7000", DC: dc, Rack: fmt.Sprintf("rack%d", i%3+1)})
	}
	return ts
}

// fakeJob is a job that progresses one step per poll: steps[i] are the
// nodes done after poll i, with their results.
type fakeJob struct {
	mu      sync.Mutex
	command string
	targets []fanout.Target
	results map[int]fanout.Result
	steps   []map[int]fanout.Result
	polls   int
}

func (j *fakeJob) view() bulk.JobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.polls < len(j.steps) {
		for i, r := range j.steps[j.polls] {
			j.results[i] = r
		}
	}
	j.polls++
	started := time.Now().Add(-2 * time.Second)
	v := bulk.JobView{ID: "0123456789abcdef", Command: j.command, Params: bulk.Params{}, State: bulk.JobRunning, Started: started,
		Total: len(j.targets), Success: []string{}, Failure: []string{}, Location: "/v1/jobs/0123456789abcdef"}
	for i, t := range j.targets {
		r, ok := j.results[i]
		if !ok {
			v.Nodes = append(v.Nodes, bulk.JobNode{Result: fanout.Result{Target: t}, State: "pending"})
			continue
		}
		v.Done++
		v.Nodes = append(v.Nodes, bulk.JobNode{Result: r, State: "done"})
		if r.Success {
			v.Success = append(v.Success, t.Endpoint)
		} else {
			v.Failure = append(v.Failure, t.Endpoint)
		}
	}
	if v.Done == v.Total {
		f := time.Now()
		v.State, v.Finished = bulk.JobDone, &f
	}
	return v
}

func ok(t fanout.Target, value string, secs float64) fanout.Result {
	return fanout.Result{Target: t, Success: true, Status: 200, Value: json.RawMessage(value), Seconds: secs}
}

// flushScenario: flush on six nodes, done two by two; the fourth fails.
func flushScenario(f *fakeAPI) *fakeJob {
	ts := bulkTargets()
	j := &fakeJob{command: "flush", targets: ts, results: map[int]fanout.Result{}}
	done := `{"keyspaces":["ks"]}`
	j.steps = []map[int]fanout.Result{
		{},
		{0: ok(ts[0], done, 0.5), 2: ok(ts[2], done, 0.7)},
		{1: ok(ts[1], done, 1.1), 3: {Target: ts[3], Status: 500, Error: "flushing keyspace ks: JMX unreachable", Seconds: 1.2}},
		{4: ok(ts[4], done, 1.5), 5: ok(ts[5], done, 1.6)},
	}
	f.reply("GET /v1/bulkcmd", 200, bulkSchema())
	f.reply("POST /v1/bulkcmd/flush", http.StatusAccepted, bulk.Accepted{JobID: "0123456789abcdef", Location: "/v1/jobs/0123456789abcdef"})
	f.handle("GET /v1/jobs/0123456789abcdef", func(*http.Request, []byte) (int, any) { return 200, j.view() })
	return j
}

func runBulkT(t *testing.T, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = runBulk(args, &o, &e)
	return o.String(), e.String(), exitCodeOf(err), err
}

func TestBulkFollowsJob(t *testing.T) {
	f := newFakeAPI()
	flushScenario(f)
	u := f.start(t)
	out, errOut, code, err := runBulkT(t, "flush", "keyspace=ks", "--param", "tables=t1, t2", "--url", u, "--poll", "5ms", "--token", "tok")
	if code != 1 || err == nil || err.(*exitError).err != nil {
		t.Errorf("exit %d (%v); want 1, with nothing more to say than the summary", code, err)
	}
	reqs := f.requests()
	if reqs[0].method != "GET" || reqs[0].uri != "/v1/bulkcmd" || reqs[0].auth != "Bearer tok" {
		t.Errorf("first the schema: %+v", reqs[0])
	}
	post := reqs[1]
	if post.method != "POST" || post.uri != "/v1/bulkcmd/flush?async=true" || post.body != `{"tables":["t1","t2"],"keyspace":"ks"}` || post.auth != "Bearer tok" {
		t.Errorf("POST: %+v", post)
	}
	if polls := len(reqs) - 2; polls != 4 {
		t.Errorf("%d polls, want 4", polls)
	}
	wantProgress := "flush: job 0123456789abcdef on 6 nodes\n" +
		"[1/6] 127.0.0.1:7000 dc1/rack1 ok (0.50s)\n" +
		"[2/6] 127.0.0.3:7000 dc1/rack3 ok (0.70s)\n" +
		"[3/6] 127.0.0.2:7000 dc1/rack2 ok (1.10s)\n" +
		"[4/6] 127.0.0.4:7000 dc2/rack1 FAILED: HTTP 500: flushing keyspace ks: JMX unreachable (1.20s)\n" +
		"[5/6] 127.0.0.5:7000 dc2/rack2 ok (1.50s)\n" +
		"[6/6] 127.0.0.6:7000 dc2/rack3 ok (1.60s)\n"
	if errOut != wantProgress {
		t.Errorf("progress:\n%s\nwant:\n%s", errOut, wantProgress)
	}
	want := "ENDPOINT        DC   RACK   RESULT  VALUE/ERROR                                      SECONDS\n" +
		"127.0.0.1:7000  dc1  rack1  ok      keyspaces=[\"ks\"]                                 0.50\n" +
		"127.0.0.2:7000  dc1  rack2  ok      keyspaces=[\"ks\"]                                 1.10\n" +
		"127.0.0.3:7000  dc1  rack3  ok      keyspaces=[\"ks\"]                                 0.70\n" +
		"127.0.0.4:7000  dc2  rack1  FAILED  HTTP 500: flushing keyspace ks: JMX unreachable  1.20\n" +
		"127.0.0.5:7000  dc2  rack2  ok      keyspaces=[\"ks\"]                                 1.50\n" +
		"127.0.0.6:7000  dc2  rack3  ok      keyspaces=[\"ks\"]                                 1.60\n" +
		"command flush: 5 succeeded, 1 failed\n"
	if out != want {
		t.Errorf("results:\n%s\nwant:\n%s", out, want)
	}
}

func TestBulkProgressTerminal(t *testing.T) {
	f := newFakeAPI()
	flushScenario(f)
	u := f.start(t)
	var o, e bytes.Buffer
	c, err := parseBulk([]string{"flush", "--url", u, "--poll", "5ms", "--dc", "dc1,dc2"}, nil, &o, &e)
	if err != nil {
		t.Fatal(err)
	}
	c.tty = true
	at := time.Now()
	c.now = func() time.Time { at = at.Add(800 * time.Millisecond); return at }
	if err := c.run(t.Context()); exitCodeOf(err) != 1 {
		t.Fatalf("exit %v", err)
	}
	p := e.String()
	for _, s := range []string{
		"\r[                        ] 0/6 nodes  ",
		"\r[=======>                ] 2/6 nodes  ",
		"\r[===============>        ] 4/6 nodes  1 failed  ",
		"\r[========================] 6/6 nodes  1 failed  ",
	} {
		if !strings.Contains(p, s) {
			t.Errorf("progress lacks %q:\n%q", s, p)
		}
	}
	if strings.Contains(p, "\n") || !strings.HasSuffix(p, "\r\x1b[K") || !strings.Contains(p, "s\x1b[K") {
		t.Errorf("terminal progress %q: one line redrawn, cleared at the end", p)
	}
	if q := f.requests()[1].uri; q != "/v1/bulkcmd/flush?async=true&dc=dc1%2Cdc2" {
		t.Errorf("POST %s", q)
	}
	if !strings.Contains(o.String(), "command flush: 5 succeeded, 1 failed") {
		t.Errorf("results:\n%s", o.String())
	}
}

func TestBulkJSONAndAsync(t *testing.T) {
	f := newFakeAPI()
	flushScenario(f)
	u := f.start(t)
	out, _, code, _ := runBulkT(t, "flush", "--url", u, "--poll", "5ms", "--json")
	var v bulk.JobView
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.State != bulk.JobDone || len(v.Failure) != 1 || len(v.Nodes) != 6 {
		t.Errorf("--json: exit %d:\n%s", code, out)
	}

	f = newFakeAPI()
	flushScenario(f)
	u = f.start(t)
	out, _, code, err := runBulkT(t, "flush", "--async", "--url", u, "--cacert", "/dev/null")
	if code != 1 || !strings.Contains(err.Error(), "--cacert /dev/null") {
		t.Errorf("bad --cacert: %v", err)
	}
	out, _, code, err = runBulkT(t, "flush", "--async", "--url", u)
	if code != 0 || out != "flush: job 0123456789abcdef started; follow with: ringside bulk job 0123456789abcdef --url "+u+"\n" {
		t.Errorf("--async: exit %d (%v): %q", code, err, out)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("%d requests with --async, want the schema and the POST", n)
	}
	// ... and job follows it.
	out, errOut, code, _ := runBulkT(t, "job", "0123456789abcdef", "--url", u, "--poll", "5ms")
	if code != 1 || !strings.Contains(out, "command flush: 5 succeeded, 1 failed") || !strings.Contains(errOut, "[6/6]") {
		t.Errorf("job: exit %d:\n%s\n%s", code, out, errOut)
	}
	_, _, code, err = runBulkT(t, "job", "feedfeedfeedfeed", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "has no job feedfeedfeedfeed") {
		t.Errorf("unknown job: exit %d (%v)", code, err)
	}
}

func TestBulkAllSucceed(t *testing.T) {
	f := newFakeAPI()
	ts := bulkTargets()[:3]
	j := &fakeJob{command: "setcompactionthroughput", targets: ts, results: map[int]fanout.Result{}}
	j.steps = []map[int]fanout.Result{{
		0: ok(ts[0], `{"rate_in_mb":9,"previous_rate_in_mb":64}`, 0.01),
		1: ok(ts[1], `{"rate_in_mb":9,"previous_rate_in_mb":64}`, 0.01),
		2: ok(ts[2], `{"rate_in_mb":9,"output":"set to 9 MB/s"}`, 0.01),
	}}
	f.reply("GET /v1/bulkcmd", 200, bulkSchema())
	f.reply("POST /v1/bulkcmd/setcompactionthroughput", http.StatusAccepted, bulk.Accepted{JobID: "0123456789abcdef", Location: "/v1/jobs/0123456789abcdef"})
	f.handle("GET /v1/jobs/0123456789abcdef", func(*http.Request, []byte) (int, any) { return 200, j.view() })
	u := f.start(t)
	out, errOut, code, err := runBulkT(t, "setcompactionthroughput", "rate_in_mb=9", "--dc", "dc1", "--url", u, "--poll", "5ms")
	if code != 0 || err != nil {
		t.Fatalf("exit %d (%v)\n%s\n%s", code, err, out, errOut)
	}
	if r := f.requests()[1]; r.body != `{"rate_in_mb":9}` || r.uri != "/v1/bulkcmd/setcompactionthroughput?async=true&dc=dc1" {
		t.Errorf("POST %+v", r)
	}
	for _, s := range []string{"rate_in_mb=9 previous_rate_in_mb=64", `rate_in_mb=9 output="set to 9 MB/s"`, "command setcompactionthroughput: 3 succeeded, 0 failed\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	// Done at the first poll: no "job on N nodes" line, just the nodes.
	if strings.Contains(errOut, "job ") || strings.Count(errOut, "\n") != 3 {
		t.Errorf("progress %q", errOut)
	}
}

// TestBulkSyncFallback: a sidecar that refuses ?async runs the command
// synchronously; its answer is a bulk.Answer.
func TestBulkSyncFallback(t *testing.T) {
	f := newFakeAPI()
	ts := bulkTargets()
	f.reply("GET /v1/bulkcmd", 404, map[string]string{"error": "not found"}) // an older sidecar: no schema
	f.handle("POST /v1/bulkcmd/version", func(r *http.Request, _ []byte) (int, any) {
		if r.URL.Query().Has("async") {
			return 400, map[string]string{"error": "unknown query parameter(s) async; use scope, dc, rack, hosts"}
		}
		return 200, bulk.Answer{Command: "version", Params: bulk.Params{}, Success: []string{ts[0].Endpoint, ts[1].Endpoint}, Failure: []string{},
			Nodes: []fanout.Result{ok(ts[0], `{"release_version":"4.1.6"}`, 0.01), ok(ts[1], `{"release_version":"4.1.6"}`, 0.02)}}
	})
	u := f.start(t)
	out, _, code, err := runBulkT(t, "version", "--hosts", "h1,127.0.0.2", "--url", u)
	if code != 0 || !strings.Contains(out, "release_version=4.1.6") || !strings.HasSuffix(out, "command version: 2 succeeded, 0 failed\n") {
		t.Errorf("exit %d (%v):\n%s", code, err, out)
	}
	reqs := f.requests()
	if len(reqs) != 3 || reqs[2].uri != "/v1/bulkcmd/version?hosts=h1%2C127.0.0.2" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestBulkRefusals(t *testing.T) {
	f := newFakeAPI()
	f.reply("GET /v1/bulkcmd", 200, bulkSchema())
	// bulk's own ParamError, as writeParamError sends it.
	pe := &bulk.ParamError{Command: "cleanup", Problems: map[string]string{"jobs": "must be at least 0", "tables": "tables need a keyspace"}}
	f.reply("POST /v1/bulkcmd/cleanup", 400, map[string]any{"error": pe.Error(), "problems": pe.Problems})
	f.reply("POST /v1/bulkcmd/drain", 403, map[string]string{"error": "role read may not POST /v1/bulkcmd/drain (needs operate)"})
	u := f.start(t)

	_, _, code, err := runBulkT(t, "cleanup", "jobs=-1", "tables=t", "--url", u)
	want := "the sidecar refused the parameters of cleanup; it ran nowhere:\n" +
		"  jobs    must be at least 0\n" +
		"  tables  tables need a keyspace"
	if code != 1 || err.Error() != want {
		t.Errorf("exit %d, error:\n%v\nwant:\n%s", code, err, want)
	}
	if r := f.requests()[1]; r.body != `{"jobs":-1,"tables":["t"]}` {
		t.Errorf("body %s", r.body)
	}
	_, _, code, err = runBulkT(t, "drain", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "a token with role operate") {
		t.Errorf("403: exit %d (%v)", code, err)
	}
	// Unknown command: the schema says so before anything is posted.
	n := len(f.requests())
	_, _, code, err = runBulkT(t, "frobnicate", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), `unknown command "frobnicate"; the sidecar has: cleanup, drain, flush,`) {
		t.Errorf("unknown: exit %d (%v)", code, err)
	}
	if r := f.requests()[n:]; len(r) != 1 {
		t.Errorf("requests for an unknown command: %+v", r)
	}
	// ... or the POST's 404 does, without a schema.
	f.reply("GET /v1/bulkcmd", 500, map[string]string{"error": "oops"})
	f.reply("POST /v1/bulkcmd/frobnicate", 404, map[string]any{"error": `unknown command "frobnicate"`, "commands": bulk.Default().Names()})
	_, _, code, err = runBulkT(t, "frobnicate", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "the sidecar has: cleanup, drain") {
		t.Errorf("unknown (404): exit %d (%v)", code, err)
	}
	// 401 on the schema: stop there.
	f.reply("GET /v1/bulkcmd", 401, map[string]string{"error": "missing bearer token (Authorization: Bearer <token>)"})
	_, _, code, err = runBulkT(t, "flush", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "--token-file") {
		t.Errorf("401: exit %d (%v)", code, err)
	}
}

func TestBulkList(t *testing.T) {
	f := newFakeAPI()
	f.reply("GET /v1/bulkcmd", 200, bulkSchema())
	u := f.start(t)
	out, _, code, err := runBulkT(t, "list", "--url", u)
	if code != 0 {
		t.Fatalf("exit %d (%v)", code, err)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "COMMAND ") || !strings.Contains(lines[0], "REQUIRED/DEFAULT") {
		t.Errorf("header %q", lines[0])
	}
	for _, re := range []string{
		`(?m)^setcompactionthroughput +Set the compaction throughput cap`,
		`(?m)^ +rate_in_mb +int +required +0\.\.2147483646 +MiB/s; 0 disables throttling$`,
		`(?m)^ +jobs +int +default 2 +0\.\.2147483647 `,
		`(?m)^ +tables +strings +optional +- +tables of that keyspace`,
		`(?m)^flush .*\(long: runs for minutes or hours\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("list lacks %s:\n%s", re, out)
		}
	}
	out, _, code, _ = runBulkT(t, "list", "--url", u, "--json")
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, `"rate_in_mb"`) {
		t.Errorf("--json: %s", out)
	}
}

func TestBulkParamTypes(t *testing.T) {
	// The schema as the CLI reads it from the sidecar.
	var l client.BulkCommands
	if b, _ := json.Marshal(bulkSchema()); json.Unmarshal(b, &l) != nil {
		t.Fatal("schema does not decode")
	}
	var spec *client.BulkCommand
	for _, c := range l.Commands {
		if c.Name == "cleanup" {
			spec = &c
		}
	}
	obj := client.BulkCommand{Name: "x", Params: []client.BulkParam{{Name: "o", Type: client.ParamObject}, {Name: "b", Type: client.ParamBool}, {Name: "s", Type: client.ParamString}}}
	for _, tc := range []struct {
		spec   *client.BulkCommand
		params []string
		want   string
	}{
		{spec, []string{"keyspace=123", "jobs=4", "tables=a,b"}, `{"keyspace":"123","jobs":4,"tables":["a","b"]}`},
		{spec, []string{"tables=a", "tables=b,c"}, `{"tables":["a","b","c"]}`},
		{spec, []string{`tables=["x y"]`, "jobs=four"}, `{"tables":["x y"],"jobs":"four"}`},
		{spec, []string{"jobs=1.5", "other=true"}, `{"jobs":1.5,"other":true}`},
		{&obj, []string{`o={"compaction_throughput":"8MiB/s"}`, "b=1", "s=true"}, `{"o":{"compaction_throughput":"8MiB/s"},"b":true,"s":"true"}`},
		{&obj, []string{"o=nope", "b=maybe", "s="}, `{"o":"nope","b":"maybe","s":""}`},
		{nil, []string{"a=1", "b=x", "c=false", "d="}, `{"a":1,"b":"x","c":false,"d":""}`},
		{nil, nil, `{}`},
	} {
		c := &bulkCmd{params: tc.params}
		b, err := c.body(tc.spec)
		if err != nil || string(b) != tc.want {
			t.Errorf("%q: %s, %v; want %s", tc.params, b, err, tc.want)
		}
	}
	if _, err := (&bulkCmd{params: []string{"jobs=1", "jobs=2"}}).body(spec); err == nil {
		t.Error("a parameter twice: no error")
	}
}

func TestBulkUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"list", "extra"},
		{"list", "--dc", "dc1"},
		{"job"},
		{"job", "a", "b"},
		{"job", "a", "--async"},
		{"flush", "keyspace"},
		{"flush", "=ks"},
		{"flush", "--param", "ks"},
		{"rate=1"},
		{"flush", "--scope", "everywhere"},
		{"flush", "--poll", "0s"},
		{"flush", "--bogus"},
	} {
		_, errOut, code, _ := runBulkT(t, args...)
		if code != 2 || !strings.Contains(errOut, "Usage: ringside bulk") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the usage", args, code, errOut)
		}
	}
	if _, errOut, code, _ := runBulkT(t, "-h"); code != 0 || !strings.Contains(errOut, "--async") || !strings.Contains(errOut, "--cacert") {
		t.Errorf("-h: exit %d, %q", code, errOut)
	}
}

func TestBulkUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, _, code, err := runBulkT(t, "flush", "--url", addr)
	if code != 1 || !strings.Contains(err.Error(), "cannot reach the sidecar at http://"+addr) {
		t.Errorf("exit %d (%v)", code, err)
	}
}

// TestBulkJobLost: the sidecar forgets the job (it restarted) while it is
// followed.
func TestBulkJobLost(t *testing.T) {
	f := newFakeAPI()
	j := flushScenario(f)
	var polls atomic.Int32
	f.handle("GET /v1/jobs/0123456789abcdef", func(*http.Request, []byte) (int, any) {
		if polls.Add(1) > 2 {
			return 404, map[string]string{"error": `no job "0123456789abcdef" (jobs are kept in memory: finished ones for a while, none across a sidecar restart)`}
		}
		return 200, j.view()
	})
	u := f.start(t)
	_, _, code, err := runBulkT(t, "flush", "--url", u, "--poll", "5ms")
	if code != 1 || !strings.Contains(err.Error(), "has no job 0123456789abcdef") || !strings.Contains(err.Error(), "sidecar restart") {
		t.Errorf("exit %d (%v)", code, err)
	}
}

// TestMainRunsSettingsAndBulk: main dispatches both, with their exit
// statuses.
func TestMainRunsSettingsAndBulk(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		args string
		code int
		want string
	}{
		{"settings", 2, "Usage: ringside settings"},
		{"bulk", 2, "Usage: ringside bulk"},
		{"settings get --url " + addr, 1, "ringside: cannot reach the sidecar at http://" + addr},
		{"bulk flush --url " + addr, 1, "ringside: cannot reach the sidecar at http://" + addr},
	} {
		out, err := ringside(t, tc.args).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("ringside %s: exit %d, output %q; want %d and %q", tc.args, code, out, tc.code, tc.want)
		}
	}
}
