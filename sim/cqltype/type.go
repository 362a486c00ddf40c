// Package cqltype is the simulator's model of CQL data types: the type tree
// (as system_schema.columns spells it and as native protocol v4 encodes it,
// see native_protocol_v4.spec section 4.2.5.2), and Go representations of
// values of those types.
//
// Go representation of values (nil is CQL null everywhere):
//
//	ascii, text/varchar   string
//	bigint, counter       int64
//	int                   int32
//	smallint              int16
//	tinyint               int8
//	boolean               bool
//	blob                  []byte
//	double                float64
//	float                 float32
//	decimal               Decimal
//	varint                *big.Int
//	timestamp             time.Time (UTC, millisecond precision)
//	date                  Date (days since 1970-01-01, may be negative)
//	time                  Time (nanoseconds since midnight)
//	uuid, timeuuid        UUID
//	inet                  netip.Addr
//	duration              Duration
//	list<T>, set<T>       []any (a set is kept sorted by Compare and unique)
//	map<K,V>              []Pair (kept sorted by key, unique keys)
//	tuple<...>            []any, one per element
package cqltype

import (
	"fmt"
	"strings"
)

// ID is the native protocol [option] id of a type.
type ID uint16

// Option ids from native_protocol_v4.spec, section 4.2.5.2.
const (
	Custom     ID = 0x0000
	Ascii      ID = 0x0001
	Bigint     ID = 0x0002
	Blob       ID = 0x0003
	Boolean    ID = 0x0004
	Counter    ID = 0x0005
	DecimalID  ID = 0x0006
	Double     ID = 0x0007
	Float      ID = 0x0008
	Int        ID = 0x0009
	Timestamp  ID = 0x000B
	UUIDID     ID = 0x000C
	Varchar    ID = 0x000D
	Varint     ID = 0x000E
	Timeuuid   ID = 0x000F
	Inet       ID = 0x0010
	DateID     ID = 0x0011
	TimeID     ID = 0x0012
	Smallint   ID = 0x0013
	Tinyint    ID = 0x0014
	DurationID ID = 0x0015
	List       ID = 0x0020
	Map        ID = 0x0021
	Set        ID = 0x0022
	UDT        ID = 0x0030
	Tuple      ID = 0x0031
)

// Type is a CQL type. Elems holds the element type of list/set, key and
// value of map, and the element types of tuple.
type Type struct {
	ID     ID
	Elems  []Type
	Frozen bool
	// Class is the Java class name of a custom type (ID Custom).
	Class string
}

var simpleNames = map[string]ID{
	"ascii": Ascii, "bigint": Bigint, "blob": Blob, "boolean": Boolean,
	"counter": Counter, "decimal": DecimalID, "double": Double, "float": Float,
	"int": Int, "timestamp": Timestamp, "uuid": UUIDID, "text": Varchar,
	"varchar": Varchar, "varint": Varint, "timeuuid": Timeuuid, "inet": Inet,
	"date": DateID, "time": TimeID, "smallint": Smallint, "tinyint": Tinyint,
	"duration": DurationID,
}

var idNames = map[ID]string{
	Ascii: "ascii", Bigint: "bigint", Blob: "blob", Boolean: "boolean",
	Counter: "counter", DecimalID: "decimal", Double: "double", Float: "float",
	Int: "int", Timestamp: "timestamp", UUIDID: "uuid", Varchar: "text",
	Varint: "varint", Timeuuid: "timeuuid", Inet: "inet", DateID: "date",
	TimeID: "time", Smallint: "smallint", Tinyint: "tinyint", DurationID: "duration",
}

// Simple returns the type with the given id and no parameters.
func Simple(id ID) Type { return Type{ID: id} }

// Convenience constructors.
var (
	TextT      = Type{ID: Varchar}
	IntT       = Type{ID: Int}
	BigintT    = Type{ID: Bigint}
	BooleanT   = Type{ID: Boolean}
	UUIDT      = Type{ID: UUIDID}
	TimeuuidT  = Type{ID: Timeuuid}
	InetT      = Type{ID: Inet}
	BlobT      = Type{ID: Blob}
	TimestampT = Type{ID: Timestamp}
	DoubleT    = Type{ID: Double}
)

