package failover

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/ring"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// genHosts makes hosts for a topology such as "dc1:12x3,dc2:6x3" (nodes x
// racks per DC), each with random vnode tokens from seed. IDs are
// "dc1-r1-n01": DC, rack, node.
func genHosts(tb testing.TB, spec string, vnodes int, seed int64) []hostInfo {
	tb.Helper()
	rng := rand.New(rand.NewSource(seed))
	used := map[ring.Token]bool{}
	var out []hostInfo
	for _, part := range strings.Split(spec, ",") {
		dc, shape, ok := strings.Cut(part, ":")
		ns, rs, ok2 := strings.Cut(shape, "x")
		n, err1 := strconv.Atoi(ns)
		racks, err2 := strconv.Atoi(rs)
		if !ok || !ok2 || err1 != nil || err2 != nil {
			tb.Fatalf("bad topology %q", spec)
		}
		for i := 0; i < n; i++ {
			h := hostInfo{ID: fmt.Sprintf("%s-r%d-n%02d", dc, i%racks+1, i+1), DC: dc, Rack: fmt.Sprintf("r%d", i%racks+1)}
			for len(h.Tokens) < vnodes {
				t := ring.Token(rng.Int63() - rng.Int63())
				if !used[t] {
					used[t] = true
					h.Tokens = append(h.Tokens, t)
				}
			}
			out = append(out, h)
		}
	}
	return out
}

func mustRepl(tb testing.TB, m map[string]string) ring.Replication {
	tb.Helper()
	r, err := ring.ParseReplication(m)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func nts(dcs ...string) map[string]string {
	m := map[string]string{"class": "NetworkTopologyStrategy"}
	for i := 0; i+1 < len(dcs); i += 2 {
		m[dcs[i]] = dcs[i+1]
	}
	return m
}

// tm drives a machine with a fake clock, rebuilding the range model
// synchronously whenever its inputs change, and records the switches.
type tm struct {
	tb       testing.TB
	m        *machine
	now      time.Time
	switches []Switch
}

func newTM(tb testing.TB, o Options, hosts []hostInfo, repl map[string]map[string]string) *tm {
	tb.Helper()
	c, err := o.validate()
	if err != nil {
		tb.Fatal(err)
	}
	x := &tm{tb: tb, m: newMachine(c), now: t0}
	x.do(x.m.setPartitioner(x.now, murmur3))
	for _, h := range hosts {
		x.do(x.m.addHost(x.now, h))
	}
	for ks, r := range repl {
		x.do(x.m.setKeyspace(x.now, ks, mustRepl(tb, r), nil))
	}
	x.do(x.m.settle(x.now))
	return x
}

func (x *tm) do(s *Switch) *Switch {
	if s != nil {
		x.switches = append(x.switches, *s)
	}
	for x.m.needsRebuild() {
		if s2 := x.m.rebuild(x.now); s2 != nil {
			x.switches = append(x.switches, *s2)
			s = s2
		}
	}
	return s
}

func (x *tm) at(d time.Duration) *tm {
	x.now = t0.Add(d)
	return x
}

func (x *tm) down(ids ...string) *Switch {
	var last *Switch
	for _, id := range ids {
		if s := x.do(x.m.setUp(x.now, id, false)); s != nil {
			last = s
		}
	}
	return last
}

func (x *tm) up(ids ...string) *Switch {
	var last *Switch
	for _, id := range ids {
		if s := x.do(x.m.setUp(x.now, id, true)); s != nil {
			last = s
		}
	}
	return last
}

func (x *tm) tick() *Switch { return x.do(x.m.tick(x.now)) }

func (x *tm) wantActive(dc string) {
	x.tb.Helper()
	if x.m.active != dc {
		x.tb.Fatalf("at +%s: active %s, want %s (switches %+v)", x.now.Sub(t0), x.m.active, dc, x.switches)
	}
}

func ids(hosts []hostInfo, pred func(hostInfo) bool) []string {
	var out []string
	for _, h := range hosts {
		if pred(h) {
			out = append(out, h.ID)
		}
	}
	return out
}

func inDC(dc string) func(hostInfo) bool { return func(h hostInfo) bool { return h.DC == dc } }

func inRack(dc, rack string) func(hostInfo) bool {
	return func(h hostInfo) bool { return h.DC == dc && h.Rack == rack }
}
