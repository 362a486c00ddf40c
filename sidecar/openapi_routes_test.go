package sidecar_test

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ringside/ringside/api"
	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/internal/routes"
	"github.com/ringside/ringside/sidecar"
)

// loadSpec is the embedded OpenAPI document, validated.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	return doc
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// noSlash: the spec says the path has no trailing-slash variant.
func noSlash(item *openapi3.PathItem) bool {
	if item == nil {
		return false
	}
	v, ok := item.Extensions["x-trailing-slash"]
	return ok && v == false
}

// TestOpenAPICoversEveryRoute: the routes the sidecar really registers
// (every package's mux, through api.New's mounts, as `ringside serve`
// builds them with the default configuration) and the operations of
// api/openapi.yaml are the same set of method × path, and the trailing
// slash variants are where the document says. A route added without
// documenting it, or a documented one that nothing serves, fails here
// by name.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	s, err := sidecar.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	registered := s.Routes()
	if len(registered) == 0 {
		t.Fatal("the sidecar lists no routes")
	}

	type key struct{ method, path string } // path with {} for every wildcard
	served := map[key]string{}             // → the pattern registered
	slash := map[key]bool{}                // also registered with a trailing slash
	for _, p := range registered {
		method, path := routes.Split(p)
		switch method {
		case "", "*":
			t.Errorf("route %q answers every method (or is a mount that cannot list its routes): register it per method with internal/routes", p)
			continue
		}
		withSlash := strings.HasSuffix(path, "/{$}")
		path = strings.TrimSuffix(path, "/{$}")
		if strings.HasSuffix(path, "/") && path != "/" {
			t.Errorf("route %q is a subtree: serve exact paths (a subtree's fallback belongs in Fallback)", p)
			continue
		}
		path = wildcard.ReplaceAllString(path, "{}")
		methods := []string{method}
		if method == "GET" {
			methods = append(methods, "HEAD") // ServeMux: GET patterns serve HEAD
		}
		for _, m := range methods {
			k := key{m, path}
			if withSlash {
				slash[k] = true
			} else {
				served[k] = p
			}
		}
	}
	documented := map[key]bool{}
	for path, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			k := key{m, wildcard.ReplaceAllString(path, "{}")}
			documented[k] = true
			if _, ok := served[k]; !ok {
				t.Errorf("api/openapi.yaml documents %s %s, but no route serves it", m, path)
				continue
			}
			if want := !noSlash(item); slash[k] != want {
				t.Errorf("%s %s: a trailing-slash route is registered: %v; api/openapi.yaml says %v (x-trailing-slash)", m, path, slash[k], want)
			}
		}
	}
	var missing []string
	for k, p := range served {
		if !documented[k] {
			missing = append(missing, k.method+" "+k.path+" (registered as "+p+")")
		}
	}
	for k := range slash {
		if _, ok := served[k]; !ok {
			missing = append(missing, k.method+" "+k.path+"/ (only with the slash)")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("route %s is not documented in api/openapi.yaml", m)
	}
	if t.Failed() {
		sort.Strings(registered)
		t.Logf("registered routes:\n%s", strings.Join(registered, "\n"))
	}
	// The mounts are all there: a sidecar without them would pass the
	// comparison only if the spec were as empty.
	for _, want := range []string{"POST /v1/bulkcmd/{cmd}", "PUT /v1/settings", "POST /v1/desires/node/stop", "POST /v1/desires/cluster", "GET /v1/openapi.json"} {
		if !slices.Contains(registered, want) {
			t.Errorf("route %s not registered; routes: %v", want, registered)
		}
	}
}
