// Package node is ringside's adapter to the Cassandra node it runs beside:
// CQL (gocql) for system tables, JMX through a Jolokia agent for runtime
// state and operations, and `nodetool` as a fallback for installs without
// the agent. It turns all of that into a Snapshot the health checks read.
package node

import "time"

// Snapshot is what the sidecar knows about its node at one moment.
// Fields that could not be read are zero, and the reason is in Errors.
type Snapshot struct {
	Taken time.Time `json:"taken"`
	// Errors names what could not be read ("cql: …", "jmx: …", "nodetool: …").
	Errors []string `json:"errors,omitempty"`

	// CassandraRunning: the process answers (JMX, or CQL, or the pid is alive).
	CassandraRunning bool `json:"cassandra_running"`
	PID              int  `json:"pid,omitempty"`
	// From StorageService (JMX) or nodetool info/statusbinary/statusgossip.
	OperationMode string `json:"operation_mode,omitempty"` // NORMAL, STARTING, DRAINING, DRAINED …
	NativeActive  bool   `json:"native_active"`
	GossipActive  bool   `json:"gossip_active"`
	// LiveEndpoints and UnreachableEndpoints are address:storage_port, as
	// LiveNodesWithPort / UnreachableNodesWithPort list them (Live includes this node).
	LiveEndpoints        []string `json:"live_endpoints"`
	UnreachableEndpoints []string `json:"unreachable_endpoints"`

	// This node, from system.local.
	HostID         string   `json:"host_id,omitempty"`
	Endpoint       string   `json:"endpoint,omitempty"` // broadcast_address:broadcast_port
	NativeAddress  string   `json:"native_address,omitempty"`
	DC             string   `json:"datacenter,omitempty"`
	Rack           string   `json:"rack,omitempty"`
	Tokens         []string `json:"tokens,omitempty"`
	ReleaseVersion string   `json:"release_version,omitempty"`
	ClusterName    string   `json:"cluster_name,omitempty"`
	SchemaVersion  string   `json:"schema_version,omitempty"`

	// Peers from system.peers_v2 (system.peers on 3.x-style nodes).
	Peers []Peer `json:"peers,omitempty"`
	// Keyspaces from system_schema.keyspaces.
	Keyspaces []Keyspace `json:"keyspaces,omitempty"`
	// Settings are system_views.settings (name → value; a null value is absent).
	Settings map[string]string `json:"-"`

	// Sources says where each part came from and how old it is: with
	// Jolokia every part is read at Taken; in nodetool mode `nodetool
	// status` (and, when CQL cannot tell, info and netstats) is cached for
	// Config.NodetoolInterval, so its AsOf can be older than Taken.
	Sources []Source `json:"data_sources,omitempty"`
}

// Source is one way the snapshot's data was read.
type Source struct {
	// Name is "cql", "jmx", or the nodetool command, e.g. "nodetool status".
	Name string `json:"source"`
	// AsOf is when the read started (absolute, so it does not go stale in
	// an answer served later).
	AsOf time.Time `json:"as_of"`
	// Fields are the health answers' fields this source gave.
	Fields []string `json:"fields"`
	// Error is why the last read failed; the fields are then unknown.
	Error string `json:"error,omitempty"`
}

// Peer is one row of system.peers_v2.
type Peer struct {
	Endpoint      string   `json:"endpoint"` // peer:peer_port
	HostID        string   `json:"host_id"`
	DC            string   `json:"datacenter"`
	Rack          string   `json:"rack"`
	NativeAddress string   `json:"native_address"` // native_address:native_port
	Release       string   `json:"release_version"`
	Tokens        []string `json:"tokens"`
}

// Keyspace is one row of system_schema.keyspaces.
type Keyspace struct {
	Name        string            `json:"name"`
	Replication map[string]string `json:"replication"`
}
