package jolokia

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ---------------------------------------------------------------------------
// Request values to Go arguments: Jolokia 1.x StringToObjectConverter.
// A value is used directly when the parameter's class is assignable from the
// JSON value's class, a JSON array fills an array parameter element by
// element, and everything else goes through the value's toString() and the
// parser for the parameter type.

// assignable reports whether a Java value of the JSON model could be passed
// to a parameter of class typ without conversion.
func assignable(typ string, v any) bool {
	switch typ {
	case "java.lang.Object", "java.io.Serializable":
		return true
	}
	switch v.(type) {
	case string:
		switch typ {
		case "java.lang.String", "java.lang.CharSequence", "java.lang.Comparable",
			"java.lang.constant.Constable", "java.lang.constant.ConstantDesc":
			return true
		}
	case int64:
		switch typ {
		case "java.lang.Long", "java.lang.Number", "java.lang.Comparable",
			"java.lang.constant.Constable", "java.lang.constant.ConstantDesc":
			return true
		}
	case float64:
		switch typ {
		case "java.lang.Double", "java.lang.Number", "java.lang.Comparable",
			"java.lang.constant.Constable", "java.lang.constant.ConstantDesc":
			return true
		}
	case bool:
		switch typ {
		case "java.lang.Boolean", "java.lang.Comparable", "java.lang.constant.Constable":
			return true
		}
	case *Map:
		switch typ {
		case "java.util.Map", "java.util.HashMap", "java.util.AbstractMap", "java.lang.Cloneable",
			jsonObjectClass, "org.json.simple.JSONObject":
			return true
		}
	case jlist:
		switch typ {
		case "java.util.List", "java.util.ArrayList", "java.util.AbstractList", "java.util.Collection",
			"java.util.AbstractCollection", "java.lang.Iterable", "java.util.RandomAccess", "java.lang.Cloneable",
			jsonArrayClass, "org.json.simple.JSONArray":
			return true
		}
	}
	return false
}

var primitiveTypes = map[string]bool{
	"boolean": true, "byte": true, "char": true, "short": true,
	"int": true, "long": true, "float": true, "double": true,
}

// arrayComponents maps JVM array type letters to component class names.
var arrayComponents = map[byte]string{
	'Z': "boolean", 'B': "byte", 'C': "char", 'S': "short",
	'I': "int", 'J': "long", 'F': "float", 'D': "double",
}

// prepareValue converts v (JSON model) for a parameter or attribute of type typ.
func prepareValue(typ string, v any) (any, *jexc) {
	if v == nil {
		return nil, nil
	}
	if !primitiveTypes[typ] {
		if l, ok := v.(jlist); ok && strings.HasPrefix(typ, "[") && len(typ) >= 2 {
			return listToArray(typ, l)
		}
		if assignable(typ, v) {
			return natural(v), nil
		}
	}
	return convertFromString(typ, javaToString(v))
}

// natural turns a JSON-model value into plain Go values.
func natural(v any) any {
	switch x := v.(type) {
	case *Map:
		m := make(map[string]any, x.Len())
		for _, e := range x.entries {
			m[e.key] = natural(e.val)
		}
		return m
	case jlist:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = natural(e)
		}
		return l
	}
	return v
}

func componentName(typ string) (string, *jexc) {
	t := typ[1]
	if t == 'L' {
		if !strings.HasSuffix(typ, ";") || len(typ) < 4 {
			return "", newExc(IllegalArgumentException, "No class of type "+strings.ReplaceAll(typ[2:max(2, len(typ)-1)], "/", ".")+"found")
		}
		return strings.ReplaceAll(typ[2:len(typ)-1], "/", "."), nil
	}
	c, ok := arrayComponents[t]
	if !ok {
		return "", newExc(IllegalArgumentException, "Cannot convert to unknown array type "+string(t))
	}
	return c, nil
}

func listToArray(typ string, l jlist) (any, *jexc) {
	comp, err := componentName(typ)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(l))
	for i, e := range l {
		switch {
		case e == nil:
			if primitiveTypes[comp] {
				return nil, newExc(IllegalArgumentException, "Cannot use a null value in an array of type "+comp)
			}
		case !primitiveTypes[comp] && assignable(comp, e):
			out[i] = natural(e)
		default:
			v, err := convertFromString(comp, javaToString(e))
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
	}
	return typedArray(comp, out), nil
}

