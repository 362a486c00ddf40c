package native

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/ringside/ringside/sim/cqltype"
)

// cqlHandler is a tiny fake node: enough of system.local/peers for gocql
// to connect, and one table ks.t (k int PRIMARY KEY, v text, d date).
type cqlHandler struct {
	t        *testing.T
	hostID   cqltype.UUID
	port     int
	mu       sync.Mutex
	prepared map[string]string // hex id -> statement
	prepares atomic.Int32
	forget   atomic.Bool // drop prepared statements once (restart)
	batches  []*Batch
	inserts  []string
}

func newCQLHandler(t *testing.T) *cqlHandler {
	return &cqlHandler{t: t, hostID: cqltype.RandomUUID(), prepared: map[string]string{}}
}

func col(ks, table, name string, ty cqltype.Type) ColumnSpec {
	return ColumnSpec{Keyspace: ks, Table: table, Name: name, Type: ty}
}

func (h *cqlHandler) cell(ty cqltype.Type, v any) []byte {
	b, err := cqltype.Marshal(ty, v)
	if err != nil {
		h.t.Errorf("marshal %v: %v", v, err)
	}
	return b
}

func (h *cqlHandler) local() Response {
	cols := []ColumnSpec{
		col("system", "local", "key", cqltype.TextT),
		col("system", "local", "broadcast_address", cqltype.InetT),
		col("system", "local", "cluster_name", cqltype.TextT),
		col("system", "local", "data_center", cqltype.TextT),
		col("system", "local", "host_id", cqltype.UUIDT),
		col("system", "local", "native_port", cqltype.IntT),
		col("system", "local", "partitioner", cqltype.TextT),
		col("system", "local", "rack", cqltype.TextT),
		col("system", "local", "release_version", cqltype.TextT),
		col("system", "local", "rpc_address", cqltype.InetT),
		col("system", "local", "schema_version", cqltype.UUIDT),
		col("system", "local", "tokens", cqltype.SetOf(cqltype.TextT)),
	}
	lo := netip.MustParseAddr("127.0.0.1")
	vals := []any{"local", lo, "sim", "dc1", h.hostID, h.port, "org.apache.cassandra.dht.Murmur3Partitioner",
		"rack1", "4.1.5", lo, cqltype.RandomUUID(), []any{"-9223372036854775808"}}
	row := make([][]byte, len(cols))
	for i, c := range cols {
		row[i] = h.cell(c.Type, vals[i])
	}
	return RowsResponse(RowsMetadata{Columns: cols}, [][][]byte{row})
}

func (h *cqlHandler) Query(c *Conn, q *Query) Response {
	switch {
	case q.Statement == "SELECT * FROM system.local WHERE key='local'":
		return h.local()
	case q.Statement == "SELECT schema_version FROM system.local WHERE key='local'":
		sv := col("system", "local", "schema_version", cqltype.UUIDT)
		return RowsResponse(RowsMetadata{Columns: []ColumnSpec{sv}}, [][][]byte{{h.cell(cqltype.UUIDT, h.hostID)}})
	case q.Statement == "SELECT * FROM system.peers_v2" || q.Statement == "SELECT * FROM system.peers":
		table := strings.TrimPrefix(q.Statement, "SELECT * FROM system.")
		return RowsResponse(RowsMetadata{Columns: []ColumnSpec{
			col("system", table, "peer", cqltype.InetT),
			col("system", table, "host_id", cqltype.UUIDT),
		}}, nil)
	case strings.Contains(q.Statement, "system_schema."):
		// Not modeled here: gocql only logs a warning.
		table := q.Statement[strings.Index(q.Statement, "system_schema.")+len("system_schema."):]
		table, _, _ = strings.Cut(table, " ")
		return ErrorResponse(&Error{Code: ErrInvalid, Message: "unconfigured table " + table})
	}
	return ErrorResponse(&Error{Code: ErrSyntax, Message: "line 1:0 no viable alternative at input '" + q.Statement + "'"})
}

var (
	bindK   = col("ks", "t", "k", cqltype.IntT)
	bindV   = col("ks", "t", "v", cqltype.TextT)
	colD    = col("ks", "t", "d", cqltype.Simple(cqltype.DateID))
	selectT = "SELECT v, d FROM ks.t WHERE k = ?"
	insertT = "INSERT INTO ks.t (k, v) VALUES (?, ?)"
)

