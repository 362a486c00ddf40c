package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/desire"
	"github.com/ringside/ringside/lifecycle"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/store"
)

// setupDesires builds the cluster desire service: its store is a session
// on the whole cluster, opened when first needed.
func (s *Sidecar) setupDesires() {
	if !s.cfg.Desires.Enabled {
		return
	}
	ls := &lazyStore{s: s}
	s.storeRef = ls
	dc := s.cfg.Desires
	// A transition cannot be abandoned halfway: when the restart timeout
	// ends the wait, the stop or start still runs to lifecycle's own
	// timeout, and the desire's next move (a retry on resume) waits for it.
	settled := func(ctx context.Context, r lifecycle.Result, err error) error {
		if ctx.Err() != nil {
			s.lifecycle.Idle(context.WithoutCancel(ctx))
		}
		return lifecycleOutcome(r, err)
	}
	action := desire.Restart{
		Stop: func(ctx context.Context) error {
			r, err := s.lifecycle.StopWith(ctx, lifecycle.StopOptions{Block: true})
			var unsafe *lifecycle.UnsafeError
			if errors.As(err, &unsafe) {
				if !s.drainedAlready(ctx) {
					return &desire.RefusedError{Err: err}
				}
				// A previous owner's stop got as far as the drain before it
				// died: the node serves nothing and gossips nothing (so this
				// sidecar cannot even read the ring over CQL), and the desire
				// still counts it in flight. Stopping it costs nothing more.
				s.log.Info("the node is drained already; stopping it without the availability check", "component", "desires")
				r, err = s.lifecycle.StopWith(ctx, lifecycle.StopOptions{Block: true, Force: true})
			}
			return settled(ctx, r, err)
		},
		Start: func(ctx context.Context) error {
			r, err := s.lifecycle.Start(ctx, true)
			return settled(ctx, r, err)
		},
		Running: func() bool { return s.lifecycle.Status().Running() },
	}
	s.desires = desire.New(desire.Config{
		Owner: desire.NewOwner(strings.ReplaceAll(s.cfg.Cassandra.CQLAddress, ":", "_")), Interval: dc.Interval, LeaseTTL: dc.LeaseTTL,
		RestartTimeout: dc.RestartTimeout, GateTimeout: dc.GateTimeout, RestartEstimate: dc.RestartEstimate,
		ExpireAfter: dc.ExpireAfter, Health: s.hcfg, Log: s.log.With("component", "desires"),
	}, ls, &desireLocal{s: s}, action)
	s.metrics.Registry().MustRegister(s.desires.Metrics())
}

func lifecycleOutcome(r lifecycle.Result, err error) error {
	if err != nil {
		return err
	}
	if r.Transition != nil && r.Transition.Outcome != lifecycle.Succeeded {
		msg := r.Transition.Outcome
		if r.Transition.Note != "" {
			msg += ": " + r.Transition.Note
		}
		return fmt.Errorf("%s %s", r.Transition.Type, msg)
	}
	return nil
}

// desireMounts serve /v1/desires/cluster and the peer view.
func (s *Sidecar) desireMounts() []api.Mount {
	if s.desires == nil {
		return nil
	}
	h := desire.Handler(s.desires, s.desireView)
	return []api.Mount{
		{Prefix: desire.PathCluster, Name: "desires_cluster", Handler: h, Endpoints: desire.Endpoints},
		{Prefix: desire.PathCluster + "/", Name: "desires_cluster", Handler: h},
		{Prefix: "/v1/peer/desires/", Name: "peer_desires", Handler: h},
	}
}

