package cql

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ringside/ringside/sim/cqltype"
)

// fuzzTypes are the receiver types FuzzParse evaluates every term with.
var fuzzTypes = func() []cqltype.Type {
	var ts []cqltype.Type
	for _, s := range []string{"int", "bigint", "counter", "text", "ascii", "blob", "boolean", "double", "float",
		"decimal", "varint", "timestamp", "date", "time", "uuid", "timeuuid", "inet", "duration", "smallint",
		"tinyint", "list<int>", "set<text>", "map<text, frozen<list<int>>>", "tuple<int, text, timestamp>"} {
		t, _ := cqltype.Parse(s)
		ts = append(ts, t)
	}
	return ts
}()

// FuzzParse checks that no input makes Parse or Eval panic, and that
// errors are the documented kinds. The seed corpus (testdata/fuzz/FuzzParse)
// has a statement of every kind.
func FuzzParse(f *testing.F) {
	for _, q := range gocqlQueries {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		st, err := Parse(q)
		if err != nil {
			var se *SyntaxError
			var ie *InvalidError
			if !errors.As(err, &se) && !errors.As(err, &ie) {
				t.Fatalf("Parse(%q): unexpected error %T: %v", q, err, err)
			}
			if se != nil && se.Line > 0 && !strings.HasPrefix(se.Msg, "line ") {
				t.Fatalf("Parse(%q): position without header: %q", q, se.Msg)
			}
			if !utf8.ValidString(err.Error()) && utf8.ValidString(q) {
				t.Fatalf("Parse(%q): invalid UTF-8 in %q", q, err.Error())
			}
			return
		}
		if st == nil {
			t.Fatalf("Parse(%q) = nil, nil", q)
		}
		for _, term := range statementTerms(st) {
			for _, typ := range fuzzTypes {
				_, err := term.Eval(typ, testBinder{int64(1), "x", nil, Unset})
				var ie *InternalError
				if errors.As(err, &ie) {
					t.Fatalf("Eval(%s, %s) in %q: %v", term, typ, q, err)
				}
				_ = term.String()
			}
		}
	})
}

// statementTerms collects the terms of a statement.
func statementTerms(st Statement) []*Term {
	var out []*Term
	add := func(ts ...*Term) {
		for _, t := range ts {
			if t != nil {
				out = append(out, t)
			}
		}
	}
	rels := func(rs []Relation) {
		for i := range rs {
			add(&rs[i].Value, rs[i].Key)
		}
	}
	conds := func(cs []Condition) {
		for i := range cs {
			add(&cs[i].Value, cs[i].Key)
		}
	}
	var sels func([]Selector)
	sels = func(ss []Selector) {
		for i := range ss {
			add(&ss[i].Term, ss[i].From, ss[i].To)
			sels(ss[i].Args)
		}
	}
	switch s := st.(type) {
	case *Select:
		sels(s.Selectors)
		rels(s.Where)
		add(s.Limit, s.PerPartitionLimit)
	case *Insert:
		for i := range s.Values {
			add(&s.Values[i])
		}
		add(s.JSON, s.Using.TTL, s.Using.Timestamp)
	case *Update:
		for i := range s.Set {
			add(&s.Set[i].Value, s.Set[i].Key)
		}
		rels(s.Where)
		conds(s.If)
		add(s.Using.TTL, s.Using.Timestamp)
	case *Delete:
		for i := range s.Columns {
			add(s.Columns[i].Key)
		}
		rels(s.Where)
		conds(s.If)
		add(s.Using.Timestamp)
	case *Batch:
		add(s.Using.TTL, s.Using.Timestamp)
		for _, b := range s.Statements {
			out = append(out, statementTerms(b)...)
		}
	case *CreateKeyspace:
		for i := range s.Properties {
			add(&s.Properties[i].Value)
		}
	}
	return out
}

func TestParseDeepNesting(t *testing.T) {
	for _, q := range []string{
		"SELECT * FROM t WHERE k = " + strings.Repeat("[", 100000),
		"SELECT " + strings.Repeat("(", 100000) + "a FROM t",
		"SELECT * FROM t WHERE " + strings.Repeat("(", 100000) + "k = 1",
		"CREATE TABLE t (k " + strings.Repeat("list<", 100000),
	} {
		if _, err := Parse(q); err == nil {
			t.Errorf("Parse(%.40q…) succeeded", q)
		}
	}
	// Nested type hints are valid, and must not take exponential time.
	for _, q := range []string{
		"SELECT * FROM t WHERE k = " + strings.Repeat("[", 50) + strings.Repeat("]", 50),
		"SELECT " + strings.Repeat("(int)", 60) + "a FROM t",
		"SELECT " + strings.Repeat("(a)", 60) + " FROM t",
	} {
		if _, err := Parse(q); err != nil {
			t.Errorf("Parse(%.40q…): %v", q, err)
		}
	}
}
