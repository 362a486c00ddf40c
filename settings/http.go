package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/internal/jsonhttp"
	"github.com/ringside/ringside/internal/jsonin"
	"github.com/ringside/ringside/internal/routes"
)

// Paths served by Handler (each also with a trailing slash).
const (
	Path     = "/v1/settings"
	PeerPath = "/v1/peer/settings"
)

// Handler serves:
//
//	GET /v1/settings[?key=a,b][&scope=local|cluster&dc=…&rack=…&hosts=…]
//	PUT /v1/settings[?scope=…]   body: {"cassandra_yaml_key": value, …}
//	POST /v1/settings?refresh=true[&scope=…]  cassandra.yaml applied at runtime (Refresh)
//	GET, PUT, POST /v1/peer/settings  this node only, for the fan-out
//
// key filters (repeatable, comma-separated, 4.1 or old names); no key: every
// row of system_views.settings. The selector is fanout.ParseSelector's,
// default scope local. Local answers are the CEP's {"runtime": {...}}:
// 200, 400 {"error", "problems": {key: why}} for bad input, 503 (PUT) for
// a setting this sidecar cannot change (nodetool mode: one no nodetool
// command sets, with "problems"; neither Jolokia nor nodetool), 502 when the node fails (a PUT failure also lists
// "applied", "failed", "not_attempted"). Other scopes fan out to each
// selected node's /v1/peer/settings and answer
// {"nodes": [{host_id, address, endpoint, datacenter, rack, success,
// http_status, runtime | error, seconds}], "success": [endpoints],
// "failure": [endpoints]}: 200 when at least one node succeeded (the
// failures are listed), 502 with an "error" when none did. A PUT body is validated whole,
// here, before any node is touched.
//
// Peer answers are fanout.WritePeerAnswer's {"value": runtime} or
// {"error": …} with the status above. GET also answers HEAD; other methods
// get a JSON 405 with Allow, other paths a JSON 404.
func Handler(l Local, c fanout.Cluster, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{l: l, c: c, log: log}
	mux := routes.New()
	for _, p := range []string{Path, Path + "/{$}"} {
		mux.HandleFunc("GET "+p, h.get)
		mux.HandleFunc("PUT "+p, h.put)
		mux.HandleFunc("POST "+p, h.refresh)
		mux.FallbackFunc(p, notAllowed)
	}
	for _, p := range []string{PeerPath, PeerPath + "/{$}"} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
			mux.HandleFunc(m+" "+p, h.peer)
		}
		mux.FallbackFunc(p, notAllowed)
	}
	mux.FallbackFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such endpoint " + r.Method + " " + clip(r.URL.Path),
			"endpoints": []string{"GET " + Path, "PUT " + Path, "POST " + Path + "?refresh=true", "GET " + PeerPath, "PUT " + PeerPath, "POST " + PeerPath + "?refresh=true"}})
	})
	return mux
}

type handler struct {
	l   Local
	c   fanout.Cluster
	log *slog.Logger
}

// allowed are the methods of Path and PeerPath (GET also serves HEAD).
var allowed = []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost}

func notAllowed(w http.ResponseWriter, r *http.Request) {
	jsonhttp.NotAllowed(w, fmt.Sprintf("method %s is not allowed on %s: use GET, PUT, or POST with refresh=true", clip(r.Method), clip(r.URL.Path)), allowed...)
}

// selection checks a change's query (the selector's parameters, extra,
// and check) and parses the selector (default: this node); false when it
// has answered 400.
func selection(w http.ResponseWriter, q url.Values, check func(url.Values) error, extra ...string) (fanout.Selector, bool) {
	err := onlyParams(q, append(extra, "scope", "dc", "rack", "hosts")...)
	if err == nil && check != nil {
		err = check(q)
	}
	var sel fanout.Selector
	if err == nil {
		sel, err = fanout.ParseSelector(q, "local")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return sel, false
	}
	return sel, true
}

