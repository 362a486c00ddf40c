package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// PathClusterDesire is the cluster desire endpoint (CEP-1 §4).
const PathClusterDesire = "/v1/desires/cluster"

// A cluster desire's states.
const (
	DesirePending   = "PENDING" // stored, no wave started yet
	DesireRunning   = "RUNNING"
	DesirePaused    = "PAUSED"  // no new node starts; nodes in flight finish
	DesireBlocked   = "BLOCKED" // stopped on a problem (Reason): resume or cancel
	DesireDone      = "DONE"
	DesireCancelled = "CANCELLED"
	DesireExpired   = "EXPIRED" // its deadline passed before it was done
)

// DesireEnded reports whether nothing more will happen to a desire in
// state s.
func DesireEnded(s string) bool { return s == DesireDone || s == DesireCancelled || s == DesireExpired }

// A node's progress in a desire (DesireNode.State; CEP-1's node_states keys).
const (
	DesireNodeRunning = "RUNNING" // still to restart
	DesireNodeStopped = "STOPPED" // being restarted now
	DesireNodeDone    = "DONE"
	DesireNodeFailed  = "FAILED"
)

// ClusterDocument is CEP-1's answer of the cluster desire endpoints:
// the current desire (none, or one) and the nodes by state.
type ClusterDocument struct {
	Desires []ClusterDesire `json:"desires"`
	// NodeStates: RUNNING is a list of waves (lists of host ids) still
	// to run, the other states lists of host ids.
	NodeStates map[string]json.RawMessage `json:"node_states"`
	DryRun     bool                       `json:"dry_run"` // the plan only: nothing was stored
	Raw        json.RawMessage            `json:"-"`
}

// Current is the desire, nil when there is none.
func (d *ClusterDocument) Current() *ClusterDesire {
	if len(d.Desires) == 0 {
		return nil
	}
	return &d.Desires[0]
}

// ClusterDesire is a desire with its progress.
type ClusterDesire struct {
	By                int64                  `json:"by"` // unix seconds
	Type              string                 `json:"type"`
	ID                string                 `json:"id"`
	State             string                 `json:"state"` // DesirePending, …
	Reason            string                 `json:"reason"`
	Created           time.Time              `json:"created"`
	OlderThan         time.Time              `json:"older_than"`
	Scope             DesireScope            `json:"scope"`
	ConsistencyLevels []string               `json:"consistency_levels"`
	MaxParallel       int                    `json:"max_parallel"` // asked; 0: no cap
	Parallelism       int                    `json:"parallelism"`  // chosen; 0: as many as is safe
	Force             bool                   `json:"force"`
	Waves             [][]string             `json:"waves"` // host ids: done, current, planned
	Wave              int                    `json:"current_wave"`
	WaveStarted       time.Time              `json:"wave_started"`
	WaveSeconds       []float64              `json:"wave_seconds"` // of the waves done
	Nodes             map[string]*DesireNode `json:"nodes"`        // by host id
	Resumed           time.Time              `json:"resumed"`
	Ended             time.Time              `json:"ended"`
	Request           json.RawMessage        `json:"request"` // the POST body, normalised
	Updated           time.Time              `json:"updated"`
	Writer            string                 `json:"writer"`
	Progress          DesireProgress         `json:"progress"`
	ETA               *time.Time             `json:"eta"`    // while it runs
	ByMet             *bool                  `json:"by_met"` // whether it ends (or ended) by By
}

// DesireScope restricts a desire.
type DesireScope struct {
	DCs   []string `json:"dc"`
	Racks []string `json:"rack"`
	Nodes []string `json:"nodes"`
}

// DesireNode is one node of a desire.
type DesireNode struct {
	HostID    string    `json:"host_id"`
	Endpoint  string    `json:"endpoint"`
	Native    string    `json:"native_address"`
	DC        string    `json:"datacenter"`
	Rack      string    `json:"rack"`
	State     string    `json:"state"` // DesireNodeRunning, …
	Wave      int       `json:"wave"`  // restarted in; -1 before
	Skipped   bool      `json:"skipped"`
	Owner     string    `json:"owner"` // the sidecar instance that claimed it
	Claimed   time.Time `json:"claimed"`
	Restarted time.Time `json:"process_started"`
	Finished  time.Time `json:"finished"`
	Step      string    `json:"step"`
	Error     string    `json:"error"`
}

