package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/internal/jsonhttp"
	"github.com/ringside/ringside/internal/jsonin"
	"github.com/ringside/ringside/internal/routes"
)

// LongTimeout is the per-node timeout of asynchronous commands (jobs):
// flush, cleanup and drain hold their JMX call until the work is done,
// and a cleanup of a large node takes hours. A synchronous command keeps
// the fan-out client's per-node timeout (bulk.node_timeout), which a long
// command can outlast: it then keeps running on the node, and its
// failure says so.
const LongTimeout = 24 * time.Hour

// AvailabilityGuard is implemented by a fanout.Cluster that can tell
// whether the given nodes going down together (on top of the nodes down
// now) would leave some keyspace unavailable at the consistency levels
// the operator keeps; the error says which.
type AvailabilityGuard interface {
	CheckDown(targets []fanout.Target) error
}

// Answer is the answer to POST /v1/bulkcmd/{cmd}: CEP-1's command, params
// (normalized: defaults filled in), success and failure (node endpoints,
// address:storage_port), plus every node's result.
type Answer struct {
	Command string          `json:"command"`
	Params  Params          `json:"params"`
	Success []string        `json:"success"`
	Failure []string        `json:"failure"`
	Nodes   []fanout.Result `json:"nodes"`
	// Error is set when the command failed on every node (a 502).
	Error string `json:"error,omitempty"`
}

// Accepted is the 202 answer of an asynchronous command.
type Accepted struct {
	JobID    string `json:"job_id"`
	Location string `json:"location"`
}

// CommandInfo describes one command in GET /v1/bulkcmd.
type CommandInfo struct {
	Name   string  `json:"name"`
	Help   string  `json:"help"`
	Long   bool    `json:"long"`
	Params []Param `json:"params"`
}

// Handler serves the bulk command API:
//
//	GET  /v1/bulkcmd              the commands and their parameters
//	POST /v1/bulkcmd/{cmd}        run on the selected nodes (?scope, dc, rack, hosts; ?async=true)
//	POST /v1/peer/bulkcmd/{cmd}   run on this node only (what the fan-out calls)
//	GET  /v1/jobs                 recent asynchronous commands, newest first
//	GET  /v1/jobs/{id}            one of them, with per-node progress
//
// n is this sidecar's node, c its view of the cluster. jobs nil: a
// NewJobs(0, 0) of its own. Every answer is JSON.
func Handler(reg *Registry, n Node, c fanout.Cluster, jobs *Jobs, log *slog.Logger) http.Handler {
	if jobs == nil {
		jobs = NewJobs(0, 0)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{reg: reg, n: n, c: c, jobs: jobs, log: log}
	mux := routes.New()
	for _, p := range []string{"/v1/bulkcmd", "/v1/bulkcmd/{$}"} {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) { h.list(w) })
		mux.FallbackFunc(p, notAllowed(http.MethodGet))
	}
	mux.HandleFunc("POST /v1/bulkcmd/{cmd}", func(w http.ResponseWriter, r *http.Request) { h.run(w, r, r.PathValue("cmd")) })
	mux.HandleFunc("POST /v1/peer/bulkcmd/{cmd}", func(w http.ResponseWriter, r *http.Request) { h.peer(w, r, r.PathValue("cmd")) })
	for _, p := range []string{"/v1/jobs", "/v1/jobs/{$}"} {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"jobs": h.jobs.List()})
		})
		mux.FallbackFunc(p, notAllowed(http.MethodGet))
	}
	mux.HandleFunc("GET /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) { h.job(w, r.PathValue("id")) })
	// What is below the command and job paths but not one segment (or
	// not the method) is answered as those are: 405, or the 404 of an
	// unknown command or job.
	mux.FallbackFunc("/v1/bulkcmd/", below("/v1/bulkcmd/", http.MethodPost, h.unknownCommand))
	mux.FallbackFunc("/v1/peer/bulkcmd/", below("/v1/peer/bulkcmd/", http.MethodPost, h.unknownCommand))
	mux.FallbackFunc("/v1/jobs/", below("/v1/jobs/", http.MethodGet, h.job))
	mux.FallbackFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, http.StatusNotFound, "not found") })
	return mux
}

type handler struct {
	reg  *Registry
	n    Node
	c    fanout.Cluster
	jobs *Jobs
	log  *slog.Logger
}

