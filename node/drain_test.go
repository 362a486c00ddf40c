package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
)

// TestDrainJolokia: Drain drains a running node; a second Drain finds it
// DRAINED and leaves it alone.
func TestDrainJolokia(t *testing.T) {
	c := startCluster(t, "dc1:3x1", nil)
	n := c.Nodes()[1]
	a := adapterFor(t, c, n)
	already, err := a.Drain(context.Background())
	if err != nil || already {
		t.Fatalf("first drain: already %v, err %v", already, err)
	}
	if st := n.Status(); st.OperationMode != "DRAINED" || st.NativeTransport || st.Gossip {
		t.Fatalf("after drain: %+v", st)
	}
	already, err = a.Drain(context.Background())
	if err != nil || !already {
		t.Fatalf("second drain: already %v, err %v", already, err)
	}
}

// TestDrainJolokiaContext: a drain slower than the context fails with the
// context's error, though the adapter's own timeout is shorter still
// than the drain (only ctx bounds it).
func TestDrainJolokiaContext(t *testing.T) {
	c := startCluster(t, "dc1:1x1", func(cfg *sim.Config) { cfg.DrainTime = 3 * time.Second })
	n := c.Nodes()[0]
	a := adapterFor(t, c, n)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := a.Drain(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "drain: ") {
		t.Fatalf("err %v, want drain: … context deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Drain returned after %s", d)
	}
	// Not bounded by the adapter's Timeout: a drain longer than it completes.
	c2 := startCluster(t, "dc1:1x1", func(cfg *sim.Config) { cfg.DrainTime = 700 * time.Millisecond })
	n2 := c2.Nodes()[0]
	a2 := adapterFor(t, c2, n2)
	a2.cfg.Timeout = 200 * time.Millisecond
	if already, err := a2.Drain(context.Background()); err != nil || already {
		t.Fatalf("slow drain: already %v, err %v", already, err)
	}
	if m := n2.Status().OperationMode; m != "DRAINED" {
		t.Fatalf("mode %s", m)
	}
}

// fakeDrainNodetool answers netstats from a state file and drains in 0.5 s.
func fakeDrainNodetool(t *testing.T, timeout time.Duration) (*Adapter, string) {
	state := filepath.Join(t.TempDir(), "mode")
	os.WriteFile(state, []byte("NORMAL\n"), 0o644)
	script := `case "$1" in
netstats) echo "Mode: $(cat "$STATE")"; echo "Not sending any streams." ;;
drain) sleep 0.5; echo DRAINED >"$STATE" ;;
*) echo "nodetool: unexpected $1" >&2; exit 1 ;;
esac`
	t.Setenv("STATE", state)
	a := New(Config{CQLAddress: "127.0.0.1:1", Nodetool: "sh", NodetoolArgs: []string{"-c", script, "nodetool"}, Timeout: timeout}, nil)
	t.Cleanup(a.Close)
	return a, state
}

// TestDrainNodetool: without Jolokia, netstats gives the mode and
// `nodetool drain` runs without the Nodetool's short timeout.
func TestDrainNodetool(t *testing.T) {
	a, state := fakeDrainNodetool(t, 200*time.Millisecond)
	already, err := a.Drain(context.Background())
	if err != nil || already {
		t.Fatalf("first drain: already %v, err %v", already, err)
	}
	if b, _ := os.ReadFile(state); strings.TrimSpace(string(b)) != "DRAINED" {
		t.Fatalf("state %q", b)
	}
	if already, err := a.Drain(context.Background()); err != nil || !already {
		t.Fatalf("second drain: already %v, err %v", already, err)
	}
	if a.Nodetool().Timeout != 200*time.Millisecond {
		t.Fatal("Drain changed the adapter's Nodetool")
	}

	a, _ = fakeDrainNodetool(t, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := a.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "drain: nodetool drain: ") {
		t.Fatalf("err %v", err)
	}
}
