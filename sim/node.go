package sim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/jolokia"
	"github.com/ringside/ringside/sim/native"
)

// State is a node's process state as the simulator's control API reports it.
type State string

const (
	StateStopped  State = "STOPPED"
	StateStarting State = "STARTING"
	StateRunning  State = "RUNNING"
	StateStopping State = "STOPPING"
)

// Node is one simulated Cassandra node.
type Node struct {
	c      *Cluster
	idx    int
	Addr   netip.Addr
	DC     string
	Rack   string
	HostID cqltype.UUID
	Tokens []int64
	// Release is release_version.
	Release string

	// Guarded by c.mu.
	state       State
	mode        string // StorageService OperationMode: STARTING, NORMAL, DRAINING, DRAINED
	gossip      bool
	announced   bool // went silent by announcing shutdown
	silentSince time.Time
	upSince     time.Time
	fdSince     time.Time         // when this JVM's gossip began; zero if it started with the cluster (gossip.go)
	down        map[int]time.Time // this node's view: peers it has marked down, and when (Gossiper.unreachableEndpoints)
	generation  int32
	startedAt   time.Time
	starts      int           // process starts since the cluster was created (ground truth for tests)
	startDelay  time.Duration // extra STARTING time; < 0: never finishes starting (fault injection)
	pid         int
	proc        *os.Process
	cqlServer   *native.Server
	cqlListener net.Listener
	events      chan native.Event // to cqlServer's registered clients, in order
	jmxServer   *http.Server
	latency     time.Duration
	drained     bool
	startGen    int // bumped on every start/stop so stale timers do nothing
	exitWatch   chan struct{}

	// jmxMu serialises Jolokia requests: the real agent serves one at a time.
	rt    *nodeRuntime
	store *store
	// hints is the node's HintsService (hints.go); its files outlive restarts.
	hints *hintsService
	// jmxReg is the running agent's registry, for metrics registered late.
	jmxReg atomic.Pointer[jolokia.Registry]
	// ntRuns counts the nodetool runs that reached this node (nodetool.go).
	ntRuns atomic.Int64
}

// Endpoint is the storage identity address:port, as LiveNodesWithPort lists it.
func (n *Node) Endpoint() string {
	return netip.AddrPortFrom(n.Addr, uint16(n.c.cfg.StoragePort)).String()
}

// Index is the node's position in Cluster.Nodes.
func (n *Node) Index() int { return n.idx }

// NodeStatus is a snapshot of a node for the control API.
type NodeStatus struct {
	Address         string   `json:"address"`
	Endpoint        string   `json:"endpoint"`
	HostID          string   `json:"host_id"`
	DC              string   `json:"datacenter"`
	Rack            string   `json:"rack"`
	State           State    `json:"state"`
	OperationMode   string   `json:"operation_mode"`
	Gossip          bool     `json:"gossip_running"`
	NativeTransport bool     `json:"native_transport_running"`
	PID             int      `json:"pid,omitempty"`
	Latency         string   `json:"latency,omitempty"`
	Down            []string `json:"sees_down"`
	Release         string   `json:"release_version"`
	Dir             string   `json:"directory,omitempty"`
	// NodetoolRuns counts `ringside sim nodetool` runs against this node.
	NodetoolRuns int64 `json:"nodetool_runs"`
	// Starts counts process starts since the cluster was created (the
	// first included); StartedAt is the running process's start.
	Starts    int       `json:"starts"`
	StartedAt time.Time `json:"started_at,omitzero"`
}

// Status returns a snapshot.
func (n *Node) Status() NodeStatus {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	st := NodeStatus{Address: n.Addr.String(), Endpoint: n.Endpoint(), HostID: n.HostID.String(), DC: n.DC, Rack: n.Rack,
		State: n.state, OperationMode: n.mode, Gossip: n.gossip, NativeTransport: n.cqlServer != nil, PID: n.pid, Release: n.Release, Down: []string{}, Dir: n.dir(),
		NodetoolRuns: n.ntRuns.Load(), Starts: n.starts}
	if n.state != StateStopped {
		st.StartedAt = n.startedAt
	}
	if n.latency > 0 {
		st.Latency = n.latency.String()
	}
	for _, j := range c.nodes {
		if _, d := n.down[j.idx]; d {
			st.Down = append(st.Down, j.Endpoint())
		}
	}
	return st
}

// State returns the node's process state.
func (n *Node) State() State {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return n.state
}

// PID returns the node's pid (0 when stopped or without processes).
func (n *Node) PID() int {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return n.pid
}

// SetLatency adds a delay to every CQL request this node coordinates or serves as a replica.
func (n *Node) SetLatency(d time.Duration) {
	n.c.mu.Lock()
	n.latency = d
	n.c.mu.Unlock()
}

func (n *Node) delay() time.Duration {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return n.latency
}

// SetStartDelay makes the node's next starts take d longer (a slow
// node); d < 0 makes them never finish: the process runs but the node
// stays STARTING (a node that never returns).
func (n *Node) SetStartDelay(d time.Duration) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.startDelay = d
}

