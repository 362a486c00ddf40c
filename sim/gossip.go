package sim

import (
	"container/heap"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/sim/native"
)

// Failure detection. Every live node keeps its own view of which peers are
// down. A peer that shut down gracefully (stop, drain, stopGossiping)
// announces it and the others mark it down at once, as Gossiper.stop()
// does with its GOSSIP_SHUTDOWN message to every live member. A peer that
// went silent (killed, or cut off by a partition) is convicted by each
// observer's phi accrual detector, modelled on 4.1's gms/FailureDetector.java:
//
//   - Every observer keeps an ArrivalWindow per peer: the intervals between
//     the heartbeats it learnt of (up to SAMPLE_SIZE 1000). The first report
//     of a fresh window adds INITIAL_VALUE (2 gossip intervals); a gap
//     longer than that (a partition) is not recorded. A window is cleared
//     when the peer returns with a new generation (Gossiper.notifyFailureDetector)
//     and is empty in a freshly started observer.
//   - phi = (now - tLast) / mean, and Gossiper.doStatusCheck, once per
//     gossip round, convicts when phi / ln(10) > phi_convict_threshold: a
//     silence of threshold·ln(10) ≈ 18.4 mean intervals at the default 8.
//
// Nothing runs per heartbeat: heartbeats arrive about once per gossip round
// (the mean interval of a pair is 1.00–1.04 rounds: rounds run with a fixed
// delay and not every round brings news of every peer), so the window's
// mean, the last arrival before a silence and the observer's status-check
// phase are computed in closed form, and one timer wakes the cluster at
// the next pending transition. An idle cluster schedules nothing.
// A returning peer is seen up within one to two gossip rounds.

// Constants of gms/FailureDetector.java and ArrivalWindow.
const (
	fdSampleSize = 1000 // FailureDetector.SAMPLE_SIZE
	fdInitial    = 2    // INITIAL_VALUE_NANOS = Gossiper.intervalInMillis * 2
	// fdMeanSpread: a pair's mean heartbeat interval is 1 to 1+spread
	// gossip intervals. With the real profile's 1 s rounds this puts a
	// killed node's conviction at 17.4–20.2 s, 18.8 s on average; a real
	// 4.1.6 cluster showed 18.6–18.9 s (docs/real-node.md).
	fdMeanSpread = 0.04
)

// fdEpoch anchors the status-check rounds (time.Time{} is too far back for a Duration).
var fdEpoch = time.Unix(0, 0)

// fdFactor is threshold·ln(10): the silence, in mean intervals, that makes
// PHI_FACTOR·phi exceed the threshold (PHI_FACTOR = 1/ln(10)).
func (c *Config) fdFactor() float64 { return c.PhiConvictThreshold * math.Ln10 }

// detectionBound is the time by which every observer with a settled window
// has convicted a silent peer: the largest mean times the factor, plus a
// status-check round.
func (c *Config) detectionBound() time.Duration {
	return time.Duration(float64(c.GossipInterval) * (c.fdFactor()*(1+fdMeanSpread) + 1))
}

// normalizeGossip derives the gossip interval from an explicit
// FailureDetection, or FailureDetection from the interval.
func (c *Config) normalizeGossip() {
	if c.FailureDetection > 0 {
		c.GossipInterval = time.Duration(float64(c.FailureDetection) / (c.fdFactor()*(1+fdMeanSpread) + 1))
	}
	c.FailureDetection = c.detectionBound()
}

// validateGossip checks the failure detector's settings; the messages name
// the YAML key and the `ringside sim` flag.
func (c *Config) validateGossip() error {
	// DatabaseDescriptor.applySimpleConfig's bounds and message.
	if !(c.PhiConvictThreshold >= 5 && c.PhiConvictThreshold <= 16) {
		return fmt.Errorf("phi_convict_threshold (--phi-convict-threshold) must be between 5 and 16, but was %s", javaDouble(c.PhiConvictThreshold))
	}
	if c.FailureDetection < 0 {
		return fmt.Errorf("failure_detection (--failure-detection) must be positive, or 0 to follow gossip_interval; not %s", c.FailureDetection)
	}
	if c.FailureDetection == 0 && (c.GossipInterval <= 0 || c.GossipInterval > time.Minute) {
		return fmt.Errorf("gossip_interval (--gossip-interval) must be positive and at most 1m, not %s", c.GossipInterval)
	}
	if c.FailureDetection > time.Hour {
		return fmt.Errorf("failure_detection (--failure-detection) must be at most 1h, not %s", c.FailureDetection)
	}
	return nil
}