func typedArray(comp string, vs []any) any {
	switch comp {
	case "java.lang.String":
		out := make([]string, len(vs))
		for i, v := range vs {
			if s, ok := v.(string); ok {
				out[i] = s
			}
		}
		return out
	case "int", "long", "short", "byte":
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i], _ = v.(int64)
		}
		return out
	case "double", "float":
		out := make([]float64, len(vs))
		for i, v := range vs {
			out[i], _ = v.(float64)
		}
		return out
	case "boolean":
		out := make([]bool, len(vs))
		for i, v := range vs {
			out[i], _ = v.(bool)
		}
		return out
	}
	return vs
}

// specialStringTag is StringToObjectConverter.convertSpecialStringTags:
// "[null]" is null and `""` the empty string (for GET URLs).
func specialStringTag(s *string) *string {
	if s == nil {
		return nil
	}
	switch *s {
	case "[null]":
		return nil
	case `""`:
		e := ""
		return &e
	}
	return s
}

func convertFromString(typ, s string) (any, *jexc) {
	p := specialStringTag(&s)
	if p == nil {
		return nil, nil
	}
	value := *p
	if strings.HasPrefix(typ, "[") && len(typ) >= 2 {
		comp, err := componentName(typ)
		if err != nil {
			return nil, err
		}
		parts := splitEscaped(value, pathEscape, ',')
		out := make([]any, len(parts))
		for i, part := range parts {
			if part == "[null]" {
				if primitiveTypes[comp] {
					return nil, newExcNoMsg(IllegalArgumentException)
				}
				continue
			}
			v, err := convertFromString(comp, part)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return typedArray(comp, out), nil
	}
	switch typ {
	case "java.lang.String":
		return value, nil
	case "boolean", "java.lang.Boolean":
		return strings.EqualFold(value, "true"), nil
	case "char", "java.lang.Character":
		if value == "" {
			return nil, newExc("java.lang.StringIndexOutOfBoundsException", "String index out of range: 0")
		}
		r := []rune(value)
		return string(r[0]), nil
	case "byte", "java.lang.Byte":
		return parseJavaInt(value, -128, 127, true)
	case "short", "java.lang.Short":
		return parseJavaInt(value, math.MinInt16, math.MaxInt16, true)
	case "int", "java.lang.Integer":
		return parseJavaInt(value, math.MinInt32, math.MaxInt32, false)
	case "long", "java.lang.Long":
		return parseJavaInt(value, math.MinInt64, math.MaxInt64, false)
	case "double", "java.lang.Double":
		return parseJavaFloat(value, 64)
	case "float", "java.lang.Float":
		return parseJavaFloat(value, 32)
	case "java.math.BigInteger":
		if b, ok := new(big.Int).SetString(value, 10); ok {
			return b, nil
		}
		return nil, numberFormat(value, 10)
	case "java.math.BigDecimal":
		if b, ok := new(big.Float).SetPrec(200).SetString(value); ok {
			return b, nil
		}
		return nil, newExcNoMsg("java.lang.NumberFormatException")
	case "java.util.Date":
		if ms, err := strconv.ParseInt(value, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), nil
		}
		if t, err := time.Parse(time.RFC3339, value); err == nil {
			return t, nil
		}
		return nil, newExc(IllegalArgumentException, "Cannot parse date '"+value+"'")
	case "javax.management.ObjectName":
		if _, err := parseObjectName(value); err != nil {
			return nil, newExc(IllegalArgumentException, "Cannot parse ObjectName "+value+": "+err.String()).withCause(err)
		}
		return value, nil
	case "java.util.Map", "java.util.List", jsonObjectClass, jsonArrayClass:
		v, err := parseJSON(value)
		if err != nil {
			if err.class == parseExcClass {
				return nil, newExc(IllegalArgumentException, "Cannot parse JSON "+value+": "+err.String()).withCause(err)
			}
			return nil, err
		}
		return natural(v), nil
	}
	return nil, newExc(IllegalArgumentException, "Cannot convert string "+value+" to type "+typ+" because no converter could be found")
}

// numberFormat is NumberFormatException.forInputString of JDK 17.
func numberFormat(s string, radix int) *jexc {
	m := `For input string: "` + s + `"`
	if radix != 10 {
		m += " under radix " + strconv.Itoa(radix)
	}
	return newExc("java.lang.NumberFormatException", m)
}