// refreshParam checks POST's one required parameter, refresh=true.
func refreshParam(q url.Values) error {
	if v := q["refresh"]; len(v) != 1 || v[0] != "true" {
		return &InputError{Problems: map[string]string{"refresh": "POST on the settings applies cassandra.yaml: it takes refresh=true"}}
	}
	return nil
}

// refresh serves POST /v1/settings?refresh=true: cassandra.yaml's values
// applied at runtime where they can be, on this node or the selected ones.
func (h *handler) refresh(w http.ResponseWriter, r *http.Request) {
	sel, ok := selection(w, r.URL.Query(), refreshParam, "refresh")
	if !ok {
		return
	}
	if sel.Local {
		v, err := h.refreshLocal(r.Context())
		if err != nil {
			writeError(w, status(err), err)
			return
		}
		writeJSON(w, http.StatusOK, v)
		return
	}
	h.log.Info("settings refresh fanned out", "selector", sel.Query().Encode())
	h.fanout(w, r, sel, fanout.Request{
		Method: http.MethodPost, Path: PeerPath, Query: url.Values{"refresh": {"true"}},
		Local: func(ctx context.Context) (any, error) { return h.refreshLocal(ctx) },
	})
}

func (h *handler) refreshLocal(ctx context.Context) (*Refreshed, error) {
	v, err := Refresh(ctx, h.l)
	if err != nil {
		h.log.Warn("settings refresh failed", "err", err)
		return nil, err
	}
	var keys []string
	for k := range v.Applied {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h.log.Info("settings refreshed from cassandra.yaml (the file unchanged)", "applied", keys, "needs_restart", len(v.NeedsRestart))
	return v, nil
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := onlyParams(q, "key", "scope", "dc", "rack", "hosts")
	if err == nil {
		err = emptyKey(q)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	keys := keyParams(q)
	sel, err := fanout.ParseSelector(q, "local")
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if sel.Local {
		v, err := Get(r.Context(), h.l, keys)
		if err != nil {
			writeError(w, status(err), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"runtime": v})
		return
	}
	// A typo is refused here rather than by every node; a key this node
	// has (a newer Cassandra's) is the nodes' to judge.
	if ie := unknownKeys(keys, nil); ie != nil {
		rows, err := h.l.Settings(r.Context())
		if err != nil {
			rows = nil
		}
		if ie := unknownKeys(keys, rows); ie != nil {
			writeError(w, http.StatusBadRequest, ie)
			return
		}
	}
	pq := url.Values{}
	if len(keys) > 0 {
		pq.Set("key", strings.Join(keys, ","))
	}
	h.fanout(w, r, sel, fanout.Request{
		Method: http.MethodGet, Path: PeerPath, Query: pq,
		Local: func(ctx context.Context) (any, error) { return Get(ctx, h.l, keys) },
	})
}

func (h *handler) put(w http.ResponseWriter, r *http.Request) {
	sel, ok := selection(w, r.URL.Query(), nil)
	if !ok {
		return
	}
	body, changes, err := readRequest(r)
	if err != nil {
		writeError(w, bodyStatus(err), err)
		return
	}
	if err := Validate(changes); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	keys := sortedKeys(changes)
	if sel.Local {
		v, err := Set(r.Context(), h.l, changes)
		if err != nil {
			h.log.Warn("settings change failed", "keys", keys, "err", err)
			writeError(w, status(err), err)
			return
		}
		h.log.Info("settings changed at runtime (cassandra.yaml unchanged)", "keys", keys)
		writeJSON(w, http.StatusOK, map[string]any{"runtime": v, "cassandra_yaml": YAMLNote})
		return
	}
	h.log.Info("settings change fanned out", "keys", keys, "selector", sel.Query().Encode())
	h.fanout(w, r, sel, fanout.Request{
		Method: http.MethodPut, Path: PeerPath, Body: body,
		Local: func(ctx context.Context) (any, error) { return Set(ctx, h.l, changes) },
	})
}

// nodeResult is one node's part of a fan-out answer: fanout.Result with
// its value called "runtime", as in the local answer.
type nodeResult struct {
	fanout.Target
	Success bool            `json:"success"`
	Status  int             `json:"http_status,omitempty"`
	Runtime json.RawMessage `json:"runtime,omitempty"`
	Error   string          `json:"error,omitempty"`
	Seconds float64         `json:"seconds"`
}

func (h *handler) fanout(w http.ResponseWriter, r *http.Request, sel fanout.Selector, req fanout.Request) {
	if h.c == nil || h.c.Fanout() == nil {
		writeError(w, http.StatusServiceUnavailable, errors.New("this sidecar has no cluster view: use scope=local"))
		return
	}
	all := h.c.Targets()
	if len(all) == 0 {
		writeError(w, http.StatusServiceUnavailable, errors.New("the cluster's nodes are not known yet (first refresh pending)"))
		return
	}
	targets, err := sel.Select(all)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if auth := r.Header.Values("Authorization"); len(auth) > 0 {
		req.Header = http.Header{"Authorization": auth}
	}
	results := h.c.Fanout().Do(r.Context(), targets, req)
	nodes := make([]nodeResult, len(results))
	success, failure := []string{}, []string{}
	for i, res := range results {
		nodes[i] = nodeResult{Target: res.Target, Success: res.Success, Status: res.Status, Runtime: res.Value, Error: res.Error, Seconds: res.Seconds}
		if res.Success {
			success = append(success, res.Endpoint)
		} else {
			failure = append(failure, res.Endpoint)
			h.log.Warn("settings fan-out: node failed", "method", req.Method, "node", res.Endpoint, "err", res.Error)
		}
	}
	code := http.StatusOK
	if len(success) == 0 && len(results) > 0 {
		code = http.StatusBadGateway
	}
	ans := map[string]any{"nodes": nodes, "success": success, "failure": failure}
	if code != http.StatusOK {
		ans["error"] = fmt.Sprintf("failed on every selected node (%d)", len(results))
	}
	if req.Method == http.MethodPut {
		ans["cassandra_yaml"] = YAMLNote
	}
	writeJSON(w, code, ans)
}

// YAMLNote accompanies every change: the drift from cassandra.yaml is
// made visible, never silently kept or silently reverted.
const YAMLNote = "unchanged: runtime values last until Cassandra restarts; config_sync in GET /v1/health/replica shows where they differ from the file"

// peer serves /v1/peer/settings: this node only.
func (h *handler) peer(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		err := onlyParams(q, "key")
		if err == nil {
			err = emptyKey(q)
		}
		if err != nil {
			fanout.WritePeerAnswer(w, nil, err, http.StatusBadRequest)
			return
		}
		v, err := Get(r.Context(), h.l, keyParams(q))
		fanout.WritePeerAnswer(w, v, err, status(err))
	case http.MethodPost:
		err := onlyParams(q, "refresh")
		if err == nil {
			err = refreshParam(q)
		}
		if err != nil {
			fanout.WritePeerAnswer(w, nil, err, http.StatusBadRequest)
			return
		}
		v, err := h.refreshLocal(r.Context())
		fanout.WritePeerAnswer(w, v, err, status(err))
	case http.MethodPut:
		if err := onlyParams(q); err != nil {
			fanout.WritePeerAnswer(w, nil, err, http.StatusBadRequest)
			return
		}
		_, changes, err := readRequest(r)
		if err != nil {
			fanout.WritePeerAnswer(w, nil, err, bodyStatus(err))
			return
		}
		v, err := Set(r.Context(), h.l, changes)
		if err != nil {
			h.log.Warn("settings change failed", "keys", sortedKeys(changes), "err", err)
		} else {
			h.log.Info("settings changed at runtime (cassandra.yaml unchanged)", "keys", sortedKeys(changes), "by", "fan-out")
		}
		fanout.WritePeerAnswer(w, v, err, status(err))
	default:
		notAllowed(w, r)
	}
}

// status maps an error of Get or Set to its HTTP status.
func status(err error) int {
	var ie *InputError
	var ae *ApplyError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &ie):
		return http.StatusBadRequest
	case errors.As(err, &ae):
		return ae.HTTPStatus()
	case errors.Is(err, ErrNoJMX), errors.Is(err, ErrNoConfigFile), errors.As(err, new(*NoSetterError)):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

func onlyParams(q url.Values, allowed ...string) error {
	var bad []string
	for k := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%q", clip(k)))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	if len(allowed) == 0 {
		return fmt.Errorf("unknown query parameter %s: this endpoint takes none", strings.Join(bad, ", "))
	}
	return fmt.Errorf("unknown query parameter %s: use %s", strings.Join(bad, ", "), strings.Join(allowed, ", "))
}

