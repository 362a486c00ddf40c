package desire

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ringside/ringside/internal/jsonhttp"
	"github.com/ringside/ringside/internal/jsonin"
	"github.com/ringside/ringside/internal/routes"
)

// Paths served by Handler.
const (
	PathCluster = "/v1/desires/cluster"
	PathView    = "/v1/peer/desires/view"
)

// Endpoints lists what Handler serves.
var Endpoints = []string{"GET " + PathCluster, "POST " + PathCluster, "POST " + PathCluster + "/pause", "POST " + PathCluster + "/resume", "POST " + PathCluster + "/cancel"}

// Document is CEP-1's answer: the desires and the node states, plus
// additive fields.
type Document struct {
	Desires    []DesireView   `json:"desires"`
	NodeStates map[string]any `json:"node_states"`
	DryRun     bool           `json:"dry_run,omitempty"`
}

// DesireView is a desire with what is derived from it.
type DesireView struct {
	*Desire
	Progress Progress `json:"progress"`
	// ETA is when the remaining waves should end, at the waves' measured
	// pace (the estimate before one is measured); BySet says whether that
	// is before by.
	ETA      *time.Time `json:"eta,omitempty"`
	WillMeet *bool      `json:"by_met,omitempty"`
}

// Progress counts nodes.
type Progress struct {
	Total   int `json:"total"`
	Done    int `json:"done"`
	Skipped int `json:"skipped"`
	Stopped int `json:"restarting"`
	Failed  int `json:"failed"`
}

// Render builds the document for d at now (d nil: no desire).
func Render(d *Desire, now time.Time, perWave time.Duration) Document {
	doc := Document{Desires: []DesireView{}, NodeStates: map[string]any{"RUNNING": [][]string{}, "STOPPED": []string{}}}
	if d == nil {
		return doc
	}
	v := DesireView{Desire: d}
	running := [][]string{}
	stopped, done, failed := []string{}, []string{}, []string{}
	for i, w := range d.Waves {
		if i < d.Wave {
			continue
		}
		var left []string
		for _, h := range w {
			if n := d.Nodes[h]; n != nil && n.State == NodeRunning {
				left = append(left, h)
			}
		}
		if len(left) > 0 {
			running = append(running, left)
		}
	}
	for _, h := range d.sortedIDs() {
		n := d.Nodes[h]
		v.Progress.Total++
		switch n.State {
		case NodeStopped:
			stopped = append(stopped, h)
			v.Progress.Stopped++
		case NodeDone:
			done = append(done, h)
			v.Progress.Done++
			if n.Skipped {
				v.Progress.Skipped++
			}
		case NodeFailed:
			failed = append(failed, h)
			v.Progress.Failed++
		}
	}
	doc.NodeStates["RUNNING"], doc.NodeStates["STOPPED"] = running, stopped
	if len(done) > 0 {
		doc.NodeStates["DONE"] = done
	}
	if len(failed) > 0 {
		doc.NodeStates["FAILED"] = failed
	}
	if !d.State.Ended() {
		if len(d.WaveSeconds) > 0 {
			sum := 0.0
			for _, s := range d.WaveSeconds {
				sum += s
			}
			perWave = time.Duration(sum / float64(len(d.WaveSeconds)) * float64(time.Second))
		}
		left := len(d.Waves) - max(d.Wave, 0)
		eta := now.Add(time.Duration(left) * perWave)
		if d.Wave >= 0 && !d.WaveStarted.IsZero() && left > 0 {
			eta = d.WaveStarted.Add(time.Duration(left) * perWave)
			if eta.Before(now) {
				eta = now
			}
		}
		meet := !eta.After(time.Unix(d.By, 0))
		v.ETA, v.WillMeet = &eta, &meet
	} else {
		meet := !d.Ended.After(time.Unix(d.By, 0)) && d.State == Done
		v.WillMeet = &meet
	}
	doc.Desires = append(doc.Desires, v)
	return doc
}

