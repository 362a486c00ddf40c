package health

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// CorruptSSTable is one damaged SSTable component.
type CorruptSSTable struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
	// SSTable is the descriptor's path without the component
	// (".../ks/t-<id>/nb-1-big"); several files can share it.
	SSTable  string `json:"sstable"`
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
}

// sstableFile matches a 3.0+ SSTable component: version, generation (a
// number, or a 4.1 time-based id such as 3g7y_0x5l_2nsb42cqg3l1bq2xrf),
// format (big, bti) and component: "nb-1-big-Data.db".
var sstableFile = regexp.MustCompile(`^([a-z]{2})-([0-9a-z_]+)-([a-z]+)-(.+)$`)

// txnLog matches a LogTransaction file ("nb_txn_compaction_<uuid>.log"):
// while one exists, the SSTables it names are being written or deleted.
var txnLog = regexp.MustCompile(`^[a-z]{2}_txn_[a-z_]+_[0-9a-f-]+\.log$`)

// mustNotBeEmpty are the components that always have content in a
// complete SSTable. Custom components (secondary index files) may
// legitimately be empty and are only checked for existence.
var mustNotBeEmpty = map[string]bool{
	"Data.db": true, "Index.db": true, "Summary.db": true, "Filter.db": true,
	"Statistics.db": true, "CompressionInfo.db": true, "TOC.txt": true, "CRC.db": true,
	"Digest.crc32": true, "Digest.adler32": true, "Digest.sha1": true,
	"Partitions.db": true, "Rows.db": true,
}

// bigRequired are the components without which Cassandra 4.1 cannot open
// a BIG-format SSTable: SSTableReader.open asserts Data, the primary index
// (always, as it opens with validate) and Statistics (the serialization
// header). Summary and Filter are rebuilt from the index when missing
// (SSTableReaderBuilder.ForRead.load), Digest and CRC are only read by
// verification and streaming.
var bigRequired = []string{"Data.db", "Index.db", "Statistics.db"}

// readByCassandra41 tells whether Cassandra 4.1's own rules apply to an
// SSTable of this format and version, and when 4.1 cannot read it at
// all, why. 4.1 has one format, big (SSTableFormat.Type), and reads its
// versions "ma" (3.0) up to major "n" (BigFormat.BigVersion.isCompatible:
// version >= earliest_supported_version "ma", major <= current "nb"'s);
// an older one makes it refuse to start (StartupChecks.checkSSTablesFormat).
// A newer format or major version (Cassandra 5's bti, "oa") is another
// release's, whose rules are not 4.1's: only what its TOC.txt lists and
// empty core components are checked.
func readByCassandra41(format, version string) (known bool, unreadable string) {
	if format != "big" {
		return false, ""
	}
	switch {
	case version < "ma":
		return true, fmt.Sprintf("version %s is older than any Cassandra 4.1 reads (ma, 3.0 and later): it must be rewritten with upgradesstables before the upgrade", version)
	case version[0] > 'n':
		return false, ""
	}
	return true, ""
}

// ScanSSTables checks every SSTable under the data directories
// (<dir>/<keyspace>/<table>-<id>/, and the .<index>/ directories of
// secondary indexes inside them; snapshots/ and backups/ are copies and are
// skipped) by the rules of Cassandra 4.1 for its format and version (see
// judgeSSTable). SSTables named in a transaction log of their directory
// are in the middle of a flush, compaction, stream or deletion and are not
// judged. The error reports directories that could not be read; what was
// found elsewhere is still returned.
func ScanSSTables(dataDirs []string) ([]CorruptSSTable, error) {
	var out []CorruptSSTable
	var errs []error
	for _, d := range dataDirs {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		keyspaces, err := os.ReadDir(d)
		if err != nil {
			errs = append(errs, fmt.Errorf("data directory %s: %w", d, err))
			continue
		}
		for _, ks := range keyspaces {
			if !ks.IsDir() {
				continue
			}
			ksDir := filepath.Join(d, ks.Name())
			tables, err := os.ReadDir(ksDir)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, t := range tables {
				if !t.IsDir() {
					continue
				}
				table := t.Name()
				if i := strings.LastIndexByte(table, '-'); i > 0 {
					table = table[:i] // "<table>-<id without dashes>"
				}
				c, err := scanTableDir(filepath.Join(ksDir, t.Name()), ks.Name(), table, true)
				out = append(out, c...)
				if err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Reason < out[j].Reason
	})
	return out, errors.Join(errs...)
}

func scanTableDir(dir, keyspace, table string, top bool) ([]CorruptSSTable, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // dropped or compacted away while we looked
		}
		return nil, err
	}
	type sst struct {
		version, format string
		comps           map[string]bool
	}
	ssts := map[string]*sst{}
	var logs []string
	var out []CorruptSSTable
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			// Secondary index SSTables live in .<index_name>/ (once).
			if top && strings.HasPrefix(name, ".") {
				c, err := scanTableDir(filepath.Join(dir, name), keyspace, table+"."+strings.TrimPrefix(name, "."), false)
				out = append(out, c...)
				if err != nil {
					errs = append(errs, err)
				}
			}
			continue // snapshots/, backups/ and anything else
		}
		if txnLog.MatchString(name) {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				logs = append(logs, string(b))
			}
			continue
		}
		m := sstableFile.FindStringSubmatch(name)
		// Temporary files ("…-Data.db.<uuid>.tmp" of a stream, ".tmp" of a
		// rewrite) are not components; Cassandra deletes them at startup.
		if m == nil || strings.HasSuffix(name, ".tmp") {
			continue
		}
		base := m[1] + "-" + m[2] + "-" + m[3]
		if ssts[base] == nil {
			ssts[base] = &sst{version: m[1], format: m[3], comps: map[string]bool{}}
		}
		ssts[base].comps[m[4]] = true
	}
	inFlight := func(base string) bool {
		for _, l := range logs {
			if strings.Contains(l, string(filepath.Separator)+base+",") {
				return true
			}
		}
		return false
	}
	for _, base := range sortedKeys(ssts) {
		if inFlight(base) {
			continue
		}
		s := ssts[base]
		prefix := filepath.Join(dir, base) + "-"
		for _, f := range judgeSSTable(prefix, s.format, s.version, s.comps) {
			out = append(out, CorruptSSTable{File: prefix + f.comp, Reason: f.reason, SSTable: filepath.Join(dir, base), Keyspace: keyspace, Table: table})
		}
	}
	return out, errors.Join(errs...)
}

