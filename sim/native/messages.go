// Package native implements the server side of the CQL native protocol v3,
// v4 and v5 (and v6-beta, served as v5) as Cassandra 4.1 does, following
// doc/native_protocol_v4.spec and doc/native_protocol_v5.spec: frames and
// v5 segments, request decoding, response encoding, and a connection
// server that handles STARTUP/OPTIONS/AUTH/REGISTER itself and hands
// statements to a Handler.
package native

import (
	"net/netip"

	"github.com/ringside/ringside/sim/cqltype"
)

// Opcode is a frame opcode (spec section 2.4).
type Opcode byte

const (
	OpError         Opcode = 0x00
	OpStartup       Opcode = 0x01
	OpReady         Opcode = 0x02
	OpAuthenticate  Opcode = 0x03
	OpOptions       Opcode = 0x05
	OpSupported     Opcode = 0x06
	OpQuery         Opcode = 0x07
	OpResult        Opcode = 0x08
	OpPrepare       Opcode = 0x09
	OpExecute       Opcode = 0x0A
	OpRegister      Opcode = 0x0B
	OpEvent         Opcode = 0x0C
	OpBatch         Opcode = 0x0D
	OpAuthChallenge Opcode = 0x0E
	OpAuthResponse  Opcode = 0x0F
	OpAuthSuccess   Opcode = 0x10
)

// Consistency is a consistency level (spec section 3, [consistency]).
type Consistency uint16

const (
	Any         Consistency = 0x0000
	One         Consistency = 0x0001
	Two         Consistency = 0x0002
	Three       Consistency = 0x0003
	Quorum      Consistency = 0x0004
	All         Consistency = 0x0005
	LocalQuorum Consistency = 0x0006
	EachQuorum  Consistency = 0x0007
	Serial      Consistency = 0x0008
	LocalSerial Consistency = 0x0009
	LocalOne    Consistency = 0x000A
)

var consistencyNames = map[Consistency]string{
	Any: "ANY", One: "ONE", Two: "TWO", Three: "THREE", Quorum: "QUORUM", All: "ALL",
	LocalQuorum: "LOCAL_QUORUM", EachQuorum: "EACH_QUORUM", Serial: "SERIAL",
	LocalSerial: "LOCAL_SERIAL", LocalOne: "LOCAL_ONE",
}

// String returns the name Cassandra uses (e.g. "LOCAL_QUORUM").
func (c Consistency) String() string {
	if n, ok := consistencyNames[c]; ok {
		return n
	}
	return "UNKNOWN"
}

// ErrorCode is an ERROR message code (spec section 9).
type ErrorCode int32

const (
	ErrServer          ErrorCode = 0x0000
	ErrProtocol        ErrorCode = 0x000A
	ErrBadCredentials  ErrorCode = 0x0100
	ErrUnavailable     ErrorCode = 0x1000
	ErrOverloaded      ErrorCode = 0x1001
	ErrIsBootstrapping ErrorCode = 0x1002
	ErrTruncate        ErrorCode = 0x1003
	ErrWriteTimeout    ErrorCode = 0x1100
	ErrReadTimeout     ErrorCode = 0x1200
	ErrReadFailure     ErrorCode = 0x1300
	ErrFunctionFailure ErrorCode = 0x1400
	ErrWriteFailure    ErrorCode = 0x1500
	ErrSyntax          ErrorCode = 0x2000
	ErrUnauthorized    ErrorCode = 0x2100
	ErrInvalid         ErrorCode = 0x2200
	ErrConfig          ErrorCode = 0x2300
	ErrAlreadyExists   ErrorCode = 0x2400
	ErrUnprepared      ErrorCode = 0x2500
	// ErrCASWriteUnknown is v5's CAS_WRITE_UNKNOWN (native_protocol_v5.spec
	// §9, CasWriteUnknownResultException); older versions get a WriteTimeout
	// of write type CAS instead.
	ErrCASWriteUnknown ErrorCode = 0x1700
)

// Error is an ERROR message. Only the fields its Code carries are encoded.
type Error struct {
	Code    ErrorCode
	Message string
	// Unavailable, WriteTimeout, ReadTimeout, ReadFailure, WriteFailure.
	Consistency Consistency
	Required    int32 // Unavailable
	Alive       int32 // Unavailable
	Received    int32 // timeouts/failures
	BlockFor    int32 // timeouts/failures
	NumFailures int32 // failures before v5; when 0, len(FailureReasons)
	// FailureReasons is v5's <reasonmap> of ReadFailure/WriteFailure
	// (RequestFailureReason codes by replica, ErrorMessage.Codec).
	FailureReasons []FailureReason
	DataPresent    bool   // ReadTimeout, ReadFailure
	WriteType      string // WriteTimeout, WriteFailure: SIMPLE, BATCH, UNLOGGED_BATCH, COUNTER, BATCH_LOG, CAS, VIEW, CDC
	// Contentions is sent with a WriteTimeout of write type CAS from v5 on
	// (CasWriteTimeoutException): how many Paxos rounds lost to contention.
	Contentions int16
	// AlreadyExists; FunctionFailure uses Keyspace and Function/ArgTypes.
	Keyspace string
	Table    string
	Function string
	ArgTypes []string
	// Unprepared.
	ID []byte
}

