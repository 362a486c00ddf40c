package health

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// Per-DC routing health: GET /v1/health/cluster?dc=<dc>&cl=<CL>[&keyspace=<ks>]
// answers whether one DC can serve a DC-local consistency level for every
// token range of its user keyspaces (200) or not (503), for routers
// (HAProxy, Envoy, Zuul) that send an application's traffic to the DC
// that can serve it; and, additively, safe_to_route_back: whether a DC
// that was failed away from has healed enough to take traffic again.
// Seed 002's rules for that: the DC was down for less than the hint
// window and has been back long enough for the hints to be delivered;
// here the hints are checked rather than waited for, and a DC still
// rebuilding (which answers with missing data) is not healed either.

// RoutingLevels are the levels a routing query may ask about: those judged
// in one DC alone. The others involve replicas of other DCs (ONE, QUORUM,
// EACH_QUORUM, ALL, SERIAL…), so "can this DC serve it" has no answer.
var RoutingLevels = []ring.ConsistencyLevel{ring.LocalOne, ring.LocalQuorum, ring.LocalSerial}

// RoutingParams are the query parameters of the routing variant.
var RoutingParams = []string{"dc", "cl", "keyspace"}

// RoutingQuery is one routing question.
type RoutingQuery struct {
	DC       string
	CL       ring.ConsistencyLevel
	Keyspace string // "": every user keyspace replicated in DC
}

// QueryError refuses a query: Param names the parameter at fault; Known,
// when set, lists what it may be (under the answer's field KnownField).
type QueryError struct {
	Param      string
	Msg        string
	KnownField string
	Known      []string
}

func (e *QueryError) Error() string { return e.Msg }

