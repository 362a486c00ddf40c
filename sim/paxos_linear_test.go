package sim_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim"
	"github.com/ringside/ringside/sim/simtest"
)

// casInput is one operation on the register: a SERIAL read, or
// UPDATE … SET v = to IF v = from.
type casInput struct {
	read     bool
	from, to int
}

type casOutput struct {
	applied bool
	value   int // the read value, or the current one a failed CAS returned
	unknown bool
}

// registerModel is a CAS register. An operation with an unknown outcome
// returns at infinity (porcupine may order it anywhere after its call), and
// applies if its condition holds there: had it not applied, it can always
// be ordered last, where its effect is unseen.
var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, in, out any) (bool, any) {
		s, i, o := state.(int), in.(casInput), out.(casOutput)
		switch {
		case i.read:
			return o.value == s, s
		case o.unknown:
			if s == i.from {
				return true, i.to
			}
			return true, s
		case o.applied:
			return s == i.from, i.to
		default:
			return s != i.from && o.value == s, s
		}
	},
}

// runLinearHistory drives clients that read at SERIAL and increment by CAS,
// optionally killing and restarting a node, and checks the history with
// porcupine. It returns the number of CAS operations known applied, known
// failed and with an unknown outcome, and the final value.
func runLinearHistory(t *testing.T, unknownRate, commitRate float64, kill bool) (applied, unknown int64, final int) {
	c := simtest.Start(t, "dc1:3x1", false, func(cfg *sim.Config) {
		cfg.Seed = 42
		cfg.LWTUnknownRate, cfg.LWTCommitTimeoutRate = unknownRate, commitRate
	})
	n := c.Nodes()
	s := session(t, c, "", n...)
	must(t, s.Query("CREATE KEYSPACE probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}").Exec())
	must(t, s.Query("CREATE TABLE probe.reg (k int PRIMARY KEY, v int)").Exec())
	must(t, s.Query("INSERT INTO probe.reg (k, v) VALUES (0, 0)").Consistency(gocql.All).Exec())
	sessions := []*gocql.Session{pinned(t, c, n[0], 5), pinned(t, c, n[1], 4), pinned(t, c, n[2], 5)}

	var mu sync.Mutex
	var history []porcupine.Operation
	record := func(client int, in casInput, call int64, out casOutput) {
		ret := time.Now().UnixNano()
		if out.unknown {
			ret = math.MaxInt64
		}
		mu.Lock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	var stop atomic.Bool
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			cur := 0
			for i := 0; i < 20 && !stop.Load(); i++ {
				// A client whose coordinator is down moves to the next one.
				sess := sessions[(w+i/7)%len(sessions)]
				call := time.Now().UnixNano()
				if rng.IntN(3) == 0 {
					var v int
					if err := sess.Query("SELECT v FROM probe.reg WHERE k = 0").Consistency(gocql.Serial).Scan(&v); err == nil {
						record(w, casInput{read: true}, call, casOutput{value: v})
						cur = v
					}
					continue
				}
				in := casInput{from: cur, to: cur + 1}
				var old int
				ok, err := sess.Query("UPDATE probe.reg SET v = ? WHERE k = 0 IF v = ?", in.to, in.from).ScanCAS(&old)
				switch {
				case err != nil:
					record(w, in, call, casOutput{unknown: true})
					atomic.AddInt64(&unknown, 1)
				case ok:
					record(w, in, call, casOutput{applied: true})
					atomic.AddInt64(&applied, 1)
					cur = in.to
				default:
					record(w, in, call, casOutput{value: old})
					cur = old
				}
			}
		}(w)
	}
	if kill {
		time.Sleep(300 * time.Millisecond)
		n[2].Kill()
		time.Sleep(700 * time.Millisecond)
		must(t, n[2].Start())
	}
	wg.Wait()
	must(t, s.Query("SELECT v FROM probe.reg WHERE k = 0").Consistency(gocql.Serial).Scan(&final))
	history = append(history, porcupine.Operation{ClientId: 99, Input: casInput{read: true}, Call: time.Now().UnixNano(), Output: casOutput{value: final}, Return: time.Now().UnixNano()})
	if res := porcupine.CheckOperationsTimeout(registerModel, history, 20*time.Second); res != porcupine.Ok {
		t.Fatalf("history of %d operations is %s, not linearizable", len(history), res)
	}
	return applied, unknown, final
}

// TestLWTLinearizable: without faults every CAS outcome is known and the
// final value counts exactly the applied increments; the history is linearizable.
func TestLWTLinearizable(t *testing.T) {
	applied, unknown, final := runLinearHistory(t, 0, 0, false)
	if unknown != 0 || int64(final) != applied || applied == 0 {
		t.Fatalf("applied %d, unknown %d, final %d: want final = applied, none unknown", applied, unknown, final)
	}
}

// TestLWTLinearizableUnderFaults: injected partial proposals and commit
// timeouts and a killed replica leave outcomes unknown, and the history
// stays linearizable: the final value lies between the applied count and
// applied + unknown.
func TestLWTLinearizableUnderFaults(t *testing.T) {
	applied, unknown, final := runLinearHistory(t, 0.15, 0.1, true)
	if unknown == 0 || int64(final) < applied || int64(final) > applied+unknown {
		t.Fatalf("applied %d, unknown %d, final %d", applied, unknown, final)
	}
	t.Logf("applied %d, unknown %d, final %d", applied, unknown, final)
}

// TestRegisterModelRejects: the model is not vacuous — two CAS from the
// same value both applied, or a read of a value never written, are illegal.
func TestRegisterModelRejects(t *testing.T) {
	op := func(in casInput, out casOutput, call, ret int64) porcupine.Operation {
		return porcupine.Operation{Input: in, Output: out, Call: call, Return: ret}
	}
	for name, h := range map[string][]porcupine.Operation{
		"double apply": {op(casInput{from: 0, to: 1}, casOutput{applied: true}, 0, 1), op(casInput{from: 0, to: 1}, casOutput{applied: true}, 2, 3)},
		"stale read":   {op(casInput{from: 0, to: 1}, casOutput{applied: true}, 0, 1), op(casInput{read: true}, casOutput{value: 0}, 2, 3)},
		"unknown seen, then lost": {op(casInput{from: 0, to: 1}, casOutput{unknown: true}, 0, math.MaxInt64),
			op(casInput{read: true}, casOutput{value: 1}, 2, 3), op(casInput{read: true}, casOutput{value: 0}, 4, 5)},
	} {
		if porcupine.CheckOperations(registerModel, h) {
			t.Errorf("%s: accepted as linearizable", name)
		}
	}
}
