package cql

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/ringside/ringside/sim/cqltype"
)

// Eval converts t to the Go value of typ (see the table in package cqltype)
// for a column of that type, using b for bind markers. It returns nil for
// null and Unset for an unset marker. Errors are *InvalidError with
// Cassandra's messages; EvalFor names the column in them.
func (t *Term) Eval(typ cqltype.Type, b Binder) (any, error) { return t.EvalFor("", typ, b) }

// EvalFor is Eval for a value assigned to (or compared with) column col.
func (t *Term) EvalFor(col string, typ cqltype.Type, b Binder) (v any, err error) {
	defer func() {
		// A term must never crash the server.
		if r := recover(); r != nil {
			v, err = nil, &InternalError{Msg: fmt.Sprint(r)}
		}
	}()
	return evalTerm(*t, col, typ, b)
}

func evalTerm(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	switch t.Kind {
	case TermNull:
		if typ.ID == cqltype.Counter {
			return nil, invalidf("Invalid null value for counter increment/decrement")
		}
		return nil, nil
	case TermBind:
		if b == nil {
			return nil, invalidf("No value bound for marker %d", t.Bind)
		}
		return b.Bind(t.Bind, t.BindName, typ)
	case TermList:
		return evalList(t, col, typ, b)
	case TermSet:
		return evalSet(t, col, typ, b)
	case TermMap:
		return evalMap(t, col, typ, b)
	case TermTuple:
		return evalTuple(t, col, typ, b)
	case TermUDT:
		return nil, invalidf("Invalid user type literal for %s of type %s", col, typ)
	case TermCast:
		if len(t.Elems) != 1 {
			return nil, invalidf("Invalid type cast")
		}
		if !t.Elems[0].testAssignment(t.Type).ok() {
			return nil, invalidf("Cannot cast value %s to type %s", t.Elems[0], t.Type)
		}
		if !t.testAssignment(typ).ok() {
			return nil, invalidf("Cannot assign value %s to %s of type %s", t, col, typ)
		}
		return evalTerm(t.Elems[0], col, typ, b)
	case TermFunc:
		return evalFunc(t, col, typ, b)
	}
	return evalConstant(t, col, typ)
}

// evalElem evaluates an element of a collection literal: Cassandra allows
// neither bind markers nor nulls there.
func evalElem(e Term, literal, col string, typ cqltype.Type, b Binder) (any, error) {
	if e.Kind == TermBind {
		return nil, invalidf("Invalid %s literal for %s: bind variables are not supported inside collection literals", literal, col)
	}
	v, err := evalTerm(e, col, typ, b)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, invalidf("null is not supported inside collections")
	}
	return v, nil
}