func (h *cqlHandler) Prepare(c *Conn, p *Prepare) Response {
	h.prepares.Add(1)
	id := []byte(fmt.Sprintf("id-%d", len(p.Statement)))
	h.mu.Lock()
	h.prepared[hex.EncodeToString(id)] = p.Statement
	h.mu.Unlock()
	switch p.Statement {
	case selectT:
		return PreparedResponse(id, RowsMetadata{Columns: []ColumnSpec{bindK}}, []uint16{0},
			RowsMetadata{Columns: []ColumnSpec{bindV, colD}})
	case insertT:
		return PreparedResponse(id, RowsMetadata{Columns: []ColumnSpec{bindK, bindV}}, []uint16{0}, RowsMetadata{})
	}
	return h.Query(c, &Query{Statement: p.Statement})
}

func (h *cqlHandler) lookup(id []byte) (string, *Error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.forget.Swap(false) {
		clear(h.prepared)
	}
	stmt, ok := h.prepared[hex.EncodeToString(id)]
	if !ok {
		return "", &Error{Code: ErrUnprepared, Message: fmt.Sprintf("Prepared query with ID %x not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", id), ID: id}
	}
	return stmt, nil
}

func (h *cqlHandler) Execute(c *Conn, e *Execute) Response {
	stmt, err := h.lookup(e.ID)
	if err != nil {
		return ErrorResponse(err)
	}
	switch stmt {
	case selectT:
		k, uerr := cqltype.Unmarshal(cqltype.IntT, e.Params.Values[0].Bytes)
		if uerr != nil {
			return ErrorResponse(&Error{Code: ErrInvalid, Message: uerr.Error()})
		}
		meta := RowsMetadata{Columns: []ColumnSpec{bindV, colD}, NoMetadata: e.Params.SkipMetadata}
		row := [][]byte{h.cell(cqltype.TextT, fmt.Sprintf("value-%d", k)), h.cell(colD.Type, cqltype.Date(19000))}
		return RowsResponse(meta, [][][]byte{row})
	case insertT:
		h.mu.Lock()
		h.inserts = append(h.inserts, string(e.Params.Values[1].Bytes))
		h.mu.Unlock()
		return VoidResponse()
	}
	return ErrorResponse(&Error{Code: ErrServer, Message: "unexpected " + stmt})
}

func (h *cqlHandler) Batch(c *Conn, b *Batch) Response {
	for _, s := range b.Statements {
		if s.Kind == 1 {
			if _, err := h.lookup(s.ID); err != nil {
				return ErrorResponse(err)
			}
		}
	}
	h.mu.Lock()
	h.batches = append(h.batches, b)
	h.mu.Unlock()
	return VoidResponse()
}

