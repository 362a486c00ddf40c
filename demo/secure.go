package demo

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ringside/ringside/auth"
	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/sim"
)

// Security is what a secure demo's callers need: the CA that signed every
// sidecar's certificate, and a token per role.
type Security struct {
	Dir        string
	CAFile     string
	SecretFile string // the HS256 secret the sidecars verify tokens with
	// Tokens by role: "read", "operate", "admin" (valid for a day).
	Tokens map[string]string
	ca     *auth.CA
}

// newSecurity creates a cluster CA and a JWT secret under dir.
func newSecurity(dir string) (*Security, error) {
	s := &Security{Dir: dir, Tokens: map[string]string{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := auth.NewCA("ringside demo cluster CA")
	if err != nil {
		return nil, err
	}
	s.ca = ca
	s.CAFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(s.CAFile, ca.CertPEM(), 0o644); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := []byte(hex.EncodeToString(raw))
	s.SecretFile = filepath.Join(dir, "jwt-secret")
	if err := os.WriteFile(s.SecretFile, secret, 0o600); err != nil {
		return nil, err
	}
	for _, r := range []auth.Role{auth.RoleRead, auth.RoleOperate, auth.RoleAdmin} {
		tok, err := auth.Mint(auth.MintOptions{Role: r, Subject: "demo-" + r.String(), TTL: 24 * time.Hour, HS256Secret: secret})
		if err != nil {
			return nil, err
		}
		s.Tokens[r.String()] = tok
	}
	return s, nil
}

// configure gives node n's sidecar its certificate (server and client: it
// is also the peer certificate for mutual TLS), the CA and the secret.
func (s *Security) configure(n *sim.Node, cfg *config.Config) error {
	host, _, _ := net.SplitHostPort(cfg.ListenAddress)
	ips := []net.IP{net.ParseIP(n.Addr.String()), net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if ip := net.ParseIP(host); ip != nil && !ip.Equal(ips[0]) {
		ips = append(ips, ip)
	}
	cert, key, err := s.ca.Issue("ringside sidecar "+n.Addr.String(), ips, []string{"localhost"}, true, true, 30*24*time.Hour)
	if err != nil {
		return err
	}
	certFile, keyFile, err := auth.WriteFiles(s.Dir, "sidecar-"+n.Addr.String(), cert, key)
	if err != nil {
		return err
	}
	sec := &cfg.Security
	sec.TLSCertFile, sec.TLSKeyFile = certFile, keyFile
	sec.ClientCAFile = s.CAFile
	sec.JWTSecretFile = s.SecretFile
	cfg.Peers.Scheme = "https"
	return nil
}

// IssueClient issues a client certificate from the cluster CA (for tests
// that call the /v1/peer/ endpoints as a sidecar would).
func (s *Security) IssueClient(name string) (certFile, keyFile string, err error) {
	cert, key, err := s.ca.Issue(name, []net.IP{net.IPv4(127, 0, 0, 1)}, nil, true, false, time.Hour)
	if err != nil {
		return "", "", fmt.Errorf("issuing %s: %w", name, err)
	}
	return auth.WriteFiles(s.Dir, name, cert, key)
}