func evalList(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	if typ.ID != cqltype.List {
		return nil, invalidf("Invalid list literal for %s of type %s", col, typ)
	}
	et := typ.Elems[0]
	for _, e := range t.Elems {
		if !e.testAssignment(et).ok() {
			return nil, invalidf("Invalid list literal for %s: value %s is not of type %s", col, e, et)
		}
	}
	out := make([]any, 0, len(t.Elems))
	for _, e := range t.Elems {
		v, err := evalElem(e, "list", col, et, b)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func evalSet(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	if typ.ID != cqltype.Set {
		return nil, invalidf("Invalid set literal for %s of type %s", col, typ)
	}
	et := typ.Elems[0]
	for _, e := range t.Elems {
		if !e.testAssignment(et).ok() {
			return nil, invalidf("Invalid set literal for %s: value %s is not of type %s", col, e, et)
		}
	}
	out := make([]any, 0, len(t.Elems))
	for _, e := range t.Elems {
		v, err := evalElem(e, "set", col, et, b)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(x, y any) int { return cqltype.Compare(et, x, y) })
	return slices.CompactFunc(out, func(x, y any) bool { return cqltype.Compare(et, x, y) == 0 }), nil
}

func evalMap(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	if len(t.Keys) == 0 {
		switch typ.ID {
		case cqltype.Set:
			return []any{}, nil
		case cqltype.Map:
			return []cqltype.Pair{}, nil
		}
		return nil, invalidf("Invalid set literal for %s of type %s", col, typ)
	}
	if typ.ID != cqltype.Map {
		return nil, invalidf("Invalid map literal for %s of type %s", col, typ)
	}
	kt, vt := typ.Elems[0], typ.Elems[1]
	for i, k := range t.Keys {
		if !k.testAssignment(kt).ok() {
			return nil, invalidf("Invalid map literal for %s: key %s is not of type %s", col, k, kt)
		}
		if v := t.Elems[i]; !v.testAssignment(vt).ok() {
			return nil, invalidf("Invalid map literal for %s: value %s is not of type %s", col, v, vt)
		}
	}
	out := make([]cqltype.Pair, 0, len(t.Keys))
	for i, k := range t.Keys {
		kv, err := evalElem(k, "map", col, kt, b)
		if err != nil {
			return nil, err
		}
		vv, err := evalElem(t.Elems[i], "map", col, vt, b)
		if err != nil {
			return nil, err
		}
		out = append(out, cqltype.Pair{Key: kv, Value: vv})
	}
	// Sorted by key; the last of duplicate keys wins, as in Java's TreeMap.
	slices.SortStableFunc(out, func(x, y cqltype.Pair) int { return cqltype.Compare(kt, x.Key, y.Key) })
	res := out[:0]
	for _, p := range out {
		if n := len(res); n > 0 && cqltype.Compare(kt, res[n-1].Key, p.Key) == 0 {
			res[n-1] = p
			continue
		}
		res = append(res, p)
	}
	return res, nil
}

func evalTuple(t Term, col string, typ cqltype.Type, b Binder) (any, error) {
	if typ.ID != cqltype.Tuple {
		return nil, invalidf("Invalid tuple type literal for %s of type %s", col, typ)
	}
	if len(t.Elems) > len(typ.Elems) {
		return nil, invalidf("Invalid tuple literal for %s: too many elements. Type %s expects %d but got %d",
			col, typ, len(typ.Elems), len(t.Elems))
	}
	for i, e := range t.Elems {
		if !e.testAssignment(typ.Elems[i]).ok() {
			return nil, invalidf("Invalid tuple literal for %s: component %d is not of type %s", col, i, typ.Elems[i])
		}
	}
	out := make([]any, len(typ.Elems))
	for i, e := range t.Elems {
		v, err := evalTerm(e, col+"["+strconv.Itoa(i)+"]", typ.Elems[i], b)
		if err != nil {
			return nil, err
		}
		if v == Unset {
			v = nil
		}
		out[i] = v
	}
	return out, nil
}

func evalConstant(t Term, col string, typ cqltype.Type) (any, error) {
	if !t.constantAssignable(typ).ok() {
		return nil, invalidf("Invalid %s constant (%s) for \"%s\" of type %s", t.constantKind(), t.rawText(), col, typ)
	}
	if typ.ID == cqltype.Custom {
		return nil, invalidf("Custom type %s is not supported", typ.Class)
	}
	if t.Kind == TermBlob {
		b, err := hex.DecodeString(t.Text)
		if err != nil {
			return nil, invalidf("cannot parse '%s' as hex bytes", t.Text)
		}
		if typ.ID == cqltype.Tinyint {
			return unmarshal(typ, b)
		}
		return b, nil
	}
	return fromString(typ.ID, t.Text)
}

// fromString is AbstractType.fromString of the native types: the value of
// a constant's text.
func fromString(id cqltype.ID, s string) (any, error) {
	switch id {
	case cqltype.Ascii:
		for _, r := range s {
			if r > 127 {
				return nil, invalidf("Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = %d", len(utf16.Encode([]rune{r})))
			}
		}
		return s, nil
	case cqltype.Varchar:
		return s, nil
	case cqltype.Bigint, cqltype.Counter:
		v, ok := parseInt(s, 64)
		if !ok {
			return nil, invalidf("Unable to make long from '%s'", s)
		}
		return v, nil
	case cqltype.Int:
		v, ok := parseInt(s, 32)
		if !ok {
			return nil, invalidf("Unable to make int from '%s'", s)
		}
		return int32(v), nil
	case cqltype.Smallint:
		v, ok := parseInt(s, 16)
		if !ok {
			return nil, invalidf("Unable to make short from '%s'", s)
		}
		return int16(v), nil
	case cqltype.Tinyint:
		v, ok := parseInt(s, 8)
		if !ok {
			return nil, invalidf("Unable to make byte from '%s'", s)
		}
		return int8(v), nil
	case cqltype.Varint:
		v, ok := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
		if !ok {
			return nil, invalidf("unable to make int from '%s'", s)
		}
		return v, nil
	case cqltype.DecimalID:
		d, ok := parseDecimal(s)
		if !ok {
			return nil, invalidf("unable to make BigDecimal from '%s'", s)
		}
		return d, nil
	case cqltype.Double:
		v, ok := parseFloat(s, 64)
		if !ok {
			return nil, invalidf("Unable to make double from '%s'", s)
		}
		return v, nil
	case cqltype.Float:
		v, ok := parseFloat(s, 32)
		if !ok {
			return nil, invalidf("Unable to make float from '%s'", s)
		}
		return float32(v), nil
	case cqltype.Boolean:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, invalidf("Unable to make boolean from '%s'", s)
	case cqltype.Timestamp:
		if s == "" {
			return nil, nil
		}
		ms, err := parseTimestamp(s)
		if err != nil {
			return nil, err
		}
		return millisTime(ms), nil
	case cqltype.DateID:
		return parseDate(s)
	case cqltype.TimeID:
		return parseTime(s)
	case cqltype.UUIDID, cqltype.Timeuuid:
		u, ok := parseUUID(s)
		if !ok {
			if id == cqltype.Timeuuid {
				return nil, invalidf("Unknown timeuuid representation: %s", s)
			}
			return nil, invalidf("Unable to make UUID from '%s'", s)
		}
		if id == cqltype.Timeuuid && u.Version() != 1 {
			return nil, invalidf("TimeUUID supports only version 1 UUIDs")
		}
		return u, nil
	case cqltype.Inet:
		if s == "" {
			return nil, nil
		}
		if strings.EqualFold(s, "localhost") {
			return netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, invalidf("Unable to make inet address from '%s'", s)
		}
		return a.Unmap(), nil
	case cqltype.DurationID:
		return parseDuration(s)
	case cqltype.Blob:
		b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
		if err != nil {
			return nil, invalidf("cannot parse '%s' as hex bytes", s)
		}
		return b, nil
	}
	return nil, invalidf("Cannot convert '%s' to type %s", s, cqltype.Simple(id))
}

// parseInt parses a Java integer (an optional sign and decimal digits)
// that fits in bits.
func parseInt(s string, bits int) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, bits)
	return v, err == nil
}