// ParseRoutingQuery checks the parameters' shape: only dc, cl and
// keyspace, each at most once, dc and cl required, cl a DC-local level.
// Whether dc and keyspace exist is for Routing, which has the ring.
func ParseRoutingQuery(q url.Values) (RoutingQuery, error) {
	var rq RoutingQuery
	var unknown []string
	for k := range q {
		if !contains(RoutingParams, k) {
			unknown = append(unknown, strconv.Quote(clipText(k)))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return rq, &QueryError{Param: strings.Trim(unknown[0], `"`), Msg: fmt.Sprintf("unknown query parameter %s: use dc, cl and keyspace", strings.Join(unknown, ", "))}
	}
	for _, k := range RoutingParams {
		if len(q[k]) > 1 {
			return rq, &QueryError{Param: k, Msg: fmt.Sprintf("%s is given %d times: give it once", k, len(q[k]))}
		}
	}
	one := func(k string) (string, bool) {
		v, ok := q[k]
		if !ok {
			return "", false
		}
		return v[0], true
	}
	levels := make([]string, len(RoutingLevels))
	for i, cl := range RoutingLevels {
		levels[i] = cl.String()
	}
	dc, ok := one("dc")
	switch {
	case !ok:
		return rq, &QueryError{Param: "dc", Msg: "dc is required with cl and keyspace: the data center whose routing health is asked (GET /v1/health/cluster without parameters is the whole cluster's view)"}
	case dc == "":
		return rq, &QueryError{Param: "dc", Msg: "dc is empty: name a data center"}
	}
	rq.DC = dc
	cl, ok := one("cl")
	if !ok || cl == "" {
		return rq, &QueryError{Param: "cl", Msg: "cl is required: the consistency level the application uses in " + clipText(dc) + ", one of " + strings.Join(levels, ", "), KnownField: "consistency_levels", Known: levels}
	}
	lv, err := ring.ParseConsistencyLevel(cl)
	if err != nil {
		return rq, &QueryError{Param: "cl", Msg: fmt.Sprintf("cl=%q is not a consistency level: use one of %s", clipText(cl), strings.Join(levels, ", ")), KnownField: "consistency_levels", Known: levels}
	}
	if !contains(RoutingLevels, lv) {
		return rq, &QueryError{Param: "cl", Msg: fmt.Sprintf("cl=%s is not judged in one data center (it may involve replicas of others): use one of %s", lv, strings.Join(levels, ", ")), KnownField: "consistency_levels", Known: levels}
	}
	rq.CL = lv
	if ks, ok := one("keyspace"); ok {
		if ks == "" {
			return rq, &QueryError{Param: "keyspace", Msg: "keyspace is empty: name a keyspace, or leave the parameter out for every user keyspace"}
		}
		rq.Keyspace = ks
	}
	return rq, nil
}

// NodeFacts are what a node's own sidecar reads for the routing answer,
// beyond its snapshot; they travel in its coordinator report (AddNodeFacts).
type NodeFacts struct {
	// Hints are the node's hint counters (nil: not read, see HintsError).
	Hints *node.HintCounts
	// PendingHints are the host ids HintsService's PendingHints lists:
	// targets with hint files queued for dispatch (only targets seen up).
	PendingHints []string
	HintsError   string
	// Streams are StreamManager's CurrentStreams (nil: not read).
	Streams      []Stream
	StreamsError string
	// StreamsNotServed: the node's JMX has no StreamManager MBean (the
	// simulator); the rebuild check then relies on the operation mode.
	StreamsNotServed bool
}

// Stream is one stream plan in progress (StreamState: planId, and its
// StreamOperation's description: "Rebuild", "Bootstrap", "Repair" …).
type Stream struct {
	PlanID    string `json:"plan_id"`
	Operation string `json:"operation"`
}

// AddNodeFacts puts f into a coordinator report: hints (created,
// delivered, not_stored per target endpoint, pending_hosts) or
// hints_error; streams or streams_error (and streams_not_served).
func AddNodeFacts(rep map[string]any, f NodeFacts) {
	if f.Hints != nil {
		pend := f.PendingHints
		if pend == nil {
			pend = []string{}
		}
		rep["hints"] = map[string]any{"created": orEmpty(f.Hints.Created), "delivered": orEmpty(f.Hints.Delivered),
			"not_stored": orEmpty(f.Hints.NotStored), "pending_hosts": pend}
	} else if f.HintsError != "" {
		rep["hints_error"] = f.HintsError
	}
	switch {
	case f.Streams != nil:
		rep["streams"] = f.Streams
	case f.StreamsError != "":
		rep["streams_error"] = f.StreamsError
		if f.StreamsNotServed {
			rep["streams_not_served"] = true
		}
	}
}

func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// factsFromReport reads AddNodeFacts' fields back from a decoded report.
func factsFromReport(rep map[string]any) NodeFacts {
	var f NodeFacts
	if h, ok := rep["hints"].(map[string]any); ok {
		f.Hints = &node.HintCounts{Created: counts(h["created"]), Delivered: counts(h["delivered"]), NotStored: counts(h["not_stored"])}
		f.PendingHints = stringList(h["pending_hosts"])
	} else if e, ok := rep["hints_error"].(string); ok {
		f.HintsError = e
	} else {
		f.HintsError = "the report has no hint counters (a sidecar without them, or not answering)"
	}
	if l, ok := rep["streams"].([]any); ok {
		f.Streams = []Stream{}
		for _, x := range l {
			m, _ := x.(map[string]any)
			pid, _ := m["plan_id"].(string)
			op, _ := m["operation"].(string)
			f.Streams = append(f.Streams, Stream{PlanID: pid, Operation: op})
		}
	} else if e, ok := rep["streams_error"].(string); ok {
		f.StreamsError = e
		f.StreamsNotServed, _ = rep["streams_not_served"].(bool)
	} else {
		f.StreamsError = "the report has no streams"
	}
	return f
}

func counts(v any) map[string]int64 {
	out := map[string]int64{}
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			switch n := x.(type) {
			case float64:
				out[k] = int64(n)
			case int64:
				out[k] = n
			}
		}
	case map[string]int64:
		for k, n := range m {
			out[k] = n
		}
	}
	return out
}

