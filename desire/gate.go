package desire

import (
	"context"
	"fmt"
	"slices"
)

// gate judges whether a restarted node is accepted by the cluster: UN in
// every live peer's view, native transport up, schema agreed, and no peer
// still holding hints for it (hints written vs delivered, per target).
//
// It is polled until it says yes, and asking every peer on every poll
// (60 HTTP calls and twice as many JMX reads on a 60-node ring, per
// gating node, per poll) loads the very cluster that is restarting. So
// after a round that some peers failed, it asks only those again; once
// they all pass it asks every peer once more, in the same poll, and says
// yes only when that whole round passes: a view that changed meanwhile
// is caught there.
type gate struct {
	l    Local
	host string
	// pending are the peers (host ids) that did not accept the node in
	// the last round; nil: ask everyone.
	pending []string
}

func (g *gate) problem(ctx context.Context) string {
	// The node's own view first: while it is still starting, asking its
	// peers anything is wasted.
	if v := g.l.View(ctx); v.Err != "" || v.HostID != g.host {
		return "this node's own view is not readable yet"
	} else if !v.NativeActive {
		return "native transport not up"
	}
	if g.pending != nil {
		why, failed := g.round(ctx, g.pending)
		if why != "" {
			g.pending = failed
			return why
		}
	}
	why, failed := g.round(ctx, nil)
	g.pending = failed
	return why
}

// round asks the given peers (nil: all) and returns the first problem
// and every peer that has one.
func (g *gate) round(ctx context.Context, peers []string) (string, []string) {
	views := g.l.Views(ctx, peers)
	var self *View
	for i := range views {
		if views[i].HostID == g.host {
			self = &views[i]
		}
	}
	if self == nil || self.Err != "" {
		return "this node's own view is not readable yet", nil
	}
	if !self.NativeActive {
		return "native transport not up", nil
	}
	first := ""
	failed := []string{}
	for _, v := range views {
		if v.Err != "" || v.HostID == g.host || !v.Running || v.SchemaVersion == "" {
			// A peer whose sidecar or node is not answering, or that is
			// itself still starting (no schema version yet), has no view
			// to give; its own gate waits for it.
			continue
		}
		why := ""
		if c, dl := v.Hints.Created[self.Endpoint], v.Hints.Delivered[self.Endpoint]; !slices.Contains(v.Live, self.Endpoint) || slices.Contains(v.Unreachable, self.Endpoint) {
			why = fmt.Sprintf("not UN in the view of %s", v.Endpoint)
		} else if v.SchemaVersion != self.SchemaVersion {
			why = fmt.Sprintf("schema version %s on %s differs from %s here", v.SchemaVersion, v.Endpoint, self.SchemaVersion)
		} else if c > dl {
			why = fmt.Sprintf("%s still holds %d undelivered hint(s) for it (%d written, %d delivered)", v.Endpoint, c-dl, c, dl)
		}
		if why != "" {
			if first == "" {
				first = why
			}
			failed = append(failed, v.HostID)
		}
	}
	if first == "" {
		return "", nil
	}
	return first, failed
}
