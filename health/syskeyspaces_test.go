package health

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// Replication maps as a stock Cassandra 4.1 cluster stores them.
var (
	stockAuth        = map[string]string{"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "1"}
	stockDistributed = map[string]string{"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "3"}
	stockTraces      = map[string]string{"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "2"}
)

func nts(dcs ...any) map[string]string {
	m := map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy"}
	for i := 0; i+1 < len(dcs); i += 2 {
		m[dcs[i].(string)] = fmt.Sprint(dcs[i+1])
	}
	return m
}

// realSettings is a real 4.1.6 node's system_views.settings
// (AllowAllAuthenticator, as cassandra.yaml ships), changed by set.
func realSettings(t testing.TB, set map[string]string) map[string]string {
	st, _ := loadSettings(t)
	for k, v := range set {
		if v == "" {
			delete(st, k)
		} else {
			st[k] = v
		}
	}
	return st
}

var passwordAuth = map[string]string{"authenticator": "PasswordAuthenticator"}

// synthCluster is a snapshot of a cluster with nodes per DC (DC names
// dc1, dc2, …; addresses 127.0.<dc>.<n>; rack r<n> so that each rack of a
// DC holds one node), 4 evenly interleaved tokens per node, seen from the
// first node, with the given keyspaces and settings and down endpoints.
func synthCluster(perDC []int, ks map[string]map[string]string, st map[string]string, down ...string) *node.Snapshot {
	type ep struct{ name, dc, rack string }
	var eps []ep
	for d, n := range perDC {
		for i := 1; i <= n; i++ {
			eps = append(eps, ep{fmt.Sprintf("127.0.%d.%d:7000", d+1, i), fmt.Sprintf("dc%d", d+1), fmt.Sprintf("r%d", i)})
		}
	}
	const perNode = 4
	total := len(eps) * perNode
	step := uint64(1<<63) / uint64(total) * 2
	tokens := make([][]string, len(eps))
	for j := 0; j < total; j++ {
		tokens[j%len(eps)] = append(tokens[j%len(eps)], fmt.Sprint(int64(uint64(1<<63)+uint64(j)*step)))
	}
	s := &node.Snapshot{Taken: t0, CassandraRunning: true, NativeActive: true, GossipActive: true, OperationMode: "NORMAL", Settings: st}
	isDown := map[string]bool{}
	for _, d := range down {
		isDown[d] = true
	}
	for i, e := range eps {
		if i == 0 {
			s.Endpoint, s.DC, s.Rack, s.Tokens, s.HostID = e.name, e.dc, e.rack, tokens[i], "host-0"
		} else {
			s.Peers = append(s.Peers, node.Peer{Endpoint: e.name, DC: e.dc, Rack: e.rack, Tokens: tokens[i], HostID: fmt.Sprint("host-", i)})
		}
		if isDown[e.name] {
			s.UnreachableEndpoints = append(s.UnreachableEndpoints, e.name)
		} else {
			s.LiveEndpoints = append(s.LiveEndpoints, e.name)
		}
	}
	s.Keyspaces = []node.Keyspace{
		{Name: "system", Replication: map[string]string{"class": "org.apache.cassandra.locator.LocalStrategy"}},
		{Name: "system_schema", Replication: map[string]string{"class": "org.apache.cassandra.locator.LocalStrategy"}},
	}
	for _, name := range slices.Sorted(maps.Keys(ks)) {
		s.Keyspaces = append(s.Keyspaces, node.Keyspace{Name: name, Replication: ks[name]})
	}
	return s
}

func stockKeyspaces() map[string]map[string]string {
	return map[string]map[string]string{authKeyspace: stockAuth, distributedKeyspace: stockDistributed, tracesKeyspace: stockTraces}
}

// useNames renders uses as "LEVEL" or "LEVEL@cassandra" (one row).
func useNames(uses []sysUse) []string {
	out := []string{}
	for _, u := range uses {
		n := u.cl.String()
		if u.token != nil {
			if *u.token != ring.Murmur3Token([]byte("cassandra")) {
				n += "@?"
			} else {
				n += "@cassandra"
			}
		}
		out = append(out, n)
	}
	return out
}

// TestSystemUses: the levels Cassandra 4.1.6 uses each system keyspace
// at, by setting (see syskeyspaces.go for the source of each rule).
func TestSystemUses(t *testing.T) {
	for _, c := range []struct {
		name, ks string
		set      map[string]string // over a real node's settings
		empty    bool              // settings not read at all
		want     []string
		what     string // in the first use's text
	}{
		{"traces: mutations at ANY", tracesKeyspace, nil, false, []string{"ANY"}, "tracing"},
		{"distributed: repair history at ANY", distributedKeyspace, nil, false, []string{"ANY"}, "repair history"},
		{"distributed: views at ONE", distributedKeyspace, map[string]string{"materialized_views_enabled": "true"}, false, []string{"ANY", "ONE"}, ""},
		{"distributed: views, pre-4.1 name", distributedKeyspace, map[string]string{"materialized_views_enabled": "", "enable_materialized_views": "true"}, false, []string{"ANY", "ONE"}, ""},
		{"distributed: denylist at its level", distributedKeyspace, map[string]string{"partition_denylist_enabled": "true", "denylist_consistency_level": "LOCAL_QUORUM"}, false, []string{"ANY", "LOCAL_QUORUM"}, ""},
		{"distributed: denylist default QUORUM", distributedKeyspace, map[string]string{"partition_denylist_enabled": "true", "denylist_consistency_level": ""}, false, []string{"ANY", "QUORUM"}, ""},
		{"auth: AllowAllAuthenticator reads nothing", authKeyspace, nil, false, []string{}, ""},
		{"auth: AllowAll, full class name", authKeyspace, map[string]string{"authenticator": "org.apache.cassandra.auth.AllowAllAuthenticator"}, false, []string{}, ""},
		{"auth: null authenticator is AllowAll", authKeyspace, map[string]string{"authenticator": ""}, false, []string{}, ""},
		{"auth: PasswordAuthenticator", authKeyspace, passwordAuth, false, []string{"LOCAL_QUORUM", "QUORUM@cassandra", "EACH_QUORUM"}, "logins and permission checks by PasswordAuthenticator, CassandraRoleManager"},
		{"auth: full class name", authKeyspace, map[string]string{"authenticator": "org.apache.cassandra.auth.PasswordAuthenticator", "authorizer": "CassandraAuthorizer"}, false,
			[]string{"LOCAL_QUORUM", "QUORUM@cassandra", "EACH_QUORUM"}, "PasswordAuthenticator, CassandraRoleManager, CassandraAuthorizer"},
		{"auth: levels from the settings", authKeyspace, map[string]string{"authenticator": "PasswordAuthenticator", "auth_read_consistency_level": "LOCAL_ONE", "auth_write_consistency_level": "ONE"}, false,
			[]string{"LOCAL_ONE", "QUORUM@cassandra", "ONE"}, ""},
		{"auth: levels absent (older node): 4.1 defaults", authKeyspace, map[string]string{"authenticator": "PasswordAuthenticator", "auth_read_consistency_level": "", "auth_write_consistency_level": ""}, false,
			[]string{"LOCAL_QUORUM", "QUORUM@cassandra", "EACH_QUORUM"}, ""},
		{"auth: custom authenticator, default role manager", authKeyspace, map[string]string{"authenticator": "com.example.LdapAuthenticator"}, false,
			[]string{"LOCAL_QUORUM", "QUORUM@cassandra", "EACH_QUORUM"}, "by CassandraRoleManager"},
		{"auth: custom authenticator and role manager, CassandraAuthorizer", authKeyspace, map[string]string{"authenticator": "com.example.LdapAuthenticator", "role_manager": "com.example.LdapRoleManager", "authorizer": "CassandraAuthorizer"}, false,
			[]string{"LOCAL_QUORUM", "EACH_QUORUM"}, "by CassandraAuthorizer"},
		{"auth: nothing of Cassandra's reads it", authKeyspace, map[string]string{"authenticator": "com.example.LdapAuthenticator", "role_manager": "com.example.LdapRoleManager"}, false, []string{}, ""},
		{"auth: settings unknown: assumed read", authKeyspace, nil, true, []string{"LOCAL_QUORUM", "QUORUM@cassandra", "EACH_QUORUM"}, "unknown"},
		{"a user keyspace has no own levels", "app", passwordAuth, false, []string{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := realSettings(t, c.set)
			if c.empty {
				st = nil
			}
			uses := systemUses(c.ks, st)
			if got := useNames(uses); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.ks, got, c.want)
			}
			if c.what != "" && (len(uses) == 0 || !strings.Contains(uses[0].what, c.what)) {
				t.Errorf("uses %+v, want the first to mention %q", uses, c.what)
			}
		})
	}
}

// TestDownImpactSystemKeyspaces: stops judged on a 3+3 cluster with
// stock and recommended system keyspace replication.
func TestDownImpactSystemKeyspaces(t *testing.T) {
	const alter33 = "ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3};"
	withKS := func(over map[string]map[string]string) map[string]map[string]string {
		ks := stockKeyspaces()
		maps.Copy(ks, over)
		return ks
	}
	recommended := withKS(map[string]map[string]string{authKeyspace: nts("dc1", 3, "dc2", 3)})
	for _, c := range []struct {
		name     string
		perDC    []int
		ks       map[string]map[string]string
		set      map[string]string
		down     []string
		stop     []string
		want     []string // in the refusal; none: allowed
		not      []string // not in it
		everyone bool
	}{
		{name: "stock, no authentication: allowed", perDC: []int{3, 3}, ks: stockKeyspaces(), stop: []string{"127.0.1.1:7000"}},
		{name: "stock, no authentication, a whole DC: allowed", perDC: []int{3, 3}, ks: stockKeyspaces(), stop: []string{"127.0.1.1:7000", "127.0.1.2:7000", "127.0.1.3:7000"}},
		{name: "stock, PasswordAuthenticator: refused with the fix", perDC: []int{3, 3}, ks: stockKeyspaces(), set: passwordAuth, stop: []string{"127.0.1.1:7000"},
			want: []string{"system_auth at LOCAL_QUORUM (coordinator in dc1), which Cassandra uses for logins and permission checks by PasswordAuthenticator, CassandraRoleManager (auth_read_consistency_level): ",
				"system_auth: to fix, run " + alter33 + " then nodetool repair --full system_auth on every node, one at a time"},
			not: []string{"lower health.consistency_levels", "system_traces", "system_distributed", "(coordinator in dc2)"}},
		{name: "stock, auth at LOCAL_ONE/ONE still loses RF 1", perDC: []int{3, 3}, ks: stockKeyspaces(),
			set: map[string]string{"authenticator": "PasswordAuthenticator", "auth_read_consistency_level": "LOCAL_ONE", "auth_write_consistency_level": "ONE"}, stop: []string{"127.0.1.2:7000"},
			want: []string{"system_auth at LOCAL_ONE (coordinator in dc1)", "system_auth at ONE, which Cassandra uses for role and permission changes", alter33}},
		{name: "recommended replication: one node is fine", perDC: []int{3, 3}, ks: recommended, set: passwordAuth, stop: []string{"127.0.1.1:7000"}},
		{name: "recommended replication: one per DC is fine", perDC: []int{3, 3}, ks: recommended, set: passwordAuth, stop: []string{"127.0.1.1:7000", "127.0.2.1:7000"}},
		{name: "recommended replication: two of a DC lose LOCAL_QUORUM and EACH_QUORUM", perDC: []int{3, 3}, ks: recommended, set: passwordAuth, stop: []string{"127.0.1.1:7000", "127.0.1.2:7000"},
			want: []string{"system_auth at LOCAL_QUORUM (coordinator in dc1)", "system_auth at EACH_QUORUM, which Cassandra uses for role and permission changes",
				"system_auth: raising replication would not help (NetworkTopologyStrategy{dc1:3, dc2:3} is what this cluster's nodes allow); lower auth_read_consistency_level"},
			not: []string{"ALTER KEYSPACE", "(coordinator in dc2)"}},
		{name: "a DC of two nodes: RF 2 cannot lose one at LOCAL_QUORUM", perDC: []int{3, 2}, ks: withKS(map[string]map[string]string{authKeyspace: nts("dc1", 3, "dc2", 2)}), set: passwordAuth, stop: []string{"127.0.2.1:7000"},
			want: []string{"system_auth at LOCAL_QUORUM (coordinator in dc2)", "raising replication would not help"}},
		{name: "RF above the recommendation is kept in the fix", perDC: []int{5, 3}, ks: withKS(map[string]map[string]string{authKeyspace: nts("dc1", 5, "dc2", 1)}), set: passwordAuth, stop: []string{"127.0.2.1:7000"},
			want: []string{"'dc1': 5, 'dc2': 3};"}},
		{name: "traces and repair history at ANY: all but one node", perDC: []int{3, 3}, ks: stockKeyspaces(),
			stop: []string{"127.0.1.1:7000", "127.0.1.2:7000", "127.0.1.3:7000", "127.0.2.1:7000", "127.0.2.2:7000"}},
		{name: "every node down: refused even at ANY", perDC: []int{2, 1}, ks: stockKeyspaces(), down: []string{"127.0.1.2:7000"},
			stop: []string{"127.0.1.1:7000", "127.0.2.1:7000"}, everyone: true, want: []string{"no node of the cluster running", "select fewer nodes"}},
		{name: "the only node", perDC: []int{1}, ks: stockKeyspaces(), stop: []string{"127.0.1.1:7000"}, everyone: true, want: []string{"taking 1 node(s) down together would leave no node of the cluster running"}},
		{name: "denylist at QUORUM over RF 3", perDC: []int{3, 3}, ks: stockKeyspaces(), set: map[string]string{"partition_denylist_enabled": "true"}, down: []string{"127.0.1.2:7000"},
			stop: []string{"127.0.1.3:7000"}, want: []string{"system_distributed at QUORUM, which Cassandra uses for the partition denylist", "ALTER KEYSPACE system_distributed WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3};"}},
		{name: "user keyspace judged as always", perDC: []int{3, 3}, ks: withKS(map[string]map[string]string{"app": nts("dc1", 3, "dc2", 3)}), stop: []string{"127.0.1.1:7000", "127.0.1.2:7000"},
			want: []string{"app at LOCAL_QUORUM (coordinator in dc1): 24 more of 24 token ranges unavailable", "select fewer nodes (e.g. one rack) or lower health.consistency_levels"},
			not:  []string{"system_"}},
		{name: "user keyspace judged as always, one node fine", perDC: []int{3, 3}, ks: withKS(map[string]map[string]string{"app": nts("dc1", 3, "dc2", 3)}), stop: []string{"127.0.1.1:7000"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := synthCluster(c.perDC, c.ks, realSettings(t, c.set), c.down...)
			im, err := DownImpact(s, c.stop, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if im.Everything != c.everyone {
				t.Errorf("Everything %v, want %v", im.Everything, c.everyone)
			}
			refusal := im.Err()
			if len(c.want) == 0 {
				if refusal != nil {
					t.Fatalf("refused: %v", refusal)
				}
				return
			}
			if refusal == nil {
				t.Fatalf("allowed, want a refusal with %q", c.want)
			}
			msg := refusal.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("refusal lacks %q:\n%s", w, msg)
				}
			}
			for _, w := range c.not {
				if strings.Contains(msg, w) {
					t.Errorf("refusal has %q:\n%s", w, msg)
				}
			}
		})
	}
}

