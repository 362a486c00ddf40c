package cql

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestSyntaxErrorCaptured checks the error a real Cassandra 4.1.6 node
// returned (testdata/cassandra-4.1.6/cql-errors-and-lwt.txt), verbatim.
func TestSyntaxErrorCaptured(t *testing.T) {
	data, err := os.ReadFile("../../testdata/cassandra-4.1.6/cql-errors-and-lwt.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	found := false
	for i, l := range lines {
		q, ok := strings.CutPrefix(l, "cql> ")
		if !ok || i+1 >= len(lines) || !strings.Contains(lines[i+1], "code=0x2000") {
			continue
		}
		q = strings.TrimSpace(q[:strings.LastIndex(q, "[")])
		_, msg, _ := strings.Cut(lines[i+1], `message="`)
		msg = strings.TrimSuffix(msg, `"`)
		_, err := Parse(q)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Error() != msg {
			t.Errorf("Parse(%q) = %v, want SyntaxError %q", q, err, msg)
		}
		found = true
	}
	if !found {
		t.Fatal("no syntax error in the capture")
	}
	_, err = Parse("SELEKT * FROM system.local")
	if err == nil || err.Error() != "line 1:0 no viable alternative at input 'SELEKT' ([SELEKT]...)" {
		t.Errorf("got %v", err)
	}
}

// The messages below follow from Parser.g, Lexer.g, ANTLR 3's
// BaseRecognizer messages and Cassandra's ErrorCollector: the position is
// the offending token's (EOF has none: "line 0:-1", and no snippet), and
// the snippet shows up to ten tokens before it and two after, limited to
// those the parser had looked at.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ q, want string }{
		// Reported by users of real clusters.
		{"SELECT *", "line 0:-1 mismatched input '<EOF>' expecting K_FROM"},
		{"\n                  select * from users;\n                  select * from users;\n",
			"line 3:18 mismatched input 'select' expecting EOF (                  select * from users;                  [select]...)"},
		{"// CREATE KEYSPACE mykeyspace WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true; ",
			"line 1:132 mismatched character '<EOF>' expecting set null"},
		{"", "line 0:-1 no viable alternative at input '<EOF>'"},
		{"SELECT", "line 0:-1 no viable alternative at input '<EOF>'"},
		{"SELECT * FROM", "line 0:-1 no viable alternative at input '<EOF>'"},
		{"SELECT * FROM t WHERE k =", "line 0:-1 no viable alternative at input '<EOF>'"},
		{"INSERT INTO t (k, v) VALUES (1, 2", "line 0:-1 mismatched input '<EOF>' expecting ')'"},
		{"CREATE TABLE t (k int PRIMARY KEY, v text", "line 0:-1 mismatched input '<EOF>' expecting ')'"},
		{"SELECT * FORM t", "line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM]...)"},
		{"SELECT FROM t", "line 1:7 no viable alternative at input 'FROM' (SELECT [FROM]...)"},
		{" SELEKT", "line 1:1 no viable alternative at input 'SELEKT' ( [SELEKT])"},
		{"SELECT * FROM t WHERE k = 1 LIMT 5", "line 1:28 mismatched input 'LIMT' expecting EOF (...t WHERE k = 1 [LIMT]...)"},
		{"SELECT * FROM t WHERE k = 'abc' xyz", "line 1:32 mismatched input 'xyz' expecting EOF (...t WHERE k = 'abc' [xyz])"},
		{"SELECT * FROM t\nWHERE k = 1\nLIMT 3", "line 3:0 mismatched input 'LIMT' expecting EOF (...tWHERE k = 1[LIMT]...)"},
		{"INSERT INTO t (k, v) VALUES (1, 2) USING TTL 5 IF NOT EXISTS",
			"line 1:47 mismatched input 'IF' expecting EOF (... 2) USING TTL 5 [IF]...)"},
		{"DELETE FROM t USING TTL 5 WHERE k = 1", "line 1:20 mismatched input 'TTL' expecting K_TIMESTAMP (DELETE FROM t USING [TTL]...)"},
		{"UPDATE t SET v = 1", "line 0:-1 mismatched input '<EOF>' expecting K_WHERE"},
		{"SELECT * FROM t WHERE k = 1 AND", "line 0:-1 no viable alternative at input '<EOF>'"},
		// Two-token decisions report the second token and bracket the first.
		{"SELECT * FROM t xyz", "line 1:16 no viable alternative at input 'xyz' (SELECT * FROM [t] xyz)"},
		{"DROP FOO", "line 1:5 no viable alternative at input 'FOO' ([DROP] FOO)"},
		{"CREATE TABLE t (k int PRIMARY KEY) WITH CLUSTERING ORDER BY (c)",
			"line 1:62 no viable alternative at input ')' (...WITH CLUSTERING ORDER BY (c[)])"},
		// Lexer errors: no snippet.
		{"SELECT 'abc", "line 1:11 mismatched character '<EOF>' expecting '''"},
		{`SELECT "abc`, `line 1:11 mismatched character '<EOF>' expecting '"'`},
		{"SELECT * FROM t /* unterminated", "line 1:31 mismatched character '<EOF>' expecting '*'"},
		{"SELECT * FROM t WHERE k = $$abc", "line 1:30 mismatched character 'c' expecting '$'"},
		{"SELECT * FROM t WHERE k = 1 @ AND", "line 1:28 no viable alternative at character '@'"},
		{"SELECT * FROM t WHERE k = 1 !", "line 1:29 mismatched character '<EOF>' expecting '='"},
		{"SELECT * FROM t WHERE k = 1 -- comment", "line 1:38 mismatched character '<EOF>' expecting set null"},
		{"SELECT * FROM _t", "line 1:14 no viable alternative at character '_'"},
		// Errors Parser.g raises from its actions: no position.
		{"USE ?", "Bind variables cannot be used for keyspace names"},
		{"SELECT * FROM ks.?", "Bind variables cannot be used for table names"},
		{"UPDATE t SET a = b + 1 WHERE k = 1", "Only expressions of the form X = X +<value> are supported."},
		{"UPDATE t SET a = b 1 WHERE k = 1", "Only expressions of the form X = X + <value> are supported."},
		{"UPDATE t SET a = 1 + b WHERE k = 1", "Only expressions of the form X = <value> + X are supported."},
		{"UPDATE t SET a = 1, a = 2 WHERE k = 1", "Multiple incompatible setting of column a"},
		{"CREATE KEYSPACE k WITH replication = {'class': ?}",
			"Invalid property value: ? for property: 'class' (bind variables are not supported in DDL queries)"},
		{"CREATE KEYSPACE k WITH replication = {'class': 'x'} AND replication = {}", "Multiple definition for property replication"},
		{"CREATE TABLE t (k int PRIMARY KEY, v frozen<int>)", "frozen<> is only allowed on collections, tuples, and user-defined types (got int)"},
		{"CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE k IS NOT NULL PRIMARY KEY (k) WITH COMPACT STORAGE",
			"COMPACT STORAGE tables are not allowed starting with version 4.0"},
		// The first error wins, lexer errors included.
		{"SELECT @ FROM", "line 1:7 no viable alternative at character '@'"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.q)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Error() != tt.want {
			t.Errorf("Parse(%q)\n got %v\nwant %s", tt.q, err, tt.want)
		}
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse("SELECT *\nFORM t")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || se.Col != 0 {
		t.Errorf("got %#v", err)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct{ q, want string }{
		{"CREATE TABLE t (k int, v text)", "No PRIMARY KEY specifed for table 't' (exactly one required)"},
		{"CREATE TABLE ks.t (k int PRIMARY KEY, v text, PRIMARY KEY (v))", "Multiple PRIMARY KEY specified for table 'ks.t' (exactly one required)"},
		{"CREATE TABLE t (k int PRIMARY KEY, k text)", "Duplicate column 'k' declaration for table 't'"},
		{"CREATE TABLE t (k int, c int, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c ASC, c DESC)",
			"Duplicate column 'c' in CLUSTERING ORDER BY clause for table 't'"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.q)
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want InvalidError %q", tt.q, err, tt.want)
		}
	}
	// A syntax error after the table definition wins over the missing key.
	if _, err := Parse("CREATE TABLE t (k int) x"); err == nil || !strings.HasPrefix(err.Error(), "line 1:23 ") {
		t.Errorf("got %v", err)
	}
}
