package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// staticSource serves fixed reports; nil map entries are "pending".
type staticSource struct {
	mu      sync.Mutex
	reports map[string]Report
}

func (s *staticSource) Report(name string) (Report, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.reports[name]
	return r, ok
}

func (s *staticSource) set(name string, r Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reports == nil {
		s.reports = map[string]Report{}
	}
	s.reports[name] = r
}

var (
	healthyBody   = []byte(`{"LOCAL_ONE_underreplicated_keyspaces":[],"alive_peers":["127.0.0.1:7000","127.0.0.2:7000","127.0.0.3:7000"],"cassandra_running":true,"dead_peers":[]}`)
	unhealthyBody = []byte(`{"cassandra_running":true,"native_active":false}`)
)

func newTestHandler(t testing.TB, opts Options) (http.Handler, *staticSource, *Metrics) {
	t.Helper()
	src := &staticSource{}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	return New(src, opts), src, opts.Metrics
}

func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestHealth(t *testing.T) {
	h, src, _ := newTestHandler(t, Options{})
	now := time.Now()
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: now.Add(-3500 * time.Millisecond)})
	src.set("replica", Report{Body: unhealthyBody, Healthy: false, AsOf: now})
	src.set("cluster", Report{Body: healthyBody, Healthy: true, AsOf: now.Add(-2 * time.Hour)})
	cases := []struct {
		name string
		code int
		body []byte
		age  string
	}{
		{"coordinator", 200, healthyBody, "3"},
		{"replica", 503, unhealthyBody, "0"},
		{"cluster", 200, healthyBody, "7200"}, // no MaxAge: served as is
	}
	for _, tc := range cases {
		for _, path := range []string{"/v1/health/" + tc.name, "/v1/health/" + tc.name + "/", "/v1/health/" + tc.name + "?verbose=1"} {
			for _, method := range []string{"GET", "HEAD"} {
				w := do(h, method, path)
				if w.Code != tc.code || string(w.Body.Bytes()) != string(tc.body) {
					t.Errorf("%s %s: %d %s, want %d %s", method, path, w.Code, w.Body, tc.code, tc.body)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("%s %s: Content-Type %q", method, path, ct)
				}
				if a := w.Header().Get("Age"); a != tc.age {
					t.Errorf("%s %s: Age %q, want %s", method, path, a, tc.age)
				}
			}
		}
	}
}

func TestPendingAndEmpty(t *testing.T) {
	h, src, _ := newTestHandler(t, Options{})
	w := do(h, "GET", "/v1/health/replica")
	var e map[string]string
	if w.Code != 503 || json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] != "first refresh pending" || e["check"] != "replica" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Age") != "" {
		t.Errorf("Age %q on a pending answer", w.Header().Get("Age"))
	}
	// A report with no body and no time still answers valid JSON.
	src.set("replica", Report{Healthy: true})
	w = do(h, "GET", "/v1/health/replica")
	if w.Code != 200 || w.Body.String() != "{}" || w.Header().Get("Age") != "" {
		t.Fatalf("%d %q Age=%q", w.Code, w.Body, w.Header().Get("Age"))
	}
}

func TestStale(t *testing.T) {
	h, src, _ := newTestHandler(t, Options{MaxAge: 30 * time.Second})
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: time.Now().Add(-31 * time.Second)})
	w := do(h, "GET", "/v1/health/coordinator")
	var e struct {
		Error      string          `json:"error"`
		AgeSeconds float64         `json:"age_seconds"`
		MaxAge     float64         `json:"max_age_seconds"`
		Report     json.RawMessage `json:"report"`
	}
	if w.Code != 503 || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, "stale") || e.AgeSeconds < 31 || e.MaxAge != 30 || string(e.Report) != string(healthyBody) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Age") != "31" {
		t.Errorf("Age %q", w.Header().Get("Age"))
	}
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: time.Now().Add(-29 * time.Second)})
	if w := do(h, "GET", "/v1/health/coordinator"); w.Code != 200 {
		t.Fatalf("fresh enough: %d", w.Code)
	}
}

