// Package simtest starts simulated clusters for tests of any package.
package simtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
)

// Main is for TestMain. The bin/cassandra-* scripts of simulated nodes run
// `<os.Executable()> sim ctl …` (bin/nodetool `… sim nodetool …`), which
// in a test is the test binary: Main serves those runs as `ringside sim
// ctl` (`ringside sim nodetool`) would, and runs the tests otherwise.
func Main(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "sim" && os.Args[2] == "ctl" {
		if err := sim.RunCtl(os.Args[3:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "ringside:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) > 2 && os.Args[1] == "sim" && os.Args[2] == "nodetool" {
		os.Exit(sim.RunNodetool(os.Args[3:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Start starts a cluster of the given topology ("dc1:3x1,dc2:3x1") on a
// loopback block of its own, with test timings and, with withDir, node
// directories under t.TempDir(); adjust may change the configuration
// first. With node directories it also serves the control API, so the
// nodes' bin/ scripts work (given a TestMain calling Main). The cluster
// stops when the test ends. RINGSIDE_TEST_LOG=1 logs what the simulator
// does to stderr.
func Start(t testing.TB, topology string, withDir bool, adjust func(*sim.Config)) *sim.Cluster {
	t.Helper()
	dir := ""
	if withDir {
		dir = t.TempDir()
	}
	cfg, err := sim.TestConfig(topology, dir)
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	var log *slog.Logger
	if os.Getenv("RINGSIDE_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	c, err := sim.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if cfg.Dir != "" {
		// Listen here rather than through ServeControl, to fail the test
		// at once if the address is taken.
		ln, err := net.Listen("tcp", cfg.ControlAddr)
		if err != nil {
			t.Fatalf("control API: %v", err)
		}
		srv := &http.Server{Handler: c.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	return c
}
