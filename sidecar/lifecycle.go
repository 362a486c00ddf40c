package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"time"

	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/health"
	"github.com/ringside/ringside/lifecycle"
	"github.com/ringside/ringside/node"
)

// lifecycleNode is the sidecar as lifecycle.Node: Cassandra's process,
// the drain, and the health checks.
type lifecycleNode struct {
	s       *Sidecar
	pattern *regexp.Regexp // pid_source: process_table
}

func (n *lifecycleNode) PID() (int, error) {
	cs := n.s.cfg.Cassandra
	if cs.PIDSource == "process_table" {
		return node.FindProcess(n.pattern)
	}
	pid, err := node.ReadPIDFile(cs.PIDFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // the packages' scripts remove it on stop
	}
	if err != nil {
		return 0, err
	}
	if !node.ProcessAlive(pid) {
		return 0, nil
	}
	return pid, nil
}

func (n *lifecycleNode) Alive(pid int) bool { return node.ProcessAlive(pid) }

func (n *lifecycleNode) Drain(ctx context.Context) (bool, error) { return n.s.adapter.Drain(ctx) }

func (n *lifecycleNode) FailCoordinator(reason string) { n.s.failCoordinator(reason) }

func (n *lifecycleNode) Health(after time.Time) (lifecycle.Health, bool) {
	reps := *n.s.reports.Load()
	h := lifecycle.Health{Failed: map[string][]string{}}
	for _, name := range lifecycle.RequiredChecks {
		r, ok := reps[name]
		if !ok || !r.AsOf.After(after) {
			n.s.kickRefresh()
			return lifecycle.Health{}, false
		}
		if r.Healthy {
			h.Passed = append(h.Passed, name)
			continue
		}
		var body struct {
			Reasons []string `json:"reasons"`
		}
		json.Unmarshal(r.Body, &body)
		if len(body.Reasons) == 0 {
			body.Reasons = []string{"unhealthy"}
		}
		h.Failed[name] = body.Reasons
		if why := incurableFailures(name, r.Body); len(why) > 0 {
			if h.Incurable == nil {
				h.Incurable = map[string][]string{}
			}
			h.Incurable[name] = why
		}
	}
	if len(h.Failed) > 0 {
		// A start is waiting on this: look again now rather than at the
		// next refresh interval.
		n.s.kickRefresh()
	}
	return h, true
}

// incurable lists the failures of a health check that waiting for a start
// will not cure, each recognised in the check's report (the JSON the
// endpoint serves); a start that sees one ends FAILED at once with it.
// Add a rule for any other such failure.
var incurable = []struct {
	check string
	why   func(report []byte) string // "" when the report does not show it
}{
	{"replica", corruptSSTablesWhileUp},
}

func incurableFailures(check string, report []byte) []string {
	var out []string
	for _, rule := range incurable {
		if rule.check == check {
			if why := rule.why(report); why != "" {
				out = append(out, why)
			}
		}
	}
	return out
}

// corruptSSTablesWhileUp: a corrupt SSTable seen once Cassandra runs with
// gossip active stays corrupt. By then Cassandra has deleted orphans
// (components without a non-empty Data.db), temporary files and the
// leftovers of unfinished transactions, and opened its SSTables: all of
// that happens in CassandraDaemon.setup before StorageService.initServer
// starts gossip. Before, the scan may see what the startup is about to
// remove.
func corruptSSTablesWhileUp(report []byte) string {
	var r struct {
		Running bool                    `json:"cassandra_running"`
		Gossip  bool                    `json:"gossip_active"`
		Count   int                     `json:"corrupt_sstables"`
		Files   []health.CorruptSSTable `json:"corrupt_sstable_files"`
	}
	if json.Unmarshal(report, &r) != nil || !r.Running || !r.Gossip || r.Count == 0 || len(r.Files) == 0 {
		return ""
	}
	return fmt.Sprintf("%d corrupt SSTable(s), e.g. %s: %s", r.Count, r.Files[0].File, r.Files[0].Reason)
}

// failCoordinator makes the coordinator report fail with reason at once
// (and at every refresh until cleared); "" lets the next refresh compute
// it normally.
func (s *Sidecar) failCoordinator(reason string) {
	s.override.Store(&reason)
	if reason == "" {
		s.kickRefresh()
		return
	}
	if r, ok := (*s.reports.Load())["coordinator"]; ok {
		var body map[string]any
		if json.Unmarshal(r.Body, &body) == nil {
			overrideCoordinator(body, reason)
			s.setReport("coordinator", body, false, r.AsOf)
		}
	}
}

// overrideCoordinator marks a coordinator report as failed on purpose.
func overrideCoordinator(body map[string]any, reason string) {
	reasons := []any{reason}
	if old, ok := body["reasons"].([]any); ok {
		reasons = append(reasons, old...)
	} else if old, ok := body["reasons"].([]string); ok {
		for _, o := range old {
			reasons = append(reasons, o)
		}
	}
	body["reasons"] = reasons
	body["lifecycle"] = reason
}

func (s *Sidecar) kickRefresh() {
	select {
	case s.refreshKick <- struct{}{}:
	default:
	}
}

// CheckStop implements lifecycle.StopGuard: this node may stop only if no
// keyspace then loses a token range at health.consistency_levels.
func (n *lifecycleNode) CheckStop() error {
	for _, t := range n.s.Targets() {
		if t.Self {
			return n.s.CheckDown([]fanout.Target{t})
		}
	}
	return errors.New("this node's place in the ring is not known (is Cassandra answering CQL?), so what stopping it costs cannot be told")
}
