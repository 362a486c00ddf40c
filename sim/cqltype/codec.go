package cqltype

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the value codec: the native protocol serialization of
// every type (native_protocol_v4.spec section 6; collections use the v3+
// [int] counts), Cassandra's comparators (org.apache.cassandra.db.marshal),
// cqlsh's display format (pylib/cqlshlib/formatting.py) and UUID helpers.

// Marshal serializes v as a value of type t. nil is null and yields nil.
// Integer types accept any Go integer type that fits; list, set and tuple
// accept any slice; map accepts []Pair or a Go map. Sets and maps are
// written sorted by Compare and without duplicates, as Cassandra stores them.
func Marshal(t Type, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	switch t.ID {
	case Ascii:
		s, ok := v.(string)
		if !ok {
			return nil, marshalErr(t, v)
		}
		for i := 0; i < len(s); i++ {
			if s[i] > 127 {
				// AsciiSerializer.validate.
				return nil, fmt.Errorf("Invalid byte for ascii: %d", s[i])
			}
		}
		return []byte(s), nil
	case Varchar:
		s, ok := v.(string)
		if !ok {
			return nil, marshalErr(t, v)
		}
		if !utf8.ValidString(s) {
			return nil, errors.New("String didn't validate.")
		}
		return []byte(s), nil
	case Blob, Custom:
		b, ok := v.([]byte)
		if !ok {
			return nil, marshalErr(t, v)
		}
		return append([]byte{}, b...), nil
	case Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, marshalErr(t, v)
		}
		if b {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case Bigint, Counter:
		n, err := intValue(t, v, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
	case Int:
		n, err := intValue(t, v, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint32(nil, uint32(n)), nil
	case Smallint:
		n, err := intValue(t, v, math.MinInt16, math.MaxInt16)
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint16(nil, uint16(n)), nil
	case Tinyint:
		n, err := intValue(t, v, math.MinInt8, math.MaxInt8)
		if err != nil {
			return nil, err
		}
		return []byte{byte(n)}, nil
	case Float:
		f, ok := v.(float32)
		if !ok {
			return nil, marshalErr(t, v)
		}
		return binary.BigEndian.AppendUint32(nil, math.Float32bits(f)), nil
	case Double:
		f, ok := v.(float64)
		if !ok {
			return nil, marshalErr(t, v)
		}
		return binary.BigEndian.AppendUint64(nil, math.Float64bits(f)), nil
	case DecimalID:
		var d Decimal
		switch x := v.(type) {
		case Decimal:
			d = x
		case *Decimal:
			if x == nil {
				return nil, nil
			}
			d = *x
		default:
			return nil, marshalErr(t, v)
		}
		u := d.Unscaled
		if u == nil {
			u = new(big.Int)
		}
		return append(binary.BigEndian.AppendUint32(nil, uint32(d.Scale)), varintBytes(u)...), nil
	case Varint:
		switch x := v.(type) {
		case *big.Int:
			if x == nil {
				return nil, nil
			}
			return varintBytes(x), nil
		case big.Int:
			return varintBytes(&x), nil
		}
		if n, ok := anyInt(v); ok {
			return varintBytes(n), nil
		}
		return nil, marshalErr(t, v)
	case Timestamp:
		tm, ok := v.(time.Time)
		if !ok {
			return nil, marshalErr(t, v)
		}
		return binary.BigEndian.AppendUint64(nil, uint64(tm.UnixMilli())), nil
	case DateID:
		d, ok := v.(Date)
		if !ok {
			return nil, marshalErr(t, v)
		}
		// The wire form is unsigned days with the epoch at 2^31 (spec 6.5).
		return binary.BigEndian.AppendUint32(nil, uint32(d)^0x80000000), nil
	case TimeID:
		tv, ok := v.(Time)
		if !ok {
			return nil, marshalErr(t, v)
		}
		if tv < 0 || tv > maxTime {
			return nil, fmt.Errorf("Time value %d out of range [0, %d]", int64(tv), int64(maxTime))
		}
		return binary.BigEndian.AppendUint64(nil, uint64(tv)), nil
	case UUIDID, Timeuuid:
		var u UUID
		switch x := v.(type) {
		case UUID:
			u = x
		case [16]byte:
			u = x
		default:
			return nil, marshalErr(t, v)
		}
		if t.ID == Timeuuid && u.Version() != 1 {
			// TimeUUIDType.validate.
			return nil, errors.New("Invalid version for TimeUUID type.")
		}
		return append([]byte{}, u[:]...), nil
	case Inet:
		switch x := v.(type) {
		case netip.Addr:
			if !x.IsValid() {
				return nil, marshalErr(t, v)
			}
			return x.AsSlice(), nil
		case net.IP:
			if x4 := x.To4(); x4 != nil {
				return append([]byte{}, x4...), nil
			}
			if len(x) != net.IPv4len && len(x) != net.IPv6len {
				return nil, marshalErr(t, v)
			}
			return append([]byte{}, x...), nil
		}
		return nil, marshalErr(t, v)
	case DurationID:
		d, ok := v.(Duration)
		if !ok {
			return nil, marshalErr(t, v)
		}
		if err := checkDurationSigns(d); err != nil {
			return nil, err
		}
		b := appendVInt(nil, int64(d.Months))
		b = appendVInt(b, int64(d.Days))
		return appendVInt(b, d.Nanos), nil
	case List, Set:
		if len(t.Elems) != 1 {
			return nil, badType(t)
		}
		elems, ok := sliceOf(v)
		if !ok {
			return nil, marshalErr(t, v)
		}
		enc := make([][]byte, 0, len(elems))
		for _, e := range elems {
			if e == nil {
				return nil, nullInCollection(t)
			}
			b, err := Marshal(t.Elems[0], e)
			if err != nil {
				return nil, err
			}
			enc = append(enc, b)
		}
		if t.ID == Set {
			enc = sortUnique(t.Elems[0], enc, nil)
		}
		return appendCollection(enc), nil
	case Map:
		if len(t.Elems) != 2 {
			return nil, badType(t)
		}
		pairs, ok := pairsOf(v)
		if !ok {
			return nil, marshalErr(t, v)
		}
		keys := make([][]byte, 0, len(pairs))
		vals := make([][]byte, 0, len(pairs))
		for _, p := range pairs {
			if p.Key == nil || p.Value == nil {
				return nil, nullInCollection(t)
			}
			k, err := Marshal(t.Elems[0], p.Key)
			if err != nil {
				return nil, err
			}
			val, err := Marshal(t.Elems[1], p.Value)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
			vals = append(vals, val)
		}
		enc := sortUnique(t.Elems[0], keys, vals)
		return appendCollectionN(len(enc)/2, enc), nil
	case Tuple:
		elems, ok := sliceOf(v)
		if !ok || len(elems) > len(t.Elems) {
			return nil, marshalErr(t, v)
		}
		var out []byte
		for i, e := range elems {
			b, err := Marshal(t.Elems[i], e)
			if err != nil {
				return nil, err
			}
			out = appendBytes(out, b)
		}
		// Missing trailing elements are nulls (spec section 6.20 / 7).
		for range len(t.Elems) - len(elems) {
			out = appendBytes(out, nil)
		}
		if out == nil {
			out = []byte{}
		}
		return out, nil
	}
	return nil, badType(t)
}

const maxTime = Time(86399999999999)

func marshalErr(t Type, v any) error {
	return fmt.Errorf("cannot marshal %T as %s", v, t)
}

func badType(t Type) error { return fmt.Errorf("unsupported type %s", t) }

func nullInCollection(t Type) error {
	return fmt.Errorf("null is not supported inside collections (%s)", t)
}

// anyInt converts any Go integer to a big.Int.
func anyInt(v any) (*big.Int, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return big.NewInt(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return new(big.Int).SetUint64(rv.Uint()), true
	}
	return nil, false
}

// intValue accepts any Go integer within [lo, hi].
func intValue(t Type, v any, lo, hi int64) (int64, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		if n < lo || n > hi {
			return 0, fmt.Errorf("value %d out of range for %s", n, t)
		}
		return n, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := rv.Uint()
		if n > uint64(hi) {
			return 0, fmt.Errorf("value %d out of range for %s", n, t)
		}
		return int64(n), nil
	}
	return 0, marshalErr(t, v)
}

func sliceOf(v any) ([]any, bool) {
	if s, ok := v.([]any); ok {
		return s, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

func pairsOf(v any) ([]Pair, bool) {
	if p, ok := v.([]Pair); ok {
		return p, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map {
		return nil, false
	}
	out := make([]Pair, 0, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		out = append(out, Pair{Key: it.Key().Interface(), Value: it.Value().Interface()})
	}
	return out, true
}

// sortUnique orders encoded set elements (vals nil) or map entries by key,
// dropping duplicate keys (the last one wins, as a map literal does). It
// returns the flattened element list ready for appendCollection.
func sortUnique(kt Type, keys, vals [][]byte) [][]byte {
	type entry struct {
		key  any
		k, v []byte
	}
	es := make([]entry, len(keys))
	for i, k := range keys {
		kv, _ := Unmarshal(kt, k)
		es[i] = entry{key: kv, k: k}
		if vals != nil {
			es[i].v = vals[i]
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return Compare(kt, a.key, b.key) })
	out := make([][]byte, 0, 2*len(es))
	for i, e := range es {
		if i+1 < len(es) && Compare(kt, e.key, es[i+1].key) == 0 {
			continue
		}
		out = append(out, e.k)
		if vals != nil {
			out = append(out, e.v)
		}
	}
	return out
}

func appendBytes(b, v []byte) []byte {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, math.MaxUint32) // -1: null
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// appendCollection writes the v3+ collection format: [int] n, then n
// [bytes]; elems holds key,value,key,value... for maps, so n is halved.
func appendCollection(elems [][]byte) []byte {
	return appendCollectionN(len(elems), elems)
}

func appendCollectionN(n int, elems [][]byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(n))
	for _, e := range elems {
		out = appendBytes(out, e)
	}
	return out
}

func varintBytes(x *big.Int) []byte {
	switch x.Sign() {
	case 0:
		return []byte{0}
	case 1:
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Two's complement of a negative x: the complement of -x-1.
	t := new(big.Int).Neg(x)
	t.Sub(t, big.NewInt(1))
	b := t.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func varintFrom(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

// appendVInt writes Cassandra's signed vint (VIntCoding.writeVInt): zigzag,
// then the number of extra bytes as leading one bits of the first byte.
func appendVInt(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	lz := 0
	for x := u | 1; x&(1<<63) == 0; x <<= 1 {
		lz++
	}
	size := 9 - (lz-1)/7
	if size == 1 {
		return append(b, byte(u))
	}
	var buf [9]byte
	x := u
	for i := size - 1; i >= 0; i-- {
		buf[i] = byte(x)
		x >>= 8
	}
	buf[0] |= ^byte(0xff >> (size - 1))
	return append(b, buf[:size]...)
}

// readVInt reads a signed vint; it returns the rest of b.
func readVInt(b []byte) (int64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errors.New("not enough bytes to read a vint")
	}
	first := b[0]
	extra := 0
	for m := byte(0x80); m != 0 && first&m != 0; m >>= 1 {
		extra++
	}
	if len(b) < 1+extra {
		return 0, nil, errors.New("not enough bytes to read a vint")
	}
	var u uint64
	if extra < 8 {
		u = uint64(first & (0xff >> extra))
	}
	for i := 1; i <= extra; i++ {
		u = u<<8 | uint64(b[i])
	}
	return int64(u>>1) ^ -int64(u&1), b[1+extra:], nil
}

func checkDurationSigns(d Duration) error {
	// DurationSerializer / Duration constructor: all parts share a sign.
	if (d.Months < 0 || d.Days < 0 || d.Nanos < 0) && (d.Months > 0 || d.Days > 0 || d.Nanos > 0) {
		return fmt.Errorf("The duration months, days and nanoseconds must be all of the same sign (%d, %d, %d)", d.Months, d.Days, d.Nanos)
	}
	return nil
}

// Unmarshal decodes a serialized value of type t. nil bytes are null and
// yield nil; so do empty bytes for the types that accept the legacy
// "empty" value, except text, ascii and blob for which empty is "" / []byte{}.
// Set and map values come back sorted and without duplicates.
func Unmarshal(t Type, b []byte) (any, error) {
	if b == nil {
		return nil, nil
	}
	switch t.ID {
	case Ascii:
		for _, c := range b {
			if c > 127 {
				return nil, fmt.Errorf("Invalid byte for ascii: %d", c)
			}
		}
		return string(b), nil
	case Varchar:
		if !utf8.Valid(b) {
			return nil, errors.New("String didn't validate.")
		}
		return string(b), nil
	case Blob, Custom:
		return append([]byte{}, b...), nil
	}
	if len(b) == 0 {
		switch t.ID {
		case Smallint, Tinyint, DateID, TimeID, DurationID:
			// Types added after protocol v3 have no empty value.
		default:
			return nil, nil
		}
	}
	switch t.ID {
	case Boolean:
		if len(b) != 1 {
			return nil, fmt.Errorf("Expected 1 or 0 byte value (%d)", len(b))
		}
		return b[0] != 0, nil
	case Bigint, Counter:
		if len(b) != 8 {
			return nil, fmt.Errorf("Expected 8 or 0 byte long (%d)", len(b))
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case Int:
		if len(b) != 4 {
			return nil, fmt.Errorf("Expected 4 or 0 byte int (%d)", len(b))
		}
		return int32(binary.BigEndian.Uint32(b)), nil
	case Smallint:
		if len(b) != 2 {
			return nil, fmt.Errorf("Expected 2 bytes for a smallint (%d)", len(b))
		}
		return int16(binary.BigEndian.Uint16(b)), nil
	case Tinyint:
		if len(b) != 1 {
			return nil, fmt.Errorf("Expected 1 byte for a tinyint (%d)", len(b))
		}
		return int8(b[0]), nil
	case Float:
		if len(b) != 4 {
			return nil, fmt.Errorf("Expected 4 or 0 byte value for a float (%d)", len(b))
		}
		return math.Float32frombits(binary.BigEndian.Uint32(b)), nil
	case Double:
		if len(b) != 8 {
			return nil, fmt.Errorf("Expected 8 or 0 byte value for a double (%d)", len(b))
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case DecimalID:
		if len(b) < 5 {
			return nil, fmt.Errorf("Expected 0 or at least 4 bytes (%d)", len(b))
		}
		return Decimal{Scale: int32(binary.BigEndian.Uint32(b)), Unscaled: varintFrom(b[4:])}, nil
	case Varint:
		return varintFrom(b), nil
	case Timestamp:
		if len(b) != 8 {
			return nil, fmt.Errorf("Expected 8 or 0 byte long for date (%d)", len(b))
		}
		return time.UnixMilli(int64(binary.BigEndian.Uint64(b))).UTC(), nil
	case DateID:
		if len(b) != 4 {
			return nil, fmt.Errorf("Expected 4 byte long for date (%d)", len(b))
		}
		return Date(int32(binary.BigEndian.Uint32(b) ^ 0x80000000)), nil
	case TimeID:
		if len(b) != 8 {
			return nil, fmt.Errorf("Expected 8 byte long for time (%d)", len(b))
		}
		tv := Time(binary.BigEndian.Uint64(b))
		if tv < 0 || tv > maxTime {
			return nil, fmt.Errorf("Time value %d out of range [0, %d]", int64(tv), int64(maxTime))
		}
		return tv, nil
	case UUIDID, Timeuuid:
		if len(b) != 16 {
			if t.ID == Timeuuid {
				return nil, fmt.Errorf("TimeUUID should be 16 or 0 bytes (%d)", len(b))
			}
			return nil, fmt.Errorf("UUID should be 16 or 0 bytes (%d)", len(b))
		}
		var u UUID
		copy(u[:], b)
		if t.ID == Timeuuid && u.Version() != 1 {
			return nil, errors.New("Invalid version for TimeUUID type.")
		}
		return u, nil
	case Inet:
		a, ok := netip.AddrFromSlice(b)
		if !ok {
			return nil, fmt.Errorf("Expected 4 or 16 byte inetaddress; got %s", hex.EncodeToString(b))
		}
		return a, nil
	case DurationID:
		if len(b) < 3 {
			return nil, fmt.Errorf("Expected at least 3 bytes for a duration (%d)", len(b))
		}
		months, rest, err := readVInt(b)
		if err != nil {
			return nil, err
		}
		days, rest, err := readVInt(rest)
		if err != nil {
			return nil, err
		}
		nanos, rest, err := readVInt(rest)
		if err != nil {
			return nil, err
		}
		if len(rest) != 0 || months != int64(int32(months)) || days != int64(int32(days)) {
			return nil, errors.New("Invalid duration value")
		}
		d := Duration{Months: int32(months), Days: int32(days), Nanos: nanos}
		if err := checkDurationSigns(d); err != nil {
			return nil, err
		}
		return d, nil
	case List, Set:
		if len(t.Elems) != 1 {
			return nil, badType(t)
		}
		elems, err := readCollection(t, b, 1)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(elems))
		for i, e := range elems {
			if out[i], err = unmarshalElem(t, t.Elems[0], e); err != nil {
				return nil, err
			}
		}
		if t.ID == Set {
			out = sortValues(t.Elems[0], out)
		}
		return out, nil
	case Map:
		if len(t.Elems) != 2 {
			return nil, badType(t)
		}
		elems, err := readCollection(t, b, 2)
		if err != nil {
			return nil, err
		}
		out := make([]Pair, len(elems)/2)
		for i := range out {
			if out[i].Key, err = unmarshalElem(t, t.Elems[0], elems[2*i]); err != nil {
				return nil, err
			}
			if out[i].Value, err = unmarshalElem(t, t.Elems[1], elems[2*i+1]); err != nil {
				return nil, err
			}
		}
		return sortPairs(t.Elems[0], out), nil
	case Tuple:
		out := make([]any, len(t.Elems))
		rest := b
		for i := range t.Elems {
			if len(rest) == 0 {
				break // missing trailing elements are null
			}
			e, r, err := readBytes(rest)
			if err != nil {
				return nil, err
			}
			rest = r
			if out[i], err = Unmarshal(t.Elems[i], e); err != nil {
				return nil, err
			}
		}
		if len(rest) != 0 {
			return nil, fmt.Errorf("Invalid remaining data after end of tuple value")
		}
		return out, nil
	}
	return nil, badType(t)
}

func unmarshalElem(ct, et Type, b []byte) (any, error) {
	if b == nil {
		return nil, nullInCollection(ct)
	}
	v, err := Unmarshal(et, b)
	if err == nil && v == nil {
		return nil, fmt.Errorf("empty value inside collection (%s) is not supported", ct)
	}
	return v, err
}

// readBytes reads one [bytes]; a negative length is null (nil).
func readBytes(b []byte) ([]byte, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errors.New("Not enough bytes to read a value length")
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n < 0 {
		return nil, b, nil
	}
	if int64(n) > int64(len(b)) {
		return nil, nil, fmt.Errorf("Not enough bytes to read a value of length %d", n)
	}
	return b[:n:n], b[n:], nil
}

// readCollection reads [int] n then n*per [bytes].
func readCollection(t Type, b []byte, per int) ([][]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("Not enough bytes to read a %s size", t)
	}
	n := int32(binary.BigEndian.Uint32(b))
	if n < 0 {
		return nil, fmt.Errorf("Invalid negative size %d for %s", n, t)
	}
	b = b[4:]
	total := int64(n) * int64(per)
	// Each element takes at least 4 bytes; never trust n for allocation.
	if total > int64(len(b)/4) {
		return nil, fmt.Errorf("Not enough bytes to read a %s", t)
	}
	out := make([][]byte, 0, total)
	for range total {
		e, r, err := readBytes(b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		b = r
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("Unexpected extraneous bytes after %s value", t)
	}
	return out, nil
}

func sortValues(t Type, vs []any) []any {
	slices.SortStableFunc(vs, func(a, b any) int { return Compare(t, a, b) })
	return slices.CompactFunc(vs, func(a, b any) bool { return Compare(t, a, b) == 0 })
}

func sortPairs(kt Type, ps []Pair) []Pair {
	slices.SortStableFunc(ps, func(a, b Pair) int { return Compare(kt, a.Key, b.Key) })
	out := ps[:0]
	for i, p := range ps {
		if i+1 < len(ps) && Compare(kt, p.Key, ps[i+1].Key) == 0 {
			continue // the later entry wins
		}
		out = append(out, p)
	}
	return out
}

// Compare orders two values of type t the way Cassandra's comparator for t
// (org.apache.cassandra.db.marshal.*Type) orders their serialized forms;
// nil (null) sorts first. Values not in the canonical Go representation are
// normalized through Marshal/Unmarshal.
func Compare(t Type, a, b any) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	a, b = canonical(t, a), canonical(t, b)
	switch t.ID {
	case Ascii, Varchar:
		x, ok1 := a.(string)
		y, ok2 := b.(string)
		if ok1 && ok2 {
			return strings.Compare(x, y)
		}
	case Blob, Custom:
		x, ok1 := a.([]byte)
		y, ok2 := b.([]byte)
		if ok1 && ok2 {
			return bytes.Compare(x, y)
		}
	case Boolean:
		x, ok1 := a.(bool)
		y, ok2 := b.(bool)
		if ok1 && ok2 {
			return cmpBool(x, y)
		}
	case Bigint, Counter:
		x, ok1 := a.(int64)
		y, ok2 := b.(int64)
		if ok1 && ok2 {
			return cmp.Compare(x, y)
		}
	case Int:
		x, ok1 := a.(int32)
		y, ok2 := b.(int32)
		if ok1 && ok2 {
			return cmp.Compare(x, y)
		}
	case Smallint:
		x, ok1 := a.(int16)
		y, ok2 := b.(int16)
		if ok1 && ok2 {
			return cmp.Compare(x, y)
		}
	case Tinyint:
		x, ok1 := a.(int8)
		y, ok2 := b.(int8)
		if ok1 && ok2 {
			return cmp.Compare(x, y)
		}
	case Float:
		x, ok1 := a.(float32)
		y, ok2 := b.(float32)
		if ok1 && ok2 {
			return javaFloatCompare(x, y)
		}
	case Double:
		x, ok1 := a.(float64)
		y, ok2 := b.(float64)
		if ok1 && ok2 {
			return javaDoubleCompare(x, y)
		}
	case DecimalID:
		x, ok1 := a.(Decimal)
		y, ok2 := b.(Decimal)
		if ok1 && ok2 {
			return compareDecimal(x, y)
		}
	case Varint:
		x, ok1 := a.(*big.Int)
		y, ok2 := b.(*big.Int)
		if ok1 && ok2 {
			return x.Cmp(y)
		}
	case Timestamp:
		x, ok1 := a.(time.Time)
		y, ok2 := b.(time.Time)
		if ok1 && ok2 {
			return cmp.Compare(x.UnixMilli(), y.UnixMilli())
		}
	case DateID:
		x, ok1 := a.(Date)
		y, ok2 := b.(Date)
		if ok1 && ok2 {
			return cmp.Compare(x, y)
		}
	case TimeID:
		x, ok1 := a.(Time)
		y, ok2 := b.(Time)
		if ok1 && ok2 {
			return cmp.Compare(x, y)
		}
	case UUIDID:
		x, ok1 := a.(UUID)
		y, ok2 := b.(UUID)
		if ok1 && ok2 {
			return compareUUID(x, y)
		}
	case Timeuuid:
		x, ok1 := a.(UUID)
		y, ok2 := b.(UUID)
		if ok1 && ok2 {
			return compareTimeUUID(x, y)
		}
	case Inet:
		x, ok1 := a.(netip.Addr)
		y, ok2 := b.(netip.Addr)
		if ok1 && ok2 {
			// InetAddressType: unsigned bytes of the 4 or 16 byte form.
			return bytes.Compare(x.AsSlice(), y.AsSlice())
		}
	case DurationID:
		// DurationType has no meaningful order (it cannot be a clustering
		// column); its comparator is bytewise on the serialized form.
		x, ok1 := a.(Duration)
		y, ok2 := b.(Duration)
		if ok1 && ok2 {
			bx, _ := Marshal(t, x)
			by, _ := Marshal(t, y)
			return bytes.Compare(bx, by)
		}
	case List, Set:
		x, ok1 := a.([]any)
		y, ok2 := b.([]any)
		if ok1 && ok2 && len(t.Elems) == 1 {
			// CollectionType.compareListOrSet: element-wise, then size.
			for i := 0; i < len(x) && i < len(y); i++ {
				if c := Compare(t.Elems[0], x[i], y[i]); c != 0 {
					return c
				}
			}
			return cmp.Compare(len(x), len(y))
		}
	case Map:
		x, ok1 := a.([]Pair)
		y, ok2 := b.([]Pair)
		if ok1 && ok2 && len(t.Elems) == 2 {
			// MapType.compareMaps: key then value per entry, then size.
			for i := 0; i < len(x) && i < len(y); i++ {
				if c := Compare(t.Elems[0], x[i].Key, y[i].Key); c != 0 {
					return c
				}
				if c := Compare(t.Elems[1], x[i].Value, y[i].Value); c != 0 {
					return c
				}
			}
			return cmp.Compare(len(x), len(y))
		}
	case Tuple:
		x, ok1 := a.([]any)
		y, ok2 := b.([]any)
		if ok1 && ok2 {
			// TupleType: component-wise, a null component sorts first.
			for i := 0; i < len(t.Elems) && i < len(x) && i < len(y); i++ {
				if c := Compare(t.Elems[i], x[i], y[i]); c != 0 {
					return c
				}
			}
			return cmp.Compare(len(x), len(y))
		}
	}
	// Unusable values: fall back to a stable order on their text.
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// canonical converts convenient Go inputs (an int for an int column, a Go
// map for a map column...) to the canonical representation.
func canonical(t Type, v any) any {
	switch v.(type) {
	case string, []byte, bool, int64, int32, int16, int8, float32, float64,
		Decimal, *big.Int, time.Time, Date, Time, UUID, netip.Addr, Duration, []any, []Pair:
		return v
	}
	b, err := Marshal(t, v)
	if err != nil {
		return v
	}
	c, err := Unmarshal(t, b)
	if err != nil || c == nil {
		return v
	}
	return c
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// javaDoubleCompare is java.lang.Double.compare: -0.0 < 0.0 and NaN is
// greater than everything, including +Inf.
func javaDoubleCompare(a, b float64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	bits := func(f float64) int64 {
		if math.IsNaN(f) {
			return 0x7ff8000000000000
		}
		return int64(math.Float64bits(f))
	}
	return cmp.Compare(bits(a), bits(b))
}

func javaFloatCompare(a, b float32) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	bits := func(f float32) int32 {
		if math.IsNaN(float64(f)) {
			return 0x7fc00000
		}
		return int32(math.Float32bits(f))
	}
	return cmp.Compare(bits(a), bits(b))
}

// compareDecimal is BigDecimal.compareTo: numeric, so 1.0 == 1.00. It
// compares magnitudes by adjusted exponent first so a huge scale never
// forces a huge multiplication.
func compareDecimal(a, b Decimal) int {
	ua, ub := a.Unscaled, b.Unscaled
	if ua == nil {
		ua = new(big.Int)
	}
	if ub == nil {
		ub = new(big.Int)
	}
	if sa, sb := ua.Sign(), ub.Sign(); sa != sb {
		return cmp.Compare(sa, sb)
	} else if sa == 0 {
		return 0
	}
	da, db := decimalDigits(ua), decimalDigits(ub)
	adjA, adjB := int64(da)-int64(a.Scale), int64(db)-int64(b.Scale)
	var mag int
	if adjA != adjB {
		mag = cmp.Compare(adjA, adjB)
	} else {
		x, y := new(big.Int).Abs(ua), new(big.Int).Abs(ub)
		// Equal adjusted exponents: the scale gap equals the digit gap.
		if d := int64(a.Scale) - int64(b.Scale); d > 0 {
			y.Mul(y, new(big.Int).Exp(big.NewInt(10), big.NewInt(d), nil))
		} else if d < 0 {
			x.Mul(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(-d), nil))
		}
		mag = x.Cmp(y)
	}
	if ua.Sign() < 0 {
		return -mag
	}
	return mag
}

func decimalDigits(x *big.Int) int {
	s := x.String()
	if s[0] == '-' {
		return len(s) - 1
	}
	return len(s)
}

// compareUUID is UUIDType.compareCustom: version first; version 1 by
// timestamp; then the remaining bytes unsigned.
func compareUUID(a, b UUID) int {
	va, vb := a.Version(), b.Version()
	if va != vb {
		return cmp.Compare(va, vb)
	}
	if va == 1 {
		if c := cmp.Compare(a.timestamp(), b.timestamp()); c != 0 {
			return c
		}
		return bytes.Compare(a[8:], b[8:])
	}
	return bytes.Compare(a[:], b[:])
}

// compareTimeUUID is TimeUUIDType.compareCustom: timestamp, then the low 8
// bytes compared as signed bytes ("for compatibility").
func compareTimeUUID(a, b UUID) int {
	if c := cmp.Compare(a.timestamp(), b.timestamp()); c != 0 {
		return c
	}
	for i := 8; i < 16; i++ {
		if c := cmp.Compare(int8(a[i]), int8(b[i])); c != 0 {
			return c
		}
	}
	return 0
}

// Format renders v the way cqlsh displays a value of type t
// (cqlshlib/formatting.py): text bare at top level and quoted inside
// collections, uuids bare, timestamps as 2026-11-23 11:17:33.308000+0000,
// blobs as 0x..., nil as null. Booleans and floating point numbers are
// rendered as Cassandra itself renders them (true, 1.0, 1.0E10, NaN),
// which are valid CQL literals, rather than with cqlsh's True/5 digits.
func Format(t Type, v any) string {
	return format(t, v, false)
}

func format(t Type, v any, quote bool) string {
	if v == nil {
		return "null"
	}
	v = canonical(t, v)
	q := func(s string) string {
		if quote {
			return "'" + s + "'"
		}
		return s
	}
	switch t.ID {
	case Ascii, Varchar:
		if s, ok := v.(string); ok {
			return formatText(s, quote)
		}
	case Blob, Custom:
		if b, ok := v.([]byte); ok {
			return "0x" + hex.EncodeToString(b)
		}
	case Boolean:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b)
		}
	case Float:
		if f, ok := v.(float32); ok {
			return javaFloatString(float64(f), 32)
		}
	case Double:
		if f, ok := v.(float64); ok {
			return javaFloatString(f, 64)
		}
	case DecimalID:
		if d, ok := v.(Decimal); ok {
			return d.String()
		}
	case Timestamp:
		if tm, ok := v.(time.Time); ok {
			tm = tm.UTC()
			if tm.Year() < 1 || tm.Year() > 9999 {
				// cqlsh falls back to milliseconds (CASSANDRA-13185).
				return q(strconv.FormatInt(tm.UnixMilli(), 10))
			}
			return q(tm.Format("2006-01-02 15:04:05.000000-0700"))
		}
	case DateID:
		if d, ok := v.(Date); ok {
			return d.String()
		}
	case TimeID:
		if tv, ok := v.(Time); ok {
			return tv.String()
		}
	case UUIDID, Timeuuid:
		if u, ok := v.(UUID); ok {
			return u.String()
		}
	case Inet:
		if a, ok := v.(netip.Addr); ok {
			return q(a.String())
		}
	case DurationID:
		if d, ok := v.(Duration); ok {
			return d.String()
		}
	case List, Set, Tuple:
		if xs, ok := v.([]any); ok {
			open, closing := "[", "]"
			if t.ID == Set {
				open, closing = "{", "}"
			} else if t.ID == Tuple {
				open, closing = "(", ")"
			}
			parts := make([]string, len(xs))
			for i, x := range xs {
				et := Type{ID: Blob}
				if t.ID == Tuple && i < len(t.Elems) {
					et = t.Elems[i]
				} else if t.ID != Tuple && len(t.Elems) == 1 {
					et = t.Elems[0]
				}
				parts[i] = format(et, x, true)
			}
			return open + strings.Join(parts, ", ") + closing
		}
	case Map:
		if ps, ok := v.([]Pair); ok && len(t.Elems) == 2 {
			parts := make([]string, len(ps))
			for i, p := range ps {
				parts[i] = format(t.Elems[0], p.Key, true) + ": " + format(t.Elems[1], p.Value, true)
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
	}
	return fmt.Sprint(v)
}

// formatText is format_value_text: backslashes doubled, quotes doubled
// when quoted, control characters shown as Python's repr shows them.
func formatText(s string, quote bool) string {
	var sb strings.Builder
	if quote {
		sb.WriteByte('\'')
	}
	for _, r := range s {
		switch {
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\'' && quote:
			sb.WriteString("''")
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r < 0x20 || (r >= 0x7f && r <= 0xa0):
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	if quote {
		sb.WriteByte('\'')
	}
	return sb.String()
}

// javaFloatString renders f like Java's Float/Double.toString: plain with
// at least one decimal in [1e-3, 1e7), else d.dddE[-]n; the digits are the
// shortest that round-trip.
func javaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits) // e.g. 1.5E+10, 1E-05
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// String renders d like java.math.BigDecimal.toString (and Python's
// Decimal, which cqlsh prints): plain unless the scale is negative or the
// adjusted exponent is below -6.
func (d Decimal) String() string {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	coeff := new(big.Int).Abs(u).String()
	sign := ""
	if u.Sign() < 0 {
		sign = "-"
	}
	scale := int64(d.Scale)
	adjusted := -scale + int64(len(coeff)-1)
	if scale >= 0 && adjusted >= -6 {
		switch {
		case scale == 0:
			return sign + coeff
		case int64(len(coeff)) > scale:
			return sign + coeff[:int64(len(coeff))-scale] + "." + coeff[int64(len(coeff))-scale:]
		default:
			return sign + "0." + strings.Repeat("0", int(scale-int64(len(coeff)))) + coeff
		}
	}
	s := sign + coeff[:1]
	if len(coeff) > 1 {
		s += "." + coeff[1:]
	}
	if adjusted >= 0 {
		return s + "E+" + strconv.FormatInt(adjusted, 10)
	}
	return s + "E" + strconv.FormatInt(adjusted, 10)
}

// String renders d as the Python driver's Date does: yyyy-mm-dd, or the
// raw day count outside years 1..9999.
func (d Date) String() string {
	tm := time.Unix(int64(d)*86400, 0).UTC()
	if tm.Year() < 1 || tm.Year() > 9999 {
		return strconv.FormatInt(int64(d), 10)
	}
	return fmt.Sprintf("%04d-%02d-%02d", tm.Year(), int(tm.Month()), tm.Day())
}

// String renders t as HH:MM:SS.nnnnnnnnn.
func (t Time) String() string {
	n := int64(t)
	return fmt.Sprintf("%02d:%02d:%02d.%09d", n/3600e9, n/60e9%60, n/1e9%60, n%1e9)
}

// String renders d as cqlsh's duration_as_str does, e.g. 1y2mo3d4h5m6s.
func (d Duration) String() string {
	var sb strings.Builder
	if d.Months < 0 || d.Days < 0 || d.Nanos < 0 {
		sb.WriteByte('-')
	}
	abs := func(x int64) uint64 {
		if x < 0 {
			return uint64(-x)
		}
		return uint64(x)
	}
	app := func(v, div uint64, unit string) uint64 {
		if v == 0 || v < div {
			return v
		}
		sb.WriteString(strconv.FormatUint(v/div, 10))
		sb.WriteString(unit)
		return v % div
	}
	rem := app(abs(int64(d.Months)), 12, "y")
	app(rem, 1, "mo")
	app(abs(int64(d.Days)), 1, "d")
	if d.Nanos != 0 {
		rem = app(abs(d.Nanos), 3600e9, "h")
		rem = app(rem, 60e9, "m")
		rem = app(rem, 1e9, "s")
		rem = app(rem, 1e6, "ms")
		rem = app(rem, 1e3, "us")
		app(rem, 1, "ns")
	}
	return sb.String()
}

// ParseUUID parses the canonical 8-4-4-4-12 hex form (any case), the only
// form the CQL grammar accepts as a uuid literal.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("invalid UUID %q", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return UUID{}, fmt.Errorf("invalid UUID %q", s)
	}
	return u, nil
}

// String returns the lower-case 8-4-4-4-12 form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// Version returns the UUID version (the high nibble of byte 6).
func (u UUID) Version() int { return int(u[6] >> 4) }

// timestamp is the 60-bit version 1 timestamp (100ns since 1582-10-15).
func (u UUID) timestamp() int64 {
	hi := int64(binary.BigEndian.Uint16(u[6:8]) & 0x0fff)
	mid := int64(binary.BigEndian.Uint16(u[4:6]))
	low := int64(binary.BigEndian.Uint32(u[0:4]))
	return hi<<48 | mid<<32 | low
}

// 100ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
const uuidEpochOffset = 0x01B21DD213814000

// NewTimeUUID returns a version 1 UUID for t (100ns precision) with a
// random clock sequence and a random multicast node, per RFC 4122 4.5.
func NewTimeUUID(t time.Time) UUID {
	var u UUID
	ts := uint64(t.Unix())*1e7 + uint64(t.Nanosecond()/100) + uuidEpochOffset
	binary.BigEndian.PutUint32(u[0:4], uint32(ts))
	binary.BigEndian.PutUint16(u[4:6], uint16(ts>>32))
	binary.BigEndian.PutUint16(u[6:8], uint16(ts>>48)&0x0fff|0x1000)
	_, _ = rand.Read(u[8:])
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	u[10] |= 0x01           // multicast bit: a random, not a MAC, node
	return u
}

// UUIDTime returns the time of a version 1 UUID (zero time otherwise).
func UUIDTime(u UUID) time.Time {
	if u.Version() != 1 {
		return time.Time{}
	}
	ts := u.timestamp() - uuidEpochOffset
	return time.Unix(ts/1e7, ts%1e7*100).UTC()
}

// RandomUUID returns a random version 4 UUID.
func RandomUUID() UUID {
	var u UUID
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}
