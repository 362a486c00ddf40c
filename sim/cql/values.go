package cql

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
)

// Version 1 UUID helpers for the time functions (now(), minTimeuuid …).

// uuidEpochOffset is the number of 100ns intervals between the Gregorian
// epoch of version 1 UUIDs (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

func parseUUID(s string) (cqltype.UUID, bool) {
	u, err := cqltype.ParseUUID(s)
	return u, err == nil
}

// uuidTimestamp is the 60-bit timestamp of a version 1 UUID.
func uuidTimestamp(u cqltype.UUID) int64 {
	low := int64(binary.BigEndian.Uint32(u[0:4]))
	mid := int64(binary.BigEndian.Uint16(u[4:6]))
	hi := int64(binary.BigEndian.Uint16(u[6:8]) & 0x0fff)
	return hi<<48 | mid<<32 | low
}

// uuidUnixMillis is the Unix time in milliseconds of a version 1 UUID.
func uuidUnixMillis(u cqltype.UUID) int64 { return (uuidTimestamp(u) - uuidEpochOffset) / 10000 }

// makeTimeUUID builds a version 1 UUID from a 60-bit timestamp and the 8
// clock-sequence-and-node bytes.
func makeTimeUUID(ts int64, lsb uint64) cqltype.UUID {
	var u cqltype.UUID
	binary.BigEndian.PutUint32(u[0:4], uint32(ts))
	binary.BigEndian.PutUint16(u[4:6], uint16(ts>>32))
	binary.BigEndian.PutUint16(u[6:8], uint16(ts>>48)&0x0fff|0x1000)
	binary.BigEndian.PutUint64(u[8:16], lsb)
	return u
}

// minTimeUUID and maxTimeUUID are UUIDGen's bounds for a millisecond: the
// smallest and largest timeuuids Cassandra's comparator orders within it.
func minTimeUUID(ms int64) cqltype.UUID {
	return makeTimeUUID(ms*10000+uuidEpochOffset, 0x8080808080808080)
}

func maxTimeUUID(ms int64) cqltype.UUID {
	return makeTimeUUID(ms*10000+uuidEpochOffset+9999, 0x7f7f7f7f7f7f7f7f)
}

var timeUUIDState struct {
	sync.Mutex
	last int64
	lsb  uint64
}

// newTimeUUID returns a version 1 UUID for the current time, with a random
// clock sequence and node chosen once per process; like Cassandra's
// UUIDGen it never returns the same timestamp twice, so successive now()
// calls are strictly ordered.
func newTimeUUID() cqltype.UUID {
	s := &timeUUIDState
	s.Lock()
	defer s.Unlock()
	if s.lsb == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		// RFC 4122 variant; multicast bit on the random node.
		b[0] = b[0]&0x3f | 0x80
		b[2] |= 0x01
		s.lsb = binary.BigEndian.Uint64(b[:])
	}
	ts := time.Now().UnixNano()/100 + uuidEpochOffset
	if ts <= s.last {
		ts = s.last + 1
	}
	s.last = ts
	return makeTimeUUID(ts, s.lsb)
}

func millisTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