func (e *Error) Error() string { return e.Message }

// FailureReason is one replica's entry of a failure's reason map; Code is
// a RequestFailureReason code (0 UNKNOWN, 1 READ_TOO_MANY_TOMBSTONES, ...).
type FailureReason struct {
	Addr netip.Addr
	Code uint16
}

// Value is one bound value of QUERY/EXECUTE/BATCH: Null and Unset are the
// protocol's [value] lengths -1 and -2.
type Value struct {
	Bytes []byte
	Null  bool
	Unset bool
}

// QueryParams are the <query_parameters> of QUERY and EXECUTE (spec 4.1.4).
type QueryParams struct {
	Consistency       Consistency
	Values            []Value
	Names             []string // set when the client sent named values
	SkipMetadata      bool
	PageSize          int32 // -1 when absent (no paging); decoders reject 0
	PagingState       []byte
	SerialConsistency Consistency // 0 when absent (means SERIAL)
	Timestamp         *int64      // microseconds, when the client set one
	// v5: the keyspace to run in instead of the connection's (WITH_KEYSPACE)
	// and the time to use as "now" (NOW_IN_SECONDS), when sent.
	Keyspace     string
	NowInSeconds *int32
}

// Query is a QUERY request.
type Query struct {
	Statement string
	Params    QueryParams
	Tracing   bool // the request frame had the tracing flag
}

// Prepare is a PREPARE request.
type Prepare struct {
	Statement string
	Keyspace  string // v5: the keyspace to prepare in, when the client sent one
	Tracing   bool
}

// Execute is an EXECUTE request.
type Execute struct {
	ID []byte
	// ResultMetadataID (v5) is the id of the result metadata the client
	// has for the statement; a Rows result with other metadata comes with
	// METADATA_CHANGED (ExecuteMessage.execute).
	ResultMetadataID []byte
	Params           QueryParams
	Tracing          bool
}

// BatchStatement is one entry of a BATCH request: a query string (Kind 0)
// or a prepared id (Kind 1).
type BatchStatement struct {
	Kind      byte
	Statement string
	ID        []byte
	Values    []Value
}

// Batch is a BATCH request. Type: 0 LOGGED, 1 UNLOGGED, 2 COUNTER.
type Batch struct {
	Type              byte
	Statements        []BatchStatement
	Consistency       Consistency
	SerialConsistency Consistency
	Timestamp         *int64
	Keyspace          string // v5, as QueryParams.Keyspace
	NowInSeconds      *int32
	Tracing           bool
}

// ColumnSpec is one column of result or bind metadata.
type ColumnSpec struct {
	Keyspace, Table, Name string
	Type                  cqltype.Type
}

// RowsMetadata is the <metadata> of a Rows result (spec 4.2.5.2).
type RowsMetadata struct {
	Columns     []ColumnSpec
	PagingState []byte // non-nil: more pages (Has_more_pages flag)
	NoMetadata  bool   // the client asked to skip metadata (column count still sent)
	// MetadataChanged (v5) sends the METADATA_CHANGED flag with the new
	// result metadata id (ResultMetadataID of Columns) and full metadata;
	// it overrides NoMetadata, the two being exclusive.
	MetadataChanged bool
}

// SchemaChange is the body of a Schema_change result and of a SCHEMA_CHANGE
// event. Change: CREATED, UPDATED, DROPPED. Target: KEYSPACE, TABLE, TYPE,
// FUNCTION, AGGREGATE. Name is the table/type name (empty for KEYSPACE).
type SchemaChange struct {
	Change, Target string
	Keyspace, Name string
	ArgTypes       []string // FUNCTION, AGGREGATE
}

// Event is a pushed EVENT. Type is TOPOLOGY_CHANGE (Change NEW_NODE,
// REMOVED_NODE), STATUS_CHANGE (UP, DOWN) or SCHEMA_CHANGE (Schema set).
// Addr is the node's native transport address and port.
type Event struct {
	Type   string
	Change string
	Addr   netip.AddrPort
	Schema *SchemaChange
}