var javaFloat = regexp.MustCompile(`^[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?$`)

// parseFloat parses like Java's Double.parseDouble / Float.parseFloat:
// overflow gives an infinity rather than an error.
func parseFloat(s string, bits int) (float64, bool) {
	s = strings.TrimSpace(s)
	if !javaFloat.MatchString(s) {
		return 0, false
	}
	s = strings.TrimRight(s, "fFdD")
	switch strings.TrimLeft(s, "+-") {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	v, err := strconv.ParseFloat(s, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return v, true
}

var javaDecimal = regexp.MustCompile(`^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$`)

// parseDecimal parses like new BigDecimal(s): "1.50" is 150 scale 2,
// "1e3" is 1 scale -3.
func parseDecimal(s string) (cqltype.Decimal, bool) {
	m := javaDecimal.FindStringSubmatch(s)
	if m == nil || m[2]+m[3] == "" {
		return cqltype.Decimal{}, false
	}
	u, ok := new(big.Int).SetString(m[2]+m[3], 10)
	if !ok {
		return cqltype.Decimal{}, false
	}
	if m[1] == "-" {
		u.Neg(u)
	}
	scale := int64(len(m[3]))
	if m[4] != "" {
		e, err := strconv.ParseInt(m[4], 10, 32)
		if err != nil {
			return cqltype.Decimal{}, false
		}
		scale -= e
	}
	if scale != int64(int32(scale)) {
		return cqltype.Decimal{}, false
	}
	return cqltype.Decimal{Unscaled: u, Scale: int32(scale)}, true
}

var digitsOnly = regexp.MustCompile(`^-?\d+$`)

// parseTimestamp is TimestampSerializer.dateStringToTimestamp. Strings
// without a time zone are read as UTC (Cassandra uses the JVM's zone).
func parseTimestamp(s string) (int64, error) {
	if strings.EqualFold(s, "now") {
		return time.Now().UnixMilli(), nil
	}
	if digitsOnly.MatchString(s) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, invalidf("Unable to make long (for date) from: '%s'", s)
		}
		return v, nil
	}
	if ms, ok := parseDateTime(s); ok {
		return ms, nil
	}
	return 0, invalidf("Unable to coerce '%s' to a formatted date (long)", s)
}

