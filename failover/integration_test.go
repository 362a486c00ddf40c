package failover

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Proofs (1)–(6) of issue 16 are in proof_test.go; this adds what (6)
// leaves out there: reads as well as writes, several clients at once, and
// the rows written before the outage read back through the backup DC.

// maxOpsFailedDuringSwitch bounds the failed INSERTs and SELECTs of
// TestIntegrationWholeDCDownReadsAndWrites (docs/failover.md quotes the
// measured figure).
const maxOpsFailedDuringSwitch = 10

// Every dc1 node dies under 4 clients that each write a row and read it
// back at LOCAL_QUORUM: the requests go on through dc2, with at most
// maxOpsFailedDuringSwitch failures, and the rows written before the outage
// are all read back there (the simulator, like Cassandra, sends a write to
// the live replicas of every DC; with real asynchronous DCs the last
// writes before a failure may still be missing in the backup DC).
func TestIntegrationWholeDCDownReadsAndWrites(t *testing.T) {
	c, dcs := proofCluster(t, "dc1:3x1,dc2:3x1")
	p, s := attached(t, c, Options{Keyspaces: []string{"shop"}})
	insert := func(k int) error {
		return s.Query("INSERT INTO shop.kv (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Consistency(gocql.LocalQuorum).Exec()
	}
	// read returns the row's value, "" when there is none.
	read := func(k int) (string, error) {
		var v string
		err := s.Query("SELECT v FROM shop.kv WHERE k = ?", k).Consistency(gocql.LocalQuorum).Scan(&v)
		if errors.Is(err, gocql.ErrNotFound) {
			return "", nil
		}
		return v, err
	}
	const preload = 50
	for k := 0; k < preload; k++ {
		if err := insert(k); err != nil {
			t.Fatalf("insert %d before the outage: %v", k, err)
		}
	}

	const clients = 4
	var ok, failed, stale atomic.Int64
	var mu sync.Mutex
	errs := map[string]int{}
	fail := func(op string, err error) {
		failed.Add(1)
		mu.Lock()
		errs[op+": "+err.Error()]++
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := preload + w; ; k += clients {
				select {
				case <-stop:
					return
				default:
				}
				if err := insert(k); err != nil {
					fail("INSERT", err)
				} else if v, err := read(k); err != nil {
					fail("SELECT", err)
				} else if v != fmt.Sprint("v", k) {
					stale.Add(1) // counted, not asserted: LOCAL_* levels make no promise across DCs
				} else {
					ok.Add(2)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}(w)
	}
	stopClients := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}
	t.Cleanup(stopClients)

	waitLong(t, 10*time.Second, "requests through dc1", func() bool { return ok.Load() > 100 })
	killed := time.Now()
	for _, n := range dcs["dc1"] {
		n.Kill()
	}
	waitLong(t, 10*time.Second, "the switch to dc2", func() bool { return p.ActiveDC() == "dc2" })
	switchedIn := time.Since(killed)
	atSwitch := ok.Load()
	waitLong(t, 20*time.Second, "requests through dc2", func() bool { return ok.Load() > atSwitch+400 })
	stopClients()

	var dc string
	if err := s.Query("SELECT data_center FROM system.local").Consistency(gocql.LocalOne).Scan(&dc); err != nil || dc != "dc2" {
		t.Fatalf("coordinator after the switch: %q, %v", dc, err)
	}
	for k := 0; k < preload; k++ {
		if v, err := read(k); err != nil || v != fmt.Sprint("v", k) {
			t.Fatalf("row %d written before the outage, read through dc2: %q, %v", k, v, err)
		}
	}
	n := failed.Load()
	t.Logf("all of dc1 killed under %d clients (INSERT then SELECT at LOCAL_QUORUM, ~2 ms apart): switched in %s; %d requests failed, %d stale reads, %d succeeded after the switch; errors %v",
		clients, switchedIn.Round(time.Millisecond), n, stale.Load(), ok.Load()-atSwitch, errs)
	if n > maxOpsFailedDuringSwitch {
		t.Fatalf("%d requests failed during the switch, more than %d: %v", n, maxOpsFailedDuringSwitch, errs)
	}
}
