package sim

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

// vrow is one CQL row on its way to the client.
type vrow struct {
	vals map[string]any
	wt   map[string]int64
	ttl  map[string]int32
	tok  int64
	pk   []any
	ck   []any
}

// restriction is a WHERE relation with its right-hand side evaluated.
type restriction struct {
	rel   cql.Relation
	cols  []*schema.Column
	vals  []any // one value, or the IN list; multi-column: tuples as []any
	token bool
}

func undefinedColumn(t *schema.Table, name string) error {
	return invalid("Undefined column name %s in table %s.%s", name, t.Keyspace, t.Name)
}

func (x *execCtx) keyspaceOf(ks string) string {
	if ks == "" {
		return x.ks
	}
	return ks
}

// evalRestrictions evaluates the WHERE clause against table t.
func (x *execCtx) evalRestrictions(t *schema.Table, rels []cql.Relation) ([]restriction, error) {
	out := make([]restriction, 0, len(rels))
	for _, r := range rels {
		rs := restriction{rel: r, token: r.Token}
		for _, name := range r.Columns {
			c := t.Column(name)
			if c == nil {
				return nil, undefinedColumn(t, name)
			}
			rs.cols = append(rs.cols, c)
		}
		if r.Token {
			v, err := x.tokenValue(t, r.Value)
			if err != nil {
				return nil, err
			}
			rs.vals = []any{v}
			out = append(out, rs)
			continue
		}
		typ := rs.cols[0].Type
		if r.Key != nil || r.Op == "CONTAINS" {
			if typ.ID == cqltype.Map && r.Key != nil {
				typ = typ.Elems[1]
			} else if typ.ID == cqltype.Map {
				typ = typ.Elems[1]
			} else if typ.IsCollection() {
				typ = typ.Elems[0]
			}
		}
		if r.Op == "CONTAINS KEY" {
			typ = rs.cols[0].Type.Elems[0]
		}
		if len(rs.cols) > 1 {
			types := make([]cqltype.Type, len(rs.cols))
			for i, c := range rs.cols {
				types[i] = c.Type
			}
			typ = cqltype.TupleOf(types...)
		}
		if r.Op == "IN" {
			vals, err := r.Value.EvalIn(r.Columns[0], typ, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			rs.vals = vals
		} else {
			v, err := r.Value.EvalFor(r.Columns[0], typ, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			if v == cql.Unset {
				return nil, invalid("Invalid unset value for column %s", r.Columns[0])
			}
			if v == nil && r.Op != "!=" && r.Op != "=" {
				return nil, invalid("Invalid null value in condition for column %s", r.Columns[0])
			}
			rs.vals = []any{v}
		}
		if r.Key != nil {
			k, err := r.Key.Eval(rs.cols[0].Type.Elems[0], x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			rs.vals = append(rs.vals, k) // last element: the map key
		}
		out = append(out, rs)
	}
	return out, nil
}

// tokenValue evaluates the right side of a token() relation: a bigint
// (literal or marker), or token(values…) computed like the partitioner does.
func (x *execCtx) tokenValue(t *schema.Table, v cql.Term) (any, error) {
	if v.Kind != cql.TermFunc || v.Func != "token" {
		out, err := v.Eval(cqltype.BigintT, x.binder)
		return out, asNative(err)
	}
	if len(v.Args) != len(t.PartitionKey) {
		return nil, invalid("Invalid number of arguments in call to function system.token: %d required but %d provided", len(t.PartitionKey), len(v.Args))
	}
	pk := make([]any, len(v.Args))
	for i, a := range v.Args {
		val, err := a.EvalFor(t.PartitionKey[i].Name, t.PartitionKey[i].Type, x.binder)
		if err != nil {
			return nil, asNative(err)
		}
		pk[i] = val
	}
	key, err := serializeKey(t, pk)
	if err != nil {
		return nil, err
	}
	return tokenOf(key), nil
}

// match reports whether row satisfies one restriction.
func (rs *restriction) match(r *vrow) bool {
	if rs.token {
		v, _ := rs.vals[0].(int64)
		return cmpOp(rs.rel.Op, compareInt(r.tok, v))
	}
	if len(rs.cols) > 1 {
		cur := make([]any, len(rs.cols))
		types := make([]cqltype.Type, len(rs.cols))
		for i, c := range rs.cols {
			cur[i] = r.vals[c.Name]
			types[i] = c.Type
		}
		tt := cqltype.TupleOf(types...)
		if rs.rel.Op == "IN" {
			for _, v := range rs.vals {
				if cqltype.Compare(tt, cur, v) == 0 {
					return true
				}
			}
			return false
		}
		return cmpOp(rs.rel.Op, cqltype.Compare(tt, cur, rs.vals[0]))
	}
	c := rs.cols[0]
	v := r.vals[c.Name]
	switch rs.rel.Op {
	case "IN":
		for _, w := range rs.vals {
			if v != nil && cqltype.Compare(c.Type, v, w) == 0 {
				return true
			}
		}
		return false
	case "CONTAINS":
		return contains(c.Type, v, rs.vals[0], false)
	case "CONTAINS KEY":
		return contains(c.Type, v, rs.vals[0], true)
	case "LIKE":
		s, _ := v.(string)
		p, _ := rs.vals[0].(string)
		return like(s, p)
	}
	if rs.rel.Key != nil {
		key := rs.vals[len(rs.vals)-1]
		var elem any
		if pairs, ok := v.([]cqltype.Pair); ok {
			for _, p := range pairs {
				if cqltype.Compare(c.Type.Elems[0], p.Key, key) == 0 {
					elem = p.Value
				}
			}
		}
		if elem == nil {
			return false
		}
		return cmpOp(rs.rel.Op, cqltype.Compare(c.Type.Elems[1], elem, rs.vals[0]))
	}
	if v == nil || rs.vals[0] == nil {
		if rs.rel.Op == "!=" {
			return (v == nil) != (rs.vals[0] == nil)
		}
		return false
	}
	return cmpOp(rs.rel.Op, cqltype.Compare(c.Type, v, rs.vals[0]))
}

func like(s, p string) bool {
	switch {
	case strings.HasPrefix(p, "%") && strings.HasSuffix(p, "%") && len(p) >= 2:
		return strings.Contains(s, p[1:len(p)-1])
	case strings.HasPrefix(p, "%"):
		return strings.HasSuffix(s, p[1:])
	case strings.HasSuffix(p, "%"):
		return strings.HasPrefix(s, p[:len(p)-1])
	}
	return s == p
}

func contains(t cqltype.Type, coll, v any, key bool) bool {
	switch c := coll.(type) {
	case []any:
		for _, e := range c {
			if cqltype.Compare(t.Elems[0], e, v) == 0 {
				return true
			}
		}
	case []cqltype.Pair:
		for _, p := range c {
			if key && cqltype.Compare(t.Elems[0], p.Key, v) == 0 || !key && cqltype.Compare(t.Elems[1], p.Value, v) == 0 {
				return true
			}
		}
	}
	return false
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpOp(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// partitionKeys returns the serialised partition keys fully restricted by
// = / IN, or ok=false when the partition key is not fully restricted.
func partitionKeys(t *schema.Table, rs []restriction) (keys [][]any, ok bool) {
	keys = [][]any{{}}
	for _, c := range t.PartitionKey {
		var vals []any
		found := false
		for i := range rs {
			r := &rs[i]
			if r.token || len(r.cols) != 1 || r.cols[0] != c {
				continue
			}
			if r.rel.Op == "=" {
				vals, found = []any{r.vals[0]}, true
			} else if r.rel.Op == "IN" {
				vals, found = r.vals, true
			}
		}
		if !found {
			return nil, false
		}
		var next [][]any
		for _, k := range keys {
			for _, v := range vals {
				nk := append(append([]any{}, k...), v)
				next = append(next, nk)
			}
		}
		keys = next
	}
	return keys, true
}

// serializeKey builds the partition key bytes the partitioner hashes: the
// single component's value, or CompositeType encoding for several
// (2-byte length, bytes, end-of-component 0).
func serializeKey(t *schema.Table, pk []any) (string, error) {
	if len(t.PartitionKey) == 1 {
		b, err := cqltype.Marshal(t.PartitionKey[0].Type, pk[0])
		if err != nil {
			return "", invalid("Invalid value for partition key %s: %v", t.PartitionKey[0].Name, err)
		}
		return string(b), nil
	}
	var out []byte
	for i, c := range t.PartitionKey {
		b, err := cqltype.Marshal(c.Type, pk[i])
		if err != nil {
			return "", invalid("Invalid value for partition key %s: %v", c.Name, err)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
		out = append(out, 0)
	}
	return string(out), nil
}

func tokenOf(key string) int64 { return int64(ring.Murmur3Token([]byte(key))) }

// checkRestrictions enforces the query-shape rules of StatementRestrictions.
func checkRestrictions(t *schema.Table, rs []restriction, allowFiltering bool, generated bool) error {
	const filteringMsg = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
	if allowFiltering {
		return nil
	}
	pkRestricted := 0
	restricted := map[string]bool{}
	needsFiltering := false
	for _, r := range rs {
		if r.token {
			continue
		}
		for _, c := range r.cols {
			restricted[c.Name] = true
			switch c.Kind {
			case schema.PartitionKey:
				if r.rel.Op != "=" && r.rel.Op != "IN" {
					needsFiltering = true
				}
				pkRestricted++
			case schema.Regular, schema.Static:
				needsFiltering = true
			}
			if r.rel.Op == "!=" || r.rel.Op == "LIKE" || r.rel.Op == "CONTAINS" || r.rel.Op == "CONTAINS KEY" {
				needsFiltering = true
			}
		}
	}
	if pkRestricted > 0 && pkRestricted < len(t.PartitionKey) {
		needsFiltering = true
	}
	for i, c := range t.Clustering {
		if restricted[c.Name] {
			if pkRestricted == 0 && !generated {
				needsFiltering = true
			}
			for _, p := range t.Clustering[:i] {
				if !restricted[p.Name] {
					if pkRestricted > 0 {
						return invalid("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted", c.Name, p.Name)
					}
					needsFiltering = true
				}
			}
		}
	}
	if needsFiltering {
		return invalid(filteringMsg)
	}
	return nil
}

// execSelect runs a SELECT.
func (x *execCtx) execSelect(s *cql.Select) (*result, error) {
	ksName := x.keyspaceOf(s.Keyspace)
	ks, t, err := x.n.c.schema.table(ksName, s.Table)
	if err != nil {
		return nil, err
	}
	sels, specs, err := x.selection(t, s)
	if err != nil {
		return nil, err
	}
	rs, err := x.evalRestrictions(t, s.Where)
	if err != nil {
		return nil, err
	}
	gen := generator(ks, t)
	if err := checkRestrictions(t, rs, s.AllowFiltering, gen != nil); err != nil {
		return nil, err
	}
	for _, o := range s.OrderBy {
		c := t.Column(o.Column)
		if c == nil {
			return nil, undefinedColumn(t, o.Column)
		}
		if c.Kind != schema.Clustering {
			return nil, invalid("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", o.Column)
		}
	}
	var rows []*vrow
	if gen != nil {
		rows = x.generate(gen, t)
	} else {
		rows, err = x.readRows(ks, t, rs)
		if err != nil {
			return nil, err
		}
	}
	// Filter.
	kept := rows[:0]
	for _, r := range rows {
		ok := true
		for i := range rs {
			if !rs[i].match(r) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, r)
		}
	}
	rows = kept
	sortRows(t, rows, gen != nil)
	if len(s.OrderBy) > 0 && s.OrderBy[0].Desc != (t.Column(s.OrderBy[0].Column).ClusteringOrder == "desc") {
		reverseWithinPartitions(rows)
	}
	if s.Distinct {
		rows = distinct(t, rows)
	}
	if s.PerPartitionLimit != nil {
		n, err := x.limitValue(*s.PerPartitionLimit, "[per_partition_limit]")
		if err != nil {
			return nil, err
		}
		rows = perPartitionLimit(rows, n)
	}
	out, err := project(t, sels, rows)
	if err != nil {
		return nil, err
	}
	if s.Limit != nil {
		n, err := x.limitValue(*s.Limit, "[limit]")
		if err != nil {
			return nil, err
		}
		if len(out) > n {
			out = out[:n]
		}
	}
	if s.JSON {
		out, specs = toJSONRows(specs, out)
	}
	return x.page(specs, out, s)
}

func (x *execCtx) limitValue(t cql.Term, name string) (int, error) {
	v, err := t.Eval(cqltype.IntT, x.binder)
	if err != nil {
		return 0, asNative(err)
	}
	n, ok := v.(int32)
	if !ok || n <= 0 {
		return 0, invalid("LIMIT must be strictly positive")
	}
	return int(n), nil
}

// page slices the result by the request's page size. The paging state is
// the offset of the next row and a hash of the statement.
func (x *execCtx) page(specs []native.ColumnSpec, rows [][][]byte, s *cql.Select) (*result, error) {
	off := 0
	if len(x.paging) == 12 {
		off = int(binary.BigEndian.Uint64(x.paging[4:]))
		if off < 0 || off > len(rows) {
			return nil, &native.Error{Code: native.ErrProtocol, Message: "Invalid value for the paging state"}
		}
	} else if len(x.paging) != 0 {
		return nil, &native.Error{Code: native.ErrProtocol, Message: "Invalid value for the paging state"}
	}
	res := &result{kind: resRows, cols: specs}
	end := len(rows)
	if x.pageSize > 0 && off+int(x.pageSize) < len(rows) {
		end = off + int(x.pageSize)
		st := make([]byte, 12)
		binary.BigEndian.PutUint32(st, 0x72696e67)
		binary.BigEndian.PutUint64(st[4:], uint64(end))
		res.paging = st
	}
	res.rows = rows[off:end]
	_ = s
	return res, nil
}

func sortRows(t *schema.Table, rows []*vrow, generated bool) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !generated && a.tok != b.tok {
			return a.tok < b.tok
		}
		for k, c := range t.PartitionKey {
			if k < len(a.pk) && k < len(b.pk) {
				if d := cqltype.Compare(c.Type, a.pk[k], b.pk[k]); d != 0 {
					return d < 0
				}
			}
		}
		return compareCK(t, a.ck, b.ck) < 0
	})
}

func samePartition(a, b *vrow) bool {
	if len(a.pk) != len(b.pk) {
		return false
	}
	for i := range a.pk {
		if fmt.Sprint(a.pk[i]) != fmt.Sprint(b.pk[i]) {
			return false
		}
	}
	return a.tok == b.tok
}

func reverseWithinPartitions(rows []*vrow) {
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && samePartition(rows[i], rows[j]) {
			j++
		}
		for a, b := i, j-1; a < b; a, b = a+1, b-1 {
			rows[a], rows[b] = rows[b], rows[a]
		}
		i = j
	}
}

func distinct(t *schema.Table, rows []*vrow) []*vrow {
	var out []*vrow
	for _, r := range rows {
		if len(out) > 0 && samePartition(out[len(out)-1], r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func perPartitionLimit(rows []*vrow, n int) []*vrow {
	var out []*vrow
	count := 0
	for i, r := range rows {
		if i == 0 || !samePartition(rows[i-1], r) {
			count = 0
		}
		if count < n {
			out = append(out, r)
		}
		count++
	}
	return out
}

// readRows fetches the rows of a stored table at the request's consistency.
func (x *execCtx) readRows(ks *schema.Keyspace, t *schema.Table, rs []restriction) ([]*vrow, error) {
	keys, ok := partitionKeys(t, rs)
	var parts []*partition
	if ok {
		for _, pk := range keys {
			key, err := serializeKey(t, pk)
			if err != nil {
				return nil, err
			}
			p, err := x.readPartition(ks, t, key, pk)
			if err != nil {
				return nil, err
			}
			if p != nil {
				parts = append(parts, p)
			}
		}
	} else {
		var err error
		parts, err = x.scanTable(ks, t)
		if err != nil {
			return nil, err
		}
	}
	var out []*vrow
	now := nowSec()
	for _, p := range parts {
		out = append(out, partitionRows(t, p, now)...)
	}
	return out, nil
}

// partitionRows turns a partition into its live CQL rows. A partition with
// live static cells but no live rows yields one row with null clustering columns.
func partitionRows(t *schema.Table, p *partition, now int64) []*vrow {
	var out []*vrow
	base := func() *vrow {
		r := &vrow{vals: map[string]any{}, wt: map[string]int64{}, ttl: map[string]int32{}, tok: p.tok, pk: p.pk}
		for i, c := range t.PartitionKey {
			r.vals[c.Name] = p.pk[i]
		}
		for name, c := range p.static {
			if c.live(now, p.del) {
				r.vals[name] = c.v
				r.wt[name] = c.ts
				if c.exp != 0 {
					r.ttl[name] = int32(c.exp - now)
				}
			}
		}
		return r
	}
	for _, rw := range p.rows {
		shadow := p.del
		if rw.del > shadow {
			shadow = rw.del
		}
		alive := rw.marker.live(now, shadow)
		r := base()
		r.ck = rw.ck
		for i, c := range t.Clustering {
			r.vals[c.Name] = rw.ck[i]
		}
		for name, c := range rw.cells {
			if c.live(now, shadow) {
				alive = true
				r.vals[name] = c.v
				r.wt[name] = c.ts
				if c.exp != 0 {
					r.ttl[name] = int32(c.exp - now)
				}
			}
		}
		if alive {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		r := base()
		hasStatic := false
		for _, c := range t.Columns {
			if c.Kind == schema.Static && r.vals[c.Name] != nil {
				hasStatic = true
			}
		}
		if hasStatic || (len(t.Clustering) == 0 && false) {
			out = append(out, r)
		}
	}
	return out
}
