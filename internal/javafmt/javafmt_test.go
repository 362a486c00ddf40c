package javafmt

import (
	"slices"
	"testing"
)

func TestList(t *testing.T) {
	for in, want := range map[string][]string{
		"[]":                        nil,
		"":                          nil,
		"[dc1, dc2]":                {"dc1", "dc2"},
		"[/var/lib/cassandra/data]": {"/var/lib/cassandra/data"},
		" [ a ,, b ] ":              {"a", "b"},
	} {
		if got := List(in); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", in, got, want)
		}
	}
}
