// Package client is a typed Go client of the ringside sidecar's HTTP API:
// health checks, version, hot settings, bulk commands and their jobs,
// node stop and start, and cluster desires (coordinated restarts). The
// ringside command line uses it; other programs can too.
//
//	c, err := client.New("https://10.0.0.5:5000",
//		client.WithRootCAs(pool), client.WithToken(jwt))
//	...
//	rep, err := c.Health(ctx, client.CheckCoordinator)
//	// rep.Healthy is the 200 (true) or 503 (false) of the check
//
// Every method sends one request. Its error is one of:
//
//   - *APIError: the sidecar answered, but not with what the method
//     returns: a refusal ({"error": …}, with "problems" for bad settings
//     or bulk parameters), or a body that is not the expected document;
//   - *SchemeError: http:// to a sidecar that serves HTTPS, or the reverse;
//   - *TransportError: no answer (connection, TLS verification, timeout,
//     cancellation: errors.Is and errors.As reach the cause).
//
// A health check that fails (503), a stopped node's status (503), a
// start that failed (500) and a fan-out on which some nodes failed (502)
// are answers, not errors: the result says so. Each result keeps the
// sidecar's JSON as sent in Raw. Do is the low-level call beneath, for
// endpoints or fields the typed methods do not cover.
//
// The package depends on the standard library only. Its types mirror the
// JSON the sidecar's packages write (a test compares them field by field
// with those packages' types), so programs using it do not link the
// sidecar, the CQL driver or Prometheus.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds the answer read: the largest, a fan-out over a
// thousand nodes' settings, is a few MiB.
const maxBody = 16 << 20

// Client calls one sidecar's API. It is safe for concurrent use.
type Client struct {
	base    string // no trailing slash
	token   string
	timeout time.Duration
	hc      *http.Client
}

// Option configures New.
type Option func(*options)

type options struct {
	token      string
	timeout    time.Duration
	hc         *http.Client
	tlsConfig  *tls.Config
	rootCAs    *x509.CertPool
	clientCert *tls.Certificate
}

// WithToken sends the JWT as "Authorization: Bearer <token>" on every
// request (security.jwt_* on the sidecar).
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTimeout bounds every request, the answer's body included; 0 (the
// default) leaves it to the context. A stop or start with Block waits for
// the node: give those a long bound or none.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithRootCAs verifies an https sidecar's certificate against pool (its
// cluster CA) instead of the system's roots.
func WithRootCAs(pool *x509.CertPool) Option { return func(o *options) { o.rootCAs = pool } }

// WithClientCertificate presents cert in the TLS handshake: the
// sidecars' /v1/peer/ endpoints take only callers with a certificate of
// the cluster CA (security.client_ca_file); the public ones never ask.
func WithClientCertificate(cert tls.Certificate) Option {
	return func(o *options) { o.clientCert = &cert }
}

// WithTLSConfig starts from a copy of cfg (WithRootCAs and
// WithClientCertificate still apply on top of it).
func WithTLSConfig(cfg *tls.Config) Option { return func(o *options) { o.tlsConfig = cfg } }

// WithHTTPClient sends the requests through hc, as configured (its
// transport's TLS settings, proxy and timeouts); it cannot be combined
// with the TLS options.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.hc = hc } }

// New returns a client of the sidecar at baseURL: http:// or https://,
// host and port, and an optional path prefix (a reverse proxy's); a bare
// host:port is http://.
func New(baseURL string, opts ...Option) (*Client, error) {
	base, err := normalizeBase(baseURL)
	if err != nil {
		return nil, err
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	c := &Client{base: base, token: o.token, timeout: o.timeout, hc: o.hc}
	if o.timeout < 0 {
		return nil, fmt.Errorf("client: negative timeout %s", o.timeout)
	}
	if c.hc != nil {
		if o.tlsConfig != nil || o.rootCAs != nil || o.clientCert != nil {
			return nil, errors.New("client: WithHTTPClient cannot be combined with WithTLSConfig, WithRootCAs or WithClientCertificate: configure TLS on that client's transport")
		}
		return c, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.tlsConfig != nil {
		tc = o.tlsConfig.Clone()
	}
	if o.rootCAs != nil {
		tc.RootCAs = o.rootCAs
	}
	if o.clientCert != nil {
		tc.Certificates = []tls.Certificate{*o.clientCert}
	}
	c.hc = &http.Client{Transport: &http.Transport{
		// Sidecars are reached directly, as they reach each other: never
		// through an HTTP proxy of the environment.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     tc,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}}
	return c, nil
}

func normalizeBase(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("client: base URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("client: base URL %q must be http:// or https://", s)
	case u.Host == "":
		return "", fmt.Errorf("client: base URL %q has no host", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("client: base URL %q: give only scheme, host, port and an optional path prefix", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// BaseURL is the sidecar's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Response is one HTTP answer, as Do returns it.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Method     string
	URL        string // the whole URL requested
}

// Do sends one request: path is the endpoint's (it may carry a query of
// its own), query is added to it, body (nil: none) goes as JSON. Any
// HTTP answer is a Response, whatever its status (see AsError); the error
// is a *TransportError or a *SchemeError when there was none to use.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte) (*Response, error) {
	u := c.base + path
	if len(query) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		u += sep + query.Encode()
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		var record tls.RecordHeaderError
		if strings.HasPrefix(u, "https:") && (errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")) {
			return nil, &SchemeError{BaseURL: c.base, Err: err}
		}
		return nil, &TransportError{Method: method, URL: u, BaseURL: c.base, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &TransportError{Method: method, URL: u, BaseURL: c.base, Err: err, ReadingBody: true}
	}
	// What Go's TLS server answers a plain-http request with.
	if resp.StatusCode == http.StatusBadRequest && strings.HasPrefix(u, "http:") && bytes.Contains(b, []byte("HTTP request to an HTTPS server")) {
		return nil, &SchemeError{BaseURL: c.base, ServerTLS: true}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b, Method: method, URL: u}, nil
}

// call does one request and decodes its answer into v when want accepts
// the status and valid (nil: any) the decoded document; anything else is
// the answer's *APIError.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body []byte, v any, want func(code int) bool, valid func(body []byte) bool) (*Response, error) {
	resp, err := c.Do(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	if !want(resp.StatusCode) || json.Unmarshal(resp.Body, v) != nil || (valid != nil && !valid(resp.Body)) {
		return resp, resp.AsError()
	}
	return resp, nil
}

func is(codes ...int) func(int) bool {
	return func(code int) bool {
		for _, c := range codes {
			if c == code {
				return true
			}
		}
		return false
	}
}

// jsonBody is v as a request body: json.RawMessage or []byte as is (it
// must be valid JSON), nil as empty, anything else marshalled.
func jsonBody(v any, empty []byte) ([]byte, error) {
	var b []byte
	switch x := v.(type) {
	case nil:
		return empty, nil
	case json.RawMessage:
		b = x
	case []byte:
		b = x
	default:
		m, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("client: encoding the body: %w", err)
		}
		return m, nil
	}
	if !json.Valid(b) {
		return nil, errors.New("client: the body is not valid JSON")
	}
	return b, nil
}
