package sidecar

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/bulk"
	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/health"
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
	sh := settings.Handler(settings.NodeLocal(s.adapter), s, s.log.With("component", "settings"))
	bh := bulk.Handler(bulk.Default(), bulk.AdapterNode(s.adapter), s, bulk.NewJobs(s.cfg.Bulk.JobsKept, time.Hour), s.log.With("component", "bulk"))
	return []api.Mount{
		{Prefix: "/v1/settings", Name: "settings", Handler: sh, Endpoints: []string{"GET /v1/settings", "PUT /v1/settings"}},
		{Prefix: "/v1/settings/", Name: "settings", Handler: sh},
		{Prefix: "/v1/peer/settings", Name: "peer_settings", Handler: sh},
		{Prefix: "/v1/bulkcmd", Name: "bulkcmd", Handler: bh, Endpoints: []string{"GET /v1/bulkcmd", "POST /v1/bulkcmd/{cmd}"}},
		{Prefix: "/v1/bulkcmd/", Name: "bulkcmd", Handler: bh},
		{Prefix: "/v1/peer/bulkcmd/", Name: "peer_bulkcmd", Handler: bh},
		{Prefix: "/v1/jobs", Name: "jobs", Handler: bh, Endpoints: []string{"GET /v1/jobs", "GET /v1/jobs/{id}"}},
		{Prefix: "/v1/jobs/", Name: "jobs", Handler: bh},
	}
}

// CheckDown implements bulk.AvailabilityGuard: the selected nodes may go
// down together only if no keyspace loses a token range at the consistency
// levels of health.consistency_levels.
func (s *Sidecar) CheckDown(targets []fanout.Target) error {
	snap := s.last.Load()
	if snap == nil {
		return errors.New("no view of the ring yet (first refresh pending)")
	}
	var eps []string
	for _, t := range targets {
		eps = append(eps, t.Endpoint)
	}
	lost, err := health.DownImpact(snap, eps, s.hcfg)
	if err != nil {
		return fmt.Errorf("cannot judge availability: %w", err)
	}
	if len(lost) > 0 {
		return fmt.Errorf("taking %d node(s) down together would leave %s; select fewer nodes (e.g. one rack) or lower health.consistency_levels", len(targets), strings.Join(lost, "; "))
	}
	return nil
}
