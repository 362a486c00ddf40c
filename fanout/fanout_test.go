package fanout

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var nodes = []Target{
	{HostID: "aaaa-1", Address: "10.0.1.1", Endpoint: "10.0.1.1:7000", DC: "dc1", Rack: "r1", Self: true},
	{HostID: "aaaa-2", Address: "10.0.1.2", Endpoint: "10.0.1.2:7000", DC: "dc1", Rack: "r2"},
	{HostID: "bbbb-1", Address: "10.0.2.1", Endpoint: "10.0.2.1:7000", DC: "dc2", Rack: "r1"},
	{HostID: "bbbb-2", Address: "10.0.2.2", Endpoint: "10.0.2.2:7000", DC: "dc2", Rack: "r2"},
}

func ids(ts []Target) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.HostID)
	}
	return strings.Join(out, ",")
}

func TestSelect(t *testing.T) {
	for _, c := range []struct{ query, scope, want, err string }{
		{"", "cluster", "aaaa-1,aaaa-2,bbbb-1,bbbb-2", ""},
		{"", "local", "aaaa-1", ""},
		{"scope=local", "cluster", "aaaa-1", ""},
		{"dc=dc2", "local", "bbbb-1,bbbb-2", ""}, // a selector implies the cluster
		{"rack=r1", "cluster", "aaaa-1,bbbb-1", ""},
		{"rack=dc2:r1", "cluster", "bbbb-1", ""},
		{"dc=dc1&rack=r2", "cluster", "aaaa-2", ""},
		{"hosts=BBBB-2,10.0.1.2", "cluster", "aaaa-2,bbbb-2", ""},
		{"hosts=10.0.2.1:7000", "cluster", "bbbb-1", ""},
		{"hosts=a&hosts=b", "cluster", "", `no node with host id or address "a"; no node with host id or address "b"`},
		{"dc=dc3", "cluster", "", `no datacenter "dc3"`},
		{"rack=dc1:r9", "cluster", "", `no rack "dc1:r9"`},
		{"dc=", "cluster", "", "dc is empty"},
		{"scope=local&dc=dc1", "cluster", "", "cannot be combined"},
		{"scope=planet", "cluster", "", `scope="planet"`},
		{"scope=local&scope=local", "cluster", "", "more than once"},
	} {
		q, _ := url.ParseQuery(c.query)
		s, err := ParseSelector(q, c.scope)
		var got []Target
		if err == nil {
			got, err = s.Select(nodes)
		}
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: err %v, want %q", c.query, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.query, err)
		case c.err == "" && ids(got) != c.want:
			t.Errorf("%q: %s, want %s", c.query, ids(got), c.want)
		}
		if err == nil && c.err == "" {
			// The selector survives forwarding.
			s2, err := ParseSelector(s.Query(), "local")
			if again, _ := s2.Select(nodes); err != nil || ids(again) != c.want {
				t.Errorf("%q forwarded as %q: %s %v", c.query, s.Query().Encode(), ids(again), err)
			}
		}
	}
	if _, err := (Selector{Local: true}).Select(nodes[1:]); err == nil {
		t.Error("local with no self known: want an error")
	}
}

