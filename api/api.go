package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ringside/ringside/internal/routes"
)

// Options configure New. The zero value works.
type Options struct {
	// Logger gets 404s and 405s at debug level and /metrics errors; nil
	// discards. Nothing is logged per successful request: the metrics
	// count those.
	Logger *slog.Logger
	// Metrics to record into and serve at /metrics; nil is DefaultMetrics.
	Metrics *Metrics
	// Version is served at GET /v1/version and in ringside_build_info.
	Version string
	// MaxAge, when positive, turns a report whose data (Report.AsOf) is
	// older than this into a 503 whatever it says, so a refresher that
	// has stopped cannot leave a stale "healthy" behind (health.max_age).
	MaxAge time.Duration
	// Mounts are further handlers served under a path prefix (ending in
	// "/"), such as the node lifecycle endpoints under /v1/desires/node/;
	// each answers its own errors, and is counted under its Name.
	Mounts []Mount
}

// Mount is a handler served under Prefix.
type Mount struct {
	Prefix    string
	Name      string   // the handler label in the metrics
	Endpoints []string // listed in 404 bodies, e.g. "POST /v1/desires/node/stop"
	Handler   http.Handler
}

// Checks are the health reports served, at /v1/health/<name>.
var Checks = []string{"coordinator", "replica", "cluster"}

// New returns the HTTP API over src:
//
//	GET /v1/health/coordinator   200 healthy, 503 not (CEP-1)
//	GET /v1/health/replica       idem
//	GET /v1/health/cluster       idem
//	GET /v1/version              {"version": …}
//	GET /metrics                 Prometheus text format
//	GET /v1/openapi.json         the OpenAPI 3 document of the whole API
//	GET /v1/openapi.yaml         the same, as written
//
// each with or without a trailing slash (CEP-1's examples use both; not
// /metrics nor the documents), HEAD wherever GET works. A known path with another method is a 405 with an
// Allow header; any other path a 404; both with a JSON body. The handler
// starts no goroutines and keeps no per-request state.
func New(src Source, opts Options) http.Handler {
	m := opts.Metrics
	if m == nil {
		m = DefaultMetrics
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m.setVersion(opts.Version)
	h := &handler{src: src, m: m, log: log, maxAge: opts.MaxAge, mux: routes.New()}
	ageOnce.Do(buildAges)

	querier, _ := src.(Querier)
	for _, name := range Checks {
		rt := &route{kind: kindHealth, name: name,
			pending: []byte(`{"error":"first refresh pending","check":"` + name + `"}`)}
		if name == "cluster" {
			// Only the cluster view takes a query (?dc=&cl=&keyspace=);
			// the others ignore one, as they always have.
			rt.querier = querier
		}
		h.handle("/v1/health/"+name, rt)
	}
	version, _ := json.Marshal(map[string]string{"version": versionOr(opts.Version), "go": runtime.Version()})
	h.handle("/v1/version", &route{kind: kindStatic, name: "version", body: version})
	specJSON, err := OpenAPIJSON()
	code := http.StatusOK
	if err != nil { // the embedded document is broken: only a build can fix it
		code, specJSON = http.StatusInternalServerError, []byte(`{"error":"openapi.yaml: `+jsonEscape(err.Error())+`"}`)
	}
	h.handleExact("/v1/openapi.json", &route{kind: kindStatic, name: "openapi", body: specJSON, code: code})
	h.handleExact("/v1/openapi.yaml", &route{kind: kindStatic, name: "openapi", body: openAPIYAML, ctype: hdrYAML})

	metrics := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrintln{log},
		ErrorHandling: promhttp.ContinueOnError, // a broken collector must not hide the others
	})
	curried := prometheus.Labels{"handler": "metrics"}
	metrics = promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(curried),
		promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(curried), metrics))
	h.handleExact("/metrics", &route{kind: kindMetrics, name: "metrics", inner: metrics})
	h.routes = h.mux.Routes()
	for _, mt := range opts.Mounts {
		labels := prometheus.Labels{"handler": mt.Name}
		inner := promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(labels),
			promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(labels), mt.Handler))
		h.mux.Fallback(mt.Prefix, h.newRoute(&route{kind: kindMetrics, name: mt.Name, inner: inner}))
		h.endpoints = append(h.endpoints, mt.Endpoints...)
		h.routes = append(h.routes, mountRoutes(mt)...)
	}

	h.notFound = h.newRoute(&route{kind: kindNotFound, name: "notfound"})
	h.mux.Fallback("/", h.notFound)
	h.invalid = h.newRoute(&route{kind: kindInvalid, name: "invalid"})
	h.redirect = m.duration.WithLabelValues("redirect")
	return h
}

