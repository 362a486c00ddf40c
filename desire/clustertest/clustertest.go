// Package clustertest runs a simulated cluster with a real sidecar
// process beside each node, for the cluster desire tests, the fault
// harness and the restart benchmark. Sidecars are child processes (the
// test binary re-executed as `ringside serve`, see Main), so a kill is a
// real SIGKILL: nothing of the killed sidecar goes on running.
package clustertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sidecar"
	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// Main is for TestMain: it serves the child runs (`sim ctl`, `sim
// nodetool` for the nodes' scripts, `serve` for the sidecars) and runs
// the tests otherwise.
func Main(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "serve" && os.Args[2] == "--config" {
		if err := serve(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "ringside:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	simtest.Main(m)
}

func serve(path string) error {
	cfg, err := config.Load(path, nil)
	if err != nil {
		return err
	}
	var lv slog.Level
	lv.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	sc, err := sidecar.New(cfg, log)
	if err != nil {
		return err
	}
	return sc.Run(ctx)
}

// Options shape a cluster.
type Options struct {
	Topology string // e.g. "dc1:3x1,dc2:3x1"
	// Keyspace "app" is created with RF min(3, nodes) per DC unless AppRF
	// overrides it per DC.
	AppRF map[string]int
	// Sim adjusts the simulator's configuration.
	Sim func(*sim.Config)
	// Sidecar adjusts each sidecar's configuration.
	Sidecar func(n *sim.Node, c *config.Config)
	// Dir holds everything (default t.TempDir()).
	Dir string
}

// Env is a running cluster with its sidecars.
type Env struct {
	Cluster  *sim.Cluster
	Sidecars []*Proc
	Dir      string
	log      *os.File
}

// Proc is one sidecar process.
type Proc struct {
	Node    *sim.Node
	URL     string
	cfgPath string
	dataDir string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a cluster and its sidecars, and waits until each answers.
func Start(tb testing.TB, o Options) *Env {
	tb.Helper()
	dir := o.Dir
	if dir == "" {
		dir = tb.TempDir()
	}
	scfg, err := sim.TestConfig(o.Topology, dir)
	if err != nil {
		tb.Fatal(err)
	}
	// Sidecars see a shape of real timings, short.
	scfg.StartTime = 300 * time.Millisecond
	scfg.StartJitter = 100 * time.Millisecond
	scfg.DrainTime = 50 * time.Millisecond
	if o.Sim != nil {
		o.Sim(&scfg)
	}
	c, err := sim.New(scfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	e := &Env{Cluster: c, Dir: dir}
	tb.Cleanup(e.Close)
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, p := range e.Sidecars {
				var lines []string
				for _, l := range strings.Split(p.Log(), "\n") {
					if strings.Contains(l, "desire") || strings.Contains(l, "store") || strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
						lines = append(lines, l)
					}
				}
				if len(lines) > 40 {
					lines = lines[len(lines)-40:]
				}
				tb.Logf("sidecar %s:\n%s", p.Node.Addr, strings.Join(lines, "\n"))
			}
		}
	})
	ln, err := net.Listen("tcp", scfg.ControlAddr)
	if err != nil {
		tb.Fatalf("control API: %v", err)
	}
	srv := &http.Server{Handler: c.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	if err := e.createKeyspaces(o.AppRF); err != nil {
		tb.Fatal(err)
	}
	for _, n := range c.Nodes() {
		cfg := demo.SidecarConfig(n, scfg, 5000, 100*time.Millisecond)
		cfg.LogLevel = "debug"
		cfg.Lifecycle.Grace = 100 * time.Millisecond
		cfg.Lifecycle.AllowRemote = true
		cfg.Desires.Interval = 100 * time.Millisecond
		cfg.Desires.LeaseTTL = time.Second
		cfg.Desires.RestartTimeout = 15 * time.Second
		cfg.Desires.GateTimeout = 15 * time.Second
		cfg.Desires.RestartEstimate = 2 * time.Second
		if o.Sidecar != nil {
			o.Sidecar(n, cfg)
		}
		p := &Proc{Node: n, URL: "http://" + cfg.ListenAddress, dataDir: cfg.DataDir,
			cfgPath: filepath.Join(dir, "sidecar-"+n.Addr.String()+".yaml"), logPath: filepath.Join(dir, "sidecar-"+n.Addr.String()+".log")}
		b, err := config.Marshal(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p.cfgPath, b, 0o600); err != nil {
			tb.Fatal(err)
		}
		if err := p.Start(false); err != nil {
			tb.Fatal(err)
		}
		e.Sidecars = append(e.Sidecars, p)
	}
	for _, p := range e.Sidecars {
		if err := p.WaitReady(30 * time.Second); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

// Session is a gocql session on the cluster (closed by the caller).
func (e *Env) Session() (*gocql.Session, error) {
	var hosts []string
	for _, n := range e.Cluster.Nodes() {
		hosts = append(hosts, n.Addr.String())
	}
	cc := gocql.NewCluster(hosts...)
	cc.Port = e.Cluster.Config().NativePort
	cc.Timeout = 5 * time.Second
	cc.Consistency = gocql.Quorum
	return cc.CreateSession()
}

func (e *Env) createKeyspaces(appRF map[string]int) error {
	s, err := e.Session()
	if err != nil {
		return err
	}
	defer s.Close()
	per := map[string]int{}
	for _, n := range e.Cluster.Nodes() {
		per[n.DC]++
	}
	var sys, app []string
	for _, dc := range e.Cluster.Config().DCs {
		sys = append(sys, fmt.Sprintf("'%s': %d", dc.Name, min(3, per[dc.Name])))
		rf := min(3, per[dc.Name])
		if v, ok := appRF[dc.Name]; ok {
			rf = v
		}
		app = append(app, fmt.Sprintf("'%s': %d", dc.Name, rf))
	}
	stmts := []string{}
	for _, ks := range []string{"system_auth", "system_distributed", "system_traces"} {
		stmts = append(stmts, fmt.Sprintf("ALTER KEYSPACE %s WITH replication = {'class': 'NetworkTopologyStrategy', %s}", ks, strings.Join(sys, ", ")))
	}
	stmts = append(stmts, fmt.Sprintf("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', %s}", strings.Join(app, ", ")),
		"CREATE TABLE app.kv (k text PRIMARY KEY, v text)")
	for _, q := range stmts {
		if err := s.Query(q).Exec(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// Close stops the sidecars and the cluster.
func (e *Env) Close() {
	for _, p := range e.Sidecars {
		p.Stop()
	}
	e.Cluster.Close()
}

// Start starts the sidecar process; emptyDir wipes its data directory
// first (a replacement machine).
func (p *Proc) Start(emptyDir bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("sidecar already running")
	}
	if emptyDir {
		if err := os.RemoveAll(p.dataDir); err != nil {
			return err
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	lf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "serve", "--config", p.cfgPath)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); lf.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	return nil
}

// take hands the running process over to the caller (nil: none).
func (p *Proc) take() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	return cmd, done
}

// Kill is kill -9 of the sidecar.
func (p *Proc) Kill() {
	cmd, done := p.take()
	if cmd == nil {
		return
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Stop is a graceful stop (SIGTERM), then a kill after 10 s.
func (p *Proc) Stop() {
	cmd, done := p.take()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Running reports whether the process runs.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// WaitReady waits until the sidecar's coordinator check passes.
func (p *Proc) WaitReady(within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.URL + "/v1/health/coordinator")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(p.logPath)
	return fmt.Errorf("sidecar of %s did not answer within %s; log tail:\n%s", p.Node.Addr, within, tail(b, 3000))
}

// Log is the sidecar's log so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Do sends a request to a sidecar and decodes its JSON answer.
func Do(method, url string, body string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %d, body is not JSON: %q", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode, m, nil
}

// WaitConverged waits until every sidecar's node sees every node up.
func (e *Env) WaitConverged(tb testing.TB, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		ok := true
		for _, p := range e.Sidecars {
			code, m, err := Do("GET", p.URL+"/v1/peer/desires/view", "")
			u, _ := m["unreachable_endpoints"].([]any)
			l, _ := m["live_endpoints"].([]any)
			if err != nil || code != 200 || len(u) > 0 || len(l) != len(e.Sidecars) {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the nodes' views did not converge within %s", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
