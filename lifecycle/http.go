package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/ringside/ringside/internal/jsonhttp"
	"github.com/ringside/ringside/internal/routes"
)

// Paths served by Handler.
const (
	PathStatus = "/v1/desires/node/status"
	PathStop   = "/v1/desires/node/stop"
	PathStart  = "/v1/desires/node/start"
)

// Endpoints lists what Handler serves, for 404 bodies.
var Endpoints = []string{"GET " + PathStatus, "POST " + PathStop, "POST " + PathStart}

// HandlerOptions shape Handler.
type HandlerOptions struct {
	// AllowRemote answers callers that are not on loopback; by default
	// they get 403 (CEP-1: "only available at localhost").
	AllowRemote bool
}

// Handler serves the lifecycle endpoints, with or without a trailing slash:
//
//	GET  /v1/desires/node/status              200 Cassandra runs, 503 not
//	POST /v1/desires/node/stop[?block[=bool]]
//	POST /v1/desires/node/start[?block[=bool]]
//
// Anything else under /v1/desires/node/ is a JSON 404 or 405.
func Handler(m *Manager, o HandlerOptions) http.Handler {
	mux := routes.New()
	h := &handler{m: m, o: o}
	for _, p := range []string{PathStatus, PathStatus + "/{$}"} {
		mux.HandleFunc("GET "+p, h.status)
		mux.FallbackFunc(p, notAllowed(PathStatus, http.MethodGet, http.MethodHead))
	}
	for _, p := range []string{PathStop, PathStop + "/{$}"} {
		mux.HandleFunc("POST "+p, h.transition("stop"))
		mux.FallbackFunc(p, notAllowed(PathStop, http.MethodPost))
	}
	for _, p := range []string{PathStart, PathStart + "/{$}"} {
		mux.HandleFunc("POST "+p, h.transition("start"))
		mux.FallbackFunc(p, notAllowed(PathStart, http.MethodPost))
	}
	mux.FallbackFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such endpoint " + r.Method + " " + clip(r.URL.Path), "endpoints": Endpoints})
	})
	return routes.With(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !o.AllowRemote && !fromLoopback(r) {
			writeJSON(w, http.StatusForbidden, map[string]any{
				"error":  "the node lifecycle endpoints answer only callers on loopback; set lifecycle.allow_remote: true to open them",
				"remote": r.RemoteAddr,
			})
			return
		}
		mux.ServeHTTP(w, r)
	}), mux)
}

type handler struct {
	m *Manager
	o HandlerOptions
}

// fromLoopback is decided on the connection's address only: a forwarding
// header is whatever the caller wants it to be.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func notAllowed(path string, allow ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.NotAllowed(w, "method "+clip(r.Method)+" not allowed on "+path, allow...)
	}
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	if err := checkRequest(r, "status"); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	now := time.Now()
	st := h.m.Status()
	code := http.StatusOK
	if !st.Running() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, st.View(now))
}

func (h *handler) transition(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequest(r, kind); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		block, _ := boolParam(r.URL.Query(), "block")
		force, _ := boolParam(r.URL.Query(), "force")
		var res Result
		var err error
		if kind == "start" {
			res, err = h.m.Start(r.Context(), block)
		} else {
			res, err = h.m.StopWith(r.Context(), StopOptions{Block: block, Force: force})
		}
		var conflict *ConflictError
		var unknown *UnknownPIDError
		var unsafe *UnsafeError
		switch {
		case errors.As(err, &unsafe):
			writeJSON(w, http.StatusConflict, map[string]any{"error": unsafe.Error(), "state": unsafe.Status.State})
			return
		case errors.As(err, &conflict):
			writeJSON(w, http.StatusConflict, map[string]any{"error": conflict.Msg, "state": conflict.Status.State, "step": conflict.Status.Step, "status": conflict.Status.View(time.Now())})
			return
		case errors.As(err, &unknown):
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": unknown.Error()})
			return
		case errors.Is(err, errShutdown):
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
			return
		case err != nil:
			// The caller went away while blocking; the transition goes on.
			return
		}
		code := http.StatusOK
		switch {
		case !res.Done:
			code = http.StatusAccepted
			w.Header().Set("Location", PathStatus)
		case res.Transition.Outcome != Succeeded:
			code = http.StatusInternalServerError
		}
		writeJSON(w, code, res.Transition.View(res.State, time.Now()))
	}
}

// checkRequest rejects what these endpoints do not take: query parameters
// other than block (stop and start) and force (stop), and any body.
// kind is "status", "stop" or "start".
func checkRequest(r *http.Request, kind string) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fmt.Errorf("malformed query string: %v", err)
	}
	for k := range q {
		switch {
		case kind == "status":
			return fmt.Errorf("unknown query parameter %q: status takes none", clip(k))
		case kind == "stop" && k != "block" && k != "force":
			return fmt.Errorf("unknown query parameter %q: stop takes block and force", clip(k))
		case kind == "start" && k != "block":
			return fmt.Errorf("unknown query parameter %q: the only one is block", clip(k))
		}
	}
	for _, p := range []string{"block", "force"} {
		if _, err := boolParam(q, p); err != nil {
			return err
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		return fmt.Errorf("reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		return errors.New("this endpoint takes no request body; the only input is ?block")
	}
	return nil
}

// boolParam reads ?block or ?force: absent is false; present without a
// value (?block, as in CEP-1's own example) is true.
func boolParam(q url.Values, name string) (bool, error) {
	vs, ok := q[name]
	if !ok {
		return false, nil
	}
	if len(vs) > 1 {
		return false, fmt.Errorf("%s is given more than once", name)
	}
	if vs[0] == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(vs[0])
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean; use %s, %s=true or %s=false", name, clip(vs[0]), name, name, name)
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) { jsonhttp.Write(w, code, v) }

func clip(s string) string {
	if len(s) > 128 {
		return s[:128] + "…"
	}
	return s
}
