package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// The README's and CEP-1's examples say `curl localhost:5000/…` and
// address the demo's nodes as 127.0.1.x with the simulator's control API
// on 127.0.0.1:8642: these tests run them verbatim against a demo started
// exactly as `ringside demo` starts it, so they need those addresses free
// (no `ringside demo` running beside the tests). Other tests use random
// 127.X.Y.Z blocks with X ≥ 20, so they never collide with this one.

// startDocDemo starts the demo `ringside demo` starts.
func startDocDemo(t *testing.T) *demo.Demo {
	t.Helper()
	scfg := sim.DefaultConfig()
	dcs, err := sim.ParseTopology("dc1:3x1,dc2:3x1")
	if err != nil {
		t.Fatal(err)
	}
	scfg.DCs, scfg.Dir = dcs, t.TempDir()
	scfg.AddressBase, scfg.ControlAddr = "127.0.1.1", "127.0.0.1:8642"
	demo.ShortTiming(&scfg)
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Port: 5000, Localhost: true, SampleData: true})
	if err != nil {
		t.Fatalf("starting the demo the README's examples address: %v (is a `ringside demo` running? these tests need localhost:5000, 127.0.1.x and 127.0.0.1:8642)", err)
	}
	t.Cleanup(d.Close)
	return d
}

// shellWithRingside is an environment whose PATH starts with a directory
// holding `ringside`: this test binary running main (TestMain's argv
// mode), so the examples' `ringside …` lines run the code under test.
func shellWithRingside(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README's examples need curl on PATH (.ci/run installs it)")
	}
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nRINGSIDE_TEST_MAIN=argv exec %q \"$@\"\n", os.Args[0])
	if err := os.WriteFile(filepath.Join(dir, "ringside"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// runShell runs line with bash; a line that watches (`--watch`) runs
// until timeout, and counts as done when it printed something.
func runShell(t *testing.T, env []string, line string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", line)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil && strings.Contains(line, "--watch") && len(out)+stderr.Len() > 0 {
		return string(out) + stderr.String(), nil // the progress display is on stderr
	}
	if err != nil {
		err = fmt.Errorf("%w; stderr: %s", err, clipOut(stderr.String()))
	}
	return string(out), err
}

var statusLine = regexp.MustCompile(`(?m)^HTTP/[0-9.]+ ([0-9]{3})`)

func TestCEP1CurlExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the 6-node demo on its fixed addresses")
	}
	env := shellWithRingside(t)
	startDocDemo(t)
	f, err := os.ReadFile("testdata/cep1-curl.txt")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, l := range strings.Split(string(f), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		want, line, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("testdata/cep1-curl.txt: %q has no status and tab", l)
		}
		out, err := runShell(t, env, line, time.Minute)
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, clipOut(out))
		}
		got := out
		if m := statusLine.FindStringSubmatch(out); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%s: status %s, want %s\n%s", line, got, want, clipOut(out))
		}
		if strings.Contains(out, "Content-Type:") && !strings.Contains(out, "Content-Type: application/json") {
			t.Errorf("%s: not JSON\n%s", line, out)
		}
		ran++
	}
	if ran < 12 {
		t.Fatalf("ran %d CEP-1 examples, want them all", ran)
	}
}

// readmeNotRun are the README's commands this test does not run, and why;
// every other command the README shows runs in TestREADMEExamples.
var readmeNotRun = map[string]string{
	"go run ./cmd/ringside demo":          "runs until Ctrl-C; this test starts the same demo (startDocDemo), TestDemoPipedToHead runs the command",
	"go test -race ./...":                 "CI runs it (.ci/run)",
	"go build -o ringside ./cmd/ringside": "CI builds every package",
	"./ringside serve":                    "needs a Cassandra node on this host; TestServeStopsOnSIGTERM runs serve",
	"./ringside serve --config /etc/ringside/ringside.yaml --check": "needs an installed config; TestServeRejectsBadConfig runs --check, CI runs it on the installed package",
	"go run ./cmd/ringside sim --topology dc1:3x2,dc2:3x1":          "runs until Ctrl-C; the sim package's tests start the same clusters",
	"go run ./examples/failover":                                    "runs until Ctrl-C; failover's tests run the same policy against the simulator, go vet builds it",
}

// readmeCommand is one README example: the command and the output shown.
type readmeCommand struct {
	line, shown string
}

