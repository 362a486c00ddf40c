package health

import (
	"fmt"
	"strings"

	"github.com/ringside/ringside/ring"
)

// Cassandra's replicated system keyspaces are judged by the consistency
// levels Cassandra itself reads and writes them at, not by
// health.consistency_levels (the operator's levels for user data): a stock
// 4.1 cluster creates system_auth with SimpleStrategy RF 1, system_traces
// RF 2 and system_distributed RF 3, and judging those at LOCAL_QUORUM
// would refuse every stop although nothing Cassandra does would fail.
// Sources, Apache Cassandra 4.1.6 (b662744af5):
//
//   - system_traces: every trace session and event is a mutation at ANY
//     (tracing/TraceStateImpl.java mutateWithCatch, used by TracingImpl).
//   - system_distributed: repair history is written at ANY
//     (schema/SystemDistributedKeyspace.java processSilent); materialized
//     view build status at ONE (startViewBuild, successfulViewBuild,
//     viewStatus), only with materialized_views_enabled; the partition
//     denylist at denylist_consistency_level (schema/PartitionDenylist.java),
//     only with partition_denylist_enabled.
//   - system_auth: read only when clients must authenticate (AuthConfig:
//     CassandraAuthorizer and CassandraNetworkAuthorizer are refused
//     without an authenticator that requires authentication, and
//     AllowAllAuthenticator does not). Then logins and permission checks
//     read at auth_read_consistency_level (Config.java, default
//     LOCAL_QUORUM; CassandraAuthorizer.authReadConsistencyLevel), except
//     the default superuser "cassandra", whose row is read at QUORUM
//     (CassandraRoleManager.consistencyForRoleRead, used by
//     PasswordAuthenticator too); role and permission changes write at
//     auth_write_consistency_level (default EACH_QUORUM).
//
// ANY never fails while a coordinator is up (the hint counts), so of
// system_traces and a default system_distributed only the loss of every
// node matters.

// Cassandra's replicated system keyspaces (SchemaConstants).
const (
	authKeyspace        = "system_auth"
	distributedKeyspace = "system_distributed"
	tracesKeyspace      = "system_traces"
)

// defaultSuperuser is CassandraRoleManager.DEFAULT_SUPERUSER_NAME; its row
// in system_auth.roles (partition key role) is read at QUORUM.
const defaultSuperuser = "cassandra"

// sysUse is one consistency level at which Cassandra uses a system keyspace.
type sysUse struct {
	cl ring.ConsistencyLevel
	// token, when set, limits the use to the range holding one partition.
	token *ring.Token
	// what Cassandra does at cl, for messages.
	what string
}

// isSystemKeyspace says whether ks is one of Cassandra's replicated system
// keyspaces (the local ones are never in a ring view).
func isSystemKeyspace(ks string) bool {
	return ks == authKeyspace || ks == distributedKeyspace || ks == tracesKeyspace
}

// systemUses lists the levels Cassandra uses system keyspace ks at, given
// the node's system_views.settings (empty: not read; then system_auth is
// taken to be in use, the safe guess).
func systemUses(ks string, st map[string]string) []sysUse {
	switch ks {
	case tracesKeyspace:
		return []sysUse{{cl: ring.Any, what: "query tracing"}}
	case distributedKeyspace:
		uses := []sysUse{{cl: ring.Any, what: "repair history"}}
		if settingTrue(st, "materialized_views_enabled", "enable_materialized_views") {
			uses = append(uses, sysUse{cl: ring.One, what: "materialized view build status"})
		}
		if settingTrue(st, "partition_denylist_enabled") {
			cl := settingLevel(st, "denylist_consistency_level", ring.Quorum)
			uses = append(uses, sysUse{cl: cl, what: "the partition denylist (denylist_consistency_level)"})
		}
		return uses
	case authKeyspace:
		readers, superuser := authReaders(st)
		if len(readers) == 0 {
			return nil
		}
		by := " by " + strings.Join(readers, ", ")
		read := settingLevel(st, "auth_read_consistency_level", ring.LocalQuorum)
		write := settingLevel(st, "auth_write_consistency_level", ring.EachQuorum)
		uses := []sysUse{{cl: read, what: "logins and permission checks" + by + " (auth_read_consistency_level)"}}
		if superuser {
			tok := ring.Murmur3Token([]byte(defaultSuperuser))
			uses = append(uses, sysUse{cl: ring.Quorum, token: &tok, what: "logins as the default superuser " + defaultSuperuser})
		}
		return append(uses, sysUse{cl: write, what: "role and permission changes (auth_write_consistency_level)"})
	}
	return nil
}

