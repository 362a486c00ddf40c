package sim

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringside/ringside/sim/cql"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/native"
)

// handler serves one node's native transport.
type handler struct{ n *Node }

// prepared is one PREPAREd statement (per node; lost on restart, as in Cassandra).
type prepared struct {
	stmt     cql.Statement
	query    string
	keyspace string
	binds    []native.ColumnSpec
	pk       []uint16
	result   []native.ColumnSpec
}

// execCtx carries one request through execution.
type execCtx struct {
	n        *Node
	conn     *native.Conn
	ks       string
	cl       native.Consistency
	serial   native.Consistency
	ts       *int64
	binder   cql.Binder
	pageSize int32
	paging   []byte
	skipMeta bool
	now      time.Time
}

// result is what a statement produced.
type result struct {
	kind   int // resVoid, resRows, resSetKeyspace, resSchema
	cols   []native.ColumnSpec
	rows   [][][]byte
	paging []byte
	ks     string
	change native.SchemaChange
}

const (
	resVoid = iota
	resRows
	resSetKeyspace
	resSchema
)

func (r *result) response(skipMeta bool) native.Response {
	// The helpers encode for the connection's protocol version (v3 to v5).
	switch r.kind {
	case resRows:
		return native.RowsResponse(native.RowsMetadata{Columns: r.cols, PagingState: r.paging, NoMetadata: skipMeta}, r.rows)
	case resSetKeyspace:
		return native.SetKeyspaceResponse(r.ks)
	case resSchema:
		return native.SchemaChangeResponse(r.change)
	}
	return native.VoidResponse()
}

func errResponse(err error) native.Response {
	return native.ErrorResponse(toNative(err))
}

// parseCache holds parsed statements by query text: parsed statements are never mutated.
var parseCache sync.Map
var parseCacheSize atomic.Int64

func parse(q string) (cql.Statement, error) {
	if s, ok := parseCache.Load(q); ok {
		return s.(cql.Statement), nil
	}
	s, err := cql.Parse(q)
	if err != nil {
		if se, ok := err.(*cql.SyntaxError); ok {
			return nil, &native.Error{Code: native.ErrSyntax, Message: se.Msg}
		}
		return nil, &native.Error{Code: native.ErrSyntax, Message: err.Error()}
	}
	if parseCacheSize.Add(1) < 10000 {
		parseCache.Store(q, s)
	}
	return s, nil
}

func (h *handler) newCtx(c *native.Conn, ks string, p *native.QueryParams) *execCtx {
	x := &execCtx{n: h.n, conn: c, ks: ks, cl: p.Consistency, serial: p.SerialConsistency, ts: p.Timestamp,
		pageSize: p.PageSize, paging: p.PagingState, skipMeta: p.SkipMetadata, now: time.Now()}
	if x.serial == 0 {
		x.serial = native.Serial
	}
	return x
}

func (h *handler) pause() {
	if d := h.n.delay(); d > 0 {
		time.Sleep(d)
	}
}

// Query implements native.Handler.
func (h *handler) Query(c *native.Conn, q *native.Query) native.Response {
	h.pause()
	h.n.rt.requests.Add(1)
	stmt, err := parse(q.Statement)
	if err != nil {
		return errResponse(err)
	}
	x := h.newCtx(c, queryKeyspace(c, q.Params.Keyspace), &q.Params)
	x.binder = &binder{vals: q.Params.Values, names: q.Params.Names}
	res, err := x.exec(stmt)
	if err != nil {
		return errResponse(err)
	}
	if res.kind == resSetKeyspace {
		c.SetKeyspace(res.ks)
	}
	return res.response(false)
}

func preparedID(ks, q string) []byte {
	// QueryProcessor.computeId: MD5 over the keyspace-qualified query string.
	sum := md5.Sum([]byte(ks + q))
	return sum[:]
}

// Prepare implements native.Handler.
func (h *handler) Prepare(c *native.Conn, p *native.Prepare) native.Response {
	h.pause()
	stmt, err := parse(p.Statement)
	if err != nil {
		return errResponse(err)
	}
	ks := queryKeyspace(c, p.Keyspace)
	x := &execCtx{n: h.n, conn: c, ks: ks, now: time.Now()}
	binds, pk, result, err := x.describe(stmt)
	if err != nil {
		return errResponse(err)
	}
	id := preparedID(ks, p.Statement)
	h.n.rt.prepare(string(id), &prepared{stmt: stmt, query: p.Statement, keyspace: ks, binds: binds, pk: pk, result: result})
	return native.PreparedResponse(id, native.RowsMetadata{Columns: binds}, pk, native.RowsMetadata{Columns: result})
}

func unprepared(id []byte) *native.Error {
	// Message from QueryProcessor / ExecuteMessage in Cassandra 4.1.
	return &native.Error{Code: native.ErrUnprepared, ID: id, Message: fmt.Sprintf("Prepared query with ID %s not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", hex.EncodeToString(id))}
}

// Execute implements native.Handler.
func (h *handler) Execute(c *native.Conn, e *native.Execute) native.Response {
	h.pause()
	h.n.rt.requests.Add(1)
	ps := h.n.rt.lookup(string(e.ID))
	if ps == nil {
		return errResponse(unprepared(e.ID))
	}
	x := h.newCtx(c, ps.keyspace, &e.Params)
	x.binder = &binder{vals: e.Params.Values, names: e.Params.Names, specs: ps.binds}
	res, err := x.exec(ps.stmt)
	if err != nil {
		return errResponse(err)
	}
	if res.kind == resSetKeyspace {
		c.SetKeyspace(res.ks)
	}
	if res.kind == resRows {
		return res.executeRows(c.Version(), e, ps)
	}
	return res.response(e.Params.SkipMetadata)
}

