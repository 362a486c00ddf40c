package sim

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
	"github.com/ringside/ringside/sim/schema"
)

type batchItem struct {
	stmt   cql.Statement
	ks     string
	binder cql.Binder
}

// lockTable serialises read-modify-write updates (counters, list ops) per
// partition, cluster-wide. Lightweight transactions do not lock: they run
// Paxos (paxos.go) over the replicas' state kept here.
type lockTable struct {
	m      sync.Map
	paxos  paxosStates
	faults lwtFaults
}

func (l *lockTable) lock(key string) func() {
	v, _ := l.m.LoadOrStore(key, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

var lastTS atomic.Int64

// nowMicros is a strictly increasing microsecond clock, as ClientState.getTimestamp.
func nowMicros() int64 {
	for {
		now := time.Now().UnixMicro()
		last := lastTS.Load()
		if now <= last {
			now = last + 1
		}
		if lastTS.CompareAndSwap(last, now) {
			return now
		}
	}
}

type evalAssign struct {
	col *schema.Column
	op  cql.AssignOp
	key any
	val any
}

type evalCond struct {
	col  *schema.Column
	op   string
	key  any
	vals []any
}

type delTarget struct {
	col    *schema.Column
	key    any
	hasKey bool
}

// modPlan is a modification statement with everything evaluated.
type modPlan struct {
	ks          *schema.Keyspace
	t           *schema.Table
	kind        string // insert, update, delete
	keys        [][]any
	cks         [][]any // nil: no clustering restriction
	ts          int64
	ttl         int32
	values      map[string]any // INSERT
	assigns     []evalAssign
	dels        []delTarget
	ifNotExists bool
	ifExists    bool
	conds       []evalCond
	counter     bool
}

func (p *modPlan) conditional() bool { return p.ifNotExists || p.ifExists || len(p.conds) > 0 }

// needsRead reports whether applying requires the current value (we keep
// collections and counters as whole values).
func (p *modPlan) needsRead() bool {
	for _, a := range p.assigns {
		if a.op != cql.AssignSet || a.col.Type.ID == cqltype.Counter {
			return true
		}
	}
	for _, d := range p.dels {
		if d.hasKey {
			return true
		}
	}
	return false
}

func (x *execCtx) checkWritable(ks *schema.Keyspace, t *schema.Table) error {
	if ks.Virtual {
		return invalid("Modification is not supported by table %s.%s", ks.Name, t.Name)
	}
	if ks.Replication["class"] == classLocal {
		return &native.Error{Code: native.ErrUnauthorized, Message: ks.Name + " keyspace is not user-modifiable."}
	}
	return nil
}

func (x *execCtx) evalUsing(u *cql.Using, t *schema.Table, p *modPlan, batchTS *int64) error {
	p.ts = 0
	if batchTS != nil {
		p.ts = *batchTS
	}
	if u != nil && u.Timestamp != nil {
		v, err := u.Timestamp.EvalFor("[timestamp]", cqltype.BigintT, x.binder)
		if err != nil {
			return asNative(err)
		}
		if ts, ok := v.(int64); ok {
			p.ts = ts
		}
	}
	if p.ts == 0 && x.ts != nil {
		p.ts = *x.ts
	}
	if p.ts == 0 {
		p.ts = nowMicros()
	}
	if d, ok := t.Options["default_time_to_live"].(int32); ok {
		p.ttl = d
	}
	if u != nil && u.TTL != nil {
		v, err := u.TTL.EvalFor("[ttl]", cqltype.IntT, x.binder)
		if err != nil {
			return asNative(err)
		}
		if ttl, ok := v.(int32); ok {
			if ttl < 0 {
				return invalid("A TTL must be greater or equal to 0, but was %d", ttl)
			}
			if ttl > 630720000 {
				return invalid("ttl is too large. requested (%d) maximum (630720000)", ttl)
			}
			p.ttl = ttl
		}
	}
	return nil
}

// keysFromWhere extracts partition and clustering keys from = / IN relations.
func (x *execCtx) keysFromWhere(t *schema.Table, where []cql.Relation, p *modPlan, clusteringRequired bool) error {
	rs, err := x.evalRestrictions(t, where)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.token || len(r.cols) != 1 || (r.rel.Op != "=" && r.rel.Op != "IN") {
			if len(r.cols) > 0 && r.cols[0].Kind != schema.PartitionKey && r.cols[0].Kind != schema.Clustering {
				return invalid("Non PRIMARY KEY columns found in where clause: %s ", r.cols[0].Name)
			}
			return invalid("Only EQ and IN relation are supported on the partition key (unless you use the token() function)")
		}
		if r.cols[0].Kind != schema.PartitionKey && r.cols[0].Kind != schema.Clustering {
			return invalid("Non PRIMARY KEY columns found in where clause: %s ", r.cols[0].Name)
		}
	}
	keys, ok := partitionKeys(t, rs)
	if !ok {
		var missing []string
		for _, c := range t.PartitionKey {
			found := false
			for _, r := range rs {
				if r.cols[0] == c {
					found = true
				}
			}
			if !found {
				missing = append(missing, c.Name)
			}
		}
		return invalid("Some partition key parts are missing: %s", join(missing))
	}
	p.keys = keys
	cks := [][]any{{}}
	restricted := 0
	for _, c := range t.Clustering {
		var vals []any
		for _, r := range rs {
			if r.cols[0] == c {
				if r.rel.Op == "=" {
					vals = []any{r.vals[0]}
				} else {
					vals = r.vals
				}
			}
		}
		if vals == nil {
			break
		}
		restricted++
		var next [][]any
		for _, k := range cks {
			for _, v := range vals {
				next = append(next, append(append([]any{}, k...), v))
			}
		}
		cks = next
	}
	for _, r := range rs {
		if r.cols[0].Kind == schema.Clustering && r.cols[0].Position >= restricted {
			return invalid("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted", r.cols[0].Name, t.Clustering[restricted].Name)
		}
	}
	switch {
	case len(t.Clustering) == 0:
		p.cks = [][]any{{}}
	case restricted == len(t.Clustering):
		p.cks = cks
	case restricted == 0 && !clusteringRequired:
		p.cks = nil
	case restricted == 0:
		return invalid("Some clustering keys are missing: %s", t.Clustering[0].Name)
	default:
		if clusteringRequired {
			return invalid("Some clustering keys are missing: %s", t.Clustering[restricted].Name)
		}
		return invalid("Range deletions on a clustering prefix are not supported by the ringside simulator")
	}
	return nil
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

func (x *execCtx) evalConds(t *schema.Table, conds []cql.Condition) ([]evalCond, error) {
	var out []evalCond
	for _, c := range conds {
		col := t.Column(c.Column)
		if col == nil {
			return nil, undefinedColumn(t, c.Column)
		}
		if col.Kind == schema.PartitionKey || col.Kind == schema.Clustering {
			return nil, invalid("PRIMARY KEY column '%s' cannot have IF conditions", col.Name)
		}
		ec := evalCond{col: col, op: c.Op}
		typ := col.Type
		if c.Key != nil {
			if typ.ID != cqltype.Map && typ.ID != cqltype.List {
				return nil, invalid("Invalid element access syntax for non-collection column %s", col.Name)
			}
			kt := cqltype.IntT
			if typ.ID == cqltype.Map {
				kt = typ.Elems[0]
				typ = typ.Elems[1]
			} else {
				typ = typ.Elems[0]
			}
			k, err := c.Key.EvalFor(col.Name, kt, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			ec.key = k
		}
		if c.Op == "IN" {
			vals, err := c.Value.EvalIn(col.Name, typ, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			ec.vals = vals
		} else {
			v, err := c.Value.EvalFor(col.Name, typ, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			ec.vals = []any{v}
		}
		out = append(out, ec)
	}
	return out, nil
}

// plan evaluates one modification statement.
func (x *execCtx) plan(stmt cql.Statement, ksDefault string, batchUsing *cql.Using, batchTS *int64) (*modPlan, error) {
	var ksName, table string
	switch s := stmt.(type) {
	case *cql.Insert:
		ksName, table = s.Keyspace, s.Table
	case *cql.Update:
		ksName, table = s.Keyspace, s.Table
	case *cql.Delete:
		ksName, table = s.Keyspace, s.Table
	}
	if ksName == "" {
		ksName = ksDefault
	}
	ks, t, err := x.n.c.schema.table(ksName, table)
	if err != nil {
		return nil, err
	}
	if err := x.checkWritable(ks, t); err != nil {
		return nil, err
	}
	p := &modPlan{ks: ks, t: t}
	for _, c := range t.Columns {
		if c.Type.ID == cqltype.Counter {
			p.counter = true
		}
	}
	switch s := stmt.(type) {
	case *cql.Insert:
		p.kind = "insert"
		if s.JSON != nil {
			return nil, invalid("INSERT JSON is not supported by the ringside simulator")
		}
		if p.counter {
			return nil, invalid("INSERT statements are not allowed on counter tables, use UPDATE instead")
		}
		if err := x.evalUsing(&s.Using, t, p, batchTS); err != nil {
			return nil, err
		}
		if len(s.Columns) != len(s.Values) {
			return nil, invalid("Unmatched column names/values")
		}
		p.values = map[string]any{}
		for i, name := range s.Columns {
			c := t.Column(name)
			if c == nil {
				return nil, undefinedColumn(t, name)
			}
			if _, dup := p.values[name]; dup {
				return nil, invalid("Multiple definitions found for column %s", name)
			}
			v, err := s.Values[i].EvalFor(name, c.Type, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			if v == nil && (c.Kind == schema.PartitionKey || c.Kind == schema.Clustering) {
				return nil, invalid("Invalid null value in condition for column %s", name)
			}
			p.values[name] = v
		}
		var pk []any
		var missing []string
		for _, c := range t.PartitionKey {
			v, ok := p.values[c.Name]
			if !ok || v == cql.Unset {
				missing = append(missing, c.Name)
			}
			pk = append(pk, v)
		}
		if len(missing) > 0 {
			return nil, invalid("Some partition key parts are missing: %s", join(missing))
		}
		var ck []any
		for _, c := range t.Clustering {
			v, ok := p.values[c.Name]
			if !ok || v == cql.Unset {
				return nil, invalid("Some clustering keys are missing: %s", c.Name)
			}
			ck = append(ck, v)
		}
		p.keys, p.cks = [][]any{pk}, [][]any{ck}
		p.ifNotExists = s.IfNotExists
	case *cql.Update:
		p.kind = "update"
		if err := x.evalUsing(&s.Using, t, p, batchTS); err != nil {
			return nil, err
		}
		onlyStatic := true
		for _, a := range s.Set {
			c := t.Column(a.Column)
			if c == nil {
				return nil, undefinedColumn(t, a.Column)
			}
			if c.Kind == schema.PartitionKey || c.Kind == schema.Clustering {
				return nil, invalid("PRIMARY KEY part %s found in SET part", c.Name)
			}
			if c.Kind != schema.Static {
				onlyStatic = false
			}
			ea := evalAssign{col: c, op: a.Op}
			vt := c.Type
			switch a.Op {
			case cql.AssignElement:
				switch c.Type.ID {
				case cqltype.Map:
					k, err := a.Key.EvalFor(c.Name, c.Type.Elems[0], x.binder)
					if err != nil {
						return nil, asNative(err)
					}
					ea.key, vt = k, c.Type.Elems[1]
				case cqltype.List:
					k, err := a.Key.EvalFor(c.Name, cqltype.IntT, x.binder)
					if err != nil {
						return nil, asNative(err)
					}
					ea.key, vt = k, c.Type.Elems[0]
				default:
					return nil, invalid("Invalid operation (%s[?] = ?) for non list/map column %s", c.Name, c.Name)
				}
			case cql.AssignAdd, cql.AssignRemove:
				if c.Type.ID == cqltype.Counter {
					vt = cqltype.BigintT
				} else if !c.Type.IsCollection() {
					return nil, invalid("Invalid operation (%s = %s + ?) for non counter column %s", c.Name, c.Name, c.Name)
				} else if c.Type.ID == cqltype.Map && a.Op == cql.AssignRemove {
					vt = cqltype.SetOf(c.Type.Elems[0])
				}
			case cql.AssignSet:
				if c.Type.ID == cqltype.Counter {
					return nil, invalid("Cannot set the value of counter column %s (counters can only be incremented/decremented, not set)", c.Name)
				}
			}
			v, err := a.Value.EvalFor(c.Name, vt, x.binder)
			if err != nil {
				return nil, asNative(err)
			}
			ea.val = v
			p.assigns = append(p.assigns, ea)
		}
		if err := x.keysFromWhere(t, s.Where, p, !onlyStatic); err != nil {
			return nil, err
		}
		p.ifExists = s.IfExists
		if p.conds, err = x.evalConds(t, s.If); err != nil {
			return nil, err
		}
	case *cql.Delete:
		p.kind = "delete"
		if s.Using.TTL != nil {
			return nil, invalid("Cannot specify TTL on DELETE")
		}
		if err := x.evalUsing(&s.Using, t, p, batchTS); err != nil {
			return nil, err
		}
		for _, d := range s.Columns {
			c := t.Column(d.Column)
			if c == nil {
				return nil, undefinedColumn(t, d.Column)
			}
			if c.Kind == schema.PartitionKey || c.Kind == schema.Clustering {
				return nil, invalid("Invalid identifier %s for deletion (should not be a PRIMARY KEY part)", c.Name)
			}
			dt := delTarget{col: c}
			if d.Key != nil {
				kt := cqltype.IntT
				if c.Type.ID == cqltype.Map {
					kt = c.Type.Elems[0]
				} else if c.Type.ID == cqltype.Set {
					kt = c.Type.Elems[0]
				}
				k, err := d.Key.EvalFor(c.Name, kt, x.binder)
				if err != nil {
					return nil, asNative(err)
				}
				dt.key, dt.hasKey = k, true
			}
			p.dels = append(p.dels, dt)
		}
		if err := x.keysFromWhere(t, s.Where, p, false); err != nil {
			return nil, err
		}
		p.ifExists = s.IfExists
		if p.conds, err = x.evalConds(t, s.If); err != nil {
			return nil, err
		}
	}
	if p.conditional() && (len(p.keys) != 1 || (p.cks != nil && len(p.cks) != 1)) {
		return nil, invalid("IN on the partition key is not supported with conditional updates")
	}
	if batchUsing != nil && batchUsing.TTL != nil {
		return nil, invalid("Global TTL on the BATCH statement is not supported.")
	}
	return p, nil
}

// mutations builds the writes of a plan, given the current partitions
// (when the plan needs them) keyed by serialised key.
func (x *execCtx) mutations(p *modPlan, current map[string]*partition) ([]*mutation, error) {
	t := p.t
	now := nowSec()
	mk := func(v any, tomb bool) cell {
		c := cell{v: v, ts: p.ts, tomb: tomb}
		if !tomb && p.ttl > 0 {
			c.ttl = p.ttl
			c.exp = now + int64(p.ttl)
		}
		return c
	}
	var out []*mutation
	for _, pk := range p.keys {
		key, err := serializeKey(t, pk)
		if err != nil {
			return nil, err
		}
		m := &mutation{t: t, key: key, pk: pk, tok: tokenOf(key)}
		cur := current[key]
		curRow := func(ck []any) map[string]any {
			if cur == nil {
				return map[string]any{}
			}
			for _, r := range partitionRows(t, cur, now) {
				if compareCK(t, r.ck, ck) == 0 {
					return r.vals
				}
			}
			return map[string]any{}
		}
		switch p.kind {
		case "insert":
			r := &row{ck: p.cks[0], marker: mk(nil, false), cells: map[string]cell{}}
			for name, v := range p.values {
				c := t.Column(name)
				if c.Kind == schema.PartitionKey || c.Kind == schema.Clustering || v == cql.Unset {
					continue
				}
				if c.Kind == schema.Static {
					if m.static == nil {
						m.static = map[string]cell{}
					}
					m.static[name] = mk(v, v == nil)
					continue
				}
				r.cells[name] = mk(v, v == nil)
				m.size += 16
			}
			m.rows = append(m.rows, r)
		case "update":
			cks := p.cks
			if cks == nil {
				cks = [][]any{nil}
			}
			for _, ck := range cks {
				var r *row
				if ck != nil {
					r = &row{ck: ck, cells: map[string]cell{}}
					m.rows = append(m.rows, r)
				}
				var vals map[string]any
				if p.needsRead() {
					vals = curRow(ck)
					if ck == nil && cur != nil {
						vals = map[string]any{}
						for n, c := range cur.static {
							if c.live(now, cur.del) {
								vals[n] = c.v
							}
						}
					}
				}
				for _, a := range p.assigns {
					if a.val == cql.Unset {
						continue
					}
					nv, err := applyAssign(a, vals)
					if err != nil {
						return nil, err
					}
					c := mk(nv, nv == nil)
					if a.col.Type.ID == cqltype.Counter {
						c.exp, c.ttl = 0, 0
					}
					if a.col.Kind == schema.Static {
						if m.static == nil {
							m.static = map[string]cell{}
						}
						m.static[a.col.Name] = c
					} else if r != nil {
						r.cells[a.col.Name] = c
					}
					m.size += 16
				}
			}
		case "delete":
			if p.cks == nil && len(p.dels) == 0 {
				m.del = p.ts
				break
			}
			cks := p.cks
			if cks == nil {
				cks = [][]any{nil}
			}
			for _, ck := range cks {
				if len(p.dels) == 0 {
					m.rows = append(m.rows, &row{ck: ck, del: p.ts})
					continue
				}
				var r *row
				if ck != nil {
					r = &row{ck: ck, cells: map[string]cell{}}
					m.rows = append(m.rows, r)
				}
				vals := curRow(ck)
				for _, d := range p.dels {
					var c cell
					if d.hasKey {
						nv := removeElement(d.col.Type, vals[d.col.Name], d.key)
						c = mk(nv, nv == nil)
						c.exp, c.ttl = 0, 0
					} else {
						c = cell{ts: p.ts, tomb: true}
					}
					if d.col.Kind == schema.Static || r == nil {
						if m.static == nil {
							m.static = map[string]cell{}
						}
						m.static[d.col.Name] = c
					} else {
						r.cells[d.col.Name] = c
					}
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// applyAssign computes the new whole value of a column.
func applyAssign(a evalAssign, cur map[string]any) (any, error) {
	t := a.col.Type
	old := cur[a.col.Name]
	switch a.op {
	case cql.AssignSet:
		return a.val, nil
	case cql.AssignAdd, cql.AssignRemove:
		if t.ID == cqltype.Counter {
			o, _ := old.(int64)
			d, _ := a.val.(int64)
			if a.op == cql.AssignRemove {
				d = -d
			}
			return o + d, nil
		}
		switch t.ID {
		case cqltype.List:
			ol, _ := old.([]any)
			add, _ := a.val.([]any)
			if a.op == cql.AssignAdd {
				return nonEmpty(append(append([]any{}, ol...), add...)), nil
			}
			var out []any
			for _, e := range ol {
				keep := true
				for _, r := range add {
					if cqltype.Compare(t.Elems[0], e, r) == 0 {
						keep = false
					}
				}
				if keep {
					out = append(out, e)
				}
			}
			return nonEmpty(out), nil
		case cqltype.Set:
			ol, _ := old.([]any)
			chg, _ := a.val.([]any)
			var out []any
			if a.op == cql.AssignAdd {
				out = append(append([]any{}, ol...), chg...)
			} else {
				for _, e := range ol {
					keep := true
					for _, r := range chg {
						if cqltype.Compare(t.Elems[0], e, r) == 0 {
							keep = false
						}
					}
					if keep {
						out = append(out, e)
					}
				}
			}
			return nonEmpty(sortedSet(t.Elems[0], out)), nil
		case cqltype.Map:
			ol, _ := old.([]cqltype.Pair)
			if a.op == cql.AssignAdd {
				add, _ := a.val.([]cqltype.Pair)
				out := append([]cqltype.Pair{}, ol...)
				for _, p := range add {
					out = putPair(t, out, p)
				}
				return nonEmptyMap(out), nil
			}
			rm, _ := a.val.([]any)
			var out []cqltype.Pair
			for _, p := range ol {
				keep := true
				for _, k := range rm {
					if cqltype.Compare(t.Elems[0], p.Key, k) == 0 {
						keep = false
					}
				}
				if keep {
					out = append(out, p)
				}
			}
			return nonEmptyMap(out), nil
		}
	case cql.AssignPrepend:
		ol, _ := old.([]any)
		add, _ := a.val.([]any)
		return nonEmpty(append(append([]any{}, add...), ol...)), nil
	case cql.AssignElement:
		if t.ID == cqltype.Map {
			ol, _ := old.([]cqltype.Pair)
			out := append([]cqltype.Pair{}, ol...)
			if a.val == nil {
				return removeElement(t, old, a.key), nil
			}
			return putPair(t, out, cqltype.Pair{Key: a.key, Value: a.val}), nil
		}
		ol, _ := old.([]any)
		i, _ := a.key.(int32)
		if int(i) < 0 || int(i) >= len(ol) {
			return nil, invalid("List index %d out of bound, list has size %d", i, len(ol))
		}
		out := append([]any{}, ol...)
		out[i] = a.val
		return out, nil
	}
	return a.val, nil
}

func nonEmpty(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

func nonEmptyMap(m []cqltype.Pair) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func sortedSet(t cqltype.Type, l []any) []any {
	sort.SliceStable(l, func(i, j int) bool { return cqltype.Compare(t, l[i], l[j]) < 0 })
	var out []any
	for _, e := range l {
		if len(out) == 0 || cqltype.Compare(t, out[len(out)-1], e) != 0 {
			out = append(out, e)
		}
	}
	return out
}

func putPair(t cqltype.Type, m []cqltype.Pair, p cqltype.Pair) []cqltype.Pair {
	for i := range m {
		if cqltype.Compare(t.Elems[0], m[i].Key, p.Key) == 0 {
			m[i].Value = p.Value
			return m
		}
	}
	m = append(m, p)
	sort.SliceStable(m, func(i, j int) bool { return cqltype.Compare(t.Elems[0], m[i].Key, m[j].Key) < 0 })
	return m
}

func removeElement(t cqltype.Type, old any, key any) any {
	switch t.ID {
	case cqltype.Map:
		ol, _ := old.([]cqltype.Pair)
		var out []cqltype.Pair
		for _, p := range ol {
			if cqltype.Compare(t.Elems[0], p.Key, key) != 0 {
				out = append(out, p)
			}
		}
		return nonEmptyMap(out)
	case cqltype.List:
		ol, _ := old.([]any)
		i, _ := key.(int32)
		if int(i) < 0 || int(i) >= len(ol) {
			return nonEmpty(ol)
		}
		return nonEmpty(append(append([]any{}, ol[:i]...), ol[i+1:]...))
	case cqltype.Set:
		ol, _ := old.([]any)
		var out []any
		for _, e := range ol {
			if cqltype.Compare(t.Elems[0], e, key) != 0 {
				out = append(out, e)
			}
		}
		return nonEmpty(out)
	}
	return old
}

// execModification runs one INSERT/UPDATE/DELETE.
func (x *execCtx) execModification(stmt cql.Statement) (*result, error) {
	return x.execBatch(-1, []batchItem{{stmt: stmt, ks: x.ks, binder: x.binder}}, nil)
}

// execBatch runs statements as one batch (bt -1: a single statement).
func (x *execCtx) execBatch(bt cql.BatchType, items []batchItem, using *cql.Using) (*result, error) {
	var batchTS *int64
	if using != nil && using.Timestamp != nil {
		v, err := using.Timestamp.EvalFor("[timestamp]", cqltype.BigintT, x.binder)
		if err != nil {
			return nil, asNative(err)
		}
		if ts, ok := v.(int64); ok {
			batchTS = &ts
		}
	}
	if bt >= 0 && batchTS == nil {
		// Every statement of a batch shares one timestamp.
		ts := nowMicros()
		if x.ts != nil {
			ts = *x.ts
		}
		batchTS = &ts
	}
	plans := make([]*modPlan, 0, len(items))
	conditional := false
	for _, it := range items {
		sub := *x
		sub.binder = it.binder
		p, err := sub.plan(it.stmt, it.ks, using, batchTS)
		if err != nil {
			return nil, err
		}
		if bt == cql.BatchLogged && p.counter {
			return nil, invalid("Cannot include a counter statement in a logged batch")
		}
		if bt == cql.BatchCounter && !p.counter {
			return nil, invalid("Cannot include non-counter statement in a counter batch")
		}
		if p.conditional() {
			conditional = true
		}
		plans = append(plans, p)
	}
	if x.cl == native.Serial || x.cl == native.LocalSerial {
		return nil, invalid("You must use conditional updates for serializable writes")
	}
	writeType := "SIMPLE"
	switch bt {
	case cql.BatchLogged:
		writeType = "BATCH"
	case cql.BatchUnlogged:
		writeType = "UNLOGGED_BATCH"
	case cql.BatchCounter:
		writeType = "COUNTER"
	}
	if len(plans) > 0 && plans[0].counter && bt < 0 {
		writeType = "COUNTER"
	}
	if conditional {
		return x.cas(plans)
	}
	for _, p := range plans {
		if !p.needsRead() {
			muts, err := x.mutations(p, nil)
			if err != nil {
				return nil, err
			}
			if err := x.write(p.ks, muts, writeType); err != nil {
				return nil, err
			}
			continue
		}
		// Read-modify-write under the partition lock.
		for _, pk := range p.keys {
			key, err := serializeKey(p.t, pk)
			if err != nil {
				return nil, err
			}
			unlock := x.n.c.lwt.lock(p.t.ID.String() + key)
			cur, err := x.readAll(p.ks, p.t, key, pk)
			if err == nil {
				sub := *p
				sub.keys = [][]any{pk}
				var muts []*mutation
				muts, err = x.mutations(&sub, map[string]*partition{key: cur})
				if err == nil {
					err = x.write(p.ks, muts, writeType)
				}
			}
			unlock()
			if err != nil {
				return nil, err
			}
		}
	}
	return &result{kind: resVoid}, nil
}

// readAll reads a partition from every replica the coordinator can reach
// (what a read-before-write or Paxos prepare sees).
func (x *execCtx) readAll(ks *schema.Keyspace, t *schema.Table, key string, pk []any) (*partition, error) {
	tok := tokenOf(key)
	reps, err := x.replicas(ks, tok)
	if err != nil {
		return nil, err
	}
	var merged *partition
	for _, r := range reps {
		if r != x.n && (!x.n.c.sees(x.n, r) || !x.n.c.canTalk(x.n, r)) {
			continue
		}
		if p := r.store.read(t, key); p != nil {
			if merged == nil {
				merged = p
			} else {
				merged.merge(t, p)
			}
		}
	}
	if merged != nil {
		merged.pk, merged.tok = pk, tok
	}
	return merged, nil
}

// cas runs a conditional statement or batch: Paxos availability at the
// serial consistency, then check and apply atomically.
func (x *execCtx) cas(plans []*modPlan) (*result, error) {
	first := plans[0]
	key, err := serializeKey(first.t, first.keys[0])
	if err != nil {
		return nil, err
	}
	for _, p := range plans[1:] {
		if p.t != first.t {
			return nil, invalid("Batch with conditions cannot span multiple tables")
		}
		k, err := serializeKey(p.t, p.keys[0])
		if err != nil {
			return nil, err
		}
		if len(p.keys) != 1 || k != key {
			return nil, invalid("Batch with conditions cannot span multiple partitions")
		}
	}
	ks, t := first.ks, first.t
	serial := x.serial
	if serial != native.Serial && serial != native.LocalSerial {
		return nil, invalid("Invalid serial consistency level %s", serial)
	}
	commitCL := x.cl
	if err := validateForCasCommit(commitCL); err != nil {
		return nil, err
	}
	round, err := x.newPaxosRound(ks, t, key, serial, commitCL)
	if err != nil {
		return nil, err
	}
	var res *result
	err = round.doPaxos(commitCL, func(ballot int64) ([]*mutation, error) {
		// The read at (LOCAL_)QUORUM of legacyCas's updateProposer.
		cur, err := x.readAll(ks, t, key, first.keys[0])
		if err != nil {
			return nil, err
		}
		var muts []*mutation
		res, muts, err = x.casApply(plans, t, key, cur, ballot)
		return muts, err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// validateForCasCommit refuses the serial levels as the commit level
// (ConsistencyLevel.validateForCasCommit).
func validateForCasCommit(cl native.Consistency) error {
	if cl == native.Serial || cl == native.LocalSerial {
		return invalid("%s is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\"", cl)
	}
	return nil
}

// casApply checks the conditions against cur and returns the result to
// send and, when they hold, the update stamped with the ballot's time.
func (x *execCtx) casApply(plans []*modPlan, t *schema.Table, key string, cur *partition, ballot int64) (*result, []*mutation, error) {
	var err error
	now := nowSec()
	var rows []*vrow
	if cur != nil {
		rows = partitionRows(t, cur, now)
	}
	findRow := func(p *modPlan) *vrow {
		var ck []any
		if p.cks != nil {
			ck = p.cks[0]
		}
		for _, r := range rows {
			if ck == nil || compareCK(t, r.ck, ck) == 0 {
				return r
			}
		}
		return nil
	}
	applied := true
	var failRow *vrow
	var failCols []*schema.Column
	for _, p := range plans {
		r := findRow(p)
		switch {
		case p.ifNotExists:
			if r != nil {
				applied, failRow = false, r
				failCols = selectOrder(t)
			}
		case p.ifExists:
			if r == nil {
				applied = false
			}
		case len(p.conds) > 0:
			if !condsHold(p.conds, r) {
				applied, failRow = false, r
				for _, c := range p.conds {
					failCols = append(failCols, c.col)
				}
			}
		}
	}
	applyCol := native.ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: "[applied]", Type: cqltype.BooleanT}
	if !applied {
		res := &result{kind: resRows, cols: []native.ColumnSpec{applyCol}}
		cells := [][]byte{{0}}
		if failRow != nil {
			seen := map[string]bool{}
			for _, c := range selectOrder(t) {
				want := false
				for _, f := range failCols {
					if f == c {
						want = true
					}
				}
				if !want || seen[c.Name] {
					continue
				}
				seen[c.Name] = true
				res.cols = append(res.cols, native.ColumnSpec{Keyspace: t.Keyspace, Table: t.Name, Name: c.Name, Type: c.Type})
				var b []byte
				if v := failRow.vals[c.Name]; v != nil {
					b, err = cqltype.Marshal(c.Type, v)
					if err != nil {
						return nil, nil, serverErr("%v", err)
					}
				}
				cells = append(cells, b)
			}
		}
		res.rows = [][][]byte{cells}
		return res, nil, nil
	}
	var muts []*mutation
	for _, p := range plans {
		sub := *p
		sub.ts = ballot // makeUpdates uses the ballot's timestamp
		m, err := x.mutations(&sub, map[string]*partition{key: cur})
		if err != nil {
			return nil, nil, err
		}
		muts = append(muts, m...)
	}
	return &result{kind: resRows, cols: []native.ColumnSpec{applyCol}, rows: [][][]byte{{{1}}}}, muts, nil
}

func condsHold(conds []evalCond, r *vrow) bool {
	for _, c := range conds {
		var cur any
		if r != nil {
			cur = r.vals[c.col.Name]
		}
		typ := c.col.Type
		if c.key != nil {
			switch v := cur.(type) {
			case []cqltype.Pair:
				cur = nil
				for _, p := range v {
					if cqltype.Compare(typ.Elems[0], p.Key, c.key) == 0 {
						cur = p.Value
					}
				}
				typ = typ.Elems[1]
			case []any:
				i, _ := c.key.(int32)
				cur = nil
				if int(i) >= 0 && int(i) < len(v) {
					cur = v[i]
				}
				typ = typ.Elems[0]
			default:
				cur = nil
			}
		}
		ok := false
		switch c.op {
		case "IN":
			for _, v := range c.vals {
				if (cur == nil && v == nil) || (cur != nil && v != nil && cqltype.Compare(typ, cur, v) == 0) {
					ok = true
				}
			}
		default:
			v := c.vals[0]
			switch {
			case cur == nil || v == nil:
				eq := cur == nil && v == nil
				ok = c.op == "=" && eq || c.op == "!=" && !eq
			default:
				ok = cmpOp(c.op, cqltype.Compare(typ, cur, v))
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
