package api

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// querySource is a staticSource that also answers queries.
type querySource struct {
	staticSource
	asked  atomic.Int64
	answer func(q url.Values) (Report, bool, error)
}

func (s *querySource) Query(name string, q url.Values) (Report, bool, error) {
	s.asked.Add(1)
	if name != "cluster" {
		return Report{}, false, errors.New("asked about " + name)
	}
	return s.answer(q)
}

func TestClusterQuery(t *testing.T) {
	now := time.Now()
	src := &querySource{answer: func(q url.Values) (Report, bool, error) {
		switch q.Get("dc") {
		case "dc1":
			return NewReport([]byte(`{"datacenter":"dc1","available":true,"data_age_seconds":0}`), true, now), true, nil
		case "down":
			return NewReport([]byte(`{"datacenter":"down","available":false}`), false, now), true, nil
		case "old":
			return NewReport([]byte(`{"available":true}`), true, now.Add(-time.Hour)), true, nil
		case "pending":
			return Report{}, false, nil
		case "broken":
			return Report{}, false, errors.New("the ring is inconsistent")
		}
		return Report{}, false, &ParamError{Param: "dc", Msg: "dc=" + q.Get("dc") + " is not a data center", Extra: map[string]any{"datacenters": []string{"dc1"}}}
	}}
	src.set("cluster", Report{Body: healthyBody, Healthy: true, AsOf: now})
	src.set("coordinator", Report{Body: healthyBody, Healthy: true, AsOf: now})
	h := New(src, Options{Metrics: NewMetrics(), MaxAge: time.Minute})

	// Without a query: the plain report, the source's Query never called.
	for _, target := range []string{"/v1/health/cluster", "/v1/health/cluster/", "/v1/health/cluster?"} {
		if w := do(h, "GET", target); w.Code != 200 || w.Body.String() != string(healthyBody) {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	// The other checks ignore a query, as they always have.
	if w := do(h, "GET", "/v1/health/coordinator?dc=dc1"); w.Code != 200 || w.Body.String() != string(healthyBody) {
		t.Errorf("coordinator with a query: %d %s", w.Code, w.Body)
	}
	if n := src.asked.Load(); n != 0 {
		t.Fatalf("Query called %d times for plain checks", n)
	}

	for _, c := range []struct {
		target string
		code   int
		body   string
	}{
		{"/v1/health/cluster?dc=dc1&cl=LOCAL_QUORUM", 200, `"datacenter":"dc1"`},
		{"/v1/health/cluster/?dc=dc1", 200, `"available":true`},
		{"/v1/health/cluster?dc=down", 503, `"available":false`},
		{"/v1/health/cluster?dc=old", 503, `"error":"health data is stale`},
		{"/v1/health/cluster?dc=pending", 503, `{"error":"first refresh pending","check":"cluster"}`},
		{"/v1/health/cluster?dc=broken", 503, `{"check":"cluster","error":"the ring is inconsistent"}`},
		{"/v1/health/cluster?dc=dc9", 400, `{"datacenters":["dc1"],"error":"dc=dc9 is not a data center","field":"dc"}`},
		{"/v1/health/cluster?dc=%zz", 400, `"error":"malformed query: invalid URL escape`},
	} {
		w := do(h, "GET", c.target)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s: %d %s; want %d with %s", c.target, w.Code, w.Body, c.code, c.body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" || !json.Valid(w.Body.Bytes()) {
			t.Errorf("%s: %q %s", c.target, ct, w.Body)
		}
		if w.Code == 200 && w.Header().Get("Age") == "" {
			t.Errorf("%s: no Age header", c.target)
		}
	}
	// HEAD: the status without the body.
	if w := do(h, "HEAD", "/v1/health/cluster?dc=down"); w.Code != 503 {
		t.Errorf("HEAD: %d", w.Code)
	}
	// data_age_seconds is written at serve time, as in the plain reports.
	if w := do(h, "GET", "/v1/health/cluster?dc=dc1"); !strings.Contains(w.Body.String(), `"data_age_seconds":0.`) && !strings.Contains(w.Body.String(), `"data_age_seconds":0}`) {
		t.Errorf("age: %s", w.Body)
	}
}

// A source that cannot answer queries: a query is ignored, as before.
func TestClusterQueryWithoutQuerier(t *testing.T) {
	src := &staticSource{}
	src.set("cluster", Report{Body: healthyBody, Healthy: true, AsOf: time.Now()})
	h := New(src, Options{Metrics: NewMetrics()})
	if w := do(h, "GET", "/v1/health/cluster?dc=dc1"); w.Code != 200 || w.Body.String() != string(healthyBody) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}
