package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim/native"
)

// TestProtocolVersions runs gocql at v3, v4, v5 and its default (which
// must land on v5, as against a 4.1 node) against the simulator: plain and
// prepared statements, a batch, an error, and a prepared SELECT * whose
// columns an ALTER TABLE ADD changes (v5: METADATA_CHANGED; before v5 the
// skip_metadata request is not honoured once the metadata differs).
func TestProtocolVersions(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	for _, pv := range []int{0, 3, 4, 5} {
		t.Run("v"+strconv.Itoa(pv), func(t *testing.T) {
			cc := gocql.NewCluster(c.Nodes()[0].Addr.String())
			cc.Port = c.Config().NativePort
			cc.ProtoVersion = pv
			obs := &frameVersions{seen: map[byte]bool{}}
			cc.FrameHeaderObserver = obs
			s, err := cc.CreateSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ks := fmt.Sprintf("pv%d", pv)
			must(t, s.Query("CREATE KEYSPACE "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec())
			must(t, s.Query("CREATE TABLE "+ks+".t (k int PRIMARY KEY, v text)").Exec())
			must(t, s.Query("INSERT INTO "+ks+".t (k, v) VALUES (?, ?)", 1, "one").Exec())
			b := s.Batch(gocql.LoggedBatch)
			b.Query("INSERT INTO "+ks+".t (k, v) VALUES (?, ?)", 2, "two")
			b.Query("INSERT INTO " + ks + ".t (k, v) VALUES (3, 'three')")
			must(t, b.Exec())
			var v string
			must(t, s.Query("SELECT v FROM "+ks+".t WHERE k = ?", 3).Scan(&v))
			if v != "three" {
				t.Fatalf("read %q", v)
			}

			sel := "SELECT * FROM " + ks + ".t WHERE k = ?"
			row := map[string]any{}
			must(t, s.Query(sel, 1).MapScan(row))
			if len(row) != 2 {
				t.Fatalf("before ALTER: %v", row)
			}
			must(t, s.Query("ALTER TABLE "+ks+".t ADD w text").Exec())
			must(t, s.Query("UPDATE "+ks+".t SET w = 'added' WHERE k = 1").Exec())
			for range 2 { // the second run uses the metadata the first brought
				row = map[string]any{}
				must(t, s.Query(sel, 1).MapScan(row))
				if len(row) != 3 || row["w"] != "added" || row["v"] != "one" {
					t.Fatalf("after ALTER: %v", row)
				}
			}

			err = s.Query("SELECT nope FROM " + ks + ".t").Exec()
			var re gocql.RequestError
			if !asReqErr(err, &re) || re.Code() != int(native.ErrInvalid) || re.Message() != "Undefined column name nope in table "+ks+".t" {
				t.Errorf("error: %v", err)
			}

			want := byte(pv)
			if pv == 0 {
				want = 5
			}
			obs.mu.Lock()
			if len(obs.seen) != 1 || !obs.seen[want] {
				t.Errorf("response versions %v, want only v%d", obs.seen, want)
			}
			obs.mu.Unlock()
		})
	}
}

func asReqErr(err error, re *gocql.RequestError) bool {
	e, ok := err.(gocql.RequestError)
	if ok {
		*re = e
	}
	return ok
}

type frameVersions struct {
	mu   sync.Mutex
	seen map[byte]bool
}

func (o *frameVersions) ObserveFrameHeader(_ context.Context, h gocql.ObservedFrameHeader) {
	o.mu.Lock()
	o.seen[byte(h.Version)&0x7f] = true
	o.mu.Unlock()
}

// TestMetadataChangedV5 checks the flags themselves on the wire, with a
// v5 client by hand: PREPARE returns a result_metadata_id; EXECUTE with it
// and skip_metadata gets NO_METADATA; after ALTER TABLE ADD the old id
// gets METADATA_CHANGED, the new id and full metadata; the new id gets
// NO_METADATA again (ExecuteMessage.execute).
func TestMetadataChangedV5(t *testing.T) {
	c := startCluster(t, "dc1:1x1", false)
	s := session(t, c, "dc1")
	must(t, s.Query("CREATE KEYSPACE md WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec())
	must(t, s.Query("CREATE TABLE md.t (k int PRIMARY KEY, v text)").Exec())
	must(t, s.Query("INSERT INTO md.t (k, v) VALUES (1, 'one')").Exec())

	addr := netip.AddrPortFrom(c.Nodes()[0].Addr, uint16(c.Config().NativePort))
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	send := func(stream int16, op native.Opcode, body []byte, modern bool) {
		t.Helper()
		b := native.AppendFrame(nil, native.Frame{Version: 5, Stream: stream, Opcode: op, Body: body})
		b[0] &^= 0x80 // a request
		if modern {
			b = native.AppendSegments(nil, b)
		}
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(modern bool) native.Frame {
		t.Helper()
		var src = r
		if modern {
			p, self, err := native.ReadSegment(r)
			if err != nil || !self {
				t.Fatalf("segment: %v %v", self, err)
			}
			src = bufio.NewReader(bytes.NewReader(p))
		}
		f, err := native.ReadFrame(src, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if f.Opcode == native.OpError {
			t.Fatalf("error: %q", f.Body)
		}
		return f
	}
	short := func(b []byte) ([]byte, []byte) {
		n := binary.BigEndian.Uint16(b)
		return b[2 : 2+n], b[2+n:]
	}
	send(1, native.OpStartup, startupMap(map[string]string{"CQL_VERSION": "3.0.0"}), false)
	if f := recv(false); f.Opcode != native.OpReady {
		t.Fatalf("STARTUP: %+v", f)
	}
	prepare := func(q string) (id, metaID []byte) {
		t.Helper()
		body := binary.BigEndian.AppendUint32(nil, uint32(len(q)))
		body = append(append(body, q...), 0, 0, 0, 0) // no PREPARE flags
		send(2, native.OpPrepare, body, true)
		f := recv(true)
		id, rest := short(f.Body[4:])
		metaID, _ = short(rest)
		return id, metaID
	}
	var id []byte
	execute := func(stream int16, mid []byte) (flags uint32, newID []byte) {
		t.Helper()
		b := binary.BigEndian.AppendUint16(nil, uint16(len(id)))
		b = append(b, id...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(mid)))
		b = append(b, mid...)
		b = append(b, 0, byte(native.One), 0, 0, 0, 0x02) // consistency, flags: SKIP_METADATA
		send(stream, native.OpExecute, b, true)
		f := recv(true)
		if kind := binary.BigEndian.Uint32(f.Body); kind != 2 {
			t.Fatalf("result kind %d", kind)
		}
		flags = binary.BigEndian.Uint32(f.Body[4:])
		if flags&0x08 != 0 {
			newID, _ = short(f.Body[12:])
		}
		return flags, newID
	}
	// Unchanged statements are never flagged: what PREPARE describes is
	// what EXECUTE returns.
	for _, q := range []string{"SELECT v FROM md.t WHERE k = 1", "SELECT count(*) FROM md.t", "SELECT k, writetime(v), ttl(v) FROM md.t WHERE k = 1",
		"SELECT v AS x FROM md.t WHERE k = 1", "SELECT JSON * FROM md.t WHERE k = 1", "SELECT token(k), k FROM md.t"} {
		var mid []byte
		id, mid = prepare(q)
		if fl, _ := execute(3, mid); fl != 0x04 {
			t.Errorf("%s: flags %#x, want NO_METADATA", q, fl)
		}
	}
	var metaID []byte
	id, metaID = prepare("SELECT * FROM md.t WHERE k = 1")
	if fl, _ := execute(3, metaID); fl != 0x04 {
		t.Fatalf("unchanged: flags %#x, want NO_METADATA", fl)
	}
	must(t, s.Query("ALTER TABLE md.t ADD w int").Exec())
	fl, newID := execute(4, metaID)
	if fl != 0x08|0x01 || len(newID) != 16 || bytes.Equal(newID, metaID) {
		t.Fatalf("after ALTER: flags %#x new id %x (old %x)", fl, newID, metaID)
	}
	if fl, _ := execute(5, newID); fl != 0x04 {
		t.Fatalf("with the new id: flags %#x", fl)
	}
}

func startupMap(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := binary.BigEndian.AppendUint16(nil, uint16(len(m)))
	for _, k := range keys {
		for _, s := range []string{k, m[k]} {
			b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
			b = append(b, s...)
		}
	}
	return b
}
