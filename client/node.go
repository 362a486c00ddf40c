package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// The node's lifecycle states (NodeStatus.State, Transition.State).
const (
	NodeStarting = "STARTING"
	NodeRunning  = "RUNNING"
	NodeStopping = "STOPPING"
	NodeStopped  = "STOPPED"
	NodeFailed   = "FAILED"
)

// The steps of a stop, then of a start, in the order they run.
const (
	StepFailHealth  = "fail_healthchecks" // the coordinator check fails for lifecycle.grace
	StepDrain       = "drain"             // StorageService.drain through JMX
	StepStopCommand = "stop_command"      // lifecycle.stop_command
	StepWaitExit    = "wait_for_exit"     // until the process is gone
	StepStartCmd    = "start_command"     // lifecycle.start_command
	StepWaitHealth  = "wait_for_health"   // until coordinator and replica pass
)

// Outcomes of a transition.
const (
	OutcomeInProgress = "in_progress"
	OutcomeSucceeded  = "succeeded"
	OutcomeFailed     = "failed"
	OutcomeAborted    = "aborted"
)

// The node lifecycle endpoints (loopback callers only, unless the
// sidecar sets lifecycle.allow_remote).
const (
	PathNodeStatus = "/v1/desires/node/status"
	PathNodeStop   = "/v1/desires/node/stop"
	PathNodeStart  = "/v1/desires/node/start"
)

// NodeStatus is GET /v1/desires/node/status.
type NodeStatus struct {
	StatusCode  int          `json:"-"` // 200 Cassandra runs, 503 it does not
	Running     bool         `json:"cassandra_running"`
	PID         *int         `json:"cassandra_pid"` // nil when not running
	PIDError    string       `json:"pid_error"`     // why the pid is unknown
	State       string       `json:"state"`         // NodeRunning, …
	Step        string       `json:"step"`          // of the transition in progress
	Since       time.Time    `json:"since"`
	Desired     *string      `json:"desired"` // RUNNING or STOPPED; nil before any request
	Supervision *Supervision `json:"supervision"`
	// Last is the last stop or start, as Stop and Start return it; its Raw
	// is that part of the body.
	Last     *Transition     `json:"last_transition"`
	Warnings []string        `json:"warnings"`
	Raw      json.RawMessage `json:"-"`
}

// Supervision is the restart of a Cassandra that died while desired
// running (lifecycle.supervise).
type Supervision struct {
	Enabled     bool      `json:"enabled"`
	Restarts    int       `json:"restarts"`
	LastRestart time.Time `json:"last_restart"`
	NextAttempt time.Time `json:"next_attempt"`
}

// Transition is one stop or start: CEP-1's fields (cassandra_pid,
// executed, healthchecks_failed or _passed, time_to_stop_in_s or
// _start_in_s) and its steps.
type Transition struct {
	StatusCode int    `json:"-"`       // of Stop or Start: 200 ended, 202 going on, 500 failed
	Type       string `json:"type"`    // "stop" or "start"
	Trigger    string `json:"trigger"` // "request", or "supervision"
	Outcome    string `json:"outcome"` // OutcomeInProgress, …
	// State is the node's state when the answer was written.
	State              string           `json:"state"`
	Requested          time.Time        `json:"requested"`
	Finished           time.Time        `json:"finished"`
	PID                *int             `json:"cassandra_pid"`
	Executed           *string          `json:"executed"`
	HealthchecksFailed []string         `json:"healthchecks_failed"` // stop
	HealthchecksPassed []string         `json:"healthchecks_passed"` // start
	TimeToStop         *float64         `json:"time_to_stop_in_s"`
	TimeToStart        *float64         `json:"time_to_start_in_s"`
	Step               string           `json:"step"` // in progress
	Steps              []TransitionStep `json:"steps"`
	Error              string           `json:"error"`
	Warnings           []string         `json:"warnings"`
	Note               string           `json:"note"`
	Resumed            int              `json:"resumed"` // sidecar restarts it went on through
	Raw                json.RawMessage  `json:"-"`
}

// Seconds is time_to_stop_in_s or time_to_start_in_s, as the type says.
func (t *Transition) Seconds() (float64, bool) {
	p := t.TimeToStart
	if t.Type == "stop" {
		p = t.TimeToStop
	}
	if p == nil {
		return 0, false
	}
	return *p, true
}

// TransitionStep is one step of a transition.
type TransitionStep struct {
	Step     string    `json:"step"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"` // zero while it runs
	Outcome  string    `json:"outcome"`
	Detail   string    `json:"detail"`
}

// NodeStatus runs GET /v1/desires/node/status. A node that is down is a
// status (StatusCode 503), not an error.
func (c *Client) NodeStatus(ctx context.Context) (*NodeStatus, error) {
	var st NodeStatus
	var raw struct {
		Last json.RawMessage `json:"last_transition"`
	}
	resp, err := c.call(ctx, http.MethodGet, PathNodeStatus, nil, nil, &st, is(http.StatusOK, http.StatusServiceUnavailable),
		func(body []byte) bool { return st.State != "" && json.Unmarshal(body, &raw) == nil })
	if err != nil {
		return nil, err
	}
	st.StatusCode, st.Raw = resp.StatusCode, resp.Body
	if st.Last != nil {
		st.Last.Raw = raw.Last
	}
	return &st, nil
}

// StopOptions shape StopNode.
type StopOptions struct {
	// Block waits until the node is really down (the call then lasts
	// lifecycle.grace, the drain and the stop); without it the answer
	// (202) comes at once, to follow with NodeStatus.
	Block bool
	// Force stops the node even if that leaves a keyspace unavailable at
	// the consistency levels kept (otherwise a 409 *APIError).
	Force bool
}

// StopNode runs POST /v1/desires/node/stop: fail the health checks,
// drain, run the stop command, wait for the exit. A stop that failed is a
// Transition with its Outcome, not an error; a refusal (409: unsafe, or
// a start in progress) is an *APIError whose Fields say the state.
func (c *Client) StopNode(ctx context.Context, o StopOptions) (*Transition, error) {
	q := url.Values{}
	if o.Block {
		q.Set("block", "true")
	}
	if o.Force {
		q.Set("force", "true")
	}
	return c.transition(ctx, PathNodeStop, q)
}

// StartOptions shape StartNode.
type StartOptions struct {
	// Block waits until the node runs and its coordinator and replica
	// checks pass.
	Block bool
}

// StartNode runs POST /v1/desires/node/start: run the start command,
// wait for the health checks.
func (c *Client) StartNode(ctx context.Context, o StartOptions) (*Transition, error) {
	q := url.Values{}
	if o.Block {
		q.Set("block", "true")
	}
	return c.transition(ctx, PathNodeStart, q)
}

func (c *Client) transition(ctx context.Context, path string, q url.Values) (*Transition, error) {
	var t Transition
	resp, err := c.call(ctx, http.MethodPost, path, q, nil, &t, is(http.StatusOK, http.StatusAccepted, http.StatusInternalServerError),
		func([]byte) bool { return t.Type != "" && t.Outcome != "" })
	if err != nil {
		return nil, err
	}
	t.StatusCode, t.Raw = resp.StatusCode, resp.Body
	return &t, nil
}
