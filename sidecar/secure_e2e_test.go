package sidecar_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ringside/ringside/auth"
	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/node"
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

// jmxCompactionThroughput reads a node's CompactionThroughputMbPerSec
// through its own Jolokia agent.
func jmxCompactionThroughput(t *testing.T, sc *demo.Sidecar) int {
	t.Helper()
	j := &node.Jolokia{URL: sc.Config.Cassandra.JolokiaURL}
	v, err := j.ReadAttr(context.Background(), "org.apache.cassandra.db:type=StorageService", "CompactionThroughputMbPerSec")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(fmt.Sprint(v))
	return n
}

func dataFiles(t *testing.T, sc *demo.Sidecar, ks string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(sc.Node.DataDir(), ks, "*", "*-Data.db"))
	return len(files)
}

// TestSecureClusterSettingsAndBulk is issue 6's proof, with TLS, mutual
// TLS between sidecars and JWT switched on, on a 2-DC cluster.
func TestSecureClusterSettingsAndBulk(t *testing.T) {
	t.Parallel()
	d := secureDemo(t, func(_ *sim.Node, c *config.Config) { c.Bulk.NodeTimeout = 2 * time.Second })
	sec := d.Security
	c := tlsClient(t, sec.CAFile, nil)
	base := d.Sidecars[0].URL
	operate, read := sec.Tokens["operate"], sec.Tokens["read"]
	var endpoints []string
	for _, sc := range d.Sidecars {
		endpoints = append(endpoints, sc.Node.Endpoint())
	}
	sort.Strings(endpoints)
	// Wait until the first sidecar knows every peer.
	for deadline := time.Now().Add(10 * time.Second); len(d.Sidecars[0].Targets()) < len(d.Sidecars); {
		if time.Now().After(deadline) {
			t.Fatalf("the first sidecar knows %d nodes", len(d.Sidecars[0].Targets()))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// One call sets compaction throughput on every node; every node's JMX says so.
	a := call(t, c, "POST", base+"/v1/bulkcmd/setcompactionthroughput", operate, `{"rate_in_mb": 17}`)
	if a.code != 200 || fmt.Sprint(a.body["failure"]) != "[]" || a.body["command"] != "setcompactionthroughput" {
		t.Fatalf("setcompactionthroughput: %d %s", a.code, a.raw)
	}
	var got []string
	for _, e := range a.body["success"].([]any) {
		got = append(got, e.(string))
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(endpoints, " ") {
		t.Errorf("success %v, want every node %v", got, endpoints)
	}
	for _, sc := range d.Sidecars {
		if v := jmxCompactionThroughput(t, sc); v != 17 {
			t.Errorf("%s: CompactionThroughputMbPerSec %d after the bulk command", sc.Node.Addr, v)
		}
	}

	// The same through PUT /v1/settings, cluster-wide, with the CEP's 4.0 key.
	a = call(t, c, "PUT", base+"/v1/settings?scope=cluster", operate, `{"compaction_throughput_mb_per_sec": 23}`)
	if a.code != 200 || fmt.Sprint(a.body["failure"]) != "[]" {
		t.Fatalf("PUT settings on the cluster: %d %s", a.code, a.raw)
	}
	for _, sc := range d.Sidecars {
		if v := jmxCompactionThroughput(t, sc); v != 23 {
			t.Errorf("%s: CompactionThroughputMbPerSec %d after PUT /v1/settings", sc.Node.Addr, v)
		}
	}
	a = call(t, c, "GET", base+"/v1/settings?scope=cluster&key=compaction_throughput", read, "")
	if a.code != 200 || strings.Count(a.raw, `"compaction_throughput":"23MiB/s"`) != len(d.Sidecars) {
		t.Errorf("GET settings from every node: %d %s", a.code, a.raw)
	}

	// An invalid request changes nothing on any node; a read token changes nothing.
	for _, c2 := range []struct {
		token, body string
		code        int
	}{
		{operate, `{"compaction_throughput_mb_per_sec": 5, "concurrent_compactors": 0}`, 400},
		{operate, `{"compaction_throughput_mb_per_sec": 5, "no_such_setting": 1}`, 400},
		{operate, `{"compaction_throughput_mb_per_sec": "fast"}`, 400},
		{read, `{"compaction_throughput_mb_per_sec": 5}`, 403},
	} {
		a := call(t, c, "PUT", base+"/v1/settings?scope=cluster", c2.token, c2.body)
		if a.code != c2.code || a.body["error"] == nil {
			t.Errorf("PUT %s: %d %s, want %d", c2.body, a.code, a.raw, c2.code)
		}
	}
	if a := call(t, c, "POST", base+"/v1/bulkcmd/setcompactionthroughput", read, `{"rate_in_mb": 5}`); a.code != 403 {
		t.Errorf("bulk command with a read token: %d %s", a.code, a.raw)
	}
	for _, sc := range d.Sidecars {
		if v := jmxCompactionThroughput(t, sc); v != 23 {
			t.Errorf("%s: CompactionThroughputMbPerSec %d after refused requests", sc.Node.Addr, v)
		}
	}

	// A DC-scoped flush touches only that DC.
	writeRows(t, d, "flushks")
	a = call(t, c, "POST", base+"/v1/bulkcmd/flush?dc=dc2", operate, `{"keyspace": "flushks"}`)
	if a.code != 200 || len(a.body["success"].([]any)) != 3 {
		t.Fatalf("flush dc2: %d %s", a.code, a.raw)
	}
	for _, sc := range d.Sidecars {
		n := dataFiles(t, sc, "flushks")
		if (sc.Node.DC == "dc2") != (n > 0) {
			t.Errorf("%s (%s): %d data files after flushing dc2", sc.Node.Addr, sc.Node.DC, n)
		}
	}

	// A peer sidecar that is gone fails alone, within the node timeout.
	gone := d.Sidecars[len(d.Sidecars)-1]
	gone.Stop()
	start := time.Now()
	a = call(t, c, "POST", base+"/v1/bulkcmd/version", read, "{}")
	if a.code != 403 {
		t.Errorf("version with a read token: %d", a.code)
	}
	a = call(t, c, "POST", base+"/v1/bulkcmd/version", operate, "{}")
	took := time.Since(start)
	if a.code != 200 || fmt.Sprint(a.body["failure"]) != "["+gone.Node.Endpoint()+"]" || len(a.body["success"].([]any)) != len(d.Sidecars)-1 {
		t.Errorf("version with a sidecar gone: %d %s", a.code, a.raw)
	}
	if took > 5*time.Second {
		t.Errorf("took %v with one sidecar gone; the node timeout is 2s", took)
	}
}

// writeRows creates ks (RF 3 in both DCs) and writes rows at ALL, so every
// node has unflushed data in it.
func writeRows(t *testing.T, d *demo.Demo, ks string) {
	t.Helper()
	n := d.Cluster.Nodes()[0]
	cc := gocql.NewCluster(n.Addr.String())
	cc.Port = d.Cluster.Config().NativePort
	cc.DisableInitialHostLookup = true
	cc.Timeout = 5 * time.Second
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{
		"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}",
		"CREATE TABLE " + ks + ".kv (k int PRIMARY KEY, v text)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i := 0; i < 20; i++ {
		if err := s.Query("INSERT INTO "+ks+".kv (k, v) VALUES (?, ?)", i, "v").Consistency(gocql.All).Exec(); err != nil {
			t.Fatal(err)
		}
	}
}
