package health

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ringside/ringside/node"
)

// The components of a BIG-format SSTable, in the order a real 4.1 TOC.txt
// lists them (a HashSet's order, not alphabetical).
var bigComponents = []string{"Data.db", "Statistics.db", "Digest.crc32", "TOC.txt", "CompressionInfo.db", "Filter.db", "Index.db", "Summary.db"}

// What entire-SSTable streaming leaves (ComponentManifest's components
// that the sender has, no TOC.txt): a compressed table's SSTable, and an
// uncompressed one's (CRC.db instead of CompressionInfo.db).
var (
	streamedCompressed   = []string{"Data.db", "Index.db", "Statistics.db", "CompressionInfo.db", "Filter.db", "Summary.db", "Digest.crc32"}
	streamedUncompressed = []string{"Data.db", "Index.db", "Statistics.db", "Filter.db", "Summary.db", "Digest.crc32", "CRC.db"}
)

// The reasons for SSTables without a TOC.txt.
const (
	noTOC             = "(there is no TOC.txt; Cassandra 4.1 finds the components on disk and cannot open the SSTable without it)"
	noCompressionInfo = "neither CompressionInfo.db nor CRC.db (and no TOC.txt): every SSTable has one of them, and without CompressionInfo.db a compressed one cannot be read"
)

func writeSSTable(t *testing.T, dir, base string, comps []string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range comps {
		content := c + " of " + base + "\n"
		if c == "TOC.txt" {
			content = strings.Join(comps, "\n") + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, base+"-"+c), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, base)
}

type finding struct{ file, reason, ks, table string }

func findings(t *testing.T, c []CorruptSSTable, root string) []finding {
	t.Helper()
	var out []finding
	for _, x := range c {
		rel, err := filepath.Rel(root, x.File)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(x.File, x.SSTable+"-") {
			t.Errorf("%s is not a component of %s", x.File, x.SSTable)
		}
		out = append(out, finding{rel, x.Reason, x.Keyspace, x.Table})
	}
	return out
}

func TestScanSSTablesHealthy(t *testing.T) {
	root := t.TempDir()
	tbl := filepath.Join(root, "ks", "kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111")
	writeSSTable(t, tbl, "nb-1-big", bigComponents)
	writeSSTable(t, tbl, "nb-2-big", bigComponents)
	writeSSTable(t, tbl, "na-7-big", bigComponents) // 4.0 version, still readable by 4.1
	// 4.1 time-based (uuid_sstable_identifiers_enabled) generation.
	writeSSTable(t, tbl, "nb-3g7y_0x5l_2nsb42cqg3l1bq2xrf-big", bigComponents)
	writeSSTable(t, filepath.Join(root, "system", "local-7ad54392bcdd35a684174e047860b377"), "nb-1-big", bigComponents)
	// Streamed whole (bootstrap, rebuild, repair): exactly the
	// ComponentManifest components that exist on the sender, no TOC.txt.
	writeSSTable(t, tbl, "nb-4-big", streamedCompressed)
	writeSSTable(t, tbl, "nb-5-big", streamedUncompressed)
	// bloom_filter_fp_chance 1.0: no Filter.db, with or without a TOC.
	writeSSTable(t, tbl, "nb-6-big", []string{"Data.db", "Statistics.db", "Digest.crc32", "TOC.txt", "CompressionInfo.db", "Index.db", "Summary.db"})
	writeSSTable(t, tbl, "nb-7-big", []string{"Data.db", "Index.db", "Statistics.db", "CompressionInfo.db", "Summary.db", "Digest.crc32"})
	// A stream that is still being received: its transaction log names it.
	p := writeSSTable(t, tbl, "nb-8-big", []string{"Data.db"})
	os.WriteFile(filepath.Join(tbl, "nb_txn_stream_5c1d9a40-a5c8-11f0-b5e1-d7f3c4b9a111.log"), []byte("ADD:["+p+",0,8][2046405284]\n"), 0o644)
	// Temporary files are not components.
	os.WriteFile(filepath.Join(tbl, "nb-9-big-Data.db.e2b4c5f0-a5c8-11f0-b5e1-d7f3c4b9a111.tmp"), nil, 0o644)
	// Orphans without Data.db (Cassandra deletes them at startup).
	writeSSTable(t, tbl, "nb-10-big", []string{"Index.db", "Summary.db"})
	// Another release's format and version: only a TOC.txt would be checked.
	writeSSTable(t, tbl, "oa-11-big", []string{"Data.db"})
	writeSSTable(t, tbl, "da-12-bti", []string{"Data.db", "Partitions.db", "Rows.db", "Statistics.db"})
	// Non-SSTable files Cassandra keeps beside them.
	os.WriteFile(filepath.Join(tbl, "manifest.json"), []byte("{}"), 0o644)
	got, err := ScanSSTables([]string{root})
	if err != nil || len(got) != 0 {
		t.Fatalf("%v %v", got, err)
	}
}

