// Package store is the one place that knows ringside's own keyspace in
// Cassandra: its tables, and every lightweight transaction on them. The
// cluster's coordination state (desires, per-node progress, leases) lives
// here and nowhere else, so a sidecar replaced by one with an empty data
// directory carries on where the old one stopped (seed 000: one brain,
// serialised by LWT; no primary/backup pair).
//
// Every decision two sidecars could race on is a conditional write at
// SERIAL: desires are created with IF NOT EXISTS, changed with IF version
// = ?, leases are rows with a TTL taken with IF NOT EXISTS and renewed or
// released with IF owner = ?. A CAS whose outcome the coordinator could
// not tell (a write timeout of type CAS, CAS_WRITE_UNKNOWN, no answer) is
// read back at SERIAL before the caller acts on it. SERIAL, not
// LOCAL_SERIAL: the current desire is one row for the whole cluster, and
// LOCAL_SERIAL would let two DCs each commit a different decision on it.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Keyspace is ringside's keyspace.
const Keyspace = "ringside"

// The tables. desires holds every desire by id (its doc is the desire's
// JSON, versioned for compare-and-set); current_desires points at the
// desire each scope (today only "cluster") is working on; leases are
// per-node claims with a TTL.
var tables = []string{
	`CREATE TABLE IF NOT EXISTS ringside.desires (id text PRIMARY KEY, version bigint, doc text)`,
	`CREATE TABLE IF NOT EXISTS ringside.current_desires (scope text PRIMARY KEY, id text)`,
	// Leases and steps share the desire's partition key, so all of a
	// desire's writes land on the same replicas: only those ever hold
	// hints the restart gate must wait for (a partition per lease spread
	// them over the ring and made the benchmark's waves slower).
	`CREATE TABLE IF NOT EXISTS ringside.leases (desire_id text, host_id uuid, owner text, PRIMARY KEY (desire_id, host_id))`,
	`CREATE TABLE IF NOT EXISTS ringside.desire_steps (desire_id text, host_id uuid, step text, PRIMARY KEY (desire_id, host_id))`,
}

// Config says how to reach the cluster.
type Config struct {
	// Hosts are contact points: address or address:port.
	Hosts              []string
	Port               int
	Username, Password string
	Timeout            time.Duration
	// LocalDC, when set, makes the driver prefer its nodes.
	LocalDC string
}

// Store is a session on the whole cluster (not pinned to one node: the
// sidecar's own node is down while it restarts, and its progress must
// still be recorded).
type Store struct {
	s   *gocql.Session
	log *slog.Logger
}

// Open connects. The session discovers the ring from the contact points.
func Open(cfg Config, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Hosts) == 0 {
		return nil, errors.New("store: no contact point")
	}
	hosts := make([]string, 0, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		if h != "" {
			hosts = append(hosts, h)
		}
	}
	cc := gocql.NewCluster(hosts...)
	if cfg.Port != 0 {
		cc.Port = cfg.Port
	}
	cc.Timeout = cfg.Timeout
	if cc.Timeout <= 0 {
		cc.Timeout = 5 * time.Second
	}
	cc.ConnectTimeout = cc.Timeout
	cc.NumConns = 1
	cc.Consistency = gocql.Quorum
	cc.SerialConsistency = gocql.Serial
	cc.ReconnectInterval = time.Second
	// gocql retries nothing without a policy; with one it retries only
	// queries marked idempotent (the SERIAL reads), never a CAS write.
	cc.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}
	var fallback gocql.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	if cfg.LocalDC != "" {
		fallback = gocql.DCAwareRoundRobinPolicy(cfg.LocalDC)
	}
	cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(fallback)
	if cfg.Username != "" {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: cfg.Username, Password: cfg.Password}
	}
	s, err := cc.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Store{s: s, log: log}, nil
}

// Close closes the session.
func (st *Store) Close() { st.s.Close() }

