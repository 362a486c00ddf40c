package cql

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ringside/ringside/sim/cqltype"
)

// Term and selector constructors for expected ASTs.

func str(s string) Term     { return Term{Kind: TermString, Text: s} }
func num(s string) Term     { return Term{Kind: TermInteger, Text: s} }
func flt(s string) Term     { return Term{Kind: TermFloat, Text: s} }
func boolean(s string) Term { return Term{Kind: TermBoolean, Text: s} }
func uuidT(s string) Term   { return Term{Kind: TermUUID, Text: s} }
func blob(s string) Term    { return Term{Kind: TermBlob, Text: s} }
func dur(s string) Term     { return Term{Kind: TermDuration, Text: s} }
func null() Term            { return Term{Kind: TermNull} }
func bind(i int) Term       { return Term{Kind: TermBind, Bind: i} }
func list(e ...Term) Term   { return Term{Kind: TermList, Elems: e} }
func set(e ...Term) Term    { return Term{Kind: TermSet, Elems: e} }
func tuple(e ...Term) Term  { return Term{Kind: TermTuple, Elems: e} }
func pt(t Term) *Term       { return &t }
func named(i int, n string) Term {
	return Term{Kind: TermBind, Bind: i, BindName: n}
}
func fn(name string, args ...Term) Term { return Term{Kind: TermFunc, Func: name, Args: args} }

func mapT(kv ...Term) Term {
	m := Term{Kind: TermMap}
	for i := 0; i < len(kv); i += 2 {
		m.Keys = append(m.Keys, kv[i])
		m.Elems = append(m.Elems, kv[i+1])
	}
	return m
}

