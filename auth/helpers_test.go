package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var localhost = []net.IP{net.IPv4(127, 0, 0, 1)}

// pki is a CA and a sidecar certificate for 127.0.0.1, on disk.
type pki struct {
	ca                *CA
	dir               string
	caFile            string
	certFile, keyFile string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := NewCA("test cluster CA")
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca, dir: t.TempDir()}
	if p.caFile, _, err = WriteFiles(p.dir, "ca", ca.CertPEM(), nil); err != nil {
		t.Fatal(err)
	}
	p.certFile, p.keyFile = p.issue(t, "server", true, true)
	return p
}

// issue writes a certificate for 127.0.0.1 as dir/name.{crt,key}.
func (p *pki) issue(t *testing.T, name string, client, server bool) (certFile, keyFile string) {
	t.Helper()
	c, k, err := p.ca.Issue(name, localhost, nil, client, server, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err = WriteFiles(p.dir, name, c, k)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// startTLS serves h over TLS with cfg. httptest.StartTLS adds its own
// certificate to the config, and crypto/tls prefers Certificates over
// GetCertificate when the client sends no SNI (never, for an IP): hand the
// handshake to cfg itself through GetConfigForClient.
func startTLS(t *testing.T, cfg *tls.Config, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	s.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return cfg, nil }}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func httpClient(cfg *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

// logBuffer is a goroutine-safe buffer for a slog handler: handlers run on
// server goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

var testSecret = []byte("0123456789abcdef0123456789abcdef") // MinSecretLen

// Generated once: RSA key generation is slow under -race.
var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func pkixDER(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func ecKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
