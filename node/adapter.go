package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config says how to reach the local Cassandra node.
type Config struct {
	// CQLAddress is the node's native transport, host:port; empty: 127.0.0.1:9042.
	CQLAddress string
	// Username and Password for PasswordAuthenticator (empty: no auth).
	Username, Password string
	// JolokiaURL is the Jolokia agent, e.g. http://127.0.0.1:8778/jolokia/.
	// Empty: JMX goes through nodetool.
	JolokiaURL string
	// Nodetool is the nodetool path; empty: "nodetool" from $PATH.
	Nodetool string
	// NodetoolArgs come before every command, e.g. -h 127.0.0.1 -p 7199.
	NodetoolArgs []string
	// NodetoolInterval is how often `nodetool status` runs at most in
	// steady state without Jolokia (see nodetool_mode.go); 0: DefaultNodetoolInterval.
	NodetoolInterval time.Duration
	// PIDFile is Cassandra's pidfile (cassandra -p); empty: not checked.
	PIDFile string
	// Timeout bounds one Snapshot and each request in it; 0: 10 s.
	Timeout time.Duration
}

// Adapter reads the local node. It is safe for concurrent use.
type Adapter struct {
	cfg Config
	log *slog.Logger
	cql *cqlClient
	jmx *Jolokia
	nt  *Nodetool
	ntm *ntMode // the nodetool mode's cache
}

// The StorageService attributes a Snapshot reads, in one bulk request.
var snapshotAttrs = []string{
	"OperationMode", "NativeTransportRunning", "GossipRunning",
	"LiveNodesWithPort", "UnreachableNodesWithPort", "LocalHostId", "ReleaseVersion",
}

// New makes an adapter; it connects lazily, on the first Snapshot.
func New(cfg Config, log *slog.Logger) *Adapter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.CQLAddress == "" {
		cfg.CQLAddress = "127.0.0.1:9042"
	}
	a := &Adapter{cfg: cfg, log: log}
	a.cql = &cqlClient{addr: cfg.CQLAddress, user: cfg.Username, pass: cfg.Password, timeout: cfg.Timeout, log: log}
	if cfg.JolokiaURL != "" {
		a.jmx = &Jolokia{URL: cfg.JolokiaURL, Client: defaultJolokiaClient()}
	}
	a.nt = &Nodetool{Path: cfg.Nodetool, Args: cfg.NodetoolArgs, Timeout: cfg.Timeout}
	a.ntm = newNTMode(cfg.NodetoolInterval)
	return a
}

// Jolokia is the JMX client, nil when no agent is configured.
func (a *Adapter) Jolokia() *Jolokia { return a.jmx }

// Nodetool is the nodetool runner (always set: also for commands Jolokia
// users may prefer to run through nodetool).
func (a *Adapter) Nodetool() *Nodetool { return a.nt }

// Close closes the CQL session.
func (a *Adapter) Close() { a.cql.close() }

// jmxResult is what JMX (Jolokia or nodetool) said.
type jmxResult struct {
	answered                 bool
	errs                     []string
	mode                     string
	native, gossip           bool
	nativeKnown, gossipKnown bool
	live, unreachable        []string
	hostID, release          string
	// statusRows: the nodetool path, turned into endpoints once the
	// storage port is known.
	statusRows []StatusRow
	haveRows   bool
}

// Snapshot reads everything it can within the timeout; what it cannot
// read is named in Errors. It never fails.
func (a *Adapter) Snapshot(ctx context.Context) *Snapshot {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	s := &Snapshot{Taken: time.Now(), LiveEndpoints: []string{}, UnreachableEndpoints: []string{}}
	if a.jmx == nil {
		return a.snapshotNodetool(ctx, s)
	}

	// CQL and JMX in parallel; a source still busy when the context ends
	// is reported as timed out (its goroutine finishes on its own).
	cqlCh := make(chan *cqlResult, 1)
	jmxCh := make(chan *jmxResult, 1)
	go func() { cqlCh <- a.cql.read(ctx, false) }()
	go func() { jmxCh <- a.readJolokia(ctx) }()
	var cr *cqlResult
	var jr *jmxResult
	for cr == nil || jr == nil {
		select {
		case cr = <-cqlCh:
		case jr = <-jmxCh:
		case <-ctx.Done():
			if cr == nil {
				cr = &cqlResult{errs: []string{"cql: " + ctx.Err().Error()}}
			}
			if jr == nil {
				jr = &jmxResult{errs: []string{"jmx: " + ctx.Err().Error()}}
			}
		}
	}
	jmxFields := []string{"native_active", "gossip_active", "operation_mode", "alive_peers", "dead_peers"}
	s.Sources = []Source{{Name: "cql", AsOf: s.Taken, Fields: cqlFields(cr)}, {Name: "jmx", AsOf: s.Taken, Fields: jmxFields}}
	if !jr.answered && len(jr.errs) > 0 {
		s.Sources[1].Error = jr.errs[0]
	}
	return a.finish(s, cr, jr, storagePort(cr))
}

// snapshotNodetool is Snapshot without Jolokia: CQL first, then the
// nodetool runs that are due (nodetool_mode.go).
func (a *Adapter) snapshotNodetool(ctx context.Context, s *Snapshot) *Snapshot {
	cr := a.cql.read(ctx, true)
	if ctx.Err() != nil && !cr.answered {
		cr.errs = append(cr.errs[:0:0], "cql: "+ctx.Err().Error())
	}
	jr, srcs := a.ntm.snapshot(ctx, a.nt, cr, s.Taken)
	s.Sources = srcs
	port := storagePort(cr)
	if !cr.local {
		a.ntm.mu.Lock()
		if a.ntm.port > 0 {
			port = a.ntm.port
		}
		a.ntm.mu.Unlock()
	}
	return a.finish(s, cr, jr, port)
}

