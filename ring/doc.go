// Package ring is ringside's model of a Cassandra 4.x token ring: Murmur3
// tokens, replica placement exactly as Cassandra computes it, availability
// of every token range at every consistency level for a set of down nodes,
// and a restart planner. It does no I/O: every function works on plain data
// and is deterministic, so the sidecar, the simulator, the planner and the
// client-side failover policy share one implementation.
//
// # Tokens and ranges
//
// Token is a Murmur3Partitioner token (int64, decimal in system tables);
// Murmur3Token hashes a serialized partition key as Cassandra does,
// including the sign-extension quirk of MurmurHash.hash3_x64_128. A
// Topology holds the token-owning endpoints; range i is (tokens[i-1],
// tokens[i]], wrapping around, and belongs to the owner of tokens[i].
//
// # Placement
//
// ParseReplication reads a replication map as system_schema.keyspaces
// stores it. Topology.Replicas and Topology.ReplicaMap give the natural
// replicas of a range in Cassandra's order for SimpleStrategy,
// NetworkTopologyStrategy (the 4.x single-pass rack-aware walk of
// calculateNaturalReplicas), EverywhereStrategy, with transient replicas
// flagged; LocalStrategy has no ring placement.
//
// # Availability
//
// Topology.Check applies the coordinator's rules (ReplicaPlans) to one
// range. Topology.NewAvailability evaluates every range of every keyspace
// at every level for a coordinator DC and a down set; SetDown re-evaluates
// only the ranges of the endpoint that changed.
//
// # Restart planning
//
// Topology.PlanRestart splits nodes into waves that can each restart at
// once without taking any range below a required level, with a proven lower
// bound on the number of waves. docs/ring.md describes the placement walk,
// the planner's algorithm and its lower bound, with benchmark figures.
package ring