// DesireProgress counts nodes.
type DesireProgress struct {
	Total   int `json:"total"`
	Done    int `json:"done"`
	Skipped int `json:"skipped"`
	Stopped int `json:"restarting"`
	Failed  int `json:"failed"`
}

// RestartRequest asks for a restart of every node whose Cassandra started
// before OlderThan, by By, in waves that keep the consistency levels.
type RestartRequest struct {
	By                time.Time // required
	OlderThan         time.Time // zero: now
	DCs               []string
	Racks             []string // rack names, or "DC:RACK"
	Nodes             []string // host ids or addresses
	ConsistencyLevels []string // zero: the sidecar's health.consistency_levels
	MaxParallel       int      // 0: as many as is safe and By needs
	DryRun            bool     // plan only
	Force             bool     // accept a restart that cannot keep the levels
}

// MarshalJSON is the POST body: "by" in unix seconds.
func (r RestartRequest) MarshalJSON() ([]byte, error) {
	b := map[string]any{"type": "restart", "by": r.By.Unix()}
	if !r.OlderThan.IsZero() {
		b["older_than"] = r.OlderThan.UTC().Format(time.RFC3339Nano)
	}
	for k, v := range map[string][]string{"dc": r.DCs, "rack": r.Racks, "nodes": r.Nodes, "consistency_levels": r.ConsistencyLevels} {
		if len(v) > 0 {
			b[k] = v
		}
	}
	if r.MaxParallel > 0 {
		b["max_parallel"] = r.MaxParallel
	}
	if r.DryRun {
		b["dry_run"] = true
	}
	if r.Force {
		b["force"] = true
	}
	return json.Marshal(b)
}

// ClusterDesire runs GET /v1/desires/cluster.
func (c *Client) ClusterDesire(ctx context.Context) (*ClusterDocument, error) {
	return c.clusterDoc(ctx, http.MethodGet, PathClusterDesire, nil)
}

// RestartCluster runs POST /v1/desires/cluster with r.
func (c *Client) RestartCluster(ctx context.Context, r RestartRequest) (*ClusterDocument, error) {
	return c.CreateClusterDesire(ctx, r)
}

// CreateClusterDesire runs POST /v1/desires/cluster with body, a
// RestartRequest or any JSON object of the desire's fields (a
// json.RawMessage is sent as is). A bad field is a 400 *APIError whose
// Field("field") names it; a desire already in progress a 409.
func (c *Client) CreateClusterDesire(ctx context.Context, body any) (*ClusterDocument, error) {
	b, err := jsonBody(body, []byte("{}"))
	if err != nil {
		return nil, err
	}
	return c.clusterDoc(ctx, http.MethodPost, PathClusterDesire, b)
}

// PauseCluster runs POST /v1/desires/cluster/pause: no new node starts;
// the nodes in flight finish.
func (c *Client) PauseCluster(ctx context.Context) (*ClusterDocument, error) {
	return c.clusterDoc(ctx, http.MethodPost, PathClusterDesire+"/pause", nil)
}

// ResumeCluster runs POST /v1/desires/cluster/resume, from PAUSED or
// BLOCKED (failed nodes are retried).
func (c *Client) ResumeCluster(ctx context.Context) (*ClusterDocument, error) {
	return c.clusterDoc(ctx, http.MethodPost, PathClusterDesire+"/resume", nil)
}

// CancelCluster runs POST /v1/desires/cluster/cancel.
func (c *Client) CancelCluster(ctx context.Context) (*ClusterDocument, error) {
	return c.clusterDoc(ctx, http.MethodPost, PathClusterDesire+"/cancel", nil)
}

func (c *Client) clusterDoc(ctx context.Context, method, path string, body []byte) (*ClusterDocument, error) {
	var d ClusterDocument
	resp, err := c.call(ctx, method, path, nil, body, &d, is(http.StatusOK), func([]byte) bool { return d.Desires != nil })
	if err != nil {
		return nil, err
	}
	d.Raw = resp.Body
	return &d, nil
}