func (h *handler) job(w http.ResponseWriter, id string) {
	v, ok := h.jobs.Get(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no job %q (jobs are kept in memory: finished ones for a while, none across a sidecar restart)", clip(id)))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) unknownCommand(w http.ResponseWriter, name string) {
	writeJSON(w, http.StatusNotFound, map[string]any{
		"error":    fmt.Sprintf("unknown command %q", clip(name)),
		"commands": h.reg.Names(),
	})
}

// below answers a path under prefix that no route took: a 405 for
// another method than want, else notFound with the rest of the path.
func below(prefix, want string, notFound func(w http.ResponseWriter, rest string)) http.HandlerFunc {
	na := notAllowed(want)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != want && !(want == http.MethodGet && r.Method == http.MethodHead) {
			na(w, r)
			return
		}
		notFound(w, strings.TrimPrefix(r.URL.Path, prefix))
	}
}

// notAllowed answers 405 with Allow: want (GET also allows HEAD).
func notAllowed(want string) http.HandlerFunc {
	allowed := []string{want}
	if want == http.MethodGet {
		allowed = append(allowed, http.MethodHead)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.NotAllowed(w, fmt.Sprintf("method %s not allowed; use %s", clip(r.Method), want), allowed...)
	}
}

func (h *handler) list(w http.ResponseWriter) {
	cmds := h.reg.Commands()
	out := make([]CommandInfo, len(cmds))
	for i, c := range cmds {
		out[i] = CommandInfo{Name: c.Name, Help: c.Help, Long: c.Long, Params: c.Params}
		if out[i].Params == nil {
			out[i].Params = []Param{}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"commands": out})
}

// runQuery are the query parameters of POST /v1/bulkcmd/{cmd}.
var runQuery = map[string]bool{"scope": true, "dc": true, "rack": true, "hosts": true, "async": true}

