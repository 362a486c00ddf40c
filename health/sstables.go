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
	"Statistics.db": true, "CompressionInfo.db": true, "TOC.txt": true,
	"Digest.crc32": true, "Digest.adler32": true, "Digest.sha1": true,
	"Partitions.db": true, "Rows.db": true,
}

// ScanSSTables checks every SSTable under the data directories
// (<dir>/<keyspace>/<table>-<id>/, and the .<index>/ directories of
// secondary indexes inside them; snapshots/ and backups/ are copies and are
// skipped): each component listed in its TOC.txt must exist and, for the
// core components, be non-empty, and a Data.db must have a TOC.txt.
// SSTables named in a transaction log of their directory are in the middle
// of a flush, compaction or deletion and are not judged. The error reports
// directories that could not be read; what was found elsewhere is still
// returned.
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
		comps map[string]bool
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
		if m == nil {
			continue
		}
		base := m[1] + "-" + m[2] + "-" + m[3]
		if ssts[base] == nil {
			ssts[base] = &sst{comps: map[string]bool{}}
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
		prefix := filepath.Join(dir, base) + "-"
		bad := func(comp, reason string) {
			out = append(out, CorruptSSTable{File: prefix + comp, Reason: reason, SSTable: filepath.Join(dir, base), Keyspace: keyspace, Table: table})
		}
		s := ssts[base]
		if !s.comps["TOC.txt"] {
			if s.comps["Data.db"] {
				bad("Data.db", "Data.db without TOC.txt")
			}
			continue
		}
		toc, err := os.ReadFile(prefix + "TOC.txt")
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				bad("TOC.txt", "TOC.txt unreadable: "+err.Error())
			}
			continue
		}
		var listed []string
		for _, l := range strings.Split(string(toc), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				listed = append(listed, l)
			}
		}
		if len(listed) == 0 {
			bad("TOC.txt", "TOC.txt is empty")
			continue
		}
		var found []CorruptSSTable
		if !slices.Contains(listed, "Data.db") {
			found = append(found, CorruptSSTable{File: prefix + "TOC.txt", Reason: "TOC.txt does not list Data.db"})
		}
		for _, comp := range listed {
			fi, err := os.Stat(prefix + comp)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				found = append(found, CorruptSSTable{File: prefix + comp, Reason: comp + " is listed in TOC.txt but missing"})
			case err != nil:
				found = append(found, CorruptSSTable{File: prefix + comp, Reason: comp + " unreadable: " + err.Error()})
			case fi.IsDir():
				found = append(found, CorruptSSTable{File: prefix + comp, Reason: comp + " is a directory"})
			case fi.Size() == 0 && mustNotBeEmpty[comp]:
				found = append(found, CorruptSSTable{File: prefix + comp, Reason: comp + " is empty"})
			}
		}
		if len(found) > 0 {
			// A TOC.txt that vanished meanwhile means the SSTable was
			// being deleted, not that it is damaged.
			if _, err := os.Stat(prefix + "TOC.txt"); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			for _, f := range found {
				bad(strings.TrimPrefix(f.File, prefix), f.Reason)
			}
		}
	}
	return out, errors.Join(errs...)
}
