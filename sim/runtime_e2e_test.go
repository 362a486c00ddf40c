package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ringside/ringside/sim"
)

// cepAgentSnippet is the cassandra-env.sh addition CEP-1 proposes
// (shared/seeds/001_*.txt, "6. Metrics").
const cepAgentSnippet = `
# Pull in any agents present in CASSANDRA_HOME
for agent_file in ${CASSANDRA_HOME}/agents/*.jar; do
  if [ -e "${agent_file}" ]; then
    base_file="${agent_file%.jar}"
    if [ -s "${base_file}.options" ]; then
      options=` + "`cat ${base_file}.options`" + `
      agent_file="${agent_file}=${options}"
    fi
    JVM_OPTS="$JVM_OPTS -javaagent:${agent_file}"
  fi
done

for agent_file in ${CASSANDRA_HOME}/agents/*.so; do
  if [ -e "${agent_file}" ]; then
    base_file="${agent_file%.so}"
    if [ -s "${base_file}.options" ]; then
      options=` + "`cat ${base_file}.options`" + `
      agent_file="${agent_file}=${options}"
    fi
    JVM_OPTS="$JVM_OPTS -agentpath:${agent_file}"
  fi
done
`

// jolokiaRaw posts a request and returns the raw body.
func jolokiaRaw(t *testing.T, url, body string) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyOrder lists the keys of the JSON object at path (object keys) in wire order.
func keyOrder(t *testing.T, raw []byte, path ...string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		var next map[string]json.RawMessage
		if err := json.Unmarshal(m[p], &next); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		raw, m = m[p], next
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // {
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return keys
}

type runtimeValue struct {
	StartTime, Uptime, Pid int64
	Name                   string
	InputArguments         []string
	ClassPath              string
	SystemProperties       map[string]string
}

func readRuntime(t *testing.T, c *sim.Cluster, n *sim.Node) (runtimeValue, []byte) {
	t.Helper()
	raw := jolokiaRaw(t, fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort), `{"type":"read","mbean":"java.lang:type=Runtime"}`)
	var r struct {
		Status int
		Value  runtimeValue
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Status != 200 {
		t.Fatalf("read Runtime: %v %s", err, raw)
	}
	return r.Value, raw
}

func captured(t *testing.T, file string) (runtimeValue, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "cassandra-4.1.6", "jolokia", file))
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Value runtimeValue }
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r.Value, raw
}

var jolokiaAgentArg = regexp.MustCompile(`^-javaagent:\S*/jolokia-jvm-1\.7\.2-agent\.jar=host=[0-9.]+,`)

// normalize puts <HOME> for the node's home (the real node's
// CASSANDRA_HOME and its node directory alike) and <IP> for its address.
func normalize(args []string, ip string, homes ...string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		a = jolokiaAgentArg.ReplaceAllString(a, "-javaagent:JOLOKIA=host=<IP>,")
		for _, h := range homes {
			a = strings.ReplaceAll(a, h, "<HOME>")
		}
		out[i] = strings.ReplaceAll(a, ip, "<IP>")
	}
	return out
}

func restart(t *testing.T, n *sim.Node) {
	t.Helper()
	must(t, n.Stop())
	must(t, n.Start())
	waitFor(t, func() bool { return n.Status().OperationMode == "NORMAL" })
}

