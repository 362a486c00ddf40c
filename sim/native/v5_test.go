package native

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim/cqltype"
)

// The CRCs must agree with gocql's own implementation of the v5 framing
// (crc.go), which is what talks to real 4.1 nodes.
func TestSegmentCRCs(t *testing.T) {
	for _, in := range [][]byte{nil, {0}, {1, 2, 3}, []byte("a longer payload to checksum"), bytes.Repeat([]byte{0xff}, 1000)} {
		if got, want := segmentCRC32(in), gocql.Crc32(in); got != want {
			t.Errorf("crc32(% x) = %#x, gocql %#x", in, got, want)
		}
		if len(in) <= 3 {
			var v uint64
			for i, b := range in {
				v |= uint64(b) << (8 * i)
			}
			if got, want := crc24(v, len(in)), gocql.Crc24(in); got != want {
				t.Errorf("crc24(% x) = %#x, gocql %#x", in, got, want)
			}
		}
	}
}

func TestSegmentRoundTrip(t *testing.T) {
	for _, self := range []bool{true, false} {
		for _, n := range []int{0, 1, 1000, MaxSegmentPayload} {
			p := bytes.Repeat([]byte{0xab}, n)
			b := AppendSegment(nil, p, self)
			if len(b) != n+10 {
				t.Fatalf("segment of %d bytes for a %d-byte payload", len(b), n)
			}
			// Header: length in the low 17 bits, then the flag, little-endian.
			h := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
			if int(h&MaxSegmentPayload) != n || (h&selfContainedBit != 0) != self || h>>18 != 0 {
				t.Fatalf("header %#x for n=%d self=%v", h, n, self)
			}
			got, gotSelf, err := ReadSegment(bytes.NewReader(b))
			if err != nil || !bytes.Equal(got, p) || gotSelf != self {
				t.Fatalf("n=%d self=%v: %d bytes, %v, %v", n, self, len(got), gotSelf, err)
			}
		}
	}
	// A truncated segment is an unexpected EOF, an absent one io.EOF.
	b := AppendSegment(nil, []byte("xyz"), true)
	if _, _, err := ReadSegment(bytes.NewReader(b[:8])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
	if _, _, err := ReadSegment(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty: %v", err)
	}
}

func TestSegmentCorrupt(t *testing.T) {
	good := AppendSegment(nil, []byte("payload"), true)
	for i, wantHeader := range map[int]bool{0: true, 2: true, 4: true, 6: false, 12: false, 15: false} {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		_, _, err := ReadSegment(bytes.NewReader(b))
		var ce *CorruptSegmentError
		if !errors.As(err, &ce) || ce.Header != wantHeader || ce.Read == ce.Computed {
			t.Errorf("byte %d flipped: %v", i, err)
		}
	}
}

// TestLargeEnvelope splits an envelope of more than 128 KiB over several
// segments, as Cassandra and gocql do, and reassembles it.
func TestLargeEnvelope(t *testing.T) {
	body := make([]byte, 300<<10)
	for i := range body {
		body[i] = byte(i * 7)
	}
	env := requestFrame(5, 0, 3, OpQuery, body)
	segs := AppendSegments(nil, env)
	r := bytes.NewReader(segs)
	var sizes []int
	for r.Len() > 0 {
		p, self, err := ReadSegment(r)
		if err != nil || self {
			t.Fatalf("segment %d: self=%v %v", len(sizes), self, err)
		}
		sizes = append(sizes, len(p))
	}
	if !reflect.DeepEqual(sizes, []int{MaxSegmentPayload, MaxSegmentPayload, len(env) - 2*MaxSegmentPayload}) {
		t.Fatalf("segment sizes %v", sizes)
	}
	// Between the segments of a large message, contained messages are
	// still processed.
	small := AppendSegment(nil, requestFrame(5, 0, 9, OpOptions, nil), true)
	mixed := append(append(bytes.Clone(segs[:MaxSegmentPayload+10]), small...), segs[MaxSegmentPayload+10:]...)
	er := &envelopeReader{r: bytes.NewReader(mixed), version: 5, maxBody: 1 << 20}
	f, err := er.next()
	if err != nil || f.Stream != 9 || f.Opcode != OpOptions {
		t.Fatalf("contained: %+v %v", f, err)
	}
	f, err = er.next()
	if err != nil || f.Stream != 3 || f.Opcode != OpQuery || !bytes.Equal(f.Body, body) {
		t.Fatalf("large: stream %d op %v %d bytes, %v", f.Stream, f.Opcode, len(f.Body), err)
	}
	if _, err := er.next(); err != io.EOF {
		t.Fatalf("after: %v", err)
	}
	// Over the size limit: refused before buffering.
	er = &envelopeReader{r: bytes.NewReader(segs), version: 5, maxBody: 1000}
	var ee *envelopeError
	if _, err := er.next(); !errors.As(err, &ee) || !ee.fatal || ee.stream != 3 ||
		ee.err.Message != "Request is too big: length 307209 exceeds maximum allowed length 1009." {
		t.Fatalf("too big: %v", err)
	}
}

// v5Client speaks the modern framing once STARTUP is answered.
type v5Client struct{ *rawClient }

func (c v5Client) sendEnvelopes(envs ...[]byte) {
	c.t.Helper()
	var b []byte
	for _, e := range envs {
		b = append(b, e...)
	}
	if _, err := c.c.Write(AppendSegments(nil, b)); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads the next envelope; responses come one per segment, a large
// one over several.
func (c v5Client) recv() Frame {
	c.t.Helper()
	var env []byte
	for {
		p, self, err := ReadSegment(c.r)
		if err != nil {
			c.t.Fatalf("segment: %v", err)
		}
		env = append(env, p...)
		if self || (len(env) >= HeaderLen && len(env) >= HeaderLen+int(binary.BigEndian.Uint32(env[5:9]))) {
			break
		}
	}
	f, err := ReadFrame(bytes.NewReader(env), 1<<24)
	if err != nil || !f.Response {
		c.t.Fatalf("envelope: %+v %v", f, err)
	}
	return f
}

// ksHandler answers QUERY with the statement and keyspace it ran in.
type ksHandler struct {
	mu   sync.Mutex
	seen []string
}

func (h *ksHandler) Query(c *Conn, q *Query) Response {
	ks := q.Params.Keyspace
	if ks == "" {
		ks = c.Keyspace()
	}
	h.mu.Lock()
	h.seen = append(h.seen, ks)
	h.mu.Unlock()
	if q.Statement == "CAS" {
		return ErrorResponse(&Error{Code: ErrCASWriteUnknown, Message: "CAS operation result is unknown - proposal was not accepted by a quorum. (1 / 2)", Consistency: Serial, Received: 1, BlockFor: 2})
	}
	cols := []ColumnSpec{{Keyspace: ks, Table: "t", Name: "s", Type: cqltype.TextT}}
	val := q.Statement
	if len(val) > 64 {
		val = val[:64]
	}
	return RowsResponse(RowsMetadata{Columns: cols}, [][][]byte{{[]byte(val)}})
}
func (h *ksHandler) Prepare(c *Conn, p *Prepare) Response { return VoidResponse() }
func (h *ksHandler) Execute(c *Conn, e *Execute) Response { return VoidResponse() }
func (h *ksHandler) Batch(c *Conn, b *Batch) Response     { return VoidResponse() }

func rowText(t *testing.T, f Frame) string {
	t.Helper()
	if f.Opcode != OpResult {
		c, m := decodeErr(t, f)
		t.Fatalf("not a result: %#x %q", c, m)
	}
	d := &decoder{b: f.Body}
	d.int("kind")
	flags := d.int("flags")
	n := d.int("count")
	if flags&metaGlobalTablesSpec != 0 {
		d.string()
		d.string()
	}
	for range n {
		d.string()
		d.short("type")
	}
	d.int("rows")
	v := d.bytes()
	if d.err != nil {
		t.Fatal(d.err)
	}
	return string(v)
}

// TestV5Connection drives a v5 connection by hand: legacy framing up to
// the STARTUP response, segments after it.
func TestV5Connection(t *testing.T) {
	h := &ksHandler{}
	_, addr := startServer(t, ServerConfig{Handler: h})
	rc := dialRaw(t, addr)
	rc.send(5, 0, 1, OpOptions, nil)
	if f := rc.recv(); f.Opcode != OpSupported || f.Version != 5 {
		t.Fatalf("OPTIONS: %+v", f)
	}
	if f := rc.startup(5); f.Opcode != OpReady || f.Version != 5 {
		t.Fatalf("STARTUP: %+v", f)
	}
	c := v5Client{rc}

	// Two envelopes in one self-contained segment; v5 [int] query flags
	// with a keyspace and now_in_seconds.
	c.sendEnvelopes(
		requestFrame(5, 0, 2, OpQuery, queryBody("one", params{cons: One, v5: true, keyspace: "ks1", now: ptr(int32(1700000000))})),
		requestFrame(5, 0, 3, OpQuery, queryBody("two", params{cons: One, v5: true})))
	got := map[int16]string{}
	for range 2 {
		f := c.recv()
		got[f.Stream] = rowText(t, f)
	}
	if got[2] != "one" || got[3] != "two" {
		t.Fatalf("responses %v", got)
	}
	h.mu.Lock()
	if !reflect.DeepEqual(h.seen, []string{"ks1", ""}) && !reflect.DeepEqual(h.seen, []string{"", "ks1"}) {
		t.Errorf("keyspaces %q", h.seen)
	}
	h.mu.Unlock()

	// A request larger than a segment, and a response larger than one.
	big := strings.Repeat("x", 200<<10)
	c.sendEnvelopes(requestFrame(5, 0, 4, OpQuery, queryBody(big, params{cons: One, v5: true})))
	if f := c.recv(); f.Stream != 4 || rowText(t, f) != big[:64] {
		t.Fatalf("large request: %+v", f)
	}

	// An envelope of another version inside a segment: answered on its
	// stream, and the connection goes on.
	c.sendEnvelopes(requestFrame(4, 0, 5, OpOptions, nil))
	expectErr(t, c.recv(), 5, ErrProtocol, "Invalid message version. Got 4/v4 but previousmessages on this connection had version 5/v5")
	c.sendEnvelopes(requestFrame(5, 0, 6, OpOptions, nil))
	if f := c.recv(); f.Opcode != OpSupported || f.Stream != 6 {
		t.Fatalf("OPTIONS after error: %+v", f)
	}

	// CAS_WRITE_UNKNOWN reaches a v5 client as such.
	c.sendEnvelopes(requestFrame(5, 0, 7, OpQuery, queryBody("CAS", params{cons: Quorum, v5: true})))
	f := c.recv()
	if code, _ := decodeErr(t, f); code != ErrCASWriteUnknown {
		t.Fatalf("CAS: code %#x", code)
	}

	// A corrupt payload CRC: a fatal protocol error on stream 0, then the
	// connection is closed.
	seg := AppendSegment(nil, requestFrame(5, 0, 8, OpOptions, nil), true)
	seg[len(seg)-1] ^= 1
	c.c.Write(seg)
	f = c.recv()
	code, msg := decodeErr(t, f)
	if f.Stream != 0 || code != ErrProtocol || !strings.Contains(msg, " invalid, unrecoverable CRC mismatch detected in frame body. Read ") {
		t.Fatalf("corrupt: stream %d %#x %q", f.Stream, code, msg)
	}
	rc.expectClosed()

	// A corrupt header CRC likewise.
	rc = dialRaw(t, addr)
	rc.startup(5)
	c = v5Client{rc}
	seg = AppendSegment(nil, requestFrame(5, 0, 8, OpOptions, nil), true)
	seg[3] ^= 1
	c.c.Write(seg)
	if _, msg := decodeErr(t, c.recv()); !strings.Contains(msg, "CRC mismatch detected in frame header") {
		t.Fatalf("corrupt header: %q", msg)
	}
	rc.expectClosed()
}

// TestV5StartupError: the modern framing starts after any answer to a v5
// STARTUP (InitialConnectionHandler configures the pipeline once the
// response is written), so a retried STARTUP travels in a segment.
func TestV5StartupError(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Handler: &ksHandler{}})
	rc := dialRaw(t, addr)
	rc.send(5, 0, 1, OpStartup, startupBody(map[string]string{"CQL_VERSION": "2.0.0"}))
	expectErr(t, rc.recv(), 1, ErrProtocol, "CQL version 2.0.0 is not supported by the binary protocol (supported version are >= 3.0.0)")
	c := v5Client{rc}
	c.sendEnvelopes(requestFrame(5, 0, 2, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0"})))
	if f := c.recv(); f.Opcode != OpReady || f.Stream != 2 {
		t.Fatalf("second STARTUP: %+v", f)
	}
}

// TestV6Beta: v6 is "v6-beta" and needs the USE_BETA flag.
func TestV6Beta(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Handler: &ksHandler{}})
	rc := dialRaw(t, addr)
	rc.send(6, 0, 1, OpOptions, nil)
	f := rc.recv()
	expectErr(t, f, 0, ErrProtocol, "Beta version of the protocol used (6/v6-beta), but USE_BETA flag is unset")
	if f.Version != 6 || f.Flags&FlagUseBeta == 0 {
		t.Fatalf("beta error frame %+v", f)
	}
	rc.send(6, FlagUseBeta, 2, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0"}))
	if f := rc.recv(); f.Opcode != OpReady || f.Version != 6 || f.Flags&FlagUseBeta == 0 {
		t.Fatalf("STARTUP: %+v", f)
	}
	c := v5Client{rc}
	c.sendEnvelopes(requestFrame(6, FlagUseBeta, 3, OpQuery, queryBody("q", params{cons: One, v5: true})))
	if f := c.recv(); f.Version != 6 || rowText(t, f) != "q" {
		t.Fatalf("QUERY: %+v", f)
	}
}

func TestDecodeV5(t *testing.T) {
	q, err := DecodeQuery(5, queryBody("SELECT 1", params{cons: One, v5: true, keyspace: "ks", now: ptr(int32(42)), pageSize: ptr(int32(10)),
		timestamp: ptr(int64(5)), values: []Value{{Bytes: []byte{1}}}}))
	if err != nil || q.Params.Keyspace != "ks" || *q.Params.NowInSeconds != 42 || q.Params.PageSize != 10 || *q.Params.Timestamp != 5 || len(q.Params.Values) != 1 {
		t.Fatalf("%+v %v", q, err)
	}
	// The keyspace flag is v5's: a v4 byte cannot hold NOW_IN_SECONDS.
	if _, err := DecodeQuery(5, queryBody("SELECT 1", params{cons: One})); err == nil {
		t.Error("v4-style flags accepted at v5")
	}
	p, err := DecodePrepare(5, append(appendLongString(nil, "SELECT 1"), hx("00000001 0002 6b73")...))
	if err != nil || p.Keyspace != "ks" {
		t.Fatalf("prepare %+v %v", p, err)
	}
	if p, err := DecodePrepare(5, append(appendLongString(nil, "SELECT 1"), 0, 0, 0, 0)); err != nil || p.Keyspace != "" {
		t.Fatalf("prepare without keyspace %+v %v", p, err)
	}
	if _, err := DecodePrepare(5, appendLongString(nil, "SELECT 1")); err == nil {
		t.Error("v5 PREPARE without flags accepted")
	}
	e, err := DecodeExecute(5, append(hx("0002 abcd 0003 010203"), params{cons: Quorum, v5: true, skip: true}.append(nil)...))
	if err != nil || !bytes.Equal(e.ID, []byte{0xab, 0xcd}) || !bytes.Equal(e.ResultMetadataID, []byte{1, 2, 3}) || !e.Params.SkipMetadata {
		t.Fatalf("execute %+v %v", e, err)
	}
	b, err := DecodeBatch(5, append(hx("01 0001 00 00000001 78 0000"), params{cons: One, v5: true, keyspace: "bk"}.append(nil)...))
	if err != nil || b.Keyspace != "bk" || b.Type != 1 || len(b.Statements) != 1 {
		t.Fatalf("batch %+v %v", b, err)
	}
}

func TestEncodeV5(t *testing.T) {
	// CAS_WRITE_UNKNOWN at v5; a WriteTimeout of write type CAS below.
	e := &Error{Code: ErrCASWriteUnknown, Message: "m", Consistency: Serial, Received: 1, BlockFor: 2}
	if got, want := EncodeErrorV(5, e), hx("00001700 0001 6d 0008 00000001 00000002"); !bytes.Equal(got, want) {
		t.Errorf("v5 CAS_WRITE_UNKNOWN %x", got)
	}
	if got, want := EncodeErrorV(4, e), hx("00001100 0001 6d 0008 00000001 00000002 0003 434153"); !bytes.Equal(got, want) {
		t.Errorf("v4 CAS_WRITE_UNKNOWN %x", got)
	}
	// v5 failures carry the reason map instead of a count.
	rf := &Error{Code: ErrReadFailure, Message: "m", Consistency: One, Received: 0, BlockFor: 1,
		FailureReasons: []FailureReason{{Addr: netip.MustParseAddr("10.0.0.2"), Code: 1}}}
	if got, want := EncodeErrorV(5, rf), hx("00001300 0001 6d 0001 00000000 00000001 00000001 04 0a000002 0001 00"); !bytes.Equal(got, want) {
		t.Errorf("v5 read failure %x", got)
	}
	if got, want := EncodeErrorV(4, rf), hx("00001300 0001 6d 0001 00000000 00000001 00000001 00"); !bytes.Equal(got, want) {
		t.Errorf("v4 read failure %x", got)
	}

	cols := []ColumnSpec{{Keyspace: "k", Table: "t", Name: "a", Type: cqltype.IntT}}
	sum := md5.Sum([]byte("a\x00org.apache.cassandra.db.marshal.Int32Type\x00\x00"))
	if got := ResultMetadataID(cols); !bytes.Equal(got, sum[:]) {
		t.Errorf("result metadata id %x", got)
	}
	changed := RowsMetadata{Columns: cols, NoMetadata: true, MetadataChanged: true}
	if got, want := EncodeRowsV(5, changed, nil), append(append(hx("00000002 00000009 00000001 0010"), sum[:]...), hx("0001 6b 0001 74 0001 61 0009 00000000")...); !bytes.Equal(got, want) {
		t.Errorf("v5 METADATA_CHANGED %x", got)
	}
	if got, want := EncodeRowsV(4, changed, nil), hx("00000002 00000004 00000001 00000000"); !bytes.Equal(got, want) {
		t.Errorf("v4 ignores METADATA_CHANGED: %x", got)
	}
	prep := EncodePreparedV(5, []byte{0xab}, RowsMetadata{}, nil, RowsMetadata{Columns: cols})
	if want := append(append(hx("00000004 0001ab 0010"), sum[:]...), hx("00000000 00000000 00000000 00000001 00000001 0001 6b 0001 74 0001 61 0009")...); !bytes.Equal(prep, want) {
		t.Errorf("v5 prepared %x", prep)
	}

	for typ, want := range map[string]cqltype.Type{
		"org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)":                                                                                           cqltype.ListOf(cqltype.IntT),
		"org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,org.apache.cassandra.db.marshal.UUIDType))":        {ID: cqltype.Map, Frozen: true, Elems: []cqltype.Type{cqltype.TextT, cqltype.UUIDT}},
		"org.apache.cassandra.db.marshal.SetType(org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.SimpleDateType)))": cqltype.SetOf(cqltype.Type{ID: cqltype.List, Frozen: true, Elems: []cqltype.Type{cqltype.Simple(cqltype.DateID)}}),
		"org.apache.cassandra.db.marshal.TupleType(org.apache.cassandra.db.marshal.Int32Type,org.apache.cassandra.db.marshal.LongType)":                                                 cqltype.TupleOf(cqltype.IntT, cqltype.BigintT),
	} {
		if got := marshalString(want, false); got != typ {
			t.Errorf("marshalString = %s, want %s", got, typ)
		}
	}
}

// hx decodes spaced hex.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// casHandler adds a statement, LWT, failing with CAS_WRITE_UNKNOWN.
type casHandler struct{ *cqlHandler }

func (h casHandler) Query(c *Conn, q *Query) Response {
	if q.Statement == "LWT" {
		return ErrorResponse(&Error{Code: ErrCASWriteUnknown, Message: "CAS operation result is unknown - proposal was not accepted by a quorum. (1 / 2)",
			Consistency: Serial, Received: 1, BlockFor: 2})
	}
	return h.cqlHandler.Query(c, q)
}

// TestGocqlVersions: gocql at each version, and by default, lands on the
// version asked (v5 by default, as against a 4.1 node), and gets
// CAS_WRITE_UNKNOWN as such only from v5.
func TestGocqlVersions(t *testing.T) {
	for _, pv := range []int{0, 3, 4, 5} {
		h := newCQLHandler(t)
		srv, addr := startServer(t, ServerConfig{Handler: casHandler{h}})
		_, port, _ := strings.Cut(addr, ":")
		h.port, _ = strconv.Atoi(port)
		cl := newCluster(addr)
		cl.ProtoVersion = pv
		obs := &versionObserver{seen: map[byte]int{}}
		cl.FrameHeaderObserver = obs
		s, err := cl.CreateSession()
		if err != nil {
			t.Fatalf("v%d: %v", pv, err)
		}
		want := byte(pv)
		if pv == 0 {
			want = 5
		}
		var v string
		var d time.Time
		if err := s.Query(selectT, 7).Scan(&v, &d); err != nil || v != "value-7" {
			t.Fatalf("v%d: select %q %v", pv, v, err)
		}
		// (gocql would PREPARE an UPDATE: a bare word goes as a QUERY.)
		err = s.Query("LWT").Exec()
		var cas *gocql.RequestErrCASWriteUnknown
		var wt *gocql.RequestErrWriteTimeout
		switch {
		case want == 5 && !errors.As(err, &cas):
			t.Errorf("v%d: %T %v, want CAS_WRITE_UNKNOWN", pv, err, err)
		case want == 5 && (cas.Received != 1 || cas.BlockFor != 2):
			t.Errorf("v%d: %+v", pv, cas)
		case want < 5 && (!errors.As(err, &wt) || wt.WriteType != "CAS"):
			t.Errorf("v%d: %T %v, want a CAS write timeout", pv, err, err)
		}
		for _, c := range readyConns(srv) {
			if c.Version() != want {
				t.Errorf("v%d: connection at v%d", pv, c.Version())
			}
		}
		s.Close()
		obs.mu.Lock()
		if obs.seen[want] == 0 || len(obs.seen) != 1 {
			t.Errorf("v%d: response versions %v", pv, obs.seen)
		}
		obs.mu.Unlock()
	}
}

type versionObserver struct {
	mu   sync.Mutex
	seen map[byte]int
}

func (o *versionObserver) ObserveFrameHeader(_ context.Context, h gocql.ObservedFrameHeader) {
	o.mu.Lock()
	o.seen[byte(h.Version)&0x7f]++
	o.mu.Unlock()
}

// TestStartupUndecodable: a STARTUP whose body cannot be decoded is
// answered on stream 0 and leaves the connection open and not set up
// (InitialConnectionHandler throws before configuring the pipeline), so a
// retried v5 STARTUP still travels in a legacy frame.
func TestStartupUndecodable(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Handler: &ksHandler{}})
	for _, v := range []byte{4, 5} {
		rc := dialRaw(t, addr)
		rc.send(v, 0, 3, OpStartup, []byte{0, 1, 0})
		f := rc.recv()
		if code, _ := decodeErr(t, f); code != ErrProtocol || f.Stream != 0 || f.Version != v {
			t.Fatalf("v%d: %#x on stream %d in v%d", v, code, f.Stream, f.Version)
		}
		if f := rc.startup(v); f.Opcode != OpReady || f.Version != v {
			t.Fatalf("v%d: retried STARTUP: %+v", v, f)
		}
		if v == 5 {
			c := v5Client{rc}
			c.sendEnvelopes(requestFrame(5, 0, 4, OpQuery, queryBody("q", params{cons: One, v5: true})))
			if f := c.recv(); rowText(t, f) != "q" {
				t.Fatalf("QUERY: %+v", f)
			}
		}
	}
}