var dateTimeRe = regexp.MustCompile(`^(\d+)-(\d+)-(\d+)(?:[ T](\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?)?(.*)$`)

// parseDateTime accepts the patterns of TimestampSerializer: yyyy-MM-dd
// with an optional [ T]HH:mm[:ss[.SSS]] and an optional zone (" z" or an
// ISO "X" offset), checked strictly like SimpleDateFormat with lenient off.
func parseDateTime(s string) (int64, bool) {
	m := dateTimeRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	num := func(x string) (int, bool) {
		if x == "" {
			return 0, true
		}
		v, err := strconv.Atoi(x)
		return v, err == nil
	}
	y, ok1 := num(m[1])
	mo, ok2 := num(m[2])
	d, ok3 := num(m[3])
	h, ok4 := num(m[4])
	mi, ok5 := num(m[5])
	sec, ok6 := num(m[6])
	ms, ok7 := num(m[7])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, false
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 || ms > 999 {
		return 0, false
	}
	off, ok := parseZone(m[8])
	if !ok {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
	return t.UnixMilli() - int64(off)*1000, true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var (
	isoZone   = regexp.MustCompile(`^(?:Z|([+-])(\d\d)(?::?(\d\d))?)$`)
	gmtZone   = regexp.MustCompile(`^(?i:GMT)(?:([+-])(\d{1,2}):(\d\d))?$`)
	rfc822    = regexp.MustCompile(`^([+-])(\d\d)(\d\d)$`)
	zoneNames = map[string]int{"UTC": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
		"EST": -5, "EDT": -4, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "JST": 9, "IST": 5}
)

// parseZone returns the offset in seconds of a zone suffix: "" (UTC), an
// ISO 8601 offset right after the time, or " " and a general time zone.
func parseZone(z string) (int, bool) {
	hm := func(sign, h, m string) (int, bool) {
		hv, _ := strconv.Atoi(h)
		mv := 0
		if m != "" {
			mv, _ = strconv.Atoi(m)
		}
		if hv > 23 || mv > 59 {
			return 0, false
		}
		off := hv*3600 + mv*60
		if sign == "-" {
			off = -off
		}
		return off, true
	}
	if z == "" {
		return 0, true
	}
	if m := isoZone.FindStringSubmatch(z); m != nil {
		if z == "Z" {
			return 0, true
		}
		return hm(m[1], m[2], m[3])
	}
	if !strings.HasPrefix(z, " ") {
		return 0, false
	}
	z = z[1:]
	if m := gmtZone.FindStringSubmatch(z); m != nil {
		if m[1] == "" {
			return 0, true
		}
		return hm(m[1], m[2], m[3])
	}
	if m := rfc822.FindStringSubmatch(z); m != nil {
		return hm(m[1], m[2], m[3])
	}
	if h, ok := zoneNames[strings.ToUpper(z)]; ok {
		return h * 3600, true
	}
	return 0, false
}

var isoDate = regexp.MustCompile(`^([+-]?)(\d{4,})-(\d{2})-(\d{2})$`)

// parseDate is SimpleDateSerializer.dateStringToDays.
func parseDate(s string) (any, error) {
	if digitsOnly.MatchString(s) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || v > math.MaxUint32 {
			return nil, invalidf("Unable to make unsigned int (for date) from: '%s'", s)
		}
		return cqltype.Date(v - 1<<31), nil
	}
	bad := invalidf("Unable to coerce '%s' to a formatted date (long)", s)
	m := isoDate.FindStringSubmatch(s)
	if m == nil || m[1] == "+" && len(m[2]) == 4 || m[1] == "" && len(m[2]) > 4 {
		return nil, bad
	}
	y, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || y > 1e9 {
		return nil, bad
	}
	if m[1] == "-" {
		y = -y
	}
	mo, _ := strconv.Atoi(m[3])
	d, _ := strconv.Atoi(m[4])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(int(y), mo) {
		return nil, bad
	}
	days := time.Date(int(y), time.Month(mo), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if days < math.MinInt32 {
		return nil, invalidf("Input date %s is less than min supported date -5877641-06-23T00:00Z", s)
	}
	if days > math.MaxInt32 {
		return nil, invalidf("Input date %s is greater than max supported date 5881580-07-11T00:00Z", s)
	}
	return cqltype.Date(days), nil
}

// parseTime is TimeSerializer.timeStringToLong.
func parseTime(s string) (any, error) {
	const day = int64(24 * time.Hour)
	if digitsOnly.MatchString(s) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || v >= day {
			return nil, invalidf("Unable to make long (for time) from: '%s'", s)
		}
		return cqltype.Time(v), nil
	}
	bad := invalidf("(TimeType) Unable to coerce '%s' to a formatted time (long)", s)
	t := strings.TrimSpace(s)
	c1 := strings.IndexByte(t, ':')
	c2 := -1
	if c1 >= 0 {
		if i := strings.IndexByte(t[c1+1:], ':'); i >= 0 {
			c2 = c1 + 1 + i
		}
	}
	if c1 <= 0 || c2 <= 0 || c2 >= len(t)-1 {
		return nil, bad
	}
	atoi := func(x string) (int64, bool) {
		v, err := strconv.ParseInt(x, 10, 32)
		return v, err == nil
	}
	h, ok1 := atoi(t[:c1])
	mi, ok2 := atoi(t[c1+1 : c2])
	if !ok1 || !ok2 || h < 0 || h >= 24 || mi < 0 || mi >= 60 {
		return nil, bad
	}
	rest := t[c2+1:]
	var sec, nanos int64
	if p := strings.IndexByte(rest, '.'); p >= 0 {
		if p == 0 || p == len(rest)-1 {
			return nil, bad
		}
		var ok bool
		if sec, ok = atoi(rest[:p]); !ok {
			return nil, bad
		}
		frac := rest[p+1:]
		if len(frac) > 9 || frac[0] < '0' || frac[0] > '9' {
			return nil, bad
		}
		if nanos, ok = atoi(frac + strings.Repeat("0", 9-len(frac))); !ok {
			return nil, bad
		}
	} else {
		var ok bool
		if sec, ok = atoi(rest); !ok {
			return nil, bad
		}
	}
	if sec < 0 || sec >= 60 {
		return nil, bad
	}
	return cqltype.Time(h*int64(time.Hour) + mi*int64(time.Minute) + sec*int64(time.Second) + nanos), nil
}

var (
	durStandard = regexp.MustCompile(`(?i)^(\d+)(y|mo|w|d|h|s|ms|us|µs|ns|m)`)
	durISO      = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)
	durISOWeek  = regexp.MustCompile(`^P(\d+)W$`)
	durISOAlt   = regexp.MustCompile(`^P(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$`)
)