// TestRuntimeMXBean: java.lang:type=Runtime as a real 4.1.6 node serves it
// — the same attributes in the same (HashMap) order, the same JVM
// arguments — and a restart gives a new StartTime and pid.
func TestRuntimeMXBean(t *testing.T) {
	c := startCluster(t, "dc1:2x1", true)
	n := c.Nodes()[0]
	got, raw := readRuntime(t, c, n)
	want, wantRaw := captured(t, "read_Runtime.json")
	if g, w := keyOrder(t, raw, "value"), keyOrder(t, wantRaw, "value"); !reflect.DeepEqual(g, w) {
		t.Errorf("attributes\n got %v\nwant %v", g, w)
	}
	if g, w := keyOrder(t, raw, "value", "SystemProperties"), keyOrder(t, wantRaw, "value", "SystemProperties"); !reflect.DeepEqual(g, w) {
		t.Errorf("system properties\n got %v\nwant %v", g, w)
	}
	home := n.Status().Dir
	if g, w := normalize(got.InputArguments, n.Addr.String(), home), normalize(want.InputArguments, "127.0.0.1", "/work/realnode/cassandra", "/work/realnode/node1"); !reflect.DeepEqual(g, w) {
		t.Errorf("InputArguments\n got %q\nwant %q", g, w)
	}
	if !contains(got.InputArguments, "-javaagent:"+home+"/lib/jamm-0.3.2.jar") {
		t.Errorf("no jamm agent in %q", got.InputArguments)
	}
	if g, w := normalize([]string{got.ClassPath}, "", home), normalize([]string{want.ClassPath}, "", "/work/realnode/cassandra", "/work/realnode/node1"); g[0] != w[0] {
		t.Errorf("ClassPath\n got %s\nwant %s", g[0], w[0])
	}
	host, _ := os.Hostname()
	if got.Pid != int64(n.PID()) || got.Name != fmt.Sprintf("%d@%s", got.Pid, host) {
		t.Errorf("Pid %d Name %q, node pid %d", got.Pid, got.Name, n.PID())
	}
	if got.Uptime < 0 || got.StartTime <= 0 {
		t.Errorf("StartTime %d Uptime %d", got.StartTime, got.Uptime)
	}
	if got.SystemProperties["jolokia.agent"] != fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort) {
		t.Errorf("jolokia.agent = %q", got.SystemProperties["jolokia.agent"])
	}

	// Only the attributes asked for, in the capture's order.
	url := fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort)
	four := jolokiaRaw(t, url, `{"type":"read","mbean":"java.lang:type=Runtime","attribute":["StartTime","Uptime","Name","Pid"]}`)
	_, wantFour := captured(t, "read_Runtime_StartTime_Uptime_Name_Pid.json")
	if g, w := keyOrder(t, four, "value"), keyOrder(t, wantFour, "value"); !reflect.DeepEqual(g, w) {
		t.Errorf("four attributes: %v, want %v", g, w)
	}

	restart(t, n)
	again, _ := readRuntime(t, c, n)
	if again.StartTime <= got.StartTime || again.Pid == got.Pid || again.Pid != int64(n.PID()) || again.Name != fmt.Sprintf("%d@%s", again.Pid, host) {
		t.Errorf("after restart: StartTime %d (was %d), Pid %d (was %d, node %d), Name %q", again.StartTime, got.StartTime, again.Pid, got.Pid, n.PID(), again.Name)
	}
}

// TestRuntimeWithoutProcesses: a node without a placeholder process still
// has a pid, and a new one after a restart.
func TestRuntimeWithoutProcesses(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	n := c.Nodes()[0]
	before, _ := readRuntime(t, c, n)
	if before.Pid <= 0 || n.PID() != 0 {
		t.Fatalf("Pid %d, node pid %d", before.Pid, n.PID())
	}
	if !contains(before.InputArguments, "-javaagent:/usr/share/cassandra/lib/jamm-0.3.2.jar") {
		t.Errorf("no jamm agent in %q", before.InputArguments)
	}
	restart(t, n)
	after, _ := readRuntime(t, c, n)
	if after.Pid == before.Pid || after.StartTime <= before.StartTime {
		t.Errorf("after restart: Pid %d (was %d), StartTime %d (was %d)", after.Pid, before.Pid, after.StartTime, before.StartTime)
	}
}

