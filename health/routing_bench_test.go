package health

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// BenchmarkRouting1000 is one routing answer computed afresh (what the
// sidecar does once per refresh and question; polls in between are served
// from its cache): 1,000 nodes with 256 vnodes each, 500 per DC, 3 racks
// per DC, keyspaces {dc1:3, dc2:3} and {dc1:3}, two dc1 nodes down, asked
// about dc1 at LOCAL_QUORUM from a dc2 node. Run (figures in
// docs/routing-health.md):
//
//	go test ./health -run '^$' -bench 'BenchmarkRouting1000$' -benchtime 10x -count 3
func BenchmarkRouting1000(b *testing.B) {
	r := rand.New(rand.NewPCG(2026, 16))
	s := &node.Snapshot{Taken: t0, CassandraRunning: true, OperationMode: "NORMAL", Settings: map[string]string{"max_hint_window": "3h"},
		Keyspaces: []node.Keyspace{
			{Name: "app", Replication: map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "3", "dc2": "3"}},
			{Name: "app_dc1", Replication: map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "3"}},
		}}
	var peers []PeerStatus
	for i := 0; i < 1000; i++ {
		dc := "dc1"
		if i >= 500 {
			dc = "dc2"
		}
		ep := fmt.Sprintf("10.%d.%d.%d:7000", i/500, (i%500)/250, i%250+1)
		toks := make([]string, 256)
		for j := range toks {
			toks[j] = strconv.FormatInt(int64(r.Uint64()), 10)
		}
		p := node.Peer{Endpoint: ep, HostID: fmt.Sprintf("host-%d", i), DC: dc, Rack: fmt.Sprintf("rack%d", i%3+1), Tokens: toks}
		if i < 2 {
			s.UnreachableEndpoints = append(s.UnreachableEndpoints, ep)
		} else {
			s.LiveEndpoints = append(s.LiveEndpoints, ep)
		}
		if i == 500 {
			s.Endpoint, s.HostID, s.DC, s.Rack, s.Tokens = p.Endpoint, p.HostID, p.DC, p.Rack, p.Tokens
			continue
		}
		s.Peers = append(s.Peers, p)
		rep := map[string]any{"operation_mode": "NORMAL"}
		AddNodeFacts(rep, noFacts())
		peers = append(peers, PeerStatus{Endpoint: ep, DC: dc, Rack: p.Rack, Reachable: i >= 2, Report: rep})
	}
	o := NewOutages()
	o.ObserveSnapshot(s)
	in := RoutingInput{Snapshot: s, Peers: peers, Self: noFacts(), History: o.History(), MinUptime: time.Minute, Now: t0.Add(time.Hour)}
	q := RoutingQuery{DC: "dc1", CL: mustLevel(b, "LOCAL_QUORUM")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, ok, err := Routing(in, q)
		if err != nil || ok {
			b.Fatalf("%v %v", ok, err)
		}
	}
}

func mustLevel(tb testing.TB, s string) ring.ConsistencyLevel {
	tb.Helper()
	cl, err := ring.ParseConsistencyLevel(s)
	if err != nil {
		tb.Fatal(err)
	}
	return cl
}
