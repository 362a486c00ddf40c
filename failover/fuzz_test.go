package failover

import (
	"math/rand"
	"testing"
	"time"
)

// The property test feeds random event sequences to the machine and
// checks, after every event, invariants computed by an oracle that keeps
// its own record of hosts, switches and observed failures:
//
//   - never active on a DC with no node up while another DC has one;
//   - no automatic switch back in SwitchBackNever mode;
//   - no automatic switch back within the dwell, nor before the target
//     has been back for downtime × factor (downtime as the oracle saw it,
//     a lower bound of the machine's);
//   - never an automatic switch back to a DC after a downtime of at least
//     the hint window, or while its hints are pending or after some were
//     dropped, until SwitchBack or MarkRepaired;
//   - no switch away from a DC with a live node within the dwell;
//   - node counts agree with the oracle's; nothing panics.
//
// FuzzMachine runs the same checks on inputs from `go test -fuzz`.

const (
	fzWindow = time.Hour
	fzDwell  = 2 * time.Minute
	fzFactor = 1.5
)

var fzHosts []hostInfo

func fuzzHosts(tb testing.TB) []hostInfo {
	if fzHosts == nil {
		fzHosts = genHosts(tb, "dc1:4x2,dc2:4x2,dc3:3x1", 4, 99)
	}
	return fzHosts
}

type oracle struct {
	present, up map[string]bool
	dcOf        map[string]string
	// per DC: first failing observation since we last left it, the last
	// one (or the recovery), and the hints facts since.
	refStart, lastFail map[string]time.Time
	pending, dropped   map[string]bool
	wasFailing         map[string]bool
	lastSwitch         time.Time
}

func runMachine(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	hosts := fuzzHosts(t)
	cfgByte := data[0]
	data = data[1:]
	o := Options{LocalDC: "dc1", BackupDCs: []string{"dc2"}, MaxHintWindow: fzWindow,
		MinimumTimeBetweenSwitches: fzDwell, SwitchBackDelayFactor: fzFactor}
	if cfgByte&1 != 0 {
		o.SwitchBack = SwitchBackSafe
	}
	o.HostDownSwitchThreshold = int(cfgByte>>1) & 3
	repl := map[string]map[string]string{}
	if cfgByte&8 != 0 {
		o.Keyspaces = []string{"shop"}
		repl["shop"] = nts("dc1", "3", "dc2", "3", "dc3", "2")
	}
	if cfgByte&16 != 0 {
		o.ErrorRate = ErrorRate{Threshold: 0.5, Window: 10 * time.Second, MinRequests: 4}
	}
	if cfgByte&32 != 0 {
		o.BackupDCs = []string{"dc2", "dc3"}
	}
	x := newTM(t, o, hosts, repl)
	or := &oracle{present: map[string]bool{}, up: map[string]bool{}, dcOf: map[string]string{},
		refStart: map[string]time.Time{}, lastFail: map[string]time.Time{}, pending: map[string]bool{}, dropped: map[string]bool{}, wasFailing: map[string]bool{}}
	for _, h := range hosts {
		or.present[h.ID], or.up[h.ID], or.dcOf[h.ID] = true, true, h.DC
	}
	dcs := []string{"dc1", "dc2", "dc3"}
	for len(data) >= 2 {
		op, arg := data[0], data[1]
		data = data[2:]
		before := len(x.switches)
		prevActive := x.m.active
		h := hosts[int(arg)%len(hosts)]
		dc := dcs[int(arg)%3]
		switch op % 12 {
		case 0:
			if or.present[h.ID] {
				or.up[h.ID] = false
			}
			x.down(h.ID)
		case 1:
			if or.present[h.ID] {
				or.up[h.ID] = true
			}
			x.up(h.ID)
		case 2:
			x.now = x.now.Add(time.Duration(arg) * 7 * time.Second)
			x.tick()
		case 3:
			x.now = x.now.Add(time.Duration(arg) * time.Minute)
			x.tick()
		case 4:
			x.do(x.m.report(x.now, dc, arg&128 != 0))
		case 5:
			st := HintsState(int(arg/3) % 4)
			if d := x.m.dcs[dc]; d.inEpisode() {
				or.pending[dc] = st == HintsPending
				or.dropped[dc] = or.dropped[dc] || st == HintsDropped
			}
			x.do(x.m.setHints(x.now, dc, st))
		case 6:
			x.tick()
		case 7:
			if s, err := x.m.switchBack(x.now); err == nil {
				or.forget("dc1")
				x.do(s)
			}
		case 8:
			if s, err := x.m.markRepaired(x.now, dc); err == nil {
				or.forget(dc)
				x.do(s)
			}
		case 9:
			if or.present[h.ID] {
				or.present[h.ID] = false
				x.do(x.m.removeHost(x.now, h.ID))
			} else {
				or.present[h.ID], or.up[h.ID] = true, true
				x.do(x.m.addHost(x.now, h))
			}
		case 10, 11:
			up := op%12 == 11
			for _, hh := range hosts {
				if hh.DC == dc {
					if or.present[hh.ID] {
						or.up[hh.ID] = up
					}
					x.do(x.m.setUp(x.now, hh.ID, up))
				}
			}
		}
		or.check(t, x, prevActive, x.switches[before:], o)
	}
}

