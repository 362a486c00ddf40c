package lifecycle_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/lifecycle"
)

// A start whose node runs but fails a check for a reason waiting will not
// cure ends FAILED with that reason at once; transient failures are
// waited for until start_timeout.
func TestStartIncurableFailure(t *testing.T) {
	t.Parallel()
	const corrupt = "1 corrupt SSTable(s), e.g. /var/lib/cassandra/data/ks/kv-1/nb-1-big-Index.db: Index.db is listed in TOC.txt but missing"
	t.Run("incurable", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, false, func(c *lifecycle.Config, f *fakeNode) {
			// Long enough that a start which waited for it would fail
			// the test's own deadline first.
			c.StartTimeout = 10 * time.Minute
			f.incurable = []string{corrupt}
		})
		fx.runObserved(t)
		res, err := fx.m.Start(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || res.State != lifecycle.Failed || !res.Done {
			t.Fatalf("outcome %q state %s error %q, want FAILED", tr.Outcome, res.State, tr.Error)
		}
		if want := "replica: " + corrupt + "; waiting will not cure it"; !strings.Contains(tr.Error, want) || strings.Contains(tr.Error, "start_timeout") {
			t.Errorf("error %q, want it to end with %q and not blame start_timeout", tr.Error, want)
		}
		if got := stepRec(t, tr, lifecycle.StepWaitHealth).Outcome; got != lifecycle.FailedOut {
			t.Errorf("wait_for_health %s", got)
		}
		if !eq(tr.Checks, []string{"coordinator"}) || tr.PID != fakePID {
			t.Errorf("checks %q pid %d: want what passed and the running pid", tr.Checks, tr.PID)
		}
		if st := fx.m.Status(); st.State != lifecycle.Failed || st.Desired != lifecycle.Running {
			t.Errorf("status %s desired %s", st.State, st.Desired)
		}
	})
	t.Run("transient", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, false, func(c *lifecycle.Config, f *fakeNode) {
			c.StartTimeout = 400 * time.Millisecond
		})
		fx.runObserved(t)
		res, err := fx.m.Start(ctxT(t), true)
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Transition
		if tr.Outcome != lifecycle.FailedOut || !strings.Contains(tr.Error, "start_timeout") || !strings.Contains(tr.Error, "JOINING") || strings.Contains(tr.Error, "will not cure") {
			t.Errorf("outcome %q error %q: a transient failure must be waited for until start_timeout", tr.Outcome, tr.Error)
		}
	})
}