// readmeCommands are the `$ ` lines of the README's sh blocks with the
// output shown under them, and its indented command lines.
func readmeCommands(t *testing.T) []readmeCommand {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []readmeCommand
	inSh, inOther := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```sh"):
			inSh = true
		case strings.HasPrefix(l, "```") && (inSh || inOther):
			inSh, inOther = false, false
		case strings.HasPrefix(l, "```"):
			inOther = true
		case inSh && strings.HasPrefix(l, "$ "):
			cmds = append(cmds, readmeCommand{line: strings.TrimPrefix(l, "$ ")})
		case inSh && len(cmds) > 0:
			cmds[len(cmds)-1].shown += l + "\n"
		case !inOther && !inSh && inlineCurl.MatchString(l):
			for _, m := range inlineCurl.FindAllStringSubmatch(l, -1) {
				cmds = append(cmds, readmeCommand{line: m[1]})
			}
		case !inOther && strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "     "):
			c := strings.TrimSpace(l)
			if strings.HasPrefix(c, "go ") || strings.HasPrefix(c, "./ringside") || strings.HasPrefix(c, "ringside ") || strings.HasPrefix(c, "curl ") {
				cmds = append(cmds, readmeCommand{line: c})
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// inlineCurl is a curl command quoted in the README's text.
var inlineCurl = regexp.MustCompile("`(curl [^`]+)`")

var trailingComment = regexp.MustCompile(`\s+# .*$`)

var jsonKey = regexp.MustCompile(`"([A-Za-z_][A-Za-z0-9_.]*)":`)

// TestREADMEExamples runs every command the README shows, in its order,
// against the demo, and checks the answer against what the README shows:
// the HTTP status, and every JSON field it names.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the 6-node demo on its fixed addresses")
	}
	env := shellWithRingside(t)
	startDocDemo(t)
	cmds := readmeCommands(t)
	skipped := map[string]bool{}
	ran := 0
	for _, c := range cmds {
		bare := strings.TrimSpace(trailingComment.ReplaceAllString(c.line, ""))
		if _, ok := readmeNotRun[bare]; ok {
			skipped[bare] = true
			continue
		}
		line := strings.Replace(c.line, "go run ./cmd/ringside ", "ringside ", 1)
		timeout := 2 * time.Minute
		if strings.Contains(line, "--watch") {
			timeout = 5 * time.Second
		}
		out, err := runShell(t, env, line, timeout)
		t.Logf("$ %s\n%s", line, clipOut(out))
		if err != nil {
			t.Errorf("%s: %v\n%s", c.line, err, clipOut(out))
			continue
		}
		ran++
		if strings.Contains(out, `"error"`) && !strings.Contains(c.shown, `"error"`) {
			t.Errorf("%s: the README shows no error, the answer has one:\n%s", c.line, clipOut(out))
		}
		if m := statusLine.FindStringSubmatch(c.shown); m != nil {
			if g := statusLine.FindStringSubmatch(out); g == nil || g[1] != m[1] {
				t.Errorf("%s: the README shows status %s, got\n%s", c.line, m[1], out)
			}
		}
		for _, k := range jsonKey.FindAllStringSubmatch(c.shown, -1) {
			if !strings.Contains(out, `"`+k[1]+`":`) {
				t.Errorf("%s: the README shows field %q, the answer has none:\n%s", c.line, k[1], clipOut(out))
			}
		}
	}
	for line := range readmeNotRun {
		if !skipped[line] {
			t.Errorf("readmeNotRun lists %q, which the README no longer shows: drop it", line)
		}
	}
	if ran < 15 {
		t.Fatalf("ran %d README examples; the parser must have missed some", ran)
	}
}

func clipOut(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "…"
	}
	return s
}

// TestDemoPipedToHead: `ringside demo | head` then Ctrl-C stops the demo
// cleanly, removing its temporary directory, although its stdout is gone
// (a write to it would otherwise kill the process with SIGPIPE first).
func TestDemoPipedToHead(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the 6-node demo")
	}
	scfg := sim.DefaultConfig()
	dcs, _ := sim.ParseTopology("dc1:3x1,dc2:3x1")
	scfg.DCs = dcs
	base, ctl, err := sim.FreeAddressBase(scfg)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "demo", "--address-base", base, "--control", ctl, "--localhost=false", "--port", "5000")
	cmd.Env = append(os.Environ(), "RINGSIDE_TEST_MAIN=argv", "TMPDIR="+tmp)
	var stderr syncBuffer // written by the exec goroutine, read here
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Like head: read the banner, up to where it names the node state
	// directory, then go away.
	r := bufio.NewReader(out)
	dir := ""
	for dir == "" {
		l, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("reading the demo's banner: %v; stderr: %s", err, stderr.String())
		}
		if _, rest, ok := strings.Cut(l, "Node state (cassandra.yaml, data, pidfiles) is under "); ok {
			dir = strings.TrimSuffix(strings.TrimSpace(rest), ".")
		}
	}
	if !strings.HasPrefix(dir, tmp) {
		t.Fatalf("the demo keeps its nodes in %s, not under TMPDIR %s", dir, tmp)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the demo's directory: %v", err)
	}
	out.Close()
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo after Ctrl-C with its stdout closed: %v (want exit 0); stderr: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("demo did not stop within 30s of SIGINT; stderr: %s", stderr.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "ringside-demo-*")); len(left) > 0 {
		t.Errorf("the demo left %v behind", left)
	}
}
