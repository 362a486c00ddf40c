package schema

import (
	"errors"
	"fmt"
	"sort"

	"github.com/ringside/ringside/sim/cqltype"
)

// InvalidRequestError is a schema error Cassandra reports as an
// InvalidRequest (code 0x2200) with exactly this message.
type InvalidRequestError struct{ Msg string }

func (e *InvalidRequestError) Error() string { return e.Msg }

func ire(format string, args ...any) error {
	return &InvalidRequestError{Msg: fmt.Sprintf(format, args...)}
}

// index sorts Columns by name (system_schema.columns order: clustering on
// column_name, compared as UTF-8 bytes) and rebuilds PartitionKey and
// Clustering in position order, checking that the positions of each are
// 0..n-1 without gaps or repeats.
func (t *Table) index() error {
	sort.SliceStable(t.Columns, func(i, j int) bool { return t.Columns[i].Name < t.Columns[j].Name })
	var pk, ck []*Column
	for _, c := range t.Columns {
		switch c.Kind {
		case PartitionKey:
			pk = append(pk, c)
		case Clustering:
			ck = append(ck, c)
		case Regular, Static:
		default:
			return fmt.Errorf("column %s has unknown kind %q", c.Name, c.Kind)
		}
	}
	var err error
	if t.PartitionKey, err = byPosition(pk, PartitionKey); err != nil {
		return err
	}
	if t.Clustering, err = byPosition(ck, Clustering); err != nil {
		return err
	}
	if len(t.PartitionKey) == 0 {
		return errors.New("no partition key column")
	}
	return nil
}

func byPosition(cols []*Column, kind Kind) ([]*Column, error) {
	if len(cols) == 0 {
		return nil, nil
	}
	out := make([]*Column, len(cols))
	for _, c := range cols {
		if c.Position < 0 || c.Position >= len(cols) {
			return nil, fmt.Errorf("%s column %s has position %d, want 0..%d", kind, c.Name, c.Position, len(cols)-1)
		}
		if out[c.Position] != nil {
			return nil, fmt.Errorf("%s columns %s and %s both have position %d", kind, out[c.Position].Name, c.Name, c.Position)
		}
		out[c.Position] = c
	}
	return out, nil
}

// Clone returns a deep copy of the table: columns, key slices and options.
func (t *Table) Clone() *Table {
	n := *t
	n.Columns = make([]*Column, len(t.Columns))
	byName := make(map[*Column]*Column, len(t.Columns))
	for i, c := range t.Columns {
		cc := *c
		cc.Type = cloneType(c.Type)
		n.Columns[i] = &cc
		byName[c] = &cc
	}
	remap := func(cols []*Column) []*Column {
		if cols == nil {
			return nil
		}
		out := make([]*Column, len(cols))
		for i, c := range cols {
			if m, ok := byName[c]; ok {
				out[i] = m
			} else {
				cc := *c
				out[i] = &cc
			}
		}
		return out
	}
	n.PartitionKey = remap(t.PartitionKey)
	n.Clustering = remap(t.Clustering)
	n.Options = cloneOptions(t.Options)
	return &n
}

func cloneType(t cqltype.Type) cqltype.Type {
	if t.Elems != nil {
		el := make([]cqltype.Type, len(t.Elems))
		for i, e := range t.Elems {
			el[i] = cloneType(e)
		}
		t.Elems = el
	}
	return t
}

// Clone returns a deep copy of the keyspace and its tables.
func (k *Keyspace) Clone() *Keyspace {
	n := *k
	if k.Replication != nil {
		n.Replication = make(map[string]string, len(k.Replication))
		for key, v := range k.Replication {
			n.Replication[key] = v
		}
	}
	if k.Tables != nil {
		n.Tables = make([]*Table, len(k.Tables))
		for i, t := range k.Tables {
			n.Tables[i] = t.Clone()
		}
	}
	return &n
}

// normalizeType applies what CQL3Type.Raw.prepare does to a declared type:
// everything nested in a frozen type or in a tuple is frozen too (so
// frozen<list<list<int>>> is stored as frozen<list<frozen<list<int>>>>).
func normalizeType(t cqltype.Type, freeze bool) cqltype.Type {
	if freeze && (t.IsCollection() || t.ID == cqltype.Tuple) {
		t.Frozen = true
	}
	if len(t.Elems) > 0 {
		inner := t.Frozen || t.ID == cqltype.Tuple
		el := make([]cqltype.Type, len(t.Elems))
		for i, e := range t.Elems {
			el[i] = normalizeType(e, inner)
		}
		t.Elems = el
	}
	return t
}

// isMultiCell reports whether values of t are stored cell by cell: a
// non-frozen collection.
func isMultiCell(t cqltype.Type) bool { return t.IsCollection() && !t.Frozen }

func referencesDuration(t cqltype.Type) bool {
	if t.ID == cqltype.DurationID {
		return true
	}
	for _, e := range t.Elems {
		if referencesDuration(e) {
			return true
		}
	}
	return false
}