func TestScanSSTablesCorruption(t *testing.T) {
	root, root2 := t.TempDir(), t.TempDir()
	tbl := filepath.Join(root, "ks", "kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111")

	// "sim ctl corrupt <node> missing": a component TOC.txt lists is gone.
	p := writeSSTable(t, tbl, "nb-1-big", bigComponents)
	os.Remove(p + "-Index.db")
	// "sim ctl corrupt <node> empty": Data.db truncated.
	p = writeSSTable(t, tbl, "nb-2-big", bigComponents)
	os.Truncate(p+"-Data.db", 0)
	// Data.db and nothing else, no TOC.txt (and no transaction in
	// progress): nothing Cassandra 4.1 could open.
	writeSSTable(t, tbl, "nb-3-big", []string{"Data.db"})
	// An empty TOC.txt.
	p = writeSSTable(t, tbl, "nb-4-big", bigComponents)
	os.Truncate(p+"-TOC.txt", 0)
	// A TOC.txt that does not list Data.db.
	writeSSTable(t, tbl, "nb-5-big", []string{"Index.db", "TOC.txt"})
	// Two problems in one SSTable with a 4.1 time-based id.
	p = writeSSTable(t, tbl, "nb-3g7y_0x5l_2nsb42cqg3l1bq2xrf-big", bigComponents)
	os.Remove(p + "-Summary.db")
	os.Truncate(p+"-Filter.db", 0)
	// A secondary index SSTable inside the table directory.
	p = writeSSTable(t, filepath.Join(tbl, ".kv_v_idx"), "nb-1-big", bigComponents)
	os.Remove(p + "-Statistics.db")
	// A second data directory.
	p = writeSSTable(t, filepath.Join(root2, "ks3", "t-00000000000000000000000000000001"), "nb-9-big", bigComponents)
	os.Remove(p + "-Digest.crc32")

	// Not judged: copies in snapshots/ and backups/, ...
	p = writeSSTable(t, filepath.Join(tbl, "snapshots", "truncated-1700000000000-kv"), "nb-1-big", bigComponents)
	os.Remove(p + "-Index.db")
	p = writeSSTable(t, filepath.Join(tbl, "backups"), "nb-8-big", bigComponents)
	os.Truncate(p+"-Data.db", 0)
	// ... an SSTable being written by a flush (no TOC.txt yet) and one
	// being deleted after a compaction, both named by a transaction log.
	p = writeSSTable(t, tbl, "nb-10-big", []string{"Data.db", "Index.db"})
	q := writeSSTable(t, tbl, "nb-6-big", bigComponents)
	os.Remove(q + "-Data.db")
	log := "ADD:[" + p + ",0,2][1419350733]\nREMOVE:[" + q + ",1700000000000,8][2897312787]\n"
	os.WriteFile(filepath.Join(tbl, "nb_txn_compaction_9a6e7c30-a5c8-11f0-b5e1-d7f3c4b9a111.log"), []byte(log), 0o644)
	// (nb-1-big is still judged although the log names nb-10-big.)

	got, err := ScanSSTables([]string{root, root2, " "})
	if err != nil {
		t.Fatal(err)
	}
	rel := func(r string, fs []finding) []finding {
		for i := range fs {
			fs[i].file = filepath.Join(r, fs[i].file)
		}
		return fs
	}
	want := append(rel(root, []finding{
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/.kv_v_idx/nb-1-big-Statistics.db", "Statistics.db is listed in TOC.txt but missing", "ks", "kv.kv_v_idx"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-1-big-Index.db", "Index.db is listed in TOC.txt but missing", "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-2-big-Data.db", "Data.db is empty", "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-3-big-CompressionInfo.db", noCompressionInfo, "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-3-big-Index.db", "Index.db is missing " + noTOC, "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-3-big-Statistics.db", "Statistics.db is missing " + noTOC, "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-3g7y_0x5l_2nsb42cqg3l1bq2xrf-big-Filter.db", "Filter.db is empty", "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-3g7y_0x5l_2nsb42cqg3l1bq2xrf-big-Summary.db", "Summary.db is listed in TOC.txt but missing", "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-4-big-TOC.txt", "TOC.txt is empty", "ks", "kv"},
		{"ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/nb-5-big-TOC.txt", "TOC.txt does not list Data.db", "ks", "kv"},
	}), rel(root2, []finding{
		{"ks3/t-00000000000000000000000000000001/nb-9-big-Digest.crc32", "Digest.crc32 is listed in TOC.txt but missing", "ks3", "t"},
	})...)
	var all []finding
	for _, f := range findings(t, got, "/") {
		f.file = "/" + f.file
		all = append(all, f)
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("got\n%swant\n%s", fmtFindings(all), fmtFindings(want))
	}
	// Eight damaged SSTables (two of them with several damaged components)
	// in the replica report.
	rep, _ := Replica(&node.Snapshot{Taken: t0, CassandraRunning: true, GossipActive: true}, ConfigSync{Status: SyncGood}, got, Config{}, t0)
	if rep["corrupt_sstables"] != 8 || len(rep["corrupt_sstable_files"].([]CorruptSSTable)) != 11 {
		t.Errorf("corrupt_sstables %v, files %d", rep["corrupt_sstables"], len(rep["corrupt_sstable_files"].([]CorruptSSTable)))
	}
}

