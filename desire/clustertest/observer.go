package clustertest

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim"
)

// Observer samples the simulator's own ground truth (process states, not
// anything a sidecar says) and checks that the restart never takes a
// token range below the kept levels. A node the harness brought down on
// purpose (a fault) is not the restart's doing; what counts against the
// restart is a range lost by the nodes down for it, together with the
// faults that were already down when the last of them went down (those
// the restart could have known of when it decided).
type Observer struct {
	// Grace: faults that went down less than this before the restart's
	// last node did were not knowable to it (failure detection).
	Grace time.Duration

	c      *sim.Cluster
	topo   *ring.Topology
	checks []check
	every  time.Duration

	mu         sync.Mutex
	downSince  map[int]time.Time
	fault      map[int]bool // down because the harness made it so
	violations []string
	seen       map[string]bool
	samples    int
	maxDown    int
	stop, done chan struct{}
}

type check struct {
	ks ring.Keyspace
	cl ring.ConsistencyLevel
}

// Keep is a keyspace and the levels it must keep.
type Keep struct {
	Name        string
	Replication map[string]string
	Levels      []ring.ConsistencyLevel
}

// NewObserver builds the ring from the simulator's nodes.
func NewObserver(c *sim.Cluster, keep []Keep, every time.Duration) (*Observer, error) {
	var eps []ring.Endpoint
	for _, n := range c.Nodes() {
		e := ring.Endpoint{Name: n.Endpoint(), DC: n.DC, Rack: n.Rack}
		for _, t := range n.Tokens {
			e.Tokens = append(e.Tokens, ring.Token(t))
		}
		eps = append(eps, e)
	}
	t, err := ring.NewTopology(eps)
	if err != nil {
		return nil, err
	}
	o := &Observer{c: c, topo: t, every: every, seen: map[string]bool{}, downSince: map[int]time.Time{}, fault: map[int]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, k := range keep {
		r, err := ring.ParseReplication(k.Replication)
		if err != nil {
			return nil, fmt.Errorf("keyspace %s: %w", k.Name, err)
		}
		for _, cl := range k.Levels {
			o.checks = append(o.checks, check{ring.Keyspace{Name: k.Name, Replication: r}, cl})
		}
	}
	return o, nil
}

// Fault marks node i as brought down by the harness (until it is up again).
func (o *Observer) Fault(i int) {
	o.mu.Lock()
	o.fault[i] = true
	o.mu.Unlock()
}

// Run samples until Stop.
func (o *Observer) Run() {
	defer close(o.done)
	t := time.NewTicker(o.every)
	defer t.Stop()
	for {
		o.sample()
		select {
		case <-o.stop:
			return
		case <-t.C:
		}
	}
}

// Stop ends sampling and returns the violations seen.
func (o *Observer) Stop() (violations []string, samples, maxDown int) {
	close(o.stop)
	<-o.done
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.violations, o.samples, o.maxDown
}

func (o *Observer) sample() {
	now := time.Now()
	nodes := o.c.Nodes()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.samples++
	var restartDown []int
	for i, n := range nodes {
		up := n.State() == sim.StateRunning
		if up {
			delete(o.downSince, i)
			delete(o.fault, i)
			continue
		}
		if _, ok := o.downSince[i]; !ok {
			o.downSince[i] = now
		}
		if !o.fault[i] {
			restartDown = append(restartDown, i)
		}
	}
	o.maxDown = max(o.maxDown, len(restartDown))
	if len(restartDown) == 0 {
		return
	}
	var last time.Time
	for _, i := range restartDown {
		if o.downSince[i].After(last) {
			last = o.downSince[i]
		}
	}
	var known []int
	for i := range o.fault {
		if s, ok := o.downSince[i]; ok && s.Before(last.Add(-o.Grace)) {
			known = append(known, i)
		}
	}
	sort.Ints(known)
	all := append(append([]int(nil), known...), restartDown...)
	for _, ch := range o.checks {
		for _, dc := range o.dcsFor(ch) {
			before, err1 := o.topo.NewAvailability([]ring.Keyspace{ch.ks}, dc, known)
			after, err2 := o.topo.NewAvailability([]ring.Keyspace{ch.ks}, dc, all)
			if err1 != nil || err2 != nil {
				o.violations = append(o.violations, fmt.Sprintf("observer: %v %v", err1, err2))
				return
			}
			nb, _ := before.UnavailableCount(ch.ks.Name, ch.cl)
			na, _ := after.UnavailableCount(ch.ks.Name, ch.cl)
			if na > nb {
				var names, fs []string
				for _, i := range restartDown {
					names = append(names, fmt.Sprintf("%s (down %s)", nodes[i].Endpoint(), o.downSince[i].Format("15:04:05.000")))
				}
				for i := range o.fault {
					fs = append(fs, fmt.Sprintf("%s (down %s)", nodes[i].Endpoint(), o.downSince[i].Format("15:04:05.000")))
				}
				sort.Strings(fs)
				msg := fmt.Sprintf("%s at %s from %s: %d more range(s) unavailable with %s down for the restart; faults down: %s",
					ch.ks.Name, ch.cl, dc, na-nb, strings.Join(names, ", "), strings.Join(fs, ", "))
				if !o.seen[msg] {
					o.seen[msg] = true
					o.violations = append(o.violations, now.Format("15:04:05.000")+": "+msg)
				}
			}
		}
	}
}

// dcsFor: DC-local levels are judged from every DC with replicas, others once.
func (o *Observer) dcsFor(ch check) []string {
	local := ch.cl == ring.LocalQuorum || ch.cl == ring.LocalOne || ch.cl == ring.LocalSerial
	if !local {
		return o.topo.DCs()[:1]
	}
	var out []string
	for _, dc := range o.topo.DCs() {
		if ch.ks.Replication.RFIn(dc).All > 0 {
			out = append(out, dc)
		}
	}
	return out
}

// Starts returns every node's process start count (ground truth).
func Starts(c *sim.Cluster) []int {
	var out []int
	for _, n := range c.Nodes() {
		out = append(out, n.Status().Starts)
	}
	return out
}
