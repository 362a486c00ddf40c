package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// record is what survives a sidecar restart: the desire, the state, and
// the last (or current) transition with its steps.
type record struct {
	Version int `json:"version"`
	// Desired is RUNNING or STOPPED: what the operator last asked for
	// ("" when nothing was ever asked and nothing observed).
	Desired State       `json:"desired,omitempty"`
	State   State       `json:"state,omitempty"`
	Since   time.Time   `json:"since,omitzero"`
	Last    *Transition `json:"last_transition,omitempty"`
	// FailedPID is the pid seen when a transition failed: FAILED stands
	// until the process changes (or another transition begins).
	FailedPID int `json:"failed_pid,omitempty"`
}

const recordVersion = 1

// load reads the state file; a missing file is an empty record. A file
// that cannot be parsed is moved aside (and reported), never trusted.
func load(path string) (record, string, error) {
	var r record
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, "", nil
	}
	if err != nil {
		return r, "", fmt.Errorf("reading lifecycle state: %w", err)
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Version != recordVersion || !validState(r.State) || !validState(r.Desired) {
		aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405")
		if rerr := os.Rename(path, aside); rerr != nil {
			return record{}, "", fmt.Errorf("lifecycle state %s is unreadable (%v) and could not be moved aside: %w", path, err, rerr)
		}
		why := "unknown version or state"
		if err != nil {
			why = err.Error()
		}
		return record{}, fmt.Sprintf("the lifecycle state file was unreadable (%s); it was moved to %s and ringside started without a recorded desire", why, aside), nil
	}
	if r.Last != nil && !validTransition(r.Last) {
		r.Last = nil
		if r.State == Stopping || r.State == Starting {
			r.State = ""
		}
	}
	return r, "", nil
}

func validState(s State) bool {
	switch s {
	case "", Starting, Running, Stopping, Stopped, Failed:
		return true
	}
	return false
}

func validTransition(t *Transition) bool {
	if t.Type != "stop" && t.Type != "start" {
		return false
	}
	for _, s := range t.Steps {
		if !validStep(t.Type, s.Step) {
			return false
		}
	}
	return t.Step == "" || validStep(t.Type, t.Step)
}

func validStep(typ string, s Step) bool {
	if typ == "stop" {
		for _, x := range stopSteps {
			if s == x {
				return true
			}
		}
		return false
	}
	return s == StepStartCmd || s == StepWaitHealth
}

// save writes the record atomically: a temporary file, fsync, rename,
// fsync of the directory. A crash leaves the old record or the new one.
func save(path string, r record) error {
	r.Version = recordVersion
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".lifecycle-*.tmp")
	if err != nil {
		return fmt.Errorf("saving lifecycle state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving lifecycle state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
