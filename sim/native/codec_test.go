package native

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ringside/ringside/sim/cqltype"
)

// Request body builders for tests.

func appendLongString(b []byte, s string) []byte {
	b = appendInt(b, int32(len(s)))
	return append(b, s...)
}

type params struct {
	cons      Consistency
	values    []Value
	names     []string
	skip      bool
	pageSize  *int32
	paging    []byte
	serial    *Consistency
	timestamp *int64
	// v5: flags as an [int], and the keyspace and now_in_seconds options.
	v5       bool
	keyspace string
	now      *int32
}

func appendValue(b []byte, v Value) []byte {
	switch {
	case v.Null:
		return appendInt(b, -1)
	case v.Unset:
		return appendInt(b, -2)
	}
	return appendBytes(b, v.Bytes)
}

func (p params) append(b []byte) []byte {
	b = appendShort(b, uint16(p.cons))
	var flags uint32
	if p.values != nil {
		flags |= qfValues
	}
	if p.names != nil {
		flags |= qfNamesForValues
	}
	if p.skip {
		flags |= qfSkipMetadata
	}
	if p.pageSize != nil {
		flags |= qfPageSize
	}
	if p.paging != nil {
		flags |= qfPagingState
	}
	if p.serial != nil {
		flags |= qfSerialConsistency
	}
	if p.timestamp != nil {
		flags |= qfTimestamp
	}
	if p.keyspace != "" {
		flags |= qfKeyspace
	}
	if p.now != nil {
		flags |= qfNowInSeconds
	}
	if p.v5 {
		b = appendInt(b, int32(flags))
	} else {
		b = append(b, byte(flags))
	}
	if p.values != nil {
		b = appendShort(b, uint16(len(p.values)))
		for i, v := range p.values {
			if p.names != nil {
				b = appendString(b, p.names[i])
			}
			b = appendValue(b, v)
		}
	}
	if p.pageSize != nil {
		b = appendInt(b, *p.pageSize)
	}
	if p.paging != nil {
		b = appendBytes(b, p.paging)
	}
	if p.serial != nil {
		b = appendShort(b, uint16(*p.serial))
	}
	if p.timestamp != nil {
		b = binary.BigEndian.AppendUint64(b, uint64(*p.timestamp))
	}
	if p.keyspace != "" {
		b = appendString(b, p.keyspace)
	}
	if p.now != nil {
		b = appendInt(b, *p.now)
	}
	return b
}

func queryBody(stmt string, p params) []byte { return p.append(appendLongString(nil, stmt)) }

func ptr[T any](v T) *T { return &v }

func protoMsg(t *testing.T, err error) string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != ErrProtocol {
		t.Fatalf("error %v (%T) is not a protocol error", err, err)
	}
	return e.Message
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := Frame{Version: 4, Flags: FlagWarning, Stream: -1, Opcode: OpEvent, Body: []byte("xyz")}
	if err := WriteFrame(&buf, in); err != nil {
		t.Fatal(err)
	}
	if got := buf.Bytes()[0]; got != 0x84 {
		t.Fatalf("version byte %#x, want 0x84", got)
	}
	out, err := ReadFrame(&buf, 100)
	if err != nil {
		t.Fatal(err)
	}
	in.Response = true
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("got %+v, want %+v", out, in)
	}

	// Too big: the body is skipped and the next frame is readable.
	buf.Reset()
	WriteFrame(&buf, Frame{Version: 4, Stream: 7, Opcode: OpQuery, Body: make([]byte, 50)})
	WriteFrame(&buf, Frame{Version: 4, Stream: 8, Opcode: OpOptions})
	_, err = ReadFrame(&buf, 10)
	var tb *FrameTooBigError
	if !errors.As(err, &tb) || tb.Length != 50 || tb.Frame.Stream != 7 {
		t.Fatalf("err = %v", err)
	}
	if f, err := ReadFrame(&buf, 10); err != nil || f.Stream != 8 {
		t.Fatalf("next frame %+v %v", f, err)
	}

	// Unsupported versions fail after one byte (a v2 header is 8 bytes).
	for _, v := range []byte{1, 2, 7, 0x87, 0} {
		_, err := ReadFrame(bytes.NewReader([]byte{v}), 10)
		var ve *VersionError
		if !errors.As(err, &ve) || ve.Version != v&0x7f {
			t.Errorf("version %d: %v", v, err)
		}
	}
	if ve := (&VersionError{Version: 7}); ve.Error() != "Invalid or unsupported protocol version (7); supported versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)" {
		t.Errorf("message %q", ve.Error())
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{4, 0, 0}), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated header: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{4, 0, 0, 1, 7, 0, 0, 0, 5, 1}), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: %v", err)
	}
}