// damage is one finding of judgeSSTable: the component and why.
type damage struct{ comp, reason string }

// judgeSSTable checks one SSTable, whose files are prefix+component, as
// Cassandra 4.1 would open it.
//
// With a TOC.txt (every flush and compaction writes one), each component
// it lists must exist — SSTable.readTOC logs "Missing component" for one
// that does not, and a listed CompressionInfo.db that is missing makes the
// SSTable corrupt (SSTableReader.verifyCompressionInfoExistenceIfApplicable)
// — and it must list Data.db.
//
// Without one, Cassandra discovers the components from the files present
// (SSTable.discoverComponentsFor, Directories.SSTableLister at startup):
// entire-SSTable streaming (stream_entire_sstables, on by default) sends
// exactly the ComponentManifest components — Data, Index, Statistics,
// CompressionInfo, Filter, Summary, Digest, CRC, no TOC — and
// BigTableZeroCopyWriter writes no TOC either, so bootstrap, rebuild,
// replace and repair leave complete SSTables without one. Files without
// a Data.db are orphans Cassandra deletes at startup
// (ColumnFamilyStore.scrubDataDirectories) and are not judged. As nothing
// lists what should be there, one of CompressionInfo.db and CRC.db must
// be: SSTableWriter.components gives every SSTable one or the other
// (compressed or not), and without CompressionInfo.db a compressed
// SSTable would be read as uncompressed.
//
// Either way, the components a BIG SSTable of a version 4.1 reads cannot
// be opened without (bigRequired) must be there once Data.db is, and no
// core component (mustNotBeEmpty) may be empty.
func judgeSSTable(prefix, format, version string, present map[string]bool) []damage {
	known, unreadable := readByCassandra41(format, version)
	if unreadable != "" {
		comp := "Data.db"
		if !present[comp] {
			comp = sortedKeys(present)[0]
		}
		return []damage{{comp, unreadable}}
	}
	var found []damage
	reported := map[string]bool{}
	bad := func(comp, reason string) {
		if !reported[comp] {
			reported[comp] = true
			found = append(found, damage{comp, reason})
		}
	}
	// stat records what is wrong with a component that should be there
	// (missing: why its absence matters; "" when it does not).
	stat := func(comp, missing string) {
		fi, err := os.Stat(prefix + comp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if missing != "" {
				bad(comp, missing)
			}
		case err != nil:
			bad(comp, comp+" unreadable: "+err.Error())
		case fi.IsDir():
			bad(comp, comp+" is a directory")
		case fi.Size() == 0 && mustNotBeEmpty[comp]:
			bad(comp, comp+" is empty")
		}
	}
	// gone tells whether the SSTable was deleted while we looked (its
	// TOC.txt, or without one its Data.db, vanished): then it was being
	// removed, not damaged.
	gone := func(comp string) bool {
		_, err := os.Stat(prefix + comp)
		return errors.Is(err, fs.ErrNotExist)
	}

	if present["TOC.txt"] {
		toc, err := os.ReadFile(prefix + "TOC.txt")
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				bad("TOC.txt", "TOC.txt unreadable: "+err.Error())
			}
			return found
		}
		var listed []string
		for _, l := range strings.Split(string(toc), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				listed = append(listed, l)
			}
		}
		if len(listed) == 0 {
			bad("TOC.txt", "TOC.txt is empty")
			return found
		}
		if !slices.Contains(listed, "Data.db") {
			bad("TOC.txt", "TOC.txt does not list Data.db")
		}
		for _, comp := range listed {
			stat(comp, comp+" is listed in TOC.txt but missing")
		}
		if known && present["Data.db"] {
			for _, comp := range bigRequired {
				stat(comp, comp+" is missing (and not listed in TOC.txt): Cassandra 4.1 cannot open the SSTable without it")
			}
		}
		if len(found) > 0 && gone("TOC.txt") {
			return nil
		}
		return found
	}

	if !present["Data.db"] {
		return nil
	}
	for _, comp := range sortedKeys(present) {
		stat(comp, "")
	}
	if known {
		for _, comp := range bigRequired {
			stat(comp, comp+" is missing (there is no TOC.txt; Cassandra 4.1 finds the components on disk and cannot open the SSTable without it)")
		}
		if !present["CompressionInfo.db"] && !present["CRC.db"] {
			bad("CompressionInfo.db", "neither CompressionInfo.db nor CRC.db (and no TOC.txt): every SSTable has one of them, and without CompressionInfo.db a compressed one cannot be read")
		}
	}
	if len(found) > 0 && gone("Data.db") {
		return nil
	}
	return found
}
