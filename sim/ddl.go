package sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

func isSystemKeyspace(name string) bool {
	switch name {
	case "system", "system_schema", "system_auth", "system_distributed", "system_traces", "system_views", "system_virtual_schema":
		return true
	}
	return false
}

// termString renders a constant property value as Cassandra stores it.
func termString(t cql.Term) (string, error) {
	switch t.Kind {
	case cql.TermString, cql.TermInteger, cql.TermFloat, cql.TermBoolean, cql.TermUUID:
		return t.Text, nil
	}
	return "", &native.Error{Code: native.ErrSyntax, Message: fmt.Sprintf("Invalid value for property: %s", t.Text)}
}

func termMap(name string, t cql.Term) (map[string]string, error) {
	if t.Kind != cql.TermMap {
		return nil, &native.Error{Code: native.ErrSyntax, Message: fmt.Sprintf("Invalid value for property '%s'. It should be a map.", name)}
	}
	m := map[string]string{}
	for i, k := range t.Keys {
		ks, err := termString(k)
		if err != nil {
			return nil, err
		}
		vs, err := termString(t.Elems[i])
		if err != nil {
			return nil, err
		}
		m[strings.ToLower(ks)] = vs
		if strings.ToLower(ks) != "class" && strings.ToLower(ks) != "replication_factor" {
			m[ks] = vs // DC names keep their case
			if ks != strings.ToLower(ks) {
				delete(m, strings.ToLower(ks))
			}
		}
	}
	return m, nil
}

func (x *execCtx) schemaChange(change, target, ks, name string) *result {
	sc := native.SchemaChange{Change: change, Target: target, Keyspace: ks, Name: name}
	c := x.n.c
	c.mu.Lock()
	for _, n := range c.nodes {
		n.push(native.Event{Type: "SCHEMA_CHANGE", Schema: &sc})
	}
	c.mu.Unlock()
	return &result{kind: resSchema, change: sc}
}

func (x *execCtx) keyspaceProps(name string, props []cql.Property, base *schema.Keyspace) (map[string]string, bool, error) {
	var repl map[string]string
	durable := true
	if base != nil {
		durable = base.DurableWrites
	}
	for _, p := range props {
		switch p.Name {
		case "replication":
			m, err := termMap("replication", p.Value)
			if err != nil {
				return nil, false, err
			}
			repl = m
		case "durable_writes":
			s, err := termString(p.Value)
			if err != nil {
				return nil, false, err
			}
			durable = strings.EqualFold(s, "true")
		default:
			return nil, false, &native.Error{Code: native.ErrSyntax, Message: fmt.Sprintf("Unknown property '%s'", p.Name)}
		}
	}
	if repl == nil {
		if base == nil {
			return nil, false, config("Missing mandatory option 'replication'")
		}
		return base.Replication, durable, nil
	}
	if base != nil && repl["class"] == "" {
		repl["class"] = base.Replication["class"]
	}
	norm, err := x.n.c.schema.normaliseReplication(name, repl)
	return norm, durable, err
}