func TestDecodeQuery(t *testing.T) {
	ts := int64(1234)
	body := queryBody("SELECT * FROM t WHERE a = ? AND b = ?", params{
		cons:   LocalQuorum,
		values: []Value{{Bytes: []byte{0, 0, 0, 1}}, {Null: true}, {Unset: true}, {Bytes: []byte{}}},
		names:  []string{"a", "b", "c", "d"}, skip: true, pageSize: ptr[int32](100),
		paging: []byte{9, 9}, serial: ptr(LocalSerial), timestamp: &ts,
	})
	q, err := DecodeQuery(4, body)
	if err != nil {
		t.Fatal(err)
	}
	want := &Query{Statement: "SELECT * FROM t WHERE a = ? AND b = ?", Params: QueryParams{
		Consistency: LocalQuorum,
		Values:      []Value{{Bytes: []byte{0, 0, 0, 1}}, {Null: true}, {Unset: true}, {Bytes: []byte{}}},
		Names:       []string{"a", "b", "c", "d"}, SkipMetadata: true, PageSize: 100,
		PagingState: []byte{9, 9}, SerialConsistency: LocalSerial, Timestamp: &ts,
	}}
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("got %+v\nwant %+v", q, want)
	}
	// v3 has no "unset": any negative length is null (CBUtil.readBoundValue).
	q, err = DecodeQuery(3, queryBody("x", params{cons: One, values: []Value{{Unset: true}}}))
	if err != nil || !q.Params.Values[0].Null {
		t.Fatalf("v3 unset: %+v %v", q, err)
	}
	// No flags: no paging (-1), no values.
	q, err = DecodeQuery(4, queryBody("x", params{cons: One}))
	if err != nil || q.Params.PageSize != -1 || q.Params.Values != nil || q.Params.Timestamp != nil {
		t.Fatalf("bare query: %+v %v", q, err)
	}

	bad := []struct {
		body []byte
		msg  string
	}{
		{nil, "Not enough bytes to read an UTF8 serialized string preceded by its 4 bytes length"},
		{appendLongString(nil, "x")[:4], "Not enough bytes to read an UTF8 serialized string preceded by its 4 bytes length"},
		{[]byte{0, 0, 0, 1, 0xff, 0, 1, 0}, "Cannot decode string as UTF8: 'ff'; java.nio.charset.MalformedInputException: Input length = 1"},
		{queryBody("x", params{cons: 11}), "Unknown code 11 for a consistency level"},
		{append(queryBody("x", params{cons: One, values: []Value{{Null: true}}})[:10], 0xff, 0xff, 0xff, 0xfd), "Invalid ByteBuf length -3"},
		{queryBody("x", params{cons: One, pageSize: ptr[int32](0)}), "The page size cannot be 0"},
		{queryBody("x", params{cons: One, timestamp: ptr[int64](math.MinInt64)}),
			"Out of bound timestamp, must be in [-9223372036854775807, 9223372036854775807] (got -9223372036854775808)"},
		{queryBody("x", params{cons: One, values: []Value{{Bytes: []byte{1, 2, 3}}}})[:16], "Not enough bytes to read a value preceded by its 4 bytes length"},
	}
	for _, c := range bad {
		_, err := DecodeQuery(4, c.body)
		if err == nil {
			t.Errorf("%x: no error", c.body)
			continue
		}
		if got := protoMsg(t, err); got != c.msg {
			t.Errorf("%x: %q, want %q", c.body, got, c.msg)
		}
	}
}

