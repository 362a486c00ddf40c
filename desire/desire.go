// Package desire is ringside's cluster desires (CEP-1 section 4): a
// declared goal such as "every Cassandra process older than T restarted
// by B, keeping these consistency levels", stored in Cassandra (package
// store) and reconciled by every sidecar for its own node. There is no
// leader: each decision two sidecars could race on (creating the desire,
// claiming a slot in the current wave, recording a node done, moving to
// the next wave, blocking) is one compare-and-set on the desire's version,
// and each node's work is held under a lease with a TTL. What a node
// needs is read from the node itself (its process start time), so a
// sidecar with an empty disk, or one that crashed mid-way, decides the
// same as before.
package desire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ringside/ringside/internal/jsonin"
	"github.com/ringside/ringside/store"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State is a desire's state.
type State string

const (
	Pending   State = "PENDING" // stored, no wave started yet
	Running   State = "RUNNING"
	Paused    State = "PAUSED"  // no new node starts; nodes in flight finish
	Blocked   State = "BLOCKED" // stopped on a problem (Reason); an operator resumes or cancels
	Done      State = "DONE"
	Cancelled State = "CANCELLED"
	Expired   State = "EXPIRED" // its expiry passed before it was done
)

// Ended reports whether nothing more will happen to the desire.
func (s State) Ended() bool { return s == Done || s == Cancelled || s == Expired }

// NodeState is one node's progress; the names are CEP-1's node_states keys.
type NodeState string

const (
	NodeRunning NodeState = "RUNNING" // still to restart
	NodeStopped NodeState = "STOPPED" // being restarted now
	NodeDone    NodeState = "DONE"    // restarted (or found already newer than older_than) and gated
	NodeFailed  NodeState = "FAILED"
)

// Node is one in-scope node's record.
type Node struct {
	HostID   string `json:"host_id"`
	Endpoint string `json:"endpoint"`
	// Native is the node's native_address:native_port: how a sidecar whose
	// node is down finds its own record.
	Native string    `json:"native_address,omitempty"`
	DC     string    `json:"datacenter"`
	Rack   string    `json:"rack"`
	State  NodeState `json:"state"`
	// Wave is the wave (0-based) the node was restarted in, -1 before.
	Wave int `json:"wave"`
	// Skipped: its process was already newer than older_than.
	Skipped bool `json:"skipped,omitempty"`
	// Owner is the sidecar instance that claimed it.
	Owner string `json:"owner,omitempty"`
	// Claimed, Restarted (new process start time), Finished (gated).
	Claimed   time.Time `json:"claimed,omitzero"`
	Restarted time.Time `json:"process_started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	Step      string    `json:"step,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Scope restricts a desire to DCs, racks ("rack" in every DC, or
// "dc:rack") and nodes (host ids).
type Scope struct {
	DCs   []string `json:"dc,omitempty"`
	Racks []string `json:"rack,omitempty"`
	Nodes []string `json:"nodes,omitempty"`
}

// Desire is what the store keeps (as JSON) and GET shows.
type Desire struct {
	// rec is the stored record this was decoded from, when a poll read
	// it: a write's first attempt can be a CAS on its version at once.
	rec *store.Record

	// CEP-1's fields.
	By   int64  `json:"by"`
	Type string `json:"type"`

	ID        string    `json:"id"`
	State     State     `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Created   time.Time `json:"created"`
	OlderThan time.Time `json:"older_than"`
	Scope     Scope     `json:"scope"`
	// ConsistencyLevels kept during the restart.
	ConsistencyLevels []string `json:"consistency_levels"`
	// MaxParallel is what was asked (0: no cap); Parallelism what the
	// pacing chose within it (0: as many as is safe).
	MaxParallel int  `json:"max_parallel,omitempty"`
	Parallelism int  `json:"parallelism,omitempty"`
	Force       bool `json:"force,omitempty"`
	// Waves: those done, the current one, then the plan for the rest
	// (re-planned from the ring before each wave).
	Waves       [][]string `json:"waves"`
	Wave        int        `json:"current_wave"`
	WaveStarted time.Time  `json:"wave_started,omitzero"`
	// WaveSeconds are the durations of the finished waves.
	WaveSeconds []float64        `json:"wave_seconds,omitempty"`
	Nodes       map[string]*Node `json:"nodes"`
	// Resumed is when an operator last resumed it (timeouts count from here).
	Resumed time.Time `json:"resumed,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	// Request is the POST body as normalised: a second identical POST is
	// the same desire.
	Request json.RawMessage `json:"request"`
	// Updated and Writer make every stored version distinct, so a CAS
	// read back can tell its own write.
	Updated time.Time `json:"updated"`
	Writer  string    `json:"writer,omitempty"`
}

func (d *Desire) encode() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

func decode(b []byte) (*Desire, error) {
	var d Desire
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("desire: stored document unreadable: %w", err)
	}
	if d.Nodes == nil {
		d.Nodes = map[string]*Node{}
	}
	return &d, nil
}

func (d *Desire) clone() *Desire {
	c, _ := decode(d.encode())
	return c
}