func (x *execCtx) execDDL(stmt cql.Statement) (*result, error) {
	k := x.n.c.schema
	switch s := stmt.(type) {
	case *cql.CreateKeyspace:
		if len(s.Name) > 48 {
			return nil, invalid("Keyspace name must not be more than 48 characters long (got %d characters for \"%s\")", len(s.Name), s.Name)
		}
		repl, durable, err := x.keyspaceProps(s.Name, s.Properties, nil)
		if err != nil {
			return nil, err
		}
		exists := false
		err = k.update(func(m map[string]*schema.Keyspace) error {
			if m[s.Name] != nil {
				exists = true
				if s.IfNotExists {
					return errNoChange
				}
				return &native.Error{Code: native.ErrAlreadyExists, Keyspace: s.Name, Message: fmt.Sprintf("Cannot add existing keyspace \"%s\"", s.Name)}
			}
			m[s.Name] = &schema.Keyspace{Name: s.Name, Replication: repl, DurableWrites: durable}
			return nil
		})
		if err == errNoChange && exists {
			return &result{kind: resVoid}, nil
		}
		if err != nil {
			return nil, err
		}
		return x.schemaChange("CREATED", "KEYSPACE", s.Name, ""), nil
	case *cql.AlterKeyspace:
		if isSystemKeyspace(s.Name) {
			if s.Name != "system_auth" && s.Name != "system_distributed" && s.Name != "system_traces" {
				return nil, &native.Error{Code: native.ErrUnauthorized, Message: s.Name + " keyspace is not user-modifiable."}
			}
		}
		base := k.keyspace(s.Name)
		if base == nil {
			if s.IfExists {
				return &result{kind: resVoid}, nil
			}
			return nil, invalid("Keyspace '%s' doesn't exist", s.Name)
		}
		repl, durable, err := x.keyspaceProps(s.Name, s.Properties, base)
		if err != nil {
			return nil, err
		}
		err = k.update(func(m map[string]*schema.Keyspace) error {
			cur := m[s.Name]
			if cur == nil {
				return invalid("Keyspace '%s' doesn't exist", s.Name)
			}
			nk := *cur
			nk.Replication, nk.DurableWrites = repl, durable
			m[s.Name] = &nk
			return nil
		})
		if err != nil {
			return nil, err
		}
		return x.schemaChange("UPDATED", "KEYSPACE", s.Name, ""), nil
	case *cql.DropKeyspace:
		if isSystemKeyspace(s.Name) {
			return nil, &native.Error{Code: native.ErrUnauthorized, Message: s.Name + " keyspace is not user-modifiable."}
		}
		var dropped *schema.Keyspace
		err := k.update(func(m map[string]*schema.Keyspace) error {
			dropped = m[s.Name]
			if dropped == nil {
				if s.IfExists {
					return errNoChange
				}
				return config("Cannot drop non existing keyspace '%s'.", s.Name)
			}
			delete(m, s.Name)
			return nil
		})
		if err == errNoChange {
			return &result{kind: resVoid}, nil
		}
		if err != nil {
			return nil, err
		}
		for _, t := range dropped.Tables {
			x.dropData(t)
		}
		return x.schemaChange("DROPPED", "KEYSPACE", s.Name, ""), nil
	case *cql.CreateTable:
		return x.createTable(s)
	case *cql.AlterTable:
		return x.alterTable(s)
	case *cql.DropTable:
		ksName := x.keyspaceOf(s.Keyspace)
		if isSystemKeyspace(ksName) {
			return nil, &native.Error{Code: native.ErrUnauthorized, Message: ksName + " keyspace is not user-modifiable."}
		}
		var dropped *schema.Table
		err := k.update(func(m map[string]*schema.Keyspace) error {
			ks := m[ksName]
			if ks == nil {
				if s.IfExists {
					return errNoChange
				}
				return invalid("Keyspace '%s' doesn't exist", ksName)
			}
			dropped = ks.Table(s.Table)
			if dropped == nil {
				if s.IfExists {
					return errNoChange
				}
				return invalid("Table '%s.%s' doesn't exist", ksName, s.Table)
			}
			nk := *ks
			nk.Tables = nil
			for _, t := range ks.Tables {
				if t != dropped {
					nk.Tables = append(nk.Tables, t)
				}
			}
			m[ksName] = &nk
			return nil
		})
		if err == errNoChange {
			return &result{kind: resVoid}, nil
		}
		if err != nil {
			return nil, err
		}
		x.dropData(dropped)
		return x.schemaChange("DROPPED", "TABLE", ksName, s.Table), nil
	case *cql.Truncate:
		ks, t, err := k.table(x.keyspaceOf(s.Keyspace), s.Table)
		if err != nil {
			return nil, err
		}
		if ks.Virtual {
			return nil, invalid("Error during truncate: Cannot truncate virtual tables")
		}
		// TRUNCATE needs every replica (StorageProxy.truncateBlocking).
		c := x.n.c
		for _, n := range c.nodes {
			if !c.sees(x.n, n) {
				return nil, unavailable(native.All, "", len(c.nodes), len(c.nodes)-1)
			}
		}
		for _, n := range c.nodes {
			if n.store != nil {
				n.store.truncate(t)
			}
		}
		return &result{kind: resVoid}, nil
	}
	return nil, invalid("unsupported schema statement")
}

type noChange struct{}

