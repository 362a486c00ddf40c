package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Selector chooses the nodes a settings change or a bulk command
// reaches, each through its own sidecar. The zero value is the
// endpoint's default: the node of the sidecar asked for settings, the
// whole cluster for bulk commands.
type Selector struct {
	Scope string   // "local" or "cluster"; DCs, Racks and Hosts imply cluster
	DCs   []string // datacenter names
	Racks []string // rack names, or "DC:RACK"
	Hosts []string // host ids, addresses or endpoints
}

// Local is the node of the sidecar asked only.
var Local = Selector{Scope: "local"}

// Cluster is every node of the cluster.
var Cluster = Selector{Scope: "cluster"}

func (s Selector) query(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if s.Scope != "" {
		q.Set("scope", s.Scope)
	}
	for k, v := range map[string][]string{"dc": s.DCs, "rack": s.Racks, "hosts": s.Hosts} {
		if len(v) > 0 {
			q.Set(k, strings.Join(v, ","))
		}
	}
	return q
}

// Target is a node of a fan-out.
type Target struct {
	HostID   string `json:"host_id"`
	Address  string `json:"address"`  // broadcast address, without port
	Endpoint string `json:"endpoint"` // address:storage_port, as nodetool names nodes
	DC       string `json:"datacenter"`
	Rack     string `json:"rack"`
}

// Settings is the answer of GET or PUT /v1/settings: on one node,
// Runtime; fanned out, Nodes (with Success and Failure, their
// endpoints). Values are as system_views.settings shows them (GET) or as
// the change's keys (PUT).
type Settings struct {
	StatusCode int                        `json:"-"` // 200; 502 when every node failed
	Runtime    map[string]json.RawMessage `json:"runtime"`
	Nodes      []NodeSettings             `json:"nodes"`
	Success    []string                   `json:"success"`
	Failure    []string                   `json:"failure"`
	// CassandraYAML (PUT) says that cassandra.yaml was not rewritten.
	CassandraYAML string          `json:"cassandra_yaml"`
	Raw           json.RawMessage `json:"-"`
}

// NodeSettings is one node of a fanned-out settings answer.
type NodeSettings struct {
	Target
	Success bool                       `json:"success"`
	Status  int                        `json:"http_status"` // its sidecar's
	Runtime map[string]json.RawMessage `json:"runtime"`
	Error   string                     `json:"error"`
	Seconds float64                    `json:"seconds"`
}

const settingsPath = "/v1/settings"

// Settings runs GET /v1/settings: the keys given (cassandra.yaml names,
// 4.1 or older), or every row of system_views.settings, on the nodes sel
// selects (zero value: this one).
func (c *Client) Settings(ctx context.Context, sel Selector, keys ...string) (*Settings, error) {
	q := sel.query(nil)
	if len(keys) > 0 {
		q.Set("key", strings.Join(keys, ","))
	}
	return c.settings(ctx, http.MethodGet, q, nil)
}

// SetSettings runs PUT /v1/settings: values is a JSON object of
// cassandra.yaml keys (a map, a struct, or a json.RawMessage sent as is),
// set at runtime through JMX on the nodes sel selects. The sidecar checks
// every key and value first: on any mistake it answers 400 with Problems
// and nothing changes anywhere.
func (c *Client) SetSettings(ctx context.Context, sel Selector, values any) (*Settings, error) {
	b, err := jsonBody(values, []byte("{}"))
	if err != nil {
		return nil, err
	}
	return c.settings(ctx, http.MethodPut, sel.query(nil), b)
}

func (c *Client) settings(ctx context.Context, method string, q url.Values, body []byte) (*Settings, error) {
	var s Settings
	resp, err := c.call(ctx, method, settingsPath, q, body, &s, is(http.StatusOK, http.StatusBadGateway),
		func([]byte) bool { return s.Runtime != nil || s.Nodes != nil })
	if err != nil {
		return nil, err
	}
	s.StatusCode, s.Raw = resp.StatusCode, resp.Body
	return &s, nil
}

// Refreshed is one node's refresh: what differed from its cassandra.yaml
// (or the release's default, where the file leaves a key unset).
type Refreshed struct {
	// Applied were set at runtime: key → the running value read back.
	Applied map[string]json.RawMessage `json:"applied"`
	// NeedsRestart differ but cannot change at runtime.
	NeedsRestart []Difference `json:"needs_restart"`
	// NotApplied differ and are hot-settable, but the file's value is not
	// one the setter takes: key → why.
	NotApplied map[string]string `json:"not_applied"`
	// Unknown are keys of the file system_views.settings does not know.
	Unknown       []string `json:"unknown"`
	Compared      int      `json:"compared"`
	InSync        int      `json:"in_sync"`
	CassandraYAML string   `json:"cassandra_yaml"`
}

// Difference is a key whose running value is not the file's.
type Difference struct {
	Key        string `json:"key"`
	OnDisk     string `json:"on_disk"`
	Running    string `json:"running"`
	RunningKey string `json:"running_key"` // the name system_views.settings uses, when another
	Default    string `json:"default"`     // the release's default, when the file leaves the key unset
}

// Refresh is the answer of POST /v1/settings?refresh=true: Local for one
// node, Nodes when fanned out.
type Refresh struct {
	StatusCode int             `json:"-"`
	Local      *Refreshed      `json:"-"`
	Nodes      []NodeRefresh   `json:"nodes"`
	Success    []string        `json:"success"`
	Failure    []string        `json:"failure"`
	Raw        json.RawMessage `json:"-"`
}

// NodeRefresh is one node of a fanned-out refresh.
type NodeRefresh struct {
	Target
	Success bool       `json:"success"`
	Status  int        `json:"http_status"`
	Runtime *Refreshed `json:"runtime"`
	Error   string     `json:"error"`
	Seconds float64    `json:"seconds"`
}

// RefreshSettings runs POST /v1/settings?refresh=true (CEP-1's refresh):
// every hot-settable key whose running value differs from cassandra.yaml
// is set at runtime, on the nodes sel selects. The file is read, never
// written.
func (c *Client) RefreshSettings(ctx context.Context, sel Selector) (*Refresh, error) {
	q := sel.query(url.Values{"refresh": {"true"}})
	resp, err := c.Do(ctx, http.MethodPost, settingsPath, q, nil)
	if err != nil {
		return nil, err
	}
	r := &Refresh{StatusCode: resp.StatusCode, Raw: resp.Body}
	if (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadGateway) && json.Unmarshal(resp.Body, r) == nil && r.Nodes != nil {
		return r, nil
	}
	var local Refreshed
	if resp.StatusCode == http.StatusOK && json.Unmarshal(resp.Body, &local) == nil && local.Applied != nil {
		r.Local, r.Nodes = &local, nil
		return r, nil
	}
	return nil, resp.AsError()
}
