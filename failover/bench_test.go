package failover

import (
	"fmt"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim/simtest"
)

// BenchmarkPick compares, in one run and on the same simulated 2-DC
// cluster (3 + 3 nodes, keyspace shop with RF 3 in each DC), gocql's
// TokenAwareHostPolicy over DCAwareRoundRobinPolicy with
// TokenAwareHostPolicy over this policy, both attached to real sessions
// (so token-aware routing has the keyspace's replicas):
//
//	first: Pick and the first host, what a query that succeeds costs;
//	plan: Pick and every host of the plan;
//	fallback: the bare policies (no TokenAware), whole plan.
func BenchmarkPick(b *testing.B) {
	c := simtest.Start(b, "dc1:3x1,dc2:3x1", false, nil)
	createShop(b, c)
	dcAware := gocql.DCAwareRoundRobinPolicy("dc1")
	taDCAware := gocql.TokenAwareHostPolicy(dcAware, gocql.ShuffleReplicas())
	simSession(b, c, taDCAware, nil)
	p, err := New(Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, Keyspaces: []string{"shop"}, HostDownSwitchThreshold: 2, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	taFailover := gocql.TokenAwareHostPolicy(p, gocql.ShuffleReplicas())
	simSession(b, c, taFailover, p.AttachTo)
	deadline := time.Now().Add(10 * time.Second)
	for st := p.Status(); !st.Settled || st.LostRanges != "on"; st = p.Status() {
		if time.Now().After(deadline) {
			b.Fatalf("policy not ready: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stmts := make([]gocql.ExecutableStatement, 64)
	for i := range stmts {
		stmts[i] = stmt{key: []byte(fmt.Sprintf("key-%d", i)), ks: "shop"}
	}
	for _, bc := range []struct {
		name string
		pol  gocql.HostSelectionPolicy
		all  bool
	}{
		{"first/tokenaware-dcaware", taDCAware, false},
		{"first/tokenaware-failover", taFailover, false},
		{"plan/tokenaware-dcaware", taDCAware, true},
		{"plan/tokenaware-failover", taFailover, true},
		{"fallback/dcaware", dcAware, true},
		{"fallback/failover", p, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			i := 0
			for b.Loop() {
				next := bc.pol.Pick(stmts[i%len(stmts)])
				i++
				for h := next(); h != nil; h = next() {
					n++
					if !bc.all {
						break
					}
				}
			}
			if n == 0 {
				b.Fatal("no host picked")
			}
		})
	}
}

// BenchmarkRecomputeLostRanges: one host of a 1,000-node cluster (2 DCs of
// 500 over 3 racks, 256 vnodes each, keyspace NTS dc1:3 dc2:3) goes down
// or comes back, and the policy recomputes the ranges lost at
// LOCAL_QUORUM in every DC and decides (goal: under 10 ms).
func BenchmarkRecomputeLostRanges(b *testing.B) {
	x := bigCluster(b)
	b.ReportAllocs()
	i := 0
	hosts := x.m.model.topo.Len()
	for b.Loop() {
		id := x.m.model.topo.Endpoint((i / 2 * 37) % hosts).Name
		x.m.setUp(x.now, id, i%2 == 0)
		i++
	}
}

// BenchmarkRebuildRangeModel: what a topology or schema change costs on
// the same cluster (run without the policy's lock).
func BenchmarkRebuildRangeModel(b *testing.B) {
	x := bigCluster(b)
	in, reason := x.m.rangeInput()
	if reason != "" {
		b.Fatal(reason)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildRangeModel(in); err != nil {
			b.Fatal(err)
		}
	}
}

var big *tm

func bigCluster(b *testing.B) *tm {
	if big == nil {
		o := Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, Keyspaces: []string{"shop"}, Logger: quiet}
		big = newTM(b, o, genHosts(b, "dc1:500x3,dc2:500x3", 256, 2024), map[string]map[string]string{"shop": nts("dc1", "3", "dc2", "3")})
		if big.m.model == nil {
			b.Fatal(big.m.modelErr)
		}
		// Warm the per-endpoint range indexes, built on first use.
		id := big.m.model.topo.Endpoint(0).Name
		big.m.setUp(big.now, id, false)
		big.m.setUp(big.now, id, true)
	}
	return big
}

// BenchmarkReport: the error-rate hook, once per request.
func BenchmarkReport(b *testing.B) {
	p, _ := testPolicy(b, Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, ErrorRate: ErrorRate{Threshold: 0.5}})
	for _, h := range gocqlHosts(b, genHosts(b, "dc1:3x1,dc2:3x1", 4, 40)) {
		p.AddHost(h)
	}
	p.settleNow()
	errTimeout := fmt.Errorf("query: %w", gocql.ErrTimeoutNoResponse)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%10 == 0 {
			p.Report("dc1", errTimeout)
		} else {
			p.Report("dc1", nil)
		}
		i++
	}
}
