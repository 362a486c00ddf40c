package native

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"unicode/utf8"
)

// Query parameter flags (spec section 4.1.4); v3 and v4 send them as a
// byte, v5 as an [int] (QueryOptions.Codec).
const (
	qfValues            = 0x01
	qfSkipMetadata      = 0x02
	qfPageSize          = 0x04
	qfPagingState       = 0x08
	qfSerialConsistency = 0x10
	qfTimestamp         = 0x20
	qfNamesForValues    = 0x40
	qfKeyspace          = 0x80  // v5
	qfNowInSeconds      = 0x100 // v5
)

// decoder reads the notations of spec section 3. The first failure sticks
// and every later read returns zero values, so callers check err once.
// Messages follow CBUtil's ProtocolException texts where it has one.
type decoder struct {
	b   []byte
	err *Error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = protocolErr(format, args...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("Not enough bytes to read %s", what)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte(what string) byte {
	if b := d.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) short(what string) uint16 {
	if b := d.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) int(what string) int32 {
	if b := d.take(4, what); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (d *decoder) long(what string) int64 {
	if b := d.take(8, what); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

func (d *decoder) utf8(b []byte) string {
	if d.err == nil && !utf8.Valid(b) {
		// CBUtil.readString's CharacterCodingException.
		d.fail("Cannot decode string as UTF8: '%s'; java.nio.charset.MalformedInputException: Input length = 1", hex.EncodeToString(b))
		return ""
	}
	return string(b)
}

func (d *decoder) string() string {
	const what = "an UTF8 serialized string preceded by its 2 bytes length"
	if d.err != nil {
		return ""
	}
	if len(d.b) < 2 {
		d.fail("Not enough bytes to read %s", what)
		return ""
	}
	n := int(binary.BigEndian.Uint16(d.b))
	if len(d.b)-2 < n {
		d.fail("Not enough bytes to read %s", what)
		return ""
	}
	d.b = d.b[2:]
	return d.utf8(d.take(n, what))
}

func (d *decoder) longString() string {
	const what = "an UTF8 serialized string preceded by its 4 bytes length"
	if d.err != nil {
		return ""
	}
	if len(d.b) < 4 {
		d.fail("Not enough bytes to read %s", what)
		return ""
	}
	n := int32(binary.BigEndian.Uint32(d.b))
	if n < 0 || int64(len(d.b)-4) < int64(n) {
		d.fail("Not enough bytes to read %s", what)
		return ""
	}
	d.b = d.b[4:]
	return d.utf8(d.take(int(n), what))
}

// shortBytes reads [short bytes] (a prepared statement id).
func (d *decoder) shortBytes() []byte {
	const what = "a byte array preceded by its 2 bytes length"
	n := int(d.short(what))
	return clone(d.take(n, what))
}

// bytes reads [bytes]; a negative length is null (nil).
func (d *decoder) bytes() []byte {
	const what = "a value preceded by its 4 bytes length"
	n := d.int(what)
	if n < 0 || d.err != nil {
		return nil
	}
	b := clone(d.take(int(n), what))
	if b == nil && d.err == nil {
		b = []byte{}
	}
	return b
}

// value reads a bound [value] (CBUtil.readBoundValue): before v4 any
// negative length is null; v4 adds -2 for "unset".
func (d *decoder) value(version byte) Value {
	const what = "a value preceded by its 4 bytes length"
	n := d.int(what)
	if d.err != nil {
		return Value{}
	}
	switch {
	case n >= 0:
		b := clone(d.take(int(n), what))
		if b == nil {
			b = []byte{}
		}
		return Value{Bytes: b}
	case version < 4 || n == -1:
		return Value{Null: true}
	case n == -2:
		return Value{Unset: true}
	}
	d.fail("Invalid ByteBuf length %d", n)
	return Value{}
}

func (d *decoder) consistency() Consistency {
	c := d.short("a consistency level")
	if d.err == nil && c > uint16(LocalOne) {
		// ConsistencyLevel.fromCode.
		d.fail("Unknown code %d for a consistency level", c)
	}
	return Consistency(c)
}

func (d *decoder) stringList() []string {
	n := int(d.short("a string list"))
	out := make([]string, 0, min(n, len(d.b)/2))
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.string())
	}
	return out
}

func (d *decoder) stringMap() map[string]string {
	n := int(d.short("a string map"))
	out := make(map[string]string, min(n, len(d.b)/4))
	for i := 0; i < n && d.err == nil; i++ {
		k := d.string()
		out[k] = d.string()
	}
	return out
}

// bytesMap reads a [bytes map] (a custom payload).
func (d *decoder) bytesMap() map[string][]byte {
	n := int(d.short("a bytes map"))
	out := make(map[string][]byte, min(n, len(d.b)/6))
	for i := 0; i < n && d.err == nil; i++ {
		k := d.string()
		out[k] = d.bytes()
	}
	return out
}

func (d *decoder) result() error {
	if d.err != nil {
		return d.err
	}
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// DecodeStartup decodes a STARTUP body. Keys are upper-cased as
// StartupMessage.upperCaseKeys does.
func DecodeStartup(body []byte) (map[string]string, error) {
	d := &decoder{b: body}
	m := d.stringMap()
	if err := d.result(); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToUpper(k)] = v
	}
	return out, nil
}

// DecodeAuthResponse decodes an AUTH_RESPONSE body: the SASL token, nil
// when the client sent a null [bytes].
func DecodeAuthResponse(body []byte) ([]byte, error) {
	d := &decoder{b: body}
	tok := d.bytes()
	return tok, d.result()
}

// eventTypes are Event.Type's constants; REGISTER accepts them in any case.
var eventTypes = map[string]bool{
	"TOPOLOGY_CHANGE": true, "STATUS_CHANGE": true, "SCHEMA_CHANGE": true, "TRACE_COMPLETE": true,
}

// DecodeRegister decodes a REGISTER body into upper-case event types.
func DecodeRegister(body []byte) ([]string, error) {
	d := &decoder{b: body}
	l := d.stringList()
	if err := d.result(); err != nil {
		return nil, err
	}
	for i, s := range l {
		u := strings.ToUpper(s)
		if !eventTypes[u] {
			// CBUtil.readEnumValue.
			return nil, protocolErr("Invalid value '%s' for Type", s)
		}
		l[i] = u
	}
	return l, nil
}

// decodeParams reads <query_parameters> (QueryOptions.Codec).
func decodeParams(d *decoder, version byte) QueryParams {
	p := QueryParams{Consistency: d.consistency(), PageSize: -1}
	var flags uint32
	if version >= 5 {
		flags = uint32(d.int("query flags"))
	} else {
		flags = uint32(d.byte("query flags"))
	}
	if d.err != nil {
		return p
	}
	if flags&qfValues != 0 {
		n := int(d.short("a value count"))
		p.Values = make([]Value, 0, min(n, len(d.b)/4))
		named := flags&qfNamesForValues != 0
		for i := 0; i < n && d.err == nil; i++ {
			if named {
				p.Names = append(p.Names, d.string())
			}
			p.Values = append(p.Values, d.value(version))
		}
	}
	p.SkipMetadata = flags&qfSkipMetadata != 0
	if flags&qfPageSize != 0 {
		p.PageSize = d.int("a page size")
	}
	if flags&qfPagingState != 0 {
		p.PagingState = d.bytes()
	}
	if flags&qfSerialConsistency != 0 {
		p.SerialConsistency = d.consistency()
	}
	if flags&qfTimestamp != 0 {
		ts := d.long("a timestamp")
		if d.err == nil && ts == math.MinInt64 {
			d.fail("Out of bound timestamp, must be in [%d, %d] (got %d)", int64(math.MinInt64+1), int64(math.MaxInt64), ts)
		}
		p.Timestamp = &ts
	}
	if flags&qfKeyspace != 0 {
		p.Keyspace = d.string()
	}
	if flags&qfNowInSeconds != 0 {
		now := d.int("now in seconds")
		p.NowInSeconds = &now
	}
	return p
}

// checkPageSize is QueryMessage/ExecuteMessage.execute's first check.
func checkPageSize(p *QueryParams) error {
	if p.PageSize == 0 {
		return protocolErr("The page size cannot be 0")
	}
	return nil
}

// DecodeQuery decodes a QUERY body. An absent page size is -1.
func DecodeQuery(version byte, body []byte) (*Query, error) {
	d := &decoder{b: body}
	q := &Query{Statement: d.longString()}
	q.Params = decodeParams(d, version)
	if err := d.result(); err != nil {
		return nil, err
	}
	if err := checkPageSize(&q.Params); err != nil {
		return nil, err
	}
	return q, nil
}

// DecodePrepare decodes a PREPARE body.
func DecodePrepare(version byte, body []byte) (*Prepare, error) {
	d := &decoder{b: body}
	p := &Prepare{Statement: d.longString()}
	if version >= 5 {
		// PrepareMessage.Codec: <flags>, 0x01 for a keyspace.
		if d.int("prepare flags")&0x01 != 0 {
			p.Keyspace = d.string()
		}
	}
	if err := d.result(); err != nil {
		return nil, err
	}
	return p, nil
}

// DecodeExecute decodes an EXECUTE body.
func DecodeExecute(version byte, body []byte) (*Execute, error) {
	d := &decoder{b: body}
	e := &Execute{ID: d.shortBytes()}
	if version >= 5 {
		e.ResultMetadataID = d.shortBytes()
	}
	e.Params = decodeParams(d, version)
	if err := d.result(); err != nil {
		return nil, err
	}
	if err := checkPageSize(&e.Params); err != nil {
		return nil, err
	}
	return e, nil
}

// DecodeBatch decodes a BATCH body as BatchMessage.Codec does: values are
// read without names (the 0x40 flag cannot work, CASSANDRA-10246, and
// Cassandra ignores it), then the trailing options with the query codec.
func DecodeBatch(version byte, body []byte) (*Batch, error) {
	d := &decoder{b: body}
	b := &Batch{Type: d.byte("a batch type")}
	n := int(d.short("a query count"))
	b.Statements = make([]BatchStatement, 0, min(n, len(d.b)/3))
	for i := 0; i < n && d.err == nil; i++ {
		var s BatchStatement
		s.Kind = d.byte("a query kind")
		switch {
		case d.err != nil:
		case s.Kind == 0:
			s.Statement = d.longString()
		case s.Kind == 1:
			s.ID = d.shortBytes()
		default:
			d.fail("Invalid query kind in BATCH messages. Must be 0 or 1 but got %d", int8(s.Kind))
		}
		nv := int(d.short("a value count"))
		s.Values = make([]Value, 0, min(nv, len(d.b)/4))
		for j := 0; j < nv && d.err == nil; j++ {
			s.Values = append(s.Values, d.value(version))
		}
		b.Statements = append(b.Statements, s)
	}
	p := decodeParams(d, version)
	if err := d.result(); err != nil {
		return nil, err
	}
	if b.Type > 2 {
		return nil, protocolErr("Invalid BATCH message type %d", int8(b.Type))
	}
	b.Consistency, b.SerialConsistency, b.Timestamp = p.Consistency, p.SerialConsistency, p.Timestamp
	b.Keyspace, b.NowInSeconds = p.Keyspace, p.NowInSeconds
	return b, nil
}
