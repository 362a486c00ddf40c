package schema

import (
	"bufio"
	"math/big"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ringside/ringside/sim/cqltype"
)

const testdata = "../../testdata/cassandra-4.1.6/"

type tsvColumn struct {
	kind, typ string
}

// readSchemaTSV reads system-schema.tsv: keyspace.table, column, kind, type.
func readSchemaTSV(t *testing.T) map[string]map[string]tsvColumn {
	t.Helper()
	f, err := os.Open(testdata + "system-schema.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]tsvColumn{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if s.Text() == "" {
			continue
		}
		p := strings.Split(s.Text(), "\t")
		if len(p) != 4 {
			t.Fatalf("bad tsv line %q", s.Text())
		}
		if out[p[0]] == nil {
			out[p[0]] = map[string]tsvColumn{}
		}
		out[p[0]][p[1]] = tsvColumn{kind: p[2], typ: p[3]}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSystemSchemaMatchesTSV(t *testing.T) {
	want := readSchemaTSV(t)
	got := map[string]*Table{}
	for _, ks := range SystemKeyspaces() {
		for _, tb := range ks.Tables {
			if tb.Keyspace != ks.Name {
				t.Errorf("table %s.%s has Keyspace %q", ks.Name, tb.Name, tb.Keyspace)
			}
			got[ks.Name+"."+tb.Name] = tb
		}
	}
	for name, cols := range want {
		tb := got[name]
		if tb == nil {
			t.Errorf("missing table %s", name)
			continue
		}
		for cn, wc := range cols {
			c := tb.Column(cn)
			if c == nil {
				t.Errorf("%s: missing column %s", name, cn)
				continue
			}
			if string(c.Kind) != wc.kind {
				t.Errorf("%s.%s: kind %s, want %s", name, cn, c.Kind, wc.kind)
			}
			if c.Type.String() != wc.typ {
				t.Errorf("%s.%s: type %s, want %s", name, cn, c.Type, wc.typ)
			}
		}
		for _, c := range tb.Columns {
			if _, ok := cols[c.Name]; !ok {
				t.Errorf("%s: extra column %s", name, c.Name)
			}
		}
	}
	for name := range got {
		if want[name] == nil {
			t.Errorf("extra table %s", name)
		}
	}
}

func TestSystemKeyspaceLayout(t *testing.T) {
	kss := SystemKeyspaces()
	var names []string
	for _, ks := range kss {
		names = append(names, ks.Name)
	}
	wantNames := []string{"system", "system_auth", "system_distributed", "system_schema",
		"system_traces", "system_views", "system_virtual_schema"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("keyspaces %v, want %v", names, wantNames)
	}
	for _, ks := range kss {
		if !IsSystemKeyspace(ks.Name) {
			t.Errorf("IsSystemKeyspace(%s) = false", ks.Name)
		}
		wantVirtual := ks.Name == "system_views" || ks.Name == "system_virtual_schema"
		if ks.Virtual != wantVirtual {
			t.Errorf("%s: Virtual %v", ks.Name, ks.Virtual)
		}
		if !ks.DurableWrites {
			t.Errorf("%s: DurableWrites false", ks.Name)
		}
		if !sort.SliceIsSorted(ks.Tables, func(i, j int) bool { return ks.Tables[i].Name < ks.Tables[j].Name }) {
			t.Errorf("%s: tables not sorted", ks.Name)
		}
		for _, tb := range ks.Tables {
			checkTableLayout(t, tb)
			if tb.Virtual != ks.Virtual {
				t.Errorf("%s.%s: Virtual %v", ks.Name, tb.Name, tb.Virtual)
			}
			if ks.Table(tb.Name) != tb {
				t.Errorf("%s.Table(%s) lookup failed", ks.Name, tb.Name)
			}
		}
	}
	if IsSystemKeyspace("smoke") {
		t.Error("IsSystemKeyspace(smoke) = true")
	}
}

func checkTableLayout(t *testing.T, tb *Table) {
	t.Helper()
	name := tb.Keyspace + "." + tb.Name
	if len(tb.PartitionKey) == 0 {
		t.Errorf("%s: no partition key", name)
	}
	if !sort.SliceIsSorted(tb.Columns, func(i, j int) bool { return tb.Columns[i].Name < tb.Columns[j].Name }) {
		t.Errorf("%s: columns not sorted by name", name)
	}
	npk, nck := 0, 0
	for _, c := range tb.Columns {
		switch c.Kind {
		case PartitionKey:
			npk++
			if c.ClusteringOrder != "none" {
				t.Errorf("%s.%s: clustering order %q", name, c.Name, c.ClusteringOrder)
			}
		case Clustering:
			nck++
			if c.ClusteringOrder != "asc" && c.ClusteringOrder != "desc" {
				t.Errorf("%s.%s: clustering order %q", name, c.Name, c.ClusteringOrder)
			}
		case Regular, Static:
			if c.Position != -1 || c.ClusteringOrder != "none" {
				t.Errorf("%s.%s: position %d, clustering order %q", name, c.Name, c.Position, c.ClusteringOrder)
			}
		default:
			t.Errorf("%s.%s: kind %q", name, c.Name, c.Kind)
		}
	}
	if npk != len(tb.PartitionKey) || nck != len(tb.Clustering) {
		t.Errorf("%s: key slices do not match columns", name)
	}
	for i, c := range tb.PartitionKey {
		if c.Kind != PartitionKey || c.Position != i || tb.Column(c.Name) != c {
			t.Errorf("%s: partition key %d is %s (%s, position %d)", name, i, c.Name, c.Kind, c.Position)
		}
	}
	for i, c := range tb.Clustering {
		if c.Kind != Clustering || c.Position != i || tb.Column(c.Name) != c {
			t.Errorf("%s: clustering %d is %s (%s, position %d)", name, i, c.Name, c.Kind, c.Position)
		}
	}
}

// Key orders that the tsv cannot show, from the Java definitions and, where
// captured, the column order of cqlsh's SELECT * (partition key, clustering,
// then the rest).
func TestSystemKeyOrder(t *testing.T) {
	cases := []struct {
		table  string
		pk, ck []string
	}{
		{"system.local", []string{"key"}, nil},
		{"system.peers_v2", []string{"peer"}, []string{"peer_port"}},
		{"system.sstable_activity", []string{"keyspace_name", "columnfamily_name", "generation"}, nil},
		{"system.sstable_activity_v2", []string{"keyspace_name", "table_name", "id"}, nil},
		{"system.size_estimates", []string{"keyspace_name"}, []string{"table_name", "range_start", "range_end"}},
		{"system.table_estimates", []string{"keyspace_name"}, []string{"table_name", "range_type", "range_start", "range_end"}},
		{"system.transferred_ranges_v2", []string{"operation", "keyspace_name"}, []string{"peer", "peer_port"}},
		{"system.view_builds_in_progress", []string{"keyspace_name"}, []string{"view_name", "start_token", "end_token"}},
		{"system.top_partitions", []string{"keyspace_name"}, []string{"table_name", "top_type"}},
		{"system_schema.columns", []string{"keyspace_name"}, []string{"table_name", "column_name"}},
		{"system_schema.functions", []string{"keyspace_name"}, []string{"function_name", "argument_types"}},
		{"system_distributed.repair_history", []string{"keyspace_name", "columnfamily_name"}, []string{"id"}},
		{"system_distributed.partition_denylist", []string{"ks_name", "table_name"}, []string{"key"}},
		{"system_distributed.view_build_status", []string{"keyspace_name", "view_name"}, []string{"host_id"}},
		{"system_views.local_read_latency", []string{"keyspace_name", "table_name"}, nil},
		{"system_views.disk_usage", []string{"keyspace_name", "table_name"}, nil},
		{"system_views.internode_outbound", []string{"address", "port"}, []string{"dc", "rack"}},
		{"system_views.permissions_cache_keys", []string{"role", "resource"}, nil},
		{"system_views.sstable_tasks", []string{"keyspace_name"}, []string{"table_name", "task_id"}},
		{"system_virtual_schema.columns", []string{"keyspace_name"}, []string{"table_name", "column_name"}},
	}
	tables := allTables()
	for _, c := range cases {
		tb := tables[c.table]
		if tb == nil {
			t.Errorf("no table %s", c.table)
			continue
		}
		if got := columnNames(tb.PartitionKey); !reflect.DeepEqual(got, c.pk) {
			t.Errorf("%s: partition key %v, want %v", c.table, got, c.pk)
		}
		if got := columnNames(tb.Clustering); !reflect.DeepEqual(got, c.ck) {
			t.Errorf("%s: clustering %v, want %v", c.table, got, c.ck)
		}
	}
}

func allTables() map[string]*Table {
	out := map[string]*Table{}
	for _, ks := range SystemKeyspaces() {
		for _, tb := range ks.Tables {
			out[ks.Name+"."+tb.Name] = tb
		}
	}
	return out
}

func columnNames(cols []*Column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name)
	}
	return out
}

