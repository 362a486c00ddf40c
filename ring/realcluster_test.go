package ring

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The capture of a real Cassandra 4.1.6 cluster (testdata/cassandra-4.1.6):
// dc1 = {127.0.0.1 rack1, 127.0.0.2 rack2}, dc2 = {127.0.0.3 rack1},
// num_tokens 16.
const captureDir = "../testdata/cassandra-4.1.6"

type capture struct {
	eps       []Endpoint
	keyspaces map[string]map[string]string
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
	c := capture{keyspaces: map[string]map[string]string{}}
	seen := map[string]bool{}
	var rows []map[string]string
	row := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "@ Row") || strings.HasPrefix(line, "cqlsh>") {
			rows = append(rows, row)
			row = map[string]string{}
			continue
		}
		k, v, ok := strings.Cut(line, " | ")
		if ok && strings.HasPrefix(line, " ") {
			row[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	rows = append(rows, row)
	quoted := regexp.MustCompile(`'([^']*)'`)
	for _, r := range rows {
		if toks, ok := r["tokens"]; ok && r["data_center"] != "" {
			addr := r["broadcast_address"]
			if addr == "" {
				addr = r["peer"]
			}
			if seen[addr] {
				continue
			}
			seen[addr] = true
			e := Endpoint{Name: addr + ":7000", DC: r["data_center"], Rack: r["rack"]}
			for _, m := range quoted.FindAllStringSubmatch(toks, -1) {
				tk, err := ParseToken(m[1])
				if err != nil {
					t.Fatal(err)
				}
				e.Tokens = append(e.Tokens, tk)
			}
			c.eps = append(c.eps, e)
		}
		if ks, ok := r["keyspace_name"]; ok && r["replication"] != "" {
			m := map[string]string{}
			pairs := quoted.FindAllStringSubmatch(r["replication"], -1)
			for i := 0; i+1 < len(pairs); i += 2 {
				m[pairs[i][1]] = pairs[i+1][1]
			}
			c.keyspaces[ks] = m
		}
	}
	if len(c.eps) != 3 {
		t.Fatalf("capture: %d endpoints", len(c.eps))
	}
	return c
}

func TestRealClusterPlacement(t *testing.T) {
	c := loadCapture(t)
	topo := mustTopo(t, c.eps)
	if topo.NumRanges() != 48 || len(topo.DCs()) != 2 {
		t.Fatalf("topology %s", topo)
	}
	wantReplicas := map[string]int{
		"system_auth": 1, "system_distributed": 3, "system_traces": 2, "smoke": 1, "ks3": 3,
	}
	for ks, m := range c.keyspaces {
		r, err := ParseReplication(m)
		if err != nil {
			t.Fatalf("%s: %v", ks, err)
		}
		if r.Strategy == LocalStrategy {
			if ks != "system" && ks != "system_schema" {
				t.Fatalf("%s is LocalStrategy", ks)
			}
			continue
		}
		rm, err := topo.ReplicaMap(r)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < rm.NumRanges(); i++ {
			reps := rm.ForRange(i)
			if len(reps) != wantReplicas[ks] {
				t.Fatalf("%s range %v: %d replicas", ks, rm.Range(i), len(reps))
			}
			if ks == "smoke" && topo.Endpoint(reps[0]).DC != "dc1" {
				t.Fatalf("smoke replica outside dc1")
			}
			// With SimpleStrategy the primary replica owns the range's end token.
			if r.Strategy == SimpleStrategy && reps[0] != topo.Owner(i) {
				t.Fatalf("%s: primary of %v is not its owner", ks, rm.Range(i))
			}
		}
	}
}

// The Unavailable errors a real coordinator (127.0.0.1, dc1) returned in
// node-down.txt, for keyspace probe = {dc1: 2, dc2: 1} and system_auth
// (SimpleStrategy RF 1).
func TestRealClusterUnavailable(t *testing.T) {
	c := loadCapture(t)
	topo := mustTopo(t, c.eps)
	probe := mustRepl(t, map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "2", "dc2": "1"})
	idx := func(name string) int {
		i, ok := topo.Index(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		return i
	}
	type want struct {
		cl                 ConsistencyLevel
		ok                 bool
		required, alive    int
		dc                 string
		checkRequiredAlive bool
	}
	scenarios := []struct {
		down  []string
		wants []want
	}{
		{[]string{"127.0.0.3:7000"}, []want{
			{cl: One, ok: true},
			{cl: Quorum, ok: true},
			{cl: LocalQuorum, ok: true},
			{cl: EachQuorum, required: 1, alive: 0, dc: "dc2", checkRequiredAlive: true},
			{cl: All, required: 3, alive: 2, checkRequiredAlive: true},
			{cl: Serial, ok: true},
		}},
		{[]string{"127.0.0.3:7000", "127.0.0.2:7000"}, []want{
			{cl: LocalQuorum, required: 2, alive: 1, checkRequiredAlive: true},
			{cl: LocalOne, ok: true},
			{cl: Quorum, required: 2, alive: 1, checkRequiredAlive: true},
			{cl: Serial, required: 2, alive: 1, checkRequiredAlive: true},
		}},
	}
	for _, sc := range scenarios {
		down := map[int]bool{}
		for _, n := range sc.down {
			down[idx(n)] = true
		}
		isDown := func(e int) bool { return down[e] }
		for _, tok := range []Token{Murmur3Token([]byte("a")), Murmur3Token([]byte("b")), Murmur3Token([]byte("lwt2"))} {
			reps := topo.Replicas(probe, tok)
			for _, w := range sc.wants {
				o, err := topo.Check(probe, w.cl, "dc1", reps, nil, isDown)
				if err != nil {
					t.Fatal(err)
				}
				if o.OK != w.ok {
					t.Fatalf("down %v %s: ok=%v, want %v (%+v)", sc.down, w.cl, o.OK, w.ok, o)
				}
				if w.checkRequiredAlive && (o.Required != w.required || o.Alive != w.alive || o.DC != w.dc && w.dc != "") {
					t.Fatalf("down %v %s: required=%d alive=%d dc=%q, want %d %d %q", sc.down, w.cl, o.Required, o.Alive, o.DC, w.required, w.alive, w.dc)
				}
			}
		}
	}
	// SELECT * FROM system_auth.roles [ONE] with only 127.0.0.1 up: some
	// range of the RF 1 keyspace has required=1 alive=0.
	auth := mustRepl(t, c.keyspaces["system_auth"])
	down := func(e int) bool { return e != idx("127.0.0.1:7000") }
	failing := 0
	for i := 0; i < topo.NumRanges(); i++ {
		o, _ := topo.Check(auth, One, "dc1", topo.Replicas(auth, topo.RangeAt(i).End), nil, down)
		if !o.OK {
			failing++
			if o.Required != 1 || o.Alive != 0 {
				t.Fatalf("system_auth ONE: %+v", o)
			}
		}
	}
	if failing == 0 || failing == topo.NumRanges() {
		t.Fatalf("system_auth ONE: %d failing ranges", failing)
	}
}
