package sidecar

import (
	"strings"
	"testing"
)

// Which failures a start stops waiting for: corrupt SSTables only once
// Cassandra runs with gossip active (its startup has removed what it
// removes by then), in the replica check.
func TestIncurableFailures(t *testing.T) {
	const files = `"corrupt_sstables": 1, "corrupt_sstable_files": [{"file": "/d/ks/t-1/nb-1-big-Index.db", "reason": "Index.db is listed in TOC.txt but missing", "sstable": "/d/ks/t-1/nb-1-big"}]`
	for _, tc := range []struct {
		check, report, want string
	}{
		{"replica", `{"cassandra_running": true, "gossip_active": true, ` + files + `}`, "1 corrupt SSTable(s), e.g. /d/ks/t-1/nb-1-big-Index.db: Index.db is listed in TOC.txt but missing"},
		{"replica", `{"cassandra_running": true, "gossip_active": false, ` + files + `}`, ""},
		{"replica", `{"cassandra_running": false, "gossip_active": false, ` + files + `}`, ""},
		{"replica", `{"cassandra_running": true, "gossip_active": true, "corrupt_sstables": 0, "corrupt_sstable_files": []}`, ""},
		{"coordinator", `{"cassandra_running": true, "gossip_active": true, ` + files + `}`, ""},
		{"replica", `not json`, ""},
	} {
		got := strings.Join(incurableFailures(tc.check, []byte(tc.report)), "|")
		if got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.check, tc.report, got, tc.want)
		}
	}
}
