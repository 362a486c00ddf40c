// Package schema models keyspaces, tables and columns as Cassandra's schema
// tables (system_schema.*, system_virtual_schema.*) describe them, and holds
// the definitions of Cassandra 4.1's own system keyspaces.
package schema

import (
	"github.com/ringside/ringside/sim/cqltype"
)

// Kind is a column's kind as system_schema.columns.kind spells it.
type Kind string

const (
	PartitionKey Kind = "partition_key"
	Clustering   Kind = "clustering"
	Regular      Kind = "regular"
	Static       Kind = "static"
)

// Column is one column of a table.
type Column struct {
	Name string
	Kind Kind
	// Position is the index within the partition key or clustering
	// columns, and -1 for regular and static columns (as system_schema.columns stores it).
	Position int
	Type     cqltype.Type
	// ClusteringOrder is "asc" or "desc" for clustering columns, "none" otherwise.
	ClusteringOrder string
}

// Table is a table or a virtual table.
type Table struct {
	Keyspace, Name string
	ID             cqltype.UUID
	Virtual        bool
	Comment        string
	// Columns in system_schema.columns order (sorted by name, as Cassandra
	// lists them); PartitionKey and Clustering in key position order.
	Columns      []*Column
	PartitionKey []*Column
	Clustering   []*Column
	// Options hold the remaining system_schema.tables values keyed by column
	// name (gc_grace_seconds, caching, compaction …) as cqltype Go values.
	Options map[string]any
}

// Column returns the named column or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Keyspace is a keyspace and its tables.
type Keyspace struct {
	Name string
	// Replication as system_schema.keyspaces stores it: "class" is the fully
	// qualified strategy class, the rest are its options ("replication_factor", DC names).
	Replication   map[string]string
	DurableWrites bool
	Virtual       bool
	Tables        []*Table // sorted by name
}

// Table returns the named table or nil.
func (k *Keyspace) Table(name string) *Table {
	for _, t := range k.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}
