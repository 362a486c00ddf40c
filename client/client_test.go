package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/client"
)

// seen is what a test server saw of one request.
type seen struct {
	method, uri, auth, accept, contentType, body string
	peerCert                                     *x509.Certificate
}

// requests are what a test server saw.
type requests struct {
	mu   sync.Mutex
	list []seen
}

func (rs *requests) last() seen {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.list[len(rs.list)-1]
}

// recorder answers every request with code and body, and keeps what it saw.
func recorder(code int, body string, got *requests) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{method: r.Method, uri: r.URL.RequestURI(), auth: r.Header.Get("Authorization"), accept: r.Header.Get("Accept"),
			contentType: r.Header.Get("Content-Type"), body: string(b)}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			s.peerCert = r.TLS.PeerCertificates[0]
		}
		got.mu.Lock()
		got.list = append(got.list, s)
		got.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	})
}

func TestTokenAndHeaders(t *testing.T) {
	var got requests
	srv := httptest.NewServer(recorder(200, `{"version":"1.2.3","go":"go1.26"}`, &got))
	t.Cleanup(srv.Close)

	c, err := client.New(srv.URL+"/", client.WithToken("abc.def.ghi"))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != srv.URL {
		t.Errorf("BaseURL %q, want %q (no trailing slash)", c.BaseURL(), srv.URL)
	}
	v, err := c.Version(t.Context())
	if err != nil || v.Version != "1.2.3" || v.Go != "go1.26" {
		t.Fatalf("Version: %+v %v", v, err)
	}
	if r := got.last(); r.method != "GET" || r.uri != "/v1/version" || r.auth != "Bearer abc.def.ghi" || r.accept != "application/json" || r.contentType != "" || r.body != "" {
		t.Errorf("GET request %+v", r)
	}
	// A body goes as JSON, a query after the path's own.
	if _, err := c.Do(t.Context(), "PUT", "/v1/settings?x=1", map[string][]string{"scope": {"cluster"}}, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if r := got.last(); r.uri != "/v1/settings?x=1&scope=cluster" || r.contentType != "application/json" || r.body != `{"a":1}` {
		t.Errorf("PUT request %+v", r)
	}

	// Without a token: no Authorization at all.
	c, _ = client.New(strings.TrimPrefix(srv.URL, "http://")) // a bare host:port is http
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := got.last(); r.auth != "" {
		t.Errorf("no token, Authorization %q", r.auth)
	}
	// A path prefix (a reverse proxy's) is kept.
	c, _ = client.New(srv.URL + "/ringside/")
	c.Version(t.Context())
	if r := got.last(); r.uri != "/ringside/v1/version" {
		t.Errorf("with a prefix: %s", r.uri)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, u := range []string{"ftp://x:1", "http://", "http://h:1/?a=b", "http://u:p@h:1", "http://h:1/#f"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	if _, err := client.New("h:1", client.WithHTTPClient(http.DefaultClient), client.WithRootCAs(x509.NewCertPool())); err == nil || !strings.Contains(err.Error(), "WithHTTPClient") {
		t.Errorf("WithHTTPClient with a TLS option: %v", err)
	}
	if _, err := client.New("h:1", client.WithTimeout(-time.Second)); err == nil {
		t.Error("negative timeout accepted")
	}
}

func tlsServer(t *testing.T, h http.Handler, cfg *tls.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestTLSOptions(t *testing.T) {
	var got requests
	srv := tlsServer(t, recorder(200, `{"version":"x"}`, &got), &tls.Config{ClientAuth: tls.RequestClientCert})
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	// The system's roots do not know the test CA: a TransportError with
	// the x509 error inside.
	c, _ := client.New(srv.URL)
	_, err := c.Version(t.Context())
	var te *client.TransportError
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &te) || !errors.As(err, &unknown) || te.BaseURL != srv.URL || te.Method != "GET" {
		t.Fatalf("without the CA: %T %v", err, err)
	}

	c, _ = client.New(srv.URL, client.WithRootCAs(pool))
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatalf("WithRootCAs: %v", err)
	}
	if got.last().peerCert != nil {
		t.Error("a client certificate was sent without WithClientCertificate")
	}

	// A client certificate (the server's own pair will do: the server
	// asks for one without verifying it).
	cert := srv.TLS.Certificates[0]
	c, _ = client.New(srv.URL, client.WithRootCAs(pool), client.WithClientCertificate(cert))
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatalf("WithClientCertificate: %v", err)
	}
	if pc := got.last().peerCert; pc == nil || !pc.Equal(srv.Certificate()) {
		t.Errorf("the server saw client certificate %v", pc)
	}

	// WithTLSConfig is the base; WithRootCAs still applies on top of it.
	c, _ = client.New(srv.URL, client.WithTLSConfig(&tls.Config{ServerName: "ringside.invalid"}), client.WithRootCAs(pool))
	if _, err := c.Version(t.Context()); !errors.As(err, new(x509.HostnameError)) {
		t.Errorf("WithTLSConfig's ServerName: %v", err)
	}
	c, _ = client.New(srv.URL, client.WithTLSConfig(&tls.Config{RootCAs: pool}))
	if _, err := c.Version(t.Context()); err != nil {
		t.Errorf("WithTLSConfig's RootCAs: %v", err)
	}

	// A caller's own http.Client, as it is.
	c, _ = client.New(srv.URL, client.WithHTTPClient(srv.Client()))
	if _, err := c.Version(t.Context()); err != nil {
		t.Errorf("WithHTTPClient: %v", err)
	}
}

func TestSchemeMismatch(t *testing.T) {
	var got requests
	tlsSrv := tlsServer(t, recorder(200, `{}`, &got), nil)
	c, _ := client.New(strings.Replace(tlsSrv.URL, "https://", "http://", 1))
	_, err := c.Version(t.Context())
	var se *client.SchemeError
	if !errors.As(err, &se) || !se.ServerTLS || !strings.Contains(err.Error(), "serves HTTPS") {
		t.Errorf("http to an https server: %T %v", err, err)
	}

	plain := httptest.NewServer(recorder(200, `{}`, &got))
	t.Cleanup(plain.Close)
	c, _ = client.New(strings.Replace(plain.URL, "http://", "https://", 1))
	_, err = c.Version(t.Context())
	if !errors.As(err, &se) || se.ServerTLS || se.Err == nil || !strings.Contains(err.Error(), "does not speak TLS") {
		t.Errorf("https to an http server: %T %v", err, err)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	c, _ := client.New(srv.URL, client.WithTimeout(20*time.Millisecond))
	_, err := c.Version(t.Context())
	if te := (*client.TransportError)(nil); !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WithTimeout: %T %v", err, err)
	}
	c, _ = client.New(srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Version(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestAPIErrorOfAnswers(t *testing.T) {
	var got requests
	for _, tc := range []struct {
		code             int
		body             string
		msg, role        string
		problems, fields int
		text             string
	}{
		{403, `{"error":"role read may not PUT /v1/settings (needs operate)"}`, "role read may not PUT /v1/settings (needs operate)", "operate", 0, 1, "HTTP 403: role read may not"},
		{403, `{"error":"the node lifecycle endpoints answer only callers on loopback","remote":"10.0.0.1:5"}`, "the node lifecycle endpoints answer only callers on loopback", "", 0, 2, "HTTP 403"},
		{400, `{"error":"bad","problems":{"a":"unknown key","":"body"}}`, "bad", "", 2, 2, "HTTP 400: bad"},
		{400, `{"error":"bad","problems":["not","a","map"]}`, "bad", "", 0, 2, "HTTP 400: bad"},
		{502, `<html>bad gateway</html>`, "", "", 0, 0, "unexpected answer to GET " + "%s/v1/version: HTTP 502: <html>bad gateway</html>"},
		{200, `{"version":""}`, "", "", 0, 1, "unexpected answer"},
	} {
		srv := httptest.NewServer(recorder(tc.code, tc.body, &got))
		c, _ := client.New(srv.URL)
		_, err := c.Version(t.Context())
		srv.Close()
		var ae *client.APIError
		if !errors.As(err, &ae) {
			t.Errorf("%d %s: %T %v", tc.code, tc.body, err, err)
			continue
		}
		want := tc.text
		if strings.Contains(want, "%s") {
			want = strings.Replace(want, "%s", srv.URL, 1)
		}
		if ae.StatusCode != tc.code || ae.Message != tc.msg || ae.NeededRole() != tc.role || len(ae.Problems) != tc.problems ||
			len(ae.Fields) != tc.fields || string(ae.Body) != tc.body || !strings.Contains(ae.Error(), want) || ae.Method != "GET" {
			t.Errorf("%d %s: %+v (%v)", tc.code, tc.body, ae, ae)
		}
	}
}
