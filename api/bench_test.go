package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// fixedSource is a Source whose map is never written after creation, so
// reads need no lock (as the sidecar's atomic pointer swap gives).
type fixedSource map[string]Report

func (s fixedSource) Report(name string) (Report, bool) { r, ok := s[name]; return r, ok }

// bareHandler is the yardstick: the same bytes, status and content type
// as a healthy GET /v1/health/coordinator, with nothing else.
func bareHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

type loadResult struct {
	reqPerSec float64
	p50, p99  time.Duration
}

// BenchmarkCoordinator serves GET /v1/health/coordinator from the real
// handler and from bareHandler, each on a real net/http server on
// loopback, hit by parallel keep-alive clients, in the same run. It
// reports requests/s and latency percentiles for both and logs their
// ratio. Run (figures in docs/api-bench.md):
//
//	go test ./api -run '^$' -bench 'BenchmarkCoordinator$' -benchtime 200000x -count 5
func BenchmarkCoordinator(b *testing.B) {
	src := fixedSource{"coordinator": {Body: healthyBody, Healthy: true, AsOf: time.Now()}}
	servers := []struct {
		name string
		h    http.Handler
	}{
		{"ringside", New(src, Options{Metrics: NewMetrics(), MaxAge: time.Hour})},
		{"bare", bareHandler(healthyBody)},
	}
	results := map[string]loadResult{}
	for _, s := range servers {
		srv := httptest.NewServer(s.h)
		checkSameAnswer(b, srv.URL+"/v1/health/coordinator")
		b.Run(s.name, func(b *testing.B) {
			results[s.name] = load(b, srv.URL+"/v1/health/coordinator")
		})
		srv.Close()
	}
	r, bare := results["ringside"], results["bare"]
	if bare.reqPerSec > 0 {
		b.Logf("ringside/bare: throughput ratio %.3f (%.0f vs %.0f req/s), p99 %v vs %v",
			r.reqPerSec/bare.reqPerSec, r.reqPerSec, bare.reqPerSec, r.p99, bare.p99)
	}
}

func checkSameAnswer(b *testing.B, url string) {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !bytes.Equal(body, healthyBody) {
		b.Fatalf("%s: %d %q %q", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// load runs b.N GETs of url from parallel clients over keep-alive
// connections and reports req/s, p50 and p99 in microseconds.
func load(b *testing.B, url string) loadResult {
	const clientsPerProc = 4 // enough in flight to keep the server busy
	tr := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var (
		mu  sync.Mutex
		all []time.Duration
	)
	b.SetParallelism(clientsPerProc)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", url, nil)
		lat := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(t0))
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return loadResult{}
	}
	slices.Sort(all)
	res := loadResult{
		reqPerSec: float64(len(all)) / elapsed.Seconds(),
		p50:       all[len(all)/2],
		p99:       all[len(all)*99/100],
	}
	b.ReportMetric(res.reqPerSec, "req/s")
	b.ReportMetric(float64(res.p50)/1e3, "p50-µs")
	b.ReportMetric(float64(res.p99)/1e3, "p99-µs")
	return res
}

// BenchmarkCoordinatorHandler is the handler alone, routing and metrics
// included but no network: what a health call costs the sidecar.
//
// ringside-age serves a body with a top-level data_age_seconds, written
// afresh on each call as the sidecar's reports are.
func BenchmarkCoordinatorHandler(b *testing.B) {
	src := fixedSource{"coordinator": {Body: healthyBody, Healthy: true, AsOf: time.Now()}}
	aged := fixedSource{"coordinator": NewReport(agedBody, true, time.Now())}
	for _, s := range []struct {
		name string
		h    http.Handler
	}{
		{"ringside", New(src, Options{Metrics: NewMetrics(), MaxAge: time.Hour})},
		{"ringside-age", New(aged, Options{Metrics: NewMetrics(), MaxAge: time.Hour})},
		{"bare", bareHandler(healthyBody)},
	} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/v1/health/coordinator", nil)
				w := &reusableWriter{h: http.Header{}}
				served := false
				for pb.Next() {
					w.reset()
					s.h.ServeHTTP(w, r)
					served = true
				}
				if served && w.code != 200 {
					b.Errorf("status %d", w.code)
				}
			})
		})
	}
}

var agedBody = []byte(`{"LOCAL_ONE_underreplicated_keyspaces":[],"alive_peers":["127.0.0.1:7000","127.0.0.2:7000","127.0.0.3:7000"],"as_of":"2026-12-03T08:00:00.000Z","cassandra_running":true,"data_age_seconds":0.004,"dead_peers":[]}`)

// BenchmarkClusterHandler is GET /v1/health/cluster from a source that
// also answers queries: plain (served from Report exactly as before, the
// query path never entered) and with ?dc=&cl= (the query parsed and
// handed to the source, whose answer is a cached report, as the
// sidecar's is between refreshes).
//
//	go test ./api -run '^$' -bench 'BenchmarkClusterHandler$' -count 5
func BenchmarkClusterHandler(b *testing.B) {
	rep := NewReport(agedBody, true, time.Now())
	src := &querySource{answer: func(url.Values) (Report, bool, error) { return rep, true, nil }}
	src.set("cluster", rep)
	h := New(src, Options{Metrics: NewMetrics(), MaxAge: time.Hour})
	for _, target := range []struct{ name, url string }{
		{"plain", "/v1/health/cluster"},
		{"query", "/v1/health/cluster?dc=dc1&cl=LOCAL_QUORUM"},
	} {
		b.Run(target.name, func(b *testing.B) {
			b.ReportAllocs()
			r := httptest.NewRequest("GET", target.url, nil)
			w := &reusableWriter{h: http.Header{}}
			for i := 0; i < b.N; i++ {
				w.reset()
				h.ServeHTTP(w, r)
			}
			if w.code != 200 {
				b.Errorf("status %d", w.code)
			}
		})
	}
}
