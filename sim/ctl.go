package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The control API drives the simulated cluster's life and faults. It binds
// to loopback only; it is the simulator's own interface, not Cassandra's.
//
//	GET  /v1/nodes                     every node's status
//	GET  /v1/nodes/{node}              one node
//	POST /v1/nodes/{node}/stop         graceful stop (drain, then exit)
//	POST /v1/nodes/{node}/kill         abrupt stop
//	POST /v1/nodes/{node}/start        start; ?wait=true blocks until NORMAL
//	POST /v1/nodes/{node}/drain        nodetool drain
//	POST /v1/nodes/{node}/latency      {"latency": "50ms"}
//	POST /v1/nodes/{node}/corrupt      {"mode": "missing"|"empty"}
//	POST /v1/nodes/{node}/rebuild      nodetool rebuild: {"source_dc": …, "keyspace": …}, both optional
//	POST /v1/nodes/{node}/repair       nodetool repair: {"keyspace": …} optional
//	POST /v1/nodes/{node}/bootstrap    a stopped node: wipe, stream, start; ?wait=true blocks until NORMAL
//	POST /v1/partition                 {"groups": [["127.0.1.1", …], …]}
//	POST /v1/heal                      remove the partition

// ControlHandler serves the control API.
func (c *Cluster) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		out := make([]NodeStatus, len(c.nodes))
		for i, n := range c.nodes {
			out[i] = n.Status()
		}
		writeJSON(w, 200, out)
	})
	node := func(w http.ResponseWriter, r *http.Request) *Node {
		n, err := c.Node(r.PathValue("node"))
		if err != nil {
			writeJSON(w, 404, map[string]string{"error": err.Error()})
			return nil
		}
		return n
	}
	mux.HandleFunc("GET /v1/nodes/{node}", func(w http.ResponseWriter, r *http.Request) {
		if n := node(w, r); n != nil {
			writeJSON(w, 200, n.Status())
		}
	})
	mux.HandleFunc("POST /v1/nodes/{node}/{op}", func(w http.ResponseWriter, r *http.Request) {
		n := node(w, r)
		if n == nil {
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		var args struct {
			Latency  string `json:"latency"`
			Mode     string `json:"mode"`
			Keyspace string `json:"keyspace"`
			SourceDC string `json:"source_dc"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&args); err != nil {
				writeJSON(w, 400, map[string]string{"error": "bad body: " + err.Error()})
				return
			}
		}
		op := r.PathValue("op")
		if (args.Keyspace != "" || args.SourceDC != "") && op != "rebuild" && op != "repair" {
			writeJSON(w, 400, map[string]string{"error": op + " takes no keyspace or source_dc"})
			return
		}
		switch op {
		case "rebuild", "repair", "bootstrap":
			opts := StreamOptions{Keyspace: args.Keyspace, SourceDC: args.SourceDC}
			var res *StreamResult
			var err error
			switch op {
			case "rebuild":
				res, err = n.Rebuild(opts)
			case "repair":
				res, err = n.Repair(opts)
			default:
				res, err = n.Bootstrap()
			}
			var se *StreamError
			switch {
			case errors.As(err, &se) && se.Conflict:
				writeJSON(w, 409, map[string]string{"error": err.Error()})
				return
			case errors.As(err, &se):
				writeJSON(w, 400, map[string]string{"error": err.Error()})
				return
			case err != nil:
				writeJSON(w, 500, map[string]string{"error": err.Error()})
				return
			}
			if op == "bootstrap" && r.URL.Query().Get("wait") == "true" {
				if err := n.WaitNormal(r.Context(), c.cfg.StartTime+c.cfg.StartJitter+10*time.Second); err != nil {
					writeJSON(w, 504, map[string]string{"error": err.Error()})
					return
				}
				res.Status = n.Status()
			}
			writeJSON(w, 200, res)
			return
		case "stop":
			n.Stop()
		case "kill":
			n.Kill()
		case "drain":
			if n.State() != StateRunning {
				writeJSON(w, 409, map[string]string{"error": fmt.Sprintf("node %s is %s", n.Addr, n.State())})
				return
			}
			n.Drain()
		case "start":
			if err := n.Start(); err != nil {
				writeJSON(w, 500, map[string]string{"error": err.Error()})
				return
			}
			if r.URL.Query().Get("wait") == "true" {
				if err := n.WaitNormal(r.Context(), c.cfg.StartTime+c.cfg.StartJitter+10*time.Second); err != nil {
					writeJSON(w, 504, map[string]string{"error": err.Error()})
					return
				}
			}
		case "latency":
			d, err := time.ParseDuration(args.Latency)
			if err != nil || d < 0 {
				writeJSON(w, 400, map[string]string{"error": fmt.Sprintf("latency %q: want a non-negative duration such as 50ms", args.Latency)})
				return
			}
			n.SetLatency(d)
		case "corrupt":
			f, err := n.Corrupt(args.Mode)
			if err != nil {
				writeJSON(w, 400, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, 200, map[string]string{"corrupted": f})
			return
		default:
			writeJSON(w, 404, map[string]string{"error": "unknown operation " + op + "; want stop, kill, start, drain, latency, corrupt, rebuild, repair or bootstrap"})
			return
		}
		writeJSON(w, 200, n.Status())
	})
	mux.HandleFunc("POST /v1/partition", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Groups [][]string `json:"groups"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || len(req.Groups) == 0 {
			writeJSON(w, 400, map[string]string{"error": "want {\"groups\": [[node, …], …]}"})
			return
		}
		var groups [][]*Node
		for _, g := range req.Groups {
			var ns []*Node
			for _, id := range g {
				n, err := c.Node(id)
				if err != nil {
					writeJSON(w, 400, map[string]string{"error": err.Error()})
					return
				}
				ns = append(ns, n)
			}
			groups = append(groups, ns)
		}
		if err := c.Partition(groups); err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, 200, map[string]any{"partitioned": req.Groups})
	})
	mux.HandleFunc("POST /v1/heal", func(w http.ResponseWriter, r *http.Request) {
		c.Heal()
		writeJSON(w, 200, map[string]bool{"healed": true})
	})
	c.ctlLWTFaults(mux) // paxos_ctl.go
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]string{"error": "no such endpoint " + r.Method + " " + r.URL.Path})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// ServeControl listens on the configured control address until ctx ends.
func (c *Cluster) ServeControl(ctx context.Context) error {
	ln, err := net.Listen("tcp", c.cfg.ControlAddr)
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	srv := &http.Server{Handler: c.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// WaitNormal blocks until the node is RUNNING in NORMAL mode with its native transport up.
func (n *Node) WaitNormal(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st := n.Status()
		if st.State == StateRunning && st.OperationMode == "NORMAL" && st.NativeTransport {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s not NORMAL after %s (state %s)", n.Addr, timeout, st.State)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Control is a client of the control API.
type Control struct {
	Addr   string
	Client *http.Client
}

// Do sends one control request and decodes the JSON answer into out.
func (ctl *Control) Do(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+ctl.Addr+path, rd)
	if err != nil {
		return err
	}
	cl := ctl.Client
	if cl == nil {
		cl = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("control API at %s: %w (is `ringside sim` running?)", ctl.Addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