func typ(s string) cqltype.Type {
	t, err := cqltype.Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

func col(n string) Selector { return Selector{Kind: SelColumn, Column: n} }
func sfn(name string, args ...Selector) Selector {
	return Selector{Kind: SelFunc, Func: name, Args: args}
}
func rel(c, op string, v Term) Relation { return Relation{Columns: []string{c}, Op: op, Value: v} }

func dumpJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

func TestParseStatements(t *testing.T) {
	tests := []struct {
		q    string
		want Statement
	}{
		// What gocql v2 sends when it connects.
		{"SELECT * FROM system.local WHERE key='local'",
			&Select{Keyspace: "system", Table: "local", Star: true, Where: []Relation{rel("key", "=", str("local"))}}},
		{"SELECT * FROM system.peers_v2", &Select{Keyspace: "system", Table: "peers_v2", Star: true}},
		{"SELECT schema_version FROM system.local WHERE key='local'",
			&Select{Keyspace: "system", Table: "local", Selectors: []Selector{col("schema_version")},
				Where: []Relation{rel("key", "=", str("local"))}}},
		{"SELECT * FROM system_schema.keyspaces", &Select{Keyspace: "system_schema", Table: "keyspaces", Star: true}},
		{"SELECT * FROM t;", &Select{Table: "t", Star: true}},
		{"select * from T ;;", &Select{Table: "t", Star: true}},
		{`SELECT "Key", key, value, type, status, ttl, name, count, writetime, json, distinct, cast, date, options FROM "MyKs"."MyTable"`,
			&Select{Keyspace: "MyKs", Table: "MyTable", Selectors: []Selector{col("Key"), col("key"), col("value"),
				col("type"), col("status"), col("ttl"), col("name"), col("count"), col("writetime"), col("json"),
				col("distinct"), col("cast"), col("date"), col("options")}}},
		{`SELECT "a""b" FROM t`, &Select{Table: "t", Selectors: []Selector{col(`a"b`)}}},
		{"SELECT JSON * FROM t", &Select{Table: "t", JSON: true, Star: true}},
		{"SELECT JSON json FROM t", &Select{Table: "t", JSON: true, Selectors: []Selector{col("json")}}},
		{"SELECT json FROM t", &Select{Table: "t", Selectors: []Selector{col("json")}}},
		{"SELECT DISTINCT k, c FROM t", &Select{Table: "t", Distinct: true, Selectors: []Selector{col("k"), col("c")}}},
		{"SELECT distinct FROM t", &Select{Table: "t", Selectors: []Selector{col("distinct")}}},
		{"SELECT JSON DISTINCT k FROM t", &Select{Table: "t", JSON: true, Distinct: true, Selectors: []Selector{col("k")}}},
		{"SELECT k AS a, ttl(v), writetime(v) AS w, token(k1, k2), count(*), COUNT(1), count(v), toJson(v), now() FROM t",
			&Select{Table: "t", Selectors: []Selector{
				{Kind: SelColumn, Column: "k", Alias: "a"},
				sfn("ttl", col("v")),
				{Kind: SelFunc, Func: "writetime", Args: []Selector{col("v")}, Alias: "w"},
				sfn("token", col("k1"), col("k2")),
				{Kind: SelCountStar}, {Kind: SelCountStar},
				sfn("count", col("v")),
				sfn("tojson", col("v")),
				sfn("now"),
			}}},
		{"SELECT CAST(v AS text), m['a'], l[1..], s[..3], u.f.g, (int) ?, 1, 'x', null, -a + b * c % 2, ks.f(a) FROM t",
			&Select{Table: "t", Selectors: []Selector{
				{Kind: SelCast, Type: cqltype.TextT, Args: []Selector{col("v")}},
				{Kind: SelElement, Args: []Selector{col("m")}, Term: str("a")},
				{Kind: SelSlice, Args: []Selector{col("l")}, From: pt(num("1"))},
				{Kind: SelSlice, Args: []Selector{col("s")}, To: pt(num("3"))},
				{Kind: SelField, Column: "g", Args: []Selector{{Kind: SelField, Column: "f", Args: []Selector{col("u")}}}},
				{Kind: SelTerm, Term: Term{Kind: TermCast, Type: cqltype.IntT, Elems: []Term{bind(0)}}},
				{Kind: SelTerm, Term: num("1")},
				{Kind: SelTerm, Term: str("x")},
				{Kind: SelTerm, Term: null()},
				sfn("_add", sfn("_negate", col("a")), sfn("_modulo", sfn("_multiply", col("b"), col("c")), Selector{Kind: SelTerm, Term: num("2")})),
				sfn("ks.f", col("a")),
			}}},
		{"SELECT (a), (a, b), [a, 1], {a, b}, {a: 1}, {} FROM t",
			&Select{Table: "t", Selectors: []Selector{
				col("a"),
				{Kind: SelTuple, Args: []Selector{col("a"), col("b")}},
				{Kind: SelList, Args: []Selector{col("a"), {Kind: SelTerm, Term: num("1")}}},
				{Kind: SelSet, Args: []Selector{col("a"), col("b")}},
				{Kind: SelMap, Args: []Selector{col("a"), {Kind: SelTerm, Term: num("1")}}},
				{Kind: SelSet},
			}}},
		{"SELECT * FROM ks.t WHERE k = ? AND c > 1 AND c <= 5 AND d < -2 AND e >= 1.5 AND f != 'x' " +
			"AND g IN (1, 2) AND h IN ? AND i IN () AND j CONTAINS 3 AND m CONTAINS KEY 'k' AND m['k'] = 1 " +
			"AND n LIKE 'a%' AND o IS NOT NULL AND token(k) > ? AND token(a, b) <= token(1, 2) " +
			"AND (c1, c2) > (1, 2) AND (c1, c2) <= ? AND (c1) = (1) AND (c1, c2) IN ((1, 2), (3, 4)) " +
			"AND (c1, c2) IN ? AND (c1, c2) IN (?, :x) AND (c1, c2) IN () AND (k = 1) AND expr(idx, 'q')",
			&Select{Keyspace: "ks", Table: "t", Star: true, Where: []Relation{
				rel("k", "=", bind(0)),
				rel("c", ">", num("1")),
				rel("c", "<=", num("5")),
				rel("d", "<", num("-2")),
				rel("e", ">=", flt("1.5")),
				rel("f", "!=", str("x")),
				rel("g", "IN", list(num("1"), num("2"))),
				rel("h", "IN", bind(1)),
				rel("i", "IN", list()),
				rel("j", "CONTAINS", num("3")),
				rel("m", "CONTAINS KEY", str("k")),
				{Columns: []string{"m"}, Op: "=", Key: pt(str("k")), Value: num("1")},
				rel("n", "LIKE", str("a%")),
				rel("o", "IS NOT", null()),
				{Columns: []string{"k"}, Token: true, Op: ">", Value: bind(2)},
				{Columns: []string{"a", "b"}, Token: true, Op: "<=", Value: fn("token", num("1"), num("2"))},
				{Columns: []string{"c1", "c2"}, Op: ">", Value: tuple(num("1"), num("2"))},
				{Columns: []string{"c1", "c2"}, Op: "<=", Value: bind(3)},
				{Columns: []string{"c1"}, Op: "=", Value: tuple(num("1"))},
				{Columns: []string{"c1", "c2"}, Op: "IN", Value: list(tuple(num("1"), num("2")), tuple(num("3"), num("4")))},
				{Columns: []string{"c1", "c2"}, Op: "IN", Value: bind(4)},
				{Columns: []string{"c1", "c2"}, Op: "IN", Value: list(bind(5), named(6, "x"))},
				{Columns: []string{"c1", "c2"}, Op: "IN", Value: list()},
				rel("k", "=", num("1")),
				{Columns: []string{"idx"}, Op: "EXPR", Value: str("q")},
			}}},
		{"SELECT k FROM t WHERE k = 1 GROUP BY k, c ORDER BY c DESC, d ASC, e PER PARTITION LIMIT ? LIMIT 10 ALLOW FILTERING",
			&Select{Table: "t", Selectors: []Selector{col("k")}, Where: []Relation{rel("k", "=", num("1"))},
				GroupBy: []string{"k", "c"}, OrderBy: []Ordering{{"c", true}, {"d", false}, {"e", false}},
				PerPartitionLimit: pt(bind(0)), Limit: pt(num("10")), AllowFiltering: true}},
		{"SELECT * FROM t LIMIT :lim", &Select{Table: "t", Star: true, Limit: pt(named(0, "lim"))}},
		{"SELECT * FROM t WHERE k = :k AND c = : c", &Select{Table: "t", Star: true,
			Where: []Relation{rel("k", "=", named(0, "k")), rel("c", "=", named(1, "c"))}}},

		// INSERT
		{`INSERT INTO ks.t (k, "V", key) VALUES ('it''s', $$a 'b' $c$$, 0xCAFE) IF NOT EXISTS USING TTL 10 AND TIMESTAMP ?`,
			&Insert{Keyspace: "ks", Table: "t", Columns: []string{"k", "V", "key"},
				Values: []Term{str("it's"), str("a 'b' $c"), blob("CAFE")}, IfNotExists: true,
				Using: Using{TTL: pt(num("10")), Timestamp: pt(bind(0))}}},
		{"INSERT INTO t (a) VALUES (?) USING TIMESTAMP 1 AND TTL ?",
			&Insert{Table: "t", Columns: []string{"a"}, Values: []Term{bind(0)},
				Using: Using{Timestamp: pt(num("1")), TTL: pt(bind(1))}}},
		{`INSERT INTO t JSON '{"k": 1}'`, &Insert{Table: "t", JSON: pt(str(`{"k": 1}`))}},
		{`INSERT INTO t JSON ? DEFAULT UNSET IF NOT EXISTS`, &Insert{Table: "t", JSON: pt(bind(0)), JSONDefaultUnset: true, IfNotExists: true}},
		{`INSERT INTO t JSON :j DEFAULT NULL USING TTL 1`, &Insert{Table: "t", JSON: pt(named(0, "j")), Using: Using{TTL: pt(num("1"))}}},
		{"INSERT INTO t (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) VALUES " +
			"(1, -2, 1.5, -1e10, NaN, -NaN, Infinity, -Infinity, true, FALSE, null, 1h30m, P3D, " +
			"550e8400-e29b-41d4-a716-446655440000, 0x, -P1Y2M)",
			&Insert{Table: "t", Columns: strings.Split("a b c d e f g h i j k l m n o p", " "),
				Values: []Term{num("1"), num("-2"), flt("1.5"), flt("-1e10"), flt("NaN"), flt("NaN"), flt("Infinity"),
					flt("-Infinity"), boolean("true"), boolean("false"), null(), dur("1h30m"), dur("P3D"),
					uuidT("550e8400-e29b-41d4-a716-446655440000"), blob(""), dur("-P1Y2M")}}},
		{"INSERT INTO t (l, s, m, e, tu, u, nested) VALUES ([1, 2], {'a'}, {'k': 1, 'j': 2}, {}, (1, 'x', null), {f: 1, \"G\": 'x'}, [{1: [2]}])",
			&Insert{Table: "t", Columns: []string{"l", "s", "m", "e", "tu", "u", "nested"},
				Values: []Term{list(num("1"), num("2")), set(str("a")), mapT(str("k"), num("1"), str("j"), num("2")),
					{Kind: TermMap}, tuple(num("1"), str("x"), null()),
					{Kind: TermUDT, Keys: []Term{str("f"), str("G")}, Elems: []Term{num("1"), str("x")}},
					list(mapT(num("1"), list(num("2"))))}}},
		{"INSERT INTO t (a, b, c, d, e) VALUES (now(), uuid(), toTimestamp(now()), currentTimestamp(), minTimeuuid('2013-01-01 00:05+0000'))",
			&Insert{Table: "t", Columns: []string{"a", "b", "c", "d", "e"},
				Values: []Term{fn("now"), fn("uuid"), fn("totimestamp", fn("now")), fn("currenttimestamp"),
					fn("mintimeuuid", str("2013-01-01 00:05+0000"))}}},
		{"INSERT INTO t (a, b, c, d) VALUES ((int) ?, (list<text>) ['a'], system.now(), ks.\"MyFn\"(1))",
			&Insert{Table: "t", Columns: []string{"a", "b", "c", "d"},
				Values: []Term{{Kind: TermCast, Type: cqltype.IntT, Elems: []Term{bind(0)}},
					{Kind: TermCast, Type: cqltype.ListOf(cqltype.TextT), Elems: []Term{list(str("a"))}},
					fn("now"), fn("ks.MyFn", num("1"))}}},
		{"INSERT INTO t (a, b, c, d) VALUES (1 + 2, 3 * -4, -(int)?, CAST(1 AS bigint))",
			&Insert{Table: "t", Columns: []string{"a", "b", "c", "d"},
				Values: []Term{fn("_add", num("1"), num("2")), fn("_multiply", num("3"), num("-4")),
					fn("_negate", Term{Kind: TermCast, Type: cqltype.IntT, Elems: []Term{bind(0)}}),
					{Kind: TermFunc, Func: "cast", Args: []Term{num("1")}, Type: cqltype.BigintT}}}},

		// UPDATE
		{"UPDATE ks.t USING TTL 5 AND TIMESTAMP 6 SET a = 1, b = b + 1, c = c - {'x'}, d = [1] + d, e['k'] = 'v', f = f -1, " +
			"g += 2, h -= 3, i.x = 4 WHERE k = ? IF EXISTS",
			&Update{Keyspace: "ks", Table: "t", Using: Using{TTL: pt(num("5")), Timestamp: pt(num("6"))},
				Set: []Assignment{
					{Column: "a", Op: AssignSet, Value: num("1")},
					{Column: "b", Op: AssignAdd, Value: num("1")},
					{Column: "c", Op: AssignRemove, Value: set(str("x"))},
					{Column: "d", Op: AssignPrepend, Value: list(num("1"))},
					{Column: "e", Op: AssignElement, Key: pt(str("k")), Value: str("v")},
					{Column: "f", Op: AssignAdd, Value: num("-1")},
					{Column: "g", Op: AssignAdd, Value: num("2")},
					{Column: "h", Op: AssignRemove, Value: num("3")},
					{Column: "i", Op: AssignField, Field: "x", Value: num("4")},
				},
				Where: []Relation{rel("k", "=", bind(0))}, IfExists: true}},
		{"UPDATE t SET v = now() WHERE k = 1 IF v = 'x' AND m['a'] != 1 AND s IN ('a', 'b') AND l[0] IN ? AND u.f > 2 AND exists = 1",
			&Update{Table: "t", Set: []Assignment{{Column: "v", Value: fn("now")}},
				Where: []Relation{rel("k", "=", num("1"))},
				If: []Condition{
					{Column: "v", Op: "=", Value: str("x")},
					{Column: "m", Key: pt(str("a")), Op: "!=", Value: num("1")},
					{Column: "s", Op: "IN", Value: list(str("a"), str("b"))},
					{Column: "l", Key: pt(num("0")), Op: "IN", Value: bind(0)},
					{Column: "u", Field: "f", Op: ">", Value: num("2")},
					{Column: "exists", Op: "=", Value: num("1")},
				}}},
		{"UPDATE counters SET c = c + 1 WHERE k = 'a'", &Update{Table: "counters",
			Set: []Assignment{{Column: "c", Op: AssignAdd, Value: num("1")}}, Where: []Relation{rel("k", "=", str("a"))}}},
		{"UPDATE t SET c = c - ? WHERE k = 'a'", &Update{Table: "t",
			Set: []Assignment{{Column: "c", Op: AssignRemove, Value: bind(0)}}, Where: []Relation{rel("k", "=", str("a"))}}},

		// DELETE
		{"DELETE FROM ks.t WHERE k = 1", &Delete{Keyspace: "ks", Table: "t", Where: []Relation{rel("k", "=", num("1"))}}},
		{"DELETE a, m['k'], u.f FROM t USING TIMESTAMP ? WHERE k = 1 AND c IN (1, 2) IF EXISTS",
			&Delete{Table: "t", Columns: []DeleteTarget{{Column: "a"}, {Column: "m", Key: pt(str("k"))}, {Column: "u", Field: "f"}},
				Using: Using{Timestamp: pt(bind(0))}, Where: []Relation{rel("k", "=", num("1")), rel("c", "IN", list(num("1"), num("2")))},
				IfExists: true}},
		{"DELETE FROM t WHERE k = 1 IF v = 2", &Delete{Table: "t", Where: []Relation{rel("k", "=", num("1"))},
			If: []Condition{{Column: "v", Op: "=", Value: num("2")}}}},

		// BATCH
		{"BEGIN BATCH INSERT INTO t (k) VALUES (?); UPDATE t SET v = ? WHERE k = ? DELETE FROM t WHERE k = ?; APPLY BATCH",
			&Batch{Statements: []Statement{
				&Insert{Table: "t", Columns: []string{"k"}, Values: []Term{bind(0)}},
				&Update{Table: "t", Set: []Assignment{{Column: "v", Value: bind(1)}}, Where: []Relation{rel("k", "=", bind(2))}},
				&Delete{Table: "t", Where: []Relation{rel("k", "=", bind(3))}},
			}}},
		{"BEGIN UNLOGGED BATCH USING TIMESTAMP ? APPLY BATCH;", &Batch{Type: BatchUnlogged, Using: Using{Timestamp: pt(bind(0))}}},
		{"begin counter batch update c set n = n + 1 where k = 1; apply batch", &Batch{Type: BatchCounter, Statements: []Statement{
			&Update{Table: "c", Set: []Assignment{{Column: "n", Op: AssignAdd, Value: num("1")}}, Where: []Relation{rel("k", "=", num("1"))}},
		}}},

		// Schema
		{"USE ks", &Use{Keyspace: "ks"}},
		{`USE "MyKs";`, &Use{Keyspace: "MyKs"}},
		{"CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': '2'} AND durable_writes = false",
			&CreateKeyspace{Name: "ks", IfNotExists: true, Properties: []Property{
				{Name: "replication", Value: mapT(str("class"), str("NetworkTopologyStrategy"), str("dc1"), num("3"), str("dc2"), str("2"))},
				{Name: "durable_writes", Value: boolean("false")}}}},
		{"CREATE SCHEMA ks WITH REPLICATION = {'class': 'SimpleStrategy', 'replication_factor': 1}",
			&CreateKeyspace{Name: "ks", Properties: []Property{
				{Name: "replication", Value: mapT(str("class"), str("SimpleStrategy"), str("replication_factor"), num("1"))}}}},
		{"ALTER KEYSPACE IF EXISTS ks WITH durable_writes = true",
			&AlterKeyspace{Name: "ks", IfExists: true, Properties: []Property{{Name: "durable_writes", Value: boolean("true")}}}},
		{"DROP KEYSPACE IF EXISTS ks", &DropKeyspace{Name: "ks", IfExists: true}},
		{"DROP KEYSPACE ks", &DropKeyspace{Name: "ks"}},
		{"CREATE TABLE IF NOT EXISTS probe.kv2 (k text PRIMARY KEY, v text)",
			&CreateTable{Keyspace: "probe", Table: "kv2", IfNotExists: true,
				Columns:      []ColumnDef{{Name: "k", Type: cqltype.TextT}, {Name: "v", Type: cqltype.TextT}},
				PartitionKey: []string{"k"}}},
		{`CREATE COLUMNFAMILY ks."T" (a int, b varchar, c timeuuid, d map<text, frozen<list<int>>>, s set<inet> STATIC, ` +
			`t tuple<int, text>, f frozen<udt>, key int, PRIMARY KEY ((a, b), c, key),) ` +
			`WITH CLUSTERING ORDER BY (c DESC, key ASC) AND COMPACT STORAGE AND compaction = {'class': 'LeveledCompactionStrategy'} ` +
			`AND gc_grace_seconds = 0 AND comment = 'x' AND speculative_retry = '99p' AND caching = {'keys': 'ALL'}`,
			&CreateTable{Keyspace: "ks", Table: "T",
				Columns: []ColumnDef{{Name: "a", Type: cqltype.IntT}, {Name: "b", Type: cqltype.TextT},
					{Name: "c", Type: cqltype.TimeuuidT}, {Name: "d", Type: typ("map<text, frozen<list<int>>>")},
					{Name: "s", Type: typ("set<inet>"), Static: true}, {Name: "t", Type: typ("tuple<int, text>")},
					{Name: "f", Type: cqltype.Type{ID: cqltype.UDT, Class: "udt", Frozen: true}}, {Name: "key", Type: cqltype.IntT}},
				PartitionKey: []string{"a", "b"}, Clustering: []string{"c", "key"},
				ClusteringOrder: []Ordering{{"c", true}, {"key", false}}, CompactStorage: true,
				Properties: []Property{
					{Name: "compaction", Value: mapT(str("class"), str("LeveledCompactionStrategy"))},
					{Name: "gc_grace_seconds", Value: num("0")},
					{Name: "comment", Value: str("x")},
					{Name: "speculative_retry", Value: str("99p")},
					{Name: "caching", Value: mapT(str("keys"), str("ALL"))},
				}}},
		{"CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))", &CreateTable{Table: "t",
			Columns:      []ColumnDef{{Name: "k", Type: cqltype.IntT}, {Name: "c", Type: cqltype.IntT}},
			PartitionKey: []string{"k"}, Clustering: []string{"c"}}},
		{"ALTER TABLE t ADD x int", &AlterTable{Table: "t", Add: []ColumnDef{{Name: "x", Type: cqltype.IntT}}}},
		{"ALTER TABLE IF EXISTS ks.t ADD IF NOT EXISTS (x int, y set<text> static)", &AlterTable{Keyspace: "ks", Table: "t",
			IfExists: true, IfColumnNotExists: true,
			Add: []ColumnDef{{Name: "x", Type: cqltype.IntT}, {Name: "y", Type: typ("set<text>"), Static: true}}}},
		{"ALTER TABLE t DROP x", &AlterTable{Table: "t", Drop: []string{"x"}}},
		{"ALTER TABLE t DROP IF EXISTS (x, y) USING TIMESTAMP 12", &AlterTable{Table: "t", Drop: []string{"x", "y"},
			IfColumnExists: true, DropTimestamp: func() *int64 { v := int64(12); return &v }()}},
		{"ALTER TABLE t RENAME a TO b AND c TO d", &AlterTable{Table: "t", Rename: map[string]string{"a": "b", "c": "d"}}},
		{"ALTER TABLE t WITH comment = 'c' AND default_time_to_live = 10", &AlterTable{Table: "t",
			Properties: []Property{{Name: "comment", Value: str("c")}, {Name: "default_time_to_live", Value: num("10")}}}},
		{"DROP TABLE IF EXISTS ks.t", &DropTable{Keyspace: "ks", Table: "t", IfExists: true}},
		{"DROP COLUMNFAMILY t", &DropTable{Table: "t"}},
		{"TRUNCATE ks.t", &Truncate{Keyspace: "ks", Table: "t"}},
		{"TRUNCATE TABLE t", &Truncate{Table: "t"}},

		// Comments and white space.
		{"-- a comment\nSELECT /* inline */ * FROM t // trailing\n", &Select{Table: "t", Star: true}},
		{"\n\t SELECT\r\n*\nFROM\tt\n", &Select{Table: "t", Star: true}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.q, dumpJSON(got), dumpJSON(tt.want))
		}
	}
}

