package lifecycle

import "strings"

// whyIncurable explains the failures of a start that waiting will not
// cure ("" when there are none, or when what the checks saw cannot be
// trusted to last): the process runs, the health data was read after the
// wait began, and the sidecar marked some failure incurable
// (Health.Incurable; which failures are, the sidecar's classifier decides).
// Anything else — not running yet, STARTING, gossip not yet active, no
// fresh data — is waited for until lifecycle.start_timeout.
func whyIncurable(pid int, perr error, h Health, ok bool) string {
	if perr != nil || pid == 0 || !ok || len(h.Incurable) == 0 {
		return ""
	}
	var parts []string
	for _, c := range RequiredChecks {
		if rs := h.Incurable[c]; len(rs) > 0 {
			parts = append(parts, c+": "+strings.Join(rs, "; "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "; waiting will not cure it"
}
