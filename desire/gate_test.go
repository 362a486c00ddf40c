package desire

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/node"
)

// gateLocal serves views from a table the test changes, and records
// which peers each round asked.
type gateLocal struct {
	self  View
	peers map[string]*View
	asked [][]string
}

func (g *gateLocal) Snapshot() *node.Snapshot                      { return nil }
func (g *gateLocal) StartTime(context.Context) (time.Time, error)  { return time.Time{}, nil }
func (g *gateLocal) Fresh(context.Context) (*node.Snapshot, error) { return nil, nil }
func (g *gateLocal) Identity() (string, string)                    { return g.self.HostID, "" }
func (g *gateLocal) View(context.Context) View                     { return g.self }
func (g *gateLocal) Views(_ context.Context, only []string) []View {
	out := []View{g.self}
	var asked []string
	for id, v := range g.peers {
		if only == nil || slices.Contains(only, id) {
			out = append(out, *v)
			asked = append(asked, id)
		}
	}
	slices.Sort(asked)
	g.asked = append(g.asked, asked)
	return out
}

func peerView(id, ep string, live ...string) *View {
	return &View{HostID: id, Endpoint: ep, Running: true, NativeActive: true, Live: live, SchemaVersion: "s1"}
}

func TestGateAsksOnlyThePeersThatRefusedThenEveryone(t *testing.T) {
	me := "10.0.0.1:7000"
	l := &gateLocal{
		self: View{HostID: "h1", Endpoint: me, Running: true, NativeActive: true, SchemaVersion: "s1"},
		peers: map[string]*View{
			"h2": peerView("h2", "10.0.0.2:7000", me),
			"h3": peerView("h3", "10.0.0.3:7000"), // does not see it yet
			"h4": peerView("h4", "10.0.0.4:7000", me),
		},
	}
	g := &gate{l: l, host: "h1"}
	ctx := context.Background()
	if why := g.problem(ctx); !strings.Contains(why, "not UN in the view of 10.0.0.3:7000") {
		t.Fatalf("first round: %q", why)
	}
	if why := g.problem(ctx); why == "" {
		t.Fatal("accepted while h3 still does not see it")
	}
	// h3 sees it now, but h2 lost it meanwhile: the confirming round
	// (everyone) must catch that.
	l.peers["h3"].Live = []string{me}
	l.peers["h2"].Live = nil
	if why := g.problem(ctx); !strings.Contains(why, "10.0.0.2:7000") {
		t.Fatalf("the confirming round missed h2: %q", why)
	}
	l.peers["h2"].Live = []string{me}
	l.peers["h4"].Hints.Created = map[string]int64{me: 3}
	l.peers["h4"].Hints.Delivered = map[string]int64{me: 1}
	if why := g.problem(ctx); !strings.Contains(why, "10.0.0.4:7000 still holds 2 undelivered hint(s)") {
		t.Fatalf("hints: %q", why)
	}
	l.peers["h4"].Hints.Delivered = map[string]int64{me: 3}
	if why := g.problem(ctx); why != "" {
		t.Fatalf("everyone accepts it: %q", why)
	}
	want := [][]string{
		{"h2", "h3", "h4"},         // everyone
		{"h3"},                     // h3 refused
		{"h3"}, {"h2", "h3", "h4"}, // h3 passes: everyone again, h2 refuses
		{"h2"}, {"h2", "h3", "h4"}, // h2 passes: everyone, h4 holds hints
		{"h4"}, {"h2", "h3", "h4"}, // accepted
	}
	if !slices.EqualFunc(l.asked, want, slices.Equal[[]string]) {
		t.Errorf("rounds asked %v, want %v", l.asked, want)
	}
}

func TestGateWaitsForTheNodeItself(t *testing.T) {
	l := &gateLocal{self: View{HostID: "h1", Endpoint: "e1", Running: true}, peers: map[string]*View{"h2": peerView("h2", "e2", "e1")}}
	g := &gate{l: l, host: "h1"}
	if why := g.problem(context.Background()); why != "native transport not up" {
		t.Errorf("%q", why)
	}
	if len(l.asked) != 0 {
		t.Errorf("asked peers while the node itself is not up: %v", l.asked)
	}
	l.self.Err = "down"
	if why := g.problem(context.Background()); why != "this node's own view is not readable yet" {
		t.Errorf("%q", why)
	}
}
