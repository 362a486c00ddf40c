package cql

import (
	"errors"
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
)

// parseTerm parses a term as the value of an INSERT.
func parseTerm(t *testing.T, s string) *Term {
	t.Helper()
	st, err := Parse("INSERT INTO t (k) VALUES (" + s + ")")
	if err != nil {
		t.Fatalf("term %s: %v", s, err)
	}
	return &st.(*Insert).Values[0]
}

type testBinder []any

func (b testBinder) Bind(i int, _ string, _ cqltype.Type) (any, error) {
	if i >= len(b) {
		return nil, errors.New("no such marker")
	}
	return b[i], nil
}

func mustUUID(s string) cqltype.UUID {
	u, ok := parseUUID(s)
	if !ok {
		panic(s)
	}
	return u
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEval(t *testing.T) {
	v1 := "d2177dd0-eaa2-11de-a572-001b779c76e3"
	v4 := "550e8400-e29b-41d4-a716-446655440000"
	tests := []struct {
		term, typ string
		want      any
	}{
		{"'abc'", "text", "abc"},
		{"'it''s'", "varchar", "it's"},
		{"$$x$$", "ascii", "x"},
		{"null", "int", nil},
		{"1", "int", int32(1)},
		{"-2147483648", "int", int32(math.MinInt32)},
		{"9223372036854775807", "bigint", int64(math.MaxInt64)},
		{"-5", "counter", int64(-5)},
		{"32767", "smallint", int16(32767)},
		{"-128", "tinyint", int8(-128)},
		{"0x05", "tinyint", int8(5)},
		{"123456789012345678901234567890", "varint", func() *big.Int { v, _ := new(big.Int).SetString("123456789012345678901234567890", 10); return v }()},
		{"1.50", "decimal", cqltype.Decimal{Unscaled: big.NewInt(150), Scale: 2}},
		{"-1e3", "decimal", cqltype.Decimal{Unscaled: big.NewInt(-1), Scale: -3}},
		{"7", "decimal", cqltype.Decimal{Unscaled: big.NewInt(7), Scale: 0}},
		{"1.5", "double", 1.5},
		{"2", "double", 2.0},
		{"-1e400", "double", math.Inf(-1)},
		{"Infinity", "double", math.Inf(1)},
		{"-Infinity", "float", float32(math.Inf(-1))},
		{"0.25", "float", float32(0.25)},
		{"true", "boolean", true},
		{"FALSE", "boolean", false},
		{"0xCAFE", "blob", []byte{0xca, 0xfe}},
		{"0x", "blob", []byte{}},
		{"'2020-01-02 03:04:05'", "timestamp", utc("2020-01-02 03:04:05.000")},
		{"'2020-01-02T03:04:05.123Z'", "timestamp", utc("2020-01-02 03:04:05.123")},
		{"'2020-01-02 03:04:05.5'", "timestamp", utc("2020-01-02 03:04:05.005")},
		{"'2020-01-02 03:04+0200'", "timestamp", utc("2020-01-02 01:04:00.000")},
		{"'2020-01-02 03:04:05 +0200'", "timestamp", utc("2020-01-02 01:04:05.000")},
		{"'2020-01-02T03:04:05-05:30'", "timestamp", utc("2020-01-02 08:34:05.000")},
		{"'2020-01-02 03:04 GMT+01:00'", "timestamp", utc("2020-01-02 02:04:00.000")},
		{"'2020-01-02 UTC'", "timestamp", utc("2020-01-02 00:00:00.000")},
		{"'2020-01-02'", "timestamp", utc("2020-01-02 00:00:00.000")},
		{"1577934245000", "timestamp", utc("2020-01-02 03:04:05.000")},
		{"'-1000'", "timestamp", utc("1969-12-31 23:59:59.000")},
		{"'2020-01-02'", "date", cqltype.Date(18263)},
		{"'1969-12-31'", "date", cqltype.Date(-1)},
		{"2147483648", "date", cqltype.Date(0)},
		{"'08:12:54.123456789'", "time", cqltype.Time(8*time.Hour + 12*time.Minute + 54*time.Second + 123456789)},
		{"'23:59:59'", "time", cqltype.Time(24*time.Hour - time.Second)},
		{"'01:02:03.5'", "time", cqltype.Time(time.Hour + 2*time.Minute + 3*time.Second + 500*time.Millisecond)},
		{"100", "time", cqltype.Time(100)},
		{v4, "uuid", mustUUID(v4)},
		{v1, "uuid", mustUUID(v1)},
		{v1, "timeuuid", mustUUID(v1)},
		{"'127.0.0.1'", "inet", netip.MustParseAddr("127.0.0.1")},
		{"'::1'", "inet", netip.MustParseAddr("::1")},
		{"'::ffff:10.0.0.1'", "inet", netip.MustParseAddr("10.0.0.1")},
		{"'localhost'", "inet", netip.MustParseAddr("127.0.0.1")},
		{"1h30m", "duration", cqltype.Duration{Nanos: int64(90 * time.Minute)}},
		{"1y2mo3w4d5h6m7s8ms9us10ns", "duration", cqltype.Duration{Months: 14, Days: 25,
			Nanos: int64(5*time.Hour + 6*time.Minute + 7*time.Second + 8*time.Millisecond + 9*time.Microsecond + 10)}},
		{"-2d", "duration", cqltype.Duration{Days: -2}},
		{"P1Y2M3DT4H5M6S", "duration", cqltype.Duration{Months: 14, Days: 3, Nanos: int64(4*time.Hour + 5*time.Minute + 6*time.Second)}},
		{"P2W", "duration", cqltype.Duration{Days: 14}},
		{"PT30M", "duration", cqltype.Duration{Nanos: int64(30 * time.Minute)}},
		{"-P0001-02-03T04:05:06", "duration", cqltype.Duration{Months: -14, Days: -3, Nanos: -int64(4*time.Hour + 5*time.Minute + 6*time.Second)}},
		// Collections.
		{"[1, 2, 1]", "list<int>", []any{int32(1), int32(2), int32(1)}},
		{"[]", "list<text>", []any{}},
		{"{3, 1, 2, 1}", "set<int>", []any{int32(1), int32(2), int32(3)}},
		{"{'b', 'a'}", "frozen<set<text>>", []any{"a", "b"}},
		{"{}", "set<int>", []any{}},
		{"{}", "map<int, int>", []cqltype.Pair{}},
		{"{'b': 2, 'a': 1, 'b': 3}", "map<text, int>", []cqltype.Pair{{Key: "a", Value: int32(1)}, {Key: "b", Value: int32(3)}}},
		{"[{1: [2]}]", "list<frozen<map<int, frozen<list<bigint>>>>>",
			[]any{[]cqltype.Pair{{Key: int32(1), Value: []any{int64(2)}}}}},
		{"(1, 'a')", "tuple<int, text>", []any{int32(1), "a"}},
		{"(1)", "tuple<int, text>", []any{int32(1), nil}},
		{"(1, null, ?)", "tuple<int, text, bigint>", []any{int32(1), nil, int64(42)}},
		{"{d2177dd0-eaa2-11de-a572-001b779c76e3, 550e8400-e29b-41d4-a716-446655440000}", "set<uuid>",
			[]any{mustUUID(v1), mustUUID(v4)}},
		// Bind markers and casts.
		{"?", "int", int64(42)},
		{"(bigint) ?", "bigint", int64(42)},
		// Functions.
		{"minTimeuuid('2013-01-01 00:05+0000')", "timeuuid", minTimeUUID(utc("2013-01-01 00:05:00.000").UnixMilli())},
		{"maxTimeuuid('2013-01-01 00:05+0000')", "timeuuid", maxTimeUUID(utc("2013-01-01 00:05:00.000").UnixMilli())},
		{"toTimestamp(" + v1 + ")", "timestamp", millisTime(uuidUnixMillis(mustUUID(v1)))},
		{"dateOf(" + v1 + ")", "timestamp", millisTime(uuidUnixMillis(mustUUID(v1)))},
		{"toUnixTimestamp(" + v1 + ")", "bigint", uuidUnixMillis(mustUUID(v1))},
		{"unixTimestampOf(" + v1 + ")", "bigint", uuidUnixMillis(mustUUID(v1))},
		{"toDate('2020-01-02 23:00')", "date", cqltype.Date(18263)},
		{"toTimestamp(toDate('2020-01-02 23:00'))", "timestamp", utc("2020-01-02 00:00:00.000")},
		{"toUnixTimestamp((timestamp) '2020-01-02 00:00:01')", "bigint", int64(1577923201000)},
		{"blobAsText(0x616263)", "text", "abc"},
		{"textAsBlob('abc')", "blob", []byte("abc")},
		{"intAsBlob(1)", "blob", []byte{0, 0, 0, 1}},
		{"blobAsInt(0x00000102)", "int", int32(258)},
		{"bigintAsBlob(-1)", "blob", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"varintAsBlob(-129)", "blob", []byte{0xff, 0x7f}},
		{"blobAsVarint(0xff7f)", "varint", big.NewInt(-129)},
		{"blobAsBoolean(0x01)", "boolean", true},
		{"blobAsDate(0x80000001)", "date", cqltype.Date(1)},
		{"decimalAsBlob(1.5)", "blob", []byte{0, 0, 0, 1, 15}},
		{"blobAsText(null)", "text", nil},
		{"now()", "blob", nil}, // checked below: value compatible
		// Arithmetic.
		{"1 + 2 * 3", "int", int32(7)},
		{"-(bigint) ?", "bigint", int64(-42)},
		{"7 / 2", "bigint", int64(3)},
		{"7 % -2", "smallint", int16(1)},
		{"1.5 * 2", "double", 3.0},
		{"2147483647 + 1", "int", int32(math.MinInt32)},
		{"'2020-01-31 00:00' + 1mo", "timestamp", utc("2020-02-29 00:00:00.000")},
		{"'2020-01-02 00:00' - 1d2h", "timestamp", utc("2019-12-31 22:00:00.000")},
		{"'2020-01-02' + 3d", "date", cqltype.Date(18266)},
	}
	b := testBinder{int64(42), int64(42), int64(42)}
	for _, tt := range tests {
		term := parseTerm(t, tt.term)
		got, err := term.EvalFor("c", typ(tt.typ), b)
		if err != nil {
			t.Errorf("Eval(%s, %s): %v", tt.term, tt.typ, err)
			continue
		}
		if tt.term == "now()" {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			if f, ok := got.(float64); !ok || !math.IsNaN(f) {
				t.Errorf("Eval(%s, %s) = %#v, want %#v", tt.term, tt.typ, got, tt.want)
			}
		}
	}
}

func TestEvalNaN(t *testing.T) {
	for _, s := range []string{"NaN", "-NaN", "nan"} {
		term := parseTerm(t, s)
		v, err := term.Eval(cqltype.DoubleT, nil)
		if err != nil || !math.IsNaN(v.(float64)) {
			t.Errorf("Eval(%s) = %v, %v", s, v, err)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct{ term, typ, want string }{
		{"'abc'", "int", `Invalid STRING constant (abc) for "c" of type int`},
		{"1", "text", `Invalid INTEGER constant (1) for "c" of type text`},
		{"1.5", "int", `Invalid FLOAT constant (1.5) for "c" of type int`},
		{"true", "text", `Invalid BOOLEAN constant (true) for "c" of type text`},
		{"0xcafe", "text", `Invalid HEX constant (0xcafe) for "c" of type text`},
		{"1h", "timestamp", `Invalid DURATION constant (1h) for "c" of type timestamp`},
		{"'550e8400-e29b-41d4-a716-446655440000'", "uuid", `Invalid STRING constant (550e8400-e29b-41d4-a716-446655440000) for "c" of type uuid`},
		{"550e8400-e29b-41d4-a716-446655440000", "timeuuid", "TimeUUID supports only version 1 UUIDs"},
		{"'abc'", "list<text>", `Invalid STRING constant (abc) for "c" of type list<text>`},
		{"1", "frozen<tuple<int>>", `Invalid INTEGER constant (1) for "c" of type frozen<tuple<int>>`},
		{"'é'", "ascii", "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 1"},
		{"2147483648", "int", "Unable to make int from '2147483648'"},
		{"9223372036854775808", "bigint", "Unable to make long from '9223372036854775808'"},
		{"40000", "smallint", "Unable to make short from '40000'"},
		{"128", "tinyint", "Unable to make byte from '128'"},
		{"0x0102", "tinyint", "Expected 1 byte for a tinyint (2)"},
		{"0xabc", "blob", "cannot parse 'abc' as hex bytes"},
		{"NaN", "decimal", "unable to make BigDecimal from 'NaN'"},
		{"'x'", "timestamp", "Unable to coerce 'x' to a formatted date (long)"},
		{"'2020-02-30'", "timestamp", "Unable to coerce '2020-02-30' to a formatted date (long)"},
		{"'2020-01-02 24:00'", "timestamp", "Unable to coerce '2020-01-02 24:00' to a formatted date (long)"},
		{"99999999999999999999", "timestamp", "Unable to make long (for date) from: '99999999999999999999'"},
		{"'2020-1-2'", "date", "Unable to coerce '2020-1-2' to a formatted date (long)"},
		{"-1", "date", "Unable to make unsigned int (for date) from: '-1'"},
		{"'25:00:00'", "time", "(TimeType) Unable to coerce '25:00:00' to a formatted time (long)"},
		{"86400000000000", "time", "Unable to make long (for time) from: '86400000000000'"},
		{"'abc'", "inet", "Unable to make inet address from 'abc'"},
		{"1", "duration", "Unable to convert '1' to a duration"},
		{"1m1h", "duration", "Invalid duration. The minutes should be after hours"},
		{"1h1h", "duration", "Invalid duration. The hours are specified multiple times"},
		{"null", "counter", "Invalid null value for counter increment/decrement"},
		{"[1]", "set<int>", "Invalid list literal for c of type set<int>"},
		{"['a']", "list<int>", "Invalid list literal for c: value 'a' is not of type int"},
		{"[[1]]", "list<frozen<list<text>>>", "Invalid list literal for c: value [1] is not of type frozen<list<text>>"},
		{"[?]", "list<int>", "Invalid list literal for c: bind variables are not supported inside collection literals"},
		{"[null]", "list<int>", "null is not supported inside collections"},
		{"{1}", "list<int>", "Invalid set literal for c of type list<int>"},
		{"{'a'}", "set<int>", "Invalid set literal for c: value 'a' is not of type int"},
		{"{}", "list<int>", "Invalid set literal for c of type list<int>"},
		{"{1: 2}", "set<int>", "Invalid map literal for c of type set<int>"},
		{"{'a': 1}", "map<int, int>", "Invalid map literal for c: key 'a' is not of type int"},
		{"{1: 'a'}", "map<int, int>", "Invalid map literal for c: value 'a' is not of type int"},
		{"{1: null}", "map<int, int>", "null is not supported inside collections"},
		{"(1, 2)", "int", "Invalid tuple type literal for c of type int"},
		{"(1, 2, 3)", "tuple<int, int>", "Invalid tuple literal for c: too many elements. Type frozen<tuple<int, int>> expects 2 but got 3"},
		{"(1, 'a')", "tuple<int, int>", "Invalid tuple literal for c: component 1 is not of type int"},
		{"{f: 1}", "int", "Invalid user type literal for c of type int"},
		{"(text) 1", "text", "Cannot cast value 1 to type text"},
		{"(int) 1", "text", "Cannot assign value (int)1 to c of type text"},
		{"foo()", "int", "Unknown function foo called"},
		{"ks.foo(1)", "int", "Unknown function ks.foo called"},
		{"now()", "int", "Type error: cannot assign result of function system.now (type timeuuid) to c (type int)"},
		{"minTimeuuid(1, 2)", "timeuuid", "Invalid number of arguments in call to function system.mintimeuuid: 1 required but 2 provided"},
		{"minTimeuuid(true)", "timeuuid", "Type error: true cannot be passed as argument 0 of function system.mintimeuuid of type timestamp"},
		{"toTimestamp(?)", "timestamp", "Ambiguous call to function totimestamp (can be matched by following signatures: " +
			"system.totimestamp : (timeuuid) -> timestamp, system.totimestamp : (date) -> timestamp): use type casts to disambiguate"},
		{"toUnixTimestamp('2020-01-02')", "bigint", "Ambiguous call to function tounixtimestamp (can be matched by following signatures: " +
			"system.tounixtimestamp : (timestamp) -> bigint, system.tounixtimestamp : (date) -> bigint): use type casts to disambiguate"},
		{"toTimestamp(1.5)", "timestamp", "Invalid call to function totimestamp, none of its type signatures match (known type signatures: " +
			"system.totimestamp : (timeuuid) -> timestamp, system.totimestamp : (date) -> timestamp)"},
		{"blobAsInt(0x01)", "int", "Expected 4 or 0 byte int (1)"},
		{"blobAsText(0xff)", "text", "String didn't validate."},
		{"1 / 0", "int", "the operation 'int / int' failed: / by zero"},
		{"count(1)", "bigint", "Aggregation function are not supported in the where clause"},
	}
	for _, tt := range tests {
		term := parseTerm(t, tt.term)
		_, err := term.EvalFor("c", typ(tt.typ), testBinder{int64(1)})
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Msg != tt.want {
			t.Errorf("Eval(%s, %s)\n got %v\nwant %s", tt.term, tt.typ, err, tt.want)
		}
	}
}

func TestEvalBindAndUnset(t *testing.T) {
	term := parseTerm(t, ":v")
	var gotName string
	var gotType cqltype.Type
	b := binderFunc(func(i int, name string, typ cqltype.Type) (any, error) {
		gotName, gotType = name, typ
		return Unset, nil
	})
	v, err := term.Eval(cqltype.IntT, b)
	if err != nil || v != Unset || gotName != "v" || !gotType.Equal(cqltype.IntT) {
		t.Errorf("got %v, %v, %q, %v", v, err, gotName, gotType)
	}
	// A marker inside a function gets the function's parameter type.
	term = parseTerm(t, "minTimeuuid(?)")
	if _, err := term.Eval(cqltype.TimeuuidT, b); err != nil || !gotType.Equal(cqltype.TimestampT) {
		t.Errorf("got %v, %v", err, gotType)
	}
	if _, err := parseTerm(t, "?").Eval(cqltype.IntT, nil); err == nil {
		t.Error("Eval of a marker without a binder succeeded")
	}
}

type binderFunc func(int, string, cqltype.Type) (any, error)

func (f binderFunc) Bind(i int, n string, t cqltype.Type) (any, error) { return f(i, n, t) }

func TestEvalGeneratedValues(t *testing.T) {
	before := time.Now().UnixMilli()
	v, err := parseTerm(t, "now()").Eval(cqltype.TimeuuidT, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := v.(cqltype.UUID)
	if u.Version() != 1 || uuidUnixMillis(u) < before || uuidUnixMillis(u) > time.Now().UnixMilli() {
		t.Errorf("now() = %s", u.String())
	}
	v2, _ := parseTerm(t, "now()").Eval(cqltype.TimeuuidT, nil)
	if cqltype.Compare(cqltype.TimeuuidT, v2, v) <= 0 {
		t.Errorf("now() not increasing: %s then %s", u.String(), v2.(cqltype.UUID).String())
	}
	v, err = parseTerm(t, "uuid()").Eval(cqltype.UUIDT, nil)
	if err != nil || v.(cqltype.UUID).Version() != 4 || v.(cqltype.UUID)[8]&0xc0 != 0x80 {
		t.Errorf("uuid() = %v, %v", v, err)
	}
	for _, f := range []string{"toTimestamp(now())", "currentTimestamp()", "'now'"} {
		v, err = parseTerm(t, f).Eval(cqltype.TimestampT, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ts := v.(time.Time)
		if ts.Location() != time.UTC || ts.UnixMilli() < before || ts.UnixMilli() > time.Now().UnixMilli() || ts.Nanosecond()%1e6 != 0 {
			t.Errorf("%s = %v", f, ts)
		}
	}
	v, _ = parseTerm(t, "currentDate()").Eval(typ("date"), nil)
	if want := cqltype.Date(time.Now().Unix() / 86400); v != want {
		t.Errorf("currentDate() = %v, want %v", v, want)
	}
	v, _ = parseTerm(t, "currentTime()").Eval(typ("time"), nil)
	if tm := v.(cqltype.Time); tm < 0 || int64(tm) >= int64(24*time.Hour) {
		t.Errorf("currentTime() = %v", tm)
	}
	v, _ = parseTerm(t, "toDate(now())").Eval(typ("date"), nil)
	if want := cqltype.Date(time.Now().Unix() / 86400); v != want {
		t.Errorf("toDate(now()) = %v, want %v", v, want)
	}
	// A timeuuid is valid for a uuid column, and a timestamp for a blob one.
	if v, err := parseTerm(t, "now()").Eval(cqltype.UUIDT, nil); err != nil || v.(cqltype.UUID).Version() != 1 {
		t.Errorf("now() as uuid: %v, %v", v, err)
	}
	if v, err := parseTerm(t, "currentTimestamp()").Eval(cqltype.BlobT, nil); err != nil || len(v.([]byte)) != 8 {
		t.Errorf("currentTimestamp() as blob: %v, %v", v, err)
	}
}

func TestMinMaxTimeUUID(t *testing.T) {
	ms := utc("2013-01-01 00:05:00.000").UnixMilli()
	lo, hi := minTimeUUID(ms), maxTimeUUID(ms)
	if uuidUnixMillis(lo) != ms || uuidUnixMillis(hi) != ms || lo.Version() != 1 {
		t.Errorf("bounds %s %s", lo.String(), hi.String())
	}
	if got := lo.String(); got[14:] != "11e2-8080-808080808080" {
		t.Errorf("minTimeuuid = %s", got)
	}
	if got := hi.String(); got[19:] != "7f7f-7f7f7f7f7f7f" {
		t.Errorf("maxTimeuuid = %s", got)
	}
	mid := makeTimeUUID(ms*10000+uuidEpochOffset+5, 0x1234567812345678)
	if cqltype.Compare(cqltype.TimeuuidT, lo, mid) >= 0 || cqltype.Compare(cqltype.TimeuuidT, mid, hi) >= 0 {
		t.Error("min/max timeuuid do not bound the millisecond")
	}
}

func TestTermString(t *testing.T) {
	for _, s := range []string{"'a'", "1", "-1.5", "[1, 2]", "{1, 2}", "{'a': 1}", "(1, 'x')", "NULL", "?",
		"now()", "ks.f(1, [2])", "(int)?", "0xcafe"} {
		if got := parseTerm(t, s).String(); got != s {
			t.Errorf("String(%s) = %s", s, got)
		}
	}
	if got := parseTerm(t, "1 + -2").String(); got != "system._add(1, -2)" {
		t.Errorf("String(1 + -2) = %s", got)
	}
}

func TestEvalIn(t *testing.T) {
	st, err := Parse("SELECT * FROM t WHERE k IN (1, ?, null) AND c IN ?")
	if err != nil {
		t.Fatal(err)
	}
	w := st.(*Select).Where
	var listType cqltype.Type
	b := binderFunc(func(i int, _ string, typ cqltype.Type) (any, error) {
		if i == 0 {
			return int32(2), nil
		}
		listType = typ
		return []any{int32(3), int32(4)}, nil
	})
	got, err := w[0].Value.EvalIn("k", cqltype.IntT, b)
	if err != nil || !reflect.DeepEqual(got, []any{int32(1), int32(2), nil}) {
		t.Errorf("IN list: %v, %v", got, err)
	}
	got, err = w[1].Value.EvalIn("c", cqltype.IntT, b)
	if err != nil || !reflect.DeepEqual(got, []any{int32(3), int32(4)}) || !listType.Equal(cqltype.ListOf(cqltype.IntT)) {
		t.Errorf("IN ?: %v, %v, %v", got, err, listType)
	}
}
