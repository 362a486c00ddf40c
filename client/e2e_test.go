package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ringside/ringside/client"
	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// TestMain serves the simulated nodes' bin/cassandra-{start,stop}
// scripts, which run this test binary as `ringside sim ctl`.
func TestMain(m *testing.M) { simtest.Main(m) }

// apiError is err as an *APIError with status code, or a test failure.
func apiError(t *testing.T, what string, err error, code int) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != code || ae.Message == "" {
		t.Fatalf("%s: want an APIError with HTTP %d and a message, got %T %v", what, code, err, err)
	}
	return ae
}

// membersOf checks that every member of the JSON object raw is a field
// of the client's type v: nothing the sidecar sends is dropped.
func membersOf(t *testing.T, what string, raw json.RawMessage, v any) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v in %s", what, err, raw)
	}
	fields := jsonFields(reflect.TypeOf(v))
	for k := range m {
		if !slices.Contains(fields, k) {
			t.Errorf("%s: the sidecar sends %q, which %T lacks", what, k, v)
		}
	}
}

// until polls f until it holds.
func until(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !f(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
	}
}

// TestAgainstSecureDemo runs every typed call against real sidecars
// over a simulated 3-node cluster, with TLS from a cluster CA, mutual
// TLS between sidecars and JWT roles.
func TestAgainstSecureDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node demo")
	}
	scfg, err := sim.TestConfig("dc1:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Secure: true, Sim: &scfg, Refresh: 200 * time.Millisecond,
		Configure: func(n *sim.Node, c *config.Config) {
			c.Lifecycle.Grace = 100 * time.Millisecond
			c.Desires.Interval = 100 * time.Millisecond
			c.Desires.LeaseTTL = time.Second
			c.Desires.RestartEstimate = 2 * time.Second
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	sec := d.Security
	pem, err := os.ReadFile(sec.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate")
	}
	connect := func(i int, opts ...client.Option) *client.Client {
		t.Helper()
		c, err := client.New(d.Sidecars[i].URL, append([]client.Option{client.WithRootCAs(pool), client.WithTimeout(time.Minute)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	reader := connect(0, client.WithToken(sec.Tokens["read"]))
	operator := connect(0, client.WithToken(sec.Tokens["operate"]))
	anonymous := connect(0)
	ctx := t.Context()

	t.Run("version", func(t *testing.T) {
		v, err := reader.Version(ctx)
		if err != nil || v.Version == "" || v.Go != runtime.Version() {
			t.Errorf("version %+v %v", v, err)
		}
	})

	t.Run("health", func(t *testing.T) {
		var rep *client.HealthReport
		until(t, "coordinator healthy", func() bool {
			rep, err = reader.Health(ctx, client.CheckCoordinator)
			return err == nil && rep.Healthy
		})
		ks, ok := rep.UnderreplicatedKeyspaces("local_quorum")
		if rep.StatusCode != 200 || !rep.CassandraRunning || rep.AsOf.IsZero() || rep.DataAgeSeconds == nil || rep.Datacenter != "dc1" ||
			!ok || ks == nil || len(ks) != 0 || len(rep.Reasons) != 0 || !json.Valid(rep.Raw) || rep.Check != client.CheckCoordinator {
			t.Errorf("coordinator %+v", rep)
		}
		if _, ok := rep.UnderreplicatedKeyspaces("EACH_QUORUM"); ok {
			t.Error("a level not configured has under-replicated keyspaces")
		}
		until(t, "cluster green", func() bool {
			rep, err = reader.Health(ctx, client.CheckCluster)
			return err == nil && rep.Status == "green"
		})
		if _, ok := rep.Fields["nodes"]; !ok || !rep.Healthy {
			t.Errorf("cluster %+v", rep)
		}
		if rep, err := reader.Health(ctx, client.CheckReplica); err != nil || rep.Fields["gossip_active"] == nil {
			t.Errorf("replica %+v %v", rep, err)
		}
		ae := apiError(t, "unknown check", func() error { _, err := reader.Health(ctx, "liveness"); return err }(), http.StatusNotFound)
		if ae.Fields["endpoints"] == nil {
			t.Errorf("404 without the endpoints: %s", ae.Body)
		}
		// A wrong method: 405 with Allow, through Do (a read token may
		// not POST at all: the 403 would come first).
		resp, err := operator.Do(ctx, http.MethodPost, "/v1/health/coordinator", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ae := resp.AsError(); ae.StatusCode != http.StatusMethodNotAllowed || ae.Message == "" || resp.Header.Get("Allow") == "" {
			t.Errorf("POST health: %d %s, Allow %q", ae.StatusCode, ae.Body, resp.Header.Get("Allow"))
		}
	})

	t.Run("auth", func(t *testing.T) {
		apiError(t, "no token", func() error { _, err := anonymous.Settings(ctx, client.Local); return err }(), http.StatusUnauthorized)
		ae := apiError(t, "read token changes", func() error {
			_, err := reader.SetSettings(ctx, client.Local, map[string]any{"compaction_throughput_mb_per_sec": 5})
			return err
		}(), http.StatusForbidden)
		if ae.NeededRole() != "operate" {
			t.Errorf("needed role %q of %q", ae.NeededRole(), ae.Message)
		}
		// The system's roots do not know the cluster CA.
		c, _ := client.New(d.Sidecars[0].URL, client.WithToken(sec.Tokens["read"]))
		if _, err := c.Version(ctx); !errors.As(err, new(x509.UnknownAuthorityError)) {
			t.Errorf("without the CA: %v", err)
		}
		// The peer endpoints want a client certificate of the cluster CA:
		// another sidecar's will do.
		peer := d.Sidecars[1].Config.Security
		cert, err := tls.LoadX509KeyPair(peer.TLSCertFile, peer.TLSKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := reader.Do(ctx, http.MethodGet, "/v1/peer/settings?key=compaction_throughput", nil, nil); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("peer endpoint without a certificate: %v %v", resp, err)
		}
		withCert := connect(0, client.WithToken(sec.Tokens["read"]), client.WithClientCertificate(cert))
		resp, err := withCert.Do(ctx, http.MethodGet, "/v1/peer/settings?key=compaction_throughput", nil, nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("peer endpoint with a certificate: %v %v", resp, err)
		}
	})

	t.Run("settings", func(t *testing.T) {
		// Every sidecar must know the whole cluster first.
		var s *client.Settings
		until(t, "a cluster read answered by 3 nodes", func() bool {
			s, err = reader.Settings(ctx, client.Cluster, "compaction_throughput")
			return err == nil && len(s.Nodes) == 3 && len(s.Success) == 3
		})
		membersOf(t, "fanned-out GET", s.Raw, client.Settings{})
		set, err := operator.SetSettings(ctx, client.Cluster, map[string]any{"compaction_throughput_mb_per_sec": 31})
		if err != nil || len(set.Success) != 3 || set.StatusCode != 200 || set.CassandraYAML == "" {
			t.Fatalf("set on the cluster: %+v %v", set, err)
		}
		var fan map[string]json.RawMessage
		json.Unmarshal(set.Raw, &fan)
		membersOf(t, "node", firstOf(t, fan["nodes"]), client.NodeSettings{})
		for _, n := range set.Nodes {
			// http_status is left out for the node of the sidecar asked.
			if !n.Success || n.Status != 200 && n.Status != 0 || string(n.Runtime["compaction_throughput_mb_per_sec"]) != "31" || n.DC != "dc1" || n.HostID == "" {
				t.Errorf("node %+v", n)
			}
		}
		s, err = reader.Settings(ctx, client.Selector{DCs: []string{"dc1"}}, "compaction_throughput")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range s.Nodes {
			if string(n.Runtime["compaction_throughput"]) != `"31MiB/s"` {
				t.Errorf("after set: %s %s", n.Endpoint, n.Runtime)
			}
		}
		local, err := reader.Settings(ctx, client.Local, "compaction_throughput", "concurrent_compactors")
		if err != nil || local.Nodes != nil || len(local.Runtime) != 2 || string(local.Runtime["compaction_throughput"]) != `"31MiB/s"` {
			t.Errorf("local read %+v %v", local, err)
		}
		membersOf(t, "local GET", local.Raw, client.Settings{})

		ae := apiError(t, "bad keys", func() error {
			_, err := operator.SetSettings(ctx, client.Cluster, json.RawMessage(`{"compaction_thruput": 1, "compaction_throughput": "fast"}`))
			return err
		}(), http.StatusBadRequest)
		if ae.Problems["compaction_thruput"] == "" || ae.Problems["compaction_throughput"] == "" {
			t.Errorf("problems %v", ae.Problems)
		}
		apiError(t, "a DC that is not", func() error {
			_, err := reader.Settings(ctx, client.Selector{DCs: []string{"dc9"}})
			return err
		}(), http.StatusBadRequest)

		// Refresh: the runtime follows cassandra.yaml (64MiB/s) again.
		r, err := operator.RefreshSettings(ctx, client.Local)
		if err != nil || r.Local == nil || r.Nodes != nil || string(r.Local.Applied["compaction_throughput"]) != `"64MiB/s"` || r.Local.InSync == 0 || r.Local.CassandraYAML == "" {
			t.Fatalf("local refresh %+v %v", r, err)
		}
		membersOf(t, "local refresh", r.Raw, client.Refreshed{})
		r, err = operator.RefreshSettings(ctx, client.Cluster)
		if err != nil || len(r.Nodes) != 3 || len(r.Success) != 3 {
			t.Fatalf("cluster refresh %+v %v", r, err)
		}
		applied := 0
		for _, n := range r.Nodes {
			if n.Runtime == nil {
				t.Fatalf("node without its refresh: %+v", n)
			}
			applied += len(n.Runtime.Applied)
		}
		if applied != 2 {
			t.Errorf("the cluster refresh applied %d keys, want 2 (the nodes not refreshed yet)", applied)
		}
	})

	t.Run("bulk", func(t *testing.T) {
		cmds, err := reader.BulkCommands(ctx)
		if err != nil || !json.Valid(cmds.Raw) {
			t.Fatal(err)
		}
		i := slices.IndexFunc(cmds.Commands, func(c client.BulkCommand) bool { return c.Name == "setcompactionthroughput" })
		if i < 0 || len(cmds.Commands[i].Params) == 0 || cmds.Commands[i].Params[0].Name != "rate_in_mb" || cmds.Commands[i].Params[0].Type != client.ParamInt {
			t.Fatalf("commands %+v", cmds.Commands)
		}
		run, err := operator.RunBulk(ctx, "setcompactionthroughput", map[string]any{"rate_in_mb": 9}, client.BulkOptions{Selector: client.Selector{DCs: []string{"dc1"}}, Async: true})
		if err != nil || run.StatusCode != http.StatusAccepted || run.JobID == "" || run.Location != "/v1/jobs/"+run.JobID {
			t.Fatalf("async run %+v %v", run, err)
		}
		var job *client.Job
		until(t, "the job done", func() bool {
			job, err = reader.Job(ctx, run.JobID)
			return err == nil && job.State == client.JobDone
		})
		membersOf(t, "job", job.Raw, client.Job{})
		if job.Total != 3 || job.Done != 3 || len(job.Success) != 3 || job.Finished == nil || job.Command != "setcompactionthroughput" {
			t.Errorf("job %+v", job)
		}
		for _, n := range job.Nodes {
			var v struct {
				Rate int `json:"rate_in_mb"`
			}
			if n.State != "done" || !n.Success || json.Unmarshal(n.Value, &v) != nil || v.Rate != 9 {
				t.Errorf("job node %+v", n)
			}
		}
		jobs, err := reader.Jobs(ctx)
		if err != nil || !slices.ContainsFunc(jobs, func(j client.JobSummary) bool { return j.ID == run.JobID && j.Success == 3 }) {
			t.Errorf("jobs %+v %v", jobs, err)
		}
		// Synchronously, the whole cluster by default.
		run, err = operator.RunBulk(ctx, "getcompactionthroughput", nil, client.BulkOptions{})
		if err != nil || run.Answer == nil || len(run.Answer.Success) != 3 || run.JobID != "" {
			t.Fatalf("sync run %+v %v", run, err)
		}
		membersOf(t, "bulk answer", run.Raw, client.BulkAnswer{})

		ae := apiError(t, "bad parameter", func() error {
			_, err := operator.RunBulk(ctx, "setcompactionthroughput", map[string]any{"rate_in_mb": -1}, client.BulkOptions{})
			return err
		}(), http.StatusBadRequest)
		if ae.Problems["rate_in_mb"] == "" {
			t.Errorf("problems %v", ae.Problems)
		}
		ae = apiError(t, "unknown command", func() error {
			_, err := operator.RunBulk(ctx, "frobnicate", nil, client.BulkOptions{})
			return err
		}(), http.StatusNotFound)
		if ae.Fields["commands"] == nil {
			t.Errorf("404 without the commands: %s", ae.Body)
		}
		apiError(t, "unknown job", func() error { _, err := reader.Job(ctx, "feedfeedfeedfeed"); return err }(), http.StatusNotFound)
	})

	t.Run("node", func(t *testing.T) {
		// The third node, through its own sidecar (loopback: allowed).
		c := connect(2, client.WithToken(sec.Tokens["operate"]))
		st, err := c.NodeStatus(ctx)
		if err != nil || st.StatusCode != 200 || !st.Running || st.State != client.NodeRunning || st.PID == nil || st.Since.IsZero() {
			t.Fatalf("status %+v %v", st, err)
		}
		membersOf(t, "status", st.Raw, client.NodeStatus{})
		stop, err := c.StopNode(ctx, client.StopOptions{Block: true})
		if err != nil || stop.StatusCode != 200 || stop.Outcome != client.OutcomeSucceeded || stop.State != client.NodeStopped || stop.Type != "stop" || len(stop.Steps) != 4 {
			t.Fatalf("stop %+v %v", stop, err)
		}
		if s, ok := stop.Seconds(); !ok || s <= 0 || stop.HealthchecksFailed == nil {
			t.Errorf("stop %+v", stop)
		}
		membersOf(t, "stop", stop.Raw, client.Transition{})
		var steps map[string]json.RawMessage
		json.Unmarshal(stop.Raw, &steps)
		membersOf(t, "step", firstOf(t, steps["steps"]), client.TransitionStep{})
		st, err = c.NodeStatus(ctx)
		if err != nil || st.StatusCode != 503 || st.Running || st.State != client.NodeStopped || st.PID != nil || st.Last == nil ||
			st.Last.Type != "stop" || st.Desired == nil || *st.Desired != client.NodeStopped {
			t.Fatalf("status of a stopped node %+v %v", st, err)
		}
		membersOf(t, "last transition", st.Last.Raw, client.Transition{})
		start, err := c.StartNode(ctx, client.StartOptions{Block: true})
		if err != nil || start.Outcome != client.OutcomeSucceeded || start.State != client.NodeRunning || start.PID == nil || len(start.HealthchecksPassed) != 2 {
			t.Fatalf("start %+v %v", start, err)
		}
		membersOf(t, "start", start.Raw, client.Transition{})
		apiError(t, "a read token stops", func() error {
			_, err := connect(2, client.WithToken(sec.Tokens["read"])).StopNode(ctx, client.StopOptions{})
			return err
		}(), http.StatusForbidden)
	})

	t.Run("cluster", func(t *testing.T) {
		admin := connect(0, client.WithToken(sec.Tokens["admin"]))
		apiError(t, "pause without a desire", func() error { _, err := admin.PauseCluster(ctx); return err }(), http.StatusNotFound)
		doc, err := reader.ClusterDesire(ctx)
		if err != nil || doc.Current() != nil || doc.NodeStates == nil {
			t.Fatalf("no desire yet: %+v %v", doc, err)
		}
		doc, err = admin.RestartCluster(ctx, client.RestartRequest{By: time.Now().Add(time.Hour), DryRun: true})
		if err != nil || !doc.DryRun || doc.Current() == nil || len(doc.Current().Nodes) != 3 || len(doc.Current().Waves) == 0 {
			t.Fatalf("dry run %+v %v", doc, err)
		}
		ae := apiError(t, "a deadline passed", func() error {
			_, err := admin.RestartCluster(ctx, client.RestartRequest{By: time.Now().Add(-time.Hour)})
			return err
		}(), http.StatusBadRequest)
		if ae.Field("field") != "by" {
			t.Errorf("400 names %q: %s", ae.Field("field"), ae.Body)
		}

		doc, err = admin.RestartCluster(ctx, client.RestartRequest{By: time.Now().Add(time.Hour), MaxParallel: 1})
		if err != nil || doc.DryRun || doc.Current() == nil || doc.Current().ID == "" || client.DesireEnded(doc.Current().State) {
			t.Fatalf("restart %+v %v", doc, err)
		}
		var raw map[string]json.RawMessage
		json.Unmarshal(doc.Raw, &raw)
		membersOf(t, "desire as sent", firstOf(t, raw["desires"]), client.ClusterDesire{})
		membersOf(t, "document", doc.Raw, client.ClusterDocument{})
		id := doc.Current().ID
		if doc, err = admin.PauseCluster(ctx); err != nil || doc.Current().State != client.DesirePaused || doc.Current().ID != id {
			t.Fatalf("pause %+v %v", doc, err)
		}
		if doc, err = admin.ResumeCluster(ctx); err != nil || doc.Current().State == client.DesirePaused {
			t.Fatalf("resume %+v %v", doc, err)
		}
		if doc, err = admin.CancelCluster(ctx); err != nil || doc.Current().State != client.DesireCancelled || !client.DesireEnded(doc.Current().State) {
			t.Fatalf("cancel %+v %v", doc, err)
		}
		ae = apiError(t, "cancel an ended desire", func() error { _, err := admin.CancelCluster(ctx); return err }(), http.StatusConflict)
		if ae.Field("desire") != id || ae.Field("state") != client.DesireCancelled {
			t.Errorf("409 %s", ae.Body)
		}
	})
}

func firstOf(t *testing.T, list json.RawMessage) json.RawMessage {
	t.Helper()
	var l []json.RawMessage
	if json.Unmarshal(list, &l) != nil || len(l) == 0 {
		t.Fatalf("not a non-empty list: %s", list)
	}
	return l[0]
}
