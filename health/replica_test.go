package health

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/node"
)

// The CEP's replica example: 200 with config_sync GOOD, no corrupt
// SSTable, the host id and the tokens in numeric order.
func TestReplicaCEPExample(t *testing.T) {
	s := &node.Snapshot{Taken: t0, CassandraRunning: true, GossipActive: true, NativeActive: true,
		HostID: "eff7c7de-c3c4-4d3a-8bd7-7d4dd67b4262", Tokens: []string{"-7686143364045646507", "-9223372036854775808"}}
	rep, ok := Replica(s, ConfigSync{Status: SyncGood, Differences: []Difference{}}, nil, Config{}, t0.Add(1500*time.Millisecond))
	if !ok {
		t.Fatalf("unhealthy: %v", rep["reasons"])
	}
	got := roundTrip(t, rep)
	want := map[string]any{
		"cassandra_running": true,
		"config_sync":       "GOOD",
		"corrupt_sstables":  0.0,
		"gossip_active":     true,
		"id":                "eff7c7de-c3c4-4d3a-8bd7-7d4dd67b4262",
		"tokens":            []any{"-9223372036854775808", "-7686143364045646507"},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	extra := map[string]bool{"config_diff": true, "corrupt_sstable_files": true, "as_of": true, "data_age_seconds": true}
	for k := range got {
		if _, cep := want[k]; !cep && !extra[k] {
			t.Errorf("unexpected field %s", k)
		}
	}
	if got["data_age_seconds"] != 1.5 {
		t.Errorf("age %v", got["data_age_seconds"])
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"config_diff":[]`) || !strings.Contains(string(b), `"corrupt_sstable_files":[]`) {
		t.Errorf("empty lists must be [], not null: %s", b)
	}
}

func TestReplicaRealNode(t *testing.T) {
	c := loadCapture(t)
	s := c.snapshotFrom(t, "127.0.0.1:7000")
	settings, _ := loadSettings(t)
	s.Settings = settings
	good := CompareConfig([]byte(yaml41), settings)
	rep, ok := Replica(s, good, nil, Config{}, t0)
	if !ok || rep["id"] != "5704d1d8-4c54-45d0-8157-6a43affaf477" {
		t.Fatalf("ok=%v id=%v reasons %v", ok, rep["id"], rep["reasons"])
	}
	toks := rep["tokens"].([]string)
	if len(toks) != 16 || toks[0] != "-8514888187217138964" {
		t.Errorf("tokens %v", toks)
	}
	for i := 1; i < len(toks); i++ {
		var a, b int64
		json.Unmarshal([]byte(toks[i-1]), &a)
		json.Unmarshal([]byte(toks[i]), &b)
		if a >= b {
			t.Fatalf("tokens not in numeric order: %v", toks)
		}
	}

	// Change the yaml on disk: config_sync BAD names the key; the replica
	// stays healthy unless ConfigSyncFailsReplica.
	bad := CompareConfig([]byte(yaml41+"concurrent_compactors: 4\n"), settings)
	rep, ok = Replica(s, bad, nil, Config{}, t0)
	if !ok || rep["config_sync"] != "BAD" {
		t.Fatalf("drift: ok=%v sync=%v", ok, rep["config_sync"])
	}
	if d := rep["config_diff"].([]Difference); !reflect.DeepEqual(d, []Difference{{Key: "concurrent_compactors", OnDisk: "4", Running: "2"}}) {
		t.Errorf("config_diff %+v", d)
	}
	rep, ok = Replica(s, bad, nil, Config{ConfigSyncFailsReplica: true}, t0)
	if ok || !strings.Contains(strings.Join(strs(rep["reasons"]), " "), "concurrent_compactors") {
		t.Errorf("ConfigSyncFailsReplica: ok=%v reasons %v", ok, rep["reasons"])
	}
	unknown := ConfigSync{Status: SyncUnknown, Error: "open /etc/cassandra/cassandra.yaml: permission denied"}
	rep, ok = Replica(s, unknown, nil, Config{}, t0)
	if !ok || rep["config_sync"] != "UNKNOWN" || rep["config_error"] != unknown.Error {
		t.Errorf("unknown sync: ok=%v %v", ok, rep)
	}
	if _, ok = Replica(s, unknown, nil, Config{ConfigSyncFailsReplica: true}, t0); ok {
		t.Error("UNKNOWN sync passed with ConfigSyncFailsReplica")
	}
	if rep, _ := Replica(s, ConfigSync{}, nil, Config{}, t0); rep["config_sync"] != "UNKNOWN" {
		t.Errorf("zero ConfigSync: %v", rep["config_sync"])
	}

	// A corrupt SSTable makes the replica unhealthy.
	corrupt := []CorruptSSTable{{File: "/var/lib/cassandra/data/ks3/t-1/nb-1-big-Index.db", Reason: "Index.db is listed in TOC.txt but missing", SSTable: "/var/lib/cassandra/data/ks3/t-1/nb-1-big", Keyspace: "ks3", Table: "t"}}
	rep, ok = Replica(s, good, corrupt, Config{}, t0)
	if ok || rep["corrupt_sstables"] != 1 {
		t.Errorf("corrupt: ok=%v %v", ok, rep["corrupt_sstables"])
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"corrupt_sstable_files":[{"file":"/var/lib/cassandra/data/ks3/t-1/nb-1-big-Index.db","reason":"Index.db is listed in TOC.txt but missing"`) {
		t.Errorf("%s", b)
	}

	// Gossip disabled (nodetool disablegossip), Cassandra down, stale data.
	s2 := *s
	s2.GossipActive = false
	if _, ok := Replica(&s2, good, nil, Config{}, t0); ok {
		t.Error("healthy without gossip")
	}
	s2 = node.Snapshot{Taken: t0, Errors: []string{"jmx: connection refused"}}
	rep, ok = Replica(&s2, good, nil, Config{}, t0)
	if ok || rep["id"] != nil || rep["tokens"] == nil {
		t.Errorf("dead node: ok=%v id=%v tokens=%v", ok, rep["id"], rep["tokens"])
	}
	if _, ok := Replica(s, good, nil, Config{MaxAge: time.Second}, t0.Add(2*time.Second)); ok {
		t.Error("healthy with stale data")
	}
}
