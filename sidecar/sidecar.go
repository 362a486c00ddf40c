// Package sidecar runs ringside beside one Cassandra node: it refreshes
// what it knows about the node in the background, turns it into the
// CEP-1 health reports, gathers the peer sidecars' views for the cluster
// report, and serves the HTTP API.
package sidecar

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/auth"
	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/desire"
	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/internal/javafmt"
	"github.com/ringside/ringside/internal/routes"
	"github.com/ringside/ringside/lifecycle"
	"github.com/ringside/ringside/node"
)

// Sidecar is one running sidecar.
type Sidecar struct {
	cfg     *config.Config
	log     *slog.Logger
	adapter *node.Adapter
	hcfg    health.Config
	client  *http.Client
	metrics *api.Metrics

	reports atomic.Pointer[map[string]api.Report]
	last    atomic.Pointer[node.Snapshot]

	lifecycle   *lifecycle.Manager
	desires     *desire.Service
	storeRef    *lazyStore
	fan         *fanout.Client
	fanHTTP     *http.Client
	serverTLS   *tls.Config // nil: plain HTTP
	policy      auth.Policy
	handler     http.Handler           // the API, built once in New
	override    atomic.Pointer[string] // why the coordinator check fails on purpose
	warned      atomic.Pointer[string] // the system keyspace warnings last logged
	refreshKick chan struct{}

	// The cluster view is gathered from every peer sidecar, so it is only
	// kept fresh while someone asks for it.
	clusterMu     sync.Mutex
	clusterWanted atomic.Int64 // unix nanos of the last cluster request
	clusterKick   chan struct{}
	ready         chan struct{}
	readyOnce     sync.Once

	// Routing health (routing.go): this node's hint and stream facts,
	// its outage history, the last cluster view and the answers on it.
	facts   atomic.Pointer[health.NodeFacts]
	outages *health.Outages
	view    atomic.Pointer[clusterView]
	routes  routeCache
}

// StateFile is the lifecycle state file in the data directory.
const StateFile = "lifecycle.json"

// New builds a sidecar from a validated configuration. It creates the
// data directory and reads the node's persisted desire; a stop that was
// in progress makes the coordinator check fail from the start.
func New(cfg *config.Config, log *slog.Logger) (*Sidecar, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	pidFile := cfg.Cassandra.PIDFile
	if cfg.Cassandra.PIDSource != "pidfile" {
		pidFile = ""
	}
	s := &Sidecar{
		cfg: cfg,
		log: log,
		adapter: node.New(node.Config{
			CQLAddress:       cfg.Cassandra.CQLAddress,
			Username:         cfg.Cassandra.Username,
			Password:         cfg.Cassandra.Password,
			JolokiaURL:       cfg.Cassandra.JolokiaURL,
			Nodetool:         cfg.Cassandra.Nodetool,
			NodetoolArgs:     cfg.Cassandra.NodetoolArgs,
			NodetoolInterval: cfg.Cassandra.NodetoolInterval,
			PIDFile:          pidFile,
			Timeout:          cfg.Cassandra.Timeout,
		}, log),
		hcfg:        health.Config{ConsistencyLevels: cfg.Health.ConsistencyLevels, ConfigSyncFailsReplica: cfg.Health.ConfigSyncFailsReplica, MaxAge: cfg.Health.MaxAge},
		metrics:     api.NewMetrics(),
		clusterKick: make(chan struct{}, 1),
		refreshKick: make(chan struct{}, 1),
		ready:       make(chan struct{}),
		outages:     health.NewOutages(),
	}
	empty := map[string]api.Report{}
	s.reports.Store(&empty)
	none := ""
	s.override.Store(&none)
	ln := &lifecycleNode{s: s}
	if cfg.Cassandra.PIDSource == "process_table" {
		re, err := regexp.Compile(cfg.Cassandra.ProcessPattern)
		if err != nil {
			return nil, fmt.Errorf("cassandra.process_pattern: %w", err)
		}
		ln.pattern = re
	}
	l := cfg.Lifecycle
	m, err := lifecycle.New(lifecycle.Config{
		StateFile:           filepath.Join(cfg.DataDir, StateFile),
		StartCommand:        l.StartCommand,
		StopCommand:         l.StopCommand,
		Grace:               l.Grace,
		DrainTimeout:        l.DrainTimeout,
		AbortOnDrainFailure: l.OnDrainFailure == "abort",
		StopTimeout:         l.StopTimeout,
		StartTimeout:        l.StartTimeout,
		Supervise:           l.Supervise,
		RestartBackoff:      l.RestartBackoff,
		RestartBackoffMax:   l.RestartBackoffMax,
		Poll:                min(500*time.Millisecond, cfg.Health.RefreshInterval/2),
	}, ln, log.With("component", "lifecycle"))
	if err != nil {
		return nil, err
	}
	s.lifecycle = m
	s.metrics.Registry().MustRegister(newLifecycleCollector(m))
	s.setupDesires()
	if err := s.setupSecurity(cfg); err != nil {
		return nil, err
	}
	s.fan = &fanout.Client{HTTP: s.fanHTTP, Concurrency: cfg.Peers.Concurrency, Timeout: cfg.Bulk.NodeTimeout}
	s.handler = s.newHandler()
	return s, nil
}