func TestDecodeOthers(t *testing.T) {
	m, err := DecodeStartup(appendString(appendString(appendShort(nil, 1), "cql_version"), "3.0.0"))
	if err != nil || m["CQL_VERSION"] != "3.0.0" {
		t.Errorf("startup %v %v", m, err)
	}
	tok, err := DecodeAuthResponse(appendBytes(nil, []byte("\x00u\x00p")))
	if err != nil || string(tok) != "\x00u\x00p" {
		t.Errorf("auth %q %v", tok, err)
	}
	if tok, err := DecodeAuthResponse(appendInt(nil, -1)); tok != nil || err != nil {
		t.Errorf("null token %q %v", tok, err)
	}
	ev, err := DecodeRegister(appendStringList(nil, []string{"status_change", "SCHEMA_CHANGE"}))
	if err != nil || !reflect.DeepEqual(ev, []string{"STATUS_CHANGE", "SCHEMA_CHANGE"}) {
		t.Errorf("register %v %v", ev, err)
	}
	if _, err := DecodeRegister(appendStringList(nil, []string{"NOPE"})); protoMsg(t, err) != "Invalid value 'NOPE' for Type" {
		t.Errorf("register: %v", err)
	}
	p, err := DecodePrepare(4, appendLongString(nil, "SELECT 1"))
	if err != nil || p.Statement != "SELECT 1" {
		t.Errorf("prepare %v %v", p, err)
	}
	e, err := DecodeExecute(4, params{cons: Quorum, values: []Value{{Bytes: []byte("v")}}}.append(appendShortBytes(nil, []byte{0xab, 0xcd})))
	if err != nil || !bytes.Equal(e.ID, []byte{0xab, 0xcd}) || e.Params.Consistency != Quorum || string(e.Params.Values[0].Bytes) != "v" {
		t.Errorf("execute %+v %v", e, err)
	}
	if _, err := DecodeExecute(4, []byte{0, 5, 1}); protoMsg(t, err) != "Not enough bytes to read a byte array preceded by its 2 bytes length" {
		t.Errorf("execute: %v", err)
	}

	// BATCH: type, statements with values, then the options.
	b := []byte{1}
	b = appendShort(b, 2)
	b = append(b, 0)
	b = appendLongString(b, "INSERT INTO t (k) VALUES (?)")
	b = appendShort(b, 1)
	b = appendValue(b, Value{Unset: true})
	b = append(b, 1)
	b = appendShortBytes(b, []byte{7})
	b = appendShort(b, 0)
	ts := int64(99)
	b = params{cons: Two, serial: ptr(LocalSerial), timestamp: &ts}.append(b)
	bt, err := DecodeBatch(4, b)
	want := &Batch{Type: 1, Statements: []BatchStatement{
		{Kind: 0, Statement: "INSERT INTO t (k) VALUES (?)", Values: []Value{{Unset: true}}},
		{Kind: 1, ID: []byte{7}, Values: []Value{}},
	}, Consistency: Two, SerialConsistency: LocalSerial, Timestamp: &ts}
	if err != nil || !reflect.DeepEqual(bt, want) {
		t.Errorf("batch %+v %v", bt, err)
	}
	bad := append([]byte{3}, b[1:]...)
	if _, err := DecodeBatch(4, bad); protoMsg(t, err) != "Invalid BATCH message type 3" {
		t.Errorf("batch type: %v", err)
	}
	if _, err := DecodeBatch(4, []byte{0, 0, 1, 2}); protoMsg(t, err) != "Invalid query kind in BATCH messages. Must be 0 or 1 but got 2" {
		t.Errorf("batch kind: %v", err)
	}
}

