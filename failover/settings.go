package failover

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/internal/javafmt"
)

// HintSettings are the cassandra.yaml settings that decide which writes a
// DC that was down still gets as hints.
type HintSettings struct {
	// Enabled is hinted_handoff_enabled.
	Enabled bool `json:"hinted_handoff_enabled"`
	// DisabledDCs is hinted_handoff_disabled_datacenters: no hints are
	// written for their nodes, so any outage there needs a repair.
	DisabledDCs []string `json:"hinted_handoff_disabled_datacenters"`
	// MaxHintWindow is max_hint_window.
	MaxHintWindow time.Duration `json:"max_hint_window"`
	// PersistentWindow is hint_window_persistent_enabled (4.1's default):
	// the window counts from the oldest hint kept for a host, not from
	// when it went down.
	PersistentWindow bool `json:"hint_window_persistent_enabled"`
	// MaxHintsSizePerHost is max_hints_size_per_host in bytes (0: no limit).
	MaxHintsSizePerHost int64 `json:"max_hints_size_per_host"`
}

// notes says what the clock cannot know.
func (h HintSettings) notes() []string {
	var out []string
	if !h.Enabled {
		out = append(out, "hinted_handoff_enabled is false: every outage needs a repair before a DC is routed to again")
	}
	if len(h.DisabledDCs) > 0 {
		out = append(out, "hinted_handoff_disabled_datacenters lists "+strings.Join(h.DisabledDCs, ", ")+": any outage there needs a repair")
	}
	if h.MaxHintsSizePerHost > 0 {
		out = append(out, fmt.Sprintf("max_hints_size_per_host is %d bytes: hints may stop before max_hint_window; Options.Hints can say whether they did", h.MaxHintsSizePerHost))
	}
	if h.PersistentWindow {
		out = append(out, "hint_window_persistent_enabled: the hint window counts from the oldest hint kept for a host, so earlier outages use it up; Options.Hints can say whether hints were dropped")
	}
	return out
}

// ReadHintSettings reads the hint settings of the node the session asks,
// from system_views.settings (Cassandra 4.0+), as cassandra.yaml names them.
func ReadHintSettings(ctx context.Context, s *gocql.Session) (HintSettings, error) {
	get := func(name string) (string, bool, error) {
		var v *string
		err := s.Query("SELECT value FROM system_views.settings WHERE name = ?", name).WithContext(ctx).Scan(&v)
		if err == gocql.ErrNotFound {
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("failover: reading %s from system_views.settings: %w", name, err)
		}
		if v == nil {
			return "", false, nil
		}
		return *v, true, nil
	}
	var hs HintSettings
	v, ok, err := get("max_hint_window")
	if err != nil {
		return hs, err
	}
	if ok {
		if hs.MaxHintWindow, err = parseDurationSpec(v); err != nil {
			return hs, fmt.Errorf("failover: max_hint_window %q: %w", v, err)
		}
	} else {
		// 4.0 names it max_hint_window_in_ms.
		if v, ok, err = get("max_hint_window_in_ms"); err != nil {
			return hs, err
		} else if !ok {
			return hs, fmt.Errorf("failover: system_views.settings has neither max_hint_window nor max_hint_window_in_ms")
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			return hs, fmt.Errorf("failover: max_hint_window_in_ms %q is not a number of milliseconds", v)
		}
		hs.MaxHintWindow = time.Duration(ms) * time.Millisecond
	}
	hs.Enabled = true
	if v, ok, err = get("hinted_handoff_enabled"); err != nil {
		return hs, err
	} else if ok {
		hs.Enabled = v == "true"
	}
	if v, ok, err = get("hinted_handoff_disabled_datacenters"); err != nil {
		return hs, err
	} else if ok {
		hs.DisabledDCs = javafmt.List(v)
	}
	if v, ok, err = get("hint_window_persistent_enabled"); err != nil {
		return hs, err
	} else if ok {
		hs.PersistentWindow = v == "true"
	}
	if v, ok, err = get("max_hints_size_per_host"); err != nil {
		return hs, err
	} else if ok {
		if hs.MaxHintsSizePerHost, err = parseDataStorageSpec(v); err != nil {
			return hs, fmt.Errorf("failover: max_hints_size_per_host %q: %w", v, err)
		}
	}
	return hs, nil
}

// parseDurationSpec parses a DurationSpec as system_views.settings shows
// it: a non-negative integer and a unit (d, h, m, s, ms, us, µs, ns).
func parseDurationSpec(v string) (time.Duration, error) {
	i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("not a quantity and a unit")
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	units := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second,
		"ms": time.Millisecond, "us": time.Microsecond, "µs": time.Microsecond, "ns": time.Nanosecond}
	u, ok := units[strings.ToLower(v[i:])]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", v[i:])
	}
	if n > int64(1<<62)/int64(u) {
		return 0, fmt.Errorf("too large")
	}
	return time.Duration(n) * u, nil
}

// parseDataStorageSpec parses a DataStorageSpec (B, KiB, MiB, GiB) into bytes.
func parseDataStorageSpec(v string) (int64, error) {
	i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("not a quantity and a unit")
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	units := map[string]int64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
	u, ok := units[v[i:]]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", v[i:])
	}
	if n > (1<<62)/u {
		return 0, fmt.Errorf("too large")
	}
	return n * u, nil
}
