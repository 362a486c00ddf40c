package sim

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/sim/jolokia"
)

// The JVM platform MXBeans java.lang:type=Runtime and java.lang:type=Memory
// of a node's simulated JVM, shaped as a real 4.1.6 node serves them
// through Jolokia 1.7.2 (testdata/cassandra-4.1.6/jolokia/read_Runtime*.json,
// read_Memory.json). StartTime and Pid belong to the process: a restart
// changes both. InputArguments are fixed when the JVM starts: the options
// files, cassandra-env.sh (with jamm's -javaagent always) and bin/cassandra,
// plus — when conf/cassandra-env.sh carries CEP-1's agents snippet — one
// -javaagent per $CASSANDRA_HOME/agents/*.jar and one -agentpath per
// agents/*.so, each with "=<options>" from a non-empty <base>.options.

const (
	runtimeMXBeanName = "java.lang:type=Runtime"
	memoryMXBeanName  = "java.lang:type=Memory"
	// The Debian package's locations, for nodes without a directory.
	debianHome = "/usr/share/cassandra"
	heapSize   = 1 << 30 // -Xms1G -Xmx1G
	// jmxLocalPort is cassandra-env.sh's JMX_PORT.
	jmxLocalPort = 7199
)

// nodePath is rel under the node's directory, or without one the Debian
// package's location debian ("" for files such a node has not).
func (n *Node) nodePath(debian string, rel ...string) string {
	if n.dir() == "" {
		return debian
	}
	return filepath.Join(append([]string{n.dir()}, rel...)...)
}

// home is the node's CASSANDRA_HOME: its directory (conf/, agents/, bin/).
func (n *Node) home() string    { return n.nodePath(debianHome) }
func (n *Node) confDir() string { return n.nodePath("/etc/cassandra", "conf") }
func (n *Node) logDir() string  { return n.nodePath("/var/log/cassandra", "logs") }

// EnvPath is the node's conf/cassandra-env.sh ("" without a directory).
func (n *Node) EnvPath() string { return n.nodePath("", "conf", "cassandra-env.sh") }

// AgentsDir is $CASSANDRA_HOME/agents, CEP-1's directory of JVM agents
// ("" without a directory).
func (n *Node) AgentsDir() string { return n.nodePath("", "agents") }

// envSH is the conf/cassandra-env.sh the simulator writes when there is
// none: the simulated JVM reads only the agent loops of CEP-1 from it.
const envSH = `# cassandra-env.sh of a node simulated by ringside sim. The simulated JVM
# takes Cassandra 4.1.6's stock options; of this file it reads only CEP-1's
# agent snippet, when present (each "for agent_file in
# ${CASSANDRA_HOME}/agents/*.jar" / "*.so" loop), at every start.
`

// agentSnippet reports which of CEP-1's two loops env (cassandra-env.sh) runs.
func agentSnippet(env []byte) (jars, sos bool) {
	sc := bufio.NewScanner(bytes.NewReader(env))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[0] != "for" || f[1] != "agent_file" || f[2] != "in" {
			continue
		}
		switch strings.TrimSuffix(f[3], ";") {
		case "${CASSANDRA_HOME}/agents/*.jar", "$CASSANDRA_HOME/agents/*.jar":
			jars = true
		case "${CASSANDRA_HOME}/agents/*.so", "$CASSANDRA_HOME/agents/*.so":
			sos = true
		}
	}
	return jars, sos
}

// agentOptions runs the snippet's loops over the node's agents/ directory.
// JVM_OPTS is expanded unquoted by bin/cassandra, so an options file with
// blanks becomes several arguments.
func (n *Node) agentOptions() []string {
	env, err := os.ReadFile(n.EnvPath())
	if err != nil {
		return nil
	}
	jars, sos := agentSnippet(env)
	var out []string
	loop := func(ext, flag string) {
		files, _ := filepath.Glob(filepath.Join(n.AgentsDir(), "*"+ext))
		sort.Strings(files)
		for _, f := range files {
			if _, err := os.Stat(f); err != nil { // [ -e ] follows symlinks
				continue
			}
			arg := f
			// [ -s base.options ], then `cat`, whose trailing newlines go.
			if b, err := os.ReadFile(strings.TrimSuffix(f, ext) + ".options"); err == nil && len(b) > 0 {
				arg += "=" + strings.TrimRight(string(b), "\n")
			}
			out = append(out, strings.Fields(flag+arg)...)
		}
	}
	if jars {
		loop(".jar", "-javaagent:")
	}
	if sos {
		loop(".so", "-agentpath:")
	}
	return out
}

