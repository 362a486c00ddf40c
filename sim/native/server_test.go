package native

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
)

// startServer serves cfg on an ephemeral port until the test ends.
func startServer(t *testing.T, cfg ServerConfig) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(cfg)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, l.Addr().String()
}

type rawClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawClient) send(version, flags byte, stream int16, op Opcode, body []byte) {
	rc.t.Helper()
	b := []byte{version, flags}
	b = binary.BigEndian.AppendUint16(b, uint16(stream))
	b = append(b, byte(op))
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	if _, err := rc.c.Write(append(b, body...)); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawClient) recv() Frame {
	rc.t.Helper()
	f, err := ReadFrame(rc.r, 1<<24)
	if err != nil {
		rc.t.Fatalf("recv: %v", err)
	}
	if !f.Response {
		rc.t.Fatalf("frame without the response bit: %+v", f)
	}
	return f
}

// expectClosed checks that the server closed the connection.
func (rc *rawClient) expectClosed() {
	rc.t.Helper()
	if n, err := rc.r.ReadByte(); err == nil {
		rc.t.Fatalf("connection still open (read %#x)", n)
	}
}

func startupBody(opts map[string]string) []byte {
	b := appendShort(nil, uint16(len(opts)))
	for k, v := range opts {
		b = appendString(appendString(b, k), v)
	}
	return b
}