func TestDo(t *testing.T) {
	var calls atomic.Int32
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/peer/bulkcmd/flush" || r.URL.Query().Get("x") != "1" || string(b) != `{"k":1}` || r.Header.Get("Authorization") != "Bearer t" {
			WritePeerAnswer(w, nil, errors.New("unexpected request "+r.URL.String()), 400)
			return
		}
		WritePeerAnswer(w, map[string]int{"flushed": 3}, nil, 0)
	}))
	defer ok.Close()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WritePeerAnswer(w, nil, errors.New("keyspace nope does not exist"), 400)
	}))
	defer refuse.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") }))
	defer html.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	ts := []Target{
		{HostID: "self", Self: true},
		{HostID: "ok", URL: ok.URL},
		{HostID: "refuse", URL: refuse.URL},
		{HostID: "slow", URL: slow.URL},
		{HostID: "html", URL: html.URL},
		{HostID: "gone", URL: gone.URL},
	}
	var seen atomic.Int32
	c := &Client{Timeout: 300 * time.Millisecond, Concurrency: 2}
	start := time.Now()
	rs := c.Do(context.Background(), ts, Request{
		Method: "POST", Path: "/v1/peer/bulkcmd/flush", Query: url.Values{"x": {"1"}}, Body: []byte(`{"k":1}`),
		Header:   http.Header{"Authorization": {"Bearer t"}},
		Local:    func(context.Context) (any, error) { return "local ran", nil },
		OnResult: func(Result) { seen.Add(1) },
	})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v: the slow node held everything up", took)
	}
	want := map[string]string{"self": `"local ran"`, "ok": `{"flushed":3}`, "refuse": "keyspace nope does not exist",
		"slow": "did not answer within 300ms", "html": "not JSON", "gone": "connection refused"}
	for i, r := range rs {
		if r.HostID != ts[i].HostID {
			t.Fatalf("result %d is %s: order lost", i, r.HostID)
		}
		w := want[r.HostID]
		if r.Success {
			if string(r.Value) != w {
				t.Errorf("%s: value %s, want %s", r.HostID, r.Value, w)
			}
		} else if !strings.Contains(r.Error, w) || w == `"local ran"` || w == `{"flushed":3}` {
			t.Errorf("%s: error %q, want %q", r.HostID, r.Error, w)
		}
	}
	if seen.Load() != int32(len(ts)) || calls.Load() != 1 {
		t.Errorf("OnResult %d times, ok server called %d times", seen.Load(), calls.Load())
	}
	b, _ := json.Marshal(rs[1])
	if !strings.Contains(string(b), `"host_id":"ok"`) || !strings.Contains(string(b), `"success":true`) {
		t.Errorf("result JSON: %s", b)
	}
}

func TestWidth(t *testing.T) {
	defer func(f func() (uint64, bool)) { openFileLimit = f }(openFileLimit)
	for _, c := range []struct {
		conc, n int
		limit   uint64 // 0: unknown
		want    int
	}{
		{0, 1000, 524287, 1000}, // systemd's hard limit, as Go raises to: every node at once
		{0, 5000, 524287, 1024}, // DefaultConcurrency
		{64, 1000, 524287, 64},  // peers.concurrency set lower
		{4096, 3000, 524287, 3000},
		{0, 1000, 1024, 256},     // a soft limit of 1024 that cannot be raised: a quarter of it
		{4096, 3000, 4096, 1024}, // set higher than the descriptors allow
		{0, 1000, 3, 1},
		{0, 0, 524287, 1},
		{0, 1000, 0, 1000},
		{0, 2000, 0, 1024},
	} {
		openFileLimit = func() (uint64, bool) { return c.limit, c.limit > 0 }
		if got := (&Client{Concurrency: c.conc}).Width(c.n); got != c.want {
			t.Errorf("concurrency %d, %d nodes, RLIMIT_NOFILE %d: width %d, want %d", c.conc, c.n, c.limit, got, c.want)
		}
	}
	if lim, ok := nofileLimit(); !ok || lim < 4 {
		t.Errorf("RLIMIT_NOFILE here: %d %v", lim, ok)
	}
}

// TestDoWidth: Do asks Width nodes at once, no more: the first three
// requests are held until the third arrives (fewer at once and the nodes
// time out), and no request ever sees more than three in flight.
func TestDoWidth(t *testing.T) {
	defer func(f func() (uint64, bool)) { openFileLimit = f }(openFileLimit)
	openFileLimit = func() (uint64, bool) { return 12, true }
	var in, peak atomic.Int32
	open := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := in.Add(1)
		defer in.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n >= 3 {
			once.Do(func() { close(open) })
		}
		select {
		case <-open:
		case <-r.Context().Done():
		}
		WritePeerAnswer(w, n, nil, 0)
	}))
	defer srv.Close()
	var ts []Target
	for i := range 9 {
		ts = append(ts, Target{HostID: strconv.Itoa(i), URL: srv.URL})
	}
	c := &Client{Timeout: 10 * time.Second}
	if w := c.Width(len(ts)); w != 3 {
		t.Fatalf("width %d, want 3", w)
	}
	for _, r := range c.Do(context.Background(), ts, Request{Method: "POST", Path: "/v1/peer/x"}) {
		if !r.Success {
			t.Errorf("node %s: %s", r.HostID, r.Error)
		}
	}
	if p := peak.Load(); p != 3 {
		t.Errorf("%d requests in flight at most, want 3", p)
	}
}