// The keys of system.local.truncated_at in cql-system-tables.txt are the ids
// of the system tables truncated on that node; each must be the id of one of
// our tables, computed as TableId.forSystemTable does.
func TestTableIDsMatchTruncatedAt(t *testing.T) {
	b, err := os.ReadFile(testdata + "cql-system-tables.txt")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "truncated_at") {
			line = l
			break
		}
	}
	ids := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindAllString(line, -1)
	if len(ids) != 3 {
		t.Fatalf("found %d ids in %q", len(ids), line)
	}
	byID := map[string]string{}
	for name, tb := range allTables() {
		s := formatUUID(tb.ID)
		if other, dup := byID[s]; dup {
			t.Errorf("%s and %s share id %s", name, other, s)
		}
		byID[s] = name
	}
	want := map[string]string{
		"176c39cd-b93d-33a5-a218-8eb06a56f66e": "system.table_estimates",
		"618f817b-005f-3678-b8a4-53f3930b8e86": "system.size_estimates",
		"62efe31f-3be8-310c-8d29-8963439c1288": "system.sstable_activity_v2",
	}
	for _, id := range ids {
		if byID[id] != want[id] || want[id] == "" {
			t.Errorf("truncated_at id %s is %q, want %q", id, byID[id], want[id])
		}
	}
	// Data directory names (<table>-<id without dashes>) of a real 4.1
	// node's system keyspace.
	dirs := []string{
		"local-7ad54392bcdd35a684174e047860b377",
		"paxos_repair_history-ecb8666740b23316bb91e612c8047457",
		"table_estimates-176c39cdb93d33a5a2188eb06a56f66e",
		"available_ranges_v2-4224a0882ac93d0c889dfbb5f0facda0",
		"transferred_ranges_v2-1ff78f1a7df13a2aa9986f4932270af5",
		"transferred_ranges-6cad20f7d4f53af2b6e20da33c6c1f83",
		"peer_events-59dfeaea8db2334191ef109974d81484",
	}
	for _, d := range dirs {
		i := strings.LastIndexByte(d, '-')
		id := strings.ReplaceAll(formatUUID(TableIDFor("system", d[:i])), "-", "")
		if id != d[i+1:] {
			t.Errorf("TableIDFor(system, %s) = %s, want %s", d[:i], id, d[i+1:])
		}
	}
	if u, err := parseUUID("62efe31f-3be8-310c-8d29-8963439c1288"); err != nil || u != TableIDFor("system", "sstable_activity_v2") {
		t.Errorf("parseUUID: %v, %v", u, err)
	}
}

