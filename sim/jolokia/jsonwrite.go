package jolokia

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// jlist is an org.json.simple.JSONArray: a JSON array parsed from a request
// or built by Jolokia. Plain []any stands for a java.util.List returned by an
// MBean; the two differ only in toString() ("[1,2]" versus "[1, 2]").
type jlist []any

// writeJSON serialises v the way json-simple's JSONValue.writeJSONString does.
func writeJSON(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteByte('"')
		escapeJSON(b, x)
		b.WriteByte('"')
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float64:
		// json-simple writes non-finite doubles as null.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(javaDouble(x))
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			b.WriteString("null")
		} else {
			b.WriteString(javaFloat(x))
		}
	case *Map:
		b.WriteByte('{')
		for i, e := range x.sorted() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('"')
			escapeJSON(b, e.key)
			b.WriteString(`":`)
			writeJSON(b, e.val)
		}
		b.WriteByte('}')
	case jlist:
		writeJSONList(b, x)
	case []any:
		writeJSONList(b, x)
	default:
		if s, ok := javaIntString(v); ok {
			b.WriteString(s)
			return
		}
		// json-simple falls back to toString() for unknown objects.
		b.WriteString(fmt.Sprint(v))
	}
}

func writeJSONList(b *strings.Builder, l []any) {
	b.WriteByte('[')
	for i, e := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(b, e)
	}
	b.WriteByte(']')
}

func toJSONString(v any) string {
	var b strings.Builder
	writeJSON(&b, v)
	return b.String()
}

// escapeJSON is JSONValue.escape: it also escapes '/' and the ranges
// U+007F-U+009F and U+2000-U+20FF, with upper-case hex digits.
func escapeJSON(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '/':
			b.WriteString(`\/`)
		default:
			if r <= 0x1F || (r >= 0x7F && r <= 0x9F) || (r >= 0x2000 && r <= 0x20FF) {
				fmt.Fprintf(b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
}

// javaIntString formats Go integers (Java Integer/Long/Short/Byte).
func javaIntString(v any) (string, bool) {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}

// javaDouble is Double.toString: plain notation for 1e-3 <= |x| < 1e7, else
// "d.dddE±n", always with a fractional digit. It uses the shortest
// round-tripping digits; the JDK 17 algorithm agrees except for rare values.
func javaDouble(x float64) string { return javaFloating(x, 64) }

// javaFloat is Float.toString.
func javaFloat(x float32) string { return javaFloating(float64(x), 32) }

func javaFloating(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(x); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(x, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(x, 'e', -1, bits)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// javaToString is what String.valueOf(v) gives for a value of the Java model:
// JSON for json-simple containers, AbstractMap/AbstractCollection style for
// java.util containers returned by MBeans.
func javaToString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return javaDouble(x)
	case float32:
		return javaFloat(x)
	case jlist:
		return toJSONString(x)
	case *Map:
		if x.json {
			return toJSONString(x)
		}
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range x.sorted() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e.key)
			b.WriteByte('=')
			if e.val == any(x) {
				b.WriteString("(this Map)")
			} else {
				b.WriteString(javaToString(e.val))
			}
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = javaToString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if s, ok := javaIntString(v); ok {
		return s
	}
	return fmt.Sprint(v)
}

// javaClassOf names the Java class a value of the Java model stands for.
func javaClassOf(v any) string {
	switch v.(type) {
	case string:
		return "java.lang.String"
	case bool:
		return "java.lang.Boolean"
	case float64:
		return "java.lang.Double"
	case float32:
		return "java.lang.Float"
	case int64, uint64, uint32, uint:
		return "java.lang.Long"
	case int, int32:
		return "java.lang.Integer"
	case int16, uint16:
		return "java.lang.Short"
	case int8, uint8:
		return "java.lang.Byte"
	case jlist:
		return jsonArrayClass
	case []any:
		return "java.util.ArrayList"
	case *Map:
		if v.(*Map).json {
			return jsonObjectClass
		}
		return "java.util.HashMap"
	}
	return "java.lang.Object"
}

// The JVM agent shades json-simple into its own package.
const (
	jsonObjectClass = "org.jolokia.shaded.org.json.simple.JSONObject"
	jsonArrayClass  = "org.jolokia.shaded.org.json.simple.JSONArray"
	parseExcClass   = "org.jolokia.shaded.org.json.simple.parser.ParseException"
)
