package sidecar

import (
	"github.com/ringside/ringside/api"
	"net"
	"strings"

	"github.com/ringside/ringside/fanout"
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

// mounts are the settings and bulk command endpoints.
func (s *Sidecar) mounts() []api.Mount { return nil }
