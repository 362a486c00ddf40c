package node

import (
	"context"
	"net/netip"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// In nodetool mode the adapter reads what gossip itself says over CQL:
// system_views.gossip_info (4.1's GossipInfoTable: one row per entry of
// Gossiper.endpointStateMap, with the heartbeat state and the application
// states' values), instead of starting a JVM for statusgossip and
// netstats at every refresh.
const cqlGossipInfo = "SELECT address, port, generation, heartbeat, status, status_with_port FROM system_views.gossip_info"

// GossipState is one row of system_views.gossip_info.
type GossipState struct {
	Endpoint   string // address:port
	Generation int64
	Heartbeat  int64
	// Status is STATUS_WITH_PORT's value, else STATUS's (a 4.x peer
	// gossips only the former), e.g. "NORMAL,-1276551622235670265" or
	// "shutdown,true"; "" when the endpoint has neither.
	Status string
}

// statusName is the status without its arguments: "NORMAL", "shutdown".
func (g GossipState) statusName() string {
	name, _, _ := strings.Cut(g.Status, ",")
	return name
}

// readGossip reads system_views.gossip_info.
func readGossip(ctx context.Context, q func(string) *gocql.Iter) ([]GossipState, error) {
	it := q(cqlGossipInfo)
	var out []GossipState
	var addr string
	var port, gen, hb *int
	var status, statusWithPort *string
	for it.Scan(&addr, &port, &gen, &hb, &status, &statusWithPort) {
		g := GossipState{Endpoint: addr}
		if port != nil {
			g.Endpoint = hostPort(addr, *port)
		}
		if gen != nil {
			g.Generation = int64(*gen)
		}
		if hb != nil {
			g.Heartbeat = int64(*hb)
		}
		switch {
		case statusWithPort != nil && *statusWithPort != "":
			g.Status = *statusWithPort
		case status != nil:
			g.Status = *status
		}
		out = append(out, g)
		port, gen, hb, status, statusWithPort = nil, nil, nil, nil, nil
	}
	return out, it.Close()
}

// modeFromGossip is StorageService's OperationMode as the local node's own
// gossip STATUS tells it, when it does. StorageService sets the gossip
// status right before the mode (startLeaving then setMode(LEAVING); the
// MOVING states then setMode(MOVING); setTokens sets STATUS NORMAL then
// setMode(NORMAL)), and the native transport, whose answer is the premise
// here, starts only after the node joined. "shutdown" (gossip stopped by
// disablegossip; a drain stops the native transport first), "hibernate",
// "removing" and a missing status say nothing about the mode: ok is false
// and netstats must tell.
func modeFromGossip(status string) (mode string, ok bool) {
	switch status {
	case "NORMAL":
		return "NORMAL", true
	case "LEAVING":
		return "LEAVING", true
	case "LEFT":
		return "DECOMMISSIONED", true
	case "MOVING":
		return "MOVING", true
	case "BOOT", "BOOT_REPLACE":
		return "JOINING", true
	}
	return "", false
}

// localStall is how long the local node's own heartbeat may stand still
// while gossip runs: Gossiper's GossipTask increments it every second
// (Gossiper.intervalInMillis), and gossip_info reads the local state
// directly, with no propagation delay.
const localStall = 5 * time.Second

// peerStall is how long a peer's heartbeat, as this node knows it, may
// stand still before it counts as silent. Heartbeats reach this node
// through gossip rounds with random peers, so they arrive in steps; ten
// seconds is well above that and below the failure detector's verdict
// (phi_convict_threshold 8 takes about 18 s of silence).
const peerStall = 10 * time.Second

// heartbeat remembers when an endpoint's heartbeat last moved.
type heartbeat struct {
	generation, value int64
	since             time.Time // first seen with these values
}

// observe updates the heartbeat memory with rows read at now and returns
// for each endpoint how long its heartbeat has stood still (0 when it just
// moved or is seen for the first time).
func observe(mem map[string]heartbeat, rows []GossipState, now time.Time) map[string]time.Duration {
	still := make(map[string]time.Duration, len(rows))
	seen := make(map[string]bool, len(rows))
	for _, g := range rows {
		seen[g.Endpoint] = true
		h, ok := mem[g.Endpoint]
		if !ok || h.generation != g.Generation || h.value != g.Heartbeat {
			mem[g.Endpoint] = heartbeat{generation: g.Generation, value: g.Heartbeat, since: now}
			still[g.Endpoint] = 0
			continue
		}
		still[g.Endpoint] = now.Sub(h.since)
	}
	for ep := range mem {
		if !seen[ep] {
			delete(mem, ep)
		}
	}
	return still
}

// localGossip derives the local node's gossip state from its own row:
// gossip stopped (Gossiper.stop() announces "shutdown" in STATUS and
// STATUS_WITH_PORT, then cancels the gossip task, which is what
// StorageService.isGossipRunning reads) or running (the heartbeat moves).
// known is false when the row cannot tell: no row (gossip never started),
// or a heartbeat that stopped without an announcement (Gossiper.stop()
// stays silent for a node that has not joined or is in a silent state).
func localGossip(row GossipState, still time.Duration) (running, known bool) {
	if row.statusName() == "shutdown" {
		return false, true
	}
	if still >= localStall {
		return false, false
	}
	return true, true
}

// peerSilent: as this node's gossip sees it, the peer has gone away: it
// announced its shutdown (Gossiper.markAsShutdown), or its heartbeat has
// not moved for peerStall.
func peerSilent(row GossipState, still time.Duration) bool {
	return row.statusName() == "shutdown" || still >= peerStall
}

// sameEndpoint compares address:port forms ("127.0.0.1:7000", "[::1]:7000").
func sameEndpoint(a, b string) bool {
	if a == b {
		return true
	}
	pa, ea := netip.ParseAddrPort(a)
	pb, eb := netip.ParseAddrPort(b)
	return ea == nil && eb == nil && pa == pb
}
