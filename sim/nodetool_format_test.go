package sim

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ringside/ringside/ring"
)

// The facts these check are the real node's, from testdata/cassandra-4.1.6.

func TestJavaHashMapOrder(t *testing.T) {
	// `nodetool status`: dc1 lists 127.0.0.2 before 127.0.0.1.
	got := javaHashMapOrder([]string{"127.0.0.1:7000", "127.0.0.2:7000"}, 32)
	if want := []string{"127.0.0.2:7000", "127.0.0.1:7000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStringifyFileSize(t *testing.T) {
	// gossipinfo's LOAD of each node and the Load nodetool status printed for it.
	for b, want := range map[float64]string{305133: "297.98 KiB", 286969: "280.24 KiB", 357433: "349.06 KiB", 0: "0 bytes", 193843.2: "189.3 KiB", 1 << 20: "1 MiB"} {
		if got := stringifyFileSize(b); got != want {
			t.Errorf("%v: %q, want %q", b, got, want)
		}
	}
}

// TestEffectiveOwnershipCapture recomputes `nodetool status smoke`'s
// "Owns (effective)" (smoke: NetworkTopologyStrategy {dc1: 1}) from the
// tokens `nodetool ring` printed: 51.2% for 127.0.0.2, 48.8% for
// 127.0.0.1, 0.0% for 127.0.0.3.
func TestEffectiveOwnershipCapture(t *testing.T) {
	b, err := os.ReadFile("../testdata/cassandra-4.1.6/nodetool.txt")
	if err != nil {
		t.Fatal(err)
	}
	ringOut := strings.SplitN(string(b), "$ nodetool ring\n", 2)[1]
	ringOut = strings.SplitN(ringOut, "[exit", 2)[0]
	type ep struct{ dc, rack string }
	tokens := map[string][]ring.Token{}
	where := map[string]ep{}
	dc := ""
	for _, l := range strings.Split(ringOut, "\n") {
		if d, ok := strings.CutPrefix(l, "Datacenter: "); ok {
			dc = d
			continue
		}
		f := strings.Fields(l)
		if len(f) != 8 || !strings.HasPrefix(f[0], "127.") {
			continue
		}
		tok, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			t.Fatal(l)
		}
		tokens[f[0]] = append(tokens[f[0]], ring.Token(tok))
		where[f[0]] = ep{dc, f[1]}
	}
	var eps []ring.Endpoint
	names := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	for _, n := range names {
		eps = append(eps, ring.Endpoint{Name: n, DC: where[n].dc, Rack: where[n].rack, Tokens: tokens[n]})
	}
	topo, err := ring.NewTopology(eps)
	if err != nil {
		t.Fatal(err)
	}
	if topo.NumRanges() != 48 {
		t.Fatalf("%d tokens parsed from nodetool ring, want 48", topo.NumRanges())
	}
	r, err := ring.ParseReplication(map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy", "dc1": "1"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := topo.ReplicaMap(r)
	if err != nil {
		t.Fatal(err)
	}
	frac := describeOwnership(topo)
	owns := make([]float32, 3)
	for i := range m.NumRanges() {
		for _, e := range m.ForRange(i) {
			owns[e] += frac[i]
		}
	}
	got := []string{percent(owns[0]), percent(owns[1]), percent(owns[2])}
	if want := []string{"48.8%", "51.2%", "0.0%"}; !reflect.DeepEqual(got, want) {
		t.Errorf("effective ownership %v, want %v", got, want)
	}
}

func TestJavaDoubleString(t *testing.T) {
	for v, want := range map[float64]string{64: "64.0", 1.5: "1.5", 0: "0.0", 1e7: "1.0E7", 0.0001: "1.0E-4"} {
		if got := javaDoubleString(v); got != want {
			t.Errorf("%v: %q, want %q", v, got, want)
		}
	}
}
