package bulk

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/fanout"
)

func jobTargets(n int) []fanout.Target {
	var ts []fanout.Target
	for i := 0; i < n; i++ {
		ts = append(ts, fanout.Target{HostID: fmt.Sprintf("h%d", i), Address: fmt.Sprintf("10.0.0.%d", i), Endpoint: fmt.Sprintf("10.0.0.%d:7000", i), DC: "dc1", Rack: "r1"})
	}
	return ts
}

func TestJobProgress(t *testing.T) {
	js := NewJobs(2, time.Minute)
	ts := jobTargets(3)
	j, err := js.start("flush", Params{"keyspace": "ks"}, ts)
	if err != nil {
		t.Fatal(err)
	}
	js.record(j, fanout.Result{Target: ts[1], Success: true, Value: json.RawMessage(`{"keyspaces":["ks"]}`), Seconds: 0.5})
	js.record(j, fanout.Result{Target: ts[1], Success: false}) // a second report of a node is ignored
	v, ok := js.Get(j.id)
	if !ok || v.State != JobRunning || v.Finished != nil || v.Total != 3 || v.Done != 1 ||
		len(v.Success) != 1 || len(v.Failure) != 0 || v.Nodes[0].State != "pending" || v.Nodes[1].State != "done" {
		t.Fatalf("%+v", v)
	}
	b, _ := json.Marshal(v.Nodes)
	want := `[{"host_id":"h0","address":"10.0.0.0","endpoint":"10.0.0.0:7000","datacenter":"dc1","rack":"r1","state":"pending"},` +
		`{"host_id":"h1","address":"10.0.0.1","endpoint":"10.0.0.1:7000","datacenter":"dc1","rack":"r1","success":true,"value":{"keyspaces":["ks"]},"seconds":0.5,"state":"done"},`
	if !strings.HasPrefix(string(b), want) {
		t.Errorf("nodes %s", b)
	}
	// A JobNode decodes back (for clients).
	var back []JobNode
	if err := json.Unmarshal(b, &back); err != nil || back[1].State != "done" || !back[1].Success || back[0].HostID != "h0" {
		t.Errorf("%v %+v", err, back)
	}
	js.finish(j, []fanout.Result{{Target: ts[0], Error: "boom"}, {Target: ts[1], Success: true}, {Target: ts[2], Success: true}})
	v, _ = js.Get(j.id)
	if v.State != JobDone || v.Finished == nil || v.Done != 3 || strings.Join(v.Failure, ",") != "10.0.0.0:7000" || len(v.Success) != 2 {
		t.Errorf("%+v", v)
	}
	l := js.List()
	if len(l) != 1 || l[0].Success != 2 || l[0].Failure != 1 || l[0].Location != "/v1/jobs/"+j.id {
		t.Errorf("%+v", l)
	}
}

func TestJobsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	js := NewJobs(2, time.Minute)
	js.now = func() time.Time { return now }
	var jobs []*job
	for i := 0; i < 2; i++ {
		j, err := js.start("version", Params{}, jobTargets(1))
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	// At most max running.
	if _, err := js.start("version", Params{}, jobTargets(1)); err != ErrTooManyJobs {
		t.Fatalf("third running job: %v", err)
	}
	js.finish(jobs[0], []fanout.Result{{Success: true}})
	js.finish(jobs[1], []fanout.Result{{Success: true}})
	for i := 0; i < 3; i++ {
		now = now.Add(time.Second)
		j, err := js.start("version", Params{}, jobTargets(1))
		if err != nil {
			t.Fatal(err)
		}
		js.finish(j, []fanout.Result{{Success: true}})
		jobs = append(jobs, j)
	}
	// At most max finished: the oldest went first.
	l := js.List()
	if len(l) != 2 || l[0].ID != jobs[4].id || l[1].ID != jobs[3].id {
		t.Fatalf("%+v", l)
	}
	if _, ok := js.Get(jobs[0].id); ok {
		t.Error("oldest job kept")
	}
	// A running job survives the TTL; finished ones expire.
	running, _ := js.start("cleanup", Params{}, jobTargets(2))
	now = now.Add(time.Minute + 2*time.Second)
	l = js.List()
	if len(l) != 1 || l[0].ID != running.id || l[0].State != JobRunning {
		t.Fatalf("after the TTL: %+v", l)
	}
	if len(js.byID) != 1 || len(js.list) != 1 {
		t.Errorf("kept %d/%d", len(js.byID), len(js.list))
	}
}