// Replication is the ringside keyspace's replication for a ring with the
// given nodes per DC: NetworkTopologyStrategy, min(3, nodes) per DC.
func Replication(nodesPerDC map[string]int) string {
	dcs := make([]string, 0, len(nodesPerDC))
	for dc := range nodesPerDC {
		dcs = append(dcs, dc)
	}
	sort.Strings(dcs)
	parts := []string{"'class': 'NetworkTopologyStrategy'"}
	for _, dc := range dcs {
		parts = append(parts, fmt.Sprintf("'%s': %d", strings.ReplaceAll(dc, "'", "''"), min(3, nodesPerDC[dc])))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Ensure creates the keyspace (when missing) and the tables. An existing
// keyspace is left as the operator made it.
func (st *Store) Ensure(ctx context.Context, nodesPerDC map[string]int) error {
	stmts := append([]string{"CREATE KEYSPACE IF NOT EXISTS ringside WITH replication = " + Replication(nodesPerDC)}, tables...)
	for _, q := range stmts {
		if err := st.s.Query(q).WithContext(ctx).Consistency(gocql.One).Exec(); err != nil {
			return fmt.Errorf("store: %s: %w", strings.SplitN(q, "(", 2)[0], err)
		}
	}
	return nil
}

// Record is one stored desire.
type Record struct {
	ID      string
	Version int64
	Doc     []byte
}

// ErrUnknownOutcome: a CAS whose outcome could not be read back either.
var ErrUnknownOutcome = errors.New("store: outcome of a conditional write unknown (read back failed)")

// uncertain is a CAS error after which the write may or may not have
// been committed: every error but a coordinator's definite refusal of the
// statement. A write timeout of type CAS and CAS_WRITE_UNKNOWN
// (native_protocol_v5.spec §8) are uncertain by definition; so is a
// connection that died or went silent after the request was sent, since
// the coordinator may have run it.
func uncertain(err error) bool {
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeSyntax, gocql.ErrCodeInvalid, gocql.ErrCodeUnauthorized, gocql.ErrCodeConfig,
			gocql.ErrCodeCredentials, gocql.ErrCodeProtocol, gocql.ErrCodeAlreadyExists:
			return false
		}
		return true
	}
	return !errors.Is(err, gocql.ErrNoConnections) && !errors.Is(err, gocql.ErrSessionClosed)
}

func (st *Store) query(ctx context.Context, q string, args ...any) *gocql.Query {
	return st.s.Query(q, args...).WithContext(ctx).Consistency(gocql.Quorum).SerialConsistency(gocql.Serial)
}

// read is a SERIAL read. It is idempotent, so the driver retries it on
// the next host when a connection dies under it (as the sidecar's own
// node's does in the middle of every restart).
func (st *Store) read(ctx context.Context, q string, args ...any) *gocql.Query {
	return st.query(ctx, q, args...).Consistency(gocql.Serial).Idempotent(true)
}

// quorum is a QUORUM read, idempotent like read.
func (st *Store) quorum(ctx context.Context, q string, args ...any) *gocql.Query {
	return st.query(ctx, q, args...).Idempotent(true)
}

// missing: the keyspace or table does not exist (yet). Cassandra 4.x
// answers Invalid "keyspace ringside does not exist" / "table … does not
// exist" (3.x: "unconfigured table").
func missing(err error) bool {
	var re gocql.RequestError
	if !errors.As(err, &re) || re.Code() != gocql.ErrCodeInvalid {
		return false
	}
	m := re.Message()
	return strings.HasSuffix(m, "does not exist") || strings.HasPrefix(m, "unconfigured table")
}

// reader is a consistency to read at: read (SERIAL) or quorum.
type reader func(ctx context.Context, q string, args ...any) *gocql.Query

// Desire reads a desire at SERIAL (nil when there is none).
func (st *Store) Desire(ctx context.Context, id string) (*Record, error) {
	return st.desireAt(ctx, st.read, id)
}

func (st *Store) desireAt(ctx context.Context, at reader, id string) (*Record, error) {
	var r Record
	var doc string
	err := at(ctx, `SELECT id, version, doc FROM ringside.desires WHERE id = ?`, id).Scan(&r.ID, &r.Version, &doc)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading desire %s: %w", id, err)
	}
	r.Doc = []byte(doc)
	return &r, nil
}

// CurrentID is the desire the scope points at, read at SERIAL ("" for none).
func (st *Store) CurrentID(ctx context.Context, scope string) (string, error) {
	return st.currentIDAt(ctx, st.read, scope)
}

func (st *Store) currentIDAt(ctx context.Context, at reader, scope string) (string, error) {
	var id string
	err := at(ctx, `SELECT id FROM ringside.current_desires WHERE scope = ?`, scope).Scan(&id)
	if errors.Is(err, gocql.ErrNotFound) || missing(err) {
		return "", nil // nothing was ever asked: the keyspace comes with the first desire
	}
	if err != nil {
		return "", fmt.Errorf("store: reading the current desire: %w", err)
	}
	return id, nil
}

// Current is the scope's current desire (nil for none).
func (st *Store) Current(ctx context.Context, scope string) (*Record, error) {
	return st.currentAt(ctx, st.read, scope)
}

// Poll is Current read at QUORUM: what Paxos has committed (its commit
// is written at QUORUM), without a Paxos round of its own. A SERIAL read
// is a full round (prepare and propose, StorageProxy.readWithPaxos), so
// sixty sidecars polling at SERIAL pre-empt the very CAS writes they wait
// for. Poll may miss a write still in progress; that only delays a
// decision, since every decision is a CAS on the version it read.
func (st *Store) Poll(ctx context.Context, scope string) (*Record, error) {
	return st.currentAt(ctx, st.quorum, scope)
}

