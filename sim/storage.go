package sim

import (
	"sort"
	"sync"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/schema"
)

// The storage engine of one node: partitions of rows of cells, each cell
// with its write timestamp (microseconds) and optional expiry, merged
// last-write-wins with tombstones as Cassandra reconciles them. Collections
// are stored as whole values.

type cell struct {
	v    any
	ts   int64
	exp  int64 // unix seconds; 0: never
	ttl  int32
	tomb bool
}

func (c cell) set() bool { return c.ts != 0 }

// wins reports whether c supersedes o (Cells.reconcile: higher timestamp,
// then a tombstone beats a live cell).
func (c cell) wins(o cell) bool {
	if !o.set() {
		return true
	}
	if c.ts != o.ts {
		return c.ts > o.ts
	}
	return c.tomb && !o.tomb
}

func (c cell) live(now int64, shadow int64) bool {
	return c.set() && !c.tomb && c.ts > shadow && (c.exp == 0 || c.exp > now)
}

type row struct {
	ck     []any
	marker cell // primary key liveness (INSERT)
	del    int64
	cells  map[string]cell
}

type partition struct {
	pk     []any
	tok    int64
	del    int64
	static map[string]cell
	rows   []*row
}

type tableData struct {
	parts   map[string]*partition
	dirty   int64 // bytes written since the last flush (rough)
	flushed int64 // bytes in "sstables"
}

type store struct {
	mu     sync.RWMutex
	tables map[cqltype.UUID]*tableData
}

func newStore() *store { return &store{tables: map[cqltype.UUID]*tableData{}} }

// mutation is a write to one partition.
type mutation struct {
	t      *schema.Table
	key    string
	pk     []any
	tok    int64
	del    int64
	static map[string]cell
	rows   []*row
	size   int64
}

func compareCK(t *schema.Table, a, b []any) int {
	for i, col := range t.Clustering {
		if i >= len(a) || i >= len(b) {
			return len(a) - len(b)
		}
		c := cqltype.Compare(col.Type, a[i], b[i])
		if col.ClusteringOrder == "desc" {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func mergeCells(dst map[string]cell, src map[string]cell) map[string]cell {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]cell, len(src))
	}
	for k, c := range src {
		if c.wins(dst[k]) {
			dst[k] = c
		}
	}
	return dst
}

// mergeRows merges src rows into p (both sorted by clustering).
func (p *partition) mergeRow(t *schema.Table, r *row) {
	i := sort.Search(len(p.rows), func(i int) bool { return compareCK(t, p.rows[i].ck, r.ck) >= 0 })
	if i < len(p.rows) && compareCK(t, p.rows[i].ck, r.ck) == 0 {
		dst := p.rows[i]
		if r.del > dst.del {
			dst.del = r.del
		}
		if r.marker.wins(dst.marker) && r.marker.set() {
			dst.marker = r.marker
		}
		dst.cells = mergeCells(dst.cells, r.cells)
		return
	}
	nr := &row{ck: r.ck, marker: r.marker, del: r.del, cells: mergeCells(nil, r.cells)}
	p.rows = append(p.rows, nil)
	copy(p.rows[i+1:], p.rows[i:])
	p.rows[i] = nr
}

func (p *partition) merge(t *schema.Table, q *partition) {
	if q.del > p.del {
		p.del = q.del
	}
	p.static = mergeCells(p.static, q.static)
	for _, r := range q.rows {
		p.mergeRow(t, r)
	}
}

// apply writes m to the store.
func (s *store) apply(m *mutation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.tables[m.t.ID]
	if td == nil {
		td = &tableData{parts: map[string]*partition{}}
		s.tables[m.t.ID] = td
	}
	p := td.parts[m.key]
	if p == nil {
		p = &partition{pk: m.pk, tok: m.tok}
		td.parts[m.key] = p
	}
	p.merge(m.t, &partition{del: m.del, static: m.static, rows: m.rows})
	td.dirty += m.size
}

// read returns a copy of one partition, or nil.
func (s *store) read(t *schema.Table, key string) *partition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	td := s.tables[t.ID]
	if td == nil {
		return nil
	}
	p := td.parts[key]
	if p == nil {
		return nil
	}
	return p.clone()
}

// scan returns copies of every partition of a table.
func (s *store) scan(t *schema.Table) []*partition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	td := s.tables[t.ID]
	if td == nil {
		return nil
	}
	out := make([]*partition, 0, len(td.parts))
	for _, p := range td.parts {
		out = append(out, p.clone())
	}
	return out
}

func (s *store) truncate(t *schema.Table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tables, t.ID)
}

func (p *partition) clone() *partition {
	q := &partition{pk: p.pk, tok: p.tok, del: p.del, static: mergeCells(nil, p.static), rows: make([]*row, len(p.rows))}
	for i, r := range p.rows {
		q.rows[i] = &row{ck: r.ck, marker: r.marker, del: r.del, cells: mergeCells(nil, r.cells)}
	}
	return q
}

func nowSec() int64 { return time.Now().Unix() }