// boot starts the process. With immediate it is NORMAL at once (cluster
// start); otherwise it spends StartTime±jitter STARTING first.
func (n *Node) boot(immediate bool) error {
	c := n.c
	c.mu.Lock()
	if n.state != StateStopped && n.state != "" {
		c.mu.Unlock()
		return nil
	}
	n.state = StateStarting
	n.mode = "STARTING"
	n.drained = false
	n.startGen++
	gen := n.startGen
	n.startedAt = time.Now()
	n.starts++
	if n.store == nil {
		n.store = newStore()
	}
	n.rt.reset()
	c.mu.Unlock()

	if err := n.startProcess(); err != nil {
		n.setStopped()
		return err
	}
	// The Jolokia agent starts with the JVM, before the node joins.
	if err := n.startJolokia(); err != nil {
		n.halt(false)
		return err
	}
	wait := time.Duration(0)
	if !immediate {
		c.mu.Lock()
		extra := n.startDelay
		c.mu.Unlock()
		if extra < 0 {
			// Never joins: the JVM runs (a pid, Jolokia) but stays STARTING.
			return nil
		}
		wait = c.cfg.StartTime + extra
		if j := c.cfg.StartJitter; j > 0 {
			c.mu.Lock()
			wait += time.Duration(c.rng.Int64N(int64(2*j))) - j
			c.mu.Unlock()
			if wait < 0 {
				wait = 0
			}
		}
	}
	finish := func() error {
		c.mu.Lock()
		if n.startGen != gen || n.state != StateStarting {
			c.mu.Unlock()
			return nil
		}
		n.generation = int32(time.Now().Unix())
		n.gossip = true
		n.announced = false
		n.upSince = time.Now()
		n.fdSince = time.Time{}
		if !immediate {
			n.fdSince = n.upSince // its failure detector starts with empty windows
		}
		n.mode = "NORMAL"
		n.state = StateRunning
		n.down = map[int]time.Time{}
		if !immediate {
			// A freshly started node learns who is up from gossip: start with
			// the truth. (At cluster start, Start converges every view at the end.)
			for _, j := range c.nodes {
				if ok, _, _ := c.reachable(n, j); !ok && j != n {
					n.down[j.idx] = time.Now()
				}
			}
			c.nodeChanged(n, time.Now())
		}
		c.mu.Unlock()
		n.hints.start() // StorageService's startup ends with HintsService.startDispatch
		return n.startNative()
	}
	if wait == 0 {
		return finish()
	}
	time.AfterFunc(wait, func() {
		if err := finish(); err != nil {
			c.log.Error("node start failed", "node", n.Addr, "err", err)
		}
	})
	return nil
}

// Start starts a stopped node; it reaches NORMAL after the configured start time.
func (n *Node) Start() error { return n.boot(false) }

// Stop shuts the node down gracefully: it drains unless already drained
// (Cassandra's shutdown hook drains too), then the process exits.
func (n *Node) Stop() error {
	n.c.mu.Lock()
	if n.state == StateStopped {
		n.c.mu.Unlock()
		return nil
	}
	drained := n.drained
	n.c.mu.Unlock()
	if !drained {
		n.Drain()
	}
	if d := n.c.cfg.ShutdownTime; d > 0 {
		time.Sleep(d) // the JVM's shutdown hooks; the process is still there
	}
	n.halt(true)
	return nil
}

// Kill stops the node abruptly: no shutdown announcement, peers notice
// only after the failure-detection delay.
func (n *Node) Kill() { n.halt(false) }

// Drain does what StorageService.drain does: DRAINING, stop the native
// transport, stop gossip (announced), flush, DRAINED. It blocks for DrainTime.
func (n *Node) Drain() {
	c := n.c
	c.mu.Lock()
	if n.state != StateRunning || n.drained || n.mode == "DRAINING" {
		c.mu.Unlock()
		return
	}
	n.mode = "DRAINING"
	c.mu.Unlock()
	n.stopNative()
	n.stopGossip(true)
	n.hints.shutdown(true) // StorageService.drain: HintsService.shutdownBlocking
	n.flushAll()
	time.Sleep(c.cfg.DrainTime)
	c.mu.Lock()
	n.mode = "DRAINED"
	n.drained = true
	c.mu.Unlock()
}

func (n *Node) stopGossip(announce bool) {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !n.gossip {
		return
	}
	n.gossip = false
	n.announced = announce
	n.silentSince = time.Now()
	c.nodeChanged(n, time.Now())
}

func (n *Node) startGossip() {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.gossip || n.state != StateRunning || n.drained {
		return
	}
	n.gossip = true
	n.announced = false
	n.upSince = time.Now()
	n.fdSince = n.upSince // startGossiping forces a newer generation: peers relearn it
	c.nodeChanged(n, time.Now())
}

// halt ends the process. graceful: the shutdown is announced.
func (n *Node) halt(graceful bool) {
	c := n.c
	c.mu.Lock()
	if n.state == StateStopped || n.state == "" {
		c.mu.Unlock()
		return
	}
	n.startGen++
	n.state = StateStopping
	c.mu.Unlock()
	n.stopNative()
	n.stopGossip(graceful)
	n.hints.shutdown(graceful)
	n.stopJolokia()
	n.stopProcess()
	n.setStopped()
}

