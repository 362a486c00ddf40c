// Package jsonhttp writes the sidecar's JSON answers, one way everywhere.
package jsonhttp

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Write answers code with v as JSON (and a newline), never cached: every
// answer is about the node now. A value that cannot be encoded is a 500.
func Write(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// NotAllowed answers 405 the one way every endpoint does: an Allow header
// and {"error": msg, "allow": [methods]}.
func NotAllowed(w http.ResponseWriter, msg string, allow ...string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	Write(w, http.StatusMethodNotAllowed, struct {
		Error string   `json:"error"`
		Allow []string `json:"allow"`
	}{msg, allow})
}
