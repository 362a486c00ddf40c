package sidecar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/bulk"
	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/settings"
)

// Targets is every node of the latest snapshot, this one first: the
// nodes a settings change or bulk command can fan out to.
func (s *Sidecar) Targets() []fanout.Target {
	snap := s.last.Load()
	if snap == nil || snap.HostID == "" {
		return nil
	}
	out := []fanout.Target{{HostID: snap.HostID, Address: host(snap.Endpoint), Endpoint: snap.Endpoint, DC: snap.DC, Rack: snap.Rack, Self: true}}
	for _, p := range snap.Peers {
		out = append(out, fanout.Target{HostID: p.HostID, Address: host(p.Endpoint), Endpoint: p.Endpoint, DC: p.DC, Rack: p.Rack, URL: s.peerURL(p)})
	}
	return out
}

// Fanout is the client that reaches the peer sidecars.
func (s *Sidecar) Fanout() *fanout.Client { return s.fan }

func host(endpoint string) string {
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		return h
	}
	return strings.TrimSpace(endpoint)
}

// mounts are the settings and bulk command endpoints, public and /v1/peer/.
func (s *Sidecar) mounts() []api.Mount {
	sh := settings.Handler(settings.NodeConfigLocal(s.adapter, s.cfg.Cassandra.ConfigFile, s.releaseVersion), s, s.log.With("component", "settings"))
	bh := bulk.Handler(bulk.Default(), bulk.AdapterNode(s.adapter), s, bulk.NewJobs(s.cfg.Bulk.JobsKept, time.Hour), s.log.With("component", "bulk"))
	return []api.Mount{
		{Prefix: "/v1/settings", Name: "settings", Handler: sh, Endpoints: []string{"GET /v1/settings", "PUT /v1/settings", "POST /v1/settings?refresh=true"}},
		{Prefix: "/v1/settings/", Name: "settings", Handler: sh},
		{Prefix: "/v1/peer/settings", Name: "peer_settings", Handler: sh},
		{Prefix: "/v1/bulkcmd", Name: "bulkcmd", Handler: bh, Endpoints: []string{"GET /v1/bulkcmd", "POST /v1/bulkcmd/{cmd}"}},
		{Prefix: "/v1/bulkcmd/", Name: "bulkcmd", Handler: bh},
		{Prefix: "/v1/peer/bulkcmd/", Name: "peer_bulkcmd", Handler: bh},
		{Prefix: "/v1/jobs", Name: "jobs", Handler: bh, Endpoints: []string{"GET /v1/jobs", "GET /v1/jobs/{id}"}},
		{Prefix: "/v1/jobs/", Name: "jobs", Handler: bh},
	}
}

// decisionMaxAge is how old the peer liveness a stop or drain decides on
// may be. With Jolokia every refresh reads it; in nodetool mode the
// snapshot's can be cassandra.nodetool_interval old, so CheckDown asks
// for a fresh `nodetool status` when it is older than this.
const decisionMaxAge = 3 * time.Second

// freshLiveness is snap with peer liveness no older than decisionMaxAge.
func (s *Sidecar) freshLiveness(snap *node.Snapshot) (*node.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Cassandra.Timeout)
	defer cancel()
	live, unreachable, asOf, err := s.adapter.FreshLiveness(ctx, decisionMaxAge)
	if err != nil {
		return nil, err
	}
	fresh := *snap
	fresh.LiveEndpoints, fresh.UnreachableEndpoints = live, unreachable
	s.log.Debug("peer liveness for a decision", "as_of", asOf, "unreachable", unreachable)
	return &fresh, nil
}

// CheckDown implements bulk.AvailabilityGuard (and, through CheckStop,
// lifecycle.StopGuard): the selected nodes may go down together only if
// no user keyspace loses a token range at health.consistency_levels and
// no system keyspace at a level Cassandra uses it at (health.DownImpact);
// a refusal names the fix.
func (s *Sidecar) CheckDown(targets []fanout.Target) error {
	snap := s.last.Load()
	if snap == nil {
		return errors.New("no view of the ring yet (first refresh pending)")
	}
	// Liveness read now: a stop decided on a snapshot a refresh old can
	// miss a peer that died since (the fault harness caught one).
	var err error
	if snap, err = s.liveNow(context.Background(), snap); err != nil {
		return fmt.Errorf("cannot judge availability: %w", err)
	}
	var eps []string
	for _, t := range targets {
		eps = append(eps, t.Endpoint)
	}
	im, err := health.DownImpact(snap, eps, s.hcfg)
	if err != nil {
		return fmt.Errorf("cannot judge availability: %w", err)
	}
	return im.Err()
}

// logSystemWarnings logs the coordinator report's system keyspace
// warnings when they first appear or change: at start, once the node's
// ring and settings are known, an operator reads there why stops will be
// refused and what to run.
func (s *Sidecar) logSystemWarnings(coord map[string]any) {
	w, _ := coord["warnings"].([]string)
	key := strings.Join(w, "\n")
	if old := s.warned.Swap(&key); old != nil && *old == key {
		return
	}
	for _, msg := range w {
		s.log.Warn("system keyspace replication", "warning", msg)
	}
}

// releaseVersion is the node's release as last seen ("" before).
func (s *Sidecar) releaseVersion() string {
	if snap := s.last.Load(); snap != nil {
		return snap.ReleaseVersion
	}
	return ""
}

// CheckKeyspace implements bulk.SchemaGuard from system_schema.keyspaces:
// the last snapshot's, and a fresh read when the keyspace is not in it (it
// may have been created since the last refresh). Without a schema to go
// by (CQL down) it lets the command through: the nodes will say.
func (s *Sidecar) CheckKeyspace(ctx context.Context, keyspace string) error {
	known := func(snap *node.Snapshot) (found, judged bool) {
		if snap == nil || len(snap.Keyspaces) == 0 {
			return false, false
		}
		for _, ks := range snap.Keyspaces {
			if ks.Name == keyspace {
				return true, true
			}
		}
		return false, true
	}
	if found, _ := known(s.last.Load()); found {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Cassandra.Timeout)
	defer cancel()
	fresh := s.adapter.Snapshot(ctx)
	found, judged := known(fresh)
	if found || !judged {
		return nil
	}
	var names []string
	for _, ks := range fresh.Keyspaces {
		names = append(names, ks.Name)
	}
	return &bulk.ParamError{Problems: map[string]string{"keyspace": fmt.Sprintf("no keyspace %q in the cluster's schema (system_schema.keyspaces has %s)", clipName(keyspace), strings.Join(names, ", "))}}
}

func clipName(s string) string {
	if len(s) > 48 {
		return s[:48] + "…"
	}
	return s
}
