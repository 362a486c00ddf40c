package sim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

// selector computes one output column.
type selector struct {
	name string
	typ  cqltype.Type
	agg  string // count, min, max, sum, avg; "" for a plain selector
	eval func(r *vrow) any
}

// selectOrder is the order SELECT * returns columns in: partition key,
// clustering, then static and regular columns by name (TableMetadata).
func selectOrder(t *schema.Table) []*schema.Column {
	out := append([]*schema.Column{}, t.PartitionKey...)
	out = append(out, t.Clustering...)
	for _, kind := range []schema.Kind{schema.Static, schema.Regular} {
		for _, c := range t.Columns {
			if c.Kind == kind {
				out = append(out, c)
			}
		}
	}
	return out
}

func colSelector(c *schema.Column) selector {
	name := c.Name
	return selector{name: name, typ: c.Type, eval: func(r *vrow) any { return r.vals[name] }}
}

func (x *execCtx) selection(t *schema.Table, s *cql.Select) ([]selector, []native.ColumnSpec, error) {
	var sels []selector
	if s.Star {
		for _, c := range selectOrder(t) {
			sels = append(sels, colSelector(c))
		}
	} else {
		for _, sel := range s.Selectors {
			f, err := x.buildSelector(t, sel)
			if err != nil {
				return nil, nil, err
			}
			if sel.Alias != "" {
				f.name = sel.Alias
			}
			sels = append(sels, f)
		}
	}
	specs := make([]native.ColumnSpec, len(sels))
	for i, f := range sels {
		specs[i] = native.ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: f.name, Type: f.typ}
	}
	return sels, specs, nil
}

func (x *execCtx) buildSelector(t *schema.Table, sel cql.Selector) (selector, error) {
	switch sel.Kind {
	case cql.SelColumn:
		c := t.Column(sel.Column)
		if c == nil {
			return selector{}, undefinedColumn(t, sel.Column)
		}
		return colSelector(c), nil
	case cql.SelCountStar:
		return selector{name: "count", typ: cqltype.BigintT, agg: "count"}, nil
	case cql.SelTerm:
		v, err := sel.Term.Eval(cqltype.TextT, x.binder)
		if err != nil {
			return selector{}, asNative(err)
		}
		return selector{name: sel.Term.Text, typ: cqltype.TextT, eval: func(*vrow) any { return v }}, nil
	}
	// Functions.
	argCol := func() (*schema.Column, error) {
		if len(sel.Args) != 1 || sel.Args[0].Kind != cql.SelColumn {
			return nil, invalid("Invalid number of arguments in call to function %s: 1 required", sel.Func)
		}
		c := t.Column(sel.Args[0].Column)
		if c == nil {
			return nil, undefinedColumn(t, sel.Args[0].Column)
		}
		return c, nil
	}
	switch sel.Func {
	case "ttl", "writetime":
		c, err := argCol()
		if err != nil {
			return selector{}, err
		}
		if c.Kind == schema.PartitionKey || c.Kind == schema.Clustering {
			return selector{}, invalid("Cannot use selection function %s on PRIMARY KEY part %s", sel.Func, c.Name)
		}
		name := c.Name
		if sel.Func == "ttl" {
			return selector{name: "ttl(" + name + ")", typ: cqltype.IntT, eval: func(r *vrow) any {
				if v, ok := r.ttl[name]; ok {
					return v
				}
				return nil
			}}, nil
		}
		return selector{name: "writetime(" + name + ")", typ: cqltype.BigintT, eval: func(r *vrow) any {
			if v, ok := r.wt[name]; ok {
				return v
			}
			return nil
		}}, nil
	case "token":
		var names []string
		for _, a := range sel.Args {
			names = append(names, a.Column)
		}
		if len(names) != len(t.PartitionKey) {
			return selector{}, invalid("Invalid number of arguments in call to function system.token: %d required but %d provided", len(t.PartitionKey), len(names))
		}
		return selector{name: "system.token(" + strings.Join(names, ", ") + ")", typ: cqltype.BigintT, eval: func(r *vrow) any { return r.tok }}, nil
	case "count", "min", "max", "sum", "avg":
		c, err := argCol()
		if err != nil {
			if sel.Func == "count" && len(sel.Args) == 1 && sel.Args[0].Kind == cql.SelTerm {
				return selector{name: "count", typ: cqltype.BigintT, agg: "count"}, nil
			}
			return selector{}, err
		}
		f := colSelector(c)
		f.name = "system." + sel.Func + "(" + c.Name + ")"
		f.agg = sel.Func
		if sel.Func == "count" {
			f.typ = cqltype.BigintT
		}
		return f, nil
	case "tojson":
		c, err := argCol()
		if err != nil {
			return selector{}, err
		}
		name, typ := c.Name, c.Type
		return selector{name: "system.tojson(" + name + ")", typ: cqltype.TextT, eval: func(r *vrow) any { return jsonValue(typ, r.vals[name]) }}, nil
	}
	return selector{}, invalid("Unknown function '%s'", sel.Func)
}

