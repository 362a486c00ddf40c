package bulk

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/fanout"
)

// BenchmarkFanout compares one fan-out of getcompactionthroughput to
// every node of a large simulated cluster (each node with its own
// sidecar server, as in the end-to-end tests) at peers.concurrency 64 (the
// default before issue 15) and the default now (fanout.DefaultConcurrency) with
// asking the same sidecars one after the other, in the same run:
//
//	go test -run '^$' -bench BenchmarkFanout -benchtime 3x ./bulk
//
// RINGSIDE_BENCH_NODES sets the cluster size (default 1000, two DCs of
// ten racks). Two cases: the simulator's JMX as it is (sub-millisecond,
// so the sidecars' own work is measured), and with 13 ms added to each
// JMX call, what a real 4.1.6 node's Jolokia agent took to answer one
// attribute read (testdata/cassandra-4.1.6/jolokia/drain.txt: 12.8–14.3 ms).
//
// Metrics: fanout-ms (one fan-out, wall time; also ns/op), sequential-ms
// (the loop), slowest-node-ms and median-node-ms (one sidecar alone, from
// the loop), fanout/slowest (the fan-out against its floor, the slowest
// single node) and speedup (sequential/fanout).
func BenchmarkFanout(b *testing.B) {
	nodes := 1000
	if v, err := strconv.Atoi(os.Getenv("RINGSIDE_BENCH_NODES")); err == nil && v >= 20 {
		nodes = v
	}
	perRack := nodes / 20
	bc := startBulkCluster(b, fmt.Sprintf("dc1:10x%d,dc2:10x%d", perRack, perRack), false, time.Minute)
	for _, lat := range []time.Duration{0, 13 * time.Millisecond} {
		for _, s := range bc.nodes {
			s.jmxDelay.Store(int64(lat))
		}
		// peers.concurrency: the old default 64, and the default now.
		for _, conc := range []int{64, fanout.DefaultConcurrency} {
			bc.client.Concurrency = conc
			b.Run(fmt.Sprintf("jmx=%s/concurrency=%d", lat, conc), func(b *testing.B) { benchFanout(b, bc) })
		}
	}
}

func benchFanout(b *testing.B, bc *bulkCluster) {
	nodes := len(bc.nodes)
	// Connections kept to every sidecar, as the fan-out client keeps them.
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	post := func(url, body string) []byte {
		resp, err := hc.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var raw json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %s %v", url, resp.StatusCode, raw, err)
		}
		return raw
	}
	fanout := func() {
		var a Answer
		json.Unmarshal(post(bc.nodes[0].srv.URL+"/v1/bulkcmd/getcompactionthroughput", ``), &a)
		if len(a.Success) != nodes {
			b.Fatalf("fan-out: %d of %d nodes succeeded; failures %v", len(a.Success), nodes, a.Failure)
		}
	}
	fanout() // warm up: connections
	for _, s := range bc.nodes {
		post(s.srv.URL+"/v1/peer/bulkcmd/getcompactionthroughput", `{}`)
	}

	var fan, seq, slowest, median time.Duration
	var ratio float64
	for b.Loop() {
		t0 := time.Now()
		fanout()
		f := time.Since(t0)

		t1 := time.Now()
		each := make([]time.Duration, nodes)
		for i, s := range bc.nodes {
			t := time.Now()
			post(s.srv.URL+"/v1/peer/bulkcmd/getcompactionthroughput", `{}`)
			each[i] = time.Since(t)
		}
		seq += time.Since(t1)
		slices.Sort(each)
		fan += f
		slowest += each[nodes-1]
		median += each[nodes/2]
		ratio += float64(f) / float64(each[nodes-1])
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(float64(fan.Nanoseconds())/n, "ns/op")
	b.ReportMetric(ms(fan), "fanout-ms")
	b.ReportMetric(ms(seq), "sequential-ms")
	b.ReportMetric(ms(slowest), "slowest-node-ms")
	b.ReportMetric(ms(median), "median-node-ms")
	b.ReportMetric(ratio/n, "fanout/slowest")
	b.ReportMetric(float64(seq)/float64(fan), "speedup")
	b.ReportMetric(float64(nodes), "nodes")
}