func fmtFindings(f []finding) string {
	var b strings.Builder
	for _, x := range f {
		b.WriteString(x.file + " | " + x.reason + " | " + x.ks + "." + x.table + "\n")
	}
	return b.String()
}

func TestScanSSTablesUnreadableDirectories(t *testing.T) {
	root := t.TempDir()
	p := writeSSTable(t, filepath.Join(root, "ks", "kv-1"), "nb-1-big", bigComponents)
	os.Truncate(p+"-Data.db", 0)
	got, err := ScanSSTables([]string{filepath.Join(root, "missing"), root})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("error %v, want one naming the missing directory", err)
	}
	if len(got) != 1 {
		t.Errorf("the readable directory was not scanned: %v", got)
	}
	if got, err := ScanSSTables(nil); err != nil || got != nil {
		t.Errorf("no directories: %v %v", got, err)
	}
}

// TestScanSSTablesRealNodes: the files of one SSTable as a real 4.1.6
// cluster has them (/work/realnode, system_auth.roles): written by a flush
// on the first node (its TOC.txt lists the components in this order), and
// received by entire-SSTable streaming on the third, which bootstrapped
// ("BigTableZeroCopyWriter.java:214 - Writing component DATA to
// …/nb-1-big-Data.db" in its system.log): the same seven components and
// sizes, no TOC.txt, still so after the node's restart. Both are healthy.
func TestScanSSTablesRealNodes(t *testing.T) {
	sizes := map[string]int{"CompressionInfo.db": 47, "Data.db": 102, "Digest.crc32": 9, "Filter.db": 16, "Index.db": 13, "Statistics.db": 4832, "Summary.db": 71}
	toc := "Summary.db\nIndex.db\nData.db\nTOC.txt\nDigest.crc32\nCompressionInfo.db\nStatistics.db\nFilter.db\n"
	for _, withTOC := range []bool{true, false} {
		root := t.TempDir()
		dir := filepath.Join(root, "system_auth", "roles-5bc52802de2535edaeab188eecebb090")
		os.MkdirAll(filepath.Join(dir, "backups"), 0o755)
		for comp, n := range sizes {
			os.WriteFile(filepath.Join(dir, "nb-1-big-"+comp), []byte(strings.Repeat("x", n)), 0o644)
		}
		if withTOC {
			os.WriteFile(filepath.Join(dir, "nb-1-big-TOC.txt"), []byte(toc), 0o644)
		}
		if got, err := ScanSSTables([]string{root}); err != nil || len(got) != 0 {
			t.Errorf("TOC.txt %v: %v %v", withTOC, got, err)
		}
	}
}

