package jolokia

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func post(t *testing.T, ta *testAgent, body string) string {
	t.Helper()
	return ta.do(t, http.MethodPost, "http://127.0.0.1:8778/jolokia/", []byte(body)).Body.String()
}

func get(t *testing.T, ta *testAgent, path string) string {
	t.Helper()
	return ta.do(t, http.MethodGet, "http://127.0.0.1:8778"+path, nil).Body.String()
}

// noStack drops stack traces, which are checked by the replay test.
func noStack(s string) string { return stacktraceRE.ReplaceAllString(s, `"stacktrace":"-"`) }

func TestGetForms(t *testing.T) {
	ta := newTestAgent(t, "id")
	ta.now = time.Unix(1795432261, 0)
	for _, c := range []struct{ path, want string }{
		{"/jolokia/read/org.apache.cassandra.db:type=StorageService/OperationMode",
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":"OperationMode","type":"read"},"value":"NORMAL","timestamp":1795432261,"status":200}`},
		// Several attributes separated by commas; the value is a map.
		{"/jolokia/read/org.apache.cassandra.db:type=StorageService/OperationMode,ReleaseVersion",
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":["OperationMode","ReleaseVersion"],"type":"read"},"value":{"OperationMode":"NORMAL","ReleaseVersion":"4.1.6"},"timestamp":1795432261,"status":200}`},
		// Inner path into the value.
		{"/jolokia/read/org.apache.cassandra.db:type=StorageService/LiveNodesWithPort/1",
			`{"request":{"path":"1","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"LiveNodesWithPort","type":"read"},"value":"127.0.0.2:7000","timestamp":1795432261,"status":200}`},
		{"/jolokia/exec/org.apache.cassandra.db:type=StorageService/forceKeyspaceFlush/smoke/kv,s",
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","arguments":["smoke","kv,s"],"type":"exec","operation":"forceKeyspaceFlush"},"value":null,"timestamp":1795432261,"status":200}`},
		{"/jolokia/write/org.apache.cassandra.db:type=StorageService/CompactionThroughputMbPerSec/48",
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":"CompactionThroughputMbPerSec","type":"write","value":"48"},"value":64,"timestamp":1795432261,"status":200}`},
		{"/jolokia/read/org.apache.cassandra.db:type=StorageService/CompactionThroughputMbPerSec",
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":"CompactionThroughputMbPerSec","type":"read"},"value":48,"timestamp":1795432261,"status":200}`},
		// "!/" escapes a slash inside a path part.
		{"/jolokia/list/org.apache.cassandra.db/type=StorageService/op/forceKeyspaceFlush",
			`{"request":{"path":"org.apache.cassandra.db\/type=StorageService\/op\/forceKeyspaceFlush","type":"list"},"value":{"args":[{"name":"p1","type":"java.lang.String","desc":""},{"name":"p2","type":"[Ljava.lang.String;","desc":""}],"ret":"void","desc":"Operation exposed for management"},"timestamp":1795432261,"status":200}`},
		{"/jolokia/search/org.apache.cassandra.db:type=Storage*",
			`{"request":{"mbean":"org.apache.cassandra.db:type=Storage*","type":"search"},"value":["org.apache.cassandra.db:type=StorageProxy","org.apache.cassandra.db:type=StorageService"],"timestamp":1795432261,"status":200}`},
		{"/jolokia/read/org.apache.cassandra.db:type=StorageService",
			``},
	} {
		got := get(t, ta, c.path)
		if c.want == "" {
			continue
		}
		if got != c.want {
			t.Errorf("GET %s\n got %s\nwant %s", c.path, got, c.want)
		}
	}
	if v := get(t, ta, "/jolokia/"); !strings.HasPrefix(v, `{"request":{"type":"version"},"value":{"agent":"1.7.1","protocol":"7.2",`) {
		t.Errorf("GET /jolokia/: %s", v)
	}
}

func TestErrors(t *testing.T) {
	ta := newTestAgent(t, "id")
	ta.now = time.Unix(1795432261, 0)
	ss := `"mbean":"org.apache.cassandra.db:type=StorageService"`
	for _, c := range []struct{ body, want string }{
		{`{"type":"write",` + ss + `,"attribute":"ReleaseVersion","value":"5"}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":"ReleaseVersion","type":"write","value":"5"},"stacktrace":"-","error_type":"javax.management.AttributeNotFoundException","error":"javax.management.AttributeNotFoundException : Read-only attribute: ReleaseVersion","status":404}`},
		{`{"type":"write",` + ss + `,"attribute":"CompactionThroughputMbPerSec","value":"fast"}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":"CompactionThroughputMbPerSec","type":"write","value":"fast"},"stacktrace":"-","error_type":"java.lang.NumberFormatException","error":"java.lang.NumberFormatException : For input string: \"fast\"","status":400}`},
		{`{"type":"exec",` + ss + `,"operation":"getNaturalEndpointsWithPort(java.lang.String)","arguments":["x"]}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","arguments":["x"],"type":"exec","operation":"getNaturalEndpointsWithPort(java.lang.String)"},"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : No operation getNaturalEndpointsWithPort(java.lang.String) on MBean org.apache.cassandra.db:type=StorageService exists. Known signatures: (java.lang.String,java.lang.String,java.lang.String),(java.lang.String,java.nio.ByteBuffer)","status":400}`},
		{`{"type":"exec",` + ss + `,"operation":"joinRing"}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","type":"exec","operation":"joinRing"},"stacktrace":"-","error_type":"java.lang.UnsupportedOperationException","error":"java.lang.UnsupportedOperationException : not simulated by ringside sim: joinRing","status":500}`},
		{`{"type":"read",` + ss + `,"attribute":["OperationMode","Nope"],"config":{"ignoreErrors":"true"}}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":["OperationMode","Nope"],"type":"read"},"value":{"Nope":"ERROR: No such attribute: Nope (class javax.management.AttributeNotFoundException)","OperationMode":"NORMAL"},"timestamp":1795432261,"status":200}`},
		{`{"type":"read",` + ss + `,"attribute":["OperationMode","Nope"]}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":["OperationMode","Nope"],"type":"read"},"stacktrace":"-","error_type":"javax.management.AttributeNotFoundException","error":"javax.management.AttributeNotFoundException : No such attribute: Nope","status":404}`},
		{`{"type":"bogus"}`,
			`{"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : No type with name 'bogus' exists","status":400}`},
		{`{"type":"read","mbean":5}`,
			`{"stacktrace":"-","error_type":"java.lang.ClassCastException","error":"java.lang.ClassCastException : class java.lang.Long cannot be cast to class java.lang.String (java.lang.Long and java.lang.String are in module java.base of loader 'bootstrap')","status":500}`},
		{`[{"type":"version"},5]`,
			`{"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : Not a request within the list of requests [{\"type\":\"version\"},5]. Expected map, but found: 5","status":400}`},
		{`"read"`,
			`{"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : Invalid JSON Request read","status":400}`},
		{`{"type":"read","mbean":"a:b=c","attribute":"x","target":{"url":"service:jmx:rmi:///x"}}`,
			`{"request":{"mbean":"a:b=c","attribute":"x","type":"read","target":{"url":"service:jmx:rmi:\/\/\/x"}},"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : No JSR-160 proxy is enabled by default since Jolokia 1.5.0. Please refer to the reference manual, section \"Proxy Mode\", for how to switch on JSR-160 proxy mode again.","status":400}`},
		{`{"type":"list","path":"org.apache.cassandra.db/type=StorageService/op/nope"}`,
			`{"request":{"path":"org.apache.cassandra.db\/type=StorageService\/op\/nope","type":"list"},"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : Path given but extracted value is empty","status":400}`},
		{`{"type":"list","path":"org.apache.cassandra.db/type=Nope"}`,
			`{"request":{"path":"org.apache.cassandra.db\/type=Nope","type":"list"},"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : No MBean 'org.apache.cassandra.db:type=Nope' found","status":400}`},
		// Lenient json-simple: no commas, repeated colons.
		{`{"type" "read" "mbean"::"org.apache.cassandra.db:type=StorageService" "attribute":"Drained",}`,
			`{"request":{"mbean":"org.apache.cassandra.db:type=StorageService","attribute":"Drained","type":"read"},"value":false,"timestamp":1795432261,"status":200}`},
		{`{"type":"version","x":99999999999999999999}`,
			`{"stacktrace":"-","error_type":"java.lang.NumberFormatException","error":"java.lang.NumberFormatException : For input string: \"99999999999999999999\"","status":400}`},
		{`{"type":"read",` + ss + `,"attribute":"OperationMode","config":{"includeStackTrace":"runtime"},"path":"x"}`,
			`{"request":{"path":"x","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"OperationMode","type":"read"},"error_type":"javax.management.AttributeNotFoundException","error":"javax.management.AttributeNotFoundException : No getter known for attribute x for class java.lang.String","status":404}`},
	} {
		if got := noStack(post(t, ta, c.body)); got != c.want {
			t.Errorf("POST %s\n got %s\nwant %s", c.body, got, c.want)
		}
	}
}

func TestListDepthAndAll(t *testing.T) {
	ta := newTestAgent(t, "id")
	ta.now = time.Unix(1, 0)
	got := post(t, ta, `{"type":"list","config":{"maxDepth":2}}`)
	want := `{"request":{"type":"list"},"value":{"org.apache.cassandra.db":{"type=StorageProxy":"1","type=EndpointSnitchInfo":"1","type=CompactionManager":"1","type=StorageService":"1"},"org.apache.cassandra.hints":{"type=HintsService":"1"}},"timestamp":1,"status":200}`
	if got != want {
		t.Errorf("list maxDepth=2\n got %s\nwant %s", got, want)
	}
	got = post(t, ta, `{"type":"list","path":"org.apache.cassandra.db/type=CompactionManager/attr/CoreCompactorThreads"}`)
	want = `{"request":{"path":"org.apache.cassandra.db\/type=CompactionManager\/attr\/CoreCompactorThreads","type":"list"},"value":{"rw":true,"type":"int","desc":"Attribute exposed for management"},"timestamp":1,"status":200}`
	if got != want {
		t.Errorf("list attribute\n got %s\nwant %s", got, want)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(post(t, ta, `{"type":"list"}`)), &v); err != nil || v["status"] != 200.0 {
		t.Errorf("full list: %v %v", err, v["status"])
	}
}

func TestNotFoundContextAndMethods(t *testing.T) {
	ta := newTestAgent(t, "id")
	rec := ta.do(t, http.MethodGet, "http://127.0.0.1:8778/jolokia", nil)
	if rec.Code != 404 || rec.Body.String() != "<h1>404 Not Found</h1>No context found for request" {
		t.Errorf("outside the context: %d %q", rec.Code, rec.Body.String())
	}
	rec = ta.do(t, http.MethodPut, "http://127.0.0.1:8778/jolokia/", []byte("{}"))
	if got := noStack(rec.Body.String()); got != `{"stacktrace":"-","error_type":"java.lang.IllegalArgumentException","error":"java.lang.IllegalArgumentException : HTTP Method PUT is not supported.","status":400}` {
		t.Errorf("PUT: %s", got)
	}
	req := httptest.NewRequest(http.MethodOptions, "/jolokia/", nil)
	req.Header.Set("Origin", "http://example")
	rec = httptest.NewRecorder()
	ta.handler.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 || rec.Header().Get("Access-Control-Allow-Origin") != "http://example" {
		t.Errorf("OPTIONS: %v %q", rec.Header(), rec.Body.String())
	}
	rec = ta.do(t, http.MethodGet, "http://127.0.0.1:8778/jolokia/version?callback=cb&mimeType=application/json", nil)
	if ct := rec.Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" || !strings.HasPrefix(rec.Body.String(), "cb({") {
		t.Errorf("JSONP: %s %s", ct, rec.Body.String())
	}
	rec = ta.do(t, http.MethodGet, "http://127.0.0.1:8778/jolokia/version?mimeType=application/json", nil)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("mimeType: %s", ct)
	}
}

// TestOneRequestAtATime: like the agent's single HTTP thread, a long
// operation (drain) holds back every other request.
func TestOneRequestAtATime(t *testing.T) {
	ta := newTestAgent(t, "id")
	release := make(chan struct{})
	var inDrain atomic.Bool
	ss := ta.reg.Lookup(StorageServiceName)
	ss.OnCall("drain", func([]any) (any, error) {
		inDrain.Store(true)
		<-release
		return nil, nil
	})
	srv := httptest.NewServer(ta.handler) // 127.0.0.1:0
	defer srv.Close()
	drained := make(chan error, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/jolokia/", "application/json",
			strings.NewReader(`{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"drain"}`))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		drained <- err
	}()
	for !inDrain.Load() {
		time.Sleep(time.Millisecond)
	}
	read := make(chan string, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/jolokia/read/org.apache.cassandra.db:type=StorageService/OperationMode")
		if err != nil {
			read <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		read <- string(b)
	}()
	select {
	case r := <-read:
		t.Fatalf("read answered during drain: %s", r)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	if r := <-read; !strings.Contains(r, `"value":"NORMAL"`) {
		t.Errorf("read after drain: %s", r)
	}
}

func TestJavaHashMapOrder(t *testing.T) {
	m := NewMap()
	for _, k := range []string{"value", "request", "timestamp", "status"} {
		m.Put(k, nil)
	}
	if got := strings.Join(m.Keys(), ","); got != "request,value,timestamp,status" {
		t.Errorf("order %s", got)
	}
	m = NewMap()
	for _, k := range []string{"status", "error", "error_type", "stacktrace", "request"} {
		m.Put(k, nil)
	}
	if got := strings.Join(m.Keys(), ","); got != "request,stacktrace,error_type,error,status" {
		t.Errorf("order %s", got)
	}
}

func TestJavaFormatting(t *testing.T) {
	for f, want := range map[float64]string{
		64: "64.0", 0.001: "0.001", 1e7: "1.0E7", 1.5e-5: "1.5E-5", 123456.789: "123456.789", -0.0: "0.0", 1e23: "1.0E23",
	} {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %s, want %s", f, got, want)
		}
	}
	var b strings.Builder
	escapeJSON(&b, "a/b\"\u2028\x01é")
	if got := b.String(); got != `a\/b\"\u2028\u0001é` {
		t.Errorf("escape: %s", got)
	}
}

func TestEscapedSplit(t *testing.T) {
	for in, want := range map[string]string{
		"a/b/c": "a|b|c", "a!/b/c": "a/b|c", "a!!/b": "a!|b", "a/": "a", "a//b": "a||b", "": "", "/a": "|a",
	} {
		if got := strings.Join(splitEscaped(in, '!', '/'), "|"); got != want {
			t.Errorf("split %q = %q, want %q", in, got, want)
		}
	}
	parts := parsePath("a!/b/*/c")
	if combineToPath(parts) != "a!/b/*/c" || parts[1] != nil {
		t.Errorf("path round trip: %q", combineToPath(parts))
	}
}

func TestObjectNames(t *testing.T) {
	for in, want := range map[string]string{
		"not an object name": "Key properties cannot be empty",
		"d:":                 "Key properties cannot be empty",
		"type=x":             "Domain part must be specified",
		"d:a=1,":             "Invalid ending comma",
		"d:a=1,a=2":          "key `a' already defined",
		"d:=1":               "Invalid key (empty)",
		"d:a":                "Unterminated key property part",
		"d:a=b:c":            "Invalid character ':' in value part of property",
		`d:a="x`:             "Unterminated quoted value",
		"d:*,*":              "Cannot have several '*' characters in pattern property list",
	} {
		_, err := parseObjectName(in)
		if err == nil || err.message() != want {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	on, err := parseObjectName("org.apache.cassandra.metrics:type=Table,keyspace=ks,name=ReadLatency")
	if err != nil || on.canonical() != "org.apache.cassandra.metrics:keyspace=ks,name=ReadLatency,type=Table" {
		t.Errorf("canonical: %v %v", on, err)
	}
	p, _ := parseObjectName("org.apache.cassandra.metrics:type=Table,*")
	if !p.apply(on) || p.canonical() != "org.apache.cassandra.metrics:type=Table,*" {
		t.Errorf("pattern %s", p.canonical())
	}
}