// ListOf, SetOf and MapOf build collection types.
func ListOf(e Type) Type     { return Type{ID: List, Elems: []Type{e}} }
func SetOf(e Type) Type      { return Type{ID: Set, Elems: []Type{e}} }
func MapOf(k, v Type) Type   { return Type{ID: Map, Elems: []Type{k, v}} }
func TupleOf(e ...Type) Type { return Type{ID: Tuple, Elems: e, Frozen: true} }

// IsCollection reports whether t is a list, set or map.
func (t Type) IsCollection() bool { return t.ID == List || t.ID == Set || t.ID == Map }

// String formats t the way system_schema.columns.type does:
// "text", "set<text>", "map<uuid, blob>", "frozen<list<int>>".
func (t Type) String() string {
	var s string
	switch t.ID {
	case List:
		s = "list<" + t.Elems[0].String() + ">"
	case Set:
		s = "set<" + t.Elems[0].String() + ">"
	case Map:
		s = "map<" + t.Elems[0].String() + ", " + t.Elems[1].String() + ">"
	case Tuple:
		parts := make([]string, len(t.Elems))
		for i, e := range t.Elems {
			parts[i] = e.String()
		}
		// Tuples are always frozen; Cassandra prints them as frozen<tuple<...>>.
		return "frozen<tuple<" + strings.Join(parts, ", ") + ">>"
	case Custom:
		return "'" + t.Class + "'"
	default:
		if n, ok := idNames[t.ID]; ok {
			s = n
		} else {
			s = fmt.Sprintf("unknown(0x%04x)", uint16(t.ID))
		}
	}
	if t.Frozen {
		return "frozen<" + s + ">"
	}
	return s
}

// Equal reports whether two types are identical.
func (t Type) Equal(o Type) bool {
	if t.ID != o.ID || t.Frozen != o.Frozen || t.Class != o.Class || len(t.Elems) != len(o.Elems) {
		return false
	}
	for i := range t.Elems {
		if !t.Elems[i].Equal(o.Elems[i]) {
			return false
		}
	}
	return true
}

// Parse parses a CQL type as written in DDL or in system_schema.columns.type.
// Names are case-insensitive; whitespace is free.
func Parse(s string) (Type, error) {
	p := &typeParser{s: s}
	t, err := p.parse()
	if err != nil {
		return Type{}, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return Type{}, fmt.Errorf("unexpected %q after type in %q", p.s[p.i:], s)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *typeParser) ident() string {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return strings.ToLower(p.s[start:p.i])
}

func (p *typeParser) expect(c byte) error {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("expected '%c' in type %q", c, p.s)
	}
	p.i++
	return nil
}

func (p *typeParser) args(n int) ([]Type, error) {
	if err := p.expect('<'); err != nil {
		return nil, err
	}
	var out []Type
	for {
		t, err := p.parse()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		break
	}
	if err := p.expect('>'); err != nil {
		return nil, err
	}
	if n > 0 && len(out) != n {
		return nil, fmt.Errorf("type %q: wrong number of type arguments", p.s)
	}
	return out, nil
}

func (p *typeParser) parse() (Type, error) {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '\'' {
		end := strings.IndexByte(p.s[p.i+1:], '\'')
		if end < 0 {
			return Type{}, fmt.Errorf("unterminated custom type in %q", p.s)
		}
		cls := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return Type{ID: Custom, Class: cls}, nil
	}
	name := p.ident()
	if name == "" {
		return Type{}, fmt.Errorf("missing type name in %q", p.s)
	}
	switch name {
	case "frozen":
		a, err := p.args(1)
		if err != nil {
			return Type{}, err
		}
		t := a[0]
		t.Frozen = true
		return t, nil
	case "list", "set":
		a, err := p.args(1)
		if err != nil {
			return Type{}, err
		}
		if name == "list" {
			return ListOf(a[0]), nil
		}
		return SetOf(a[0]), nil
	case "map":
		a, err := p.args(2)
		if err != nil {
			return Type{}, err
		}
		return MapOf(a[0], a[1]), nil
	case "tuple":
		a, err := p.args(0)
		if err != nil {
			return Type{}, err
		}
		return TupleOf(a...), nil
	}
	if id, ok := simpleNames[name]; ok {
		return Type{ID: id}, nil
	}
	return Type{}, fmt.Errorf("unknown type %s", name)
}