func (noChange) Error() string { return "no change" }

var errNoChange error = noChange{}

func (x *execCtx) dropData(t *schema.Table) {
	for _, n := range x.n.c.nodes {
		if n.store != nil {
			n.store.truncate(t)
		}
	}
}

func (x *execCtx) tableOptions(props []cql.Property, base map[string]any) (map[string]any, error) {
	opts := map[string]any{}
	for k, v := range base {
		opts[k] = v
	}
	for _, p := range props {
		switch p.Name {
		case "comment", "speculative_retry", "additional_write_policy", "read_repair":
			s, err := termString(p.Value)
			if err != nil {
				return nil, err
			}
			opts[p.Name] = s
		case "default_time_to_live", "gc_grace_seconds", "max_index_interval", "min_index_interval", "memtable_flush_period_in_ms":
			s, err := termString(p.Value)
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, config("%s must be greater than or equal to 0 (got %s)", p.Name, s)
			}
			opts[p.Name] = int32(n)
		case "bloom_filter_fp_chance", "crc_check_chance":
			s, err := termString(p.Value)
			if err != nil {
				return nil, err
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, config("Invalid %s %s", p.Name, s)
			}
			opts[p.Name] = f
		case "caching", "compaction", "compression", "extensions":
			m, err := termMap(p.Name, p.Value)
			if err != nil {
				return nil, err
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var pairs []cqltype.Pair
			for _, k := range keys {
				pairs = append(pairs, cqltype.Pair{Key: k, Value: m[k]})
			}
			opts[p.Name] = pairs
		case "cdc":
			s, err := termString(p.Value)
			if err != nil {
				return nil, err
			}
			opts["cdc"] = strings.EqualFold(s, "true")
		default:
			return nil, &native.Error{Code: native.ErrSyntax, Message: fmt.Sprintf("Unknown property '%s'", p.Name)}
		}
	}
	return opts, nil
}

func (x *execCtx) createTable(s *cql.CreateTable) (*result, error) {
	k := x.n.c.schema
	ksName := x.keyspaceOf(s.Keyspace)
	if ksName == "" {
		return nil, invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
	}
	if isSystemKeyspace(ksName) {
		return nil, &native.Error{Code: native.ErrUnauthorized, Message: ksName + " keyspace is not user-modifiable."}
	}
	if len(s.Table) > 48 {
		return nil, invalid("Table name must not be more than 48 characters long (got %d characters for \"%s\")", len(s.Table), s.Table)
	}
	if s.CompactStorage {
		return nil, invalid("COMPACT STORAGE tables are not allowed starting with version 4.0")
	}
	var cols []*schema.Column
	pos := map[string]int{}
	kind := map[string]schema.Kind{}
	for i, n := range s.PartitionKey {
		pos[n], kind[n] = i, schema.PartitionKey
	}
	order := map[string]string{}
	for _, o := range s.ClusteringOrder {
		if o.Desc {
			order[o.Column] = "desc"
		} else {
			order[o.Column] = "asc"
		}
	}
	for i, n := range s.Clustering {
		pos[n], kind[n] = i, schema.Clustering
	}
	for i, o := range s.ClusteringOrder {
		if i >= len(s.Clustering) || s.Clustering[i] != o.Column {
			return nil, invalid("Only clustering key columns can be defined in CLUSTERING ORDER directive: %s", o.Column)
		}
	}
	for _, d := range s.Columns {
		c := &schema.Column{Name: d.Name, Type: d.Type, Kind: schema.Regular, Position: -1, ClusteringOrder: "none"}
		if kd, ok := kind[d.Name]; ok {
			c.Kind, c.Position = kd, pos[d.Name]
			if kd == schema.Clustering {
				c.ClusteringOrder = "asc"
				if o := order[d.Name]; o != "" {
					c.ClusteringOrder = o
				}
			}
		} else if d.Static {
			c.Kind = schema.Static
		}
		cols = append(cols, c)
	}
	for n := range kind {
		found := false
		for _, d := range s.Columns {
			if d.Name == n {
				found = true
			}
		}
		if !found {
			return nil, invalid("Unknown column '%s' referenced in PRIMARY KEY for table '%s'", n, s.Table)
		}
	}
	t, err := schema.NewTable(ksName, s.Table, cols)
	if err != nil {
		return nil, invalid("%v", err)
	}
	t.ID = schema.NewTableID()
	t.Options, err = x.tableOptions(s.Properties, t.Options)
	if err != nil {
		return nil, err
	}
	exists := false
	err = k.update(func(m map[string]*schema.Keyspace) error {
		ks := m[ksName]
		if ks == nil {
			return invalid("Keyspace '%s' doesn't exist", ksName)
		}
		if ks.Table(s.Table) != nil {
			exists = true
			if s.IfNotExists {
				return errNoChange
			}
			return &native.Error{Code: native.ErrAlreadyExists, Keyspace: ksName, Table: s.Table, Message: fmt.Sprintf("Cannot add already existing table \"%s\" to keyspace \"%s\"", s.Table, ksName)}
		}
		nk := *ks
		nk.Tables = append(append([]*schema.Table{}, ks.Tables...), t)
		sort.Slice(nk.Tables, func(i, j int) bool { return nk.Tables[i].Name < nk.Tables[j].Name })
		m[ksName] = &nk
		return nil
	})
	if err == errNoChange && exists {
		return &result{kind: resVoid}, nil
	}
	if err != nil {
		return nil, err
	}
	x.n.c.tableCreated(t)
	return x.schemaChange("CREATED", "TABLE", ksName, s.Table), nil
}