func (rc *rawClient) startup(version byte) Frame {
	rc.t.Helper()
	rc.send(version, 0, 1, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0"}))
	return rc.recv()
}

func decodeErr(t *testing.T, f Frame) (ErrorCode, string) {
	t.Helper()
	if f.Opcode != OpError {
		t.Fatalf("opcode %v, want ERROR (%+v)", f.Opcode, f)
	}
	d := &decoder{b: f.Body}
	code := ErrorCode(d.int("code"))
	msg := d.string()
	if d.err != nil {
		t.Fatal(d.err)
	}
	return code, msg
}

func expectErr(t *testing.T, f Frame, stream int16, code ErrorCode, msg string) {
	t.Helper()
	c, m := decodeErr(t, f)
	if f.Stream != stream || c != code || m != msg {
		t.Fatalf("got stream %d error %#x %q, want stream %d %#x %q", f.Stream, c, m, stream, code, msg)
	}
}

// fakeHandler answers a few statements; see gocql_test.go for more.
type fakeHandler struct {
	mu      sync.Mutex
	queries []string
	block   chan struct{}
}

func (h *fakeHandler) Query(c *Conn, q *Query) Response {
	h.mu.Lock()
	h.queries = append(h.queries, q.Statement)
	h.mu.Unlock()
	switch q.Statement {
	case "PANIC":
		panic("boom")
	case "BLOCK":
		<-h.block
		return VoidResponse()
	case "USE ks":
		c.SetKeyspace("ks")
		return SetKeyspaceResponse("ks")
	case "WARN":
		r := VoidResponse()
		r.Warnings = []string{"careful"}
		return r
	}
	return RowsResponse(RowsMetadata{Columns: []ColumnSpec{{Keyspace: "k", Table: "t", Name: "d", Type: cqltype.Simple(cqltype.DateID)}}},
		[][][]byte{{{0x80, 0, 0, 1}}})
}

func (h *fakeHandler) Prepare(c *Conn, p *Prepare) Response {
	return ErrorResponse(&Error{Code: ErrSyntax, Message: "no"})
}

func (h *fakeHandler) Execute(c *Conn, e *Execute) Response {
	return ErrorResponse(&Error{Code: ErrUnprepared, Message: "Prepared query with ID 01 not found", ID: e.ID})
}

func (h *fakeHandler) Batch(c *Conn, b *Batch) Response { return VoidResponse() }

func TestUnsupportedVersions(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Handler: &fakeHandler{}})
	// Versions past v6 and nonsense ones: an ERROR in ProtocolVersion.CURRENT
	// (v5, legacy framing) on stream 0; the connection stays open, as
	// Cassandra's pre-v5 pipeline does not take the error as fatal.
	for _, v := range []byte{7, 0x45} {
		rc := dialRaw(t, addr)
		rc.send(v, 0, 3, OpOptions, nil)
		f := rc.recv()
		if f.Version != 5 {
			t.Fatalf("v%d: answered in v%d", v, f.Version)
		}
		expectErr(t, f, 0, ErrProtocol, "Invalid or unsupported protocol version ("+itoa(int(v))+"); supported versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)")
		rc.send(4, 0, 4, OpOptions, nil)
		if f := rc.recv(); f.Opcode != OpSupported || f.Version != 4 || f.Stream != 4 {
			t.Fatalf("v%d: OPTIONS after the error: %+v", v, f)
		}
	}
	// After STARTUP the error is in the connection's version.
	rc := dialRaw(t, addr)
	rc.startup(4)
	rc.send(7, 0, 5, OpOptions, nil)
	f := rc.recv()
	if f.Version != 4 {
		t.Fatalf("v4 connection: answered in v%d", f.Version)
	}
	expectErr(t, f, 0, ErrProtocol, "Invalid or unsupported protocol version (7); supported versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)")
	// v1/v2 get the error in their own (8-byte header) format.
	for _, v := range []byte{1, 2} {
		rc := dialRaw(t, addr)
		rc.c.Write([]byte{v, 0, 0, byte(OpOptions), 0, 0, 0, 0})
		hdr := make([]byte, 8)
		if _, err := io.ReadFull(rc.r, hdr); err != nil {
			t.Fatal(err)
		}
		if hdr[0] != 0x80|v || hdr[2] != 0 || hdr[3] != byte(OpError) {
			t.Fatalf("v%d header %x", v, hdr)
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[4:]))
		io.ReadFull(rc.r, body)
		_, msg := decodeErr(t, Frame{Opcode: OpError, Body: body})
		if !strings.HasPrefix(msg, "Invalid or unsupported protocol version ("+itoa(int(v))+")") {
			t.Fatalf("v%d: %q", v, msg)
		}
		rc.send(3, 0, 1, OpOptions, nil)
		if f := rc.recv(); f.Opcode != OpSupported || f.Version != 3 {
			t.Fatalf("v%d: OPTIONS after the error: %+v", v, f)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestHandshake(t *testing.T) {
	h := &fakeHandler{block: make(chan struct{})}
	srv, addr := startServer(t, ServerConfig{Handler: h})
	rc := dialRaw(t, addr)

	// OPTIONS works before STARTUP, in the frame's version.
	rc.send(3, 0, 5, OpOptions, nil)
	f := rc.recv()
	if f.Opcode != OpSupported || f.Stream != 5 || f.Version != 3 {
		t.Fatalf("OPTIONS: %+v", f)
	}
	d := &decoder{b: f.Body}
	n := d.short("")
	sup := map[string][]string{}
	for range n {
		k := d.string()
		sup[k] = d.stringList()
	}
	if strings.Join(sup["CQL_VERSION"], ",") != "3.4.6" || strings.Join(sup["PROTOCOL_VERSIONS"], ",") != "3/v3,4/v4,5/v5,6/v6-beta" || len(sup["COMPRESSION"]) != 0 {
		t.Fatalf("SUPPORTED %v", sup)
	}

	// Anything else before STARTUP: InitialConnectionHandler's error, on
	// stream 0, and the connection stays open.
	rc.send(4, 0, 6, OpQuery, queryBody("SELECT 1", params{cons: One}))
	expectErr(t, rc.recv(), 0, ErrProtocol, "Unexpected message QUERY, expecting STARTUP or OPTIONS")

	// STARTUP problems are answered on the stream.
	rc.send(4, 0, 7, OpStartup, startupBody(map[string]string{"DRIVER_NAME": "x"}))
	expectErr(t, rc.recv(), 7, ErrProtocol, "Missing value CQL_VERSION in STARTUP message")
	rc.send(4, 0, 7, OpStartup, startupBody(map[string]string{"CQL_VERSION": "2.0.0"}))
	expectErr(t, rc.recv(), 7, ErrProtocol, "CQL version 2.0.0 is not supported by the binary protocol (supported version are >= 3.0.0)")
	rc.send(4, 0, 7, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"}))
	expectErr(t, rc.recv(), 7, ErrProtocol, "Unknown compression algorithm: lz4")
	rc.send(4, 0, 8, OpQuery, queryBody("SELECT 1", params{cons: One}))
	expectErr(t, rc.recv(), 8, ErrProtocol, "Unexpected message QUERY, expecting STARTUP or OPTIONS")

	rc.send(4, 0, 9, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0", "driver_name": "raw"}))
	if f := rc.recv(); f.Opcode != OpReady || f.Stream != 9 || len(f.Body) != 0 {
		t.Fatalf("STARTUP: %+v", f)
	}
	rc.send(4, 0, 10, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0"}))
	expectErr(t, rc.recv(), 10, ErrProtocol, "Unexpected message STARTUP, the connection is already initialized")
	rc.send(3, 0, 11, OpOptions, nil)
	expectErr(t, rc.recv(), 11, ErrProtocol, "Invalid message version. Got 3/v3 but previous messages on this connection had version 4/v4")

	conns := srv.Conns()
	if len(conns) != 1 {
		t.Fatalf("%d conns", len(conns))
	}
	c := conns[0]
	if c.Stage() != StageReady || c.Version() != 4 || c.User() != "anonymous" || c.Options()["DRIVER_NAME"] != "raw" {
		t.Fatalf("conn stage %q version %d user %q options %v", c.Stage(), c.Version(), c.User(), c.Options())
	}

	// Queries run concurrently: a blocked one does not hold others.
	rc.send(4, 0, 20, OpQuery, queryBody("BLOCK", params{cons: One}))
	rc.send(4, FlagTracing, 21, OpQuery, queryBody("SELECT 1", params{cons: One}))
	f = rc.recv()
	if f.Stream != 21 || f.Opcode != OpResult || f.Flags != 0 {
		t.Fatalf("concurrent query: %+v", f)
	}
	close(h.block)
	if f := rc.recv(); f.Stream != 20 || f.Opcode != OpResult {
		t.Fatalf("blocked query: %+v", f)
	}

	// A handler panic is a ServerError; the connection survives.
	rc.send(4, 0, 22, OpQuery, queryBody("PANIC", params{cons: One}))
	expectErr(t, rc.recv(), 22, ErrServer, "java.lang.RuntimeException: boom")

	// Undecodable bodies are answered on their stream (ProtocolDecoder
	// wraps the error with the stream id) and the connection survives.
	rc.send(4, 0, 23, OpQuery, []byte{0, 0})
	expectErr(t, rc.recv(), 23, ErrProtocol, "Not enough bytes to read an UTF8 serialized string preceded by its 4 bytes length")
	rc.send(4, 0, 24, OpQuery, queryBody("x", params{cons: One, pageSize: ptr[int32](0)}))
	expectErr(t, rc.recv(), 24, ErrProtocol, "The page size cannot be 0")
	// Custom payloads are skipped.
	body := appendBytes(appendString(appendShort(nil, 1), "k"), []byte("v"))
	rc.send(4, FlagCustomPayload, 25, OpQuery, append(body, queryBody("USE ks", params{cons: One})...))
	if f := rc.recv(); f.Stream != 25 || f.Opcode != OpResult || c.Keyspace() != "ks" {
		t.Fatalf("USE: %+v keyspace %q", f, c.Keyspace())
	}
	rc.send(4, 0, 26, OpQuery, queryBody("WARN", params{cons: One}))
	if f := rc.recv(); f.Flags != FlagWarning {
		t.Fatalf("warning flag: %+v", f)
	}
	if got := c.RequestCount(); got != 11 {
		t.Errorf("RequestCount = %d", got)
	}

	// REGISTER then Push.
	rc.send(4, 0, 30, OpRegister, appendStringList(nil, []string{"status_change"}))
	if f := rc.recv(); f.Opcode != OpReady || f.Stream != 30 {
		t.Fatalf("REGISTER: %+v", f)
	}
	srv.Push(Event{Type: "TOPOLOGY_CHANGE", Change: "NEW_NODE"}) // not registered: dropped
	ev := Event{Type: "STATUS_CHANGE", Change: "UP", Addr: c.RemoteAddr()}
	srv.Push(ev)
	if f := rc.recv(); f.Opcode != OpEvent || f.Stream != -1 || string(f.Body) != string(EncodeEvent(ev)) {
		t.Fatalf("EVENT: %+v", f)
	}

	// Oversized frames: Invalid, body skipped, connection goes on.
	rc.send(4, 0, 40, OpQuery, make([]byte, DefaultMaxFrameBody))
	expectErr(t, rc.recv(), 40, ErrInvalid, "Request is too big: length 16777225 exceeds maximum allowed length 16777216.")
	rc.send(4, 0, 41, OpOptions, nil)
	if f := rc.recv(); f.Opcode != OpSupported || f.Stream != 41 {
		t.Fatalf("after too big: %+v", f)
	}

	// A broken header: error on the stream, then close.
	rc.send(4, 0, 42, Opcode(0x42), nil)
	expectErr(t, rc.recv(), 42, ErrProtocol, "Unknown opcode 66")
	rc.expectClosed()

	// Other connections are unaffected.
	rc2 := dialRaw(t, addr)
	if f := rc2.startup(4); f.Opcode != OpReady {
		t.Fatalf("second connection: %+v", f)
	}
	rc2.send(4|0x80, 0, 2, OpQuery, nil)
	expectErr(t, rc2.recv(), 2, ErrProtocol, "Wrong protocol direction (expected REQUEST, got RESPONSE) for opcode 7 (QUERY)")
	rc2.expectClosed()
	rc3 := dialRaw(t, addr)
	rc3.startup(3)
	rc3.send(3, 0, 2, OpResult, nil)
	expectErr(t, rc3.recv(), 2, ErrProtocol, "Wrong protocol direction (expected RESPONSE, got REQUEST) for opcode 8 (RESULT)")
}

type passwords map[string]string

func (p passwords) Class() string { return "org.apache.cassandra.auth.PasswordAuthenticator" }
func (p passwords) Check(user, password string) bool {
	pw, ok := p[user]
	return ok && pw == password
}

func TestAuth(t *testing.T) {
	srv, addr := startServer(t, ServerConfig{Handler: &fakeHandler{}, Authenticator: passwords{"cassandra": "cassandra"}})
	rc := dialRaw(t, addr)
	f := rc.startup(4)
	if f.Opcode != OpAuthenticate {
		t.Fatalf("STARTUP: %+v", f)
	}
	if d := (&decoder{b: f.Body}); d.string() != "org.apache.cassandra.auth.PasswordAuthenticator" {
		t.Fatalf("AUTHENTICATE body %q", f.Body)
	}
	c := srv.Conns()[0]
	if c.Stage() != StageAuthenticating || c.User() != "" {
		t.Fatalf("stage %q user %q", c.Stage(), c.User())
	}
	rc.send(4, 0, 2, OpQuery, queryBody("SELECT 1", params{cons: One}))
	expectErr(t, rc.recv(), 2, ErrProtocol, "Unexpected message QUERY, expecting SASL_RESPONSE")
	for _, c := range []struct{ tok, msg string }{
		{"\x00cassandra\x00wrong", "Provided username cassandra and/or password are incorrect"},
		{"\x00cassandra\x00", "Password must not be null"},
		{"\x00\x00pw", "Authentication ID must not be null"},
		{"a\x00b\x00c\x00d", `Credential format error: username or password is empty or contains NUL(\0) character`},
	} {
		rc.send(4, 0, 3, OpAuthResponse, appendBytes(nil, []byte(c.tok)))
		expectErr(t, rc.recv(), 3, ErrBadCredentials, c.msg)
	}
	rc.send(4, 0, 3, OpAuthResponse, appendInt(nil, -1))
	expectErr(t, rc.recv(), 3, ErrServer, "java.lang.NullPointerException")
	rc.send(4, 0, 4, OpAuthResponse, appendBytes(nil, []byte("\x00cassandra\x00cassandra")))
	if f := rc.recv(); f.Opcode != OpAuthSuccess || string(f.Body) != "\xff\xff\xff\xff" {
		t.Fatalf("AUTH_RESPONSE: %+v", f)
	}
	if c.Stage() != StageReady || c.User() != "cassandra" {
		t.Fatalf("stage %q user %q", c.Stage(), c.User())
	}
	rc.send(4, 0, 5, OpQuery, queryBody("SELECT 1", params{cons: One}))
	if f := rc.recv(); f.Opcode != OpResult {
		t.Fatalf("query after auth: %+v", f)
	}
}

func TestCloseAndReserve(t *testing.T) {
	s := NewServer(ServerConfig{Handler: &fakeHandler{}})
	for range 2 { // stop, then start again, as stop/startNativeTransport do
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Serve(l) }()
		rc := dialRaw(t, l.Addr().String())
		if f := rc.startup(4); f.Opcode != OpReady {
			t.Fatalf("%+v", f)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Serve returned %v", err)
		}
		rc.expectClosed()
		if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
			t.Fatal("listener still open")
		}
		if n := len(s.Conns()); n != 0 {
			t.Fatalf("%d conns after Close", n)
		}
	}
}
