package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"time"
)

// StorageServiceMBean is the ObjectName of Cassandra's StorageService.
const StorageServiceMBean = "org.apache.cassandra.db:type=StorageService"

// maxJolokiaResponse bounds a response body; a full `list` of every MBean
// of a node is a few MiB.
const maxJolokiaResponse = 64 << 20

// Jolokia is a client of a Jolokia JVM agent (1.x protocol) beside Cassandra.
//
// URL is the agent URL, e.g. "http://127.0.0.1:8778/jolokia/". Query
// parameters are passed through unchanged ("?includeStackTrace=false" keeps
// error responses small). Client nil means http.DefaultClient; deadlines
// come from the context.
//
// The agent always answers HTTP 200: the real status is the "status" of
// each JSON response, and a status other than 200 is returned as a
// *JolokiaError. Numbers in values are json.Number (JMX longs exceed float64).
type Jolokia struct {
	URL    string
	Client *http.Client
}

// JolokiaRequest is one Jolokia request. Fields are written in the order
// the captured requests use: type, mbean, attribute, value, operation,
// arguments, path.
type JolokiaRequest struct {
	Type string // read, write, exec, list, version, search
	// MBean is an ObjectName, e.g. StorageServiceMBean.
	MBean string
	// Attribute is a string (one attribute: the value is that attribute's)
	// or a []string (the value is an object keyed by attribute name).
	Attribute any
	// Value is written by "write" requests (always sent, even when zero).
	Value any
	// Operation is an operation name, or "name(type,…)" for overloaded
	// operations, e.g. "forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)".
	Operation string
	// Arguments of "exec". A String... varargs parameter is one array
	// argument: ["ks", []] — nil slices are sent as [] for that reason.
	Arguments []any
	// Path of "list" requests, e.g. "org.apache.cassandra.db/type=StorageService".
	Path string
}

// MarshalJSON writes the request with fields in a fixed order and only
// those the type uses.
func (r JolokiaRequest) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(name string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		enc, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("jolokia: %s: %w", name, err)
		}
		b.Write(enc)
		return nil
	}
	if err := field("type", r.Type); err != nil {
		return nil, err
	}
	if r.MBean != "" {
		if err := field("mbean", r.MBean); err != nil {
			return nil, err
		}
	}
	if r.Attribute != nil {
		if err := field("attribute", r.Attribute); err != nil {
			return nil, err
		}
	}
	if r.Type == "write" {
		if err := field("value", r.Value); err != nil {
			return nil, err
		}
	}
	if r.Operation != "" {
		if err := field("operation", r.Operation); err != nil {
			return nil, err
		}
	}
	if len(r.Arguments) > 0 {
		args := make([]any, len(r.Arguments))
		for i, a := range r.Arguments {
			args[i] = emptyNilSlice(a)
		}
		if err := field("arguments", args); err != nil {
			return nil, err
		}
	}
	if r.Path != "" {
		if err := field("path", r.Path); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// emptyNilSlice turns a nil slice into an empty one: Jolokia needs [] for
// an empty String... parameter, and encoding/json writes a nil slice as null.
func emptyNilSlice(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	return v
}

// JolokiaResponse is one response as the agent sends it.
type JolokiaResponse struct {
	Request    json.RawMessage `json:"request"`
	Value      json.RawMessage `json:"value"`
	Timestamp  int64           `json:"timestamp"`
	Status     int             `json:"status"`
	ErrorType  string          `json:"error_type"`
	Error      string          `json:"error"`
	Stacktrace string          `json:"stacktrace"`
}

// Err is the response's error: nil for status 200, else a *JolokiaError.
func (r *JolokiaResponse) Err() error {
	if r.Status == http.StatusOK {
		return nil
	}
	return &JolokiaError{Status: r.Status, ErrorType: r.ErrorType, Message: r.Error, Stacktrace: r.Stacktrace}
}

// Decode returns the value with JSON numbers as json.Number.
func (r *JolokiaResponse) Decode() (any, error) {
	if len(r.Value) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(r.Value))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("jolokia: decoding value: %w", err)
	}
	return v, nil
}

// JolokiaError is a Jolokia error response: the agent reached, the request
// failed (unknown MBean 404, bad arguments or an exception thrown by the
// MBean 400, …).
type JolokiaError struct {
	Status int
	// ErrorType is the Java exception class, e.g. javax.management.InstanceNotFoundException.
	ErrorType string
	// Message is the agent's "error", e.g.
	// "javax.management.InstanceNotFoundException : org.apache.cassandra.db:type=NoSuchMBean".
	Message    string
	Stacktrace string
}

