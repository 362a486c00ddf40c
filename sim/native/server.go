package native

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Authenticator checks SASL PLAIN credentials.
type Authenticator interface {
	// Class is the IAuthenticator class name sent in AUTHENTICATE, e.g.
	// "org.apache.cassandra.auth.PasswordAuthenticator".
	Class() string
	Check(user, password string) bool
}

// Handler executes statements. It is called only on ready connections
// (after STARTUP and, with an Authenticator, AUTH_SUCCESS), concurrently
// for the requests of one connection.
type Handler interface {
	Query(c *Conn, q *Query) Response
	Prepare(c *Conn, p *Prepare) Response
	Execute(c *Conn, e *Execute) Response
	Batch(c *Conn, b *Batch) Response
}

// Defaults.
const (
	// DefaultMaxFrameBody is Cassandra 4.1's native_transport_max_frame_size.
	DefaultMaxFrameBody = 16 << 20
	// DefaultMaxRequestsPerConn bounds the requests handled at once on one
	// connection; further frames wait to be read.
	DefaultMaxRequestsPerConn = 128
	// DefaultWriteTimeout closes connections whose client stops reading.
	DefaultWriteTimeout = 10 * time.Second
	// CQLVersion is QueryProcessor.CQL_VERSION of Cassandra 4.1.
	CQLVersion = "3.4.6"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	Handler Handler
	// Authenticator is nil for no authentication (AllowAllAuthenticator).
	Authenticator Authenticator
	// MaxFrameBody limits request frames, header included, as Cassandra's
	// Envelope.Decoder compares body+9 to native_transport_max_frame_size.
	// Default DefaultMaxFrameBody.
	MaxFrameBody       int
	MaxRequestsPerConn int
	WriteTimeout       time.Duration
	Logger             *slog.Logger
	// Supported is the SUPPORTED body. Default: CQL_VERSION [3.4.6],
	// PROTOCOL_VERSIONS [3/v3 4/v4 5/v5 6/v6-beta] and no COMPRESSION, since frame
	// compression is not implemented (so drivers never ask for it).
	Supported map[string][]string
}

// Server serves the native protocol.
type Server struct {
	cfg ServerConfig
	log *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	wg        sync.WaitGroup
}

// NewServer returns a server; call Serve to accept connections.
func NewServer(cfg ServerConfig) *Server {
	if cfg.MaxFrameBody <= 0 {
		cfg.MaxFrameBody = DefaultMaxFrameBody
	}
	if cfg.MaxRequestsPerConn <= 0 {
		cfg.MaxRequestsPerConn = DefaultMaxRequestsPerConn
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Supported == nil {
		cfg.Supported = map[string][]string{
			"CQL_VERSION":       {CQLVersion},
			"PROTOCOL_VERSIONS": supportedVersions,
			"COMPRESSION":       {},
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log, listeners: map[net.Listener]struct{}{}, conns: map[*Conn]struct{}{}}
}

// Serve accepts connections on l until l is closed (by Close or by the
// caller), then returns nil; other accept errors are returned. Serve may
// be called again with a new listener after Close.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.mu.Lock()
		if _, open := s.listeners[l]; !open {
			// Close ran between Accept and here.
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		c := newConn(s, nc)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// Close closes every listener and connection, and waits for connection
// goroutines, including running handlers (which should watch
// Conn.Context), to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	ls := make([]net.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	clear(s.listeners)
	cs := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	var err error
	for _, l := range ls {
		if e := l.Close(); e != nil && !errors.Is(e, net.ErrClosed) && err == nil {
			err = e
		}
	}
	for _, c := range cs {
		c.Close()
	}
	s.wg.Wait()
	return err
}

// Conns returns a snapshot of the open connections.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Push sends ev to every ready connection that REGISTERed for ev.Type, as
// an EVENT on stream -1 (spec section 4.2.6).
func (s *Server) Push(ev Event) {
	for _, c := range s.Conns() {
		c.mu.Lock()
		ok := c.stage == StageReady && c.events[ev.Type]
		v := c.version
		c.mu.Unlock()
		if ok {
			c.write(Frame{Version: v, Stream: -1, Opcode: OpEvent, Body: EncodeEventV(v, ev)})
		}
	}
}

// Connection stages, as system_views.clients shows ConnectionStage.
const (
	StageEstablished    = "established"
	StageAuthenticating = "authenticating"
	StageReady          = "ready"
)

// Conn is one client connection.
type Conn struct {
	srv    *Server
	nc     net.Conn
	remote netip.AddrPort
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}

	wmu sync.Mutex

	mu       sync.Mutex
	version  byte // set by the first STARTUP
	started  bool // a STARTUP was received (Cassandra's legacy pipeline is set up)
	stage    string
	keyspace string
	options  map[string]string
	user     string
	events   map[string]bool

	requests atomic.Int64
	inflight sync.WaitGroup
	closed   atomic.Bool
	// modern is set once a v5+ STARTUP has been answered: from then on
	// envelopes travel in segments (InitialConnectionHandler configures
	// the modern pipeline after the STARTUP response is sent).
	modern atomic.Bool
	id     string // channel id's short text, in corrupt-segment errors
}

var connIDs atomic.Uint32

func newConn(s *Server, nc net.Conn) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{srv: s, nc: nc, ctx: ctx, cancel: cancel, stage: StageEstablished,
		events: map[string]bool{}, sem: make(chan struct{}, s.cfg.MaxRequestsPerConn),
		id: fmt.Sprintf("%08x", connIDs.Add(1))}
	if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
		c.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if s.cfg.Authenticator == nil {
		c.user = "anonymous" // AuthenticatedUser.ANONYMOUS_USERNAME
	}
	return c
}