func startCQL(t *testing.T, cfg ServerConfig) (*Server, *cqlHandler, string) {
	t.Helper()
	h := newCQLHandler(t)
	cfg.Handler = h
	srv, addr := startServer(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	h.port, _ = strconv.Atoi(port)
	return srv, h, addr
}

func newCluster(addr string) *gocql.ClusterConfig {
	cl := gocql.NewCluster(addr)
	cl.Logger = gocql.NewLogger(gocql.LogLevelNone)
	cl.ConnectTimeout = 5 * time.Second
	cl.Timeout = 5 * time.Second
	return cl
}

// TestGocqlNegotiatesV5 connects with gocql's defaults: it starts at v5,
// which this server speaks, as a 4.1 node does.
func TestGocqlNegotiatesV5(t *testing.T) {
	var logs syncBuffer
	srv, h, addr := startCQL(t, ServerConfig{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	s, err := newCluster(addr).CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.Contains(logs.String(), "unsupported protocol version") {
		t.Errorf("v5 refused; server log:\n%s", logs.String())
	}
	conns := readyConns(srv)
	if len(conns) == 0 {
		t.Fatal("no connections")
	}
	for _, c := range conns {
		if c.Version() != 5 || c.Stage() != StageReady {
			t.Errorf("connection at v%d, stage %s", c.Version(), c.Stage())
		}
		if c.Options()["CQL_VERSION"] != "3.0.0" {
			t.Errorf("options %v", c.Options())
		}
	}

	var v string
	var d time.Time
	if err := s.Query(selectT, 7).Scan(&v, &d); err != nil {
		t.Fatal(err)
	}
	if v != "value-7" || !d.Equal(time.Unix(19000*86400, 0).UTC()) {
		t.Fatalf("got %q %v", v, d)
	}

	// A node that lost its prepared statements answers Unprepared; gocql
	// re-prepares and retries.
	before := h.prepares.Load()
	h.forget.Store(true)
	if err := s.Query(selectT, 8).Scan(&v, &d); err != nil || v != "value-8" {
		t.Fatalf("after unprepared: %q %v", v, err)
	}
	if h.prepares.Load() == before {
		t.Error("gocql did not re-prepare")
	}

	if err := s.Query(insertT, 1, "one").Exec(); err != nil {
		t.Fatal(err)
	}
	b := s.Batch(gocql.UnloggedBatch)
	b.Query(insertT, 2, "two")
	b.Query(insertT, 3, "three")
	if err := b.Exec(); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	if len(h.inserts) != 1 || h.inserts[0] != "one" || len(h.batches) != 1 || h.batches[0].Type != 1 ||
		len(h.batches[0].Statements) != 2 || string(h.batches[0].Statements[1].Values[1].Bytes) != "three" {
		t.Errorf("inserts %v batches %+v", h.inserts, h.batches)
	}
	h.mu.Unlock()

	// Errors reach the driver with their code and message.
	err = s.Query("SELEKT nonsense").Exec()
	var re gocql.RequestError
	if !asRequestError(err, &re) || re.Code() != int(ErrSyntax) || !strings.Contains(re.Message(), "no viable alternative") {
		t.Errorf("syntax error: %v", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func asRequestError(err error, re *gocql.RequestError) bool {
	if e, ok := err.(gocql.RequestError); ok {
		*re = e
		return true
	}
	return false
}

// readyConns are the connections past STARTUP: gocql opens its pool in the
// background, so some may not have sent anything yet.
func readyConns(srv *Server) []*Conn {
	var out []*Conn
	for _, c := range srv.Conns() {
		if c.Stage() == StageReady {
			out = append(out, c)
		}
	}
	return out
}

func TestGocqlV3(t *testing.T) {
	srv, _, addr := startCQL(t, ServerConfig{})
	cl := newCluster(addr)
	cl.ProtoVersion = 3
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range readyConns(srv) {
		if c.Version() != 3 {
			t.Errorf("connection at v%d", c.Version())
		}
	}
	// date is sent to v3 clients as the custom SimpleDateType.
	var v string
	var d time.Time
	if err := s.Query(selectT, 1).Scan(&v, &d); err != nil {
		t.Fatal(err)
	}
	if v != "value-1" || !d.Equal(time.Unix(19000*86400, 0).UTC()) {
		t.Fatalf("got %q %v", v, d)
	}
}

type hostDown chan string

func (h hostDown) OnHostUp(gocql.HostUpEvent) {}
func (h hostDown) OnHostDown(ev gocql.HostDownEvent) {
	h <- ev.Host.ConnectAddress().String()
}

func TestGocqlEvents(t *testing.T) {
	srv, h, addr := startCQL(t, ServerConfig{})
	down := make(hostDown, 1)
	cl := newCluster(addr)
	cl.Metadata.HostListener.HostStateChangeListener = down
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	registered := false
	for _, c := range srv.Conns() {
		c.mu.Lock()
		registered = registered || c.events["STATUS_CHANGE"]
		c.mu.Unlock()
	}
	if !registered {
		t.Fatal("gocql did not REGISTER for STATUS_CHANGE")
	}
	srv.Push(Event{Type: "STATUS_CHANGE", Change: "DOWN", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(h.port))})
	select {
	case got := <-down:
		if got != "127.0.0.1" {
			t.Errorf("host down %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("gocql did not see the STATUS_CHANGE event")
	}
}

func TestGocqlAuth(t *testing.T) {
	_, _, addr := startCQL(t, ServerConfig{Authenticator: passwords{"cassandra": "cassandra"}})
	cl := newCluster(addr)
	cl.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "nope"}
	if s, err := cl.CreateSession(); err == nil {
		s.Close()
		t.Fatal("wrong password accepted")
	} else if !strings.Contains(err.Error(), "Provided username cassandra and/or password are incorrect") {
		t.Fatalf("error %v", err)
	}
	cl.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "cassandra"}
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
