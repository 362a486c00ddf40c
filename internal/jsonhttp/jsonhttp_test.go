package jsonhttp

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestNotAllowed(t *testing.T) {
	w := httptest.NewRecorder()
	NotAllowed(w, "method PUT not allowed on /x", "GET", "HEAD")
	var body struct {
		Error string   `json:"error"`
		Allow []string `json:"allow"`
	}
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || w.Header().Get("Content-Type") != "application/json" ||
		json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error != "method PUT not allowed on /x" || !slices.Equal(body.Allow, []string{"GET", "HEAD"}) {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
}
