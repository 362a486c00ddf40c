package cql

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
)

// Native scalar functions of Cassandra 4.1 usable in terms (TimeFcts, UuidFcts,
// BytesConversionFcts) and the arithmetic operators.

type fnSig struct {
	name string
	args []cqltype.Type
	ret  cqltype.Type
	impl func(args []any) (any, error)
}

func (f *fnSig) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	return "system." + f.name + " : (" + strings.Join(parts, ", ") + ") -> " + f.ret.String()
}

var (
	tsT       = cqltype.TimestampT
	timeuuidT = cqltype.TimeuuidT
	dateT     = cqltype.Simple(cqltype.DateID)
	bigintT   = cqltype.BigintT
)

var nativeFunctions = func() map[string][]*fnSig {
	m := map[string][]*fnSig{}
	add := func(name string, ret cqltype.Type, impl func([]any) (any, error), args ...cqltype.Type) {
		m[name] = append(m[name], &fnSig{name: name, args: args, ret: ret, impl: impl})
	}
	nowUUID := func([]any) (any, error) { return newTimeUUID(), nil }
	add("now", timeuuidT, nowUUID)
	add("currenttimeuuid", timeuuidT, nowUUID)
	add("currenttimestamp", tsT, func([]any) (any, error) { return millisTime(time.Now().UnixMilli()), nil })
	add("currentdate", dateT, func([]any) (any, error) { return daysOf(time.Now().UnixMilli()), nil })
	add("currenttime", cqltype.Simple(cqltype.TimeID), func([]any) (any, error) {
		n := time.Now().UTC()
		d := n.Sub(time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC))
		return cqltype.Time(d.Nanoseconds()), nil
	})
	add("uuid", cqltype.UUIDT, func([]any) (any, error) { return cqltype.RandomUUID(), nil })
	add("mintimeuuid", timeuuidT, func(a []any) (any, error) { return minTimeUUID(a[0].(time.Time).UnixMilli()), nil }, tsT)
	add("maxtimeuuid", timeuuidT, func(a []any) (any, error) { return maxTimeUUID(a[0].(time.Time).UnixMilli()), nil }, tsT)
	uuidTS := func(a []any) (any, error) { return millisTime(uuidUnixMillis(a[0].(cqltype.UUID))), nil }
	uuidMS := func(a []any) (any, error) { return uuidUnixMillis(a[0].(cqltype.UUID)), nil }
	add("dateof", tsT, uuidTS, timeuuidT)
	add("unixtimestampof", bigintT, uuidMS, timeuuidT)
	add("totimestamp", tsT, uuidTS, timeuuidT)
	add("totimestamp", tsT, func(a []any) (any, error) { return millisTime(int64(a[0].(cqltype.Date)) * 86400000), nil }, dateT)
	add("todate", dateT, func(a []any) (any, error) { return daysOf(uuidUnixMillis(a[0].(cqltype.UUID))), nil }, timeuuidT)
	add("todate", dateT, func(a []any) (any, error) { return daysOf(a[0].(time.Time).UnixMilli()), nil }, tsT)
	add("tounixtimestamp", bigintT, uuidMS, timeuuidT)
	add("tounixtimestamp", bigintT, func(a []any) (any, error) { return a[0].(time.Time).UnixMilli(), nil }, tsT)
	add("tounixtimestamp", bigintT, func(a []any) (any, error) { return int64(a[0].(cqltype.Date)) * 86400000, nil }, dateT)
	for _, n := range []string{"ascii", "bigint", "blob", "boolean", "counter", "decimal", "double", "duration",
		"float", "inet", "int", "smallint", "text", "timestamp", "tinyint", "uuid", "varint", "timeuuid", "date", "time"} {
		typ, _ := cqltype.Parse(n)
		if n != "blob" {
			add(n+"asblob", cqltype.BlobT, func(a []any) (any, error) { return marshal(typ, a[0]) }, typ)
		}
		add("blobas"+n, typ, func(a []any) (any, error) { return unmarshal(typ, a[0].([]byte)) }, cqltype.BlobT)
	}
	return m
}()

