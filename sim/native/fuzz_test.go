package native

import (
	"bytes"
	"errors"
	"io"
	"net"
	"reflect"
	"testing"
	"time"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/.

// FuzzDecodeRequest feeds arbitrary bodies to the request decoders: they
// must never panic, fail only with protocol (or server) *Errors, and a
// decoded QUERY must re-encode to something that decodes the same.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(byte(OpQuery), byte(0), byte(4), queryBody("SELECT * FROM t", params{cons: One, values: []Value{{Unset: true}}, names: []string{"a"}}))
	f.Add(byte(OpBatch), byte(0), byte(3), []byte{0, 0, 1, 0, 0, 0, 0, 1, 'x', 0, 0, 0, 1, 0})
	f.Add(byte(OpQuery), byte(0), byte(2), queryBody("SELECT 1", params{cons: One, v5: true, keyspace: "ks", now: ptr(int32(7))}))
	f.Fuzz(func(t *testing.T, op, flags, version byte, body []byte) {
		fr := Frame{Version: 3 + version%3, Flags: flags, Opcode: Opcode(op % 0x11), Body: body}
		msg, err := decodeMessage(fr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != ErrProtocol && e.Code != ErrServer) {
				t.Fatalf("unexpected error %#v", err)
			}
			return
		}
		q, ok := msg.(*Query)
		if !ok {
			return
		}
		p := params{cons: q.Params.Consistency, values: q.Params.Values, names: q.Params.Names, skip: q.Params.SkipMetadata,
			paging: q.Params.PagingState, timestamp: q.Params.Timestamp,
			v5: fr.Version >= 5, keyspace: q.Params.Keyspace, now: q.Params.NowInSeconds}
		if q.Params.PageSize != -1 {
			p.pageSize = &q.Params.PageSize
		}
		if q.Params.SerialConsistency != 0 {
			p.serial = &q.Params.SerialConsistency
		}
		q2, err := DecodeQuery(fr.Version, queryBody(q.Statement, p))
		if err != nil {
			t.Fatalf("re-encoded query does not decode: %v", err)
		}
		q2.Tracing = q.Tracing
		if len(q.Params.Values) == 0 && len(q2.Params.Values) == 0 {
			q2.Params.Values, q2.Params.Names = q.Params.Values, q.Params.Names
		}
		if !reflect.DeepEqual(q, q2) {
			t.Fatalf("round trip:\n%+v\n%+v", q, q2)
		}
	})
}

// FuzzReadFrame checks that ReadFrame never panics and that what it reads
// re-encodes to the same frame.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, Frame{Version: 4, Stream: 1, Opcode: OpOptions}))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ReadFrame(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteFrame(&buf, fr); err != nil {
			t.Fatal(err)
		}
		fr2, err := ReadFrame(&buf, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		fr.Response = true
		if !reflect.DeepEqual(fr, fr2) {
			t.Fatalf("%+v != %+v", fr, fr2)
		}
	})
}

// requestFrame encodes a request frame (direction bit clear).
func requestFrame(version, flags byte, stream int16, op Opcode, body []byte) []byte {
	b := AppendFrame(nil, Frame{Version: version, Flags: flags, Stream: stream, Opcode: op, Body: body})
	b[0] &^= directionResponse
	return b
}

type echoHandler struct{}

func (echoHandler) Query(c *Conn, q *Query) Response {
	if q.Statement == "PANIC" {
		panic("boom")
	}
	return VoidResponse()
}
func (echoHandler) Prepare(c *Conn, p *Prepare) Response { return VoidResponse() }
func (echoHandler) Execute(c *Conn, e *Execute) Response { return VoidResponse() }
func (echoHandler) Batch(c *Conn, b *Batch) Response     { return VoidResponse() }

// FuzzServe runs a connection over arbitrary client bytes: it must not
// panic and must finish once the client goes away.
func FuzzServe(f *testing.F) {
	f.Add(requestFrame(4, 0, 1, OpOptions, nil))
	// v5: STARTUP in a legacy frame, then envelopes in segments.
	v5 := requestFrame(5, 0, 1, OpStartup, startupBody(map[string]string{"CQL_VERSION": "3.0.0"}))
	v5 = AppendSegment(v5, append(requestFrame(5, 0, 2, OpQuery, queryBody("SELECT 1", params{cons: One, v5: true})),
		requestFrame(5, 0, 3, OpOptions, nil)...), true)
	env := requestFrame(5, 0, 4, OpQuery, queryBody("SELECT 2", params{cons: One, v5: true}))
	f.Add(AppendSegment(AppendSegment(v5, env[:10], false), env[10:], false))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewServer(ServerConfig{Handler: echoHandler{}, WriteTimeout: time.Second, MaxFrameBody: 1 << 10})
		a, b := net.Pipe()
		c := newConn(s, a)
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
		drained := make(chan struct{})
		go func() {
			io.Copy(io.Discard, b)
			close(drained)
		}()
		b.SetWriteDeadline(time.Now().Add(5 * time.Second))
		b.Write(data)
		b.Close()
		<-drained
		done := make(chan struct{})
		go func() {
			s.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("connection did not finish")
		}
	})
}

// FuzzSegments feeds arbitrary bytes to the v5 segment decoder: it must
// never panic, fail only with corrupt-segment, envelope or read errors,
// and what it decodes must re-encode to segments that decode the same.
func FuzzSegments(f *testing.F) {
	f.Add(AppendSegment(nil, requestFrame(5, 0, 1, OpOptions, nil), true))
	// A large message in three segments (small ones: the fuzzer stalls
	// minimizing inputs of 128 KiB).
	env := requestFrame(5, 0, 2, OpQuery, queryBody("SELECT 1", params{cons: One, v5: true}))
	f.Add(AppendSegment(AppendSegment(AppendSegment(nil, env[:5], false), env[5:12], false), env[12:], false))
	f.Add(append(AppendSegment(nil, requestFrame(5, 0, 3, OpQuery, []byte("abc")), false),
		AppendSegment(nil, requestFrame(4, 0, 4, OpOptions, nil), true)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		er := &envelopeReader{r: bytes.NewReader(data), version: 5, maxBody: 1 << 18}
		for range 100 {
			fr, err := er.next()
			if err != nil {
				var ce *CorruptSegmentError
				var ee *envelopeError
				if !errors.As(err, &ce) && !errors.As(err, &ee) && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error %#v", err)
				}
				if ee == nil || ee.fatal {
					return
				}
				continue
			}
			if fr.Version != 5 || len(fr.Body) > 1<<18 {
				t.Fatalf("envelope %+v", fr)
			}
			env := requestFrame(fr.Version, fr.Flags, fr.Stream, fr.Opcode, fr.Body)
			er2 := &envelopeReader{r: bytes.NewReader(AppendSegments(nil, env)), version: 5, maxBody: 1 << 18}
			fr2, err := er2.next()
			if err != nil || !reflect.DeepEqual(fr, fr2) {
				t.Fatalf("round trip: %+v %+v %v", fr, fr2, err)
			}
		}
	})
}
