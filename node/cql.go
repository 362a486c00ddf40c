package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// The CQL statements the adapter runs, all against the local node's own
// system tables (columns as Cassandra 4.1 defines them; see
// testdata/cassandra-4.1.6/system-schema.tsv).
const (
	cqlLocal = "SELECT host_id, broadcast_address, broadcast_port, data_center, rack, tokens, " +
		"release_version, cluster_name, schema_version, rpc_address, rpc_port FROM system.local WHERE key = 'local'"
	cqlPeersV2 = "SELECT peer, peer_port, host_id, data_center, rack, native_address, native_port, " +
		"release_version, tokens FROM %s"
	// system.peers (Cassandra 3.x layout) has no ports: peers use this
	// node's storage and native ports.
	cqlPeers     = "SELECT peer, host_id, data_center, rack, rpc_address, release_version, tokens FROM system.peers"
	cqlKeyspaces = "SELECT keyspace_name, replication FROM system_schema.keyspaces"
	// system_views.settings exists from 4.0.
	cqlSettings = "SELECT name, value FROM system_views.settings"
)

// cqlClient reads the local node's system tables through one long-lived
// gocql session bound to that node alone. A session that lost its
// connection is dropped and rebuilt on the next read.
type cqlClient struct {
	addr       string // host:port
	user, pass string
	timeout    time.Duration
	log        *slog.Logger
	peersV2    string // the peers_v2 table; tests point it elsewhere to force the fallback

	mu   sync.Mutex
	sess *gocql.Session
}

// cqlResult is what one CQL read produced.
type cqlResult struct {
	// answered: the node's native transport answered a request (a row or
	// a server error); false when it could not be reached at all.
	answered bool
	local    bool // system.local was read
	errs     []string

	hostID, endpoint, nativeAddr, dc, rack string
	tokens                                 []string
	release, cluster, schema               string
	storagePort, nativePort                int
	peers                                  []Peer
	keyspaces                              []Keyspace
	settings                               map[string]string
	// gossip is system_views.gossip_info; haveGossip: it was read.
	gossip     []GossipState
	haveGossip bool
}

func (c *cqlClient) session() (*gocql.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil && !c.sess.Closed() {
		return c.sess, nil
	}
	host, portStr, err := net.SplitHostPort(c.addr)
	if err != nil {
		host, portStr = c.addr, "9042"
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("bad CQL address %q: %w", c.addr, err)
	}
	ips, err := net.DefaultResolver.LookupIP(context.Background(), "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}
	allowed := map[string]bool{}
	for _, ip := range ips {
		allowed[ip.String()] = true
	}
	cc := gocql.NewCluster(host)
	cc.Port = port
	cc.Consistency = gocql.LocalOne // local system tables: any level reads the same rows
	cc.Timeout = c.timeout
	cc.ConnectTimeout = c.timeout
	cc.NumConns = 1
	// This node only: the filter keeps every peer out of the ring, the
	// pool and the policy. Keep the initial host lookup on, so that the
	// pooled host carries system.local's host_id. Without it gocql pools
	// the contact point under a random id (Session.init), and the first
	// ring refresh (refreshRing), which a peer's STATUS_CHANGE UP triggers
	// because the peer is not in the ring, removes that host as gone: "no
	// hosts available in the pool" after every peer restart. With the real
	// id a refresh finds the same host and keeps it.
	cc.HostFilter = gocql.HostFilterFunc(func(h *gocql.HostInfo) bool {
		return allowed[h.ConnectAddress().String()]
	})
	cc.Events.DisableTopologyEvents = true
	cc.Events.DisableSchemaEvents = true
	// The adapter reads system_schema itself; the driver need not cache it.
	cc.Metadata.CacheMode = gocql.Disabled
	cc.ReconnectInterval = 2 * time.Second
	cc.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	if c.user != "" {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: c.user, Password: c.pass}
	}
	s, err := cc.CreateSession()
	if err != nil {
		return nil, err
	}
	c.sess = s
	c.log.Debug("cql session opened", "address", c.addr)
	return s, nil
}

// drop closes the session if it is still s (a connection-level failure).
func (c *cqlClient) drop(s *gocql.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == s {
		c.sess.Close()
		c.sess = nil
	}
}

func (c *cqlClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		c.sess.Close()
		c.sess = nil
	}
}

// serverError reports whether err came from the node itself (an error
// response): the node is reachable and the session is fine.
func serverError(err error) bool {
	var re gocql.RequestError
	return errors.As(err, &re)
}

// peersV2Missing: the node has no system.peers_v2 (before 4.0:
// "unconfigured table peers_v2"; "table peers_v2 does not exist" in 4.x
// wording). gocql's own host discovery falls back on the same code.
func peersV2Missing(err error) bool { return tableMissing(err) }

// tableMissing: the node has no such table (an Invalid request error
// "unconfigured table …" or "table … does not exist").
func tableMissing(err error) bool {
	var re gocql.RequestError
	if !errors.As(err, &re) || re.Code() != gocql.ErrCodeInvalid {
		return false
	}
	m := re.Message()
	return strings.Contains(m, "unconfigured table") || strings.Contains(m, "does not exist")
}

