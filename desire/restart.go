package desire

import (
	"context"
	"errors"
	"time"

	"github.com/ringside/ringside/node"
)

// Restart is the restart action: the node's own lifecycle stop (fail
// health, drain, stop) and start (wait until healthy).
type Restart struct {
	Stop  func(ctx context.Context) error
	Start func(ctx context.Context) error
	// Running reports whether Cassandra's process is up now.
	Running func() bool
}

// RefusedError is an action refused before it did anything to the node
// (the lifecycle's availability guard would not stop it now: a peer died
// since the claim). The claim is given back and judged again later.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Needed: the process started before older_than. A node whose start time
// cannot be read (it is down, or JMX is not answering) is not judged.
func (r Restart) Needed(ctx context.Context, d *Desire, l Local) (bool, time.Time, error) {
	st, err := l.StartTime(ctx)
	if err != nil {
		return false, time.Time{}, err
	}
	return st.Before(d.OlderThan), st, nil
}

// Run stops the node unless it is already down or already newer than
// older_than (a previous owner got that far), then starts it.
func (r Restart) Run(ctx context.Context, d *Desire, l Local, resume bool, step func(string)) error {
	if r.Stop == nil || r.Start == nil {
		return errors.New("restart action not wired to the node's lifecycle")
	}
	up := r.Running == nil || r.Running()
	if resume && up {
		if st, err := l.StartTime(ctx); err == nil && !st.Before(d.OlderThan) {
			return nil // restarted already: its process says so
		}
	}
	if up {
		step("stopping")
		if err := r.Stop(ctx); err != nil {
			return err
		}
	}
	step("starting")
	return r.Start(ctx)
}

// View is one node's view for gating, served by its sidecar at
// /v1/peer/desires/view.
type View struct {
	HostID        string          `json:"host_id"`
	Endpoint      string          `json:"endpoint"`
	Running       bool            `json:"cassandra_running"`
	NativeActive  bool            `json:"native_active"`
	Live          []string        `json:"live_endpoints"`
	Unreachable   []string        `json:"unreachable_endpoints"`
	SchemaVersion string          `json:"schema_version"`
	Hints         node.HintCounts `json:"hints"`
	Err           string          `json:"error,omitempty"`
}
