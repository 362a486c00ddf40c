package schema

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ringside/ringside/sim/cqltype"
)

func col(name string, kind Kind, pos int, typ string) *Column {
	t, err := cqltype.Parse(typ)
	if err != nil {
		panic(err)
	}
	return &Column{Name: name, Kind: kind, Position: pos, Type: t}
}

func pkc(name string, pos int, typ string) *Column { return col(name, PartitionKey, pos, typ) }
func ckc(name string, pos int, typ string) *Column { return col(name, Clustering, pos, typ) }
func reg(name, typ string) *Column                 { return col(name, Regular, 0, typ) }
func stat(name, typ string) *Column                { return col(name, Static, 0, typ) }

func TestNewTable(t *testing.T) {
	desc := ckc("ts", 1, "timestamp")
	desc.ClusteringOrder = "desc"
	in := []*Column{reg("v", "text"), desc, pkc("b", 1, "int"), ckc("c", 0, "text"),
		pkc("a", 0, "uuid"), stat("s", "int"), reg("l", "list<int>"),
		reg("f", "frozen<map<text, list<int>>>"), reg("tu", "tuple<int, list<int>>")}
	tb, err := NewTable("ks", "t", in)
	if err != nil {
		t.Fatal(err)
	}
	checkTableLayout(t, tb)
	if got := columnNames(tb.Columns); !reflect.DeepEqual(got, []string{"a", "b", "c", "f", "l", "s", "ts", "tu", "v"}) {
		t.Errorf("columns %v", got)
	}
	if got := columnNames(tb.PartitionKey); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("partition key %v", got)
	}
	if got := columnNames(tb.Clustering); !reflect.DeepEqual(got, []string{"c", "ts"}) {
		t.Errorf("clustering %v", got)
	}
	if tb.Column("c").ClusteringOrder != "asc" || tb.Column("ts").ClusteringOrder != "desc" {
		t.Error("clustering orders")
	}
	if c := tb.Column("s"); c.Kind != Static || c.Position != -1 || c.ClusteringOrder != "none" {
		t.Errorf("static column %+v", c)
	}
	for name, want := range map[string]string{
		"f":  "frozen<map<text, frozen<list<int>>>>",
		"tu": "frozen<tuple<int, frozen<list<int>>>>",
		"l":  "list<int>",
	} {
		if got := tb.Column(name).Type.String(); got != want {
			t.Errorf("%s: type %s, want %s", name, got, want)
		}
	}
	if in[0].Position != 0 || in[1].ClusteringOrder != "desc" || in[6].Type.String() != "list<int>" {
		t.Error("NewTable modified its input")
	}
	if tb.Column("v") == in[0] {
		t.Error("NewTable kept the caller's column")
	}
	if !reflect.DeepEqual(tb.Options, DefaultTableOptions()) {
		t.Errorf("options %v", tb.Options)
	}
	if tb.ID != (cqltype.UUID{}) || tb.Keyspace != "ks" || tb.Name != "t" || tb.Virtual || tb.Comment != "" {
		t.Errorf("table %+v", tb)
	}

	if _, err := NewTable("ks", "c", []*Column{pkc("k", 0, "text"), ckc("c", 0, "int"),
		reg("n", "counter"), stat("m", "counter")}); err != nil {
		t.Errorf("counter table with a static counter: %v", err)
	}
	ct, err := NewTable("ks", "c", []*Column{pkc("k", 0, "text"), reg("n", "counter")})
	if err != nil {
		t.Fatal(err)
	}
	if got := ct.Options["flags"]; !reflect.DeepEqual(got, []any{"compound", "counter"}) {
		t.Errorf("counter flags %v", got)
	}
}