func (st *Store) currentAt(ctx context.Context, at reader, scope string) (*Record, error) {
	id, err := st.currentIDAt(ctx, at, scope)
	if err != nil || id == "" {
		return nil, err
	}
	return st.desireAt(ctx, at, id)
}

// Create stores doc as desire id and makes it the scope's current desire
// if the scope has none, or if replace approves the one it has (e.g. it
// has ended). It returns the scope's current desire afterwards: id's own
// record when it won, the other one otherwise (and id is deleted).
func (st *Store) Create(ctx context.Context, scope, id string, doc []byte, replace func(*Record) bool) (*Record, bool, error) {
	if _, err := st.cas(ctx, func() (bool, error) {
		return st.query(ctx, `INSERT INTO ringside.desires (id, version, doc) VALUES (?, 1, ?) IF NOT EXISTS`, id, string(doc)).MapScanCAS(map[string]any{})
	}, func() (bool, error) {
		r, err := st.Desire(ctx, id)
		return r != nil && string(r.Doc) == string(doc), err
	}); err != nil {
		return nil, false, err
	}
	mine := &Record{ID: id, Version: 1, Doc: doc}
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := st.Current(ctx, scope)
		if err != nil {
			return nil, false, err
		}
		var won bool
		pointsAtMe := func() (bool, error) {
			got, err := st.CurrentID(ctx, scope)
			return got == id, err
		}
		switch {
		case cur == nil:
			won, err = st.cas(ctx, func() (bool, error) {
				return st.query(ctx, `INSERT INTO ringside.current_desires (scope, id) VALUES (?, ?) IF NOT EXISTS`, scope, id).MapScanCAS(map[string]any{})
			}, pointsAtMe)
		case cur.ID == id:
			return cur, true, nil
		case replace(cur):
			won, err = st.cas(ctx, func() (bool, error) {
				return st.query(ctx, `UPDATE ringside.current_desires SET id = ? WHERE scope = ? IF id = ?`, id, scope, cur.ID).MapScanCAS(map[string]any{})
			}, pointsAtMe)
		default:
			st.deleteOrphan(ctx, id)
			return cur, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if won {
			return mine, true, nil
		}
	}
	return nil, false, errors.New("store: the current desire kept changing; try again")
}

func (st *Store) deleteOrphan(ctx context.Context, id string) {
	if err := st.query(ctx, `DELETE FROM ringside.desires WHERE id = ? IF EXISTS`, id).Exec(); err != nil {
		st.log.Warn("could not delete a desire that lost the race", "id", id, "err", err)
	}
}

// Update replaces desire id's doc if its version is still version. It
// returns whether it applied; an unknown outcome is read back at SERIAL.
func (st *Store) Update(ctx context.Context, id string, version int64, doc []byte) (bool, error) {
	return st.cas(ctx, func() (bool, error) {
		return st.query(ctx, `UPDATE ringside.desires SET version = ?, doc = ? WHERE id = ? IF version = ?`, version+1, string(doc), id, version).MapScanCAS(map[string]any{})
	}, func() (bool, error) {
		r, err := st.Desire(ctx, id)
		return r != nil && r.Version == version+1 && string(r.Doc) == string(doc), err
	})
}

// cas runs a conditional write; when its outcome is unknown it asks
// readBack (a SERIAL read) whether it was applied, retrying the read a
// few times: acting on a guess is what this package exists to prevent.
func (st *Store) cas(ctx context.Context, write func() (bool, error), readBack func() (bool, error)) (bool, error) {
	applied, err := write()
	if err == nil {
		return applied, nil
	}
	if !uncertain(err) {
		return false, fmt.Errorf("store: %w", err)
	}
	st.log.Info("conditional write outcome unknown; reading it back at SERIAL", "err", err)
	for i := 0; i < 5; i++ {
		ok, rerr := readBack()
		if rerr == nil {
			return ok, nil
		}
		select {
		case <-ctx.Done():
			return false, ErrUnknownOutcome
		case <-time.After(time.Duration(100*(i+1)) * time.Millisecond):
		}
	}
	return false, ErrUnknownOutcome
}

// Lease is who holds the lease on a node for a desire ("" for nobody).
func (st *Store) Lease(ctx context.Context, desireID, hostID string) (string, error) {
	hid, err := gocql.ParseUUID(hostID)
	if err != nil {
		return "", fmt.Errorf("store: host id %q: %w", hostID, err)
	}
	var owner string
	err = st.read(ctx, `SELECT owner FROM ringside.leases WHERE desire_id = ? AND host_id = ?`, desireID, hid).Scan(&owner)
	if errors.Is(err, gocql.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: reading lease: %w", err)
	}
	return owner, nil
}

