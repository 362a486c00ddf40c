package main

import (
	"io"
	"strings"
	"testing"
)

// TestStrayArguments: commands that take only flags refuse a positional
// argument as a usage mistake (exit 2), before starting anything.
func TestStrayArguments(t *testing.T) {
	for name, run := range map[string]func([]string) error{
		"ringside demo":  runDemo,
		"ringside serve": runServe,
		"ringside sim":   runSim,
		"ringside token": func(a []string) error { return runToken(a, io.Discard) },
	} {
		err := run([]string{"extra-arg"})
		if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), `unexpected argument "extra-arg": `+name+" takes only flags") {
			t.Errorf("%s extra-arg: exit %d, %v", name, exitCodeOf(err), err)
		}
	}
}