func TestParseUnsupported(t *testing.T) {
	tests := []struct{ q, kind string }{
		{"CREATE INDEX ON t (v)", "CREATE INDEX"},
		{"CREATE INDEX IF NOT EXISTS idx ON ks.t (keys(m))", "CREATE INDEX"},
		{"CREATE CUSTOM INDEX idx ON t (v) USING 'org.apache.cassandra.index.sasi.SASIIndex' WITH OPTIONS = {'mode': 'CONTAINS'}", "CREATE INDEX"},
		{"CREATE INDEX ON t (values(l), entries(m), full(f))", "CREATE INDEX"},
		{"DROP INDEX IF EXISTS ks.idx", "DROP INDEX"},
		{"CREATE TYPE IF NOT EXISTS ks.addr (street text, zip int, tags set<text>)", "CREATE TYPE"},
		{"ALTER TYPE addr ADD country text", "ALTER TYPE"},
		{"ALTER TYPE addr RENAME zip TO zipcode AND street TO road", "ALTER TYPE"},
		{"ALTER TYPE addr ALTER zip TYPE bigint", "ALTER TYPE"},
		{"DROP TYPE IF EXISTS addr", "DROP TYPE"},
		{"CREATE OR REPLACE FUNCTION ks.f (a int, b text) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'", "CREATE FUNCTION"},
		{"CREATE FUNCTION IF NOT EXISTS f () RETURNS NULL ON NULL INPUT RETURNS text LANGUAGE javascript AS $$ 'x' $$", "CREATE FUNCTION"},
		{"DROP FUNCTION IF EXISTS ks.f (int, text)", "DROP FUNCTION"},
		{"DROP FUNCTION f", "DROP FUNCTION"},
		{"CREATE AGGREGATE ks.agg (int) SFUNC st STYPE int FINALFUNC fin INITCOND 0", "CREATE AGGREGATE"},
		{"DROP AGGREGATE agg", "DROP AGGREGATE"},
		{"CREATE MATERIALIZED VIEW ks.mv AS SELECT k, c FROM ks.t WHERE k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (c, k) WITH CLUSTERING ORDER BY (k DESC) AND comment = 'x'", "CREATE MATERIALIZED VIEW"},
		{"ALTER MATERIALIZED VIEW mv WITH comment = 'y'", "ALTER MATERIALIZED VIEW"},
		{"DROP MATERIALIZED VIEW IF EXISTS mv", "DROP MATERIALIZED VIEW"},
		{"CREATE TRIGGER IF NOT EXISTS trg ON t USING 'org.example.Trigger'", "CREATE TRIGGER"},
		{"DROP TRIGGER trg ON ks.t", "DROP TRIGGER"},
		{"CREATE ROLE IF NOT EXISTS bob WITH PASSWORD = 'x' AND LOGIN = true AND SUPERUSER = false AND OPTIONS = {'a': 'b'}", "CREATE ROLE"},
		{"CREATE ROLE 'alice' WITH ACCESS TO DATACENTERS {'dc1', 'dc2'}", "CREATE ROLE"},
		{"ALTER ROLE bob WITH HASHED PASSWORD = 'h'", "ALTER ROLE"},
		{"DROP ROLE IF EXISTS bob", "DROP ROLE"},
		{"CREATE USER IF NOT EXISTS 'bob' WITH PASSWORD 'x' SUPERUSER", "CREATE USER"},
		{"ALTER USER bob WITH PASSWORD 'y' NOSUPERUSER", "ALTER USER"},
		{"DROP USER IF EXISTS bob", "DROP USER"},
		{"GRANT SELECT ON ALL KEYSPACES TO bob", "GRANT PERMISSIONS"},
		{"GRANT ALL PERMISSIONS ON KEYSPACE ks TO bob", "GRANT PERMISSIONS"},
		{"GRANT MODIFY, SELECT PERMISSION ON TABLE ks.t TO 'bob'", "GRANT PERMISSIONS"},
		{"GRANT EXECUTE ON FUNCTION ks.f(int) TO bob", "GRANT PERMISSIONS"},
		{"GRANT DESCRIBE ON ALL MBEANS TO bob", "GRANT PERMISSIONS"},
		{"GRANT SELECT ON MBEAN 'org.apache.cassandra.db:type=Tables,*' TO bob", "GRANT PERMISSIONS"},
		{"GRANT AUTHORIZE ON ROLE alice TO bob", "GRANT PERMISSIONS"},
		{"GRANT admin TO bob", "GRANT ROLE"},
		{"REVOKE SELECT ON ks.t FROM bob", "REVOKE PERMISSIONS"},
		{"REVOKE admin FROM bob", "REVOKE ROLE"},
		{"LIST ALL PERMISSIONS OF bob NORECURSIVE", "LIST PERMISSIONS"},
		{"LIST SELECT ON ALL FUNCTIONS IN KEYSPACE ks", "LIST PERMISSIONS"},
		{"LIST ROLES OF bob", "LIST ROLES"},
		{"LIST USERS", "LIST USERS"},
		{"DESCRIBE KEYSPACES", "DESCRIBE"},
		{"DESC TABLE ks.t", "DESCRIBE"},
		{"DESCRIBE FULL SCHEMA", "DESCRIBE"},
		{"DESCRIBE ONLY KEYSPACE ks WITH INTERNALS", "DESCRIBE"},
		{"DESCRIBE ks.t", "DESCRIBE"},
		{"ALTER TABLE t ALTER v TYPE blob", "ALTER TABLE ALTER"},
		{"ALTER TABLE t DROP COMPACT STORAGE", "ALTER TABLE DROP COMPACT STORAGE"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if u, ok := got.(*Unsupported); !ok || u.Kind != tt.kind {
			t.Errorf("Parse(%q) = %#v, want Unsupported %q", tt.q, got, tt.kind)
		}
	}
}

// gocqlQueries are the statements gocql v2 (metadata.go, conn.go,
// host_source.go, session.go) sends to discover a cluster and its schema.
var gocqlQueries = []string{
	"SELECT * FROM system.local WHERE key='local'",
	"SELECT * FROM system.peers",
	"SELECT * FROM system.peers_v2",
	"SELECT schema_version FROM system.local WHERE key='local'",
	"SELECT * FROM system_schema.keyspaces",
	"\n\t\tSELECT keyspace_name, durable_writes, replication\n\t\tFROM system_schema.keyspaces\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT keyspace_name, durable_writes, strategy_class, strategy_options\n\t\tFROM system.schema_keyspaces\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT keyspace_name, durable_writes, replication\n\t\tFROM system_schema.keyspaces",
	"\n\t\tSELECT\n\t\t\ttable_name\n\t\tFROM system_schema.tables\n\t\tWHERE keyspace_name = ?",
	"\n\t\t\t\tSELECT\n\t\t\t\t\tview_name\n\t\t\t\tFROM system_schema.views\n\t\t\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tcolumnfamily_name,\n\t\t\tkey_validator,\n\t\t\tcomparator,\n\t\t\tdefault_validator\n\t\tFROM system.schema_columnfamilies\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tkeyspace_name, table_name\n\t\tFROM system_schema.tables",
	"\n\t\t\t\tSELECT\n\t\t\t\t\tkeyspace_name, view_name\n\t\t\t\tFROM system_schema.views",
	"\n\t\t\tSELECT\n\t\t\t    keyspace_name,\n\t\t\t\ttable_name,\n\t\t\t\tcolumn_name,\n\t\t\t\tclustering_order,\n\t\t\t\ttype,\n\t\t\t\tkind,\n\t\t\t\tposition\n\t\t\tFROM system_schema.columns\n\t\t\tWHERE keyspace_name = ?",
	"\n\t\t\tSELECT\n\t\t\t    keyspace_name,\n\t\t\t\ttable_name,\n\t\t\t\tcolumn_name,\n\t\t\t\tclustering_order,\n\t\t\t\ttype,\n\t\t\t\tkind,\n\t\t\t\tposition\n\t\t\tFROM system_schema.columns",
	"\n\t\tSELECT\n\t\t\tkeyspace_name,\n\t\t\ttype_name,\n\t\t\tfield_names,\n\t\t\tfield_types\n\t\tFROM system_schema.types\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tkeyspace_name,\n\t\t\ttype_name,\n\t\t\tfield_names,\n\t\t\tfield_types\n\t\tFROM system_schema.types",
	"\n\t\tSELECT\n\t\t    keyspace_name,\n\t\t\tfunction_name,\n\t\t\targument_types,\n\t\t\targument_names,\n\t\t\tbody,\n\t\t\tcalled_on_null_input,\n\t\t\tlanguage,\n\t\t\treturn_type\n\t\tFROM system_schema.functions\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tkeyspace_name,\n\t\t\taggregate_name,\n\t\t\targument_types,\n\t\t\tfinal_func,\n\t\t\tinitcond,\n\t\t\treturn_type,\n\t\t\tstate_func,\n\t\t\tstate_type\n\t\tFROM system_schema.aggregates\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT *\n\t\tFROM system_schema.indexes\n\t\tWHERE keyspace_name = ?",
	"SELECT coordinator, duration\n\t\t\tFROM system_traces.sessions\n\t\t\tWHERE session_id = ?",
	"SELECT event_id, activity, source, source_elapsed, thread\n\t\t\tFROM system_traces.events\n\t\t\tWHERE session_id = ?",
	"SELECT * FROM system_views.settings",
}

func TestParseGocqlQueries(t *testing.T) {
	for _, q := range gocqlQueries {
		st, err := Parse(q)
		if err != nil {
			t.Errorf("Parse(%q): %v", q, err)
			continue
		}
		if _, ok := st.(*Select); !ok {
			t.Errorf("Parse(%q) = %T", q, st)
		}
	}
}

// TestParseGocqlSource parses every "FROM system…" statement of the gocql
// driver found in the module cache, when it is there.
func TestParseGocqlSource(t *testing.T) {
	dir := os.Getenv("GOMODCACHE")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = home + "/go/pkg/mod"
	}
	src, err := os.ReadFile(dir + "/github.com/apache/cassandra-gocql-driver/v2@v2.1.2/metadata.go")
	if err != nil {
		t.Skip("gocql v2.1.2 not in the module cache")
	}
	n := 0
	for _, q := range backquoted(string(src)) {
		if !strings.Contains(q, "FROM system") && !strings.Contains(q, "FROM %s") {
			continue
		}
		q = strings.ReplaceAll(q, "%s", "system_schema.types")
		n++
		if _, err := Parse(q); err != nil {
			t.Errorf("Parse(%q): %v", q, err)
		}
	}
	if n < 10 {
		t.Errorf("found only %d queries in metadata.go", n)
	}
}

