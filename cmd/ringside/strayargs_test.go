package main

import (
	"errors"
	"io"
	"net"
	"os/exec"
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

// TestExitStatus: through main, as a shell sees it: 2 for usage
// mistakes, 1 for failures, as the usage text documents.
func TestExitStatus(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() // nothing answers there
	ln.Close()
	for _, c := range []struct {
		args string
		want int
	}{
		{"", 2},
		{"nosuchcommand", 2},
		{"settings get --nosuchflag", 2},
		{"bulk flush --scope planet --url " + closed, 2},
		{"demo extra-arg", 2},
		{"settings get compaction_throughput --url " + closed, 1},
		{"bulk list --url " + closed, 1},
		{"version", 0},
	} {
		cmd := ringside(t, c.args)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.want {
			t.Errorf("ringside %s: exit %d, want %d; stderr: %s", c.args, code, c.want, stderr.String())
		}
		if code != 0 && stderr.Len() == 0 {
			t.Errorf("ringside %s: exit %d without a message", c.args, code)
		}
	}
	if !strings.Contains(usage, "Exit status: 0 done; 1 failed") {
		t.Error("the usage text does not document the exit status")
	}
}
