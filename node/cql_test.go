package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
)

// A peer's restart must not touch the session pinned to the local node.
// The peer's STATUS_CHANGE UP names a host the session does not know, so
// gocql refreshes its ring about 2 s later (1 s event debounce, 1 s ring
// refresh debounce). With DisableInitialHostLookup the session's only
// pooled host carried a made-up host id that system.local did not list,
// so that refresh removed it from the pool and the policy: every read then
// failed with "no hosts available in the pool" until the session was
// rebuilt.
func TestCQLSessionSurvivesPeerRestart(t *testing.T) {
	c := startCluster(t, "dc1:3x1", nil)
	n, peer := c.Nodes()[0], c.Nodes()[1]
	cl := &cqlClient{addr: net.JoinHostPort(n.Addr.String(), fmt.Sprint(c.Config().NativePort)),
		timeout: 3 * time.Second, log: slog.New(slog.DiscardHandler)}
	t.Cleanup(cl.close)
	ctx := context.Background()
	check := func(when string) {
		t.Helper()
		if r := cl.read(ctx, false); len(r.errs) != 0 || !r.local || len(r.peers) != 2 {
			t.Fatalf("%s: errors %q, local %v, %d peers", when, r.errs, r.local, len(r.peers))
		}
	}
	check("before the restart")
	sess := cl.sess

	for i := range 2 {
		peer.Kill()
		waitSees(t, n, peer, false)
		if err := peer.Start(); err != nil {
			t.Fatal(err)
		}
		if err := peer.WaitNormal(ctx, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		waitSees(t, n, peer, true)
		// Past both of gocql's debounces, reading all along.
		for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			check(fmt.Sprintf("after restart %d", i+1))
		}
	}
	if cl.sess != sess {
		t.Error("the session was rebuilt: a peer's restart broke it")
	}
}

// waitSees waits until n sees peer up (or down).
func waitSees(t *testing.T, n, peer *sim.Node, up bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); slices.Contains(n.Status().Down, peer.Endpoint()) == up; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never saw %s up=%v", n.Addr, peer.Addr, up)
		}
	}
}