// queryKeyspace is ClientState.cloneWithKeyspaceIfSet: v5 requests may
// name the keyspace to run in (QUERY/BATCH flag 0x80, PREPARE flag 0x01).
func queryKeyspace(c *native.Conn, ks string) string {
	if ks != "" {
		return ks
	}
	return c.Keyspace()
}

// executeRows is ExecuteMessage.execute's choice of result metadata: from
// v5 the client's result_metadata_id is compared with the rows' (an ALTER
// TABLE ADD changes a SELECT *'s) and a change is flagged METADATA_CHANGED
// with full metadata; LWTs always get full metadata, unflagged
// (CASSANDRA-13992). Before v5 metadata is skipped only if the client asked
// and it still matches what PREPARE returned.
func (r *result) executeRows(version byte, e *native.Execute, ps *prepared) native.Response {
	meta := native.RowsMetadata{Columns: r.cols, PagingState: r.paging}
	id := native.ResultMetadataID(r.cols)
	if version >= 5 {
		if !hasConditions(ps.stmt) {
			if !bytes.Equal(id, e.ResultMetadataID) {
				meta.MetadataChanged = true
			} else {
				meta.NoMetadata = e.Params.SkipMetadata
			}
		}
	} else {
		meta.NoMetadata = e.Params.SkipMetadata && bytes.Equal(id, native.ResultMetadataID(ps.result))
	}
	return native.RowsResponse(meta, r.rows)
}

// hasConditions is CQLStatement.hasConditions: the statement is an LWT.
func hasConditions(s cql.Statement) bool {
	switch s := s.(type) {
	case *cql.Insert:
		return s.IfNotExists
	case *cql.Update:
		return s.IfExists || len(s.If) > 0
	case *cql.Delete:
		return s.IfExists || len(s.If) > 0
	case *cql.Batch:
		for _, st := range s.Statements {
			if hasConditions(st) {
				return true
			}
		}
	}
	return false
}

// Batch implements native.Handler.
func (h *handler) Batch(c *native.Conn, b *native.Batch) native.Response {
	h.pause()
	h.n.rt.requests.Add(1)
	bks := queryKeyspace(c, b.Keyspace)
	x := h.newCtx(c, bks, &native.QueryParams{Consistency: b.Consistency, SerialConsistency: b.SerialConsistency, Timestamp: b.Timestamp})
	var items []batchItem
	for _, bs := range b.Statements {
		var stmt cql.Statement
		ks := bks
		var specs []native.ColumnSpec
		if bs.Kind == 1 {
			ps := h.n.rt.lookup(string(bs.ID))
			if ps == nil {
				return errResponse(unprepared(bs.ID))
			}
			stmt, ks, specs = ps.stmt, ps.keyspace, ps.binds
		} else {
			s, err := parse(bs.Statement)
			if err != nil {
				return errResponse(err)
			}
			stmt = s
		}
		switch stmt.(type) {
		case *cql.Insert, *cql.Update, *cql.Delete:
		default:
			return errResponse(invalid("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed."))
		}
		items = append(items, batchItem{stmt: stmt, ks: ks, binder: &binder{vals: bs.Values, specs: specs}})
	}
	res, err := x.execBatch(cql.BatchType(b.Type), items, nil)
	if err != nil {
		return errResponse(err)
	}
	return res.response(false)
}

// binder decodes bound values by the type of the column each marker stands for.
type binder struct {
	vals  []native.Value
	names []string
	specs []native.ColumnSpec
}

func (b *binder) Bind(i int, name string, typ cqltype.Type) (any, error) {
	idx := i
	if len(b.names) > 0 {
		idx = -1
		want := name
		if want == "" && i < len(b.specs) {
			want = b.specs[i].Name
		}
		for k, n := range b.names {
			if strings.EqualFold(n, want) {
				idx = k
				break
			}
		}
		if idx < 0 {
			return nil, invalid("Invalid unset value for column %s", want)
		}
	}
	if idx >= len(b.vals) {
		return nil, invalid("There were %d markers(?) in CQL but %d bound variables", idx+1, len(b.vals))
	}
	v := b.vals[idx]
	if v.Unset {
		return cql.Unset, nil
	}
	if v.Null || v.Bytes == nil {
		return nil, nil
	}
	out, err := cqltype.Unmarshal(typ, v.Bytes)
	if err != nil {
		return nil, invalid("Exception while binding column %s: %v", name, err)
	}
	return out, nil
}

// exec runs one statement.
func (x *execCtx) exec(stmt cql.Statement) (*result, error) {
	switch s := stmt.(type) {
	case *cql.Select:
		return x.execSelect(s)
	case *cql.Insert, *cql.Update, *cql.Delete:
		return x.execModification(stmt)
	case *cql.Batch:
		items := make([]batchItem, len(s.Statements))
		for i, st := range s.Statements {
			items[i] = batchItem{stmt: st, ks: x.ks, binder: x.binder}
		}
		return x.execBatch(s.Type, items, &s.Using)
	case *cql.Use:
		if x.n.c.schema.keyspace(s.Keyspace) == nil {
			return nil, invalid("Keyspace '%s' does not exist", s.Keyspace)
		}
		return &result{kind: resSetKeyspace, ks: s.Keyspace}, nil
	case *cql.CreateKeyspace, *cql.AlterKeyspace, *cql.DropKeyspace, *cql.CreateTable, *cql.AlterTable, *cql.DropTable, *cql.Truncate:
		return x.execDDL(stmt)
	case *cql.Unsupported:
		return nil, invalid("%s is not supported by the ringside simulator", s.Kind)
	}
	return nil, invalid("unsupported statement")
}
