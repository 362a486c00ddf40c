package client_test

import (
	"encoding/json"
	"go/build"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/bulk"
	"github.com/ringside/ringside/client"
	"github.com/ringside/ringside/desire"
	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/lifecycle"
	"github.com/ringside/ringside/settings"
)

// jsonFields are the JSON member names of a struct type's fields, those
// of embedded structs included.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// TestWireTypesMirrorTheSidecar: each of the client's types has exactly
// the JSON members of the sidecar's type it decodes. A field added to
// the sidecar's answer fails here until the client has it too.
func TestWireTypesMirrorTheSidecar(t *testing.T) {
	for _, tc := range []struct {
		client, sidecar any
	}{
		{client.Target{}, fanout.Target{}},
		{client.NodeResult{}, fanout.Result{}},
		{client.BulkCommand{}, bulk.CommandInfo{}},
		{client.BulkParam{}, bulk.Param{}},
		{client.BulkAnswer{}, bulk.Answer{}},
		{client.Job{}, bulk.JobView{}},
		{client.JobNode{}, bulk.JobNode{}},
		{client.JobSummary{}, bulk.JobSummary{}},
		{client.ClusterDocument{}, desire.Document{}},
		{client.ClusterDesire{}, desire.DesireView{}},
		{client.DesireNode{}, desire.Node{}},
		{client.DesireScope{}, desire.Scope{}},
		{client.DesireProgress{}, desire.Progress{}},
		{client.Refreshed{}, settings.Refreshed{}},
		{client.Difference{}, health.Difference{}},
		{client.Supervision{}, lifecycle.SupervisionStatus{}},
		{client.TransitionStep{}, lifecycle.StepRecord{}},
	} {
		ct, st := reflect.TypeOf(tc.client), reflect.TypeOf(tc.sidecar)
		if c, s := jsonFields(ct), jsonFields(st); !slices.Equal(c, s) {
			t.Errorf("client.%s has %v\n%s has %v", ct.Name(), c, st, s)
		}
	}

	// RestartRequest's body has desire.Request's members, each decoded.
	full := client.RestartRequest{By: time.Unix(1_900_000_000, 0), OlderThan: time.Unix(1_800_000_000, 0), DCs: []string{"dc1"}, Racks: []string{"r1"},
		Nodes: []string{"h1"}, ConsistencyLevels: []string{"QUORUM"}, MaxParallel: 2, DryRun: true, Force: true}
	b, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := jsonFields(reflect.TypeOf(desire.Request{})); !slices.Equal(keys, want) {
		t.Errorf("RestartRequest sends %v, desire.Request has %v", keys, want)
	}
	r, err := desire.ParseRequest(b)
	if err != nil || *r.By != 1_900_000_000 || !r.OlderThan.Equal(full.OlderThan) || *r.MaxParallel != 2 || !r.DryRun || !r.Force || r.Type != "restart" ||
		r.DC[0] != "dc1" || r.Rack[0] != "r1" || r.Nodes[0] != "h1" || r.ConsistencyLevels[0] != "QUORUM" {
		t.Errorf("the sidecar reads %s as %+v, %v", b, r, err)
	}
	// A zero request sends only what is required.
	if b, _ := json.Marshal(client.RestartRequest{By: time.Unix(1_900_000_000, 0)}); string(b) != `{"by":1900000000,"type":"restart"}` {
		t.Errorf("minimal request %s", b)
	}
}

func TestConstantsMirrorTheSidecar(t *testing.T) {
	for c, s := range map[string]string{
		client.NodeStarting: string(lifecycle.Starting), client.NodeRunning: string(lifecycle.Running),
		client.NodeStopping: string(lifecycle.Stopping), client.NodeStopped: string(lifecycle.Stopped), client.NodeFailed: string(lifecycle.Failed),
		client.StepFailHealth: string(lifecycle.StepFailHealth), client.StepDrain: string(lifecycle.StepDrain),
		client.StepStopCommand: string(lifecycle.StepStopCommand), client.StepWaitExit: string(lifecycle.StepWaitExit),
		client.StepStartCmd: string(lifecycle.StepStartCmd), client.StepWaitHealth: string(lifecycle.StepWaitHealth),
		client.OutcomeInProgress: lifecycle.InProgress, client.OutcomeSucceeded: lifecycle.Succeeded,
		client.OutcomeFailed: lifecycle.FailedOut, client.OutcomeAborted: lifecycle.Aborted,
		client.PathNodeStatus: lifecycle.PathStatus, client.PathNodeStop: lifecycle.PathStop, client.PathNodeStart: lifecycle.PathStart,
		client.PathClusterDesire: desire.PathCluster,
		client.JobRunning:        bulk.JobRunning, client.JobDone: bulk.JobDone,
		client.ParamInt: bulk.TypeInt, client.ParamBool: bulk.TypeBool, client.ParamString: bulk.TypeString,
		client.ParamStrings: bulk.TypeStrings, client.ParamObject: bulk.TypeObject,
	} {
		if c != s {
			t.Errorf("client has %q where the sidecar has %q", c, s)
		}
	}
	// Desire and desire-node states share names (RUNNING, DONE): pairs.
	for _, p := range [][2]string{
		{client.DesirePending, string(desire.Pending)}, {client.DesireRunning, string(desire.Running)}, {client.DesirePaused, string(desire.Paused)},
		{client.DesireBlocked, string(desire.Blocked)}, {client.DesireDone, string(desire.Done)}, {client.DesireCancelled, string(desire.Cancelled)},
		{client.DesireExpired, string(desire.Expired)},
		{client.DesireNodeRunning, string(desire.NodeRunning)}, {client.DesireNodeStopped, string(desire.NodeStopped)},
		{client.DesireNodeDone, string(desire.NodeDone)}, {client.DesireNodeFailed, string(desire.NodeFailed)},
	} {
		if p[0] != p[1] {
			t.Errorf("client has %q where the sidecar has %q", p[0], p[1])
		}
	}
	for _, s := range []desire.State{desire.Pending, desire.Running, desire.Paused, desire.Blocked, desire.Done, desire.Cancelled, desire.Expired} {
		if client.DesireEnded(string(s)) != s.Ended() {
			t.Errorf("DesireEnded(%s) = %v, the sidecar says %v", s, !s.Ended(), s.Ended())
		}
	}
	if checks := []string{client.CheckCoordinator, client.CheckReplica, client.CheckCluster}; !slices.Equal(checks, api.Checks) {
		t.Errorf("checks %v, the API serves %v", checks, api.Checks)
	}
}

// TestStandardLibraryOnly: a program using the client links neither the
// sidecar nor its dependencies.
func TestStandardLibraryOnly(t *testing.T) {
	p, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("client imports %s", imp)
		}
	}
	if len(p.Imports) == 0 {
		t.Error("no imports found: wrong directory?")
	}
}
