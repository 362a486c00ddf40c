package cqltype

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func mustParse(t testing.TB, s string) Type {
	t.Helper()
	ty, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

func mustUUID(t testing.TB, s string) UUID {
	t.Helper()
	u, err := ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMarshalKnownEncodings(t *testing.T) {
	ts := time.Date(2026, 11, 23, 11, 17, 33, 308e6, time.UTC)
	cases := []struct {
		typ  string
		v    any
		want string // hex
	}{
		{"ascii", "ab", "6162"},
		{"text", "é", "c3a9"},
		{"blob", []byte{1, 2}, "0102"},
		{"boolean", true, "01"},
		{"boolean", false, "00"},
		{"bigint", int64(-2), "fffffffffffffffe"},
		{"counter", 7, "0000000000000007"},
		{"int", 258, "00000102"},
		{"smallint", int16(-1), "ffff"},
		{"tinyint", uint8(127), "7f"},
		{"float", float32(1), "3f800000"},
		{"double", 1.0, "3ff0000000000000"},
		// varint examples from native_protocol_v4.spec section 6.23.
		{"varint", 0, "00"},
		{"varint", 1, "01"},
		{"varint", 127, "7f"},
		{"varint", 128, "0080"},
		{"varint", 129, "0081"},
		{"varint", -1, "ff"},
		{"varint", -128, "80"},
		{"varint", -129, "ff7f"},
		{"decimal", Decimal{Unscaled: big.NewInt(150), Scale: 2}, "000000020096"},
		{"timestamp", ts, "000001a2082021fc"},
		// Spec 6.5: the epoch is at 2^31.
		{"date", Date(0), "80000000"},
		{"date", Date(-1), "7fffffff"},
		{"time", Time(1), "0000000000000001"},
		{"uuid", mustUUID(t, "01234567-89ab-cdef-0123-456789abcdef"), "0123456789abcdef0123456789abcdef"},
		{"inet", netip.MustParseAddr("127.0.0.1"), "7f000001"},
		{"inet", net.ParseIP("10.0.0.1"), "0a000001"},
		{"inet", netip.MustParseAddr("::1"), "00000000000000000000000000000001"},
		{"duration", Duration{Months: 1, Days: 2, Nanos: 3}, "020406"},
		{"duration", Duration{Months: -1}, "010000"},
		{"list<int>", []any{int32(1), int32(2)}, "00000002" + "00000004" + "00000001" + "00000004" + "00000002"},
		{"list<int>", []int{3}, "00000001" + "00000004" + "00000003"},
		// Sets are written sorted and unique.
		{"set<text>", []any{"b", "a", "b"}, "00000002" + "00000001" + "61" + "00000001" + "62"},
		{"map<text, int>", map[string]int{"b": 2, "a": 1}, "00000002" + "0000000161" + "0000000400000001" + "0000000162" + "0000000400000002"},
		{"tuple<int, text>", []any{int32(1), nil}, "0000000400000001" + "ffffffff"},
	}
	for _, c := range cases {
		ty := mustParse(t, c.typ)
		got, err := Marshal(ty, c.v)
		if err != nil {
			t.Errorf("Marshal(%s, %v): %v", c.typ, c.v, err)
			continue
		}
		if hex.EncodeToString(got) != c.want {
			t.Errorf("Marshal(%s, %v) = %x, want %s", c.typ, c.v, got, c.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tu := NewTimeUUID(time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC))
	big1, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	cases := []struct {
		typ string
		v   any
	}{
		{"ascii", ""},
		{"text", "héllo"},
		{"blob", []byte{}},
		{"blob", []byte{0, 255}},
		{"boolean", true},
		{"bigint", int64(math.MinInt64)},
		{"counter", int64(42)},
		{"int", int32(math.MaxInt32)},
		{"smallint", int16(math.MinInt16)},
		{"tinyint", int8(-5)},
		{"float", float32(-1.5)},
		{"double", math.Inf(-1)},
		{"decimal", Decimal{Unscaled: big1, Scale: -7}},
		{"varint", big1},
		{"timestamp", time.UnixMilli(-1).UTC()},
		{"date", Date(math.MinInt32)},
		{"date", Date(math.MaxInt32)},
		{"time", Time(86399999999999)},
		{"uuid", RandomUUID()},
		{"timeuuid", tu},
		{"inet", netip.MustParseAddr("2001:db8::1")},
		{"duration", Duration{Months: 14, Days: 3, Nanos: 3_600_000_000_123}},
		{"duration", Duration{Months: math.MinInt32, Days: math.MinInt32, Nanos: math.MinInt64}},
		{"list<frozen<set<int>>>", []any{[]any{int32(1)}, []any{}}},
		{"map<uuid, blob>", []Pair{{Key: mustUUID(t, "00000000-0000-0000-0000-000000000001"), Value: []byte{1}}}},
		{"frozen<tuple<int, text, boolean>>", []any{int32(1), "x", nil}},
		{"set<timeuuid>", []any{tu}},
	}
	for _, c := range cases {
		ty := mustParse(t, c.typ)
		b, err := Marshal(ty, c.v)
		if err != nil {
			t.Fatalf("Marshal(%s, %v): %v", c.typ, c.v, err)
		}
		got, err := Unmarshal(ty, b)
		if err != nil {
			t.Fatalf("Unmarshal(%s, %x): %v", c.typ, b, err)
		}
		if Compare(ty, got, c.v) != 0 || !reflect.DeepEqual(normalizeBig(got), normalizeBig(c.v)) {
			t.Errorf("%s: round trip %#v -> %#v", c.typ, c.v, got)
		}
	}
}

// normalizeBig makes *big.Int values comparable with DeepEqual.
func normalizeBig(v any) any {
	switch x := v.(type) {
	case *big.Int:
		return x.String()
	case Decimal:
		return x.String()
	}
	return v
}

func TestMarshalErrors(t *testing.T) {
	cases := []struct {
		typ string
		v   any
	}{
		{"int", int64(math.MaxInt32 + 1)},
		{"int", uint32(math.MaxUint32)},
		{"tinyint", 128},
		{"smallint", -32769},
		{"bigint", uint64(math.MaxUint64)},
		{"int", "1"},
		{"ascii", "é"},
		{"text", string([]byte{0xff})},
		{"timeuuid", RandomUUID()},
		{"time", Time(-1)},
		{"duration", Duration{Months: 1, Days: -1}},
		{"list<int>", []any{nil}},
		{"map<int, int>", []Pair{{Key: 1, Value: nil}}},
		{"tuple<int>", []any{1, 2}},
		{"float", 1.0},
	}
	for _, c := range cases {
		if b, err := Marshal(mustParse(t, c.typ), c.v); err == nil {
			t.Errorf("Marshal(%s, %#v) = %x, want error", c.typ, c.v, b)
		}
	}
}

func TestUnmarshalEdges(t *testing.T) {
	if v, err := Unmarshal(IntT, nil); v != nil || err != nil {
		t.Errorf("null int: %v %v", v, err)
	}
	// Empty is the legacy "empty value" for old types, an error for new ones.
	if v, err := Unmarshal(IntT, []byte{}); v != nil || err != nil {
		t.Errorf("empty int: %v %v", v, err)
	}
	if _, err := Unmarshal(Simple(Smallint), []byte{}); err == nil {
		t.Error("empty smallint accepted")
	}
	if v, _ := Unmarshal(TextT, []byte{}); v != "" {
		t.Errorf("empty text = %#v", v)
	}
	bad := []struct {
		typ string
		hex string
	}{
		{"int", "000001"},
		{"boolean", "0101"},
		{"timeuuid", "0123456789ab4def0123456789abcdef"},
		{"uuid", "0102"},
		{"inet", "010203"},
		{"list<int>", "00000001"},
		{"list<int>", "7fffffff00000004"},
		{"list<int>", "00000001ffffffff"},
		{"list<int>", "000000010000000400000001ff"},
		{"map<int, int>", "000000010000000400000001"},
		{"ascii", "80"},
		{"text", "ff"},
		{"decimal", "00000001"},
		{"time", "ffffffffffffffff"},
		{"duration", "0201"},
		{"tuple<int>", "0000000400000001ff"},
	}
	for _, c := range bad {
		b, _ := hex.DecodeString(c.hex)
		if v, err := Unmarshal(mustParse(t, c.typ), b); err == nil {
			t.Errorf("Unmarshal(%s, %s) = %#v, want error", c.typ, c.hex, v)
		}
	}
	// Sets and maps come back sorted and unique.
	st := mustParse(t, "set<int>")
	b := appendCollection([][]byte{{0, 0, 0, 2}, {0, 0, 0, 1}, {0, 0, 0, 2}})
	v, err := Unmarshal(st, b)
	if err != nil || !reflect.DeepEqual(v, []any{int32(1), int32(2)}) {
		t.Errorf("set = %#v, %v", v, err)
	}
	// A short tuple has null trailing elements.
	v, err = Unmarshal(mustParse(t, "tuple<int, int>"), []byte{0, 0, 0, 4, 0, 0, 0, 9})
	if err != nil || !reflect.DeepEqual(v, []any{int32(9), nil}) {
		t.Errorf("tuple = %#v, %v", v, err)
	}
}

// TestAgainstGocql cross-checks encodings with the gocql driver.
func TestAgainstGocql(t *testing.T) {
	durT := gocql.NewNativeType(4, gocql.TypeDuration, "")
	for _, d := range []Duration{{1, 2, 3}, {0, 0, 3_600_000_000_000}, {-14, -3, -1}, {math.MaxInt32, math.MaxInt32, math.MaxInt64}} {
		ours, err := Marshal(Simple(DurationID), d)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := gocql.Marshal(durT, gocql.Duration{Months: d.Months, Days: d.Days, Nanoseconds: d.Nanos})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("duration %v: ours %x, gocql %x", d, ours, theirs)
		}
	}
	vT := gocql.NewNativeType(4, gocql.TypeVarint, "")
	for _, s := range []string{"0", "1", "-1", "255", "-256", "32768", "-32769", "123456789012345678901234567890", "-98765432109876543210"} {
		n, _ := new(big.Int).SetString(s, 10)
		ours, _ := Marshal(Simple(Varint), n)
		theirs, err := gocql.Marshal(vT, n)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("varint %s: ours %x, gocql %x", s, ours, theirs)
		}
	}
	tuT := gocql.NewNativeType(4, gocql.TypeTimeUUID, "")
	now := time.Now()
	var gu gocql.UUID
	if err := gocql.Unmarshal(tuT, func() []byte { u := NewTimeUUID(now); return u[:] }(), &gu); err != nil {
		t.Fatal(err)
	}
	if d := gu.Time().Sub(now); d > time.Microsecond || d < -time.Microsecond {
		t.Errorf("gocql reads our timeuuid time as %v, want %v", gu.Time(), now)
	}
}

func TestCompare(t *testing.T) {
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	early, late := NewTimeUUID(t0), NewTimeUUID(t0.Add(time.Microsecond))
	// Make the early one have the greater node bytes: time must win.
	early[15], late[15] = 0xff, 0x00
	v4 := RandomUUID()
	lt := func(typ string, a, b any) {
		t.Helper()
		ty := mustParse(t, typ)
		if c := Compare(ty, a, b); c >= 0 {
			t.Errorf("Compare(%s, %v, %v) = %d, want < 0", typ, a, b, c)
		}
		if c := Compare(ty, b, a); c <= 0 {
			t.Errorf("Compare(%s, %v, %v) = %d, want > 0", typ, b, a, c)
		}
	}
	eq := func(typ string, a, b any) {
		t.Helper()
		if c := Compare(mustParse(t, typ), a, b); c != 0 {
			t.Errorf("Compare(%s, %v, %v) = %d, want 0", typ, a, b, c)
		}
	}
	lt("int", nil, int32(math.MinInt32))
	eq("int", nil, nil)
	lt("int", int32(-1), int32(1))
	lt("int", -1, int64(1)) // convenient inputs are normalized
	lt("bigint", int64(-5), int64(3))
	lt("boolean", false, true)
	lt("text", "B", "a")
	lt("text", "a", "ab")
	lt("text", "z", "é") // bytewise UTF-8
	lt("blob", []byte{0x01}, []byte{0x80})
	lt("double", math.Inf(1), math.NaN())
	lt("double", math.Copysign(0, -1), 0.0)
	lt("float", float32(-1), float32(0.5))
	eq("decimal", Decimal{big.NewInt(10), 1}, Decimal{big.NewInt(100), 2})
	lt("decimal", Decimal{big.NewInt(-2), 0}, Decimal{big.NewInt(1), 400})
	lt("decimal", Decimal{big.NewInt(1), 2147483647}, Decimal{big.NewInt(1), 0})
	lt("decimal", Decimal{big.NewInt(-1), 0}, Decimal{big.NewInt(-1), 5})
	lt("varint", big.NewInt(-1000), big.NewInt(7))
	lt("timestamp", time.UnixMilli(-10), time.UnixMilli(3))
	lt("date", Date(-3), Date(2))
	lt("timeuuid", early, late)
	lt("uuid", early, late)
	// UUIDType orders by version first.
	lt("uuid", late, v4)
	// TimeUUIDType compares the low bytes as signed bytes, UUIDType unsigned.
	a, b := early, early
	a[8], b[8] = 0x80|0x01, 0x80|0x3f
	lt("timeuuid", a, b)
	a[9], b[9] = 0x7f, 0x80
	a[8], b[8] = 0x81, 0x81
	lt("timeuuid", b, a) // 0x80 is -128 signed
	lt("uuid", a, b)
	lt("inet", netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"))
	lt("frozen<list<int>>", []any{int32(1)}, []any{int32(1), int32(0)})
	lt("frozen<list<int>>", []any{int32(1), int32(5)}, []any{int32(2)})
	lt("frozen<map<int, text>>", []Pair{{int32(1), "a"}}, []Pair{{int32(1), "b"}})
	lt("frozen<tuple<int, text>>", []any{int32(1), nil}, []any{int32(1), "a"})
	lt("frozen<set<int>>", []int{2, 1}, []int{3})
}

func TestFormat(t *testing.T) {
	ts := time.Date(2026, 11, 23, 11, 17, 33, 308e6, time.UTC)
	cases := []struct {
		typ  string
		v    any
		want string
	}{
		{"text", nil, "null"},
		{"text", "it's", "it's"},
		{"text", `a\b` + "\n", `a\\b\n`},
		{"list<text>", []any{"it's", "b"}, "['it''s', 'b']"},
		{"uuid", mustUUID(t, "0123ABCD-89ab-cdef-0123-456789abcdef"), "0123abcd-89ab-cdef-0123-456789abcdef"},
		{"set<uuid>", []any{mustUUID(t, "00000000-0000-0000-0000-000000000001")}, "{00000000-0000-0000-0000-000000000001}"},
		{"timestamp", ts, "2026-11-23 11:17:33.308000+0000"},
		{"map<text, timestamp>", []Pair{{"k", ts}}, "{'k': '2026-11-23 11:17:33.308000+0000'}"},
		{"blob", []byte{0xca, 0xfe}, "0xcafe"},
		{"boolean", true, "true"},
		{"int", int32(-3), "-3"},
		{"double", 3.141592653589793, "3.141592653589793"},
		{"double", 0.5, "0.5"},
		{"double", 100.0, "100.0"},
		{"double", 1e7, "1.0E7"},
		{"double", 1.5e-4, "1.5E-4"},
		{"double", -12345678.9, "-1.23456789E7"},
		{"double", math.Copysign(0, -1), "-0.0"},
		{"float", float32(1.1), "1.1"},
		{"float", float32(3e10), "3.0E10"},
		{"double", math.NaN(), "NaN"},
		{"double", math.Inf(-1), "-Infinity"},
		{"decimal", Decimal{big.NewInt(150), 2}, "1.50"},
		{"decimal", Decimal{big.NewInt(1), -3}, "1E+3"},
		{"decimal", Decimal{big.NewInt(-15), 9}, "-1.5E-8"},
		{"decimal", Decimal{big.NewInt(5), 7}, "5E-7"},
		{"decimal", Decimal{big.NewInt(5), 6}, "0.000005"},
		{"varint", big.NewInt(-12), "-12"},
		{"date", Date(0), "1970-01-01"},
		{"date", Date(-1000000000), "-1000000000"},
		{"time", Time(3723_000000007), "01:02:03.000000007"},
		{"duration", Duration{Months: 14, Days: 3, Nanos: 3_723_004_005_006}, "1y2mo3d1h2m3s4ms5us6ns"},
		{"duration", Duration{Days: -1}, "-1d"},
		{"inet", netip.MustParseAddr("127.0.0.1"), "127.0.0.1"},
		{"list<inet>", []any{netip.MustParseAddr("::1")}, "['::1']"},
		{"tuple<int, text>", []any{int32(1), "x"}, "(1, 'x')"},
		{"map<int, boolean>", []Pair{{int32(1), false}}, "{1: false}"},
	}
	for _, c := range cases {
		if got := Format(mustParse(t, c.typ), c.v); got != c.want {
			t.Errorf("Format(%s, %#v) = %q, want %q", c.typ, c.v, got, c.want)
		}
	}
}

func TestUUID(t *testing.T) {
	s := "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	u := mustUUID(t, s)
	if u.String() != s || u.Version() != 1 {
		t.Errorf("%v version %d", u, u.Version())
	}
	for _, bad := range []string{"", "6ba7b8109dad11d180b400c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430cg", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) succeeded", bad)
		}
	}
	// RFC 4122 test vector time of 6ba7b810-9dad-11d1: 1998-02-04 22:13:53.151182.
	if got, want := UUIDTime(u), time.Date(1998, 2, 4, 22, 13, 53, 151182400, time.UTC); !got.Equal(want) {
		t.Errorf("UUIDTime = %v, want %v", got, want)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	tu := NewTimeUUID(now)
	if tu.Version() != 1 || tu[8]&0xc0 != 0x80 {
		t.Errorf("NewTimeUUID = %v", tu)
	}
	if got := UUIDTime(tu); !got.Equal(now.Truncate(100 * time.Nanosecond)) {
		t.Errorf("UUIDTime(NewTimeUUID) = %v", got)
	}
	r := RandomUUID()
	if r.Version() != 4 || r[8]&0xc0 != 0x80 || r == RandomUUID() {
		t.Errorf("RandomUUID = %v", r)
	}
	if !UUIDTime(r).IsZero() {
		t.Error("UUIDTime of a v4 uuid is not zero")
	}
}

var fuzzTypes = []string{
	"ascii", "text", "blob", "boolean", "bigint", "counter", "int", "smallint", "tinyint",
	"float", "double", "decimal", "varint", "timestamp", "date", "time", "uuid", "timeuuid",
	"inet", "duration", "list<int>", "set<text>", "map<text, frozen<list<bigint>>>",
	"frozen<tuple<int, text, set<uuid>>>", "map<timeuuid, decimal>", "set<frozen<map<int, varint>>>",
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(uint8(0), []byte("abc"))
	f.Add(uint8(11), []byte{0, 0, 0, 2, 0x96})
	f.Add(uint8(19), []byte{2, 4, 6})
	f.Add(uint8(20), []byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1})
	f.Add(uint8(22), []byte{0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0, 4, 0, 0, 0, 0})
	f.Add(uint8(23), []byte{0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		ty := mustParse(t, fuzzTypes[int(which)%len(fuzzTypes)])
		v, err := Unmarshal(ty, data)
		if err != nil || v == nil {
			return
		}
		b, err := Marshal(ty, v)
		if err != nil {
			t.Fatalf("%s: Marshal(Unmarshal(%x)) = %v", ty, data, err)
		}
		v2, err := Unmarshal(ty, b)
		if err != nil {
			t.Fatalf("%s: re-Unmarshal(%x): %v", ty, b, err)
		}
		if Compare(ty, v, v2) != 0 {
			t.Fatalf("%s: %#v != %#v", ty, v, v2)
		}
		b2, _ := Marshal(ty, v2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("%s: encoding not stable: %x vs %x", ty, b, b2)
		}
		_ = Format(ty, v)
		if slices.Contains([]ID{Set}, ty.ID) {
			xs := v.([]any)
			for i := 1; i < len(xs); i++ {
				if Compare(ty.Elems[0], xs[i-1], xs[i]) >= 0 {
					t.Fatalf("set not sorted: %#v", xs)
				}
			}
		}
	})
}
