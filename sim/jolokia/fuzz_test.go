package jolokia

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzRequestDecoding feeds arbitrary POST bodies and GET paths to the
// agent. Whatever the input, the answer must be HTTP 200 with valid JSON
// whose every response object carries a numeric "status"; and the
// json-simple parser must accept every strict JSON text Go accepts (except
// integers that overflow a long, which json-simple rejects too).
func FuzzRequestDecoding(f *testing.F) {
	for _, s := range []struct{ body, path string }{
		{`{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"OperationMode"}`, "read/org.apache.cassandra.db:type=StorageService/OperationMode"},
		{`[{"type":"version"},{"type":"list","path":"org.apache.cassandra.db/type=StorageService/op/forceKeyspaceFlush"}]`, "list/org.apache.cassandra.db/type=StorageService/attr"},
		{`{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)","arguments":["smoke",["kv"]]}`, "exec/org.apache.cassandra.db:type=StorageService/forceKeyspaceFlush/smoke/kv!,s"},
		{`{"type":"write","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"CompactionThroughputMbPerSec","value":"12"}`, "write/org.apache.cassandra.db:type=StorageService/CompactionThroughputMbPerSec/[null]"},
		{`{"type":"read","mbean":`, "read/not an object name/X"},
		{`{"a" 1 "b"::[1,,2,] "c":"\u00e9\/"}`, "search/*:*"},
		{`"\x"`, "read/org.apache.cassandra.db:type=StorageService/LiveNodesWithPort/0"},
	} {
		f.Add([]byte(s.body), s.path)
	}
	ta := newTestAgent(f, "fuzz")
	ta.now = time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		checkAnswer(t, ta, http.MethodPost, "/jolokia/", body)
		u := &url.URL{Path: "/jolokia/" + path}
		checkAnswer(t, ta, http.MethodGet, u.EscapedPath(), nil)

		if json.Valid(body) && !hugeInteger(body) {
			if _, err := parseJSON(string(body)); err != nil {
				t.Errorf("json-simple parser rejects valid JSON %q: %s", body, err)
			}
		}
		if v, err := parseJSON(string(body)); err == nil {
			if out := toJSONString(v); !json.Valid([]byte(out)) {
				t.Errorf("re-serialised %q is not JSON: %s", body, out)
			}
		}
	})
}

func checkAnswer(t *testing.T, ta *testAgent, method, target string, body []byte) {
	req := &http.Request{Method: method, URL: &url.URL{Path: mustUnescape(target), RawPath: target}, RequestURI: target,
		Header: http.Header{}, Body: http.NoBody}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					return
				}
				t.Fatalf("%s %s %q: panic %v", method, target, body, r)
			}
		}()
		ta.handler.ServeHTTP(rec, req)
	}()
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s %q: HTTP %d", method, target, body, rec.Code)
	}
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s %s %q: answer is not JSON: %v\n%s", method, target, body, err, rec.Body.String())
	}
	objs, ok := v.([]any)
	if !ok {
		objs = []any{v}
	}
	for _, o := range objs {
		m, ok := o.(map[string]any)
		if !ok {
			t.Fatalf("%s %s %q: answer element is not an object: %s", method, target, body, rec.Body.String())
		}
		if _, ok := m["status"].(float64); !ok {
			t.Fatalf("%s %s %q: no status: %s", method, target, body, rec.Body.String())
		}
	}
}

func mustUnescape(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}

// hugeInteger reports whether body has an integer literal outside a long.
func hugeInteger(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n, ok := tok.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
			if _, err := n.Int64(); err != nil {
				return true
			}
		}
	}
}
