package cql

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
)

// Private value helpers: cqltype's codec (UUIDs, Marshal, Compare) is being
// written in parallel, so Eval keeps its own small versions.

// uuidEpochOffset is the number of 100ns intervals between the Gregorian
// epoch of version 1 UUIDs (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

func parseUUID(s string) (cqltype.UUID, bool) {
	var u cqltype.UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, true
}

func uuidVersion(u cqltype.UUID) int { return int(u[6] >> 4) }

func formatUUID(u cqltype.UUID) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
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

// newTimeUUID returns a unique version 1 UUID for the current time, with a
// random clock sequence and node chosen once per process.
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

func randomUUID() cqltype.UUID {
	var u cqltype.UUID
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func millisTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// compareValues orders two non-null values of typ the way Cassandra's
// comparators do, for keeping sets and map keys sorted.
func compareValues(typ cqltype.Type, a, b any) int {
	switch typ.ID {
	case cqltype.Ascii, cqltype.Varchar:
		return strings.Compare(a.(string), b.(string))
	case cqltype.Bigint, cqltype.Counter:
		return cmp3(a.(int64) < b.(int64), a.(int64) > b.(int64))
	case cqltype.Int:
		return cmp3(a.(int32) < b.(int32), a.(int32) > b.(int32))
	case cqltype.Smallint:
		return cmp3(a.(int16) < b.(int16), a.(int16) > b.(int16))
	case cqltype.Tinyint:
		return cmp3(a.(int8) < b.(int8), a.(int8) > b.(int8))
	case cqltype.Boolean:
		return cmp3(!a.(bool) && b.(bool), a.(bool) && !b.(bool))
	case cqltype.Blob:
		return bytes.Compare(a.([]byte), b.([]byte))
	case cqltype.Double:
		return compareFloat(a.(float64), b.(float64))
	case cqltype.Float:
		return compareFloat(float64(a.(float32)), float64(b.(float32)))
	case cqltype.DecimalID:
		return decimalRat(a.(cqltype.Decimal)).Cmp(decimalRat(b.(cqltype.Decimal)))
	case cqltype.Varint:
		return a.(*big.Int).Cmp(b.(*big.Int))
	case cqltype.Timestamp:
		return a.(time.Time).Compare(b.(time.Time))
	case cqltype.DateID:
		return cmp3(a.(cqltype.Date) < b.(cqltype.Date), a.(cqltype.Date) > b.(cqltype.Date))
	case cqltype.TimeID:
		return cmp3(a.(cqltype.Time) < b.(cqltype.Time), a.(cqltype.Time) > b.(cqltype.Time))
	case cqltype.Timeuuid:
		x, y := a.(cqltype.UUID), b.(cqltype.UUID)
		if c := cmp3(uuidTimestamp(x) < uuidTimestamp(y), uuidTimestamp(x) > uuidTimestamp(y)); c != 0 {
			return c
		}
		// TimeUUIDType compares the rest as signed bytes.
		for i := 8; i < 16; i++ {
			if c := cmp3(int8(x[i]) < int8(y[i]), int8(x[i]) > int8(y[i])); c != 0 {
				return c
			}
		}
		return 0
	case cqltype.UUIDID:
		x, y := a.(cqltype.UUID), b.(cqltype.UUID)
		if c := cmp3(uuidVersion(x) < uuidVersion(y), uuidVersion(x) > uuidVersion(y)); c != 0 {
			return c
		}
		if uuidVersion(x) == 1 {
			if c := cmp3(uuidTimestamp(x) < uuidTimestamp(y), uuidTimestamp(x) > uuidTimestamp(y)); c != 0 {
				return c
			}
		}
		return bytes.Compare(x[:], y[:])
	case cqltype.Inet:
		return bytes.Compare(a.(netip.Addr).AsSlice(), b.(netip.Addr).AsSlice())
	case cqltype.DurationID:
		x, y := a.(cqltype.Duration), b.(cqltype.Duration)
		if x.Months != y.Months {
			return cmp3(x.Months < y.Months, true)
		}
		if x.Days != y.Days {
			return cmp3(x.Days < y.Days, true)
		}
		return cmp3(x.Nanos < y.Nanos, x.Nanos > y.Nanos)
	case cqltype.List, cqltype.Set:
		return compareSeq(func(int) cqltype.Type { return typ.Elems[0] }, a.([]any), b.([]any))
	case cqltype.Tuple:
		return compareSeq(func(i int) cqltype.Type { return typ.Elems[i] }, a.([]any), b.([]any))
	case cqltype.Map:
		x, y := a.([]cqltype.Pair), b.([]cqltype.Pair)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compareNullable(typ.Elems[0], x[i].Key, y[i].Key); c != 0 {
				return c
			}
			if c := compareNullable(typ.Elems[1], x[i].Value, y[i].Value); c != 0 {
				return c
			}
		}
		return cmp3(len(x) < len(y), len(x) > len(y))
	}
	return 0
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// compareFloat is Java's Double.compare: -0.0 < 0.0 and NaN is the largest.
func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if math.IsNaN(a) {
		ab = 0x7ff8000000000000
	}
	if math.IsNaN(b) {
		bb = 0x7ff8000000000000
	}
	return cmp3(ab < bb, ab > bb)
}

func compareNullable(typ cqltype.Type, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return compareValues(typ, a, b)
}

func compareSeq(elem func(int) cqltype.Type, x, y []any) int {
	for i := 0; i < len(x) && i < len(y); i++ {
		if c := compareNullable(elem(i), x[i], y[i]); c != 0 {
			return c
		}
	}
	return cmp3(len(x) < len(y), len(x) > len(y))
}

func decimalRat(d cqltype.Decimal) *big.Rat {
	r := new(big.Rat)
	if d.Unscaled == nil {
		return r
	}
	r.SetInt(d.Unscaled)
	if d.Scale == 0 {
		return r
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(d.Scale))), nil)
	if d.Scale > 0 {
		return r.Quo(r, new(big.Rat).SetInt(p))
	}
	return r.Mul(r, new(big.Rat).SetInt(p))
}

func abs32(v int32) int64 {
	if v < 0 {
		return -int64(v)
	}
	return int64(v)
}