// TestRuntimeAgents: with CEP-1's snippet in conf/cassandra-env.sh, the
// JVM started next loads every agents/*.jar (-javaagent) and agents/*.so
// (-agentpath) with its .options, where a real node put them.
func TestRuntimeAgents(t *testing.T) {
	c := startCluster(t, "dc1:1x1", true)
	n := c.Nodes()[0]
	home, agents := n.Status().Dir, n.AgentsDir()
	write := func(name, content string) {
		t.Helper()
		must(t, os.WriteFile(filepath.Join(agents, name), []byte(content), 0o644))
	}
	// The agents of the real capture.
	write("jolokia2.jar", "jar")
	write("jolokia2.options", "host="+n.Addr.String()+",port=8779,discoveryEnabled=false\n")
	write("jdwp.so", "so")
	write("jdwp.options", "transport=dt_socket,server=y,suspend=n,address="+n.Addr.String()+":5005\n")
	plain, _ := readRuntime(t, c, n)

	// Agents alone do nothing without the snippet.
	restart(t, n)
	noSnippet, _ := readRuntime(t, c, n)
	if !reflect.DeepEqual(noSnippet.InputArguments, plain.InputArguments) {
		t.Fatalf("agents loaded without the snippet:\n%q", noSnippet.InputArguments)
	}
	env, err := os.ReadFile(n.EnvPath())
	must(t, err)
	must(t, os.WriteFile(n.EnvPath(), append(env, cepAgentSnippet...), 0o644))
	// Read at JVM start only.
	if now, _ := readRuntime(t, c, n); !reflect.DeepEqual(now.InputArguments, plain.InputArguments) {
		t.Fatalf("arguments changed without a restart:\n%q", now.InputArguments)
	}
	restart(t, n)
	got, _ := readRuntime(t, c, n)
	want, _ := captured(t, "read_Runtime_agents.json")
	for i, a := range want.InputArguments { // the real node 3 had JMX port 7399 (shared/real-cassandra/setup-node.sh)
		want.InputArguments[i] = strings.Replace(a, "jmx.local.port=7399", "jmx.local.port=7199", 1)
	}
	if g, w := normalize(got.InputArguments, n.Addr.String(), home), normalize(want.InputArguments, "127.0.0.3", "/work/realnode/cassandra", "/work/realnode/node3"); !reflect.DeepEqual(g, w) {
		t.Errorf("InputArguments with agents\n got %q\nwant %q", g, w)
	}

	// The snippet's shell rules: an empty .options adds no "=", a dangling
	// symlink fails [ -e ], blanks in options split the word, and only the
	// loops present run.
	write("a.jar", "jar")
	write("a.options", "")
	must(t, os.Symlink(filepath.Join(home, "nowhere.jar"), filepath.Join(agents, "b.jar")))
	write("jolokia2.options", "x=1 -Dy=2\n\n")
	must(t, os.WriteFile(n.EnvPath(), append(env, cepAgentSnippet[:strings.Index(cepAgentSnippet, "for agent_file in ${CASSANDRA_HOME}/agents/*.so")]...), 0o644))
	restart(t, n)
	got, _ = readRuntime(t, c, n)
	var agentArgs []string
	for _, a := range got.InputArguments {
		if strings.Contains(a, "/agents/") || a == "-Dy=2" {
			agentArgs = append(agentArgs, a)
		}
	}
	wantAgents := []string{"-javaagent:" + agents + "/a.jar", "-javaagent:" + agents + "/jolokia2.jar=x=1", "-Dy=2"}
	if !reflect.DeepEqual(agentArgs, wantAgents) {
		t.Errorf("agent arguments %q, want %q", agentArgs, wantAgents)
	}
}

// TestMemoryMXBean: java.lang:type=Memory with the heap of -Xms1G -Xmx1G,
// its usage composites in the capture's key order.
func TestMemoryMXBean(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	n := c.Nodes()[0]
	raw := jolokiaRaw(t, fmt.Sprintf("http://%s:%d/jolokia/", n.Addr, c.Config().JolokiaPort), `{"type":"read","mbean":"java.lang:type=Memory"}`)
	wantRaw, err := os.ReadFile(filepath.Join("..", "testdata", "cassandra-4.1.6", "jolokia", "read_Memory.json"))
	must(t, err)
	for _, p := range [][]string{{"value"}, {"value", "HeapMemoryUsage"}, {"value", "NonHeapMemoryUsage"}, {"value", "ObjectName"}} {
		if g, w := keyOrder(t, raw, p...), keyOrder(t, wantRaw, p...); !reflect.DeepEqual(g, w) {
			t.Errorf("%v: keys %v, want %v", p, g, w)
		}
	}
	var r struct {
		Value struct {
			HeapMemoryUsage, NonHeapMemoryUsage struct{ Init, Used, Committed, Max int64 }
		}
	}
	must(t, json.Unmarshal(raw, &r))
	h := r.Value.HeapMemoryUsage
	if h.Init != 1<<30 || h.Max != 1<<30 || h.Committed != 1<<30 || h.Used <= 0 || h.Used > h.Committed {
		t.Errorf("heap %+v", h)
	}
	if nh := r.Value.NonHeapMemoryUsage; nh.Max != -1 || nh.Used <= 0 || nh.Used > nh.Committed {
		t.Errorf("non-heap %+v", nh)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