// Replication as cqlsh printed system_schema.keyspaces on the real node.
func TestReplicationMatchesCapture(t *testing.T) {
	b, err := os.ReadFile(testdata + "cql-system-tables.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "SELECT * FROM system_schema.keyspaces;")
	end := strings.Index(text[start:], "rows)")
	section := text[start : start+end]
	captured := map[string]string{}
	var ks string
	for _, l := range strings.Split(section, "\n") {
		k, v, ok := strings.Cut(l, "|")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "keyspace_name":
			ks = v
		case "replication":
			captured[ks] = v
		}
	}
	n := 0
	for _, k := range SystemKeyspaces() {
		rep := formatReplication(k.Replication)
		if k.Virtual {
			if rep != "{'class': 'org.apache.cassandra.locator.LocalStrategy'}" {
				t.Errorf("%s: replication %s", k.Name, rep)
			}
			if _, ok := captured[k.Name]; ok {
				t.Errorf("virtual keyspace %s listed in system_schema.keyspaces", k.Name)
			}
			continue
		}
		n++
		if captured[k.Name] != rep {
			t.Errorf("%s: replication %s, captured %s", k.Name, rep, captured[k.Name])
		}
	}
	if n != 5 {
		t.Errorf("%d real system keyspaces", n)
	}
}

