package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzHandler feeds arbitrary request lines, headers and bodies through
// the API as net/http's server would parse them (requests it would reject
// itself never reach a handler, so they are skipped). Whatever arrives,
// the handler must not panic, must answer one of the statuses it
// documents, and every 4xx must be JSON. The seed corpus is in
// testdata/fuzz/FuzzHandler; run with
//
//	go test ./api -run '^$' -fuzz FuzzHandler -fuzztime 5m
func FuzzHandler(f *testing.F) {
	for _, s := range []struct {
		method, target, header, body string
		state                        uint8
	}{
		{"GET", "/v1/health/coordinator", "", "", 0},
		{"GET", "/v1/health/coordinator/", "", "", 1},
		{"HEAD", "/v1/health/replica", "", "", 2},
		{"GET", "/v1/health/cluster?x=1&y", "Accept: */*", "", 3},
		{"POST", "/v1/health/coordinator", "Content-Type: application/json", `{"a":1}`, 0},
		{"OPTIONS", "/metrics", "", "", 0},
		{"GET", "/metrics", "Accept-Encoding: gzip", "", 0},
		{"GET", "/v1/version/", "", "", 0},
		{"DELETE", "/v1/health/", "", "", 0},
		{"GET", "//v1/health/../health/./coordinator", "", "", 0},
		{"GET", "/%76%31/health/replica", "", "", 0},
		{"GET", "*", "", "", 0},
		{"CONNECT", "example.com:443", "", "", 0},
		{"GET", "http://other.example/v1/health/replica", "", "", 0},
		{"BREW", "/v1/health/cluster/x/y", "", "", 0},
		{"GET", "/\xff\xfe", "", "", 0},
	} {
		f.Add(s.method, s.target, s.header, []byte(s.body), s.state)
	}
	src := &staticSource{}
	h := New(src, Options{Metrics: NewMetrics(), MaxAge: time.Minute})
	now := time.Now()
	f.Fuzz(func(t *testing.T, method, target, header string, body []byte, state uint8) {
		// state picks what the source holds: pending, healthy, unhealthy,
		// stale, or an empty report.
		for _, name := range Checks {
			switch state % 5 {
			case 0:
				src.set(name, Report{})
				src.mu.Lock()
				delete(src.reports, name)
				src.mu.Unlock()
			case 1:
				src.set(name, Report{Body: healthyBody, Healthy: true, AsOf: now})
			case 2:
				src.set(name, Report{Body: unhealthyBody, AsOf: now})
			case 3:
				src.set(name, Report{Body: healthyBody, Healthy: true, AsOf: now.Add(-time.Hour)})
			case 4:
				src.set(name, Report{Healthy: true})
			}
		}
		var raw bytes.Buffer
		raw.WriteString(method + " " + target + " HTTP/1.1\r\nHost: sidecar\r\n")
		if header != "" {
			raw.WriteString(header + "\r\n")
		}
		raw.WriteString("Content-Length: ")
		raw.WriteString(itoa(len(body)))
		raw.WriteString("\r\n\r\n")
		raw.Write(body)
		r, err := http.ReadRequest(bufio.NewReader(&raw))
		if err != nil {
			return // the server answers 400 itself; no handler runs
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		switch w.Code {
		case 200, 503, 400, 404, 405:
		default:
			t.Fatalf("%q %q: unexpected status %d", method, target, w.Code)
		}
		if w.Code >= 400 {
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%q %q: %d with Content-Type %q", method, target, w.Code, ct)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%q %q: %d body is not JSON: %q", method, target, w.Code, w.Body)
			}
			var e errorBody
			if w.Code != 503 && (json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "") {
				t.Fatalf("%q %q: %d body has no error: %q", method, target, w.Code, w.Body)
			}
		}
		if w.Code == 405 && w.Header().Get("Allow") != "GET, HEAD" {
			t.Fatalf("%q %q: 405 without Allow", method, target)
		}
		if w.Code == 200 && r.Method != "GET" && r.Method != "HEAD" {
			t.Fatalf("%q %q: 200 for method %s", method, target, r.Method)
		}
		if strings.HasPrefix(r.URL.Path, "/v1/health/") && (w.Code == 200 || w.Code == 503) && w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%q %q: health answer not JSON", method, target)
		}
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