// javaDouble is Double.toString for the values settings show ("8.0", "12.5").
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".NI") {
		s += ".0"
	}
	return s
}

// reachable reports whether observer i can currently hear j over gossip, and
// if not, since when it could not and whether j announced its shutdown.
func (c *Cluster) reachable(i, j *Node) (bool, time.Time, bool) {
	if !j.gossip {
		return false, j.silentSince, j.announced
	}
	if c.groups != nil && c.groups[i.idx] != c.groups[j.idx] {
		return false, c.partitionSince, false
	}
	return true, j.upSince, false
}

// mix is splitmix64: the pseudo-random but repeatable draws of the model,
// so that re-evaluating a pair gives the same answer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// draw returns a number in [0, 1) determined by its arguments.
func (c *Cluster) draw(a, b int, t time.Time, salt uint64) float64 {
	h := mix(c.cfg.Seed ^ salt ^ mix(uint64(a)<<32|uint64(uint32(b))) ^ mix(uint64(t.UnixNano())))
	return float64(h>>11) / (1 << 53)
}

// windowStart is when i's arrival window for j began; zero for a window
// filled long ago (both nodes up since the cluster started).
func windowStart(i, j *Node) time.Time {
	if j.fdSince.After(i.fdSince) {
		return j.fdSince
	}
	return i.fdSince
}

// windowMean is the mean of an ArrivalWindow after n reports m apart
// (gossip interval iv): ArrayBackedBoundedStats holds INITIAL_VALUE first,
// then one interval per report, until 1000 samples push the initial out.
func windowMean(iv, m float64, n int) float64 {
	if n > fdSampleSize {
		return m
	}
	return (fdInitial*iv + float64(n-1)*m) / float64(n)
}

// convictAt is when observer i's detector convicts j, silent since s.
func (c *Cluster) convictAt(i, j *Node, s time.Time) time.Time {
	iv := float64(c.cfg.GossipInterval)
	m := iv * (1 + fdMeanSpread*c.draw(i.idx, j.idx, fdEpoch, 1))
	// The last heartbeat i heard arrived up to one interval before the silence.
	tLast := s.Add(-time.Duration(m * c.draw(i.idx, j.idx, s, 2)))
	mean := m
	if ws := windowStart(i, j); !ws.IsZero() {
		if tLast.Before(ws) {
			tLast = ws
		}
		mean = windowMean(iv, m, int(float64(tLast.Sub(ws))/m)+1)
	}
	due := tLast.Add(time.Duration(c.cfg.fdFactor() * mean))
	// doStatusCheck runs every round at i's own phase; conviction takes phi
	// strictly above the threshold, so the first check after due.
	phase := fdEpoch.Add(time.Duration(iv * c.draw(i.idx, 0, i.startedAt, 3)))
	rounds := due.Sub(phase) / c.cfg.GossipInterval
	return phase.Add((rounds + 1) * c.cfg.GossipInterval)
}

// transition returns when i's view of j changes next (ok false: it does
// not). c.mu must be held.
func (c *Cluster) transition(i, j *Node) (due time.Time, up, ok bool) {
	if i == j || !i.gossip {
		return time.Time{}, false, false
	}
	reach, since, announced := c.reachable(i, j)
	_, seenDown := i.down[j.idx]
	switch {
	case reach && seenDown:
		// Marked alive once gossip about it arrives: within a round or two.
		return since.Add(time.Duration(float64(c.cfg.GossipInterval) * (1 + c.draw(i.idx, j.idx, since, 4)))), true, true
	case !reach && !seenDown && announced:
		return since, false, true
	case !reach && !seenDown:
		return c.convictAt(i, j, since), false, true
	}
	return time.Time{}, false, false
}

// fdState is the cluster's pending failure-detector transitions: one entry
// per (observer, peer) pair whose view will change, in a heap by time.
type fdState struct {
	pending map[uint64]time.Time
	wakes   fdHeap
}

type fdWake struct {
	at   time.Time
	i, j int32
}

type fdHeap []fdWake