// checkType applies the checks of CQL3Type.Raw.RawCollection.prepare and
// RawTuple.prepare (cql3/CQL3Type.java), in their order, to a declared type.
func checkType(t cqltype.Type) error {
	switch t.ID {
	case cqltype.List, cqltype.Set, cqltype.Map:
		values := t.Elems[len(t.Elems)-1]
		if !t.Frozen && isMultiCell(values) {
			return ire("Non-frozen collections are not allowed inside collections: %s", t)
		}
		if values.ID == cqltype.Counter {
			return ire("Counters are not allowed inside collections: %s", t)
		}
		if values.ID == cqltype.DurationID && t.ID == cqltype.Set {
			return ire("Durations are not allowed inside sets: %s", t)
		}
		if t.ID == cqltype.Map {
			k := t.Elems[0]
			if k.ID == cqltype.Counter {
				return ire("Counters are not allowed inside collections: %s", t)
			}
			if k.ID == cqltype.DurationID {
				return ire("Durations are not allowed as map keys: %s", t)
			}
			if !t.Frozen && isMultiCell(k) {
				return ire("Non-frozen collections are not allowed inside collections: %s", t)
			}
		}
	case cqltype.Tuple:
		for _, e := range t.Elems {
			if e.ID == cqltype.Counter {
				return ire("Counters are not allowed inside tuples")
			}
		}
	}
	for _, e := range t.Elems {
		if err := checkType(e); err != nil {
			return err
		}
	}
	return nil
}

// NewTable validates the columns of a user table keyspace.name the way
// CREATE TABLE does (cql3/statements/schema/CreateTableStatement.java,
// cql3/CQL3Type.java) and returns the table with Columns sorted by name,
// PartitionKey and Clustering in key order, Options set to
// DefaultTableOptions() (flags {'compound', 'counter'} for a counter table)
// and a zero ID: the caller sets ID, normally to NewTableID().
//
// cols are copied, not kept. Each needs Name, Kind, Type, and for partition
// key and clustering columns the Position within its key (0, 1, …); an empty
// ClusteringOrder means "asc" for a clustering column, and regular and static
// columns get Position -1 and ClusteringOrder "none". Types are normalized as
// Cassandra stores them (everything inside frozen<> or a tuple is frozen).
//
// Errors Cassandra reports to clients are *InvalidRequestError with the
// exact message; table is named as the statement's QualifiedName prints it
// when keyspace-qualified ("ks.table") in the messages raised while parsing,
// and by its bare name in the rest, as in Java. Malformed input that CQL
// could not express (bad kinds, positions or clustering orders) gives a
// plain error.
func NewTable(ks, name string, cols []*Column) (*Table, error) {
	qualified := ks + "." + name
	t := &Table{Keyspace: ks, Name: name}
	seen := map[string]bool{}
	hasStatic := false
	for _, c := range cols {
		// CreateTableStatement.Raw.addColumn
		if seen[c.Name] {
			return nil, ire("Duplicate column '%s' declaration for table '%s'", c.Name, qualified)
		}
		seen[c.Name] = true
		cc := *c
		switch cc.Kind {
		case PartitionKey:
			cc.ClusteringOrder = "none"
		case Clustering:
			switch cc.ClusteringOrder {
			case "":
				cc.ClusteringOrder = "asc"
			case "asc", "desc":
			default:
				return nil, fmt.Errorf("schema: column %s has clustering order %q", cc.Name, cc.ClusteringOrder)
			}
		case Regular, Static:
			cc.Position = -1
			cc.ClusteringOrder = "none"
			if cc.Kind == Static {
				hasStatic = true
			}
		default:
			return nil, fmt.Errorf("schema: column %s has unknown kind %q", cc.Name, cc.Kind)
		}
		t.Columns = append(t.Columns, &cc)
	}
	if len(t.Columns) == 0 {
		return nil, ire("No PRIMARY KEY specifed for table '%s' (exactly one required)", qualified)
	}
	// Types are prepared before the PRIMARY KEY checks.
	// The parser has already frozen whatever is nested in frozen<> or a tuple.
	for _, c := range sortedByName(t.Columns) {
		c.Type = normalizeType(c.Type, false)
		if err := checkType(c.Type); err != nil {
			return nil, err
		}
	}
	hasPK := false
	for _, c := range t.Columns {
		if c.Kind == PartitionKey {
			hasPK = true
		}
	}
	if !hasPK {
		return nil, ire("No PRIMARY KEY specifed for table '%s' (exactly one required)", qualified)
	}
	if err := t.index(); err != nil {
		return nil, fmt.Errorf("schema: %s: %v", qualified, err)
	}
	for _, c := range append(append([]*Column{}, t.PartitionKey...), t.Clustering...) {
		if isMultiCell(c.Type) {
			return nil, ire("Invalid non-frozen collection type %s for PRIMARY KEY column '%s'", c.Type, c.Name)
		}
		if c.Type.ID == cqltype.Counter {
			return nil, ire("counter type is not supported for PRIMARY KEY column '%s'", c.Name)
		}
		if referencesDuration(c.Type) {
			return nil, ire("duration type is not supported for PRIMARY KEY column '%s'", c.Name)
		}
	}
	if len(t.Clustering) == 0 && hasStatic {
		return nil, ire("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
	}
	counter := false
	for _, c := range t.Columns {
		if c.Type.ID == cqltype.Counter {
			counter = true
		}
	}
	if counter {
		for _, c := range t.Columns {
			if (c.Kind == Regular || c.Kind == Static) && c.Type.ID != cqltype.Counter {
				return nil, ire("Cannot mix counter and non counter columns in the same table")
			}
		}
	}
	p := defaultParams()
	p.counter = counter
	t.Options = p.options()
	return t, nil
}

func sortedByName(cols []*Column) []*Column {
	out := append([]*Column{}, cols...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
