package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/node"
)

// The routing health of one DC (GET /v1/health/cluster?dc=&cl=&keyspace=,
// health.Routing) is judged on this node's snapshot and outage history,
// and on what the cluster view gathered from the peer sidecars: their
// operation modes and, in their coordinator reports, their hint counters
// and streams (readFacts, at every refresh of every sidecar).

// JMX names read for the routing facts (Cassandra 4.1): HintsService's
// PendingHints (HintsServiceMBean.getPendingHints: the targets with hint
// files queued for dispatch) and StreamManager's CurrentStreams
// (StreamManagerMBean.getCurrentStreams: one StreamState per plan in
// progress, with its planId and description, "Rebuild" for nodetool
// rebuild, as nodetool netstats prints them).
const (
	hintsServiceMBean  = "org.apache.cassandra.hints:type=HintsService"
	streamManagerMBean = "org.apache.cassandra.net:type=StreamManager"
)

// readFacts reads this node's hint counters and streams.
func (s *Sidecar) readFacts(ctx context.Context, snap *node.Snapshot) health.NodeFacts {
	var f health.NodeFacts
	if !snap.CassandraRunning {
		f.HintsError, f.StreamsError = "cassandra is not running", "cassandra is not running"
		return f
	}
	j := s.adapter.Jolokia()
	if j == nil {
		f.HintsError = "hint counters " + node.ErrNeedsJolokia.Error()
		f.StreamsError = "streams " + node.ErrNeedsJolokia.Error()
		return f
	}
	hc, err := s.adapter.Hints(ctx)
	if err != nil {
		f.HintsError = "reading hint metrics: " + err.Error()
	}
	resps, berr := j.Bulk(ctx,
		node.JolokiaRequest{Type: "read", MBean: hintsServiceMBean, Attribute: "PendingHints"},
		node.JolokiaRequest{Type: "read", MBean: streamManagerMBean, Attribute: "CurrentStreams"})
	if berr != nil {
		if err == nil {
			f.HintsError = "reading PendingHints: " + berr.Error()
		}
		f.StreamsError = "reading CurrentStreams: " + berr.Error()
		return f
	}
	if err == nil {
		pend, perr := pendingHosts(&resps[0])
		if perr != nil {
			f.HintsError = "reading PendingHints: " + perr.Error()
		} else {
			f.Hints, f.PendingHints = &hc, pend
		}
	}
	streams, serr := currentStreams(&resps[1])
	switch {
	case serr == nil:
		f.Streams = streams
	case node.IsJolokiaStatus(serr, 404):
		f.StreamsError, f.StreamsNotServed = streamManagerMBean+" is not served by this node's JMX", true
	default:
		f.StreamsError = "reading CurrentStreams: " + serr.Error()
	}
	return f
}

// pendingHosts reads PendingHints: a list of PendingHintsInfo.asMap maps.
func pendingHosts(r *node.JolokiaResponse) ([]string, error) {
	l, err := jolokiaList(r, "PendingHints")
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, x := range l {
		m, _ := x.(map[string]any)
		if id, _ := m["host_id"].(string); id != "" {
			out = append(out, id)
		}
	}
	return out, nil
}

// currentStreams reads CurrentStreams: StreamStateCompositeData items.
func currentStreams(r *node.JolokiaResponse) ([]health.Stream, error) {
	l, err := jolokiaList(r, "CurrentStreams")
	if err != nil {
		return nil, err
	}
	out := []health.Stream{}
	for _, x := range l {
		m, _ := x.(map[string]any)
		id, _ := m["planId"].(string)
		d, _ := m["description"].(string)
		out = append(out, health.Stream{PlanID: id, Operation: d})
	}
	return out, nil
}

// clusterView is what the last cluster refresh gathered.
type clusterView struct {
	snap  *node.Snapshot
	peers []health.PeerStatus
	at    time.Time
}

// routeCache keeps routing answers until the inputs change (a new
// snapshot or cluster view, each at most once a refresh interval), so
// that routers polling one question cost a map look-up, and a ring of
// 1,000 nodes is judged once per refresh, not once per poll.
type routeCache struct {
	mu      sync.Mutex
	snap    *node.Snapshot
	view    *clusterView
	answers map[health.RoutingQuery]routeAnswer
}

type routeAnswer struct {
	rep api.Report
	err error
}

// maxCachedRoutes bounds the answers kept (valid questions only: a DC
// times three levels times the keyspaces).
const maxCachedRoutes = 256

// Query implements api.Querier: the routing health of one DC.
func (s *Sidecar) Query(name string, q url.Values) (api.Report, bool, error) {
	if name != "cluster" {
		return api.Report{}, false, &api.ParamError{Msg: "the " + name + " check takes no query parameters"}
	}
	rq, err := health.ParseRoutingQuery(q)
	if err != nil {
		return api.Report{}, false, paramError(err)
	}
	s.wantCluster()
	view := s.view.Load()
	if view == nil {
		// First request: wait (bounded by the peer timeout) for a view.
		s.refreshCluster(context.Background())
		if view = s.view.Load(); view == nil {
			return api.Report{}, false, nil
		}
	}
	snap := s.last.Load()
	if snap == nil {
		return api.Report{}, false, nil
	}
	c := &s.routes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != snap || c.view != view || len(c.answers) >= maxCachedRoutes {
		c.snap, c.view, c.answers = snap, view, map[health.RoutingQuery]routeAnswer{}
	}
	if a, ok := c.answers[rq]; ok {
		return a.rep, a.err == nil, a.err
	}
	self := health.NodeFacts{HintsError: "not read yet", StreamsError: "not read yet"}
	if f := s.facts.Load(); f != nil {
		self = *f
	}
	rep, healthy, err := health.Routing(health.RoutingInput{
		Snapshot: snap, Peers: view.peers, Self: self, History: s.outages.History(),
		MinUptime: s.cfg.Health.RouteBackMinUptime, MaxAge: s.cfg.Health.MaxAge, Now: time.Now(),
	}, rq)
	if err != nil {
		// Unknown DC or keyspace: not cached, or arbitrary names would fill the cache.
		return api.Report{}, false, paramError(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return api.Report{}, false, err
	}
	r := api.NewReport(b, healthy, snap.Taken)
	c.answers[rq] = routeAnswer{rep: r}
	return r, true, nil
}

func paramError(err error) error {
	var qe *health.QueryError
	if !errors.As(err, &qe) {
		return err
	}
	pe := &api.ParamError{Param: qe.Param, Msg: qe.Msg}
	if qe.KnownField != "" {
		pe.Extra = map[string]any{qe.KnownField: qe.Known}
	}
	return pe
}

// wantCluster notes that someone asks for the cluster view, which keeps
// it refreshed for a while.
func (s *Sidecar) wantCluster() {
	prev := s.clusterWanted.Swap(time.Now().UnixNano())
	if time.Since(time.Unix(0, prev)) > s.cfg.Health.RefreshInterval {
		select {
		case s.clusterKick <- struct{}{}:
		default:
		}
	}
}

// jolokiaList decodes an attribute that is a list (null: empty).
func jolokiaList(r *node.JolokiaResponse, attr string) ([]any, error) {
	if err := r.Err(); err != nil {
		return nil, err
	}
	v, err := r.Decode()
	if err != nil {
		return nil, err
	}
	l, ok := v.([]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("%s is %T, not a list", attr, v)
	}
	return l, nil
}
