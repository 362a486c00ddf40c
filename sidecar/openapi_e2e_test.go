package sidecar_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// specCheck is an http.RoundTripper that checks every exchange with a
// sidecar against the OpenAPI document the sidecar serves:
//
//   - a documented operation: the response (status, headers, body) must
//     match it; the request too when the sidecar accepted it (2xx); a
//     refused request may be as wrong as the test made it.
//   - a documented path with another method: a 405 whose Allow header and
//     "allow" field are exactly the path's documented methods.
//   - anything else: a 404.
//   - every 4xx and 5xx (but CEP-1's status-coded reports): JSON of the
//     Error shape, {"error": "…", …}.
//
// A mismatch fails the test, naming the exchange.
type specCheck struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	base   http.RoundTripper

	mu      sync.Mutex
	seen    map[string]int // "METHOD /path" of the document → exchanges checked
	checked int            // exchanges with a documented operation
}

// authStatus are the answers of the auth policy (401, 403) and of the
// body limit (413), which the document states once for every path.
var authStatus = map[int]bool{http.StatusUnauthorized: true, http.StatusForbidden: true, http.StatusRequestEntityTooLarge: true}

// statusDocs are the operations whose 503 is a report, not an Error.
var statusDocs = map[string]bool{"healthCoordinator": true, "healthReplica": true, "healthCluster": true, "nodeStatus": true}

func newSpecCheck(t *testing.T, baseURL string, base http.RoundTripper, token string) *specCheck {
	t.Helper()
	if base == nil {
		base = http.DefaultTransport
	}
	// The document as served, which must also be the embedded one.
	req, err := http.NewRequest("GET", baseURL+"/v1/openapi.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: base, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/openapi.json: %d %s", resp.StatusCode, b)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflectEqualJSON(doc, loadSpec(t)) {
		t.Fatal("the served /v1/openapi.json is not api/openapi.yaml")
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specCheck{t: t, doc: doc, router: router, base: base, seen: map[string]int{}}
}

func reflectEqualJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (c *specCheck) client() *http.Client {
	return &http.Client{Transport: c, Timeout: 60 * time.Second}
}

func (c *specCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(reqBody))
	if req.Body == nil {
		out.Body = nil
	}
	resp, err := c.base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.check(req, reqBody, resp.StatusCode, resp.Header, body)
	return resp, nil
}

// check judges one exchange.
func (c *specCheck) check(req *http.Request, reqBody []byte, status int, hdr http.Header, body []byte) {
	t := c.t
	t.Helper()
	name := fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), status)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s\n  body: %.600s", name, fmt.Sprintf(format, args...), body)
	}
	route, params, kind := c.find(req)
	if kind != routeFound && authStatus[status] {
		c.errorBody(req, status, hdr, body, fail) // refused before routing
		return
	}
	switch kind {
	case routeMethod:
		allowed := c.methods(req)
		if status != http.StatusMethodNotAllowed {
			fail("a documented path with an undocumented method: want 405 (documented: %v)", allowed)
			return
		}
		if got := splitList(hdr.Get("Allow")); !sameSet(got, allowed) {
			fail("Allow %q, but the document has %v", hdr.Get("Allow"), allowed)
		}
		if e, ok := c.errorBody(req, status, hdr, body, fail); ok {
			var got []string
			if l, ok := e["allow"].([]any); ok {
				for _, m := range l {
					got = append(got, fmt.Sprint(m))
				}
			}
			if !sameSet(got, allowed) {
				fail(`"allow" %v, but the document has %v`, e["allow"], allowed)
			}
		}
		return
	case routeNone:
		if status != http.StatusNotFound && !(status == http.StatusBadRequest && req.URL.Path == "*") {
			fail("an undocumented path: want 404")
		}
		c.errorBody(req, status, hdr, body, fail)
		return
	}
	c.mu.Lock()
	c.seen[route.Method+" "+route.Path]++
	c.checked++
	c.mu.Unlock()

	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	rreq := req.Clone(req.Context())
	rreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: rreq, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if status/100 == 2 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			fail("the sidecar accepted a request the document does not allow: %v", err)
		}
		// kin-openapi lets undocumented query parameters through.
		declared := map[string]bool{}
		for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
			for _, p := range ps {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					declared[p.Value.Name] = true
				}
			}
		}
		for k := range req.URL.Query() {
			if !declared[k] {
				fail("the sidecar accepted query parameter %q, which the document does not have", k)
			}
		}
	}
	if req.Method == http.MethodHead {
		// kin-openapi skips HEAD; the status must still be documented.
		if route.Operation.Responses.Status(status) == nil {
			fail("status %d is not documented for HEAD %s", status, route.Path)
		}
		if len(body) != 0 {
			fail("a HEAD answer with a body")
		}
		return
	}
	if route.Operation.Responses.Status(status) == nil && authStatus[status] {
		// The auth policy's refusals, documented once for every path.
		if status == http.StatusUnauthorized && hdr.Get("WWW-Authenticate") == "" {
			fail("401 without WWW-Authenticate")
		}
		c.errorBody(req, status, hdr, body, fail)
		return
	}
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: hdr, Options: opts}
	rin.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		fail("the answer does not match the document: %v", err)
	}
	if status >= 400 && !(status == http.StatusServiceUnavailable && statusDocs[route.Operation.OperationID]) {
		c.errorBody(req, status, hdr, body, fail)
	}
}

