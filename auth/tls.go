package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// reloadInterval is how often, at most, a CertReloader looks at its files:
// a stat per handshake would be cheap, but not free under a connection
// storm. Tests shorten it.
var reloadInterval = time.Second

// CertReloader serves a certificate and key read from files and re-reads
// them when either file's size or modification time changes, so a renewed
// certificate is used without a restart. When a re-read fails (a
// half-written pair, a key that does not match) the last good pair stays
// in use and the failure is logged once per change of the files.
type CertReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	interval          time.Duration

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     fileStamp // of the files last tried, loaded or not
	lastCheck time.Time
}

type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// NewCertReloader loads the pair; it fails if the files cannot be used
// now. A nil logger discards.
func NewCertReloader(certFile, keyFile string, logger *slog.Logger) (*CertReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: both a certificate and a key file are needed")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &CertReloader{certFile: certFile, keyFile: keyFile, log: logger, interval: reloadInterval}
	st, err := r.statFiles()
	if err != nil {
		return nil, err
	}
	c, err := r.load()
	if err != nil {
		return nil, err
	}
	r.cert, r.stamp, r.lastCheck = c, st, time.Now()
	return r, nil
}

func (r *CertReloader) statFiles() (fileStamp, error) {
	c, err := os.Stat(r.certFile)
	if err != nil {
		return fileStamp{}, fmt.Errorf("tls: %w", err)
	}
	k, err := os.Stat(r.keyFile)
	if err != nil {
		return fileStamp{}, fmt.Errorf("tls: %w", err)
	}
	return fileStamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}

func (r *CertReloader) load() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading %s and %s: %w", r.certFile, r.keyFile, err)
	}
	if c.Leaf == nil {
		return nil, fmt.Errorf("tls: %s: no certificate", r.certFile)
	}
	return &c, nil
}

// Certificate returns the pair in use, re-reading the files first if they
// changed and the last look is over a second old.
func (r *CertReloader) Certificate() *tls.Certificate {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.lastCheck) < r.interval {
		return r.cert
	}
	r.lastCheck = now
	st, err := r.statFiles()
	if err != nil || st == r.stamp {
		if err != nil && r.stamp != (fileStamp{}) {
			r.log.Error("tls: cannot read the certificate files; keeping the previous certificate", "err", err)
			r.stamp = fileStamp{} // log once until the files are back
		}
		return r.cert
	}
	r.stamp = st // whether or not the pair loads: retry only on the next change
	c, err := r.load()
	if err != nil {
		r.log.Error("tls: certificate reload failed; keeping the previous certificate",
			"err", err, "serial", r.cert.Leaf.SerialNumber.String(), "not_after", r.cert.Leaf.NotAfter)
		return r.cert
	}
	r.log.Info("tls: certificate reloaded", "file", r.certFile, "subject", c.Leaf.Subject.String(),
		"serial", c.Leaf.SerialNumber.String(), "not_after", c.Leaf.NotAfter)
	r.cert = c
	return c
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.Certificate(), nil
}

// GetClientCertificate is for tls.Config.GetClientCertificate.
func (r *CertReloader) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.Certificate(), nil
}

// TLSOptions configure the API server's TLS.
type TLSOptions struct {
	CertFile, KeyFile string // the server's certificate (with IP SANs) and key
	// ClientCAFile, when set, is the cluster CA: clients presenting a
	// certificate must hold one it issued (the handshake fails otherwise);
	// clients presenting none are let in, for the public endpoints, and
	// the Middleware refuses them on the peer endpoints.
	ClientCAFile string
	Logger       *slog.Logger
}

// ServerTLS makes the API server's TLS configuration: TLS 1.2 or later,
// the certificate re-read when its files change. Serve with
// http.Server{TLSConfig: cfg}.ServeTLS(ln, "", "") (or ListenAndServeTLS
// with empty file names), and leave cfg.Certificates empty: crypto/tls
// uses Certificates rather than GetCertificate when the client sends no
// server name, which it never does for an IP address.
func ServerTLS(o TLSOptions) (*tls.Config, error) {
	r, err := NewCertReloader(o.CertFile, o.KeyFile, o.Logger)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
	}
	if o.ClientCAFile != "" {
		pool, err := readCAPool(o.ClientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// ClientTLSOptions configure a sidecar's TLS as a client of its peers.
type ClientTLSOptions struct {
	// CAFile verifies the peers' server certificates; empty means the
	// system roots.
	CAFile string
	// CertFile and KeyFile are the client certificate offered for mutual
	// TLS (re-read when they change); both or neither.
	CertFile, KeyFile string
	// ServerName overrides the name verified in the peer's certificate;
	// by default it is the host of the URL dialled, an IP address for
	// peers, which must then be among the certificate's IP SANs.
	ServerName string
	Logger     *slog.Logger
}

// ClientTLS makes the TLS configuration for requests to peer sidecars
// (http.Transport.TLSClientConfig).
func ClientTLS(o ClientTLSOptions) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.CAFile != "" {
		pool, err := readCAPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		r, err := NewCertReloader(o.CertFile, o.KeyFile, o.Logger)
		if err != nil {
			return nil, err
		}
		cfg.GetClientCertificate = r.GetClientCertificate
	}
	return cfg, nil
}

func readCAPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls: CA %s: no PEM certificate found", file)
	}
	return pool, nil
}
