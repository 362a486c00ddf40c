package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIDocument: the embedded document is valid OpenAPI 3 (kin-openapi's
// full validation, $refs resolved, examples and defaults checked), and
// both served forms are that document.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	h, _, _ := newTestHandler(t, Options{})

	w := do(h, "GET", "/v1/openapi.yaml")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/yaml" || !bytes.Equal(w.Body.Bytes(), OpenAPIYAML()) {
		t.Fatalf("GET /v1/openapi.yaml: %d %q, %d bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
	w = do(h, "GET", "/v1/openapi.json")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/openapi.json: %d %q %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	fromJSON, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(doc)
	b, _ := json.Marshal(fromJSON)
	if !bytes.Equal(a, b) {
		t.Errorf("openapi.json is not openapi.yaml: %d vs %d bytes", len(b), len(a))
	}
	if w := do(h, "HEAD", "/v1/openapi.json"); w.Code != 200 {
		t.Errorf("HEAD /v1/openapi.json: %d", w.Code)
	}
	if w := do(h, "GET", "/v1/openapi.json/"); w.Code != 404 {
		t.Errorf("GET /v1/openapi.json/: %d, want 404 (a document has no slash variant)", w.Code)
	}
}

// TestOpenAPIJSONKeys: a YAML key that is not a string (an unquoted
// response code) is reported, not silently turned into something else.
func TestOpenAPIJSONKeys(t *testing.T) {
	if _, err := jsonable(map[any]any{200: "x"}, ""); err == nil {
		t.Fatal("an int key was accepted")
	}
	v, err := jsonable(map[string]any{"a": []any{map[any]any{"b": 1}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"a":[{"b":1}]}` {
		t.Fatalf("%s", b)
	}
}

// TestRoutesListed: the handler lists its own routes and its mounts'
// (those that list theirs), and flags a mount that cannot.
func TestRoutesListed(t *testing.T) {
	h := New(&staticSource{}, Options{Metrics: NewMetrics(), Mounts: []Mount{
		{Prefix: "/v1/x/", Name: "x", Handler: http.NotFoundHandler()},
	}})
	got := h.(interface{ Routes() []string }).Routes()
	want := map[string]bool{"GET /v1/health/coordinator": true, "GET /v1/health/coordinator/{$}": true, "GET /metrics": true,
		"GET /v1/openapi.json": true, "* /v1/x/": true}
	for _, r := range got {
		delete(want, r)
	}
	if len(want) > 0 {
		t.Errorf("routes %v lack %v", got, want)
	}
}