// errorBody checks the one error shape: JSON, {"error": non-empty string, …}.
func (c *specCheck) errorBody(req *http.Request, status int, hdr http.Header, body []byte, fail func(string, ...any)) (map[string]any, bool) {
	if status < 400 {
		fail("not an error status")
		return nil, false
	}
	if req.Method == http.MethodHead {
		return nil, false
	}
	if mt, _, _ := mime.ParseMediaType(hdr.Get("Content-Type")); mt != "application/json" {
		fail("Content-Type %q, want application/json", hdr.Get("Content-Type"))
		return nil, false
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		fail("not JSON: %v", err)
		return nil, false
	}
	if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
		fail("not the Error shape: %v", err)
		return nil, false
	}
	m, _ := v.(map[string]any)
	return m, true
}

type routeKind int

const (
	routeFound routeKind = iota
	routeMethod
	routeNone
)

// find routes req as the document says the sidecar does: a trailing
// slash is the same path, unless the path item says x-trailing-slash: false.
func (c *specCheck) find(req *http.Request) (*routers.Route, map[string]string, routeKind) {
	p := req.URL.Path
	if p == "*" || p == "" {
		return nil, nil, routeNone
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		stripped := strings.TrimSuffix(p, "/")
		r, params, kind := c.findPath(req, stripped)
		if kind == routeNone || noSlash(c.doc.Paths.Find(itemPath(c, req, stripped))) {
			return nil, nil, routeNone
		}
		return r, params, kind
	}
	return c.findPath(req, p)
}

func (c *specCheck) findPath(req *http.Request, p string) (*routers.Route, map[string]string, routeKind) {
	r2 := req.Clone(req.Context())
	r2.URL = &url.URL{Path: p, RawQuery: req.URL.RawQuery}
	if route, params, ok := c.route(r2); ok {
		return route, params, routeFound
	}
	// The router tells a wrong method only for paths without variables.
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"} {
		r3 := r2.Clone(r2.Context())
		r3.Method = m
		if _, _, ok := c.route(r3); ok {
			return nil, nil, routeMethod
		}
	}
	return nil, nil, routeNone
}

// route is the router's match, if it is the whole path: kin-openapi's
// legacy router also matches /v1/bulkcmd to /v1/bulkcmd/{cmd}.
func (c *specCheck) route(req *http.Request) (*routers.Route, map[string]string, bool) {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, nil, false
	}
	expanded := route.Path
	for k, v := range params {
		if v == "" {
			return nil, nil, false
		}
		expanded = strings.ReplaceAll(expanded, "{"+k+"}", v)
	}
	return route, params, expanded == req.URL.Path
}

// itemPath is the document's path (template) for the concrete path p.
func itemPath(c *specCheck, req *http.Request, p string) string {
	for _, m := range []string{"GET", "POST", "PUT"} {
		r2 := req.Clone(req.Context())
		r2.Method = m
		r2.URL = &url.URL{Path: p}
		if route, _, ok := c.route(r2); ok {
			return route.Path
		}
	}
	return p
}