// RemoteAddr is the client's address.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// Version is the protocol version set by STARTUP (0 before).
func (c *Conn) Version() byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// Keyspace is the connection's current keyspace ("" when none).
func (c *Conn) Keyspace() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keyspace
}

// SetKeyspace sets the current keyspace (a handler calls it on USE).
func (c *Conn) SetKeyspace(ks string) {
	c.mu.Lock()
	c.keyspace = ks
	c.mu.Unlock()
}

// Options returns a copy of the STARTUP options (keys upper-case).
func (c *Conn) Options() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.options)
}

// User is the authenticated user: "anonymous" without an Authenticator,
// "" until authentication succeeds with one.
func (c *Conn) User() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// RequestCount counts the requests dispatched since STARTUP (included).
func (c *Conn) RequestCount() int64 { return c.requests.Load() }

// Stage is "established", "authenticating" or "ready".
func (c *Conn) Stage() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stage
}

// Context is canceled when the connection closes.
func (c *Conn) Context() context.Context { return c.ctx }

// Close closes the connection.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.cancel()
	return c.nc.Close()
}

func (c *Conn) serve() {
	defer func() {
		c.Close()
		c.inflight.Wait()
		c.srv.mu.Lock()
		delete(c.srv.conns, c)
		c.srv.mu.Unlock()
		c.srv.wg.Done()
	}()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	maxBody := c.srv.cfg.MaxFrameBody - HeaderLen
	var er *envelopeReader
	for {
		var f Frame
		var err error
		if c.modern.Load() {
			if er == nil {
				er = &envelopeReader{r: r, version: c.Version(), maxBody: maxBody}
			}
			f, err = er.next()
		} else {
			f, err = ReadFrame(r, maxBody)
		}
		next := goOn
		if err != nil {
			next = c.readError(err, r)
		} else {
			next = c.dispatch(f)
		}
		switch next {
		case stop:
			return
		case fatal:
			c.linger(r)
			return
		}
	}
}

// What to do with a connection after a frame.
type next int

const (
	goOn  next = iota
	stop       // the peer is gone
	fatal      // a fatal protocol error was answered: close
)

// linger closes after a fatal error without losing the error: closing a
// socket with unread input sends a RST, which may destroy the response
// before the client reads it. So half-close, drain briefly, then close.
func (c *Conn) linger(r io.Reader) {
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		c.wmu.Lock()
		tc.CloseWrite()
		c.wmu.Unlock()
		c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		io.Copy(io.Discard, io.LimitReader(r, 1<<20))
	}
	c.Close()
}