// newHandler is the whole HTTP API as served: the api package's endpoints
// and every mount, behind the auth policy.
func (s *Sidecar) newHandler() http.Handler {
	desires := api.Mount{Prefix: "/v1/desires/node/", Name: "desires_node", Endpoints: lifecycle.Endpoints,
		Handler: lifecycle.Handler(s.lifecycle, lifecycle.HandlerOptions{AllowRemote: s.cfg.Lifecycle.AllowRemote})}
	mounts := append(append([]api.Mount{desires}, s.mounts()...), s.desireMounts()...)
	h := api.New(s, api.Options{Logger: s.log, Metrics: s.metrics, MaxAge: s.cfg.Health.MaxAge, Mounts: mounts})
	l, _ := h.(routes.Lister)
	return routes.With(auth.Middleware(h, s.policy), l)
}

// Routes lists every route the API serves, as http.ServeMux patterns
// ("GET /v1/health/coordinator", "POST /v1/bulkcmd/{cmd}"), from what is
// registered: the OpenAPI document's test compares the two.
func (s *Sidecar) Routes() []string {
	r, _ := routes.Of(s.handler)
	return r
}

// Lifecycle is the node's stop/start manager.
func (s *Sidecar) Lifecycle() *lifecycle.Manager { return s.lifecycle }

// Report implements api.Source. Asking for "cluster" keeps the cluster
// view refreshed for a while.
func (s *Sidecar) Report(name string) (api.Report, bool) {
	if name == "cluster" {
		s.wantCluster()
	}
	r, ok := (*s.reports.Load())[name]
	if !ok && name == "cluster" {
		// First request: wait (bounded by the peer timeout) for a view.
		s.refreshCluster(context.Background())
		r, ok = (*s.reports.Load())[name]
	}
	return r, ok
}

func (s *Sidecar) setReport(name string, body map[string]any, healthy bool, asOf time.Time) {
	b, err := json.Marshal(body)
	if err != nil {
		s.log.Error("encoding report", "report", name, "err", err)
		return
	}
	for {
		old := s.reports.Load()
		next := make(map[string]api.Report, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
		next[name] = api.NewReport(b, healthy, asOf)
		if s.reports.CompareAndSwap(old, &next) {
			break
		}
	}
	s.metrics.SetHealth(name, healthy)
}

// Snapshot returns the latest snapshot of the node (nil before the first refresh).
func (s *Sidecar) Snapshot() *node.Snapshot { return s.last.Load() }

// Ready is closed after the first refresh.
func (s *Sidecar) Ready() <-chan struct{} { return s.ready }

// refresh reads the node and recomputes the coordinator and replica reports.
func (s *Sidecar) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Cassandra.Timeout+time.Second)
	defer cancel()
	snap := s.adapter.Snapshot(ctx)
	for _, e := range snap.Errors {
		s.metrics.RefreshError(strings.SplitN(e, ":", 2)[0])
	}
	facts := s.readFacts(ctx, snap)
	s.facts.Store(&facts)
	s.outages.ObserveSnapshot(snap)
	s.last.Store(snap)
	now := time.Now()

	var sync health.ConfigSync
	if b, err := os.ReadFile(s.cfg.Cassandra.ConfigFile); err != nil {
		sync = health.ConfigSync{Status: "UNKNOWN", Error: err.Error()}
	} else {
		sync = health.CompareConfigVersion(b, snap.Settings, snap.ReleaseVersion)
	}
	dirs := s.cfg.Cassandra.DataDirectories
	if len(dirs) == 0 {
		dirs = javafmt.List(snap.Settings["data_file_directories"])
	}
	corrupt, err := health.ScanSSTables(dirs)
	if err != nil {
		s.metrics.RefreshError("sstables")
		s.log.Warn("scanning sstables", "err", err)
	}
	coord, cok := health.Coordinator(snap, s.hcfg, now)
	// Additive fields for the peers' routing health answers.
	health.AddNodeFacts(coord, facts)
	s.logSystemWarnings(coord)
	if reason := *s.override.Load(); reason != "" {
		overrideCoordinator(coord, reason)
		cok = false
	}
	s.setReport("coordinator", coord, cok && s.fresh(snap, now), snap.Taken)
	rep, rok := health.Replica(snap, sync, corrupt, s.hcfg, now)
	s.setReport("replica", rep, rok && s.fresh(snap, now), snap.Taken)
	s.metrics.SetRefreshAge(time.Since(snap.Taken))
	s.readyOnce.Do(func() { close(s.ready) })
}