// cqlFields are the answers' fields a CQL read gave (see Source).
func cqlFields(cr *cqlResult) []string {
	f := []string{}
	if cr.local {
		f = append(f, "id", "tokens", "datacenter")
	}
	if cr.peers != nil || cr.keyspaces != nil {
		f = append(f, "peers", "keyspaces")
	}
	if cr.settings != nil {
		f = append(f, "settings")
	}
	return f
}

// finish fills the snapshot from what CQL and JMX (or nodetool) said.
func (a *Adapter) finish(s *Snapshot, cr *cqlResult, jr *jmxResult, port int) *Snapshot {
	s.Errors = append(s.Errors, cr.errs...)
	s.Errors = append(s.Errors, jr.errs...)

	// This node and the cluster as CQL sees them.
	s.HostID, s.Endpoint, s.NativeAddress = cr.hostID, cr.endpoint, cr.nativeAddr
	s.DC, s.Rack, s.Tokens = cr.dc, cr.rack, cr.tokens
	s.ReleaseVersion, s.ClusterName, s.SchemaVersion = cr.release, cr.cluster, cr.schema
	s.Peers, s.Keyspaces, s.Settings = cr.peers, cr.keyspaces, cr.settings
	if s.HostID == "" {
		s.HostID = jr.hostID
	}
	if s.ReleaseVersion == "" {
		s.ReleaseVersion = jr.release
	}

	s.OperationMode = jr.mode
	// Without JMX, a CQL answer is proof enough that the native transport runs.
	s.NativeActive = cr.answered
	if jr.nativeKnown {
		s.NativeActive = jr.native
	}
	s.GossipActive = jr.gossip
	if jr.haveRows {
		jr.live, jr.unreachable = statusEndpoints(jr.statusRows, port)
	}
	if jr.live != nil {
		s.LiveEndpoints = jr.live
	}
	if jr.unreachable != nil {
		s.UnreachableEndpoints = jr.unreachable
	}

	pidAlive := false
	if a.cfg.PIDFile != "" {
		pid, err := ReadPIDFile(a.cfg.PIDFile)
		switch {
		case err != nil:
			s.Errors = append(s.Errors, "pidfile: "+err.Error())
		case ProcessAlive(pid):
			s.PID, pidAlive = pid, true
		default:
			s.Errors = append(s.Errors, fmt.Sprintf("pidfile: process %d (from %s) is not running", pid, a.cfg.PIDFile))
		}
	}
	s.CassandraRunning = jr.answered || cr.answered || pidAlive
	if len(s.Errors) > 0 {
		a.log.Debug("snapshot incomplete", "errors", s.Errors)
	}
	return s
}

// storagePort is this node's storage port: system.local broadcast_port,
// else the storage_port setting, else Cassandra's default 7000.
func storagePort(cr *cqlResult) int {
	if cr.storagePort > 0 {
		return cr.storagePort
	}
	if p, err := strconv.Atoi(cr.settings["storage_port"]); err == nil && p > 0 {
		return p
	}
	return 7000
}

// statusEndpoints turns `nodetool status` rows into address:port lists as
// LiveNodesWithPort / UnreachableNodesWithPort give them: U rows are live,
// D rows unreachable ("?" rows are neither, as in Status.java).
func statusEndpoints(rows []StatusRow, port int) (live, unreachable []string) {
	live, unreachable = []string{}, []string{}
	for _, r := range rows {
		ep := r.Address
		if _, err := netip.ParseAddrPort(ep); err != nil { // no port unless nodetool ran with -pp
			ep = hostPort(r.Address, port)
		}
		switch r.Status {
		case "U":
			live = append(live, ep)
		case "D":
			unreachable = append(unreachable, ep)
		}
	}
	return live, unreachable
}

// ReadPIDFile reads a pidfile (cassandra -p): one positive pid.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: not a pid: %q", path, strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// readJolokia reads the StorageService attributes in one bulk request, one
// read per attribute so that one failing getter does not hide the others.
func (a *Adapter) readJolokia(ctx context.Context) *jmxResult {
	r := &jmxResult{}
	reqs := make([]JolokiaRequest, len(snapshotAttrs))
	for i, attr := range snapshotAttrs {
		reqs[i] = JolokiaRequest{Type: "read", MBean: StorageServiceMBean, Attribute: attr}
	}
	resps, err := a.jmx.Bulk(ctx, reqs...)
	if err != nil {
		// A Jolokia error for the whole request still comes from the agent
		// inside the Cassandra JVM.
		var je *JolokiaError
		r.answered = errors.As(err, &je)
		r.errs = append(r.errs, "jmx: "+err.Error())
		return r
	}
	r.answered = true
	for i, resp := range resps {
		attr := snapshotAttrs[i]
		v, err := resp.Decode()
		if err == nil {
			err = resp.Err()
		}
		if err == nil {
			err = r.setAttr(attr, v)
		}
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("jmx: StorageService %s: %v", attr, err))
		}
	}
	return r
}

func (r *jmxResult) setAttr(attr string, v any) error {
	var err error
	switch attr {
	case "OperationMode":
		r.mode, err = asString(v)
	case "NativeTransportRunning":
		r.native, err = asBool(v)
		r.nativeKnown = err == nil
	case "GossipRunning":
		r.gossip, err = asBool(v)
		r.gossipKnown = err == nil
	case "LiveNodesWithPort":
		r.live, err = asStrings(v)
	case "UnreachableNodesWithPort":
		r.unreachable, err = asStrings(v)
	case "LocalHostId":
		r.hostID, err = asString(v)
	case "ReleaseVersion":
		r.release, err = asString(v)
	}
	return err
}