// The default superuser's row is one partition: QUORUM is judged on the
// range that holds it only, so two nodes down that replicate it refuse
// and two that do not are fine (auth levels lowered to ONE so only that
// rule can refuse).
func TestDownImpactDefaultSuperuserRow(t *testing.T) {
	set := map[string]string{"authenticator": "PasswordAuthenticator", "auth_read_consistency_level": "ONE", "auth_write_consistency_level": "ONE"}
	ks := stockKeyspaces()
	ks[authKeyspace] = map[string]string{"class": "SimpleStrategy", "replication_factor": "3"}
	s := synthCluster([]int{6}, ks, realSettings(t, set))
	v, err := newRingView(s)
	if err != nil {
		t.Fatal(err)
	}
	tok := ring.Murmur3Token([]byte("cassandra"))
	reps := v.topo.Replicas(v.repl[authKeyspace], tok)
	if len(reps) != 3 {
		t.Fatalf("replicas of the superuser row: %v", reps)
	}
	holder := func(i int) bool { return slices.Contains(reps, i) }
	var in, out []string
	for i := 0; i < v.topo.Len(); i++ {
		if holder(i) {
			in = append(in, v.topo.Endpoint(i).Name)
		} else {
			out = append(out, v.topo.Endpoint(i).Name)
		}
	}
	im, err := DownImpact(s, in[:2], Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("system_auth at QUORUM, which Cassandra uses for logins as the default superuser cassandra: the range holding its row (token %d) unavailable", tok)
	if e := im.Err(); e == nil || !strings.Contains(e.Error(), want) {
		t.Errorf("two of its replicas down: %v, want %q", e, want)
	}
	im, err = DownImpact(s, out[:2], Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e := im.Err(); e != nil {
		t.Errorf("two other nodes down: %v", e)
	}
}

func TestDownImpactUnknownNode(t *testing.T) {
	s := synthCluster([]int{3}, stockKeyspaces(), realSettings(t, nil))
	if _, err := DownImpact(s, []string{"10.9.9.9:7000"}, Config{}); err == nil || !strings.Contains(err.Error(), "not in the ring") {
		t.Errorf("unknown node: %v", err)
	}
}

func TestSystemKeyspaceWarnings(t *testing.T) {
	for _, c := range []struct {
		name  string
		perDC []int
		auth  map[string]string
		set   map[string]string
		want  []string // one warning containing all; none: no warning
	}{
		{"stock, no authentication", []int{3, 3}, stockAuth, nil, nil},
		{"stock, PasswordAuthenticator", []int{3, 3}, stockAuth, passwordAuth,
			[]string{"system_auth (SimpleStrategy{replication_factor:1}): stopping one node, e.g. 127.0.1.1:7000, would leave system_auth at LOCAL_QUORUM (coordinator in dc1)",
				"so ringside refuses such stops (force=true overrides); to fix, run ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}; then nodetool repair --full system_auth on every node"}},
		{"recommended", []int{3, 3}, nts("dc1", 3, "dc2", 3), passwordAuth, nil},
		{"two-node DC", []int{3, 2}, nts("dc1", 3, "dc2", 2), passwordAuth, []string{"e.g. 127.0.2.1:7000", "raising replication would not help"}},
		{"one node: nothing to stop safely anyway", []int{1}, stockAuth, passwordAuth, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ks := stockKeyspaces()
			ks[authKeyspace] = c.auth
			s := synthCluster(c.perDC, ks, realSettings(t, c.set))
			w := SystemKeyspaceWarnings(s)
			if len(c.want) == 0 {
				if len(w) != 0 {
					t.Errorf("warnings %q", w)
				}
				return
			}
			if len(w) != 1 {
				t.Fatalf("warnings %q, want one", w)
			}
			for _, x := range c.want {
				if !strings.Contains(w[0], x) {
					t.Errorf("warning lacks %q:\n%s", x, w[0])
				}
			}
			// The coordinator report carries them, and they do not fail it.
			rep, ok := Coordinator(s, Config{}, t0)
			if !ok || !slices.Equal(strs(rep["warnings"]), w) {
				t.Errorf("coordinator: healthy %v, warnings %v, reasons %v", ok, rep["warnings"], rep["reasons"])
			}
		})
	}
}

// The real cluster as captured (system_auth SimpleStrategy RF 1, a real
// node's settings: AllowAllAuthenticator): nothing reads system_auth, so
// its unservable ranges count neither in the coordinator check nor in the
// cluster status; with PasswordAuthenticator they do, as before.
func TestReportsJudgeSystemAuthByItsUse(t *testing.T) {
	c := loadCapture(t)
	for _, auth := range []bool{false, true} {
		var set map[string]string
		if auth {
			set = passwordAuth
		}
		st := realSettings(t, set)
		s := c.snapshotFrom(t, "127.0.0.1:7000", "127.0.0.3:7000")
		s.Settings = st
		rep, _ := Coordinator(s, Config{ConsistencyLevels: []string{"ONE", "LOCAL_ONE"}}, t0)
		listed := slices.Contains(list(t, rep, "ONE"), "system_auth")
		_, byDesign := rep["unavailable_by_design"]
		if listed != auth || byDesign != auth {
			t.Errorf("auth %v: system_auth under ONE %v, unavailable_by_design %v: %v", auth, listed, byDesign, rep)
		}
		all := c.snapshotFrom(t, "127.0.0.1:7000")
		all.Settings = st
		cl, _ := Cluster(all, peerStatuses(t, c, nil, nil), Config{}, t0)
		wantStatus, wantLevel := Green, "unused_by_cassandra"
		if auth {
			wantStatus, wantLevel = Yellow, "unavailable_by_design"
		}
		if cl["status"] != wantStatus {
			t.Errorf("auth %v: cluster %v: %v", auth, cl["status"], cl["reasons"])
		}
		if ls := levelStatus(t, cl, "dc1", "system_auth", "LOCAL_ONE"); ls["status"] != wantLevel || ls["unavailable_ranges"] != 16 {
			t.Errorf("auth %v: system_auth from dc1: %v", auth, ls)
		}
		if w := strs(rep["warnings"]); (len(w) > 0) != auth {
			t.Errorf("auth %v: warnings %q", auth, w)
		}
	}
}

// BenchmarkSystemKeyspaceWarnings: the audit every coordinator report
// runs, on 1,000 nodes in 2 DCs with num_tokens 16 (4.1's default) and
// recommended replication, where no node fails it and all are tried.
func BenchmarkSystemKeyspaceWarnings(b *testing.B) {
	ks := stockKeyspaces()
	ks[authKeyspace] = nts("dc1", 3, "dc2", 3)
	s := synthCluster([]int{500, 500}, ks, realSettings(b, passwordAuth))
	// synthCluster gives 4 tokens per node; give each 16.
	for i := range s.Peers {
		s.Peers[i].Tokens = moreTokens(s.Peers[i].Tokens, i+1)
	}
	s.Tokens = moreTokens(s.Tokens, 0)
	if w := SystemKeyspaceWarnings(s); len(w) != 0 {
		b.Fatalf("warnings %q", w)
	}
	b.ResetTimer()
	for range b.N {
		SystemKeyspaceWarnings(s)
	}
}

func moreTokens(toks []string, seed int) []string {
	out := append([]string(nil), toks...)
	for j := 0; len(out) < 16; j++ {
		out = append(out, fmt.Sprint(int64(ring.Murmur3Token([]byte(fmt.Sprintf("n%d-%d", seed, j))))))
	}
	return out
}