// authReaders names the configured classes that read system_auth, and
// whether the default superuser's QUORUM read applies (CassandraRoleManager
// in use). None when authentication is off.
func authReaders(st map[string]string) (readers []string, superuser bool) {
	if len(st) == 0 {
		return []string{"the authenticator (unknown: system_views.settings was not read)"}, true
	}
	// AuthConfig.applyAuth: a null authenticator is AllowAllAuthenticator,
	// a null role_manager CassandraRoleManager; a name without a dot is
	// taken from org.apache.cassandra.auth (FBUtilities.newAuthenticator).
	authn := className(st["authenticator"], "AllowAllAuthenticator")
	if authn == "AllowAllAuthenticator" {
		return nil, false
	}
	if authn == "PasswordAuthenticator" {
		readers = append(readers, authn)
	}
	if rm := className(st["role_manager"], "CassandraRoleManager"); rm == "CassandraRoleManager" {
		readers = append(readers, rm)
		superuser = true
	}
	if className(st["authorizer"], "") == "CassandraAuthorizer" {
		readers = append(readers, "CassandraAuthorizer")
	}
	if className(st["network_authorizer"], "") == "CassandraNetworkAuthorizer" {
		readers = append(readers, "CassandraNetworkAuthorizer")
	}
	return readers, superuser
}

// className is the simple class name of a setting's value, or def when null.
func className(v, def string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "null" {
		return def
	}
	return v[strings.LastIndexByte(v, '.')+1:]
}

func settingTrue(st map[string]string, names ...string) bool {
	for _, n := range names {
		if v, ok := st[n]; ok {
			return strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	return false
}

// settingLevel parses a consistency level setting; absent or unparsable
// (a node older than the setting), Cassandra 4.1's default.
func settingLevel(st map[string]string, name string, def ring.ConsistencyLevel) ring.ConsistencyLevel {
	if cl, err := ring.ParseConsistencyLevel(strings.TrimSpace(st[name])); err == nil && cl != ring.NodeLocal {
		return cl
	}
	return def
}

// recommendedReplication is what Cassandra's documentation tells operators
// to give system_auth (operating/security.adoc: NetworkTopologyStrategy,
// 3 to 5 per DC) with n = min(3, nodes in the DC), never below what a DC
// has now.
func recommendedReplication(t *ring.Topology, cur ring.Replication) ring.Replication {
	r := ring.Replication{Strategy: ring.NetworkTopologyStrategy, DCs: map[string]ring.ReplicationFactor{}}
	for _, dc := range t.DCs() {
		n := min(3, t.NodesInDC(dc))
		if cur.Strategy == ring.NetworkTopologyStrategy && cur.DCs[dc].All > n {
			n = cur.DCs[dc].All
		}
		r.DCs[dc] = ring.ReplicationFactor{All: n}
	}
	return r
}

// alterStatement is the CQL that gives ks replication r (DCs by name).
func alterStatement(ks string, r ring.Replication) string {
	parts := []string{"'class': 'NetworkTopologyStrategy'"}
	for _, dc := range r.Datacenters() {
		parts = append(parts, fmt.Sprintf("'%s': %d", dc, r.DCs[dc].All))
	}
	return fmt.Sprintf("ALTER KEYSPACE %s WITH replication = {%s};", ks, strings.Join(parts, ", "))
}

// fixText is the operator's way out for a system keyspace whose use a down
// set would break: the ALTER KEYSPACE and the repair when the recommended
// replication avoids the loss, otherwise what else can.
func fixText(ks string, r ring.Replication, helps bool) string {
	if helps {
		return fmt.Sprintf("to fix, run %s then nodetool repair --full %s on every node, one at a time", alterStatement(ks, r), ks)
	}
	msg := fmt.Sprintf("raising replication would not help (%s is what this cluster's nodes allow)", r)
	if ks == authKeyspace {
		msg += "; lower auth_read_consistency_level / auth_write_consistency_level in cassandra.yaml (or at runtime: JMX org.apache.cassandra.auth:type=AuthProperties), or add nodes"
	} else {
		msg += "; add nodes"
	}
	return msg
}
