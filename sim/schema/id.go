package schema

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
)

// TableIDFor returns the id Cassandra gives the system or virtual table
// keyspace.table: TableId.forSystemTable / TableId.unsafeDeterministic
// (schema/TableId.java), i.e. java.util.UUID.nameUUIDFromBytes of the UTF-8
// bytes of the keyspace name followed by the table name — an MD5 name-based
// (version 3) UUID. Virtual tables get the same derivation
// (TableMetadata.Builder.build uses unsafeDeterministic for Kind.VIRTUAL,
// CASSANDRA-17295).
//
// User tables do not use it: see NewTableID.
func TableIDFor(keyspace, table string) cqltype.UUID {
	h := md5.Sum([]byte(keyspace + table))
	h[6] = h[6]&0x0f | 0x30 // version 3
	h[8] = h[8]&0x3f | 0x80 // IETF variant
	return cqltype.UUID(h)
}

// uuidEpochOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

var (
	tableIDMu   sync.Mutex
	lastTableTS int64
	tableIDNode [8]byte // clock sequence (2 bytes) and node (6 bytes)
	tableIDInit bool
)

// NewTableID returns a fresh id for a user table. Cassandra 4.1 gives user
// tables TableId.generate(), a time-based (version 1) UUID from its TimeUUID
// generator (unless use_deterministic_table_id is set, which defaults to
// false). NewTableID does the same: the 60-bit timestamp is the current time
// in 100 ns units since 1582-10-15, strictly increasing within the process;
// the clock sequence and node are random (multicast bit set, as RFC 4122
// asks of a node id that is not a MAC address) and fixed for the process.
func NewTableID() cqltype.UUID {
	tableIDMu.Lock()
	defer tableIDMu.Unlock()
	if !tableIDInit {
		if _, err := rand.Read(tableIDNode[:]); err != nil {
			panic(fmt.Sprintf("schema: reading random node id: %v", err))
		}
		tableIDNode[2] |= 0x01 // multicast bit of the node
		tableIDInit = true
	}
	ts := time.Now().UnixNano()/100 + uuidEpochOffset
	if ts <= lastTableTS {
		ts = lastTableTS + 1
	}
	lastTableTS = ts
	return timeUUID(ts, tableIDNode)
}

// timeUUID assembles a version 1 UUID from a 60-bit timestamp and the clock
// sequence and node bytes.
func timeUUID(ts int64, seqNode [8]byte) cqltype.UUID {
	var u cqltype.UUID
	tl := uint32(ts)
	tm := uint16(ts >> 32)
	th := uint16(ts>>48) & 0x0fff
	u[0], u[1], u[2], u[3] = byte(tl>>24), byte(tl>>16), byte(tl>>8), byte(tl)
	u[4], u[5] = byte(tm>>8), byte(tm)
	u[6], u[7] = byte(th>>8)|0x10, byte(th)
	copy(u[8:], seqNode[:])
	u[8] = u[8]&0x3f | 0x80
	return u
}

// formatUUID formats u as 8-4-4-4-12 lowercase hex digits.
func formatUUID(u cqltype.UUID) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// parseUUID parses the 8-4-4-4-12 hex form.
func parseUUID(s string) (cqltype.UUID, error) {
	var u cqltype.UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("invalid UUID %q", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("invalid UUID %q", s)
	}
	return u, nil
}
