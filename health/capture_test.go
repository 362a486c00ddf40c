package health

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/node"
)

// The capture of a real Cassandra 4.1.6 cluster: dc1 = {127.0.0.1 rack1,
// 127.0.0.2 rack2}, dc2 = {127.0.0.3 rack1}, num_tokens 16; smoke {dc1:1},
// ks3 {dc1:2, dc2:1}, system_auth SimpleStrategy 1.
const captureDir = "../testdata/cassandra-4.1.6"

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

type capture struct {
	local     node.Peer   // system.local as a peer row (Endpoint, HostID, DC, Rack, Tokens)
	peers     []node.Peer // system.peers_v2
	keyspaces []node.Keyspace
}

// loadCapture parses system.local, system.peers_v2 and
// system_schema.keyspaces out of cqlsh's expanded output.
func loadCapture(t testing.TB) capture {
	t.Helper()
	f, err := os.Open(filepath.Join(captureDir, "cql-system-tables.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type table struct {
		name string
		rows []map[string]string
	}
	var tables []*table
	var cur *table
	var row map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "cqlsh> SELECT * FROM ") {
			cur = &table{name: strings.TrimSuffix(strings.TrimPrefix(line, "cqlsh> SELECT * FROM "), ";")}
			tables = append(tables, cur)
			row = nil
			continue
		}
		if strings.HasPrefix(line, "@ Row") && cur != nil {
			row = map[string]string{}
			cur.rows = append(cur.rows, row)
			continue
		}
		if k, v, ok := strings.Cut(line, " | "); ok && row != nil && strings.HasPrefix(line, " ") {
			row[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	quoted := regexp.MustCompile(`'([^']*)'`)
	toks := func(s string) []string {
		var out []string
		for _, m := range quoted.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}
	var c capture
	for _, tb := range tables {
		for _, r := range tb.rows {
			switch tb.name {
			case "system.local":
				c.local = node.Peer{Endpoint: r["broadcast_address"] + ":" + r["broadcast_port"], HostID: r["host_id"], DC: r["data_center"], Rack: r["rack"], Tokens: toks(r["tokens"])}
			case "system.peers_v2":
				c.peers = append(c.peers, node.Peer{Endpoint: r["peer"] + ":" + r["peer_port"], HostID: r["host_id"], DC: r["data_center"], Rack: r["rack"],
					NativeAddress: r["native_address"] + ":" + r["native_port"], Release: r["release_version"], Tokens: toks(r["tokens"])})
			case "system_schema.keyspaces":
				m := map[string]string{}
				p := quoted.FindAllStringSubmatch(r["replication"], -1)
				for i := 0; i+1 < len(p); i += 2 {
					m[p[i][1]] = p[i+1][1]
				}
				c.keyspaces = append(c.keyspaces, node.Keyspace{Name: r["keyspace_name"], Replication: m})
			}
		}
	}
	if c.local.Endpoint != "127.0.0.1:7000" || len(c.peers) != 2 || len(c.keyspaces) != 7 || len(c.local.Tokens) != 16 {
		t.Fatalf("capture: local %+v, %d peers, %d keyspaces", c.local, len(c.peers), len(c.keyspaces))
	}
	return c
}

// snapshotFrom is the snapshot the sidecar beside observer would take, with
// down endpoints unreachable in gossip.
func (c capture) snapshotFrom(t testing.TB, observer string, down ...string) *node.Snapshot {
	t.Helper()
	all := append([]node.Peer{c.local}, c.peers...)
	s := &node.Snapshot{Taken: t0, CassandraRunning: true, OperationMode: "NORMAL", NativeActive: true, GossipActive: true,
		ReleaseVersion: "4.1.6", ClusterName: "realcass", Keyspaces: c.keyspaces}
	isDown := map[string]bool{}
	for _, d := range down {
		isDown[d] = true
	}
	found := false
	for _, p := range all {
		if p.Endpoint == observer {
			found = true
			s.Endpoint, s.HostID, s.DC, s.Rack, s.Tokens = p.Endpoint, p.HostID, p.DC, p.Rack, p.Tokens
			s.NativeAddress = strings.TrimSuffix(p.Endpoint, ":7000") + ":9042"
		} else {
			s.Peers = append(s.Peers, p)
		}
		if isDown[p.Endpoint] {
			s.UnreachableEndpoints = append(s.UnreachableEndpoints, p.Endpoint)
		} else {
			s.LiveEndpoints = append(s.LiveEndpoints, p.Endpoint)
		}
	}
	if !found {
		t.Fatalf("no node %s", observer)
	}
	return s
}

// loadSettings reads settings.txt: every row of system_views.settings of a
// real 4.1.6 node; null rows are left out, as node.Snapshot does.
func loadSettings(t testing.TB) (settings map[string]string, nulls []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(captureDir, "settings.txt"))
	if err != nil {
		t.Fatal(err)
	}
	settings = map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " | ")
		if !ok || strings.TrimSpace(k) == "name" {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "null" {
			nulls = append(nulls, k)
			continue
		}
		settings[k] = v
	}
	if len(settings)+len(nulls) != 526 {
		t.Fatalf("settings.txt: %d rows, want 526", len(settings)+len(nulls))
	}
	return settings, nulls
}

// roundTrip is the report as a client decodes it.
func roundTrip(t testing.TB, rep map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func strs(v any) []string {
	out := stringList(v)
	if out == nil {
		return []string{}
	}
	return out
}
