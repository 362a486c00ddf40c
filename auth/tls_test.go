package auth

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// peerServer serves 200 behind the Middleware with mTLS on /v1/peer/.
func peerServer(t *testing.T, p *pki) string {
	t.Helper()
	cfg, err := ServerTLS(TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.VerifyClientCertIfGiven {
		t.Fatalf("MinVersion %x ClientAuth %v", cfg.MinVersion, cfg.ClientAuth)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	s := startTLS(t, cfg, Middleware(ok, Policy{RequireClientCertPrefix: "/v1/peer/", PeerCertRequired: true}))
	return s.URL
}

func get(t *testing.T, c *http.Client, url string) (int, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestPeerMutualTLS(t *testing.T) {
	p := newPKI(t)
	url := peerServer(t, p)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("server at %s, want 127.0.0.1 (IP SAN)", url)
	}
	peerCert, peerKey := p.issue(t, "peer", true, true)

	t.Run("cluster cert", func(t *testing.T) {
		cfg, err := ClientTLS(ClientTLSOptions{CAFile: p.caFile, CertFile: peerCert, KeyFile: peerKey})
		if err != nil {
			t.Fatal(err)
		}
		code, body, err := get(t, httpClient(cfg), url+"/v1/peer/x")
		if err != nil || code != 200 || body != "ok" {
			t.Fatalf("got %d %q %v, want 200 ok", code, body, err)
		}
	})
	t.Run("no cert", func(t *testing.T) {
		cfg, err := ClientTLS(ClientTLSOptions{CAFile: p.caFile})
		if err != nil {
			t.Fatal(err)
		}
		c := httpClient(cfg)
		code, body, err := get(t, c, url+"/v1/peer/x")
		if err != nil || code != 403 || !strings.Contains(body, "client certificate") {
			t.Fatalf("peer endpoint without a cert: %d %q %v, want 403", code, body, err)
		}
		// The public endpoints need none.
		if code, _, err := get(t, c, url+"/v1/health/x"); err != nil || code != 200 {
			t.Fatalf("public endpoint without a cert: %d %v, want 200", code, err)
		}
	})
	t.Run("other CA", func(t *testing.T) {
		other := newPKI(t)
		cfg, err := ClientTLS(ClientTLSOptions{CAFile: p.caFile, CertFile: other.certFile, KeyFile: other.keyFile})
		if err != nil {
			t.Fatal(err)
		}
		code, _, err := get(t, httpClient(cfg), url+"/v1/peer/x")
		if err == nil {
			t.Fatalf("a certificate from another CA got %d; want the handshake to fail", code)
		}
	})
	t.Run("server-only cert", func(t *testing.T) {
		c, k := p.issue(t, "serveronly", false, true)
		cfg, err := ClientTLS(ClientTLSOptions{CAFile: p.caFile, CertFile: c, KeyFile: k})
		if err != nil {
			t.Fatal(err)
		}
		if code, _, err := get(t, httpClient(cfg), url+"/v1/peer/x"); err == nil {
			t.Fatalf("a certificate without clientAuth got %d; want the handshake to fail", code)
		}
	})
	t.Run("untrusted server", func(t *testing.T) {
		other := newPKI(t)
		cfg, err := ClientTLS(ClientTLSOptions{CAFile: other.caFile})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := get(t, httpClient(cfg), url+"/v1/health/x"); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("server with a certificate from another CA: %v", err)
		}
	})
}

// A certificate without IP SANs cannot serve a peer reached by IP.
func TestServerCertNeedsIPSAN(t *testing.T) {
	p := newPKI(t)
	c, k, err := p.ca.Issue("dns only", nil, []string{"node1.example"}, true, true, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := WriteFiles(p.dir, "dnsonly", c, k)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ServerTLS(TLSOptions{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	s := startTLS(t, cfg, http.NotFoundHandler())
	ccfg, err := ClientTLS(ClientTLSOptions{CAFile: p.caFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, httpClient(ccfg), s.URL); err == nil || !strings.Contains(err.Error(), "IP SANs") {
		t.Fatalf("got %v, want an IP SAN error", err)
	}
}

func servedSerial(t *testing.T, addr string, p *pki) *big.Int {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.ca.CertPEM())
	// A fresh connection each time: no session resumption.
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

func fileSerial(t *testing.T, certFile string) *big.Int {
	t.Helper()
	c, err := tls.LoadX509KeyPair(certFile, strings.TrimSuffix(certFile, ".crt")+".key")
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.SerialNumber
}

func TestCertReload(t *testing.T) {
	old := reloadInterval
	reloadInterval = 0
	t.Cleanup(func() { reloadInterval = old })

	p := newPKI(t)
	log, logs := newLogger()
	cfg, err := ServerTLS(TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	s := startTLS(t, cfg, http.NotFoundHandler())
	addr := s.Listener.Addr().String()

	first := fileSerial(t, p.certFile)
	if got := servedSerial(t, addr, p); got.Cmp(first) != 0 {
		t.Fatalf("serving serial %v, want %v", got, first)
	}

	p.issue(t, "server", true, true) // replaces server.crt and server.key
	second := fileSerial(t, p.certFile)
	if got := servedSerial(t, addr, p); got.Cmp(second) != 0 {
		t.Fatalf("after the renewal serving serial %v, want the new %v", got, second)
	}
	if !strings.Contains(logs.String(), "certificate reloaded") {
		t.Errorf("reload not logged: %s", logs)
	}

	// A broken replacement: the good pair stays.
	if err := os.WriteFile(p.certFile, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the failure is logged once, not per handshake
		if got := servedSerial(t, addr, p); got.Cmp(second) != 0 {
			t.Fatalf("after a broken replacement serving serial %v, want the previous %v", got, second)
		}
	}
	if n := strings.Count(logs.String(), "certificate reload failed"); n != 1 {
		t.Errorf("reload failure logged %d times, want 1: %s", n, logs)
	}

	// Fixed again: picked up.
	p.issue(t, "server", true, true)
	third := fileSerial(t, p.certFile)
	if got := servedSerial(t, addr, p); got.Cmp(third) != 0 {
		t.Fatalf("after a repair serving serial %v, want %v", got, third)
	}
}

// Files are looked at no more than once per interval.
func TestCertReloadThrottled(t *testing.T) {
	p := newPKI(t)
	r, err := NewCertReloader(p.certFile, p.keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.interval = time.Hour
	first := r.Certificate().Leaf.SerialNumber
	p.issue(t, "server", true, true)
	if got := r.Certificate().Leaf.SerialNumber; got.Cmp(first) != 0 {
		t.Fatalf("re-read within the interval")
	}
	r.mu.Lock()
	r.lastCheck = time.Now().Add(-2 * time.Hour)
	r.mu.Unlock()
	if got := r.Certificate().Leaf.SerialNumber; got.Cmp(first) == 0 {
		t.Fatalf("not re-read after the interval")
	}
}

// The client certificate is reloaded too.
func TestClientCertReload(t *testing.T) {
	old := reloadInterval
	reloadInterval = 0
	t.Cleanup(func() { reloadInterval = old })

	p := newPKI(t)
	cfg, err := ServerTLS(TLSOptions{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan *big.Int, 2)
	s := startTLS(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.TLS.PeerCertificates[0].SerialNumber
	}))
	certFile, keyFile := p.issue(t, "peer", true, false)
	ccfg, err := ClientTLS(ClientTLSOptions{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if i == 1 {
			p.issue(t, "peer", true, false)
		}
		want := fileSerial(t, certFile)
		c := httpClient(ccfg) // a new transport: a new connection
		if _, _, err := get(t, c, s.URL); err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got.Cmp(want) != 0 {
			t.Fatalf("request %d: client serial %v, want %v", i, got, want)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	p := newPKI(t)
	for name, o := range map[string]TLSOptions{
		"no key":       {CertFile: p.certFile},
		"missing cert": {CertFile: p.dir + "/nope.crt", KeyFile: p.keyFile},
		"mismatch":     {CertFile: p.caFile, KeyFile: p.keyFile},
		"bad CA":       {CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.keyFile},
	} {
		if _, err := ServerTLS(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ClientTLS(ClientTLSOptions{CertFile: p.certFile}); err == nil {
		t.Error("client cert without key: no error")
	}
	if _, err := ClientTLS(ClientTLSOptions{CAFile: p.dir + "/nope"}); err == nil {
		t.Error("missing CA: no error")
	}
}

func TestWriteFilesModes(t *testing.T) {
	p := newPKI(t)
	for f, want := range map[string]os.FileMode{p.keyFile: 0o600, p.certFile: 0o644, p.caFile: 0o644} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", f, st.Mode().Perm(), want)
		}
	}
	ents, _ := os.ReadDir(p.dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
