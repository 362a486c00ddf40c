package sim_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestQuerySemantics(t *testing.T) {
	c := startCluster(t, "dc1:3x1", false)
	s := session(t, c, "")
	for _, q := range []string{
		"CREATE KEYSPACE q WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
		"CREATE TABLE q.ev (p text, c int, v text, s text STATIC, tags set<text>, attrs map<text, int>, l list<int>, PRIMARY KEY (p, c))",
		"CREATE TABLE q.cnt (k text PRIMARY KEY, n counter)",
	} {
		must(t, s.Query(q).Exec())
	}
	for i := 0; i < 5; i++ {
		must(t, s.Query("INSERT INTO q.ev (p, c, v) VALUES (?, ?, ?)", "a", i, "va").Exec())
		must(t, s.Query("INSERT INTO q.ev (p, c, v) VALUES (?, ?, ?)", "b", i, "vb").Exec())
	}
	ints := func(q string, args ...any) []int {
		t.Helper()
		iter := s.Query(q, args...).Iter()
		var out []int
		var n int
		for iter.Scan(&n) {
			out = append(out, n)
		}
		must(t, iter.Close())
		return out
	}
	if got := ints("SELECT c FROM q.ev WHERE p = 'a' AND c >= 1 AND c < 4"); !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Errorf("clustering slice: %v", got)
	}
	if got := ints("SELECT c FROM q.ev WHERE p = 'a' ORDER BY c DESC LIMIT 2"); !reflect.DeepEqual(got, []int{4, 3}) {
		t.Errorf("order by desc limit: %v", got)
	}
	if got := ints("SELECT c FROM q.ev WHERE p IN ('a', 'b') AND c IN (0, 4)"); len(got) != 4 {
		t.Errorf("IN on partition and clustering: %v", got)
	}
	if got := ints("SELECT c FROM q.ev WHERE p IN ? AND c = ?", []string{"a", "b"}, 2); !reflect.DeepEqual(got, []int{2, 2}) {
		t.Errorf("IN ?: %v", got)
	}
	var n int64
	must(t, s.Query("SELECT count(*) FROM q.ev").Scan(&n))
	if n != 10 {
		t.Errorf("count(*) = %d", n)
	}
	if got := ints("SELECT c FROM q.ev WHERE token(p) = token('a')"); len(got) != 5 {
		t.Errorf("token(p) = token('a'): %v", got)
	}
	if got := ints("SELECT c FROM q.ev WHERE token(p) > -9223372036854775808 PER PARTITION LIMIT 1"); len(got) != 2 {
		t.Errorf("token range + per partition limit: %v", got)
	}
	var rqe gocql.RequestError
	err := s.Query("SELECT c FROM q.ev WHERE v = 'va'").Exec()
	if !errors.As(err, &rqe) || rqe.Code() != 0x2200 || !strings.Contains(rqe.Message(), "ALLOW FILTERING") {
		t.Errorf("filtering without ALLOW FILTERING: %v", err)
	}
	if got := ints("SELECT c FROM q.ev WHERE v = 'vb' ALLOW FILTERING"); len(got) != 5 {
		t.Errorf("ALLOW FILTERING: %v", got)
	}

	// Static column, collections.
	must(t, s.Query("UPDATE q.ev SET s = 'static-a' WHERE p = 'a'").Exec())
	must(t, s.Query("UPDATE q.ev SET tags = tags + {'x', 'y'}, attrs['k'] = 1, l = l + [1, 2] WHERE p = 'a' AND c = 0").Exec())
	must(t, s.Query("UPDATE q.ev SET tags = tags - {'x'}, attrs = attrs + {'j': 2}, l = [0] + l WHERE p = 'a' AND c = 0").Exec())
	var st string
	var tags []string
	var attrs map[string]int
	var l []int
	must(t, s.Query("SELECT s, tags, attrs, l FROM q.ev WHERE p = 'a' AND c = 0").Scan(&st, &tags, &attrs, &l))
	if st != "static-a" || !reflect.DeepEqual(tags, []string{"y"}) || !reflect.DeepEqual(attrs, map[string]int{"j": 2, "k": 1}) || !reflect.DeepEqual(l, []int{0, 1, 2}) {
		t.Errorf("static/collections: %q %v %v %v", st, tags, attrs, l)
	}
	must(t, s.Query("SELECT s FROM q.ev WHERE p = 'a' AND c = 3").Scan(&st))
	if st != "static-a" {
		t.Errorf("static column seen from another row: %q", st)
	}

	// Deletes: a row, a column, a whole partition.
	must(t, s.Query("DELETE FROM q.ev WHERE p = 'a' AND c = 1").Exec())
	must(t, s.Query("DELETE v FROM q.ev WHERE p = 'a' AND c = 2").Exec())
	if got := ints("SELECT c FROM q.ev WHERE p = 'a'"); !reflect.DeepEqual(got, []int{0, 2, 3, 4}) {
		t.Errorf("after row delete: %v", got)
	}
	var v *string
	must(t, s.Query("SELECT v FROM q.ev WHERE p = 'a' AND c = 2").Scan(&v))
	if v != nil {
		t.Errorf("deleted column still %q", *v)
	}
	must(t, s.Query("DELETE FROM q.ev WHERE p = 'b'").Exec())
	if got := ints("SELECT c FROM q.ev WHERE p = 'b'"); len(got) != 0 {
		t.Errorf("after partition delete: %v", got)
	}
	// A write with an older timestamp than the deletion stays deleted.
	must(t, s.Query("INSERT INTO q.ev (p, c, v) VALUES ('b', 9, 'old') USING TIMESTAMP 1").Exec())
	if got := ints("SELECT c FROM q.ev WHERE p = 'b'"); len(got) != 0 {
		t.Errorf("write older than the partition tombstone came back: %v", got)
	}

	// Counters and batches.
	for i := 0; i < 3; i++ {
		must(t, s.Query("UPDATE q.cnt SET n = n + 5 WHERE k = 'hits'").Exec())
	}
	must(t, s.Query("UPDATE q.cnt SET n = n - 1 WHERE k = 'hits'").Exec())
	must(t, s.Query("SELECT n FROM q.cnt WHERE k = 'hits'").Scan(&n))
	if n != 14 {
		t.Errorf("counter = %d, want 14", n)
	}
	b := s.Batch(gocql.LoggedBatch)
	b.Query("INSERT INTO q.ev (p, c, v) VALUES ('z', 1, 'one')")
	b.Query("INSERT INTO q.ev (p, c, v) VALUES (?, ?, ?)", "z", 2, "two")
	must(t, b.Exec())
	if got := ints("SELECT c FROM q.ev WHERE p = 'z'"); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("batch: %v", got)
	}
	bad := s.Batch(gocql.LoggedBatch)
	bad.Query("UPDATE q.cnt SET n = n + 1 WHERE k = 'x'")
	if err := bad.Exec(); err == nil || !strings.Contains(err.Error(), "Cannot include a counter statement in a logged batch") {
		t.Errorf("counter in logged batch: %v", err)
	}

	// DDL errors with Cassandra's messages.
	for q, want := range map[string]string{
		"CREATE KEYSPACE q WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}": "Cannot add existing keyspace \"q\"",
		"CREATE TABLE q.ev (k int PRIMARY KEY)":                                                     "Cannot add already existing table \"ev\" to keyspace \"q\"",
		"CREATE KEYSPACE x WITH replication = {'class': 'NetworkTopologyStrategy', 'dc9': 1}":       "Unrecognized strategy option {dc9}",
		"DROP TABLE q.nope":        "Table 'q.nope' doesn't exist",
		"CREATE INDEX ON q.ev (v)": "CREATE INDEX is not supported",
	} {
		if err := s.Query(q).Exec(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", q, err, want)
		}
	}
	// system_schema reflects DDL.
	iter := s.Query("SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'q' AND table_name = 'ev'").Iter()
	var cols []string
	var name string
	for iter.Scan(&name) {
		cols = append(cols, name)
	}
	must(t, iter.Close())
	if !sort.StringsAreSorted(cols) || len(cols) != 7 {
		t.Errorf("system_schema.columns for q.ev: %v", cols)
	}
}