// jvmPid is the JVM's pid: the placeholder process's, or (without
// processes) a number that changes with every start.
func (n *Node) jvmPid() int {
	if n.pid != 0 {
		return n.pid
	}
	return 1000 + (n.startGen*len(n.c.nodes)+n.idx)%4000000
}

// inputArguments is RuntimeMXBean.getInputArguments, in the order
// bin/cassandra passes them: jvm-server.options, jvm11-server.options,
// cassandra-env.sh's JVM_OPTS (the agents snippet appended at its end),
// then bin/cassandra's own.
func (n *Node) inputArguments(agents []string) []string {
	home, conf, logs := n.home(), n.confDir(), n.logDir()
	out := make([]string, 0, 96)
	out = append(out, jvmServerOptions...)
	// The Jolokia agent the simulator serves, loaded as the real node's
	// was: an -javaagent line appended to jvm-server.options.
	out = append(out, "-javaagent:"+filepath.Join(home, "lib", "jolokia-jvm-1.7.2-agent.jar")+
		"=host="+n.Addr.String()+",port="+strconv.Itoa(n.c.cfg.JolokiaPort)+",discoveryEnabled=false")
	out = append(out, jvm11ServerOptions...)
	out = append(out,
		"-Xlog:gc=info,heap*=trace,age*=debug,safepoint=info,promotion*=trace:file="+filepath.Join(logs, "gc.log")+":time,uptime,pid,tid,level:filecount=10,filesize=10485760",
		"-Xms1G", "-Xmx1G",
		"-XX:CompileCommandFile="+filepath.Join(conf, "hotspot_compiler"),
		"-javaagent:"+filepath.Join(home, "lib", "jamm-0.3.2.jar"),
		"-Dcassandra.jmx.local.port="+strconv.Itoa(jmxLocalPort),
		"-Dcom.sun.management.jmxremote.authenticate=false",
		"-Dcom.sun.management.jmxremote.password.file=/etc/cassandra/jmxremote.password",
		"-Djava.library.path="+filepath.Join(home, "lib", "sigar-bin"))
	out = append(out, agents...)
	out = append(out, "-XX:OnOutOfMemoryError=kill -9 %p", "-Dlogback.configurationFile=logback.xml",
		"-Dcassandra.logdir="+logs, "-Dcassandra.storagedir="+filepath.Join(home, "data"))
	if n.dir() != "" {
		out = append(out, "-Dcassandra-pidfile="+n.pidfile())
	}
	return out
}

// classPath is bin/cassandra.in.sh's CLASSPATH: conf, every lib jar, the jsr223 glob.
func (n *Node) classPath() string {
	var b strings.Builder
	b.WriteString(n.confDir())
	lib := filepath.Join(n.home(), "lib")
	for _, j := range classPathJars {
		b.WriteString(":" + lib + "/" + j)
	}
	b.WriteString(":")
	return b.String()
}

func (n *Node) systemProperties(cp string) *jolokia.Map {
	own := map[string]string{
		"cassandra-pidfile":        n.pidfile(),
		"cassandra.jmx.local.port": strconv.Itoa(jmxLocalPort),
		"cassandra.logdir":         n.logDir(),
		"cassandra.storagedir":     filepath.Join(n.home(), "data"),
		"java.class.path":          cp,
		"java.library.path":        filepath.Join(n.home(), "lib", "sigar-bin"),
		"jolokia.agent":            "http://" + n.Addr.String() + ":" + strconv.Itoa(n.c.cfg.JolokiaPort) + "/jolokia/",
		"user.dir":                 n.home(),
	}
	m := jolokia.NewMap()
	for _, kv := range jvmSystemProperties {
		v, ok := own[kv[0]]
		if !ok {
			v = kv[1]
		} else if kv[0] == "cassandra-pidfile" && n.dir() == "" {
			continue // started without -p
		}
		m.Put(kv[0], v)
	}
	return m
}

var hostname = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}()

// memoryUsage is a MemoryUsage CompositeData.
func memoryUsage(init, used, committed, max int64) map[string]any {
	return map[string]any{"init": init, "used": used, "committed": committed, "max": max}
}