// Acquire takes the lease on hostID for desireID for ttl, or renews it if
// owner holds it already. It returns the holder afterwards.
func (st *Store) Acquire(ctx context.Context, desireID, hostID, owner string, ttl time.Duration) (string, error) {
	hid, err := gocql.ParseUUID(hostID)
	if err != nil {
		return "", fmt.Errorf("store: host id %q: %w", hostID, err)
	}
	secs := ttlSeconds(ttl)
	ok, err := st.cas(ctx, func() (bool, error) {
		return st.query(ctx, `INSERT INTO ringside.leases (desire_id, host_id, owner) VALUES (?, ?, ?) IF NOT EXISTS USING TTL `+strconv.Itoa(secs), desireID, hid, owner).MapScanCAS(map[string]any{})
	}, func() (bool, error) {
		h, err := st.Lease(ctx, desireID, hostID)
		return h == owner, err
	})
	if err != nil {
		return "", err
	}
	if ok {
		return owner, nil
	}
	holder, err := st.Lease(ctx, desireID, hostID)
	if err != nil {
		return "", err
	}
	if holder == owner {
		_, err = st.Renew(ctx, desireID, hostID, owner, ttl)
	}
	return holder, err
}

// Renew extends owner's lease; false when owner no longer holds it.
func (st *Store) Renew(ctx context.Context, desireID, hostID, owner string, ttl time.Duration) (bool, error) {
	hid, err := gocql.ParseUUID(hostID)
	if err != nil {
		return false, err
	}
	return st.cas(ctx, func() (bool, error) {
		return st.query(ctx, `UPDATE ringside.leases USING TTL `+strconv.Itoa(ttlSeconds(ttl))+` SET owner = ? WHERE desire_id = ? AND host_id = ? IF owner = ?`, owner, desireID, hid, owner).MapScanCAS(map[string]any{})
	}, func() (bool, error) {
		h, err := st.Lease(ctx, desireID, hostID)
		return h == owner, err
	})
}

// Release gives owner's lease up.
func (st *Store) Release(ctx context.Context, desireID, hostID, owner string) error {
	hid, err := gocql.ParseUUID(hostID)
	if err != nil {
		return err
	}
	_, err = st.cas(ctx, func() (bool, error) {
		return st.query(ctx, `DELETE FROM ringside.leases WHERE desire_id = ? AND host_id = ? IF owner = ?`, desireID, hid, owner).MapScanCAS(map[string]any{})
	}, func() (bool, error) {
		h, err := st.Lease(ctx, desireID, hostID)
		return h != owner, err
	})
	return err
}

func ttlSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// stepTTL: progress notes outlive any desire's run, then go.
const stepTTL = 7 * 24 * 3600

// SetStep notes how far the work on a node has got. Progress is not a
// decision: a plain QUORUM write (each row has one writer, the node's own
// sidecar), kept off the desire's row, which every decision is a CAS on
// and where each extra write is one more Paxos round for all to wait on.
func (st *Store) SetStep(ctx context.Context, desireID, hostID, step string) error {
	hid, err := gocql.ParseUUID(hostID)
	if err != nil {
		return fmt.Errorf("store: host id %q: %w", hostID, err)
	}
	if err := st.query(ctx, `INSERT INTO ringside.desire_steps (desire_id, host_id, step) VALUES (?, ?, ?) USING TTL ?`, desireID, hid, step, stepTTL).Exec(); err != nil {
		return fmt.Errorf("store: noting a step: %w", err)
	}
	return nil
}

// Steps are a desire's progress notes by host id, read at QUORUM.
func (st *Store) Steps(ctx context.Context, desireID string) (map[string]string, error) {
	it := st.quorum(ctx, `SELECT host_id, step FROM ringside.desire_steps WHERE desire_id = ?`, desireID).Iter()
	out := map[string]string{}
	var hid gocql.UUID
	var step string
	for it.Scan(&hid, &step) {
		out[hid.String()] = step
	}
	if err := it.Close(); err != nil {
		if missing(err) {
			return out, nil // a keyspace from before the table: Ensure adds it
		}
		return nil, fmt.Errorf("store: reading steps: %w", err)
	}
	return out, nil
}

// ContactPoints turns address:port native addresses into hosts and a port
// (gocql takes one port for all contact points).
func ContactPoints(addrs []string) ([]string, int) {
	var hosts []string
	port := 0
	for _, a := range addrs {
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			hosts = append(hosts, a)
			continue
		}
		hosts = append(hosts, h)
		if n, err := strconv.Atoi(p); err == nil && port == 0 {
			port = n
		}
	}
	return hosts, port
}
