// Package fanout runs one request on many nodes: the sidecar that
// receives a cluster-scoped settings change or bulk command selects the
// target nodes (all, a DC, a rack, host ids or addresses), runs it on
// itself directly and on every other node through that node's sidecar
// (/v1/peer/…), in parallel with bounded concurrency and a per-node
// timeout, and collects one result per node.
package fanout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Target is one node and its sidecar.
type Target struct {
	HostID   string `json:"host_id"`
	Address  string `json:"address"`  // the node's broadcast address, without port
	Endpoint string `json:"endpoint"` // address:storage_port, as nodetool and the CEP name nodes
	DC       string `json:"datacenter"`
	Rack     string `json:"rack"`
	URL      string `json:"-"` // base URL of its sidecar
	Self     bool   `json:"-"` // the node of the sidecar doing the fan-out
}

// Selector chooses targets. The zero value selects every node.
type Selector struct {
	DCs   []string // datacenter names
	Racks []string // rack names, or "dc:rack" to name one DC's rack
	Hosts []string // host ids or addresses
	Local bool     // only this node
}

// ParseSelector reads the selector from query parameters: scope=local|cluster
// (default given), dc=a,b, rack=r1 or dc1:r1, hosts=id-or-address,…;
// repeated parameters add up. Any of dc, rack, hosts implies scope cluster.
// Other parameters are the caller's to check.
func ParseSelector(q url.Values, defaultScope string) (Selector, error) {
	var s Selector
	list := func(k string) []string {
		var out []string
		for _, v := range q[k] {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	s.DCs, s.Racks, s.Hosts = list("dc"), list("rack"), list("hosts")
	for _, k := range []string{"dc", "rack", "hosts"} {
		if _, ok := q[k]; ok && len(list(k)) == 0 {
			return s, fmt.Errorf("%s is empty", k)
		}
	}
	scope := defaultScope
	if len(s.DCs)+len(s.Racks)+len(s.Hosts) > 0 {
		scope = "cluster"
	}
	if vs, ok := q["scope"]; ok {
		if len(vs) != 1 {
			return s, errors.New("scope is given more than once")
		}
		scope = vs[0]
	}
	switch scope {
	case "local":
		if len(s.DCs)+len(s.Racks)+len(s.Hosts) > 0 {
			return s, errors.New("scope=local cannot be combined with dc, rack or hosts")
		}
		s.Local = true
	case "cluster":
	default:
		return s, fmt.Errorf("scope=%q: use local or cluster", clip(scope))
	}
	return s, nil
}

// Query is the selector as query parameters (for forwarding it).
func (s Selector) Query() url.Values {
	q := url.Values{}
	if s.Local {
		q.Set("scope", "local")
		return q
	}
	q.Set("scope", "cluster")
	if len(s.DCs) > 0 {
		q.Set("dc", strings.Join(s.DCs, ","))
	}
	if len(s.Racks) > 0 {
		q.Set("rack", strings.Join(s.Racks, ","))
	}
	if len(s.Hosts) > 0 {
		q.Set("hosts", strings.Join(s.Hosts, ","))
	}
	return q
}

// Select returns the targets the selector names, in the given order. Every
// DC, rack and host named must exist, so a typo is an error, not a
// command that silently runs nowhere.
func (s Selector) Select(all []Target) ([]Target, error) {
	if s.Local {
		for _, t := range all {
			if t.Self {
				return []Target{t}, nil
			}
		}
		return nil, errors.New("this node is not known yet (first refresh pending)")
	}
	var problems []string
	for _, dc := range s.DCs {
		if !slices.ContainsFunc(all, func(t Target) bool { return t.DC == dc }) {
			problems = append(problems, fmt.Sprintf("no datacenter %q", clip(dc)))
		}
	}
	for _, r := range s.Racks {
		if !slices.ContainsFunc(all, func(t Target) bool { return rackMatches(r, t) }) {
			problems = append(problems, fmt.Sprintf("no rack %q", clip(r)))
		}
	}
	for _, h := range s.Hosts {
		if !slices.ContainsFunc(all, func(t Target) bool { return hostMatches(h, t) }) {
			problems = append(problems, fmt.Sprintf("no node with host id or address %q", clip(h)))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	var out []Target
	for _, t := range all {
		if (len(s.DCs) == 0 || slices.Contains(s.DCs, t.DC)) &&
			(len(s.Racks) == 0 || slices.ContainsFunc(s.Racks, func(r string) bool { return rackMatches(r, t) })) &&
			(len(s.Hosts) == 0 || slices.ContainsFunc(s.Hosts, func(h string) bool { return hostMatches(h, t) })) {
			out = append(out, t)
		}
	}
	return out, nil
}

func rackMatches(r string, t Target) bool {
	if dc, rack, ok := strings.Cut(r, ":"); ok {
		return t.DC == dc && t.Rack == rack
	}
	return t.Rack == r
}

func hostMatches(h string, t Target) bool {
	return strings.EqualFold(h, t.HostID) || h == t.Address || h == t.Endpoint
}

// Cluster is what a fan-out needs from the sidecar: the nodes it knows
// (this one included, marked Self) and the client to reach their sidecars.
type Cluster interface {
	Targets() []Target
	Fanout() *Client
}

// Result is one node's outcome.
type Result struct {
	Target
	Success bool `json:"success"`
	// Status is the peer sidecar's HTTP status (0 when it did not answer,
	// or for the local node).
	Status int `json:"http_status,omitempty"`
	// Value is what the command returned on that node.
	Value json.RawMessage `json:"value,omitempty"`
	Error string          `json:"error,omitempty"`
	// Seconds is how long the node took.
	Seconds float64 `json:"seconds"`
}

// LocalFunc runs the request on this node.
type LocalFunc func(ctx context.Context) (value any, err error)

// Request is one fan-out.
type Request struct {
	Method string
	Path   string // on the peer sidecars, e.g. /v1/peer/bulkcmd/flush
	Query  url.Values
	Body   []byte
	// Header is forwarded to the peers (the caller's Authorization).
	Header http.Header
	Local  LocalFunc
	// OnResult, if set, is called as each node finishes (from several
	// goroutines, never concurrently).
	OnResult func(Result)
}

// Client fans requests out to peer sidecars.
type Client struct {
	// HTTP should keep one idle connection per peer (MaxIdleConns 0,
	// MaxIdleConnsPerHost ≥ 1), so a fan-out reuses them rather than
	// dialing every node again; nil uses such a client.
	HTTP *http.Client
	// Concurrency is the most nodes asked at once (0: DefaultConcurrency);
	// Do also bounds it by the targets and by the open-file limit.
	Concurrency int
	Timeout     time.Duration // per node (default 30s)
}

// DefaultConcurrency is wide enough that a fan-out to up to 1024 nodes
// runs in one wave, finishing near the slowest node's time; a narrower
// width takes ⌈nodes / width⌉ waves (64 took 16 for 1000 nodes).
const DefaultConcurrency = 1024

// fdShare is the part of the open-file limit one fan-out may hold in
// sockets at once: the rest is for what grows with the cluster too (an
// idle connection to every peer, every peer's connections to this
// sidecar) and for CQL, JMX and files.
const fdShare = 4

// openFileLimit is the process's soft RLIMIT_NOFILE (Go raises it to the
// hard limit at start-up); ok false where it cannot be known.
var openFileLimit = nofileLimit

// Width is how many of n targets Do asks at once: Concurrency (or
// DefaultConcurrency), at most n, and at most a quarter of the open-file
// limit, so a wide fan-out cannot exhaust the file descriptors.
func (c *Client) Width(n int) int {
	w := c.Concurrency
	if w <= 0 {
		w = DefaultConcurrency
	}
	if lim, ok := openFileLimit(); ok {
		w = int(min(uint64(w), max(lim/fdShare, 1)))
	}
	return max(1, min(w, n))
}

// defaultHTTP keeps an idle connection to every peer: http.DefaultClient
// keeps 100 in all, so a 1000-node fan-out would dial 900 nodes anew.
var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:               nil,
	MaxIdleConns:        0,
	MaxIdleConnsPerHost: 4,
	IdleConnTimeout:     90 * time.Second,
}}

// Do runs req on every target and returns the results in target order.
// A peer that does not answer within the timeout is a failure for that
// node only.
func (c *Client) Do(ctx context.Context, targets []Target, req Request) []Result {
	results := make([]Result, len(targets))
	sem := make(chan struct{}, c.Width(len(targets)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := c.one(ctx, t, req)
			results[i] = r
			if req.OnResult != nil {
				mu.Lock()
				req.OnResult(r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 30 * time.Second
}

func (c *Client) one(ctx context.Context, t Target, req Request) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	r := Result{Target: t}
	defer func() { r.Seconds = seconds(time.Since(start)) }()
	if t.Self && req.Local != nil {
		v, err := req.Local(ctx)
		r.Seconds = seconds(time.Since(start))
		if err != nil {
			r.Error = err.Error()
			return r
		}
		b, err := json.Marshal(v)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		r.Success, r.Value = true, b
		return r
	}
	r = c.remote(ctx, t, req)
	r.Seconds = seconds(time.Since(start))
	return r
}

// maxPeerAnswer bounds what is read from one peer.
const maxPeerAnswer = 4 << 20

// peerAnswer is what a /v1/peer/… endpoint returns: {"value": …} on
// success, {"error": …} otherwise.
type peerAnswer struct {
	Value json.RawMessage `json:"value,omitempty"`
	Error string          `json:"error,omitempty"`
}

func (c *Client) remote(ctx context.Context, t Target, req Request) Result {
	r := Result{Target: t}
	u := strings.TrimSuffix(t.URL, "/") + req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u, bytes.NewReader(req.Body))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if len(req.Body) > 0 {
		hr.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(hr)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			r.Error = fmt.Sprintf("the sidecar at %s did not answer within %s", t.URL, c.timeout())
		} else {
			r.Error = fmt.Sprintf("the sidecar at %s: %v", t.URL, err)
		}
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPeerAnswer))
	if err != nil {
		r.Error = fmt.Sprintf("reading the answer of %s: %v", t.URL, err)
		return r
	}
	var a peerAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		r.Error = fmt.Sprintf("the sidecar at %s answered HTTP %d with a body that is not JSON", t.URL, resp.StatusCode)
		return r
	}
	if resp.StatusCode != http.StatusOK {
		r.Error = a.Error
		if r.Error == "" {
			r.Error = fmt.Sprintf("HTTP %d from the sidecar at %s", resp.StatusCode, t.URL)
		}
		return r
	}
	r.Success, r.Value = true, a.Value
	return r
}

// WritePeerAnswer writes what a /v1/peer/… endpoint returns.
func WritePeerAnswer(w http.ResponseWriter, value any, err error, errCode int) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		b, _ := json.Marshal(peerAnswer{Error: err.Error()})
		w.WriteHeader(errCode)
		w.Write(b)
		return
	}
	v, merr := json.Marshal(value)
	if merr != nil {
		b, _ := json.Marshal(peerAnswer{Error: merr.Error()})
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(b)
		return
	}
	b, _ := json.Marshal(peerAnswer{Value: v})
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