// registerRuntime adds the JVM MXBeans of the node's current process.
// Their values are read when the agent starts, i.e. at every JVM start.
func (n *Node) registerRuntime(reg *jolokia.Registry) {
	c := n.c
	c.mu.Lock()
	started, pid := n.startedAt, n.jvmPid()
	c.mu.Unlock()
	// Agents are fixed at JVM start; the rest is rebuilt on each read, so
	// that a large cluster does not hold ~10 KB of strings per node.
	agents := n.agentOptions()
	str := func(v string) func() (any, error) { return func() (any, error) { return v, nil } }

	rt := mxBean(runtimeMXBeanName, "sun.management.RuntimeImpl", []mxAttr{
		// In the order the real agent listed them (see jvmSystemProperties).
		{"SpecVendor", "java.lang.String", str("Oracle Corporation")},
		{"ClassPath", "java.lang.String", func() (any, error) { return n.classPath(), nil }},
		{"InputArguments", "[Ljava.lang.String;", func() (any, error) { return n.inputArguments(agents), nil }},
		{"Uptime", "long", func() (any, error) { return time.Since(started).Milliseconds(), nil }},
		{"VmName", "java.lang.String", str("OpenJDK 64-Bit Server VM")},
		{"StartTime", "long", func() (any, error) { return started.UnixMilli(), nil }},
		{"Pid", "long", func() (any, error) { return int64(pid), nil }},
		{"VmVersion", "java.lang.String", str("17.0.15+6-Debian-1deb12u1")},
		{"SpecName", "java.lang.String", str("Java Virtual Machine Specification")},
		{"ManagementSpecVersion", "java.lang.String", str("3.0")},
		{"Name", "java.lang.String", str(strconv.Itoa(pid) + "@" + hostname)},
		{"ObjectName", "javax.management.ObjectName", objectNameValue(runtimeMXBeanName)},
		{"VmVendor", "java.lang.String", str("Debian")},
		{"LibraryPath", "java.lang.String", str(filepath.Join(n.home(), "lib", "sigar-bin"))},
		// JDK 9+ throws UnsupportedOperationException from getBootClassPath,
		// which Jolokia's read of all attributes shows as "Unsupported"
		// (ReadHandler.fetchAttributes); here a read of it alone does too.
		{"BootClassPath", "java.lang.String", str("Unsupported")},
		{"SpecVersion", "java.lang.String", str("17")},
		{"SystemProperties", "javax.management.openmbean.TabularData", func() (any, error) { return n.systemProperties(n.classPath()), nil }},
		{"BootClassPathSupported", "boolean", func() (any, error) { return false, nil }},
	})
	reg.Register(rt)

	verbose := false
	mem := mxBean(memoryMXBeanName, "sun.management.MemoryImpl", []mxAttr{
		{"ObjectPendingFinalizationCount", "int", func() (any, error) { return 0, nil }},
		{"Verbose", "boolean", func() (any, error) { return verbose, nil }},
		{"HeapMemoryUsage", "javax.management.openmbean.CompositeData", func() (any, error) {
			// A G1 sawtooth: the old generation's ~150 MiB plus young
			// allocation at 4 MiB/s, collected every 600 MiB.
			up := time.Since(started).Milliseconds()
			return memoryUsage(heapSize, 150<<20+(up*(4<<20)/1000)%(600<<20), heapSize, heapSize), nil
		}},
		{"NonHeapMemoryUsage", "javax.management.openmbean.CompositeData", func() (any, error) {
			return memoryUsage(7667712, 71495288, 73728000, -1), nil
		}},
		{"ObjectName", "javax.management.ObjectName", objectNameValue(memoryMXBeanName)},
	})
	a := mem.Attribute("Verbose")
	a.RW = true
	a.Set = func(v any) error { verbose, _ = v.(bool); return nil }
	mem.Ops = append(mem.Ops, &jolokia.Operation{Name: "gc", Ret: "void", Desc: "gc", Call: func([]any) (any, error) { return nil, nil }})
	reg.Register(mem)
}

type mxAttr struct {
	name, typ string
	get       func() (any, error)
}

// mxBean builds a platform MXBean: MXBeanIntrospector describes every
// attribute by its own name.
func mxBean(name, class string, attrs []mxAttr) *jolokia.MBean {
	b := &jolokia.MBean{ObjectName: name, Class: class, Desc: jolokia.StandardMBeanDesc}
	for _, a := range attrs {
		b.Attrs = append(b.Attrs, &jolokia.Attribute{Name: a.name, Type: a.typ, Desc: a.name, Get: a.get})
	}
	return b
}

// objectNameValue is an ObjectName as Jolokia serialises it.
func objectNameValue(name string) func() (any, error) {
	return func() (any, error) { return map[string]any{"objectName": name}, nil }
}