// errVersion is the version of errors raised outside a request: the
// connection's, or ProtocolVersion.CURRENT before STARTUP.
func (c *Conn) errVersion() byte {
	if v := c.Version(); v != 0 {
		return v
	}
	return CurrentVersion
}

// readError answers what ReadFrame could not read.
func (c *Conn) readError(err error, r *bufio.Reader) next {
	var ve *VersionError
	var tb *FrameTooBigError
	var be *BetaError
	var ee *envelopeError
	var cs *CorruptSegmentError
	switch {
	case errors.As(err, &cs):
		// CQLMessageHandler.processCorruptFrame: a fatal ProtocolException.
		c.writeError(c.errVersion(), 0, protocolErr("%s %s", c.id, cs.Error()))
		return fatal
	case errors.As(err, &ee):
		c.writeError(c.errVersion(), ee.stream, ee.err)
		if ee.fatal {
			return fatal
		}
		return goOn
	case errors.As(err, &be):
		// A ProtocolException forced to v6, without a stream id.
		c.write(Frame{Version: betaVersion, Opcode: OpError, Body: EncodeErrorV(betaVersion, protocolErr("%s", be.Error()))})
		return goOn
	case errors.As(err, &ve):
		// ProtocolVersion.decode: the error goes to stream 0 with the
		// header of the client's own version if it is an old one (v1, v2),
		// else of the connection's version (ProtocolVersion.CURRENT before
		// STARTUP), so the driver can parse it and retry lower. The
		// connection stays open: netty wraps the ProtocolException in a
		// DecoderException, which PreV5Handlers.ExceptionHandler does not
		// take as fatal ("in pre-v5 the connection isn't closed",
		// UnableToParseClientMessageTest). Envelope.Decoder skips the
		// bytes already received.
		v := c.errVersion()
		body := EncodeErrorV(v, protocolErr("%s", ve.Error()))
		var b []byte
		if ve.Version == 1 || ve.Version == 2 {
			b = appendLegacyFrame(nil, ve.Version, 0, OpError, body)
		} else {
			b = AppendFrame(nil, Frame{Version: v, Opcode: OpError, Body: body})
		}
		c.writeRaw(b)
		r.Discard(r.Buffered())
		c.srv.log.Debug("native: unsupported protocol version", "remote", c.remote, "version", ve.Version)
		return goOn
	case errors.As(err, &tb):
		// Envelope.Decoder.fail: the body was discarded, the connection
		// goes on.
		msg := fmt.Sprintf("Request is too big: length %d exceeds maximum allowed length %d.",
			int64(tb.Length)+HeaderLen, c.srv.cfg.MaxFrameBody)
		c.writeError(c.errVersion(), tb.Frame.Stream, newError(ErrInvalid, "%s", msg))
		return goOn
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.srv.log.Debug("native: read failed", "remote", c.remote, "err", err)
	}
	return stop
}

var opNames = map[Opcode]string{
	OpError: "ERROR", OpStartup: "STARTUP", OpReady: "READY", OpAuthenticate: "AUTHENTICATE",
	0x04: "CREDENTIALS", OpOptions: "OPTIONS", OpSupported: "SUPPORTED", OpQuery: "QUERY",
	OpResult: "RESULT", OpPrepare: "PREPARE", OpExecute: "EXECUTE", OpRegister: "REGISTER",
	OpEvent: "EVENT", OpBatch: "BATCH", OpAuthChallenge: "AUTH_CHALLENGE",
	OpAuthResponse: "AUTH_RESPONSE", OpAuthSuccess: "AUTH_SUCCESS",
}

// String returns Message.Type's name for the opcode.
func (o Opcode) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return "0x" + strconv.FormatUint(uint64(o), 16)
}

func isRequest(o Opcode) bool {
	switch o {
	case OpStartup, 0x04, OpOptions, OpQuery, OpPrepare, OpExecute, OpRegister, OpBatch, OpAuthResponse:
		return true
	}
	return false
}

