package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNeedsJolokia: the fact is only read through Jolokia.
var ErrNeedsJolokia = errors.New("needs Jolokia (cassandra.jolokia_url)")

// ProcessStartTime is when the Cassandra JVM started: JMX
// java.lang:type=Runtime StartTime (milliseconds since the epoch,
// RuntimeMXBean.getStartTime). A restart desire decides from it whether a
// node still needs restarting, so "already restarted" is a fact of the
// process, not a memory of the sidecar.
func (a *Adapter) ProcessStartTime(ctx context.Context) (time.Time, error) {
	if a.jmx == nil {
		return time.Time{}, fmt.Errorf("process start time %w", ErrNeedsJolokia)
	}
	v, err := a.jmx.ReadAttr(ctx, "java.lang:type=Runtime", "StartTime")
	if err != nil {
		return time.Time{}, err
	}
	ms, err := asInt64(v)
	if err != nil || ms <= 0 {
		return time.Time{}, fmt.Errorf("java.lang:type=Runtime StartTime is %v", v)
	}
	return time.UnixMilli(ms), nil
}

// HintCounts are, per target endpoint ("/ip:port" as the metric names
// spell it, with ':' kept), the hints this node's process has written for
// it and delivered to it since it started, and those it refused because
// the target was down past max_hint_window (Hints_not_stored-<endpoint>,
// HintedHandoffMetrics.incrPastWindow).
type HintCounts struct {
	Created   map[string]int64 `json:"created"`
	Delivered map[string]int64 `json:"delivered"`
	NotStored map[string]int64 `json:"not_stored,omitempty"`
}

// Hints reads the per-target hint metrics (metrics/HintedHandoffMetrics:
// Hints_created-<endpoint>, Hints_not_stored-<endpoint>; HintsServiceMetrics:
// Hint_delays-<endpoint>, updated once per hint delivered) in one pattern read. The metrics exist
// only once a hint was written or delivered: none means zero.
// system_views.pending_hints cannot serve here: it lists only files
// handed to dispatch, so it reads empty while the target is down
// (testdata/cassandra-4.1.6/hints.txt).
func (a *Adapter) Hints(ctx context.Context) (HintCounts, error) {
	hc := HintCounts{Created: map[string]int64{}, Delivered: map[string]int64{}, NotStored: map[string]int64{}}
	if a.jmx == nil {
		return hc, fmt.Errorf("hint counts %w", ErrNeedsJolokia)
	}
	resp, err := a.jmx.Do(ctx, JolokiaRequest{Type: "read", MBean: "org.apache.cassandra.metrics:type=HintsService,*", Attribute: []string{"Count"}})
	if err != nil {
		if IsJolokiaStatus(err, 404) {
			return hc, nil
		}
		return hc, err
	}
	v, err := resp.Decode()
	if err != nil {
		return hc, err
	}
	m, _ := v.(map[string]any)
	for name, attrs := range m {
		am, _ := attrs.(map[string]any)
		n, _ := asInt64(am["Count"])
		metric := ""
		for _, kv := range strings.Split(name[strings.IndexByte(name, ':')+1:], ",") {
			if k, val, ok := strings.Cut(kv, "="); ok && k == "name" {
				metric = val
			}
		}
		if ep, ok := strings.CutPrefix(metric, "Hints_created-"); ok {
			hc.Created[endpointOfMetric(ep)] = n
		} else if ep, ok := strings.CutPrefix(metric, "Hint_delays-"); ok {
			hc.Delivered[endpointOfMetric(ep)] = n
		} else if ep, ok := strings.CutPrefix(metric, "Hints_not_stored-"); ok {
			hc.NotStored[endpointOfMetric(ep)] = n
		}
	}
	return hc, nil
}

// endpointOfMetric turns "/127.0.0.3.7000" back into "127.0.0.3:7000".
func endpointOfMetric(s string) string {
	s = strings.TrimPrefix(s, "/")
	if i := strings.LastIndexByte(s, '.'); i > 0 && !strings.Contains(s, ":") {
		return s[:i] + ":" + s[i+1:]
	}
	return s
}

// asInt64 reads a JSON number as Decode gives it (json.Number).
func asInt64(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Int64()
	case float64:
		return int64(x), nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}
