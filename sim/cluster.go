// Package sim simulates a Cassandra 4.1 cluster in one process: every node
// serves the CQL native protocol and a Jolokia JMX agent on its own loopback
// address, coordinates reads and writes over the real replica placement,
// detects failures, and can be stopped, killed, started, partitioned and
// slowed through a control API.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim/cqltype"
)

// Cluster is a running simulated cluster.
type Cluster struct {
	cfg    Config
	log    *slog.Logger
	nodes  []*Node
	byAddr map[netip.Addr]*Node
	topo   *ring.Topology
	schema *catalog
	lwt    lockTable
	rng    *rand.Rand

	// mu guards the lifecycle and failure-detection state of every node,
	// groups and the timer.
	mu             sync.Mutex
	groups         map[int]int // node index → partition group; nil: no partition
	partitionSince time.Time
	nextCheck      time.Time
	timer          *time.Timer
	fd             fdState // pending failure-detector transitions (gossip.go)
	closed         bool
	procs          bool
}

// New builds a cluster from cfg without starting it.
func New(cfg Config, log *slog.Logger) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.normalizeGossip()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	specs, err := cfg.layout()
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, log: log, byAddr: map[netip.Addr]*Node{}, rng: rand.New(rand.NewPCG(cfg.Seed, 7))}
	eps := make([]ring.Endpoint, len(specs))
	for i, s := range specs {
		n := &Node{c: c, idx: i, Addr: s.Addr, DC: s.DC, Rack: s.Rack, HostID: cqltype.UUID(s.HostID), Tokens: s.Tokens, Release: s.Release, down: map[int]time.Time{}}
		n.hints = newHintsService(n)
		n.initRuntime()
		c.nodes = append(c.nodes, n)
		c.byAddr[s.Addr] = n
		toks := make([]ring.Token, len(s.Tokens))
		for k, t := range s.Tokens {
			toks[k] = ring.Token(t)
		}
		eps[i] = ring.Endpoint{Name: n.Endpoint(), DC: s.DC, Rack: s.Rack, Tokens: toks}
	}
	c.topo, err = ring.NewTopology(eps)
	if err != nil {
		return nil, err
	}
	c.schema = newCatalog(c)
	switch cfg.Processes {
	case "true":
		c.procs = true
	case "auto", "":
		c.procs = cfg.Dir != "" && len(c.nodes) <= 64
	}
	return c, nil
}

// Start brings every node up directly in NORMAL mode (no start delay).
func (c *Cluster) Start(ctx context.Context) error {
	if c.cfg.Dir != "" {
		if err := c.writeDirs(); err != nil {
			return err
		}
	}
	errs := make(chan error, len(c.nodes))
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Add(1)
		sem <- struct{}{}
		go func(n *Node) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := n.boot(true); err != nil {
				errs <- fmt.Errorf("node %s: %w", n.Addr, err)
			}
		}(n)
	}
	wg.Wait()
	close(errs)
	var all []error
	for e := range errs {
		all = append(all, e)
	}
	if len(all) > 0 {
		c.Close()
		return errors.Join(all...)
	}
	// The cluster starts converged, as one that has been running a while:
	// every node sees every other up, no events.
	c.mu.Lock()
	for _, n := range c.nodes {
		n.down = map[int]time.Time{}
	}
	c.mu.Unlock()
	return ctx.Err()
}

// Close stops every node abruptly and releases all addresses.
func (c *Cluster) Close() {
	c.mu.Lock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Add(1)
		go func(n *Node) { defer wg.Done(); n.halt(false) }(n)
	}
	wg.Wait()
}

// Config returns the cluster's configuration.
func (c *Cluster) Config() Config { return c.cfg }

// Nodes returns every node in layout order (DC by DC).
func (c *Cluster) Nodes() []*Node { return c.nodes }

// Node finds a node by address ("127.0.1.1"), endpoint ("127.0.1.1:7000") or host id.
func (c *Cluster) Node(id string) (*Node, error) {
	if ap, err := netip.ParseAddrPort(id); err == nil {
		id = ap.Addr().String()
	}
	if a, err := netip.ParseAddr(id); err == nil {
		if n, ok := c.byAddr[a]; ok {
			return n, nil
		}
	}
	for _, n := range c.nodes {
		if n.HostID.String() == id {
			return n, nil
		}
	}
	return nil, fmt.Errorf("no node %q in this cluster", id)
}

// Partition splits the cluster: each group can reach only its own members;
// nodes named in no group form one more group. Live nodes mark the other
// side down after the failure-detection delay.
func (c *Cluster) Partition(groups [][]*Node) error {
	m := map[int]int{}
	for g, ns := range groups {
		for _, n := range ns {
			if _, dup := m[n.idx]; dup {
				return fmt.Errorf("node %s is in two groups", n.Addr)
			}
			m[n.idx] = g + 1
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups = m
	c.partitionSince = time.Now()
	for _, n := range c.nodes {
		if _, ok := m[n.idx]; !ok {
			m[n.idx] = 0
		}
	}
	c.recompute(time.Now())
	return nil
}

// Heal removes any partition.
func (c *Cluster) Heal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups = nil
	now := time.Now()
	for _, n := range c.nodes {
		if n.gossip && n.upSince.Before(now) {
			// Reachability returned now; let the up delay count from here.
			n.upSince = now
		}
	}
	c.recompute(now)
}

// canTalk reports whether a message from a can reach b now (same partition
// side and b's process up). Used for request delivery, which is not subject
// to failure-detection delay: a request to a silently dead replica is lost.
func (c *Cluster) canTalk(a, b *Node) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.state == StateStopped || b.state == StateStarting {
		return false
	}
	if !b.gossip && b.mode == "DRAINED" {
		return false
	}
	if c.groups != nil && c.groups[a.idx] != c.groups[b.idx] {
		return false
	}
	return true
}
