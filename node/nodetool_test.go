package node

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	captureDir      = "../testdata/cassandra-4.1.6/"
	nodetoolCapture = captureDir + "nodetool.txt"
	nodeDownCapture = captureDir + "node-down.txt"
	fakeNodetool    = "testdata/fake-nodetool.sh"
)

// captureBlock is one "$ nodetool …" block of a capture file.
type captureBlock struct {
	args   []string // after "nodetool"
	output string
	exit   int
}

func (b captureBlock) cmd() string { return strings.Join(b.args, " ") }

// readBlocks splits a capture into its "$ nodetool …" blocks, each ending
// at "[exit N]" or at the next "$ ", "== " or "cql> " line.
func readBlocks(t testing.TB, path string) []captureBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []captureBlock
	var cur *captureBlock
	var out []string
	end := func() {
		if cur != nil {
			cur.output = strings.Join(out, "\n")
			blocks = append(blocks, *cur)
		}
		cur, out = nil, nil
	}
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "$ nodetool"):
			end()
			cur = &captureBlock{args: strings.Fields(l)[2:]}
		case cur != nil && strings.HasPrefix(l, "[exit ") && strings.HasSuffix(l, "]"):
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(l, "[exit "), "]"))
			if err != nil {
				t.Fatalf("%s: %q", path, l)
			}
			cur.exit = n
			end()
		case strings.HasPrefix(l, "$ ") || strings.HasPrefix(l, "== ") || strings.HasPrefix(l, "cql> "):
			end()
		case cur != nil:
			out = append(out, l)
		}
	}
	end()
	return blocks
}

// checkOutput verifies what a block's command printed (exit 0).
type checkOutput func(t *testing.T, out string)

