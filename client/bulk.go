package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// The types of a bulk command's parameters (BulkParam.Type).
const (
	ParamInt     = "int"     // a JSON integer
	ParamBool    = "bool"    // true or false
	ParamString  = "string"  // a non-empty string
	ParamStrings = "strings" // an array of non-empty strings
	ParamObject  = "object"  // a JSON object
)

// BulkCommands is GET /v1/bulkcmd: the whitelisted commands.
type BulkCommands struct {
	Commands []BulkCommand   `json:"commands"`
	Raw      json.RawMessage `json:"-"`
}

// BulkCommand is one whitelisted command.
type BulkCommand struct {
	Name   string      `json:"name"`
	Help   string      `json:"help"`
	Long   bool        `json:"long"` // runs for minutes or hours: run it as a job
	Params []BulkParam `json:"params"`
}

// BulkParam is one parameter of a command.
type BulkParam struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // ParamInt, …
	Required bool   `json:"required"`
	Default  any    `json:"default"`
	Min      *int64 `json:"min"` // ParamInt only
	Max      *int64 `json:"max"`
	Help     string `json:"help"`
}

// BulkCommands runs GET /v1/bulkcmd.
func (c *Client) BulkCommands(ctx context.Context) (*BulkCommands, error) {
	var l BulkCommands
	resp, err := c.call(ctx, http.MethodGet, "/v1/bulkcmd", nil, nil, &l, is(http.StatusOK), func([]byte) bool { return l.Commands != nil })
	if err != nil {
		return nil, err
	}
	l.Raw = resp.Body
	return &l, nil
}

// NodeResult is one node's part of a fan-out.
type NodeResult struct {
	Target
	Success bool            `json:"success"`
	Status  int             `json:"http_status"` // its sidecar's answer; 0 when none came
	Value   json.RawMessage `json:"value"`       // the command's result on the node
	Error   string          `json:"error"`
	Seconds float64         `json:"seconds"`
}

// BulkAnswer is a command run to its end on every selected node.
type BulkAnswer struct {
	Command string         `json:"command"`
	Params  map[string]any `json:"params"` // as the sidecar read them
	Success []string       `json:"success"`
	Failure []string       `json:"failure"`
	Nodes   []NodeResult   `json:"nodes"`
	// Error is set when the command failed on every node (a 502).
	Error string `json:"error"`
}

// BulkRun is the answer of POST /v1/bulkcmd/<cmd>: the job started
// (Async), or the command's answer.
type BulkRun struct {
	StatusCode int // 202 with a job; 200, or 502 when every node failed
	// JobID and Location (GET it, or Job(JobID)) of the job started.
	JobID, Location string
	Answer          *BulkAnswer
	Raw             json.RawMessage
}

// BulkOptions shape RunBulk.
type BulkOptions struct {
	Selector // default: every node of the cluster
	// Async starts the command as a job of the sidecar and answers at
	// once; follow it with Job. Otherwise the call returns when the
	// command has ended on every node, which for a long command
	// (BulkCommand.Long) may be hours.
	Async bool
}

// RunBulk runs POST /v1/bulkcmd/<command> with params, a JSON object (a
// map, a struct, or a json.RawMessage sent as is; nil: none). The
// sidecar checks the command, its parameters and the selection before
// anything runs anywhere: a 4xx *APIError means it ran nowhere (Problems
// names each bad parameter of a 400). A node that fails or does not
// answer is in the answer's Failure, not an error.
func (c *Client) RunBulk(ctx context.Context, command string, params any, o BulkOptions) (*BulkRun, error) {
	b, err := jsonBody(params, []byte("{}"))
	if err != nil {
		return nil, err
	}
	q := o.Selector.query(nil)
	if o.Async {
		q.Set("async", "true")
	}
	resp, err := c.Do(ctx, http.MethodPost, "/v1/bulkcmd/"+url.PathEscape(command), q, b)
	if err != nil {
		return nil, err
	}
	r := &BulkRun{StatusCode: resp.StatusCode, Raw: resp.Body}
	switch resp.StatusCode {
	case http.StatusAccepted:
		var acc struct {
			JobID    string `json:"job_id"`
			Location string `json:"location"`
		}
		if json.Unmarshal(resp.Body, &acc) == nil && acc.JobID != "" {
			r.JobID, r.Location = acc.JobID, acc.Location
			return r, nil
		}
	case http.StatusOK, http.StatusBadGateway:
		var a BulkAnswer
		if json.Unmarshal(resp.Body, &a) == nil && a.Nodes != nil {
			r.Answer = &a
			return r, nil
		}
	}
	return nil, resp.AsError()
}

// Job states.
const (
	JobRunning = "running"
	JobDone    = "done"
)

// Job is GET /v1/jobs/<id>: a bulk command run as a job. The sidecar
// keeps jobs in memory, finished ones for an hour, none across its
// restart.
type Job struct {
	ID       string         `json:"job_id"`
	Command  string         `json:"command"`
	Params   map[string]any `json:"params"`
	State    string         `json:"state"` // JobRunning or JobDone
	Started  time.Time      `json:"started"`
	Finished *time.Time     `json:"finished"` // nil while it runs
	Total    int            `json:"total"`
	Done     int            `json:"done_count"`
	// Success and Failure are the endpoints of the nodes done so far.
	Success  []string        `json:"success"`
	Failure  []string        `json:"failure"`
	Nodes    []JobNode       `json:"nodes"` // every target, in order
	Location string          `json:"location"`
	Raw      json.RawMessage `json:"-"`
}

// JobNode is a node of a job: its result once State is "done", only its
// Target while "pending".
type JobNode struct {
	NodeResult
	State string `json:"state"`
}

// Job runs GET /v1/jobs/<id>; an unknown (or forgotten) job is a 404
// *APIError.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	resp, err := c.call(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, nil, &j, is(http.StatusOK),
		func([]byte) bool { return j.ID != "" && j.State != "" })
	if err != nil {
		return nil, err
	}
	j.Raw = resp.Body
	return &j, nil
}

// JobSummary is one job of GET /v1/jobs.
type JobSummary struct {
	ID       string     `json:"job_id"`
	Command  string     `json:"command"`
	State    string     `json:"state"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished"`
	Total    int        `json:"total"`
	Done     int        `json:"done_count"`
	Success  int        `json:"success_count"`
	Failure  int        `json:"failure_count"`
	Location string     `json:"location"`
}

// Jobs runs GET /v1/jobs: the jobs the sidecar keeps.
func (c *Client) Jobs(ctx context.Context) ([]JobSummary, error) {
	var l struct {
		Jobs []JobSummary `json:"jobs"`
	}
	if _, err := c.call(ctx, http.MethodGet, "/v1/jobs", nil, nil, &l, is(http.StatusOK), func([]byte) bool { return l.Jobs != nil }); err != nil {
		return nil, err
	}
	return l.Jobs, nil
}
