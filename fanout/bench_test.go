package fanout

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFanoutWidth fans one request out to N peer sidecars, each a
// real HTTP server on its own loopback address (so the client keeps one
// connection per peer, as with real nodes) that answers after a simulated
// JMX call of 12.8–14.3 ms, what a real 4.1.6 node's Jolokia agent took
// (testdata/cassandra-4.1.6/jolokia/drain.txt), spread over the nodes:
//
//	go test -run '^$' -bench BenchmarkFanoutWidth -benchtime 5x ./fanout
//
// RINGSIDE_BENCH_NODES sets N (default 1000). Widths: 64 (the old
// default) to 512, the default (DefaultConcurrency, bounded as Do bounds
// it) and unlimited (one per node), the baseline, in the same run; jmx=0
// measures the CPU floor of serving N requests in one process.
//
// Metrics: fanout-ms (one fan-out; also ns/op), slowest-node-ms (the
// slowest node asked alone, each iteration), fanout/slowest (the target:
// at most 2), sent-ms (when the last request reached its peer), width, dials/op (new connections per fan-out: 0 when they
// are reused) and peak-in-flight.
func BenchmarkFanoutWidth(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("RINGSIDE_BENCH_NODES")); err == nil && v >= 1 {
		n = v
	}
	peers := startPeers(b, n)
	var dials atomic.Int64
	tr := &http.Transport{
		// The sidecar's peer transport (sidecar/security.go).
		MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	b.Cleanup(tr.CloseIdleConnections)
	req := Request{Method: "POST", Path: "/v1/peer/bulkcmd/getcompactionthroughput", Body: []byte(`{}`)}
	for _, jmx := range []bool{false, true} {
		peers.jmx.Store(jmx)
		for _, w := range []int{64, 128, 256, 512, 0, n} {
			name := strconv.Itoa(w)
			switch w {
			case 0:
				name = "default"
			case n:
				name = "unlimited"
			}
			lat := "0"
			if jmx {
				lat = "12.8-14.3ms"
			}
			c := &Client{HTTP: &http.Client{Transport: tr}, Concurrency: w, Timeout: time.Minute}
			b.Run(fmt.Sprintf("nodes=%d/jmx=%s/width=%s", n, lat, name), func(b *testing.B) {
				check := func(rs []Result) {
					for _, r := range rs {
						if !r.Success {
							b.Fatalf("%s: %s", r.HostID, r.Error)
						}
					}
				}
				check(c.Do(context.Background(), peers.targets, req)) // connections, as the health refresh keeps them
				dials.Store(0)
				peers.peak.Store(0)
				var fan, slow, sent time.Duration
				var ratio float64
				for b.Loop() {
					t0 := time.Now()
					check(c.Do(context.Background(), peers.targets[n-1:], req))
					s := time.Since(t0)
					t1 := time.Now()
					check(c.Do(context.Background(), peers.targets, req))
					f := time.Since(t1)
					sent += time.Duration(peers.last.Load() - t1.UnixNano())
					slow += s
					fan += f
					ratio += float64(f) / float64(s)
				}
				k := float64(b.N)
				b.ReportMetric(float64(fan.Nanoseconds())/k, "ns/op")
				b.ReportMetric(float64(fan)/float64(time.Millisecond)/k, "fanout-ms")
				b.ReportMetric(float64(slow)/float64(time.Millisecond)/k, "slowest-node-ms")
				b.ReportMetric(float64(sent)/float64(time.Millisecond)/k, "sent-ms")
				b.ReportMetric(ratio/k, "fanout/slowest")
				b.ReportMetric(float64(c.Width(n)), "width")
				b.ReportMetric(float64(dials.Load())/k, "dials/op")
				b.ReportMetric(float64(peers.peak.Load()), "peak-in-flight")
			})
		}
	}
}

type benchPeers struct {
	targets []Target
	jmx     atomic.Bool
	in      atomic.Int64
	peak    atomic.Int64
	last    atomic.Int64 // when the latest request arrived, in unix ns
}

// startPeers starts n peers on 127.1.x.y, the slowest last. Each is a
// bare HTTP/1.1 responder, not net/http's server, so that the CPU the
// peers take in this process (on a real cluster: on their own nodes)
// stays small beside the fan-out client's, which is what is measured;
// the answer is WritePeerAnswer's bytes.
func startPeers(b *testing.B, n int) *benchPeers {
	rec := httptest.NewRecorder()
	WritePeerAnswer(rec, map[string]int{"CompactionThroughputMbPerSec": 64}, nil, 0)
	answer := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		rec.Header().Get("Content-Type"), rec.Body.Len(), rec.Body.Bytes()))
	p := &benchPeers{}
	for i := range n {
		ip := fmt.Sprintf("127.1.%d.%d", i/250, i%250+1)
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			b.Fatalf("node %d: %v (raise ulimit -n?)", i, err)
		}
		b.Cleanup(func() { ln.Close() })
		delay := 12800*time.Microsecond + time.Duration(i)*1500*time.Microsecond/time.Duration(max(n-1, 1))
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				b.Cleanup(func() { c.Close() })
				go p.serve(c, delay, answer)
			}
		}()
		p.targets = append(p.targets, Target{HostID: fmt.Sprintf("node-%d", i), Address: ip, URL: "http://" + ln.Addr().String()})
	}
	return p
}

// serve answers each request on c (headers, then Content-Length bytes of
// body) after delay when jmx is on.
func (p *benchPeers) serve(c net.Conn, delay time.Duration, answer []byte) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		body := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
			if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
				body, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if _, err := br.Discard(body); err != nil {
			return
		}
		for now, l := time.Now().UnixNano(), p.last.Load(); now > l && !p.last.CompareAndSwap(l, now); l = p.last.Load() {
		}
		in := p.in.Add(1)
		for pk := p.peak.Load(); in > pk && !p.peak.CompareAndSwap(pk, in); pk = p.peak.Load() {
		}
		if p.jmx.Load() {
			time.Sleep(delay)
		}
		p.in.Add(-1)
		if _, err := c.Write(answer); err != nil {
			return
		}
	}
}