func (n *Node) setStopped() {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	n.state = StateStopped
	n.mode = ""
	n.gossip = false
	n.pid = 0
	n.proc = nil
	if n.silentSince.IsZero() {
		n.silentSince = time.Now()
	}
	// A stopped node has no view of its own.
	n.down = map[int]time.Time{}
	c.nodeChanged(n, time.Now())
}

func (n *Node) startNative() error {
	c := n.c
	ln, err := net.Listen("tcp", netip.AddrPortFrom(n.Addr, uint16(c.cfg.NativePort)).String())
	if err != nil {
		return fmt.Errorf("native transport: %w", err)
	}
	var auth native.Authenticator
	if c.cfg.Auth != nil {
		auth = passwordAuth{c.cfg.Auth.Username, c.cfg.Auth.Password}
	}
	srv := native.NewServer(native.ServerConfig{Handler: &handler{n: n}, Authenticator: auth, Logger: c.log.With("node", n.Addr.String())})
	events := make(chan native.Event, 4096)
	c.mu.Lock()
	if n.cqlServer != nil || n.state != StateRunning {
		c.mu.Unlock()
		ln.Close()
		return nil
	}
	n.cqlServer = srv
	n.cqlListener = ln
	n.events = events
	c.mu.Unlock()
	// Events go out in the order they happened, off the caller's locks.
	go func() {
		for ev := range events {
			srv.Push(ev)
		}
	}()
	go srv.Serve(ln)
	return nil
}

func (n *Node) stopNative() {
	c := n.c
	c.mu.Lock()
	srv, ln := n.cqlServer, n.cqlListener
	n.cqlServer, n.cqlListener = nil, nil
	if n.events != nil {
		close(n.events)
		n.events = nil
	}
	c.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	// Close the listener too: srv.Close misses it if Serve has not run yet.
	if ln != nil {
		ln.Close()
	}
}

// NativeRunning reports whether the native transport listens.
func (n *Node) NativeRunning() bool {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return n.cqlServer != nil
}

func (n *Node) startJolokia() error {
	c := n.c
	ln, err := net.Listen("tcp", netip.AddrPortFrom(n.Addr, uint16(c.cfg.JolokiaPort)).String())
	if err != nil {
		return fmt.Errorf("jolokia agent: %w", err)
	}
	reg := n.mbeans()
	n.jmxReg.Store(reg)
	// Served directly, not behind a ServeMux: the agent answers paths such
	// as "/jolokia" and "//" itself, which a mux would redirect.
	h := jolokia.NewHandler(reg, jolokia.Options{AgentID: fmt.Sprintf("%s-%d-ringside-jvm", n.Addr, n.PID())})
	srv := &http.Server{Handler: n.withNodetool(reg, h), ReadHeaderTimeout: 10 * time.Second}
	c.mu.Lock()
	n.jmxServer = srv
	c.mu.Unlock()
	go srv.Serve(ln)
	return nil
}

func (n *Node) stopJolokia() {
	c := n.c
	c.mu.Lock()
	srv := n.jmxServer
	n.jmxServer = nil
	c.mu.Unlock()
	n.jmxReg.Store(nil)
	if srv != nil {
		srv.Close()
	}
}

// startProcess spawns the placeholder process whose pid stands for the
// Cassandra JVM, and writes the pidfile.
func (n *Node) startProcess() error {
	c := n.c
	if !c.procs {
		return nil
	}
	cmd, err := spawnPlaceholder(n.Addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	n.pid = cmd.Process.Pid
	n.proc = cmd.Process
	done := make(chan struct{})
	n.exitWatch = done
	gen := n.startGen
	c.mu.Unlock()
	if d := n.dir(); d != "" {
		if err := os.WriteFile(n.pidfile(), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
			return err
		}
	}
	go func() {
		err := cmd.Wait()
		close(done)
		c.mu.Lock()
		stale := n.startGen != gen || n.proc != cmd.Process
		c.mu.Unlock()
		if stale {
			return
		}
		// Someone signalled our stand-in JVM: SIGTERM runs the shutdown hook
		// (graceful), anything else is a crash.
		var ee *exec.ExitError
		graceful := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM
		c.log.Info("node process exited", "node", n.Addr, "graceful", graceful)
		if graceful {
			n.Drain()
		}
		n.halt(graceful)
	}()
	return nil
}

func (n *Node) stopProcess() {
	c := n.c
	c.mu.Lock()
	p := n.proc
	done := n.exitWatch
	n.proc = nil
	c.mu.Unlock()
	if p != nil {
		p.Kill()
		if done != nil {
			<-done
		}
	}
	if n.dir() != "" {
		os.Remove(n.pidfile())
	}
}

var spawnMu sync.Mutex

type passwordAuth struct{ user, pass string }

func (passwordAuth) Class() string { return "org.apache.cassandra.auth.PasswordAuthenticator" }
func (a passwordAuth) Check(u, p string) bool {
	return u == a.user && p == a.pass
}