// drainedAlready: the node's OperationMode is DRAINED, or DRAINING and
// then DRAINED within the drain's time (a drain a killed sidecar asked
// for goes on inside Cassandra).
func (s *Sidecar) drainedAlready(ctx context.Context) bool {
	deadline := time.Now().Add(s.cfg.Lifecycle.DrainTimeout)
	for {
		mode, err := s.adapter.OperationMode(ctx)
		if err != nil || (mode != "DRAINED" && mode != "DRAINING") {
			return false
		}
		if mode == "DRAINED" {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// desireView is this node's view for a peer's restart gate.
func (s *Sidecar) desireView(ctx context.Context) desire.View {
	snap := s.last.Load()
	if snap == nil {
		return desire.View{Err: "no snapshot yet"}
	}
	v := desire.View{HostID: snap.HostID, Endpoint: snap.Endpoint, Running: snap.CassandraRunning, NativeActive: snap.NativeActive,
		Live: snap.LiveEndpoints, Unreachable: snap.UnreachableEndpoints, SchemaVersion: snap.SchemaVersion}
	if snap.HostID == "" {
		v.Err = "the node's identity is not readable (is it running?)"
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Cassandra.Timeout)
	defer cancel()
	// Liveness read now, not at the last refresh: a gate decides on it.
	if j := s.adapter.Jolokia(); j != nil {
		live, err := j.Read(ctx, "org.apache.cassandra.db:type=StorageService", "LiveNodesWithPort", "UnreachableNodesWithPort", "NativeTransportRunning")
		if err != nil {
			v.Err = "reading liveness: " + err.Error()
			return v
		}
		v.Live = strs(live["LiveNodesWithPort"])
		v.Unreachable = strs(live["UnreachableNodesWithPort"])
		v.NativeActive, _ = live["NativeTransportRunning"].(bool)
	}
	hc, err := s.adapter.Hints(ctx)
	if err != nil {
		v.Err = "reading hint metrics: " + err.Error()
	}
	v.Hints = hc
	return v
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// desireLocal is the sidecar's node, for the desire service.
type desireLocal struct {
	s *Sidecar

	mu     sync.Mutex
	hostID string
}

func (l *desireLocal) Snapshot() *node.Snapshot {
	snap := l.s.last.Load()
	if snap != nil && snap.HostID != "" {
		l.mu.Lock()
		l.hostID = snap.HostID
		l.mu.Unlock()
	}
	return snap
}

// Fresh overlays liveness read now on the latest snapshot.
func (l *desireLocal) Fresh(ctx context.Context) (*node.Snapshot, error) {
	snap := l.s.last.Load()
	if snap == nil {
		return nil, errors.New("no snapshot yet")
	}
	return l.s.liveNow(ctx, snap)
}

// liveNow is snap with peer liveness read now (JMX), or no older than
// decisionMaxAge in nodetool mode: what a decision to take a node down is
// judged on, since the snapshot can be a refresh interval old.
func (s *Sidecar) liveNow(ctx context.Context, snap *node.Snapshot) (*node.Snapshot, error) {
	j := s.adapter.Jolokia()
	if j == nil {
		return s.freshLiveness(snap)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Cassandra.Timeout)
	defer cancel()
	live, err := j.Read(ctx, "org.apache.cassandra.db:type=StorageService", "LiveNodesWithPort", "UnreachableNodesWithPort")
	if err != nil {
		return nil, fmt.Errorf("reading peer liveness: %w", err)
	}
	fresh := *snap
	fresh.LiveEndpoints, fresh.UnreachableEndpoints = strs(live["LiveNodesWithPort"]), strs(live["UnreachableNodesWithPort"])
	return &fresh, nil
}

func (l *desireLocal) Identity() (string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostID, l.s.cfg.Cassandra.CQLAddress
}

func (l *desireLocal) StartTime(ctx context.Context) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, l.s.cfg.Cassandra.Timeout)
	defer cancel()
	return l.s.adapter.ProcessStartTime(ctx)
}

// View is this node's own view.
func (l *desireLocal) View(ctx context.Context) desire.View { return l.s.desireView(ctx) }

// Views asks the peer sidecars (all, or those with the given host ids)
// for their views, in parallel.
func (l *desireLocal) Views(ctx context.Context, only []string) []desire.View {
	s := l.s
	snap := s.last.Load()
	if snap == nil {
		return nil
	}
	peers := snap.Peers
	if only != nil {
		peers = nil
		for _, p := range snap.Peers {
			if slices.Contains(only, p.HostID) {
				peers = append(peers, p)
			}
		}
	}
	out := make([]desire.View, len(peers)+1)
	out[0] = s.desireView(ctx)
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func(i int, p node.Peer) {
			defer wg.Done()
			v := desire.View{HostID: p.HostID, Endpoint: p.Endpoint}
			if err := s.getPeerJSON(ctx, s.peerURL(p)+desire.PathView, &v); err != nil {
				v.Err = err.Error()
			}
			out[i+1] = v
		}(i, p)
	}
	wg.Wait()
	return out
}

func (s *Sidecar) getPeerJSON(ctx context.Context, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Peers.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := s.fanHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return json.Unmarshal(b, out)
}

// lazyStore opens the store session on first use, and again after a
// failure: the contact points are this node, the seeds of its
// cassandra.yaml and the peers it last saw, so the session opens even
// while this node is down.
type lazyStore struct {
	s  *Sidecar
	mu sync.Mutex
	st *store.Store
}

func (ls *lazyStore) get() (*store.Store, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.st != nil {
		return ls.st, nil
	}
	s := ls.s
	addrs := []string{s.cfg.Cassandra.CQLAddress}
	_, port, _ := net.SplitHostPort(s.cfg.Cassandra.CQLAddress)
	for _, seed := range seedHosts(s.cfg.Cassandra.ConfigFile) {
		addrs = append(addrs, net.JoinHostPort(seed, port))
	}
	localDC := ""
	if snap := s.last.Load(); snap != nil {
		localDC = snap.DC
		for _, p := range snap.Peers {
			if p.NativeAddress != "" {
				addrs = append(addrs, p.NativeAddress)
			}
		}
	}
	hosts, p := store.ContactPoints(addrs)
	st, err := store.Open(store.Config{Hosts: dedupe(hosts), Port: p, Username: s.cfg.Cassandra.Username, Password: s.cfg.Cassandra.Password,
		Timeout: s.cfg.Cassandra.Timeout, LocalDC: localDC}, s.log.With("component", "store"))
	if err != nil {
		return nil, err
	}
	ls.st = st
	return st, nil
}

func (ls *lazyStore) close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.st != nil {
		ls.st.Close()
		ls.st = nil
	}
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range l {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// seedHosts reads seed_provider's seeds from cassandra.yaml (hosts only).
func seedHosts(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var y struct {
		SeedProvider []struct {
			Parameters []map[string]string `yaml:"parameters"`
		} `yaml:"seed_provider"`
	}
	if yaml.Unmarshal(b, &y) != nil {
		return nil
	}
	var out []string
	for _, sp := range y.SeedProvider {
		for _, p := range sp.Parameters {
			for _, seed := range strings.Split(p["seeds"], ",") {
				seed = strings.TrimSpace(seed)
				if h, _, err := net.SplitHostPort(seed); err == nil {
					seed = h
				}
				if seed != "" {
					out = append(out, seed)
				}
			}
		}
	}
	return out
}

func (ls *lazyStore) Ensure(ctx context.Context, per map[string]int) error {
	st, err := ls.get()
	if err != nil {
		return err
	}
	return st.Ensure(ctx, per)
}

func (ls *lazyStore) Current(ctx context.Context, scope string) (*store.Record, error) {
	st, err := ls.get()
	if err != nil {
		return nil, err
	}
	return st.Current(ctx, scope)
}

func (ls *lazyStore) Poll(ctx context.Context, scope string) (*store.Record, error) {
	st, err := ls.get()
	if err != nil {
		return nil, err
	}
	return st.Poll(ctx, scope)
}

func (ls *lazyStore) Desire(ctx context.Context, id string) (*store.Record, error) {
	st, err := ls.get()
	if err != nil {
		return nil, err
	}
	return st.Desire(ctx, id)
}

func (ls *lazyStore) Create(ctx context.Context, scope, id string, doc []byte, replace func(*store.Record) bool) (*store.Record, bool, error) {
	st, err := ls.get()
	if err != nil {
		return nil, false, err
	}
	return st.Create(ctx, scope, id, doc, replace)
}

func (ls *lazyStore) Update(ctx context.Context, id string, version int64, doc []byte) (bool, error) {
	st, err := ls.get()
	if err != nil {
		return false, err
	}
	return st.Update(ctx, id, version, doc)
}

func (ls *lazyStore) Lease(ctx context.Context, desireID, hostID string) (string, error) {
	st, err := ls.get()
	if err != nil {
		return "", err
	}
	return st.Lease(ctx, desireID, hostID)
}

func (ls *lazyStore) Acquire(ctx context.Context, desireID, hostID, owner string, ttl time.Duration) (string, error) {
	st, err := ls.get()
	if err != nil {
		return "", err
	}
	return st.Acquire(ctx, desireID, hostID, owner, ttl)
}

func (ls *lazyStore) Renew(ctx context.Context, desireID, hostID, owner string, ttl time.Duration) (bool, error) {
	st, err := ls.get()
	if err != nil {
		return false, err
	}
	return st.Renew(ctx, desireID, hostID, owner, ttl)
}

func (ls *lazyStore) SetStep(ctx context.Context, desireID, hostID, step string) error {
	st, err := ls.get()
	if err != nil {
		return err
	}
	return st.SetStep(ctx, desireID, hostID, step)
}

func (ls *lazyStore) Steps(ctx context.Context, desireID string) (map[string]string, error) {
	st, err := ls.get()
	if err != nil {
		return nil, err
	}
	return st.Steps(ctx, desireID)
}

func (ls *lazyStore) Release(ctx context.Context, desireID, hostID, owner string) error {
	st, err := ls.get()
	if err != nil {
		return err
	}
	return st.Release(ctx, desireID, hostID, owner)
}
