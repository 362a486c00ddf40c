package settings

import (
	_ "embed"
	"strings"

	"github.com/ringside/ringside/internal/textdist"
)

// settingsCapture is every row of system_views.settings of a real 4.1.6
// node (copy of testdata/cassandra-4.1.6/settings.txt): the names a
// request may use, 4.1 names and the old ones alike.
//
//go:embed cassandra-4.1.6-settings.txt
var settingsCapture string

// known maps each name to its value on the captured node ("null" for null).
var known, knownNames = func() (map[string]string, []string) {
	m := map[string]string{}
	var names []string
	for _, line := range strings.Split(settingsCapture, "\n") {
		name, value, ok := strings.Cut(line, "|")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || name == "name" || strings.HasPrefix(name, "-") {
			continue
		}
		if _, dup := m[name]; !dup {
			names = append(names, name)
		}
		m[name] = value
	}
	return m, names
}()

// groups are the prefixes of dotted names ("audit_logging_options",
// "audit_logging_options.logger"): a JSON object under one of them is
// read as dotted keys.
var groups = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range knownNames {
		for i := range len(n) {
			if n[i] == '.' {
				m[n[:i]] = true
			}
		}
	}
	return m
}()

// suggest returns the known name closest to key, or "" when none is close.
func suggest(key string, extra map[string]string) string {
	if len(key) > 200 {
		return ""
	}
	best, bestD := "", 1<<30
	try := func(n string) {
		if d := textdist.Levenshtein(key, n); d < bestD || d == bestD && n < best {
			best, bestD = n, d
		}
	}
	for _, n := range knownNames {
		try(n)
	}
	for n := range extra {
		try(n)
	}
	// A typo or two, more for long names; or the key is a part of the name
	// ("throughput_outbound") or the name a part of the key.
	limit := max(2, len(key)/4)
	if bestD <= limit {
		return best
	}
	// Among the names containing the key (or contained in it), the closest.
	best, bestD = "", 1<<30
	for _, n := range knownNames {
		if len(key) >= 6 && strings.Contains(n, key) || len(n) >= 6 && strings.Contains(key, n) {
			if d := textdist.Levenshtein(key, n); d < bestD {
				best, bestD = n, d
			}
		}
	}
	return best
}