// Handler serves the cluster desire endpoints:
//
//	GET  /v1/desires/cluster           the current desire (CEP-1's document)
//	POST /v1/desires/cluster           a new desire (?dry_run=true: plan only)
//	POST /v1/desires/cluster/pause     no new node starts; nodes in flight finish
//	POST /v1/desires/cluster/resume    from PAUSED or BLOCKED (failed nodes are retried)
//	POST /v1/desires/cluster/cancel
//	GET  /v1/peer/desires/view         this node's view, for a peer's gate
func Handler(s *Service, view func(ctx context.Context) View) http.Handler {
	mux := routes.New()
	for _, p := range []string{PathCluster, PathCluster + "/{$}"} {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
			d, err := s.Current(r.Context())
			if err != nil {
				writeErr(w, err)
				return
			}
			jsonhttp.Write(w, http.StatusOK, Render(d, s.now(), s.cfg.RestartEstimate))
		})
		mux.HandleFunc("POST "+p, func(w http.ResponseWriter, r *http.Request) {
			body, err := jsonin.Read(r) // the limit of every body of the API
			if err != nil {
				code := http.StatusBadRequest
				if errors.Is(err, jsonin.ErrTooLarge) {
					code = http.StatusRequestEntityTooLarge
				}
				jsonhttp.Write(w, code, map[string]any{"error": err.Error()})
				return
			}
			if dr := r.URL.Query().Get("dry_run"); dr != "" {
				b, err := strconv.ParseBool(dr)
				if err != nil {
					jsonhttp.Write(w, http.StatusBadRequest, map[string]any{"error": "dry_run: want true or false", "field": "dry_run"})
					return
				}
				if b {
					body = withDryRun(body)
				}
			}
			d, err := s.Post(r.Context(), body)
			if err != nil {
				writeErr(w, err)
				return
			}
			doc := Render(d, s.now(), s.cfg.RestartEstimate)
			doc.DryRun = d.ID == "dry-run"
			jsonhttp.Write(w, http.StatusOK, doc)
		})
	}
	for _, op := range []string{"pause", "resume", "cancel"} {
		mux.HandleFunc("POST "+PathCluster+"/"+op, func(w http.ResponseWriter, r *http.Request) {
			d, err := s.Control(r.Context(), op)
			if err != nil {
				writeErr(w, err)
				return
			}
			jsonhttp.Write(w, http.StatusOK, Render(d, s.now(), s.cfg.RestartEstimate))
		})
	}
	mux.HandleFunc("GET "+PathView, func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Write(w, http.StatusOK, view(r.Context()))
	})
	for _, p := range []string{PathCluster, PathCluster + "/{$}"} {
		mux.FallbackFunc(p, notAllowed(PathCluster, http.MethodGet, http.MethodHead, http.MethodPost))
	}
	for _, op := range []string{"pause", "resume", "cancel"} {
		mux.FallbackFunc(PathCluster+"/"+op, notAllowed(PathCluster+"/"+op, http.MethodPost))
	}
	mux.FallbackFunc(PathView, notAllowed(PathView, http.MethodGet, http.MethodHead))
	mux.FallbackFunc("/", func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Write(w, http.StatusNotFound, map[string]any{"error": "no such endpoint " + r.Method + " " + clip(r.URL.Path), "endpoints": Endpoints})
	})
	return mux
}

func notAllowed(path string, allow ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.NotAllowed(w, clip(r.Method)+" not allowed on "+path+"; use "+strings.Join(allow, ", "), allow...)
	}
}

// clip keeps echoed input short.
func clip(s string) string {
	if len(s) > 256 {
		return s[:256] + "…"
	}
	return s
}

// withDryRun sets dry_run in a JSON object body (left alone if it is not one).
func withDryRun(b []byte) []byte {
	for i, c := range b {
		if c == '{' {
			rest := b[i+1:]
			sep := ","
			for _, c2 := range rest {
				if c2 == ' ' || c2 == '\n' || c2 == '\t' || c2 == '\r' {
					continue
				}
				if c2 == '}' {
					sep = ""
				}
				break
			}
			return append([]byte(`{"dry_run":true`+sep), rest...)
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			break
		}
	}
	return b
}

func writeErr(w http.ResponseWriter, err error) {
	var fe *FieldError
	var ce *ConflictError
	switch {
	case errors.As(err, &fe):
		jsonhttp.Write(w, http.StatusBadRequest, map[string]any{"error": fe.Error(), "field": fe.Field})
	case errors.As(err, &ce):
		body := map[string]any{"error": ce.Msg}
		if len(ce.Keyspaces) > 0 {
			body["keyspaces"] = ce.Keyspaces
		}
		if ce.Desire != nil {
			body["desire"] = ce.Desire.ID
			body["state"] = ce.Desire.State
		}
		jsonhttp.Write(w, http.StatusConflict, body)
	case errors.Is(err, ErrNoDesire):
		jsonhttp.Write(w, http.StatusNotFound, map[string]any{"error": err.Error()})
	case errors.Is(err, ErrNoRing):
		jsonhttp.Write(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
	default:
		jsonhttp.Write(w, http.StatusServiceUnavailable, map[string]any{"error": "cluster desires unavailable: " + err.Error()})
	}
}