// versionName is ProtocolVersion.toString.
func versionName(v byte) string {
	if v == betaVersion {
		return fmt.Sprintf("%d/v%d-beta", v, v)
	}
	return fmt.Sprintf("%d/v%d", v, v)
}

// opcodeError is Message.Type.fromOpcode's check of a header.
func opcodeError(f Frame) *Error {
	if _, known := opNames[f.Opcode]; !known {
		return protocolErr("Unknown opcode %d", f.Opcode)
	}
	if f.Response == isRequest(f.Opcode) {
		exp, got := "REQUEST", "RESPONSE"
		if !isRequest(f.Opcode) {
			exp, got = got, exp
		}
		return protocolErr("Wrong protocol direction (expected %s, got %s) for opcode %d (%s)",
			exp, got, f.Opcode, f.Opcode)
	}
	return nil
}

// dispatch handles one frame.
func (c *Conn) dispatch(f Frame) next {
	// Message.Type.fromOpcode: an unusable header leaves Cassandra's
	// decoder stuck on the frame; answer on the stream and close.
	if e := opcodeError(f); e != nil {
		c.writeError(c.errVersion(), f.Stream, e)
		return fatal
	}

	c.mu.Lock()
	started := c.started
	c.mu.Unlock()
	if !started {
		return c.initial(f)
	}

	version := c.Version()
	if f.Version != version {
		c.writeError(version, f.Stream, protocolErr("Invalid message version. Got %s but previous messages on this connection had version %s",
			versionName(f.Version), versionName(version)))
		return goOn
	}
	msg, err := decodeMessage(f)
	if err != nil {
		// ProtocolDecoder wraps the error with the stream id; it is not
		// fatal.
		c.writeErr(version, f.Stream, err)
		return goOn
	}
	c.requests.Add(1)
	if e := c.validate(f.Opcode); e != nil {
		c.writeError(version, f.Stream, e)
		return goOn
	}
	c.execute(f, msg)
	return goOn
}

// initial mirrors InitialConnectionHandler: before STARTUP only OPTIONS
// and STARTUP are accepted.
func (c *Conn) initial(f Frame) next {
	switch f.Opcode {
	case OpOptions:
		c.write(Frame{Version: f.Version, Stream: f.Stream, Opcode: OpSupported, Body: EncodeSupported(c.srv.cfg.Supported)})
		return goOn
	case OpStartup:
		c.mu.Lock()
		c.version, c.started = f.Version, true
		c.mu.Unlock()
		msg, err := decodeMessage(f)
		if err != nil {
			// Not wrapped with a stream id there: stream 0. Netty wraps it
			// in a DecoderException, which PreV5Handlers.ExceptionHandler
			// does not take as fatal; the connection (and its version) is
			// kept but the pipeline not configured, so STARTUP may be
			// retried.
			c.writeErr(f.Version, 0, err)
			c.mu.Lock()
			c.started = false
			c.mu.Unlock()
			return goOn
		}
		c.requests.Add(1)
		c.execute(f, msg)
		if f.Version >= 5 {
			c.modern.Store(true)
		}
		return goOn
	}
	// The error is built without a stream id, so it goes to stream 0.
	c.writeError(f.Version, 0, protocolErr("Unexpected message %s, expecting STARTUP or OPTIONS", f.Opcode))
	return goOn
}

// validate is ServerConnection.validateNewMessage.
func (c *Conn) validate(op Opcode) *Error {
	switch c.Stage() {
	case StageEstablished:
		if op != OpStartup && op != OpOptions {
			return protocolErr("Unexpected message %s, expecting STARTUP or OPTIONS", op)
		}
	case StageAuthenticating:
		if op != OpAuthResponse && op != 0x04 {
			return protocolErr("Unexpected message %s, expecting SASL_RESPONSE", op)
		}
	default:
		if op == OpStartup {
			return protocolErr("Unexpected message STARTUP, the connection is already initialized")
		}
	}
	return nil
}