// parseJavaInt is Integer/Long.parseInt (and Byte/Short.parseX, whose range
// errors read differently). Like Java it accepts a leading '+' and any
// Unicode decimal digits.
func parseJavaInt(s string, lo, hi int64, small bool) (any, *jexc) {
	rs := []rune(s)
	if len(rs) == 0 {
		return nil, numberFormat(s, 10)
	}
	i := 0
	neg := false
	if rs[0] == '-' || rs[0] == '+' {
		neg = rs[0] == '-'
		i = 1
		if len(rs) == 1 {
			return nil, numberFormat(s, 10)
		}
	}
	v := new(big.Int)
	for ; i < len(rs); i++ {
		d := digitValue(rs[i])
		if d < 0 {
			return nil, numberFormat(s, 10)
		}
		v.Mul(v, big.NewInt(10))
		v.Add(v, big.NewInt(int64(d)))
	}
	if neg {
		v.Neg(v)
	}
	if !v.IsInt64() || v.Int64() < lo || v.Int64() > hi {
		if small && v.IsInt64() && v.Int64() >= math.MinInt32 && v.Int64() <= math.MaxInt32 {
			return nil, newExc("java.lang.NumberFormatException", `Value out of range. Value:"`+s+`" Radix:10`)
		}
		return nil, numberFormat(s, 10)
	}
	return v.Int64(), nil
}

// digitValue is Character.digit(r, 10): Unicode decimal digits come in runs
// of ten starting at a multiple of ten.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if !unicode.IsDigit(r) {
		return -1
	}
	start := r
	for start > 0 && unicode.IsDigit(start-1) && r-start < 9 {
		start--
	}
	return int(r-start) % 10
}

// parseJavaFloat is Double.parseDouble/Float.parseFloat: surrounding
// whitespace and a trailing type suffix are accepted, as are "NaN" and
// "Infinity" (case-sensitive) and hexadecimal floating literals.
func parseJavaFloat(s string, bits int) (any, *jexc) {
	t := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if t == "" {
		if s == "" {
			return nil, newExc("java.lang.NumberFormatException", "empty String")
		}
		return nil, numberFormat(s, 10)
	}
	body := t
	sign := ""
	if body[0] == '+' || body[0] == '-' {
		sign, body = body[:1], body[1:]
	}
	var f float64
	switch {
	case body == "NaN":
		f = math.NaN()
	case body == "Infinity":
		f = math.Inf(1)
		if sign == "-" {
			f = math.Inf(-1)
		}
	default:
		if n := len(body); n > 1 && strings.ContainsRune("fFdD", rune(body[n-1])) {
			body = body[:n-1]
		}
		if !javaFloatSyntax(body) {
			return nil, numberFormat(s, 10)
		}
		var err error
		f, err = strconv.ParseFloat(sign+body, bits)
		if err != nil && !isRangeErr(err) {
			return nil, numberFormat(s, 10)
		}
	}
	if bits == 32 {
		return float64(float32(f)), nil
	}
	return f, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// javaFloatSyntax accepts decimal ("1", "1.", ".5", "1e5") and hexadecimal
// ("0x1.8p3") floating literals without sign or suffix.
func javaFloatSyntax(s string) bool {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		h := s[2:]
		mant, exp, ok := strings.Cut(strings.ToLower(h), "p")
		if !ok || exp == "" {
			return false
		}
		if exp[0] == '+' || exp[0] == '-' {
			exp = exp[1:]
		}
		if exp == "" || strings.Trim(exp, "0123456789") != "" {
			return false
		}
		ip, fp, _ := strings.Cut(mant, ".")
		if ip+fp == "" || strings.Trim(ip+fp, "0123456789abcdef") != "" {
			return false
		}
		return true
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if exp == "" || strings.Trim(exp, "0123456789") != "" {
			return false
		}
	}
	ip, fp, _ := strings.Cut(mant, ".")
	if ip+fp == "" || strings.Trim(ip, "0123456789") != "" || strings.Trim(fp, "0123456789") != "" {
		return false
	}
	return strings.Count(mant, ".") <= 1
}

// ---------------------------------------------------------------------------
// Go values returned by MBeans to the Java model.