// RoutingInput is everything the routing answer is judged on.
type RoutingInput struct {
	// Snapshot is this node's: its ring, keyspaces, settings and gossip.
	Snapshot *node.Snapshot
	// Peers are the peer sidecars' coordinator reports, as the cluster
	// view gathered them (their operation modes, hints and streams).
	Peers []PeerStatus
	// Self are this node's own facts.
	Self NodeFacts
	// History is this node's record of outages.
	History History
	// MinUptime: every node of the DC seen up at least this long
	// (health.route_back_min_uptime; 0: no minimum).
	MinUptime time.Duration
	// MaxAge: a snapshot older than this is stale (0: DefaultMaxAge).
	MaxAge time.Duration
	Now    time.Time
}

// maxExamples bounds the lost ranges shown per keyspace, and maxListed
// the hint and node entries listed per check.
const (
	maxExamples = 3
	maxListed   = 20
)

// Routing answers q from in: the report, whether the DC can serve the
// level everywhere (200/503), and a *QueryError for a DC or keyspace the
// ring does not have. Fields: datacenter, consistency_level, keyspace
// (when asked), available, unavailable_ranges, keyspaces (per keyspace:
// status, ranges, unavailable_ranges, lost_ranges, by_design_ranges,
// replication, examples of lost ranges with their replicas and those
// down), nodes (the DC's, with up, up_since, operation_mode),
// safe_to_route_back, route_back_reasons, route_back_checks (uptime,
// hint_window, hints, topology: each with ok and its figures), reasons
// (why not available), observed_from, as_of, data_age_seconds, errors.
func Routing(in RoutingInput, q RoutingQuery) (map[string]any, bool, error) {
	s := in.Snapshot
	maxAge := in.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	minUp := max(in.MinUptime, 0)
	now := in.Now

	// The DCs and nodes known: this node, system.peers_v2, and sidecars
	// that answered.
	type member struct {
		endpoint, dc, rack, hostID string
		tokens                     bool
		self                       bool
		status                     *PeerStatus
	}
	var members []*member
	byEP := map[string]*member{}
	add := func(m *member) *member {
		if m.endpoint == "" {
			return nil
		}
		if old := lookupNode(byEP, m.endpoint); old != nil {
			return old
		}
		members = append(members, m)
		byEP[m.endpoint] = m
		return m
	}
	add(&member{endpoint: s.Endpoint, dc: s.DC, rack: s.Rack, hostID: s.HostID, tokens: len(s.Tokens) > 0, self: true})
	for _, p := range s.Peers {
		add(&member{endpoint: p.Endpoint, dc: p.DC, rack: p.Rack, hostID: p.HostID, tokens: len(p.Tokens) > 0})
	}
	for i := range in.Peers {
		p := &in.Peers[i]
		if m := add(&member{endpoint: p.Endpoint, dc: p.DC, rack: p.Rack}); m != nil && !m.self {
			m.status = p
		}
	}
	dcSet := map[string]bool{}
	for _, m := range members {
		if m.dc != "" {
			dcSet[m.dc] = true
		}
	}
	dcs := sortedKeys(dcSet)
	if !dcSet[q.DC] {
		msg := fmt.Sprintf("dc=%q is not a data center of this cluster", clipText(q.DC))
		if len(dcs) == 0 {
			msg += " (this node knows none yet: is its Cassandra running?)"
		} else {
			msg += "; known: " + strings.Join(dcs, ", ")
		}
		return nil, false, &QueryError{Param: "dc", Msg: msg, KnownField: "datacenters", Known: dcs}
	}

	rep := map[string]any{"datacenter": q.DC, "consistency_level": q.CL.String()}
	if q.Keyspace != "" {
		rep["keyspace"] = q.Keyspace
	}
	if s.Endpoint != "" {
		rep["observed_from"] = s.Endpoint
	}
	var reasons, errs []string
	errs = append(errs, s.Errors...)
	fresh, staleWhy := addAge(rep, s.Taken, now, maxAge)
	if !fresh {
		reasons = append(reasons, "this node's view: "+staleWhy)
	}
	viewOK := snapshotHasView(s)
	if !viewOK {
		reasons = append(reasons, "this node has no gossip view of the cluster (its Cassandra is not running or not answering): ask the sidecar of a node that is up")
	}
	live, unreachable := nameSet(s.LiveEndpoints), nameSet(s.UnreachableEndpoints)
	isDown := func(ep string) bool { return !viewOK || unreachable.has(ep) || !live.has(ep) }

	// Availability.
	v, err := newRingView(s)
	available := viewOK && fresh
	totalUnavailable := 0
	kss := map[string]any{}
	if err != nil {
		available = false
		reasons = append(reasons, "availability unknown: "+err.Error())
	} else {
		errs = append(errs, v.notes...)
		var chosen []ring.Keyspace
		if q.Keyspace != "" {
			r, ok := v.repl[q.Keyspace]
			if !ok {
				return nil, false, keyspaceError(s, v, q)
			}
			if r.Strategy == ring.NetworkTopologyStrategy && r.RFIn(q.DC).All == 0 {
				return nil, false, &QueryError{Param: "keyspace", Msg: fmt.Sprintf("keyspace %s is not replicated in %s (replication %s)", q.Keyspace, q.DC, r), KnownField: "keyspaces", Known: replicatedIn(v, q.DC)}
			}
			chosen = []ring.Keyspace{{Name: q.Keyspace, Replication: r}}
		} else {
			for _, k := range v.keyspaces {
				if isSystemKeyspace(k.Name) {
					continue
				}
				if k.Replication.Strategy == ring.NetworkTopologyStrategy && k.Replication.RFIn(q.DC).All == 0 {
					continue
				}
				chosen = append(chosen, k)
			}
		}
		var down []int
		for i, e := range v.topo.Endpoints() {
			if isDown(e.Name) {
				down = append(down, i)
			}
		}
		res, err := dcAvailability(v, chosen, q.DC, q.CL, down)
		if err != nil {
			available = false
			reasons = append(reasons, "availability unknown: "+err.Error())
		}
		for _, k := range chosen {
			r, ok := res[k.Name]
			if !ok {
				continue
			}
			e := map[string]any{"status": r.status, "ranges": r.ranges, "unavailable_ranges": r.lost + r.byDesign, "replication": k.Replication.String()}
			if r.lost > 0 {
				e["lost_ranges"] = r.lost
			}
			if r.byDesign > 0 {
				e["by_design_ranges"] = r.byDesign
			}
			if len(r.examples) > 0 {
				e["examples"] = r.examples
			}
			totalUnavailable += r.lost + r.byDesign
			switch r.status {
			case statusUnavailable:
				available = false
				msg := fmt.Sprintf("%s cannot be served at %s in %s: %d of %d token ranges lost", k.Name, q.CL, q.DC, r.lost, r.ranges)
				if len(r.examples) > 0 {
					ex := r.examples[0]
					msg += fmt.Sprintf(" (e.g. %s: %d of %d replicas in %s alive, %d required; down: %s)", ex["range"], ex["alive"], ex["replicas_in_dc"], q.DC, ex["required"], strings.Join(ex["down"].([]string), ", "))
				}
				reasons = append(reasons, msg)
			case statusByDesign:
				available = false
				reasons = append(reasons, fmt.Sprintf("%s cannot be served at %s in %s even with every node up (%d of %d token ranges; replication %s)", k.Name, q.CL, q.DC, r.byDesign, r.ranges, k.Replication))
			}
			kss[k.Name] = e
		}
	}
	rep["keyspaces"] = kss
	rep["unavailable_ranges"] = totalUnavailable

	// The DC's nodes.
	var dcMembers []*member
	for _, m := range sortNodes(members, func(m *member) (string, string) { return m.dc, m.endpoint }) {
		if m.dc == q.DC {
			dcMembers = append(dcMembers, m)
		}
	}
	nodes := []map[string]any{}
	upCount := 0
	for _, m := range dcMembers {
		up := !isDown(m.endpoint)
		if up {
			upCount++
		}
		e := map[string]any{"endpoint": m.endpoint, "rack": m.rack, "up": up}
		if h, ok := lookupHistory(in.History, m.endpoint); ok {
			if up && !h.UpSince.IsZero() {
				e["up_since"] = h.UpSince.UTC().Format(timeFormat)
			}
			if h.Down && !h.DownSince.IsZero() {
				e["down_since"] = h.DownSince.UTC().Format(timeFormat)
			}
		}
		if mode := memberMode(m.self, s, m.status); mode != "" {
			e["operation_mode"] = mode
		}
		nodes = append(nodes, e)
	}
	rep["nodes"] = nodes
	if upCount == 0 {
		available = false
		reasons = append(reasons, fmt.Sprintf("no node of %s is up", q.DC))
	}
	rep["available"] = available

	// Safe to route back?
	var why []string
	checks := map[string]any{}

	// 1. Up long enough.
	upCheck := map[string]any{"min_uptime_seconds": minUp.Seconds()}
	upOK := viewOK && !in.History.Since.IsZero() && !in.History.Blind
	if !in.History.Since.IsZero() {
		upCheck["observed_since"] = in.History.Since.UTC().Format(timeFormat)
	}
	if !upOK {
		why = append(why, "this node has no continuous view of the cluster to time the DC's uptime on")
	}
	var least time.Duration = -1
	leastNode := ""
	for _, m := range dcMembers {
		if isDown(m.endpoint) {
			upOK = false
			msg := fmt.Sprintf("%s (%s) is down", m.endpoint, q.DC)
			if h, ok := lookupHistory(in.History, m.endpoint); ok && h.Down && !h.DownSince.IsZero() {
				msg += fmt.Sprintf(" (for %s)", roundDur(now.Sub(h.DownSince)))
			}
			why = append(why, msg)
			continue
		}
		since := in.History.Since
		if h, ok := lookupHistory(in.History, m.endpoint); ok && h.UpSince.After(since) {
			since = h.UpSince
		}
		if since.IsZero() {
			continue
		}
		up := now.Sub(since)
		if least < 0 || up < least {
			least, leastNode = up, m.endpoint
		}
	}
	if least >= 0 {
		upCheck["least_uptime_seconds"] = roundSec(least)
		upCheck["least_uptime_node"] = leastNode
		if least < minUp {
			upOK = false
			why = append(why, fmt.Sprintf("%s has been up for %s only (seen by %s), less than the minimum %s (health.route_back_min_uptime)", leastNode, roundDur(least), s.Endpoint, minUp))
		}
	}
	upCheck["ok"] = upOK
	checks["uptime"] = upCheck

	// Facts of every node: this one's and what its peers' reports carry.
	facts := map[string]NodeFacts{}
	for _, m := range members {
		switch {
		case m.self:
			facts[m.endpoint] = in.Self
		case m.status == nil:
			facts[m.endpoint] = NodeFacts{HintsError: "its sidecar was not asked", StreamsError: "its sidecar was not asked"}
		case !m.status.Reachable:
			e := m.status.Error
			if e == "" {
				e = "no answer"
			}
			facts[m.endpoint] = NodeFacts{HintsError: "its sidecar is unreachable: " + e, StreamsError: "its sidecar is unreachable: " + e}
		default:
			facts[m.endpoint] = factsFromReport(m.status.Report)
		}
	}
	hostOfID := map[string]string{}
	for _, m := range members {
		if m.hostID != "" {
			hostOfID[m.hostID] = m.endpoint
		}
	}
	inDC := func(ep string) *member {
		if m := lookupNode(byEP, ep); m != nil && m.dc == q.DC {
			return m
		}
		return nil
	}

	// 2. Down for less than the hint window.
	hw := map[string]any{}
	window, werr := maxHintWindow(s.Settings)
	hwOK := true
	if werr != nil {
		hwOK = false
		hw["max_hint_window_seconds"] = nil
		why = append(why, "max_hint_window unknown: "+werr.Error())
	} else {
		hw["max_hint_window_seconds"] = window.Seconds()
	}
	var longest time.Duration
	longNode := ""
	for _, m := range dcMembers {
		h, ok := lookupHistory(in.History, m.endpoint)
		if !ok {
			continue
		}
		d := h.Longest
		if h.Down && !h.DownSince.IsZero() && now.Sub(h.DownSince) > d {
			d = now.Sub(h.DownSince)
		}
		if d > longest {
			longest, longNode = d, m.endpoint
		}
		if werr == nil && d > window {
			hwOK = false
			if h.Down {
				why = append(why, fmt.Sprintf("%s has been down for %s, longer than max_hint_window %s: writes it misses are no longer hinted; run a repair (nodetool repair) once it is back", m.endpoint, roundDur(d), window))
			} else {
				why = append(why, fmt.Sprintf("%s was down for %s (%s to %s), longer than max_hint_window %s: it missed writes that were not hinted; run a repair (nodetool repair) on it, then route back by hand", m.endpoint, roundDur(d), h.LongFrom.UTC().Format(timeFormat), h.LongTo.UTC().Format(timeFormat), window))
			}
		}
	}
	hw["longest_outage_seconds"] = roundSec(longest)
	if longNode != "" {
		hw["longest_outage_node"] = longNode
	}
	notStored := []map[string]any{}
	for _, p := range members {
		f := facts[p.endpoint]
		if f.Hints == nil {
			continue
		}
		for _, t := range sortedKeys(f.Hints.NotStored) {
			n := f.Hints.NotStored[t]
			if n <= 0 || inDC(t) == nil {
				continue
			}
			hwOK = false
			notStored = append(notStored, map[string]any{"holder": p.endpoint, "target": t, "hints_not_stored": n})
			why = append(why, fmt.Sprintf("%s did not store %d hint(s) for %s because it was down past max_hint_window (Hints_not_stored): it missed those writes; run a repair (nodetool repair) on it, then route back by hand", p.endpoint, n, t))
		}
	}
	if len(notStored) > 0 {
		hw["not_stored"] = capList(notStored)
	}
	hw["ok"] = hwOK
	checks["hint_window"] = hw

	// 3. Every hint written for the DC's nodes delivered.
	hintsOK := true
	undelivered := []map[string]any{}
	unknownHints := []map[string]any{}
	for _, p := range sortNodes(members, func(m *member) (string, string) { return m.dc, m.endpoint }) {
		f := facts[p.endpoint]
		if f.Hints == nil {
			hintsOK = false
			unknownHints = append(unknownHints, map[string]any{"node": p.endpoint, "why": f.HintsError})
			why = append(why, fmt.Sprintf("the hints %s holds for %s are unknown: %s", p.endpoint, q.DC, f.HintsError))
			continue
		}
		pending := map[string]bool{}
		for _, id := range f.PendingHints {
			if ep, ok := hostOfID[id]; ok {
				pending[ep] = true
			}
		}
		targets := map[string]bool{}
		for t := range f.Hints.Created {
			targets[t] = true
		}
		for t := range pending {
			targets[t] = true
		}
		for _, t := range sortEndpoints(sortedKeys(targets)) {
			m := inDC(t)
			if m == nil {
				continue
			}
			c, d := f.Hints.Created[t], f.Hints.Delivered[t]
			if c <= d && !pending[m.endpoint] {
				continue
			}
			hintsOK = false
			e := map[string]any{"holder": p.endpoint, "target": m.endpoint, "created": c, "delivered": d}
			msg := fmt.Sprintf("%s still holds hints for %s", p.endpoint, m.endpoint)
			if c > d {
				e["undelivered"] = c - d
				msg += fmt.Sprintf(": %d written, %d delivered (Hints_created, Hint_delays)", c, d)
			}
			if pending[m.endpoint] {
				e["pending_files"] = true
				msg += "; hint files queued for it (PendingHints)"
			}
			undelivered = append(undelivered, e)
			why = append(why, msg)
		}
	}
	hc := map[string]any{"ok": hintsOK, "undelivered": capList(undelivered)}
	if len(unknownHints) > 0 {
		hc["unknown"] = capList(unknownHints)
	}
	checks["hints"] = hc

	// 4. No node of the DC joining, leaving, moving or rebuilding.
	topoOK := true
	changing := []map[string]any{}
	unknownTopo := []map[string]any{}
	for _, m := range dcMembers {
		if !m.tokens {
			topoOK = false
			changing = append(changing, map[string]any{"node": m.endpoint, "why": "owns no tokens yet (joining)"})
			why = append(why, fmt.Sprintf("%s owns no tokens yet (joining)", m.endpoint))
		}
		mode := memberMode(m.self, s, m.status)
		switch {
		case mode == "":
			if !isDown(m.endpoint) {
				topoOK = false
				unknownTopo = append(unknownTopo, map[string]any{"node": m.endpoint, "why": "its operation mode is unknown (its sidecar did not answer)"})
				why = append(why, fmt.Sprintf("the operation mode of %s is unknown (its sidecar did not answer)", m.endpoint))
			}
		case mode != "NORMAL":
			topoOK = false
			changing = append(changing, map[string]any{"node": m.endpoint, "why": "operation mode " + mode})
			why = append(why, fmt.Sprintf("%s is in operation mode %s", m.endpoint, mode))
		}
		f := facts[m.endpoint]
		for _, st := range f.Streams {
			if st.Operation == "Rebuild" || st.Operation == "Bootstrap" {
				topoOK = false
				changing = append(changing, map[string]any{"node": m.endpoint, "why": st.Operation + " stream " + st.PlanID + " in progress"})
				why = append(why, fmt.Sprintf("%s is streaming (%s %s): until it ends it answers with missing data", m.endpoint, st.Operation, st.PlanID))
			}
		}
		if f.Streams == nil && !f.StreamsNotServed && !isDown(m.endpoint) {
			topoOK = false
			unknownTopo = append(unknownTopo, map[string]any{"node": m.endpoint, "why": "its streams are unknown: " + f.StreamsError})
			why = append(why, fmt.Sprintf("whether %s is rebuilding is unknown: %s", m.endpoint, f.StreamsError))
		}
	}
	tc := map[string]any{"ok": topoOK, "changing": capList(changing)}
	if len(unknownTopo) > 0 {
		tc["unknown"] = capList(unknownTopo)
	}
	checks["topology"] = tc

	if !available {
		why = append([]string{fmt.Sprintf("%s cannot serve %s now", q.DC, q.CL)}, why...)
	}
	safe := available && upOK && hwOK && hintsOK && topoOK
	rep["safe_to_route_back"] = safe
	if why == nil {
		why = []string{}
	}
	rep["route_back_reasons"] = why
	rep["route_back_checks"] = checks
	if len(reasons) > 0 {
		rep["reasons"] = reasons
	}
	if len(errs) > 0 {
		rep["errors"] = errs
	}
	return rep, available, nil
}