// current is the current wave's host ids (nil before the first wave).
func (d *Desire) current() []string {
	if d.Wave < 0 || d.Wave >= len(d.Waves) {
		return nil
	}
	return d.Waves[d.Wave]
}

// inFlight are the nodes being restarted now.
func (d *Desire) inFlight() []*Node {
	var out []*Node
	for _, id := range d.sortedIDs() {
		if n := d.Nodes[id]; n.State == NodeStopped {
			out = append(out, n)
		}
	}
	return out
}

func (d *Desire) sortedIDs() []string {
	ids := make([]string, 0, len(d.Nodes))
	for id := range d.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (d *Desire) remaining() []string {
	var out []string
	for _, id := range d.sortedIDs() {
		if d.Nodes[id].State == NodeRunning {
			out = append(out, id)
		}
	}
	return out
}

func (d *Desire) count(s NodeState) int {
	n := 0
	for _, x := range d.Nodes {
		if x.State == s {
			n++
		}
	}
	return n
}

// Request is a POST /v1/desires/cluster body.
type Request struct {
	Type              string      `json:"type"`
	By                *jsonin.Int `json:"by"`
	OlderThan         *Time       `json:"older_than,omitempty"`
	DC                []string    `json:"dc,omitempty"`
	Rack              []string    `json:"rack,omitempty"`
	Nodes             []string    `json:"nodes,omitempty"`
	ConsistencyLevels []string    `json:"consistency_levels,omitempty"`
	MaxParallel       *jsonin.Int `json:"max_parallel,omitempty"`
	DryRun            bool        `json:"dry_run,omitempty"`
	Force             bool        `json:"force,omitempty"`
}

// Time is a time given as unix seconds (a number, fractions allowed) or
// RFC 3339 text.
type Time struct{ time.Time }

func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := ParseTime(s)
		if err != nil {
			return err
		}
		t.Time = v
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > 1e11 {
		return fmt.Errorf("want unix seconds or RFC 3339, got %s", b)
	}
	t.Time = time.UnixMilli(int64(f * 1000))
	return nil
}

func (t Time) MarshalJSON() ([]byte, error) { return json.Marshal(t.UTC().Format(time.RFC3339Nano)) }

// ParseTime reads unix seconds or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e11 {
		return time.UnixMilli(int64(f * 1000)), nil
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return v, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither unix seconds nor an RFC 3339 time", s)
}

// FieldError is bad input, naming the field.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ParseRequest decodes a body strictly: unknown fields are refused.
func ParseRequest(b []byte) (*Request, error) {
	// Numbers first, to name the field: the same whole numbers as
	// settings and bulk parameters take (1e3, 12.0), short errors.
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) == nil {
		for _, f := range []string{"by", "max_parallel"} {
			if v, ok := raw[f]; ok {
				var n jsonin.Int
				if err := n.UnmarshalJSON(v); err != nil {
					return nil, &FieldError{f, err.Error()}
				}
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Request
	if err := dec.Decode(&r); err != nil {
		field := "body"
		var ute *json.UnmarshalTypeError
		if e, ok := err.(*json.UnmarshalTypeError); ok {
			ute = e
			field = ute.Field
		} else if s := err.Error(); strings.Contains(s, "unknown field") {
			field = strings.Trim(strings.TrimPrefix(s, "json: unknown field "), `"`)
			return nil, &FieldError{field, "unknown field"}
		} else if strings.Contains(s, "older_than") || strings.Contains(s, "RFC 3339") {
			field = "older_than"
		}
		return nil, &FieldError{field, err.Error()}
	}
	if dec.More() {
		return nil, &FieldError{"body", "more than one JSON value"}
	}
	return &r, nil
}

// validate checks what needs no ring: the rest is checked against it.
func (r *Request) validate(now time.Time, defaultLevels []string) error {
	switch r.Type {
	case "restart":
	case "":
		return &FieldError{"type", `missing; want "restart"`}
	default:
		return &FieldError{"type", fmt.Sprintf("unknown desire type %q; want \"restart\"", r.Type)}
	}
	if r.By == nil {
		return &FieldError{"by", "missing: the unix time (seconds) by which the desire should be met"}
	}
	if int64(*r.By) <= now.Unix() {
		return &FieldError{"by", fmt.Sprintf("%d is not in the future (now %d)", *r.By, now.Unix())}
	}
	if r.OlderThan != nil && r.OlderThan.After(now.Add(time.Minute)) {
		return &FieldError{"older_than", "is in the future: every node would be restarted again and again"}
	}
	if r.MaxParallel != nil && *r.MaxParallel < 1 {
		return &FieldError{"max_parallel", fmt.Sprintf("%d: at least 1 node must be allowed down at once", *r.MaxParallel)}
	}
	if len(r.ConsistencyLevels) == 0 {
		r.ConsistencyLevels = slices.Clone(defaultLevels)
	}
	return nil
}

// canonical is the request without what does not change its meaning.
func (r *Request) canonical() json.RawMessage {
	c := *r
	c.DryRun = false
	c.Force = r.Force
	b, _ := json.Marshal(c)
	return b
}