// toJava converts a value returned by Get or Call into the Java model the
// serializer understands: nil, bool, string, Go integers and floats, *Map
// and []any (a java.util.List).
func toJava(v any) any {
	switch x := v.(type) {
	case nil, bool, string, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		return v
	case *Map:
		out := &Map{json: x.json}
		for _, e := range x.entries {
			out.Put(e.key, toJava(e.val))
		}
		return out
	case jlist:
		out := make(jlist, len(x))
		for i, e := range x {
			out[i] = toJava(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toJava(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]string:
		ks := make([]string, 0, len(x))
		for k := range x {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		m := NewMap()
		for _, k := range ks {
			m.Put(k, x[k])
		}
		return m
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return toJava(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = toJava(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		type kv struct {
			k string
			v any
		}
		var kvs []kv
		it := rv.MapRange()
		for it.Next() {
			kvs = append(kvs, kv{fmt.Sprint(it.Key().Interface()), it.Value().Interface()})
		}
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
		m := NewMap()
		for _, e := range kvs {
			m.Put(e.k, toJava(e.v))
		}
		return m
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return rv.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint()
	case reflect.Float32:
		return float32(rv.Float())
	case reflect.Float64:
		return rv.Float()
	}
	return fmt.Sprint(v)
}

// ---------------------------------------------------------------------------
// Java model to the JSON tree: Jolokia's ObjectToJsonConverter with its
// limits (maxDepth, maxCollectionSize, maxObjects), inner paths and fault
// handler.

type serializer struct {
	maxDepth, maxColl, maxObjects int
	ignoreErrors                  bool
	depth, objects                int
}

func (s *serializer) fault(e *jexc) (any, *jexc) {
	if s.ignoreErrors {
		return "ERROR: " + e.message() + " (class " + e.class + ")", nil
	}
	return nil, e
}

// extract converts v, following path (nil parts are wildcards) into it.
func (s *serializer) extract(v any, path []*string) (any, *jexc) {
	if v != nil && s.maxDepth != 0 && s.depth >= s.maxDepth {
		// Past maxDepth Jolokia uses the value's string representation.
		return javaToString(v), nil
	}
	if s.maxObjects != 0 && s.objects > s.maxObjects {
		return "[Object limit exceeded]", nil
	}
	s.depth++
	s.objects++
	defer func() { s.depth-- }()
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *Map:
		return s.extractMap(x, path)
	case jlist:
		return s.extractList([]any(x), path)
	case []any:
		return s.extractList(x, path)
	}
	if len(path) > 0 && path[0] != nil {
		return s.fault(newExc("javax.management.AttributeNotFoundException",
			"No getter known for attribute "+*path[0]+" for class "+javaClassOf(v)))
	}
	return v, nil
}

func (s *serializer) collLen(n int) int {
	if s.maxColl != 0 && n > s.maxColl {
		return s.maxColl
	}
	return n
}

func (s *serializer) extractMap(m *Map, path []*string) (any, *jexc) {
	if len(path) > 0 && path[0] != nil {
		key := *path[0]
		if v, ok := m.Get(key); ok {
			return s.extract(v, path[1:])
		}
		str := javaToString(m)
		if len(str) > 400 {
			str = str[:400] + " ..."
		}
		return s.fault(newExc("javax.management.AttributeNotFoundException",
			"Map key '"+key+"' is unknown for map "+str))
	}
	rest := path
	if len(path) > 0 {
		rest = path[1:]
	}
	limit := s.collLen(m.Len())
	out := newJSONMap()
	i := 0
	for _, e := range m.sorted() {
		v, err := s.extract(e.val, rest)
		if err != nil {
			return nil, err
		}
		out.put(e.key, v, e.hash, true)
		// MapExtractor stops only once one entry past the limit is in.
		i++
		if i > limit {
			break
		}
	}
	return out, nil
}

func (s *serializer) extractList(l []any, path []*string) (any, *jexc) {
	if len(path) > 0 && path[0] != nil {
		idx, err := parseJavaInt(*path[0], math.MinInt32, math.MaxInt32, false)
		if err != nil {
			return nil, err
		}
		i := idx.(int64)
		if i < 0 || i >= int64(len(l)) {
			return nil, newExc("java.lang.IndexOutOfBoundsException",
				fmt.Sprintf("Index %d out of bounds for length %d", i, len(l)))
		}
		return s.extract(l[i], path[1:])
	}
	rest := path
	if len(path) > 0 {
		rest = path[1:]
	}
	n := s.collLen(len(l))
	out := make(jlist, 0, max(n, 0))
	for i := 0; i < n; i++ {
		v, err := s.extract(l[i], rest)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