func formatReplication(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, "'"+k+"': '"+m[k]+"'")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestComments(t *testing.T) {
	tables := allTables()
	for name, want := range map[string]string{
		"system.local":                          "information about the local node",
		"system.peers_v2":                       "information about known peers in the cluster",
		"system.paxos_repair_history":           "paxos repair history",
		"system_schema.tables":                  "table definitions",
		"system_auth.roles":                     "role definitions",
		"system_distributed.partition_denylist": "Partition keys which have been denied access",
		"system_traces.sessions":                "tracing sessions",
		"system_views.settings":                 "current settings",
		"system_views.queries":                  "Lists currently running queries",
		"system_views.internode_inbound":        "",
		"system_virtual_schema.tables":          "virtual table definitions",
	} {
		tb := tables[name]
		if tb == nil {
			t.Errorf("no table %s", name)
			continue
		}
		if tb.Comment != want {
			t.Errorf("%s: comment %q, want %q", name, tb.Comment, want)
		}
		if !tb.Virtual && tb.Options["comment"] != want {
			t.Errorf("%s: Options[comment] %q, want %q", name, tb.Options["comment"], want)
		}
	}
}

// checkOptionValue checks that v is the Go representation of a value of the
// CQL type typ (as system-schema.tsv spells it), or nil.
func checkOptionValue(t *testing.T, where, typ string, v any) {
	t.Helper()
	if v == nil {
		return
	}
	ok := false
	switch typ {
	case "text":
		_, ok = v.(string)
	case "double":
		_, ok = v.(float64)
	case "int":
		_, ok = v.(int32)
	case "boolean":
		_, ok = v.(bool)
	case "frozen<map<text, text>>":
		var pairs []cqltype.Pair
		if pairs, ok = v.([]cqltype.Pair); ok {
			for i, p := range pairs {
				_, k := p.Key.(string)
				_, s := p.Value.(string)
				ok = ok && k && s && (i == 0 || pairs[i-1].Key.(string) < p.Key.(string))
			}
		}
	case "frozen<map<text, blob>>":
		var pairs []cqltype.Pair
		if pairs, ok = v.([]cqltype.Pair); ok {
			for _, p := range pairs {
				_, k := p.Key.(string)
				_, b := p.Value.([]byte)
				ok = ok && k && b
			}
		}
	case "frozen<set<text>>":
		var elems []any
		if elems, ok = v.([]any); ok {
			for i, e := range elems {
				_, s := e.(string)
				ok = ok && s && (i == 0 || elems[i-1].(string) < e.(string))
			}
		}
	}
	if !ok {
		t.Errorf("%s: value %#v is not a %s", where, v, typ)
	}
}

func TestTableOptions(t *testing.T) {
	tsv := readSchemaTSV(t)
	wantKeys := map[string]string{}
	for name, c := range tsv["system_schema.tables"] {
		if name != "keyspace_name" && name != "table_name" && name != "id" {
			wantKeys[name] = c.typ
		}
	}
	check := func(where string, opts map[string]any) {
		t.Helper()
		for k, typ := range wantKeys {
			v, ok := opts[k]
			if !ok {
				t.Errorf("%s: option %s missing", where, k)
				continue
			}
			checkOptionValue(t, where+"."+k, typ, v)
		}
		for k := range opts {
			if _, ok := wantKeys[k]; !ok {
				t.Errorf("%s: option %s is not a system_schema.tables column", where, k)
			}
		}
	}
	def := DefaultTableOptions()
	check("default", def)
	want := map[string]any{
		"additional_write_policy": "99p",
		"bloom_filter_fp_chance":  0.01,
		"caching": []cqltype.Pair{{Key: "keys", Value: "ALL"},
			{Key: "rows_per_partition", Value: "NONE"}},
		"cdc":     nil,
		"comment": "",
		"compaction": []cqltype.Pair{
			{Key: "class", Value: "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"},
			{Key: "max_threshold", Value: "32"}, {Key: "min_threshold", Value: "4"}},
		"compression": []cqltype.Pair{{Key: "chunk_length_in_kb", Value: "16"},
			{Key: "class", Value: "org.apache.cassandra.io.compress.LZ4Compressor"}},
		"crc_check_chance":            1.0,
		"dclocal_read_repair_chance":  0.0,
		"default_time_to_live":        int32(0),
		"extensions":                  []cqltype.Pair{},
		"flags":                       []any{"compound"},
		"gc_grace_seconds":            int32(864000),
		"max_index_interval":          int32(2048),
		"memtable":                    nil,
		"memtable_flush_period_in_ms": int32(0),
		"min_index_interval":          int32(128),
		"read_repair":                 "BLOCKING",
		"read_repair_chance":          0.0,
		"speculative_retry":           "99p",
	}
	if !reflect.DeepEqual(def, want) {
		t.Errorf("DefaultTableOptions:\n got %#v\nwant %#v", def, want)
	}
	def["gc_grace_seconds"] = int32(1)
	def["flags"].([]any)[0] = "x"
	if d := DefaultTableOptions(); d["gc_grace_seconds"] != int32(864000) || d["flags"].([]any)[0] != "compound" {
		t.Error("DefaultTableOptions shares state between calls")
	}

	tables := allTables()
	for name, tb := range tables {
		if tb.Virtual {
			if tb.Options != nil {
				t.Errorf("%s: virtual table has options", name)
			}
			continue
		}
		check(name, tb.Options)
	}
	for _, c := range []struct {
		table, option string
		want          any
	}{
		{"system.local", "gc_grace_seconds", int32(0)},
		{"system.local", "memtable_flush_period_in_ms", int32(3600000)},
		{"system.paxos", "compaction", []cqltype.Pair{
			{Key: "class", Value: "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"},
			{Key: "max_threshold", Value: "32"}, {Key: "min_threshold", Value: "4"}}},
		{"system.paxos", "bloom_filter_fp_chance", 0.1},
		{"system.batches", "compaction", []cqltype.Pair{
			{Key: "class", Value: "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"},
			{Key: "max_threshold", Value: "32"}, {Key: "min_threshold", Value: "2"}}},
		{"system.compaction_history", "default_time_to_live", int32(604800)},
		{"system_schema.tables", "gc_grace_seconds", int32(604800)},
		{"system_schema.tables", "memtable_flush_period_in_ms", int32(3600000)},
		{"system_auth.roles", "gc_grace_seconds", int32(7776000)},
		{"system_auth.roles", "memtable_flush_period_in_ms", int32(0)},
		{"system_traces.events", "gc_grace_seconds", int32(0)},
		{"system_distributed.view_build_status", "gc_grace_seconds", int32(864000)},
		{"system_distributed.repair_history", "default_time_to_live", int32(2592000)},
		{"system_distributed.repair_history", "compaction", []cqltype.Pair{
			{Key: "class", Value: "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy"},
			{Key: "compaction_window_size", Value: "1"}, {Key: "compaction_window_unit", Value: "DAYS"},
			{Key: "max_threshold", Value: "32"}, {Key: "min_threshold", Value: "4"}}},
	} {
		if got := tables[c.table].Options[c.option]; !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s = %#v, want %#v", c.table, c.option, got, c.want)
		}
	}
}