// parseDuration is Duration.from.
func parseDuration(input string) (any, error) {
	neg := strings.HasPrefix(input, "-")
	src := strings.TrimPrefix(input, "-")
	bad := invalidf("Unable to convert '%s' to a duration", src)
	b := &durationBuilder{}
	var err error
	num := func(s string) int64 {
		v, e := strconv.ParseInt(s, 10, 64)
		if e != nil && err == nil {
			err = bad
		}
		return v
	}
	switch {
	case strings.HasPrefix(src, "P") && strings.HasSuffix(src, "W"):
		m := durISOWeek.FindStringSubmatch(src)
		if m == nil {
			return nil, bad
		}
		b.add(3, num(m[1]))
	case strings.HasPrefix(src, "P") && strings.Contains(src, "-"):
		m := durISOAlt.FindStringSubmatch(src)
		if m == nil {
			return nil, bad
		}
		for i := 1; i <= 6; i++ {
			unit := []int{0, 1, 2, 4, 5, 6, 7}[i]
			b.add(unit, num(m[i]))
		}
	case strings.HasPrefix(src, "P"):
		m := durISO.FindStringSubmatch(src)
		if m == nil {
			return nil, bad
		}
		for i, unit := range []int{1, 2, 4, 5, 6, 7} {
			if m[i+1] != "" {
				b.add(unit, num(m[i+1]))
			}
		}
	default:
		rest := src
		if rest == "" {
			return nil, bad
		}
		for rest != "" {
			m := durStandard.FindStringSubmatch(rest)
			if m == nil {
				return nil, bad
			}
			units := map[string]int{"y": 1, "mo": 2, "w": 3, "d": 4, "h": 5, "m": 6, "s": 7, "ms": 8, "us": 9, "µs": 9, "ns": 10}
			b.add(units[strings.ToLower(m[2])], num(m[1]))
			rest = rest[len(m[0]):]
		}
	}
	if err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	d := cqltype.Duration{Months: int32(b.months), Days: int32(b.days), Nanos: b.nanos}
	if neg {
		d = cqltype.Duration{Months: -d.Months, Days: -d.Days, Nanos: -d.Nanos}
	}
	return d, nil
}

