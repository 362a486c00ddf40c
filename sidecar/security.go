package sidecar

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/ringside/ringside/auth"
	"github.com/ringside/ringside/config"
)

// setupSecurity builds the server TLS config (nil: plain HTTP), the
// request policy (JWT, anonymous health, peer certificates, body limit)
// and the transport used to reach the peer sidecars.
func (s *Sidecar) setupSecurity(cfg *config.Config) error {
	sec := cfg.Security
	var clientTLS *tls.Config
	if sec.TLSCertFile != "" {
		st, err := auth.ServerTLS(auth.TLSOptions{CertFile: sec.TLSCertFile, KeyFile: sec.TLSKeyFile, ClientCAFile: sec.ClientCAFile, Logger: s.log})
		if err != nil {
			return fmt.Errorf("security: %w", err)
		}
		s.serverTLS = st
		ca := sec.PeerCAFile
		if ca == "" {
			ca = sec.ClientCAFile
		}
		cert, key := sec.PeerCertFile, sec.PeerKeyFile
		if cert == "" {
			cert, key = sec.TLSCertFile, sec.TLSKeyFile
		}
		clientTLS, err = auth.ClientTLS(auth.ClientTLSOptions{CAFile: ca, CertFile: cert, KeyFile: key, Logger: s.log})
		if err != nil {
			return fmt.Errorf("security (peer client): %w", err)
		}
	}
	var v *auth.Verifier
	if sec.JWTSecretFile != "" || len(sec.JWTPublicKeyFiles) > 0 {
		o := auth.VerifierOptions{PublicKeyFiles: sec.JWTPublicKeyFiles, Audience: sec.JWTAudience, Issuer: sec.JWTIssuer, Leeway: 30 * time.Second}
		if sec.JWTSecretFile != "" {
			secret, err := auth.ReadSecretFile(sec.JWTSecretFile)
			if err != nil {
				return fmt.Errorf("security.jwt_secret_file: %w", err)
			}
			o.HS256Secret = secret
		}
		var err error
		if v, err = auth.NewVerifier(o); err != nil {
			return fmt.Errorf("security: %w", err)
		}
		s.log.Info("JWT bearer tokens required", "algorithms", v.Algorithms(), "anonymous_health", sec.AnonymousHealth)
	}
	s.policy = auth.Policy{
		Verifier:                v,
		AnonymousHealth:         sec.AnonymousHealth,
		RequireClientCertPrefix: "/v1/peer/",
		PeerCertRequired:        sec.ClientCAFile != "",
		MaxBodyBytes:            sec.MaxBodyBytes,
		Logger:                  s.log,
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, TLSClientConfig: clientTLS, Proxy: nil}
	// Health views are small and must be quick; fan-out calls are bounded
	// per node by the fan-out client instead.
	s.client = &http.Client{Timeout: cfg.Peers.Timeout, Transport: tr}
	s.fanHTTP = &http.Client{Transport: tr}
	return nil
}
