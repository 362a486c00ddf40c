package lifecycle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ringside/ringside/lifecycle"
)

// guardedNode refuses stops, as the sidecar does when this node going
// down would take a token range below the kept consistency levels.
type guardedNode struct {
	*fakeNode
	refuse error
}

func (g *guardedNode) CheckStop() error { return g.refuse }

func TestStopGuard(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, true, nil)
	g := &guardedNode{fakeNode: fx.node, refuse: errors.New("ks at LOCAL_QUORUM: 12 more of 48 token ranges unavailable")}
	m, err := lifecycle.New(fx.cfg, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, m)
	_, err = m.Stop(ctxT(t), true)
	var unsafe *lifecycle.UnsafeError
	if !errors.As(err, &unsafe) || !strings.Contains(err.Error(), "LOCAL_QUORUM") || !strings.Contains(err.Error(), "force=true") {
		t.Fatalf("guarded stop: %v", err)
	}
	if n := len(fx.node.failEvents()); n != 0 || fx.node.drains() != 0 || lines(t, fx.stopLog) != 0 || !fx.node.running() {
		t.Fatalf("a refused stop did something: %d fail events, %d drains, stop command %d times", n, fx.node.drains(), lines(t, fx.stopLog))
	}
	if st := m.Status(); st.State != lifecycle.Running || st.Last != nil {
		t.Errorf("status after a refused stop: %+v", st)
	}
	res, err := m.StopWith(ctxT(t), lifecycle.StopOptions{Block: true, Force: true})
	if err != nil || res.Transition.Outcome != lifecycle.Succeeded || fx.node.running() {
		t.Fatalf("forced stop: %v %+v", err, res.Transition)
	}
}