func TestEncodeError(t *testing.T) {
	h := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	cases := []struct {
		v    byte
		e    *Error
		want string
	}{
		{4, &Error{Code: ErrProtocol, Message: "m"}, h("0000000a 0001 6d")},
		{4, &Error{Code: ErrUnavailable, Message: "", Consistency: Quorum, Required: 2, Alive: 1}, h("00001000 0000 0004 00000002 00000001")},
		{4, &Error{Code: ErrWriteTimeout, Consistency: One, Received: 0, BlockFor: 1, WriteType: "SIMPLE"}, h("00001100 0000 0001 00000000 00000001 0006 53494d504c45")},
		{4, &Error{Code: ErrReadTimeout, Consistency: One, Received: 1, BlockFor: 1, DataPresent: true}, h("00001200 0000 0001 00000001 00000001 01")},
		{4, &Error{Code: ErrReadFailure, Consistency: One, Received: 1, BlockFor: 2, NumFailures: 1}, h("00001300 0000 0001 00000001 00000002 00000001 00")},
		{4, &Error{Code: ErrWriteFailure, Consistency: All, Received: 1, BlockFor: 3, NumFailures: 2, WriteType: "CAS"}, h("00001500 0000 0005 00000001 00000003 00000002 0003 434153")},
		// v3 has no failure codes: ErrorMessage.getBackwardsCompatibleException.
		{3, &Error{Code: ErrReadFailure, Consistency: One, Received: 1, BlockFor: 2, NumFailures: 1}, h("00001200 0000 0001 00000001 00000002 00")},
		{3, &Error{Code: ErrWriteFailure, Consistency: One, BlockFor: 1, NumFailures: 1, WriteType: "CAS"}, h("00001100 0000 0001 00000000 00000001 0003 434153")},
		{4, &Error{Code: ErrFunctionFailure, Message: "x", Keyspace: "k", Function: "f", ArgTypes: []string{"int"}}, h("00001400 0001 78 0001 6b 0001 66 0001 0003 696e74")},
		{3, &Error{Code: ErrFunctionFailure, Message: "x"}, h("00002200 0019") + hex.EncodeToString([]byte("ERROR FUNCTION_FAILURE: x"))},
		{4, &Error{Code: ErrAlreadyExists, Message: "", Keyspace: "ks", Table: ""}, h("00002400 0000 0002 6b73 0000")},
		{4, &Error{Code: ErrUnprepared, Message: "", ID: []byte{1, 2}}, h("00002500 0000 0002 0102")},
		{4, &Error{Code: ErrBadCredentials, Message: ""}, h("00000100 0000")},
	}
	for _, c := range cases {
		if got := hex.EncodeToString(EncodeErrorV(c.v, c.e)); got != c.want {
			t.Errorf("v%d %+v:\n got %s\nwant %s", c.v, c.e, got, c.want)
		}
	}
	if !bytes.Equal(EncodeError(cases[1].e), EncodeErrorV(4, cases[1].e)) {
		t.Error("EncodeError is not v4")
	}
}