// decodeMessage decodes a request body after its custom payload, which
// Cassandra's default QueryHandler ignores.
func decodeMessage(f Frame) (any, error) {
	body := f.Body
	if f.Flags&FlagCustomPayload != 0 {
		d := &decoder{b: body}
		d.bytesMap()
		if err := d.result(); err != nil {
			return nil, err
		}
		if f.Version < 4 {
			return nil, protocolErr("Received frame with CUSTOM_PAYLOAD flag for native protocol version < 4")
		}
		body = d.b
	}
	tracing := f.Flags&FlagTracing != 0
	switch f.Opcode {
	case OpStartup:
		return DecodeStartup(body)
	case OpOptions:
		return nil, nil
	case OpRegister:
		return DecodeRegister(body)
	case OpAuthResponse:
		tok, err := DecodeAuthResponse(body)
		if err != nil {
			return nil, err
		}
		if tok == nil {
			// AuthResponse.decode dereferences the null token.
			return nil, newError(ErrServer, "java.lang.NullPointerException")
		}
		return authToken(tok), nil
	case OpQuery:
		q, err := DecodeQuery(f.Version, body)
		if err != nil {
			return nil, err
		}
		q.Tracing = tracing
		return q, nil
	case OpPrepare:
		p, err := DecodePrepare(f.Version, body)
		if err != nil {
			return nil, err
		}
		p.Tracing = tracing
		return p, nil
	case OpExecute:
		e, err := DecodeExecute(f.Version, body)
		if err != nil {
			return nil, err
		}
		e.Tracing = tracing
		return e, nil
	case OpBatch:
		b, err := DecodeBatch(f.Version, body)
		if err != nil {
			return nil, err
		}
		b.Tracing = tracing
		return b, nil
	}
	// CREDENTIALS: UnsupportedMessageCodec.
	return nil, protocolErr("Unsupported message")
}

type authToken []byte

// execute runs a decoded, validated request.
func (c *Conn) execute(f Frame, msg any) {
	v, stream := c.Version(), f.Stream
	switch m := msg.(type) {
	case map[string]string:
		c.writeResponse(v, stream, c.startup(m), false)
	case authToken:
		c.writeResponse(v, stream, c.authenticate(m), false)
	case []string:
		c.mu.Lock()
		for _, t := range m {
			c.events[t] = true
		}
		c.mu.Unlock()
		c.write(Frame{Version: v, Stream: stream, Opcode: OpReady, Body: EncodeReady()})
	case nil: // OPTIONS
		c.write(Frame{Version: v, Stream: stream, Opcode: OpSupported, Body: EncodeSupported(c.srv.cfg.Supported)})
	default:
		c.sem <- struct{}{}
		c.inflight.Add(1)
		go func() {
			defer func() {
				<-c.sem
				c.inflight.Done()
			}()
			r, tracing := c.handle(msg)
			c.writeResponse(v, stream, r, tracing)
		}()
	}
}

// handle calls the Handler, turning a panic into a ServerError.
func (c *Conn) handle(msg any) (r Response, tracing bool) {
	defer func() {
		if p := recover(); p != nil {
			c.srv.log.Error("native: handler panic", "remote", c.remote, "panic", p, "stack", string(debug.Stack()))
			r = ErrorResponse(newError(ErrServer, "java.lang.RuntimeException: %v", p))
		}
	}()
	h := c.srv.cfg.Handler
	switch m := msg.(type) {
	case *Query:
		return h.Query(c, m), m.Tracing
	case *Prepare:
		return h.Prepare(c, m), m.Tracing
	case *Execute:
		return h.Execute(c, m), m.Tracing
	case *Batch:
		return h.Batch(c, m), m.Tracing
	}
	return ErrorResponse(newError(ErrServer, "unexpected message %T", msg)), false
}

