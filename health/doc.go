// Package health computes CEP-1's health reports from a node.Snapshot:
// GET /v1/health/coordinator (Coordinator), GET /v1/health/replica
// (Replica) and the CEP's stretch goal GET /v1/health/cluster (Cluster).
// Each report is a JSON object (map[string]any; encoding/json sorts its
// keys, which gives the CEP example's order) and a verdict: healthy → 200,
// not → 503.
//
// The logic is pure: availability comes from package ring (Cassandra 4.1's
// replica placement and ConsistencyLevel rules) applied to the ring the
// snapshot describes (system.local + system.peers_v2 tokens, DCs, racks;
// system_schema.keyspaces replication; StorageService's unreachable nodes
// as the down set). Two small file-system checks feed the replica report:
// CompareConfig / CompareConfigFile (cassandra.yaml against
// system_views.settings, with 4.1's renamed keys and units) and
// ScanSSTables (each SSTable's components on disk against what Cassandra
// 4.1 needs to open it and what its TOC.txt, when it has one, lists).
//
// "Under-replicated" means: token ranges that down nodes have made
// unservable at that level from the coordinator's DC — exactly when a
// client would get Cassandra's UnavailableException. Ranges that cannot be
// served even with every node up (SimpleStrategy keyspaces read at LOCAL_*
// levels in a multi-DC cluster, RF above the node count at ALL …) are a
// property of the replication settings; they are reported as
// "unavailable_by_design" and do not fail the coordinator check.
//
// Cassandra's replicated system keyspaces (system_auth, system_distributed,
// system_traces) are judged at the levels Cassandra itself uses them at
// (syskeyspaces.go: ANY for traces and repair history, and for system_auth
// the auth_*_consistency_level settings, only when authentication is on),
// by DownImpact (the stop and drain guard) and by the reports, where a
// system keyspace no use of which fails is "unused_by_cassandra".
package health