func backquoted(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *strings.Builder
	for sc.Scan() {
		line := sc.Text()
		for {
			i := strings.IndexByte(line, '`')
			if i < 0 {
				break
			}
			if cur == nil {
				cur = &strings.Builder{}
			} else {
				cur.WriteString(line[:i])
				out = append(out, cur.String())
				cur = nil
			}
			line = line[i+1:]
		}
		if cur != nil {
			cur.WriteString(line + "\n")
		}
	}
	return out
}

// TestParseSystemColumns selects every column of every system table of a
// real Cassandra 4.1 node: names such as key, type, options or duration are
// unreserved keywords, and must work unquoted.
func TestParseSystemColumns(t *testing.T) {
	data, err := os.ReadFile("../../testdata/cassandra-4.1.6/system-schema.tsv")
	if err != nil {
		t.Fatal(err)
	}
	// Reserved keywords must be quoted, as cqlsh does.
	reserved := map[string]bool{"schema": true}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		table, column := f[0], f[1]
		name := column
		if reserved[column] || strings.ToLower(column) != column {
			name = `"` + column + `"`
		}
		ks, tb, _ := strings.Cut(table, ".")
		q := "SELECT " + name + " FROM " + ks + `."` + tb + `" WHERE ` + name + " = ?"
		st, err := Parse(q)
		if err != nil {
			t.Errorf("Parse(%q): %v", q, err)
			continue
		}
		s := st.(*Select)
		if s.Selectors[0].Column != column || s.Table != tb || s.Where[0].Columns[0] != column {
			t.Errorf("Parse(%q) = %s", q, dumpJSON(s))
		}
		if _, err := cqltype.Parse(f[3]); err != nil {
			continue
		}
		ct := "CREATE TABLE x (" + name + " " + f[3] + " PRIMARY KEY)"
		if _, err := Parse(ct); err != nil && f[3] != "counter" {
			t.Errorf("Parse(%q): %v", ct, err)
		}
	}
}