// project evaluates the selectors over rows and marshals the cells.
func project(t *schema.Table, sels []selector, rows []*vrow) ([][][]byte, error) {
	hasAgg := false
	for _, s := range sels {
		if s.agg != "" {
			hasAgg = true
		}
	}
	var vals [][]any
	if hasAgg {
		out := make([]any, len(sels))
		for i, s := range sels {
			out[i] = aggregate(s, rows)
		}
		vals = [][]any{out}
	} else {
		vals = make([][]any, len(rows))
		for k, r := range rows {
			out := make([]any, len(sels))
			for i, s := range sels {
				out[i] = s.eval(r)
			}
			vals[k] = out
		}
	}
	res := make([][][]byte, len(vals))
	for k, row := range vals {
		cells := make([][]byte, len(row))
		for i, v := range row {
			if v == nil {
				continue
			}
			b, err := cqltype.Marshal(sels[i].typ, v)
			if err != nil {
				return nil, serverErr("cannot encode %s: %v", sels[i].name, err)
			}
			cells[i] = b
		}
		res[k] = cells
	}
	return res, nil
}

func aggregate(s selector, rows []*vrow) any {
	switch s.agg {
	case "":
		if len(rows) == 0 {
			return nil
		}
		return s.eval(rows[0])
	case "count":
		n := int64(0)
		for _, r := range rows {
			if s.eval == nil || s.eval(r) != nil {
				n++
			}
		}
		return n
	case "min", "max":
		var best any
		for _, r := range rows {
			v := s.eval(r)
			if v == nil {
				continue
			}
			if best == nil || (s.agg == "min") == (cqltype.Compare(s.typ, v, best) < 0) {
				best = v
			}
		}
		return best
	case "sum", "avg":
		sum := new(big.Float)
		n := 0
		for _, r := range rows {
			if f, ok := toFloat(s.eval(r)); ok {
				sum.Add(sum, big.NewFloat(f))
				n++
			}
		}
		if s.agg == "avg" && n > 0 {
			sum.Quo(sum, big.NewFloat(float64(n)))
		}
		f, _ := sum.Float64()
		return fromFloat(s.typ, f)
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func fromFloat(t cqltype.Type, f float64) any {
	switch t.ID {
	case cqltype.Tinyint:
		return int8(f)
	case cqltype.Smallint:
		return int16(f)
	case cqltype.Int:
		return int32(f)
	case cqltype.Bigint, cqltype.Counter:
		return int64(f)
	case cqltype.Float:
		return float32(f)
	}
	return f
}

// jsonValue renders a value as toJson() does.
func jsonValue(t cqltype.Type, v any) string {
	if v == nil {
		return "null"
	}
	switch t.ID {
	case cqltype.Int, cqltype.Bigint, cqltype.Smallint, cqltype.Tinyint, cqltype.Counter, cqltype.Float, cqltype.Double, cqltype.Varint, cqltype.DecimalID, cqltype.Boolean:
		return cqltype.Format(t, v)
	case cqltype.List, cqltype.Set:
		var parts []string
		for _, e := range v.([]any) {
			parts = append(parts, jsonValue(t.Elems[0], e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case cqltype.Map:
		var parts []string
		for _, p := range v.([]cqltype.Pair) {
			k := jsonValue(t.Elems[0], p.Key)
			if !strings.HasPrefix(k, "\"") {
				k = fmt.Sprintf("%q", k)
			}
			parts = append(parts, k+": "+jsonValue(t.Elems[1], p.Value))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	s := cqltype.Format(t, v)
	if t.ID == cqltype.Varchar || t.ID == cqltype.Ascii {
		s = v.(string)
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// toJSONRows turns rows into SELECT JSON's single "[json]" column.
func toJSONRows(specs []native.ColumnSpec, rows [][][]byte) ([][][]byte, []native.ColumnSpec) {
	out := make([][][]byte, len(rows))
	for i, r := range rows {
		var parts []string
		for k, cell := range r {
			var v any
			if cell != nil {
				v, _ = cqltype.Unmarshal(specs[k].Type, cell)
			}
			parts = append(parts, fmt.Sprintf("%q: %s", specs[k].Name, jsonValue(specs[k].Type, v)))
		}
		out[i] = [][]byte{[]byte("{" + strings.Join(parts, ", ") + "}")}
	}
	ks, tb := "", ""
	if len(specs) > 0 {
		ks, tb = specs[0].Keyspace, specs[0].Table
	}
	return out, []native.ColumnSpec{{Keyspace: ks, Table: tb, Name: "[json]", Type: cqltype.TextT}}
}