type handler struct {
	src    Source
	m      *Metrics
	log    *slog.Logger
	maxAge time.Duration
	mux    *routes.Mux
	routes []string // every route served, mounts' included

	notFound, invalid *route
	redirect          prometheus.Observer
	endpoints         []string // for 404 bodies
}

type routeKind uint8

const (
	kindHealth routeKind = iota
	kindStatic
	kindMetrics // also mounted handlers: inner does the work and the counting
	kindNotAllowed
	kindNotFound
	kindInvalid
)

// route is one endpoint's handler, with its metric children looked up
// once here rather than per request.
type route struct {
	h       *handler
	kind    routeKind
	name    string       // the handler label, and the report name
	pending []byte       // kindHealth: body while no report exists
	body    []byte       // kindStatic
	code    int          // kindStatic; 0 is 200
	ctype   []string     // kindStatic; nil is application/json
	inner   http.Handler // kindMetrics
	path    string       // kindNotAllowed

	querier Querier // kindHealth: answers the check with a query, if the source can

	dur                          prometheus.Observer
	c200, c503, c400, c404, c405 prometheus.Counter
}

func (h *handler) newRoute(rt *route) *route {
	rt.h = h
	rt.dur = h.m.duration.WithLabelValues(rt.name)
	c := func(code string) prometheus.Counter { return h.m.requests.WithLabelValues(rt.name, code) }
	switch rt.kind {
	case kindHealth:
		rt.c200, rt.c503, rt.c400 = c("200"), c("503"), c("400")
	case kindStatic:
		rt.c200 = c("200")
	case kindNotAllowed:
		rt.c405 = c("405")
	case kindNotFound:
		rt.c404 = c("404")
	case kindInvalid:
		rt.c400 = c("400")
	}
	return rt
}

// handle registers path and path/ for GET (and so HEAD), and the same
// paths without a method for the 405: ServeMux prefers the pattern with a
// method, so only other methods reach the second.
func (h *handler) handle(path string, rt *route) {
	h.handleExact(path, rt)
	h.mux.Handle("GET "+path+"/{$}", rt)
	h.mux.Fallback(path+"/{$}", h.newRoute(&route{kind: kindNotAllowed, name: rt.name, path: path}))
}

// handleExact is handle without the trailing slash: /metrics/ is not a
// Prometheus convention, nor openapi.json/ a file name.
func (h *handler) handleExact(path string, rt *route) {
	h.newRoute(rt)
	h.mux.Handle("GET "+path, rt)
	h.mux.Fallback(path, h.newRoute(&route{kind: kindNotAllowed, name: rt.name, path: path}))
	h.endpoints = append(h.endpoints, "GET "+path)
}

// Routes lists every route the handler serves, as ServeMux patterns
// ("GET /v1/health/coordinator", "POST /v1/bulkcmd/{cmd}"): its own and
// those of its mounts that the mount's prefix lets through. A mounted
// handler that cannot list its routes (see routes.Lister) is listed as
// "* <prefix>", which no route check accepts.
func (h *handler) Routes() []string { return append([]string(nil), h.routes...) }

func mountRoutes(mt Mount) []string {
	inner, ok := routes.Of(mt.Handler)
	if !ok {
		return []string{"* " + mt.Prefix}
	}
	var out []string
	for _, p := range inner {
		_, path := routes.Split(p)
		// The path a pattern matches at least, as the prefix sees it.
		lit := strings.TrimSuffix(path, "{$}")
		if i := strings.Index(lit, "{"); i >= 0 {
			lit = lit[:i]
		}
		if lit == mt.Prefix || strings.HasSuffix(mt.Prefix, "/") && strings.HasPrefix(lit, mt.Prefix) {
			out = append(out, p)
		}
	}
	return out
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.RequestURI == "*" {
		// ServeMux would answer 400 with no body; keep errors JSON.
		h.invalid.serve(w, r, start)
		return
	}
	// Routing through Handler rather than ServeHTTP lets the route get
	// the start time without a wrapper; the result is the same.
	mh, pattern := h.mux.Handler(r)
	if rt, ok := mh.(*route); ok {
		rt.serve(w, r, start)
		return
	}
	if pattern == "" {
		// ServeMux's own plain-text 404: a CONNECT with an empty path,
		// which the "/" catch-all does not match.
		h.notFound.serve(w, r, start)
		return
	}
	// ServeMux would redirect: an unclean path (//v1/./health,
	// /v1/bulkcmd/../../etc) or a subtree without its slash
	// (/v1/desires/node). An API client wants an answer, not an HTML
	// redirect whose Location can even leave the API: a JSON 404, naming
	// the canonical path when that is an endpoint.
	e := errorBody{Error: "no such endpoint " + r.Method + " " + clip(r.URL.Path), Endpoints: h.endpoints}
	cw := &captureWriter{h: http.Header{}}
	mh.ServeHTTP(cw, r) // only to learn where it would redirect
	to := ""
	if u, err := url.Parse(cw.h.Get("Location")); err == nil {
		to = u.Path
	}
	if strings.HasPrefix(to, "/v1/") || to == "/metrics" {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = to, ""
		if rt, ok := func() (*route, bool) { m, _ := h.mux.Handler(r2); rt, ok := m.(*route); return rt, ok }(); !ok || rt != h.notFound {
			e.Error += " (did you mean " + clip(to) + "?)"
		}
	}
	h.writeError(w, r, http.StatusNotFound, e)
	h.m.requests.WithLabelValues("redirect", "404").Inc()
	h.redirect.Observe(time.Since(start).Seconds())
}