func (s *Sidecar) fresh(snap *node.Snapshot, now time.Time) bool {
	return now.Sub(snap.Taken) <= s.cfg.Health.MaxAge
}

// peerURL is the peer sidecar's base URL: the peer's native address, our port.
func (s *Sidecar) peerURL(p node.Peer) string {
	host := p.NativeAddress
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host, _, _ = net.SplitHostPort(p.Endpoint)
	}
	port := s.cfg.Peers.Port
	if port == 0 {
		_, ps, _ := net.SplitHostPort(s.cfg.ListenAddress)
		fmt.Sscan(ps, &port)
	}
	return fmt.Sprintf("%s://%s", s.cfg.Peers.Scheme, net.JoinHostPort(host, fmt.Sprint(port)))
}

// refreshCluster asks every peer sidecar for its coordinator report, in
// parallel with a timeout, and recomputes the cluster report.
func (s *Sidecar) refreshCluster(ctx context.Context) {
	s.clusterMu.Lock()
	defer s.clusterMu.Unlock()
	snap := s.last.Load()
	if snap == nil {
		return
	}
	peers := make([]health.PeerStatus, len(snap.Peers))
	sem := make(chan struct{}, s.fan.Width(len(snap.Peers))) // the fan-out's width, open-file cap included
	var wg sync.WaitGroup
	for i, p := range snap.Peers {
		peers[i] = health.PeerStatus{Endpoint: p.Endpoint, DC: p.DC, Rack: p.Rack, Sidecar: s.peerURL(p)}
		wg.Add(1)
		sem <- struct{}{}
		go func(ps *health.PeerStatus) {
			defer wg.Done()
			defer func() { <-sem }()
			s.askPeer(ctx, ps)
		}(&peers[i])
	}
	wg.Wait()
	now := time.Now()
	s.view.Store(&clusterView{snap: snap, peers: peers, at: now})
	rep, ok := health.Cluster(snap, peers, s.hcfg, now)
	s.setReport("cluster", rep, ok, now)
}

func (s *Sidecar) askPeer(ctx context.Context, ps *health.PeerStatus) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Peers.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", ps.Sidecar+"/v1/health/coordinator", nil)
	if err != nil {
		ps.Error = err.Error()
		return
	}
	resp, err := s.client.Do(req)
	if err != nil {
		ps.Error = err.Error()
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		ps.Error = err.Error()
		return
	}
	var rep map[string]any
	if err := json.Unmarshal(body, &rep); err != nil {
		ps.Error = fmt.Sprintf("HTTP %d with a body that is not JSON", resp.StatusCode)
		return
	}
	ps.Reachable = true
	ps.Healthy = resp.StatusCode == http.StatusOK
	ps.Report = rep
	if !ps.Healthy {
		ps.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
}

// Run refreshes in the background and serves the API on the listen
// address until ctx ends, then shuts down gracefully.
func (s *Sidecar) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.ListenAddress)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.ListenAddress, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (s *Sidecar) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer s.adapter.Close()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         s.serverTLS,
		// TLS handshake failures (a caller without the CA, plain HTTP)
		// go to the log rather than stderr.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelInfo),
		// Blocked stop and start calls end when the sidecar shuts down;
		// the transition resumes with the next sidecar.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.loop(ctx) }()
	go func() { defer wg.Done(); s.clusterLoop(ctx) }()
	go func() { defer wg.Done(); s.lifecycle.Run(ctx) }()
	if s.desires != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-s.ready:
			}
			s.desires.Run(ctx)
		}()
		defer s.storeRef.close()
	}
	errc := make(chan error, 1)
	go func() {
		if s.serverTLS != nil {
			// Certificates come from TLSConfig.GetCertificate (reloaded
			// when the files change), hence no file names here.
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	s.log.Info("ringside serving", "address", ln.Addr().String(), "tls", s.serverTLS != nil, "cassandra", s.cfg.Cassandra.CQLAddress, "jolokia", s.cfg.Cassandra.JolokiaURL)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	srv.Shutdown(shut)
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Sidecar) loop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Health.RefreshInterval)
	defer t.Stop()
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.refreshKick:
		}
	}
}

func (s *Sidecar) clusterLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Health.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.clusterKick:
		}
		// Keep the cluster view fresh for ten intervals after the last request.
		if time.Since(time.Unix(0, s.clusterWanted.Load())) < 10*s.cfg.Health.RefreshInterval {
			s.refreshCluster(ctx)
		}
	}
}
