package lifecycle_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

// validMethod is what net/http's server accepts as a method: a token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c > 0x7e || c <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", c) {
			return false
		}
	}
	return true
}

func FuzzHandler(f *testing.F) {
	dir := f.TempDir()
	node := newFakeNode(dir) // no process: stops end at once
	cfg := lifecycle.Config{
		StateFile:         dir + "/state.json",
		StartCommand:      "true",
		StopCommand:       "true",
		Grace:             time.Millisecond,
		DrainTimeout:      50 * time.Millisecond,
		StopTimeout:       50 * time.Millisecond,
		StartTimeout:      50 * time.Millisecond,
		RestartBackoff:    time.Second,
		RestartBackoffMax: time.Second,
		Poll:              10 * time.Millisecond,
	}
	m, err := lifecycle.New(cfg, node, nil)
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	handlers := map[bool]http.Handler{
		false: lifecycle.Handler(m, lifecycle.HandlerOptions{}),
		true:  lifecycle.Handler(m, lifecycle.HandlerOptions{AllowRemote: true}),
	}

	for _, s := range []struct {
		method, path, query, body string
		remote, allow             bool
	}{
		{"GET", lifecycle.PathStatus, "", "", false, false},
		{"HEAD", lifecycle.PathStatus + "/", "", "", false, false},
		{"POST", lifecycle.PathStop, "block", "", false, false},
		{"POST", lifecycle.PathStop, "", "", true, false},
		{"POST", lifecycle.PathStop, "block=false", "", true, true},
		{"POST", lifecycle.PathStart, "block", "", false, false},
		{"POST", lifecycle.PathStart + "/", "block=0", "", false, true},
		{"POST", lifecycle.PathStart, "force=1", "", false, false},
		{"POST", lifecycle.PathStop, "block=true&block=false", "", false, false},
		{"POST", lifecycle.PathStop, "block=%zz;", `{"x":1}`, false, false},
		{"GET", lifecycle.PathStatus, "x=1", "", false, false},
		{"PUT", lifecycle.PathStop, "", "", false, false},
		{"BREW", "/v1/desires/node/nope", "", "coffee", false, true},
		{"GET", "/v1/desires/node/stop/x/y", "", "", false, false},
		{"CONNECT", lifecycle.PathStop, "", "", false, false},
		{"OPTIONS", "/", "", "", true, true},
		{"GET", "/v1/desires/node/\xff", "\x00", "\xfe", false, false},
		{"POST", "/v1/desires/node//stop", "block", "", false, false},
	} {
		f.Add(s.method, s.path, s.query, s.body, s.remote, s.allow)
	}

	f.Fuzz(func(t *testing.T, method, path, query, body string, remote, allow bool) {
		if !validMethod(method) {
			t.Skip("not a method an HTTP server would pass on")
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path // origin-form, as the server parses it
		}
		addr := "127.0.0.1:1234"
		if remote {
			addr = "10.1.2.3:5555"
		}
		req := (&http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader(body)),
			Host:       "localhost",
			RemoteAddr: addr,
		}).WithContext(context.Background())
		req.RequestURI = req.URL.RequestURI()
		rec := httptest.NewRecorder()
		handlers[allow].ServeHTTP(rec, req)

		code := rec.Code
		if code < 100 || code >= 600 {
			t.Fatalf("status %d", code)
		}
		if remote && !allow && code != http.StatusForbidden {
			t.Fatalf("remote caller without allow_remote got %d, want 403", code)
		}
		if code == http.StatusMovedPermanently || code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect {
			// ServeMux sends unclean paths (//, /./, /../) to their clean
			// form; that answer is not JSON (nor a transition).
			if rec.Header().Get("Location") == "" {
				t.Fatal("a redirect without Location")
			}
			return
		}
		switch code {
		case 200, 202, 400, 403, 404, 405, 409, 500, 503:
		default:
			t.Fatalf("unexpected status %d: %s", code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%d with a body that is not a JSON object (%v): %q", code, err, rec.Body)
		}
		_, hasError := v["error"].(string)
		_, hasState := v["state"]
		switch {
		case code >= 400 && code < 500 && !hasError:
			t.Fatalf("%d without an error message: %v", code, v)
		case code >= 500 && !hasError && !hasState:
			// 503 is also the status of a stopped node; else an error.
			t.Fatalf("%d with neither an error nor a state: %v", code, v)
		}
	})
}