// emptyKey refuses key= with no name in it: it would read as "every
// setting", which is not what whoever typed it meant.
func emptyKey(q url.Values) error {
	for _, v := range q["key"] {
		for _, k := range strings.Split(v, ",") {
			if strings.TrimSpace(k) == "" {
				return &InputError{Problems: map[string]string{"key": "empty key name; leave key out to list every setting"}}
			}
		}
	}
	return nil
}

// keyParams reads key=a,b&key=c.
func keyParams(q url.Values) []string {
	var out []string
	for _, v := range q["key"] {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				out = append(out, k)
			}
		}
	}
	return out
}

// readRequest reads and decodes a PUT body (at most jsonin.MaxBody
// bytes, as every body of the API; over it: jsonin.ErrTooLarge, a 413).
func readRequest(r *http.Request) ([]byte, map[string]any, error) {
	b, err := jsonin.Read(r)
	if errors.Is(err, jsonin.ErrTooLarge) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, &InputError{Problems: map[string]string{"": err.Error()}}
	}
	m, err := decodeRequest(b)
	return b, m, err
}

// bodyStatus is 413 for a body over the limit, else 400.
func bodyStatus(err error) int {
	if errors.Is(err, jsonin.ErrTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// maxDepth bounds the nesting of a PUT body.
const maxDepth = 16

// decodeRequest decodes a PUT body strictly: one JSON object, no key twice
// (at any level), nothing after it. Numbers stay json.Number.
func decodeRequest(b []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, bodyError("the body is empty: send a JSON object of cassandra.yaml keys")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	dups := map[string]string{}
	v, err := decodeValue(d, "", 0, dups)
	if err != nil {
		return nil, bodyError("the body is not valid JSON: " + err.Error())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bodyError("the body must be a JSON object of cassandra.yaml keys, not " + describe(v))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, bodyError("the body has data after the JSON object")
	}
	if len(dups) > 0 {
		return nil, &InputError{Problems: dups}
	}
	return m, nil
}

func bodyError(why string) error { return &InputError{Problems: map[string]string{"": why}} }

func decodeValue(d *json.Decoder, path string, depth int, dups map[string]string) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // string, json.Number, bool or nil
	}
	switch delim {
	case '{':
		m := map[string]any{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			name := path + k
			v, err := decodeValue(d, name+".", depth+1, dups)
			if err != nil {
				return nil, err
			}
			if _, dup := m[k]; dup {
				dups[name] = "given more than once"
			}
			m[k] = v
		}
		_, err := d.Token() // }
		return m, err
	case '[':
		l := []any{}
		for d.More() {
			v, err := decodeValue(d, path, depth+1, dups)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := d.Token() // ]
		return l, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeError(w http.ResponseWriter, code int, err error) {
	body := map[string]any{"error": err.Error()}
	var ie *InputError
	var ne *NoSetterError
	var ae *ApplyError
	switch {
	case errors.As(err, &ie):
		body["problems"] = ie.Problems
	case errors.As(err, &ne):
		body["problems"] = ne.Problems
	case errors.As(err, &ae):
		body["applied"] = ae.Applied
		if ae.Failed != nil {
			body["failed"] = ae.Failed
		}
		if ae.NotAttempted != nil {
			body["not_attempted"] = ae.NotAttempted
		}
		if ae.ReadBack != "" {
			body["read_back_error"] = ae.ReadBack
		}
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) { jsonhttp.Write(w, code, v) }