// run is POST /v1/bulkcmd/{cmd}. Everything is checked (command, query,
// parameters, targets) before anything is sent to any node, so a 4xx
// answer means the command ran nowhere. The answer is 200 when at least
// one node succeeded — failure then lists the others — and 502 when every
// node failed.
func (h *handler) run(w http.ResponseWriter, r *http.Request, name string) {
	cmd, ok := h.reg.Lookup(name)
	if !ok {
		h.unknownCommand(w, name)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query: "+err.Error())
		return
	}
	var unknown []string
	for k := range q {
		if !runQuery[k] {
			unknown = append(unknown, clip(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		writeError(w, http.StatusBadRequest, "unknown query parameter(s) "+strings.Join(unknown, ", ")+"; use scope, dc, rack, hosts, async")
		return
	}
	async := false
	if vs, ok := q["async"]; ok {
		if len(vs) != 1 {
			writeError(w, http.StatusBadRequest, "async is given more than once")
			return
		}
		if async, err = strconv.ParseBool(vs[0]); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("async=%q: use true or false", clip(vs[0])))
			return
		}
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	params, err := cmd.Decode(body)
	if err != nil {
		writeParamError(w, err)
		return
	}
	if ks := params.String("keyspace"); ks != "" {
		if g, ok := h.c.(SchemaGuard); ok {
			if err := g.CheckKeyspace(r.Context(), ks); err != nil {
				writeParamError(w, err)
				return
			}
		}
	}
	sel, err := fanout.ParseSelector(q, "cluster")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	all := h.c.Targets()
	if len(all) == 0 {
		writeError(w, http.StatusServiceUnavailable, "the nodes of the cluster are not known yet (first refresh pending)")
		return
	}
	targets, err := sel.Select(all)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(targets) == 0 {
		writeError(w, http.StatusBadRequest, "no node matches the selection")
		return
	}
	if cmd.Disruptive {
		// Safety first: never take a token range below the consistency
		// level the operator keeps; without a way to tell, refuse.
		g, ok := h.c.(AvailabilityGuard)
		if !ok {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s takes nodes out of service and this sidecar cannot judge what that does to availability: refused", cmd.Name))
			return
		}
		if err := g.CheckDown(targets); err != nil {
			h.log.Warn("disruptive bulk command refused", "command", cmd.Name, "nodes", len(targets), "why", err)
			writeError(w, http.StatusConflict, fmt.Sprintf("%s refused: %v", cmd.Name, err))
			return
		}
	}
	norm, err := json.Marshal(params)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	req := fanout.Request{
		Method: http.MethodPost,
		Path:   "/v1/peer/bulkcmd/" + cmd.Name,
		Body:   norm,
		Header: forwardHeader(r),
	}
	var localMistake atomic.Bool
	req.Local = func(ctx context.Context) (any, error) {
		v, err := cmd.Run(ctx, h.n, params)
		localMistake.Store(callerMistake(err))
		return v, err
	}
	client := h.client(async)

	if async {
		j, err := h.jobs.start(cmd.Name, params, targets)
		if err != nil {
			writeError(w, http.StatusTooManyRequests, err.Error())
			return
		}
		req.OnResult = func(res fanout.Result) { h.jobs.record(j, res) }
		// The job outlives the request that started it.
		ctx := context.WithoutCancel(r.Context())
		go func() {
			results := client.Do(ctx, targets, req)
			h.jobs.finish(j, results)
			a := answer(cmd.Name, params, results)
			h.log.Info("bulk command job done", "job", j.id, "command", cmd.Name, "nodes", len(targets), "failed", len(a.Failure))
		}()
		h.log.Info("bulk command job started", "job", j.id, "command", cmd.Name, "nodes", len(targets))
		loc := jobLocation(j.id)
		w.Header().Set("Location", loc)
		writeJSON(w, http.StatusAccepted, Accepted{JobID: j.id, Location: loc})
		return
	}

	results := client.Do(r.Context(), targets, req)
	if cmd.Long {
		for i := range results {
			if e := results[i].Error; strings.Contains(e, "did not answer within") || strings.Contains(e, "deadline exceeded") {
				results[i].Error = e + " (the command may still be running on the node; run long commands with ?async=true)"
			}
		}
	}
	a := answer(cmd.Name, params, results)
	status := http.StatusOK
	if allCallerMistakes(results, localMistake.Load()) {
		// Every node refused the arguments: the caller's mistake.
		status = http.StatusBadRequest
		a.Error = "every node refused the parameters: " + results[0].Error
	} else if len(a.Success) == 0 {
		status = http.StatusBadGateway
		a.Error = fmt.Sprintf("%s failed on every selected node (%d)", cmd.Name, len(results))
	}
	h.log.Info("bulk command", "command", cmd.Name, "nodes", len(targets), "failed", len(a.Failure))
	writeJSON(w, status, a)
}

// client is the fan-out client, with LongTimeout per node for jobs.
func (h *handler) client(async bool) *fanout.Client {
	c := h.c.Fanout()
	if c == nil {
		c = &fanout.Client{}
	}
	if async && c.Timeout < LongTimeout {
		lc := *c
		lc.Timeout = LongTimeout
		return &lc
	}
	return c
}

// forwardHeader is what the peers need of the caller's request: its
// credentials, so that each peer sidecar authorizes the caller itself.
func forwardHeader(r *http.Request) http.Header {
	h := http.Header{}
	if v := r.Header.Values("Authorization"); len(v) > 0 {
		h["Authorization"] = v
	}
	return h
}

func answer(name string, p Params, results []fanout.Result) Answer {
	a := Answer{Command: name, Params: p, Success: []string{}, Failure: []string{}, Nodes: results}
	for _, r := range results {
		if r.Success {
			a.Success = append(a.Success, r.Endpoint)
		} else {
			a.Failure = append(a.Failure, r.Endpoint)
		}
	}
	return a
}

// peer is POST /v1/peer/bulkcmd/{cmd}: the command on this node only,
// answered as fanout.WritePeerAnswer does. Parameters are checked again:
// a peer may run another version of ringside.
func (h *handler) peer(w http.ResponseWriter, r *http.Request, name string) {
	cmd, ok := h.reg.Lookup(name)
	if !ok {
		fanout.WritePeerAnswer(w, nil, fmt.Errorf("unknown command %q on this sidecar (it has %s)", clip(name), strings.Join(h.reg.Names(), ", ")), http.StatusNotFound)
		return
	}
	if r.URL.RawQuery != "" {
		fanout.WritePeerAnswer(w, nil, errors.New("no query parameters are taken"), http.StatusBadRequest)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	params, err := cmd.Decode(body)
	if err != nil {
		fanout.WritePeerAnswer(w, nil, err, http.StatusBadRequest)
		return
	}
	v, err := cmd.Run(r.Context(), h.n, params)
	code := http.StatusInternalServerError
	if callerMistake(err) {
		code = http.StatusBadRequest
	} else if err != nil {
		h.log.Warn("bulk command failed on this node", "command", cmd.Name, "err", err)
	}
	fanout.WritePeerAnswer(w, v, err, code)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := jsonin.Read(r) // the limit of every body of the API
	switch {
	case errors.Is(err, jsonin.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return b, true
}

func writeParamError(w http.ResponseWriter, err error) {
	var pe *ParamError
	if errors.As(err, &pe) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": pe.Error(), "problems": pe.Problems})
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) { jsonhttp.Write(w, status, v) }
