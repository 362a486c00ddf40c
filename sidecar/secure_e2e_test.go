package sidecar_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringside/ringside/auth"
	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sim"
)

// secureDemo is a 2-DC demo with TLS, mutual TLS between sidecars and JWT.
func secureDemo(t *testing.T, configure func(*sim.Node, *config.Config)) *demo.Demo {
	t.Helper()
	scfg, err := sim.TestConfig("dc1:3x1,dc2:3x1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Sim: &scfg, Refresh: 200 * time.Millisecond, Secure: true, Configure: configure})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// tlsClient trusts the demo's CA; with a client certificate when given.
func tlsClient(t *testing.T, caFile string, cert *tls.Certificate) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

type answer struct {
	code int
	body map[string]any
	raw  string
}

func call(t *testing.T, c *http.Client, method, url, token, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{raw: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, raw: string(b)}
	json.Unmarshal(bytes.TrimSpace(b), &a.body)
	return a
}

func TestSecureDemoRefusals(t *testing.T) {
	t.Parallel()
	d := secureDemo(t, nil)
	sec := d.Security
	sc := d.Sidecars[0]
	if !strings.HasPrefix(sc.URL, "https://") {
		t.Fatalf("secure demo URL %s", sc.URL)
	}
	c := tlsClient(t, sec.CAFile, nil)

	// Health stays anonymous (load balancers), over TLS.
	if a := call(t, c, "GET", sc.URL+"/v1/health/coordinator", "", ""); a.code != 200 {
		t.Errorf("anonymous health over TLS: %d %s", a.code, a.raw)
	}
	// The cluster view gathers every peer over HTTPS.
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := call(t, c, "GET", sc.URL+"/v1/health/cluster", "", "")
		if a.code == 200 && a.body["status"] == "green" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster health over TLS: %d %s", a.code, a.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Plain HTTP to the TLS port gets nowhere.
	if a := call(t, http.DefaultClient, "GET", strings.Replace(sc.URL, "https://", "http://", 1)+"/v1/health/coordinator", "", ""); a.code == 200 {
		t.Errorf("plain HTTP to the TLS port answered 200")
	}
	// No token, a garbled one, an expired one, one signed with another secret.
	secret, err := auth.ReadSecretFile(sec.SecretFile)
	if err != nil {
		t.Fatal(err)
	}
	// Expired an hour ago, well past the sidecars' clock leeway.
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"role": "admin", "exp": time.Now().Add(-time.Hour).Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auth.Mint(auth.MintOptions{Role: auth.RoleAdmin, TTL: time.Hour, HS256Secret: []byte(strings.Repeat("x", 40))})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"none": "", "garbled": "abc.def", "forged": forged, "expired": expired} {
		if a := call(t, c, "GET", sc.URL+"/v1/desires/node/status", tok, ""); a.code != 401 || a.body["error"] == nil {
			t.Errorf("%s token: %d %s", name, a.code, a.raw)
		}
	}

	// Role read may read, not change.
	if a := call(t, c, "GET", sc.URL+"/v1/desires/node/status", sec.Tokens["read"], ""); a.code != 200 {
		t.Errorf("read token, GET status: %d %s", a.code, a.raw)
	}
	if a := call(t, c, "POST", sc.URL+"/v1/desires/node/stop", sec.Tokens["read"], ""); a.code != 403 || !strings.Contains(a.raw, "operate") {
		t.Errorf("read token, POST stop: %d %s", a.code, a.raw)
	}
	if sc.Node.State() != sim.StateRunning {
		t.Errorf("a refused stop changed the node: %s", sc.Node.State())
	}

	// /v1/peer/ needs a client certificate from the cluster CA.
	peerURL := sc.URL + "/v1/peer/bulkcmd/version"
	if a := call(t, c, "POST", peerURL, sec.Tokens["operate"], "{}"); a.code != 403 {
		t.Errorf("peer endpoint without a client certificate: %d %s", a.code, a.raw)
	}
	other, err := auth.NewCA("some other CA")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := other.Issue("intruder", nil, nil, true, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	intruder, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if a := call(t, tlsClient(t, sec.CAFile, &intruder), "POST", peerURL, sec.Tokens["operate"], "{}"); a.code == 200 {
		t.Errorf("peer endpoint with a certificate from another CA: %d %s", a.code, a.raw)
	}
}