// captureWriter keeps a response's header and drops its body.
type captureWriter struct{ h http.Header }

func (c *captureWriter) Header() http.Header         { return c.h }
func (c *captureWriter) Write(b []byte) (int, error) { return len(b), nil }
func (c *captureWriter) WriteHeader(int)             {}

// ServeHTTP lets ServeMux hold routes; requests normally arrive through
// handler.ServeHTTP, which calls serve directly.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.serve(w, r, time.Now()) }

// Header values shared by all responses; net/http only reads them.
var (
	hdrJSON    = []string{"application/json"}
	hdrYAML    = []string{"application/yaml"}
	hdrNoStore = []string{"no-store"}
	hdrAllow   = []string{"GET, HEAD"}
	emptyJSON  = []byte("{}")
)

func (rt *route) serve(w http.ResponseWriter, r *http.Request, start time.Time) {
	switch rt.kind {
	case kindHealth:
		if r.URL.RawQuery != "" && rt.querier != nil {
			rt.serveQuery(w, r, start)
			return
		}
		rt.serveHealth(w, start)
		return
	case kindMetrics:
		rt.inner.ServeHTTP(w, r)
		return
	case kindStatic:
		hdr := w.Header()
		hdr["Content-Type"] = hdrJSON
		if rt.ctype != nil {
			hdr["Content-Type"] = rt.ctype
		}
		if rt.code != 0 {
			w.WriteHeader(rt.code)
			w.Write(rt.body)
			break
		}
		w.WriteHeader(http.StatusOK)
		w.Write(rt.body)
		rt.c200.Inc()
	case kindNotAllowed:
		w.Header()["Allow"] = hdrAllow
		rt.h.writeError(w, r, http.StatusMethodNotAllowed, errorBody{
			Error: "method " + r.Method + " not allowed on " + rt.path,
			Allow: []string{http.MethodGet, http.MethodHead},
		})
		rt.c405.Inc()
	case kindNotFound:
		rt.h.writeError(w, r, http.StatusNotFound, errorBody{
			Error:     "no such endpoint " + r.Method + " " + clip(r.URL.Path),
			Endpoints: rt.h.endpoints,
		})
		rt.c404.Inc()
	case kindInvalid:
		rt.h.writeError(w, r, http.StatusBadRequest, errorBody{Error: "request target * is only for OPTIONS"})
		rt.c400.Inc()
	}
	rt.dur.Observe(time.Since(start).Seconds())
}

// serveHealth is the hot path: a load of the latest report and a write
// of its precomputed bytes, with no allocation of its own when the report
// is fresh (header values come from shared slices, the Age from a table).
func (rt *route) serveHealth(w http.ResponseWriter, start time.Time) {
	rt.serveFrom(w, start, rt.h.src)
}

func (rt *route) serveFrom(w http.ResponseWriter, start time.Time, src Source) {
	rep, ok := src.Report(rt.name)
	hdr := w.Header()
	hdr["Content-Type"] = hdrJSON
	hdr["Cache-Control"] = hdrNoStore
	code, body := http.StatusServiceUnavailable, rt.pending
	live := false // body is rep's, with its age written as of now
	if ok {
		code, body, live = http.StatusOK, rep.Body, true
		if !rep.Healthy {
			code = http.StatusServiceUnavailable
		}
		if len(body) == 0 {
			body, live = emptyJSON, false
		}
		if !rep.AsOf.IsZero() {
			age := start.Sub(rep.AsOf)
			hdr["Age"] = ageHeader(age)
			if rt.h.maxAge > 0 && age > rt.h.maxAge {
				code, body, live = http.StatusServiceUnavailable, staleBody(rt.name, age, rt.h.maxAge, body), false
			}
		}
	}
	w.WriteHeader(code)
	if live {
		rep.writeBody(w, start)
	} else {
		w.Write(body)
	}
	if code == http.StatusOK {
		rt.c200.Inc()
	} else {
		rt.c503.Inc()
	}
	rt.dur.Observe(time.Since(start).Seconds())
}