// methods are the documented methods of req's path.
func (c *specCheck) methods(req *http.Request) []string {
	item := c.doc.Paths.Find(itemPath(c, req, strings.TrimSuffix(req.URL.Path, "/")))
	if item == nil {
		return nil
	}
	var out []string
	for m := range item.Operations() {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// unseen are the document's operations no exchange has reached.
func (c *specCheck) unseen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for m := range item.Operations() {
			if c.seen[m+" "+path] == 0 {
				out = append(out, m+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// exchange is one call of the test, with the statuses it may answer.
type exchange struct {
	method, path, body string
	want               []int
}

func (c *specCheck) do(t *testing.T, base string, e exchange) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if e.body != "" {
		body = strings.NewReader(e.body)
	}
	req, err := http.NewRequest(e.method, base+e.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if e.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", e.method, e.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(e.want) > 0 && !slices.Contains(e.want, resp.StatusCode) {
		t.Errorf("%s %s: %d, want one of %v: %.300s", e.method, e.path, resp.StatusCode, e.want, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// rawRequest sends a request line net/http's client cannot (GET *) and
// checks the answer the same way.
func (c *specCheck) rawRequest(t *testing.T, base, line string) int {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "%s\r\nHost: %s\r\nConnection: close\r\n\r\n", line, u.Host)
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(line + "\r\nHost: " + u.Host + "\r\n\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.check(req, nil, resp.StatusCode, resp.Header, body)
	return resp.StatusCode
}

// TestOpenAPIExchanges drives every documented operation of a running
// sidecar (beside a simulated 3-node cluster), answers that succeed and
// answers that refuse, every documented path with a wrong method, and
// some unknown paths, checking each exchange against the document; and
// that every operation was reached.
func TestOpenAPIExchanges(t *testing.T) {
	t.Parallel()
	_, sc := startLifecycleDemo(t, nil)
	u := sc.URL
	c := newSpecCheck(t, u, nil, "")
	do := func(e exchange) (int, map[string]any) { t.Helper(); return c.do(t, u, e) }

	// Health, once the sidecar has a full view.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, m := do(exchange{method: "GET", path: "/v1/health/cluster"})
		if code == 200 && m["status"] == "green" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster never green: %d %v", code, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, e := range []exchange{
		{method: "GET", path: "/v1/health/coordinator", want: []int{200}},
		{method: "GET", path: "/v1/health/coordinator/", want: []int{200}},
		{method: "GET", path: "/v1/health/replica", want: []int{200}},
		{method: "GET", path: "/v1/health/cluster/", want: []int{200}},
		{method: "GET", path: "/v1/health/cluster?dc=dc1&cl=LOCAL_QUORUM", want: []int{200}},
		{method: "GET", path: "/v1/health/cluster/?dc=dc1&cl=local_one&keyspace=system_auth", want: []int{200}},
		{method: "HEAD", path: "/v1/health/cluster?dc=dc1&cl=LOCAL_SERIAL", want: []int{200}},
		{method: "GET", path: "/v1/health/cluster?dc=dc9&cl=LOCAL_ONE", want: []int{400}},
		{method: "GET", path: "/v1/health/cluster?dc=dc1&cl=QUORUM", want: []int{400}},
		{method: "GET", path: "/v1/health/cluster?dc=dc1&cl=LOCAL_ONE&keyspace=nope", want: []int{400}},
		{method: "GET", path: "/v1/health/cluster?x=1", want: []int{400}},
		{method: "GET", path: "/v1/version", want: []int{200}},
		{method: "GET", path: "/metrics", want: []int{200}},
		{method: "GET", path: "/v1/openapi.json", want: []int{200}},
		{method: "GET", path: "/v1/openapi.yaml", want: []int{200}},
		{method: "GET", path: "/v1/openapi.yaml/", want: []int{404}},
		{method: "GET", path: "/metrics/", want: []int{404}},
		{method: "GET", path: "/v1/nope", want: []int{404}},
		{method: "POST", path: "/v1/health", want: []int{404}},
		{method: "GET", path: "//v1/./health/coordinator", want: []int{404}},
		{method: "GET", path: "/v1/settings/compaction_throughput", want: []int{404}},
		{method: "GET", path: "/v1/desires/node/nope", want: []int{404}},
		{method: "GET", path: "/v1/desires/nope", want: []int{404}},
		{method: "GET", path: "/v1/peer/desires/nope", want: []int{404}},
		{method: "POST", path: "/v1/bulkcmd/a/b", want: []int{404}},
		{method: "GET", path: "/v1/jobs/a/b", want: []int{404}},
	} {
		do(e)
	}
	if code := c.rawRequest(t, u, "GET * HTTP/1.1"); code != 400 {
		t.Errorf("GET *: %d", code)
	}

	// Settings, on this node and fanned out; the peer endpoints.
	for _, e := range []exchange{
		{method: "GET", path: "/v1/settings", want: []int{200}},
		{method: "GET", path: "/v1/settings/?key=compaction_throughput,concurrent_compactors", want: []int{200}},
		{method: "GET", path: "/v1/settings?key=compaction_throughput&scope=cluster", want: []int{200}},
		{method: "GET", path: "/v1/settings?key=compaction_throughput&dc=dc1", want: []int{200}},
		{method: "GET", path: "/v1/settings?scope=planet", want: []int{400}},
		{method: "GET", path: "/v1/settings?key=", want: []int{400}},
		{method: "GET", path: "/v1/settings?dc=dc9", want: []int{400}},
		{method: "PUT", path: "/v1/settings", body: `{"compaction_throughput_mb_per_sec": 12}`, want: []int{200}},
		{method: "PUT", path: "/v1/settings/?scope=cluster", body: `{"compaction_throughput": "16MiB/s"}`, want: []int{200}},
		{method: "PUT", path: "/v1/settings", body: `{"concurrent_compactors": 0}`, want: []int{400}},
		{method: "PUT", path: "/v1/settings", body: `{"trickle_fsync": true}`, want: []int{400}},
		{method: "PUT", path: "/v1/settings", body: `[1]`, want: []int{400}},
		{method: "PUT", path: "/v1/settings", want: []int{400}},
		{method: "POST", path: "/v1/settings?refresh=true", want: []int{200}},
		{method: "POST", path: "/v1/settings/?refresh=true&scope=cluster", want: []int{200}},
		{method: "POST", path: "/v1/settings", want: []int{400}},
		{method: "GET", path: "/v1/peer/settings?key=compaction_throughput", want: []int{200}},
		{method: "GET", path: "/v1/peer/settings?scope=cluster", want: []int{400}},
		{method: "PUT", path: "/v1/peer/settings", body: `{"compaction_throughput": "64MiB/s"}`, want: []int{200}},
		{method: "PUT", path: "/v1/peer/settings", body: `{"nope": 1}`, want: []int{400}},
		{method: "POST", path: "/v1/peer/settings?refresh=true", want: []int{200}},
		{method: "POST", path: "/v1/peer/settings", want: []int{400}},
		{method: "GET", path: "/v1/peer/settings/", want: []int{404}},
	} {
		do(e)
	}

	// Bulk commands and a job.
	for _, e := range []exchange{
		{method: "GET", path: "/v1/bulkcmd", want: []int{200}},
		{method: "GET", path: "/v1/bulkcmd/", want: []int{200}},
		{method: "POST", path: "/v1/bulkcmd/getcompactionthroughput", want: []int{200}},
		{method: "POST", path: "/v1/bulkcmd/setcompactionthroughput?dc=dc1", body: `{"rate_in_mb": 12}`, want: []int{200}},
		{method: "POST", path: "/v1/bulkcmd/version?scope=local", want: []int{200}},
		{method: "POST", path: "/v1/bulkcmd/setcompactionthroughput", body: `{"rate_in_mb": -1}`, want: []int{400}},
		{method: "POST", path: "/v1/bulkcmd/setcompactionthroughput", body: `{"rate": 1}`, want: []int{400}},
		{method: "POST", path: "/v1/bulkcmd/version?async=maybe", want: []int{400}},
		{method: "POST", path: "/v1/bulkcmd/version?force=1", want: []int{400}},
		{method: "POST", path: "/v1/bulkcmd/nope", want: []int{404}},
		{method: "POST", path: "/v1/bulkcmd/drain", want: []int{409}},
		{method: "POST", path: "/v1/bulkcmd/version", body: `{"x": "` + strings.Repeat("x", 2<<20) + `"}`, want: []int{413}},
		{method: "POST", path: "/v1/peer/bulkcmd/version", want: []int{200}},
		{method: "POST", path: "/v1/peer/bulkcmd/version?x=1", want: []int{400}},
		{method: "POST", path: "/v1/peer/bulkcmd/nope", want: []int{404}},
		{method: "GET", path: "/v1/jobs/nope", want: []int{404}},
	} {
		do(e)
	}
	code, acc := do(exchange{method: "POST", path: "/v1/bulkcmd/statusgossip?async=true", want: []int{202}})
	if id, _ := acc["job_id"].(string); code == 202 && id != "" {
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, j := do(exchange{method: "GET", path: "/v1/jobs/" + id, want: []int{200}})
			if j["state"] == "done" || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		do(exchange{method: "HEAD", path: "/v1/jobs/" + id, want: []int{200}})
	}
	do(exchange{method: "GET", path: "/v1/jobs", want: []int{200}})
	do(exchange{method: "GET", path: "/v1/jobs/", want: []int{200}})

	// The node: bad input, a stop (202, then 503 STOPPED), a start during
	// it (409), then a blocking start (200).
	for _, e := range []exchange{
		{method: "GET", path: "/v1/desires/node/status", want: []int{200}},
		{method: "GET", path: "/v1/desires/node/status?x=1", want: []int{400}},
		{method: "POST", path: "/v1/desires/node/stop?block=maybe", want: []int{400}},
		{method: "POST", path: "/v1/desires/node/start", body: `{}`, want: []int{400}},
		{method: "POST", path: "/v1/desires/node/stop?force=1&force=0", want: []int{400}},
	} {
		do(e)
	}
	do(exchange{method: "POST", path: "/v1/desires/node/stop", want: []int{202}})
	do(exchange{method: "POST", path: "/v1/desires/node/start/", want: []int{409}})
	deadline = time.Now().Add(30 * time.Second)
	for {
		code, m := do(exchange{method: "GET", path: "/v1/desires/node/status/", want: []int{200, 503}})
		if code == 503 && m["state"] == "STOPPED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never STOPPED: %d %v", code, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
	do(exchange{method: "HEAD", path: "/v1/desires/node/status", want: []int{503}})
	do(exchange{method: "GET", path: "/v1/health/coordinator", want: []int{503}})
	do(exchange{method: "POST", path: "/v1/desires/node/stop?block&force=false", want: []int{200}})
	do(exchange{method: "POST", path: "/v1/desires/node/start?block=true", want: []int{200}})

	// Cluster desires: none yet, a plan, refusals, then a desire paused,
	// resumed and cancelled.
	by := time.Now().Add(365 * 24 * time.Hour).Unix()
	for _, e := range []exchange{
		{method: "GET", path: "/v1/desires/cluster", want: []int{200}},
		{method: "POST", path: "/v1/desires/cluster/pause", want: []int{404}},
		{method: "POST", path: "/v1/desires/cluster?dry_run=true", body: fmt.Sprintf(`{"type": "restart", "by": %d}`, by), want: []int{200}},
		{method: "POST", path: "/v1/desires/cluster", body: `{"type": "upgrade", "by": 1}`, want: []int{400}},
		{method: "POST", path: "/v1/desires/cluster", body: fmt.Sprintf(`{"type": "restart", "by": %d, "dc": ["dc9"]}`, by), want: []int{400}},
		{method: "POST", path: "/v1/desires/cluster?dry_run=maybe", body: `{}`, want: []int{400}},
		{method: "GET", path: "/v1/peer/desires/view", want: []int{200}},
	} {
		do(e)
	}
	do(exchange{method: "POST", path: "/v1/desires/cluster/", body: fmt.Sprintf(`{"type": "restart", "by": %d, "max_parallel": 1}`, by), want: []int{200}})
	do(exchange{method: "POST", path: "/v1/desires/cluster/pause", want: []int{200}})
	do(exchange{method: "POST", path: "/v1/desires/cluster", body: fmt.Sprintf(`{"type": "restart", "by": %d}`, by+1), want: []int{409}})
	do(exchange{method: "POST", path: "/v1/desires/cluster/resume", want: []int{200}})
	do(exchange{method: "GET", path: "/v1/desires/cluster/", want: []int{200}})
	do(exchange{method: "POST", path: "/v1/desires/cluster/cancel", want: []int{200}})

	// Every documented path: HEAD where GET is documented, and methods
	// it does not document (405, Allow as documented).
	for path, item := range c.doc.Paths.Map() {
		concrete := strings.NewReplacer("{cmd}", "version", "{id}", "nojob").Replace(path)
		if item.Get != nil {
			want := []int{200}
			switch {
			case path == "/v1/jobs/{id}":
				want = []int{404}
			case strings.HasPrefix(path, "/v1/health/"), path == "/v1/desires/node/status":
				want = []int{200, 503} // a cancelled desire may still be restarting this node
			}
			do(exchange{method: "HEAD", path: concrete, want: want})
		}
		for _, m := range []string{"DELETE", "PATCH", "OPTIONS"} {
			do(exchange{method: m, path: concrete, want: []int{405}})
			if !noSlash(item) {
				do(exchange{method: m, path: concrete + "/", want: []int{405}})
			}
		}
		if item.Post == nil {
			do(exchange{method: "POST", path: concrete, want: []int{405}})
		}
	}

	if missing := c.unseen(); len(missing) > 0 {
		t.Errorf("operations no exchange reached: %v", missing)
	}
	t.Logf("%d exchanges with documented operations checked, every one of the %d operations reached", c.checked, len(c.seen))
}

// TestOpenAPISecureRefusals: with TLS, mutual TLS and JWT on, the auth
// policy's refusals (401, 403, 413) have the one error shape, and what
// a token lets through still matches the document.
func TestOpenAPISecureRefusals(t *testing.T) {
	t.Parallel()
	scfg, err := sim.TestConfig("dc1:1x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	sec, u := d.Security, d.Sidecars[0].URL
	c := newSpecCheck(t, u, tlsClient(t, sec.CAFile, nil).Transport, sec.Tokens["read"])
	for _, e := range []struct {
		exchange
		token string
	}{
		{exchange{method: "GET", path: "/v1/health/coordinator", want: []int{200, 503}}, ""},
		{exchange{method: "GET", path: "/v1/openapi.json", want: []int{401}}, ""},
		{exchange{method: "GET", path: "/v1/settings", want: []int{401}}, ""},
		{exchange{method: "GET", path: "/v1/nope", want: []int{401}}, ""},
		{exchange{method: "GET", path: "/v1/settings", want: []int{401}}, "garbled"},
		{exchange{method: "GET", path: "/v1/settings?key=compaction_throughput", want: []int{200}}, sec.Tokens["read"]},
		{exchange{method: "PUT", path: "/v1/settings", body: `{"compaction_throughput": "16MiB/s"}`, want: []int{403}}, sec.Tokens["read"]},
		{exchange{method: "GET", path: "/v1/peer/settings", want: []int{403}}, sec.Tokens["admin"]},
		{exchange{method: "PUT", path: "/v1/settings", body: `{"x": "` + strings.Repeat("x", 2<<20) + `"}`, want: []int{413}}, sec.Tokens["admin"]},
	} {
		req, err := http.NewRequest(e.method, u+e.path, strings.NewReader(e.body))
		if err != nil {
			t.Fatal(err)
		}
		if e.token != "" {
			req.Header.Set("Authorization", "Bearer "+e.token)
		}
		resp, err := c.client().Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", e.method, e.path, err)
		}
		resp.Body.Close()
		if !slices.Contains(e.want, resp.StatusCode) {
			t.Errorf("%s %s: %d, want %v", e.method, e.path, resp.StatusCode, e.want)
		}
	}
}
