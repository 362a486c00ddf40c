// Package lifecycle stops and starts the Cassandra node a sidecar runs
// beside, as desires (CEP-1 section 3): POST /v1/desires/node/stop fails
// the coordinator health check for a grace period so clients move away,
// drains the node through JMX, runs the stop command and waits for the
// process to exit; POST /v1/desires/node/start runs the start command and
// waits until the health checks pass. The desired state and the step in
// progress are persisted, so a sidecar restarted mid-stop finishes it.
package lifecycle

import (
	"math"
	"time"
)

// State is the node's lifecycle state as /v1/desires/node/status reports it.
type State string

const (
	Starting State = "STARTING"
	Running  State = "RUNNING"
	Stopping State = "STOPPING"
	Stopped  State = "STOPPED"
	Failed   State = "FAILED"
)

// Step is one step of a stop or a start, in the order they run.
type Step string

const (
	StepFailHealth  Step = "fail_healthchecks" // stop: the coordinator check fails for the grace
	StepDrain       Step = "drain"             // stop: StorageService.drain through JMX
	StepStopCommand Step = "stop_command"      // stop: lifecycle.stop_command
	StepWaitExit    Step = "wait_for_exit"     // stop: until the process is gone
	StepStartCmd    Step = "start_command"     // start: lifecycle.start_command
	StepWaitHealth  Step = "wait_for_health"   // start: until coordinator and replica pass
)

var stopSteps = []Step{StepFailHealth, StepDrain, StepStopCommand, StepWaitExit}

// Outcomes of a transition.
const (
	InProgress = "in_progress"
	Succeeded  = "succeeded"
	FailedOut  = "failed"
	Aborted    = "aborted"
)

// Transition is one stop or start: what the CEP's responses report
// (cassandra_pid, executed, healthchecks_failed or healthchecks_passed,
// time_to_stop_in_s or time_to_start_in_s) and how each step went. The
// same struct is persisted, so its JSON form is also the state file's.
type Transition struct {
	Type    string `json:"type"`    // "stop" or "start"
	Trigger string `json:"trigger"` // "request", or "supervision" for a restart after a crash
	Outcome string `json:"outcome"`
	// Requested is when the transition was asked for; its duration counts
	// from here, across sidecar restarts.
	Requested time.Time `json:"requested"`
	Finished  time.Time `json:"finished,omitzero"`
	// Resumed counts the sidecar restarts this transition survived.
	Resumed int `json:"resumed,omitempty"`
	// PID is Cassandra's pid: while in progress, the process being
	// stopped or started; at the end, the pid then (0 once stopped).
	PID      int          `json:"pid,omitempty"`
	Executed string       `json:"executed,omitempty"`
	Checks   []string     `json:"checks,omitempty"` // failed on purpose (stop) or seen passing (start)
	Step     Step         `json:"step,omitempty"`   // the step in progress
	Steps    []StepRecord `json:"steps"`
	Error    string       `json:"error,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
	// Note explains a transition that had nothing to do.
	Note string `json:"note,omitempty"`
}

// StepRecord is how one step went.
type StepRecord struct {
	Step     Step      `json:"step"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Outcome: "in_progress", "ok", "skipped", "timed_out" or "failed".
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

func (t *Transition) clone() *Transition {
	if t == nil {
		return nil
	}
	c := *t
	c.Checks = append([]string(nil), t.Checks...)
	c.Steps = append([]StepRecord(nil), t.Steps...)
	c.Warnings = append([]string(nil), t.Warnings...)
	return &c
}

func (t *Transition) current() *StepRecord {
	if len(t.Steps) == 0 {
		return nil
	}
	return &t.Steps[len(t.Steps)-1]
}

// seconds is the transition's duration so far (or in all) in seconds,
// to the millisecond.
func (t *Transition) seconds(now time.Time) float64 {
	end := t.Finished
	if end.IsZero() {
		end = now
	}
	return math.Round(max(end.Sub(t.Requested), 0).Seconds()*1000) / 1000
}

// View is the transition as the API returns it: the CEP's fields first
// among equals, plus the state the node is in now.
func (t *Transition) View(state State, now time.Time) map[string]any {
	v := map[string]any{
		"type":      t.Type,
		"trigger":   t.Trigger,
		"outcome":   t.Outcome,
		"state":     state,
		"requested": t.Requested.UTC(),
		"steps":     t.Steps,
	}
	if t.Steps == nil {
		v["steps"] = []StepRecord{}
	}
	if t.PID != 0 {
		v["cassandra_pid"] = t.PID
	} else {
		v["cassandra_pid"] = nil
	}
	if t.Executed != "" {
		v["executed"] = t.Executed
	} else {
		v["executed"] = nil
	}
	checks := t.Checks
	if checks == nil {
		checks = []string{}
	}
	if t.Type == "stop" {
		v["healthchecks_failed"] = checks
		v["time_to_stop_in_s"] = t.seconds(now)
	} else {
		v["healthchecks_passed"] = checks
		v["time_to_start_in_s"] = t.seconds(now)
	}
	if !t.Finished.IsZero() {
		v["finished"] = t.Finished.UTC()
	}
	if t.Step != "" {
		v["step"] = t.Step
	}
	if t.Resumed > 0 {
		v["resumed"] = t.Resumed
	}
	if t.Error != "" {
		v["error"] = t.Error
	}
	if len(t.Warnings) > 0 {
		v["warnings"] = t.Warnings
	}
	if t.Note != "" {
		v["note"] = t.Note
	}
	return v
}
