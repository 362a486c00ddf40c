// Package routes is an http.ServeMux that remembers what it serves, so
// that the API's routes can be listed from what is really registered (and
// checked against the OpenAPI document) rather than from a hand list.
package routes

import (
	"net/http"
	"strings"
)

// Lister is a handler that can say which routes it serves.
type Lister interface {
	// Routes are the handler's patterns, as registered with ServeMux:
	// "GET /v1/settings", "POST /v1/bulkcmd/{cmd}", "GET /v1/jobs/{$}".
	Routes() []string
}

// Mux is an http.ServeMux recording each pattern it serves. The zero
// value is ready to use.
type Mux struct {
	mux    http.ServeMux
	routes []string
}

// New returns an empty Mux.
func New() *Mux { return &Mux{} }

// Handle registers pattern as ServeMux does and lists it in Routes. A
// pattern without a method is listed too: it answers every method, which
// a route check should see.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.mux.Handle(pattern, h)
	m.routes = append(m.routes, pattern)
}

// HandleFunc is Handle for a function.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Fallback registers a handler that only refuses: the JSON 404 of a
// subtree, or the 405 of a path whose methods have their own patterns. It
// is not listed in Routes.
func (m *Mux) Fallback(pattern string, h http.Handler) { m.mux.Handle(pattern, h) }

// FallbackFunc is Fallback for a function.
func (m *Mux) FallbackFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Fallback(pattern, http.HandlerFunc(f))
}

// ServeHTTP dispatches as http.ServeMux does.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

// Handler is http.ServeMux.Handler.
func (m *Mux) Handler(r *http.Request) (http.Handler, string) { return m.mux.Handler(r) }

// Routes lists the patterns registered with Handle, in order.
func (m *Mux) Routes() []string { return append([]string(nil), m.routes...) }

// With is h (a wrapper in front of l, such as a check of the caller)
// listing l's routes.
func With(h http.Handler, l Lister) http.Handler { return with{h, l} }

type with struct {
	http.Handler
	l Lister
}

func (w with) Routes() []string { return w.l.Routes() }

// Of lists h's routes; false when h cannot say.
func Of(h http.Handler) ([]string, bool) {
	if l, ok := h.(Lister); ok {
		return l.Routes(), true
	}
	return nil, false
}

// Split parses a pattern into its method ("" for any) and path, dropping
// a host.
func Split(pattern string) (method, path string) {
	method, path, ok := strings.Cut(strings.TrimSpace(pattern), " ")
	if !ok {
		method, path = "", method
	}
	path = strings.TrimSpace(path)
	if i := strings.Index(path, "/"); i > 0 {
		path = path[i:] // a host before the path
	}
	return method, path
}