func hostPort(host string, port int) string {
	if host == "" {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// read reads system.local, peers, keyspaces and settings, and with
// gossipInfo system_views.gossip_info (nodetool mode only, so that a
// Jolokia-mode adapter runs exactly the queries it always did).
func (c *cqlClient) read(ctx context.Context, gossipInfo bool) *cqlResult {
	r := &cqlResult{}
	fail := func(what string, err error) { r.errs = append(r.errs, fmt.Sprintf("cql: %s: %v", what, err)) }
	s, err := c.session()
	if err != nil {
		fail("connect "+c.addr, err)
		return r
	}
	q := func(stmt string) *gocql.Iter {
		return s.Query(stmt).WithContext(ctx).Consistency(gocql.LocalOne).Iter()
	}
	// after a failed query: drop the session unless the node answered.
	lost := func(err error) bool {
		if serverError(err) {
			r.answered = true
			return false
		}
		if ctx.Err() == nil {
			c.drop(s)
		}
		return true
	}

	var bcast, rpc string
	var bport, rport int
	it := q(cqlLocal)
	ok := it.Scan(&r.hostID, &bcast, &bport, &r.dc, &r.rack, &r.tokens, &r.release, &r.cluster, &r.schema, &rpc, &rport)
	if err := it.Close(); err != nil {
		fail("system.local", err)
		if lost(err) {
			return r
		}
	} else if !ok {
		fail("system.local", errors.New("no row"))
		r.answered = true
	} else {
		r.answered, r.local = true, true
		r.storagePort, r.nativePort = bport, rport
		r.endpoint = hostPort(bcast, bport)
		r.nativeAddr = hostPort(rpc, rport)
	}

	peers, err := c.readPeers(ctx, q, r)
	if err != nil {
		fail("peers", err)
		if lost(err) {
			return r
		}
	}
	r.peers = peers

	it = q(cqlKeyspaces)
	var name string
	var repl map[string]string
	for it.Scan(&name, &repl) {
		r.keyspaces = append(r.keyspaces, Keyspace{Name: name, Replication: repl})
		repl = nil
	}
	if err := it.Close(); err != nil {
		fail("system_schema.keyspaces", err)
		r.keyspaces = nil
		if lost(err) {
			return r
		}
	}

	it = q(cqlSettings)
	settings := scanSettings(it)
	if err := it.Close(); err != nil {
		fail("system_views.settings", err)
		if lost(err) {
			return r
		}
	} else {
		r.settings = settings
	}

	if gossipInfo {
		rows, err := readGossip(ctx, q)
		switch {
		case err == nil:
			r.gossip, r.haveGossip = rows, true
		case tableMissing(err):
			// Cassandra 4.0 has no gossip_info: nodetool tells instead.
			c.log.Debug("no system_views.gossip_info", "err", err)
		default:
			fail("system_views.gossip_info", err)
			lost(err)
		}
	}
	return r
}

// readPeers reads system.peers_v2, or system.peers where peers_v2 does not exist.
func (c *cqlClient) readPeers(ctx context.Context, q func(string) *gocql.Iter, r *cqlResult) ([]Peer, error) {
	table := c.peersV2
	if table == "" {
		table = "system.peers_v2"
	}
	peers := []Peer{}
	it := q(fmt.Sprintf(cqlPeersV2, table))
	var p Peer
	var peer, native string
	var peerPort, nativePort int
	for it.Scan(&peer, &peerPort, &p.HostID, &p.DC, &p.Rack, &native, &nativePort, &p.Release, &p.Tokens) {
		p.Endpoint = hostPort(peer, peerPort)
		p.NativeAddress = hostPort(native, nativePort)
		peers = append(peers, p)
		p = Peer{}
	}
	err := it.Close()
	if err == nil || !peersV2Missing(err) {
		return peers, err
	}
	c.log.Debug("no system.peers_v2, reading system.peers", "err", err)
	storage, nativeP := r.storagePort, r.nativePort
	if storage == 0 {
		storage = 7000
	}
	if nativeP == 0 {
		nativeP = 9042
	}
	peers = []Peer{}
	it = q(cqlPeers)
	for it.Scan(&peer, &p.HostID, &p.DC, &p.Rack, &native, &p.Release, &p.Tokens) {
		p.Endpoint = hostPort(peer, storage)
		p.NativeAddress = hostPort(native, nativeP)
		peers = append(peers, p)
		p = Peer{}
	}
	return peers, it.Close()
}

// scanSettings reads system_views.settings rows (name, value); a null
// value is left out. The caller closes it.
func scanSettings(it *gocql.Iter) map[string]string {
	settings := map[string]string{}
	var name string
	var value *string
	for it.Scan(&name, &value) {
		if value != nil {
			settings[name] = *value
		}
		value = nil
	}
	return settings
}