// serveQuery answers a check asked with a query (the routing health of
// one DC): computed by the source on demand, so off the hot path that
// serveHealth keeps allocation-free.
func (rt *route) serveQuery(w http.ResponseWriter, r *http.Request, start time.Time) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	var rep Report
	ok := false
	if err != nil {
		err = &ParamError{Msg: "malformed query: " + err.Error()}
	} else {
		rep, ok, err = rt.querier.Query(rt.name, q)
	}
	var pe *ParamError
	switch {
	case errors.As(err, &pe):
		body := map[string]any{}
		for k, v := range pe.Extra {
			body[k] = v
		}
		body["error"] = pe.Msg
		if pe.Param != "" {
			body["field"] = pe.Param
		}
		b, merr := json.Marshal(body)
		if merr != nil {
			b = []byte(`{"error":"bad query"}`)
		}
		rt.writeError(w, start, http.StatusBadRequest, b, rt.c400)
		return
	case err != nil:
		b, _ := json.Marshal(map[string]string{"error": err.Error(), "check": rt.name})
		rt.writeError(w, start, http.StatusServiceUnavailable, b, rt.c503)
		return
	}
	src := fixedReport{rep: rep, ok: ok}
	rt.serveFrom(w, start, src)
}

// fixedReport is a Source of one report, whatever the name.
type fixedReport struct {
	rep Report
	ok  bool
}

func (f fixedReport) Report(string) (Report, bool) { return f.rep, f.ok }

// staleBody wraps a report whose data is too old: the answer is 503 and
// says why, keeping the last report for whoever wants to look.
func staleBody(name string, age, maxAge time.Duration, report []byte) []byte {
	var rep json.RawMessage = report
	if !json.Valid(report) {
		rep = nil
	}
	b, _ := json.Marshal(struct {
		Error         string          `json:"error"`
		Check         string          `json:"check"`
		AgeSeconds    float64         `json:"age_seconds"`
		MaxAgeSeconds float64         `json:"max_age_seconds"`
		Report        json.RawMessage `json:"report,omitempty"`
	}{"health data is stale: the last refresh is older than max_age", name, age.Round(time.Millisecond).Seconds(), maxAge.Seconds(), rep})
	return b
}

// Age header values for 0 … maxCachedAge-1 seconds, as one-element
// subslices of a single array so that setting the header allocates
// nothing; older ages (only ever stale data) are formatted on demand.
const maxCachedAge = 1024

var (
	ageOnce sync.Once
	ages    []string
)

func buildAges() {
	ages = make([]string, maxCachedAge)
	for i := range ages {
		ages[i] = strconv.Itoa(i)
	}
}

func ageHeader(d time.Duration) []string {
	s := int64(d / time.Second) // Age is whole seconds, rounded down
	if s < 0 {
		s = 0 // clock skew between the refresher and now
	}
	if s < maxCachedAge {
		return ages[s : s+1 : s+1]
	}
	return []string{strconv.FormatInt(s, 10)}
}

type errorBody struct {
	Error     string   `json:"error"`
	Allow     []string `json:"allow,omitempty"`
	Endpoints []string `json:"endpoints,omitempty"`
}

func (h *handler) writeError(w http.ResponseWriter, r *http.Request, code int, e errorBody) {
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "http error", slog.Int("code", code), slog.String("method", r.Method), slog.String("path", clip(r.URL.Path)))
	}
	b, err := json.Marshal(e) // invalid UTF-8 in the path becomes U+FFFD: still valid JSON
	if err != nil {
		b = []byte(`{"error":"` + http.StatusText(code) + `"}`)
	}
	hdr := w.Header()
	hdr["Content-Type"] = hdrJSON
	hdr["Cache-Control"] = hdrNoStore
	w.WriteHeader(code)
	w.Write(b)
}

// clip keeps echoed paths short: a 404 should not reflect a megabyte URL.
func clip(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func versionOr(v string) string {
	if v == "" {
		return "dev"
	}
	return v
}

// slogPrintln adapts slog to promhttp's Logger.
type slogPrintln struct{ l *slog.Logger }

func (p slogPrintln) Println(v ...any) {
	p.l.LogAttrs(context.Background(), slog.LevelError, "serving /metrics", slog.String("err", strings.TrimSuffix(fmt.Sprintln(v...), "\n")))
}

// writeError answers a query-driven report's JSON error, counted and timed.
func (rt *route) writeError(w http.ResponseWriter, start time.Time, code int, b []byte, c prometheus.Counter) {
	hdr := w.Header()
	hdr["Content-Type"] = hdrJSON
	hdr["Cache-Control"] = hdrNoStore
	w.WriteHeader(code)
	w.Write(b)
	c.Inc()
	rt.dur.Observe(time.Since(start).Seconds())
}
