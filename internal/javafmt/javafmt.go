// Package javafmt reads values as Cassandra prints them through Java's
// toString: system_views.settings shows a Set or List as "[a, b]".
package javafmt

import "strings"

// List reads "[a, b]", "[/var/lib/cassandra/data]" or "[]" (also without
// the brackets) into its elements, spaces trimmed, empty ones dropped.
func List(v string) []string {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "["), "]"))
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