func (h fdHeap) Len() int           { return len(h) }
func (h fdHeap) Less(a, b int) bool { return h[a].at.Before(h[b].at) }
func (h fdHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *fdHeap) Push(x any)        { *h = append(*h, x.(fdWake)) }
func (h *fdHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func pairKey(i, j *Node) uint64 { return uint64(i.idx)<<32 | uint64(j.idx) }

// eval applies i's view change of j if it is due, or schedules it. c.mu held.
func (c *Cluster) eval(i, j *Node, now time.Time) {
	key := pairKey(i, j)
	due, up, ok := c.transition(i, j)
	if !ok {
		delete(c.fd.pending, key)
		return
	}
	if !due.After(now) {
		delete(c.fd.pending, key)
		if up {
			delete(i.down, j.idx)
			i.push(native.Event{Type: "STATUS_CHANGE", Change: "UP", Addr: j.nativeAddrPort()})
		} else {
			i.down[j.idx] = now
			i.push(native.Event{Type: "STATUS_CHANGE", Change: "DOWN", Addr: j.nativeAddrPort()})
		}
		return
	}
	if c.fd.pending == nil {
		c.fd.pending = map[uint64]time.Time{}
	}
	if at, ok := c.fd.pending[key]; ok && at.Equal(due) {
		return
	}
	c.fd.pending[key] = due
	heap.Push(&c.fd.wakes, fdWake{at: due, i: int32(i.idx), j: int32(j.idx)})
}

// nodeChanged re-evaluates every pair n is part of, after n's gossip
// started or stopped. c.mu must be held.
func (c *Cluster) nodeChanged(n *Node, now time.Time) {
	if c.closed {
		return // Close halts every node: nobody is left to notice
	}
	for _, o := range c.nodes {
		if o != n {
			c.eval(o, n, now)
			c.eval(n, o, now)
		}
	}
	c.arm(now)
}

// recompute re-evaluates every pair (partitions change them all). c.mu must be held.
func (c *Cluster) recompute(now time.Time) {
	for _, i := range c.nodes {
		for _, j := range c.nodes {
			if i != j {
				c.eval(i, j, now)
			}
		}
	}
	c.arm(now)
}

// arm sets the timer for the earliest pending transition. c.mu must be held.
func (c *Cluster) arm(now time.Time) {
	for len(c.fd.wakes) > 0 {
		w := c.fd.wakes[0]
		if at, ok := c.fd.pending[uint64(w.i)<<32|uint64(w.j)]; ok && at.Equal(w.at) {
			break
		}
		heap.Pop(&c.fd.wakes) // superseded
	}
	if len(c.fd.wakes) == 0 {
		return
	}
	next := c.fd.wakes[0].at
	if !c.nextCheck.IsZero() && c.nextCheck.After(now) && !next.Before(c.nextCheck) {
		return // the timer already fires in time
	}
	c.nextCheck = next
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(next.Sub(now), c.wake)
}

// wake applies every transition that is due.
func (c *Cluster) wake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	now := time.Now()
	c.nextCheck = time.Time{}
	for len(c.fd.wakes) > 0 && !c.fd.wakes[0].at.After(now) {
		w := heap.Pop(&c.fd.wakes).(fdWake)
		key := uint64(w.i)<<32 | uint64(w.j)
		if at, ok := c.fd.pending[key]; ok && at.Equal(w.at) {
			delete(c.fd.pending, key)
			c.eval(c.nodes[w.i], c.nodes[w.j], now)
		}
	}
	c.arm(now)
}

// heartbeat is p's heartbeat version at t: HeartBeatState counts one per
// gossip round (Gossiper.GossipTask) from the node's start.
func (c *Cluster) heartbeat(p *Node, t time.Time) int32 {
	return int32(max(0, min(t.Sub(p.startedAt)/c.cfg.GossipInterval, math.MaxInt32-1)))
}

// sees reports whether observer i considers j up (i itself is always up to itself).
func (c *Cluster) sees(i, j *Node) bool {
	if i == j {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, down := i.down[j.idx]
	return !down
}

// liveView returns the nodes i considers up (including itself) and down.
func (c *Cluster) liveView(i *Node) (up, down []*Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range c.nodes {
		if _, d := i.down[j.idx]; j == i || !d {
			up = append(up, j)
		} else {
			down = append(down, j)
		}
	}
	return up, down
}

func (n *Node) nativeAddrPort() netip.AddrPort {
	return netip.AddrPortFrom(n.Addr, uint16(n.c.cfg.NativePort))
}

// push queues an event for this node's registered clients, if its native
// transport runs. c.mu must be held.
func (n *Node) push(ev native.Event) {
	if n.events != nil {
		select {
		case n.events <- ev:
		default: // a client that cannot keep up loses events, as with a full Netty buffer
		}
	}
}