func TestSystemKeyspacesAreFresh(t *testing.T) {
	a := SystemKeyspaces()
	a[0].Tables[0].Columns[0].Name = "changed"
	a[0].Tables[0].Options["comment"] = "changed"
	a[0].Replication["class"] = "changed"
	b := SystemKeyspaces()
	if b[0].Tables[0].Columns[0].Name == "changed" || b[0].Tables[0].Options["comment"] == "changed" ||
		b[0].Replication["class"] == "changed" {
		t.Error("SystemKeyspaces shares state between calls")
	}
}

func TestClone(t *testing.T) {
	for _, ks := range SystemKeyspaces() {
		c := ks.Clone()
		if !reflect.DeepEqual(c, ks) {
			t.Fatalf("%s: clone differs", ks.Name)
		}
		for i, tb := range c.Tables {
			checkTableLayout(t, tb)
			if tb == ks.Tables[i] || (len(tb.Columns) > 0 && tb.Columns[0] == ks.Tables[i].Columns[0]) {
				t.Fatalf("%s.%s: clone shares pointers", ks.Name, tb.Name)
			}
		}
	}
	ks := SystemKeyspaces()[0]
	c := ks.Clone()
	tb := c.Table("local")
	tb.Column("key").Name = "k2"
	tb.Options["caching"].([]cqltype.Pair)[0].Value = "NONE"
	c.Replication["class"] = "x"
	tb.Column("tokens").Type.Elems[0].ID = cqltype.Int
	orig := ks.Table("local")
	if orig.Column("key") == nil || orig.Options["caching"].([]cqltype.Pair)[0].Value != "ALL" ||
		ks.Replication["class"] != LocalStrategy || orig.Column("tokens").Type.String() != "set<text>" {
		t.Error("Clone shares state with the original")
	}
	if tb.PartitionKey[0].Name != "k2" {
		t.Error("clone's PartitionKey does not point at its own columns")
	}
	d := cloneValue(cqltype.Decimal{Unscaled: big.NewInt(5), Scale: 1}).(cqltype.Decimal)
	if d.Unscaled.Int64() != 5 || d.Scale != 1 {
		t.Errorf("cloneValue(Decimal) = %v", d)
	}
}