// timeFormat is the reports' timestamp format.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func memberMode(self bool, s *node.Snapshot, st *PeerStatus) string {
	if self {
		return s.OperationMode
	}
	if st == nil || !st.Reachable {
		return ""
	}
	m, _ := st.Report["operation_mode"].(string)
	return m
}

func lookupHistory(h History, ep string) (EndpointHistory, bool) {
	if e, ok := h.Endpoints[ep]; ok {
		return e, true
	}
	m := map[string]*EndpointHistory{}
	for k := range h.Endpoints {
		e := h.Endpoints[k]
		m[k] = &e
	}
	if e := lookupNode(m, ep); e != nil {
		return *e, true
	}
	return EndpointHistory{}, false
}

func keyspaceError(s *node.Snapshot, v *ringView, q RoutingQuery) error {
	for _, k := range s.Keyspaces {
		if k.Name == q.Keyspace {
			return &QueryError{Param: "keyspace", Msg: fmt.Sprintf("keyspace %s uses LocalStrategy: every node serves it itself, it has no token ranges to route by", q.Keyspace), KnownField: "keyspaces", Known: replicatedIn(v, q.DC)}
		}
	}
	known := replicatedIn(v, q.DC)
	return &QueryError{Param: "keyspace", Msg: fmt.Sprintf("keyspace %q is not in the cluster's schema; replicated in %s: %s", clipText(q.Keyspace), q.DC, strings.Join(known, ", ")), KnownField: "keyspaces", Known: known}
}

