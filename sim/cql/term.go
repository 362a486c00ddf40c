package cql

import (
	"strings"

	"github.com/ringside/ringside/sim/cqltype"
)

// String formats t as Cassandra's Term.Raw.getText does; error messages
// quote terms this way (e.g. "value 'a' is not of type int").
func (t Term) String() string {
	switch t.Kind {
	case TermNull:
		return "NULL"
	case TermString:
		return "'" + t.Text + "'"
	case TermBlob:
		return "0x" + t.Text
	case TermBind:
		return "?"
	case TermList:
		return joinTerms("[", t.Elems, "]")
	case TermSet:
		return joinTerms("{", t.Elems, "}")
	case TermTuple:
		return joinTerms("(", t.Elems, ")")
	case TermMap, TermUDT:
		parts := make([]string, len(t.Keys))
		for i, k := range t.Keys {
			ks := k.String()
			if t.Kind == TermUDT {
				ks = k.Text
			}
			parts[i] = ks + ": " + t.Elems[i].String()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case TermFunc:
		name := t.Func
		if strings.HasPrefix(name, "_") {
			name = "system." + name
		}
		if name == "cast" {
			return "cast(" + t.Args[0].String() + " AS " + t.Type.String() + ")"
		}
		return name + joinTerms("(", t.Args, ")")
	case TermCast:
		inner := ""
		if len(t.Elems) > 0 {
			inner = t.Elems[0].String()
		}
		return "(" + t.Type.String() + ")" + inner
	}
	return t.Text
}

func joinTerms(open string, ts []Term, close string) string {
	parts := make([]string, len(ts))
	for i, e := range ts {
		parts[i] = e.String()
	}
	return open + strings.Join(parts, ", ") + close
}

// isConstant reports whether t is a Constants.Literal of Cassandra.
func (t Term) isConstant() bool {
	switch t.Kind {
	case TermString, TermInteger, TermFloat, TermBoolean, TermUUID, TermBlob, TermDuration:
		return true
	}
	return false
}

// rawText is Constants.Literal.getRawText: the text without quotes.
func (t Term) rawText() string {
	if t.Kind == TermBlob {
		return "0x" + t.Text
	}
	return t.Text
}

// constantKind is the Constants.Type name Cassandra prints in "Invalid X
// constant" errors.
func (t Term) constantKind() string {
	switch t.Kind {
	case TermString:
		return "STRING"
	case TermInteger:
		return "INTEGER"
	case TermFloat:
		return "FLOAT"
	case TermBoolean:
		return "BOOLEAN"
	case TermUUID:
		return "UUID"
	case TermBlob:
		return "HEX"
	case TermDuration:
		return "DURATION"
	}
	return ""
}

// assignment is Cassandra's AssignmentTestable.TestResult.
type assignment int

const (
	notAssignable assignment = iota
	weaklyAssignable
	exactMatch
)

func (a assignment) ok() bool { return a != notAssignable }

// preferredType is Constants.Type.getPreferedTypeFor: the type a constant
// matches exactly.
func (t Term) preferredType() (cqltype.ID, bool) {
	switch t.Kind {
	case TermString:
		for _, r := range t.Text {
			if r > 127 {
				return cqltype.Varchar, true
			}
		}
		return cqltype.Ascii, true
	case TermInteger:
		if v, ok := parseInt(t.Text, 64); ok {
			if v == int64(int32(v)) {
				return cqltype.Int, true
			}
			return cqltype.Bigint, true
		}
		return cqltype.Varint, true
	case TermUUID:
		if u, ok := parseUUID(t.Text); ok && u.Version() == 1 {
			return cqltype.Timeuuid, true
		}
		return cqltype.UUIDID, true
	case TermFloat:
		return cqltype.Double, true
	case TermBoolean:
		return cqltype.Boolean, true
	case TermBlob:
		return cqltype.Tinyint, true // ByteType, as in Cassandra
	case TermDuration:
		return cqltype.DurationID, true
	}
	return 0, false
}

// constantAssignable is Constants.Literal.testAssignment.
func (t Term) constantAssignable(typ cqltype.Type) assignment {
	if typ.IsCollection() || typ.ID == cqltype.UDT || typ.ID == cqltype.Tuple {
		return notAssignable
	}
	if typ.ID == cqltype.Custom {
		return weaklyAssignable
	}
	if p, ok := t.preferredType(); ok && p == typ.ID {
		return exactMatch
	}
	ok := false
	switch t.Kind {
	case TermString:
		switch typ.ID {
		case cqltype.Ascii, cqltype.Varchar, cqltype.Inet, cqltype.DateID, cqltype.TimeID, cqltype.Timestamp:
			ok = true
		}
	case TermInteger:
		switch typ.ID {
		case cqltype.Bigint, cqltype.Counter, cqltype.DateID, cqltype.DecimalID, cqltype.Double, cqltype.DurationID,
			cqltype.Float, cqltype.Int, cqltype.Smallint, cqltype.TimeID, cqltype.Timestamp, cqltype.Tinyint, cqltype.Varint:
			ok = true
		}
	case TermUUID:
		ok = typ.ID == cqltype.UUIDID || typ.ID == cqltype.Timeuuid
	case TermFloat:
		ok = typ.ID == cqltype.DecimalID || typ.ID == cqltype.Double || typ.ID == cqltype.Float
	case TermBoolean:
		ok = typ.ID == cqltype.Boolean
	case TermBlob:
		ok = typ.ID == cqltype.Blob
	case TermDuration:
		ok = typ.ID == cqltype.DurationID
	}
	if ok {
		return weaklyAssignable
	}
	return notAssignable
}

// testAssignment is Term.Raw.testAssignment for every kind of term.
func (t Term) testAssignment(typ cqltype.Type) assignment {
	switch t.Kind {
	case TermNull:
		if typ.ID == cqltype.Counter {
			return notAssignable
		}
		return weaklyAssignable
	case TermBind:
		return weaklyAssignable
	case TermList:
		if typ.ID != cqltype.List {
			return notAssignable
		}
		if len(t.Elems) == 0 {
			return weaklyAssignable
		}
		return testAll(typ.Elems[0], t.Elems)
	case TermSet:
		if typ.ID != cqltype.Set {
			return notAssignable
		}
		return testAll(typ.Elems[0], t.Elems)
	case TermMap:
		if len(t.Keys) == 0 {
			// {} is an empty set literal to Cassandra, valid for sets and maps.
			if typ.ID == cqltype.Set || typ.ID == cqltype.Map {
				return weaklyAssignable
			}
			return notAssignable
		}
		if typ.ID != cqltype.Map {
			return notAssignable
		}
		k := testAll(typ.Elems[0], t.Keys)
		v := testAll(typ.Elems[1], t.Elems)
		return min(k, v)
	case TermTuple:
		if typ.ID != cqltype.Tuple || len(t.Elems) > len(typ.Elems) {
			return notAssignable
		}
		res := exactMatch
		for i, e := range t.Elems {
			res = min(res, e.testAssignment(typ.Elems[i]))
		}
		return res
	case TermUDT:
		if typ.ID == cqltype.UDT {
			return weaklyAssignable
		}
		return notAssignable
	case TermCast:
		if typ.Equal(t.Type) {
			return exactMatch
		}
		if valueCompatible(typ, t.Type) {
			return weaklyAssignable
		}
		return notAssignable
	case TermFunc:
		ret, ok := functionReturnType(t)
		switch {
		case !ok:
			return weaklyAssignable
		case typ.Equal(ret):
			return exactMatch
		case valueCompatible(typ, ret):
			return weaklyAssignable
		}
		return notAssignable
	}
	return t.constantAssignable(typ)
}

func testAll(typ cqltype.Type, ts []Term) assignment {
	res := exactMatch
	for _, e := range ts {
		res = min(res, e.testAssignment(typ))
		if res == notAssignable {
			return res
		}
	}
	return res
}

// valueCompatible is AbstractType.isValueCompatibleWith: whether values of
// type from are valid values of type to.
func valueCompatible(to, from cqltype.Type) bool {
	if to.Equal(from) {
		return true
	}
	a, b := to, from
	a.Frozen, b.Frozen = false, false
	if a.Equal(b) {
		return true
	}
	switch to.ID {
	case cqltype.Blob:
		return true
	case cqltype.Varchar:
		return from.ID == cqltype.Ascii
	case cqltype.Bigint:
		return from.ID == cqltype.Timestamp
	case cqltype.Timestamp:
		return from.ID == cqltype.Bigint
	case cqltype.Varint:
		switch from.ID {
		case cqltype.Int, cqltype.Bigint, cqltype.Timestamp:
			return true
		}
	case cqltype.UUIDID:
		return from.ID == cqltype.Timeuuid
	}
	return false
}

// StringValue returns the text of a simple property (name = constant) as
// Cassandra keeps it: strings unquoted, other constants as written.
func (p Property) StringValue() (string, bool) {
	if !p.Value.isConstant() {
		return "", false
	}
	return p.Value.rawText(), true
}

// MapValue returns a map property (replication, compaction, caching …) as
// Cassandra keeps it: keys and values as their raw text.
func (p Property) MapValue() (map[string]string, bool) {
	if p.Value.Kind != TermMap {
		return nil, false
	}
	m := make(map[string]string, len(p.Value.Keys))
	for i, k := range p.Value.Keys {
		m[k.rawText()] = p.Value.Elems[i].rawText()
	}
	return m, true
}
