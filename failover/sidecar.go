package failover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// SidecarHints is a HintsFunc that asks ringside's per-DC routing health,
// GET <sidecar>/v1/health/cluster?dc=<dc>&cl=LOCAL_ONE
// (docs/routing-health.md), whose route_back_checks judge the hints every
// node keeps for the DC's nodes from their hint counters:
//
//	hint_window not ok   HintsDropped (down past max_hint_window, or hints not stored)
//	hints ok             HintsDelivered
//	hints not ok         HintsPending (undelivered, or unknown: a node that may hold some is down)
//
// Give sidecars outside the DC judged (a sidecar cannot watch its own
// DC's outage); they are asked in order until one answers. hc nil:
// http.DefaultClient (set a timeout on yours).
func SidecarHints(hc *http.Client, sidecars ...string) HintsFunc {
	if hc == nil {
		hc = http.DefaultClient
	}
	return func(ctx context.Context, dc string) (HintsState, error) {
		if len(sidecars) == 0 {
			return HintsUnknown, errors.New("failover.SidecarHints: no sidecar URL given")
		}
		var errs []error
		for _, base := range sidecars {
			st, err := askSidecar(ctx, hc, base, dc)
			if err == nil {
				return st, nil
			}
			errs = append(errs, err)
		}
		return HintsUnknown, errors.Join(errs...)
	}
}

func askSidecar(ctx context.Context, hc *http.Client, base, dc string) (HintsState, error) {
	u := strings.TrimRight(base, "/") + "/v1/health/cluster?" + url.Values{"dc": {dc}, "cl": {"LOCAL_ONE"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return HintsUnknown, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return HintsUnknown, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return HintsUnknown, fmt.Errorf("GET %s: %w", u, err)
	}
	// 503 is an answer too: the DC is not available, the checks still say.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return HintsUnknown, fmt.Errorf("GET %s: HTTP %d: %.200s", u, resp.StatusCode, b)
	}
	var v struct {
		Checks struct {
			HintWindow *struct {
				OK bool `json:"ok"`
			} `json:"hint_window"`
			Hints *struct {
				OK bool `json:"ok"`
			} `json:"hints"`
		} `json:"route_back_checks"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Checks.Hints == nil || v.Checks.HintWindow == nil {
		return HintsUnknown, fmt.Errorf("GET %s: HTTP %d without route_back_checks (a ringside sidecar with per-DC routing health?): %.200s", u, resp.StatusCode, b)
	}
	switch {
	case !v.Checks.HintWindow.OK:
		return HintsDropped, nil
	case v.Checks.Hints.OK:
		return HintsDelivered, nil
	}
	return HintsPending, nil
}