// durationBuilder is Duration.Builder: units must come in order, and each
// total must fit.
type durationBuilder struct {
	months, days, nanos int64
	unit                int
	err                 error
}

var durationUnitNames = []string{"", "years", "months", "weeks", "days", "hours", "minutes", "seconds",
	"milliseconds", "microseconds", "nanoseconds"}

func (b *durationBuilder) add(unit int, n int64) {
	if b.err != nil {
		return
	}
	if unit == b.unit {
		b.err = invalidf("Invalid duration. The %s are specified multiple times", durationUnitNames[unit])
		return
	}
	if unit < b.unit {
		b.err = invalidf("Invalid duration. The %s should be after %s", durationUnitNames[b.unit], durationUnitNames[unit])
		return
	}
	b.unit = unit
	check := func(limit int64, name string) bool {
		if n > limit {
			b.err = invalidf("Invalid duration. The total number of %s must be less or equal to %d", name, math.MaxInt32)
			return false
		}
		return true
	}
	per := []int64{0, 12, 1, 7, 1, int64(time.Hour), int64(time.Minute), int64(time.Second),
		int64(time.Millisecond), int64(time.Microsecond), 1}[unit]
	switch {
	case unit <= 2:
		if check((math.MaxInt32-b.months)/per, "months") {
			b.months += n * per
		}
	case unit <= 4:
		if check((math.MaxInt32-b.days)/per, "days") {
			b.days += n * per
		}
	default:
		if check((math.MaxInt64-b.nanos)/per, "nanoseconds") {
			b.nanos += n * per
		}
	}
}

// EvalIn evaluates the right-hand side of a single-column IN relation or
// condition for column col of type typ: each element of a TermList (nil
// for null ones), or the list bound to an IN ? marker (whose type is
// list<typ>; a null list gives nil).
func (t *Term) EvalIn(col string, typ cqltype.Type, b Binder) ([]any, error) {
	switch t.Kind {
	case TermList:
		out := make([]any, len(t.Elems))
		for i := range t.Elems {
			v, err := t.Elems[i].EvalFor(col, typ, b)
			if err != nil {
				return nil, err
			}
			if v == Unset {
				return nil, invalidf("Invalid unset value for column %s", col)
			}
			out[i] = v
		}
		return out, nil
	case TermBind:
		v, err := t.EvalFor(col, cqltype.ListOf(typ), b)
		if err != nil || v == nil {
			return nil, err
		}
		if v == Unset {
			return nil, invalidf("Invalid unset value for column %s", col)
		}
		l, ok := v.([]any)
		if !ok {
			return nil, invalidf("Invalid list value for IN on column %s", col)
		}
		return l, nil
	}
	return nil, invalidf("Invalid IN value %s for column %s", t, col)
}