// replicatedIn lists the keyspaces (system ones included) with replicas in dc.
func replicatedIn(v *ringView, dc string) []string {
	out := []string{}
	for _, k := range v.keyspaces {
		if k.Replication.Strategy != ring.NetworkTopologyStrategy || k.Replication.RFIn(dc).All > 0 {
			out = append(out, k.Name)
		}
	}
	return out
}

type dcResult struct {
	status                 string
	lost, byDesign, ranges int
	examples               []map[string]any
}

// dcAvailability judges each keyspace at cl for a coordinator in dc with
// the given endpoints down: lost ranges (servable with every node up) and
// by-design ones, with a few lost ranges and their replicas in dc.
func dcAvailability(v *ringView, kss []ring.Keyspace, dc string, cl ring.ConsistencyLevel, down []int) (map[string]dcResult, error) {
	out := map[string]dcResult{}
	if len(kss) == 0 {
		return out, nil
	}
	base, err := v.topo.NewAvailability(kss, dc, nil)
	if err != nil {
		return nil, err
	}
	cur := base.Clone()
	for _, d := range down {
		if _, err := cur.SetDown(d, true); err != nil {
			return nil, err
		}
	}
	eps := v.topo.Endpoints()
	for _, k := range kss {
		r := dcResult{ranges: v.topo.NumRanges()}
		nb, err := base.UnavailableCount(k.Name, cl)
		if err != nil {
			return nil, err
		}
		nc, err := cur.UnavailableCount(k.Name, cl)
		if err != nil {
			return nil, err
		}
		r.byDesign, r.lost = nb, nc-nb
		switch {
		case r.lost > 0:
			r.status = statusUnavailable
		case nb > 0:
			r.status = statusByDesign
		default:
			r.status = statusAvailable
		}
		if r.lost > 0 {
			urs, err := cur.Unavailable(k.Name, cl)
			if err != nil {
				return nil, err
			}
			rm, err := v.topo.ReplicaMap(k.Replication)
			if err != nil {
				return nil, err
			}
			for i := range urs {
				if len(r.examples) == maxExamples {
					break
				}
				u := &urs[i]
				if o, err := base.CheckToken(k.Name, cl, u.Range.End); err != nil || !o.OK {
					continue // unservable by design, not lost
				}
				reps, dn := []string{}, []string{}
				for _, e := range rm.ForToken(u.Range.End) {
					if eps[e].DC != dc {
						continue
					}
					reps = append(reps, eps[e].Name)
					if cur.IsDown(e) {
						dn = append(dn, eps[e].Name)
					}
				}
				ex := map[string]any{"range": rangeText(u), "replicas": reps, "down": dn, "replicas_in_dc": u.Replicas, "alive": u.Alive, "required": u.Required}
				if u.Range.IsFullRing() {
					ex["whole_ring"] = true
				}
				r.examples = append(r.examples, ex)
			}
		}
		out[k.Name] = r
	}
	return out, nil
}

