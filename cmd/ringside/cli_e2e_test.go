package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// TestCLIAgainstSecureDemo runs `ringside settings` and `ringside bulk`
// against a real secure demo: six sidecars with TLS from a cluster CA,
// mutual TLS between them and JWT roles.
func TestCLIAgainstSecureDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 6-node demo")
	}
	scfg, err := sim.TestConfig("dc1:3x1,dc2:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Secure: true, Sim: &scfg, Refresh: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	sec := d.Security
	u := d.Sidecars[0].URL
	if !strings.HasPrefix(u, "https://") {
		t.Fatalf("secure demo URL %s", u)
	}
	operate := filepath.Join(t.TempDir(), "operate.jwt")
	if err := os.WriteFile(operate, []byte(sec.Tokens["operate"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conn := []string{"--url", u, "--cacert", sec.CAFile}

	run := func(f func([]string, io.Writer, io.Writer) error, args ...string) (string, string, int, error) {
		t.Helper()
		var o, e bytes.Buffer
		err := f(args, &o, &e)
		shown := strings.Join(args, " ")
		for _, tok := range sec.Tokens {
			shown = strings.ReplaceAll(shown, tok, "…")
		}
		t.Logf("ringside %s\n%s%s=> exit %d (%v)", shown, o.String(), e.String(), exitCodeOf(err), err)
		return o.String(), e.String(), exitCodeOf(err), err
	}
	settingsCLI := func(args ...string) (string, string, int, error) {
		return run(runSettings, append(args, conn...)...)
	}

	// Wait for every sidecar to know the whole cluster: a fan-out read
	// answered by all six nodes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, code, err := settingsCLI("get", "compaction_throughput", "--scope", "cluster", "--json", "--token", sec.Tokens["read"])
		var v struct {
			Nodes []json.RawMessage `json:"nodes"`
		}
		if code == 0 && json.Unmarshal([]byte(out), &v) == nil && len(v.Nodes) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster never answered in full: exit %d (%v)\n%s\n%s", code, err, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// set with an operate token (from a file), on the whole cluster.
	out, errOut, code, err := settingsCLI("set", "compaction_throughput_mb_per_sec=31", "--scope", "cluster", "--token-file", operate)
	if code != 0 {
		t.Fatalf("settings set: exit %d (%v)\n%s\n%s", code, err, out, errOut)
	}
	if n := strings.Count(out, "  31\n"); n != 6 || !strings.HasPrefix(out, "NODE") {
		t.Errorf("settings set: %d nodes show 31, want 6:\n%s", n, out)
	}

	// get by the 4.1 name, with a read token.
	out, errOut, code, err = settingsCLI("get", "compaction_throughput", "--scope", "cluster", "--token", sec.Tokens["read"])
	if code != 0 {
		t.Fatalf("settings get: exit %d (%v)\n%s\n%s", code, err, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], "compaction_throughput") {
		t.Errorf("settings get: want a header and 6 nodes:\n%s", out)
	}
	for _, l := range lines[1:] {
		if !strings.HasSuffix(l, "31MiB/s") || !strings.Contains(l, "dc") {
			t.Errorf("settings get: row %q, want 31MiB/s", l)
		}
	}

	// A bulk command on one DC, followed as a job.
	out, errOut, code, err = run(runBulk, append([]string{"setcompactionthroughput", "rate_in_mb=9", "--dc", "dc1", "--token-file", operate, "--poll", "50ms"}, conn...)...)
	if code != 0 {
		t.Fatalf("bulk: exit %d (%v)\n%s\n%s", code, err, out, errOut)
	}
	if strings.Count(out, " ok ") != 3 || strings.Contains(out, "dc2") || !strings.Contains(out, "command setcompactionthroughput: 3 succeeded, 0 failed") ||
		!strings.Contains(out, "rate_in_mb=9 previous_rate_in_mb=31") {
		t.Errorf("bulk output:\n%s", out)
	}
	if !strings.Contains(errOut, "[3/3] ") {
		t.Errorf("bulk progress (not a terminal): %q", errOut)
	}
	out, _, code, err = settingsCLI("get", "compaction_throughput_mb_per_sec", "--dc", "dc1,dc2", "--token", sec.Tokens["read"])
	if code != 0 || strings.Count(out, "  9\n") != 3 || strings.Count(out, "  31\n") != 3 {
		t.Errorf("after bulk: exit %d (%v)\n%s", code, err, out)
	}

	// A read token may not change anything.
	_, _, code, err = settingsCLI("set", "compaction_throughput_mb_per_sec=5", "--scope", "cluster", "--token", sec.Tokens["read"])
	if code != 1 || !strings.Contains(err.Error(), "role read may not PUT /v1/settings (needs operate)") || !strings.Contains(err.Error(), "token with role operate") {
		t.Errorf("set with a read token: exit %d (%v)", code, err)
	}
	// No token; no CA.
	_, _, code, err = run(runSettings, "get", "compaction_throughput", "--url", u, "--cacert", sec.CAFile)
	if code != 1 || !strings.Contains(err.Error(), "--token-file") {
		t.Errorf("no token: exit %d (%v)", code, err)
	}
	_, _, code, err = run(runBulk, "list", "--url", u, "--token", sec.Tokens["read"])
	if code != 1 || !strings.Contains(err.Error(), "--cacert") || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("no CA: exit %d (%v)", code, err)
	}
}