func (x *execCtx) alterTable(s *cql.AlterTable) (*result, error) {
	k := x.n.c.schema
	ksName := x.keyspaceOf(s.Keyspace)
	if isSystemKeyspace(ksName) {
		return nil, &native.Error{Code: native.ErrUnauthorized, Message: ksName + " keyspace is not user-modifiable."}
	}
	err := k.update(func(m map[string]*schema.Keyspace) error {
		ks := m[ksName]
		if ks == nil {
			return invalid("Keyspace '%s' doesn't exist", ksName)
		}
		old := ks.Table(s.Table)
		if old == nil {
			if s.IfExists {
				return errNoChange
			}
			return invalid("Table '%s.%s' doesn't exist", ksName, s.Table)
		}
		nt := *old
		nt.Columns = append([]*schema.Column{}, old.Columns...)
		switch {
		case len(s.Add) > 0:
			for _, d := range s.Add {
				if nt.Column(d.Name) != nil {
					return invalid("Column with name '%s' already exists", d.Name)
				}
				kd := schema.Regular
				if d.Static {
					if len(nt.Clustering) == 0 {
						return invalid("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
					}
					kd = schema.Static
				}
				nt.Columns = append(nt.Columns, &schema.Column{Name: d.Name, Type: d.Type, Kind: kd, Position: -1, ClusteringOrder: "none"})
			}
		case len(s.Drop) > 0:
			for _, name := range s.Drop {
				c := nt.Column(name)
				if c == nil {
					return invalid("Column %s was not found in table '%s'", name, s.Table)
				}
				if c.Kind == schema.PartitionKey || c.Kind == schema.Clustering {
					return invalid("Cannot drop PRIMARY KEY column %s", name)
				}
				var keep []*schema.Column
				for _, cc := range nt.Columns {
					if cc.Name != name {
						keep = append(keep, cc)
					}
				}
				nt.Columns = keep
			}
		case len(s.Rename) > 0:
			return invalid("Renaming columns is not supported by the ringside simulator")
		default:
			opts, err := x.tableOptions(s.Properties, old.Options)
			if err != nil {
				return err
			}
			nt.Options = opts
		}
		sort.Slice(nt.Columns, func(i, j int) bool { return nt.Columns[i].Name < nt.Columns[j].Name })
		nk := *ks
		nk.Tables = nil
		for _, t := range ks.Tables {
			if t == old {
				nk.Tables = append(nk.Tables, &nt)
			} else {
				nk.Tables = append(nk.Tables, t)
			}
		}
		m[ksName] = &nk
		return nil
	})
	if err == errNoChange {
		return &result{kind: resVoid}, nil
	}
	if err != nil {
		return nil, err
	}
	return x.schemaChange("UPDATED", "TABLE", ksName, s.Table), nil
}
