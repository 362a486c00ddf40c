package sim_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// pinned is a session whose every request n coordinates, at protocol pv.
func pinned(t *testing.T, c *sim.Cluster, n *sim.Node, pv int) *gocql.Session {
	t.Helper()
	cc := gocql.NewCluster(n.Addr.String())
	cc.Port = c.Config().NativePort
	cc.ProtoVersion = pv
	cc.Timeout = 5 * time.Second
	cc.ConnectTimeout = 5 * time.Second
	cc.HostFilter = gocql.WhiteListHostFilter(n.Addr.String())
	var s *gocql.Session
	var err error
	for i := 0; i < 50; i++ { // a restarted node may still be starting
		if s, err = cc.CreateSession(); err == nil {
			t.Cleanup(s.Close)
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("connect to %s: %v", n.Addr, err)
	return nil
}

func serialValue(t *testing.T, s *gocql.Session, k string) (string, bool) {
	t.Helper()
	var v string
	err := s.Query("SELECT v FROM probe.kv WHERE k = ?", k).Consistency(gocql.Serial).Scan(&v)
	if errors.Is(err, gocql.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatalf("SERIAL read of %s: %v", k, err)
	}
	return v, true
}

// TestLWTUnknownOutcome: injected partial acceptance reaches gocql as
// CAS_WRITE_UNKNOWN on v5 and WriteTimeout CAS on v4; a later SERIAL read
// completes the proposal when its prepare quorum sees it and supersedes it
// for good when it doesn't (the only acceptor killed).
func TestLWTUnknownOutcome(t *testing.T) {
	c := simtest.Start(t, "dc1:3x1", false, func(cfg *sim.Config) { cfg.LWTUnknownRate = 1 })
	n := c.Nodes()
	s4, s5 := pinned(t, c, n[0], 4), pinned(t, c, n[0], 5)
	must(t, s4.Query("CREATE KEYSPACE probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}").Exec())
	must(t, s4.Query("CREATE TABLE probe.kv (k text PRIMARY KEY, v text)").Exec())

	// The coordinator's own replica is the only one the proposal reaches.
	err := s4.Query("INSERT INTO probe.kv (k, v) VALUES ('a', 'x') IF NOT EXISTS").Exec()
	var wt *gocql.RequestErrWriteTimeout
	if !errors.As(err, &wt) || wt.WriteType != "CAS" || wt.Received != 1 || wt.BlockFor != 2 {
		t.Fatalf("v4: got %#v, want WriteTimeout CAS 1/2", err)
	}
	err = s5.Query("INSERT INTO probe.kv (k, v) VALUES ('b', 'y') IF NOT EXISTS").Exec()
	var unk *gocql.RequestErrCASWriteUnknown
	if !errors.As(err, &unk) || unk.Received != 1 || unk.BlockFor != 2 || unk.Consistency != gocql.Serial {
		t.Fatalf("v5: got %#v, want CAS_WRITE_UNKNOWN 1/2 at SERIAL", err)
	}
	if err := c.SetLWTFaults(0, 0); err != nil {
		t.Fatal(err)
	}

	// Completed: n1 coordinates, so its prepare quorum includes n1's acceptance.
	if v, ok := serialValue(t, s4, "a"); !ok || v != "x" {
		t.Fatalf("SERIAL read of a via n1: %q %v, want the unknown proposal completed", v, ok)
	}
	// Once completed it is committed: a QUORUM read from another node sees it.
	s2 := pinned(t, c, n[1], 4)
	var v string
	must(t, s2.Query("SELECT v FROM probe.kv WHERE k = 'a'").Consistency(gocql.Quorum).Scan(&v))
	if v != "x" {
		t.Fatalf("QUORUM read of a: %q", v)
	}

	// Superseded: the only acceptor (n1) is killed; n2's SERIAL read fences it.
	n[0].Kill()
	if v, ok := serialValue(t, s2, "b"); ok {
		t.Fatalf("SERIAL read of b without n1: %q, want no row", v)
	}
	must(t, n[0].Start())
	waitFor(t, func() bool { return n[0].State() == sim.StateRunning })
	s1 := pinned(t, c, n[0], 5)
	for i := 0; i < 3; i++ {
		if v, ok := serialValue(t, s1, "b"); ok {
			t.Fatalf("SERIAL read of b via restarted n1: %q, want it superseded for good", v)
		}
	}
	// A CAS on b now applies from nothing.
	applied, err := s1.Query("INSERT INTO probe.kv (k, v) VALUES ('b', 'z') IF NOT EXISTS").ScanCAS()
	if err != nil || !applied {
		t.Fatalf("INSERT b after supersede: %v %v", applied, err)
	}
}

// TestLWTCommitTimeout: an injected commit loss is a WriteTimeout of write
// type SIMPLE at the commit level, and the value is decided all the same.
func TestLWTCommitTimeout(t *testing.T) {
	c := simtest.Start(t, "dc1:3x1", false, func(cfg *sim.Config) { cfg.LWTCommitTimeoutRate = 1 })
	n := c.Nodes()
	s := pinned(t, c, n[0], 5)
	must(t, s.Query("CREATE KEYSPACE probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}").Exec())
	must(t, s.Query("CREATE TABLE probe.kv (k text PRIMARY KEY, v text)").Exec())
	err := s.Query("INSERT INTO probe.kv (k, v) VALUES ('a', 'x') IF NOT EXISTS").Consistency(gocql.Quorum).Exec()
	var wt *gocql.RequestErrWriteTimeout
	if !errors.As(err, &wt) || wt.WriteType != "SIMPLE" || wt.Consistency != gocql.Quorum || wt.BlockFor != 2 || wt.Received != 1 {
		t.Fatalf("got %#v, want WriteTimeout SIMPLE 1/2 at QUORUM", err)
	}
	if err := c.SetLWTFaults(0, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok := serialValue(t, pinned(t, c, n[2], 5), "a"); !ok || v != "x" {
		t.Fatalf("SERIAL read after commit timeout: %q %v", v, ok)
	}
}

func TestLWTFaultRatesRefused(t *testing.T) {
	for _, tc := range []struct {
		set  func(*sim.Config)
		want string
	}{
		{func(c *sim.Config) { c.LWTUnknownRate = -0.1 }, "lwt_unknown_rate (--lwt-unknown-rate) must be within [0,1], but was -0.1"},
		{func(c *sim.Config) { c.LWTCommitTimeoutRate = 1.5 }, "lwt_commit_timeout_rate (--lwt-commit-timeout-rate) must be within [0,1], but was 1.5"},
	} {
		cfg := sim.DefaultConfig()
		tc.set(&cfg)
		if err := cfg.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("Validate: %v, want %q", err, tc.want)
		}
	}
	c := simtest.Start(t, "dc1:1x1", false, nil)
	if err := c.SetLWTFaults(2, 0); err == nil {
		t.Fatal("SetLWTFaults(2, 0) accepted")
	}
	srv := httptest.NewServer(c.ControlHandler())
	defer srv.Close()
	ctl := &sim.Control{Addr: strings.TrimPrefix(srv.URL, "http://")}
	var got map[string]float64
	must(t, ctl.Do("POST", "/v1/lwt-faults", map[string]float64{"unknown_rate": 0.25}, &got))
	if got["unknown_rate"] != 0.25 || got["commit_timeout_rate"] != 0 {
		t.Fatalf("after POST: %v", got)
	}
	for _, tc := range []struct {
		body any
		want string
	}{
		{map[string]float64{"unknown_rate": -1}, "lwt_unknown_rate (--lwt-unknown-rate) must be within [0,1], but was -1"},
		{map[string]float64{"commit_timeout_rate": 1.5}, "lwt_commit_timeout_rate (--lwt-commit-timeout-rate) must be within [0,1], but was 1.5"},
		{map[string]string{"rate": "x"}, `want {"unknown_rate"`},
		{nil, `want {"unknown_rate"`},
	} {
		if err := ctl.Do("POST", "/v1/lwt-faults", tc.body, &got); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("POST %v: %v, want a refusal with %q", tc.body, err, tc.want)
		}
	}
	must(t, ctl.Do("GET", "/v1/lwt-faults", nil, &got))
	if got["unknown_rate"] != 0.25 || got["commit_timeout_rate"] != 0 {
		t.Fatalf("refused POSTs changed the rates: %v", got)
	}
}