func TestNotFound(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{})
	for _, target := range []string{"/", "/x", "/v1", "/v1/health", "/v1/health/", "/v1/health/coordinatorx", "/v1/health/coordinator/x", "/v1/health/node", "/metrics/", "/v2/health/replica", "/v1/health/replica//"} {
		for _, method := range []string{"GET", "POST", "PATCH"} {
			w := do(h, method, target)
			var e errorBody
			if w.Code != 404 || json.Unmarshal(w.Body.Bytes(), &e) != nil || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %q", method, target, w.Code, w.Body)
				continue
			}
			// An unclean path (a ServeMux redirect) also names the clean one.
			if want := "no such endpoint " + method + " " + target; (e.Error != want && !strings.HasPrefix(e.Error, want+" (did you mean /")) || len(e.Endpoints) != 7 {
				t.Errorf("%s %s: %+v, want error %q and the endpoints", method, target, e, want)
			}
		}
	}
	w := do(h, "GET", "/"+strings.Repeat("a", 10000))
	if w.Code != 404 || w.Body.Len() > 1000 {
		t.Errorf("long path: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{})
	for _, path := range []string{"/v1/health/coordinator", "/v1/health/replica/", "/v1/health/cluster", "/v1/version", "/metrics", "/v1/openapi.json", "/v1/openapi.yaml"} {
		for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"} {
			w := do(h, method, path)
			var e errorBody
			if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.HasPrefix(e.Error, "method "+method+" not allowed on /") {
				t.Errorf("%s %s: %d Allow=%q %s", method, path, w.Code, w.Header().Get("Allow"), w.Body)
			}
		}
	}
}

func TestOddTargets(t *testing.T) {
	h, src, m := newTestHandler(t, Options{})
	src.set("coordinator", Report{Body: healthyBody, Healthy: true})
	w := do(h, "GET", "*")
	if w.Code != 400 || !json.Valid(w.Body.Bytes()) {
		t.Errorf("GET *: %d %q", w.Code, w.Body)
	}
	// What ServeMux would redirect is a JSON 404: no HTML, no Location
	// (which for .. could point outside the API), the clean path named
	// when it is an endpoint.
	for target, want := range map[string]string{
		"/v1//health/./coordinator?x=1": `no such endpoint GET /v1//health/./coordinator (did you mean /v1/health/coordinator?)`,
		"/v1/health/../../etc/passwd":   `no such endpoint GET /v1/health/../../etc/passwd`,
		"//v1/health/coordinator":       `(did you mean /v1/health/coordinator?)`,
	} {
		w = do(h, "GET", target)
		var e errorBody
		if w.Code != 404 || w.Header().Get("Location") != "" || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, want) ||
			(strings.Contains(target, "..") && strings.Contains(e.Error, "did you mean")) {
			t.Errorf("%s: %d Location=%q %s", target, w.Code, w.Header().Get("Location"), w.Body)
		}
	}
	if got := counterValue(t, m, "ringside_http_requests_total", map[string]string{"handler": "redirect", "code": "404"}); got != 3 {
		t.Errorf("redirects answered 404 counted %v times", got)
	}
}

func TestVersion(t *testing.T) {
	h, _, m := newTestHandler(t, Options{Version: "1.2.3"})
	w := do(h, "GET", "/v1/version/")
	var v map[string]string
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &v) != nil || v["version"] != "1.2.3" || v["go"] != runtime.Version() {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got := counterValue(t, m, "ringside_build_info", map[string]string{"version": "1.2.3"}); got != 1 {
		t.Fatalf("build info %v", got)
	}
}

