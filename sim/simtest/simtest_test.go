package simtest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringside/ringside/sim"
)

func TestMain(m *testing.M) { Main(m) }

// TestNodeScripts runs a node's bin/ scripts as an operator would: they
// call this test binary's `sim ctl` (through Main) against the control API
// Start serves.
func TestNodeScripts(t *testing.T) {
	t.Setenv("RINGSIDE", "") // the scripts' override of the binary
	c := Start(t, "dc1:3x1", true, nil)
	n := c.Nodes()[1]
	run := func(op string, args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(n.Status().Dir, "bin", "cassandra-"+op), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("cassandra-%s: %v\n%s", op, err, out)
		}
		if !strings.Contains(string(out), n.Addr.String()) {
			t.Errorf("cassandra-%s printed %q, not the node's status", op, out)
		}
		return string(out)
	}
	run("stop")
	if st := n.State(); st != sim.StateStopped {
		t.Fatalf("after cassandra-stop: %s", st)
	}
	run("start", "--wait")
	if st := n.Status(); st.State != sim.StateRunning || st.OperationMode != "NORMAL" || !st.NativeTransport {
		t.Fatalf("after cassandra-start --wait: %+v", st)
	}
	run("kill")
	if st := n.State(); st != sim.StateStopped {
		t.Fatalf("after cassandra-kill: %s", st)
	}
	// A failing ctl run exits 1 with the error on stderr.
	cmd := exec.Command(filepath.Join(n.Status().Dir, "bin", "cassandra-start"), "extra")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "ringside: start takes 1 argument") {
		t.Fatalf("bad start: %v %q", err, out)
	}
}
