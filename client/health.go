package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The health checks, GET /v1/health/<check>.
const (
	CheckCoordinator = "coordinator" // can this node coordinate? (CEP-1)
	CheckReplica     = "replica"     // can it serve as a replica? (CEP-1)
	CheckCluster     = "cluster"     // every peer sidecar's view: green, yellow or red
)

// HealthReport is one health check's answer. The fields typed here are
// the ones every check has (CassandraRunning: coordinator and replica;
// Status: cluster); the rest, whose names depend on the configured
// consistency levels, are in Fields.
type HealthReport struct {
	Check      string `json:"-"`
	StatusCode int    `json:"-"` // 200 or 503
	Healthy    bool   `json:"-"` // StatusCode 200
	// AsOf is when the data was read (zero before the first refresh);
	// DataAgeSeconds how old it was when the sidecar answered.
	AsOf             time.Time                  `json:"as_of"`
	DataAgeSeconds   *float64                   `json:"data_age_seconds"`
	CassandraRunning bool                       `json:"cassandra_running"`
	Datacenter       string                     `json:"datacenter"`
	Status           string                     `json:"status"`  // cluster: green, yellow or red
	Reasons          []string                   `json:"reasons"` // why not healthy
	Errors           []string                   `json:"errors"`  // what the sidecar could not read
	Fields           map[string]json.RawMessage `json:"-"`       // every member, those above included
	Raw              json.RawMessage            `json:"-"`       // the body as sent
}

// UnderreplicatedKeyspaces is the coordinator check's
// <CL>_underreplicated_keyspaces for level cl (e.g. "LOCAL_QUORUM");
// false when the report has no such field (a level not configured).
func (r *HealthReport) UnderreplicatedKeyspaces(cl string) ([]string, bool) {
	raw, ok := r.Fields[strings.ToUpper(cl)+"_underreplicated_keyspaces"]
	if !ok {
		return nil, false
	}
	var ks []string
	return ks, json.Unmarshal(raw, &ks) == nil
}

// Health runs GET /v1/health/<check> (CheckCoordinator, CheckReplica,
// CheckCluster). A check that fails is a report with Healthy false, not an
// error; before the sidecar's first refresh it answers 503 with an error
// instead, an *APIError.
func (c *Client) Health(ctx context.Context, check string) (*HealthReport, error) {
	r := &HealthReport{Check: check}
	resp, err := c.call(ctx, http.MethodGet, "/v1/health/"+url.PathEscape(check), nil, nil, r,
		is(http.StatusOK, http.StatusServiceUnavailable),
		func(body []byte) bool {
			if json.Unmarshal(body, &r.Fields) != nil {
				return false
			}
			_, refusal := r.Fields["error"]
			return !refusal
		})
	if err != nil {
		return nil, err
	}
	r.StatusCode, r.Healthy, r.Raw = resp.StatusCode, resp.StatusCode == http.StatusOK, resp.Body
	return r, nil
}

// Version is GET /v1/version.
type Version struct {
	Version string `json:"version"` // ringside's
	Go      string `json:"go"`      // the Go release it was built with
}

// Version runs GET /v1/version.
func (c *Client) Version(ctx context.Context) (*Version, error) {
	var v Version
	if _, err := c.call(ctx, http.MethodGet, "/v1/version", nil, nil, &v, is(http.StatusOK), func([]byte) bool { return v.Version != "" }); err != nil {
		return nil, err
	}
	return &v, nil
}
