package health

import (
	"sync"
	"time"

	"github.com/ringside/ringside/node"
)

// Outages remembers, from one node's gossip view fed to it refresh after
// refresh, when each endpoint went down and came back: what the routing
// answer's uptime and hint window rules are judged on. Cassandra keeps no
// such history (Gossiper.getEndpointDowntime is the current outage only,
// 0 once the endpoint is back), so the sidecar keeps it, in memory: a
// sidecar that restarts starts again from "up since I started watching".
//
// It is driven by the times it is given, never the clock, and safe for
// concurrent use.
type Outages struct {
	mu sync.Mutex
	// since is when the current unbroken stretch of views began (zero:
	// no view yet); every endpoint's up_since is at least this.
	since    time.Time
	blind    bool      // the last observation had no view
	blindAt  time.Time // when the view was lost
	lastBlnd Gap       // the last stretch without a view
	eps      map[string]*epHistory
}

// Gap is a stretch of time without a view.
type Gap struct{ From, To time.Time }

type epHistory struct {
	down      bool
	downSince time.Time // when first seen down in the current outage
	upSince   time.Time // when first seen up after the last outage (zero: never seen down)
	// longest is the longest outage seen (kept for the sidecar's life: a
	// node down past max_hint_window has missed writes until a repair,
	// however long it has been back since).
	longest          time.Duration
	longFrom, longTo time.Time
	lastFrom, lastTo time.Time // the last completed outage
	outages          int
}

// NewOutages is an empty history.
func NewOutages() *Outages { return &Outages{eps: map[string]*epHistory{}} }

// Observe records one view taken at now: endpoints are those the view
// knows (this node and its peers), down those of them it sees down.
// viewOK false (this node's Cassandra not answering, no liveness read)
// means nothing can be told: it opens a gap, and once views come back
// every endpoint counts as up only from then on.
func (o *Outages) Observe(now time.Time, endpoints []string, down func(string) bool, viewOK bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !viewOK {
		if !o.blind {
			o.blind, o.blindAt = true, now
		}
		return
	}
	if o.blind || o.since.IsZero() {
		if o.blind {
			o.lastBlnd = Gap{From: o.blindAt, To: now}
		}
		o.blind, o.since = false, now
	}
	for _, ep := range endpoints {
		h := o.eps[ep]
		if h == nil {
			h = &epHistory{}
			o.eps[ep] = h
		}
		switch d := down(ep); {
		case d && !h.down:
			h.down, h.downSince = true, now
		case !d && h.down:
			h.down, h.upSince = false, now
			h.outages++
			h.lastFrom, h.lastTo = h.downSince, now
			if dur := now.Sub(h.downSince); dur > h.longest {
				h.longest, h.longFrom, h.longTo = dur, h.downSince, now
			}
		}
	}
}

// EndpointHistory is what Outages knows of one endpoint.
type EndpointHistory struct {
	// Known: the endpoint was in some view.
	Known bool
	Down  bool
	// DownSince: when the current outage was first seen (Down only).
	DownSince time.Time
	// UpSince: since when it has been seen up without a break: the end
	// of its last outage, or the start of the views' unbroken stretch.
	UpSince time.Time
	// Outages counts the completed outages seen; Last is the latest.
	Outages          int
	LastFrom, LastTo time.Time
	Longest          time.Duration
	LongFrom, LongTo time.Time
}

// History is a copy of what is known, for a pure judgement.
type History struct {
	// Since is when the current unbroken stretch of views began (zero: none).
	Since time.Time
	// Blind: the latest observation had no view (since BlindAt).
	Blind   bool
	BlindAt time.Time
	// LastGap is the last stretch without a view, if any.
	LastGap   Gap
	Endpoints map[string]EndpointHistory
}

// History returns a copy of the history.
func (o *Outages) History() History {
	o.mu.Lock()
	defer o.mu.Unlock()
	h := History{Since: o.since, Blind: o.blind, BlindAt: o.blindAt, LastGap: o.lastBlnd, Endpoints: make(map[string]EndpointHistory, len(o.eps))}
	for ep, e := range o.eps {
		up := e.upSince
		if up.Before(o.since) {
			up = o.since
		}
		h.Endpoints[ep] = EndpointHistory{Known: true, Down: e.down, DownSince: e.downSince, UpSince: up,
			Outages: e.outages, LastFrom: e.lastFrom, LastTo: e.lastTo, Longest: e.longest, LongFrom: e.longFrom, LongTo: e.longTo}
	}
	return h
}

// ObserveSnapshot records what s's gossip view says, at s.Taken: the
// endpoints are this node and its peers; one is down when gossip lists it
// unreachable or not live. Without a view (Cassandra not running, no live
// endpoint read) it records a gap.
func (o *Outages) ObserveSnapshot(s *node.Snapshot) {
	if s == nil || s.Taken.IsZero() {
		return
	}
	eps := make([]string, 0, len(s.Peers)+1)
	if s.Endpoint != "" {
		eps = append(eps, s.Endpoint)
	}
	for _, p := range s.Peers {
		if p.Endpoint != "" {
			eps = append(eps, p.Endpoint)
		}
	}
	live, unreachable := nameSet(s.LiveEndpoints), nameSet(s.UnreachableEndpoints)
	ok := snapshotHasView(s)
	o.Observe(s.Taken, eps, func(ep string) bool { return unreachable.has(ep) || !live.has(ep) }, ok && len(eps) > 0)
}

// snapshotHasView: s has a gossip view of the cluster to judge liveness by.
func snapshotHasView(s *node.Snapshot) bool {
	return s.CassandraRunning && len(s.LiveEndpoints) > 0
}