// TestScanSSTablesIncomplete: SSTables Cassandra 4.1 cannot open, or that
// miss what they had, are still reported — without a TOC.txt by what
// Cassandra requires, with one by what it lists.
func TestScanSSTablesIncomplete(t *testing.T) {
	root := t.TempDir()
	tbl := filepath.Join(root, "ks", "kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111")
	without := func(comps []string, drop string) []string {
		var out []string
		for _, c := range comps {
			if c != drop {
				out = append(out, c)
			}
		}
		return out
	}
	writeSSTable(t, tbl, "nb-1-big", without(streamedCompressed, "Index.db"))
	writeSSTable(t, tbl, "nb-2-big", without(streamedUncompressed, "Statistics.db"))
	writeSSTable(t, tbl, "nb-3-big", without(streamedCompressed, "CompressionInfo.db"))
	p := writeSSTable(t, tbl, "nb-4-big", streamedCompressed)
	os.Truncate(p+"-Statistics.db", 0)
	p = writeSSTable(t, tbl, "nb-5-big", streamedUncompressed)
	os.Truncate(p+"-CRC.db", 0)
	// A TOC.txt that lists Data.db but neither Index.db nor a file of it.
	writeSSTable(t, tbl, "nb-6-big", without(bigComponents, "Index.db"))
	// A streamed SSTable of the compressed table that lost its
	// CompressionInfo.db, with a TOC.txt saying it had one
	// (SSTableReader.verifyCompressionInfoExistenceIfApplicable).
	p = writeSSTable(t, tbl, "nb-7-big", bigComponents)
	os.Remove(p + "-CompressionInfo.db")
	// A 2.2 SSTable (version la) that was never upgraded: 4.1 refuses to start.
	writeSSTable(t, tbl, "la-8-big", bigComponents)
	// Another format's TOC.txt is still held to what it lists.
	p = writeSSTable(t, tbl, "da-9-bti", []string{"Data.db", "Partitions.db", "Rows.db", "Statistics.db", "TOC.txt"})
	os.Remove(p + "-Partitions.db")

	got, err := ScanSSTables([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	d := "ks/kv-2d5bcb70a5c811f0b5e1d7f3c4b9a111/"
	want := []finding{
		{d + "da-9-bti-Partitions.db", "Partitions.db is listed in TOC.txt but missing", "ks", "kv"},
		{d + "la-8-big-Data.db", "version la is older than any Cassandra 4.1 reads (ma, 3.0 and later): it must be rewritten with upgradesstables before the upgrade", "ks", "kv"},
		{d + "nb-1-big-Index.db", "Index.db is missing " + noTOC, "ks", "kv"},
		{d + "nb-2-big-Statistics.db", "Statistics.db is missing " + noTOC, "ks", "kv"},
		{d + "nb-3-big-CompressionInfo.db", noCompressionInfo, "ks", "kv"},
		{d + "nb-4-big-Statistics.db", "Statistics.db is empty", "ks", "kv"},
		{d + "nb-5-big-CRC.db", "CRC.db is empty", "ks", "kv"},
		{d + "nb-6-big-Index.db", "Index.db is missing (and not listed in TOC.txt): Cassandra 4.1 cannot open the SSTable without it", "ks", "kv"},
		{d + "nb-7-big-CompressionInfo.db", "CompressionInfo.db is listed in TOC.txt but missing", "ks", "kv"},
	}
	if all := findings(t, got, root); !reflect.DeepEqual(all, want) {
		t.Errorf("got\n%swant\n%s", fmtFindings(all), fmtFindings(want))
	}
}