func TestParseTypes(t *testing.T) {
	for _, s := range []string{"ascii", "bigint", "blob", "boolean", "counter", "decimal", "double", "duration",
		"float", "inet", "int", "smallint", "text", "timestamp", "tinyint", "uuid", "varchar", "varint", "timeuuid",
		"date", "time", "list<int>", "set<frozen<list<text>>>", "map<text, frozen<map<int, blob>>>",
		"tuple<int, text, frozen<set<uuid>>>", "frozen<tuple<int>>", "frozen<list<int>>"} {
		st, err := Parse("CREATE TABLE t (k int PRIMARY KEY, v " + s + ")")
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		got := st.(*CreateTable).Columns[1].Type
		if want := typ(s); !got.Equal(want) {
			t.Errorf("%s: got %v want %v", s, got, want)
		}
	}
	st, err := Parse("CREATE TABLE t (k int PRIMARY KEY, v 'org.apache.cassandra.db.marshal.UTF8Type', u ks.addr)")
	if err != nil {
		t.Fatal(err)
	}
	cols := st.(*CreateTable).Columns
	if cols[1].Type.ID != cqltype.Custom || cols[1].Type.Class != "org.apache.cassandra.db.marshal.UTF8Type" {
		t.Errorf("custom type: %#v", cols[1].Type)
	}
	if cols[2].Type.ID != cqltype.UDT || cols[2].Type.Class != "ks.addr" {
		t.Errorf("user type: %#v", cols[2].Type)
	}
}