// forget: the operator declared the DC consistent.
func (or *oracle) forget(dc string) {
	delete(or.refStart, dc)
	delete(or.lastFail, dc)
	delete(or.pending, dc)
	delete(or.dropped, dc)
}

func (or *oracle) check(t *testing.T, x *tm, prevActive string, sws []Switch, o Options) {
	t.Helper()
	m := x.m
	now := x.now
	nodes, upN := map[string]int{}, map[string]int{}
	for id, p := range or.present {
		if p {
			nodes[or.dcOf[id]]++
			if or.up[id] {
				upN[or.dcOf[id]]++
			}
		}
	}
	for _, name := range m.order {
		d := m.dcs[name]
		if d.nodes != nodes[name] || d.nodes-d.down != upN[name] {
			t.Fatalf("%s: machine %d nodes %d down, oracle %d nodes %d up", name, d.nodes, d.down, nodes[name], upN[name])
		}
	}
	for i, s := range sws {
		from := prevActive
		if i > 0 {
			from = sws[i-1].To
		}
		if s.From != from {
			t.Fatalf("switch %+v does not start from %s", s, from)
		}
		switch s.Kind {
		case KindSwitchBack:
			if o.SwitchBack != SwitchBackSafe {
				t.Fatalf("automatic switch back in never mode: %+v", s)
			}
			if !or.lastSwitch.IsZero() && s.At.Sub(or.lastSwitch) < fzDwell {
				t.Fatalf("switch back %s after the previous switch: %+v", s.At.Sub(or.lastSwitch), s)
			}
			d := s.To
			if lf, ok := or.lastFail[d]; ok {
				down := lf.Sub(or.refStart[d])
				if down >= fzWindow {
					t.Fatalf("switch back to %s after %s down (hint window %s): %+v", d, down, fzWindow, s)
				}
				if up := s.At.Sub(lf); float64(up) < fzFactor*float64(down) {
					t.Fatalf("switch back to %s %s after its last failure, down %s: %+v", d, up, down, s)
				}
			}
			if or.pending[d] || or.dropped[d] {
				t.Fatalf("switch back to %s with hints pending %v, dropped %v", d, or.pending[d], or.dropped[d])
			}
		case KindFailover:
			if upN[s.From] > 0 && !or.lastSwitch.IsZero() && s.At.Sub(or.lastSwitch) < fzDwell {
				t.Fatalf("switch away from %s (%d nodes up) within the dwell: %+v", s.From, upN[s.From], s)
			}
		}
		or.lastSwitch = s.At
		// Leaving a DC starts its record afresh.
		delete(or.refStart, s.From)
		delete(or.lastFail, s.From)
		delete(or.pending, s.From)
		delete(or.dropped, s.From)
	}
	// Never on a dead DC while another has a node up.
	if upN[m.active] == 0 {
		for dc, n := range upN {
			if n > 0 && dc != m.active {
				t.Fatalf("active %s has no node up, %s has %d", m.active, dc, n)
			}
		}
	}
	// Observe failures, for the next switches' checks.
	for _, name := range m.order {
		d := m.dcs[name]
		failing := upN[name] == 0 && d.seen || o.HostDownSwitchThreshold > 0 && nodes[name]-upN[name] >= o.HostDownSwitchThreshold ||
			d.cause&(causeRanges|causeErrors) != 0
		if failing != (d.cause != 0) {
			t.Fatalf("%s: oracle failing %v, machine causes %b", name, failing, d.cause)
		}
		// A DC that recovers at this event was failing until now.
		if (failing || or.wasFailing[name]) && name != m.active {
			if _, ok := or.refStart[name]; !ok {
				or.refStart[name] = now
			}
			or.lastFail[name] = now
		}
		or.wasFailing[name] = failing
	}
	if next := m.nextDeadline(now); !next.IsZero() && !next.After(now) {
		t.Fatalf("next deadline %s not after now %s", next, now)
	}
	m.status(now)
}

func TestMachineProperties(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < n; i++ {
		data := make([]byte, 1+2*(20+rng.Intn(200)))
		rng.Read(data)
		runMachine(t, data)
		if t.Failed() {
			t.Fatalf("sequence %d: %x", i, data)
		}
	}
}

func FuzzMachine(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1, 10, 0, 10, 1, 10, 2, 2, 40, 11, 0, 3, 30, 6, 0})
	f.Add([]byte{9, 0, 0, 0, 1, 2, 200, 1, 0, 1, 1, 3, 100})
	f.Add([]byte{25, 4, 128, 4, 128, 4, 128, 4, 128, 2, 10, 5, 9, 3, 70, 8, 0})
	f.Add([]byte{33, 10, 0, 10, 1, 11, 0, 3, 5, 7, 0, 9, 1, 9, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		runMachine(t, data)
	})
}
