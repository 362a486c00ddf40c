package native

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"

	"github.com/ringside/ringside/sim/cqltype"
)

// Result kinds (spec section 4.2.5).
const (
	resultVoid         = 0x0001
	resultRows         = 0x0002
	resultSetKeyspace  = 0x0003
	resultPrepared     = 0x0004
	resultSchemaChange = 0x0005
)

// Rows metadata flags (spec section 4.2.5.2).
const (
	metaGlobalTablesSpec = 0x0001
	metaHasMorePages     = 0x0002
	metaNoMetadata       = 0x0004
	metaMetadataChanged  = 0x0008 // v5
)

// CurrentVersion is the protocol version the encoders without a version
// argument produce, and the one of errors sent before a STARTUP
// (Cassandra's ProtocolVersion.CURRENT).
const CurrentVersion byte = 5

func appendShort(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendInt(b []byte, v int32) []byte    { return binary.BigEndian.AppendUint32(b, uint32(v)) }

func appendString(b []byte, s string) []byte {
	b = appendShort(b, uint16(len(s)))
	return append(b, s...)
}

func appendStringList(b []byte, l []string) []byte {
	b = appendShort(b, uint16(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// appendBytes writes [bytes]; nil is null (length -1).
func appendBytes(b, v []byte) []byte {
	if v == nil {
		return appendInt(b, -1)
	}
	b = appendInt(b, int32(len(v)))
	return append(b, v...)
}

func appendShortBytes(b, v []byte) []byte {
	b = appendShort(b, uint16(len(v)))
	return append(b, v...)
}

// appendInet writes [inet]: address size, address, port.
func appendInet(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	raw := a.AsSlice()
	b = append(b, byte(len(raw)))
	b = append(b, raw...)
	return appendInt(b, int32(ap.Port()))
}

// typeMinVersion is the first protocol version that knows a type id;
// older clients get it as a custom type (transport/DataType.java).
var typeMinVersion = map[cqltype.ID]byte{
	cqltype.DateID: 4, cqltype.TimeID: 4, cqltype.Smallint: 4, cqltype.Tinyint: 4,
	cqltype.DurationID: 5,
}

// marshalClass is the org.apache.cassandra.db.marshal class of each type,
// which is how a type too new for the client's version is described.
var marshalClass = map[cqltype.ID]string{
	cqltype.DateID:     "org.apache.cassandra.db.marshal.SimpleDateType",
	cqltype.TimeID:     "org.apache.cassandra.db.marshal.TimeType",
	cqltype.Smallint:   "org.apache.cassandra.db.marshal.ShortType",
	cqltype.Tinyint:    "org.apache.cassandra.db.marshal.ByteType",
	cqltype.DurationID: "org.apache.cassandra.db.marshal.DurationType",
	cqltype.Ascii:      "org.apache.cassandra.db.marshal.AsciiType",
	cqltype.Bigint:     "org.apache.cassandra.db.marshal.LongType",
	cqltype.Blob:       "org.apache.cassandra.db.marshal.BytesType",
	cqltype.Boolean:    "org.apache.cassandra.db.marshal.BooleanType",
	cqltype.Counter:    "org.apache.cassandra.db.marshal.CounterColumnType",
	cqltype.DecimalID:  "org.apache.cassandra.db.marshal.DecimalType",
	cqltype.Double:     "org.apache.cassandra.db.marshal.DoubleType",
	cqltype.Float:      "org.apache.cassandra.db.marshal.FloatType",
	cqltype.Int:        "org.apache.cassandra.db.marshal.Int32Type",
	cqltype.Timestamp:  "org.apache.cassandra.db.marshal.TimestampType",
	cqltype.UUIDID:     "org.apache.cassandra.db.marshal.UUIDType",
	cqltype.Varchar:    "org.apache.cassandra.db.marshal.UTF8Type",
	cqltype.Varint:     "org.apache.cassandra.db.marshal.IntegerType",
	cqltype.Timeuuid:   "org.apache.cassandra.db.marshal.TimeUUIDType",
	cqltype.Inet:       "org.apache.cassandra.db.marshal.InetAddressType",
	cqltype.List:       "org.apache.cassandra.db.marshal.ListType",
	cqltype.Set:        "org.apache.cassandra.db.marshal.SetType",
	cqltype.Map:        "org.apache.cassandra.db.marshal.MapType",
	cqltype.Tuple:      "org.apache.cassandra.db.marshal.TupleType",
}

// marshalString is AbstractType.toString(ignoreFreezing): a frozen
// collection is wrapped in FrozenType and its elements are printed
// without (ListType/SetType/MapType.toString); tuples never are.
func marshalString(t cqltype.Type, ignoreFreezing bool) string {
	switch t.ID {
	case cqltype.Custom:
		return t.Class
	case cqltype.List, cqltype.Set, cqltype.Map, cqltype.Tuple:
		inner := ignoreFreezing || t.Frozen || t.ID == cqltype.Tuple
		s := marshalClass[t.ID] + "("
		for i, e := range t.Elems {
			if i > 0 {
				s += ","
			}
			s += marshalString(e, inner)
		}
		s += ")"
		if t.Frozen && !ignoreFreezing && t.ID != cqltype.Tuple {
			s = "org.apache.cassandra.db.marshal.FrozenType(" + s + ")"
		}
		return s
	}
	if c, ok := marshalClass[t.ID]; ok {
		return c
	}
	return t.String()
}

// ResultMetadataID is ResultSet.computeResultMetadataId: MD5 over each
// column's name, 0, type, 0, 0. It is the result_metadata_id of v5
// PREPARED and EXECUTE; no columns (a non-SELECT) hash to MD5("").
func ResultMetadataID(cols []ColumnSpec) []byte {
	h := md5.New()
	for _, c := range cols {
		h.Write([]byte(c.Name))
		h.Write([]byte{0})
		h.Write([]byte(marshalString(c.Type, false)))
		h.Write([]byte{0, 0})
	}
	return h.Sum(nil)
}

// AppendType appends the [option] describing t for the given protocol
// version (spec section 4.2.5.2).
func AppendType(b []byte, version byte, t cqltype.Type) []byte {
	if minV, ok := typeMinVersion[t.ID]; ok && version < minV {
		b = appendShort(b, uint16(cqltype.Custom))
		return appendString(b, marshalClass[t.ID])
	}
	b = appendShort(b, uint16(t.ID))
	switch t.ID {
	case cqltype.Custom:
		b = appendString(b, t.Class)
	case cqltype.List, cqltype.Set:
		b = AppendType(b, version, elem(t, 0))
	case cqltype.Map:
		b = AppendType(b, version, elem(t, 0))
		b = AppendType(b, version, elem(t, 1))
	case cqltype.Tuple:
		b = appendShort(b, uint16(len(t.Elems)))
		for _, e := range t.Elems {
			b = AppendType(b, version, e)
		}
	}
	return b
}

func elem(t cqltype.Type, i int) cqltype.Type {
	if i < len(t.Elems) {
		return t.Elems[i]
	}
	return cqltype.BlobT
}

// EncodeError encodes an ERROR body for CurrentVersion.
func EncodeError(e *Error) []byte { return EncodeErrorV(CurrentVersion, e) }

// EncodeErrorV encodes an ERROR body (spec section 9). For v3 clients the
// codes v4 added are translated as ErrorMessage.getBackwardsCompatibleException
// does: read/write failures become timeouts, function failures Invalid.
func EncodeErrorV(version byte, e *Error) []byte {
	code, msg := e.Code, e.Message
	if version < 4 {
		switch code {
		case ErrReadFailure:
			code = ErrReadTimeout
		case ErrWriteFailure:
			code = ErrWriteTimeout
		case ErrFunctionFailure:
			code, msg = ErrInvalid, "ERROR FUNCTION_FAILURE: "+msg
		}
	}
	casTimeout := false
	if code == ErrCASWriteUnknown && version < 5 {
		// ErrorMessage.getBackwardsCompatibleException.
		code, casTimeout = ErrWriteTimeout, true
	}
	b := appendInt(nil, int32(code))
	b = appendString(b, msg)
	switch code {
	case ErrUnavailable:
		b = appendShort(b, uint16(e.Consistency))
		b = appendInt(b, e.Required)
		b = appendInt(b, e.Alive)
	case ErrWriteTimeout, ErrReadTimeout:
		b = appendShort(b, uint16(e.Consistency))
		b = appendInt(b, e.Received)
		b = appendInt(b, e.BlockFor)
		if code == ErrWriteTimeout {
			wt := e.WriteType
			if casTimeout {
				wt = "CAS"
			}
			b = appendString(b, wt)
			if version >= 5 && wt == "CAS" {
				b = appendShort(b, uint16(e.Contentions))
			}
		} else {
			b = append(b, boolByte(e.DataPresent))
		}
	case ErrReadFailure, ErrWriteFailure:
		b = appendShort(b, uint16(e.Consistency))
		b = appendInt(b, e.Received)
		b = appendInt(b, e.BlockFor)
		if version >= 5 {
			// ErrorMessage.Codec: the reason map replaces numfailures.
			b = appendInt(b, int32(len(e.FailureReasons)))
			for _, r := range e.FailureReasons {
				raw := r.Addr.Unmap().AsSlice()
				b = append(b, byte(len(raw)))
				b = append(b, raw...)
				b = appendShort(b, r.Code)
			}
		} else if e.NumFailures != 0 || len(e.FailureReasons) == 0 {
			b = appendInt(b, e.NumFailures)
		} else {
			b = appendInt(b, int32(len(e.FailureReasons)))
		}
		if code == ErrWriteFailure {
			b = appendString(b, e.WriteType)
		} else {
			b = append(b, boolByte(e.DataPresent))
		}
	case ErrFunctionFailure:
		b = appendString(b, e.Keyspace)
		b = appendString(b, e.Function)
		b = appendStringList(b, e.ArgTypes)
	case ErrAlreadyExists:
		b = appendString(b, e.Keyspace)
		b = appendString(b, e.Table)
	case ErrUnprepared:
		b = appendShortBytes(b, e.ID)
	case ErrCASWriteUnknown:
		b = appendShort(b, uint16(e.Consistency))
		b = appendInt(b, e.Received)
		b = appendInt(b, e.BlockFor)
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// EncodeReady encodes a READY body (empty).
func EncodeReady() []byte { return []byte{} }

// EncodeAuthenticate encodes an AUTHENTICATE body: the authenticator class.
func EncodeAuthenticate(class string) []byte { return appendString(nil, class) }

// EncodeAuthSuccess encodes an AUTH_SUCCESS body; a nil token is written as
// a null [bytes], as PasswordAuthenticator's final (null) challenge is.
func EncodeAuthSuccess(token []byte) []byte { return appendBytes(nil, token) }

// EncodeAuthChallenge encodes an AUTH_CHALLENGE body.
func EncodeAuthChallenge(token []byte) []byte { return appendBytes(nil, token) }

// EncodeSupported encodes a SUPPORTED body ([string multimap], keys sorted).
func EncodeSupported(m map[string][]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := appendShort(nil, uint16(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendStringList(b, m[k])
	}
	return b
}

// EncodeVoid encodes a Void RESULT body.
func EncodeVoid() []byte { return appendInt(nil, resultVoid) }

// EncodeSetKeyspace encodes a Set_keyspace RESULT body.
func EncodeSetKeyspace(ks string) []byte {
	return appendString(appendInt(nil, resultSetKeyspace), ks)
}

// EncodeRows encodes a Rows RESULT body for CurrentVersion.
func EncodeRows(meta RowsMetadata, rows [][][]byte) []byte {
	return EncodeRowsV(CurrentVersion, meta, rows)
}

// EncodeRowsV encodes a Rows RESULT body; a nil cell is null.
func EncodeRowsV(version byte, meta RowsMetadata, rows [][][]byte) []byte {
	b := appendInt(nil, resultRows)
	b = appendResultMetadata(b, version, meta, false)
	b = appendInt(b, int32(len(rows)))
	n := len(meta.Columns)
	for _, row := range rows {
		for i := range n {
			var cell []byte
			if i < len(row) {
				cell = row[i]
			}
			b = appendBytes(b, cell)
		}
	}
	return b
}

// sameTable reports whether all columns share keyspace and table, in which
// case Cassandra sets Global_tables_spec (ResultSet.ResultMetadata).
func sameTable(cols []ColumnSpec) bool {
	if len(cols) == 0 {
		return false
	}
	for _, c := range cols[1:] {
		if c.Keyspace != cols[0].Keyspace || c.Table != cols[0].Table {
			return false
		}
	}
	return true
}

// appendResultMetadata writes <metadata> of section 4.2.5.2. emptyIsNone
// renders a column-less metadata as ResultMetadata.EMPTY (No_metadata),
// which is what PREPARE returns for statements that are not SELECTs.
func appendResultMetadata(b []byte, version byte, m RowsMetadata, emptyIsNone bool) []byte {
	var flags int32
	changed := m.MetadataChanged && version >= 5
	noMeta := !changed && (m.NoMetadata || (emptyIsNone && len(m.Columns) == 0))
	global := !noMeta && sameTable(m.Columns)
	if global {
		flags |= metaGlobalTablesSpec
	}
	if m.PagingState != nil {
		flags |= metaHasMorePages
	}
	if noMeta {
		flags |= metaNoMetadata
	}
	if changed {
		flags |= metaMetadataChanged
	}
	b = appendInt(b, flags)
	b = appendInt(b, int32(len(m.Columns)))
	if m.PagingState != nil {
		b = appendBytes(b, m.PagingState)
	}
	if changed {
		b = appendShortBytes(b, ResultMetadataID(m.Columns))
	}
	if !noMeta {
		b = appendColumnSpecs(b, version, m.Columns, global)
	}
	return b
}

func appendColumnSpecs(b []byte, version byte, cols []ColumnSpec, global bool) []byte {
	if global {
		b = appendString(b, cols[0].Keyspace)
		b = appendString(b, cols[0].Table)
	}
	for _, c := range cols {
		if !global {
			b = appendString(b, c.Keyspace)
			b = appendString(b, c.Table)
		}
		b = appendString(b, c.Name)
		b = AppendType(b, version, c.Type)
	}
	return b
}

// EncodePrepared encodes a Prepared RESULT body for CurrentVersion.
func EncodePrepared(id []byte, bind RowsMetadata, pkIndexes []uint16, result RowsMetadata) []byte {
	return EncodePreparedV(CurrentVersion, id, bind, pkIndexes, result)
}

// EncodePreparedV encodes a Prepared RESULT body (section 4.2.5.4). The
// bind metadata carries <pk_count><pk_index_i> from v4 on, and as in
// ResultSet.PreparedMetadata the indexes are only sent (else pk_count 0)
// when all bind markers belong to one table. A result metadata without
// columns is sent as No_metadata with 0 columns (non-SELECT statements).
func EncodePreparedV(version byte, id []byte, bind RowsMetadata, pkIndexes []uint16, result RowsMetadata) []byte {
	b := appendInt(nil, resultPrepared)
	b = appendShortBytes(b, id)
	if version >= 5 {
		// ResultMessage.Prepared.Codec: the result metadata's id.
		b = appendShortBytes(b, ResultMetadataID(result.Columns))
	}
	global := sameTable(bind.Columns)
	var flags int32
	if global {
		flags = metaGlobalTablesSpec
	}
	b = appendInt(b, flags)
	b = appendInt(b, int32(len(bind.Columns)))
	if version >= 4 {
		if !global || pkIndexes == nil {
			b = appendInt(b, 0)
		} else {
			b = appendInt(b, int32(len(pkIndexes)))
			for _, i := range pkIndexes {
				b = appendShort(b, i)
			}
		}
	}
	b = appendColumnSpecs(b, version, bind.Columns, global)
	return appendResultMetadata(b, version, result, true)
}

// EncodeSchemaChangeResult encodes a Schema_change RESULT body for
// CurrentVersion.
func EncodeSchemaChangeResult(sc SchemaChange) []byte {
	return EncodeSchemaChangeResultV(CurrentVersion, sc)
}

// EncodeSchemaChangeResultV encodes a Schema_change RESULT body: the kind
// followed by the same fields as a SCHEMA_CHANGE event.
func EncodeSchemaChangeResultV(version byte, sc SchemaChange) []byte {
	return appendSchemaChange(appendInt(nil, resultSchemaChange), version, sc)
}

// appendSchemaChange follows Event.SchemaChange.serializeEvent: v3 clients
// cannot represent function and aggregate changes and are told that the
// keyspace was UPDATED instead (with a trailing empty string, as Cassandra
// writes it).
func appendSchemaChange(b []byte, version byte, sc SchemaChange) []byte {
	if sc.Target == "FUNCTION" || sc.Target == "AGGREGATE" {
		if version >= 4 {
			b = appendString(b, sc.Change)
			b = appendString(b, sc.Target)
			b = appendString(b, sc.Keyspace)
			b = appendString(b, sc.Name)
			return appendStringList(b, sc.ArgTypes)
		}
		b = appendString(b, "UPDATED")
		b = appendString(b, "KEYSPACE")
		b = appendString(b, sc.Keyspace)
		return appendString(b, "")
	}
	b = appendString(b, sc.Change)
	b = appendString(b, sc.Target)
	b = appendString(b, sc.Keyspace)
	if sc.Target != "KEYSPACE" {
		b = appendString(b, sc.Name)
	}
	return b
}

// EncodeEvent encodes an EVENT body for CurrentVersion.
func EncodeEvent(ev Event) []byte { return EncodeEventV(CurrentVersion, ev) }

// EncodeEventV encodes an EVENT body (section 4.2.6).
func EncodeEventV(version byte, ev Event) []byte {
	b := appendString(nil, ev.Type)
	switch ev.Type {
	case "SCHEMA_CHANGE":
		var sc SchemaChange
		if ev.Schema != nil {
			sc = *ev.Schema
		}
		return appendSchemaChange(b, version, sc)
	default:
		b = appendString(b, ev.Change)
		return appendInet(b, ev.Addr)
	}
}

// Response is the answer to a request: an opcode and its body. Responses
// built by the helpers below (ErrorResponse, RowsResponse, PreparedResponse,
// SchemaChangeResponse...) are encoded for the connection's protocol
// version when written, and their Body may be nil (see BodyFor); a literal
// Response{Op, Body} is sent as is, so it should hold a body for the
// connection's version (the Encode*V functions with Conn.Version()).
type Response struct {
	Op   Opcode
	Body []byte
	// Err is the error of an ERROR response (set by ErrorResponse).
	Err *Error
	// Warnings are sent with the WARNING flag to v4+ clients (dropped for
	// v3, as Message.encode does).
	Warnings []string
	// TracingID, when set and the request asked for tracing, is sent with
	// the TRACING flag at the start of the body.
	TracingID *cqltype.UUID

	encode func(version byte) []byte
}

// BodyFor returns the body encoded for a protocol version.
func (r Response) BodyFor(version byte) []byte {
	if r.encode != nil {
		return r.encode(version)
	}
	return r.Body
}

// ErrorResponse answers with an ERROR.
func ErrorResponse(e *Error) Response {
	return Response{Op: OpError, Err: e, Body: EncodeError(e),
		encode: func(v byte) []byte { return EncodeErrorV(v, e) }}
}

// VoidResponse answers with a Void RESULT.
func VoidResponse() Response { return Response{Op: OpResult, Body: EncodeVoid()} }

// RowsResponse answers with a Rows RESULT.
func RowsResponse(meta RowsMetadata, rows [][][]byte) Response {
	return Response{Op: OpResult, encode: func(v byte) []byte { return EncodeRowsV(v, meta, rows) }}
}

// SetKeyspaceResponse answers a USE with a Set_keyspace RESULT.
func SetKeyspaceResponse(ks string) Response {
	return Response{Op: OpResult, Body: EncodeSetKeyspace(ks)}
}

// PreparedResponse answers a PREPARE.
func PreparedResponse(id []byte, bind RowsMetadata, pkIndexes []uint16, result RowsMetadata) Response {
	return Response{Op: OpResult, encode: func(v byte) []byte {
		return EncodePreparedV(v, id, bind, pkIndexes, result)
	}}
}

// SchemaChangeResponse answers a DDL statement with a Schema_change RESULT.
func SchemaChangeResponse(sc SchemaChange) Response {
	return Response{Op: OpResult, encode: func(v byte) []byte { return EncodeSchemaChangeResultV(v, sc) }}
}

// responseFrame assembles the frame for r: tracing id, warnings, body.
func responseFrame(version byte, stream int16, r Response, tracing bool) Frame {
	var flags byte
	var b []byte
	if tracing && r.TracingID != nil {
		flags |= FlagTracing
		b = append(b, r.TracingID[:]...)
	}
	if len(r.Warnings) > 0 && version >= 4 {
		flags |= FlagWarning
		b = appendStringList(b, r.Warnings)
	}
	body := r.BodyFor(version)
	if b != nil {
		body = append(b, body...)
	}
	return Frame{Version: version, Flags: flags, Stream: stream, Opcode: r.Op, Body: body}
}

// newError builds an *Error with a formatted message.
func newError(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// protocolErr is a ProtocolException.
func protocolErr(format string, args ...any) *Error {
	return newError(ErrProtocol, format, args...)
}
