package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestSimTimingFlagsRefused: out-of-range failure-detector (and LWT fault)
// flags of `ringside sim` and `ringside demo` end the command with a message naming the flag
// and its range, and a non-zero exit status.
func TestSimTimingFlagsRefused(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"sim --phi-convict-threshold -1", "phi_convict_threshold (--phi-convict-threshold) must be between 5 and 16, but was -1.0"},
		{"sim --phi-convict-threshold 17", "must be between 5 and 16, but was 17.0"},
		{"sim --gossip-interval 0s", "gossip_interval (--gossip-interval) must be positive and at most 1m, not 0s"},
		{"sim --gossip-interval -1s", "not -1s"},
		{"sim --failure-detection -1s", "--failure-detection must be positive"},
		{"sim --gossip-interval 1s --failure-detection 2s", "not both"},
		{"sim --timing glacial", `timing must be fast or real, not "glacial"`},
		{"demo --gossip-interval 0s", "gossip_interval (--gossip-interval) must be positive"},
		{"demo --timing glacial", `timing must be fast or real, not "glacial"`},
		// Hint timing (sim/hints.go).
		{"sim --hints-dispatch-interval 0s", "hints_dispatch_interval (--hints-dispatch-interval) must be positive and at most 1h, not 0s"},
		{"sim --hints-dispatch-interval -5s", "not -5s"},
		// LWT fault injection rates (sim/paxos.go).
		{"sim --lwt-unknown-rate -0.5", "lwt_unknown_rate (--lwt-unknown-rate) must be within [0,1], but was -0.5"},
		{"sim --lwt-unknown-rate 1.01", "lwt_unknown_rate (--lwt-unknown-rate) must be within [0,1], but was 1.01"},
		{"sim --lwt-unknown-rate NaN", "lwt_unknown_rate (--lwt-unknown-rate) must be within [0,1], but was NaN"},
		{"sim --lwt-commit-timeout-rate -1", "lwt_commit_timeout_rate (--lwt-commit-timeout-rate) must be within [0,1], but was -1"},
		{"sim --lwt-commit-timeout-rate 2", "lwt_commit_timeout_rate (--lwt-commit-timeout-rate) must be within [0,1], but was 2"},
	} {
		out, err := ringside(t, tc.args).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(string(out), tc.want) {
			t.Errorf("ringside %s: err %v, output %q; want a non-zero exit mentioning %q", tc.args, err, out, tc.want)
		}
	}
}