var cqlVersionRE = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\w+)(?:\.(\w+))?)?(?:-[-.\w]+)?(?:[.+][.\w]+)?$`)

// startup is StartupMessage.execute.
func (c *Conn) startup(opts map[string]string) Response {
	cql, ok := opts["CQL_VERSION"]
	if !ok {
		return ErrorResponse(protocolErr("Missing value CQL_VERSION in STARTUP message"))
	}
	m := cqlVersionRE.FindStringSubmatch(cql)
	if m == nil {
		return ErrorResponse(protocolErr("Invalid version value: %s", cql))
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < 2 || major == 2 && minor < 99 {
		return ErrorResponse(protocolErr("CQL version %s is not supported by the binary protocol (supported version are >= 3.0.0)", cql))
	}
	if comp, ok := opts["COMPRESSION"]; ok {
		// Frame compression is not implemented: SUPPORTED lists none.
		comp = strings.ToLower(comp)
		if comp == "snappy" {
			return ErrorResponse(protocolErr("This instance does not support Snappy compression"))
		}
		return ErrorResponse(protocolErr("Unknown compression algorithm: %s", comp))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.options = opts
	if a := c.srv.cfg.Authenticator; a != nil {
		c.stage = StageAuthenticating
		return Response{Op: OpAuthenticate, Body: EncodeAuthenticate(a.Class())}
	}
	c.stage = StageReady
	return Response{Op: OpReady, Body: EncodeReady()}
}

// authenticate is AuthResponse.execute with PasswordAuthenticator's
// PlainTextSaslAuthenticator (SASL PLAIN: authzId NUL authnId NUL password).
func (c *Conn) authenticate(tok []byte) Response {
	a := c.srv.cfg.Authenticator
	if a == nil {
		// AllowAllAuthenticator.newSaslNegotiator.
		return ErrorResponse(newError(ErrServer, "java.lang.UnsupportedOperationException"))
	}
	user, pass, e := decodePlain(tok)
	if e != nil {
		return ErrorResponse(e)
	}
	if !a.Check(user, pass) {
		return ErrorResponse(newError(ErrBadCredentials, "Provided username %s and/or password are incorrect", user))
	}
	c.mu.Lock()
	c.user, c.stage = user, StageReady
	c.mu.Unlock()
	return Response{Op: OpAuthSuccess, Body: EncodeAuthSuccess(nil)}
}

// decodePlain is PlainTextSaslAuthenticator.decodeCredentials: it splits
// on NULs from the end.
func decodePlain(b []byte) (user, pass string, err *Error) {
	var u, p []byte
	end := len(b)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			continue
		}
		switch {
		case p == nil:
			p = b[i+1 : end]
		case u == nil:
			u = b[i+1 : end]
		default:
			return "", "", newError(ErrBadCredentials, `Credential format error: username or password is empty or contains NUL(\0) character`)
		}
		end = i
	}
	if len(p) == 0 {
		return "", "", newError(ErrBadCredentials, "Password must not be null")
	}
	if len(u) == 0 {
		return "", "", newError(ErrBadCredentials, "Authentication ID must not be null")
	}
	return string(bytes.ToValidUTF8(u, []byte("\uFFFD"))), string(bytes.ToValidUTF8(p, []byte("\uFFFD"))), nil
}

func (c *Conn) writeResponse(version byte, stream int16, r Response, tracing bool) {
	c.write(responseFrame(version, stream, r, tracing))
}

func (c *Conn) writeError(version byte, stream int16, e *Error) {
	c.writeResponse(version, stream, ErrorResponse(e), false)
}

func (c *Conn) writeErr(version byte, stream int16, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = newError(ErrServer, "%v", err)
	}
	c.writeError(version, stream, e)
}

func (c *Conn) write(f Frame) {
	b := AppendFrame(make([]byte, 0, HeaderLen+len(f.Body)), f)
	if c.modern.Load() {
		b = AppendSegments(make([]byte, 0, len(b)+segmentHeaderLen+segmentTrailerLen), b)
	}
	c.writeRaw(b)
}

// writeRaw writes under the write lock; a failed or stuck write closes
// the connection.
func (c *Conn) writeRaw(b []byte) {
	if c.closed.Load() {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if _, err := c.nc.Write(b); err != nil {
		if !c.closed.Load() {
			c.srv.log.Debug("native: write failed", "remote", c.remote, "err", err)
		}
		c.Close()
	}
}
