package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// nodetool runs a simulated node's bin/nodetool (this test binary, through
// simtest.Main) and returns stdout, stderr and the exit status.
func nodetool(t *testing.T, n *sim.Node, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(n.NodetoolPath(), args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// capture is the output of one command in a capture file.
func capture(t *testing.T, file, cmd string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/cassandra-4.1.6/" + file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "$ nodetool "+cmd+"\n")
	if !ok {
		t.Fatalf("no %q in %s", cmd, file)
	}
	out, _, _ := strings.Cut(rest, "[exit")
	return out
}

// shape replaces what differs between two nodes (addresses, ids, figures)
// so that outputs can be compared line by line.
var shapeRes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "UUID"},
	{regexp.MustCompile(`\d+\.\d+\.\d+\.\d+`), "IP"},
	{regexp.MustCompile(`\b(bytes|KiB|MiB|GiB|TiB)\b`), "UNIT"},
	{regexp.MustCompile(`NaN|-?\d+(\.\d+)?`), "N"},
}

func shape(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, r := range shapeRes {
			l = r.re.ReplaceAllString(l, r.with)
		}
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}

// TestNodetoolAsCaptured: the simulator's nodetool prints what 4.1.6's
// prints, line for line (figures aside), and ringside's parsers read it.
func TestNodetoolAsCaptured(t *testing.T) {
	c := simtest.Start(t, "dc1:2x1,dc2:1x1", true, nil)
	n := c.Nodes()[0]
	for _, cmd := range []string{"statusbinary", "statusgossip", "version", "getcompactionthroughput", "info", "netstats"} {
		out, errOut, code := nodetool(t, n, cmd)
		if code != 0 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, errOut)
		}
		if got, want := shape(out), shape(capture(t, "nodetool.txt", cmd)); got != want {
			t.Errorf("nodetool %s: shape\n%q\nwant\n%q", cmd, got, want)
		}
	}
	// status: same lines; the capture's keyspaces replicate unlike each
	// other ("Note: …", no effective ownership), the simulator's have
	// none of their own (system_traces' effective ownership).
	out, _, code := nodetool(t, n, "status")
	want := capture(t, "nodetool.txt", "status")
	want = strings.ReplaceAll(want, "Owns ", "Owns (effective) ")
	want = strings.ReplaceAll(want, "  ?  ", "  N%  ")
	want = strings.Replace(want, "\nNote: Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless\n", "\n", 1)
	if code != 0 || shape(out) != shape(want) {
		t.Errorf("nodetool status: exit %d, shape\n%q\nwant\n%q", code, shape(out), shape(want))
	}
	rows, err := node.ParseStatus(out)
	if err != nil || len(rows) != 3 || rows[0].Datacenter != "dc1" || rows[2].Datacenter != "dc2" || !rows[0].OwnsEffective {
		t.Errorf("ParseStatus: %+v, %v", rows, err)
	}
	if out, errOut, code := nodetool(t, n, "status", "nosuchks"); code != 1 || errOut != "" || out != "\nError: The keyspace nosuchks, does not exist\n" {
		t.Errorf("status nosuchks: exit %d %q", code, out)
	}
	out, _, _ = nodetool(t, n, "info")
	if in, err := node.ParseInfo(out); err != nil || in.ID != n.HostID.String() || !in.GossipActive || in.DataCenter != "dc1" {
		t.Errorf("ParseInfo: %+v %v", in, err)
	}
	out, _, _ = nodetool(t, n, "netstats")
	if m, err := node.ParseNetstatsMode(out); err != nil || m != "NORMAL" {
		t.Errorf("netstats: %q %v", m, err)
	}
}