// captureChecks covers every command of nodetool.txt: its parser and
// what the parsed values must be (facts from the capture's cluster).
var captureChecks = map[string]checkOutput{
	"status": func(t *testing.T, out string) {
		rows, err := ParseStatus(out)
		if err != nil {
			t.Fatal(err)
		}
		want := []StatusRow{
			{Datacenter: "dc1", Status: "U", State: "N", Address: "127.0.0.2", Load: "280.24 KiB", Tokens: 16, Owns: "?", HostID: "337bbe0e-fa33-488e-8f8b-2e058c760a04", Rack: "rack2"},
			{Datacenter: "dc1", Status: "U", State: "N", Address: "127.0.0.1", Load: "297.98 KiB", Tokens: 16, Owns: "?", HostID: "5704d1d8-4c54-45d0-8157-6a43affaf477", Rack: "rack1"},
			{Datacenter: "dc2", Status: "U", State: "N", Address: "127.0.0.3", Load: "349.06 KiB", Tokens: 16, Owns: "?", HostID: "7e7762be-827e-4e40-9d07-bb12b6b929a8", Rack: "rack1"},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("rows:\n got %+v\nwant %+v", rows, want)
		}
	},
	"status smoke": func(t *testing.T, out string) {
		rows, err := ParseStatus(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d rows", len(rows))
		}
		owns := []string{rows[0].Owns, rows[1].Owns, rows[2].Owns}
		if !reflect.DeepEqual(owns, []string{"51.2%", "48.8%", "0.0%"}) || !rows[0].OwnsEffective || !rows[2].OwnsEffective {
			t.Errorf("effective ownership: %+v", rows)
		}
		if rows[2].Load != "277.91 KiB" || rows[2].Datacenter != "dc2" || rows[2].Rack != "rack1" {
			t.Errorf("row 3: %+v", rows[2])
		}
	},
	"info": func(t *testing.T, out string) {
		in, err := ParseInfo(out)
		if err != nil {
			t.Fatal(err)
		}
		if in.ID != "5704d1d8-4c54-45d0-8157-6a43affaf477" || !in.GossipActive || !in.NativeTransportActive ||
			in.Load != "297.98 KiB" || in.GenerationNo != 1795432008 || in.UptimeSeconds != 118 ||
			in.DataCenter != "dc1" || in.Rack != "rack1" || in.Exceptions != 0 || len(in.Tokens) != 0 {
			t.Errorf("info: %+v", in)
		}
		if in.Fields["Heap Memory (MB)"] != "633.28 / 1024.00" || in.Fields["Percent Repaired"] != "100.0%" ||
			in.Fields["Network Cache"] != "size 8 MiB, overflow size: 0 bytes, capacity 64 MiB" {
			t.Errorf("fields: %q", in.Fields)
		}
	},
	"describecluster": func(t *testing.T, out string) {
		d, err := ParseDescribeCluster(out)
		if err != nil {
			t.Fatal(err)
		}
		want := &ClusterDescription{
			Name: "realcass", Snitch: "org.apache.cassandra.locator.GossipingPropertyFileSnitch",
			DynamicEndpointSnitch: "enabled", Partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
			SchemaVersions: map[string][]string{"401a6ee9-ef22-3528-98f5-7678806c77d3": {"127.0.0.1", "127.0.0.2", "127.0.0.3"}},
			Live:           3,
			DataCenters:    map[string]DCCount{"dc1": {Nodes: 2}, "dc2": {Nodes: 1}},
			DatabaseVersions: map[string][]string{
				"4.1.6": {"127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"},
			},
			Keyspaces: map[string]KeyspaceReplication{
				"system_auth":        {Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "1"}},
				"smoke":              {Class: "NetworkTopologyStrategy", Options: map[string]string{"dc1": "1"}},
				"system_distributed": {Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "3"}},
				"system_traces":      {Class: "SimpleStrategy", Options: map[string]string{"replication_factor": "2"}},
				"ks3":                {Class: "NetworkTopologyStrategy", Options: map[string]string{"dc2": "1", "dc1": "2"}},
				"system_schema":      {Class: "LocalStrategy", Options: map[string]string{}},
				"system":             {Class: "LocalStrategy", Options: map[string]string{}},
			},
			Notes: []string{"Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless"},
		}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("describecluster:\n got %+v\nwant %+v", d, want)
		}
	},
	"statusgossip": func(t *testing.T, out string) {
		if v, err := ParseStatusGossip(out); err != nil || !v {
			t.Errorf("statusgossip = %v, %v", v, err)
		}
	},
	"statusbinary": func(t *testing.T, out string) {
		if v, err := ParseStatusBinary(out); err != nil || !v {
			t.Errorf("statusbinary = %v, %v", v, err)
		}
	},
	"getcompactionthroughput": func(t *testing.T, out string) {
		if v, err := ParseGetCompactionThroughput(out); err != nil || v != 64 {
			t.Errorf("getcompactionthroughput = %v, %v", v, err)
		}
	},
	"version": func(t *testing.T, out string) {
		if v, err := ParseVersion(out); err != nil || v != "4.1.6" {
			t.Errorf("version = %q, %v", v, err)
		}
	},
	"gossipinfo": func(t *testing.T, out string) {
		eps, err := ParseGossipInfo(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(eps) != 3 || eps[0].Header != "localhost/127.0.0.1" || eps[0].Address != "127.0.0.1" ||
			eps[0].Generation != 1795432008 || eps[0].Heartbeat != 123 ||
			eps[0].States["STATUS_WITH_PORT"] != "NORMAL,-1276551622235670265" ||
			eps[0].States["INTERNAL_ADDRESS_AND_PORT"] != "127.0.0.1:7000" || eps[0].States["TOKENS"] != "<hidden>" ||
			eps[2].Address != "127.0.0.3" || eps[2].States["DC"] != "dc2" || eps[1].States["RPC_READY"] != "true" {
			t.Errorf("gossipinfo: %+v", eps)
		}
	},
	"tpstats": func(t *testing.T, out string) {
		tp, err := ParseTpstats(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(tp.Pools) != 18 || tp.Pools[0] != (ThreadPool{Name: "RequestResponseStage", Completed: 1}) ||
			tp.Pools[17].Name != "Native-Transport-Requests" || tp.Pools[17].Completed != 208 {
			t.Errorf("pools: %+v", tp.Pools)
		}
		var ping *DroppedMessages
		for i := range tp.Dropped {
			if tp.Dropped[i].Type == "PING_REQ" {
				ping = &tp.Dropped[i]
			}
		}
		if len(tp.Dropped) < 70 || ping == nil || ping.P50 != 14237 || ping.Max != 14237 || ping.Dropped != 0 {
			t.Errorf("dropped: %d types, PING_REQ %+v", len(tp.Dropped), ping)
		}
	},
	"compactionstats": func(t *testing.T, out string) {
		if v, err := ParseCompactionStats(out); err != nil || v != 0 {
			t.Errorf("compactionstats = %v, %v", v, err)
		}
	},
	"getmaxhintwindow": func(t *testing.T, out string) {
		if v, err := ParseGetMaxHintWindow(out); err != nil || v != 10800000 {
			t.Errorf("getmaxhintwindow = %v, %v", v, err)
		}
	},
	"statushandoff": func(t *testing.T, out string) {
		if v, err := ParseStatusHandoff(out); err != nil || !v {
			t.Errorf("statushandoff = %v, %v", v, err)
		}
	},
	"netstats": func(t *testing.T, out string) {
		if v, err := ParseNetstatsMode(out); err != nil || v != "NORMAL" {
			t.Errorf("netstats mode = %q, %v", v, err)
		}
	},
	"getconcurrentcompactors": func(t *testing.T, out string) {
		if v, err := ParseGetConcurrentCompactors(out); err != nil || v != 2 {
			t.Errorf("getconcurrentcompactors = %v, %v", v, err)
		}
	},
	// ring and describering list every token range; the adapter takes the
	// ring from system tables instead. Only their success is checked, and
	// that the status parser does not mistake ring output for its own.
	"ring": func(t *testing.T, out string) {
		if !strings.Contains(out, `Warning: "nodetool ring" is used to output all the tokens of a node.`) {
			t.Error("ring output changed")
		}
		if rows, err := ParseStatus(out); err == nil && len(rows) > 0 {
			t.Errorf("ring parsed as status: %d rows", len(rows))
		}
	},
	"describering smoke": func(t *testing.T, out string) {
		if !strings.HasPrefix(out, "Schema Version:401a6ee9-ef22-3528-98f5-7678806c77d3") {
			t.Error("describering output changed")
		}
	},
	// Setters print nothing on success.
	"setcompactionthroughput 64": func(t *testing.T, out string) {
		if strings.TrimSpace(out) != "" {
			t.Errorf("output %q", out)
		}
	},
}

// captureErrors: the failing commands of the capture and the message each
// must produce.
var captureErrors = map[string]struct {
	exit int
	msg  string
}{
	"getstreamthroughput":         {2, "Use the -d flag to quiet this error and get the exact throughput in megabits/s"},
	"setcompactionthroughput abc": {1, `compaction_throughput: can not convert "abc" to a Integer`},
	"cleanup nosuchks":            {1, "Keyspace [nosuchks] does not exist."},
	"flush nosuchks":              {1, "Keyspace [nosuchks] does not exist."},
}

func checkError(t *testing.T, cmd string, err error) {
	t.Helper()
	want := captureErrors[cmd]
	var ne *NodetoolError
	if !errors.As(err, &ne) {
		t.Fatalf("error %v (%T), want *NodetoolError", err, err)
	}
	if ne.ExitCode != want.exit || ne.Message != want.msg || ne.ConnectFailed() {
		t.Errorf("got exit %d message %q, want exit %d message %q", ne.ExitCode, ne.Message, want.exit, want.msg)
	}
	if !strings.Contains(ne.Error(), "nodetool "+cmd+": exit ") || !strings.Contains(ne.Error(), want.msg) {
		t.Errorf("Error() = %q", ne.Error())
	}
}

// TestNodetoolCapture: every block of the capture has a parser check or
// an expected error, on the captured text itself.
func TestNodetoolCapture(t *testing.T) {
	blocks := readBlocks(t, nodetoolCapture)
	if len(blocks) != 24 {
		t.Fatalf("%d blocks in %s, want 24", len(blocks), nodetoolCapture)
	}
	for _, b := range blocks {
		t.Run(b.cmd(), func(t *testing.T) {
			err := ParseNodetoolError(b.args, b.exit, b.output)
			if _, bad := captureErrors[b.cmd()]; bad {
				checkError(t, b.cmd(), err)
				return
			}
			if err != nil {
				t.Fatalf("exit %d: %v", b.exit, err)
			}
			check, ok := captureChecks[b.cmd()]
			if !ok {
				t.Fatalf("no check for captured command %q", b.cmd())
			}
			check(t, b.output)
		})
	}
}

// TestNodetoolRunCapture runs every captured command through Nodetool.Run
// against a fake nodetool replaying the capture: exit statuses, stdout and
// stderr handling end to end.
func TestNodetoolRunCapture(t *testing.T) {
	t.Setenv("FAKE_NODETOOL_CAPTURE", nodetoolCapture)
	nt := &Nodetool{Path: "sh", Args: []string{fakeNodetool, "-h", "127.0.0.1", "-p", "7199"}, Timeout: 10 * time.Second}
	seen := map[string]bool{}
	for _, b := range readBlocks(t, nodetoolCapture) {
		if seen[b.cmd()] { // repeated commands replay the first block
			continue
		}
		seen[b.cmd()] = true
		t.Run(b.cmd(), func(t *testing.T) {
			out, err := nt.Run(context.Background(), b.args...)
			if _, bad := captureErrors[b.cmd()]; bad {
				checkError(t, b.cmd(), err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			captureChecks[b.cmd()](t, out)
		})
	}
}

func TestParseStatusNodeDown(t *testing.T) {
	blocks := readBlocks(t, nodeDownCapture)
	if len(blocks) != 1 || blocks[0].cmd() != "status" {
		t.Fatalf("blocks %+v", blocks)
	}
	rows, err := ParseStatus(blocks[0].output)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !rows[0].Up() || !rows[1].Up() || rows[2].Up() || rows[2].Status != "D" || rows[2].State != "N" ||
		rows[2].Address != "127.0.0.3" || rows[2].Load != "255.69 KiB" || rows[1].Load != "250.07 KiB" {
		t.Errorf("rows %+v", rows)
	}
	live, unreachable := statusEndpoints(rows, 7000)
	if !reflect.DeepEqual(live, []string{"127.0.0.2:7000", "127.0.0.1:7000"}) || !reflect.DeepEqual(unreachable, []string{"127.0.0.3:7000"}) {
		t.Errorf("live %v unreachable %v", live, unreachable)
	}
}

// TestParseStatusVariants: formats of Status.java the capture does not
// show — an unknown load, -pp addresses, a node in neither live nor
// unreachable, joining/leaving states, the token-per-node header.
func TestParseStatusVariants(t *testing.T) {
	out := `Datacenter: dc1
===============
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address         Load        Tokens  Owns  Host ID                               Rack
UJ  127.0.0.4:7000  ?           16      ?     f2c1a4c8-8a8e-4a55-9a89-8f1b7d64b1c9  rack 1
?L  127.0.0.5:7001  1.02 MiB    16      ?     a1f1a4c8-8a8e-4a55-9a89-8f1b7d64b1c9  rack2

Datacenter: dc2
===============
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load       Owns  Host ID                               Token                 Rack
DM  10.0.0.1   0 bytes    ?     b1f1a4c8-8a8e-4a55-9a89-8f1b7d64b1c9  -9223372036854775808  r1
`
	rows, err := ParseStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []StatusRow{
		{Datacenter: "dc1", Status: "U", State: "J", Address: "127.0.0.4:7000", Load: "?", Tokens: 16, Owns: "?", HostID: "f2c1a4c8-8a8e-4a55-9a89-8f1b7d64b1c9", Rack: "rack 1"},
		{Datacenter: "dc1", Status: "?", State: "L", Address: "127.0.0.5:7001", Load: "1.02 MiB", Tokens: 16, Owns: "?", HostID: "a1f1a4c8-8a8e-4a55-9a89-8f1b7d64b1c9", Rack: "rack2"},
		{Datacenter: "dc2", Status: "D", State: "M", Address: "10.0.0.1", Load: "0 bytes", Owns: "?", HostID: "b1f1a4c8-8a8e-4a55-9a89-8f1b7d64b1c9", Token: "-9223372036854775808", Rack: "r1"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", rows, want)
	}
	live, unreachable := statusEndpoints(rows, 7000)
	if !reflect.DeepEqual(live, []string{"127.0.0.4:7000"}) || !reflect.DeepEqual(unreachable, []string{"10.0.0.1:7000"}) {
		t.Errorf("live %v unreachable %v", live, unreachable)
	}
}

func TestParsersReject(t *testing.T) {
	bad := []string{"", "garbage\n", "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused'."}
	for _, out := range bad {
		if _, err := ParseStatus(out); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", out)
		}
		if _, err := ParseInfo(out); err == nil {
			t.Errorf("ParseInfo(%q) succeeded", out)
		}
		if _, err := ParseStatusBinary(out); err == nil {
			t.Errorf("ParseStatusBinary(%q) succeeded", out)
		}
		if _, err := ParseStatusGossip(out); err == nil {
			t.Errorf("ParseStatusGossip(%q) succeeded", out)
		}
		if _, err := ParseGetCompactionThroughput(out); err == nil {
			t.Errorf("ParseGetCompactionThroughput(%q) succeeded", out)
		}
		if _, err := ParseDescribeCluster(out); err == nil {
			t.Errorf("ParseDescribeCluster(%q) succeeded", out)
		}
		if _, err := ParseVersion(out); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", out)
		}
		if _, err := ParseNetstatsMode(out); err == nil {
			t.Errorf("ParseNetstatsMode(%q) succeeded", out)
		}
	}
	if v, err := ParseStatusBinary("not running\n"); err != nil || v {
		t.Errorf("statusbinary not running = %v, %v", v, err)
	}
	if v, err := ParseStatusGossip("not running\n"); err != nil || v {
		t.Errorf("statusgossip not running = %v, %v", v, err)
	}
	// Info of a node that is not joined, with gossip stopped (Info.java).
	in, err := ParseInfo("ID                     : 5704d1d8-4c54-45d0-8157-6a43affaf477\nGossip active          : false\n" +
		"Native Transport active: false\nLoad                   : 297.98 KiB\nGeneration No          : 0\n" +
		"Uptime (seconds)       : N/A\nToken                  : (node is not joined to the cluster)\n")
	if err != nil || in.GossipActive || in.NativeTransportActive || in.GenerationNo != 0 || in.UptimeSeconds != -1 || len(in.Tokens) != 0 {
		t.Errorf("info: %+v, %v", in, err)
	}
	// info -T lists every token.
	in, err = ParseInfo("ID : x\nGossip active : true\nNative Transport active: true\nToken : -1\nToken : 5\n")
	if err != nil || !reflect.DeepEqual(in.Tokens, []string{"-1", "5"}) {
		t.Errorf("info -T: %+v, %v", in, err)
	}
}

// TestNodetoolConnectRefused: a stopped node. Not in the capture: the
// message is NodeTool.connect's format ("nodetool: Failed to connect to
// '%s:%s' - %s: '%s'.", exit 1).
func TestNodetoolConnectRefused(t *testing.T) {
	t.Setenv("FAKE_NODETOOL_DOWN", "1")
	nt := &Nodetool{Path: "sh", Args: []string{fakeNodetool, "-h", "127.0.0.1", "-p", "7199"}}
	_, err := nt.StatusBinary(context.Background())
	var ne *NodetoolError
	if !errors.As(err, &ne) || ne.ExitCode != 1 || !ne.ConnectFailed() ||
		ne.Message != "Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused (Connection refused)'." {
		t.Fatalf("err %#v", err)
	}
}

func TestNodetoolNotFoundAndTimeout(t *testing.T) {
	nt := &Nodetool{Path: "testdata/no-such-nodetool"}
	_, err := nt.Run(context.Background(), "status")
	var ne *NodetoolError
	if !errors.As(err, &ne) || ne.ExitCode != -1 || ne.Err == nil {
		t.Fatalf("missing binary: %#v", err)
	}
	// The child sleep keeps the pipes open: only killing the process
	// group ends the run at the timeout.
	nt = &Nodetool{Path: "sh", Args: []string{"-c", "sleep 30; echo done"}, Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err = nt.Run(context.Background(), "status")
	if !errors.As(err, &ne) || ne.ExitCode != -1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %#v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("timed-out run took %v", d)
	}
}

// FuzzParsers: no parser panics on any input, and what they accept is
// well-formed. Seeds: every captured block (plus testdata/fuzz/FuzzParsers).
func FuzzParsers(f *testing.F) {
	for _, path := range []string{nodetoolCapture, nodeDownCapture} {
		for _, b := range readBlocks(f, path) {
			f.Add(b.output)
		}
	}
	f.Fuzz(func(t *testing.T, out string) {
		if rows, err := ParseStatus(out); err == nil {
			for _, r := range rows {
				if len(r.Status) != 1 || !strings.Contains("UD?", r.Status) || len(r.State) != 1 || !strings.Contains("NLJM?", r.State) || r.Address == "" {
					t.Fatalf("bad row %+v", r)
				}
			}
			statusEndpoints(rows, 7000)
		}
		if in, err := ParseInfo(out); err == nil && in.Fields == nil {
			t.Fatal("info without fields")
		}
		ParseStatusBinary(out)
		ParseStatusGossip(out)
		ParseGetCompactionThroughput(out)
		if d, err := ParseDescribeCluster(out); err == nil && (d.Keyspaces == nil || d.SchemaVersions == nil) {
			t.Fatal("describecluster without maps")
		}
		ParseVersion(out)
		ParseNetstatsMode(out)
		ParseGossipInfo(out)
		ParseTpstats(out)
		ParseCompactionStats(out)
		ParseGetMaxHintWindow(out)
		ParseStatusHandoff(out)
		ParseGetConcurrentCompactors(out)
		if err := ParseNodetoolError([]string{"x"}, 1, out); err == nil {
			t.Fatal("exit 1 without error")
		}
	})
}
