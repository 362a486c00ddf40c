package sim

import (
	"sort"

	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

// noBinds is the binder used while describing a statement: no values yet.
type noBinds struct{}

func (noBinds) Bind(int, string, cqltype.Type) (any, error) { return nil, nil }

// describe computes a prepared statement's bind metadata (each marker's
// receiver, named as Cassandra's ColumnSpecification does: the column,
// "[limit]", "[ttl]", "[timestamp]", "in(c)", "key(m)", "value(m)",
// "partition key token"), the partition-key bind indexes drivers route by,
// and the result metadata.
func (x *execCtx) describe(stmt cql.Statement) ([]native.ColumnSpec, []uint16, []native.ColumnSpec, error) {
	specs := map[int]native.ColumnSpec{}
	var t *schema.Table
	var result []native.ColumnSpec
	var where []cql.Relation
	pkBinds := map[string]int{}
	x.binder = noBinds{}

	spec := func(name string, typ cqltype.Type) native.ColumnSpec {
		return native.ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: name, Type: typ}
	}
	var visit func(term cql.Term, name string, typ cqltype.Type)
	visit = func(term cql.Term, name string, typ cqltype.Type) {
		switch term.Kind {
		case cql.TermBind:
			n := name
			if term.BindName != "" {
				n = term.BindName
			}
			specs[term.Bind] = spec(n, typ)
		case cql.TermList, cql.TermSet:
			if len(typ.Elems) > 0 {
				for _, e := range term.Elems {
					visit(e, name, typ.Elems[0])
				}
			}
		case cql.TermMap:
			if len(typ.Elems) == 2 {
				for i, e := range term.Elems {
					visit(term.Keys[i], name, typ.Elems[0])
					visit(e, name, typ.Elems[1])
				}
			}
		case cql.TermTuple:
			for i, e := range term.Elems {
				if i < len(typ.Elems) {
					visit(e, name, typ.Elems[i])
				}
			}
		case cql.TermCast:
			if len(term.Elems) > 0 {
				visit(term.Elems[0], name, term.Type)
			}
		}
	}
	using := func(u cql.Using) {
		if u.TTL != nil {
			visit(*u.TTL, "[ttl]", cqltype.IntT)
		}
		if u.Timestamp != nil {
			visit(*u.Timestamp, "[timestamp]", cqltype.BigintT)
		}
	}
	resolve := func(ks, table string) error {
		_, tb, err := x.n.c.schema.table(x.keyspaceOf(ks), table)
		t = tb
		return err
	}
	conds := func(cs []cql.Condition) error {
		for _, c := range cs {
			col := t.Column(c.Column)
			if col == nil {
				return undefinedColumn(t, c.Column)
			}
			typ, name := col.Type, col.Name
			if c.Key != nil && len(typ.Elems) > 0 {
				visit(*c.Key, "key("+name+")", typ.Elems[0])
				if typ.ID == cqltype.Map {
					typ = typ.Elems[1]
				} else {
					typ = typ.Elems[0]
				}
				name = "value(" + name + ")"
			}
			if c.Op == "IN" && c.Value.Kind == cql.TermBind {
				visit(c.Value, "in("+col.Name+")", cqltype.ListOf(typ))
			} else if c.Op == "IN" {
				for _, e := range c.Value.Elems {
					visit(e, name, typ)
				}
			} else {
				visit(c.Value, name, typ)
			}
		}
		return nil
	}
	switch s := stmt.(type) {
	case *cql.Select:
		if err := resolve(s.Keyspace, s.Table); err != nil {
			return nil, nil, nil, err
		}
		_, res, err := x.selection(t, s)
		if err != nil {
			return nil, nil, nil, err
		}
		result = res
		if s.JSON {
			result = []native.ColumnSpec{spec("[json]", cqltype.TextT)}
		}
		where = s.Where
		if s.PerPartitionLimit != nil {
			visit(*s.PerPartitionLimit, "[per_partition_limit]", cqltype.IntT)
		}
		if s.Limit != nil {
			visit(*s.Limit, "[limit]", cqltype.IntT)
		}
	case *cql.Insert:
		if err := resolve(s.Keyspace, s.Table); err != nil {
			return nil, nil, nil, err
		}
		for i, name := range s.Columns {
			col := t.Column(name)
			if col == nil {
				return nil, nil, nil, undefinedColumn(t, name)
			}
			if i < len(s.Values) {
				visit(s.Values[i], name, col.Type)
				if col.Kind == schema.PartitionKey && s.Values[i].Kind == cql.TermBind {
					pkBinds[name] = s.Values[i].Bind
				}
			}
		}
		if s.JSON != nil {
			visit(*s.JSON, "[json]", cqltype.TextT)
		}
		using(s.Using)
	case *cql.Update:
		if err := resolve(s.Keyspace, s.Table); err != nil {
			return nil, nil, nil, err
		}
		using(s.Using)
		for _, a := range s.Set {
			col := t.Column(a.Column)
			if col == nil {
				return nil, nil, nil, undefinedColumn(t, a.Column)
			}
			typ := col.Type
			switch {
			case a.Op == cql.AssignElement && len(typ.Elems) > 0:
				if typ.ID == cqltype.Map {
					visit(*a.Key, "key("+col.Name+")", typ.Elems[0])
					visit(a.Value, "value("+col.Name+")", typ.Elems[1])
				} else {
					visit(*a.Key, "idx("+col.Name+")", cqltype.IntT)
					visit(a.Value, "value("+col.Name+")", typ.Elems[0])
				}
				continue
			case typ.ID == cqltype.Counter:
				typ = cqltype.BigintT
			case a.Op == cql.AssignRemove && typ.ID == cqltype.Map:
				typ = cqltype.SetOf(typ.Elems[0])
			}
			visit(a.Value, col.Name, typ)
		}
		where = s.Where
		if err := conds(s.If); err != nil {
			return nil, nil, nil, err
		}
	case *cql.Delete:
		if err := resolve(s.Keyspace, s.Table); err != nil {
			return nil, nil, nil, err
		}
		for _, d := range s.Columns {
			col := t.Column(d.Column)
			if col == nil {
				return nil, nil, nil, undefinedColumn(t, d.Column)
			}
			if d.Key != nil && len(col.Type.Elems) > 0 {
				visit(*d.Key, "key("+col.Name+")", col.Type.Elems[0])
			}
		}
		using(s.Using)
		where = s.Where
		if err := conds(s.If); err != nil {
			return nil, nil, nil, err
		}
	case *cql.Batch:
		var all []native.ColumnSpec
		for _, st := range s.Statements {
			b, _, _, err := x.describe(st)
			if err != nil {
				return nil, nil, nil, err
			}
			all = append(all, b...)
		}
		return all, nil, nil, nil
	default:
		return nil, nil, nil, nil
	}
	for _, r := range where {
		if r.Token {
			visit(r.Value, "partition key token", cqltype.BigintT)
			continue
		}
		var cols []*schema.Column
		for _, n := range r.Columns {
			c := t.Column(n)
			if c == nil {
				return nil, nil, nil, undefinedColumn(t, n)
			}
			cols = append(cols, c)
		}
		typ := cols[0].Type
		name := cols[0].Name
		if len(cols) > 1 {
			var ts []cqltype.Type
			for _, c := range cols {
				ts = append(ts, c.Type)
			}
			typ = cqltype.TupleOf(ts...)
		}
		switch {
		case r.Op == "CONTAINS" && len(typ.Elems) > 0:
			typ = typ.Elems[len(typ.Elems)-1]
		case r.Op == "CONTAINS KEY" && len(typ.Elems) > 0:
			typ = typ.Elems[0]
		case r.Key != nil && len(typ.Elems) == 2:
			visit(*r.Key, "key("+name+")", typ.Elems[0])
			typ, name = typ.Elems[1], "value("+name+")"
		}
		if r.Op == "IN" && r.Value.Kind == cql.TermBind {
			visit(r.Value, "in("+name+")", cqltype.ListOf(typ))
			continue
		}
		if r.Op == "IN" {
			for _, e := range r.Value.Elems {
				visit(e, name, typ)
			}
			continue
		}
		visit(r.Value, name, typ)
		if len(cols) == 1 && cols[0].Kind == schema.PartitionKey && r.Op == "=" && r.Value.Kind == cql.TermBind {
			pkBinds[name] = r.Value.Bind
		}
	}
	idx := make([]int, 0, len(specs))
	for i := range specs {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	binds := make([]native.ColumnSpec, len(idx))
	for i, k := range idx {
		binds[i] = specs[k]
	}
	var pk []uint16
	for _, c := range t.PartitionKey {
		b, ok := pkBinds[c.Name]
		if !ok {
			pk = nil
			break
		}
		pk = append(pk, uint16(b))
	}
	return binds, pk, result, nil
}
