package sim

import (
	"encoding/json"
	"io"
	"net/http"
)

// ctlLWTFaults serves GET/POST /v1/lwt-faults: the injected LWT fault rates.
func (c *Cluster) ctlLWTFaults(mux *http.ServeMux) {
	get := func() map[string]float64 {
		f := &c.lwt.faults
		f.mu.Lock()
		defer f.mu.Unlock()
		f.init(c)
		return map[string]float64{"unknown_rate": f.rates[faultUnknown], "commit_timeout_rate": f.rates[faultCommitTimeout]}
	}
	mux.HandleFunc("GET /v1/lwt-faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, get())
	})
	mux.HandleFunc("POST /v1/lwt-faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			UnknownRate       *float64 `json:"unknown_rate"`
			CommitTimeoutRate *float64 `json:"commit_timeout_rate"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || (req.UnknownRate == nil && req.CommitTimeoutRate == nil) {
			writeJSON(w, 400, map[string]string{"error": "want {\"unknown_rate\": 0..1, \"commit_timeout_rate\": 0..1}"})
			return
		}
		cur := get()
		u, ct := cur["unknown_rate"], cur["commit_timeout_rate"]
		if req.UnknownRate != nil {
			u = *req.UnknownRate
		}
		if req.CommitTimeoutRate != nil {
			ct = *req.CommitTimeoutRate
		}
		if err := c.SetLWTFaults(u, ct); err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, 200, get())
	})
}
