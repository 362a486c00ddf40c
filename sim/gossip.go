package sim

import (
	"net/netip"
	"time"

	"github.com/ringside/ringside/sim/native"
)

// Failure detection. Every live node keeps its own view of which peers are
// down. A peer that shut down gracefully (stop, drain, stopGossiping)
// announces it, and the others mark it down at once, as Gossiper.stop() does
// with its shutdown message. A peer that went silent (killed, or cut off by a
// partition) is marked down only after Config.FailureDetection, as the phi
// accrual detector would. A returning peer is seen up after upDelay.

const upDelay = 100 * time.Millisecond

// reachable reports whether observer i can currently hear j over gossip, and
// if not, since when it could not.
func (c *Cluster) reachable(i, j *Node) (bool, time.Time, bool) {
	if !j.gossip {
		return false, j.silentSince, j.announced
	}
	if c.groups != nil && c.groups[i.idx] != c.groups[j.idx] {
		return false, c.partitionSince, false
	}
	return true, j.upSince, false
}

// recompute updates every observer's view at time now and pushes
// STATUS_CHANGE events for each transition. It schedules itself again for
// the next pending deadline. c.mu must be held.
func (c *Cluster) recompute(now time.Time) {
	next := time.Time{}
	for _, i := range c.nodes {
		if !i.gossip {
			continue
		}
		for _, j := range c.nodes {
			if i == j {
				continue
			}
			ok, since, announced := c.reachable(i, j)
			seenDown := i.down[j.idx]
			var due time.Time
			if ok && seenDown {
				due = since.Add(upDelay)
			} else if !ok && !seenDown {
				if announced {
					due = since
				} else {
					due = since.Add(c.cfg.FailureDetection)
				}
			} else {
				continue
			}
			if !due.After(now) {
				if ok {
					delete(i.down, j.idx)
					i.push(native.Event{Type: "STATUS_CHANGE", Change: "UP", Addr: j.nativeAddrPort()})
				} else {
					i.down[j.idx] = true
					i.push(native.Event{Type: "STATUS_CHANGE", Change: "DOWN", Addr: j.nativeAddrPort()})
				}
				continue
			}
			if next.IsZero() || due.Before(next) {
				next = due
			}
		}
	}
	if !next.IsZero() && (c.nextCheck.IsZero() || next.Before(c.nextCheck) || !c.nextCheck.After(now)) {
		c.nextCheck = next
		d := time.Until(next)
		if c.timer != nil {
			c.timer.Stop()
		}
		c.timer = time.AfterFunc(d, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.closed {
				return
			}
			c.nextCheck = time.Time{}
			c.recompute(time.Now())
		})
	}
}

// sees reports whether observer i considers j up (i itself is always up to itself).
func (c *Cluster) sees(i, j *Node) bool {
	if i == j {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !i.down[j.idx]
}

// liveView returns the nodes i considers up (including itself) and down.
func (c *Cluster) liveView(i *Node) (up, down []*Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range c.nodes {
		if j == i || !i.down[j.idx] {
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
