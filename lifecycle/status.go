package lifecycle

import (
	"time"
)

// Status is what GET /v1/desires/node/status reports.
type Status struct {
	PID         int    // 0: not running
	PIDError    string // why the pid cannot be told
	State       State
	Step        Step // while STARTING or STOPPING
	Since       time.Time
	Desired     State
	Last        *Transition
	Supervision SupervisionStatus
	Warnings    []string
}

// SupervisionStatus reports restarts by supervision.
type SupervisionStatus struct {
	Enabled     bool      `json:"enabled"`
	Restarts    int       `json:"restarts"`
	LastRestart time.Time `json:"last_restart,omitzero"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Running is whether Cassandra runs (the status answers 200, else 503).
func (s Status) Running() bool { return s.PID != 0 }

// Status reads the process afresh and reports.
func (m *Manager) Status() Status {
	pid, err := m.node.PID()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pid, m.pidErr = pid, err
	return m.statusLocked(time.Now())
}

func (m *Manager) statusLocked(now time.Time) Status {
	s := Status{PID: m.pid, State: m.rec.State, Since: m.rec.Since, Desired: m.rec.Desired, Last: m.rec.Last.clone()}
	if m.pidErr != nil {
		s.PIDError = m.pidErr.Error()
	}
	if s.State == "" {
		// Not observed yet (the first look happens when Run starts).
		s.State, s.Since = Stopped, now
		if m.pid != 0 {
			s.State = Running
		}
	}
	if m.cur != nil {
		s.Step = m.cur.t.Step
	}
	s.Supervision = SupervisionStatus{Enabled: m.cfg.Supervise, Restarts: m.sup.restarts, LastRestart: m.sup.last, NextAttempt: m.sup.next}
	if m.loadWarning != "" {
		s.Warnings = append(s.Warnings, m.loadWarning)
	}
	if m.saveErr != nil {
		s.Warnings = append(s.Warnings, "the desired state cannot be persisted, so it would not survive a sidecar restart: "+m.saveErr.Error())
	}
	if m.cur == nil && m.rec.Desired == Stopped && m.pid != 0 {
		s.Warnings = append(s.Warnings, "Cassandra is running although the desire is STOPPED: it was started outside ringside; POST /v1/desires/node/start to adopt it, or stop to stop it")
	}
	return s
}

// View is the JSON body of GET /v1/desires/node/status: the CEP's
// cassandra_pid and state, then what a caller needs to follow a transition.
func (s Status) View(now time.Time) map[string]any {
	v := map[string]any{"state": s.State, "since": s.Since.UTC(), "cassandra_running": s.Running()}
	if s.PID != 0 {
		v["cassandra_pid"] = s.PID
	} else {
		v["cassandra_pid"] = nil
	}
	if s.Desired != "" {
		v["desired"] = s.Desired
	} else {
		v["desired"] = nil
	}
	if s.Step != "" {
		v["step"] = s.Step
	}
	if s.PIDError != "" {
		v["pid_error"] = s.PIDError
	}
	if s.Last != nil {
		v["last_transition"] = s.Last.View(s.State, now)
	}
	v["supervision"] = s.Supervision
	if len(s.Warnings) > 0 {
		v["warnings"] = s.Warnings
	}
	return v
}