func TestParseBindMarkerOrder(t *testing.T) {
	st, err := Parse("UPDATE t USING TTL ? AND TIMESTAMP :ts SET a = ?, b[?] = ? WHERE k = ? AND c IN (?, ?) IF d = ?")
	if err != nil {
		t.Fatal(err)
	}
	u := st.(*Update)
	got := []int{u.Using.TTL.Bind, u.Using.Timestamp.Bind, u.Set[0].Value.Bind, u.Set[1].Key.Bind, u.Set[1].Value.Bind,
		u.Where[0].Value.Bind, u.Where[1].Value.Elems[0].Bind, u.Where[1].Value.Elems[1].Bind, u.If[0].Value.Bind}
	for i, g := range got {
		if g != i {
			t.Fatalf("bind indexes %v, want 0..8", got)
		}
	}
	if u.Using.Timestamp.BindName != "ts" {
		t.Errorf("named marker: %#v", u.Using.Timestamp)
	}
	// Speculative parses (SELECT JSON …, type casts) must not consume indexes.
	st, err = Parse("SELECT JSON (int) ?, ? FROM t WHERE k = (int) ? LIMIT ?")
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*Select)
	if s.Selectors[0].Term.Elems[0].Bind != 0 || s.Selectors[1].Term.Bind != 1 ||
		s.Where[0].Value.Elems[0].Bind != 2 || s.Limit.Bind != 3 {
		t.Errorf("bind indexes: %s", dumpJSON(s))
	}
}

func TestPropertyValues(t *testing.T) {
	st, err := Parse("CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = false")
	if err != nil {
		t.Fatal(err)
	}
	props := st.(*CreateKeyspace).Properties
	m, ok := props[0].MapValue()
	if !ok || !reflect.DeepEqual(m, map[string]string{"class": "NetworkTopologyStrategy", "dc1": "3"}) {
		t.Errorf("replication = %v", m)
	}
	if s, ok := props[1].StringValue(); !ok || s != "false" {
		t.Errorf("durable_writes = %q", s)
	}
	if _, ok := props[0].StringValue(); ok {
		t.Error("a map has a string value")
	}
}
