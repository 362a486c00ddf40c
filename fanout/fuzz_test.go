package fanout

import (
	"net/url"
	"testing"
)

// FuzzSelector: any query string parses to a selector or an error, and a
// selector picks only known nodes, never panicking.
func FuzzSelector(f *testing.F) {
	for _, s := range []string{"", "scope=local", "dc=dc1", "rack=dc2:r1&hosts=aaaa-1", "hosts=10.0.1.1:7000,bbbb-2", "scope=cluster&dc=", "dc=dc1&dc=dc2", "scope=%zz", "rack=:"} {
		f.Add(s, "cluster")
		f.Add(s, "local")
	}
	f.Fuzz(func(t *testing.T, raw, def string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if def != "local" {
			def = "cluster"
		}
		s, err := ParseSelector(q, def)
		if err != nil {
			return
		}
		got, err := s.Select(nodes)
		if err != nil {
			return
		}
		known := map[string]bool{}
		for _, n := range nodes {
			known[n.HostID] = true
		}
		for _, g := range got {
			if !known[g.HostID] {
				t.Fatalf("selected an unknown node %+v", g)
			}
		}
		if s.Local && (len(got) != 1 || !got[0].Self) {
			t.Fatalf("local selected %v", got)
		}
	})
}