func TestNewTableErrors(t *testing.T) {
	cases := []struct {
		name string
		cols []*Column
		msg  string // exact InvalidRequest message; "" for a plain error
	}{
		{"dup", []*Column{pkc("k", 0, "int"), reg("v", "int"), reg("v", "text")},
			"Duplicate column 'v' declaration for table 'ks.t'"},
		{"nopk", []*Column{reg("v", "int")},
			"No PRIMARY KEY specifed for table 'ks.t' (exactly one required)"},
		{"empty", nil,
			"No PRIMARY KEY specifed for table 'ks.t' (exactly one required)"},
		{"nonfrozen pk", []*Column{pkc("k", 0, "set<int>")},
			"Invalid non-frozen collection type set<int> for PRIMARY KEY column 'k'"},
		{"nonfrozen ck", []*Column{pkc("k", 0, "int"), ckc("c", 0, "map<text, int>")},
			"Invalid non-frozen collection type map<text, int> for PRIMARY KEY column 'c'"},
		{"counter pk", []*Column{pkc("k", 0, "counter"), reg("v", "counter")},
			"counter type is not supported for PRIMARY KEY column 'k'"},
		{"duration pk", []*Column{pkc("k", 0, "frozen<list<duration>>")},
			"duration type is not supported for PRIMARY KEY column 'k'"},
		{"static", []*Column{pkc("k", 0, "int"), stat("s", "int")},
			"Static columns are only useful (and thus allowed) if the table has at least one clustering column"},
		{"mix", []*Column{pkc("k", 0, "int"), reg("c", "counter"), reg("v", "int")},
			"Cannot mix counter and non counter columns in the same table"},
		{"mix static", []*Column{pkc("k", 0, "int"), ckc("c", 0, "int"), reg("n", "counter"), stat("s", "text")},
			"Cannot mix counter and non counter columns in the same table"},
		{"nested", []*Column{pkc("k", 0, "int"), reg("l", "list<set<int>>")},
			"Non-frozen collections are not allowed inside collections: list<set<int>>"},
		{"nested key", []*Column{pkc("k", 0, "int"), reg("m", "map<list<int>, int>")},
			"Non-frozen collections are not allowed inside collections: map<list<int>, int>"},
		{"counter in list", []*Column{pkc("k", 0, "int"), reg("l", "list<counter>")},
			"Counters are not allowed inside collections: list<counter>"},
		{"counter in tuple", []*Column{pkc("k", 0, "int"), reg("t", "tuple<int, counter>")},
			"Counters are not allowed inside tuples"},
		{"duration set", []*Column{pkc("k", 0, "int"), reg("s", "set<duration>")},
			"Durations are not allowed inside sets: set<duration>"},
		{"duration frozen set", []*Column{pkc("k", 0, "frozen<set<duration>>")},
			"Durations are not allowed inside sets: frozen<set<duration>>"},
		{"duration key", []*Column{pkc("k", 0, "int"), reg("m", "map<duration, text>")},
			"Durations are not allowed as map keys: map<duration, text>"},
		{"gap", []*Column{pkc("a", 0, "int"), pkc("b", 2, "int")}, ""},
		{"same position", []*Column{pkc("a", 0, "int"), ckc("b", 0, "int"), ckc("c", 0, "int")}, ""},
		{"bad kind", []*Column{pkc("a", 0, "int"), col("b", "weird", 0, "int")}, ""},
		{"bad order", []*Column{pkc("a", 0, "int"), {Name: "c", Kind: Clustering, Type: cqltype.IntT, ClusteringOrder: "up"}}, ""},
	}
	for _, c := range cases {
		_, err := NewTable("ks", "t", c.cols)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		var ir *InvalidRequestError
		isIRE := errors.As(err, &ir)
		if c.msg == "" {
			if isIRE {
				t.Errorf("%s: InvalidRequest %q, want a plain error", c.name, err)
			}
			continue
		}
		if !isIRE || err.Error() != c.msg {
			t.Errorf("%s: error %q (InvalidRequest %v), want %q", c.name, err, isIRE, c.msg)
		}
	}
	// Durations are fine in lists, map values and tuples outside the key.
	if _, err := NewTable("ks", "t", []*Column{pkc("k", 0, "int"), reg("l", "list<duration>"),
		reg("m", "map<text, duration>"), reg("t", "tuple<int, duration>")}); err != nil {
		t.Error(err)
	}
}

func TestTableIDs(t *testing.T) {
	if got := formatUUID(TableIDFor("system", "local")); got != "7ad54392-bcdd-35a6-8417-4e047860b377" {
		t.Errorf("system.local id %s", got)
	}
	seen := map[cqltype.UUID]bool{}
	var prev int64
	for i := 0; i < 1000; i++ {
		u := NewTableID()
		if seen[u] {
			t.Fatalf("duplicate id %s", formatUUID(u))
		}
		seen[u] = true
		if u[6]>>4 != 1 || u[8]>>6 != 2 {
			t.Fatalf("%s is not a version 1 IETF UUID", formatUUID(u))
		}
		ts := int64(u[6]&0x0f)<<56 | int64(u[7])<<48 | int64(u[4])<<40 | int64(u[5])<<32 |
			int64(u[0])<<24 | int64(u[1])<<16 | int64(u[2])<<8 | int64(u[3])
		if ts <= prev {
			t.Fatalf("timestamps not increasing: %d after %d", ts, prev)
		}
		prev = ts
	}
	if _, err := parseUUID("not-a-uuid"); err == nil {
		t.Error("parseUUID accepted garbage")
	}
}