func (e *JolokiaError) Error() string {
	return fmt.Sprintf("jolokia: status %d: %s", e.Status, e.Message)
}

// Do sends one request and returns its response; a Jolokia error status
// is returned as a *JolokiaError together with the response.
func (j *Jolokia) Do(ctx context.Context, req JolokiaRequest) (*JolokiaResponse, error) {
	var resp JolokiaResponse
	if err := j.post(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, resp.Err()
}

// Bulk sends several requests in one POST (a JSON array). The error is
// only for the exchange as a whole; each response carries its own status
// (see JolokiaResponse.Err), in request order.
func (j *Jolokia) Bulk(ctx context.Context, reqs ...JolokiaRequest) ([]JolokiaResponse, error) {
	var resps []JolokiaResponse
	if err := j.post(ctx, reqs, &resps); err != nil {
		return nil, err
	}
	if len(resps) != len(reqs) {
		return nil, fmt.Errorf("jolokia: %d responses to %d requests", len(resps), len(reqs))
	}
	return resps, nil
}

// Read reads attributes of an MBean in one request (attribute list form),
// returning them keyed by name. No attributes: all of them.
func (j *Jolokia) Read(ctx context.Context, mbean string, attrs ...string) (map[string]any, error) {
	req := JolokiaRequest{Type: "read", MBean: mbean}
	if len(attrs) > 0 {
		// The list form: the value is an object even for one attribute.
		req.Attribute = attrs
	}
	resp, err := j.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	v, err := resp.Decode()
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("jolokia: read %s: value is %T, not an object", mbean, v)
	}
	return m, nil
}

// ReadAttr reads one attribute (string form): its value.
func (j *Jolokia) ReadAttr(ctx context.Context, mbean, attr string) (any, error) {
	resp, err := j.Do(ctx, JolokiaRequest{Type: "read", MBean: mbean, Attribute: attr})
	if err != nil {
		return nil, err
	}
	return resp.Decode()
}

// Write sets an attribute (JMX setters are attributes, not operations) and
// returns its previous value.
func (j *Jolokia) Write(ctx context.Context, mbean, attr string, v any) (old any, err error) {
	resp, err := j.Do(ctx, JolokiaRequest{Type: "write", MBean: mbean, Attribute: attr, Value: v})
	if err != nil {
		return nil, err
	}
	return resp.Decode()
}

// Exec invokes an operation and returns its result (nil for void).
func (j *Jolokia) Exec(ctx context.Context, mbean, operation string, args ...any) (any, error) {
	resp, err := j.Do(ctx, JolokiaRequest{Type: "exec", MBean: mbean, Operation: operation, Arguments: args})
	if err != nil {
		return nil, err
	}
	return resp.Decode()
}

func (j *Jolokia) post(ctx context.Context, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("jolokia: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	c := j.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(hr)
	if err != nil {
		return fmt.Errorf("jolokia: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxJolokiaResponse))
	if err != nil {
		return fmt.Errorf("jolokia: reading response: %w", err)
	}
	// The agent itself always answers 200; anything else is a proxy, a
	// wrong URL or an agent with authentication.
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("jolokia: HTTP %s from %s: %s", res.Status, j.URL, snippet(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		// A single request answered with an error object when a bulk
		// array was expected (e.g. a malformed body) still has a status.
		var single JolokiaResponse
		if json.Unmarshal(data, &single) == nil && single.Status != 0 && single.Status != http.StatusOK {
			return single.Err()
		}
		return fmt.Errorf("jolokia: malformed response: %w: %s", err, snippet(data))
	}
	return nil
}

func snippet(b []byte) string {
	if len(b) > 200 {
		return strconv.Quote(string(b[:200])) + "…"
	}
	return strconv.Quote(string(b))
}

// Helpers converting decoded Jolokia values.

func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	}
	return false, fmt.Errorf("%T is not a boolean", v)
}

func asString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%T is not a string", v)
}

func asStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return []string{}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("list element %T is not a string", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is not a list", v)
}

// IsJolokiaStatus reports whether err is a Jolokia error with that status.
func IsJolokiaStatus(err error, status int) bool {
	var je *JolokiaError
	return errors.As(err, &je) && je.Status == status
}

// defaultJolokiaClient is used by the adapter: no overall timeout (the
// context decides), short dial timeout so a stopped node fails fast.
func defaultJolokiaClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	tr.IdleConnTimeout = 30 * time.Second
	return &http.Client{Transport: tr}
}