func TestEncodeResults(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	check := func(name string, got, want []byte) {
		t.Helper()
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", name, got, want)
		}
	}
	check("void", EncodeVoid(), h("00000001"))
	check("ready", EncodeReady(), nil)
	check("set keyspace", EncodeSetKeyspace("ks"), h("00000003 0002 6b73"))
	check("authenticate", EncodeAuthenticate("C"), h("0001 43"))
	check("auth success null", EncodeAuthSuccess(nil), h("ffffffff"))
	check("supported", EncodeSupported(map[string][]string{"B": {"x"}, "A": {}}), h("0002 0001 41 0000 0001 42 0001 0001 78"))

	ksT := func(name string, ty cqltype.Type) ColumnSpec {
		return ColumnSpec{Keyspace: "k", Table: "t", Name: name, Type: ty}
	}
	meta := RowsMetadata{Columns: []ColumnSpec{ksT("a", cqltype.IntT), ksT("b", cqltype.SetOf(cqltype.TextT))}}
	check("rows global", EncodeRows(meta, [][][]byte{{{0, 0, 0, 1}, nil}}),
		h("00000002 00000001 00000002 0001 6b 0001 74 0001 61 0009 0001 62 0022 000d 00000001 00000004 00000001 ffffffff"))
	mixed := RowsMetadata{Columns: []ColumnSpec{ksT("a", cqltype.IntT), {Keyspace: "k", Table: "u", Name: "b", Type: cqltype.Simple(cqltype.DateID)}},
		PagingState: []byte{0xee}}
	check("rows mixed paged v3", EncodeRowsV(3, mixed, nil),
		append(append(h("00000002 00000002 00000002 00000001 ee 0001 6b 0001 74 0001 61 0009 0001 6b 0001 75 0001 62 0000 002e"),
			"org.apache.cassandra.db.marshal.SimpleDateType"...), 0, 0, 0, 0))
	check("rows no metadata", EncodeRows(RowsMetadata{Columns: meta.Columns, NoMetadata: true}, nil),
		h("00000002 00000004 00000002 00000000"))

	bind := RowsMetadata{Columns: []ColumnSpec{ksT("k", cqltype.IntT)}}
	gotPrep := EncodePreparedV(4, []byte{0xab}, bind, []uint16{0}, meta)
	wantPrep := append(h("00000004 0001ab 00000001 00000001 00000001 0000 0001 6b 0001 74 0001 6b 0009"),
		h("00000001 00000002 0001 6b 0001 74 0001 61 0009 0001 62 0022 000d")...)
	check("prepared v4", gotPrep, wantPrep)
	check("prepared v3 insert", EncodePreparedV(3, []byte{0xab}, bind, []uint16{0}, RowsMetadata{}),
		h("00000004 0001ab 00000001 00000001 0001 6b 0001 74 0001 6b 0009 00000004 00000000"))
	check("prepared no binds", EncodePreparedV(4, []byte{1}, RowsMetadata{}, nil, RowsMetadata{}),
		h("00000004 0001 01 00000000 00000000 00000000 00000004 00000000"))
	// v5 adds the result metadata id; a non-SELECT's is MD5 of nothing.
	check("prepared no binds v5", EncodePrepared([]byte{1}, RowsMetadata{}, nil, RowsMetadata{}),
		h("00000004 0001 01 0010 d41d8cd98f00b204e9800998ecf8427e 00000000 00000000 00000000 00000004 00000000"))

	check("schema change table", EncodeSchemaChangeResult(SchemaChange{Change: "CREATED", Target: "TABLE", Keyspace: "k", Name: "t"}),
		append(h("00000005"), appendString(appendString(appendString(appendString(nil, "CREATED"), "TABLE"), "k"), "t")...))
	fn := SchemaChange{Change: "DROPPED", Target: "FUNCTION", Keyspace: "k", Name: "f", ArgTypes: []string{"int"}}
	check("schema change function v3", EncodeSchemaChangeResultV(3, fn),
		append(h("00000005"), appendString(appendString(appendString(appendString(nil, "UPDATED"), "KEYSPACE"), "k"), "")...))
	check("event status", EncodeEvent(Event{Type: "STATUS_CHANGE", Change: "DOWN", Addr: netip.MustParseAddrPort("127.0.0.2:9042")}),
		append(appendString(appendString(nil, "STATUS_CHANGE"), "DOWN"), h("04 7f000002 00002352")...))
	check("event schema", EncodeEvent(Event{Type: "SCHEMA_CHANGE", Schema: &SchemaChange{Change: "UPDATED", Target: "KEYSPACE", Keyspace: "k"}}),
		appendString(appendString(appendString(appendString(nil, "SCHEMA_CHANGE"), "UPDATED"), "KEYSPACE"), "k"))

	// Types newer than the client's version are sent as custom (DataType).
	check("duration v4", AppendType(nil, 4, cqltype.Simple(cqltype.DurationID)),
		append(h("0000 002c"), "org.apache.cassandra.db.marshal.DurationType"...))
	check("tinyint v4", AppendType(nil, 4, cqltype.Simple(cqltype.Tinyint)), h("0014"))
	check("tuple", AppendType(nil, 4, cqltype.TupleOf(cqltype.IntT, cqltype.MapOf(cqltype.TextT, cqltype.UUIDT))), h("0031 0002 0009 0021 000d 000c"))
	check("custom", AppendType(nil, 4, cqltype.Type{ID: cqltype.Custom, Class: "C"}), h("0000 0001 43"))

	// Responses with warnings and tracing.
	id := cqltype.RandomUUID()
	f := responseFrame(4, 3, Response{Op: OpResult, Body: EncodeVoid(), Warnings: []string{"w"}, TracingID: &id}, true)
	want := append(append(id[:], h("0001 0001 77")...), EncodeVoid()...)
	if f.Flags != FlagTracing|FlagWarning || !bytes.Equal(f.Body, want) {
		t.Errorf("frame %+v", f)
	}
	if f := responseFrame(3, 3, Response{Op: OpResult, Body: EncodeVoid(), Warnings: []string{"w"}}, true); f.Flags != 0 || !bytes.Equal(f.Body, EncodeVoid()) {
		t.Errorf("v3 frame kept warnings: %+v", f)
	}
}
