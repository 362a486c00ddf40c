package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ringside/ringside/auth"
)

// fakeAPI answers "METHOD /path" with what its routes return (marshalled
// to JSON; a []byte goes as is), and records every request.
type fakeAPI struct {
	mu     sync.Mutex
	routes map[string]func(r *http.Request, body []byte) (int, any)
	reqs   []fakeReq
}

type fakeReq struct {
	method, uri, auth string
	query             map[string][]string
	body              string
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{routes: map[string]func(*http.Request, []byte) (int, any){}}
}

func (f *fakeAPI) handle(route string, h func(r *http.Request, body []byte) (int, any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = h
}

// reply answers route always with code and v.
func (f *fakeAPI) reply(route string, code int, v any) {
	f.handle(route, func(*http.Request, []byte) (int, any) { return code, v })
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeReq{method: r.Method, uri: r.URL.RequestURI(), auth: r.Header.Get("Authorization"), query: r.URL.Query(), body: string(body)})
	h := f.routes[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	code, v := http.StatusNotFound, any(map[string]string{"error": "not found"})
	if h != nil {
		code, v = h(r, body)
	}
	b, ok := v.([]byte)
	if !ok {
		b, _ = json.Marshal(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func (f *fakeAPI) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

func (f *fakeAPI) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// startTLS serves f over TLS and writes the server's certificate (its own
// CA) to a PEM file.
func (f *fakeAPI) startTLS(t *testing.T) (url, caFile string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caFile
}

func clientOf(t *testing.T, env []string, args ...string) (*apiClient, string, error) {
	t.Helper()
	var f clientFlags
	fs := newTestFlagSet()
	f.register(fs, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	c, err := f.client(env, &stderr)
	return c, stderr.String(), err
}

func TestClientTLSAndToken(t *testing.T) {
	f := newFakeAPI()
	f.reply("GET /v1/bulkcmd", 200, map[string]any{"commands": []any{}})
	u, ca := f.startTLS(t)

	c, warn, err := clientOf(t, nil, "--url", u, "--cacert", ca, "--token", "Bearer  abc.def.ghi ")
	if err != nil || warn != "" {
		t.Fatalf("client: %v, warnings %q", err, warn)
	}
	a, err := c.call(t.Context(), "GET", "/v1/bulkcmd", nil, 0)
	if err != nil || a.StatusCode != 200 {
		t.Fatalf("call over TLS: %v %+v", err, a)
	}
	if r := f.requests(); r[0].auth != "Bearer abc.def.ghi" {
		t.Errorf("Authorization %q", r[0].auth)
	}
	if c.hintArgs() != " --url "+u+" --cacert "+ca+" --token …" {
		t.Errorf("hint args %q: the token must not be repeated", c.hintArgs())
	}

	// Without the CA: the hint says --cacert.
	c, _, _ = clientOf(t, nil, "--url", u)
	_, err = c.call(t.Context(), "GET", "/v1/bulkcmd", nil, 0)
	if exitCodeOf(err) != 1 || !strings.Contains(err.Error(), "unknown authority") || !strings.Contains(err.Error(), "give --cacert FILE") {
		t.Errorf("no CA: %v", err)
	}
	// A CA that did not sign it.
	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if ca, err := auth.NewCA("another CA"); err != nil || os.WriteFile(otherCA, ca.CertPEM(), 0o644) != nil {
		t.Fatal(err)
	}
	c, _, _ = clientOf(t, nil, "--url", u, "--cacert", otherCA)
	if _, err = c.call(t.Context(), "GET", "/", nil, 0); err == nil || !strings.Contains(err.Error(), "not signed by the CA of --cacert "+otherCA) {
		t.Errorf("wrong CA: %v", err)
	}
	// Plain http to the TLS port, https to a plain one.
	c, _, _ = clientOf(t, nil, "--url", strings.Replace(u, "https://", "http://", 1))
	if _, err = c.call(t.Context(), "GET", "/", nil, 0); err == nil || !strings.Contains(err.Error(), "serves HTTPS: use --url https://") {
		t.Errorf("http to https: %v", err)
	}
	plain := newFakeAPI().start(t)
	c, _, _ = clientOf(t, nil, "--url", strings.Replace(plain, "http://", "https://", 1), "--cacert", ca)
	if _, err = c.call(t.Context(), "GET", "/", nil, 0); err == nil || !strings.Contains(err.Error(), "does not speak TLS") || !strings.Contains(err.Error(), "--url http://") {
		t.Errorf("https to http: %v", err)
	}
}

func TestClientFromConfig(t *testing.T) {
	f := newFakeAPI()
	f.reply("GET /v1/bulkcmd", 200, map[string]any{"commands": []any{}})
	u, ca := f.startTLS(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(u, "https://"))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ringside.yaml")
	yaml := "listen_address: :" + port + "\n" +
		"peers:\n  scheme: https\n" +
		"security:\n  tls_cert_file: " + filepath.Join(dir, "tls.crt") + "\n  tls_key_file: " + filepath.Join(dir, "tls.key") + "\n  client_ca_file: " + ca + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, err := clientOf(t, nil, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "https://127.0.0.1:"+port || c.caSource != "security.client_ca_file of "+cfg || c.addrArgs != " --config "+cfg {
		t.Errorf("from --config: %+v", c)
	}
	if a, err := c.call(t.Context(), "GET", "/v1/bulkcmd", nil, 0); err != nil || a.StatusCode != 200 {
		t.Errorf("call trusting the config's CA: %v", err)
	}
	// peer_ca_file wins over client_ca_file; --cacert over both.
	os.WriteFile(cfg, []byte(yaml+"  peer_ca_file: /nonexistent/peer-ca.pem\n"), 0o644)
	if _, _, err := clientOf(t, nil, "--config", cfg); exitCodeOf(err) != 1 || !strings.Contains(err.Error(), "security.peer_ca_file of "+cfg) {
		t.Errorf("peer_ca_file: %v", err)
	}
	if c, _, err := clientOf(t, nil, "--config", cfg, "--cacert", ca); err != nil || c.caSource != "--cacert "+ca {
		t.Errorf("--cacert over the config: %+v %v", c, err)
	}
	// Without TLS: plain http.
	os.WriteFile(cfg, []byte("listen_address: 127.0.0.3:5001\n"), 0o644)
	if c, _, err := clientOf(t, nil, "--config", cfg); err != nil || c.base != "http://127.0.0.3:5001" {
		t.Errorf("plain config: %+v %v", c, err)
	}
}

func TestClientTokenFlags(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "t.jwt")
	os.WriteFile(tf, []byte("abc.def.ghi\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	two := filepath.Join(dir, "two")
	os.WriteFile(two, []byte("a.b.c\nd.e.f\n"), 0o600)

	if c, _, err := clientOf(t, nil, "--token-file", tf); err != nil || c.token != "abc.def.ghi" || c.authArgs != " --token-file "+tf {
		t.Errorf("--token-file: %+v %v", c, err)
	}
	var fe *flagError
	if _, _, err := clientOf(t, nil, "--token", "x", "--token-file", tf); !errors.As(err, &fe) {
		t.Errorf("both: %v", err)
	}
	for _, f := range []string{empty, two, filepath.Join(dir, "missing")} {
		if _, _, err := clientOf(t, nil, "--token-file", f); exitCodeOf(err) != 1 {
			t.Errorf("--token-file %s: %v", f, err)
		}
	}
	// A token in clear over the network is worth a warning; on loopback
	// or over https it is not.
	_, warn, err := clientOf(t, nil, "--url", "http://10.0.0.5:5000", "--token", "x")
	if err != nil || !strings.Contains(warn, "over plain http") {
		t.Errorf("plain http to 10.0.0.5: %v, %q", err, warn)
	}
	for _, u := range []string{"http://127.0.0.1:5000", "http://localhost:5000", "http://[::1]:5000", "https://10.0.0.5:5000"} {
		if _, warn, _ := clientOf(t, nil, "--url", u, "--token", "x"); warn != "" {
			t.Errorf("%s: warning %q", u, warn)
		}
	}
	if _, warn, _ := clientOf(t, nil, "--url", "http://10.0.0.5:5000"); warn != "" {
		t.Errorf("no token: warning %q", warn)
	}
	if _, _, err := clientOf(t, nil, "--url", "ftp://x"); !errors.As(err, &fe) {
		t.Errorf("bad --url: %v", err)
	}
	if _, _, err := clientOf(t, nil, "--cacert", empty); exitCodeOf(err) != 1 || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("bad --cacert: %v", err)
	}
}

func TestClientAuthErrors(t *testing.T) {
	f := newFakeAPI()
	f.reply("GET /v1/jobs", http.StatusUnauthorized, map[string]string{"error": "token is expired"})
	f.reply("POST /v1/jobs", http.StatusForbidden, map[string]string{"error": "role read may not POST /v1/jobs (needs operate)"})
	u := f.start(t)
	c, _, _ := clientOf(t, nil, "--url", u)
	a, _ := c.call(t.Context(), "GET", "/v1/jobs", nil, 0)
	if err := c.refused(a.AsError()); !strings.Contains(err.Error(), "token is expired") || !strings.Contains(err.Error(), "--token-file") {
		t.Errorf("401 without a token: %v", err)
	}
	c, _, _ = clientOf(t, nil, "--url", u, "--token", "x")
	a, _ = c.call(t.Context(), "GET", "/v1/jobs", nil, 0)
	if err := c.refused(a.AsError()); !strings.Contains(err.Error(), "refused the token: token is expired") || !strings.Contains(err.Error(), "fresh one") {
		t.Errorf("401 with a token: %v", err)
	}
	a, _ = c.call(t.Context(), "POST", "/v1/jobs", []byte("{}"), 0)
	if err := c.refused(a.AsError()); !strings.Contains(err.Error(), "(needs operate)") || !strings.Contains(err.Error(), "a token with role operate") {
		t.Errorf("403: %v", err)
	}
	a, _ = c.call(t.Context(), "GET", "/elsewhere", nil, 0)
	if err := c.refused(a.AsError()); !strings.Contains(err.Error(), "HTTP 404: not found") {
		t.Errorf("404: %v", err)
	}
}

func newTestFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