// TestNodetoolErrors: exit statuses and messages as NodeTool gives them.
func TestNodetoolErrors(t *testing.T) {
	c := simtest.Start(t, "dc1:2x1", true, nil)
	n := c.Nodes()[0]
	for _, tc := range []struct {
		args []string
		code int
		want string // the capture's output for the same command, if any
		msg  string
	}{
		{[]string{"setcompactionthroughput", "abc"}, 1, capture(t, "nodetool.txt", "setcompactionthroughput abc"), ""},
		{[]string{"cleanup", "nosuchks"}, 1, capture(t, "nodetool.txt", "cleanup nosuchks"), ""},
		{[]string{"flush", "nosuchks"}, 1, capture(t, "nodetool.txt", "flush nosuchks"), ""},
		{[]string{"setcompactionthroughput", "2147483647"}, 1, "", "compaction_throughput: 2147483647 is too large; it should be less than 2147483647 in MiB/s"},
		{[]string{"setconcurrentcompactors", "0"}, 1, "", "concurrent_compactors should be great than 0."},
		{[]string{"settimeout", "read", "-5"}, 1, "", "timeout must be non-negative"},
		{[]string{"settimeout", "bogus", "5"}, 1, "", "Timeout type requires one of (read, range"},
		{[]string{"setstreamthroughput", "-e", "-m", "5"}, 1, "", "You cannot use -e and -m at the same time"},
		{[]string{"flush", "system", "nosuchtable"}, 2, "", "error: Unknown keyspace/cf pair (system.nosuchtable)"},
	} {
		out, errOut, code := nodetool(t, n, tc.args...)
		if code != tc.code || (tc.want != "" && out+errOut != tc.want) || !strings.Contains(out+errOut, tc.msg) {
			t.Errorf("nodetool %v: exit %d\n%s%s", tc.args, code, out, errOut)
		}
		if err := node.ParseNodetoolError(tc.args, code, errOut+out); err == nil {
			t.Errorf("nodetool %v: ParseNodetoolError accepts it", tc.args)
		}
	}

	// A stopped node: NodeTool.connect's message, exit 1.
	n.Kill()
	_, errOut, code := nodetool(t, n, "status")
	want := fmt.Sprintf("nodetool: Failed to connect to '%s:%d' - ConnectException: 'Connection refused (Connection refused)'.\n", n.Addr, c.Config().JolokiaPort)
	if code != 1 || errOut != want {
		t.Errorf("stopped node: exit %d %q", code, errOut)
	}
	err := node.ParseNodetoolError([]string{"status"}, code, errOut)
	if ne, ok := err.(*node.NodetoolError); !ok || !ne.ConnectFailed() {
		t.Errorf("ParseNodetoolError: %v", err)
	}
}

// TestNodetoolSettersAndRuns: the setters change what JMX and
// system_views.settings report, and every run is counted.
func TestNodetoolSettersAndRuns(t *testing.T) {
	c := simtest.Start(t, "dc1:1x1", true, nil)
	n := c.Nodes()[0]
	for _, args := range [][]string{
		{"setcompactionthroughput", "12"}, {"setstreamthroughput", "400"}, {"setinterdcstreamthroughput", "-m", "7"},
		{"setstreamthroughput", "-e", "9"}, {"setconcurrentcompactors", "3"}, {"sethintedhandoffthrottlekb", "2048"},
		{"setbatchlogreplaythrottle", "512"}, {"setmaxhintwindow", "7200000"}, {"settimeout", "read", "7000"},
		{"disablehandoff"}, {"enablebackup"}, {"disableoldprotocolversions"},
	} {
		if out, errOut, code := nodetool(t, n, args...); code != 0 || out != "" || errOut != "" {
			t.Fatalf("nodetool %v: exit %d %q %q", args, code, out, errOut)
		}
	}
	j := &node.Jolokia{URL: fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort)}
	for attr, want := range map[string]string{"CompactionThroughputMbPerSec": "12", "StreamThroughputMbitPerSec": "400",
		"InterDCStreamThroughputMebibytesPerSec": "7", "ConcurrentCompactors": "3", "BatchlogReplayThrottleInKB": "512",
		"ReadRpcTimeout": "7000", "IncrementalBackupsEnabled": "true"} {
		if v, err := j.ReadAttr(context.Background(), node.StorageServiceMBean, attr); err != nil || fmt.Sprint(v) != want {
			t.Errorf("%s: %v %v, want %s", attr, v, err, want)
		}
	}
	if v, err := j.ReadAttr(context.Background(), "org.apache.cassandra.db:type=StorageProxy", "HintedHandoffEnabled"); err != nil || v != false {
		t.Errorf("HintedHandoffEnabled %v %v", v, err)
	}
	// Write-only through JMX (Jolokia cannot read them): system_views.settings shows them.
	a := node.New(node.Config{CQLAddress: fmt.Sprintf("%s:%d", n.Addr, c.Config().NativePort), JolokiaURL: j.URL}, nil)
	defer a.Close()
	s, err := a.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"hinted_handoff_throttle": "2048KiB", "entire_sstable_stream_throughput_outbound": "9MiB/s",
		"max_hint_window": "7200000ms", "native_transport_allow_older_protocols": "false"} {
		if s[k] != want {
			t.Errorf("%s = %q, want %q", k, s[k], want)
		}
	}
	var st sim.NodeStatus
	if err := (&sim.Control{Addr: c.Config().ControlAddr}).Do("GET", "/v1/nodes/"+n.Addr.String(), nil, &st); err != nil || st.NodetoolRuns != 12 {
		t.Errorf("control API: nodetool_runs %d, %v", st.NodetoolRuns, err)
	}
	// drain: the node ends DRAINED; the next run sees it.
	if _, _, code := nodetool(t, n, "drain"); code != 0 || n.Status().OperationMode != "DRAINED" {
		t.Fatalf("drain: exit %d, mode %s", code, n.Status().OperationMode)
	}
	out, _, _ := nodetool(t, n, "info")
	if in, err := node.ParseInfo(out); err != nil || in.GossipActive || in.NativeTransportActive || in.GenerationNo != 0 {
		t.Errorf("info after drain: %+v %v", in, err)
	}
	if got := n.Status().NodetoolRuns; got != 14 {
		t.Errorf("nodetool_runs %d, want 14", got)
	}
}