func TestMetrics(t *testing.T) {
	h, src, m := newTestHandler(t, Options{})
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: time.Now()})
	src.set("replica", Report{Body: unhealthyBody, AsOf: time.Now()})
	for range 3 {
		do(h, "GET", "/v1/health/coordinator")
	}
	do(h, "GET", "/v1/health/replica/")
	do(h, "GET", "/nope")
	do(h, "DELETE", "/v1/health/cluster")
	m.SetHealth("coordinator", true)
	m.SetHealth("replica", false)
	m.RefreshError("jmx")
	m.RefreshError("jmx")
	m.SetRefreshAge(2 * time.Second)

	w := do(h, "GET", "/metrics")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{
		`ringside_http_requests_total{code="200",handler="coordinator"} 3`,
		`ringside_http_requests_total{code="503",handler="replica"} 1`,
		`ringside_http_requests_total{code="404",handler="notfound"} 1`,
		`ringside_http_requests_total{code="405",handler="cluster"} 1`,
		`ringside_http_request_duration_seconds_count{handler="coordinator"} 3`,
		`ringside_http_request_duration_seconds_bucket{handler="coordinator",le="0.001"}`,
		`ringside_health_status{check="coordinator"} 1`,
		`ringside_health_status{check="replica"} 0`,
		`ringside_refresh_errors_total{source="jmx"} 2`,
		`ringside_refresh_age_seconds 2`,
		`ringside_build_info{goversion="` + runtime.Version() + `",version="dev"} 1`,
		`process_resident_memory_bytes`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The scrape itself is counted by the next one.
	if !strings.Contains(do(h, "GET", "/metrics").Body.String(), `ringside_http_requests_total{code="200",handler="metrics"} 1`) {
		t.Error("scrapes are not counted")
	}
	if w := do(h, "HEAD", "/metrics"); w.Code != 200 {
		t.Errorf("HEAD /metrics: %d", w.Code)
	}
}

func TestRefreshAgeGrowsAndNaN(t *testing.T) {
	m := NewMetrics()
	if a := m.refreshAge(); a == a { // NaN before the first refresh
		t.Fatalf("age %v before any refresh", a)
	}
	m.SetRefreshAge(0)
	time.Sleep(20 * time.Millisecond)
	if a := m.refreshAge(); a < 0.02 || a > 5 {
		t.Fatalf("age %v", a)
	}
}

func TestPackageLevelHooks(t *testing.T) {
	SetHealth("cluster", true)
	RefreshError("peers")
	SetRefreshAge(time.Second)
	h := New(&staticSource{}, Options{})
	body := do(h, "GET", "/metrics").Body.String()
	for _, want := range []string{`ringside_health_status{check="cluster"} 1`, `ringside_refresh_errors_total{source="peers"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("DefaultMetrics lacks %s", want)
		}
	}
}

// The API must not start goroutines of its own (the sidecar owns all
// background work), so building and using it leaves the count unchanged.
func TestNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	h, src, _ := newTestHandler(t, Options{})
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: time.Now()})
	for _, p := range []string{"/v1/health/coordinator", "/metrics", "/x"} {
		do(h, "GET", p)
	}
	// Fewer is fine: a goroutine of an earlier test may have ended
	// meanwhile; one may also still be winding down (idle connections of
	// earlier tests), so allow it a moment to go before judging.
	after := runtime.NumGoroutine()
	for i := 0; i < 50 && after > before; i++ {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines %d → %d\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// reusableWriter is a ResponseWriter that, like net/http's, reuses
// nothing across requests but allocates nothing itself once warmed, so
// AllocsPerRun sees the handler's own allocations only.
type reusableWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *reusableWriter) Header() http.Header         { return w.h }
func (w *reusableWriter) WriteHeader(code int)        { w.code = code }
func (w *reusableWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *reusableWriter) reset() {
	clear(w.h)
	w.code, w.n = 0, 0
}

func TestHotPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	h, src, _ := newTestHandler(t, Options{MaxAge: time.Minute})
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: time.Now()})
	src.set("replica", Report{Body: unhealthyBody, AsOf: time.Now()})
	for _, path := range []string{"/v1/health/coordinator", "/v1/health/replica"} {
		r := httptest.NewRequest("GET", path, nil)
		w := &reusableWriter{h: http.Header{}}
		allocs := testing.AllocsPerRun(1000, func() {
			w.reset()
			h.ServeHTTP(w, r)
		})
		if allocs != 0 || w.n == 0 {
			t.Errorf("GET %s: %v allocations per request (code %d)", path, allocs, w.code)
		}
	}
}

func counterValue(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range mt.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			if c := mt.GetCounter(); c != nil {
				return c.GetValue()
			}
			return mt.GetGauge().GetValue()
		}
	}
	return 0
}
