package bulk

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/ringside/ringside/fanout"
)

// Jobs are the asynchronous bulk commands (?async=true) of this sidecar.
// They live in memory only: a job can be polled from any client for as
// long as this sidecar runs (a page refresh finds it again), but a
// sidecar restart forgets every job — the commands themselves still ran,
// or still run, on the nodes. Only the sidecar that received the command
// knows its job. Memory is bounded: at most max jobs run at once, at most
// max finished jobs are kept (the oldest go first) and a finished job is
// forgotten ttl after it finished.
type Jobs struct {
	mu   sync.Mutex
	max  int
	ttl  time.Duration
	list []*job // by start, oldest first
	byID map[string]*job
	now  func() time.Time
}

// NewJobs keeps at most max finished jobs (0: 100) for ttl (0: 1 h).
func NewJobs(max int, ttl time.Duration) *Jobs {
	if max <= 0 {
		max = 100
	}
	if ttl <= 0 {
		ttl = time.Hour
	}
	return &Jobs{max: max, ttl: ttl, byID: map[string]*job{}, now: time.Now}
}

// ErrTooManyJobs: max jobs are running already.
var ErrTooManyJobs = errors.New("too many bulk command jobs are running on this sidecar; wait for one to finish")

type job struct {
	id, command       string
	params            Params
	started, finished time.Time
	targets           []fanout.Target
	index             map[fanout.Target]int
	results           []*fanout.Result // by target; nil: pending
	done              int
}

// JobState values.
const (
	JobRunning = "running"
	JobDone    = "done"
)

// JobView is GET /v1/jobs/{id}.
type JobView struct {
	ID      string    `json:"job_id"`
	Command string    `json:"command"`
	Params  Params    `json:"params"`
	State   string    `json:"state"` // JobRunning or JobDone
	Started time.Time `json:"started"`
	// Finished is null while the job runs.
	Finished *time.Time `json:"finished"`
	Total    int        `json:"total"`
	Done     int        `json:"done_count"`
	// Success and Failure list the endpoints of the nodes done so far.
	Success []string `json:"success"`
	Failure []string `json:"failure"`
	// Nodes are every target in order: a result, or pending.
	Nodes    []JobNode `json:"nodes"`
	Location string    `json:"location"`
}

// JobNode is one node of a job: its result once done, else the target
// with State "pending".
type JobNode struct {
	fanout.Result
	State string `json:"state"` // "pending" or "done"
}

// MarshalJSON leaves the result fields out of pending nodes: a pending
// node has not failed.
func (n JobNode) MarshalJSON() ([]byte, error) {
	if n.State == "pending" {
		return json.Marshal(struct {
			fanout.Target
			State string `json:"state"`
		}{n.Target, n.State})
	}
	return json.Marshal(struct {
		fanout.Result
		State string `json:"state"`
	}{n.Result, n.State})
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

func jobLocation(id string) string { return "/v1/jobs/" + id }

// start records a new running job.
func (js *Jobs) start(command string, p Params, targets []fanout.Target) (*job, error) {
	b := make([]byte, 8)
	rand.Read(b)
	j := &job{
		id: hex.EncodeToString(b), command: command, params: p,
		targets: targets, index: make(map[fanout.Target]int, len(targets)),
		results: make([]*fanout.Result, len(targets)),
	}
	for i, t := range targets {
		j.index[t] = i
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	js.prune()
	running := 0
	for _, o := range js.list {
		if o.finished.IsZero() {
			running++
		}
	}
	if running >= js.max {
		return nil, ErrTooManyJobs
	}
	j.started = js.now()
	js.list = append(js.list, j)
	js.byID[j.id] = j
	return j, nil
}

// record is fanout.Request.OnResult: one node finished.
func (js *Jobs) record(j *job, r fanout.Result) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if i, ok := j.index[r.Target]; ok && j.results[i] == nil {
		j.results[i] = &r
		j.done++
	}
}

// finish ends the job with the fan-out's results (authoritative, in order).
func (js *Jobs) finish(j *job, results []fanout.Result) {
	js.mu.Lock()
	defer js.mu.Unlock()
	for i := range results {
		j.results[i] = &results[i]
	}
	j.done = len(results)
	j.finished = js.now()
	js.prune()
}

// prune forgets expired finished jobs and the oldest finished ones beyond
// max. Called with mu held.
func (js *Jobs) prune() {
	now := js.now()
	expired := func(j *job) bool { return now.Sub(j.finished) > js.ttl }
	excess := -js.max
	for _, j := range js.list {
		if !j.finished.IsZero() && !expired(j) {
			excess++
		}
	}
	kept := js.list[:0]
	for _, j := range js.list {
		if !j.finished.IsZero() {
			if expired(j) {
				delete(js.byID, j.id)
				continue
			}
			if excess > 0 {
				excess--
				delete(js.byID, j.id)
				continue
			}
		}
		kept = append(kept, j)
	}
	clear(js.list[len(kept):]) // let the forgotten jobs be collected
	js.list = kept
}

// Get is the job with that id.
func (js *Jobs) Get(id string) (JobView, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.prune()
	j, ok := js.byID[id]
	if !ok {
		return JobView{}, false
	}
	v := JobView{
		ID: j.id, Command: j.command, Params: j.params, State: JobRunning,
		Started: j.started, Total: len(j.targets), Done: j.done,
		Success: []string{}, Failure: []string{}, Nodes: make([]JobNode, len(j.targets)),
		Location: jobLocation(j.id),
	}
	if !j.finished.IsZero() {
		f := j.finished
		v.State, v.Finished = JobDone, &f
	}
	for i, t := range j.targets {
		r := j.results[i]
		if r == nil {
			v.Nodes[i] = JobNode{Result: fanout.Result{Target: t}, State: "pending"}
			continue
		}
		v.Nodes[i] = JobNode{Result: *r, State: "done"}
		if r.Success {
			v.Success = append(v.Success, t.Endpoint)
		} else {
			v.Failure = append(v.Failure, t.Endpoint)
		}
	}
	return v, true
}

// List summarizes the jobs kept, newest first.
func (js *Jobs) List() []JobSummary {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.prune()
	out := make([]JobSummary, 0, len(js.list))
	for i := len(js.list) - 1; i >= 0; i-- {
		j := js.list[i]
		s := JobSummary{
			ID: j.id, Command: j.command, State: JobRunning, Started: j.started,
			Total: len(j.targets), Done: j.done, Location: jobLocation(j.id),
		}
		if !j.finished.IsZero() {
			f := j.finished
			s.State, s.Finished = JobDone, &f
		}
		for _, r := range j.results {
			switch {
			case r == nil:
			case r.Success:
				s.Success++
			default:
				s.Failure++
			}
		}
		out = append(out, s)
	}
	return out
}
