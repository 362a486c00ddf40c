// Package simtest starts simulated clusters for tests of any package.
package simtest

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/ringside/ringside/sim"
)

// Start starts a cluster of the given topology ("dc1:3x1,dc2:3x1") on a
// loopback block of its own, with test timings and, with withDir, node
// directories under t.TempDir(); adjust may change the configuration
// first. The cluster stops when the test ends. RINGSIDE_TEST_LOG=1 logs
// what the simulator does to stderr.
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
	return c
}
