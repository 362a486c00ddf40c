package routes

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestMuxListsWhatItServes(t *testing.T) {
	m := New()
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }
	m.HandleFunc("GET /a", ok)
	m.HandleFunc("POST /b/{x}", ok)
	m.Handle("/any", http.HandlerFunc(ok))
	m.FallbackFunc("/a", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusMethodNotAllowed) })
	m.FallbackFunc("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })

	if got, want := m.Routes(), []string{"GET /a", "POST /b/{x}", "/any"}; !slices.Equal(got, want) {
		t.Errorf("Routes() = %v, want %v (fallbacks are not routes)", got, want)
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/a", 200}, {"HEAD", "/a", 200}, {"PUT", "/a", 405}, {"POST", "/b/1", 200}, {"GET", "/c", 404}, {"DELETE", "/any", 200}} {
		w := httptest.NewRecorder()
		m.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, w.Code, c.code)
		}
	}
	// A wrapper keeps the list; a plain handler has none.
	wrapped := With(http.HandlerFunc(ok), m)
	if got, ok := Of(wrapped); !ok || len(got) != 3 {
		t.Errorf("Of(With(...)) = %v, %v", got, ok)
	}
	if _, ok := Of(http.NotFoundHandler()); ok {
		t.Error("a plain handler listed routes")
	}
	// Routes is a copy.
	m.Routes()[0] = "x"
	if m.Routes()[0] != "GET /a" {
		t.Error("Routes() shares its slice")
	}
}

func TestSplit(t *testing.T) {
	for in, want := range map[string][2]string{
		"GET /a/{b}":          {"GET", "/a/{b}"},
		"/a":                  {"", "/a"},
		"POST example.com/x/": {"POST", "/x/"},
		"  PUT   /y ":         {"PUT", "/y"},
	} {
		if m, p := Split(in); m != want[0] || p != want[1] {
			t.Errorf("Split(%q) = %q, %q, want %q", in, m, p, want)
		}
	}
}
