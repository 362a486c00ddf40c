package store

import (
	"context"
	"errors"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/sim/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// open starts a 3-node ring and a store on it, keyspace created.
func open(t *testing.T) (*Store, func(i int) (kill, start func())) {
	t.Helper()
	c := simtest.Start(t, "dc1:3x1", false, nil)
	var hosts []string
	for _, n := range c.Nodes() {
		hosts = append(hosts, n.Addr.String())
	}
	st, err := Open(Config{Hosts: hosts, Port: c.Config().NativePort, Timeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Ensure(context.Background(), map[string]int{"dc1": 3}); err != nil {
		t.Fatal(err)
	}
	return st, func(i int) (func(), func()) {
		n := c.Nodes()[i]
		return n.Kill, func() {
			if err := n.Start(); err != nil {
				t.Error(err)
			}
			if err := n.WaitNormal(context.Background(), 10*time.Second); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Second) // its peers see it up again
		}
	}
}

// Poll (QUORUM) sees what the CAS writes committed, as Current (SERIAL) does.
func TestPollSeesCommittedWrites(t *testing.T) {
	t.Parallel()
	st, _ := open(t)
	ctx := context.Background()
	if r, err := st.Poll(ctx, "cluster"); err != nil || r != nil {
		t.Fatalf("poll before any desire: %v %v", r, err)
	}
	r, won, err := st.Create(ctx, "cluster", "d1", []byte(`{"v":1}`), func(*Record) bool { return false })
	if err != nil || !won || r.ID != "d1" {
		t.Fatalf("create: %v %v %v", r, won, err)
	}
	for v := int64(1); v <= 5; v++ {
		p, err := st.Poll(ctx, "cluster")
		if err != nil || p == nil || p.Version != v {
			t.Fatalf("poll after version %d: %+v %v", v, p, err)
		}
		ok, err := st.Update(ctx, "d1", v, []byte(`{"v":2}`))
		if err != nil || !ok {
			t.Fatalf("update %d: %v %v", v, ok, err)
		}
	}
	c, err := st.Current(ctx, "cluster")
	p, perr := st.Poll(ctx, "cluster")
	if err != nil || perr != nil || c.Version != 6 || p.Version != c.Version || string(p.Doc) != string(c.Doc) {
		t.Fatalf("current %+v %v, poll %+v %v", c, err, p, perr)
	}
}

// Reads go on while a node dies under the session: the retry policy
// moves an idempotent read to the next host (without one, gocql returns
// the dead connection's EOF, as a CI run once showed).
func TestReadsSurviveANodeDying(t *testing.T) {
	t.Parallel()
	st, node := open(t)
	ctx := context.Background()
	if _, _, err := st.Create(ctx, "cluster", "d1", []byte(`{}`), func(*Record) bool { return false }); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 6; round++ {
		kill, start := node(round % 3)
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(20 * time.Millisecond)
			kill()
		}()
		deadline := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(deadline) {
			_, err := st.Current(ctx, "cluster")
			if connectionError(err) {
				t.Fatalf("round %d: SERIAL read while a node dies: %v", round, err)
			}
			_, err = st.Poll(ctx, "cluster")
			if connectionError(err) {
				t.Fatalf("round %d: QUORUM read while a node dies: %v", round, err)
			}
		}
		<-done
		start()
	}
}

// connectionError: the read failed for the connection it happened to
// use, not for a coordinator's answer (a timeout while the failure
// detector has not yet convicted the dead node is Cassandra's own
// behaviour, and the caller's to retry).
func connectionError(err error) bool {
	var re gocql.RequestError
	return err != nil && !errors.As(err, &re)
}

// Steps are plain rows beside the desire: the last note per node wins.
func TestSteps(t *testing.T) {
	t.Parallel()
	st, _ := open(t)
	ctx := context.Background()
	h1, h2 := "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	if got, err := st.Steps(ctx, "d1"); err != nil || len(got) != 0 {
		t.Fatalf("no steps yet: %v %v", got, err)
	}
	for _, s := range []string{"stopping", "starting"} {
		if err := st.SetStep(ctx, "d1", h1, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetStep(ctx, "d1", h2, "gating: not UN in the view of 10.0.0.3:7000"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetStep(ctx, "d2", h1, "other desire"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Steps(ctx, "d1")
	if err != nil || len(got) != 2 || got[h1] != "starting" || got[h2] != "gating: not UN in the view of 10.0.0.3:7000" {
		t.Fatalf("steps: %v %v", got, err)
	}
	if err := st.SetStep(ctx, "d1", "not-a-uuid", "x"); err == nil {
		t.Error("a bad host id was accepted")
	}
}
