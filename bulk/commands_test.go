package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ringside/ringside/node"
)

// fakeJMX records calls and answers from a table keyed by call.
type fakeJMX struct {
	calls   []string
	answers map[string]any
	errs    map[string]error
}

func (f *fakeJMX) call(s string) (any, error) {
	f.calls = append(f.calls, s)
	return f.answers[s], f.errs[s]
}

func (f *fakeJMX) ReadAttr(_ context.Context, mbean, attr string) (any, error) {
	return f.call(fmt.Sprintf("read %s %s", mbean, attr))
}

func (f *fakeJMX) Write(_ context.Context, mbean, attr string, v any) (any, error) {
	return f.call(fmt.Sprintf("write %s %s %v", mbean, attr, v))
}

func (f *fakeJMX) Exec(_ context.Context, mbean, op string, args ...any) (any, error) {
	b, _ := json.Marshal(args)
	return f.call(fmt.Sprintf("exec %s %s %s", mbean, op, b))
}

type fakeNode struct{ j JMX }

func (n fakeNode) JMX() JMX                 { return n.j }
func (n fakeNode) Nodetool() *node.Nodetool { return nil }
func (n fakeNode) Settings(context.Context) (map[string]string, error) {
	return nil, fmt.Errorf("no settings")
}

const ss = "org.apache.cassandra.db:type=StorageService"

// TestJMXCalls pins the exact StorageService attributes and operations
// each command uses (names and signatures as a 4.1.6 node lists them,
// testdata/cassandra-4.1.6/jolokia/list_storageservice.json).
func TestJMXCalls(t *testing.T) {
	for _, c := range []struct {
		cmd, body string
		answers   map[string]any
		errs      map[string]error
		calls     []string
		value     string
		err       string
	}{
		{cmd: "setcompactionthroughput", body: `{"rate_in_mb": 12}`,
			answers: map[string]any{"write " + ss + " CompactionThroughputMbPerSec 12": json.Number("64")},
			calls:   []string{"write " + ss + " CompactionThroughputMbPerSec 12"},
			value:   `{"rate_in_mb":12,"previous_rate_in_mb":64}`},
		{cmd: "getcompactionthroughput",
			answers: map[string]any{"read " + ss + " CompactionThroughputMbPerSec": json.Number("0")},
			calls:   []string{"read " + ss + " CompactionThroughputMbPerSec"},
			value:   `{"rate_in_mb":0,"output":"Current compaction throughput: 0 MB/s"}`},
		{cmd: "flush",
			answers: map[string]any{"read " + ss + " Keyspaces": []any{"system", "ks"}},
			calls: []string{"read " + ss + " Keyspaces",
				"exec " + ss + ` forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;) ["system",[]]`,
				"exec " + ss + ` forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;) ["ks",[]]`},
			value: `{"keyspaces":["system","ks"]}`},
		{cmd: "flush", body: `{"keyspace": "ks", "tables": ["a", "b"]}`,
			calls: []string{"exec " + ss + ` forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;) ["ks",["a","b"]]`},
			value: `{"keyspaces":["ks"]}`},
		{cmd: "flush",
			answers: map[string]any{"read " + ss + " Keyspaces": []any{"a", "b", "c"}},
			errs:    map[string]error{"exec " + ss + ` forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;) ["b",[]]`: fmt.Errorf("boom")},
			calls: []string{"read " + ss + " Keyspaces",
				"exec " + ss + ` forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;) ["a",[]]`,
				"exec " + ss + ` forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;) ["b",[]]`},
			err: "flushing keyspace b (done before: a): boom"},
		{cmd: "cleanup",
			answers: map[string]any{
				"read " + ss + " NonLocalStrategyKeyspaces":                                                           []any{"system_auth", "system", "ks", "ks2"},
				"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [2,"system_auth",[]]`: json.Number("0"),
				"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [2,"ks",[]]`:          json.Number("1"),
				"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [2,"ks2",[]]`:         json.Number("0"),
			},
			calls: []string{"read " + ss + " NonLocalStrategyKeyspaces",
				"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [2,"system_auth",[]]`,
				"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [2,"ks",[]]`,
				"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [2,"ks2",[]]`},
			err: "Aborted cleaning up at least one table in keyspace ks, check server logs for more information. (done before: system_auth, ks2)"},
		{cmd: "cleanup", body: `{"keyspace": "ks", "tables": ["t"], "jobs": 0}`,
			answers: map[string]any{"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [0,"ks",["t"]]`: json.Number("2")},
			calls:   []string{"exec " + ss + ` forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;) [0,"ks",["t"]]`},
			err:     "Failed marking some sstables compacting in keyspace ks, check server logs for more information"},
		{cmd: "drain", calls: []string{"exec " + ss + " drain null"}, value: `null`},
		{cmd: "statusgossip",
			answers: map[string]any{"read " + ss + " GossipRunning": false},
			calls:   []string{"read " + ss + " GossipRunning"}, value: `"not running"`},
		{cmd: "statusbinary",
			answers: map[string]any{"read " + ss + " NativeTransportRunning": true},
			calls:   []string{"read " + ss + " NativeTransportRunning"}, value: `"running"`},
		{cmd: "version",
			answers: map[string]any{"read " + ss + " ReleaseVersion": "4.1.6"},
			calls:   []string{"read " + ss + " ReleaseVersion"}, value: `"4.1.6"`},
		{cmd: "version", calls: []string{"read " + ss + " ReleaseVersion"}, err: "<nil> is not a string"},
	} {
		f := &fakeJMX{answers: c.answers, errs: c.errs}
		cmd, _ := Default().Lookup(c.cmd)
		p, err := cmd.Decode([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		v, err := cmd.Run(context.Background(), fakeNode{f}, p)
		name := c.cmd + " " + c.body
		if strings.Join(f.calls, "\n") != strings.Join(c.calls, "\n") {
			t.Errorf("%s: calls\n%s\nwant\n%s", name, strings.Join(f.calls, "\n"), strings.Join(c.calls, "\n"))
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", name, err, c.err)
			}
			continue
		}
		b, _ := json.Marshal(v)
		if err != nil || string(b) != c.value {
			t.Errorf("%s: %s %v, want %s", name, b, err, c.value)
		}
	}
}

// TestNoJMXNoNodetool: a node reachable neither way says so.
func TestNoJMXNoNodetool(t *testing.T) {
	for _, c := range Default().Commands() {
		if c.Name == "getsetting" || c.Name == "setsetting" {
			continue
		}
		_, err := c.Run(context.Background(), fakeNode{}, Params{"rate_in_mb": int64(1), "jobs": int64(2)})
		if err != errNoJMX {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}
