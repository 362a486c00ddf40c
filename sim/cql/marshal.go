package cql

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/ringside/ringside/sim/cqltype"
)

// marshalNative and unmarshalNative implement the native protocol encoding
// of native types for the typeAsBlob / blobAsType functions.

func marshalNative(id cqltype.ID, v any) []byte {
	switch id {
	case cqltype.Ascii, cqltype.Varchar:
		return []byte(v.(string))
	case cqltype.Bigint, cqltype.Counter:
		return binary.BigEndian.AppendUint64(nil, uint64(v.(int64)))
	case cqltype.Int:
		return binary.BigEndian.AppendUint32(nil, uint32(v.(int32)))
	case cqltype.Smallint:
		return binary.BigEndian.AppendUint16(nil, uint16(v.(int16)))
	case cqltype.Tinyint:
		return []byte{byte(v.(int8))}
	case cqltype.Boolean:
		if v.(bool) {
			return []byte{1}
		}
		return []byte{0}
	case cqltype.Blob:
		return v.([]byte)
	case cqltype.Double:
		return binary.BigEndian.AppendUint64(nil, math.Float64bits(v.(float64)))
	case cqltype.Float:
		return binary.BigEndian.AppendUint32(nil, math.Float32bits(v.(float32)))
	case cqltype.Timestamp:
		return binary.BigEndian.AppendUint64(nil, uint64(v.(time.Time).UnixMilli()))
	case cqltype.DateID:
		return binary.BigEndian.AppendUint32(nil, uint32(int64(v.(cqltype.Date))+1<<31))
	case cqltype.TimeID:
		return binary.BigEndian.AppendUint64(nil, uint64(v.(cqltype.Time)))
	case cqltype.UUIDID, cqltype.Timeuuid:
		u := v.(cqltype.UUID)
		return u[:]
	case cqltype.Inet:
		return v.(netip.Addr).AsSlice()
	case cqltype.Varint:
		return varintBytes(v.(*big.Int))
	case cqltype.DecimalID:
		d := v.(cqltype.Decimal)
		u := d.Unscaled
		if u == nil {
			u = new(big.Int)
		}
		return append(binary.BigEndian.AppendUint32(nil, uint32(d.Scale)), varintBytes(u)...)
	case cqltype.DurationID:
		d := v.(cqltype.Duration)
		b := binary.AppendVarint(nil, int64(d.Months))
		b = binary.AppendVarint(b, int64(d.Days))
		return binary.AppendVarint(b, d.Nanos)
	}
	return nil
}

// varintBytes is the shortest two's complement big-endian form of n.
func varintBytes(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -n-1 in bytes, complemented.
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func varintFromBytes(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// unmarshalNative decodes b as a value of the native type id, with the
// validation messages of Cassandra's serializers. An empty value is null.
func unmarshalNative(id cqltype.ID, b []byte) (any, error) {
	n := len(b)
	if n == 0 && id != cqltype.Ascii && id != cqltype.Varchar && id != cqltype.Blob {
		return nil, nil
	}
	bad := func(format string) error { return &InvalidError{Msg: fmt.Sprintf(format, n)} }
	switch id {
	case cqltype.Ascii:
		for _, c := range b {
			if c > 127 {
				return nil, &InvalidError{Msg: fmt.Sprintf("Invalid byte for ascii: %d", c)}
			}
		}
		return string(b), nil
	case cqltype.Varchar:
		if !utf8.Valid(b) {
			return nil, &InvalidError{Msg: "String didn't validate."}
		}
		return string(b), nil
	case cqltype.Bigint, cqltype.Counter:
		if n != 8 {
			return nil, bad("Expected 8 or 0 byte long (%d)")
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case cqltype.Int:
		if n != 4 {
			return nil, bad("Expected 4 or 0 byte int (%d)")
		}
		return int32(binary.BigEndian.Uint32(b)), nil
	case cqltype.Smallint:
		if n != 2 {
			return nil, bad("Expected 2 bytes for a smallint (%d)")
		}
		return int16(binary.BigEndian.Uint16(b)), nil
	case cqltype.Tinyint:
		if n != 1 {
			return nil, bad("Expected 1 byte for a tinyint (%d)")
		}
		return int8(b[0]), nil
	case cqltype.Boolean:
		if n != 1 {
			return nil, bad("Expected 1 or 0 byte value (%d)")
		}
		return b[0] != 0, nil
	case cqltype.Blob:
		return append([]byte{}, b...), nil
	case cqltype.Double:
		if n != 8 {
			return nil, bad("Expected 8 or 0 byte value for a double (%d)")
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case cqltype.Float:
		if n != 4 {
			return nil, bad("Expected 4 or 0 byte value for a float (%d)")
		}
		return math.Float32frombits(binary.BigEndian.Uint32(b)), nil
	case cqltype.Timestamp:
		if n != 8 {
			return nil, bad("Expected 8 or 0 byte long for date (%d)")
		}
		return millisTime(int64(binary.BigEndian.Uint64(b))), nil
	case cqltype.DateID:
		if n != 4 {
			return nil, bad("Expected 4 byte long for date (%d)")
		}
		return cqltype.Date(int64(binary.BigEndian.Uint32(b)) - 1<<31), nil
	case cqltype.TimeID:
		if n != 8 {
			return nil, bad("Expected 8 byte long for time (%d)")
		}
		return cqltype.Time(binary.BigEndian.Uint64(b)), nil
	case cqltype.UUIDID, cqltype.Timeuuid:
		if n != 16 {
			if id == cqltype.Timeuuid {
				return nil, bad("TimeUUID should be 16 or 0 bytes (%d)")
			}
			return nil, bad("UUID should be 16 or 0 bytes (%d)")
		}
		var u cqltype.UUID
		copy(u[:], b)
		if id == cqltype.Timeuuid && uuidVersion(u) != 1 {
			return nil, &InvalidError{Msg: "Invalid version for TimeUUID type."}
		}
		return u, nil
	case cqltype.Inet:
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return nil, &InvalidError{Msg: "Expected 4 or 16 byte inetaddress; got " + hex.EncodeToString(b)}
		}
		return a.Unmap(), nil
	case cqltype.Varint:
		return varintFromBytes(b), nil
	case cqltype.DecimalID:
		if n < 4 {
			return nil, bad("Expected 0 or at least 4 bytes (%d)")
		}
		return cqltype.Decimal{Scale: int32(binary.BigEndian.Uint32(b)), Unscaled: varintFromBytes(b[4:])}, nil
	case cqltype.DurationID:
		m, k1 := binary.Varint(b)
		if k1 <= 0 {
			return nil, &InvalidError{Msg: "Invalid duration"}
		}
		d, k2 := binary.Varint(b[k1:])
		if k2 <= 0 {
			return nil, &InvalidError{Msg: "Invalid duration"}
		}
		ns, k3 := binary.Varint(b[k1+k2:])
		if k3 <= 0 || k1+k2+k3 != n {
			return nil, &InvalidError{Msg: "Invalid duration"}
		}
		return cqltype.Duration{Months: int32(m), Days: int32(d), Nanos: ns}, nil
	}
	return nil, &InvalidError{Msg: "unsupported type"}
}