// maxHintWindow is max_hint_window from system_views.settings: "3h" as
// 4.1 writes it, or max_hint_window_in_ms (the pre-4.1 name) in ms.
func maxHintWindow(st map[string]string) (time.Duration, error) {
	if v, ok := st["max_hint_window"]; ok {
		if q, ok := parseSpec(strings.TrimSpace(v)); ok && q.kind == kindDuration {
			ns, _ := q.value.Float64()
			return time.Duration(ns), nil
		}
		if f, ok := parseNumber(v); ok {
			return time.Duration(f * float64(time.Millisecond)), nil
		}
		return 0, fmt.Errorf("system_views.settings max_hint_window is %q", clipText(v))
	}
	if v, ok := st["max_hint_window_in_ms"]; ok {
		if f, ok := parseNumber(v); ok {
			return time.Duration(f * float64(time.Millisecond)), nil
		}
		return 0, fmt.Errorf("system_views.settings max_hint_window_in_ms is %q", clipText(v))
	}
	return 0, fmt.Errorf("system_views.settings has no max_hint_window (settings not read)")
}

func capList(l []map[string]any) []map[string]any {
	if len(l) > maxListed {
		return l[:maxListed]
	}
	return l
}

func roundSec(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func roundDur(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

func contains[T comparable](l []T, x T) bool {
	for _, e := range l {
		if e == x {
			return true
		}
	}
	return false
}

func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