// marshal and unmarshal are the blob conversions, with the serializers'
// validation messages as InvalidRequest errors.
func marshal(typ cqltype.Type, v any) (any, error) {
	b, err := cqltype.Marshal(typ, v)
	if err != nil {
		return nil, &InvalidError{Msg: err.Error()}
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func unmarshal(typ cqltype.Type, b []byte) (any, error) {
	v, err := cqltype.Unmarshal(typ, b)
	if err != nil {
		return nil, &InvalidError{Msg: err.Error()}
	}
	return v, nil
}

// daysOf is SimpleDateSerializer.timeInMillisToDay.
func daysOf(ms int64) cqltype.Date {
	secs := ms / 1000
	if ms%1000 < 0 {
		secs--
	}
	return cqltype.Date(secs / 86400)
}

var aggregates = map[string]bool{"count": true, "min": true, "max": true, "sum": true, "avg": true}

// resolveFunction is FunctionResolver.get for native functions: the
// overload whose parameters the arguments fit, preferring exact matches.
func resolveFunction(t Term) (*fnSig, error) {
	cands := nativeFunctions[t.Func]
	if len(cands) == 0 {
		return nil, invalidf("Unknown function %s called", t.Func)
	}
	if len(cands) == 1 {
		f := cands[0]
		if len(t.Args) != len(f.args) {
			return nil, invalidf("Invalid number of arguments in call to function system.%s: %d required but %d provided",
				f.name, len(f.args), len(t.Args))
		}
		for i, a := range t.Args {
			if !a.testAssignment(f.args[i]).ok() {
				return nil, invalidf("Type error: %s cannot be passed as argument %d of function system.%s of type %s",
					a, i, f.name, f.args[i])
			}
		}
		return f, nil
	}
	var compat []*fnSig
	for _, f := range cands {
		if len(f.args) != len(t.Args) {
			continue
		}
		r := exactMatch
		for i, a := range t.Args {
			r = min(r, a.testAssignment(f.args[i]))
		}
		switch r {
		case exactMatch:
			return f, nil
		case weaklyAssignable:
			compat = append(compat, f)
		}
	}
	list := func(fs []*fnSig) string {
		parts := make([]string, len(fs))
		for i, f := range fs {
			parts[i] = f.String()
		}
		return strings.Join(parts, ", ")
	}
	switch len(compat) {
	case 0:
		return nil, invalidf("Invalid call to function %s, none of its type signatures match (known type signatures: %s)", t.Func, list(cands))
	case 1:
		return compat[0], nil
	}
	return nil, invalidf("Ambiguous call to function %s (can be matched by following signatures: %s): use type casts to disambiguate", t.Func, list(compat))
}

// functionReturnType is the return type of a call, when it is known
// without a receiver.
func functionReturnType(t Term) (cqltype.Type, bool) {
	if strings.HasPrefix(t.Func, "_") {
		return cqltype.Type{}, false
	}
	if t.Func == "cast" {
		return t.Type, true
	}
	f, err := resolveFunction(t)
	if err != nil {
		return cqltype.Type{}, false
	}
	return f.ret, true
}

func evalFunc(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	switch {
	case strings.HasPrefix(t.Func, "_"):
		return evalOperation(t, col, typ, b)
	case t.Func == "cast":
		return nil, invalidf("CAST is not supported in this context")
	case t.Func == "token":
		return nil, invalidf("The token() function is only supported in WHERE clauses on the partition key")
	case aggregates[t.Func]:
		return nil, invalidf("Aggregation function are not supported in the where clause")
	}
	f, err := resolveFunction(t)
	if err != nil {
		return nil, err
	}
	if !valueCompatible(typ, f.ret) {
		return nil, invalidf("Type error: cannot assign result of function system.%s (type %s) to %s (type %s)", f.name, f.ret, col, typ)
	}
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		v, err := evalTerm(a, "arg"+strconv.Itoa(i)+"(system."+f.name+")", f.args[i], b)
		if err != nil {
			return nil, err
		}
		if v == nil || v == Unset {
			return nil, nil // native functions return null on null input
		}
		args[i] = v
	}
	v, err := f.impl(args)
	if err != nil || v == nil {
		return v, err
	}
	return convertValue(v, f.ret, typ)
}

// convertValue adapts a function result to a compatible receiver type.
func convertValue(v any, from, to cqltype.Type) (any, error) {
	if from.ID == to.ID {
		return v, nil
	}
	switch to.ID {
	case cqltype.Blob:
		return marshal(from, v)
	case cqltype.Bigint:
		if t, ok := v.(time.Time); ok {
			return t.UnixMilli(), nil
		}
	case cqltype.Timestamp:
		if n, ok := v.(int64); ok {
			return millisTime(n), nil
		}
	case cqltype.Varint:
		switch n := v.(type) {
		case int32:
			return big.NewInt(int64(n)), nil
		case int64:
			return big.NewInt(n), nil
		case time.Time:
			return big.NewInt(n.UnixMilli()), nil
		}
	}
	return v, nil
}

var opSymbols = map[string]string{"_add": "+", "_substract": "-", "_multiply": "*", "_divide": "/", "_modulo": "%"}

// evalOperation evaluates arithmetic in the receiver's type (Cassandra
// picks the operand types from the arguments; literals take the receiver's).
func evalOperation(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	if t.Func == "_negate" {
		if len(t.Args) != 1 {
			return nil, invalidf("Invalid operation")
		}
		v, err := evalTerm(t.Args[0], col, typ, b)
		if err != nil || v == nil || v == Unset {
			return v, err
		}
		return negate(v, typ)
	}
	sym, ok := opSymbols[t.Func]
	if !ok || len(t.Args) != 2 {
		return nil, invalidf("Unknown function %s called", t.Func)
	}
	rt := typ
	if (typ.ID == cqltype.Timestamp || typ.ID == cqltype.DateID) && (sym == "+" || sym == "-") {
		rt = cqltype.Simple(cqltype.DurationID)
	}
	l, err := evalTerm(t.Args[0], col, typ, b)
	if err != nil {
		return nil, err
	}
	r, err := evalTerm(t.Args[1], col, rt, b)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil || l == Unset || r == Unset {
		return nil, nil
	}
	failed := func(msg string) error {
		return invalidf("the operation '%s %s %s' failed: %s", typ, sym, rt, msg)
	}
	if rt.ID == cqltype.DurationID && rt.ID != typ.ID {
		d := r.(cqltype.Duration)
		if sym == "-" {
			d = cqltype.Duration{Months: -d.Months, Days: -d.Days, Nanos: -d.Nanos}
		}
		if typ.ID == cqltype.Timestamp {
			return addDuration(l.(time.Time), d), nil
		}
		if d.Nanos != 0 {
			return nil, failed("The duration must have a day precision. Durations with hours, minutes, seconds, milliseconds, microseconds or nanoseconds cannot be added to or subtracted from a date")
		}
		ms := addDuration(millisTime(int64(l.(cqltype.Date))*86400000), d).UnixMilli()
		return daysOf(ms), nil
	}
	switch x := l.(type) {
	case int64:
		return intOp(x, r.(int64), sym, failed)
	case int32:
		v, err := intOp(int64(x), int64(r.(int32)), sym, failed)
		if err != nil {
			return nil, err
		}
		return int32(v.(int64)), nil
	case int16:
		v, err := intOp(int64(x), int64(r.(int16)), sym, failed)
		if err != nil {
			return nil, err
		}
		return int16(v.(int64)), nil
	case int8:
		v, err := intOp(int64(x), int64(r.(int8)), sym, failed)
		if err != nil {
			return nil, err
		}
		return int8(v.(int64)), nil
	case float64:
		return floatOp(x, r.(float64), sym), nil
	case float32:
		return float32(floatOp(float64(x), float64(r.(float32)), sym)), nil
	case *big.Int:
		y := r.(*big.Int)
		z := new(big.Int)
		switch sym {
		case "+":
			return z.Add(x, y), nil
		case "-":
			return z.Sub(x, y), nil
		case "*":
			return z.Mul(x, y), nil
		}
		if y.Sign() == 0 {
			return nil, failed("BigInteger divide by zero")
		}
		if sym == "/" {
			return z.Quo(x, y), nil
		}
		return z.Rem(x, y), nil
	}
	return nil, invalidf("the operation '%s %s %s' is not supported", typ, sym, rt)
}

// intOp computes in 64 bits; callers truncate, which wraps like Java.
func intOp(x, y int64, sym string, failed func(string) error) (any, error) {
	switch sym {
	case "+":
		return x + y, nil
	case "-":
		return x - y, nil
	case "*":
		return x * y, nil
	}
	if y == 0 {
		return nil, failed("/ by zero")
	}
	if sym == "/" {
		if x == math.MinInt64 && y == -1 {
			return x, nil
		}
		return x / y, nil
	}
	if y == -1 {
		return int64(0), nil
	}
	return x % y, nil
}

func floatOp(x, y float64, sym string) float64 {
	switch sym {
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/":
		return x / y
	}
	return math.Mod(x, y)
}

func negate(v any, typ cqltype.Type) (any, error) {
	switch x := v.(type) {
	case int64:
		return -x, nil
	case int32:
		return -x, nil
	case int16:
		return -x, nil
	case int8:
		return -x, nil
	case float64:
		return -x, nil
	case float32:
		return -x, nil
	case *big.Int:
		return new(big.Int).Neg(x), nil
	case cqltype.Decimal:
		u := new(big.Int)
		if x.Unscaled != nil {
			u.Neg(x.Unscaled)
		}
		return cqltype.Decimal{Unscaled: u, Scale: x.Scale}, nil
	case cqltype.Duration:
		return cqltype.Duration{Months: -x.Months, Days: -x.Days, Nanos: -x.Nanos}, nil
	}
	return nil, invalidf("the operation '-%s' is not supported", typ)
}

// addDuration is Duration.addTo: months and days move the calendar (UTC),
// the rest adds milliseconds.
func addDuration(t time.Time, d cqltype.Duration) time.Time {
	if d.Months == 0 {
		return t.Add(time.Duration(d.Days)*24*time.Hour + time.Duration(d.Nanos/1e6)*time.Millisecond)
	}
	// Java's Calendar.add clamps the day to the target month's length.
	y, m, day := t.Date()
	tm := int(m) - 1 + int(d.Months)
	ny, nm := y+tm/12, tm%12
	if nm < 0 {
		nm += 12
		ny--
	}
	if last := daysIn(ny, nm+1); day > last {
		day = last
	}
	h, mi, s := t.Clock()
	base := time.Date(ny, time.Month(nm+1), day, h, mi, s, t.Nanosecond(), time.UTC)
	return base.AddDate(0, 0, int(d.Days)).Add(time.Duration(d.Nanos/1e6) * time.Millisecond)
}
