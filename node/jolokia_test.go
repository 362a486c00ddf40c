package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const jolokiaCaptures = captureDir + "jolokia/"

// exchange is one captured Jolokia exchange.
type exchange struct {
	Label          string          `json:"label"`
	URL            string          `json:"url"`
	ContentType    string          `json:"content_type"`
	Request        json.RawMessage `json:"request"`
	RequestNotJSON *string         `json:"request_not_json"`
	Response       json.RawMessage `json:"response"`
}

func loadExchanges(t *testing.T, file string) []exchange {
	t.Helper()
	data, err := os.ReadFile(jolokiaCaptures + file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Exchanges []exchange `json:"exchanges"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Exchanges
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %q: %v", b, err)
	}
	return buf.String()
}

// replayAgent is an httptest server answering like the captured agent:
// the test sets the exchange it expects next; the server checks that the
// client sent exactly the captured request (bytes of the JSON body, path
// and query) and answers with the captured response bytes.
type replayAgent struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	next *exchange
	errs []string
}

func newReplayAgent(t *testing.T) *replayAgent {
	a := &replayAgent{t: t}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *replayAgent) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ex := a.next
	a.next = nil
	body, _ := io.ReadAll(r.Body)
	if ex == nil {
		a.errs = append(a.errs, "unexpected request "+string(body))
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	u, _ := url.Parse(ex.URL)
	if r.Method != http.MethodPost || r.URL.Path != u.Path || r.URL.RawQuery != u.RawQuery {
		a.errs = append(a.errs, "request "+r.Method+" "+r.URL.String()+", captured POST "+u.RequestURI())
	}
	var got bytes.Buffer
	if json.Compact(&got, body) != nil || got.String() != compact(a.t, ex.Request) {
		a.errs = append(a.errs, "body "+string(body)+", captured "+string(ex.Request))
	}
	w.Header().Set("Content-Type", ex.ContentType)
	w.Write(ex.Response)
}

// client returns a Jolokia client for the exchange's URL path and query on this server.
func (a *replayAgent) client(ex *exchange) *Jolokia {
	u, _ := url.Parse(ex.URL)
	a.mu.Lock()
	a.next = ex
	a.mu.Unlock()
	return &Jolokia{URL: a.srv.URL + u.RequestURI(), Client: a.srv.Client()}
}

func (a *replayAgent) check() {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.errs {
		a.t.Error(e)
	}
	a.errs = nil
	if a.next != nil {
		a.t.Errorf("captured exchange %q was not requested", a.next.Label)
		a.next = nil
	}
}

// toRequest builds a JolokiaRequest from a captured request object.
func toRequest(t *testing.T, raw json.RawMessage) JolokiaRequest {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	r := JolokiaRequest{Type: m["type"].(string)}
	r.MBean, _ = m["mbean"].(string)
	r.Operation, _ = m["operation"].(string)
	r.Path, _ = m["path"].(string)
	r.Value = m["value"]
	switch a := m["attribute"].(type) {
	case string:
		r.Attribute = a
	case []any:
		var names []string
		for _, n := range a {
			names = append(names, n.(string))
		}
		r.Attribute = names
	}
	if args, ok := m["arguments"].([]any); ok {
		r.Arguments = args
	}
	return r
}

// TestJolokiaReplay sends every captured POST request through the client
// (Do, or Bulk for arrays) and checks the request bytes and the decoded
// response: values for status 200, a *JolokiaError with the captured
// status, type and message otherwise.
func TestJolokiaReplay(t *testing.T) {
	all, err := filepath.Glob(jolokiaCaptures + "*.json")
	if err != nil {
		t.Fatal(err)
	}
	// Files holding only a response (read_Runtime.json and the like, see
	// CAPTURE.md) have no exchanges to replay.
	var files []string
	for _, f := range all {
		if len(loadExchanges(t, filepath.Base(f))) > 0 {
			files = append(files, f)
		}
	}
	if len(files) != 16 {
		t.Fatalf("%d capture files with exchanges, want 16", len(files))
	}
	agent := newReplayAgent(t)
	ctx := context.Background()
	replayed := 0
	for _, f := range files {
		for _, ex := range loadExchanges(t, filepath.Base(f)) {
			t.Run(filepath.Base(f)+"/"+ex.Label, func(t *testing.T) {
				switch {
				case strings.Contains(ex.URL, "/jolokia/read/"):
					t.Skip("GET URL form: the client only POSTs")
				case ex.RequestNotJSON != nil:
					t.Skip("malformed body: the client cannot send one (its response: TestJolokiaMalformedBodyResponse)")
				}
				agent.t = t
				j := agent.client(&ex)
				if bytes.HasPrefix(bytes.TrimSpace(ex.Request), []byte("[")) {
					var raws []json.RawMessage
					if err := json.Unmarshal(ex.Request, &raws); err != nil {
						t.Fatal(err)
					}
					var reqs []JolokiaRequest
					for _, r := range raws {
						reqs = append(reqs, toRequest(t, r))
					}
					resps, err := j.Bulk(ctx, reqs...)
					if err != nil {
						t.Fatal(err)
					}
					var want []json.RawMessage
					json.Unmarshal(ex.Response, &want)
					for i := range resps {
						checkResponse(t, &resps[i], resps[i].Err(), want[i])
					}
				} else {
					resp, err := j.Do(ctx, toRequest(t, ex.Request))
					checkResponse(t, resp, err, ex.Response)
				}
				agent.check()
				replayed++
			})
		}
	}
	if replayed < 60 {
		t.Errorf("only %d exchanges replayed", replayed)
	}
}

func checkResponse(t *testing.T, resp *JolokiaResponse, err error, captured json.RawMessage) {
	t.Helper()
	var want struct {
		Status    int    `json:"status"`
		ErrorType string `json:"error_type"`
		Error     string `json:"error"`
		Value     any    `json:"value"`
	}
	d := json.NewDecoder(bytes.NewReader(captured))
	d.UseNumber()
	if e := d.Decode(&want); e != nil {
		t.Fatal(e)
	}
	if want.Status != 200 {
		var je *JolokiaError
		if !errors.As(err, &je) || je.Status != want.Status || je.ErrorType != want.ErrorType || je.Message != want.Error {
			t.Fatalf("error %v, want status %d %s: %s", err, want.Status, want.ErrorType, want.Error)
		}
		if !IsJolokiaStatus(err, want.Status) || !strings.Contains(je.Error(), want.Error) {
			t.Errorf("Error() = %q", je.Error())
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := resp.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want.Value) {
		t.Errorf("value %#v, want %#v", got, want.Value)
	}
}

// findExchange returns the captured exchange with that label.
func findExchange(t *testing.T, file, label string) *exchange {
	t.Helper()
	for _, ex := range loadExchanges(t, file) {
		if ex.Label == label {
			return &ex
		}
	}
	t.Fatalf("%s: no exchange %q", file, label)
	return nil
}

// TestJolokiaAPIReplay: Read, ReadAttr, Write, Exec and Bulk send exactly
// the captured requests and decode the real answers.
func TestJolokiaAPIReplay(t *testing.T) {
	agent := newReplayAgent(t)
	ctx := context.Background()

	j := agent.client(findExchange(t, "bulk_two_reads.json", "alternative: one read with an attribute list -> value is an object keyed by attribute"))
	m, err := j.Read(ctx, StorageServiceMBean, "OperationMode", "ReleaseVersion", "GossipRunning")
	agent.check()
	if err != nil || !reflect.DeepEqual(m, map[string]any{"OperationMode": "NORMAL", "ReleaseVersion": "4.1.6", "GossipRunning": true}) {
		t.Errorf("Read = %v, %v", m, err)
	}

	j = agent.client(findExchange(t, "read_OperationMode.json", "OperationMode on node2"))
	v, err := j.ReadAttr(ctx, StorageServiceMBean, "OperationMode")
	agent.check()
	if err != nil || v != "NORMAL" {
		t.Errorf("ReadAttr = %v, %v", v, err)
	}

	j = agent.client(findExchange(t, "read_LiveNodesWithPort.json", "LiveNodesWithPort on node1"))
	v, err = j.ReadAttr(ctx, StorageServiceMBean, "LiveNodesWithPort")
	agent.check()
	if live, err2 := asStrings(v); err != nil || err2 != nil || len(live) != 3 || live[0] != "127.0.0.1:7000" {
		t.Errorf("LiveNodesWithPort = %v, %v, %v", v, err, err2)
	}

	j = agent.client(findExchange(t, "compaction_throughput.json", "node1: write 48 to show a real change (original was 64)"))
	old, err := j.Write(ctx, StorageServiceMBean, "CompactionThroughputMbPerSec", 48)
	agent.check()
	if err != nil || old != json.Number("64") {
		t.Errorf("Write = %#v, %v", old, err)
	}

	// Getters are attributes: exec of one is refused by the agent.
	j = agent.client(findExchange(t, "compaction_throughput.json", "node1: exec getCompactionThroughputMbPerSec -> fails: JMX getters are attributes, not operations"))
	_, err = j.Exec(ctx, StorageServiceMBean, "getCompactionThroughputMbPerSec")
	agent.check()
	if !IsJolokiaStatus(err, 400) {
		t.Errorf("exec getter: %v", err)
	}

	// String... varargs: an empty []string (even nil) is sent as [].
	j = agent.client(findExchange(t, "exec_forceKeyspaceFlush.json", "node1: forceKeyspaceFlush(\"smoke\", []) by name (not overloaded in 4.1.6) -> all tables, value null (void)"))
	v, err = j.Exec(ctx, StorageServiceMBean, "forceKeyspaceFlush", "smoke", []string(nil))
	agent.check()
	if err != nil || v != nil {
		t.Errorf("Exec flush = %v, %v", v, err)
	}
	j = agent.client(findExchange(t, "exec_forceKeyspaceFlush.json", "node1: with an explicit JMX signature and two tables"))
	_, err = j.Exec(ctx, StorageServiceMBean, "forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)", "smoke", []string{"kv", "s"})
	agent.check()
	if err != nil {
		t.Error(err)
	}
	j = agent.client(findExchange(t, "exec_forceKeyspaceFlush.json", "node1: forceKeyspaceFlush with only the keyspace -> fails: the String... varargs is a 2nd parameter (String[])"))
	_, err = j.Exec(ctx, StorageServiceMBean, "forceKeyspaceFlush", "smoke")
	agent.check()
	var je *JolokiaError
	if !errors.As(err, &je) || je.Status != 400 || je.ErrorType != "java.lang.IllegalArgumentException" ||
		!strings.HasPrefix(je.Message, "java.lang.IllegalArgumentException : Invalid number of operation arguments.") {
		t.Errorf("flush without varargs: %v", err)
	}
	j = agent.client(findExchange(t, "exec_overloaded_signature.json", "same operation with the signature in the operation name -> works"))
	v, err = j.Exec(ctx, StorageServiceMBean, "getNaturalEndpointsWithPort(java.lang.String,java.lang.String,java.lang.String)", "smoke", "kv", "1")
	agent.check()
	if eps, err2 := asStrings(v); err != nil || err2 != nil || len(eps) != 1 {
		t.Errorf("natural endpoints = %v, %v", v, err)
	}

	j = agent.client(findExchange(t, "error_bogus_mbean.json", "bogus MBean (default config: includeStackTrace=true -> has a \"stacktrace\" field)"))
	_, err = j.ReadAttr(ctx, "org.apache.cassandra.db:type=NoSuchMBean", "OperationMode")
	agent.check()
	if !errors.As(err, &je) || je.Status != 404 || je.ErrorType != "javax.management.InstanceNotFoundException" ||
		!strings.HasPrefix(je.Stacktrace, "javax.management.InstanceNotFoundException: org.apache.cassandra.db:type=NoSuchMBean\n\tat ") {
		t.Errorf("bogus MBean: %v", err)
	}

	j = agent.client(findExchange(t, "bulk_two_reads.json", "bulk with one bad entry -> per-entry status (200 and 404), HTTP still 200"))
	resps, err := j.Bulk(ctx,
		JolokiaRequest{Type: "read", MBean: StorageServiceMBean, Attribute: "GossipRunning"},
		JolokiaRequest{Type: "read", MBean: "org.apache.cassandra.db:type=NoSuchMBean", Attribute: "X"})
	agent.check()
	if err != nil || len(resps) != 2 || resps[0].Err() != nil || !IsJolokiaStatus(resps[1].Err(), 404) {
		t.Errorf("bulk: %+v, %v", resps, err)
	}
}

// TestJolokiaMalformedBodyResponse: the agent answers a body it cannot
// parse with one error object, even where a bulk array was expected.
func TestJolokiaMalformedBodyResponse(t *testing.T) {
	ex := findExchange(t, "error_bogus_mbean.json", "malformed JSON body")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ex.ContentType)
		w.Write(ex.Response)
	}))
	defer srv.Close()
	j := &Jolokia{URL: srv.URL + "/jolokia/?includeStackTrace=false"}
	_, err := j.Bulk(context.Background(), JolokiaRequest{Type: "version"})
	var je *JolokiaError
	if !errors.As(err, &je) || je.Status != 400 || je.ErrorType != "java.lang.IllegalArgumentException" ||
		!strings.HasPrefix(je.Message, "java.lang.IllegalArgumentException : Invalid JSON request") {
		t.Fatalf("err %v", err)
	}
}

// TestJolokiaHTTPErrors: a non-200 HTTP status is never the agent itself.
func TestJolokiaHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	j := &Jolokia{URL: srv.URL + "/wrong/"}
	_, err := j.ReadAttr(context.Background(), StorageServiceMBean, "OperationMode")
	var je *JolokiaError
	if err == nil || errors.As(err, &je) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("err %v", err)
	}
	srv.Close()
	if _, err := j.ReadAttr(context.Background(), StorageServiceMBean, "OperationMode"); err == nil || errors.As(err, &je) {
		t.Fatalf("closed server: %v", err)
	}
}

func TestJolokiaRequestJSON(t *testing.T) {
	for _, c := range []struct {
		req  JolokiaRequest
		want string
	}{
		{JolokiaRequest{Type: "exec", MBean: StorageServiceMBean, Operation: "drain"},
			`{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"drain"}`},
		{JolokiaRequest{Type: "write", MBean: StorageServiceMBean, Attribute: "CompactionThroughputMbPerSec", Value: 0},
			`{"type":"write","mbean":"org.apache.cassandra.db:type=StorageService","attribute":"CompactionThroughputMbPerSec","value":0}`},
		{JolokiaRequest{Type: "read", MBean: StorageServiceMBean, Attribute: []string{"OperationMode"}},
			`{"type":"read","mbean":"org.apache.cassandra.db:type=StorageService","attribute":["OperationMode"]}`},
		{JolokiaRequest{Type: "exec", MBean: StorageServiceMBean, Operation: "forceKeyspaceCleanup", Arguments: []any{"ks", []string(nil)}},
			`{"type":"exec","mbean":"org.apache.cassandra.db:type=StorageService","operation":"forceKeyspaceCleanup","arguments":["ks",[]]}`},
		{JolokiaRequest{Type: "version"}, `{"type":"version"}`},
	} {
		b, err := json.Marshal(c.req)
		if err != nil || string(b) != c.want {
			t.Errorf("got %s, %v\nwant %s", b, err, c.want)
		}
	}
}
